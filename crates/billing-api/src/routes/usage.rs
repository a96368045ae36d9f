//! Usage import (operators and the platform only): a batch of records, as
//! JSON or as CSV, is stored once per record id and every workspace-hour it
//! touches is settled in the same transaction. A bad record refuses the
//! whole batch, and the error names the record (JSON) or line (CSV).

use axum::Json;
use axum::extract::State;
use billing_app::AppError;
use billing_app::metering::ImportOutcome;
use billing_app::model::UsageRecord;
use billing_domain::usage::CuHours;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::dto::parse_instant;
use crate::extract::{Authed, Body, CsvBody};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::{ApiState, MAX_USAGE_RECORDS};

/// The header line of a usage CSV.
pub const CSV_HEADER: &str = "record_id,workspace_id,hour_start,cu_hours";

/// CU-hours a workspace used in one clock hour.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageRecordDto {
    /// The sender's id; importing it again changes nothing.
    pub record_id: String,
    /// The workspace that used the CUs.
    pub workspace_id: String,
    /// Start of the clock hour (RFC 3339, on the hour).
    #[schema(format = DateTime)]
    pub hour_start: String,
    /// CU-hours used, with at most 3 decimals.
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,3})?$")]
    pub cu_hours: String,
}

/// A batch of usage records.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageBatch {
    /// 1 to 10000 records.
    #[schema(min_items = 1, max_items = 10000)]
    pub records: Vec<UsageRecordDto>,
}

/// Pay-as-you-go charges of one account.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChargeDto {
    /// The account charged.
    pub account_id: String,
    /// How much was taken off its balance.
    pub amount: String,
    /// Currency.
    pub currency: String,
}

/// What an import did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportOutcomeDto {
    /// Records stored.
    pub imported: usize,
    /// Records skipped because they were imported before.
    pub duplicates: usize,
    /// Workspace-hours settled for the first time.
    pub settled_hours: usize,
    /// Workspace-hours settled again because late records arrived.
    pub adjustments: usize,
    /// Pay-as-you-go charges per account.
    pub charged: Vec<ChargeDto>,
}

impl From<&ImportOutcome> for ImportOutcomeDto {
    fn from(o: &ImportOutcome) -> Self {
        ImportOutcomeDto {
            imported: o.imported,
            duplicates: o.duplicates,
            settled_hours: o.settled_hours,
            adjustments: o.adjustments,
            charged: o
                .charged
                .iter()
                .map(|(account_id, amount)| ChargeDto {
                    account_id: account_id.to_string(),
                    amount: amount.to_string(),
                    currency: amount.currency().code().to_owned(),
                })
                .collect(),
        }
    }
}

fn record(field: &dyn Fn(&str) -> String, r: &UsageRecordDto) -> Result<UsageRecord, ApiError> {
    Ok(UsageRecord {
        record_id: r.record_id.clone(),
        workspace_id: r.workspace_id.clone(),
        hour_start: parse_instant(&field("hour_start"), &r.hour_start)?,
        cu_hours: CuHours::parse(&r.cu_hours).map_err(|e| ApiError::invalid(&field("cu_hours"), e.to_string()))?,
    })
}

fn check_batch_size(len: usize) -> Result<(), ApiError> {
    if len == 0 || len > MAX_USAGE_RECORDS {
        return Err(ApiError::invalid("records", format!("send 1 to {MAX_USAGE_RECORDS} records per batch")));
    }
    Ok(())
}

/// Import a JSON batch of usage records (operators only).
#[utoipa::path(post, path = "/api/v1/usage", tag = "usage",
    request_body = UsageBatch,
    responses(
        (status = 200, description = "Imported and settled", body = ImportOutcomeDto),
        (status = 400, description = "Malformed request or record; `field` names it, e.g. `records[3].cu_hours`", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 404, description = "A record names an unknown workspace", body = Problem),
        (status = 409, description = "A record id was imported before with other content", body = Problem),
        (status = 422, description = "A record is out of range, e.g. an hour in the future", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn import_usage(
    State(state): State<ApiState>,
    authed: Authed,
    Body(batch): Body<UsageBatch>,
) -> ApiResult<Json<ImportOutcomeDto>> {
    let caller = authed.operator()?;
    check_batch_size(batch.records.len())?;
    let records = batch
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| record(&|f| format!("records[{i}].{f}"), r))
        .collect::<Result<Vec<_>, _>>()?;
    let outcome = state.billing.metering().import_usage(caller, &records).await?;
    Ok(Json(ImportOutcomeDto::from(&outcome)))
}

/// Import usage records as CSV (operators only): the header
/// `record_id,workspace_id,hour_start,cu_hours`, then one record per line.
/// Errors name the line, e.g. `line 3: cu_hours`.
#[utoipa::path(post, path = "/api/v1/usage.csv", tag = "usage",
    request_body(content = String, content_type = "text/csv",
        description = "`record_id,workspace_id,hour_start,cu_hours`, then one record per line"),
    responses(
        (status = 200, description = "Imported and settled", body = ImportOutcomeDto),
        (status = 400, description = "Malformed CSV or record; `field` names the line", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
        (status = 404, description = "A record names an unknown workspace", body = Problem),
        (status = 409, description = "A record id was imported before with other content", body = Problem),
        (status = 422, description = "A record is out of range; `field` names the line", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn import_usage_csv(
    State(state): State<ApiState>,
    authed: Authed,
    CsvBody(text): CsvBody,
) -> ApiResult<Json<ImportOutcomeDto>> {
    let caller = authed.operator()?;
    let (lines, records) = parse_csv(&text)?;
    check_batch_size(records.len())?;
    let outcome = state
        .billing
        .metering()
        .import_usage_from(caller, &records, billing_app::metering::UsageSource::File)
        .await
        .map_err(|e| name_line(e, &lines))?;
    Ok(Json(ImportOutcomeDto::from(&outcome)))
}

/// The records of a usage CSV with the line number of each.
fn parse_csv(text: &str) -> Result<(Vec<usize>, Vec<UsageRecord>), ApiError> {
    let mut rows = text.lines().enumerate().map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)));
    let header = rows.next().map(|(_, h)| h.trim_start_matches('\u{feff}'));
    if header != Some(CSV_HEADER) {
        return Err(ApiError::invalid("line 1", format!("the header must be `{CSV_HEADER}`")));
    }
    let (mut lines, mut records) = (Vec::new(), Vec::new());
    for (line, row) in rows.filter(|(_, row)| !row.is_empty()) {
        if records.len() == MAX_USAGE_RECORDS {
            return Err(ApiError::invalid("records", format!("send at most {MAX_USAGE_RECORDS} records per batch")));
        }
        let fields = split_csv_line(row).ok_or_else(|| ApiError::invalid(&format!("line {line}"), "bad quoting"))?;
        let [record_id, workspace_id, hour_start, cu_hours] = <[String; 4]>::try_from(fields)
            .map_err(|f| ApiError::invalid(&format!("line {line}"), format!("expected 4 fields, found {}", f.len())))?;
        let dto = UsageRecordDto { record_id, workspace_id, hour_start, cu_hours };
        records.push(record(&|f| format!("line {line}: {f}"), &dto)?);
        lines.push(line);
    }
    Ok((lines, records))
}

/// Splits one CSV line into fields; a field may be quoted, with `""` for a
/// quote inside. `None` when the quoting is broken.
fn split_csv_line(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            if !matches!(chars.peek(), None | Some(',')) {
                return None;
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                if c == '"' {
                    return None;
                }
                field.push(c);
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return Some(fields);
        }
    }
}

/// Renames a use-case error about `records[i]` to the CSV line it came from.
fn name_line(e: AppError, lines: &[usize]) -> ApiError {
    if let AppError::Invalid { field, message } = &e {
        let index = field.strip_prefix("records[").and_then(|rest| rest.split_once("]."));
        if let Some((Ok(i), f)) = index.map(|(i, f)| (i.parse::<usize>(), f))
            && let Some(line) = lines.get(i)
        {
            return AppError::invalid(format!("line {line}: {f}"), message).into();
        }
    }
    e.into()
}

#[cfg(test)]
mod tests {
    use super::split_csv_line;

    #[test]
    fn csv_fields_may_be_quoted() {
        let fields = split_csv_line(r#"r1,"ws,1","say ""hi""",2.5"#).unwrap();
        assert_eq!(fields, ["r1", "ws,1", r#"say "hi""#, "2.5"]);
        assert_eq!(split_csv_line("a,,b").unwrap(), ["a", "", "b"]);
        assert!(split_csv_line(r#""open,b"#).is_none());
        assert!(split_csv_line(r#"a"b,c"#).is_none());
    }
}
