//! Glyph names and built-in encodings of simple PDF fonts.
//!
//! Simple fonts (Type1, TrueType, Type3) map one-byte codes to glyph *names* through a base
//! encoding and `/Differences`; the text is then the Unicode value of each name. This module
//! knows the names that the base encodings (Standard, WinAnsi, MacRoman) use and the common
//! extras (ligatures, dashes, quotes, a little maths), plus the algorithmic `uniXXXX` /
//! `uXXXX` names and `a_b` ligature names of the Adobe Glyph List specification. Names it does
//! not know (`g31`, `cid1234`, …) carry no text and are dropped rather than guessed at.

/// The text of glyph `name`, or `None` when the name says nothing about its character.
pub(super) fn glyph_to_unicode(name: &[u8]) -> Option<String> {
    // `a.sc`, `one.oldstyle`: the suffix is a variant, the part before it names the character.
    let base = match memchr::memchr(b'.', name) {
        Some(0) => return None,
        Some(i) => name.get(..i)?,
        None => name,
    };
    if base.contains(&b'_') {
        let mut out = String::new();
        for part in base.split(|&b| b == b'_') {
            out.push_str(&single(part)?);
        }
        return (!out.is_empty()).then_some(out);
    }
    single(base)
}

fn single(name: &[u8]) -> Option<String> {
    if let Some(c) = named(name) {
        return Some(c.to_string());
    }
    if let Some(hex) = name.strip_prefix(b"uni") {
        // `uni` followed by one or more groups of four hex digits, each a BMP character.
        if hex.is_empty() || hex.len() % 4 != 0 {
            return None;
        }
        let mut out = String::new();
        for group in hex.chunks(4) {
            let v = parse_hex(group)?;
            out.push(char::from_u32(v)?);
        }
        return Some(out);
    }
    if let Some(hex) = name.strip_prefix(b"u") {
        if (4..=6).contains(&hex.len()) {
            let v = parse_hex(hex)?;
            return char::from_u32(v).map(|c| c.to_string());
        }
    }
    None
}

fn parse_hex(digits: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(digits).ok()?;
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// The Adobe StandardEncoding, the built-in encoding of most Type1 fonts.
pub(super) fn standard_encoding(code: u8) -> Option<char> {
    let c = match code {
        0x27 => '\u{2019}',
        0x60 => '\u{2018}',
        0x20..=0x7E => char::from(code),
        0xA1 => '¡',
        0xA2 => '¢',
        0xA3 => '£',
        0xA4 => '\u{2044}',
        0xA5 => '¥',
        0xA6 => 'ƒ',
        0xA7 => '§',
        0xA8 => '¤',
        0xA9 => '\'',
        0xAA => '\u{201C}',
        0xAB => '«',
        0xAC => '\u{2039}',
        0xAD => '\u{203A}',
        0xAE => '\u{FB01}',
        0xAF => '\u{FB02}',
        0xB1 => '\u{2013}',
        0xB2 => '\u{2020}',
        0xB3 => '\u{2021}',
        0xB4 => '·',
        0xB6 => '¶',
        0xB7 => '\u{2022}',
        0xB8 => '\u{201A}',
        0xB9 => '\u{201E}',
        0xBA => '\u{201D}',
        0xBB => '»',
        0xBC => '\u{2026}',
        0xBD => '\u{2030}',
        0xBF => '¿',
        0xC1 => '`',
        0xC2 => '´',
        0xC3 => '\u{02C6}',
        0xC4 => '\u{02DC}',
        0xC5 => '¯',
        0xC6 => '\u{02D8}',
        0xC7 => '\u{02D9}',
        0xC8 => '¨',
        0xCA => '\u{02DA}',
        0xCB => '¸',
        0xCD => '\u{02DD}',
        0xCE => '\u{02DB}',
        0xCF => '\u{02C7}',
        0xD0 => '\u{2014}',
        0xE1 => 'Æ',
        0xE3 => 'ª',
        0xE8 => 'Ł',
        0xE9 => 'Ø',
        0xEA => 'Œ',
        0xEB => 'º',
        0xF1 => 'æ',
        0xF5 => 'ı',
        0xF8 => 'ł',
        0xF9 => 'ø',
        0xFA => 'œ',
        0xFB => 'ß',
        _ => return None,
    };
    Some(c)
}

/// Advance widths (thousandths of an em) of Helvetica for ASCII, used for the standard fonts
/// that PDFs may name without `/Widths`. Exact widths only matter for telling word gaps from
/// glyph advances, so Helvetica stands in for Times and the other proportional faces too.
pub(super) fn helvetica_width(c: char) -> Option<f64> {
    let w = match c {
        ' ' | '!' | ',' | '.' | '/' | ':' | ';' | 'I' | '[' | '\\' | ']' | 'f' | 't' => 278,
        '"' => 355,
        '#' | '$' | '0'..='9' | '?' | '_' | 'a' | 'b' | 'd' | 'e' | 'g' | 'h' | 'n' | 'o' => 556,
        'p' | 'q' | 'u' | 'L' => 556,
        '%' => 889,
        '&' | 'A' | 'B' | 'E' | 'K' | 'P' | 'S' | 'V' | 'X' | 'Y' => 667,
        '\'' => 191,
        '(' | ')' | '-' | 'r' => 333,
        '*' => 389,
        '+' | '<' | '=' | '>' | '~' => 584,
        '@' => 1015,
        'C' | 'D' | 'H' | 'N' | 'R' | 'U' | 'w' => 722,
        'F' | 'T' | 'Z' => 611,
        'G' | 'O' | 'Q' => 778,
        'J' | 'c' | 'k' | 's' | 'v' | 'x' | 'y' | 'z' => 500,
        'M' | 'm' => 833,
        'W' => 944,
        '^' => 469,
        '`' | 'i' | 'j' | 'l' => 222,
        '{' | '}' => 334,
        '|' => 260,
        _ => return None,
    };
    Some(f64::from(w))
}

fn named(name: &[u8]) -> Option<char> {
    if name.len() == 1 {
        let b = *name.first()?;
        if b.is_ascii_alphabetic() {
            return Some(char::from(b));
        }
        return None;
    }
    let c = match name {
        b"space" | b"spacehackarabic" => ' ',
        b"nbspace" | b"nonbreakingspace" => '\u{A0}',
        b"exclam" => '!',
        b"quotedbl" => '"',
        b"numbersign" => '#',
        b"dollar" => '$',
        b"percent" => '%',
        b"ampersand" => '&',
        b"quotesingle" => '\'',
        b"quoteright" => '\u{2019}',
        b"quoteleft" => '\u{2018}',
        b"parenleft" => '(',
        b"parenright" => ')',
        b"asterisk" => '*',
        b"plus" => '+',
        b"comma" => ',',
        b"hyphen" => '-',
        b"sfthyphen" | b"softhyphen" => '\u{AD}',
        b"period" => '.',
        b"slash" => '/',
        b"zero" => '0',
        b"one" => '1',
        b"two" => '2',
        b"three" => '3',
        b"four" => '4',
        b"five" => '5',
        b"six" => '6',
        b"seven" => '7',
        b"eight" => '8',
        b"nine" => '9',
        b"colon" => ':',
        b"semicolon" => ';',
        b"less" => '<',
        b"equal" => '=',
        b"greater" => '>',
        b"question" => '?',
        b"at" => '@',
        b"bracketleft" => '[',
        b"backslash" => '\\',
        b"bracketright" => ']',
        b"asciicircum" => '^',
        b"underscore" => '_',
        b"grave" => '`',
        b"braceleft" => '{',
        b"bar" => '|',
        b"braceright" => '}',
        b"asciitilde" => '~',
        b"Euro" => '€',
        b"quotesinglbase" => '\u{201A}',
        b"florin" => 'ƒ',
        b"quotedblbase" => '\u{201E}',
        b"ellipsis" => '\u{2026}',
        b"dagger" => '\u{2020}',
        b"daggerdbl" => '\u{2021}',
        b"circumflex" => '\u{02C6}',
        b"perthousand" => '\u{2030}',
        b"Scaron" => 'Š',
        b"guilsinglleft" => '\u{2039}',
        b"OE" => 'Œ',
        b"Zcaron" => 'Ž',
        b"quotedblleft" => '\u{201C}',
        b"quotedblright" => '\u{201D}',
        b"bullet" => '\u{2022}',
        b"endash" => '\u{2013}',
        b"emdash" => '\u{2014}',
        b"tilde" => '\u{02DC}',
        b"trademark" => '\u{2122}',
        b"scaron" => 'š',
        b"guilsinglright" => '\u{203A}',
        b"oe" => 'œ',
        b"zcaron" => 'ž',
        b"Ydieresis" => 'Ÿ',
        b"exclamdown" => '¡',
        b"cent" => '¢',
        b"sterling" => '£',
        b"currency" => '¤',
        b"yen" => '¥',
        b"brokenbar" => '¦',
        b"section" => '§',
        b"dieresis" => '¨',
        b"copyright" => '©',
        b"ordfeminine" => 'ª',
        b"guillemotleft" => '«',
        b"logicalnot" => '¬',
        b"registered" => '®',
        b"macron" => '¯',
        b"degree" => '°',
        b"plusminus" => '±',
        b"twosuperior" => '²',
        b"threesuperior" => '³',
        b"acute" => '´',
        b"mu" => 'µ',
        b"paragraph" => '¶',
        b"periodcentered" => '·',
        b"cedilla" => '¸',
        b"onesuperior" => '¹',
        b"ordmasculine" => 'º',
        b"guillemotright" => '»',
        b"onequarter" => '¼',
        b"onehalf" => '½',
        b"threequarters" => '¾',
        b"questiondown" => '¿',
        b"Agrave" => 'À',
        b"Aacute" => 'Á',
        b"Acircumflex" => 'Â',
        b"Atilde" => 'Ã',
        b"Adieresis" => 'Ä',
        b"Aring" => 'Å',
        b"AE" => 'Æ',
        b"Ccedilla" => 'Ç',
        b"Egrave" => 'È',
        b"Eacute" => 'É',
        b"Ecircumflex" => 'Ê',
        b"Edieresis" => 'Ë',
        b"Igrave" => 'Ì',
        b"Iacute" => 'Í',
        b"Icircumflex" => 'Î',
        b"Idieresis" => 'Ï',
        b"Eth" => 'Ð',
        b"Ntilde" => 'Ñ',
        b"Ograve" => 'Ò',
        b"Oacute" => 'Ó',
        b"Ocircumflex" => 'Ô',
        b"Otilde" => 'Õ',
        b"Odieresis" => 'Ö',
        b"multiply" => '×',
        b"Oslash" => 'Ø',
        b"Ugrave" => 'Ù',
        b"Uacute" => 'Ú',
        b"Ucircumflex" => 'Û',
        b"Udieresis" => 'Ü',
        b"Yacute" => 'Ý',
        b"Thorn" => 'Þ',
        b"germandbls" => 'ß',
        b"agrave" => 'à',
        b"aacute" => 'á',
        b"acircumflex" => 'â',
        b"atilde" => 'ã',
        b"adieresis" => 'ä',
        b"aring" => 'å',
        b"ae" => 'æ',
        b"ccedilla" => 'ç',
        b"egrave" => 'è',
        b"eacute" => 'é',
        b"ecircumflex" => 'ê',
        b"edieresis" => 'ë',
        b"igrave" => 'ì',
        b"iacute" => 'í',
        b"icircumflex" => 'î',
        b"idieresis" => 'ï',
        b"eth" => 'ð',
        b"ntilde" => 'ñ',
        b"ograve" => 'ò',
        b"oacute" => 'ó',
        b"ocircumflex" => 'ô',
        b"otilde" => 'õ',
        b"odieresis" => 'ö',
        b"divide" => '÷',
        b"oslash" => 'ø',
        b"ugrave" => 'ù',
        b"uacute" => 'ú',
        b"ucircumflex" => 'û',
        b"udieresis" => 'ü',
        b"yacute" => 'ý',
        b"thorn" => 'þ',
        b"ydieresis" => 'ÿ',
        b"fi" => '\u{FB01}',
        b"fl" => '\u{FB02}',
        b"ff" => '\u{FB00}',
        b"ffi" => '\u{FB03}',
        b"ffl" => '\u{FB04}',
        b"fraction" => '\u{2044}',
        b"dotlessi" => 'ı',
        b"Lslash" => 'Ł',
        b"lslash" => 'ł',
        b"ring" => '\u{02DA}',
        b"caron" => '\u{02C7}',
        b"breve" => '\u{02D8}',
        b"dotaccent" => '\u{02D9}',
        b"hungarumlaut" => '\u{02DD}',
        b"ogonek" => '\u{02DB}',
        b"minus" => '\u{2212}',
        b"notequal" => '\u{2260}',
        b"lessequal" => '\u{2264}',
        b"greaterequal" => '\u{2265}',
        b"infinity" => '\u{221E}',
        b"partialdiff" => '\u{2202}',
        b"summation" => '\u{2211}',
        b"product" => '\u{220F}',
        b"pi" => 'π',
        b"integral" => '\u{222B}',
        b"Omega" => 'Ω',
        b"radical" => '\u{221A}',
        b"approxequal" => '\u{2248}',
        b"Delta" => '\u{2206}',
        b"lozenge" => '\u{25CA}',
        b"minute" => '\u{2032}',
        b"second" => '\u{2033}',
        b"arrowleft" => '\u{2190}',
        b"arrowup" => '\u{2191}',
        b"arrowright" => '\u{2192}',
        b"arrowdown" => '\u{2193}',
        b"star" => '\u{22C6}',
        b"blackstar" | b"starblack" => '\u{2605}',
        b"whitestar" | b"starwhite" => '\u{2606}',
        b"ideographicspace" => '\u{3000}',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn algorithmic_and_table_names_decode() {
        assert_eq!(glyph_to_unicode(b"A").as_deref(), Some("A"));
        assert_eq!(glyph_to_unicode(b"eacute").as_deref(), Some("é"));
        assert_eq!(glyph_to_unicode(b"uni673A5BC6").as_deref(), Some("机密"));
        assert_eq!(glyph_to_unicode(b"u2605").as_deref(), Some("★"));
        assert_eq!(glyph_to_unicode(b"f_i").as_deref(), Some("fi"));
        assert_eq!(glyph_to_unicode(b"a.sc").as_deref(), Some("a"));
        assert_eq!(glyph_to_unicode(b"g31"), None);
        assert_eq!(glyph_to_unicode(b"uniD800"), None);
        assert_eq!(standard_encoding(0x27), Some('\u{2019}'));
    }
}
