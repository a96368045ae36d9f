//! Requests the use cases refuse: each answer is a typed error with a stable
//! code, and nothing at all is written — no balance, row, ledger movement or
//! audit event changes.

use billing_app::AppError;
use billing_app::model::{BenefitKind, BillingMethod};
use billing_app::purchase::TenderInput;
use billing_app::topups::TopUpRequest;
use billing_domain::ids::{AccountId, BenefitId, InstanceId, OrderId, PaymentMethodId};
use billing_domain::money::{Currency, Money};
use billing_domain::order::PaymentMethodKind;
use billing_domain::usage::CuHours;
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, SINGAPORE, balance, usage, usd};

#[tokio::test]
async fn unknown_ids_are_not_found_and_change_nothing() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let b = &w.billing;
        let before = w.snapshot().await;

        let mut quota = s.quota(25, 1, Some(vec![balance("805.25")]));
        quota.account_id = AccountId::trusted("acc_missing");
        w.assert_refused(&before, b.purchases().buy_quota(&OPERATOR, &quota).await, "NOT_FOUND").await;
        let mut quota = s.quota(25, 1, Some(vec![balance("805.25")]));
        quota.workspace_id = "ws_missing".parse().unwrap();
        w.assert_refused(&before, b.purchases().buy_quota(&s.caller, &quota).await, "NOT_FOUND").await;
        let mut plan = s.plan(100, 1, Some(vec![balance("5.36")]));
        plan.region_id = "mars-north-1".to_owned();
        w.assert_refused(&before, b.purchases().buy_plan(&s.caller, &plan).await, "NOT_FOUND").await;
        let mut quota = s.quota(25, 1, Some(vec![balance("705.25")]));
        quota.benefit_ids = vec![BenefitId::trusted("ben_missing")];
        w.assert_refused(&before, b.purchases().buy_quota(&s.caller, &quota).await, "NOT_FOUND").await;
        let ghost_card = TenderInput {
            method: PaymentMethodKind::Card,
            payment_method_id: Some(PaymentMethodId::trusted("pm_missing")),
            amount: usd("805.25"),
        };
        let quota = s.quota(25, 1, Some(vec![ghost_card]));
        w.assert_refused(&before, b.purchases().buy_quota(&s.caller, &quota).await, "NOT_FOUND").await;
        let paid = b.purchases().pay_order(&s.caller, &OrderId::trusted("ord_missing"), &[balance("805.25")]).await;
        w.assert_refused(&before, paid, "NOT_FOUND").await;
        w.assert_refused(
            &before,
            b.purchases().cancel_order(&s.caller, &OrderId::trusted("ord_missing")).await,
            "NOT_FOUND",
        )
        .await;
        let renewed = b
            .purchases()
            .renew(&s.caller, &InstanceId::trusted("ins_missing"), 1, &[], Some(&[balance("805.25")]))
            .await;
        w.assert_refused(&before, renewed, "NOT_FOUND").await;
        let hour = w.previous_hour();
        let imported = b.metering().import_usage(&OPERATOR, &[usage("r1", "ws_missing", hour, "1")]).await;
        w.assert_refused(&before, imported, "NOT_FOUND").await;
        let job = b.accounts().add_job(&s.caller, &"ws_missing".parse().unwrap(), "nightly", "print(1)").await;
        w.assert_refused(&before, job, "NOT_FOUND").await;
    });
}

#[tokio::test]
async fn amounts_in_another_currency_than_the_accounts_are_refused() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let euro = w.billing.accounts().create_account(&OPERATOR, "euro gmbh", Currency::Eur).await.unwrap();
        let eur = |text: &str| Money::parse(Currency::Eur, text).unwrap();
        let before = w.snapshot().await;

        let tender = TenderInput { method: PaymentMethodKind::Balance, payment_method_id: None, amount: eur("805.25") };
        let quota = s.quota(25, 1, Some(vec![tender]));
        w.assert_refused(&before, w.billing.purchases().buy_quota(&s.caller, &quota).await, "CURRENCY_MISMATCH").await;
        // Singapore prices in USD; a euro account cannot buy there.
        let mut plan = s.plan(100, 1, None);
        plan.account_id = euro.id.clone();
        w.assert_refused(&before, w.billing.purchases().buy_plan(&OPERATOR, &plan).await, "CURRENCY_MISMATCH").await;
        let expires = w.billing.now() + Duration::days(30);
        let grant =
            w.billing.accounts().grant_benefit(&OPERATOR, s.id(), BenefitKind::Voucher, eur("10.00"), expires).await;
        w.assert_refused(&before, grant, "CURRENCY_MISMATCH").await;
        let top_up = w.billing.purchases().record_transfer(&OPERATOR, s.id(), eur("10.00")).await;
        w.assert_refused(&before, top_up, "CURRENCY_MISMATCH").await;
    });
}

#[tokio::test]
async fn a_workspace_in_a_region_that_prices_in_another_currency_is_refused() {
    on_every_backend!(|w| {
        // Its usage could never be charged: the euro balance cannot take a
        // dollar charge, and the whole usage batch would fail with it.
        let euro = w.billing.accounts().create_account(&OPERATOR, "euro gmbh", Currency::Eur).await.unwrap();
        let before = w.snapshot().await;

        let created = w
            .billing
            .accounts()
            .create_workspace(&OPERATOR, &euro.id, SINGAPORE, "etl", BillingMethod::PayAsYouGo)
            .await;

        w.assert_refused(&before, created, "CURRENCY_MISMATCH").await;
        w.billing
            .accounts()
            .create_workspace(&OPERATOR, &euro.id, "eu-central-1", "etl", BillingMethod::PayAsYouGo)
            .await
            .unwrap();
    });
}

#[tokio::test]
async fn tenders_that_do_not_add_up_to_the_cash_due_are_refused() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "20000.00").await;
        let coupon = w.grant(s.id(), BenefitKind::Coupon, "100.00").await;
        let before = w.snapshot().await;

        for tenders in [
            vec![balance("19000.00")],
            vec![balance("10000.00"), s.card("9326.01")],
            vec![balance("19326.00"), s.card("0.01")],
        ] {
            let refused = w.billing.purchases().buy_quota(&s.caller, &s.quota(100, 6, Some(tenders))).await;
            w.assert_refused(&before, refused, "TENDERS_DO_NOT_ADD_UP").await;
        }
        // With a coupon, paying the full list price is paying too much.
        let refused = w.buy_quota_with(&s, s.quota(25, 1, Some(vec![balance("805.25")])), &[&coupon]).await;
        w.assert_refused(&before, refused, "TENDERS_DO_NOT_ADD_UP").await;
        let placed = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, None)).await.unwrap();
        let before = w.snapshot().await;
        let refused = w.billing.purchases().pay_order(&s.caller, &placed.order.id, &[balance("805.24")]).await;
        w.assert_refused(&before, refused, "TENDERS_DO_NOT_ADD_UP").await;
    });
}

#[tokio::test]
async fn a_quota_smaller_than_25_cu_is_refused() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let before = w.snapshot().await;

        let refused = w.billing.purchases().buy_quota(&s.caller, &s.quota(24, 1, Some(vec![balance("773.04")]))).await;

        let err = w.assert_refused(&before, refused, "TOO_FEW_CU").await;
        assert!(matches!(err, AppError::TooFewCu { .. }));
    });
}

#[tokio::test]
async fn months_outside_the_allowed_range_are_refused_for_quotas_renewals_and_plans() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "20000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();

        for months in [0, 10] {
            let price = usd("805.25").checked_mul(i64::from(months)).unwrap().to_string();
            let mut quota = s.quota(25, months, Some(vec![balance(&price)]));
            quota.workspace_id = w.workspace(s.id(), &format!("ws{months}"), BillingMethod::Hybrid).await.id;
            let before = w.snapshot().await;
            let refused = w.billing.purchases().buy_quota(&s.caller, &quota).await;
            w.assert_refused(&before, refused, "MONTHS_OUT_OF_RANGE").await;
        }
        let before = w.snapshot().await;
        let renewal =
            w.billing.purchases().renew(&s.caller, &bought.instance.id, 10, &[], Some(&[balance("8052.50")])).await;
        w.assert_refused(&before, renewal, "MONTHS_OUT_OF_RANGE").await;
        for months in [0, 13] {
            let refused = w.billing.purchases().buy_plan(&s.caller, &s.plan(100, months, None)).await;
            w.assert_refused(&before, refused, "MONTHS_OUT_OF_RANGE").await;
        }
    });
}

#[tokio::test]
async fn a_balance_tender_larger_than_the_balance_is_refused() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "800.00").await;
        let before = w.snapshot().await;

        let refused = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await;

        let err = w.assert_refused(&before, refused, "INSUFFICIENT_BALANCE").await;
        assert!(err.to_string().contains("800.00"), "{err}");
        // Two balance tenders count together.
        let split = vec![balance("400.00"), balance("405.25")];
        let refused = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(split))).await;
        w.assert_refused(&before, refused, "INSUFFICIENT_BALANCE").await;
    });
}

#[tokio::test]
async fn an_invalid_card_or_a_card_tendered_as_another_method_cannot_pay() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let placed = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, None)).await.unwrap();
        w.billing.accounts().set_payment_method_valid(&s.caller, &s.card.id, false).await.unwrap();
        let before = w.snapshot().await;

        let refused = w.billing.purchases().pay_order(&s.caller, &placed.order.id, &[s.card("805.25")]).await;
        w.assert_refused(&before, refused, "PAYMENT_METHOD_UNUSABLE").await;
        let refused = w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await;
        w.assert_refused(&before, refused, "PAYMENT_METHOD_UNUSABLE").await;

        w.billing.accounts().set_payment_method_valid(&OPERATOR, &s.card.id, true).await.unwrap();
        let before = w.snapshot().await;
        let as_paypal = TenderInput { method: PaymentMethodKind::Paypal, ..s.card("805.25") };
        let refused = w.billing.purchases().pay_order(&s.caller, &placed.order.id, &[as_paypal]).await;
        w.assert_refused(&before, refused, "PAYMENT_METHOD_UNUSABLE").await;
        w.billing.purchases().pay_order(&s.caller, &placed.order.id, &[s.card("805.25")]).await.unwrap();
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_used_or_expired_benefit_cannot_be_applied() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "5000.00").await;
        let used = w.grant(s.id(), BenefitKind::Coupon, "100.00").await;
        w.buy_quota_with(&s, s.quota(25, 1, Some(vec![balance("705.25")])), &[&used]).await.unwrap();
        let fresh = w.grant(s.id(), BenefitKind::Coupon, "50.00").await;
        let expires = w.billing.now() + Duration::days(1);
        let expiring = w
            .billing
            .accounts()
            .grant_benefit(&OPERATOR, s.id(), BenefitKind::Voucher, usd("10.00"), expires)
            .await
            .unwrap();
        let other = w.workspace(s.id(), "other", BillingMethod::Subscription).await;
        let mut quota = s.quota(25, 1, Some(vec![balance("755.25")]));
        quota.workspace_id = other.id.clone();
        let before = w.snapshot().await;

        // The fresh coupon listed first is not left used by the refusal.
        let refused = w.buy_quota_with(&s, quota.clone(), &[&fresh, &used]).await;
        let err = w.assert_refused(&before, refused, "BENEFIT_UNUSABLE").await;
        assert!(err.to_string().contains(used.id.as_str()), "{err}");

        w.clock.advance(Duration::days(1) + Duration::seconds(1));
        let before = w.snapshot().await;
        quota.tenders = Some(vec![balance("795.25")]);
        let refused = w.buy_quota_with(&s, quota.clone(), &[&expiring]).await;
        w.assert_refused(&before, refused, "BENEFIT_UNUSABLE").await;
        let twice = w.buy_quota_with(&s, quota, &[&fresh, &fresh]).await;
        w.assert_refused(&before, twice, "INVALID_INPUT").await;
    });
}

#[tokio::test]
async fn a_workspace_holds_at_most_one_quota_and_a_pay_as_you_go_one_none() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "5000.00").await;
        w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, None)).await.unwrap();
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let before = w.snapshot().await;

        let second = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await;
        w.assert_refused(&before, second, "INVALID_STATE").await;
        let mut quota = s.quota(25, 1, Some(vec![balance("805.25")]));
        quota.workspace_id = adhoc.id.clone();
        w.assert_refused(&before, w.billing.purchases().buy_quota(&s.caller, &quota).await, "INVALID_STATE").await;
    });
}

#[tokio::test]
async fn usage_for_an_hour_not_yet_begun_or_off_the_hour_is_refused() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let hour = w.previous_hour();
        let before = w.snapshot().await;

        let future = usage("r1", &s.workspace.id, hour + Duration::hours(2), "1");
        let refused = w.billing.metering().import_usage(&OPERATOR, &[future]).await;
        w.assert_refused(&before, refused, "INVALID_INPUT").await;
        let off_the_hour = usage("r2", &s.workspace.id, hour + Duration::minutes(30), "1");
        let good = usage("r3", &s.workspace.id, hour, "1");
        let refused = w.billing.metering().import_usage(&OPERATOR, &[good, off_the_hour]).await;
        w.assert_refused(&before, refused, "INVALID_INPUT").await;
        let mut negative = usage("r4", &s.workspace.id, hour, "1");
        negative.cu_hours = CuHours::from_milli(-1);
        let refused = w.billing.metering().import_usage(&OPERATOR, &[negative]).await;
        w.assert_refused(&before, refused, "INVALID_INPUT").await;
    });
}

#[tokio::test]
async fn amounts_of_zero_too_many_tenders_and_oversized_batches_are_invalid_input() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let before = w.snapshot().await;

        let top_up = w.billing.purchases().top_up(&OPERATOR, &s.card_top_up("0.00")).await;
        w.assert_refused(&before, top_up, "INVALID_INPUT").await;
        let from_balance = w
            .billing
            .purchases()
            .top_up(&OPERATOR, &TopUpRequest { method: PaymentMethodKind::Balance, ..s.card_top_up("1.00") })
            .await;
        w.assert_refused(&before, from_balance, "INVALID_INPUT").await;
        let expires = w.billing.now() + Duration::days(1);
        let grant =
            w.billing.accounts().grant_benefit(&OPERATOR, s.id(), BenefitKind::Coupon, usd("0.00"), expires).await;
        w.assert_refused(&before, grant, "INVALID_INPUT").await;
        let zero = vec![balance("805.25"), balance("0.00")];
        let refused = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(zero))).await;
        w.assert_refused(&before, refused, "INVALID_INPUT").await;
        let nine: Vec<_> = std::iter::repeat_n(balance("0.01"), 8).chain([balance("805.17")]).collect();
        let refused = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(nine))).await;
        w.assert_refused(&before, refused, "INVALID_INPUT").await;
        let hour = w.previous_hour();
        let too_many = billing_app::metering::MAX_USAGE_BATCH + 1;
        let records: Vec<_> = (0..too_many).map(|i| usage(&format!("r{i}"), &s.workspace.id, hour, "1")).collect();
        let refused = w.billing.metering().import_usage(&OPERATOR, &records).await;
        w.assert_refused(&before, refused, "INVALID_INPUT").await;
    });
}
