//! `kpi-ledger serve` as an operator runs it (issue 13): it stops within a bound after SIGINT or
//! SIGTERM even while a live event stream is open, and `demo` never empties a directory a running
//! server holds. A signal sent the moment it says it listens stops it as cleanly as a later one. It
//! runs without transparent huge pages unless told otherwise.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_kpi-ledger");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BINARY).args(args).env_remove("KPI_LEDGER_DATA").output().unwrap()
}

/// A ledger with one unit and an auditor's token.
fn ledger_with_token(data: &str) -> String {
    let unit =
        r#"{"command": "RegisterUnit", "payload": {"unit": "YS", "name": "乙市", "level": "city", "parent": null}}"#;
    let exec = run(&["exec", "--data", data, "--unit", "YS", unit]);
    assert!(exec.status.success(), "{}", String::from_utf8_lossy(&exec.stderr));
    let issued = run(&["token", "issue", "--data", data, "--actor", "auditor-ys", "--role", "auditor", "--unit", "YS"]);
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    String::from_utf8(issued.stdout).unwrap().trim().to_owned()
}

/// Starts `serve` on a free port; returns the child and the address it printed.
fn serve(data: &str) -> (Child, String) {
    serve_with(data, None)
}

/// As `serve`, with `MIMALLOC_ALLOW_THP` set to `allow_thp` (or not set).
fn serve_with(data: &str, allow_thp: Option<&str>) -> (Child, String) {
    let mut command = Command::new(BINARY);
    command.env_remove("MIMALLOC_ALLOW_THP");
    if let Some(allow_thp) = allow_thp {
        command.env("MIMALLOC_ALLOW_THP", allow_thp);
    }
    let mut child = command
        .args(["serve", "--data", data, "--addr", "127.0.0.1:0"])
        .env_remove("KPI_LEDGER_DATA")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line:?}")).to_owned();
    (child, addr)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

fn exits_within(child: &mut Child, bound: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < bound {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn the_server_stops_within_a_bound_while_an_event_stream_is_open() {
    for name in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("ledger").display().to_string();
        let token = ledger_with_token(&data);
        let (mut server, addr) = serve(&data);
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        write!(stream, "GET /v1/events/subscribe HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n")
            .unwrap();
        let mut first = [0u8; 64];
        let read = stream.read(&mut first).unwrap();
        assert!(String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"), "the stream is open");
        signal(&server, name);
        let stopped = exits_within(&mut server, Duration::from_secs(8));
        if !stopped {
            server.kill().unwrap();
        }
        assert!(stopped, "SIG{name}: the server was still running 8 s later with a stream open");
        assert!(!std::path::Path::new(&data).join("server.json").exists(), "SIG{name}: server.json is removed");
    }
}

#[test]
fn the_demo_never_empties_a_directory_a_server_holds() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo").display().to_string();
    ledger_with_token(&data);
    let before = run(&["head", "--data", &data]).stdout;
    // The directory looks like an earlier demo's, which a rerun would replace …
    std::fs::write(std::path::Path::new(&data).join(".kpi-ledger-demo"), "made by kpi-ledger demo\n").unwrap();
    let (mut server, _) = serve(&data);
    // … but a server holds it: the demo stops, and the ledger stays.
    let demo = run(&["demo", "--data", &data]);
    signal(&server, "TERM");
    assert!(exits_within(&mut server, Duration::from_secs(8)));
    assert!(!demo.status.success());
    let stderr = String::from_utf8_lossy(&demo.stderr);
    assert!(stderr.contains("holds this ledger") && stderr.lines().count() == 1, "{stderr}");
    assert_eq!(run(&["head", "--data", &data]).stdout, before, "the ledger is intact");
}

/// A signal sent the moment the server says it listens stops it like any other: it has registered for
/// SIGINT and SIGTERM before saying so, so it removes `server.json` and exits 0 — it never dies of the
/// signal's default action, leaving its address file behind.
#[test]
fn a_signal_the_moment_the_server_listens_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger").display().to_string();
    ledger_with_token(&data);
    for (round, signal) in [libc::SIGTERM, libc::SIGINT].into_iter().cycle().take(6).enumerate() {
        let (mut server, _) = serve(&data);
        let pid = libc::pid_t::try_from(server.id()).unwrap();
        // SAFETY: kill takes no pointers; the pid is our own child's, not yet reaped.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let stopped = exits_within(&mut server, Duration::from_secs(8));
        if !stopped {
            server.kill().unwrap();
        }
        assert!(stopped, "round {round}: the server was still running 8 s after signal {signal}");
        let status = server.wait().unwrap();
        assert!(status.success(), "round {round}: signal {signal} ended the server with {status:?}");
        assert!(!std::path::Path::new(&data).join("server.json").exists(), "round {round}: server.json is removed");
    }
}

/// A server asks the kernel for no transparent huge pages: one is resident whole once touched, and
/// what is freed inside it goes back only when all of it is free, so a server with them peaked
/// 70–90 MiB higher. `MIMALLOC_ALLOW_THP` set leaves the choice to the allocator, as it documents.
#[test]
fn a_server_runs_without_transparent_huge_pages_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger").display().to_string();
    ledger_with_token(&data);
    let thp_enabled = |pid: &str| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|line| line.starts_with("THP_enabled:"));
        let line = line.unwrap_or_else(|| panic!("no THP_enabled in /proc/{pid}/status:\n{status}"));
        line.split_whitespace().nth(1).unwrap().to_owned()
    };
    // Left to the allocator, the server keeps what it inherited from this process.
    let inherited = thp_enabled("self");
    for (allow_thp, expected) in [(None, "0"), (Some("1"), inherited.as_str())] {
        let (mut server, _) = serve_with(&data, allow_thp);
        let found = thp_enabled(&server.id().to_string());
        signal(&server, "TERM");
        assert!(exits_within(&mut server, Duration::from_secs(8)));
        assert_eq!(found, expected, "MIMALLOC_ALLOW_THP {allow_thp:?}");
    }
}
