//! The operator's accounts, account page, filtered audit log and refund
//! search.

use axum::http::StatusCode;
use billing_app::unsubscription::records::RefundFilter;
use billing_domain::ids::AccountId;
use billing_domain::order::PaymentMethodKind;

use crate::support::{Console, console};

/// Alice gives her quota back, so she has a refund.
pub async fn alice_unsubscribes(c: &Console) -> String {
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get(&format!("/console/instances/{}/unsubscribe", c.alice.quota_id), &session).await;
    let quote_id = page.text.split("/console/quotes/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let form = format!("csrf={}&idempotency_key=op&confirm_name=etl&terms=accepted", page.csrf());
    let done = c.post(&format!("/console/quotes/{quote_id}/confirm"), &session, &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let filter = RefundFilter { limit: 10, ..RefundFilter::default() };
    c.billing.unsubscriptions().refunds(&c.alice.caller, filter).await.unwrap().remove(0).id.into_string()
}

pub fn alice_id(c: &Console) -> AccountId {
    match &c.alice.caller {
        billing_app::Caller::Customer(id) => id.clone(),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn operators_list_and_search_accounts_and_customers_may_not() {
    let c = console().await;
    let alice = c.sign_in(&c.alice.key).await;
    assert_eq!(c.get("/console/operator/accounts", &alice).await.status, StatusCode::FORBIDDEN);
    let operator = c.sign_in(&c.operator).await;
    let home = c.get("/console/operator", &operator).await;
    assert!(home.text.contains("href=\"/console/operator/accounts\""), "the navigation links the accounts");
    let list = c.get("/console/operator/accounts", &operator).await;
    assert_eq!(list.status, StatusCode::OK);
    let row = list.text.split(&format!("data-account=\"{}\"", alice_id(&c))).nth(1).unwrap();
    let row = row.split("</tr>").next().unwrap();
    for shown in ["alice", "USD 49,194.75", "Asia/Shanghai (UTC+08:00)", ">1<", ">0<"] {
        assert!(row.contains(shown), "{shown} missing from {row}");
    }
    let found = c.get("/console/operator/accounts?q=ALI", &operator).await;
    assert!(found.text.contains(">alice</a>") && !found.text.contains(">bob</a>"), "{}", found.text);
    let none = c.get("/console/operator/accounts?q=zed", &operator).await;
    assert!(none.text.contains("No account has “zed”"), "{}", none.text);
    let bad = c.get("/console/operator/accounts?after=acc_nope", &operator).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("role=\"alert\"") && !bad.text.contains("INVALID_INPUT"), "{}", bad.text);
}

#[tokio::test]
async fn the_account_page_shows_methods_instances_refunds_and_balance_entries_in_its_zone() {
    let c = console().await;
    let id = alice_id(&c);
    c.billing
        .accounts()
        .add_payment_method(&c.alice.caller, &id, PaymentMethodKind::Card, "4242 4242 4242 4242")
        .await
        .unwrap();
    c.billing
        .accounts()
        .add_payment_method(&c.alice.caller, &id, PaymentMethodKind::Paypal, "ann@example.com")
        .await
        .unwrap();
    let refund = alice_unsubscribes(&c).await;
    let operator = c.sign_in(&c.operator).await;
    let page = c.get(&format!("/console/operator/accounts/{id}"), &operator).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Visa ending 4242",
        "PayPal (a…@example.com)",
        "<td data-label=\"Workspace\">etl (deleted)</td>",
        "Unsubscribed",
        &format!("href=\"/console/operator/refunds/{refund}\""),
        "Balance entries",
        "+USD 50,000.00",
        "Asia/Shanghai (UTC+08:00)",
    ] {
        assert!(page.text.contains(shown), "{shown} missing");
    }
    assert!(!page.text.contains(" UTC<") && !page.text.contains(" UTC "), "every instant has its offset");
    let missing = c.get("/console/operator/accounts/acc_nope", &operator).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let damaged = c.get(&format!("/console/operator/accounts/{id}?before=mov_nope"), &operator).await;
    assert!(damaged.status.is_client_error());
}

#[tokio::test]
async fn the_audit_log_is_filtered_from_the_address_and_keeps_bad_input() {
    let c = console().await;
    let operator = c.sign_in(&c.operator).await;
    let all = c.get("/console/operator/audit", &operator).await;
    assert!(all.text.contains("account.created") && all.text.contains("Asia/Shanghai (UTC+08:00)"));
    let path = "/console/operator/audit?account=alice&action=workspace.created&from=2026-03-10&to=2026-03-10";
    let filtered = c.get(path, &operator).await;
    assert_eq!(filtered.status, StatusCode::OK);
    let rows = filtered.text.matches("<tr><th scope=\"row\"").count();
    assert_eq!(rows, 1, "only alice's workspace: {}", filtered.text);
    assert!(filtered.text.contains(c.alice.workspace_id.as_str()));
    assert!(filtered.text.contains("value=\"alice\"") && filtered.text.contains("value=\"2026-03-10\""));
    let later = c.get("/console/operator/audit?account=alice&from=2026-03-11", &operator).await;
    assert!(later.text.contains("No events match"), "nothing happened after that day");

    for (query, says) in [
        ("from=2026-13-01&account=alice", "The From date “2026-13-01” is not a date"),
        ("from=2026-03-10&to=2026-03-09", "before the From date"),
        ("account=nobody", "No account is named “nobody”"),
    ] {
        let bad = c.get(&format!("/console/operator/audit?{query}"), &operator).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(bad.text.contains(says), "{query}: {}", bad.text);
        assert!(!bad.text.contains("INVALID"), "no code in the message");
    }
    let kept = c.get("/console/operator/audit?from=2026-13-01&account=alice", &operator).await;
    assert!(kept.text.contains("value=\"2026-13-01\"") && kept.text.contains("value=\"alice\""));
}

#[tokio::test]
async fn a_refund_search_opens_a_refund_by_id_or_lists_an_accounts_refunds() {
    let c = console().await;
    let refund = alice_unsubscribes(&c).await;
    let operator = c.sign_in(&c.operator).await;
    let by_id = c.get(&format!("/console/operator/refunds?q={refund}"), &operator).await;
    assert_eq!(
        (by_id.status, by_id.location()),
        (StatusCode::SEE_OTHER, format!("/console/operator/refunds/{refund}").as_str())
    );
    let page = c.get(by_id.location(), &operator).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("alice") && page.text.contains("UTC+08:00"), "{}", page.text);
    let by_name = c.get("/console/operator/refunds?q=Alice", &operator).await;
    assert!(by_name.text.contains("Refunds of <a href") && by_name.text.contains(&refund), "{}", by_name.text);
    let bob = c.get("/console/operator/refunds?q=bob", &operator).await;
    assert!(bob.text.contains("No refunds match") && !bob.text.contains(&refund));
    let nothing = c.get("/console/operator/refunds?q=ref_nope", &operator).await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);
    assert!(nothing.text.contains("No refund has the ID “ref_nope”") && nothing.text.contains("value=\"ref_nope\""));
    let alice = c.sign_in(&c.alice.key).await;
    assert_eq!(c.get(&format!("/console/operator/refunds/{refund}"), &alice).await.status, StatusCode::FORBIDDEN);
}
