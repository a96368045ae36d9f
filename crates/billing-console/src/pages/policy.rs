//! Operator → Refund policy: the versions with the instant each takes
//! effect, and the form that adds one — a select for every setting with a
//! fixed set of values, the instant in the billing zone, and what was typed
//! kept when a value is refused.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use billing_app::{AppError, AppResult, Billing};
use billing_domain::calendar::BillingZone;
use billing_domain::policy::{Policy, policy_in_force};
use chrono::NaiveDateTime;

use crate::auth::{Operator, Session};
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{PageResult, html, see_other};
use crate::state::ConsoleState;

/// The zone policy instants are shown and typed in.
const ZONE: BillingZone = BillingZone::DEFAULT;
/// `datetime-local` values.
const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// One policy version in the table.
struct VersionRow {
    version: u32,
    effective_from: String,
    in_force: bool,
    settings: Vec<(&'static str, String)>,
}

/// One field of the new-version form: a select when the setting takes one
/// of a few values, else a text box with a hint.
struct SettingField {
    name: &'static str,
    value: String,
    choices: &'static [&'static str],
    hint: String,
}

#[derive(Template)]
#[template(path = "operator_policy.html")]
struct PolicyPage {
    layout: crate::page::Layout,
    versions: Vec<VersionRow>,
    fields: Vec<SettingField>,
    effective_from: String,
    zone: String,
    error: Option<(String, String)>,
}

/// The values a setting takes when there are few of them, else the
/// message id of the hint under its text box.
fn choices(name: &str) -> (&'static [&'static str], &'static str) {
    match name {
        "proration_unit" => (&["day", "second"], ""),
        "resource_plan_partial_refund" => (&["true", "false"], ""),
        "full_refunds_per_year" => (&[], "policy-hint-count"),
        "resource_plan_window" => (&[], "policy-hint-window"),
        _ => (&[], "policy-hint-span"),
    }
}

/// The page, with the form holding `typed` (else the newest version's
/// values) and `error` above it.
async fn page(
    billing: &Billing,
    session: &Session,
    typed: Option<&FormData>,
    error: Option<(String, String)>,
    notice: Option<String>,
) -> AppResult<PolicyPage> {
    let l = session.locale;
    let versions = billing.operations().policy_versions().await?;
    let now = billing.now();
    let in_force = policy_in_force(&versions, now).map(|v| v.version);
    let latest = versions.iter().max_by_key(|v| v.version).map(|v| v.policy).unwrap_or_default();
    let rows = versions
        .iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            effective_from: fmt::date_time(l, ZONE, v.effective_from),
            in_force: Some(v.version) == in_force,
            settings: v.policy.settings().to_vec(),
        })
        .collect();
    let fields = latest
        .settings()
        .into_iter()
        .map(|(name, value)| {
            let (choices, hint) = choices(name);
            let value = typed.map_or(value, |form| form.text(name).to_owned());
            let hint = if hint.is_empty() { String::new() } else { l.t(hint) };
            SettingField { name, value, choices, hint }
        })
        .collect();
    let next_hour = now.checked_add_signed(chrono::Duration::hours(1)).unwrap_or(now);
    let effective_from = match typed {
        Some(form) => form.text("effective_from").to_owned(),
        None => ZONE.local_time(next_hour).format(LOCAL_FORMAT).to_string(),
    };
    // The offset is read off the English form, which ends in it.
    let offset = fmt::date_time(Locale::EnUs, ZONE, now);
    Ok(PolicyPage {
        layout: session.layout(&l.t("nav-refund-policy"), "/console/operator/policy").with_notice(notice),
        versions: rows,
        fields,
        effective_from,
        zone: format!("{} ({})", offset.rsplit(' ').next().unwrap_or(""), ZONE.name()),
        error,
    })
}

/// `GET /console/operator/policy`.
pub async fn form(
    State(state): State<ConsoleState>,
    Operator(session): Operator,
    RawQuery(query): RawQuery,
) -> PageResult {
    let billing = &state.billing;
    let versions = billing.operations().policy_versions().await.map_err(|e| session.fail(e))?;
    let added = FormData::query(query.as_deref()).text("added").to_owned();
    let notice = versions
        .iter()
        .any(|v| v.version.to_string() == added)
        .then(|| session.locale.t1("policy-added", "version", added));
    let page = page(billing, &session, None, None, notice).await.map_err(|e| session.fail(e))?;
    Ok(html(&page))
}

/// Reads a `datetime-local` value as a wall-clock time in the billing zone.
fn parse_local(text: &str) -> AppResult<chrono::DateTime<chrono::Utc>> {
    let invalid = || AppError::invalid("effective_from", "give a date and time like 2026-06-01T00:00");
    let local = [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(invalid)?;
    ZONE.instant_of_local(local).ok_or_else(invalid)
}

/// The policy the form describes, starting from `base`.
fn policy_from(form: &FormData, mut base: Policy) -> AppResult<Policy> {
    for name in Policy::SETTINGS {
        base.set(name, form.text(name)).map_err(|e| AppError::invalid(e.setting, e.message))?;
    }
    Ok(base)
}

/// `POST /console/operator/policy`: adds a version, or shows the form again
/// with what was typed and what is wrong with it.
pub async fn submit(State(state): State<ConsoleState>, Operator(session): Operator, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    let billing = &state.billing;
    let add = async {
        let effective_from = parse_local(form.text("effective_from"))?;
        let policy = policy_from(&form, Policy::default())?;
        billing.operations().add_policy_version(&session.caller, effective_from, policy).await
    };
    match add.await {
        Ok(added) => Ok(see_other(&format!("/console/operator/policy?added={}", added.version))),
        Err(e @ (AppError::Invalid { .. } | AppError::InvalidState { .. })) => {
            let l = session.locale;
            let (message, details) = match &e {
                AppError::Invalid { field, message } => {
                    // English names the setting in words; other languages by its name.
                    let args =
                        [("field", field.replace('_', " ").into()), ("name", field.into()), ("why", message.into())];
                    let words = l.t_args("policy-invalid", &args);
                    (words, format!("{} · field {field}", e.code()))
                }
                other if l == Locale::EnUs => (fmt::sentence(&other.to_string()), other.code().to_owned()),
                other => (crate::page::error_message(l, other.code()), other.code().to_owned()),
            };
            let page = page(billing, &session, Some(&form), Some((message, details)), None)
                .await
                .map_err(|e| session.fail(e))?;
            let mut response = html(&page);
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(session.fail(e)),
    }
}
