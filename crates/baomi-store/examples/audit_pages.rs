//! Times the audit pages' queries on a big log (issue 19, bench/audit/run.sh): the auditor's
//! search (`ReadTx::search_audit`, newest first, keyset paging) with each filter, and a
//! much-read record's history (`ReadTx::audit_history`) in a reader's view — each `ROUNDS`
//! times with random parameters drawn like `audit_fill`'s, printing p50, p99 and max in ms.
//!
//! ```text
//! cargo run --release -p baomi-store --example audit_pages -- URL [ROUNDS]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::audit::ObjectRef;
use baomi_core::ids::PersonId;
use baomi_store::{AuditSearch, HistoryFilter, Store, StoreOptions};
use jiff::Timestamp;
use std::time::Instant;

/// 2023-01-01T00:00:00Z, `audit_fill`'s first entry; one entry every 3 s after it.
const START: i64 = 1_672_531_200;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).expect("usage: audit_pages URL [ROUNDS]");
    let rounds: usize = args.get(2).map_or(50, |r| r.parse().expect("ROUNDS"));
    let options = StoreOptions {
        existing: true,
        ..StoreOptions::default()
    };
    let store = Store::open_with(url, options).await.expect("open");
    let last = store.audit_head().await.seq;
    let mut rng = Rng(0x5eed_1234_5678_9abc);
    let day = |rng: &mut Rng| {
        let d = rng.below(last * 3 / 86_400 + 1) as i64;
        Timestamp::from_second(START + d * 86_400).unwrap()
    };
    let reads: Vec<String> = [
        ".read", ".list", ".export", ".history", ".search", ".verify",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    println!(
        "{:<44} {:>8} {:>8} {:>8} {:>6}",
        "query (limit 100)", "p50 ms", "p99 ms", "max ms", "rows"
    );
    let kinds: [&str; 12] = [
        "newest page, no filter",
        "deep page (random before), no filter",
        "actor",
        "actor, deep page",
        "action prefix \"carrier.\"",
        "action prefix \"matter.approve\"",
        "object (a random record)",
        "outcome denied",
        "one day (from/until)",
        "actor + one day",
        "history: hot record, reader's view",
        "history: hot record, auditor's view, deep",
    ];
    for (k, name) in kinds.iter().enumerate() {
        let mut times = Vec::with_capacity(rounds);
        let mut rows = 0usize;
        for _ in 0..rounds {
            let mut search = AuditSearch::default();
            let mut before = None;
            let actor = PersonId(rng.below(5_000) as i64 + 1);
            match k {
                0 => {}
                1 => before = Some(rng.below(last) + 1),
                2 => search.actor = Some(actor),
                3 => {
                    search.actor = Some(actor);
                    before = Some(rng.below(last) + 1);
                }
                4 => search.action_prefix = Some("carrier.".into()),
                5 => search.action_prefix = Some("matter.approve".into()),
                6 => {
                    search.object_kind = Some("matter".into());
                    search.object_id = Some((rng.below(200_000) + 1).to_string());
                }
                7 => search.outcome = Some("denied"),
                8 | 9 => {
                    let from = day(&mut rng);
                    search.from = Some(from);
                    search.until = Some(Timestamp::from_second(from.as_second() + 86_400).unwrap());
                    if k == 9 {
                        search.actor = Some(actor);
                    }
                }
                _ => {}
            }
            let started = Instant::now();
            let mut tx = store.read().await.unwrap();
            let got = if k >= 10 {
                let object = ObjectRef::new("matter", rng.below(100) + 1);
                let (filter, before) = if k == 10 {
                    let f = HistoryFilter {
                        action_prefixes: vec![],
                        viewer: Some(actor),
                        others_success_only: true,
                        others_hidden_suffixes: reads.clone(),
                    };
                    (f, None)
                } else {
                    (HistoryFilter::default(), Some(rng.below(last) + 1))
                };
                tx.audit_history(&object, &filter, before, 100)
                    .await
                    .unwrap()
            } else {
                tx.search_audit(&search, before, 100).await.unwrap()
            };
            tx.finish().await.unwrap();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            rows += got.len();
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name:<44} {:>8.1} {:>8.1} {:>8.1} {:>6}",
            at(0.5),
            at(0.99),
            at(1.0),
            rows / rounds.max(1)
        );
    }
    store.close().await;
}
