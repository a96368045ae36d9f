//! `billing-bench`: measures spark-billing against baselines run in the same
//! process, on the same database server, in the same run:
//!
//! - `import`: usage import and settlement from a CSV against a bare bulk
//!   insert of the same rows (same driver, same batches);
//! - `purchase`: `billing_app::purchase::Purchases::buy_quota` paid with a card through the
//!   simulated payment channel (or from the balance), at N clients, against
//!   pgbench's `tpcb-like` on PostgreSQL;
//! - `confirm`: `billing_app::unsubscription::Unsubscriptions::confirm_unsubscription` of distinct quotas, at N
//!   clients, against the same pgbench figure;
//! - `stream`: usage settled from a NATS JetStream stream by 1 and 2
//!   `spark-billing usage consume` processes, against `spark-billing usage
//!   import` of the same records, and the lag after a burst.
//! - `documents`: invoices and credit notes rendered as PDF (and HTML) per
//!   second on one thread.
//! - `webhooks`: deliveries per second and commit-to-delivery time of two
//!   `serve` replicas on PostgreSQL.
//!
//! Every figure is the median of the repetitions. Nothing here asserts a
//! timing; it prints numbers for a person to judge.
#![forbid(unsafe_code)]

mod database;
mod documents;
mod import;
mod pgbench;
mod report;
mod stream;
mod throughput;
mod webhooks;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::database::BackendKind;

// The allocator `spark-billing` runs with, so that the import is measured
// the way the command runs it (the baselines share it, in this process).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Throughput benchmarks of spark-billing.
#[derive(Debug, Parser)]
#[command(name = "billing-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Usage import + settlement from CSV vs a bare bulk insert of the same rows.
    Import(import::ImportArgs),
    /// Buying quotas (paid by card through the channel) at N clients vs pgbench tpcb-like.
    Purchase(LoadArgs),
    /// Confirming unsubscriptions of distinct quotas at N clients vs pgbench tpcb-like.
    Confirm(LoadArgs),
    /// Usage settled from a NATS JetStream stream by 1 and 2 consumer processes vs the file import.
    Stream(stream::StreamArgs),
    /// PDF (and HTML) renderings of a credit note per second, on one thread.
    Documents(documents::DocumentArgs),
    /// Webhook deliveries per second and commit-to-delivery time, two
    /// `serve` replicas on PostgreSQL and a receiver answering at once.
    Webhooks(webhooks::WebhookArgs),
}

/// Options of the concurrent benchmarks.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Seconds per measured repetition.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Measured repetitions; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repetitions: usize,
    /// Which database to run on.
    #[arg(long, value_enum, default_value_t = BackendKind::Sqlite)]
    pub backend: BackendKind,
    /// Database connections the service's pool holds (default: the store's
    /// default for the backend, as `spark-billing serve` runs with).
    #[arg(long)]
    pub pool: Option<u32>,
    /// pgbench worker threads (`-j`).
    #[arg(long, default_value_t = 2)]
    pub pgbench_threads: usize,
    /// How the measured purchases pay: a card charged through the simulated
    /// payment channel, or the balance (`purchase` only; the quotas
    /// `confirm` prepares are paid from the balance).
    #[arg(long, value_enum, default_value_t = throughput::PayWith::Card)]
    pub pay_with: throughput::PayWith,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Import(args) => import::run(args).await,
            Command::Purchase(args) => throughput::run(throughput::Workload::Purchase(args.pay_with), args).await,
            Command::Confirm(args) => throughput::run(throughput::Workload::Confirm, args).await,
            Command::Stream(args) => stream::run(args).await,
            Command::Webhooks(args) => webhooks::run(args).await,
            Command::Documents(args) => documents::run(args),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
