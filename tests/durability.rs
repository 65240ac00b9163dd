//! Proof that acknowledged appends are fsynced, not only `sync_file_range`d (sled issue #1452): the
//! demo runs under strace, and the count of fdatasync/fsync calls must cover every append it made.
//! strace is installed by .ci/run; on a machine without it this test says so and fails under CI.

use std::process::Command;

#[test]
fn every_acknowledged_append_is_followed_by_an_fdatasync() {
    if Command::new("strace").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "strace is required under CI (.ci/run installs it)");
        eprintln!("strace not installed: skipping the syscall count (apt-get install strace)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let trace = dir.path().join("trace");
    let output = Command::new("strace")
        .args(["-f", "-e", "trace=fdatasync,fsync", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_kpi-ledger"))
        .args(["demo", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let appends = stdout.lines().filter(|line| line.trim_start().starts_with("appended")).count();
    assert!(appends >= 8, "the demo appends one request at a time:\n{stdout}");
    let calls = std::fs::read_to_string(&trace).unwrap();
    let fdatasyncs = calls.lines().filter(|line| line.contains("fdatasync(") && line.contains("= 0")).count();
    assert!(fdatasyncs >= appends, "{fdatasyncs} fdatasync calls for {appends} durable appends:\n{calls}");
}
