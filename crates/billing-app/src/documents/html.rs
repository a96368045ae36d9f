//! A document as a standalone, printable HTML page (with a print
//! stylesheet), made from its stored content. Every text is escaped.

use std::fmt::Write;

use super::content::DocumentContent;
use super::sheet::{Labels, Sheet, sheet, sheet_in};
use crate::error::{AppError, AppResult};

/// The page's stylesheet, print rules included.
pub const STYLESHEET: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;color:#111;margin:2rem auto;max-width:52rem;\
font-size:14px}header{display:flex;justify-content:space-between;align-items:flex-start}\
h1{font-size:1.8rem;margin:0}.number{font-size:1.1rem;font-weight:bold}dl{display:grid;\
grid-template-columns:max-content auto;gap:.2rem 1rem;margin:1rem 0}dt{color:#555}dd{margin:0}\
.parties{display:flex;gap:3rem;margin:1.5rem 0}.parties h2{font-size:.8rem;text-transform:uppercase;color:#555;\
margin:0 0 .3rem}.parties p{margin:0}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}\
caption{text-align:left;font-weight:bold;padding:.3rem 0}th,td{border-bottom:1px solid #ccc;padding:.3rem .4rem;\
text-align:left;vertical-align:top}th:last-child,td:last-child{text-align:right;white-space:nowrap}td:nth-last-child(2){white-space:nowrap}\
.total{display:flex;justify-content:flex-end;gap:2rem;font-size:1.2rem;font-weight:bold;border-top:2px solid #111;\
padding-top:.5rem}nav.noprint{display:flex;gap:1rem;margin-bottom:1.5rem}.digest{color:#777;font-size:.75rem;word-break:break-all;margin-top:2rem}\
@media screen and (max-width:40rem){body{margin:1rem}header{flex-wrap:wrap;gap:.5rem}.parties{flex-direction:column;\
gap:1rem}dd,td:first-child,.parties p{overflow-wrap:anywhere}td:first-child{min-width:7rem}.table-scroll{overflow-x:auto}}\
@media print{body{margin:0;max-width:none;font-size:11pt}@page{size:A4;margin:15mm}a{color:inherit;\
text-decoration:none}.noprint,nav.noprint{display:none}}";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The document's printable page, its stylesheet inline and its words in
/// English; `sha256` is the stored content's digest, printed at the foot.
pub fn render_html(content: &DocumentContent, sha256: &str) -> AppResult<String> {
    let s = sheet(content)?;
    let frame = Frame { lang: "en", head: format!("<style>{STYLESHEET}</style>"), links: String::new() };
    write_page(&s, sha256, &frame).map_err(AppError::internal)
}

/// Where a printable page linked from somewhere else takes its words and
/// its frame from.
#[derive(Clone, Copy)]
pub struct Linked<'a> {
    /// The words around the content.
    pub labels: &'a dyn Labels,
    /// The page's `lang` (`en`, `zh-CN`).
    pub lang: &'a str,
    /// Where its stylesheet is (for pages served under a content security
    /// policy that refuses inline styles).
    pub stylesheet_href: &'a str,
    /// Links above the document, already escaped HTML; not printed.
    pub links: &'a str,
}

/// The same page with its stylesheet and words from `linked`.
pub fn render_html_linked(content: &DocumentContent, sha256: &str, linked: &Linked<'_>) -> AppResult<String> {
    let s = sheet_in(content, linked.labels)?;
    let frame = Frame {
        lang: linked.lang,
        head: format!("<link rel=\"stylesheet\" href=\"{}\">", escape(linked.stylesheet_href)),
        links: format!("<nav class=\"noprint\">{}</nav>", linked.links),
    };
    write_page(&s, sha256, &frame).map_err(AppError::internal)
}

/// What surrounds the document on its page.
struct Frame<'a> {
    lang: &'a str,
    head: String,
    links: String,
}

fn write_page(s: &Sheet, sha256: &str, frame: &Frame<'_>) -> Result<String, std::fmt::Error> {
    let mut h = String::with_capacity(8 * 1024);
    let lang = escape(frame.lang);
    write!(h, "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">")?;
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    write!(h, "<title>{} {}</title>{}</head><body>{}", escape(&s.title), escape(&s.number), frame.head, frame.links)?;
    write!(h, "<header><h1>{}</h1><span class=\"number\">{}</span></header><dl>", escape(&s.title), escape(&s.number))?;
    for (label, value) in &s.facts {
        write!(h, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value))?;
    }
    h.push_str("</dl><section class=\"parties\">");
    for (head, lines) in [(&s.party_heads[0], &s.seller), (&s.party_heads[1], &s.buyer)] {
        write!(h, "<div><h2>{}</h2>", escape(head))?;
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                write!(h, "<p><strong>{}</strong></p>", escape(line))?;
            } else {
                write!(h, "<p>{}</p>", escape(line))?;
            }
        }
        h.push_str("</div>");
    }
    h.push_str("</section>");
    for t in &s.tables {
        // A narrow screen scrolls a wide table within its box, not the page.
        write!(h, "<div class=\"table-scroll\"><table><caption>{}</caption><thead><tr>", escape(&t.caption))?;
        for head in &t.heads {
            write!(h, "<th>{}</th>", escape(head))?;
        }
        h.push_str("</tr></thead><tbody>");
        for row in &t.rows {
            h.push_str("<tr>");
            for cell in row {
                write!(h, "<td>{}</td>", escape(cell))?;
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table></div>");
    }
    write!(h, "<div class=\"total\"><span>{}</span><span>{}</span></div>", escape(&s.total_label), escape(&s.total))?;
    write!(h, "<p class=\"digest\">{}: {}</p></body></html>", escape(&s.digest_label), escape(sha256))?;
    Ok(h)
}
