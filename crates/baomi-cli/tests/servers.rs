//! Several servers, one PostgreSQL database (issue 12, DESIGN invariant 7): three `baomi
//! serve` processes — the real binary — on one fresh database, behind no load balancer but a
//! client that sends each request to the next server in turn (no sticky sessions: a token
//! issued by one server is used on all three). While 12 clients make audited writes through
//! all of them, one server (the leader of the time-driven rules) is killed with SIGKILL. Afterwards:
//!
//! * every acknowledged write is in the database and `baomi audit verify` passes (one chain);
//! * one TOTP code sent to the three servers at once is accepted by exactly one (R13.1);
//! * the demo matter whose period ended 5 days ago is declassified once — one
//!   `matter.declassify_automatic` entry, and one `carrier.declassify` per carrier — by the
//!   server that led the time-driven rules (R1.9); that leader is the one killed, and a
//!   survivor takes the lead over and writes the next checkpoint (R13.2);
//! * `baomi admin disable` run from the console ends the account's token on both surviving
//!   servers within two seconds (measured about one: each server re-reads the database's
//!   authentication generation at most once a second);
//! * the survivors stop gracefully on SIGTERM with exit code 0.
//!
//! Its own test binary: it starts three servers and keeps two cores busy for a few seconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::ids::PersonId;
use baomi_server::demo;
use baomi_store::{AuditSearch, RecordFilter, RecordKind, RecordOrder, Store, StoreOptions};
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const SERVERS: usize = 3;
const CLIENTS: usize = 12;
/// Demo accounts the clients log in as (no TOTP needed; all active).
const LOGINS: [&str; 6] = [
    "li.na",
    "zhang.wei",
    "wang.fang",
    "liu.yang",
    "chen.jing",
    "zhao.lei",
];

/// A running `baomi serve` and its stderr (read on a thread so that the pipe never fills).
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `baomi serve` and waits for "listening on http://…".
    fn start(db: &str, config: &str) -> Server {
        let listen = format!("127.0.0.1:{}", free_port());
        let mut child = Command::new(BIN)
            .args(["serve", "--db", db, "--listen", &listen, "--config", config])
            .env_remove("BAOMI_DB")
            .env_remove("BAOMI_CONFIG")
            // `info`: the time-driven rules log what they did, which tells the leader.
            .env("BAOMI_LOG", "info")
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
            panic!("serve did not start: {}", log.lock().unwrap());
        }
        Server {
            child,
            base: format!("http://{listen}"),
            log,
        }
    }

    /// How many passes of the time-driven rules changed something on this server (only the
    /// leader runs them).
    fn led(&self) -> usize {
        self.log
            .lock()
            .unwrap()
            .matches("time-driven rules applied")
            .count()
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and the exit code.
    fn terminate(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        for _ in 0..400 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no exit 20 s after SIGTERM: {}", self.log.lock().unwrap());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn baomi(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("BAOMI_DB")
        .env_remove("BAOMI_CONFIG")
        .env("BAOMI_LANG", "en")
        .output()
        .unwrap()
}

/// What the clients had acknowledged (2xx answers).
#[derive(Default)]
struct Acknowledged {
    lang: Mutex<HashMap<PersonId, u64>>,
    carriers: Mutex<BTreeSet<String>>,
    requests: AtomicU64,
    /// Acknowledged writes per server.
    per_server: [AtomicU64; SERVERS],
    unexpected: Mutex<Vec<String>>,
}

async fn login(base: &str, body: Value) -> (reqwest::StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn bearer(base: &str, login_name: &str) -> String {
    let (status, body) = login(
        base,
        json!({ "login": login_name, "password": demo::DEMO_PASSWORD, "bearer": true }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// One client: audited writes as fast as the servers answer, each to the next server in
/// turn; a server that does not answer (killed) is skipped for the next one.
async fn client(
    index: usize,
    bases: Arc<Vec<String>>,
    token: String,
    login_name: &'static str,
    stop: Arc<AtomicBool>,
    acked: Arc<Acknowledged>,
) {
    let person = demo::person_id(login_name).unwrap();
    let registers = login_name == "li.na";
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut n: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let server = (index + n as usize) % bases.len();
        let base = &bases[server];
        let carrier = registers && n.is_multiple_of(2);
        let number = format!("MULTI-{index}-{n}");
        let request = if carrier {
            http.post(format!("{base}/api/v1/carriers")).json(&json!({
                "number": number,
                "kind": "paper_document",
                "marking": "秘密★10年",
                "title": "多服务器测试载体",
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
                acked.per_server[server].fetch_add(1, Ordering::Relaxed);
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
                    .push(format!("{login_name} via server {server}: {status} {body}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // The server was killed, or the connection died with it: not acknowledged.
            Err(_) => {}
        }
    }
}

async fn fresh_database() -> (String, String, String) {
    sqlx::any::install_default_drivers();
    let admin = std::env::var("BAOMI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("baomi_cli_servers_{}_{nanos}", std::process::id());
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required and is not reachable at {admin} ({e})"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin.split('?').next().unwrap();
    let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
    (admin, name, url)
}

async fn three_servers(db: String) {
    // The demo unit, seeded now (its matter whose period ended 5 days ago is still stored as
    // in force: the first server to lead the time-driven rules declassifies it).
    let store = Store::open(&db).await.unwrap();
    demo::seed(&store, jiff::Timestamp::now()).await.unwrap();
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("baomi.toml");
    // Every server tries the time-driven rules every second; checkpoints every two.
    std::fs::write(
        &config,
        "timed_rules_interval_seconds = 1\ncheckpoint_interval_seconds = 2\n",
    )
    .unwrap();
    let config = config.display().to_string();

    let mut starting = Vec::new();
    for _ in 0..SERVERS {
        let (db, config) = (db.clone(), config.clone());
        starting.push(tokio::task::spawn_blocking(move || {
            Server::start(&db, &config)
        }));
    }
    let mut servers = Vec::new();
    for s in starting {
        servers.push(s.await.unwrap());
    }
    let bases: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.base.clone()).collect());

    // R13.1: one TOTP code, sent to the three servers at once, is accepted once.
    let sysadmin = demo::accounts()
        .into_iter()
        .find(|a| a.login == "sysadmin")
        .unwrap();
    let secret = baomi_server::totp::base32_decode(sysadmin.totp_secret.unwrap()).unwrap();
    let code = baomi_server::totp::code_at(&secret, jiff::Timestamp::now().as_second()).unwrap();
    let attempts: Vec<_> = bases
        .iter()
        .map(|base| {
            let base = base.clone();
            let body =
                json!({ "login": "sysadmin", "password": demo::DEMO_PASSWORD, "totp": code });
            tokio::spawn(async move { login(&base, body).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap().0.as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![200, 401, 401],
        "one TOTP code across three servers"
    );

    // The load: every client's token comes from one server and is used on all three.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Acknowledged::default());
    let mut tasks = Vec::new();
    let mut li_na_token = None;
    for index in 0..CLIENTS {
        let login_name = LOGINS[index % LOGINS.len()];
        let token = bearer(&bases[index % SERVERS], login_name).await;
        if login_name == "li.na" {
            li_na_token = Some(token.clone());
        }
        tasks.push(tokio::spawn(client(
            index,
            Arc::clone(&bases),
            token,
            login_name,
            Arc::clone(&stop),
            Arc::clone(&acked),
        )));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The leader of the time-driven rules is the one that declassified the ended matter at
    // start-up: it is the one killed, mid-load, so that the lead must pass to a survivor.
    let leaders: Vec<usize> = (0..SERVERS).filter(|i| servers[*i].led() > 0).collect();
    assert_eq!(leaders.len(), 1, "one leader of the time-driven rules");
    let killed = leaders[0];
    let before_kill = acked.requests.load(Ordering::SeqCst);
    servers[killed].kill();
    let killed_at = Instant::now();
    // A survivor takes the lead and writes the next checkpoint (due two seconds after the
    // last one, the log having grown), while the load goes on.
    let mut new_leader = None;
    while killed_at.elapsed() < Duration::from_millis(1500) || new_leader.is_none() {
        new_leader = (0..SERVERS).find(|i| *i != killed && servers[*i].led() > 0);
        assert!(
            killed_at.elapsed() < Duration::from_secs(10),
            "no survivor took the lead of the time-driven rules"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after_kill = acked.requests.load(Ordering::SeqCst) - before_kill;
    eprintln!(
        "server {killed} led and was killed; server {} led {:?} later",
        new_leader.unwrap_or_default(),
        killed_at.elapsed()
    );
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    let per_server: Vec<u64> = acked
        .per_server
        .iter()
        .map(|n| n.load(Ordering::SeqCst))
        .collect();
    eprintln!(
        "acknowledged: {before_kill} before the kill, {after_kill} in the {:?} after; per server {per_server:?}",
        killed_at.elapsed()
    );
    let unexpected = acked.unexpected.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "non-2xx answers: {unexpected:#?}");
    assert!(
        per_server.iter().all(|n| *n > 0),
        "every server acknowledged writes: {per_server:?}"
    );
    assert!(after_kill > 0, "the survivors went on writing");

    // A revocation from the console reaches both survivors' caches within about a second.
    let token = li_na_token.unwrap();
    let survivors: Vec<String> = (0..SERVERS)
        .filter(|i| *i != killed)
        .map(|i| bases[i].clone())
        .collect();
    let http = reqwest::Client::new();
    for base in &survivors {
        let me = http
            .get(format!("{base}/api/v1/auth/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200, "{base}");
    }
    let o = baomi(&["admin", "disable", "--db", &db, "--login", "li.na"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let disabled_at = Instant::now();
    for base in &survivors {
        loop {
            let me = http
                .get(format!("{base}/api/v1/auth/me"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            if me.status() == 401 {
                break;
            }
            assert_eq!(me.status(), 200);
            assert!(
                // Each server re-reads the generation at most once a second; the rest is
                // slack for three servers and PostgreSQL sharing a busy machine's cores.
                disabled_at.elapsed() < Duration::from_secs(2),
                "{base} still honours the token of a disabled account after {:?}",
                disabled_at.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    eprintln!(
        "the disabled account's token was refused by both survivors {:?} after `baomi admin disable`",
        disabled_at.elapsed()
    );

    // The declassification has happened (at the latest a second after the leader started).
    let store = Store::open_with(
        &db,
        StoreOptions {
            existing: true,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let search = |prefix: &str| AuditSearch {
        action_prefix: Some(prefix.to_owned()),
        ..AuditSearch::default()
    };
    let mut declassified = Vec::new();
    for _ in 0..100 {
        let mut tx = store.read().await.unwrap();
        declassified = tx
            .search_audit(&search("matter.declassify_automatic"), None, 1000)
            .await
            .unwrap();
        tx.finish().await.unwrap();
        if !declassified.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    for (i, server) in servers.iter_mut().enumerate() {
        if i != killed {
            let code = server.terminate();
            assert_eq!(code, Some(0), "{}", server.log.lock().unwrap());
        }
    }

    // R1.9: once, whichever server led; each of its carriers once.
    let mut tx = store.read().await.unwrap();
    let declassified = {
        let again = tx
            .search_audit(&search("matter.declassify_automatic"), None, 1000)
            .await
            .unwrap();
        assert!(again.len() >= declassified.len());
        again
    };
    let matters: Vec<String> = declassified
        .iter()
        .map(|e| e.object.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(
        matters,
        vec![demo::matters::MATTER_TERM_ENDED.to_string()],
        "the ended matter is declassified exactly once"
    );
    let mut carriers: BTreeMap<String, usize> = BTreeMap::new();
    for entry in tx
        .search_audit(&search("carrier.declassify"), None, 1000)
        .await
        .unwrap()
    {
        *carriers
            .entry(entry.object.as_ref().unwrap().id.clone())
            .or_default() += 1;
    }
    assert!(
        carriers.values().all(|n| *n == 1),
        "each carrier is declassified once: {carriers:?}"
    );

    // Every acknowledged write is in the database.
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
    let acknowledged_carriers = acked.carriers.lock().unwrap().clone();
    assert!(!acknowledged_carriers.is_empty());
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
    for number in &acknowledged_carriers {
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
        "{} language changes and {} carrier registrations acknowledged, all present",
        lang.values().sum::<u64>(),
        acknowledged_carriers.len()
    );

    // One chain, whichever server wrote each entry.
    let verify = baomi(&["audit", "verify", "--db", &db]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_12_three_servers_one_postgres_sigkill_one_mid_load() {
    let (admin, name, url) = fresh_database().await;
    let result = tokio::spawn(three_servers(url)).await;
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
