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
    assert!(!manifest.contains("path ="), "tools/verifier must not depend on local crates");
}
