//! Bills and usage: settlements summed per local day and workspace, and an
//! account's orders newest first.
//!
//! Settlement packs are kept per UTC day (see `settlements`), while the
//! rows asked for are local days of a billing zone: a local day draws on
//! the packs of two UTC days. Each of the account's workspaces is read
//! through the `(workspace_id, day_start)` index over the UTC days the local
//! days reach, and every line is put in the local day its hour starts in.

use async_trait::async_trait;
use std::collections::BTreeMap;

use billing_app::bills::{UsageDay, UsageRange};
use billing_app::model::OrderRecord;
use billing_app::store::{BillsTx, StoreError, StoreResult};
use billing_domain::ids::{AccountId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::usage::CuHours;
use chrono::{DateTime, NaiveDate};

use crate::error::map_err;
use crate::rows::{RowExt, micros};
use crate::settlements::{Line, MICROS_PER_DAY, corrupt_lines, parse_draws};
use crate::tx::SqlTx;

/// The running sums of one row, in thousandths of a CU-hour and in minor
/// units.
#[derive(Default)]
struct Sums {
    usage: i64,
    quota: i64,
    plan: i64,
    pay_as_you_go: i64,
    charge: i64,
    currency: Option<Currency>,
}

impl Sums {
    fn add(&mut self, line: &Line<'_>, currency: Currency, text: &str) -> StoreResult<()> {
        let overflow = || StoreError::Corrupt(format!("settlement_packs.lines: sums overflow at {text:?}"));
        let plan = parse_draws(line.draws)?
            .iter()
            .try_fold(0_i64, |sum, (_, cu)| sum.checked_add(cu.milli()))
            .ok_or_else(overflow)?;
        let add = |sum: &mut i64, value: i64| -> StoreResult<()> {
            *sum = sum.checked_add(value).ok_or_else(overflow)?;
            Ok(())
        };
        add(&mut self.usage, line.usage)?;
        add(&mut self.quota, line.covered)?;
        add(&mut self.plan, plan)?;
        add(&mut self.pay_as_you_go, line.pay_as_you_go)?;
        add(&mut self.charge, line.charge_minor)?;
        match self.currency {
            Some(c) if c != currency => Err(StoreError::Corrupt(format!("settlements in {c} and {currency}"))),
            _ => {
                self.currency = Some(currency);
                Ok(())
            }
        }
    }
}

#[async_trait]
impl BillsTx for SqlTx {
    async fn usage_days(&mut self, range: &UsageRange) -> StoreResult<Vec<UsageDay>> {
        let first = match &range.after {
            Some(after) if after.date >= range.from => after.date,
            _ => range.from,
        };
        let start = micros(range.zone.start_of_day(first).map_err(|e| StoreError::Database(e.to_string()))?);
        let end = micros(range.zone.start_of_day(range.to).map_err(|e| StoreError::Database(e.to_string()))?);
        let workspaces = sqlx::query(
            "SELECT id, name FROM workspaces WHERE account_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY id",
        )
        .bind(range.account_id.as_str())
        .bind(range.workspace_id.as_deref())
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        let mut sums: BTreeMap<(NaiveDate, String), Sums> = BTreeMap::new();
        let mut names = BTreeMap::new();
        for workspace in &workspaces {
            let id = workspace.text("id")?;
            names.insert(id.clone(), workspace.text("name")?);
            // A pack holds the hours of one UTC day: those starting before
            // `start` but within a day of it may still reach into range.
            let packs = sqlx::query(
                "SELECT day_start, currency, lines FROM settlement_packs \
                 WHERE workspace_id = $1 AND day_start > $2 AND day_start < $3",
            )
            .bind(&id)
            .bind(start - MICROS_PER_DAY)
            .bind(end)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
            for pack in &packs {
                let currency = pack.currency("currency")?;
                let text = pack.text("lines")?;
                for line in Line::parse_all(pack.int("day_start")?, &text)? {
                    if line.hour < start || line.hour >= end {
                        continue;
                    }
                    let hour = DateTime::from_timestamp_micros(line.hour).ok_or_else(|| corrupt_lines(&text))?;
                    let key = (range.zone.local_date(hour), id.clone());
                    sums.entry(key).or_default().add(&line, currency, &text)?;
                }
            }
        }
        let after = range.after.as_ref().map(|a| (a.date, a.workspace_id.as_str()));
        let wanted = usize::try_from(range.limit).unwrap_or(0);
        Ok(sums
            .into_iter()
            .filter(|((date, id), _)| after.is_none_or(|after| (*date, id.as_str()) > after))
            .take(wanted)
            .map(|((date, workspace_id), s)| UsageDay {
                date,
                workspace_name: names.get(&workspace_id).cloned().unwrap_or_default(),
                workspace_id: WorkspaceId::trusted(workspace_id),
                usage: CuHours::from_milli(s.usage),
                quota: CuHours::from_milli(s.quota),
                plan: CuHours::from_milli(s.plan),
                pay_as_you_go: CuHours::from_milli(s.pay_as_you_go),
                charge: Money::from_minor(s.currency.unwrap_or(Currency::Usd), s.charge),
            })
            .collect())
    }

    async fn account_orders(
        &mut self,
        account_id: Option<&AccountId>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<OrderRecord>> {
        // Every condition is always present and switched off by a NULL
        // parameter, so the statement text never depends on the filter.
        let rows = sqlx::query(
            "SELECT * FROM orders WHERE ($1 IS NULL OR account_id = $1) \
             AND ($2 IS NULL OR (created_at, id) < (SELECT created_at, id FROM orders WHERE id = $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(account_id.map(AccountId::as_str))
        .bind(starting_after)
        .bind(limit)
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        let mut orders = rows.iter().map(crate::instances::order).collect::<StoreResult<Vec<_>>>()?;
        self.fill_orders(&mut orders).await?;
        Ok(orders)
    }
}
