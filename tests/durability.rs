//! Proof that acknowledged appends are fsynced, not only `sync_file_range`d (sled issue #1452): six
//! commands run one after another under strace, and the fdatasync calls must cover every one of them.
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
    let data = dir.path().join("ledger");
    let trace = dir.path().join("trace");
    // Six commands, each acknowledged (printed) only after it is durable, one after another.
    let mut commands =
        vec![r#"{"command":"RegisterUnit","payload":{"unit":"YS","name":"乙市","level":"city","parent":null}}"#
            .to_owned()];
    commands.extend((1..=5).map(|n| {
        format!(r#"{{"command":"RegisterUnit","payload":{{"unit":"YS0{n}","name":"county {n}","level":"county","parent":"YS"}}}}"#)
    }));
    let output = Command::new("strace")
        .args(["-f", "-e", "trace=fdatasync,fsync", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_kpi-ledger"))
        .args(["exec", "--unit", "YS", "--data"])
        .arg(&data)
        .args(&commands)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let acknowledged = stdout.lines().filter(|line| line.starts_with("RegisterUnit")).count();
    assert_eq!(acknowledged, 6, "{stdout}");
    let calls = std::fs::read_to_string(&trace).unwrap();
    let fdatasyncs = calls.lines().filter(|line| line.contains("fdatasync(") && line.contains("= 0")).count();
    assert!(fdatasyncs >= acknowledged, "{fdatasyncs} fdatasync calls for {acknowledged} durable appends:\n{calls}");
}
