//! `spark-billing report usage` and `report orders`: one row per day and
//! workspace, or per order, with the columns of the console's CSV
//! downloads ([`billing_app::exports`]). Rows are read a page at a time, from
//! the database or from a server; CSV and JSON lines are written as the
//! pages arrive, a table once every row is in.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use billing_app::Caller;
use billing_app::bills::{UsageCursor, UsageQuery};
use billing_app::exports::{ORDER_COLUMNS, USAGE_COLUMNS, order_row, usage_row};
use billing_domain::ids::{AccountId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::config::Global;
use crate::output;
use crate::remote::Remote;

/// Rows read per request.
const PAGE: i64 = 100;

/// How a report is printed.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RowFormat {
    /// Aligned columns.
    Table,
    /// Comma-separated values with a header line.
    Csv,
}

#[derive(Debug, Args)]
pub struct UsageReportArgs {
    /// First day, in the account's billing zone, e.g. 2026-03-01.
    #[arg(long)]
    from: NaiveDate,
    /// Day after the last, e.g. 2026-04-01 (at most 366 days after --from).
    #[arg(long)]
    to: NaiveDate,
    /// Only this workspace.
    #[arg(long, value_name = "WORKSPACE_ID")]
    workspace: Option<WorkspaceId>,
    /// Whose usage: required without --server; a customer key reads its own.
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<AccountId>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RowFormat::Table)]
    format: RowFormat,
}

#[derive(Debug, Args)]
pub struct OrderReportArgs {
    /// Only this account's orders (every account's without, for operators).
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<AccountId>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RowFormat::Table)]
    format: RowFormat,
}

/// Where rows go: a CSV writer fed page by page, or a table printed at the
/// end.
enum Sink {
    Csv(Box<csv::Writer<std::io::Stdout>>),
    Table(&'static [&'static str], Vec<Vec<String>>),
}

impl Sink {
    fn new(format: RowFormat, columns: &'static [&'static str]) -> anyhow::Result<Sink> {
        Ok(match format {
            RowFormat::Csv => {
                let mut writer = Box::new(csv::Writer::from_writer(std::io::stdout()));
                writer.write_record(columns)?;
                Sink::Csv(writer)
            }
            RowFormat::Table => Sink::Table(columns, Vec::new()),
        })
    }

    fn rows(&mut self, rows: impl IntoIterator<Item = Vec<String>>) -> anyhow::Result<()> {
        match self {
            Sink::Csv(writer) => {
                for row in rows {
                    writer.write_record(&row)?;
                }
                writer.flush()?;
            }
            Sink::Table(_, kept) => kept.extend(rows),
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Csv(mut writer) => writer.flush()?,
            Sink::Table(columns, rows) => {
                let header: Vec<String> = columns.iter().map(|c| c.to_ascii_uppercase()).collect();
                output::table(&header.iter().map(String::as_str).collect::<Vec<_>>(), &rows)?;
            }
        }
        std::io::stdout().flush()?;
        Ok(())
    }
}

pub async fn usage(global: &Global, args: UsageReportArgs) -> anyhow::Result<ExitCode> {
    if args.to <= args.from {
        bail!("--to must be after --from");
    }
    let mut sink = Sink::new(args.format, &USAGE_COLUMNS)?;
    let mut after: Option<String> = None;
    if let Some(remote) = Remote::from_global(global)? {
        let mut query = vec![("from", args.from.to_string()), ("to", args.to.to_string())];
        query.extend(args.workspace.clone().map(|w| ("workspace_id", w.into_string())));
        query.extend(args.account.clone().map(|a| ("account_id", a.into_string())));
        loop {
            let page = remote.usage_days(&query, after.as_deref(), PAGE).await?;
            after = page.last().map(|r| r.id.clone());
            sink.rows(page.iter().map(|r| {
                vec![
                    r.date.clone(),
                    r.workspace_id.clone(),
                    r.workspace_name.clone(),
                    r.usage_cu_hours.clone(),
                    r.quota_cu_hours.clone(),
                    r.plan_cu_hours.clone(),
                    r.pay_as_you_go_cu_hours.clone(),
                    r.charge_minor.to_string(),
                    r.currency.clone(),
                ]
            }))?;
            if page.len() < PAGE as usize {
                break;
            }
        }
    } else {
        let Some(account) = args.account.clone() else { bail!("--account is required without --server") };
        let (_, billing) = global.open().await?;
        loop {
            let query = UsageQuery {
                account_id: Some(account.clone()),
                from: args.from,
                to: args.to,
                workspace_id: args.workspace.clone(),
                starting_after: after.as_deref().map(UsageCursor::parse).transpose()?,
                limit: PAGE,
            };
            let page = billing.metering().usage_days(&Caller::Operator, query).await?;
            after = page.rows.last().map(|r| r.cursor());
            sink.rows(page.rows.iter().map(usage_row))?;
            if page.rows.len() < PAGE as usize {
                break;
            }
        }
    }
    sink.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// A decimal amount of an order from the server, in minor units.
fn minor(currency: &str, amount: &str, order: &str) -> anyhow::Result<String> {
    let currency: Currency = currency.parse().with_context(|| format!("order {order}: currency"))?;
    Ok(Money::parse(currency, amount).with_context(|| format!("order {order}: amount {amount:?}"))?.minor().to_string())
}

pub async fn orders(global: &Global, args: OrderReportArgs) -> anyhow::Result<ExitCode> {
    let mut sink = Sink::new(args.format, &ORDER_COLUMNS)?;
    let mut after: Option<String> = None;
    if let Some(remote) = Remote::from_global(global)? {
        loop {
            let page = remote.orders(args.account.as_deref(), after.as_deref(), PAGE).await?;
            after = page.last().map(|o| o.id.to_string());
            let mut rows = Vec::with_capacity(page.len());
            for o in &page {
                let amount = |text: &str| minor(&o.currency, text, &o.id);
                rows.push(vec![
                    o.id.clone(),
                    o.created_at.clone(),
                    o.instance_id.clone(),
                    o.kind.clone(),
                    o.status.clone(),
                    o.months.to_string(),
                    amount(&o.list_price)?,
                    amount(&o.discount)?,
                    amount(&o.coupon)?,
                    amount(&o.voucher)?,
                    amount(&o.cash_due)?,
                    o.currency.clone(),
                    o.paid_at.clone().unwrap_or_default(),
                ]);
            }
            sink.rows(rows)?;
            if page.len() < PAGE as usize {
                break;
            }
        }
    } else {
        let (_, billing) = global.open().await?;
        let zone = billing.metering().billing_zone_of(&Caller::Operator, args.account.as_ref()).await?;
        loop {
            let page = billing
                .metering()
                .account_orders(&Caller::Operator, args.account.as_ref(), after.as_deref(), PAGE)
                .await?;
            after = page.last().map(|o| o.id.to_string());
            sink.rows(page.iter().map(|o| order_row(o, zone)))?;
            if page.len() < PAGE as usize {
                break;
            }
        }
    }
    sink.finish()?;
    Ok(ExitCode::SUCCESS)
}
