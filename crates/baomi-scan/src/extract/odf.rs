//! OpenDocument: text (.odt), spreadsheet (.ods) and presentation (.odp) (DOMAIN R4.3, R8).
//!
//! Read through [`Zip`] (bounded) and the streaming reader of [`xmltext`] (no entity
//! expansion, bounded nesting, deadline checks):
//!
//! | part | what | [`Part`] |
//! | --- | --- | --- |
//! | `content.xml` (odt) | `text:p`/`text:h` as lines: body, lists, tables, frames | `Body` |
//! | `content.xml` (odt) | `text:note` bodies | `Footnotes` / `Endnotes` |
//! | `content.xml` (odt) | deleted text kept by change tracking | `Other{name: "tracked-changes"}` |
//! | `content.xml` (ods) | each string cell, address computed from the row and column counts including `number-rows-repeated` / `number-columns-repeated` | `Sheet{name, cell: Some("C5")}` |
//! | `content.xml` (odp) | each `draw:page` in order; its `presentation:notes` | `Slide{n}`, `Notes{n}` |
//! | `content.xml` (all) | `office:annotation` | `Comments` |
//! | `styles.xml` | master-page headers and footers (`style:header`, `-left`, `-first`) | `Header`/`Footer{name: master page}` |
//! | `styles.xml` | other master-page text (presentation footers) | `Other{name: "master-page NAME"}` |
//! | `meta.xml` | title, subject, description, keywords, authors, user-defined (`name: value`) | `Properties` |
//!
//! Repeated rows and cells are counted, never materialised: a sheet ending in a row repeated
//! 1 048 576 times costs one event. A repeated cell that holds text is reported once, at the
//! first address of the run. Numbers, dates and other non-string cells are not emitted.
//!
//! A package whose `META-INF/manifest.xml` declares `manifest:encryption-data` is encrypted
//! ([`ExtractError::Encrypted`]): its parts are ciphertext.

use super::ooxml::Outcome;
use super::xmltext::{self, XmlEvent, XmlReader};
use super::zipfile::Zip;
use super::{ExtractCtx, ExtractError, Format, Part};

/// The most spaces one `text:s` stands for; the count is attacker-controlled.
const MAX_SPACES: usize = 64;

/// OpenDocument text, spreadsheet or presentation (`format` says which).
pub fn extract(format: Format, bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let mut zip = Zip::open(bytes, format, ctx)?;
    if let Some(manifest) = zip.read("META-INF/manifest.xml", ctx)? {
        if memchr::memmem::find(&manifest, b"encryption-data").is_some() {
            return Err(ExtractError::Encrypted { format });
        }
    }
    let mut outcome = Outcome::default();
    let Some(content) = zip.read("content.xml", ctx)? else {
        return Err(ExtractError::malformed(format, "no content.xml"));
    };
    let r = read_content(format, &content, ctx);
    drop(content);
    outcome.part(r)?;
    if let Some(styles) = zip.read("styles.xml", ctx)? {
        let r = read_styles(format, &styles, ctx);
        outcome.part(r)?;
    }
    if let Some(meta) = zip.read("meta.xml", ctx)? {
        let r = read_meta(format, &meta, ctx);
        outcome.part(r)?;
    }
    outcome.finish()
}

/// Where character data goes while an element is open.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sink {
    /// Annotation text.
    Comments,
    /// A footnote body.
    Footnotes,
    /// An endnote body.
    Endnotes,
    /// Deleted text kept by change tracking.
    Tracked,
    /// Speaker notes of the current slide.
    Notes,
    /// A spreadsheet cell; `string` is false for numbers, dates, …
    Cell {
        sheet: String,
        col: u64,
        row: u64,
        string: bool,
    },
    /// A master-page header or footer.
    HeaderFooter { header: bool, name: String },
    /// Ignored (annotation authors and dates, note citations).
    Skip,
}

/// An open diversion: its sink, the depth of the element that opened it, its text.
#[derive(Debug)]
struct Open {
    sink: Sink,
    depth: usize,
    buf: String,
}

/// The row and column counters of a spreadsheet table.
#[derive(Debug)]
struct Table {
    name: String,
    /// 0-based index of the current row.
    row: u64,
    /// 0-based index of the next cell in the row.
    col: u64,
    /// How many rows the current row stands for.
    row_repeat: u64,
    /// Text outside the cells (shapes on the sheet).
    loose: String,
}

/// The paragraph text machinery shared by content.xml and styles.xml: a stack of sinks, the
/// base text, and the paragraph depth (character data counts only inside `text:p`/`text:h`).
#[derive(Debug, Default)]
struct Text {
    stack: Vec<Open>,
    base: String,
    para: usize,
    comments: String,
    footnotes: String,
    endnotes: String,
    tracked: String,
    notes: String,
}

impl Text {
    /// The buffer text goes to now, or `None` inside an ignored element.
    fn target(&mut self) -> Option<&mut String> {
        match self.stack.last_mut() {
            Some(Open {
                sink: Sink::Skip, ..
            }) => None,
            Some(open) => Some(&mut open.buf),
            None => Some(&mut self.base),
        }
    }

    fn push_str(&mut self, s: &str) {
        if let Some(t) = self.target() {
            t.push_str(s);
        }
    }

    fn push(&mut self, c: char) {
        if let Some(t) = self.target() {
            t.push(c);
        }
    }

    /// Handles the inline elements of ODF text; true if `name` was one.
    fn inline_start(&mut self, name: &str, e: &quick_xml::events::BytesStart<'_>) -> bool {
        match name {
            "p" | "h" => self.para += 1,
            "s" if self.para > 0 => {
                let n = xmltext::attr(e, "c")
                    .and_then(|c| c.trim().parse::<usize>().ok())
                    .unwrap_or(1)
                    .clamp(1, MAX_SPACES);
                for _ in 0..n {
                    self.push(' ');
                }
            }
            "tab" if self.para > 0 => self.push('\t'),
            "line-break" if self.para > 0 => self.push('\n'),
            _ => return false,
        }
        true
    }

    /// Ends a paragraph: one line.
    fn inline_end(&mut self, name: &str) {
        if matches!(name, "p" | "h") {
            self.para = self.para.saturating_sub(1);
            self.push('\n');
        }
    }

    fn text(&mut self, t: &str) {
        if self.para > 0 {
            self.push_str(t);
        }
    }

    fn open(&mut self, sink: Sink, depth: usize) {
        self.stack.push(Open {
            sink,
            depth,
            buf: String::new(),
        });
    }

    /// Closes the diversions opened at depths deeper than `depth`, flushing their text.
    fn close_to(&mut self, depth: usize, ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
        while self.stack.last().is_some_and(|o| o.depth > depth) {
            let Some(open) = self.stack.pop() else { break };
            let mut text = open.buf;
            xmltext::trim_trailing_newlines(&mut text);
            let acc = match open.sink {
                Sink::Comments => &mut self.comments,
                Sink::Footnotes => &mut self.footnotes,
                Sink::Endnotes => &mut self.endnotes,
                Sink::Tracked => &mut self.tracked,
                Sink::Notes => &mut self.notes,
                Sink::Cell {
                    sheet,
                    col,
                    row,
                    string,
                } => {
                    if string {
                        let part = Part::Sheet {
                            name: sheet,
                            cell: Some(xmltext::cell_ref(col, row.saturating_add(1))),
                        };
                        ctx.emit(part, &text)?;
                    }
                    continue;
                }
                Sink::HeaderFooter { header, name } => {
                    let part = if header {
                        Part::Header { name }
                    } else {
                        Part::Footer { name }
                    };
                    ctx.emit(part, &text)?;
                    continue;
                }
                Sink::Skip => continue,
            };
            if !text.is_empty() {
                acc.push_str(&text);
                acc.push('\n');
            }
        }
        Ok(())
    }
}

/// Emits `text` (trailing line breaks dropped) as `part`, clearing it.
fn flush(text: &mut String, part: Part, ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    xmltext::trim_trailing_newlines(text);
    let r = ctx.emit(part, text);
    text.clear();
    r
}

/// Walks content.xml once, reporting body, cells or slides as they complete.
fn read_content(
    format: Format,
    bytes: &[u8],
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, format, "content.xml");
    let mut t = Text::default();
    let mut tables: Vec<Table> = Vec::new();
    let mut slide: u32 = 0;
    let mut endnote = false;
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) => {
                let depth = xml.depth();
                let name = xmltext::start_local(&e);
                if t.inline_start(name, &e) {
                    continue;
                }
                match name {
                    "annotation" => t.open(Sink::Comments, depth),
                    "creator" | "date" | "date-string" | "note-citation" | "change-info" => {
                        t.open(Sink::Skip, depth);
                    }
                    "note" => {
                        endnote = xmltext::attr(&e, "note-class").is_some_and(|c| c == "endnote");
                    }
                    "note-body" => {
                        let sink = if endnote {
                            Sink::Endnotes
                        } else {
                            Sink::Footnotes
                        };
                        t.open(sink, depth);
                    }
                    "tracked-changes" => t.open(Sink::Tracked, depth),
                    "page" if format == Format::Odp => {
                        slide = slide.saturating_add(1);
                        t.base.clear();
                        t.notes.clear();
                    }
                    "notes" if format == Format::Odp => t.open(Sink::Notes, depth),
                    "table" if format == Format::Ods => {
                        let name = xmltext::attr(&e, "name").unwrap_or_default();
                        ctx.emit(
                            Part::Sheet {
                                name: name.clone(),
                                cell: None,
                            },
                            &name,
                        )?;
                        let mut tb = Table {
                            name,
                            row: 0,
                            col: 0,
                            row_repeat: 1,
                            loose: String::new(),
                        };
                        // Text outside the cells collects separately for this sheet; the
                        // outer text waits in `loose` until the table ends.
                        std::mem::swap(&mut t.base, &mut tb.loose);
                        tables.push(tb);
                    }
                    "table-row" if format == Format::Ods => {
                        if let Some(tb) = tables.last_mut() {
                            tb.col = 0;
                            tb.row_repeat = repeat(&e, "number-rows-repeated");
                        }
                    }
                    "table-cell" | "covered-table-cell" if format == Format::Ods => {
                        if let Some(tb) = tables.last_mut() {
                            let (col, row) = (tb.col, tb.row);
                            tb.col = tb.col.saturating_add(repeat(&e, "number-columns-repeated"));
                            let string =
                                xmltext::attr(&e, "value-type").is_none_or(|v| v == "string");
                            let sheet = tb.name.clone();
                            t.open(
                                Sink::Cell {
                                    sheet,
                                    col,
                                    row,
                                    string,
                                },
                                depth,
                            );
                        }
                    }
                    _ => {}
                }
            }
            XmlEvent::End(e) => {
                let name = xmltext::end_local(&e);
                t.inline_end(name);
                t.close_to(xml.depth(), ctx)?;
                match name {
                    "page" if format == Format::Odp => {
                        flush(&mut t.base, Part::Slide { slide }, ctx)?;
                        flush(&mut t.notes, Part::Notes { slide }, ctx)?;
                    }
                    "table-row" if format == Format::Ods => {
                        if let Some(tb) = tables.last_mut() {
                            tb.row = tb.row.saturating_add(tb.row_repeat);
                            tb.row_repeat = 1;
                        }
                    }
                    "table" if format == Format::Ods => {
                        if let Some(mut tb) = tables.pop() {
                            std::mem::swap(&mut t.base, &mut tb.loose);
                            let part = Part::Sheet {
                                name: tb.name,
                                cell: None,
                            };
                            flush(&mut tb.loose, part, ctx)?;
                        }
                    }
                    _ => {}
                }
            }
            XmlEvent::Text(s) => t.text(&s),
            XmlEvent::Eof => break,
        }
    }
    t.close_to(0, ctx)?;
    // Odt body; for ods, text outside any table; for odp, nothing is left outside pages.
    flush(&mut t.base, Part::Body, ctx)?;
    flush(&mut t.footnotes, Part::Footnotes, ctx)?;
    flush(&mut t.endnotes, Part::Endnotes, ctx)?;
    flush(&mut t.comments, Part::Comments, ctx)?;
    flush(
        &mut t.tracked,
        Part::Other {
            name: "tracked-changes".into(),
        },
        ctx,
    )
}

/// A `number-…-repeated` count (at least 1).
fn repeat(e: &quick_xml::events::BytesStart<'_>, attr: &str) -> u64 {
    xmltext::attr(e, attr)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// Master-page headers and footers (and other master-page text) from styles.xml.
fn read_styles(format: Format, bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, format, "styles.xml");
    let mut t = Text::default();
    let mut master: Option<String> = None;
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) => {
                let depth = xml.depth();
                let name = xmltext::start_local(&e);
                if t.inline_start(name, &e) {
                    continue;
                }
                match name {
                    "master-page" => {
                        master = Some(xmltext::attr(&e, "name").unwrap_or_default());
                        t.base.clear();
                    }
                    "header" | "header-left" | "header-first" | "footer" | "footer-left"
                    | "footer-first"
                        if master.is_some() =>
                    {
                        let base = master.clone().unwrap_or_default();
                        let name_of = match name.split_once('-') {
                            Some((_, variant)) => format!("{base}/{variant}"),
                            None => base,
                        };
                        t.open(
                            Sink::HeaderFooter {
                                header: name.starts_with("header"),
                                name: name_of,
                            },
                            depth,
                        );
                    }
                    "annotation" => t.open(Sink::Comments, depth),
                    "creator" | "date" | "date-string" => t.open(Sink::Skip, depth),
                    _ => {}
                }
            }
            XmlEvent::End(e) => {
                let name = xmltext::end_local(&e);
                t.inline_end(name);
                t.close_to(xml.depth(), ctx)?;
                if name == "master-page" {
                    if let Some(m) = master.take() {
                        let part = Part::Other {
                            name: format!("master-page {m}"),
                        };
                        flush(&mut t.base, part, ctx)?;
                    }
                }
            }
            XmlEvent::Text(s) => t.text(&s),
            XmlEvent::Eof => break,
        }
    }
    t.close_to(0, ctx)?;
    flush(&mut t.comments, Part::Comments, ctx)
}

/// meta.xml elements that are not text a person wrote.
const META_SKIP: &[&str] = &[
    "generator",
    "creation-date",
    "date",
    "print-date",
    "editing-cycles",
    "editing-duration",
    "document-statistic",
    "template",
    "auto-reload",
    "hyperlink-behaviour",
];

/// Document properties from meta.xml, one per line; user-defined ones as `name: value`.
fn read_meta(format: Format, bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, format, "meta.xml");
    let mut out = String::new();
    let mut leaf = String::new();
    let mut user: Option<String> = None;
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) => {
                let name = xmltext::start_local(&e);
                if META_SKIP.contains(&name) {
                    xml.skip_element(ctx)?;
                } else if name == "user-defined" {
                    user = xmltext::attr(&e, "name");
                }
                leaf.clear();
            }
            XmlEvent::Text(s) => leaf.push_str(&s),
            XmlEvent::End(e) => {
                let value = leaf.trim();
                if xmltext::end_local(&e) == "user-defined" {
                    let name = user.take().unwrap_or_default();
                    if !name.is_empty() || !value.is_empty() {
                        out.push_str(&name);
                        out.push_str(": ");
                        out.push_str(value);
                        out.push('\n');
                    }
                } else if !value.is_empty() {
                    out.push_str(value);
                    out.push('\n');
                }
                leaf.clear();
            }
            XmlEvent::Eof => break,
        }
    }
    flush(&mut out, Part::Properties, ctx)
}
