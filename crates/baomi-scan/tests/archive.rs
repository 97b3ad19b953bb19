//! Zip archives (R13.5): members are scanned in turn under their container chain, nested
//! archives recurse to a bounded depth, and a member that cannot be read (encrypted, corrupt,
//! compressed beyond the ratio limit) is reported while the rest of the archive is scanned.
//! Fixtures are written by the tests with the zip writer and patched by hand where a hostile
//! archive needs a field the writer will not produce.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::extract::{
    extract, ExtractCtx, ExtractError, Format, Location, NestedFailure, Part,
};
use baomi_scan::limits::{Budget, BudgetExceeded, Limits};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// What extracting one file produced.
struct Outcome {
    result: Result<(), ExtractError>,
    segments: Vec<(Location, String)>,
    failures: Vec<NestedFailure>,
}

fn run(name: &str, bytes: &[u8], limits: &Limits) -> Outcome {
    let mut budget = Budget::start(limits);
    let mut segments = Vec::new();
    let mut emit = |loc: &Location, text: &str| segments.push((loc.clone(), text.to_owned()));
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

/// A zip of `entries` (a name ending in `/` is a directory), deflated.
fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            w.add_directory(*name, opts).unwrap();
        } else {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn u16_at(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// The offsets of the central-directory record and the local header of entry `name`.
fn headers_of(zip: &[u8], name: &str) -> (usize, usize) {
    let eocd = zip.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    let mut at = u32_at(zip, eocd + 16);
    for _ in 0..u16_at(zip, eocd + 10) {
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02");
        let name_len = u16_at(zip, at + 28);
        let extra = u16_at(zip, at + 30);
        let comment = u16_at(zip, at + 32);
        if &zip[at + 46..at + 46 + name_len] == name.as_bytes() {
            return (at, u32_at(zip, at + 42));
        }
        at += 46 + name_len + extra + comment;
    }
    panic!("no entry {name}");
}

/// Sets the "encrypted" flag (general purpose bit 0) of entry `name` in both its headers, as
/// a ZipCrypto-encrypted entry has it (the zip crate here is built without encryption).
fn mark_encrypted(zip: &mut [u8], name: &str) {
    let (central, local) = headers_of(zip, name);
    zip[central + 8] |= 1;
    zip[local + 6] |= 1;
}

fn texts(out: &Outcome) -> Vec<(Vec<String>, Part, String)> {
    out.segments
        .iter()
        .map(|(l, t)| (l.inner.clone(), l.part.clone(), t.clone()))
        .collect()
}

fn chain(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn r13_5_a_keyword_three_zips_deep_is_found_under_its_member_chain() {
    let c = "第三层：本文件含机密★10年内容\n";
    let b = zip(&[("c.txt", c.as_bytes())]);
    let a = zip(&[("b.zip", &b)]);
    let outer = zip(&[("a.zip", &a)]);
    let out = run("outer.zip", &outer, &Limits::default());
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        texts(&out),
        vec![(
            chain(&["a.zip", "b.zip", "c.txt"]),
            Part::Body,
            c.to_owned()
        )]
    );
    assert!(out.failures.is_empty(), "{:?}", out.failures);
}

#[test]
fn r13_5_every_member_is_scanned_in_archive_order_and_directories_are_skipped() {
    let archive = zip(&[
        ("docs/", b""),
        ("docs/plan.txt", "秘密★5年 计划".as_bytes()),
        ("readme.txt", b"TOP SECRET//30Y"),
    ]);
    let out = run("bundle.zip", &archive, &Limits::default());
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        texts(&out),
        vec![
            (
                chain(&["docs/plan.txt"]),
                Part::Body,
                "秘密★5年 计划".to_owned()
            ),
            (
                chain(&["readme.txt"]),
                Part::Body,
                "TOP SECRET//30Y".to_owned()
            ),
        ]
    );
    assert!(out.failures.is_empty(), "{:?}", out.failures);
}

/// Seven zips, one inside the other; level k holds `level-k.txt` and then the next zip.
fn nest(levels: usize) -> Vec<u8> {
    let mut inner: Option<Vec<u8>> = None;
    for k in (0..levels).rev() {
        let text = format!("level-{k} 机密");
        let next_name = format!("l{}.zip", k + 1);
        let txt_name = format!("level-{k}.txt");
        let mut entries: Vec<(&str, &[u8])> = vec![(&txt_name, text.as_bytes())];
        if let Some(next) = &inner {
            entries.push((&next_name, next));
        }
        inner = Some(zip(&entries));
    }
    inner.unwrap()
}

#[test]
fn r13_5_nesting_deeper_than_max_depth_ends_the_file_with_a_depth_error_after_the_shallow_levels() {
    // The file itself is level 0; l1.zip … l6.zip nest inside it (six levels of archives).
    let archive = nest(7);
    let limits = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    let out = run("l0.zip", &archive, &limits);
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::Depth { limit: 5 }))
    );
    // Levels 0-4 are read: their text members sit at most 5 containers deep.
    let found: Vec<Vec<String>> = out.segments.iter().map(|(l, _)| l.inner.clone()).collect();
    let expected: Vec<Vec<String>> = (0..5)
        .map(|k| {
            let mut c: Vec<String> = (1..=k).map(|j| format!("l{j}.zip")).collect();
            c.push(format!("level-{k}.txt"));
            c
        })
        .collect();
    assert_eq!(found, expected);
    assert_eq!(out.segments[4].1, "level-4 机密");

    // One more level of allowance reaches level 5, and then stops again.
    let limits = Limits {
        max_depth: 6,
        ..Limits::default()
    };
    let out = run("l0.zip", &archive, &limits);
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::Depth { limit: 6 }))
    );
    assert_eq!(out.segments.len(), 6);
    assert_eq!(out.segments[5].1, "level-5 机密");

    // And with enough depth the whole nest is read.
    let limits = Limits {
        max_depth: 7,
        ..Limits::default()
    };
    let out = run("l0.zip", &archive, &limits);
    assert_eq!(out.result, Ok(()));
    assert_eq!(out.segments.len(), 7);
}

#[test]
fn r13_5_an_encrypted_member_is_reported_and_the_other_members_are_still_scanned() {
    let mut archive = zip(&[
        ("public.txt", "公开 内部资料".as_bytes()),
        ("secret.txt", "加密的内容".as_bytes()),
        ("after.txt", "机密★长期".as_bytes()),
    ]);
    mark_encrypted(&mut archive, "secret.txt");
    let out = run("mixed.zip", &archive, &Limits::default());
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        texts(&out),
        vec![
            (
                chain(&["public.txt"]),
                Part::Body,
                "公开 内部资料".to_owned()
            ),
            (chain(&["after.txt"]), Part::Body, "机密★长期".to_owned()),
        ]
    );
    assert_eq!(
        out.failures,
        vec![NestedFailure {
            inner: chain(&["secret.txt"]),
            reason: ExtractError::Encrypted {
                format: Format::Zip
            }
            .to_string(),
        }]
    );
}

#[test]
fn r13_5_an_encrypted_member_of_a_nested_zip_is_reported_under_its_full_chain() {
    let mut inner = zip(&[("locked.txt", b"x"), ("open.txt", b"SECRET//2031-06-30")]);
    mark_encrypted(&mut inner, "locked.txt");
    let outer = zip(&[("inner.zip", &inner)]);
    let out = run("outer.zip", &outer, &Limits::default());
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        texts(&out),
        vec![(
            chain(&["inner.zip", "open.txt"]),
            Part::Body,
            "SECRET//2031-06-30".to_owned()
        )]
    );
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].inner, chain(&["inner.zip", "locked.txt"]));
    assert_eq!(out.failures[0].reason, "zip is encrypted");
}

#[test]
fn r13_5_a_member_compressed_beyond_the_ratio_limit_fails_alone() {
    // 1 MiB of one byte deflates about 1000:1, beyond the default limit of 200:1.
    let bomb = vec![b'a'; 1024 * 1024];
    let archive = zip(&[("bomb.txt", &bomb), ("note.txt", "绝密★".as_bytes())]);
    let out = run("a.zip", &archive, &Limits::default());
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        texts(&out),
        vec![(chain(&["note.txt"]), Part::Body, "绝密★".to_owned())]
    );
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].inner, chain(&["bomb.txt"]));
    assert!(
        out.failures[0]
            .reason
            .contains("more than the limit of 200:1"),
        "{}",
        out.failures[0].reason
    );
}

#[test]
fn r13_5_a_corrupt_member_fails_alone() {
    let mut archive = zip(&[
        ("broken.txt", "这段的校验和被改坏了".repeat(50).as_bytes()),
        ("fine.txt", b"INTERNAL"),
    ]);
    // A wrong CRC-32 in both headers: the inflated bytes no longer match it.
    let (central, local) = headers_of(&archive, "broken.txt");
    archive[central + 16] ^= 0xFF;
    archive[local + 14] ^= 0xFF;
    let out = run("a.zip", &archive, &Limits::default());
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        texts(&out),
        vec![(chain(&["fine.txt"]), Part::Body, "INTERNAL".to_owned())]
    );
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].inner, chain(&["broken.txt"]));
    assert!(
        out.failures[0].reason.starts_with("malformed zip"),
        "{}",
        out.failures[0].reason
    );
}

#[test]
fn r13_5_a_truncated_zip_is_malformed() {
    // Through `extract`, as the scanner calls it: a cut zip is still detected as a zip (by its
    // signature and name) and reported as malformed, never skipped as an unknown binary.
    let archive = zip(&[("a.txt", "秘密".repeat(100).as_bytes()), ("b.txt", b"b")]);
    for keep in [archive.len() - 10, archive.len() / 2, 30, 4] {
        let mut budget = Budget::start(&Limits::default());
        let mut segments = 0;
        let mut emit = |_: &Location, _: &str| segments += 1;
        let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
        let result = baomi_scan::extract::extract("cut.zip", &archive[..keep], &mut ctx);
        assert!(
            matches!(
                result,
                Err(ExtractError::Malformed {
                    format: Format::Zip,
                    ..
                })
            ),
            "kept {keep}: {result:?}"
        );
        drop(ctx);
        assert_eq!(segments, 0);
    }
}

#[test]
fn r13_5_an_archive_listing_more_entries_than_the_limit_is_refused_before_reading() {
    let archive = zip(&[
        ("1.txt", b"1"),
        ("2.txt", b"2"),
        ("3.txt", b"3"),
        ("4.txt", b"4"),
    ]);
    let limits = Limits {
        max_entries: 3,
        ..Limits::default()
    };
    let out = run("many.zip", &archive, &limits);
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::Entries {
            found: 4,
            limit: 3
        }))
    );
    assert!(out.segments.is_empty());
}

#[test]
fn r13_5_an_empty_zip_yields_nothing_and_no_error() {
    let archive = zip(&[]);
    let out = run("empty.zip", &archive, &Limits::default());
    assert_eq!(out.result, Ok(()));
    assert!(out.segments.is_empty());
    assert!(out.failures.is_empty());
}
