//! Counts: `path:N` for every file with findings, like `rg --count-matches` — for scripts that
//! want a number per file, and for comparing throughput with ripgrep on equal terms (no
//! context is printed). Failures and the summary go to the second writer (stderr).

use super::{write_failures, FileReport, Sink, Summary};
use baomi_core::Lang;
use std::io::{self, Write};

/// Prints one count line per file with findings.
#[derive(Debug)]
pub struct CountSink<W: Write, E: Write> {
    out: W,
    err: E,
    lang: Lang,
    summary: bool,
}

impl<W: Write, E: Write> CountSink<W, E> {
    /// Counts to `out`; failures and (if `summary`) the summary to `err`.
    pub fn new(out: W, err: E, lang: Lang, summary: bool) -> Self {
        CountSink {
            out,
            err,
            lang,
            summary,
        }
    }

    /// The writers back, for tests.
    pub fn into_inner(self) -> (W, E) {
        (self.out, self.err)
    }
}

impl<W: Write, E: Write> Sink for CountSink<W, E> {
    fn file(&mut self, report: &FileReport) -> io::Result<()> {
        if !report.findings.is_empty() {
            writeln!(self.out, "{}:{}", report.path, report.findings.len())?;
        }
        write_failures(&mut self.err, report, self.lang)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.out.flush()?;
        if self.summary {
            writeln!(self.err, "{}", summary.describe(self.lang))?;
        }
        self.err.flush()
    }
}
