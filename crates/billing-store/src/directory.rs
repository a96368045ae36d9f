//! Operator look-ups: accounts with their counts, an account's balance
//! lines, and the audit trail narrowed by filters.

use async_trait::async_trait;
use billing_app::directory::{AccountFilter, AccountSummary, AuditFilter, AuditOrder, BalanceLine};
use billing_app::model::AuditEvent;
use billing_app::store::{DirectoryTx, StoreResult};
use billing_domain::ids::AccountId;
use sqlx::any::AnyRow;

use crate::accounts::account;
use crate::error::map_err;
use crate::ledger::audit_event;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;

/// An account's columns with its two counts.
const SUMMARY: &str = "SELECT a.*, \
     (SELECT COUNT(*) FROM instances i WHERE i.account_id = a.id AND i.state = 'active') AS active_instances, \
     (SELECT COUNT(*) FROM refunds r WHERE r.account_id = a.id AND r.status = 'pending') AS pending_refunds \
     FROM accounts a";

/// Ids of everything an account owns that audit events name as their
/// subject; `$2` is the account. Worked out when reading, so every event
/// ever written is found without an account column to keep filled.
const OWNED: &str = "SELECT id FROM instances WHERE account_id = $2 \
     UNION ALL SELECT id FROM orders WHERE account_id = $2 \
     UNION ALL SELECT id FROM payment_methods WHERE account_id = $2 \
     UNION ALL SELECT id FROM refunds WHERE account_id = $2 \
     UNION ALL SELECT id FROM unsubscriptions WHERE account_id = $2 \
     UNION ALL SELECT id FROM charges WHERE account_id = $2 \
     UNION ALL SELECT id FROM benefits WHERE account_id = $2 \
     UNION ALL SELECT id FROM api_keys WHERE account_id = $2 \
     UNION ALL SELECT id FROM webhook_endpoints WHERE account_id = $2 \
     UNION ALL SELECT id FROM workspaces WHERE account_id = $2 \
     UNION ALL SELECT j.id FROM jobs j JOIN workspaces w ON w.id = j.workspace_id WHERE w.account_id = $2 \
     UNION ALL SELECT d.id FROM data_objects d JOIN workspaces w ON w.id = d.workspace_id WHERE w.account_id = $2";

fn summary(row: &AnyRow) -> StoreResult<AccountSummary> {
    Ok(AccountSummary {
        account: account(row)?,
        active_instances: row.int("active_instances")?,
        pending_refunds: row.int("pending_refunds")?,
    })
}

/// `text` as a LIKE pattern that matches it anywhere, with `\` escaping.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[async_trait]
impl DirectoryTx for SqlTx {
    async fn account_summaries(&mut self, f: &AccountFilter) -> StoreResult<Vec<AccountSummary>> {
        // The name is matched lowered and as typed: SQLite lowers ASCII
        // letters only, so a name in another script still matches when
        // typed in its own case.
        let sql = format!(
            "{SUMMARY} WHERE ($1 IS NULL OR a.id = $1 OR LOWER(a.name) LIKE $2 ESCAPE '\\' OR a.name LIKE $3 ESCAPE '\\') \
             AND ($4 IS NULL OR a.name > (SELECT name FROM accounts WHERE id = $4)) \
             ORDER BY a.name, a.id LIMIT $5"
        );
        let rows = sqlx::query(&sql)
            .bind(f.query.as_deref())
            .bind(f.query.as_deref().map(|q| contains_pattern(&q.to_lowercase())))
            .bind(f.query.as_deref().map(contains_pattern))
            .bind(f.starting_after.as_deref())
            .bind(f.limit)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(summary).collect()
    }

    async fn account_summary(&mut self, id: &AccountId) -> StoreResult<Option<AccountSummary>> {
        let sql = format!("{SUMMARY} WHERE a.id = $1");
        let row = sqlx::query(&sql).bind(id.as_str()).fetch_optional(self.db().await?).await.map_err(map_err)?;
        row.as_ref().map(summary).transpose()
    }

    async fn balance_lines(
        &mut self,
        ledger_account: &str,
        before: Option<&str>,
        limit: i64,
    ) -> StoreResult<Option<Vec<BalanceLine>>> {
        if let Some(before) = before {
            let found =
                sqlx::query("SELECT 1 AS one FROM ledger_entries WHERE movement_id = $1 AND ledger_account = $2")
                    .bind(before)
                    .bind(ledger_account)
                    .fetch_optional(self.db().await?)
                    .await
                    .map_err(map_err)?;
            if found.is_none() {
                return Ok(None);
            }
        }
        let rows = sqlx::query(
            "SELECT m.id, m.kind, m.reference, m.at, e.unit, e.amount FROM ledger_entries e \
             JOIN ledger_movements m ON m.id = e.movement_id WHERE e.ledger_account = $1 \
             AND ($2 IS NULL OR (m.at, m.id) < (SELECT at, id FROM ledger_movements WHERE id = $2)) \
             ORDER BY m.at DESC, m.id DESC, e.line DESC LIMIT $3",
        )
        .bind(ledger_account)
        .bind(before)
        .bind(limit)
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        let line = |row: &AnyRow| {
            Ok(BalanceLine {
                movement_id: row.text("id")?,
                kind: row.text("kind")?,
                reference: row.text("reference")?,
                at: row.instant("at")?,
                unit: row.text("unit")?,
                amount_minor: row.int("amount")?,
            })
        };
        rows.iter().map(line).collect::<StoreResult<Vec<_>>>().map(Some)
    }

    async fn audit_search(&mut self, f: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        // One statement text per direction; each filter is switched off by
        // a NULL parameter.
        let (cursor, order, seq) = match f.order {
            AuditOrder::After(after) => ("e.seq > $6", "ASC", Some(after)),
            AuditOrder::Before(before) => ("($6 IS NULL OR e.seq < $6)", "DESC", before),
        };
        let sql = format!(
            "SELECT e.* FROM audit_events e WHERE ($1 IS NULL OR e.actor = $1) \
             AND ($2 IS NULL OR e.actor = $2 OR e.subject = $2 OR e.subject IN ({OWNED})) \
             AND ($3 IS NULL OR e.action = $3) AND ($4 IS NULL OR e.at >= $4) AND ($5 IS NULL OR e.at < $5) \
             AND {cursor} ORDER BY e.seq {order} LIMIT $7"
        );
        let rows = sqlx::query(&sql)
            .bind(f.actor.as_deref())
            .bind(f.account_id.as_deref())
            .bind(f.action.as_deref())
            .bind(f.from.map(micros))
            .bind(f.to.map(micros))
            .bind(seq)
            .bind(f.limit)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_event).collect()
    }
}
