//! The simulated payment channel used by the demo and the tests. It behaves
//! like a real refund API: the first request for a refund id is received and
//! logged, answers come after a configurable delay, a configurable share of
//! refunds fails, and asking again about the same id never sends again.
//!
//! Its log (`channel_requests`) is its own: written in its own transaction,
//! apart from the billing data, as a real channel's records would be. One
//! row per refund id is the proof that nothing was sent twice.

use async_trait::async_trait;
use billing_app::unsubscription::{ChannelAnswer, ChannelRefund, PaymentChannel};
use chrono::Duration;
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
    /// Real time each request takes, like a network round trip.
    pub latency: std::time::Duration,
}

impl Default for SimulatedChannelSettings {
    fn default() -> Self {
        SimulatedChannelSettings {
            delay: Duration::hours(2),
            failures_per_mille: 100,
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

    /// Whether a refund id fails: fixed by the id, so every replica and every
    /// retry agrees.
    fn fails(&self, refund_id: &str) -> bool {
        let digest = Sha256::digest(refund_id.as_bytes());
        let roll = u32::from(u16::from_be_bytes([digest[0], digest[1]])) % 1000;
        roll < self.settings.failures_per_mille
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
    async fn refund(&self, request: &ChannelRefund) -> Result<ChannelAnswer, String> {
        if !self.settings.latency.is_zero() {
            tokio::time::sleep(self.settings.latency).await;
        }
        let outcome = if self.fails(&request.refund_id) { "failed" } else { "succeeded" };
        // Receipt and repeat in one statement: the first request inserts,
        // every later one only counts.
        let row = sqlx::query(
            "INSERT INTO channel_requests (refund_id, method, currency, amount_minor, outcome, received_at, repeats) \
             VALUES ($1, $2, $3, $4, $5, $6, 0) ON CONFLICT (refund_id) DO UPDATE \
             SET repeats = channel_requests.repeats + 1 RETURNING outcome, received_at, amount_minor",
        )
        .bind(&request.refund_id)
        .bind(request.method.as_str())
        .bind(request.amount.currency().code())
        .bind(request.amount.minor())
        .bind(outcome)
        .bind(micros(request.now))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| map_err(e).to_string())?;
        let received = row.instant("received_at").map_err(|e| e.to_string())?;
        if row.int("amount_minor").map_err(|e| e.to_string())? != request.amount.minor() {
            return Err(format!("refund {} was received before with another amount", request.refund_id));
        }
        // A delay past the end of the calendar means the answer never comes.
        if received.checked_add_signed(self.settings.delay).is_none_or(|ready| request.now < ready) {
            return Ok(ChannelAnswer::Pending);
        }
        match row.text("outcome").map_err(|e| e.to_string())?.as_str() {
            "failed" => Ok(ChannelAnswer::Failed("the issuer declined the refund (simulated)".to_owned())),
            _ => Ok(ChannelAnswer::Succeeded),
        }
    }
}
