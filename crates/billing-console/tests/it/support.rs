//! A console over a fresh SQLite database with two customers and an
//! operator, and a tiny cookie-keeping client.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use billing_app::clock::ManualClock;
use billing_app::model::BillingMethod;
use billing_app::purchase::{QuotaPurchase, TenderInput};
use billing_app::{Billing, Caller};
use billing_console::{ConsoleState, router};
use billing_domain::ids::{InstanceId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_store::{SimulatedChannel, SimulatedChannelSettings, SqlStore, StoreOptions};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct Console {
    pub router: Router,
    pub billing: Billing,
    pub clock: Arc<ManualClock>,
    pub operator: String,
    pub alice: Customer,
    pub bob: Customer,
}

pub struct Customer {
    pub key: String,
    pub caller: Caller,
    pub workspace_id: WorkspaceId,
    pub quota_id: InstanceId,
}

/// An answer: status, headers and body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let start = self.text.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        self.text[start..].split('"').next().unwrap().to_owned()
    }

    /// The `name=value` part of each Set-Cookie header.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect()
    }
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

async fn customer(billing: &Billing, name: &str) -> Customer {
    let op = Caller::Operator;
    let account = billing.accounts().create_account(&op, name, Currency::Usd).await.unwrap();
    let usd = Money::parse(Currency::Usd, "50000.00").unwrap();
    billing.purchases().record_transfer(&op, &account.id, usd).await.unwrap();
    let caller = Caller::Customer(account.id.clone());
    let ws = billing
        .accounts()
        .create_workspace(&caller, &account.id, "ap-southeast-1", "etl", BillingMethod::Hybrid)
        .await
        .unwrap();
    billing.accounts().add_job(&caller, &ws.id, "daily.py", "print('hi')").await.unwrap();
    let tender = TenderInput {
        method: PaymentMethodKind::Balance,
        payment_method_id: None,
        amount: Money::parse(Currency::Usd, "805.25").unwrap(),
    };
    let request = QuotaPurchase {
        account_id: account.id.clone(),
        workspace_id: ws.id.clone(),
        cu: 25,
        months: 1,
        benefit_ids: vec![],
        tenders: Some(vec![tender]),
        auto_renew: false,
    };
    let quota = billing.purchases().buy_quota(&caller, &request).await.unwrap();
    let (_, key) = billing.accounts().create_api_key(&op, Some(&account.id), "tests").await.unwrap();
    Customer { key, caller, workspace_id: ws.id, quota_id: quota.instance.id }
}

pub async fn console() -> Console {
    let dir = std::env::temp_dir().join("spark-billing-console-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join(format!("{}.sqlite3", billing_app::ids::new_id("c"))).display());
    let store = Arc::new(SqlStore::connect(&url, StoreOptions::default()).await.unwrap());
    let clock = Arc::new(ManualClock::new(at("2026-03-10T14:23:05+08:00")));
    let channel = Arc::new(SimulatedChannel::new(&store, SimulatedChannelSettings::default()));
    let billing = Billing::new(store, clock.clone()).with_channel(channel);
    billing.operations().ensure_catalog().await.unwrap();
    let (_, operator) = billing.accounts().create_api_key(&Caller::Operator, None, "operator").await.unwrap();
    let alice = customer(&billing, "alice").await;
    let bob = customer(&billing, "bob").await;
    let router = router(ConsoleState::new(billing.clone()));
    Console { router, billing, clock, operator, alice, bob }
}

impl Console {
    pub async fn send(&self, method: Method, path: &str, cookies: &[String], form: Option<String>) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if !cookies.is_empty() {
            request = request.header(header::COOKIE, cookies.join("; "));
        }
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let response = self.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, path: &str, cookies: &[String]) -> Answer {
        self.send(Method::GET, path, cookies, None).await
    }

    pub async fn post(&self, path: &str, cookies: &[String], form: &str) -> Answer {
        self.send(Method::POST, path, cookies, Some(form.to_owned())).await
    }

    /// Signs in with `key` through the form; returns the session cookie.
    pub async fn sign_in(&self, key: &str) -> Vec<String> {
        let form = self.get("/console/sign-in", &[]).await;
        let nonce = form.cookies();
        let answer = self.post("/console/sign-in", &nonce, &format!("csrf={}&api_key={key}", form.csrf())).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
        answer.cookies().into_iter().filter(|c| c.starts_with("sb_session=")).collect()
    }
}
