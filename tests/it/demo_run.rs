//! The demo as a user runs it — `kpi-ledger demo` into a directory of its own — recorded once per
//! test run and shared: the command-line tests read and copy its ledger, and the demo-story tests
//! read what it printed. A ledger is opened by one process at a time, so whatever runs the binary on
//! the shared directory takes its turn (`run` does it by itself); copies are used at will.

use std::process::{Command, Output};
use std::sync::OnceLock;

pub const BINARY: &str = env!("CARGO_BIN_EXE_kpi-ledger");

/// Held while a process has the shared demo ledger open.
pub static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The shared demo ledger's directory (`demo()`), named before the demo is recorded into it.
static DEMO_DATA: OnceLock<String> = OnceLock::new();

/// Runs the binary; in turn with the other tests when `args` name the shared demo ledger.
pub fn run(args: &[&str]) -> Output {
    let shared = DEMO_DATA.get().is_some_and(|data| args.contains(&data.as_str()));
    let _turn = shared.then(|| TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    Command::new(BINARY).args(args).output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The shared demo run: its directory (kept while the tests run), its data directory and what it
/// printed. Recorded on first use (some seconds in a debug build).
pub fn demo() -> &'static (tempfile::TempDir, String, String) {
    static DEMO: OnceLock<(tempfile::TempDir, String, String)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("demo").to_string_lossy().into_owned();
        DEMO_DATA.set(data.clone()).expect("the demo is recorded once");
        let output = run(&["demo", "--data", &data]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = stdout(&output);
        (dir, data, text)
    })
}
