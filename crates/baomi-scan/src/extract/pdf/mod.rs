//! PDF: the text of every page ([`Part::Page`]), annotations ([`Part::Annotation`]), the
//! document information dictionary ([`Part::Properties`]) and embedded files (scanned as
//! nested members).
//!
//! # Why lopdf plus an own text layer
//!
//! Parsing uses [`lopdf`] (MIT, pure Rust, actively maintained). Its 0.47 line was hardened for
//! untrusted input: object nesting is capped ([`lopdf::Reader`] stops at depth 100), reference
//! chains and page trees are bounded, stream decoding takes an output limit per filter layer
//! (`decompressed_content_with_limit`, `LoadOptions::max_decompressed_size`), damaged xref
//! tables are rebuilt by scanning, and documents encrypted with an empty user password (the
//! usual "permissions only" case) are decrypted on load (RC4, AES-128, AES-256). Its whole
//! dependency tree is MIT/Apache/BSD/Zlib and builds offline on rustc 1.95 with default
//! features off.
//!
//! `pdf-extract` (0.12.1, MIT) was not taken: it pins the older lopdf 0.42 (before the
//! decompression limits), decodes page streams with the unbounded `decompressed_content()`,
//! has about a hundred `unwrap`/`expect`/`panic!` in its text layer, does not know the
//! predefined Chinese CMaps, and adds `adobe-cmap-parser`, `type1-encoding-parser`,
//! `cff-parser`, `postscript` and `euclid`. The text layer here (`content.rs`, `font.rs`)
//! streams the content operators, charges every decoded stream to the file's [`Budget`],
//! checks the deadline in its loops and knows the Chinese CMaps (`UniGB-UCS2-H`,
//! `UniGB-UTF16-H`, `GBK-EUC-H`, `GBpc-EUC-H`) that government PDFs use.
//!
//! # Bounds on hostile input
//!
//! - The whole extraction runs under `catch_unwind` (lopdf is large; a panic in it must be a
//!   reported failure, not a dead scan) and maps a panic to [`ExtractError::Internal`].
//! - Before loading, indirect objects are counted ([`MAX_OBJECTS`]) and the per-stream
//!   decompression limit lopdf applies to object and xref streams is the remaining inflate
//!   budget shared among the file's object streams (at least 1 MiB, at most 64 MiB each).
//! - Every stream decoded afterwards (page contents, forms, CMaps, embedded files) is charged
//!   with [`Budget::charge_inflated`] and held to the zip rule, `max_ratio` (past 64 KiB of
//!   output). Plain `FlateDecode` streams (nearly all of them) are inflated here in 64 KiB
//!   chunks with the ratio taken against the input consumed so far, so a flate bomb ends the
//!   file with [`BudgetExceeded::Ratio`] after a few hundred KiB of output; other filter
//!   chains go through lopdf's bounded decoder with a cap of `max_ratio` × the encoded size.
//! - Pages are processed one at a time with deadline checks in every loop.
//!
//! # Known gaps
//!
//! Type3 fonts are read through their encoding only; vertical writing is laid out by column
//! with one-em advances; `Identity-H` fonts without `/ToUnicode` yield no text (their codes
//! are glyph ids); marked-content `/ActualText` is not used; XFA forms are not read; text in
//! images needs OCR and is not seen. lopdf keeps every object in memory (about 0.8 KB per
//! object measured, hence [`MAX_OBJECTS`]). Decompression of object streams during lopdf's load is
//! bounded per stream but not charged to the budget (lopdf does not report sizes), and lopdf's
//! load itself cannot be interrupted by the deadline.

mod content;
mod font;
mod glyphs;
mod lexer;

use super::{ExtractCtx, ExtractError, Format, Part};
use crate::limits::{Budget, BudgetExceeded};
use content::{Cache, Interp, Matrix};
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Stream};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// More indirect objects than this and the file is refused before parsing.
pub const MAX_OBJECTS: u64 = 2_000_000;
/// No single stream is decoded to more than this.
const MAX_STREAM_BYTES: u64 = 256 * 1024 * 1024;
/// Embedded-file name trees are walked at most this deep.
const MAX_TREE_DEPTH: usize = 32;

static NULL: Object = Object::Null;

/// PDF text of every page, annotations, document information and embedded files.
pub fn extract(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    // lopdf parses untrusted bytes and may panic on inputs its authors did not foresee; a
    // panic here must become a reported failure of this file, so the call is caught.
    // Embedded files are only collected inside; they are scanned (ctx.nested) after, outside
    // the catch, so that a panic can never leave the context inside a member.
    let mut files = Files::default();
    match catch_unwind(AssertUnwindSafe(|| extract_inner(bytes, ctx, &mut files))) {
        Ok(result) => result?,
        Err(payload) => {
            return Err(ExtractError::Internal {
                format: Format::Pdf,
                reason: panic_message(payload.as_ref()),
            })
        }
    }
    for (name, data) in files.found {
        ctx.nested(&name, &data)?;
    }
    Ok(())
}

/// Embedded files found so far (each stream once), waiting to be scanned.
#[derive(Debug, Default)]
struct Files {
    seen: HashSet<ObjectId>,
    found: Vec<(String, Vec<u8>)>,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic in PDF parser: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic in PDF parser: {s}")
    } else {
        "panic in PDF parser".to_owned()
    }
}

fn extract_inner(
    bytes: &[u8],
    ctx: &mut ExtractCtx<'_>,
    files: &mut Files,
) -> Result<(), ExtractError> {
    ctx.budget().check_time()?;
    let doc = load(bytes, ctx.budget())?;
    ctx.budget().check_time()?;
    if doc.trailer.has(b"Encrypt") {
        // lopdf tries the empty user password itself and removes /Encrypt when it works.
        return Err(ExtractError::Encrypted {
            format: Format::Pdf,
        });
    }
    let mut cache = Cache::new();
    let mut page_no = 0u32;
    for page_id in doc.page_iter() {
        ctx.budget().check_time()?;
        page_no = page_no.saturating_add(1);
        let Ok(page) = doc.get_dictionary(page_id) else {
            continue;
        };
        page_text(&doc, page, page_no, ctx, &mut cache)?;
        annotations(&doc, page, page_no, ctx, &mut cache, files)?;
    }
    properties(&doc, ctx)?;
    embedded_files(&doc, ctx, files)?;
    Ok(())
}

fn load(bytes: &[u8], budget: &mut Budget) -> Result<Document, ExtractError> {
    let objects = memchr::memmem::find_iter(bytes, b"endobj").count() as u64;
    if objects > MAX_OBJECTS {
        return Err(BudgetExceeded::Entries {
            found: objects,
            limit: MAX_OBJECTS,
        }
        .into());
    }
    let object_streams = memchr::memmem::find_iter(bytes, b"/ObjStm").count() as u64;
    let per_stream =
        (budget.inflated_remaining() / object_streams.max(1)).clamp(1024 * 1024, 64 * 1024 * 1024);
    let options = LoadOptions {
        max_decompressed_size: Some(usize::try_from(per_stream).unwrap_or(usize::MAX)),
        ..LoadOptions::default()
    };
    Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            ExtractError::Budget(BudgetExceeded::InflatedBytes { limit: per_stream })
        }
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => ExtractError::Encrypted {
            format: Format::Pdf,
        },
        other => ExtractError::malformed(Format::Pdf, other),
    })
}

/// Follows references; a dangling one reads as `null`.
pub(super) fn resolve<'a>(doc: &'a Document, obj: &'a Object) -> &'a Object {
    match doc.dereference(obj) {
        Ok((_, o)) => o,
        Err(_) => &NULL,
    }
}

/// `dict[key]`, references followed; `null` if absent.
pub(super) fn get<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> &'a Object {
    dict.get(key).map(|o| resolve(doc, o)).unwrap_or(&NULL)
}

/// Decodes a stream under the budget: at most the remaining inflate budget, at most
/// `max_ratio` × its encoded size (past 64 KiB), at most [`MAX_STREAM_BYTES`]; the decoded
/// bytes are charged. `Ok(None)` when the stream cannot be decoded for another reason (an
/// unsupported or corrupt filter): its text is lost, the rest of the file is still read.
pub(super) fn stream_bytes(
    stream: &Stream,
    budget: &mut Budget,
) -> Result<Option<Vec<u8>>, ExtractError> {
    budget.check_time()?;
    let filters = stream.filters().unwrap_or_default();
    if filters.is_empty() {
        return Ok(Some(stream.content.clone()));
    }
    if let [b"FlateDecode" | b"Fl"] = filters.as_slice() {
        let plain = match stream.dict.get(b"DecodeParms") {
            Err(_) | Ok(Object::Null) => true,
            Ok(Object::Dictionary(p)) => {
                matches!(p.get(b"Predictor"), Err(_) | Ok(Object::Integer(1)))
            }
            Ok(_) => false,
        };
        if plain {
            return inflate(&stream.content, budget).map(Some);
        }
    }
    let compressed = stream.content.len() as u64;
    let max_ratio = budget.limits().max_ratio;
    let ratio_cap = compressed.saturating_mul(max_ratio).max(64 * 1024);
    let remaining = budget.inflated_remaining();
    let limit = remaining.min(ratio_cap).min(MAX_STREAM_BYTES);
    let limit_usize = usize::try_from(limit).unwrap_or(usize::MAX);
    match stream.decompressed_content_with_limit(limit_usize) {
        Ok(data) => {
            budget.charge_inflated(data.len() as u64)?;
            Ok(Some(data))
        }
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            if limit == ratio_cap && ratio_cap < remaining {
                Err(BudgetExceeded::Ratio {
                    ratio: limit.saturating_add(1) / compressed.max(1),
                    limit: max_ratio,
                }
                .into())
            } else {
                let limit = if limit == remaining {
                    budget.limits().max_inflated_bytes
                } else {
                    MAX_STREAM_BYTES
                };
                Err(BudgetExceeded::InflatedBytes { limit }.into())
            }
        }
        Err(_) => Ok(None),
    }
}

/// Inflates a zlib (or raw deflate) stream in chunks, checking as it goes: the ratio of output
/// to the input consumed so far (past 64 KiB of output; so a bomb is refused after a few
/// megabytes, not after `max_ratio` × its whole size), the inflate budget (charged per chunk),
/// [`MAX_STREAM_BYTES`] and the deadline. A corrupt or truncated stream yields what inflated
/// before the damage, as viewers show it.
fn inflate(data: &[u8], budget: &mut Budget) -> Result<Vec<u8>, ExtractError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let zlib_header = data.first().is_some_and(|b| b & 0x0F == 8);
    let mut d = Decompress::new(zlib_header);
    let max_ratio = budget.limits().max_ratio;
    let mut out: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let consumed_before = d.total_in();
        let produced_before = d.total_out();
        let input = usize::try_from(consumed_before)
            .ok()
            .and_then(|i| data.get(i..))
            .unwrap_or_default();
        let status = d.decompress(input, &mut buf, FlushDecompress::None);
        let produced = usize::try_from(d.total_out() - produced_before).unwrap_or(0);
        let chunk = buf.get(..produced).unwrap_or_default();
        out.extend_from_slice(chunk);
        budget.charge_inflated(produced as u64)?;
        let total_out = d.total_out();
        if total_out > 64 * 1024 {
            let ratio = total_out / d.total_in().max(1);
            if ratio > max_ratio {
                return Err(BudgetExceeded::Ratio {
                    ratio,
                    limit: max_ratio,
                }
                .into());
            }
        }
        if total_out > MAX_STREAM_BYTES {
            return Err(BudgetExceeded::InflatedBytes {
                limit: MAX_STREAM_BYTES,
            }
            .into());
        }
        match status {
            Ok(Status::StreamEnd) | Err(_) => break,
            Ok(_) => {
                if produced == 0 && d.total_in() == consumed_before {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The nearest `/Resources` of a page, inherited through `/Parent`.
fn page_resources<'a>(doc: &'a Document, page: &'a Dictionary) -> Option<&'a Dictionary> {
    let mut node = page;
    for _ in 0..64 {
        if let Object::Dictionary(res) = get(doc, node, b"Resources") {
            return Some(res);
        }
        match get(doc, node, b"Parent") {
            Object::Dictionary(parent) => node = parent,
            _ => return None,
        }
    }
    None
}

fn page_text(
    doc: &Document,
    page: &Dictionary,
    page_no: u32,
    ctx: &mut ExtractCtx<'_>,
    cache: &mut Cache,
) -> Result<(), ExtractError> {
    let mut content = Vec::new();
    let streams: Vec<&Object> = match page.get(b"Contents").map(|o| resolve(doc, o)) {
        Ok(Object::Array(items)) => items.iter().map(|o| resolve(doc, o)).collect(),
        Ok(other) => vec![other],
        Err(_) => Vec::new(),
    };
    for s in streams {
        if let Object::Stream(stream) = s {
            if let Some(bytes) = stream_bytes(stream, ctx.budget())? {
                content.extend_from_slice(&bytes);
                content.push(b'\n');
            }
        }
    }
    let resources = page_resources(doc, page);
    let mut interp = Interp::new(doc, ctx, cache, Part::Page { page: page_no });
    interp.run(&content, resources, Matrix::IDENTITY)?;
    interp.finish()
}

fn text_string(doc: &Document, o: &Object) -> Option<String> {
    let o = resolve(doc, o);
    match o {
        Object::String(..) => lopdf::decode_text_string(o).ok(),
        _ => None,
    }
    .map(|s| s.replace('\r', "\n"))
    .filter(|s| !s.trim().is_empty())
}

fn annotations(
    doc: &Document,
    page: &Dictionary,
    page_no: u32,
    ctx: &mut ExtractCtx<'_>,
    cache: &mut Cache,
    files: &mut Files,
) -> Result<(), ExtractError> {
    let Object::Array(annots) = get(doc, page, b"Annots") else {
        return Ok(());
    };
    let part = Part::Annotation {
        page: Some(page_no),
    };
    for entry in annots {
        ctx.budget().check_time()?;
        let Object::Dictionary(annot) = resolve(doc, entry) else {
            continue;
        };
        let subtype = get(doc, annot, b"Subtype").as_name().unwrap_or_default();
        if subtype == b"Popup" {
            // A popup shows its parent's /Contents, which the parent reports.
            continue;
        }
        let mut lines: Vec<String> = Vec::new();
        for key in [b"T".as_slice(), b"Subj", b"Contents", b"V"] {
            if let Some(s) = annot.get(key).ok().and_then(|o| text_string(doc, o)) {
                lines.push(s);
            }
        }
        if !annot.has(b"Contents") {
            if let Some(rc) = annot.get(b"RC").ok().and_then(|o| text_string(doc, o)) {
                lines.push(strip_tags(&rc));
            }
        }
        // What the annotation draws (FreeText boxes, stamps, form fields) unless it repeats
        // what its /Contents says.
        if let Some(ap) = appearance(doc, annot) {
            let resources = match get(doc, &ap.dict, b"Resources") {
                Object::Dictionary(d) => Some(d),
                _ => None,
            };
            if let Some(bytes) = stream_bytes(ap, ctx.budget())? {
                let mut interp = Interp::new(doc, ctx, cache, part.clone());
                interp.run(&bytes, resources, Matrix::IDENTITY)?;
                let drawn = interp.take_text();
                let drawn = drawn.trim();
                let squash = |s: &str| s.split_whitespace().collect::<String>();
                let known = squash(&lines.join(""));
                if !drawn.is_empty() && !known.contains(&squash(drawn)) {
                    lines.push(drawn.to_owned());
                }
            }
        }
        let text = lines.join("\n");
        if !text.trim().is_empty() {
            ctx.emit(part.clone(), &text)?;
        }
        if subtype == b"FileAttachment" {
            if let Ok(fs) = annot.get(b"FS") {
                attachment(doc, resolve(doc, fs), None, ctx, files)?;
            }
        }
    }
    Ok(())
}

/// The normal appearance stream of an annotation (`/AP /N`, or the state `/AS` picks).
fn appearance<'a>(doc: &'a Document, annot: &'a Dictionary) -> Option<&'a Stream> {
    let Object::Dictionary(ap) = get(doc, annot, b"AP") else {
        return None;
    };
    match get(doc, ap, b"N") {
        Object::Stream(s) => Some(s),
        Object::Dictionary(states) => {
            let state = get(doc, annot, b"AS").as_name().ok();
            let chosen = state.and_then(|s| states.get(s).ok());
            match chosen.map(|o| resolve(doc, o)) {
                Some(Object::Stream(s)) => Some(s),
                _ => None,
            }
        }
        _ => None,
    }
}

fn strip_tags(rich: &str) -> String {
    let mut out = String::with_capacity(rich.len());
    let mut in_tag = false;
    for c in rich.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn properties(doc: &Document, ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let Ok(info) = doc.trailer.get(b"Info") else {
        return Ok(());
    };
    let Object::Dictionary(info) = resolve(doc, info) else {
        return Ok(());
    };
    let lines: Vec<String> = [b"Title".as_slice(), b"Author", b"Subject", b"Keywords"]
        .iter()
        .filter_map(|k| info.get(k).ok().and_then(|o| text_string(doc, o)))
        .collect();
    let text = lines.join("\n");
    if !text.is_empty() {
        ctx.emit(Part::Properties, &text)?;
    }
    Ok(())
}

/// Files in the catalog's `/Names /EmbeddedFiles` tree, each scanned as a nested member.
fn embedded_files(
    doc: &Document,
    ctx: &mut ExtractCtx<'_>,
    files: &mut Files,
) -> Result<(), ExtractError> {
    let Ok(catalog) = doc.catalog() else {
        return Ok(());
    };
    let Object::Dictionary(names) = get(doc, catalog, b"Names") else {
        return Ok(());
    };
    let root = get(doc, names, b"EmbeddedFiles");
    let mut stack: Vec<(&Object, usize)> = vec![(root, 0)];
    let mut visited: HashSet<*const Object> = HashSet::new();
    while let Some((node, depth)) = stack.pop() {
        ctx.budget().check_time()?;
        let Object::Dictionary(node) = node else {
            continue;
        };
        if !visited.insert(node as *const Dictionary as *const Object) || depth > MAX_TREE_DEPTH {
            continue;
        }
        if let Object::Array(pairs) = get(doc, node, b"Names") {
            for pair in pairs.chunks(2) {
                if let [key, spec] = pair {
                    let name = text_string(doc, key);
                    attachment(doc, resolve(doc, spec), name, ctx, files)?;
                }
            }
        }
        if let Object::Array(kids) = get(doc, node, b"Kids") {
            for kid in kids.iter().rev() {
                stack.push((resolve(doc, kid), depth + 1));
            }
        }
    }
    Ok(())
}

/// One file specification: its `/EF /F` stream is decoded under the budget and kept for
/// scanning.
fn attachment(
    doc: &Document,
    spec: &Object,
    tree_name: Option<String>,
    ctx: &mut ExtractCtx<'_>,
    files: &mut Files,
) -> Result<(), ExtractError> {
    let Object::Dictionary(spec) = spec else {
        return Ok(());
    };
    let Object::Dictionary(ef) = get(doc, spec, b"EF") else {
        return Ok(());
    };
    let Some(file_ref) = ef.get(b"UF").or_else(|_| ef.get(b"F")).ok() else {
        return Ok(());
    };
    if let Object::Reference(id) = file_ref {
        if !files.seen.insert(*id) {
            return Ok(());
        }
    }
    let Object::Stream(stream) = resolve(doc, file_ref) else {
        return Ok(());
    };
    let name = [b"UF".as_slice(), b"F"]
        .iter()
        .find_map(|k| spec.get(k).ok().and_then(|o| text_string(doc, o)))
        .or(tree_name)
        .unwrap_or_else(|| "attachment".to_owned());
    let Some(bytes) = stream_bytes(stream, ctx.budget())? else {
        return Ok(());
    };
    files.found.push((name, bytes));
    Ok(())
}
