//! `/metrics` in the Prometheus text format — to anyone, or only to a bearer
//! of the configured [`MetricsToken`]: per route, request counters and a
//! latency histogram, and the use cases' counters (quotes, confirmations,
//! refunds, usage records, webhook deliveries, documents, failed due work,
//! the usage stream) that `billing_app::telemetry` names.
//!
//! Each [`Exporter`] is a Prometheus recorder of its own, rendered by the
//! `/metrics` route rather than by a listener of the exporter's; the
//! use cases record into it through the `metrics` facade (their
//! [`Meter`]). No global recorder is installed, so every API built in one
//! process (tests build many) counts only its own requests and use cases.

use std::sync::Arc;
use std::time::Instant;

use ::metrics::{counter, describe_counter, describe_histogram, histogram};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use billing_app::telemetry::{Meter, STREAM_BATCH_BUCKETS, STREAM_BATCH_SECONDS};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::ApiState;

/// HTTP requests answered, by method, route template and status.
pub const HTTP_REQUESTS: &str = "spark_billing_http_requests_total";
/// Microseconds spent answering, by method, route template and status
/// (kept for existing dashboards; the histogram has the same sum).
pub const HTTP_MICROS: &str = "spark_billing_http_request_duration_microseconds_sum";
/// Time to answer a request in seconds, by method, route template and
/// status class.
pub const HTTP_SECONDS: &str = "spark_billing_http_request_duration_seconds";
/// Upper bounds (seconds) of the request latency histogram's buckets, from
/// one millisecond to ten seconds.
pub const HTTP_BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The Prometheus recorder of one API and the handle that renders it.
#[derive(Clone)]
pub struct Exporter {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl Exporter {
    /// A recorder with the request and stream latency buckets, the
    /// counters described.
    pub fn new() -> Exporter {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_SECONDS.to_owned()), &HTTP_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(STREAM_BATCH_SECONDS.to_owned()), &STREAM_BATCH_BUCKETS)
            })
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let exporter = Exporter { recorder: Arc::new(recorder), handle };
        let meter = exporter.meter();
        meter.record(|| {
            describe_counter!(HTTP_REQUESTS, "HTTP requests answered.");
            describe_counter!(HTTP_MICROS, "Time spent answering, in microseconds.");
            describe_histogram!(HTTP_SECONDS, ::metrics::Unit::Seconds, "Time to answer a request.");
        });
        meter.describe();
        exporter
    }

    /// The meter the use cases count into.
    pub fn meter(&self) -> Meter {
        Meter::to(self.recorder.clone())
    }

    /// Everything recorded, in the Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Folds the latencies recorded since the last render into the
    /// histograms; run every few seconds, so that they take no more memory
    /// when nothing scrapes.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }
}

impl Default for Exporter {
    fn default() -> Exporter {
        Exporter::new()
    }
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Exporter")
    }
}

/// Middleware counting every request and its latency under its route
/// template.
pub async fn record(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    state.billing.meter().record(|| {
        let labels = [("method", method.clone()), ("route", route.clone()), ("status", status.to_string())];
        counter!(HTTP_REQUESTS, &labels).increment(1);
        counter!(HTTP_MICROS, &labels).increment(micros);
        histogram!(HTTP_SECONDS, "method" => method, "route" => route, "status_class" => class)
            .record(elapsed.as_secs_f64());
    });
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
