//! Quotes reuse the facts they were computed from until a write could have
//! changed them: at once for the writes of the same service, within the poll
//! interval for another replica's.

use std::time::Duration as StdDuration;

use billing_domain::money::Currency;
use billing_domain::quote::RefundType;

use crate::on_every_backend;
use crate::seed::{Seed, balance};
use crate::support::{OPERATOR, World};
use crate::unsubscription::confirm;

async fn quota(w: &World, seed: &Seed) -> String {
    let bought = w.billing.buy_quota(&seed.caller, &seed.quota(100, 6, Some(vec![balance("19326.00")]))).await.unwrap();
    bought.instance.id
}

#[tokio::test]
async fn facts_are_reused_until_their_account_or_the_operator_writes() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "20000.00").await;
        let other = w.seed("globex", "0.00").await;
        let quota = quota(&w, &seed).await;
        let first = w.billing.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(first.quote.refund_type, RefundType::PartialRefund);
        // Changed behind the service's back, without an audit event: the
        // service cannot know, and keeps quoting from what it read.
        w.sql(&format!("UPDATE instances SET promotion_non_refundable = 1 WHERE id = '{quota}'")).await;
        let cached = w.billing.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(cached.quote.refund_type, RefundType::PartialRefund, "the second quote read the store again");
        assert_eq!(cached.stored.digest, first.stored.digest);
        // Another customer's write touches only that customer's account.
        w.billing.add_job(&other.caller, &other.workspace.id, "other.py", "pass").await.unwrap();
        let still = w.billing.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(still.quote.refund_type, RefundType::PartialRefund, "another account's write dropped the facts");
        // The owner's own write is seen by the very next quote.
        w.billing.add_job(&seed.caller, &seed.workspace.id, "etl.py", "pass").await.unwrap();
        let fresh = w.billing.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(fresh.quote.refund_type, RefundType::NonRefundable);
        assert_ne!(fresh.stored.digest, first.stored.digest);
        // The operator's writes may touch any account.
        w.sql(&format!("UPDATE instances SET promotion_non_refundable = 0 WHERE id = '{quota}'")).await;
        w.billing.create_account(&OPERATOR, "initech", Currency::Usd).await.unwrap();
        let after = w.billing.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(after.quote.refund_type, RefundType::PartialRefund, "an operator's write left the facts in use");
        assert_eq!(after.stored.digest, first.stored.digest);
    });
}

#[tokio::test]
async fn another_replicas_write_is_seen_once_the_poll_interval_has_passed() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "30000.00").await;
        let quota = quota(&w, &seed).await;
        let replica = w.replica().await;
        replica.store().changes().set_poll_interval(StdDuration::from_secs(3600));
        let before = replica.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        // The first service renews the quota: the refund now covers the
        // renewal's month too.
        w.billing.renew(&seed.caller, &quota, 1, &[], Some(&[balance("3221.00")])).await.unwrap();
        let own = w.billing.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_ne!(own.stored.digest, before.stored.digest);
        // Within the interval the replica has not looked at the chain yet.
        let unseen = replica.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(unseen.stored.digest, before.stored.digest);
        // Once the interval has passed, it reads the chain before quoting.
        replica.store().changes().set_poll_interval(StdDuration::ZERO);
        let seen = replica.quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        assert_eq!(seen.stored.digest, own.stored.digest);
        assert_eq!(seen.quote.refund, own.quote.refund);
        assert!(seen.quote.refund.minor() > before.quote.refund.minor());
        // A quote made from the stale facts is refused when confirmed.
        let stale = w.billing.confirm_unsubscription(&seed.caller, &confirm(&unseen, "k", Some("etl"))).await;
        assert_eq!(stale.unwrap_err().code(), "QUOTE_STALE");
    });
}
