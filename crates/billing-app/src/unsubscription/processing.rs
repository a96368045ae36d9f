//! Refund processing: card and PayPal refunds wait in the refunds table (the
//! outbox) until a worker claims them, asks the payment channel, and records
//! the answer. A refund the channel refuses is re-routed to the balance as a
//! new, linked refund.
//!
//! Nothing is lost and nothing is sent twice: a claim is a lease in the
//! database, so a worker that dies leaves its refunds to be claimed again
//! when the lease lapses; and every request to the channel carries the
//! refund's id, which a channel must treat as an idempotency key — asking
//! again returns the first answer instead of sending the money again.

use billing_domain::ids::RefundId;
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::records::{Refund, RefundFilter, RefundStatus};
use crate::channel::bounded;
pub use crate::channel::{ChannelAnswer, ChannelRefund, PaymentChannel};
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
use crate::ids::{mint, new_id};
use crate::ledger::{self, Movement, customer_balance};
use crate::store::StoreTx;
use crate::unsubscription::Unsubscriptions;

/// How long a claim lasts, by default, before another worker may take the
/// refund up.
pub const CLAIM_LEASE: Duration = Duration::seconds(60);
/// Refunds one worker claims at a time.
pub const CLAIM_BATCH: i64 = 32;
/// The wait before a refund the channel has not settled is asked about a
/// second time; it doubles with each attempt, up to [`RETRY_MAX`].
pub const RETRY_FIRST: Duration = Duration::seconds(30);
/// The longest wait between two attempts of one refund.
pub const RETRY_MAX: Duration = Duration::hours(1);
/// The longest wait for a channel's own expected answer time.
pub const EXPECTED_MAX: Duration = Duration::days(2);

/// When a refund answered pending (or not answered) after its
/// `attempts`-th attempt is asked again: 30 s, 1 min, 2 min, … at most 1 h
/// later. Saturates instead of overflowing, however many attempts.
pub fn next_attempt_at(now: DateTime<Utc>, attempts: i64) -> AppResult<DateTime<Utc>> {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    let wait = RETRY_FIRST.checked_mul(1 << doublings).unwrap_or(RETRY_MAX).min(RETRY_MAX);
    now.checked_add_signed(wait).ok_or_else(|| AppError::internal("the next attempt is out of range"))
}

/// When a refund left pending by its `attempts`-th channel call is asked
/// again: at the time the channel said it expects to answer, when it said
/// one still ahead (within [`EXPECTED_MAX`]), else on the backoff of
/// [`next_attempt_at`].
pub fn retry_at(now: DateTime<Utc>, attempts: i64, expected_at: Option<DateTime<Utc>>) -> AppResult<DateTime<Utc>> {
    let latest = now.checked_add_signed(EXPECTED_MAX).unwrap_or(now);
    match expected_at.filter(|at| *at > now) {
        Some(at) => Ok(at.min(latest)),
        None => next_attempt_at(now, attempts),
    }
}

/// What one pass of the worker did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessReport {
    /// Refunds taken up.
    pub claimed: usize,
    /// Refunds that arrived.
    pub succeeded: usize,
    /// Refunds refused and re-routed to the balance.
    pub rerouted: usize,
    /// Refunds still waiting for the channel.
    pub pending: usize,
    /// Channel errors (the refund is tried again later).
    pub errors: usize,
}

impl Unsubscriptions {
    /// Takes up one batch of pending refunds as `worker` and settles what the
    /// channel has answered. A claim lasts `lease`; a worker that dies leaves
    /// its refunds to others once the lease lapses.
    pub async fn process_refunds(
        &self,
        worker: &str,
        channel: &dyn PaymentChannel,
        lease: Duration,
    ) -> AppResult<ProcessReport> {
        self.process_refunds_until(worker, channel, lease, &|| false).await
    }

    /// [`crate::unsubscription::Unsubscriptions::process_refunds`], stopping between refunds once `stop`
    /// says so: the refund in hand is finished, the rest of the batch is let
    /// go at once for another worker.
    pub async fn process_refunds_until(
        &self,
        worker: &str,
        channel: &dyn PaymentChannel,
        lease: Duration,
        stop: &(dyn Fn() -> bool + Sync),
    ) -> AppResult<ProcessReport> {
        let now = self.core.now();
        // Polled every second or so: with nothing due, a read and no write.
        if !self.core.read().await?.refund_due(now).await? {
            return Ok(ProcessReport::default());
        }
        let mut tx = self.core.begin().await?;
        let claimed = tx.claim_refunds(worker, now, billing_domain::calendar::shift(now, lease)?, CLAIM_BATCH).await?;
        tx.commit().await?;
        let mut report = ProcessReport { claimed: claimed.len(), ..ProcessReport::default() };
        for (index, refund) in claimed.iter().enumerate() {
            if stop() {
                let mut tx = self.core.begin().await?;
                for left in &claimed[index..] {
                    tx.release_refund(&left.id, Some(worker), None).await?;
                }
                tx.commit().await?;
                break;
            }
            let refund = refund.clone();
            let request = ChannelRefund {
                refund_id: refund.id.to_string(),
                method: refund.destination,
                payment_method_id: refund.payment_method_id.as_ref().map(ToString::to_string),
                charge_id: refund.charge_id.as_ref().map(ToString::to_string),
                amount: refund.amount,
                now: self.core.now(),
            };
            let answer = bounded(channel.refund(&request)).await;
            // `attempts` counts the channel's calls: this one is counted as
            // its answer is recorded (a refund let go unasked is not).
            let calls = refund.attempts.saturating_add(1);
            let mut tx = self.core.begin().await?;
            // The transitions this refund makes, counted after the commit.
            let mut transitions: &[&'static str] = &[];
            match answer {
                Ok(ChannelAnswer::Succeeded) => {
                    if settle_success(&mut *tx, worker, &refund, self.core.now()).await? {
                        report.succeeded += 1;
                        transitions = &["succeeded"];
                    }
                }
                Ok(ChannelAnswer::Failed(reason)) => {
                    if reroute(&mut *tx, worker, &refund, &reason, self.core.now()).await? {
                        report.rerouted += 1;
                        transitions = &["failed", "rerouted"];
                    }
                }
                Ok(ChannelAnswer::Pending { expected_at }) => {
                    let at = retry_at(self.core.now(), calls, expected_at)?;
                    tx.release_refund(&refund.id, Some(worker), Some(at)).await?;
                    report.pending += 1;
                }
                Err(error) => {
                    tracing::warn!(refund = %refund.id, %error, "payment channel error; will retry");
                    let retry_at = next_attempt_at(self.core.now(), calls)?;
                    tx.release_refund(&refund.id, Some(worker), Some(retry_at)).await?;
                    report.errors += 1;
                }
            }
            tx.commit().await?;
            for transition in transitions {
                self.core.meter.count(crate::telemetry::REFUNDS, &[("transition", transition)], 1);
            }
        }
        Ok(report)
    }

    /// Refunds the caller may see, newest first.
    pub async fn refunds(&self, caller: &Caller, mut filter: RefundFilter) -> AppResult<Vec<Refund>> {
        if let Caller::Customer(id) = caller {
            filter.account_id = Some(id.clone());
        }
        if !(1..=1000).contains(&filter.limit) {
            return Err(AppError::invalid("limit", "must be between 1 and 1000"));
        }
        let mut tx = self.core.read().await?;
        if let Some(after) = &filter.starting_after {
            // Another account's refund is as unknown as a missing one.
            let cursor = match RefundId::parse(after) {
                Ok(after) => tx.refund(&after).await?.filter(|r| caller.may_see(&r.account_id)),
                Err(_) => None,
            };
            if cursor.is_none() {
                return Err(AppError::invalid("starting_after", "is not a refund of this account"));
            }
        }
        Ok(tx.refunds(&filter).await?)
    }

    /// One refund.
    pub async fn refund(&self, caller: &Caller, id: &RefundId) -> AppResult<Refund> {
        let found = self.core.read().await?.refund(id).await?;
        visible(caller, "refund", id, found, |r| &r.account_id)
    }

    /// Makes a stuck refund claimable again at once (operators only).
    pub async fn retry_refund(&self, caller: &Caller, id: &RefundId) -> AppResult<Refund> {
        caller.require_operator()?;
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let refund = tx.refund(id).await?.ok_or_else(|| AppError::not_found("refund", id))?;
        if refund.status != RefundStatus::Pending {
            return Err(AppError::state(format!("the refund is {}, not pending", refund.status.as_str())));
        }
        // Released whoever holds it: the channel's idempotency makes a second
        // request for the same refund harmless.
        tx.release_refund(id, None, None).await?;
        audit(&mut *tx, caller, "refund.retry", id, json!({}), now).await?;
        tx.commit().await?;
        Ok(refund)
    }
}

/// Records an arrived refund: it leaves the payable account for the channel.
async fn settle_success(
    tx: &mut (dyn StoreTx + '_),
    worker: &str,
    refund: &Refund,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if !tx.finish_refund(&refund.id, worker, RefundStatus::Succeeded, None, now).await? {
        return Ok(false);
    }
    let mut movement = Movement::new(new_id("mov"), "refund.succeeded", &refund.id, now);
    movement.transfer(ledger::refund_payable(refund.destination), ledger::channel(refund.destination), refund.amount);
    tx.insert_movement(&movement).await?;
    let detail = json!({"amount": refund.amount.to_string(), "to": refund.destination.as_str()});
    audit(tx, &Caller::System, "refund.succeeded", &refund.id, detail, now).await?;
    let done = Refund { status: RefundStatus::Succeeded, updated_at: now, ..refund.clone() };
    crate::events::emit(tx, crate::events::EventType::RefundSucceeded, &done, now).await?;
    Ok(true)
}

/// Records a refused refund and sends its money to the balance instead, as
/// a new refund linked to it.
async fn reroute(
    tx: &mut (dyn StoreTx + '_),
    worker: &str,
    refund: &Refund,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if !tx.finish_refund(&refund.id, worker, RefundStatus::Failed, Some(reason), now).await? {
        return Ok(false);
    }
    let replacement = Refund {
        id: mint(),
        destination: PaymentMethodKind::Balance,
        payment_method_id: None,
        charge_id: None,
        rule: "channel_failed".to_owned(),
        status: RefundStatus::Succeeded,
        rerouted_from: Some(refund.id.clone()),
        failure: None,
        attempts: 0,
        created_at: now,
        updated_at: now,
        expected_by: now,
        ..refund.clone()
    };
    tx.insert_refund(&replacement).await?;
    tx.add_to_balance(&refund.account_id, refund.amount).await?;
    let mut movement = Movement::new(new_id("mov"), "refund.rerouted", &replacement.id, now);
    movement.transfer(ledger::refund_payable(refund.destination), &customer_balance(&refund.account_id), refund.amount);
    tx.insert_movement(&movement).await?;
    let detail = json!({"amount": refund.amount.to_string(), "reason": reason, "replacement": replacement.id});
    audit(tx, &Caller::System, "refund.rerouted", &refund.id, detail, now).await?;
    crate::events::emit_rerouted(tx, refund, reason, &replacement, now).await?;
    Ok(true)
}
