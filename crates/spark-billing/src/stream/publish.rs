//! `usage publish FILE.csv`: puts a usage CSV's records on the stream, one
//! JSON message per record with `Nats-Msg-Id` set to its record id (so the
//! stream itself drops a repeat within its duplicate window). Publishes are
//! pipelined: a bounded number wait for the stream's acknowledgement at
//! once.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use async_nats::jetstream::context::PublishAckFuture;
use clap::Args;

use super::{connect, ensure_stream};
use billing_app::usage_stream::message_of;

/// `usage publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The CSV file (`record_id,workspace_id,hour_start,cu_hours`).
    file: PathBuf,
    /// The NATS server (JetStream enabled).
    #[arg(long = "nats", env = "SPARK_BILLING_NATS", default_value = "nats://127.0.0.1:4222", value_name = "URL")]
    nats: String,
    /// The stream; made when missing, taking SUBJECT's first token
    /// followed by `.>` (`usage.records` makes a stream of `usage.>`).
    #[arg(long = "stream", env = "SPARK_BILLING_STREAM", default_value = "USAGE", value_name = "NAME")]
    stream: String,
    /// The subject each message is published on.
    #[arg(long = "subject", default_value = "usage.records", value_name = "SUBJECT")]
    subject: String,
    #[command(flatten)]
    limits: super::StreamLimits,
}

/// Most publishes waiting for the stream's acknowledgement at once.
const MAX_IN_FLIGHT: usize = 4096;

/// Runs `usage publish`.
pub async fn run(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(file);
    let header = reader.headers().with_context(|| format!("{}: cannot read the header", args.file.display()))?;
    if header.iter().collect::<Vec<_>>() != crate::usage::HEADER {
        anyhow::bail!("{}: line 1: the header must be {}", args.file.display(), crate::usage::HEADER.join(","));
    }
    let js = connect(&args.nats).await?;
    ensure_stream(&js, &args.stream, &stream_subjects(&args.subject), &args.limits).await?;
    let mut in_flight: VecDeque<PublishAckFuture> = VecDeque::with_capacity(MAX_IN_FLIGHT);
    let (mut published, mut duplicates, mut malformed) = (0u64, 0u64, 0u64);
    let mut row = csv::StringRecord::new();
    loop {
        let line = row.position().map_or(0, |p| p.line()) + 1;
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) if row.is_empty() => continue,
            Ok(true) => {}
            Err(e) => {
                eprintln!("{}: line {line}: {e}", args.file.display());
                malformed += 1;
                continue;
            }
        }
        let line = row.position().map_or(line, |p| p.line());
        let record = match crate::usage::parse_line(&row) {
            Ok(record) => record,
            Err(message) => {
                eprintln!("{}: line {line}: {message}; not published", args.file.display());
                malformed += 1;
                continue;
            }
        };
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, record.record_id.as_str());
        let ack = js
            .publish_with_headers(args.subject.clone(), headers, message_of(&record).into())
            .await
            .with_context(|| format!("{}: line {line}: cannot publish", args.file.display()))?;
        in_flight.push_back(ack);
        if in_flight.len() >= MAX_IN_FLIGHT {
            settle_oldest(&mut in_flight, &mut published, &mut duplicates).await?;
        }
    }
    while !in_flight.is_empty() {
        settle_oldest(&mut in_flight, &mut published, &mut duplicates).await?;
    }
    println!("{published} published, {duplicates} dropped by the stream as repeats, {malformed} malformed lines");
    Ok(if malformed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Waits for the oldest publish's acknowledgement.
async fn settle_oldest(
    in_flight: &mut VecDeque<PublishAckFuture>,
    published: &mut u64,
    duplicates: &mut u64,
) -> anyhow::Result<()> {
    let Some(ack) = in_flight.pop_front() else { return Ok(()) };
    let ack = ack.await.context("the stream did not acknowledge a publish")?;
    if ack.duplicate {
        *duplicates += 1;
    } else {
        *published += 1;
    }
    Ok(())
}

/// The subjects of a stream made for publishing on `subject`.
pub fn stream_subjects(subject: &str) -> String {
    match subject.split_once('.') {
        Some((first, _)) => format!("{first}.>"),
        None => subject.to_owned(),
    }
}
