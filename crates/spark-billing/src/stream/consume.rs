//! The consumer loop: pull, settle in one transaction, then acknowledge
//! every message settled. A message is acknowledged only after the
//! transaction that settled (or refused) it committed, so a consumer killed
//! at any point leaves its messages to be delivered again, where the record
//! ids meet the records already settled.
//!
//! Pulls take `--batch` messages each; while one transaction settles, the
//! next pulls are made and read, and what they bring is settled together,
//! up to [`PULLS_PER_TRANSACTION`] pulls and [`MAX_BATCH`] messages, as the
//! file import writes consecutive batches in one transaction. A busy stream
//! is so settled in large transactions, a quiet one in small and prompt ones.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::Subject;
use async_nats::jetstream::{self, AckKind, consumer::PullConsumer};
use billing_app::usage_stream::{StreamMessage, to_stream_message};
use billing_app::{Billing, Caller};
use billing_domain::policy::PolicyDuration;
use clap::Args;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::{MAX_BATCH, StreamArgs, ensure_consumer};
use crate::config::Global;

/// `usage consume`.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Stop once no message arrived for this long (`5s`, `1m`) and print
    /// what was settled; without it, run until SIGTERM or Ctrl-C.
    #[arg(long, env = "SPARK_BILLING_STREAM_EXIT_WHEN_IDLE", value_name = "DURATION")]
    pub exit_when_idle: Option<PolicyDuration>,
}

/// How long one pull waits for a full batch before taking what came.
const PULL_WAIT: Duration = Duration::from_millis(500);
/// Longest pause between tries when the store refuses a batch.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(5);
/// Most pulls settled in one transaction (and so most pulled ahead of the
/// transaction in progress): as many as the file import's default batches
/// in one of its transactions.
pub const PULLS_PER_TRANSACTION: usize = 10;

/// What a consumer did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Messages taken from the stream.
    pub consumed: u64,
    /// Records settled for the first time.
    pub settled: u64,
    /// Messages refused (kept as rejections).
    pub rejected: u64,
    /// Records seen before: settled by an earlier delivery, publish or file.
    pub seen_twice: u64,
    /// Messages the stream delivered more than once.
    pub redelivered: u64,
    /// From taking the first message to acknowledging the last.
    pub busy: Duration,
}

/// Runs `usage consume`.
pub async fn run(global: &Global, args: ConsumeArgs) -> anyhow::Result<ExitCode> {
    crate::remote::local_only(global, "usage consume")?;
    let (_, billing) = global.open().await?;
    let (consumer, client) = ensure_consumer(&args.stream).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        crate::serve::shutdown_signal().await;
        tracing::info!("stopping: finishing the batch in hand");
        let _ = stop_tx.send(true);
    });
    let idle = args.exit_when_idle.map(|d| d.as_duration().to_std().unwrap_or(Duration::ZERO));
    let totals = consume(&billing, (&consumer, &client), &args.stream, idle, stop_rx).await?;
    println!(
        "{} settled, {} rejected, {} seen twice ({} consumed, {} redelivered, in {:.3}s)",
        totals.settled,
        totals.rejected,
        totals.seen_twice,
        totals.consumed,
        totals.redelivered,
        totals.busy.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Consumes inside `serve` until it stops; a NATS server that cannot be
/// reached is tried again.
pub async fn run_in_server(billing: Billing, args: StreamArgs, stop: watch::Receiver<bool>) {
    loop {
        let outcome = match ensure_consumer(&args).await {
            Ok((consumer, client)) => consume(&billing, (&consumer, &client), &args, None, stop.clone()).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(totals) => {
                tracing::info!(?totals, "usage stream consumer stopped");
                return;
            }
            Err(e) => tracing::warn!(error = format!("{e:#}"), "usage stream consumer failed; retrying"),
        }
        if wait_or_stop(&mut stop.clone(), MAX_RETRY_PAUSE).await {
            return;
        }
    }
}

/// Messages pulled and read, not yet settled: of each message only what
/// settling needs and where its acknowledgement goes are kept.
#[derive(Default)]
struct InHand {
    messages: Vec<StreamMessage>,
    /// The reply subject of each message, in the same order.
    replies: Vec<Subject>,
    /// How many of them the stream delivered more than once.
    redelivered: u64,
}

impl InHand {
    fn len(&self) -> usize {
        self.messages.len()
    }

    /// Reads pulled messages into the hand. A message without a reply
    /// subject did not come from JetStream and cannot be acknowledged: it
    /// is left out.
    fn take(&mut self, pulled: Vec<jetstream::Message>, billing: &Billing) {
        let mut pending = None;
        for m in pulled {
            let (seq, delivered) = match m.info() {
                Ok(info) => {
                    pending = Some(info.pending);
                    (info.stream_sequence, info.delivered)
                }
                Err(_) => (0, 1),
            };
            let Some(reply) = m.message.reply.clone() else {
                tracing::warn!(subject = %m.subject, "a message without a reply subject (not from JetStream) left out");
                continue;
            };
            self.redelivered += u64::from(delivered > 1);
            self.messages.push(to_stream_message(seq, &m.payload));
            self.replies.push(reply);
        }
        if let Some(pending) = pending {
            billing.meter().stream().pending(pending);
        }
    }

    /// Sends `kind` for every message in hand, without waiting for the
    /// server.
    async fn answer(&self, client: &async_nats::Client, kind: AckKind) -> Result<(), async_nats::PublishError> {
        for reply in &self.replies {
            client.publish(reply.clone(), kind.into()).await?;
        }
        Ok(())
    }
}

/// Pulls and settles until `stop` turns true (finishing the transaction in
/// hand) or, with `idle`, until no message came for that long.
pub async fn consume(
    billing: &Billing,
    (consumer, client): (&PullConsumer, &async_nats::Client),
    args: &StreamArgs,
    idle: Option<Duration>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Totals> {
    billing.meter().stream().started();
    let mut totals = Totals::default();
    let mut last_message = Instant::now();
    let mut first_message: Option<Instant> = None;
    let batch = args.batch as usize;
    let per_transaction = (batch * PULLS_PER_TRANSACTION).min(MAX_BATCH);
    let mut hand = InHand::default();
    while !*stop.borrow() {
        if hand.messages.is_empty() {
            hand.take(pull(consumer, batch).await?, billing);
        }
        if hand.messages.is_empty() {
            if let Ok(info) = consumer.clone().info().await {
                billing.meter().stream().pending(info.num_pending);
            }
            if idle.is_some_and(|idle| last_message.elapsed() >= idle) {
                break;
            }
            continue;
        }
        let first = *first_message.get_or_insert_with(Instant::now);
        tracing::debug!(messages = hand.len(), since_last_ms = last_message.elapsed().as_millis(), "in hand");
        // The next pulls are made and read, on a task of their own, while
        // this transaction settles.
        let done = Arc::new(AtomicBool::new(false));
        let ahead = tokio::spawn(pull_ahead(billing.clone(), consumer.clone(), (batch, per_transaction), done.clone()));
        let settled = settle_and_ack(billing, (&args.stream, client), &hand, &mut totals, &mut stop).await;
        done.store(true, Ordering::Release);
        // The acknowledgements leave before the next transaction (and before
        // the process ends): what was settled is not delivered again.
        let settled = match settled {
            Ok(true) => client.flush().await.map(|()| true).map_err(|e| anyhow::anyhow!("cannot acknowledge: {e}")),
            other => other,
        };
        let ahead = ahead.await.context("pulling ahead stopped").and_then(|ahead| ahead);
        hand = next_hand(client, &hand, settled, ahead).await?;
        last_message = Instant::now();
        totals.busy = last_message - first;
    }
    // Messages pulled ahead and not settled go back at once, for any
    // consumer to take.
    give_back(client, &hand).await;
    Ok(totals)
}

/// The hand to settle next, once `hand` was settled (`Ok(true)`) or not
/// and the next pulls made. What is in hand and not settled goes back when
/// the consumer stops or fails: the hand when told to stop before the store
/// took it, the next pulls when this one fails (an error of `settled` comes
/// after its commit, from the acknowledgements).
async fn next_hand(
    client: &async_nats::Client,
    hand: &InHand,
    settled: anyhow::Result<bool>,
    ahead: anyhow::Result<InHand>,
) -> anyhow::Result<InHand> {
    if let Ok(false) = settled {
        give_back(client, hand).await;
    }
    match (settled, ahead) {
        (Ok(_), ahead) => ahead,
        (Err(e), Ok(next)) => {
            give_back(client, &next).await;
            Err(e)
        }
        (Err(e), Err(_)) => Err(e),
    }
}

/// Hands messages not settled back to the stream (`Nak`), so that they are
/// delivered again at once rather than after the ack wait; a failure is
/// only logged, as the ack wait brings them back anyway.
async fn give_back(client: &async_nats::Client, hand: &InHand) {
    if hand.messages.is_empty() {
        return;
    }
    let sent = match hand.answer(client, AckKind::Nak(None)).await {
        Ok(()) => client.flush().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, messages = hand.len(), "cannot hand messages back; they return after the ack wait");
    }
}

/// Pulls while a transaction settles: one pull at least, then more until
/// `limit` messages are in hand, a pull comes back empty or fails, or the
/// transaction is done. A failed pull after others is only logged, so that
/// what was pulled is settled (or handed back), not dropped; the next pull
/// meets the failure again if it lasts.
async fn pull_ahead(
    billing: Billing,
    consumer: PullConsumer,
    (batch, limit): (usize, usize),
    done: Arc<AtomicBool>,
) -> anyhow::Result<InHand> {
    let mut ahead = InHand::default();
    loop {
        let pulled = match pull(&consumer, batch.min(limit - ahead.len())).await {
            Ok(pulled) => pulled,
            Err(e) if !ahead.messages.is_empty() => {
                tracing::warn!(error = format!("{e:#}"), "pulling ahead failed; settling what came");
                return Ok(ahead);
            }
            Err(e) => return Err(e),
        };
        let empty = pulled.is_empty();
        ahead.take(pulled, &billing);
        if empty || ahead.len() >= limit || done.load(Ordering::Acquire) {
            return Ok(ahead);
        }
    }
}

/// One pull: up to `batch` messages, waiting at most [`PULL_WAIT`].
async fn pull(consumer: &PullConsumer, batch: usize) -> anyhow::Result<Vec<jetstream::Message>> {
    let mut messages = consumer
        .batch()
        .max_messages(batch)
        .expires(PULL_WAIT)
        .messages()
        .await
        .context("cannot pull from the stream")?;
    let mut taken = Vec::with_capacity(batch);
    while let Some(message) = messages.next().await {
        match message {
            Ok(message) => taken.push(message),
            // What was taken is settled; the rest comes with the next pull.
            Err(e) if !taken.is_empty() => {
                tracing::debug!(error = %e, "pull ended early");
                break;
            }
            Err(e) => anyhow::bail!("cannot pull from the stream: {e}"),
        }
    }
    Ok(taken)
}

/// Settles the messages in hand in one transaction (trying again until the
/// store takes it or the consumer is told to stop) and acknowledges them
/// after the commit: true when settled, false when told to stop first
/// (nothing of the hand committed, nothing acknowledged).
async fn settle_and_ack(
    billing: &Billing,
    (stream, client): (&str, &async_nats::Client),
    hand: &InHand,
    totals: &mut Totals,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<bool> {
    let metrics = billing.meter().stream();
    let started = Instant::now();
    metrics.taken(hand.len() as u64, hand.redelivered);
    let mut pause = Duration::from_millis(100);
    let outcome = loop {
        match billing.metering().settle_usage_messages(&Caller::Operator, stream, &hand.messages).await {
            Ok(outcome) => break outcome,
            Err(e) => {
                tracing::warn!(error = %e, messages = hand.len(), "settling a batch failed; trying again");
                if wait_or_stop(stop, pause).await {
                    return Ok(false);
                }
                pause = (pause * 2).min(MAX_RETRY_PAUSE);
            }
        }
    };
    let settled_in = started.elapsed();
    hand.answer(client, AckKind::Ack).await.map_err(|e| anyhow::anyhow!("cannot acknowledge a message: {e}"))?;
    tracing::debug!(
        messages = hand.len(),
        settle_ms = settled_in.as_millis(),
        total_ms = started.elapsed().as_millis(),
        "batch done"
    );
    metrics.settled(&outcome, started.elapsed());
    totals.consumed += hand.len() as u64;
    totals.settled += outcome.settled as u64;
    totals.rejected += outcome.rejected as u64;
    totals.seen_twice += outcome.duplicates as u64;
    totals.redelivered += hand.redelivered;
    if outcome.rejected > 0 {
        tracing::warn!(rejected = outcome.rejected, "usage messages refused; see `usage rejections`");
    }
    Ok(true)
}

/// Waits `pause`; true when told to stop meanwhile.
async fn wait_or_stop(stop: &mut watch::Receiver<bool>, pause: Duration) -> bool {
    tokio::select! {
        _ = stop.changed() => true,
        () = tokio::time::sleep(pause) => *stop.borrow(),
    }
}
