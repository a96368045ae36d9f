//! Invoices and credit notes: a list (operators see every account's), one
//! document as its printable page, its PDF, and the way from an order or a
//! refund set to its document.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use billing_app::AppResult;
use billing_app::documents::html::{Linked, escape, render_html_linked};
use billing_app::documents::labels::{Label, Labels};
use billing_app::documents::{DocumentFilter, DocumentKind, DocumentRecord};
use billing_domain::ids::DocumentId;

use crate::auth::Session;
use crate::fmt;
use crate::forms::FormData;
use crate::i18n::Locale;
use crate::page::{Layout, PageError, PageResult, html, parse_id, see_other};
use crate::state::ConsoleState;

/// Most documents listed on one page.
pub const PAGE_SIZE: i64 = 100;

/// One document, as a row.
pub struct DocumentRow {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub issued: String,
    pub total: String,
    pub account_id: String,
    pub source_id: String,
}

fn row(l: crate::i18n::Locale, d: &DocumentRecord, zone: billing_domain::calendar::BillingZone) -> DocumentRow {
    DocumentRow {
        id: d.id.to_string(),
        number: d.number.clone(),
        kind: l.t(match d.kind {
            DocumentKind::Invoice => "documents-kind-invoice",
            DocumentKind::CreditNote => "documents-kind-credit-note",
        }),
        issued: fmt::date_time(l, zone, d.issued_at),
        total: fmt::money(l, d.total),
        account_id: d.account_id.to_string(),
        source_id: d.source_id.clone(),
    }
}

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    layout: Layout,
    kind: &'static str,
    rows: Vec<DocumentRow>,
    operator: bool,
    older: Option<String>,
}

/// `GET /console/documents?kind=&after=`.
pub async fn list(State(state): State<ConsoleState>, session: Session, RawQuery(query): RawQuery) -> PageResult {
    let query = FormData::query(query.as_deref());
    let kind = DocumentKind::ALL.into_iter().find(|k| k.as_str() == query.text("kind"));
    let after = Some(query.text("after")).filter(|a| !a.is_empty()).map(str::to_owned);
    let billing = &state.billing;
    let load = async {
        let filter = DocumentFilter { kind, starting_after: after, limit: PAGE_SIZE, ..DocumentFilter::default() };
        let docs = billing.documents().documents(&session.caller, filter).await?;
        let zone = session.zone(billing).await?;
        AppResult::Ok(docs.iter().map(|d| row(session.locale, d, zone)).collect::<Vec<_>>())
    };
    let rows = load.await.map_err(|e| session.fail(e))?;
    let kind = kind.map_or("", DocumentKind::as_str);
    let older = rows
        .last()
        .filter(|_| rows.len() >= PAGE_SIZE as usize)
        .map(|last| format!("/console/documents?kind={kind}&after={}", last.id));
    let layout = session.layout(&session.locale.t("nav-documents"), "/console/documents");
    Ok(html(&DocumentsPage { layout, kind, rows, operator: session.is_operator(), older }))
}

/// The words around a printed document in the reader's language: the
/// `document-<label>` messages. The document's content stays as issued.
pub struct DocumentWords(pub Locale);

impl Labels for DocumentWords {
    fn words(&self, label: Label) -> String {
        self.0.t(&format!("document-{}", label.key()))
    }
}

/// `GET /console/documents/{id}`: the printable page, its labels in the
/// reader's language around the content as issued.
pub async fn show(State(state): State<ConsoleState>, session: Session, Path(id): Path<String>) -> PageResult {
    let id: DocumentId = parse_id(&id).map_err(|e| session.fail(e))?;
    let doc = state.billing.documents().document(&session.caller, &id).await.map_err(|e| session.fail(e))?;
    let content = doc.parsed().map_err(|e| session.fail(e))?;
    let l = session.locale;
    let links = format!(
        "<a href=\"/console/documents\">{all}</a><a href=\"/console/documents/{id}/pdf\">{pdf}</a>",
        all = escape(&l.t("documents-all-link")),
        pdf = escape(&l.t("documents-download-pdf")),
        id = escape(&doc.id)
    );
    let linked = Linked {
        labels: &DocumentWords(l),
        lang: l.html_lang(),
        stylesheet_href: "/console/static/document.css",
        links: &links,
    };
    let page = render_html_linked(&content, &doc.sha256, &linked).map_err(|e| session.fail(e))?;
    Ok(Html(page).into_response())
}

/// `GET /console/documents/{id}/pdf`.
pub async fn pdf(State(state): State<ConsoleState>, session: Session, Path(id): Path<String>) -> PageResult {
    let id: DocumentId = parse_id(&id).map_err(|e| session.fail(e))?;
    let (doc, bytes) =
        state.billing.documents().document_pdf(&session.caller, &id).await.map_err(|e| session.fail(e))?;
    let disposition = format!("attachment; filename=\"{}.pdf\"", doc.number);
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

/// `GET /console/documents/for/{source}`: the document of an order (its
/// invoice) or of a refund set (its credit note).
pub async fn of_source(State(state): State<ConsoleState>, session: Session, Path(source): Path<String>) -> PageResult {
    let filter = DocumentFilter { source_id: Some(source), limit: 1, ..DocumentFilter::default() };
    let found = state.billing.documents().documents(&session.caller, filter).await.map_err(|e| session.fail(e))?;
    match found.first() {
        Some(doc) => Ok(see_other(&format!("/console/documents/{}", doc.id))),
        None => Err(PageError::new(
            axum::http::StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No document was issued for this: an order gets its invoice when it is paid.",
        )
        .in_layout(session.layout(&session.locale.t("nav-documents"), "/console/documents"))),
    }
}

/// The stylesheet of the printable page.
pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        billing_app::documents::html::STYLESHEET,
    )
        .into_response()
}
