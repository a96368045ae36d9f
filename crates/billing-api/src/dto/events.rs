//! Wire types of events, webhook endpoints and delivery attempts.

use billing_app::events::{Event, EventType};
use billing_app::webhooks::WebhookEndpoint;
use billing_app::webhooks::delivery::{Delivery, DeliveryAttempt};
use billing_domain::ids::WebhookEndpointId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::instant;
use crate::problem::ApiError;

/// Something that happened, with the resource as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventDto {
    /// Id, stable forever; the `webhook-id` of its deliveries.
    pub id: String,
    /// What happened, e.g. `order.paid`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The account it concerns.
    pub account_id: String,
    /// The id of the resource in `data`.
    pub resource_id: String,
    /// When it happened.
    pub occurred_at: String,
    /// The resource as the API shows it (an order, instance, refund,
    /// unsubscription or deleted workspace).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<&Event> for EventDto {
    fn from(e: &Event) -> Self {
        EventDto {
            id: e.id.to_string(),
            event_type: e.event_type.as_str().to_owned(),
            account_id: e.account_id.to_string(),
            resource_id: e.resource_id.clone(),
            occurred_at: instant(e.occurred_at),
            data: e.data.clone(),
        }
    }
}

/// Reads event type names, naming `field` at fault.
pub fn event_types(field: &str, names: &[String]) -> Result<Vec<EventType>, ApiError> {
    names.iter().map(|n| n.trim().parse().map_err(|e: String| ApiError::invalid(field, e))).collect()
}

/// A request to register or change a webhook endpoint.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointRequestDto {
    /// Where to post events: `https://…` (`http://` only to a loopback host).
    pub url: String,
    /// The event types to receive; empty or absent for every type.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// A note.
    #[serde(default)]
    pub description: String,
    /// Operators only: the account whose events to receive (absent: every
    /// account's).
    #[serde(default)]
    pub account_id: Option<String>,
    /// On update: `enabled` or `disabled`.
    #[serde(default)]
    pub status: Option<String>,
}

/// A webhook endpoint (its secret is shown only when created or rotated).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookEndpointDto {
    /// Id.
    pub id: String,
    /// The account whose events it receives; none for every account's.
    pub account_id: Option<String>,
    /// Where events are posted.
    pub url: String,
    /// The types it receives; empty for every type.
    pub event_types: Vec<String>,
    /// A note.
    pub description: String,
    /// `enabled` or `disabled`.
    pub status: String,
    /// Why it was disabled: `by_request`, `gone` (answered 410) or
    /// `failing` (failed for three days).
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed.
    pub failing_since: Option<String>,
    /// Until when the secret replaced by a rotation still signs.
    pub previous_secret_until: Option<String>,
    /// When it was registered.
    pub created_at: String,
    /// The signing secret, `whsec_…`: only in the answer that created or
    /// rotated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookEndpointDto {
    /// The endpoint, with its secret when `show_secret`.
    pub fn new(e: &WebhookEndpoint, show_secret: bool) -> WebhookEndpointDto {
        WebhookEndpointDto {
            id: e.id.to_string(),
            account_id: e.account_id.as_ref().map(ToString::to_string),
            url: e.url.clone(),
            event_types: e.event_types.iter().map(|t| t.as_str().to_owned()).collect(),
            description: e.description.clone(),
            status: e.status.as_str().to_owned(),
            disabled_reason: e.disabled_reason.clone(),
            failing_since: e.failing_since.map(instant),
            previous_secret_until: e.previous_secret_until.map(instant),
            created_at: instant(e.created_at),
            secret: show_secret.then(|| e.secret.clone()),
        }
    }
}

/// One attempt to deliver an event.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttemptDto {
    /// Id.
    pub id: String,
    /// The delivery it belongs to.
    pub delivery_id: String,
    /// The event.
    pub event_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// When it was sent.
    pub attempted_at: String,
    /// The HTTP status answered.
    pub status_code: Option<u16>,
    /// Why there was no answer.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub latency_ms: i64,
    /// The start of the response body.
    pub response_excerpt: String,
    /// Whether it counted as delivered (2xx).
    pub succeeded: bool,
}

impl From<&DeliveryAttempt> for DeliveryAttemptDto {
    fn from(a: &DeliveryAttempt) -> Self {
        DeliveryAttemptDto {
            id: a.id.clone(),
            delivery_id: a.delivery_id.clone(),
            event_id: a.event_id.to_string(),
            endpoint_id: a.endpoint_id.to_string(),
            attempted_at: instant(a.attempted_at),
            status_code: a.status_code,
            error: a.error.clone(),
            latency_ms: a.latency_ms,
            response_excerpt: a.response_excerpt.clone(),
            succeeded: a.succeeded,
        }
    }
}

/// A delivery queued by hand.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryDto {
    /// Id.
    pub id: String,
    /// The event.
    pub event_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// When it is next attempted.
    pub next_attempt_at: String,
}

impl From<&Delivery> for DeliveryDto {
    fn from(d: &Delivery) -> Self {
        DeliveryDto {
            id: d.id.clone(),
            event_id: d.event_id.to_string(),
            endpoint_id: d.endpoint_id.to_string(),
            status: d.status.as_str().to_owned(),
            next_attempt_at: instant(d.next_attempt_at),
        }
    }
}

/// A request to redeliver an event.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeliverRequest {
    /// Only to this endpoint (absent: every endpoint that wants the event).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub endpoint_id: Option<WebhookEndpointId>,
}
