//! The simulated payment channel used by the demo and the tests. It behaves
//! like a payment processor's sandbox: it issues tokens for cards and PayPal
//! accounts (with test numbers that always decline), takes charges at once
//! (a configurable share declined), and sends refunds whose answers come
//! after a configurable delay (a configurable share refused). Asking again
//! about the same charge or refund id never moves money again, and a refund
//! can never return more than the charge it names captured.
//!
//! Its records (`channel_methods`, `channel_charges`, `channel_requests`)
//! are its own: written apart from the billing data, as a real channel's
//! would be. One row per charge id and per refund id is the proof that
//! nothing was taken or sent twice.

use async_trait::async_trait;
use billing_app::channel::{
    ChannelAnswer, ChannelCharge, ChannelRefund, ChargeAnswer, IssuedMethod, MethodRequest, PaymentChannel,
};
use billing_domain::order::PaymentMethodKind;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::error::map_err;
use crate::rows::{RowExt, micros};

/// How the simulated channel behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulatedChannelSettings {
    /// Time from receipt to the final answer (on the service's clock).
    pub delay: Duration,
    /// Refunds that fail, per thousand.
    pub failures_per_mille: u32,
    /// Charges declined, per thousand (besides the test instruments that
    /// always decline).
    pub charge_declines_per_mille: u32,
    /// Real time each request takes, like a network round trip.
    pub latency: std::time::Duration,
}

impl Default for SimulatedChannelSettings {
    fn default() -> Self {
        SimulatedChannelSettings {
            delay: Duration::hours(2),
            failures_per_mille: 100,
            charge_declines_per_mille: 0,
            latency: std::time::Duration::ZERO,
        }
    }
}

/// The simulated channel over the store's database.
#[derive(Clone, Debug)]
pub struct SimulatedChannel {
    pool: AnyPool,
    settings: SimulatedChannelSettings,
}

/// One line of the channel's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelLogEntry {
    /// The refund id received.
    pub refund_id: String,
    /// `succeeded` or `failed`, decided at receipt.
    pub outcome: String,
    /// How many times the same id was asked about again.
    pub repeats: i64,
}

impl SimulatedChannel {
    /// A channel logging into `store`'s database.
    pub fn new(store: &crate::SqlStore, settings: SimulatedChannelSettings) -> SimulatedChannel {
        SimulatedChannel { pool: store.pool().clone(), settings }
    }

    /// Whether a request id falls within `per_mille`: fixed by the id, so
    /// every replica and every retry agrees.
    pub(crate) fn rolls_under(id: &str, per_mille: u32) -> bool {
        let digest = Sha256::digest(id.as_bytes());
        let roll = u32::from(u16::from_be_bytes([digest[0], digest[1]])) % 1000;
        roll < per_mille
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) fn settings(&self) -> &SimulatedChannelSettings {
        &self.settings
    }

    async fn pause(&self) {
        if !self.settings.latency.is_zero() {
            tokio::time::sleep(self.settings.latency).await;
        }
    }

    /// The whole log, oldest first.
    pub async fn log(&self) -> Result<Vec<ChannelLogEntry>, String> {
        let rows =
            sqlx::query("SELECT refund_id, outcome, repeats FROM channel_requests ORDER BY received_at, refund_id")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| map_err(e).to_string())?;
        rows.iter()
            .map(|r| {
                Ok(ChannelLogEntry {
                    refund_id: r.text("refund_id").map_err(|e| e.to_string())?,
                    outcome: r.text("outcome").map_err(|e| e.to_string())?,
                    repeats: r.int("repeats").map_err(|e| e.to_string())?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl PaymentChannel for SimulatedChannel {
    async fn issue_method(&self, request: &MethodRequest) -> Result<Result<IssuedMethod, String>, String> {
        self.pause().await;
        self.issue(request).await
    }

    async fn charge(&self, request: &ChannelCharge) -> Result<ChargeAnswer, String> {
        self.pause().await;
        self.take(request).await
    }

    async fn void_charge(&self, charge_id: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.pause().await;
        self.void(charge_id, now).await
    }

    async fn refund(&self, request: &ChannelRefund) -> Result<ChannelAnswer, String> {
        self.pause().await;
        let (outcome, reason, received) = self.receive_refund(request).await?;
        // A delay past the end of the calendar means the answer never comes.
        let ready = received.checked_add_signed(self.settings.delay);
        if ready.is_none_or(|ready| request.now < ready) {
            return Ok(ChannelAnswer::Pending { expected_at: ready });
        }
        match outcome.as_str() {
            "failed" => Ok(ChannelAnswer::Failed(
                reason.unwrap_or_else(|| "the issuer declined the refund (simulated)".to_owned()),
            )),
            _ => Ok(ChannelAnswer::Succeeded),
        }
    }
}

impl SimulatedChannel {
    /// Logs a refund the first time its id is seen (taking it off the charge
    /// it names, or refusing it when the charge has not that much left);
    /// answers the outcome decided then, its reason and when it arrived.
    async fn receive_refund(&self, request: &ChannelRefund) -> Result<(String, Option<String>, DateTime<Utc>), String> {
        let outcome = if Self::rolls_under(&request.refund_id, self.settings.failures_per_mille) {
            "failed"
        } else {
            "succeeded"
        };
        let fail = |e: sqlx::Error| map_err(e).to_string();
        let mut tx = self.pool.begin().await.map_err(fail)?;
        // Receipt and repeat in one statement: the first request inserts,
        // every later one only counts.
        let row = sqlx::query(
            "INSERT INTO channel_requests (refund_id, method, currency, amount_minor, outcome, received_at, repeats) \
             VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (refund_id) DO UPDATE \
             SET repeats = channel_requests.repeats + 1 RETURNING outcome, reason, received_at, amount_minor, repeats",
        )
        .bind(&request.refund_id)
        .bind(request.method.as_str())
        .bind(request.amount.currency().code())
        .bind(request.amount.minor())
        .bind(outcome)
        .bind(micros(request.now))
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
        let text = |e: billing_app::store::StoreError| e.to_string();
        if row.int("amount_minor").map_err(text)? != request.amount.minor() {
            return Err(format!("refund {} was received before with another amount", request.refund_id));
        }
        let (mut outcome, mut reason) = (row.text("outcome").map_err(text)?, row.opt_text("reason").map_err(text)?);
        if row.int("repeats").map_err(text)? == 0
            && outcome == "succeeded"
            && let Some(refused) = self.take_from_charge(&mut tx, request).await?
        {
            sqlx::query("UPDATE channel_requests SET outcome = 'failed', reason = $1 WHERE refund_id = $2")
                .bind(&refused)
                .bind(&request.refund_id)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
            (outcome, reason) = ("failed".to_owned(), Some(refused));
        }
        tx.commit().await.map_err(fail)?;
        Ok((outcome, reason, row.instant("received_at").map_err(text)?))
    }

    /// Takes a refund off the captured charge it names; the reason when it
    /// cannot be (no charge named, not captured, not that much left).
    async fn take_from_charge(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        request: &ChannelRefund,
    ) -> Result<Option<String>, String> {
        if !matches!(request.method, PaymentMethodKind::Card | PaymentMethodKind::Paypal) {
            return Ok(None);
        }
        let Some(charge_id) = &request.charge_id else {
            return Ok(Some("the refund names no captured charge to return".to_owned()));
        };
        let taken = sqlx::query(
            "UPDATE channel_charges SET refunded_minor = refunded_minor + $1 WHERE charge_id = $2 \
             AND outcome = 'captured' AND currency = $3 AND refunded_minor + $1 <= amount_minor",
        )
        .bind(request.amount.minor())
        .bind(charge_id)
        .bind(request.amount.currency().code())
        .execute(&mut **tx)
        .await
        .map_err(|e| map_err(e).to_string())?;
        Ok((taken.rows_affected() == 0)
            .then(|| format!("the refund is more than charge {charge_id} has left to return")))
    }
}
