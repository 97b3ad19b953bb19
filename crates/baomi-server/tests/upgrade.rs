//! Issue 19.9 — upgrades keep data: a database written by the release before the read index
//! (commit aafcea6: `baomi demo`, dumped to `tests/fixtures/release-aafcea6.{sqlite,postgres}.sql`)
//! is opened by this release on both backends, migrated, re-indexed at start, and still holds
//! every record and every audit entry; the chain verifies (R13.2); and the lists answer exactly
//! what the core allows (R1.7, R2.1), as the old code computed them by reading every record.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::access::{decide, Action};
use baomi_server::api::carriers::{object_of, scope_of, CarrierRecord};
use baomi_server::api::matters::MatterRecord;
use baomi_server::approvals::ApprovalRequest;
use baomi_server::config::Config;
use baomi_server::ledger;
use baomi_server::people::Person;
use baomi_server::state::Clock;
use baomi_store::{RecordFilter, RecordKind, RecordOrder, Store};
use common::{Backend, TestDb, TestServer};
use jiff::Timestamp;
use reqwest::StatusCode;
use sqlx::{Connection, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const SQLITE_DUMP: &str = include_str!("fixtures/release-aafcea6.sqlite.sql");
const POSTGRES_DUMP: &str = include_str!("fixtures/release-aafcea6.postgres.sql");

/// Counts by table (and by kind for records), read with a raw connection.
async fn census(db: &TestDb) -> BTreeMap<String, i64> {
    let mut conn = db.raw().await;
    let mut out = BTreeMap::new();
    for row in sqlx::query("SELECT kind, COUNT(*) AS n FROM records GROUP BY kind")
        .fetch_all(&mut conn)
        .await
        .unwrap()
    {
        let kind: String = row.try_get("kind").unwrap();
        out.insert(
            format!("records/{kind}"),
            row.try_get::<i64, _>("n").unwrap(),
        );
    }
    for table in ["audit_log", "accounts", "units", "departments", "sessions"] {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        out.insert(table.to_owned(), row.try_get::<i64, _>("n").unwrap());
    }
    conn.close().await.unwrap();
    out
}

async fn restore(db: &TestDb) {
    sqlx::any::install_default_drivers();
    let url = match db.backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", db.url),
        Backend::Postgres => db.url.clone(),
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let dump = match db.backend {
        Backend::Sqlite => SQLITE_DUMP,
        Backend::Postgres => POSTGRES_DUMP,
    };
    sqlx::raw_sql(dump).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

async fn upgrade(backend: Backend) {
    let db = Arc::new(TestDb::new(backend).await);
    restore(&db).await;
    let before = census(&db).await;
    assert!(before["records/carrier"] > 0 && before["records/matter"] > 0);

    // This release opens it: migrations 6 and on run, and serving re-indexes older rows.
    let store = Store::open(&db.url).await.unwrap();
    let last = store.audit_head().await;
    assert_eq!(i64::try_from(last.seq).unwrap(), before["audit_log"]);
    let now = Timestamp::now();
    let server = TestServer::serve(
        Arc::clone(&db),
        store.clone(),
        Config::default(),
        Clock::manual(now),
    )
    .await;
    let li_na = server.login("li.na").await;
    let (status, listed) = li_na.get("/api/v1/carriers?per_page=500").await;
    assert_eq!(status, StatusCode::OK, "{listed}");

    // Every record and entry is still there (the audit log grew by this test's own reads).
    let after = census(&db).await;
    for (what, n) in &before {
        if what == "audit_log" || what == "sessions" {
            assert!(after[what] >= *n, "{what}: {} < {n}", after[what]);
        } else {
            assert_eq!(after[what], *n, "{what}");
        }
    }
    // The chain verifies across the upgrade.
    assert!(
        store.verify_audit().await.unwrap().is_ok(),
        "the chain verifies"
    );

    // Every matter and carrier was re-indexed, with its scope rows.
    let mut conn = db.raw().await;
    let unindexed: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM records WHERE kind IN ('matter', 'carrier') AND read_indexed = 0",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
    .try_get("n")
    .unwrap();
    assert_eq!(unindexed, 0);
    let matters_with_scope: i64 =
        sqlx::query("SELECT COUNT(DISTINCT id) AS n FROM record_scope WHERE kind = 'matter'")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
    assert_eq!(
        matters_with_scope, before["records/matter"],
        "every matter names its scope"
    );
    conn.close().await.unwrap();

    // Migration 8 filled in what each approval request is about and who acted in it, as the
    // bodies say: the indexed columns answer exactly what reading every request would.
    let mut tx = store.read().await.unwrap();
    let requests = ledger::load_all::<ApprovalRequest>(
        &mut tx,
        &RecordFilter::default(),
        RecordOrder::Id,
        false,
    )
    .await
    .unwrap();
    assert!(!requests.is_empty(), "the fixture holds approval requests");
    let mut parties: BTreeSet<i64> = BTreeSet::new();
    for request in &requests {
        let object = request.value.object();
        let about = tx
            .list_records(
                RecordKind::Approval,
                &RecordFilter {
                    about: Some(object),
                    ..RecordFilter::default()
                },
                RecordOrder::Id,
                false,
            )
            .await
            .unwrap();
        assert!(
            about.iter().any(|r| r.id == request.value.id),
            "request {} is found about {object:?}",
            request.value.id
        );
        parties.extend(request.value.steps.iter().map(|s| s.by.0));
    }
    assert!(!parties.is_empty(), "the fixture holds decided requests");
    for person in parties {
        let by_index: BTreeSet<i64> = tx
            .list_records(
                RecordKind::Approval,
                &RecordFilter {
                    party: Some(person),
                    ..RecordFilter::default()
                },
                RecordOrder::Id,
                false,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        let by_body: BTreeSet<i64> = requests
            .iter()
            .filter(|r| r.value.steps.iter().any(|s| s.by.0 == person))
            .map(|r| r.value.id)
            .collect();
        assert_eq!(by_index, by_body, "requests person {person} acted in");
    }
    tx.finish().await.unwrap();

    // li.na's carrier list is what the old code answered: every carrier decided by the core.
    let today = server.today();
    let mut tx = store.read().await.unwrap();
    let me: Person = ledger::load::<Person>(&mut tx, server.person("li.na"))
        .await
        .unwrap()
        .unwrap()
        .value;
    let matters: BTreeMap<i64, MatterRecord> =
        ledger::load_all::<MatterRecord>(&mut tx, &RecordFilter::default(), RecordOrder::Id, false)
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.value.matter.id().0, l.value))
            .collect();
    let carriers = ledger::load_all::<CarrierRecord>(
        &mut tx,
        &RecordFilter::default(),
        RecordOrder::Id,
        false,
    )
    .await
    .unwrap();
    tx.finish().await.unwrap();
    let subject = me.subject();
    let expected: BTreeSet<i64> = carriers
        .iter()
        .filter(|l| {
            let matter = l
                .value
                .carrier
                .matter()
                .and_then(|m| matters.get(&m.0))
                .map(|m| &m.matter);
            let object = object_of(&l.value, scope_of(&l.value, matter));
            decide(&subject, &object, Action::Read, today).is_allowed()
        })
        .map(|l| l.value.carrier.id().0)
        .collect();
    let shown: BTreeSet<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(shown, expected);
    assert_eq!(listed["total"].as_u64().unwrap(), expected.len() as u64);

    // The search index holds the older rows too (three characters go through it).
    let first = carriers
        .iter()
        .find(|l| expected.contains(&l.value.carrier.id().0))
        .unwrap();
    let needle: String = first
        .value
        .carrier
        .title()
        .chars()
        .skip(1)
        .take(3)
        .collect();
    let (status, found) = li_na
        .get(&format!(
            "/api/v1/carriers?q={}",
            url::form_urlencoded::byte_serialize(needle.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"].as_i64() == Some(first.value.carrier.id().0)),
        "{needle} finds {found}"
    );

    // Migration 8 filled in where each carrier is kept: a search finds it by its place.
    let mut tx = store.read().await.unwrap();
    let row = tx
        .get_record(RecordKind::Carrier, first.value.carrier.id().0)
        .await
        .unwrap()
        .unwrap();
    tx.finish().await.unwrap();
    assert_eq!(
        row.meta.place.as_deref(),
        Some(first.value.carrier.location().as_str())
    );

    let mut server = server;
    server.stop().await;
    store.close().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_from_release_aafcea6_keeps_every_record_sqlite() {
    upgrade(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_from_release_aafcea6_keeps_every_record_postgres() {
    upgrade(Backend::Postgres).await;
}
