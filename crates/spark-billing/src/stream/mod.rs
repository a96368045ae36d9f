//! Usage from a NATS JetStream stream: `usage consume` (and `serve
//! --usage-stream`) settle records published as JSON messages, `usage
//! publish` puts a CSV file's records on the stream, `usage rejections`
//! lists the messages refused. The stream and the durable pull consumer are
//! made when missing, with the limits below.

pub mod consume;
pub mod demo;
pub mod publish;
pub mod rejections;

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, consumer, stream};
use clap::Args;

pub use consume::{ConsumeArgs, run_in_server};
pub use publish::PublishArgs;
pub use rejections::RejectionsArgs;

/// How long the oldest message is kept (the stream is a log, not a queue:
/// acknowledged messages stay until then, for replays and audits).
pub const STREAM_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a repeated `Nats-Msg-Id` is dropped by the stream itself; past
/// it, the record id still settles a repeat once.
pub const STREAM_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// Most messages delivered and not yet acknowledged, over all consumer
/// processes of one durable consumer.
pub const MAX_ACK_PENDING: i64 = 200_000;
/// Most messages one pull, and one transaction, takes.
pub const MAX_BATCH: usize = 50_000;
/// Time allowed to reach the NATS server and to answer a request.
pub const NATS_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the stream is and which part of it to consume.
#[derive(Clone, Debug, Args)]
pub struct StreamArgs {
    /// The NATS server (JetStream enabled).
    #[arg(long = "nats", env = "SPARK_BILLING_NATS", default_value = "nats://127.0.0.1:4222", value_name = "URL")]
    pub nats: String,
    /// The stream's name; made when missing.
    #[arg(long = "stream", env = "SPARK_BILLING_STREAM", default_value = "USAGE", value_name = "NAME")]
    pub stream: String,
    /// The subjects consumed (a wildcard like `usage.>`); a stream made here
    /// takes these subjects.
    #[arg(long = "subject", env = "SPARK_BILLING_STREAM_SUBJECT", default_value = "usage.>", value_name = "SUBJECT")]
    pub subject: String,
    /// The durable consumer's name, shared by every consumer process.
    #[arg(long = "durable", env = "SPARK_BILLING_STREAM_DURABLE", default_value = "billing", value_name = "NAME")]
    pub durable: String,
    /// Most messages per pull. The pulls in hand are settled together, up to
    /// ten pulls and 50,000 messages per transaction.
    #[arg(long = "batch", env = "SPARK_BILLING_STREAM_BATCH", default_value_t = 5000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=MAX_BATCH as i64))]
    pub batch: u32,
    /// How long a delivered message may stay unacknowledged (its consumer
    /// stopped, say) before it is delivered again; set when the durable
    /// consumer is made (1s to 1h).
    #[arg(long = "ack-wait", env = "SPARK_BILLING_STREAM_ACK_WAIT", default_value = "60s", value_name = "DURATION",
          value_parser = parse_ack_wait)]
    pub ack_wait: Duration,
    #[command(flatten)]
    pub limits: StreamLimits,
}

/// Limits of a stream made here (one found is taken as it is).
#[derive(Clone, Debug, Args)]
pub struct StreamLimits {
    /// Most megabytes the stream keeps (reserved on the NATS server's disk);
    /// past it the oldest messages go, acknowledged or not.
    #[arg(long = "stream-max-mb", env = "SPARK_BILLING_STREAM_MAX_MB", default_value_t = 1024, value_name = "MB",
          value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub stream_max_mb: u32,
}

fn parse_ack_wait(text: &str) -> Result<Duration, String> {
    let d: billing_domain::policy::PolicyDuration = text.parse()?;
    let d = d.as_duration().to_std().map_err(|e| e.to_string())?;
    if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&d) {
        return Err("must be between 1s and 1h".to_owned());
    }
    Ok(d)
}

/// Connects to the NATS server with bounded waits.
pub async fn connect(url: &str) -> anyhow::Result<jetstream::Context> {
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(NATS_TIMEOUT)
        .request_timeout(Some(NATS_TIMEOUT))
        .connect(url)
        .await
        .with_context(|| format!("cannot reach the NATS server at {url}"))?;
    Ok(jetstream::new(client))
}

/// The stream named `name`, made with `subject` when missing.
pub async fn ensure_stream(
    js: &jetstream::Context,
    name: &str,
    subject: &str,
    limits: &StreamLimits,
) -> anyhow::Result<stream::Stream> {
    let config = stream::Config {
        name: name.to_owned(),
        subjects: vec![subject.to_owned()],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        max_age: STREAM_MAX_AGE,
        max_bytes: i64::from(limits.stream_max_mb) * 1024 * 1024,
        discard: stream::DiscardPolicy::Old,
        duplicate_window: STREAM_DUPLICATE_WINDOW,
        ..Default::default()
    };
    js.get_or_create_stream(config).await.with_context(|| format!("cannot open or make the stream {name}"))
}

/// The durable pull consumer of `args`, made when missing, and the
/// connection it came through.
pub async fn ensure_consumer(args: &StreamArgs) -> anyhow::Result<(consumer::PullConsumer, async_nats::Client)> {
    let js = connect(&args.nats).await?;
    let stream = ensure_stream(&js, &args.stream, &args.subject, &args.limits).await?;
    let config = consumer::pull::Config {
        durable_name: Some(args.durable.clone()),
        filter_subject: args.subject.clone(),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: args.ack_wait,
        max_ack_pending: MAX_ACK_PENDING,
        // A message is delivered until it is acknowledged: a store that is
        // down for a while must not make the stream drop records.
        max_deliver: -1,
        deliver_policy: consumer::DeliverPolicy::All,
        ..Default::default()
    };
    let consumer = stream
        .get_or_create_consumer(&args.durable, config)
        .await
        .with_context(|| format!("cannot open or make the consumer {} of stream {}", args.durable, args.stream))?;
    Ok((consumer, js.client()))
}
