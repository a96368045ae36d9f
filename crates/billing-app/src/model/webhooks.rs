//! Webhook endpoints and their deliveries, as stored.

use billing_domain::ids::{AccountId, EventId, WebhookEndpointId};
use chrono::{DateTime, Utc};

use crate::model::events::{Event, EventType};

/// Whether an endpoint receives events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointStatus {
    /// Receives the events it asked for.
    Enabled,
    /// Receives nothing, by hand or because it failed (see `disabled_reason`).
    Disabled,
}

/// A registered webhook endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Id, `whe_…`.
    pub id: WebhookEndpointId,
    /// The account whose events it receives; `None` for an operator's
    /// endpoint, which receives every account's.
    pub account_id: Option<AccountId>,
    /// Where events are posted.
    pub url: String,
    /// The types it receives; empty for every type.
    pub event_types: Vec<EventType>,
    /// A note for people.
    pub description: String,
    /// The signing secret, `whsec_…`.
    pub secret: String,
    /// The secret a rotation replaced, which still signs until
    /// `previous_secret_until`.
    pub previous_secret: Option<String>,
    /// When the previous secret stops signing.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Enabled or disabled.
    pub status: EndpointStatus,
    /// Why it was disabled (`by_request`, `gone`, `failing`).
    pub disabled_reason: Option<String>,
    /// Since when every attempt to it has failed; `None` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt was answered 2xx.
    Succeeded,
    /// Given up: out of retries, or the endpoint is gone or disabled.
    Failed,
}

/// One event on its way to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Id.
    pub id: String,
    /// The event.
    pub event_id: EventId,
    /// The endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made (counted when claimed).
    pub attempts: i64,
    /// When it may next be attempted.
    pub next_attempt_at: DateTime<Utc>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// A claimed delivery with what sending it needs.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryJob {
    /// The delivery, as claimed.
    pub delivery: Delivery,
    /// Its event.
    pub event: Event,
    /// Its endpoint.
    pub endpoint: WebhookEndpoint,
}

/// One recorded attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// Id.
    pub id: String,
    /// The delivery.
    pub delivery_id: String,
    /// The event.
    pub event_id: EventId,
    /// The endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// When it was sent.
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status answered, if any.
    pub status_code: Option<u16>,
    /// Why no status came back (refused address, timeout, connection).
    pub error: Option<String>,
    /// How long it took.
    pub latency_ms: i64,
    /// The start of the response body, at most [`EXCERPT_BYTES`].
    pub response_excerpt: String,
    /// Whether it counted as delivered.
    pub succeeded: bool,
}
