//! Developers: an account's webhook endpoints with their recent deliveries
//! (status and latency) and a redeliver button, a form to add one (its
//! secret shown once), and the operator's list of failing endpoints.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use billing_app::events::EventType;
use billing_app::webhooks::{EndpointRequest, EndpointStatus, WebhookEndpoint};
use billing_app::{AppError, AppResult, Billing, Caller};
use billing_domain::calendar::BillingZone;
use billing_domain::ids::EventId;

use crate::auth::{Customer, Operator};
use crate::fmt;
use crate::forms::FormData;
use crate::page::{Layout, PageResult, html, parse_id, see_other};
use crate::state::ConsoleState;

/// Attempts shown per endpoint.
const RECENT: i64 = 10;

/// One attempt, in words.
pub struct AttemptRow {
    pub event_id: String,
    pub at: String,
    pub outcome: String,
    pub ok: bool,
    pub latency: String,
}

/// One endpoint with its recent attempts.
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub account: String,
    pub types: String,
    pub status: String,
    pub failing_since: Option<String>,
    pub attempts: Vec<AttemptRow>,
}

async fn endpoint_rows(
    billing: &Billing,
    caller: &Caller,
    endpoints: &[WebhookEndpoint],
    zone: BillingZone,
    l: crate::i18n::Locale,
) -> AppResult<Vec<EndpointRow>> {
    let mut rows = Vec::with_capacity(endpoints.len());
    for e in endpoints {
        let attempts = billing.webhooks().endpoint_attempts(caller, &e.id, RECENT).await?;
        let status = match (e.status, e.disabled_reason.as_deref()) {
            (EndpointStatus::Enabled, _) => l.t("webhook-enabled"),
            (EndpointStatus::Disabled, Some("gone")) => l.t("webhook-disabled-gone"),
            (EndpointStatus::Disabled, Some("failing")) => l.t("webhook-disabled-failing"),
            (EndpointStatus::Disabled, _) => l.t("webhook-disabled"),
        };
        rows.push(EndpointRow {
            id: e.id.to_string(),
            url: e.url.clone(),
            account: e.account_id.as_ref().map_or_else(|| l.t("webhook-every-account"), ToString::to_string),
            types: if e.event_types.is_empty() {
                l.t("webhook-every-event")
            } else {
                e.event_types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
            },
            status,
            failing_since: e.failing_since.map(|t| fmt::date_time(l, zone, t)),
            attempts: attempts
                .iter()
                .map(|a| AttemptRow {
                    event_id: a.event_id.to_string(),
                    at: fmt::date_time(l, zone, a.attempted_at),
                    outcome: match (a.status_code, &a.error) {
                        (Some(code), _) => format!("HTTP {code}"),
                        (None, Some(error)) => error.clone(),
                        (None, None) => l.t("webhook-no-answer"),
                    },
                    ok: a.succeeded,
                    latency: format!("{} ms", a.latency_ms),
                })
                .collect(),
        });
    }
    Ok(rows)
}

#[derive(Template)]
#[template(path = "developers.html")]
struct DevelopersPage {
    layout: Layout,
    rows: Vec<EndpointRow>,
    types: Vec<&'static str>,
    /// The secret of the endpoint just added, shown this once.
    secret: Option<(String, String)>,
}

async fn page(state: &ConsoleState, session: &crate::auth::Session, secret: Option<(String, String)>) -> PageResult {
    let billing = &state.billing;
    let load = async {
        let endpoints = billing.webhooks().webhook_endpoints(&session.caller).await?;
        endpoint_rows(billing, &session.caller, &endpoints, session.zone(billing).await?, session.locale).await
    };
    let rows = load.await.map_err(|e| session.fail(e))?;
    let types = EventType::ALL.iter().map(|t| t.as_str()).collect();
    Ok(html(&DevelopersPage {
        layout: session.layout(&session.locale.t("nav-developers"), "/console/developers"),
        rows,
        types,
        secret,
    }))
}

/// `GET /console/developers`.
pub async fn list(State(state): State<ConsoleState>, Customer(session): Customer) -> PageResult {
    page(&state, &session, None).await
}

/// `POST /console/developers/endpoints`: registers an endpoint and shows
/// its secret once, on the page this answers (never in a redirect).
pub async fn add(State(state): State<ConsoleState>, Customer(session): Customer, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    let event_types = form
        .all("event_type")
        .map(|value| value.parse::<EventType>().map_err(|e| AppError::invalid("event_type", e)))
        .collect::<AppResult<Vec<_>>>()
        .map_err(|e| session.fail(e))?;
    let request = EndpointRequest {
        account_id: None,
        url: form.text("url").trim().to_owned(),
        event_types,
        description: form.text("description").to_owned(),
    };
    let endpoint = state
        .billing
        .webhooks()
        .create_webhook_endpoint(&session.caller, request)
        .await
        .map_err(|e| session.fail(e))?;
    page(&state, &session, Some((endpoint.url, endpoint.secret))).await
}

/// `POST /console/developers/events/{id}/redeliver`.
pub async fn redeliver(
    State(state): State<ConsoleState>,
    Customer(session): Customer,
    Path(id): Path<String>,
) -> PageResult {
    let id: EventId = parse_id(&id).map_err(|e| session.fail(e))?;
    state.billing.webhooks().redeliver_event(&session.caller, &id, None).await.map_err(|e| session.fail(e))?;
    Ok(see_other("/console/developers"))
}

#[derive(Template)]
#[template(path = "operator_webhooks.html")]
struct FailingPage {
    layout: Layout,
    rows: Vec<EndpointRow>,
}

/// `GET /console/operator/webhooks`: endpoints failing now or disabled by
/// the service.
pub async fn failing(State(state): State<ConsoleState>, Operator(session): Operator) -> PageResult {
    let billing = &state.billing;
    let load = async {
        let endpoints: Vec<WebhookEndpoint> = billing
            .webhooks()
            .webhook_endpoints(&session.caller)
            .await?
            .into_iter()
            .filter(|e| e.failing_since.is_some() || matches!(e.disabled_reason.as_deref(), Some("gone" | "failing")))
            .collect();
        endpoint_rows(billing, &session.caller, &endpoints, session.zone(billing).await?, session.locale).await
    };
    let rows = load.await.map_err(|e| session.fail(e))?;
    Ok(html(&FailingPage {
        layout: session.layout(&session.locale.t("webhooks-title"), "/console/operator/webhooks"),
        rows,
    }))
}
