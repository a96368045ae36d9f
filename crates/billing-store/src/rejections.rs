//! Stream messages refused one by one (migration 15).

use async_trait::async_trait;
use billing_app::store::{RejectionsTx, StoreResult};
use billing_app::usage_stream::UsageRejection;
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;

fn rejection(row: &AnyRow) -> StoreResult<UsageRejection> {
    Ok(UsageRejection {
        id: row.text("id")?,
        stream: row.text("stream")?,
        stream_seq: row.int("stream_seq")?,
        record_id: row.opt_text("record_id")?,
        code: row.text("code")?,
        reason: row.text("reason")?,
        payload: row.text("payload")?,
        rejected_at: row.instant("rejected_at")?,
    })
}

#[async_trait]
impl RejectionsTx for SqlTx {
    async fn insert_usage_rejections(&mut self, rejections: &[UsageRejection]) -> StoreResult<usize> {
        // Refusals are rare: one statement each keeps this simple.
        let mut added = 0;
        for r in rejections {
            let done = sqlx::query(
                "INSERT INTO usage_rejections (id, stream, stream_seq, record_id, code, reason, payload, rejected_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (stream, stream_seq) DO NOTHING",
            )
            .bind(&r.id)
            .bind(&r.stream)
            .bind(r.stream_seq)
            .bind(r.record_id.as_deref())
            .bind(&r.code)
            .bind(&r.reason)
            .bind(&r.payload)
            .bind(micros(r.rejected_at))
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
            added += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        Ok(added)
    }

    async fn usage_rejections(&mut self, starting_after: Option<&str>, limit: i64) -> StoreResult<Vec<UsageRejection>> {
        let rows = match starting_after {
            None => sqlx::query("SELECT * FROM usage_rejections ORDER BY rejected_at, id LIMIT $1")
                .bind(limit)
                .fetch_all(self.db().await?)
                .await
                .map_err(map_err)?,
            Some(after) => sqlx::query(
                "SELECT r.* FROM usage_rejections r, usage_rejections a WHERE a.id = $1 \
                 AND (r.rejected_at > a.rejected_at OR (r.rejected_at = a.rejected_at AND r.id > a.id)) \
                 ORDER BY r.rejected_at, r.id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?,
        };
        rows.iter().map(rejection).collect()
    }
}
