//! A small, total tokenizer for PDF content streams and CMaps.
//!
//! It yields operands (numbers, strings, names, arrays) and operators one at a time, so a
//! content stream is interpreted without building its whole operation list in memory. Every
//! path advances the position by at least one byte, arrays nest at most [`MAX_ARRAY_DEPTH`]
//! deep and hold at most [`MAX_ARRAY_LEN`] elements, and inline-image data (`BI … ID … EI`) is
//! skipped as bytes, so any input ends in time linear in its length.

/// Arrays nested deeper than this are skipped as a whole.
const MAX_ARRAY_DEPTH: usize = 16;
/// Elements beyond this in one array are read and dropped.
const MAX_ARRAY_LEN: usize = 65_536;

/// An operand.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Number(f64),
    String(Vec<u8>),
    Name(Vec<u8>),
    Array(Vec<Operand>),
    /// A dictionary, `true`/`false`/`null`, or anything else the text layer does not use.
    Other,
}

impl Operand {
    pub(super) fn number(&self) -> Option<f64> {
        match self {
            Operand::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// A token: an operand or an operator keyword.
#[derive(Debug, PartialEq)]
pub(super) enum Token<'a> {
    Operand(Operand),
    Operator(&'a [u8]),
}

/// The tokenizer over one stream.
#[derive(Debug)]
pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

pub(super) fn is_white(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delim(b)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Lexer { data, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn peek_at(&self, off: usize) -> Option<u8> {
        self.data.get(self.pos.saturating_add(off)).copied()
    }

    fn skip_white_and_comments(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token, or `None` at the end of the stream.
    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            self.skip_white_and_comments();
            let b = self.peek()?;
            match b {
                b'[' => {
                    self.pos += 1;
                    return Some(Token::Operand(self.array(1)));
                }
                b']' | b')' | b'>' | b'{' | b'}' => {
                    // Stray closers: skip.
                    self.pos += 1;
                    if b == b'>' && self.peek() == Some(b'>') {
                        self.pos += 1;
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(op) = self.operand_or_word() {
                return Some(op);
            }
        }
    }

    /// One operand, or an operator word; `None` if nothing was produced (the position still
    /// advanced).
    fn operand_or_word(&mut self) -> Option<Token<'a>> {
        let b = self.peek()?;
        match b {
            b'(' => {
                self.pos += 1;
                Some(Token::Operand(Operand::String(self.literal_string())))
            }
            b'<' => {
                if self.peek_at(1) == Some(b'<') {
                    self.pos += 2;
                    self.skip_dict();
                    Some(Token::Operand(Operand::Other))
                } else {
                    self.pos += 1;
                    Some(Token::Operand(Operand::String(self.hex_string())))
                }
            }
            b'/' => {
                self.pos += 1;
                Some(Token::Operand(Operand::Name(self.name())))
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if !is_regular(c) {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    // A delimiter handled elsewhere (never reached) — advance to stay total.
                    self.pos += 1;
                    return None;
                }
                let word = self.data.get(start..self.pos)?;
                Some(self.word(word))
            }
        }
    }

    fn word(&mut self, word: &'a [u8]) -> Token<'a> {
        let first = word.first().copied().unwrap_or(b'x');
        if first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.') {
            if let Some(n) = parse_number(word) {
                return Token::Operand(Operand::Number(n));
            }
        }
        match word {
            b"true" | b"false" | b"null" => Token::Operand(Operand::Other),
            b"ID" => {
                self.skip_inline_image_data();
                Token::Operator(word)
            }
            _ => Token::Operator(word),
        }
    }

    fn array(&mut self, depth: usize) -> Operand {
        if depth > MAX_ARRAY_DEPTH {
            // Too deep: skip by counting brackets, without recursing further.
            return self.skip_deep_array();
        }
        let mut items = Vec::new();
        loop {
            self.skip_white_and_comments();
            let Some(b) = self.peek() else {
                break;
            };
            match b {
                b']' => {
                    self.pos += 1;
                    break;
                }
                b'[' => {
                    self.pos += 1;
                    let inner = self.array(depth + 1);
                    if items.len() < MAX_ARRAY_LEN {
                        items.push(inner);
                    }
                }
                b')' | b'>' | b'{' | b'}' => {
                    self.pos += 1;
                }
                _ => match self.operand_or_word() {
                    Some(Token::Operand(o)) if items.len() < MAX_ARRAY_LEN => items.push(o),
                    // Past the element cap, or an operator inside an array (malformed):
                    // dropped.
                    Some(_) | None => {}
                },
            }
        }
        Operand::Array(items)
    }

    /// Skips the rest of an array nested too deep, counting brackets iteratively.
    fn skip_deep_array(&mut self) -> Operand {
        let mut open = 1usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => open += 1,
                b']' => {
                    open -= 1;
                    if open == 0 {
                        self.pos += 1;
                        break;
                    }
                }
                b'(' => {
                    self.pos += 1;
                    let _ = self.literal_string();
                    continue;
                }
                _ => {}
            }
            self.pos += 1;
        }
        Operand::Other
    }

    /// Skips a dictionary body after `<<`, with nesting counted iteratively.
    fn skip_dict(&mut self) {
        let mut open = 1usize;
        while let Some(b) = self.peek() {
            match b {
                b'<' if self.peek_at(1) == Some(b'<') => {
                    open += 1;
                    self.pos += 2;
                }
                b'>' if self.peek_at(1) == Some(b'>') => {
                    self.pos += 2;
                    open -= 1;
                    if open == 0 {
                        return;
                    }
                }
                b'(' => {
                    self.pos += 1;
                    let _ = self.literal_string();
                }
                _ => self.pos += 1,
            }
        }
    }

    fn literal_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        break;
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xFF) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'>' {
                break;
            }
            if let Some(v) = hex_val(b) {
                match high.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => high = Some(v),
                }
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            if !is_regular(b) {
                break;
            }
            self.pos += 1;
            if b == b'#' {
                let hi = self.peek().and_then(hex_val);
                let lo = self.peek_at(1).and_then(hex_val);
                if let (Some(h), Some(l)) = (hi, lo) {
                    self.pos += 2;
                    out.push(h << 4 | l);
                    continue;
                }
            }
            out.push(b);
        }
        out
    }

    /// After the `ID` operator of an inline image: skips the binary data up to `EI` standing
    /// between white space (or the end).
    fn skip_inline_image_data(&mut self) {
        // One white-space byte separates ID from the data.
        if self.peek().is_some_and(is_white) {
            self.pos += 1;
        }
        let rest = self.data.get(self.pos..).unwrap_or_default();
        for i in memchr::memmem::find_iter(rest, b"EI") {
            let before_ok = i == 0 || rest.get(i - 1).copied().is_some_and(is_white);
            let after_ok = rest.get(i + 2).is_none_or(|&b| is_white(b) || is_delim(b));
            if before_ok && after_ok {
                self.pos += i;
                return;
            }
        }
        self.pos = self.data.len();
    }
}

/// Parses a PDF number leniently (`-.5`, `4.`, `--3` as -3); `None` if it is not one.
pub(super) fn parse_number(word: &[u8]) -> Option<f64> {
    let mut neg = false;
    let mut i = 0;
    while let Some(&b) = word.get(i) {
        match b {
            b'-' => neg = !neg,
            b'+' => {}
            _ => break,
        }
        i += 1;
    }
    let rest = word.get(i..)?;
    if rest.is_empty() || !rest.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return None;
    }
    if rest.iter().filter(|&&b| b == b'.').count() > 1 {
        return None;
    }
    let mut v: f64 = 0.0;
    let mut scale: f64 = 0.0;
    for &b in rest {
        if b == b'.' {
            scale = 1.0;
            continue;
        }
        let d = f64::from(b - b'0');
        if scale == 0.0 {
            v = v * 10.0 + d;
        } else {
            scale /= 10.0;
            v += d * scale;
        }
    }
    if !v.is_finite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tokens(data: &[u8]) -> Vec<Token<'_>> {
        let mut l = Lexer::new(data);
        let mut out = Vec::new();
        while let Some(t) = l.next_token() {
            out.push(t);
        }
        out
    }

    #[test]
    fn content_tokens() {
        let t = tokens(b"BT /F1 12 Tf (a\\(b\\)\\101) Tj [(x) -250 <4142>] TJ ET");
        assert_eq!(
            t.get(1),
            Some(&Token::Operand(Operand::Name(b"F1".to_vec())))
        );
        assert_eq!(
            t.get(4),
            Some(&Token::Operand(Operand::String(b"a(b)A".to_vec())))
        );
        assert_eq!(
            t.get(6),
            Some(&Token::Operand(Operand::Array(vec![
                Operand::String(b"x".to_vec()),
                Operand::Number(-250.0),
                Operand::String(b"AB".to_vec()),
            ])))
        );
    }

    #[test]
    fn inline_image_is_skipped() {
        let t = tokens(b"BI /W 1 /H 1 ID \x01EIx(\xff EI Q");
        assert_eq!(t.last(), Some(&Token::Operator(b"Q")));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut data = vec![b'['; 100_000];
        data.extend(vec![b']'; 100_000]);
        data.extend_from_slice(b" TJ");
        let t = tokens(&data);
        assert_eq!(t.last(), Some(&Token::Operator(b"TJ")));
    }
}
