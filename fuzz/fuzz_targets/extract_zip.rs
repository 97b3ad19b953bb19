//! Fuzzes the zip archive extractor directly (R13.5): hostile archives — bombs, lying headers,
//! deep nesting, broken directories — end in `Ok` or a typed error within the limits.
#![no_main]

mod common;

use baomi_scan::extract::archive::extract_zip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: common::let_caught_mail_parser_panics_unwind(), |data: &[u8]| {
    common::run_within_budget(|ctx| extract_zip(data, ctx));
});
