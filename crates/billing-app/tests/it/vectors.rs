//! Every refund scenario in `tests/vectors` gives the expected quote, and the
//! copies there match the shared originals whenever those are present.

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

#[test]
fn every_vector_gives_the_expected_quote() {
    let files = json_files(&repo_root().join("tests/vectors"));
    assert!(files.len() >= 15, "expected the scenario copies in tests/vectors, found {}", files.len());
    let mut failures = Vec::new();
    for (name, text) in &files {
        let scenario = parse_scenario(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let quote = scenario.quote().unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = quote_json(&quote, scenario.zone);
        let expect = scenario.expect.as_ref().unwrap_or_else(|| panic!("{name}: no expect"));
        if let Err(diff) = compare_with_expect(expect, &got) {
            failures.push(format!("{name}: {diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn vector_copies_match_the_shared_originals_when_present() {
    let shared = repo_root().join("../shared/vectors");
    if !shared.is_dir() {
        // A fresh clone away from the shared folder tests its own copies only.
        return;
    }
    let ours = json_files(&repo_root().join("tests/vectors"));
    let theirs = json_files(&shared);
    let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
    assert!(missing.is_empty(), "copy these new scenarios into tests/vectors: {missing:?}");
    let changed: Vec<_> = theirs.iter().filter(|(k, v)| ours.get(*k) != Some(v)).map(|(k, _)| k).collect();
    assert!(changed.is_empty(), "these scenarios changed in ../shared/vectors: {changed:?}");
}
