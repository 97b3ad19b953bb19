//! Fuzzes the e-mail extractor directly (R13.5): any bytes, parsed as an RFC 5322 / MIME
//! message with attachments scanned in turn, end in `Ok` or a typed error within the limits.
#![no_main]

mod common;

use baomi_scan::extract::eml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: common::let_caught_mail_parser_panics_unwind(), |data: &[u8]| {
    common::run_within_budget(|ctx| eml::extract(data, ctx));
});
