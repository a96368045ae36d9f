//! Quote facts kept between quotes. A customer reopening the unsubscription
//! page, or a client polling quotes, asks for the same facts again and again;
//! they change only when somebody writes. Each entry remembers the audit
//! chain's position its read saw, and is used only while no write known to
//! the [`ChangeLog`](crate::changes::ChangeLog) came after it: at once for
//! this process's own writes, within the poll interval for other processes'.
//! A stale entry costs nothing worse than a fresh read: confirmation reads
//! the facts again in its own transaction and refuses a quote whose facts
//! changed.
//!
//! Instances not in memory are read in batches: a request that misses joins
//! the batch being gathered, and one task reads each batch in one
//! transaction with a fixed number of statements (plus one per account, and
//! one per quota for its workspace), so a burst of misses costs a few round
//! trips rather than several per request. A batch begins its read after its
//! requests arrived, so it sees every write they could have seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use billing_domain::ids::InstanceId;
use chrono::{DateTime, Utc};

use tokio::sync::oneshot;

use super::facts::{FactsReader, QuoteBasis, QuoteFacts, load_facts, status_of};
use super::quoting::deletion_preview;
use crate::core::{Caller, visible};
use crate::error::AppResult;
use crate::model::{OrderRecord, Tombstone};
use crate::unsubscription::Unsubscriptions;

/// Most instances whose facts are kept; past this the memory starts afresh.
pub const MAX_CACHED_INSTANCES: usize = 150_000;

/// Most instances one batched read asks for.
const MAX_BATCH: usize = 256;

/// The facts of one instance as one read saw them.
#[derive(Debug)]
pub(crate) struct CachedFacts {
    /// The audit chain's position when they were read.
    snapshot: i64,
    /// What the quotes are computed from.
    pub(crate) basis: QuoteBasis,
    /// Their digest, computed once.
    pub(crate) digest: String,
    /// For a quota: what deleting its workspace would remove, as of the read
    /// (boxed: most instances are plans, and entries are many).
    pub(crate) deletes: Option<Box<Tombstone>>,
}

impl CachedFacts {
    /// Whether these facts may answer `caller` at `now`: theirs to see, and
    /// of the same calendar year and policy version.
    fn serves(&self, caller: &Caller, now: DateTime<Utc>) -> bool {
        caller.may_see(&self.basis.account_id) && self.basis.holds.contains(&now)
    }
}

/// Cached facts by instance id, and the misses waiting to be read.
#[derive(Debug, Default)]
pub(crate) struct FactsCache {
    entries: Mutex<HashMap<InstanceId, Arc<CachedFacts>>>,
    pending: Mutex<Pending>,
}

/// Who waits for a batched read of an instance: the answer is its facts, or
/// nothing when the batch could not read them (the waiter then reads alone,
/// which also tells a missing instance from a failure).
type Waiter = oneshot::Sender<Option<Arc<CachedFacts>>>;

/// Misses waiting for the next batch.
#[derive(Debug, Default)]
struct Pending {
    waiting: HashMap<InstanceId, Vec<Waiter>>,
    /// Whether a task is reading batches.
    loading: bool,
}

/// Ends a batch-reading task however it ends: if it fails midway, its
/// waiters are let go to read alone, and the next miss starts a new task.
struct Loading<'a> {
    cache: &'a FactsCache,
    done: bool,
}

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut pending = self.cache.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.waiting.clear();
            pending.loading = false;
        }
    }
}

impl FactsCache {
    fn get(&self, instance_id: &InstanceId) -> Option<Arc<CachedFacts>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).get(instance_id).cloned()
    }

    /// Keeps `facts` as read at `snapshot`, with their workspace preview.
    fn keep(&self, snapshot: i64, facts: QuoteFacts, deletes: Option<Tombstone>) -> Arc<CachedFacts> {
        let basis = facts.into_basis();
        let entry = Arc::new(CachedFacts { snapshot, digest: basis.digest(), basis, deletes: deletes.map(Box::new) });
        self.put(Arc::clone(&entry));
        entry
    }

    fn put(&self, entry: Arc<CachedFacts>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_CACHED_INSTANCES {
            entries.clear();
        }
        entries.insert(entry.basis.instance_id.clone(), entry);
    }
}

impl Unsubscriptions {
    /// The facts of an instance the caller may see, as of `now`: from memory
    /// when nothing has been written to its account since they were read,
    /// else read again.
    pub(crate) async fn quote_facts(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
        now: DateTime<Utc>,
    ) -> AppResult<Arc<CachedFacts>> {
        self.core.catch_up().await?;
        if let Some(entry) = self.facts_cache.get(instance_id)
            && entry.serves(caller, now)
            && self.core.changes.is_fresh(&entry.basis.account_id, entry.snapshot)
        {
            return Ok(entry);
        }
        if let Some(entry) = self.batched_read(instance_id).await
            && entry.serves(caller, now)
        {
            return Ok(entry);
        }
        let mut tx = self.core.read().await?;
        // The position first: whatever the facts read shows is at least as
        // new as it.
        let (snapshot, _) = tx.audit_head().await?;
        let record = tx.instance(instance_id).await?;
        let record = visible(caller, "instance", instance_id, record, |i| &i.account_id)?;
        let status = status_of(&record);
        let facts = load_facts(&mut *tx, &self.policies, record, status, now).await?;
        let deletes = deletion_preview(&mut *tx, &facts.record, now).await?;
        Ok(self.facts_cache.keep(snapshot, facts, deletes))
    }

    /// The facts of `instance_id` read with the next batch, if it could read
    /// them.
    async fn batched_read(&self, instance_id: &InstanceId) -> Option<Arc<CachedFacts>> {
        let (sender, receiver) = oneshot::channel();
        let start = {
            let mut pending = self.facts_cache.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.waiting.entry(instance_id.clone()).or_default().push(sender);
            !std::mem::replace(&mut pending.loading, true)
        };
        if start {
            // A task of its own, so that a request going away does not
            // strand the others waiting on its batch.
            let billing = self.clone();
            tokio::spawn(async move { billing.read_batches().await });
        }
        receiver.await.ok().flatten()
    }

    /// Reads batches of waiting misses until none is left.
    async fn read_batches(&self) {
        let mut loading = Loading { cache: &self.facts_cache, done: false };
        loop {
            let batch: Vec<(InstanceId, Vec<Waiter>)> = {
                let mut pending = self.facts_cache.pending.lock().unwrap_or_else(PoisonError::into_inner);
                if pending.waiting.is_empty() {
                    pending.loading = false;
                    loading.done = true;
                    return;
                }
                let ids: Vec<InstanceId> = pending.waiting.keys().take(MAX_BATCH).cloned().collect();
                ids.into_iter().filter_map(|id| pending.waiting.remove_entry(&id)).collect()
            };
            let ids: Vec<&InstanceId> = batch.iter().map(|(id, _)| id).collect();
            let mut read = self.read_facts_of(&ids, self.core.now()).await.unwrap_or_default();
            for (id, waiters) in batch {
                let entry = read.remove(&id);
                for waiter in waiters {
                    // A waiter that went away needs no answer.
                    let _ = waiter.send(entry.clone());
                }
            }
        }
    }

    /// Reads the facts of the instances among `ids` that exist, in one
    /// transaction, and keeps them. An instance whose facts cannot be put
    /// together is left out.
    async fn read_facts_of(
        &self,
        ids: &[&InstanceId],
        now: DateTime<Utc>,
    ) -> AppResult<HashMap<InstanceId, Arc<CachedFacts>>> {
        let mut tx = self.core.read().await?;
        let (snapshot, _) = tx.audit_head().await?;
        let records = tx.instances_by_ids(ids).await?;
        let found: Vec<&InstanceId> = records.iter().map(|r| &r.id).collect();
        let mut orders: HashMap<InstanceId, Vec<OrderRecord>> = HashMap::new();
        for order in tx.orders_of_instances(&found).await? {
            orders.entry(order.instance_id.clone()).or_default().push(order);
        }
        let mut reader = FactsReader::new(&self.policies, now);
        let mut read = HashMap::with_capacity(records.len());
        for record in records {
            let status = status_of(&record);
            let own = orders.remove(&record.id).unwrap_or_default();
            let Ok(facts) = reader.facts(&mut *tx, record, status, own).await else { continue };
            let deletes = deletion_preview(&mut *tx, &facts.record, now).await?;
            let entry = self.facts_cache.keep(snapshot, facts, deletes);
            read.insert(entry.basis.instance_id.clone(), entry);
        }
        Ok(read)
    }
}
