//! The report formats as their consumers read them: people (text), scripts (JSON lines),
//! spreadsheets (CSV) and code-scanning tools (SARIF 2.1.0) (DOMAIN R13.5: "reports what it
//! found and where").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::Lang;
use baomi_scan::limits::Limits;
use baomi_scan::matcher::{parse_keyword_list, MatchOptions, Matcher, RegexRule, Rules, Severity};
use baomi_scan::report::csv::{CsvSink, HEADER};
use baomi_scan::report::json::JsonSink;
use baomi_scan::report::sarif::SarifSink;
use baomi_scan::report::text::TextSink;
use baomi_scan::report::{Failure, FileReport, FileStatus, Sink, Summary};
use baomi_scan::scanner::scan_bytes;
use serde_json::{json, Value};
use std::time::Duration;

fn matcher() -> Matcher {
    Matcher::new(
        Rules {
            marks: true,
            keywords: parse_keyword_list("某某工程\tmedium\t工程代号\n=cmd\tlow\n").unwrap(),
            regexes: vec![RegexRule {
                name: "regex-1".into(),
                pattern: r"HT-\d{4}".into(),
                severity: Severity::High,
            }],
        },
        MatchOptions::default(),
    )
    .unwrap()
}

const TEXT: &str = "通知\n本文件 机密★10年，涉及某某工程, \"合同\" HT-2024。\n=cmd here\n";

/// Two reports: a text file with three kinds of findings, and a failed file.
fn reports() -> (Vec<FileReport>, Summary) {
    let m = matcher();
    let a = scan_bytes(
        "docs/a.txt",
        "a.txt",
        TEXT.as_bytes(),
        &Limits::default(),
        &m,
    );
    assert!(matches!(a.status, FileStatus::Scanned { .. }));
    let b = FileReport {
        path: "docs/b.pdf".into(),
        status: FileStatus::Failed,
        bytes: 10,
        findings: Vec::new(),
        failures: vec![Failure {
            path: "docs/b.pdf".into(),
            inner: Vec::new(),
            reason: "malformed pdf: no trailer".into(),
        }],
        skipped_members: 0,
    };
    let mut summary = Summary::default();
    summary.add(&a);
    summary.add(&b);
    summary.elapsed = Duration::from_millis(42);
    (vec![a, b], summary)
}

fn render(sink: &mut dyn Sink) {
    let (reports, summary) = reports();
    for r in &reports {
        sink.file(r).unwrap();
    }
    sink.finish(&summary).unwrap();
}

#[test]
fn findings_cover_marks_keywords_and_regexes_in_order() {
    let (reports, _) = reports();
    let got: Vec<(u64, u64, &str, String)> = reports[0]
        .findings
        .iter()
        .map(|f| (f.line, f.column, f.matched.as_str(), f.rule.id()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, 5, "机密★10年", "mark/confidential".to_owned()),
            (2, 14, "某某工程", "keyword/某某工程".to_owned()),
            (2, 25, "HT-2024", "regex/regex-1".to_owned()),
            (3, 1, "=cmd", "keyword/=cmd".to_owned()),
        ]
    );
}

#[test]
fn r13_5_text_output_names_path_line_column_and_the_parsed_mark() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    render(&mut TextSink::new(
        &mut out,
        &mut err,
        Lang::Zh,
        false,
        true,
    ));
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "docs/a.txt:2:5: [机密★10年 / CONFIDENTIAL//10Y] 本文件 机密★10年，涉及某某工程, \"合同\" HT-2024。"
    );
    assert!(lines[1].starts_with("docs/a.txt:2:14: [关键词 某某工程（中，工程代号）] "));
    assert!(lines[2].starts_with("docs/a.txt:2:25: [正则 regex-1（高）] "));
    assert_eq!(lines.len(), 4);
    assert!(!out.contains('\x1b'), "no colour unless asked");
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("baomi: 无法扫描 docs/b.pdf: malformed pdf: no trailer"));
    assert!(err.contains("共 2 个文件：已扫描 1"), "{err}");
    assert!(err.contains("失败 1"), "{err}");
    assert!(err.contains("发现 4 处"), "{err}");
}

#[test]
fn text_output_in_english_with_colour_highlights_the_hit() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    render(&mut TextSink::new(&mut out, &mut err, Lang::En, true, true));
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\x1b[1;31m机密★10年\x1b[0m"), "{out:?}");
    assert!(
        out.contains("[keyword 某某工程 (medium, 工程代号)]"),
        "{out:?}"
    );
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("baomi: cannot scan docs/b.pdf:"));
    assert!(err.contains("2 files: 1 scanned, 0 skipped"), "{err}");
    assert!(err.contains("4 findings"), "{err}");
}

#[test]
fn r13_5_json_lines_findings_failures_then_summary() {
    let mut out = Vec::new();
    render(&mut JsonSink::new(&mut out));
    let out = String::from_utf8(out).unwrap();
    let values: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(values.len(), 6, "4 findings, 1 failure, 1 summary");
    let kinds: Vec<&str> = out.lines().map(|l| &l[..18]).collect();
    assert_eq!(
        kinds,
        vec![
            r#"{"type":"finding","#,
            r#"{"type":"finding","#,
            r#"{"type":"finding","#,
            r#"{"type":"finding","#,
            r#"{"type":"failure","#,
            r#"{"type":"summary","#,
        ],
        "type comes first on every line"
    );
    assert_eq!(
        values[0],
        json!({
            "type": "finding",
            "path": "docs/a.txt",
            "inner": [],
            "part": {"kind": "body"},
            "line": 2,
            "column": 5,
            "end_column": 11,
            "match": "机密★10年",
            "context": {
                "text": "本文件 机密★10年，涉及某某工程, \"合同\" HT-2024。",
                "start": 4,
                "end": 10
            },
            "rule": {
                "kind": "mark",
                "id": "mark/confidential",
                "severity": "high",
                "level": "confidential",
                "mark": {
                    "level": "confidential",
                    "term": {"kind": "years", "years": 10},
                    "zh": "机密★10年",
                    "en": "CONFIDENTIAL//10Y"
                }
            }
        })
    );
    assert_eq!(
        values[1]["rule"],
        json!({"kind": "keyword", "id": "keyword/某某工程", "severity": "medium",
               "term": "某某工程", "category": "工程代号"})
    );
    assert_eq!(
        values[2]["rule"],
        json!({"kind": "regex", "id": "regex/regex-1", "severity": "high", "name": "regex-1"})
    );
    assert_eq!(
        values[4],
        json!({"type": "failure", "path": "docs/b.pdf", "inner": [],
               "reason": "malformed pdf: no trailer"})
    );
    let s = &values[5];
    assert_eq!(s["type"], "summary");
    assert_eq!(s["files"], 2);
    assert_eq!(s["scanned"], 1);
    assert_eq!(s["failed"], 1);
    assert_eq!(s["skipped"], 0);
    assert_eq!(s["findings"], 4);
    assert_eq!(s["bytes"], TEXT.len() as u64 + 10);
    assert_eq!(s["elapsed_ms"], 42);
}

/// A minimal RFC 4180 reader, to check the writer's quoting from the outside.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn csv_has_a_header_quotes_fields_and_guards_formulas() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    render(&mut CsvSink::new(&mut out, &mut err, Lang::Zh, true));
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with("path,inner,part,line,column,kind,rule,severity,mark,match,context\r\n")
    );
    let rows = parse_csv(&out);
    assert_eq!(rows[0], HEADER.to_vec());
    assert_eq!(rows.len(), 5, "header and four findings");
    assert_eq!(
        rows[1],
        vec![
            "docs/a.txt",
            "",
            "正文",
            "2",
            "5",
            "mark",
            "mark/confidential",
            "high",
            "机密★10年 / CONFIDENTIAL//10Y",
            "机密★10年",
            "本文件 机密★10年，涉及某某工程, \"合同\" HT-2024。",
        ]
    );
    // A cell that a spreadsheet would run as a formula is prefixed with a quote.
    assert_eq!(rows[4][9], "'=cmd");
    assert_eq!(rows[4][10], "'=cmd here");
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("docs/b.pdf"));
}

#[test]
fn csv_without_findings_is_just_the_header() {
    let mut out = Vec::new();
    let mut sink = CsvSink::new(&mut out, std::io::sink(), Lang::En, false);
    sink.finish(&Summary::default()).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "path,inner,part,line,column,kind,rule,severity,mark,match,context\r\n"
    );
}

#[test]
fn r13_5_sarif_log_is_structurally_valid() {
    let mut out = Vec::new();
    render(&mut SarifSink::new(&mut out, Lang::En));
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 1);
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "baomi scan");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![
            "keyword/=cmd",
            "keyword/某某工程",
            "mark/confidential",
            "regex/regex-1"
        ]
    );
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(["error", "warning", "note"]
            .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for result in results {
        // Every result points at its rule by id and by index.
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(result["message"]["text"].is_string());
        let loc = &result["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "docs/a.txt");
        for key in ["startLine", "startColumn", "endColumn"] {
            assert!(loc["region"][key].as_u64().unwrap() >= 1, "{key}");
        }
        assert_eq!(result["properties"]["part"], json!({"kind": "body"}));
        assert_eq!(result["properties"]["inner"], json!([]));
    }
    let mark = &results[0];
    assert_eq!(mark["ruleId"], "mark/confidential");
    assert_eq!(mark["level"], "error");
    let region = &mark["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        region,
        &json!({"startLine": 2, "startColumn": 5, "endColumn": 11,
                "snippet": {"text": "机密★10年"}})
    );
    assert_eq!(results[1]["level"], "warning");
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "docs/b.pdf"
    );
    assert_eq!(invocation["properties"]["findings"], 4);
}

#[test]
fn sarif_uris_are_percent_encoded() {
    use baomi_scan::report::sarif::path_uri;
    assert_eq!(path_uri("docs/a b.txt"), "docs/a%20b.txt");
    assert_eq!(
        path_uri("/srv/机密.txt"),
        "file:///srv/%E6%9C%BA%E5%AF%86.txt"
    );
    assert_eq!(path_uri("<stdin>"), "%3Cstdin%3E");
}
