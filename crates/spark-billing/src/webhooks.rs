//! `spark-billing events list` and `spark-billing webhooks
//! list|add|rotate|redeliver|verify`.

use billing_domain::ids::{AccountId, EventId, WebhookEndpointId};
use std::process::ExitCode;

use anyhow::Context;
use billing_api::dto::events::{DeliveryDto, EventDto, WebhookEndpointDto};
use billing_app::Caller;
use billing_app::events::{EventFilter, EventType};
use billing_app::webhooks::EndpointRequest;
use billing_app::webhooks::signature::{self, VerifyError};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::config::Global;
use crate::output;
use crate::remote::Remote;

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List events, newest first.
    List(EventListArgs),
}

#[derive(Debug, Args)]
pub struct EventListArgs {
    /// Only these types, separated by commas, e.g. refund.succeeded,refund.failed.
    #[arg(long = "type", value_name = "TYPES")]
    types: Option<String>,
    /// Only events about this resource.
    #[arg(long, value_name = "ID")]
    resource: Option<String>,
    /// At most this many (1 to 100).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// The next page: events listed after this one (the last id shown).
    #[arg(long, value_name = "EVENT_ID")]
    starting_after: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// List webhook endpoints.
    List,
    /// Register a webhook endpoint; prints its signing secret, shown once.
    Add(AddArgs),
    /// Give an endpoint a new secret (the old one signs for 24 more hours).
    Rotate {
        /// The endpoint.
        endpoint_id: WebhookEndpointId,
    },
    /// Send an event again to its endpoints (or one of them).
    Redeliver {
        /// The event.
        event_id: EventId,
        /// Only to this endpoint.
        #[arg(long)]
        endpoint: Option<WebhookEndpointId>,
    },
    /// Check a received webhook's signature, as a receiver would.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Where to post events (https://; http:// only to a loopback host).
    #[arg(long)]
    url: String,
    /// Event types to receive, separated by commas (default: every type).
    #[arg(long = "events", value_name = "TYPES")]
    types: Option<String>,
    /// Only this account's events (default: every account's).
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<AccountId>,
    /// A note.
    #[arg(long, default_value = "")]
    description: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The endpoint's secret, whsec_….
    #[arg(long)]
    secret: String,
    /// The `webhook-id` header.
    #[arg(long)]
    id: String,
    /// The `webhook-timestamp` header (Unix seconds).
    #[arg(long)]
    timestamp: i64,
    /// The `webhook-signature` header: `v1,…` values separated by spaces.
    #[arg(long)]
    signature: String,
    /// A file holding the request body exactly as received.
    #[arg(long)]
    body: std::path::PathBuf,
    /// The time to check the timestamp against (Unix seconds; default: now).
    #[arg(long)]
    now: Option<i64>,
}

fn split_types(text: Option<&str>) -> Vec<String> {
    text.map(|t| t.split(',').filter(|s| !s.trim().is_empty()).map(str::to_owned).collect()).unwrap_or_default()
}

fn parse_types(flag: &str, names: &[String]) -> anyhow::Result<Vec<EventType>> {
    names.iter().map(|n| n.trim().parse().map_err(|e: String| anyhow::anyhow!("{flag}: {e}"))).collect()
}

/// Seconds since the Unix epoch by the system clock.
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
}

pub async fn events(global: &Global, command: EventsCommand) -> anyhow::Result<ExitCode> {
    let EventsCommand::List(args) = command;
    let events: Vec<EventDto> = match Remote::from_global(global)? {
        Some(remote) => {
            let (types, resource, after) =
                (args.types.as_deref(), args.resource.as_deref(), args.starting_after.as_deref());
            remote.events(types, resource, after, args.limit).await?
        }
        None => {
            let (_, billing) = global.open().await?;
            let types = parse_types("--type", &split_types(args.types.as_deref()))?;
            let filter = EventFilter {
                types,
                resource_id: args.resource,
                starting_after: args.starting_after,
                limit: args.limit,
                ..EventFilter::default()
            };
            billing.webhooks().events(&Caller::Operator, filter).await?.iter().map(EventDto::from).collect()
        }
    };
    if args.json {
        output::json(&serde_json::to_value(&events)?)?;
    } else {
        let rows: Vec<Vec<String>> = events
            .iter()
            .map(|e| {
                vec![
                    e.id.clone(),
                    e.event_type.clone(),
                    e.account_id.clone(),
                    e.resource_id.clone(),
                    e.occurred_at.clone(),
                ]
            })
            .collect();
        output::table(&["ID", "TYPE", "ACCOUNT", "RESOURCE", "OCCURRED AT"], &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run(global: &Global, command: WebhooksCommand) -> anyhow::Result<ExitCode> {
    match command {
        WebhooksCommand::Verify(args) => verify(args),
        WebhooksCommand::List => {
            let endpoints: Vec<WebhookEndpointDto> = match Remote::from_global(global)? {
                Some(remote) => remote.webhook_endpoints().await?,
                None => {
                    let (_, billing) = global.open().await?;
                    let found = billing.webhooks().webhook_endpoints(&Caller::Operator).await?;
                    found.iter().map(|e| WebhookEndpointDto::new(e, false)).collect()
                }
            };
            print_endpoints(&endpoints)
        }
        WebhooksCommand::Add(args) => {
            let types = split_types(args.types.as_deref());
            let endpoint = match Remote::from_global(global)? {
                Some(remote) => {
                    let body = json!({"url": args.url, "event_types": types, "description": args.description,
                        "account_id": args.account});
                    remote.add_webhook_endpoint(&body).await?
                }
                None => {
                    let (_, billing) = global.open().await?;
                    let event_types = parse_types("--events", &types)?;
                    let request = EndpointRequest {
                        account_id: args.account,
                        url: args.url,
                        event_types,
                        description: args.description,
                    };
                    WebhookEndpointDto::new(
                        &billing.webhooks().create_webhook_endpoint(&Caller::Operator, request).await?,
                        true,
                    )
                }
            };
            print_with_secret(&endpoint)
        }
        WebhooksCommand::Rotate { endpoint_id } => {
            let endpoint = match Remote::from_global(global)? {
                Some(remote) => remote.rotate_webhook_secret(&endpoint_id).await?,
                None => {
                    let (_, billing) = global.open().await?;
                    WebhookEndpointDto::new(
                        &billing.webhooks().rotate_webhook_secret(&Caller::Operator, &endpoint_id).await?,
                        true,
                    )
                }
            };
            print_with_secret(&endpoint)
        }
        WebhooksCommand::Redeliver { event_id, endpoint } => {
            let queued: Vec<DeliveryDto> = match Remote::from_global(global)? {
                Some(remote) => remote.redeliver_event(&event_id, endpoint.as_deref()).await?,
                None => {
                    let (_, billing) = global.open().await?;
                    let found =
                        billing.webhooks().redeliver_event(&Caller::Operator, &event_id, endpoint.as_ref()).await?;
                    found.iter().map(DeliveryDto::from).collect()
                }
            };
            println!("{} deliveries queued", queued.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_endpoints(endpoints: &[WebhookEndpointDto]) -> anyhow::Result<ExitCode> {
    let rows: Vec<Vec<String>> = endpoints
        .iter()
        .map(|e| {
            let types = if e.event_types.is_empty() { "*".to_owned() } else { e.event_types.join(",") };
            vec![
                e.id.clone(),
                e.status.clone(),
                e.url.clone(),
                e.account_id.clone().unwrap_or_else(|| "*".to_owned()),
                types,
            ]
        })
        .collect();
    output::table(&["ID", "STATUS", "URL", "ACCOUNT", "EVENTS"], &rows)?;
    Ok(ExitCode::SUCCESS)
}

fn print_with_secret(endpoint: &WebhookEndpointDto) -> anyhow::Result<ExitCode> {
    println!("endpoint {} → {}", endpoint.id, endpoint.url);
    if let Some(secret) = &endpoint.secret {
        println!("secret   {secret}   (shown once: keep it now)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit 0 and `valid`, or exit 1 saying why not.
fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let body = std::fs::read(&args.body).with_context(|| format!("cannot read --body {}", args.body.display()))?;
    let now = args.now.unwrap_or_else(unix_now);
    match signature::verify(&args.secret, &args.id, args.timestamp, &args.signature, &body, now) {
        Ok(()) => {
            println!("valid");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let field = match e {
                VerifyError::BadSecret => "--secret",
                VerifyError::Stale(_) => "--timestamp",
                VerifyError::NoSignature | VerifyError::Mismatch => "--signature",
            };
            eprintln!("invalid: {field}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
