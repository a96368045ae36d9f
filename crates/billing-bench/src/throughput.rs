//! `billing-bench purchase` and `billing-bench confirm`: N concurrent
//! clients run one use case back to back for a fixed time; on PostgreSQL
//! pgbench's `tpcb-like` runs against the same server after each repetition,
//! so both figures come from the same minutes.
//!
//! Everything a measured call consumes (a workspace without a quota to buy
//! one for, or a quota with a stored quote to confirm) is prepared before the
//! clock starts, sized from a short warm-up, and dealt round-robin over N
//! accounts; the clients take the next item from one shared queue, so a
//! client the database happens to favour cannot run dry before the others.
//!
//! Purchases pay as customers do: with a card each account registered
//! through the simulated payment channel, so every purchase writes its
//! charge, is captured in the channel's log and is then completed (or, with
//! `--pay-with balance`, from the balance in one transaction). A purchase
//! counts only when it answers paid, and the run is refused unless the
//! channel captured each card purchase once and the ledger balances.

mod check;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use billing_app::clock::SystemClock;
use billing_app::model::{BillingMethod, InstanceState};
use billing_app::purchase::{QuotaPurchase, TenderInput};
use billing_app::unsubscription::Confirmation;
use billing_app::{AppError, AppResult, Billing, Caller};
use billing_domain::catalog::{Region, quota_list_price};
use billing_domain::ids::{AccountId, PaymentMethodId, QuoteId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::{OrderStatus, PaymentMethodKind};
use billing_store::{Backend, SimulatedChannel, SimulatedChannelSettings, SqlStore, StoreOptions};
use tokio::task::JoinSet;

use crate::LoadArgs;
use crate::database::{BackendKind, Scratch};
use crate::pgbench::PgBench;
use crate::report::{list, median, ratio};

/// The use case measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// `billing_app::purchase::Purchases::buy_quota`, paid with one tender.
    Purchase(PayWith),
    /// `billing_app::unsubscription::Unsubscriptions::confirm_unsubscription` of a quota (its workspace is deleted).
    Confirm,
}

/// How the measured purchases pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PayWith {
    /// A card registered through the simulated channel, charged per purchase.
    Card,
    /// The account's balance.
    Balance,
}

/// The simulated channel's test card that is always captured.
const TEST_CARD: &str = "4242424242424242";

/// CUs of every quota bought.
const QUOTA_CU: u32 = 25;
/// Longest warm-up, which also sizes the prepared work.
const WARM_UP: Duration = Duration::from_secs(3);
/// Calls prepared per client for the warm-up.
const WARM_UP_ITEMS: usize = 40;
/// Tasks preparing work at once on PostgreSQL.
const PREPARERS: usize = 8;
/// Most prepared items per account: creating a workspace lists the
/// account's workspaces, so thousands on one account would slow preparing.
const ITEMS_PER_ACCOUNT: usize = 50;
/// Times a preparing call is repeated while the store is busy.
const MAX_BUSY_RETRIES: u32 = 20;
/// Headroom over the expected calls per repetition.
const HEADROOM_PERCENT: usize = 200;

/// An account the calls act for, as its customer.
struct Client {
    account_id: AccountId,
    caller: Caller,
    /// The card registered through the channel, when purchases pay by card.
    card: Option<PaymentMethodId>,
}

/// A unit of prepared work for one client's account: a workspace to buy a
/// quota for, or a quote to confirm with the name of the workspace it deletes.
struct Item {
    client: usize,
    work: Work,
}

enum Work {
    Workspace(WorkspaceId),
    Quote { quote_id: QuoteId, workspace_name: String },
}

/// What one repetition measured.
struct Measured {
    tps: f64,
    done: usize,
    errors: usize,
    ran_dry: bool,
}

pub async fn run(workload: Workload, args: LoadArgs) -> anyhow::Result<()> {
    let tag = match workload {
        Workload::Purchase(PayWith::Card) => "purchase (by card through the channel)",
        Workload::Purchase(PayWith::Balance) => "purchase (from the balance)",
        Workload::Confirm => "confirm",
    };
    let pool = pool_size(&args);
    println!(
        "{tag}: {} clients over {pool} pooled connections, {} s per repetition, {} repetitions, backend {:?}",
        args.clients, args.seconds, args.repetitions, args.backend
    );
    let scratch =
        Scratch::create(args.backend, if workload == Workload::Confirm { "confirm" } else { "purchase" }).await?;
    let result = run_on(workload, &args, &scratch.url).await;
    scratch.remove().await?;
    result
}

/// The pool the service is measured with: as given, else the store's
/// default for the backend, as `spark-billing serve` runs.
fn pool_size(args: &LoadArgs) -> u32 {
    args.pool.unwrap_or(match args.backend {
        BackendKind::Sqlite => Backend::Sqlite.default_connections(),
        BackendKind::Postgres => Backend::Postgres.default_connections(),
    })
}

async fn run_on(workload: Workload, args: &LoadArgs, url: &str) -> anyhow::Result<()> {
    let options = StoreOptions { max_connections: Some(pool_size(args)), ..StoreOptions::default() };
    let store = Arc::new(SqlStore::connect(url, options).await?);
    // Charges are captured at once and never declined (the defaults).
    let channel = Arc::new(SimulatedChannel::new(&store, SimulatedChannelSettings::default()));
    let billing = Billing::new(store.clone(), Arc::new(SystemClock)).with_channel(channel.clone());
    billing.operations().ensure_catalog().await?;
    let pgbench = match args.backend {
        BackendKind::Postgres => Some(PgBench::init().await?),
        BackendKind::Sqlite => None,
    };
    let result = match repetitions(workload, args, &billing, pgbench.as_ref()).await {
        Ok(succeeded) => check::measured_work_is_real(workload, &billing, &store, &channel, succeeded).await,
        Err(e) => Err(e),
    };
    store.close().await;
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
) -> anyhow::Result<usize> {
    let preparers = match args.backend {
        // SQLite has one writer: more preparers only queue for it.
        BackendKind::Sqlite => 1,
        BackendKind::Postgres => PREPARERS,
    };
    let work = prepare(workload, billing, args.clients, WARM_UP_ITEMS * args.clients, preparers).await?;
    let warm = measure(workload, billing, args.clients, work, WARM_UP).await?;
    println!("  warm-up: {:.0} TPS", warm.tps);
    let mut succeeded = warm.done;
    let mut expected_tps = warm.tps;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for rep in 1..=args.repetitions.max(1) {
        let expected = (expected_tps * args.seconds as f64).ceil() as usize;
        let total = expected * HEADROOM_PERCENT / 100 + 100;
        let work = prepare(workload, billing, args.clients, total, preparers).await?;
        let m = measure(workload, billing, args.clients, work, Duration::from_secs(args.seconds)).await?;
        expected_tps = expected_tps.max(m.tps);
        succeeded += m.done;
        let mut line = format!("  rep {rep}: {:.0} TPS", m.tps);
        if m.errors > 0 {
            line.push_str(&format!(" ({} calls failed)", m.errors));
        }
        if m.ran_dry {
            line.push_str(" (the prepared work ran out before the time: the figure is low)");
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
    Ok(succeeded)
}

fn usd(minor: i64) -> Money {
    Money::from_minor(Currency::Usd, minor)
}

/// `n` fresh accounts with money for every purchase they will make (and a
/// card registered through the channel when purchases pay by card).
async fn seed_accounts(billing: &Billing, workload: Workload, n: usize) -> anyhow::Result<Vec<Client>> {
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let name = billing_app::ids::new_id("bench");
        let account = billing.accounts().create_account(&Caller::Operator, &name, Currency::Usd).await?;
        let top_up = usd(10_000_000_000);
        billing.purchases().record_transfer(&Caller::Operator, &account.id, top_up).await?;
        let caller = Caller::Customer(account.id.clone());
        let card = match workload {
            Workload::Purchase(PayWith::Card) => Some(
                billing
                    .accounts()
                    .add_payment_method(&caller, &account.id, PaymentMethodKind::Card, TEST_CARD)
                    .await?
                    .id,
            ),
            _ => None,
        };
        clients.push(Client { caller, account_id: account.id, card });
    }
    Ok(clients)
}

/// A purchase of a quota for `workspace_id`, paid with the client's card
/// when it has one, else from the balance.
fn quota_request(client: &Client, workspace_id: &WorkspaceId) -> anyhow::Result<QuotaPurchase> {
    let price = quota_list_price(&Region::singapore(), QUOTA_CU, 1)?;
    let tender = match &client.card {
        Some(card) => {
            TenderInput { method: PaymentMethodKind::Card, payment_method_id: Some(card.clone()), amount: price }
        }
        None => TenderInput { method: PaymentMethodKind::Balance, payment_method_id: None, amount: price },
    };
    Ok(QuotaPurchase {
        account_id: client.account_id.clone(),
        workspace_id: workspace_id.to_owned(),
        cu: QUOTA_CU,
        months: 1,
        benefit_ids: Vec::new(),
        tenders: Some(vec![tender]),
        auto_renew: false,
    })
}

/// Prepared items and the accounts they belong to.
struct Prepared {
    accounts: Arc<Vec<Client>>,
    items: VecDeque<Item>,
}

/// Prepares `total` items on fresh accounts (at least `clients`, and few
/// enough items per account that its listings stay short), dealt to the
/// accounts in turn, with `preparers` tasks at once.
async fn prepare(
    workload: Workload,
    billing: &Billing,
    clients: usize,
    total: usize,
    preparers: usize,
) -> anyhow::Result<Prepared> {
    let started = Instant::now();
    let accounts = Arc::new(seed_accounts(billing, workload, clients.max(total.div_ceil(ITEMS_PER_ACCOUNT))).await?);
    let mut tasks = JoinSet::new();
    for first in 0..preparers {
        let (billing, accounts) = (billing.clone(), accounts.clone());
        tasks.spawn(async move {
            let mut items = Vec::new();
            for index in (first..total).step_by(preparers) {
                let client = index % accounts.len();
                items.push((index, Item { client, work: prepare_one(workload, &billing, &accounts[client]).await? }));
            }
            anyhow::Ok(items)
        });
    }
    let mut out = Vec::with_capacity(total);
    while let Some(done) = tasks.join_next().await {
        out.extend(done??);
    }
    out.sort_by_key(|(index, _)| *index);
    eprintln!("  prepared {total} items in {:.1} s", started.elapsed().as_secs_f64());
    Ok(Prepared { accounts, items: out.into_iter().map(|(_, item)| item).collect() })
}

async fn prepare_one(workload: Workload, billing: &Billing, client: &Client) -> anyhow::Result<Work> {
    let name = format!("w{}", billing_app::ids::new_id("b"));
    let sg = Region::singapore();
    let caller = &client.caller;
    let ws = when_free(|| {
        billing.accounts().create_workspace(caller, &client.account_id, &sg.id, &name, BillingMethod::Hybrid)
    })
    .await?;
    if workload != Workload::Confirm {
        return Ok(Work::Workspace(ws.id));
    }
    let request = quota_request(client, &ws.id)?;
    let bought = when_free(|| billing.purchases().buy_quota(caller, &request)).await?;
    let quote = when_free(|| billing.unsubscriptions().quote_unsubscription(caller, &bought.instance.id, None)).await?;
    anyhow::ensure!(quote.quote.eligible(), "the quote of a fresh quota is not eligible");
    Ok(Work::Quote { quote_id: quote.stored.id, workspace_name: ws.name })
}

/// Runs `call` again while the store answers busy (SQLite's writers queue
/// for one lock, and preparing runs every client at once).
async fn when_free<T, F, Fut>(mut call: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Err(AppError::Busy) if attempts < MAX_BUSY_RETRIES => attempts += 1,
            other => return other,
        }
    }
}

/// Runs `clients` tasks back to back on the shared items until `duration`
/// has passed.
async fn measure(
    workload: Workload,
    billing: &Billing,
    clients: usize,
    work: Prepared,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let deadline = started + duration;
    let queue = Arc::new(Mutex::new(work.items));
    let mut tasks = JoinSet::new();
    for _ in 0..clients {
        let (billing, accounts, queue) = (billing.clone(), work.accounts.clone(), queue.clone());
        tasks.spawn(async move { client_loop(workload, &billing, &accounts, &queue, deadline).await });
    }
    let (mut done, mut errors, mut ran_dry) = (0, 0, false);
    while let Some(result) = tasks.join_next().await {
        let (d, e, dry) = result.context("a client panicked")?;
        (done, errors, ran_dry) = (done + d, errors + e, ran_dry || dry);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Measured { tps: done as f64 / elapsed, done, errors, ran_dry })
}

/// One client's calls: `(succeeded, failed, ran dry)`.
async fn client_loop(
    workload: Workload,
    billing: &Billing,
    accounts: &[Client],
    queue: &Mutex<VecDeque<Item>>,
    deadline: Instant,
) -> (usize, usize, bool) {
    let (mut done, mut errors) = (0, 0);
    while Instant::now() < deadline {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        let Some(item) = next else { return (done, errors, true) };
        let client = &accounts[item.client];
        match call(workload, billing, client, item.work).await {
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

async fn call(workload: Workload, billing: &Billing, client: &Client, work: Work) -> anyhow::Result<()> {
    match (workload, work) {
        (Workload::Purchase(_), Work::Workspace(workspace_id)) => {
            let bought = billing.purchases().buy_quota(&client.caller, &quota_request(client, &workspace_id)?).await?;
            anyhow::ensure!(
                bought.order.status == OrderStatus::Paid && bought.instance.state == InstanceState::Active,
                "purchase {} answered {} without an active quota",
                bought.order.id,
                bought.order.status.as_str()
            );
        }
        (Workload::Confirm, Work::Quote { quote_id, workspace_name }) => {
            let confirmation = Confirmation {
                idempotency_key: billing_app::ids::new_id("bench"),
                quote_id,
                confirm_workspace_deletion: Some(workspace_name),
            };
            billing.unsubscriptions().confirm_unsubscription(&client.caller, &confirmation).await?;
        }
        _ => anyhow::bail!("an item prepared for another workload"),
    }
    Ok(())
}
