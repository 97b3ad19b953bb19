//! HTML and XML: the text a person reads, with the line structure of the original file.
//!
//! Both extractors emit one [`Part::Body`] segment whose line breaks are exactly those of the
//! source file: markup is dropped but every newline inside it (a tag spread over lines, a
//! comment, a script) is kept. So the line of a finding is the line of the original `.html` or
//! `.xml` file that a person opens in an editor; the column counts characters of the extracted
//! text on that line, not of the markup.
//!
//! HTML is read by a small tolerant tokenizer (no DOM, no tree): scripts and styles are
//! skipped, entities are decoded (`&#26426;&#23494;` is 机密 — a cheap way to hide a mark from
//! a naive grep), and attributes people read (`alt`, `title`, `placeholder`, `aria-label`,
//! `<meta name=… content=…>`) are included where they stand. Inline tags join their text
//! (`<b>机</b>密` reads 机密, as a browser shows it); block tags separate it with a space.
//!
//! XML is read with quick-xml: character data and CDATA; the five predefined entities and
//! character references are decoded, along with the common HTML named entities. Entities a DTD
//! declares are NOT expanded and external entities are never fetched, so there are no entity
//! bombs and no network or file access. Both readers are linear in the input and check the
//! file's time budget as they go.
//!
//! What a reader does not see can still hold a mark (DOMAIN R8: everything published with a
//! page is checked): HTML comments, `<script>` and `<style>` text and every other attribute
//! value (`value`, `data-*`, `content`…), XML attributes, comments and processing instructions.
//! These are emitted ADDITIONALLY, one segment per kind, as [`Part::Other`] named `comment`,
//! `script`, `style`, `attribute` or `processing-instruction`. Each such segment is "sparse": it
//! holds only the fragments of its kind, each placed after as many line breaks as precede it in
//! the source, so a finding's line is the source line. All extra segments together never exceed
//! the file's size; past that (only a file made mostly of line breaks gets there) fragments are
//! still scanned but no longer padded to their line.

use super::text;
use super::{ExtractCtx, ExtractError, Format, Part};
use quick_xml::events::Event;
use quick_xml::Reader;

/// Elements deeper than this make an XML file hostile (no real document nests so deep).
const MAX_XML_DEPTH: u32 = 4096;

/// How many tokens are read between two checks of the time budget.
const TIME_CHECK_EVERY: u32 = 4096;

/// HTML: text content (scripts and styles skipped), attribute text that people read.
pub fn extract_html(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let Some((_, src)) = text::decode(bytes) else {
        return Err(ExtractError::malformed(
            Format::Html,
            "binary content, not text",
        ));
    };
    let mut extras = Extras::new(&["comment", "script", "style", "attribute"]);
    let out = html_scan(&src, ctx, &mut extras)?;
    ctx.emit(Part::Body, &out)?;
    extras.emit(ctx)
}

/// XML: character data. A file that stops being well-formed part-way still has the text before
/// the error emitted (and scanned); the error is then returned, so the file is also reported.
pub fn extract_xml(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let Some((_, src)) = text::decode(bytes) else {
        return Err(ExtractError::malformed(
            Format::Xml,
            "binary content, not text",
        ));
    };
    let mut out = String::with_capacity(src.len() / 2);
    let mut extras = Extras::new(&["comment", "attribute", "processing-instruction"]);
    let result = xml_scan(&src, &mut out, ctx, &mut extras);
    ctx.emit(Part::Body, &out)?;
    extras.emit(ctx)?;
    result
}

/// Kinds of hidden text in HTML, as indexes into [`Extras`].
const H_COMMENT: usize = 0;
const H_SCRIPT: usize = 1;
const H_STYLE: usize = 2;
const H_ATTRIBUTE: usize = 3;
/// Kinds of hidden text in XML, as indexes into [`Extras`].
const X_COMMENT: usize = 0;
const X_ATTRIBUTE: usize = 1;
const X_PI: usize = 2;

/// The hidden text of a markup file (comments, scripts, attribute values…), one sparse buffer
/// per kind whose line breaks put each fragment on its source line (see the module
/// documentation). Fragments must be added in source order.
struct Extras {
    names: &'static [&'static str],
    bufs: Vec<String>,
    /// Line breaks in each buffer.
    lines: Vec<usize>,
    /// Source position up to which `line` counts line breaks.
    pos: usize,
    line: usize,
    /// Source bytes of the fragments added so far (decoding never makes them longer).
    fragments: usize,
    /// Line breaks and spaces added around the fragments. Kept within the source bytes before
    /// the current fragment that belong to no fragment, so that all buffers together never
    /// hold more than the source's size.
    overhead: usize,
    /// Disabled: [`html_to_text`] callers want the body text only.
    off: bool,
}

impl Extras {
    fn new(names: &'static [&'static str]) -> Self {
        Extras {
            names,
            bufs: names.iter().map(|_| String::new()).collect(),
            lines: names.iter().map(|_| 0).collect(),
            pos: 0,
            line: 0,
            fragments: 0,
            overhead: 0,
            off: false,
        }
    }

    fn disabled() -> Self {
        Extras {
            names: &[],
            bufs: Vec::new(),
            lines: Vec::new(),
            pos: 0,
            line: 0,
            fragments: 0,
            overhead: 0,
            off: true,
        }
    }

    /// Adds `src[from..to]` (entities decoded when `decode`) to the buffer of `kind`.
    fn add(&mut self, kind: usize, src: &str, from: usize, to: usize, decode: bool) {
        if self.off {
            return;
        }
        let Some(fragment) = src.get(from..to) else {
            return;
        };
        if fragment.trim().is_empty() {
            return;
        }
        // The source line where the fragment starts (0-based), counted incrementally.
        if from > self.pos {
            self.line += src
                .as_bytes()
                .get(self.pos..from)
                .map_or(0, |s| memchr::memchr_iter(b'\n', s).count());
            self.pos = from;
        }
        let (Some(buf), Some(lines)) = (self.bufs.get_mut(kind), self.lines.get_mut(kind)) else {
            return;
        };
        let mut pad = self.line.saturating_sub(*lines);
        // Every fragment follows at least one byte of markup (`<!--`, `="`, `>`), so a single
        // separating space always fits; line breaks only while the budget lasts.
        let spare = from.saturating_sub(self.fragments);
        if self.overhead + pad + 1 > spare {
            pad = 0;
        }
        for _ in 0..pad {
            buf.push('\n');
        }
        self.overhead += pad;
        if !buf.is_empty() && !buf.ends_with('\n') {
            buf.push(' ');
            self.overhead += 1;
        }
        if decode {
            decode_entities(fragment, buf);
        } else {
            buf.push_str(fragment);
        }
        // Decoding never makes a fragment longer (`&lt;` is 4 bytes for 1, `&#65536;` 8 for 4).
        self.fragments += fragment.len();
        *lines += pad + memchr::memchr_iter(b'\n', fragment.as_bytes()).count();
    }

    /// Emits each non-empty buffer as `Part::Other` named after its kind.
    fn emit(self, ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
        for (name, buf) in self.names.iter().zip(&self.bufs) {
            ctx.emit(
                Part::Other {
                    name: (*name).to_owned(),
                },
                buf,
            )?;
        }
        Ok(())
    }
}

/// Whether text without an extension looks like HTML: a doctype or an `<html>`, `<head>` or
/// `<body>` tag near the start.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = body.get(start..).unwrap_or_default();
    let head = head.get(..1024).unwrap_or(head).to_ascii_lowercase();
    head.starts_with(b"<!doctype html")
        || [&b"<html"[..], b"<head", b"<body"]
            .iter()
            .any(|tag| memchr::memmem::find(&head, tag).is_some())
}

/// The text of an HTML document, with the document's line breaks kept (see the module
/// documentation). Other extractors (HTML mail bodies, HTML inside archives) use it too.
pub fn html_to_text(src: &str, ctx: &mut ExtractCtx<'_>) -> Result<String, ExtractError> {
    html_scan(src, ctx, &mut Extras::disabled())
}

/// [`html_to_text`], also collecting the hidden text into `extras`.
fn html_scan(
    src: &str,
    ctx: &mut ExtractCtx<'_>,
    extras: &mut Extras,
) -> Result<String, ExtractError> {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() / 2);
    let mut i = 0usize;
    let mut steps = 0u32;
    while i < b.len() {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(TIME_CHECK_EVERY) {
            ctx.budget().check_time()?;
        }
        let Some(off) = memchr::memchr2(b'<', b'&', tail(b, i)) else {
            out.push_str(src.get(i..).unwrap_or_default());
            break;
        };
        let j = i + off;
        out.push_str(src.get(i..j).unwrap_or_default());
        if b.get(j) == Some(&b'&') {
            i = push_entity(src, j, &mut out);
            continue;
        }
        i = html_markup(src, j, &mut out, extras);
    }
    Ok(out)
}

/// Handles the markup that starts with `<` at `j`; returns where text resumes.
fn html_markup(src: &str, j: usize, out: &mut String, extras: &mut Extras) -> usize {
    let b = src.as_bytes();
    let rest = tail(b, j);
    if rest.starts_with(b"<!--") {
        let content_end = find(b, j + 4, b"-->").unwrap_or(b.len());
        let end = (content_end + 3).min(b.len());
        extras.add(H_COMMENT, src, j + 4, content_end, false);
        push_newlines(src, j, end, out);
        return end;
    }
    if rest.starts_with(b"<![CDATA[") {
        let content = j + 9;
        let (content_end, end) =
            find(b, content, b"]]>").map_or((b.len(), b.len()), |e| (e, e + 3));
        out.push_str(src.get(content..content_end).unwrap_or_default());
        return end;
    }
    if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
        let end = memchr::memchr(b'>', tail(b, j)).map_or(b.len(), |e| j + e + 1);
        push_newlines(src, j, end, out);
        return end;
    }
    let closing = rest.get(1) == Some(&b'/');
    let name_start = if closing { j + 2 } else { j + 1 };
    if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        // `a < b`, `<3`: a literal less-than sign.
        out.push('<');
        return j + 1;
    }
    let name_end = name_start
        + tail(b, name_start)
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_')))
            .unwrap_or(b.len() - name_start);
    let name = src
        .get(name_start..name_end.min(name_start + 32))
        .unwrap_or_default()
        .to_ascii_lowercase();
    if is_block(&name) {
        separate(out);
    }
    if closing {
        let end = memchr::memchr(b'>', tail(b, name_end)).map_or(b.len(), |e| name_end + e + 1);
        push_newlines(src, j, end, out);
        return end;
    }
    let end = start_tag_attributes(src, name_end, &name, out, extras);
    if name == "script" || name == "style" {
        // Raw text up to the matching end tag; the end tag itself is read as markup next.
        let close = find_end_tag(b, end, name.as_bytes()).unwrap_or(b.len());
        let kind = if name == "script" { H_SCRIPT } else { H_STYLE };
        extras.add(kind, src, end, close, false);
        push_newlines(src, end, close, out);
        return close;
    }
    end
}

/// One attribute of a start tag: its lower-cased name and the byte range of its value.
struct Attr {
    name: String,
    value: Option<(usize, usize)>,
}

/// Reads the attributes of a start tag from `start` (just after the name) to its `>`; emits
/// the readable ones and the tag's newlines, gives the others to `extras`; returns the index
/// after the tag.
fn start_tag_attributes(
    src: &str,
    start: usize,
    tag: &str,
    out: &mut String,
    extras: &mut Extras,
) -> usize {
    let (attrs, end) = parse_attributes(src, start);
    let meta_named = tag == "meta" && attrs.iter().any(|a| a.name == "name");
    let mut cursor = start;
    for attr in &attrs {
        let Some((vs, ve)) = attr.value else { continue };
        let readable = matches!(
            attr.name.as_str(),
            "alt" | "title" | "placeholder" | "aria-label" | "label"
        ) || (meta_named && attr.name == "content");
        if !readable {
            // Hidden text: only values with letters (not numbers, sizes, colours like #fff).
            let value = src.as_bytes().get(vs..ve).unwrap_or_default();
            if value
                .iter()
                .any(|c| !c.is_ascii() || c.is_ascii_alphabetic())
            {
                extras.add(H_ATTRIBUTE, src, vs, ve, true);
            }
            continue;
        }
        push_newlines(src, cursor, vs, out);
        separate(out);
        decode_entities(src.get(vs..ve).unwrap_or_default(), out);
        out.push(' ');
        cursor = ve;
    }
    push_newlines(src, cursor, end, out);
    end
}

/// The attributes of a tag from `start` (just after its name) to its `>`, and the index after
/// the tag. Tolerant: unquoted values, missing values, a missing `>` (the end of the text).
fn parse_attributes(src: &str, start: usize) -> (Vec<Attr>, usize) {
    let b = src.as_bytes();
    let mut attrs: Vec<Attr> = Vec::new();
    let mut k = start;
    let end = loop {
        while b
            .get(k)
            .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/')
        {
            k += 1;
        }
        match b.get(k) {
            None => break b.len(),
            Some(b'>') => break k + 1,
            Some(_) => {}
        }
        let name_start = k;
        k += 1; // the first character is part of the name, even `=`
        while b
            .get(k)
            .is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'/' | b'>' | b'='))
        {
            k += 1;
        }
        let name = src
            .get(name_start..k.min(name_start + 32))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut v = k;
        while b.get(v).is_some_and(u8::is_ascii_whitespace) {
            v += 1;
        }
        let mut value = None;
        if b.get(v) == Some(&b'=') {
            v += 1;
            while b.get(v).is_some_and(u8::is_ascii_whitespace) {
                v += 1;
            }
            match b.get(v) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let vs = v + 1;
                    let ve = memchr::memchr(q, tail(b, vs)).map_or(b.len(), |e| vs + e);
                    value = Some((vs, ve));
                    k = (ve + 1).min(b.len());
                }
                Some(_) => {
                    let vs = v;
                    let ve = vs
                        + tail(b, vs)
                            .iter()
                            .position(|c| c.is_ascii_whitespace() || *c == b'>')
                            .unwrap_or(b.len() - vs);
                    value = Some((vs, ve));
                    k = ve;
                }
                None => k = v,
            }
        }
        attrs.push(Attr { name, value });
    };
    (attrs, end)
}

/// Appends `text` with its entities decoded.
fn decode_entities(text: &str, out: &mut String) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'&', tail(b, i)) {
        let j = i + off;
        out.push_str(text.get(i..j).unwrap_or_default());
        i = push_entity(text, j, out);
    }
    out.push_str(text.get(i..).unwrap_or_default());
}

/// Decodes the entity at `j` (an `&`) into `out`; returns the index after it. Something that
/// is not a known entity is kept as a literal `&`.
fn push_entity(src: &str, j: usize, out: &mut String) -> usize {
    let b = src.as_bytes();
    let window_end = (j + 34).min(b.len());
    let window = b.get(j + 1..window_end).unwrap_or_default();
    if window.first() == Some(&b'#') {
        let (hex, digits_start) = match window.get(1) {
            Some(b'x' | b'X') => (true, 2),
            _ => (false, 1),
        };
        let digits = window
            .get(digits_start..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 || digits > 8 {
            out.push('&');
            return j + 1;
        }
        let text = src
            .get(j + 1 + digits_start..j + 1 + digits_start + digits)
            .unwrap_or_default();
        let value = u32::from_str_radix(text, if hex { 16 } else { 10 }).unwrap_or(0xFFFD);
        out.push(char_ref(value));
        let mut next = j + 1 + digits_start + digits;
        if b.get(next) == Some(&b';') {
            next += 1;
        }
        return next;
    }
    let name_len = window
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len > 0 && window.get(name_len) == Some(&b';') {
        let name = src.get(j + 1..j + 1 + name_len).unwrap_or_default();
        if let Some(text) = named_entity(name) {
            out.push_str(text);
            return j + name_len + 2;
        }
    }
    out.push('&');
    j + 1
}

/// The character of a numeric reference. A line break becomes a space so that the extracted
/// text has the source's line count; NUL and non-characters become U+FFFD.
fn char_ref(value: u32) -> char {
    match char::from_u32(value) {
        Some('\n' | '\r') => ' ',
        Some('\0') | None => char::REPLACEMENT_CHARACTER,
        Some(c) => c,
    }
}

/// The common named entities of HTML (and of XHTML read as XML). Space-like ones become a plain
/// space so that matching needs no normalisation to see through them.
fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" | "ensp" | "emsp" | "thinsp" | "hairsp" => " ",
        "zwj" | "zwnj" | "shy" | "lrm" | "rlm" => "",
        "star" => "☆",
        "starf" | "bigstar" | "bstar" => "★",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "middot" => "·",
        "bull" => "•",
        "hellip" => "…",
        "mdash" => "—",
        "ndash" => "–",
        "lsquo" => "‘",
        "rsquo" => "’",
        "ldquo" => "“",
        "rdquo" => "”",
        "laquo" => "«",
        "raquo" => "»",
        "times" => "×",
        "divide" => "÷",
        "deg" => "°",
        "plusmn" => "±",
        "yen" => "¥",
        "sect" => "§",
        "para" => "¶",
        "larr" => "←",
        "rarr" => "→",
        "uarr" => "↑",
        "darr" => "↓",
        _ => return None,
    })
}

/// Elements that start a new block: their text does not run into the neighbours'.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "hr"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "main"
            | "blockquote"
            | "pre"
            | "address"
            | "figure"
            | "figcaption"
            | "form"
            | "fieldset"
            | "legend"
            | "option"
            | "title"
            | "head"
            | "body"
            | "html"
            | "img"
            | "input"
            | "textarea"
            | "button"
            | "select"
            | "label"
    )
}

/// The text of an XML document with the document's line breaks kept: character data, CDATA,
/// and decoded references. Appends to `out` as it goes so that a caller can still use the text
/// before a syntax error.
pub fn xml_to_text(
    src: &str,
    out: &mut String,
    ctx: &mut ExtractCtx<'_>,
) -> Result<(), ExtractError> {
    xml_scan(src, out, ctx, &mut Extras::disabled())
}

/// [`xml_to_text`], also collecting attribute values, comments and processing instructions
/// into `extras`.
fn xml_scan(
    src: &str,
    out: &mut String,
    ctx: &mut ExtractCtx<'_>,
    extras: &mut Extras,
) -> Result<(), ExtractError> {
    let mut reader = Reader::from_str(src);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.check_comments = false;
    config.expand_empty_elements = false;
    config.trim_text(false);
    let mut pos = 0usize;
    let mut depth = 0u32;
    let mut steps = 0u32;
    loop {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(TIME_CHECK_EVERY) {
            ctx.budget().check_time()?;
        }
        let event = reader.read_event();
        let end = usize::try_from(reader.buffer_position())
            .unwrap_or(src.len())
            .min(src.len());
        match event {
            Ok(Event::Text(t)) => out.push_str(&t),
            Ok(Event::CData(c)) => out.push_str(&c),
            Ok(Event::GeneralRef(r)) => {
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => out.push(char_ref(u32::from(c))),
                        _ => out.push(char::REPLACEMENT_CHARACTER),
                    }
                } else if let Some(text) = named_entity(&r) {
                    out.push_str(text);
                }
                // Other entities are declared by a DTD: deliberately never expanded.
            }
            Ok(Event::Start(_)) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(ExtractError::malformed(
                        Format::Xml,
                        format!("elements nested deeper than {MAX_XML_DEPTH}"),
                    ));
                }
                separate(out);
                push_newlines(src, pos, end, out);
                xml_attributes(src, pos, extras);
            }
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                separate(out);
                push_newlines(src, pos, end, out);
            }
            Ok(Event::Empty(_)) => {
                separate(out);
                push_newlines(src, pos, end, out);
                xml_attributes(src, pos, extras);
            }
            Ok(Event::Comment(_)) => {
                // `<!--` … `-->`; the content is taken from the source so that lines are exact.
                extras.add(X_COMMENT, src, pos + 4, end.saturating_sub(3), false);
                push_newlines(src, pos, end, out);
            }
            Ok(Event::PI(_)) => {
                // `<?` … `?>`, the target included (`<?xml-stylesheet …?>` is text too).
                extras.add(X_PI, src, pos + 2, end.saturating_sub(2), false);
                push_newlines(src, pos, end, out);
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => push_newlines(src, pos, end, out),
            Err(e) => {
                return Err(ExtractError::malformed(
                    Format::Xml,
                    format!("at byte {}: {e}", reader.error_position()),
                ))
            }
        }
        pos = end;
    }
}

/// Gives the attribute values of the XML start tag whose `<` is at `lt` to `extras`, entities
/// decoded. The tag is re-read from the source (it is well-formed: quick-xml accepted it) so that
/// each value's line is known.
fn xml_attributes(src: &str, lt: usize, extras: &mut Extras) {
    if extras.off {
        return;
    }
    let b = src.as_bytes();
    let name_start = lt + 1;
    let name_end = name_start
        + tail(b, name_start)
            .iter()
            .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
            .unwrap_or(b.len().saturating_sub(name_start));
    let (attrs, _) = parse_attributes(src, name_end);
    for attr in attrs {
        if let Some((vs, ve)) = attr.value {
            extras.add(X_ATTRIBUTE, src, vs, ve, true);
        }
    }
}

/// A space unless the text already ends with whitespace (or is empty).
fn separate(out: &mut String) {
    if out.chars().next_back().is_some_and(|c| !c.is_whitespace()) {
        out.push(' ');
    }
}

/// Appends one `\n` for each newline in `src[from..to]`.
fn push_newlines(src: &str, from: usize, to: usize, out: &mut String) {
    let count = src
        .as_bytes()
        .get(from..to)
        .map_or(0, |s| memchr::memchr_iter(b'\n', s).count());
    for _ in 0..count {
        out.push('\n');
    }
}

/// `b[i..]`, empty past the end.
fn tail(b: &[u8], i: usize) -> &[u8] {
    b.get(i..).unwrap_or_default()
}

/// The first index at or after `from` where `needle` occurs.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(tail(b, from), needle).map(|e| from + e)
}

/// The index of the `<` of `</name` (any case) at or after `from`.
fn find_end_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut k = from;
    loop {
        let lt = k + memchr::memchr(b'<', tail(b, k))?;
        let candidate = b.get(lt + 2..lt + 2 + name.len());
        if b.get(lt + 1) == Some(&b'/') && candidate.is_some_and(|c| c.eq_ignore_ascii_case(name)) {
            return Some(lt);
        }
        k = lt + 1;
    }
}
