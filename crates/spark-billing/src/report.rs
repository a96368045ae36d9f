//! `spark-billing report refunds --from --to`: refunds created in a period,
//! totalled per currency, status and destination.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::bail;
use billing_app::Caller;
use billing_app::unsubscription::records::RefundFilter;
use billing_domain::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::config::Global;
use crate::output;
use crate::refunds::Format;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Refunds created from --from (inclusive) to --to (exclusive), with
    /// totals per currency, status and destination.
    Refunds(RefundReportArgs),
}

#[derive(Debug, Args)]
pub struct RefundReportArgs {
    /// First day (UTC), e.g. 2026-11-01.
    #[arg(long)]
    from: NaiveDate,
    /// Day after the last (UTC), e.g. 2026-12-01.
    #[arg(long)]
    to: NaiveDate,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

pub async fn run(global: &Global, command: ReportCommand) -> anyhow::Result<ExitCode> {
    let ReportCommand::Refunds(args) = command;
    if args.to <= args.from {
        bail!("--to must be after --from");
    }
    let (_, billing) = global.open().await?;
    let filter = RefundFilter {
        from: Some(day_start(args.from)),
        to: Some(day_start(args.to)),
        limit: 1000,
        ..RefundFilter::default()
    };
    let refunds = billing.refunds(&Caller::Operator, filter).await?;
    let mut totals: BTreeMap<(String, String, String), (usize, Money)> = BTreeMap::new();
    for r in &refunds {
        let key =
            (r.amount.currency().code().to_owned(), r.status.as_str().to_owned(), r.destination.as_str().to_owned());
        let entry = totals.entry(key).or_insert((0, Money::zero(r.amount.currency())));
        entry.0 += 1;
        entry.1 = entry.1.checked_add(r.amount)?;
    }
    let rows: Vec<Vec<String>> = totals
        .iter()
        .map(|((currency, status, to), (count, sum))| {
            vec![currency.clone(), status.clone(), to.clone(), count.to_string(), sum.to_string()]
        })
        .collect();
    let header = ["CURRENCY", "STATUS", "DESTINATION", "REFUNDS", "AMOUNT"];
    match args.format {
        Format::Table => output::table(&header, &rows)?,
        Format::Csv => {
            println!("{}", header.map(str::to_ascii_lowercase).join(","));
            for row in &rows {
                println!("{}", row.join(","));
            }
        }
        Format::Json => {
            let items: Vec<_> = totals
                .iter()
                .map(|((currency, status, to), (count, sum))| {
                    json!({"currency": currency, "status": status, "destination": to, "refunds": count, "amount": sum.to_string()})
                })
                .collect();
            output::json(&json!({"from": args.from.to_string(), "to": args.to.to_string(), "totals": items}))?;
        }
    }
    if refunds.len() == 1000 {
        eprintln!("note: the report stops at 1000 refunds; narrow the period");
    }
    Ok(ExitCode::SUCCESS)
}
