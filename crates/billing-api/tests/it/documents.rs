//! Billing documents through the API: the list with paging and kinds, one
//! document as JSON, HTML and PDF, and the seller operators set.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::api;

#[tokio::test]
async fn a_paid_plan_has_an_invoice_in_json_html_and_pdf_that_only_its_owner_sees() {
    let api = api().await;
    let seller = json!({"name": "Spark Cloud Pte. Ltd.", "address": "1 Harbourfront\nSingapore", "tax_id": "SG-1"});
    api.put("/api/v1/documents/seller", &api.alice.key, seller.clone())
        .await
        .problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let too_long = json!({"name": "x".repeat(121)});
    api.put("/api/v1/documents/seller", &api.operator, too_long)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_INPUT");
    assert_eq!(api.put("/api/v1/documents/seller", &api.operator, seller).await.ok(StatusCode::OK)["tax_id"], "SG-1");

    let card = api.alice.card_id.clone();
    for key in ["p1", "p2"] {
        let body = json!({"region_id": "ap-southeast-1", "capacity_cu_hours": "100", "months": 1,
            "tenders": [{"method": "card", "payment_method_id": card, "amount": "5.36"}]});
        api.post_idem("/api/v1/orders/plan", &api.alice.key, key, body).await.ok(StatusCode::CREATED);
    }
    let page = api.get("/api/v1/documents?kind=invoice&limit=1", &api.alice.key).await.ok(StatusCode::OK).clone();
    let newest = page.as_array().unwrap()[0].clone();
    assert_eq!(newest["number"], "INV-2026-000002");
    let id = newest["id"].as_str().unwrap().to_owned();
    let next = api.get(&format!("/api/v1/documents?limit=5&starting_after={id}"), &api.alice.key).await;
    let next = next.ok(StatusCode::OK).clone();
    let numbers: Vec<&str> = next.as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["INV-2026-000001"]);
    let none = api.get("/api/v1/documents?kind=credit_note", &api.alice.key).await.ok(StatusCode::OK).clone();
    assert_eq!(none.as_array().unwrap().len(), 0);
    api.get("/api/v1/documents?kind=receipt", &api.alice.key).await.problem(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    let all = api.get("/api/v1/documents", &api.operator).await.ok(StatusCode::OK).clone();
    assert_eq!(all.as_array().unwrap().len(), 2, "an operator sees every account's");
    assert_eq!(api.get("/api/v1/documents", &api.bob.key).await.ok(StatusCode::OK).as_array().unwrap().len(), 0);

    let one = api.get(&format!("/api/v1/documents/{id}"), &api.alice.key).await.ok(StatusCode::OK).clone();
    assert_eq!(
        (one["kind"].as_str(), one["total"].as_str(), one["currency"].as_str()),
        (Some("invoice"), Some("5.36"), Some("USD"))
    );
    assert_eq!(one["content"]["seller"]["name"], "Spark Cloud Pte. Ltd.");
    assert_eq!(one["sha256"].as_str().unwrap().len(), 64);

    let html = api.get(&format!("/api/v1/documents/{id}/html"), &api.alice.key).await;
    assert_eq!((html.status, html.content_type.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(html.text.contains("INV-2026-000002") && html.text.contains("$5.36"));
    let pdf = api.get(&format!("/api/v1/documents/{id}/pdf"), &api.alice.key).await;
    assert_eq!((pdf.status, pdf.content_type.as_str()), (StatusCode::OK, "application/pdf"));
    assert_eq!(pdf.disposition.as_deref(), Some("inline; filename=\"INV-2026-000002.pdf\""));
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    for path in ["", "/html", "/pdf"] {
        api.hidden_from_bob(Method::GET, &format!("/api/v1/documents/{id}{path}"), &id, None).await;
    }
}
