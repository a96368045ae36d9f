//! A router over a fresh SQLite database, keys for an operator and two
//! customers, and request helpers.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use billing_api::{ApiSettings, ApiState, router};
use billing_app::clock::ManualClock;
use billing_app::model::BillingMethod;
use billing_app::{Billing, Caller};
use billing_domain::ids::{AccountId, WorkspaceId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_store::{SimulatedChannel, SimulatedChannelSettings, SqlStore, StoreOptions};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct Api {
    pub router: Router,
    pub billing: Billing,
    pub store: Arc<SqlStore>,
    pub clock: Arc<ManualClock>,
    pub operator: String,
    pub alice: Customer,
    pub bob: Customer,
}

pub struct Customer {
    pub key: String,
    pub account_id: AccountId,
    pub card_id: String,
    pub workspace_id: WorkspaceId,
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

async fn customer(billing: &Billing, name: &str) -> Customer {
    let account = billing.accounts().create_account(&Caller::Operator, name, Currency::Usd).await.unwrap();
    let usd = Money::parse(Currency::Usd, "50000.00").unwrap();
    billing.purchases().record_transfer(&Caller::Operator, &account.id, usd).await.unwrap();
    let caller = Caller::Customer(account.id.clone());
    let card = billing
        .accounts()
        .add_payment_method(&caller, &account.id, PaymentMethodKind::Card, "4242424242424242")
        .await
        .unwrap();
    let ws = billing
        .accounts()
        .create_workspace(&caller, &account.id, "ap-southeast-1", "etl", BillingMethod::Hybrid)
        .await
        .unwrap();
    let (_, key) = billing.accounts().create_api_key(&Caller::Operator, Some(&account.id), "tests").await.unwrap();
    Customer { key, account_id: account.id, card_id: card.id.into_string(), workspace_id: ws.id }
}

/// Names a PostgreSQL server (see the store's conformance suite).
pub const POSTGRES_ENV: &str = "SPARK_BILLING_TEST_POSTGRES";

/// The API over a fresh SQLite database.
pub async fn api() -> Api {
    api_with(&sqlite_url(), ApiSettings::default()).await
}

/// A URL for a fresh SQLite database.
pub fn sqlite_url() -> String {
    let dir = std::env::temp_dir().join("spark-billing-api-tests");
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}", dir.join(format!("{}.sqlite3", uuid_like())).display())
}

/// The API over a fresh PostgreSQL database and that database's URL, when
/// [`POSTGRES_ENV`] names a server.
pub async fn api_on_postgres() -> Option<(Api, String)> {
    use sqlx::Connection;
    let server = std::env::var(POSTGRES_ENV).ok()?;
    let name = uuid_like().to_ascii_lowercase();
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&name);
    Some((api_with(url.as_str(), ApiSettings::default()).await, url.to_string()))
}

/// The API on SQLite, then on PostgreSQL when a server is named.
pub async fn backends() -> Vec<Api> {
    let mut all = vec![api_with(&sqlite_url(), ApiSettings::default()).await];
    if let Some((api, _)) = api_on_postgres().await {
        all.push(api);
    }
    all
}

/// The API over the (empty) database at `url`, run as `settings` say.
pub async fn api_with(url: &str, settings: ApiSettings) -> Api {
    let store = Arc::new(SqlStore::connect(url, StoreOptions::default()).await.unwrap());
    // The customers and their workspaces are made a week before the tests'
    // now, so that usage of the hours before now comes after them.
    let clock = Arc::new(ManualClock::new(at("2026-03-03T14:23:05+08:00")));
    let channel = Arc::new(SimulatedChannel::new(&store, SimulatedChannelSettings::default()));
    // The use cases the tests call directly count into the API's recorder.
    let exporter = settings.exporter.clone().unwrap_or_default();
    let billing = Billing::new(store.clone(), clock.clone()).with_channel(channel).with_meter(exporter.meter());
    billing.operations().ensure_catalog().await.unwrap();
    let (_, operator) = billing.accounts().create_api_key(&Caller::Operator, None, "operator").await.unwrap();
    let alice = customer(&billing, "alice").await;
    let bob = customer(&billing, "bob").await;
    clock.set(at("2026-03-10T14:23:05+08:00"));
    let router = router(ApiState::new(billing.clone(), ApiSettings { exporter: Some(exporter), ..settings }));
    Api { router, billing, store, clock, operator, alice, bob }
}

fn uuid_like() -> String {
    billing_app::ids::new_id("api")
}

/// An answer: status, headers and JSON (or text) body.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub disposition: Option<String>,
    pub body: Value,
    pub text: String,
    pub bytes: Vec<u8>,
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
        self.answer(request).await
    }

    /// Sends `body` as it is, with `content_type`.
    pub async fn send_text(&self, method: Method, path: &str, key: &str, content_type: &str, body: String) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        self.answer(request).await
    }

    /// Sends `request` as it is.
    pub async fn answer(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        let content_type = header("content-type").unwrap_or_default();
        let disposition = header("content-disposition");
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, content_type, headers, disposition, body, text, bytes: bytes.to_vec() }
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

    pub async fn put(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(key), Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(key), Some(body), &[]).await
    }

    /// Asserts that `path` answers Bob's key exactly like a missing id:
    /// `404 NOT_FOUND` with the same detail once the ids are blanked out.
    pub async fn hidden_from_bob(&self, method: Method, path: &str, id: &str, body: Option<Value>) {
        let headers = [("idempotency-key", "isolation")];
        let other = self.call(method.clone(), path, Some(&self.bob.key), body.clone(), &headers).await;
        other.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
        let missing_path = path.replace(id, "x_missing");
        let missing = self.call(method, &missing_path, Some(&self.bob.key), body, &headers).await;
        missing.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
        let blank = |a: &Answer, s: &str| a.body["detail"].as_str().unwrap().replace(s, "X");
        assert_eq!(blank(&other, id), blank(&missing, "x_missing"), "{path}");
    }
}

impl Answer {
    /// Asserts `status`, showing the body when it differs.
    pub fn ok(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "{}", self.text);
        &self.body
    }

    /// Asserts a `400`/`422` problem naming `field`.
    pub fn names_field(&self, field: &str) {
        assert!(matches!(self.status.as_u16(), 400 | 422), "{}", self.text);
        assert_eq!(self.content_type, "application/problem+json", "{}", self.text);
        assert_eq!(self.body["field"], field, "{}", self.text);
    }

    /// Asserts a problem answer with `status` and `code`.
    pub fn problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.content_type, "application/problem+json", "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status.as_u16());
    }
}
