//! What the extractor fuzz targets share: tight limits, the panic hook, and the check that an
//! extractor stays within its text budget.

use baomi_scan::extract::{ExtractCtx, ExtractError, Location};
use baomi_scan::limits::{Budget, Limits};
use std::time::Duration;

/// Limits small enough that every fuzz input finishes quickly.
pub fn tight() -> Limits {
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
pub fn let_caught_mail_parser_panics_unwind() {
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

/// Runs `extract` under [`tight`] limits; any input must end in `Ok` or a typed error without
/// a panic, and never yield more text than the budget allows.
pub fn run_within_budget(extract: impl FnOnce(&mut ExtractCtx<'_>) -> Result<(), ExtractError>) {
    let limits = tight();
    let mut budget = Budget::start(&limits);
    let mut text = 0u64;
    let mut emit = |_: &Location, segment: &str| text += segment.len() as u64;
    let mut ctx = ExtractCtx::new(&mut budget, &mut emit);
    let _ = extract(&mut ctx);
    drop(ctx);
    assert!(text <= limits.max_text_bytes, "text budget overrun: {text}");
}
