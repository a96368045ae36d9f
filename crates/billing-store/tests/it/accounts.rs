//! Accounts, payment methods, benefits and top-ups.

use billing_app::AppError;
use billing_domain::money::Currency;
use billing_domain::order::PaymentMethodKind;

use crate::on_every_backend;
use crate::support::{OPERATOR, customer, usd};

#[tokio::test]
async fn a_top_up_raises_the_balance_and_is_posted_to_the_ledger() {
    on_every_backend!(|w| {
        let account = w.billing.accounts().create_account(&OPERATOR, "acme", Currency::Usd).await.unwrap();
        let after = w.billing.purchases().record_transfer(&OPERATOR, &account.id, usd("250.00")).await.unwrap();
        assert_eq!(after.balance, usd("250.00"));
        let report = w.billing.operations().ledger_check(&OPERATOR).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!(report.movements, 1);
        assert!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem.is_none());
    });
}

#[tokio::test]
async fn an_account_keeps_the_language_it_chose_and_only_it_may_change_it() {
    on_every_backend!(|w| {
        let a = w.billing.accounts().create_account(&OPERATOR, "a", Currency::Usd).await.unwrap();
        let b = w.billing.accounts().create_account(&OPERATOR, "b", Currency::Usd).await.unwrap();
        assert_eq!(w.billing.accounts().account(&OPERATOR, &a.id).await.unwrap().locale, None);
        let changed = w.billing.accounts().set_account_locale(&customer(&a.id), &a.id, Some("zh-CN")).await.unwrap();
        assert_eq!(changed.locale.as_deref(), Some("zh-CN"));
        assert_eq!(
            w.billing.accounts().account(&customer(&a.id), &a.id).await.unwrap().locale.as_deref(),
            Some("zh-CN")
        );
        let err = w.billing.accounts().set_account_locale(&customer(&a.id), &a.id, Some("fr-FR")).await.unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT");
        let err = w.billing.accounts().set_account_locale(&customer(&b.id), &a.id, Some("en-US")).await.unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND");
        w.billing.accounts().set_account_locale(&customer(&a.id), &a.id, None).await.unwrap();
        assert_eq!(w.billing.accounts().account(&OPERATOR, &a.id).await.unwrap().locale, None);
        assert!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem.is_none());
    });
}

#[tokio::test]
async fn another_accounts_things_are_not_found() {
    on_every_backend!(|w| {
        let a = w.billing.accounts().create_account(&OPERATOR, "a", Currency::Usd).await.unwrap();
        let b = w.billing.accounts().create_account(&OPERATOR, "b", Currency::Usd).await.unwrap();
        let err = w.billing.accounts().account(&customer(&a.id), &b.id).await.unwrap_err();
        assert_eq!(err.code(), "NOT_FOUND");
        let err = w
            .billing
            .accounts()
            .add_payment_method(&customer(&a.id), &b.id, PaymentMethodKind::Card, "4242424242424242")
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::NotFound { .. }));
    });
}
