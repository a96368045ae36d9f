//! `spark-billing ledger check`, `audit verify` and `tick`.

use std::process::ExitCode;

use billing_app::Caller;
use billing_app::checks::{AuditReport, LedgerReport};
use clap::Subcommand;

use crate::config::Global;
use crate::remote::{self, Remote};

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Every movement balances, every balance equals its ledger entries,
    /// every plan's capacity matches; exits 1 and lists problems otherwise.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain from the first event to the head; exits 1 at the
    /// first event that does not verify.
    Verify,
}

pub async fn ledger(global: &Global, command: LedgerCommand) -> anyhow::Result<ExitCode> {
    let LedgerCommand::Check = command;
    let report = match Remote::from_global(global)? {
        Some(remote) => {
            let dto = remote.ledger_check().await?;
            LedgerReport { movements: dto.movements, entries: dto.entries, problems: dto.problems }
        }
        None => global.open().await?.1.operations().ledger_check(&Caller::Operator).await?,
    };
    for problem in &report.problems {
        println!("problem: {problem}");
    }
    let verdict = if report.ok() { "ok" } else { "FAILED" };
    println!(
        "ledger {verdict}: {} movements, {} entries, {} problems",
        report.movements,
        report.entries,
        report.problems.len()
    );
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub async fn audit(global: &Global, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = command;
    let report = match Remote::from_global(global)? {
        Some(remote) => {
            let dto = remote.audit_verify().await?;
            AuditReport { events: dto.events, problem: dto.problem }
        }
        None => global.open().await?.1.operations().audit_verify(&Caller::Operator).await?,
    };
    match &report.problem {
        None => {
            println!("audit chain ok: {} events verified", report.events);
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            println!("audit chain BROKEN after {} good events: {problem}", report.events);
            Ok(ExitCode::FAILURE)
        }
    }
}

pub async fn tick(global: &Global) -> anyhow::Result<ExitCode> {
    remote::local_only(global, "tick")?;
    let (_, billing) = global.open().await?;
    let work = billing.purchases().run_due().await?;
    // Renewals charged to a card are taken through the channel now.
    let payments = billing.purchases().process_charges(chrono::Duration::zero()).await?;
    println!(
        "{} unpaid orders cancelled, {} quotas renewed, {} renewals failed, {} instances expired, {} items failed",
        work.orders_cancelled, work.renewed, work.renewals_failed, work.expired, work.failed
    );
    println!(
        "{} payments settled: {} orders paid, {} top-ups credited, {} declined, {} left for later",
        payments.payments, payments.paid, payments.credited, payments.declined, payments.errors
    );
    // The items that failed were logged and audited; the others were done.
    Ok(if work.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
