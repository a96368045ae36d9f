//! Ledger movements as stored.

use chrono::{DateTime, Utc};

/// One side of a movement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The movement it belongs to.
    pub movement_id: String,
    /// The ledger account, e.g. `customer:acc_…:balance`.
    pub ledger_account: String,
    /// A currency code or [`CAPACITY_UNIT`].
    pub unit: String,
    /// Signed amount in the unit's smallest part.
    pub amount: i64,
}

/// A balanced set of entries: one money (or capacity) movement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    /// Id, `mov_…`.
    pub id: String,
    /// What moved, e.g. `order.payment`, `refund.balance`.
    pub kind: String,
    /// The thing it is about (order, refund, settlement id).
    pub reference: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The entries; they sum to zero per unit.
    pub entries: Vec<LedgerEntry>,
}
