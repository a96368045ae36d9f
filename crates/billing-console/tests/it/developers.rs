//! The Developers page: an endpoint added shows its secret once, other
//! accounts do not see it, and the operator's failing-endpoints page.

use axum::http::StatusCode;

use crate::support::console;

#[tokio::test]
async fn an_endpoint_added_shows_its_secret_once_and_only_to_its_account() {
    let c = console().await;
    let alice = c.sign_in(&c.alice.key).await;
    let page = c.get("/console/developers", &alice).await;
    assert_eq!(page.status, StatusCode::OK);
    let form = format!("csrf={}&url=https%3A%2F%2Fhooks.example.com%2Fx&event_type=order.paid", page.csrf());
    let added = c.post("/console/developers/endpoints", &alice, &form).await;
    assert_eq!(added.status, StatusCode::OK);
    assert!(added.text.contains("whsec_") && added.text.contains("hooks.example.com/x"), "{}", added.text);
    let again = c.get("/console/developers", &alice).await;
    assert!(again.text.contains("hooks.example.com/x") && !again.text.contains("whsec_"), "shown once");
    let bob = c.sign_in(&c.bob.key).await;
    assert!(!c.get("/console/developers", &bob).await.text.contains("hooks.example.com"));
    let bad = format!("csrf={}&url=http%3A%2F%2Fexample.com", page.csrf());
    let refused = c.post("/console/developers/endpoints", &alice, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "the form is answered with what is wrong");
    assert!(refused.text.contains("https://"), "{}", refused.text);
    let operator = c.sign_in(&c.operator).await;
    let failing = c.get("/console/operator/webhooks", &operator).await;
    assert_eq!(failing.status, StatusCode::OK);
    assert!(failing.text.contains("No endpoint is failing"));
    assert_eq!(c.get("/console/operator/webhooks", &alice).await.status, StatusCode::FORBIDDEN);
}
