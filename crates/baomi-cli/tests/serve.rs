//! `baomi admin`, `baomi serve` and `baomi demo`, driven through the built binary and over
//! HTTP: an installation set up from the console whose administrator then logs in with the
//! printed TOTP secret (SQLite and PostgreSQL), the refused Top Secret configuration (R4.2),
//! R5.3 at creation, and the demo answering li.na's login.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_baomi");
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PASSWORD: &str = "Strong2026pass";

fn baomi(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("BAOMI_DB")
        .env_remove("BAOMI_CONFIG")
        .env("BAOMI_LANG", "en")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        // A command refused before it reads stdin (a usage error) may already have exited:
        // its closed pipe is not the test's failure; its exit code and stderr tell.
        if let Err(e) = input.write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit code 2 with one line on stderr and nothing on stdout; answers the line.
fn assert_error(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout {} stderr {}",
        stdout(o),
        stderr(o)
    );
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `baomi serve` or `baomi demo`: killed when dropped.
struct Server {
    child: Child,
    base: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the binary and waits for its "listening on http://ADDR" line.
    fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// Like [`Server::start`] with more environment variables.
    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .args(args)
            .env_remove("BAOMI_DB")
            .env_remove("BAOMI_CONFIG")
            .env_remove("BAOMI_LOG")
            .env("BAOMI_LANG", "en")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = Arc::new(Mutex::new(String::new()));
        let err = Arc::new(Mutex::new(String::new()));
        let mut child_out = child.stdout.take().unwrap();
        let sink = Arc::clone(&out);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = child_out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let (tx, rx) = mpsc::channel();
        let child_err = child.stderr.take().unwrap();
        let sink = Arc::clone(&err);
        std::thread::spawn(move || {
            for line in BufReader::new(child_err).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix("listening on ") {
                    let _ = tx.send(address.trim().to_owned());
                }
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let Ok(base) = rx.recv_timeout(Duration::from_secs(120)) else {
            let _ = child.kill();
            let status = child.wait().unwrap();
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "{args:?} did not start ({status}): stderr {}",
                err.lock().unwrap()
            );
        };
        Server {
            child,
            base,
            stdout: out,
            stderr: err,
        }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Stdout once it contains `text` (it is read on another thread).
    fn stdout_with(&self, text: &str) -> String {
        for _ in 0..200 {
            let out = self.stdout();
            if out.contains(text) {
                return out;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{text:?} never appeared on stdout: {}", self.stdout());
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM without waiting.
    fn send_term(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
    }

    /// Stderr once it contains `text`.
    fn stderr_with(&self, text: &str) -> String {
        for _ in 0..200 {
            let err = self.stderr();
            if err.contains(text) {
                return err;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{text:?} never appeared on stderr: {}", self.stderr());
    }

    /// SIGTERM, and the exit code after a graceful shutdown.
    fn terminate(mut self) -> Option<i32> {
        self.send_term();
        self.wait_exit()
    }

    /// The exit code once the process has ended (within 10 s).
    fn wait_exit(&mut self) -> Option<i32> {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no exit 10 s after SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn totp_code(secret: &str) -> String {
    let o = baomi(&["admin", "totp-code", secret], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let code = stdout(&o).trim().to_owned();
    assert_eq!(code.len(), 6, "{code}");
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    code
}

async fn login(base: &str, body: Value) -> (reqwest::StatusCode, Value, Option<String>) {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
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
    (status, response.json().await.unwrap_or(Value::Null), cookie)
}

/// A fresh database: a SQLite file in `dir`, or a new PostgreSQL database (required, never
/// skipped) with a guard that drops it.
struct Db {
    url: String,
    postgres: Option<(String, String)>,
}

impl Db {
    async fn sqlite(dir: &tempfile::TempDir) -> Db {
        Db {
            url: dir.path().join("baomi.sqlite").display().to_string(),
            postgres: None,
        }
    }

    async fn postgres() -> Db {
        sqlx::any::install_default_drivers();
        let admin = std::env::var("BAOMI_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("baomi_cli_serve_{}_{nanos}", std::process::id());
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL is required and is not reachable at {admin} ({e})")
            });
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        conn.close().await.unwrap();
        let base = admin.split('?').next().unwrap();
        let prefix = &base[..base.rfind('/').unwrap()];
        Db {
            url: format!("{prefix}/{name}"),
            postgres: Some((admin, name)),
        }
    }

    async fn drop_database(&self) {
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

/// `admin unit`, `admin department`, `admin create` (with R4.2 and R5.3 refusals), then
/// `baomi serve` on that database and a login of the new administrator with the printed TOTP.
async fn set_up_and_log_in(db: &Db) {
    let url = db.url.as_str();
    let o = baomi(
        &[
            "admin",
            "unit",
            "--db",
            url,
            "--name",
            "某市某局",
            "--tier",
            "prefecture",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let unit = stdout(&o).trim().to_owned();
    assert_eq!(unit, "1");
    let o = baomi(
        &[
            "admin",
            "department",
            "--db",
            url,
            "--unit",
            &unit,
            "--name",
            "信息中心",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let department = stdout(&o).trim().to_owned();
    // A department of a unit that does not exist.
    assert_error(&baomi(
        &[
            "admin",
            "department",
            "--db",
            url,
            "--unit",
            "99",
            "--name",
            "x",
        ],
        None,
    ));

    let create = |name: &str, login: &str, role: &str, extra: &[&str], password: &str| {
        let mut args = vec![
            "admin",
            "create",
            "--db",
            url,
            "--unit",
            &unit,
            "--department",
            &department,
            "--name",
            name,
            "--login",
            login,
            "--role",
            role,
            "--json",
        ];
        args.extend_from_slice(extra);
        baomi(&args, Some(&format!("{password}\n")))
    };

    // R4.2 for a Secret system: at least 8 characters, letters and digits.
    let err = assert_error(&create(
        "周强",
        "sysadmin",
        "system_administrator",
        &[],
        "short1",
    ));
    assert!(err.contains("R4.2"), "{err}");
    let err = assert_error(&create(
        "周强",
        "sysadmin",
        "system_administrator",
        &[],
        "lettersonly",
    ));
    assert!(err.contains("R4.2"), "{err}");

    let o = create("周强", "sysadmin", "system_administrator", &[], PASSWORD);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let created: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(created["login"], "sysadmin");
    assert_eq!(created["role"], "system_administrator");
    let secret = created["totp_secret"].as_str().unwrap().to_owned();
    assert!(created["otpauth"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Baomi:sysadmin?secret="));
    assert!(!stdout(&o).contains(PASSWORD));

    // The login is taken.
    assert_error(&create(
        "吴敏",
        "sysadmin",
        "security_administrator",
        &[],
        PASSWORD,
    ));
    // R5.3: the same person (name, unit) cannot also be the auditor…
    let err = assert_error(&create(
        "周强",
        "zhouqiang2",
        "security_auditor",
        &[],
        PASSWORD,
    ));
    assert!(err.contains("R5.3"), "{err}");
    // …unless it is another person of the same name.
    let o = create(
        "周强",
        "zhouqiang2",
        "security_auditor",
        &["--different-person"],
        PASSWORD,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = create("吴敏", "secadmin", "security_administrator", &[], PASSWORD);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // The password never comes from argv: there is no option for it.
    let o = baomi(
        &[
            "admin",
            "create",
            "--db",
            url,
            "--unit",
            &unit,
            "--department",
            &department,
            "--name",
            "x",
            "--login",
            "x",
            "--role",
            "security_auditor",
            "--password",
            PASSWORD,
        ],
        Some(PASSWORD),
    );
    assert_error(&o);

    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start(&["serve", "--db", url, "--listen", &listen]);
    assert_eq!(server.base, format!("http://{listen}"));
    assert!(
        server.stderr().contains("signing_key"),
        "{}",
        server.stderr()
    );

    // Without the second factor: refused.
    let (status, body, _) = login(
        &server.base,
        json!({ "login": "sysadmin", "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // With the code `baomi admin totp-code` computes from the printed secret.
    let (status, body, cookie) = login(
        &server.base,
        json!({ "login": "sysadmin", "password": PASSWORD, "totp": totp_code(&secret) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cookie = cookie.unwrap();
    let me: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/auth/me", server.base))
        .header("cookie", cookie.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], "sysadmin");
    assert_eq!(me["restriction"], Value::Null, "{me}");
    assert!(
        me["person"]["roles"]
            .to_string()
            .contains("system_administrator"),
        "{me}"
    );
    assert_eq!(me["person"]["name"], "周强");

    // R13.1, R5.3: `baomi admin disable` at the console ends the session the running service
    // has cached — another process's revocation is seen through the database's generation
    // row (within a second), not only at the service's next restart.
    let me_status = || async {
        reqwest::Client::new()
            .get(format!("{}/api/v1/auth/me", server.base))
            .header("cookie", cookie.clone())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let o = baomi(
        &["admin", "disable", "--db", url, "--login", "sysadmin"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut status = me_status().await;
    for _ in 0..30 {
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = me_status().await;
    }
    assert_eq!(
        status, 401,
        "the disabled administrator's session still answers"
    );
    let o = baomi(
        &["admin", "enable", "--db", url, "--login", "sysadmin"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_error(&baomi(
        &["admin", "disable", "--db", url, "--login", "nobody"],
        None,
    ));

    assert_eq!(server.terminate(), Some(0));
    {
        let store = baomi_store::Store::open(url).await.unwrap();
        let mut tx = store.read().await.unwrap();
        let account = tx.account_by_login("sysadmin").await.unwrap().unwrap();
        assert!(!account.disabled);
        let switched = tx
            .search_audit(
                &baomi_store::AuditSearch {
                    action_prefix: Some("admin.".to_owned()),
                    ..Default::default()
                },
                None,
                100,
            )
            .await
            .unwrap();
        tx.finish().await.unwrap();
        store.close().await;
        for action in ["admin.disable", "admin.enable"] {
            assert!(
                switched
                    .iter()
                    .any(|e| e.action == action && e.actor == baomi_core::audit::Actor::System),
                "{action}"
            );
        }
    }

    // Everything above is in an intact audit log, attributed to the system.
    let o = baomi(&["audit", "verify", "--db", url], None);
    assert_eq!(o.status.code(), Some(0), "{} {}", stdout(&o), stderr(&o));
    let store = baomi_store::Store::open(url).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let created = tx
        .search_audit(
            &baomi_store::AuditSearch {
                action_prefix: Some("admin.create".to_owned()),
                ..Default::default()
            },
            None,
            100,
        )
        .await
        .unwrap();
    tx.finish().await.unwrap();
    store.close().await;
    assert_eq!(created.len(), 3);
    assert!(created
        .iter()
        .all(|e| e.actor == baomi_core::audit::Actor::System));

    // R5.3: an administrator who lost their password is reset at the console (over HTTP the
    // system administrator may not): R4.2 applies, an unknown login is an error, and the new
    // password must be changed at the next login.
    let reset = |login: &str, password: &str| {
        baomi(
            &["admin", "reset-password", "--db", url, "--login", login],
            Some(password),
        )
    };
    let err = assert_error(&reset("secadmin", "lettersonly"));
    assert!(err.contains("R4.2"), "{err}");
    assert_error(&reset("nobody", "Renewed2026pass"));
    let o = reset("secadmin", "Renewed2026pass");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("Renewed2026pass"));
    let store = baomi_store::Store::open(url).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let account = tx.account_by_login("secadmin").await.unwrap().unwrap();
    let resets = tx
        .search_audit(
            &baomi_store::AuditSearch {
                action_prefix: Some("admin.reset_password".to_owned()),
                ..Default::default()
            },
            None,
            100,
        )
        .await
        .unwrap();
    tx.finish().await.unwrap();
    store.close().await;
    assert!(account.must_change);
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0].actor, baomi_core::audit::Actor::System);
    let o = baomi(&["audit", "verify", "--db", url], None);
    assert_eq!(o.status.code(), Some(0), "{} {}", stdout(&o), stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_3_admin_sets_up_an_installation_and_serve_logs_the_administrator_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::sqlite(&dir).await;
    set_up_and_log_in(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r5_3_admin_sets_up_an_installation_and_serve_logs_the_administrator_in_postgres() {
    let db = Arc::new(Db::postgres().await);
    let tested = Arc::clone(&db);
    let result = tokio::spawn(async move { set_up_and_log_in(&tested).await }).await;
    db.drop_database().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[test]
fn r4_2_serve_refuses_a_top_secret_system() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("baomi.toml");
    std::fs::write(&config, "system_level = \"top_secret\"\n").unwrap();
    let db = dir.path().join("baomi.sqlite");
    let o = baomi(
        &[
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--config",
            config.to_str().unwrap(),
        ],
        None,
    );
    let err = assert_error(&o);
    assert!(err.contains("R4.2") && err.contains("Top Secret"), "{err}");
    assert!(
        !db.exists(),
        "nothing is created for a refused configuration"
    );
    // The same refusal in Chinese.
    let o = Command::new(BIN)
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
        .env("BAOMI_LANG", "zh")
        .output()
        .unwrap();
    let err = assert_error(&o);
    assert!(err.contains("绝密") && err.contains("R4.2"), "{err}");
    // An unknown key is refused too (a misspelt setting must not silently keep its default).
    std::fs::write(&config, "lockout_failure = 3\n").unwrap();
    assert_error(&baomi(
        &[
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        None,
    ));
}

#[test]
fn admin_totp_code_refuses_a_secret_that_is_not_base32() {
    assert_error(&baomi(&["admin", "totp-code", "not base32!"], None));
    let code = totp_code(baomi_server::demo::DEMO_TOTP_SYSADMIN);
    let secret = baomi_server::totp::base32_decode(baomi_server::demo::DEMO_TOTP_SYSADMIN).unwrap();
    assert!(baomi_server::totp::verify(
        baomi_server::demo::DEMO_TOTP_SYSADMIN,
        &code,
        jiff::Timestamp::now().as_second()
    ));
    assert!(!secret.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_a_fresh_database_and_prints_how_to_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let db_text = db.display().to_string();
    let listen = format!("127.0.0.1:{}", free_port());
    let server = Server::start(&["demo", "--db", &db_text, "--listen", &listen]);
    let printed = server.stdout_with("Ctrl-C stops.");
    for expected in [
        format!("http://{listen}/"),
        db_text.clone(),
        baomi_server::demo::DEMO_PASSWORD.to_owned(),
        "li.na".to_owned(),
        "李娜".to_owned(),
        "保密办保密员".to_owned(),
        "confidentiality officer".to_owned(),
        format!(
            "baomi admin totp-code {}",
            baomi_server::demo::DEMO_TOTP_AUDITOR
        ),
    ] {
        assert!(
            printed.contains(&expected),
            "{expected:?} missing from:\n{printed}"
        );
    }
    for account in baomi_server::demo::accounts() {
        assert!(printed.contains(account.login), "{}", account.login);
    }
    // Chinese first, then English.
    assert!(printed.find("密码").unwrap() < printed.find("Password").unwrap());

    let (status, body, _) = login(
        &server.base,
        json!({ "login": "li.na", "password": baomi_server::demo::DEMO_PASSWORD }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["login"], "li.na");
    // An administrator with the code from the printed secret.
    let code = totp_code(baomi_server::demo::DEMO_TOTP_AUDITOR);
    let (status, body, _) = login(
        &server.base,
        json!({ "login": "auditor", "password": baomi_server::demo::DEMO_PASSWORD, "totp": code }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.terminate(), Some(0));

    // The demo never writes into an existing database.
    let o = baomi(&["demo", "--db", &db_text, "--listen", "127.0.0.1:0"], None);
    let err = assert_error(&o);
    assert!(err.contains("exists"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_without_db_creates_a_new_directory_under_the_temp_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = BufReader::new(child.stderr.take().unwrap());
    let mut base = None;
    for line in err.lines() {
        let line = line.unwrap();
        if let Some(address) = line.strip_prefix("listening on ") {
            base = Some(address.to_owned());
            break;
        }
    }
    let base = base.expect("the demo did not start");
    let (status, body, _) = login(
        &base,
        json!({ "login": "li.na", "password": baomi_server::demo::DEMO_PASSWORD }),
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    let made: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("baomi-demo-"));
    assert!(made[0].join("demo.sqlite").exists());
}

/// Issue 12: one `baomi serve` per SQLite file. A second one on the same file — however it is
/// spelt — is refused in plain words (English and Chinese) naming the first one's process,
/// while `baomi admin` and `baomi audit verify` keep working on the served file; once the
/// first one has stopped, a new one starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_one_sqlite_file_is_refused_while_the_console_tools_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baomi.sqlite");
    let url = db.display().to_string();
    let listen = format!("127.0.0.1:{}", free_port());
    let first = Server::start(&["serve", "--db", &url, "--listen", &listen]);
    let pid = first.child.id();

    let other = format!("sqlite:{}/./baomi.sqlite", dir.path().display());
    let o = baomi(&["serve", "--db", &other, "--listen", "127.0.0.1:0"], None);
    let err = assert_error(&o);
    assert!(
        err.contains("already served by another baomi serve process")
            && err.contains(&format!("(process {pid})"))
            && err.contains("PostgreSQL")
            && err.contains(&url),
        "{err}"
    );
    let o = baomi(
        &[
            "--lang",
            "zh",
            "serve",
            "--db",
            &url,
            "--listen",
            "127.0.0.1:0",
        ],
        None,
    );
    let err = assert_error(&o);
    assert!(
        err.contains("已由另一个 baomi serve 进程使用") && err.contains(&format!("进程号 {pid}")),
        "{err}"
    );
    // `baomi demo` serves too, and takes the same lock (it refuses an existing file first).
    let o = baomi(&["demo", "--db", &url, "--listen", "127.0.0.1:0"], None);
    assert_error(&o);

    // The console tools still work on the file while it is served.
    let o = baomi(
        &[
            "admin",
            "unit",
            "--db",
            &url,
            "--name",
            "某市某局",
            "--tier",
            "prefecture",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = baomi(&["audit", "verify", "--db", &url], None);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let ready = reqwest::get(format!("{}/readyz", first.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    // Stopped, the file is free again.
    assert_eq!(first.terminate(), Some(0));
    let second = Server::start(&["serve", "--db", &url, "--listen", &listen]);
    assert_eq!(second.terminate(), Some(0));
}

/// Issue 12: SIGTERM stops accepting connections at once, answers the request in flight (here
/// a login whose body is still arriving), closes the store and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_the_request_in_flight_then_exits_0() {
    use std::net::TcpStream;
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("baomi.sqlite").display().to_string();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut server = Server::start(&["serve", "--db", &url, "--listen", &listen]);

    let body = r#"{"login":"nobody","password":"NotThePassword1"}"#;
    let (head, tail) = body.split_at(20);
    let mut stream = TcpStream::connect(&listen).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {listen}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nx-request-id: in-flight-1\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    // The handler is now waiting for the rest of the body.
    std::thread::sleep(Duration::from_millis(300));
    server.send_term();
    server.stderr_with("shutting down");

    // No new connection is accepted once shutdown began.
    let mut refused = false;
    for _ in 0..40 {
        if TcpStream::connect(&listen).is_err() {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(refused, "still accepting connections after SIGTERM");
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

    stream.write_all(tail.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-request-id: in-flight-1"),
        "{answer}"
    );
    assert!(answer.contains("bad_credentials"), "{answer}");
    assert_eq!(server.wait_exit(), Some(0), "{}", server.stderr());
    assert!(server.stderr().contains("stopped"), "{}", server.stderr());

    // The refused login was audited before the store was closed.
    let o = baomi(&["audit", "verify", "--db", &url], None);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

/// Issue 12: every answer carries a request id (a sane incoming `x-request-id` is kept, any
/// other replaced by a fresh one); with `BAOMI_LOG=info` each request logs one line in its
/// span, and no password, token, cookie or CSRF token reaches the log (R13.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_carry_an_id_into_the_log_and_no_secret_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite").display().to_string();
    let listen = format!("127.0.0.1:{}", free_port());
    let server = Server::start_with_env(
        &["demo", "--db", &db, "--listen", &listen],
        &[("BAOMI_LOG", "info")],
    );
    let http = reqwest::Client::new();
    let password = baomi_server::demo::DEMO_PASSWORD;

    let response = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .header("x-request-id", "lb-7f3a.1")
        .json(&json!({ "login": "li.na", "password": password, "bearer": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "lb-7f3a.1");
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body, cookie) = login(
        &server.base,
        json!({ "login": "li.na", "password": password }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cookie = cookie.unwrap();
    let csrf = body["csrf"].as_str().unwrap().to_owned();

    let response = http
        .get(format!("{}/api/v1/auth/me", server.base))
        .bearer_auth(&token)
        .header("x-request-id", "not sane = no")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 32, "{generated}");
    assert!(
        generated.bytes().all(|b| b.is_ascii_hexdigit()),
        "{generated}"
    );
    let response = http
        .post(format!("{}/api/v1/auth/lang", server.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({ "lang": "en" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(id, generated);
    let health = reqwest::get(format!("{}/healthz", server.base))
        .await
        .unwrap();
    assert!(health.headers().contains_key("x-request-id"));

    let log = server.stderr_with(&id);
    for line in [
        "id=lb-7f3a.1 method=POST path=/api/v1/auth/login",
        &format!("id={generated} method=GET path=/api/v1/auth/me"),
    ] {
        assert!(log.contains(line), "{line:?} missing from:\n{log}");
    }
    assert!(log.contains("answered status=200"), "{log}");
    let cookie_value = cookie.split_once('=').unwrap().1;
    for secret in [password, token.as_str(), cookie_value, csrf.as_str()] {
        assert!(!log.contains(secret), "a secret reached the log:\n{log}");
    }
}
