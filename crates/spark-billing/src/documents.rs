//! `spark-billing documents list|show|pdf|html|seller`: invoices and credit
//! notes, and the seller printed on them, from the local database or, with
//! `--server`, through the API.

use billing_domain::ids::{AccountId, DocumentId};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use billing_api::routes::documents::{DocumentDto, SellerDto};
use billing_app::Caller;
use billing_app::documents::{DocumentFilter, DocumentKind, DocumentRecord, SellerDetails};
use clap::{Args, Subcommand, ValueEnum};

use crate::config::Global;
use crate::output;
use crate::remote::Remote;
use crate::unsubscribe::write_new;

#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// List documents, newest first.
    List(ListArgs),
    /// Print one document as JSON: number, kind, total, digest and content.
    Show(ShowArgs),
    /// Write one document as an A4 PDF.
    Pdf(WriteArgs),
    /// Write one document as a printable HTML page.
    Html(WriteArgs),
    /// Show the seller printed on documents, or set it with any of the
    /// options (documents already issued keep the seller they show).
    Seller(SellerArgs),
}

#[derive(Debug, Args)]
pub struct SellerArgs {
    /// Legal name (1 to 120 characters).
    #[arg(long)]
    name: Option<String>,
    /// One line of the postal address; repeat for each line (at most 5 lines
    /// and 300 characters). `--address ""` clears it.
    #[arg(long = "address", value_name = "LINE")]
    address: Vec<String>,
    /// Tax registration number (at most 40 characters; "" clears it).
    #[arg(long)]
    tax_id: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    /// Invoices.
    Invoice,
    /// Credit notes.
    CreditNote,
}

impl Kind {
    fn kind(self) -> DocumentKind {
        match self {
            Kind::Invoice => DocumentKind::Invoice,
            Kind::CreditNote => DocumentKind::CreditNote,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Aligned columns.
    Table,
    /// JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this kind.
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Only this account's documents.
    #[arg(long, value_name = "ACCOUNT_ID")]
    account: Option<AccountId>,
    /// At most this many (1 to 100).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=100))]
    limit: i64,
    /// The next page: documents listed after this one (the last id shown).
    #[arg(long, value_name = "DOCUMENT_ID")]
    starting_after: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The document's id.
    id: DocumentId,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// The document's id.
    id: DocumentId,
    /// Where to write it (default: the document's number and extension).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

pub async fn run(global: &Global, command: DocumentsCommand) -> anyhow::Result<ExitCode> {
    match command {
        DocumentsCommand::List(args) => list(global, args).await,
        DocumentsCommand::Show(args) => {
            let doc = one(global, &args.id).await?;
            output::json(&serde_json::to_value(&doc)?)?;
            Ok(ExitCode::SUCCESS)
        }
        DocumentsCommand::Pdf(args) => write(global, args, "pdf").await,
        DocumentsCommand::Html(args) => write(global, args, "html").await,
        DocumentsCommand::Seller(args) => seller(global, args).await,
    }
}

async fn seller(global: &Global, args: SellerArgs) -> anyhow::Result<ExitCode> {
    let changes = args.name.is_some() || !args.address.is_empty() || args.tax_id.is_some();
    let merge = |current: SellerDto| SellerDto {
        name: args.name.clone().unwrap_or(current.name),
        address: if args.address.is_empty() { current.address } else { args.address.join("\n") },
        tax_id: args.tax_id.clone().unwrap_or(current.tax_id),
    };
    let seller = match Remote::from_global(global)? {
        Some(remote) if changes => {
            let wanted = merge(remote.seller().await?);
            remote.set_seller(&wanted).await?
        }
        Some(remote) => remote.seller().await?,
        None => {
            let (_, billing) = global.open().await?;
            let current = SellerDto::from(billing.documents().seller().await?);
            if changes {
                let wanted = merge(current);
                let details = SellerDetails { name: wanted.name, address: wanted.address, tax_id: wanted.tax_id };
                billing.documents().set_seller(&Caller::Operator, &details).await?.into()
            } else {
                current
            }
        }
    };
    output::json(&serde_json::to_value(&seller)?)?;
    Ok(ExitCode::SUCCESS)
}

fn dto(d: &DocumentRecord) -> anyhow::Result<DocumentDto> {
    DocumentDto::from_record(d).map_err(|_| anyhow!("document {} has unreadable stored content", d.id))
}

async fn one(global: &Global, id: &DocumentId) -> anyhow::Result<DocumentDto> {
    match Remote::from_global(global)? {
        Some(remote) => remote.document(id).await,
        None => {
            let (_, billing) = global.open().await?;
            dto(&billing.documents().document(&Caller::Operator, id).await?)
        }
    }
}

async fn list(global: &Global, args: ListArgs) -> anyhow::Result<ExitCode> {
    let kind = args.kind.map(Kind::kind);
    let docs = match Remote::from_global(global)? {
        Some(remote) => {
            let kind = kind.map(DocumentKind::as_str);
            remote.documents(kind, args.account.as_deref(), args.starting_after.as_deref(), args.limit).await?
        }
        None => {
            let (_, billing) = global.open().await?;
            let filter = DocumentFilter {
                account_id: args.account,
                kind,
                source_id: None,
                starting_after: args.starting_after,
                limit: args.limit,
            };
            billing
                .documents()
                .documents(&Caller::Operator, filter)
                .await?
                .iter()
                .map(dto)
                .collect::<anyhow::Result<_>>()?
        }
    };
    match args.format {
        Format::Json => output::json(&serde_json::to_value(&docs)?)?,
        Format::Table => {
            let rows: Vec<Vec<String>> = docs
                .iter()
                .map(|d| {
                    vec![
                        d.id.clone(),
                        d.number.clone(),
                        d.kind.clone(),
                        format!("{} {}", d.total, d.currency),
                        d.account_id.clone(),
                        d.source_id.clone(),
                        d.issued_at.clone(),
                    ]
                })
                .collect();
            output::table(&["ID", "NUMBER", "KIND", "TOTAL", "ACCOUNT", "FOR", "ISSUED AT"], &rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn write(global: &Global, args: WriteArgs, format: &str) -> anyhow::Result<ExitCode> {
    let (number, bytes) = match Remote::from_global(global)? {
        Some(remote) => {
            let doc = remote.document(&args.id).await?;
            (doc.number, remote.document_rendering(&args.id, format).await?)
        }
        None => {
            let (_, billing) = global.open().await?;
            if format == "pdf" {
                let (doc, bytes) = billing.documents().document_pdf(&Caller::Operator, &args.id).await?;
                (doc.number, bytes)
            } else {
                let (doc, page) = billing.documents().document_html(&Caller::Operator, &args.id).await?;
                (doc.number, page.into_bytes())
            }
        }
    };
    // Numbers are letters, digits and '-' only; anything else (from a
    // server that is not ours) is not used as a file name.
    let safe = !number.is_empty() && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let name = if safe { number.clone() } else { "document".to_owned() };
    let path = args.output.unwrap_or_else(|| PathBuf::from(format!("{name}.{format}")));
    write_new(&path, &bytes, args.force)?;
    eprintln!("wrote {} ({number}, {} bytes)", path.display(), bytes.len());
    Ok(ExitCode::SUCCESS)
}
