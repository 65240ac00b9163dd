//! Proof that acknowledged appends are fsynced, not only `sync_file_range`d (sled issue #1452): under
//! strace, every acknowledgement the command line prints comes after an `fdatasync` of sled's log file
//! that follows the last write to it. strace is installed by .ci/run; without it the test says so and
//! skips itself, unless KPI_LEDGER_REQUIRE_SYSTEM_TOOLS turns that into a failure.

use crate::support;

use std::path::Path;
use std::process::Command;

/// Runs `exec` with `commands` under strace; returns its acknowledgements and the syscall trace.
fn traced_exec(data: &Path, trace: &Path, commands: &[String]) -> (String, String) {
    let output = Command::new("strace")
        .args(["-f", "-y", "-e", "trace=pwrite64,pwritev,write,writev,fdatasync,fsync", "-o"])
        .arg(trace)
        .arg(env!("CARGO_BIN_EXE_kpi-ledger"))
        .args(["exec", "--unit", "YS", "--data"])
        .arg(data)
        .args(commands)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (String::from_utf8_lossy(&output.stdout).into_owned(), std::fs::read_to_string(trace).unwrap())
}

/// Every acknowledgement written to stdout is preceded by an `fdatasync` of the log file (`…/db`) that
/// comes after the last write to it: what was acknowledged had reached the disk.
fn assert_synced_before_acknowledged(calls: &str) {
    let lines: Vec<&str> = calls.lines().collect();
    let acknowledgements: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.contains("write(1") && line.contains("RegisterUnit"))
        .map(|(index, _)| index)
        .collect();
    assert!(!acknowledgements.is_empty(), "no acknowledgement was written:\n{calls}");
    for ack in acknowledgements {
        let last_write = lines[..ack]
            .iter()
            .rposition(|line| line.contains("pwrite") && line.contains("/db>"))
            .unwrap_or_else(|| panic!("no write to the log before the acknowledgement:\n{calls}"));
        let synced = lines[last_write..ack]
            .iter()
            .any(|line| line.contains("fdatasync(") && line.contains("/db>") && line.trim_end().ends_with("= 0"));
        assert!(synced, "acknowledged before the log was fdatasync'd after its last write:\n{calls}");
    }
}

fn register(unit: &str, level: &str, parent: Option<&str>) -> String {
    let parent = parent.map_or("null".to_owned(), |parent| format!("\"{parent}\""));
    format!(
        r#"{{"command":"RegisterUnit","payload":{{"unit":"{unit}","name":"{unit} 局","level":"{level}","parent":{parent}}}}}"#
    )
}

#[test]
fn every_acknowledged_append_is_fdatasynced_first() {
    if !support::system_tool("strace", &["-V"], "strace") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger");
    // Six commands one after another, each in its own process and acknowledged only when durable.
    let mut commands = vec![register("YS", "city", None)];
    commands.extend((1..=5).map(|n| register(&format!("YS0{n}"), "county", Some("YS"))));
    for (index, command) in commands.iter().enumerate() {
        let (stdout, calls) =
            traced_exec(&data, &dir.path().join(format!("trace-{index}")), std::slice::from_ref(command));
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert_synced_before_acknowledged(&calls);
    }
    // A batch is acknowledged, all of it, after the one write that holds it is durable.
    let batch: Vec<String> = (6..=8).map(|n| register(&format!("YS0{n}"), "county", Some("YS"))).collect();
    let (stdout, calls) = traced_exec(&data, &dir.path().join("trace-batch"), &batch);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert_synced_before_acknowledged(&calls);
}
