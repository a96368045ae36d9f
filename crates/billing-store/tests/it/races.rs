//! Read-then-write use cases racing each other: the store must make them
//! behave as if they ran one after the other, on every backend.

use billing_app::lifecycle::DueWork;
use billing_app::model::{BillingMethod, InstanceState};

use crate::on_every_backend;
use crate::support::{at, balance, usd};

#[tokio::test]
async fn two_purchases_racing_for_one_balance_cannot_overdraw_it() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "1000.00").await;
        let other = w.workspace(s.id(), "other", BillingMethod::Hybrid).await;
        let first = s.quota(25, 1, Some(vec![balance("805.25")]));
        let mut second = first.clone();
        second.workspace_id = other.id.clone();

        let (a, b) = tokio::join!(w.billing.buy_quota(&s.caller, &first), w.billing.buy_quota(&s.caller, &second));

        let codes: Vec<_> = [&a, &b].iter().map(|r| r.as_ref().err().map(|e| e.code())).collect();
        assert!(codes.contains(&None) && codes.contains(&Some("INSUFFICIENT_BALANCE")), "{codes:?}");
        assert_eq!(w.balance_of(s.id()).await, usd("194.75"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_quotas_racing_for_one_workspace_cannot_both_be_bought() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "5000.00").await;
        let request = s.quota(25, 1, Some(vec![balance("805.25")]));

        let (a, b) = tokio::join!(w.billing.buy_quota(&s.caller, &request), w.billing.buy_quota(&s.caller, &request));

        let codes: Vec<_> = [&a, &b].iter().map(|r| r.as_ref().err().map(|e| e.code())).collect();
        assert!(codes.contains(&None) && codes.contains(&Some("INVALID_STATE")), "{codes:?}");
        let quotas = w.instances(s.id()).await;
        assert_eq!(quotas.iter().filter(|i| i.state == InstanceState::Active).count(), 1);
        assert_eq!(w.balance_of(s.id()).await, usd("4194.75"));
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_schedulers_running_at_once_renew_a_quota_once() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "5000.00").await;
        let mut request = s.quota(25, 1, Some(vec![balance("805.25")]));
        request.auto_renew = true;
        let bought = w.billing.buy_quota(&s.caller, &request).await.unwrap();
        w.clock.set(at("2026-04-02T00:00:00+08:00"));

        let (a, b) = tokio::join!(w.billing.run_due(), w.billing.run_due());

        let renewed = a.unwrap().renewed + b.unwrap().renewed;
        assert_eq!(renewed, 1);
        assert_eq!(w.orders(&bought.instance.id).await.len(), 2);
        let spent = usd("805.25").checked_mul(2).unwrap();
        assert_eq!(w.balance_of(s.id()).await, usd("5000.00").checked_sub(spent).unwrap());
        assert_eq!(w.billing.run_due().await.unwrap(), DueWork::default());
        w.assert_books_in_order().await;
    });
}

#[tokio::test]
async fn two_imports_of_the_same_new_records_racing_charge_them_once() {
    on_every_backend!(|w| {
        let s = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(s.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let records = [crate::support::usage("r1", &adhoc.id, w.previous_hour(), "100")];
        let operator = billing_app::Caller::Operator;

        let (a, b) = tokio::join!(w.billing.import_usage(&operator, &records), w.billing.import_usage(&operator, &records));

        let imported: Vec<_> = [a, b].into_iter().map(|r| r.map(|o| o.imported)).collect();
        assert!(imported.contains(&Ok(1)), "{imported:?}");
        // 100 × 0.067106 = 6.7106 → 6.71, once.
        assert_eq!(w.balance_of(s.id()).await, usd("100.00").checked_sub(usd("6.71")).unwrap());
        assert_eq!(w.settlements(&adhoc.id).await.len(), 1);
        w.assert_books_in_order().await;
    });
}
