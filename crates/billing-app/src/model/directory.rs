//! What operators list and search: accounts, balances, the audit trail.

use chrono::{DateTime, Utc};

use crate::model::Account;

/// Which accounts to list, by name then id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountFilter {
    /// Only accounts whose name contains this text (any case) or whose id
    /// is exactly it.
    pub query: Option<String>,
    /// Only those listed after this account (the last of the previous page).
    pub starting_after: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// An account with what an operator wants to see at a glance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    /// The account.
    pub account: Account,
    /// Its instances that are active now.
    pub active_instances: i64,
    /// Its refunds still on their way.
    pub pending_refunds: i64,
}

/// One entry of an account's cash balance in the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceLine {
    /// The movement it belongs to.
    pub movement_id: String,
    /// What moved, e.g. `order.payment`.
    pub kind: String,
    /// The order, refund or charge it is about.
    pub reference: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The currency code.
    pub unit: String,
    /// Signed minor units: positive adds to the balance.
    pub amount_minor: i64,
}

/// Which way a page of the audit trail runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditOrder {
    /// Oldest first, after this sequence number (0 for the start).
    After(i64),
    /// Newest first, before this sequence number (`None` for the head).
    Before(Option<i64>),
}

/// Which audit events to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only those by this actor (an account id, `operator` or `system`).
    pub actor: Option<String>,
    /// Only those about this account or anything it owns.
    pub account_id: Option<String>,
    /// Only this action, e.g. `order.paid`.
    pub action: Option<String>,
    /// Only at or after.
    pub from: Option<DateTime<Utc>>,
    /// Only before.
    pub to: Option<DateTime<Utc>>,
    /// Direction and cursor.
    pub order: AuditOrder,
    /// At most this many.
    pub limit: i64,
}
