//! `usage import --skip-bad FILE`: every bad line reported with its line,
//! field and reason, written to FILE, and the good lines imported.

use crate::support::{customer, open, spark_billing, stderr};

#[tokio::test]
async fn skip_bad_imports_the_good_lines_and_writes_every_bad_one_to_the_rejects_file() {
    let dir = std::env::temp_dir().join(billing_app::ids::new_id("skip"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("db.sqlite3").display());
    let (store, billing) = open(&url).await;
    let c = customer(&billing, "acme", "0").await;
    let ws = &c.workspace_id;
    let hour = {
        use billing_app::clock::{Clock, SystemClock};
        use chrono::{DurationRound, SecondsFormat};
        let hour = SystemClock.now().duration_trunc(chrono::Duration::hours(1)).unwrap();
        hour.to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let csv = dir.join("usage.csv");
    let text = format!(
        "record_id,workspace_id,hour_start,cu_hours\n\
         r1,{ws},{hour},1\n\
         r2,{ws},yesterday,1\n\
         r3,ws_missing,{hour},1\n\
         r4,{ws},{hour},2\n\
         r5,{ws},{hour},0.0001\n\
         r6,{ws},{hour},3\n"
    );
    std::fs::write(&csv, text).unwrap();
    let rejects = dir.join("rejects.csv");
    let args = ["usage", "import", csv.to_str().unwrap(), "--skip-bad", rejects.to_str().unwrap()];
    let out = spark_billing(&url, &args).output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("3 records imported"), "{:?}", out);
    for expected in ["line 3: hour_start", "line 4: workspace", "line 6: cu_hours"] {
        assert!(err.contains(expected), "{expected} missing from {err}");
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage_records").fetch_one(store.pool()).await.unwrap();
    assert_eq!(count, 3);
    let written = std::fs::read_to_string(&rejects).unwrap();
    let mut lines: Vec<&str> = written.lines().collect();
    // In the order they were found: malformed lines first, then refusals.
    lines[1..].sort();
    assert_eq!(lines[0], "line,record_id,workspace_id,hour_start,cu_hours,reason");
    assert_eq!(lines.len(), 4, "{written}");
    assert!(lines[1].starts_with(&format!("3,r2,{ws},yesterday,1,")), "{written}");
    assert_eq!(lines[2], format!("4,r3,ws_missing,{hour},1,\"workspace \"\"ws_missing\"\" not found\""));
    assert!(lines[3].starts_with(&format!("6,r5,{ws},")), "{written}");

    // The rejects file is never overwritten.
    let again = spark_billing(&url, &args).output().unwrap();
    assert!(!again.status.success());
    assert!(stderr(&again).contains("exists already"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), written);
}
