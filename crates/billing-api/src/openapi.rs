//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::routes::{accounts, instances, refunds, unsubscription};

/// Document metadata and the bearer-key scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "spark-billing",
        description = "Sell, meter and take back prepaid capacity of a serverless Spark platform. \
            Every route under /api/v1 needs `Authorization: Bearer <key>`; errors are \
            application/problem+json with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&BearerKey),
    tags(
        (name = "accounts", description = "Accounts, API keys and balances"),
        (name = "unsubscription", description = "Instances, quotes and unsubscriptions"),
        (name = "refunds", description = "Refunds and their status"),
    ),
)]
pub struct ApiDoc;

struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("API key").build();
        components.add_security_scheme("api_key", SecurityScheme::Http(scheme));
    }
}

/// Every documented route.
pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::list_accounts, accounts::create_account))
        .routes(routes!(accounts::get_account))
        .routes(routes!(accounts::create_api_key))
        .routes(routes!(accounts::top_up))
        .routes(routes!(instances::list_instances))
        .routes(routes!(instances::get_instance))
        .routes(routes!(unsubscription::create_quote))
        .routes(routes!(unsubscription::create_unsubscription))
        .routes(routes!(unsubscription::get_unsubscription))
        .routes(routes!(refunds::list_refunds))
        .routes(routes!(refunds::get_refund))
        .routes(routes!(refunds::retry_refund))
}

/// The document as pretty JSON, as committed in `docs/openapi.json`.
pub fn document_json() -> String {
    let (_, document) = routes().split_for_parts();
    document.to_pretty_json().unwrap_or_default()
}
