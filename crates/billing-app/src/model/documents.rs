//! Billing documents as stored.

use billing_domain::ids::{AccountId, DocumentId, EventId};
use billing_domain::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Invoice or credit note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Issued when an order is paid.
    Invoice,
    /// Issued when a set of refunds is created.
    CreditNote,
}

/// An issued document as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRecord {
    /// Id, `doc_…`.
    pub id: DocumentId,
    /// Invoice or credit note.
    pub kind: DocumentKind,
    /// E.g. `INV-2026-000001`.
    pub number: String,
    /// Calendar year of the series, in the billing zone.
    pub year: i32,
    /// Position in the year's series, from 1.
    pub seq: i64,
    /// The buyer.
    pub account_id: AccountId,
    /// What it documents: the order (invoice) or the unsubscription
    /// (credit note).
    pub source_id: String,
    /// Cash due or cash given back.
    pub total: Money,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Canonical JSON of [`DocumentContent`].
    pub content: String,
    /// Lowercase hex SHA-256 of `content`.
    pub sha256: String,
}

/// A document written with its transaction and numbered as that
/// transaction commits.
///
/// Until then its number and digest are stand-ins: random tokens no
/// customer text can contain, in the record, in its `document.issued`
/// event and in the audit event that names it. At commit the store takes
/// the next number of the series, puts it and the digest of the finished
/// content in place of the tokens everywhere, and only then chains the
/// audit events, so the series' counter row is held for the last moments
/// of the transaction alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentDraft {
    /// The record, with `number` = `number_token`, `sha256` = `sha_token`
    /// and `seq` 0.
    pub record: DocumentRecord,
    /// Stands in for the number.
    pub number_token: String,
    /// Stands in for the SHA-256 of the finished content.
    pub sha_token: String,
    /// The `document.issued` event written with the draft, whose data holds
    /// the tokens.
    pub event_id: EventId,
}

/// Which documents to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only this account's.
    pub account_id: Option<AccountId>,
    /// Only this kind.
    pub kind: Option<DocumentKind>,
    /// Only the documents of this order or unsubscription.
    pub source_id: Option<String>,
    /// Those listed after this document.
    pub starting_after: Option<String>,
    /// At most this many.
    pub limit: i64,
}
