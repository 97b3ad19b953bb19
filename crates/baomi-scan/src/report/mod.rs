//! Findings, failures, summaries, and the sinks that print them.
//!
//! The scanner turns every file into one [`FileReport`]: what was found in it ([`Finding`]),
//! what could not be read ([`Failure`]) and how the file was counted ([`FileStatus`]). A
//! [`Sink`] prints reports as they arrive — the scanner hands them over in a deterministic order
//! (by path, and within a file in document order) — and the [`Summary`] at the end:
//!
//! * [`text::TextSink`] — for people: `path:line:column: [mark] context`, in Chinese or
//!   English, the hit highlighted when the output is a terminal;
//! * [`json::JsonSink`] — JSON lines: one `{"type":"finding",…}` per finding, one
//!   `{"type":"failure",…}` per failure, then one `{"type":"summary",…}`;
//! * [`csv::CsvSink`] — one row per finding under a header row;
//! * [`sarif::SarifSink`] — one SARIF 2.1.0 log, for code-scanning dashboards.
//!
//! # How files are counted
//!
//! Every regular file the walk reaches (or that is named on the command line, or stdin) is
//! counted exactly once, as one of:
//!
//! * **scanned** — its content was extracted and matched (members of its containers may still
//!   have failed or been skipped: those are counted separately as `nested_failed` and
//!   `skipped_members`);
//! * **skipped** — deliberately not read: an unknown (binary) format, larger than the size
//!   limit, or not a regular file (a FIFO, a socket, a device: reading one could block);
//! * **failed** — it could not be read or extracted: an I/O error, a symlink loop, a malformed
//!   or encrypted file, a limit of the budget, a panic inside an extractor. Findings made before
//!   the failure are still reported.
//!
//! Files left out on purpose are NOT counted at all: hidden files (unless asked for), files
//! excluded by a glob or not matching an include glob, and symbolic links when links are not
//! followed.

pub mod count;
pub mod csv;
pub mod json;
pub mod sarif;
pub mod text;

use crate::extract::{Format, Part};
use crate::matcher::Severity;
use baomi_core::marks::{Level, Mark};
use baomi_core::Lang;
use std::io;
use std::time::Duration;

/// One hit, located in the scanned file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The scanned file as the walk named it (`docs/a.docx`), or `<stdin>`.
    pub path: String,
    /// The containers inside the file leading to the document, outermost first (empty for the
    /// file itself): `["attachments.zip", "report.docx"]`.
    pub inner: Vec<String>,
    /// The part of that document.
    pub part: Part,
    /// 1-based line within the text of the part (for plain text, HTML and XML: the line of the
    /// file itself).
    pub line: u64,
    /// 1-based column of the first character of the hit, counted in characters (Unicode
    /// scalar values), not bytes.
    pub column: u64,
    /// 1-based column just after the hit on the same line (for a hit that spans lines: just
    /// after the end of its first line).
    pub end_column: u64,
    /// The original text that matched (before normalisation), as it stands in the document.
    pub matched: String,
    /// The line around the hit.
    pub context: Context,
    /// The rule that matched.
    pub rule: RuleRef,
}

/// The line of a hit, trimmed to about [`CONTEXT_CHARS`] characters around the hit so that a
/// minified file does not print a megabyte per finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The text (no line breaks). `…` is NOT added where the line was cut.
    pub text: String,
    /// Where the hit starts in `text`, in characters.
    pub start: usize,
    /// Where the hit ends in `text` (exclusive), in characters.
    pub end: usize,
}

/// How many characters of context a finding carries at most (plus the hit itself).
pub const CONTEXT_CHARS: usize = 120;

/// The rule behind a finding, with what a report needs to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleRef {
    /// A classification mark (R1.3). `mark` is the parsed mark when the text is a complete
    /// mark (`机密★10年`); a bare level in header position has only the level.
    Mark {
        /// The level.
        level: Level,
        /// The parsed mark.
        mark: Option<Mark>,
    },
    /// A term of a keyword list.
    Keyword {
        /// The term as written in the list.
        term: String,
        /// Its severity.
        severity: Severity,
        /// Its category, if the list gives one.
        category: Option<String>,
    },
    /// A regex rule.
    Regex {
        /// The rule's name (`regex-1`, …).
        name: String,
        /// Its severity.
        severity: Severity,
    },
}

impl RuleRef {
    /// A stable id: `mark/confidential`, `keyword/<term>`, `regex/<name>` (SARIF `ruleId`).
    pub fn id(&self) -> String {
        match self {
            RuleRef::Mark { level, .. } => format!("mark/{}", level.code()),
            RuleRef::Keyword { term, .. } => format!("keyword/{term}"),
            RuleRef::Regex { name, .. } => format!("regex/{name}"),
        }
    }

    /// The kind as a machine name: `mark`, `keyword`, `regex`.
    pub fn kind(&self) -> &'static str {
        match self {
            RuleRef::Mark { .. } => "mark",
            RuleRef::Keyword { .. } => "keyword",
            RuleRef::Regex { .. } => "regex",
        }
    }

    /// How serious the finding is. State-secret marks are high, `内部` medium; keywords and
    /// regexes carry their own.
    pub fn severity(&self) -> Severity {
        match self {
            RuleRef::Mark { level, .. } if level.is_state_secret() => Severity::High,
            RuleRef::Mark { level, .. } if *level == Level::Internal => Severity::Medium,
            RuleRef::Mark { .. } => Severity::Low,
            RuleRef::Keyword { severity, .. } | RuleRef::Regex { severity, .. } => *severity,
        }
    }

    /// The mark as a person reads it in both languages: `机密★10年 / CONFIDENTIAL//10Y`, or
    /// `机密 / CONFIDENTIAL` for a bare level. `None` for keywords and regexes.
    pub fn mark_text(&self) -> Option<String> {
        match self {
            RuleRef::Mark {
                mark: Some(mark), ..
            } => Some(format!("{} / {}", mark.to_zh(), mark.to_en())),
            RuleRef::Mark { level, mark: None } => Some(format!("{} / {}", level.zh(), level.en())),
            _ => None,
        }
    }

    /// A short label for people: `机密★10年 / CONFIDENTIAL//10Y`, `关键词 X（高，类别）`,
    /// `keyword X (high, category)`, `正则 regex-1（高）`.
    pub fn label(&self, lang: Lang) -> String {
        match self {
            RuleRef::Mark { .. } => self.mark_text().unwrap_or_default(),
            RuleRef::Keyword {
                term,
                severity,
                category,
            } => {
                let sev = severity_text(*severity, lang);
                match (lang, category) {
                    (Lang::Zh, Some(c)) => format!("关键词 {term}（{sev}，{c}）"),
                    (Lang::Zh, None) => format!("关键词 {term}（{sev}）"),
                    (Lang::En, Some(c)) => format!("keyword {term} ({sev}, {c})"),
                    (Lang::En, None) => format!("keyword {term} ({sev})"),
                }
            }
            RuleRef::Regex { name, severity } => {
                let sev = severity_text(*severity, lang);
                match lang {
                    Lang::Zh => format!("正则 {name}（{sev}）"),
                    Lang::En => format!("regex {name} ({sev})"),
                }
            }
        }
    }
}

/// A severity as a person reads it.
pub fn severity_text(severity: Severity, lang: Lang) -> &'static str {
    match severity {
        Severity::High => lang.pick("高", "high"),
        Severity::Medium => lang.pick("中", "medium"),
        Severity::Low => lang.pick("低", "low"),
    }
}

/// A severity as a machine name: `high`, `medium`, `low`.
pub fn severity_code(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// Something that could not be scanned: a whole file (`inner` empty) or a member of one of its
/// containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The scanned file as the walk named it.
    pub path: String,
    /// The container chain to the member that failed, the member last; empty for the file.
    pub inner: Vec<String>,
    /// Why, in English (the extractors' and the OS's words).
    pub reason: String,
}

/// Why a file was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not a format the sieve reads (binary), so not guessed at.
    UnknownFormat,
    /// Larger than the size limit; not read.
    TooLarge {
        /// Its size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not a regular file (FIFO, socket, device).
    NotRegular,
}

/// How one file was counted (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Extracted and matched.
    Scanned {
        /// Its format.
        format: Format,
    },
    /// Deliberately not read.
    Skipped(SkipReason),
    /// Could not be read or extracted; the reason is the first of the report's failures.
    Failed,
}

/// Everything about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The file as the walk named it, or `<stdin>`.
    pub path: String,
    /// How it was counted.
    pub status: FileStatus,
    /// Bytes read from it (0 when it was not read).
    pub bytes: u64,
    /// Its findings, in document order.
    pub findings: Vec<Finding>,
    /// The file's own failure (if [`FileStatus::Failed`]) first, then failed members.
    pub failures: Vec<Failure>,
    /// Members of its containers skipped because their format is unknown.
    pub skipped_members: u64,
}

/// The totals of a scan (see the module documentation for what each count means).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files counted: `scanned + skipped + failed`.
    pub files: u64,
    /// Files extracted and matched.
    pub scanned: u64,
    /// Files skipped because their format is unknown.
    pub skipped_unknown: u64,
    /// Files skipped because they are larger than the limit.
    pub skipped_too_large: u64,
    /// Files skipped because they are not regular files.
    pub skipped_not_regular: u64,
    /// Files that could not be read or extracted.
    pub failed: u64,
    /// Members of containers that could not be extracted (in scanned or failed files).
    pub nested_failed: u64,
    /// Members of containers skipped because their format is unknown.
    pub skipped_members: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Findings.
    pub findings: u64,
    /// Wall-clock time of the scan.
    pub elapsed: Duration,
}

impl Summary {
    /// All skipped files.
    pub fn skipped(&self) -> u64 {
        self.skipped_unknown + self.skipped_too_large + self.skipped_not_regular
    }

    /// Counts one file.
    pub fn add(&mut self, report: &FileReport) {
        self.files += 1;
        match report.status {
            FileStatus::Scanned { .. } => self.scanned += 1,
            FileStatus::Skipped(SkipReason::UnknownFormat) => self.skipped_unknown += 1,
            FileStatus::Skipped(SkipReason::TooLarge { .. }) => self.skipped_too_large += 1,
            FileStatus::Skipped(SkipReason::NotRegular) => self.skipped_not_regular += 1,
            FileStatus::Failed => self.failed += 1,
        }
        let own = u64::from(report.status == FileStatus::Failed);
        self.nested_failed += (report.failures.len() as u64).saturating_sub(own);
        self.skipped_members += report.skipped_members;
        self.bytes += report.bytes;
        self.findings += report.findings.len() as u64;
    }

    /// The summary as one line for people.
    pub fn describe(&self, lang: Lang) -> String {
        let secs = self.elapsed.as_secs_f64();
        let bytes = human_bytes(self.bytes);
        match lang {
            Lang::Zh => format!(
                "共 {} 个文件：已扫描 {}，跳过 {}（格式未知 {}，过大 {}，非普通文件 {}），失败 {}{}；\
                 读取 {bytes}；发现 {} 处；用时 {secs:.2} 秒",
                self.files,
                self.scanned,
                self.skipped(),
                self.skipped_unknown,
                self.skipped_too_large,
                self.skipped_not_regular,
                self.failed,
                if self.nested_failed > 0 {
                    format!("，内含成员失败 {}", self.nested_failed)
                } else {
                    String::new()
                },
                self.findings,
            ),
            Lang::En => format!(
                "{} files: {} scanned, {} skipped ({} unknown format, {} too large, {} not regular), \
                 {} failed{}; {bytes} read; {} findings; {secs:.2} s",
                self.files,
                self.scanned,
                self.skipped(),
                self.skipped_unknown,
                self.skipped_too_large,
                self.skipped_not_regular,
                self.failed,
                if self.nested_failed > 0 {
                    format!(", {} members failed", self.nested_failed)
                } else {
                    String::new()
                },
                self.findings,
            ),
        }
    }
}

/// `1.2 MiB`, `512 B`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match (unit, UNITS.get(unit)) {
        (0, _) => format!("{bytes} B"),
        (_, Some(u)) => format!("{value:.1} {u}"),
        (_, None) => format!("{bytes} B"),
    }
}

/// Where findings, failures and the summary go. The scanner calls [`Sink::file`] once per
/// file in a deterministic order, then [`Sink::finish`] once. An I/O error (a closed pipe)
/// ends the scan.
pub trait Sink {
    /// Prints one file's findings and failures (skipped files usually print nothing).
    fn file(&mut self, report: &FileReport) -> io::Result<()>;
    /// Prints what comes at the end (the summary; the whole log for SARIF) and flushes.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// Writes a file's failures, one line each, for the sinks whose findings go to stdout and
/// whose messages go to stderr (CSV, counts).
pub fn write_failures(err: &mut impl io::Write, report: &FileReport, lang: Lang) -> io::Result<()> {
    for failure in &report.failures {
        writeln!(
            err,
            "baomi: {}{}: {}",
            lang.pick("无法扫描 ", "cannot scan "),
            location_text(&failure.path, &failure.inner),
            failure.reason
        )?;
    }
    Ok(())
}

/// The container chain as people read it: `a.zip » b.docx`.
pub fn inner_text(inner: &[String]) -> String {
    inner.join(" » ")
}

/// `path` followed by its container chain: `mail.eml » a.zip » b.docx`.
pub fn location_text(path: &str, inner: &[String]) -> String {
    if inner.is_empty() {
        path.to_owned()
    } else {
        format!("{path} » {}", inner_text(inner))
    }
}

/// `context.text` split into before / hit / after, by the character offsets of the context.
pub fn split_context(context: &Context) -> (&str, &str, &str) {
    let text = context.text.as_str();
    let byte_at = |chars: usize| {
        text.char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| i)
    };
    let start = byte_at(context.start);
    let end = byte_at(context.end).max(start);
    (
        text.get(..start).unwrap_or_default(),
        text.get(start..end).unwrap_or_default(),
        text.get(end..).unwrap_or_default(),
    )
}
