//! The result of an unsubscription, and refunds: a list with a status
//! filter, and one refund with where it is.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use billing_app::unsubscription::records::{Refund, RefundFilter, RefundStatus};
use billing_app::{AppResult, Billing, Caller};
use billing_domain::calendar::BillingZone;
use billing_domain::ids::{AccountId, PaymentMethodId, RefundId, UnsubscriptionId};
use billing_domain::policy::{Policy, policy_in_force};

use crate::auth::Customer;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html, parse_id};
use crate::state::ConsoleState;
use crate::words;

/// Most refunds listed on one page.
pub const PAGE_SIZE: i64 = 200;

/// One refund, in words.
pub struct RefundRow {
    pub id: String,
    pub account_id: String,
    pub created: String,
    pub amount: String,
    pub from: String,
    pub to: String,
    pub account_name: String,
    pub why: String,
    pub status: String,
    pub status_class: &'static str,
    pub arrival: String,
    pub pending: bool,
    pub order_id: String,
    pub unsubscription_id: String,
    pub attempts: i64,
}

/// The policy in force now (for the words about card and PayPal ages).
pub async fn policy_now(billing: &Billing) -> AppResult<Policy> {
    let versions = billing.operations().policy_versions().await?;
    Ok(policy_in_force(&versions, billing.now()).map(|v| v.policy).unwrap_or_default())
}

/// What the people reading a refund know things by: account names and the
/// labels of payment methods ("Visa ending 4242"), by id.
#[derive(Default)]
pub struct Names {
    accounts: HashMap<AccountId, String>,
    methods: HashMap<PaymentMethodId, String>,
}

impl Names {
    /// The names of the accounts of `refunds` and of their payment methods.
    pub async fn of(billing: &Billing, caller: &Caller, refunds: &[Refund]) -> AppResult<Names> {
        let mut names = Names::default();
        let ids: BTreeSet<&AccountId> = refunds.iter().map(|r| &r.account_id).collect();
        for id in ids {
            let account = billing.accounts().account(caller, id).await?;
            names.accounts.insert(account.id, account.name);
            for m in billing.accounts().payment_methods(caller, id).await? {
                names.methods.insert(m.id, m.label);
            }
        }
        Ok(names)
    }

    /// Where a refund goes, as its owner knows it.
    fn destination(&self, l: Locale, r: &Refund) -> String {
        let label = r.payment_method_id.as_ref().and_then(|id| self.methods.get(id));
        label.cloned().unwrap_or_else(|| words::method(l, r.destination))
    }
}

/// A refund as a row.
pub fn refund_row(l: Locale, r: &Refund, policy: &Policy, zone: BillingZone, names: &Names) -> RefundRow {
    let (status_class, arrival) = match r.status {
        RefundStatus::Succeeded => ("tag-ok", l.t1("refund-arrived-at", "at", fmt::date_time(l, zone, r.updated_at))),
        RefundStatus::Pending => ("tag-wait", l.t1("refund-expected-by", "at", fmt::date_time(l, zone, r.expected_by))),
        RefundStatus::Failed => {
            let why = r.failure.clone().unwrap_or_else(|| l.t("refund-no-reason"));
            ("tag-bad", l.t1("refund-refused-because", "why", why))
        }
    };
    RefundRow {
        id: r.id.to_string(),
        account_id: r.account_id.to_string(),
        created: fmt::date_time(l, zone, r.created_at),
        amount: fmt::money(l, r.amount),
        from: words::method(l, r.from),
        to: names.destination(l, r),
        account_name: names.accounts.get(&r.account_id).cloned().unwrap_or_default(),
        why: words::route_reason(l, &r.rule, r.from, policy),
        status: words::refund_status(l, r.status),
        status_class,
        arrival,
        pending: r.status == RefundStatus::Pending,
        order_id: r.order_id.to_string(),
        unsubscription_id: r.unsubscription_id.to_string(),
        attempts: r.attempts,
    }
}

/// Reads `status` from a query string ("" or unknown = every status).
pub fn status_filter(query: &FormData) -> Option<RefundStatus> {
    RefundStatus::ALL.into_iter().find(|s| s.as_str() == query.text("status"))
}

/// The page's cursor: the refund the previous page ended with (`after`).
pub fn page_cursor(query: &FormData) -> Option<String> {
    Some(query.text("after")).filter(|id| !id.is_empty()).map(str::to_owned)
}

/// The address of the next, older page under `base` when this one is full.
pub fn older_href(base: &str, status: Option<RefundStatus>, rows: &[RefundRow]) -> Option<String> {
    let last = rows.last().filter(|_| rows.len() >= PAGE_SIZE as usize)?;
    let status = status.map_or("", RefundStatus::as_str);
    Some(format!("{base}?status={status}&after={}", last.id))
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage {
    layout: Layout,
    heading: String,
    id: String,
    instance_id: String,
    commodity: String,
    total: String,
    created: String,
    deleted: Option<String>,
    rows: Vec<RefundRow>,
    operator: bool,
}

/// `GET /console/unsubscriptions/{id}`: what the unsubscription did.
pub async fn result(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let billing = &state.billing;
    let l = session.locale;
    let load = async {
        let id: UnsubscriptionId = parse_id(&id)?;
        let result = billing.unsubscriptions().unsubscription_result(&session.caller, &id, false).await?;
        let policy = policy_now(billing).await?;
        let names = Names::of(billing, &session.caller, &result.refunds).await?;
        AppResult::Ok((result, policy, session.zone(billing).await?, names))
    };
    let (result, policy, zone, names) = load.await.map_err(|e| session.fail(e))?;
    let u = &result.unsubscription;
    let deleted = result.tombstone.as_ref().map(|t| {
        let args = [
            ("name", t.name.as_str().into()),
            ("jobs", t.jobs.into()),
            ("objects", t.data_objects.into()),
            ("queues", t.queues.into()),
        ];
        l.t_args("result-workspace-deleted", &args)
    });
    let heading = super::change::done_heading(l, u.action, u.quota_cu_after);
    let page = ResultPage {
        layout: session.layout(&heading, "/console/refunds"),
        heading,
        id: u.id.to_string(),
        instance_id: u.instance_id.to_string(),
        commodity: words::commodity(l, u.commodity),
        total: fmt::money(l, u.refund),
        created: fmt::date_time(l, zone, u.created_at),
        deleted,
        rows: result.refunds.iter().map(|r| refund_row(l, r, &policy, zone, &names)).collect(),
        operator: false,
    };
    Ok(html(&page))
}

#[derive(Template)]
#[template(path = "refunds.html")]
struct RefundsPage {
    layout: Layout,
    status: &'static str,
    rows: Vec<RefundRow>,
    operator: bool,
    older: Option<String>,
}

/// `GET /console/refunds?status=`.
pub async fn list(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let status = status_filter(&query);
    let billing = &state.billing;
    let l = session.locale;
    let load = async {
        let filter =
            RefundFilter { status, limit: PAGE_SIZE, starting_after: page_cursor(&query), ..RefundFilter::default() };
        let refunds = billing.unsubscriptions().refunds(&session.caller, filter).await?;
        let policy = policy_now(billing).await?;
        let zone = session.zone(billing).await?;
        let names = Names::of(billing, &session.caller, &refunds).await?;
        AppResult::Ok(refunds.iter().map(|r| refund_row(l, r, &policy, zone, &names)).collect::<Vec<_>>())
    };
    let rows = load.await.map_err(|e| session.fail(e))?;
    let layout = session.layout(&l.t("nav-refunds"), "/console/refunds");
    let older = older_href("/console/refunds", status, &rows);
    Ok(html(&RefundsPage { layout, status: status.map_or("", RefundStatus::as_str), rows, operator: false, older }))
}

#[derive(Template)]
#[template(path = "refund.html")]
struct RefundPage {
    layout: Layout,
    row: RefundRow,
    rerouted_from: Option<String>,
}

/// `GET /console/refunds/{id}`.
pub async fn detail(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let billing = &state.billing;
    let l = session.locale;
    let load = async {
        let id: RefundId = parse_id(&id)?;
        let refund = billing.unsubscriptions().refund(&session.caller, &id).await?;
        let policy = policy_now(billing).await?;
        let names = Names::of(billing, &session.caller, std::slice::from_ref(&refund)).await?;
        let rerouted_from = refund.rerouted_from.clone().map(RefundId::into_string);
        AppResult::Ok((refund_row(l, &refund, &policy, session.zone(billing).await?, &names), rerouted_from))
    };
    let (row, rerouted_from) = load.await.map_err(|e| session.fail(e))?;
    Ok(html(&RefundPage { layout: session.layout(&l.t("refund-title"), "/console/refunds"), row, rerouted_from }))
}
