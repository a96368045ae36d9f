//! The committed OpenAPI document is what the code generates, and it
//! describes every route of the issue with its errors.

use std::path::Path;

use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(&billing_api::openapi::document_json()).unwrap()
}

#[test]
fn the_committed_openapi_document_is_current() {
    let generated = billing_api::openapi::document_json();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    assert!(
        committed == generated,
        "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test -p billing-api openapi` and commit it"
    );
}

#[test]
fn the_openapi_document_lists_every_route() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let routes = [
        ("get", "/api/v1/accounts/{id}/payment-methods"),
        ("post", "/api/v1/accounts/{id}/payment-methods"),
        ("get", "/api/v1/payment-methods/{id}"),
        ("patch", "/api/v1/payment-methods/{id}"),
        ("get", "/api/v1/accounts/{id}/benefits"),
        ("post", "/api/v1/accounts/{id}/benefits"),
        ("get", "/api/v1/workspaces"),
        ("post", "/api/v1/workspaces"),
        ("get", "/api/v1/workspaces/{id}"),
        ("post", "/api/v1/workspaces/{id}/jobs"),
        ("post", "/api/v1/workspaces/{id}/data-objects"),
        ("get", "/api/v1/workspaces/{id}/backup"),
        ("get", "/api/v1/workspaces/{id}/settlements"),
        ("get", "/api/v1/regions"),
        ("get", "/api/v1/regions/{id}"),
        ("put", "/api/v1/regions/{id}"),
        ("post", "/api/v1/orders/quota"),
        ("post", "/api/v1/orders/plan"),
        ("post", "/api/v1/instances/{id}/renewals"),
        ("post", "/api/v1/orders/{id}/payment"),
        ("post", "/api/v1/orders/{id}/cancellation"),
        ("get", "/api/v1/orders/{id}"),
        ("get", "/api/v1/instances/{id}/orders"),
        ("post", "/api/v1/usage"),
        ("post", "/api/v1/usage.csv"),
        ("get", "/api/v1/ledger/check"),
        ("get", "/api/v1/audit"),
        ("get", "/api/v1/audit/verify"),
        ("get", "/api/v1/policy-versions"),
        ("post", "/api/v1/policy-versions"),
        ("get", "/api/v1/api-keys"),
        ("post", "/api/v1/api-keys/{id}/revoke"),
        ("post", "/api/v1/api-keys/{id}/roll"),
    ];
    for (method, path) in routes {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not documented");
    }
}

#[test]
fn every_error_answer_is_a_documented_problem() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            if path.starts_with("/api/v1/") {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                assert_eq!(schema, "#/components/schemas/Problem", "{method} {path} {status}");
            }
        }
    }
}

#[test]
fn optional_answer_fields_are_marked_nullable() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [("OrderDto", "paid_at"), ("BenefitDto", "order_id"), ("AuditReportDto", "problem")] {
        let types = &schemas[schema]["properties"][field]["type"];
        assert_eq!(types, &serde_json::json!(["string", "null"]), "{schema}.{field}");
    }
    let backup = &doc["paths"]["/api/v1/workspaces/{id}/backup"]["get"]["responses"]["200"];
    assert!(backup["content"]["application/gzip"].is_object());
    assert!(backup["headers"]["Content-Disposition"].is_object());
}
