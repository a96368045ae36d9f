//! Issuing a document inside the transaction that pays an order or creates
//! a set of refunds, with its `document.issued` event. The number is taken
//! as the transaction commits ([`DocumentDraft`]); the use case's audit
//! event names the document by its number and digest, which is how the
//! audit chain records each issue.

use billing_domain::calendar::BillingZone;
use billing_domain::ids::OrderId;
use billing_domain::money::Money;
use billing_domain::quote::{ProrationBasis, Quote};
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::content::{
    CreditBody, CreditLine, DestinationLine, DocumentContent, DocumentKind, InvoiceBody, Party, TenderLine,
};
use super::{DocumentDraft, DocumentRecord, SELLER_SETTING, SellerDetails};
use crate::error::{AppError, AppResult};
use crate::ids::{mint, new_id};
use crate::model::{Account, InstanceRecord, OrderRecord};
use crate::store::StoreTx;
use crate::unsubscription::records::{Refund, Unsubscription};

/// The seller as set, or the default.
pub(crate) async fn read_seller(tx: &mut (dyn StoreTx + '_)) -> AppResult<SellerDetails> {
    seller_from(tx.setting(SELLER_SETTING).await?)
}

/// The seller from its stored setting, or the default when none is set.
fn seller_from(setting: Option<String>) -> AppResult<SellerDetails> {
    match setting {
        None => Ok(SellerDetails::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| AppError::internal(format!("stored seller: {e}"))),
    }
}

/// What the audit event of the issuing use case says of the document (its
/// number and digest are filled in at commit).
pub(crate) fn audit_ref(doc: &DocumentRecord) -> Value {
    json!({"id": doc.id, "kind": doc.kind.as_str(), "number": doc.number, "sha256": doc.sha256})
}

/// What was bought, in words.
fn item(instance: &InstanceRecord, months: Option<u32>) -> String {
    let mut text = instance.commodity.display_name().to_owned();
    if let Some(cu) = instance.quota_cu {
        text.push_str(&format!(", {cu} CU"));
    }
    if let Some(months) = months {
        text.push_str(&format!(", {months} month{}", if months == 1 { "" } else { "s" }));
    }
    text.push_str(&format!(", region {}, instance {}", instance.region_id, instance.id));
    text
}

fn buyer(account: &Account) -> Party {
    Party {
        name: account.name.clone(),
        address: String::new(),
        tax_id: String::new(),
        account_id: account.id.to_string(),
    }
}

/// The parts every document shares, with its number taken from the
/// series' counter in this transaction.
struct Header<'a> {
    kind: DocumentKind,
    account: &'a Account,
    zone: BillingZone,
    source_id: &'a str,
    total: Money,
    now: DateTime<Utc>,
}

async fn issue(
    tx: &mut (dyn StoreTx + '_),
    h: Header<'_>,
    seller: SellerDetails,
    invoice: Option<InvoiceBody>,
    credit: Option<CreditBody>,
) -> AppResult<DocumentRecord> {
    let local = h.zone.local_date(h.now);
    let year = local.year();
    // The number is taken at commit (see `DocumentDraft`): until then the
    // tokens stand in for it and for the digest.
    let number_token = new_id("docnumber");
    let sha_token = new_id("docdigest");
    let content = DocumentContent {
        kind: h.kind,
        number: number_token.clone(),
        issued_at: h.now.to_rfc3339_opts(SecondsFormat::Micros, true),
        issue_date: local.to_string(),
        billing_zone: h.zone.name().to_owned(),
        currency: h.total.currency().code().to_owned(),
        seller: seller.party(),
        buyer: buyer(h.account),
        total: h.total.to_string(),
        invoice,
        credit,
    };
    let record = DocumentRecord {
        id: mint(),
        kind: h.kind,
        number: number_token.clone(),
        year,
        seq: 0,
        account_id: h.account.id.clone(),
        source_id: h.source_id.to_owned(),
        total: h.total,
        issued_at: h.now,
        sha256: sha_token.clone(),
        content: content.canonical_json()?,
    };
    let event = crate::events::emit(tx, crate::events::EventType::DocumentIssued, &record, h.now).await?;
    tx.insert_document_at_commit(&DocumentDraft { record: record.clone(), number_token, sha_token, event_id: event })
        .await?;
    Ok(record)
}

/// Issues the invoice of an order just paid.
pub(crate) async fn issue_invoice(
    tx: &mut (dyn StoreTx + '_),
    account: &Account,
    instance: &InstanceRecord,
    order: &OrderRecord,
    zone: BillingZone,
    now: DateTime<Utc>,
) -> AppResult<DocumentRecord> {
    let c = &order.charges;
    let cash_due = c.cash_due()?;
    let body = InvoiceBody {
        order_id: order.id.to_string(),
        order_kind: order.kind.as_str().to_owned(),
        item: item(instance, Some(order.months)),
        list_price: c.list_price.to_string(),
        discount: c.discount.to_string(),
        coupon: c.coupon.to_string(),
        voucher: c.voucher.to_string(),
        cash_due: cash_due.to_string(),
        tenders: order
            .tenders
            .iter()
            .map(|t| TenderLine { method: t.method.as_str().to_owned(), amount: t.amount.to_string() })
            .collect(),
    };
    let header = Header { kind: DocumentKind::Invoice, account, zone, source_id: &order.id, total: cash_due, now };
    let seller = read_seller(tx).await?;
    issue(tx, header, seller, Some(body), None).await
}

/// What a credit note credits: the refund set, its refunds, and the lines
/// of the quote it executed.
pub(crate) struct Credited<'a> {
    /// The buyer.
    pub account: &'a Account,
    /// The instance given back or changed.
    pub instance: &'a InstanceRecord,
    /// The refund set.
    pub unsubscription: &'a Unsubscription,
    /// Its refunds, one per destination.
    pub refunds: &'a [Refund],
    /// The billing zone.
    pub zone: BillingZone,
}

/// Issues the credit note of a confirmed quote.
pub(crate) async fn issue_credit_note(
    tx: &mut (dyn StoreTx + '_),
    credited: &Credited<'_>,
    quote: &Quote,
    now: DateTime<Utc>,
) -> AppResult<DocumentRecord> {
    let zone = credited.zone;
    let lines = quote
        .lines
        .iter()
        .map(|l| {
            let (used, total, unit) = match &l.proration {
                Some(p) => {
                    let unit = match p.basis {
                        ProrationBasis::Time(u) => u.as_str().to_owned(),
                        ProrationBasis::MilliCuHours => "milli-CU-hours".to_owned(),
                    };
                    (Some(p.used), Some(p.total), Some(unit))
                }
                None => (None, None, None),
            };
            let basis = l.removed.unwrap_or(l.cash_paid);
            let consumed = basis.checked_sub(l.refund)?;
            Ok(CreditLine {
                order_id: l.order_id.to_string(),
                invoice_number: None,
                kind: l.kind.as_str().to_owned(),
                period: format!("{} - {}", zone.local_date(l.period.start), l.period.expiration_date),
                cash_paid: basis.to_string(),
                used,
                total,
                unit,
                consumed: consumed.to_string(),
                refund: l.refund.to_string(),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    credit_note(tx, credited, lines, quote.refund, now).await
}

/// Issues the credit note of a quota refunded whole because its region had
/// no room: one line, the order's whole cash.
pub(crate) async fn issue_activation_credit_note(
    tx: &mut (dyn StoreTx + '_),
    credited: &Credited<'_>,
    order: &OrderRecord,
    refund: Money,
    now: DateTime<Utc>,
) -> AppResult<DocumentRecord> {
    let line = CreditLine {
        order_id: order.id.to_string(),
        invoice_number: None,
        kind: "activation_failed".to_owned(),
        period: "-".to_owned(),
        cash_paid: refund.to_string(),
        used: None,
        total: None,
        unit: None,
        consumed: Money::zero(refund.currency()).to_string(),
        refund: refund.to_string(),
    };
    credit_note(tx, credited, vec![line], refund, now).await
}

async fn credit_note(
    tx: &mut (dyn StoreTx + '_),
    credited: &Credited<'_>,
    mut lines: Vec<CreditLine>,
    total: Money,
    now: DateTime<Utc>,
) -> AppResult<DocumentRecord> {
    let order_ids: Vec<OrderId> = lines.iter().map(|l| OrderId::trusted(l.order_id.as_str())).collect();
    let order_ids: Vec<&OrderId> = order_ids.iter().collect();
    let (seller, invoices) = tx.invoice_numbers_with_setting(SELLER_SETTING, &order_ids).await?;
    let seller = seller_from(seller)?;
    for line in &mut lines {
        line.invoice_number =
            invoices.iter().find(|(order, _)| order.as_str() == line.order_id).map(|(_, n)| n.clone());
    }
    let mut credits_invoices: Vec<String> = lines.iter().filter_map(|l| l.invoice_number.clone()).collect();
    credits_invoices.dedup();
    let u = credited.unsubscription;
    let body = CreditBody {
        unsubscription_id: u.id.to_string(),
        cause: u.action.as_str().to_owned(),
        item: item(credited.instance, None),
        credits_invoices,
        lines,
        destinations: credited
            .refunds
            .iter()
            .map(|r| DestinationLine {
                refund_id: r.id.to_string(),
                order_id: r.order_id.to_string(),
                from: r.from.as_str().to_owned(),
                to: r.destination.as_str().to_owned(),
                rule: r.rule.clone(),
                amount: r.amount.to_string(),
            })
            .collect(),
    };
    let header = Header {
        kind: DocumentKind::CreditNote,
        account: credited.account,
        zone: credited.zone,
        source_id: &u.id,
        total,
        now,
    };
    issue(tx, header, seller, None, Some(body)).await
}
