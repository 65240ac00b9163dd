//! The built kpi-verify binary against files made by hand from docs/FORMAT.md: a valid set verifies,
//! and every way a file can be malformed, ambiguous or forged is refused with exit status 1 and a
//! message on stderr that names the problem; bad command lines exit with 2.

mod support;

use serde_json::{json, Value};
use support::*;

/// Replaces the first `from` in `text` and insists there was one, so a test cannot pass vacuously.
fn replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} not in {text:?}");
    text.replacen(from, to, 1)
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

#[test]
fn a_valid_export_checkpoint_bundle_and_consistency_set_verifies() {
    let dir = Dir::new("valid");
    let key = key_hex();
    let events = chain(13);
    let export = dir.write("export.jsonl", export(&events));
    let checkpoint = dir.write("checkpoint.json", serde_json::to_vec_pretty(&checkpoint(&events, 13)).unwrap());
    let older = dir.json("older.json", &support::checkpoint(&events, 5));

    let run_ok = run(&["export", &export]);
    assert_ok(&run_ok);
    assert!(run_ok
        .stdout
        .contains(&format!("13 events, every hash and link verified, head 13:{}", hex::encode(events[12].hash))));
    assert_ok(&run(&["export", &export, "--key", &key, "--checkpoint", &checkpoint]));
    // A checkpoint of an earlier size is checked at its own size; the rest of the export still verifies.
    assert_ok(&run(&["export", &export, "--checkpoint", &older, "--key", &key]));
    assert_ok(&run(&["checkpoint", &checkpoint, "--key", &key]));

    let bundle = dir.json("bundle.json", &bundle(&events, &[1, 2, 3, 7, 13], 13));
    let run_ok = run(&["bundle", &bundle, "--key", &key]);
    assert_ok(&run_ok);
    assert!(run_ok.stdout.contains("5 events included in the signed tree of size 13"), "{run_ok:?}");
    assert_ok(&run(&["bundle", &dir.json("b5.json", &support::bundle(&events, &[2, 5], 5)), "--key", &key]));

    for (old_size, new_size) in [(5, 13), (1, 13), (8, 13), (12, 13), (13, 13), (1, 2), (4, 8)] {
        let old = dir.json("old.json", &support::checkpoint(&events, old_size));
        let new = dir.json("new.json", &support::checkpoint(&events, new_size));
        let proof = dir.json("proof.json", &consistency_file(&events, old_size, new_size));
        assert_ok(&run(&["consistency", "--key", &key, "--old", &old, "--new", &new, "--proof", &proof]));
    }
}

#[test]
fn empty_exports_and_bundles_are_valid() {
    let dir = Dir::new("empty");
    let key = key_hex();
    let empty = dir.write("empty.jsonl", "");
    let run_ok = run(&["export", &empty]);
    assert_ok(&run_ok);
    assert!(run_ok.stdout.contains("0 events"), "{run_ok:?}");
    let zero = dir.json("zero.json", &checkpoint(&[], 0));
    assert_ok(&run(&["export", &empty, "--key", &key, "--checkpoint", &zero]));
    assert_ok(&run(&["checkpoint", &zero, "--key", &key]));

    let events = chain(3);
    let bundle = dir.json("bundle.json", &bundle(&events, &[], 3));
    assert_ok(&run(&["bundle", &bundle, "--key", &key]));
    let bundle = dir.json("zero-bundle.json", &json!({"checkpoint": checkpoint(&[], 0), "events": []}));
    assert_ok(&run(&["bundle", &bundle, "--key", &key]));

    // A size-0 checkpoint still has to state the empty tree: the zero head and blake3("").
    let mut wrong = checkpoint(&[], 0);
    wrong["head_hash"] = json!(hex::encode(events[0].hash));
    let wrong = dir.json("wrong-zero.json", &sign(wrong));
    assert_failed(&run(&["checkpoint", &wrong, "--key", &key]), &["tree_size is 0 but head_hash"]);
}

#[test]
fn a_bundle_passed_through_re_serialisation_still_verifies() {
    let dir = Dir::new("reserialised");
    let key = key_hex();
    let events = chain(6);
    assert!(String::from_utf8_lossy(&events[1].body).contains(r#"caf\u00e9 \"Ø\""#));
    let original = compact(&bundle(&events, &[1, 2, 3, 6], 6));
    // As jq or Python would: parse, then pretty-print with other spacing (and, here, escaped non-ASCII).
    let value: Value = serde_json::from_str(&original).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    assert_ne!(pretty, original);
    assert_ok(&run(&["bundle", &dir.write("pretty.json", &pretty), "--key", &key]));
    let escaped = pretty.replace('Ø', "\\u00d8");
    assert_ne!(escaped, pretty);
    assert_ok(&run(&["bundle", &dir.write("escaped.json", &escaped), "--key", &key]));
    // Nested in a bigger answer, as the trace API returns it, and cut out again.
    let answer = json!({"unit": "YS07", "proofs": value});
    let cut: Value = serde_json::from_str(&serde_json::to_string_pretty(&answer).unwrap()).unwrap();
    assert_ok(&run(&["bundle", &dir.json("cut.json", &cut["proofs"]), "--key", &key]));
}

#[test]
fn duplicate_keys_are_refused_everywhere_and_named_by_path() {
    let dir = Dir::new("duplicates");
    let key = key_hex();
    let events = chain(3);
    let text = String::from_utf8(export(&events)).unwrap();

    let header = replace(&text, r#"{"seq":2,"#, r#"{"seq":2,"seq":2,"#);
    assert_failed(&run(&["export", &dir.write("h1.jsonl", header)]), &["line 2", "duplicate key seq"]);
    // The parser-differential attack: a last-wins reader would see seq 1 here; the canonical header says 9999.
    let first = String::from_utf8(export_line(&events[0])).unwrap();
    let attack = replace(&replace(&first, r#"{"seq":1,"#, r#"{"seq":9999,"#), "}}\n", "},\"seq\":1}\n");
    assert_failed(&run(&["export", &dir.write("h2.jsonl", attack)]), &["line 1", "duplicate key seq"]);

    // A body with a duplicate key, its hashes right: only the duplicate check can refuse it.
    let bodies = vec![body(1), br#"{"data":{"points":100,"points":0},"type":"x"}"#.to_vec()];
    let forged = chain_of(bodies);
    let run_dup = run(&["export", &dir.write("b.jsonl", export(&forged))]);
    assert_failed(&run_dup, &["line 2", "duplicate key body.data.points"]);

    let bundle = compact(&bundle(&events, &[2], 3));
    let doubled = replace(&bundle, r#""seq":2"#, r#""seq":9999,"seq":2"#);
    assert_failed(
        &run(&["bundle", &dir.write("bundle.json", doubled), "--key", &key]),
        &["duplicate key events[0].seq"],
    );
    let forged_bundle = support::bundle(&forged, &[2], 2);
    let run_dup = run(&["bundle", &dir.json("forged.json", &forged_bundle), "--key", &key]);
    assert_failed(&run_dup, &["event 2", "body_text", "duplicate key data.points"]);

    let cp = compact(&checkpoint(&events, 3));
    let doubled = replace(&cp, "{", r#"{"tree_size":1,"#);
    assert_failed(&run(&["checkpoint", &dir.write("cp.json", doubled), "--key", &key]), &["duplicate key tree_size"]);

    let proof = compact(&consistency_file(&events, 1, 3));
    let doubled = replace(&proof, "{", r#"{"old_size":3,"#);
    let (old, new) = (dir.json("old.json", &checkpoint(&events, 1)), dir.json("new.json", &checkpoint(&events, 3)));
    let run_dup =
        run(&["consistency", "--key", &key, "--old", &old, "--new", &new, "--proof", &dir.write("p.json", doubled)]);
    assert_failed(&run_dup, &["proof file", "duplicate key old_size"]);
}

#[test]
fn a_body_over_65536_bytes_is_refused_in_exports_and_bundles() {
    let dir = Dir::new("big");
    let key = key_hex();
    let mut big = br#"{"data":""#.to_vec();
    big.resize(65_536 - 2, b'x');
    big.extend_from_slice(br#""}"#);
    let largest = chain_of(vec![big.clone()]);
    assert_ok(&run(&["export", &dir.write("largest.jsonl", export(&largest))]));

    big.insert(10, b'x');
    let events = chain_of(vec![big]);
    assert_failed(&run(&["export", &dir.write("big.jsonl", export(&events))]), &["line 1", "over the limit of 65,536"]);
    let bundle = dir.json("big.json", &bundle(&events, &[1], 1));
    assert_failed(&run(&["bundle", &bundle, "--key", &key]), &["event 1", "65537 bytes, over the limit of 65,536"]);

    let huge = chain_of(vec![format!(r#"{{"data":"{}"}}"#, "y".repeat(200_000)).into_bytes()]);
    assert_failed(
        &run(&["export", &dir.write("huge.jsonl", export(&huge))]),
        &["line 1", "longer than any valid line"],
    );
}

#[test]
fn an_export_line_must_be_exactly_canonical() {
    let dir = Dir::new("canonical");
    let events = chain(3);
    let text = String::from_utf8(export(&events)).unwrap();
    let second = hex::encode(events[1].prev_hash);
    let cases = [
        ("spaces", replace(&text, r#"{"seq":2,"prev_hash""#, r#"{"seq": 2, "prev_hash""#), "not canonical"),
        (
            "upper",
            replace(
                &text,
                &format!(r#""prev_hash":"{second}""#),
                &format!(r#""prev_hash":"{}""#, second.to_uppercase()),
            ),
            "upper-case",
        ),
        (
            "reordered",
            replace(
                &text,
                &format!(r#"{{"seq":2,"prev_hash":"{second}","#),
                &format!(r#"{{"prev_hash":"{second}","seq":2,"#),
            ),
            "not canonical",
        ),
        ("zero", replace(&text, r#"{"seq":2,"#, r#"{"seq":02,"#), "not JSON"),
        ("fraction", replace(&text, r#"{"seq":2,"#, r#"{"seq":2.0,"#), "not canonical"),
        (
            "space-before-body",
            replace(
                &text,
                r#""body":{"event_id":"0190a5c8-0000-7000-8000-000000000002""#,
                r#""body": {"event_id":"0190a5c8-0000-7000-8000-000000000002""#,
            ),
            "body",
        ),
        ("after-body", replace(&text, "}}\n{\"seq\":3", "}} \n{\"seq\":3"), "nothing may follow"),
    ];
    for (name, contents, word) in cases {
        assert_failed(&run(&["export", &dir.write(name, contents)]), &["line 2", word]);
    }
}

#[test]
fn line_endings_are_lf_and_every_line_ends_in_one() {
    let dir = Dir::new("lines");
    let text = String::from_utf8(export(&chain(3))).unwrap();
    assert_failed(&run(&["export", &dir.write("crlf", text.replace('\n', "\r\n"))]), &["line 1", "CR LF"]);
    let truncated = text.strip_suffix('\n').unwrap();
    assert_failed(
        &run(&["export", &dir.write("last", truncated)]),
        &["line 3", "does not end in a newline", "truncated"],
    );
    let cut = &text[..text.len() - 40];
    assert_failed(&run(&["export", &dir.write("cut", cut)]), &["line 3", "truncated"]);
    assert_failed(&run(&["export", &dir.write("blank", replace(&text, "\n", "\n\n"))]), &["line 2", "blank line"]);
    assert_failed(&run(&["export", &dir.write("final-blank", format!("{text}\n"))]), &["line 4", "blank line"]);
}

#[test]
fn an_export_is_checked_as_a_chain_and_against_its_checkpoint() {
    let dir = Dir::new("chain");
    let key = key_hex();
    let events = chain(8);
    let text = String::from_utf8(export(&events)).unwrap();
    let changed = replace(&text, r#""points":100"#, r#""points":101"#);
    assert_failed(&run(&["export", &dir.write("changed", changed)]), &["event 1 (line 1)", "hash mismatch"]);
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    lines.swap(3, 4);
    assert_failed(&run(&["export", &dir.write("swapped", lines.concat())]), &["event 4", "gap: found seq 5"]);

    let checkpoint = dir.json("cp.json", &checkpoint(&events, 8));
    let short = export(&events[..6]);
    assert_failed(
        &run(&["export", &dir.write("short", short), "--key", &key, "--checkpoint", &checkpoint]),
        &["export has 6 events, fewer than the checkpoint's tree_size 8"],
    );
    let mut wrong_root = support::checkpoint(&events, 8);
    wrong_root["root"] = json!(hex::encode(root(&hashes(&events[..7]))));
    let wrong_root = dir.json("wrong-root.json", &sign(wrong_root));
    let file = dir.write("export", export(&events));
    assert_failed(
        &run(&["export", &file, "--key", &key, "--checkpoint", &wrong_root]),
        &["merkle root of the first 8"],
    );
}

#[test]
fn a_bundle_body_text_changed_by_one_character_fails() {
    let dir = Dir::new("changed-body");
    let events = chain(5);
    let bundle = compact(&bundle(&events, &[2, 4], 5));
    let changed = replace(&bundle, r#"\"points\":100"#, r#"\"points\":10"#);
    assert_failed(&run(&["bundle", &dir.write("b.json", changed), "--key", &key_hex()]), &["event 2: hash mismatch"]);
}

#[test]
fn bundled_events_go_by_increasing_seq_each_once() {
    let dir = Dir::new("order");
    let key = key_hex();
    let events = chain(9);
    let run_order = run(&["bundle", &dir.json("order.json", &bundle(&events, &[3, 7, 5], 9)), "--key", &key]);
    assert_failed(&run_order, &["event 5: out of order", "follows event 7"]);
    let run_twice = run(&["bundle", &dir.json("twice.json", &bundle(&events, &[3, 7, 7], 9)), "--key", &key]);
    assert_failed(&run_twice, &["event 7: appears twice"]);
    let mut beyond = bundle(&events, &[4], 9);
    beyond["checkpoint"] = checkpoint(&events, 3);
    assert_failed(
        &run(&["bundle", &dir.json("beyond.json", &beyond), "--key", &key]),
        &["event 4: beyond the checkpoint's tree_size 3"],
    );
    let mut unknown = bundle(&events, &[1], 9);
    unknown["events"][0]["note"] = json!("x");
    assert_failed(&run(&["bundle", &dir.json("note.json", &unknown), "--key", &key]), &["unknown member \"note\""]);
    let mut zero = bundle(&events, &[1], 9);
    zero["events"][0]["seq"] = json!(0);
    assert_failed(&run(&["bundle", &dir.json("zero.json", &zero), "--key", &key]), &["seq must be at least 1"]);
    let mut unknown = bundle(&events, &[1], 9);
    unknown["events"][0]["body"] = json!({});
    assert_failed(&run(&["bundle", &dir.json("unknown.json", &unknown), "--key", &key]), &["events[0]", "body_text"]);
}

#[test]
fn links_between_bundled_events_and_the_head_are_checked() {
    let dir = Dir::new("links");
    let key = key_hex();
    let events = chain(6);

    // Event 4 forged after another predecessor: its own hash is right, but it does not follow event 3.
    let mut forged = events.clone();
    forged[3].prev_hash = [9; 32];
    forged[3].hash = event_hash(&forged[3].prev_hash, 4, &forged[3].body);
    let mut broken = bundle(&events, &[3], 6);
    broken["events"].as_array_mut().unwrap().push(bundle_event(&forged, 4, 6));
    let run_broken = run(&["bundle", &dir.json("broken.json", &broken), "--key", &key]);
    assert_failed(&run_broken, &["event 4: broken link", &hex::encode(events[2].hash)]);

    // Event 1 must follow the genesis value.
    let mut first = chain(6);
    first[0].prev_hash = [1; 32];
    first[0].hash = event_hash(&first[0].prev_hash, 1, &first[0].body);
    let genesis = bundle(&first, &[1], 6);
    assert_failed(&run(&["bundle", &dir.json("genesis.json", &genesis), "--key", &key]), &["event 1", "genesis"]);

    // A checkpoint whose head_hash is not its last event's hash.
    let mut head = bundle(&events, &[6], 6);
    let mut checkpoint = support::checkpoint(&events, 6);
    checkpoint["head_hash"] = json!(hex::encode(events[4].hash));
    head["checkpoint"] = sign(checkpoint);
    assert_failed(&run(&["bundle", &dir.json("head.json", &head), "--key", &key]), &["event 6", "head_hash"]);

    // A proof against another tree size does not reach the signed root.
    let mut proof = bundle(&events, &[2], 6);
    proof["events"][0]["inclusion_proof"] = bundle_event(&events, 2, 5)["inclusion_proof"].clone();
    assert_failed(&run(&["bundle", &dir.json("proof.json", &proof), "--key", &key]), &["event 2: inclusion proof"]);
}

#[test]
fn a_checkpoint_is_read_strictly() {
    let dir = Dir::new("checkpoint");
    let key = key_hex();
    let events = chain(4);
    let good = checkpoint(&events, 4);
    let check = |name: &str, value: &Value| run(&["checkpoint", &dir.json(name, value), "--key", &key]);

    let mut extra = good.clone();
    extra["note"] = json!("hello");
    assert_failed(&check("extra", &extra), &["unknown member \"note\""]);
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("public_key");
    assert_failed(&check("missing", &missing), &["missing member public_key"]);

    // Upper-case hex is refused even when it is signed, and even in the key.
    let mut upper = good.clone();
    upper["root"] = json!(good["root"].as_str().unwrap().to_uppercase());
    assert_failed(&check("upper", &sign(upper)), &["root", "upper-case"]);
    let mut upper_key = good.clone();
    upper_key["public_key"] = json!(key.to_uppercase());
    assert_failed(&check("upper-key", &upper_key), &["public_key", "upper-case"]);

    let mut other = good.clone();
    other["tree_size"] = json!(3);
    assert_failed(&check("resized", &other), &["signature does not verify"]);
    let other_key = hex::encode(ed25519_dalek::SigningKey::from_bytes(&[8; 32]).verifying_key().as_bytes());
    assert_failed(&run(&["checkpoint", &dir.json("good", &good), "--key", &other_key]), &["not by the given key"]);

    for (field, value) in [
        ("time", json!("2017-07-19T12:00:00Z")),
        ("time", json!("2017-07-19T12:00:00.000000+00:00")),
        ("origin", json!("kpi-ledger/someone-else")),
        ("tree_size", json!(4.0)),
        ("tree_size", json!(-1)),
    ] {
        let mut changed = good.clone();
        changed[field] = value;
        assert_failed(&check("field", &sign(changed)), &[field]);
    }
    let run_string = run(&["checkpoint", &dir.write("string", r#""a checkpoint""#), "--key", &key]);
    assert_failed(&run_string, &["expected a JSON object"]);
}

#[test]
fn a_consistency_file_must_agree_with_the_signed_checkpoints() {
    let dir = Dir::new("consistency");
    let key = key_hex();
    let events = chain(11);
    let old = dir.json("old.json", &checkpoint(&events, 6));
    let new = dir.json("new.json", &checkpoint(&events, 11));
    let check = |old: &str, new: &str, proof: &Value| {
        run(&["consistency", "--key", &key, "--old", old, "--new", new, "--proof", &dir.json("proof.json", proof)])
    };
    let good = consistency_file(&events, 6, 11);
    assert_ok(&check(&old, &new, &good));

    // The proof between 5 and 11, labelled as if it were the signed checkpoint's 6.
    let mut size = consistency_file(&events, 5, 11);
    assert_failed(&check(&old, &new, &size), &["old_size: the proof file says 5", "signed with 6"]);
    size["old_size"] = json!(6);
    assert_failed(&check(&old, &new, &size), &["old_root"]);
    let mut new_size = good.clone();
    new_size["new_size"] = json!(12);
    assert_failed(&check(&old, &new, &new_size), &["new_size"]);
    let mut extra = good.clone();
    extra["tree_size"] = json!(11);
    assert_failed(&check(&old, &new, &extra), &["proof file", "unknown member \"tree_size\""]);
    let mut wrong = good.clone();
    wrong["consistency_proof"][0] = json!(hex::encode([5u8; 32]));
    assert_failed(&check(&old, &new, &wrong), &["consistency proof from 6 to 11"]);
    let mut short = good.clone();
    short["consistency_proof"] = json!([]);
    assert_failed(&check(&old, &new, &short), &["consistency proof from 6 to 11", "empty proof"]);

    // Backwards, from the empty tree, and between equal sizes.
    assert_failed(&check(&new, &old, &consistency_file(&events, 6, 11)), &["old_size"]);
    let mut backwards = good.clone();
    backwards["old_size"] = json!(11);
    backwards["new_size"] = json!(6);
    backwards["old_root"] = good["new_root"].clone();
    backwards["new_root"] = good["old_root"].clone();
    backwards["consistency_proof"] = json!([]);
    assert_failed(&check(&new, &old, &backwards), &["larger than new size"]);
    let zero = dir.json("zero.json", &checkpoint(&events, 0));
    let from_zero = json!({"old_size": 0, "new_size": 11, "old_root": hex::encode(root(&[])),
        "new_root": good["new_root"], "consistency_proof": []});
    assert_failed(&check(&zero, &new, &from_zero), &["old size 0", "nothing to prove"]);
    let mut equal = consistency_file(&events, 11, 11);
    assert_ok(&check(&new, &new, &equal));
    equal["consistency_proof"] = json!([hex::encode([5u8; 32])]);
    assert_failed(&check(&new, &new, &equal), &["equal sizes need an empty proof"]);

    let mut other = support::checkpoint(&events, 11);
    other["origin"] = json!("kpi-ledger/fedcba9876543210");
    let other = dir.json("other.json", &sign(other));
    assert_failed(&check(&old, &other, &good), &["different ledgers"]);
}

#[test]
fn bad_command_lines_exit_with_2() {
    let dir = Dir::new("usage");
    let key = key_hex();
    let export = dir.write("export.jsonl", export(&chain(2)));
    let cp = dir.json("cp.json", &checkpoint(&chain(2), 2));
    assert_usage(&run(&[]), &["a command is required"]);
    assert_usage(&run(&["verify", &export]), &["unknown command"]);
    assert_usage(&run(&["export"]), &["expected one file"]);
    assert_usage(&run(&["export", &export, &export]), &["expected one file"]);
    assert_usage(&run(&["export", &export, "--key", &key]), &["go together"]);
    assert_usage(&run(&["export", &export, "--sign", &key]), &["unknown option --sign"]);
    assert_usage(&run(&["checkpoint", &cp]), &["--key is required"]);
    assert_usage(&run(&["checkpoint", &cp, "--key"]), &["--key needs a value"]);
    assert_usage(&run(&["checkpoint", &cp, "--key", &key, "--key", &key]), &["given twice"]);
    assert_usage(&run(&["checkpoint", &cp, "--key", &key.to_uppercase()]), &["--key", "upper-case"]);
    assert_usage(&run(&["checkpoint", &cp, "--key", "abcd"]), &["--key", "64 lower-case hex digits"]);
    assert_usage(&run(&["export", &dir.path("missing.jsonl")]), &["missing.jsonl"]);
    assert_usage(&run(&["bundle", &dir.path("missing.json"), "--key", &key]), &["missing.json"]);
    assert_usage(&run(&["consistency", "--key", &key, "--old", &cp, "--new", &cp]), &["--proof is required"]);
    // An unreadable file is a usage error even when another file would fail its check.
    let bad = dir.write("bad.json", "{}");
    let run_missing = run(&["export", &dir.path("missing.jsonl"), "--key", &key, "--checkpoint", &bad]);
    assert_usage(&run_missing, &["missing.jsonl"]);
    let help = run(&["--help"]);
    assert!(help.code == 0 && help.stdout.contains("Exit status: 0 verified, 1 verification failed, 2 usage error"));
}

#[test]
fn every_inclusion_and_consistency_proof_of_small_trees_verifies() {
    let dir = Dir::new("exhaustive");
    let key = key_hex();
    let events = chain(17);
    for size in 1..=17 {
        let all: Vec<u64> = (1..=size as u64).collect();
        assert_ok(&run(&["bundle", &dir.json("bundle.json", &bundle(&events, &all, size)), "--key", &key]));
        let old = dir.json("old.json", &checkpoint(&events, size));
        for new_size in size..=17 {
            let new = dir.json("new.json", &checkpoint(&events, new_size));
            let proof = dir.json("proof.json", &consistency_file(&events, size, new_size));
            assert_ok(&run(&["consistency", "--key", &key, "--old", &old, "--new", &new, "--proof", &proof]));
        }
    }
}
