//! The command line as a user runs it: the demo tells the story, the reading commands answer with
//! aligned tables or JSON, and bad input gets one clear line naming the flag and a non-zero exit,
//! with the ledger unchanged (issue 5).

use std::path::Path;
use std::process::{Command, Output};

use crate::demo_run::{demo, run, stdout, BINARY, TURN};

fn head(data: &str) -> String {
    stdout(&run(&["head", "--data", data])).trim_end().to_owned()
}

#[test]
fn the_demo_tells_the_story() {
    let (_, _, text) = demo();
    let line_of =
        |needle: &str| text.lines().find(|line| line.contains(needle)).unwrap_or_else(|| panic!("{needle}:\n{text}"));
    assert!(line_of("history imported on").contains("admin.ys"));
    assert!(line_of("2016: ").contains("lines →"), "the history years imported");
    assert!(line_of("2017 lived up to").contains("commands →"));
    let headline = line_of("The story of 2016: YS07");
    for claim in ["tier 3 in Q1", "tier 3 in Q2", "tier 3 in Q3", "tier 2 for the year"] {
        assert!(headline.contains(claim), "{claim}: {headline}");
    }
    assert!(text.contains("ranking of YS-2016 assessed units, 2016-Q3"));
    let rows: Vec<&str> = text.lines().filter(|line| line.contains("YS07  丙县国家税务局")).collect();
    assert!(rows[0].trim_start().starts_with("11     3"), "YS07 rank 11, tier 3 in Q2: {}", rows[0]);
    assert!(rows[1].trim_start().starts_with("11     3"), "YS07 rank 11, tier 3 in Q3: {}", rows[1]);
    assert!(rows[2].trim_start().starts_with("8     2"), "YS07 rank 8, tier 2 for the year: {}", rows[2]);
    assert!(line_of("trace of YS07 丙县国家税务局 for 2016-06").contains("every lost point accounted for"));
    assert!(line_of("cause: YS07-BGS").contains("event"));
    assert!(line_of("decided Partial").contains("1.00 restored"));
    assert!(line_of("YS07-BGS 办公室: 99.73 → 89.07").contains("CauseAttributed"));
    assert!(line_of("intact:").contains("events verified"));
    // The demo leaves a snapshot at its head: the commands it suggests fold no event again.
    let head_seq = line_of("intact:").split("head ").nth(1).unwrap().split(':').next().unwrap();
    let snapshot = std::path::Path::new(&demo().1).join("snapshots").join(format!("{head_seq:0>20}.snapshot"));
    assert!(snapshot.is_file(), "no snapshot at the head: {}", snapshot.display());
    // The closing hint runs as printed, from where the demo ran.
    let hint = line_of("check it yourself: ").split("check it yourself: ").nth(1).unwrap();
    let words: Vec<&str> = hint.split(' ').collect();
    assert!(std::path::Path::new(words[0]).is_file(), "the hint names the binary that ran: {hint}");
    let verified = std::process::Command::new(words[0]).args(&words[1..]).output().unwrap();
    assert!(verified.status.success(), "{hint}: {}", String::from_utf8_lossy(&verified.stderr));
}

#[test]
fn reading_commands_answer_in_tables_and_json() {
    let (_, data, _) = demo();
    let output =
        run(&["rank", "--data", data, "--unit", "YS07", "--period", "2016-06", "--as-of", "2016-07-12T23:59:59Z"]);
    assert!(output.status.success());
    let table = stdout(&output);
    assert!(table.contains("2016-06 (as of 2016-07-12T23:59:59.000000Z, event 9724)"), "{table}");
    let widths: Vec<usize> = table
        .lines()
        .filter(|line| line.contains("国家税务局"))
        .map(|line| unicode_width(&line[..line.find('.').unwrap()]))
        .collect();
    assert!(widths.windows(2).all(|pair| pair[0] == pair[1]), "final scores line up by display width:\n{table}");

    let output = run(&["trace", "--data", data, "--unit", "YS07-BGS", "--period", "2016-06", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["traces"][0]["charges"][0]["indicator"], "ZG-04");
    assert_eq!(json["traces"][0]["charges"][0]["amount"], 100);

    let output = run(&["compare", "--data", data, "--unit", "YS07", "--period", "2016-Q3"]);
    assert!(stdout(&output).contains("rank 11 of 12, tier 3"), "{}", stdout(&output));
    let output =
        run(&["compare", "--data", data, "--unit", "YS07-ZGU", "--from", "2016-01", "--to", "2016-06", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let april = json["rows"].as_array().unwrap().iter().find(|row| row["period"] == "2016-04").unwrap();
    assert!(!april["repeat_problems"].as_array().unwrap().is_empty(), "ZGU's repeat flag in April");

    let output = run(&[
        "diff",
        "--data",
        data,
        "--scheme",
        "YS-2016",
        "--function-code",
        "BGS",
        "--period",
        "2016-06",
        "--from",
        "2016-07-12T23:59:59Z",
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

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A refusal: non-zero exit, and the error line names `field`.
fn assert_refused(output: &Output, field: &str) {
    assert!(!output.status.success(), "should fail: {}", stdout(output));
    let text = stderr(output);
    let line = text.lines().find(|line| line.starts_with("error")).unwrap_or_default();
    assert!(line.contains(field), "the error names {field}: {text}");
}

#[test]
fn vertical_comparisons_compare_periods_of_the_kind_asked_for() {
    let (_, data, _) = demo();
    let rows = |from: &str, to: &str| -> Vec<String> {
        let output = run(&["compare", "--data", data, "--unit", "YS07", "--from", from, "--to", to, "--json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json["rows"].as_array().unwrap().iter().map(|row| row["period"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(rows("2016-Q1", "2016-Q4"), ["2016-Q1", "2016-Q2", "2016-Q3", "2016-Q4"]);
    assert_eq!(rows("2016-H1", "2016-H2"), ["2016-H1", "2016-H2"]);
    assert_eq!(rows("2016", "2016"), ["2016"]);
    assert_eq!(rows("2016-Q2", "2016-Q2"), ["2016-Q2"]);
    assert_eq!(rows("2016-02", "2016-04"), ["2016-02", "2016-03", "2016-04"]);
    let text = stdout(&run(&["compare", "--data", data, "--unit", "YS07", "--from", "2016-Q1", "--to", "2016-Q4"]));
    assert!(text.contains("YS07 丙县国家税务局 across periods") && text.contains("2016-Q4"), "{text}");
    assert_refused(
        &run(&["compare", "--data", data, "--unit", "YS07", "--from", "2016-Q1", "--to", "2016-06"]),
        "--to",
    );
    assert_refused(
        &run(&["compare", "--data", data, "--unit", "YS07", "--from", "2016-Q3", "--to", "2016-Q1"]),
        "--to",
    );
}

#[test]
fn a_diff_shows_every_unit_whose_score_changed_with_the_events() {
    let (_, data, _) = demo();
    let args = ["diff", "--data", data, "--unit", "YS07", "--period", "2016-06", "--from", "2016-07-12T23:59:59Z"];
    let output = run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(!text.contains("no unit"), "{text}");
    let row = text.lines().find(|line| line.contains("YS07") && line.contains("丙县国家税务局")).expect(&text);
    let finals: Vec<&str> = row.split_whitespace().filter(|cell| cell.contains('.')).collect();
    assert!(finals.len() >= 2 && finals[0] != finals[1], "YS07's final moved: {row}");
    assert!(text.contains("AppealDecided"), "the appeal decision that moved it is named: {text}");
}

#[test]
fn an_exec_batch_is_all_or_nothing() {
    let (dir, data, _) = demo();
    let copy = dir.path().join("batch").to_string_lossy().into_owned();
    copy_ledger(data, &copy);
    let before = head(&copy);
    let good =
        r#"{"command":"RegisterUnit","payload":{"unit":"YS13","name":"乙市第13县","level":"county","parent":"YS"}}"#;
    let bad = r#"{"command":"RegisterUnit","payload":{"unit":"YS14","level":"county","parent":"YS"}}"#;
    let mut child = Command::new(BINARY)
        .args(["exec", "--data", &copy, "--unit", "YS", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), format!("{good}\n{bad}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_refused(&output, "command 2");
    assert_eq!(head(&copy), before, "the first command was not written either");
    let output = run(&["exec", "--data", &copy, "--unit", "YS", good, good]);
    assert_refused(&output, "command 2");
    assert_eq!(head(&copy), before);
}

/// Copies a closed ledger's directory (the demo's, between tests).
fn copy_ledger(from: &str, to: &str) {
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    std::fs::create_dir_all(to).unwrap();
    for entry in walk(Path::new(from)) {
        let relative = entry.strip_prefix(from).unwrap();
        let target = Path::new(to).join(relative);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn as_of_points_are_checked_and_a_date_is_the_end_of_that_day_in_the_ledger_zone() {
    let (_, data, _) = demo();
    let beyond = run(&["rank", "--data", data, "--unit", "YS07", "--period", "2017-06", "--as-of", "99999"]);
    assert_refused(&beyond, "as_of");
    assert!(stderr(&beyond).contains("beyond the head"), "{}", stderr(&beyond));
    let by_date =
        run(&["rank", "--data", data, "--unit", "YS07", "--period", "2017-06", "--as-of", "2017-07-12", "--json"]);
    assert!(by_date.status.success(), "{}", stderr(&by_date));
    let json: serde_json::Value = serde_json::from_slice(&by_date.stdout).unwrap();
    assert_eq!(json["as_of_instant"], "2017-07-12T15:59:59.999999Z", "the end of 12 July in UTC+08:00");
    let by_instant = run(&[
        "rank",
        "--data",
        data,
        "--unit",
        "YS07",
        "--period",
        "2017-06",
        "--as-of",
        "2017-07-12T23:59:59.999999+08:00",
        "--json",
    ]);
    let same: serde_json::Value = serde_json::from_slice(&by_instant.stdout).unwrap();
    assert_eq!(same["as_of_seq"], json["as_of_seq"]);
}

#[test]
fn piping_into_a_reader_that_stops_early_ends_quietly() {
    let (_, data, _) = demo();
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for args in [
        vec!["export", "--data", data.as_str()],
        vec!["trace", "--data", data.as_str(), "--unit", "YS07", "--period", "2017"],
    ] {
        let mut child = Command::new(BINARY)
            .args(&args)
            .env("RUST_LOG", "debug")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 64];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let text = stderr(&output);
        assert!(output.status.success(), "{args:?} exits quietly when its reader stops: {text}");
        assert!(!text.contains("panicked") && !text.contains("Broken pipe"), "{text}");
        assert!(!text.contains('\u{1b}'), "no colour codes in a log that is not a terminal: {text}");
    }
}

#[test]
fn the_data_directory_may_come_from_the_environment() {
    let (_, data, _) = demo();
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let output = Command::new(BINARY).args(["head"]).env("KPI_LEDGER_DATA", data).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    drop(_turn);
    assert_eq!(stdout(&output).trim_end(), head(data));
}

#[test]
fn answers_name_units_and_print_no_empty_lines() {
    let (_, data, _) = demo();
    let text =
        stdout(&run(&["rank", "--data", data, "--scheme", "YS-2016", "--function-code", "BGS", "--period", "2016-06"]));
    let row = text.lines().find(|line| line.contains("YS07-BGS")).expect(&text);
    assert!(row.contains("办公室") && row.contains("YS07 丙县国家税务局"), "a section is shown with its county: {row}");
    let trace = stdout(&run(&["trace", "--data", data, "--unit", "YS07", "--period", "2016-06"]));
    assert!(!trace.contains("−0.00") && !trace.contains("-0.00"), "{trace}");
    assert!(trace.contains("cause: YS07-BGS 办公室"), "{trace}");
}

/// Reading commands work while a server holds the ledger, through it, with the same output.
#[test]
fn reading_commands_go_through_a_running_server() {
    let (dir, data, _) = demo();
    let copy = dir.path().join("served").to_string_lossy().into_owned();
    copy_ledger(data, &copy);
    let reads: [&[&str]; 5] = [
        &["rank", "--data", &copy, "--unit", "YS07", "--period", "2017-Q3"],
        &["trace", "--data", &copy, "--unit", "YS07", "--period", "2017-06", "--json"],
        &["compare", "--data", &copy, "--unit", "YS07", "--from", "2017-Q1", "--to", "2017-Q3"],
        &["head", "--data", &copy],
        &["export", "--data", &copy],
    ];
    let offline: Vec<Vec<u8>> = reads.iter().map(|args| run(args).stdout).collect();
    let mut server = Command::new(BINARY)
        .args(["serve", "--data", &copy, "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut line).unwrap();
    assert!(line.starts_with("listening on http://"), "{line}");
    for (args, expected) in reads.iter().zip(&offline) {
        let output = run(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert_eq!(&output.stdout, expected, "{args:?} prints the same through the server");
    }
    let verified = run(&["verify", "--data", &copy]);
    assert!(verified.status.success() && stdout(&verified).contains("chain intact"), "{}", stderr(&verified));
    let write = run(&[
        "exec",
        "--data",
        &copy,
        "--unit",
        "YS",
        r#"{"command":"RenameUnit","payload":{"unit":"YS01","name":"x"}}"#,
    ]);
    assert_refused(&write, "held by a server");
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Appends, as an older version of the program would have accepted it, an event renaming `unit` to
/// `name` — the rules refuse such a name now, so it is sealed here directly after the ledger's head.
fn append_rename_as_an_old_ledger_could_hold(data: &str, unit: &str, name: &str) {
    use kpi_ledger::domain::{event::UnitRenamed, Event, RecordedBy, Role, UnitCode};
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let ledger = kpi_ledger::store::Ledger::open(Path::new(data)).unwrap();
    let event = Event::UnitRenamed(UnitRenamed { unit: UnitCode::new(unit).unwrap(), name: name.to_owned() });
    let head = ledger.head();
    let mut chain = kpi_ledger::chain::Chain::at(head);
    let stream = event.stream_id();
    chain.learn_stream_version(&stream, ledger.stream_version(&stream).unwrap());
    let recorded_by = RecordedBy { id: "admin.ys".to_owned(), role: Role::Admin };
    let stamp = kpi_ledger::chain::Stamp {
        event_id: uuid::Uuid::from_u128(0x0170_0000_0000_7000_8000_0000_dead_beef),
        recorded_at: head.recorded_at,
        recorded_by: &recorded_by,
        command_id: None,
        correlation_id: None,
        imported: None,
    };
    let (sealed, _) = chain.append(&event, stamp).unwrap();
    ledger.append(kpi_ledger::store::SealedAppend { events: vec![sealed], command: None }).unwrap();
}

/// Every character but the line feed that `domain::ids::hidden_character` names.
fn hidden_characters_in(text: &str) -> Vec<char> {
    text.chars().filter(|c| *c != '\n' && kpi_ledger::domain::ids::hidden_character(*c).is_some()).collect()
}

#[test]
fn a_stored_name_cannot_forge_rows_in_what_the_command_line_prints() {
    let (dir, data, _) = demo();
    let copy = dir.path().join("forged").to_string_lossy().into_owned();
    copy_ledger(data, &copy);
    let rank = ["rank", "--data", &copy, "--unit", "YS07", "--period", "2017-06"];
    let before = stdout(&run(&rank));
    let forged = "x\u{1b}[2K\r…\nYS99 injected row\u{202e}";
    append_rename_as_an_old_ledger_could_hold(&copy, "YS01", forged);

    let output = run(&rank);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), before.lines().count(), "no row added or lost:\n{text}");
    assert!(hidden_characters_in(&text).is_empty(), "nothing acts on the terminal: {text:?}");
    let row = text.lines().find(|line| line.contains("YS01")).expect(&text);
    assert!(row.contains(r"x\u{1b}[2K\r…\nYS99 injected row\u{202e}"), "the name shows escaped, on its row: {row}");
    assert!(!text.lines().any(|line| line.trim_start().starts_with("YS99")), "{text}");

    // In a line of text too, and in JSON: the same name, escaped so that it reads back as stored.
    let compare = stdout(&run(&["compare", "--data", &copy, "--unit", "YS01", "--period", "2017-06"]));
    assert!(compare.lines().next().unwrap().starts_with(r"YS01 x\u{1b}[2K\r…\nYS99 injected row\u{202e} in 2017-06"));
    assert!(hidden_characters_in(&compare).is_empty(), "{compare:?}");
    let json = run(&["rank", "--data", &copy, "--unit", "YS07", "--period", "2017-06", "--json"]).stdout;
    let json_text = String::from_utf8(json).unwrap();
    assert!(hidden_characters_in(&json_text).is_empty(), "{json_text:?}");
    assert!(json_text.contains(r"\u202e"), "{json_text}");
    serde_json::from_str::<serde_json::Value>(&json_text).expect("--json stays JSON");

    // New input of that kind is refused, naming the field and the character.
    let rename = serde_json::json!({"command": "RenameUnit", "payload": {"unit": "YS02", "name": forged}}).to_string();
    let output = run(&["exec", "--data", &copy, "--unit", "YS", &rename]);
    assert_refused(&output, "name: contains the control character U+001B at position 2");
}

/// A month of 2018 under way on a copy of the demo ledger: scheme YS-2018 with a tiered and a deduct
/// indicator, January opened and one deduction recorded for YS01, no tier award yet.
fn a_month_under_way(name: &str) -> String {
    let (dir, data, _) = demo();
    let copy = dir.path().join(name).to_string_lossy().into_owned();
    copy_ledger(data, &copy);
    let scheme = r#"{"command":"OpenScheme","payload":{"issuer":"YS","year":2018,"unit_tier_rule":{"kind":"counts","counts":[4,5,3]}}}"#;
    let tiered = r#"{"command":"DefineIndicator","payload":{"scheme":"YS-2018","indicator":"ZGU-02","name":"revenue","points_max":600,"method":{"kind":"tiered","tiers":[{"standard":"done","share_per_mille":1000},{"standard":"short","share_per_mille":0}]},"assessor":"YS"}}"#;
    let deduct = r#"{"command":"DefineIndicator","payload":{"scheme":"YS-2018","indicator":"BGS-01","name":"filing","points_max":400,"method":{"kind":"deduct"},"assessor":"YS"}}"#;
    let january = r#"{"command":"OpenPeriod","payload":{"scheme":"YS-2018","period":"2018-01"}}"#;
    let output = run(&["exec", "--data", &copy, "--unit", "YS", scheme, tiered, deduct, january]);
    assert!(output.status.success(), "{}", stderr(&output));
    let deduction = r#"{"command":"RecordDeduction","payload":{"scheme":"YS-2018","period":"2018-01","unit":"YS01","indicator":"BGS-01","points":100,"reason":"late","problem_category":"late_submission"}}"#;
    let output = run(&["exec", "--data", &copy, "--unit", "YS", "--role", "assessor", deduction]);
    assert!(output.status.success(), "{}", stderr(&output));
    copy
}

#[test]
fn roll_ups_count_open_months_only_when_provisional_and_say_so() {
    let copy = a_month_under_way("provisional");
    let month = stdout(&run(&["rank", "--data", &copy, "--unit", "YS07", "--period", "2018-01"]));
    assert!(month.contains("provisional: counts 2018-01 not yet published"), "an open month is shown, marked: {month}");
    assert!(month.contains("unassessed: 12 tiered indicator(s) without a tier award yet"), "{month}");
    let quarter = stdout(&run(&["rank", "--data", &copy, "--unit", "YS07", "--period", "2018-Q1"]));
    assert!(quarter.contains("unranked: YS01") && !quarter.contains("provisional"), "published months only: {quarter}");
    let provisional =
        stdout(&run(&["rank", "--data", &copy, "--unit", "YS07", "--period", "2018-Q1", "--provisional"]));
    let row = provisional.lines().find(|line| line.contains("YS01")).expect(&provisional);
    assert!(row.trim_start().starts_with("12"), "YS01 lost a point: last of twelve: {row}");
    assert!(provisional.contains("provisional: counts 2018-01 not yet published"), "{provisional}");
    let json = run(&["rank", "--data", &copy, "--unit", "YS07", "--period", "2018", "--provisional", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["provisional_periods"], serde_json::json!(["2018-01"]));
    assert_eq!(json["unassessed_indicators"], 12);
    let compared = stdout(&run(&[
        "compare",
        "--data",
        &copy,
        "--unit",
        "YS01",
        "--from",
        "2018-Q1",
        "--to",
        "2018-Q1",
        "--provisional",
    ]));
    assert!(
        compared.contains("2018-Q1 (provisional)") && compared.contains("provisional: counts 2018-01"),
        "{compared}"
    );
    let refused = run(&["trace", "--data", &copy, "--unit", "YS01", "--period", "2018-Q1"]);
    assert_refused(&refused, "--provisional");
    let traced = stdout(&run(&["trace", "--data", &copy, "--unit", "YS01", "--period", "2018-Q1", "--provisional"]));
    assert!(traced.contains("trace of YS01") && traced.contains("provisional: counts 2018-01"), "{traced}");
}

#[test]
fn publication_is_refused_while_a_tiered_indicator_has_no_award() {
    let copy = a_month_under_way("unawarded");
    let before = head(&copy);
    let publish = r#"{"command":"PublishResults","payload":{"scheme":"YS-2018","period":"2018-01"}}"#;
    let output = run(&["exec", "--data", &copy, "--unit", "YS", "--role", "committee", publish]);
    assert_refused(&output, "period: 2018-01 cannot be published: 12 applicable tiered indicator(s)");
    assert!(stderr(&output).contains("YS01 ZGU-02, YS02 ZGU-02"), "{}", stderr(&output));
    assert_eq!(head(&copy), before);
}

#[test]
fn rankings_and_comparisons_come_as_csv_or_xlsx_files() {
    use calamine::Reader;
    let (dir, data, _) = demo();
    let rank = ["rank", "--data", data, "--unit", "YS07", "--period", "2016-Q3"];
    let json = run(&[&rank[..], &["--json"]].concat());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let standings = json["standings"].as_array().unwrap();
    let csv = run(&[&rank[..], &["--format", "csv"]].concat());
    assert!(csv.status.success(), "{}", stderr(&csv));
    let text = stdout(&csv);
    let text = text.strip_prefix('\u{feff}').expect("a byte-order mark, for Excel");
    let lines: Vec<&str> = text.split("\r\n").filter(|line| !line.is_empty()).collect();
    assert!(lines[0].starts_with("排名,等次,单位代码,单位名称"), "{}", lines[0]);
    assert_eq!(lines.len(), 1 + standings.len());
    let ys07 = lines.iter().find(|line| line.contains(",YS07,")).unwrap();
    assert!(ys07.starts_with("11,3,YS07,丙县国家税务局,95.85"), "{ys07}");

    let out = dir.path().join("horizontal.xlsx");
    let out_text = out.to_str().unwrap();
    let compare = ["compare", "--data", data, "--unit", "YS07", "--period", "2016-Q3", "--format", "xlsx"];
    assert_refused(&run(&compare), "--out");
    let written = run(&[&compare[..], &["--out", out_text]].concat());
    assert!(written.status.success(), "{}", stderr(&written));
    let workbook: calamine::Xlsx<_> = calamine::open_workbook(&out).expect("an XLSX file");
    assert!(workbook.sheet_names().len() >= 2, "{:?}", workbook.sheet_names());

    let trace = ["trace", "--data", data, "--unit", "YS07", "--period", "2016-06", "--format", "csv"];
    assert_refused(&run(&trace), "--format");
    assert_refused(&run(&[&rank[..], &["--format", "pdf"]].concat()), "--format");
    assert_refused(&run(&[&rank[..], &["--format", "csv", "--json"]].concat()), "--json");
}

/// `rank --scheme` ranks a county's sections in the county's own scheme: YS07's six sections for
/// September 2016, as published (the law section last, criticised) and after its appeal was upheld.
#[test]
fn a_county_ranks_its_own_sections_in_its_own_scheme() {
    let (_, data, _) = demo();
    let args = |as_of: Option<&'static str>| {
        let mut args = vec!["rank", "--data", data.as_str(), "--scheme", "YS07-2016", "--period", "2016-09"];
        args.extend(as_of.map(|date| ["--as-of", date]).into_iter().flatten());
        args
    };
    let row_of = |text: &str, section: &str| {
        let row = text.lines().find(|line| line.contains(section)).unwrap_or_else(|| panic!("{section}: {text}"));
        row.split_whitespace().take(2).map(str::to_owned).collect::<Vec<_>>()
    };
    let published = stdout(&run(&args(Some("2016-10-13"))));
    assert!(published.contains("ranking of YS07-2016 assessed units, 2016-09"), "{published}");
    let sections = ["YS07-BGS", "YS07-ZGG", "YS07-ZGU", "YS07-SZG", "YS07-NFG", "YS07-FGG"];
    for section in sections {
        row_of(&published, section);
    }
    assert_eq!(row_of(&published, "YS07-FGG"), ["6", "3"], "last and tier 3 as published: {published}");
    let now = stdout(&run(&args(None)));
    assert_eq!(row_of(&now, "YS07-FGG"), ["1", "1"], "first once its appeal was upheld: {now}");
    assert!(!now.contains("YS01"), "only YS07's own sections: {now}");
}
