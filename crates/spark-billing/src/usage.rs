//! `spark-billing usage import FILE.csv`: streams a CSV of usage records in
//! bounded batches; a malformed line is reported with its line number and
//! keeps its whole batch out, while the other batches are imported.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use billing_app::Caller;
use billing_app::metering::MAX_USAGE_BATCH;
use billing_app::model::UsageRecord;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use crate::config::Global;

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Import a CSV with the header `record_id,workspace_id,hour_start,cu_hours`
    /// (hour_start in RFC 3339, cu_hours with up to 3 decimals).
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    file: PathBuf,
    /// Records per batch (each batch is one transaction).
    #[arg(long, default_value_t = 5000)]
    batch: usize,
}

const HEADER: [&str; 4] = ["record_id", "workspace_id", "hour_start", "cu_hours"];

fn parse_line(record: &csv::StringRecord) -> Result<UsageRecord, String> {
    if record.len() != 4 {
        return Err(format!("expected 4 fields, found {}", record.len()));
    }
    let hour_start = DateTime::parse_from_rfc3339(&record[2])
        .map_err(|e| format!("hour_start: {:?} is not an RFC 3339 instant ({e})", &record[2]))?
        .with_timezone(&Utc);
    let cu_hours = CuHours::parse(&record[3]).map_err(|e| format!("cu_hours: {e}"))?;
    Ok(UsageRecord { record_id: record[0].to_owned(), workspace_id: record[1].to_owned(), hour_start, cu_hours })
}

/// Totals of an import.
#[derive(Default)]
struct Totals {
    imported: usize,
    duplicates: usize,
    rejected_lines: usize,
    rejected_batches: usize,
}

pub async fn run(global: &Global, command: UsageCommand) -> anyhow::Result<ExitCode> {
    let UsageCommand::Import(args) = command;
    let batch_size = args.batch.clamp(1, MAX_USAGE_BATCH);
    let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
    let header = reader.headers().with_context(|| format!("{}: cannot read the header", args.file.display()))?;
    if header.iter().collect::<Vec<_>>() != HEADER {
        anyhow::bail!("{}: line 1: the header must be {}", args.file.display(), HEADER.join(","));
    }
    let (_, billing) = global.open().await?;
    let progress = Progress::new(file_len);
    let mut totals = Totals::default();
    let mut batch = Vec::with_capacity(batch_size);
    let mut errors: Vec<String> = Vec::new();
    let mut row = csv::StringRecord::new();
    loop {
        let more = match reader.read_record(&mut row) {
            Ok(more) => more,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(format!("line {line}: {e}"));
                true
            }
        };
        if more && !row.is_empty() {
            let line = row.position().map_or(0, |p| p.line());
            match parse_line(&row) {
                Ok(record) => batch.push((line, record)),
                Err(message) => errors.push(format!("line {line}: {message}")),
            }
        }
        if batch.len() + errors.len() >= batch_size || !more {
            import_batch(&billing, &args.file, &mut batch, &mut errors, &mut totals).await?;
            progress.show(reader.position().byte(), totals.imported + totals.duplicates);
        }
        if !more {
            break;
        }
    }
    progress.finish();
    println!(
        "{} records imported, {} already known, {} malformed lines, {} batches refused",
        totals.imported, totals.duplicates, totals.rejected_lines, totals.rejected_batches
    );
    Ok(if totals.rejected_batches == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn import_batch(
    billing: &billing_app::Billing,
    file: &std::path::Path,
    batch: &mut Vec<(u64, UsageRecord)>,
    errors: &mut Vec<String>,
    totals: &mut Totals,
) -> anyhow::Result<()> {
    let first_line = batch.first().map_or(0, |(line, _)| *line);
    if !errors.is_empty() {
        for e in errors.iter() {
            eprintln!("{}: {e}", file.display());
        }
        eprintln!("{}: the batch from line {first_line} was not imported", file.display());
        totals.rejected_lines += errors.len();
        totals.rejected_batches += 1;
    } else if !batch.is_empty() {
        let records: Vec<UsageRecord> = batch.iter().map(|(_, r)| r.clone()).collect();
        match billing.import_usage(&Caller::Operator, &records).await {
            Ok(outcome) => {
                totals.imported += outcome.imported;
                totals.duplicates += outcome.duplicates;
            }
            Err(e) => {
                let line = locate(&e, batch).map_or_else(String::new, |l| format!("line {l}: "));
                eprintln!("{}: {line}{e}", file.display());
                eprintln!("{}: the batch from line {first_line} was not imported", file.display());
                totals.rejected_batches += 1;
            }
        }
    }
    batch.clear();
    errors.clear();
    Ok(())
}

/// The line of the record an import error names, when it names one.
fn locate(e: &billing_app::AppError, batch: &[(u64, UsageRecord)]) -> Option<u64> {
    match e {
        billing_app::AppError::DuplicateUsageRecord { record_id } => {
            batch.iter().rev().find(|(_, r)| &r.record_id == record_id).map(|(l, _)| *l)
        }
        billing_app::AppError::Invalid { field, .. } => {
            let index: usize = field.strip_prefix("records[")?.split(']').next()?.parse().ok()?;
            batch.get(index).map(|(l, _)| *l)
        }
        billing_app::AppError::NotFound { id, .. } => {
            batch.iter().find(|(_, r)| &r.workspace_id == id).map(|(l, _)| *l)
        }
        _ => None,
    }
}

/// A progress line with rate and ETA, on a terminal only.
struct Progress {
    total_bytes: u64,
    started: Instant,
    enabled: bool,
}

impl Progress {
    fn new(total_bytes: u64) -> Progress {
        Progress { total_bytes, started: Instant::now(), enabled: std::io::stderr().is_terminal() }
    }

    fn show(&self, bytes: u64, records: usize) {
        if !self.enabled {
            return;
        }
        let elapsed = self.started.elapsed().as_millis().max(1);
        let rate = records as u128 * 1000 / elapsed;
        let left_bytes = u128::from(self.total_bytes.saturating_sub(bytes));
        let eta_s = if bytes == 0 { 0 } else { left_bytes * elapsed / u128::from(bytes) / 1000 };
        let percent = if self.total_bytes == 0 { 100 } else { u128::from(bytes) * 100 / u128::from(self.total_bytes) };
        eprint!("\r{percent:>3}%  {records} records  {rate}/s  ETA {eta_s}s   ");
    }

    fn finish(&self) {
        if self.enabled {
            eprintln!();
        }
    }
}
