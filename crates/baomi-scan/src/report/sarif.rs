//! SARIF 2.1.0: one log for code-scanning dashboards and review tools.
//!
//! One run whose driver is `baomi scan`; one reporting descriptor per rule that produced a
//! finding (`mark/confidential`, `keyword/<term>`, `regex/<name>`, sorted by id); one result
//! per finding with its `physicalLocation` (the scanned file, and the line and columns of the
//! hit in the text of its part). Columns count Unicode code points
//! (`columnKind: unicodeCodePoints`). The part and the container chain, which SARIF has no
//! place for, are in the result's `properties` (`part`, `inner`). Failures become
//! `toolExecutionNotifications` of the invocation, and the summary its `properties`. The log is
//! written whole at the end.

use super::json::summary_json;
use super::{severity_code, FileReport, Finding, RuleRef, Sink, Summary};
use crate::matcher::Severity;
use baomi_core::Lang;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The schema the log declares.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Collects results and writes the SARIF log at the end.
#[derive(Debug)]
pub struct SarifSink<W: Write> {
    out: W,
    lang: Lang,
    rules: BTreeMap<String, RuleRef>,
    results: Vec<(String, Value)>,
    notifications: Vec<Value>,
}

impl<W: Write> SarifSink<W> {
    /// The log goes to `out`; messages are in `lang`.
    pub fn new(out: W, lang: Lang) -> Self {
        SarifSink {
            out,
            lang,
            rules: BTreeMap::new(),
            results: Vec::new(),
            notifications: Vec::new(),
        }
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// The whole log for `summary` and what was collected.
    pub fn log(&self, summary: &Summary) -> Value {
        let index: BTreeMap<&str, usize> = self
            .rules
            .keys()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|(id, rule)| rule_descriptor(id, rule, self.lang))
            .collect();
        let results: Vec<Value> = self
            .results
            .iter()
            .map(|(id, result)| {
                let mut result = result.clone();
                if let (Some(obj), Some(i)) = (result.as_object_mut(), index.get(id.as_str())) {
                    obj.insert("ruleIndex".into(), json!(i));
                }
                result
            })
            .collect();
        let mut summary_props = summary_json(summary);
        if let Some(obj) = summary_props.as_object_mut() {
            obj.remove("type");
        }
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "baomi scan",
                        "version": env!("CARGO_PKG_VERSION"),
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "invocations": [{
                    "executionSuccessful": true,
                    "toolExecutionNotifications": self.notifications,
                    "properties": summary_props,
                }],
                "results": results,
            }]
        })
    }
}

/// SARIF's level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn rule_descriptor(id: &str, rule: &RuleRef, lang: Lang) -> Value {
    // A mark rule stands for its level, not for the first mark that happened to match it.
    let rule = match rule {
        RuleRef::Mark { level, .. } => RuleRef::Mark {
            level: *level,
            mark: None,
        },
        other => other.clone(),
    };
    json!({
        "id": id,
        "name": rule.kind(),
        "shortDescription": { "text": rule.label(lang) },
        "defaultConfiguration": { "level": level(rule.severity()) },
        "properties": { "severity": severity_code(rule.severity()) },
    })
}

/// A path as a SARIF `uri`: relative paths stay relative, absolute ones become `file://`
/// URIs; everything but unreserved characters and `/` is percent-encoded.
pub fn path_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn result_json(f: &Finding, lang: Lang) -> Value {
    let where_ = f.part.describe(lang);
    let message = match lang {
        Lang::Zh => format!("{}：在{}中发现“{}”", f.rule.label(lang), where_, f.matched),
        Lang::En => format!(
            "{}: found \"{}\" in {}",
            f.rule.label(lang),
            f.matched,
            where_
        ),
    };
    json!({
        "ruleId": f.rule.id(),
        "level": level(f.rule.severity()),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": path_uri(&f.path) },
                "region": {
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endColumn": f.end_column,
                    "snippet": { "text": f.matched },
                },
                "contextRegion": {
                    "startLine": f.line,
                    "snippet": { "text": f.context.text },
                },
            }
        }],
        "properties": {
            "path": f.path,
            "inner": f.inner,
            "part": serde_json::to_value(&f.part).unwrap_or(Value::Null),
            "rule": super::json::rule_json(&f.rule),
        },
    })
}

impl<W: Write> Sink for SarifSink<W> {
    fn file(&mut self, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let id = f.rule.id();
            self.rules
                .entry(id.clone())
                .or_insert_with(|| f.rule.clone());
            self.results.push((id, result_json(f, self.lang)));
        }
        for failure in &report.failures {
            self.notifications.push(json!({
                "level": "error",
                "message": { "text": failure.reason },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": path_uri(&failure.path) },
                    }
                }],
                "properties": { "path": failure.path, "inner": failure.inner },
            }));
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let log = self.log(summary);
        writeln!(self.out, "{log}")?;
        self.out.flush()
    }
}
