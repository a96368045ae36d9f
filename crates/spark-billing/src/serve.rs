//! `spark-billing serve`: the HTTP API (and console) with the refund worker
//! and the scheduler running beside it, until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context;
use billing_api::{ApiState, router};
use billing_app::Billing;
use billing_app::clock::{Clock, SimulatedClock, SystemClock};
use billing_app::unsubscription::processing::CLAIM_LEASE;
use billing_domain::policy::PolicyDuration;
use billing_store::{SimulatedChannel, SimulatedChannelSettings};
use clap::{Args, ValueEnum};
use tokio::sync::watch;

use crate::config::Global;
use crate::demo;
use crate::http::{self, HttpArgs};
use crate::remote;

/// Which clock the service runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClockMode {
    /// The machine's clock.
    System,
    /// The machine's clock plus an offset an operator moves forward
    /// (`spark-billing clock advance 3d`).
    Simulated,
}

/// How to run the service.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SPARK_BILLING_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed a demo world on first start (accounts, workspaces, quotas, plans,
    /// usage, refunds) and write the sign-in keys to DATA_DIR/demo-keys.json.
    #[arg(long)]
    demo: bool,
    /// The clock to run on (the demo defaults to simulated).
    #[arg(long, value_enum, env = "SPARK_BILLING_CLOCK")]
    clock: Option<ClockMode>,
    /// Request limits, timeouts and the connection cap.
    #[command(flatten)]
    http: HttpArgs,
    /// Do not run the refund worker and scheduler in this process.
    #[arg(long)]
    no_workers: bool,
    /// Let webhooks go to loopback addresses over plain http:// (for
    /// development; `--demo` implies it).
    #[arg(long, env = "SPARK_BILLING_ALLOW_LOOPBACK_WEBHOOKS")]
    allow_loopback_webhooks: bool,
    /// Simulated payment channel: time until it answers.
    #[arg(long, env = "SPARK_BILLING_CHANNEL_DELAY", default_value = "2h")]
    channel_delay: PolicyDuration,
    /// Simulated payment channel: refunds that fail, per thousand (0 to 1000).
    #[arg(long, env = "SPARK_BILLING_CHANNEL_FAILURES", default_value_t = 100,
        value_parser = clap::value_parser!(u32).range(0..=1000))]
    failures_per_mille: u32,
    /// Simulated payment channel: card and PayPal charges declined, per
    /// thousand (0 to 1000), besides the test cards that always decline.
    #[arg(long, env = "SPARK_BILLING_CHANNEL_DECLINES", default_value_t = 0,
        value_parser = clap::value_parser!(u32).range(0..=1000))]
    charge_declines_per_mille: u32,
    #[command(flatten)]
    console: crate::secrets::ConsoleArgs,
    /// Also settle usage consumed from a NATS JetStream stream, as `usage
    /// consume` does (with --demo, live usage of the demo is published to it).
    #[arg(long, env = "SPARK_BILLING_USAGE_STREAM")]
    usage_stream: bool,
    #[command(flatten)]
    stream: crate::stream::StreamArgs,
}

pub async fn run(global: &Global, args: ServeArgs) -> anyhow::Result<std::process::ExitCode> {
    remote::local_only(global, "serve")?;
    let quote_keys = global.quote_keys()?;
    let console_settings = args.console.settings()?;
    // A font named for PDFs that cannot be read stops the start, not the
    // first PDF.
    let cjk = billing_app::documents::pdf::check_fonts().map_err(|e| anyhow::anyhow!("{e}"))?;
    if !cjk {
        tracing::warn!("no CJK font found: Chinese, Japanese and Korean names print as boxes in PDFs");
    }
    // The address first: a server that cannot listen writes nothing (no
    // database, no clock mode, no demo) and leaves a running one alone.
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let store = global.open_store(true).await?;
    let simulated = Arc::new(SimulatedClock::default());
    let settings = SimulatedChannelSettings {
        delay: args.channel_delay.as_duration(),
        failures_per_mille: args.failures_per_mille,
        charge_declines_per_mille: args.charge_declines_per_mille,
        ..SimulatedChannelSettings::default()
    };
    let channel = Arc::new(SimulatedChannel::new(&store, settings));
    let mode = clock_mode(&Billing::new(store.clone(), Arc::new(SystemClock)), &args).await?;
    let clock: Arc<dyn Clock> = match mode {
        ClockMode::System => Arc::new(SystemClock),
        ClockMode::Simulated => simulated.clone(),
    };
    // One recorder for the API, the console and the workers: `/metrics`
    // shows what all of them committed.
    let exporter = billing_api::Exporter::new();
    let billing = Billing::new(store.clone(), clock).with_channel(channel.clone()).with_meter(exporter.meter());
    let billing = crate::config::with_quote_keys(billing, quote_keys.as_ref());
    billing.operations().ensure_catalog().await?;
    let fresh = FreshClock { billing: billing.clone(), clock: (mode == ClockMode::Simulated).then_some(simulated) };
    fresh.refresh().await;
    let keys = if args.demo { Some(demo::ensure_demo(&billing, &global.data_dir).await?) } else { None };
    let operator_key = match &keys {
        Some(keys) => keys.operator.clone(),
        None => demo::ensure_operator_key(&billing, &global.data_dir).await?,
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(metrics_upkeep(exporter.clone(), stop_rx.clone()))];
    if !args.no_workers {
        tasks.push(tokio::spawn(refund_worker(billing.clone(), fresh.clone(), channel, stop_rx.clone())));
        tasks.push(tokio::spawn(scheduler(billing.clone(), fresh.clone(), stop_rx.clone())));
        let sender = crate::webhook_sender::HttpSender::new(args.allow_loopback_webhooks || args.demo)?;
        let refresh = fresh.clone();
        tasks.push(tokio::spawn(crate::webhook_sender::worker(
            billing.clone(),
            Arc::new(sender),
            move || {
                let fresh = refresh.clone();
                async move { fresh.refresh().await }
            },
            stop_rx.clone(),
        )));
    }
    if args.usage_stream {
        tasks.push(tokio::spawn(crate::stream::run_in_server(billing.clone(), args.stream.clone(), stop_rx.clone())));
        if args.demo {
            tasks.push(tokio::spawn(crate::stream::demo::feed(billing.clone(), args.stream.clone(), stop_rx.clone())));
        }
    }

    let api_settings = billing_api::ApiSettings { exporter: Some(exporter), ..args.http.api_settings() };
    let app = router(ApiState::new(billing.clone(), api_settings))
        .merge(billing_console::router(console_settings.state(billing.clone())))
        .layer(axum::middleware::from_fn_with_state(fresh, with_fresh_clock))
        .layer(axum::middleware::from_fn(run_to_completion));
    let url = format!("http://{}", listener.local_addr()?);
    announce(&url, &global.data_dir, &operator_key, keys.as_ref(), mode);
    http::serve(listener, app, &args.http, shutdown_signal()).await.context("server failed")?;
    tracing::info!("stopping: finishing the workers' current items");
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    tracing::info!("stopped");
    Ok(std::process::ExitCode::SUCCESS)
}

/// The clock mode to run on. The mode is shared by every process on the
/// database: a server started without `--clock` takes the stored one (the
/// demo's simulated clock when none is stored yet); one asking for another
/// mode than the stored one is refused rather than switching every other
/// process's clock under it — `spark-billing clock mode` switches it.
async fn clock_mode(billing: &Billing, args: &ServeArgs) -> anyhow::Result<ClockMode> {
    let stored = billing.operations().stored_clock_mode().await?;
    let wanted = args.clock.unwrap_or(if args.demo { ClockMode::Simulated } else { ClockMode::System });
    let stored = match stored.as_deref() {
        None => {
            billing.operations().set_clock_mode(wanted == ClockMode::Simulated).await?;
            return Ok(wanted);
        }
        Some("simulated") => ClockMode::Simulated,
        Some(_) => ClockMode::System,
    };
    match args.clock {
        Some(asked) if asked != stored => anyhow::bail!(
            "this database's shared clock is {} and every process on it follows that; start without --clock to \
             use it, or switch it for all with `spark-billing clock mode {}`",
            mode_name(stored),
            mode_name(asked)
        ),
        _ => Ok(stored),
    }
}

pub fn mode_name(mode: ClockMode) -> &'static str {
    match mode {
        ClockMode::System => "system",
        ClockMode::Simulated => "simulated",
    }
}

/// Brings the simulated clock to the stored offset before work starts, so a
/// clock advanced by any process is in force for every request (and worker
/// round) that starts after the advance committed. On the system clock it
/// does nothing.
#[derive(Clone)]
struct FreshClock {
    billing: Billing,
    clock: Option<Arc<SimulatedClock>>,
}

impl FreshClock {
    async fn refresh(&self) {
        let Some(clock) = &self.clock else { return };
        match self.billing.operations().clock_settings().await {
            Ok((_, offset)) => clock.catch_up_to(offset),
            Err(e) => tracing::warn!(error = %e, "cannot read the simulated clock's offset"),
        }
    }
}

async fn with_fresh_clock(
    axum::extract::State(fresh): axum::extract::State<FreshClock>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    fresh.refresh().await;
    next.run(request).await
}

fn announce(url: &str, data_dir: &std::path::Path, operator_key: &str, keys: Option<&demo::DemoKeys>, mode: ClockMode) {
    println!();
    println!("spark-billing is running at {url}");
    println!("  console:  {url}/console");
    println!("  API:      {url}/api/v1   (OpenAPI: {url}/api/openapi.json)");
    println!(
        "  clock:    {}",
        if mode == ClockMode::Simulated {
            "simulated (advance it from the console or with `spark-billing clock advance 1d`)"
        } else {
            "system"
        }
    );
    println!();
    match keys {
        Some(keys) => {
            println!(
                "Sign in to the console with one of these API keys (also in {}):",
                data_dir.join("demo-keys.json").display()
            );
            println!("  operator       {}", keys.operator);
            for (name, key) in &keys.customers {
                println!("  {name:<14} {key}");
            }
        }
        None => println!("Operator API key (kept in {}): {operator_key}", data_dir.join("operator-key").display()),
    }
    println!();
    println!("Stop with Ctrl-C.");
}

/// Runs each request in a task of its own, so that a client hanging up
/// does not cancel it halfway through a database transaction: the work
/// finishes (or fails) as a whole, and the connection goes back to the pool
/// clean.
async fn run_to_completion(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            axum::response::IntoResponse::into_response(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// How old a payment must be before the worker takes it over from the
/// request that started it.
const CHARGE_GRACE: chrono::Duration = chrono::Duration::seconds(30);

/// Sends pending refunds through the simulated channel, one batch a second,
/// and settles payments a stopped process left half-way.
async fn refund_worker(
    billing: Billing,
    fresh: FreshClock,
    channel: Arc<SimulatedChannel>,
    mut stop: watch::Receiver<bool>,
) {
    let channel = &*channel;
    let worker = format!("serve-{}-{}", std::process::id(), billing_app::ids::new_id("w"));
    let stopping = stop.clone();
    let stop_requested = move || *stopping.borrow();
    loop {
        fresh.refresh().await;
        match billing.purchases().process_charges(CHARGE_GRACE).await {
            Ok(report) if report.payments > 0 => tracing::info!(?report, "payments settled"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "payment settling failed; retrying"),
        }
        match billing.unsubscriptions().process_refunds_until(&worker, channel, CLAIM_LEASE, &stop_requested).await {
            Ok(report) if report.succeeded + report.rerouted > 0 => tracing::info!(?report, "refunds settled"),
            Ok(report) if report.claimed > 0 => tracing::debug!(?report, "refunds still pending"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "refund processing failed; retrying"),
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(StdDuration::from_secs(1)) => {}
        }
    }
}

/// Does what has fallen due every few seconds.
/// Folds recorded latencies into the histograms every few seconds, so that
/// they hold no more than that between scrapes.
async fn metrics_upkeep(exporter: billing_api::Exporter, mut stop: watch::Receiver<bool>) {
    loop {
        exporter.run_upkeep();
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(StdDuration::from_secs(5)) => {}
        }
    }
}

async fn scheduler(billing: Billing, fresh: FreshClock, mut stop: watch::Receiver<bool>) {
    loop {
        fresh.refresh().await;
        match billing.purchases().run_due().await {
            Ok(work) if work.failed > 0 => tracing::warn!(?work, "due work done; some items failed and were audited"),
            Ok(work) if work != Default::default() => tracing::info!(?work, "due work done"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "due work failed; retrying"),
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(StdDuration::from_secs(5)) => {}
        }
    }
}
