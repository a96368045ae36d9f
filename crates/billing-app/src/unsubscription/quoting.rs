//! Binding quotes: computed from the stored facts, kept with a digest of
//! them, and valid for the policy's quote lifetime.

use billing_domain::calendar::BillingZone;
use billing_domain::ids::{InstanceId, OrderId, QuoteId, WorkspaceId};
use billing_domain::quote::{Quote, RefundType};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use billing_domain::change::ActionKind;

use super::facts::{Question, QuoteBasis};
use super::records::StoredQuote;
use super::token::{KEY_SETTING, QuoteKey, QuoteKeys};
use crate::core::{Caller, visible};
use crate::error::{AppError, AppResult};
use crate::model::{InstanceRecord, Tombstone};
use crate::unsubscription::Unsubscriptions;
use crate::wire::{QuoteWire, ZonedInstant};

/// A binding quote with the computation behind it.
#[derive(Clone, Debug)]
pub struct QuoteView {
    /// What was stored.
    pub stored: StoredQuote,
    /// The itemized quote.
    pub quote: Quote,
    /// The zone its instants are shown in.
    pub zone: BillingZone,
    /// For a quota: what deleting its workspace would remove.
    pub deletes: Option<Tombstone>,
}

impl QuoteView {
    /// The quote as JSON: the itemized quote plus `quote_id`, `instance_id`,
    /// `expires_at`, `policy_version` and, for a quota, `workspace`.
    pub fn json(&self) -> AppResult<Value> {
        serde_json::to_value(self.body()).map_err(|e| AppError::internal(format!("a quote cannot be written: {e}")))
    }

    /// The same, to be serialized without building a tree of values.
    pub fn body(&self) -> QuoteBody<'_> {
        quote_body(&self.stored, &self.quote, self.zone, self.deletes.as_ref())
    }
}

/// The JSON shape of [`QuoteView::json`].
#[derive(Debug, Serialize)]
pub struct QuoteBody<'a> {
    #[serde(flatten)]
    quote: QuoteWire<'a>,
    quote_id: &'a str,
    instance_id: &'a str,
    order_id: Option<&'a str>,
    quoted_at: ZonedInstant,
    expires_at: ZonedInstant,
    policy_version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<WorkspaceWire<'a>>,
}

/// The workspace a quota's unsubscription deletes, with what it holds.
#[derive(Debug, Serialize)]
struct WorkspaceWire<'a> {
    id: &'a str,
    name: &'a str,
    jobs: i64,
    data_objects: i64,
    queues: i64,
}

fn quote_body<'a>(
    stored: &'a StoredQuote,
    quote: &'a Quote,
    zone: BillingZone,
    deletes: Option<&'a Tombstone>,
) -> QuoteBody<'a> {
    QuoteBody {
        quote: QuoteWire::new(quote, zone),
        quote_id: &stored.id,
        instance_id: &stored.instance_id,
        order_id: stored.order_id.as_deref(),
        quoted_at: ZonedInstant(stored.created_at, zone),
        expires_at: ZonedInstant(stored.expires_at, zone),
        policy_version: stored.policy_version,
        workspace: deletes.map(|t| WorkspaceWire {
            id: &t.workspace_id,
            name: &t.name,
            jobs: t.jobs,
            data_objects: t.data_objects,
            queues: t.queues,
        }),
    }
}

/// What unsubscribing a quota would delete: its workspace with counts.
pub(crate) async fn deletion_preview(
    tx: &mut (dyn crate::store::StoreTx + '_),
    record: &InstanceRecord,
    now: DateTime<Utc>,
) -> AppResult<Option<Tombstone>> {
    let Some(workspace_id) = record.workspace_id.as_ref().filter(|_| record.quota_cu.is_some()) else {
        return Ok(None);
    };
    let Some((workspace, [jobs, data_objects, queues])) = tx.workspace_with_counts(workspace_id).await? else {
        return Ok(None);
    };
    Ok(Some(Tombstone {
        workspace_id: workspace.id,
        account_id: workspace.account_id,
        name: workspace.name,
        jobs,
        data_objects,
        queues,
        deleted_at: now,
    }))
}

/// A quote computed from `facts`, whose digest is `digest`, identified by
/// its signed id. Its body is left empty; it is written when the quote is
/// confirmed.
pub(crate) fn signed_quote(
    key: &QuoteKeys,
    facts: &QuoteBasis,
    digest: &str,
    quote: &Quote,
    question: &Question<'_>,
    now: DateTime<Utc>,
) -> AppResult<StoredQuote> {
    // A stored TTL is bounded when set, but one stored before the bounds may
    // be anything: past chrono's range it fails this quote, never the process.
    let ttl = facts.policy.policy.quote_ttl.as_duration();
    let mut stored = StoredQuote {
        id: QuoteId::trusted(String::new()),
        account_id: facts.account_id.clone(),
        instance_id: facts.instance_id.clone(),
        order_id: question.order_id.cloned(),
        created_at: now,
        expires_at: billing_domain::calendar::shift(now, ttl)?,
        policy_version: facts.policy.version,
        digest: digest.to_owned(),
        eligible: quote.eligible(),
        reason: quote.reason,
        refund: quote.refund,
        body: String::new(),
        action: question.action,
        new_quota_cu: question.new_quota_cu,
    };
    stored.id = key.sign(&stored);
    Ok(stored)
}

/// The itemized quote as kept with a confirmed quote.
pub(crate) fn stored_body(stored: &StoredQuote, quote: &Quote, zone: BillingZone) -> AppResult<String> {
    serde_json::to_string(&quote_body(stored, quote, zone, None))
        .map_err(|e| AppError::internal(format!("a quote cannot be kept: {e}")))
}

impl Unsubscriptions {
    /// Quotes giving back an instance (or, with `order_id`, one of its
    /// pending renewals). The quote is binding through its signed id and
    /// writes nothing; confirming it stores it.
    pub async fn quote_unsubscription(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
        order_id: Option<&OrderId>,
    ) -> AppResult<QuoteView> {
        self.quote_action(caller, instance_id, &Question::unsubscribe(order_id)).await
    }

    /// Quotes `question` on an instance: giving it back, downgrading the
    /// quota or switching it to pay-as-you-go. Binding through its signed
    /// id, as [`crate::unsubscription::Unsubscriptions::quote_unsubscription`].
    pub async fn quote_action(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
        question: &Question<'_>,
    ) -> AppResult<QuoteView> {
        question.check()?;
        let now = self.core.now();
        // The digest makes the quote go stale if anything it was computed
        // from changes before it is confirmed.
        let cached = self.quote_facts(caller, instance_id, now).await?;
        let facts = &cached.basis;
        let quote = facts.quote_question(now, question)?;
        // Only an unsubscription of the whole quota deletes its workspace.
        let deletes = match (question.action, question.order_id) {
            (ActionKind::Unsubscribe, None) if quote.eligible() => {
                cached.deletes.as_deref().map(|t| Tombstone { deleted_at: now, ..t.clone() })
            }
            _ => None,
        };
        let stored = signed_quote(self.quote_keys().await?, facts, &cached.digest, &quote, question, now)?;
        self.core.meter.count(crate::telemetry::QUOTES_ISSUED, &[("action", question.action.as_str())], 1);
        Ok(QuoteView { stored, quote, zone: facts.zone, deletes })
    }

    /// The keys quote ids are signed and checked with: those given with
    /// [`Billing::with_quote_keys`], or else one made once and kept in the
    /// database so that every replica signs and checks alike.
    pub(crate) async fn quote_keys(&self) -> AppResult<&QuoteKeys> {
        self.quote_key
            .get_or_try_init(|| async {
                let mut tx = self.core.begin().await?;
                let stored = tx.setting_or_insert(KEY_SETTING, &QuoteKey::random_hex()).await?;
                tx.commit().await?;
                let key = QuoteKey::from_hex(&stored)
                    .ok_or_else(|| AppError::internal("the quote signing key is malformed"))?;
                Ok(QuoteKeys::single(key))
            })
            .await
    }

    /// Quotes deleting a workspace: the unsubscription of its quota. A
    /// workspace without a prepaid quota has nothing to refund
    /// (`NOT_PREPAID`); it is deleted without an unsubscription.
    pub async fn quote_workspace_deletion(&self, caller: &Caller, workspace_id: &WorkspaceId) -> AppResult<QuoteView> {
        let quota = {
            let mut tx = self.core.read().await?;
            crate::workspaces::workspace_of(&mut *tx, caller, workspace_id).await?;
            tx.quota_of_workspace(workspace_id).await?
        };
        match quota {
            Some(quota) => self.quote_unsubscription(caller, &quota.id, None).await,
            None => Err(AppError::NotEligible { reason: billing_domain::reason::ReasonCode::NotPrepaid }),
        }
    }

    /// The refund type of an instance right now, without storing a quote
    /// (for listings).
    pub async fn refund_type_now(&self, caller: &Caller, record: &InstanceRecord) -> AppResult<(RefundType, Quote)> {
        if !caller.may_see(&record.account_id) {
            return Err(AppError::not_found("instance", &record.id));
        }
        let now = self.core.now();
        let cached = self.quote_facts(caller, &record.id, now).await?;
        let quote = cached.basis.quote(now, None)?;
        Ok((quote.refund_type, quote))
    }

    /// The quote a quote id stands for, as far as the id tells (no body).
    pub async fn stored_quote(&self, caller: &Caller, quote_id: &QuoteId) -> AppResult<StoredQuote> {
        let quote = self.quote_keys().await?.open(quote_id, self.core.now());
        visible(caller, "quote", quote_id, quote, |q| &q.account_id)
    }
}
