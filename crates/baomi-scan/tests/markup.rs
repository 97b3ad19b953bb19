//! HTML and XML text a reader does not see — comments, scripts, styles, attribute values,
//! processing instructions — is scanned too (DOMAIN R8: everything published with a page is
//! checked), each in its own part and at its source line (R13.5), marks parsed per R1.3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::extract::{extract, ExtractCtx, Location, Part};
use baomi_scan::limits::{Budget, Limits};
use baomi_scan::matcher::{parse_keyword_list, MatchOptions, Matcher, Rules};
use baomi_scan::report::FileReport;
use baomi_scan::scanner::scan_bytes;

fn scan(name: &str, bytes: &[u8]) -> FileReport {
    let matcher = Matcher::new(
        Rules {
            marks: true,
            keywords: parse_keyword_list("某某工程\n").unwrap(),
            regexes: Vec::new(),
        },
        MatchOptions::default(),
    )
    .unwrap();
    scan_bytes(name, name, bytes, &Limits::default(), &matcher)
}

fn other(name: &str) -> Part {
    Part::Other { name: name.into() }
}

/// The findings as (part, line, matched).
fn hits(report: &FileReport) -> Vec<(Part, u64, &str)> {
    report
        .findings
        .iter()
        .map(|f| (f.part.clone(), f.line, f.matched.as_str()))
        .collect()
}

#[test]
fn r8_html_comment_is_scanned() {
    let report = scan(
        "c.html",
        "<html><body>\n<p>公开</p>\n<!-- 机密★10年 -->\n</body></html>".as_bytes(),
    );
    assert_eq!(hits(&report), vec![(other("comment"), 3, "机密★10年")]);
}

#[test]
fn r8_html_script_is_scanned() {
    let report = scan(
        "s.html",
        "<html><script>var s=\"秘密★5年\"</script></html>".as_bytes(),
    );
    assert_eq!(hits(&report), vec![(other("script"), 1, "秘密★5年")]);
}

#[test]
fn r8_html_script_keyword_on_line_7_is_reported_at_line_7() {
    let page = "<html>\n<head>\n<title>t</title>\n<script>\nvar a = 1;\nvar b = 2;\nvar n = \"某某工程\";\n</script>\n</head><body>\n<p>正文</p></body></html>\n";
    let report = scan("s.html", page.as_bytes());
    assert_eq!(hits(&report), vec![(other("script"), 7, "某某工程")]);
}

#[test]
fn r8_html_style_and_hidden_attribute_values_are_scanned() {
    let page = "<html><head>\n<style>.x{content:\"绝密★30年\"}</style>\n\
<meta property=\"og:title\" content=\"秘密★5年\"></head>\n<body>\n\
<input type=\"hidden\" value=\"某某工程\">\n<div data-level=\"&#26426;密★10年\" id=\"x1\" width=\"10\">正文</div>\n\
</body></html>\n";
    let report = scan("a.html", page.as_bytes());
    assert_eq!(
        hits(&report),
        vec![
            (other("style"), 2, "绝密★30年"),
            (other("attribute"), 3, "秘密★5年"),
            (other("attribute"), 5, "某某工程"),
            (other("attribute"), 6, "机密★10年"),
        ]
    );
}

#[test]
fn r8_html_body_findings_keep_body_part_and_lines() {
    // Visible text and readable attributes stay in the body exactly as before; the comment
    // between them is reported separately, and alt text is not reported twice.
    let page = "<html><body>\n<p>机密★10年</p>\n<!-- 绝密★20年 -->\n<img alt=\"某某工程\" src=\"a.png\">\n</body></html>";
    let report = scan("b.html", page.as_bytes());
    assert_eq!(
        hits(&report),
        vec![
            (Part::Body, 2, "机密★10年"),
            (Part::Body, 4, "某某工程"),
            (other("comment"), 3, "绝密★20年"),
        ]
    );
}

#[test]
fn r8_xml_attribute_is_scanned() {
    let report = scan(
        "d.xml",
        "<?xml version=\"1.0\"?>\n<doc title=\"机密★10年\">正文</doc>".as_bytes(),
    );
    assert_eq!(hits(&report), vec![(other("attribute"), 2, "机密★10年")]);
}

#[test]
fn r8_xml_attributes_comments_and_processing_instructions_at_source_lines() {
    let xml = "<?xml version=\"1.0\"?>\n<?note 秘密★5年?>\n<doc>\n  <p>机密★10年</p>\n  \
<!-- 注：\n绝密★30年 -->\n  <item\n    name=\"某某&#x5DE5;程\"/>\n</doc>\n";
    let report = scan("e.xml", xml.as_bytes());
    assert_eq!(
        hits(&report),
        vec![
            (Part::Body, 4, "机密★10年"),
            (other("comment"), 6, "绝密★30年"),
            (other("attribute"), 8, "某某工程"),
            (other("processing-instruction"), 2, "秘密★5年"),
        ]
    );
}

#[test]
fn extra_parts_of_a_newline_heavy_file_stay_bounded_and_scanned() {
    // Far more line breaks than other bytes: padding every kind to its line would exceed the
    // file's size, so the later fragments lose their padding but are still found.
    let mut page = "\n".repeat(100_000);
    page.push_str("<!-- 机密★10年 --><script>x=\"秘密★5年\"</script><style>a{}</style>");
    page.push_str("<p data-x=\"绝密★30年\">x</p>");
    let report = scan("n.html", page.as_bytes());
    let found: Vec<&str> = report.findings.iter().map(|f| f.matched.as_str()).collect();
    assert_eq!(found, vec!["机密★10年", "秘密★5年", "绝密★30年"]);
    assert_eq!(report.findings[0].line, 100_001);
}

/// The segments one file produces, as (part, text).
fn segments(name: &str, bytes: &[u8]) -> Vec<(Part, String)> {
    let mut budget = Budget::start(&Limits::default());
    let mut out = Vec::new();
    let mut emit = |loc: &Location, text: &str| out.push((loc.part.clone(), text.to_owned()));
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    extract(name, bytes, &mut ctx).unwrap();
    drop(ctx);
    out
}

#[test]
fn extra_parts_together_never_exceed_the_file_size() {
    // Every kind wants padding to the last line; together they may hold no more than the file.
    let mut page = "\n".repeat(50_000);
    for _ in 0..3 {
        page.push_str("<!--c--><script>s</script><style>t</style><p title=\"v\" x=\"a\">b</p>\n");
    }
    for name in ["n.html", "n.xml"] {
        let segs = segments(name, page.as_bytes());
        let extra: usize = segs
            .iter()
            .filter(|(p, _)| *p != Part::Body)
            .map(|(_, t)| t.len())
            .sum();
        assert!(extra <= page.len(), "{name}: {extra} > {}", page.len());
        assert!(segs.len() >= 3, "{name}: {segs:?}");
    }
}
