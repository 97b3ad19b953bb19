//! Streaming XML reading shared by the office extractors (OOXML, ODF).
//!
//! Office parts are XML, often large (a 50 MB `sheet1.xml`) and sometimes hostile (billion
//! laughs, absurd nesting, broken markup). This module wraps `quick-xml` so that every office
//! extractor reads them the same safe way:
//!
//! * streaming: one event at a time, never a DOM;
//! * entities: only the five predefined ones and numeric character references are resolved;
//!   a DTD is skipped as opaque text and its entities are never expanded, external ones are
//!   never fetched (quick-xml has no DTD processing at all);
//! * nesting deeper than [`MAX_DEPTH`] is a [`ExtractError::Malformed`], not a crash;
//! * the file's deadline is checked every [`TIME_CHECK_EVERY`] events;
//! * UTF-16 parts (allowed by OPC) are transcoded to UTF-8 first; invalid UTF-8 is replaced
//!   rather than failing the part, so one bad byte cannot hide a document's text.
//!
//! Element names are compared by their local name (`w:t` and `a:t` are both `t`): prefixes
//! are arbitrary in XML, and the office vocabularies do not reuse the names we look for in a
//! conflicting way inside the parts we read.

use super::{ExtractCtx, ExtractError, Format};
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;

/// Deepest element nesting accepted. Real documents stay far below (nested tables in Word
/// reach a few dozen levels); anything deeper is treated as hostile.
pub const MAX_DEPTH: usize = 4096;

/// How many events pass between two checks of the file's deadline.
pub const TIME_CHECK_EVERY: u32 = 1024;

/// Turns the bytes of an XML part into UTF-8 text: strips a UTF-8 BOM, transcodes UTF-16 with
/// a BOM, and replaces invalid UTF-8 sequences with U+FFFD.
pub fn to_utf8(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        let (text, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        return Cow::Owned(text.into_owned());
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        let (text, _, _) = encoding_rs::UTF_16BE.decode(bytes);
        return Cow::Owned(text.into_owned());
    }
    String::from_utf8_lossy(bytes)
}

/// The local part of a qualified name (`w:t` → `t`).
pub fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// The local name of a start tag.
pub fn start_local<'e>(e: &'e BytesStart<'_>) -> &'e str {
    local(e.name().0)
}

/// The local name of an end tag.
pub fn end_local<'e>(e: &'e BytesEnd<'_>) -> &'e str {
    local(e.name().0)
}

/// The value of the attribute whose local name is `name` (any prefix), unescaped. Malformed
/// attributes are skipped rather than failing the part.
pub fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .find(|a| local(a.key.0) == name)
        .map(|a| unescape(&a.value).into_owned())
}

/// The value of the attribute with the exact qualified name `qname` (`r:id`), unescaped.
pub fn attr_exact(e: &BytesStart<'_>, qname: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .find(|a| a.key.0 == qname)
        .map(|a| unescape(&a.value).into_owned())
}

/// The value of a prefixed attribute whose local name is `name` (`r:id`, `ns3:id`), skipping
/// an unprefixed attribute of the same local name (`<p:sldId id="256" r:id="rId2"/>`).
pub fn attr_prefixed(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .find(|a| a.key.0.contains(':') && local(a.key.0) == name)
        .map(|a| unescape(&a.value).into_owned())
}

/// Resolves the five predefined entities and numeric character references; anything else
/// (`&custom;`) is kept literally — never expanded.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        match after.find(';').filter(|&semi| semi <= 12) {
            Some(semi) => {
                let name = after.get(..semi).unwrap_or_default();
                match resolve_ref(name) {
                    Some(c) => out.push(c),
                    None => {
                        out.push('&');
                        out.push_str(name);
                        out.push(';');
                    }
                }
                rest = after.get(semi + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A predefined entity or character reference (`amp`, `#x4E2D`, `#20013`) as a character.
fn resolve_ref(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(code).filter(|&c| c != '\0')
        }
    }
}

/// One simplified XML event. Empty elements arrive as a `Start` followed by an `End`.
#[derive(Debug)]
pub enum XmlEvent<'x> {
    /// An element opens.
    Start(BytesStart<'x>),
    /// An element closes.
    End(BytesEnd<'x>),
    /// Character data (text, CDATA, a resolved reference), already unescaped.
    Text(Cow<'x, str>),
    /// The end of the part.
    Eof,
}

/// A streaming reader over one XML part, bounded as described in the module docs.
pub struct XmlReader<'x> {
    reader: Reader<&'x [u8]>,
    format: Format,
    part: String,
    depth: usize,
    events: u32,
}

impl std::fmt::Debug for XmlReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmlReader")
            .field("format", &self.format)
            .field("part", &self.part)
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl<'x> XmlReader<'x> {
    /// Reads `text` (see [`to_utf8`]) as part `part` of a `format` document; errors name both.
    pub fn new(text: &'x str, format: Format, part: &str) -> XmlReader<'x> {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
        XmlReader {
            reader,
            format,
            part: part.to_owned(),
            depth: 0,
            events: 0,
        }
    }

    /// How many elements are open.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// A [`ExtractError::Malformed`] naming this part.
    pub fn malformed(&self, reason: impl std::fmt::Display) -> ExtractError {
        ExtractError::malformed(self.format, format!("{}: {reason}", self.part))
    }

    /// The next event. Comments, processing instructions, the declaration and any DTD are
    /// skipped; unknown entity references are dropped (never expanded).
    pub fn next(&mut self, ctx: &mut ExtractCtx<'_>) -> Result<XmlEvent<'x>, ExtractError> {
        loop {
            self.events = self.events.wrapping_add(1);
            if self.events.is_multiple_of(TIME_CHECK_EVERY) {
                ctx.budget().check_time()?;
            }
            let event = self.reader.read_event().map_err(|e| {
                let pos = self.reader.error_position();
                self.malformed(format!("{e} (at byte {pos})"))
            })?;
            match event {
                Event::Start(e) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(
                            self.malformed(format!("elements nested deeper than {MAX_DEPTH}"))
                        );
                    }
                    return Ok(XmlEvent::Start(e));
                }
                Event::End(e) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(XmlEvent::End(e));
                }
                // Not produced with expand_empty_elements, but harmless if it ever is.
                Event::Empty(e) => {
                    return Ok(XmlEvent::Start(e));
                }
                Event::Text(t) => return Ok(XmlEvent::Text(t.xml10_content())),
                Event::CData(t) => return Ok(XmlEvent::Text(t.xml10_content())),
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => resolve_ref(&r),
                        Err(_) => None,
                    };
                    if let Some(c) = resolved {
                        return Ok(XmlEvent::Text(Cow::Owned(c.to_string())));
                    }
                }
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(self.malformed("unexpected end of the part"));
                    }
                    return Ok(XmlEvent::Eof);
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Skips to the end of the element just opened (its `Start` was the last event).
    pub fn skip_element(&mut self, ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
        let target = self.depth.saturating_sub(1);
        while self.depth > target {
            if let XmlEvent::Eof = self.next(ctx)? {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Text of paragraphs, one line per paragraph, as the office formats lay it out.
///
/// `para` closes a line; text is kept only inside a `text` element (`w:t`, `a:t`); `tab` and
/// `brk` elements insert a tab or a line break; everything inside a `skip` element is ignored
/// (`mc:Fallback` repeats the `mc:Choice` content, `w:pPr` holds tab-stop definitions that are
/// not tabs).
#[derive(Debug, Clone, Copy)]
pub struct ParaRules<'r> {
    /// Elements that end a line (`p`).
    pub para: &'r [&'r str],
    /// Elements whose character data is text (`t`).
    pub text: &'r [&'r str],
    /// Elements that stand for a tab.
    pub tab: &'r [&'r str],
    /// Elements that stand for a line break.
    pub brk: &'r [&'r str],
    /// Elements whose whole content is ignored.
    pub skip: &'r [&'r str],
    /// Elements ignored when they carry a `type` attribute other than `normal` (Word's
    /// separator footnotes, which hold no text but would add empty lines).
    pub skip_typed: &'r [&'r str],
}

/// Reads the paragraphs of an XML part into lines (see [`ParaRules`]). Empty paragraphs are
/// kept as empty lines so that line numbers count paragraphs; trailing empty lines are
/// dropped.
pub fn paragraphs(
    bytes: &[u8],
    format: Format,
    part: &str,
    rules: &ParaRules<'_>,
    ctx: &mut ExtractCtx<'_>,
) -> Result<String, ExtractError> {
    let text = to_utf8(bytes);
    let mut xml = XmlReader::new(&text, format, part);
    let mut out = String::new();
    let mut in_text = 0usize;
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) => {
                let name = start_local(&e);
                let typed = || attr(&e, "type").is_some_and(|t| t != "normal");
                if rules.skip.contains(&name) || (rules.skip_typed.contains(&name) && typed()) {
                    xml.skip_element(ctx)?;
                } else if rules.text.contains(&name) {
                    in_text += 1;
                } else if rules.tab.contains(&name) {
                    out.push('\t');
                } else if rules.brk.contains(&name) {
                    out.push('\n');
                }
            }
            XmlEvent::End(e) => {
                let name = end_local(&e);
                if rules.text.contains(&name) {
                    in_text = in_text.saturating_sub(1);
                } else if rules.para.contains(&name) {
                    out.push('\n');
                }
            }
            XmlEvent::Text(t) => {
                if in_text > 0 {
                    out.push_str(&t);
                }
            }
            XmlEvent::Eof => break,
        }
    }
    trim_trailing_newlines(&mut out);
    Ok(out)
}

/// Drops trailing line breaks (the last paragraph's end).
pub fn trim_trailing_newlines(s: &mut String) {
    while s.ends_with('\n') {
        s.pop();
    }
}

/// The column letters of 0-based column `col` (0 → `A`, 26 → `AA`).
pub fn column_letters(col: u64) -> String {
    let mut n = col.saturating_add(1);
    let mut rev = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        rev.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    rev.iter().rev().collect()
}

/// A cell reference from a 0-based column and a 1-based row (`(1, 3)` → `B3`).
pub fn cell_ref(col: u64, row: u64) -> String {
    format!("{}{row}", column_letters(col))
}

/// Resolves an OPC relationship target against the folder of the part that owns it
/// (`xl/` + `worksheets/sheet1.xml`, `ppt/slides/` + `../notesSlides/notesSlide1.xml`,
/// or an absolute `/xl/worksheets/sheet1.xml`).
pub fn resolve_target(base_dir: &str, target: &str) -> String {
    let target = target.split('#').next().unwrap_or_default();
    let joined = if let Some(abs) = target.strip_prefix('/') {
        abs.to_owned()
    } else if base_dir.is_empty() {
        target.to_owned()
    } else {
        format!("{}/{target}", base_dir.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// One relationship of an OPC `.rels` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// `Id` (`rId3`).
    pub id: String,
    /// The last segment of `Type` (`worksheet`, `notesSlide`, `comments`).
    pub kind: String,
    /// The target resolved against the owner's folder; empty for external targets.
    pub target: String,
}

/// Parses a `.rels` part whose owner lives in `base_dir`. External targets (hyperlinks) are
/// kept with an empty target so they are never read.
pub fn relationships(
    bytes: &[u8],
    format: Format,
    part: &str,
    base_dir: &str,
    ctx: &mut ExtractCtx<'_>,
) -> Result<Vec<Relationship>, ExtractError> {
    let text = to_utf8(bytes);
    let mut xml = XmlReader::new(&text, format, part);
    let mut out = Vec::new();
    loop {
        match xml.next(ctx)? {
            XmlEvent::Start(e) if start_local(&e) == "Relationship" => {
                let id = attr(&e, "Id").unwrap_or_default();
                let kind = attr(&e, "Type")
                    .map(|t| t.rsplit('/').next().unwrap_or_default().to_owned())
                    .unwrap_or_default();
                let external = attr(&e, "TargetMode").is_some_and(|m| m == "External");
                let target = match attr(&e, "Target") {
                    Some(t) if !external => resolve_target(base_dir, &t),
                    _ => String::new(),
                };
                out.push(Relationship { id, kind, target });
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// The `.rels` part of `part` (`xl/workbook.xml` → `xl/_rels/workbook.xml.rels`) and the
/// folder its targets are relative to.
pub fn rels_path(part: &str) -> (String, String) {
    match part.rsplit_once('/') {
        Some((dir, file)) => (format!("{dir}/_rels/{file}.rels"), dir.to_owned()),
        None => (format!("_rels/{part}.rels"), String::new()),
    }
}

/// Orders part names like `header2.xml` < `header10.xml` by their embedded number.
pub fn natural_key(name: &str) -> (String, u64, String) {
    let digits_start = name
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i);
    match digits_start {
        Some(i) => {
            let head = name.get(..i).unwrap_or_default();
            let tail = name.get(i..).unwrap_or_default();
            let end = tail
                .char_indices()
                .find(|(_, c)| !c.is_ascii_digit())
                .map_or(tail.len(), |(j, _)| j);
            let num = tail
                .get(..end)
                .and_then(|d| d.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            (
                head.to_owned(),
                num,
                tail.get(end..).unwrap_or_default().to_owned(),
            )
        }
        None => (name.to_owned(), 0, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_spreadsheet_convention() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16383), "XFD");
        assert_eq!(cell_ref(2, 5), "C5");
    }

    #[test]
    fn unescape_resolves_only_predefined_and_numeric() {
        assert_eq!(unescape("a&amp;b&#x4E2D;&#22269;&lol;"), "a&b中国&lol;");
        assert_eq!(unescape("x & y"), "x & y");
    }

    #[test]
    fn targets_resolve_like_opc() {
        assert_eq!(
            resolve_target("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve_target("ppt/slides", "../notesSlides/notesSlide1.xml"),
            "ppt/notesSlides/notesSlide1.xml"
        );
        assert_eq!(
            resolve_target("xl", "/xl/worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
        assert_eq!(
            rels_path("xl/workbook.xml"),
            ("xl/_rels/workbook.xml.rels".into(), "xl".into())
        );
    }

    #[test]
    fn natural_order_puts_10_after_2() {
        let mut v = vec!["header10.xml", "header2.xml", "header1.xml"];
        v.sort_by_key(|n| natural_key(n));
        assert_eq!(v, ["header1.xml", "header2.xml", "header10.xml"]);
    }
}
