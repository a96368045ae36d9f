//! `webhooks`: two `spark-billing serve` replicas on one PostgreSQL
//! database deliver events to a receiver in this process that answers at
//! once. Two figures:
//!
//! - deliveries per second: a backlog of events committed in one
//!   transaction, from its commit to the last event's arrival;
//! - commit-to-delivery time at a steady rate (200 events/s by default):
//!   from each event's commit (here) to its first arrival (here), p50 and p99.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use billing_app::Billing;
use billing_app::Caller;
use billing_app::clock::SystemClock;
use billing_app::events::{self, EventType, Shown};
use billing_app::store::Store;
use billing_app::webhooks::EndpointRequest;
use billing_store::{SqlStore, StoreOptions};
use clap::Args;
use serde_json::json;

use crate::database::{BackendKind, Scratch, temp_dir};

/// Options of the webhook benchmark.
#[derive(Debug, Args)]
pub struct WebhookArgs {
    /// Events in the backlog delivered for the throughput figure.
    #[arg(long, default_value_t = 5000)]
    pub backlog: usize,
    /// Events per second for the latency figure.
    #[arg(long, default_value_t = 200)]
    pub rate: u64,
    /// Seconds of steady load for the latency figure.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Service replicas.
    #[arg(long, default_value_t = 2)]
    pub replicas: usize,
    /// The `spark-billing` binary (default: beside this one).
    #[arg(long)]
    pub binary: Option<PathBuf>,
}

/// First arrival of each webhook id, and how many requests came.
#[derive(Clone, Default)]
struct Arrivals {
    first: Arc<Mutex<HashMap<String, Instant>>>,
    requests: Arc<Mutex<usize>>,
}

async fn receiver(arrivals: Arrivals) -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let arrivals = arrivals.clone();
            async move {
                let now = Instant::now();
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                arrivals.first.lock().map(|mut m| m.entry(id).or_insert(now).to_owned()).ok();
                if let Ok(mut n) = arrivals.requests.lock() {
                    *n += 1;
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr()?.port());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

fn binary(args: &WebhookArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = &args.binary {
        return Ok(path.clone());
    }
    let me = std::env::current_exe()?;
    Ok(me.with_file_name("spark-billing"))
}

/// Starts one replica and waits until it serves.
fn replica(binary: &PathBuf, url: &str, n: usize) -> anyhow::Result<Child> {
    use std::io::BufRead;
    let data = temp_dir(&format!("hooks{n}"))?;
    let listen = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut child = Command::new(binary)
        .args(["--database-url", url, "--data-dir"])
        .arg(&data)
        .args(["serve", "--allow-loopback-webhooks", "--listen", &listen.to_string()])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("is running at") => break,
            Some(Ok(_)) => continue,
            _ => bail!("replica {n} exited before it started"),
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Ok(child)
}

async fn write_one(billing: &Billing, tx: &mut (dyn billing_app::store::StoreTx + '_), n: usize) -> anyhow::Result<()> {
    let id = format!("doc_{n}");
    let shown = Shown { account_id: "acc_bench", resource_id: &id, data: json!({"id": id}) };
    events::emit(tx, EventType::DocumentIssued, &shown, billing.now()).await?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let index = (sorted.len().saturating_sub(1) * p) / 100;
    sorted.get(index).copied().unwrap_or_default()
}

pub async fn run(args: WebhookArgs) -> anyhow::Result<()> {
    let binary = binary(&args)?;
    let scratch = Scratch::create(BackendKind::Postgres, "hooks").await?;
    let store = Arc::new(SqlStore::connect(&scratch.url, StoreOptions::default()).await?);
    let billing = Billing::new(store.clone(), Arc::new(SystemClock));
    let arrivals = Arrivals::default();
    let hook = receiver(arrivals.clone()).await?;
    let mut replicas = Vec::new();
    for n in 0..args.replicas {
        replicas.push(replica(&binary, &scratch.url, n)?);
    }
    let request = EndpointRequest { url: hook, ..EndpointRequest::default() };
    billing.webhooks().create_webhook_endpoint(&Caller::Operator, request).await?;

    // Throughput: a backlog committed at once.
    let mut tx = store.begin().await?;
    for n in 0..args.backlog {
        write_one(&billing, &mut *tx, n).await?;
    }
    tx.commit().await?;
    let committed = Instant::now();
    let deadline = committed + Duration::from_secs(300);
    while arrivals.first.lock().map(|m| m.len()).unwrap_or(0) < args.backlog {
        if Instant::now() > deadline {
            bail!("the backlog was not delivered within 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took =
        arrivals.first.lock().map(|m| m.values().max().map(|t| *t - committed)).ok().flatten().unwrap_or_default();
    let per_second = args.backlog as f64 / took.as_secs_f64();
    println!(
        "webhooks: {} replicas, backlog of {} events delivered in {took:.2?}: {per_second:.0} deliveries/s",
        args.replicas, args.backlog
    );

    // Latency at a steady rate, each event in its own transaction.
    let total = usize::try_from(args.rate * args.seconds)?;
    let mut commits = HashMap::new();
    let start = Instant::now();
    let interval = Duration::from_secs(1).checked_div(u32::try_from(args.rate.max(1))?).unwrap_or_default();
    for n in 0..total {
        let due = start + interval * u32::try_from(n)?;
        tokio::time::sleep_until(due.into()).await;
        let mut tx = store.begin().await?;
        write_one(&billing, &mut *tx, args.backlog + n).await?;
        tx.commit().await?;
        commits.insert(format!("doc_{}", args.backlog + n), Instant::now());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrivals.first.lock().map(|m| m.len()).unwrap_or(0) < args.backlog + total {
        if Instant::now() > deadline {
            bail!("the steady events were not all delivered within a minute");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let latencies = latencies(&store, &arrivals, &commits).await?;
    println!(
        "webhooks: {} events at {}/s: commit to delivery p50 {:.1?}, p99 {:.1?}, max {:.1?}; {} requests in all",
        latencies.len(),
        args.rate,
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        latencies.last().copied().unwrap_or_default(),
        arrivals.requests.lock().map(|n| *n).unwrap_or(0)
    );
    for mut child in replicas {
        let _ = child.kill();
        let _ = child.wait();
    }
    store.close().await;
    scratch.remove().await
}

/// Commit-to-arrival times, sorted: events are matched to their commits by
/// resource id, since the event id is chosen inside the use case.
async fn latencies(
    store: &SqlStore,
    arrivals: &Arrivals,
    commits: &HashMap<String, Instant>,
) -> anyhow::Result<Vec<Duration>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT id, resource_id FROM events").fetch_all(store.pool()).await?;
    let first = arrivals.first.lock().map(|m| m.clone()).unwrap_or_default();
    let mut out: Vec<Duration> = rows
        .iter()
        .filter_map(|(id, resource)| Some(first.get(id)?.saturating_duration_since(*commits.get(resource)?)))
        .collect();
    out.sort();
    Ok(out)
}
