//! The web console of spark-billing: server-rendered pages under `/console`
//! for customers (workspaces, unsubscription with its itemized review,
//! refunds, resource plans, billing timelines) and operators (accounts,
//! refunds with search and retry, a filtered audit log, ledger check,
//! policy versions, the simulated clock).
//!
//! Pages work without JavaScript: every action is a link or a form. The
//! templates are checked at compile time and escape HTML. Sessions are kept
//! in the database and named by signed cookies (see [`session`]), so any
//! number of replicas serve them and signing out ends them everywhere; every
//! form carries a CSRF token, and a POST without a valid one is refused
//! before any handler runs. Another account's instances,
//! workspaces and refunds answer 404 exactly like missing ones.
#![forbid(unsafe_code)]

pub mod auth;
pub mod fmt;
pub mod forms;
pub mod i18n;
pub mod page;
mod pages;
pub mod session;
pub mod state;
pub mod timeline;
pub mod words;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{any, get, post};

pub use state::ConsoleState;

use crate::page::PageError;
use crate::pages::{
    bills, change, delete_workspace, developers, documents, exports, operator, operator_accounts, operator_audit,
    plans, policy, refunds, renew, review, sign_in, unsubscribe, workspaces,
};

/// The console's stylesheet, served from the binary: the base, the Bills &
/// usage page, then the dark and print schemes (last, so that they win).
const STYLESHEET: &str = concat!(
    include_str!("../static/console.css"),
    include_str!("../static/bills.css"),
    include_str!("../static/schemes.css")
);

/// The console's only script: copy buttons. Pages work without it.
const SCRIPT: &str = include_str!("../static/console.js");

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT,
    )
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLESHEET)
}

fn customer_routes() -> Router<ConsoleState> {
    Router::new()
        .route("/console/workspaces", get(workspaces::list))
        .route("/console/workspaces/{id}/delete", get(delete_workspace::form).post(delete_workspace::submit))
        .route("/console/workspaces/{id}/backup", get(workspaces::backup))
        .route("/console/workspaces/{id}/renew", get(renew::form).post(renew::submit))
        .route("/console/unsubscribe", get(unsubscribe::list))
        .route("/console/instances/{id}", get(plans::instance))
        .route("/console/instances/{id}/unsubscribe", get(review::instance))
        .route("/console/instances/{id}/downgrade", get(change::downgrade))
        .route("/console/instances/{id}/switch", get(change::switch))
        .route("/console/quotes/{id}/change", post(change::confirm))
        .route("/console/quotes/{id}/confirm", post(review::confirm))
        .route("/console/unsubscriptions/{id}", get(refunds::result))
        .route("/console/refunds", get(refunds::list))
        .route("/console/refunds.csv", get(exports::refunds))
        .route("/console/bills", get(bills::page))
        .route("/console/bills/usage.csv", get(exports::usage))
        .route("/console/orders.csv", get(exports::orders))
        .route("/console/refunds/{id}", get(refunds::detail))
        .route("/console/plans", get(plans::list))
        .route("/console/developers", get(developers::list))
        .route("/console/developers/endpoints", post(developers::add))
        .route("/console/developers/events/{id}/redeliver", post(developers::redeliver))
}

fn operator_routes() -> Router<ConsoleState> {
    Router::new()
        .route("/console/operator", get(operator::overview))
        .route("/console/operator/clock", post(operator::advance_clock))
        .route("/console/operator/refunds", get(operator::refunds))
        .route("/console/operator/refunds/{id}", get(operator::refund))
        .route("/console/operator/refunds/{id}/retry", post(operator::retry))
        .route("/console/operator/accounts", get(operator_accounts::list))
        .route("/console/operator/accounts/{id}", get(operator_accounts::show))
        .route("/console/operator/audit", get(operator_audit::audit))
        .route("/console/operator/policy", get(policy::form).post(policy::submit))
        .route("/console/operator/webhooks", get(developers::failing))
}

/// The console's routes with their state. It sets no fallback, so it can be
/// merged with the API's router; unknown `/console/…` paths get the console's
/// own 404 page.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(sign_in::home))
        .route("/console/static/console.css", get(stylesheet))
        .route("/console/static/console.js", get(script))
        .route("/console/static/document.css", get(documents::stylesheet))
        .route("/console/documents", get(documents::list))
        .route("/console/documents/for/{source}", get(documents::of_source))
        .route("/console/documents/{id}", get(documents::show))
        .route("/console/documents/{id}/pdf", get(documents::pdf))
        .route("/console/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/language", post(sign_in::choose_language))
        .merge(customer_routes())
        .merge(operator_routes())
        .route(
            "/console/{*rest}",
            any(|headers: axum::http::HeaderMap| async move {
                PageError::not_found().in_locale(i18n::Locale::of_request(&headers))
            }),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::csrf_guard))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            PageError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Something went wrong on our side; it has been logged.",
            )
            .into_response()
        }))
        .with_state(state)
}
