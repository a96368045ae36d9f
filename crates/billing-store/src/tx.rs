//! [`SqlTx`]: one database transaction, and its commit. The application's
//! store traits, one per subject, are implemented in the sibling module of
//! that subject (`accounts.rs` implements `AccountsTx`, and so on).

use async_trait::async_trait;
use billing_app::documents::{DocumentDraft, DocumentRecord};
use billing_app::events::Event;
use billing_app::model::NewAuditEvent;
use billing_app::store::{Committed, StoreResult, StoreTx};
use chrono::{DateTime, Utc};
use sqlx::Any;

use crate::Backend;
use crate::error::map_err;

/// An open transaction on the store's database.
pub struct SqlTx {
    pub(crate) tx: sqlx::Transaction<'static, Any>,
    pub(crate) backend: Backend,
    /// The store's write gate, held until the transaction ends (SQLite).
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Audit events appended by this transaction, chained at commit.
    pub(crate) audit: Vec<(NewAuditEvent, DateTime<Utc>)>,
    /// Documents numbered at commit, before the audit events are chained.
    pub(crate) drafts: Vec<DocumentDraft>,
    /// Events emitted and not written yet (see `flush_events`).
    pub(crate) events: Vec<Event>,
    /// Woken once a write has committed (the SQLite checkpointer).
    checkpoints: Option<tokio::sync::mpsc::Sender<()>>,
    /// Run once the transaction has committed.
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
    /// Regions this transaction has read or written: a use case asks for
    /// its region several times (price, zone, capacity), and one read
    /// serves them all.
    pub(crate) regions: Vec<billing_domain::catalog::Region>,
    /// Writes held back until the transaction next needs the database
    /// (PostgreSQL; see `held.rs`).
    pub(crate) held: Vec<crate::held::Part>,
    /// Balance credits held back, one per account and currency.
    pub(crate) credits: Vec<(billing_domain::ids::AccountId, billing_domain::money::Money)>,
}

impl SqlTx {
    pub(crate) fn new(tx: sqlx::Transaction<'static, Any>, backend: Backend) -> SqlTx {
        SqlTx {
            tx,
            backend,
            _gate: None,
            audit: Vec::new(),
            drafts: Vec::new(),
            events: Vec::new(),
            checkpoints: None,
            after_commit: Vec::new(),
            regions: Vec::new(),
            held: Vec::new(),
            credits: Vec::new(),
        }
    }

    /// The same transaction, waking `checkpoints` once it commits.
    pub(crate) fn waking(mut self, checkpoints: Option<tokio::sync::mpsc::Sender<()>>) -> SqlTx {
        self.checkpoints = checkpoints;
        self
    }

    /// The same transaction, holding `gate` until it ends.
    pub(crate) fn holding(mut self, gate: Option<tokio::sync::OwnedMutexGuard<()>>) -> SqlTx {
        self._gate = gate;
        self
    }

    /// Runs a conditional state change, `sql` taking `to` as `$1`, `id` as
    /// `$2` and `from` as `$3`; true when the row was in `from` and moved.
    pub(crate) async fn transition(&mut self, sql: &str, id: &str, from: &str, to: &str) -> StoreResult<bool> {
        let done = sqlx::query(sql).bind(to).bind(id).bind(from).execute(self.db().await?).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    /// Which database the transaction runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The underlying connection, for raw SQL in benchmarks and checks,
    /// once the writes held back so far are written.
    pub async fn conn(&mut self) -> StoreResult<&mut sqlx::AnyConnection> {
        self.db().await
    }

    /// Writes the transaction's pending events, numbers its documents,
    /// chains its audit events, then commits, typed as this store's own;
    /// answers the chained events' positions and actors.
    pub async fn commit_sql(mut self) -> StoreResult<Committed> {
        if let Some((draft, event)) = self.one_document_to_chain() {
            // Everything else goes first, so that the counter row and the
            // audit chain's head are held for one call and the commit.
            self.flush_events().await?;
            let mut events = std::mem::take(&mut self.audit);
            let (done, first) = self.issue_chain_and_commit(&draft, &event, &events).await?;
            for (e, _) in &mut events {
                e.detail = draft.fill(&e.detail, &done);
            }
            // What is left open is the empty transaction after the commit.
            return self.finish(Some(first), events, Committing::Empty).await;
        }
        // A document's event must be written before its number fills it in.
        self.flush_events().await?;
        let mut events = std::mem::take(&mut self.audit);
        let mut numbered: Vec<(DocumentDraft, DocumentRecord)> = Vec::new();
        for mut draft in std::mem::take(&mut self.drafts) {
            // A document may name one numbered before it in this
            // transaction (a credit note its invoice).
            for (earlier, done) in &numbered {
                if draft.record.content.contains(&earlier.number_token) {
                    draft.record.content = earlier.fill(&draft.record.content, done);
                    self.fill_event_row(&draft.event_id, earlier, done).await?;
                }
            }
            let done = self.number_document_row(&draft).await?;
            for (event, _) in &mut events {
                event.detail = draft.fill(&event.detail, &done);
            }
            numbered.push((draft, done));
        }
        let first = match events.as_slice() {
            [] => None,
            _ => Some(self.chain_audit_rows(&events).await?),
        };
        self.finish(first, events, Committing::Work).await
    }

    /// On PostgreSQL, a transaction issuing one document, with its
    /// `document.issued` event not written yet and audit events to chain,
    /// numbers, stores, chains and commits in one message
    /// ([`SqlTx::issue_chain_and_commit`]): the draft and its event, taken
    /// out of the transaction's pending ones.
    fn one_document_to_chain(&mut self) -> Option<(DocumentDraft, Event)> {
        if self.backend != Backend::Postgres || self.drafts.len() != 1 || self.audit.is_empty() {
            return None;
        }
        let at = self.events.iter().position(|e| self.drafts.first().is_some_and(|d| d.event_id == e.id))?;
        let draft = self.drafts.pop()?;
        Some((draft, self.events.remove(at)))
    }

    /// Commits, once the audit events are chained from `first`.
    async fn finish(
        mut self,
        first: Option<i64>,
        events: Vec<(NewAuditEvent, DateTime<Utc>)>,
        committing: Committing,
    ) -> StoreResult<Committed> {
        match (self.tx.commit().await, committing) {
            (Ok(()), _) => {}
            (Err(e), Committing::Work) => return Err(map_err(e)),
            // The work has committed: failing to end the empty transaction
            // after it (a connection lost just then, which sqlx closes)
            // must not report the work as failed.
            (Err(e), Committing::Empty) => tracing::warn!(error = %e, "ending the empty transaction after a commit"),
        }
        if let Some(checkpoints) = &self.checkpoints {
            // Full means a checkpoint is already due.
            let _ = checkpoints.try_send(());
        }
        let audit = match first {
            Some(first) => (first..).zip(events).map(|(seq, (event, _))| (seq, event.actor)).collect(),
            None => Vec::new(),
        };
        for hook in std::mem::take(&mut self.after_commit) {
            hook();
        }
        Ok(Committed { audit })
    }
}

/// What [`SqlTx::finish`]'s commit ends.
#[derive(Clone, Copy)]
enum Committing {
    /// The transaction's work.
    Work,
    /// The empty transaction left after the work committed in one message
    /// with its last call.
    Empty,
}

#[async_trait]
impl StoreTx for SqlTx {
    async fn commit(self: Box<Self>) -> StoreResult<Committed> {
        self.commit_sql().await
    }
    fn after_commit(&mut self, hook: Box<dyn FnOnce() + Send>) {
        self.after_commit.push(hook);
    }
}
