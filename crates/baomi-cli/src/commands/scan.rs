//! `baomi scan` (DOMAIN R13.5, R4.3, R8): find classification marks and sensitive keywords in
//! files, folders, archives and standard input.
//!
//! Exit codes, for scripts and CI:
//!
//! * 0 — everything was scanned and nothing was found;
//! * 1 — something was found (whatever else happened; failures are still reported);
//! * 2 — an error: bad arguments, an unreadable or invalid keyword list, an invalid regex or
//!   glob (one line on stderr, nothing on stdout) — or nothing was found but some files (or
//!   members of archives) could not be scanned, because "0" must mean "all checked and clean".
//!
//! Files skipped on purpose (unknown binary formats, over `--max-filesize`) do not change the
//! exit code; they are counted in the summary. A closed stdout (`baomi scan | head`) ends the
//! scan quietly.

use super::CliError;
use baomi_core::Lang;
use baomi_scan::limits::Limits;
use baomi_scan::matcher::{
    parse_keyword_list, MatchOptions, Matcher, MatcherConfig, RegexRule, Rules, Severity,
};
use baomi_scan::report::count::CountSink;
use baomi_scan::report::csv::CsvSink;
use baomi_scan::report::json::JsonSink;
use baomi_scan::report::sarif::SarifSink;
use baomi_scan::report::text::TextSink;
use baomi_scan::report::{human_bytes, FileReport, Sink};
use baomi_scan::scanner::{scan_with_progress, ScanError, ScanOptions};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, LineWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to scan (default: the current folder); `-` reads standard input.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// A keyword list: UTF-8, one term per line, optionally `term<TAB>severity<TAB>category`
    /// (severity high, medium or low). Repeatable.
    #[arg(long = "keywords", value_name = "FILE")]
    keywords: Vec<PathBuf>,
    /// A regular expression to report (Rust regex syntax), named regex-1, regex-2, … in
    /// reports. Repeatable.
    #[arg(long = "regex", value_name = "PATTERN")]
    regexes: Vec<String>,
    /// Do not look for classification marks (绝密★…, 机密★…, 秘密★…, 内部, TOP SECRET//…).
    #[arg(long)]
    no_marks: bool,
    /// Match the text exactly as written: no NFKC, no full-width folding, no removal of spaces
    /// inside words.
    #[arg(long)]
    no_normalize: bool,
    /// Also match traditional Chinese against simplified terms (繁→简).
    #[arg(long)]
    traditional: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Skip (and count) files larger than this: bytes, or with K, M, G, T (binary units).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_filesize: Option<u64>,
    /// Worker threads (default: one per CPU).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// Only scan files matching this glob (`*.docx`, `reports/**`). Repeatable.
    #[arg(long = "glob", short = 'g', value_name = "GLOB")]
    globs: Vec<String>,
    /// Do not scan files or folders matching this glob. Repeatable; wins over --glob.
    #[arg(long = "exclude", value_name = "GLOB")]
    excludes: Vec<String>,
    /// Also scan hidden files and folders.
    #[arg(long, short = '.')]
    hidden: bool,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long, short = 'L')]
    follow: bool,
    /// How deep archives may nest inside a file (a .zip in a .docx in a .eml is 3). Not a
    /// folder depth: folders are always walked whole.
    #[arg(long, value_name = "N")]
    max_depth: Option<u32>,
    /// Print nothing; only the exit code tells.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// For people: path:line:column, part, rule, context.
    Text,
    /// JSON lines: findings, failures, then a summary object.
    Json,
    /// CSV with a header row.
    Csv,
    /// SARIF 2.1.0.
    Sarif,
    /// `path:N` per file with findings, like `rg --count-matches`.
    Count,
}

/// Parses `1048576`, `512K`, `10M`, `1G`, `1.5G`, `10MB`, `10MiB` (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("expected a size such as 10M or 1G, not {s:?}")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("expected a size such as 10M or 1G, not {s:?}"))?;
    let bytes = value * (1u64 << shift) as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("size out of range: {s:?}"));
    }
    Ok(bytes as u64)
}

pub fn run(args: ScanArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let matcher = build_matcher(&args, lang)?;
    let mut limits = Limits::default();
    if let Some(size) = args.max_filesize {
        limits.max_file_size = size;
        // A plain-text file of that size yields as much text; let it.
        limits.max_text_bytes = limits.max_text_bytes.max(size);
    }
    if let Some(depth) = args.max_depth {
        limits.max_depth = depth;
    }
    let opts = ScanOptions {
        paths: if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        },
        threads: args.threads.unwrap_or(0),
        limits,
        include: args.globs.clone(),
        exclude: args.excludes.clone(),
        hidden: args.hidden,
        follow_links: args.follow,
    };

    quiet_worker_panics();
    let stdout_tty = io::stdout().is_terminal();
    let progress = if !args.quiet && io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    let out: Box<dyn Write> = if args.quiet {
        Box::new(io::sink())
    } else if stdout_tty {
        Box::new(LineWriter::new(Suspend::new(
            io::stdout(),
            progress.clone(),
        )))
    } else {
        Box::new(io::BufWriter::with_capacity(
            256 * 1024,
            Suspend::new(io::stdout(), None),
        ))
    };
    let err: Box<dyn Write> = if args.quiet {
        Box::new(io::sink())
    } else {
        Box::new(LineWriter::new(Suspend::new(
            io::stderr(),
            progress.clone(),
        )))
    };
    let color = stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let summary_lines = !args.quiet;
    let mut sink: Box<dyn Sink> = match args.format {
        OutputFormat::Text => Box::new(TextSink::new(out, err, lang, color, summary_lines)),
        OutputFormat::Json => Box::new(JsonSink::new(out)),
        OutputFormat::Csv => Box::new(CsvSink::new(out, err, lang, summary_lines)),
        OutputFormat::Sarif => Box::new(SarifSink::new(out, lang)),
        OutputFormat::Count => Box::new(CountSink::new(out, err, lang, summary_lines)),
    };

    let (mut files, mut bytes, mut found) = (0u64, 0u64, 0u64);
    let mut on_file = |report: &FileReport| {
        files += 1;
        bytes += report.bytes;
        found += report.findings.len() as u64;
        if let Some(bar) = &progress {
            bar.set_message(match lang {
                Lang::Zh => format!("{files} 个文件，{}，发现 {found} 处", human_bytes(bytes)),
                Lang::En => format!("{files} files, {}, {found} findings", human_bytes(bytes)),
            });
        }
    };
    let result = scan_with_progress(&opts, &matcher, sink.as_mut(), &mut on_file);
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let summary = match result {
        Ok(summary) => summary,
        Err(ScanError::Output(e)) => return Err(CliError::output(e)),
        Err(e @ ScanError::Glob { .. }) => {
            return Err(CliError::new(match lang {
                Lang::Zh => format!("通配符无效：{e}"),
                Lang::En => e.to_string(),
            }))
        }
    };
    // SARIF and JSON keep stdout to one document; their summary is inside. For text and CSV
    // the sink printed it on stderr.
    if args.format == OutputFormat::Sarif && !args.quiet {
        eprintln!("{}", summary.describe(lang));
    }
    Ok(if summary.findings > 0 {
        ExitCode::from(1)
    } else if summary.failed > 0 || summary.nested_failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The rules from the arguments; an unreadable list or an invalid rule is an error (exit 2).
fn build_matcher(args: &ScanArgs, lang: Lang) -> Result<Matcher, CliError> {
    let mut keywords = Vec::new();
    for path in &args.keywords {
        let bytes = std::fs::read(path).map_err(|e| {
            CliError::new(match lang {
                Lang::Zh => format!("无法读取关键词表 {}：{e}", path.display()),
                Lang::En => format!("cannot read keyword list {}: {e}", path.display()),
            })
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            CliError::new(match lang {
                Lang::Zh => format!("关键词表 {} 不是 UTF-8 文本", path.display()),
                Lang::En => format!("keyword list {} is not UTF-8 text", path.display()),
            })
        })?;
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        let list = parse_keyword_list(text)
            .map_err(|e| CliError::new(format!("{}: {e}", path.display())))?;
        keywords.extend(list);
    }
    let regexes = args
        .regexes
        .iter()
        .enumerate()
        .map(|(i, pattern)| RegexRule {
            name: format!("regex-{}", i + 1),
            pattern: pattern.clone(),
            severity: Severity::High,
        })
        .collect();
    let rules = Rules {
        marks: !args.no_marks,
        keywords,
        regexes,
    };
    let options = MatchOptions {
        normalize: !args.no_normalize,
        traditional_to_simplified: args.traditional,
    };
    // Files are scanned by several workers already; within one large text the matcher splits
    // the work again over the same number of threads (0 = one per core).
    let config = MatcherConfig {
        threads: args.threads.unwrap_or(0),
        ..MatcherConfig::default()
    };
    Matcher::with_config(rules, options, config).map_err(|e| CliError::new(e.to_string()))
}

/// Panics inside extractors are caught and reported as failures of their file; the default
/// hook would also print a backtrace note in the middle of the report. Worker threads stay
/// quiet; the main thread keeps the default behaviour.
fn quiet_worker_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            default(info);
        }
    }));
}

/// A writer that hides the progress bar while it writes, so that lines and bar never mix.
struct Suspend<W: Write> {
    inner: W,
    bar: Option<ProgressBar>,
}

impl<W: Write> Suspend<W> {
    fn new(inner: W, bar: Option<ProgressBar>) -> Self {
        Suspend { inner, bar }
    }
}

impl<W: Write> Write for Suspend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.inner.write(buf)),
            None => self.inner.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &self.bar {
            Some(bar) => bar.suspend(|| self.inner.write_all(buf)),
            None => self.inner.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
