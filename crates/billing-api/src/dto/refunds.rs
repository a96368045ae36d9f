//! Wire types of unsubscriptions and quota changes: the refunds they make
//! and the workspace a quota's unsubscription deletes.
//!
//! Built field by field from the app's views ([`billing_app::views`], the
//! shape their events carry); tests hold each DTO's JSON to its view's, byte
//! for byte.

use billing_app::views::{RefundView, UnsubscriptionView, WorkspaceDeletionView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What deleting a quota's workspace removes.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceDeletionDto {
    /// Workspace id.
    pub id: String,
    /// Its name, to be typed to confirm.
    pub name: String,
    /// Jobs deleted.
    pub jobs: i64,
    /// Data objects deleted.
    pub data_objects: i64,
    /// Queues deleted.
    pub queues: i64,
}

impl From<WorkspaceDeletionView> for WorkspaceDeletionDto {
    fn from(view: WorkspaceDeletionView) -> Self {
        WorkspaceDeletionDto {
            id: view.id,
            name: view.name,
            jobs: view.jobs,
            data_objects: view.data_objects,
            queues: view.queues,
        }
    }
}

/// A refund to one destination.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundDto {
    /// Id.
    pub id: String,
    /// Its unsubscription.
    pub unsubscription_id: String,
    /// The order refunded.
    pub order_id: String,
    /// How the part was paid.
    pub from: String,
    /// Where it goes.
    pub to: String,
    /// How much.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Why it goes there.
    pub rule: String,
    /// The failed refund this one replaces.
    pub rerouted_from: Option<String>,
    /// The channel's reason for a failure.
    pub failure: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When its status last changed.
    pub updated_at: String,
    /// Latest expected arrival.
    pub expected_by: String,
}

impl From<RefundView> for RefundDto {
    fn from(view: RefundView) -> Self {
        RefundDto {
            id: view.id,
            unsubscription_id: view.unsubscription_id,
            order_id: view.order_id,
            from: view.from,
            to: view.to,
            amount: view.amount,
            currency: view.currency,
            status: view.status,
            rule: view.rule,
            rerouted_from: view.rerouted_from,
            failure: view.failure,
            created_at: view.created_at,
            updated_at: view.updated_at,
            expected_by: view.expected_by,
        }
    }
}

/// A confirmed unsubscription.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscriptionDto {
    /// Id.
    pub id: String,
    /// `unsubscribe`, `downgrade`, `switch_to_pay_as_you_go` or
    /// `activation_failed` (a paid quota its region had no room for).
    pub action: String,
    /// For a downgrade or a switch: the CUs the quota keeps from the next
    /// clock hour on (0 after a switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_cu_after: Option<u32>,
    /// The instance given back.
    pub instance_id: String,
    /// The renewal order, for a renewal-only unsubscription.
    pub order_id: Option<String>,
    /// The quote executed.
    pub quote_id: String,
    /// Total refunded.
    pub refund: String,
    /// Currency.
    pub currency: String,
    /// Whether every refunded order came back whole.
    pub full_refund: bool,
    /// When.
    pub created_at: String,
    /// True when this repeats an earlier request with the same key.
    pub replayed: bool,
    /// The deleted workspace, for a quota.
    pub workspace_deleted: Option<WorkspaceDeletionDto>,
    /// The refunds.
    pub refunds: Vec<RefundDto>,
}

impl From<UnsubscriptionView> for UnsubscriptionDto {
    fn from(view: UnsubscriptionView) -> Self {
        UnsubscriptionDto {
            id: view.id,
            action: view.action,
            quota_cu_after: view.quota_cu_after,
            instance_id: view.instance_id,
            order_id: view.order_id,
            quote_id: view.quote_id,
            refund: view.refund,
            currency: view.currency,
            full_refund: view.full_refund,
            created_at: view.created_at,
            replayed: view.replayed,
            workspace_deleted: view.workspace_deleted.map(WorkspaceDeletionDto::from),
            refunds: view.refunds.into_iter().map(RefundDto::from).collect(),
        }
    }
}
