//! A database that cannot be used answers `UNAVAILABLE` (safe to retry),
//! never `INTERNAL`.

use billing_app::AppError;
use billing_domain::money::Currency;

use crate::on_every_backend;
use crate::support::{OPERATOR, usd};

#[tokio::test]
async fn a_store_whose_connections_are_closed_answers_unavailable_for_reads_and_writes() {
    on_every_backend!(|w| {
        let account = w.billing.accounts().create_account(&OPERATOR, "acme", Currency::Usd).await.unwrap();
        w.store.close().await;
        let read = w.billing.accounts().account(&OPERATOR, &account.id).await.unwrap_err();
        assert!(matches!(read, AppError::Unavailable(_)), "a read: {read:?}");
        assert_eq!(read.code(), "UNAVAILABLE");
        let write = w.billing.purchases().record_transfer(&OPERATOR, &account.id, usd("10.00")).await.unwrap_err();
        assert!(matches!(write, AppError::Unavailable(_)), "a write: {write:?}");
    });
}
