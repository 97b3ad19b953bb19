//! OFD extraction (DOMAIN R13.5: the sieve reads OFD — text objects of every page,
//! annotations, attachments; R1.3 marks): packages are zipped here from XML written in the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::extract::{extract, ofd, ExtractCtx, ExtractError, Location, NestedFailure, Part};
use baomi_scan::limits::{Budget, BudgetExceeded, Limits};
use baomi_scan::matcher::{Keyword, MatchOptions, Matcher, Rules, Severity};
use std::io::{Cursor, Write};
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

fn zip(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    zip_with(members, SimpleFileOptions::default())
}

fn zip_with(members: &[(&str, Vec<u8>)], options: SimpleFileOptions) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const NS: &str = r#"xmlns:ofd="http://www.ofdspec.org/2016""#;

fn ofd_xml() -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ofd:OFD {NS} Version="1.0" DocType="OFD">
  <ofd:DocBody>
    <ofd:DocInfo>
      <ofd:DocID>6f1a</ofd:DocID>
      <ofd:Title>关于东风计划的通知</ofd:Title>
      <ofd:Author>办公厅</ofd:Author>
      <ofd:Keywords><ofd:Keyword>保密</ofd:Keyword></ofd:Keywords>
    </ofd:DocInfo>
    <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>
  </ofd:DocBody>
</ofd:OFD>"#
    )
    .into_bytes()
}

fn document_xml(page0: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ofd:Document {NS}>
  <ofd:CommonData>
    <ofd:MaxUnitID>100</ofd:MaxUnitID>
    <ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>
    <ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/>
  </ofd:CommonData>
  <ofd:Pages>
    <ofd:Page ID="10" BaseLoc="{page0}"/>
    <ofd:Page ID="11" BaseLoc="/Doc_0/Pages/Page_1/Content.xml"/>
  </ofd:Pages>
  <ofd:Annotations>Annots/Annotations.xml</ofd:Annotations>
  <ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>
</ofd:Document>"#
    )
    .into_bytes()
}

/// Page 1: the mark in one TextCode with DeltaX; 东风计划 as four one-character objects on one
/// baseline; an English line.
fn page0() -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ofd:Page {NS}>
  <ofd:Template TemplateID="2" ZOrder="Background"/>
  <ofd:Content>
    <ofd:Layer ID="20">
      <ofd:TextObject ID="21" Boundary="20 20 60 10" Font="3" Size="5">
        <ofd:TextCode X="0" Y="4.5" DeltaX="g 5 5">机密★10年</ofd:TextCode>
      </ofd:TextObject>
      <ofd:TextObject ID="22" Boundary="20 40 5 5" Font="3" Size="5"><ofd:TextCode X="0" Y="4.5">东</ofd:TextCode></ofd:TextObject>
      <ofd:TextObject ID="23" Boundary="25 40 5 5" Font="3" Size="5"><ofd:TextCode X="0" Y="4.5">风</ofd:TextCode></ofd:TextObject>
      <ofd:TextObject ID="24" Boundary="30 40 5 5" Font="3" Size="5"><ofd:TextCode X="0" Y="4.5">计</ofd:TextCode></ofd:TextObject>
      <ofd:TextObject ID="25" Boundary="35 40 5 5" Font="3" Size="5"><ofd:TextCode X="0" Y="4.5">划</ofd:TextCode></ofd:TextObject>
      <ofd:TextObject ID="26" Boundary="20 60 100 10" Font="3" Size="4">
        <ofd:TextCode X="0" Y="3.5">Report</ofd:TextCode>
        <ofd:TextCode X="20" Y="3.5">draft</ofd:TextCode>
      </ofd:TextObject>
    </ofd:Layer>
  </ofd:Content>
</ofd:Page>"#
    )
    .into_bytes()
}

/// Page 2 without a namespace prefix, two lines in one object, an entity.
fn page1() -> Vec<u8> {
    r#"<?xml version="1.0" encoding="UTF-8"?>
<Page xmlns="http://www.ofdspec.org/2016">
  <Content><Layer ID="30">
    <TextObject ID="31" Boundary="20 20 100 30" Size="5">
      <TextCode X="0" Y="5">第二页正文 A&amp;B</TextCode>
      <TextCode X="0" Y="12">秘密★5年</TextCode>
    </TextObject>
  </Layer></Content>
</Page>"#
        .as_bytes()
        .to_vec()
}

fn template() -> Vec<u8> {
    format!(
        r#"<ofd:Page {NS}><ofd:Content><ofd:Layer ID="40">
  <ofd:TextObject ID="41" Boundary="10 5 40 8" Size="4"><ofd:TextCode X="0" Y="3">内部资料</ofd:TextCode></ofd:TextObject>
</ofd:Layer></ofd:Content></ofd:Page>"#
    )
    .into_bytes()
}

fn annotations_xml() -> Vec<u8> {
    format!(
        r#"<ofd:Annotations {NS}>
  <ofd:Page PageID="11"><ofd:FileLoc>Page_1/Annotation.xml</ofd:FileLoc></ofd:Page>
</ofd:Annotations>"#
    )
    .into_bytes()
}

fn annotation_xml() -> Vec<u8> {
    format!(
        r#"<ofd:PageAnnot {NS}>
  <ofd:Annot ID="50" Type="Stamp" Creator="审核人">
    <ofd:Remark>请核对东风计划</ofd:Remark>
    <ofd:Appearance Boundary="0 0 50 20">
      <ofd:TextObject ID="51" Boundary="0 0 50 10" Size="4"><ofd:TextCode X="0" Y="4">已审核</ofd:TextCode></ofd:TextObject>
    </ofd:Appearance>
  </ofd:Annot>
</ofd:PageAnnot>"#
    )
    .into_bytes()
}

fn attachments_xml() -> Vec<u8> {
    format!(
        r#"<ofd:Attachments {NS}>
  <ofd:Attachment ID="60" Name="清单" Format="pdf" Visible="true"><ofd:FileLoc>清单.pdf</ofd:FileLoc></ofd:Attachment>
  <ofd:Attachment ID="61" Name="notes.txt" Format="txt"><ofd:FileLoc>/Doc_0/Attachs/notes.txt</ofd:FileLoc></ofd:Attachment>
</ofd:Attachments>"#
    )
    .into_bytes()
}

/// A one-page PDF with `text` in Helvetica.
fn tiny_pdf(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 770 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        write!(out, "{} 0 obj\n{o}\nendobj\n", i + 1).unwrap();
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for o in offsets {
        writeln!(out, "{o:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    out
}

fn members(page0_loc: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("OFD.xml", ofd_xml()),
        ("Doc_0/Document.xml", document_xml(page0_loc)),
        ("Doc_0/Pages/Page_0/Content.xml", page0()),
        ("Doc_0/Pages/Page_1/Content.xml", page1()),
        ("Doc_0/Tpls/Tpl_0/Content.xml", template()),
        ("Doc_0/Annots/Annotations.xml", annotations_xml()),
        ("Doc_0/Annots/Page_1/Annotation.xml", annotation_xml()),
        ("Doc_0/Attachs/Attachments.xml", attachments_xml()),
        (
            "Doc_0/Attachs/清单.pdf",
            tiny_pdf("inventory of Bluebird parts"),
        ),
        (
            "Doc_0/Attachs/notes.txt",
            "notes on Bluebird\n".as_bytes().to_vec(),
        ),
    ]
}

fn fixture() -> Vec<u8> {
    zip(&members("Pages/Page_0/Content.xml"))
}

struct Outcome {
    result: Result<(), ExtractError>,
    segments: Vec<(Location, String)>,
    nested_failures: Vec<NestedFailure>,
    elapsed: Duration,
}

fn run_with(bytes: &[u8], limits: &Limits, direct: bool) -> Outcome {
    let mut budget = Budget::start(limits);
    let mut segments = Vec::new();
    let mut emit = |loc: &Location, text: &str| segments.push((loc.clone(), text.to_owned()));
    let start = Instant::now();
    let (result, nested_failures) = {
        let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
        let r = if direct {
            ofd::extract(bytes, &mut ctx)
        } else {
            extract("doc.ofd", bytes, &mut ctx)
        };
        (r, ctx.nested_failures().to_vec())
    };
    Outcome {
        result,
        segments,
        nested_failures,
        elapsed: start.elapsed(),
    }
}

fn run(bytes: &[u8]) -> Outcome {
    run_with(bytes, &Limits::default(), false)
}

fn text_of(o: &Outcome, inner: &[&str], part: &Part) -> String {
    o.segments
        .iter()
        .filter(|(l, _)| &l.part == part && l.inner == inner)
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn keywords(terms: &[&str]) -> Matcher {
    Matcher::new(
        Rules {
            marks: false,
            keywords: terms
                .iter()
                .map(|t| Keyword {
                    term: (*t).to_owned(),
                    severity: Severity::High,
                    category: None,
                })
                .collect(),
            regexes: Vec::new(),
        },
        MatchOptions::default(),
    )
    .unwrap()
}

fn hits(o: &Outcome, m: &Matcher) -> Vec<(Vec<String>, Part, String)> {
    let mut out = Vec::new();
    for (loc, text) in &o.segments {
        let mut hs = Vec::new();
        m.find(text, &mut hs);
        for h in hs {
            out.push((
                loc.inner.clone(),
                loc.part.clone(),
                text[h.start..h.end].to_owned(),
            ));
        }
    }
    out
}

#[test]
fn r13_5_ofd_is_detected_and_pages_are_read_in_order_with_templates_merged() {
    let bytes = fixture();
    assert_eq!(
        baomi_scan::extract::detect("doc.ofd", &bytes),
        baomi_scan::extract::Format::Ofd
    );
    let o = run(&bytes);
    o.result.as_ref().unwrap();
    assert_eq!(
        text_of(&o, &[], &Part::Page { page: 1 }),
        "内部资料\n机密★10年\n东风计划\nReport draft"
    );
    assert_eq!(
        text_of(&o, &[], &Part::Page { page: 2 }),
        "第二页正文 A&B\n秘密★5年"
    );
}

#[test]
fn r1_3_ofd_marks_and_keywords_hit_on_the_right_page_annotation_and_attachment() {
    let o = run(&fixture());
    let m = keywords(&["机密★10年", "秘密★5年", "东风计划", "Bluebird"]);
    let found = hits(&o, &m);
    let none: Vec<String> = Vec::new();
    assert!(found.contains(&(none.clone(), Part::Page { page: 1 }, "机密★10年".into())));
    assert!(found.contains(&(none.clone(), Part::Page { page: 1 }, "东风计划".into())));
    assert!(found.contains(&(none.clone(), Part::Page { page: 2 }, "秘密★5年".into())));
    assert!(found.contains(&(
        none.clone(),
        Part::Annotation { page: Some(2) },
        "东风计划".into()
    )));
    assert!(found.contains(&(none, Part::Properties, "东风计划".into())));
    // The attached PDF is scanned as a nested member, under its attachment name.
    assert!(found.contains(&(
        vec!["清单.pdf".to_owned()],
        Part::Page { page: 1 },
        "Bluebird".into()
    )));
}

#[test]
fn r13_5_ofd_annotation_remark_and_appearance_belong_to_their_page() {
    let o = run(&fixture());
    assert_eq!(
        text_of(&o, &[], &Part::Annotation { page: Some(2) }),
        "请核对东风计划\n已审核"
    );
}

#[test]
fn r13_5_ofd_doc_info_is_properties() {
    let o = run(&fixture());
    assert_eq!(
        text_of(&o, &[], &Part::Properties),
        "关于东风计划的通知\n办公厅\n保密"
    );
}

#[test]
fn r13_5_ofd_attachments_are_nested_members_by_name() {
    let o = run(&fixture());
    assert_eq!(
        text_of(&o, &["清单.pdf"], &Part::Page { page: 1 }),
        "inventory of Bluebird parts"
    );
    // The text attachment reached the dispatcher under its name: its text arrived, or (while
    // the plain-text extractor is a stub) it was recorded as a failed member by that name.
    let notes = vec!["notes.txt".to_owned()];
    let read = o
        .segments
        .iter()
        .any(|(l, t)| l.inner == notes && t.contains("Bluebird"));
    let failed = o.nested_failures.iter().any(|f| f.inner == notes);
    assert!(read || failed, "{:?} {:?}", o.segments, o.nested_failures);
}

// ---------------------------------------------------------------------------------------------
// Hostile packages

#[test]
fn r13_5_ofd_page_path_outside_the_package_is_refused_and_reported() {
    let o = run(&zip(&members("../../../../etc/passwd")));
    match &o.result {
        Err(ExtractError::Malformed { reason, .. }) => {
            assert!(
                reason.contains("../../../../etc/passwd (outside the package)"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    // Everything else was still read.
    assert_eq!(text_of(&o, &[], &Part::Page { page: 1 }), "");
    assert_eq!(
        text_of(&o, &[], &Part::Page { page: 2 }),
        "第二页正文 A&B\n秘密★5年"
    );
}

#[test]
fn r13_5_ofd_missing_page_is_reported_after_the_rest_is_read() {
    let o = run(&zip(&members("Pages/Page_9/Content.xml")));
    match &o.result {
        Err(ExtractError::Malformed { reason, .. }) => {
            assert!(
                reason.contains("Pages/Page_9/Content.xml (missing)"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(!text_of(&o, &[], &Part::Annotation { page: Some(2) }).is_empty());
}

#[test]
fn r13_5_ofd_content_xml_zip_bomb_is_refused_by_ratio() {
    // 32 MiB of white space inside the page's XML compresses about 1000:1.
    let mut bomb = br#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content>"#.to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 32 << 20));
    bomb.extend_from_slice(b"</ofd:Content></ofd:Page>");
    let mut m = members("Pages/Page_0/Content.xml");
    m[2].1 = bomb;
    let bytes = zip(&m);
    assert!(bytes.len() < 1 << 20, "{}", bytes.len());
    let o = run(&bytes);
    assert!(
        matches!(
            o.result,
            Err(ExtractError::Budget(BudgetExceeded::Ratio {
                limit: 200,
                ..
            }))
        ),
        "{:?}",
        o.result
    );
    assert!(o.elapsed < Duration::from_secs(5), "{:?}", o.elapsed);
}

#[test]
fn r13_5_ofd_without_ofd_xml_is_malformed() {
    let o = run_with(
        &zip(&[("Doc_0/Document.xml", document_xml("x"))]),
        &Limits::default(),
        true,
    );
    assert!(
        matches!(o.result, Err(ExtractError::Malformed { .. })),
        "{:?}",
        o.result
    );
}

#[test]
fn r13_5_ofd_truncated_and_deeply_nested_xml_is_bounded() {
    // A page cut mid-element keeps what came before the cut.
    let cut = page0();
    let at = memchr::memmem::find(&cut, "东".as_bytes()).unwrap();
    let mut m = members("Pages/Page_0/Content.xml");
    m[2].1 = cut[..at + 3].to_vec();
    let o = run(&zip(&m));
    o.result.as_ref().unwrap();
    assert_eq!(
        text_of(&o, &[], &Part::Page { page: 1 }),
        "内部资料\n机密★10年"
    );
    // 200,000 nested elements around a TextObject (stored: deflated, the repetition would
    // trip the ratio limit first).
    let mut deep = String::from(r#"<Page xmlns="http://www.ofdspec.org/2016"><Content><Layer>"#);
    deep.push_str(&"<PageBlock>".repeat(200_000));
    deep.push_str(r#"<TextObject Boundary="0 0 10 10" Size="5"><TextCode X="0" Y="5">深层</TextCode></TextObject>"#);
    deep.push_str(&"</PageBlock>".repeat(200_000));
    deep.push_str("</Layer></Content></Page>");
    let mut m = members("Pages/Page_0/Content.xml");
    m[2].1 = deep.into_bytes();
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let o = run(&zip_with(&m, stored));
    o.result.as_ref().unwrap();
    assert_eq!(text_of(&o, &[], &Part::Page { page: 1 }), "深层");
    assert!(o.elapsed < Duration::from_secs(10), "{:?}", o.elapsed);
}

#[test]
fn r13_5_ofd_random_mutations_never_panic() {
    let base = fixture();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..200 {
        let mut bytes = base.clone();
        for _ in 0..(1 + round % 6) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % bytes.len();
            bytes[i] = (x >> 32) as u8;
        }
        let o = run_with(&bytes, &Limits::default(), true);
        assert!(
            !matches!(o.result, Err(ExtractError::Internal { .. })),
            "round {round}: {:?}",
            o.result
        );
        assert!(o.elapsed < Duration::from_secs(10));
    }
}
