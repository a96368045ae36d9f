//! Billing documents and the counters their numbers come from.

use async_trait::async_trait;
use billing_app::documents::{DocumentDraft, DocumentFilter, DocumentKind, DocumentRecord};
use billing_app::events::Event;
use billing_app::model::NewAuditEvent;
use billing_app::store::{DocumentsTx, StoreError, StoreResult};
use billing_domain::ids::{DocumentId, OrderId};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::Backend;
use crate::error::map_err;
use crate::rows::{RowExt, by_name, micros};
use crate::tx::SqlTx;
use crate::usage::Params;

fn document(row: &AnyRow) -> StoreResult<DocumentRecord> {
    let currency = row.currency("currency")?;
    let year = row.int("year")?;
    Ok(DocumentRecord {
        id: row.id("id")?,
        kind: by_name("kind", &row.text("kind")?, &DocumentKind::ALL, DocumentKind::as_str)?,
        number: row.text("number")?,
        year: i32::try_from(year).map_err(|_| StoreError::Corrupt(format!("year {year}")))?,
        seq: row.int("seq")?,
        account_id: row.id("account_id")?,
        source_id: row.text("source_id")?,
        total: row.money(currency, "total_minor")?,
        issued_at: row.instant("issued_at")?,
        content: row.text("content")?,
        sha256: row.text("sha256")?,
    })
}

impl SqlTx {
    /// Numbers and stores `draft` (see [`DocumentDraft`]) and fills its
    /// event in; returns the finished record. Called at commit, just before
    /// the audit events are chained.
    pub(crate) async fn number_document_row(&mut self, draft: &DocumentDraft) -> StoreResult<DocumentRecord> {
        let done = match self.backend {
            Backend::Postgres => self.number_document_in_one_statement(draft).await?,
            Backend::Sqlite => {
                // The write gate already lets one transaction in at a time.
                let seq = self.next_document_seq_row(draft.record.kind.series(), draft.record.year).await?;
                let done = draft.numbered(seq);
                self.insert_document_row(&done).await?;
                self.fill_event_row(&draft.event_id, draft, &done).await?;
                done
            }
        };
        Ok(done)
    }

    /// PostgreSQL: the counter, the document and its event in one round
    /// trip, the number and the content's SHA-256 computed by the server,
    /// so the counter row is locked for that round trip and the commit.
    async fn number_document_in_one_statement(&mut self, draft: &DocumentDraft) -> StoreResult<DocumentRecord> {
        let d = &draft.record;
        let row = sqlx::query(
            "WITH c AS (INSERT INTO document_counters (series, year, last_seq) VALUES ($1, $2, 1) \
             ON CONFLICT (series, year) DO UPDATE SET last_seq = document_counters.last_seq + 1 RETURNING last_seq), \
             n AS (SELECT last_seq AS seq, $1 || '-' || $2::text || '-' || CASE WHEN last_seq < 1000000 \
             THEN lpad(last_seq::text, 6, '0') ELSE last_seq::text END AS number FROM c), \
             b AS (SELECT seq, number, replace($3::text, $4::text, number) AS content FROM n), \
             d AS (INSERT INTO documents (id, kind, series, year, seq, number, account_id, source_id, currency, \
             total_minor, issued_at, content, sha256) SELECT $5, $6, $1, $2, seq, number, $7, $8, $9, $10, $11, \
             content, encode(sha256(convert_to(content, 'UTF8')), 'hex') FROM b RETURNING seq, number, sha256), \
             e AS (UPDATE events SET data = replace(replace(events.data, $4::text, d.number), $12::text, d.sha256) \
             FROM d WHERE events.id = $13 RETURNING events.id) \
             SELECT d.seq, d.number, d.sha256, (SELECT count(*) FROM e) AS events FROM d",
        )
        .bind(d.kind.series())
        .bind(i64::from(d.year))
        .bind(&d.content)
        .bind(&draft.number_token)
        .bind(d.id.as_str())
        .bind(d.kind.as_str())
        .bind(d.account_id.as_str())
        .bind(&d.source_id)
        .bind(d.total.currency().code())
        .bind(d.total.minor())
        .bind(micros(d.issued_at))
        .bind(&draft.sha_token)
        .bind(draft.event_id.as_str())
        .fetch_one(self.db().await?)
        .await
        .map_err(map_err)?;
        let done = draft.numbered(row.int("seq")?);
        // The server's number and digest must be the ones this code computes.
        let (number, sha256, events) = (row.text("number")?, row.text("sha256")?, row.int("events")?);
        if number != done.number || sha256 != done.sha256 || events != 1 {
            return Err(StoreError::Corrupt(format!(
                "document {} numbered {number} ({sha256}, {events} event {}) where {} ({}, 1 event) was due",
                d.id, draft.event_id, done.number, done.sha256
            )));
        }
        Ok(done)
    }

    /// PostgreSQL: numbers and stores `draft`, writes its `document.issued`
    /// event `event` (with its deliveries), chains `audit` and commits. The
    /// values go first, as one JSON parameter into the transaction's
    /// setting `sb.issue`; then one message calls `sb_issue_and_chain()`
    /// (migration 21) and commits, so the counter row and the audit chain's
    /// head are held from that call to the end of the commit with no round
    /// trip to the service in between. That message goes by the simple
    /// protocol, which takes no parameters, hence the setting; the
    /// function's statements are planned once per connection. A `BEGIN`
    /// after the `COMMIT` leaves an empty transaction for [`SqlTx`]'s own
    /// commit to end. Returns the finished record and the first audit
    /// event's position, once committed.
    pub(crate) async fn issue_chain_and_commit(
        &mut self,
        draft: &DocumentDraft,
        event: &Event,
        audit: &[(NewAuditEvent, DateTime<Utc>)],
    ) -> StoreResult<(DocumentRecord, i64)> {
        let d = &draft.record;
        let input = issue_input(draft, event, audit).to_string();
        sqlx::query("SELECT set_config('sb.issue', $1, true)")
            .bind(input)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        let conn = self.db().await?;
        // A statement text with no arguments goes out as a simple query.
        let rows = sqlx::Executor::fetch_all(conn, "SELECT * FROM sb_issue_and_chain(); COMMIT; BEGIN")
            .await
            .map_err(map_err)?;
        let row = rows.first().ok_or_else(|| StoreError::Corrupt(format!("document {} was not issued", d.id)))?;
        let done = draft.numbered(row.int("doc_seq")?);
        // The server's number and digest must be the ones this code
        // computes; the transaction has committed, so a difference can only
        // be reported.
        let (number, sha256) = (row.text("doc_number")?, row.text("doc_sha256")?);
        if number != done.number || sha256 != done.sha256 {
            tracing::error!(document = %d.id, %number, %sha256, due = %done.number, "document numbered unlike the service");
            return Err(StoreError::Corrupt(format!(
                "document {} numbered {number} ({sha256}) where {} ({}) was due",
                d.id, done.number, done.sha256
            )));
        }
        Ok((done, row.int("first_audit")?))
    }

    /// Puts `done`'s number and digest in place of `draft`'s tokens in the
    /// data of event `event_id`.
    pub(crate) async fn fill_event_row(
        &mut self,
        event_id: &str,
        draft: &DocumentDraft,
        done: &DocumentRecord,
    ) -> StoreResult<()> {
        let updated = sqlx::query("UPDATE events SET data = replace(replace(data, $1, $2), $3, $4) WHERE id = $5")
            .bind(&draft.number_token)
            .bind(&done.number)
            .bind(&draft.sha_token)
            .bind(&done.sha256)
            .bind(event_id)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Corrupt(format!("document {} has no event {event_id}", done.id)));
        }
        Ok(())
    }

    /// Takes the next number of a series for a calendar year (the first is
    /// 1). The upsert takes the counter row's lock (PostgreSQL) inside the
    /// write transaction (SQLite), so concurrent issuers queue on it and
    /// each sees the number the previous one committed.
    pub(crate) async fn next_document_seq_row(&mut self, series: &str, year: i32) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO document_counters (series, year, last_seq) VALUES ($1, $2, 1) \
             ON CONFLICT (series, year) DO UPDATE SET last_seq = document_counters.last_seq + 1 \
             RETURNING last_seq",
        )
        .bind(series)
        .bind(i64::from(year))
        .fetch_one(self.db().await?)
        .await
        .map_err(map_err)?;
        row.int("last_seq")
    }

    async fn insert_document_row(&mut self, d: &DocumentRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO documents (id, kind, series, year, seq, number, account_id, source_id, currency, \
             total_minor, issued_at, content, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(d.id.as_str())
        .bind(d.kind.as_str())
        .bind(d.kind.series())
        .bind(i64::from(d.year))
        .bind(d.seq)
        .bind(&d.number)
        .bind(d.account_id.as_str())
        .bind(&d.source_id)
        .bind(d.total.currency().code())
        .bind(d.total.minor())
        .bind(micros(d.issued_at))
        .bind(&d.content)
        .bind(&d.sha256)
        .execute(self.db().await?)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}

#[async_trait]
impl DocumentsTx for SqlTx {
    async fn invoice_numbers_with_setting(
        &mut self,
        setting: &str,
        order_ids: &[&OrderId],
    ) -> StoreResult<(Option<String>, Vec<(OrderId, String)>)> {
        let mut value = None;
        let mut found = Vec::new();
        if order_ids.is_empty() {
            value = self.setting_row(setting).await?;
        }
        for chunk in order_ids.chunks(crate::usage::ROWS_PER_STATEMENT) {
            // One row at least, with the setting, whether or not an invoice
            // is found.
            let mut params = Params::new(self.backend);
            let sql = format!(
                "SELECT (SELECT value FROM settings WHERE name = {}) AS setting, d.source_id, d.number \
                 FROM (SELECT 1 AS one) o \
                 LEFT JOIN documents d ON d.kind = 'invoice' AND d.source_id IN ({}) ORDER BY d.number",
                params.list(1),
                params.list(chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(setting);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            // Held writes never touch settings or documents: this read may
            // run before them.
            for row in &query.fetch_all(&mut *self.tx).await.map_err(map_err)? {
                value = row.opt_text("setting")?;
                if let Some(order) = row.opt_id("source_id")? {
                    found.push((order, row.text("number")?));
                }
            }
        }
        // Invoices of this transaction, still to be numbered, by token.
        found.extend(
            self.drafts
                .iter()
                .filter(|d| {
                    d.record.kind == DocumentKind::Invoice && order_ids.iter().any(|o| o.as_str() == d.record.source_id)
                })
                .map(|d| (OrderId::trusted(d.record.source_id.as_str()), d.number_token.clone())),
        );
        Ok((value, found))
    }

    async fn insert_document_at_commit(&mut self, draft: &DocumentDraft) -> StoreResult<()> {
        self.drafts.push(draft.clone());
        Ok(())
    }

    async fn document(&mut self, id: &DocumentId) -> StoreResult<Option<DocumentRecord>> {
        let row = sqlx::query("SELECT * FROM documents WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(document).transpose()
    }

    async fn documents(&mut self, f: &DocumentFilter) -> StoreResult<Vec<DocumentRecord>> {
        // Every condition is always present and switched off by a NULL
        // parameter, so the statement text never depends on the filter.
        let rows = sqlx::query(
            "SELECT * FROM documents WHERE ($1 IS NULL OR account_id = $1) AND ($2 IS NULL OR kind = $2) \
             AND ($3 IS NULL OR source_id = $3) \
             AND ($5 IS NULL OR (issued_at, id) < (SELECT issued_at, id FROM documents WHERE id = $5)) \
             ORDER BY issued_at DESC, id DESC LIMIT $4",
        )
        .bind(f.account_id.as_deref())
        .bind(f.kind.map(DocumentKind::as_str))
        .bind(f.source_id.as_deref())
        .bind(f.limit)
        .bind(f.starting_after.as_deref())
        .fetch_all(self.db().await?)
        .await
        .map_err(map_err)?;
        rows.iter().map(document).collect()
    }
}

/// The input of `sb_issue_and_chain` (see
/// [`SqlTx::issue_chain_and_commit`]).
fn issue_input(draft: &DocumentDraft, event: &Event, audit: &[(NewAuditEvent, DateTime<Utc>)]) -> serde_json::Value {
    let d = &draft.record;
    let audit: Vec<serde_json::Value> = audit
        .iter()
        .map(|(e, at)| {
            serde_json::json!({
                "at": micros(*at), "actor": e.actor, "action": e.action, "subject": e.subject, "detail": e.detail,
            })
        })
        .collect();
    serde_json::json!({
        "series": d.kind.series(),
        "year": i64::from(d.year),
        "content": d.content,
        "number_token": draft.number_token,
        "sha_token": draft.sha_token,
        "id": d.id.as_str(),
        "kind": d.kind.as_str(),
        "account_id": d.account_id.as_str(),
        "source_id": d.source_id,
        "currency": d.total.currency().code(),
        "total_minor": d.total.minor(),
        "issued_at": micros(d.issued_at),
        "event_id": event.id.as_str(),
        "event_type": event.event_type.as_str(),
        "event_account": event.account_id.as_str(),
        "event_resource": event.resource_id,
        "event_at": micros(event.occurred_at),
        "event_data": event.data.to_string(),
        "audit": audit,
    })
}
