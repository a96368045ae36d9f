//! The world an import runs in — accounts with money, hybrid and
//! pay-as-you-go workspaces, quotas on some workspaces, resource plans on
//! some accounts — and the CSV of their hourly usage.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use billing_app::catalog::plan_list_price;
use billing_app::model::BillingMethod;
use billing_app::purchase::{PlanPurchase, QuotaPurchase, TenderInput};
use billing_app::{Billing, Caller};
use billing_domain::catalog::{Region, quota_list_price};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use tokio::task::JoinSet;

/// Workspaces per account: two hybrid (the first with a quota on every
/// second account), three pay-as-you-go.
const WORKSPACES_PER_ACCOUNT: usize = 5;
/// Accounts seeded at once.
const SEED_CONCURRENCY: usize = 8;
/// Records, in thousandths, that share their workspace-hour with the
/// record before them.
const SHARED_HOUR_PER_MILLE: u64 = 20;
/// Records, in thousandths, sent twice (an exact repeat).
const REPEAT_PER_MILLE: u64 = 1;
/// Most CU-hours of one record, in milli-CU-hours.
const MAX_RECORD_MILLI: u64 = 60_000;

/// The first hour of usage; quotas and plans are bought half an hour before.
pub const START: DateTime<Utc> = DateTime::from_timestamp_nanos(1_767_571_200_000_000_000); // 2026-01-05T00:00Z

/// The seeded workspaces, in account order.
pub struct World {
    /// Workspace ids.
    pub workspaces: Vec<String>,
}

/// Seeds `workspaces` workspaces over `workspaces / 5` accounts.
pub async fn seed(billing: &Billing, workspaces: usize) -> anyhow::Result<World> {
    let accounts = workspaces / WORKSPACES_PER_ACCOUNT;
    let mut ids: Vec<Vec<String>> = vec![Vec::new(); accounts];
    let mut next = 0;
    let mut running = JoinSet::new();
    while next < accounts || !running.is_empty() {
        while next < accounts && running.len() < SEED_CONCURRENCY {
            let billing = billing.clone();
            let index = next;
            running.spawn(async move { (index, seed_account(&billing, index).await) });
            next += 1;
        }
        if let Some(done) = running.join_next().await {
            let (index, result) = done?;
            ids[index] = result.with_context(|| format!("seeding account {index}"))?;
        }
    }
    Ok(World { workspaces: ids.into_iter().flatten().collect() })
}

fn usd(minor: i64) -> Money {
    Money::from_minor(Currency::Usd, minor)
}

fn balance(amount: Money) -> TenderInput {
    TenderInput { method: PaymentMethodKind::Balance, payment_method_id: None, amount }
}

async fn seed_account(billing: &Billing, index: usize) -> anyhow::Result<Vec<String>> {
    let operator = Caller::Operator;
    let account = billing.accounts().create_account(&operator, &format!("bench {index:05}"), Currency::Usd).await?;
    billing.purchases().record_transfer(&operator, &account.id, usd(100_000_000)).await?;
    let caller = Caller::Customer(account.id.clone());
    let sg = Region::singapore();
    let mut workspaces = Vec::with_capacity(WORKSPACES_PER_ACCOUNT);
    for n in 0..WORKSPACES_PER_ACCOUNT {
        let method = if n < 2 { BillingMethod::Hybrid } else { BillingMethod::PayAsYouGo };
        let ws = billing.accounts().create_workspace(&caller, &account.id, &sg.id, &format!("ws{n}"), method).await?;
        workspaces.push(ws.id.into_string());
    }
    if index.is_multiple_of(2) {
        let cu = 25 * (1 + (index as u32 / 2) % 4);
        let price = quota_list_price(&sg, cu, 1)?;
        let request = QuotaPurchase {
            account_id: account.id.clone(),
            workspace_id: billing_domain::ids::WorkspaceId::trusted(workspaces[0].clone()),
            cu,
            months: 1,
            benefit_ids: Vec::new(),
            tenders: Some(vec![balance(price)]),
            auto_renew: false,
        };
        billing.purchases().buy_quota(&caller, &request).await?;
    }
    if index.is_multiple_of(3) {
        for (cu_hours, months) in [(20_000, 3), (5_000, 1)] {
            let capacity = CuHours::from_whole(cu_hours);
            let price = plan_list_price(&sg, capacity)?;
            let request = PlanPurchase {
                account_id: account.id.clone(),
                region_id: sg.id.clone(),
                capacity,
                months,
                benefit_ids: Vec::new(),
                tenders: Some(vec![balance(price)]),
            };
            billing.purchases().buy_plan(&caller, &request).await?;
        }
    }
    Ok(workspaces)
}

/// SplitMix64: a small deterministic generator, so every run imports the
/// same shape of data.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn per_mille(&mut self, n: u64) -> bool {
        self.next() % 1000 < n
    }
}

/// The order records are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordOrder {
    /// Hour by hour, every workspace in each hour: a metering feed.
    Hour,
    /// Workspace by workspace, every hour of each: a per-workspace export.
    Workspace,
}

/// Writes `records` usage records from [`START`] on, one per workspace and
/// hour for the most part, in `order`; returns the hours covered.
pub fn write_csv(path: &Path, world: &World, records: usize, order: RecordOrder) -> anyhow::Result<i64> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "record_id,workspace_id,hour_start,cu_hours")?;
    let workspaces = world.workspaces.len();
    let hours = records.div_ceil(workspaces);
    let mut rng = SplitMix(0x5EED);
    let mut last = String::new();
    let (mut written, mut cell) = (0, 0);
    while written < records {
        if !last.is_empty() && rng.per_mille(REPEAT_PER_MILLE) {
            out.write_all(last.as_bytes())?;
            written += 1;
            continue;
        }
        // A shared hour repeats the workspace-hour of the record before.
        let shares_hour = cell > 0 && rng.per_mille(SHARED_HOUR_PER_MILLE);
        let at = if shares_hour { cell - 1 } else { cell };
        let (hour, ws) = match order {
            RecordOrder::Hour => (at / workspaces, at % workspaces),
            RecordOrder::Workspace => (at % hours, (at / hours) % workspaces),
        };
        let hour_text = (START + Duration::hours(hour as i64)).to_rfc3339_opts(SecondsFormat::Secs, true);
        let milli = 1 + rng.next() % MAX_RECORD_MILLI;
        // Ids sort the way the file does, as a feed's or an export's would.
        let id = match order {
            RecordOrder::Hour => format!("h{hour:05}-w{ws:05}-{written}"),
            RecordOrder::Workspace => format!("w{ws:05}-h{hour:05}-{written}"),
        };
        last = format!("{id},{},{hour_text},{}.{:03}\n", world.workspaces[ws], milli / 1000, milli % 1000);
        out.write_all(last.as_bytes())?;
        written += 1;
        if !shares_hour {
            cell += 1;
        }
    }
    out.flush()?;
    Ok(hours as i64 + 1)
}
