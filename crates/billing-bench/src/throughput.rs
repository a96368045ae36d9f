//! `billing-bench purchase` and `billing-bench confirm`: N clients, each on
//! its own account, run one use case back to back for a fixed time; on
//! PostgreSQL pgbench's `tpcb-like` runs against the same server after each
//! repetition, so both figures come from the same minutes.
//!
//! Everything a measured call consumes (a workspace without a quota to buy
//! one for, or a quota with a stored quote to confirm) is prepared before the
//! clock starts, sized from a short warm-up so no client runs dry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use billing_app::clock::SystemClock;
use billing_app::model::BillingMethod;
use billing_app::purchase::{QuotaPurchase, TenderInput};
use billing_app::unsubscription::Confirmation;
use billing_app::{Billing, Caller};
use billing_domain::catalog::{Region, quota_list_price};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_store::{SqlStore, StoreOptions};
use tokio::task::JoinSet;

use crate::LoadArgs;
use crate::database::{BackendKind, Scratch};
use crate::pgbench::PgBench;
use crate::report::{list, median, ratio};

/// The use case measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `Billing::buy_quota`, paid with one balance tender.
    Purchase,
    /// `Billing::confirm_unsubscription` of a quota (its workspace is deleted).
    Confirm,
}

/// CUs of every quota bought.
const QUOTA_CU: u32 = 25;
/// Longest warm-up, which also sizes the prepared work.
const WARM_UP: Duration = Duration::from_secs(3);
/// Calls prepared per client for the warm-up.
const WARM_UP_ITEMS: usize = 40;
/// Headroom over the expected calls per repetition.
const HEADROOM_PERCENT: usize = 150;

/// One client: its account and what it will consume.
struct Client {
    account_id: String,
    caller: Caller,
}

/// A unit of prepared work: a workspace to buy a quota for, or a quote to
/// confirm with the name of the workspace it deletes.
enum Item {
    Workspace(String),
    Quote { quote_id: String, workspace_name: String },
}

/// What one repetition measured.
struct Measured {
    tps: f64,
    errors: usize,
    ran_dry: bool,
}

pub async fn run(workload: Workload, args: LoadArgs) -> anyhow::Result<()> {
    let tag = if workload == Workload::Purchase { "purchase" } else { "confirm" };
    println!(
        "{tag}: {} clients, {} s per repetition, {} repetitions, backend {:?}",
        args.clients, args.seconds, args.repetitions, args.backend
    );
    let scratch = Scratch::create(args.backend, tag).await?;
    let result = run_on(workload, &args, &scratch.url).await;
    scratch.remove().await?;
    result
}

async fn run_on(workload: Workload, args: &LoadArgs, url: &str) -> anyhow::Result<()> {
    let options = StoreOptions { max_connections: args.clients as u32 + 1, ..StoreOptions::default() };
    let store = Arc::new(SqlStore::connect(url, options).await?);
    let billing = Billing::new(store.clone(), Arc::new(SystemClock));
    billing.ensure_catalog().await?;
    let pgbench = match args.backend {
        BackendKind::Postgres => Some(PgBench::init().await?),
        BackendKind::Sqlite => None,
    };
    let result = repetitions(workload, args, &billing, pgbench.as_ref()).await;
    store.pool().close().await;
    if let Some(pgbench) = pgbench {
        pgbench.remove().await?;
    }
    result
}

async fn repetitions(
    workload: Workload,
    args: &LoadArgs,
    billing: &Billing,
    pgbench: Option<&PgBench>,
) -> anyhow::Result<()> {
    let clients = Arc::new(seed_clients(billing, args.clients).await?);
    let items = prepare(workload, billing, &clients, WARM_UP_ITEMS).await?;
    let warm = measure(workload, billing, &clients, items, WARM_UP).await?;
    println!("  warm-up: {:.0} TPS", warm.tps);
    let mut expected_tps = warm.tps;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for rep in 1..=args.repetitions.max(1) {
        let per_client = (expected_tps * args.seconds as f64 / args.clients as f64).ceil() as usize;
        let items = prepare(workload, billing, &clients, per_client * HEADROOM_PERCENT / 100 + 10).await?;
        let m = measure(workload, billing, &clients, items, Duration::from_secs(args.seconds)).await?;
        expected_tps = expected_tps.max(m.tps);
        let mut line = format!("  rep {rep}: {:.0} TPS", m.tps);
        if m.errors > 0 {
            line.push_str(&format!(" ({} calls failed)", m.errors));
        }
        if m.ran_dry {
            line.push_str(" (a client ran out of prepared work: the figure is low)");
        }
        if let Some(pgbench) = pgbench {
            let tps = pgbench.tpcb_like(args.clients, args.pgbench_threads, args.seconds).await?;
            line.push_str(&format!(", pgbench tpcb-like {tps:.0} TPS, ratio {:.2}", ratio(m.tps, tps)));
            theirs.push(tps);
        }
        println!("{line}");
        ours.push(m.tps);
    }
    println!("ours:      median {:.0} TPS {}", median(&ours), list(&ours));
    if pgbench.is_some() {
        let ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(a, b)| ratio(*a, *b)).collect();
        println!("pgbench:   median {:.0} TPS {}", median(&theirs), list(&theirs));
        println!("ratio:     median {:.2} (ours / pgbench tpcb-like, per repetition)", median(&ratios));
    }
    Ok(())
}

fn usd(minor: i64) -> Money {
    Money::from_minor(Currency::Usd, minor)
}

/// One account per client, with money for every purchase it will make.
async fn seed_clients(billing: &Billing, n: usize) -> anyhow::Result<Vec<Client>> {
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        let account = billing.create_account(&Caller::Operator, &format!("client {i:03}"), Currency::Usd).await?;
        let top_up = usd(1_000_000_000_000);
        billing.top_up(&Caller::Operator, &account.id, top_up, PaymentMethodKind::BankTransfer).await?;
        clients.push(Client { caller: Caller::Customer(account.id.clone()), account_id: account.id });
    }
    Ok(clients)
}

fn quota_request(client: &Client, workspace_id: &str) -> anyhow::Result<QuotaPurchase> {
    let price = quota_list_price(&Region::singapore(), QUOTA_CU, 1)?;
    Ok(QuotaPurchase {
        account_id: client.account_id.clone(),
        workspace_id: workspace_id.to_owned(),
        cu: QUOTA_CU,
        months: 1,
        benefit_ids: Vec::new(),
        tenders: Some(vec![TenderInput { method: PaymentMethodKind::Balance, payment_method_id: None, amount: price }]),
        auto_renew: false,
    })
}

/// Prepares `per_client` items for every client, the clients in parallel.
async fn prepare(
    workload: Workload,
    billing: &Billing,
    clients: &Arc<Vec<Client>>,
    per_client: usize,
) -> anyhow::Result<Vec<Vec<Item>>> {
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for index in 0..clients.len() {
        let (billing, clients) = (billing.clone(), clients.clone());
        tasks.spawn(async move {
            let client = &clients[index];
            let mut items = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                items.push(prepare_one(workload, &billing, client).await?);
            }
            anyhow::Ok((index, items))
        });
    }
    let mut out: Vec<Vec<Item>> = (0..clients.len()).map(|_| Vec::new()).collect();
    while let Some(done) = tasks.join_next().await {
        let (index, items) = done??;
        out[index] = items;
    }
    eprintln!("  prepared {} items in {:.1} s", per_client * clients.len(), started.elapsed().as_secs_f64());
    Ok(out)
}

async fn prepare_one(workload: Workload, billing: &Billing, client: &Client) -> anyhow::Result<Item> {
    let name = format!("w{}", billing_app::ids::new_id("b"));
    let sg = Region::singapore();
    let ws = billing.create_workspace(&client.caller, &client.account_id, &sg.id, &name, BillingMethod::Hybrid).await?;
    if workload == Workload::Purchase {
        return Ok(Item::Workspace(ws.id));
    }
    let bought = billing.buy_quota(&client.caller, &quota_request(client, &ws.id)?).await?;
    let quote = billing.quote_unsubscription(&client.caller, &bought.instance.id, None).await?;
    anyhow::ensure!(quote.quote.eligible(), "the quote of a fresh quota is not eligible");
    Ok(Item::Quote { quote_id: quote.stored.id, workspace_name: ws.name })
}

/// Runs every client back to back on its items until `duration` has passed.
async fn measure(
    workload: Workload,
    billing: &Billing,
    clients: &Arc<Vec<Client>>,
    items: Vec<Vec<Item>>,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for (index, items) in items.into_iter().enumerate() {
        let (billing, clients) = (billing.clone(), clients.clone());
        tasks.spawn(async move { client_loop(workload, &billing, &clients[index], items, deadline).await });
    }
    let (mut done, mut errors, mut ran_dry) = (0, 0, false);
    while let Some(result) = tasks.join_next().await {
        let (d, e, dry) = result.context("a client panicked")?;
        (done, errors, ran_dry) = (done + d, errors + e, ran_dry || dry);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Measured { tps: done as f64 / elapsed, errors, ran_dry })
}

/// One client's calls: `(succeeded, failed, ran dry)`.
async fn client_loop(
    workload: Workload,
    billing: &Billing,
    client: &Client,
    items: Vec<Item>,
    deadline: Instant,
) -> (usize, usize, bool) {
    let (mut done, mut errors) = (0, 0);
    let mut items = items.into_iter();
    while Instant::now() < deadline {
        let Some(item) = items.next() else { return (done, errors, true) };
        match call(workload, billing, client, item).await {
            Ok(()) => done += 1,
            Err(e) => {
                if errors == 0 {
                    eprintln!("  {} call failed: {e:#}", client.account_id);
                }
                errors += 1;
            }
        }
    }
    (done, errors, false)
}

async fn call(workload: Workload, billing: &Billing, client: &Client, item: Item) -> anyhow::Result<()> {
    match (workload, item) {
        (Workload::Purchase, Item::Workspace(workspace_id)) => {
            billing.buy_quota(&client.caller, &quota_request(client, &workspace_id)?).await?;
        }
        (Workload::Confirm, Item::Quote { quote_id, workspace_name }) => {
            let confirmation = Confirmation {
                idempotency_key: format!("bench-{quote_id}"),
                quote_id,
                confirm_workspace_deletion: Some(workspace_name),
            };
            billing.confirm_unsubscription(&client.caller, &confirmation).await?;
        }
        _ => anyhow::bail!("an item prepared for another workload"),
    }
    Ok(())
}
