//! Signing in with an API key, and out again.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use billing_app::Caller;

use crate::auth::{Session, claims_of, cookie_values};
use crate::forms::FormData;
use crate::i18n::{LANG_COOKIE, Locale};
use crate::page::{Layout, PageError, PageResult, html, see_other, see_other_with_cookies};
use crate::session::{
    SESSION_COOKIE, SESSION_TTL_SECONDS, SIGN_IN_COOKIE, SIGN_IN_TTL_SECONDS, clear_cookie, csrf_token, read_cookie,
    set_cookie, sign_in_nonce, sign_in_nonce_valid, sign_session,
};
use crate::state::ConsoleState;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    csrf: String,
    error: Option<String>,
}

/// How long a language chosen with the switch is remembered, in seconds.
const LANG_TTL_SECONDS: i64 = 365 * 24 * 60 * 60;

/// Where a signed-in visitor starts.
fn start_page(caller: &Caller) -> &'static str {
    match caller {
        Caller::Customer(_) => "/console/workspaces",
        _ => "/console/operator",
    }
}

/// `GET /console`: the start page when signed in, else the sign-in form.
pub async fn home(State(state): State<ConsoleState>, headers: HeaderMap) -> PageResult {
    Ok(match Session::of(&state, &headers).await? {
        Some(session) => see_other(start_page(&session.caller)),
        None => see_other("/console/sign-in"),
    })
}

/// `GET /console/sign-in`: the form, bound to this browser by a signed
/// nonce cookie.
pub async fn form(State(state): State<ConsoleState>, headers: HeaderMap, RawQuery(query): RawQuery) -> PageResult {
    let chosen = Locale::from_tag(FormData::query(query.as_deref()).text("lang"));
    let locale = chosen.unwrap_or_else(|| Locale::of_request(&headers));
    let secret = state.keys().await.map_err(|e| PageError::from(e).in_locale(locale))?.signing;
    let now = state.unix_now();
    let held = read_cookie(cookie_values(&headers), SIGN_IN_COOKIE).filter(|n| sign_in_nonce_valid(&secret, n, now));
    let nonce = held.map_or_else(|| sign_in_nonce(&secret, now + SIGN_IN_TTL_SECONDS), str::to_owned);
    let layout = Layout::public(&locale.t("sign-in-title"), locale);
    let page = SignInPage { layout, csrf: csrf_token(&secret, &nonce), error: None };
    let mut response = html(&page);
    if let Some(chosen) = chosen {
        add_cookie(&mut response, &set_cookie(LANG_COOKIE, chosen.tag(), LANG_TTL_SECONDS, state.secure_cookies()));
    }
    if held.is_none() {
        let cookie = set_cookie(SIGN_IN_COOKIE, &nonce, SIGN_IN_TTL_SECONDS, state.secure_cookies());
        add_cookie(&mut response, &cookie);
    }
    Ok(response)
}

fn add_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = axum::http::HeaderValue::from_str(cookie) {
        response.headers_mut().append(axum::http::header::SET_COOKIE, value);
    }
}

/// `POST /console/sign-in`: checks the key and starts a session, kept in
/// the database and named by the cookie.
pub async fn submit(State(state): State<ConsoleState>, headers: HeaderMap, body: Bytes) -> PageResult {
    let form = FormData::parse(&body);
    let key = form.text("api_key");
    let ttl = chrono::Duration::seconds(SESSION_TTL_SECONDS);
    let Some((caller, session)) = state.billing.accounts().start_session(key, state.now(), ttl).await? else {
        let secret = state.keys().await?.signing;
        let nonce = read_cookie(cookie_values(&headers), SIGN_IN_COOKIE).unwrap_or("");
        let locale = Locale::of_request(&headers);
        let error = Some(locale.t("sign-in-key-refused"));
        let layout = Layout::public(&locale.t("sign-in-title"), locale);
        let page = SignInPage { layout, csrf: csrf_token(&secret, nonce), error };
        let mut response = html(&page);
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(response);
    };
    let secret = state.keys().await?.signing;
    let value = sign_session(&secret, &session.id, session.expires_at.timestamp());
    let secure = state.secure_cookies();
    let cookies =
        [set_cookie(SESSION_COOKIE, &value, SESSION_TTL_SECONDS, secure), clear_cookie(SIGN_IN_COOKIE, secure)];
    Ok(see_other_with_cookies(start_page(&caller), &cookies))
}

/// `POST /console/sign-out`: ends the session on the server, so that no
/// copy of its cookie signs in again, and forgets it in this browser.
pub async fn sign_out(State(state): State<ConsoleState>, headers: HeaderMap) -> PageResult {
    if let Some(cookie) = read_cookie(cookie_values(&headers), SESSION_COOKIE)
        && let Some((_, claims)) = claims_of(&state, cookie).await?
    {
        state.billing.accounts().end_session(&claims.session_id, state.now()).await?;
    }
    Ok(see_other_with_cookies("/console/sign-in", &[clear_cookie(SESSION_COOKIE, state.secure_cookies())]))
}

/// The console page a `Referer` names, so the language switch returns to
/// the page it was used on; the start page for anything else.
fn back_to(headers: &HeaderMap) -> String {
    let referer = headers.get(axum::http::header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let path = url::Url::parse(referer).ok().map(|u| match u.query() {
        Some(query) => format!("{}?{query}", u.path()),
        None => u.path().to_owned(),
    });
    path.filter(|p| p.starts_with("/console/") && !p.starts_with("/console/sign-out"))
        .unwrap_or_else(|| "/console".to_owned())
}

/// `POST /console/language`: the language switch. A customer's choice is
/// kept with the account (so it follows them to any browser); every
/// choice is also remembered in this browser, for the sign-in page.
pub async fn choose_language(
    State(state): State<ConsoleState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form = FormData::parse(&body);
    let Some(locale) = Locale::from_tag(form.text("locale")) else {
        let invalid = billing_app::AppError::invalid("locale", "must be en-US or zh-CN");
        return Err(session.fail(invalid));
    };
    if let Some(account) = &session.account {
        state
            .billing
            .accounts()
            .set_account_locale(&session.caller, &account.id, Some(locale.tag()))
            .await
            .map_err(|e| session.fail(e))?;
    }
    let cookie = set_cookie(LANG_COOKIE, locale.tag(), LANG_TTL_SECONDS, state.secure_cookies());
    Ok(see_other_with_cookies(&back_to(&headers), &[cookie]))
}
