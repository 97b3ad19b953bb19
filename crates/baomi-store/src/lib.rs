//! Baomi's persistence: the only crate that knows SQL.
//!
//! A [`Store`] is opened from a URL ([`Store::open`]): `sqlite:PATH` or a bare file path gives
//! SQLite (the default), `postgres://…` gives PostgreSQL. Migrations for the dialect are applied
//! at open. Work happens in explicit transactions: [`Store::read`] gives a [`ReadTx`] (a
//! consistent snapshot), [`Store::write`] gives a [`WriteTx`].
//!
//! # Audit in the same transaction (R13.1, R13.2)
//!
//! Every change made through a [`WriteTx`] appends its audit entry
//! ([`WriteTx::append_audit`]) **in the same database transaction**: committing keeps both,
//! dropping the transaction (or any error) keeps neither. Entries form the hash chain of
//! [`baomi_core::audit`]. Writes go through one writer connection with group commit (the
//! `writer` module): [`WriteTx::commit`] returns only after the real `COMMIT`; any error inside
//! a write fails its group and replaces the connection; each group reads the chain's head from
//! the database under a lock that serialises appends across processes.
//!
//! `audit_log` is append-only: triggers refuse `UPDATE` and `DELETE` (and, in PostgreSQL,
//! `TRUNCATE`). The owner of the database can still drop the triggers; that is why the log is a
//! hash chain ([`Store::verify_audit`] finds the first changed entry) and why signed checkpoints
//! kept out of the database's reach exist (they detect truncation and wholesale rewriting).
//!
//! # Design: one SQL text through sqlx's `Any` driver
//!
//! The store uses sqlx's `Any` driver with a single SQL text per query for both dialects,
//! written with `$1, $2, …` placeholders (SQLite accepts `$N` as numbered parameters; a
//! conformance test checks it binds by number, not by position). Only the migrations differ per
//! dialect (`migrations/sqlite`, `migrations/postgres`, embedded with `sqlx::migrate!`). Chosen
//! over an enum of two typed pools because every repository function would otherwise be written
//! twice; the price is that values are limited to what `Any` carries (integers, text, bytes), so
//! times are stored as two integers (seconds, nanoseconds) and digests as hex text — which is
//! also what makes the stored entry round-trip exactly. Queries are checked at run time (no
//! `query!` macros, no database at build time); the conformance suite runs every query against
//! both backends.
//!
//! # SQLite settings
//!
//! Every SQLite connection runs `journal_mode=WAL`, `foreign_keys=ON` and a `busy_timeout`
//! (5 s by default). The writer runs `synchronous=FULL`: every commit is synced before it
//! returns, so an acknowledged change survives a power loss, not only a crash of the process;
//! group commit keeps that to one sync per group. A small pool reads (WAL lets readers run
//! beside the writer). An in-memory SQLite database is not supported (readers would see another
//! database).

/// Runs one store operation inside a [`WriteTx`] on its connection (`$c`), through
/// `begin_op`/`end_op`: every operation of a write transaction passes here, so a database
/// error anywhere poisons the transaction and a test can inject a fault at any of them. (A
/// macro, not a method taking an async closure: such closures' futures are not `Send` for
/// every lifetime, which a spawned task needs.)
macro_rules! run {
    ($tx:expr, |$c:ident| $body:expr) => {{
        let tx: &mut $crate::WriteTx = $tx;
        let conn = tx.begin_op();
        let result = match conn {
            Err(e) => Err(e),
            Ok($c) => $body,
        };
        tx.end_op(result)
    }};
}

mod accounts;
pub mod checkpoint;
mod error;
mod records;
pub mod verify;
mod writer;

pub use accounts::{Account, Credential, CredentialKind};
pub use error::StoreError;
pub use records::{
    always_open, GroupColumn, ReadIndex, Reader, RecordFilter, RecordKind, RecordMeta, RecordOrder,
    StoredRecord, Window,
};
pub use writer::{Fault, FaultReport};

use baomi_core::audit::{
    Actor, AuditDraft, AuditEntry, ChainBreak, ChainHead, ChainVerifier, Checkpoint, Digest,
    HashAlgorithm, ObjectRef, Outcome, VerifiedChain,
};
use baomi_core::determination::UnitTier;
use baomi_core::ids::{DepartmentId, PersonId, UnitId};
use jiff::Timestamp;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row, Transaction};
use std::sync::Arc;
use std::time::Duration;
use writer::{Held, Writer, WriterConfig};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections in the read pool.
const READ_POOL_SIZE: u32 = 4;

/// The PostgreSQL advisory lock key of the time-driven jobs' leader ("baomi" + "timed").
const TIMED_JOBS_LOCK_KEY: i64 = 0x6261_6f6d_6974_6d64;

/// The lead of the time-driven jobs ([`Store::try_lead`]); dropping it gives the lead up.
#[derive(Debug)]
pub struct Leadership {
    conn: Option<AnyConnection>,
}

impl Leadership {
    /// Whether the lead is still held (PostgreSQL: its connection still answers; a lost
    /// connection lost the lock with it, and the lead must be taken again).
    pub async fn still_held(&mut self) -> bool {
        match self.conn.as_mut() {
            None => true,
            Some(conn) => sqlx::query("SELECT 1").execute(&mut *conn).await.is_ok(),
        }
    }
}

/// Which database a [`Store`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite: a single file (the default).
    Sqlite,
    /// PostgreSQL (chosen by a `postgres://` or `postgresql://` URL).
    Postgres,
}

impl Backend {
    /// Decides the backend from a URL and returns the URL sqlx should open: a bare path or a
    /// `sqlite:` URL without `mode` gets `mode=rwc` (create the file if missing).
    pub fn from_url(url: &str) -> Result<(Backend, String), StoreError> {
        let trimmed = url.trim();
        let unsupported = || StoreError::UnsupportedUrl {
            url: without_credentials(url),
        };
        if trimmed.is_empty() {
            return Err(unsupported());
        }
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            return Ok((Backend::Postgres, trimmed.to_owned()));
        }
        let sqlite_url = if trimmed.starts_with("sqlite:") {
            trimmed.to_owned()
        } else if trimmed.contains("://") {
            return Err(unsupported());
        } else {
            format!("sqlite://{trimmed}")
        };
        if sqlite_url.contains(":memory:") || sqlite_url.contains("mode=memory") {
            return Err(unsupported());
        }
        let with_mode = if sqlite_url.contains("mode=") {
            sqlite_url
        } else if sqlite_url.contains('?') {
            format!("{sqlite_url}&mode=rwc")
        } else {
            format!("{sqlite_url}?mode=rwc")
        };
        Ok((Backend::Sqlite, with_mode))
    }

    /// The file a SQLite `url` (a bare path or a `sqlite:` URL) names; `None` for PostgreSQL
    /// or a URL [`Backend::from_url`] refuses. `baomi serve` locks a file beside it so that a
    /// second service process on the same file is refused (SQLite has one writer process).
    pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
        let (backend, url) = Backend::from_url(url).ok()?;
        if backend != Backend::Sqlite {
            return None;
        }
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        (!path.is_empty()).then(|| std::path::PathBuf::from(path))
    }
}

/// `url` without a `user:password@` part, for error messages (they end up in logs).
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest.get(..authority_end).and_then(|a| a.rfind('@')) {
        Some(at) => format!("{scheme}://***@{}", rest.get(at + 1..).unwrap_or_default()),
        None => url.to_owned(),
    }
}

/// How to open a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreOptions {
    /// The audit chain's hash algorithm. `None`: the stored log's algorithm, or SHA-256 for a
    /// new log. `Some`: that algorithm for a new log; opening an existing log written with
    /// another algorithm is refused ([`StoreError::AlgorithmMismatch`]).
    pub algorithm: Option<HashAlgorithm>,
    /// Open only a database that exists and is already a Baomi database: a SQLite file is
    /// opened with `mode=rw` and never created, no migration is run, and a database without an
    /// audit log is refused ([`StoreError::NotABaomiDatabase`]). For tools that inspect a
    /// database (`baomi audit verify`): a mistyped path or URL must be an error, never a fresh
    /// empty log that "verifies", and the inspected database must not be changed.
    pub existing: bool,
    /// How long a SQLite statement waits for a lock another process holds before the write is
    /// refused as [`Fault::Locked`]. `None`: 5 seconds.
    pub busy_timeout: Option<Duration>,
    /// PostgreSQL: the longest a writer's statement may run before it is cancelled and the
    /// write refused as [`Fault::Timeout`]. `None`: 30 seconds.
    pub statement_timeout: Option<Duration>,
}

/// Default SQLite lock wait.
const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Default PostgreSQL statement limit for writers.
const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A Baomi database. Cheap to clone (the clones share the pools and the writer lock).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    writer: Arc<Writer>,
    readers: AnyPool,
}

impl Store {
    /// Opens (creating a SQLite file if needed) with default options, applies the migrations and
    /// loads the audit chain's head.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, StoreOptions::default()).await
    }

    /// [`Store::open`] with options.
    pub async fn open_with(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = Backend::from_url(url)?;
        let url = if options.existing && backend == Backend::Sqlite {
            url.replace("mode=rwc", "mode=rw")
        } else {
            url
        };
        let busy_timeout = options.busy_timeout.unwrap_or(DEFAULT_BUSY_TIMEOUT);
        let mut conn = AnyConnection::connect(&url).await?;
        if backend == Backend::Sqlite {
            for pragma in writer::sqlite_pragmas(busy_timeout, true) {
                conn.execute(pragma.as_str()).await?;
            }
        }
        if options.existing {
            sqlx::query("SELECT seq FROM audit_log LIMIT 1")
                .fetch_optional(&mut conn)
                .await
                .map_err(|e| StoreError::NotABaomiDatabase {
                    reason: e.to_string(),
                })?;
        } else {
            match backend {
                Backend::Sqlite => SQLITE_MIGRATIONS.run_direct(&mut conn).await?,
                Backend::Postgres => POSTGRES_MIGRATIONS.run_direct(&mut conn).await?,
            }
        }
        let readers = pool_options(backend, READ_POOL_SIZE, busy_timeout)
            .connect(&url)
            .await?;
        let last = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(&mut conn)
        .await?;
        let (head, algorithm) = match last {
            None => {
                let algorithm = options.algorithm.unwrap_or(HashAlgorithm::Sha256);
                (ChainHead::genesis(algorithm), algorithm)
            }
            Some(row) => {
                let (entry, stored) = decode_audit(&row)?;
                if let Some(configured) = options.algorithm {
                    if configured != stored {
                        return Err(StoreError::AlgorithmMismatch { stored, configured });
                    }
                }
                (ChainHead::of_entry(stored, &entry), stored)
            }
        };
        let config = WriterConfig {
            backend,
            url,
            algorithm,
            busy_timeout,
            statement_timeout: Some(
                options
                    .statement_timeout
                    .unwrap_or(DEFAULT_STATEMENT_TIMEOUT),
            ),
        };
        for setting in config.connection_settings() {
            conn.execute(setting.as_str()).await?;
        }
        Ok(Store {
            backend,
            writer: Writer::start(config, conn, head),
            readers,
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The head of the audit chain as last committed by this process (another process
    /// sharing a PostgreSQL database may have appended since).
    pub async fn audit_head(&self) -> ChainHead {
        self.writer.committed_head()
    }

    /// The last storage fault the write path met, if any (for the system administrator's
    /// status page and reminders): what it was, when, how many writes it refused, and whether
    /// writes have succeeded since.
    pub fn last_fault(&self) -> Option<FaultReport> {
        self.writer.health.report()
    }

    /// SQLite: the most the database may grow to, in bytes (a quota; `Some(0)` freezes it at
    /// its current size; `None` lifts the limit). Writes that would grow it beyond are refused
    /// as [`Fault::StorageFull`] — the same answer as a full disk, which is how the tests make
    /// a disk "full" portably. Takes effect at the next write. `false` on PostgreSQL, which
    /// has no such limit.
    pub fn limit_size(&self, bytes: Option<u64>) -> bool {
        self.writer.limit_size(bytes)
    }

    /// Issue 12.2: takes the lead of the time-driven jobs (automatic declassification,
    /// checkpoints), which must run in one process at a time. PostgreSQL: a session-level
    /// advisory lock on a connection of its own, held while the [`Leadership`] lives — when the
    /// process dies its connection closes and another process takes the lead at its next try.
    /// `Ok(None)`: another process leads. SQLite is one process's database: always the lead.
    pub async fn try_lead(&self) -> Result<Option<Leadership>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(Some(Leadership { conn: None })),
            Backend::Postgres => {
                let mut conn = self.writer.connect().await?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(TIMED_JOBS_LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await?;
                if got {
                    Ok(Some(Leadership { conn: Some(conn) }))
                } else {
                    let _ = conn.close().await;
                    Ok(None)
                }
            }
        }
    }

    /// Refreshes the query planner's statistics of the ledgers and the audit log. Lists narrow
    /// on selective indexes (what a request is about, a holder, a status) while sorting by id;
    /// without statistics SQLite walks the primary key in id order through every row of the
    /// kind instead — measured at 1 M carriers and 650,000 approval requests: a carrier's page
    /// took 1.3 s before and 3 ms after. SQLite samples at most 1,000 rows per index
    /// (`analysis_limit`; under a second at that size); PostgreSQL's `ANALYZE` samples too (its
    /// autovacuum also does this where it is on). Called when the service starts and by the
    /// time-driven pass now and then.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        let mut conn = self.writer.connect().await?;
        let statements: &[&str] = match self.backend {
            Backend::Sqlite => &["PRAGMA analysis_limit = 1000", "ANALYZE"],
            Backend::Postgres => &[
                "ANALYZE records",
                "ANALYZE record_scope",
                "ANALYZE record_party",
                "ANALYZE audit_log",
            ],
        };
        let mut outcome = Ok(());
        for statement in statements {
            if let Err(e) = conn.execute(*statement).await {
                outcome = Err(StoreError::from(e));
                break;
            }
        }
        let _ = conn.close().await;
        outcome
    }

    /// Test seam: the `n`-th step of the write path from now on (0 = the next) fails as an
    /// I/O error — each store operation inside a write transaction, and `BEGIN`, `SAVEPOINT`,
    /// `RELEASE`, `COMMIT`. The fault-injection tests use it to prove that a fault at any step
    /// leaves acknowledged writes in place, refused ones without a trace, and the chain whole.
    #[doc(hidden)]
    pub fn inject_fault_after(&self, n: u64) {
        self.writer.faults.arm(n);
    }

    /// Test seam: disarms [`Store::inject_fault_after`].
    #[doc(hidden)]
    pub fn clear_injected_faults(&self) {
        self.writer.faults.disarm();
    }

    /// Starts a read-only transaction: a consistent snapshot (PostgreSQL: `REPEATABLE READ,
    /// READ ONLY`; SQLite: a deferred transaction, a snapshot from its first read under WAL).
    pub async fn read(&self) -> Result<ReadTx, StoreError> {
        let mut tx = self.readers.begin().await?;
        if self.backend == Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
        }
        Ok(ReadTx { tx })
    }

    /// One record, read with a single statement on the reader pool (no explicit transaction:
    /// one statement is its own snapshot). The hot path of authorised reads.
    pub async fn get_record(
        &self,
        kind: RecordKind,
        id: i64,
    ) -> Result<Option<StoredRecord>, StoreError> {
        let mut conn = self.readers.acquire().await?;
        records::q_get_record(&mut conn, kind, id).await
    }

    /// Starts a write transaction. Waits while another [`WriteTx`] is open (writers are
    /// serialised; the writer is held until the transaction is committed or dropped). See the
    /// `writer` module: it is a savepoint inside a group transaction, and
    /// [`WriteTx::commit`] returns only after the group's real `COMMIT`.
    pub async fn write(&self) -> Result<WriteTx, StoreError> {
        let held = self.writer.begin().await?;
        let pending = held.head;
        Ok(WriteTx {
            held: Some(held),
            writer: Arc::clone(&self.writer),
            pending,
            poisoned: None,
        })
    }

    /// R13.2: reads the whole audit log in `seq` order, in one snapshot, through
    /// [`ChainVerifier`]. `Ok(Err(break))` names the first broken entry; `Err` is a failure to
    /// read (including a row that cannot be decoded at all, [`StoreError::Corrupt`]).
    pub async fn verify_audit(&self) -> Result<Result<VerifiedChain, ChainBreak>, StoreError> {
        self.verify_audit_against(None).await
    }

    /// [`Store::verify_audit`], also checking the log against a checkpoint kept out of the
    /// database's reach (R13.2: this detects truncation and wholesale rewriting, which the
    /// chain alone cannot).
    pub async fn verify_audit_against(
        &self,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Result<VerifiedChain, ChainBreak>, StoreError> {
        let algorithm = self.audit_head().await.algorithm;
        self.verify_audit_from(ChainHead::genesis(algorithm), checkpoint)
            .await
    }

    /// R13.2, incremental (issue 19): verifies the entries after `trusted` — the head of a
    /// validly signed checkpoint, or of the last successful run — and, with `checkpoint`, that
    /// the log agrees with it. Entries up to `trusted.seq` are not read: an edit there is found
    /// only by a whole-log run ([`Store::verify_audit_against`]). The log must still hold the
    /// trusted entry with the trusted hash (else `Truncated` or `CheckpointMismatch` at it), and
    /// the first entry after it must link to that hash. `ChainBreak::index` counts from the
    /// first entry read.
    ///
    /// Every run reads the log in pieces by `seq` on every core (see the [`verify`] module),
    /// with exactly the first break a one-by-one run would report.
    pub async fn verify_audit_from(
        &self,
        trusted: ChainHead,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Result<VerifiedChain, ChainBreak>, StoreError> {
        let mut verifier = ChainVerifier::from_trusted(trusted);
        if let Some(cp) = checkpoint {
            verifier = match verifier.with_checkpoint(cp) {
                Ok(v) => v,
                Err(brk) => return Ok(Err(brk)),
            };
        }
        self.verify_audit_in_pieces(verifier, verify::default_threads(), verify::PIECE)
            .await
    }

    /// Test seam: [`Store::verify_audit_from`] with its verifier built, on `threads` threads in
    /// pieces of `piece` entries (the tests put breaks at piece boundaries without writing
    /// tens of thousands of entries).
    #[doc(hidden)]
    pub async fn verify_audit_in_pieces(
        &self,
        verifier: ChainVerifier,
        threads: usize,
        piece: u64,
    ) -> Result<Result<VerifiedChain, ChainBreak>, StoreError> {
        let config = self.writer.config();
        verify::verify_parallel(
            self.backend,
            &config.url,
            config.busy_timeout,
            verifier,
            threads,
            piece,
        )
        .await
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.readers.close().await;
    }
}

fn pool_options(backend: Backend, size: u32, busy_timeout: Duration) -> AnyPoolOptions {
    let options = AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(30));
    match backend {
        Backend::Postgres => options,
        Backend::Sqlite => options.after_connect(move |conn, _meta| {
            Box::pin(async move {
                for pragma in writer::sqlite_pragmas(busy_timeout, false) {
                    conn.execute(pragma.as_str()).await?;
                }
                Ok(())
            })
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/// A unit (单位) in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Its id.
    pub id: UnitId,
    /// Its name.
    pub name: String,
    /// Its tier, which fixes its statutory authority to classify (R1.4).
    pub tier: UnitTier,
    /// The superior unit, if any.
    pub superior: Option<UnitId>,
}

/// A department (部门) of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Its id.
    pub id: DepartmentId,
    /// The unit it belongs to.
    pub unit: UnitId,
    /// Its name (unique within the unit).
    pub name: String,
}

fn tier_code(tier: UnitTier) -> &'static str {
    match tier {
        UnitTier::Central => "central",
        UnitTier::Provincial => "provincial",
        UnitTier::Prefecture => "prefecture",
        UnitTier::Other => "other",
    }
}

fn parse_tier(code: &str, id: i64) -> Result<UnitTier, StoreError> {
    match code {
        "central" => Ok(UnitTier::Central),
        "provincial" => Ok(UnitTier::Provincial),
        "prefecture" => Ok(UnitTier::Prefecture),
        "other" => Ok(UnitTier::Other),
        _ => Err(StoreError::Corrupt {
            table: "units",
            key: id.to_string(),
            problem: format!("unknown tier {code:?}"),
        }),
    }
}

fn decode_unit(row: &AnyRow) -> Result<Unit, StoreError> {
    let id: i64 = row.try_get("id")?;
    let tier: String = row.try_get("tier")?;
    Ok(Unit {
        id: UnitId(id),
        name: row.try_get("name")?,
        tier: parse_tier(&tier, id)?,
        superior: row.try_get::<Option<i64>, _>("superior_id")?.map(UnitId),
    })
}

/// A JSON string literal (for audit `detail`).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(2));
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Audit rows
// ---------------------------------------------------------------------------------------------

const AUDIT_COLUMNS: &str = "seq, at_seconds, at_nanos, actor_kind, actor_id, action, \
     object_kind, object_id, outcome, outcome_detail, detail, prev_hash, hash, algorithm";

/// `t` as (floor(t / 1 s), nanoseconds after that), the canonical encoding's `time(t)`.
fn split_time(t: Timestamp) -> Result<(i64, i64), StoreError> {
    let ns = t.as_nanosecond();
    let seconds = i64::try_from(ns.div_euclid(1_000_000_000));
    let nanos = i64::try_from(ns.rem_euclid(1_000_000_000));
    match (seconds, nanos) {
        (Ok(s), Ok(n)) => Ok((s, n)),
        _ => Err(StoreError::Corrupt {
            table: "audit_log",
            key: t.to_string(),
            problem: "time out of range".to_owned(),
        }),
    }
}

fn join_time(seconds: i64, nanos: i64) -> Option<Timestamp> {
    if !(0..1_000_000_000).contains(&nanos) {
        return None;
    }
    let ns = i128::from(seconds)
        .checked_mul(1_000_000_000)?
        .checked_add(i128::from(nanos))?;
    Timestamp::from_nanosecond(ns).ok()
}

/// The columns of one `audit_log` row, borrowed from whichever driver read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuditParts<'a> {
    pub(crate) seq: i64,
    pub(crate) at_seconds: i64,
    pub(crate) at_nanos: i64,
    pub(crate) actor_kind: &'a str,
    pub(crate) actor_id: Option<i64>,
    pub(crate) action: &'a str,
    pub(crate) object_kind: Option<&'a str>,
    pub(crate) object_id: Option<&'a str>,
    pub(crate) outcome: &'a str,
    pub(crate) outcome_detail: Option<&'a str>,
    pub(crate) detail: &'a str,
    pub(crate) prev_hash: &'a str,
    pub(crate) hash: &'a str,
}

/// The entry a row stores; a row no entry can come from is [`StoreError::Corrupt`]. The one
/// decoder of audit rows, whichever driver read them.
pub(crate) fn audit_entry_from_parts(p: &AuditParts<'_>) -> Result<AuditEntry, StoreError> {
    let corrupt = |problem: String| StoreError::Corrupt {
        table: "audit_log",
        key: p.seq.to_string(),
        problem,
    };
    let seq = u64::try_from(p.seq).map_err(|_| corrupt("negative seq".to_owned()))?;
    let at = join_time(p.at_seconds, p.at_nanos)
        .ok_or_else(|| corrupt("time out of range".to_owned()))?;
    let actor = match (p.actor_kind, p.actor_id) {
        ("person", Some(id)) => Actor::Person(PersonId(id)),
        ("system", None) => Actor::System,
        ("unauthenticated", None) => Actor::Unauthenticated,
        (kind, id) => return Err(corrupt(format!("bad actor {kind:?} {id:?}"))),
    };
    let object = match (p.object_kind, p.object_id) {
        (Some(kind), Some(id)) => Some(ObjectRef {
            kind: kind.to_owned(),
            id: id.to_owned(),
        }),
        (None, None) => None,
        _ => {
            return Err(corrupt(
                "object kind and id must both be set or both be null".into(),
            ))
        }
    };
    let outcome = match (p.outcome, p.outcome_detail) {
        ("success", None) => Outcome::Success,
        ("denied", Some(reason)) => Outcome::Denied {
            reason: reason.to_owned(),
        },
        ("failed", Some(error)) => Outcome::Failed {
            error: error.to_owned(),
        },
        (kind, detail) => return Err(corrupt(format!("bad outcome {kind:?} {detail:?}"))),
    };
    let digest = |column: &str, text: &str| -> Result<Digest, StoreError> {
        Digest::from_hex(text).map_err(|e| corrupt(format!("{column}: {e}")))
    };
    Ok(AuditEntry {
        seq,
        at,
        actor,
        action: p.action.to_owned(),
        object,
        outcome,
        detail: p.detail.to_owned(),
        prev_hash: digest("prev_hash", p.prev_hash)?,
        hash: digest("hash", p.hash)?,
    })
}

fn decode_audit(row: &AnyRow) -> Result<(AuditEntry, HashAlgorithm), StoreError> {
    let raw_seq: i64 = row.try_get("seq")?;
    let actor_kind: String = row.try_get("actor_kind")?;
    let action: String = row.try_get("action")?;
    let object_kind: Option<String> = row.try_get("object_kind")?;
    let object_id: Option<String> = row.try_get("object_id")?;
    let outcome: String = row.try_get("outcome")?;
    let outcome_detail: Option<String> = row.try_get("outcome_detail")?;
    let detail: String = row.try_get("detail")?;
    let prev_hash: String = row.try_get("prev_hash")?;
    let hash: String = row.try_get("hash")?;
    let entry = audit_entry_from_parts(&AuditParts {
        seq: raw_seq,
        at_seconds: row.try_get("at_seconds")?,
        at_nanos: row.try_get("at_nanos")?,
        actor_kind: &actor_kind,
        actor_id: row.try_get("actor_id")?,
        action: &action,
        object_kind: object_kind.as_deref(),
        object_id: object_id.as_deref(),
        outcome: &outcome,
        outcome_detail: outcome_detail.as_deref(),
        detail: &detail,
        prev_hash: &prev_hash,
        hash: &hash,
    })?;
    let algorithm: String = row.try_get("algorithm")?;
    let algorithm: HashAlgorithm =
        algorithm
            .parse()
            .map_err(|e: baomi_core::audit::AuditError| StoreError::Corrupt {
                table: "audit_log",
                key: raw_seq.to_string(),
                problem: e.to_string(),
            })?;
    Ok((entry, algorithm))
}

/// Rows per multi-row audit `INSERT` (14 parameters each; well under both databases' limits).
/// SQLite: sqlx binds each `$N` by looking its name up among all of the statement's
/// parameters (`sqlite3_bind_parameter_name`, a linear search), so a statement of `r` rows
/// costs O(r²): at 256 rows that lookup was 80% of an audited write's CPU (issue 19's fill ran
/// at 6,000 entries/s). 32 rows: about 3× faster. PostgreSQL binds by position.
fn audit_batch_rows(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 32,
        Backend::Postgres => 256,
    }
}

async fn insert_audit_rows(
    conn: &mut AnyConnection,
    entries: &[AuditEntry],
    algorithm: HashAlgorithm,
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut sql = format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES ");
    for i in 0..entries.len() {
        let b = i * 14;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        let marks: Vec<String> = (1..=14).map(|k| format!("${}", b + k)).collect();
        sql.push_str(&marks.join(", "));
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for entry in entries {
        let seq = i64::try_from(entry.seq).map_err(|_| StoreError::Corrupt {
            table: "audit_log",
            key: entry.seq.to_string(),
            problem: "seq beyond the database's range".to_owned(),
        })?;
        let (seconds, nanos) = split_time(entry.at)?;
        let (actor_kind, actor_id) = match entry.actor {
            Actor::Person(id) => ("person", Some(id.0)),
            Actor::System => ("system", None),
            Actor::Unauthenticated => ("unauthenticated", None),
        };
        let (outcome, outcome_detail) = match &entry.outcome {
            Outcome::Success => ("success", None),
            Outcome::Denied { reason } => ("denied", Some(reason.clone())),
            Outcome::Failed { error } => ("failed", Some(error.clone())),
        };
        query = query
            .bind(seq)
            .bind(seconds)
            .bind(nanos)
            .bind(actor_kind)
            .bind(actor_id)
            .bind(entry.action.clone())
            .bind(entry.object.as_ref().map(|o| o.kind.clone()))
            .bind(entry.object.as_ref().map(|o| o.id.clone()))
            .bind(outcome)
            .bind(outcome_detail)
            .bind(entry.detail.clone())
            .bind(entry.prev_hash.to_hex())
            .bind(entry.hash.to_hex())
            .bind(algorithm.name());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn insert_audit(
    conn: &mut AnyConnection,
    entry: &AuditEntry,
    algorithm: HashAlgorithm,
) -> Result<(), StoreError> {
    let seq = i64::try_from(entry.seq).map_err(|_| StoreError::Corrupt {
        table: "audit_log",
        key: entry.seq.to_string(),
        problem: "seq beyond the database's range".to_owned(),
    })?;
    let (seconds, nanos) = split_time(entry.at)?;
    let (actor_kind, actor_id) = match entry.actor {
        Actor::Person(id) => ("person", Some(id.0)),
        Actor::System => ("system", None),
        Actor::Unauthenticated => ("unauthenticated", None),
    };
    let (outcome, outcome_detail) = match &entry.outcome {
        Outcome::Success => ("success", None),
        Outcome::Denied { reason } => ("denied", Some(reason.clone())),
        Outcome::Failed { error } => ("failed", Some(error.clone())),
    };
    sqlx::query(&format!(
        "INSERT INTO audit_log ({AUDIT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(seq)
    .bind(seconds)
    .bind(nanos)
    .bind(actor_kind)
    .bind(actor_id)
    .bind(entry.action.clone())
    .bind(entry.object.as_ref().map(|o| o.kind.clone()))
    .bind(entry.object.as_ref().map(|o| o.id.clone()))
    .bind(outcome)
    .bind(outcome_detail)
    .bind(entry.detail.clone())
    .bind(entry.prev_hash.to_hex())
    .bind(entry.hash.to_hex())
    .bind(algorithm.name())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Queries shared by both kinds of transaction
// ---------------------------------------------------------------------------------------------

async fn q_get_unit(conn: &mut AnyConnection, id: UnitId) -> Result<Option<Unit>, StoreError> {
    let row = sqlx::query("SELECT id, name, tier, superior_id FROM units WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(decode_unit).transpose()
}

async fn q_list_units(conn: &mut AnyConnection) -> Result<Vec<Unit>, StoreError> {
    let rows = sqlx::query("SELECT id, name, tier, superior_id FROM units ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(decode_unit).collect()
}

async fn q_list_departments(
    conn: &mut AnyConnection,
    unit: UnitId,
) -> Result<Vec<Department>, StoreError> {
    let rows =
        sqlx::query("SELECT id, unit_id, name FROM departments WHERE unit_id = $1 ORDER BY id")
            .bind(unit.0)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(Department {
                id: DepartmentId(row.try_get("id")?),
                unit: UnitId(row.try_get("unit_id")?),
                name: row.try_get("name")?,
            })
        })
        .collect()
}

async fn q_audit_entries(
    conn: &mut AnyConnection,
    from_seq: u64,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let from = i64::try_from(from_seq).unwrap_or(i64::MAX);
    let rows = sqlx::query(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2"
    ))
    .bind(from)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| decode_audit(row).map(|(entry, _)| entry))
        .collect()
}

/// What the auditor searches the audit trail for ([`ReadTx::search_audit`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    /// Entries by this person.
    pub actor: Option<PersonId>,
    /// Actions starting with this text (`carrier.` for every carrier action).
    pub action_prefix: Option<String>,
    /// About objects of this kind.
    pub object_kind: Option<String>,
    /// About the object with this id (with `object_kind`).
    pub object_id: Option<String>,
    /// With this outcome: `success`, `denied` or `failed`.
    pub outcome: Option<&'static str>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub until: Option<Timestamp>,
}

/// Which of a record's audit entries a reader sees ([`ReadTx::audit_history`]); the default
/// shows every entry (the auditor's view).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Only actions starting with one of these (none: any action).
    pub action_prefixes: Vec<String>,
    /// The reader: their own entries pass the two tests below.
    pub viewer: Option<PersonId>,
    /// Others' entries only when they succeeded.
    pub others_success_only: bool,
    /// Others' entries hidden when their action ends with one of these (the reads).
    pub others_hidden_suffixes: Vec<String>,
}

/// A checkpoint as recorded in the database, with the service's signature if it had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// The signature over [`Checkpoint::signing_bytes`] (the scheme is the service's).
    pub signature: Option<Vec<u8>>,
}

async fn q_latest_checkpoint(
    conn: &mut AnyConnection,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row = sqlx::query(
        "SELECT seq, head_hash, at_seconds, at_nanos, algorithm, signature \
         FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let raw_seq: i64 = row.try_get("seq")?;
    let corrupt = |problem: String| StoreError::Corrupt {
        table: "audit_checkpoints",
        key: raw_seq.to_string(),
        problem,
    };
    let seq = u64::try_from(raw_seq).map_err(|_| corrupt("negative seq".to_owned()))?;
    let head_hash: String = row.try_get("head_hash")?;
    let head_hash = Digest::from_hex(&head_hash).map_err(|e| corrupt(e.to_string()))?;
    let at = join_time(row.try_get("at_seconds")?, row.try_get("at_nanos")?)
        .ok_or_else(|| corrupt("time out of range".to_owned()))?;
    let algorithm: String = row.try_get("algorithm")?;
    let algorithm: HashAlgorithm = algorithm
        .parse()
        .map_err(|e: baomi_core::audit::AuditError| corrupt(e.to_string()))?;
    Ok(Some(StoredCheckpoint {
        checkpoint: Checkpoint {
            algorithm,
            seq,
            head_hash,
            at,
        },
        signature: row.try_get("signature")?,
    }))
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

/// A read-only transaction (a consistent snapshot). Dropping it ends it.
#[derive(Debug)]
pub struct ReadTx {
    tx: Transaction<'static, Any>,
}

impl ReadTx {
    /// A unit by id.
    pub async fn get_unit(&mut self, id: UnitId) -> Result<Option<Unit>, StoreError> {
        q_get_unit(&mut self.tx, id).await
    }

    /// All units, by id.
    pub async fn list_units(&mut self) -> Result<Vec<Unit>, StoreError> {
        q_list_units(&mut self.tx).await
    }

    /// The departments of a unit, by id.
    pub async fn list_departments(&mut self, unit: UnitId) -> Result<Vec<Department>, StoreError> {
        q_list_departments(&mut self.tx, unit).await
    }

    /// Up to `limit` audit entries with `seq >= from_seq`, in `seq` order.
    pub async fn audit_entries(
        &mut self,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        q_audit_entries(&mut self.tx, from_seq, limit).await
    }

    /// The checkpoint with the highest `seq` recorded in the database, with its signature.
    pub async fn latest_checkpoint(&mut self) -> Result<Option<StoredCheckpoint>, StoreError> {
        q_latest_checkpoint(&mut self.tx).await
    }

    /// The `seq` of the last audit entry in the database (0 for an empty log). Unlike
    /// [`Store::audit_head`] it sees what other processes sharing the database appended.
    pub async fn last_audit_seq(&mut self) -> Result<u64, StoreError> {
        let last: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *self.tx)
                .await?;
        let last = last.unwrap_or(0);
        u64::try_from(last).map_err(|_| StoreError::Corrupt {
            table: "audit_log",
            key: last.to_string(),
            problem: "negative seq".to_owned(),
        })
    }

    /// A page of the audit entries about one object (a record's history, R13.2), newest
    /// first: at most `limit` entries with `seq` below `before`, narrowed by `filter` **in
    /// SQL** — so a much-read record's latest changes are on its first page however many
    /// reads came before them (issue 19). Served by the index on (object_kind, object_id, seq).
    pub async fn audit_history(
        &mut self,
        object: &ObjectRef,
        filter: &HistoryFilter,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE object_kind = $1 AND object_id = $2 \
             AND seq < $3"
        );
        let mut binds: Vec<String> = Vec::new();
        // `$n` for the next text parameter (numbered after the three above).
        let param = |value: &str, binds: &mut Vec<String>| {
            binds.push(value.to_owned());
            format!("${}", binds.len() + 3)
        };
        // Prefix and suffix tests by `substr` compare characters exactly in both dialects
        // (SQLite's LIKE ignores ASCII case; a suffix longer than the action never matches).
        if !filter.action_prefixes.is_empty() {
            let any: Vec<String> = filter
                .action_prefixes
                .iter()
                .map(|p| {
                    let n = p.chars().count();
                    format!("substr(action, 1, {n}) = {}", param(p, &mut binds))
                })
                .collect();
            sql.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        let mut others: Vec<String> = Vec::new();
        if filter.others_success_only {
            others.push("outcome = 'success'".to_owned());
        }
        if !filter.others_hidden_suffixes.is_empty() {
            let any: Vec<String> = filter
                .others_hidden_suffixes
                .iter()
                .map(|x| {
                    let n = x.chars().count();
                    format!(
                        "substr(action, length(action) - {}) = {}",
                        n.saturating_sub(1),
                        param(x, &mut binds)
                    )
                })
                .collect();
            others.push(format!("NOT ({})", any.join(" OR ")));
        }
        if !others.is_empty() {
            let own = match filter.viewer {
                Some(viewer) => format!("(actor_kind = 'person' AND actor_id = {}) OR ", viewer.0),
                None => String::new(),
            };
            sql.push_str(&format!(" AND ({own}({}))", others.join(" AND ")));
        }
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT {limit}"));
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let mut query = sqlx::query(&sql)
            .bind(object.kind.clone())
            .bind(object.id.clone())
            .bind(before);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.fetch_all(&mut *self.tx).await?;
        rows.iter()
            .map(|row| decode_audit(row).map(|(entry, _)| entry))
            .collect()
    }

    /// The auditor's search (R13.2): newest first, at most `limit`, entries with `seq` below
    /// `before` (for paging), narrowed by every filter given.
    pub async fn search_audit(
        &mut self,
        search: &AuditSearch,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        // A time window alone (both ends, no other filter): the planners would walk `seq`
        // down from the cursor testing each row's time — millions of rows for a day long ago,
        // since they assume matches are spread evenly when they are bunched (time follows
        // `seq`). Instead the window's `seq`s are taken from the (at_seconds, seq) index
        // alone, the newest `limit` of them picked, and only those rows read (issue 19).
        let window_only = search.from.is_some()
            && search.until.is_some()
            && search.actor.is_none()
            && search.action_prefix.is_none()
            && search.object_kind.is_none()
            && search.object_id.is_none()
            && search.outcome.is_none();
        let mut sql = if window_only {
            "SELECT seq FROM audit_log WHERE seq < $1".to_owned()
        } else {
            format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq < $1")
        };
        let mut n = 1;
        let mut next = || {
            n += 1;
            n
        };
        if search.actor.is_some() {
            sql.push_str(&format!(" AND actor_id = ${}", next()));
        }
        if search.action_prefix.is_some() {
            sql.push_str(&format!(" AND action LIKE ${} ESCAPE '\\'", next()));
        }
        if search.object_kind.is_some() {
            sql.push_str(&format!(" AND object_kind = ${}", next()));
        }
        if search.object_id.is_some() {
            sql.push_str(&format!(" AND object_id = ${}", next()));
        }
        if search.outcome.is_some() {
            sql.push_str(&format!(" AND outcome = ${}", next()));
        }
        if search.from.is_some() {
            sql.push_str(&format!(" AND at_seconds >= ${}", next()));
        }
        if search.until.is_some() {
            sql.push_str(&format!(" AND at_seconds < ${}", next()));
        }
        if window_only {
            // `seq + 0`: sort the window's seqs rather than walk the primary key.
            sql = format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq IN ({sql} \
                 ORDER BY seq + 0 DESC LIMIT ${}) ORDER BY seq DESC",
                next()
            );
        } else {
            sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", next()));
        }
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let mut query = sqlx::query(&sql).bind(before);
        if let Some(actor) = search.actor {
            query = query.bind(actor.0);
        }
        if let Some(prefix) = &search.action_prefix {
            let mut pattern: String = prefix
                .chars()
                .flat_map(|c| {
                    let escape = matches!(c, '%' | '_' | '\\');
                    escape.then_some('\\').into_iter().chain(std::iter::once(c))
                })
                .collect();
            pattern.push('%');
            query = query.bind(pattern);
        }
        if let Some(kind) = &search.object_kind {
            query = query.bind(kind.clone());
        }
        if let Some(id) = &search.object_id {
            query = query.bind(id.clone());
        }
        if let Some(outcome) = search.outcome {
            query = query.bind(outcome);
        }
        if let Some(from) = search.from {
            query = query.bind(from.as_second());
        }
        if let Some(until) = search.until {
            query = query.bind(until.as_second());
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter()
            .map(|row| decode_audit(row).map(|(entry, _)| entry))
            .collect()
    }

    /// Ends the snapshot.
    pub async fn finish(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// A write transaction. Holds the writer until [`WriteTx::commit`] or drop; dropping without
/// committing rolls back every change **and** every audit entry appended in it (R13.1).
///
/// After a database error inside it the transaction is *poisoned*: every further operation and
/// the commit are refused, and the group it ran in fails (see the `writer` module) — nothing
/// of it is kept, and nothing is ever acknowledged that the database did not commit.
#[derive(Debug)]
pub struct WriteTx {
    held: Option<Held>,
    writer: Arc<Writer>,
    pending: ChainHead,
    poisoned: Option<Fault>,
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            self.writer.abandon(held, self.poisoned);
        }
    }
}

impl WriteTx {
    /// The writer connection for one store operation (see [`run!`]): counts the operation as
    /// a step for the fault injector; refused once the transaction is poisoned.
    fn begin_op(&mut self) -> Result<&mut AnyConnection, StoreError> {
        if let Some(fault) = self.poisoned {
            return Err(StoreError::Unavailable(fault));
        }
        if let Err(e) = self.writer.step() {
            self.poisoned = Some(self.writer.fault_of(&e));
            return Err(e);
        }
        self.held
            .as_mut()
            .and_then(|h| h.slot.conn.as_mut())
            .ok_or(StoreError::Unavailable(Fault::Connection))
    }

    /// Ends a store operation: a database error poisons the transaction.
    fn end_op<T>(&mut self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(e @ StoreError::Database(_)) = &result {
            self.poisoned = Some(self.writer.fault_of(e));
        }
        result
    }

    /// R13.2: appends `draft` to the audit chain inside this transaction and returns the entry
    /// as stored. A refused draft ([`StoreError::Audit`]) appends nothing; the caller must then
    /// not commit the change it was auditing (R13.1: no unaudited change).
    pub async fn append_audit(&mut self, draft: AuditDraft) -> Result<AuditEntry, StoreError> {
        let mut next = self.pending;
        let entry = next.append(draft)?;
        run!(self, |c| insert_audit(c, &entry, next.algorithm).await)?;
        self.pending = next;
        Ok(entry)
    }

    /// R13.2: appends many drafts in one multi-row `INSERT` (the service's group commit of
    /// audited reads). Each draft gets its own result: a draft the chain refuses appends
    /// nothing and the others still chain on. On a database error nothing of the batch is
    /// appended and the transaction must not be committed.
    pub async fn append_audit_batch(
        &mut self,
        drafts: Vec<AuditDraft>,
    ) -> Result<Vec<Result<AuditEntry, StoreError>>, StoreError> {
        let mut next = self.pending;
        let mut results = Vec::with_capacity(drafts.len());
        let mut entries = Vec::with_capacity(drafts.len());
        for draft in drafts {
            match next.append(draft) {
                Ok(entry) => {
                    entries.push(entry.clone());
                    results.push(Ok(entry));
                }
                Err(e) => results.push(Err(StoreError::Audit(e))),
            }
        }
        for chunk in entries.chunks(audit_batch_rows(self.writer.config().backend)) {
            run!(self, |c| insert_audit_rows(c, chunk, next.algorithm).await)?;
        }
        self.pending = next;
        Ok(results)
    }

    /// The chain head including the entries appended in this transaction.
    pub fn audit_head(&self) -> ChainHead {
        self.pending
    }

    /// Commits: returns `Ok` only once the database's `COMMIT` of the group holding this
    /// transaction returned OK (so the change and its audit entries are durable). On error
    /// nothing of this transaction is kept; a storage fault is
    /// [`StoreError::Unavailable`] naming the [`Fault`].
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let Some(mut held) = self.held.take() else {
            return Err(StoreError::Unavailable(Fault::Aborted));
        };
        held.head = self.pending;
        if let Some(fault) = self.poisoned {
            self.writer.abandon(held, Some(fault));
            return Err(StoreError::Unavailable(fault));
        }
        self.writer.commit(held).await
    }

    /// Rolls back explicitly (dropping does the same).
    pub async fn rollback(mut self) -> Result<(), StoreError> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        if let Some(fault) = self.poisoned {
            self.writer.abandon(held, Some(fault));
            return Ok(());
        }
        self.writer.rollback(held).await
    }

    /// Creates a unit and audits it (`unit.create`, R13.1). A `superior` that does not exist is
    /// refused with [`StoreError::NotFound`] before anything is written.
    pub async fn create_unit(
        &mut self,
        at: Timestamp,
        actor: Actor,
        name: &str,
        tier: UnitTier,
        superior: Option<UnitId>,
    ) -> Result<Unit, StoreError> {
        if let Some(sup) = superior {
            if run!(self, |c| q_get_unit(c, sup).await)?.is_none() {
                return Err(StoreError::NotFound {
                    kind: "unit",
                    id: sup.0,
                });
            }
        }
        let row = run!(self, |c| sqlx::query(
            "INSERT INTO units (name, tier, superior_id) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name.to_owned())
        .bind(tier_code(tier))
        .bind(superior.map(|s| s.0))
        .fetch_one(&mut *c)
        .await
        .map_err(StoreError::from))?;
        let unit = Unit {
            id: UnitId(row.try_get("id")?),
            name: name.to_owned(),
            tier,
            superior,
        };
        let superior_json = superior.map_or_else(|| "null".to_owned(), |s| s.0.to_string());
        let detail = format!(
            "{{\"name\":{},\"tier\":\"{}\",\"superior\":{superior_json}}}",
            json_string(name),
            tier_code(tier)
        );
        self.append_audit(
            AuditDraft::new(at, actor, "unit.create")
                .on(ObjectRef::unit(unit.id))
                .detail(detail),
        )
        .await?;
        Ok(unit)
    }

    /// Creates a department of `unit` and audits it (`department.create`, R13.1). An unknown
    /// unit is refused with [`StoreError::NotFound`] before anything is written.
    pub async fn create_department(
        &mut self,
        at: Timestamp,
        actor: Actor,
        unit: UnitId,
        name: &str,
    ) -> Result<Department, StoreError> {
        if run!(self, |c| q_get_unit(c, unit).await)?.is_none() {
            return Err(StoreError::NotFound {
                kind: "unit",
                id: unit.0,
            });
        }
        let row = run!(self, |c| sqlx::query(
            "INSERT INTO departments (unit_id, name) VALUES ($1, $2) RETURNING id"
        )
        .bind(unit.0)
        .bind(name.to_owned())
        .fetch_one(&mut *c)
        .await
        .map_err(StoreError::from))?;
        let department = Department {
            id: DepartmentId(row.try_get("id")?),
            unit,
            name: name.to_owned(),
        };
        self.append_audit(
            AuditDraft::new(at, actor, "department.create")
                .on(ObjectRef::department(department.id))
                .detail(format!(
                    "{{\"unit\":{},\"name\":{}}}",
                    unit.0,
                    json_string(name)
                )),
        )
        .await?;
        Ok(department)
    }

    /// R13.2: records a checkpoint of this chain (with the service's signature over
    /// [`Checkpoint::signing_bytes`], if any) and audits it (`audit.checkpoint`, R13.1). Refused
    /// with [`StoreError::CheckpointMismatch`] unless the checkpoint is of this chain's
    /// algorithm and names an existing entry (or the empty log) with its exact hash. The copy in
    /// the database is a convenience: the authoritative copy is the one kept elsewhere.
    pub async fn record_checkpoint(
        &mut self,
        at: Timestamp,
        actor: Actor,
        checkpoint: &Checkpoint,
        signature: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let mismatch = || StoreError::CheckpointMismatch {
            seq: checkpoint.seq,
        };
        if checkpoint.algorithm != self.pending.algorithm || checkpoint.seq > self.pending.seq {
            return Err(mismatch());
        }
        let hash = if checkpoint.seq == 0 {
            Digest::ZERO
        } else {
            let entries = run!(self, |c| q_audit_entries(c, checkpoint.seq, 1).await)?;
            match entries.first() {
                Some(e) if e.seq == checkpoint.seq => e.hash,
                _ => return Err(mismatch()),
            }
        };
        if hash != checkpoint.head_hash {
            return Err(mismatch());
        }
        let seq = i64::try_from(checkpoint.seq).map_err(|_| mismatch())?;
        let (seconds, nanos) = split_time(checkpoint.at)?;
        run!(self, |c| sqlx::query(
            "INSERT INTO audit_checkpoints (seq, head_hash, at_seconds, at_nanos, algorithm, \
             signature) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(seq)
        .bind(checkpoint.head_hash.to_hex())
        .bind(seconds)
        .bind(nanos)
        .bind(checkpoint.algorithm.name())
        .bind(signature.map(<[u8]>::to_vec))
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        self.append_audit(
            AuditDraft::new(at, actor, "audit.checkpoint")
                .on(ObjectRef::new("audit_checkpoint", checkpoint.seq))
                .detail(format!(
                    "{{\"seq\":{},\"head_hash\":\"{}\",\"signed\":{}}}",
                    checkpoint.seq,
                    checkpoint.head_hash,
                    signature.is_some()
                )),
        )
        .await?;
        Ok(())
    }

    /// A unit by id (seeing this transaction's own changes).
    pub async fn get_unit(&mut self, id: UnitId) -> Result<Option<Unit>, StoreError> {
        run!(self, |c| q_get_unit(c, id).await)
    }

    /// All units, by id (seeing this transaction's own changes).
    pub async fn list_units(&mut self) -> Result<Vec<Unit>, StoreError> {
        run!(self, |c| q_list_units(c).await)
    }

    /// The departments of a unit, by id (seeing this transaction's own changes).
    pub async fn list_departments(&mut self, unit: UnitId) -> Result<Vec<Department>, StoreError> {
        run!(self, |c| q_list_departments(c, unit).await)
    }

    /// Up to `limit` audit entries with `seq >= from_seq` (seeing this transaction's own).
    pub async fn audit_entries(
        &mut self,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        run!(self, |c| q_audit_entries(c, from_seq, limit).await)
    }
}

#[cfg(test)]
mod tests {
    use super::Backend;
    use std::path::PathBuf;

    #[test]
    fn sqlite_file_of_paths_and_urls() {
        let file = |url: &str| Backend::sqlite_file(url);
        assert_eq!(
            file("/var/lib/baomi.db"),
            Some(PathBuf::from("/var/lib/baomi.db"))
        );
        assert_eq!(file("data/baomi.db"), Some(PathBuf::from("data/baomi.db")));
        assert_eq!(file("sqlite:baomi.db"), Some(PathBuf::from("baomi.db")));
        assert_eq!(
            file("sqlite:///srv/baomi.db?mode=rw"),
            Some(PathBuf::from("/srv/baomi.db"))
        );
        assert_eq!(file("postgres://u:p@host/db"), None);
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file(""), None);
    }
}
