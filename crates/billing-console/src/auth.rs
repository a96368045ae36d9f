//! Who is signed in, resolved per request from the session cookie, and the
//! CSRF guard in front of every form.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use billing_app::AppError;
use billing_app::model::Account;
use billing_app::{AppResult, Caller};
use billing_domain::ids::AccountId;

use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, NavItem, PageError, see_other};
use crate::session::{
    SESSION_COOKIE, SIGN_IN_COOKIE, Secret, SessionClaims, csrf_token, csrf_valid, read_cookie, sign_in_nonce_valid,
    verify_session,
};
use crate::state::{ConsoleState, Keys};

/// Largest form body accepted, in bytes.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Where forms of the sign-in page are posted.
pub const SIGN_IN_PATH: &str = "/console/sign-in";

/// The signed-in visitor.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who they act as.
    pub caller: Caller,
    /// Their account, for customers.
    pub account: Option<Account>,
    /// The CSRF token their forms carry.
    pub csrf: String,
    /// The language their pages are written in.
    pub locale: Locale,
}

/// The values of every `Cookie` header.
pub fn cookie_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok())
}

/// The first of `keys` that passes `check`.
fn first_passing<T>(keys: &Keys, check: impl Fn(&Secret) -> Option<T>) -> Option<(Secret, T)> {
    keys.verifying.iter().find_map(|key| check(key).map(|found| (key.clone(), found)))
}

/// Checks a session cookie's signature and expiry with every key in force,
/// asking the database for its secret again once when none verifies it.
pub async fn claims_of(state: &ConsoleState, cookie: &str) -> AppResult<Option<(Secret, SessionClaims)>> {
    let now = state.unix_now();
    let check = |key: &Secret| verify_session(key, cookie, now).ok();
    if let Some(found) = first_passing(&state.keys().await?, check) {
        return Ok(Some(found));
    }
    Ok(state.refreshed_keys().await?.and_then(|keys| first_passing(&keys, check)))
}

impl Session {
    /// The session of a request, or `None` when it has no valid one: a
    /// cookie this server did not sign, a session that has ended or expired,
    /// or one whose key has been revoked.
    pub async fn of(state: &ConsoleState, headers: &HeaderMap) -> AppResult<Option<Session>> {
        let Some(cookie) = read_cookie(cookie_values(headers), SESSION_COOKIE) else { return Ok(None) };
        let Some((secret, claims)) = claims_of(state, cookie).await? else { return Ok(None) };
        let Some(caller) = state.billing.accounts().session_caller(&claims.session_id, state.now()).await? else {
            return Ok(None);
        };
        let account = match &caller {
            Caller::Customer(id) => Some(state.billing.accounts().account(&caller, id).await?),
            _ => None,
        };
        let locale = Locale::of_account(account.as_ref().and_then(|a| a.locale.as_deref()), headers);
        Ok(Some(Session { caller, account, csrf: csrf_token(&secret, cookie), locale }))
    }

    /// The zone every instant is shown in: the billing zone of the regions
    /// that settle in the customer's currency (a customer buys only there),
    /// and the service's default billing zone for operators.
    pub async fn zone(&self, billing: &billing_app::Billing) -> AppResult<billing_domain::calendar::BillingZone> {
        let Some(account) = &self.account else { return Ok(billing_domain::calendar::BillingZone::DEFAULT) };
        let regions = billing.operations().regions().await?;
        let mut zones = regions.iter().filter(|r| r.currency() == account.currency).map(|r| r.zone);
        Ok(zones.next().unwrap_or_default())
    }

    /// True for operators.
    pub fn is_operator(&self) -> bool {
        !matches!(self.caller, Caller::Customer(_))
    }

    /// The customer's account id; an operator has none.
    pub fn account_id(&self) -> Result<&AccountId, AppError> {
        self.account.as_ref().map(|a| &a.id).ok_or_else(|| AppError::not_found("account", "operator"))
    }

    /// The page frame for this visitor, with `current` marked in the menu.
    pub fn layout(&self, title: &str, current: &str) -> Layout {
        let links: &[(&str, &str)] = if self.is_operator() {
            &[
                ("/console/operator", "nav-overview"),
                ("/console/operator/accounts", "nav-accounts"),
                ("/console/operator/refunds", "nav-refunds"),
                ("/console/documents", "nav-documents"),
                ("/console/operator/audit", "nav-audit-log"),
                ("/console/operator/policy", "nav-refund-policy"),
                ("/console/operator/webhooks", "nav-webhooks"),
            ]
        } else {
            &[
                ("/console/workspaces", "nav-workspaces"),
                ("/console/unsubscribe", "nav-unsubscribe"),
                ("/console/plans", "nav-resource-plans"),
                ("/console/bills", "nav-bills"),
                ("/console/refunds", "nav-refunds"),
                ("/console/documents", "nav-documents"),
                ("/console/developers", "nav-developers"),
            ]
        };
        let l = self.locale;
        let nav = links.iter().map(|(href, id)| NavItem { href, label: l.t(id), current: *href == current }).collect();
        let (who, balance) = match &self.account {
            Some(a) => (a.name.clone(), crate::fmt::money(l, a.balance)),
            None => (l.t("who-operator"), String::new()),
        };
        Layout {
            title: title.to_owned(),
            signed_in: true,
            who,
            balance,
            csrf: self.csrf.clone(),
            nav,
            notice: None,
            locale: l,
        }
    }

    /// Turns a use-case error into a page inside this visitor's frame.
    pub fn fail(&self, e: impl Into<PageError>) -> PageError {
        e.into().in_layout(self.layout(&self.locale.t("title-error"), ""))
    }
}

impl FromRequestParts<ConsoleState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ConsoleState) -> Result<Self, Self::Rejection> {
        match Session::of(state, &parts.headers).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(see_other(SIGN_IN_PATH)),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// A signed-in customer (operators are sent to their own pages).
#[derive(Clone, Debug)]
pub struct Customer(pub Session);

impl FromRequestParts<ConsoleState> for Customer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ConsoleState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        if session.is_operator() {
            return Err(see_other("/console/operator"));
        }
        Ok(Customer(session))
    }
}

/// A signed-in operator (customers get a 403 page).
#[derive(Clone, Debug)]
pub struct Operator(pub Session);

impl FromRequestParts<ConsoleState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ConsoleState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        if !session.is_operator() {
            let layout = session.layout(&session.locale.t("title-forbidden"), "");
            return Err(PageError::operators_only().in_layout(layout).into_response());
        }
        Ok(Operator(session))
    }
}

/// Whether a form's token matches what it must be bound to: the sign-in
/// cookie on the sign-in page, the session cookie everywhere else.
fn token_ok(secret: &Secret, now: i64, path: &str, headers: &HeaderMap, token: &str) -> bool {
    let cookies = || cookie_values(headers);
    if path == SIGN_IN_PATH {
        let nonce = read_cookie(cookies(), SIGN_IN_COOKIE).unwrap_or("");
        return sign_in_nonce_valid(secret, nonce, now) && csrf_valid(secret, nonce, token);
    }
    csrf_valid(secret, read_cookie(cookies(), SESSION_COOKIE).unwrap_or(""), token)
}

/// Refuses, with 403 and no effect, every POST whose `csrf` field is not
/// the token bound to the visitor's cookie; passes the body on otherwise.
pub async fn csrf_guard(State(state): State<ConsoleState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return PageError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE", "The form is too large.")
            .into_response();
    };
    let token = FormData::parse(&bytes).text("csrf").to_owned();
    let keys = match state.keys().await {
        Ok(keys) => keys,
        Err(e) => return PageError::from(e).into_response(),
    };
    let now = state.unix_now();
    let check = |key: &Secret| token_ok(key, now, parts.uri.path(), &parts.headers, &token).then_some(());
    let mut ok = first_passing(&keys, check).is_some();
    if !ok && let Ok(Some(fresh)) = state.refreshed_keys().await {
        ok = first_passing(&fresh, check).is_some();
    }
    if !ok {
        return PageError::csrf().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Adds headers that keep pages from being framed, sniffed or leaking
/// their address, and a content policy that allows no script but the
/// console's own file.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                  frame-ancestors 'none'; base-uri 'none'";
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, axum::http::HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    }
    response
}
