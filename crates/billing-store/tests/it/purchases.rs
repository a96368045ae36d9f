//! Buying quotas and plans: catalog prices, split tenders, coupons and
//! vouchers, unpaid orders paid later or cancelled when their window closes.

use billing_app::catalog::plan_list_price;
use billing_app::lifecycle::DueWork;
use billing_app::model::{BenefitKind, BenefitStatus, InstanceState, QueueStatus};
use billing_domain::catalog::{Commodity, Region, quota_list_price};
use billing_domain::ids::{BenefitId, InstanceId, OrderId};
use billing_domain::order::{OrderKind, OrderStatus, PaymentMethodKind};
use billing_domain::usage::CuHours;
use chrono::{Duration, NaiveDate};

use crate::on_every_backend;
use crate::support::{Seed, at, balance, usd};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_quota_of_100_cu_for_6_months_in_singapore_costs_19326_and_is_paid_from_the_balance() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "20000.00").await;
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Stopped);
        let expected = quota_list_price(&Region::singapore(), 100, 6).unwrap();
        assert_eq!(expected, usd("19326.00"));

        let bought = w
            .billing
            .purchases()
            .buy_quota(&s.caller, &s.quota(100, 6, Some(vec![balance("19326.00")])))
            .await
            .unwrap();

        assert_eq!(bought.order.charges.list_price, expected);
        assert_eq!(bought.order.charges.cash_due().unwrap(), expected);
        assert_eq!(w.balance_of(s.id()).await, usd("674.00"));
        let instance = w.instance(&bought.instance.id).await;
        assert_eq!(instance.state, InstanceState::Active);
        assert_eq!(instance.commodity, Commodity::SparkReserved);
        assert_eq!((instance.quota_cu, instance.workspace_id.as_deref()), (Some(100), Some(s.workspace.id.as_str())));
        let order = w.order(&bought.order.id).await;
        assert_eq!((order.kind, order.status, order.months), (OrderKind::New, OrderStatus::Paid, 6));
        assert_eq!(order.paid_at, Some(w.billing.now()));
        assert_eq!(order.start, Some(w.billing.now()));
        assert_eq!(order.tenders.len(), 1);
        assert_eq!(order.tenders[0].method, PaymentMethodKind::Balance);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Running);
        let periods = w.periods(&instance.id).await;
        assert_eq!(periods.len(), 1);
        assert_eq!(periods[0].start, w.billing.now());
        assert_eq!(periods[0].expiration_date, date("2026-09-10"));
        assert_eq!(periods[0].end, at("2026-09-11T00:00:00+08:00"));
        assert_eq!(w.ledger_sum("revenue:prepaid", "USD").await, 1_932_600);
        assert_eq!(w.ledger_sum(&format!("customer:{}:balance", s.id()), "USD").await, 67_400);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_quota_can_be_paid_partly_from_the_balance_and_partly_by_card() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "10000.00").await;
        let tenders = vec![balance("10000.00"), s.card("9326.00")];
        let bought = w.billing.purchases().buy_quota(&s.caller, &s.quota(100, 6, Some(tenders))).await.unwrap();

        assert_eq!(w.balance_of(s.id()).await, usd("0.00"));
        let order = w.order(&bought.order.id).await;
        let parts: Vec<_> =
            order.tenders.iter().map(|t| (t.method, t.payment_method_id.clone(), t.amount.to_string())).collect();
        assert_eq!(
            parts,
            vec![
                (PaymentMethodKind::Balance, None, "10000.00".to_owned()),
                (PaymentMethodKind::Card, Some(s.card.id.clone()), "9326.00".to_owned()),
            ]
        );
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -932_600);
        assert_eq!(w.ledger_sum("revenue:prepaid", "USD").await, 1_932_600);
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Active);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_coupon_and_a_voucher_lower_the_cash_due_and_are_used_up() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let coupon = w.grant(s.id(), BenefitKind::Coupon, "1000.00").await;
        let voucher = w.grant(s.id(), BenefitKind::Voucher, "500.00").await;
        // 19326.00 − 1000.00 − 500.00
        let request = s.quota(100, 6, Some(vec![s.card("17826.00")]));
        let bought = w.buy_quota_with(&s, request, &[&voucher, &coupon]).await.unwrap();

        let charges = w.order(&bought.order.id).await.charges;
        assert_eq!(charges.list_price, usd("19326.00"));
        assert_eq!((charges.coupon, charges.voucher), (usd("1000.00"), usd("500.00")));
        assert_eq!(charges.cash_due().unwrap(), usd("17826.00"));
        for benefit in [&coupon, &voucher] {
            let stored = w.benefit(&benefit.id).await;
            assert_eq!(stored.status, BenefitStatus::Used);
            assert_eq!(stored.order_id.as_deref(), Some(bought.order.id.as_str()));
        }
        assert_eq!(w.ledger_sum("promotion:coupon", "USD").await, -100_000);
        assert_eq!(w.ledger_sum("promotion:voucher", "USD").await, -50_000);
        assert_eq!(w.ledger_sum("revenue:promotional", "USD").await, 150_000);
        assert_eq!(w.ledger_sum("revenue:prepaid", "USD").await, 1_782_600);
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -1_782_600);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_voucher_worth_more_than_the_price_pays_it_all_and_no_cash_is_taken() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "50.00").await;
        let voucher = w.grant(s.id(), BenefitKind::Voucher, "5000.00").await;
        // 25 CU × 32.21 × 1 month = 805.25
        let bought = w.buy_quota_with(&s, s.quota(25, 1, Some(Vec::new())), &[&voucher]).await.unwrap();

        let order = w.order(&bought.order.id).await;
        assert_eq!(order.status, OrderStatus::Paid);
        assert_eq!(order.charges.voucher, usd("805.25"));
        assert_eq!(order.charges.cash_due().unwrap(), usd("0.00"));
        assert!(order.tenders.is_empty());
        assert_eq!(w.balance_of(s.id()).await, usd("50.00"));
        assert_eq!(w.benefit(&voucher.id).await.status, BenefitStatus::Used);
        assert_eq!(w.ledger_sum("revenue:prepaid", "USD").await, 0);
        assert_eq!(w.ledger_sum("revenue:promotional", "USD").await, 80_525);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_resource_plan_costs_its_catalog_price_and_issues_its_capacity() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let price = plan_list_price(&Region::singapore(), CuHours::from_whole(1000)).unwrap();
        assert_eq!(price, usd("53.68"));

        let bought =
            w.billing.purchases().buy_plan(&s.caller, &s.plan(1000, 1, Some(vec![balance("53.68")]))).await.unwrap();

        assert_eq!(bought.order.charges.list_price, price);
        assert_eq!(w.balance_of(s.id()).await, usd("46.32"));
        let plan = w.instance(&bought.instance.id).await;
        assert_eq!(plan.commodity, Commodity::SparkResourcePlan);
        assert_eq!(plan.state, InstanceState::Active);
        assert_eq!((plan.capacity, plan.used), (Some(CuHours::from_whole(1000)), CuHours::ZERO));
        assert_eq!(plan.workspace_id, None);
        assert_eq!(w.order(&bought.order.id).await.start, Some(w.billing.now()));
        assert_eq!(w.ledger_sum(&format!("plan:{}:remaining", plan.id), "CUH").await, 1_000_000);
        assert_eq!(w.ledger_sum("capacity:issued", "CUH").await, -1_000_000);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_unpaid_quota_order_can_be_paid_later_and_its_period_starts_then() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let placed = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, None)).await.unwrap();
        assert_eq!(placed.order.status, OrderStatus::Unpaid);
        assert_eq!(w.instance(&placed.instance.id).await.state, InstanceState::PendingPayment);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Stopped);
        assert_eq!(w.balance_of(s.id()).await, usd("1000.00"));
        assert_eq!(w.ledger_sum("revenue:prepaid", "USD").await, 0);

        w.clock.advance(Duration::days(2));
        let paid = w.billing.purchases().pay_order(&s.caller, &placed.order.id, &[balance("805.25")]).await.unwrap();

        assert_eq!(paid.order.status, OrderStatus::Paid);
        let order = w.order(&placed.order.id).await;
        assert_eq!(
            (order.status, order.paid_at, order.start),
            (OrderStatus::Paid, Some(w.billing.now()), order.paid_at)
        );
        assert_eq!(w.instance(&placed.instance.id).await.state, InstanceState::Active);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Running);
        assert_eq!(w.periods(&placed.instance.id).await[0].start, w.billing.now());
        assert_eq!(w.balance_of(s.id()).await, usd("194.75"));
        let again =
            w.billing.purchases().pay_order(&s.caller, &placed.order.id, &[balance("805.25")]).await.unwrap_err();
        assert_eq!(again.code(), "INVALID_STATE");
        assert_eq!(w.balance_of(s.id()).await, usd("194.75"));
        w.assert_books_in_order().await;
    });
}

async fn place_unpaid_quota_with_coupon(w: &crate::support::World, s: &Seed) -> (OrderId, InstanceId, BenefitId) {
    let coupon = w.grant(s.id(), BenefitKind::Coupon, "100.00").await;
    let placed = w.buy_quota_with(s, s.quota(25, 1, None), &[&coupon]).await.unwrap();
    assert_eq!(w.benefit(&coupon.id).await.status, BenefitStatus::Used);
    (placed.order.id, placed.instance.id, coupon.id)
}

#[tokio::test]
async fn an_unpaid_quota_order_is_cancelled_after_seven_days_and_its_coupon_can_be_used_again() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let (order_id, instance_id, coupon_id) = place_unpaid_quota_with_coupon(&w, &s).await;

        w.clock.advance(Duration::days(7) - Duration::seconds(1));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        assert_eq!(w.order(&order_id).await.status, OrderStatus::Unpaid);

        w.clock.advance(Duration::seconds(1));
        assert_eq!(
            w.billing.purchases().run_due().await.unwrap(),
            DueWork { orders_cancelled: 1, ..DueWork::default() }
        );
        assert_eq!(w.order(&order_id).await.status, OrderStatus::Cancelled);
        assert_eq!(w.instance(&instance_id).await.state, InstanceState::Cancelled);
        assert_eq!(w.benefit(&coupon_id).await.status, BenefitStatus::Active);
        assert_eq!(w.balance_of(s.id()).await, usd("1000.00"));
        let late = w.billing.purchases().pay_order(&s.caller, &order_id, &[balance("705.25")]).await.unwrap_err();
        assert_eq!(late.code(), "INVALID_STATE");

        // The workspace is free for a new quota, and the coupon applies again.
        let coupon = w.benefit(&coupon_id).await;
        let again = s.quota(25, 1, Some(vec![balance("705.25")]));
        let bought = w.buy_quota_with(&s, again, &[&coupon]).await.unwrap();
        assert_eq!(w.benefit(&coupon_id).await.order_id.as_deref(), Some(bought.order.id.as_str()));
        assert_eq!(w.balance_of(s.id()).await, usd("294.75"));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_coupon_given_back_by_a_cancelled_order_is_no_longer_bound_to_it() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let (order_id, _, coupon_id) = place_unpaid_quota_with_coupon(&w, &s).await;
        w.billing.purchases().cancel_order(&s.caller, &order_id).await.unwrap();

        let coupon = w.benefit(&coupon_id).await;
        assert_eq!(coupon.status, BenefitStatus::Active);
        assert_eq!(coupon.order_id, None, "an active coupon still names the cancelled order {order_id}");
    });
}

#[tokio::test]
async fn an_unpaid_plan_order_is_cancelled_after_an_hour_while_a_quota_order_waits_its_week() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let plan = w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, None)).await.unwrap();
        let quota = w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, None)).await.unwrap();

        w.clock.advance(Duration::minutes(59));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        w.clock.advance(Duration::minutes(2));
        assert_eq!(
            w.billing.purchases().run_due().await.unwrap(),
            DueWork { orders_cancelled: 1, ..DueWork::default() }
        );

        assert_eq!(w.order(&plan.order.id).await.status, OrderStatus::Cancelled);
        assert_eq!(w.instance(&plan.instance.id).await.state, InstanceState::Cancelled);
        assert_eq!(w.order(&quota.order.id).await.status, OrderStatus::Unpaid);
        assert_eq!(w.instance(&quota.instance.id).await.state, InstanceState::PendingPayment);
        // The quota order can still be paid within its week.
        w.billing.purchases().pay_order(&s.caller, &quota.order.id, &[balance("805.25")]).await.unwrap();
        assert_eq!(w.instance(&quota.instance.id).await.state, InstanceState::Active);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_unpaid_plan_order_is_cancelled_the_moment_its_hour_is_up() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let plan = w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, None)).await.unwrap();

        w.clock.advance(Duration::hours(1) - Duration::seconds(1));
        assert_eq!(w.billing.purchases().run_due().await.unwrap().orders_cancelled, 0);
        // Quota orders are cancelled at exactly 7 days; plan orders at
        // exactly 1 hour, by the same rule.
        w.clock.advance(Duration::seconds(1));
        assert_eq!(w.billing.purchases().run_due().await.unwrap().orders_cancelled, 1);
        assert_eq!(w.order(&plan.order.id).await.status, OrderStatus::Cancelled);
    });
}

#[tokio::test]
async fn a_customer_can_cancel_an_unpaid_order_once_and_its_coupon_comes_back() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let (order_id, instance_id, coupon_id) = place_unpaid_quota_with_coupon(&w, &s).await;

        let cancelled = w.billing.purchases().cancel_order(&s.caller, &order_id).await.unwrap();

        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(w.instance(&instance_id).await.state, InstanceState::Cancelled);
        assert_eq!(w.benefit(&coupon_id).await.status, BenefitStatus::Active);
        let before = w.snapshot().await;
        let twice = w.billing.purchases().cancel_order(&s.caller, &order_id).await;
        w.assert_refused(&before, twice, "INVALID_STATE").await;
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_voucher_is_not_used_up_when_a_coupon_already_pays_the_whole_price() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "0").await;
        let coupon = w.grant(s.id(), BenefitKind::Coupon, "1000.00").await;
        let voucher = w.grant(s.id(), BenefitKind::Voucher, "50.00").await;

        // The coupon covers all of 805.25; the voucher would add nothing.
        let result = w.buy_quota_with(&s, s.quota(25, 1, Some(Vec::new())), &[&coupon, &voucher]).await;

        if let Err(refused) = &result {
            assert_eq!(refused.code(), "BENEFIT_UNUSABLE");
        }
        let voucher = w.benefit(&voucher.id).await;
        assert_eq!(
            (voucher.status, voucher.order_id),
            (BenefitStatus::Active, None),
            "the voucher was burned for 0.00"
        );
        w.assert_books_in_order().await;
    });
}
