//! Walking folders and reading files, in parallel, into the extract → match → report pipeline.
//!
//! [`scan`] walks the given paths (and stdin for `-`), extracts every file under its own
//! [`Budget`], runs the [`Matcher`] over each text segment, and hands one [`FileReport`] per
//! file to a [`Sink`]. Hostile or broken inputs never end the scan: a symlink loop, an
//! unreadable file, a malformed document, a blown budget, even a panic inside an extractor
//! becomes a counted, reported failure of that one file.
//!
//! # Order
//!
//! Output is deterministic whatever the number of threads: the paths given are taken in the
//! order given, each folder is walked in file-name order (one walker thread, which is rarely
//! the bottleneck — the work is extraction and matching), files are extracted and matched by
//! the worker threads in parallel, and their reports are put back in walk order before they
//! reach the sink. (A parallel directory walker would be faster on huge trees of tiny files
//! but gives no stable order, and reports that differ from run to run are a poor record for a
//! confidentiality check.) Within a file, findings are in document order: segments in the
//! order the extractor emits them, hits in a segment by position.
//!
//! # What is walked
//!
//! No ignore files are honoured (`.gitignore`, `.ignore`, global excludes): a confidentiality
//! scan must not silently pass over files that a developer chose not to commit. Hidden files
//! and folders are left out unless [`ScanOptions::hidden`]; symbolic links are not followed
//! unless [`ScanOptions::follow_links`] (then loops are detected and each is a failure). Paths
//! named explicitly are always scanned, hidden or not, whatever the globs say.
//!
//! # Large texts
//!
//! A segment is handed to the [`Matcher`] whole. The matcher cuts large texts into
//! line-aligned chunks and searches them on several threads with bounded extra memory (see
//! [`crate::matcher`]), so one huge file still uses every core; the scanner only turns the hits
//! into findings, counting lines and characters forward from hit to hit.

use crate::extract::{self, ExtractCtx, Format, Location};
use crate::limits::{Budget, Limits};
use crate::matcher::{Hit, HitKind, Matcher};
use crate::report::{
    Context, Failure, FileReport, FileStatus, Finding, RuleRef, Sink, SkipReason, Summary,
    CONTEXT_CHARS,
};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Instant;

/// The display name of standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// The longest matched text a finding carries; a regex that matches a whole minified file does
/// not copy it into every report.
pub const MAX_MATCHED_BYTES: usize = 4096;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and folders to scan, in order; `-` is standard input (read once, as one file named
    /// `<stdin>`).
    pub paths: Vec<PathBuf>,
    /// Worker threads; 0 uses the machine's available parallelism.
    pub threads: usize,
    /// Budget limits for each file, including [`Limits::max_file_size`].
    pub limits: Limits,
    /// Globs of files to include (gitignore syntax, `*.docx`, `reports/**`). When any is given,
    /// only files matching one are scanned. Folders are always descended into.
    pub include: Vec<String>,
    /// Globs of files and folders to exclude; they win over includes.
    pub exclude: Vec<String>,
    /// Also scan hidden files and folders (names starting with `.`).
    pub hidden: bool,
    /// Follow symbolic links (loops are detected and reported as failures).
    pub follow_links: bool,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            paths: vec![PathBuf::from(".")],
            threads: 0,
            limits: Limits::default(),
            include: Vec::new(),
            exclude: Vec::new(),
            hidden: false,
            follow_links: false,
        }
    }
}

/// Why a scan could not run or had to stop. Failures of single files are not errors; they are
/// in the reports.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// An include or exclude glob that does not parse.
    #[error("invalid glob {glob:?}: {reason}")]
    Glob {
        /// The glob as given.
        glob: String,
        /// What is wrong.
        reason: String,
    },
    /// The sink could not write (for example a closed pipe); the scan stopped.
    #[error("cannot write the report: {0}")]
    Output(#[from] io::Error),
}

/// One unit of work, in walk order.
#[derive(Debug)]
enum Job {
    File { path: PathBuf, display: String },
    Stdin,
    NotRegular { display: String },
    WalkError { display: String, reason: String },
}

/// Scans everything `opts` names with `matcher`, giving each file's report to `sink` in a
/// deterministic order, then the summary to [`Sink::finish`]. Returns the summary.
pub fn scan(
    opts: &ScanOptions,
    matcher: &Matcher,
    sink: &mut dyn Sink,
) -> Result<Summary, ScanError> {
    scan_with_progress(opts, matcher, sink, &mut |_| {})
}

/// [`scan`], calling `progress` with each report just before it goes to the sink (for a
/// progress bar).
pub fn scan_with_progress(
    opts: &ScanOptions,
    matcher: &Matcher,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(&FileReport),
) -> Result<Summary, ScanError> {
    let started = Instant::now();
    let overrides = build_overrides(opts)?;
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        opts.threads
    };
    let mut summary = Summary::default();
    let cancel = AtomicBool::new(false);
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Job)>(threads * 4);
    let job_rx = Mutex::new(job_rx);
    let (result_tx, result_rx) = mpsc::channel::<(usize, FileReport)>();
    let mut output_error = None;

    std::thread::scope(|s| {
        let cancel = &cancel;
        let overrides = &overrides;
        s.spawn(move || walk(opts, overrides, cancel, &job_tx));
        for _ in 0..threads {
            let result_tx = result_tx.clone();
            let job_rx = &job_rx;
            s.spawn(move || loop {
                let next = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((index, job)) = next else { return };
                if cancel.load(Ordering::Relaxed) {
                    // Keep draining so that the walker is never blocked on a full channel.
                    continue;
                }
                let report = run_job(job, opts, matcher);
                if result_tx.send((index, report)).is_err() {
                    return;
                }
            });
        }
        drop(result_tx);

        let mut next = 0usize;
        let mut pending: BTreeMap<usize, FileReport> = BTreeMap::new();
        'results: for (index, report) in result_rx.iter() {
            pending.insert(index, report);
            while let Some(report) = pending.remove(&next) {
                next += 1;
                summary.add(&report);
                progress(&report);
                if let Err(e) = sink.file(&report) {
                    output_error = Some(e);
                    cancel.store(true, Ordering::Relaxed);
                    break 'results;
                }
            }
        }
    });

    if let Some(e) = output_error {
        return Err(ScanError::Output(e));
    }
    summary.elapsed = started.elapsed();
    sink.finish(&summary)?;
    Ok(summary)
}

/// Compiles the include and exclude globs relative to the current directory (as ripgrep does).
fn build_overrides(opts: &ScanOptions) -> Result<ignore::overrides::Override, ScanError> {
    let root = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut builder = ignore::overrides::OverrideBuilder::new(root);
    let glob_error = |glob: &str, e: ignore::Error| ScanError::Glob {
        glob: glob.to_owned(),
        reason: e.to_string(),
    };
    for glob in &opts.include {
        builder.add(glob).map_err(|e| glob_error(glob, e))?;
    }
    for glob in &opts.exclude {
        let negated = format!("!{glob}");
        builder.add(&negated).map_err(|e| glob_error(glob, e))?;
    }
    builder.build().map_err(|e| ScanError::Glob {
        glob: opts
            .include
            .iter()
            .chain(&opts.exclude)
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        reason: e.to_string(),
    })
}

/// The walker thread: turns the paths into jobs, in order.
fn walk(
    opts: &ScanOptions,
    overrides: &ignore::overrides::Override,
    cancel: &AtomicBool,
    jobs: &mpsc::SyncSender<(usize, Job)>,
) {
    let mut index = 0usize;
    let mut send = |job: Job| -> bool {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        let ok = jobs.send((index, job)).is_ok();
        index += 1;
        ok
    };
    for root in &opts.paths {
        if root.as_os_str() == "-" {
            if !send(Job::Stdin) {
                return;
            }
            continue;
        }
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .standard_filters(false)
            .hidden(!opts.hidden)
            .follow_links(opts.follow_links)
            .overrides(overrides.clone())
            .sort_by_file_name(|a, b| a.cmp(b));
        for entry in builder.build() {
            let job = match entry {
                Ok(entry) => {
                    let display = display_path(entry.path());
                    match entry.file_type() {
                        Some(t) if t.is_file() => Job::File {
                            path: entry.into_path(),
                            display,
                        },
                        Some(t) if t.is_dir() || t.is_symlink() => continue,
                        // A FIFO, socket or device: reading could block or never end.
                        Some(_) => Job::NotRegular { display },
                        None => continue,
                    }
                }
                Err(e) => Job::WalkError {
                    display: error_path(&e)
                        .map_or_else(|| display_path(root), |p| display_path(&p)),
                    reason: error_reason(&e),
                },
            };
            if !send(job) {
                return;
            }
        }
    }
}

/// A path as reports show it: lossy UTF-8, without a leading `./`.
fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    match text.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => text.into_owned(),
    }
}

/// The path a walk error is about.
fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}

/// A walk error's reason without the path (which the report shows separately).
fn error_reason(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_reason(err),
        ignore::Error::Loop { ancestor, .. } => format!(
            "symbolic link loop: points to its ancestor {}",
            display_path(ancestor)
        ),
        other => other.to_string(),
    }
}

fn run_job(job: Job, opts: &ScanOptions, matcher: &Matcher) -> FileReport {
    match job {
        Job::File { path, display } => scan_path(&path, display, opts, matcher),
        Job::Stdin => match read_bounded(io::stdin().lock(), opts.limits.max_file_size) {
            Ok(Ok(bytes)) => scan_bytes(STDIN_NAME, STDIN_NAME, &bytes, &opts.limits, matcher),
            Ok(Err(size)) => skipped(STDIN_NAME.to_owned(), too_large(size, &opts.limits)),
            Err(e) => failed(STDIN_NAME.to_owned(), e.to_string()),
        },
        Job::NotRegular { display } => skipped(display, SkipReason::NotRegular),
        Job::WalkError { display, reason } => failed(display, reason),
    }
}

fn too_large(size: u64, limits: &Limits) -> SkipReason {
    SkipReason::TooLarge {
        size,
        limit: limits.max_file_size,
    }
}

fn skipped(path: String, reason: SkipReason) -> FileReport {
    FileReport {
        path,
        status: FileStatus::Skipped(reason),
        bytes: 0,
        findings: Vec::new(),
        failures: Vec::new(),
        skipped_members: 0,
    }
}

fn failed(path: String, reason: String) -> FileReport {
    FileReport {
        failures: vec![Failure {
            path: path.clone(),
            inner: Vec::new(),
            reason,
        }],
        path,
        status: FileStatus::Failed,
        bytes: 0,
        findings: Vec::new(),
        skipped_members: 0,
    }
}

/// Reads at most `limit` bytes; `Ok(Err(size))` when there is more (the size read so far, at
/// least `limit + 1`).
fn read_bounded(reader: impl Read, limit: u64) -> io::Result<Result<Vec<u8>, u64>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Err(bytes.len() as u64));
    }
    Ok(Ok(bytes))
}

/// Scans one file on disk.
fn scan_path(path: &Path, display: String, opts: &ScanOptions, matcher: &Matcher) -> FileReport {
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return failed(display, e.to_string()),
    };
    if !metadata.is_file() {
        return skipped(display, SkipReason::NotRegular);
    }
    if metadata.len() > opts.limits.max_file_size {
        return skipped(display, too_large(metadata.len(), &opts.limits));
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return failed(display, e.to_string()),
    };
    // Bounded even if the file grows between the size check and the read.
    let bytes = match read_bounded(file, opts.limits.max_file_size) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(size)) => return skipped(display, too_large(size, &opts.limits)),
        Err(e) => return failed(display, e.to_string()),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| display.clone());
    scan_bytes(&display, &name, &bytes, &opts.limits, matcher)
}

/// Scans content already in memory: `path` is what reports show, `name` the file name whose
/// extension helps detection (`report.docx`). Used for every file and for stdin, and by callers
/// that receive content rather than paths (the service's pre-publication review). Never panics:
/// a panic inside an extractor or the matcher becomes a failure of this file.
pub fn scan_bytes(
    path: &str,
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    matcher: &Matcher,
) -> FileReport {
    let mut report = FileReport {
        path: path.to_owned(),
        status: FileStatus::Failed,
        bytes: bytes.len() as u64,
        findings: Vec::new(),
        failures: Vec::new(),
        skipped_members: 0,
    };
    let mut findings = Vec::new();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let format = extract::detect(name, bytes);
        if format == Format::Unknown {
            return None;
        }
        let mut budget = Budget::start(limits);
        let mut hits = Vec::new();
        let mut emit = |location: &Location, text: &str| {
            hits.clear();
            matcher.find(text, &mut hits);
            locate_hits(matcher, path, location, text, &hits, &mut findings);
        };
        let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
        let result = match format {
            // Plain text is the bulk of a large scan, and its detection validates every byte:
            // go straight to the text extractor instead of detecting a second time.
            Format::Text => extract::text::extract(bytes, &mut ctx),
            _ => extract::extract(name, bytes, &mut ctx),
        };
        let nested = ctx.nested_failures().to_vec();
        let skipped_members = ctx.skipped_members();
        Some((format, result, nested, skipped_members))
    }));
    report.findings = findings;
    match outcome {
        Ok(None) => report.status = FileStatus::Skipped(SkipReason::UnknownFormat),
        Ok(Some((format, result, nested, skipped_members))) => {
            report.skipped_members = skipped_members;
            match result {
                Ok(()) => report.status = FileStatus::Scanned { format },
                Err(e) => report.failures.push(Failure {
                    path: path.to_owned(),
                    inner: Vec::new(),
                    reason: e.to_string(),
                }),
            }
            report.failures.extend(nested.into_iter().map(|n| Failure {
                path: path.to_owned(),
                inner: n.inner,
                reason: n.reason,
            }));
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            report.failures.push(Failure {
                path: path.to_owned(),
                inner: Vec::new(),
                reason: format!("internal error (caught panic): {what}"),
            });
        }
    }
    report
}

/// Characters in `bytes` (valid UTF-8): bytes that are not continuation bytes.
fn char_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64
}

/// Turns the hits of one segment into findings: line and column by counting line breaks and
/// characters forward from hit to hit (linear in the segment, however many hits).
fn locate_hits(
    matcher: &Matcher,
    path: &str,
    location: &Location,
    text: &str,
    hits: &[Hit],
    findings: &mut Vec<Finding>,
) {
    let b = text.as_bytes();
    let mut pos = 0usize; // everything before pos has been counted
    let mut line = 1u64;
    let mut line_start = 0usize;
    let mut column_at_pos = 0u64; // characters from line_start to pos
    for hit in hits {
        let start = hit.start.min(b.len());
        let end = hit.end.clamp(start, b.len());
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        let Some(rule) = rule_ref(matcher, &hit.kind) else {
            continue;
        };
        if start >= pos {
            let gap = b.get(pos..start).unwrap_or_default();
            match memchr::memrchr(b'\n', gap) {
                Some(last) => {
                    line += memchr::memchr_iter(b'\n', gap).count() as u64;
                    line_start = pos + last + 1;
                    column_at_pos = char_count(b.get(line_start..start).unwrap_or_default());
                }
                None => column_at_pos += char_count(gap),
            }
            pos = start;
        }
        // Overlapping hits (start < pos) cannot happen with sorted starts, but stay safe.
        let column = column_at_pos + 1;
        let first_line_end =
            memchr::memchr(b'\n', b.get(start..end).unwrap_or_default()).map_or(end, |i| start + i);
        let end_column = column + char_count(b.get(start..first_line_end).unwrap_or_default());
        let mut matched_end = end.min(start + MAX_MATCHED_BYTES);
        while !text.is_char_boundary(matched_end) {
            matched_end -= 1;
        }
        findings.push(Finding {
            path: path.to_owned(),
            inner: location.inner.clone(),
            part: location.part.clone(),
            line,
            column,
            end_column,
            matched: text.get(start..matched_end).unwrap_or_default().to_owned(),
            context: context(text, line_start, start, first_line_end),
            rule,
        });
    }
}

/// The line around `start..end` (which lies within one line starting at `line_start`):
/// about half of [`CONTEXT_CHARS`] on each side, trimmed of surrounding whitespace.
fn context(text: &str, line_start: usize, start: usize, end: usize) -> Context {
    let side = CONTEXT_CHARS / 2;
    let before_all = text.get(line_start..start).unwrap_or_default();
    let before_from = before_all
        .char_indices()
        .rev()
        .take(side)
        .last()
        .map_or(before_all.len(), |(i, _)| i);
    let before = before_all
        .get(before_from..)
        .unwrap_or_default()
        .trim_start();
    let hit_full = text.get(start..end).unwrap_or_default();
    let hit_cut = hit_full
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(hit_full.len(), |(i, _)| i);
    let hit = hit_full.get(..hit_cut).unwrap_or_default();
    let after_all = text.get(end..).unwrap_or_default();
    let after_len = after_all
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .take(side)
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    let after = after_all.get(..after_len).unwrap_or_default().trim_end();
    let before_chars = before.chars().count();
    Context {
        text: format!("{before}{hit}{after}"),
        start: before_chars,
        end: before_chars + hit.chars().count(),
    }
}

/// The report's view of a hit's rule; `None` for an index the rules do not have.
fn rule_ref(matcher: &Matcher, kind: &HitKind) -> Option<RuleRef> {
    let rules = matcher.rules();
    Some(match kind {
        HitKind::Mark { level, mark } => RuleRef::Mark {
            level: *level,
            mark: mark.clone(),
        },
        HitKind::Keyword { index } => {
            let k = rules.keywords.get(*index)?;
            RuleRef::Keyword {
                term: k.term.clone(),
                severity: k.severity,
                category: k.category.clone(),
            }
        }
        HitKind::Regex { index } => {
            let r = rules.regexes.get(*index)?;
            RuleRef::Regex {
                name: r.name.clone(),
                severity: r.severity,
            }
        }
    })
}
