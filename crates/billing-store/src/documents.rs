//! Billing documents and the counters their numbers come from.

use billing_app::documents::{DocumentFilter, DocumentKind, DocumentRecord};
use billing_app::store::{StoreError, StoreResult};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::rows::{RowExt, by_name, micros};
use crate::tx::SqlTx;
use crate::usage::Params;

fn document(row: &AnyRow) -> StoreResult<DocumentRecord> {
    let currency = row.currency("currency")?;
    let year = row.int("year")?;
    Ok(DocumentRecord {
        id: row.text("id")?,
        kind: by_name("kind", &row.text("kind")?, &DocumentKind::ALL, DocumentKind::as_str)?,
        number: row.text("number")?,
        year: i32::try_from(year).map_err(|_| StoreError::Corrupt(format!("year {year}")))?,
        seq: row.int("seq")?,
        account_id: row.text("account_id")?,
        source_id: row.text("source_id")?,
        total: row.money(currency, "total_minor")?,
        issued_at: row.instant("issued_at")?,
        content: row.text("content")?,
        sha256: row.text("sha256")?,
    })
}

impl SqlTx {
    pub(crate) async fn next_document_seq_row(&mut self, series: &str, year: i32) -> StoreResult<i64> {
        // The upsert takes the counter row's lock (PostgreSQL) inside the
        // write transaction (SQLite), so concurrent issuers queue on it and
        // each sees the number the previous one committed.
        let row = sqlx::query(
            "INSERT INTO document_counters (series, year, last_seq) VALUES ($1, $2, 1) \
             ON CONFLICT (series, year) DO UPDATE SET last_seq = document_counters.last_seq + 1 \
             RETURNING last_seq",
        )
        .bind(series)
        .bind(i64::from(year))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(map_err)?;
        row.int("last_seq")
    }

    pub(crate) async fn insert_document_row(&mut self, d: &DocumentRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO documents (id, kind, series, year, seq, number, account_id, source_id, currency, \
             total_minor, issued_at, content, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&d.id)
        .bind(d.kind.as_str())
        .bind(d.kind.series())
        .bind(i64::from(d.year))
        .bind(d.seq)
        .bind(&d.number)
        .bind(&d.account_id)
        .bind(&d.source_id)
        .bind(d.total.currency().code())
        .bind(d.total.minor())
        .bind(micros(d.issued_at))
        .bind(&d.content)
        .bind(&d.sha256)
        .execute(&mut *self.tx)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub(crate) async fn document_row(&mut self, id: &str) -> StoreResult<Option<DocumentRecord>> {
        let row = sqlx::query("SELECT * FROM documents WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(map_err)?;
        row.as_ref().map(document).transpose()
    }

    pub(crate) async fn document_rows(&mut self, f: &DocumentFilter) -> StoreResult<Vec<DocumentRecord>> {
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
        .fetch_all(&mut *self.tx)
        .await
        .map_err(map_err)?;
        rows.iter().map(document).collect()
    }

    pub(crate) async fn invoice_number_rows(&mut self, order_ids: &[&str]) -> StoreResult<Vec<(String, String)>> {
        let mut found = Vec::new();
        for chunk in order_ids.chunks(crate::usage::ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT source_id, number FROM documents WHERE kind = 'invoice' AND source_id IN ({}) ORDER BY number",
                Params::new(self.backend).list(chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            let rows = query.fetch_all(&mut *self.tx).await.map_err(map_err)?;
            for row in &rows {
                found.push((row.text("source_id")?, row.text("number")?));
            }
        }
        Ok(found)
    }
}
