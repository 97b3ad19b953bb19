//! The write path: one writer connection, group commit, and a clean refusal for every fault.
//!
//! # What a caller is promised
//!
//! [`WriteTx::commit`](crate::WriteTx::commit) returns `Ok` only after the database's
//! `COMMIT` of the transaction that holds the change returned OK. Any error inside a write
//! transaction — a statement, `RELEASE`, `COMMIT` — fails the whole group it is in: every
//! member is told it was not saved, the writer connection is closed (never reused in an unknown
//! state; closing rolls back whatever the database still holds open) and the next write opens a
//! new one. The audit chain's head is read from the database at the start of every group, so a
//! failed commit can never leave a cached head ahead of the stored log (issue: a full SQLite
//! disk once made the driver's transaction depth wrong and 2,955 acknowledged writes vanished).
//!
//! # Group commit
//!
//! Logical write transactions ([`WriteTx`](crate::WriteTx)) run one at a time (a fair, FIFO
//! `tokio` mutex) as `SAVEPOINT`s inside one database transaction, the *group*. A logical
//! commit releases its savepoint, hands the group on and waits. A committer task asks for the
//! same mutex when woken; because the mutex is FIFO, every writer that was already queued runs
//! first and joins the group, then the committer `COMMIT`s once (one fsync for the group) and
//! answers every member. Under no load a group is one transaction; under load it is everyone
//! who was waiting. A logical rollback is `ROLLBACK TO` its savepoint and leaves the others.
//!
//! # Several processes
//!
//! A group starts with `BEGIN IMMEDIATE` (SQLite: takes the database's write lock) or `BEGIN`
//! plus a transaction-scoped advisory lock (PostgreSQL), and then reads the chain's head: so
//! appends are serialised across processes and each group chains on the head another process
//! may just have committed.

use crate::{decode_audit, Backend, StoreError, AUDIT_COLUMNS};
use baomi_core::audit::{ChainHead, HashAlgorithm};
use jiff::Timestamp;
use sqlx::{AnyConnection, Connection, Executor};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex, OwnedMutexGuard};

/// The PostgreSQL advisory lock key that serialises audit appends across processes
/// ("baomi" + "audit" in ASCII, as one bigint; any constant would do).
const AUDIT_LOCK_KEY: i64 = 0x6261_6f6d_6961_7564;

/// How long closing a broken connection may take before it is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What kind of fault refused a write (or a read's audit entry). Each is a clean refusal:
/// nothing of the refused write was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The disk (or the database's size limit) is full: SQLite `SQLITE_FULL`, PostgreSQL
    /// `53100 disk_full`.
    StorageFull,
    /// The database or its file system is read-only.
    ReadOnly,
    /// Another process holds the database's lock (SQLite `SQLITE_BUSY`), or a lock wait ran out.
    Locked,
    /// A statement ran longer than the configured limit (PostgreSQL `statement_timeout`).
    Timeout,
    /// An input/output error of the disk or the database's files.
    Io,
    /// The database cannot be reached, or the connection broke (a restart, a terminated
    /// backend).
    Connection,
    /// The transaction could not be completed for another reason (a fault injected by a test,
    /// or an error inside the group this write was part of).
    Aborted,
}

impl Fault {
    /// A stable code for logs and the JSON error's `reason`.
    pub fn code(self) -> &'static str {
        match self {
            Fault::StorageFull => "storage_full",
            Fault::ReadOnly => "storage_read_only",
            Fault::Locked => "storage_locked",
            Fault::Timeout => "storage_timeout",
            Fault::Io => "storage_io_error",
            Fault::Connection => "storage_unavailable",
            Fault::Aborted => "storage_aborted",
        }
    }

    /// Classifies a database error; `None` for errors that are not faults of the storage (a
    /// constraint, a syntax error: the caller's bug or a refusal, answered as such). The two
    /// databases' codes cannot be confused: SQLite's (extended) result codes are numbers of at
    /// most four digits, PostgreSQL's SQLSTATEs are five characters.
    pub fn of(error: &sqlx::Error) -> Option<Fault> {
        match error {
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                if code.len() == 5 {
                    postgres_fault(&code)
                } else {
                    sqlite_fault(code.parse::<i64>().ok()? & 0xff)
                }
            }
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Some(Fault::Connection),
            _ => None,
        }
    }
}

/// SQLite primary result codes that are faults of the storage.
fn sqlite_fault(primary: i64) -> Option<Fault> {
    match primary {
        13 => Some(Fault::StorageFull), // SQLITE_FULL
        8 => Some(Fault::ReadOnly),     // SQLITE_READONLY
        5 | 6 => Some(Fault::Locked),   // SQLITE_BUSY, SQLITE_LOCKED
        // SQLITE_NOMEM, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_NOTADB
        7 | 10 | 11 | 14 | 26 => Some(Fault::Io),
        _ => None,
    }
}

/// PostgreSQL SQLSTATEs that are faults of the storage.
fn postgres_fault(state: &str) -> Option<Fault> {
    match state {
        "53100" => Some(Fault::StorageFull),
        "25006" => Some(Fault::ReadOnly),
        "57014" => Some(Fault::Timeout),
        "55P03" | "40001" | "40P01" | "53300" => Some(Fault::Locked),
        s if s.starts_with("08") || s.starts_with("57P") => Some(Fault::Connection),
        s if s.starts_with("58") || s.starts_with("53") || s.starts_with("XX") => Some(Fault::Io),
        _ => None,
    }
}

/// The last storage fault seen, for the system administrator's status page and reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultReport {
    /// What kind of fault.
    pub fault: Fault,
    /// When it was last seen.
    pub at: Timestamp,
    /// How many writes it has refused since the service started.
    pub refused: u64,
    /// Whether a write has succeeded since (the fault has cleared).
    pub cleared: bool,
}

/// Health of the write path, shared by every clone of the store.
#[derive(Debug, Default)]
pub(crate) struct Health {
    last: std::sync::Mutex<Option<FaultReport>>,
    refused: AtomicU64,
}

impl Health {
    fn fault(&self, fault: Fault, writes: u64) {
        let refused = self
            .refused
            .fetch_add(writes, Ordering::Relaxed)
            .saturating_add(writes);
        if let Ok(mut last) = self.last.lock() {
            *last = Some(FaultReport {
                fault,
                at: Timestamp::now(),
                refused,
                cleared: false,
            });
        }
    }

    fn ok(&self) {
        if let Ok(mut last) = self.last.lock() {
            if let Some(report) = last.as_mut() {
                report.cleared = true;
            }
        }
    }

    pub(crate) fn report(&self) -> Option<FaultReport> {
        self.last.lock().ok().and_then(|last| *last)
    }
}

/// A test seam: makes the n-th step of the write path from now on fail as an I/O error
/// (each store operation inside a write transaction, `BEGIN`, `SAVEPOINT`, `RELEASE` and
/// `COMMIT` are steps). Used by the fault-injection tests; inert unless armed.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    countdown: AtomicI64,
}

impl Default for FaultInjector {
    fn default() -> Self {
        FaultInjector {
            countdown: AtomicI64::new(-1),
        }
    }
}

impl FaultInjector {
    pub(crate) fn arm(&self, after: u64) {
        self.countdown
            .store(i64::try_from(after).unwrap_or(i64::MAX), Ordering::SeqCst);
    }

    pub(crate) fn disarm(&self) {
        self.countdown.store(-1, Ordering::SeqCst);
    }

    /// Counts one step; `Err` if this is the step to fail.
    pub(crate) fn step(&self) -> Result<(), StoreError> {
        if self.countdown.load(Ordering::Relaxed) < 0 {
            return Ok(());
        }
        if self.countdown.fetch_sub(1, Ordering::SeqCst) == 0 {
            return Err(StoreError::Database(sqlx::Error::Io(
                std::io::Error::other("fault injected by a test"),
            )));
        }
        Ok(())
    }
}

/// How the writer connects and what it sets on every connection.
#[derive(Debug, Clone)]
pub(crate) struct WriterConfig {
    pub(crate) backend: Backend,
    pub(crate) url: String,
    pub(crate) algorithm: HashAlgorithm,
    pub(crate) busy_timeout: Duration,
    pub(crate) statement_timeout: Option<Duration>,
}

impl WriterConfig {
    /// What every writer connection runs first.
    pub(crate) fn connection_settings(&self) -> Vec<String> {
        match self.backend {
            Backend::Sqlite => sqlite_pragmas(self.busy_timeout, true),
            Backend::Postgres => match self.statement_timeout {
                Some(limit) => vec![format!("SET statement_timeout = {}", limit.as_millis())],
                None => Vec::new(),
            },
        }
    }
}

/// SQLite's largest `max_page_count` (no limit).
const UNLIMITED_PAGES: u64 = 4_294_967_294;

/// The writer connection and the group it has open.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub(crate) conn: Option<AnyConnection>,
    group: Option<Group>,
    /// A logical transaction dropped without commit: its savepoint is rolled back before the
    /// writer does anything else.
    rollback_pending: Option<u64>,
    /// The size limit (in bytes, `u64::MAX` for none) applied to the current connection.
    applied_limit: Option<u64>,
    /// Why the open group can no longer commit (an error inside it).
    broken: Option<Fault>,
    /// A control statement was sent and its answer not yet seen: if it stays set, the future
    /// running it was dropped (a client went away mid-commit) and the connection's state is
    /// unknown, so the group fails rather than guess.
    in_flight: bool,
    next_savepoint: u64,
}

#[derive(Debug)]
struct Group {
    /// The chain head including every logical transaction released into the group.
    head: ChainHead,
    /// The members waiting for the group's commit.
    waiters: Vec<oneshot::Sender<Result<(), Fault>>>,
}

/// The shared writer: one per store, shared by its clones.
#[derive(Debug)]
pub(crate) struct Writer {
    config: WriterConfig,
    slot: Arc<Mutex<Slot>>,
    committed: std::sync::Mutex<ChainHead>,
    wake: mpsc::UnboundedSender<()>,
    /// SQLite: the most the database may grow to, in bytes (`u64::MAX`: no limit).
    size_limit: AtomicU64,
    pub(crate) faults: FaultInjector,
    pub(crate) health: Health,
}

/// What a logical write transaction holds while it runs.
#[derive(Debug)]
pub(crate) struct Held {
    pub(crate) slot: OwnedMutexGuard<Slot>,
    pub(crate) savepoint: u64,
    pub(crate) head: ChainHead,
}

impl Writer {
    /// The writer over an already open connection (the one migrations ran on), and its
    /// committer task.
    pub(crate) fn start(
        config: WriterConfig,
        conn: AnyConnection,
        committed: ChainHead,
    ) -> Arc<Writer> {
        let (wake, mut woken) = mpsc::unbounded_channel::<()>();
        let writer = Arc::new(Writer {
            config,
            slot: Arc::new(Mutex::new(Slot {
                conn: Some(conn),
                ..Slot::default()
            })),
            committed: std::sync::Mutex::new(committed),
            wake,
            size_limit: AtomicU64::new(u64::MAX),
            faults: FaultInjector::default(),
            health: Health::default(),
        });
        let weak = Arc::downgrade(&writer);
        tokio::spawn(async move {
            while woken.recv().await.is_some() {
                while woken.try_recv().is_ok() {}
                let Some(writer) = weak.upgrade() else { break };
                writer.commit_group().await;
            }
        });
        writer
    }

    /// The chain head as last committed by this process.
    pub(crate) fn committed_head(&self) -> ChainHead {
        match self.committed.lock() {
            Ok(head) => *head,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Starts a logical write transaction: waits for the writer, opens a group if none is
    /// open, and sets a savepoint.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<Held, StoreError> {
        let mut slot = Arc::clone(&self.slot).lock_owned().await;
        self.settle(&mut slot).await;
        if slot.group.is_none() {
            if let Err(e) = self.open_group(&mut slot).await {
                self.fail(&mut slot, &e).await;
                return Err(e);
            }
        }
        let savepoint = slot.next_savepoint;
        slot.next_savepoint = savepoint.wrapping_add(1);
        if let Err(e) = self
            .exec(&mut slot, &format!("SAVEPOINT sp{savepoint}"))
            .await
        {
            self.fail(&mut slot, &e).await;
            return Err(e);
        }
        let head = match &slot.group {
            Some(group) => group.head,
            None => self.committed_head(),
        };
        Ok(Held {
            slot,
            savepoint,
            head,
        })
    }

    /// Releases a logical transaction into its group and waits for the group's commit.
    pub(crate) async fn commit(&self, held: Held) -> Result<(), StoreError> {
        let Held {
            mut slot,
            savepoint,
            head,
        } = held;
        let released = self
            .exec(&mut slot, &format!("RELEASE SAVEPOINT sp{savepoint}"))
            .await;
        let waiter = match (released, slot.group.as_mut()) {
            (Ok(()), Some(group)) => {
                group.head = head;
                let (tell, told) = oneshot::channel();
                group.waiters.push(tell);
                told
            }
            (Err(e), _) => {
                self.fail(&mut slot, &e).await;
                return Err(e);
            }
            (Ok(()), None) => return Err(StoreError::Unavailable(Fault::Aborted)),
        };
        drop(slot);
        let _ = self.wake.send(());
        match waiter.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(fault)) => Err(StoreError::Unavailable(fault)),
            Err(_) => Err(StoreError::Unavailable(Fault::Aborted)),
        }
    }

    /// Rolls a logical transaction back to its savepoint, now.
    pub(crate) async fn rollback(&self, mut held: Held) -> Result<(), StoreError> {
        let sp = held.savepoint;
        let result = match self
            .exec(&mut held.slot, &format!("ROLLBACK TO SAVEPOINT sp{sp}"))
            .await
        {
            Ok(()) => {
                self.exec(&mut held.slot, &format!("RELEASE SAVEPOINT sp{sp}"))
                    .await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            self.fail(&mut held.slot, e).await;
        }
        drop(held);
        let _ = self.wake.send(());
        result
    }

    /// A logical transaction ended without commit or rollback (dropped, or poisoned by an
    /// error): its savepoint is rolled back — or, after an error, the whole group fails —
    /// before the writer is used again. Synchronous: called from `Drop`.
    pub(crate) fn abandon(&self, mut held: Held, poisoned: Option<Fault>) {
        match poisoned {
            Some(fault) => held.slot.broken = Some(fault),
            None => held.slot.rollback_pending = Some(held.savepoint),
        }
        drop(held);
        let _ = self.wake.send(());
    }

    /// Commits an open group and closes the writer connection (the next write opens a new
    /// one).
    pub(crate) async fn close(&self) {
        self.commit_group().await;
        let mut slot = self.slot.lock().await;
        if let Some(conn) = slot.conn.take() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close()).await;
        }
    }

    /// SQLite: limits the database's size (see [`Store::limit_size`](crate::Store::limit_size)).
    pub(crate) fn limit_size(&self, bytes: Option<u64>) -> bool {
        if self.config.backend != Backend::Sqlite {
            return false;
        }
        self.size_limit
            .store(bytes.unwrap_or(u64::MAX), Ordering::SeqCst);
        let _ = self.wake.send(());
        true
    }

    /// Applies the size limit to the writer connection if it changed (outside a transaction).
    async fn apply_size_limit(&self, slot: &mut Slot) -> Result<(), StoreError> {
        let limit = self.size_limit.load(Ordering::SeqCst);
        if self.config.backend != Backend::Sqlite || slot.applied_limit == Some(limit) {
            return Ok(());
        }
        let conn = slot
            .conn
            .as_mut()
            .ok_or(StoreError::Unavailable(Fault::Connection))?;
        let pages = if limit == u64::MAX {
            UNLIMITED_PAGES
        } else {
            let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
                .fetch_one(&mut *conn)
                .await?;
            // 0 would only query the limit; 1 clamps it to the current size.
            (limit / u64::try_from(page_size.max(1)).unwrap_or(4096)).max(1)
        };
        conn.execute(format!("PRAGMA max_page_count = {pages}").as_str())
            .await?;
        slot.applied_limit = Some(limit);
        Ok(())
    }

    /// Counts a step for the fault injector.
    pub(crate) fn step(&self) -> Result<(), StoreError> {
        self.faults.step()
    }

    /// Classifies an error of the write path.
    pub(crate) fn fault_of(&self, error: &StoreError) -> Fault {
        match error {
            StoreError::Database(e) => Fault::of(e).unwrap_or(Fault::Aborted),
            StoreError::Unavailable(fault) => *fault,
            _ => Fault::Aborted,
        }
    }

    /// The committer's turn: everyone queued before it has joined the group; commit it.
    async fn commit_group(&self) {
        let mut slot = Arc::clone(&self.slot).lock_owned().await;
        self.settle(&mut slot).await;
        let Some(group) = slot.group.take() else {
            return;
        };
        match self.exec(&mut slot, "COMMIT").await {
            Ok(()) => {
                if let Ok(mut committed) = self.committed.lock() {
                    *committed = group.head;
                }
                if !group.waiters.is_empty() {
                    self.health.ok();
                }
                for waiter in group.waiters {
                    let _ = waiter.send(Ok(()));
                }
            }
            Err(e) => {
                slot.group = Some(group);
                self.fail(&mut slot, &e).await;
            }
        }
    }

    /// Carries out what an abandoned logical transaction left: a pending rollback to its
    /// savepoint, or the failure of the group.
    async fn settle(&self, slot: &mut Slot) {
        if slot.in_flight {
            slot.in_flight = false;
            slot.broken.get_or_insert(Fault::Aborted);
        }
        if slot.broken.is_none() {
            if let Some(sp) = slot.rollback_pending.take() {
                let rolled = match self
                    .exec(slot, &format!("ROLLBACK TO SAVEPOINT sp{sp}"))
                    .await
                {
                    Ok(()) => self.exec(slot, &format!("RELEASE SAVEPOINT sp{sp}")).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = rolled {
                    slot.broken = Some(self.fault_of(&e));
                }
            }
        }
        if let Some(fault) = slot.broken.take() {
            self.fail_group(slot, fault).await;
        }
    }

    /// An error inside the group: the group fails.
    async fn fail(&self, slot: &mut Slot, error: &StoreError) {
        let fault = self.fault_of(error);
        self.fail_group(slot, fault).await;
    }

    /// Tells every member of the open group that it was not saved, closes the connection
    /// (which rolls back what the database still holds open) and forgets the group.
    async fn fail_group(&self, slot: &mut Slot, fault: Fault) {
        // The writes refused: the group's members waiting for its commit, and the one at hand.
        let members = slot.group.as_ref().map_or(0, |g| g.waiters.len());
        self.health.fault(
            fault,
            u64::try_from(members).unwrap_or(u64::MAX).saturating_add(1),
        );
        slot.rollback_pending = None;
        slot.broken = None;
        slot.in_flight = false;
        if let Some(group) = slot.group.take() {
            for waiter in group.waiters {
                let _ = waiter.send(Err(fault));
            }
        }
        if let Some(conn) = slot.conn.take() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close()).await;
        }
    }

    /// Opens a group: a connection if there is none, the transaction, the cross-process lock,
    /// and the chain head as the database holds it now.
    async fn open_group(&self, slot: &mut Slot) -> Result<(), StoreError> {
        if slot.conn.is_none() {
            slot.conn = Some(self.connect().await?);
            slot.applied_limit = None;
        }
        self.apply_size_limit(slot).await?;
        let begin = match self.config.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        self.exec(slot, begin).await?;
        // From here on a transaction is open: any error closes the connection (the caller
        // fails the group), which rolls it back.
        slot.group = Some(Group {
            head: self.committed_head(),
            waiters: Vec::new(),
        });
        if self.config.backend == Backend::Postgres {
            self.exec(
                slot,
                &format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"),
            )
            .await?;
        }
        let conn = slot
            .conn
            .as_mut()
            .ok_or(StoreError::Unavailable(Fault::Connection))?;
        let last = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
        ))
        .fetch_optional(&mut *conn)
        .await?;
        let head = match last {
            None => ChainHead::genesis(self.config.algorithm),
            Some(row) => {
                let (entry, algorithm) = decode_audit(&row)?;
                if algorithm != self.config.algorithm {
                    return Err(StoreError::AlgorithmMismatch {
                        stored: algorithm,
                        configured: self.config.algorithm,
                    });
                }
                ChainHead::of_entry(algorithm, &entry)
            }
        };
        if let Some(group) = slot.group.as_mut() {
            group.head = head;
        }
        Ok(())
    }

    /// A new writer connection with the settings every writer connection runs.
    pub(crate) async fn connect(&self) -> Result<AnyConnection, StoreError> {
        let mut conn = AnyConnection::connect(&self.config.url).await?;
        for setting in self.connection_settings() {
            conn.execute(setting.as_str()).await?;
        }
        Ok(conn)
    }

    fn connection_settings(&self) -> Vec<String> {
        self.config.connection_settings()
    }

    /// How the writer connects (its URL, the SQLite lock wait), for readers that need their own
    /// connections (the audit verifier).
    pub(crate) fn config(&self) -> &WriterConfig {
        &self.config
    }

    /// Runs one control statement on the writer connection, counting it as a step.
    async fn exec(&self, slot: &mut Slot, sql: &str) -> Result<(), StoreError> {
        self.step()?;
        let conn = slot
            .conn
            .as_mut()
            .ok_or(StoreError::Unavailable(Fault::Connection))?;
        slot.in_flight = true;
        let result = conn.execute(sql).await;
        slot.in_flight = false;
        result?;
        Ok(())
    }
}

/// The pragmas of a SQLite connection. `synchronous = FULL` on writers: in WAL mode every
/// commit is synced to disk before it returns, so an acknowledged change survives a power
/// loss, not only a crash of the process; group commit keeps that to one sync per group.
pub(crate) fn sqlite_pragmas(busy_timeout: Duration, writer: bool) -> Vec<String> {
    vec![
        "PRAGMA journal_mode = WAL".to_owned(),
        "PRAGMA foreign_keys = ON".to_owned(),
        format!("PRAGMA busy_timeout = {}", busy_timeout.as_millis()),
        if writer {
            "PRAGMA synchronous = FULL".to_owned()
        } else {
            "PRAGMA synchronous = NORMAL".to_owned()
        },
    ]
}
