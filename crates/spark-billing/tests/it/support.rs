//! Fresh databases for tests that run the binary as separate processes, and
//! a small world seeded through the library.

use std::process::{Command, Output};
use std::sync::Arc;

use billing_app::clock::SystemClock;
use billing_app::model::BillingMethod;
use billing_app::purchase::TenderInput;
use billing_app::{Billing, Caller};
use billing_domain::ids::{AccountId, PaymentMethodId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_store::{SimulatedChannel, SimulatedChannelSettings, SqlStore, StoreOptions};
use sqlx::Connection;

/// Names a PostgreSQL server (see the store's conformance suite).
pub const POSTGRES_ENV: &str = "SPARK_BILLING_TEST_POSTGRES";

fn unique_name() -> String {
    format!("sb_cli_{}", uuid::Uuid::now_v7().simple())
}

/// URLs of fresh databases on every configured backend.
pub async fn fresh_databases() -> Vec<(&'static str, String)> {
    let dir = std::env::temp_dir().join("spark-billing-cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![("sqlite", format!("sqlite://{}", dir.join(format!("{}.sqlite3", unique_name())).display()))];
    if let Ok(server) = std::env::var(POSTGRES_ENV) {
        let name = unique_name();
        let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&name);
        urls.push(("postgres", url.to_string()));
    }
    urls
}

/// The use cases over `url`, on the system clock like the binary's.
pub async fn open(url: &str) -> (Arc<SqlStore>, Billing) {
    let store = Arc::new(SqlStore::connect(url, StoreOptions::default()).await.unwrap());
    let channel = Arc::new(SimulatedChannel::new(&store, SimulatedChannelSettings::default()));
    let billing = Billing::new(store.clone(), Arc::new(SystemClock)).with_channel(channel);
    billing.operations().ensure_catalog().await.unwrap();
    (store, billing)
}

pub fn usd(text: &str) -> Money {
    Money::parse(Currency::Usd, text).unwrap()
}

/// An account with `balance`, a card and a hybrid Singapore workspace `etl`.
pub struct Customer {
    pub account_id: AccountId,
    pub card_id: PaymentMethodId,
    pub workspace_id: WorkspaceId,
    pub caller: Caller,
}

pub async fn customer(billing: &Billing, name: &str, balance: &str) -> Customer {
    let account = billing.accounts().create_account(&Caller::Operator, name, Currency::Usd).await.unwrap();
    if usd(balance).minor() > 0 {
        billing.purchases().record_transfer(&Caller::Operator, &account.id, usd(balance)).await.unwrap();
    }
    let caller = Caller::Customer(account.id.clone());
    let card = billing
        .accounts()
        .add_payment_method(&caller, &account.id, PaymentMethodKind::Card, "4242424242424242")
        .await
        .unwrap();
    let workspace = billing
        .accounts()
        .create_workspace(&caller, &account.id, "ap-southeast-1", "etl", BillingMethod::Hybrid)
        .await
        .unwrap();
    Customer { account_id: account.id, card_id: card.id, workspace_id: workspace.id, caller }
}

impl Customer {
    pub fn card(&self, amount: &str) -> TenderInput {
        TenderInput {
            method: PaymentMethodKind::Card,
            payment_method_id: Some(self.card_id.clone()),
            amount: usd(amount),
        }
    }
}

/// The binary on `url` with `args`.
pub fn spark_billing(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spark-billing"));
    command.arg("--database-url").arg(url).args(args).env_remove("DATABASE_URL");
    command
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A free port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until a `serve` child prints that it is running (panicking if it
/// exits first or takes over a minute), then keeps draining its output.
pub fn wait_until_running(child: &mut std::process::Child) {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("serve must be spawned with its stdout piped");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        assert!(std::time::Instant::now() < deadline, "the server did not start");
        match lines.next() {
            Some(Ok(line)) if line.contains("is running at") => break,
            Some(Ok(_)) => continue,
            _ => panic!("the server exited before it started"),
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
}
