//! Delivering events to webhook endpoints, at least once.
//!
//! Writing an event queues one delivery per endpoint that wants it (in the
//! event's own transaction). Workers in every replica claim due deliveries
//! with a lease, as refunds are processed: a worker that dies leaves its
//! deliveries to others once the lease lapses, and no two workers hold one
//! delivery at once. Each attempt is recorded; a failure is retried after
//! 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (each plus up to
//! a tenth more, so that retries spread), or later when the endpoint asks
//! with `Retry-After`. `410 Gone` disables the endpoint, and so does failing
//! for three days running; either writes a `webhook_endpoint.disabled` event.

use billing_domain::ids::{AccountId, EventId, WebhookEndpointId};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

pub use super::address::{host_of, is_loopback_name, refused_address};
use super::{EndpointStatus, WebhookEndpoint, signature};
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
use crate::events::{self, Event, EventType, Shown};
use crate::ids::new_id;
pub use crate::model::webhooks::{Delivery, DeliveryAttempt, DeliveryJob, DeliveryStatus};
use crate::store::StoreTx;
use crate::webhooks::Webhooks;

/// Waits after the 1st, 2nd, … failed attempt; after the last, the
/// delivery is given up.
pub const RETRY_SCHEDULE: [Duration; 9] = [
    Duration::seconds(5),
    Duration::minutes(5),
    Duration::minutes(30),
    Duration::hours(2),
    Duration::hours(5),
    Duration::hours(10),
    Duration::hours(14),
    Duration::hours(20),
    Duration::hours(24),
];
/// How long one request may take.
pub const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(15);
/// How much of a response body is kept with an attempt.
pub const EXCERPT_BYTES: usize = 1024;
/// How long a claim lasts: longer than a request may take.
pub const CLAIM_LEASE: Duration = Duration::seconds(60);
/// Deliveries one worker claims at a time.
pub const CLAIM_BATCH: i64 = 64;
/// How long an endpoint may fail without a success before it is disabled.
pub const FAILING_LIMIT: Duration = Duration::days(3);
/// The longest `Retry-After` honoured.
pub const RETRY_AFTER_MAX: Duration = Duration::hours(24);

impl DeliveryStatus {
    /// `pending`, `succeeded` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "pending" => Ok(DeliveryStatus::Pending),
            "succeeded" => Ok(DeliveryStatus::Succeeded),
            "failed" => Ok(DeliveryStatus::Failed),
            other => Err(format!("{other:?} is not a delivery status")),
        }
    }
}

/// A request to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRequest {
    /// The endpoint URL.
    pub url: String,
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// What an endpoint answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookAnswer {
    /// An HTTP answer.
    Status {
        /// The status code.
        code: u16,
        /// `Retry-After`, when given and understood.
        retry_after: Option<StdDuration>,
        /// The start of the body, at most [`EXCERPT_BYTES`].
        excerpt: String,
    },
    /// No answer: the address was refused, the connection failed, or the
    /// request timed out.
    Error(String),
}

/// Sends webhook requests. The service's implementation resolves the host
/// itself and refuses private, loopback and link-local addresses; tests
/// substitute their own.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Posts one request, within [`REQUEST_TIMEOUT`].
    async fn send(&self, request: &WebhookRequest) -> WebhookAnswer;
}

/// The body posted for an event: its id, type, instant, account and data.
pub fn payload(event: &Event) -> Vec<u8> {
    let body = json!({
        "id": event.id,
        "type": event.event_type.as_str(),
        "timestamp": crate::views::instant(event.occurred_at),
        "account_id": event.account_id,
        "data": event.data,
    });
    body.to_string().into_bytes()
}

/// When a delivery that failed its `attempts`-th attempt at `now` is tried
/// again, or `None` when it is out of retries. The jitter (0 to 10 % of the
/// wait) is drawn from the delivery's id and attempt, so that it spreads
/// retries yet is the same on every replica.
pub fn next_attempt_at(delivery_id: &str, attempts: i64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let wait = *RETRY_SCHEDULE.get(index)?;
    let seed = delivery_id.bytes().fold(attempts.unsigned_abs(), |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let tenth_ms = wait.num_milliseconds() / 10;
    let jitter = i64::try_from(seed % u64::try_from(tenth_ms.max(1)).ok()?).ok()?;
    now.checked_add_signed(wait)?.checked_add_signed(Duration::milliseconds(jitter))
}

/// What one pass of the worker did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Deliveries taken up.
    pub claimed: usize,
    /// Delivered.
    pub succeeded: usize,
    /// Failed attempts to be retried.
    pub retrying: usize,
    /// Given up.
    pub failed: usize,
}

impl Webhooks {
    /// Takes up one batch of due deliveries as `worker` and attempts each,
    /// `concurrency` at a time. An error on one delivery is logged and the
    /// rest go on; the delivery is attempted again when its lease lapses.
    pub async fn deliver_webhooks(
        &self,
        worker: &str,
        sender: &Arc<dyn WebhookSender>,
        concurrency: usize,
    ) -> AppResult<DeliveryReport> {
        let now = self.core.now();
        let until = billing_domain::calendar::shift(now, CLAIM_LEASE)?;
        let mut tx = self.core.begin().await?;
        let jobs = tx.claim_deliveries(worker, now, until, CLAIM_BATCH).await?;
        tx.commit().await?;
        let mut report = DeliveryReport { claimed: jobs.len(), ..DeliveryReport::default() };
        let mut running = tokio::task::JoinSet::new();
        let gone = Arc::new(std::sync::Mutex::new(Vec::<WebhookEndpointId>::new()));
        for job in jobs {
            while running.len() >= concurrency.clamp(1, 64) {
                count(&mut report, running.join_next().await);
            }
            let (billing, sender, worker, gone) = (self.clone(), sender.clone(), worker.to_owned(), gone.clone());
            running.spawn(async move {
                let outcome = billing.attempt(&worker, &*sender, &job, &gone).await;
                (job.delivery.id, outcome)
            });
        }
        while let Some(done) = running.join_next().await {
            count(&mut report, Some(done));
        }
        // Each attempt counted here has committed its outcome.
        for (outcome, n) in [("succeeded", report.succeeded), ("retrying", report.retrying), ("failed", report.failed)]
        {
            self.core.meter.count(crate::telemetry::WEBHOOK_DELIVERIES, &[("outcome", outcome)], n as u64);
        }
        Ok(report)
    }

    /// Sends one claimed delivery and records the attempt and its outcome.
    /// `gone` lists the endpoints this batch has disabled, whose other
    /// deliveries are not sent.
    async fn attempt(
        &self,
        worker: &str,
        sender: &dyn WebhookSender,
        job: &DeliveryJob,
        gone: &std::sync::Mutex<Vec<WebhookEndpointId>>,
    ) -> AppResult<DeliveryStatus> {
        let disabled_now = gone.lock().map(|g| g.contains(&job.endpoint.id)).unwrap_or(false);
        if job.endpoint.status == EndpointStatus::Disabled || disabled_now {
            let mut tx = self.core.begin().await?;
            tx.finish_delivery(&job.delivery.id, worker, DeliveryStatus::Failed, None).await?;
            tx.commit().await?;
            return Ok(DeliveryStatus::Failed);
        }
        let started = self.core.now();
        let body = payload(&job.event);
        let timestamp = started.timestamp();
        let secrets = job.endpoint.signing_secrets(started);
        let signature = signature::signature_header(&secrets, &job.event.id, timestamp, &body)
            .map_err(|e| AppError::internal(format!("endpoint {}: {e}", job.endpoint.id)))?;
        let request =
            WebhookRequest { url: job.endpoint.url.clone(), id: job.event.id.to_string(), timestamp, signature, body };
        let sent = self.core.clock.instant();
        let answer = sender.send(&request).await;
        let took = self.core.clock.instant().saturating_duration_since(sent);
        let latency_ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
        let (status, disabled) = self.record_attempt(worker, job, answer, started, latency_ms).await?;
        if disabled && let Ok(mut gone) = gone.lock() {
            gone.push(job.endpoint.id.clone());
        }
        Ok(status)
    }

    /// Records an attempt and what follows from it; answers the delivery's
    /// status and whether the endpoint was disabled.
    async fn record_attempt(
        &self,
        worker: &str,
        job: &DeliveryJob,
        answer: WebhookAnswer,
        started: DateTime<Utc>,
        latency_ms: i64,
    ) -> AppResult<(DeliveryStatus, bool)> {
        let now = self.core.now();
        let (code, retry_after, excerpt, error) = match answer {
            WebhookAnswer::Status { code, retry_after, excerpt } => (Some(code), retry_after, excerpt, None),
            WebhookAnswer::Error(e) => (None, None, String::new(), Some(e)),
        };
        let succeeded = code.is_some_and(|c| (200..300).contains(&c));
        let attempt = DeliveryAttempt {
            id: new_id("wha"),
            delivery_id: job.delivery.id.clone(),
            event_id: job.event.id.clone(),
            endpoint_id: job.endpoint.id.clone(),
            attempted_at: started,
            status_code: code,
            error,
            latency_ms,
            response_excerpt: excerpt,
            succeeded,
        };
        let mut tx = self.core.begin().await?;
        tx.insert_delivery_attempt(&attempt).await?;
        let status = if succeeded {
            tx.endpoint_succeeded(&job.endpoint.id).await?;
            DeliveryStatus::Succeeded
        } else if code == Some(410) {
            disable_endpoint(&mut *tx, &job.endpoint.id, "gone", now).await?;
            DeliveryStatus::Failed
        } else {
            after_failure(&mut *tx, job, now).await?
        };
        // Failed here means the endpoint was disabled; running out of
        // retries comes next.
        let disabled = status == DeliveryStatus::Failed;
        let next = (status == DeliveryStatus::Pending).then(|| retry_at(job, retry_after, now)).flatten();
        let status = if status == DeliveryStatus::Pending && next.is_none() { DeliveryStatus::Failed } else { status };
        tx.finish_delivery(&job.delivery.id, worker, status, next).await?;
        tx.commit().await?;
        Ok((status, disabled))
    }

    /// Queues an event again for its endpoints (or one of them), at once.
    pub async fn redeliver_event(
        &self,
        caller: &Caller,
        event_id: &EventId,
        endpoint_id: Option<&WebhookEndpointId>,
    ) -> AppResult<Vec<Delivery>> {
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let found = tx.event(event_id).await?;
        let event = visible(caller, "event", event_id, found, |e| &e.account_id)?;
        let endpoints = match endpoint_id {
            Some(id) => {
                let found = tx.webhook_endpoint(id).await?;
                vec![visible(caller, "webhook endpoint", id, found, |e| super::owner(e))?]
            }
            None => tx.webhook_endpoints(None, 1000).await?,
        };
        let mut queued = Vec::new();
        for endpoint in endpoints.iter().filter(|e| receives(caller, e, &event)) {
            let delivery = Delivery {
                id: new_id("dlv"),
                event_id: event.id.clone(),
                endpoint_id: endpoint.id.clone(),
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
            };
            tx.insert_delivery(&delivery).await?;
            queued.push(delivery);
        }
        audit(&mut *tx, caller, "event.redelivered", event_id, json!({"deliveries": queued.len()}), now).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// An event's delivery attempts, newest first.
    pub async fn delivery_attempts(&self, caller: &Caller, event_id: &EventId) -> AppResult<Vec<DeliveryAttempt>> {
        let mut tx = self.core.read().await?;
        let found = tx.event(event_id).await?;
        visible(caller, "event", event_id, found, |e| &e.account_id)?;
        let attempts = tx.delivery_attempts(Some(event_id), None, 200).await?;
        // An operator's endpoint is not a customer's business.
        let mine = self.webhook_endpoints(caller).await?;
        Ok(attempts.into_iter().filter(|a| mine.iter().any(|e| e.id == a.endpoint_id)).collect())
    }

    /// The newest attempts to one endpoint, newest first.
    pub async fn endpoint_attempts(
        &self,
        caller: &Caller,
        endpoint_id: &WebhookEndpointId,
        limit: i64,
    ) -> AppResult<Vec<DeliveryAttempt>> {
        self.webhook_endpoint(caller, endpoint_id).await?;
        Ok(self.core.read().await?.delivery_attempts(None, Some(endpoint_id), limit.clamp(1, 200)).await?)
    }
}

type Outcome = Result<(String, AppResult<DeliveryStatus>), tokio::task::JoinError>;

/// Adds one attempt's outcome to the report; an error is logged (the
/// delivery is attempted again once its lease lapses).
fn count(report: &mut DeliveryReport, done: Option<Outcome>) {
    match done {
        Some(Ok((_, Ok(DeliveryStatus::Succeeded)))) => report.succeeded += 1,
        Some(Ok((_, Ok(DeliveryStatus::Pending)))) => report.retrying += 1,
        Some(Ok((_, Ok(DeliveryStatus::Failed)))) => report.failed += 1,
        Some(Ok((delivery, Err(error)))) => tracing::warn!(%delivery, %error, "webhook delivery not recorded"),
        Some(Err(error)) => tracing::error!(%error, "webhook delivery task failed"),
        None => {}
    }
}

/// Whether `endpoint` (one `caller` may use) is one the event goes to.
fn receives(caller: &Caller, endpoint: &WebhookEndpoint, event: &Event) -> bool {
    let account_matches = endpoint.account_id.as_ref().is_none_or(|a| *a == event.account_id);
    let callers = match caller {
        Caller::Customer(id) => endpoint.account_id.as_deref() == Some(id.as_str()),
        Caller::Operator | Caller::System => true,
    };
    account_matches && callers && endpoint.status == EndpointStatus::Enabled && endpoint.wants(event.event_type)
}

/// When to try again: the schedule's time, or later when the endpoint
/// asked with `Retry-After` (at most [`RETRY_AFTER_MAX`]).
fn retry_at(job: &DeliveryJob, retry_after: Option<StdDuration>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let scheduled = next_attempt_at(&job.delivery.id, job.delivery.attempts, now)?;
    let asked = retry_after
        .and_then(|d| Duration::from_std(d).ok())
        .map(|d| d.min(RETRY_AFTER_MAX))
        .and_then(|d| now.checked_add_signed(d));
    Some(asked.map_or(scheduled, |a| a.max(scheduled)))
}

/// Notes a failed attempt on its endpoint, disabling an endpoint that has
/// failed for [`FAILING_LIMIT`]; answers whether to retry.
async fn after_failure(
    tx: &mut (dyn StoreTx + '_),
    job: &DeliveryJob,
    now: DateTime<Utc>,
) -> AppResult<DeliveryStatus> {
    let since = tx.endpoint_failed(&job.endpoint.id, now).await?;
    if let Some(since) = since
        && now.signed_duration_since(since) >= FAILING_LIMIT
    {
        disable_endpoint(tx, &job.endpoint.id, "failing", now).await?;
        return Ok(DeliveryStatus::Failed);
    }
    Ok(DeliveryStatus::Pending)
}

/// Disables an endpoint the service gave up on, with an event saying so.
async fn disable_endpoint(
    tx: &mut (dyn StoreTx + '_),
    id: &WebhookEndpointId,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(mut endpoint) = tx.webhook_endpoint(id).await? else { return Ok(()) };
    if endpoint.status == EndpointStatus::Disabled {
        return Ok(());
    }
    super::set_status(&mut endpoint, EndpointStatus::Disabled, reason);
    endpoint.updated_at = now;
    tx.update_webhook_endpoint(&endpoint).await?;
    let data = json!({"id": endpoint.id, "url": endpoint.url, "status": "disabled", "disabled_reason": reason});
    let owner = endpoint.account_id.as_ref().map_or("operator", AccountId::as_str);
    let shown = Shown { account_id: owner, resource_id: &endpoint.id, data };
    events::emit(tx, EventType::WebhookEndpointDisabled, &shown, now).await?;
    audit(tx, &Caller::System, "webhook_endpoint.disabled", id, json!({"reason": reason}), now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap_or_default()
    }

    #[test]
    fn retries_follow_the_schedule_with_at_most_a_tenth_of_jitter_then_stop() {
        let now = at(1_800_000_000);
        for (index, wait) in RETRY_SCHEDULE.iter().enumerate() {
            let attempts = i64::try_from(index).unwrap_or_default() + 1;
            let next = next_attempt_at("dlv_a", attempts, now).unwrap_or(now);
            let waited = next - now;
            assert!(waited >= *wait && waited < *wait + *wait / 10 + Duration::milliseconds(1), "{attempts}: {waited}");
        }
        assert_eq!(next_attempt_at("dlv_a", 10, now), None, "ten attempts in all");
        assert_eq!(next_attempt_at("dlv_a", 0, now), None);
        assert_ne!(next_attempt_at("dlv_a", 4, now), next_attempt_at("dlv_b", 4, now), "jitter spreads deliveries");
    }
}
