//! The counters operators alert on, recorded through the `metrics` facade:
//! quotes, confirmations, refunds, usage records, webhook deliveries,
//! documents, failed due work and the usage stream. A change is counted
//! once its transaction has committed, never before, so a rolled-back
//! confirmation counts as nothing confirmed.
//!
//! This crate knows only the facade. Whoever runs the use cases gives the
//! assembled application (`Billing::with_meter`) a [`Meter`] over a
//! recorder (the API gives it its Prometheus recorder); without one, the
//! counts go to the process's global recorder, which records nothing
//! unless one is installed.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Recorder, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};

/// Quotes issued, by `action` (unsubscribe, downgrade, switch).
pub const QUOTES_ISSUED: &str = "spark_billing_quotes_issued_total";
/// Confirmations of quotes, by `kind` (unsubscription, quota_change) and
/// `outcome` (confirmed, replayed, refused).
pub const CONFIRMATIONS: &str = "spark_billing_confirmations_total";
/// Refund status transitions, by `transition` (created, succeeded, failed,
/// rerouted).
pub const REFUNDS: &str = "spark_billing_refunds_total";
/// Usage records imported, by `source` (api, file, stream) and `outcome`
/// (settled, duplicate, rejected).
pub const USAGE_RECORDS: &str = "spark_billing_usage_records_total";
/// Webhook delivery attempts, by `outcome` (succeeded, retrying, failed).
pub const WEBHOOK_DELIVERIES: &str = "spark_billing_webhook_deliveries_total";
/// Documents issued, by `kind` (invoice, credit_note).
pub const DOCUMENTS_ISSUED: &str = "spark_billing_documents_issued_total";
/// Items of scheduled due work that failed.
pub const DUE_WORK_FAILURES: &str = "spark_billing_due_work_failures_total";

/// Usage messages taken from the stream.
pub const STREAM_CONSUMED: &str = "spark_billing_usage_stream_consumed_total";
/// Usage records from the stream settled for the first time.
pub const STREAM_SETTLED: &str = "spark_billing_usage_stream_settled_total";
/// Usage records from the stream seen before.
pub const STREAM_DUPLICATES: &str = "spark_billing_usage_stream_duplicates_total";
/// Usage messages refused and kept as rejections.
pub const STREAM_REJECTED: &str = "spark_billing_usage_stream_rejected_total";
/// Usage messages the stream delivered more than once.
pub const STREAM_REDELIVERED: &str = "spark_billing_usage_stream_redelivered_total";
/// Time to settle one batch of stream messages, in seconds.
pub const STREAM_BATCH_SECONDS: &str = "spark_billing_usage_stream_batch_seconds";
/// Messages the durable consumer has yet to deliver.
pub const STREAM_PENDING: &str = "spark_billing_usage_stream_pending";

/// Upper bounds (seconds) of the stream batch latency histogram's buckets.
pub const STREAM_BATCH_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Where the use cases' counts go: a recorder of their own, or the
/// process's global one.
#[derive(Clone, Default)]
pub struct Meter(Option<Arc<dyn Recorder + Send + Sync>>);

impl Meter {
    /// Counts recorded into `recorder`.
    pub fn to(recorder: Arc<dyn Recorder + Send + Sync>) -> Meter {
        Meter(Some(recorder))
    }

    /// Runs `f`, whose `metrics` macros record into this meter's recorder.
    pub fn record<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.0 {
            Some(recorder) => metrics::with_local_recorder(recorder.as_ref(), f),
            None => f(),
        }
    }

    /// Describes the counters and shows those without labels at zero, so
    /// an alert on them has a series from the start.
    pub fn describe(&self) {
        self.record(|| {
            describe_counter!(QUOTES_ISSUED, "Binding quotes issued.");
            describe_counter!(CONFIRMATIONS, "Confirmations of quotes, by outcome (counted after the commit).");
            describe_counter!(REFUNDS, "Refund status transitions (counted after the commit).");
            describe_counter!(USAGE_RECORDS, "Usage records imported, by source and outcome.");
            describe_counter!(WEBHOOK_DELIVERIES, "Webhook delivery attempts, by outcome.");
            describe_counter!(DOCUMENTS_ISSUED, "Invoices and credit notes issued (counted after the commit).");
            describe_counter!(DUE_WORK_FAILURES, "Items of scheduled due work that failed.");
            counter!(DUE_WORK_FAILURES).increment(0);
        });
    }

    /// Adds `n` to the counter `name` with `labels`.
    pub(crate) fn count(&self, name: &'static str, labels: &[(&'static str, &'static str)], n: u64) {
        if n > 0 {
            self.record(|| counter!(name, labels).increment(n));
        }
    }

    /// The usage stream's counters.
    pub fn stream(&self) -> StreamMeter<'_> {
        StreamMeter(self)
    }
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Meter(own recorder)" } else { "Meter(global recorder)" })
    }
}

/// The counters of a usage stream consumer.
#[derive(Clone, Copy, Debug)]
pub struct StreamMeter<'a>(&'a Meter);

impl StreamMeter<'_> {
    /// A consumer runs here: its counters show, at zero until it counts.
    pub fn started(&self) {
        self.0.record(|| {
            describe_counter!(STREAM_CONSUMED, "Usage messages taken from the stream.");
            describe_counter!(STREAM_SETTLED, "Usage records from the stream settled for the first time.");
            describe_counter!(STREAM_DUPLICATES, "Usage records from the stream seen before, settled nothing.");
            describe_counter!(STREAM_REJECTED, "Usage messages refused and kept as rejections.");
            describe_counter!(STREAM_REDELIVERED, "Usage messages the stream delivered more than once.");
            describe_histogram!(STREAM_BATCH_SECONDS, metrics::Unit::Seconds, "Time to settle one batch of messages.");
            describe_gauge!(STREAM_PENDING, "Messages the durable consumer has yet to deliver.");
            for name in [STREAM_CONSUMED, STREAM_SETTLED, STREAM_DUPLICATES, STREAM_REJECTED, STREAM_REDELIVERED] {
                counter!(name).increment(0);
            }
            gauge!(STREAM_PENDING).increment(0.0);
        });
    }

    /// The messages the durable consumer has yet to deliver, as just read.
    pub fn pending(&self, messages: u64) {
        // A gauge holds a float; counts of messages stay exact below 2^53.
        #[allow(clippy::cast_precision_loss)]
        let value = messages as f64;
        self.0.record(|| gauge!(STREAM_PENDING).set(value));
    }

    /// A batch of `consumed` messages was taken, `redelivered` of them not
    /// for the first time.
    pub fn taken(&self, consumed: u64, redelivered: u64) {
        self.0.record(|| {
            counter!(STREAM_CONSUMED).increment(consumed);
            counter!(STREAM_REDELIVERED).increment(redelivered);
        });
    }

    /// A batch was settled as `outcome` says, in `took`.
    pub fn settled(&self, outcome: &crate::usage_stream::StreamBatchOutcome, took: Duration) {
        self.0.record(|| {
            counter!(STREAM_SETTLED).increment(outcome.settled as u64);
            counter!(STREAM_DUPLICATES).increment(outcome.duplicates as u64);
            counter!(STREAM_REJECTED).increment(outcome.rejected as u64);
            histogram!(STREAM_BATCH_SECONDS).record(took.as_secs_f64());
        });
    }
}
