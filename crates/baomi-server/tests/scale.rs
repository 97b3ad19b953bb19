//! `baomi demo --scale N` (issue 19, part 7) at a small N, on SQLite and PostgreSQL: the counts
//! the issue asks for, carriers in every state of R3.10, decided and pending approvals, an
//! audit chain that verifies (R13.2), demo users who still log in and see a large share of the
//! ledger but not all of it (R1.7, R2.1), and data the time-driven rules leave alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_server::demo::scale;
use baomi_server::timed::run_timed_rules;
use baomi_store::{RecordFilter, RecordKind, RecordOrder, StoredRecord};
use common::TestServer;
use std::collections::BTreeSet;

const N: u64 = 500;

async fn records(server: &TestServer, kind: RecordKind) -> Vec<StoredRecord> {
    let mut tx = server.store.read().await.unwrap();
    let all = tx
        .list_records(kind, &RecordFilter::default(), RecordOrder::Id, false)
        .await
        .unwrap();
    tx.finish().await.unwrap();
    all
}

async fn count(server: &TestServer, kind: RecordKind) -> u64 {
    records(server, kind).await.len() as u64
}

both_backends!(
    r13_2_scaled_demo_has_the_counts_every_state_and_a_verified_chain,
    |server| async move {
        let before: Vec<u64> = {
            let mut v = Vec::new();
            for kind in [
                RecordKind::Carrier,
                RecordKind::Matter,
                RecordKind::Person,
                RecordKind::Approval,
            ] {
                v.push(count(&server, kind).await);
            }
            v
        };
        let first_carrier = before[0] as i64 + 1;
        let mut phases = BTreeSet::new();
        let report = scale::seed(&server.store, server.clock.now(), N, |p| {
            phases.insert(p.phase);
        })
        .await
        .unwrap();
        assert_eq!(phases, BTreeSet::from(["carriers", "matters", "people"]));
        assert_eq!(report.carriers, N);
        assert_eq!(report.matters, N / 10);
        assert_eq!(report.people, N / 50);

        // The store holds exactly that much more.
        assert_eq!(count(&server, RecordKind::Carrier).await, before[0] + N);
        assert_eq!(count(&server, RecordKind::Matter).await, before[1] + N / 10);
        assert_eq!(count(&server, RecordKind::Person).await, before[2] + N / 50);
        let approvals = records(&server, RecordKind::Approval).await;
        assert_eq!(approvals.len() as u64, before[3] + report.approvals);
        let scaled_approvals = &approvals[before[3] as usize..];
        assert!(scaled_approvals.iter().any(|a| a.meta.status == "pending"));
        assert!(scaled_approvals.iter().any(|a| a.meta.status == "approved"));

        // R3.10: every state of a carrier's life among the scaled carriers.
        let carriers = records(&server, RecordKind::Carrier).await;
        let states: BTreeSet<&str> = carriers
            .iter()
            .filter(|c| c.id >= first_carrier)
            .map(|c| c.meta.status.as_str())
            .collect();
        for state in [
            "registered",
            "in_custody",
            "lent",
            "in_transit",
            "carried_out",
            "in_repair",
            "destroyed",
            "declassified",
            "released",
        ] {
            assert!(
                states.contains(state),
                "no scaled carrier is {state}: {states:?}"
            );
        }
        // Levels from 内部 to 绝密 (level ranks 1 to 4).
        let levels: BTreeSet<Option<u8>> = carriers.iter().map(|c| c.meta.level).collect();
        assert_eq!(levels, BTreeSet::from([Some(1), Some(2), Some(3), Some(4)]));

        // R13.2: at least ten audit entries per carrier, and the chain verifies.
        assert!(report.audit_entries >= 10 * N, "{report:?}");
        assert_eq!(server.store.audit_head().await.seq, report.audit_entries);
        let verified = server.store.verify_audit().await.unwrap().unwrap();
        assert_eq!(verified.count, report.audit_entries);

        // R1.7, R2.1: li.na logs in and sees a large share of the carriers, not all of them.
        let li_na = server.login("li.na").await;
        let (status, page) = li_na.get("/api/v1/carriers?per_page=1").await;
        assert_eq!(status, 200, "{page}");
        let seen = page["total"].as_u64().unwrap();
        let all = carriers.len() as u64;
        assert!(seen * 2 > all && seen < all, "li.na sees {seen} of {all}");
        let (status, inbox) = li_na.get("/api/v1/approvals?box=inbox&per_page=1").await;
        assert_eq!(status, 200, "{inbox}");
        assert!(inbox["total"].as_u64().unwrap() > 0, "{inbox}");

        // The scaled data is at rest: the time-driven rules (R1.9) find nothing of it to change.
        let timed = run_timed_rules(&server.state).await.unwrap();
        assert!(
            timed
                .declassified_carriers
                .iter()
                .all(|id| *id < first_carrier),
            "{timed:?}"
        );
        assert!(
            timed.carriers_waiting.iter().all(|id| *id < first_carrier),
            "{timed:?}"
        );
        assert!(timed.problems.is_empty(), "{timed:?}");

        // Scaling twice is refused.
        assert!(scale::seed(&server.store, server.clock.now(), N, |_| {})
            .await
            .is_err());
    }
);
