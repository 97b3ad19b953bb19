//! The human-readable report: one line per finding,
//!
//! ```text
//! docs/plan.docx:1:1: 页眉 header1.xml: [机密★10年 / CONFIDENTIAL//10Y] 机密★10年
//! notes.txt:12:7: [关键词 某某工程（高）] 关于某某工程的进度
//! ```
//!
//! `path:line:column:` first (so that editors and terminals can jump to it), then the part of
//! the document when it is not the body of a plain file, the rule, and the line around the hit.
//! Failures and the summary go to the second writer (stderr), so that the findings on stdout can
//! be piped on their own.

use super::{location_text, split_context, FileReport, Finding, Sink, Summary};
use crate::extract::Part;
use baomi_core::Lang;
use std::io::{self, Write};

const RESET: &str = "\x1b[0m";
const PATH: &str = "\x1b[35m";
const NUMBER: &str = "\x1b[32m";
const RULE: &str = "\x1b[1;33m";
const HIT: &str = "\x1b[1;31m";

/// Prints findings for people. Colours (ANSI) only when asked — the CLI asks when stdout is a
/// terminal and `NO_COLOR` is unset.
#[derive(Debug)]
pub struct TextSink<W: Write, E: Write> {
    out: W,
    err: E,
    lang: Lang,
    color: bool,
    summary: bool,
}

impl<W: Write, E: Write> TextSink<W, E> {
    /// Findings to `out`; failures and (if `summary`) the summary to `err`.
    pub fn new(out: W, err: E, lang: Lang, color: bool, summary: bool) -> Self {
        TextSink {
            out,
            err,
            lang,
            color,
            summary,
        }
    }

    /// Gives the writers back.
    pub fn into_inner(self) -> (W, E) {
        (self.out, self.err)
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// One finding as a line (without the newline).
pub fn finding_line(f: &Finding, lang: Lang, color: bool) -> String {
    let sink = TextSink {
        out: io::sink(),
        err: io::sink(),
        lang,
        color,
        summary: false,
    };
    sink.line(f)
}

impl<W: Write, E: Write> TextSink<W, E> {
    fn line(&self, f: &Finding) -> String {
        let mut line = format!(
            "{}:{}:{}: ",
            self.paint(PATH, &location_text(&f.path, &f.inner)),
            self.paint(NUMBER, &f.line.to_string()),
            self.paint(NUMBER, &f.column.to_string()),
        );
        if !(f.part == Part::Body && f.inner.is_empty()) {
            line.push_str(&f.part.describe(self.lang));
            line.push_str(": ");
        }
        line.push_str(&self.paint(RULE, &format!("[{}]", f.rule.label(self.lang))));
        line.push(' ');
        let (before, hit, after) = split_context(&f.context);
        line.push_str(before);
        line.push_str(&self.paint(HIT, hit));
        line.push_str(after);
        line
    }
}

impl<W: Write, E: Write> Sink for TextSink<W, E> {
    fn file(&mut self, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let line = self.line(f);
            writeln!(self.out, "{line}")?;
        }
        if !report.failures.is_empty() {
            // Findings first, so that the two streams interleave in a readable order.
            self.out.flush()?;
        }
        for failure in &report.failures {
            writeln!(
                self.err,
                "baomi: {}{}: {}",
                self.lang.pick("无法扫描 ", "cannot scan "),
                location_text(&failure.path, &failure.inner),
                failure.reason
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.out.flush()?;
        if self.summary {
            writeln!(self.err, "{}", summary.describe(self.lang))?;
        }
        self.err.flush()
    }
}
