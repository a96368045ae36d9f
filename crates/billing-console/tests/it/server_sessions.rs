//! Sessions kept on the server: signing out ends them for every copy of the
//! cookie; keys given from outside the database rotate; cookies can be
//! marked `Secure`.

use std::sync::Arc;

use axum::http::StatusCode;
use billing_app::clock::{Clock, ManualClock, SystemClock};
use billing_app::keyring::Keyring;
use billing_console::ConsoleState;
use chrono::Duration;

use crate::support::console;

const OLD_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const NEW_KEY: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

#[tokio::test]
async fn a_copied_session_cookie_stops_working_once_its_session_signs_out() {
    let mut c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let copied = session.clone();
    let page = c.get("/console/workspaces", &session).await;
    assert_eq!(page.status, StatusCode::OK);
    let out = c.post("/console/sign-out", &session, &format!("csrf={}", page.csrf())).await;
    assert_eq!(out.location(), "/console/sign-in");
    assert!(out.cookies().iter().any(|cookie| cookie == "sb_session="), "the browser is told to forget it");
    assert_eq!(c.get("/console/workspaces", &copied).await.location(), "/console/sign-in");
    // Another replica over the same database refuses it too.
    c.router = billing_console::router(ConsoleState::new(c.billing.clone()));
    assert_eq!(c.get("/console/workspaces", &copied).await.location(), "/console/sign-in");
    // Signing in again starts a new session that works.
    let again = c.sign_in(&c.alice.key).await;
    assert_eq!(c.get("/console/workspaces", &again).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_session_ends_when_its_api_key_is_revoked() {
    let c = console().await;
    let session = c.sign_in(&c.operator).await;
    assert_eq!(c.get("/console/operator", &session).await.status, StatusCode::OK);
    let keys = c.billing.accounts().api_keys(&billing_app::Caller::Operator, None).await.unwrap();
    let operator_key = keys.iter().find(|k| k.account_id.is_none()).unwrap();
    c.billing.accounts().revoke_api_key(&billing_app::Caller::Operator, &operator_key.id).await.unwrap();
    assert_eq!(c.get("/console/operator", &session).await.location(), "/console/sign-in");
}

#[tokio::test]
async fn a_cookie_signed_with_a_retired_key_works_until_the_key_runs_out() {
    let mut c = console().await;
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let state = |ring: &str| {
        let ring = Keyring::parse(ring).unwrap();
        ConsoleState::new(c.billing.clone()).with_keys(ring).with_clock(clock.clone())
    };
    c.router = billing_console::router(state(OLD_KEY));
    let session = c.sign_in(&c.alice.key).await;
    // Rotated: the new key signs, the old one verifies for one more hour.
    let until = (clock.now() + Duration::hours(1)).to_rfc3339();
    c.router = billing_console::router(state(&format!("{NEW_KEY}\n{OLD_KEY} until {until}")));
    let page = c.get("/console/workspaces", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    // Its forms still carry a token the server accepts.
    let renew = format!("/console/workspaces/{}/renew", c.alice.workspace_id);
    assert_eq!(c.get(&renew, &session).await.status, StatusCode::OK);
    clock.advance(Duration::hours(2));
    assert_eq!(c.get("/console/workspaces", &session).await.location(), "/console/sign-in");
    // A session signed with the new key works at the same moment.
    let fresh = c.sign_in(&c.alice.key).await;
    assert_eq!(c.get("/console/workspaces", &fresh).await.status, StatusCode::OK);
    // Once the old key leaves the list, the new key's sessions go on.
    c.router = billing_console::router(state(NEW_KEY));
    assert_eq!(c.get("/console/workspaces", &fresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn cookies_are_marked_secure_when_the_console_is_told_to() {
    let mut c = console().await;
    let plain = c.get("/console/sign-in", &[]).await;
    assert!(plain.headers.get_all("set-cookie").iter().all(|v| !v.to_str().unwrap().contains("Secure")));
    c.router = billing_console::router(ConsoleState::new(c.billing.clone()).with_secure_cookies(true));
    let form = c.get("/console/sign-in", &[]).await;
    let nonce = form.cookies();
    let body = format!("csrf={}&api_key={}", form.csrf(), c.alice.key);
    let signed_in = c.post("/console/sign-in", &nonce, &body).await;
    let set: Vec<String> = [&form, &signed_in]
        .iter()
        .flat_map(|a| a.headers.get_all("set-cookie"))
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(set.len(), 3, "{set:?}");
    assert!(set.iter().all(|cookie| cookie.ends_with("; Secure")), "{set:?}");
}
