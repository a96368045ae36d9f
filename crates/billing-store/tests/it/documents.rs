//! Billing documents: an invoice per paid order and a credit note per set
//! of refunds, numbered without gaps under concurrency, immutable once
//! issued, and rendered as HTML and as a PDF that reads back.

use billing_app::documents::{DocumentDraft, DocumentFilter, DocumentKind, DocumentRecord, SellerDetails, sha256_hex};
use billing_app::model::BenefitKind;
use billing_app::store::Store;
use billing_app::unsubscription::facts::Question;
use billing_app::unsubscription::{Confirmation, QuoteView};
use billing_app::{Billing, Caller};
use billing_domain::change::ActionKind;
use billing_domain::ids::{InstanceId, OrderId};
use billing_domain::money::Money;

use crate::on_every_backend;
use crate::seed::{Seed, balance};
use crate::support::{OPERATOR, World, at, usd};
use crate::unsubscription::confirm;

async fn docs(w: &World, kind: DocumentKind) -> Vec<DocumentRecord> {
    let filter = DocumentFilter { kind: Some(kind), limit: 100, ..DocumentFilter::default() };
    let mut found = w.billing.documents().documents(&OPERATOR, filter).await.unwrap();
    found.reverse();
    found
}

fn numbers(docs: &[DocumentRecord]) -> Vec<String> {
    docs.iter().map(|d| d.number.clone()).collect()
}

async fn of_source(w: &World, source: &str) -> Vec<DocumentRecord> {
    let filter = DocumentFilter { source_id: Some(source.to_owned()), limit: 100, ..DocumentFilter::default() };
    w.billing.documents().documents(&OPERATOR, filter).await.unwrap()
}

async fn confirm_action(billing: &Billing, caller: &Caller, quote: &QuoteView, key: &str) -> String {
    let c = Confirmation {
        quote_id: quote.stored.id.clone(),
        idempotency_key: key.to_owned(),
        confirm_workspace_deletion: quote.deletes.as_ref().map(|t| t.name.clone()),
    };
    let done = match quote.stored.action {
        ActionKind::Unsubscribe => billing.unsubscriptions().confirm_unsubscription(caller, &c).await.unwrap(),
        _ => billing.unsubscriptions().confirm_quota_change(caller, &c).await.unwrap(),
    };
    done.unsubscription.id.into_string()
}

fn text_of_pdf(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF that parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text that extracts")
}

/// 100 CUs for 6 months from the balance, then a month's renewal by card.
async fn quota_with_renewal(w: &World) -> (Seed, InstanceId, OrderId, OrderId) {
    let seed = w.seed("acme", "20000.00").await;
    let bought = w
        .billing
        .purchases()
        .buy_quota(&seed.caller, &seed.quota(100, 6, Some(vec![balance("19326.00")])))
        .await
        .unwrap();
    let renewal = w
        .billing
        .purchases()
        .renew(&seed.caller, &bought.instance.id, 1, &[], Some(&[seed.card("3221.00")]))
        .await
        .unwrap();
    (seed, bought.instance.id, bought.order.id, renewal.order.id)
}

#[tokio::test]
async fn every_payment_gets_an_invoice_and_every_refund_set_a_credit_note_naming_it() {
    on_every_backend!(|w| {
        let (seed, quota, first, renewal) = quota_with_renewal(&w).await;
        let invoices = docs(&w, DocumentKind::Invoice).await;
        assert_eq!(numbers(&invoices), ["INV-2026-000001", "INV-2026-000002"]);
        assert_eq!((invoices[0].source_id.as_str(), invoices[0].total), (first.as_str(), usd("19326.00")));
        assert_eq!((invoices[1].source_id.as_str(), invoices[1].total), (renewal.as_str(), usd("3221.00")));
        let content = invoices[1].parsed().unwrap();
        let body = content.invoice.unwrap();
        assert_eq!((body.cash_due.as_str(), body.tenders.len()), ("3221.00", 1));
        assert_eq!((body.tenders[0].method.as_str(), content.buyer.name.as_str()), ("card", "acme"));

        // The pending renewal alone, then the rest of the quota.
        let quote =
            w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, Some(&renewal)).await.unwrap();
        let renewal_set = confirm_action(&w.billing, &seed.caller, &quote, "k-renewal").await;
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        let c = confirm(&quote, "k-quota", Some(&seed.workspace.name));
        let whole = w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &c).await.unwrap();

        let notes = docs(&w, DocumentKind::CreditNote).await;
        assert_eq!(numbers(&notes), ["CN-2026-000001", "CN-2026-000002"]);
        let renewal_note = notes[0].parsed().unwrap().credit.unwrap();
        assert_eq!(renewal_note.unsubscription_id, renewal_set);
        assert_eq!(renewal_note.credits_invoices, ["INV-2026-000002"]);
        assert_eq!(renewal_note.lines.len(), 1);
        assert_eq!(
            (renewal_note.lines[0].kind.as_str(), renewal_note.lines[0].refund.as_str()),
            ("pending_renewal", "3221.00")
        );
        assert_eq!(renewal_note.destinations.len(), 1);
        assert_eq!(
            (renewal_note.destinations[0].to.as_str(), renewal_note.destinations[0].amount.as_str()),
            ("card", "3221.00")
        );
        let whole_note = notes[1].parsed().unwrap().credit.unwrap();
        assert_eq!(whole_note.unsubscription_id, whole.unsubscription.id);
        assert_eq!(whole_note.credits_invoices, ["INV-2026-000001"]);
        assert_eq!(notes[1].total, whole.unsubscription.refund);
        let line = &whole_note.lines[0];
        assert_eq!((line.kind.as_str(), line.cash_paid.as_str()), ("current", "19326.00"));
        assert!(line.used.is_some() && line.total.is_some(), "a pro-rata line shows used/total");
        let consumed = Money::parse(usd("0").currency(), &line.consumed).unwrap();
        assert_eq!(consumed.checked_add(whole.unsubscription.refund).unwrap(), usd("19326.00"));
        for doc in invoices.iter().chain(&notes) {
            assert_eq!(doc.sha256, sha256_hex(&doc.content), "{} carries its content's digest", doc.number);
            assert_eq!(of_source(&w, &doc.source_id).await.len(), 1, "one document per payment or refund set");
        }
        // The audit chain records each issue in the event of its use case.
        let chained: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE detail LIKE '%\"document\":{%'")
            .fetch_one(w.store.pool())
            .await
            .unwrap();
        assert_eq!(chained, 4);
        // And each issue is an event, written in the same transaction.
        let events: Vec<(String, String)> = sqlx::query_as(
            "SELECT resource_id, data FROM events WHERE event_type = 'document.issued' ORDER BY occurred_at, id",
        )
        .fetch_all(w.store.pool())
        .await
        .unwrap();
        let issued: Vec<&str> = events.iter().map(|(id, _)| id.as_str()).collect();
        let mut all: Vec<&str> = invoices.iter().chain(&notes).map(|d| d.id.as_str()).collect();
        let mut sorted = issued.clone();
        sorted.sort();
        all.sort();
        assert_eq!(sorted, all, "one document.issued event per document");
        let data: serde_json::Value = serde_json::from_str(&events[0].1).unwrap();
        assert_eq!((data["number"].as_str(), data["kind"].as_str()), (Some("INV-2026-000001"), Some("invoice")));
        // Numbers and digests are taken at commit: each document's event and
        // the audit event naming it carry the finished ones, no stand-in.
        let details: Vec<String> =
            sqlx::query_scalar("SELECT detail FROM audit_events").fetch_all(w.store.pool()).await.unwrap();
        for doc in invoices.iter().chain(&notes) {
            let (_, data) = events.iter().find(|(id, _)| *id == doc.id).unwrap();
            let data: serde_json::Value = serde_json::from_str(data).unwrap();
            assert_eq!((data["number"].as_str(), data["sha256"].as_str()), (Some(&*doc.number), Some(&*doc.sha256)));
            assert_eq!(data["content"]["number"].as_str(), Some(&*doc.number));
            let named = details.iter().filter(|d| d.contains(&doc.number) && d.contains(&doc.sha256)).count();
            assert_eq!(named, 1, "one audit event names {} with its digest", doc.number);
        }
        let leftovers: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM events WHERE data LIKE '%docnumber_%' OR data LIKE '%docdigest_%') \
             + (SELECT COUNT(*) FROM audit_events WHERE detail LIKE '%docnumber_%' OR detail LIKE '%docdigest_%') \
             + (SELECT COUNT(*) FROM documents WHERE content LIKE '%docnumber_%')",
        )
        .fetch_one(w.store.pool())
        .await
        .unwrap();
        assert_eq!(leftovers, 0, "no stand-in survives the commit");
        assert_eq!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem, None);
        // A customer sees their own documents, not another account's.
        let other = w.seed("other", "0.00").await;
        let filter = DocumentFilter { limit: 10, ..DocumentFilter::default() };
        assert!(w.billing.documents().documents(&other.caller, filter).await.unwrap().is_empty());
        assert_eq!(w.billing.documents().document(&other.caller, &notes[0].id).await.unwrap_err().code(), "NOT_FOUND");
    });
}

#[tokio::test]
async fn downgrades_switches_and_failed_activations_each_get_a_credit_note() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "0.00").await;
        let bought = w
            .billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(100, 1, Some(vec![seed.card("3221.00")])))
            .await
            .unwrap();
        let quota = bought.instance.id;
        w.clock.set(at("2026-03-12T10:20:00+08:00"));
        let down = Question { action: ActionKind::Downgrade, order_id: None, new_quota_cu: Some(60) };
        let quote = w.billing.unsubscriptions().quote_action(&seed.caller, &quota, &down).await.unwrap();
        let downgrade = confirm_action(&w.billing, &seed.caller, &quote, "k-down").await;
        let switch = Question { action: ActionKind::SwitchToPayAsYouGo, order_id: None, new_quota_cu: None };
        let quote = w.billing.unsubscriptions().quote_action(&seed.caller, &quota, &switch).await.unwrap();
        let switched = confirm_action(&w.billing, &seed.caller, &quote, "k-switch").await;

        let mut region = w.billing.operations().region("ap-southeast-1").await.unwrap();
        region.reserved_cu_capacity = Some(50);
        w.billing.operations().set_region(&OPERATOR, region).await.unwrap();
        let second = w.seed("second", "0.00").await;
        let voucher = w.grant(second.id(), BenefitKind::Voucher, "221.00").await;
        let request = second.quota(100, 1, Some(vec![second.card("3000.00")]));
        let failed = w.buy_quota_with(&second, request, &[&voucher]).await.unwrap();

        let invoices = docs(&w, DocumentKind::Invoice).await;
        assert_eq!(numbers(&invoices), ["INV-2026-000001", "INV-2026-000002"]);
        let notes = docs(&w, DocumentKind::CreditNote).await;
        assert_eq!(numbers(&notes), ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]);
        let causes: Vec<String> = notes.iter().map(|n| n.parsed().unwrap().credit.unwrap().cause).collect();
        assert_eq!(causes, ["downgrade", "switch_to_pay_as_you_go", "activation_failed"]);
        assert_eq!((notes[0].source_id.as_str(), notes[1].source_id.as_str()), (downgrade.as_str(), switched.as_str()));
        let activation = notes[2].parsed().unwrap().credit.unwrap();
        assert_eq!(activation.credits_invoices, ["INV-2026-000002"]);
        // Invoice and credit note were numbered in the same commit; the
        // credit note's event names the invoice's finished number too.
        let data: String = sqlx::query_scalar("SELECT data FROM events WHERE resource_id = $1")
            .bind(notes[2].id.as_str())
            .fetch_one(w.store.pool())
            .await
            .unwrap();
        let data: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(data["content"]["credit"]["credits_invoices"][0].as_str(), Some("INV-2026-000002"));
        assert_eq!(notes[2].sha256, sha256_hex(&notes[2].content));
        assert_eq!(notes[2].total, usd("3000.00"));
        assert_eq!(invoices[1].source_id, failed.order.id.as_str());
        let invoice = invoices[1].parsed().unwrap().invoice.unwrap();
        assert_eq!((invoice.voucher.as_str(), invoice.cash_due.as_str()), ("221.00", "3000.00"));
    });
}

/// A draft of a new document shaped like `doc`, its event `event_id`.
fn draft_of(doc: &DocumentRecord, event_id: &str) -> DocumentDraft {
    let (number_token, sha_token) = ("docnumber_test".to_owned(), "docdigest_test".to_owned());
    let record = DocumentRecord {
        id: billing_domain::ids::DocumentId::trusted("doc_test"),
        number: number_token.clone(),
        seq: 0,
        sha256: sha_token.clone(),
        source_id: "ord_test".into(),
        content: doc.content.replace(&doc.number, &number_token),
        ..doc.clone()
    };
    DocumentDraft { record, number_token, sha_token, event_id: billing_domain::ids::EventId::trusted(event_id) }
}

#[tokio::test]
async fn a_rolled_back_transaction_gives_its_number_back() {
    on_every_backend!(|w| {
        let seed = w.seed("acme", "20000.00").await;
        w.billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(100, 1, Some(vec![balance("3221.00")])))
            .await
            .unwrap();
        let first = docs(&w, DocumentKind::Invoice).await.remove(0);
        {
            // A draft dropped without commit takes no number.
            let mut tx = w.store.begin().await.unwrap();
            tx.insert_document_at_commit(&draft_of(&first, "evt_x")).await.unwrap();
        }
        {
            // Nor does one whose numbering fails at commit (its event is
            // missing): the counter goes back with the rest.
            let mut tx = w.store.begin().await.unwrap();
            tx.insert_document_at_commit(&draft_of(&first, "evt_missing")).await.unwrap();
            let err = tx.commit().await.unwrap_err();
            assert!(err.to_string().contains("evt_missing"), "{err}");
        }
        // A confirmation refused after its checks leaves no trace either.
        let other = w.seed("other", "20000.00").await;
        let bought =
            w.billing.purchases().buy_quota(&other.caller, &other.quota(100, 1, Some(vec![balance("3221.00")]))).await;
        let quota = bought.unwrap().instance.id;
        let quote = w.billing.unsubscriptions().quote_unsubscription(&other.caller, &quota, None).await.unwrap();
        let wrong = w
            .billing
            .unsubscriptions()
            .confirm_unsubscription(&other.caller, &confirm(&quote, "k", Some("nope")))
            .await;
        assert_eq!(wrong.unwrap_err().code(), "CONFIRMATION_MISMATCH");
        let c = confirm(&quote, "k2", Some(&other.workspace.name));
        w.billing.unsubscriptions().confirm_unsubscription(&other.caller, &c).await.unwrap();
        assert_eq!(numbers(&docs(&w, DocumentKind::Invoice).await), ["INV-2026-000001", "INV-2026-000002"]);
        assert_eq!(numbers(&docs(&w, DocumentKind::CreditNote).await), ["CN-2026-000001"]);
    });
}

#[tokio::test]
async fn an_issued_document_never_changes_when_prices_or_the_seller_change() {
    on_every_backend!(|w| {
        let first_seller = SellerDetails {
            name: "Spark Cloud Pte. Ltd.".to_owned(),
            address: "1 Harbourfront Ave\nSingapore 098632".to_owned(),
            tax_id: "SG-201912345K".to_owned(),
        };
        w.billing.documents().set_seller(&OPERATOR, &first_seller).await.unwrap();
        let seed = w.seed("acme", "20000.00").await;
        w.billing
            .purchases()
            .buy_quota(&seed.caller, &seed.quota(100, 1, Some(vec![balance("3221.00")])))
            .await
            .unwrap();
        let issued = docs(&w, DocumentKind::Invoice).await.remove(0);
        let (_, html_before) = w.billing.documents().document_html(&seed.caller, &issued.id).await.unwrap();
        let (_, pdf_before) = w.billing.documents().document_pdf(&seed.caller, &issued.id).await.unwrap();

        let mut region = w.billing.operations().region("ap-southeast-1").await.unwrap();
        region.cu_month_price = usd("40.00");
        w.billing.operations().set_region(&OPERATOR, region).await.unwrap();
        let renamed = SellerDetails { name: "Renamed Seller GmbH".to_owned(), ..first_seller.clone() };
        w.billing.documents().set_seller(&OPERATOR, &renamed).await.unwrap();
        let bad = SellerDetails { name: "x\u{7}".to_owned(), ..first_seller.clone() };
        assert_eq!(w.billing.documents().set_seller(&OPERATOR, &bad).await.unwrap_err().code(), "INVALID_INPUT");
        assert_eq!(w.billing.documents().set_seller(&seed.caller, &renamed).await.unwrap_err().code(), "FORBIDDEN");

        let again = w.billing.documents().document(&seed.caller, &issued.id).await.unwrap();
        assert_eq!(again, issued, "the stored document is unchanged");
        let (_, html_after) = w.billing.documents().document_html(&seed.caller, &issued.id).await.unwrap();
        let (_, pdf_after) = w.billing.documents().document_pdf(&seed.caller, &issued.id).await.unwrap();
        assert_eq!(html_after, html_before);
        assert_eq!(pdf_after, pdf_before, "the PDF is made from the stored content alone, byte for byte");
        assert!(html_after.contains("Spark Cloud Pte. Ltd.") && !html_after.contains("Renamed"));
        assert!(html_after.contains("$3,221.00") && html_after.contains(&issued.sha256));

        let text = text_of_pdf(&pdf_after);
        for wanted in ["INV-2026-000001", "$3,221.00", "USD", "Spark Cloud Pte. Ltd.", "acme"] {
            assert!(text.contains(wanted), "the PDF shows {wanted}: {text}");
        }
        // A document issued after the change shows the new seller.
        let other = w.seed("other", "20000.00").await;
        w.billing
            .purchases()
            .buy_quota(&other.caller, &other.quota(100, 1, Some(vec![balance("4000.00")])))
            .await
            .unwrap();
        let newer = docs(&w, DocumentKind::Invoice).await.remove(1).parsed().unwrap();
        assert_eq!((newer.seller.name.as_str(), newer.total.as_str()), ("Renamed Seller GmbH", "4000.00"));
    });
}

#[tokio::test]
async fn quotes_backslashes_and_other_scripts_reach_a_document_unchanged() {
    on_every_backend!(|w| {
        // On PostgreSQL the document reaches the server as JSON in a
        // setting, read back by a function; it must come back byte for byte.
        let seller = SellerDetails {
            name: "O'Brien \\ \"Spark\" 云计算有限公司 ''".to_owned(),
            address: "1 Harbourfront Ave\\n\nE'x' $$ --\nSingapore".to_owned(),
            tax_id: "SG-2019/12345K".to_owned(),
        };
        w.billing.documents().set_seller(&OPERATOR, &seller).await.unwrap();
        let (seed, quota, _, _) = quota_with_renewal(&w).await;
        let quote = w.billing.unsubscriptions().quote_unsubscription(&seed.caller, &quota, None).await.unwrap();
        let c = confirm(&quote, "k-quota", Some(&seed.workspace.name));
        w.billing.unsubscriptions().confirm_unsubscription(&seed.caller, &c).await.unwrap();

        let mut issued = docs(&w, DocumentKind::Invoice).await;
        issued.extend(docs(&w, DocumentKind::CreditNote).await);
        assert_eq!(numbers(&issued), ["INV-2026-000001", "INV-2026-000002", "CN-2026-000001"]);
        for doc in &issued {
            assert_eq!(doc.sha256, sha256_hex(&doc.content), "{} is stored with its content's digest", doc.number);
            let content = doc.parsed().unwrap();
            let shown = (content.seller.name.as_str(), content.seller.address.as_str(), content.seller.tax_id.as_str());
            assert_eq!(
                shown,
                (seller.name.as_str(), seller.address.as_str(), seller.tax_id.as_str()),
                "{}",
                doc.number
            );
            assert!(doc.content.contains(&doc.number));
        }
        assert_eq!(w.billing.operations().audit_verify(&OPERATOR).await.unwrap().problem, None);
    });
}
