//! Turning database errors into the application's [`StoreError`].

use billing_app::store::StoreError;

/// Classifies a sqlx error: lock and serialization conflicts become
/// [`StoreError::Busy`] (safe to retry), uniqueness violations
/// [`StoreError::Unique`], and the rest [`StoreError::Database`].
pub fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = db.message().to_owned();
            if db.is_unique_violation() {
                StoreError::Unique(message)
            } else if is_busy(&code, &message) {
                StoreError::Busy(message)
            } else {
                StoreError::Database(format!("{code} {message}"))
            }
        }
        sqlx::Error::PoolTimedOut => StoreError::Busy("no database connection free in time".to_owned()),
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => StoreError::Corrupt(e.to_string()),
        _ => StoreError::Database(e.to_string()),
    }
}

fn is_busy(code: &str, message: &str) -> bool {
    // SQLite: SQLITE_BUSY (5) and its extended codes, SQLITE_LOCKED (6).
    // PostgreSQL: serialization failure, deadlock, lock not available.
    matches!(code, "5" | "6" | "261" | "517" | "40001" | "40P01" | "55P03")
        || message.contains("database is locked")
        || message.contains("database table is locked")
}
