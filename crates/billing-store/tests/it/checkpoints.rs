//! SQLite's write-ahead log reaches the database file soon after writes
//! commit, copied by the store's checkpointer beside the writers: no writer
//! has to fill the log to its bound and copy it inside its own commit.

use std::time::{Duration, Instant};

use billing_app::model::BillingMethod;

use crate::support::{OPERATOR, sqlite_world, usage};

#[tokio::test]
async fn committed_writes_reach_the_database_file_without_a_writer_copying_them() {
    let w = sqlite_world().await;
    let path = w.url.strip_prefix("sqlite://").unwrap().to_owned();
    let s = w.seed("acme", "100.00").await;
    let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
    let file_len = || std::fs::metadata(&path).unwrap().len();
    let before = file_len();
    let hour = w.previous_hour();
    let records: Vec<_> = (0..5000)
        .map(|i| usage(&format!("record-{i:05}"), &adhoc.id, hour - chrono::Duration::hours(i % 48), "0.5"))
        .collect();
    w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
    // Far less than the log's bound, so only the checkpointer copies it.
    let wal_len = std::fs::metadata(format!("{path}-wal")).unwrap().len();
    assert!(wal_len < 8 << 20, "the import alone filled {wal_len} bytes of log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while file_len() < before + (256 << 10) {
        assert!(Instant::now() < deadline, "the database file stayed at {} bytes (was {before})", file_len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And what it copied reads back.
    let settled = w.settlements(&adhoc.id).await;
    assert_eq!(settled.len(), 48);
    // Closing the store stops the checkpointer with the pool.
    w.store.close().await;
}
