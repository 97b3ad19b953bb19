//! `baomi audit` as an auditor uses it (DOMAIN R13.2): the real binary against a real database.
//! Each tampering the issue names — editing a row, deleting a middle entry, truncating the tail,
//! altering a checkpoint's signature, verifying with the wrong key — must make `verify` exit 1
//! and name the first broken entry. The PostgreSQL case needs the server at
//! `postgres://postgres@127.0.0.1:5432/test` (or `BAOMI_TEST_POSTGRES_URL`) and fails, never
//! skips, when it is unreachable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::audit::Actor;
use baomi_core::determination::UnitTier;
use baomi_core::ids::PersonId;
use baomi_store::checkpoint::{public_path, SigningKeyFile};
use baomi_store::{Backend, Store};
use jiff::Timestamp;
use serde_json::Value;
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn baomi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .env_remove("BAOMI_LANG")
        .env_remove("BAOMI_DB")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// `baomi audit verify --json`, returning the exit code and the parsed object.
fn verify_json(db: &str, key: Option<&Path>) -> (i32, Value) {
    let mut args = vec!["audit", "verify", "--db", db, "--json"];
    let key_text;
    if let Some(k) = key {
        key_text = k.display().to_string();
        args.extend(["--key", key_text.as_str()]);
    }
    let out = baomi(&args);
    let value: Value = serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), value)
}

/// A SQLite database with 8 audit entries: units 1–5 (entries 1–5), a signed checkpoint of
/// entry 5 (its `audit.checkpoint` entry is 6), units 6–7 (entries 7–8).
struct Fixture {
    _dir: tempfile::TempDir,
    db: String,
    key: PathBuf,
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("baomi.sqlite").display().to_string();
        let key = dir.path().join("audit.key");
        populate(&db, &key).await;
        Fixture { _dir: dir, db, key }
    }

    fn public_key(&self) -> PathBuf {
        public_path(&self.key)
    }

    /// Runs SQL on a raw connection, outside the store (as a database owner could).
    async fn tamper(&self, statements: &[&str]) {
        tamper(&self.db, statements).await;
    }
}

async fn populate(db: &str, key_path: &Path) {
    let key = SigningKeyFile::generate(key_path).unwrap();
    let store = Store::open(db).await.unwrap();
    let t = Timestamp::from_second(1_750_000_000).unwrap();
    let actor = Actor::Person(PersonId(7));
    for i in 1..=5 {
        let mut tx = store.write().await.unwrap();
        tx.create_unit(t, actor, &format!("单位{i}"), UnitTier::Other, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let (cp, _) = store
        .write_signed_checkpoint(t, Actor::System, &key)
        .await
        .unwrap();
    assert_eq!(cp.seq, 5);
    for i in 6..=7 {
        let mut tx = store.write().await.unwrap();
        tx.create_unit(t, actor, &format!("单位{i}"), UnitTier::Other, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(store.audit_head().await.seq, 8);
    store.close().await;
}

async fn tamper(db: &str, statements: &[&str]) {
    sqlx::any::install_default_drivers();
    let (_, url) = Backend::from_url(db).unwrap();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    for sql in statements {
        conn.execute(*sql).await.unwrap();
    }
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_intact_log_verifies_with_key() {
    let f = Fixture::sqlite().await;
    let (code, v) = verify_json(&f.db, Some(&f.public_key()));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["intact"], true);
    assert_eq!(v["entries"], 8);
    assert_eq!(v["checkpoint"]["seq"], 5);
    assert_eq!(v["checkpoint"]["signature"], "valid");
    assert_eq!(v["truncation_checked"], true);
    assert!(v["first_break"].is_null());
    // The secret key file verifies too (it carries the public key).
    let (code, v) = verify_json(&f.db, Some(&f.key));
    assert_eq!(code, 0, "{v}");
    // Text mode says so, in both languages.
    let out = baomi(&["--lang", "en", "audit", "verify", "--db", &f.db]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("intact"), "{}", stdout(&out));
    let out = baomi(&[
        "audit",
        "verify",
        "--db",
        &f.db,
        "--key",
        &f.key.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("完好"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_edited_row_is_detected_and_named() {
    let f = Fixture::sqlite().await;
    f.tamper(&[
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET detail = '{\"name\":\"改过\"}' WHERE seq = 3",
    ])
    .await;
    let (code, v) = verify_json(&f.db, Some(&f.public_key()));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["intact"], false);
    assert_eq!(v["first_break"]["seq"], 3);
    assert_eq!(v["first_break"]["kind"], "hash_mismatch");
    // Detected without the key as well: the chain alone finds a changed entry.
    let out = baomi(&["--lang", "en", "audit", "verify", "--db", &f.db]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("first broken entry: 3"),
        "{}",
        stdout(&out)
    );
    let out = baomi(&["audit", "verify", "--db", &f.db]);
    assert!(stdout(&out).contains("第 3 条"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_deleted_middle_entry_is_detected_where_it_was() {
    let f = Fixture::sqlite().await;
    f.tamper(&[
        "DROP TRIGGER audit_log_no_delete",
        "DELETE FROM audit_log WHERE seq = 4",
    ])
    .await;
    let (code, v) = verify_json(&f.db, Some(&f.public_key()));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["entries"], 7);
    assert_eq!(v["first_break"]["seq"], 4);
    assert_eq!(v["first_break"]["kind"], "sequence_gap");
    let (code, v) = verify_json(&f.db, None);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["first_break"]["seq"], 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_truncated_tail_is_detected_only_with_the_key() {
    let f = Fixture::sqlite().await;
    // Remove entries 4..8: the remaining chain 1..3 is internally consistent.
    f.tamper(&[
        "DROP TRIGGER audit_log_no_delete",
        "DELETE FROM audit_log WHERE seq >= 4",
    ])
    .await;
    let (code, v) = verify_json(&f.db, Some(&f.public_key()));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["entries"], 3);
    assert_eq!(v["first_break"]["kind"], "truncated");
    assert_eq!(v["first_break"]["seq"], 4);
    assert_eq!(v["checkpoint"]["signature"], "valid");
    // Without the key the stored checkpoint (entry 5) is not trusted, but the log cut below it
    // contradicts it all the same: a break (issue 18, finding 11).
    let (code, v) = verify_json(&f.db, None);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["first_break"]["kind"], "truncated");
    assert_eq!(v["checkpoint"]["signature"], "unchecked");
    assert_eq!(v["contradicted_checkpoint"]["seq"], 5);
    assert_eq!(v["signatures_checked"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_a_tail_cut_above_every_checkpoint_is_undetectable_without_the_key_and_says_so() {
    let f = Fixture::sqlite().await;
    // Remove entries 7..8, after the checkpoint of entry 5 (and its own entry 6).
    f.tamper(&[
        "DROP TRIGGER audit_log_no_delete",
        "DELETE FROM audit_log WHERE seq >= 7",
    ])
    .await;
    let out = baomi(&["audit", "verify", "--db", &f.db]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // What was and was not checked.
    assert!(
        stdout(&out).contains("检查点签名未核验（未提供 --key）"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("--key"), "{}", stderr(&out));
    let (code, v) = verify_json(&f.db, None);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["truncation_checked"], false);
    assert_eq!(v["checkpoints_compared"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_a_stored_checkpoint_contradicting_the_log_is_a_break_even_without_the_key() {
    let f = Fixture::sqlite().await;
    // The stored checkpoint's head hash changed (its signature then no longer verifies, but
    // without --key nobody checks it): issue 18, finding 11 said "完好".
    f.tamper(&[
        "DROP TRIGGER audit_checkpoints_no_update",
        &format!(
            "UPDATE audit_checkpoints SET head_hash = '{}' WHERE seq = 5",
            "ab".repeat(32)
        ),
    ])
    .await;
    let out = baomi(&["audit", "verify", "--db", &f.db]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(!stdout(&out).contains("完好"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("检查点签名未核验（未提供 --key）"),
        "{}",
        stdout(&out)
    );
    let (code, v) = verify_json(&f.db, None);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["first_break"]["kind"], "checkpoint_mismatch", "{v}");
    assert_eq!(v["first_break"]["seq"], 5);
    // With the key the altered checkpoint's signature is what fails.
    let (code, v) = verify_json(&f.db, Some(&f.public_key()));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["checkpoint"]["signature"], "invalid");
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_altered_checkpoint_signature_is_invalid() {
    let f = Fixture::sqlite().await;
    f.tamper(&[
        "DROP TRIGGER audit_checkpoints_no_update",
        &format!(
            "UPDATE audit_checkpoints SET signature = X'{}' WHERE seq = 5",
            "ab".repeat(64)
        ),
    ])
    .await;
    let (code, v) = verify_json(&f.db, Some(&f.public_key()));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["intact"], false);
    assert_eq!(v["checkpoint"]["signature"], "invalid");
    assert_eq!(v["signature_invalid"]["seq"], 5);
    assert_eq!(v["truncation_checked"], false);
    let out = baomi(&[
        "--lang",
        "en",
        "audit",
        "verify",
        "--db",
        &f.db,
        "--key",
        &f.public_key().display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("checkpoint 5 signature invalid"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_wrong_key_reports_signature_invalid() {
    let f = Fixture::sqlite().await;
    let other = f._dir.path().join("other.key");
    let out = baomi(&["audit", "keygen", "--out", &other.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, v) = verify_json(&f.db, Some(&public_path(&other)));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["checkpoint"]["signature"], "invalid");
    assert!(v["first_break"].is_null());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn r13_2_keygen_and_checkpoint_commands() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baomi.sqlite").display().to_string();
    let key = dir.path().join("k");
    let key_text = key.display().to_string();
    let out = baomi(&["audit", "keygen", "--out", &key_text]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let public = stdout(&out).trim().to_owned();
    assert_eq!(public.len(), 64);
    assert!(std::fs::read_to_string(public_path(&key))
        .unwrap()
        .contains(&public));
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Refuses to overwrite an existing key.
    let out = baomi(&["audit", "keygen", "--out", &key_text]);
    assert_eq!(out.status.code(), Some(2));
    {
        let store = Store::open(&db).await.unwrap();
        let mut tx = store.write().await.unwrap();
        tx.create_unit(
            Timestamp::from_second(1_750_000_000).unwrap(),
            Actor::System,
            "单位",
            UnitTier::Other,
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
    }
    let out = baomi(&["audit", "checkpoint", "--db", &db, "--key", &key_text]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let cp: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(cp["seq"], 1);
    assert_eq!(cp["public_key"], public.as_str());
    let (code, v) = verify_json(&db, Some(&public_path(&key)));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 2);
    assert_eq!(v["checkpoint"]["seq"], 1);
    assert_eq!(v["checkpoint"]["signature"], "valid");
    // A key file that others can read is refused: exit 2, one line on stderr.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = baomi(&["audit", "checkpoint", "--db", &db, "--key", &key_text]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_usage_and_database_errors_exit_2() {
    let out = baomi(&["audit", "verify", "--db", "mysql://localhost/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let out = baomi(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pub").display().to_string();
    let db = dir.path().join("db.sqlite").display().to_string();
    let out = baomi(&["audit", "verify", "--db", &db, "--key", &missing]);
    assert_eq!(out.status.code(), Some(2));
    // A database that does not exist is an error, never a fresh empty log that "verifies".
    let out = baomi(&["audit", "verify", "--db", &db]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());
    assert!(
        !dir.path().join("db.sqlite").exists(),
        "verify created a database"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_postgres_tampering_is_detected() {
    sqlx::any::install_default_drivers();
    let admin =
        std::env::var("BAOMI_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
    let name = format!(
        "baomi_cli_audit_{}_{}",
        std::process::id(),
        Timestamp::now().as_nanosecond().rem_euclid(1_000_000_000)
    );
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required and not reachable at {admin}: {e}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let base = admin.split('?').next().unwrap();
    let db = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("audit.key");
    let db_for_test = db.clone();
    let result = tokio::spawn(async move {
        populate(&db_for_test, &key).await;
        let (code, v) = verify_json(&db_for_test, Some(&public_path(&key)));
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["entries"], 8);
        assert_eq!(v["checkpoint"]["signature"], "valid");
        tamper(
            &db_for_test,
            &[
                "DROP TRIGGER audit_log_no_delete ON audit_log",
                "DELETE FROM audit_log WHERE seq >= 4",
            ],
        )
        .await;
        let (code, v) = verify_json(&db_for_test, Some(&public_path(&key)));
        assert_eq!(code, 1, "{v}");
        assert_eq!(v["first_break"]["kind"], "truncated");
        assert_eq!(v["first_break"]["seq"], 4);
    })
    .await;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r13_2_truncation_with_the_checkpoints_is_caught_by_the_auditors_own_checkpoint() {
    let f = Fixture::sqlite().await;
    // The auditor exports a signed checkpoint of the current head (entry 8) and keeps it.
    let out = baomi(&[
        "audit",
        "checkpoint",
        "--db",
        &f.db,
        "--key",
        &f.key.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let exported = f.key.with_file_name("kept-by-auditor.json");
    std::fs::write(&exported, &out.stdout).unwrap();
    // Whoever controls the database drops the triggers and removes the tail of the log
    // together with every checkpoint stored beside it.
    f.tamper(&[
        "DROP TRIGGER audit_log_no_delete",
        "DROP TRIGGER audit_checkpoints_no_delete",
        "DELETE FROM audit_log WHERE seq >= 6",
        "DELETE FROM audit_checkpoints",
    ])
    .await;
    // The database alone can no longer tell (this is why the checkpoint must live elsewhere).
    let (code, _) = verify_json(&f.db, Some(&f.public_key()));
    assert_eq!(code, 0);
    // The auditor's copy catches it.
    let out = baomi(&[
        "audit",
        "verify",
        "--json",
        "--db",
        &f.db,
        "--key",
        &f.public_key().display().to_string(),
        "--checkpoint",
        &exported.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["intact"], false);
    assert_eq!(v["external_checkpoint"]["signature"], "valid");
    assert_eq!(v["first_break"]["kind"], "truncated");
    // A forged checkpoint file (another head) fails its signature.
    let mut forged: Value = serde_json::from_slice(&std::fs::read(&exported).unwrap()).unwrap();
    forged["seq"] = Value::from(5);
    std::fs::write(&exported, forged.to_string()).unwrap();
    let out = baomi(&[
        "audit",
        "verify",
        "--json",
        "--db",
        &f.db,
        "--key",
        &f.public_key().display().to_string(),
        "--checkpoint",
        &exported.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["external_checkpoint"]["signature"], "invalid");
    // --checkpoint without --key is a usage error.
    let out = baomi(&[
        "audit",
        "verify",
        "--db",
        &f.db,
        "--checkpoint",
        &exported.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// `baomi audit verify` with extra arguments, `--json`; the exit code and the parsed object.
fn verify_json_with(db: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["audit", "verify", "--db", db, "--json"];
    args.extend(extra);
    let out = baomi(&args);
    let value: Value = serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), value)
}

/// Issue 19: `--full` (the default) reads every entry; `--incremental` reads only the entries
/// after the latest validly signed checkpoint (entry 5 in the fixture), so a row edited in
/// place before it is not re-read — `--full` finds it — while an edit after it, a cut tail or
/// a rewritten checkpoint entry is found either way.
#[tokio::test(flavor = "multi_thread")]
async fn r13_2_incremental_verification_reads_after_the_signed_checkpoint_and_full_reads_all() {
    let f = Fixture::sqlite().await;
    let key = f.public_key().display().to_string();
    let (code, v) = verify_json_with(&f.db, &["--key", &key, "--incremental"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["mode"], "incremental");
    assert_eq!(v["verified_after"], 5);
    assert_eq!(v["verified"], 3);
    assert_eq!(v["entries"], 8);
    let (code, v) = verify_json_with(&f.db, &["--key", &key]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["mode"], "full");
    assert_eq!(v["verified"], 8);
    assert!(v["verified_after"].is_null());
    // --incremental needs the key that makes a checkpoint trustworthy; the two modes exclude
    // each other.
    let out = baomi(&["audit", "verify", "--db", &f.db, "--incremental"]);
    assert_eq!(out.status.code(), Some(2));
    let out = baomi(&[
        "audit",
        "verify",
        "--db",
        &f.db,
        "--key",
        &key,
        "--full",
        "--incremental",
    ]);
    assert_eq!(out.status.code(), Some(2));

    // Entry 3 (before the checkpoint) edited in place: unseen incrementally, found in full.
    f.tamper(&[
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET detail = '{\"name\":\"改过\"}' WHERE seq = 3",
    ])
    .await;
    let (code, v) = verify_json_with(&f.db, &["--key", &key, "--incremental"]);
    assert_eq!(code, 0, "{v}");
    assert!(v["first_break"].is_null());
    let out = baomi(&[
        "--lang",
        "en",
        "audit",
        "verify",
        "--db",
        &f.db,
        "--key",
        &key,
        "--incremental",
    ]);
    assert!(
        stderr(&out).contains("earlier entries were not re-read"),
        "{}",
        stderr(&out)
    );
    for extra in [
        &["--key", key.as_str(), "--full"][..],
        &["--key", &key],
        &[],
    ] {
        let (code, v) = verify_json_with(&f.db, extra);
        assert_eq!(code, 1, "{extra:?} {v}");
        assert_eq!(v["first_break"]["seq"], 3);
        assert_eq!(v["first_break"]["kind"], "hash_mismatch");
    }
    // Entry 7 (after it) edited: found incrementally too, at its seq.
    f.tamper(&["UPDATE audit_log SET detail = '{\"name\":\"也改过\"}' WHERE seq = 7"])
        .await;
    let (code, v) = verify_json_with(&f.db, &["--key", &key, "--incremental"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["first_break"]["seq"], 7);
    // The checkpoint's own entry given another hash: the run's anchor no longer holds.
    f.tamper(&["UPDATE audit_log SET hash = prev_hash WHERE seq = 5"])
        .await;
    let (code, v) = verify_json_with(&f.db, &["--key", &key, "--incremental"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["first_break"]["seq"], 5);
    assert_eq!(v["first_break"]["kind"], "checkpoint_mismatch");
}

/// Issue 19: a cut tail is found by an incremental run as by a full one (the signed
/// checkpoint at entry 5 must still be reached; the auditor's own file at entry 8 too).
#[tokio::test(flavor = "multi_thread")]
async fn r13_2_incremental_verification_finds_a_cut_tail() {
    let f = Fixture::sqlite().await;
    let key = f.public_key().display().to_string();
    f.tamper(&[
        "DROP TRIGGER audit_log_no_delete",
        "DELETE FROM audit_log WHERE seq >= 4",
    ])
    .await;
    let (code, v) = verify_json_with(&f.db, &["--key", &key, "--incremental"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["first_break"]["kind"], "truncated");
    assert_eq!(v["first_break"]["seq"], 4);
}
