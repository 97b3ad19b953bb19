//! CSV: one row per finding under a header row (RFC 4180: fields with a comma, quote or line
//! break are quoted, quotes doubled; rows end with CRLF).
//!
//! ```text
//! path,inner,part,line,column,kind,rule,severity,mark,match,context
//! ```
//!
//! The header is English and stable; `part` and `mark` are in the report's language.
//! Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
//! formula, and the scanned content is untrusted — so such a text cell is prefixed with `'`
//! (the OWASP advice against CSV injection). Failures and the summary go to the second writer
//! (stderr).

use super::{inner_text, severity_code, write_failures, FileReport, Finding, Sink, Summary};
use baomi_core::Lang;
use std::io::{self, Write};

/// The header row.
pub const HEADER: [&str; 11] = [
    "path", "inner", "part", "line", "column", "kind", "rule", "severity", "mark", "match",
    "context",
];

/// Prints findings as CSV.
#[derive(Debug)]
pub struct CsvSink<W: Write, E: Write> {
    out: W,
    err: E,
    lang: Lang,
    summary: bool,
    header_written: bool,
}

impl<W: Write, E: Write> CsvSink<W, E> {
    /// Rows to `out`; failures and (if `summary`) the summary to `err`.
    pub fn new(out: W, err: E, lang: Lang, summary: bool) -> Self {
        CsvSink {
            out,
            err,
            lang,
            summary,
            header_written: false,
        }
    }

    /// Gives the writers back.
    pub fn into_inner(self) -> (W, E) {
        (self.out, self.err)
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            write_row(&mut self.out, HEADER.iter().map(|h| (*h).to_owned()))?;
        }
        Ok(())
    }
}

/// The cells of one finding, in [`HEADER`] order, already guarded against formulas.
pub fn finding_row(f: &Finding, lang: Lang) -> Vec<String> {
    vec![
        guard(&f.path),
        guard(&inner_text(&f.inner)),
        guard(&f.part.describe(lang)),
        f.line.to_string(),
        f.column.to_string(),
        f.rule.kind().to_owned(),
        guard(&f.rule.id()),
        severity_code(f.rule.severity()).to_owned(),
        guard(&f.rule.mark_text().unwrap_or_default()),
        guard(&f.matched),
        guard(&f.context.text),
    ]
}

/// Prefixes a cell that a spreadsheet would run as a formula with `'`.
fn guard(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Quotes a field when it needs it.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn write_row(out: &mut impl Write, cells: impl Iterator<Item = String>) -> io::Result<()> {
    let row: Vec<String> = cells.map(|c| quote(&c)).collect();
    write!(out, "{}\r\n", row.join(","))
}

impl<W: Write, E: Write> Sink for CsvSink<W, E> {
    fn file(&mut self, report: &FileReport) -> io::Result<()> {
        self.header()?;
        for f in &report.findings {
            write_row(&mut self.out, finding_row(f, self.lang).into_iter())?;
        }
        write_failures(&mut self.err, report, self.lang)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        // The header even when nothing was found, so that the output is always a valid table.
        self.header()?;
        self.out.flush()?;
        if self.summary {
            writeln!(self.err, "{}", summary.describe(self.lang))?;
        }
        self.err.flush()
    }
}
