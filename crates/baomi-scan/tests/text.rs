//! Plain text in every encoding the sieve reads, HTML and XML: each hit is found at the line and
//! column a person sees in the original file (DOMAIN R13.5, marks per R1.3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::marks::Level;
use baomi_scan::extract::text::{self, Encoding};
use baomi_scan::extract::Part;
use baomi_scan::limits::Limits;
use baomi_scan::matcher::{parse_keyword_list, MatchOptions, Matcher, MatcherConfig, Rules};
use baomi_scan::report::{FileReport, FileStatus, Finding, RuleRef, SkipReason};
use baomi_scan::scanner::scan_bytes;
use std::time::{Duration, Instant};

fn matcher(keywords: &str) -> Matcher {
    Matcher::new(
        Rules {
            marks: true,
            keywords: parse_keyword_list(keywords).unwrap(),
            regexes: Vec::new(),
        },
        MatchOptions::default(),
    )
    .unwrap()
}

fn scan(name: &str, bytes: &[u8]) -> FileReport {
    scan_bytes(
        name,
        name,
        bytes,
        &Limits::default(),
        &matcher("某某工程\n"),
    )
}

/// The findings as (line, column, matched) for compact assertions.
fn places(report: &FileReport) -> Vec<(u64, u64, &str)> {
    report
        .findings
        .iter()
        .map(|f| (f.line, f.column, f.matched.as_str()))
        .collect()
}

fn only_mark(report: &FileReport) -> &Finding {
    let marks: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.rule, RuleRef::Mark { .. }))
        .collect();
    assert_eq!(marks.len(), 1, "one mark in {:?}", report.findings);
    marks[0]
}

const DOC: &str = "关于某某工程的通知\n\n  本文件为 机密★10年，请勿外传。\nend\n";

fn utf16(text: &str, little: bool) -> Vec<u8> {
    let mut out = if little {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in text.encode_utf16() {
        let b = if little {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        };
        out.extend_from_slice(&b);
    }
    out
}

fn assert_doc_findings(report: &FileReport, encoding: &str) {
    assert_eq!(
        report.status,
        FileStatus::Scanned {
            format: baomi_scan::extract::Format::Text
        },
        "{encoding}: {report:?}"
    );
    assert_eq!(
        places(report),
        vec![(1, 3, "某某工程"), (3, 8, "机密★10年")],
        "{encoding}"
    );
    let mark = only_mark(report);
    assert_eq!(mark.part, Part::Body);
    assert!(mark.inner.is_empty());
    assert_eq!(mark.end_column, 14);
    assert_eq!(mark.context.text, "本文件为 机密★10年，请勿外传。");
    assert_eq!((mark.context.start, mark.context.end), (5, 11));
    match &mark.rule {
        RuleRef::Mark {
            level,
            mark: Some(m),
        } => {
            assert_eq!(*level, Level::Confidential);
            assert_eq!(m.to_zh(), "机密★10年");
        }
        other => panic!("{encoding}: expected a parsed mark, got {other:?}"),
    }
}

#[test]
fn r13_5_utf8_hits_at_line_and_character_column() {
    assert_eq!(text::detect(DOC.as_bytes()), Some(Encoding::Utf8));
    assert_doc_findings(&scan("notice.txt", DOC.as_bytes()), "utf-8");
}

#[test]
fn r13_5_utf8_with_bom_and_crlf_keeps_columns() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(DOC.replace('\n', "\r\n").as_bytes());
    let report = scan("notice.txt", &bytes);
    assert_doc_findings(&report, "utf-8 bom crlf");
}

#[test]
fn r13_5_utf16le_with_bom_is_decoded() {
    let bytes = utf16(DOC, true);
    assert_eq!(text::detect(&bytes), Some(Encoding::Utf16Le));
    assert_doc_findings(&scan("notice.txt", &bytes), "utf-16le");
}

#[test]
fn r13_5_utf16be_with_bom_is_decoded() {
    let bytes = utf16(DOC, false);
    assert_eq!(text::detect(&bytes), Some(Encoding::Utf16Be));
    assert_doc_findings(&scan("notice.txt", &bytes), "utf-16be");
}

#[test]
fn r13_5_gbk_text_is_detected_and_hits_are_placed() {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(DOC);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture is not UTF-8"
    );
    assert_eq!(text::detect(&bytes), Some(Encoding::Gb18030));
    assert_doc_findings(&scan("notice.txt", &bytes), "gbk");
}

#[test]
fn r13_5_truncated_or_damaged_utf8_is_still_read_as_utf8() {
    // A file cut in the middle of a character (a log being written, a partial copy) must not
    // be taken for GBK and turned to nonsense.
    let mut cut = DOC.as_bytes().to_vec();
    cut.extend_from_slice(&"机".as_bytes()[..2]);
    assert_eq!(text::detect(&cut), Some(Encoding::Utf8Lossy));
    assert_eq!(
        places(&scan("cut.txt", &cut)),
        vec![(1, 3, "某某工程"), (3, 8, "机密★10年")]
    );
    // One stray byte in the middle: the same.
    let mut bytes = DOC.as_bytes().to_vec();
    bytes.insert(3, 0xFF);
    assert_eq!(text::detect(&bytes), Some(Encoding::Utf8Lossy));
    assert_eq!(
        places(&scan("bad.txt", &bytes)),
        vec![(1, 4, "某某工程"), (3, 8, "机密★10年")]
    );
}

#[test]
fn r13_5_gb18030_four_byte_sequences_decode() {
    // 𠀀 (U+20000) needs GB18030's four-byte form; GBK cannot say it.
    let text = "𠀀𠀁 秘密★5年\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    let report = scan("rare.txt", &bytes);
    assert_eq!(places(&report), vec![(1, 4, "秘密★5年")]);
}

#[test]
fn binary_content_is_skipped_not_guessed() {
    let mut bytes = b"\x7fELF\x02\x01\x01\0\0\0\0".to_vec();
    bytes.extend_from_slice("机密★10年".as_bytes());
    bytes.extend_from_slice(&[0u8; 64]);
    assert_eq!(text::detect(&bytes), None);
    let report = scan("a.out", &bytes);
    assert_eq!(
        report.status,
        FileStatus::Skipped(SkipReason::UnknownFormat)
    );
    assert!(report.findings.is_empty());
    assert!(report.failures.is_empty());
}

#[test]
fn utf16_without_bom_is_binary() {
    let bytes: Vec<u8> = "机密★10年"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .chain("abc".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(text::detect(&bytes), None);
}

#[test]
fn latin1_text_is_read_for_ascii_banners() {
    let bytes = b"Caf\xE9 r\xE9sum\xE9 for the na\xEFve: this memo is\nTOP SECRET//NOFORN and stays here.\n";
    let report = scan("memo.txt", bytes);
    let mark = only_mark(&report);
    assert_eq!((mark.line, mark.column), (2, 1));
    assert!(mark.matched.starts_with("TOP SECRET"), "{:?}", mark.matched);
}

const HTML: &str = "<!DOCTYPE html>\n<html><head><title>通知</title>\n\
<script>var s = \"绝密★30年\";\n</script><style>.x{content:\"秘密★\"}</style></head>\n\
<body>\n<p>本件<b>机</b>&#23494;&starf;10年</p>\n\
<img\n  alt=\"某某工程照片\" src=\"x.png\">\n<!-- 绝密★20年\n -->\n</body></html>\n";

#[test]
fn r13_5_html_text_entities_and_inline_tags_are_read_at_source_lines() {
    let report = scan("page.html", HTML.as_bytes());
    assert_eq!(
        report.status,
        FileStatus::Scanned {
            format: baomi_scan::extract::Format::Html
        }
    );
    // The mark written as 机 in <b>, &#23494; and &starf; is found on line 6 of the page; the
    // alt text on line 8 where the attribute stands; script, style and comment are not body
    // text: they are reported in their own parts, at their source lines (R8).
    assert_eq!(
        body_places(&report),
        vec![(6, 3, "机密★10年"), (8, 1, "某某工程")],
        "{:?}",
        report.findings
    );
    let hidden: Vec<(String, u64, &str)> = report
        .findings
        .iter()
        .filter_map(|f| match &f.part {
            Part::Other { name } => Some((name.clone(), f.line, f.matched.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        hidden,
        vec![
            ("comment".to_owned(), 9, "绝密★20年"),
            ("script".to_owned(), 3, "绝密★30年"),
            ("style".to_owned(), 4, "秘密★"),
        ],
        "{:?}",
        report.findings
    );
}

/// Like [`places`], for the findings in the body only.
fn body_places(report: &FileReport) -> Vec<(u64, u64, &str)> {
    report
        .findings
        .iter()
        .filter(|f| f.part == Part::Body)
        .map(|f| (f.line, f.column, f.matched.as_str()))
        .collect()
}

#[test]
fn html_without_extension_is_recognised() {
    let report = scan("index", HTML.as_bytes());
    assert_eq!(
        report.status,
        FileStatus::Scanned {
            format: baomi_scan::extract::Format::Html
        }
    );
    assert_eq!(body_places(&report).len(), 2);
}

#[test]
fn r13_5_xml_character_data_and_references_at_source_lines() {
    let xml = "<?xml version=\"1.0\"?>\n<doc>\n  <title>年度报告</title>\n  \
<p>密级：机密&#x2605;10年</p><![CDATA[某某工程]]>\n  <!-- 绝密★30年 -->\n</doc>\n";
    let report = scan("report.xml", xml.as_bytes());
    assert_eq!(
        body_places(&report),
        vec![(4, 6, "机密★10年"), (4, 13, "某某工程")],
        "{:?}",
        report.findings
    );
}

#[test]
fn xml_entity_bomb_is_not_expanded() {
    // Billion laughs: each level multiplies by ten; expanded it would be gigabytes.
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"机密★10年\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        xml.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    xml.push_str("]>\n<lolz>&lol9;</lolz>\n");
    let started = Instant::now();
    let report = scan("bomb.xml", xml.as_bytes());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        report.findings.is_empty(),
        "declared entities are never expanded: {:?}",
        report.findings
    );
    assert!(report.failures.is_empty(), "{:?}", report.failures);
}

#[test]
fn malformed_xml_keeps_earlier_hits_and_reports_the_failure() {
    let xml = "<a>\n<b>机密★10年</b>\n<c attr=\"unterminated></a>";
    let report = scan("broken.xml", xml.as_bytes());
    assert_eq!(report.status, FileStatus::Failed);
    assert_eq!(places(&report), vec![(2, 1, "机密★10年")]);
    assert_eq!(report.failures.len(), 1);
    assert!(
        report.failures[0].reason.contains("malformed xml"),
        "{:?}",
        report.failures
    );
}

#[test]
fn deeply_nested_xml_is_bounded() {
    let depth = 100_000;
    let xml = format!("{}机密★10年{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let started = Instant::now();
    let report = scan("deep.xml", xml.as_bytes());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(report.status, FileStatus::Failed);
    assert!(report.failures[0].reason.contains("nested deeper"));
}

#[test]
fn large_text_keeps_line_numbers_across_matcher_chunks() {
    // Several of the matcher's chunks (about 1 MiB each): the marks sit far beyond the first.
    let filler = "普通的一行文字，没有任何敏感内容。abcdefghij\n";
    let lines = (9 * 1024 * 1024) / filler.len() + 1;
    let mut text = filler.repeat(lines);
    text.push_str("前缀 机密★10年\n");
    text.push_str(&filler.repeat(3));
    text.push_str("绝密★30年\n");
    let report = scan("big.txt", text.as_bytes());
    let marks: Vec<(u64, u64)> = report.findings.iter().map(|f| (f.line, f.column)).collect();
    let first = lines as u64 + 1;
    assert_eq!(marks, vec![(first, 4), (first + 4, 1)]);
}

#[test]
fn large_text_matched_on_several_threads_gives_the_same_findings() {
    let filler = "普通的一行文字，没有任何敏感内容。abcdefghij\n";
    let mut text = String::new();
    for i in 0..4 {
        text.push_str(&filler.repeat((9 * 1024 * 1024) / 2 / filler.len()));
        text.push_str(&format!("第{i}段 机密★{}年 某某工程\n", i + 1));
    }
    let with_threads = |threads| {
        let m = Matcher::with_config(
            Rules {
                marks: true,
                keywords: parse_keyword_list("某某工程\n").unwrap(),
                regexes: Vec::new(),
            },
            MatchOptions::default(),
            MatcherConfig {
                threads,
                ..MatcherConfig::default()
            },
        )
        .unwrap();
        scan_bytes(
            "big.txt",
            "big.txt",
            text.as_bytes(),
            &Limits::default(),
            &m,
        )
    };
    let one = with_threads(1);
    let four = with_threads(4);
    assert_eq!(one.findings.len(), 8);
    assert_eq!(one, four);
}
