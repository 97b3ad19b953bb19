//! `baomi scan` as scripts and CI see it (DOMAIN R13.5): exit codes 0 / 1 / 2, stdout and
//! stderr discipline, stdin, and the summary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn baomi(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .current_dir(dir)
        .env_remove("BAOMI_LANG")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            // A child that exits before reading (a usage error) closes the pipe: not a failure
            // of the test, whose assertions are on the child's output.
            if let Err(e) = pipe.write_all(bytes) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
            }
        }
    }
    child.wait_with_output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A folder with one file bearing a mark and one clean file.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("docs/notice.txt"),
        "通知\n本文件 机密★10年\n".as_bytes(),
    )
    .unwrap();
    std::fs::write(dir.path().join("clean.txt"), "nothing to see\n").unwrap();
    std::fs::write(
        dir.path().join("words.txt"),
        "某某工程\thigh\t工程\n".as_bytes(),
    )
    .unwrap();
    dir
}

/// An error: exit 2, nothing on stdout, exactly one line on stderr.
fn assert_usage_error(o: &Output, needle: &str) {
    assert_eq!(code(o), 2, "stderr: {}", stderr(o));
    assert_eq!(stdout(o), "");
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.starts_with("baomi: "), "{err:?}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
}

#[test]
fn r13_5_exit_1_with_findings_in_path_line_column_form() {
    let dir = folder();
    let o = baomi(dir.path(), &["scan"], None);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "docs/notice.txt:2:5: [机密★10年 / CONFIDENTIAL//10Y] 本文件 机密★10年\n"
    );
    // The summary is on stderr, in Chinese by default.
    assert!(stderr(&o).contains("发现 1 处"), "{}", stderr(&o));
}

#[test]
fn exit_0_when_nothing_is_found() {
    let dir = folder();
    let o = baomi(dir.path(), &["--lang", "en", "scan", "clean.txt"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("1 files: 1 scanned"), "{}", stderr(&o));
}

#[test]
fn r13_5_keyword_lists_and_regexes_from_arguments() {
    let dir = folder();
    let o = baomi(
        dir.path(),
        &[
            "scan",
            "--no-marks",
            "--keywords",
            "words.txt",
            "--regex",
            r"\d+年",
            "-",
        ],
        Some("关于某某工程：10年\n".as_bytes()),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("<stdin>:1:3: [关键词 某某工程（高，工程）]"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("<stdin>:1:8: [正则 regex-1（高）]"),
        "{out}"
    );
}

#[test]
fn r13_5_stdin_json_ends_with_the_summary() {
    let dir = folder();
    let o = baomi(
        dir.path(),
        &["scan", "--format", "json", "-"],
        Some("第一行\n秘密★5年\n".as_bytes()),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "JSON mode keeps stderr quiet");
    let values: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0]["type"], "finding");
    assert_eq!(values[0]["path"], "<stdin>");
    assert_eq!(values[0]["line"], 2);
    assert_eq!(values[0]["column"], 1);
    assert_eq!(values[0]["rule"]["mark"]["en"], "SECRET//5Y");
    assert_eq!(values[1]["type"], "summary");
    assert_eq!(values[1]["files"], 1);
    assert_eq!(values[1]["findings"], 1);
}

#[test]
fn sarif_and_csv_formats_from_the_cli() {
    let dir = folder();
    let o = baomi(dir.path(), &["scan", "--format", "sarif", "docs"], None);
    assert_eq!(code(&o), 1);
    let log: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "docs/notice.txt"
    );
    let o = baomi(dir.path(), &["scan", "--format", "csv", "docs"], None);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("path,inner,part,line,column,kind,rule,severity,mark,match,context")
    );
    assert!(lines
        .next()
        .unwrap()
        .starts_with("docs/notice.txt,,正文,2,5,mark,"));
}

#[test]
fn max_filesize_skips_and_counts() {
    let dir = folder();
    let o = baomi(
        dir.path(),
        &["scan", "--format", "json", "--max-filesize", "10", "docs"],
        None,
    );
    assert_eq!(
        code(&o),
        0,
        "a skipped file is not an error: {}",
        stderr(&o)
    );
    let summary: Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    assert_eq!(summary["skipped_too_large"], 1);
    assert_eq!(summary["scanned"], 0);
}

#[test]
fn globs_and_quiet() {
    let dir = folder();
    let o = baomi(dir.path(), &["scan", "--exclude", "docs"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = baomi(dir.path(), &["scan", "-g", "*.txt", "-q"], None);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
}

#[test]
fn failures_without_findings_exit_2_but_are_reported_not_fatal() {
    let dir = folder();
    let o = baomi(
        dir.path(),
        &["--lang", "en", "scan", "clean.txt", "missing.txt"],
        None,
    );
    assert_eq!(code(&o), 2);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.contains("baomi: cannot scan missing.txt:"), "{err}");
    assert!(
        err.contains("1 scanned"),
        "the other file was scanned: {err}"
    );
    // With findings, the findings decide: exit 1, the failure still reported.
    let o = baomi(
        dir.path(),
        &["--lang", "en", "scan", "docs", "missing.txt"],
        None,
    );
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("cannot scan missing.txt"));
}

#[test]
fn bad_inputs_exit_2_with_one_line() {
    let dir = folder();
    assert_usage_error(
        &baomi(
            dir.path(),
            &["--lang", "en", "scan", "--keywords", "nope.txt"],
            None,
        ),
        "cannot read keyword list nope.txt",
    );
    assert_usage_error(
        &baomi(dir.path(), &["scan", "--regex", "(unclosed"], None),
        "regex-1",
    );
    assert_usage_error(
        &baomi(dir.path(), &["scan", "--max-filesize", "ten"], None),
        "10M",
    );
    assert_usage_error(&baomi(dir.path(), &["scan", "-g", "a["], None), "a[");
    std::fs::write(dir.path().join("bad.txt"), b"\xff\xfe\xfd").unwrap();
    assert_usage_error(
        &baomi(
            dir.path(),
            &["--lang", "en", "scan", "--keywords", "bad.txt"],
            None,
        ),
        "not UTF-8",
    );
    std::fs::write(dir.path().join("sev.txt"), "某某\turgent\n").unwrap();
    assert_usage_error(
        &baomi(dir.path(), &["scan", "--keywords", "sev.txt"], None),
        "line 1",
    );
    assert_usage_error(
        &baomi(dir.path(), &["scan", "--no-marks"], None),
        "no rules",
    );
}

#[test]
fn max_filesize_accepts_units() {
    let dir = folder();
    for size in ["10M", "1G", "512k", "1.5G", "100"] {
        let o = baomi(
            dir.path(),
            &["scan", "--max-filesize", size, "clean.txt"],
            None,
        );
        assert_eq!(code(&o), 0, "{size}: {}", stderr(&o));
    }
}

#[test]
fn r13_5_count_format_prints_path_and_count_like_ripgrep() {
    let dir = folder();
    std::fs::write(
        dir.path().join("docs/two.txt"),
        "某某工程 与 某某工程\n".as_bytes(),
    )
    .unwrap();
    let o = baomi(
        dir.path(),
        &[
            "scan",
            "--no-marks",
            "--keywords",
            "words.txt",
            "--format",
            "count",
            "docs",
            "clean.txt",
        ],
        None,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // Only files with findings, in path order; the summary goes to stderr.
    assert_eq!(stdout(&o), "docs/two.txt:2\n");
    assert!(!stderr(&o).is_empty());
}
