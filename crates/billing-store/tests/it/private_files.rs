//! A new SQLite database, its write-ahead log and its shared-memory file
//! are readable by their owner alone.

use crate::support::{OPERATOR, sqlite_world};

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_and_its_log_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let w = sqlite_world().await;
    w.billing.accounts().create_api_key(&OPERATOR, None, "ops").await.unwrap();
    let file = billing_store::sqlite_file(&w.url).unwrap();
    for path in billing_store::sqlite_files(&file) {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}

#[test]
fn only_a_sqlite_file_url_names_a_file() {
    let file = billing_store::sqlite_file("sqlite:///tmp/x/db.sqlite3?mode=rwc").unwrap();
    assert_eq!(file, std::path::Path::new("/tmp/x/db.sqlite3"));
    assert_eq!(
        billing_store::sqlite_file("sqlite://data/db.sqlite3").unwrap(),
        std::path::Path::new("data/db.sqlite3")
    );
    assert!(billing_store::sqlite_file("sqlite::memory:").is_none());
    assert!(billing_store::sqlite_file("postgres://localhost/db").is_none());
}
