//! A router over a fresh SQLite database, keys for an operator and two
//! customers, and request helpers.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use billing_api::{ApiState, router};
use billing_app::clock::ManualClock;
use billing_app::model::BillingMethod;
use billing_app::{Billing, Caller};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_store::{SqlStore, StoreOptions};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct Api {
    pub router: Router,
    pub billing: Billing,
    pub clock: Arc<ManualClock>,
    pub operator: String,
    pub alice: Customer,
    pub bob: Customer,
}

pub struct Customer {
    pub key: String,
    pub account_id: String,
    pub card_id: String,
    pub workspace_id: String,
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

async fn customer(billing: &Billing, name: &str) -> Customer {
    let account = billing.create_account(&Caller::Operator, name, Currency::Usd).await.unwrap();
    let usd = Money::parse(Currency::Usd, "50000.00").unwrap();
    billing.top_up(&Caller::Operator, &account.id, usd, PaymentMethodKind::BankTransfer).await.unwrap();
    let caller = Caller::Customer(account.id.clone());
    let card = billing.add_payment_method(&caller, &account.id, PaymentMethodKind::Card, "Visa").await.unwrap();
    let ws =
        billing.create_workspace(&caller, &account.id, "ap-southeast-1", "etl", BillingMethod::Hybrid).await.unwrap();
    let (_, key) = billing.create_api_key(&Caller::Operator, Some(&account.id), "tests").await.unwrap();
    Customer { key, account_id: account.id, card_id: card.id, workspace_id: ws.id }
}

pub async fn api() -> Api {
    let dir = std::env::temp_dir().join("spark-billing-api-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join(format!("{}.sqlite3", uuid_like())).display());
    let store = Arc::new(SqlStore::connect(&url, StoreOptions::default()).await.unwrap());
    let clock = Arc::new(ManualClock::new(at("2026-03-10T14:23:05+08:00")));
    let billing = Billing::new(store, clock.clone());
    billing.ensure_catalog().await.unwrap();
    let (_, operator) = billing.create_api_key(&Caller::Operator, None, "operator").await.unwrap();
    let alice = customer(&billing, "alice").await;
    let bob = customer(&billing, "bob").await;
    let router = router(ApiState::new(billing.clone(), 0));
    Api { router, billing, clock, operator, alice, bob }
}

fn uuid_like() -> String {
    billing_app::ids::new_id("api")
}

/// An answer: status, headers and JSON (or text) body.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl Api {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Some(json) => request.header("content-type", "application/json").body(Body::from(json.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, content_type, body, text }
    }

    pub async fn get(&self, path: &str, key: &str) -> Answer {
        self.call(Method::GET, path, Some(key), None, &[]).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(key), Some(body), &[]).await
    }

    pub async fn post_idem(&self, path: &str, key: &str, idem: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(key), Some(body), &[("idempotency-key", idem)]).await
    }
}

impl Answer {
    /// Asserts a problem answer with `status` and `code`.
    pub fn problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.content_type, "application/problem+json", "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status.as_u16());
    }
}
