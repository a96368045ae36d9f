//! Console sessions kept on the server (migration 13).

use async_trait::async_trait;
use billing_app::model::ConsoleSession;
use billing_app::store::{SessionsTx, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, micros, opt_micros};
use crate::tx::SqlTx;

fn session(row: &AnyRow) -> StoreResult<ConsoleSession> {
    Ok(ConsoleSession {
        id: row.text("id")?,
        key_hash: row.text("key_hash")?,
        created_at: row.instant("created_at")?,
        expires_at: row.instant("expires_at")?,
        ended_at: row.opt_instant("ended_at")?,
    })
}

#[async_trait]
impl SessionsTx for SqlTx {
    async fn insert_console_session(&mut self, s: &ConsoleSession) -> StoreResult<()> {
        // Sessions past their end sign no one in; forgetting them here keeps
        // the table as small as the sessions in use.
        sqlx::query("DELETE FROM console_sessions WHERE expires_at < $1")
            .bind(micros(s.created_at))
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        sqlx::query(
            "INSERT INTO console_sessions (id, key_hash, created_at, expires_at, ended_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id)
        .bind(&s.key_hash)
        .bind(micros(s.created_at))
        .bind(micros(s.expires_at))
        .bind(opt_micros(s.ended_at))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn console_session(&mut self, id: &str) -> StoreResult<Option<ConsoleSession>> {
        let row = sqlx::query("SELECT * FROM console_sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(session).transpose()
    }

    async fn end_console_session(&mut self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE console_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
            .bind(micros(at))
            .bind(id)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
