//! Accounts, payment methods, benefits and top-ups.

use billing_app::AppError;
use billing_domain::money::Currency;
use billing_domain::order::PaymentMethodKind;

use crate::on_every_backend;
use crate::support::{OPERATOR, customer, usd};

#[tokio::test]
async fn a_top_up_raises_the_balance_and_is_posted_to_the_ledger() {
    on_every_backend!(|w| {
        let account = w.billing.create_account(&OPERATOR, "acme", Currency::Usd).await.unwrap();
        let after = w.billing.record_transfer(&OPERATOR, &account.id, usd("250.00")).await.unwrap();
        assert_eq!(after.balance, usd("250.00"));
        let report = w.billing.ledger_check(&OPERATOR).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.movements, 1);
        assert!(w.billing.audit_verify(&OPERATOR).await.unwrap().problem.is_none());
    });
}

#[tokio::test]
async fn another_accounts_things_are_not_found() {
    on_every_backend!(|w| {
        let a = w.billing.create_account(&OPERATOR, "a", Currency::Usd).await.unwrap();
        let b = w.billing.create_account(&OPERATOR, "b", Currency::Usd).await.unwrap();
        let err = w.billing.account(&customer(&a.id), &b.id).await.unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND");
        let err = w
            .billing
            .add_payment_method(&customer(&a.id), &b.id, PaymentMethodKind::Card, "4242424242424242")
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound { .. }));
    });
}
