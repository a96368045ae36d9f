//! Renewals: by hand, automatically 9 days before the end, paid later, and
//! refused to overdue accounts.

use billing_app::lifecycle::DueWork;
use billing_app::model::{InstanceState, QueueStatus};
use billing_domain::order::{OrderKind, OrderStatus, PaymentMethodKind};
use chrono::{Duration, NaiveDate};

use crate::on_every_backend;
use crate::support::{OPERATOR, at, balance, usd};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[tokio::test]
async fn a_manual_renewal_extends_the_period_counted_from_the_first_activation_without_drift() {
    on_every_backend!(|w| {
        w.clock.set(at("2026-01-31T10:00:00+08:00"));
        let s = w.seed("acme", "20000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(100, 1, Some(vec![balance("3221.00")]))).await.unwrap();
        let periods = w.periods(&bought.instance.id).await;
        assert_eq!(periods[0].expiration_date, date("2026-02-28"));
        assert_eq!(periods[0].end, at("2026-03-01T00:00:00+08:00"));

        let renewal = w
            .billing
            .purchases()
            .renew(&s.caller, &bought.instance.id, 1, &[], Some(&[balance("3221.00")]))
            .await
            .unwrap();

        assert_eq!(renewal.instance.id, bought.instance.id);
        let order = w.order(&renewal.order.id).await;
        assert_eq!((order.kind, order.status, order.months), (OrderKind::Renewal, OrderStatus::Paid, 1));
        assert_eq!(order.charges.list_price, usd("3221.00"));
        assert_eq!(order.start, None, "a renewal starts where the period before it ends");
        let periods = w.periods(&bought.instance.id).await;
        assert_eq!(periods.len(), 2);
        assert_eq!(periods[1].start, at("2026-03-01T00:00:00+08:00"));
        // Jan 31 + 2 months, not Feb 28 + 1 month.
        assert_eq!(periods[1].expiration_date, date("2026-03-31"));
        assert_eq!(periods[1].end, at("2026-04-01T00:00:00+08:00"));

        w.billing.purchases().renew(&s.caller, &bought.instance.id, 3, &[], Some(&[s.card("9663.00")])).await.unwrap();
        let periods = w.periods(&bought.instance.id).await;
        assert_eq!(periods[2].start, at("2026-04-01T00:00:00+08:00"));
        assert_eq!(periods[2].expiration_date, date("2026-06-30"));
        assert_eq!(w.balance_of(s.id()).await, usd("13558.00"));
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Active);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_renewed_quota_runs_on_past_its_first_period_and_expires_at_the_end_of_the_last() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "10000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();
        w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], Some(&[balance("805.25")])).await.unwrap();
        let periods = w.periods(&bought.instance.id).await;

        w.clock.set(periods[0].end);
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Active);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Running);

        w.clock.set(periods[1].end);
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { expired: 1, ..DueWork::default() });
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Expired);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn a_quota_renews_itself_from_the_balance_nine_days_before_it_ends() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "10000.00").await;
        let mut request = s.quota(100, 1, Some(vec![balance("3221.00")]));
        request.auto_renew = true;
        let bought = w.billing.purchases().buy_quota(&s.caller, &request).await.unwrap();
        assert_eq!(w.periods(&bought.instance.id).await[0].end, at("2026-04-11T00:00:00+08:00"));

        w.clock.set(at("2026-04-01T23:59:59+08:00"));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        assert_eq!(w.orders(&bought.instance.id).await.len(), 1);

        w.clock.set(at("2026-04-02T00:00:00+08:00"));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { renewed: 1, ..DueWork::default() });

        let orders = w.orders(&bought.instance.id).await;
        assert_eq!(orders.len(), 2);
        assert_eq!((orders[1].kind, orders[1].status, orders[1].months), (OrderKind::Renewal, OrderStatus::Paid, 1));
        assert_eq!(orders[1].tenders.len(), 1);
        assert_eq!(orders[1].tenders[0].method, PaymentMethodKind::Balance);
        assert_eq!(w.balance_of(s.id()).await, usd("3558.00"));
        let periods = w.periods(&bought.instance.id).await;
        assert_eq!(periods[1].start, at("2026-04-11T00:00:00+08:00"));
        assert_eq!(periods[1].end, at("2026-05-11T00:00:00+08:00"));
        // The renewal is pending; running again does not renew twice.
        w.clock.advance(Duration::days(1));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork::default());
        assert_eq!(w.orders(&bought.instance.id).await.len(), 2);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_automatic_renewal_is_charged_to_the_card_when_the_balance_is_short() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "3300.00").await;
        let mut request = s.quota(100, 1, Some(vec![balance("3221.00")]));
        request.auto_renew = true;
        let bought = w.billing.purchases().buy_quota(&s.caller, &request).await.unwrap();

        w.clock.set(at("2026-04-02T00:00:00+08:00"));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { renewed: 1, ..DueWork::default() });

        let orders = w.orders(&bought.instance.id).await;
        let tender = &orders[1].tenders[0];
        assert_eq!((tender.method, tender.payment_method_id.as_deref()), (PaymentMethodKind::Card, Some(&*s.card.id)));
        assert_eq!(tender.amount, usd("3221.00"));
        assert!(tender.charge_id.is_some(), "charged through the channel");
        assert_eq!(w.balance_of(s.id()).await, usd("79.00"));
        assert_eq!(w.ledger_sum("channel:card", "USD").await, -322_100);
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_overdue_account_can_neither_buy_nor_renew_but_keeps_what_it_has() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "3231.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(100, 1, Some(vec![balance("3221.00")]))).await.unwrap();
        // 200 CU-hours × 0.067106 = 13.4212 → 13.42, against a balance of 10.00.
        w.use_pay_as_you_go(s.id(), "adhoc", "200").await;
        assert_eq!(w.balance_of(s.id()).await, usd("-3.42"));
        let other = w.workspace(s.id(), "second", billing_app::model::BillingMethod::Subscription).await;

        let before = w.snapshot().await;
        let mut quota = s.quota(25, 1, Some(vec![s.card("805.25")]));
        quota.workspace_id = other.id.clone();
        let refused = w.billing.purchases().buy_quota(&s.caller, &quota).await;
        let err = w.assert_refused(&before, refused, "ACCOUNT_OVERDUE").await;
        assert!(err.to_string().contains("-3.42"), "{err}");
        let plan = w.billing.purchases().buy_plan(&s.caller, &s.plan(100, 1, Some(vec![s.card("5.36")]))).await;
        w.assert_refused(&before, plan, "ACCOUNT_OVERDUE").await;
        let renewal =
            w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], Some(&[s.card("3221.00")])).await;
        w.assert_refused(&before, renewal, "ACCOUNT_OVERDUE").await;
        let unpaid_renewal = w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], None).await;
        w.assert_refused(&before, unpaid_renewal, "ACCOUNT_OVERDUE").await;

        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Active);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Running);

        // Settling the debt lifts the block.
        w.billing.purchases().record_transfer(&OPERATOR, s.id(), usd("3.42")).await.unwrap();
        w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], Some(&[s.card("3221.00")])).await.unwrap();
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_automatic_renewal_of_an_overdue_account_fails_is_recorded_and_the_quota_expires() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "3231.00").await;
        let mut request = s.quota(100, 1, Some(vec![balance("3221.00")]));
        request.auto_renew = true;
        let bought = w.billing.purchases().buy_quota(&s.caller, &request).await.unwrap();
        w.use_pay_as_you_go(s.id(), "adhoc", "200").await;
        assert!(w.balance_of(s.id()).await.is_negative());

        w.clock.set(at("2026-04-02T00:00:00+08:00"));
        assert_eq!(
            w.billing.purchases().run_due().await.unwrap(),
            DueWork { renewals_failed: 1, ..DueWork::default() }
        );

        assert_eq!(w.orders(&bought.instance.id).await.len(), 1);
        assert_eq!(w.audited("renewal.failed").await, 1);
        assert_eq!(w.balance_of(s.id()).await, usd("-3.42"));
        assert_eq!(w.ledger_sum("channel:card", "USD").await, 0);
        w.assert_books_in_order().await;

        w.clock.set(at("2026-04-11T00:00:00+08:00"));
        assert_eq!(w.billing.purchases().run_due().await.unwrap(), DueWork { expired: 1, ..DueWork::default() });
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Expired);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Stopped);
    });
}

#[tokio::test]
async fn an_unpaid_renewal_extends_the_period_only_once_it_is_paid() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "2000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 1, Some(vec![balance("805.25")]))).await.unwrap();

        let renewal = w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], None).await.unwrap();
        assert_eq!(renewal.order.status, OrderStatus::Unpaid);
        assert_eq!(w.periods(&bought.instance.id).await.len(), 1);
        let before = w.snapshot().await;
        let second =
            w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], Some(&[balance("805.25")])).await;
        w.assert_refused(&before, second, "INVALID_STATE").await;

        w.clock.advance(Duration::days(3));
        w.billing.purchases().pay_order(&s.caller, &renewal.order.id, &[balance("805.25")]).await.unwrap();

        let periods = w.periods(&bought.instance.id).await;
        assert_eq!(periods.len(), 2);
        assert_eq!(periods[1].start, periods[0].end);
        assert_eq!(w.order(&renewal.order.id).await.start, None);
        assert_eq!(w.balance_of(s.id()).await, usd("389.50"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn an_unpaid_renewal_is_cancelled_after_seven_days_and_the_quota_stays_active() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "2000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&s.caller, &s.quota(25, 2, Some(vec![balance("1610.50")]))).await.unwrap();
        let renewal = w.billing.purchases().renew(&s.caller, &bought.instance.id, 1, &[], None).await.unwrap();

        w.clock.advance(Duration::days(7));
        assert_eq!(
            w.billing.purchases().run_due().await.unwrap(),
            DueWork { orders_cancelled: 1, ..DueWork::default() }
        );

        assert_eq!(w.order(&renewal.order.id).await.status, OrderStatus::Cancelled);
        assert_eq!(w.instance(&bought.instance.id).await.state, InstanceState::Active);
        assert_eq!(w.periods(&bought.instance.id).await.len(), 1);
        assert_eq!(w.subscription_queue(&s.workspace.id).await, QueueStatus::Running);
        w.assert_books_in_order().await;
    });
}
