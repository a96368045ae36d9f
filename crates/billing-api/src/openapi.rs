//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Router;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::routes::{
    accounts, api_keys, benefits, bills, catalog, documents, events, instances, integrity, orders, payment_methods,
    policy, refunds, renewals, unsubscription, usage, workspaces,
};

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
        (name = "payment methods", description = "Cards, PayPal and bank accounts an account pays with"),
        (name = "benefits", description = "Vouchers and coupons"),
        (name = "workspaces", description = "Workspaces, their jobs, data objects, queues, backups and settlements"),
        (name = "catalog", description = "Regions, prices and resource plan packs"),
        (name = "orders", description = "Buying quotas and resource plans, renewals, payments"),
        (name = "usage", description = "Usage import and hourly settlement"),
        (name = "unsubscription", description = "Instances, quotes and unsubscriptions"),
        (name = "refunds", description = "Refunds and their status"),
        (name = "documents", description = "Invoices and credit notes as JSON, HTML and PDF"),
        (name = "integrity", description = "Ledger check and the audit trail"),
        (name = "policy", description = "Versions of the refund policy"),
        (name = "events", description = "Events and the webhook endpoints they are delivered to"),
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
        .routes(routes!(api_keys::list_api_keys))
        .routes(routes!(api_keys::revoke_api_key))
        .routes(routes!(api_keys::roll_api_key))
        .routes(routes!(instances::list_instances))
        .routes(routes!(instances::get_instance))
        .routes(routes!(unsubscription::create_quote))
        .routes(routes!(unsubscription::create_unsubscription))
        .routes(routes!(unsubscription::create_quota_change))
        .routes(routes!(unsubscription::get_unsubscription))
        .routes(routes!(refunds::list_refunds))
        .routes(routes!(refunds::get_refund))
        .routes(routes!(refunds::retry_refund))
        .routes(routes!(documents::list_documents))
        .routes(routes!(documents::get_seller, documents::put_seller))
        .routes(routes!(documents::get_document))
        .routes(routes!(documents::get_document_pdf))
        .routes(routes!(documents::get_document_html))
        .routes(routes!(payment_methods::list_payment_methods, payment_methods::add_payment_method))
        .routes(routes!(payment_methods::get_payment_method, payment_methods::update_payment_method))
        .routes(routes!(benefits::list_benefits, benefits::grant_benefit))
        .routes(routes!(workspaces::list_workspaces, workspaces::create_workspace))
        .routes(routes!(workspaces::get_workspace))
        .routes(routes!(workspaces::add_job))
        .routes(routes!(workspaces::add_data_object))
        .routes(routes!(workspaces::backup_workspace))
        .routes(routes!(workspaces::delete_workspace))
        .routes(routes!(workspaces::list_settlements))
        .routes(routes!(catalog::list_regions))
        .routes(routes!(catalog::get_region, catalog::put_region))
        .routes(routes!(orders::order_quota))
        .routes(routes!(orders::order_plan))
        .routes(routes!(orders::pay_order))
        .routes(routes!(orders::cancel_order))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::list_instance_orders))
        .routes(routes!(bills::list_orders))
        .routes(routes!(bills::list_usage_days))
        .routes(routes!(renewals::renew_instance))
        .routes(routes!(usage::import_usage))
        .routes(routes!(usage::import_usage_csv))
        .routes(routes!(integrity::ledger_check))
        .routes(routes!(integrity::list_audit))
        .routes(routes!(integrity::verify_audit))
        .routes(routes!(policy::list_policy_versions, policy::add_policy_version))
        .routes(routes!(events::list_events))
        .routes(routes!(events::get_event))
        .routes(routes!(events::list_event_attempts))
        .routes(routes!(events::redeliver_event))
        .routes(routes!(events::create_endpoint, events::list_endpoints))
        .routes(routes!(events::get_endpoint, events::update_endpoint, events::delete_endpoint))
        .routes(routes!(events::disable_endpoint))
        .routes(routes!(events::rotate_secret))
}

/// The routes and the finished document.
pub fn split() -> (Router<ApiState>, Document) {
    let (router, mut document) = routes().split_for_parts();
    finish(&mut document);
    (router, document)
}

/// The document as pretty JSON, as committed in `docs/openapi.json`.
pub fn document_json() -> String {
    let (_, document) = split();
    let mut json = document.to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

/// Answers every operation under `/api/v1` may give whatever it does.
const COMMON_PROBLEMS: [(&str, &str); 3] = [
    ("401", "Missing, unknown or revoked API key"),
    (
        "429",
        "Too many requests with this key, or without a key known here from this address (RATE_LIMITED); retry after `Retry-After` seconds",
    ),
    ("503", "The database is busy (BUSY) or cannot be reached (UNAVAILABLE); retry after `Retry-After` seconds"),
];

/// Answers that say in `Retry-After` when to try again.
const RETRY_AFTER_STATUSES: [&str; 2] = ["429", "503"];

/// Completes every operation: problems are served as
/// `application/problem+json`; every operation under `/api/v1` lists the
/// answers any of them can give (401, 429, 503); and every operation with a
/// body can answer 400, 408 and 413.
fn finish(document: &mut Document) {
    for (path, item) in document.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            if path.starts_with("/api/v1/") {
                for (status, description) in COMMON_PROBLEMS {
                    add_problem(operation, status, description);
                }
            }
            if operation.request_body.is_some() {
                add_problem(operation, "400", "Malformed request");
                add_problem(operation, "408", "The body stopped arriving before it was complete");
                add_problem(operation, "413", "The body is larger than the limit");
            }
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    let content = std::mem::take(&mut response.content);
                    response.content = content
                        .into_iter()
                        .map(|(media, content)| match &content.schema {
                            Some(RefOr::Ref(r)) if r.ref_location == PROBLEM_REF => {
                                ("application/problem+json".to_owned(), content)
                            }
                            _ => (media, content),
                        })
                        .collect();
                }
            }
        }
    }
}

const PROBLEM_REF: &str = "#/components/schemas/Problem";

fn add_problem(operation: &mut Operation, status: &str, description: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", Content::new(Some(Ref::from_schema_name("Problem"))));
    if RETRY_AFTER_STATUSES.contains(&status) {
        let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1));
        let header = HeaderBuilder::new().schema(seconds).description(Some("Seconds to wait before retrying"));
        response = response.header("Retry-After", header.build());
    }
    let response = response.build();
    operation.responses.responses.insert(status.to_owned(), RefOr::T(response));
}
