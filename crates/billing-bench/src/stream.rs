//! `billing-bench stream`: usage settled from a NATS JetStream stream by 1
//! and by 2 `spark-billing usage consume` processes, against `spark-billing
//! usage import` of the same CSV, each on its own copy of one seeded
//! database, in the same run. The records are published beforehand (by
//! `spark-billing usage publish`), so the consumers' rate is what settling
//! costs, not what publishing does. Then the lag: one consumer at a steady
//! 10,000 records/s takes a burst of 100,000 records, and the time until
//! its durable consumer has nothing pending again is measured. Peak memory
//! is each process's `VmHWM`, read from /proc while it runs.
//!
//! Between the two, unless `--no-ceiling`, the ceiling: the same messages
//! taken and acknowledged as the consumer takes and acknowledges them, with
//! no database (see [`ceiling`]), by 1 and 2 consumers, so that what
//! nats-server alone allows on this machine stands beside what settling
//! achieves.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use billing_app::Billing;
use billing_app::clock::ManualClock;
use billing_store::{SqlStore, StoreOptions};
use clap::Args;

use crate::database::{BackendKind, Scratch, drop_postgres_database, postgres_server};
use crate::import::world::{self, RecordOrder};

mod ceiling;
mod lag;

/// Options of `billing-bench stream`.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Usage records in the CSV published beforehand.
    #[arg(long, default_value_t = 1_000_000)]
    records: usize,
    /// Which database to run on.
    #[arg(long, value_enum, default_value_t = BackendKind::Sqlite)]
    backend: BackendKind,
    /// Workspaces the records are spread over (five per account).
    #[arg(long, default_value_t = 2000)]
    workspaces: usize,
    /// Messages per pull; a consumer settles up to ten pulls in hand in one
    /// transaction.
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// The NATS server.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// The `spark-billing` binary (default: the one beside this one).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Skip the burst test.
    #[arg(long)]
    no_lag: bool,
    /// Skip the ceiling: nats-server's rate of deliveries and
    /// acknowledgements with no database.
    #[arg(long)]
    no_ceiling: bool,
}

/// A copy of the seeded database, removed at the end.
enum Copy {
    File(PathBuf),
    Postgres(String),
}

pub async fn run(args: StreamArgs) -> anyhow::Result<()> {
    let bin = match &args.bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?.with_file_name("spark-billing"),
    };
    ensure!(bin.exists(), "{} is missing: build it (cargo build --release -p spark-billing)", bin.display());
    println!(
        "stream: {} records over {} workspaces, batches of {}, backend {:?}",
        args.records, args.workspaces, args.batch, args.backend
    );
    let scratch = Scratch::create(args.backend, "stream").await?;
    let result = measure(&args, &bin, &scratch.url).await;
    scratch.remove().await?;
    result
}

async fn measure(args: &StreamArgs, bin: &Path, url: &str) -> anyhow::Result<()> {
    let store = Arc::new(SqlStore::connect(url, StoreOptions::default()).await?);
    let clock = Arc::new(ManualClock::new(world::START - chrono::Duration::minutes(30)));
    let billing = Billing::new(store.clone(), clock.clone());
    billing.operations().ensure_catalog().await?;
    let world = world::seed(&billing, args.workspaces).await?;
    let dir = crate::database::temp_dir("stream-csv")?;
    let csv = dir.join("usage.csv");
    world::write_csv(&csv, &world, args.records, RecordOrder::Hour)?;
    store.close().await;
    let copies = [copy_of(url, "file").await?, copy_of(url, "one").await?, copy_of(url, "two").await?];
    let outcome = compare(args, bin, &csv, &copies).await;
    let lag = match (&outcome, args.no_lag) {
        (Ok(_), false) => lag::run(args, bin, &copies[1], &world.workspaces).await,
        _ => Ok(()),
    };
    for copy in copies {
        remove(copy).await?;
    }
    std::fs::remove_dir_all(&dir)?;
    outcome.and(lag)
}

async fn compare(args: &StreamArgs, bin: &Path, csv: &Path, copies: &[Copy; 3]) -> anyhow::Result<()> {
    let stream = format!("BENCH_{}", std::process::id());
    let subject = format!("bench{}.records", std::process::id());
    let filter = format!("bench{}.>", std::process::id());
    let started = Instant::now();
    let file_run = run_measured(Command::new(bin).args(["--database-url", &url_of(&copies[0])]).args([
        "usage",
        "import",
        csv.to_str().unwrap_or_default(),
    ]))?;
    let file_seconds = started.elapsed().as_secs_f64();
    let imported = first_number(&file_run.stdout).context("the import printed no count")?;
    let file_rate = imported as f64 / file_seconds;
    println!(
        "file import:      {imported} records in {file_seconds:.2}s = {file_rate:.0} records/s, peak {:.1} MiB",
        file_run.peak_kib as f64 / 1024.0
    );
    let started = Instant::now();
    let publish =
        run_measured(
            Command::new(bin)
                .args(["usage", "publish", csv.to_str().unwrap_or_default(), "--nats", &args.nats])
                .args(["--stream", &stream, "--subject", &subject, "--stream-max-mb", "2048"]),
        )?;
    println!("published:        {} in {:.2}s", publish.stdout.trim(), started.elapsed().as_secs_f64());
    let mut rates = Vec::new();
    for (consumers, copy) in [(1usize, &copies[1]), (2, &copies[2])] {
        let topic = Topic { stream: &stream, filter: &filter, durable: format!("bench{consumers}") };
        let (settled, rate) = consume(args, bin, &topic, consumers, copy)?;
        ensure!(settled == imported, "the stream settled {settled} records, the file {imported}");
        rates.push(rate);
    }
    let published = first_number(&publish.stdout).context("the publisher printed no count")?;
    let ceilings = match args.no_ceiling {
        true => Vec::new(),
        false => ceilings(args, &stream, &filter, published).await?,
    };
    print_summary(file_rate, &rates, &ceilings);
    lag::delete_stream(&args.nats, &stream).await
}

/// The stream, subjects and durable consumer one run consumes.
struct Topic<'a> {
    stream: &'a str,
    filter: &'a str,
    durable: String,
}

/// Runs `consumers` `usage consume` processes on one durable consumer until
/// they are idle; the records they settled and their rate.
fn consume(args: &StreamArgs, bin: &Path, topic: &Topic, consumers: usize, copy: &Copy) -> anyhow::Result<(u64, f64)> {
    let started = Instant::now();
    let cpu_before = ceiling::nats_server_cpu();
    let children: Vec<_> = (0..consumers)
        .map(|_| {
            Command::new(bin)
                .args(["--database-url", &url_of(copy), "usage", "consume", "--nats", &args.nats])
                .args(["--stream", topic.stream, "--subject", topic.filter, "--durable", &topic.durable])
                .args(["--batch", &args.batch.to_string(), "--exit-when-idle", "3s"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    // Each process is watched on a thread of its own, so that each one's
    // peak is read while it runs.
    let watchers: Vec<_> = children.into_iter().map(|c| std::thread::spawn(move || wait_measured(c))).collect();
    let mut runs = Vec::new();
    for watcher in watchers {
        runs.push(watcher.join().map_err(|_| anyhow::anyhow!("a watching thread panicked"))??);
    }
    let wall = started.elapsed().as_secs_f64();
    let server_cpu = cpu_before.zip(ceiling::nats_server_cpu()).and_then(|(b, a)| a.checked_sub(b));
    let settled: u64 = runs.iter().map(|r| first_number(&r.stdout).unwrap_or(0)).sum();
    let busy = runs.iter().map(|r| busy_seconds(&r.stdout)).fold(0.0, f64::max);
    let rate = settled as f64 / busy;
    let peaks: Vec<String> = runs.iter().map(|r| format!("{:.1} MiB", r.peak_kib as f64 / 1024.0)).collect();
    println!(
        "{consumers} consumer(s):    {settled} records in {busy:.2}s busy ({wall:.2}s with start and 3s idle) = \
         {rate:.0} records/s; peak {}; nats-server CPU {}",
        peaks.join(", "),
        cpu_text(server_cpu)
    );
    Ok((settled, rate))
}

/// The ceiling runs: 1 and 2 consumers taking every message with no
/// database, parsing the records and not; their rates, in that order.
async fn ceilings(args: &StreamArgs, stream: &str, filter: &str, total: u64) -> anyhow::Result<Vec<f64>> {
    let source = ceiling::Source { nats: &args.nats, stream, filter, total, batch: args.batch };
    let mut rates = Vec::new();
    for parse in [true, false] {
        for consumers in [1usize, 2] {
            let durable = format!("ceiling{consumers}{}", if parse { "parse" } else { "bare" });
            let run = ceiling::run(&source, &durable, consumers, parse).await?;
            println!(
                "ceiling, {consumers} consumer(s), {}: {} messages in {:.2}s = {:.0} messages/s; nats-server CPU {}",
                if parse { "parsing" } else { "not parsing" },
                run.taken,
                run.busy.as_secs_f64(),
                run.rate(),
                cpu_text(run.server_cpu)
            );
            ensure!(run.taken == total, "the ceiling took {} messages of {total}", run.taken);
            rates.push(run.rate());
        }
    }
    Ok(rates)
}

fn cpu_text(cpu: Option<Duration>) -> String {
    cpu.map_or_else(|| "unknown".to_owned(), |cpu| format!("{:.1}s", cpu.as_secs_f64()))
}

/// The rates side by side: settling consumers, then the ceilings.
fn print_summary(file_rate: f64, rates: &[f64], ceilings: &[f64]) {
    let cell = |rates: &[f64], i: usize| rates.get(i).map_or_else(|| "-".to_owned(), |r| format!("{r:.0}/s"));
    println!("summary (records/s)          1 consumer    2 consumers");
    println!("file import                  {:>10}", format!("{file_rate:.0}/s"));
    println!("usage consume (settling)     {:>10}    {:>11}", cell(rates, 0), cell(rates, 1));
    let ratio = |i: usize| rates.get(i).map_or_else(|| "-".to_owned(), |r| format!("{:.2} x", r / file_rate));
    println!("  against the file import    {:>10}    {:>11}", ratio(0), ratio(1));
    if !ceilings.is_empty() {
        println!("ceiling, parsing, no db      {:>10}    {:>11}", cell(ceilings, 0), cell(ceilings, 1));
        println!("ceiling, not parsing, no db  {:>10}    {:>11}", cell(ceilings, 2), cell(ceilings, 3));
    }
}

/// What a finished process printed and its peak memory.
pub struct Measured {
    /// What it printed.
    pub stdout: String,
    /// Its peak resident set size, in KiB.
    pub peak_kib: u64,
}

fn run_measured(command: &mut Command) -> anyhow::Result<Measured> {
    let child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
    wait_measured(child)
}

/// Waits for `child`, reading its `VmHWM` every 50 ms meanwhile.
pub fn wait_measured(mut child: std::process::Child) -> anyhow::Result<Measured> {
    let pid = child.id();
    let mut stdout = child.stdout.take().context("stdout not piped")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let mut peak_kib = 0;
    loop {
        peak_kib = peak_kib.max(vm_hwm_kib(pid).unwrap_or(0));
        if let Some(status) = child.try_wait()? {
            ensure!(status.success(), "a spark-billing process failed ({status})");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let stdout = reader.join().map_err(|_| anyhow::anyhow!("reading the output failed"))?;
    Ok(Measured { stdout, peak_kib })
}

/// The peak resident set size of process `pid`, in KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn first_number(text: &str) -> Option<u64> {
    text.split(|c: char| !c.is_ascii_digit()).find(|n| !n.is_empty())?.parse().ok()
}

/// The `in 12.345s` of a consumer's totals.
fn busy_seconds(text: &str) -> f64 {
    text.rsplit_once(" in ")
        .and_then(|(_, t)| t.trim().trim_end_matches(")").trim_end_matches('s').parse().ok())
        .unwrap_or(0.0)
}

fn url_of(copy: &Copy) -> String {
    match copy {
        Copy::File(path) => format!("sqlite://{}", path.display()),
        Copy::Postgres(url) => url.clone(),
    }
}

/// A copy of the database at `url` (closed): a copied file, or a database
/// made from it as a template.
async fn copy_of(url: &str, tag: &str) -> anyhow::Result<Copy> {
    match url.strip_prefix("sqlite://") {
        Some(path) => {
            let to = PathBuf::from(format!("{path}.{tag}"));
            std::fs::copy(path, &to).with_context(|| format!("cannot copy {path}"))?;
            Ok(Copy::File(to))
        }
        None => {
            let template = url.rsplit('/').next().unwrap_or_default().to_owned();
            let name = format!("{template}_{tag}");
            let server = postgres_server();
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server).await?;
            sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin).await?;
            let mut copy = url::Url::parse(&server)?;
            copy.set_path(&name);
            Ok(Copy::Postgres(copy.to_string()))
        }
    }
}

async fn remove(copy: Copy) -> anyhow::Result<()> {
    match copy {
        Copy::File(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            Ok(())
        }
        Copy::Postgres(url) => {
            let name = url.rsplit('/').next().unwrap_or_default().to_owned();
            drop_postgres_database(&postgres_server(), &name).await
        }
    }
}
