//! Matching rules against text: classification marks (R1.3), a unit's keyword lists and regex
//! rules, on normalised text, with positions reported in the original text (R13.5).
//!
//! How a text is searched:
//!
//! 1. It is cut into chunks of about [`MatcherConfig::chunk_size`] bytes at line ends. No rule
//!    matches across a line end (keyword terms are lines of a list, marks end at the line,
//!    normalisation never joins lines), so chunk results are exactly those of one pass. Only a
//!    single line longer than twice the chunk size is cut inside the line; such a chunk is
//!    searched with a look-back and a look-ahead of [`Matcher::seam_overlap`] bytes so that
//!    nothing near the seam is lost or reported twice.
//! 2. Large texts are searched by several threads at once (`std::thread::scope`), each with
//!    its own buffers, so a single file of hundreds of megabytes uses every core with bounded
//!    extra memory (one normalised chunk and its map per thread) — the way to beat a
//!    one-thread-per-file search on a single huge file.
//! 3. Each chunk is normalised (see [`crate::normalize`]); keywords are found over the
//!    normalised terms leftmost-first in list order — ripgrep's semantics for `rg -F -f`, so
//!    with normalisation off the keyword count equals `rg -F -f list --count-matches` — by
//!    Aho-Corasick for short lists and by a cache-resident hashed-prefix filter for long ones
//!    (see [`KeywordEngine`]: an automaton for thousands of terms does not fit in the CPU cache
//!    and costs a cache miss per byte); marks are found by their level words and handed to
//!    `baomi_core::marks::Mark::parse`; regex rules run on the normalised chunk (a regex match
//!    that spans a line end can be cut at a chunk seam, about every megabyte).
//! 4. Every position is mapped back through the normalisation map to the original text.

use crate::normalize::{NormRef, NormScratch, Normalizer};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use baomi_core::marks::{Level, Mark};
use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How serious a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Should be reviewed.
    Medium,
    /// Must be reviewed before the content leaves.
    High,
}

/// One term of a unit's keyword list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keyword {
    /// The term as written in the list.
    pub term: String,
    /// Its severity (default high).
    pub severity: Severity,
    /// Its category, if the list gives one.
    pub category: Option<String>,
}

/// A named regular-expression rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegexRule {
    /// A name for reports.
    pub name: String,
    /// The pattern (Rust `regex` syntax).
    pub pattern: String,
    /// Its severity.
    pub severity: Severity,
}

/// Everything a scan looks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// Detect classification marks (on by default in the CLI).
    pub marks: bool,
    /// Keyword terms.
    pub keywords: Vec<Keyword>,
    /// Regex rules.
    pub regexes: Vec<RegexRule>,
}

/// How text is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchOptions {
    /// NFKC, full-width → half-width, spaces inside CJK words removed. On by default.
    pub normalize: bool,
    /// Traditional → simplified Chinese before matching. Off by default.
    pub traditional_to_simplified: bool,
}

impl Default for MatchOptions {
    fn default() -> MatchOptions {
        MatchOptions {
            normalize: true,
            traditional_to_simplified: false,
        }
    }
}

/// Tuning that does not change what a rule means, only how the search runs (and ASCII case).
///
/// Kept apart from [`MatchOptions`] so that code building `MatchOptions` literally keeps
/// compiling; build a matcher with it through [`Matcher::with_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatcherConfig {
    /// Compare ASCII letters of keyword terms without case (`secret` finds `SECRET`). Off by
    /// default, like `rg -F`. Marks and regexes are unaffected (use `(?i)` in a regex).
    pub ascii_case_insensitive: bool,
    /// Threads for one large text; 0 means one per available core. The caller that already
    /// searches many files in parallel may set 1.
    pub threads: usize,
    /// Chunk size in bytes: the unit of parallel work and the bound on per-thread buffers.
    pub chunk_size: usize,
    /// Which keyword search engine to use; [`KeywordEngine::Auto`] picks by the list.
    pub engine: KeywordEngine,
}

/// The keyword search engines. Both give the same hits (leftmost-first in list order); they
/// differ in speed. Exposed so that tests and benchmarks can compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeywordEngine {
    /// The prefix filter for long lists, Aho-Corasick otherwise.
    #[default]
    Auto,
    /// Aho-Corasick (a DFA for lists of moderate size, a contiguous NFA beyond).
    AhoCorasick,
    /// A hashed-prefix filter with exact verification: every text position is tested against a
    /// bitmap of the terms' first bytes that stays in the CPU cache, independently of the
    /// previous position, instead of walking an automaton whose tables for thousands of terms
    /// do not fit in cache. Falls back to Aho-Corasick where it cannot apply (ASCII case
    /// folding, lists of mostly very short terms).
    PrefixFilter,
}

impl Default for MatcherConfig {
    fn default() -> MatcherConfig {
        MatcherConfig {
            ascii_case_insensitive: false,
            threads: 0,
            chunk_size: 1 << 20,
            engine: KeywordEngine::Auto,
        }
    }
}

/// A rule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A keyword-list line that is not `term[<TAB>severity[<TAB>category]]`.
    #[error("keyword list line {line}: {reason}")]
    KeywordLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A regex that does not compile.
    #[error("regex rule {name:?}: {reason}")]
    Regex {
        /// The rule's name.
        name: String,
        /// The compiler's message.
        reason: String,
    },
    /// Nothing to look for.
    #[error("no rules: enable marks or give keywords or regexes")]
    Empty,
}

/// What a hit matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitKind {
    /// A classification mark. `mark` is the parsed mark when the text is a complete mark
    /// (`机密★10年`); a bare level in header position has only `level`.
    Mark {
        /// The level found.
        level: Level,
        /// The parsed mark, when complete.
        mark: Option<Mark>,
    },
    /// Keyword `index` of [`Rules::keywords`].
    Keyword {
        /// Index into the keyword list.
        index: usize,
    },
    /// Regex rule `index` of [`Rules::regexes`].
    Regex {
        /// Index into the regex rules.
        index: usize,
    },
}

/// One hit: `start..end` are byte offsets into the ORIGINAL text given to [`Matcher::find`],
/// on character boundaries, covering the original characters that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Start byte offset in the original text.
    pub start: usize,
    /// End byte offset (exclusive) in the original text.
    pub end: usize,
    /// What matched.
    pub kind: HitKind,
}

/// How many hits of each kind a text holds; see [`Matcher::count`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HitCounts {
    /// Classification marks.
    pub marks: usize,
    /// Keyword hits.
    pub keywords: usize,
    /// Regex hits.
    pub regexes: usize,
}

impl HitCounts {
    /// All hits.
    pub fn total(&self) -> usize {
        self.marks + self.keywords + self.regexes
    }

    fn add(&mut self, other: HitCounts) {
        self.marks += other.marks;
        self.keywords += other.keywords;
        self.regexes += other.regexes;
    }

    fn count(&mut self, kind: &HitKind) {
        match kind {
            HitKind::Mark { .. } => self.marks += 1,
            HitKind::Keyword { .. } => self.keywords += 1,
            HitKind::Regex { .. } => self.regexes += 1,
        }
    }
}

/// A byte buffer given to [`Matcher::find_utf8`] or [`Matcher::count_utf8`] that is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text is not UTF-8 (invalid bytes near offset {valid_up_to})")]
pub struct InvalidUtf8 {
    /// The offset of the chunk in which the invalid bytes were found, plus the valid prefix.
    pub valid_up_to: usize,
}

/// The compiled rules.
#[derive(Debug)]
pub struct Matcher {
    rules: Rules,
    options: MatchOptions,
    config: MatcherConfig,
    norm: Normalizer,
    keywords: Option<Keywords>,
    /// Automaton pattern id → index into `rules.keywords` (empty terms are left out).
    keyword_index: Vec<usize>,
    /// The longest normalised term, in bytes.
    longest_term: usize,
    marks: Option<AhoCorasick>,
    regexes: Vec<Regex>,
    regex_set: Option<RegexSet>,
}

/// Above this many states the keyword DFA costs more memory (and cache) than it saves; the
/// contiguous NFA is used instead. Measured on the bench corpus (bench/scan/run.sh).
const DFA_MAX_PATTERN_BYTES: usize = 200_000;

/// The level words that start a mark search: 0 绝密, 1 机密, 2 秘密, 3 SECRET, 4 CONFIDENTIAL.
const MARK_TRIGGERS: [&str; 5] = ["绝密", "机密", "秘密", "SECRET", "CONFIDENTIAL"];

impl Matcher {
    /// Compiles the rules.
    pub fn new(rules: Rules, options: MatchOptions) -> Result<Matcher, RuleError> {
        Matcher::with_config(rules, options, MatcherConfig::default())
    }

    /// Compiles the rules with explicit tuning (case, threads, chunk size).
    pub fn with_config(
        rules: Rules,
        options: MatchOptions,
        config: MatcherConfig,
    ) -> Result<Matcher, RuleError> {
        if !rules.marks && rules.keywords.is_empty() && rules.regexes.is_empty() {
            return Err(RuleError::Empty);
        }
        let norm = Normalizer::new(options.normalize, options.traditional_to_simplified);
        let mut patterns = Vec::with_capacity(rules.keywords.len());
        let mut keyword_index = Vec::with_capacity(rules.keywords.len());
        for (i, k) in rules.keywords.iter().enumerate() {
            let p = norm.normalize_term(&k.term);
            if !p.is_empty() {
                patterns.push(p);
                keyword_index.push(i);
            }
        }
        let longest_term = patterns.iter().map(String::len).max().unwrap_or(0);
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(build_keywords(&patterns, &config)?)
        };
        let marks = if rules.marks {
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(MARK_TRIGGERS)
                .map_err(|e| RuleError::KeywordLine {
                    line: 0,
                    reason: format!("mark automaton: {e}"),
                })?;
            Some(ac)
        } else {
            None
        };
        let mut regexes = Vec::with_capacity(rules.regexes.len());
        for r in &rules.regexes {
            let re = Regex::new(&r.pattern).map_err(|e| RuleError::Regex {
                name: r.name.clone(),
                reason: e.to_string(),
            })?;
            regexes.push(re);
        }
        let regex_set = if regexes.len() >= 4 {
            RegexSet::new(rules.regexes.iter().map(|r| r.pattern.as_str())).ok()
        } else {
            None
        };
        Ok(Matcher {
            rules,
            options,
            config,
            norm,
            keywords,
            keyword_index,
            longest_term,
            marks,
            regexes,
            regex_set,
        })
    }

    /// The rules this matcher was built from.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The options this matcher was built with.
    pub fn options(&self) -> MatchOptions {
        self.options
    }

    /// The tuning this matcher was built with.
    pub fn config(&self) -> MatcherConfig {
        self.config
    }

    /// The normaliser texts and terms go through (callers can show a term's matching form).
    pub fn normalizer(&self) -> &Normalizer {
        &self.norm
    }

    /// How many bytes before and after a seam inside an over-long line are searched again:
    /// enough for the longest term even if each of its bytes came from a three-byte full-width
    /// character, plus room for a mark with its period.
    pub fn seam_overlap(&self) -> usize {
        self.longest_term.saturating_mul(4).saturating_add(512)
    }

    /// Appends every hit in `text` to `hits`, ordered by start offset.
    pub fn find(&self, text: &str, hits: &mut Vec<Hit>) {
        // A `&str` cannot fail UTF-8 validation.
        let _ = self.run(Input::Str(text), Some(hits));
    }

    /// Counts the hits in `text` without building them: what `find` would append, by kind.
    pub fn count(&self, text: &str) -> HitCounts {
        self.run(Input::Str(text), None).unwrap_or_default()
    }

    /// Like [`Matcher::find`] on a UTF-8 byte buffer, validating it chunk by chunk in the
    /// search threads (a large file need not be validated in one thread first).
    pub fn find_utf8(&self, bytes: &[u8], hits: &mut Vec<Hit>) -> Result<(), InvalidUtf8> {
        self.run(Input::Bytes(bytes), Some(hits)).map(|_| ())
    }

    /// Like [`Matcher::count`] on a UTF-8 byte buffer (see [`Matcher::find_utf8`]).
    pub fn count_utf8(&self, bytes: &[u8]) -> Result<HitCounts, InvalidUtf8> {
        self.run(Input::Bytes(bytes), None)
    }

    fn threads(&self) -> usize {
        match self.config.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    fn run(&self, input: Input<'_>, hits: Option<&mut Vec<Hit>>) -> Result<HitCounts, InvalidUtf8> {
        let chunks = split_chunks(input.bytes(), self.config.chunk_size.max(4096), self);
        let threads = self.threads().min(chunks.len());
        let collect = hits.is_some();
        let mut total = HitCounts::default();
        if threads <= 1 || chunks.len() < 2 {
            let mut scratch = NormScratch::default();
            let mut local = Vec::new();
            let mut out = hits;
            for c in &chunks {
                let counts = self.scan_chunk(&input, c, &mut scratch, collect, &mut local)?;
                total.add(counts);
                if let Some(h) = out.as_deref_mut() {
                    h.append(&mut local);
                }
            }
            return Ok(total);
        }
        // Parallel: workers take chunks in order from a shared counter; results are stored per
        // chunk and concatenated in order afterwards, so hits stay ordered by start.
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<ChunkResult>>> =
            chunks.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let mut scratch = NormScratch::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(c) = chunks.get(i) else { break };
                        let mut local = Vec::new();
                        let r = self
                            .scan_chunk(&input, c, &mut scratch, collect, &mut local)
                            .map(|counts| (counts, local));
                        let failed = r.is_err();
                        if let Some(slot) = results.get(i) {
                            if let Ok(mut g) = slot.lock() {
                                *g = Some(r);
                            }
                        }
                        if failed {
                            // Stop early: the result is an error whatever else is found.
                            next.store(chunks.len(), Ordering::Relaxed);
                            break;
                        }
                    }
                });
            }
        });
        let mut out = hits;
        for slot in results {
            let Ok(r) = slot.into_inner() else { continue };
            match r {
                Some(Ok((counts, mut local))) => {
                    total.add(counts);
                    if let Some(h) = out.as_deref_mut() {
                        h.append(&mut local);
                    }
                }
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        Ok(total)
    }

    /// Searches one chunk; with `collect`, appends its hits (absolute offsets, ordered) to
    /// `out`; always returns its counts.
    fn scan_chunk(
        &self,
        input: &Input<'_>,
        c: &Chunk,
        scratch: &mut NormScratch,
        collect: bool,
        out: &mut Vec<Hit>,
    ) -> Result<HitCounts, InvalidUtf8> {
        let region = input.region(c.search_start, c.search_end)?;
        let own_start = c.own_start - c.search_start;
        let own_end = c.own_end - c.search_start;
        let whole = own_start == 0 && own_end == region.len();
        let nr = self.norm.normalize_in(region, scratch);
        let mut counts = HitCounts::default();
        let mut local: Vec<Hit> = Vec::new();
        if let Some(kw) = &self.keywords {
            if whole && !collect {
                counts.keywords += kw.count(nr.text);
            } else {
                for (ms, me, pid) in kw.iter(nr.text) {
                    let (start, end) = nr.map.range(ms, me);
                    let index = self.keyword_index.get(pid).copied();
                    local.push(Hit {
                        start,
                        end,
                        kind: HitKind::Keyword {
                            index: index.unwrap_or(0),
                        },
                    });
                }
            }
        }
        if let Some(ac) = &self.marks {
            find_marks(ac, nr, c.own_start == 0, &mut local);
        }
        self.find_regexes(nr, &mut local);
        if !whole {
            local = trim_to_owned(local, own_start, own_end);
        }
        local.sort_by_key(|h| (h.start, h.end));
        for h in &local {
            counts.count(&h.kind);
        }
        if collect {
            out.reserve(local.len());
            out.extend(local.into_iter().map(|mut h| {
                h.start += c.search_start;
                h.end += c.search_start;
                h
            }));
        }
        Ok(counts)
    }

    fn find_regexes(&self, nr: NormRef<'_>, out: &mut Vec<Hit>) {
        if self.regexes.is_empty() {
            return;
        }
        let matched: Vec<usize> = match &self.regex_set {
            Some(set) => set.matches(nr.text).into_iter().collect(),
            None => (0..self.regexes.len()).collect(),
        };
        for index in matched {
            let Some(re) = self.regexes.get(index) else {
                continue;
            };
            for m in re.find_iter(nr.text) {
                if m.start() == m.end() {
                    continue;
                }
                let (start, end) = nr.map.range(m.start(), m.end());
                out.push(Hit {
                    start,
                    end,
                    kind: HitKind::Regex { index },
                });
            }
        }
    }
}

type ChunkResult = Result<(HitCounts, Vec<Hit>), InvalidUtf8>;

/// The text being searched: a `&str`, or bytes validated chunk by chunk.
enum Input<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Input<'a> {
    fn bytes(&self) -> &'a [u8] {
        match self {
            Input::Str(s) => s.as_bytes(),
            Input::Bytes(b) => b,
        }
    }

    fn region(&self, start: usize, end: usize) -> Result<&'a str, InvalidUtf8> {
        match self {
            Input::Str(s) => Ok(s.get(start..end).unwrap_or_default()),
            Input::Bytes(b) => {
                let slice = b.get(start..end).unwrap_or_default();
                // simdutf8 validates non-ASCII text several times faster than std; std then
                // says where the error is.
                simdutf8::basic::from_utf8(slice).or_else(|_| {
                    std::str::from_utf8(slice).map_err(|e| InvalidUtf8 {
                        valid_up_to: start + e.valid_up_to(),
                    })
                })
            }
        }
    }
}

/// A piece of the text: hits starting in `own_start..own_end` belong to it; it is searched
/// over `search_start..search_end` (wider only at seams inside over-long lines).
#[derive(Debug, Clone, Copy)]
struct Chunk {
    search_start: usize,
    search_end: usize,
    own_start: usize,
    own_end: usize,
}

/// Cuts `b` into chunks of about `size` bytes at line ends (or, in a line longer than twice
/// the size, at a character boundary with overlap).
fn split_chunks(b: &[u8], size: usize, m: &Matcher) -> Vec<Chunk> {
    let len = b.len();
    let mut out = Vec::with_capacity(len / size + 1);
    let overlap = m.seam_overlap();
    let mut pos = 0;
    while pos < len || out.is_empty() {
        let want = pos.saturating_add(size);
        if want >= len {
            out.push(Chunk {
                search_start: pos,
                search_end: len,
                own_start: pos,
                own_end: len,
            });
            break;
        }
        // The last line end in the second half of the window, else the first one after it
        // within another window.
        let back = b
            .get(pos + size / 2..want)
            .and_then(|w| memchr::memrchr(b'\n', w))
            .map(|k| pos + size / 2 + k + 1);
        let cut = back.or_else(|| {
            let fwd_end = want.saturating_add(size).min(len);
            b.get(want..fwd_end)
                .and_then(|w| memchr::memchr(b'\n', w))
                .map(|k| want + k + 1)
        });
        match cut {
            Some(end) => {
                out.push(Chunk {
                    search_start: pos,
                    search_end: end,
                    own_start: pos,
                    own_end: end,
                });
                pos = end;
            }
            None => {
                // A hard cut inside a very long line, at a character boundary.
                let mut end = want;
                while end < len && b.get(end).is_some_and(|&x| (x & 0xC0) == 0x80) {
                    end += 1;
                }
                let mut search_start = pos.saturating_sub(overlap);
                while search_start > 0 && b.get(search_start).is_some_and(|&x| (x & 0xC0) == 0x80) {
                    search_start -= 1;
                }
                if pos == 0 {
                    search_start = 0;
                }
                let mut search_end = end.saturating_add(overlap).min(len);
                while search_end < len && b.get(search_end).is_some_and(|&x| (x & 0xC0) == 0x80) {
                    search_end += 1;
                }
                out.push(Chunk {
                    search_start,
                    search_end,
                    own_start: pos,
                    own_end: end,
                });
                pos = end;
            }
        }
    }
    // A chunk after a hard cut must look back too: mark it by widening its search start.
    for i in 1..out.len() {
        let prev_hard = out.get(i - 1).is_some_and(|p| p.search_end > p.own_end);
        if prev_hard {
            if let Some(c) = out.get_mut(i) {
                let mut s = c.own_start.saturating_sub(overlap);
                while s > 0 && b.get(s).is_some_and(|&x| (x & 0xC0) == 0x80) {
                    s -= 1;
                }
                c.search_start = c.search_start.min(s);
            }
        }
    }
    out
}

/// The class of a hit for seam de-duplication: hits of one class never overlap each other.
fn class(k: &HitKind) -> (u8, usize) {
    match k {
        HitKind::Mark { .. } => (0, 0),
        HitKind::Keyword { .. } => (1, 0),
        HitKind::Regex { index } => (2, *index),
    }
}

/// Keeps the hits that belong to a chunk searched with overlap: those starting in
/// `own_start..own_end` that do not overlap a hit of the same class starting in the look-back.
fn trim_to_owned(mut local: Vec<Hit>, own_start: usize, own_end: usize) -> Vec<Hit> {
    local.sort_by_key(|h| (h.start, h.end));
    let mut before: Vec<((u8, usize), usize)> = Vec::new();
    let mut kept = Vec::with_capacity(local.len());
    for h in local {
        let cl = class(&h.kind);
        if h.start < own_start {
            match before.iter_mut().find(|(c, _)| *c == cl) {
                Some((_, e)) => *e = (*e).max(h.end),
                None => before.push((cl, h.end)),
            }
            continue;
        }
        if h.start >= own_end {
            continue;
        }
        if before.iter().any(|(c, e)| *c == cl && *e > h.start) {
            continue;
        }
        kept.push(h);
    }
    kept
}

/// The compiled keyword list: one of two engines with the same semantics.
#[derive(Debug)]
enum Keywords {
    Ac(AhoCorasick),
    Prefix(prefix::PrefixSearcher),
}

impl Keywords {
    fn count(&self, hay: &str) -> usize {
        match self {
            Keywords::Ac(ac) => ac.find_iter(hay).count(),
            Keywords::Prefix(p) => p.count(hay.as_bytes()),
        }
    }

    /// Matches as (start, end, pattern id), in order.
    fn iter<'h>(&'h self, hay: &'h str) -> Box<dyn Iterator<Item = (usize, usize, usize)> + 'h> {
        match self {
            Keywords::Ac(ac) => Box::new(
                ac.find_iter(hay)
                    .map(|m| (m.start(), m.end(), m.pattern().as_usize())),
            ),
            Keywords::Prefix(p) => {
                let hay = hay.as_bytes();
                let mut pos = 0;
                Box::new(std::iter::from_fn(move || {
                    let (s, e, id) = p.find_at(hay, pos)?;
                    pos = e;
                    Some((s, e, id))
                }))
            }
        }
    }
}

fn build_keywords(patterns: &[String], config: &MatcherConfig) -> Result<Keywords, RuleError> {
    let ci = config.ascii_case_insensitive;
    let want_prefix = match config.engine {
        KeywordEngine::AhoCorasick => false,
        KeywordEngine::PrefixFilter => true,
        KeywordEngine::Auto => patterns.len() >= PREFIX_MIN_PATTERNS,
    };
    if want_prefix && !ci {
        if let Some(p) = prefix::PrefixSearcher::new(patterns) {
            return Ok(Keywords::Prefix(p));
        }
    }
    let bytes: usize = patterns.iter().map(String::len).sum();
    let kind = if bytes <= DFA_MAX_PATTERN_BYTES {
        AhoCorasickKind::DFA
    } else {
        AhoCorasickKind::ContiguousNFA
    };
    let build = |kind: Option<AhoCorasickKind>| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .ascii_case_insensitive(ci)
            .kind(kind)
            .build(patterns)
    };
    build(Some(kind))
        .or_else(|_| build(None))
        .map(Keywords::Ac)
        .map_err(|e| RuleError::KeywordLine {
            line: 0,
            reason: format!("keyword automaton: {e}"),
        })
}

/// Below this many terms Aho-Corasick's own SIMD prefilters (Teddy) win; from here on the
/// prefix filter does.
const PREFIX_MIN_PATTERNS: usize = 64;

/// The prefix-filter keyword engine.
///
/// Every term of at least `w` bytes (w = 2..8, chosen so that at most a tenth of the terms are
/// shorter) is keyed by its first `w` bytes; a bitmap of the keys' hashes (128 KiB, cache
/// resident) rejects almost every text position with one multiply and one load, and the rare
/// survivors are verified against the terms with that key, lowest list index first. Terms
/// shorter than `w` are keyed whole, one table per length, behind a bitmap of their first two
/// bytes. At each position the lowest index among all terms that match there wins, and the
/// search goes on after the match: exactly Aho-Corasick's (and ripgrep's) leftmost-first,
/// non-overlapping semantics.
mod prefix {
    const BITS: u32 = 20;
    /// UTF-8 sequence length by the high nibble of the lead byte (1 for continuation bytes).
    const STEP: [u8; 16] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4];
    const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

    fn mask(len: usize) -> u64 {
        if len >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * len)) - 1
        }
    }

    /// The eight bytes at `i`, zero-padded past the end.
    #[inline(always)]
    fn load8(hay: &[u8], i: usize) -> u64 {
        match hay.get(i..i + 8) {
            Some(w) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(w);
                u64::from_le_bytes(a)
            }
            None => {
                let mut a = [0u8; 8];
                let rest = hay.get(i..).unwrap_or_default();
                if let Some(dst) = a.get_mut(..rest.len()) {
                    dst.copy_from_slice(rest);
                }
                u64::from_le_bytes(a)
            }
        }
    }

    #[inline(always)]
    fn bit(bits: &[u64], k: usize) -> bool {
        bits.get(k >> 6)
            .is_some_and(|w| w & (1u64 << (k & 63)) != 0)
    }

    fn set(bits: &mut [u64], k: usize) {
        if let Some(w) = bits.get_mut(k >> 6) {
            *w |= 1u64 << (k & 63);
        }
    }

    /// Open-addressing map from a key to the ids (ascending) of the terms with that key.
    #[derive(Debug, Default)]
    struct Table {
        /// (key, first id index, count); count 0 = empty slot.
        slots: Vec<(u64, u32, u32)>,
        shift: u32,
        ids: Vec<u32>,
    }

    impl Table {
        fn build(mut entries: Vec<(u64, u32)>) -> Table {
            entries.sort_unstable();
            let mut groups: Vec<(u64, u32, u32)> = Vec::new();
            let mut ids = Vec::with_capacity(entries.len());
            for (key, id) in entries {
                let at = ids.len() as u32;
                ids.push(id);
                match groups.last_mut() {
                    Some(g) if g.0 == key => g.2 += 1,
                    _ => groups.push((key, at, 1)),
                }
            }
            let cap = (groups.len() * 2).next_power_of_two().max(16);
            let shift = 64 - cap.trailing_zeros();
            let mut slots = vec![(0u64, 0u32, 0u32); cap];
            for g in groups {
                let mut k = (g.0.wrapping_mul(MUL) >> shift) as usize;
                loop {
                    match slots.get_mut(k) {
                        Some(s) if s.2 == 0 => {
                            *s = g;
                            break;
                        }
                        Some(_) => k = (k + 1) & (cap - 1),
                        None => break,
                    }
                }
            }
            Table { slots, shift, ids }
        }

        #[inline(always)]
        fn get(&self, key: u64) -> &[u32] {
            let cap = self.slots.len();
            let mut k = (key.wrapping_mul(MUL) >> self.shift) as usize;
            for _ in 0..cap {
                match self.slots.get(k) {
                    Some(&(sk, first, count)) if count != 0 => {
                        if sk == key {
                            let (a, b) = (first as usize, first as usize + count as usize);
                            return self.ids.get(a..b).unwrap_or_default();
                        }
                        k = (k + 1) & (cap - 1);
                    }
                    _ => return &[],
                }
            }
            &[]
        }
    }

    #[derive(Debug)]
    pub(super) struct PrefixSearcher {
        bytes: Vec<u8>,
        /// (start in `bytes`, length) of each term.
        pats: Vec<(u32, u32)>,
        w: usize,
        wmask: u64,
        long_bits: Vec<u64>,
        long: Table,
        has_long: bool,
        /// First two bytes of the short terms (65,536 bits).
        short_first2: Vec<u64>,
        /// One table per short length present: (length, mask, table).
        short: Vec<(usize, u64, Table)>,
    }

    impl PrefixSearcher {
        /// `None` when the list does not suit the filter (mostly one-byte terms).
        pub(super) fn new(patterns: &[String]) -> Option<PrefixSearcher> {
            if patterns.is_empty() || patterns.len() > u32::MAX as usize / 2 {
                return None;
            }
            let mut lens: Vec<usize> = patterns.iter().map(String::len).collect();
            lens.sort_unstable();
            // The largest w whose shorter terms are at most a tenth of the list.
            let tenth = patterns.len() / 10;
            let w = (2..=8usize)
                .rev()
                .find(|&w| lens.partition_point(|&l| l < w) <= tenth)?;
            let mut bytes = Vec::new();
            let mut pats = Vec::with_capacity(patterns.len());
            let mut long_bits = vec![0u64; (1usize << BITS) / 64];
            let mut long_entries = Vec::new();
            let mut short_first2 = vec![0u64; 65536 / 64];
            let mut short_entries: Vec<Vec<(u64, u32)>> = vec![Vec::new(); w];
            for (id, p) in patterns.iter().enumerate() {
                let b = p.as_bytes();
                let start = u32::try_from(bytes.len()).ok()?;
                let len = u32::try_from(b.len()).ok()?;
                bytes.extend_from_slice(b);
                pats.push((start, len));
                let x = load8(b, 0);
                let id = id as u32;
                if b.len() >= w {
                    let key = x & mask(w);
                    set(
                        &mut long_bits,
                        (key.wrapping_mul(MUL) >> (64 - BITS)) as usize,
                    );
                    long_entries.push((key, id));
                } else {
                    let key = x & mask(b.len());
                    if b.len() == 1 {
                        for second in 0..256usize {
                            set(&mut short_first2, (x as usize & 0xFF) | (second << 8));
                        }
                    } else {
                        set(&mut short_first2, (x & 0xFFFF) as usize);
                    }
                    if let Some(v) = short_entries.get_mut(b.len()) {
                        v.push((key, id));
                    }
                }
            }
            let short = short_entries
                .into_iter()
                .enumerate()
                .filter(|(_, v)| !v.is_empty())
                .map(|(len, v)| (len, mask(len), Table::build(v)))
                .collect::<Vec<_>>();
            let has_long = !long_entries.is_empty();
            Some(PrefixSearcher {
                bytes,
                pats,
                w,
                wmask: mask(w),
                long_bits,
                long: Table::build(long_entries),
                has_long,
                short_first2,
                short,
            })
        }

        fn pat(&self, id: u32) -> &[u8] {
            let Some(&(s, l)) = self.pats.get(id as usize) else {
                return &[];
            };
            self.bytes
                .get(s as usize..s as usize + l as usize)
                .unwrap_or_default()
        }

        /// The first match starting at or after `from`: (start, end, pattern id).
        #[inline]
        pub(super) fn find_at(&self, hay: &[u8], from: usize) -> Option<(usize, usize, usize)> {
            let n = hay.len();
            let mut i = from;
            let has_short = !self.short.is_empty();
            while i < n {
                let b0 = hay.get(i).copied().unwrap_or(0);
                let x = load8(hay, i);
                let mut best: Option<u32> = None;
                if self.has_long && i + self.w <= n {
                    let key = x & self.wmask;
                    if bit(
                        &self.long_bits,
                        (key.wrapping_mul(MUL) >> (64 - BITS)) as usize,
                    ) {
                        for &id in self.long.get(key) {
                            // The first w bytes are equal (same key); compare the rest.
                            let p = self.pat(id);
                            let ok = if p.len() <= 8 {
                                i + p.len() <= n && (x & mask(p.len())) == load8(p, 0)
                            } else {
                                x == load8(p, 0) && hay.get(i + 8..i + p.len()) == p.get(8..)
                            };
                            if ok {
                                best = Some(id);
                                break;
                            }
                        }
                    }
                }
                if has_short && bit(&self.short_first2, (x & 0xFFFF) as usize) {
                    for (len, m, table) in &self.short {
                        if i + len > n {
                            continue;
                        }
                        if let Some(&id) = table.get(x & m).first() {
                            if best.is_none_or(|b| id < b) {
                                best = Some(id);
                            }
                        }
                    }
                }
                if let Some(id) = best {
                    let len = self.pat(id).len();
                    return Some((i, i + len, id as usize));
                }
                // Terms start on character boundaries and the text is UTF-8: step over the
                // whole character (a CJK character is three bytes).
                i += STEP[(b0 >> 4) as usize] as usize;
            }
            None
        }

        pub(super) fn count(&self, hay: &[u8]) -> usize {
            let mut pos = 0;
            let mut n = 0;
            while let Some((_, e, _)) = self.find_at(hay, pos) {
                n += 1;
                pos = e;
            }
            n
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Classification marks (R1.3)
// ---------------------------------------------------------------------------------------------

/// Characters that end a Chinese declassification condition (or any period) in running text.
fn ends_condition(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\t'
            | ' '
            | '。'
            | '，'
            | ','
            | '；'
            | ';'
            | '！'
            | '!'
            | '？'
            | '?'
            | '、'
            | '：'
            | ':'
            | '('
            | ')'
            | '（'
            | '）'
            | '['
            | ']'
            | '【'
            | '】'
            | '《'
            | '》'
            | '"'
            | '“'
            | '”'
            | '★'
            | '☆'
    )
}

/// The longest condition a mark search takes, in characters.
const MAX_CONDITION_CHARS: usize = 40;

/// Finds marks in a normalised chunk and pushes them (in original offsets of the chunk).
fn find_marks(triggers: &AhoCorasick, nr: NormRef<'_>, header: bool, out: &mut Vec<Hit>) {
    let t = nr.text;
    let mut found: Vec<(usize, usize, Level, Option<Mark>)> = Vec::new();
    for m in triggers.find_iter(t) {
        let (s, e) = (m.start(), m.end());
        match m.pattern().as_usize() {
            0 => zh_mark(nr, s, e, Level::TopSecret, &mut found),
            1 => zh_mark(nr, s, e, Level::Confidential, &mut found),
            2 => zh_mark(nr, s, e, Level::Secret, &mut found),
            3 => en_mark(t, s, e, Level::Secret, &mut found),
            _ => en_mark(t, s, e, Level::Confidential, &mut found),
        }
    }
    if header {
        header_marks(t, &mut found);
    }
    for (s, e, level, mark) in found {
        let (start, end) = nr.map.range(s, e);
        out.push(Hit {
            start,
            end,
            kind: HitKind::Mark { level, mark },
        });
    }
}

fn skip_blanks(t: &str, mut p: usize) -> usize {
    while let Some(c) = t.get(p..).and_then(|r| r.chars().next()) {
        if c == ' ' || c == '\t' {
            p += 1;
        } else {
            break;
        }
    }
    p
}

/// `绝密|机密|秘密` at `s..e`: a mark when `★`/`☆` follows (after optional spaces).
fn zh_mark(
    nr: NormRef<'_>,
    s: usize,
    e: usize,
    level: Level,
    found: &mut Vec<(usize, usize, Level, Option<Mark>)>,
) {
    let t = nr.text;
    let before = t.get(..s).unwrap_or_default();
    // 商业秘密★… is a trade-secret mark (R1.1), not a state-secret one.
    if before.ends_with("商业") {
        return;
    }
    let p = skip_blanks(t, e);
    let rest = t.get(p..).unwrap_or_default();
    let Some(star) = rest.chars().next().filter(|c| *c == '★' || *c == '☆') else {
        return;
    };
    let star_end = p + star.len_utf8();
    let q = skip_blanks(t, star_end);
    let period = t.get(q..).unwrap_or_default();
    let first = period.chars().next();
    let parse = |end: usize| t.get(s..end).and_then(|c| Mark::parse(c).ok());
    match first {
        Some(d) if is_digit(d) => {
            // Years or a date: cut after 年 or 日, longest first.
            let mut cuts = Vec::new();
            let mut scan_end = q;
            for (k, c) in period.char_indices().take(24) {
                if is_digit(c) || c == ' ' || c == '年' || c == '月' || c == '日' {
                    scan_end = q + k + c.len_utf8();
                    if c == '年' || c == '日' {
                        cuts.push(scan_end);
                    }
                } else {
                    break;
                }
            }
            for &cut in cuts.iter().rev() {
                if let Some(mark) = parse(cut) {
                    found.push((s, cut, level, Some(mark)));
                    return;
                }
            }
            let end = s + t.get(s..scan_end).unwrap_or_default().trim_end().len();
            found.push((s, end, level, None));
        }
        None => found.push((s, star_end, level, parse(star_end))),
        Some(c) if ends_condition(c) => found.push((s, star_end, level, parse(star_end))),
        Some(_) => {
            // A condition: up to a line end, punctuation, a space or a removed space.
            let mut end = q;
            for (k, c) in period.char_indices().take(MAX_CONDITION_CHARS) {
                if ends_condition(c) || (k > 0 && nr.map.gap_at(q + k)) {
                    break;
                }
                end = q + k + c.len_utf8();
            }
            found.push((s, end, level, parse(end)));
        }
    }
}

/// An ASCII or full-width digit (full-width ones remain when normalisation is off).
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `SECRET` (maybe `TOP SECRET`) or `CONFIDENTIAL` at `s..e`, upper case, as a whole word: a
/// banner when `//` follows.
fn en_mark(
    t: &str,
    s: usize,
    e: usize,
    mut level: Level,
    found: &mut Vec<(usize, usize, Level, Option<Mark>)>,
) {
    let b = t.as_bytes();
    if b.get(e).copied().is_some_and(is_word_byte) {
        return;
    }
    let mut start = s;
    if level == Level::Secret {
        let before = t.get(..s).unwrap_or_default();
        let trimmed = before.trim_end_matches([' ', '\t']);
        if trimmed.len() < before.len() && trimmed.ends_with("TOP") {
            let top = trimmed.len() - 3;
            if top == 0 || !b.get(top - 1).copied().is_some_and(is_word_byte) {
                level = Level::TopSecret;
                start = top;
            }
        }
    }
    if start > 0 && b.get(start - 1).copied().is_some_and(is_word_byte) {
        return;
    }
    let p = skip_blanks(t, e);
    if !t.get(p..).unwrap_or_default().starts_with("//") {
        return;
    }
    // The longest candidate: to the line end or a sentence end, at most 120 bytes.
    let line_end = t
        .get(p..)
        .unwrap_or_default()
        .find(['\n', '\r'])
        .map_or(t.len(), |k| p + k);
    let mut max_end = line_end.min(p + 120);
    while !t.is_char_boundary(max_end) {
        max_end -= 1;
    }
    let tail = t.get(p + 2..max_end).unwrap_or_default();
    for (k, c) in tail.char_indices() {
        if matches!(c, '.' | ';' | ',' | '!' | '?')
            && tail
                .get(k + 1..)
                .and_then(|r| r.chars().next())
                .is_none_or(char::is_whitespace)
        {
            max_end = p + 2 + k;
            break;
        }
    }
    // Cuts: the longest candidate, then shorter ones at spaces and punctuation.
    let mut cuts = vec![max_end];
    let tail = t.get(p + 2..max_end).unwrap_or_default();
    for (k, c) in tail.char_indices().rev() {
        if c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')') {
            cuts.push(p + 2 + k);
        }
    }
    for cut in cuts {
        let Some(cand) = t.get(start..cut) else {
            continue;
        };
        let cand = cand.trim_end();
        if let Ok(mark) = Mark::parse(cand) {
            found.push((start, start + cand.len(), level, Some(mark)));
            return;
        }
    }
    // A banner whose period does not parse (`SECRET//NOFORN`): still a mark, without a period.
    let first_token = tail
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';'))
        .unwrap_or(tail.len());
    found.push((start, p + 2 + first_token, level, None));
}

/// A bare level alone on one of the first three non-empty lines of the segment: the header
/// position where documents carry their mark. `内部` counts only here (it is a common word
/// elsewhere); so do `绝密`/`机密`/`秘密` without `★` and English levels without `//`.
fn header_marks(t: &str, found: &mut Vec<(usize, usize, Level, Option<Mark>)>) {
    let mut pos = 0;
    let mut seen = 0;
    for line in t.split_inclusive('\n') {
        let line_start = pos;
        pos += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        seen += 1;
        if seen > 3 {
            break;
        }
        let Some(level) = bare_level(trimmed) else {
            continue;
        };
        let lead = line.len() - line.trim_start().len();
        let s = line_start + lead;
        let e = s + trimmed.len();
        if found.iter().any(|f| f.0 < e && s < f.1) {
            continue;
        }
        found.push((s, e, level, Mark::parse(trimmed).ok()));
    }
}

fn bare_level(line: &str) -> Option<Level> {
    match line {
        "绝密" => return Some(Level::TopSecret),
        "机密" => return Some(Level::Confidential),
        "秘密" => return Some(Level::Secret),
        "内部" => return Some(Level::Internal),
        "CONFIDENTIAL" => return Some(Level::Confidential),
        "SECRET" => return Some(Level::Secret),
        "INTERNAL" => return Some(Level::Internal),
        _ => {}
    }
    let rest = line.strip_prefix("TOP")?;
    let inner = rest.trim_start_matches([' ', '\t']);
    (inner.len() < rest.len() && inner == "SECRET").then_some(Level::TopSecret)
}

/// Parses a keyword list: UTF-8, one term per line, optionally `term<TAB>severity<TAB>category`;
/// blank lines and lines starting with `#` are ignored. A leading byte-order mark is skipped.
/// Severity is `high`/`medium`/`low` (or `高`/`中`/`低`, any ASCII case); a line with an empty
/// term or more than three fields is refused, so that a mangled list is noticed rather than
/// silently matching the wrong thing.
pub fn parse_keyword_list(text: &str) -> Result<Vec<Keyword>, RuleError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let term = fields.next().unwrap_or_default().trim().to_owned();
        if term.is_empty() {
            return Err(RuleError::KeywordLine {
                line: i + 1,
                reason: "empty term before the tab".to_owned(),
            });
        }
        let severity = match fields
            .next()
            .map(|s| s.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") | Some("high") | Some("高") => Severity::High,
            Some("medium") | Some("中") => Severity::Medium,
            Some("low") | Some("低") => Severity::Low,
            Some(other) => {
                return Err(RuleError::KeywordLine {
                    line: i + 1,
                    reason: format!("unknown severity {other:?} (use high, medium or low)"),
                })
            }
        };
        let category = fields
            .next()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if fields.next().is_some() {
            return Err(RuleError::KeywordLine {
                line: i + 1,
                reason: "too many fields (use term<TAB>severity<TAB>category)".to_owned(),
            });
        }
        out.push(Keyword {
            term,
            severity,
            category,
        });
    }
    Ok(out)
}
