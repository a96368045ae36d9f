//! Webhook endpoints: where an account (or an operator, for every account)
//! wants its events sent, with the secret that signs them. Registering,
//! listing, updating, disabling, deleting, rotating a secret, and
//! redelivering an event by hand; the sending itself is in [`delivery`].

pub mod address;
pub mod delivery;
pub mod signature;

use billing_domain::ids::{AccountId, WebhookEndpointId};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::core::Core;
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
use crate::events::{EventType, MAX_TYPES};
use crate::ids::mint;
pub use crate::model::webhooks::{EndpointStatus, WebhookEndpoint};

/// Events and their delivery: the event log, webhook endpoints and the
/// delivery worker.
#[derive(Clone)]
pub struct Webhooks {
    pub(crate) core: Core,
}

/// How long the secret replaced by a rotation still signs.
pub const ROTATION_OVERLAP: Duration = Duration::hours(24);
/// Longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// Most endpoints one account (or the operator) may register.
pub const MAX_ENDPOINTS: i64 = 20;

impl EndpointStatus {
    /// `enabled` or `disabled`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Enabled => "enabled",
            EndpointStatus::Disabled => "disabled",
        }
    }
}

impl std::str::FromStr for EndpointStatus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "enabled" => Ok(EndpointStatus::Enabled),
            "disabled" => Ok(EndpointStatus::Disabled),
            other => Err(format!("{other:?} is not an endpoint status")),
        }
    }
}

impl WebhookEndpoint {
    /// Whether events of `event_type` go to it.
    pub fn wants(&self, event_type: EventType) -> bool {
        self.event_types.is_empty() || self.event_types.contains(&event_type)
    }

    /// The secrets that sign a request at `now`: the current one, and the
    /// previous one while the rotation's overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && now < until
        {
            secrets.push(previous);
        }
        secrets
    }
}

/// What registering or updating an endpoint asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointRequest {
    /// For an operator: the account whose events to receive (`None`: all).
    pub account_id: Option<AccountId>,
    /// Where to post.
    pub url: String,
    /// The types to receive (empty: all).
    pub event_types: Vec<EventType>,
    /// A note.
    pub description: String,
}

/// Checks an endpoint URL: `https://`, or `http://` to a loopback host
/// (for development; the delivery worker still refuses loopback unless it
/// was started to allow it), with a host, at most [`MAX_URL_LEN`] bytes.
pub fn check_url(url: &str) -> AppResult<()> {
    if url.len() > MAX_URL_LEN || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid("url", format!("must be at most {MAX_URL_LEN} characters, without spaces")));
    }
    let (scheme, rest) = url.split_once("://").ok_or_else(|| AppError::invalid("url", "must be an https:// URL"))?;
    let host = delivery::host_of(rest);
    if host.is_empty() {
        return Err(AppError::invalid("url", "has no host"));
    }
    match scheme {
        "https" => Ok(()),
        "http" if delivery::is_loopback_name(host) => Ok(()),
        _ => Err(AppError::invalid("url", "must be an https:// URL (http:// only to a loopback host)")),
    }
}

fn check_request(request: &EndpointRequest) -> AppResult<()> {
    check_url(&request.url)?;
    if request.event_types.len() > MAX_TYPES {
        return Err(AppError::invalid("event_types", format!("at most {MAX_TYPES} types")));
    }
    if request.description.chars().count() > 500 {
        return Err(AppError::invalid("description", "must be at most 500 characters"));
    }
    Ok(())
}

impl Webhooks {
    /// Registers an endpoint and answers it with its secret (shown once by
    /// the front ends). A customer's endpoint receives its own account's
    /// events; an operator's, one account's or every account's.
    pub async fn create_webhook_endpoint(
        &self,
        caller: &Caller,
        request: EndpointRequest,
    ) -> AppResult<WebhookEndpoint> {
        check_request(&request)?;
        let account_id = match caller {
            Caller::Customer(id) => Some(id.clone()),
            Caller::Operator | Caller::System => request.account_id.clone(),
        };
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        if let Some(id) = &account_id
            && tx.lock_account(id).await?.is_none()
        {
            return Err(AppError::not_found("account", id));
        }
        if tx.webhook_endpoints(Some(account_id.as_deref()), MAX_ENDPOINTS + 1).await?.len() as i64 >= MAX_ENDPOINTS {
            return Err(AppError::state(format!("at most {MAX_ENDPOINTS} webhook endpoints per account")));
        }
        let endpoint = WebhookEndpoint {
            id: mint(),
            account_id,
            url: request.url,
            event_types: request.event_types,
            description: request.description,
            secret: signature::new_secret(),
            previous_secret: None,
            previous_secret_until: None,
            status: EndpointStatus::Enabled,
            disabled_reason: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        tx.insert_webhook_endpoint(&endpoint).await?;
        let detail = json!({"url": endpoint.url, "account_id": endpoint.account_id});
        audit(&mut *tx, caller, "webhook_endpoint.created", &endpoint.id, detail, now).await?;
        tx.commit().await?;
        Ok(endpoint)
    }

    /// The endpoints the caller may see: a customer's own; for operators,
    /// every endpoint.
    pub async fn webhook_endpoints(&self, caller: &Caller) -> AppResult<Vec<WebhookEndpoint>> {
        let mut tx = self.core.read().await?;
        let scope = match caller {
            Caller::Customer(id) => Some(Some(id.as_str())),
            Caller::Operator | Caller::System => None,
        };
        Ok(tx.webhook_endpoints(scope, 1000).await?)
    }

    /// One endpoint.
    pub async fn webhook_endpoint(&self, caller: &Caller, id: &WebhookEndpointId) -> AppResult<WebhookEndpoint> {
        let found = self.core.read().await?.webhook_endpoint(id).await?;
        visible(caller, "webhook endpoint", id, found, |e| owner(e))
    }

    /// Changes an endpoint's URL, types and description, and enables or
    /// disables it (`status`); answers it as it now stands.
    pub async fn update_webhook_endpoint(
        &self,
        caller: &Caller,
        id: &WebhookEndpointId,
        request: EndpointRequest,
        status: Option<EndpointStatus>,
    ) -> AppResult<WebhookEndpoint> {
        check_request(&request)?;
        self.change_endpoint(caller, id, "webhook_endpoint.updated", |endpoint, now| {
            endpoint.url = request.url;
            endpoint.event_types = request.event_types;
            endpoint.description = request.description;
            if let Some(status) = status {
                set_status(endpoint, status, "by_request");
            }
            endpoint.updated_at = now;
        })
        .await
    }

    /// Disables an endpoint: it receives nothing until enabled again.
    pub async fn disable_webhook_endpoint(
        &self,
        caller: &Caller,
        id: &WebhookEndpointId,
    ) -> AppResult<WebhookEndpoint> {
        self.change_endpoint(caller, id, "webhook_endpoint.disabled", |endpoint, now| {
            set_status(endpoint, EndpointStatus::Disabled, "by_request");
            endpoint.updated_at = now;
        })
        .await
    }

    /// Gives an endpoint a new secret; the old one still signs for
    /// [`ROTATION_OVERLAP`]. Answers the endpoint with its new secret.
    pub async fn rotate_webhook_secret(&self, caller: &Caller, id: &WebhookEndpointId) -> AppResult<WebhookEndpoint> {
        self.change_endpoint(caller, id, "webhook_endpoint.secret_rotated", |endpoint, now| {
            let old = std::mem::replace(&mut endpoint.secret, signature::new_secret());
            endpoint.previous_secret = Some(old);
            endpoint.previous_secret_until = now.checked_add_signed(ROTATION_OVERLAP);
            endpoint.updated_at = now;
        })
        .await
    }

    /// Deletes an endpoint and the deliveries still waiting for it.
    pub async fn delete_webhook_endpoint(&self, caller: &Caller, id: &WebhookEndpointId) -> AppResult<()> {
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let found = tx.webhook_endpoint(id).await?;
        visible(caller, "webhook endpoint", id, found, |e| owner(e))?;
        tx.delete_webhook_endpoint(id).await?;
        audit(&mut *tx, caller, "webhook_endpoint.deleted", id, json!({}), now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn change_endpoint(
        &self,
        caller: &Caller,
        id: &WebhookEndpointId,
        action: &str,
        change: impl FnOnce(&mut WebhookEndpoint, DateTime<Utc>),
    ) -> AppResult<WebhookEndpoint> {
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        let found = tx.webhook_endpoint(id).await?;
        let mut endpoint = visible(caller, "webhook endpoint", id, found, |e| owner(e))?;
        change(&mut endpoint, now);
        tx.update_webhook_endpoint(&endpoint).await?;
        audit(&mut *tx, caller, action, id, json!({"status": endpoint.status.as_str()}), now).await?;
        tx.commit().await?;
        Ok(endpoint)
    }
}

/// Moves an endpoint to `status`; a newly enabled endpoint starts with a
/// clean failure record.
fn set_status(endpoint: &mut WebhookEndpoint, status: EndpointStatus, reason: &str) {
    if endpoint.status == status {
        return;
    }
    endpoint.status = status;
    match status {
        EndpointStatus::Enabled => {
            endpoint.disabled_reason = None;
            endpoint.failing_since = None;
        }
        EndpointStatus::Disabled => endpoint.disabled_reason = Some(reason.to_owned()),
    }
}

/// The account an endpoint belongs to, for visibility: an operator's
/// endpoint belongs to no customer.
fn owner(endpoint: &WebhookEndpoint) -> &str {
    endpoint.account_id.as_deref().unwrap_or("operator")
}
