//! Events: every change a customer's systems care about, written in the
//! transaction of the change itself (a transactional outbox), so that an
//! event exists if and only if its change committed.
//!
//! A use case records an event with one call, [`emit`], passing the
//! resource as it now stands; the event's `data` is that resource's view
//! ([`crate::views`]), the shape the API's DTOs are built from. Writing the
//! event also queues one delivery for every enabled webhook endpoint that
//! asked for its type (see [`crate::webhooks`]).

use billing_domain::ids::{AccountId, EventId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::core::Caller;
use crate::error::{AppError, AppResult};
use crate::ids::mint;
pub use crate::model::events::{Event, EventFilter, EventType};
use crate::model::{InstanceRecord, OrderRecord, Tombstone};
use crate::store::StoreTx;
use crate::unsubscription::UnsubscriptionResult;
use crate::unsubscription::records::Refund;
use crate::views::{OrderView, PurchasedInstanceView, RefundView, UnsubscriptionView, WorkspaceDeletionView};
use crate::webhooks::Webhooks;

/// A resource an event can carry: its owner, its id, and its view.
pub trait EventResource {
    /// The account it belongs to.
    fn account_id(&self) -> &str;
    /// Its id.
    fn resource_id(&self) -> &str;
    /// Its view, as events carry it and the API shows it.
    fn data(&self) -> AppResult<Value>;
}

fn to_value(value: impl Serialize) -> AppResult<Value> {
    serde_json::to_value(value).map_err(|e| AppError::internal(format!("an event's data cannot be written: {e}")))
}

impl EventResource for OrderRecord {
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn resource_id(&self) -> &str {
        &self.id
    }
    fn data(&self) -> AppResult<Value> {
        to_value(OrderView::from(self))
    }
}

impl EventResource for InstanceRecord {
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn resource_id(&self) -> &str {
        &self.id
    }
    fn data(&self) -> AppResult<Value> {
        to_value(PurchasedInstanceView::from(self))
    }
}

impl EventResource for Refund {
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn resource_id(&self) -> &str {
        &self.id
    }
    fn data(&self) -> AppResult<Value> {
        to_value(RefundView::from(self))
    }
}

impl EventResource for UnsubscriptionResult {
    fn account_id(&self) -> &str {
        &self.unsubscription.account_id
    }
    fn resource_id(&self) -> &str {
        &self.unsubscription.id
    }
    fn data(&self) -> AppResult<Value> {
        to_value(UnsubscriptionView::from(self))
    }
}

impl EventResource for Tombstone {
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn resource_id(&self) -> &str {
        &self.workspace_id
    }
    fn data(&self) -> AppResult<Value> {
        to_value(WorkspaceDeletionView::from(self))
    }
}

/// A resource given as its parts, for use cases whose resource has no
/// [`EventResource`] of its own (yet): `data` must be the API's wire form.
#[derive(Clone, Debug)]
pub struct Shown<'a> {
    /// The owner.
    pub account_id: &'a str,
    /// The resource's id.
    pub resource_id: &'a str,
    /// The resource as the API shows it.
    pub data: Value,
}

impl EventResource for Shown<'_> {
    fn account_id(&self) -> &str {
        self.account_id
    }
    fn resource_id(&self) -> &str {
        self.resource_id
    }
    fn data(&self) -> AppResult<Value> {
        Ok(self.data.clone())
    }
}

/// Records that `event_type` happened to `resource` at `now`, in the
/// caller's transaction: the event and its deliveries commit with the
/// change, or neither does. Returns the event's id.
pub async fn emit(
    tx: &mut (dyn StoreTx + '_),
    event_type: EventType,
    resource: &(dyn EventResource + Sync),
    now: DateTime<Utc>,
) -> AppResult<EventId> {
    let event = Event {
        id: mint(),
        event_type,
        account_id: AccountId::trusted(resource.account_id()),
        resource_id: resource.resource_id().to_owned(),
        occurred_at: now,
        data: resource.data()?,
    };
    tx.insert_event(&event).await?;
    Ok(event.id)
}

/// [`emit`] for each of `resources`.
pub async fn emit_each<R: EventResource + Sync>(
    tx: &mut (dyn StoreTx + '_),
    event_type: EventType,
    resources: &[R],
    now: DateTime<Utc>,
) -> AppResult<()> {
    for resource in resources {
        emit(tx, event_type, resource, now).await?;
    }
    Ok(())
}

/// Most event types one filter or endpoint may name.
pub const MAX_TYPES: usize = 32;

impl Webhooks {
    /// Events the caller may see, newest first.
    pub async fn events(&self, caller: &Caller, mut filter: EventFilter) -> AppResult<Vec<Event>> {
        if let Caller::Customer(id) = caller {
            filter.account_id = Some(id.clone());
        }
        if !(1..=100).contains(&filter.limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 100"));
        }
        if filter.types.len() > MAX_TYPES {
            return Err(AppError::invalid("type", format!("at most {MAX_TYPES} types")));
        }
        let mut tx = self.core.read().await?;
        if let Some(after) = &filter.starting_after {
            // Text that cannot be an event id names no event.
            let cursor = match EventId::parse(after) {
                Ok(after) => tx.event(&after).await?.filter(|e| caller.may_see(&e.account_id)),
                Err(_) => None,
            };
            if cursor.is_none() {
                return Err(AppError::invalid("starting_after", "is not an event of this account"));
            }
        }
        Ok(tx.events(&filter).await?)
    }

    /// One event.
    pub async fn event(&self, caller: &Caller, id: &EventId) -> AppResult<Event> {
        let found = self.core.read().await?.event(id).await?;
        crate::core::visible(caller, "event", id, found, |e| &e.account_id)
    }
}

/// `event` for a confirmed refund set (an unsubscription, a downgrade or a
/// switch), `refund.created` for each refund and `workspace.deleted` when a
/// quota's workspace went with it.
pub(crate) async fn emit_refund_set(
    tx: &mut (dyn StoreTx + '_),
    event: EventType,
    result: &UnsubscriptionResult,
    now: DateTime<Utc>,
) -> AppResult<()> {
    emit(tx, event, result, now).await?;
    emit_each(tx, EventType::RefundCreated, &result.refunds, now).await?;
    if let Some(tombstone) = &result.tombstone {
        emit(tx, EventType::WorkspaceDeleted, tombstone, now).await?;
    }
    Ok(())
}

/// `refund.failed` for a refused refund and `refund.rerouted` for the
/// balance refund that replaces it.
pub(crate) async fn emit_rerouted(
    tx: &mut (dyn StoreTx + '_),
    refused: &Refund,
    reason: &str,
    replacement: &Refund,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let failed = Refund {
        status: crate::unsubscription::records::RefundStatus::Failed,
        failure: Some(reason.to_owned()),
        updated_at: now,
        ..refused.clone()
    };
    emit(tx, EventType::RefundFailed, &failed, now).await?;
    emit(tx, EventType::RefundRerouted, replacement, now).await?;
    Ok(())
}

/// `instance.expired` for an instance that just expired.
pub(crate) async fn emit_expired(
    tx: &mut (dyn StoreTx + '_),
    instance: &InstanceRecord,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let expired = InstanceRecord { state: crate::model::InstanceState::Expired, ..instance.clone() };
    emit(tx, EventType::InstanceExpired, &expired, now).await?;
    Ok(())
}
