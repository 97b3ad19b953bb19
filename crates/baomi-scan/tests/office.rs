//! Office documents (R4.3, R8, R13.5): docx, xlsx, pptx, odt, ods, odp and legacy xls, with
//! every fixture generated here (zip writer / compound-file writer, minimal valid XML). Each
//! test proves that a mark or keyword placed in a given part is reported in exactly that part
//! (header, footer, footnote, comment, property, sheet cell, slide, notes) and on the right
//! line; the hostile cases prove each bad input ends in a typed error, bounded, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::extract::{self, ExtractCtx, ExtractError, Format, Location, Part};
use baomi_scan::limits::{Budget, BudgetExceeded, Limits};
use baomi_scan::matcher::{HitKind, Keyword, MatchOptions, Matcher, Rules, Severity};
use std::io::{Cursor, Write};
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

// ---------------------------------------------------------------------------------------------
// Harness

struct Out {
    result: Result<(), ExtractError>,
    segs: Vec<(Location, String)>,
    skipped: u64,
    elapsed: Duration,
}

fn run(name: &str, bytes: &[u8]) -> Out {
    run_with(name, bytes, &Limits::default())
}

fn run_with(name: &str, bytes: &[u8], limits: &Limits) -> Out {
    let started = Instant::now();
    let mut budget = Budget::start(limits);
    let mut segs = Vec::new();
    let mut emit = |loc: &Location, text: &str| segs.push((loc.clone(), text.to_owned()));
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    let result = extract::extract(name, bytes, &mut ctx);
    let skipped = ctx.skipped_members();
    drop(ctx);
    Out {
        result,
        segs,
        skipped,
        elapsed: started.elapsed(),
    }
}

/// The keywords the fixtures hide in different parts.
const KEYWORDS: &[&str] = &["星火计划", "天河工程", "北斗方案", "蛟龙数据", "昆仑项目"];

/// Every keyword hit as (part, 1-based line, matched text), found by the real matcher.
fn keyword_hits(out: &Out) -> Vec<(Part, usize, String)> {
    let rules = Rules {
        marks: false,
        keywords: KEYWORDS
            .iter()
            .map(|t| Keyword {
                term: (*t).to_owned(),
                severity: Severity::High,
                category: None,
            })
            .collect(),
        regexes: Vec::new(),
    };
    let matcher = Matcher::new(rules, MatchOptions::default()).unwrap();
    let mut found = Vec::new();
    for (loc, text) in &out.segs {
        let mut hits = Vec::new();
        matcher.find(text, &mut hits);
        for h in hits {
            if let HitKind::Keyword { .. } = h.kind {
                let line = text[..h.start].matches('\n').count() + 1;
                found.push((loc.part.clone(), line, text[h.start..h.end].to_owned()));
            }
        }
    }
    found
}

/// Asserts keyword `term` was found exactly once, in `part` on `line`.
fn assert_hit(out: &Out, term: &str, part: Part, line: usize) {
    let hits: Vec<_> = keyword_hits(out)
        .into_iter()
        .filter(|(_, _, t)| t == term)
        .collect();
    assert_eq!(
        hits,
        vec![(part, line, term.to_owned())],
        "hits of {term}; segments: {:#?}",
        out.segs
    );
}

/// The line (1-based) of `needle` in the one segment of `part` containing it.
fn line_of(out: &Out, part: &Part, needle: &str) -> usize {
    let found: Vec<usize> = out
        .segs
        .iter()
        .filter(|(loc, _)| &loc.part == part)
        .filter_map(|(_, text)| {
            text.find(needle)
                .map(|i| text[..i].matches('\n').count() + 1)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{needle:?} in {part:?}; segments: {:#?}",
        out.segs
    );
    found[0]
}

fn text_of(out: &Out, part: &Part) -> String {
    out.segs
        .iter()
        .filter(|(loc, _)| &loc.part == part)
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\u{1}")
}

fn build_zip(entries: &[(&str, &str)]) -> Vec<u8> {
    let entries: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (*n, d.as_bytes())).collect();
    build_zip_bytes(&entries)
}

fn build_zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    build_zip_opts(entries, false)
}

/// `stored`: no compression (a huge regular part would otherwise trip the ratio limit before
/// the case under test is reached).
fn build_zip_opts(entries: &[(&str, &[u8])], stored: bool) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let method = if *name == "mimetype" || stored {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(data.len() > u32::MAX as usize / 2);
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

// ---------------------------------------------------------------------------------------------
// DOCX

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" xmlns:v="urn:schemas-microsoft-com:vml""#;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

fn core_props(title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{title}</dc:title><dc:creator>张三</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created><cp:revision>3</cp:revision></cp:coreProperties>"#
    )
}

fn para(text: &str) -> String {
    format!(
        r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#
    )
}

fn docx_with(document: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut entries = vec![
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", ROOT_RELS.to_owned()),
        ("word/document.xml", document.to_owned()),
    ];
    for (n, d) in extra {
        entries.push((n, (*d).to_owned()));
    }
    let refs: Vec<(&str, &str)> = entries.iter().map(|(n, d)| (*n, d.as_str())).collect();
    build_zip(&refs)
}

fn docx_document() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W}><w:body>{p1}<w:p><w:r><w:t>本文件密级：</w:t></w:r><w:r><w:t>机密★10年</w:t></w:r></w:p><w:p><w:r><w:t>甲</w:t><w:tab/><w:t>乙</w:t><w:br/><w:t>丙</w:t></w:r><w:del><w:r><w:delText>删除的北斗</w:delText></w:r></w:del></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>单元格一</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>单元格二</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p><w:p><w:r><w:t>A&amp;B &#x4E2D;&#22269;</w:t></w:r></w:p><w:sectPr/></w:body></w:document>"#,
        p1 = para("第一段")
    )
}

fn docx_fixture() -> Vec<u8> {
    let header = format!(
        r#"<w:hdr {W}>{}{}</w:hdr>"#,
        para("页眉"),
        para("内部 星火计划")
    );
    let header2 = format!(r#"<w:hdr {W}>{}</w:hdr>"#, para("第二页眉"));
    let footer = format!(r#"<w:ftr {W}>{}</w:ftr>"#, para("天河工程 第1页"));
    let footnotes = format!(
        r#"<w:footnotes {W}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="1">{}</w:footnote></w:footnotes>"#,
        para("脚注：北斗方案")
    );
    let endnotes = format!(
        r#"<w:endnotes {W}><w:endnote w:id="1">{}</w:endnote></w:endnotes>"#,
        para("尾注文字")
    );
    let comments = format!(
        r#"<w:comments {W}><w:comment w:id="0" w:author="李四">{}{}</w:comment></w:comments>"#,
        para("批注第一行"),
        para("请删除蛟龙数据")
    );
    let custom = r#"<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="密级"><vt:lpwstr>机密</vt:lpwstr></property></Properties>"#;
    let app = r#"<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application><Pages>1</Pages><Company>某研究所</Company></Properties>"#;
    docx_with(
        &docx_document(),
        &[
            ("word/header1.xml", &header),
            ("word/header2.xml", &header2),
            ("word/footer1.xml", &footer),
            ("word/footnotes.xml", &footnotes),
            ("word/endnotes.xml", &endnotes),
            ("word/comments.xml", &comments),
            ("docProps/core.xml", &core_props("昆仑项目年度报告")),
            ("docProps/app.xml", app),
            ("docProps/custom.xml", custom),
        ],
    )
}

#[test]
fn r4_3_docx_mark_in_body_paragraph_two_is_on_line_two() {
    let out = run("report.docx", &docx_fixture());
    assert_eq!(out.result, Ok(()));
    assert_eq!(line_of(&out, &Part::Body, "机密★10年"), 2);
    let body = text_of(&out, &Part::Body);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "第一段", "tab stops in w:pPr are not text");
    assert_eq!(lines[1], "本文件密级：机密★10年");
    // w:tab → tab, w:br → new line, deleted text kept (it is still in the file).
    assert_eq!(lines[2], "甲\t乙");
    assert_eq!(lines[3], "丙删除的北斗");
    // Table cells are lines.
    assert_eq!(&lines[4..6], ["单元格一", "单元格二"]);
    // The text box once, not twice (mc:Fallback repeats mc:Choice).
    assert_eq!(body.matches("文本框").count(), 1, "{body}");
    // Predefined and numeric references resolved.
    assert!(body.contains("A&B 中国"), "{body}");
}

#[test]
fn r4_3_docx_keywords_in_header_footer_footnote_comment_and_title_are_placed() {
    let out = run("report.docx", &docx_fixture());
    assert_eq!(out.result, Ok(()));
    assert_hit(
        &out,
        "星火计划",
        Part::Header {
            name: "header1.xml".into(),
        },
        2,
    );
    assert_hit(
        &out,
        "天河工程",
        Part::Footer {
            name: "footer1.xml".into(),
        },
        1,
    );
    assert_hit(&out, "北斗方案", Part::Footnotes, 1);
    assert_hit(&out, "蛟龙数据", Part::Comments, 2);
    assert_hit(&out, "昆仑项目", Part::Properties, 1);
    assert_eq!(
        text_of(
            &out,
            &Part::Header {
                name: "header2.xml".into()
            }
        ),
        "第二页眉"
    );
    assert_eq!(text_of(&out, &Part::Endnotes), "尾注文字");
    // Properties: core (title, author; no dates or revision), app (company only), custom.
    let props: Vec<String> = out
        .segs
        .iter()
        .filter(|(l, _)| l.part == Part::Properties)
        .map(|(_, t)| t.clone())
        .collect();
    assert_eq!(props, ["昆仑项目年度报告\n张三", "某研究所", "密级: 机密"]);
}

// ---------------------------------------------------------------------------------------------
// XLSX

fn xlsx_fixture() -> Vec<u8> {
    // "Sheet2" is listed second but lives in sheet1.xml (the names come from the workbook,
    // the targets from its relationships, one of them absolute).
    let workbook = r#"<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/><sheet name="Sheet2" sheetId="2" state="hidden" r:id="rId2"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://example.invalid/" TargetMode="External"/></Relationships>"#;
    let sst = r#"<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>普通</t></si><si><r><rPr><b/></rPr><t>星</t></r><r><t>火计划</t></r><rPh sb="0" eb="1"><t>XINGHUO</t></rPh></si></sst>"#;
    // Sheet2 (sheet1.xml): shared string at C5, a number, a header.
    let sheet_two = r#"<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>42</v></c><c r="B1" t="s"><v>0</v></c></row><row r="5"><c r="C5" t="s"><v>1</v></c></row></sheetData><headerFooter><oddHeader>&amp;L&amp;"宋体,加粗"&amp;12机密★5年&amp;R第&amp;P页</oddHeader></headerFooter></worksheet>"#;
    // Sheet1 (sheet2.xml): inline strings without `r` (addresses computed), a formula whose
    // cached string result is text (the formula itself is not).
    let sheet_one = r#"<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="D1" t="str"><f>"北斗"&amp;"方案"</f><v>北斗方案</v></c></row><row><c t="inlineStr"><is><t>左</t></is></c><c t="inlineStr"><is><r><t>天河</t></r><r><t>工程</t></r></is></c></row></sheetData></worksheet>"#;
    let comments = r#"<?xml version="1.0" encoding="UTF-8"?>
<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>王五</author></authors><commentList><comment ref="A1" authorId="0"><text><r><t>王五:</t></r><r><t xml:space="preserve">
核对蛟龙数据</t></r></text></comment></commentList></comments>"#;
    build_zip(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", rels),
        ("xl/sharedStrings.xml", sst),
        ("xl/worksheets/sheet1.xml", sheet_two),
        ("xl/worksheets/sheet2.xml", sheet_one),
        ("xl/comments1.xml", comments),
        ("docProps/core.xml", &core_props("昆仑项目预算")),
    ])
}

fn sheet(name: &str, cell: &str) -> Part {
    Part::Sheet {
        name: name.into(),
        cell: Some(cell.into()),
    }
}

#[test]
fn r4_3_xlsx_shared_string_keyword_is_reported_at_sheet2_c5() {
    let out = run("budget.xlsx", &xlsx_fixture());
    assert_eq!(out.result, Ok(()));
    // Rich runs joined, the phonetic reading left out.
    assert_hit(&out, "星火计划", sheet("Sheet2", "C5"), 1);
    assert_eq!(text_of(&out, &sheet("Sheet2", "C5")), "星火计划");
    assert_eq!(text_of(&out, &sheet("Sheet2", "B1")), "普通");
    // Numbers are not text.
    assert_eq!(text_of(&out, &sheet("Sheet2", "A1")), "");
}

#[test]
fn r4_3_xlsx_inline_string_formula_result_comment_and_header_are_placed() {
    let out = run("budget.xlsx", &xlsx_fixture());
    assert_eq!(out.result, Ok(()));
    // Row 2 has no `r`: the cells follow row 1 and each other.
    assert_eq!(text_of(&out, &sheet("Sheet1", "A2")), "左");
    assert_hit(&out, "天河工程", sheet("Sheet1", "B2"), 1);
    assert_hit(&out, "北斗方案", sheet("Sheet1", "D1"), 1);
    assert_hit(&out, "蛟龙数据", Part::Comments, 2);
    assert_hit(&out, "昆仑项目", Part::Properties, 1);
    assert_eq!(
        text_of(
            &out,
            &Part::Header {
                name: "Sheet2".into()
            }
        ),
        "机密★5年\n第页"
    );
    // Sheet names are text too, and in workbook order.
    let names: Vec<&str> = out
        .segs
        .iter()
        .filter(|(l, _)| matches!(&l.part, Part::Sheet { cell: None, .. }))
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(names, ["Sheet1", "Sheet2"]);
}

// ---------------------------------------------------------------------------------------------
// PPTX

fn slide(texts: &[&str]) -> String {
    let paras: String = texts
        .iter()
        .map(|t| format!("<a:p><a:r><a:t>{t}</a:t></a:r></a:p>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>{paras}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
    )
}

fn pptx_fixture() -> Vec<u8> {
    // Presentation order: slide2.xml first, slide1.xml second.
    let pres = r#"<?xml version="1.0" encoding="UTF-8"?>
<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst><p:sldId id="256" r:id="rId3"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide2.xml"/></Relationships>"#;
    let slide2_rels = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide" Target="../notesSlides/notesSlide1.xml"/></Relationships>"#;
    let notes = r#"<?xml version="1.0" encoding="UTF-8"?>
<p:notes xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>讲稿：天河工程</a:t></a:r><a:br/><a:r><a:t>第二行</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>"#;
    let comments = r#"<?xml version="1.0" encoding="UTF-8"?>
<p:cmLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cm authorId="0" idx="1"><p:pos x="10" y="10"/><p:text>核对蛟龙数据</p:text></p:cm></p:cmLst>"#;
    build_zip(&[
        ("[Content_Types].xml", CONTENT_TYPES),
        ("ppt/presentation.xml", pres),
        ("ppt/_rels/presentation.xml.rels", rels),
        ("ppt/slides/slide1.xml", &slide(&["第二张", "星火计划"])),
        ("ppt/slides/slide2.xml", &slide(&["封面 机密★10年"])),
        ("ppt/slides/_rels/slide2.xml.rels", slide2_rels),
        ("ppt/notesSlides/notesSlide1.xml", notes),
        ("ppt/comments/comment1.xml", comments),
        ("docProps/core.xml", &core_props("昆仑项目汇报")),
    ])
}

#[test]
fn r4_3_pptx_slide_text_follows_presentation_order_and_notes_their_slide() {
    let out = run("brief.pptx", &pptx_fixture());
    assert_eq!(out.result, Ok(()));
    assert_hit(&out, "星火计划", Part::Slide { slide: 2 }, 2);
    assert_eq!(line_of(&out, &Part::Slide { slide: 1 }, "机密★10年"), 1);
    assert_hit(&out, "天河工程", Part::Notes { slide: 1 }, 1);
    assert_eq!(
        text_of(&out, &Part::Notes { slide: 1 }),
        "讲稿：天河工程\n第二行"
    );
    assert_hit(&out, "蛟龙数据", Part::Comments, 1);
    assert_hit(&out, "昆仑项目", Part::Properties, 1);
}

// ---------------------------------------------------------------------------------------------
// ODF

const ODF_NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0""#;

fn odf(mimetype: &str, body: &str, master: &str, manifest_extra: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3"><office:body>{body}</office:body></office:document-content>"#
    );
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-styles {ODF_NS}><office:styles><style:style style:name="Header"/></office:styles><office:master-styles>{master}</office:master-styles></office:document-styles>"#
    );
    let meta = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODF_NS}><office:meta><meta:generator>LibreOffice</meta:generator><dc:title>昆仑项目</dc:title><meta:creation-date>2024-01-01T00:00:00</meta:creation-date><meta:user-defined meta:name="密级">机密</meta:user-defined></office:meta></office:document-meta>"#
    );
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}</manifest:file-entry></manifest:manifest>"#
    );
    build_zip(&[
        ("mimetype", mimetype),
        ("content.xml", &content),
        ("styles.xml", &styles),
        ("meta.xml", &meta),
        ("META-INF/manifest.xml", &manifest),
    ])
}

fn odt_fixture() -> Vec<u8> {
    let body = r#"<office:text><text:tracked-changes><text:changed-region text:id="c1"><text:deletion><office:change-info><dc:creator>张三</dc:creator><dc:date>2024-01-01</dc:date></office:change-info><text:p>删掉的句子</text:p></text:deletion></text:changed-region></text:tracked-changes><text:h text:outline-level="1">标题</text:h><text:p>本文件<text:s text:c="2"/><text:span>机密★10年</text:span></text:p><text:p>正文<office:annotation><dc:creator>李四</dc:creator><dc:date>2024-01-01</dc:date><text:p>请核对蛟龙数据</text:p></office:annotation>继续<text:note text:id="n1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>出处：北斗方案</text:p></text:note-body></text:note></text:p><text:list><text:list-item><text:p>条目<text:tab/>一<text:line-break/>二</text:p></text:list-item></text:list><text:p>结尾<text:s text:c="1000000000"/>。</text:p></office:text>"#;
    let master = r#"<style:master-page style:name="Standard"><style:header><text:p>星火计划</text:p></style:header><style:footer><text:p>第一行</text:p><text:p>天河工程</text:p></style:footer><style:footer-first><text:p>首页页脚</text:p></style:footer-first></style:master-page>"#;
    odf("application/vnd.oasis.opendocument.text", body, master, "")
}

#[test]
fn r4_3_odt_body_notes_annotations_and_tracked_deletions_are_separated() {
    let out = run("notice.odt", &odt_fixture());
    assert_eq!(out.result, Ok(()));
    let body = text_of(&out, &Part::Body);
    let lines: Vec<&str> = body.lines().collect();
    // The annotation and the footnote do not break the body's lines.
    assert_eq!(lines[0], "标题");
    assert_eq!(lines[1], "本文件  机密★10年");
    assert_eq!(lines[2], "正文继续");
    assert_eq!(&lines[3..5], ["条目\t一", "二"]);
    // A hostile space count is capped.
    assert!(
        lines[5].starts_with("结尾") && lines[5].len() < 100,
        "{}",
        lines[5]
    );
    assert_eq!(line_of(&out, &Part::Body, "机密★10年"), 2);
    assert_hit(&out, "蛟龙数据", Part::Comments, 1);
    assert_eq!(
        text_of(&out, &Part::Comments),
        "请核对蛟龙数据",
        "authors and dates are not comment text"
    );
    assert_hit(&out, "北斗方案", Part::Footnotes, 1);
    assert_eq!(
        text_of(
            &out,
            &Part::Other {
                name: "tracked-changes".into()
            }
        ),
        "删掉的句子"
    );
}

#[test]
fn r4_3_odt_master_page_header_footer_and_meta_are_placed() {
    let out = run("notice.odt", &odt_fixture());
    assert_eq!(out.result, Ok(()));
    assert_hit(
        &out,
        "星火计划",
        Part::Header {
            name: "Standard".into(),
        },
        1,
    );
    assert_hit(
        &out,
        "天河工程",
        Part::Footer {
            name: "Standard".into(),
        },
        2,
    );
    assert_eq!(
        text_of(
            &out,
            &Part::Footer {
                name: "Standard/first".into()
            }
        ),
        "首页页脚"
    );
    assert_hit(&out, "昆仑项目", Part::Properties, 1);
    assert_eq!(text_of(&out, &Part::Properties), "昆仑项目\n密级: 机密");
}

fn ods_fixture() -> Vec<u8> {
    let body = r#"<office:spreadsheet><table:table table:name="预算"><table:table-column table:number-columns-repeated="5"/><table:table-row><table:table-cell table:number-columns-repeated="3"/><table:table-cell office:value-type="string"><text:p>星火计划</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="1024"/></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell><table:covered-table-cell/><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>天河</text:p><text:p>工程</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="123"><text:p>123</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="16384"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="16383"/><table:table-cell><text:p>末格</text:p></table:table-cell></table:table-row></table:table><table:table table:name="表2"><table:table-row><table:table-cell office:value-type="string"><office:annotation><dc:creator>王五</dc:creator><text:p>核对蛟龙数据</text:p></office:annotation><text:p>北斗方案</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"#;
    odf(
        "application/vnd.oasis.opendocument.spreadsheet",
        body,
        "",
        "",
    )
}

#[test]
fn r4_3_ods_cell_addresses_count_repeated_rows_and_columns() {
    let out = run("budget.ods", &ods_fixture());
    assert_eq!(out.result, Ok(()));
    // After three repeated empty columns: D1.
    assert_hit(&out, "星火计划", sheet("预算", "D1"), 1);
    // Row 2 repeated 3 times → rows 2..4; row 5: A5, covered B5, C5 repeated twice (once).
    assert_eq!(text_of(&out, &sheet("预算", "A5")), "x");
    // The paragraphs of a cell are its lines.
    assert_eq!(text_of(&out, &sheet("预算", "C5")), "天河\n工程");
    assert_eq!(
        text_of(&out, &sheet("预算", "D5")),
        "",
        "a repeated cell is reported once"
    );
    assert_eq!(
        text_of(&out, &sheet("预算", "E5")),
        "",
        "numbers are not text"
    );
    // 5 rows, then 1 048 570 repeated rows, then the last row: 1 048 576; column 16 384: XFD.
    assert_eq!(text_of(&out, &sheet("预算", "XFD1048576")), "末格");
    assert_hit(&out, "北斗方案", sheet("表2", "A1"), 1);
    assert_hit(&out, "蛟龙数据", Part::Comments, 1);
    assert_hit(&out, "昆仑项目", Part::Properties, 1);
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
}

fn odp_fixture() -> Vec<u8> {
    let body = r#"<office:presentation><draw:page draw:name="p1"><draw:frame><draw:text-box><text:p>封面</text:p><text:p>机密★10年</text:p></draw:text-box></draw:frame><presentation:notes><draw:page-thumbnail/><draw:frame><draw:text-box><text:p>讲稿：天河工程</text:p></draw:text-box></draw:frame></presentation:notes></draw:page><draw:page draw:name="p2"><draw:frame><draw:text-box><text:p>第二页</text:p><text:p>星火计划</text:p></draw:text-box></draw:frame><office:annotation><dc:creator>王五</dc:creator><text:p>核对蛟龙数据</text:p></office:annotation></draw:page></office:presentation>"#;
    let master = r#"<style:master-page style:name="Default"><draw:frame presentation:class="footer"><draw:text-box><text:p>内部资料 北斗方案</text:p></draw:text-box></draw:frame></style:master-page>"#;
    odf(
        "application/vnd.oasis.opendocument.presentation",
        body,
        master,
        "",
    )
}

#[test]
fn r4_3_odp_slides_notes_comments_and_master_text_are_placed() {
    let out = run("brief.odp", &odp_fixture());
    assert_eq!(out.result, Ok(()));
    assert_eq!(line_of(&out, &Part::Slide { slide: 1 }, "机密★10年"), 2);
    assert_hit(&out, "天河工程", Part::Notes { slide: 1 }, 1);
    assert_hit(&out, "星火计划", Part::Slide { slide: 2 }, 2);
    assert_hit(&out, "蛟龙数据", Part::Comments, 1);
    assert_hit(
        &out,
        "北斗方案",
        Part::Other {
            name: "master-page Default".into(),
        },
        1,
    );
    assert_hit(&out, "昆仑项目", Part::Properties, 1);
}

#[test]
fn r13_5_encrypted_odf_is_reported_as_encrypted() {
    let bytes = odf(
        "application/vnd.oasis.opendocument.text",
        "<office:text><text:p>密文</text:p></office:text>",
        "",
        r#"<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"><manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="x"/></manifest:encryption-data>"#,
    );
    let out = run("secret.odt", &bytes);
    assert_eq!(
        out.result,
        Err(ExtractError::Encrypted {
            format: Format::Odt
        })
    );
    assert!(out.segs.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Legacy: XLS (BIFF8 written by hand into a compound file), DOC, encrypted OOXML

fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
    out
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// XLUnicodeString, UTF-16.
fn xl_string(s: &str) -> Vec<u8> {
    let mut out = (s.encode_utf16().count() as u16).to_le_bytes().to_vec();
    out.push(1);
    out.extend(utf16(s));
    out
}

fn compound_file(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for (name, data) in streams {
        let mut s = cf.create_stream(format!("/{name}")).unwrap();
        s.write_all(data).unwrap();
        s.flush().unwrap();
    }
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

fn xls_fixture(filepass: bool) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut d = 0x0600u16.to_le_bytes().to_vec();
        d.extend_from_slice(&dt.to_le_bytes());
        d.extend_from_slice(&[0; 12]);
        rec(0x0809, &d)
    };
    // Globals.
    let mut globals = bof(0x0005);
    if filepass {
        globals.extend(rec(0x002F, &[1, 0, 0, 0]));
    }
    globals.extend(rec(0x0042, &1200u16.to_le_bytes()));
    let sheet_name = "机密表";
    let mut boundsheet = vec![0u8; 4]; // lbPlyPos, patched below
    boundsheet.extend_from_slice(&[0, 0]); // visible worksheet
    boundsheet.push(sheet_name.encode_utf16().count() as u8);
    boundsheet.push(1);
    boundsheet.extend(utf16(sheet_name));
    let boundsheet_at = globals.len() + 4;
    globals.extend(rec(0x0085, &boundsheet));
    // SST: "普通", then "星火计划" starting compressed? No: UTF-16, split across CONTINUE.
    let mut sst = 2u32.to_le_bytes().to_vec();
    sst.extend(2u32.to_le_bytes());
    sst.extend(xl_string("普通"));
    sst.extend(4u16.to_le_bytes());
    sst.push(1);
    sst.extend(utf16("星火"));
    globals.extend(rec(0x00FC, &sst));
    let mut cont = vec![1u8];
    cont.extend(utf16("计划"));
    globals.extend(rec(0x003C, &cont));
    globals.extend(rec(0x000A, &[]));

    // The worksheet.
    let mut sheet = bof(0x0010);
    // LABELSST at row 4, col 2 (C5), string 1.
    let mut labelsst = Vec::new();
    labelsst.extend(4u16.to_le_bytes());
    labelsst.extend(2u16.to_le_bytes());
    labelsst.extend(0u16.to_le_bytes());
    labelsst.extend(1u32.to_le_bytes());
    sheet.extend(rec(0x00FD, &labelsst));
    // LABEL at A1.
    let mut label = vec![0, 0, 0, 0, 0, 0];
    label.extend(xl_string("天河工程"));
    sheet.extend(rec(0x0204, &label));
    // FORMULA at B2 with a string result, then STRING.
    let mut formula = vec![1, 0, 1, 0, 0, 0];
    formula.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
    formula.extend_from_slice(&[0; 6]);
    formula.extend_from_slice(&[0, 0]);
    sheet.extend(rec(0x0006, &formula));
    sheet.extend(rec(0x0207, &xl_string("北斗方案")));
    // A header.
    sheet.extend(rec(0x0014, &xl_string("&C机密★5年")));
    // A comment's text object.
    let mut txo = vec![0u8; 18];
    txo[10..12].copy_from_slice(&4u16.to_le_bytes());
    sheet.extend(rec(0x01B6, &txo));
    let mut txt = vec![1u8];
    txt.extend(utf16("蛟龙数据"));
    sheet.extend(rec(0x003C, &txt));
    sheet.extend(rec(0x003C, &[0; 16]));
    sheet.extend(rec(0x000A, &[]));

    let offset = globals.len() as u32;
    globals[boundsheet_at..boundsheet_at + 4].copy_from_slice(&offset.to_le_bytes());
    globals.extend(sheet);
    compound_file(&[("Workbook", &globals)])
}

#[test]
fn r4_3_xls_cells_header_and_comment_are_placed() {
    let out = run("old.xls", &xls_fixture(false));
    assert_eq!(out.result, Ok(()));
    // A shared string whose characters continue in a CONTINUE record.
    assert_hit(&out, "星火计划", sheet("机密表", "C5"), 1);
    assert_hit(&out, "天河工程", sheet("机密表", "A1"), 1);
    assert_hit(&out, "北斗方案", sheet("机密表", "B2"), 1);
    assert_hit(&out, "蛟龙数据", Part::Comments, 1);
    assert_eq!(
        text_of(
            &out,
            &Part::Header {
                name: "机密表".into()
            }
        ),
        "机密★5年"
    );
}

#[test]
fn r13_5_password_protected_xls_is_reported_as_encrypted() {
    let out = run("old.xls", &xls_fixture(true));
    assert_eq!(
        out.result,
        Err(ExtractError::Encrypted {
            format: Format::Xls
        })
    );
}

#[test]
fn r13_5_encrypted_ooxml_package_is_reported_as_encrypted() {
    let ole = compound_file(&[
        ("EncryptionInfo", &[4, 0, 4, 0]),
        ("EncryptedPackage", &[0; 64]),
    ]);
    for (name, format) in [("a.xls", Format::Xls), ("a.doc", Format::Doc)] {
        let out = run(name, &ole);
        assert_eq!(
            out.result,
            Err(ExtractError::Encrypted { format }),
            "{name}"
        );
    }
    // Given to the OOXML extractors directly (what a .docx name should lead to).
    let mut budget = Budget::start(&Limits::default());
    let mut emit = |_: &Location, _: &str| {};
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    assert_eq!(
        extract::ooxml::extract_docx(&ole, &mut ctx),
        Err(ExtractError::Encrypted {
            format: Format::Docx
        })
    );
    assert_eq!(
        extract::ooxml::extract_xlsx(&ole, &mut ctx),
        Err(ExtractError::Encrypted {
            format: Format::Xlsx
        })
    );
    assert!(extract::legacy::is_encrypted_ooxml(&ole));
    assert!(!extract::legacy::is_encrypted_ooxml(&xls_fixture(false)));
}

#[test]
fn legacy_doc_is_unsupported_not_guessed() {
    let doc = compound_file(&[("WordDocument", &[0; 64]), ("1Table", &[0; 64])]);
    let out = run("old.doc", &doc);
    assert_eq!(
        out.result,
        Err(ExtractError::Unsupported {
            format: Format::Doc
        })
    );
}

#[test]
fn r13_5_garbage_ole2_is_malformed_not_a_panic() {
    let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    bytes.extend(std::iter::repeat_n(0xFFu8, 4096));
    for name in ["x.xls", "x.doc"] {
        let out = run(name, &bytes);
        assert!(
            matches!(out.result, Err(ExtractError::Malformed { .. })),
            "{name}: {:?}",
            out.result
        );
    }
    // A truncated copy of a real workbook.
    let real = xls_fixture(false);
    for cut in [600, 1100, 1600, real.len() - 100] {
        let out = run("cut.xls", &real[..cut.min(real.len())]);
        assert!(out.result.is_err() || !out.segs.is_empty(), "cut at {cut}");
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile office files (R13.5)

#[test]
fn r13_5_docx_zip_bomb_body_is_stopped_by_the_budget() {
    let zeros = vec![0u8; 100 * 1024 * 1024];
    let bytes = build_zip_bytes(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("word/document.xml", &zeros),
    ]);
    drop(zeros);
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
    let out = run("bomb.docx", &bytes);
    assert!(
        matches!(
            out.result,
            Err(ExtractError::Budget(BudgetExceeded::Ratio { .. }))
        ),
        "{:?}",
        out.result
    );
    assert!(out.segs.is_empty());
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
}

#[test]
fn r13_5_deeply_nested_xml_is_malformed_not_a_stack_overflow() {
    let depth = 200_000;
    let doc = format!(
        "<w:document {W}><w:body>{}{}</w:body></w:document>",
        "<w:x>".repeat(depth),
        "</w:x>".repeat(depth)
    );
    let bytes = build_zip_opts(
        &[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("word/document.xml", doc.as_bytes()),
        ],
        true,
    );
    let out = run("deep.docx", &bytes);
    assert!(
        matches!(&out.result, Err(ExtractError::Malformed { format: Format::Docx, reason }) if reason.contains("nested")),
        "{:?}",
        out.result
    );
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
}

#[test]
fn r13_5_malformed_body_is_an_error_and_other_parts_are_still_read() {
    let doc = format!("<w:document {W}><w:body><w:p><w:r><w:t>abc</w:x></w:body>");
    let header = format!(r#"<w:hdr {W}>{}</w:hdr>"#, para("星火计划"));
    let out = run(
        "broken.docx",
        &docx_with(&doc, &[("word/header1.xml", &header)]),
    );
    assert!(
        matches!(&out.result, Err(ExtractError::Malformed { format: Format::Docx, reason }) if reason.contains("word/document.xml")),
        "{:?}",
        out.result
    );
    assert_hit(
        &out,
        "星火计划",
        Part::Header {
            name: "header1.xml".into(),
        },
        1,
    );
    // Truncated and garbage parts in every format end in an error or text, never a panic.
    for (name, bytes) in [
        ("t.docx", docx_fixture()),
        ("t.xlsx", xlsx_fixture()),
        ("t.pptx", pptx_fixture()),
        ("t.odt", odt_fixture()),
        ("t.ods", ods_fixture()),
        ("t.odp", odp_fixture()),
    ] {
        for cut in (0..bytes.len()).step_by(bytes.len() / 7 + 1) {
            let _ = run(name, &bytes[..cut]);
        }
    }
}

#[test]
fn r13_5_billion_laughs_and_external_entities_are_never_expanded() {
    let mut dtd = String::from(
        "<!DOCTYPE w:document [<!ENTITY lol \"lol\"><!ENTITY xxe SYSTEM \"file:///etc/passwd\">",
    );
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>");
    let doc = format!(
        "<?xml version=\"1.0\"?>{dtd}<w:document {W}><w:body><w:p><w:r><w:t>前&lol9;后&xxe;&amp;</w:t></w:r></w:p></w:body></w:document>"
    );
    let out = run("laughs.docx", &docx_with(&doc, &[]));
    assert_eq!(out.result, Ok(()));
    assert_eq!(text_of(&out, &Part::Body), "前后&");
    assert!(out.elapsed < Duration::from_secs(5));
}

#[test]
fn r13_5_office_text_is_charged_to_the_text_budget() {
    let limits = Limits {
        max_text_bytes: 10,
        ..Limits::default()
    };
    let out = run_with("report.docx", &docx_fixture(), &limits);
    assert!(
        matches!(
            out.result,
            Err(ExtractError::Budget(BudgetExceeded::TextBytes { .. }))
        ),
        "{:?}",
        out.result
    );
}

#[test]
fn r4_3_embedded_workbook_in_a_docx_is_scanned_as_a_nested_document() {
    let xlsx = xlsx_fixture();
    let doc = format!(
        "<w:document {W}><w:body>{}</w:body></w:document>",
        para("见附件")
    );
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("word/document.xml", doc.as_bytes()),
        ("word/embeddings/Microsoft_Excel_Worksheet.xlsx", &xlsx),
        (
            "word/embeddings/oleObject1.bin",
            &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
        ),
    ];
    entries.push(("word/media/image1.png", b"\x89PNG\r\n\x1a\n"));
    let out = run("letter.docx", &build_zip_bytes(&entries));
    assert_eq!(out.result, Ok(()));
    let nested: Vec<_> = out
        .segs
        .iter()
        .filter(|(l, t)| l.part == sheet("Sheet2", "C5") && t == "星火计划")
        .map(|(l, _)| l.inner.clone())
        .collect();
    assert_eq!(
        nested,
        [vec![
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx".to_owned()
        ]]
    );
    assert_eq!(
        out.skipped, 1,
        "the OLE object is an unknown binary, counted"
    );
}
