//! Fuzzes format detection and every extractor (R13.5: hostile inputs never crash or hang the
//! sieve). The first byte picks the file name's extension, so content sniffing and name-based
//! dispatch are both exercised; the rest are the file's bytes. Any input must end in `Ok` or a
//! typed error, within tight limits, without a panic.
#![no_main]

use baomi_scan::extract::{extract, ExtractCtx, Location};
use baomi_scan::limits::{Budget, Limits};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

const NAMES: [&str; 12] = [
    "f.txt", "f.html", "f.xml", "f.docx", "f.xlsx", "f.pptx", "f.odt", "f.pdf", "f.ofd", "f.eml",
    "f.zip", "f.xls",
];

fn tight() -> Limits {
    Limits {
        max_file_size: 1 << 20,
        max_depth: 3,
        max_entries: 256,
        max_inflated_bytes: 8 << 20,
        max_ratio: 200,
        max_text_bytes: 8 << 20,
        per_file_time: Duration::from_secs(2),
    }
}

/// `mail-parser` has debug assertions that hostile messages trip (they are off in release
/// builds, where it recovers). The e-mail extractor catches any panic of the parser and reports
/// the file as an internal error, which is the behaviour under test; libFuzzer's hook would
/// abort on the panic before it is caught. So panics raised inside `mail-parser` are let
/// through to that `catch_unwind`; every other panic still aborts and is a finding.
fn let_caught_mail_parser_panics_unwind() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_mail_parser = info
            .location()
            .is_some_and(|l| l.file().contains("/mail-parser-"));
        if !in_mail_parser {
            abort(info);
        }
    }));
}

fuzz_target!(init: let_caught_mail_parser_panics_unwind(), |data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[pick as usize % NAMES.len()];
    let limits = tight();
    let mut budget = Budget::start(&limits);
    let mut text = 0u64;
    let mut emit = |_: &Location, segment: &str| text += segment.len() as u64;
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    let _ = extract(name, bytes, &mut ctx);
    drop(ctx);
    assert!(text <= limits.max_text_bytes, "text budget overrun: {text}");
});
