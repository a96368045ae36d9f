//! The front ends call use cases and translate; they never open a store
//! transaction, hash a request or store an answer themselves.

use std::path::{Path, PathBuf};

/// Words that would mean a front end drives the store or its own
/// idempotency.
const FORBIDDEN: &[&str] = &["StoreTx", "billing_app::store", ".store()", "claim_idempotency", "fn request_hash"];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn the_api_and_the_console_never_touch_a_store_transaction() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for front_end in ["billing-api/src", "billing-console/src"] {
        rust_files(&crates.join(front_end), &mut files);
    }
    assert!(files.len() > 20, "the front ends' sources were found ({} files)", files.len());
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (n, line) in text.lines().enumerate() {
            for word in FORBIDDEN.iter().filter(|w| line.contains(**w)) {
                offences.push(format!("{}:{}: {word}", file.display(), n + 1));
            }
        }
    }
    assert!(offences.is_empty(), "front ends must call use cases, not the store:\n{}", offences.join("\n"));
}
