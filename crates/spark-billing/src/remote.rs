//! Remote mode: with `--server URL --api-key KEY` the operator commands call
//! a running server's HTTP API (see `docs/openapi.json`) instead of opening
//! the database, and print what they print in local mode.
//!
//! The client is ureq, blocking, run on tokio's blocking pool. The API key
//! travels only in the `Authorization` header: it is never printed, and
//! redirects are not followed. An error the server answers with
//! (`application/problem+json`) becomes a [`Problem`], shown as
//! `<detail> (<code>)`; a server that cannot be reached is named by its URL.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use billing_api::dto::{QuoteDto, RefundDto, UnsubscriptionDto, WorkspaceDetailsDto};
use billing_api::routes::api_keys::{ApiKeyDto, ApiKeyRolled};
use billing_api::routes::documents::{DocumentDto, SellerDto};
use billing_api::routes::integrity::{AuditReportDto, LedgerReportDto};
use billing_api::routes::policy::PolicyVersionDto;
use billing_api::routes::usage::ImportOutcomeDto;
use billing_app::unsubscription::Backup;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::Global;

/// Largest answer read, in bytes: backups of big workspaces included.
const MAX_ANSWER_BYTES: u64 = 1 << 30;

/// The top-level keys of a quote in the order local mode prints them
/// (`QuoteView::json`); the API's `QuoteDto` starts with the ids instead.
const QUOTE_KEYS: [&str; 15] = [
    "eligible",
    "reason",
    "reason_message",
    "refund",
    "refund_type",
    "currency",
    "lines",
    "destinations",
    "quote_id",
    "instance_id",
    "order_id",
    "quoted_at",
    "expires_at",
    "policy_version",
    "workspace",
];

/// An error answer of the server.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// The stable code, e.g. `FORBIDDEN`.
    pub code: String,
    /// What went wrong.
    pub detail: String,
    /// The request field at fault, when the server names one.
    pub field: Option<String>,
}

impl fmt::Display for Problem {
    /// `<detail> (<code>)`, the detail led by the field at fault when it
    /// does not name it already.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) if !self.detail.starts_with(field.as_str()) => {
                write!(f, "{field}: {} ({})", self.detail, self.code)
            }
            _ => write!(f, "{} ({})", self.detail, self.code),
        }
    }
}

impl std::error::Error for Problem {}

/// Fails when `--server` is given: for the commands that need the local
/// database (or this machine) and have no API counterpart.
pub fn local_only(global: &Global, command: &str) -> anyhow::Result<()> {
    if let Some(server) = &global.server {
        bail!(
            "`{command}` works on the local database only and cannot be used with --server ({server}); \
             run it without --server and SPARK_BILLING_SERVER"
        );
    }
    Ok(())
}

/// One request, built on the caller's thread and sent on the blocking pool.
struct Request {
    /// `GET`, `POST` or `PUT`.
    method: &'static str,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<(&'static str, Vec<u8>)>,
    idempotency_key: Option<String>,
}

impl Request {
    fn get(path: impl Into<String>) -> Request {
        Request { method: "GET", path: path.into(), query: Vec::new(), body: None, idempotency_key: None }
    }

    fn post(path: impl Into<String>, content_type: &'static str, body: Vec<u8>) -> Request {
        Request { method: "POST", body: Some((content_type, body)), ..Request::get(path) }
    }

    fn put(path: impl Into<String>, body: Vec<u8>) -> Request {
        Request { method: "PUT", body: Some(("application/json", body)), ..Request::get(path) }
    }
}

/// A successful answer.
struct Reply {
    body: Vec<u8>,
    disposition: Option<String>,
}

/// A client of one server, acting with one API key.
#[derive(Clone)]
pub struct Remote {
    agent: ureq::Agent,
    base: String,
    key: String,
}

impl Remote {
    /// The client `--server` and `--api-key` ask for, or `None` without
    /// `--server` (local mode).
    pub fn from_global(global: &Global) -> anyhow::Result<Option<Remote>> {
        let Some(server) = &global.server else { return Ok(None) };
        let base = server.trim().trim_end_matches('/').to_owned();
        let rest = base.strip_prefix("http://").or_else(|| base.strip_prefix("https://"));
        if rest.is_none_or(str::is_empty) {
            bail!("--server must be an http:// or https:// URL, e.g. http://127.0.0.1:8080; not {server:?}");
        }
        let Some(key) = &global.api_key else {
            bail!("--server needs an API key: pass --api-key KEY or set SPARK_BILLING_API_KEY");
        };
        let key = key.expose().trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            bail!("--api-key must be printable ASCII without spaces");
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(600)))
            .user_agent(concat!("spark-billing/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Some(Remote { agent, base, key: key.to_owned() }))
    }

    /// Sends `request` and reads the whole answer; an error answer becomes
    /// a [`Problem`].
    async fn send(&self, request: Request) -> anyhow::Result<Reply> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.send_blocking(request)).await.context("the HTTP client failed")?
    }

    fn send_blocking(&self, request: Request) -> anyhow::Result<Reply> {
        let url = format!("{}{}", self.base, request.path);
        let auth = format!("Bearer {}", self.key);
        let sent = if request.method != "GET" {
            let builder = if request.method == "PUT" { self.agent.put(&url) } else { self.agent.post(&url) };
            let mut builder = builder.header("Authorization", &auth).header("Accept", "application/json");
            if let Some(key) = &request.idempotency_key {
                builder = builder.header("Idempotency-Key", key);
            }
            let (content_type, body) = request.body.unwrap_or(("application/json", Vec::new()));
            builder.content_type(content_type).send(&body[..])
        } else {
            let mut builder = self.agent.get(&url).header("Authorization", &auth);
            for (name, value) in &request.query {
                builder = builder.query(name, value);
            }
            builder.call()
        };
        let mut response = sent.map_err(|e| anyhow!("cannot reach the server at {}: {e}", self.base))?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (disposition, location) = (header("content-disposition"), header("location"));
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|e| anyhow!("cannot read the answer of the server at {}: {e}", self.base))?;
        if (200..300).contains(&status) {
            return Ok(Reply { body, disposition });
        }
        Err(problem(status, &body, location.as_deref()).into())
    }

    async fn json<T: DeserializeOwned>(&self, request: Request) -> anyhow::Result<T> {
        let path = request.path.clone();
        let reply = self.send(request).await?;
        serde_json::from_slice(&reply.body)
            .with_context(|| format!("unexpected answer from {}{path}; is --server a spark-billing server?", self.base))
    }

    async fn post_json<T: DeserializeOwned>(&self, path: &str, body: &Value, key: Option<&str>) -> anyhow::Result<T> {
        let mut request = Request::post(path, "application/json", serde_json::to_vec(body)?);
        request.idempotency_key = key.map(str::to_owned);
        self.json(request).await
    }

    /// `POST /api/v1/quotes`: the quote as JSON, its keys in local mode's
    /// order.
    pub async fn quote(&self, instance_id: &str, order_id: Option<&str>) -> anyhow::Result<(QuoteDto, Value)> {
        let body = json!({"instance_id": instance_id, "order_id": order_id});
        let quote: QuoteDto = self.post_json("/api/v1/quotes", &body, None).await?;
        let Value::Object(mut map) = serde_json::to_value(&quote)? else { bail!("a quote is a JSON object") };
        let mut ordered = serde_json::Map::new();
        for key in QUOTE_KEYS {
            if let Some(value) = map.remove(key) {
                ordered.insert(key.to_owned(), value);
            }
        }
        ordered.extend(map);
        Ok((quote, Value::Object(ordered)))
    }

    /// `POST /api/v1/quotes` for a downgrade or a switch, answered as
    /// [`Remote::quote`] answers.
    pub async fn quote_action(
        &self,
        instance_id: &str,
        action: billing_domain::change::ActionKind,
        new_quota_cu: Option<u32>,
    ) -> anyhow::Result<(QuoteDto, Value)> {
        let body = json!({"instance_id": instance_id, "action": action.as_str(), "new_quota_cu": new_quota_cu});
        let quote: QuoteDto = self.post_json("/api/v1/quotes", &body, None).await?;
        let json = serde_json::to_value(&quote)?;
        Ok((quote, json))
    }

    /// `POST /api/v1/quota-changes` with an `Idempotency-Key`.
    pub async fn change_quota(&self, quote_id: &str, idempotency_key: &str) -> anyhow::Result<UnsubscriptionDto> {
        self.post_json("/api/v1/quota-changes", &json!({"quote_id": quote_id}), Some(idempotency_key)).await
    }

    /// `POST /api/v1/unsubscriptions` with an `Idempotency-Key`.
    pub async fn unsubscribe(
        &self,
        quote_id: &str,
        confirm_workspace_deletion: Option<&str>,
        idempotency_key: &str,
    ) -> anyhow::Result<UnsubscriptionDto> {
        let body = json!({"quote_id": quote_id, "confirm_workspace_deletion": confirm_workspace_deletion});
        self.post_json("/api/v1/unsubscriptions", &body, Some(idempotency_key)).await
    }

    /// `GET /api/v1/refunds`, newest first.
    pub async fn refunds(
        &self,
        status: Option<&str>,
        account_id: Option<&str>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<RefundDto>> {
        let mut request = Request::get("/api/v1/refunds");
        request.query.push(("limit", limit.to_string()));
        request.query.extend(status.map(|s| ("status", s.to_owned())));
        request.query.extend(account_id.map(|a| ("account_id", a.to_owned())));
        request.query.extend(starting_after.map(|r| ("starting_after", r.to_owned())));
        self.json(request).await
    }

    /// `GET /api/v1/usage/daily`: one page.
    pub async fn usage_days(
        &self,
        query: &[(&'static str, String)],
        starting_after: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<billing_api::routes::bills::UsageDayDto>> {
        let mut request = Request::get("/api/v1/usage/daily");
        request.query.extend(query.iter().cloned());
        request.query.push(("limit", limit.to_string()));
        request.query.extend(starting_after.map(|r| ("starting_after", r.to_owned())));
        self.json(request).await
    }

    /// `GET /api/v1/orders`: one page.
    pub async fn orders(
        &self,
        account_id: Option<&str>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<billing_api::dto::OrderDto>> {
        let mut request = Request::get("/api/v1/orders");
        request.query.push(("limit", limit.to_string()));
        request.query.extend(account_id.map(|a| ("account_id", a.to_owned())));
        request.query.extend(starting_after.map(|r| ("starting_after", r.to_owned())));
        self.json(request).await
    }

    /// `GET /api/v1/documents`.
    pub async fn documents(
        &self,
        kind: Option<&str>,
        account_id: Option<&str>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<DocumentDto>> {
        let mut request = Request::get("/api/v1/documents");
        request.query.push(("limit", limit.to_string()));
        request.query.extend(kind.map(|k| ("kind", k.to_owned())));
        request.query.extend(account_id.map(|a| ("account_id", a.to_owned())));
        request.query.extend(starting_after.map(|r| ("starting_after", r.to_owned())));
        self.json(request).await
    }

    /// `GET /api/v1/documents/{id}`.
    pub async fn document(&self, id: &str) -> anyhow::Result<DocumentDto> {
        self.json(Request::get(format!("/api/v1/documents/{}", segment(id)))).await
    }

    /// `GET /api/v1/documents/{id}/pdf` or `/html`: the rendering's bytes.
    pub async fn document_rendering(&self, id: &str, format: &str) -> anyhow::Result<Vec<u8>> {
        Ok(self.send(Request::get(format!("/api/v1/documents/{}/{format}", segment(id)))).await?.body)
    }

    /// `GET /api/v1/documents/seller`.
    pub async fn seller(&self) -> anyhow::Result<SellerDto> {
        self.json(Request::get("/api/v1/documents/seller")).await
    }

    /// `PUT /api/v1/documents/seller`.
    pub async fn set_seller(&self, seller: &SellerDto) -> anyhow::Result<SellerDto> {
        self.json(Request::put("/api/v1/documents/seller", serde_json::to_vec(seller)?)).await
    }

    /// `POST /api/v1/usage.csv`: one batch, as CSV with its header.
    pub async fn import_usage_csv(&self, csv: Vec<u8>) -> anyhow::Result<ImportOutcomeDto> {
        self.json(Request::post("/api/v1/usage.csv", "text/csv", csv)).await
    }

    /// `GET /api/v1/workspaces/{id}/backup`, with the number of job
    /// scripts from `GET /api/v1/workspaces/{id}`. The suggested file name
    /// is used only when it is a plain file name.
    pub async fn backup(&self, id: &str) -> anyhow::Result<Backup> {
        let details: WorkspaceDetailsDto =
            self.json(Request::get(format!("/api/v1/workspaces/{}", segment(id)))).await?;
        let reply = self.send(Request::get(format!("/api/v1/workspaces/{}/backup", segment(id)))).await?;
        let suggested = reply.disposition.as_deref().and_then(|d| d.split("filename=\"").nth(1)?.split('"').next());
        let safe = |name: &str| {
            !name.is_empty()
                && !name.starts_with('.')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~'))
        };
        let file_name = match suggested {
            Some(name) if safe(name) => name.to_owned(),
            _ => {
                let id: String = id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
                format!("{id}-jobs.tar.gz")
            }
        };
        Ok(Backup { file_name, bytes: reply.body, jobs: details.jobs.len() })
    }

    /// `GET /api/v1/ledger/check`.
    pub async fn ledger_check(&self) -> anyhow::Result<LedgerReportDto> {
        self.json(Request::get("/api/v1/ledger/check")).await
    }

    /// `GET /api/v1/audit/verify`.
    pub async fn audit_verify(&self) -> anyhow::Result<AuditReportDto> {
        self.json(Request::get("/api/v1/audit/verify")).await
    }

    /// `GET /api/v1/api-keys`, by id.
    pub async fn api_keys(&self, account_id: Option<&str>) -> anyhow::Result<Vec<ApiKeyDto>> {
        let mut request = Request::get("/api/v1/api-keys");
        request.query.extend(account_id.map(|a| ("account_id", a.to_owned())));
        self.json(request).await
    }

    /// `POST /api/v1/api-keys/{id}/revoke`.
    pub async fn revoke_api_key(&self, id: &str) -> anyhow::Result<ApiKeyDto> {
        self.post_json(&format!("/api/v1/api-keys/{}/revoke", segment(id)), &json!({}), None).await
    }

    /// `POST /api/v1/api-keys/{id}/roll`: the new key with its secret.
    pub async fn roll_api_key(&self, id: &str) -> anyhow::Result<ApiKeyRolled> {
        self.post_json(&format!("/api/v1/api-keys/{}/roll", segment(id)), &json!({}), None).await
    }

    /// `GET /api/v1/policy-versions`, oldest first.
    pub async fn policy_versions(&self) -> anyhow::Result<Vec<PolicyVersionDto>> {
        self.json(Request::get("/api/v1/policy-versions")).await
    }

    /// `POST /api/v1/policy-versions`: the version in force at
    /// `effective_from` with `settings` changed.
    pub async fn add_policy_version(
        &self,
        effective_from: &str,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<PolicyVersionDto> {
        let settings: serde_json::Map<String, Value> =
            settings.iter().map(|(name, value)| ((*name).to_owned(), json!(value))).collect();
        let body = json!({"effective_from": effective_from, "settings": settings});
        self.post_json("/api/v1/policy-versions", &body, None).await
    }
}

/// The problem in an error answer; any other error body is summed up by
/// its status.
fn problem(status: u16, body: &[u8], location: Option<&str>) -> Problem {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let text = |key: &str| parsed.as_ref().and_then(|p| p.get(key)).and_then(Value::as_str).map(str::to_owned);
    match (text("code"), text("detail")) {
        (Some(code), Some(detail)) => Problem { status, code, detail, field: text("field") },
        _ => {
            let detail = match location {
                Some(to) => format!("the server answered {status} and redirects to {to}; give that URL as --server"),
                None => format!("the server answered {status} without a problem description"),
            };
            Problem { status, code: format!("HTTP_{status}"), detail, field: None }
        }
    }
}

/// `text` as one percent-encoded path segment.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Events and webhook endpoints over the API.
impl Remote {
    /// `GET /api/v1/events`.
    pub async fn events(
        &self,
        types: Option<&str>,
        resource_id: Option<&str>,
        starting_after: Option<&str>,
        limit: i64,
    ) -> anyhow::Result<Vec<billing_api::dto::events::EventDto>> {
        let mut request = Request::get("/api/v1/events");
        request.query.push(("limit", limit.to_string()));
        request.query.extend(types.map(|t| ("type", t.to_owned())));
        request.query.extend(resource_id.map(|r| ("resource_id", r.to_owned())));
        request.query.extend(starting_after.map(|r| ("starting_after", r.to_owned())));
        self.json(request).await
    }

    /// `GET /api/v1/webhook-endpoints`.
    pub async fn webhook_endpoints(&self) -> anyhow::Result<Vec<billing_api::dto::events::WebhookEndpointDto>> {
        self.json(Request::get("/api/v1/webhook-endpoints")).await
    }

    /// `POST /api/v1/webhook-endpoints`: the endpoint with its secret.
    pub async fn add_webhook_endpoint(
        &self,
        body: &Value,
    ) -> anyhow::Result<billing_api::dto::events::WebhookEndpointDto> {
        self.post_json("/api/v1/webhook-endpoints", body, None).await
    }

    /// `POST /api/v1/webhook-endpoints/{id}/rotate-secret`.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
    ) -> anyhow::Result<billing_api::dto::events::WebhookEndpointDto> {
        self.post_json(&format!("/api/v1/webhook-endpoints/{}/rotate-secret", segment(id)), &json!({}), None).await
    }

    /// `POST /api/v1/events/{id}/redeliver`.
    pub async fn redeliver_event(
        &self,
        id: &str,
        endpoint_id: Option<&str>,
    ) -> anyhow::Result<Vec<billing_api::dto::events::DeliveryDto>> {
        let body = json!({"endpoint_id": endpoint_id});
        self.post_json(&format!("/api/v1/events/{}/redeliver", segment(id)), &body, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::{problem, segment};

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(segment("ws_01-a.b~c"), "ws_01-a.b~c");
        assert_eq!(segment("a/b?c d"), "a%2Fb%3Fc%20d");
        assert_eq!(segment("é"), "%C3%A9");
    }

    #[test]
    fn problems_show_detail_and_code() {
        let body = br#"{"type":"x","title":"Forbidden","status":403,"detail":"this route needs an operator key","code":"FORBIDDEN"}"#;
        assert_eq!(problem(403, body, None).to_string(), "this route needs an operator key (FORBIDDEN)");
        let body = br#"{"status":400,"detail":"must be between 1 and 100","code":"INVALID_INPUT","field":"limit"}"#;
        assert_eq!(problem(400, body, None).to_string(), "limit: must be between 1 and 100 (INVALID_INPUT)");
        let body =
            br#"{"status":422,"detail":"effective_from: in the past","code":"INVALID_INPUT","field":"effective_from"}"#;
        assert_eq!(problem(422, body, None).to_string(), "effective_from: in the past (INVALID_INPUT)");
        let other = problem(502, b"<html>bad gateway</html>", None);
        assert_eq!(other.code, "HTTP_502");
        assert!(problem(301, b"", Some("https://x")).detail.contains("https://x"));
    }
}
