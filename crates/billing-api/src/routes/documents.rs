//! Billing documents: invoices and credit notes, as JSON, HTML and PDF, and
//! the seller details operators set for new documents.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use billing_app::documents::{DocumentFilter, DocumentKind, DocumentRecord, SellerDetails};
use billing_domain::ids::DocumentId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::dto::{PageParams, instant};
use crate::extract::{Authed, Body, Path, Query, opt_account_id};
use crate::problem::{ApiError, ApiResult, Problem};

/// An issued invoice or credit note.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentDto {
    /// Id.
    pub id: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// E.g. `INV-2026-000001` or `CN-2026-000001`: per series and calendar
    /// year in the billing zone, with no gaps.
    pub number: String,
    /// The buyer's account.
    pub account_id: String,
    /// The order (invoice) or unsubscription (credit note) documented.
    pub source_id: String,
    /// Cash due or cash given back.
    pub total: String,
    /// Currency.
    pub currency: String,
    /// When it was issued.
    pub issued_at: String,
    /// Lowercase hex SHA-256 of `content`'s canonical JSON as stored.
    pub sha256: String,
    /// Everything the document shows, as issued.
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
}

impl DocumentDto {
    /// The wire form of a stored document.
    pub fn from_record(d: &DocumentRecord) -> ApiResult<DocumentDto> {
        let content = serde_json::from_str(&d.content).map_err(billing_app::AppError::internal)?;
        Ok(DocumentDto {
            id: d.id.to_string(),
            kind: d.kind.as_str().to_owned(),
            number: d.number.clone(),
            account_id: d.account_id.to_string(),
            source_id: d.source_id.clone(),
            total: d.total.to_string(),
            currency: d.total.currency().code().to_owned(),
            issued_at: instant(d.issued_at),
            sha256: d.sha256.clone(),
            content,
        })
    }
}

/// Filters of the document list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// `invoice` or `credit_note`.
    #[param(nullable = false)]
    pub kind: Option<String>,
    /// Only this account's (operators; customers always see their own).
    #[param(nullable = false)]
    pub account_id: Option<String>,
    /// Only the documents of this order or unsubscription.
    #[param(nullable = false)]
    pub source_id: Option<String>,
    /// At most this many (1 to 100).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The next page: documents listed after this one (the last document of
    /// the previous page).
    #[param(nullable = false)]
    pub starting_after: Option<String>,
}

/// Invoices and credit notes, newest first.
#[utoipa::path(get, path = "/api/v1/documents", tag = "documents",
    params(DocumentQuery),
    responses(
        (status = 200, description = "The documents", body = [DocumentDto]),
        (status = 400, description = "Bad filter, or `starting_after` is not a document of this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn list_documents(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Query(query): Query<DocumentQuery>,
) -> ApiResult<Json<Vec<DocumentDto>>> {
    let kind = match query.kind.as_deref() {
        None => None,
        Some(k) => Some(
            DocumentKind::ALL
                .into_iter()
                .find(|v| v.as_str() == k)
                .ok_or_else(|| ApiError::invalid("kind", "must be invoice or credit_note"))?,
        ),
    };
    let limit = PageParams { limit: query.limit }.limit()?;
    let filter = DocumentFilter {
        account_id: opt_account_id("account_id", query.account_id.as_deref())?,
        kind,
        source_id: query.source_id,
        starting_after: query.starting_after,
        limit,
    };
    let docs = state.billing.documents().documents(&caller, filter).await.map_err(crate::routes::cursor_error)?;
    Ok(Json(docs.iter().map(DocumentDto::from_record).collect::<ApiResult<Vec<_>>>()?))
}

/// One document with its content and digest.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentDto),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such document in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_document(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<DocumentId>,
) -> ApiResult<Json<DocumentDto>> {
    Ok(Json(DocumentDto::from_record(&state.billing.documents().document(&caller, &id).await?)?))
}

/// An A4 PDF.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(pub Vec<u8>);

/// The document as an A4 PDF with its font embedded.
#[utoipa::path(get, path = "/api/v1/documents/{id}/pdf", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The PDF", body = PdfFile, content_type = "application/pdf",
            headers(("Content-Disposition" = String, description = "`inline; filename=\"<number>.pdf\"`"))),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such document in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_document_pdf(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<DocumentId>,
) -> ApiResult<Response> {
    let (doc, bytes) = state.billing.documents().document_pdf(&caller, &id).await?;
    // Numbers are letters, digits and '-' only.
    let disposition = format!("inline; filename=\"{}.pdf\"", doc.number);
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

/// The document as a printable HTML page.
#[utoipa::path(get, path = "/api/v1/documents/{id}/html", tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html"),
        (status = 400, description = "The id in the path is not an id", body = Problem),
        (status = 404, description = "No such document in this account", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn get_document_html(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Path(id): Path<DocumentId>,
) -> ApiResult<Response> {
    let (_, page) = state.billing.documents().document_html(&caller, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

/// The seller printed on documents.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerDto {
    /// Legal name, 1 to 120 characters.
    pub name: String,
    /// Postal address, at most 300 characters on 5 lines.
    #[serde(default)]
    pub address: String,
    /// Tax registration number, at most 40 characters.
    #[serde(default)]
    pub tax_id: String,
}

impl From<SellerDetails> for SellerDto {
    fn from(s: SellerDetails) -> Self {
        SellerDto { name: s.name, address: s.address, tax_id: s.tax_id }
    }
}

/// The seller printed on documents issued from now on.
#[utoipa::path(get, path = "/api/v1/documents/seller", tag = "documents",
    responses((status = 200, description = "The seller", body = SellerDto)),
    security(("api_key" = [])))]
pub async fn get_seller(State(state): State<ApiState>, _authed: Authed) -> ApiResult<Json<SellerDto>> {
    Ok(Json(state.billing.documents().seller().await?.into()))
}

/// Set the seller printed on documents issued from now on (operators
/// only); issued documents keep theirs.
#[utoipa::path(put, path = "/api/v1/documents/seller", tag = "documents",
    request_body = SellerDto,
    responses(
        (status = 200, description = "The seller as stored", body = SellerDto),
        (status = 400, description = "Malformed request", body = Problem),
        (status = 422, description = "A field is out of bounds", body = Problem),
        (status = 403, description = "Not an operator key", body = Problem),
    ),
    security(("api_key" = [])))]
pub async fn put_seller(
    State(state): State<ApiState>,
    authed: Authed,
    Body(body): Body<SellerDto>,
) -> ApiResult<Json<SellerDto>> {
    let caller = authed.operator()?;
    let seller = SellerDetails { name: body.name, address: body.address, tax_id: body.tax_id };
    Ok(Json(state.billing.documents().set_seller(caller, &seller).await?.into()))
}
