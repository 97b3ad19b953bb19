//! Fuzzes the e-mail extractor directly (R13.5): any bytes, parsed as an RFC 5322 / MIME
//! message with attachments scanned in turn, end in `Ok` or a typed error within the limits.
#![no_main]

use baomi_scan::extract::{eml, ExtractCtx, Location};
use baomi_scan::limits::{Budget, Limits};
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

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
    let limits = Limits {
        max_file_size: 1 << 20,
        max_depth: 3,
        max_entries: 256,
        max_inflated_bytes: 8 << 20,
        max_ratio: 200,
        max_text_bytes: 8 << 20,
        per_file_time: Duration::from_secs(2),
    };
    let mut budget = Budget::start(&limits);
    let mut text = 0u64;
    let mut emit = |_: &Location, segment: &str| text += segment.len() as u64;
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    let _ = eml::extract(data, &mut ctx);
    drop(ctx);
    assert!(text <= limits.max_text_bytes, "text budget overrun: {text}");
});
