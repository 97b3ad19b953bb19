//! The end-to-end harness: a real `baomi serve` (in this process) over a fresh database seeded
//! with the demo unit, on 127.0.0.1, driven over HTTP with a real client.
//!
//! Every test runs on both backends: SQLite (a file in a temporary directory) and PostgreSQL
//! (a fresh database per test on `postgres://postgres@127.0.0.1:5432/test`, or
//! `BAOMI_TEST_POSTGRES_URL`). An unreachable PostgreSQL fails the test: it is never skipped.
//!
//! ```ignore
//! both_backends!(r1_6_self_approval_is_refused, |server| async move {
//!     let officer = server.login("liu.yang").await;
//!     let (status, body) = officer.post("/api/v1/proposals", json!({...})).await;
//!     assert_eq!(status, 201, "{body}");
//! });
//! ```
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_server::{demo, totp, AppState, Clock, Config};
use baomi_store::{Backend as StoreBackend, Store};
use jiff::civil::Date;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::oneshot;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The moment every test's demo is seeded at: 2026-03-02 09:00 in Beijing.
pub const SEEDED_AT: &str = "2026-03-02T01:00:00Z";

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh database.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("baomi.sqlite").display().to_string();
                TestDb {
                    backend,
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let admin = std::env::var("BAOMI_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos();
                let name = format!(
                    "baomi_s_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    nanos
                );
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL is required for the service suite and is not reachable at \
                         {admin} ({e}). Start it or set BAOMI_TEST_POSTGRES_URL."
                        )
                    });
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                let base = admin.split('?').next().unwrap();
                let prefix = &base[..base.rfind('/').unwrap()];
                TestDb {
                    backend,
                    url: format!("{prefix}/{name}"),
                    postgres: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }

    /// A SQLite database at `path` (a file that does not exist yet; the caller keeps its
    /// folder, e.g. a small file system mounted for a fault test).
    #[allow(dead_code)]
    pub fn sqlite_at(path: &std::path::Path) -> TestDb {
        TestDb {
            backend: Backend::Sqlite,
            url: path.display().to_string(),
            postgres: None,
            _dir: None,
        }
    }

    /// A raw connection, bypassing the store (to play the database owner).
    pub async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        let (_, url) = StoreBackend::from_url(&self.url).unwrap();
        sqlx::AnyConnection::connect(&url).await.unwrap()
    }

    pub async fn cleanup(&self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut conn) = sqlx::AnyConnection::connect(admin).await {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await;
                let _ = conn.close().await;
            }
        }
    }
}

/// The API contract check (issue 18, finding 12), on for every test that uses this harness:
/// every request a [`Client`] makes under `/api/v1/` must be an operation of the served
/// OpenAPI document (`baomi_server::openapi::document()`, built once per process), and every
/// status it answers one that the operation documents. Misses are collected per server and
/// fail the test when the server is dropped (unless the test already failed). A request to
/// a path the document does not have passes only if the router answered 404 or 405 (probes
/// of what is not part of the API). `BAOMI_TEST_CONTRACT=0` turns the check off.
#[derive(Debug, Default)]
pub struct Contract {
    misses: Mutex<Vec<String>>,
    checked: AtomicU64,
}

/// (method, path template segments, documented statuses) of every operation.
type Operations = Vec<(String, Vec<String>, Vec<u16>)>;

fn operations() -> &'static Operations {
    static OPS: OnceLock<Operations> = OnceLock::new();
    OPS.get_or_init(|| {
        let doc = baomi_server::openapi::document();
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let statuses = op["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|c| c.parse().unwrap())
                    .collect();
                let segments = path.split('/').map(str::to_owned).collect();
                out.push((method.to_uppercase(), segments, statuses));
            }
        }
        out
    })
}

impl Contract {
    fn enabled() -> bool {
        std::env::var("BAOMI_TEST_CONTRACT").map_or(true, |v| v != "0")
    }

    /// Checks one answered request against the document.
    pub fn check(&self, method: &str, path: &str, status: u16) {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if !path.starts_with("/api/v1/") || !Contract::enabled() {
            return;
        }
        self.checked.fetch_add(1, Ordering::Relaxed);
        let segments: Vec<&str> = path.split('/').collect();
        // The operation the router would pick: the matching template with most literal segments.
        let best = operations()
            .iter()
            .filter(|(m, t, _)| {
                m == method
                    && t.len() == segments.len()
                    && t.iter()
                        .zip(&segments)
                        .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
            })
            .max_by_key(|(_, t, _)| t.iter().filter(|t| !t.starts_with('{')).count());
        let miss = match best {
            None if matches!(status, 404 | 405) => None,
            None => Some(format!(
                "{method} {path} → {status}: no such operation in the document"
            )),
            Some((_, template, statuses)) if !statuses.contains(&status) => Some(format!(
                "{method} {} ({path}) → {status}: not documented (documents {statuses:?})",
                template.join("/")
            )),
            Some(_) => None,
        };
        if let Some(miss) = miss {
            self.misses.lock().unwrap().push(miss);
        }
    }

    /// The misses so far.
    pub fn misses(&self) -> Vec<String> {
        self.misses.lock().unwrap().clone()
    }
}

/// A running service over a seeded database.
pub struct TestServer {
    pub db: Arc<TestDb>,
    pub base: String,
    pub clock: Clock,
    pub store: Store,
    pub state: AppState,
    /// The API contract check of this server's clients.
    pub contract: Arc<Contract>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Seeds the demo at [`SEEDED_AT`] and serves it with the default configuration.
    pub async fn start(db: Arc<TestDb>) -> TestServer {
        TestServer::start_with(db, Config::default()).await
    }

    /// Like [`TestServer::start`] with a configuration.
    pub async fn start_with(db: Arc<TestDb>, config: Config) -> TestServer {
        let store = Store::open(&db.url).await.unwrap();
        let at: Timestamp = SEEDED_AT.parse().unwrap();
        demo::seed(&store, at).await.unwrap();
        TestServer::serve(db, store, config, Clock::manual(at)).await
    }

    /// Serves an already seeded store (after a restart, say).
    pub async fn serve(db: Arc<TestDb>, store: Store, config: Config, clock: Clock) -> TestServer {
        let state = AppState::new(store.clone(), config, clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let served = state.clone();
        let task = tokio::spawn(async move {
            baomi_server::serve(listener, served, async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestServer {
            db,
            base,
            clock,
            store,
            state,
            contract: Arc::new(Contract::default()),
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops serving (the store stays open).
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Today on the server's clock.
    pub fn today(&self) -> Date {
        self.clock.today()
    }

    /// Moves the server's clock by whole days.
    pub fn advance_days(&self, days: i64) {
        let now = self.clock.now();
        self.clock.set(
            now.checked_add(jiff::SignedDuration::from_hours(24 * days))
                .unwrap(),
        );
    }

    /// The demo person id of `login`.
    pub fn person(&self, login: &str) -> i64 {
        demo::person_id(login)
            .unwrap_or_else(|| panic!("no demo person {login}"))
            .0
    }

    /// The current TOTP code of a demo account that has one.
    pub fn totp_code(&self, login: &str) -> Option<String> {
        let secret = demo::accounts()
            .into_iter()
            .find(|a| a.login == login)?
            .totp_secret?;
        let bytes = totp::base32_decode(secret)?;
        totp::code_at(&bytes, self.clock.now().as_second())
    }

    /// Logs in as a demo account with a session cookie (and its CSRF token).
    pub async fn login(&self, login: &str) -> Client {
        self.try_login(login, demo::DEMO_PASSWORD)
            .await
            .unwrap_or_else(|(s, b)| panic!("login {login} failed: {s} {b}"))
    }

    /// Logs in as a demo account with a bearer token.
    pub async fn login_bearer(&self, login: &str) -> Client {
        let http = reqwest::Client::new();
        let mut body =
            serde_json::json!({ "login": login, "password": demo::DEMO_PASSWORD, "bearer": true });
        if let Some(code) = self.totp_code(login) {
            body["totp"] = Value::String(code);
        }
        let response = http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        Client {
            http,
            base: self.base.clone(),
            cookie: None,
            csrf: None,
            bearer: Some(body["token"].as_str().unwrap().to_owned()),
            contract: Some(Arc::clone(&self.contract)),
        }
    }

    /// Tries a session login with `password`; the error is (status, body).
    pub async fn try_login(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Client, (StatusCode, Value)> {
        let http = reqwest::Client::new();
        let mut body = serde_json::json!({ "login": login, "password": password });
        if let Some(code) = self.totp_code(login) {
            body["totp"] = Value::String(code);
        }
        let response = http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != StatusCode::OK {
            return Err((status, body));
        }
        Ok(Client {
            http,
            base: self.base.clone(),
            cookie,
            csrf: body["csrf"].as_str().map(str::to_owned),
            bearer: None,
            contract: Some(Arc::clone(&self.contract)),
        })
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: self.base.clone(),
            cookie: None,
            csrf: None,
            bearer: None,
            contract: Some(Arc::clone(&self.contract)),
        }
    }

    /// Audit entries matching an action prefix, newest first (read straight from the store).
    pub async fn audit(&self, action_prefix: &str) -> Vec<baomi_core::audit::AuditEntry> {
        let mut tx = self.store.read().await.unwrap();
        let entries = tx
            .search_audit(
                &baomi_store::AuditSearch {
                    action_prefix: Some(action_prefix.to_owned()),
                    ..Default::default()
                },
                None,
                1000,
            )
            .await
            .unwrap();
        tx.finish().await.unwrap();
        entries
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let misses = self.contract.misses();
        if !misses.is_empty() && !std::thread::panicking() {
            panic!(
                "{} of {} API requests do not match the OpenAPI document (issue 18, finding 12):\n{}",
                misses.len(),
                self.contract.checked.load(Ordering::Relaxed),
                misses.join("\n")
            );
        }
    }
}

/// An HTTP client logged in as someone (or no one).
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    /// Where answered requests are checked against the API document (see [`Contract`]).
    pub contract: Option<Arc<Contract>>,
}

impl Client {
    /// Checks an answered request made outside the helpers (a raw upload, say).
    pub fn record(&self, method: &str, path: &str, status: StatusCode) {
        if let Some(contract) = &self.contract {
            contract.check(method, path, status.as_u16());
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        request
    }

    /// GET, answering (status, JSON body or Null).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        let status = response.status();
        self.record("GET", path, status);
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GET, answering the raw response (exports).
    pub async fn get_raw(&self, path: &str) -> reqwest::Response {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        self.record("GET", path, response.status());
        response
    }

    /// POST JSON, answering (status, JSON body or Null).
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .request(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        self.record("POST", path, status);
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The same client without its CSRF token (to test the CSRF check).
    pub fn without_csrf(&self) -> Client {
        Client {
            csrf: None,
            ..self.clone()
        }
    }
}

/// Runs `test` against a fresh seeded server on `backend`, then drops the database.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestServer) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let db = Arc::new(TestDb::new(backend).await);
    let server = TestServer::start(Arc::clone(&db)).await;
    let result = tokio::spawn(test(server)).await;
    db.cleanup().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Defines `sqlite::NAME` and `postgres::NAME` running the same test body on each backend:
/// `both_backends!(name, |server| async move { ... });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::run($crate::common::Backend::Sqlite, $body).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::common::run($crate::common::Backend::Postgres, $body).await;
            }
        }
    };
}
