//! Schema migrations, applied at start in order, each once, in a
//! transaction. On PostgreSQL an advisory lock keeps replicas that start
//! together from applying the same migration twice.

use billing_app::store::{StoreError, StoreResult};
use sqlx::{AnyPool, Row};

use crate::Backend;
use crate::error::map_err;

/// The SQL of one migration: the same on both backends, or one text for
/// each where they cannot share it (a table's physical layout, say).
enum Sql {
    Both(&'static str),
    Each { sqlite: &'static str, postgres: &'static str },
}

impl Sql {
    fn text(&self, backend: Backend) -> &'static str {
        match (self, backend) {
            (Sql::Both(sql), _) | (Sql::Each { sqlite: sql, .. }, Backend::Sqlite) => sql,
            (Sql::Each { postgres, .. }, Backend::Postgres) => postgres,
        }
    }
}

/// Every migration: version and SQL. Append only; never edit a shipped one.
#[rustfmt::skip]
const MIGRATIONS: &[(i64, Sql)] = &[
    (1, Sql::Both(include_str!("../migrations/0001_init.sql"))),
    (2, Sql::Both(include_str!("../migrations/0002_unsubscription.sql"))),
    (4, Sql::Both(include_str!("../migrations/0004_api_keys.sql"))),
    (5, Sql::Both(include_str!("../migrations/0005_audit_prev_hash.sql"))),
    (6, Sql::Both(include_str!("../migrations/0006_indexes.sql"))),
    (7, Sql::Both(include_str!("../migrations/0007_settlement_days.sql"))),
    (8, Sql::Both(include_str!("../migrations/0008_settlement_draws.sql"))),
    (9, Sql::Both(include_str!("../migrations/0009_settlement_packs.sql"))),
    (10, Sql::Each {
        sqlite: include_str!("../migrations/0010_id_keys.sqlite.sql"),
        postgres: include_str!("../migrations/0010_id_keys.postgres.sql"),
    }),
    (11, Sql::Both(include_str!("../migrations/0011_charges.sql"))),
    (12, Sql::Both(include_str!("../migrations/0012_refund_attempts.sql"))),
    (13, Sql::Both(include_str!("../migrations/0013_console_sessions.sql"))),
    (14, Sql::Both(include_str!("../migrations/0014_quota_changes.sql"))),
    (15, Sql::Both(include_str!("../migrations/0015_usage_rejections.sql"))),
    (16, Sql::Both(include_str!("../migrations/0016_events_webhooks.sql"))),
    (17, Sql::Both(include_str!("../migrations/0017_documents.sql"))),
    (18, Sql::Both(include_str!("../migrations/0018_orders_by_account.sql"))),
    (19, Sql::Both(include_str!("../migrations/0019_account_locale.sql"))),
    (20, Sql::Both(include_str!("../migrations/0020_operator_lookups.sql"))),
    (21, Sql::Each {
        sqlite: "",
        postgres: include_str!("../migrations/0021_issue_and_chain.postgres.sql"),
    }),
    (22, Sql::Both(include_str!("../migrations/0022_orders_unpaid.sql"))),
    (23, Sql::Each {
        sqlite: "",
        postgres: include_str!("../migrations/0023_numbered_section.postgres.sql"),
    }),
];

/// Any number; it only has to be the same in every replica.
const MIGRATION_LOCK_KEY: i64 = 0x5350_4b42;

pub(crate) async fn migrate(pool: &AnyPool, backend: Backend) -> StoreResult<()> {
    let mut conn = pool.acquire().await.map_err(map_err)?;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    let result = apply_pending(&mut conn, backend).await;
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
    }
    result
}

async fn apply_pending(conn: &mut sqlx::AnyConnection, backend: Backend) -> StoreResult<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    for (version, sql) in MIGRATIONS {
        let begin = if backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
        let mut tx = sqlx::Connection::begin_with(&mut *conn, begin).await.map_err(map_err)?;
        let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(*version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        if applied.is_some() {
            continue;
        }
        for statement in statements(sql.text(backend)) {
            sqlx::query(statement).execute(&mut *tx).await.map_err(|e| {
                StoreError::Database(format!("migration {version} failed at {statement:?}: {}", map_err(e)))
            })?;
        }
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).timestamp_micros();
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        tracing::info!(version, "applied migration");
    }
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM schema_migrations")
        .fetch_one(&mut *conn)
        .await
        .map_err(map_err)?
        .try_get(0)
        .map_err(map_err)?;
    tracing::debug!(count, "schema up to date");
    Ok(())
}

/// Splits a migration into statements at semicolons that end a line, but
/// not inside a `$$`-quoted body (a function's), after dropping `--`
/// comment lines.
fn statements(sql: &str) -> impl Iterator<Item = &str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, _) in sql.match_indices(";\n") {
        if sql[start..at].matches("$$").count().is_multiple_of(2) {
            pieces.push(&sql[start..at]);
            start = at + 2;
        }
    }
    pieces.push(&sql[start..]);
    pieces.into_iter().map(str::trim).filter(|s| !s.is_empty() && !s.lines().all(|l| l.trim_start().starts_with("--")))
}

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn a_function_body_is_one_statement_with_its_semicolons() {
        let sql = "-- a comment;\nCREATE TABLE t (a INT);\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n\
                   BEGIN\n  PERFORM 1;\n  RETURN 2;\nEND\n$$;\nINSERT INTO t VALUES (1);\n";
        let found: Vec<&str> = statements(sql).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0], "CREATE TABLE t (a INT)");
        assert!(found[1].starts_with("CREATE FUNCTION") && found[1].ends_with("END\n$$"), "{:?}", found[1]);
        assert_eq!(found[2], "INSERT INTO t VALUES (1)");
    }
}
