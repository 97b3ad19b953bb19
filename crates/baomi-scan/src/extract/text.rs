//! Plain text: telling text from binary, and decoding UTF-8, UTF-16 (with BOM) and GBK/GB18030.
//!
//! Chinese offices still write GBK (Windows "ANSI" on a Chinese system), so a sieve that only
//! read UTF-8 would miss the very files it exists for. Detection is by content alone, never by
//! file name, in this order:
//!
//! 1. a byte-order mark: UTF-8, UTF-16LE or UTF-16BE — that encoding, whatever follows;
//! 2. a NUL byte or mostly control bytes in the first 8 KiB (and no UTF-16 BOM): binary;
//! 3. valid UTF-8: UTF-8;
//! 4. UTF-8 with a little damage (a file cut mid-character, a stray bad byte): read as UTF-8,
//!    the damage replaced ([`Encoding::Utf8Lossy`]);
//! 5. GB18030 (a superset of GBK and GB2312) when it decodes with next to no errors and most of
//!    the non-ASCII characters it yields are CJK: GB18030;
//! 6. mostly (90 %) printable ASCII with a few stray bytes (Latin-1 accents, a damaged byte): read as
//!    UTF-8 with the stray bytes replaced, so that ASCII banners such as `TOP SECRET` are still
//!    found ([`Encoding::Utf8Lossy`]);
//! 7. anything else: binary, skipped and counted by the scanner rather than guessed at.
//!
//! The whole decoded file is emitted as one [`Part::Body`] segment, so line numbers are the
//! file's own; the file's text is bounded by [`crate::limits::Limits::max_text_bytes`] (the
//! scanner feeds very large segments to the matcher in windows, so the matcher's own memory
//! stays bounded).

use super::{ExtractCtx, ExtractError, Format, Part};
use std::borrow::Cow;

/// The text encodings the sieve reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (with or without BOM). After a UTF-8 BOM, invalid bytes are replaced by U+FFFD.
    Utf8,
    /// UTF-16 little-endian with BOM.
    Utf16Le,
    /// UTF-16 big-endian with BOM.
    Utf16Be,
    /// GBK / GB18030.
    Gb18030,
    /// UTF-8 with a little damage (cut mid-character, a stray byte), or mostly ASCII text with a
    /// few bytes that are neither UTF-8 nor GBK (a Latin-1 accent): read as UTF-8, the bad
    /// bytes replaced by U+FFFD.
    Utf8Lossy,
}

impl Encoding {
    /// A short stable name (`utf-8`, `gb18030`, …) for reports.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Gb18030 => "gb18030",
            Encoding::Utf8Lossy => "utf-8 (lossy)",
        }
    }
}

const BOM_UTF8: &[u8] = &[0xEF, 0xBB, 0xBF];
const BOM_UTF16LE: &[u8] = &[0xFF, 0xFE];
const BOM_UTF16BE: &[u8] = &[0xFE, 0xFF];

/// How much of the start of a file is examined for NUL and control bytes.
const SNIFF_BYTES: usize = 8192;

/// Whether `bytes` are text, and in which encoding; `None` for binary.
pub fn detect(bytes: &[u8]) -> Option<Encoding> {
    classify(bytes).map(|(encoding, _)| encoding)
}

/// Decodes `bytes` as text, or `None` for binary. UTF-8 input without a BOM is borrowed, not
/// copied. A BOM is removed, so offsets count from the first character of text.
pub fn decode(bytes: &[u8]) -> Option<(Encoding, Cow<'_, str>)> {
    match classify(bytes)? {
        (encoding, Some(text)) => Some((encoding, Cow::Borrowed(text))),
        (encoding, None) => Some((encoding, decode_as(bytes, encoding))),
    }
}

/// The detection of the module documentation; for valid UTF-8 without a BOM also the text,
/// so that decoding does not validate a second time.
fn classify(bytes: &[u8]) -> Option<(Encoding, Option<&str>)> {
    if bytes.starts_with(BOM_UTF8) {
        return Some((Encoding::Utf8, None));
    }
    if bytes.starts_with(BOM_UTF16LE) {
        return Some((Encoding::Utf16Le, None));
    }
    if bytes.starts_with(BOM_UTF16BE) {
        return Some((Encoding::Utf16Be, None));
    }
    let head = bytes.get(..SNIFF_BYTES).unwrap_or(bytes);
    if looks_binary(head) {
        return None;
    }
    // SIMD validation: this runs over every byte of every text file, and std's validator was
    // most of the cost of scanning plain text.
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Some((Encoding::Utf8, Some(text)));
    }
    if mostly_utf8(bytes) {
        return Some((Encoding::Utf8Lossy, None));
    }
    if plausible_gb18030(bytes) {
        return Some((Encoding::Gb18030, None));
    }
    if mostly_ascii(bytes) {
        return Some((Encoding::Utf8Lossy, None));
    }
    None
}

/// Decodes `bytes` in `encoding`, replacing what does not decode with U+FFFD.
pub fn decode_as(bytes: &[u8], encoding: Encoding) -> Cow<'_, str> {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Lossy => {
            let body = bytes.strip_prefix(BOM_UTF8).unwrap_or(bytes);
            match simdutf8::basic::from_utf8(body) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(body),
            }
        }
        Encoding::Utf16Le => encoding_rs::UTF_16LE.decode_with_bom_removal(bytes).0,
        Encoding::Utf16Be => encoding_rs::UTF_16BE.decode_with_bom_removal(bytes).0,
        Encoding::Gb18030 => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
    }
}

/// Plain text in any of the [`Encoding`]s, emitted whole as [`Part::Body`].
pub fn extract(bytes: &[u8], ctx: &mut ExtractCtx<'_>) -> Result<(), ExtractError> {
    let Some((_, text)) = decode(bytes) else {
        return Err(ExtractError::malformed(
            Format::Text,
            "binary content, not text",
        ));
    };
    ctx.emit(Part::Body, &text)
}

/// A NUL byte, or more than one control byte in ten, marks binary content. Tabs, line breaks,
/// form feeds and ESC (ANSI colours in logs) are ordinary in text.
fn looks_binary(head: &[u8]) -> bool {
    if memchr::memchr(0, head).is_some() {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)) || b == 0x7F)
        .count();
    controls * 10 > head.len()
}

/// Whether GB18030 decodes `bytes` with at most one odd character (U+FFFD, control, private
/// use) in 200, and at least half of the non-ASCII characters are CJK. Decodes in pieces so
/// that detection needs no memory in proportion to the file.
fn plausible_gb18030(bytes: &[u8]) -> bool {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut buf = String::with_capacity(64 * 1024);
    let mut rest = bytes;
    let (mut chars, mut odd, mut non_ascii, mut cjk) = (0u64, 0u64, 0u64, 0u64);
    loop {
        buf.clear();
        let (result, read, _) = decoder.decode_to_string(rest, &mut buf, true);
        for c in buf.chars() {
            chars += 1;
            if c.is_ascii() {
                if c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b') {
                    odd += 1;
                }
                continue;
            }
            non_ascii += 1;
            if c == char::REPLACEMENT_CHARACTER
                || c.is_control()
                || ('\u{E000}'..='\u{F8FF}').contains(&c)
            {
                odd += 1;
            } else if is_cjk(c) {
                cjk += 1;
            }
        }
        rest = rest.get(read..).unwrap_or_default();
        if matches!(result, encoding_rs::CoderResult::InputEmpty) || rest.is_empty() {
            break;
        }
    }
    chars > 0 && odd * 200 <= chars && non_ascii > 0 && cjk * 2 >= non_ascii
}

/// CJK ideographs, punctuation, full-width forms, kana and hangul: what GBK text is made of.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'   // radicals
        | '\u{3000}'..='\u{303F}' // CJK punctuation
        | '\u{3040}'..='\u{30FF}' // kana
        | '\u{3100}'..='\u{31BF}' // bopomofo
        | '\u{3400}'..='\u{4DBF}' // extension A
        | '\u{4E00}'..='\u{9FFF}' // unified ideographs
        | '\u{AC00}'..='\u{D7AF}' // hangul
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{FE30}'..='\u{FE4F}' // compatibility forms
        | '\u{FF00}'..='\u{FFEF}' // full-width forms
        | '\u{2000}'..='\u{206F}' // general punctuation (“”…— in GBK text)
        | '\u{2460}'..='\u{24FF}' // enclosed numbers ①
        | '\u{2500}'..='\u{257F}' // box drawing
        | '\u{25A0}'..='\u{26FF}' // shapes and symbols, ★ among them
        | '\u{20000}'..='\u{3134F}' // extensions B–G
    )
}

/// UTF-8 with a little damage — a file cut in the middle of a character, one bad byte — rather
/// than another encoding: at most one invalid sequence per ten valid non-ASCII characters.
/// (GBK text forms valid UTF-8 sequences only by chance, and far more invalid ones.) Without
/// this, a truncated UTF-8 file would be decoded as GB18030 and its text turned to nonsense.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut invalid, mut multibyte) = (0u64, 0u64);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count() as u64;
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    multibyte > 0 && invalid * 10 <= multibyte
}

/// At least 90 % of the bytes are printable ASCII or whitespace.
fn mostly_ascii(bytes: &[u8]) -> bool {
    let ascii = bytes
        .iter()
        .filter(|&&b| (0x20..0x7F).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    ascii as u64 * 10 >= bytes.len() as u64 * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boms_win() {
        assert_eq!(detect(b"\xEF\xBB\xBFabc"), Some(Encoding::Utf8));
        assert_eq!(detect(b"\xFF\xFEa\0b\0"), Some(Encoding::Utf16Le));
        assert_eq!(detect(b"\xFE\xFF\0a\0b"), Some(Encoding::Utf16Be));
    }

    #[test]
    fn nul_without_bom_is_binary() {
        assert_eq!(detect(b"a\0b\0c\0"), None);
        assert_eq!(detect(b"\x01\x02\x03\x04abc"), None);
    }

    #[test]
    fn gbk_is_detected_and_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode("这是机密★10年的文件。\n第二行");
        assert_eq!(detect(&bytes), Some(Encoding::Gb18030));
        let (_, text) = decode(&bytes).unwrap_or((Encoding::Utf8, Cow::Borrowed("")));
        assert_eq!(text, "这是机密★10年的文件。\n第二行");
    }

    #[test]
    fn latin1_with_ascii_banner_is_lossy_text() {
        let bytes = b"TOP SECRET//NOFORN caf\xE9 au lait, fa\xE7ade, r\xE9sum\xE9 and more plain words here to read";
        assert_eq!(detect(bytes), Some(Encoding::Utf8Lossy));
    }

    #[test]
    fn empty_is_text() {
        assert_eq!(detect(b""), Some(Encoding::Utf8));
    }
}
