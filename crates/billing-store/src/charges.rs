//! Charges: the tenders of a payment as sent to the payment channel.

use async_trait::async_trait;
use billing_app::charges::{ChargeRecord, ChargeStatus};
use billing_app::store::{ChargesTx, StoreResult};
use billing_domain::ids::{ChargeId, OrderId};
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, by_name, micros};
use crate::tx::SqlTx;

fn charge(row: &AnyRow) -> StoreResult<ChargeRecord> {
    let currency = row.currency("currency")?;
    Ok(ChargeRecord {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        order_id: row.opt_id("order_id")?,
        payment_id: row.text("payment_id")?,
        index: row.int("idx")?,
        method: by_name("method", &row.text("method")?, &PaymentMethodKind::ALL, PaymentMethodKind::as_str)?,
        payment_method_id: row.opt_id("payment_method_id")?,
        amount: row.money(currency, "amount_minor")?,
        status: by_name("status", &row.text("status")?, &ChargeStatus::ALL, ChargeStatus::as_str)?,
        failure: row.opt_text("failure")?,
        created_at: row.instant("created_at")?,
        updated_at: row.instant("updated_at")?,
    })
}

#[async_trait]
impl ChargesTx for SqlTx {
    async fn insert_charge(&mut self, c: &ChargeRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO charges (id, account_id, order_id, idx, method, payment_method_id, currency, amount_minor, \
             status, failure, created_at, updated_at, payment_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(c.id.as_str())
        .bind(c.account_id.as_str())
        .bind(c.order_id.as_deref())
        .bind(c.index)
        .bind(c.method.as_str())
        .bind(c.payment_method_id.as_deref())
        .bind(c.amount.currency().code())
        .bind(c.amount.minor())
        .bind(c.status.as_str())
        .bind(c.failure.as_deref())
        .bind(micros(c.created_at))
        .bind(micros(c.updated_at))
        .bind(&c.payment_id)
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn charge(&mut self, id: &ChargeId) -> StoreResult<Option<ChargeRecord>> {
        let row = sqlx::query("SELECT * FROM charges WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(charge).transpose()
    }

    async fn charges_of_order(&mut self, order_id: &OrderId) -> StoreResult<Vec<ChargeRecord>> {
        let rows = sqlx::query("SELECT * FROM charges WHERE order_id = $1 ORDER BY created_at, payment_id, idx")
            .bind(order_id.as_str())
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(charge).collect()
    }

    async fn set_charge_status(
        &mut self,
        id: &ChargeId,
        from: ChargeStatus,
        to: ChargeStatus,
        failure: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE charges SET status = $1, failure = COALESCE($2, failure), updated_at = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(to.as_str())
        .bind(failure)
        .bind(micros(now))
        .bind(id.as_str())
        .bind(from.as_str())
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn unsettled_charges(&mut self, before: DateTime<Utc>, limit: i64) -> StoreResult<Vec<ChargeRecord>> {
        let rows = sqlx::query(
            "SELECT c.* FROM charges c LEFT JOIN orders o ON o.id = c.order_id \
             WHERE c.updated_at <= $1 AND (c.status IN ('requested', 'voiding') \
             OR (c.status = 'captured' AND o.status IN ('unpaid', 'cancelled'))) \
             ORDER BY c.updated_at, c.id LIMIT $2",
        )
        .bind(micros(before))
        .bind(limit)
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(charge).collect()
    }
}
