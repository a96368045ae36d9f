//! Usage arriving as messages of a stream (one record per message): a batch
//! of messages is settled through the same import as a file's batch, except
//! that a bad message refuses only itself. Each refused message is kept as a
//! [`UsageRejection`] in the same transaction as the batch's good records,
//! so that acknowledging the whole batch after the commit loses nothing.
//!
//! Messages seen twice (a redelivery, a repeated publish, a record also in a
//! file import) meet the import's idempotency by `record_id`; a refused
//! message seen twice is kept once, by its stream and sequence.

use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};

use crate::core::Caller;
use crate::error::{AppError, AppResult};
use crate::ids::new_id;
use crate::metering::Metering;
use crate::metering::{MAX_USAGE_BATCH, check_record};
use crate::model::UsageRecord;
pub use crate::model::usage::UsageRejection;

/// Most bytes of a refused message kept with its rejection.
pub const MAX_KEPT_PAYLOAD_BYTES: usize = 2048;
/// Most rejections one listing returns.
pub const MAX_REJECTIONS_PAGE: i64 = 10_000;

/// Why a message could not be read as a usage record, told by the consumer
/// that parsed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// Stable code: `MALFORMED_MESSAGE` for a body that is not a record.
    pub code: &'static str,
    /// What is wrong, naming the field when there is one.
    pub reason: String,
}

/// One message of a stream as a consumer hands it on.
#[derive(Clone, Debug)]
pub struct StreamMessage {
    /// Its sequence number in the stream: with the stream's name, it names
    /// the message for good.
    pub seq: u64,
    /// The record it carries, or why it carries none.
    pub record: Result<UsageRecord, Malformed>,
    /// The body as text (cut to [`MAX_KEPT_PAYLOAD_BYTES`]), kept when the
    /// message is refused.
    pub payload: String,
}

/// What settling one batch of messages did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamBatchOutcome {
    /// Records settled for the first time.
    pub settled: usize,
    /// Records known before (seen twice), settled nothing.
    pub duplicates: usize,
    /// Messages refused in this batch.
    pub rejected: usize,
    /// Transactions tried (more than one when bad records were found).
    pub attempts: usize,
}

/// Cuts `text` to at most `max` bytes at a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The positions in `records` an import error puts the blame on, when it
/// names records: the position in an invalid field, every record of a
/// workspace not found, the last record with a conflicting id.
fn blamed(e: &AppError, records: &[UsageRecord]) -> Vec<usize> {
    match e {
        AppError::Invalid { field, .. } => field
            .strip_prefix("records[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|i| *i < records.len())
            .into_iter()
            .collect(),
        AppError::NotFound { what: "workspace", id } => {
            records.iter().enumerate().filter(|(_, r)| &r.workspace_id == id).map(|(i, _)| i).collect()
        }
        AppError::DuplicateUsageRecord { record_id } => {
            records.iter().rposition(|r| &r.record_id == record_id).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

impl Metering {
    /// Settles a batch of stream messages in one transaction: good records
    /// as the file import settles them, each bad message kept as a
    /// rejection. A bad record found by the import is taken out and the
    /// rest tried again, so nothing good in the batch is lost. An error is
    /// answered only when nothing was committed (the store failed, say):
    /// the batch may then be delivered again as it is.
    pub async fn settle_usage_messages(
        &self,
        caller: &Caller,
        stream: &str,
        messages: &[StreamMessage],
    ) -> AppResult<StreamBatchOutcome> {
        caller.require_operator()?;
        if messages.len() > MAX_USAGE_BATCH {
            return Err(AppError::invalid("messages", format!("at most {MAX_USAGE_BATCH} messages per batch")));
        }
        let now = self.core.now();
        let mut records = Vec::with_capacity(messages.len());
        let mut sources = Vec::with_capacity(messages.len());
        let mut rejections = Vec::new();
        for m in messages {
            // Each record's own fields are checked here, as the import
            // checks them, so that a bad one costs no transaction.
            match &m.record {
                Ok(record) => match check_record(0, record, now) {
                    Ok(()) => {
                        records.push(record.clone());
                        sources.push(m);
                    }
                    Err(e) => {
                        let reason = e.to_string().replacen("records[0]", "record", 1);
                        let id = Some(record.record_id.clone());
                        rejections.push(rejection(stream, m, id, e.code(), reason, now));
                    }
                },
                Err(bad) => {
                    rejections.push(rejection(stream, m, None, bad.code, bad.reason.clone(), now));
                }
            }
        }
        let mut outcome = StreamBatchOutcome::default();
        // Each round either commits or takes at least one record out.
        while !records.is_empty() {
            outcome.attempts += 1;
            match self.import_usage_rejecting(caller, &records, &rejections).await {
                Ok(imported) => {
                    outcome.settled = imported.imported;
                    outcome.duplicates = imported.duplicates;
                    outcome.rejected = rejections.len();
                    self.count_stream_records(&outcome);
                    return Ok(outcome);
                }
                Err(e) => {
                    let blamed = blamed(&e, &records);
                    if blamed.is_empty() {
                        return Err(e);
                    }
                    for i in blamed.into_iter().rev() {
                        let record = records.remove(i);
                        let source = sources.remove(i);
                        let reason = e.to_string().replacen(&format!("records[{i}]"), "record", 1);
                        rejections.push(rejection(stream, source, Some(record.record_id), e.code(), reason, now));
                    }
                }
            }
        }
        outcome.attempts += 1;
        let mut tx = self.core.begin().await?;
        tx.insert_usage_rejections(&rejections).await?;
        tx.commit().await?;
        outcome.rejected = rejections.len();
        self.count_stream_records(&outcome);
        Ok(outcome)
    }

    /// Counts a committed batch's records by outcome.
    fn count_stream_records(&self, outcome: &StreamBatchOutcome) {
        use crate::telemetry::USAGE_RECORDS;
        let stream = ("source", "stream");
        self.core.meter.count(USAGE_RECORDS, &[stream, ("outcome", "settled")], outcome.settled as u64);
        self.core.meter.count(USAGE_RECORDS, &[stream, ("outcome", "duplicate")], outcome.duplicates as u64);
        self.core.meter.count(USAGE_RECORDS, &[stream, ("outcome", "rejected")], outcome.rejected as u64);
    }

    /// Refused stream messages, oldest first, after the one `starting_after`
    /// names, at most `limit` (operators only).
    pub async fn usage_rejections(
        &self,
        caller: &Caller,
        starting_after: Option<&str>,
        limit: i64,
    ) -> AppResult<Vec<UsageRejection>> {
        caller.require_operator()?;
        let limit = limit.clamp(1, MAX_REJECTIONS_PAGE);
        let mut tx = self.core.read().await?;
        Ok(tx.usage_rejections(starting_after, limit).await?)
    }
}

/// A usage record as a message carries it.
#[derive(serde::Deserialize)]
struct WireRecord {
    record_id: String,
    workspace_id: String,
    hour_start: String,
    /// A decimal string (`"1.5"`) or a JSON number.
    cu_hours: serde_json::Value,
}

/// Reads a message's body as a usage record; what cannot be read is told
/// as a refusal naming the field.
pub fn to_stream_message(seq: u64, payload: &[u8]) -> StreamMessage {
    let text = String::from_utf8_lossy(payload);
    let record = parse_record(payload).map_err(|reason| Malformed { code: "MALFORMED_MESSAGE", reason });
    StreamMessage { seq, record, payload: cut(&text, MAX_KEPT_PAYLOAD_BYTES).to_owned() }
}

fn parse_record(payload: &[u8]) -> Result<UsageRecord, String> {
    let wire: WireRecord = serde_json::from_slice(payload).map_err(|e| format!("not a usage record: {e}"))?;
    let hour_start = DateTime::parse_from_rfc3339(&wire.hour_start)
        .map_err(|e| format!("hour_start: {:?} is not an RFC 3339 instant ({e})", wire.hour_start))?
        .with_timezone(&Utc);
    let cu_text = match &wire.cu_hours {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(format!("cu_hours: must be a decimal string or a number, not {other}")),
    };
    let cu_hours = CuHours::parse(&cu_text).map_err(|e| format!("cu_hours: {e}"))?;
    Ok(UsageRecord { record_id: wire.record_id, workspace_id: wire.workspace_id, hour_start, cu_hours })
}

/// The JSON body of a message carrying `r`.
pub fn message_of(r: &UsageRecord) -> Vec<u8> {
    let body = serde_json::json!({
        "record_id": r.record_id,
        "workspace_id": r.workspace_id,
        "hour_start": r.hour_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "cu_hours": r.cu_hours.to_string(),
    });
    body.to_string().into_bytes()
}

fn rejection(
    stream: &str,
    message: &StreamMessage,
    record_id: Option<String>,
    code: &str,
    reason: String,
    now: DateTime<Utc>,
) -> UsageRejection {
    UsageRejection {
        id: new_id("urj"),
        stream: stream.to_owned(),
        stream_seq: i64::try_from(message.seq).unwrap_or(i64::MAX),
        record_id,
        code: code.to_owned(),
        reason,
        payload: message.payload.clone(),
        rejected_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_from_its_message() {
        let record = UsageRecord {
            record_id: "r-1".into(),
            workspace_id: "ws_1".into(),
            hour_start: "2026-01-01T10:00:00Z".parse().expect("instant"),
            cu_hours: CuHours::parse("1.25").expect("quantity"),
        };
        assert_eq!(to_stream_message(7, &message_of(&record)).record, Ok(record));
    }

    #[test]
    fn a_bad_message_is_refused_naming_the_field() {
        let bad = br#"{"record_id":"r","workspace_id":"w","hour_start":"2026-01-01T10:00:00Z","cu_hours":"1.2345"}"#;
        let refused = to_stream_message(1, bad).record.expect_err("refused");
        assert!(refused.reason.starts_with("cu_hours:"), "{}", refused.reason);
        assert!(to_stream_message(2, b"not json").record.is_err());
    }

    #[test]
    fn cut_stops_at_a_character_boundary() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("abc", 10), "abc");
    }
}
