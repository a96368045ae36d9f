//! The words a printed document puts around its content, in English by
//! default; a caller that speaks another language supplies its own. The
//! content's values are never among them.

/// A word the printed layout puts around a document's content: titles,
/// field names, captions and column heads. The content's own values (names,
/// items, dates, codes, amounts) are never translated; only these words
/// may follow the reader's language, through
/// [`sheet_in`](super::sheet::sheet_in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    /// The title of an invoice.
    Invoice,
    /// The title of a credit note.
    CreditNote,
    /// When it was issued.
    Issued,
    /// The currency.
    Currency,
    /// The order an invoice is for.
    Order,
    /// The refund set a credit note is for.
    RefundSet,
    /// The invoices a credit note credits.
    CreditsInvoice,
    /// What was bought.
    Item,
    /// An invoice's list price.
    ListPrice,
    /// An invoice's discount.
    Discount,
    /// An invoice's coupon.
    Coupon,
    /// An invoice's voucher.
    Voucher,
    /// What was left to pay in cash.
    CashDue,
    /// The caption of an invoice's charges.
    Charges,
    /// The caption of the tenders, and the column of a refund's source.
    PaidWith,
    /// The column of a tender's method.
    Method,
    /// The column of amounts.
    Amount,
    /// The caption of a credit note's lines.
    Lines,
    /// The column of a line's kind.
    Line,
    /// The column of a line's period.
    Period,
    /// The column of the cash paid for a line.
    CashPaid,
    /// The column of what was used of a line.
    UsedTotal,
    /// The column of what was consumed of a line.
    Consumed,
    /// The column of what a line refunds.
    Refund,
    /// The column of a refund's id.
    RefundId,
    /// The caption of where a credit note's refunds go.
    RefundDestinations,
    /// The column of where a refund goes.
    GoesTo,
    /// The column of the rule that sent it there.
    Rule,
    /// The total of an invoice.
    TotalDue,
    /// The total of a credit note.
    TotalCredited,
    /// The seller's heading.
    Seller,
    /// The buyer's heading.
    Buyer,
    /// Before a party's tax id.
    TaxId,
    /// Before the buyer's account id.
    Account,
    /// Before the digest at the foot.
    Digest,
}

impl Label {
    /// Every label.
    pub const ALL: [Label; 35] = [
        Label::Invoice,
        Label::CreditNote,
        Label::Issued,
        Label::Currency,
        Label::Order,
        Label::RefundSet,
        Label::CreditsInvoice,
        Label::Item,
        Label::ListPrice,
        Label::Discount,
        Label::Coupon,
        Label::Voucher,
        Label::CashDue,
        Label::Charges,
        Label::PaidWith,
        Label::Method,
        Label::Amount,
        Label::Lines,
        Label::Line,
        Label::Period,
        Label::CashPaid,
        Label::UsedTotal,
        Label::Consumed,
        Label::Refund,
        Label::RefundId,
        Label::RefundDestinations,
        Label::GoesTo,
        Label::Rule,
        Label::TotalDue,
        Label::TotalCredited,
        Label::Seller,
        Label::Buyer,
        Label::TaxId,
        Label::Account,
        Label::Digest,
    ];

    /// A stable name, for callers that keep the words elsewhere
    /// (`credits-invoice`).
    pub const fn key(self) -> &'static str {
        match self {
            Label::Invoice => "invoice",
            Label::CreditNote => "credit-note",
            Label::Issued => "issued",
            Label::Currency => "currency",
            Label::Order => "order",
            Label::RefundSet => "refund-set",
            Label::CreditsInvoice => "credits-invoice",
            Label::Item => "item",
            Label::ListPrice => "list-price",
            Label::Discount => "discount",
            Label::Coupon => "coupon",
            Label::Voucher => "voucher",
            Label::CashDue => "cash-due",
            Label::Charges => "charges",
            Label::PaidWith => "paid-with",
            Label::Method => "method",
            Label::Amount => "amount",
            Label::Lines => "lines",
            Label::Line => "line",
            Label::Period => "period",
            Label::CashPaid => "cash-paid",
            Label::UsedTotal => "used-total",
            Label::Consumed => "consumed",
            Label::Refund => "refund",
            Label::RefundId => "refund-id",
            Label::RefundDestinations => "refund-destinations",
            Label::GoesTo => "goes-to",
            Label::Rule => "rule",
            Label::TotalDue => "total-due",
            Label::TotalCredited => "total-credited",
            Label::Seller => "seller",
            Label::Buyer => "buyer",
            Label::TaxId => "tax-id",
            Label::Account => "account",
            Label::Digest => "digest",
        }
    }

    /// The English words, as the PDF prints them.
    pub const fn english(self) -> &'static str {
        match self {
            Label::Invoice => "Invoice",
            Label::CreditNote => "Credit note",
            Label::Issued => "Issued",
            Label::Currency => "Currency",
            Label::Order => "Order",
            Label::RefundSet => "Refund set",
            Label::CreditsInvoice => "Credits invoice",
            Label::Item => "Item",
            Label::ListPrice => "List price",
            Label::Discount => "Discount",
            Label::Coupon => "Coupon",
            Label::Voucher => "Voucher",
            Label::CashDue => "Cash due",
            Label::Charges => "Charges",
            Label::PaidWith => "Paid with",
            Label::Method => "Method",
            Label::Amount => "Amount",
            Label::Lines => "Lines",
            Label::Line => "Line",
            Label::Period => "Period",
            Label::CashPaid => "Cash paid",
            Label::UsedTotal => "Used/total",
            Label::Consumed => "Consumed",
            Label::Refund | Label::RefundId => "Refund",
            Label::RefundDestinations => "Refund destinations",
            Label::GoesTo => "Goes to",
            Label::Rule => "Rule",
            Label::TotalDue => "Total due",
            Label::TotalCredited => "Total credited",
            Label::Seller => "Seller",
            Label::Buyer => "Buyer",
            Label::TaxId => "Tax ID",
            Label::Account => "Account",
            Label::Digest => "SHA-256 of the issued content",
        }
    }
}

/// The words of each label, in one language.
pub trait Labels {
    /// The words of `label`.
    fn words(&self, label: Label) -> String;
}

/// The English words ([`Label::english`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct English;

impl Labels for English {
    fn words(&self, label: Label) -> String {
        label.english().to_owned()
    }
}
