//! E-mail messages (R13.5, R4.3): the subject and other human-written headers, the text and
//! HTML bodies in any charset, and every attachment — an attached docx, zip or e-mail is scanned
//! in turn under its container chain. The messages are written by the tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::extract::{
    extract, ExtractCtx, ExtractError, Format, Location, NestedFailure, Part,
};
use baomi_scan::limits::{Budget, BudgetExceeded, Limits};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

struct Outcome {
    result: Result<(), ExtractError>,
    segments: Vec<(Vec<String>, Part, String)>,
    failures: Vec<NestedFailure>,
}

fn run_with(name: &str, bytes: &[u8], limits: &Limits) -> Outcome {
    let mut budget = Budget::start(limits);
    let mut segments = Vec::new();
    let mut emit = |loc: &Location, text: &str| {
        segments.push((loc.inner.clone(), loc.part.clone(), text.to_owned()))
    };
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    let result = extract(name, bytes, &mut ctx);
    let failures = ctx.nested_failures().to_vec();
    drop(ctx);
    Outcome {
        result,
        segments,
        failures,
    }
}

fn run(name: &str, bytes: &[u8]) -> Outcome {
    run_with(name, bytes, &Limits::default())
}

/// Lines joined with CRLF, as mail is sent.
fn mail(lines: &[&str]) -> Vec<u8> {
    let mut s = lines.join("\r\n");
    s.push_str("\r\n");
    s.into_bytes()
}

fn header(name: &str) -> Part {
    Part::MailHeader {
        name: name.to_owned(),
    }
}

fn chain(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Standard base64, wrapped at 76 columns as MIME wants.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The smallest Word document: content types and a one-paragraph body.
fn docx(paragraph: &str) -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p></w:body></w:document>"#
    );
    zip(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("word/document.xml", document.as_bytes()),
    ])
}

#[test]
fn r13_5_a_plain_body_and_the_human_headers_are_scanned() {
    let message = mail(&[
        "From: 张三 <zhang@example.cn>",
        "To: 李四 <li@example.cn>, wang@example.cn",
        "Cc: 保密办 <bmb@example.cn>",
        "Subject: 周报",
        "Message-ID: <1@example.cn>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "本周工作涉及机密★10年材料。",
    ]);
    let out = run("weekly.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        out.segments,
        vec![
            (vec![], header("From"), "张三".to_owned()),
            (vec![], header("To"), "李四".to_owned()),
            (vec![], header("Cc"), "保密办".to_owned()),
            (vec![], header("Subject"), "周报".to_owned()),
            (
                vec![],
                Part::Body,
                "本周工作涉及机密★10年材料。\r\n".to_owned()
            ),
        ]
    );
    assert!(out.failures.is_empty());
}

#[test]
fn r13_5_an_html_only_body_is_scanned_as_its_text() {
    let message = mail(&[
        "Subject: notice",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<html><head><title>x</title><style>p {color: red}</style></head>",
        "<body><p>会议纪要：<b>秘密★5年</b></p><script>var hidden = 1;</script></body></html>",
    ]);
    let out = run("html.eml", &message);
    assert_eq!(out.result, Ok(()));
    let bodies: Vec<&str> = out
        .segments
        .iter()
        .filter(|(_, p, _)| *p == Part::Body)
        .map(|(_, _, t)| t.as_str())
        .collect();
    assert_eq!(bodies.len(), 1);
    // Tags, the head and scripts are gone; the text reads as it shows.
    assert_eq!(bodies[0].trim(), "会议纪要：秘密★5年");
}

fn alternative(plain: &str, html: &str) -> Vec<u8> {
    mail(&[
        "Subject: alt",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative; boundary=\"b1\"",
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        plain,
        "--b1",
        "Content-Type: text/html; charset=utf-8",
        "",
        html,
        "--b1--",
    ])
}

#[test]
fn r13_5_identical_alternatives_are_scanned_once() {
    let message = alternative("请查收内部通知。", "<p>请查收<b>内部</b>通知。</p>");
    let out = run("alt.eml", &message);
    assert_eq!(out.result, Ok(()));
    let bodies: Vec<&str> = out
        .segments
        .iter()
        .filter(|(_, p, _)| *p == Part::Body)
        .map(|(_, _, t)| t.as_str())
        .collect();
    assert_eq!(bodies, vec!["请查收内部通知。"]);
}

#[test]
fn r13_5_text_only_in_the_html_alternative_is_not_missed() {
    // What a mail client shows is the HTML; a mark hidden there must still be found.
    let message = alternative("请查收通知。", "<p>请查收通知。机密★10年</p>");
    let out = run("alt.eml", &message);
    let bodies: Vec<&str> = out
        .segments
        .iter()
        .filter(|(_, p, _)| *p == Part::Body)
        .map(|(_, _, t)| t.trim())
        .collect();
    assert_eq!(bodies, vec!["请查收通知。", "请查收通知。机密★10年"]);
}

#[test]
fn r13_5_a_gbk_body_is_decoded() {
    let body = gbk("绝密文件，请勿外传。秘密★2031年6月30日");
    let mut message = mail(&[
        "Subject: gbk",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=\"GBK\"",
        "Content-Transfer-Encoding: 8bit",
        "",
    ]);
    message.extend_from_slice(&body);
    message.extend_from_slice(b"\r\n");
    let out = run("gbk.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        out.segments.last().unwrap(),
        &(
            vec![],
            Part::Body,
            "绝密文件，请勿外传。秘密★2031年6月30日\r\n".to_owned()
        )
    );
}

#[test]
fn r13_5_a_base64_gb18030_body_is_decoded() {
    let body = base64(&gbk("这是一份机密★长期的文件"));
    let message = mail(&[
        "Subject: b64",
        "Content-Type: text/plain; charset=gb18030",
        "Content-Transfer-Encoding: base64",
        "",
        &body,
    ]);
    let out = run("b64.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        out.segments.last().unwrap(),
        &(vec![], Part::Body, "这是一份机密★长期的文件".to_owned())
    );
}

#[test]
fn r13_5_a_gb2312_encoded_word_subject_with_a_mark_is_decoded() {
    let subject = format!(
        "Subject: =?GB2312?B?{}?=",
        base64(&gbk("关于机密★10年文件的通知"))
    );
    let message = mail(&[&subject, "Content-Type: text/plain", "", "见附件"]);
    let out = run("subject.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        out.segments[0],
        (
            vec![],
            header("Subject"),
            "关于机密★10年文件的通知".to_owned()
        )
    );
}

#[test]
fn r13_5_a_quoted_printable_utf8_encoded_word_display_name_is_decoded() {
    // "秘密" in UTF-8, Q-encoded.
    let message = mail(&[
        "From: =?UTF-8?Q?=E7=A7=98=E5=AF=86=E7=BB=84?= <team@example.cn>",
        "Subject: hi",
        "",
        "body",
    ]);
    let out = run("q.eml", &message);
    assert_eq!(
        out.segments[0],
        (vec![], header("From"), "秘密组".to_owned())
    );
}

/// A multipart/mixed message: a text body, then each attachment as (headers, body).
fn with_attachments(body: &str, attachments: &[(Vec<String>, String)]) -> Vec<u8> {
    let mut lines: Vec<String> = vec![
        "Subject: 附件".into(),
        "MIME-Version: 1.0".into(),
        "Content-Type: multipart/mixed; boundary=\"mix\"".into(),
        "".into(),
        "--mix".into(),
        "Content-Type: text/plain; charset=utf-8".into(),
        "".into(),
        body.into(),
    ];
    for (headers, content) in attachments {
        lines.push("--mix".into());
        lines.extend(headers.iter().cloned());
        lines.push("".into());
        lines.push(content.clone());
    }
    lines.push("--mix--".into());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    mail(&refs)
}

fn binary_attachment(ctype: &str, filename: &str, bytes: &[u8]) -> (Vec<String>, String) {
    (
        vec![
            format!("Content-Type: {ctype}; name=\"{filename}\""),
            format!("Content-Disposition: attachment; filename=\"{filename}\""),
            "Content-Transfer-Encoding: base64".into(),
        ],
        base64(bytes),
    )
}

#[test]
fn r13_5_an_attached_docx_is_scanned_under_its_file_name() {
    let message = with_attachments(
        "请审阅附件。",
        &[binary_attachment(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "report.docx",
            &docx("附件正文 机密★20年"),
        )],
    );
    let out = run("with-docx.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert!(out
        .segments
        .contains(&(vec![], header("filename"), "report.docx".to_owned())));
    let inside: Vec<&(Vec<String>, Part, String)> = out
        .segments
        .iter()
        .filter(|(inner, _, _)| !inner.is_empty())
        .collect();
    assert_eq!(inside.len(), 1, "{:?} {:?}", out.segments, out.failures);
    assert_eq!(inside[0].0, chain(&["report.docx"]));
    assert_eq!(inside[0].1, Part::Body);
    assert_eq!(inside[0].2.trim(), "附件正文 机密★20年");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
}

#[test]
fn r13_5_an_attached_zip_is_opened_and_its_text_member_scanned() {
    let archive = zip(&[("名单.txt", "内部 人员名单".as_bytes())]);
    let message = with_attachments(
        "见压缩包",
        &[binary_attachment("application/zip", "bundle.zip", &archive)],
    );
    let out = run("with-zip.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        out.segments.last().unwrap(),
        &(
            chain(&["bundle.zip", "名单.txt"]),
            Part::Body,
            "内部 人员名单".to_owned()
        )
    );
}

#[test]
fn r13_5_an_attachment_name_in_an_encoded_word_is_decoded_and_scanned() {
    let name = format!("=?UTF-8?B?{}?=", base64("机密名单.txt".as_bytes()));
    let message = with_attachments(
        "正文",
        &[(
            vec![
                format!("Content-Type: text/plain; charset=utf-8; name=\"{name}\""),
                format!("Content-Disposition: attachment; filename=\"{name}\""),
            ],
            "名单内容".into(),
        )],
    );
    let out = run("named.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert!(
        out.segments
            .contains(&(vec![], header("filename"), "机密名单.txt".to_owned())),
        "{:?}",
        out.segments
    );
    assert!(out
        .segments
        .contains(&(chain(&["机密名单.txt"]), Part::Body, "名单内容".to_owned())));
}

#[test]
fn r13_5_an_attached_message_is_scanned_as_an_email_with_its_own_attachments() {
    let archive = zip(&[("x.txt", "绝密★".as_bytes())]);
    let inner = with_attachments(
        "转发的正文：秘密★5年",
        &[binary_attachment("application/zip", "data.zip", &archive)],
    );
    let inner = String::from_utf8(inner).unwrap();
    // Sent as is (7bit), not transfer-encoded.
    let message = with_attachments(
        "请看下面转发的邮件",
        &[(vec!["Content-Type: message/rfc822".into()], inner)],
    );
    let out = run("fwd.eml", &message);
    assert_eq!(out.result, Ok(()), "{:?}", out.failures);
    let nested: Vec<(Vec<String>, Part, String)> = out
        .segments
        .iter()
        .filter(|(inner, _, _)| !inner.is_empty())
        .cloned()
        .collect();
    assert_eq!(
        nested,
        vec![
            (
                chain(&["attachment-1.eml"]),
                header("Subject"),
                "附件".to_owned()
            ),
            (
                chain(&["attachment-1.eml"]),
                Part::Body,
                "转发的正文：秘密★5年".to_owned()
            ),
            (
                chain(&["attachment-1.eml"]),
                header("filename"),
                "data.zip".to_owned()
            ),
            (
                chain(&["attachment-1.eml", "data.zip", "x.txt"]),
                Part::Body,
                "绝密★".to_owned()
            ),
        ]
    );
    assert!(out.failures.is_empty());
}

#[test]
fn r13_5_a_base64_attached_message_keeps_its_file_name_with_an_eml_suffix() {
    let inner = mail(&["Subject: 内部通报", "", "正文"]);
    let message = with_attachments(
        "见附件",
        &[binary_attachment("message/rfc822", "原邮件", &inner)],
    );
    let out = run("fwd64.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert!(
        out.segments.contains(&(
            chain(&["原邮件.eml"]),
            header("Subject"),
            "内部通报".to_owned()
        )),
        "{:?}",
        out.segments
    );
}

#[test]
fn r13_5_more_attachments_than_max_entries_is_refused() {
    let attachments: Vec<(Vec<String>, String)> = (0..4)
        .map(|i| binary_attachment("application/octet-stream", &format!("{i}.bin"), b"x"))
        .collect();
    let message = with_attachments("body", &attachments);
    let limits = Limits {
        max_entries: 3,
        ..Limits::default()
    };
    let out = run_with("many.eml", &message, &limits);
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::Entries {
            found: 4,
            limit: 3
        }))
    );
}

#[test]
fn r13_5_bytes_without_any_header_are_malformed() {
    let out = run("empty.eml", b"");
    assert!(
        matches!(
            out.result,
            Err(ExtractError::Malformed {
                format: Format::Eml,
                ..
            })
        ),
        "{:?}",
        out.result
    );
}

#[test]
fn r13_5_a_failing_attachment_is_reported_and_the_rest_scanned() {
    // A zip cut short, then a readable text attachment.
    let archive = zip(&[("a.txt", "秘密".repeat(200).as_bytes())]);
    let mut encrypted = zip(&[("locked.txt", b"secret words")]);
    // Mark the single entry encrypted in its local and central headers.
    let central = encrypted
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .unwrap();
    encrypted[central + 8] |= 1;
    encrypted[6] |= 1;
    let message = with_attachments(
        "正文",
        &[
            binary_attachment("application/zip", "locked.zip", &encrypted),
            binary_attachment("application/zip", "ok.zip", &archive),
        ],
    );
    let out = run("mixed.eml", &message);
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        out.failures,
        vec![NestedFailure {
            inner: chain(&["locked.zip", "locked.txt"]),
            reason: "zip is encrypted".to_owned(),
        }]
    );
    assert_eq!(
        out.segments.last().unwrap(),
        &(chain(&["ok.zip", "a.txt"]), Part::Body, "秘密".repeat(200))
    );
}
