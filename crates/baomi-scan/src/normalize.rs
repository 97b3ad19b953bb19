//! Text normalisation for matching, with a compact map back to the original byte offsets.
//!
//! Writers evade keyword lists, on purpose or not, with full-width letters (`ＴＯＰ`), spaces
//! inside Chinese words (`机 密`, `机　密`) and traditional characters (`機密`). The matcher
//! therefore compares NORMALISED text against NORMALISED terms, and reports positions in the
//! ORIGINAL text. This module does both halves:
//!
//! * [`Normalizer`] turns a text into its matching form:
//!   1. Unicode NFKC (full-width → half-width, `①` → `1`, compatibility ideographs → unified,
//!      U+3000 → space, …);
//!   2. a run of horizontal white space (space, tab, U+3000, NBSP, the U+2000 spaces, zero-width
//!      spaces) *between two CJK characters* is removed, so `机 密` and `机　密` read `机密`,
//!      while spaces in English (`TOP SECRET`) stay. Line breaks are never removed: lines
//!      matter for header-position marks and for reports;
//!   3. optionally, traditional → simplified Chinese, character by character (one character in,
//!      one character out), from OpenCC's `TSCharacters` table (Apache-2.0) as shipped by the
//!      `hanconv` crate (MIT). Character-level conversion keeps offsets simple and is symmetric:
//!      terms go through the same table, so a term and its text agree even where the table's
//!      choice is debatable (`乾` → `干`).
//! * [`OffsetMap`] maps an offset in the normalised text back to the original. It stores sparse
//!   breakpoints — one per run of equal-sized replacements, not one per byte — so a clean text
//!   costs nothing and a text with some full-width punctuation costs a few bytes per change.
//!
//! The fast path: most CJK and ASCII text needs no change at all. The normaliser walks the text
//! with an ASCII skip of eight bytes at a time, passes CJK ideographs (U+4000–U+9FFF) on their
//! lead byte, and runs the full NFKC machinery only on the rare characters that NFKC may change
//! (quick-check "no"/"maybe" or a non-zero combining class), one *cluster* (a starter and the
//! characters that may combine with it) at a time. A text that needs no change is returned
//! borrowed, with an identity map; a text that needs some changes is copied once, run by run.

use std::borrow::Cow;
use std::collections::HashMap;
use std::iter::once;
use std::sync::OnceLock;
use unicode_normalization::char::{canonical_combining_class, decompose_compatible};
use unicode_normalization::{is_nfc_quick, is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// The most characters that may join one cluster. Unicode's stream-safe format allows 30
/// non-starters in a row; beyond that a hostile run of combining marks is cut into clusters,
/// which keeps every replacement small (the map stores sizes as `u32`) and the work linear.
const MAX_CLUSTER_CHARS: usize = 32;

/// One breakpoint of an [`OffsetMap`]: from normalised offset `norm` (and original offset
/// `orig`) on, the text is a sequence of units of `nstep` normalised bytes made from `ostep`
/// original bytes each, up to the next breakpoint. Copied text is `1:1`; a removed space run is
/// `0:n` (one unit); a full-width letter is `1:3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    norm: usize,
    orig: usize,
    nstep: u32,
    ostep: u32,
}

/// Maps offsets in a normalised text back to the original text.
///
/// Why a map and not a per-byte table: texts are up to hundreds of megabytes, and almost all of
/// their bytes map to themselves. The map keeps one breakpoint where the relation changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetMap {
    segs: Vec<Seg>,
    norm_len: usize,
    orig_len: usize,
}

impl OffsetMap {
    /// The map of a text that normalisation left unchanged.
    pub fn identity(len: usize) -> OffsetMap {
        OffsetMap {
            segs: Vec::new(),
            norm_len: len,
            orig_len: len,
        }
    }

    /// True when every offset maps to itself (the text needed no change).
    pub fn is_identity(&self) -> bool {
        self.segs.is_empty()
    }

    /// How many breakpoints the map holds (0 for the identity): a measure of its size.
    pub fn breakpoints(&self) -> usize {
        self.segs.len()
    }

    /// The length of the original text.
    pub fn original_len(&self) -> usize {
        self.orig_len
    }

    /// The length of the normalised text.
    pub fn normalized_len(&self) -> usize {
        self.norm_len
    }

    /// Where a match that STARTS at normalised offset `n` starts in the original: the start of
    /// the original characters that produced the normalised byte at `n` (removed spaces before
    /// it are not included).
    pub fn start(&self, n: usize) -> usize {
        if self.segs.is_empty() {
            return n.min(self.orig_len);
        }
        if n >= self.norm_len {
            return self.orig_len;
        }
        let idx = self.segs.partition_point(|s| s.norm <= n);
        let Some(seg) = idx.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return 0;
        };
        if seg.nstep == 0 {
            // Only the last breakpoint can be an empty unit that nothing follows.
            return self.orig_len;
        }
        let k = (n - seg.norm) / seg.nstep as usize;
        (seg.orig + k * seg.ostep as usize).min(self.orig_len)
    }

    /// Where a match that ENDS (exclusive) at normalised offset `n` ends in the original: the end
    /// of the original characters that produced the normalised byte before `n` (removed spaces
    /// after it are not included).
    pub fn end(&self, n: usize) -> usize {
        if self.segs.is_empty() {
            return n.min(self.orig_len);
        }
        if n == 0 {
            return 0;
        }
        if n > self.norm_len {
            return self.orig_len;
        }
        let idx = self.segs.partition_point(|s| s.norm < n);
        let Some(seg) = idx.checked_sub(1).and_then(|i| self.segs.get(i)) else {
            return 0;
        };
        if seg.nstep == 0 {
            return self.orig_len;
        }
        let step = seg.nstep as usize;
        let k = (n - seg.norm).div_ceil(step);
        (seg.orig + k * seg.ostep as usize).min(self.orig_len)
    }

    /// Maps a normalised range `start..end` to the original range that covers it.
    pub fn range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.start(start);
        let e = self.end(end).max(s);
        (s, e)
    }

    /// True when white space between two CJK characters was removed at normalised offset `n`:
    /// the original had a gap there that the normalised text does not show. The mark finder
    /// uses it to end a declassification condition where the writer left a space.
    pub fn gap_at(&self, n: usize) -> bool {
        if self.segs.is_empty() {
            return false;
        }
        let lo = self.segs.partition_point(|s| s.norm < n);
        self.segs
            .get(lo..)
            .unwrap_or_default()
            .iter()
            .take_while(|s| s.norm == n)
            .any(|s| s.nstep == 0)
    }
}

/// A normalised text that owns its map; see [`Normalizer::normalize`].
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    text: Cow<'a, str>,
    map: OffsetMap,
}

impl<'a> Normalized<'a> {
    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The map back to the original.
    pub fn map(&self) -> &OffsetMap {
        &self.map
    }

    /// The normalised text, borrowed from the input when nothing changed.
    pub fn into_text(self) -> Cow<'a, str> {
        self.text
    }

    /// Maps a normalised range back to the original; see [`OffsetMap::range`].
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        self.map.range(start, end)
    }
}

/// Reusable buffers for [`Normalizer::normalize_in`], so that a scan over many chunks does not
/// allocate (and fault in) a fresh buffer per chunk.
#[derive(Debug, Default)]
pub struct NormScratch {
    text: String,
    map: OffsetMap,
}

/// A normalised text borrowed from the input (when unchanged) or from a [`NormScratch`].
#[derive(Debug, Clone, Copy)]
pub struct NormRef<'a> {
    /// The normalised text.
    pub text: &'a str,
    /// The map back to the original.
    pub map: &'a OffsetMap,
}

/// Normalises texts and terms the same way (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Normalizer {
    nfkc: bool,
    t2s: Option<&'static T2s>,
}

impl Default for Normalizer {
    fn default() -> Normalizer {
        Normalizer::new(true, false)
    }
}

/// Normalises with the defaults (NFKC and CJK spaces on, traditional → simplified off).
pub fn normalize(text: &str) -> Normalized<'_> {
    Normalizer::default().normalize(text)
}

impl Normalizer {
    /// `nfkc`: NFKC and removal of spaces between CJK characters; `traditional_to_simplified`:
    /// OpenCC's character table. With both off, normalisation is the identity.
    pub fn new(nfkc: bool, traditional_to_simplified: bool) -> Normalizer {
        Normalizer {
            nfkc,
            t2s: traditional_to_simplified.then(t2s_table),
        }
    }

    /// True when this normaliser never changes anything.
    pub fn is_identity(&self) -> bool {
        !self.nfkc && self.t2s.is_none()
    }

    /// Normalises `text`, borrowing it when nothing changes.
    pub fn normalize<'a>(&self, text: &'a str) -> Normalized<'a> {
        let mut out = String::new();
        let mut segs = Vec::new();
        if self.run(text, &mut out, &mut segs) {
            let norm_len = out.len();
            Normalized {
                text: Cow::Owned(out),
                map: OffsetMap {
                    segs,
                    norm_len,
                    orig_len: text.len(),
                },
            }
        } else {
            Normalized {
                text: Cow::Borrowed(text),
                map: OffsetMap::identity(text.len()),
            }
        }
    }

    /// Normalises `text` into `scratch`'s buffers (reused between calls).
    pub fn normalize_in<'a>(&self, text: &'a str, scratch: &'a mut NormScratch) -> NormRef<'a> {
        scratch.text.clear();
        scratch.map.segs.clear();
        let changed = self.run(text, &mut scratch.text, &mut scratch.map.segs);
        scratch.map.orig_len = text.len();
        if changed {
            scratch.map.norm_len = scratch.text.len();
            NormRef {
                text: &scratch.text,
                map: &scratch.map,
            }
        } else {
            scratch.map.segs.clear();
            scratch.map.norm_len = text.len();
            NormRef {
                text,
                map: &scratch.map,
            }
        }
    }

    /// The matching form of a keyword term: the same normalisation as for texts.
    pub fn normalize_term(&self, term: &str) -> String {
        self.normalize(term).into_text().into_owned()
    }

    /// The core loop; returns whether anything changed (else `out` and `segs` are unspecified).
    fn run(&self, src: &str, out: &mut String, segs: &mut Vec<Seg>) -> bool {
        if self.is_identity() {
            return false;
        }
        let b = src.as_bytes();
        let mut em = Emitter {
            src,
            out,
            segs,
            run: 0,
            changed: false,
        };
        let mut i = 0;
        let mut buf = String::new();
        while let Some(&lead) = b.get(i) {
            if lead < 0x80 {
                i = skip_ascii(b, i + 1);
                continue;
            }
            if (0xE4..=0xE9).contains(&lead) && self.t2s.is_none() {
                // U+4000..=U+9FFF: CJK ideographs (and hexagrams), NFKC-stable starters. The
                // commonest case by far: a tight loop over a run of them.
                let mut j = i + 3;
                while b.get(j).is_some_and(|x| (0xE4..=0xE9).contains(x)) {
                    j += 3;
                }
                i = j;
                if matches!(
                    b.get(i),
                    Some(b' ' | b'\t' | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF)
                ) {
                    i = after_cjk(&mut em, i);
                }
                continue;
            }
            if (0xE4..=0xE9).contains(&lead) {
                // The same with traditional → simplified, character by character.
                let end = i + 3;
                if let Some(t2s) = self.t2s {
                    if let Some(c) = src.get(i..).and_then(|s| s.chars().next()) {
                        if let Some(s) = t2s.get(c) {
                            em.single(i, end, s);
                        }
                    }
                }
                i = end;
                if self.nfkc {
                    i = after_cjk(&mut em, i);
                }
                continue;
            }
            let Some(c) = src.get(i..).and_then(|s| s.chars().next()) else {
                // Not a char boundary: cannot happen for a `&str`; step on defensively.
                i += 1;
                continue;
            };
            let len = c.len_utf8();
            if !self.nfkc {
                if let Some(s) = self.t2s.and_then(|t| t.get(c)) {
                    em.single(i, i + len, s);
                }
                i += len;
                continue;
            }
            if ('\u{FF01}'..='\u{FF5E}').contains(&c) && !joins_next(src, i + len) {
                // Full-width ASCII: the commonest change in Chinese text (，：；（）！？).
                let half = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
                let mut tmp = [0u8; 4];
                em.unit(i, i + len, half.encode_utf8(&mut tmp));
                i += len;
                continue;
            }
            if stable(c) {
                if let Some(s) = self.t2s.and_then(|t| t.get(c)) {
                    em.single(i, i + len, s);
                }
                i += len;
                if is_cjk(c) {
                    i = after_cjk(&mut em, i);
                }
                continue;
            }
            // The slow path: one cluster through full NFKC.
            let mut start = i;
            if join_prev(c) {
                if let Some(p) = prev_char_start(src, i) {
                    if p >= em.run {
                        start = p;
                    }
                }
            }
            let mut end = i + len;
            let mut count = 1;
            while count < MAX_CLUSTER_CHARS {
                match src.get(end..).and_then(|s| s.chars().next()) {
                    Some(d) if d >= '\u{80}' && join_prev(d) => {
                        end += d.len_utf8();
                        count += 1;
                    }
                    _ => break,
                }
            }
            let cluster = src.get(start..end).unwrap_or_default();
            buf.clear();
            for n in cluster.chars().nfkc() {
                buf.push(self.t2s.and_then(|t| t.get(n)).unwrap_or(n));
            }
            if buf != cluster {
                em.unit(start, end, &buf);
            }
            i = end;
            let last = cluster.chars().next_back().unwrap_or(c);
            if is_cjk(last) {
                i = after_cjk(&mut em, i);
            }
        }
        em.finish()
    }
}

/// Builds the normalised text and its breakpoints, copying unchanged runs lazily.
struct Emitter<'s, 'o> {
    src: &'s str,
    out: &'o mut String,
    segs: &'o mut Vec<Seg>,
    /// Start of the pending unchanged run (not yet copied).
    run: usize,
    changed: bool,
}

impl Emitter<'_, '_> {
    fn push_seg(&mut self, orig: usize, nstep: u32, ostep: u32) {
        if nstep != 0 {
            if let Some(last) = self.segs.last() {
                if last.nstep == nstep && last.ostep == ostep {
                    // Units follow each other contiguously: the breakpoint extends.
                    return;
                }
            }
        }
        self.segs.push(Seg {
            norm: self.out.len(),
            orig,
            nstep,
            ostep,
        });
    }

    /// Copies the pending run up to `upto`.
    fn flush(&mut self, upto: usize) {
        if upto > self.run {
            self.push_seg(self.run, 1, 1);
            self.out
                .push_str(self.src.get(self.run..upto).unwrap_or_default());
        }
        self.run = upto;
    }

    /// Notes the first change: the output is then built, so reserve it once.
    fn begin(&mut self) {
        if !self.changed {
            self.changed = true;
            self.out.reserve(self.src.len() + 16);
        }
    }

    /// Replaces `a..z` of the original by `repl` (an atomic unit).
    fn unit(&mut self, a: usize, z: usize, repl: &str) {
        self.begin();
        self.flush(a);
        let (Ok(n), Ok(o)) = (u32::try_from(repl.len()), u32::try_from(z - a)) else {
            return;
        };
        self.push_seg(a, n, o);
        self.out.push_str(repl);
        self.run = z;
    }

    /// Replaces one character by one character of the same length when possible (the offsets
    /// then map one to one and need no breakpoint of their own).
    fn single(&mut self, a: usize, z: usize, repl: char) {
        if repl.len_utf8() == z - a {
            self.begin();
            self.flush(a);
            self.push_seg(a, 1, 1);
            let mut tmp = [0u8; 4];
            self.out.push_str(repl.encode_utf8(&mut tmp));
            self.run = z;
        } else {
            let mut tmp = [0u8; 4];
            self.unit(a, z, repl.encode_utf8(&mut tmp));
        }
    }

    /// Removes `a..z` of the original (spaces between CJK characters).
    fn remove(&mut self, a: usize, z: usize) {
        self.begin();
        self.flush(a);
        self.push_seg(a, 0, 0);
        self.run = z;
    }

    fn finish(mut self) -> bool {
        if self.changed {
            self.flush(self.src.len());
        }
        self.changed
    }
}

/// Skips ASCII bytes from `i`, eight at a time.
fn skip_ascii(b: &[u8], mut i: usize) -> usize {
    while let Some(w) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        if u64::from_le_bytes(word) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        i += 8;
    }
    while b.get(i).is_some_and(|&x| x < 0x80) {
        i += 1;
    }
    i
}

/// After a CJK character ending at `i`: if a run of horizontal white space follows and a CJK
/// character follows it, removes the run. Returns where to continue.
fn after_cjk(em: &mut Emitter<'_, '_>, i: usize) -> usize {
    let b = em.src.as_bytes();
    match b.get(i) {
        Some(b' ' | b'\t' | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF) => {}
        _ => return i,
    }
    let mut j = i;
    while let Some(c) = em.src.get(j..).and_then(|s| s.chars().next()) {
        if !is_hspace(c) {
            break;
        }
        j += c.len_utf8();
    }
    if j == i {
        return i;
    }
    match em.src.get(j..).and_then(|s| s.chars().next()) {
        Some(c) if is_cjk(c) => {
            em.remove(i, j);
            j
        }
        _ => i,
    }
}

/// Horizontal white space that normalisation removes between CJK characters.
fn is_hspace(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200B}' | '\u{202F}' | '\u{205F}' | '\u{2060}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// CJK characters between which white space is not a word separator: Han ideographs (with
/// extensions, compatibility ideographs and radicals), kana, bopomofo and CJK punctuation.
/// Hangul is not included: Korean separates words with spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{2E80}'..='\u{2FDF}'
            | '\u{3001}'..='\u{303F}'
            | '\u{3040}'..='\u{30FF}'
            | '\u{3100}'..='\u{312F}'
            | '\u{31A0}'..='\u{31FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF65}'..='\u{FF9F}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// A character NFKC leaves alone whatever surrounds it: a starter that is NFKC quick-check
/// "yes" (so it neither decomposes nor composes with what precedes it), and not white space.
fn stable(c: char) -> bool {
    match c {
        // Common CJK punctuation and quotes, checked once here to skip the table look-ups.
        '\u{3001}'..='\u{3029}' | '\u{3030}'..='\u{3035}' | '\u{2018}'..='\u{201F}' => true,
        '\u{2014}' | '\u{2605}' | '\u{2606}' => true,
        _ => {
            !is_hspace(c)
                && canonical_combining_class(c) == 0
                && is_nfkc_quick(once(c)) == IsNormalized::Yes
        }
    }
}

/// True when `c`, after compatibility decomposition, may combine with or reorder against the
/// character before it (a combining mark, a Hangul vowel or final, a half-width voiced mark…):
/// such a character belongs to the previous character's cluster.
fn join_prev(c: char) -> bool {
    if c < '\u{300}' {
        return false;
    }
    if canonical_combining_class(c) != 0 || is_nfkc_quick(once(c)) == IsNormalized::Maybe {
        return true;
    }
    let mut first = None;
    decompose_compatible(c, |d| {
        if first.is_none() {
            first = Some(d);
        }
    });
    match first {
        Some(d) if d != c => {
            canonical_combining_class(d) != 0 || is_nfc_quick(once(d)) == IsNormalized::Maybe
        }
        _ => false,
    }
}

/// True when the character at `i` joins the one before it.
fn joins_next(src: &str, i: usize) -> bool {
    match src.as_bytes().get(i) {
        None => false,
        Some(&x) if x < 0xCC || (0xE4..=0xE9).contains(&x) => false,
        Some(_) => src
            .get(i..)
            .and_then(|s| s.chars().next())
            .is_some_and(join_prev),
    }
}

/// The start of the character before offset `i`.
fn prev_char_start(src: &str, i: usize) -> Option<usize> {
    src.get(..i)?.char_indices().next_back().map(|(p, _)| p)
}

/// Traditional → simplified, one character to one character.
#[derive(Debug)]
struct T2s {
    /// One bit per code point in U+3400..U+A000: is there an entry? (the common case is no)
    bits: Vec<u64>,
    map: HashMap<char, char>,
}

const T2S_BITS_BASE: u32 = 0x3400;
const T2S_BITS_END: u32 = 0xA000;

impl T2s {
    fn get(&self, c: char) -> Option<char> {
        let cp = c as u32;
        if (T2S_BITS_BASE..T2S_BITS_END).contains(&cp) {
            let k = (cp - T2S_BITS_BASE) as usize;
            let word = self.bits.get(k / 64).copied().unwrap_or(0);
            if word & (1u64 << (k % 64)) == 0 {
                return None;
            }
        } else if cp < 0x2E80 {
            return None;
        }
        self.map.get(&c).copied()
    }
}

/// The table, built once from OpenCC's `TSCharacters.txt` (via `hanconv`): entries whose key
/// and first value are single, different characters.
fn t2s_table() -> &'static T2s {
    static TABLE: OnceLock<T2s> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        let mut bits = vec![0u64; ((T2S_BITS_END - T2S_BITS_BASE) as usize).div_ceil(64)];
        for (k, v) in hanconv::RawDictionary::TSCharacters.iter() {
            let (mut kc, mut vc) = (k.chars(), v.chars());
            let (Some(from), None, Some(to), None) = (kc.next(), kc.next(), vc.next(), vc.next())
            else {
                continue;
            };
            if from == to {
                continue;
            }
            map.insert(from, to);
            let cp = from as u32;
            if (T2S_BITS_BASE..T2S_BITS_END).contains(&cp) {
                let k = (cp - T2S_BITS_BASE) as usize;
                if let Some(w) = bits.get_mut(k / 64) {
                    *w |= 1u64 << (k % 64);
                }
            }
        }
        T2s { bits, map }
    })
}

/// The simplified form of one traditional character, if the table has one (for tests and for
/// callers that want to show the folded form).
pub fn traditional_to_simplified_char(c: char) -> Option<char> {
    t2s_table().get(c)
}
