//! API keys revoked and rolled, and console sessions kept on the server:
//! what one process does is seen by another sharing the database.

use std::time::{Duration as StdDuration, Instant};

use billing_app::Billing;
use billing_app::keyring::Keyring;
use billing_domain::ids::InstanceId;
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, customer};
use crate::unsubscription::confirm;

/// Asks `billing` until `secret` stops signing anyone in, up to a generous
/// deadline; whether it did.
async fn refused_before_deadline(billing: &Billing, secret: &str) -> bool {
    let deadline = Instant::now() + StdDuration::from_secs(20);
    while Instant::now() < deadline {
        if billing.accounts().authenticate(secret).await.unwrap().is_none() {
            return true;
        }
        tokio::task::yield_now().await;
    }
    false
}

#[tokio::test]
async fn a_key_revoked_in_one_process_is_refused_by_another_that_had_it_cached() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0.00").await;
        let (key, secret) = w.billing.accounts().create_api_key(&OPERATOR, Some(&seed.account.id), "ci").await.unwrap();
        let other = w.replica().await;
        assert_eq!(other.accounts().authenticate(&secret).await.unwrap(), Some(customer(&seed.account.id)));
        assert_eq!(w.billing.accounts().authenticate(&secret).await.unwrap(), Some(customer(&seed.account.id)));
        let revoked = w.billing.accounts().revoke_api_key(&OPERATOR, &key.id).await.unwrap();
        assert!(revoked.revoked_at.is_some());
        assert_eq!(
            w.billing.accounts().authenticate(&secret).await.unwrap(),
            None,
            "the revoking process refuses it at once"
        );
        assert!(refused_before_deadline(&other, &secret).await, "the other process still accepts the key");
    });
}

#[tokio::test]
async fn a_rolled_key_is_replaced_by_a_new_secret_for_the_same_account() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0.00").await;
        let other = w.seed("globex", "0.00").await;
        let (key, secret) = w.billing.accounts().create_api_key(&OPERATOR, Some(&seed.account.id), "ci").await.unwrap();
        w.billing.accounts().authenticate(&secret).await.unwrap();
        // Another customer cannot touch the key: it is not found for them.
        let theirs = w.billing.accounts().roll_api_key(&other.caller, &key.id).await;
        assert_eq!(theirs.unwrap_err().code(), "NOT_FOUND");
        let (new, new_secret) = w.billing.accounts().roll_api_key(&seed.caller, &key.id).await.unwrap();
        assert_eq!((new.account_id.as_deref(), new.label.as_str()), (Some(seed.account.id.as_str()), "ci"));
        assert_eq!(w.billing.accounts().authenticate(&secret).await.unwrap(), None);
        assert_eq!(w.billing.accounts().authenticate(&new_secret).await.unwrap(), Some(seed.caller.clone()));
        let listed = w.billing.accounts().api_keys(&seed.caller, None).await.unwrap();
        let ids: Vec<_> = listed.iter().map(|k| (k.id.as_str(), k.revoked_at.is_some())).collect();
        assert!(ids.contains(&(key.id.as_str(), true)) && ids.contains(&(new.id.as_str(), false)), "{ids:?}");
        let again = w.billing.accounts().roll_api_key(&OPERATOR, &key.id).await;
        assert_eq!(again.unwrap_err().code(), "INVALID_STATE");
    });
}

#[tokio::test]
async fn a_session_ended_in_one_process_signs_no_one_in_anywhere() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0.00").await;
        let (_, secret) =
            w.billing.accounts().create_api_key(&OPERATOR, Some(&seed.account.id), "console").await.unwrap();
        let now = w.billing.now();
        let (caller, session) =
            w.billing.accounts().start_session(&secret, now, Duration::hours(8)).await.unwrap().unwrap();
        assert_eq!(caller, seed.caller);
        let other = w.replica().await;
        assert_eq!(other.accounts().session_caller(&session.id, now).await.unwrap(), Some(seed.caller.clone()));
        assert_eq!(
            other.accounts().session_caller(&session.id, now + Duration::hours(8)).await.unwrap(),
            None,
            "expired"
        );
        w.billing.accounts().end_session(&session.id, now).await.unwrap();
        assert_eq!(other.accounts().session_caller(&session.id, now).await.unwrap(), None);
        assert!(w.billing.accounts().start_session("sbk_unknown", now, Duration::hours(8)).await.unwrap().is_none());
    });
}

#[tokio::test]
async fn a_session_ends_when_its_key_is_revoked() {
    on_every_backend!(|w| {
        let (key, secret) = w.billing.accounts().create_api_key(&OPERATOR, None, "console").await.unwrap();
        let now = w.billing.now();
        let (_, session) = w.billing.accounts().start_session(&secret, now, Duration::hours(8)).await.unwrap().unwrap();
        assert_eq!(w.billing.accounts().session_caller(&session.id, now).await.unwrap(), Some(OPERATOR));
        w.billing.accounts().revoke_api_key(&OPERATOR, &key.id).await.unwrap();
        assert_eq!(w.billing.accounts().session_caller(&session.id, now).await.unwrap(), None);
    });
}

const OLD_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const NEW_KEY: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

/// A quota of 100 CUs for 6 months bought by `seed`'s balance; its id.
async fn quota(w: &crate::support::World, seed: &crate::seed::Seed) -> InstanceId {
    let request = seed.quota(100, 6, Some(vec![crate::seed::balance("19326.00")]));
    w.billing.purchases().buy_quota(&seed.caller, &request).await.unwrap().instance.id
}

#[tokio::test]
async fn a_quote_signed_with_a_retired_key_confirms_until_the_key_runs_out() {
    on_every_backend!(|w| {
        let (acme, globex) = (w.seed("acme", "20000.00").await, w.seed("globex", "20000.00").await);
        let (acme_quota, globex_quota) = (quota(&w, &acme).await, quota(&w, &globex).await);
        let ring = |text: &str| Keyring::parse(text).unwrap();
        let before = Billing::new(w.store.clone(), w.clock.clone()).with_quote_keys(&ring(OLD_KEY));
        let in_grace = before.unsubscriptions().quote_unsubscription(&acme.caller, &acme_quota, None).await.unwrap();
        let too_late =
            before.unsubscriptions().quote_unsubscription(&globex.caller, &globex_quota, None).await.unwrap();
        // Rotated: the new key signs, the old one verifies for one more minute.
        let until = (w.billing.now() + Duration::minutes(1)).to_rfc3339();
        let after = Billing::new(w.store.clone(), w.clock.clone())
            .with_quote_keys(&ring(&format!("{NEW_KEY}\n{OLD_KEY} until {until}")));
        after
            .unsubscriptions()
            .confirm_unsubscription(&acme.caller, &confirm(&in_grace, "a", Some("etl")))
            .await
            .unwrap();
        w.clock.advance(Duration::minutes(2));
        let refused =
            after.unsubscriptions().confirm_unsubscription(&globex.caller, &confirm(&too_late, "g", Some("etl"))).await;
        assert_eq!(refused.unwrap_err().code(), "NOT_FOUND", "a quote signed with a key past its time");
        // The quote itself had not expired: the same quote signed anew confirms.
        let fresh = after.unsubscriptions().quote_unsubscription(&globex.caller, &globex_quota, None).await.unwrap();
        after
            .unsubscriptions()
            .confirm_unsubscription(&globex.caller, &confirm(&fresh, "g2", Some("etl")))
            .await
            .unwrap();
    });
}
