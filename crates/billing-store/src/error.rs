//! Turning database errors into the application's [`StoreError`].

use billing_app::store::StoreError;

/// Classifies a sqlx error: lock and serialization conflicts become
/// [`StoreError::Busy`] (safe to retry), a database that cannot be reached
/// (a broken or refused connection, no connection in time, a server shutting
/// down or starting up) [`StoreError::Unavailable`], uniqueness violations
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
            } else if is_unavailable_code(&code) {
                StoreError::Unavailable(format!("{code} {message}"))
            } else {
                StoreError::Database(format!("{code} {message}"))
            }
        }
        sqlx::Error::PoolTimedOut => StoreError::Unavailable("no database connection could be had in time".to_owned()),
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(e.to_string())
        }
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

/// Whether a database error code says the database cannot be used right now,
/// rather than that the statement was wrong.
///
/// PostgreSQL: class 08 (connection exception), 57P01 (terminated by an
/// administrator, as a restart does), 57P02 (crash shutdown), 57P03 (cannot
/// connect now: starting up or shutting down) and 53300 (too many
/// connections). SQLite: `SQLITE_IOERR` (10) and `SQLITE_CANTOPEN` (14) with
/// their extended codes, a file that can no longer be read or written.
pub fn is_unavailable_code(code: &str) -> bool {
    if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300") {
        return true;
    }
    code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 10 | 14))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(e: sqlx::Error) -> &'static str {
        match map_err(e) {
            StoreError::Busy(_) => "busy",
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Unique(_) => "unique",
            StoreError::Database(_) => "database",
            StoreError::Corrupt(_) => "corrupt",
        }
    }

    #[test]
    fn connection_failures_are_unavailable() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(kind(sqlx::Error::Io(refused)), "unavailable");
        assert_eq!(kind(sqlx::Error::PoolTimedOut), "unavailable");
        assert_eq!(kind(sqlx::Error::PoolClosed), "unavailable");
        assert_eq!(kind(sqlx::Error::WorkerCrashed), "unavailable");
    }

    #[test]
    fn mistakes_in_a_statement_are_not_unavailable() {
        assert_eq!(kind(sqlx::Error::RowNotFound), "database");
        assert_eq!(kind(sqlx::Error::ColumnNotFound("x".to_owned())), "database");
    }

    #[test]
    fn postgres_connection_and_shutdown_codes_are_unavailable() {
        for code in ["08000", "08003", "08006", "08001", "08004", "57P01", "57P02", "57P03", "53300"] {
            assert!(is_unavailable_code(code), "{code}");
        }
        for code in ["23505", "40001", "42P01", "22003", "57014", "53200", "P0001", ""] {
            assert!(!is_unavailable_code(code), "{code}");
        }
    }

    #[test]
    fn sqlite_io_and_open_failures_are_unavailable() {
        // SQLITE_IOERR, SQLITE_IOERR_READ, SQLITE_CANTOPEN, SQLITE_CANTOPEN_ISDIR.
        for code in ["10", "266", "14", "526"] {
            assert!(is_unavailable_code(code), "{code}");
        }
        // SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE, SQLITE_ERROR.
        for code in ["5", "2067", "1"] {
            assert!(!is_unavailable_code(code), "{code}");
        }
    }
}
