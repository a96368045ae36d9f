//! Deleting a workspace that has nothing to refund: a pay-as-you-go
//! workspace, one whose quota has ended, or one whose quota is in force but
//! refunds nothing. Same deletion and tombstone as an unsubscription's, typed
//! name and idempotency key included, without a refund. A workspace whose
//! quota can still be refunded is deleted by unsubscribing that quota.

use billing_domain::ids::WorkspaceId;
use billing_domain::quote::InstanceStatus;
use billing_domain::reason::ReasonCode;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::idempotency::Run;
use crate::model::{InstanceRecord, InstanceState, Tombstone, Workspace};
use crate::store::StoreTx;
use crate::unsubscription::Unsubscriptions;
use crate::unsubscription::facts::load_facts;
use crate::workspaces::workspace_of;

/// A request to delete a workspace without a refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceDeletion {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// Its name, typed by the customer.
    pub confirm_workspace_deletion: String,
    /// The caller's key; repeating it repeats nothing.
    pub idempotency_key: String,
}

/// The quota that ends with its workspace, refunding nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndingQuota {
    /// The quota.
    pub instance: InstanceRecord,
    /// Why it refunds nothing (`EXPIRED` when its last period is over).
    pub reason: Option<ReasonCode>,
    /// The same, in words.
    pub reason_message: Option<&'static str>,
}

/// What deleting a workspace without a refund would remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionPreview {
    /// The workspace.
    pub workspace: Workspace,
    /// What would be deleted, with counts.
    pub deletes: Tombstone,
    /// A quota still marked in force that ends with the workspace.
    pub quota: Option<EndingQuota>,
}

/// A deleted workspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedWorkspace {
    /// What is left of it.
    pub tombstone: Tombstone,
    /// True when this answers a repeated request with the first result.
    pub replayed: bool,
}

/// The deletion's fingerprint: the workspace and the name typed.
fn fingerprint(d: &WorkspaceDeletion) -> String {
    crate::idempotency::fingerprint("delete_workspace", &[d.workspace_id.as_str(), &d.confirm_workspace_deletion])
}

/// Reads what deleting `workspace_id` would do, in `tx`; refuses a
/// workspace whose quota can still be refunded or awaits its first payment.
async fn preview_in(
    billing: &Unsubscriptions,
    tx: &mut (dyn StoreTx + '_),
    caller: &Caller,
    workspace_id: &WorkspaceId,
    now: DateTime<Utc>,
) -> AppResult<DeletionPreview> {
    let workspace = workspace_of(tx, caller, workspace_id).await?;
    let quota = match tx.quota_of_workspace(workspace_id).await? {
        None => None,
        Some(q) if q.state == InstanceState::PendingPayment => {
            return Err(AppError::state(format!(
                "the workspace's quota {} awaits its first payment; pay or cancel that order first",
                q.id
            )));
        }
        Some(q) => {
            let facts = load_facts(tx, &billing.policies, q.clone(), InstanceStatus::Active, now).await?;
            let quote = facts.quote(now, None)?;
            if quote.eligible() {
                return Err(AppError::QuotaRefundable { instance_id: q.id });
            }
            Some(EndingQuota { instance: q, reason: quote.reason, reason_message: quote.reason_message() })
        }
    };
    let (_, [jobs, data_objects, queues]) =
        tx.workspace_with_counts(workspace_id).await?.ok_or_else(|| AppError::not_found("workspace", workspace_id))?;
    let deletes = Tombstone {
        workspace_id: workspace.id.clone(),
        account_id: workspace.account_id.clone(),
        name: workspace.name.clone(),
        jobs,
        data_objects,
        queues,
        deleted_at: now,
    };
    Ok(DeletionPreview { workspace, deletes, quota })
}

impl Unsubscriptions {
    /// What deleting a workspace without a refund would remove, or why it
    /// must be deleted by unsubscribing its quota instead
    /// (`QUOTA_REFUNDABLE`).
    pub async fn workspace_deletion_preview(
        &self,
        caller: &Caller,
        workspace_id: &WorkspaceId,
    ) -> AppResult<DeletionPreview> {
        let now = self.core.now();
        let mut tx = self.core.read().await?;
        preview_in(self, &mut *tx, caller, workspace_id, now).await
    }

    /// Deletes a workspace that has nothing to refund: its jobs, data
    /// objects and queues go, a tombstone stays, and a quota still marked in
    /// force ends with it. Refuses with nothing changed when the typed name
    /// differs or the quota can still be refunded.
    pub async fn delete_workspace(&self, caller: &Caller, d: &WorkspaceDeletion) -> AppResult<DeletedWorkspace> {
        let hash = fingerprint(d);
        let (billing, who, request) = (self.clone(), caller.clone(), d.clone());
        let run = self
            .core
            .once(caller, &d.idempotency_key, &hash, String::clone, move |tx| {
                Box::pin(async move { billing.delete_in(tx, &who, &request).await })
            })
            .await?;
        let (workspace_id, replayed) = match run {
            Run::First(id) => (id, false),
            Run::Repeat(id) => (id, true),
        };
        let tombstone = self.deleted_workspace(caller, &WorkspaceId::trusted(workspace_id)).await?;
        Ok(DeletedWorkspace { tombstone, replayed })
    }

    /// What is left of a deleted workspace of the caller's account.
    pub async fn deleted_workspace(&self, caller: &Caller, workspace_id: &WorkspaceId) -> AppResult<Tombstone> {
        let mut tx = self.core.read().await?;
        let found = tx.tombstone(workspace_id).await?;
        crate::core::visible(caller, "workspace", workspace_id, found, |t| &t.account_id)
    }

    async fn delete_in(
        &self,
        tx: &mut (dyn StoreTx + '_),
        caller: &Caller,
        d: &WorkspaceDeletion,
    ) -> AppResult<String> {
        let now = self.core.now();
        // Locked first, as purchases and confirmations do: a renewal paid in
        // another replica meanwhile would make the quota refundable.
        let owner = tx.workspace(&d.workspace_id).await?.map(|w| w.account_id);
        if let Some(account_id) = owner.filter(|a| caller.may_see(a)) {
            tx.lock_account(&account_id).await?;
        }
        let preview = preview_in(self, tx, caller, &d.workspace_id, now).await?;
        if d.confirm_workspace_deletion != preview.workspace.name {
            return Err(AppError::ConfirmationMismatch { expected: preview.workspace.name });
        }
        if let Some(quota) = &preview.quota
            && !tx.set_instance_state(&quota.instance.id, InstanceState::Active, InstanceState::Expired).await?
        {
            return Err(AppError::QuoteStale { message: "the workspace's quota changed meanwhile".to_owned() });
        }
        tx.delete_workspace(&preview.deletes).await?;
        let t = &preview.deletes;
        let detail = json!({
            "name": t.name, "jobs": t.jobs, "data_objects": t.data_objects, "queues": t.queues, "refund": null,
            "quota_ended": preview.quota.as_ref().map(|q| &q.instance.id),
            "quota_reason": preview.quota.as_ref().and_then(|q| q.reason).map(|r| r.code()),
        });
        audit(tx, caller, "workspace.deleted", &t.workspace_id, detail, now).await?;
        if let Some(quota) = &preview.quota {
            let expired = crate::model::InstanceRecord { state: InstanceState::Expired, ..quota.instance.clone() };
            crate::events::emit(tx, crate::events::EventType::InstanceExpired, &expired, now).await?;
        }
        crate::events::emit(tx, crate::events::EventType::WorkspaceDeleted, t, now).await?;
        Ok(t.workspace_id.to_string())
    }
}
