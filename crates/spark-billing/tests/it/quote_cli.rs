//! `spark-billing quote --scenario FILE`: every vector through the real
//! binary, and clear one-line errors with a non-zero exit for bad files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use billing_app::expect::compare_with_expect;
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spark_billing(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spark-billing")).args(args).output().unwrap()
}

fn vector_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_vector_passes_through_the_command_line() {
    let files = vector_files();
    assert!(files.len() >= 15);
    for file in files {
        let out = spark_billing(&["quote", "--scenario", file.to_str().unwrap()]);
        let name = file.display();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let expect: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        compare_with_expect(&expect["expect"], &got).unwrap_or_else(|diff| panic!("{name}: {diff}"));
    }
}

#[test]
fn check_flag_fails_when_the_quote_differs_from_expect() {
    let dir = std::env::temp_dir().join(format!("spark-billing-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = repo_root().join("tests/vectors/quota-partial-10-of-31-days.json");
    let text = std::fs::read_to_string(source).unwrap().replace("\"67.75\"", "\"67.76\"");
    let file = dir.join("wrong.json");
    std::fs::write(&file, text).unwrap();
    let out = spark_billing(&["quote", "--scenario", file.to_str().unwrap(), "--check"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("67.76"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn refused(contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("spark-billing-bad-{}-{}", std::process::id(), contents.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, contents).unwrap();
    let out = spark_billing(&["quote", "--scenario", file.to_str().unwrap()]);
    std::fs::remove_dir_all(dir).unwrap();
    assert_eq!(out.status.code(), Some(1), "a bad file must exit 1");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn bad_files_get_one_line_naming_the_field() {
    let order = r#"{"id":"o1","type":"new","status":"paid","currency":"USD","paid_at":"2023-01-01T12:00:00+08:00",
        "start":"2023-01-01T12:00:00+08:00","months":1,"list_price":"LIST","tenders":[{"method":"card","amount":"100.00"}]}"#;
    let file = |list: &str, now: &str| {
        let order = order.replace("LIST", list);
        format!(r#"{{"instance":{{"kind":"subscription_quota","orders":[{order}]}},"now":"{now}"}}"#)
    };
    let cases = [
        (file("100.001", "2023-01-02T00:00:00Z"), "instance.orders[0].list_price"),
        (file("100.00", "not a time"), "now"),
        (file("100.00", "2023-01-02T00:00:00Z").replace("\"months\":1", "\"months\":\"1\""), "orders[0].months"),
        (
            file("100.00", "2023-01-02T00:00:00Z").replace(",\"now\":\"2023-01-02T00:00:00Z\"", ""),
            "missing field `now`",
        ),
        ("{ not json".to_owned(), "not valid JSON"),
    ];
    for (contents, needle) in cases {
        let stderr = refused(&contents);
        assert!(stderr.contains(needle), "expected {needle:?} in {stderr:?}");
    }
}

#[test]
fn a_missing_file_is_named() {
    let out = spark_billing(&["quote", "--scenario", "/nonexistent/scenario.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/scenario.json"));
}
