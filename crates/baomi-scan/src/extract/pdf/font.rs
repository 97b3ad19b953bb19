//! PDF fonts as far as text needs them: how a string splits into character codes, what
//! Unicode text each code stands for, and how far each glyph advances.
//!
//! The sources of text, in the order they are tried for each code:
//!
//! 1. the font's `/ToUnicode` CMap (`bfchar`, `bfrange` with a string or an array target;
//!    codespace ranges of 1 to 4 bytes split the string into codes);
//! 2. for simple fonts (Type1, TrueType, Type3): the base encoding (`WinAnsiEncoding`,
//!    `MacRomanEncoding`, `StandardEncoding`) with `/Differences`, glyph names mapped through
//!    [`super::glyphs`];
//! 3. for composite (Type0) fonts with a predefined CJK CMap: `UniGB-UCS2-H`, `UniGB-UTF16-H`
//!    and their CNS/JIS/KS siblings carry Unicode in the codes; `GBK-EUC-H`, `GBpc-EUC-H`,
//!    `GBK2K-H` carry GBK/GB 18030 (decoded with `encoding_rs`), and the Big5, Shift-JIS and
//!    EUC-KR CMaps likewise.
//!
//! An `Identity-H` font without `/ToUnicode` has glyph ids, not characters, in its codes: such
//! codes yield no text (the font's embedded program would be needed) rather than wrong text.

use super::glyphs;
use super::lexer::{Lexer, Operand, Token};
use super::{get, resolve, stream_bytes};
use crate::extract::ExtractError;
use crate::limits::Budget;
use lopdf::{Dictionary, Document, Object};
use std::collections::HashMap;

/// One code of a shown string.
#[derive(Debug)]
pub(super) struct Glyph {
    /// Its text, if known.
    pub(super) text: Option<String>,
    /// Its advance in text-space units per unit of font size (glyph width / 1000 usually).
    pub(super) advance: f64,
    /// A one-byte code 32, to which word spacing (`Tw`) applies.
    pub(super) word_space: bool,
}

/// A loaded font.
#[derive(Debug)]
pub(super) struct Font {
    codes: CodeSpace,
    to_unicode: Option<ToUnicode>,
    base: BaseMap,
    widths: Widths,
    /// Vertical writing (`-V` CMaps): glyphs advance down the page.
    pub(super) vertical: bool,
    /// Glyph space to text space (0.001, or a Type3 font's `/FontMatrix`).
    scale: f64,
}

#[derive(Debug, Clone, Copy)]
struct Range {
    len: usize,
    lo: [u8; 4],
    hi: [u8; 4],
}

#[derive(Debug)]
enum CodeSpace {
    OneByte,
    TwoByte,
    Ranges(Vec<Range>),
    Mbcs(Mbcs),
    Utf16,
}

#[derive(Debug, Clone, Copy)]
enum Mbcs {
    Gbk,
    Big5,
    ShiftJis,
    EucJp,
    EucKr,
}

#[derive(Debug)]
enum BaseMap {
    /// 256 entries; empty means unmapped.
    Simple(Vec<String>),
    /// Codes are UTF-16BE.
    Unicode,
    /// Codes are in a legacy multi-byte encoding.
    Legacy(&'static encoding_rs::Encoding),
    /// No text without a ToUnicode map.
    Nothing,
}

#[derive(Debug)]
enum Widths {
    Simple {
        first: u32,
        widths: Vec<f64>,
        missing: f64,
        builtin: Builtin,
    },
    Cid {
        default: f64,
        ranges: Vec<WidthRange>,
        flat: Vec<f64>,
        /// Codes are CIDs (Identity); otherwise widths are guessed from the text.
        identity: bool,
    },
}

#[derive(Debug, Clone, Copy)]
enum Builtin {
    Proportional,
    Mono,
}

#[derive(Debug, Clone, Copy)]
struct WidthRange {
    lo: u32,
    hi: u32,
    /// A constant width, or (when `list`) an index into `flat` for `lo`.
    value: f64,
    list: Option<usize>,
}

/// A parsed `/ToUnicode` CMap. Memory is proportional to the CMap's own size: ranges are kept
/// as ranges, not expanded.
#[derive(Debug, Default)]
pub(super) struct ToUnicode {
    codespace: Vec<Range>,
    chars: HashMap<u32, String>,
    ranges: Vec<BfRange>,
}

#[derive(Debug)]
struct BfRange {
    lo: u32,
    hi: u32,
    target: RangeTarget,
}

#[derive(Debug)]
enum RangeTarget {
    Base(Vec<u16>),
    List(Vec<String>),
}

impl Font {
    /// A font used when `Tf` names nothing loadable: bytes as WinAnsi, average widths.
    pub(super) fn fallback() -> Font {
        Font {
            codes: CodeSpace::OneByte,
            to_unicode: None,
            base: BaseMap::Simple(win_ansi_table()),
            widths: Widths::Simple {
                first: 0,
                widths: Vec::new(),
                missing: 0.0,
                builtin: Builtin::Proportional,
            },
            vertical: false,
            scale: 0.001,
        }
    }

    /// Loads a font dictionary.
    pub(super) fn load(
        doc: &Document,
        dict: &Dictionary,
        budget: &mut Budget,
    ) -> Result<Font, ExtractError> {
        let subtype = get(doc, dict, b"Subtype").as_name().unwrap_or_default();
        let to_unicode = match get(doc, dict, b"ToUnicode") {
            Object::Stream(s) => match stream_bytes(s, budget)? {
                Some(data) => Some(parse_cmap(&data, budget)?),
                None => None,
            },
            _ => None,
        };
        if subtype == b"Type0" {
            return Self::load_type0(doc, dict, to_unicode, budget);
        }
        let base_font = get(doc, dict, b"BaseFont").as_name().unwrap_or_default();
        let base_name = strip_subset(base_font);
        let symbolic_name = base_name.starts_with(b"Symbol") || base_name.starts_with(b"Zapf");
        let mut table = match get(doc, dict, b"Encoding") {
            Object::Name(n) => base_table(n),
            Object::Dictionary(enc) => {
                let mut t = match get(doc, enc, b"BaseEncoding") {
                    Object::Name(n) => base_table(n),
                    _ => default_table(subtype, symbolic_name),
                };
                apply_differences(doc, enc, &mut t);
                t
            }
            _ => default_table(subtype, symbolic_name),
        };
        table.resize(256, String::new());
        let scale = if subtype == b"Type3" {
            match get(doc, dict, b"FontMatrix") {
                Object::Array(m) => m
                    .first()
                    .and_then(|o| number(resolve(doc, o)))
                    .filter(|v| v.is_finite() && *v != 0.0)
                    .unwrap_or(0.001),
                _ => 0.001,
            }
        } else {
            0.001
        };
        let first = get(doc, dict, b"FirstChar")
            .as_i64()
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0);
        let widths: Vec<f64> = match get(doc, dict, b"Widths") {
            Object::Array(a) => a
                .iter()
                .take(256)
                .map(|o| number(resolve(doc, o)).unwrap_or(0.0))
                .collect(),
            _ => Vec::new(),
        };
        let missing = match get(doc, dict, b"FontDescriptor") {
            Object::Dictionary(fd) => number(get(doc, fd, b"MissingWidth")).unwrap_or(0.0),
            _ => 0.0,
        };
        let builtin = if base_name.starts_with(b"Courier") {
            Builtin::Mono
        } else {
            Builtin::Proportional
        };
        let codes = match &to_unicode {
            Some(tu) if tu.codespace.iter().any(|r| r.len > 1) => {
                CodeSpace::Ranges(tu.codespace.clone())
            }
            _ => CodeSpace::OneByte,
        };
        Ok(Font {
            codes,
            to_unicode,
            base: BaseMap::Simple(table),
            widths: Widths::Simple {
                first,
                widths,
                missing,
                builtin,
            },
            vertical: false,
            scale,
        })
    }

    fn load_type0(
        doc: &Document,
        dict: &Dictionary,
        to_unicode: Option<ToUnicode>,
        budget: &mut Budget,
    ) -> Result<Font, ExtractError> {
        let (codes, base, vertical, identity) = match get(doc, dict, b"Encoding") {
            Object::Name(n) => predefined_cmap(n),
            Object::Stream(s) => {
                // An embedded encoding CMap: its codespace splits the codes; its CIDs are not
                // text, so the text comes from ToUnicode only.
                let name = get(doc, &s.dict, b"CMapName").as_name().unwrap_or_default();
                let vertical = name.ends_with(b"-V")
                    || matches!(get(doc, &s.dict, b"WMode"), Object::Integer(1));
                let codes = match stream_bytes(s, budget)? {
                    Some(data) => {
                        let cm = parse_cmap(&data, budget)?;
                        if cm.codespace.is_empty() {
                            CodeSpace::TwoByte
                        } else {
                            CodeSpace::Ranges(cm.codespace)
                        }
                    }
                    None => CodeSpace::TwoByte,
                };
                (codes, BaseMap::Nothing, vertical, true)
            }
            _ => (CodeSpace::TwoByte, BaseMap::Nothing, false, true),
        };
        let descendant = match get(doc, dict, b"DescendantFonts") {
            Object::Array(a) => a.first().map(|o| resolve(doc, o)),
            _ => None,
        };
        let mut default = 1000.0;
        let mut ranges = Vec::new();
        let mut flat = Vec::new();
        if let Some(Object::Dictionary(cid)) = descendant {
            if let Some(dw) = number(get(doc, cid, b"DW")) {
                default = dw;
            }
            if let Object::Array(w) = get(doc, cid, b"W") {
                parse_w(doc, w, &mut ranges, &mut flat);
            }
        }
        ranges.sort_by_key(|r| r.lo);
        Ok(Font {
            codes,
            to_unicode,
            base,
            widths: Widths::Cid {
                default,
                ranges,
                flat,
                identity,
            },
            vertical,
            scale: 0.001,
        })
    }

    /// Splits `bytes` into codes and reports each glyph to `f`.
    pub(super) fn decode(&self, bytes: &[u8], mut f: impl FnMut(Glyph)) {
        let mut i = 0usize;
        while i < bytes.len() {
            let rest = bytes.get(i..).unwrap_or_default();
            let n = self.code_len(rest).clamp(1, rest.len().max(1));
            let code_bytes = rest.get(..n).unwrap_or(rest);
            i += n;
            let code = code_bytes
                .iter()
                .fold(0u32, |acc, &b| acc << 8 | u32::from(b));
            let text = self.text(code, code_bytes);
            let advance = self.width(code, text.as_deref()) * self.scale;
            f(Glyph {
                text,
                advance,
                word_space: n == 1 && code == 32,
            });
        }
    }

    fn code_len(&self, rest: &[u8]) -> usize {
        match &self.codes {
            CodeSpace::OneByte => 1,
            CodeSpace::TwoByte => 2,
            CodeSpace::Ranges(ranges) => ranges_len(ranges, rest),
            CodeSpace::Utf16 => {
                let first = rest.first().copied().unwrap_or(0);
                if (0xD8..=0xDB).contains(&first) && rest.len() >= 4 {
                    4
                } else {
                    2
                }
            }
            CodeSpace::Mbcs(m) => mbcs_len(*m, rest),
        }
    }

    fn text(&self, code: u32, code_bytes: &[u8]) -> Option<String> {
        if let Some(tu) = &self.to_unicode {
            if let Some(t) = tu.lookup(code) {
                return Some(t);
            }
        }
        match &self.base {
            BaseMap::Simple(table) => table.get(code as usize).filter(|s| !s.is_empty()).cloned(),
            BaseMap::Unicode => {
                let units: Vec<u16> = code_bytes
                    .chunks(2)
                    .map(|c| match c {
                        [a, b] => u16::from_be_bytes([*a, *b]),
                        [a] => u16::from(*a),
                        _ => 0xFFFD,
                    })
                    .collect();
                let s: String = char::decode_utf16(units)
                    .filter_map(Result::ok)
                    .filter(|c| *c != '\0')
                    .collect();
                (!s.is_empty()).then_some(s)
            }
            BaseMap::Legacy(enc) => {
                let (s, had_errors) = enc.decode_without_bom_handling(code_bytes);
                (!had_errors && !s.is_empty() && !s.contains('\0')).then(|| s.into_owned())
            }
            BaseMap::Nothing => None,
        }
    }

    fn width(&self, code: u32, text: Option<&str>) -> f64 {
        match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
                builtin,
            } => {
                if let Some(w) = code
                    .checked_sub(*first)
                    .and_then(|i| widths.get(i as usize))
                {
                    return *w;
                }
                if !widths.is_empty() && *missing > 0.0 {
                    return *missing;
                }
                match builtin {
                    Builtin::Mono => 600.0,
                    Builtin::Proportional => text
                        .and_then(|t| {
                            let mut cs = t.chars();
                            let c = cs.next()?;
                            cs.next().is_none().then_some(c)
                        })
                        .and_then(glyphs::helvetica_width)
                        .unwrap_or(500.0),
                }
            }
            Widths::Cid {
                default,
                ranges,
                flat,
                identity,
            } => {
                if !identity {
                    // Codes are not CIDs: guess half or full width from the text.
                    return match text.and_then(|t| t.chars().next()) {
                        Some(c) if (c as u32) < 0x2E80 => 500.0,
                        _ => 1000.0,
                    };
                }
                let idx = ranges.partition_point(|r| r.lo <= code);
                for r in ranges.get(..idx).unwrap_or_default().iter().rev().take(8) {
                    if code <= r.hi {
                        return match r.list {
                            Some(start) => flat
                                .get(start + (code - r.lo) as usize)
                                .copied()
                                .unwrap_or(*default),
                            None => r.value,
                        };
                    }
                }
                *default
            }
        }
    }
}

impl ToUnicode {
    fn lookup(&self, code: u32) -> Option<String> {
        if let Some(s) = self.chars.get(&code) {
            return (!s.is_empty()).then(|| s.clone());
        }
        let idx = self.ranges.partition_point(|r| r.lo <= code);
        for r in self
            .ranges
            .get(..idx)
            .unwrap_or_default()
            .iter()
            .rev()
            .take(16)
        {
            if code > r.hi {
                continue;
            }
            let off = code - r.lo;
            return match &r.target {
                RangeTarget::List(list) => {
                    list.get(off as usize).filter(|s| !s.is_empty()).cloned()
                }
                RangeTarget::Base(units) => {
                    let mut units = units.clone();
                    let single = units.len() == 1;
                    let last = units.last_mut()?;
                    let v = u32::from(*last).checked_add(off)?;
                    if single && v > 0xFFFF {
                        return char::from_u32(v).map(String::from);
                    }
                    *last = u16::try_from(v).ok()?;
                    let s: String = char::decode_utf16(units).filter_map(Result::ok).collect();
                    (!s.is_empty()).then_some(s)
                }
            };
        }
        None
    }
}

fn ranges_len(ranges: &[Range], rest: &[u8]) -> usize {
    for n in 1..=4usize {
        let Some(prefix) = rest.get(..n) else {
            break;
        };
        let hit = ranges.iter().any(|r| {
            r.len == n
                && prefix
                    .iter()
                    .zip(r.lo.iter().zip(r.hi.iter()))
                    .all(|(b, (lo, hi))| lo <= b && b <= hi)
        });
        if hit {
            return n;
        }
    }
    ranges.iter().map(|r| r.len).min().unwrap_or(1)
}

fn mbcs_len(m: Mbcs, rest: &[u8]) -> usize {
    let b0 = rest.first().copied().unwrap_or(0);
    let b1 = rest.get(1).copied().unwrap_or(0);
    match m {
        Mbcs::Gbk => {
            if (0x81..=0xFE).contains(&b0) {
                if (0x30..=0x39).contains(&b1) {
                    4
                } else {
                    2
                }
            } else {
                1
            }
        }
        Mbcs::Big5 | Mbcs::EucKr => {
            if (0x81..=0xFE).contains(&b0) {
                2
            } else {
                1
            }
        }
        Mbcs::ShiftJis => {
            if (0x81..=0x9F).contains(&b0) || (0xE0..=0xFC).contains(&b0) {
                2
            } else {
                1
            }
        }
        Mbcs::EucJp => match b0 {
            0x8F => 3,
            0x8E | 0xA1..=0xFE => 2,
            _ => 1,
        },
    }
}

/// A predefined CMap by name: (code space, text source, vertical, codes are CIDs).
fn predefined_cmap(name: &[u8]) -> (CodeSpace, BaseMap, bool, bool) {
    let vertical = name.ends_with(b"-V");
    let stem = name
        .strip_suffix(b"-H")
        .or_else(|| name.strip_suffix(b"-V"))
        .unwrap_or(name);
    let starts = |p: &[u8]| stem.starts_with(p);
    if stem == b"Identity" {
        return (CodeSpace::TwoByte, BaseMap::Nothing, vertical, true);
    }
    if starts(b"Uni") && stem.windows(4).any(|w| w == b"UCS2") {
        return (CodeSpace::TwoByte, BaseMap::Unicode, vertical, false);
    }
    if starts(b"Uni") && stem.windows(5).any(|w| w == b"UTF16") {
        return (CodeSpace::Utf16, BaseMap::Unicode, vertical, false);
    }
    let legacy = |m: Mbcs, e: &'static encoding_rs::Encoding| {
        (CodeSpace::Mbcs(m), BaseMap::Legacy(e), vertical, false)
    };
    if starts(b"GB") {
        return legacy(Mbcs::Gbk, encoding_rs::GB18030);
    }
    if starts(b"B5") || starts(b"ETen") || starts(b"HKscs") || starts(b"ETHK") {
        return legacy(Mbcs::Big5, encoding_rs::BIG5);
    }
    if stem.windows(4).any(|w| w == b"RKSJ") {
        return legacy(Mbcs::ShiftJis, encoding_rs::SHIFT_JIS);
    }
    if stem == b"EUC" {
        return legacy(Mbcs::EucJp, encoding_rs::EUC_JP);
    }
    if starts(b"KSC") {
        return legacy(Mbcs::EucKr, encoding_rs::EUC_KR);
    }
    (CodeSpace::TwoByte, BaseMap::Nothing, vertical, true)
}

fn strip_subset(name: &[u8]) -> &[u8] {
    match name.get(6) {
        Some(b'+') if name.iter().take(6).all(u8::is_ascii_uppercase) => {
            name.get(7..).unwrap_or_default()
        }
        _ => name,
    }
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)).filter(|v| v.is_finite()),
        _ => None,
    }
}

fn base_table(name: &[u8]) -> Vec<String> {
    match name {
        b"WinAnsiEncoding" => win_ansi_table(),
        b"MacRomanEncoding" => legacy_table(encoding_rs::MACINTOSH),
        b"PDFDocEncoding" => win_ansi_table(),
        _ => standard_table(),
    }
}

fn default_table(subtype: &[u8], symbolic_name: bool) -> Vec<String> {
    if symbolic_name {
        // Symbol and ZapfDingbats codes are not letters; only ToUnicode can say what they are.
        return vec![String::new(); 256];
    }
    if subtype == b"TrueType" {
        win_ansi_table()
    } else {
        standard_table()
    }
}

fn standard_table() -> Vec<String> {
    (0..=255u8)
        .map(|b| {
            glyphs::standard_encoding(b)
                .map(String::from)
                .unwrap_or_default()
        })
        .collect()
}

fn win_ansi_table() -> Vec<String> {
    let mut t = legacy_table(encoding_rs::WINDOWS_1252);
    // WinAnsi shows a bullet for the codes Windows-1252 leaves undefined.
    for c in [0x81usize, 0x8D, 0x8F, 0x90, 0x9D] {
        if let Some(slot) = t.get_mut(c) {
            *slot = String::new();
        }
    }
    t
}

fn legacy_table(enc: &'static encoding_rs::Encoding) -> Vec<String> {
    (0..=255u8)
        .map(|b| {
            if b < 0x20 {
                return String::new();
            }
            let bytes = [b];
            let (s, had_errors) = enc.decode_without_bom_handling(&bytes);
            if had_errors {
                String::new()
            } else {
                s.into_owned()
            }
        })
        .collect()
}

fn apply_differences(doc: &Document, enc: &Dictionary, table: &mut [String]) {
    let Object::Array(diffs) = get(doc, enc, b"Differences") else {
        return;
    };
    let mut code: Option<usize> = None;
    for item in diffs.iter().take(4096) {
        match resolve(doc, item) {
            Object::Integer(i) => code = usize::try_from(*i).ok(),
            Object::Name(n) => {
                if let Some(c) = code {
                    if let Some(slot) = table.get_mut(c) {
                        *slot = glyphs::glyph_to_unicode(n).unwrap_or_default();
                    }
                    code = Some(c.saturating_add(1));
                }
            }
            _ => {}
        }
    }
}

/// The `/W` array of a CID font: `c [w1 w2 …]` or `c_first c_last w`.
fn parse_w(doc: &Document, w: &[Object], ranges: &mut Vec<WidthRange>, flat: &mut Vec<f64>) {
    let mut i = 0usize;
    let to_u32 = |o: &Object| -> Option<u32> {
        match o {
            Object::Integer(v) => u32::try_from(*v).ok(),
            Object::Real(v) if *v >= 0.0 => Some(*v as u32),
            _ => None,
        }
    };
    while i < w.len() {
        let Some(first) = w.get(i).map(|o| resolve(doc, o)).and_then(to_u32) else {
            i += 1;
            continue;
        };
        match w.get(i + 1).map(|o| resolve(doc, o)) {
            Some(Object::Array(list)) => {
                let start = flat.len();
                flat.extend(list.iter().map(|o| number(resolve(doc, o)).unwrap_or(0.0)));
                if !list.is_empty() {
                    ranges.push(WidthRange {
                        lo: first,
                        hi: first.saturating_add(list.len() as u32 - 1),
                        value: 0.0,
                        list: Some(start),
                    });
                }
                i += 2;
            }
            Some(o) => {
                let last = to_u32(o);
                let value = w.get(i + 2).map(|o| resolve(doc, o)).and_then(number);
                if let (Some(last), Some(value)) = (last, value) {
                    if last >= first {
                        ranges.push(WidthRange {
                            lo: first,
                            hi: last,
                            value,
                            list: None,
                        });
                    }
                }
                i += 3;
            }
            None => break,
        }
    }
}

/// Parses a CMap stream (ToUnicode or an embedded encoding CMap): codespace ranges,
/// `bfchar` and `bfrange` mappings.
pub(super) fn parse_cmap(data: &[u8], budget: &mut Budget) -> Result<ToUnicode, ExtractError> {
    let mut out = ToUnicode::default();
    let mut lexer = Lexer::new(data);
    let mut pending: Vec<Operand> = Vec::new();
    let mut n = 0u64;
    while let Some(tok) = lexer.next_token() {
        n += 1;
        if n.is_multiple_of(4096) {
            budget.check_time()?;
        }
        match tok {
            Token::Operand(o) => {
                if pending.len() < 1 << 20 {
                    pending.push(o);
                }
            }
            Token::Operator(op) => {
                match op {
                    b"endcodespacerange" => {
                        for pair in pending.chunks(2) {
                            if let [Operand::String(lo), Operand::String(hi)] = pair {
                                if let Some(r) = range(lo, hi) {
                                    out.codespace.push(r);
                                }
                            }
                        }
                    }
                    b"endbfchar" => {
                        for pair in pending.chunks(2) {
                            if let [Operand::String(src), dst] = pair {
                                if src.len() <= 4 {
                                    let code = be(src);
                                    let text = match dst {
                                        Operand::String(d) => utf16be(d),
                                        Operand::Name(n) => {
                                            glyphs::glyph_to_unicode(n).unwrap_or_default()
                                        }
                                        _ => String::new(),
                                    };
                                    out.chars.insert(code, text);
                                }
                            }
                        }
                    }
                    b"endbfrange" => {
                        for triple in pending.chunks(3) {
                            if let [Operand::String(lo), Operand::String(hi), dst] = triple {
                                if lo.len() > 4 || hi.len() > 4 {
                                    continue;
                                }
                                let (lo, hi) = (be(lo), be(hi));
                                if hi < lo {
                                    continue;
                                }
                                let target = match dst {
                                    Operand::String(d) => RangeTarget::Base(
                                        d.chunks(2)
                                            .map(|c| match c {
                                                [a, b] => u16::from_be_bytes([*a, *b]),
                                                [a] => u16::from(*a),
                                                _ => 0,
                                            })
                                            .collect(),
                                    ),
                                    Operand::Array(items) => RangeTarget::List(
                                        items
                                            .iter()
                                            .map(|i| match i {
                                                Operand::String(d) => utf16be(d),
                                                _ => String::new(),
                                            })
                                            .collect(),
                                    ),
                                    _ => continue,
                                };
                                if matches!(&target, RangeTarget::Base(u) if u.is_empty()) {
                                    continue;
                                }
                                out.ranges.push(BfRange { lo, hi, target });
                            }
                        }
                    }
                    _ => {}
                }
                pending.clear();
            }
        }
    }
    out.ranges.sort_by_key(|r| r.lo);
    Ok(out)
}

fn range(lo: &[u8], hi: &[u8]) -> Option<Range> {
    if lo.len() != hi.len() || lo.is_empty() || lo.len() > 4 {
        return None;
    }
    let mut r = Range {
        len: lo.len(),
        lo: [0; 4],
        hi: [0; 4],
    };
    for (i, (l, h)) in lo.iter().zip(hi.iter()).enumerate() {
        *r.lo.get_mut(i)? = *l;
        *r.hi.get_mut(i)? = *h;
    }
    Some(r)
}

fn be(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b))
}

fn utf16be(d: &[u8]) -> String {
    if d.len() == 1 {
        return d
            .first()
            .map(|&b| char::from(b).to_string())
            .unwrap_or_default();
    }
    let units = d.chunks(2).map(|c| match c {
        [a, b] => u16::from_be_bytes([*a, *b]),
        [a] => u16::from(*a),
        _ => 0,
    });
    char::decode_utf16(units)
        .filter_map(Result::ok)
        .filter(|c| *c != '\0')
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::limits::Limits;

    fn decode_all(font: &Font, bytes: &[u8]) -> String {
        let mut s = String::new();
        font.decode(bytes, |g| s.push_str(g.text.as_deref().unwrap_or("")));
        s
    }

    #[test]
    fn tounicode_bfchar_bfrange_array_and_codespace() {
        let mut budget = Budget::start(&Limits::default());
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            2 beginbfchar <0001> <673A> <0002> <5BC6> endbfchar
            2 beginbfrange <0010> <0012> <0041> <0020> <0021> [<2605> <D83DDE00>] endbfrange
            endcmap CMapName currentdict /CMap defineresource pop end end";
        let tu = parse_cmap(cmap, &mut budget).unwrap();
        let font = Font {
            codes: CodeSpace::Ranges(tu.codespace.clone()),
            to_unicode: Some(tu),
            base: BaseMap::Nothing,
            widths: Widths::Cid {
                default: 1000.0,
                ranges: Vec::new(),
                flat: Vec::new(),
                identity: true,
            },
            vertical: false,
            scale: 0.001,
        };
        assert_eq!(
            decode_all(
                &font,
                b"\x00\x01\x00\x02\x00\x10\x00\x12\x00\x20\x00\x21\x00\x99"
            ),
            "机密AC★😀"
        );
    }

    #[test]
    fn predefined_gbk_and_ucs2_cmaps() {
        let (codes, base, _, _) = predefined_cmap(b"GBK-EUC-H");
        let font = Font {
            codes,
            to_unicode: None,
            base,
            widths: Widths::Cid {
                default: 1000.0,
                ranges: Vec::new(),
                flat: Vec::new(),
                identity: false,
            },
            vertical: false,
            scale: 0.001,
        };
        let (gbk, _, _) = encoding_rs::GBK.encode("机密A");
        assert_eq!(decode_all(&font, &gbk), "机密A");
        let (codes, base, vertical, _) = predefined_cmap(b"UniGB-UCS2-V");
        assert!(vertical);
        let font = Font {
            codes,
            base,
            ..font
        };
        assert_eq!(decode_all(&font, b"\x67\x3A\x5B\xC6"), "机密");
    }
}
