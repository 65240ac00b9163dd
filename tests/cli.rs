//! The command line as a user runs it: the demo tells the story, the reading commands answer with
//! aligned tables or JSON, and bad input gets one clear line naming the flag and a non-zero exit,
//! with the ledger unchanged (issue 5).

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

const BINARY: &str = env!("CARGO_BIN_EXE_kpi-ledger");

/// The demo ledger is one directory, and a ledger is opened by one process at a time: the tests of
/// this file take turns.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(args: &[&str]) -> Output {
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Command::new(BINARY).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One demo ledger for all tests in this file (the demo takes a few seconds).
fn demo() -> &'static (tempfile::TempDir, String, String) {
    static DEMO: OnceLock<(tempfile::TempDir, String, String)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("demo").to_string_lossy().into_owned();
        let output = run(&["demo", "--data", &data]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = stdout(&output);
        (dir, data, text)
    })
}

fn head(data: &str) -> String {
    stdout(&run(&["head", "--data", data])).trim_end().to_owned()
}

#[test]
fn the_demo_tells_the_story() {
    let (_, _, text) = demo();
    let line_of =
        |needle: &str| text.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("{needle}:\n{text}"));
    assert!(text.contains("ranking of YS-2017 assessed units, 2017-Q3"));
    let q3_and_year: Vec<&str> = text.lines().filter(|line| line.contains("YS07  丙县国家税务局")).collect();
    assert!(q3_and_year[0].trim_start().starts_with("10     3"), "YS07 rank 10, tier 3 in Q3: {}", q3_and_year[0]);
    assert!(q3_and_year[1].trim_start().starts_with("6     2"), "YS07 rank 6, tier 2 for the year: {}", q3_and_year[1]);
    assert!(line_of("trace of YS07 丙县国家税务局 for 2017-06").contains("every lost point accounted for"));
    assert!(line_of("cause: YS07-BGS").contains("event"));
    assert!(line_of("decided Partial").contains("1.00 restored"));
    assert!(line_of("YS07-BGS 办公室: 100.00 → 92.59").contains("CauseAttributed"));
    assert!(line_of("intact:").contains("events verified"));
}

#[test]
fn reading_commands_answer_in_tables_and_json() {
    let (_, data, _) = demo();
    let output =
        run(&["rank", "--data", data, "--unit", "YS07", "--period", "2017-06", "--as-of", "2017-07-12T23:59:59Z"]);
    assert!(output.status.success());
    let table = stdout(&output);
    assert!(table.contains("2017-06 (as of 2017-07-12T23:59:59.000000Z, event 763)"), "{table}");
    let widths: Vec<usize> = table
        .lines()
        .filter(|line| line.contains("国家税务局"))
        .map(|line| unicode_width(&line[..line.find('.').unwrap()]))
        .collect();
    assert!(widths.windows(2).all(|pair| pair[0] == pair[1]), "final scores line up by display width:\n{table}");

    let output = run(&["trace", "--data", data, "--unit", "YS07-BGS", "--period", "2017-06", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["traces"][0]["charges"][0]["indicator"], "ZG-04");
    assert_eq!(json["traces"][0]["charges"][0]["amount"], 100);

    let output = run(&["compare", "--data", data, "--unit", "YS07", "--period", "2017-Q3"]);
    assert!(stdout(&output).contains("rank 10 of 12, tier 3"), "{}", stdout(&output));
    let output =
        run(&["compare", "--data", data, "--unit", "YS07-ZGU", "--from", "2017-01", "--to", "2017-06", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let april = json["rows"].as_array().unwrap().iter().find(|row| row["period"] == "2017-04").unwrap();
    assert!(!april["repeat_problems"].as_array().unwrap().is_empty(), "ZGU's repeat flag in April");

    let output = run(&[
        "diff",
        "--data",
        data,
        "--scheme",
        "YS-2017",
        "--function-code",
        "BGS",
        "--period",
        "2017-06",
        "--from",
        "2017-07-12T23:59:59Z",
    ]);
    assert!(stdout(&output).contains("YS07-BGS"), "{}", stdout(&output));
}

/// Display width without a dependency in the test: CJK characters count two columns.
fn unicode_width(text: &str) -> usize {
    text.chars().map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 }).sum()
}

#[test]
fn bad_input_is_one_line_naming_the_flag_and_changes_nothing() {
    let (_, data, _) = demo();
    let before = head(data);
    let cases: [(&[&str], &str); 7] = [
        (&["rank", "--data", data, "--unit", "YS07", "--period", "2017-13"], "--period"),
        (&["rank", "--data", data, "--unit", "YS07", "--period", "2017-06", "--as-of", "someday"], "--as-of"),
        (&["trace", "--data", data, "--unit", "YS99", "--period", "2017-06"], "unit"),
        (&["verify", "--data", data, "--saved-head", "12:xyz"], "--saved-head"),
        (&["exec", "--data", data, "--unit", "YS", r#"{"command":"RegisterUnit","payload":{"unit":"YS13"}}"#], "name"),
        (&["token", "issue", "--data", data, "--actor", "a", "--role", "chief", "--unit", "YS"], "--role"),
        (&["verify", "--data", "/nonexistent/kpi"], "--data"),
    ];
    for (args, field) in cases {
        let output = run(args);
        assert!(!output.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first_line = stderr.lines().find(|line| line.contains("error")).unwrap_or_default();
        assert!(first_line.contains(field), "{args:?}: {stderr}");
    }
    assert_eq!(head(data), before, "no refused command appended anything");
}

#[test]
fn export_import_and_verify_round_trip_through_the_command_line() {
    let (dir, data, _) = demo();
    let export = run(&["export", "--data", data]);
    assert!(export.status.success());
    let file = dir.path().join("demo.jsonl");
    std::fs::write(&file, &export.stdout).unwrap();
    let key_file = dir.path().join("demo-key.json");
    let exported_key = run(&["key", "export", "--data", data, "--out", key_file.to_str().unwrap()]);
    assert!(exported_key.status.success(), "{}", String::from_utf8_lossy(&exported_key.stderr));
    let copy = dir.path().join("copy").to_string_lossy().into_owned();
    let imported = run(&["import", "--data", &copy, file.to_str().unwrap(), "--key-file", key_file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert_eq!(head(&copy), head(data));
    let saved_head = head(data);
    let verified = run(&["verify", "--data", &copy, "--saved-head", &saved_head]);
    assert!(
        verified.status.success(),
        "`head` prints what `verify --saved-head` takes: {saved_head}: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(Path::new(&copy).join("checkpoint-signing-key.json").exists());
    let key = |data: &str| stdout(&run(&["key", "show", "--data", data]));
    assert_eq!(key(&copy), key(data), "the key travelled with the import, deliberately");
}
