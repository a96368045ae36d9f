//! The ceiling: how fast nats-server hands out the published messages and
//! takes their acknowledgements when nothing is settled. Each ceiling
//! consumer does what `usage consume` does with the same client crate and
//! the same durable pull-consumer settings: pulls of `--batch` messages
//! waiting at most half a second, the next pulls made on a task of their
//! own (up to ten pulls ahead) while the hand in hand is answered, one
//! `Ack` published per message and the connection flushed after each hand.
//! Only the transaction is left out: the records are parsed (or, in the
//! runs without parsing, not even that) and thrown away. Ceiling consumers
//! run in this process, each on a connection of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::Subject;
use async_nats::jetstream::{self, AckKind, consumer};
use billing_app::usage_stream::{StreamMessage, to_stream_message};
use futures_util::StreamExt;

/// As `usage consume`'s `PULL_WAIT`.
const PULL_WAIT: Duration = Duration::from_millis(500);
/// As `usage consume`'s `PULLS_PER_TRANSACTION`.
const PULLS_AHEAD: usize = 10;
/// As `usage consume`'s `MAX_BATCH`.
const MAX_IN_HAND: usize = 50_000;
/// As `usage consume`'s `MAX_ACK_PENDING`.
const MAX_ACK_PENDING: i64 = 200_000;

/// Where the published messages are and how to take them.
pub struct Source<'a> {
    pub nats: &'a str,
    pub stream: &'a str,
    pub filter: &'a str,
    /// Messages on the stream: a run ends once they were all taken.
    pub total: u64,
    pub batch: usize,
}

/// What one ceiling run measured.
pub struct CeilingRun {
    /// Messages taken, over all consumers.
    pub taken: u64,
    /// From the first message taken to the last acknowledgement flushed.
    pub busy: Duration,
    /// CPU time nats-server spent meanwhile, when it runs on this machine.
    pub server_cpu: Option<Duration>,
}

impl CeilingRun {
    pub fn rate(&self) -> f64 {
        self.taken as f64 / self.busy.as_secs_f64().max(1e-9)
    }
}

/// Takes every message of the stream with `consumers` ceiling consumers
/// sharing one new durable consumer named `durable`.
pub async fn run(source: &Source<'_>, durable: &str, consumers: usize, parse: bool) -> anyhow::Result<CeilingRun> {
    let taken = Arc::new(AtomicU64::new(0));
    let cpu_before = nats_server_cpu();
    let mut tasks = Vec::new();
    for _ in 0..consumers {
        let pull = open(source, durable).await?;
        tasks.push(tokio::spawn(consume(pull, source.total, source.batch, parse, taken.clone())));
    }
    let mut spans = Vec::new();
    for task in tasks {
        spans.push(task.await.context("a ceiling consumer panicked")??);
    }
    let server_cpu = match (cpu_before, nats_server_cpu()) {
        (Some(before), Some(after)) => after.checked_sub(before),
        _ => None,
    };
    let first = spans.iter().filter_map(|s| s.map(|(first, _)| first)).min();
    let last = spans.iter().filter_map(|s| s.map(|(_, last)| last)).max();
    let busy = match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => Duration::ZERO,
    };
    Ok(CeilingRun { taken: taken.load(Ordering::Acquire), busy, server_cpu })
}

/// A connection and the durable consumer `durable`, made as `usage
/// consume` makes its own (see `ensure_consumer` in spark-billing).
async fn open(source: &Source<'_>, durable: &str) -> anyhow::Result<(consumer::PullConsumer, async_nats::Client)> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(10))
        .request_timeout(Some(Duration::from_secs(10)))
        .connect(source.nats)
        .await?;
    let js = jetstream::new(client.clone());
    let stream = js.get_stream(source.stream).await?;
    let config = consumer::pull::Config {
        durable_name: Some(durable.to_owned()),
        filter_subject: source.filter.to_owned(),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(60),
        max_ack_pending: MAX_ACK_PENDING,
        max_deliver: -1,
        deliver_policy: consumer::DeliverPolicy::All,
        ..Default::default()
    };
    let pull = stream.get_or_create_consumer(durable, config).await?;
    Ok((pull, client))
}

/// Messages pulled and not yet answered.
#[derive(Default)]
struct Hand {
    replies: Vec<Subject>,
    /// What parsing made of them (kept until answered, as the consumer
    /// keeps them until settled).
    parsed: Vec<StreamMessage>,
}

/// One ceiling consumer: answers hands until every message of the stream
/// was taken; returns when it took its first message and flushed its last
/// acknowledgement.
async fn consume(
    (pull, client): (consumer::PullConsumer, async_nats::Client),
    total: u64,
    batch: usize,
    parse: bool,
    taken: Arc<AtomicU64>,
) -> anyhow::Result<Option<(Instant, Instant)>> {
    let limit = (batch * PULLS_AHEAD).min(MAX_IN_HAND);
    let mut span: Option<(Instant, Instant)> = None;
    let mut hand = Hand::default();
    let mut empty_pulls = 0;
    loop {
        if hand.replies.is_empty() {
            if taken.load(Ordering::Acquire) >= total {
                return Ok(span);
            }
            let pulled = take(&pull, batch).await?;
            // A stream holding fewer messages than were published (its
            // limits dropped some) must end the run, not hang it: the
            // caller then reports the shortfall.
            empty_pulls = if pulled.is_empty() { empty_pulls + 1 } else { 0 };
            if empty_pulls >= MAX_EMPTY_PULLS {
                return Ok(span);
            }
            read(&mut hand, pulled, parse, &taken)?;
            continue;
        }
        let first = span.map_or_else(Instant::now, |(first, _)| first);
        let done = Arc::new(AtomicBool::new(false));
        let ahead = tokio::spawn(pull_ahead(pull.clone(), (batch, limit), parse, taken.clone(), done.clone()));
        for reply in &hand.replies {
            client.publish(reply.clone(), AckKind::Ack.into()).await?;
        }
        done.store(true, Ordering::Release);
        client.flush().await?;
        span = Some((first, Instant::now()));
        hand = ahead.await.context("pulling ahead panicked")??;
    }
}

/// As `usage consume` pulls while a transaction settles: one pull at
/// least, then more until `limit` messages are in hand, a pull comes back
/// empty or the hand before is answered.
async fn pull_ahead(
    pull: consumer::PullConsumer,
    (batch, limit): (usize, usize),
    parse: bool,
    taken: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
) -> anyhow::Result<Hand> {
    let mut hand = Hand::default();
    loop {
        let pulled = take(&pull, batch.min(limit - hand.replies.len())).await?;
        let empty = pulled.is_empty();
        read(&mut hand, pulled, parse, &taken)?;
        if empty || hand.replies.len() >= limit || done.load(Ordering::Acquire) {
            return Ok(hand);
        }
    }
}

/// Reads pulled messages into `hand` as `usage consume` reads them (the
/// delivery info, the reply subject and, with `parse`, the record).
fn read(hand: &mut Hand, pulled: Vec<jetstream::Message>, parse: bool, taken: &AtomicU64) -> anyhow::Result<()> {
    taken.fetch_add(pulled.len() as u64, Ordering::AcqRel);
    for m in pulled {
        let seq = m.info().map_or(0, |info| info.stream_sequence);
        if parse {
            hand.parsed.push(to_stream_message(seq, &m.payload));
        }
        hand.replies.push(m.message.reply.context("a message without a reply subject")?);
    }
    Ok(())
}

/// Empty pulls in a row after which a ceiling consumer stops waiting for
/// the rest of the messages (each waits at most [`PULL_WAIT`]).
const MAX_EMPTY_PULLS: u32 = 20;

/// One pull: up to `batch` messages, waiting at most [`PULL_WAIT`].
async fn take(pull: &consumer::PullConsumer, batch: usize) -> anyhow::Result<Vec<jetstream::Message>> {
    let mut messages = pull.batch().max_messages(batch).expires(PULL_WAIT).messages().await?;
    let mut taken = Vec::with_capacity(batch);
    while let Some(message) = messages.next().await {
        match message {
            Ok(message) => taken.push(message),
            Err(_) if !taken.is_empty() => break,
            Err(e) => anyhow::bail!("cannot pull from the stream: {e}"),
        }
    }
    Ok(taken)
}

/// The CPU time (user and system) of the `nats-server` process on this
/// machine, when there is exactly one.
pub fn nats_server_cpu() -> Option<Duration> {
    let mut found = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() == "nats-server" {
            if found.is_some() {
                return None;
            }
            found = Some(entry.path());
        }
    }
    let stat = std::fs::read_to_string(found?.join("stat")).ok()?;
    // Fields after the command (which may hold spaces): state is the 3rd
    // field, utime and stime the 14th and 15th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Clock ticks are 1/100 s on Linux as built for this machine.
    Some(Duration::from_millis(ticks * 10))
}
