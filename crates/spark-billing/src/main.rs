//! `spark-billing`: the command-line entry point. Every subcommand works on
//! the local database (SQLite in the data directory, or PostgreSQL named by
//! `DATABASE_URL`) with operator rights, or, with `--server URL --api-key
//! KEY`, the operator commands call a running server's HTTP API instead.
#![forbid(unsafe_code)]

mod bills_report;
mod change;
mod checks;
mod clock;
mod config;
mod demo;
mod documents;
mod files;
mod http;
mod keys;
mod output;
mod policy;
mod quote;
mod refunds;
mod remote;
mod report;
mod secrets;
mod serve;
mod stream;
mod unsubscribe;
mod usage;
mod webhook_sender;
mod webhooks;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::config::Global;

// The server allocates many small, short-lived buffers per request (bodies,
// JSON, ids); mimalloc serves those from per-thread pages without the
// contention and consolidation passes of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sells, meters and takes back prepaid capacity of a serverless Spark platform.
#[derive(Debug, Parser)]
#[command(name = "spark-billing", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: the HTTP API and console, the refund worker and the
    /// scheduler.
    Serve(serve::ServeArgs),
    /// Show or move the simulated clock.
    #[command(subcommand)]
    Clock(clock::ClockCommand),
    /// Quote the refund for giving a prepaid instance back.
    Quote(quote::QuoteArgs),
    /// Give a prepaid instance (or one pending renewal) back and refund it.
    Unsubscribe(unsubscribe::UnsubscribeArgs),
    /// Keep a subscription quota with fewer CUs; the removed CUs' share of
    /// the prepaid cash comes back. The workspace stays.
    Downgrade(change::DowngradeArgs),
    /// End a subscription quota and bill its workspace pay-as-you-go; the
    /// prepaid remainder comes back. The workspace, its jobs and data stay.
    Switch(change::SwitchArgs),
    /// List refunds, or send pending ones through the payment channel.
    #[command(subcommand)]
    Refunds(refunds::RefundsCommand),
    /// List invoices and credit notes, show one, or write it as PDF or HTML.
    #[command(subcommand)]
    Documents(documents::DocumentsCommand),
    /// Import usage records from a CSV file or a stream and settle them.
    #[command(subcommand)]
    Usage(usage::UsageCommand),
    /// Download the backup archive of a workspace's job scripts.
    Backup(unsubscribe::BackupArgs),
    /// Check that the ledger balances and explains every balance.
    #[command(subcommand)]
    Ledger(checks::LedgerCommand),
    /// Verify the audit trail's hash chain.
    #[command(subcommand)]
    Audit(checks::AuditCommand),
    /// Do what has fallen due: cancel stale orders, renew, expire.
    Tick,
    /// Reports for operators.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Show or change the refund policy.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// List, revoke or roll API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// List events.
    #[command(subcommand)]
    Events(webhooks::EventsCommand),
    /// Manage webhook endpoints, redeliver events, verify a signature.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
}

fn main() -> ExitCode {
    let args = match config::args_with_config(Cli::command(), std::env::args().collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let cli = Cli::parse_from(args);
    init_logging(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(&global, args).await,
        Command::Clock(command) => clock::run(&global, command).await,
        Command::Quote(args) => quote::run(&global, args).await,
        Command::Unsubscribe(args) => unsubscribe::run(&global, args).await,
        Command::Downgrade(args) => change::downgrade(&global, args).await,
        Command::Switch(args) => change::switch(&global, args).await,
        Command::Refunds(command) => refunds::run(&global, command).await,
        Command::Documents(command) => documents::run(&global, command).await,
        Command::Usage(command) => usage::run(&global, command).await,
        Command::Backup(args) => unsubscribe::backup(&global, args).await,
        Command::Ledger(command) => checks::ledger(&global, command).await,
        Command::Audit(command) => checks::audit(&global, command).await,
        Command::Tick => checks::tick(&global).await,
        Command::Report(command) => report::run(&global, command).await,
        Command::Policy(command) => policy::run(&global, command).await,
        Command::Keys(command) => keys::run(&global, command).await,
        Command::Events(command) => webhooks::events(&global, command).await,
        Command::Webhooks(command) => webhooks::run(&global, command).await,
    }
}

/// Logs go to stderr: readable lines (coloured only on a terminal, never in
/// a file or a pipe), JSON lines with `--log-format json`. `RUST_LOG` picks
/// what is logged (default: info).
fn init_logging(format: config::LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,async_nats=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        config::LogFormat::Json => builder.json().init(),
        config::LogFormat::Text => builder.init(),
    }
}
