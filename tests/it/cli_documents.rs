//! `kpi-ledger document put|get|verify` as an operator runs it on a data directory: the digest printed
//! is the file's blake3, what `get` writes is the stored bytes checked against it, a damaged copy is
//! named by `verify` and never written out, and refusals are one line naming the argument at fault.

use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_kpi-ledger");

fn run(args: &[&str]) -> Output {
    Command::new(BINARY).args(args).output().unwrap()
}

/// The one line a refusal prints, without its `error: ` prefix.
fn stderr(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.strip_prefix("error: ").map(str::to_owned).unwrap_or(text)
}

#[test]
fn documents_are_put_got_and_verified_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ledger").to_string_lossy().into_owned();
    let file = dir.path().join("corrected-filing.pdf");
    let bytes = b"%PDF-1.7\n% corrected half-year report\n%%EOF\n";
    std::fs::write(&file, bytes).unwrap();
    let digest = blake3::hash(bytes).to_hex().to_string();

    let put = run(&["document", "put", "--data", &data, "--unit", "YS07", "--role", "office", file.to_str().unwrap()]);
    assert!(put.status.success(), "{}", stderr(&put));
    let printed = String::from_utf8_lossy(&put.stdout).into_owned();
    assert!(printed.starts_with(&format!("{digest} application/pdf {} bytes (new)", bytes.len())), "{printed}");

    let got = run(&["document", "get", "--data", &data, &digest]);
    assert!(got.status.success(), "{}", stderr(&got));
    assert_eq!(got.stdout, bytes);
    let out = dir.path().join("copy.pdf");
    let got = run(&["document", "get", "--data", &data, &digest, "--out", out.to_str().unwrap()]);
    assert!(got.status.success(), "{}", stderr(&got));
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let verified = run(&["document", "verify", "--data", &data]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("1 documents, every one matches its digest"));

    let stored = dir.path().join("ledger").join("documents").join(&digest[..2]).join(&digest[2..]);
    std::fs::write(&stored, b"%PDF-1.7 altered").unwrap();
    let verified = run(&["document", "verify", "--data", &data]);
    assert!(!verified.status.success());
    assert!(stderr(&verified).contains(&digest), "{}", stderr(&verified));
    let got = run(&["document", "get", "--data", &data, &digest]);
    assert!(!got.status.success());
    assert!(got.stdout.is_empty(), "a damaged copy is never written out");
    assert!(stderr(&got).starts_with("DIGEST: the stored copy"), "{}", stderr(&got));

    let unknown = dir.path().join("notes.xyz");
    std::fs::write(&unknown, b"plain words").unwrap();
    let refused = run(&["document", "put", "--data", &data, "--unit", "YS07", unknown.to_str().unwrap()]);
    assert!(stderr(&refused).starts_with("--content-type: "), "{}", stderr(&refused));
    let refused = run(&[
        "document",
        "put",
        "--data",
        &data,
        "--unit",
        "YS07",
        "--content-type",
        "image/png",
        file.to_str().unwrap(),
    ]);
    assert!(stderr(&refused).starts_with("FILE: the bytes are not a image/png document"), "{}", stderr(&refused));
    let refused =
        run(&["document", "put", "--data", &data, "--unit", "YS07", "--role", "auditor", file.to_str().unwrap()]);
    assert!(stderr(&refused).contains("may not upload"), "{}", stderr(&refused));
    let refused = run(&["document", "get", "--data", &data, "XYZ"]);
    assert!(stderr(&refused).starts_with("DIGEST: "), "{}", stderr(&refused));
}
