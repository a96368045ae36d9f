//! Billing documents: an invoice for every paid order and a credit note for
//! every set of refunds, issued in the transaction that pays or refunds.
//!
//! A document's number is taken from a counter row per series and calendar
//! year (in the billing zone) inside that transaction, so numbers follow
//! each other with no gap and no repeat on every backend and replica: a
//! transaction that rolls back gives its number back with everything else.
//! What the document shows is stored once as canonical JSON with its
//! SHA-256; the HTML and PDF renderings are made from that alone, so later
//! changes of prices, names or policy never change an issued document.

pub mod content;
pub mod html;
pub mod issue;
pub mod labels;
pub mod pdf;
pub mod sheet;

use billing_domain::ids::DocumentId;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use content::{DocumentContent, DocumentKind, Party, document_number, sha256_hex};

use crate::core::Core;
use crate::core::{Caller, audit, visible};
use crate::error::{AppError, AppResult};
pub use crate::model::documents::{DocumentDraft, DocumentFilter, DocumentRecord};

/// Invoices and credit notes: listing and reading them, and the seller's
/// details they print.
#[derive(Clone)]
pub struct Documents {
    pub(crate) core: Core,
}

/// Setting holding the seller's details as JSON.
pub const SELLER_SETTING: &str = "document_seller";
/// Longest seller name, in characters.
pub const MAX_SELLER_NAME: usize = 120;
/// Longest seller address, in characters.
pub const MAX_SELLER_ADDRESS: usize = 300;
/// Most lines of a seller address.
pub const MAX_SELLER_ADDRESS_LINES: usize = 5;
/// Longest tax id, in characters.
pub const MAX_TAX_ID: usize = 40;
/// Most documents in one page of a list.
pub const MAX_PAGE: i64 = 100;

impl DocumentDraft {
    /// The finished record for position `seq` of its series.
    pub fn numbered(&self, seq: i64) -> DocumentRecord {
        let number = document_number(self.record.kind, self.record.year, seq);
        let content = self.record.content.replace(&self.number_token, &number);
        DocumentRecord { seq, sha256: sha256_hex(&content), number, content, ..self.record.clone() }
    }

    /// `text` with the tokens replaced by the finished record's number and
    /// digest.
    pub fn fill(&self, text: &str, done: &DocumentRecord) -> String {
        text.replace(&self.number_token, &done.number).replace(&self.sha_token, &done.sha256)
    }
}

impl DocumentRecord {
    /// The stored content, read back.
    pub fn parsed(&self) -> AppResult<DocumentContent> {
        DocumentContent::from_json(&self.content)
    }
}

impl crate::events::EventResource for DocumentRecord {
    fn account_id(&self) -> &str {
        &self.account_id
    }
    fn resource_id(&self) -> &str {
        &self.id
    }
    fn data(&self) -> crate::error::AppResult<serde_json::Value> {
        // The same fields as the API's document, the content included.
        let content: serde_json::Value = serde_json::from_str(&self.content).map_err(|e| {
            crate::error::AppError::internal(format!("document {} has unreadable content: {e}", self.id))
        })?;
        Ok(json!({
            "id": self.id, "kind": self.kind.as_str(), "number": self.number, "account_id": self.account_id,
            "source_id": self.source_id, "total": self.total.to_string(), "currency": self.total.currency().code(),
            "issued_at": self.issued_at.to_rfc3339(), "sha256": self.sha256, "content": content,
        }))
    }
}

/// The seller printed on every document, as an operator set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerDetails {
    /// Legal name.
    pub name: String,
    /// Postal address; lines separated by newlines.
    #[serde(default)]
    pub address: String,
    /// Tax registration number.
    #[serde(default)]
    pub tax_id: String,
}

impl Default for SellerDetails {
    fn default() -> Self {
        SellerDetails { name: "spark-billing operator".to_owned(), address: String::new(), tax_id: String::new() }
    }
}

impl SellerDetails {
    /// Checks every field against its bounds, naming the first one that
    /// breaks them.
    pub fn check(&self) -> AppResult<()> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_SELLER_NAME || name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", format!("1 to {MAX_SELLER_NAME} characters, no control characters")));
        }
        if self.address.chars().count() > MAX_SELLER_ADDRESS
            || self.address.lines().count() > MAX_SELLER_ADDRESS_LINES
            || self.address.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(AppError::invalid(
                "address",
                format!(
                    "at most {MAX_SELLER_ADDRESS} characters on {MAX_SELLER_ADDRESS_LINES} lines, no other control characters"
                ),
            ));
        }
        if self.tax_id.chars().count() > MAX_TAX_ID
            || !self.tax_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/'))
        {
            return Err(AppError::invalid(
                "tax_id",
                format!("at most {MAX_TAX_ID} characters: letters, digits, space, '-', '.', '/'"),
            ));
        }
        Ok(())
    }

    fn party(&self) -> Party {
        Party {
            name: self.name.trim().to_owned(),
            address: self.address.clone(),
            tax_id: self.tax_id.clone(),
            account_id: String::new(),
        }
    }
}

impl Documents {
    /// The seller printed on new documents (the default until set).
    pub async fn seller(&self) -> AppResult<SellerDetails> {
        let mut tx = self.core.read().await?;
        issue::read_seller(&mut *tx).await
    }

    /// Sets the seller printed on documents issued from now on (operators
    /// only); documents already issued keep the seller they show.
    pub async fn set_seller(&self, caller: &Caller, seller: &SellerDetails) -> AppResult<SellerDetails> {
        caller.require_operator()?;
        seller.check()?;
        let stored = SellerDetails {
            name: seller.name.trim().to_owned(),
            address: seller.address.trim_end().to_owned(),
            tax_id: seller.tax_id.trim().to_owned(),
        };
        let value = serde_json::to_string(&stored).map_err(AppError::internal)?;
        let now = self.core.now();
        let mut tx = self.core.begin().await?;
        tx.set_setting(SELLER_SETTING, &value).await?;
        audit(&mut *tx, caller, "documents.seller_set", "documents", json!({"seller": stored}), now).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Documents the caller may see, newest first.
    pub async fn documents(&self, caller: &Caller, mut filter: DocumentFilter) -> AppResult<Vec<DocumentRecord>> {
        if let Caller::Customer(id) = caller {
            filter.account_id = Some(id.clone());
        }
        if !(1..=MAX_PAGE).contains(&filter.limit) {
            return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
        }
        let mut tx = self.core.read().await?;
        if let Some(after) = &filter.starting_after {
            // Text that cannot be a document id names no document.
            let cursor = match DocumentId::parse(after) {
                Ok(after) => tx.document(&after).await?.filter(|d| caller.may_see(&d.account_id)),
                Err(_) => None,
            };
            if cursor.is_none() {
                return Err(AppError::invalid("starting_after", "is not a document of this account"));
            }
        }
        Ok(tx.documents(&filter).await?)
    }

    /// One document.
    pub async fn document(&self, caller: &Caller, id: &DocumentId) -> AppResult<DocumentRecord> {
        let found = self.core.read().await?.document(id).await?;
        visible(caller, "document", id, found, |d| &d.account_id)
    }

    /// One document as a printable HTML page.
    pub async fn document_html(&self, caller: &Caller, id: &DocumentId) -> AppResult<(DocumentRecord, String)> {
        let doc = self.document(caller, id).await?;
        let page = html::render_html(&doc.parsed()?, &doc.sha256)?;
        Ok((doc, page))
    }

    /// One document as an A4 PDF. Rendering is CPU work, so it runs on a
    /// blocking thread.
    pub async fn document_pdf(&self, caller: &Caller, id: &DocumentId) -> AppResult<(DocumentRecord, Vec<u8>)> {
        let doc = self.document(caller, id).await?;
        let content = doc.parsed()?;
        let sha = doc.sha256.clone();
        let bytes = tokio::task::spawn_blocking(move || pdf::render_pdf(&content, &sha))
            .await
            .map_err(AppError::internal)??;
        Ok((doc, bytes))
    }
}
