//! Generates the benchmark corpus for bench/scan/run.sh: deterministic mixed Chinese/English
//! plain text (with some full-width text, spaced-out words and classification marks) and a
//! keyword list of which a share occurs in the text.
//!
//! ```text
//! cargo run --release -p baomi-scan --example gen_corpus -- \
//!     --out /tmp/baomi-bench --mib 1024 --files 1 --terms 5000 --seed 20240601
//! ```
//!
//! Writes `OUT/corpus/part-NN.txt` (together `--mib` MiB) and `OUT/terms.txt` (one term per
//! line, no tabs, no `#`, no outer spaces: the same file is a valid `rg -F -f` pattern file and
//! a valid `baomi scan --keywords` list). Same arguments, same bytes.
//!
//! The words, the line generator and the term list live in common/text.rs, shared with
//! gen_office (the office part of the benchmark), so both draw the same text and terms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

#[path = "common/text.rs"]
mod text;

use text::line;

fn main() {
    let mut out_dir = PathBuf::from("/tmp/baomi-bench");
    let mut mib: usize = 1024;
    let mut files: usize = 1;
    let mut terms_n: usize = 5000;
    let mut seed: u64 = 20240601;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--out" => out_dir = PathBuf::from(val()),
            "--mib" => mib = val().parse().expect("--mib N"),
            "--files" => files = val().parse().expect("--files N"),
            "--terms" => terms_n = val().parse().expect("--terms N"),
            "--seed" => seed = val().parse().expect("--seed N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let (mut rng, vocab, terms) = text::build(seed, terms_n);

    fs::create_dir_all(out_dir.join("corpus")).expect("create the corpus folder");
    let mut tf = BufWriter::new(fs::File::create(out_dir.join("terms.txt")).expect("terms.txt"));
    for t in &terms {
        writeln!(tf, "{t}").expect("write terms");
    }
    tf.flush().expect("flush terms");

    let per_file = (mib << 20) / files.max(1);
    for f in 0..files.max(1) {
        let path = out_dir.join("corpus").join(format!("part-{f:02}.txt"));
        let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(&path).expect("create"));
        let mut written = 0usize;
        let mut buf = String::with_capacity(1 << 16);
        while written < per_file {
            buf.clear();
            while buf.len() < 60_000 {
                line(&mut rng, &vocab, &mut buf);
            }
            w.write_all(buf.as_bytes()).expect("write corpus");
            written += buf.len();
        }
        w.flush().expect("flush corpus");
    }
}
