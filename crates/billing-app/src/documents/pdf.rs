//! A document as an A4 PDF, made from its stored content with `krilla`.
//! The text is set in DejaVu Sans, which ships inside this crate (see
//! `fonts/LICENSE-DejaVu.txt`) and is embedded, subset to the glyphs used,
//! so `¥`, `€` and every name print the same on any reader. Characters
//! DejaVu lacks (Chinese, Japanese, Korean) are set in a fallback font
//! found on the machine ([`CJK_FONT_VARIABLE`]), embedded the same way. Layout
//! coordinates are points; they never carry money, which is formatted as
//! text before it gets here.

use std::sync::OnceLock;

use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point};
use krilla::paint::Stroke;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use super::content::DocumentContent;
use super::sheet::{Sheet, Table, sheet};
use crate::error::{AppError, AppResult};

const REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const BODY: f32 = 9.5;

/// Where a face for Chinese, Japanese and Korean text is looked for when
/// [`CJK_FONT_VARIABLE`] is not set: Debian's Noto Sans CJK, WenQuanYi
/// Micro Hei and Droid Sans Fallback.
const CJK_FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

/// The variable naming a font file (TrueType, OpenType or a collection)
/// used for the characters DejaVu Sans lacks, CJK above all.
pub const CJK_FONT_VARIABLE: &str = "SPARK_BILLING_PDF_CJK_FONT";

/// A face with what layout needs: krilla's handle and the advance widths.
struct Face {
    font: Font,
    face: ttf_parser::Face<'static>,
}

impl Face {
    fn load(data: &'static [u8], index: u32) -> Option<Face> {
        let font = Font::new(data.to_vec().into(), index)?;
        let face = ttf_parser::Face::parse(data, index).ok()?;
        Some(Face { font, face })
    }

    fn has(&self, c: char) -> bool {
        c.is_whitespace() || self.face.glyph_index(c).is_some()
    }

    /// Width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let upem = f32::from(self.face.units_per_em());
        let units: u32 = text
            .chars()
            .map(|c| {
                let glyph = self.face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                u32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0))
            })
            .sum();
        units as f32 * size / upem
    }
}

struct Faces {
    regular: Face,
    bold: Face,
    /// For what DejaVu lacks (CJK), when a font for it was found.
    fallback: Option<Face>,
}

impl Faces {
    /// `text` cut into runs, each set in the first face that has its
    /// characters.
    fn runs<'t>(&self, text: &'t str, bold: bool) -> Vec<(&Face, &'t str)> {
        let main = if bold { &self.bold } else { &self.regular };
        let pick = |c: char| match &self.fallback {
            Some(fallback) if !main.has(c) && fallback.has(c) => fallback,
            _ => main,
        };
        let mut runs: Vec<(&Face, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<&Face> = None;
        for (i, c) in text.char_indices() {
            let face = pick(c);
            if let Some(open) = current
                && !std::ptr::eq(open, face)
            {
                runs.push((open, &text[start..i]));
                start = i;
            }
            current = Some(face);
        }
        if let Some(open) = current {
            runs.push((open, &text[start..]));
        }
        runs
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        self.runs(text, bold).iter().map(|(face, run)| face.width(run, size)).sum()
    }
}

/// The file and face index of the fallback font: the variable's file, or
/// the first of [`CJK_FONT_PATHS`] present. In a collection, the face for
/// Simplified Chinese is taken where its family name says so.
fn fallback_font() -> Result<Option<(&'static [u8], u32)>, String> {
    let (path, named) = match std::env::var_os(CJK_FONT_VARIABLE) {
        Some(path) => (std::path::PathBuf::from(path), true),
        None => match CJK_FONT_PATHS.iter().map(std::path::Path::new).find(|p| p.is_file()) {
            Some(path) => (path.to_owned(), false),
            None => return Ok(None),
        },
    };
    let why = |e: String| format!("{CJK_FONT_VARIABLE}: {}: {e}", path.display());
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(e) if named => return Err(why(e.to_string())),
        Err(_) => return Ok(None),
    };
    let data: &'static [u8] = Box::leak(data.into_boxed_slice());
    let count = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    let family = |index: u32| -> Option<String> {
        let face = ttf_parser::Face::parse(data, index).ok()?;
        face.names().into_iter().filter(|n| n.name_id == ttf_parser::name_id::FAMILY).find_map(|n| n.to_string())
    };
    if ttf_parser::Face::parse(data, 0).is_err() {
        return Err(why("not a font file this renderer reads".to_owned()));
    }
    let index = (0..count).find(|&i| family(i).is_some_and(|f| f.ends_with(" SC"))).unwrap_or(0);
    Ok(Some((data, index)))
}

fn faces() -> AppResult<&'static Faces> {
    static FACES: OnceLock<Result<Faces, String>> = OnceLock::new();
    FACES
        .get_or_init(|| {
            let bundled = || "the bundled font could not be read".to_owned();
            let fallback = match fallback_font()? {
                Some((data, index)) => {
                    Some(Face::load(data, index).ok_or_else(|| format!("{CJK_FONT_VARIABLE}: unreadable"))?)
                }
                None => None,
            };
            Ok(Faces {
                regular: Face::load(REGULAR, 0).ok_or_else(bundled)?,
                bold: Face::load(BOLD, 0).ok_or_else(bundled)?,
                fallback,
            })
        })
        .as_ref()
        .map_err(|e| AppError::internal(e.clone()))
}

/// Checks the fonts once, at start: an unreadable fallback font named by
/// [`CJK_FONT_VARIABLE`] is an error then, not at the first PDF. Returns
/// whether a fallback for CJK text is in use.
pub fn check_fonts() -> AppResult<bool> {
    Ok(faces()?.fallback.is_some())
}

/// Writes text on pages, starting a new page when one is full.
struct Writer<'a> {
    faces: &'a Faces,
    y: f32,
}

impl Writer<'_> {
    fn text(&self, surface: &mut Surface<'_>, x: f32, text: &str, size: f32, bold: bool) {
        let mut x = x;
        for (face, run) in self.faces.runs(text, bold) {
            surface.draw_text(Point::from_xy(x, self.y), face.font.clone(), size, run, false, TextDirection::Auto);
            x += face.width(run, size);
        }
    }

    fn right(&self, surface: &mut Surface<'_>, right: f32, text: &str, size: f32, bold: bool) {
        let x = right - self.faces.width(text, size, bold);
        self.text(surface, x, text, size, bold);
    }

    fn rule(&self, surface: &mut Surface<'_>, y: f32, width: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(MARGIN, y);
        pb.line_to(PAGE_W - MARGIN, y);
        if let Some(path) = pb.finish() {
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke { paint: luma::Color::new(150).into(), width, ..Stroke::default() }));
            surface.draw_path(&path);
            surface.set_stroke(None);
            surface.set_fill(Some(krilla::paint::Fill::default()));
        }
    }
}

/// Breaks `text` into lines no wider than `max` points at `size`: at
/// spaces where it can, inside a word too long for a line where it must.
fn wrap(faces: &Faces, text: &str, size: f32, max: f32) -> Vec<String> {
    let width = |t: &str| faces.width(t, size, false);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let joined = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if width(&joined) <= max {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if width(&line) > max && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, c.to_string()));
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A table fitted to the page: column widths, the font size, and each
/// row's cells broken into lines.
#[derive(Clone)]
struct Fitted {
    caption: String,
    heads: Vec<String>,
    widths: Vec<f32>,
    size: f32,
    rows: Vec<Vec<Vec<String>>>,
}

impl Fitted {
    fn row_height(&self, row: &[Vec<String>]) -> f32 {
        let lines = row.iter().map(Vec::len).max().unwrap_or(1).max(1);
        lines as f32 * (self.size + 2.5) + 2.5
    }
}

/// The first page's head: the facts and the two parties, broken into
/// lines that fit.
struct Head {
    facts: Vec<(String, Vec<String>)>,
    /// Each line with whether it is part of the name (set in bold).
    seller: Vec<(String, bool)>,
    buyer: Vec<(String, bool)>,
}

const FACT_INDENT: f32 = 95.0;
const PARTY_WIDTH: f32 = PAGE_W / 2.0 - MARGIN - 12.0;

impl Head {
    fn new(w: &Writer<'_>, s: &Sheet) -> Head {
        let faces = w.faces;
        let lines = |party: &[String]| {
            let pieces = party.iter().enumerate();
            pieces.flat_map(|(i, l)| wrap(faces, l, BODY, PARTY_WIDTH).into_iter().map(move |p| (p, i == 0))).collect()
        };
        Head {
            facts: s
                .facts
                .iter()
                .map(|(label, value)| (label.clone(), wrap(faces, value, BODY, PAGE_W - 2.0 * MARGIN - FACT_INDENT)))
                .collect(),
            seller: lines(&s.seller),
            buyer: lines(&s.buyer),
        }
    }

    /// Where the first table starts.
    fn bottom(&self) -> f32 {
        let fact_lines: usize = self.facts.iter().map(|(_, v)| v.len()).sum();
        let party_lines = self.seller.len().max(self.buyer.len()) as f32;
        MARGIN + 18.0 + 26.0 + 13.0 * fact_lines as f32 + 12.0 + 13.0 + 12.0 * party_lines + 16.0
    }
}

/// What goes on one page: the header (first page only), pieces of tables,
/// and the total (last page only).
#[derive(Default)]
struct PagePlan {
    header: bool,
    tables: Vec<Fitted>,
    total: bool,
}

/// Splits the sheet into pages, a table's rows carrying over when a page
/// is full.
fn plan(head: &Head, tables: &[Fitted]) -> Vec<PagePlan> {
    let bottom = PAGE_H - MARGIN - 40.0;
    let mut y = head.bottom();
    let mut pages = vec![PagePlan { header: true, ..PagePlan::default() }];
    for t in tables {
        let mut rows = t.rows.as_slice();
        loop {
            // As many rows as fit under the caption and heads.
            let mut room = 0;
            let mut used = 44.0;
            while room < rows.len() && y + used + t.row_height(&rows[room]) <= bottom {
                used += t.row_height(&rows[room]);
                room += 1;
            }
            if room == 0 && !rows.is_empty() && y > MARGIN + 10.0 {
                pages.push(PagePlan::default());
                y = MARGIN + 10.0;
                continue;
            }
            // A row taller than a whole page still goes somewhere.
            let room = if room == 0 { rows.len().min(1) } else { room };
            let (here, rest) = rows.split_at(room);
            if let Some(page) = pages.last_mut() {
                page.tables.push(Fitted { rows: here.to_vec(), ..t.clone() });
            }
            y += 44.0 + here.iter().map(|r| t.row_height(r)).sum::<f32>();
            rows = rest;
            if rows.is_empty() {
                break;
            }
            pages.push(PagePlan::default());
            y = MARGIN + 10.0;
        }
    }
    if y > bottom - 20.0 {
        pages.push(PagePlan::default());
    }
    if let Some(page) = pages.last_mut() {
        page.total = true;
    }
    pages
}

/// The document as PDF bytes; `sha256` is printed at the foot of each page.
pub fn render_pdf(content: &DocumentContent, sha256: &str) -> AppResult<Vec<u8>> {
    let s = sheet(content)?;
    let faces = faces()?;
    let mut document = Document::new();
    let layout = Writer { faces, y: 0.0 };
    let head = Head::new(&layout, &s);
    let tables: Vec<Fitted> = s.tables.iter().map(|t| fit(&layout, t)).collect();
    let plans = plan(&head, &tables);
    let count = plans.len();
    for (i, p) in plans.iter().enumerate() {
        let mut page = document.start_page();
        let mut surface = page.surface();
        let mut w = Writer { faces, y: MARGIN + 18.0 };
        if p.header {
            header(&mut w, &mut surface, &s, &head);
        } else {
            w.y = MARGIN + 10.0;
        }
        for table in &p.tables {
            draw_table(&mut w, &mut surface, table);
        }
        if p.total {
            w.rule(&mut surface, w.y, 1.2);
            w.y += 16.0;
            w.text(&mut surface, MARGIN, &s.total_label, 12.0, true);
            w.right(&mut surface, PAGE_W - MARGIN, &s.total, 12.0, true);
        }
        w.y = PAGE_H - MARGIN + 20.0;
        w.text(&mut surface, MARGIN, &format!("{} {} - page {} of {count}", s.title, s.number, i + 1), 6.5, false);
        w.y += 9.0;
        w.text(&mut surface, MARGIN, &format!("SHA-256 of the issued content: {sha256}"), 6.5, false);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| AppError::internal(format!("PDF: {e:?}")))
}

fn header(w: &mut Writer<'_>, surface: &mut Surface<'_>, s: &Sheet, head: &Head) {
    w.text(surface, MARGIN, &s.title, 22.0, true);
    w.right(surface, PAGE_W - MARGIN, &s.number, 13.0, true);
    w.y += 26.0;
    for (label, lines) in &head.facts {
        w.text(surface, MARGIN, label, BODY, true);
        for line in lines {
            w.text(surface, MARGIN + FACT_INDENT, line, BODY, false);
            w.y += 13.0;
        }
    }
    w.y += 12.0;
    let top = w.y;
    let mut lowest = top;
    for (x, title, lines) in [(MARGIN, "SELLER", &head.seller), (PAGE_W / 2.0, "BUYER", &head.buyer)] {
        w.y = top;
        w.text(surface, x, title, 7.5, true);
        w.y += 13.0;
        for (line, name) in lines {
            w.text(surface, x, line, BODY, *name);
            w.y += 12.0;
        }
        lowest = lowest.max(w.y);
    }
    w.y = lowest + 16.0;
}

/// Fits a table to the page width. Each column starts as wide as its widest
/// cell; when they do not fit, the font gets smaller down to `MIN_SIZE`,
/// then the widest columns are narrowed to a common cap (never below their
/// head or widest word's width where that can be helped) and their cells
/// broken into lines. Spare room goes to the first column, so amounts sit
/// at the right edge.
fn fit(w: &Writer<'_>, t: &Table) -> Fitted {
    const GAP: f32 = 8.0;
    const MIN_SIZE: f32 = 7.5;
    let available = PAGE_W - 2.0 * MARGIN;
    let natural_at = |size: f32| -> Vec<f32> {
        let mut widths: Vec<f32> = t.heads.iter().map(|h| w.faces.width(h, size, true) + GAP).collect();
        for row in &t.rows {
            for (i, cell) in row.iter().enumerate().take(widths.len()) {
                widths[i] = widths[i].max(w.faces.width(cell, size, false) + GAP);
            }
        }
        widths
    };
    let natural: f32 = natural_at(BODY).iter().sum();
    let size = if natural > available { (BODY * available / natural).max(MIN_SIZE) } else { BODY };
    let mut widths = natural_at(size);
    let total: f32 = widths.iter().sum();
    if total > available {
        // The cap c with sum(min(width, c)) = available, found by halving.
        let (mut low, mut high) = (0.0_f32, widths.iter().copied().fold(0.0, f32::max));
        for _ in 0..40 {
            let c = (low + high) / 2.0;
            if widths.iter().map(|x| x.min(c)).sum::<f32>() > available {
                high = c;
            } else {
                low = c;
            }
        }
        for x in &mut widths {
            *x = x.min(low);
        }
    }
    let spare = available - widths.iter().sum::<f32>();
    if let Some(first) = widths.first_mut() {
        *first += spare.max(0.0);
    }
    let rows = t
        .rows
        .iter()
        .map(|row| {
            row.iter().zip(&widths).map(|(cell, width)| wrap(w.faces, cell, size, (width - GAP).max(size))).collect()
        })
        .collect();
    Fitted { caption: t.caption.clone(), heads: t.heads.clone(), widths, size, rows }
}

fn draw_table(w: &mut Writer<'_>, surface: &mut Surface<'_>, t: &Fitted) {
    let size = t.size;
    w.text(surface, MARGIN, &t.caption, 11.0, true);
    w.y += 15.0;
    let last = t.widths.len().saturating_sub(1);
    let mut x = MARGIN;
    for (i, (head, width)) in t.heads.iter().zip(&t.widths).enumerate() {
        if i == last {
            w.right(surface, PAGE_W - MARGIN, head, size, true);
        } else {
            w.text(surface, x, head, size, true);
        }
        x += width;
    }
    w.rule(surface, w.y + 4.0, 0.6);
    w.y += 15.0;
    for row in &t.rows {
        let top = w.y;
        let mut x = MARGIN;
        for (i, (lines, width)) in row.iter().zip(&t.widths).enumerate() {
            w.y = top;
            for line in lines {
                if i == last {
                    w.right(surface, PAGE_W - MARGIN, line, size, false);
                } else {
                    w.text(surface, x, line, size, false);
                }
                w.y += size + 2.5;
            }
            x += width;
        }
        w.y = top + t.row_height(row);
    }
    w.y += 14.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> Writer<'static> {
        Writer { faces: faces().unwrap(), y: 0.0 }
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_character() {
        let w = writer();
        let text = "Spark reserved capacity, 100 CU, 12 months, region cn-hangzhou, instance \
                    inst_0192aa7e3c4b7d8e9f00112233445566778899aabbccddeeff";
        for max in [40.0, 120.0, 300.0] {
            let lines = wrap(w.faces, text, BODY, max);
            for line in &lines {
                let fits = w.faces.width(line, BODY, false) <= max || line.chars().count() == 1;
                assert!(fits, "{line:?} is wider than {max}");
            }
            let rejoined: String = lines.concat().split_whitespace().collect();
            let original: String = text.split_whitespace().collect();
            assert_eq!(rejoined, original, "at {max} points");
        }
        assert_eq!(wrap(w.faces, "", BODY, 50.0), [""]);
    }

    #[test]
    fn long_cells_facts_and_addresses_stay_inside_the_page() {
        let w = writer();
        let long = "x".repeat(40) + " " + &"word ".repeat(40);
        let table = Table {
            caption: "Lines".into(),
            heads: ["Order", "Line", "Period", "Cash paid", "Used/total", "Consumed", "Refund"]
                .map(str::to_owned)
                .to_vec(),
            rows: vec![vec![
                long.clone(),
                long.clone(),
                long.clone(),
                "$1.00".into(),
                "1/2".into(),
                "$1.00".into(),
                "$9,999,999.00".into(),
            ]],
        };
        let fitted = fit(&w, &table);
        let total: f32 = fitted.widths.iter().sum();
        assert!(total <= PAGE_W - 2.0 * MARGIN + 0.01, "columns take {total} points");
        assert!(fitted.size >= 7.5, "the font stays readable: {}", fitted.size);
        for row in &fitted.rows {
            for (lines, width) in row.iter().zip(&fitted.widths) {
                for line in lines {
                    assert!(w.faces.width(line, fitted.size, false) <= width - 8.0 + 0.01, "{line:?} in {width}");
                }
            }
        }
        assert_eq!(fitted.rows[0][6], ["$9,999,999.00"], "amounts are not broken");
        let sheet = Sheet {
            title: "Invoice".into(),
            number: "INV-2026-000001".into(),
            facts: vec![("Item".into(), long.clone())],
            seller: vec![long.clone()],
            buyer: vec!["Buyer".into()],
            tables: vec![],
            total_label: "Total due".into(),
            total: "$1.00".into(),
            party_heads: ["Seller".into(), "Buyer".into()],
            digest_label: "SHA-256 of the issued content".into(),
        };
        let head = Head::new(&w, &sheet);
        assert!(head.facts[0].1.len() > 1 && head.seller.len() > 1, "long values take several lines");
        for (line, _) in &head.seller {
            assert!(w.faces.width(line, BODY, false) <= PARTY_WIDTH + 0.01, "{line:?}");
        }
    }
}
