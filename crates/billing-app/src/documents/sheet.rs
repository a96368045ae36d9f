//! The printed layout of a document, shared by the HTML and PDF renderings:
//! a heading, the two parties, tables and a total, every amount already in
//! the currency's format. Built from the stored content only.

use billing_domain::money::{Currency, Money};

use super::content::{DocumentContent, DocumentKind};
pub use super::labels::{English, Label, Labels};
use crate::error::AppResult;

/// One table: a caption, column heads, and rows of cells. The last column
/// holds amounts and is aligned right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Shown above the table.
    pub caption: String,
    /// Column heads.
    pub heads: Vec<String>,
    /// Rows, each as many cells as there are heads.
    pub rows: Vec<Vec<String>>,
}

/// A document laid out for printing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// "Invoice" or "Credit note".
    pub title: String,
    /// The document number.
    pub number: String,
    /// Label and value pairs under the title (date, zone, references).
    pub facts: Vec<(String, String)>,
    /// The seller's lines: name first.
    pub seller: Vec<String>,
    /// The buyer's lines: name first.
    pub buyer: Vec<String>,
    /// The tables, in order.
    pub tables: Vec<Table>,
    /// "Total due" or "Total credited".
    pub total_label: String,
    /// The total, formatted.
    pub total: String,
    /// The headings of the two parties: seller, buyer.
    pub party_heads: [String; 2],
    /// The words before the content's digest at the foot.
    pub digest_label: String,
}

/// `amount` in its currency's format: symbol, thousands separators, and
/// the currency's number of decimals (none for JPY), e.g. `¥1,234`.
pub fn format_money(amount: Money) -> String {
    let currency = amount.currency();
    let symbol = match currency {
        Currency::Usd => "$",
        Currency::Eur => "€",
        Currency::Cny | Currency::Jpy => "¥",
    };
    let minor = amount.minor();
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let per = currency.minor_per_major().unsigned_abs();
    let major = group_thousands(abs / per);
    match currency.decimals() {
        0 => format!("{sign}{symbol}{major}"),
        d => format!("{sign}{symbol}{major}.{:0width$}", abs % per, width = d as usize),
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn party(p: &super::content::Party, w: &dyn Fn(Label) -> String) -> Vec<String> {
    let mut lines = vec![p.name.clone()];
    lines.extend(p.address.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
    if !p.tax_id.is_empty() {
        lines.push(format!("{}: {}", w(Label::TaxId), p.tax_id));
    }
    if !p.account_id.is_empty() {
        lines.push(format!("{}: {}", w(Label::Account), p.account_id));
    }
    lines
}

/// Lays a document out from its content, with English words around it.
pub fn sheet(content: &DocumentContent) -> AppResult<Sheet> {
    sheet_in(content, &English)
}

/// Lays a document out from its content, with the words of `labels`
/// around it; the content itself is shown as stored.
pub fn sheet_in(content: &DocumentContent, labels: &dyn Labels) -> AppResult<Sheet> {
    let w = |label: Label| labels.words(label);
    let money = |text: &str| -> AppResult<String> { Ok(format_money(content.amount(text)?)) };
    let mut facts = vec![
        (w(Label::Issued), format!("{} ({})", content.issue_date, content.billing_zone)),
        (w(Label::Currency), content.currency.clone()),
    ];
    let mut tables = Vec::new();
    if let Some(inv) = &content.invoice {
        facts.push((w(Label::Order), format!("{} ({})", inv.order_id, inv.order_kind)));
        tables.extend(invoice_tables(content, inv, &w)?);
    }
    if let Some(cn) = &content.credit {
        facts.push((w(Label::RefundSet), format!("{} ({})", cn.unsubscription_id, cn.cause.replace('_', " "))));
        let credited = if cn.credits_invoices.is_empty() { "-".to_owned() } else { cn.credits_invoices.join(", ") };
        facts.push((w(Label::CreditsInvoice), credited));
        facts.push((w(Label::Item), cn.item.clone()));
        let mut rows = Vec::with_capacity(cn.lines.len());
        for l in &cn.lines {
            let used = match (l.used, l.total) {
                (Some(u), Some(t)) => format!("{u}/{t} {}", l.unit.as_deref().unwrap_or("")).trim_end().to_owned(),
                _ => "-".to_owned(),
            };
            let order = match &l.invoice_number {
                Some(n) => format!("{} ({n})", l.order_id),
                None => l.order_id.clone(),
            };
            rows.push(vec![
                order,
                l.kind.replace('_', " "),
                l.period.clone(),
                money(&l.cash_paid)?,
                used,
                money(&l.consumed)?,
                money(&l.refund)?,
            ]);
        }
        let line_heads = [Label::Order, Label::Line, Label::Period, Label::CashPaid, Label::UsedTotal];
        let mut line_heads: Vec<String> = line_heads.into_iter().map(w).collect();
        line_heads.extend([w(Label::Consumed), w(Label::Refund)]);
        tables.push(Table { caption: w(Label::Lines), heads: line_heads, rows });
        let rows = cn
            .destinations
            .iter()
            .map(|d| {
                Ok(vec![
                    d.refund_id.clone(),
                    d.from.replace('_', " "),
                    d.to.replace('_', " "),
                    d.rule.replace('_', " "),
                    money(&d.amount)?,
                ])
            })
            .collect::<AppResult<Vec<_>>>()?;
        let dest_heads = [Label::RefundId, Label::PaidWith, Label::GoesTo, Label::Rule, Label::Amount];
        tables.push(Table {
            caption: w(Label::RefundDestinations),
            heads: dest_heads.into_iter().map(w).collect(),
            rows,
        });
    }
    let (title, total_label) = match content.kind {
        DocumentKind::Invoice => (Label::Invoice, Label::TotalDue),
        DocumentKind::CreditNote => (Label::CreditNote, Label::TotalCredited),
    };
    Ok(Sheet {
        title: w(title),
        number: content.number.clone(),
        facts,
        seller: party(&content.seller, &w),
        buyer: party(&content.buyer, &w),
        tables,
        total_label: w(total_label),
        total: format!("{} {}", money(&content.total)?, content.currency),
        party_heads: [w(Label::Seller), w(Label::Buyer)],
        digest_label: w(Label::Digest),
    })
}

/// An invoice's charges and what paid them.
fn invoice_tables(
    content: &DocumentContent,
    inv: &super::content::InvoiceBody,
    w: &dyn Fn(Label) -> String,
) -> AppResult<[Table; 2]> {
    let money = |text: &str| -> AppResult<String> { Ok(format_money(content.amount(text)?)) };
    let neg = |text: &str| -> AppResult<String> { Ok(format_money(content.amount(text)?.checked_neg()?)) };
    let rows = vec![
        vec![inv.item.clone(), w(Label::ListPrice), money(&inv.list_price)?],
        vec![String::new(), w(Label::Discount), neg(&inv.discount)?],
        vec![String::new(), w(Label::Coupon), neg(&inv.coupon)?],
        vec![String::new(), w(Label::Voucher), neg(&inv.voucher)?],
        vec![String::new(), w(Label::CashDue), money(&inv.cash_due)?],
    ];
    let charges =
        Table { caption: w(Label::Charges), heads: vec![w(Label::Item), String::new(), w(Label::Amount)], rows };
    let rows = inv
        .tenders
        .iter()
        .map(|t| Ok(vec![t.method.replace('_', " "), money(&t.amount)?]))
        .collect::<AppResult<Vec<_>>>()?;
    let paid = Table { caption: w(Label::PaidWith), heads: vec![w(Label::Method), w(Label::Amount)], rows };
    Ok([charges, paid])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_the_currency_format() {
        let check = |c: Currency, minor: i64, want: &str| assert_eq!(format_money(Money::from_minor(c, minor)), want);
        check(Currency::Usd, 123_456_789, "$1,234,567.89");
        check(Currency::Eur, 5, "€0.05");
        check(Currency::Cny, 6775, "¥67.75");
        check(Currency::Jpy, 1234, "¥1,234");
        check(Currency::Jpy, -100, "-¥100");
        check(Currency::Usd, 0, "$0.00");
    }
}
