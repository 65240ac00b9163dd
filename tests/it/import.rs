//! Nothing enters through an import that the ledger could not serve or a verifier could misread
//! (issue 9): each export line is checked as an append would be — size, keys named twice, a known
//! event type whose data decodes, its own stream, a valid actor — and a refusal names the line and
//! leaves nothing behind. The signing key travels only
//! deliberately, lives in a file of its own (0600), and a missing one is refused, not replaced.

use std::path::Path;
use std::sync::Arc;

use kpi_ledger::chain::{link_hash, Hash};
use kpi_ledger::service::admin::{self, ImportKey, LedgerSettings};
use kpi_ledger::service::{CommandOptions, ManualClock, SeededIds};
use kpi_ledger::store::{Ledger, TailCheck};
use kpi_testkit::story as fixture;

/// A ledger of the article's story, its export, and its settings.
fn story(dir: &Path) -> (LedgerSettings, Vec<u8>) {
    let settings = LedgerSettings::new(dir.join("story"));
    let records = settings.open_or_create().unwrap();
    let clock = Arc::new(ManualClock::default());
    let service = records.service(clock.clone(), Arc::new(SeededIds::new("import"))).unwrap();
    for step in fixture::story() {
        clock.set(step.context.now);
        let options = CommandOptions { new_id: Some(step.context.new_id), ..CommandOptions::default() };
        service.execute(step.context.actor.clone(), &step.command, options).unwrap();
    }
    let mut exported = Vec::new();
    records.export(&mut exported, &|_| {}).unwrap();
    drop(service);
    records.close();
    (settings, exported)
}

/// The export with line `index` (0-based) given `body` and every hash from there on recomputed: a
/// correctly chained file whose only fault is that body.
fn with_body(exported: &[u8], index: usize, body: &str) -> Vec<u8> {
    let lines: Vec<&str> = std::str::from_utf8(exported).unwrap().lines().collect();
    let mut prev = Hash([0; 32]);
    let mut out = String::new();
    for (at, line) in lines.iter().enumerate() {
        let seq = at as u64 + 1;
        let original = line.split_once(",\"body\":").unwrap().1.strip_suffix('}').unwrap();
        let body = if at == index { body } else { original };
        let hash = link_hash(&prev, seq, body.as_bytes());
        out.push_str(&format!("{{\"seq\":{seq},\"prev_hash\":\"{prev}\",\"hash\":\"{hash}\",\"body\":{body}}}\n"));
        prev = hash;
    }
    out.into_bytes()
}

fn body_of(exported: &[u8], index: usize) -> String {
    let line = std::str::from_utf8(exported).unwrap().lines().nth(index).unwrap();
    line.split_once(",\"body\":").unwrap().1.strip_suffix('}').unwrap().to_owned()
}

fn import(dir: &Path, name: &str, file: &[u8]) -> Result<(), String> {
    let settings = LedgerSettings::new(dir.join(name));
    admin::import_export(&settings, &mut &file[..], &ImportKey::New, &|_| {}).map(drop)
}

#[test]
fn a_correctly_chained_file_with_a_body_an_append_would_refuse_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let (_, exported) = story(dir.path());
    assert!(import(dir.path(), "whole", &exported).is_ok(), "the genuine export imports");
    let unit = body_of(&exported, 0);
    let data_at = unit.find("\"data\":{").unwrap() + "\"data\":{".len();
    let cases: Vec<(String, &str)> = vec![
        // A body over the limit: padding inside a name keeps it valid JSON of a valid event.
        (unit.replacen("\"name\":\"", &format!("\"name\":\"{}", "x".repeat(65_600 - unit.len())), 1), "65536"),
        // The same key twice inside `data`: serde_json would keep the last, another reader the first.
        (format!("{}\"unit\":\"YS99\",{}", &unit[..data_at], &unit[data_at..]), "duplicate key"),
        (unit.replacen("\"type\":\"UnitRegistered\"", "\"type\":\"UnitAbolished\"", 1), "unknown event type"),
        (unit.replacen("\"stream\":\"unit-YS\"", "\"stream\":\"unit-YS99\"", 1), "body.stream"),
        (unit.replacen("\"schema_version\":1", "\"schema_version\":7", 1), "schema version"),
        (unit.replacen("\"role\":\"admin\"", "\"role\":\"emperor\"", 1), "emperor"),
        (unit.replacen("\"level\":\"city\"", "\"level\":\"empire\"", 1), "body.data"),
    ];
    for (index, (body, expected)) in cases.into_iter().enumerate() {
        assert_ne!(body, unit, "case {index} changes the body");
        let name = format!("case-{index}");
        let error = import(dir.path(), &name, &with_body(&exported, 0, &body)).unwrap_err();
        assert!(error.contains("line 1:") && error.contains(expected), "case {index}: {error}");
        assert!(!dir.path().join(&name).exists(), "case {index}: a refused import leaves nothing behind");
        assert!(!dir.path().join(format!(".{name}.importing")).exists());
    }
}

#[test]
fn export_lines_must_be_canonical_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (_, exported) = story(dir.path());
    let text = String::from_utf8(exported.clone()).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (text.replacen("{\"seq\":1,", "{\"seq\": 1,", 1).into_bytes(), "canonical"),
        (text.replacen("\n", "\r\n", 1).into_bytes(), "CR LF"),
        (exported[..exported.len() - 1].to_vec(), "no newline"),
        (text.replacen("\"seq\":1,", "\"seq\":1,\"seq\":1,", 1).into_bytes(), "line 1"),
    ];
    for (index, (file, expected)) in cases.into_iter().enumerate() {
        let error = import(dir.path(), &format!("canonical-{index}"), &file).unwrap_err();
        assert!(error.contains(expected), "case {index}: {error}");
    }
}

#[test]
fn an_import_needs_a_key_said_outright_and_keeps_the_one_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let (settings, exported) = story(dir.path());
    let key_copy = dir.path().join("keys/story.json");
    let public_key = admin::export_key(&settings, &key_copy).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a copy of the secret is readable by its owner only");
    }
    let restored = LedgerSettings::new(dir.path().join("restored"));
    admin::import_export(&restored, &mut exported.as_slice(), &ImportKey::File(key_copy.clone()), &|_| {}).unwrap();
    let ledger = restored.open_to_read(TailCheck::Skip).unwrap();
    assert_eq!(ledger.key().public_key.unwrap(), public_key, "checkpoints stay verifiable");
    drop(ledger);

    let renewed = LedgerSettings::new(dir.path().join("renewed"));
    admin::import_export(&renewed, &mut exported.as_slice(), &ImportKey::New, &|_| {}).unwrap();
    let ledger = renewed.open_to_read(TailCheck::Skip).unwrap();
    assert_ne!(ledger.key().public_key.unwrap(), public_key, "a new key, said outright");
    drop(ledger);

    // The key may live outside the data directory, where the setting says.
    let apart = LedgerSettings {
        data: dir.path().join("apart"),
        signing_key_file: Some(dir.path().join("secrets/apart-key.json")),
        cache_mib: None,
    };
    admin::import_export(&apart, &mut exported.as_slice(), &ImportKey::File(key_copy), &|_| {}).unwrap();
    assert!(apart.key_path().exists() && !apart.data.join("checkpoint-signing-key.json").exists());
    apart.open_existing(TailCheck::Skip).unwrap();
}

#[test]
fn a_missing_key_is_refused_with_the_way_back_and_never_silently_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (settings, _) = story(dir.path());
    let backup = dir.path().join("backup.json");
    let public_key = admin::export_key(&settings, &backup).unwrap();
    std::fs::remove_file(settings.key_path()).unwrap();

    let error = settings.open_existing(TailCheck::Skip).map(drop).unwrap_err().to_string();
    assert!(error.contains("signing key file") && error.contains("key import"), "{error}");
    assert!(!settings.key_path().exists(), "no new key was made");
    // Reading and verifying need no secret: an auditor's copy without the key still verifies.
    let ledger = settings.open_to_read(TailCheck::Skip).unwrap();
    ledger.verify(None, &|_| {}).unwrap();
    assert_eq!(ledger.key().public_key.unwrap(), public_key, "the public half is in the ledger");
    let refused = ledger.checkpoint(kpi_ledger::domain::Timestamp::UNIX_EPOCH).unwrap_err().to_string();
    assert!(refused.contains("key import"), "{refused}");
    drop(ledger);

    let foreign = LedgerSettings::new(dir.path().join("foreign"));
    foreign.open_or_create().unwrap().close();
    let foreign_key = dir.path().join("foreign-key.json");
    admin::export_key(&foreign, &foreign_key).unwrap();
    let error = admin::import_key(&settings, &foreign_key).unwrap_err();
    assert!(error.contains("signs with"), "another ledger's key is refused: {error}");
    assert!(!settings.key_path().exists());
    admin::import_key(&settings, &backup).unwrap();
    settings.open_existing(TailCheck::Skip).unwrap();
}

#[test]
fn an_imported_ledger_opens_with_its_own_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let (_, exported) = story(dir.path());
    let settings = LedgerSettings::new(dir.path().join("imported"));
    admin::import_export(&settings, &mut exported.as_slice(), &ImportKey::New, &|_| {}).unwrap();
    let ledger = Ledger::open(&settings.data).unwrap();
    assert_eq!(ledger.head().seq as usize, std::str::from_utf8(&exported).unwrap().lines().count());
}
