//! Fuzzes the mark parser (DOMAIN R1.3): any input is refused with an error or parses to a
//! mark whose canonical Chinese and English forms parse back to the same mark.
#![no_main]

use baomi_core::marks::{LegalBasis, Mark};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mark) = Mark::parse(text) {
        assert_eq!(Mark::parse(&mark.to_zh()).as_ref(), Ok(&mark), "zh round trip");
        assert_eq!(Mark::parse(&mark.to_en()).as_ref(), Ok(&mark), "en round trip");
    }
    if let Some(basis) = LegalBasis::new("fuzz") {
        if let Ok(mark) = Mark::parse_with_override(text, &basis) {
            assert_eq!(Mark::parse_with_override(&mark.to_zh(), &basis).as_ref(), Ok(&mark));
            assert_eq!(Mark::parse_with_override(&mark.to_en(), &basis).as_ref(), Ok(&mark));
        }
    }
});
