//! Ledger movements and the hash-chained audit trail.

use async_trait::async_trait;
use billing_app::audit::chain_hash;
use billing_app::ledger::{LedgerEntry, Movement};
use billing_app::model::{AuditEvent, NewAuditEvent};
use billing_app::store::{LedgerTx, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use crate::error::map_err;
use crate::held::Part;
use crate::rows::{RowExt, micros};
use crate::tx::SqlTx;
use crate::usage::{Params, statements};

impl SqlTx {
    /// Chains `events` onto the audit trail, in order. Bumping the single
    /// head row serializes chaining across connections and processes; it is
    /// the transaction's last write, so the row stays locked only for the
    /// commit itself. Returns the first event's sequence number; the others
    /// follow it one by one.
    pub(crate) async fn chain_audit_rows(&mut self, events: &[(NewAuditEvent, DateTime<Utc>)]) -> StoreResult<i64> {
        if self.backend == crate::Backend::Postgres {
            match events {
                [(event, at)] => return self.chain_one_audit_row(event, *at).await,
                [_, _, ..] if events.len() <= CHAINED_IN_ONE_STATEMENT => {
                    return self.chain_audit_rows_in_one_statement(events).await;
                }
                _ => {}
            }
        }
        let n = i64::try_from(events.len()).map_err(|_| StoreError::Database("too many audit events".into()))?;
        let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
            .bind(n)
            .fetch_one(self.db().await?)
            .await
            .map_err(map_err)?;
        let mut seq = head.int("seq")? - n;
        let first = seq + 1;
        let mut prev_hash = head.text("hash")?;
        let mut chained = Vec::with_capacity(events.len());
        for (e, at) in events {
            seq += 1;
            let hash = chain_hash(&prev_hash, seq, *at, e);
            chained.push((seq, *at, e, std::mem::replace(&mut prev_hash, hash.clone()), hash));
        }
        // The head now points at the last event chained.
        let (last_prev, last_hash) = chained.last().map_or(("", ""), |c| (c.3.as_str(), c.4.as_str()));
        sqlx::query("UPDATE audit_head SET prev_hash = $1, hash = $2 WHERE id = 1")
            .bind(last_prev)
            .bind(last_hash)
            .execute(self.db().await?)
            .await
            .map_err(map_err)?;
        for piece in statements(&chained) {
            let sql = format!(
                "INSERT INTO audit_events (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES {}",
                Params::new(self.backend).rows(piece.len(), 8)
            );
            let mut query = sqlx::query(&sql);
            for (seq, at, e, prev, hash) in piece {
                query = query
                    .bind(*seq)
                    .bind(micros(*at))
                    .bind(&e.actor)
                    .bind(&e.action)
                    .bind(&e.subject)
                    .bind(&e.detail)
                    .bind(prev)
                    .bind(hash);
            }
            query.execute(self.db().await?).await.map_err(map_err)?;
        }
        Ok(first)
    }

    /// Chains one event on PostgreSQL in a single statement: the head row
    /// computes the event's hash exactly as [`chain_hash`] does (each field's
    /// UTF-8 length as 8 big-endian bytes, then the field), so the row stays
    /// locked for one round trip and the commit.
    async fn chain_one_audit_row(&mut self, e: &NewAuditEvent, at: DateTime<Utc>) -> StoreResult<i64> {
        let fields =
            hashed_fields(["hash", "(seq + 1)::text", "$1::text", "$2::text", "$3::text", "$4::text", "$5::text"]);
        let sql = format!(
            "WITH head AS (UPDATE audit_head SET seq = seq + 1, prev_hash = hash, hash = encode(sha256({fields}), 'hex') \
             WHERE id = 1 RETURNING seq, prev_hash, hash) \
             INSERT INTO audit_events (seq, at, actor, action, subject, detail, prev_hash, hash) \
             SELECT seq, $6, $2, $3, $4, $5, prev_hash, hash FROM head RETURNING seq"
        );
        let micros_at = micros(at);
        sqlx::query(&sql)
            .bind(micros_at.to_string())
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.subject)
            .bind(&e.detail)
            .bind(micros_at)
            .fetch_one(self.db().await?)
            .await
            .map_err(map_err)?
            .int("seq")
    }

    /// Chains two to [`CHAINED_IN_ONE_STATEMENT`] events on PostgreSQL in a
    /// single statement: the head row is locked, each event's hash is
    /// computed from the one before it as [`chain_hash`] does, the events
    /// are inserted and the head moved to the last of them, where the same
    /// took three round trips.
    async fn chain_audit_rows_in_one_statement(
        &mut self,
        events: &[(NewAuditEvent, DateTime<Utc>)],
    ) -> StoreResult<i64> {
        let sql = chain_statement(events.len());
        let mut query = sqlx::query(&sql);
        for (e, at) in events {
            let micros_at = micros(*at);
            query = query
                .bind(micros_at.to_string())
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.subject)
                .bind(&e.detail)
                .bind(micros_at);
        }
        query.fetch_one(self.db().await?).await.map_err(map_err)?.int("seq")
    }
}

/// Most audit events a transaction chains in one statement on PostgreSQL;
/// more take the general path. Each count is a statement shape of its own.
const CHAINED_IN_ONE_STATEMENT: usize = 8;

/// The SQL that hashes `fields` (SQL expressions of text) as [`chain_hash`]
/// does: each field's UTF-8 length as 8 big-endian bytes, then the field.
fn hashed_fields<const N: usize>(fields: [&str; N]) -> String {
    const FIELD: &str = "int8send(octet_length(convert_to(X, 'UTF8'))::int8) || convert_to(X, 'UTF8')";
    fields.map(|x| FIELD.replace('X', x)).join(" || ")
}

/// The statement chaining `n` events (see
/// [`SqlTx::chain_audit_rows_in_one_statement`]); event `i` (from 0) binds
/// `$6i+1` to `$6i+6`: its instant as text, actor, action, subject, detail
/// and its instant as a number. `e1` to `en` are the chained events, each
/// hashed over the hash of the one before it (the head's for the first).
fn chain_statement(n: usize) -> String {
    let mut sql = String::from("WITH h0 AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE)");
    let mut inserts = Vec::with_capacity(n);
    for i in 1..=n {
        let prev = if i == 1 { "h0".to_owned() } else { format!("e{}", i - 1) };
        let p = |k: usize| format!("${}", 6 * (i - 1) + k);
        let fields = hashed_fields([
            &format!("{prev}.hash"),
            &format!("({prev}.seq + 1)::text"),
            &format!("{}::text", p(1)),
            &format!("{}::text", p(2)),
            &format!("{}::text", p(3)),
            &format!("{}::text", p(4)),
            &format!("{}::text", p(5)),
        ]);
        sql.push_str(&format!(
            ", e{i} AS (SELECT {prev}.seq + 1 AS seq, {prev}.hash AS prev_hash, encode(sha256({fields}), 'hex') AS hash FROM {prev})"
        ));
        inserts.push(format!(
            "SELECT seq, {}, {}, {}, {}, {}, prev_hash, hash FROM e{i}",
            p(6),
            p(2),
            p(3),
            p(4),
            p(5)
        ));
    }
    sql.push_str(&format!(
        ", ins AS (INSERT INTO audit_events (seq, at, actor, action, subject, detail, prev_hash, hash) {}), \
         upd AS (UPDATE audit_head SET seq = e{n}.seq, prev_hash = e{n}.prev_hash, hash = e{n}.hash FROM e{n} \
         WHERE audit_head.id = 1) SELECT seq FROM e1",
        inserts.join(" UNION ALL ")
    ));
    sql
}

/// An audit event as stored.
pub(crate) fn audit_event(row: &AnyRow) -> StoreResult<AuditEvent> {
    Ok(AuditEvent {
        seq: row.int("seq")?,
        at: row.instant("at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        subject: row.text("subject")?,
        detail: row.text("detail")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}

#[async_trait]
impl LedgerTx for SqlTx {
    async fn insert_movement(&mut self, m: &Movement) -> StoreResult<()> {
        m.check_balanced().map_err(|e| StoreError::Database(format!("refusing an unbalanced movement: {e}")))?;
        let mut parts = vec![Part::new(
            "INSERT INTO ledger_movements (id, kind, reference, at) VALUES ($1, $2, $3, $4)",
            vec![m.id.as_str().into(), m.kind.as_str().into(), m.reference.as_str().into(), micros(m.at).into()],
        )];
        let lines: Vec<(i64, &LedgerEntry)> = m.entries.iter().enumerate().map(|(i, e)| (i as i64, e)).collect();
        for piece in statements(&lines) {
            let sql = format!(
                "INSERT INTO ledger_entries (movement_id, line, ledger_account, unit, amount) VALUES {}",
                Params::new(self.backend).rows(piece.len(), 5)
            );
            let mut binds = Vec::with_capacity(piece.len() * 5);
            for (line, e) in piece {
                binds.extend([
                    m.id.as_str().into(),
                    (*line).into(),
                    e.ledger_account.as_str().into(),
                    e.unit.as_str().into(),
                    e.amount.into(),
                ]);
            }
            parts.push(Part::new(sql, binds));
        }
        self.write_or_hold(parts).await
    }

    async fn ledger_entries(&mut self) -> StoreResult<Vec<LedgerEntry>> {
        let rows = sqlx::query("SELECT * FROM ledger_entries ORDER BY movement_id, line")
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| {
                Ok(LedgerEntry {
                    movement_id: row.text("movement_id")?,
                    ledger_account: row.text("ledger_account")?,
                    unit: row.text("unit")?,
                    amount: row.int("amount")?,
                })
            })
            .collect()
    }

    async fn append_audit(&mut self, event: &NewAuditEvent, at: DateTime<Utc>) -> StoreResult<()> {
        self.audit.push((event.clone(), at));
        Ok(())
    }

    async fn audit_head(&mut self) -> StoreResult<(i64, String)> {
        let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(self.db().await?)
            .await
            .map_err(map_err)?;
        Ok((row.int("seq")?, row.text("hash")?))
    }

    async fn audit_events(&mut self, after_seq: i64, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        let rows = sqlx::query("SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(limit)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(audit_event).collect()
    }

    async fn audit_actors(&mut self, after_seq: i64, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT seq, actor FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after_seq)
            .bind(limit)
            .fetch_all(self.db().await?)
            .await
            .map_err(map_err)?;
        rows.iter().map(|row| Ok((row.int("seq")?, row.text("actor")?))).collect()
    }
}
