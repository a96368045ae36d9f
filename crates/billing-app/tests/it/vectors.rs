//! Every refund scenario in `tests/vectors` (and its `changes/`, the quota
//! changes) gives the expected quote, and the copies there match the shared
//! originals whenever those are present.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use billing_app::expect::compare_with_expect;
use billing_app::scenario::parse_scenario;
use billing_app::wire::quote_json;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_files(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    files
}

/// The folders of scenario copies, each with its shared original's name.
const FOLDERS: [(&str, &str); 2] =
    [("tests/vectors", "../shared/vectors"), ("tests/vectors/changes", "../shared/vectors/changes")];

/// Quotes every scenario in `dir` and returns the names of those that differ
/// from their `expect`, with the difference.
fn failures_in(dir: &Path) -> Vec<String> {
    let files = json_files(dir);
    let mut failures = Vec::new();
    for (name, text) in &files {
        let scenario = parse_scenario(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let quote = scenario.quote().unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = quote_json(&quote, scenario.zone).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expect = scenario.expect.as_ref().unwrap_or_else(|| panic!("{name}: no expect"));
        if let Err(diff) = compare_with_expect(expect, &got) {
            failures.push(format!("{name}: {diff}"));
        }
    }
    failures
}

#[test]
fn every_vector_gives_the_expected_quote() {
    let count = json_files(&repo_root().join("tests/vectors")).len();
    assert!(count >= 15, "expected the scenario copies in tests/vectors, found {count}");
    let failures = failures_in(&repo_root().join("tests/vectors"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_quota_change_vector_gives_the_expected_quote() {
    let count = json_files(&repo_root().join("tests/vectors/changes")).len();
    assert!(count >= 8, "expected the quota change scenarios in tests/vectors/changes, found {count}");
    let failures = failures_in(&repo_root().join("tests/vectors/changes"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn vector_copies_match_the_shared_originals_when_present() {
    for (copies, originals) in FOLDERS {
        let shared = repo_root().join(originals);
        if !shared.is_dir() {
            // A fresh clone away from the shared folder tests its own copies only.
            continue;
        }
        let ours = json_files(&repo_root().join(copies));
        let theirs = json_files(&shared);
        let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
        assert!(missing.is_empty(), "copy these new scenarios into {copies}: {missing:?}");
        let changed: Vec<_> = theirs.iter().filter(|(k, v)| ours.get(*k) != Some(v)).map(|(k, _)| k).collect();
        assert!(changed.is_empty(), "these scenarios changed in {originals}: {changed:?}");
    }
}
