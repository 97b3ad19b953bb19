//! Fuzzes format detection and every extractor (R13.5: hostile inputs never crash or hang the
//! sieve). The first byte picks the file name's extension, so content sniffing and name-based
//! dispatch are both exercised; the rest are the file's bytes. Any input must end in `Ok` or a
//! typed error, within tight limits, without a panic.
#![no_main]

mod common;

use baomi_scan::extract::extract;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 12] = [
    "f.txt", "f.html", "f.xml", "f.docx", "f.xlsx", "f.pptx", "f.odt", "f.pdf", "f.ofd", "f.eml",
    "f.zip", "f.xls",
];

fuzz_target!(init: common::let_caught_mail_parser_panics_unwind(), |data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = NAMES[pick as usize % NAMES.len()];
    common::run_within_budget(|ctx| extract(name, bytes, ctx));
});
