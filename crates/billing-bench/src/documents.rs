//! `billing-bench documents`: PDFs rendered per second on one thread, from
//! the stored content of a credit note with a few lines (the same work
//! `GET /api/v1/documents/{id}/pdf` does after reading the row), and HTML
//! pages per second for comparison.

use std::time::Instant;

use billing_app::documents::content::{CreditBody, CreditLine, DestinationLine, DocumentContent, DocumentKind, Party};
use billing_app::documents::html::render_html;
use billing_app::documents::pdf::render_pdf;
use clap::Args;

/// Options of the document benchmark.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// Seconds per measured repetition.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Measured repetitions; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repetitions: usize,
}

fn sample() -> DocumentContent {
    let party = |name: &str, account: &str| Party {
        name: name.to_owned(),
        address: "1 Harbourfront Avenue\nSingapore 098632".to_owned(),
        tax_id: "SG-201912345K".to_owned(),
        account_id: account.to_owned(),
    };
    let line = |kind: &str, refund: &str| CreditLine {
        order_id: "ord_0192f0c3d6a47f3e9b1c2d3e4f5a6b7c".to_owned(),
        invoice_number: Some("INV-2026-000123".to_owned()),
        kind: kind.to_owned(),
        period: "2026-03-10 - 2026-09-09".to_owned(),
        cash_paid: "19326.00".to_owned(),
        used: Some(1234),
        total: Some(4416),
        unit: Some("hour".to_owned()),
        consumed: "5401.66".to_owned(),
        refund: refund.to_owned(),
    };
    DocumentContent {
        kind: DocumentKind::CreditNote,
        number: "CN-2026-000042".to_owned(),
        issued_at: "2026-05-01T01:00:00.000000Z".to_owned(),
        issue_date: "2026-05-01".to_owned(),
        billing_zone: "Asia/Singapore".to_owned(),
        currency: "CNY".to_owned(),
        seller: party("Spark Cloud Pte. Ltd.", ""),
        buyer: party("Acme Analytics", "acc_0192f0c3d6a47f3e9b1c2d3e4f5a6b7c"),
        total: "17145.34".to_owned(),
        invoice: None,
        credit: Some(CreditBody {
            unsubscription_id: "uns_0192f0c3d6a47f3e9b1c2d3e4f5a6b7c".to_owned(),
            cause: "unsubscribe".to_owned(),
            item: "EMR Serverless Spark Reserved Resources, 100 CU, region ap-southeast-1".to_owned(),
            credits_invoices: vec!["INV-2026-000123".to_owned(), "INV-2026-000124".to_owned()],
            lines: vec![line("current", "13924.34"), line("pending_renewal", "3221.00")],
            destinations: vec![DestinationLine {
                refund_id: "ref_0192f0c3d6a47f3e9b1c2d3e4f5a6b7c".to_owned(),
                order_id: "ord_0192f0c3d6a47f3e9b1c2d3e4f5a6b7c".to_owned(),
                from: "card".to_owned(),
                to: "card".to_owned(),
                rule: "original_method".to_owned(),
                amount: "17145.34".to_owned(),
            }],
        }),
    }
}

/// Renders as many as it can for `seconds`; answers renderings per second
/// and the size of the last one.
fn rate(seconds: u64, mut render: impl FnMut() -> anyhow::Result<usize>) -> anyhow::Result<(f64, usize)> {
    let start = Instant::now();
    let mut count = 0_u64;
    let mut size = 0;
    while start.elapsed().as_secs() < seconds {
        size = render()?;
        count += 1;
    }
    Ok((count as f64 / start.elapsed().as_secs_f64(), size))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub fn run(args: DocumentArgs) -> anyhow::Result<()> {
    let content = sample();
    let sha = "0".repeat(64);
    // A first rendering loads and parses the bundled fonts.
    render_pdf(&content, &sha).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut pdf = Vec::new();
    let mut html = Vec::new();
    let mut pdf_bytes = 0;
    for _ in 0..args.repetitions.max(1) {
        let (r, size) =
            rate(args.seconds, || Ok(render_pdf(&content, &sha).map_err(|e| anyhow::anyhow!("{e}"))?.len()))?;
        pdf.push(r);
        pdf_bytes = size;
        let (r, _) = rate(args.seconds, || Ok(render_html(&content, &sha).map_err(|e| anyhow::anyhow!("{e}"))?.len()))?;
        html.push(r);
    }
    println!("documents, one thread, credit note with 2 lines and 1 destination (median of {}):", pdf.len());
    println!("  PDF  (A4, DejaVu Sans subset embedded): {:>9.0} per second, {pdf_bytes} bytes each", median(pdf));
    println!("  HTML (printable page):                  {:>9.0} per second", median(html));
    Ok(())
}
