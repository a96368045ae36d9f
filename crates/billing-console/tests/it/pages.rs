//! The console's routes: sign-in, CSRF, tenant isolation, operator pages
//! and friendly answers to bad input.

use axum::http::StatusCode;
use billing_app::Caller;
use billing_app::model::InstanceState;
use billing_console::ConsoleState;

use crate::support::console;

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_session_and_lands_on_workspaces() {
    let c = console().await;
    let form = c.get("/console/sign-in", &[]).await;
    let nonce = form.cookies();
    let answer = c.post("/console/sign-in", &nonce, &format!("csrf={}&api_key={}", form.csrf(), c.alice.key)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location(), "/console/workspaces");
    let set = answer.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("sb_session=")).unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/console"));
    assert!(!session.contains(&c.alice.key));
    let page = c.get("/console/workspaces", &c.sign_in(&c.alice.key).await).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("25 CU"));
}

#[tokio::test]
async fn a_wrong_key_or_a_sign_in_without_its_token_does_not_sign_in() {
    let c = console().await;
    let form = c.get("/console/sign-in", &[]).await;
    let nonce = form.cookies();
    let wrong = c.post("/console/sign-in", &nonce, &format!("csrf={}&api_key=sbk_nope", form.csrf())).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let no_token = c.post("/console/sign-in", &nonce, &format!("api_key={}", c.alice.key)).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.cookies().is_empty());
}

#[tokio::test]
async fn pages_send_visitors_without_a_valid_session_to_sign_in() {
    let c = console().await;
    assert_eq!(c.get("/console/workspaces", &[]).await.location(), "/console/sign-in");
    let mut forged = c.sign_in(&c.alice.key).await;
    // Flip the last hex digit of the signature.
    let last = if forged[0].ends_with('0') { "1" } else { "0" };
    forged[0] = format!("{}{last}", &forged[0][..forged[0].len() - 1]);
    assert_eq!(c.get("/console/workspaces", &forged).await.location(), "/console/sign-in");
}

#[tokio::test]
async fn a_confirmation_without_its_csrf_token_is_refused_and_changes_nothing() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let quote =
        c.billing.unsubscriptions().quote_unsubscription(&c.alice.caller, &c.alice.quota_id, None).await.unwrap();
    let path = format!("/console/quotes/{}/confirm", quote.stored.id);
    let form = "idempotency_key=k1&confirm_name=etl&terms=accepted";
    for body in [form.to_owned(), format!("{form}&csrf=00"), format!("{form}&csrf=")] {
        let answer = c.post(&path, &session, &body).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(answer.text.contains("CSRF_TOKEN_INVALID"));
    }
    let instance = c.billing.purchases().instance(&c.alice.caller, &c.alice.quota_id).await.unwrap();
    assert_eq!(instance.state, InstanceState::Active);
}

#[tokio::test]
async fn a_confirmation_with_its_token_refunds_once_even_when_sent_twice() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get(&format!("/console/instances/{}/unsubscribe", c.alice.quota_id), &session).await;
    assert_eq!(page.status, StatusCode::OK);
    let quote_id = page.text.split("/console/quotes/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let form = format!("csrf={}&idempotency_key=double&confirm_name=etl&terms=accepted", page.csrf());
    let first = c.post(&format!("/console/quotes/{quote_id}/confirm"), &session, &form).await;
    let second = c.post(&format!("/console/quotes/{quote_id}/confirm"), &session, &form).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    assert_eq!(first.location(), second.location());
    let refunds = c.billing.unsubscriptions().refunds(
        &c.alice.caller,
        billing_app::unsubscription::records::RefundFilter { limit: 10, ..Default::default() },
    );
    assert_eq!(refunds.await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_wrong_workspace_name_shows_the_review_again_with_the_code() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get(&format!("/console/workspaces/{}/delete", c.alice.workspace_id), &session).await;
    let quote_id = page.text.split("/console/quotes/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let form = format!("csrf={}&idempotency_key=x&confirm_name=elt&terms=accepted", page.csrf());
    let answer = c.post(&format!("/console/quotes/{quote_id}/confirm"), &session, &form).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(answer.text.contains("CONFIRMATION_MISMATCH"));
    assert!(c.billing.accounts().workspace_details(&c.alice.caller, &c.alice.workspace_id).await.is_ok());
}

#[tokio::test]
async fn another_accounts_things_answer_404_like_missing_ones() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    for path in [
        format!("/console/workspaces/{}/delete", c.bob.workspace_id),
        format!("/console/workspaces/{}/backup", c.bob.workspace_id),
        format!("/console/instances/{}", c.bob.quota_id),
        format!("/console/instances/{}/unsubscribe", c.bob.quota_id),
        "/console/instances/ins_missing".to_owned(),
        "/console/refunds/ref_missing".to_owned(),
        "/console/unsubscriptions/uns_missing".to_owned(),
    ] {
        let answer = c.get(&path, &session).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(answer.text.contains("NOT_FOUND"), "{path}");
    }
}

#[tokio::test]
async fn customers_get_403_on_operator_pages_and_operators_see_them() {
    let c = console().await;
    let alice = c.sign_in(&c.alice.key).await;
    assert_eq!(c.get("/console/operator", &alice).await.status, StatusCode::FORBIDDEN);
    let operator = c.sign_in(&c.operator).await;
    let overview = c.get("/console/operator", &operator).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(overview.text.contains("Balanced"));
    assert!(overview.text.contains("cannot move"), "the system clock explains why it cannot be advanced");
    let clock = c.post("/console/operator/clock", &operator, &format!("csrf={}&by=1d", overview.csrf())).await;
    assert_eq!(clock.status, StatusCode::CONFLICT);
    assert!(clock.text.contains("INVALID_STATE"));
}

#[tokio::test]
async fn bad_input_gets_a_friendly_page_never_a_500() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get(&format!("/console/workspaces/{}/renew", c.alice.workspace_id), &session).await;
    let path = format!("/console/workspaces/{}/renew", c.alice.workspace_id);
    let key =
        page.text.split("name=\"idempotency_key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    for form in ["months=abc&pay_with=balance", "months=99&pay_with=balance", "months=1&pay_with=bitcoin"] {
        let body = format!("csrf={}&idempotency_key={key}&{form}", page.csrf());
        let answer = c.post(&path, &session, &body).await;
        assert!(answer.status.is_client_error(), "{form}: {}", answer.status);
    }
    for path in ["/console/refunds?status=%ff", "/console/unsubscribe?tab=%00&q=%zz", "/console/no/such/page"] {
        assert!(c.get(path, &session).await.status.as_u16() < 500, "{path}");
    }
}

#[tokio::test]
async fn replicas_sharing_a_database_accept_each_others_sessions() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let replica = billing_console::router(ConsoleState::new(c.billing.clone()));
    let request = axum::http::Request::get("/console/workspaces")
        .header("cookie", session.join("; "))
        .body(axum::body::Body::empty())
        .unwrap();
    let answer = tower::ServiceExt::oneshot(replica, request).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn submitting_the_renew_form_twice_renews_once() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let path = format!("/console/workspaces/{}/renew", c.alice.workspace_id);
    let page = c.get(&path, &session).await;
    let key =
        page.text.split("name=\"idempotency_key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let body = format!("csrf={}&idempotency_key={key}&months=1&pay_with=balance", page.csrf());
    let first = c.post(&path, &session, &body).await;
    let second = c.post(&path, &session, &body).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    assert_eq!(second.location(), first.location(), "the repeat shows the first renewal");
    let orders = c.billing.purchases().orders(&c.alice.caller, &c.alice.quota_id).await.unwrap();
    assert_eq!(orders.len(), 2, "one new order and one renewal: {orders:?}");
}

#[tokio::test]
async fn a_full_page_of_refunds_links_to_the_older_ones() {
    use billing_app::purchase::{PlanPurchase, TenderInput};
    use billing_app::unsubscription::Confirmation;
    use billing_app::unsubscription::records::RefundFilter;
    use billing_domain::money::{Currency, Money};
    use billing_domain::order::PaymentMethodKind;
    use billing_domain::usage::CuHours;

    let c = console().await;
    let Caller::Customer(account_id) = &c.alice.caller else { unreachable!() };
    for i in 0..201 {
        let tender = TenderInput {
            method: PaymentMethodKind::Balance,
            payment_method_id: None,
            amount: Money::parse(Currency::Usd, "53.68").unwrap(),
        };
        let request = PlanPurchase {
            account_id: account_id.clone(),
            region_id: "ap-southeast-1".into(),
            capacity: CuHours::from_whole(1000),
            months: 6,
            benefit_ids: vec![],
            tenders: Some(vec![tender]),
        };
        let plan = c.billing.purchases().buy_plan(&c.alice.caller, &request).await.unwrap();
        let quote =
            c.billing.unsubscriptions().quote_unsubscription(&c.alice.caller, &plan.instance.id, None).await.unwrap();
        let confirmation = Confirmation {
            quote_id: quote.stored.id.clone(),
            idempotency_key: format!("plan-{i}"),
            confirm_workspace_deletion: None,
        };
        c.billing.unsubscriptions().confirm_unsubscription(&c.alice.caller, &confirmation).await.unwrap();
    }
    let all = c
        .billing
        .unsubscriptions()
        .refunds(&c.alice.caller, RefundFilter { limit: 1000, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(all.len(), 201);
    let session = c.sign_in(&c.alice.key).await;
    let first = c.get("/console/refunds", &session).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.text.contains(all[199].id.as_str()) && !first.text.contains(all[200].id.as_str()));
    let marker = "href=\"/console/refunds?status=&#38;after=";
    let after = first.text.split(marker).nth(1).expect("a link to older refunds").split('"').next().unwrap();
    assert_eq!(after, all[199].id.as_str());
    let older = c.get(&format!("/console/refunds?status=&after={after}"), &session).await;
    assert_eq!(older.status, StatusCode::OK);
    assert!(older.text.contains(all[200].id.as_str()) && !older.text.contains(all[199].id.as_str()), "{}", older.text);
    assert!(!older.text.contains(marker), "the last page links further");
}

#[tokio::test]
async fn a_pay_as_you_go_workspace_is_deleted_from_the_console_without_a_refund() {
    let c = console().await;
    let caller = &c.alice.caller;
    let Caller::Customer(account_id) = caller else { unreachable!() };
    let adhoc = c
        .billing
        .accounts()
        .create_workspace(caller, account_id, "ap-southeast-1", "adhoc", billing_app::model::BillingMethod::PayAsYouGo)
        .await
        .unwrap();
    c.billing.accounts().add_job(caller, &adhoc.id, "q.sql", "SELECT 1").await.unwrap();
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get(&format!("/console/workspaces/{}/delete", adhoc.id), &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Nothing is refunded"), "{}", page.text);
    assert!(page.text.contains(&format!("/console/workspaces/{}/backup", adhoc.id)));
    let path = format!("/console/workspaces/{}/delete", adhoc.id);
    let wrong = format!("csrf={}&idempotency_key=d1&confirm_name=adhok&terms=accepted", page.csrf());
    let refused = c.post(&path, &session, &wrong).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("does not match"), "{}", refused.text);
    assert!(c.billing.accounts().workspace_details(caller, &adhoc.id).await.is_ok());

    let right = format!("csrf={}&idempotency_key=d1&confirm_name=adhoc&terms=accepted", page.csrf());
    let done = c.post(&path, &session, &right).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let again = c.post(&path, &session, &right).await;
    assert_eq!(again.location(), done.location());
    let list = c.get(done.location(), &session).await;
    assert!(list.text.contains("Workspace adhoc was deleted with 1 job and 0 data objects. Nothing was refunded."));
    assert_eq!(c.billing.accounts().workspace_details(caller, &adhoc.id).await.unwrap_err().code(), "NOT_FOUND");
}

#[tokio::test]
async fn deleting_a_workspace_whose_quota_can_be_refunded_shows_the_quota_review() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get(&format!("/console/workspaces/{}/delete", c.alice.workspace_id), &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("/console/quotes/"), "{}", page.text);
}

#[tokio::test]
async fn an_ended_quota_reads_expired_and_offers_no_unsubscribe_button() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    // A month and more after the purchase; the lifecycle has not run.
    c.clock.set(chrono::DateTime::parse_from_rfc3339("2026-04-20T09:00:00+08:00").unwrap().to_utc());
    let list = c.get("/console/unsubscribe", &session).await;
    assert_eq!(list.status, StatusCode::OK);
    let row = list.text.split(&format!("/console/instances/{}\"", c.alice.quota_id)).nth(1).unwrap_or(&list.text);
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains(">Expired<"), "{row}");
    assert!(!row.contains("Active"), "{row}");
    assert!(!list.text.contains(&format!("/console/instances/{}/unsubscribe", c.alice.quota_id)), "{}", list.text);
    let page = c.get(&format!("/console/instances/{}", c.alice.quota_id), &session).await;
    assert!(page.text.contains("· Expired"), "{}", page.text);
}

#[tokio::test]
async fn a_plan_given_back_shows_what_it_released_not_an_empty_bar() {
    use billing_app::purchase::{PlanPurchase, TenderInput};
    use billing_app::unsubscription::Confirmation;
    use billing_domain::money::{Currency, Money};
    let c = console().await;
    let Caller::Customer(account_id) = &c.alice.caller else { unreachable!() };
    let request = PlanPurchase {
        account_id: account_id.clone(),
        region_id: "ap-southeast-1".to_owned(),
        capacity: billing_domain::usage::CuHours::from_whole(1000),
        months: 6,
        benefit_ids: vec![],
        tenders: Some(vec![TenderInput {
            method: billing_domain::order::PaymentMethodKind::Balance,
            payment_method_id: None,
            amount: Money::parse(Currency::Usd, "53.68").unwrap(),
        }]),
    };
    let plan = c.billing.purchases().buy_plan(&c.alice.caller, &request).await.unwrap().instance.id;
    let quote = c.billing.unsubscriptions().quote_unsubscription(&c.alice.caller, &plan, None).await.unwrap();
    let confirmation =
        Confirmation { quote_id: quote.stored.id, idempotency_key: "p1".to_owned(), confirm_workspace_deletion: None };
    c.billing.unsubscriptions().confirm_unsubscription(&c.alice.caller, &confirmation).await.unwrap();
    let session = c.sign_in(&c.alice.key).await;
    let page = c.get("/console/plans", &session).await;
    let card = page.text.split(&format!("data-instance=\"{plan}\"")).nth(1).unwrap().split("</li>").next().unwrap();
    assert!(card.contains("Given back</dt><dd>1,000"), "{card}");
    assert!(!card.contains("Remaining"), "{card}");
    assert!(card.contains("class=\"bar-gone\""), "{card}");
}

/// Every `YYYY-MM-DD HH:MM` instant on the page, with what follows it.
fn instants(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for i in 0..chars.len().saturating_sub(16) {
        let shape = chars[i..i + 16].iter().enumerate().all(|(j, c)| match j {
            4 | 7 => *c == '-',
            10 => *c == ' ',
            13 => *c == ':',
            _ => c.is_ascii_digit(),
        });
        if shape && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            found.push(chars[i..(i + 27).min(chars.len())].iter().collect());
        }
    }
    found
}

#[tokio::test]
async fn every_instant_on_the_customer_and_operator_pages_is_in_the_billing_zone_with_its_offset() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let renew = format!("/console/workspaces/{}/renew", c.alice.workspace_id);
    let mut shown = Vec::new();
    for path in ["/console/unsubscribe", "/console/workspaces", renew.as_str()] {
        shown.push((path.to_owned(), c.get(path, &session).await.text));
    }
    let page = c.get(&format!("/console/instances/{}/unsubscribe", c.alice.quota_id), &session).await;
    let quote_id = page.text.split("/console/quotes/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let form = format!("csrf={}&idempotency_key=tz&confirm_name=etl&terms=accepted", page.csrf());
    let done = c.post(&format!("/console/quotes/{quote_id}/confirm"), &session, &form).await;
    let mut pages = vec![done.location().to_owned(), "/console/refunds".to_owned()];
    pages.push(format!("/console/instances/{}", c.alice.quota_id));
    for (path, text) in shown {
        let found = instants(&text);
        assert!(!found.is_empty(), "{path} shows no instant");
        assert!(found.iter().all(|at| at.contains(" UTC+08:00")), "{path}: {found:?}");
    }
    for path in &pages {
        let answer = c.get(path, &session).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let found = instants(&answer.text);
        assert!(!found.is_empty(), "{path} shows no instant");
        for at in found {
            assert!(at.contains(" UTC+08:00"), "{path}: {at}");
        }
        assert!(!answer.text.contains(" UTC<") && !answer.text.contains(" UTC "), "{path} shows a bare UTC");
    }
    let operator = c.sign_in(&c.operator).await;
    for path in
        ["/console/operator", "/console/operator/refunds", "/console/operator/audit", "/console/operator/policy"]
    {
        let answer = c.get(path, &operator).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        for at in instants(&answer.text) {
            assert!(at.contains(" UTC+08:00"), "{path}: {at}");
        }
    }
}

#[tokio::test]
async fn a_refused_policy_keeps_what_was_typed_and_takes_effect_in_the_billing_zone() {
    let c = console().await;
    let operator = c.sign_in(&c.operator).await;
    let page = c.get("/console/operator/policy", &operator).await;
    assert!(page.text.contains("<select id=\"proration_unit\""), "{}", page.text);
    assert!(page.text.contains("<select id=\"resource_plan_partial_refund\""));
    assert!(page.text.contains("Takes effect at (UTC+08:00"), "{}", page.text);
    let settings = "proration_unit=second&resource_plan_window=5d&resource_plan_partial_refund=false\
                    &full_refunds_per_year=none&card_refund_max_age=150d&paypal_refund_max_age=270d";
    let bad = format!("csrf={}&effective_from=2026-04-01T08:00&{settings}&quote_ttl=3d", page.csrf());
    let refused = c.post("/console/operator/policy", &operator, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("value=\"3d\""), "{}", refused.text);
    assert!(refused.text.contains("<option value=\"second\" selected>"), "{}", refused.text);
    assert!(refused.text.contains("value=\"2026-04-01T08:00\""));
    let good = format!("csrf={}&effective_from=2026-04-01T08:00&{settings}&quote_ttl=15m", page.csrf());
    let added = c.post("/console/operator/policy", &operator, &good).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let versions = c.billing.operations().policy_versions().await.unwrap();
    let newest = versions.iter().max_by_key(|v| v.version).unwrap();
    assert_eq!(newest.effective_from.to_rfc3339(), "2026-04-01T00:00:00+00:00");
}

#[tokio::test]
async fn pages_speak_of_names_and_labels_and_keep_codes_to_a_details_line() {
    use billing_app::purchase::{PlanPurchase, TenderInput};
    use billing_app::unsubscription::Confirmation;
    use billing_domain::money::{Currency, Money};
    use billing_domain::order::PaymentMethodKind;
    let c = console().await;
    let Caller::Customer(account_id) = &c.alice.caller else { unreachable!() };
    let card = c.billing.accounts().add_payment_method(
        &c.alice.caller,
        account_id,
        PaymentMethodKind::Card,
        "4242 4242 4242 4242",
    );
    let card = card.await.unwrap();
    let request = PlanPurchase {
        account_id: account_id.clone(),
        region_id: "ap-southeast-1".to_owned(),
        capacity: billing_domain::usage::CuHours::from_whole(1000),
        months: 6,
        benefit_ids: vec![],
        tenders: Some(vec![TenderInput {
            method: PaymentMethodKind::Card,
            payment_method_id: Some(card.id),
            amount: Money::parse(Currency::Usd, "53.68").unwrap(),
        }]),
    };
    let plan = c.billing.purchases().buy_plan(&c.alice.caller, &request).await.unwrap().instance.id;
    let quote = c.billing.unsubscriptions().quote_unsubscription(&c.alice.caller, &plan, None).await.unwrap();
    let confirmation =
        Confirmation { quote_id: quote.stored.id, idempotency_key: "n1".to_owned(), confirm_workspace_deletion: None };
    c.billing.unsubscriptions().confirm_unsubscription(&c.alice.caller, &confirmation).await.unwrap();

    let session = c.sign_in(&c.alice.key).await;
    let refunds = c.get("/console/refunds", &session).await;
    assert!(refunds.text.contains("Visa ending 4242"), "{}", refunds.text);
    let operator = c.sign_in(&c.operator).await;
    let all = c.get("/console/operator/refunds", &operator).await;
    let named =
        format!("/console/operator/accounts/{account_id}\">alice</a> <code class=\"muted\">{account_id}</code>");
    assert!(all.text.contains(&named), "{}", all.text);

    // The long quote id is folded away with a copy button.
    let review = c.get(&format!("/console/instances/{}/unsubscribe", c.alice.quota_id), &session).await;
    let quote_id = review.text.split("/console/quotes/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let folded = review.text.split("<details class=\"quote-ref\">").nth(1).unwrap().split("</details>").next().unwrap();
    assert!(folded.contains(&quote_id) && folded.contains("data-copy"), "{folded}");
    // A refusal says what to do in words; the code is on a details line.
    let form = format!("csrf={}&idempotency_key=x&confirm_name=elt&terms=accepted", review.csrf());
    let refused = c.post(&format!("/console/quotes/{quote_id}/confirm"), &session, &form).await;
    let alert = refused.text.split("id=\"review-error\">").nth(1).unwrap().split("</div>").next().unwrap();
    let (message, details) = alert.split_once("Details:").unwrap();
    assert!(message.contains("does not match") && !message.contains("CONFIRMATION_MISMATCH"), "{alert}");
    assert!(details.contains("CONFIRMATION_MISMATCH"), "{alert}");
}

#[tokio::test]
async fn the_review_names_the_card_a_refund_goes_back_to() {
    use billing_app::purchase::{PlanPurchase, TenderInput};
    use billing_domain::money::{Currency, Money};
    use billing_domain::order::PaymentMethodKind;
    let c = console().await;
    let Caller::Customer(account_id) = &c.alice.caller else { unreachable!() };
    let card = c.billing.accounts().add_payment_method(
        &c.alice.caller,
        account_id,
        PaymentMethodKind::Card,
        "4242424242424242",
    );
    let card = card.await.unwrap();
    let request = PlanPurchase {
        account_id: account_id.clone(),
        region_id: "ap-southeast-1".to_owned(),
        capacity: billing_domain::usage::CuHours::from_whole(1000),
        months: 6,
        benefit_ids: vec![],
        tenders: Some(vec![TenderInput {
            method: PaymentMethodKind::Card,
            payment_method_id: Some(card.id),
            amount: Money::parse(Currency::Usd, "53.68").unwrap(),
        }]),
    };
    let plan = c.billing.purchases().buy_plan(&c.alice.caller, &request).await.unwrap().instance.id;
    let session = c.sign_in(&c.alice.key).await;
    let review = c.get(&format!("/console/instances/{plan}/unsubscribe"), &session).await;
    let row = review.text.split("data-rule=\"original_method\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert_eq!(row.matches("Visa ending 4242").count(), 2, "{row}");
}

#[tokio::test]
async fn documents_are_listed_linked_from_the_order_and_the_result_and_open_as_page_and_pdf() {
    let c = console().await;
    let session = c.sign_in(&c.alice.key).await;
    let list = c.get("/console/documents", &session).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("href=\"/console/documents\""), "the menu links the documents");
    assert!(list.text.contains("INV-2026-000001") && !list.text.contains("INV-2026-000002"), "only alice's invoice");

    let instance = c.get(&format!("/console/instances/{}", c.alice.quota_id), &session).await;
    let link = instance.text.split("href=\"/console/documents/for/").nth(1).unwrap().split('"').next().unwrap();
    let found = c.get(&format!("/console/documents/for/{link}"), &session).await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    let page = c.get(found.location(), &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("INV-2026-000001") && page.text.contains("$805.25"));
    assert!(page.text.contains("/console/static/document.css") && !page.text.contains("<style>"));
    let css = c.get("/console/static/document.css", &[]).await;
    assert!(css.text.contains("@media print"));
    let pdf = c.get(&format!("{}/pdf", found.location()), &session).await;
    assert_eq!(pdf.headers.get(axum::http::header::CONTENT_TYPE).unwrap(), "application/pdf");

    let review = c.get(&format!("/console/instances/{}/unsubscribe", c.alice.quota_id), &session).await;
    let quote_id = review.text.split("/console/quotes/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let form = format!("csrf={}&idempotency_key=docs&confirm_name=etl&terms=accepted", review.csrf());
    let done = c.post(&format!("/console/quotes/{quote_id}/confirm"), &session, &form).await;
    let result = c.get(done.location(), &session).await;
    let link = result.text.split("id=\"credit-note\" href=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let note = c.get(&link, &session).await;
    let note = c.get(note.location(), &session).await;
    assert!(note.text.contains("CN-2026-000001") && note.text.contains("INV-2026-000001"), "{}", note.text);

    let bob = c.sign_in(&c.bob.key).await;
    assert_eq!(c.get(found.location(), &bob).await.status, StatusCode::NOT_FOUND);
    let operator = c.sign_in(&c.operator).await;
    let all = c.get("/console/documents", &operator).await;
    assert!(all.text.contains("INV-2026-000002") && all.text.contains("CN-2026-000001"), "an operator sees all");
}
