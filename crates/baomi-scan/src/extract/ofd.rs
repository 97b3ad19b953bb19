//! OFD (GB/T 33190-2016), the Chinese fixed-layout format that government documents are
//! issued in: a zip package of XML parts.
//!
//! The path through the package, as the standard lays it out:
//!
//! ```text
//! OFD.xml ── DocBody ─┬─ DocInfo (Title, Author, Subject, Abstract, Keywords) → Part::Properties
//!                     └─ DocRoot → Doc_0/Document.xml
//!                          ├─ Pages/Page@BaseLoc → Pages/Page_0/Content.xml   → Part::Page
//!                          │     (Template@TemplateID → CommonData/TemplatePage@BaseLoc,
//!                          │      merged into the page: background before, foreground after)
//!                          ├─ Annotations → Annots/Annotations.xml
//!                          │     └─ Page@PageID / FileLoc → Annot (Remark, Parameters,
//!                          │        Appearance TextObjects)                     → Part::Annotation
//!                          └─ Attachments → Attachments.xml
//!                                └─ Attachment@Name / FileLoc → scanned as a nested member
//! ```
//!
//! Every member is read through [`Zip`] (so entry counts, ratios and inflated bytes are
//! budgeted). Element names are matched on their local names, since producers write the `ofd:`
//! prefix or not. Paths may be absolute in the package (`/Doc_0/…`) or relative; they are
//! resolved against the referring part's folder first, then the document's folder, then the
//! package root, and a path that climbs out of the package with `..` is refused.
//!
//! Text: each `TextCode` is placed at its `TextObject`'s `Boundary` plus its `X`/`Y`; a code on
//! a new baseline starts a new line, codes and objects on the same baseline join (with a space
//! only where the horizontal gap is wider than a third of the font size, so one-character
//! objects — a common way producers write Chinese — read as words).
//!
//! A referenced part that is missing, unreadable or outside the package does not stop the rest
//! of the file: everything else is extracted first, and then the file ends with
//! [`ExtractError::Malformed`] naming what was missing, so it is counted and reported.

use super::zipfile::Zip;
use super::{ExtractCtx, ExtractError, Format, Part};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;

/// Events between deadline checks while reading XML.
const CHECK_EVERY: u64 = 4096;

/// OFD: page text (with templates), annotations, attachments and document metadata.
pub fn extract(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let mut zip = Zip::open(bytes, Format::Ofd, ctx)?;
    let mut pkg = Package {
        zip: &mut zip,
        problems: Vec::new(),
    };
    let Some(ofd) = pkg.read_path("OFD.xml", ctx)? else {
        return Err(ExtractError::malformed(Format::Ofd, "no OFD.xml"));
    };
    let bodies = parse_ofd_xml(&ofd, ctx)?;
    let mut page_base = 0u32;
    for body in bodies {
        ctx.budget().check_time()?;
        let props = body.info.join("\n");
        if !props.trim().is_empty() {
            ctx.emit(Part::Properties, &props)?;
        }
        let Some(root) = body.doc_root else {
            continue;
        };
        let Some(doc_path) = normalize("", &root) else {
            pkg.problems.push(format!("{root} (outside the package)"));
            continue;
        };
        page_base = extract_document(&mut pkg, &doc_path, page_base, ctx)?;
    }
    if pkg.problems.is_empty() {
        Ok(())
    } else {
        Err(ExtractError::malformed(
            Format::Ofd,
            format!(
                "referenced parts missing or outside the package: {}",
                pkg.problems.join(", ")
            ),
        ))
    }
}

struct Package<'z, 'b> {
    zip: &'z mut Zip<'b>,
    problems: Vec<String>,
}

impl Package<'_, '_> {
    /// Reads a member by its normalised path.
    fn read_path(
        &mut self,
        path: &str,
        ctx: &mut ExtractCtx<'_>,
    ) -> Result<Option<Vec<u8>>, ExtractError> {
        self.zip.read(path, ctx)
    }

    /// Resolves `loc` as written in the part at `from` (a normalised path) inside the
    /// document whose folder is `doc_dir`, and reads it. Missing or escaping paths are noted
    /// as problems and yield `None`.
    fn read_loc(
        &mut self,
        from: &str,
        doc_dir: &str,
        loc: &str,
        ctx: &mut ExtractCtx<'_>,
    ) -> Result<Option<(String, Vec<u8>)>, ExtractError> {
        let loc = loc.trim();
        if loc.is_empty() {
            return Ok(None);
        }
        // Relative to the referring part is the standard's rule; a path that climbs out of the
        // package from there is refused. Producers that write paths relative to the document
        // folder or the package root are met by the fallbacks.
        let Some(primary) = normalize(parent(from), loc) else {
            self.problems.push(format!("{loc} (outside the package)"));
            return Ok(None);
        };
        let mut candidates = vec![primary];
        for base in [doc_dir, ""] {
            if let Some(p) = normalize(base, loc) {
                if !candidates.contains(&p) {
                    candidates.push(p);
                }
            }
        }
        for p in candidates {
            if self.zip.contains(&p) {
                return Ok(self.zip.read(&p, ctx)?.map(|b| (p, b)));
            }
        }
        self.problems.push(format!("{loc} (missing)"));
        Ok(None)
    }
}

/// The folder of a normalised path (`Doc_0/Document.xml` → `Doc_0`).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Joins `loc` to `base` (a folder, normalised), resolving `.` and `..`. An absolute `loc`
/// (`/Doc_0/…`) starts at the package root. `None` if the path climbs out of the package.
fn normalize(base: &str, loc: &str) -> Option<String> {
    let loc = loc.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    if !loc.starts_with('/') {
        parts.extend(base.split('/').filter(|s| !s.is_empty()));
    }
    for seg in loc.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

// ---------------------------------------------------------------------------------------------
// XML as a flat stream of simplified events.

enum Ev {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
    },
    End {
        name: String,
    },
    Text(String),
}

/// Decodes an XML part to text: UTF-8 (the standard's encoding), UTF-16 with a BOM, or GBK /
/// GB 18030 when the declaration says so.
fn decode_xml(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let rest = bytes.get(bom..).unwrap_or_default();
        return enc.decode_without_bom_handling(rest).0.into_owned();
    }
    let head = bytes.get(..bytes.len().min(200)).unwrap_or_default();
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    if let Some(i) = head.find("encoding=") {
        let decl = head.get(i + 9..).unwrap_or_default();
        let decl = decl.trim_start_matches(['"', '\'']);
        if decl.starts_with("gb") {
            return encoding_rs::GB18030
                .decode_without_bom_handling(bytes)
                .0
                .into_owned();
        }
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// Walks the XML in `bytes`, calling `f` for each start tag, end tag and text run, with local
/// names. Malformed XML ends the walk with what was read so far (`Ok`); only budget errors
/// (the deadline) are returned.
fn walk(
    bytes: &[u8],
    ctx: &mut ExtractCtx<'_>,
    mut f: impl FnMut(Ev, &mut ExtractCtx<'_>) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    let text = decode_xml(bytes);
    let mut reader = Reader::from_str(&text);
    let mut n = 0u64;
    loop {
        n += 1;
        if n.is_multiple_of(CHECK_EVERY) {
            ctx.budget().check_time()?;
        }
        let ev = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(ev) => ev,
        };
        match ev {
            Event::Start(e) => f(start_ev(&e), ctx)?,
            Event::Empty(e) => {
                let name = local(e.name().as_ref());
                f(start_ev(&e), ctx)?;
                f(Ev::End { name }, ctx)?;
            }
            Event::End(e) => f(
                Ev::End {
                    name: local(e.name().as_ref()),
                },
                ctx,
            )?,
            Event::Text(t) => f(Ev::Text(t.xml10_content().into_owned()), ctx)?,
            Event::CData(t) => f(Ev::Text(t.to_string()), ctx)?,
            Event::GeneralRef(r) => {
                let s = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(&r)
                        .unwrap_or_default()
                        .to_owned(),
                };
                f(Ev::Text(s), ctx)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn start_ev(e: &quick_xml::events::BytesStart<'_>) -> Ev {
    let name = local(e.name().as_ref());
    let attrs = e
        .attributes()
        .flatten()
        .map(|a| {
            let key = local(a.key.as_ref());
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_default();
            (key, value)
        })
        .collect();
    Ev::Start { name, attrs }
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn local(name: &str) -> String {
    name.rsplit_once(':').map_or(name, |(_, l)| l).to_owned()
}

// ---------------------------------------------------------------------------------------------
// OFD.xml

#[derive(Debug, Default)]
struct Body {
    doc_root: Option<String>,
    info: Vec<String>,
}

/// Elements of `DocInfo` whose text is document metadata worth scanning.
const INFO_FIELDS: [&str; 7] = [
    "Title",
    "Author",
    "Subject",
    "Abstract",
    "Keyword",
    "Creator",
    "CustomData",
];

fn parse_ofd_xml(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<Vec<Body>, ExtractError> {
    let mut bodies: Vec<Body> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    walk(bytes, ctx, |ev, _| {
        match ev {
            Ev::Start { name, .. } => {
                if name == "DocBody" {
                    bodies.push(Body::default());
                }
                text.clear();
                stack.push(name);
            }
            Ev::Text(t) => text.push_str(&t),
            Ev::End { name } => {
                let in_info = stack.iter().any(|s| s == "DocInfo");
                if let Some(body) = bodies.last_mut() {
                    let value = text.trim();
                    if name == "DocRoot" && !value.is_empty() {
                        body.doc_root = Some(value.to_owned());
                    } else if in_info && INFO_FIELDS.contains(&name.as_str()) && !value.is_empty() {
                        body.info.push(value.to_owned());
                    }
                }
                text.clear();
                stack.pop();
            }
        }
        Ok(())
    })?;
    Ok(bodies)
}

// ---------------------------------------------------------------------------------------------
// Document.xml and what hangs off it

#[derive(Debug, Default)]
struct DocXml {
    /// (ID, BaseLoc) in page order.
    pages: Vec<(String, String)>,
    /// TemplatePage ID → BaseLoc.
    templates: Vec<(String, String)>,
    annotations: Option<String>,
    attachments: Option<String>,
}

fn parse_document_xml(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<DocXml, ExtractError> {
    let mut doc = DocXml::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    walk(bytes, ctx, |ev, _| {
        match ev {
            Ev::Start { name, attrs } => {
                let parent = stack.last().map(String::as_str);
                let id = attr(&attrs, "ID").unwrap_or_default().to_owned();
                let loc = attr(&attrs, "BaseLoc").map(str::to_owned);
                match (name.as_str(), parent, loc) {
                    ("Page", Some("Pages"), Some(loc)) => doc.pages.push((id, loc)),
                    ("TemplatePage", _, Some(loc)) => doc.templates.push((id, loc)),
                    _ => {}
                }
                text.clear();
                stack.push(name);
            }
            Ev::Text(t) => text.push_str(&t),
            Ev::End { name } => {
                stack.pop();
                let parent = stack.last().map(String::as_str);
                let value = text.trim();
                if parent == Some("Document") && !value.is_empty() {
                    match name.as_str() {
                        "Annotations" => doc.annotations = Some(value.to_owned()),
                        "Attachments" => doc.attachments = Some(value.to_owned()),
                        _ => {}
                    }
                }
                text.clear();
            }
        }
        Ok(())
    })?;
    Ok(doc)
}

/// Extracts one document (its Document.xml at `doc_path`); pages are numbered from
/// `page_base + 1`. Returns the last page number used.
fn extract_document(
    pkg: &mut Package<'_, '_>,
    doc_path: &str,
    page_base: u32,
    ctx: &mut ExtractCtx<'_>,
) -> Result<u32, ExtractError> {
    let Some(bytes) = pkg.read_path(doc_path, ctx)? else {
        pkg.problems.push(format!("{doc_path} (missing)"));
        return Ok(page_base);
    };
    let doc = parse_document_xml(&bytes, ctx)?;
    let doc_dir = parent(doc_path).to_owned();
    let mut template_text: HashMap<String, String> = HashMap::new();
    let mut page_numbers: HashMap<String, u32> = HashMap::new();
    let mut page_no = page_base;
    for (id, loc) in &doc.pages {
        ctx.budget().check_time()?;
        page_no = page_no.saturating_add(1);
        if !id.is_empty() {
            page_numbers.insert(id.clone(), page_no);
        }
        let Some((path, content)) = pkg.read_loc(doc_path, &doc_dir, loc, ctx)? else {
            continue;
        };
        let page = parse_content(&content, ctx)?;
        let mut before = Vec::new();
        let mut after = Vec::new();
        for (tpl_id, z) in &page.templates {
            let text = match template_text.get(tpl_id) {
                Some(t) => t.clone(),
                None => {
                    let loc = doc
                        .templates
                        .iter()
                        .find(|(i, _)| i == tpl_id)
                        .map(|(_, l)| l.clone());
                    let text = match loc {
                        Some(loc) => match pkg.read_loc(doc_path, &doc_dir, &loc, ctx)? {
                            Some((_, b)) => parse_content(&b, ctx)?.text,
                            None => String::new(),
                        },
                        None => {
                            pkg.problems.push(format!("template {tpl_id} of {path}"));
                            String::new()
                        }
                    };
                    template_text.insert(tpl_id.clone(), text.clone());
                    text
                }
            };
            if z == "Foreground" {
                after.push(text);
            } else {
                before.push(text);
            }
        }
        let all: Vec<String> = before
            .into_iter()
            .chain(std::iter::once(page.text))
            .chain(after)
            .filter(|t| !t.trim().is_empty())
            .collect();
        let text = all.join("\n");
        if !text.is_empty() {
            ctx.emit(Part::Page { page: page_no }, &text)?;
        }
    }
    if let Some(loc) = &doc.annotations {
        annotations(pkg, doc_path, &doc_dir, loc, &page_numbers, ctx)?;
    }
    if let Some(loc) = &doc.attachments {
        attachments(pkg, doc_path, &doc_dir, loc, ctx)?;
    }
    Ok(page_no)
}

// ---------------------------------------------------------------------------------------------
// Page and template content: TextObject / TextCode laid out as lines

struct PageContent {
    /// (TemplateID, ZOrder).
    templates: Vec<(String, String)>,
    text: String,
}

/// Lines from positioned text codes.
#[derive(Debug, Default)]
struct Layout {
    text: String,
    /// (end x, baseline y, size) of the last code.
    last: Option<(f64, f64, f64)>,
}

impl Layout {
    fn add(&mut self, x: f64, y: f64, size: f64, s: &str, deltas: &[f64]) {
        if let Some((end_x, last_y, last_size)) = self.last {
            let tol = 0.5 * last_size.max(size);
            if (y - last_y).abs() > tol {
                while self.text.ends_with(' ') {
                    self.text.pop();
                }
                if !self.text.is_empty() && !self.text.ends_with('\n') {
                    self.text.push('\n');
                }
            } else {
                let gap = x - end_x;
                if (gap > size / 3.0 || gap < -1.5 * size)
                    && !self.text.is_empty()
                    && !self.text.ends_with(char::is_whitespace)
                    && !s.starts_with(char::is_whitespace)
                {
                    self.text.push(' ');
                }
            }
        }
        self.text
            .extend(s.chars().filter(|c| !c.is_control() || *c == '\t'));
        let chars: Vec<char> = s.chars().collect();
        let width = |c: char| {
            if (c as u32) >= 0x2E80 {
                size
            } else {
                size * 0.5
            }
        };
        let mut end = x;
        for (i, c) in chars.iter().enumerate() {
            if i + 1 < chars.len() {
                end += deltas.get(i).copied().unwrap_or_else(|| width(*c));
            } else {
                end += width(*c);
            }
        }
        self.last = Some((end, y, size));
    }
}

fn numbers(s: &str) -> Vec<f64> {
    s.split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .collect()
}

/// `DeltaX`/`DeltaY`: numbers, with `g n v` standing for `v` repeated `n` times.
fn deltas(s: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut it = s.split_whitespace();
    while let Some(t) = it.next() {
        if t == "g" {
            let n = it.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            let v = it.next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            // A repeat count beyond the text it spaces is meaningless; cap it.
            for _ in 0..n.min(65_536) {
                out.push(v);
            }
        } else if let Ok(v) = t.parse::<f64>() {
            out.push(v);
        }
        if out.len() > 1 << 20 {
            break;
        }
    }
    out
}

#[derive(Debug, Default, Clone, Copy)]
struct TextObj {
    x: f64,
    y: f64,
    size: f64,
}

#[derive(Debug, Default)]
struct Code {
    x: Option<f64>,
    y: Option<f64>,
    deltas: Vec<f64>,
    text: String,
}

/// Collects `TextObject`/`TextCode` text into a [`Layout`]; shared by page contents, templates
/// and annotation appearances.
#[derive(Debug, Default)]
struct TextCollector {
    layout: Layout,
    obj: Option<TextObj>,
    code: Option<Code>,
    /// Where the previous code ended, in object coordinates (for codes without X/Y).
    prev: (f64, f64),
}

impl TextCollector {
    fn start(&mut self, name: &str, attrs: &[(String, String)]) {
        match name {
            "TextObject" => {
                let b = attr(attrs, "Boundary").map(numbers).unwrap_or_default();
                self.obj = Some(TextObj {
                    x: b.first().copied().unwrap_or(0.0),
                    y: b.get(1).copied().unwrap_or(0.0),
                    size: attr(attrs, "Size")
                        .and_then(|s| s.trim().parse::<f64>().ok())
                        .filter(|v| v.is_finite() && *v > 0.0)
                        .unwrap_or(3.5),
                });
                self.prev = (0.0, 0.0);
            }
            "TextCode" if self.obj.is_some() => {
                self.code = Some(Code {
                    x: attr(attrs, "X").and_then(|v| v.trim().parse().ok()),
                    y: attr(attrs, "Y").and_then(|v| v.trim().parse().ok()),
                    deltas: attr(attrs, "DeltaX").map(deltas).unwrap_or_default(),
                    text: String::new(),
                });
            }
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if let Some(code) = &mut self.code {
            code.text.push_str(t);
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "TextCode" => {
                let (Some(code), Some(obj)) = (self.code.take(), self.obj) else {
                    return;
                };
                let x = code.x.filter(|v| v.is_finite()).unwrap_or(self.prev.0);
                let y = code.y.filter(|v| v.is_finite()).unwrap_or(self.prev.1);
                self.layout
                    .add(obj.x + x, obj.y + y, obj.size, &code.text, &code.deltas);
                if let Some((end, _, _)) = self.layout.last {
                    self.prev = (end - obj.x, y);
                }
            }
            "TextObject" => self.obj = None,
            _ => {}
        }
    }
}

fn parse_content(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<PageContent, ExtractError> {
    let mut templates = Vec::new();
    let mut tc = TextCollector::default();
    walk(bytes, ctx, |ev, _| {
        match ev {
            Ev::Start { name, attrs } => {
                if name == "Template" {
                    if let Some(id) = attr(&attrs, "TemplateID") {
                        let z = attr(&attrs, "ZOrder").unwrap_or("Background").to_owned();
                        templates.push((id.to_owned(), z));
                    }
                }
                tc.start(&name, &attrs);
            }
            Ev::Text(t) => tc.text(&t),
            Ev::End { name } => tc.end(&name),
        }
        Ok(())
    })?;
    Ok(PageContent {
        templates,
        text: tc.layout.text.trim().to_owned(),
    })
}

// ---------------------------------------------------------------------------------------------
// Annotations

fn annotations(
    pkg: &mut Package<'_, '_>,
    doc_path: &str,
    doc_dir: &str,
    loc: &str,
    page_numbers: &HashMap<String, u32>,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    let Some((list_path, list)) = pkg.read_loc(doc_path, doc_dir, loc, ctx)? else {
        return Ok(());
    };
    // (PageID, FileLoc) pairs.
    let mut files: Vec<(Option<String>, String)> = Vec::new();
    let mut page_id: Option<String> = None;
    let mut in_fileloc = false;
    let mut text = String::new();
    walk(&list, ctx, |ev, _| {
        match ev {
            Ev::Start { name, attrs } => {
                if name == "Page" {
                    page_id = attr(&attrs, "PageID").map(str::to_owned);
                }
                in_fileloc = name == "FileLoc";
                text.clear();
            }
            Ev::Text(t) if in_fileloc => text.push_str(&t),
            Ev::Text(_) => {}
            Ev::End { name } => {
                if name == "FileLoc" && !text.trim().is_empty() {
                    files.push((page_id.clone(), text.trim().to_owned()));
                }
                in_fileloc = false;
            }
        }
        Ok(())
    })?;
    for (page_id, file) in files {
        ctx.budget().check_time()?;
        let page = page_id
            .as_ref()
            .and_then(|id| page_numbers.get(id))
            .copied();
        let Some((_, bytes)) = pkg.read_loc(&list_path, doc_dir, &file, ctx)? else {
            continue;
        };
        page_annotations(&bytes, page, ctx)?;
    }
    Ok(())
}

/// One annotation file (`PageAnnot`): each `Annot` is one segment — its `Remark`, its
/// `Parameter` values and the text its `Appearance` draws.
fn page_annotations(
    bytes: &[u8],
    page: Option<u32>,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    let mut lines: Vec<String> = Vec::new();
    let mut tc = TextCollector::default();
    let mut field: Option<String> = None;
    let mut text = String::new();
    walk(bytes, ctx, |ev, ctx| {
        match ev {
            Ev::Start { name, attrs } => {
                if name == "Annot" {
                    lines.clear();
                    tc = TextCollector::default();
                }
                if name == "Remark" || name == "Parameter" {
                    field = Some(name.clone());
                    text.clear();
                }
                tc.start(&name, &attrs);
            }
            Ev::Text(t) => {
                if field.is_some() {
                    text.push_str(&t);
                }
                tc.text(&t);
            }
            Ev::End { name } => {
                tc.end(&name);
                if field.as_deref() == Some(name.as_str()) {
                    let v = text.trim();
                    if !v.is_empty() {
                        lines.push(v.to_owned());
                    }
                    field = None;
                }
                if name == "Annot" {
                    let drawn = std::mem::take(&mut tc.layout.text);
                    let drawn = drawn.trim();
                    if !drawn.is_empty() {
                        lines.push(drawn.to_owned());
                    }
                    let all = lines.join("\n");
                    if !all.is_empty() {
                        ctx.emit(Part::Annotation { page }, &all)?;
                    }
                    lines.clear();
                }
            }
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Attachments

fn attachments(
    pkg: &mut Package<'_, '_>,
    doc_path: &str,
    doc_dir: &str,
    loc: &str,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    let Some((list_path, list)) = pkg.read_loc(doc_path, doc_dir, loc, ctx)? else {
        return Ok(());
    };
    // (name, FileLoc)
    let mut files: Vec<(String, String)> = Vec::new();
    let mut name_attr = String::new();
    let mut in_fileloc = false;
    let mut text = String::new();
    walk(&list, ctx, |ev, _| {
        match ev {
            Ev::Start { name, attrs } => {
                if name == "Attachment" {
                    let n = attr(&attrs, "Name").unwrap_or_default().trim().to_owned();
                    let format = attr(&attrs, "Format").unwrap_or_default().trim();
                    name_attr = if !n.is_empty() && !n.contains('.') && !format.is_empty() {
                        format!("{n}.{format}")
                    } else {
                        n
                    };
                }
                in_fileloc = name == "FileLoc";
                text.clear();
            }
            Ev::Text(t) if in_fileloc => text.push_str(&t),
            Ev::Text(_) => {}
            Ev::End { name } => {
                if name == "FileLoc" && !text.trim().is_empty() {
                    files.push((name_attr.clone(), text.trim().to_owned()));
                }
                in_fileloc = false;
            }
        }
        Ok(())
    })?;
    for (name, file) in files {
        ctx.budget().check_time()?;
        let Some((path, bytes)) = pkg.read_loc(&list_path, doc_dir, &file, ctx)? else {
            continue;
        };
        let name = if name.is_empty() {
            path.rsplit('/').next().unwrap_or(&path).to_owned()
        } else {
            name
        };
        ctx.nested(&name, &bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn paths_normalise_and_refuse_escapes() {
        assert_eq!(
            normalize("Doc_0", "Pages/Page_0/Content.xml").as_deref(),
            Some("Doc_0/Pages/Page_0/Content.xml")
        );
        assert_eq!(
            normalize("Doc_0", "/Doc_0/Res.xml").as_deref(),
            Some("Doc_0/Res.xml")
        );
        assert_eq!(
            normalize("Doc_0/Annots", "../Attachs/a.txt").as_deref(),
            Some("Doc_0/Attachs/a.txt")
        );
        assert_eq!(
            normalize("Doc_0", "./a\\b.xml").as_deref(),
            Some("Doc_0/a/b.xml")
        );
        assert_eq!(normalize("Doc_0", "../../etc/passwd"), None);
        assert_eq!(normalize("", "/.."), None);
    }

    #[test]
    fn delta_repeats_expand() {
        assert_eq!(deltas("g 3 1.5 2"), vec![1.5, 1.5, 1.5, 2.0]);
    }
}
