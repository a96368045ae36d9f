//! `usage rejections`: the stream messages refused, oldest first, as a
//! table or (with `--csv`) as CSV for export.

use std::process::ExitCode;

use billing_app::Caller;
use billing_app::usage_stream::{MAX_REJECTIONS_PAGE, UsageRejection};
use clap::Args;

use crate::config::Global;

/// `usage rejections`.
#[derive(Debug, Args)]
pub struct RejectionsArgs {
    /// Write CSV (`id,stream,stream_seq,record_id,code,reason,payload,rejected_at`).
    #[arg(long)]
    csv: bool,
    /// Start after this rejection (`urj_…`).
    #[arg(long, value_name = "ID")]
    after: Option<String>,
    /// Most rejections listed.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    limit: i64,
}

/// Runs `usage rejections`.
pub async fn run(global: &Global, args: RejectionsArgs) -> anyhow::Result<ExitCode> {
    crate::remote::local_only(global, "usage rejections")?;
    let (_, billing) = global.open().await?;
    let mut csv = args.csv.then(|| csv::Writer::from_writer(std::io::stdout()));
    if let Some(w) = &mut csv {
        w.write_record(["id", "stream", "stream_seq", "record_id", "code", "reason", "payload", "rejected_at"])?;
    }
    let mut after = args.after.clone();
    let mut left = args.limit;
    let mut listed = 0;
    while left > 0 {
        let page = billing
            .metering()
            .usage_rejections(&Caller::Operator, after.as_deref(), left.min(MAX_REJECTIONS_PAGE))
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        left -= page.len() as i64;
        listed += page.len();
        for r in &page {
            match &mut csv {
                Some(w) => write_csv(w, r)?,
                None => println!(
                    "{}  {}#{}  {}  {}: {}",
                    r.rejected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    r.stream,
                    r.stream_seq,
                    r.record_id.as_deref().unwrap_or("-"),
                    r.code,
                    r.reason
                ),
            }
        }
    }
    if csv.is_none() && listed == 0 {
        println!("no usage messages were refused");
    }
    Ok(ExitCode::SUCCESS)
}

fn write_csv(w: &mut csv::Writer<std::io::Stdout>, r: &UsageRejection) -> anyhow::Result<()> {
    let (seq, at) = (r.stream_seq.to_string(), r.rejected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let record_id = r.record_id.as_deref().unwrap_or("");
    w.write_record([r.id.as_str(), &r.stream, &seq, record_id, &r.code, &r.reason, &r.payload, &at])?;
    w.flush()?;
    Ok(())
}
