//! Hostile archives and messages never crash or hang the sieve (R13.5): every case below ends
//! with a typed error or a recorded member failure, quickly, under tight limits. The elapsed
//! bounds are generous safety nets for a loaded debug build, not benchmarks: what they catch is
//! a case that inflates gigabytes or recurses without end.
//!
//! The archives are built by hand (local headers, central directory, a raw deflate stream) where
//! a bomb needs sizes or flags the zip writer would not write.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::extract::{extract, ExtractCtx, ExtractError, Location, NestedFailure};
use baomi_scan::limits::{Budget, BudgetExceeded, Limits};
use std::io::{Cursor, Write};
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

struct Outcome {
    result: Result<(), ExtractError>,
    texts: Vec<(Vec<String>, String)>,
    failures: Vec<NestedFailure>,
    skipped: u64,
    elapsed: Duration,
}

fn run(name: &str, bytes: &[u8], limits: &Limits) -> Outcome {
    let started = Instant::now();
    let mut budget = Budget::start(limits);
    let mut texts = Vec::new();
    let mut emit = |loc: &Location, text: &str| texts.push((loc.inner.clone(), text.to_owned()));
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    let result = extract(name, bytes, &mut ctx);
    let failures = ctx.nested_failures().to_vec();
    let skipped = ctx.skipped_members();
    drop(ctx);
    Outcome {
        result,
        texts,
        failures,
        skipped,
        elapsed: started.elapsed(),
    }
}

/// Tight limits for hostile input: 16 MiB inflated, depth 5, 1,000 entries, 10 s.
fn tight() -> Limits {
    Limits {
        max_file_size: 64 * 1024 * 1024,
        max_depth: 5,
        max_entries: 1_000,
        max_inflated_bytes: 16 * 1024 * 1024,
        max_ratio: 200,
        max_text_bytes: 16 * 1024 * 1024,
        per_file_time: Duration::from_secs(10),
    }
}

/// The safety net: a bounded case finishes in well under this even in a debug build.
const QUICK: Duration = Duration::from_secs(5);

// ---- building zips by hand ------------------------------------------------------------------

/// CRC-32 (IEEE), bit by bit: the tests only checksum small data with it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// CRC-32 of `n` zero bytes without touching `n` bytes: the register after `n` zero bytes is a
/// linear map of the register before, applied by repeated squaring (as zlib's crc32_combine).
fn crc32_zeros(n: u64) -> u32 {
    fn times(m: &[u32; 32], v: u32) -> u32 {
        let mut out = 0;
        for (i, col) in m.iter().enumerate() {
            if v >> i & 1 == 1 {
                out ^= col;
            }
        }
        out
    }
    fn square(m: &[u32; 32]) -> [u32; 32] {
        let mut out = [0u32; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = times(m, m[i]);
        }
        out
    }
    // One zero bit: shift right, fold in the polynomial when the low bit was set.
    let mut bit = [0u32; 32];
    bit[0] = 0xEDB8_8320;
    for (i, col) in bit.iter_mut().enumerate().skip(1) {
        *col = 1 << (i - 1);
    }
    // One zero byte is eight zero bits.
    let mut op = bit;
    for _ in 0..3 {
        op = square(&op);
    }
    let mut reg = !0u32;
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            reg = times(&op, reg);
        }
        op = square(&op);
        n >>= 1;
    }
    !reg
}

/// A raw deflate stream of `n` zero bytes, as a real zip bomb has it (about 1030:1): one
/// dynamic-Huffman block whose codes are a literal zero (2 bits), end of block (2 bits), length
/// 258 (1 bit) and distance 1 (1 bit), so each further 258 zeros cost 2 bits; 1 GiB is 1 MiB.
fn deflate_zeros(n: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        len: u32,
    }
    impl Bits {
        /// Plain values (block header, extra bits) go least significant bit first.
        fn put(&mut self, value: u64, len: u32) {
            self.acc |= value << self.len;
            self.len += len;
            while self.len >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.len -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let mut rev = 0;
            for i in 0..len {
                rev |= (code >> i & 1) << (len - 1 - i);
            }
            self.put(rev, len);
        }
    }
    assert!(n > 0);
    let mut b = Bits {
        out: Vec::with_capacity((n / 258 / 4 + 64) as usize),
        acc: 0,
        len: 0,
    };
    b.put(1, 1); // final block
    b.put(2, 2); // dynamic Huffman
    b.put(29, 5); // HLIT: 286 literal/length codes
    b.put(0, 5); // HDIST: 1 distance code
    b.put(14, 4); // HCLEN: 18 code-length codes
                  // Code-length code lengths in the RFC 1951 order 16,17,18,0,8,7,9,6,10,5,11,4,12,3,13,2,14,1:
                  // symbol 18 (a run of zeros) gets 1 bit, symbols 1 and 2 get 2 bits.
    for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        b.put(len, 3);
    }
    // Canonical codes: 18 -> 0, 1 -> 10, 2 -> 11.
    let zeros_run = |b: &mut Bits, count: u64| {
        b.code(0, 1);
        b.put(count - 11, 7);
    };
    b.code(0b11, 2); // literal 0: length 2
    zeros_run(&mut b, 138); // literals 1..=138 unused
    zeros_run(&mut b, 117); // literals 139..=255 unused
    b.code(0b11, 2); // 256 (end of block): length 2
    zeros_run(&mut b, 28); // lengths 257..=284 unused
    b.code(0b10, 2); // 285 (length 258): length 1
    b.code(0b10, 2); // distance 0 (distance 1): length 1
                     // Literal/length codes: 285 -> 0, literal 0 -> 10, end of block -> 11; distance 0 -> 0.
    b.code(0b10, 2); // literal 0
    let rest = n - 1;
    for _ in 0..rest / 258 {
        b.code(0, 1); // length 258
        b.code(0, 1); // distance 1
    }
    for _ in 0..rest % 258 {
        b.code(0b10, 2);
    }
    b.code(0b11, 2); // end of block
    b.put(0, 7); // flush
    b.out
}

/// One entry of a hand-built zip.
struct Raw {
    name: String,
    method: u16,
    flags: u16,
    crc: u32,
    declared: u32,
    data: Vec<u8>,
}

impl Raw {
    fn stored(name: &str, data: &[u8]) -> Raw {
        Raw {
            name: name.into(),
            method: 0,
            flags: 0,
            crc: crc32(data),
            declared: data.len() as u32,
            data: data.to_vec(),
        }
    }

    /// `n` zeros, deflated and declared honestly.
    fn zeros(name: &str, n: u64) -> Raw {
        Raw {
            name: name.into(),
            method: 8,
            flags: 0,
            crc: crc32_zeros(n),
            declared: u32::try_from(n).unwrap(),
            data: deflate_zeros(n),
        }
    }
}

/// A zip of `entries`; `extra_central` more central records point at the first entry's data
/// (overlapping files: one body, many names).
fn build(entries: &[Raw], extra_central: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut count = 0usize;
    let mut record = |central: &mut Vec<u8>, e: &Raw, name: &str, offset: u32| {
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&20u16.to_le_bytes()); // needed
        central.extend_from_slice(&e.flags.to_le_bytes());
        central.extend_from_slice(&e.method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
        central.extend_from_slice(&e.crc.to_le_bytes());
        central.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        central.extend_from_slice(&e.declared.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
        count += 1;
    };
    for e in entries {
        let offset = out.len() as u32;
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]);
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&e.declared.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.data);
        record(&mut central, e, &e.name, offset);
    }
    if let Some(first) = entries.first() {
        for i in 0..extra_central {
            record(&mut central, first, &format!("copy-{i}"), 0);
        }
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    let n = u16::try_from(count).unwrap_or(u16::MAX);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
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

fn chain(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

// ---- the hand-built pieces are real ----------------------------------------------------------

#[test]
fn the_hand_built_deflate_stream_and_crc_are_valid_zip_data() {
    // 300,001 zeros inflate and check out (a wrong CRC or stream would be a malformed member);
    // zeros are binary, so the member is skipped, not failed.
    let n = 300_001;
    assert_eq!(crc32_zeros(1000), crc32(&[0u8; 1000]));
    let archive = build(&[Raw::zeros("zeros.bin", n)], 0);
    let limits = Limits {
        max_ratio: u64::MAX,
        ..tight()
    };
    let out = run("z.zip", &archive, &limits);
    assert_eq!(out.result, Ok(()));
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(out.skipped, 1);
}

// ---- zip bombs ---------------------------------------------------------------------------------

#[test]
fn r13_5_an_honest_one_gib_bomb_is_refused_by_its_declared_ratio_without_inflating() {
    let bomb = build(
        &[
            Raw::zeros("zeros.bin", 1 << 30),
            Raw::stored("note.txt", "内部".as_bytes()),
        ],
        0,
    );
    // As small as a real bomb: about 1 MiB for 1 GiB.
    assert!(bomb.len() < 1100 * 1024, "{}", bomb.len());
    let out = run("bomb.zip", &bomb, &tight());
    assert_eq!(out.result, Ok(()));
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].inner, chain(&["zeros.bin"]));
    assert!(
        out.failures[0].reason.contains("zip bomb"),
        "{}",
        out.failures[0].reason
    );
    // The rest of the archive is still read.
    assert_eq!(out.texts, vec![(chain(&["note.txt"]), "内部".to_owned())]);
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_an_honest_bomb_within_the_ratio_is_refused_by_its_declared_size_before_inflating() {
    // With the ratio check out of the way, the declared 1 GiB exceeds the 16 MiB allowance:
    // the whole file ends, and nothing was inflated (a debug build needs many seconds for 1 GiB).
    let bomb = build(&[Raw::zeros("zeros.bin", 1 << 30)], 0);
    let limits = Limits {
        max_ratio: u64::MAX,
        ..tight()
    };
    let out = run("bomb.zip", &bomb, &limits);
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::InflatedBytes {
            limit: 16 * 1024 * 1024
        }))
    );
    assert!(out.elapsed < Duration::from_secs(2), "{:?}", out.elapsed);
}

/// A bomb whose headers claim 1,000 bytes while its data inflates to 256 MiB.
fn lying_bomb() -> Vec<u8> {
    let mut entry = Raw::zeros("small.txt", 256 * 1024 * 1024);
    entry.declared = 1000;
    build(&[entry, Raw::stored("after.txt", b"SECRET")], 0)
}

#[test]
fn r13_5_a_lying_header_is_stopped_at_its_declared_size() {
    // The declared 1,000 bytes pass every check made before inflating; the reader then stops
    // the entry as soon as it inflates past what it declared (and `Zip::read_index` counts the
    // actual bytes against the file's allowance as well). A failure of that member only, with
    // or without the ratio check.
    for limits in [
        tight(),
        Limits {
            max_ratio: u64::MAX,
            ..tight()
        },
    ] {
        let out = run("liar.zip", &lying_bomb(), &limits);
        assert_eq!(out.result, Ok(()), "{:?}", out.result);
        assert_eq!(
            out.failures,
            vec![NestedFailure {
                inner: chain(&["small.txt"]),
                reason: "malformed zip: File is larger than its declared uncompressed size"
                    .to_owned(),
            }]
        );
        assert_eq!(
            out.texts,
            vec![(chain(&["after.txt"]), "SECRET".to_owned())]
        );
        assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
    }
}

/// 42.zip against these limits: every zip is small enough (≤ 64 KiB inflated) that its ratio
/// is never judged, and each of `layers` layers holds 16 copies of the one below; the leaves
/// are 64 KiB of zeros. Five layers would inflate to 64 GiB.
fn forty_two(layers: u32) -> Vec<u8> {
    let mut current = build(&[Raw::zeros("0.bin", 64 * 1024)], 0);
    for _ in 1..layers {
        let copies: Vec<(String, Vec<u8>)> = (0..16)
            .map(|i| (format!("{i:x}.zip"), current.clone()))
            .collect();
        let refs: Vec<(&str, &[u8])> = copies
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        current = zip(&refs);
    }
    current
}

#[test]
fn r13_5_a_42_zip_style_fan_out_is_stopped_by_the_total_inflated_bytes() {
    let bomb = forty_two(5);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let out = run("42.zip", &bomb, &tight());
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::InflatedBytes {
            limit: 16 * 1024 * 1024
        }))
    );
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_a_42_zip_style_fan_out_is_stopped_by_the_time_limit_when_bytes_allow_it() {
    let bomb = forty_two(5);
    let limits = Limits {
        max_inflated_bytes: u64::MAX,
        max_entries: 100_000,
        per_file_time: Duration::from_millis(300),
        ..tight()
    };
    let out = run("42.zip", &bomb, &limits);
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::Time { millis: 300 }))
    );
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_overlapping_entries_sharing_one_body_are_stopped_by_the_total_inflated_bytes() {
    // One 1 MiB body (ratio within the limit: it is text-like, not zeros) and 999 more
    // central-directory names pointing at it: 1,000 MiB if each were inflated.
    let body: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| b"0123456789abcdef"[(i.wrapping_mul(2_654_435_761) >> 28) as usize])
        .collect();
    let kernel = zip(&[("kernel.txt", &body)]);
    // Take the writer's deflated data and wrap it in a hand-built zip with 999 aliases.
    let data_start = 30
        + u16::from_le_bytes([kernel[26], kernel[27]]) as usize
        + u16::from_le_bytes([kernel[28], kernel[29]]) as usize;
    let compressed = u32::from_le_bytes(kernel[18..22].try_into().unwrap()) as usize;
    let raw = Raw {
        name: "kernel.txt".into(),
        method: 8,
        flags: 0,
        crc: crc32(&body),
        declared: body.len() as u32,
        data: kernel[data_start..data_start + compressed].to_vec(),
    };
    let bomb = build(&[raw], 999);
    assert!(bomb.len() < 2 * 1024 * 1024);
    let out = run("overlap.zip", &bomb, &tight());
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::InflatedBytes {
            limit: 16 * 1024 * 1024
        }))
    );
    // Sixteen copies fit in 16 MiB and were scanned before the allowance ran out.
    assert_eq!(out.texts.len(), 16);
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_recursion_by_content_is_bounded_by_depth() {
    // An archive that (like a zip quine) contains itself again and again: 200 levels, each
    // the same member name, ended by the depth limit, not by the stack.
    let mut current = zip(&[("self.txt", "机密".as_bytes())]);
    for _ in 0..200 {
        current = zip(&[("self.zip", &current)]);
    }
    let out = run("self.zip", &current, &tight());
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::Depth { limit: 5 }))
    );
    assert!(out.texts.is_empty());
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_a_hundred_thousand_empty_entries_are_refused_by_the_entry_count() {
    let entries: Vec<Raw> = (0..100_000)
        .map(|i| Raw::stored(&format!("{i}"), b""))
        .collect();
    let archive = build(&entries, 0);
    // The count field of the end record saturates at 65,535; the zip reader counts the
    // central directory itself.
    let out = run("many.zip", &archive, &Limits::default());
    match &out.result {
        Err(ExtractError::Budget(BudgetExceeded::Entries { found, limit })) => {
            assert_eq!(*limit, 20_000);
            assert!(*found > 20_000, "{found}");
        }
        other => panic!("{other:?}"),
    }
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_an_encrypted_entry_among_bombs_is_reported_and_the_rest_scanned() {
    let mut locked = Raw::stored("locked.txt", b"ciphertext");
    locked.flags = 1;
    let archive = build(
        &[
            locked,
            Raw::zeros("bomb.bin", 1 << 30),
            Raw::stored("plain.txt", "秘密★".as_bytes()),
        ],
        0,
    );
    let out = run("mix.zip", &archive, &tight());
    assert_eq!(out.result, Ok(()));
    assert_eq!(out.failures.len(), 2);
    assert_eq!(out.failures[0].inner, chain(&["locked.txt"]));
    assert_eq!(out.failures[0].reason, "zip is encrypted");
    assert_eq!(out.failures[1].inner, chain(&["bomb.bin"]));
    assert_eq!(out.texts, vec![(chain(&["plain.txt"]), "秘密★".to_owned())]);
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

// ---- hostile e-mail ------------------------------------------------------------------------

#[test]
fn r13_5_messages_forwarded_inside_each_other_are_bounded_by_depth() {
    let mut message = "Subject: 机密\r\n\r\n最里层\r\n".to_owned();
    for i in 0..100 {
        message = format!(
            "Subject: level {i}\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n\
             --b{i}\r\nContent-Type: text/plain\r\n\r\nbody {i}\r\n\
             --b{i}\r\nContent-Type: message/rfc822\r\n\r\n{message}\r\n--b{i}--\r\n"
        );
    }
    let out = run("deep.eml", message.as_bytes(), &tight());
    assert_eq!(
        out.result,
        Err(ExtractError::Budget(BudgetExceeded::Depth { limit: 5 }))
    );
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_a_message_with_a_zip_bomb_attached_reports_the_bomb_and_keeps_the_body() {
    let bomb = build(&[Raw::zeros("zeros.bin", 1 << 30)], 0);
    let mut b64 = String::new();
    {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (i, c) in bomb.chunks(3).enumerate() {
            if i > 0 && i % 19 == 0 {
                b64.push_str("\r\n");
            }
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for k in 0..4 {
                b64.push(if k <= c.len() {
                    A[((n >> (18 - 6 * k)) & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
    }
    let message = format!(
        "Subject: test\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
         --m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n正文 内部\r\n\
         --m\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"b.zip\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--m--\r\n"
    );
    let out = run("bomb.eml", message.as_bytes(), &tight());
    assert_eq!(out.result, Ok(()));
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].inner, chain(&["b.zip", "zeros.bin"]));
    assert!(out
        .texts
        .iter()
        .any(|(inner, t)| inner.is_empty() && t.starts_with("正文 内部")));
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_a_message_of_deeply_nested_multiparts_is_bounded() {
    let depth = 20_000;
    let mut message = String::from("Subject: nest\r\n");
    for i in 0..depth {
        message.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"n{i}\"\r\n\r\n--n{i}\r\n"
        ));
    }
    message.push_str("Content-Type: text/plain\r\n\r\n秘密\r\n");
    let out = run("nest.eml", message.as_bytes(), &tight());
    // Whatever the parser makes of it, it ends, without a panic and quickly.
    assert!(
        matches!(out.result, Ok(()) | Err(ExtractError::Internal { .. })),
        "{:?}",
        out.result
    );
    assert!(out.elapsed < QUICK, "{:?}", out.elapsed);
}

#[test]
fn r13_5_garbage_named_eml_ends_with_a_result() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for len in [0usize, 1, 7, 100, 4096, 100_000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let out = run("junk.eml", &bytes, &tight());
        assert!(out.elapsed < QUICK, "{len}: {:?}", out.elapsed);
    }
}

#[test]
fn r13_5_a_parser_panic_on_a_hostile_message_is_an_internal_error_not_a_crash() {
    // Found by the extract_eml fuzz target (minimised): two attached messages in a multipart
    // that never closes trip a debug assertion inside mail-parser. With debug assertions the
    // extractor catches the panic and reports the file; without them the parser recovers.
    let message = b"Content-Type:multipart;boundary=b\n\n--bContent-Type:message/rfc822\n\n\
                    b\nContent-Type:message/rfc822\n\n\n--b--";
    let out = run("fuzz.eml", message, &tight());
    if cfg!(debug_assertions) {
        match &out.result {
            Err(ExtractError::Internal { format, reason }) => {
                assert_eq!(format.name(), "eml");
                assert!(reason.contains("Invalid part ID"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    } else {
        assert_eq!(out.result, Ok(()));
    }
    assert!(out.elapsed < QUICK);
}
