//! The printed layout of a document, shared by the HTML and PDF renderings:
//! a heading, the two parties, tables and a total, every amount already in
//! the currency's format. Built from the stored content only.

use billing_domain::money::{Currency, Money};

use super::content::{DocumentContent, DocumentKind};
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

fn party(p: &super::content::Party) -> Vec<String> {
    let mut lines = vec![p.name.clone()];
    lines.extend(p.address.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
    if !p.tax_id.is_empty() {
        lines.push(format!("Tax ID: {}", p.tax_id));
    }
    if !p.account_id.is_empty() {
        lines.push(format!("Account: {}", p.account_id));
    }
    lines
}

/// Lays a document out from its content.
pub fn sheet(content: &DocumentContent) -> AppResult<Sheet> {
    let money = |text: &str| -> AppResult<String> { Ok(format_money(content.amount(text)?)) };
    let mut facts = vec![
        ("Issued".to_owned(), format!("{} ({})", content.issue_date, content.billing_zone)),
        ("Currency".to_owned(), content.currency.clone()),
    ];
    let mut tables = Vec::new();
    if let Some(inv) = &content.invoice {
        facts.push(("Order".to_owned(), format!("{} ({})", inv.order_id, inv.order_kind)));
        let neg = |text: &str| -> AppResult<String> { Ok(format_money(content.amount(text)?.checked_neg()?)) };
        let rows = vec![
            vec![inv.item.clone(), "List price".to_owned(), money(&inv.list_price)?],
            vec![String::new(), "Discount".to_owned(), neg(&inv.discount)?],
            vec![String::new(), "Coupon".to_owned(), neg(&inv.coupon)?],
            vec![String::new(), "Voucher".to_owned(), neg(&inv.voucher)?],
            vec![String::new(), "Cash due".to_owned(), money(&inv.cash_due)?],
        ];
        tables.push(Table { caption: "Charges".to_owned(), heads: heads(&["Item", "", "Amount"]), rows });
        let rows = inv
            .tenders
            .iter()
            .map(|t| Ok(vec![t.method.replace('_', " "), money(&t.amount)?]))
            .collect::<AppResult<Vec<_>>>()?;
        tables.push(Table { caption: "Paid with".to_owned(), heads: heads(&["Method", "Amount"]), rows });
    }
    if let Some(cn) = &content.credit {
        facts.push(("Refund set".to_owned(), format!("{} ({})", cn.unsubscription_id, cn.cause.replace('_', " "))));
        let credited = if cn.credits_invoices.is_empty() { "-".to_owned() } else { cn.credits_invoices.join(", ") };
        facts.push(("Credits invoice".to_owned(), credited));
        facts.push(("Item".to_owned(), cn.item.clone()));
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
        let line_heads = heads(&["Order", "Line", "Period", "Cash paid", "Used/total", "Consumed", "Refund"]);
        tables.push(Table { caption: "Lines".to_owned(), heads: line_heads, rows });
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
        let dest_heads = heads(&["Refund", "Paid with", "Goes to", "Rule", "Amount"]);
        tables.push(Table { caption: "Refund destinations".to_owned(), heads: dest_heads, rows });
    }
    let total_label = match content.kind {
        DocumentKind::Invoice => "Total due",
        DocumentKind::CreditNote => "Total credited",
    };
    Ok(Sheet {
        title: content.kind.title().to_owned(),
        number: content.number.clone(),
        facts,
        seller: party(&content.seller),
        buyer: party(&content.buyer),
        tables,
        total_label: total_label.to_owned(),
        total: format!("{} {}", money(&content.total)?, content.currency),
    })
}

fn heads(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
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
