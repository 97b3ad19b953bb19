//! Fills an audit log with `N` synthetic entries through the store's own write path
//! (`WriteTx::append_audit_batch` in large transactions), for bench/audit/run.sh (issue 19).
//!
//! ```text
//! cargo run --release -p baomi-store --example audit_fill -- URL N [sha256|sm3]
//! ```
//!
//! Resumes: a log that already holds `k < N` entries gets the remaining `N - k`, so an
//! interrupted fill can be continued and a cached log extended. The entries look like a busy
//! installation's: mostly reads by a few thousand people of a few hundred thousand records,
//! a skewed few records read very often, some denials, compact JSON details, one entry every
//! few seconds over the years.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::audit::{Actor, AuditDraft, HashAlgorithm, ObjectRef, Outcome};
use baomi_core::ids::PersonId;
use baomi_store::{Store, StoreOptions};
use jiff::Timestamp;
use std::time::Instant;

/// Entries per write transaction.
const TX_ENTRIES: u64 = 20_000;
/// 2023-01-01T00:00:00Z: the first synthetic entry.
const START: i64 = 1_672_531_200;

const ACTIONS: [(&str, &str); 12] = [
    ("matter.read", "matter"),
    ("matter.read", "matter"),
    ("matter.read", "matter"),
    ("carrier.read", "carrier"),
    ("carrier.read", "carrier"),
    ("matter.update", "matter"),
    ("carrier.lend", "carrier"),
    ("carrier.return", "carrier"),
    ("device.read", "device"),
    ("person.read", "person"),
    ("auth.login", "person"),
    ("matter.approve", "matter"),
];

/// A small deterministic generator (xorshift64*), so every run builds the same log.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn draft(seq: u64) -> AuditDraft {
    let mut rng = Rng(seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let r = rng.next();
    let (action, kind) = ACTIONS[(r % ACTIONS.len() as u64) as usize];
    // One entry in eight is about one of 100 "hot" records; the rest spread over 200,000.
    let object = if rng.next().is_multiple_of(8) {
        rng.next() % 100 + 1
    } else {
        rng.next() % 200_000 + 1
    };
    let person = rng.next() % 5_000 + 1;
    let at = Timestamp::from_second(START + (seq as i64) * 3).unwrap();
    let mut d = AuditDraft::new(at, Actor::Person(PersonId(person as i64)), action)
        .on(ObjectRef::new(kind, object))
        .detail(format!(
            "{{\"via\":\"web\",\"session\":{},\"ip\":\"10.{}.{}.{}\"}}",
            rng.next() % 1_000_000,
            r % 256,
            (r >> 8) % 256,
            (r >> 16) % 256
        ));
    if rng.next().is_multiple_of(50) {
        d = d.outcome(Outcome::Denied {
            reason: "R1.7.need_to_know".to_owned(),
        });
    }
    d
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("usage: audit_fill URL N [sha256|sm3]");
    let n: u64 = args.get(2).expect("N").replace('_', "").parse().expect("N");
    let algorithm: HashAlgorithm = args
        .get(3)
        .map_or("sha256", String::as_str)
        .parse()
        .expect("algorithm");
    let store = Store::open_with(
        url,
        StoreOptions {
            algorithm: Some(algorithm),
            statement_timeout: Some(std::time::Duration::from_secs(600)),
            ..StoreOptions::default()
        },
    )
    .await
    .expect("open");
    let have = store.audit_head().await.seq;
    let started = Instant::now();
    let mut seq = have;
    while seq < n {
        let upto = (seq + TX_ENTRIES).min(n);
        let drafts: Vec<AuditDraft> = (seq + 1..=upto).map(draft).collect();
        let mut tx = store.write().await.expect("write");
        let results = tx.append_audit_batch(drafts).await.expect("append");
        assert!(results.iter().all(Result::is_ok), "a draft was refused");
        tx.commit().await.expect("commit");
        seq = upto;
        if seq.is_multiple_of(500_000) || seq == n {
            let done = seq - have;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {seq} entries ({:.0} entries/s)",
                done as f64 / secs.max(1e-9)
            );
        }
    }
    store.close().await;
}
