//! Liveness, readiness and metrics: no API key needed (`/metrics` may ask
//! for its own token).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::ApiState;
use crate::problem::ApiError;

/// `/healthz`, `/readyz` and `/metrics`.
pub fn router() -> Router<ApiState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ok\n")
}

/// The database answers.
async fn readyz(State(state): State<ApiState>) -> Result<impl IntoResponse, ApiError> {
    state.billing.operations().ping().await.map_err(|e| {
        tracing::warn!(error = %e, "database not ready");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "NOT_READY", "the database does not answer")
    })?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "ready\n"))
}

/// Request and use case counters in the Prometheus text format; with a metrics token
/// configured, only to its bearer.
async fn metrics(State(state): State<ApiState>, headers: HeaderMap) -> Result<impl IntoResponse, ApiError> {
    if let Some(token) = &state.metrics_token {
        let presented = crate::extract::bearer_secret(&headers).unwrap_or_default();
        if !token.admits(presented) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "send the metrics token as `Authorization: Bearer <token>`",
            ));
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()))
}
