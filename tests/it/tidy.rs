//! Tidy checks in the spirit of rust-analyzer's: the layering in ARCHITECTURE.md is held by reading
//! the `use` lines, so the map cannot silently drift. Also: every source file opens with `//!`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Files under `layer` must not mention any of `forbidden` (as a path or crate name).
fn assert_layer_avoids(layer: &str, forbidden: &[&str]) {
    for file in rust_files(&source_root().join(layer)) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for word in forbidden {
                assert!(
                    !code.contains(word),
                    "{}:{}: the {layer} layer must not use `{word}`: {line}",
                    file.display(),
                    number + 1
                );
            }
        }
    }
}

#[test]
fn the_domain_does_no_io_and_reads_no_clock() {
    assert_layer_avoids(
        "domain",
        &[
            "sled::",
            "tokio::",
            "axum::",
            "std::fs",
            "std::net",
            "SystemTime",
            "Instant::now",
            "crate::store",
            "crate::service",
        ],
    );
}

#[test]
fn the_chain_format_does_not_touch_storage_or_the_runtime() {
    assert_layer_avoids(
        "chain",
        &["sled::", "tokio::", "axum::", "std::fs", "crate::store", "crate::service", "SystemTime"],
    );
}

#[test]
fn projections_are_pure_folds() {
    assert_layer_avoids(
        "projection",
        &[
            "sled::",
            "tokio::",
            "axum::",
            "std::fs",
            "std::net",
            "SystemTime",
            "Instant::now",
            "crate::service",
            "crate::http",
        ],
    );
    // Only `recorded.rs` reads a store type, and only as plain data.
    for file in rust_files(&source_root().join("projection")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let reads_store =
            text.lines().any(|line| line.contains("crate::store") && !line.trim_start().starts_with("//"));
        assert!(
            !reads_store || file.ends_with("recorded.rs"),
            "{}: only recorded.rs reads store types",
            file.display()
        );
    }
}

#[test]
fn the_store_knows_nothing_of_http() {
    assert_layer_avoids("store", &["axum::", "crate::service", "crate::cli"]);
}

#[test]
fn only_the_store_imports_sled() {
    for file in rust_files(&source_root()) {
        if file.starts_with(source_root().join("store")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("sled::"), "{} uses sled directly; go through store/", file.display());
    }
}

#[test]
fn every_source_file_says_what_it_holds() {
    for file in rust_files(&source_root()) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//!"), "{} must open with a //! comment", file.display());
    }
}

#[test]
fn the_standalone_verifier_shares_no_code_with_the_ledger() {
    let verifier = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/verifier");
    for file in rust_files(&verifier.join("src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("kpi_ledger"), "{} must not use kpi-ledger's code", file.display());
    }
    let manifest = std::fs::read_to_string(verifier.join("Cargo.toml")).unwrap();
    // Only its tests may use the ledger (to make real exports and bundles for it to check).
    let dependencies = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    assert!(!dependencies.contains("path ="), "tools/verifier must not depend on local crates");
    assert!(!dependencies.contains("kpi-ledger"), "tools/verifier must not depend on kpi-ledger");
}

/// The files a fresh clone must be able to use on their own (issue 9): sources, tests, tools, docs
/// and the README.
fn self_contained_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md"), root.join(".ci/run")];
    for dir in ["src", "tests", "tools", "docs"] {
        files.extend(all_files(&root.join(dir)));
    }
    files
}

/// Every file under `dir`, skipping build output.
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            files.extend(all_files(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The relative paths in `text` that climb with `..`: each token from its first character up to a
/// space, quote or bracket.
fn climbing_paths(text: &str) -> Vec<&str> {
    let stops = |c: char| c.is_whitespace() || "\"'`()[]{}<>,;=".contains(c);
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("../") {
        let at = from + found;
        let start = text[..at].rfind(stops).map_or(0, |i| i + 1);
        let end = text[at..].find(stops).map_or(text.len(), |i| at + i);
        paths.push(&text[start..end]);
        from = end.max(at + 3);
    }
    paths
}

/// Whether `path`, taken relative to `base` (a directory inside `root`), leaves `root`.
fn escapes(root: &Path, base: &Path, path: &str) -> bool {
    let mut depth = base.strip_prefix(root).map(|relative| relative.components().count()).unwrap_or(0) as i64;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[test]
fn nothing_reaches_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let outside = root.parent().map(|parent| format!("{}/", parent.display()));
    for file in self_contained_files() {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        let shared = concat!("..", "/shared");
        assert!(!text.contains(shared), "{shown} names {shared}, which a fresh clone does not have");
        if let Some(outside) = &outside {
            assert!(!text.contains(outside.as_str()), "{shown} names a path outside the repository ({outside})");
        }
        let dir = file.parent().unwrap();
        for path in climbing_paths(&text) {
            // A path glued to a base (`concat!` of the manifest directory and "/..") climbs from the root.
            let base = if path.starts_with('/') { root } else { dir };
            assert!(!escapes(root, base, path), "{shown}: {path:?} reaches above the repository root");
        }
    }
}

#[test]
fn the_escape_check_itself_catches_what_it_should() {
    // Built at run time so that this file does not itself contain the paths it looks for.
    let up = "..";
    let root = Path::new("/repo");
    let glued = format!("/{up}/elsewhere/v.json");
    let source = format!("read(concat!(x, \"{glued}\"))");
    assert_eq!(climbing_paths(&source), vec![glued.as_str()]);
    assert!(escapes(root, root, &glued));
    assert!(escapes(root, &root.join("tests"), &format!("{up}/{up}/elsewhere")));
    assert!(!escapes(root, &root.join("src/http"), &format!("{up}/{up}/schemas/definitions.json")));
    assert!(!escapes(root, &root.join("tools"), &format!("{up}/README.md")));
}
