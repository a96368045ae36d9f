//! Helpers shared by the suite: seeding an account with money, a card and a
//! workspace; building requests; reading back what the store holds; and
//! snapshots that prove a refused request wrote nothing.

use billing_app::checks::LedgerReport;
use billing_app::model::{
    Account, Benefit, BenefitKind, BillingMethod, InstanceRecord, OrderRecord, PaymentMethod, QueueStatus, Settlement,
    UsageRecord, Workspace,
};
use billing_app::periods::quota_periods;
use billing_app::purchase::{PlanPurchase, Purchase, QuotaPurchase, TenderInput};
use billing_app::store::{Store, StoreTx};
use billing_app::topups::TopUpRequest;
use billing_app::{AppError, AppResult, Caller};
use billing_domain::calendar::{BillingPeriod, BillingZone};
use billing_domain::ids::{AccountId, BenefitId, InstanceId, OrderId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_domain::usage::CuHours;
use chrono::{DateTime, Duration, DurationRound, Utc};

use crate::support::{OPERATOR, World, customer, usd};

/// The region with the published prices.
pub const SINGAPORE: &str = "ap-southeast-1";

/// An account with a balance, a valid card and a hybrid workspace in
/// Singapore, and the customer caller that owns them.
pub struct Seed {
    pub account: Account,
    pub card: PaymentMethod,
    pub workspace: Workspace,
    pub caller: Caller,
}

impl Seed {
    pub fn id(&self) -> &AccountId {
        &self.account.id
    }

    /// A request for a quota on the seed's workspace.
    pub fn quota(&self, cu: u32, months: u32, tenders: Option<Vec<TenderInput>>) -> QuotaPurchase {
        QuotaPurchase {
            account_id: self.account.id.clone(),
            workspace_id: self.workspace.id.clone(),
            cu,
            months,
            benefit_ids: Vec::new(),
            tenders,
            auto_renew: false,
        }
    }

    /// A request for a Singapore plan of `cu_hours` whole CU-hours.
    pub fn plan(&self, cu_hours: i64, months: u32, tenders: Option<Vec<TenderInput>>) -> PlanPurchase {
        PlanPurchase {
            account_id: self.account.id.clone(),
            region_id: SINGAPORE.to_owned(),
            capacity: CuHours::from_whole(cu_hours),
            months,
            benefit_ids: Vec::new(),
            tenders,
        }
    }

    /// A top-up of `amount` charged to the seed's card.
    pub fn card_top_up(&self, amount: &str) -> TopUpRequest {
        TopUpRequest {
            account_id: self.account.id.clone(),
            amount: usd(amount),
            method: PaymentMethodKind::Card,
            payment_method_id: Some(self.card.id.clone()),
        }
    }

    /// A card tender of `amount` on the seed's card.
    pub fn card(&self, amount: &str) -> TenderInput {
        TenderInput {
            method: PaymentMethodKind::Card,
            payment_method_id: Some(self.card.id.clone()),
            amount: usd(amount),
        }
    }
}

/// A balance tender.
pub fn balance(amount: &str) -> TenderInput {
    TenderInput { method: PaymentMethodKind::Balance, payment_method_id: None, amount: usd(amount) }
}

/// A usage record; `cu_hours` is a decimal with at most 3 places.
pub fn usage(record_id: &str, workspace_id: &str, hour_start: DateTime<Utc>, cu_hours: &str) -> UsageRecord {
    UsageRecord {
        record_id: record_id.to_owned(),
        workspace_id: workspace_id.to_owned(),
        hour_start,
        cu_hours: CuHours::parse(cu_hours).unwrap(),
    }
}

/// Everything a refused request must leave as it was.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// One line per row of the tables whose state use cases change.
    pub states: Vec<String>,
    /// Row counts of the tables use cases only append to.
    pub counts: Vec<(&'static str, i64)>,
    /// Audit events that verify.
    pub audit_events: u64,
    /// Ledger movements and entries.
    pub ledger: (usize, usize),
}

const STATE_QUERIES: &[&str] = &[
    "SELECT 'account ' || id || ' ' || CAST(balance_minor AS TEXT) FROM accounts ORDER BY id",
    "SELECT 'instance ' || id || ' ' || state || ' ' || CAST(used_milli AS TEXT) || ' ' \
     || CAST(auto_renew AS TEXT) FROM instances ORDER BY id",
    "SELECT 'order ' || id || ' ' || status || ' ' || COALESCE(CAST(paid_at AS TEXT), '-') FROM orders ORDER BY id",
    "SELECT 'benefit ' || id || ' ' || status || ' ' || COALESCE(order_id, '-') FROM benefits ORDER BY id",
    "SELECT 'queue ' || id || ' ' || status FROM queues ORDER BY id",
    "SELECT 'workspace ' || id || ' ' || status || ' ' || name FROM workspaces ORDER BY id",
    "SELECT 'method ' || id || ' ' || CAST(valid AS TEXT) FROM payment_methods ORDER BY id",
];

const APPEND_ONLY_TABLES: &[&str] = &[
    "accounts",
    "payment_methods",
    "benefits",
    "workspaces",
    "jobs",
    "data_objects",
    "queues",
    "instances",
    "orders",
    "order_benefits",
    "tenders",
    "usage_records",
    "settlement_packs",
    "ledger_movements",
    "ledger_entries",
    "audit_events",
];

impl World {
    /// An account `name` holding `balance` (topped up by bank transfer), with
    /// a card and a hybrid Singapore workspace named `etl`.
    pub async fn seed(&self, name: &str, balance: &str) -> Seed {
        let account = self.billing.accounts().create_account(&OPERATOR, name, Currency::Usd).await.unwrap();
        let caller = customer(&account.id);
        if usd(balance).minor() > 0 {
            self.billing.purchases().record_transfer(&OPERATOR, &account.id, usd(balance)).await.unwrap();
        }
        let card = self
            .billing
            .accounts()
            .add_payment_method(&caller, &account.id, PaymentMethodKind::Card, "4242 4242 4242 4242")
            .await
            .unwrap();
        let workspace = self.workspace(&account.id, "etl", BillingMethod::Hybrid).await;
        let account = self.billing.accounts().account(&caller, &account.id).await.unwrap();
        Seed { account, card, workspace, caller }
    }

    /// Another Singapore workspace of `account_id`.
    pub async fn workspace(&self, account_id: &AccountId, name: &str, method: BillingMethod) -> Workspace {
        self.workspace_in(account_id, SINGAPORE, name, method).await
    }

    /// A workspace of `account_id` in `region`, created a week before the
    /// clock's now, so that usage of the hours before now (which the tests
    /// import) comes after it was created.
    pub async fn workspace_in(
        &self,
        account_id: &AccountId,
        region: &str,
        name: &str,
        method: BillingMethod,
    ) -> Workspace {
        let caller = customer(account_id);
        let now = self.billing.now();
        self.clock.set(now - Duration::days(7));
        let created = self.billing.accounts().create_workspace(&caller, account_id, region, name, method).await;
        self.clock.set(now);
        created.unwrap()
    }

    /// Grants a voucher or coupon of `amount` USD valid for 30 days.
    pub async fn grant(&self, account_id: &AccountId, kind: BenefitKind, amount: &str) -> Benefit {
        let expires_at = self.billing.now() + Duration::days(30);
        self.billing.accounts().grant_benefit(&OPERATOR, account_id, kind, usd(amount), expires_at).await.unwrap()
    }

    /// Buys a quota as the seed's customer with the benefits given.
    pub async fn buy_quota_with(
        &self,
        seed: &Seed,
        mut request: QuotaPurchase,
        benefits: &[&Benefit],
    ) -> AppResult<Purchase> {
        request.benefit_ids = benefits.iter().map(|b| b.id.clone()).collect();
        self.billing.purchases().buy_quota(&seed.caller, &request).await
    }

    /// Start of the clock hour before the current one: usage for it may be
    /// imported now.
    pub fn previous_hour(&self) -> DateTime<Utc> {
        self.billing.now().duration_trunc(Duration::hours(1)).unwrap() - Duration::hours(1)
    }

    /// Charges `cu_hours` of pay-as-you-go usage to the account, through a
    /// new pay-as-you-go workspace named `name`, in the previous hour.
    pub async fn use_pay_as_you_go(&self, account_id: &AccountId, name: &str, cu_hours: &str) -> Workspace {
        let workspace = self.workspace(account_id, name, BillingMethod::PayAsYouGo).await;
        let record = usage(&format!("rec-{name}"), &workspace.id, self.previous_hour(), cu_hours);
        self.billing.metering().import_usage(&OPERATOR, &[record]).await.unwrap();
        workspace
    }

    /// How many audit events record `action`.
    pub async fn audited(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1")
            .bind(action)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
    }

    pub async fn balance_of(&self, account_id: &AccountId) -> Money {
        self.billing.accounts().account(&OPERATOR, account_id).await.unwrap().balance
    }

    pub async fn tx(&self) -> Box<dyn StoreTx + '_> {
        self.store.read().await.unwrap()
    }

    pub async fn instance(&self, id: &InstanceId) -> InstanceRecord {
        self.tx().await.instance(id).await.unwrap().unwrap()
    }

    pub async fn instances(&self, account_id: &AccountId) -> Vec<InstanceRecord> {
        self.tx().await.instances(account_id).await.unwrap()
    }

    pub async fn order(&self, id: &OrderId) -> OrderRecord {
        self.tx().await.order(id).await.unwrap().unwrap()
    }

    pub async fn orders(&self, instance_id: &InstanceId) -> Vec<OrderRecord> {
        self.tx().await.orders(instance_id).await.unwrap()
    }

    pub async fn benefit(&self, id: &BenefitId) -> Benefit {
        self.tx().await.benefit(id).await.unwrap().unwrap()
    }

    pub async fn settlements(&self, workspace_id: &WorkspaceId) -> Vec<Settlement> {
        self.tx().await.settlements(workspace_id, None, 1000).await.unwrap().unwrap()
    }

    /// The periods of a quota's paid orders, in the default billing zone.
    pub async fn periods(&self, instance_id: &InstanceId) -> Vec<BillingPeriod> {
        let orders = self.orders(instance_id).await;
        quota_periods(BillingZone::DEFAULT, &orders).unwrap().into_iter().map(|(_, p)| p).collect()
    }

    /// The status of the workspace's subscription queue.
    pub async fn subscription_queue(&self, workspace_id: &WorkspaceId) -> QueueStatus {
        let queues = self.tx().await.queues(workspace_id).await.unwrap();
        queues.iter().find(|q| q.subscription).map(|q| q.status).unwrap()
    }

    /// Sum of the ledger entries of one ledger account, in one unit.
    pub async fn ledger_sum(&self, ledger_account: &str, unit: &str) -> i128 {
        let entries = self.tx().await.ledger_entries().await.unwrap();
        billing_app::ledger::balances(&entries).get(&(ledger_account.to_owned(), unit.to_owned())).copied().unwrap_or(0)
    }

    /// Runs raw SQL against the database, as a saboteur would.
    pub async fn sql(&self, statement: &str) {
        sqlx::query(statement).execute(self.store.pool()).await.unwrap();
    }

    /// Asserts that the ledger balances and the audit chain verifies.
    pub async fn assert_books_in_order(&self) -> LedgerReport {
        let ledger = self.billing.operations().ledger_check(&OPERATOR).await.unwrap();
        assert!(ledger.ok(), "ledger problems: {:?}", ledger.problems);
        let audit = self.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(audit.problem, None);
        ledger
    }

    /// What the database holds now.
    pub async fn snapshot(&self) -> Snapshot {
        let mut states = Vec::new();
        for query in STATE_QUERIES {
            let rows: Vec<String> = sqlx::query_scalar(query).fetch_all(self.store.pool()).await.unwrap();
            states.extend(rows);
        }
        let mut counts = Vec::new();
        for table in APPEND_ONLY_TABLES {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let n: i64 = sqlx::query_scalar(&sql).fetch_one(self.store.pool()).await.unwrap();
            counts.push((*table, n));
        }
        let audit = self.billing.operations().audit_verify(&OPERATOR).await.unwrap();
        assert_eq!(audit.problem, None);
        let ledger = self.billing.operations().ledger_check(&OPERATOR).await.unwrap();
        assert!(ledger.ok(), "ledger problems: {:?}", ledger.problems);
        Snapshot { states, counts, audit_events: audit.events, ledger: (ledger.movements, ledger.entries) }
    }

    /// Asserts that `result` is the error `code` and that nothing changed
    /// since `before`; returns the error for further checks.
    pub async fn assert_refused<T: std::fmt::Debug>(
        &self,
        before: &Snapshot,
        result: AppResult<T>,
        code: &str,
    ) -> AppError {
        let err = match result {
            Ok(value) => panic!("expected {code}, but the request succeeded: {value:?}"),
            Err(err) => err,
        };
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(&self.snapshot().await, before, "a refused request ({code}) wrote something");
        err
    }
}

/// Every settlement pack of the database behind `pool`: workspace, day
/// start and hours mask, in that order.
pub async fn settlement_packs(pool: &sqlx::AnyPool) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        "SELECT workspace_id, day_start, hours_mask FROM settlement_packs ORDER BY workspace_id, day_start, id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}
