//! Bills and usage: what an account's workspaces used per local day of the
//! account's billing zone, split by how it was paid for (the workspace's
//! quota, resource plans, or pay-as-you-go), and the account's orders
//! newest first. Both are read in pages named by a cursor, so exports can
//! stream them without holding a whole list.

use billing_domain::calendar::BillingZone;
use billing_domain::ids::{AccountId, OrderId, WorkspaceId};
use chrono::NaiveDate;

use crate::core::Caller;
use crate::error::{AppError, AppResult};
use crate::metering::Metering;
use crate::model::OrderRecord;
pub use crate::model::usage::{UsageCursor, UsageDay, UsageRange};
use crate::store::StoreTx;

/// Most usage rows or orders one page holds.
pub const MAX_PAGE: i64 = 1000;

/// Most days one usage query spans.
pub const MAX_USAGE_SPAN_DAYS: i64 = 366;

impl UsageDay {
    /// The row's cursor: its date and workspace, e.g. `2026-03-09.ws_0192`.
    pub fn cursor(&self) -> String {
        format!("{}.{}", self.date, self.workspace_id)
    }
}

impl UsageCursor {
    /// Reads a cursor made by [`UsageDay::cursor`].
    pub fn parse(text: &str) -> AppResult<UsageCursor> {
        let bad = || AppError::invalid("starting_after", "is not a usage row (expected DATE.WORKSPACE_ID)");
        let (date, workspace_id) = text.split_once('.').ok_or_else(bad)?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad())?;
        let workspace_id = WorkspaceId::parse(workspace_id).map_err(|_| bad())?;
        Ok(UsageCursor { date, workspace_id })
    }
}

/// Which usage rows to read: local days `[from, to)`, optionally of one
/// workspace, after a cursor, at most `limit` of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageQuery {
    /// The account; operators must name one, customers read their own.
    pub account_id: Option<AccountId>,
    /// First day.
    pub from: NaiveDate,
    /// The day after the last.
    pub to: NaiveDate,
    /// Only this workspace.
    pub workspace_id: Option<WorkspaceId>,
    /// Only rows after this one.
    pub starting_after: Option<UsageCursor>,
    /// At most this many (1 to [`MAX_PAGE`]).
    pub limit: i64,
}

/// A page of usage rows with the zone their dates are in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsagePage {
    /// The account's billing zone.
    pub zone: BillingZone,
    /// By date, then workspace id.
    pub rows: Vec<UsageDay>,
}

/// The account a caller reads: a customer's own, or the one an operator
/// names.
fn account_of(caller: &Caller, account_id: Option<&AccountId>) -> AppResult<AccountId> {
    match (caller, account_id) {
        (Caller::Customer(own), None) => Ok(own.clone()),
        // Another account's id is as unknown as a missing one.
        (Caller::Customer(own), Some(id)) if id == own => Ok(own.clone()),
        (Caller::Customer(_), Some(id)) => Err(AppError::not_found("account", id)),
        (_, Some(id)) => Ok(id.to_owned()),
        (_, None) => Err(AppError::invalid("account_id", "is required with an operator key")),
    }
}

fn check_limit(limit: i64) -> AppResult<()> {
    if (1..=MAX_PAGE).contains(&limit) { Ok(()) } else { Err(AppError::invalid("limit", "must be between 1 and 1000")) }
}

/// The billing zone of an account: that of the first region selling in its
/// currency, or the default zone.
pub async fn account_zone(
    tx: &mut (dyn StoreTx + '_),
    currency: billing_domain::money::Currency,
) -> AppResult<BillingZone> {
    let regions = tx.regions().await?;
    Ok(regions.iter().find(|r| r.currency() == currency).map(|r| r.zone).unwrap_or_default())
}

impl Metering {
    /// A page of an account's usage per local day and workspace.
    pub async fn usage_days(&self, caller: &Caller, query: UsageQuery) -> AppResult<UsagePage> {
        check_limit(query.limit)?;
        if query.to <= query.from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if (query.to - query.from).num_days() > MAX_USAGE_SPAN_DAYS {
            return Err(AppError::invalid("to", format!("must be at most {MAX_USAGE_SPAN_DAYS} days after from")));
        }
        let account_id = account_of(caller, query.account_id.as_ref())?;
        let mut tx = self.core.read().await?;
        let account = tx.account(&account_id).await?.ok_or_else(|| AppError::not_found("account", &account_id))?;
        if let Some(id) = &query.workspace_id {
            let found = tx.workspace(id).await?.filter(|w| w.account_id == account.id);
            found.ok_or_else(|| AppError::not_found("workspace", id))?;
        }
        let zone = account_zone(&mut *tx, account.currency).await?;
        let range = UsageRange {
            account_id: account.id,
            zone,
            from: query.from,
            to: query.to,
            workspace_id: query.workspace_id,
            after: query.starting_after,
            limit: query.limit,
        };
        let rows = tx.usage_days(&range).await?;
        Ok(UsagePage { zone, rows })
    }

    /// The billing zone an account's days and instants are shown in; the
    /// default zone for an operator naming no account.
    pub async fn billing_zone_of(&self, caller: &Caller, account_id: Option<&AccountId>) -> AppResult<BillingZone> {
        if account_id.is_none() && !matches!(caller, Caller::Customer(_)) {
            return Ok(BillingZone::default());
        }
        let account_id = account_of(caller, account_id)?;
        let mut tx = self.core.read().await?;
        let account = tx.account(&account_id).await?.ok_or_else(|| AppError::not_found("account", &account_id))?;
        account_zone(&mut *tx, account.currency).await
    }

    /// A page of an account's orders (for operators without an account, of
    /// every account), newest first, after the order `starting_after`.
    pub async fn account_orders(
        &self,
        caller: &Caller,
        account_id: Option<&AccountId>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> AppResult<Vec<OrderRecord>> {
        check_limit(limit)?;
        let account = match (caller, account_id) {
            (Caller::Customer(_), _) | (_, Some(_)) => Some(account_of(caller, account_id)?),
            (_, None) => None,
        };
        let mut tx = self.core.read().await?;
        if let Some(after) = starting_after {
            let cursor = match OrderId::parse(after) {
                Ok(after) => tx.order(&after).await?,
                Err(_) => None,
            };
            let mine = cursor.is_some_and(|o| account.as_ref().is_none_or(|a| *a == o.account_id));
            if !mine {
                return Err(AppError::invalid("starting_after", "is not an order of this account"));
            }
        }
        Ok(tx.account_orders(account.as_ref(), starting_after, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use billing_domain::money::Money;
    use billing_domain::usage::CuHours;

    use super::*;

    #[test]
    fn a_usage_cursor_reads_back_what_a_row_writes_and_refuses_anything_else() {
        let row = UsageDay {
            date: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            workspace_id: WorkspaceId::trusted("ws_01.x"),
            workspace_name: "etl".into(),
            usage: CuHours::ZERO,
            quota: CuHours::ZERO,
            plan: CuHours::ZERO,
            pay_as_you_go: CuHours::ZERO,
            charge: Money::zero(billing_domain::money::Currency::Usd),
        };
        let cursor = UsageCursor::parse(&row.cursor()).unwrap();
        assert_eq!((cursor.date, cursor.workspace_id.as_str()), (row.date, "ws_01.x"));
        for bad in ["", "2026-03-09", "2026-03-09.", "2026-13-01.ws_a", "yesterday.ws_a"] {
            assert!(UsageCursor::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn customers_read_their_own_account_and_operators_must_name_one() {
        let me = Caller::Customer(AccountId::trusted("acc_a"));
        assert_eq!(account_of(&me, None).unwrap(), "acc_a");
        assert_eq!(account_of(&me, Some(&AccountId::trusted("acc_a"))).unwrap(), "acc_a");
        assert!(matches!(account_of(&me, Some(&AccountId::trusted("acc_b"))), Err(AppError::NotFound { .. })));
        assert_eq!(account_of(&Caller::Operator, Some(&AccountId::trusted("acc_b"))).unwrap(), "acc_b");
        assert!(account_of(&Caller::Operator, None).is_err());
    }
}
