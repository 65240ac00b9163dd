//! Helpers shared by the integration tests: synthetic ledgers in temp dirs, direct access to sled for
//! tamper tests, and the check for system programs some tests drive.
#![allow(dead_code)]

use kpi_ledger::store::{Ledger, SealedAppend};
use kpi_testkit::chains;

/// A ledger of `count` synthetic events over a few streams (the store's tests need no rules).
pub fn synthetic_ledger(dir: &std::path::Path, count: u64) -> Ledger {
    let ledger = Ledger::open(dir).unwrap();
    for append in chains::appends(count, 4, 3) {
        ledger.append(append).unwrap();
    }
    ledger
}

/// Gives the ledger at `to` (an import or a copy) the signing key of `from`, deliberately.
pub fn copy_key(from: &Ledger, to: &std::path::Path) {
    let key_file = kpi_ledger::store::signer::KEY_FILE;
    std::fs::copy(from.dir().join(key_file), to.join(key_file)).unwrap();
}

/// Copies a closed ledger's directory (sled's files, the signing key) to `to`, which must not exist:
/// a test that needs a long history builds it once and works on copies.
pub fn copy_ledger_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_ledger_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Appends `count` synthetic events on `stream` after the ledger's head.
pub fn append_synthetic(ledger: &Ledger, stream: &str, count: u64) {
    let version = ledger.stream_version(stream).unwrap();
    let events = chains::events(ledger.head(), stream, version + 1, count);
    ledger.append(SealedAppend { events, command: None }).unwrap();
}

/// Opens a closed ledger's sled database directly (to tamper with it), waiting for sled's I/O threads
/// of the closed ledger to let go of the directory's lock.
pub fn open_sled_directly(dir: &std::path::Path) -> sled::Db {
    let started = std::time::Instant::now();
    loop {
        match sled::open(dir) {
            Ok(db) => return db,
            Err(error) if started.elapsed() < std::time::Duration::from_secs(3) => {
                let _ = error;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(error) => panic!("opening {}: {error}", dir.display()),
        }
    }
}

/// The variable `.ci/run` sets so that a test whose system program is missing fails instead of
/// being skipped.
pub const REQUIRE_SYSTEM_TOOLS: &str = "KPI_LEDGER_REQUIRE_SYSTEM_TOOLS";

/// Whether `program` (probed with `probe_args`) is installed. When it is not, the test that asked
/// says so on stderr and skips itself — unless `KPI_LEDGER_REQUIRE_SYSTEM_TOOLS` is set, as
/// `.ci/run` does after installing every such program: then a missing one is a failure.
pub fn system_tool(program: &str, probe_args: &[&str], package: &str) -> bool {
    let installed = std::process::Command::new(program)
        .args(probe_args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !installed {
        assert!(
            std::env::var_os(REQUIRE_SYSTEM_TOOLS).is_none(),
            "{program} is required here ({REQUIRE_SYSTEM_TOOLS} is set); install the Debian package {package}"
        );
        eprintln!("SKIPPED: {program} is not installed (Debian package {package}); .ci/run installs it");
    }
    installed
}
