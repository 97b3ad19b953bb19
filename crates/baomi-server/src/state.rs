//! The service's shared state: the store, the configuration, the clock, the audit writer, the
//! cache of authenticated principals, the bound on concurrent password checks and the TOTP
//! steps already used.

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use baomi_core::audit::{AuditDraft, AuditEntry};
use baomi_store::{Fault, Store, StoreError};
use jiff::civil::Date;
use jiff::tz::{self, TimeZone};
use jiff::Timestamp;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Where the service gets the time. The core reads no clock; the service reads this one, and
/// tests move it (R1.9: declassification at term end, without waiting years).
#[derive(Debug, Clone)]
pub enum Clock {
    /// The system clock.
    System,
    /// A clock that stands still until moved (tests, demos of time-driven rules).
    Manual(Arc<Mutex<Timestamp>>),
}

impl Clock {
    /// A manual clock set to `at`.
    pub fn manual(at: Timestamp) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(at) => match at.lock() {
                Ok(at) => *at,
                Err(poisoned) => *poisoned.into_inner(),
            },
        }
    }

    /// Moves a manual clock to `at` (no effect on the system clock).
    pub fn set(&self, to: Timestamp) {
        if let Clock::Manual(at) = self {
            match at.lock() {
                Ok(mut at) => *at = to,
                Err(poisoned) => *poisoned.into_inner() = to,
            }
        }
    }

    /// Today in China Standard Time (UTC+8, no daylight saving): the day the rules count in.
    pub fn today(&self) -> Date {
        civil_day(self.now())
    }
}

/// The civil day of `at` in China Standard Time.
pub fn civil_day(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::fixed(tz::offset(8))).date()
}

/// Where a queued audit entry's outcome is sent.
type Reply = oneshot::Sender<Result<AuditEntry, Failure>>;

/// Why a queued audit entry was not written: the storage fault, if it was one, and the error.
type Failure = (Option<Fault>, String);

fn failure(e: &StoreError) -> Failure {
    (e.fault(), e.to_string())
}

/// One audit entry waiting for the group commit, with where to send the stored entry.
type Pending = (AuditDraft, Reply);

/// Writes audit entries that have no change of their own (reads of classified content,
/// denials, logins) in group commits: every entry queued while the previous batch was being
/// committed goes into the next transaction. The caller's answer waits for its entry's commit,
/// so no classified content leaves the service before the read is durably audited (R13.1),
/// while one transaction carries the reads of all concurrent clients.
#[derive(Debug, Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<Pending>,
}

/// Entries per group commit at most.
const AUDIT_BATCH: usize = 512;

impl AuditWriter {
    /// Starts the writer task on `store`.
    pub fn start(store: Store) -> AuditWriter {
        let (queue, mut pending) = mpsc::channel::<Pending>(4096);
        tokio::spawn(async move {
            let mut batch: Vec<Pending> = Vec::with_capacity(AUDIT_BATCH);
            while let Some(first) = pending.recv().await {
                batch.push(first);
                while batch.len() < AUDIT_BATCH {
                    match pending.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                commit_batch(&store, &mut batch).await;
            }
        });
        AuditWriter { queue }
    }

    /// Appends `draft` and waits until it is committed.
    pub async fn record(&self, draft: AuditDraft) -> ApiResult<AuditEntry> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((draft, reply))
            .await
            .map_err(|_| ApiError::internal(&"the audit writer has stopped"))?;
        match answer.await {
            Ok(Ok(entry)) => Ok(entry),
            Ok(Err((Some(fault), _))) => Err(ApiError::storage_fault(fault)),
            Ok(Err((None, e))) => Err(ApiError::internal(&format!("audit write failed: {e}"))),
            Err(_) => Err(ApiError::internal(&"the audit writer has stopped")),
        }
    }
}

async fn commit_batch(store: &Store, batch: &mut Vec<Pending>) {
    let mut tx = match store.write().await {
        Ok(tx) => tx,
        Err(e) => {
            let e = failure(&e);
            for (_, reply) in batch.drain(..) {
                let _ = reply.send(Err(e.clone()));
            }
            return;
        }
    };
    // One multi-row INSERT for the whole batch; a draft the chain refuses (too long a field)
    // fails alone and the others still commit.
    let (drafts, replies): (Vec<AuditDraft>, Vec<_>) = batch.drain(..).unzip();
    let results: Vec<(Reply, Result<AuditEntry, Failure>)> =
        match tx.append_audit_batch(drafts).await {
            Ok(results) => replies
                .into_iter()
                .zip(results.into_iter().map(|r| r.map_err(|e| failure(&e))))
                .collect(),
            Err(e) => {
                let e = failure(&e);
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
                return;
            }
        };
    let committed = tx.commit().await.map_err(|e| failure(&e));
    for (reply, result) in results {
        let outcome = match (&committed, result) {
            (Ok(()), result) => result,
            (Err(e), _) => Err(e.clone()),
        };
        let _ = reply.send(outcome);
    }
}

/// Everything a request handler needs.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The configuration.
    pub config: Arc<Config>,
    /// The clock.
    pub clock: Clock,
    /// The group-commit audit writer.
    pub audit: AuditWriter,
    /// Bumped on every change to what a cached principal holds (people, rights, the account's
    /// restrictions and language, credentials): cached principals older than this are loaded
    /// again, so a revoked right or session takes effect on the next request. Failed logins
    /// and lockouts change none of that and do not bump it.
    pub generation: Arc<AtomicU64>,
    /// Authenticated principals by the digest of their session or token.
    pub principals: Arc<crate::auth::PrincipalCache>,
    /// Permits for argon2 password checks (each takes 19 MiB and tens of milliseconds of one
    /// core): at most this many run at once, so a flood of logins queues here instead of
    /// taking every core and the memory of the blocking pool.
    pub password_checks: Arc<Semaphore>,
    /// Held while an import runs: one at a time per service (an import holds the store's
    /// writer for the whole file; a second one is told to retry).
    pub import_running: Arc<tokio::sync::Mutex<()>>,
}

/// Concurrent password checks: one per core, at least two.
fn password_check_permits() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(2)
        .max(2)
}

impl AppState {
    /// The state over an open store.
    pub fn new(store: Store, config: Config, clock: Clock) -> AppState {
        let audit = AuditWriter::start(store.clone());
        AppState {
            store,
            config: Arc::new(config),
            clock,
            audit,
            generation: Arc::new(AtomicU64::new(1)),
            principals: Arc::new(crate::auth::PrincipalCache::default()),
            password_checks: Arc::new(Semaphore::new(password_check_permits())),
            import_running: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Invalidates every cached principal (after a change to people or accounts).
    pub fn people_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Commits a change to people, rights, accounts or credentials: bumps the database's
    /// authentication generation in the same transaction (so other processes caching
    /// principals see it, R13.1), commits, and invalidates this process's cache at once.
    pub async fn commit_people_change(&self, mut tx: baomi_store::WriteTx) -> ApiResult<()> {
        tx.bump_auth_generation().await?;
        tx.commit().await?;
        self.people_changed();
        Ok(())
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}
