//! Office Open XML: Word (.docx), Excel (.xlsx) and PowerPoint (.pptx) 2007+ (DOMAIN R4.3,
//! R8: a classified mark or keyword hides as easily in a header, a comment, a speaker note or
//! a document property as in the body, so every text-bearing part is read).
//!
//! Members are read only through [`Zip`] (zip bombs are bounded there) and parsed with the
//! streaming reader of [`xmltext`] (no entity expansion, bounded nesting, deadline checks).
//!
//! What each format yields:
//!
//! | format | part | [`Part`] |
//! | --- | --- | --- |
//! | docx | `word/document.xml` (incl. tables, text boxes, tracked deletions) | `Body` |
//! | docx | `word/header*.xml`, `word/footer*.xml` | `Header`/`Footer` `{name: "header1.xml"}` |
//! | docx | `word/footnotes.xml`, `endnotes.xml`, `comments.xml` | `Footnotes`, `Endnotes`, `Comments` |
//! | xlsx | every text cell (shared, inline, cached formula strings) | `Sheet{name, cell: Some("C5")}` |
//! | xlsx | sheet names; print headers/footers of a sheet | `Sheet{name, cell: None}`; `Header`/`Footer{name: sheet}` |
//! | xlsx | `xl/comments*.xml` | `Comments` |
//! | pptx | slides in presentation order; their notes | `Slide{slide}`, `Notes{slide}` |
//! | pptx | `ppt/comments/*` | `Comments` |
//! | all | `docProps/core.xml`, `app.xml`, `custom.xml` | `Properties` |
//! | all | charts, drawings, SmartArt, slide masters and layouts | `Other{name: path}` |
//! | all | `*/embeddings/*` (an embedded workbook in a letter) | nested documents |
//!
//! Paragraphs become lines (`\n`), so a finding's line is the paragraph's number in its part.
//! Numbers in spreadsheets are not text and are not emitted.
//!
//! A part that is malformed does not stop the others: the first such error is returned after
//! every other part was read. A budget error (time, inflated bytes, text) ends the file at once.
//!
//! An encrypted OOXML file is not a zip but an OLE2 compound file holding an
//! `EncryptedPackage` stream; given one, these extractors answer [`ExtractError::Encrypted`].

use super::xmltext::{self, ParaRules, XmlEvent, XmlReader};
use super::zipfile::Zip;
use super::{ExtractCtx, ExtractError, Format, Part};
use std::collections::HashMap;

/// Word's paragraph model: `w:p` lines, `w:t` text and `w:delText` (deleted text is still in
/// the file, and leaks), `w:tab`, `w:br`/`w:cr`. `w:pPr` holds tab-stop definitions (not tabs)
/// and `mc:Fallback` repeats the text boxes of `mc:Choice`.
const WORD: ParaRules<'static> = ParaRules {
    para: &["p"],
    text: &["t", "delText"],
    tab: &["tab", "ptab"],
    brk: &["br", "cr"],
    skip: &["pPr", "Fallback"],
    skip_typed: &["footnote", "endnote"],
};

/// DrawingML (slides, notes, drawings, charts, SmartArt): `a:p` lines, `a:t` text, `a:br`.
const DRAWING: ParaRules<'static> = ParaRules {
    para: &["p"],
    text: &["t"],
    tab: &[],
    brk: &["br"],
    skip: &["Fallback"],
    skip_typed: &[],
};

/// Excel comments: one `comment` per line, `t` text; `rPh` is a phonetic reading, not text.
const XL_COMMENTS: ParaRules<'static> = ParaRules {
    para: &["comment"],
    text: &["t"],
    tab: &[],
    brk: &[],
    skip: &["rPh"],
    skip_typed: &[],
};

/// PowerPoint comments, legacy (`p:cm`/`p:text`) and modern (`p188:cm`/`a:p`/`a:t`).
const PPT_COMMENTS: ParaRules<'static> = ParaRules {
    para: &["p", "cm"],
    text: &["t", "text"],
    tab: &[],
    brk: &["br"],
    skip: &["Fallback"],
    skip_typed: &[],
};

/// The OLE2 compound-file signature: what an encrypted OOXML file really is.
const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Word 2007+: body, headers, footers, footnotes, endnotes, comments, properties (see the
/// module docs for the parts and where their text is reported).
pub fn extract_docx(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let format = Format::Docx;
    let mut zip = open(bytes, format, ctx)?;
    let mut outcome = Outcome::default();
    let names = zip.names();

    let body = "word/document.xml";
    if !zip.contains(body) {
        return Err(ExtractError::malformed(format, "no word/document.xml"));
    }
    let r = emit_paragraphs(&mut zip, format, body, Part::Body, &WORD, ctx);
    outcome.part(r)?;

    for (prefix, is_header) in [("word/header", true), ("word/footer", false)] {
        for path in sorted_matching(&names, prefix, ".xml") {
            let file = file_name(&path).to_owned();
            let part = if is_header {
                Part::Header { name: file }
            } else {
                Part::Footer { name: file }
            };
            let r = emit_paragraphs(&mut zip, format, &path, part, &WORD, ctx);
            outcome.part(r)?;
        }
    }
    for (path, part) in [
        ("word/footnotes.xml", Part::Footnotes),
        ("word/endnotes.xml", Part::Endnotes),
        ("word/comments.xml", Part::Comments),
    ] {
        let r = emit_paragraphs(&mut zip, format, path, part, &WORD, ctx);
        outcome.part(r)?;
    }
    drawing_parts(&mut zip, format, &names, "word/", &mut outcome, ctx)?;
    let r = properties(&mut zip, format, ctx);
    outcome.part(r)?;
    let r = embeddings(&mut zip, &names, "word/embeddings/", ctx);
    outcome.part(r)?;
    outcome.finish()
}

/// Excel 2007+: every text cell as `Sheet{name, cell}` (shared strings, inline strings and
/// the cached string results of formulas), sheet names, print headers and footers, comments,
/// drawings and properties.
pub fn extract_xlsx(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let format = Format::Xlsx;
    let mut zip = open(bytes, format, ctx)?;
    let mut outcome = Outcome::default();
    let names = zip.names();

    let workbook_path = "xl/workbook.xml";
    let Some(workbook) = zip.read(workbook_path, ctx)? else {
        return Err(ExtractError::malformed(format, "no xl/workbook.xml"));
    };
    let sheets = workbook_sheets(&workbook, ctx)?;
    drop(workbook);
    let rels = read_rels(&mut zip, format, workbook_path, ctx, &mut outcome)?;
    let by_id: HashMap<&str, &xmltext::Relationship> =
        rels.iter().map(|r| (r.id.as_str(), r)).collect();

    let sst_path = rels
        .iter()
        .find(|r| r.kind == "sharedStrings" && !r.target.is_empty())
        .map_or("xl/sharedStrings.xml", |r| r.target.as_str())
        .to_owned();
    let shared = match zip.read(&sst_path, ctx)? {
        Some(b) => match shared_strings(&b, &sst_path, ctx) {
            Ok(s) => s,
            Err(e) => {
                outcome.part(Err(e))?;
                Vec::new()
            }
        },
        None => Vec::new(),
    };

    // Sheets in workbook order; without a usable workbook list, every worksheet part.
    let mut targets: Vec<(String, String)> = sheets
        .iter()
        .filter_map(|(name, rid)| {
            by_id
                .get(rid.as_str())
                .filter(|r| !r.target.is_empty())
                .map(|r| (name.clone(), r.target.clone()))
        })
        .collect();
    if targets.is_empty() {
        targets = sorted_matching(&names, "xl/worksheets/sheet", ".xml")
            .into_iter()
            .map(|p| (file_stem(&p).to_owned(), p))
            .collect();
    }
    for (name, path) in &targets {
        ctx.emit(
            Part::Sheet {
                name: name.clone(),
                cell: None,
            },
            name,
        )?;
        let Some(sheet) = zip.read(path, ctx)? else {
            continue;
        };
        let r = sheet_cells(&sheet, path, name, &shared, ctx);
        outcome.part(r)?;
    }
    drop(shared);

    for path in sorted_matching(&names, "xl/comments", ".xml") {
        let r = emit_paragraphs(&mut zip, format, &path, Part::Comments, &XL_COMMENTS, ctx);
        outcome.part(r)?;
    }
    drawing_parts(&mut zip, format, &names, "xl/", &mut outcome, ctx)?;
    let r = properties(&mut zip, format, ctx);
    outcome.part(r)?;
    let r = embeddings(&mut zip, &names, "xl/embeddings/", ctx);
    outcome.part(r)?;
    outcome.finish()
}

/// PowerPoint 2007+: slides in presentation order (`Slide{n}`, 1-based), their speaker notes
/// (`Notes{n}`), comments, masters and layouts, and properties.
pub fn extract_pptx(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let format = Format::Pptx;
    let mut zip = open(bytes, format, ctx)?;
    let mut outcome = Outcome::default();
    let names = zip.names();

    let pres_path = "ppt/presentation.xml";
    let Some(pres) = zip.read(pres_path, ctx)? else {
        return Err(ExtractError::malformed(format, "no ppt/presentation.xml"));
    };
    let ids = slide_ids(&pres, ctx)?;
    drop(pres);
    let rels = read_rels(&mut zip, format, pres_path, ctx, &mut outcome)?;
    let by_id: HashMap<&str, &str> = rels
        .iter()
        .filter(|r| !r.target.is_empty())
        .map(|r| (r.id.as_str(), r.target.as_str()))
        .collect();
    let mut slides: Vec<String> = ids
        .iter()
        .filter_map(|id| by_id.get(id.as_str()).map(|t| (*t).to_owned()))
        .collect();
    if slides.is_empty() {
        slides = sorted_matching(&names, "ppt/slides/slide", ".xml");
    }

    for (i, path) in slides.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let r = emit_paragraphs(
            &mut zip,
            format,
            path,
            Part::Slide { slide: number },
            &DRAWING,
            ctx,
        );
        outcome.part(r)?;
        let slide_rels = read_rels(&mut zip, format, path, ctx, &mut outcome)?;
        for rel in slide_rels.iter().filter(|r| r.kind == "notesSlide") {
            if rel.target.is_empty() {
                continue;
            }
            let r = emit_paragraphs(
                &mut zip,
                format,
                &rel.target,
                Part::Notes { slide: number },
                &DRAWING,
                ctx,
            );
            outcome.part(r)?;
        }
    }

    for path in sorted_matching(&names, "ppt/comments/", ".xml") {
        let r = emit_paragraphs(&mut zip, format, &path, Part::Comments, &PPT_COMMENTS, ctx);
        outcome.part(r)?;
    }
    for prefix in [
        "ppt/slideMasters/slideMaster",
        "ppt/slideLayouts/slideLayout",
    ] {
        for path in sorted_matching(&names, prefix, ".xml") {
            let part = Part::Other { name: path.clone() };
            let r = emit_paragraphs(&mut zip, format, &path, part, &DRAWING, ctx);
            outcome.part(r)?;
        }
    }
    drawing_parts(&mut zip, format, &names, "ppt/", &mut outcome, ctx)?;
    let r = properties(&mut zip, format, ctx);
    outcome.part(r)?;
    let r = embeddings(&mut zip, &names, "ppt/embeddings/", ctx);
    outcome.part(r)?;
    outcome.finish()
}

/// Keeps the first error of a part so the other parts are still read; budget errors end the
/// file at once.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    first: Option<ExtractError>,
}

impl Outcome {
    /// Records `r`: budget errors are returned, other errors are remembered.
    pub(crate) fn part(&mut self, r: Result<(), ExtractError>) -> Result<(), ExtractError> {
        match r {
            Ok(()) => Ok(()),
            Err(e @ ExtractError::Budget(_)) => Err(e),
            Err(e) => {
                if self.first.is_none() {
                    self.first = Some(e);
                }
                Ok(())
            }
        }
    }

    /// The first remembered error, if any.
    pub(crate) fn finish(self) -> Result<(), ExtractError> {
        self.first.map_or(Ok(()), Err)
    }
}

/// Opens the package; an OLE2 file given as OOXML is an encrypted package (or not OOXML).
fn open<'b>(
    bytes: &'b [u8],
    format: Format,
    ctx: &mut ExtractCtx<'_>,
) -> Result<Zip<'b>, ExtractError> {
    if bytes.starts_with(&OLE2_MAGIC) {
        return Err(super::legacy::ole_as_ooxml(format, bytes));
    }
    Zip::open(bytes, format, ctx)
}

/// Part names starting with `prefix` and ending with `suffix`, in natural order
/// (`header2.xml` before `header10.xml`). Relationship parts are left out.
fn sorted_matching(names: &[String], prefix: &str, suffix: &str) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix) && !n.contains("/_rels/"))
        .cloned()
        .collect();
    out.sort_by_key(|n| xmltext::natural_key(n));
    out
}

/// The last path segment.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The last path segment without its extension.
fn file_stem(path: &str) -> &str {
    let name = file_name(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// Reads part `path` (if present) and emits its paragraphs as one segment.
fn emit_paragraphs(
    zip: &mut Zip<'_>,
    format: Format,
    path: &str,
    part: Part,
    rules: &ParaRules<'_>,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    let Some(bytes) = zip.read(path, ctx)? else {
        return Ok(());
    };
    let text = xmltext::paragraphs(&bytes, format, path, rules, ctx)?;
    ctx.emit(part, &text)
}

/// Reads the relationships of `owner`; a missing `.rels` is an empty list, a malformed one is
/// remembered in `outcome` and also yields an empty list.
fn read_rels(
    zip: &mut Zip<'_>,
    format: Format,
    owner: &str,
    ctx: &mut ExtractCtx<'_>,
    outcome: &mut Outcome,
) -> Result<Vec<xmltext::Relationship>, ExtractError> {
    let (path, base) = xmltext::rels_path(owner);
    let Some(bytes) = zip.read(&path, ctx)? else {
        return Ok(Vec::new());
    };
    match xmltext::relationships(&bytes, format, &path, &base, ctx) {
        Ok(r) => Ok(r),
        Err(e) => {
            outcome.part(Err(e))?;
            Ok(Vec::new())
        }
    }
}

/// Charts, drawings (shapes and text boxes on sheets) and SmartArt data under `root`, each as
/// `Part::Other{name: path}`.
fn drawing_parts(
    zip: &mut Zip<'_>,
    format: Format,
    names: &[String],
    root: &str,
    outcome: &mut Outcome,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    for sub in ["charts/chart", "drawings/drawing", "diagrams/data"] {
        let prefix = format!("{root}{sub}");
        for path in sorted_matching(names, &prefix, ".xml") {
            let part = Part::Other { name: path.clone() };
            let r = emit_paragraphs(zip, format, &path, part, &DRAWING, ctx);
            outcome.part(r)?;
        }
    }
    Ok(())
}

/// Embedded documents (an .xlsx inside a .docx, …), extracted as nested members. OLE objects
/// (`oleObject1.bin`) are unknown binaries and are counted as skipped by the nesting.
fn embeddings(
    zip: &mut Zip<'_>,
    names: &[String],
    prefix: &str,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    for path in sorted_matching(names, prefix, "") {
        if path.ends_with('/') {
            continue;
        }
        let Some(bytes) = zip.read(&path, ctx)? else {
            continue;
        };
        ctx.nested(&path, &bytes)?;
    }
    Ok(())
}

/// Core properties that are not text a person wrote (dates, revision counters).
const CORE_SKIP: &[&str] = &["created", "modified", "revision", "lastPrinted"];

/// Extended properties that are statistics or application facts, not text.
const APP_SKIP: &[&str] = &[
    "Application",
    "AppVersion",
    "DocSecurity",
    "ScaleCrop",
    "LinksUpToDate",
    "SharedDoc",
    "HyperlinksChanged",
    "Pages",
    "Words",
    "Characters",
    "CharactersWithSpaces",
    "Lines",
    "Paragraphs",
    "TotalTime",
    "Slides",
    "Notes",
    "HiddenSlides",
    "MMClips",
    "PresentationFormat",
    "HeadingPairs",
    "DigSig",
];

/// Document properties: `docProps/core.xml` (title, subject, author, keywords, …),
/// `docProps/app.xml` (company, manager, titles of parts) and `docProps/custom.xml`
/// (`name: value` per custom property), each a `Part::Properties` segment, one property per
/// line.
fn properties(
    zip: &mut Zip<'_>,
    format: Format,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    let mut outcome = Outcome::default();
    for (path, skip) in [
        ("docProps/core.xml", CORE_SKIP),
        ("docProps/app.xml", APP_SKIP),
    ] {
        let Some(bytes) = zip.read(path, ctx)? else {
            continue;
        };
        let r = leaf_lines(&bytes, format, path, skip, ctx)
            .and_then(|t| ctx.emit(Part::Properties, &t));
        outcome.part(r)?;
    }
    let path = "docProps/custom.xml";
    if let Some(bytes) = zip.read(path, ctx)? {
        let r = custom_properties(&bytes, format, path, ctx)
            .and_then(|t| ctx.emit(Part::Properties, &t));
        outcome.part(r)?;
    }
    outcome.finish()
}

/// The text of every leaf element, one per line, except elements named in `skip`.
fn leaf_lines(
    bytes: &[u8],
    format: Format,
    part: &str,
    skip: &[&str],
    ctx: &mut ExtractCtx<'_>,
) -> Result<String, ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, format, part);
    let mut out = String::new();
    let mut leaf = String::new();
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) => {
                if skip.contains(&xmltext::start_local(&e)) {
                    xml.skip_element(ctx)?;
                }
                leaf.clear();
            }
            XmlEvent::Text(t) => leaf.push_str(&t),
            XmlEvent::End(_) => {
                let value = leaf.trim();
                if !value.is_empty() {
                    out.push_str(value);
                    out.push('\n');
                }
                leaf.clear();
            }
            XmlEvent::Eof => break,
        }
    }
    xmltext::trim_trailing_newlines(&mut out);
    Ok(out)
}

/// Custom properties as `name: value` lines (the name matters: `密级: 机密`).
fn custom_properties(
    bytes: &[u8],
    format: Format,
    part: &str,
    ctx: &mut ExtractCtx<'_>,
) -> Result<String, ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, format, part);
    let mut out = String::new();
    let mut current: Option<(String, String)> = None;
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) if xmltext::start_local(&e) == "property" => {
                current = Some((xmltext::attr(&e, "name").unwrap_or_default(), String::new()));
            }
            XmlEvent::Text(t) => {
                if let Some((_, value)) = current.as_mut() {
                    value.push_str(&t);
                }
            }
            XmlEvent::End(e) if xmltext::end_local(&e) == "property" => {
                if let Some((name, value)) = current.take() {
                    let value = value.trim();
                    if !name.is_empty() || !value.is_empty() {
                        out.push_str(&name);
                        out.push_str(": ");
                        out.push_str(value);
                        out.push('\n');
                    }
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    xmltext::trim_trailing_newlines(&mut out);
    Ok(out)
}

/// `(name, r:id)` of each sheet in `xl/workbook.xml`, in workbook order.
fn workbook_sheets(
    bytes: &[u8],
    ctx: &mut ExtractCtx<'_>,
) -> Result<Vec<(String, String)>, ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, Format::Xlsx, "xl/workbook.xml");
    let mut out = Vec::new();
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) if xmltext::start_local(&e) == "sheet" => {
                let name = xmltext::attr(&e, "name").unwrap_or_default();
                let rid = xmltext::attr_prefixed(&e, "id").unwrap_or_default();
                out.push((name, rid));
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// The shared-string table: each `si` is the concatenation of its `t` runs, phonetic
/// readings (`rPh`) left out.
fn shared_strings(
    bytes: &[u8],
    part: &str,
    ctx: &mut ExtractCtx<'_>,
) -> Result<Vec<String>, ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, Format::Xlsx, part);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut in_t = 0usize;
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) => match xmltext::start_local(&e) {
                "si" => current = Some(String::new()),
                "t" => in_t += 1,
                "rPh" => xml.skip_element(ctx)?,
                _ => {}
            },
            XmlEvent::End(e) => match xmltext::end_local(&e) {
                "si" => out.push(current.take().unwrap_or_default()),
                "t" => in_t = in_t.saturating_sub(1),
                _ => {}
            },
            XmlEvent::Text(t) => {
                if in_t > 0 {
                    if let Some(s) = current.as_mut() {
                        s.push_str(&t);
                    }
                }
            }
            XmlEvent::Eof => break,
        }
    }
    Ok(out)
}

/// Splits `B3` into a 0-based column and a 1-based row; `None` unless it is letters then
/// digits within Excel-like bounds (`$` signs are ignored).
fn parse_cell_ref(r: &str) -> Option<(u64, u64)> {
    let r = r.trim();
    let mut col: u64 = 0;
    let mut letters = 0usize;
    let mut chars = r.chars().filter(|&c| c != '$').peekable();
    while let Some(&c) = chars.peek() {
        if !c.is_ascii_alphabetic() {
            break;
        }
        letters += 1;
        if letters > 7 {
            return None;
        }
        let v = u64::from(c.to_ascii_uppercase() as u8 - b'A' + 1);
        col = col * 26 + v;
        chars.next();
    }
    let digits: String = chars.collect();
    if letters == 0 || digits.is_empty() || digits.len() > 12 {
        return None;
    }
    let row = digits.parse::<u64>().ok().filter(|&n| n > 0)?;
    Some((col - 1, row))
}

/// The text cells of one worksheet, each emitted as `Sheet{name, cell}`; print headers and
/// footers as `Header`/`Footer{name: sheet}`. Cells without an `r` attribute get the address
/// that follows the previous cell (rows likewise).
fn sheet_cells(
    bytes: &[u8],
    part: &str,
    sheet: &str,
    shared: &[String],
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, Format::Xlsx, part);
    let mut row: u64 = 0;
    let mut next_col: u64 = 0;
    // The open cell: its address and type.
    let mut cell: Option<(u64, u64, String)> = None;
    let mut value = String::new();
    let mut inline = String::new();
    let mut in_v = false;
    let mut in_t = 0usize;
    // Header/footer element being read: (is_header, text).
    let mut header: Option<(bool, String)> = None;
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) => match xmltext::start_local(&e) {
                "row" => {
                    row = xmltext::attr(&e, "r")
                        .and_then(|r| r.trim().parse::<u64>().ok())
                        .filter(|&r| r > 0)
                        .unwrap_or(row.saturating_add(1));
                    next_col = 0;
                }
                "c" => {
                    let (col, r) = xmltext::attr(&e, "r")
                        .and_then(|r| parse_cell_ref(&r))
                        .unwrap_or((next_col, row.max(1)));
                    next_col = col.saturating_add(1);
                    let kind = xmltext::attr(&e, "t").unwrap_or_else(|| "n".to_owned());
                    cell = Some((col, r, kind));
                    value.clear();
                    inline.clear();
                }
                "v" => in_v = true,
                "t" => in_t += 1,
                "f" | "rPh" => xml.skip_element(ctx)?,
                "oddHeader" | "evenHeader" | "firstHeader" => {
                    header = Some((true, String::new()));
                }
                "oddFooter" | "evenFooter" | "firstFooter" => {
                    header = Some((false, String::new()));
                }
                _ => {}
            },
            XmlEvent::End(e) => match xmltext::end_local(&e) {
                "v" => in_v = false,
                "t" => in_t = in_t.saturating_sub(1),
                "c" => {
                    if let Some((col, r, kind)) = cell.take() {
                        let text = match kind.as_str() {
                            "s" => value
                                .trim()
                                .parse::<usize>()
                                .ok()
                                .and_then(|i| shared.get(i))
                                .map(String::as_str),
                            "inlineStr" => Some(inline.as_str()),
                            "str" => Some(value.as_str()),
                            _ => None,
                        };
                        if let Some(text) = text.filter(|t| !t.is_empty()) {
                            let part = Part::Sheet {
                                name: sheet.to_owned(),
                                cell: Some(xmltext::cell_ref(col, r)),
                            };
                            ctx.emit(part, text)?;
                        }
                    }
                    in_v = false;
                    in_t = 0;
                }
                "oddHeader" | "evenHeader" | "firstHeader" | "oddFooter" | "evenFooter"
                | "firstFooter" => {
                    if let Some((is_header, raw)) = header.take() {
                        let text = strip_header_codes(&raw);
                        let name = sheet.to_owned();
                        let part = if is_header {
                            Part::Header { name }
                        } else {
                            Part::Footer { name }
                        };
                        ctx.emit(part, &text)?;
                    }
                }
                _ => {}
            },
            XmlEvent::Text(t) => {
                if let Some((_, s)) = header.as_mut() {
                    s.push_str(&t);
                } else if cell.is_some() {
                    if in_v {
                        value.push_str(&t);
                    } else if in_t > 0 {
                        inline.push_str(&t);
                    }
                }
            }
            XmlEvent::Eof => break,
        }
    }
    Ok(())
}

/// Turns an Excel header/footer string (`&L左&C&"宋体,加粗"&12机密&R&P`) into its text, one
/// line per section (left, centre, right); field and formatting codes are dropped. Shared with
/// the .xls reader, whose HEADER/FOOTER records use the same codes.
pub(crate) fn strip_header_codes(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '&' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('&') => out.push('&'),
            Some('L' | 'C' | 'R') if !out.is_empty() && !out.ends_with('\n') => out.push('\n'),
            Some('"') => {
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            }
            Some('K') => {
                for _ in 0..6 {
                    chars.next();
                }
            }
            Some(d) if d.is_ascii_digit() => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out.trim_end_matches('\n').to_owned()
}

/// The relationship ids of the slides in `p:sldIdLst`, in presentation order.
fn slide_ids(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<Vec<String>, ExtractError> {
    let text = xmltext::to_utf8(bytes);
    let mut xml = XmlReader::new(&text, Format::Pptx, "ppt/presentation.xml");
    let mut out = Vec::new();
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) if xmltext::start_local(&e) == "sldId" => {
                if let Some(id) = xmltext::attr_prefixed(&e, "id") {
                    out.push(id);
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs_parse() {
        assert_eq!(parse_cell_ref("A1"), Some((0, 1)));
        assert_eq!(parse_cell_ref("C5"), Some((2, 5)));
        assert_eq!(parse_cell_ref("$AA$10"), Some((26, 10)));
        assert_eq!(parse_cell_ref("XFD1048576"), Some((16383, 1_048_576)));
        assert_eq!(parse_cell_ref("5"), None);
        assert_eq!(parse_cell_ref("A0"), None);
        assert_eq!(parse_cell_ref("AAAAAAAAA1"), None);
    }

    #[test]
    fn header_codes_are_stripped() {
        assert_eq!(
            strip_header_codes("&L左&C&\"宋体,加粗\"&12机密★5年&R第&P页 &K00FF00x&&y"),
            "左\n机密★5年\n第页 x&y"
        );
    }
}
