//! The payment channel: the only way money enters (charges of cards and
//! PayPal) and the way it goes back out to them (refunds). Payment methods
//! are instruments the channel issued; nothing a customer declares about an
//! instrument is believed.
//!
//! Every request carries an id the channel must treat as an idempotency
//! key: a charge's id, a refund's id. Asking again answers the first result
//! and moves no money a second time. Every call is bounded by
//! [`CHANNEL_TIMEOUT`]; one that runs out counts as not answered, and is
//! asked again later with the same id.

use std::time::Duration as StdDuration;

use async_trait::async_trait;
use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};

/// The longest any single request to the channel may take.
pub const CHANNEL_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// One refund as sent to a payment channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRefund {
    /// The refund's id: the channel's idempotency key.
    pub refund_id: String,
    /// Card or PayPal.
    pub method: PaymentMethodKind,
    /// The instrument refunded to.
    pub payment_method_id: Option<String>,
    /// The captured charge this refund returns money of; a channel refuses
    /// a refund that names none, or more than the charge has left.
    pub charge_id: Option<String>,
    /// How much.
    pub amount: Money,
    /// When it is asked (the service's clock, which may be simulated).
    pub now: DateTime<Utc>,
}

/// A payment channel's answer about a refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelAnswer {
    /// Accepted, not settled yet: ask again later — at `expected_at`, when
    /// the channel says when it expects to have the answer.
    Pending {
        /// When the channel expects to have settled it, if it says.
        expected_at: Option<DateTime<Utc>>,
    },
    /// The money arrived.
    Succeeded,
    /// Refused, with the channel's reason.
    Failed(String),
}

/// One charge as sent to a payment channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelCharge {
    /// The charge's id: the channel's idempotency key.
    pub charge_id: String,
    /// Card or PayPal.
    pub method: PaymentMethodKind,
    /// The instrument to charge: a token the channel issued.
    pub payment_method_id: String,
    /// How much.
    pub amount: Money,
    /// When it is asked (the service's clock).
    pub now: DateTime<Utc>,
}

/// A payment channel's answer about a charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeAnswer {
    /// The money was taken.
    Captured,
    /// Refused, with the channel's reason.
    Declined(String),
}

/// An instrument a customer asks the channel to issue a token for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodRequest {
    /// Card or PayPal.
    pub kind: PaymentMethodKind,
    /// The card number, or the PayPal account's address: handed to the
    /// channel and never stored by the service.
    pub details: String,
    /// When it is asked (the service's clock).
    pub now: DateTime<Utc>,
}

/// An instrument the channel issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedMethod {
    /// The channel's token for it; the service keeps only this.
    pub token: String,
    /// What the customer sees, e.g. "Card ending 4242".
    pub label: String,
}

/// A payment channel: a card processor, PayPal, or the simulated channel of
/// the demo and the tests.
#[async_trait]
pub trait PaymentChannel: Send + Sync {
    /// Issues a token for an instrument, or refuses it (`Ok(Err(reason))`).
    async fn issue_method(&self, request: &MethodRequest) -> Result<Result<IssuedMethod, String>, String>;
    /// Takes the money, or, for a charge id it has seen, answers as it did
    /// the first time without taking anything again.
    async fn charge(&self, request: &ChannelCharge) -> Result<ChargeAnswer, String>;
    /// Gives a captured charge back whole, or makes sure a charge id never
    /// seen is never captured later. Asking again changes nothing.
    async fn void_charge(&self, charge_id: &str, now: DateTime<Utc>) -> Result<(), String>;
    /// Sends the refund, or, for a refund id it has seen, answers with its
    /// state without sending anything again.
    async fn refund(&self, request: &ChannelRefund) -> Result<ChannelAnswer, String>;
}

/// Runs one channel call within [`CHANNEL_TIMEOUT`]; a call that runs out or
/// fails is a channel error (`Err` with the reason), never a panic.
pub(crate) async fn bounded<T>(call: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    match tokio::time::timeout(CHANNEL_TIMEOUT, call).await {
        Ok(answer) => answer,
        Err(_) => Err(format!("the payment channel did not answer within {} s", CHANNEL_TIMEOUT.as_secs())),
    }
}

/// The error for a use case that needs a channel on a service set up
/// without one.
pub(crate) fn no_channel() -> AppError {
    AppError::ChannelUnavailable { message: "no payment channel is set up".to_owned() }
}

/// A channel error as the caller sees it.
pub(crate) fn unavailable(reason: String) -> AppError {
    AppError::ChannelUnavailable { message: reason }
}

/// The answer of a call that must have a channel.
pub(crate) fn require(channel: Option<&dyn PaymentChannel>) -> AppResult<&dyn PaymentChannel> {
    channel.ok_or_else(no_channel)
}
