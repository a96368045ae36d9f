//! Charges: how cash paid by card or PayPal comes in. A payment is written
//! first as one charge per tender (`requested`), in the transaction that
//! accepts the tenders; the channel is asked after that commits, and the
//! answers are recorded one by one. When every charge of an order is
//! captured, the order is paid in one transaction with its ledger posting;
//! when one is declined, the others are voided and the order stays unpaid
//! with the reason. Nothing depends on the process that started a payment
//! staying alive: [`crate::purchase::Purchases::process_charges`] settles whatever was left
//! half-way, asking the channel again under the same charge ids.

use billing_domain::money::Money;
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::channel::{ChannelCharge, ChargeAnswer, PaymentChannel, bounded, require, unavailable};
use crate::core::{Caller, audit};
use crate::error::{AppError, AppResult};
use crate::ids::{mint, new_id};
use crate::ledger::{Movement, channel, customer_balance};
pub use crate::model::payments::{ChargeRecord, ChargeStatus};
use crate::model::{OrderRecord, TenderRecord};
use crate::purchase::Purchases;

impl ChargeStatus {
    /// Every status.
    pub const ALL: [ChargeStatus; 5] = [
        ChargeStatus::Requested,
        ChargeStatus::Captured,
        ChargeStatus::Declined,
        ChargeStatus::Voiding,
        ChargeStatus::Voided,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Requested => "requested",
            ChargeStatus::Captured => "captured",
            ChargeStatus::Declined => "declined",
            ChargeStatus::Voiding => "voiding",
            ChargeStatus::Voided => "voided",
        }
    }

    /// Still holding (or about to hold, or to give back) money: not
    /// declined and not voided.
    pub fn is_open(self) -> bool {
        matches!(self, ChargeStatus::Requested | ChargeStatus::Captured | ChargeStatus::Voiding)
    }
}

impl ChargeRecord {
    /// Whether the channel is asked for it (cards and PayPal).
    pub fn through_channel(&self) -> bool {
        matches!(self.method, PaymentMethodKind::Card | PaymentMethodKind::Paypal)
    }

    /// The order's tender it becomes once paid.
    pub fn tender(&self) -> TenderRecord {
        TenderRecord {
            method: self.method,
            payment_method_id: self.payment_method_id.clone(),
            amount: self.amount,
            charge_id: self.through_channel().then(|| self.id.clone()),
            released: Money::zero(self.amount.currency()),
        }
    }
}

/// Charges to write for an order's tenders, all `requested`.
pub(crate) fn charges_for(order: &OrderRecord, tenders: &[TenderRecord], now: DateTime<Utc>) -> Vec<ChargeRecord> {
    let payment_id = new_id("pay");
    tenders
        .iter()
        .enumerate()
        .map(|(i, t)| ChargeRecord {
            id: mint(),
            account_id: order.account_id.clone(),
            order_id: Some(order.id.clone()),
            payment_id: payment_id.clone(),
            index: i as i64,
            method: t.method,
            payment_method_id: t.payment_method_id.clone(),
            amount: t.amount,
            status: ChargeStatus::Requested,
            failure: None,
            created_at: now,
            updated_at: now,
        })
        .collect()
}

/// What [`crate::purchase::Purchases::process_charges`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChargeReport {
    /// Payments (orders and top-ups) looked at.
    pub payments: usize,
    /// Orders paid.
    pub paid: usize,
    /// Top-ups credited.
    pub credited: usize,
    /// Payments declined.
    pub declined: usize,
    /// Payments left for later: the channel did not answer.
    pub errors: usize,
}

/// Payments one pass of [`crate::purchase::Purchases::process_charges`] looks at, at most.
pub const CHARGE_BATCH: i64 = 64;

impl Purchases {
    /// The channel, or the error for a service set up without one.
    pub(crate) fn channel(&self) -> AppResult<&dyn PaymentChannel> {
        require(self.channel.as_deref())
    }

    /// Asks the channel about one charge (under its id, so asking again
    /// takes nothing twice). A channel that does not answer puts the charge
    /// at the back of the worker's queue.
    pub(crate) async fn ask_channel(&self, charge: &ChargeRecord) -> AppResult<ChargeAnswer> {
        match self.ask_channel_once(charge).await {
            Err(e @ AppError::ChannelUnavailable { .. }) => {
                let mut tx = self.core.begin().await?;
                tx.set_charge_status(&charge.id, charge.status, charge.status, None, self.core.now()).await?;
                tx.commit().await?;
                Err(e)
            }
            other => other,
        }
    }

    async fn ask_channel_once(&self, charge: &ChargeRecord) -> AppResult<ChargeAnswer> {
        let request = ChannelCharge {
            charge_id: charge.id.to_string(),
            method: charge.method,
            payment_method_id: charge.payment_method_id.as_deref().unwrap_or_default().to_owned(),
            amount: charge.amount,
            now: self.core.now(),
        };
        bounded(self.channel()?.charge(&request)).await.map_err(unavailable)
    }

    /// Settles payments left half-way (a process stopped between writing
    /// charges and recording the channel's answers, a renewal charged by
    /// the scheduler, an order cancelled while its charges were out) that
    /// are at least `min_age` old.
    pub async fn process_charges(&self, min_age: Duration) -> AppResult<ChargeReport> {
        let before = self
            .core
            .now()
            .checked_sub_signed(min_age)
            .ok_or_else(|| AppError::invalid("min_age", "is out of range"))?;
        let unsettled = self.core.read().await?.unsettled_charges(before, CHARGE_BATCH).await?;
        let mut report = ChargeReport::default();
        let mut seen = std::collections::HashSet::new();
        for charge in unsettled {
            let key = charge.order_id.as_ref().map_or_else(|| charge.id.to_string(), ToString::to_string);
            if !seen.insert(key) {
                continue;
            }
            report.payments += 1;
            let outcome = match &charge.order_id {
                Some(order_id) => self.settle_order_payment(order_id).await,
                None => self.settle_top_up(&charge).await.map(|()| Settled::Paid),
            };
            match (outcome, &charge.order_id) {
                (Ok(Settled::Paid), Some(_)) => report.paid += 1,
                (Ok(Settled::Paid), None) => report.credited += 1,
                (Ok(Settled::Declined) | Err(AppError::PaymentDeclined { .. }), _) => report.declined += 1,
                (Err(e), _) => {
                    tracing::warn!(charge = %charge.id, error = %e, "payment not settled; will retry");
                    report.errors += 1;
                }
            }
        }
        Ok(report)
    }

    /// Asks the channel about a top-up's charge and credits the balance
    /// once it is captured.
    pub(crate) async fn settle_top_up(&self, charge: &ChargeRecord) -> AppResult<()> {
        let now = self.core.now();
        if let ChargeAnswer::Declined(reason) = self.ask_channel(charge).await? {
            let mut tx = self.core.begin().await?;
            tx.set_charge_status(&charge.id, ChargeStatus::Requested, ChargeStatus::Declined, Some(&reason), now)
                .await?;
            tx.commit().await?;
            return Err(AppError::PaymentDeclined { message: reason });
        }
        let mut tx = self.core.begin().await?;
        tx.lock_account(&charge.account_id).await?;
        // Credited once: only the transaction that records the capture
        // credits the balance, in the same commit.
        if !tx.set_charge_status(&charge.id, ChargeStatus::Requested, ChargeStatus::Captured, None, now).await? {
            return Ok(());
        }
        tx.add_to_balance(&charge.account_id, charge.amount).await?;
        let mut movement = Movement::new(new_id("mov"), "balance.top_up", &charge.account_id, now);
        movement.transfer(channel(charge.method), &customer_balance(&charge.account_id), charge.amount);
        tx.insert_movement(&movement).await?;
        let detail =
            json!({"amount": charge.amount.to_string(), "method": charge.method.as_str(), "charge_id": charge.id});
        audit(&mut *tx, &Caller::System, "balance.topped_up", &charge.account_id, detail, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// How far [`crate::purchase::Purchases::settle_order_payment`] took a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// The order is paid.
    Paid,
    /// The payment fell through; the order stays unpaid (or was cancelled).
    Declined,
}

/// The error a caller sees for an order whose payment did not go through.
pub(crate) fn declined(order: &OrderRecord) -> AppError {
    let reason = order.payment_failure.as_deref().unwrap_or("the payment did not go through");
    AppError::PaymentDeclined { message: format!("{reason}; order {} stays unpaid", order.id) }
}
