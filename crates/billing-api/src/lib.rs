//! The JSON HTTP API of spark-billing.
//!
//! Every route under `/api/v1` takes `Authorization: Bearer <key>`; a
//! customer key sees only its own account (another account's ids answer 404,
//! exactly like missing ones) and operator-only routes answer 403. Errors are
//! `application/problem+json` with a stable `code`. Money-moving requests
//! take an `Idempotency-Key` header. The OpenAPI document is served at
//! `/api/openapi.json` and kept in `docs/openapi.json`.
#![forbid(unsafe_code)]

pub mod dto;
pub mod extract;
pub mod limit;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod reads;
pub mod routes;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use billing_app::Billing;
use tower_http::set_header::SetResponseHeaderLayer;

pub use limit::{Rate, RateLimiter};
pub use metrics::Exporter;
pub use problem::{ApiError, ApiResult, Problem};

/// Largest request body accepted, in bytes (usage CSV uploads included).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Most usage records one request may carry (well inside the body limit).
pub const MAX_USAGE_RECORDS: usize = 10_000;

/// What every handler can reach. Axum clones the state for every request
/// and extractor, so it is one shared pointer rather than a bundle of them.
#[derive(Clone)]
pub struct ApiState(Arc<Shared>);

/// The parts of [`ApiState`].
pub struct Shared {
    /// The use cases.
    pub billing: Billing,
    /// Request limits per key and per client address.
    pub limiter: RateLimiter,
    /// What `/metrics` renders.
    pub metrics: Exporter,
    /// The bearer token `/metrics` asks for, if any.
    pub metrics_token: Option<metrics::MetricsToken>,
}

/// How the API is run; the default limits nothing and leaves `/metrics` open.
#[derive(Clone, Debug, Default)]
pub struct ApiSettings {
    /// Requests each authenticated API key may make.
    pub per_key: Option<Rate>,
    /// Requests each client address may make without a key the service
    /// knows already (no key, a wrong key, a key not used for a while).
    pub per_address: Option<Rate>,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    pub metrics_token: Option<metrics::MetricsToken>,
    /// The recorder `/metrics` renders; give the same one's meter to every
    /// copy of the use cases that should be counted (workers, the console).
    /// Without one, the API makes its own.
    pub exporter: Option<Exporter>,
}

impl ApiState {
    /// State over `billing`, run as `settings` say; `billing` counts into
    /// the settings' exporter.
    pub fn new(billing: Billing, settings: ApiSettings) -> ApiState {
        let exporter = settings.exporter.unwrap_or_default();
        ApiState(Arc::new(Shared {
            billing: billing.with_meter(exporter.meter()),
            limiter: RateLimiter::new(settings.per_key, settings.per_address),
            metrics: exporter,
            metrics_token: settings.metrics_token,
        }))
    }
}

impl std::ops::Deref for ApiState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The API's routes with their state: health, metrics, the OpenAPI
/// document and everything under `/api/v1`. Every answer, errors included,
/// says `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`:
/// answers carry account data and sometimes secrets (a new key), which no
/// cache may keep.
pub fn router(state: ApiState) -> Router {
    let (api, document) = openapi::split();
    let document = Arc::new(document);
    routes::health::router()
        .merge(api)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { axum::Json((*document).clone()) }
            }),
        )
        .fallback(|| async { ApiError::no_route() })
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(problem::problems_only))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "something went wrong on our side; it has been logged",
            ))
        }))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state)
}
