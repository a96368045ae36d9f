//! Regions, prices and policy versions over HTTP.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::api;

fn tokyo_update() -> Value {
    json!({"zone": "Asia/Tokyo", "currency": "JPY", "cu_month_price": "5000", "cu_hour_price": "11.5",
        "min_quota_cu": 10, "min_months": 1, "max_months": 9})
}

#[tokio::test]
async fn regions_are_listed_and_one_shows_its_plan_pack_prices() {
    let api = api().await;
    let listed = api.get("/api/v1/regions", &api.alice.key).await;
    let singapore = listed.ok(StatusCode::OK).as_array().unwrap().iter().find(|r| r["id"] == "ap-southeast-1").cloned();
    let singapore = singapore.unwrap();
    assert_eq!(
        (singapore["cu_month_price"].as_str(), singapore["cu_hour_price"].as_str()),
        (Some("32.21"), Some("0.067106"))
    );
    assert_eq!(singapore["zone"], "Asia/Shanghai");
    let one = api.get("/api/v1/regions/ap-southeast-1", &api.alice.key).await;
    let body = one.ok(StatusCode::OK);
    assert_eq!(body["region"]["min_quota_cu"], 25);
    let pack = body["plan_packs"].as_array().unwrap().iter().find(|p| p["capacity_cu_hours"] == "1000.000").cloned();
    assert_eq!(pack.unwrap()["list_price"], "53.68", "1000 × 0.067106 × 80 %, rounded down");
    api.get("/api/v1/regions/mars-1", &api.alice.key).await.problem(StatusCode::NOT_FOUND, "NOT_FOUND");
}

#[tokio::test]
async fn an_operator_reprices_a_region_and_customers_may_not() {
    let api = api().await;
    api.put("/api/v1/regions/ap-northeast-1", &api.alice.key, tokyo_update())
        .await
        .problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let set = api.put("/api/v1/regions/ap-northeast-1", &api.operator, tokyo_update()).await;
    assert_eq!(set.ok(StatusCode::OK)["region"]["cu_month_price"], "5000");
    assert_eq!(set.body["plan_packs"][0]["list_price"], "920", "100 × 11.5 × 80 %");
    let read = api.get("/api/v1/regions/ap-northeast-1", &api.alice.key).await;
    assert_eq!(read.ok(StatusCode::OK)["region"]["max_months"], 9);
    let added = api.put("/api/v1/regions/us-east-1", &api.operator, json!({"zone": "America/New_York",
        "currency": "USD", "cu_month_price": "30", "cu_hour_price": "0.06", "min_quota_cu": 25, "min_months": 1, "max_months": 9})).await;
    assert_eq!(added.ok(StatusCode::OK)["region"]["cu_month_price"], "30.00");
}

#[tokio::test]
async fn bad_region_updates_are_refused_naming_the_field_and_change_nothing() {
    let api = api().await;
    let with = |field: &str, value: Value| {
        let mut body = tokyo_update();
        body[field] = value;
        body
    };
    let cases = [
        ("ap-northeast-1", with("zone", json!("Mars/Olympus")), "zone"),
        ("ap-northeast-1", with("currency", json!("GBP")), "currency"),
        ("ap-northeast-1", with("cu_month_price", json!("5000.5")), "cu_month_price"),
        ("ap-northeast-1", with("cu_hour_price", json!("0.0000001")), "cu_hour_price"),
        ("ap-northeast-1", with("cu_month_price", json!("0")), "cu_month_price"),
        ("ap-northeast-1", with("min_months", json!(13)), "min_months"),
        ("ap-northeast-1", with("min_quota_cu", json!(-1)), "body"),
        ("ap-northeast-1", with("discount", json!("1")), "body"),
        ("Bad_Region", tokyo_update(), "id"),
    ];
    for (id, body, field) in cases {
        api.put(&format!("/api/v1/regions/{id}"), &api.operator, body).await.names_field(field);
    }
    let read = api.get("/api/v1/regions/ap-northeast-1", &api.alice.key).await;
    assert_eq!(read.ok(StatusCode::OK)["region"]["cu_month_price"], "4800", "unchanged");
}

#[tokio::test]
async fn region_months_quota_and_prices_beyond_their_bounds_are_refused_naming_the_setting() {
    let api = api().await;
    let with = |field: &str, value: Value| {
        let mut body = tokyo_update();
        body[field] = value;
        body
    };
    let cases = [
        (with("max_months", json!(2_147_483_647_u32)), "max_months"),
        (with("max_months", json!(10)), "max_months"),
        (with("max_months", json!(0)), "max_months"),
        (with("min_months", json!(0)), "min_months"),
        (with("min_quota_cu", json!(0)), "min_quota_cu"),
        (with("min_quota_cu", json!(10_001)), "min_quota_cu"),
        (with("min_quota_cu", json!(4_294_967_295_u32)), "min_quota_cu"),
        (with("cu_month_price", json!("1000001")), "cu_month_price"),
        (with("cu_hour_price", json!("0")), "cu_hour_price"),
        (with("cu_hour_price", json!("10000.000001")), "cu_hour_price"),
    ];
    for (body, field) in cases {
        api.put("/api/v1/regions/ap-northeast-1", &api.operator, body).await.names_field(field);
    }
    let read = api.get("/api/v1/regions/ap-northeast-1", &api.alice.key).await;
    assert_eq!(read.ok(StatusCode::OK)["region"]["max_months"], 9, "unchanged");
    let mut edges = with("min_quota_cu", json!(10_000));
    for (field, value) in [("cu_month_price", "1000000"), ("cu_hour_price", "10000")] {
        edges[field] = json!(value);
    }
    edges["min_months"] = json!(9);
    let set = api.put("/api/v1/regions/ap-northeast-1", &api.operator, edges).await;
    assert_eq!(set.ok(StatusCode::OK)["region"]["min_quota_cu"], 10_000, "the bounds themselves are accepted");
}

#[tokio::test]
async fn policy_versions_are_listed_with_the_one_in_force() {
    let api = api().await;
    let listed = api.get("/api/v1/policy-versions", &api.alice.key).await;
    let first = &listed.ok(StatusCode::OK)[0];
    assert_eq!((first["version"].as_u64(), first["in_force"].as_bool()), (Some(1), Some(true)));
    assert_eq!(first["settings"]["resource_plan_window"], "5d", "120 hours, in the largest whole unit");
    assert_eq!(first["settings"]["full_refunds_per_year"], "none");
}

#[tokio::test]
async fn an_operator_adds_a_policy_version_changing_only_the_settings_given() {
    let api = api().await;
    let body = json!({"effective_from": "2026-04-01T00:00:00+08:00", "settings": {"quote_ttl": "30m", "full_refunds_per_year": "2"}});
    api.post("/api/v1/policy-versions", &api.alice.key, body.clone()).await.problem(StatusCode::FORBIDDEN, "FORBIDDEN");
    let added = api.post("/api/v1/policy-versions", &api.operator, body).await;
    let version = added.ok(StatusCode::CREATED);
    assert_eq!((version["version"].as_u64(), version["in_force"].as_bool()), (Some(2), Some(false)));
    assert_eq!(version["settings"]["quote_ttl"], "30m");
    assert_eq!(version["settings"]["full_refunds_per_year"], "2");
    assert_eq!(version["settings"]["card_refund_max_age"], "150d", "unchanged settings carry over");
    api.clock.set(crate::support::at("2026-04-01T00:00:00+08:00"));
    let listed = api.get("/api/v1/policy-versions", &api.alice.key).await;
    assert_eq!(listed.body[1]["in_force"], true);
    assert_eq!(listed.body[0]["in_force"], false);
}

#[tokio::test]
async fn bad_policy_versions_are_refused_naming_the_setting_and_add_nothing() {
    let api = api().await;
    let cases = [
        (json!({"effective_from": "2026-04-01T00:00:00Z", "settings": {"quote_ttl": "soon"}}), "settings.quote_ttl"),
        (
            json!({"effective_from": "2026-04-01T00:00:00Z", "settings": {"proration_unit": "week"}}),
            "settings.proration_unit",
        ),
        (
            json!({"effective_from": "2026-04-01T00:00:00Z", "settings": {"card_refund_max_age": "\u{e5}"}}),
            "settings.card_refund_max_age",
        ),
        (
            json!({"effective_from": "2026-04-01T00:00:00Z", "settings": {"quote_ttl": "15\u{e5}"}}),
            "settings.quote_ttl",
        ),
        (json!({"effective_from": "2026-04-01T00:00:00Z", "settings": {"refund_everything": "true"}}), "body"),
        (json!({"effective_from": "next week"}), "effective_from"),
        (json!({"effective_from": "2020-01-01T00:00:00Z"}), "effective_from"),
    ];
    for (body, field) in cases {
        api.post("/api/v1/policy-versions", &api.operator, body).await.names_field(field);
    }
    let listed = api.get("/api/v1/policy-versions", &api.operator).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn policy_durations_outside_their_bounds_like_an_absurd_quote_ttl_are_refused_naming_the_setting() {
    let api = api().await;
    let cases = [
        ("quote_ttl", "99999999999d"),
        ("quote_ttl", "0s"),
        ("quote_ttl", "25h"),
        ("card_refund_max_age", "0s"),
        ("paypal_refund_max_age", "3651d"),
        ("resource_plan_window", "99999999999d"),
    ];
    for (setting, value) in cases {
        let body = json!({"effective_from": "2026-04-01T00:00:00Z", "settings": {setting: value}});
        let answer = api.post("/api/v1/policy-versions", &api.operator, body).await;
        answer.names_field(&format!("settings.{setting}"));
    }
    let listed = api.get("/api/v1/policy-versions", &api.operator).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "nothing was added");
    let body = json!({"effective_from": "2026-04-01T00:00:00Z", "settings": {"quote_ttl": "24h"}});
    api.post("/api/v1/policy-versions", &api.operator, body).await.ok(StatusCode::CREATED);
}
