//! `spark-billing refunds list|process`.

use std::process::ExitCode;
use std::time::Duration as StdDuration;

use anyhow::Context;
use billing_api::dto::RefundDto;
use billing_app::Caller;
use billing_app::unsubscription::records::{RefundFilter, RefundStatus};
use billing_app::views::RefundView;
use billing_domain::ids::AccountId;
use billing_domain::policy::PolicyDuration;
use billing_store::{SimulatedChannel, SimulatedChannelSettings};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::config::Global;
use crate::output;
use crate::remote::{self, Remote};

#[derive(Debug, Subcommand)]
pub enum RefundsCommand {
    /// List refunds, newest first.
    List(ListArgs),
    /// Send pending card and PayPal refunds through the (simulated) payment
    /// channel and record its answers.
    Process(ProcessArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// Comma-separated values with a header.
    Csv,
    /// JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only refunds in this status: pending, succeeded or failed.
    #[arg(long, value_parser = parse_status)]
    status: Option<RefundStatus>,
    /// Only this account's refunds.
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<AccountId>,
    /// At most this many (1 to 1000; 1 to 100 with --server).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// The next page: refunds listed after this one (the last id shown).
    #[arg(long, value_name = "REFUND_ID")]
    starting_after: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// This worker's name; claims are recorded under it.
    #[arg(long, default_value = "cli")]
    worker: String,
    /// Keep processing until interrupted (or --max-passes), pausing between
    /// passes.
    #[arg(long)]
    watch: bool,
    /// Pause between passes with --watch, in milliseconds (10 to 600000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    interval_ms: u64,
    /// With --watch: stop after this many passes.
    #[arg(long)]
    max_passes: Option<u64>,
    /// Simulated channel: time from receipt to its answer, e.g. 2h or 0s.
    #[arg(long, default_value = "2h")]
    channel_delay: PolicyDuration,
    /// Simulated channel: refunds that fail, per thousand (0 to 1000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(0..=1000))]
    failures_per_mille: u32,
    /// Simulated channel: real time each request takes, in milliseconds
    /// (0 to 60000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    channel_latency_ms: u64,
    /// How long a claim on a refund lasts; refunds of a worker that dies are
    /// taken up by others after this.
    #[arg(long, default_value = "60s")]
    lease: PolicyDuration,
}

fn parse_status(text: &str) -> Result<RefundStatus, String> {
    RefundStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| format!("unknown status {text:?} (expected pending, succeeded or failed)"))
}

/// A refund as the commands print it, from the database (converted to the
/// API's form) or from the server.
pub fn refund_json(r: &RefundDto) -> serde_json::Value {
    json!({
        "id": r.id, "order_id": r.order_id, "from": r.from, "to": r.to,
        "amount": r.amount, "currency": r.currency, "status": r.status,
        "rule": r.rule, "rerouted_from": r.rerouted_from, "failure": r.failure,
        "created_at": r.created_at, "expected_by": r.expected_by,
    })
}

/// The day (UTC) of an RFC 3339 instant, or the text itself when it is
/// not one.
fn day_of(instant: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(instant)
        .map_or_else(|_| instant.to_owned(), |t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d").to_string())
}

pub async fn run(global: &Global, command: RefundsCommand) -> anyhow::Result<ExitCode> {
    match command {
        RefundsCommand::List(args) => list(global, args).await,
        RefundsCommand::Process(args) => process(global, args).await,
    }
}

async fn list(global: &Global, args: ListArgs) -> anyhow::Result<ExitCode> {
    let refunds = match Remote::from_global(global)? {
        Some(remote) => {
            let status = args.status.map(|s| s.as_str());
            remote.refunds(status, args.account.as_deref(), args.starting_after.as_deref(), args.limit).await?
        }
        None => {
            let (_, billing) = global.open().await?;
            let filter = RefundFilter {
                account_id: args.account,
                status: args.status,
                limit: args.limit,
                starting_after: args.starting_after,
                ..RefundFilter::default()
            };
            let refunds = billing.unsubscriptions().refunds(&Caller::Operator, filter).await?;
            refunds.iter().map(RefundView::from).map(RefundDto::from).collect()
        }
    };
    match args.format {
        Format::Json => output::json(&refunds.iter().map(refund_json).collect())?,
        Format::Csv => {
            println!("id,status,amount,currency,from,to,expected_by");
            for r in &refunds {
                let line = [
                    r.id.clone(),
                    r.status.clone(),
                    r.amount.clone(),
                    r.currency.clone(),
                    r.from.clone(),
                    r.to.clone(),
                    r.expected_by.clone(),
                ];
                println!("{}", line.join(","));
            }
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = refunds
                .iter()
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.status.clone(),
                        format!("{} {}", r.amount, r.currency),
                        format!("{} → {}", r.from, r.to),
                        day_of(&r.expected_by),
                    ]
                })
                .collect();
            output::table(&["ID", "STATUS", "AMOUNT", "FROM → TO", "EXPECTED BY"], &rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn process(global: &Global, args: ProcessArgs) -> anyhow::Result<ExitCode> {
    remote::local_only(global, "refunds process")?;
    let (store, billing) = global.open().await?;
    let settings = SimulatedChannelSettings {
        delay: args.channel_delay.as_duration(),
        failures_per_mille: args.failures_per_mille,
        charge_declines_per_mille: 0,
        latency: StdDuration::from_millis(args.channel_latency_ms),
    };
    let channel = SimulatedChannel::new(&store, settings);
    let mut passes = 0_u64;
    let mut failures = 0_u32;
    loop {
        let report =
            match billing.unsubscriptions().process_refunds(&args.worker, &channel, args.lease.as_duration()).await {
                Ok(report) => report,
                // Watching rides through a database that restarts or is away for
                // a while: the pass is tried again, waiting longer each time.
                // Claims made before the failure lapse with their lease.
                Err(error) if args.watch => {
                    failures = failures.saturating_add(1);
                    let wait = retry_wait(args.interval_ms, failures);
                    tracing::warn!(%error, wait_ms = wait.as_millis(), "refund pass failed; trying again");
                    eprintln!("pass failed: {error}; trying again in {} ms", wait.as_millis());
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(error) => return Err(error).context("refund processing failed"),
            };
        failures = 0;
        passes += 1;
        eprintln!(
            "pass {passes}: {} claimed, {} succeeded, {} re-routed to balance, {} still pending, {} channel errors",
            report.claimed, report.succeeded, report.rerouted, report.pending, report.errors
        );
        let done = !args.watch || args.max_passes.is_some_and(|max| passes >= max);
        if done {
            return Ok(ExitCode::SUCCESS);
        }
        if report.claimed == 0 {
            tokio::time::sleep(StdDuration::from_millis(args.interval_ms)).await;
        }
    }
}

/// The pause after `failures` failed passes in a row: the watch interval,
/// doubled per failure, at most 30 s.
fn retry_wait(interval_ms: u64, failures: u32) -> StdDuration {
    let doubled = interval_ms.max(100).saturating_mul(1_u64 << failures.min(16));
    StdDuration::from_millis(doubled.min(30_000))
}
