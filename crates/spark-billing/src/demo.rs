//! The demo world of `serve --demo`, and the operator key of a plain start.
//!
//! The world is built by running the real use cases on a hand-moved clock,
//! starting 200 days back: accounts pay, buy, renew, use and unsubscribe at
//! the moments that give the console something to show — quotas fresh,
//! mid-period, on their last day and with a pending renewal; plans unused,
//! used and past their window; cards old and cancelled; vouchers, coupons
//! and PayPal; hourly usage with plan draws and pay-as-you-go bills.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use billing_app::clock::ManualClock;
use billing_app::model::{BenefitKind, BillingMethod};
use billing_app::purchase::{PlanPurchase, QuotaPurchase, TenderInput};
use billing_app::{Billing, Caller};
use billing_domain::ids::{AccountId, BenefitId, InstanceId, PaymentMethodId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Duration, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::files::{require_private, write_private};

/// The sign-in keys of the demo, as written to `demo-keys.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DemoKeys {
    /// The operator's key.
    pub operator: String,
    /// One key per customer account, by account name.
    pub customers: BTreeMap<String, String>,
}

const OPERATOR: Caller = Caller::Operator;

/// Reads the operator key kept in the data directory, or makes one.
pub async fn ensure_operator_key(billing: &Billing, data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("operator-key");
    require_private(&path, "the operator's API key")?;
    if let Ok(key) = std::fs::read_to_string(&path)
        && billing.accounts().authenticate(key.trim()).await?.is_some()
    {
        return Ok(key.trim().to_owned());
    }
    let (_, key) = billing.accounts().create_api_key(&OPERATOR, None, "operator (first start)").await?;
    write_private(&path, &key)?;
    Ok(key)
}

/// Seeds the demo world unless the database already has accounts, and
/// returns keys that sign in to it.
pub async fn ensure_demo(billing: &Billing, data_dir: &Path) -> anyhow::Result<DemoKeys> {
    let path = data_dir.join("demo-keys.json");
    let existing = billing.accounts().accounts(&OPERATOR).await?;
    if !existing.is_empty() {
        if let Some(keys) = read_keys(billing, &path).await? {
            return Ok(keys);
        }
        return issue_keys(billing, &path, &existing).await;
    }
    let now = billing.now();
    let clock = Arc::new(ManualClock::new(now - Duration::days(200)));
    let past = billing.clone().with_clock(clock.clone());
    let world = Seeder { billing: past, clock, now };
    world.seed().await.context("seeding the demo world failed")?;
    let accounts = billing.accounts().accounts(&OPERATOR).await?;
    issue_keys(billing, &path, &accounts).await
}

async fn read_keys(billing: &Billing, path: &Path) -> anyhow::Result<Option<DemoKeys>> {
    require_private(path, "the demo's API keys")?;
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    let Ok(keys) = serde_json::from_str::<DemoKeys>(&text) else { return Ok(None) };
    Ok(billing.accounts().authenticate(&keys.operator).await?.is_some().then_some(keys))
}

async fn issue_keys(
    billing: &Billing,
    path: &Path,
    accounts: &[billing_app::model::Account],
) -> anyhow::Result<DemoKeys> {
    let (_, operator) = billing.accounts().create_api_key(&OPERATOR, None, "demo operator").await?;
    let mut customers = BTreeMap::new();
    for account in accounts {
        let (_, key) = billing.accounts().create_api_key(&OPERATOR, Some(&account.id), "demo").await?;
        customers.insert(account.name.clone(), key);
    }
    let keys = DemoKeys { operator, customers };
    write_private(path, &serde_json::to_string_pretty(&keys)?)?;
    Ok(keys)
}

fn money(currency: Currency, text: &str) -> Money {
    Money::parse(currency, text).unwrap_or(Money::zero(currency))
}

/// The use cases on a clock the seeder moves.
struct Seeder {
    billing: Billing,
    clock: Arc<ManualClock>,
    now: DateTime<Utc>,
}

/// A seeded customer's handles.
struct Customer {
    id: AccountId,
    caller: Caller,
    currency: Currency,
    card: PaymentMethodId,
    paypal: PaymentMethodId,
}

impl Customer {
    fn tender(&self, method: PaymentMethodKind, amount: &str) -> TenderInput {
        let payment_method_id = match method {
            PaymentMethodKind::Card => Some(self.card.clone()),
            PaymentMethodKind::Paypal => Some(self.paypal.clone()),
            PaymentMethodKind::Balance | PaymentMethodKind::BankTransfer => None,
        };
        TenderInput { method, payment_method_id, amount: money(self.currency, amount) }
    }
}

impl Seeder {
    /// Moves the clock to `days` before the real now.
    fn at_days_ago(&self, days: i64) {
        self.clock.set(self.now - Duration::days(days));
    }

    async fn customer(&self, name: &str, currency: Currency, balance: &str) -> anyhow::Result<Customer> {
        let b = &self.billing;
        let account = b.accounts().create_account(&OPERATOR, name, currency).await?;
        b.purchases().record_transfer(&OPERATOR, &account.id, money(currency, balance)).await?;
        let caller = Caller::Customer(account.id.clone());
        let card = b
            .accounts()
            .add_payment_method(&caller, &account.id, PaymentMethodKind::Card, "4242 4242 4242 4242")
            .await?;
        let paypal = b
            .accounts()
            .add_payment_method(&caller, &account.id, PaymentMethodKind::Paypal, "billing@example.com")
            .await?;
        Ok(Customer { id: account.id, caller, currency, card: card.id, paypal: paypal.id })
    }

    async fn workspace(
        &self,
        c: &Customer,
        region: &str,
        name: &str,
        method: BillingMethod,
        jobs: usize,
    ) -> anyhow::Result<WorkspaceId> {
        let b = &self.billing;
        let ws = b.accounts().create_workspace(&c.caller, &c.id, region, name, method).await?;
        let scripts = [
            (
                "daily_sessions.py",
                "from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\nspark.read.parquet('oss://lake/events').groupBy('day').count().write.mode('overwrite').parquet('oss://lake/daily')\n",
            ),
            (
                "churn_features.py",
                "df = spark.table('crm.customers')\ndf.filter('active').select('id', 'tenure', 'spend').write.saveAsTable('ml.churn_features')\n",
            ),
            (
                "revenue_report.sql",
                "SELECT region, SUM(amount) AS revenue FROM sales.orders GROUP BY region ORDER BY revenue DESC;\n",
            ),
            ("compact_lake.py", "spark.sql('OPTIMIZE lake.events ZORDER BY (user_id)')\n"),
        ];
        for (job, script) in scripts.iter().take(jobs) {
            b.accounts().add_job(&c.caller, &ws.id, job, script).await?;
        }
        for (i, size) in [52_428_800_i64, 1_073_741_824, 734_003_200].iter().take(jobs.min(3)).enumerate() {
            b.accounts().add_data_object(&c.caller, &ws.id, &format!("{name}-part-{i:04}.parquet"), *size).await?;
        }
        Ok(ws.id)
    }

    async fn quota(
        &self,
        c: &Customer,
        workspace: &WorkspaceId,
        cu: u32,
        months: u32,
        tenders: Vec<TenderInput>,
        benefits: Vec<BenefitId>,
    ) -> anyhow::Result<InstanceId> {
        let request = QuotaPurchase {
            account_id: c.id.clone(),
            workspace_id: workspace.to_owned(),
            cu,
            months,
            benefit_ids: benefits,
            tenders: Some(tenders),
            auto_renew: false,
        };
        Ok(self.billing.purchases().buy_quota(&c.caller, &request).await?.instance.id)
    }

    async fn plan(&self, c: &Customer, region: &str, cu_hours: i64, tender: TenderInput) -> anyhow::Result<InstanceId> {
        let request = PlanPurchase {
            account_id: c.id.clone(),
            region_id: region.to_owned(),
            capacity: CuHours::from_whole(cu_hours),
            months: 6,
            benefit_ids: vec![],
            tenders: Some(vec![tender]),
        };
        Ok(self.billing.purchases().buy_plan(&c.caller, &request).await?.instance.id)
    }

    async fn usage(&self, workspace: &str, hours: i64, cu_hours: &[&str]) -> anyhow::Result<()> {
        let start = self.clock.now_hour() - Duration::hours(hours);
        let records: Vec<_> = (0..hours)
            .map(|h| billing_app::model::UsageRecord {
                record_id: format!("{workspace}-{}", (start + Duration::hours(h)).timestamp()),
                workspace_id: workspace.to_owned(),
                hour_start: start + Duration::hours(h),
                cu_hours: CuHours::parse(cu_hours[h as usize % cu_hours.len()]).unwrap_or_default(),
            })
            .collect();
        self.billing.metering().import_usage(&OPERATOR, &records).await?;
        Ok(())
    }

    async fn seed(&self) -> anyhow::Result<()> {
        self.seed_acme().await?;
        self.seed_globex().await?;
        self.seed_initech().await?;
        self.clock.set(self.now);
        Ok(())
    }
}

trait HourClock {
    fn now_hour(&self) -> DateTime<Utc>;
}

impl HourClock for ManualClock {
    /// The start of the current clock hour.
    fn now_hour(&self) -> DateTime<Utc> {
        use billing_app::clock::Clock;
        let now = self.now();
        now - Duration::seconds(now.timestamp().rem_euclid(3600))
            - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
    }
}

impl Seeder {
    /// A big USD customer: an old card-paid quota, one on its last day paid
    /// three ways, one with a pending renewal, plans of every kind, usage.
    async fn seed_acme(&self) -> anyhow::Result<()> {
        self.at_days_ago(200);
        let c = self.customer("acme-analytics", Currency::Usd, "60000.00").await?;
        let sg = "ap-southeast-1";
        let etl = self.workspace(&c, sg, "etl-prod", BillingMethod::Hybrid, 4).await?;
        let ml = self.workspace(&c, sg, "ml-training", BillingMethod::Subscription, 2).await?;
        let reporting = self.workspace(&c, sg, "reporting", BillingMethod::Hybrid, 3).await?;
        let adhoc = self.workspace(&c, sg, "adhoc-queries", BillingMethod::PayAsYouGo, 1).await?;
        self.at_days_ago(160);
        self.quota(&c, &etl, 100, 9, vec![c.tender(PaymentMethodKind::Card, "28989.00")], vec![]).await?;
        // Bought a calendar month ago, two hours later in the day: its last day is today.
        self.clock.set(self.now.checked_sub_months(Months::new(1)).unwrap_or(self.now) + Duration::hours(2));
        let coupon = self
            .billing
            .accounts()
            .grant_benefit(
                &OPERATOR,
                &c.id,
                BenefitKind::Coupon,
                money(c.currency, "100.00"),
                self.now + Duration::days(90),
            )
            .await?;
        let tenders =
            vec![c.tender(PaymentMethodKind::Balance, "1000.00"), c.tender(PaymentMethodKind::Paypal, "510.50")];
        self.quota(&c, &ml, 50, 1, tenders, vec![coupon.id]).await?;
        self.at_days_ago(20);
        let voucher = self
            .billing
            .accounts()
            .grant_benefit(
                &OPERATOR,
                &c.id,
                BenefitKind::Voucher,
                money(c.currency, "200.00"),
                self.now + Duration::days(90),
            )
            .await?;
        let reporting_quota = self
            .quota(&c, &reporting, 25, 1, vec![c.tender(PaymentMethodKind::Card, "605.25")], vec![voucher.id])
            .await?;
        self.at_days_ago(10);
        // Drawn from by the usage below: used, so not refundable.
        self.plan(&c, sg, 1000, c.tender(PaymentMethodKind::Card, "53.68")).await?;
        self.at_days_ago(8);
        // Unused, but bought more than five days ago: past its window.
        self.plan(&c, sg, 500, c.tender(PaymentMethodKind::Balance, "26.84")).await?;
        self.at_days_ago(3);
        self.usage(&etl, 48, &["80.5", "130.25", "96", "142.75"]).await?;
        self.usage(&adhoc, 48, &["0.5", "0", "1.25", "0.75"]).await?;
        self.at_days_ago(2);
        self.billing
            .purchases()
            .renew(&c.caller, &reporting_quota, 2, &[], Some(&[c.tender(PaymentMethodKind::Balance, "1610.50")]))
            .await?;
        // Unused and two days old: fully refundable.
        self.plan(&c, sg, 2000, c.tender(PaymentMethodKind::Card, "107.36")).await?;
        self.clock.set(self.now - Duration::hours(1));
        self.usage(&adhoc, 20, &["2.125", "5.5"]).await?;
        Ok(())
    }

    /// A smaller USD customer: a fresh quota on a card cancelled since, and a
    /// PayPal plan given back yesterday whose refund is still on its way.
    async fn seed_globex(&self) -> anyhow::Result<()> {
        self.at_days_ago(30);
        let c = self.customer("globex-data", Currency::Usd, "2500.00").await?;
        let ws = self.workspace(&c, "ap-southeast-1", "streaming", BillingMethod::Hybrid, 2).await?;
        let plan = self.plan(&c, "ap-southeast-1", 1000, c.tender(PaymentMethodKind::Paypal, "53.68")).await?;
        self.clock.set(self.now - Duration::hours(3));
        self.quota(&c, &ws, 30, 3, vec![c.tender(PaymentMethodKind::Card, "2898.90")], vec![]).await?;
        self.billing.accounts().set_payment_method_valid(&c.caller, &c.card, false).await?;
        self.clock.set(self.now - Duration::days(30) + Duration::days(4));
        let quote = self.billing.unsubscriptions().quote_unsubscription(&c.caller, &plan, None).await?;
        let confirmation = billing_app::unsubscription::Confirmation {
            quote_id: quote.stored.id,
            idempotency_key: "demo-globex-plan".to_owned(),
            confirm_workspace_deletion: None,
        };
        self.billing.unsubscriptions().confirm_unsubscription(&c.caller, &confirmation).await?;
        Ok(())
    }

    /// A CNY customer in Hangzhou with a quota mid-period.
    async fn seed_initech(&self) -> anyhow::Result<()> {
        self.at_days_ago(45);
        let c = self.customer("initech-cn", Currency::Cny, "80000.00").await?;
        let ws = self.workspace(&c, "cn-hangzhou", "warehouse", BillingMethod::Hybrid, 3).await?;
        self.quota(&c, &ws, 40, 3, vec![c.tender(PaymentMethodKind::Balance, "27828.00")], vec![]).await?;
        Ok(())
    }
}
