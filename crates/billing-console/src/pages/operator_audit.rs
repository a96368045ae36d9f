//! The operator's audit log: newest first, a page at a time, narrowed by
//! actor, account, event type and a range of days. The filters live in the
//! address, so a filtered view can be linked; dates are days in the
//! operator view's zone, which the page names.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use billing_app::directory::{AccountFilter, AuditFilter, AuditOrder};
use billing_app::model::{Account, AuditEvent};
use billing_app::{AppError, AppResult, Billing, Caller};
use billing_domain::calendar::BillingZone;
use billing_domain::ids::AccountId;
use chrono::{DateTime, NaiveDate, Utc};

use super::operator_accounts::{encode, zone_label};
use crate::auth::Operator;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageResult, html};
use crate::state::ConsoleState;

/// Events listed on one page.
const PAGE: i64 = 50;

/// Longest detail shown in the audit table, in characters.
const DETAIL_CHARS: usize = 160;

/// The zone the operator's pages read and show dates in.
pub const VIEW_ZONE: BillingZone = BillingZone::DEFAULT;

/// Event types offered as suggestions; any other is accepted as typed.
const ACTIONS: [&str; 24] = [
    "account.created",
    "api_key.created",
    "api_key.revoked",
    "balance.top_up_requested",
    "balance.topped_up",
    "benefit.granted",
    "clock.advanced",
    "instance.activation_failed",
    "order.cancelled",
    "order.paid",
    "order.payment_declined",
    "order.placed",
    "payment_method.added",
    "payment_method.validity",
    "plan.expired",
    "policy.version_added",
    "quota.expired",
    "refund.rerouted",
    "refund.retry",
    "refund.succeeded",
    "renewal.failed",
    "usage.imported",
    "workspace.created",
    "workspace.deleted",
];

/// Why no single account fits what an operator typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountMiss {
    /// No account has it as its id or name, nor a name that contains it.
    Unknown,
    /// The names of several accounts contain it: the first few, and
    /// whether there are more.
    Ambiguous(Vec<String>, bool),
    /// It cannot be searched for; the use case's reason, in English.
    Invalid(String),
}

impl AccountMiss {
    /// The miss in words, for the text `text` the operator typed.
    pub fn words(&self, l: Locale, text: &str) -> String {
        match self {
            AccountMiss::Unknown => l.t1("operator-account-unknown", "text", text),
            AccountMiss::Ambiguous(names, more) => {
                let mut names = names.join(&l.t("list-comma"));
                if *more {
                    names.push_str(&l.t("list-comma"));
                    names.push('…');
                }
                l.t2("operator-account-ambiguous", "text", text, "names", names)
            }
            AccountMiss::Invalid(why) => l.t1("operator-account-bad-search", "why", why),
        }
    }
}

/// An account named by an operator: its id, or its name (any case), or a
/// part of its name that only one account has. `Err` says why no single
/// account fits.
pub async fn find_account(billing: &Billing, caller: &Caller, text: &str) -> AppResult<Result<Account, AccountMiss>> {
    let summary = match AccountId::parse(text) {
        Ok(id) => billing.operations().account_summary(caller, &id).await,
        Err(_) => Err(AppError::not_found("account", text)),
    };
    match summary {
        Ok(found) => return Ok(Ok(found.account)),
        Err(AppError::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    // Names are unique, so a whole name typed in any case is found among
    // the first matches unless a great many names contain it.
    let filter = AccountFilter { query: Some(text.to_owned()), starting_after: None, limit: 50 };
    let found = match billing.operations().account_summaries(caller, filter).await {
        Ok(found) => found,
        Err(AppError::Invalid { message, .. }) => return Ok(Err(AccountMiss::Invalid(message))),
        Err(e) => return Err(e),
    };
    let exact = found.iter().find(|s| s.account.name.to_lowercase() == text.to_lowercase());
    match (exact, found.as_slice()) {
        (Some(s), _) | (None, [s]) => Ok(Ok(s.account.clone())),
        (None, []) => Ok(Err(AccountMiss::Unknown)),
        (None, several) => {
            let names = several.iter().take(5).map(|s| s.account.name.clone()).collect();
            Ok(Err(AccountMiss::Ambiguous(names, several.len() > 5)))
        }
    }
}

/// What the filter form holds, as typed.
#[derive(Default)]
struct AuditForm {
    actor: String,
    account: String,
    action: String,
    from: String,
    to: String,
}

impl AuditForm {
    fn read(query: &FormData) -> AuditForm {
        AuditForm {
            actor: query.text("actor").to_owned(),
            account: query.text("account").to_owned(),
            action: query.text("action").to_owned(),
            from: query.text("from").to_owned(),
            to: query.text("to").to_owned(),
        }
    }

    /// The query string of these filters, for links to other pages.
    fn query(&self) -> String {
        [
            ("actor", &self.actor),
            ("account", &self.account),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }

    fn is_empty(&self) -> bool {
        self.query().is_empty()
    }

    /// The filter these inputs ask for, or why they cannot be used.
    async fn filter(&self, billing: &Billing, caller: &Caller, l: Locale) -> AppResult<Result<AuditFilter, String>> {
        let account_id = match self.account.as_str() {
            "" => None,
            text => match find_account(billing, caller, text).await? {
                Ok(account) => Some(account.id.into_string()),
                Err(miss) => return Ok(Err(miss.words(l, text))),
            },
        };
        let from = match day_start(l, &self.from, "operator-audit-from", 0) {
            Ok(from) => from,
            Err(why) => return Ok(Err(why)),
        };
        let to = match day_start(l, &self.to, "operator-audit-to", 1) {
            Ok(to) => to,
            Err(why) => return Ok(Err(why)),
        };
        if let (Some(f), Some(t)) = (from, to)
            && t <= f
        {
            return Ok(Err(l.t("operator-audit-swapped")));
        }
        let text = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        Ok(Ok(AuditFilter {
            actor: text(&self.actor),
            account_id,
            action: text(&self.action),
            from,
            to,
            order: AuditOrder::Before(None),
            limit: PAGE,
        }))
    }
}

/// The start of the day `text` names (plus `days_after` days) in the view
/// zone; `Err` says what is wrong with the field labelled by message
/// `label`.
fn day_start(l: Locale, text: &str, label: &str, days_after: u64) -> Result<Option<DateTime<Utc>>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let wrong = || l.t2("operator-audit-bad-date", "field", l.t(label), "text", text);
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| wrong())?;
    let day = day.checked_add_days(chrono::Days::new(days_after)).ok_or_else(wrong)?;
    VIEW_ZONE.start_of_day(day).map(Some).map_err(|_| wrong())
}

/// One audit event, shortened for the table.
struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    actor_is_account: bool,
    action: String,
    subject: String,
    detail: String,
}

fn audit_row(l: Locale, e: AuditEvent) -> AuditRow {
    let mut detail: String = e.detail.chars().take(DETAIL_CHARS).collect();
    if e.detail.chars().count() > DETAIL_CHARS {
        detail.push('…');
    }
    AuditRow {
        seq: e.seq,
        at: fmt::date_time(l, VIEW_ZONE, e.at),
        actor_is_account: e.actor.starts_with("acc_"),
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        detail,
    }
}

#[derive(Template)]
#[template(path = "operator_audit.html")]
struct AuditPage {
    layout: Layout,
    form: AuditForm,
    zone: String,
    actions: [&'static str; 24],
    problem: Option<String>,
    rows: Vec<AuditRow>,
    filtered: bool,
    paged: bool,
    newest: String,
    older: Option<String>,
}

/// `GET /console/operator/audit?actor=&account=&action=&from=&to=&before=`.
pub async fn audit(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    RawQuery(query): RawQuery,
) -> PageResult {
    let query = FormData::query(query.as_deref());
    let form = AuditForm::read(&query);
    let billing = &state.billing;
    let l = session.locale;
    let before = match query.text("before") {
        "" => Ok(None),
        text => text.parse::<i64>().ok().filter(|n| *n > 0).map(Some).ok_or(()),
    };
    let load = async {
        let mut filter = match form.filter(billing, &session.caller, l).await? {
            Ok(filter) => filter,
            Err(why) => return Ok(Err(why)),
        };
        let Ok(before) = before else {
            return Ok(Err(l.t("operator-audit-bad-page")));
        };
        filter.order = AuditOrder::Before(before);
        AppResult::Ok(Ok(billing.operations().audit_search(&session.caller, &filter).await?))
    };
    let (events, problem) = match load.await.map_err(|e| session.fail(e))? {
        Ok(events) => (events, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    let base = form.query();
    let link = |extra: &str| match (base.is_empty(), extra.is_empty()) {
        (true, true) => "/console/operator/audit".to_owned(),
        (true, false) => format!("/console/operator/audit?{extra}"),
        (false, true) => format!("/console/operator/audit?{base}"),
        (false, false) => format!("/console/operator/audit?{base}&{extra}"),
    };
    let older = events.last().filter(|_| events.len() >= PAGE as usize).map(|e| link(&format!("before={}", e.seq)));
    let page = AuditPage {
        layout: session.layout(&l.t("nav-audit-log"), "/console/operator/audit"),
        zone: zone_label(VIEW_ZONE, billing.now()),
        actions: ACTIONS,
        filtered: !form.is_empty(),
        paged: matches!(before, Ok(Some(_))),
        newest: link(""),
        form,
        rows: events.into_iter().map(|e| audit_row(l, e)).collect(),
        older,
        problem: problem.clone(),
    };
    let mut response = html(&page);
    if problem.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}
