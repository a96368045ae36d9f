//! `spark-billing report refunds --from --to`: refunds created in a period,
//! totalled per currency, status and destination; `report usage` and
//! `report orders` are in [`crate::bills_report`].

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, bail};
use billing_api::dto::RefundDto;
use billing_app::Caller;
use billing_app::unsubscription::records::{RefundFilter, RefundStatus};
use billing_app::views::RefundView;
use billing_domain::money::{Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::config::Global;
use crate::output;
use crate::refunds::Format;
use crate::remote::Remote;

/// Most refunds the server lists per request.
const SERVER_PAGE: i64 = 100;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Refunds created from --from (inclusive) to --to (exclusive), with
    /// totals per currency, status and destination.
    Refunds(RefundReportArgs),
    /// Usage per day (in the account's billing zone) and workspace: CU-hours
    /// covered by the quota, drawn from plans and billed pay-as-you-go, and
    /// the charge in minor units.
    Usage(crate::bills_report::UsageReportArgs),
    /// Orders newest first, one row each, amounts in minor units.
    Orders(crate::bills_report::OrderReportArgs),
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

/// Pages of one status read at most, newest first.
const MAX_SERVER_PAGES: usize = 100;

/// The refunds of `status` created in `[from, to)`, read from the server page
/// by page, and whether the pages reached back to `from`.
async fn status_refunds(
    remote: &Remote,
    status: RefundStatus,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<(Vec<RefundDto>, bool)> {
    let created = |r: &RefundDto| {
        DateTime::parse_from_rfc3339(&r.created_at)
            .map(|t| t.to_utc())
            .with_context(|| format!("refund {}: bad created_at", r.id))
    };
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_SERVER_PAGES {
        let page = remote.refunds(Some(status.as_str()), None, after.as_deref(), SERVER_PAGE).await?;
        let full = page.len() == SERVER_PAGE as usize;
        after = page.last().map(|r| r.id.clone());
        let mut reached = !full;
        for r in page {
            let at = created(&r)?;
            reached |= at < from;
            if from <= at && at < to {
                found.push(r);
            }
        }
        if reached {
            return Ok((found, true));
        }
    }
    Ok((found, false))
}

pub async fn run(global: &Global, command: ReportCommand) -> anyhow::Result<ExitCode> {
    let args = match command {
        ReportCommand::Refunds(args) => args,
        ReportCommand::Usage(args) => return crate::bills_report::usage(global, args).await,
        ReportCommand::Orders(args) => return crate::bills_report::orders(global, args).await,
    };
    if args.to <= args.from {
        bail!("--to must be after --from");
    }
    let (from, to) = (day_start(args.from), day_start(args.to));
    let (refunds, complete) = match Remote::from_global(global)? {
        Some(remote) => {
            // The server lists each status's refunds newest first, without
            // a period filter: read pages back to the period's start.
            let mut refunds = Vec::new();
            let mut complete = true;
            for status in RefundStatus::ALL {
                let (mut page_refunds, reached) = status_refunds(&remote, status, from, to).await?;
                refunds.append(&mut page_refunds);
                complete &= reached;
            }
            (refunds, complete)
        }
        None => {
            let (_, billing) = global.open().await?;
            let mut refunds = Vec::new();
            loop {
                let starting_after = refunds.last().map(|r: &RefundDto| r.id.clone());
                let filter = RefundFilter {
                    from: Some(from),
                    to: Some(to),
                    limit: 1000,
                    starting_after,
                    ..RefundFilter::default()
                };
                let page = billing.unsubscriptions().refunds(&Caller::Operator, filter).await?;
                let last_page = page.len() < 1000;
                refunds.extend(page.iter().map(RefundView::from).map(RefundDto::from));
                if last_page {
                    break;
                }
            }
            (refunds, true)
        }
    };
    let mut totals: BTreeMap<(String, String, String), (usize, Money)> = BTreeMap::new();
    for r in &refunds {
        let currency: Currency = r.currency.parse().with_context(|| format!("refund {}", r.id))?;
        let amount = Money::parse(currency, &r.amount).with_context(|| format!("refund {}", r.id))?;
        let key = (r.currency.clone(), r.status.clone(), r.to.clone());
        let entry = totals.entry(key).or_insert((0, Money::zero(currency)));
        entry.0 += 1;
        entry.1 = entry.1.checked_add(amount)?;
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
    if !complete {
        let most = MAX_SERVER_PAGES * SERVER_PAGE as usize;
        eprintln!(
            "note: the report read the newest {most} refunds of each status from the server; older ones are left out"
        );
    }
    Ok(ExitCode::SUCCESS)
}
