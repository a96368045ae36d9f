//! What an issued document shows, as one value written once: its canonical
//! JSON (fields in declaration order, amounts as decimal strings) is stored
//! with the document and hashed, and every rendering is made from it alone.

use billing_domain::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
pub use crate::model::documents::DocumentKind;

impl DocumentKind {
    /// Every kind.
    pub const ALL: [DocumentKind; 2] = [DocumentKind::Invoice, DocumentKind::CreditNote];

    /// The name used on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "invoice",
            DocumentKind::CreditNote => "credit_note",
        }
    }

    /// The numbering series: `INV` or `CN`.
    pub const fn series(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "INV",
            DocumentKind::CreditNote => "CN",
        }
    }

    /// The title printed on the document.
    pub const fn title(self) -> &'static str {
        match self {
            DocumentKind::Invoice => "Invoice",
            DocumentKind::CreditNote => "Credit note",
        }
    }
}

/// A document's number: series, calendar year in the billing zone, and the
/// position in that year's series, e.g. `INV-2026-000001`.
pub fn document_number(kind: DocumentKind, year: i32, seq: i64) -> String {
    format!("{}-{year}-{seq:06}", kind.series())
}

/// The seller or the buyer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Legal or display name.
    pub name: String,
    /// Postal address, lines separated by newlines; may be empty.
    pub address: String,
    /// Tax registration number; may be empty.
    pub tax_id: String,
    /// The buyer's account id (empty for the seller).
    pub account_id: String,
}

/// How an invoiced order's price was built up, and how it was paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceBody {
    /// The order invoiced.
    pub order_id: String,
    /// `new` or `renewal`.
    pub order_kind: String,
    /// What was bought, in words.
    pub item: String,
    /// Catalog price.
    pub list_price: String,
    /// Taken off by the provider.
    pub discount: String,
    /// Taken off by a coupon.
    pub coupon: String,
    /// Taken off by a voucher.
    pub voucher: String,
    /// Cash due: the document's total.
    pub cash_due: String,
    /// The cash tenders that paid it.
    pub tenders: Vec<TenderLine>,
}

/// One cash tender of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderLine {
    /// `card`, `paypal`, `bank_transfer` or `balance`.
    pub method: String,
    /// How much.
    pub amount: String,
}

/// One quote line a credit note gives back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLine {
    /// The order credited.
    pub order_id: String,
    /// Its invoice's number, when it has one.
    pub invoice_number: Option<String>,
    /// `current`, `pending_renewal`, `plan`, or `activation_failed`.
    pub kind: String,
    /// The order's period as local dates, `first – last`.
    pub period: String,
    /// The order's cash basis.
    pub cash_paid: String,
    /// Units used, when only part comes back.
    pub used: Option<i64>,
    /// Units bought, when only part comes back.
    pub total: Option<i64>,
    /// What `used` and `total` count.
    pub unit: Option<String>,
    /// The part of the cash consumed.
    pub consumed: String,
    /// The part given back.
    pub refund: String,
}

/// Where one part of a credit note's refund goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationLine {
    /// The refund carrying it.
    pub refund_id: String,
    /// The order it comes from.
    pub order_id: String,
    /// How it was paid.
    pub from: String,
    /// Where it goes back to.
    pub to: String,
    /// Why there.
    pub rule: String,
    /// How much.
    pub amount: String,
}

/// What a credit note credits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditBody {
    /// The refund set: an unsubscription, downgrade, switch or failed
    /// activation (`uns_…`).
    pub unsubscription_id: String,
    /// `unsubscribe`, `downgrade`, `switch_to_pay_as_you_go` or
    /// `activation_failed`.
    pub cause: String,
    /// What was given back, in words.
    pub item: String,
    /// The invoices credited, by number.
    pub credits_invoices: Vec<String>,
    /// The quote's lines.
    pub lines: Vec<CreditLine>,
    /// Where the refund goes.
    pub destinations: Vec<DestinationLine>,
}

/// Everything an issued document shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentContent {
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// Its number.
    pub number: String,
    /// When it was issued, RFC 3339 in UTC.
    pub issued_at: String,
    /// The issue date in the billing zone.
    pub issue_date: String,
    /// The billing zone.
    pub billing_zone: String,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// Who issues it.
    pub seller: Party,
    /// Who it is for.
    pub buyer: Party,
    /// The total: cash due, or cash given back.
    pub total: String,
    /// An invoice's build-up and tenders.
    pub invoice: Option<InvoiceBody>,
    /// A credit note's lines and destinations.
    pub credit: Option<CreditBody>,
}

impl DocumentContent {
    /// The canonical JSON stored and hashed.
    pub fn canonical_json(&self) -> AppResult<String> {
        serde_json::to_string(self).map_err(AppError::internal)
    }

    /// Reads stored content back.
    pub fn from_json(json: &str) -> AppResult<DocumentContent> {
        serde_json::from_str(json).map_err(|e| AppError::internal(format!("stored document content: {e}")))
    }

    /// The currency of its amounts.
    pub fn currency(&self) -> AppResult<Currency> {
        self.currency.parse().map_err(|e| AppError::internal(format!("stored document currency: {e}")))
    }

    /// One of its amounts, parsed.
    pub fn amount(&self, text: &str) -> AppResult<Money> {
        Money::parse(self.currency()?, text).map_err(|e| AppError::internal(format!("stored document amount: {e}")))
    }
}

/// Lowercase hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
