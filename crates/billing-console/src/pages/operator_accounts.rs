//! The operator's accounts: a searchable list with balances and counts, and
//! one account with its payment methods, instances, refunds and latest
//! balance entries, every instant in the account's billing zone.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use billing_app::directory::{AccountFilter, AccountSummary, BalanceLine};
use billing_app::model::{Account, PaymentMethod};
use billing_app::unsubscription::records::RefundFilter;
use billing_app::{AppError, AppResult, Billing, Caller};
use billing_domain::calendar::BillingZone;
use billing_domain::ids::{AccountId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;

use super::refunds::{Names, RefundRow, policy_now, refund_row};
use crate::auth::Operator;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html, parse_id};
use crate::state::ConsoleState;
use crate::words;

/// Accounts listed on one page.
pub const ACCOUNTS_PAGE: i64 = 50;

/// Balance entries listed on one page of an account.
const LEDGER_PAGE: i64 = 20;

/// The billing zone of accounts settling in `currency`: the zone of the
/// first region that bills in it.
pub async fn zone_of(billing: &Billing, currency: Currency) -> AppResult<BillingZone> {
    let regions = billing.operations().regions().await?;
    Ok(regions.iter().find(|r| r.currency() == currency).map(|r| r.zone).unwrap_or_default())
}

/// `Asia/Shanghai (UTC+08:00)`: a zone with its offset now (the same in
/// every language).
pub fn zone_label(zone: BillingZone, now: chrono::DateTime<chrono::Utc>) -> String {
    // The offset is read off the English form, which ends in it.
    let shown = fmt::date_time(Locale::EnUs, zone, now);
    let offset = shown.rsplit(' ').next().unwrap_or("UTC");
    format!("{} ({offset})", zone.name())
}

/// A payment method as people read it: the card or PayPal label the channel
/// gave, or the bank account's own label.
pub fn method_label(l: Locale, m: &PaymentMethod) -> String {
    let label = match m.kind {
        PaymentMethodKind::BankTransfer => l.t1("operator-method-bank", "label", &m.label),
        _ => m.label.clone(),
    };
    if m.valid { label } else { l.t1("operator-method-unusable", "method", label) }
}

/// One account in the list.
struct AccountRow {
    id: String,
    name: String,
    zone: String,
    balance: String,
    overdue: bool,
    active_instances: i64,
    pending_refunds: i64,
}

#[derive(Template)]
#[template(path = "operator_accounts.html")]
struct AccountsPage {
    layout: Layout,
    q: String,
    rows: Vec<AccountRow>,
    next: Option<String>,
    problem: Option<String>,
}

fn account_row(l: Locale, s: &AccountSummary, zones: &HashMap<Currency, String>) -> AccountRow {
    AccountRow {
        id: s.account.id.to_string(),
        name: s.account.name.clone(),
        zone: zones.get(&s.account.currency).cloned().unwrap_or_default(),
        balance: fmt::money(l, s.account.balance),
        overdue: s.account.balance.minor() < 0,
        active_instances: s.active_instances,
        pending_refunds: s.pending_refunds,
    }
}

/// `GET /console/operator/accounts?q=&after=`.
pub async fn list(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let q = query.text("q").to_owned();
    let after = Some(query.text("after")).filter(|a| !a.is_empty()).map(str::to_owned);
    let billing = &state.billing;
    let l = session.locale;
    let filter = AccountFilter { query: Some(q.clone()), starting_after: after, limit: ACCOUNTS_PAGE };
    let layout = session.layout(&l.t("nav-accounts"), "/console/operator/accounts");
    let load = async {
        let found = billing.operations().account_summaries(&session.caller, filter).await?;
        let mut zones = HashMap::new();
        let regions = billing.operations().regions().await?;
        for s in &found {
            let currency = s.account.currency;
            let zone = regions.iter().find(|r| r.currency() == currency).map(|r| r.zone).unwrap_or_default();
            zones.entry(currency).or_insert_with(|| zone_label(zone, billing.now()));
        }
        AppResult::Ok(found.iter().map(|s| account_row(l, s, &zones)).collect::<Vec<_>>())
    };
    let (rows, problem) = match load.await {
        Ok(rows) => (rows, None),
        Err(AppError::Invalid { message, field }) => {
            let what = if field == "q" { "operator-accounts-bad-search" } else { "operator-accounts-bad-page" };
            (Vec::new(), Some(l.t1(what, "why", message)))
        }
        Err(e) => return Err(session.fail(e)),
    };
    let next = rows
        .last()
        .filter(|_| rows.len() >= ACCOUNTS_PAGE as usize)
        .map(|last| format!("/console/operator/accounts?q={}&after={}", encode(&q), encode(&last.id)));
    let status = problem.is_some();
    let mut response = html(&AccountsPage { layout, q, rows, next, problem });
    if status {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `text` encoded for a query string.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// One instance on the account page.
struct InstanceRow {
    id: String,
    product: String,
    workspace: String,
    size: String,
    state: String,
    active: bool,
    created: String,
}

/// One balance entry on the account page.
struct LedgerRow {
    at: String,
    what: String,
    reference: String,
    amount: String,
    credit: bool,
}

#[derive(Template)]
#[template(path = "operator_account.html")]
struct AccountPage {
    layout: Layout,
    id: String,
    name: String,
    balance: String,
    overdue: bool,
    zone: String,
    opened: String,
    active_instances: i64,
    pending_refunds: i64,
    methods: Vec<String>,
    instances: Vec<InstanceRow>,
    refunds: Vec<RefundRow>,
    more_refunds: bool,
    ledger: Vec<LedgerRow>,
    older: Option<String>,
    paged: bool,
}

/// Instances shown on the account page, newest first.
const INSTANCES_SHOWN: usize = 100;

/// Refunds shown on the account page; the rest are one link away.
const REFUNDS_SHOWN: i64 = 20;

async fn instance_rows(
    l: Locale,
    billing: &Billing,
    caller: &Caller,
    account: &Account,
    zone: BillingZone,
) -> AppResult<Vec<InstanceRow>> {
    let instances = billing.purchases().instances(caller, Some(&account.id)).await?;
    let mut ids: Vec<&WorkspaceId> =
        instances.iter().take(INSTANCES_SHOWN).filter_map(|i| i.workspace_id.as_ref()).collect();
    ids.sort_unstable();
    ids.dedup();
    let workspaces: HashMap<WorkspaceId, String> = billing
        .operations()
        .workspace_names(caller, &account.id, &ids)
        .await?
        .into_iter()
        .map(|(id, name, deleted)| (id, if deleted { l.t1("operator-workspace-deleted", "name", name) } else { name }))
        .collect();
    Ok(instances
        .into_iter()
        .take(INSTANCES_SHOWN)
        .map(|i| InstanceRow {
            product: words::commodity(l, i.commodity),
            workspace: i
                .workspace_id
                .as_ref()
                .map_or_else(|| "—".to_owned(), |w| workspaces.get(w).cloned().unwrap_or_else(|| w.to_string())),
            size: match (i.quota_cu, i.capacity) {
                (Some(cu), _) => l.t1("cu-count", "cu", cu),
                (None, Some(c)) => l.t1("cu-hours-count", "amount", fmt::cu_hours(c)),
                (None, None) => "—".to_owned(),
            },
            state: words::instance_state(l, i.state),
            active: i.state == billing_app::model::InstanceState::Active,
            created: fmt::date_time(l, zone, i.created_at),
            id: i.id.into_string(),
        })
        .collect())
}

/// What a balance entry of kind `kind` (`order.payment`) records, in
/// words; a kind without words of its own is shown as a sentence of its
/// parts.
fn ledger_kind(l: Locale, kind: &str) -> String {
    let id = format!("ledger-kind-{}", kind.replace(['.', '_'], "-"));
    if l.has(&id) { l.t(&id) } else { fmt::sentence(&kind.replace(['.', '_'], " ")) }
}

fn ledger_row(l: Locale, line: &BalanceLine, zone: BillingZone) -> LedgerRow {
    let amount = match line.unit.parse::<Currency>() {
        Ok(c) => fmt::money(l, Money::from_minor(c, line.amount_minor)),
        Err(_) => format!("{} {}", line.amount_minor, line.unit),
    };
    LedgerRow {
        at: fmt::date_time(l, zone, line.at),
        what: ledger_kind(l, &line.kind),
        reference: line.reference.clone(),
        amount: if line.amount_minor > 0 { format!("+{amount}") } else { amount },
        credit: line.amount_minor > 0,
    }
}

/// `GET /console/operator/accounts/{id}?before=`.
pub async fn show(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let before = Some(query.text("before")).filter(|b| !b.is_empty());
    let billing = &state.billing;
    let caller = &session.caller;
    let l = session.locale;
    let load = async {
        let id: AccountId = parse_id(&id)?;
        let summary = billing.operations().account_summary(caller, &id).await?;
        let account = &summary.account;
        let zone = zone_of(billing, account.currency).await?;
        let methods =
            billing.accounts().payment_methods(caller, &id).await?.iter().map(|m| method_label(l, m)).collect();
        let instances = instance_rows(l, billing, caller, account, zone).await?;
        let filter = RefundFilter { account_id: Some(id.clone()), limit: REFUNDS_SHOWN + 1, ..RefundFilter::default() };
        let mut found = billing.unsubscriptions().refunds(caller, filter).await?;
        let more_refunds = found.len() > REFUNDS_SHOWN as usize;
        found.truncate(REFUNDS_SHOWN as usize);
        let policy = policy_now(billing).await?;
        let names = Names::of(billing, caller, &found).await?;
        let refunds = found.iter().map(|r| refund_row(l, r, &policy, zone, &names)).collect();
        let lines = billing.operations().balance_lines(caller, &id, before, LEDGER_PAGE).await?;
        let older = lines.last().filter(|_| lines.len() >= LEDGER_PAGE as usize).map(|last| {
            format!("/console/operator/accounts/{}?before={}#ledger", encode(&id), encode(&last.movement_id))
        });
        let ledger = lines.iter().map(|line| ledger_row(l, line, zone)).collect();
        AppResult::Ok(AccountPage {
            layout: Layout::default(),
            id: account.id.to_string(),
            name: account.name.clone(),
            balance: fmt::money(l, account.balance),
            overdue: account.balance.minor() < 0,
            zone: zone_label(zone, billing.now()),
            opened: fmt::date_time(l, zone, account.created_at),
            active_instances: summary.active_instances,
            pending_refunds: summary.pending_refunds,
            methods,
            instances,
            refunds,
            more_refunds,
            ledger,
            older,
            paged: before.is_some(),
        })
    };
    let mut page = load.await.map_err(|e| session.fail(e))?;
    page.layout = session.layout(&page.name, "/console/operator/accounts");
    Ok(html(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_balance_entry_has_words_in_both_languages() {
        let kinds = [
            "order.payment",
            "balance.top_up",
            "usage.charge",
            "refund.succeeded",
            "refund.rerouted",
            "unsubscription.refund",
            "downgrade.refund",
            "switch.refund",
            "activation.refund",
            "activation.benefits_restored",
        ];
        for kind in kinds {
            assert_eq!(ledger_kind(Locale::EnUs, kind), fmt::sentence(&kind.replace(['.', '_'], " ")));
            assert!(ledger_kind(Locale::ZhCn, kind).chars().all(|c| !c.is_ascii_alphabetic()), "{kind}");
        }
        assert_eq!(ledger_kind(Locale::ZhCn, "plan.capacity_drawn"), "Plan capacity drawn");
    }
}
