//! Legacy binary Office files (OLE2 compound files): Excel 97–2003 `.xls` (and Excel 5/95),
//! Word 97–2003 `.doc`, and OLE2-wrapped encrypted OOXML packages.
//!
//! The compound file is opened with the `cfb` crate (MIT, maintained, pure Rust); every call
//! into it runs under `catch_unwind` because it parses hostile bytes, and a panic there becomes
//! [`ExtractError::Internal`].
//!
//! **.xls** is read by the small BIFF reader below rather than by `calamine`: calamine builds a
//! dense rows × columns grid per sheet and reserves capacity from the sheet's `DIMENSIONS`
//! record, so a few hundred bytes claiming a 65 536 × 65 536 sheet make it allocate tens of
//! gigabytes — an allocation failure aborts the process, which `catch_unwind` cannot catch.
//! The reader here walks the records once and emits each text cell as it finds it (sparse, no
//! grid): shared strings (`SST` with `CONTINUE`), `LABELSST`, `LABEL`, `RSTRING`, the cached
//! string results of formulas (`STRING`), sheet print headers/footers, and the text of
//! comments and text boxes (`TXO`). Numbers are not text and are not emitted. BIFF5 (Excel
//! 5/95) 8-bit strings are decoded with the workbook's code page (936 → GBK).
//!
//! **.doc**: no maintained pure-Rust reader for the Word binary format was found (crates.io
//! has only young, single-author projects that synthesise a whole DOCX model), so `.doc`
//! answers [`ExtractError::Unsupported`] — unless it is an encrypted OOXML package, which
//! answers [`ExtractError::Encrypted`].
//!
//! An encrypted `.docx`/`.xlsx`/`.pptx` is an OLE2 file with an `EncryptedPackage` stream;
//! [`ole_as_ooxml`] tells the OOXML extractors so.

use super::xmltext;
use super::{ExtractCtx, ExtractError, Format, Part};
use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Legacy Excel (.xls, BIFF8 and BIFF5): each text cell as `Sheet{name, cell}`, sheet names,
/// print headers/footers, comment and text-box text. A password-protected workbook
/// (`FILEPASS`) or an encrypted OOXML package answers [`ExtractError::Encrypted`].
pub fn extract_xls(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let format = Format::Xls;
    let limit = ctx.budget().inflated_remaining();
    let streams = read_streams(bytes, format, &["Workbook", "Book"], limit)?;
    if streams.encrypted_package {
        return Err(ExtractError::Encrypted { format });
    }
    let Some(workbook) = streams.found.into_iter().flatten().next() else {
        return Err(ExtractError::malformed(
            format,
            "no Workbook stream in the compound file",
        ));
    };
    ctx.budget().charge_inflated(workbook.len() as u64)?;
    Biff::new(&workbook).extract(ctx)
}

/// Legacy Word (.doc): not supported (see the module docs); an encrypted OOXML package with a
/// `.doc` name answers [`ExtractError::Encrypted`].
pub fn extract_doc(bytes: &[u8], _ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let format = Format::Doc;
    let streams = read_streams(bytes, format, &[], 0)?;
    if streams.encrypted_package {
        return Err(ExtractError::Encrypted { format });
    }
    Err(ExtractError::Unsupported { format })
}

/// What an OOXML extractor answers when given an OLE2 compound file: an encrypted package
/// (an `EncryptedPackage` stream) is [`ExtractError::Encrypted`], anything else is malformed.
pub fn ole_as_ooxml(format: Format, bytes: &[u8]) -> ExtractError {
    match read_streams(bytes, format, &[], 0) {
        Ok(s) if s.encrypted_package => ExtractError::Encrypted { format },
        Ok(_) => ExtractError::malformed(format, "an OLE2 compound file, not an OOXML package"),
        Err(e) => e,
    }
}

/// True if `bytes` are an OLE2 compound file holding an `EncryptedPackage` stream (an
/// encrypted .docx/.xlsx/.pptx, whatever its name says).
pub fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    read_streams(bytes, Format::Unknown, &[], 0).is_ok_and(|s| s.encrypted_package)
}

/// The streams read from a compound file.
struct Streams {
    /// Whether an `EncryptedPackage` stream exists.
    encrypted_package: bool,
    /// The first stream found of each name asked for, in order.
    found: Vec<Option<Vec<u8>>>,
}

/// Opens `bytes` as a compound file and reads the first existing stream of `names` (at most
/// `limit` bytes). Runs under `catch_unwind`: `cfb` parses hostile bytes.
fn read_streams(
    bytes: &[u8],
    format: Format,
    names: &[&str],
    limit: u64,
) -> Result<Streams, ExtractError> {
    let work = || -> Result<Streams, ExtractError> {
        let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
            .map_err(|e| ExtractError::malformed(format, format!("compound file: {e}")))?;
        let encrypted_package = cf.is_stream("/EncryptedPackage");
        let mut found = Vec::new();
        for name in names {
            let path = format!("/{name}");
            if !cf.is_stream(&path) {
                continue;
            }
            let stream = cf
                .open_stream(&path)
                .map_err(|e| ExtractError::malformed(format, format!("stream {name}: {e}")))?;
            let mut out = Vec::new();
            stream
                .take(limit.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| ExtractError::malformed(format, format!("stream {name}: {e}")))?;
            if out.len() as u64 > limit {
                return Err(crate::limits::BudgetExceeded::InflatedBytes { limit }.into());
            }
            found.push(Some(out));
            break;
        }
        Ok(Streams {
            encrypted_package,
            found,
        })
    };
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| {
        Err(ExtractError::Internal {
            format,
            reason: "the compound-file reader panicked".into(),
        })
    })
}

// BIFF record types (MS-XLS 2.3).
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;
const CODEPAGE: u16 = 0x0042;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const CONTINUE: u16 = 0x003C;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const HEADER: u16 = 0x0014;
const FOOTER: u16 = 0x0015;
const TXO: u16 = 0x01B6;

/// How many records pass between two deadline checks.
const RECORDS_PER_TIME_CHECK: u32 = 4096;

/// One BIFF record.
#[derive(Clone, Copy)]
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
}

/// The records of a BIFF stream from `pos`, stopping at the first truncated record.
fn records(stream: &[u8], pos: usize) -> impl Iterator<Item = (usize, Record<'_>)> + '_ {
    let mut pos = pos;
    std::iter::from_fn(move || {
        let head = stream.get(pos..pos.checked_add(4)?)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let data = stream.get(pos + 4..pos + 4 + len)?;
        let at = pos;
        pos += 4 + len;
        Some((at, Record { typ, data }))
    })
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A sheet named in the workbook globals.
struct SheetInfo {
    name: String,
    offset: usize,
}

/// The BIFF reader for one workbook stream.
struct Biff<'a> {
    stream: &'a [u8],
    biff8: bool,
    codepage: &'static encoding_rs::Encoding,
    records_seen: u32,
}

impl<'a> Biff<'a> {
    fn new(stream: &'a [u8]) -> Biff<'a> {
        Biff {
            stream,
            biff8: true,
            codepage: encoding_rs::WINDOWS_1252,
            records_seen: 0,
        }
    }

    fn tick(&mut self, ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
        self.records_seen = self.records_seen.wrapping_add(1);
        if self.records_seen.is_multiple_of(RECORDS_PER_TIME_CHECK) {
            ctx.budget().check_time()?;
        }
        Ok(())
    }

    fn malformed(&self, reason: &str) -> ExtractError {
        ExtractError::malformed(Format::Xls, reason)
    }

    fn extract(mut self, ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
        let stream = self.stream;
        let mut iter = records(stream, 0);
        let Some((_, first)) = iter.next() else {
            return Err(self.malformed("empty workbook stream"));
        };
        if first.typ != BOF {
            return Err(self.malformed("the workbook stream does not start with BOF"));
        }
        self.biff8 = u16_at(first.data, 0) == Some(0x0600);

        // Workbook globals: code page, sheets, shared strings.
        let mut sheets = Vec::new();
        let mut sst_parts: Vec<&[u8]> = Vec::new();
        let mut in_sst = false;
        for (_, r) in iter {
            self.tick(ctx)?;
            if in_sst && r.typ != CONTINUE {
                in_sst = false;
            }
            match r.typ {
                EOF => break,
                FILEPASS => {
                    return Err(ExtractError::Encrypted {
                        format: Format::Xls,
                    })
                }
                CODEPAGE => {
                    if let Some(cp) = u16_at(r.data, 0) {
                        self.codepage = codepage_encoding(cp);
                    }
                }
                BOUNDSHEET => {
                    let offset = u32_at(r.data, 0).map_or(0, |o| o as usize);
                    let kind = r.data.get(5).copied().unwrap_or(0);
                    let name = self.short_string(r.data.get(6..).unwrap_or_default());
                    // 0 = worksheet (and dialog sheet); charts and macros hold no cells.
                    if kind == 0 {
                        sheets.push(SheetInfo { name, offset });
                    }
                }
                SST => {
                    sst_parts.clear();
                    sst_parts.push(r.data);
                    in_sst = true;
                }
                CONTINUE if in_sst => sst_parts.push(r.data),
                _ => {}
            }
        }
        let shared = if self.biff8 && !sst_parts.is_empty() {
            self.shared_strings(&sst_parts, ctx)?
        } else {
            Vec::new()
        };

        // Two BOUNDSHEETs pointing at the same substream would only repeat work.
        let mut seen = std::collections::HashSet::new();
        for sheet in &sheets {
            if !seen.insert(sheet.offset) {
                continue;
            }
            ctx.emit(
                Part::Sheet {
                    name: sheet.name.clone(),
                    cell: None,
                },
                &sheet.name,
            )?;
            self.sheet(sheet, &shared, ctx)?;
        }
        Ok(())
    }

    /// The cells, headers, footers and text objects of one worksheet substream.
    fn sheet(
        &mut self,
        sheet: &SheetInfo,
        shared: &[String],
        ctx: &mut ExtractCtx<'_>,
    ) -> Result<(), ExtractError> {
        let stream = self.stream;
        let mut iter = records(stream, sheet.offset).peekable();
        match iter.next() {
            Some((_, r)) if r.typ == BOF => {}
            _ => return Ok(()),
        }
        let cell_part = |row: u16, col: u16| Part::Sheet {
            name: sheet.name.clone(),
            cell: Some(xmltext::cell_ref(u64::from(col), u64::from(row) + 1)),
        };
        let mut depth = 0usize;
        let mut formula_at: Option<(u16, u16)> = None;
        let mut comments = String::new();
        while let Some((_, r)) = iter.next() {
            self.tick(ctx)?;
            match r.typ {
                BOF => depth += 1,
                EOF if depth == 0 => break,
                EOF => depth -= 1,
                _ if depth > 0 => {}
                LABELSST => {
                    let (Some(row), Some(col), Some(i)) =
                        (u16_at(r.data, 0), u16_at(r.data, 2), u32_at(r.data, 6))
                    else {
                        continue;
                    };
                    if let Some(text) = shared.get(i as usize).filter(|t| !t.is_empty()) {
                        ctx.emit(cell_part(row, col), text)?;
                    }
                }
                LABEL | RSTRING => {
                    let (Some(row), Some(col)) = (u16_at(r.data, 0), u16_at(r.data, 2)) else {
                        continue;
                    };
                    let text = self.long_string(r.data.get(6..).unwrap_or_default());
                    ctx.emit(cell_part(row, col), &text)?;
                }
                FORMULA => {
                    let (Some(row), Some(col)) = (u16_at(r.data, 0), u16_at(r.data, 2)) else {
                        continue;
                    };
                    // A string result: byte 0 of the value is 0 and bytes 6..8 are 0xFFFF;
                    // the text follows in a STRING record.
                    let v = r.data.get(6..14).unwrap_or_default();
                    formula_at = (v.len() == 8 && v[0] == 0 && v[6] == 0xFF && v[7] == 0xFF)
                        .then_some((row, col));
                }
                STRING => {
                    if let Some((row, col)) = formula_at.take() {
                        let text = self.long_string(r.data);
                        ctx.emit(cell_part(row, col), &text)?;
                    }
                }
                HEADER | FOOTER => {
                    if r.data.is_empty() {
                        continue;
                    }
                    let raw = if self.biff8 {
                        self.long_string(r.data)
                    } else {
                        self.short_string(r.data)
                    };
                    let text = super::ooxml::strip_header_codes(&raw);
                    let name = sheet.name.clone();
                    let part = if r.typ == HEADER {
                        Part::Header { name }
                    } else {
                        Part::Footer { name }
                    };
                    ctx.emit(part, &text)?;
                }
                TXO => {
                    let cch = usize::from(u16_at(r.data, 10).unwrap_or(0));
                    if cch == 0 {
                        continue;
                    }
                    // The text follows in CONTINUE records, each starting with its own
                    // high-byte flag.
                    let mut text = String::new();
                    let mut left = cch;
                    while left > 0 {
                        let Some((_, c)) = iter.next_if(|(_, c)| c.typ == CONTINUE) else {
                            break;
                        };
                        let (s, n) = self.chars(c.data, left);
                        text.push_str(&s);
                        left = left.saturating_sub(n.max(1));
                    }
                    // The formatting runs come in one more CONTINUE.
                    let _ = iter.next_if(|(_, c)| c.typ == CONTINUE);
                    let text = text.replace('\r', "\n");
                    if !text.trim().is_empty() {
                        comments.push_str(text.trim_end_matches('\n'));
                        comments.push('\n');
                    }
                }
                _ => {}
            }
        }
        xmltext::trim_trailing_newlines(&mut comments);
        ctx.emit(Part::Comments, &comments)
    }

    /// The characters of a CONTINUE piece of a text object: flag byte, then up to `max`
    /// characters. Returns the text and how many characters it held.
    fn chars(&self, data: &[u8], max: usize) -> (String, usize) {
        let Some((&flags, rest)) = data.split_first() else {
            return (String::new(), 0);
        };
        if !self.biff8 {
            let n = max.min(data.len());
            let (s, _, _) = self.codepage.decode(data.get(..n).unwrap_or_default());
            return (s.into_owned(), n);
        }
        decode_chars(rest, max, flags & 1 == 1)
    }

    /// A `ShortXLUnicodeString` (BIFF8: cch u8, flags u8, chars) or a BIFF5 byte string
    /// (cch u8, bytes in the code page).
    fn short_string(&self, data: &[u8]) -> String {
        let Some((&cch, rest)) = data.split_first() else {
            return String::new();
        };
        let cch = usize::from(cch);
        if self.biff8 {
            let Some((&flags, chars)) = rest.split_first() else {
                return String::new();
            };
            decode_chars(chars, cch, flags & 1 == 1).0
        } else {
            let bytes = rest.get(..cch.min(rest.len())).unwrap_or_default();
            self.codepage.decode(bytes).0.into_owned()
        }
    }

    /// An `XLUnicodeString` (BIFF8: cch u16, flags u8, [runs], chars) or a BIFF5 byte string
    /// (cch u16, bytes in the code page).
    fn long_string(&self, data: &[u8]) -> String {
        let Some(cch) = u16_at(data, 0) else {
            return String::new();
        };
        let cch = usize::from(cch);
        let rest = data.get(2..).unwrap_or_default();
        if self.biff8 {
            let Some((&flags, mut chars)) = rest.split_first() else {
                return String::new();
            };
            // Rich and phonetic headers precede the characters when flagged.
            if flags & 0x08 != 0 {
                chars = chars.get(2..).unwrap_or_default();
            }
            if flags & 0x04 != 0 {
                chars = chars.get(4..).unwrap_or_default();
            }
            decode_chars(chars, cch, flags & 1 == 1).0
        } else {
            let bytes = rest.get(..cch.min(rest.len())).unwrap_or_default();
            self.codepage.decode(bytes).0.into_owned()
        }
    }

    /// The shared-string table (`SST` and its `CONTINUE` records).
    fn shared_strings(
        &mut self,
        parts: &[&[u8]],
        ctx: &mut ExtractCtx<'_>,
    ) -> Result<Vec<String>, ExtractError> {
        let mut reader = Pieces::new(parts);
        let _total = reader.u32();
        let unique = reader.u32().unwrap_or(0);
        let mut out = Vec::new();
        let mut n: u32 = 0;
        while n < unique {
            n += 1;
            self.tick(ctx)?;
            let Some(cch) = reader.u16() else { break };
            let Some(flags) = reader.u8() else { break };
            let runs = if flags & 0x08 != 0 {
                reader.u16().unwrap_or(0)
            } else {
                0
            };
            let ext = if flags & 0x04 != 0 {
                reader.u32().unwrap_or(0)
            } else {
                0
            };
            let Some(text) = reader.chars(usize::from(cch), flags & 1 == 1) else {
                break;
            };
            out.push(text);
            reader.skip(usize::from(runs) * 4);
            reader.skip(ext as usize);
        }
        Ok(out)
    }
}

/// Up to `max` characters of BIFF8 string data: UTF-16LE when `high`, else one byte per
/// character (the low bytes of UTF-16, i.e. Latin-1). Returns the text and the character
/// count read.
fn decode_chars(data: &[u8], max: usize, high: bool) -> (String, usize) {
    if high {
        let n = max.min(data.len() / 2);
        let units: Vec<u16> = data
            .chunks_exact(2)
            .take(n)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        (String::from_utf16_lossy(&units), n)
    } else {
        let n = max.min(data.len());
        (data.iter().take(n).map(|&b| char::from(b)).collect(), n)
    }
}

/// Reads across an `SST` record and its `CONTINUE` records. A string's characters may break
/// at a record boundary, where the next record starts with a fresh high-byte flag; other
/// fields run on without one.
struct Pieces<'a> {
    parts: &'a [&'a [u8]],
    index: usize,
    pos: usize,
}

impl<'a> Pieces<'a> {
    fn new(parts: &'a [&'a [u8]]) -> Pieces<'a> {
        Pieces {
            parts,
            index: 0,
            pos: 0,
        }
    }

    /// The unread rest of the current record, moving to the next record when it is used up.
    fn current(&mut self) -> Option<&'a [u8]> {
        loop {
            let part = self.parts.get(self.index)?;
            if let Some(rest) = part.get(self.pos..).filter(|r| !r.is_empty()) {
                return Some(rest);
            }
            self.index += 1;
            self.pos = 0;
        }
    }

    fn u8(&mut self) -> Option<u8> {
        let b = *self.current()?.first()?;
        self.pos += 1;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.u8()?, self.u8()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }

    fn skip(&mut self, mut n: usize) {
        while n > 0 {
            let Some(rest) = self.current() else { return };
            let step = n.min(rest.len());
            self.pos += step;
            n -= step;
        }
    }

    /// `cch` characters starting in the current record (high-byte flag `high`), continuing
    /// into following records after their own flag byte.
    fn chars(&mut self, cch: usize, mut high: bool) -> Option<String> {
        let mut out = String::new();
        let mut left = cch;
        let mut first = true;
        while left > 0 {
            if !first {
                // Crossing into the next record: it starts with a new flag byte.
                self.index += 1;
                self.pos = 0;
                let flags = self.u8()?;
                high = flags & 1 == 1;
            }
            first = false;
            let rest = match self.parts.get(self.index).and_then(|p| p.get(self.pos..)) {
                Some(r) => r,
                None => return Some(out),
            };
            let (s, n) = decode_chars(rest, left, high);
            out.push_str(&s);
            self.pos += if high { n * 2 } else { n };
            left -= n;
            if self.index + 1 >= self.parts.len() && left > 0 {
                return Some(out);
            }
        }
        Some(out)
    }
}

/// The encoding of a Windows code page, for BIFF5 8-bit strings.
fn codepage_encoding(cp: u16) -> &'static encoding_rs::Encoding {
    use encoding_rs as e;
    match cp {
        936 => e::GBK,
        950 => e::BIG5,
        932 => e::SHIFT_JIS,
        949 => e::EUC_KR,
        874 => e::WINDOWS_874,
        1250 => e::WINDOWS_1250,
        1251 => e::WINDOWS_1251,
        1253 => e::WINDOWS_1253,
        1254 => e::WINDOWS_1254,
        1255 => e::WINDOWS_1255,
        1256 => e::WINDOWS_1256,
        1257 => e::WINDOWS_1257,
        1258 => e::WINDOWS_1258,
        10000 => e::MACINTOSH,
        65001 => e::UTF_8,
        _ => e::WINDOWS_1252,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sst_string_split_across_continue_changes_width() {
        // SST: total 1, unique 1; string "AB中文" (4 chars) starts compressed with "AB" in the
        // SST record, then continues in a CONTINUE record flagged UTF-16 with "中文".
        let sst: Vec<u8> = [1u32.to_le_bytes(), 1u32.to_le_bytes()]
            .concat()
            .into_iter()
            .chain([4, 0, 0, b'A', b'B'])
            .collect();
        let cont: Vec<u8> = std::iter::once(1u8)
            .chain("中文".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let parts: Vec<&[u8]> = vec![&sst, &cont];
        let mut p = Pieces::new(&parts);
        assert_eq!(p.u32(), Some(1));
        assert_eq!(p.u32(), Some(1));
        let cch = p.u16().unwrap_or(0);
        let flags = p.u8().unwrap_or(0);
        assert_eq!(
            p.chars(usize::from(cch), flags & 1 == 1).as_deref(),
            Some("AB中文")
        );
    }
}
