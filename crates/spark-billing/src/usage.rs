//! `spark-billing usage import FILE.csv`: streams a CSV of usage records in
//! bounded batches; a malformed line is reported with its line number and
//! keeps its whole batch out, while the other batches are imported. With
//! `--skip-bad FILE` every bad line is reported and written to FILE instead,
//! and the good lines of its batch are imported. With `--server` the file is
//! still read and checked here, and each valid batch is uploaded to
//! `POST /api/v1/usage.csv`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use billing_api::MAX_USAGE_RECORDS;
use billing_app::Caller;
use billing_app::metering::{MAX_USAGE_BATCH, UsageSource};
use billing_app::model::UsageRecord;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use crate::config::Global;
use crate::remote::{Problem, Remote};

#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Import a CSV with the header `record_id,workspace_id,hour_start,cu_hours`
    /// (hour_start in RFC 3339, cu_hours with up to 3 decimals).
    Import(ImportArgs),
    /// Settle usage records consumed from a NATS JetStream stream (one JSON
    /// message per record), acknowledging each after its batch committed.
    Consume(crate::stream::ConsumeArgs),
    /// Publish a usage CSV's records to a NATS JetStream stream.
    Publish(crate::stream::PublishArgs),
    /// List (or export as CSV) the stream messages refused.
    Rejections(crate::stream::RejectionsArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file.
    file: PathBuf,
    /// Records per batch: a bad record keeps its whole batch out, and the
    /// other batches are imported. With --server each batch is one request
    /// (at most 10,000 records); locally, consecutive batches are written up
    /// to 50,000 records per transaction, each on its own when that fails.
    #[arg(long, default_value_t = 5000)]
    batch: usize,
    /// Import the good lines of every batch and write each bad line to FILE
    /// (CSV: its line number, its four fields and why it was refused); FILE
    /// must not exist yet.
    #[arg(long, value_name = "FILE")]
    skip_bad: Option<PathBuf>,
}

/// The rejected lines of a `--skip-bad` import.
struct Rejects {
    writer: csv::Writer<std::fs::File>,
    path: PathBuf,
}

impl Rejects {
    fn create(path: &std::path::Path) -> anyhow::Result<Rejects> {
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => anyhow::anyhow!("{} exists already; give a new file", path.display()),
            _ => anyhow::Error::new(e).context(format!("cannot create {}", path.display())),
        })?;
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(["line", "record_id", "workspace_id", "hour_start", "cu_hours", "reason"])?;
        Ok(Rejects { writer, path: path.to_owned() })
    }

    /// Writes a bad line with its reason, and reports it.
    fn reject(&mut self, file: &std::path::Path, line: u64, fields: &[String], reason: &str) -> anyhow::Result<()> {
        eprintln!("{}: line {line}: {reason}", file.display());
        let mut row = vec![line.to_string()];
        row.extend((0..4).map(|i| fields.get(i).cloned().unwrap_or_default()));
        row.push(reason.to_owned());
        self.writer.write_record(&row).with_context(|| format!("cannot write {}", self.path.display()))
    }
}

pub(crate) const HEADER: [&str; 4] = ["record_id", "workspace_id", "hour_start", "cu_hours"];

pub(crate) fn parse_line(record: &csv::StringRecord) -> Result<UsageRecord, String> {
    if record.len() != 4 {
        return Err(format!("expected 4 fields, found {}", record.len()));
    }
    let hour_start = DateTime::parse_from_rfc3339(&record[2])
        .map_err(|e| format!("hour_start: {:?} is not an RFC 3339 instant ({e})", &record[2]))?
        .with_timezone(&Utc);
    let cu_hours = CuHours::parse(&record[3]).map_err(|e| format!("cu_hours: {e}"))?;
    Ok(UsageRecord { record_id: record[0].to_owned(), workspace_id: record[1].to_owned(), hour_start, cu_hours })
}

/// Where the batches go.
enum Importer {
    Local(billing_app::Billing),
    Remote(Remote),
}

/// Totals of an import.
#[derive(Default)]
struct Totals {
    imported: usize,
    duplicates: usize,
    rejected_lines: usize,
    rejected_batches: usize,
    skipped_lines: usize,
}

pub async fn run(global: &Global, command: UsageCommand) -> anyhow::Result<ExitCode> {
    let args = match command {
        UsageCommand::Import(args) => args,
        UsageCommand::Consume(args) => return crate::stream::consume::run(global, args).await,
        UsageCommand::Publish(args) => return crate::stream::publish::run(args).await,
        UsageCommand::Rejections(args) => return crate::stream::rejections::run(global, args).await,
    };
    let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
    let header = reader.headers().with_context(|| format!("{}: cannot read the header", args.file.display()))?;
    if header.iter().collect::<Vec<_>>() != HEADER {
        anyhow::bail!("{}: line 1: the header must be {}", args.file.display(), HEADER.join(","));
    }
    let importer = match Remote::from_global(global)? {
        Some(remote) => Importer::Remote(remote),
        None => Importer::Local(global.open().await?.1),
    };
    // A request to a server carries one batch; a local import writes
    // several in one transaction.
    let batch_size = match importer {
        Importer::Local(_) => args.batch.clamp(1, MAX_USAGE_BATCH),
        Importer::Remote(_) => args.batch.clamp(1, MAX_USAGE_RECORDS),
    };
    let mut rejects = args.skip_bad.as_deref().map(Rejects::create).transpose()?;
    let progress = Progress::new(file_len);
    let mut totals = Totals::default();
    let mut pending = Pending::default();
    // The file is read and checked on a thread of its own, at most one
    // transaction's worth of batches ahead, while the batches before are
    // written.
    let (sender, mut chunks) = tokio::sync::mpsc::channel(MAX_USAGE_BATCH.div_ceil(batch_size));
    let reader = std::thread::spawn(move || read_chunks(reader, batch_size, &sender));
    let mut finished = false;
    while let Some(Chunk { batch, errors, byte, last }) = chunks.recv().await {
        if let Some(rejects) = rejects.as_mut() {
            for (line, fields, reason) in &errors {
                rejects.reject(&args.file, *line, fields, reason)?;
            }
            totals.skipped_lines += errors.len();
            import_skipping(&importer, &args.file, batch, &mut totals, rejects).await?;
        } else if !errors.is_empty() {
            // Batches are reported in file order: what is pending first.
            pending.write(&importer, &args.file, &mut totals).await?;
            refuse_malformed(&args.file, &batch, &errors, &mut totals);
        } else if !batch.records.is_empty() {
            match &importer {
                Importer::Local(_) => pending.add(batch),
                Importer::Remote(_) => import_batch(&importer, &args.file, &batch, &mut totals).await?,
            }
        }
        if last || pending.records + batch_size > MAX_USAGE_BATCH {
            pending.write(&importer, &args.file, &mut totals).await?;
        }
        progress.show(byte, totals.imported + totals.duplicates);
        finished |= last;
    }
    if reader.join().is_err() || !finished {
        anyhow::bail!("{}: reading the file stopped before its end", args.file.display());
    }
    progress.finish();
    if let Some(mut rejects) = rejects {
        rejects.writer.flush().with_context(|| format!("cannot write {}", rejects.path.display()))?;
        println!(
            "{} records imported, {} already known, {} bad lines skipped (written to {})",
            totals.imported,
            totals.duplicates,
            totals.skipped_lines,
            rejects.path.display()
        );
        // The bad lines were asked to be skipped: they are in the file.
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} records imported, {} already known, {} malformed lines, {} batches refused",
        totals.imported, totals.duplicates, totals.rejected_lines, totals.rejected_batches
    );
    Ok(if totals.rejected_batches == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Well-formed records of consecutive lines, with the line of each.
#[derive(Default)]
struct Batch {
    lines: Vec<u64>,
    records: Vec<UsageRecord>,
    /// The fields as written in the file, for the rejects.
    raw: Vec<Vec<String>>,
}

/// What the reading thread hands on: a batch, the messages of its
/// malformed lines (when there are any, the batch is not imported), how far
/// into the file it reaches, and whether the file ends with it.
struct Chunk {
    batch: Batch,
    errors: Vec<(u64, Vec<String>, String)>,
    byte: u64,
    last: bool,
}

/// Reads and checks the file, handing on a chunk whenever `batch_size`
/// lines are read and at the end; stops early when nobody takes them.
fn read_chunks(mut reader: csv::Reader<std::fs::File>, batch_size: usize, sender: &tokio::sync::mpsc::Sender<Chunk>) {
    let mut batch = Batch::default();
    let mut errors: Vec<(u64, Vec<String>, String)> = Vec::new();
    let mut row = csv::StringRecord::new();
    loop {
        let more = match reader.read_record(&mut row) {
            Ok(more) => more,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push((line, Vec::new(), e.to_string()));
                true
            }
        };
        if more && !row.is_empty() {
            let line = row.position().map_or(0, |p| p.line());
            match parse_line(&row) {
                Ok(record) => {
                    batch.lines.push(line);
                    batch.records.push(record);
                    batch.raw.push(row.iter().map(str::to_owned).collect());
                }
                Err(message) => errors.push((line, row.iter().map(str::to_owned).collect(), message)),
            }
        }
        if batch.records.len() + errors.len() >= batch_size || !more {
            let chunk = Chunk {
                batch: std::mem::take(&mut batch),
                errors: std::mem::take(&mut errors),
                byte: reader.position().byte(),
                last: !more,
            };
            if sender.blocking_send(chunk).is_err() || !more {
                return;
            }
        }
    }
}

/// Checked batches waiting to be written together, in one transaction of
/// at most [`MAX_USAGE_BATCH`] records (local imports only).
#[derive(Default)]
struct Pending {
    batches: Vec<Batch>,
    records: usize,
}

impl Pending {
    fn add(&mut self, batch: Batch) {
        self.records += batch.records.len();
        self.batches.push(batch);
    }

    /// Writes the pending batches in one transaction. When that is refused,
    /// each is written on its own, so that a bad record keeps out only its
    /// own batch, as if the batches had never been grouped.
    async fn write(&mut self, importer: &Importer, file: &std::path::Path, totals: &mut Totals) -> anyhow::Result<()> {
        let mut batches = std::mem::take(&mut self.batches);
        self.records = 0;
        if let ([_, _, ..], Importer::Local(billing)) = (batches.as_slice(), importer) {
            // The records move into one list and, if it is refused, back.
            let mut records = Vec::with_capacity(batches.iter().map(|b| b.records.len()).sum());
            for batch in &mut batches {
                records.append(&mut batch.records);
            }
            if let Ok(outcome) =
                billing.metering().import_usage_from(&Caller::Operator, &records, UsageSource::File).await
            {
                totals.imported += outcome.imported;
                totals.duplicates += outcome.duplicates;
                return Ok(());
            }
            for batch in batches.iter_mut().rev() {
                batch.records = records.split_off(records.len() - batch.lines.len());
            }
        }
        for batch in &batches {
            import_batch(importer, file, batch, totals).await?;
        }
        Ok(())
    }
}

/// Reports a batch with malformed lines, which is not imported.
fn refuse_malformed(file: &std::path::Path, batch: &Batch, errors: &[(u64, Vec<String>, String)], totals: &mut Totals) {
    for (line, _, message) in errors {
        eprintln!("{}: line {line}: {message}", file.display());
    }
    // The first line of the batch, well-formed or not.
    let first_line = batch.lines.first().copied();
    let first_error = errors.first().map(|(line, _, _)| *line);
    let from = match (first_line, first_error) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(0),
    };
    eprintln!("{}: the batch from line {from} was not imported", file.display());
    totals.rejected_lines += errors.len();
    totals.rejected_batches += 1;
}

/// Imports one well-formed batch in one transaction (or one request).
async fn import_batch(
    importer: &Importer,
    file: &std::path::Path,
    batch: &Batch,
    totals: &mut Totals,
) -> anyhow::Result<()> {
    let first_line = batch.lines.first().copied().unwrap_or(0);
    let records = &batch.records;
    let outcome = match importer {
        Importer::Local(billing) => {
            match billing.metering().import_usage_from(&Caller::Operator, records, UsageSource::File).await {
                Ok(outcome) => Ok((outcome.imported, outcome.duplicates)),
                Err(e) => Err(format!("{}{e}", locate(&e, batch).map_or_else(String::new, |l| format!("line {l}: ")))),
            }
        }
        Importer::Remote(remote) => match remote.import_usage_csv(csv_of(records)?).await {
            Ok(outcome) => Ok((outcome.imported, outcome.duplicates)),
            Err(e) => match e.downcast::<Problem>() {
                // The server refused this batch's records: go on with the next.
                Ok(p) if matches!(p.status, 400 | 404 | 409 | 422) => Err(locate_remote(&p, batch)),
                // Any other answer (a wrong key, a busy or broken server)
                // or no answer would befall every batch: stop.
                Ok(p) => return Err(p.into()),
                Err(e) => {
                    return Err(e.context(format!(
                        "{}: stopped at the batch from line {first_line} ({} records imported before it; \
                         importing the file again is safe, known records are skipped)",
                        file.display(),
                        totals.imported
                    )));
                }
            },
        },
    };
    match outcome {
        Ok((imported, duplicates)) => {
            totals.imported += imported;
            totals.duplicates += duplicates;
        }
        Err(message) => {
            eprintln!("{}: {message}", file.display());
            eprintln!("{}: the batch from line {first_line} was not imported", file.display());
            totals.rejected_batches += 1;
        }
    }
    Ok(())
}

/// Imports the good records of `batch`: a record the service refuses, when
/// the refusal names it, is written to the rejects and the rest are sent
/// again (each try is one transaction or request, at most one per record);
/// a refusal naming none rejects the batch's lines.
async fn import_skipping(
    importer: &Importer,
    file: &std::path::Path,
    mut batch: Batch,
    totals: &mut Totals,
    rejects: &mut Rejects,
) -> anyhow::Result<()> {
    while !batch.records.is_empty() {
        let refusal = match importer {
            Importer::Local(billing) => {
                match billing.metering().import_usage_from(&Caller::Operator, &batch.records, UsageSource::File).await {
                    Ok(outcome) => Ok((outcome.imported, outcome.duplicates)),
                    Err(e @ (billing_app::AppError::Busy | billing_app::AppError::Unavailable(_))) => {
                        return Err(e.into());
                    }
                    Err(billing_app::AppError::Internal(detail)) => anyhow::bail!("the import failed: {detail}"),
                    Err(e) => Err((index_of(&e, &batch), reason_of(&e))),
                }
            }
            Importer::Remote(remote) => match remote.import_usage_csv(csv_of(&batch.records)?).await {
                Ok(outcome) => Ok((outcome.imported, outcome.duplicates)),
                Err(e) => match e.downcast::<Problem>() {
                    Ok(p) if matches!(p.status, 400 | 404 | 409 | 422) => {
                        let message = locate_remote(&p, &batch);
                        let line = message.strip_prefix("line ").and_then(|r| r.split(':').next()?.parse::<u64>().ok());
                        let index = line.and_then(|l| batch.lines.iter().position(|x| *x == l));
                        let reason = message
                            .split_once(": ")
                            .filter(|_| index.is_some())
                            .map_or(message.clone(), |(_, r)| r.to_owned());
                        Err((index, reason))
                    }
                    Ok(p) => return Err(p.into()),
                    Err(e) => return Err(e),
                },
            },
        };
        match refusal {
            Ok((imported, duplicates)) => {
                totals.imported += imported;
                totals.duplicates += duplicates;
                return Ok(());
            }
            Err((Some(index), reason)) => {
                let (line, raw) = (batch.lines.remove(index), batch.raw.remove(index));
                batch.records.remove(index);
                rejects.reject(file, line, &raw, &reason)?;
                totals.skipped_lines += 1;
            }
            Err((None, reason)) => {
                for (line, raw) in batch.lines.iter().zip(&batch.raw) {
                    rejects.reject(file, *line, raw, &reason)?;
                }
                totals.skipped_lines += batch.records.len();
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Why a record was refused, naming its field (`hour_start: …`) rather than
/// its place in the batch.
fn reason_of(e: &billing_app::AppError) -> String {
    match e {
        billing_app::AppError::Invalid { field, message } => {
            let field = field.split_once("].").map_or(field.as_str(), |(_, f)| f);
            format!("{field}: {message}")
        }
        other => other.to_string(),
    }
}

/// The index in `batch` of the record an import error names.
fn index_of(e: &billing_app::AppError, batch: &Batch) -> Option<usize> {
    match e {
        billing_app::AppError::DuplicateUsageRecord { record_id } => {
            batch.records.iter().rposition(|r| &r.record_id == record_id)
        }
        billing_app::AppError::Invalid { field, .. } => field.strip_prefix("records[")?.split(']').next()?.parse().ok(),
        billing_app::AppError::NotFound { id, .. } => batch.records.iter().position(|r| &r.workspace_id == id),
        _ => None,
    }
}

/// The line of the record an import error names, when it names one.
fn locate(e: &billing_app::AppError, batch: &Batch) -> Option<u64> {
    batch.lines.get(index_of(e, batch)?).copied()
}

/// A batch as the CSV `POST /api/v1/usage.csv` takes: the header, then one
/// record per line.
fn csv_of(records: &[UsageRecord]) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for r in records {
        let (hour_start, cu_hours) = (r.hour_start.to_rfc3339(), r.cu_hours.to_string());
        writer.write_record([r.record_id.as_str(), r.workspace_id.as_str(), &hour_start, &cu_hours])?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("cannot write the batch as CSV: {}", e.error()))
}

/// The server's refusal of a batch, naming the file's line of the record
/// at fault when it can be told: the server counts lines of the uploaded
/// batch (the header is line 1), or names the record or workspace.
fn locate_remote(p: &Problem, batch: &Batch) -> String {
    if let Some(rest) = p.field.as_deref().and_then(|f| f.strip_prefix("line "))
        && let Some(n) = rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|d| d.parse::<usize>().ok())
        && let Some(line) = n.checked_sub(2).and_then(|i| batch.lines.get(i))
    {
        let detail = p.detail.strip_prefix(&format!("line {n}: ")).unwrap_or(&p.detail);
        return format!("line {line}: {detail} ({})", p.code);
    }
    let named = match p.code.as_str() {
        "DUPLICATE_USAGE_RECORD" => {
            batch.records.iter().rposition(|r| p.detail.contains(&format!("{:?}", r.record_id)))
        }
        "NOT_FOUND" => batch.records.iter().position(|r| p.detail.contains(&format!("{:?}", r.workspace_id))),
        _ => None,
    };
    match named.and_then(|i| batch.lines.get(i)) {
        Some(line) => format!("line {line}: {p}"),
        None => p.to_string(),
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
