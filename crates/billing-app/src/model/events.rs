//! Events as stored.

use billing_domain::ids::{AccountId, EventId};
use chrono::{DateTime, Utc};
use serde_json::Value;

macro_rules! event_types {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// What happened. The names are part of the API and never change.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventType {
            $(#[doc = $doc] $variant,)*
        }

        impl EventType {
            /// Every event type, in a fixed order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            /// The type's name on the wire, e.g. `order.paid`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }
        }
    };
}

event_types! {
    OrderPaid => "order.paid", "An order was paid.";
    OrderCancelled => "order.cancelled", "An unpaid order was cancelled.";
    InstanceActivated => "instance.activated", "A new instance became active once paid.";
    InstanceActivationFailed => "instance.activation_failed", "A paid instance could not be activated.";
    InstanceRenewed => "instance.renewed", "A renewal order of an active instance was paid.";
    InstanceExpired => "instance.expired", "An instance reached the end of its last period.";
    QuotaDowngraded => "quota.downgraded", "A quota was downgraded to fewer CUs.";
    QuotaSwitchedToPayAsYouGo => "quota.switched_to_pay_as_you_go", "A quota was given up for pay-as-you-go.";
    UnsubscriptionConfirmed => "unsubscription.confirmed", "An unsubscription was confirmed.";
    WorkspaceDeleted => "workspace.deleted", "A quota's workspace was deleted with it.";
    RefundCreated => "refund.created", "A refund was created.";
    RefundSucceeded => "refund.succeeded", "A refund arrived at its destination.";
    RefundFailed => "refund.failed", "The payment channel refused a refund.";
    RefundRerouted => "refund.rerouted", "A refused refund's money went to the balance instead.";
    DocumentIssued => "document.issued", "A billing document was issued.";
    WebhookEndpointDisabled => "webhook_endpoint.disabled", "A webhook endpoint was disabled by the service.";
}

impl std::str::FromStr for EventType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not an event type"))
    }
}

/// One recorded event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Id, `evt_…`, stable forever; also the `webhook-id` of its deliveries.
    pub id: EventId,
    /// What happened.
    pub event_type: EventType,
    /// The account it concerns.
    pub account_id: AccountId,
    /// The id of the resource in `data`.
    pub resource_id: String,
    /// When the change committed (the use case's instant).
    pub occurred_at: DateTime<Utc>,
    /// The resource as the API shows it.
    pub data: Value,
}

/// Which events to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this account's (set for customers whatever they ask).
    pub account_id: Option<AccountId>,
    /// Only these types (none: every type).
    pub types: Vec<EventType>,
    /// Only events about this resource.
    pub resource_id: Option<String>,
    /// Only events listed after this one (newest first).
    pub starting_after: Option<String>,
    /// At most this many (1 to 100).
    pub limit: i64,
}
