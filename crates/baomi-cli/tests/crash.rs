//! Crash safety (issue acceptance, R13.2): the real `baomi` binary is killed with SIGKILL at
//! random moments while 16 clients make audited writes, and restarted on the same database,
//! five times. Afterwards every acknowledged write is in the database and `baomi audit verify`
//! passes. On SQLite and on PostgreSQL (a fresh database; required, never skipped).
//!
//! The writes: `POST /api/v1/auth/lang` (every client, audited `auth.lang`) and
//! `POST /api/v1/carriers` registrations with unique numbers (the clients logged in as the
//! confidentiality officer), each acknowledged number of which must be in the carrier ledger.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::ids::PersonId;
use baomi_server::demo;
use baomi_store::{AuditSearch, RecordFilter, RecordKind, RecordOrder, Store, StoreOptions};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const CLIENTS: usize = 16;
const ROUNDS: usize = 5;
/// Demo accounts the clients log in as (no TOTP needed; all active).
const LOGINS: [&str; 8] = [
    "li.na",
    "zhang.wei",
    "wang.fang",
    "liu.yang",
    "chen.jing",
    "zhao.lei",
    "huang.tao",
    "xu.min",
];

/// Starts the binary and waits for "listening on http://…" on its stderr, which is then
/// drained on a thread (so that the pipe never fills).
fn start(args: &[String]) -> Child {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("BAOMI_DB")
        .env_remove("BAOMI_CONFIG")
        .env("BAOMI_LANG", "en")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let log = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if line.starts_with("listening on ") {
                let _ = tx.send(());
            }
            sink.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    if rx.recv_timeout(Duration::from_secs(120)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        std::thread::sleep(Duration::from_millis(100));
        panic!("{args:?} did not start: {}", log.lock().unwrap());
    }
    child
}

/// SIGKILL: no shutdown, no flush, nothing.
fn kill(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A small xorshift generator (the seed is printed, to replay a failure's timing).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.next() % (to - from + 1))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the clients had acknowledged (2xx answers).
#[derive(Default)]
struct Acknowledged {
    lang: Mutex<HashMap<PersonId, u64>>,
    carriers: Mutex<BTreeSet<String>>,
    requests: AtomicU64,
    unexpected: Mutex<Vec<String>>,
}

async fn bearer(base: &str, login: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "login": login, "password": demo::DEMO_PASSWORD, "bearer": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// One client: audited writes as fast as the server answers, retrying while it is down.
async fn client(
    index: usize,
    base: String,
    token: String,
    login: &'static str,
    tag: &'static str,
    stop: Arc<AtomicBool>,
    acked: Arc<Acknowledged>,
) {
    let person = demo::person_id(login).unwrap();
    let registers = login == "li.na";
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut n: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let carrier = registers && n.is_multiple_of(2);
        let number = format!("CRASH-{tag}-{index}-{n}");
        let request = if carrier {
            http.post(format!("{base}/api/v1/carriers")).json(&json!({
                "number": number,
                "kind": "paper_document",
                "marking": "秘密★10年",
                "title": "崩溃测试载体",
                "scope": { "persons": [person.0], "groups": [] },
                "location": "保密室",
            }))
        } else {
            let lang = if n.is_multiple_of(2) { "zh" } else { "en" };
            http.post(format!("{base}/api/v1/auth/lang"))
                .json(&json!({ "lang": lang }))
        };
        match request.bearer_auth(&token).send().await {
            Ok(response) if response.status().is_success() => {
                acked.requests.fetch_add(1, Ordering::Relaxed);
                if carrier {
                    acked.carriers.lock().unwrap().insert(number);
                } else {
                    *acked.lang.lock().unwrap().entry(person).or_default() += 1;
                }
            }
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                acked
                    .unexpected
                    .lock()
                    .unwrap()
                    .push(format!("{login} {status}: {body}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // The server is down (killed) or the connection died with it: not acknowledged.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Seeds the demo into `db` with `baomi demo`, then kills and restarts `baomi serve` on it
/// while the clients write; then checks the database.
async fn crash_rounds(db: String, tag: &'static str) {
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test {tag}: timing seed {seed}");
    let mut rng = Rng(seed);

    let args: Vec<String> = ["demo", "--db", &db, "--listen", &listen]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut server = tokio::task::spawn_blocking(move || start(&args))
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Acknowledged::default());
    let mut tasks = Vec::new();
    for index in 0..CLIENTS {
        let login = LOGINS[index % LOGINS.len()];
        let token = bearer(&base, login).await;
        tasks.push(tokio::spawn(client(
            index,
            base.clone(),
            token,
            login,
            tag,
            Arc::clone(&stop),
            Arc::clone(&acked),
        )));
    }

    let serve_args: Vec<String> = ["serve", "--db", &db, "--listen", &listen]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut per_round = Vec::new();
    for _ in 0..ROUNDS {
        let before = acked.requests.load(Ordering::SeqCst);
        tokio::time::sleep(rng.millis(300, 1500)).await;
        kill(&mut server);
        per_round.push(acked.requests.load(Ordering::SeqCst) - before);
        let args = serve_args.clone();
        let started = Instant::now();
        server = tokio::task::spawn_blocking(move || start(&args))
            .await
            .unwrap();
        eprintln!("restarted in {:?}", started.elapsed());
    }
    // Writes after the last restart reach the restarted server.
    let before = acked.requests.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    per_round.push(acked.requests.load(Ordering::SeqCst) - before);
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    kill(&mut server);
    eprintln!("acknowledged writes per round: {per_round:?}");

    let unexpected = acked.unexpected.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "non-2xx answers: {unexpected:#?}");
    assert!(
        per_round.iter().all(|n| *n > 0),
        "every round must acknowledge writes: {per_round:?}"
    );

    // Every acknowledged write is in the database.
    let store = Store::open_with(
        &db,
        StoreOptions {
            existing: true,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let mut tx = store.read().await.unwrap();
    let lang = acked.lang.lock().unwrap().clone();
    for (person, count) in &lang {
        let stored = tx
            .search_audit(
                &AuditSearch {
                    actor: Some(*person),
                    action_prefix: Some("auth.lang".to_owned()),
                    outcome: Some("success"),
                    ..AuditSearch::default()
                },
                None,
                10_000_000,
            )
            .await
            .unwrap()
            .len() as u64;
        assert!(
            stored >= *count,
            "person {}: {count} language changes acknowledged, {stored} audited",
            person.0
        );
    }
    let carriers = acked.carriers.lock().unwrap().clone();
    assert!(
        !carriers.is_empty(),
        "no carrier registration was acknowledged"
    );
    let numbers: BTreeSet<String> = tx
        .list_records(
            RecordKind::Carrier,
            &RecordFilter::default(),
            RecordOrder::Id,
            false,
        )
        .await
        .unwrap()
        .into_iter()
        .filter_map(|r| r.meta.number)
        .collect();
    for number in &carriers {
        assert!(
            numbers
                .iter()
                .any(|key| key.ends_with(&format!(":{number}#1"))),
            "acknowledged carrier {number} is missing"
        );
    }
    tx.finish().await.unwrap();
    store.close().await;
    eprintln!(
        "{tag}: {} language changes and {} carrier registrations acknowledged, all present",
        lang.values().sum::<u64>(),
        carriers.len()
    );

    // And the audit chain is intact.
    let verify = Command::new(BIN)
        .args(["audit", "verify", "--db", &db])
        .env("BAOMI_LANG", "en")
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r13_2_sigkill_during_audited_writes_loses_nothing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.sqlite").display().to_string();
    crash_rounds(db, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn r13_2_sigkill_during_audited_writes_loses_nothing_postgres() {
    sqlx::any::install_default_drivers();
    let admin = std::env::var("BAOMI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("baomi_cli_crash_{}_{nanos}", std::process::id());
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required and is not reachable at {admin} ({e})"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin.split('?').next().unwrap();
    let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
    let result = tokio::spawn(crash_rounds(url, "postgres")).await;
    if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
        let _ = conn.close().await;
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
