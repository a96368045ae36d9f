//! Operator look-ups: accounts with their counts, searched and paged; an
//! account's balance lines; the audit trail narrowed by filters.

use billing_app::directory::{AccountFilter, AuditFilter, AuditOrder};
use billing_app::unsubscription::records::RefundStatus;
use chrono::Duration;

use crate::on_every_backend;
use crate::support::{OPERATOR, usd};
use crate::unsubscription::confirm;

fn accounts(query: Option<&str>, after: Option<&str>, limit: i64) -> AccountFilter {
    AccountFilter { query: query.map(str::to_owned), starting_after: after.map(str::to_owned), limit }
}

#[tokio::test]
async fn accounts_are_listed_by_name_with_active_instances_and_pending_refunds() {
    on_every_backend!(|w| {
        let acme = w.seed("Acme Analytics", "1000.00").await;
        let globex = w.seed("globex", "0").await;
        w.seed("Initech 100%_off", "0").await;
        let kept =
            w.billing.purchases().buy_plan(&acme.caller, &acme.plan(1000, 6, Some(vec![acme.card("53.68")]))).await;
        kept.unwrap();
        let plan =
            w.billing.purchases().buy_plan(&acme.caller, &acme.plan(1000, 6, Some(vec![acme.card("53.68")]))).await;
        let quote = w
            .billing
            .unsubscriptions()
            .quote_unsubscription(&acme.caller, &plan.unwrap().instance.id, None)
            .await
            .unwrap();
        let done = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&acme.caller, &confirm(&quote, "k1", None))
            .await
            .unwrap();
        let pending = done.refunds.iter().filter(|r| r.status == RefundStatus::Pending).count();
        assert!(pending > 0, "the card refund waits for the channel");

        let all = w.billing.operations().account_summaries(&OPERATOR, accounts(None, None, 10)).await.unwrap();
        let names: Vec<_> = all.iter().map(|s| s.account.name.as_str()).collect();
        assert_eq!(names, ["Acme Analytics", "Initech 100%_off", "globex"]);
        assert_eq!((all[0].active_instances, all[0].pending_refunds), (1, i64::try_from(pending).unwrap()));
        assert_eq!((all[2].active_instances, all[2].pending_refunds), (0, 0));
        let one = w.billing.operations().account_summary(&OPERATOR, acme.id()).await.unwrap();
        assert_eq!(one, all[0]);

        // Any case, anywhere in the name; LIKE's wildcards are plain text.
        let found =
            w.billing.operations().account_summaries(&OPERATOR, accounts(Some("ANALYTIC"), None, 10)).await.unwrap();
        assert_eq!(found.iter().map(|s| &s.account.id).collect::<Vec<_>>(), [acme.id()]);
        let percent =
            w.billing.operations().account_summaries(&OPERATOR, accounts(Some("%_"), None, 10)).await.unwrap();
        assert_eq!(percent.len(), 1, "only the name with a literal %_ matches");
        let by_id =
            w.billing.operations().account_summaries(&OPERATOR, accounts(Some(globex.id()), None, 10)).await.unwrap();
        assert_eq!(by_id[0].account.id, *globex.id());

        // Page by page: the cursor is the last account of the page before.
        let first = w.billing.operations().account_summaries(&OPERATOR, accounts(None, None, 2)).await.unwrap();
        let last = first.last().unwrap().account.id.clone();
        let second = w.billing.operations().account_summaries(&OPERATOR, accounts(None, Some(&last), 2)).await.unwrap();
        assert_eq!([first, second].concat(), all);
        let bad =
            w.billing.operations().account_summaries(&OPERATOR, accounts(None, Some("acc_nope"), 2)).await.unwrap_err();
        assert_eq!((bad.code(), bad.to_string().contains("starting_after")), ("INVALID_INPUT", true));

        // A customer sees its own account only, even on a page of one that
        // other names would fill first, and not another's.
        let own = w.billing.operations().account_summaries(&globex.caller, accounts(None, None, 1)).await.unwrap();
        assert_eq!(own.iter().map(|s| &s.account.id).collect::<Vec<_>>(), [globex.id()]);
        let searched =
            w.billing.operations().account_summaries(&globex.caller, accounts(Some("GLOB"), None, 1)).await.unwrap();
        assert_eq!(searched.len(), 1);
        let elsewhere =
            w.billing.operations().account_summaries(&globex.caller, accounts(Some("acme"), None, 1)).await.unwrap();
        assert!(elsewhere.is_empty());
        let theirs = w.billing.operations().account_summary(&globex.caller, acme.id()).await.unwrap_err();
        assert_eq!(theirs.code(), "NOT_FOUND");
    });
}

#[tokio::test]
async fn balance_lines_are_read_newest_first_page_by_page() {
    on_every_backend!(|w| {
        let acme = w.seed("acme", "0").await;
        let other = w.seed("globex", "5.00").await;
        for amount in ["1.00", "2.00", "3.00"] {
            w.billing.purchases().record_transfer(&OPERATOR, acme.id(), usd(amount)).await.unwrap();
            w.clock.advance(Duration::minutes(1));
        }
        let all = w.billing.operations().balance_lines(&OPERATOR, acme.id(), None, 10).await.unwrap();
        assert_eq!(all.iter().map(|l| l.amount_minor).collect::<Vec<_>>(), [300, 200, 100]);
        assert!(all.iter().all(|l| l.unit == "USD"));
        let first = w.billing.operations().balance_lines(&OPERATOR, acme.id(), None, 2).await.unwrap();
        let rest =
            w.billing.operations().balance_lines(&OPERATOR, acme.id(), Some(&first[1].movement_id), 2).await.unwrap();
        assert_eq!([first, rest].concat(), all);
        // Another account's movement is no cursor here.
        let foreign = w.billing.operations().balance_lines(&OPERATOR, other.id(), None, 1).await.unwrap().remove(0);
        let refused = w.billing.operations().balance_lines(&OPERATOR, acme.id(), Some(&foreign.movement_id), 2).await;
        assert_eq!(refused.unwrap_err().code(), "INVALID_INPUT");
        let hidden = w.billing.operations().balance_lines(&other.caller, acme.id(), None, 2).await.unwrap_err();
        assert_eq!(hidden.code(), "NOT_FOUND");
    });
}

#[tokio::test]
async fn the_audit_trail_is_narrowed_by_actor_account_action_and_time() {
    on_every_backend!(|w| {
        let start = w.billing.now();
        let acme = w.seed("acme", "100.00").await;
        w.clock.advance(Duration::hours(2));
        let middle = w.billing.now();
        let globex = w.seed("globex", "100.00").await;
        let search = |f: AuditFilter| {
            let billing = w.billing.clone();
            async move { billing.operations().audit_search(&OPERATOR, &f).await.unwrap() }
        };

        // By account: the account itself, its card and its workspace, by
        // whoever did it; nothing of globex.
        let of_acme = search(AuditFilter { account_id: Some(acme.id().into()), ..AuditFilter::default() }).await;
        let subjects: Vec<_> = of_acme.iter().map(|e| e.subject.as_str()).collect();
        assert!(subjects.contains(&acme.id().as_str()) && subjects.contains(&acme.card.id.as_str()), "{subjects:?}");
        assert!(subjects.contains(&acme.workspace.id.as_str()), "{subjects:?}");
        assert!(!subjects.iter().any(|s| [globex.id(), globex.card.id.as_str()].contains(s)), "{subjects:?}");
        assert!(of_acme.windows(2).all(|p| p[0].seq > p[1].seq), "newest first");

        let by_actor = search(AuditFilter { actor: Some(globex.id().into()), ..AuditFilter::default() }).await;
        assert!(!by_actor.is_empty() && by_actor.iter().all(|e| e.actor == *globex.id()));
        let created = search(AuditFilter { action: Some("account.created".into()), ..AuditFilter::default() }).await;
        assert_eq!(created.len(), 2);
        let early = AuditFilter { from: Some(start), to: Some(middle), ..AuditFilter::default() };
        let early = search(early).await;
        assert!(!early.is_empty() && early.iter().all(|e| e.at < middle));
        assert!(early.iter().all(|e| e.subject != *globex.id()));

        // Paging both ways gives the same events.
        let all = search(AuditFilter { limit: 1000, ..AuditFilter::default() }).await;
        let page = search(AuditFilter { limit: 3, ..AuditFilter::default() }).await;
        let next =
            search(AuditFilter { limit: 3, order: AuditOrder::Before(Some(page[2].seq)), ..AuditFilter::default() });
        assert_eq!([page, next.await].concat(), all[..6].to_vec());
        let oldest = search(AuditFilter { limit: 2, order: AuditOrder::After(1), ..AuditFilter::default() }).await;
        assert_eq!(oldest.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);

        let backwards = AuditFilter { from: Some(middle), to: Some(start), ..AuditFilter::default() };
        let refused = w.billing.operations().audit_search(&OPERATOR, &backwards).await.unwrap_err();
        assert_eq!((refused.code(), refused.to_string().contains("to")), ("INVALID_INPUT", true));
        let customer = w.billing.operations().audit_search(&acme.caller, &AuditFilter::default()).await.unwrap_err();
        assert_eq!(customer.code(), "FORBIDDEN");
    });
}
