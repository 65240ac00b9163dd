//! Helpers shared by the integration tests: building append requests and opening ledgers in temp dirs.
#![allow(dead_code)]

use kpi_ledger::chain::Actor;
use kpi_ledger::domain::Timestamp;
use kpi_ledger::service::{IdSource, SeededIds};
use kpi_ledger::store::{AppendRequest, ExpectedVersion, NewEvent};
use serde_json::json;

pub fn actor() -> Actor {
    Actor { id: "assessor-ys".into(), role: "assessor".into() }
}

pub fn at(day: u8) -> Timestamp {
    Timestamp::from_civil(2017, 7, day, 9, 0, 0).unwrap()
}

/// A request of `count` deduction-like events for `stream`, with fresh ids from `ids`.
pub fn request(ids: &dyn IdSource, stream: &str, expected: ExpectedVersion, count: usize) -> AppendRequest {
    let events = (0..count)
        .map(|i| NewEvent {
            event_id: ids.next_id(at(11)),
            event_type: "DeductionRecorded".into(),
            schema_version: 1,
            data: json!({"indicator": "ZG-04", "unit": "YS07", "points": 100 + i, "reason": "半年工作报告文种错误"}),
        })
        .collect();
    AppendRequest {
        stream: stream.into(),
        expected,
        events,
        recorded_at: at(11),
        actor: actor(),
        command_id: None,
        request_digest: None,
        causation_id: None,
        correlation_id: None,
    }
}

pub fn ids(seed: &str) -> SeededIds {
    SeededIds::new(seed)
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
