//! The pure core of spark-billing: exact money, the billing calendar, the
//! catalog, refund policy, refund quotes with their destinations, quota
//! downgrades and switches to pay-as-you-go, and hourly
//! usage settlement.
//!
//! This crate does no IO, reads no clock and no environment, and has no
//! async: `now`, the billing zone and the policy are always arguments. That
//! is what lets every rule be tested with plain data and generated cases.
#![deny(clippy::float_arithmetic)]
#![forbid(unsafe_code)]

pub mod calendar;
pub mod catalog;
pub mod change;
pub mod destination;
pub mod ids;
pub mod money;
pub mod order;
pub mod policy;
pub mod quote;
pub mod reason;
pub mod usage;

pub use calendar::{BillingPeriod, BillingZone, ProrationUnit};
pub use catalog::{Commodity, Region};
pub use change::{Action, ActionKind, ReleasedBasis, quote_change, quote_downgrade, quote_switch, release_tranche};
pub use destination::{Destination, RouteRule};
pub use ids::{
    AccountId, ApiKeyId, BenefitId, ChargeId, DocumentId, EventId, Id, IdError, InstanceId, OrderId, PaymentMethodId,
    QuoteId, RefundId, UnsubscriptionId, WebhookEndpointId, WorkspaceId,
};
pub use money::{Currency, Money, MoneyError, floor_to_minor, split_largest_remainder};
pub use order::{Order, OrderCharges, OrderKind, OrderStatus, PaymentMethodKind, Tender};
pub use policy::{Policy, PolicyVersion};
pub use quote::{
    Instance, InstanceKind, InstanceStatus, Quote, QuoteContext, QuoteError, QuoteLine, RefundType, quote_refund,
    quote_renewal_refund,
};
pub use reason::ReasonCode;
pub use usage::{CuHours, HourlyPrice};
