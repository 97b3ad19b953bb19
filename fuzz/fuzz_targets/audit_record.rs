//! Fuzzes the audit record decoder (DOMAIN R13.2): any bytes are refused with a typed error or
//! decode to an entry that re-encodes to exactly the same bytes, and verification of a decoded
//! "chain" never panics.
#![no_main]

use baomi_core::audit::{verify_records, AuditEntry, HashAlgorithm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = AuditEntry::from_record_bytes(data) {
        assert_eq!(entry.to_record_bytes(), data, "re-encoding is exact");
    }
    // Split the input into records at 0xFF bytes and verify them as a chain.
    let records: Vec<&[u8]> = data.split(|b| *b == 0xFF).collect();
    let _ = verify_records(HashAlgorithm::Sha256, records.iter().copied());
});
