//! Customers acting on another account's things get the same `NOT_FOUND` as
//! for things that do not exist, and nothing is written; operator-only use
//! cases refuse customers.

use billing_app::AppError;
use billing_app::model::BenefitKind;
use billing_domain::ids::OrderId;
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, balance, usage, usd};

#[tokio::test]
async fn a_customer_cannot_buy_for_another_account_or_on_its_workspace() {
    on_every_backend!(|w| {
        let mine = w.seed("mine", "5000.00").await;
        let theirs = w.seed("theirs", "5000.00").await;
        let before = w.snapshot().await;

        let mut for_them = theirs.quota(25, 1, Some(vec![balance("805.25")]));
        let refused = w.billing.purchases().buy_quota(&mine.caller, &for_them).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        for_them.account_id = mine.id().to_owned();
        let refused = w.billing.purchases().buy_quota(&mine.caller, &for_them).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        // Not even an operator can put one account's quota on another's workspace.
        let refused = w.billing.purchases().buy_quota(&OPERATOR, &for_them).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let plan = theirs.plan(100, 1, Some(vec![balance("5.36")]));
        let refused = w.billing.purchases().buy_plan(&mine.caller, &plan).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let refused = w.billing.accounts().add_job(&mine.caller, &theirs.workspace.id, "steal", "print(1)").await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let refused = w.billing.accounts().workspace_details(&mine.caller, &theirs.workspace.id).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
    });
}

#[tokio::test]
async fn a_customer_cannot_pay_with_another_accounts_card_coupon_or_balance() {
    on_every_backend!(|w| {
        let mine = w.seed("mine", "0").await;
        let theirs = w.seed("theirs", "5000.00").await;
        let coupon = w.grant(theirs.id(), BenefitKind::Coupon, "100.00").await;
        let before = w.snapshot().await;

        let refused =
            w.billing.purchases().buy_quota(&mine.caller, &mine.quota(25, 1, Some(vec![theirs.card("805.25")]))).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let request = mine.quota(25, 1, Some(vec![mine.card("705.25")]));
        let refused = w.buy_quota_with(&mine, request, &[&coupon]).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let refused = w.billing.accounts().set_payment_method_valid(&mine.caller, &theirs.card.id, false).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let refused = w.billing.purchases().top_up(&mine.caller, &theirs.card_top_up("1.00")).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let refused = w.billing.accounts().benefits(&mine.caller, theirs.id()).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
    });
}

#[tokio::test]
async fn a_customer_cannot_pay_cancel_or_renew_another_accounts_orders() {
    on_every_backend!(|w| {
        let mine = w.seed("mine", "5000.00").await;
        let theirs = w.seed("theirs", "5000.00").await;
        let active =
            w.billing.purchases().buy_quota(&theirs.caller, &theirs.quota(25, 1, Some(vec![balance("805.25")]))).await;
        let active = active.unwrap();
        let unpaid = w.billing.purchases().buy_plan(&theirs.caller, &theirs.plan(100, 1, None)).await.unwrap();
        let before = w.snapshot().await;

        let refused = w.billing.purchases().pay_order(&mine.caller, &unpaid.order.id, &[balance("5.36")]).await;
        let foreign = w.assert_refused(&before, refused, "NOT_FOUND").await;
        let missing = w
            .billing
            .purchases()
            .pay_order(&mine.caller, &OrderId::trusted("ord_missing"), &[balance("5.36")])
            .await
            .unwrap_err();
        // The answer does not reveal that the order exists.
        assert!(matches!(
            (&foreign, &missing),
            (AppError::NotFound { what: "order", .. }, AppError::NotFound { what: "order", .. })
        ));
        let refused = w.billing.purchases().cancel_order(&mine.caller, &unpaid.order.id).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let refused =
            w.billing.purchases().renew(&mine.caller, &active.instance.id, 1, &[], Some(&[balance("805.25")])).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
        let refused = w.billing.purchases().renew(&mine.caller, &active.instance.id, 1, &[], None).await;
        w.assert_refused(&before, refused, "NOT_FOUND").await;
    });
}

#[tokio::test]
async fn customers_cannot_import_usage_or_run_the_operators_checks() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let hour = w.previous_hour();
        let before = w.snapshot().await;

        let refused = w.billing.metering().import_usage(&s.caller, &[usage("r1", &s.workspace.id, hour, "1000")]).await;
        w.assert_refused(&before, refused, "FORBIDDEN").await;
        assert!(w.billing.operations().ledger_check(&s.caller).await.is_err());
        assert!(w.billing.operations().audit_verify(&s.caller).await.is_err());
        let expires = w.billing.now() + Duration::days(1);
        let refused =
            w.billing.accounts().grant_benefit(&s.caller, s.id(), BenefitKind::Voucher, usd("1000.00"), expires).await;
        w.assert_refused(&before, refused, "FORBIDDEN").await;
    });
}
