//! `billing-bench import`: usage import and settlement of N records from a
//! CSV, the way `spark-billing usage import` does it, against a bare bulk
//! insert of the same rows into a table without keys, on the same database,
//! in the same run. For context it also times the same insert into a table
//! keyed by record id, the least any import that refuses a record twice
//! must write, and the write floor: that keyed insert together with the
//! settlement packs the import wrote, the least any import that also keeps
//! each hour's settlement must write. Before each timed phase the database
//! is brought to rest (vacuumed and checkpointed), so that no phase pays for
//! the upkeep of another's writes.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use billing_app::clock::ManualClock;
use billing_app::metering::MAX_USAGE_BATCH;
use billing_app::model::UsageRecord;
use billing_app::{Billing, Caller};
use billing_domain::usage::CuHours;
use billing_store::{Backend, SqlStore, SqlTx, StoreOptions};
use chrono::{DateTime, Duration, Utc};
use clap::Args;

use crate::database::{BackendKind, Scratch, temp_dir};
use crate::report::{list, median, mib, peak_rss_kib, ratio, reset_peak_rss};

mod floor;
pub mod world;

use floor::{floor_insert, quiesce, written_packs};
use world::RecordOrder;

/// Records per batch: the default of `spark-billing usage import --batch`.
pub const CLI_BATCH: usize = 5000;
/// Records per transaction, for the import and the baseline alike: the
/// CLI writes consecutive batches together up to `MAX_USAGE_BATCH`.
const PER_TRANSACTION: usize = MAX_USAGE_BATCH / CLI_BATCH * CLI_BATCH;
/// Rows per multi-row INSERT of the baseline: the same as the store's usage
/// insert, with the same parameter markers (`?` on SQLite, `$n` on
/// PostgreSQL).
const BARE_ROWS_PER_STATEMENT: usize = 512;
/// The header `spark-billing usage import` requires.
const HEADER: [&str; 4] = ["record_id", "workspace_id", "hour_start", "cu_hours"];

/// Options of `billing-bench import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Usage records in the generated CSV.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Which database to run on.
    #[arg(long, value_enum, default_value_t = BackendKind::Sqlite)]
    backend: BackendKind,
    /// Workspaces the records are spread over (five per account).
    #[arg(long, default_value_t = 2000)]
    workspaces: usize,
    /// Order of the records in the file.
    #[arg(long, value_enum, default_value_t = RecordOrder::Hour)]
    order: RecordOrder,
    /// Measured repetitions, each on a fresh database; the median is reported.
    #[arg(long, default_value_t = 3)]
    repetitions: usize,
    /// Skip the real import (to profile the baseline alone).
    #[arg(long, hide = true)]
    bare_only: bool,
    /// Skip the baseline (to profile the real import alone).
    #[arg(long, hide = true)]
    import_only: bool,
    /// Rows per multi-row INSERT of the baseline.
    #[arg(long, hide = true, default_value_t = BARE_ROWS_PER_STATEMENT)]
    bare_rows_per_statement: usize,
}

/// What one repetition measured.
struct Repetition {
    bare_per_s: f64,
    keyed_per_s: f64,
    import_per_s: f64,
    floor_per_s: f64,
    bare_peak_kib: Option<u64>,
    import_peak_kib: Option<u64>,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    ensure!(args.workspaces >= 5 && args.records > 0, "need at least 5 workspaces and 1 record");
    println!(
        "import: {} records over {} workspaces in {:?} order, batches of {CLI_BATCH} written {PER_TRANSACTION} \
         per transaction, backend {:?}, {} repetitions",
        args.records, args.workspaces, args.order, args.backend, args.repetitions
    );
    let mut reps = Vec::new();
    for rep in 1..=args.repetitions.max(1) {
        let r = repetition(&args).await?;
        println!(
            "  rep {rep}: bare insert {:.0} records/s, keyed insert {:.0} records/s, import+settle {:.0} records/s, \
             write floor {:.0} records/s, ratio {:.2}, peak RSS {:.1} MiB",
            r.bare_per_s,
            r.keyed_per_s,
            r.import_per_s,
            r.floor_per_s,
            ratio(r.import_per_s, r.bare_per_s),
            r.import_peak_kib.map_or(0.0, mib)
        );
        reps.push(r);
    }
    let bare: Vec<f64> = reps.iter().map(|r| r.bare_per_s).collect();
    let import: Vec<f64> = reps.iter().map(|r| r.import_per_s).collect();
    let ratios: Vec<f64> = reps.iter().map(|r| ratio(r.import_per_s, r.bare_per_s)).collect();
    let keyed: Vec<f64> = reps.iter().map(|r| r.keyed_per_s).collect();
    let keyed_ratios: Vec<f64> = reps.iter().map(|r| ratio(r.import_per_s, r.keyed_per_s)).collect();
    let floor: Vec<f64> = reps.iter().map(|r| r.floor_per_s).collect();
    let floor_ratios: Vec<f64> = reps.iter().map(|r| ratio(r.floor_per_s, r.bare_per_s)).collect();
    let import_floor_ratios: Vec<f64> = reps.iter().map(|r| ratio(r.import_per_s, r.floor_per_s)).collect();
    let peak = reps.iter().filter_map(|r| r.import_peak_kib).max();
    let bare_peak = reps.iter().filter_map(|r| r.bare_peak_kib).max();
    println!("bare bulk insert:        median {:.0} records/s {}", median(&bare), list(&bare));
    println!("import + settlement:     median {:.0} records/s {}", median(&import), list(&import));
    println!("ratio import/bare:       median {:.2}", median(&ratios));
    println!("keyed bulk insert:       median {:.0} records/s {}", median(&keyed), list(&keyed));
    println!("ratio import/keyed:      median {:.2}", median(&keyed_ratios));
    println!("write floor:             median {:.0} records/s {}", median(&floor), list(&floor));
    println!("ratio floor/bare:        median {:.2}", median(&floor_ratios));
    println!("ratio import/floor:      median {:.2}", median(&import_floor_ratios));
    match (peak, bare_peak) {
        (Some(p), Some(b)) => println!(
            "peak RSS (VmHWM):        import {:.1} MiB, bare insert {:.1} MiB (max over repetitions)",
            mib(p),
            mib(b)
        ),
        _ => println!("peak RSS (VmHWM):        not available"),
    }
    Ok(())
}

async fn repetition(args: &ImportArgs) -> anyhow::Result<Repetition> {
    let scratch = Scratch::create(args.backend, "import").await?;
    let result = measure(args, &scratch.url).await;
    scratch.remove().await?;
    result
}

async fn measure(args: &ImportArgs, url: &str) -> anyhow::Result<Repetition> {
    let store = Arc::new(SqlStore::connect(url, StoreOptions::default()).await?);
    let clock = Arc::new(ManualClock::new(world::START - Duration::minutes(30)));
    let billing = Billing::new(store.clone(), clock.clone());
    billing.operations().ensure_catalog().await?;
    let world = world::seed(&billing, args.workspaces).await?;
    let dir = temp_dir("csv")?;
    let csv_path = dir.join("usage.csv");
    let hours = world::write_csv(&csv_path, &world, args.records, args.order)?;
    // Every generated hour lies in the past.
    clock.set(world::START + Duration::hours(hours + 1));

    quiesce(&store).await?;
    reset_peak_rss();
    let started = Instant::now();
    let bare_rows = match args.import_only {
        true => 0,
        false => bare_insert(&store, &csv_path, args.bare_rows_per_statement, Key::None).await?,
    };
    let bare_per_s = bare_rows as f64 / started.elapsed().as_secs_f64();
    let bare_peak_kib = peak_rss_kib();
    quiesce(&store).await?;
    let started = Instant::now();
    let keyed_rows = match args.import_only {
        true => 0,
        false => bare_insert(&store, &csv_path, args.bare_rows_per_statement, Key::RecordId).await?,
    };
    let keyed_per_s = keyed_rows as f64 / started.elapsed().as_secs_f64();

    if args.bare_only {
        std::fs::remove_dir_all(&dir)?;
        let import_per_s = 0.0;
        return Ok(Repetition {
            bare_per_s,
            keyed_per_s,
            import_per_s,
            floor_per_s: 0.0,
            bare_peak_kib,
            import_peak_kib: None,
        });
    }
    quiesce(&store).await?;
    reset_peak_rss();
    let started = Instant::now();
    let totals = import_like_the_cli(&billing, &csv_path).await?;
    let import_per_s = totals.lines as f64 / started.elapsed().as_secs_f64();
    let import_peak_kib = peak_rss_kib();

    ensure!(totals.refused_batches == 0, "{} batches were refused", totals.refused_batches);
    ensure!(totals.imported + totals.duplicates == totals.lines, "records went missing");
    let ledger = billing.operations().ledger_check(&Caller::Operator).await?;
    ensure!(ledger.ok(), "the ledger does not balance after the import: {:?}", ledger.problems);
    println!(
        "  {} lines: {} imported, {} already known; ledger balanced ({} entries)",
        totals.lines, totals.imported, totals.duplicates, ledger.entries
    );
    let floor_per_s = match args.import_only {
        true => 0.0,
        false => {
            let packs = written_packs(&store).await?;
            let transactions = totals.lines.div_ceil(PER_TRANSACTION);
            quiesce(&store).await?;
            let started = Instant::now();
            let rows = floor_insert(&store, &csv_path, args.bare_rows_per_statement, packs, transactions).await?;
            rows as f64 / started.elapsed().as_secs_f64()
        }
    };
    std::fs::remove_dir_all(&dir)?;
    store.close().await;
    Ok(Repetition { bare_per_s, keyed_per_s, import_per_s, floor_per_s, bare_peak_kib, import_peak_kib })
}

/// Reads one CSV line as `spark-billing usage import` does.
fn parse_line(record: &csv::StringRecord) -> anyhow::Result<UsageRecord> {
    ensure!(record.len() == 4, "expected 4 fields, found {}", record.len());
    let hour_start = DateTime::parse_from_rfc3339(&record[2])?.with_timezone(&Utc);
    let cu_hours = CuHours::parse(&record[3])?;
    Ok(UsageRecord { record_id: record[0].to_owned(), workspace_id: record[1].to_owned(), hour_start, cu_hours })
}

fn open_csv(path: &Path) -> anyhow::Result<csv::Reader<std::fs::File>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
    ensure!(reader.headers()?.iter().eq(HEADER), "unexpected header");
    Ok(reader)
}

/// Counts of the real import.
#[derive(Default)]
struct Totals {
    lines: usize,
    imported: usize,
    duplicates: usize,
    refused_batches: usize,
}

/// One transaction's records, read and parsed ahead, with their lines.
type Transaction = (Vec<u64>, Vec<UsageRecord>);

/// Reads and parses the CSV on a thread of its own, handing on the records
/// of one transaction at a time and reading at most one transaction ahead,
/// as `spark-billing usage import` does. The baselines read the same way,
/// so that all three are held to the same reading.
fn read_ahead(path: &Path) -> anyhow::Result<(tokio::sync::mpsc::Receiver<Transaction>, Reading)> {
    let mut reader = open_csv(path)?;
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    let thread = std::thread::spawn(move || -> anyhow::Result<()> {
        let mut row = csv::StringRecord::new();
        loop {
            let mut lines = Vec::with_capacity(PER_TRANSACTION);
            let mut records = Vec::with_capacity(PER_TRANSACTION);
            let mut more = true;
            while more && records.len() < PER_TRANSACTION {
                more = reader.read_record(&mut row)?;
                if more && !row.is_empty() {
                    let line = row.position().map_or(0, |p| p.line());
                    records.push(parse_line(&row).with_context(|| format!("line {line}"))?);
                    lines.push(line);
                }
            }
            if !records.is_empty() && sender.blocking_send((lines, records)).is_err() {
                return Ok(());
            }
            if !more {
                return Ok(());
            }
        }
    });
    Ok((receiver, Reading(thread)))
}

/// The reading thread, to be joined once its transactions are taken.
struct Reading(std::thread::JoinHandle<anyhow::Result<()>>);

impl Reading {
    fn join(self) -> anyhow::Result<()> {
        self.0.join().map_err(|_| anyhow::anyhow!("the reading thread panicked"))?
    }
}

/// The loop of `spark-billing usage import` on a file without bad lines:
/// the CSV read and parsed ahead on a thread of its own, and the records of
/// consecutive batches, up to [`MAX_USAGE_BATCH`] of them, handed to one
/// `billing_app::metering::Metering::import_usage`.
async fn import_like_the_cli(billing: &Billing, path: &Path) -> anyhow::Result<Totals> {
    let (mut transactions, reading) = read_ahead(path)?;
    let mut totals = Totals::default();
    while let Some((lines, records)) = transactions.recv().await {
        totals.lines += records.len();
        match billing.metering().import_usage(&Caller::Operator, &records).await {
            Ok(outcome) => {
                totals.imported += outcome.imported;
                totals.duplicates += outcome.duplicates;
            }
            Err(e) => {
                eprintln!("batch from line {} refused: {e}", lines[0]);
                totals.refused_batches += 1;
            }
        }
    }
    reading.join()?;
    Ok(totals)
}

/// The key of a baseline table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    /// None: the baseline the import is held to.
    None,
    /// The record id as primary key, laid out as `usage_records` is: on
    /// SQLite a table ordered by it (`WITHOUT ROWID`), on PostgreSQL
    /// compared byte by byte (`COLLATE "C"`).
    RecordId,
    /// As `RecordId`, in the table of the write floor.
    Floor,
}

impl Key {
    fn table(self) -> &'static str {
        match self {
            Key::None => "bench_bare_usage",
            Key::RecordId => "bench_keyed_usage",
            Key::Floor => "bench_floor_usage",
        }
    }
}

/// The baseline: the same CSV, read and parsed the same way, inserted in
/// transactions of the same size (multi-row INSERTs) through the same
/// driver and pool into a table with no index and no settlement, and with
/// no key unless `key` says otherwise.
async fn bare_insert(store: &SqlStore, path: &Path, rows_per_statement: usize, key: Key) -> anyhow::Result<usize> {
    create_usage_table(store, key).await?;
    let (mut transactions, reading) = read_ahead(path)?;
    let mut rows = 0;
    while let Some((_, batch)) = transactions.recv().await {
        let mut tx = store.begin_sql().await?;
        insert_bare_batch(&mut tx, store.kind(), &batch, rows_per_statement, key).await?;
        tx.commit_sql().await?;
        rows += batch.len();
    }
    reading.join()?;
    Ok(rows)
}

/// `key`'s table, laid out as its comment says.
async fn create_usage_table(store: &SqlStore, key: Key) -> anyhow::Result<()> {
    let (primary, layout) = match (key, store.kind()) {
        (Key::None, _) => (" NOT NULL", ""),
        (Key::RecordId | Key::Floor, Backend::Sqlite) => (" PRIMARY KEY", " WITHOUT ROWID"),
        (Key::RecordId | Key::Floor, Backend::Postgres) => (" COLLATE \"C\" PRIMARY KEY", ""),
    };
    sqlx::query(&format!(
        "CREATE TABLE {} (record_id TEXT{primary}, workspace_id TEXT NOT NULL, \
         hour_start BIGINT NOT NULL, cu_milli BIGINT NOT NULL){layout}",
        key.table()
    ))
    .execute(store.pool())
    .await?;
    Ok(())
}

/// One transaction's records into `key`'s table.
async fn insert_bare_batch(
    tx: &mut SqlTx,
    backend: Backend,
    batch: &[UsageRecord],
    rows_per_statement: usize,
    key: Key,
) -> anyhow::Result<()> {
    match key {
        Key::None => write_rows(tx.conn().await?, backend, batch, rows_per_statement, key, false).await?,
        Key::RecordId | Key::Floor => {
            // As the import writes: the file's repeats within the batch
            // dropped, the rest sent as plain INSERTs (SQLite skips a known
            // id at no cost), and only when a record of an earlier batch
            // comes again is the batch sent again skipping known ids.
            let mut seen = HashSet::with_capacity(batch.len());
            let rows: Vec<&UsageRecord> = batch.iter().filter(|r| seen.insert(r.record_id.as_str())).collect();
            let skip_known = backend == Backend::Sqlite;
            sqlx::query("SAVEPOINT keyed").execute(tx.conn().await?).await?;
            if write_rows(tx.conn().await?, backend, &rows, rows_per_statement, key, skip_known).await.is_err() {
                sqlx::query("ROLLBACK TO SAVEPOINT keyed").execute(tx.conn().await?).await?;
                write_rows(tx.conn().await?, backend, &rows, rows_per_statement, key, true).await?;
            }
            sqlx::query("RELEASE SAVEPOINT keyed").execute(tx.conn().await?).await?;
        }
    }
    Ok(())
}

/// Multi-row INSERTs of `rows` into `key`'s table, skipping ids already
/// there when `skip_known`.
async fn write_rows<R: Borrow<UsageRecord>>(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    rows: &[R],
    rows_per_statement: usize,
    key: Key,
    skip_known: bool,
) -> anyhow::Result<()> {
    for chunk in rows.chunks(rows_per_statement) {
        let mut sql = format!(
            "INSERT INTO {} (record_id, workspace_id, hour_start, cu_milli) VALUES {}",
            key.table(),
            values_list(backend, chunk.len(), 4)
        );
        if skip_known {
            sql.push_str(" ON CONFLICT (record_id) DO NOTHING");
        }
        let mut query = sqlx::query(&sql);
        for r in chunk.iter().map(Borrow::borrow) {
            query = query
                .bind(&r.record_id)
                .bind(&r.workspace_id)
                .bind(r.hour_start.timestamp_micros())
                .bind(r.cu_hours.milli());
        }
        let done = query.execute(&mut *conn).await?;
        if !skip_known && done.rows_affected() != chunk.len() as u64 {
            bail!("the insert wrote {} of {} rows", done.rows_affected(), chunk.len());
        }
    }
    Ok(())
}

/// `rows` parenthesised rows of `columns` parameter markers, for a VALUES
/// list: `?` on SQLite, `$n` numbered in order on PostgreSQL, as the store
/// writes them.
fn values_list(backend: Backend, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * (columns * 6 + 3));
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => sql.push_str(&format!("${}", i * columns + c + 1)),
            }
        }
        sql.push(')');
    }
    sql
}
