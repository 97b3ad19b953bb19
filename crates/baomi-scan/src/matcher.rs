//! Matching rules against text: classification marks (R1.3), a unit's keyword lists and regex
//! rules, on normalised text, with positions reported in the original text.
//!
//! (The interface below is settled; the implementation is being replaced by a fast one.)

use baomi_core::marks::{Level, Mark};
use serde::{Deserialize, Serialize};

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

/// The compiled rules.
#[derive(Debug)]
pub struct Matcher {
    rules: Rules,
    options: MatchOptions,
}

impl Matcher {
    /// Compiles the rules.
    pub fn new(rules: Rules, options: MatchOptions) -> Result<Matcher, RuleError> {
        if !rules.marks && rules.keywords.is_empty() && rules.regexes.is_empty() {
            return Err(RuleError::Empty);
        }
        Ok(Matcher { rules, options })
    }

    /// The rules this matcher was built from.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The options this matcher was built with.
    pub fn options(&self) -> MatchOptions {
        self.options
    }

    /// Appends every hit in `text` to `hits`, ordered by start offset.
    pub fn find(&self, text: &str, hits: &mut Vec<Hit>) {
        // Placeholder: exact keyword search only.
        let first = hits.len();
        for (index, k) in self.rules.keywords.iter().enumerate() {
            if k.term.is_empty() {
                continue;
            }
            for (start, m) in text.match_indices(k.term.as_str()) {
                hits.push(Hit {
                    start,
                    end: start + m.len(),
                    kind: HitKind::Keyword { index },
                });
            }
        }
        hits[first..].sort_by_key(|h| (h.start, h.end));
    }
}

/// Parses a keyword list: UTF-8, one term per line, optionally `term<TAB>severity<TAB>category`;
/// blank lines and lines starting with `#` are ignored.
pub fn parse_keyword_list(text: &str) -> Result<Vec<Keyword>, RuleError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let term = fields.next().unwrap_or_default().trim().to_owned();
        let severity = match fields.next().map(str::trim) {
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
        out.push(Keyword {
            term,
            severity,
            category,
        });
    }
    Ok(out)
}
