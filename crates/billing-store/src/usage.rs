//! Usage records and the settlements of workspace-hours.

use billing_app::model::{SettledHour, Settlement, UsageRecord};
use billing_app::store::StoreResult;
use billing_domain::money::Money;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;

/// Most rows written by one multi-row INSERT (SQLite allows 32,766
/// parameters; four per row).
const USAGE_ROWS_PER_STATEMENT: usize = 500;

fn usage_record(row: &AnyRow) -> StoreResult<UsageRecord> {
    Ok(UsageRecord {
        record_id: row.text("record_id")?,
        workspace_id: row.text("workspace_id")?,
        hour_start: row.instant("hour_start")?,
        cu_hours: CuHours::from_milli(row.int("cu_milli")?),
    })
}

impl SqlTx {
    /// Inserts the new records with multi-row statements; for ids already
    /// stored, returns the stored record so the caller can tell an
    /// idempotent repeat from a conflicting one.
    pub(crate) async fn insert_usage_rows(&mut self, records: &[UsageRecord]) -> StoreResult<Vec<Option<UsageRecord>>> {
        let mut inserted = std::collections::HashSet::with_capacity(records.len());
        for chunk in records.chunks(USAGE_ROWS_PER_STATEMENT) {
            let mut sql =
                String::from("INSERT INTO usage_records (record_id, workspace_id, hour_start, cu_milli) VALUES ");
            for i in 0..chunk.len() {
                let p = i * 4;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4));
            }
            sql.push_str(" ON CONFLICT (record_id) DO NOTHING RETURNING record_id");
            let mut query = sqlx::query(&sql);
            for r in chunk {
                query =
                    query.bind(&r.record_id).bind(&r.workspace_id).bind(micros(r.hour_start)).bind(r.cu_hours.milli());
            }
            for row in query.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                inserted.insert(row.text("record_id")?);
            }
        }
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            if inserted.contains(&r.record_id) {
                out.push(None);
                continue;
            }
            let row = sqlx::query("SELECT * FROM usage_records WHERE record_id = $1")
                .bind(&r.record_id)
                .fetch_one(&mut *self.tx)
                .await
                .map_err(map_err)?;
            out.push(Some(usage_record(&row)?));
        }
        Ok(out)
    }

    pub(crate) async fn settled_hour_row(
        &mut self,
        workspace_id: &str,
        hour_start: DateTime<Utc>,
    ) -> StoreResult<Option<SettledHour>> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(usage_milli), 0) AS BIGINT) AS usage_milli, \
             CAST(COALESCE(SUM(covered_milli), 0) AS BIGINT) AS covered_milli FROM settlements \
             WHERE workspace_id = $1 AND hour_start = $2",
        )
        .bind(workspace_id)
        .bind(micros(hour_start))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(map_err)?;
        if row.int("n")? == 0 {
            return Ok(None);
        }
        Ok(Some(SettledHour {
            usage: CuHours::from_milli(row.int("usage_milli")?),
            covered: CuHours::from_milli(row.int("covered_milli")?),
        }))
    }

    pub(crate) async fn insert_settlement_rows(&mut self, s: &Settlement) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO settlements (id, workspace_id, account_id, hour_start, adjustment, usage_milli, covered_milli, \
             payg_milli, bill_milli_major, currency, charge_minor, settled_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&s.id)
        .bind(&s.workspace_id)
        .bind(&s.account_id)
        .bind(micros(s.hour_start))
        .bind(i64::from(s.adjustment))
        .bind(s.usage.milli())
        .bind(s.covered.milli())
        .bind(s.pay_as_you_go.milli())
        .bind(s.bill_milli_major)
        .bind(s.charge.currency().code())
        .bind(s.charge.minor())
        .bind(micros(s.settled_at))
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        for (plan_id, cu_hours) in &s.draws {
            sqlx::query("INSERT INTO plan_draws (settlement_id, plan_id, cu_milli) VALUES ($1, $2, $3)")
                .bind(&s.id)
                .bind(plan_id)
                .bind(cu_hours.milli())
                .execute(&mut *self.tx)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    pub(crate) async fn settlement_rows(&mut self, workspace_id: &str, limit: i64) -> StoreResult<Vec<Settlement>> {
        let rows = sqlx::query(
            "SELECT * FROM settlements WHERE workspace_id = $1 ORDER BY hour_start, settled_at, id LIMIT $2",
        )
        .bind(workspace_id)
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = row.text("id")?;
            let draws =
                sqlx::query("SELECT plan_id, cu_milli FROM plan_draws WHERE settlement_id = $1 ORDER BY plan_id")
                    .bind(&id)
                    .fetch_all(&mut *self.tx)
                    .await
                    .map_err(map_err)?
                    .iter()
                    .map(|d| Ok((d.text("plan_id")?, CuHours::from_milli(d.int("cu_milli")?))))
                    .collect::<StoreResult<Vec<_>>>()?;
            let currency = row.currency("currency")?;
            out.push(Settlement {
                id,
                workspace_id: row.text("workspace_id")?,
                account_id: row.text("account_id")?,
                hour_start: row.instant("hour_start")?,
                adjustment: row.flag("adjustment")?,
                usage: CuHours::from_milli(row.int("usage_milli")?),
                covered: CuHours::from_milli(row.int("covered_milli")?),
                draws,
                pay_as_you_go: CuHours::from_milli(row.int("payg_milli")?),
                bill_milli_major: row.int("bill_milli_major")?,
                charge: Money::from_minor(currency, row.int("charge_minor")?),
                settled_at: row.instant("settled_at")?,
            });
        }
        Ok(out)
    }
}
