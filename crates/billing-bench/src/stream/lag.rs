//! The lag after a burst: one consumer process while records arrive at a
//! steady 10,000 a second, then 100,000 at once, then steadily again; the
//! time from the burst's last publish until the durable consumer has
//! nothing pending (every message handed to the consumer), read every
//! tenth of a second, is the figure.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::{self, context::PublishAckFuture};
use chrono::SecondsFormat;

use super::{Copy, StreamArgs, url_of, wait_measured};
use crate::import::world;

/// Records a second outside the burst.
const STEADY_PER_S: usize = 10_000;
/// Records of the burst.
const BURST: usize = 100_000;
/// Steady publishing before the burst.
const WARM_UP: Duration = Duration::from_secs(3);
/// Longest steady publishing after the burst.
const AFTER: Duration = Duration::from_secs(15);

pub async fn run(args: &StreamArgs, bin: &Path, copy: &Copy, workspaces: &[String]) -> anyhow::Result<()> {
    let pid = std::process::id();
    let (stream, subject, filter, durable) =
        (format!("LAG_{pid}"), format!("lag{pid}.records"), format!("lag{pid}.>"), "lag".to_owned());
    let js = jetstream::new(async_nats::connect(&args.nats).await?);
    let config = jetstream::stream::Config {
        name: stream.clone(),
        subjects: vec![filter.clone()],
        max_bytes: 1 << 30,
        ..Default::default()
    };
    js.get_or_create_stream(config).await?;
    let child = Command::new(bin)
        .args(["--database-url", &url_of(copy), "usage", "consume", "--nats", &args.nats])
        .args(["--stream", &stream, "--subject", &filter, "--durable", &durable])
        .args(["--batch", &args.batch.to_string(), "--exit-when-idle", "3s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let waiting = std::thread::spawn(move || wait_measured(child));
    let mut feed = Feed { js: js.clone(), subject, workspaces, next: 0 };
    let started = Instant::now();
    while started.elapsed() < WARM_UP {
        feed.steady_tick().await?;
    }
    feed.publish(BURST).await?;
    let burst_end = Instant::now();
    let mut consumer = None;
    let mut back_to_zero = None;
    while burst_end.elapsed() < AFTER && back_to_zero.is_none() {
        feed.steady_tick().await?;
        if consumer.is_none() {
            consumer =
                js.get_stream(&stream).await?.get_consumer::<jetstream::consumer::pull::Config>(&durable).await.ok();
        }
        if let Some(c) = &mut consumer
            && c.info().await?.num_pending == 0
        {
            back_to_zero = Some(burst_end.elapsed());
        }
    }
    let run = waiting.join().map_err(|_| anyhow::anyhow!("the consumer thread panicked"))??;
    match back_to_zero {
        Some(t) => println!(
            "lag after a burst of {BURST} at a steady {STEADY_PER_S}/s: pending back to 0 {:.2}s after the burst; \
             consumer: {}; peak {:.1} MiB",
            t.as_secs_f64(),
            run.stdout.trim(),
            run.peak_kib as f64 / 1024.0
        ),
        None => println!("lag after a burst of {BURST}: still pending {}s after it", AFTER.as_secs()),
    }
    delete_stream(&args.nats, &stream).await
}

/// Publishes usage records of new ids, round the workspaces.
struct Feed<'a> {
    js: jetstream::Context,
    subject: String,
    workspaces: &'a [String],
    next: usize,
}

impl Feed<'_> {
    /// A tenth of a second of steady traffic, paced.
    async fn steady_tick(&mut self) -> anyhow::Result<()> {
        let tick = Instant::now();
        self.publish(STEADY_PER_S / 10).await?;
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(tick.elapsed())).await;
        Ok(())
    }

    async fn publish(&mut self, count: usize) -> anyhow::Result<()> {
        let mut acks: Vec<PublishAckFuture> = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let i = self.next;
            self.next += 1;
            let ws = &self.workspaces[i % self.workspaces.len()];
            let hour = world::START + chrono::Duration::hours((i / self.workspaces.len()) as i64 % 1000);
            let body = format!(
                r#"{{"record_id":"lag-{i}","workspace_id":"{ws}","hour_start":"{}","cu_hours":"0.250"}}"#,
                hour.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
            acks.push(self.js.publish(self.subject.clone(), body.into()).await?);
            if acks.len() >= 4096 {
                for ack in acks.drain(..) {
                    ack.await.context("a publish was not acknowledged")?;
                }
            }
        }
        for ack in acks {
            ack.await.context("a publish was not acknowledged")?;
        }
        Ok(())
    }
}

/// Deletes a stream made by the benchmark.
pub async fn delete_stream(nats: &str, name: &str) -> anyhow::Result<()> {
    let js = jetstream::new(async_nats::connect(nats).await?);
    js.delete_stream(name).await.map_err(|e| anyhow::anyhow!("cannot delete the stream {name}: {e}"))?;
    Ok(())
}
