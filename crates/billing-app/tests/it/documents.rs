//! Renderings of a document's stored content: amounts in the currency's
//! format (yen without minor digits, the `¥` glyph embedded), a PDF that
//! parses back with its number, total and currency in its text.

use billing_app::documents::content::{
    CreditBody, CreditLine, DestinationLine, DocumentContent, DocumentKind, InvoiceBody, Party, TenderLine,
};
use billing_app::documents::html::render_html;
use billing_app::documents::pdf::render_pdf;

fn party(name: &str, account: &str) -> Party {
    Party {
        name: name.to_owned(),
        address: "1 Road\nCity".to_owned(),
        tax_id: String::new(),
        account_id: account.to_owned(),
    }
}

fn invoice(currency: &str, total: &str) -> DocumentContent {
    DocumentContent {
        kind: DocumentKind::Invoice,
        number: "INV-2026-000042".to_owned(),
        issued_at: "2026-03-10T06:23:05.000000Z".to_owned(),
        issue_date: "2026-03-10".to_owned(),
        billing_zone: "Asia/Shanghai".to_owned(),
        currency: currency.to_owned(),
        seller: party("Spark Cloud <Ltd> & Co", ""),
        buyer: party("Zhang Wei 张伟", "acc_1"),
        total: total.to_owned(),
        invoice: Some(InvoiceBody {
            order_id: "ord_1".to_owned(),
            order_kind: "new".to_owned(),
            item: "Spark reserved, 8 CU".to_owned(),
            list_price: total.to_owned(),
            discount: "0".to_owned(),
            coupon: "0".to_owned(),
            voucher: "0".to_owned(),
            cash_due: total.to_owned(),
            tenders: vec![TenderLine { method: "balance".to_owned(), amount: total.to_owned() }],
        }),
        credit: None,
    }
}

fn pdf_text(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

#[test]
fn a_yuan_invoice_prints_the_yuan_sign_and_two_decimals() {
    let content = invoice("CNY", "12345.60");
    let text = pdf_text(&render_pdf(&content, "abc123").unwrap());
    for wanted in ["INV-2026-000042", "¥12,345.60", "CNY", "Zhang Wei"] {
        assert!(text.contains(wanted), "missing {wanted} in {text}");
    }
    let html = render_html(&content, "abc123").unwrap();
    assert!(html.contains("¥12,345.60") && html.contains("Spark Cloud &lt;Ltd&gt; &amp; Co"));
    assert!(html.contains("@media print"), "the page has a print stylesheet");
}

#[test]
fn a_yen_invoice_has_no_minor_digits() {
    let text = pdf_text(&render_pdf(&invoice("JPY", "1234"), "abc").unwrap());
    assert!(text.contains("¥1,234") && !text.contains("¥1,234.") && text.contains("JPY"), "{text}");
}

#[test]
fn the_same_content_renders_the_same_pdf_bytes() {
    let content = invoice("USD", "3221.00");
    assert_eq!(render_pdf(&content, "d").unwrap(), render_pdf(&content, "d").unwrap());
}

#[test]
fn a_credit_note_with_many_lines_runs_onto_more_pages_and_keeps_its_total() {
    let line = CreditLine {
        order_id: "ord_1".to_owned(),
        invoice_number: Some("INV-2026-000001".to_owned()),
        kind: "pending_renewal".to_owned(),
        period: "2026-04-01 - 2026-04-30".to_owned(),
        cash_paid: "10.00".to_owned(),
        used: None,
        total: None,
        unit: None,
        consumed: "0.00".to_owned(),
        refund: "10.00".to_owned(),
    };
    let dest = DestinationLine {
        refund_id: "ref_1".to_owned(),
        order_id: "ord_1".to_owned(),
        from: "card".to_owned(),
        to: "balance".to_owned(),
        rule: "card_too_old".to_owned(),
        amount: "10.00".to_owned(),
    };
    let content = DocumentContent {
        kind: DocumentKind::CreditNote,
        number: "CN-2026-000007".to_owned(),
        total: "800.00".to_owned(),
        invoice: None,
        credit: Some(CreditBody {
            unsubscription_id: "uns_1".to_owned(),
            cause: "unsubscribe".to_owned(),
            item: "quota".to_owned(),
            credits_invoices: vec!["INV-2026-000001".to_owned()],
            lines: vec![line; 80],
            destinations: vec![dest],
        }),
        ..invoice("EUR", "800.00")
    };
    let bytes = render_pdf(&content, "d").unwrap();
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    assert!(doc.get_pages().len() >= 2, "80 lines take more than one page");
    let text = pdf_text(&bytes);
    assert!(text.contains("€800.00") && text.contains("CN-2026-000007") && text.contains("card too old"), "{text}");
}

#[test]
fn long_names_addresses_and_items_wrap_onto_lines_with_nothing_lost() {
    let mut content = invoice("USD", "3221.00");
    content.seller.name = "Northwind Serverless Analytics Platform International Holdings Limited".to_owned();
    content.seller.address = (1..=5)
        .map(|i| format!("Building {i}, Very Long Industrial Park Road Number {i}00, District"))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(body) = content.invoice.as_mut() {
        body.item = "Spark reserved capacity, 100 CU, 12 months, region cn-hangzhou, instance \
                     inst_0192aa7e3c4b7d8e9f00112233445566778899aabbccddeeff"
            .to_owned();
    }
    let text = pdf_text(&render_pdf(&content, "d").unwrap());
    let words: String = text.split_whitespace().collect();
    for wanted in ["NorthwindServerless", "RoadNumber500", "instanceinst_0192aa7e3c4b", "$3,221.00"] {
        assert!(words.contains(wanted), "missing {wanted} in {text}");
    }
}

/// Needs a CJK font on the machine: Debian's `fonts-noto-cjk`, or a file
/// named by `SPARK_BILLING_PDF_CJK_FONT`.
#[test]
fn a_chinese_buyer_name_prints_in_the_pdf_with_an_embedded_cjk_face() {
    assert!(
        billing_app::documents::pdf::check_fonts().unwrap(),
        "no CJK font found: install fonts-noto-cjk or set SPARK_BILLING_PDF_CJK_FONT"
    );
    let mut content = invoice("CNY", "12345.60");
    content.buyer.address = "浙江省杭州市西湖区文三路 100 号".to_owned();
    let bytes = render_pdf(&content, "d").unwrap();
    let text = pdf_text(&bytes);
    for wanted in ["张伟", "杭州市", "¥12,345.60"] {
        assert!(text.contains(wanted), "missing {wanted} in {text}");
    }
    // Two faces are embedded: DejaVu and the CJK fallback.
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let fonts =
        doc.objects.values().filter(|o| o.as_dict().is_ok_and(|d| d.has(b"FontFile2") || d.has(b"FontFile3"))).count();
    assert!(fonts >= 2, "{fonts} embedded font files");
}

/// Words of another language, to see which texts are labels.
struct Shouted;

impl billing_app::documents::labels::Labels for Shouted {
    fn words(&self, label: billing_app::documents::labels::Label) -> String {
        label.english().to_uppercase()
    }
}

#[test]
fn the_words_around_a_document_change_with_its_labels_and_its_content_does_not() {
    use billing_app::documents::html::{Linked, render_html_linked};
    use billing_app::documents::sheet::{sheet, sheet_in};
    let content = invoice("CNY", "12345.60");
    let english = sheet(&content).unwrap();
    let shouted = sheet_in(&content, &Shouted).unwrap();
    assert_eq!((english.title.as_str(), shouted.title.as_str()), ("Invoice", "INVOICE"));
    assert_eq!(shouted.total_label, "TOTAL DUE");
    assert_eq!(shouted.facts[0], ("ISSUED".to_owned(), english.facts[0].1.clone()), "the date stays as issued");
    assert_eq!((&shouted.number, &shouted.total), (&english.number, &english.total));
    assert_eq!(
        (&shouted.seller[0], &shouted.buyer),
        (
            &english.seller[0],
            &vec!["Zhang Wei 张伟".to_owned(), "1 Road".to_owned(), "City".to_owned(), "ACCOUNT: acc_1".to_owned()]
        )
    );
    for (e, s) in english.tables.iter().zip(&shouted.tables) {
        assert_eq!(s.caption, e.caption.to_uppercase());
        assert_eq!(
            s.rows.iter().map(|r| r.last()).collect::<Vec<_>>(),
            e.rows.iter().map(|r| r.last()).collect::<Vec<_>>()
        );
    }
    let linked = Linked { labels: &Shouted, lang: "zh-CN", stylesheet_href: "/d.css", links: "" };
    let page = render_html_linked(&content, "abc123", &linked).unwrap();
    assert!(page.starts_with("<!doctype html><html lang=\"zh-CN\">"));
    for wanted in ["<h2>SELLER</h2>", "SHA-256 OF THE ISSUED CONTENT: abc123", "¥12,345.60 CNY", "Spark reserved, 8 CU"]
    {
        assert!(page.contains(wanted), "missing {wanted}");
    }
    assert!(render_html(&content, "abc123").unwrap().contains("<h2>Seller</h2>"), "the plain page stays English");
}
