//! Lists longer than a page are read page by page: `starting_after` names
//! the last item of the previous page, and must be one the caller can see.

use billing_app::model::BillingMethod;
use billing_app::unsubscription::records::RefundFilter;
use chrono::Duration;

use crate::on_every_backend;
use crate::seed::{settlement_packs, usage};
use crate::support::{OPERATOR, customer};
use crate::unsubscription::confirm;

#[tokio::test]
async fn refunds_are_read_page_by_page_newest_first() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "1000.00").await;
        let other = w.seed("globex", "1000.00").await;
        for i in 0..5 {
            let plan =
                w.billing.purchases().buy_plan(&seed.caller, &seed.plan(1000, 6, Some(vec![seed.card("53.68")]))).await;
            let quote = w
                .billing
                .unsubscriptions()
                .quote_unsubscription(&seed.caller, &plan.unwrap().instance.id, None)
                .await
                .unwrap();
            w.billing
                .unsubscriptions()
                .confirm_unsubscription(&seed.caller, &confirm(&quote, &format!("k{i}"), None))
                .await
                .unwrap();
            w.clock.advance(Duration::minutes(1));
        }
        let all = w
            .billing
            .unsubscriptions()
            .refunds(&seed.caller, RefundFilter { limit: 100, ..RefundFilter::default() })
            .await
            .unwrap();
        assert_eq!(all.len(), 5);
        let mut paged = Vec::new();
        let mut after = None;
        // Three pages of two, two and one, then an empty one; a cursor that
        // were ignored would repeat the first page and never end.
        for _ in 0..4 {
            let filter = RefundFilter { limit: 2, starting_after: after.clone(), ..RefundFilter::default() };
            let page = w.billing.unsubscriptions().refunds(&seed.caller, filter).await.unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.id.to_string());
            paged.extend(page);
        }
        assert_eq!(paged, all, "the pages differ from the whole list");
        // Another account's refund, or a made-up id, is no cursor.
        let theirs = RefundFilter { limit: 2, starting_after: Some(all[0].id.to_string()), ..RefundFilter::default() };
        let refused = w.billing.unsubscriptions().refunds(&other.caller, theirs).await.unwrap_err();
        assert_eq!((refused.code(), refused.to_string().contains("starting_after")), ("INVALID_INPUT", true));
        let made_up = RefundFilter { limit: 2, starting_after: Some("ref_nope".into()), ..RefundFilter::default() };
        assert_eq!(w.billing.unsubscriptions().refunds(&OPERATOR, made_up).await.unwrap_err().code(), "INVALID_INPUT");
    });
}

#[tokio::test]
async fn settlements_are_read_page_by_page_oldest_first() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(seed.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let other = w.workspace(seed.id(), "other", BillingMethod::PayAsYouGo).await;
        let last = w.previous_hour();
        let records: Vec<_> =
            (0..5).map(|h| usage(&format!("r{h}"), &adhoc.id, last - Duration::hours(h), "1.000")).collect();
        w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
        w.billing.metering().import_usage(&OPERATOR, &[usage("o1", &other.id, last, "1.000")]).await.unwrap();
        let caller = customer(seed.id());
        let all = w.billing.purchases().settlements(&caller, &adhoc.id, None, 100).await.unwrap();
        assert_eq!(all.len(), 5);
        assert!(all.windows(2).all(|p| p[0].hour_start < p[1].hour_start));
        let first = w.billing.purchases().settlements(&caller, &adhoc.id, None, 2).await.unwrap();
        let second = w.billing.purchases().settlements(&caller, &adhoc.id, Some(&first[1].id), 2).await.unwrap();
        let third = w.billing.purchases().settlements(&caller, &adhoc.id, Some(&second[1].id), 2).await.unwrap();
        let rest = w.billing.purchases().settlements(&caller, &adhoc.id, Some(&third[0].id), 2).await.unwrap();
        assert_eq!([first, second, third].concat(), all);
        assert!(rest.is_empty());
        // A settlement of another workspace is no cursor here.
        let foreign = w.billing.purchases().settlements(&caller, &other.id, None, 1).await.unwrap().remove(0);
        let refused = w.billing.purchases().settlements(&caller, &adhoc.id, Some(&foreign.id), 2).await.unwrap_err();
        assert_eq!(refused.code(), "INVALID_INPUT");
    });
}

#[tokio::test]
async fn settlements_over_several_days_with_adjustments_are_read_one_at_a_time_in_order() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "100.00").await;
        let adhoc = w.workspace(seed.id(), "adhoc", BillingMethod::PayAsYouGo).await;
        let last = w.previous_hour();
        // Hours on three UTC days at least, two of which later get late
        // records: their adjustments sort after the first settlement.
        let back = [0, 1, 23, 24, 25, 49, 50];
        let records: Vec<_> =
            back.iter().map(|h| usage(&format!("r{h}"), &adhoc.id, last - Duration::hours(*h), "1.000")).collect();
        w.billing.metering().import_usage(&OPERATOR, &records).await.unwrap();
        w.clock.advance(Duration::minutes(5));
        let late: Vec<_> = [1, 49]
            .iter()
            .map(|h| usage(&format!("late{h}"), &adhoc.id, last - Duration::hours(*h), "0.500"))
            .collect();
        let outcome = w.billing.metering().import_usage(&OPERATOR, &late).await.unwrap();
        assert_eq!(outcome.adjustments, 2);

        let caller = customer(seed.id());
        let all = w.billing.purchases().settlements(&caller, &adhoc.id, None, 100).await.unwrap();
        assert_eq!(all.len(), back.len() + 2);
        let key = |s: &billing_app::model::Settlement| (s.hour_start, s.settled_at, s.id.clone());
        assert!(all.windows(2).all(|p| key(&p[0]) < key(&p[1])), "not oldest first: {all:?}");
        assert_eq!(all.iter().filter(|s| s.adjustment).count(), 2);
        for size in [1, 2, 3] {
            let mut read = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page =
                    w.billing.purchases().settlements(&caller, &adhoc.id, cursor.as_deref(), size).await.unwrap();
                assert!(page.len() <= size as usize);
                let Some(tail) = page.last() else { break };
                cursor = Some(tail.id.clone());
                read.extend(page);
            }
            assert_eq!(read, all, "pages of {size}");
        }

        // One pack per import and UTC day, each marking the hours of its
        // lines: the first import's settlements and the late import's
        // adjustments.
        let packs = settlement_packs(w.store.pool()).await;
        let mut expected: Vec<(String, i64, i64)> = Vec::new();
        let mut by_import: std::collections::BTreeMap<(bool, i64), i64> = Default::default();
        for s in &all {
            let at = s.hour_start.timestamp_micros();
            let day = at - at.rem_euclid(86_400_000_000);
            *by_import.entry((s.adjustment, day)).or_default() |= 1 << ((at - day) / 3_600_000_000);
        }
        for ((_, day), mask) in by_import {
            expected.push((adhoc.id.to_string(), day, mask));
        }
        expected.sort();
        let mut kept = packs.clone();
        kept.sort();
        assert_eq!(kept, expected);
        assert!(kept.len() >= 5, "{kept:?}");
    });
}
