//! The `baomi` command as scripts see it: exit codes, stdout/stderr discipline, JSON shapes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn baomi(args: &[&str]) -> Output {
    baomi_with_stdin(args, None)
}

fn baomi_with_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .env_remove("BAOMI_LANG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // A child that refuses its arguments exits without reading stdin.
            match pipe.write_all(text.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.unwrap(),
            }
        }
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Exactly one JSON object on stdout.
fn one_json(o: &Output) -> Value {
    let out = stdout(o);
    assert_eq!(out.lines().count(), 1, "one line of JSON, got {out:?}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v.is_object());
    v
}

#[test]
fn r1_3_mark_parse_json_shapes() {
    let cases = [
        (
            "机密★10年",
            json!({"level": "confidential", "term": {"kind": "years", "years": 10},
                   "zh": "机密★10年", "en": "CONFIDENTIAL//10Y"}),
        ),
        (
            "秘密★2031年6月30日",
            json!({"level": "secret", "term": {"kind": "until", "date": "2031-06-30"},
                   "zh": "秘密★2031年6月30日", "en": "SECRET//2031-06-30"}),
        ),
        (
            "机密★工程竣工后",
            json!({"level": "confidential", "term": {"kind": "condition", "text": "工程竣工后"},
                   "zh": "机密★工程竣工后", "en": "CONFIDENTIAL//UNTIL 工程竣工后"}),
        ),
        (
            "绝密★",
            json!({"level": "top_secret", "term": {"kind": "default"},
                   "zh": "绝密★", "en": "TOP SECRET"}),
        ),
        (
            "TOP SECRET//30Y",
            json!({"level": "top_secret", "term": {"kind": "years", "years": 30},
                   "zh": "绝密★30年", "en": "TOP SECRET//30Y"}),
        ),
        (
            " 秘密☆１０年 ",
            json!({"level": "secret", "term": {"kind": "years", "years": 10},
                   "zh": "秘密★10年", "en": "SECRET//10Y"}),
        ),
        (
            "内部",
            json!({"level": "internal", "term": {"kind": "default"},
                   "zh": "内部", "en": "INTERNAL"}),
        ),
    ];
    for (text, expected) in cases {
        let o = baomi(&["mark", "parse", text, "--json"]);
        assert_eq!(o.status.code(), Some(0), "{text}: {}", stderr(&o));
        assert_eq!(one_json(&o), expected, "{text}");
        assert!(stderr(&o).is_empty());
    }
}

#[test]
fn r1_3_mark_parse_invalid_exits_2_with_one_line_on_stderr() {
    for text in [
        "机密10年",
        "秘密★11年",
        "保密★1年",
        "",
        "SECRET//2031-02-30",
    ] {
        let o = baomi(&["mark", "parse", text, "--json"]);
        assert_eq!(o.status.code(), Some(2), "{text:?}");
        assert!(o.stdout.is_empty(), "nothing on stdout for {text:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "one line: {err:?}");
        assert!(err.starts_with("baomi: "), "{err:?}");
    }
    let o = baomi(&["--lang", "en", "mark", "parse", "秘密★11年"]);
    assert!(stderr(&o).contains("exceeds the longest period of 10 years"));
    assert!(stderr(&o).contains("R1.2"));
    let o = baomi(&["mark", "parse", "秘密★11年"]);
    assert!(stderr(&o).contains("最长保密期限"), "Chinese by default");
}

#[test]
fn r1_2_mark_parse_legal_basis_override() {
    let o = baomi(&[
        "mark",
        "parse",
        "秘密★15年",
        "--json",
        "--legal-basis",
        "某法第十条",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(one_json(&o)["term"], json!({"kind": "years", "years": 15}));
}

#[test]
fn r1_3_mark_parse_human_output() {
    let o = baomi(&["mark", "parse", "机密★10年"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains("机密★10年") && out.contains("CONFIDENTIAL//10Y"),
        "{out}"
    );
}

#[test]
fn r1_9_mark_status() {
    let status = |mark: &str, classified: &str, on: &str| {
        let o = baomi(&[
            "mark",
            "status",
            mark,
            "--classified-on",
            classified,
            "--on",
            on,
            "--json",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        one_json(&o)
    };
    assert_eq!(
        status("机密★10年", "2020-03-01", "2030-02-28"),
        json!({"in_force": true, "declassifies_on": "2030-03-01"})
    );
    // R1.9: declassified by itself on the day the period ends.
    assert_eq!(
        status("机密★10年", "2020-03-01", "2030-03-01"),
        json!({"in_force": false, "declassifies_on": "2030-03-01"})
    );
    assert_eq!(
        status("绝密★", "2020-01-01", "2049-12-31"),
        json!({"in_force": true, "declassifies_on": "2050-01-01"})
    );
    assert_eq!(
        status("SECRET//2031-06-30", "2025-01-01", "2031-07-01"),
        json!({"in_force": false, "declassifies_on": "2031-06-30"})
    );
    assert_eq!(
        status("机密★工程竣工后", "2020-01-01", "2090-01-01"),
        json!({"in_force": true, "declassifies_on": null})
    );
}

#[test]
fn r1_2_mark_status_refuses_a_date_beyond_the_longest_period() {
    let o = baomi(&[
        "mark",
        "status",
        "秘密★2040年1月1日",
        "--classified-on",
        "2020-01-01",
        "--on",
        "2021-01-01",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let o = baomi(&[
        "mark",
        "status",
        "秘密★10年",
        "--classified-on",
        "2020-01-01",
        "--on",
        "2019-01-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = baomi(&[
        "mark",
        "status",
        "秘密★10年",
        "--classified-on",
        "2020-13-01",
        "--on",
        "2021-01-01",
    ]);
    assert_eq!(o.status.code(), Some(2), "bad date is a usage error");
}

#[test]
fn r4_2_password_check_reads_stdin_and_lists_every_unmet_requirement() {
    let o = baomi_with_stdin(
        &["password", "check", "--level", "secret"],
        Some("abcd1234\n"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(o.stdout.is_empty());

    let o = baomi_with_stdin(
        &[
            "--lang",
            "en",
            "password",
            "check",
            "--level",
            "confidential",
        ],
        Some("abcdefg"),
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "too short and no digit: {out}");
    assert!(lines[0].contains("at least 10 characters"), "{out}");
    assert!(lines[1].contains("no digit"), "{out}");

    // The password itself never appears in the output.
    assert!(!out.contains("abcdefg"));
}

#[test]
fn r4_2_password_check_top_secret_needs_a_second_factor() {
    let o = baomi_with_stdin(
        &["password", "check", "--level", "top_secret"],
        Some("abcdef12"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o).lines().count(), 1);
    let o = baomi_with_stdin(
        &[
            "password",
            "check",
            "--level",
            "top_secret",
            "--second-factor",
            "usb_key",
        ],
        Some("abcde1"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = baomi_with_stdin(
        &[
            "password",
            "check",
            "--level",
            "confidential",
            "--second-factor",
            "ic_card",
        ],
        Some("ab12"),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn r4_2_password_check_rotation() {
    let check = |on: &str| {
        baomi_with_stdin(
            &[
                "--lang",
                "en",
                "password",
                "check",
                "--level",
                "secret",
                "--last-changed",
                "2026-10-01",
                "--on",
                on,
            ],
            Some("abcd1234"),
        )
    };
    assert_eq!(check("2026-10-31").status.code(), Some(0), "last valid day");
    let o = check("2026-11-01");
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("expired"), "{}", stdout(&o));
    // Chinese dates read as 2026年10月31日.
    let o = baomi_with_stdin(
        &[
            "password",
            "check",
            "--level",
            "secret",
            "--last-changed",
            "2026-10-01",
            "--on",
            "2026-11-26",
        ],
        Some("abcd1234"),
    );
    assert!(stdout(&o).contains("2026年10月31日"), "{}", stdout(&o));
}

#[test]
fn r4_2_password_check_usage_errors_exit_2() {
    // --last-changed without --on, an unknown level, two lines of input.
    let o = baomi_with_stdin(
        &[
            "password",
            "check",
            "--level",
            "secret",
            "--last-changed",
            "2026-10-01",
        ],
        Some("abcd1234"),
    );
    assert_eq!(o.status.code(), Some(2));
    let o = baomi_with_stdin(
        &["password", "check", "--level", "internal"],
        Some("abcd1234"),
    );
    assert_eq!(o.status.code(), Some(2));
    let o = baomi_with_stdin(
        &["password", "check", "--level", "secret"],
        Some("abcd1234\nmore\n"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert_eq!(stderr(&o).lines().count(), 1);
    // The password is never accepted as an argument.
    let o = baomi_with_stdin(
        &["password", "check", "--level", "secret", "abcd1234"],
        Some(""),
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn usage_errors_are_one_line_on_stderr_and_exit_2() {
    for args in [
        &[
            "mark",
            "status",
            "秘密★10年",
            "--classified-on",
            "2020-13-01",
            "--on",
            "2021-01-01",
        ][..],
        &["mark", "parse"][..],
        &[
            "password",
            "check",
            "--level",
            "secret",
            "--second-factor",
            "pin",
        ][..],
        &["no-such-command"][..],
    ] {
        let o = baomi_with_stdin(args, Some("abcd1234"));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(err.starts_with("baomi: "), "{err:?}");
    }
    // Help is not an error.
    let o = baomi(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("mark"));
}

#[test]
fn r4_2_password_check_refuses_a_check_date_before_the_change() {
    let o = baomi_with_stdin(
        &[
            "password",
            "check",
            "--level",
            "secret",
            "--last-changed",
            "2026-10-01",
            "--on",
            "2026-09-30",
        ],
        Some("abcd1234"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_closed_stdout_is_a_clean_exit() {
    // The pipe's read end is closed before baomi starts, so its first write fails with
    // EPIPE: that must be a quiet exit 0, not a panic (exit 101).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["mark", "parse", "机密★10年"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty());
}
