//! Group commit of binding quotes. Quotes are the busiest write: every
//! unsubscription page and `POST /api/v1/quotes` stores one. Writers queue
//! their quote; whoever takes the writer's lock stores everything queued so
//! far in one transaction and tells each writer the outcome. A quote is
//! answered only after the transaction holding it has committed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use tokio::sync::oneshot;

use super::records::StoredQuote;
use crate::error::{AppError, AppResult};
use crate::service::Billing;

/// A queued quote: its ticket, the quote, and where its outcome goes.
type Queued = (u64, StoredQuote, oneshot::Sender<AppResult<()>>);

/// Quotes waiting for the next commit, and the lock of whoever commits them.
#[derive(Debug, Default)]
pub(crate) struct QuoteBatch {
    queued: Mutex<VecDeque<Queued>>,
    tickets: AtomicU64,
    writer: tokio::sync::Mutex<()>,
}

/// Most quotes stored by one transaction.
const MAX_BATCH: usize = 256;

impl Billing {
    /// Stores `quote`, usually with others in the same transaction, and
    /// returns once that transaction has committed.
    pub(crate) async fn store_quote(&self, quote: StoredQuote) -> AppResult<()> {
        let batches = &self.quote_batch;
        let ticket = batches.tickets.fetch_add(1, Ordering::Relaxed);
        let (done, outcome) = oneshot::channel();
        batches.queued.lock().unwrap_or_else(PoisonError::into_inner).push_back((ticket, quote, done));
        loop {
            let _writer = batches.writer.lock().await;
            let batch: Vec<Queued> = {
                let mut queued = batches.queued.lock().unwrap_or_else(PoisonError::into_inner);
                if !queued.iter().any(|(t, _, _)| *t == ticket) {
                    // An earlier writer took this quote along.
                    break;
                }
                let n = queued.len().min(MAX_BATCH);
                queued.drain(..n).collect()
            };
            let result = self.insert_quotes(&batch).await;
            let mine = batch.iter().any(|(t, _, _)| *t == ticket);
            for (_, _, done) in batch {
                // A writer that went away no longer needs the answer.
                let _ = done.send(result.clone());
            }
            if mine {
                break;
            }
        }
        outcome.await.map_err(|_| AppError::internal("the quote's transaction ended without an answer"))?
    }

    async fn insert_quotes(&self, batch: &[Queued]) -> AppResult<()> {
        let quotes: Vec<&StoredQuote> = batch.iter().map(|(_, quote, _)| quote).collect();
        let mut tx = self.begin().await?;
        tx.insert_quotes(&quotes).await?;
        tx.commit().await?;
        Ok(())
    }
}
