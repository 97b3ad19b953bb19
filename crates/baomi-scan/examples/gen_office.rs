//! Generates the office part of the benchmark for bench/scan/run.sh (issue 4: "files/s + MB/s on
//! an office/PDF/OFD folder"): a deterministic folder of .docx, .xlsx, .pptx, .odt, .pdf, .ofd,
//! a few .zip holding some of them and a few .eml carrying a .docx attachment.
//!
//! ```text
//! cargo run --release -p baomi-scan --example gen_office -- \
//!     --out /tmp/baomi-bench/office --files 2000 --seed 20240601 --terms 5000
//! ```
//!
//! The text is drawn like gen_corpus's (the same module, common/text.rs, with the same seed and
//! term count, so the planted code names are those of gen_corpus's `terms.txt`); some documents
//! open with a classification mark (`机密★10年`, …) in the body or the header. The files are
//! built the way the extractor tests build their fixtures — zip writer and minimal XML for
//! OOXML/ODF/OFD, a hand-written PDF with Helvetica for ASCII runs and a Type0/Identity-H font
//! with a ToUnicode CMap for the rest — so every one of them is really read, not skipped. Like
//! real documents, about half carry pictures (incompressible bytes the extractors skip), which
//! is most of the folder's bytes. Same arguments, same bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/text.rs"]
mod text;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io::{Cursor, Write};
use std::path::PathBuf;
use text::{Rng, Vocab};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const MARKS: &[&str] = &[
    "机密★10年",
    "绝密★启用前",
    "秘密★5年",
    "机密★2030年12月31日",
    "内部",
    "TOP SECRET//30Y",
];

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

/// `n` paragraphs; about one document in four opens with a mark.
fn paragraphs(rng: &mut Rng, v: &Vocab, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n + 1);
    if rng.chance(250) {
        out.push(MARKS[rng.below(MARKS.len())].to_owned());
    }
    let mut buf = String::new();
    while out.len() < n.max(1) {
        buf.clear();
        text::line(rng, v, &mut buf);
        out.push(buf.trim_end().to_owned());
    }
    out
}

fn short(rng: &mut Rng, v: &Vocab) -> String {
    let mut s = String::new();
    if rng.chance(500) {
        text::sentence_zh(rng, v, &mut s);
    } else {
        text::sentence_en(rng, v, &mut s);
    }
    s.trim_end().chars().take(40).collect()
}

/// Pseudo-random bytes standing for a picture (a PNG signature, then noise).
fn picture(rng: &mut Rng) -> Vec<u8> {
    let len = 16 * 1024 + rng.zipf(800 * 1024);
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    while b.len() < len {
        b.extend_from_slice(&rng.next().to_le_bytes());
    }
    b
}

fn pictures(rng: &mut Rng) -> Vec<Vec<u8>> {
    if rng.chance(600) {
        (0..1 + rng.below(2)).map(|_| picture(rng)).collect()
    } else {
        Vec::new()
    }
}

/// Zips `members`; pictures and the ODF `mimetype` are stored, the XML deflated.
fn zip(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        let stored = name == "mimetype" || name.ends_with(".png");
        let method = if stored {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let opts = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(zip::DateTime::default());
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn m(name: &str, data: impl Into<Vec<u8>>) -> (String, Vec<u8>) {
    (name.to_owned(), data.into())
}

// ---------------------------------------------------------------------------------------------
// OOXML

const CT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="png" ContentType="image/png"/></Types>"#;
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn rels(targets: &[(&str, String)]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, (typ, target)) in targets.iter().enumerate() {
        write!(
            s,
            r#"<Relationship Id="rId{}" Type="{REL}/{typ}" Target="{target}"/>"#,
            i + 1
        )
        .unwrap();
    }
    s.push_str("</Relationships>");
    s
}

fn core(title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:creator>保密办</dc:creator></cp:coreProperties>"#,
        esc(title)
    )
}

fn w_para(t: &str) -> String {
    format!(
        r#"<w:p><w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
        esc(t)
    )
}

fn docx(rng: &mut Rng, v: &Vocab) -> Vec<u8> {
    let n = 8 + rng.zipf(600);
    let paras = paragraphs(rng, v, n);
    let mut body = String::new();
    for (i, p) in paras.iter().enumerate() {
        if i > 0 && i % 25 == 0 {
            // A small table now and then.
            body.push_str("<w:tbl>");
            for _ in 0..3 {
                body.push_str("<w:tr>");
                for _ in 0..3 {
                    write!(body, "<w:tc>{}</w:tc>", w_para(&short(rng, v))).unwrap();
                }
                body.push_str("</w:tr>");
            }
            body.push_str("</w:tbl>");
        }
        body.push_str(&w_para(p));
    }
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    let header_text = if rng.chance(200) {
        MARKS[rng.below(MARKS.len())].to_owned()
    } else {
        short(rng, v)
    };
    let header = format!(r#"<w:hdr {W}>{}</w:hdr>"#, w_para(&header_text));
    let footer = format!(r#"<w:ftr {W}>{}</w:ftr>"#, w_para("第 1 页"));
    let pics = pictures(rng);
    let mut doc_rels = vec![
        ("header", "header1.xml".to_owned()),
        ("footer", "footer1.xml".to_owned()),
    ];
    for i in 0..pics.len() {
        doc_rels.push(("image", format!("media/image{}.png", i + 1)));
    }
    let mut members = vec![
        m("[Content_Types].xml", CT),
        m(
            "_rels/.rels",
            rels(&[("officeDocument", "word/document.xml".into())]),
        ),
        m("word/document.xml", doc),
        m("word/_rels/document.xml.rels", rels(&doc_rels)),
        m("word/header1.xml", header),
        m("word/footer1.xml", footer),
        m("docProps/core.xml", core(&short(rng, v))),
    ];
    for (i, p) in pics.into_iter().enumerate() {
        members.push(m(&format!("word/media/image{}.png", i + 1), p));
    }
    zip(&members)
}

fn col(c: usize) -> String {
    let mut s = String::new();
    let mut c = c + 1;
    while c > 0 {
        c -= 1;
        s.insert(0, (b'A' + (c % 26) as u8) as char);
        c /= 26;
    }
    s
}

fn xlsx(rng: &mut Rng, v: &Vocab) -> Vec<u8> {
    let sheets = 1 + rng.below(3);
    let mut sst: Vec<String> = Vec::new();
    let mut members = vec![m("[Content_Types].xml", CT)];
    let mut wb = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut wb_rels = Vec::new();
    for s in 0..sheets {
        write!(
            wb,
            r#"<sheet name="Sheet{}" sheetId="{}" r:id="rId{}"/>"#,
            s + 1,
            s + 1,
            s + 1
        )
        .unwrap();
        wb_rels.push(("worksheet", format!("worksheets/sheet{}.xml", s + 1)));
        let rows = 10 + rng.zipf(800);
        let cols = 3 + rng.below(6);
        let mut data = String::new();
        for r in 0..rows {
            write!(data, r#"<row r="{}">"#, r + 1).unwrap();
            for c in 0..cols {
                let addr = format!("{}{}", col(c), r + 1);
                if r == 0 && c == 0 && rng.chance(200) {
                    sst.push(MARKS[rng.below(MARKS.len())].to_owned());
                    write!(data, r#"<c r="{addr}" t="s"><v>{}</v></c>"#, sst.len() - 1).unwrap();
                } else if c == 0 || rng.chance(400) {
                    let t = if rng.chance(300) {
                        let mut p = String::new();
                        text::line(rng, v, &mut p);
                        p.trim_end().to_owned()
                    } else {
                        short(rng, v)
                    };
                    sst.push(t);
                    write!(data, r#"<c r="{addr}" t="s"><v>{}</v></c>"#, sst.len() - 1).unwrap();
                } else {
                    write!(
                        data,
                        r#"<c r="{addr}"><v>{}.{}</v></c>"#,
                        rng.below(100_000),
                        rng.below(100)
                    )
                    .unwrap();
                }
            }
            data.push_str("</row>");
        }
        members.push(m(
            &format!("xl/worksheets/sheet{}.xml", s + 1),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#
            ),
        ));
    }
    wb.push_str("</sheets></workbook>");
    wb_rels.push(("sharedStrings", "sharedStrings.xml".to_owned()));
    let mut sst_xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">"#,
        sst.len()
    );
    for t in &sst {
        write!(sst_xml, "<si><t>{}</t></si>", esc(t)).unwrap();
    }
    sst_xml.push_str("</sst>");
    members.push(m(
        "_rels/.rels",
        rels(&[("officeDocument", "xl/workbook.xml".into())]),
    ));
    members.push(m("xl/workbook.xml", wb));
    members.push(m("xl/_rels/workbook.xml.rels", rels(&wb_rels)));
    members.push(m("xl/sharedStrings.xml", sst_xml));
    members.push(m("docProps/core.xml", core(&short(rng, v))));
    zip(&members)
}

fn a_paras(ps: &[String]) -> String {
    ps.iter()
        .map(|t| format!("<a:p><a:r><a:t>{}</a:t></a:r></a:p>", esc(t)))
        .collect()
}

const P_NS: &str = r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

fn pptx(rng: &mut Rng, v: &Vocab) -> Vec<u8> {
    let slides = 3 + rng.zipf(60);
    let mut members = vec![
        m("[Content_Types].xml", CT),
        m(
            "_rels/.rels",
            rels(&[("officeDocument", "ppt/presentation.xml".into())]),
        ),
    ];
    let mut ids = String::new();
    let mut pres_rels = Vec::new();
    let mut pics = pictures(rng).into_iter();
    for s in 1..=slides {
        write!(ids, r#"<p:sldId id="{}" r:id="rId{s}"/>"#, 255 + s).unwrap();
        pres_rels.push(("slide", format!("slides/slide{s}.xml")));
        let title = vec![if s == 1 && rng.chance(250) {
            MARKS[rng.below(MARKS.len())].to_owned()
        } else {
            short(rng, v)
        }];
        let n = 2 + rng.below(6);
        let bullets = paragraphs(rng, v, n);
        members.push(m(
            &format!("ppt/slides/slide{s}.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><p:sld {P_NS}><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>{}</p:txBody></p:sp><p:sp><p:txBody><a:bodyPr/>{}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#,
                a_paras(&title),
                a_paras(&bullets)
            ),
        ));
        let mut srels = Vec::new();
        if rng.chance(400) {
            srels.push(("notesSlide", format!("../notesSlides/notesSlide{s}.xml")));
            let n = 1 + rng.below(3);
            let notes = paragraphs(rng, v, n);
            members.push(m(
                &format!("ppt/notesSlides/notesSlide{s}.xml"),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><p:notes {P_NS}><p:cSld><p:spTree><p:sp><p:txBody>{}</p:txBody></p:sp></p:spTree></p:cSld></p:notes>"#,
                    a_paras(&notes)
                ),
            ));
        }
        if let Some(p) = pics.next() {
            srels.push(("image", format!("../media/image{s}.png")));
            members.push(m(&format!("ppt/media/image{s}.png"), p));
        }
        if !srels.is_empty() {
            members.push(m(
                &format!("ppt/slides/_rels/slide{s}.xml.rels"),
                rels(&srels),
            ));
        }
    }
    members.push(m(
        "ppt/presentation.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><p:presentation {P_NS}><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>"#
        ),
    ));
    members.push(m("ppt/_rels/presentation.xml.rels", rels(&pres_rels)));
    members.push(m("docProps/core.xml", core(&short(rng, v))));
    zip(&members)
}

// ---------------------------------------------------------------------------------------------
// ODF

const ODF_NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0""#;

fn odt(rng: &mut Rng, v: &Vocab) -> Vec<u8> {
    let n = 8 + rng.zipf(600);
    let paras = paragraphs(rng, v, n);
    let mut body = String::from("<office:text>");
    for (i, p) in paras.iter().enumerate() {
        if i % 30 == 1 {
            write!(
                body,
                r#"<text:h text:outline-level="1">{}</text:h>"#,
                esc(&short(rng, v))
            )
            .unwrap();
        }
        write!(body, "<text:p>{}</text:p>", esc(p)).unwrap();
    }
    body.push_str("</office:text>");
    let header = if rng.chance(200) {
        MARKS[rng.below(MARKS.len())].to_owned()
    } else {
        short(rng, v)
    };
    let mime = "application/vnd.oasis.opendocument.text";
    let pics = pictures(rng);
    let mut manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#
    );
    for i in 0..pics.len() {
        write!(
            manifest,
            r#"<manifest:file-entry manifest:full-path="Pictures/image{}.png" manifest:media-type="image/png"/>"#,
            i + 1
        )
        .unwrap();
    }
    manifest.push_str("</manifest:manifest>");
    let mut members = vec![
        m("mimetype", mime),
        m(
            "content.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3"><office:body>{body}</office:body></office:document-content>"#
            ),
        ),
        m(
            "styles.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><office:document-styles {ODF_NS}><office:master-styles><style:master-page style:name="Standard"><style:header><text:p>{}</text:p></style:header></style:master-page></office:master-styles></office:document-styles>"#,
                esc(&header)
            ),
        ),
        m(
            "meta.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODF_NS}><office:meta><dc:title>{}</dc:title></office:meta></office:document-meta>"#,
                esc(&short(rng, v))
            ),
        ),
        m("META-INF/manifest.xml", manifest),
    ];
    for (i, p) in pics.into_iter().enumerate() {
        members.push(m(&format!("Pictures/image{}.png", i + 1), p));
    }
    zip(&members)
}

// ---------------------------------------------------------------------------------------------
// PDF

fn pdf_string(s: &str) -> String {
    let mut o = String::from("(");
    for c in s.chars() {
        if matches!(c, '(' | ')' | '\\') {
            o.push('\\');
        }
        o.push(c);
    }
    o.push(')');
    o
}

fn utf16_hex(s: &str) -> String {
    let mut h = String::from("<");
    for u in s.encode_utf16() {
        write!(h, "{u:04X}").unwrap();
    }
    h.push('>');
    h
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn stream(dict_extra: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< /Length {} {dict_extra} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// Objects 1..=n, an xref table with the real offsets, a trailer (as tests/pdf.rs writes them).
fn pdf_file(objects: &[Vec<u8>], info: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        writeln!(out, "{} 0 obj", i + 1).unwrap();
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for o in offsets {
        writeln!(out, "{o:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    out
}

/// A PDF: ASCII runs in Helvetica, everything else as UTF-16 code units in an Identity-H
/// Type0 font whose ToUnicode maps every code to itself (bfranges per high byte used).
fn pdf(rng: &mut Rng, v: &Vocab) -> Vec<u8> {
    const LINES: usize = 40;
    let n = 8 + rng.zipf(600);
    let paras = paragraphs(rng, v, n);
    let pages: Vec<&[String]> = paras.chunks(LINES).collect();
    let mut high = BTreeSet::new();
    let mut contents = Vec::new();
    for page in &pages {
        let mut c = String::from("BT 14 TL 50 800 Td\n");
        for line in *page {
            let mut run = String::new();
            let mut ascii = true;
            let flush = |run: &mut String, ascii: bool, c: &mut String| {
                if run.is_empty() {
                    return;
                }
                if ascii {
                    writeln!(c, "/F1 10 Tf {} Tj", pdf_string(run)).unwrap();
                } else {
                    writeln!(c, "/F2 10 Tf {} Tj", utf16_hex(run)).unwrap();
                }
                run.clear();
            };
            for ch in line.chars() {
                let is_ascii = ch.is_ascii();
                if is_ascii != ascii {
                    flush(&mut run, ascii, &mut c);
                    ascii = is_ascii;
                }
                if !is_ascii {
                    for u in ch.encode_utf16(&mut [0; 2]) {
                        high.insert(*u >> 8);
                    }
                }
                run.push(ch);
            }
            flush(&mut run, ascii, &mut c);
            c.push_str("T*\n");
        }
        c.push_str("ET\n");
        contents.push(c);
    }
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let high: Vec<u16> = high.into_iter().collect();
    for block in high.chunks(100) {
        writeln!(cmap, "{} beginbfrange", block.len()).unwrap();
        for h in block {
            writeln!(cmap, "<{h:02X}00> <{h:02X}FF> <{h:02X}00>").unwrap();
        }
        cmap.push_str("endbfrange\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");

    // 1 catalog, 2 pages, 3 F1, 4 F2, 5 CID font, 6 ToUnicode, 7 picture, 8 info,
    // then (page, content) pairs from 9.
    let first = 9;
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", first + 2 * i))
        .collect();
    let pic = pictures(rng).into_iter().next();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H \
          /DescendantFonts [5 0 R] /ToUnicode 6 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun \
          /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
            .to_vec(),
        stream("/Filter /FlateDecode", &zlib(cmap.as_bytes())),
        match &pic {
            Some(p) => stream(
                "/Type /XObject /Subtype /Image /Width 640 /Height 480 /ColorSpace /DeviceRGB \
                 /BitsPerComponent 8 /Filter /DCTDecode",
                p,
            ),
            None => b"null".to_vec(),
        },
        format!(
            "<< /Title {} /Author {} /Producer (gen_office) >>",
            pdf_string(
                &short(rng, v)
                    .chars()
                    .filter(char::is_ascii)
                    .collect::<String>()
            ),
            utf16_hex(&format!("\u{FEFF}{}", short(rng, v)))
        )
        .into_bytes(),
    ];
    for (i, c) in contents.iter().enumerate() {
        let mut c = c.clone();
        let xobj = if i == 0 && pic.is_some() {
            c.push_str("q 200 0 0 150 50 50 cm /Im1 Do Q\n");
            " /XObject << /Im1 7 0 R >>"
        } else {
            ""
        };
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >>{xobj} >> /Contents {} 0 R >>",
                first + 2 * i + 1
            )
            .into_bytes(),
        );
        objects.push(stream("/Filter /FlateDecode", &zlib(c.as_bytes())));
    }
    pdf_file(&objects, 8)
}

// ---------------------------------------------------------------------------------------------
// OFD

const OFD_NS: &str = r#"xmlns:ofd="http://www.ofdspec.org/2016""#;

fn ofd(rng: &mut Rng, v: &Vocab) -> Vec<u8> {
    const LINES: usize = 40;
    let n = 8 + rng.zipf(600);
    let paras = paragraphs(rng, v, n);
    let pages: Vec<&[String]> = paras.chunks(LINES).collect();
    let mut members = vec![m(
        "OFD.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {OFD_NS} Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>{:016x}</ofd:DocID><ofd:Title>{}</ofd:Title><ofd:Author>办公厅</ofd:Author></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#,
            rng.next(),
            esc(&short(rng, v))
        ),
    )];
    let mut list = String::new();
    let mut id = 100;
    for (p, lines) in pages.iter().enumerate() {
        write!(
            list,
            r#"<ofd:Page ID="{}" BaseLoc="Pages/Page_{p}/Content.xml"/>"#,
            10 + p
        )
        .unwrap();
        let mut objs = String::new();
        for (l, line) in lines.iter().enumerate() {
            id += 1;
            write!(
                objs,
                r#"<ofd:TextObject ID="{id}" Boundary="20 {} 170 6" Font="3" Size="4"><ofd:TextCode X="0" Y="4">{}</ofd:TextCode></ofd:TextObject>"#,
                20 + 6 * l,
                esc(line)
            )
            .unwrap();
        }
        members.push(m(
            &format!("Doc_0/Pages/Page_{p}/Content.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page {OFD_NS}><ofd:Content><ofd:Layer ID="{}">{objs}</ofd:Layer></ofd:Content></ofd:Page>"#,
                1000 + p
            ),
        ));
    }
    members.push(m(
        "Doc_0/Document.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Document {OFD_NS}><ofd:CommonData><ofd:MaxUnitID>{id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>{list}</ofd:Pages></ofd:Document>"#
        ),
    ));
    for (i, p) in pictures(rng).into_iter().enumerate() {
        members.push(m(&format!("Doc_0/Res/image{i}.png"), p));
    }
    zip(&members)
}

// ---------------------------------------------------------------------------------------------
// ZIP and EML

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 * 2 + 4);
    for line in data.chunks(57) {
        for c in line.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= c.len() {
                    s.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s.push_str("\r\n");
    }
    s
}

fn eml(rng: &mut Rng, v: &Vocab, idx: usize) -> Vec<u8> {
    let n = 3 + rng.below(12);
    let body = paragraphs(rng, v, n).join("\r\n");
    let attachment = docx(rng, v);
    format!(
        "From: office@example.invalid\r\nTo: staff@example.invalid\r\nSubject: Report {idx}\r\n\
         Date: Mon, 1 Jan 2024 08:00:00 +0800\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b-{idx}\"\r\n\r\n\
         --b-{idx}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\
         --b-{idx}\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name=\"report-{idx}.docx\"\r\n\
         Content-Disposition: attachment; filename=\"report-{idx}.docx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\
         --b-{idx}--\r\n",
        base64(body.as_bytes()),
        base64(&attachment)
    )
    .into_bytes()
}

fn main() {
    let mut out_dir = PathBuf::from("/tmp/baomi-bench/office");
    let mut files: usize = 2000;
    let mut terms_n: usize = 5000;
    let mut seed: u64 = 20240601;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--out" => out_dir = PathBuf::from(val()),
            "--files" => files = val().parse().expect("--files N"),
            "--terms" => terms_n = val().parse().expect("--terms N"),
            "--seed" => seed = val().parse().expect("--seed N"),
            other => panic!("unknown argument {other}"),
        }
    }
    // The same vocabulary and terms as gen_corpus with these arguments; the documents' own
    // stream is split off so that the text does not depend on --files.
    let (_, vocab, _) = text::build(seed, terms_n);
    let mut rng = Rng(seed ^ 0x0FF1_CE00_0FF1_CE00);
    for f in 0..files {
        let dir = out_dir.join(format!("dept-{:02}", f % 20));
        fs::create_dir_all(&dir).expect("create the office folder");
        let r = rng.below(1000);
        let (ext, bytes) = match r {
            0..=279 => ("docx", docx(&mut rng, &vocab)),
            280..=419 => ("xlsx", xlsx(&mut rng, &vocab)),
            420..=519 => ("pptx", pptx(&mut rng, &vocab)),
            520..=619 => ("odt", odt(&mut rng, &vocab)),
            620..=819 => ("pdf", pdf(&mut rng, &vocab)),
            820..=949 => ("ofd", ofd(&mut rng, &vocab)),
            950..=979 => {
                let k = 2 + rng.below(3);
                let mut members = Vec::new();
                for i in 0..k {
                    let (e, b) = match rng.below(4) {
                        0 => ("docx", docx(&mut rng, &vocab)),
                        1 => ("pdf", pdf(&mut rng, &vocab)),
                        2 => ("xlsx", xlsx(&mut rng, &vocab)),
                        _ => ("ofd", ofd(&mut rng, &vocab)),
                    };
                    members.push((format!("附件/doc-{i}.{e}"), b));
                }
                ("zip", zip(&members))
            }
            _ => ("eml", eml(&mut rng, &vocab, f)),
        };
        fs::write(dir.join(format!("doc-{f:05}.{ext}")), bytes).expect("write a document");
    }
}
