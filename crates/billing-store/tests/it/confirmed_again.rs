//! A quote confirmed once and sent again with a new idempotency key is
//! answered with what happened: the instance or renewal is already
//! unsubscribed, or the quote is stale — never a complaint about a field.

use crate::on_every_backend;
use crate::seed::balance;
use crate::unsubscription::confirm;

#[tokio::test]
async fn a_confirmed_renewal_quote_sent_again_with_a_new_key_says_it_is_already_done() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "10000.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(25, 1, Some(vec![balance("805.25")])))
            .await
            .unwrap();
        let quota = bought.instance.id;
        let renewal =
            w.billing.purchases().renew(&seed.caller, &quota, 2, &[], Some(&[balance("1610.50")])).await.unwrap();
        let quote = w
            .billing
            .unsubscriptions()
            .quote_unsubscription(&seed.caller, &quota, Some(&renewal.order.id))
            .await
            .unwrap();
        w.billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "first", None))
            .await
            .unwrap();
        let before = w.snapshot().await;
        let again =
            w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &confirm(&quote, "second", None)).await;
        let err = again.unwrap_err();
        assert!(matches!(err.code(), "ALREADY_UNSUBSCRIBED" | "QUOTE_STALE"), "{}: {err}", err.code());
        assert!(!err.to_string().contains("order_id"), "{err}");
        assert_eq!(w.snapshot().await, before);
        let requote = w
            .billing
            .unsubscriptions()
            .quote_unsubscription(&seed.caller, &quota, Some(&renewal.order.id))
            .await
            .unwrap();
        assert_eq!(requote.quote.reason.map(|r| r.code()), Some("ALREADY_UNSUBSCRIBED"));
    });
}

#[tokio::test]
async fn a_confirmed_quota_quote_sent_again_with_a_new_key_says_it_is_already_unsubscribed() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "10000.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(25, 1, Some(vec![balance("805.25")])))
            .await
            .unwrap();
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &bought.instance.id, None).await.unwrap();
        w.billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "first", Some("etl")))
            .await
            .unwrap();
        let again = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&seed.caller, &confirm(&quote, "second", Some("etl")))
            .await;
        assert_eq!(again.unwrap_err().code(), "ALREADY_UNSUBSCRIBED");
    });
}
