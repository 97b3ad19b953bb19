//! Time-driven rules end to end (R1.9 automatic declassification, R13.2 periodic signed
//! checkpoints) and reminders (R13.4), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::audit::{Actor, Outcome};
use baomi_core::carriers::{CarrierCommand, CarrierState, CarrierStatus};
use baomi_core::ids::PersonId;
use baomi_core::Lang;
use baomi_server::api::carriers::CarrierRecord;
use baomi_server::auth::Principal;
use baomi_server::demo::matters::{MATTER_ENDING_SOON, MATTER_TERM_ENDED};
use baomi_server::ledger;
use baomi_server::people::Person;
use baomi_server::timed::run_timed_rules;
use baomi_server::Config;
use baomi_store::checkpoint::{
    load_verifying_key, public_path, signature_is_valid, SigningKeyFile,
};
use baomi_store::{CredentialKind, RecordFilter, RecordKind, RecordOrder};
use common::{Backend, TestDb, TestServer};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Executor;
use std::path::PathBuf;
use std::sync::Arc;

/// The signing key and the checkpoint directory of a test, outside the database.
struct Keys {
    key: PathBuf,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("checkpoint.key");
        SigningKeyFile::generate(&key).unwrap();
        let dir = tmp.path().join("checkpoints");
        Keys {
            key,
            dir,
            _tmp: tmp,
        }
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }
}

/// Runs `test` on a seeded server whose configuration signs checkpoints.
async fn run_signed<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestServer, Keys) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let db = Arc::new(TestDb::new(backend).await);
    let keys = Keys::new();
    let config = Config {
        signing_key: Some(keys.key.clone()),
        checkpoint_dir: Some(keys.dir.clone()),
        ..Config::default()
    };
    let server = TestServer::start_with(Arc::clone(&db), config).await;
    let result = tokio::spawn(test(server, keys)).await;
    db.cleanup().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

macro_rules! both_signed {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run_signed(Backend::Sqlite, $body).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run_signed(Backend::Postgres, $body).await;
            }
        }
    };
}

async fn stored_status(server: &TestServer, kind: RecordKind, id: i64) -> String {
    let mut tx = server.store.read().await.unwrap();
    let record = tx.get_record(kind, id).await.unwrap().unwrap();
    tx.finish().await.unwrap();
    record.meta.status
}

async fn carriers_of(server: &TestServer, matter: i64) -> Vec<CarrierRecord> {
    let mut tx = server.store.read().await.unwrap();
    let all = ledger::load_all::<CarrierRecord>(
        &mut tx,
        &RecordFilter::default(),
        RecordOrder::Id,
        false,
    )
    .await
    .unwrap();
    tx.finish().await.unwrap();
    all.into_iter()
        .map(|l| l.value)
        .filter(|c| c.carrier.matter().map(|m| m.0) == Some(matter))
        .collect()
}

fn advance_seconds(server: &TestServer, seconds: i64) {
    let now = server.clock.now();
    server.clock.set(
        now.checked_add(jiff::SignedDuration::from_secs(seconds))
            .unwrap(),
    );
}

both_backends!(
    r1_9_a_matter_is_declassified_automatically_at_term_end,
    |server| async move {
        let today = server.today();
        assert_eq!(
            stored_status(&server, RecordKind::Matter, MATTER_TERM_ENDED).await,
            "in_force"
        );
        let report = run_timed_rules(&server.state).await.unwrap();
        assert_eq!(
            report.declassified_matters,
            vec![MATTER_TERM_ENDED],
            "{report:?}"
        );
        assert_eq!(
            stored_status(&server, RecordKind::Matter, MATTER_TERM_ENDED).await,
            "declassified"
        );
        assert_eq!(
            stored_status(&server, RecordKind::Matter, MATTER_ENDING_SOON).await,
            "in_force"
        );
        // The ledger's status filter sees it.
        let reader = server.login("wang.fang").await;
        let (status, body) = reader
            .get("/api/v1/matters?status=declassified&per_page=500")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == MATTER_TERM_ENDED),
            "{body}"
        );
        // Attributed to the system, with the end day.
        let entries = server.audit("matter.declassify_automatic").await;
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(entry.actor, Actor::System);
        assert_eq!(entry.outcome, Outcome::Success);
        assert_eq!(
            entry.object.as_ref().unwrap().id,
            MATTER_TERM_ENDED.to_string()
        );
        let detail: Value = serde_json::from_str(&entry.detail).unwrap();
        let ended = today.checked_sub(jiff::ToSpan::days(5)).unwrap();
        assert_eq!(detail["declassified_on"], ended.to_string(), "{detail}");
        assert_eq!(detail["rule"], "R1.9");
        let auditor = server.login("auditor").await;
        let (_, found) = auditor
            .get("/api/v1/audit?action=matter.declassify_automatic")
            .await;
        assert_eq!(found["items"][0]["actor"]["kind"], "system", "{found}");
        // A second pass on the same day changes nothing.
        let again = run_timed_rules(&server.state).await.unwrap();
        assert!(again.declassified_matters.is_empty(), "{again:?}");
    }
);

both_backends!(
    r1_9_carriers_follow_their_matter_when_it_is_declassified,
    |server| async move {
        // Bring every lent carrier of the matter ending soon back into custody first.
        let li_na = PersonId(server.person("li.na"));
        for record in carriers_of(&server, MATTER_ENDING_SOON).await {
            if record.carrier.status() == CarrierStatus::Lent {
                let mut tx = server.store.write().await.unwrap();
                baomi_server::api::carriers::apply_recorded(
                    &mut tx,
                    record.carrier.id().0,
                    CarrierCommand::Return {
                        received_by: li_na,
                        face_to_face: true,
                        inventory_matches: true,
                    },
                    server.today(),
                    li_na,
                    None,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }
        let before = carriers_of(&server, MATTER_ENDING_SOON).await;
        let open: Vec<i64> = before
            .iter()
            .filter(|c| {
                matches!(
                    c.carrier.status(),
                    CarrierStatus::Registered | CarrierStatus::InCustody
                )
            })
            .map(|c| c.carrier.id().0)
            .collect();
        server.advance_days(21);
        let report = run_timed_rules(&server.state).await.unwrap();
        assert!(
            report.declassified_matters.contains(&MATTER_ENDING_SOON),
            "{report:?}"
        );
        for id in &open {
            assert!(report.declassified_carriers.contains(id), "{id} {report:?}");
            assert_eq!(
                stored_status(&server, RecordKind::Carrier, *id).await,
                "declassified"
            );
        }
        let after = carriers_of(&server, MATTER_ENDING_SOON).await;
        for c in after.iter().filter(|c| open.contains(&c.carrier.id().0)) {
            assert!(matches!(
                c.carrier.state(),
                CarrierState::Declassified { .. }
            ));
            let last = c.history.last().unwrap();
            assert_eq!(last.by, None, "the system");
            assert_eq!(last.action, "declassify");
        }
        let marks = server.audit("carrier.declassify").await;
        let by_system: Vec<_> = marks.iter().filter(|e| e.actor == Actor::System).collect();
        assert_eq!(by_system.len(), open.len());
    }
);

both_backends!(
    r13_4_reminders_show_each_person_only_their_own_items,
    |server| async move {
        let today = server.today();
        let mut seen = std::collections::BTreeMap::new();
        for login in [
            "wang.fang",
            "li.na",
            "chen.jing",
            "zhao.lei",
            "sun.li",
            "liu.yang",
        ] {
            let client = server.login(login).await;
            let me = server.person(login);
            let (status, body) = client.get("/api/v1/reminders").await;
            assert_eq!(status, StatusCode::OK, "{login}: {body}");
            assert_eq!(body["day"], today.to_string());
            let items = body["items"].as_array().unwrap().clone();
            for item in &items {
                assert!(
                    item["message_zh"].as_str().is_some_and(|m| !m.is_empty()),
                    "{item}"
                );
                assert!(
                    item["message_en"].as_str().is_some_and(|m| !m.is_empty()),
                    "{item}"
                );
                let id = item["object"]["id"].as_i64().unwrap();
                match item["object"]["kind"].as_str().unwrap() {
                    // Never a matter they may not read.
                    "matter" => {
                        let (status, body) = client.get(&format!("/api/v1/matters/{id}")).await;
                        assert_eq!(
                            status,
                            StatusCode::OK,
                            "{login} reminded of matter {id}: {body}"
                        );
                    }
                    "person" => assert_eq!(id, me, "{login}: {item}"),
                    "carrier" => {
                        // The number is on what they hold; the title only if they may read it.
                        let (status, _) = client.get(&format!("/api/v1/carriers/{id}")).await;
                        if status != StatusCode::OK {
                            let mut tx = server.store.read().await.unwrap();
                            let c = ledger::load::<CarrierRecord>(&mut tx, id)
                                .await
                                .unwrap()
                                .unwrap();
                            tx.finish().await.unwrap();
                            let title = c.value.carrier.title().to_owned();
                            assert!(
                                !item["message_zh"].as_str().unwrap().contains(&title),
                                "{item}"
                            );
                        }
                    }
                    "unit" => assert_eq!(login, "li.na"),
                    other => panic!("unexpected object kind {other}"),
                }
            }
            seen.insert(login, items);
        }
        let has = |login: &str, kind: &str, matter: Option<i64>| {
            seen[login].iter().any(|r| {
                r["kind"] == kind
                    && matter
                        .is_none_or(|m| r["object"]["id"] == m && r["object"]["kind"] == "matter")
            })
        };
        // R1.9: the matter ending in 20 days, for those in its scope who may read it.
        assert!(
            has("wang.fang", "term_ending", Some(MATTER_ENDING_SOON)),
            "{:#?}",
            seen["wang.fang"]
        );
        assert!(has("liu.yang", "term_ending", Some(MATTER_ENDING_SOON)));
        assert!(!has("chen.jing", "term_ending", Some(MATTER_ENDING_SOON)));
        assert!(!has("zhao.lei", "term_ending", None));
        let term = seen["wang.fang"]
            .iter()
            .find(|r| r["kind"] == "term_ending" && r["object"]["id"] == MATTER_ENDING_SOON)
            .unwrap();
        assert_eq!(term["rule"], "R1.9");
        assert_eq!(
            term["due"],
            today
                .checked_add(jiff::ToSpan::days(20))
                .unwrap()
                .to_string()
        );
        // R1.9 yearly reviews: for the classifier, not for the handling officer.
        assert!(
            has("wang.fang", "review_due", None),
            "{:#?}",
            seen["wang.fang"]
        );
        assert!(!has("liu.yang", "review_due", None));
        // R2.3: chen.jing's training is short; sun.li left her post; zhao.lei is not classified.
        assert!(has("chen.jing", "training_short", None));
        assert!(!has("wang.fang", "training_short", None));
        assert!(!has("sun.li", "training_short", None));
        assert!(!has("zhao.lei", "training_short", None));
        // R3.4: chen.jing's overdue loan is hers alone.
        assert!(
            has("chen.jing", "carrier_overdue", None),
            "{:#?}",
            seen["chen.jing"]
        );
        assert!(!has("wang.fang", "carrier_overdue", None));
        // R3.7: the bureau's inventory was closed today.
        assert!(!has("li.na", "inventory_due", None), "{:#?}", seen["li.na"]);
        assert_eq!(server.audit("reminders.list").await.len(), 6);
    }
);

both_backends!(
    r13_4_passwords_and_inventories_come_due,
    |server| async move {
        // R4.2: a Secret system's passwords are changed monthly; reminded two weeks ahead.
        server.advance_days(20);
        let client = server.login("chen.jing").await;
        let (_, body) = client.get("/api/v1/reminders").await;
        let password = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "password_due");
        assert!(password.is_some(), "{body}");
        assert_eq!(password.unwrap()["rule"], "R4.2");
        // R3.7: a year after the last round the confidentiality office is reminded (computed
        // directly: by then every demo password has expired and logins only change them).
        server.advance_days(340);
        let li_na = server.person("li.na");
        let mut tx = server.store.read().await.unwrap();
        let person = ledger::load::<Person>(&mut tx, li_na)
            .await
            .unwrap()
            .unwrap()
            .value;
        tx.finish().await.unwrap();
        let principal = Principal {
            person,
            login: "li.na".to_owned(),
            lang: Lang::Zh,
            kind: CredentialKind::Session,
            csrf: String::new(),
            token_hash: String::new(),
            issued: server.clock.now(),
            restriction: None,
        };
        let items = baomi_server::api::reminders::reminders_for(&server.state, &principal)
            .await
            .unwrap();
        let inventory = items.iter().find(|r| r.kind == "inventory_due");
        assert!(inventory.is_some(), "{items:#?}");
        assert_eq!(inventory.unwrap().rule, "R3.7");
        assert_eq!(inventory.unwrap().object.id, 3);
    }
);

both_backends!(
    r13_2_an_unsigned_checkpoint_is_recorded_when_no_key_is_configured,
    |server| async move {
        let report = run_timed_rules(&server.state).await.unwrap();
        let checkpoint = report.checkpoint.expect("a first checkpoint");
        assert!(!checkpoint.signed);
        assert!(checkpoint.file.is_none());
        let auditor = server.login("auditor").await;
        let (_, body) = auditor.get("/api/v1/audit/verify").await;
        assert_eq!(body["ok"], true, "{body}");
        assert_eq!(body["checkpoint"]["seq"], checkpoint.seq);
        assert_eq!(body["checkpoint"]["signature"], "absent");
        assert_eq!(body["key_configured"], false);
    }
);

both_signed!(
    r13_2_periodic_checkpoints_are_signed_and_kept_outside_the_database,
    |server, keys| async move {
        let first = run_timed_rules(&server.state)
            .await
            .unwrap()
            .checkpoint
            .expect("a first checkpoint");
        assert!(first.signed);
        let file = first.file.clone().expect("written to checkpoint_dir");
        assert_eq!(keys.files(), vec![file.clone()]);
        // The format `baomi audit verify --checkpoint FILE` reads.
        let json: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(json["seq"], first.seq);
        assert_eq!(json["head_hash"], first.head_hash);
        assert_eq!(json["algorithm"], "sha256");
        let checkpoint = baomi_core::audit::Checkpoint {
            algorithm: json["algorithm"].as_str().unwrap().parse().unwrap(),
            seq: json["seq"].as_u64().unwrap(),
            head_hash: baomi_core::audit::Digest::from_hex(json["head_hash"].as_str().unwrap())
                .unwrap(),
            at: json["at"].as_str().unwrap().parse().unwrap(),
        };
        let signature = baomi_core::audit::from_hex(json["signature"].as_str().unwrap()).unwrap();
        let public = load_verifying_key(&public_path(&keys.key)).unwrap();
        assert!(signature_is_valid(&public, &checkpoint, &signature));
        // Not due again at once, nor while only the checkpoint's own entry was added.
        assert!(run_timed_rules(&server.state)
            .await
            .unwrap()
            .checkpoint
            .is_none());
        let auditor = server.login("auditor").await;
        assert!(
            run_timed_rules(&server.state)
                .await
                .unwrap()
                .checkpoint
                .is_none(),
            "interval not over"
        );
        advance_seconds(&server, 301);
        let second = run_timed_rules(&server.state)
            .await
            .unwrap()
            .checkpoint
            .expect("due after the interval");
        assert!(second.seq > first.seq + 1);
        assert_eq!(keys.files().len(), 2);
        let (_, body) = auditor.get("/api/v1/audit/verify").await;
        assert_eq!(body["ok"], true, "{body}");
        assert_eq!(body["key_configured"], true);
        assert_eq!(body["checkpoint"]["seq"], second.seq);
        assert_eq!(body["checkpoint"]["signature"], "valid");
        assert_eq!(body["truncation_checked"], true);
        assert_eq!(body["external_checkpoint"]["signature"], "valid");
        assert_eq!(body["external_checkpoint"]["seq"], second.seq);
        let marks: Vec<_> = server.audit("audit.checkpoint").await;
        assert_eq!(marks.len(), 2);
        assert!(marks.iter().all(|e| e.actor == Actor::System));
    }
);

both_signed!(
    r13_2_truncating_the_tail_is_detected_over_http,
    |server, keys| async move {
        let auditor = server.login("auditor").await;
        let checkpoint = run_timed_rules(&server.state)
            .await
            .unwrap()
            .checkpoint
            .unwrap();
        let mut raw = server.db.raw().await;
        match server.db.backend {
            Backend::Sqlite => {
                raw.execute("DROP TRIGGER audit_log_no_delete")
                    .await
                    .unwrap();
                raw.execute("DROP TRIGGER audit_checkpoints_no_delete")
                    .await
                    .unwrap();
            }
            Backend::Postgres => {
                raw.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
                    .await
                    .unwrap();
                raw.execute("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
                    .await
                    .unwrap();
            }
        }
        let cut = checkpoint.seq - 3;
        raw.execute(format!("DELETE FROM audit_log WHERE seq > {cut}").as_str())
            .await
            .unwrap();
        let (_, body) = auditor.get("/api/v1/audit/verify").await;
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(body["truncated"], true, "{body}");
        assert_eq!(body["problem"]["kind"], "truncated", "{body}");
        // The owner deletes the stored checkpoints too: the file outside the database still tells.
        raw.execute("DELETE FROM audit_checkpoints").await.unwrap();
        let (_, body) = auditor.get("/api/v1/audit/verify").await;
        assert_eq!(body["ok"], false, "{body}");
        assert_eq!(body["checkpoint"], Value::Null, "{body}");
        assert_eq!(body["external_checkpoint"]["intact"], false, "{body}");
        assert_eq!(keys.files().len(), 1);
    }
);

/// Issue 12 (R13.2): with two servers on one PostgreSQL database, the one leading the timed
/// rules decides whether a checkpoint is due from the log as stored — not from the head it
/// last committed itself — so checkpoints go on while only the other server writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r13_2_a_leader_that_writes_nothing_itself_still_checkpoints_what_others_wrote() {
    let db = Arc::new(TestDb::new(Backend::Postgres).await);
    let tested = Arc::clone(&db);
    let result = tokio::spawn(async move {
        let one = TestServer::start(Arc::clone(&tested)).await;
        let store = baomi_store::Store::open(&tested.url).await.unwrap();
        let leader = TestServer::serve(
            Arc::clone(&tested),
            store,
            Config::default(),
            one.clock.clone(),
        )
        .await;
        let first = baomi_server::timed::checkpoint_if_due(&leader.state)
            .await
            .unwrap()
            .expect("a first checkpoint of the seeded log");
        // Only server one writes from now on.
        let officer = one.login_bearer("li.na").await;
        for lang in ["en", "zh", "en"] {
            let (status, body) = officer
                .post("/api/v1/auth/lang", serde_json::json!({ "lang": lang }))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        advance_seconds(&one, 301);
        let second = baomi_server::timed::checkpoint_if_due(&leader.state)
            .await
            .unwrap()
            .expect("the log grew through server one: a checkpoint is due");
        assert!(second.seq > first.seq + 3, "{first:?} {second:?}");
    })
    .await;
    db.cleanup().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
