//! Events and webhook endpoints: listing events, registering endpoints,
//! rotating their secrets, delivery attempts and redelivery.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use billing_app::events::EventFilter;
use billing_app::webhooks::{EndpointRequest, EndpointStatus};
use billing_domain::ids::{EventId, WebhookEndpointId};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiState;
use crate::dto::PageParams;
use crate::dto::events::{
    DeliveryAttemptDto, DeliveryDto, EndpointRequestDto, EventDto, RedeliverRequest, WebhookEndpointDto, event_types,
};
use crate::extract::{Authed, Body, Path, Query, opt_account_id};
use crate::problem::{ApiError, ApiResult, Problem};

/// Filters of the event list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Only these types, separated by commas (e.g. `refund.succeeded,refund.failed`).
    #[param(nullable = false)]
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Only events about this resource (an order, instance, refund,
    /// unsubscription or workspace id).
    #[param(nullable = false)]
    pub resource_id: Option<String>,
    /// Only this account's (operators; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
    /// At most this many (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The next page: events listed after this one (the last of the
    /// previous page).
    #[param(nullable = false)]
    pub starting_after: Option<String>,
}

/// Events, newest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(EventQuery),
    responses(
        (status = 200, description = "The events", body = [EventDto]),
        (status = 400, description = "Bad filter, or `starting_after` is not an event of this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_events(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(query): Query<EventQuery>,
) -> ApiResult<Json<Vec<EventDto>>> {
    let names: Vec<String> = query.event_type.iter().flat_map(|t| t.split(',')).map(str::to_owned).collect();
    let filter = EventFilter {
        account_id: opt_account_id("account_id", query.account_id.as_deref())?,
        types: event_types("type", &names)?,
        resource_id: query.resource_id,
        starting_after: query.starting_after,
        limit: PageParams { limit: query.limit }.limit()?,
    };
    let events = state.billing.webhooks().events(&caller, filter).await.map_err(crate::routes::cursor_error)?;
    Ok(Json(events.iter().map(EventDto::from).collect()))
}

/// One event.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The event", body = EventDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such event in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_event(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<EventId>,
) -> ApiResult<Json<EventDto>> {
    Ok(Json(EventDto::from(&state.billing.webhooks().event(&caller, &id).await?)))
}

/// The delivery attempts of an event to the caller's endpoints, newest first.
#[utoipa::path(get, path = "/api/v1/events/{id}/attempts", tag = "events",
    params(("id" = String, Path, description = "Event id")),
    responses(
        (status = 200, description = "The attempts", body = [DeliveryAttemptDto]),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such event in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_event_attempts(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<EventId>,
) -> ApiResult<Json<Vec<DeliveryAttemptDto>>> {
    let attempts = state.billing.webhooks().delivery_attempts(&caller, &id).await?;
    Ok(Json(attempts.iter().map(DeliveryAttemptDto::from).collect()))
}

/// Send an event again, at once, to the caller's endpoints that want it
/// (or to one of them).
#[utoipa::path(post, path = "/api/v1/events/{id}/redeliver", tag = "events",
    params(("id" = String, Path, description = "Event id")),
    request_body(content = RedeliverRequest, description = "Optionally, one endpoint"),
    responses(
        (status = 202, description = "The deliveries queued", body = [DeliveryDto]),
        (status = 400, description = "The id in the path is not an id, or a malformed body", body = Problem),
        (status = 404, description = "No such event or endpoint in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn redeliver_event(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<EventId>,
    Body(request): Body<RedeliverRequest>,
) -> ApiResult<(StatusCode, Json<Vec<DeliveryDto>>)> {
    let queued = state.billing.webhooks().redeliver_event(&caller, &id, request.endpoint_id.as_ref()).await?;
    Ok((StatusCode::ACCEPTED, Json(queued.iter().map(DeliveryDto::from).collect())))
}

fn endpoint_request(dto: EndpointRequestDto) -> Result<(EndpointRequest, Option<EndpointStatus>), ApiError> {
    let status = match dto.status.as_deref() {
        None => None,
        Some(s) => Some(s.parse().map_err(|e: String| ApiError::invalid("status", e))?),
    };
    let request = EndpointRequest {
        account_id: opt_account_id("account_id", dto.account_id.as_deref())?,
        url: dto.url,
        event_types: event_types("event_types", &dto.event_types)?,
        description: dto.description,
    };
    Ok((request, status))
}

/// Register a webhook endpoint. The answer carries its signing secret,
/// shown this once.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints", tag = "events",
    request_body = EndpointRequestDto,
    responses(
        (status = 201, description = "The endpoint, with its secret", body = WebhookEndpointDto),
        (status = 400, description = "Bad URL or event type", body = Problem),
        (status = 422, description = "Too many endpoints", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn create_endpoint(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Body(request): Body<EndpointRequestDto>,
) -> ApiResult<(StatusCode, Json<WebhookEndpointDto>)> {
    let (request, _) = endpoint_request(request)?;
    let endpoint = state.billing.webhooks().create_webhook_endpoint(&caller, request).await?;
    Ok((StatusCode::CREATED, Json(WebhookEndpointDto::new(&endpoint, true))))
}

/// Webhook endpoints: the account's own; for operators, every one.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints", tag = "events",
    responses((status = 200, description = "The endpoints", body = [WebhookEndpointDto])),
    security(("api_key" = [])))]
pub async fn list_endpoints(
    State(state): State<ApiState>,
    Authed(caller): Authed,
) -> ApiResult<Json<Vec<WebhookEndpointDto>>> {
    let endpoints = state.billing.webhooks().webhook_endpoints(&caller).await?;
    Ok(Json(endpoints.iter().map(|e| WebhookEndpointDto::new(e, false)).collect()))
}

/// One webhook endpoint.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints/{id}", tag = "events",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpointDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such endpoint in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_endpoint(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WebhookEndpointId>,
) -> ApiResult<Json<WebhookEndpointDto>> {
    Ok(Json(WebhookEndpointDto::new(&state.billing.webhooks().webhook_endpoint(&caller, &id).await?, false)))
}

/// Change an endpoint's URL, event types and description, or enable or
/// disable it.
#[utoipa::path(put, path = "/api/v1/webhook-endpoints/{id}", tag = "events",
    params(("id" = String, Path, description = "Endpoint id")),
    request_body = EndpointRequestDto,
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpointDto),
        (status = 400, description = "Bad URL, event type or status", body = Problem),
        (status = 404, description = "No such endpoint in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn update_endpoint(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WebhookEndpointId>,
    Body(request): Body<EndpointRequestDto>,
) -> ApiResult<Json<WebhookEndpointDto>> {
    let (request, status) = endpoint_request(request)?;
    let endpoint = state.billing.webhooks().update_webhook_endpoint(&caller, &id, request, status).await?;
    Ok(Json(WebhookEndpointDto::new(&endpoint, false)))
}

/// Delete an endpoint; deliveries still waiting for it are dropped.
#[utoipa::path(delete, path = "/api/v1/webhook-endpoints/{id}", tag = "events",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such endpoint in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn delete_endpoint(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WebhookEndpointId>,
) -> ApiResult<StatusCode> {
    state.billing.webhooks().delete_webhook_endpoint(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable an endpoint: it receives nothing until enabled again.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{id}/disable", tag = "events",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpointDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such endpoint in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn disable_endpoint(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WebhookEndpointId>,
) -> ApiResult<Json<WebhookEndpointDto>> {
    Ok(Json(WebhookEndpointDto::new(&state.billing.webhooks().disable_webhook_endpoint(&caller, &id).await?, false)))
}

/// Give an endpoint a new signing secret, shown this once; the old secret
/// still signs for 24 hours, so that receivers can switch over.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{id}/rotate-secret", tag = "events",
    params(("id" = String, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint, with its new secret", body = WebhookEndpointDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such endpoint in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn rotate_secret(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<WebhookEndpointId>,
) -> ApiResult<Json<WebhookEndpointDto>> {
    Ok(Json(WebhookEndpointDto::new(&state.billing.webhooks().rotate_webhook_secret(&caller, &id).await?, true)))
}
