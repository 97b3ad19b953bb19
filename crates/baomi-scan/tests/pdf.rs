//! PDF extraction (DOMAIN R13.5: the sieve reads PDF text; R1.3 marks; R4.3/R8 keywords):
//! fixtures are written by hand here — objects, an xref table with exact offsets — so every
//! byte the extractor sees is known.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::extract::{extract, ExtractCtx, ExtractError, Location, NestedFailure, Part};
use baomi_scan::limits::{Budget, BudgetExceeded, Limits};
use baomi_scan::matcher::{Keyword, MatchOptions, Matcher, Rules, Severity};
use flate2::{Compress, Compression, FlushCompress};
use std::io::Write;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// A tiny PDF writer.

/// Writes objects 1..=n (bodies given without `n 0 obj`/`endobj`), an xref table with the
/// real offsets and a trailer.
fn pdf(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
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
        "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    out
}

fn obj(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn stream(dict_extra: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< /Length {} {dict_extra} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn utf16_hex(s: &str) -> String {
    let mut h = String::from("<FEFF");
    for u in s.encode_utf16() {
        h.push_str(&format!("{u:04X}"));
    }
    h.push('>');
    h
}

/// A zlib stream that inflates to `total` spaces (a multiple of 1 MiB) without ever holding
/// them: one 1 MiB block compressed with a full flush is self-contained, so it is repeated.
fn zlib_bomb(total: u64) -> Vec<u8> {
    let chunk = vec![b' '; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(1 << 16);
    c.compress_vec(&chunk, &mut block, FlushCompress::Full)
        .unwrap();
    let mut out = vec![0x78, 0xDA];
    for _ in 0..total >> 20 {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&[0x03, 0x00]); // final empty fixed-Huffman block
    let n = u128::from(total);
    let a = (1 + 32 * n) % 65521;
    let b = (n + 32 * n * (n + 1) / 2) % 65521;
    out.extend_from_slice(&(((b as u32) << 16) | a as u32).to_be_bytes());
    out
}

// ---------------------------------------------------------------------------------------------
// The main fixture: page 1 in Helvetica, page 2 in an Identity-H CID font with a ToUnicode
// CMap and a FlateDecode content stream, an annotation on page 2, document information.

const PAGE1: &str = "BT /F1 12 Tf 72 770 Td (TOP SECRET//30Y) Tj \
    0 -20 Td [(code name: ) (Blue) -30 (bird)] TJ \
    0 -20 Td (alpha) Tj 60 0 Td (beta) Tj ET";

/// CIDs: 1 机, 2 密, 3 ★, 4 年 (bfchar); 0x10–0x19 digits (bfrange); 0x20–0x23 东风计划
/// (bfrange with an array).
const TOUNICODE: &str = "/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
4 beginbfchar
<0001> <673A>
<0002> <5BC6>
<0003> <2605>
<0004> <5E74>
endbfchar
2 beginbfrange
<0010> <0019> <0030>
<0020> <0023> [<4E1C> <98CE> <8BA1> <5212>]
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end";

/// 机密★10年 on one line; 东风计划 on the next, in two pieces with a small kern.
const PAGE2: &str = "BT /F2 14 Tf 72 770 Td <000100020003001100100004> Tj \
    0 -30 Td [<00200021> -50 <00220023>] TJ ET";

fn fixture_objects() -> Vec<Vec<u8>> {
    let annot = format!(
        "<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] /T (Reviewer) /Contents {} >>",
        utf16_hex("请核对东风计划的密级")
    );
    vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>"),
        obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
             /Resources << /Font << /F1 5 0 R >> >> /Contents 6 0 R >>"),
        obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
             /Resources << /Font << /F2 7 0 R >> >> /Contents 8 0 R /Annots [11 0 R] >>"),
        obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
        stream("", PAGE1.as_bytes()),
        obj(
            "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H \
             /DescendantFonts [9 0 R] /ToUnicode 10 0 R >>",
        ),
        stream("/Filter /FlateDecode", &zlib(PAGE2.as_bytes())),
        obj("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
             /DW 1000 /W [16 25 500] >>"),
        stream("", TOUNICODE.as_bytes()),
        obj(&annot),
        obj(&format!(
            "<< /Title (Quarterly report) /Author {} >>",
            utf16_hex("保密办")
        )),
    ]
}

fn fixture() -> Vec<u8> {
    pdf(&fixture_objects(), "/Info 12 0 R")
}

// ---------------------------------------------------------------------------------------------
// Running the extractor.

struct Outcome {
    result: Result<(), ExtractError>,
    segments: Vec<(Location, String)>,
    nested_failures: Vec<NestedFailure>,
    elapsed: Duration,
}

fn run_with(name: &str, bytes: &[u8], limits: &Limits) -> Outcome {
    let mut budget = Budget::start(limits);
    let mut segments = Vec::new();
    let mut emit = |loc: &Location, text: &str| segments.push((loc.clone(), text.to_owned()));
    let start = Instant::now();
    let (result, nested_failures) = {
        let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
        let r = extract(name, bytes, &mut ctx);
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
    run_with("doc.pdf", bytes, &Limits::default())
}

fn text_of(o: &Outcome, part: &Part) -> String {
    o.segments
        .iter()
        .filter(|(l, _)| &l.part == part && l.inner.is_empty())
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

/// Every (part, matched text) the matcher finds in the segments.
fn hits(o: &Outcome, m: &Matcher) -> Vec<(Part, String)> {
    let mut out = Vec::new();
    for (loc, text) in &o.segments {
        let mut hs = Vec::new();
        m.find(text, &mut hs);
        for h in hs {
            out.push((loc.part.clone(), text[h.start..h.end].to_owned()));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// What is found where.

#[test]
fn r13_5_pdf_page_text_lands_on_its_page() {
    let o = run(&fixture());
    o.result.as_ref().unwrap();
    assert_eq!(
        text_of(&o, &Part::Page { page: 1 }),
        "TOP SECRET//30Y\ncode name: Bluebird\nalpha beta"
    );
    assert_eq!(text_of(&o, &Part::Page { page: 2 }), "机密★10年\n东风计划");
}

#[test]
fn r1_3_marks_in_english_and_chinese_are_extracted_exactly_and_hit() {
    let o = run(&fixture());
    let m = keywords(&["TOP SECRET//30Y", "机密★10年", "Bluebird", "东风计划"]);
    let found = hits(&o, &m);
    assert_eq!(
        found,
        vec![
            (Part::Page { page: 1 }, "TOP SECRET//30Y".to_owned()),
            (Part::Page { page: 1 }, "Bluebird".to_owned()),
            (Part::Page { page: 2 }, "机密★10年".to_owned()),
            (Part::Page { page: 2 }, "东风计划".to_owned()),
            (Part::Annotation { page: Some(2) }, "东风计划".to_owned()),
        ]
    );
}

#[test]
fn r13_5_pdf_annotation_contents_and_author_are_an_annotation_of_page_2() {
    let o = run(&fixture());
    assert_eq!(
        text_of(&o, &Part::Annotation { page: Some(2) }),
        "Reviewer\n请核对东风计划的密级"
    );
    assert_eq!(text_of(&o, &Part::Annotation { page: Some(1) }), "");
}

#[test]
fn r13_5_pdf_document_information_is_properties() {
    let o = run(&fixture());
    assert_eq!(text_of(&o, &Part::Properties), "Quarterly report\n保密办");
}

#[test]
fn r13_5_form_xobjects_and_free_text_appearances_are_read() {
    // A header drawn through a form XObject, and a FreeText annotation whose only text is its
    // appearance stream.
    let header = "BT /F1 10 Tf 1 0 0 1 72 800 Tm (SECRET//2031-06-30) Tj ET";
    let ap = "BT /F1 9 Tf 2 2 Td (Reviewed: draft) Tj ET";
    let objects = vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj(
            "<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 4 0 R >> \
             /XObject << /Hdr 5 0 R >> >> >>",
        ),
        obj("<< /Type /Page /Parent 2 0 R /Contents 6 0 R /Annots [7 0 R] >>"),
        obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 595 842]",
            header.as_bytes(),
        ),
        stream("", b"q /Hdr Do Q BT /F1 12 Tf 72 700 Td (Body text) Tj ET"),
        obj("<< /Type /Annot /Subtype /FreeText /Rect [0 0 100 20] /AP << /N 8 0 R >> >>"),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 100 20] \
             /Resources << /Font << /F1 4 0 R >> >>",
            ap.as_bytes(),
        ),
    ];
    let o = run(&pdf(&objects, ""));
    o.result.as_ref().unwrap();
    assert_eq!(
        text_of(&o, &Part::Page { page: 1 }),
        "SECRET//2031-06-30\nBody text"
    );
    assert_eq!(
        text_of(&o, &Part::Annotation { page: Some(1) }),
        "Reviewed: draft"
    );
}

#[test]
fn r13_5_simple_font_differences_and_predefined_gbk_cmap_decode() {
    // /Differences with glyph names (incl. uniXXXX) over WinAnsi; a Type0 font with the
    // predefined GBK-EUC-H CMap whose codes are GBK bytes.
    let (gbk, _, _) = encoding_rs::GBK.encode("绝密★长期");
    let mut hex = String::new();
    for b in gbk.iter() {
        hex.push_str(&format!("{b:02X}"));
    }
    let content =
        format!("BT /F1 12 Tf 72 770 Td (\\001\\002ab) Tj ET BT /F2 12 Tf 72 700 Td <{hex}> Tj ET");
    let objects = vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj(
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> \
             /Contents 6 0 R >>",
        ),
        obj(
            "<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+SimSun /FirstChar 1 \
             /Widths [1000 1000] /Encoding << /BaseEncoding /WinAnsiEncoding \
             /Differences [1 /uni7EDD /uni5BC6] >> >>",
        ),
        obj(
            "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /GBK-EUC-H \
             /DescendantFonts [7 0 R] >>",
        ),
        stream("", content.as_bytes()),
        obj(
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> >>",
        ),
    ];
    let o = run(&pdf(&objects, ""));
    o.result.as_ref().unwrap();
    assert_eq!(text_of(&o, &Part::Page { page: 1 }), "绝密ab\n绝密★长期");
}

#[test]
fn r13_5_pdf_with_empty_user_password_is_decrypted_and_with_a_password_is_reported() {
    let encrypt = |user: &str| {
        let mut doc = lopdf::Document::load_mem(&fixture()).unwrap();
        let id = lopdf::Object::String(
            b"0123456789abcdef".to_vec(),
            lopdf::StringFormat::Hexadecimal,
        );
        doc.trailer
            .set("ID", lopdf::Object::Array(vec![id.clone(), id]));
        let state = lopdf::EncryptionState::try_from(lopdf::EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password: user,
            key_length: 128,
            permissions: lopdf::Permissions::all(),
        })
        .unwrap();
        doc.encrypt(&state).unwrap();
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    };
    let open = run(&encrypt(""));
    open.result.as_ref().unwrap();
    assert_eq!(
        text_of(&open, &Part::Page { page: 2 }),
        "机密★10年\n东风计划"
    );
    let locked = run(&encrypt("secret"));
    assert!(
        matches!(locked.result, Err(ExtractError::Encrypted { .. })),
        "{:?}",
        locked.result
    );
    assert!(locked.segments.is_empty());
}

#[test]
fn r13_5_embedded_files_are_scanned_as_nested_members() {
    let inner = b"attachment mentions Bluebird\n";
    let objects = vec![
        obj("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 5 0 R >> >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"),
        stream("", b""),
        obj("<< /Names [(notes.txt) 6 0 R] >>"),
        obj("<< /Type /Filespec /F (notes.txt) /UF (notes.txt) /EF << /F 7 0 R >> >>"),
        stream("/Type /EmbeddedFile /Filter /FlateDecode", &zlib(inner)),
    ];
    let o = run(&pdf(&objects, ""));
    o.result.as_ref().unwrap();
    // The member goes through the format dispatcher under inner = ["notes.txt"]: its text
    // arrives there, or (while the plain-text extractor is still a stub) it is recorded as a
    // nested failure by that name. Either way it was reached.
    let inner = vec!["notes.txt".to_owned()];
    let texts: Vec<&str> = o
        .segments
        .iter()
        .filter(|(l, _)| l.inner == inner)
        .map(|(_, t)| t.as_str())
        .collect();
    let failed = o.nested_failures.iter().any(|f| f.inner == inner);
    assert!(
        texts.iter().any(|t| t.contains("Bluebird")) || failed,
        "{texts:?} {:?}",
        o.nested_failures
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile input: every case ends, in bounded time, with Ok or a typed error.

fn assert_bounded(o: &Outcome, what: &str) {
    eprintln!(
        "{what}: {:?} in {:?}; {} segments",
        o.result,
        o.elapsed,
        o.segments.len()
    );
    assert!(
        o.elapsed < Duration::from_secs(20),
        "{what} took {:?}",
        o.elapsed
    );
    assert!(
        !matches!(o.result, Err(ExtractError::Internal { .. })),
        "{what}: {:?}",
        o.result
    );
}

#[test]
fn r13_5_truncated_pdfs_are_bounded_failures_or_partial_text() {
    let full = fixture();
    for cut in [9, 50, full.len() / 3, full.len() / 2, full.len() - 40] {
        let o = run(&full[..cut]);
        assert_bounded(&o, &format!("cut at {cut}"));
    }
    // Cut just before the xref: lopdf rebuilds the table by scanning, and page 1 still reads.
    let xref_at = memchr::memmem::find(&full, b"xref").unwrap();
    let o = run(&full[..xref_at]);
    assert_bounded(&o, "no xref");
    assert_eq!(
        text_of(&o, &Part::Page { page: 1 }),
        "TOP SECRET//30Y\ncode name: Bluebird\nalpha beta"
    );
}

#[test]
fn r13_5_garbage_after_the_pdf_header_is_a_malformed_pdf() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.push((x >> 24) as u8);
    }
    let o = run(&bytes);
    assert_bounded(&o, "garbage");
    assert!(
        matches!(o.result, Err(ExtractError::Malformed { .. })),
        "{:?}",
        o.result
    );
}

#[test]
fn r13_5_flate_bomb_content_stream_is_refused_by_ratio_early() {
    // 500 MiB of spaces in a ~0.5 MiB content stream.
    let bomb = zlib_bomb(500 << 20);
    let mut objects = fixture_objects();
    objects[5] = stream("/Filter /FlateDecode", &bomb);
    let o = run(&pdf(&objects, ""));
    assert_bounded(&o, "flate bomb");
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
    // Refused before 1 MiB was inflated: with the inflate budget cut to 1 MiB it is still
    // the ratio that stops it, not the budget.
    let small = Limits {
        max_inflated_bytes: 1 << 20,
        ..Limits::default()
    };
    let o = run_with("bomb.pdf", &pdf(&objects, ""), &small);
    assert!(
        matches!(
            o.result,
            Err(ExtractError::Budget(BudgetExceeded::Ratio { .. }))
        ),
        "{:?}",
        o.result
    );
}

#[test]
fn r13_5_flate_bomb_behind_a_filter_chain_is_refused() {
    // ASCIIHex over Flate goes through lopdf's bounded decoder: the cap is max_ratio × the
    // encoded size, so a 64 MiB bomb stops at ~26 MiB.
    let bomb = zlib_bomb(64 << 20);
    let hex: String = bomb.iter().map(|b| format!("{b:02X}")).collect();
    let mut objects = fixture_objects();
    objects[5] = stream("/Filter [/ASCIIHexDecode /FlateDecode]", hex.as_bytes());
    let o = run(&pdf(&objects, ""));
    assert_bounded(&o, "chained bomb");
    assert!(
        matches!(
            o.result,
            Err(ExtractError::Budget(BudgetExceeded::Ratio { .. }))
        ),
        "{:?}",
        o.result
    );
}

#[test]
fn r13_5_object_stream_bomb_is_refused_while_loading() {
    let bomb = zlib_bomb(300 << 20);
    let mut objects = fixture_objects();
    objects.push(stream(
        "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
        &bomb,
    ));
    let o = run(&pdf(&objects, ""));
    assert_bounded(&o, "object stream bomb");
    // lopdf decodes object streams eagerly; its per-stream limit (64 MiB here) stops it.
    assert_eq!(
        o.result,
        Err(ExtractError::Budget(BudgetExceeded::InflatedBytes {
            limit: 64 << 20
        }))
    );
}

#[test]
fn r13_5_deeply_nested_arrays_and_dicts_do_not_overflow_the_stack() {
    let depth = 200_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let dicts = format!("{}{}", "<< /A ".repeat(depth), ">>".repeat(depth));
    // In an object: lopdf refuses the object (nesting > 100); the other page still reads.
    let mut objects = fixture_objects();
    objects[2] = obj(&format!(
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> \
         /Contents 6 0 R /Deep {arrays} /Deeper {dicts} >>"
    ));
    let o = run(&pdf(&objects, ""));
    assert_bounded(&o, "deep nesting in an object");
    assert_eq!(text_of(&o, &Part::Page { page: 2 }), "机密★10年\n东风计划");
    // In a content stream: the text layer skips the nest and reads on.
    let mut objects = fixture_objects();
    let content = format!("BT /F1 12 Tf {arrays} {dicts} pop [(still read)] TJ ET");
    objects[5] = stream("", content.as_bytes());
    let o = run(&pdf(&objects, ""));
    assert_bounded(&o, "deep nesting in content");
    assert_eq!(text_of(&o, &Part::Page { page: 1 }), "still read");
}

#[test]
fn r13_5_xref_and_page_tree_loops_are_bounded() {
    // /Prev pointing at its own xref, a page tree whose Kids include itself, a Parent cycle.
    let mut objects = fixture_objects();
    objects[1] = obj("<< /Type /Pages /Kids [3 0 R 2 0 R 4 0 R 2 0 R] /Count 2 /Parent 2 0 R >>");
    let mut bytes = pdf(&objects, "");
    let xref = memchr::memmem::rfind(&bytes, b"startxref").unwrap();
    let xref_offset: usize = std::str::from_utf8(&bytes[xref + 10..])
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let trailer = memchr::memmem::rfind(&bytes, b"/Root 1 0 R").unwrap();
    bytes.splice(
        trailer..trailer,
        format!("/Prev {xref_offset} ").bytes().collect::<Vec<_>>(),
    );
    let o = run(&bytes);
    assert_bounded(&o, "loops");
    assert!(text_of(&o, &Part::Page { page: 1 }).starts_with("TOP SECRET//30Y"));
}

#[test]
fn r13_5_form_xobject_fanout_runs_out_of_time_not_memory() {
    // Each form draws the next one 1000 times, six levels deep: 10^18 draws if nothing stops
    // it. The per-file deadline does.
    let mut objects = vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj(
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> \
             /XObject << /X 6 0 R >> >> /Contents 5 0 R >>",
        ),
        obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        stream("", b"/X Do"),
    ];
    for level in 0..6 {
        let next = 6 + level + 1;
        let body = if level == 5 {
            "BT /F1 12 Tf (leaf) Tj ET".to_owned()
        } else {
            "/X Do ".repeat(1000)
        };
        objects.push(stream(
            &format!(
                "/Subtype /Form /Resources << /Font << /F1 4 0 R >> /XObject << /X {next} 0 R >> >>"
            ),
            body.as_bytes(),
        ));
    }
    let limits = Limits {
        per_file_time: Duration::from_secs(2),
        ..Limits::default()
    };
    let o = run_with("fanout.pdf", &pdf(&objects, ""), &limits);
    assert!(
        matches!(
            o.result,
            Err(ExtractError::Budget(BudgetExceeded::Time { .. }))
                | Err(ExtractError::Budget(BudgetExceeded::TextBytes { .. }))
        ),
        "{:?}",
        o.result
    );
    assert!(o.elapsed < Duration::from_secs(6), "{:?}", o.elapsed);
}

#[test]
fn r13_5_random_mutations_of_a_valid_pdf_never_panic() {
    let base = fixture();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for round in 0..200 {
        let mut bytes = base.clone();
        for _ in 0..(1 + round % 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % bytes.len();
            bytes[i] = (x >> 32) as u8;
        }
        let o = run(&bytes);
        assert_bounded(&o, &format!("mutation round {round}"));
    }
}
