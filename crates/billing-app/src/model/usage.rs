//! Usage as settling reads it, as bills show it, and as the stream refuses it.

use billing_domain::calendar::BillingZone;
use billing_domain::ids::{AccountId, WorkspaceId};
use billing_domain::money::Money;
use billing_domain::usage::CuHours;
use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{InstanceRecord, OrderRecord};

/// An instance with its orders, oldest first.
pub type InstanceWithOrders = (InstanceRecord, Vec<OrderRecord>);

/// What settling usage needs to know about a set of workspaces, read in
/// bulk by [`crate::store::UsageTx::usage_facts`]. Orders come without their tenders and
/// benefits: settling only dates them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageFacts {
    /// The workspaces found, deleted ones included.
    pub workspaces: Vec<UsageWorkspace>,
    /// Every quota bound to one of them, in any state, newest first, with
    /// its orders oldest first.
    pub quotas: Vec<InstanceWithOrders>,
    /// The active resource plans of their accounts, in every region, oldest
    /// first, with their orders oldest first.
    pub plans: Vec<InstanceWithOrders>,
}

/// A workspace as settling sees it: whose it is and where it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageWorkspace {
    /// Id, `ws_…`.
    pub id: WorkspaceId,
    /// Owner.
    pub account_id: AccountId,
    /// Region it runs in.
    pub region_id: String,
    /// When it was created: usage of hours before the one it was created in
    /// is refused.
    pub created_at: DateTime<Utc>,
}

/// A refused message, kept for operators to list and export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRejection {
    /// Id, `urj_…`.
    pub id: String,
    /// The stream it came from.
    pub stream: String,
    /// Its sequence number in that stream.
    pub stream_seq: i64,
    /// The record id it carried, when it could be read.
    pub record_id: Option<String>,
    /// Stable code of the reason (`MALFORMED_MESSAGE`, `INVALID_INPUT`,
    /// `NOT_FOUND`, `DUPLICATE_USAGE_RECORD`).
    pub code: String,
    /// The reason in words, naming the field at fault.
    pub reason: String,
    /// The message's body (cut to [`MAX_KEPT_PAYLOAD_BYTES`]).
    pub payload: String,
    /// When it was refused.
    pub rejected_at: DateTime<Utc>,
}

/// What the store is asked for: the same days as instants in the zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRange {
    /// The account.
    pub account_id: AccountId,
    /// The zone whose local days the rows are.
    pub zone: BillingZone,
    /// First day.
    pub from: NaiveDate,
    /// The day after the last.
    pub to: NaiveDate,
    /// Only this workspace.
    pub workspace_id: Option<WorkspaceId>,
    /// Only rows after this one.
    pub after: Option<UsageCursor>,
    /// At most this many.
    pub limit: i64,
}

/// The settlements of one workspace on one local day, summed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageDay {
    /// The local date in the account's billing zone.
    pub date: NaiveDate,
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// Its name (kept after it was deleted).
    pub workspace_name: String,
    /// Everything used.
    pub usage: CuHours,
    /// Covered by the workspace's subscription quota.
    pub quota: CuHours,
    /// Drawn from resource plans.
    pub plan: CuHours,
    /// Billed pay-as-you-go.
    pub pay_as_you_go: CuHours,
    /// Charged for the pay-as-you-go part.
    pub charge: Money,
}

/// Where a page of usage rows starts: after this date and workspace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsageCursor {
    /// The date of the last row already read.
    pub date: NaiveDate,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
}
