//! The store's conformance suite: every test is written once and run against both backends,
//! SQLite (a file in a temporary directory) and PostgreSQL (a fresh database per test on the
//! server at `postgres://postgres@127.0.0.1:5432/test`, or `BAOMI_TEST_POSTGRES_URL`). An
//! unreachable PostgreSQL fails the PostgreSQL tests: it is never skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::audit::{
    Actor, AuditDraft, AuditEntry, BreakKind, ChainBreak, ChainHead, ChainVerifier, Checkpoint,
    HashAlgorithm, ObjectRef, Outcome, VerifiedChain,
};
use baomi_core::determination::UnitTier;
use baomi_core::ids::{PersonId, UnitId};
use baomi_store::{Backend, Store, StoreError, StoreOptions};
use jiff::Timestamp;
use sqlx::{Connection, Executor, Row};
use std::sync::atomic::{AtomicU64, Ordering};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
struct TestDb {
    kind: Kind,
    url: String,
    /// For PostgreSQL: the admin URL and the database name, to drop it at the end.
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    async fn new(kind: Kind) -> TestDb {
        match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("baomi.sqlite").display().to_string();
                TestDb {
                    kind,
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
            Kind::Postgres => {
                sqlx::any::install_default_drivers();
                let admin = std::env::var("BAOMI_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos();
                let name = format!(
                    "baomi_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    nanos
                );
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                        "PostgreSQL is required for the conformance suite and is not reachable at \
                         {admin} ({e}). Start it (pg_ctlcluster --skip-systemctl-redirect \
                         <version> main start) or set BAOMI_TEST_POSTGRES_URL."
                    )
                    });
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                let base = admin.split('?').next().unwrap();
                let prefix = &base[..base.rfind('/').unwrap()];
                TestDb {
                    kind,
                    url: format!("{prefix}/{name}"),
                    postgres: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }

    async fn open(&self) -> Store {
        Store::open(&self.url).await.unwrap()
    }

    /// A raw connection, bypassing the store (to play the database owner).
    async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        let (_, url) = Backend::from_url(&self.url).unwrap();
        sqlx::AnyConnection::connect(&url).await.unwrap()
    }

    async fn cleanup(&self) {
        if let Some((admin, name)) = &self.postgres {
            let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
            conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
            conn.close().await.unwrap();
        }
    }
}

/// Runs `test` on a fresh database and drops the database afterwards, even if `test` panicked
/// (the panic is then passed on).
async fn run<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(std::sync::Arc<TestDb>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let db = std::sync::Arc::new(TestDb::new(kind).await);
    let result = tokio::spawn(test(std::sync::Arc::clone(&db))).await;
    db.cleanup().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs each named suite function against both backends, as `sqlite::NAME` and
/// `postgres::NAME`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::run(super::Kind::Sqlite, |db| async move { super::$name(&db).await })
                        .await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::run(super::Kind::Postgres, |db| async move { super::$name(&db).await })
                        .await;
                }
            )*
        }
    };
}

conformance!(
    backend_is_chosen_by_url,
    placeholders_bind_by_number,
    migrations_are_idempotent,
    opening_an_existing_database_never_creates_or_migrates,
    units_and_departments_round_trip,
    unknown_superior_is_refused_and_writes_nothing,
    r13_1_rolled_back_change_leaves_no_audit_entry,
    r13_1_committed_change_keeps_its_audit_entry,
    r13_2_every_audit_field_round_trips,
    r13_2_refused_draft_appends_nothing,
    r13_2_batch_append_chains_every_draft_and_skips_refused_ones,
    ledger_records_round_trip_filter_and_refuse_stale_versions,
    records_about_parties_and_governing_status_are_found_by_index,
    planner_statistics_are_refreshed,
    r13_2_chain_verifies_after_many_writes,
    r13_2_data_and_chain_survive_reopen,
    r13_2_append_only_refuses_update_and_delete,
    r13_2_tampering_after_dropping_trigger_is_found_at_its_seq,
    r13_2_parallel_and_incremental_verification_find_each_break_at_its_seq,
    r13_2_a_records_history_is_filtered_and_paged_in_sql_newest_first,
    r13_2_a_time_window_search_pages_newest_first_even_when_the_clock_stepped_back,
    r13_2_concurrent_writers_produce_contiguous_chain,
    r13_2_sm3_chain_and_algorithm_mismatch,
    r13_2_checkpoint_detects_truncation,
    r13_1_a_fault_at_any_step_of_a_write_keeps_what_was_acknowledged_and_nothing_else,
    r13_1_a_fault_in_a_group_refuses_every_member_and_the_chain_stays_whole,
    r13_1_a_storage_size_limit_is_a_clean_refusal_and_writes_resume,
    r13_1_a_lock_held_elsewhere_times_out_cleanly_and_writes_resume,
    r13_2_two_stores_on_one_database_keep_one_chain,
    timed_jobs_are_led_by_one_store_at_a_time,
);

fn t(seconds: i64, nanos: i32) -> Timestamp {
    Timestamp::new(seconds, nanos).unwrap()
}

fn officer() -> Actor {
    Actor::Person(PersonId(7))
}

async fn backend_is_chosen_by_url(db: &TestDb) {
    let store = db.open().await;
    let expected = match db.kind {
        Kind::Sqlite => Backend::Sqlite,
        Kind::Postgres => Backend::Postgres,
    };
    assert_eq!(store.backend(), expected);
    if db.kind == Kind::Sqlite {
        // WAL is recorded in the file itself, so a fresh raw connection sees it.
        let mut raw = db.raw().await;
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&mut raw)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(mode, "wal");
        raw.close().await.unwrap();
    }
    assert!(matches!(
        Backend::from_url("mysql://x/y"),
        Err(StoreError::UnsupportedUrl { .. })
    ));
    assert!(matches!(
        Backend::from_url("sqlite::memory:"),
        Err(StoreError::UnsupportedUrl { .. })
    ));
    assert_eq!(
        Backend::from_url("/var/lib/baomi/db.sqlite").unwrap(),
        (
            Backend::Sqlite,
            "sqlite:///var/lib/baomi/db.sqlite?mode=rwc".to_owned()
        )
    );
    store.close().await;
}

/// The store writes `$1, $2` for both dialects: the numbers, not the order of binding, decide.
async fn placeholders_bind_by_number(db: &TestDb) {
    let _store = db.open().await;
    let mut raw = db.raw().await;
    let row = sqlx::query("SELECT $2 AS first, $1 AS second, $2 AS again")
        .bind("one")
        .bind("two")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(row.try_get::<String, _>("first").unwrap(), "two");
    assert_eq!(row.try_get::<String, _>("second").unwrap(), "one");
    assert_eq!(row.try_get::<String, _>("again").unwrap(), "two");
    raw.close().await.unwrap();
}

async fn migrations_are_idempotent(db: &TestDb) {
    let first = db.open().await;
    first.close().await;
    let second = db.open().await;
    let third = db.open().await;
    let mut read = third.read().await.unwrap();
    assert!(read.list_units().await.unwrap().is_empty());
    assert!(read.audit_entries(1, 10).await.unwrap().is_empty());
    read.finish().await.unwrap();
    assert_eq!(second.audit_head().await.seq, 0);
    second.close().await;
    third.close().await;
}

async fn opening_an_existing_database_never_creates_or_migrates(db: &TestDb) {
    let existing = StoreOptions {
        existing: true,
        ..StoreOptions::default()
    };
    // Nothing there yet (no SQLite file; an empty PostgreSQL database): refused, and nothing
    // is created or migrated by the attempt.
    assert!(Store::open_with(&db.url, existing).await.is_err());
    let mut raw = db.raw().await;
    let tables = raw
        .fetch_optional("SELECT seq FROM audit_log LIMIT 1")
        .await;
    assert!(tables.is_err(), "the refused open created the schema");
    raw.close().await.unwrap();
    // Once it is a Baomi database, it opens.
    db.open().await.close().await;
    let store = Store::open_with(&db.url, existing).await.unwrap();
    assert_eq!(store.audit_head().await.seq, 0);
    store.close().await;
}

async fn units_and_departments_round_trip(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    let ministry = w
        .create_unit(t(1_000, 0), officer(), "国家某部", UnitTier::Central, None)
        .await
        .unwrap();
    let bureau = w
        .create_unit(
            t(1_001, 0),
            officer(),
            "某省\"厅\"",
            UnitTier::Provincial,
            Some(ministry.id),
        )
        .await
        .unwrap();
    let dept = w
        .create_department(t(1_002, 0), officer(), bureau.id, "保密办")
        .await
        .unwrap();
    assert_eq!(w.get_unit(bureau.id).await.unwrap().as_ref(), Some(&bureau));
    w.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_unit(ministry.id).await.unwrap(),
        Some(ministry.clone())
    );
    assert_eq!(r.get_unit(bureau.id).await.unwrap(), Some(bureau.clone()));
    assert_eq!(bureau.superior, Some(ministry.id));
    assert_eq!(r.get_unit(UnitId(9_999)).await.unwrap(), None);
    assert_eq!(
        r.list_units().await.unwrap(),
        vec![ministry.clone(), bureau.clone()]
    );
    assert_eq!(
        r.list_departments(bureau.id).await.unwrap(),
        vec![dept.clone()]
    );
    assert!(r.list_departments(ministry.id).await.unwrap().is_empty());
    let audit = r.audit_entries(1, 10).await.unwrap();
    r.finish().await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["unit.create", "unit.create", "department.create"]);
    assert_eq!(audit[1].object, Some(ObjectRef::unit(bureau.id)));
    assert_eq!(
        audit[1].detail,
        format!(
            "{{\"name\":\"某省\\\"厅\\\"\",\"tier\":\"provincial\",\"superior\":{}}}",
            ministry.id.0
        )
    );
    assert_eq!(audit[2].object, Some(ObjectRef::department(dept.id)));
    store.close().await;
}

async fn unknown_superior_is_refused_and_writes_nothing(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    let refused = w
        .create_unit(t(1, 0), officer(), "x", UnitTier::Other, Some(UnitId(42)))
        .await;
    assert!(matches!(
        refused,
        Err(StoreError::NotFound {
            kind: "unit",
            id: 42
        })
    ));
    let refused = w
        .create_department(t(1, 0), officer(), UnitId(42), "x")
        .await;
    assert!(matches!(
        refused,
        Err(StoreError::NotFound {
            kind: "unit",
            id: 42
        })
    ));
    assert_eq!(w.audit_head().seq, 0);
    w.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert!(r.list_units().await.unwrap().is_empty());
    assert!(r.audit_entries(1, 10).await.unwrap().is_empty());
    r.finish().await.unwrap();
    store.close().await;
}

async fn r13_1_rolled_back_change_leaves_no_audit_entry(db: &TestDb) {
    let store = db.open().await;
    // Dropped without commit.
    {
        let mut w = store.write().await.unwrap();
        w.create_unit(t(10, 0), officer(), "dropped", UnitTier::Other, None)
            .await
            .unwrap();
        assert_eq!(w.audit_head().seq, 1);
        assert_eq!(w.list_units().await.unwrap().len(), 1);
    }
    assert_eq!(store.audit_head().await.seq, 0);
    // Rolled back explicitly.
    let mut w = store.write().await.unwrap();
    w.create_unit(t(11, 0), officer(), "rolled back", UnitTier::Other, None)
        .await
        .unwrap();
    w.rollback().await.unwrap();
    assert_eq!(store.audit_head().await.seq, 0);

    let mut r = store.read().await.unwrap();
    assert!(r.list_units().await.unwrap().is_empty());
    assert!(r.audit_entries(1, 10).await.unwrap().is_empty());
    r.finish().await.unwrap();

    // The next committed write starts the chain at 1: nothing of the rolled-back ones remains.
    let mut w = store.write().await.unwrap();
    let e = w
        .append_audit(AuditDraft::new(t(12, 0), Actor::System, "system.start"))
        .await
        .unwrap();
    w.commit().await.unwrap();
    assert_eq!(e.seq, 1);
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 1);
    store.close().await;
}

async fn r13_1_committed_change_keeps_its_audit_entry(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    let unit = w
        .create_unit(t(20, 0), officer(), "kept", UnitTier::Prefecture, None)
        .await
        .unwrap();
    // Not visible to readers before the commit.
    let mut r = store.read().await.unwrap();
    assert!(r.list_units().await.unwrap().is_empty());
    assert!(r.audit_entries(1, 10).await.unwrap().is_empty());
    r.finish().await.unwrap();
    w.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert_eq!(r.list_units().await.unwrap(), vec![unit.clone()]);
    let audit = r.audit_entries(1, 10).await.unwrap();
    r.finish().await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].seq, 1);
    assert_eq!(audit[0].actor, officer());
    assert_eq!(audit[0].object, Some(ObjectRef::unit(unit.id)));
    let head = store.audit_head().await;
    assert_eq!((head.seq, head.hash), (1, audit[0].hash));
    store.close().await;
}

async fn r13_2_every_audit_field_round_trips(db: &TestDb) {
    let store = db.open().await;
    let drafts = vec![
        AuditDraft::new(t(1_700_000_000, 123_456_789), officer(), "matter.read")
            .on(ObjectRef::new("matter", 17))
            .detail("{\"reason\":\"审阅\"}"),
        AuditDraft::new(t(-1, 500_000_000), Actor::System, "declassify.auto"),
        AuditDraft::new(t(0, 0), Actor::Unauthenticated, "session.login")
            .outcome(Outcome::Denied {
                reason: "R5.4:bad_password".to_owned(),
            })
            .detail("claimed: wang"),
        AuditDraft::new(t(5, 999_999_999), officer(), "carrier.lend")
            .on(ObjectRef::new("carrier", "C-2026/001"))
            .outcome(Outcome::Failed {
                error: "io".to_owned(),
            }),
    ];
    let mut w = store.write().await.unwrap();
    let mut written = Vec::new();
    for d in drafts {
        written.push(w.append_audit(d).await.unwrap());
    }
    assert_eq!(w.audit_entries(1, 10).await.unwrap(), written);
    w.commit().await.unwrap();
    // Microsecond flooring happened before hashing; the stored entry is exactly the hashed one.
    assert_eq!(written[0].at, t(1_700_000_000, 123_456_000));
    let mut r = store.read().await.unwrap();
    assert_eq!(r.audit_entries(1, 10).await.unwrap(), written);
    assert_eq!(r.audit_entries(3, 10).await.unwrap(), written[2..].to_vec());
    assert_eq!(r.audit_entries(2, 1).await.unwrap(), written[1..2].to_vec());
    r.finish().await.unwrap();
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 4);
    store.close().await;
}

async fn r13_2_refused_draft_appends_nothing(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    w.append_audit(AuditDraft::new(t(1, 0), Actor::System, "ok"))
        .await
        .unwrap();
    let refused = w
        .append_audit(AuditDraft::new(t(2, 0), Actor::System, "bad action!"))
        .await;
    let err = refused.unwrap_err();
    assert!(matches!(err, StoreError::Audit(_)));
    assert_eq!(err.rule().map(|r| r.0), Some("R13.2"));
    assert_eq!(w.audit_head().seq, 1);
    let next = w
        .append_audit(AuditDraft::new(t(3, 0), Actor::System, "ok.again"))
        .await
        .unwrap();
    assert_eq!(next.seq, 2);
    w.commit().await.unwrap();
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 2);
    store.close().await;
}

async fn r13_2_batch_append_chains_every_draft_and_skips_refused_ones(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    w.append_audit(AuditDraft::new(t(1, 0), Actor::System, "first"))
        .await
        .unwrap();
    // 600 drafts: more than one multi-row INSERT; one refused in the middle.
    let drafts: Vec<AuditDraft> = (0..600)
        .map(|i| {
            let action = if i == 300 {
                "bad action!"
            } else {
                "matter.read"
            };
            AuditDraft::new(t(2 + i, 0), officer(), action).on(ObjectRef::new("matter", i))
        })
        .collect();
    let results = w.append_audit_batch(drafts).await.unwrap();
    assert_eq!(results.len(), 600);
    assert!(matches!(results[300], Err(StoreError::Audit(_))));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 599);
    assert_eq!(results[599].as_ref().unwrap().seq, 600);
    w.commit().await.unwrap();
    assert_eq!(store.audit_head().await.seq, 600);
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 600);
    store.close().await;
}

async fn ledger_records_round_trip_filter_and_refuse_stale_versions(db: &TestDb) {
    use baomi_store::{RecordFilter, RecordKind, RecordMeta, RecordOrder};
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    let meta = |title: &str, status: &str, number: &str, level: u8| RecordMeta {
        about: None,
        parties: None,
        unit: Some(3),
        level: Some(level),
        status: status.to_owned(),
        title: title.to_owned(),
        number: Some(number.to_owned()),
        place: None,
        holder: Some(2),
        due_on: Some("2026-04-01".parse().unwrap()),
        remind_on: None,
        read: None,
    };
    let id = w.next_record_id(RecordKind::Carrier).await.unwrap();
    assert_eq!(id, 1);
    w.insert_record(
        RecordKind::Carrier,
        1,
        &meta("规划图 100%_a", "in_custody", "MJ-1", 3),
        "{\"a\":1}",
        t(10, 0),
    )
    .await
    .unwrap();
    w.insert_record(
        RecordKind::Carrier,
        2,
        &meta("会议纪要", "lent", "MJ-2", 2),
        "{\"a\":2}",
        t(11, 0),
    )
    .await
    .unwrap();
    let dup = w
        .insert_record(
            RecordKind::Carrier,
            3,
            &meta("x", "lent", "MJ-2", 2),
            "{}",
            t(12, 0),
        )
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate { .. }));
    // LIKE wildcards in the search text are literal.
    let found = w
        .list_records(
            RecordKind::Carrier,
            &RecordFilter {
                text: Some("100%_".to_owned()),
                ..RecordFilter::default()
            },
            RecordOrder::Id,
            false,
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let none = w
        .list_records(
            RecordKind::Carrier,
            &RecordFilter {
                text: Some("%".to_owned()),
                statuses: vec!["lent".to_owned()],
                ..RecordFilter::default()
            },
            RecordOrder::Id,
            false,
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    let by_level = w
        .list_records(
            RecordKind::Carrier,
            &RecordFilter::default(),
            RecordOrder::Level,
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        by_level.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let v2 = w
        .update_record(
            RecordKind::Carrier,
            2,
            1,
            &meta("会议纪要", "in_custody", "MJ-2", 2),
            "{\"a\":3}",
            t(13, 0),
        )
        .await
        .unwrap();
    assert_eq!(v2, 2);
    let stale = w
        .update_record(
            RecordKind::Carrier,
            2,
            1,
            &meta("会议纪要", "lent", "MJ-2", 2),
            "{}",
            t(14, 0),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Conflict { .. }));
    w.commit().await.unwrap();
    let got = store
        .get_record(RecordKind::Carrier, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.version, got.body.as_str(), got.meta.status.as_str()),
        (2, "{\"a\":3}", "in_custody")
    );
    assert_eq!(got.meta.due_on, Some("2026-04-01".parse().unwrap()));
    store.close().await;
}

/// Issue 19: an approval's object and the persons who acted in it are indexed with the record
/// (replaced on each save); the carriers governed by matters of a status, the units, ids,
/// excluded statuses and reminder days narrow in SQL.
async fn records_about_parties_and_governing_status_are_found_by_index(db: &TestDb) {
    use baomi_store::{ReadIndex, RecordFilter, RecordKind, RecordMeta, RecordOrder};
    use std::collections::BTreeSet;
    let store = db.open().await;
    let meta = |unit: i64, status: &str| RecordMeta {
        unit: Some(unit),
        status: status.to_owned(),
        title: format!("{status} {unit}"),
        ..RecordMeta::default()
    };
    let request = |about: i64, parties: &[i64]| RecordMeta {
        about: Some((RecordKind::Carrier, about)),
        parties: Some(parties.iter().copied().collect()),
        ..meta(1, "pending")
    };
    let governed = |matter: i64, status: &str| RecordMeta {
        read: Some(ReadIndex {
            scope_of: (RecordKind::Matter, matter),
            scope: BTreeSet::new(),
            open_from: None,
        }),
        ..meta(2, status)
    };
    let mut w = store.write().await.unwrap();
    let kinds = [
        (RecordKind::Approval, 1, request(10, &[7, 8])),
        (RecordKind::Approval, 2, request(11, &[8])),
        (RecordKind::Approval, 3, request(10, &[])),
        (RecordKind::Matter, 1, meta(2, "declassified")),
        (RecordKind::Matter, 2, meta(2, "in_force")),
        (RecordKind::Carrier, 1, governed(1, "in_custody")),
        (RecordKind::Carrier, 2, governed(1, "destroyed")),
        (RecordKind::Carrier, 3, governed(2, "in_custody")),
    ];
    for (kind, id, m) in &kinds {
        w.insert_record(*kind, *id, m, "{}", t(10, 0))
            .await
            .unwrap();
    }
    // A decision adds a party; saving replaces the stored ones.
    w.update_record(
        RecordKind::Approval,
        3,
        1,
        &request(10, &[9]),
        "{}",
        t(11, 0),
    )
    .await
    .unwrap();
    w.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    async fn listed(
        r: &mut baomi_store::ReadTx,
        kind: RecordKind,
        filter: RecordFilter,
    ) -> Vec<i64> {
        r.list_records(kind, &filter, RecordOrder::Id, false)
            .await
            .unwrap()
            .into_iter()
            .map(|x| x.id)
            .collect()
    }
    let about = |id| RecordFilter {
        about: Some((RecordKind::Carrier, id)),
        ..RecordFilter::default()
    };
    assert_eq!(
        listed(&mut r, RecordKind::Approval, about(10)).await,
        vec![1, 3]
    );
    assert_eq!(
        listed(&mut r, RecordKind::Approval, about(12)).await,
        Vec::<i64>::new()
    );
    let party = |p| RecordFilter {
        party: Some(p),
        ..RecordFilter::default()
    };
    assert_eq!(
        listed(&mut r, RecordKind::Approval, party(8)).await,
        vec![1, 2]
    );
    assert_eq!(
        listed(&mut r, RecordKind::Approval, party(9)).await,
        vec![3]
    );
    assert_eq!(
        listed(&mut r, RecordKind::Approval, party(6)).await,
        Vec::<i64>::new()
    );
    // R1.9: the carriers of declassified matters not yet marked so.
    let waiting = RecordFilter {
        governed_by: Some((RecordKind::Matter, vec!["declassified".to_owned()])),
        statuses_except: vec!["destroyed".to_owned()],
        ..RecordFilter::default()
    };
    assert_eq!(listed(&mut r, RecordKind::Carrier, waiting).await, vec![1]);
    let units = |u: Vec<i64>| RecordFilter {
        units: Some(u),
        ..RecordFilter::default()
    };
    assert_eq!(
        listed(&mut r, RecordKind::Matter, units(vec![1, 2])).await,
        vec![1, 2]
    );
    assert_eq!(
        listed(&mut r, RecordKind::Matter, units(vec![])).await,
        Vec::<i64>::new()
    );
    let some = |i: Vec<i64>| RecordFilter {
        ids: Some(i),
        ..RecordFilter::default()
    };
    assert_eq!(
        listed(&mut r, RecordKind::Carrier, some(vec![3, 1])).await,
        vec![1, 3]
    );
    assert_eq!(
        listed(&mut r, RecordKind::Carrier, some(vec![])).await,
        Vec::<i64>::new()
    );
    let read_back = r
        .get_record(RecordKind::Approval, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read_back.meta.about, Some((RecordKind::Carrier, 10)));
    r.finish().await.unwrap();
    store.close().await;
}

/// Issue 19: the planner's statistics are refreshed on demand (at start and by the timed pass),
/// so that selective list indexes are chosen over a walk of the primary key.
async fn planner_statistics_are_refreshed(db: &TestDb) {
    use baomi_store::{RecordKind, RecordMeta};
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    for id in 1..=50 {
        let meta = RecordMeta {
            status: "pending".to_owned(),
            title: format!("申请 {id}"),
            about: Some((RecordKind::Carrier, id % 5)),
            ..RecordMeta::default()
        };
        w.insert_record(RecordKind::Approval, id, &meta, "{}", t(10, 0))
            .await
            .unwrap();
    }
    w.commit().await.unwrap();
    store.refresh_statistics().await.unwrap();
    let mut conn = db.raw().await;
    let analysed: i64 = match db.kind {
        Kind::Sqlite => sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'records' AND idx = 'records_kind_about'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap(),
        Kind::Postgres => sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'records' AND attname = 'about_id'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap(),
    };
    assert_eq!(analysed, 1);
    // Writes go on afterwards.
    let mut w = store.write().await.unwrap();
    w.insert_record(
        RecordKind::Approval,
        51,
        &RecordMeta::default(),
        "{}",
        t(11, 0),
    )
    .await
    .unwrap();
    w.commit().await.unwrap();
    store.close().await;
}

async fn r13_2_chain_verifies_after_many_writes(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 0);
    let mut expected = 0u64;
    for i in 0..60i64 {
        let mut w = store.write().await.unwrap();
        for j in 0..(i % 3 + 1) {
            w.append_audit(
                AuditDraft::new(t(i, 0), officer(), "matter.read")
                    .on(ObjectRef::new("matter", i * 10 + j)),
            )
            .await
            .unwrap();
        }
        if i % 7 == 0 {
            drop(w);
        } else {
            expected += (i % 3 + 1) as u64;
            w.commit().await.unwrap();
        }
    }
    let verified = store.verify_audit().await.unwrap().unwrap();
    assert_eq!(verified.count, expected);
    assert_eq!(verified.head, store.audit_head().await);
    store.close().await;
}

async fn r13_2_data_and_chain_survive_reopen(db: &TestDb) {
    let store = Store::open_with(
        &db.url,
        StoreOptions {
            algorithm: Some(HashAlgorithm::Sha256),
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let mut w = store.write().await.unwrap();
    let unit = w
        .create_unit(t(1, 0), officer(), "persisted", UnitTier::Central, None)
        .await
        .unwrap();
    w.commit().await.unwrap();
    let head = store.audit_head().await;
    store.close().await;
    drop(store);

    let store = db.open().await;
    assert_eq!(store.audit_head().await, head);
    let mut r = store.read().await.unwrap();
    assert_eq!(r.get_unit(unit.id).await.unwrap(), Some(unit));
    r.finish().await.unwrap();
    let mut w = store.write().await.unwrap();
    let e = w
        .append_audit(AuditDraft::new(t(2, 0), Actor::System, "system.start"))
        .await
        .unwrap();
    w.commit().await.unwrap();
    assert_eq!((e.seq, e.prev_hash), (2, head.hash));
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 2);
    store.close().await;
}

async fn r13_2_append_only_refuses_update_and_delete(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    for i in 0..3 {
        w.append_audit(AuditDraft::new(t(i, 0), Actor::System, "tick"))
            .await
            .unwrap();
    }
    w.commit().await.unwrap();
    let mut raw = db.raw().await;
    let update = raw
        .execute("UPDATE audit_log SET detail = 'forged' WHERE seq = 2")
        .await
        .unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = raw
        .execute("DELETE FROM audit_log WHERE seq = 3")
        .await
        .unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
    if db.kind == Kind::Postgres {
        let truncate = raw.execute("TRUNCATE audit_log").await.unwrap_err();
        assert!(truncate.to_string().contains("append-only"), "{truncate}");
    }
    raw.close().await.unwrap();
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 3);

    // Checkpoints are append-only as well.
    let mut w = store.write().await.unwrap();
    let cp = w.audit_head().checkpoint(t(9, 0));
    w.record_checkpoint(t(9, 0), Actor::System, &cp, None)
        .await
        .unwrap();
    w.commit().await.unwrap();
    let mut raw = db.raw().await;
    for sql in [
        "UPDATE audit_checkpoints SET head_hash = 'forged'",
        "DELETE FROM audit_checkpoints",
    ] {
        let err = raw.execute(sql).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    if db.kind == Kind::Postgres {
        let truncate = raw.execute("TRUNCATE audit_checkpoints").await.unwrap_err();
        assert!(truncate.to_string().contains("append-only"), "{truncate}");
    }
    raw.close().await.unwrap();
    store.close().await;
}

async fn r13_2_tampering_after_dropping_trigger_is_found_at_its_seq(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    for i in 0..5 {
        w.append_audit(AuditDraft::new(t(i, 0), officer(), "matter.read").detail("{}"))
            .await
            .unwrap();
    }
    w.commit().await.unwrap();
    assert!(store.verify_audit().await.unwrap().is_ok());

    let mut raw = db.raw().await;
    let drop_trigger = match db.kind {
        Kind::Sqlite => "DROP TRIGGER audit_log_no_update",
        Kind::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    raw.execute(drop_trigger).await.unwrap();
    raw.execute("UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = 3")
        .await
        .unwrap();
    raw.close().await.unwrap();

    let brk = store.verify_audit().await.unwrap().unwrap_err();
    assert_eq!(brk.seq, 3);
    assert_eq!(brk.index, 2);
    assert!(matches!(brk.kind, BreakKind::HashMismatch { .. }), "{brk}");
    store.close().await;
}

/// What a one-by-one run over the log's rows after `trusted` gives (the reference).
async fn one_by_one(store: &Store, verifier: ChainVerifier) -> Result<VerifiedChain, ChainBreak> {
    let from = verifier.head().seq + 1;
    let mut r = store.read().await.unwrap();
    let entries = r.audit_entries(from, 100_000).await.unwrap();
    r.finish().await.unwrap();
    let mut verifier = verifier;
    for e in &entries {
        verifier.push(e)?;
    }
    verifier.finish()
}

/// Issue 19: the log read in pieces on several threads, whole or from a trusted head, reports
/// exactly the first break a one-by-one run reports — in the middle of a piece, at a piece
/// boundary, in the last piece, a missing row, a cut tail — and an incremental run does not
/// re-read what lies before its trusted head (a whole-log run does).
async fn r13_2_parallel_and_incremental_verification_find_each_break_at_its_seq(db: &TestDb) {
    let store = db.open().await;
    let alg = store.audit_head().await.algorithm;
    let mut w = store.write().await.unwrap();
    let drafts = (0..100)
        .map(|i| {
            AuditDraft::new(t(10 + i, 0), officer(), "matter.read")
                .on(ObjectRef::new("matter", i % 7))
                .detail(format!("{{\"n\":{i}}}"))
        })
        .collect();
    w.append_audit_batch(drafts).await.unwrap();
    w.commit().await.unwrap();
    let head = store.audit_head().await;
    assert_eq!(head.seq, 100);
    let cp = head.checkpoint(t(1_000, 0));
    let mut r = store.read().await.unwrap();
    let entry_60: AuditEntry = r.audit_entries(60, 1).await.unwrap().remove(0);
    let entry_70: AuditEntry = r.audit_entries(70, 1).await.unwrap().remove(0);
    r.finish().await.unwrap();
    let trusted = ChainHead::of_entry(alg, &entry_60);
    let whole = || ChainVerifier::genesis(alg);
    let after_60 = || {
        ChainVerifier::from_trusted(trusted)
            .with_checkpoint(cp)
            .unwrap()
    };

    // Intact: any piece size, any number of threads, the same head.
    for (threads, piece) in [(1, 100), (3, 10), (2, 7), (4, 1)] {
        let v = store
            .verify_audit_in_pieces(whole(), threads, piece)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((v.count, v.head), (100, head));
    }
    let v = store
        .verify_audit_from(trusted, Some(cp))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((v.count, v.head), (40, head));

    let mut raw = db.raw().await;
    for trigger in ["audit_log_no_update", "audit_log_no_delete"] {
        let sql = match db.kind {
            Kind::Sqlite => format!("DROP TRIGGER {trigger}"),
            Kind::Postgres => format!("DROP TRIGGER {trigger} ON audit_log"),
        };
        raw.execute(sql.as_str()).await.unwrap();
    }
    // Checks a run in pieces of 10 on 3 threads against the one-by-one reference.
    async fn check(store: &Store, verifier: ChainVerifier) -> ChainBreak {
        let parallel = store
            .verify_audit_in_pieces(verifier.clone(), 3, 10)
            .await
            .unwrap();
        assert_eq!(parallel, one_by_one(store, verifier).await);
        parallel.unwrap_err()
    }

    // Before the trusted head: an incremental run does not see it; a whole run does.
    raw.execute("UPDATE audit_log SET detail = '{\"forged\":30}' WHERE seq = 30")
        .await
        .unwrap();
    let v = store
        .verify_audit_from(trusted, Some(cp))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.count, 40);
    let b = check(&store, whole()).await;
    assert_eq!((b.seq, b.index), (30, 29));
    assert!(matches!(b.kind, BreakKind::HashMismatch { .. }), "{b}");
    assert_eq!(store.verify_audit().await.unwrap().unwrap_err(), b);

    // The tail cut: the checkpoint shows it.
    raw.execute("DELETE FROM audit_log WHERE seq = 100")
        .await
        .unwrap();
    let b = check(&store, after_60()).await;
    assert_eq!((b.seq, b.index), (100, 39));
    assert_eq!(
        b.kind,
        BreakKind::Truncated {
            last_seq: 99,
            checkpoint_seq: 100
        }
    );
    // In the last piece (91..=99).
    raw.execute("UPDATE audit_log SET detail = '{\"forged\":95}' WHERE seq = 95")
        .await
        .unwrap();
    let b = check(&store, after_60()).await;
    assert_eq!((b.seq, b.index), (95, 34));
    assert!(matches!(b.kind, BreakKind::HashMismatch { .. }), "{b}");
    // The first row of a piece (81..=90) missing: a gap at the boundary.
    raw.execute("DELETE FROM audit_log WHERE seq = 81")
        .await
        .unwrap();
    let b = check(&store, after_60()).await;
    assert_eq!((b.seq, b.index), (81, 20));
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 82 });
    // The last row of a piece (61..=70) rewritten with a fresh hash: the next piece's first
    // link shows it.
    let mut forged = entry_70.clone();
    forged.detail = "{\"forged\":70}".to_owned();
    forged.hash = forged.compute_hash(alg);
    raw.execute(
        format!(
            "UPDATE audit_log SET detail = '{}', hash = '{}' WHERE seq = 70",
            forged.detail, forged.hash
        )
        .as_str(),
    )
    .await
    .unwrap();
    let b = check(&store, after_60()).await;
    assert_eq!((b.seq, b.index), (71, 10));
    assert!(matches!(b.kind, BreakKind::PrevHashMismatch { .. }), "{b}");
    // In the middle of a piece.
    raw.execute("UPDATE audit_log SET detail = '{\"forged\":65}' WHERE seq = 65")
        .await
        .unwrap();
    let b = check(&store, after_60()).await;
    assert_eq!((b.seq, b.index), (65, 4));
    // The trusted head's own entry rewritten: the next entry still links to the trusted hash,
    // but the run's anchor — the log must hold the trusted entry with that hash — fails.
    raw.execute("UPDATE audit_log SET hash = prev_hash WHERE seq = 60")
        .await
        .unwrap();
    let b = store
        .verify_audit_in_pieces(after_60(), 3, 10)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!((b.seq, b.index), (60, 0));
    assert!(
        matches!(b.kind, BreakKind::CheckpointMismatch { .. }),
        "{b}"
    );
    // The tail cut below the trusted head: truncated.
    raw.execute("DELETE FROM audit_log WHERE seq > 50")
        .await
        .unwrap();
    let b = store
        .verify_audit_from(trusted, None)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(b.seq, 51);
    assert_eq!(
        b.kind,
        BreakKind::Truncated {
            last_seq: 50,
            checkpoint_seq: 60
        }
    );
    assert_eq!(check(&store, whole()).await.seq, 30);
    raw.close().await.unwrap();
    store.close().await;
}

/// Issue 19: a record's history is filtered and paged by the database, newest first — a
/// much-read record's latest change is on the first page however many reads came before.
async fn r13_2_a_records_history_is_filtered_and_paged_in_sql_newest_first(db: &TestDb) {
    use baomi_store::HistoryFilter;
    let store = db.open().await;
    let m = ObjectRef::new("matter", 1);
    let viewer = PersonId(1);
    let mut drafts =
        vec![AuditDraft::new(t(1, 0), Actor::Person(PersonId(3)), "matter.propose").on(m.clone())];
    for i in 0..50 {
        drafts.push(
            AuditDraft::new(t(2 + i, 0), Actor::Person(PersonId(2)), "matter.read").on(m.clone()),
        );
    }
    drafts.push(
        AuditDraft::new(t(60, 0), Actor::Person(PersonId(4)), "matter.approve")
            .on(m.clone())
            .outcome(Outcome::Denied {
                reason: "R1.6".into(),
            }),
    );
    drafts.push(AuditDraft::new(t(61, 0), viewer_actor(), "matter.read").on(m.clone()));
    drafts
        .push(AuditDraft::new(t(62, 0), Actor::Person(PersonId(3)), "matter.change").on(m.clone()));
    drafts.push(
        AuditDraft::new(t(63, 0), Actor::Person(PersonId(3)), "matter.read")
            .on(ObjectRef::new("matter", 2)),
    );
    drafts.push(AuditDraft::new(t(64, 0), Actor::Person(PersonId(5)), "auth.login").on(m.clone()));
    drafts.push(AuditDraft::new(t(65, 0), Actor::Person(PersonId(5)), "AUTH.READ").on(m.clone()));
    let mut w = store.write().await.unwrap();
    w.append_audit_batch(drafts).await.unwrap();
    w.commit().await.unwrap();
    fn viewer_actor() -> Actor {
        Actor::Person(PersonId(1))
    }
    let changes = HistoryFilter {
        action_prefixes: vec![],
        viewer: Some(viewer),
        others_success_only: true,
        others_hidden_suffixes: vec![".read".into(), "_status".into()],
    };
    let mut r = store.read().await.unwrap();
    let actions = |es: &[AuditEntry]| es.iter().map(|e| e.action.clone()).collect::<Vec<_>>();
    // A reader's pages of 2, newest first: the latest changes, their own read, the proposal —
    // never another's read or a denial, however many there are. "AUTH.READ" does not end
    // with ".read": suffixes are compared exactly (as `str::ends_with` does).
    let page = r.audit_history(&m, &changes, None, 2).await.unwrap();
    assert_eq!(actions(&page), ["AUTH.READ", "auth.login"]);
    let page2 = r
        .audit_history(&m, &changes, Some(page[1].seq), 2)
        .await
        .unwrap();
    assert_eq!(actions(&page2), ["matter.change", "matter.read"]);
    assert_eq!(page2[1].actor, viewer_actor());
    let page3 = r
        .audit_history(&m, &changes, Some(page2[1].seq), 2)
        .await
        .unwrap();
    assert_eq!(actions(&page3), ["matter.propose"]);
    // The auditor's view: every entry about the record, newest first, paged by seq.
    let all = r
        .audit_history(&m, &HistoryFilter::default(), None, 1000)
        .await
        .unwrap();
    assert_eq!(all.len(), 56);
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));
    // The account view: auth./account. entries only.
    let account = HistoryFilter {
        action_prefixes: vec!["auth.".into(), "account.".into()],
        ..changes.clone()
    };
    let page = r.audit_history(&m, &account, None, 10).await.unwrap();
    assert_eq!(actions(&page), ["auth.login"]);
    r.finish().await.unwrap();
    store.close().await;
}

/// Issue 19: a search by a time window alone reads the window's `seq`s from the time index;
/// the answer is exactly the filter's, newest (highest `seq`) first, paged by `before` — even
/// when time does not follow `seq` (a clock stepped back).
async fn r13_2_a_time_window_search_pages_newest_first_even_when_the_clock_stepped_back(
    db: &TestDb,
) {
    use baomi_store::AuditSearch;
    let store = db.open().await;
    // Times: 100, 101, …, 139, then the clock steps back to 110, …, 129.
    let times: Vec<i64> = (100..140).chain(110..130).collect();
    let drafts = times
        .iter()
        .map(|&s| AuditDraft::new(t(s, 0), officer(), "matter.read"))
        .collect();
    let mut w = store.write().await.unwrap();
    w.append_audit_batch(drafts).await.unwrap();
    w.commit().await.unwrap();
    let search = AuditSearch {
        from: Some(t(115, 0)),
        until: Some(t(125, 0)),
        ..AuditSearch::default()
    };
    let expected: Vec<u64> = (1..=times.len() as u64)
        .rev()
        .filter(|&seq| (115..125).contains(&times[seq as usize - 1]))
        .collect();
    assert_eq!(expected.len(), 20);
    let mut r = store.read().await.unwrap();
    let mut got = Vec::new();
    let mut before = None;
    loop {
        let page = r.search_audit(&search, before, 7).await.unwrap();
        got.extend(page.iter().map(|e| e.seq));
        if page.len() < 7 {
            break;
        }
        before = page.last().map(|e| e.seq);
    }
    assert_eq!(got, expected);
    // With another filter too (the ordinary plan), the same answer.
    let with_actor = AuditSearch {
        actor: Some(PersonId(7)),
        ..search.clone()
    };
    let all: Vec<u64> = r
        .search_audit(&with_actor, None, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(all, expected);
    r.finish().await.unwrap();
    store.close().await;
}

async fn r13_2_concurrent_writers_produce_contiguous_chain(db: &TestDb) {
    const TASKS: i64 = 16;
    const WRITES: i64 = 20;
    let store = db.open().await;
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            for n in 0..WRITES {
                let mut w = store.write().await.unwrap();
                w.create_unit(
                    t(task * 100 + n, 0),
                    Actor::Person(PersonId(task)),
                    &format!("unit {task}-{n}"),
                    UnitTier::Other,
                    None,
                )
                .await
                .unwrap();
                w.commit().await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let total = (TASKS * WRITES) as u64;
    let verified = store.verify_audit().await.unwrap().unwrap();
    assert_eq!(verified.count, total);
    let mut r = store.read().await.unwrap();
    let entries = r.audit_entries(1, 10_000).await.unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
    assert_eq!(r.list_units().await.unwrap().len() as u64, total);
    r.finish().await.unwrap();
    store.close().await;
}

async fn r13_2_sm3_chain_and_algorithm_mismatch(db: &TestDb) {
    let sm3 = StoreOptions {
        algorithm: Some(HashAlgorithm::Sm3),
        ..StoreOptions::default()
    };
    let store = Store::open_with(&db.url, sm3).await.unwrap();
    let mut w = store.write().await.unwrap();
    let e = w
        .append_audit(AuditDraft::new(t(1, 0), Actor::System, "system.start"))
        .await
        .unwrap();
    w.commit().await.unwrap();
    assert_eq!(e.hash, e.compute_hash(HashAlgorithm::Sm3));
    assert_eq!(
        store.verify_audit().await.unwrap().unwrap().head.algorithm,
        HashAlgorithm::Sm3
    );
    store.close().await;

    let refused = Store::open_with(
        &db.url,
        StoreOptions {
            algorithm: Some(HashAlgorithm::Sha256),
            ..StoreOptions::default()
        },
    )
    .await;
    let err = refused.unwrap_err();
    assert!(matches!(
        err,
        StoreError::AlgorithmMismatch {
            stored: HashAlgorithm::Sm3,
            configured: HashAlgorithm::Sha256
        }
    ));
    assert_eq!(err.rule().map(|r| r.0), Some("R13.2"));
    let reopened = db.open().await;
    assert_eq!(reopened.audit_head().await.algorithm, HashAlgorithm::Sm3);
    reopened.close().await;
}

async fn r13_2_checkpoint_detects_truncation(db: &TestDb) {
    let store = db.open().await;
    let mut w = store.write().await.unwrap();
    // A checkpoint of the empty log is accepted.
    let empty = w.audit_head().checkpoint(t(0, 0));
    w.record_checkpoint(t(0, 0), Actor::System, &empty, None)
        .await
        .unwrap();
    for i in 1..5 {
        w.append_audit(AuditDraft::new(t(i, 0), officer(), "matter.read"))
            .await
            .unwrap();
    }
    w.commit().await.unwrap();
    let head = store.audit_head().await;
    assert_eq!(head.seq, 5);
    let cp = head.checkpoint(t(100, 5_000));

    let mut w = store.write().await.unwrap();
    let mut forged = cp;
    forged.head_hash = empty.head_hash;
    let beyond = Checkpoint { seq: 99, ..cp };
    let other_algorithm = Checkpoint {
        algorithm: HashAlgorithm::Sm3,
        ..cp
    };
    for bad in [forged, beyond, other_algorithm] {
        let err = w
            .record_checkpoint(t(100, 0), Actor::System, &bad, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::CheckpointMismatch { seq } if seq == bad.seq),
            "{err}"
        );
        assert_eq!(err.rule().map(|r| r.0), Some("R13.2"));
    }
    assert_eq!(w.audit_head().seq, 5);
    w.record_checkpoint(t(100, 0), Actor::System, &cp, Some(b"signature".as_slice()))
        .await
        .unwrap();
    w.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let stored = r.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(stored.checkpoint, cp);
    assert_eq!(stored.signature.as_deref(), Some(b"signature".as_slice()));
    let audit = r.audit_entries(6, 10).await.unwrap();
    r.finish().await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "audit.checkpoint");
    assert_eq!(
        store
            .verify_audit_against(Some(cp))
            .await
            .unwrap()
            .unwrap()
            .count,
        6
    );

    // The owner drops the trigger and cuts the log back to entry 4.
    let mut raw = db.raw().await;
    let drop_trigger = match db.kind {
        Kind::Sqlite => "DROP TRIGGER audit_log_no_delete",
        Kind::Postgres => "DROP TRIGGER audit_log_no_delete ON audit_log",
    };
    raw.execute(drop_trigger).await.unwrap();
    raw.execute("DELETE FROM audit_log WHERE seq >= 5")
        .await
        .unwrap();
    raw.close().await.unwrap();

    // The chain alone is still consistent; only the checkpoint reveals the truncation.
    assert_eq!(store.verify_audit().await.unwrap().unwrap().count, 4);
    let brk = store
        .verify_audit_against(Some(cp))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            brk.kind,
            BreakKind::Truncated {
                last_seq: 4,
                checkpoint_seq: 5
            }
        ),
        "{brk}"
    );
    store.close().await;
}

#[test]
fn an_unsupported_url_is_reported_without_its_password() {
    let err = Backend::from_url("mysql://auditor:s3cret@db.example/baomi").unwrap_err();
    let text = err.to_string();
    assert!(
        !text.contains("s3cret") && !text.contains("auditor"),
        "{text}"
    );
    assert!(text.contains("db.example/baomi"), "{text}");
    assert!(!baomi_core::Describe::describe(&err, baomi_core::Lang::Zh).contains("s3cret"));
}

// ---------------------------------------------------------------------------------------------
// Faults (issue: a full disk must be a clean refusal, never a silent loss)
// ---------------------------------------------------------------------------------------------

/// One representative write: a unit, a department and a ledger record, with their three
/// audit entries, in one transaction. `Ok` means the store acknowledged it (committed).
async fn write_one(store: &Store, name: &str) -> Result<(), StoreError> {
    let mut w = store.write().await?;
    let unit = w
        .create_unit(t(1_800_000_000, 0), officer(), name, UnitTier::Other, None)
        .await?;
    w.create_department(t(1_800_000_000, 1), officer(), unit.id, "办公室")
        .await?;
    let id = w.next_record_id(baomi_store::RecordKind::Matter).await?;
    let meta = baomi_store::RecordMeta {
        about: None,
        parties: None,
        unit: Some(unit.id.0),
        level: Some(2),
        status: "classified".to_owned(),
        title: name.to_owned(),
        number: None,
        place: None,
        holder: None,
        due_on: None,
        remind_on: None,
        read: None,
    };
    w.insert_record(
        baomi_store::RecordKind::Matter,
        id,
        &meta,
        "{}",
        t(1_800_000_000, 2),
    )
    .await?;
    w.append_audit(AuditDraft::new(
        t(1_800_000_000, 3),
        officer(),
        "matter.create",
    ))
    .await?;
    w.commit().await
}

/// Audited actions per [`write_one`]: unit, department, matter.
const AUDITS_PER_WRITE: u64 = 3;

/// Checks what every fault test promises: each acknowledged write is there whole, each
/// refused one left nothing, and the chain verifies with exactly the acknowledged entries.
async fn assert_exactly(store: &Store, acknowledged: &[String], refused: &[String]) {
    let mut r = store.read().await.unwrap();
    let names: Vec<String> = r
        .list_units()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    r.finish().await.unwrap();
    for name in acknowledged {
        assert!(names.contains(name), "acknowledged write {name} is missing");
    }
    for name in refused {
        assert!(!names.contains(name), "refused write {name} left a unit");
    }
    assert_eq!(names.len(), acknowledged.len(), "units: {names:?}");
    let verified = store.verify_audit().await.unwrap().unwrap();
    assert_eq!(
        verified.count,
        acknowledged.len() as u64 * AUDITS_PER_WRITE,
        "the chain holds exactly the acknowledged writes' entries"
    );
}

/// R13.1 (issue 16.5): a fault injected at every step of a write transaction in turn — `BEGIN`,
/// `SAVEPOINT`, each store operation, `RELEASE`, `COMMIT` — refuses that write, keeps every
/// write acknowledged before it, and the next write succeeds without a restart.
async fn r13_1_a_fault_at_any_step_of_a_write_keeps_what_was_acknowledged_and_nothing_else(
    db: &TestDb,
) {
    let store = db.open().await;
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    let mut step = 0;
    loop {
        let name = format!("单位{step}");
        store.inject_fault_after(step);
        let outcome = write_one(&store, &name).await;
        store.clear_injected_faults();
        match outcome {
            Ok(()) => {
                // The fault was armed past the last step: every step has been tried.
                acknowledged.push(name);
                break;
            }
            Err(e) => {
                assert!(
                    e.fault().is_some(),
                    "step {step}: {e:?} is not a storage fault"
                );
                refused.push(name);
            }
        }
        // Recovery: the very next write succeeds.
        let next = format!("恢复{step}");
        write_one(&store, &next).await.unwrap();
        acknowledged.push(next);
        step += 1;
    }
    assert!(step >= 10, "only {step} steps were tried");
    assert!(store.last_fault().is_some_and(|f| f.cleared));
    assert_exactly(&store, &acknowledged, &refused).await;
    store.close().await;
    let reopened = db.open().await;
    assert_exactly(&reopened, &acknowledged, &refused).await;
    reopened.close().await;
}

/// R13.1 (issue 16.1): concurrent writes share one group commit; a fault anywhere in the group
/// (here at one of many steps while 16 writers run) refuses every member that was not yet
/// committed and keeps every acknowledged one; the chain stays one chain.
async fn r13_1_a_fault_in_a_group_refuses_every_member_and_the_chain_stays_whole(db: &TestDb) {
    let store = db.open().await;
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    for round in 0..6u64 {
        store.inject_fault_after(round * 7 + 3);
        let mut tasks = Vec::new();
        for i in 0..16 {
            let store = store.clone();
            let name = format!("并发{round}-{i}");
            tasks.push(tokio::spawn(async move {
                let outcome = write_one(&store, &name).await;
                (name, outcome)
            }));
        }
        for task in tasks {
            let (name, outcome) = task.await.unwrap();
            match outcome {
                Ok(()) => acknowledged.push(name),
                Err(e) => {
                    assert!(e.fault().is_some(), "{e:?}");
                    refused.push(name);
                }
            }
        }
        store.clear_injected_faults();
    }
    assert!(!refused.is_empty(), "the injected faults refused nothing");
    assert!(
        acknowledged.len() > 16,
        "too few writes succeeded: {}",
        acknowledged.len()
    );
    assert_exactly(&store, &acknowledged, &refused).await;
    store.close().await;
}

/// R13.1 (issue 16.2): a database that reaches its size limit (SQLite `max_page_count`, the
/// portable stand-in for a full disk: the same `SQLITE_FULL`) refuses writes as
/// `Fault::StorageFull`, keeps reads working, and accepts writes again once the limit is
/// lifted, without reopening. PostgreSQL has no such limit; there the same path is proven by
/// the injected faults above and the service's terminated-backend test.
async fn r13_1_a_storage_size_limit_is_a_clean_refusal_and_writes_resume(db: &TestDb) {
    let store = db.open().await;
    if db.kind == Kind::Postgres {
        assert!(!store.limit_size(Some(1)));
        store.close().await;
        return;
    }
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    for i in 0..5 {
        let name = format!("空间前{i}");
        write_one(&store, &name).await.unwrap();
        acknowledged.push(name);
    }
    assert!(store.limit_size(Some(0)));
    let mut full = 0;
    for i in 0..400 {
        let name = format!("空间满{i}{}", "填".repeat(400));
        match write_one(&store, &name).await {
            Ok(()) => acknowledged.push(name),
            Err(e) => {
                assert_eq!(e.fault(), Some(baomi_store::Fault::StorageFull), "{e:?}");
                refused.push(name);
                full += 1;
            }
        }
    }
    assert!(full > 0, "the size limit refused nothing");
    assert_eq!(
        store.last_fault().map(|f| (f.fault, f.cleared)),
        Some((baomi_store::Fault::StorageFull, false))
    );
    // Reads keep working while writes are refused.
    let mut r = store.read().await.unwrap();
    assert!(!r.list_units().await.unwrap().is_empty());
    r.finish().await.unwrap();
    assert!(store.limit_size(None));
    for i in 0..5 {
        let name = format!("空间后{i}");
        write_one(&store, &name).await.unwrap();
        acknowledged.push(name);
    }
    assert!(store.last_fault().is_some_and(|f| f.cleared));
    assert_exactly(&store, &acknowledged, &refused).await;
    store.close().await;
}

/// R13.1 (issue 16.2, 16.4): another process holds a lock the write needs — SQLite: the
/// database's write lock (`BEGIN EXCLUSIVE`), refused after the busy timeout as
/// `Fault::Locked`; PostgreSQL: the table (`LOCK TABLE`), cancelled by the statement timeout as
/// `Fault::Timeout`. Nothing of the refused write is kept and writes resume once the lock is
/// released.
async fn r13_1_a_lock_held_elsewhere_times_out_cleanly_and_writes_resume(db: &TestDb) {
    let options = StoreOptions {
        busy_timeout: Some(std::time::Duration::from_millis(200)),
        statement_timeout: Some(std::time::Duration::from_millis(500)),
        ..StoreOptions::default()
    };
    let store = Store::open_with(&db.url, options).await.unwrap();
    write_one(&store, "锁前").await.unwrap();
    let mut other = db.raw().await;
    let expected = match db.kind {
        Kind::Sqlite => {
            other.execute("PRAGMA busy_timeout = 0").await.unwrap();
            other.execute("BEGIN EXCLUSIVE").await.unwrap();
            baomi_store::Fault::Locked
        }
        Kind::Postgres => {
            other.execute("BEGIN").await.unwrap();
            other
                .execute("LOCK TABLE units IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
            baomi_store::Fault::Timeout
        }
    };
    let refused = write_one(&store, "锁定中").await.unwrap_err();
    assert_eq!(refused.fault(), Some(expected), "{refused:?}");
    other.execute("ROLLBACK").await.unwrap();
    write_one(&store, "锁后").await.unwrap();
    assert_exactly(
        &store,
        &["锁前".to_owned(), "锁后".to_owned()],
        &["锁定中".to_owned()],
    )
    .await;
    store.close().await;
}

/// R13.2 (issue 12.1): two stores — as two server processes would — writing the same database
/// at once keep one chain: each group takes the database's write lock (SQLite) or an advisory
/// lock (PostgreSQL) and chains on the head as stored, not on a head cached in the process.
async fn r13_2_two_stores_on_one_database_keep_one_chain(db: &TestDb) {
    let first = db.open().await;
    let second = db.open().await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let name = format!("双进程{i}");
            write_one(&store, &name).await.unwrap();
            name
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.push(task.await.unwrap());
    }
    assert_exactly(&first, &acknowledged, &[]).await;
    assert_exactly(&second, &acknowledged, &[]).await;
    first.close().await;
    second.close().await;
}

/// Issue 12.2: the time-driven jobs are led by one process at a time; when the leader goes, the
/// next one to try takes the lead. SQLite is one process's database: always the lead.
async fn timed_jobs_are_led_by_one_store_at_a_time(db: &TestDb) {
    let first = db.open().await;
    let second = db.open().await;
    let mut lead = first.try_lead().await.unwrap().unwrap();
    assert!(lead.still_held().await);
    match db.kind {
        Kind::Sqlite => assert!(second.try_lead().await.unwrap().is_some()),
        Kind::Postgres => {
            assert!(second.try_lead().await.unwrap().is_none());
            drop(lead);
            // The lock goes with the closed connection; the next try takes it.
            let mut taken = None;
            for _ in 0..50 {
                taken = second.try_lead().await.unwrap();
                if taken.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(taken.is_some(), "the lead was not taken over");
            assert!(first.try_lead().await.unwrap().is_none());
        }
    }
    first.close().await;
    second.close().await;
}
