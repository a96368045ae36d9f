//! The committed OpenAPI document is what the code generates.

use std::path::Path;

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
