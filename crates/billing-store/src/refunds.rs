//! Quotes, unsubscriptions, refunds with their processing claims, and
//! idempotency keys.

use async_trait::async_trait;
use billing_app::store::{RefundsTx, StoreError, StoreResult};
use billing_app::unsubscription::records::{
    IdempotencyClaim, Refund, RefundCause, RefundFilter, RefundStatus, StoredQuote, Unsubscription,
};
use billing_domain::catalog::Commodity;
use billing_domain::change::ActionKind;
use billing_domain::ids::{AccountId, OrderId, QuoteId, RefundId, UnsubscriptionId};
use billing_domain::money::Money;
use billing_domain::order::{OrderStatus, PaymentMethodKind};
use billing_domain::reason::ReasonCode;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::Backend;
use crate::error::map_err;
use crate::held::{Bind, Part};
use crate::rows::{RowExt, by_name, micros};
use crate::tx::SqlTx;

/// The start of a quote's insert, up to its 15 values.
const INSERT_QUOTE: &str = "INSERT INTO quotes (id, account_id, instance_id, order_id, created_at, expires_at, \
     policy_version, digest, eligible, reason, currency, refund_minor, body, action, new_quota_cu) VALUES";
/// A quote already stored is left as it is.
const KEEP: &str = "ON CONFLICT (id) DO NOTHING";

/// A quote's 15 values in [`INSERT_QUOTE`]'s order.
fn quote_binds(q: &StoredQuote) -> Vec<Bind> {
    vec![
        q.id.as_str().into(),
        q.account_id.as_str().into(),
        q.instance_id.as_str().into(),
        q.order_id.as_deref().into(),
        micros(q.created_at).into(),
        micros(q.expires_at).into(),
        i64::from(q.policy_version).into(),
        q.digest.as_str().into(),
        i64::from(q.eligible).into(),
        q.reason.map(ReasonCode::code).into(),
        q.refund.currency().code().into(),
        q.refund.minor().into(),
        q.body.as_str().into(),
        q.action.as_str().into(),
        q.new_quota_cu.map(i64::from).into(),
    ]
}

fn action(row: &AnyRow) -> StoreResult<ActionKind> {
    by_name("action", &row.text("action")?, &ActionKind::ALL, ActionKind::as_str)
}

fn opt_cu(row: &AnyRow, column: &str) -> StoreResult<Option<u32>> {
    row.opt_int(column)?.map(|v| u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{column} {v}")))).transpose()
}

fn quote(row: &AnyRow) -> StoreResult<StoredQuote> {
    let currency = row.currency("currency")?;
    let reason = match row.opt_text("reason")? {
        None => None,
        Some(code) => Some(by_name("reason", &code, &ReasonCode::ALL, ReasonCode::code)?),
    };
    let version = row.int("policy_version")?;
    Ok(StoredQuote {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        instance_id: row.id("instance_id")?,
        order_id: row.opt_id("order_id")?,
        created_at: row.instant("created_at")?,
        expires_at: row.instant("expires_at")?,
        policy_version: u32::try_from(version).map_err(|_| StoreError::Corrupt(format!("policy_version {version}")))?,
        digest: row.text("digest")?,
        eligible: row.flag("eligible")?,
        reason,
        refund: row.money(currency, "refund_minor")?,
        body: row.text("body")?,
        action: action(row)?,
        new_quota_cu: opt_cu(row, "new_quota_cu")?,
    })
}

fn unsubscription(row: &AnyRow) -> StoreResult<Unsubscription> {
    let currency = row.currency("currency")?;
    let order_id = row.text("order_id")?;
    Ok(Unsubscription {
        id: row.id("id")?,
        account_id: row.id("account_id")?,
        instance_id: row.id("instance_id")?,
        order_id: (!order_id.is_empty()).then(|| OrderId::trusted(order_id)),
        quote_id: row.id("quote_id")?,
        commodity: by_name("commodity", &row.text("commodity")?, &Commodity::ALL, Commodity::code)?,
        refund: row.money(currency, "refund_minor")?,
        full_refund: row.flag("full_refund")?,
        created_at: row.instant("created_at")?,
        action: by_name("action", &row.text("action")?, &RefundCause::ALL, RefundCause::as_str)?,
        quota_cu_after: opt_cu(row, "quota_cu_after")?,
    })
}

fn refund(row: &AnyRow) -> StoreResult<Refund> {
    let currency = row.currency("currency")?;
    let method = |column: &str| -> StoreResult<PaymentMethodKind> {
        by_name(column, &row.text(column)?, &PaymentMethodKind::ALL, PaymentMethodKind::as_str)
    };
    Ok(Refund {
        id: row.id("id")?,
        unsubscription_id: row.id("unsubscription_id")?,
        account_id: row.id("account_id")?,
        order_id: row.id("order_id")?,
        tender_index: row.int("tender_index")?,
        from: method("from_method")?,
        destination: method("destination")?,
        payment_method_id: row.opt_id("payment_method_id")?,
        charge_id: row.opt_id("charge_id")?,
        rule: row.text("rule")?,
        amount: Money::from_minor(currency, row.int("amount_minor")?),
        status: by_name("status", &row.text("status")?, &RefundStatus::ALL, RefundStatus::as_str)?,
        rerouted_from: row.opt_id("rerouted_from")?,
        failure: row.opt_text("failure")?,
        attempts: row.int("attempts")?,
        created_at: row.instant("created_at")?,
        updated_at: row.instant("updated_at")?,
        expected_by: row.instant("expected_by")?,
    })
}

#[async_trait]
impl RefundsTx for SqlTx {
    async fn quote(&mut self, id: &QuoteId) -> StoreResult<Option<StoredQuote>> {
        let row = sqlx::query("SELECT * FROM quotes WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(quote).transpose()
    }

    async fn insert_unsubscription(&mut self, u: &Unsubscription, q: &StoredQuote) -> StoreResult<()> {
        let quote = format!("{INSERT_QUOTE} ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) {KEEP}");
        let unsubscription = Part::new(
            "INSERT INTO unsubscriptions (id, account_id, instance_id, order_id, quote_id, commodity, currency, \
             refund_minor, full_refund, created_at, action, quota_cu_after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            vec![
                u.id.as_str().into(),
                u.account_id.as_str().into(),
                u.instance_id.as_str().into(),
                u.order_id.as_deref().unwrap_or("").into(),
                u.quote_id.as_str().into(),
                u.commodity.code().into(),
                u.refund.currency().code().into(),
                u.refund.minor().into(),
                i64::from(u.full_refund).into(),
                micros(u.created_at).into(),
                u.action.as_str().into(),
                u.quota_cu_after.map(i64::from).into(),
            ],
        );
        self.write_or_hold(vec![Part::new(quote, quote_binds(q)), unsubscription]).await
    }

    async fn unsubscription(&mut self, id: &UnsubscriptionId) -> StoreResult<Option<Unsubscription>> {
        let row = sqlx::query("SELECT * FROM unsubscriptions WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(unsubscription).transpose()
    }

    async fn full_refunds_between(
        &mut self,
        account_id: &AccountId,
        commodity: Commodity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM unsubscriptions WHERE account_id = $1 AND commodity = $2 AND full_refund = 1 \
             AND created_at >= $3 AND created_at < $4",
        )
        .bind(account_id.as_str())
        .bind(commodity.code())
        .bind(micros(from))
        .bind(micros(to))
        .fetch_one(self.db().await?)
        .await
        .map_err(map_err)?;
        row.int("n")
    }

    async fn insert_refund(&mut self, r: &Refund) -> StoreResult<()> {
        let sql = "INSERT INTO refunds (id, unsubscription_id, account_id, order_id, tender_index, from_method, \
             destination, payment_method_id, rule, currency, amount_minor, status, rerouted_from, failure, attempts, \
             claimed_by, claimed_until, created_at, updated_at, expected_by, charge_id) VALUES ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, NULL, $16, $17, $18, $19)";
        let binds = vec![
            r.id.as_str().into(),
            r.unsubscription_id.as_str().into(),
            r.account_id.as_str().into(),
            r.order_id.as_str().into(),
            r.tender_index.into(),
            r.from.as_str().into(),
            r.destination.as_str().into(),
            r.payment_method_id.as_deref().into(),
            r.rule.as_str().into(),
            r.amount.currency().code().into(),
            r.amount.minor().into(),
            r.status.as_str().into(),
            r.rerouted_from.as_deref().into(),
            r.failure.as_deref().into(),
            r.attempts.into(),
            micros(r.created_at).into(),
            micros(r.updated_at).into(),
            micros(r.expected_by).into(),
            r.charge_id.as_deref().into(),
        ];
        self.write_or_hold(vec![Part::new(sql, binds)]).await
    }

    async fn refund(&mut self, id: &RefundId) -> StoreResult<Option<Refund>> {
        let row = sqlx::query("SELECT * FROM refunds WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(refund).transpose()
    }

    async fn refunds(&mut self, f: &RefundFilter) -> StoreResult<Vec<Refund>> {
        // Every condition is always present and switched off by a NULL
        // parameter, so the statement text never depends on the filter.
        let rows = sqlx::query(
            "SELECT * FROM refunds WHERE ($1 IS NULL OR account_id = $1) AND ($2 IS NULL OR status = $2) \
             AND ($3 IS NULL OR unsubscription_id = $3) AND ($4 IS NULL OR created_at >= $4) \
             AND ($5 IS NULL OR created_at < $5) \
             AND ($7 IS NULL OR (created_at, id) < (SELECT created_at, id FROM refunds WHERE id = $7)) \
             ORDER BY created_at DESC, id DESC LIMIT $6",
        )
        .bind(f.account_id.as_deref())
        .bind(f.status.map(RefundStatus::as_str))
        .bind(f.unsubscription_id.as_deref())
        .bind(f.from.map(micros))
        .bind(f.to.map(micros))
        .bind(f.limit)
        .bind(f.starting_after.as_deref())
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(refund).collect()
    }

    async fn order_refunded(&mut self, id: &OrderId) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) AS refunded FROM refunds \
             WHERE order_id = $1 AND status <> 'failed'",
        )
        .bind(id.as_str())
        .fetch_one(self.db().await?)
        .await
        .map_err(map_err)?;
        row.int("refunded")
    }

    async fn refund_order(&mut self, id: &OrderId) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "UPDATE orders SET status = $1 WHERE id = $2 AND status = $3 RETURNING CAST((SELECT \
             COALESCE(SUM(amount_minor), 0) FROM refunds WHERE refunds.order_id = orders.id \
             AND refunds.status <> 'failed') AS BIGINT) AS refunded",
        )
        .bind(OrderStatus::Refunded.as_str())
        .bind(id.as_str())
        .bind(OrderStatus::Paid.as_str())
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?;
        row.map(|r| r.int("refunded")).transpose()
    }

    async fn refund_due(&mut self, now: DateTime<Utc>) -> StoreResult<bool> {
        let found = sqlx::query(
            "SELECT id FROM refunds WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < $1) \
             AND (next_attempt_at IS NULL OR next_attempt_at <= $1) LIMIT 1",
        )
        .bind(micros(now))
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(found.is_some())
    }

    async fn claim_refunds(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Refund>> {
        // PostgreSQL lets concurrent workers skip rows another one is
        // claiming; SQLite runs one writer at a time anyway.
        let skip_locked = if self.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE refunds SET claimed_by = $1, claimed_until = $2 WHERE id IN (\
             SELECT id FROM refunds WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < $3) \
             AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
             ORDER BY attempts, created_at, id LIMIT $4{skip_locked}) RETURNING *"
        );
        let rows = sqlx::query(&sql)
            .bind(worker)
            .bind(micros(until))
            .bind(micros(now))
            .bind(limit)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        let mut refunds = rows.iter().map(refund).collect::<StoreResult<Vec<_>>>()?;
        // Never-tried refunds first, as claimed; RETURNING keeps no order.
        refunds.sort_by(|a, b| (a.attempts, a.created_at, &a.id).cmp(&(b.attempts, b.created_at, &b.id)));
        Ok(refunds)
    }

    async fn finish_refund(
        &mut self,
        id: &RefundId,
        worker: &str,
        to: RefundStatus,
        failure: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE refunds SET status = $1, failure = $2, updated_at = $3, claimed_by = NULL, claimed_until = NULL, \
             attempts = attempts + 1 WHERE id = $4 AND status = 'pending' AND claimed_by = $5",
        )
        .bind(to.as_str())
        .bind(failure)
        .bind(micros(now))
        .bind(id.as_str())
        .bind(worker)
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_refund(
        &mut self,
        id: &RefundId,
        worker: Option<&str>,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE refunds SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = $3, \
             attempts = attempts + (CASE WHEN $3 IS NULL THEN 0 ELSE 1 END) WHERE id = $1 \
             AND status = 'pending' AND ($2 IS NULL OR claimed_by = $2)",
        )
        .bind(id.as_str())
        .bind(worker)
        .bind(next_attempt_at.map(micros))
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn claim_idempotency(
        &mut self,
        scope: &str,
        key: &str,
        request_hash: &str,
        response: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<IdempotencyClaim> {
        // A concurrent holder of the same key makes this insert wait until
        // it commits (then the key is used) or rolls back (then it is ours).
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idem_key, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, idem_key) DO NOTHING RETURNING idem_key",
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(response)
        .bind(micros(now))
        .fetch_optional(self.db().await?)
        .await
        .map_err(map_err)?;
        if inserted.is_some() {
            return Ok(IdempotencyClaim::Claimed);
        }
        let row =
            sqlx::query("SELECT request_hash, response FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2")
                .bind(scope)
                .bind(key)
                .fetch_one(self.db().await?)
                .await
                .map_err(map_err)?;
        Ok(IdempotencyClaim::Used {
            request_hash: row.text("request_hash")?,
            response: row.opt_text("response")?.unwrap_or_default(),
        })
    }

    async fn complete_idempotency(&mut self, scope: &str, key: &str, response: &str) -> StoreResult<()> {
        sqlx::query("UPDATE idempotency_keys SET response = $1 WHERE account_id = $2 AND idem_key = $3")
            .bind(response)
            .bind(scope)
            .bind(key)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
