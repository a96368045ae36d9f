//! Request counters and latency sums per route and status, served in the
//! Prometheus text format at `/metrics` — to anyone, or only to a bearer of
//! the configured [`MetricsToken`].

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::ApiState;

/// What requests are counted by: method, route template and status.
type RequestKey = (String, String, u16);

/// Requests answered and the microseconds spent answering them.
type RequestTotals = (u64, u128);

/// Counters per (method, route, status).
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<RequestKey, RequestTotals>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, micros: u128) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry((method.to_owned(), route.to_owned(), status)).or_default();
        entry.0 += 1;
        entry.1 += micros;
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self) -> String {
        let map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP spark_billing_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE spark_billing_http_requests_total counter\n");
        for ((method, route, status), (count, _)) in map.iter() {
            let _ = writeln!(
                out,
                "spark_billing_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP spark_billing_http_request_duration_microseconds_sum Time spent answering.\n");
        out.push_str("# TYPE spark_billing_http_request_duration_microseconds_sum counter\n");
        for ((method, route, status), (_, micros)) in map.iter() {
            let _ = writeln!(
                out,
                "spark_billing_http_request_duration_microseconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {micros}"
            );
        }
        out
    }
}

/// The count of failed items of due work (renewals, expiries, unpaid
/// orders cancelled) in the Prometheus text format.
pub fn render_due_failures(total: u64) -> String {
    format!(
        "# HELP spark_billing_due_work_failures_total Items of scheduled due work that failed.\n\
         # TYPE spark_billing_due_work_failures_total counter\n\
         spark_billing_due_work_failures_total {total}\n"
    )
}

/// The counters of the usage stream consumers of this process in the
/// Prometheus text format; nothing when none runs here.
pub fn render_usage_stream(m: &billing_app::usage_stream::StreamMetrics) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    if !m.running.load(Relaxed) {
        return String::new();
    }
    let mut out = String::new();
    let counters = [
        ("consumed", "Usage messages taken from the stream.", &m.consumed),
        ("settled", "Usage records from the stream settled for the first time.", &m.settled),
        ("duplicates", "Usage records from the stream seen before, settled nothing.", &m.duplicates),
        ("rejected", "Usage messages refused and kept as rejections.", &m.rejected),
        ("redelivered", "Usage messages the stream delivered more than once.", &m.redelivered),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP spark_billing_usage_stream_{name}_total {help}");
        let _ = writeln!(out, "# TYPE spark_billing_usage_stream_{name}_total counter");
        let _ = writeln!(out, "spark_billing_usage_stream_{name}_total {}", value.load(Relaxed));
    }
    out.push_str("# HELP spark_billing_usage_stream_batch_seconds Time to settle one batch of messages.\n");
    out.push_str("# TYPE spark_billing_usage_stream_batch_seconds histogram\n");
    let mut cumulative = 0;
    for (i, bound) in billing_app::usage_stream::BATCH_LATENCY_BUCKETS_MS.iter().enumerate() {
        cumulative += m.latency_buckets[i].load(Relaxed);
        let (whole, part) = (bound / 1000, bound % 1000);
        let _ =
            writeln!(out, "spark_billing_usage_stream_batch_seconds_bucket{{le=\"{whole}.{part:03}\"}} {cumulative}");
    }
    cumulative += m.latency_buckets[billing_app::usage_stream::BATCH_LATENCY_BUCKETS_MS.len()].load(Relaxed);
    let _ = writeln!(out, "spark_billing_usage_stream_batch_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
    let sum = m.latency_sum_micros.load(Relaxed);
    let _ = writeln!(out, "spark_billing_usage_stream_batch_seconds_sum {}.{:06}", sum / 1_000_000, sum % 1_000_000);
    let _ = writeln!(out, "spark_billing_usage_stream_batch_seconds_count {cumulative}");
    out.push_str("# HELP spark_billing_usage_stream_pending Messages the durable consumer has yet to deliver.\n");
    out.push_str("# TYPE spark_billing_usage_stream_pending gauge\n");
    let _ = writeln!(out, "spark_billing_usage_stream_pending {}", m.pending.load(Relaxed).max(0));
    out
}

/// Middleware counting every request under its route template.
pub async fn record(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_micros());
    response
}

/// The bearer token `/metrics` asks for; only its SHA-256 is kept.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    /// Fewest characters a token may have.
    pub const MIN_CHARS: usize = 16;
    /// Most characters a token may have.
    pub const MAX_CHARS: usize = 256;

    /// A token of 16 to 256 visible ASCII characters (no spaces).
    pub fn parse(text: &str) -> Result<MetricsToken, String> {
        let length = text.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&length) {
            return Err(format!("must have {} to {} characters, not {length}", Self::MIN_CHARS, Self::MAX_CHARS));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be visible ASCII characters without spaces".to_owned());
        }
        Ok(MetricsToken(digest(text)))
    }

    /// Whether `presented` is the token.
    pub fn admits(&self, presented: &str) -> bool {
        digest(presented) == self.0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<hidden>)")
    }
}

fn digest(text: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).into()
}
