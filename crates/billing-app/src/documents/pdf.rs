//! A document as an A4 PDF, made from its stored content with `krilla`.
//! The text is set in DejaVu Sans, which ships inside this crate (see
//! `fonts/LICENSE-DejaVu.txt`) and is embedded, subset to the glyphs used,
//! so `¥`, `€` and every name print the same on any reader. Layout
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

/// A face with what layout needs: krilla's handle and the advance widths.
struct Face {
    font: Font,
    face: ttf_parser::Face<'static>,
}

impl Face {
    fn load(data: &'static [u8]) -> Option<Face> {
        let font = Font::new(data.to_vec().into(), 0)?;
        let face = ttf_parser::Face::parse(data, 0).ok()?;
        Some(Face { font, face })
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
}

fn faces() -> AppResult<&'static Faces> {
    static FACES: OnceLock<Option<Faces>> = OnceLock::new();
    FACES
        .get_or_init(|| Some(Faces { regular: Face::load(REGULAR)?, bold: Face::load(BOLD)? }))
        .as_ref()
        .ok_or_else(|| AppError::internal("the bundled font could not be read"))
}

/// Writes text on pages, starting a new page when one is full.
struct Writer<'a> {
    faces: &'a Faces,
    y: f32,
}

impl Writer<'_> {
    fn text(&self, surface: &mut Surface<'_>, x: f32, text: &str, size: f32, bold: bool) {
        let face = if bold { &self.faces.bold } else { &self.faces.regular };
        surface.draw_text(Point::from_xy(x, self.y), face.font.clone(), size, text, false, TextDirection::Auto);
    }

    fn right(&self, surface: &mut Surface<'_>, right: f32, text: &str, size: f32, bold: bool) {
        let face = if bold { &self.faces.bold } else { &self.faces.regular };
        let x = right - face.width(text, size);
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

/// What goes on one page: the header (first page only), pieces of tables,
/// and the total (last page only).
#[derive(Default)]
struct PagePlan {
    header: bool,
    tables: Vec<Table>,
    total: bool,
}

/// Splits the sheet into pages, a table's rows carrying over when a page
/// is full.
fn plan(w: &Writer<'_>, s: &Sheet) -> Vec<PagePlan> {
    let bottom = PAGE_H - MARGIN - 40.0;
    let party_lines = s.seller.len().max(s.buyer.len()) as f32;
    let mut y = MARGIN + 18.0 + 26.0 + 13.0 * s.facts.len() as f32 + 12.0 + 13.0 + 12.0 * party_lines + 16.0;
    let mut pages = vec![PagePlan { header: true, ..PagePlan::default() }];
    for t in &s.tables {
        let (_, size) = fit(w, t);
        let mut rows = t.rows.as_slice();
        loop {
            let room = ((bottom - y - 44.0) / (size + 5.0)).floor().max(0.0) as usize;
            if room == 0 && !rows.is_empty() {
                pages.push(PagePlan::default());
                y = MARGIN + 10.0;
                continue;
            }
            let (here, rest) = rows.split_at(room.min(rows.len()));
            if let Some(page) = pages.last_mut() {
                page.tables.push(Table { rows: here.to_vec(), ..t.clone() });
            }
            y += 44.0 + here.len() as f32 * (size + 5.0);
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
    let plans = plan(&Writer { faces, y: 0.0 }, &s);
    let count = plans.len();
    for (i, p) in plans.iter().enumerate() {
        let mut page = document.start_page();
        let mut surface = page.surface();
        let mut w = Writer { faces, y: MARGIN + 18.0 };
        if p.header {
            header(&mut w, &mut surface, &s);
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

fn header(w: &mut Writer<'_>, surface: &mut Surface<'_>, s: &Sheet) {
    w.text(surface, MARGIN, &s.title, 22.0, true);
    w.right(surface, PAGE_W - MARGIN, &s.number, 13.0, true);
    w.y += 26.0;
    for (label, value) in &s.facts {
        w.text(surface, MARGIN, label, BODY, true);
        w.text(surface, MARGIN + 95.0, value, BODY, false);
        w.y += 13.0;
    }
    w.y += 12.0;
    let top = w.y;
    let mut lowest = top;
    for (x, head, lines) in [(MARGIN, "SELLER", &s.seller), (PAGE_W / 2.0, "BUYER", &s.buyer)] {
        w.y = top;
        w.text(surface, x, head, 7.5, true);
        w.y += 13.0;
        for (i, line) in lines.iter().enumerate() {
            w.text(surface, x, line, BODY, i == 0);
            w.y += 12.0;
        }
        lowest = lowest.max(w.y);
    }
    w.y = lowest + 16.0;
}

/// Column widths fitted to the page: each column as wide as its widest
/// cell, and the font made smaller when the natural widths do not fit.
fn fit(w: &Writer<'_>, t: &Table) -> (Vec<f32>, f32) {
    const GAP: f32 = 8.0;
    let available = PAGE_W - 2.0 * MARGIN;
    let mut widths: Vec<f32> = t.heads.iter().map(|h| w.faces.bold.width(h, BODY) + GAP).collect();
    for row in &t.rows {
        for (i, cell) in row.iter().enumerate().take(widths.len()) {
            widths[i] = widths[i].max(w.faces.regular.width(cell, BODY) + GAP);
        }
    }
    let natural: f32 = widths.iter().sum();
    let scale = if natural > available { available / natural } else { 1.0 };
    let mut spread: Vec<f32> = widths.iter().map(|x| x * scale).collect();
    if let Some(first) = spread.first_mut() {
        // Spare room goes to the first column, so amounts sit at the right edge.
        *first += available - natural * scale;
    }
    (spread, (BODY * scale).max(5.0))
}

fn draw_table(w: &mut Writer<'_>, surface: &mut Surface<'_>, t: &Table) {
    let (widths, size) = fit(w, t);
    w.text(surface, MARGIN, &t.caption, 11.0, true);
    w.y += 15.0;
    let last = widths.len().saturating_sub(1);
    let mut x = MARGIN;
    for (i, (head, width)) in t.heads.iter().zip(&widths).enumerate() {
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
        let mut x = MARGIN;
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i == last {
                w.right(surface, PAGE_W - MARGIN, cell, size, false);
            } else {
                w.text(surface, x, cell, size, false);
            }
            x += width;
        }
        w.y += size + 5.0;
    }
    w.y += 14.0;
}
