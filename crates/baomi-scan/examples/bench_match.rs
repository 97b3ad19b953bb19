//! Runs the matching engine over plain-text files and prints counts and throughput; used by
//! bench/scan/run.sh when the `baomi scan` CLI is not available.
//!
//! ```text
//! cargo run --release -p baomi-scan --example bench_match -- \
//!     --keywords terms.txt [--no-normalize] [--marks] [--threads N] [--chunk BYTES] FILE...
//! ```
//!
//! Each file is read in blocks of 64 MiB cut at line ends and searched with
//! `Matcher::count_utf8`, which validates UTF-8 and searches chunk by chunk on all threads (so
//! one huge file uses every core). Only the first block of a file is in header position, as in
//! one pass over the whole file, so mark counts can differ from a whole-file `find` only for
//! bare levels at block starts (marks are off unless `--marks`). The time printed is wall time
//! from the first read to the last count, including reading and validation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::matcher::{
    parse_keyword_list, HitCounts, MatchOptions, Matcher, MatcherConfig, Rules,
};
use std::io::Read;
use std::time::Instant;

const BLOCK: usize = 64 << 20;

fn main() {
    let mut keywords = None;
    let mut normalize = true;
    let mut marks = false;
    let mut config = MatcherConfig::default();
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--keywords" => keywords = args.next(),
            "--no-normalize" => normalize = false,
            "--marks" => marks = true,
            "--threads" => config.threads = args.next().unwrap().parse().unwrap(),
            "--chunk" => config.chunk_size = args.next().unwrap().parse().unwrap(),
            _ => files.push(a),
        }
    }
    let list = std::fs::read_to_string(keywords.expect("--keywords FILE")).unwrap();
    let build = Instant::now();
    let matcher = Matcher::with_config(
        Rules {
            marks,
            keywords: parse_keyword_list(&list).unwrap(),
            regexes: vec![],
        },
        MatchOptions {
            normalize,
            traditional_to_simplified: false,
        },
        config,
    )
    .unwrap();
    let build = build.elapsed();
    let start = Instant::now();
    let mut bytes = 0usize;
    let mut counts = HitCounts::default();
    // Files are read in blocks of 64 MiB cut at line ends, into one reused buffer: no
    // gigabyte-sized allocation to fault in, and the counts are exactly those of the whole
    // file (no term spans a line end).
    let mut buf = vec![0u8; BLOCK];
    for f in &files {
        let mut file = std::fs::File::open(f).unwrap();
        let mut filled = 0;
        loop {
            let n = file.read(&mut buf[filled..]).unwrap();
            filled += n;
            bytes += n;
            let eof = n == 0;
            if filled < buf.len() && !eof {
                continue;
            }
            let cut = if eof {
                filled
            } else {
                match memchr::memrchr(b'\n', &buf[..filled]) {
                    Some(k) => k + 1,
                    None => {
                        // A line longer than the block: grow the buffer.
                        buf.resize(buf.len() * 2, 0);
                        continue;
                    }
                }
            };
            let c = matcher.count_utf8(&buf[..cut]).unwrap();
            counts.keywords += c.keywords;
            counts.marks += c.marks;
            counts.regexes += c.regexes;
            buf.copy_within(cut..filled, 0);
            filled -= cut;
            if eof {
                break;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bytes={bytes} seconds={secs:.3} mb_per_s={:.1} keyword_hits={} mark_hits={} build_ms={}",
        bytes as f64 / 1e6 / secs,
        counts.keywords,
        counts.marks,
        build.as_millis()
    );
}
