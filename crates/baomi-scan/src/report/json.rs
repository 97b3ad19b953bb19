//! JSON lines: one object per line, so that a consumer can stream them and `jq` can filter.
//!
//! ```text
//! {"type":"finding","path":"a.txt","inner":[],"part":{"kind":"body"},"line":3,"column":5,
//!  "end_column":11,"match":"机密★10年","context":{"text":"…","start":4,"end":10},
//!  "rule":{"kind":"mark","id":"mark/confidential","severity":"high","level":"confidential",
//!          "mark":{"level":"confidential","term":{"kind":"years","years":10},
//!                  "zh":"机密★10年","en":"CONFIDENTIAL//10Y"}}}
//! {"type":"failure","path":"b.zip","inner":["x.docx"],"reason":"…"}
//! {"type":"summary","files":2,"scanned":2,…,"elapsed_ms":12}
//! ```
//!
//! Columns and the context's `start`/`end` count characters (Unicode scalar values). The
//! output is language-independent; the summary is always the last line.

use super::{severity_code, FileReport, Finding, RuleRef, Sink, Summary};
use serde_json::{json, Value};
use std::io::{self, Write};

/// Prints JSON lines to one writer.
#[derive(Debug)]
pub struct JsonSink<W: Write> {
    out: W,
}

impl<W: Write> JsonSink<W> {
    /// Everything to `out`.
    pub fn new(out: W) -> Self {
        JsonSink { out }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// The rule of a finding as JSON.
pub fn rule_json(rule: &RuleRef) -> Value {
    let mut v = json!({
        "kind": rule.kind(),
        "id": rule.id(),
        "severity": severity_code(rule.severity()),
    });
    let extra = match rule {
        RuleRef::Mark { level, mark } => json!({
            "level": level.code(),
            "mark": mark.as_ref().map(|m| json!({
                "level": m.level().code(),
                "term": serde_json::to_value(m.term()).unwrap_or(Value::Null),
                "zh": m.to_zh(),
                "en": m.to_en(),
            })),
        }),
        RuleRef::Keyword { term, category, .. } => json!({
            "term": term,
            "category": category,
        }),
        RuleRef::Regex { name, .. } => json!({ "name": name }),
    };
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

/// One finding as a JSON object.
pub fn finding_json(f: &Finding) -> Value {
    json!({
        "type": "finding",
        "path": f.path,
        "inner": f.inner,
        "part": serde_json::to_value(&f.part).unwrap_or(Value::Null),
        "line": f.line,
        "column": f.column,
        "end_column": f.end_column,
        "match": f.matched,
        "context": {
            "text": f.context.text,
            "start": f.context.start,
            "end": f.context.end,
        },
        "rule": rule_json(&f.rule),
    })
}

/// The summary as a JSON object.
pub fn summary_json(s: &Summary) -> Value {
    json!({
        "type": "summary",
        "files": s.files,
        "scanned": s.scanned,
        "skipped": s.skipped(),
        "skipped_unknown": s.skipped_unknown,
        "skipped_too_large": s.skipped_too_large,
        "skipped_not_regular": s.skipped_not_regular,
        "failed": s.failed,
        "nested_failed": s.nested_failed,
        "skipped_members": s.skipped_members,
        "bytes": s.bytes,
        "findings": s.findings,
        "elapsed_ms": u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
    })
}

/// `value` on one line with its `type` member first, so that a line can be told by its start
/// (`grep '^{"type":"finding"'`); the other members follow in serde_json's (sorted) order.
pub fn type_first(value: &Value) -> String {
    let Some(obj) = value.as_object() else {
        return value.to_string();
    };
    let Some(kind) = obj.get("type") else {
        return value.to_string();
    };
    let mut rest = obj.clone();
    rest.remove("type");
    let rest = Value::Object(rest).to_string();
    match rest.strip_prefix('{') {
        Some(tail) if tail != "}" => format!("{{\"type\":{kind},{tail}"),
        _ => format!("{{\"type\":{kind}}}"),
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn file(&mut self, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            writeln!(self.out, "{}", type_first(&finding_json(f)))?;
        }
        for failure in &report.failures {
            let v = json!({
                "type": "failure",
                "path": failure.path,
                "inner": failure.inner,
                "reason": failure.reason,
            });
            writeln!(self.out, "{}", type_first(&v))?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        writeln!(self.out, "{}", type_first(&summary_json(summary)))?;
        self.out.flush()
    }
}
