//! The service's webhook sender and its worker loop.
//!
//! Requests go out through `reqwest` (rustls, no redirects, 15 s timeout).
//! The host is resolved here, by [`GuardedResolver`], and every address in
//! a private, shared, link-local or reserved range is refused, loopback
//! too unless the server runs for development (`--demo` or
//! `--allow-loopback-webhooks`); a URL naming an address is checked the same
//! way. So a customer cannot make the server call into its own network,
//! whatever its DNS answers, and the address checked is the address called.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use billing_app::Billing;
use billing_app::webhooks::delivery::{
    EXCERPT_BYTES, REQUEST_TIMEOUT, WebhookAnswer, WebhookRequest, WebhookSender, host_of, refused_address,
};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::watch;

/// Resolves names and keeps only the addresses the service may call.
#[derive(Clone, Copy, Debug)]
pub struct GuardedResolver {
    allow_loopback: bool,
}

/// The addresses of `host` that may be called, or why none may.
pub async fn resolve_allowed(host: &str, port: u16, allow_loopback: bool) -> Result<Vec<SocketAddr>, String> {
    let found: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    let mut refused = None;
    let allowed: Vec<SocketAddr> = found
        .into_iter()
        .filter(|a| match refused_address(a.ip(), allow_loopback) {
            Some(why) => {
                refused = Some(format!("{host} resolves to {} ({why}), which is refused", a.ip()));
                false
            }
            None => true,
        })
        .collect();
    match (allowed.is_empty(), refused) {
        // One refused address refuses the name: a name that mixes public and
        // private addresses is a rebinding attempt, not an accident.
        (_, Some(why)) => Err(why),
        (true, None) => Err(format!("{host} has no address")),
        (false, None) => Ok(allowed),
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let addrs = resolve_allowed(name.as_str(), 0, allow_loopback)
                .await
                .map_err(Box::<dyn std::error::Error + Send + Sync>::from)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Posts webhook requests over HTTPS (HTTP to loopback in development).
#[derive(Clone, Debug)]
pub struct HttpSender {
    client: reqwest::Client,
    allow_loopback: bool,
}

impl HttpSender {
    /// A sender; `allow_loopback` lets it call loopback addresses over
    /// plain HTTP (development only).
    pub fn new(allow_loopback: bool) -> anyhow::Result<HttpSender> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(StdDuration::from_secs(10))
            .pool_max_idle_per_host(32)
            .user_agent(concat!("spark-billing-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
            .build()?;
        Ok(HttpSender { client, allow_loopback })
    }

    /// Why `url` may not be called before any name is resolved: its scheme,
    /// or an address written in it.
    pub fn refuse_url(&self, url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let host = host_of(rest);
        match scheme {
            "https" => {}
            "http" if self.allow_loopback => {}
            _ => return Some(format!("{scheme}:// is refused; endpoints must be https://")),
        }
        if let Ok(ip) = host.parse::<IpAddr>()
            && let Some(why) = refused_address(ip, self.allow_loopback)
        {
            return Some(format!("{ip} is a {why} address, which is refused"));
        }
        if scheme == "http" && !billing_app::webhooks::delivery::is_loopback_name(host) {
            return Some("http:// is allowed to loopback hosts only".to_owned());
        }
        None
    }
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(value: &str) -> Option<StdDuration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(StdDuration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    let at = std::time::UNIX_EPOCH.checked_add(StdDuration::from_secs(u64::try_from(at.timestamp()).ok()?))?;
    at.duration_since(std::time::SystemTime::now()).ok()
}

/// The start of a body, at most [`EXCERPT_BYTES`], cut at a character.
async fn excerpt(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(EXCERPT_BYTES);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    while text.len() > EXCERPT_BYTES {
        text.pop();
    }
    text
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn send(&self, request: &WebhookRequest) -> WebhookAnswer {
        if let Some(why) = self.refuse_url(&request.url) {
            return WebhookAnswer::Error(why);
        }
        let sent = self
            .client
            .post(&request.url)
            .header("content-type", "application/json")
            .header("webhook-id", &request.id)
            .header("webhook-timestamp", request.timestamp.to_string())
            .header("webhook-signature", &request.signature)
            .body(request.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let code = response.status().as_u16();
                let retry_after =
                    response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(retry_after);
                WebhookAnswer::Status { code, retry_after, excerpt: excerpt(response).await }
            }
            Err(e) if e.is_timeout() => WebhookAnswer::Error("timed out after 15 s".to_owned()),
            Err(e) => WebhookAnswer::Error(error_chain(&e)),
        }
    }
}

/// An error with its causes, which is where reqwest says what went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Delivers due webhooks until told to stop: a full batch is followed at
/// once by the next, otherwise the worker looks again 100 ms later. Errors
/// are logged and never stop it. `refresh` runs before each round (the
/// simulated clock catches up with the stored offset).
pub async fn worker<R, F>(billing: Billing, sender: Arc<dyn WebhookSender>, refresh: R, mut stop: watch::Receiver<bool>)
where
    R: Fn() -> F,
    F: std::future::Future<Output = ()>,
{
    let worker = format!("hooks-{}-{}", std::process::id(), billing_app::ids::new_id("w"));
    loop {
        refresh().await;
        let pause = match billing.webhooks().deliver_webhooks(&worker, &sender, 32).await {
            Ok(report) => {
                if report.claimed > 0 {
                    tracing::debug!(?report, "webhooks delivered");
                }
                if report.claimed as i64 >= billing_app::webhooks::delivery::CLAIM_BATCH {
                    StdDuration::ZERO
                } else {
                    StdDuration::from_millis(100)
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "webhook delivery failed; retrying");
                StdDuration::from_secs(1)
            }
        };
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}
