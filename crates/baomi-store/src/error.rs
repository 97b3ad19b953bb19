//! The store's errors.

use crate::writer::Fault;
use baomi_core::audit::{AuditError, HashAlgorithm};
use baomi_core::{Describe, Lang, RuleId};

/// Why a store operation failed. A failed write changes nothing: its transaction is rolled back
/// together with the audit entries appended in it (R13.1: no unaudited change).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names neither SQLite (`sqlite:` or a bare path) nor PostgreSQL (`postgres://`).
    #[error(
        "unsupported database URL {url:?}: expected sqlite:PATH, a file path, or postgres://…"
    )]
    UnsupportedUrl {
        /// The URL given, with any `user:password@` removed.
        url: String,
    },
    /// The database reported an error (connection, constraint, trigger, …).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the migrations at open failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The audit draft was refused by the chain (R13.2 limits); the change is not made either.
    #[error("audit entry refused: {0}")]
    Audit(#[from] AuditError),
    /// The log was written with one hash algorithm and the store was opened with another; a
    /// chain keeps one algorithm from its first entry to its last (R13.2).
    #[error("the audit log uses {stored} but the store was configured for {configured}")]
    AlgorithmMismatch {
        /// The algorithm of the stored log.
        stored: HashAlgorithm,
        /// The algorithm asked for.
        configured: HashAlgorithm,
    },
    /// A stored row that cannot be turned back into a value (bad hex, unknown code, number out
    /// of range): the database was changed outside the store.
    #[error("corrupt {table} row {key}: {problem}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row's key (e.g. the audit `seq`).
        key: String,
        /// What is wrong.
        problem: String,
    },
    /// A checkpoint that does not match this chain (other algorithm, beyond its end, or a hash
    /// other than the entry's at that `seq`).
    #[error("checkpoint at entry {seq} does not match the audit log")]
    CheckpointMismatch {
        /// The checkpoint's `seq`.
        seq: u64,
    },
    /// A referenced record does not exist.
    #[error("no {kind} with id {id}")]
    NotFound {
        /// The kind of record (`unit`, …).
        kind: &'static str,
        /// Its id.
        id: i64,
    },
    /// A number (carrier number, login, …) already used in its ledger.
    #[error("{kind} number {number:?} is already in use")]
    Duplicate {
        /// The ledger or table.
        kind: &'static str,
        /// The number.
        number: String,
    },
    /// The record changed since it was read (another writer got there first); nothing changed.
    #[error("{kind} {id} was changed by someone else; reload and try again")]
    Conflict {
        /// The ledger.
        kind: &'static str,
        /// The record's id.
        id: i64,
    },
    /// A fault of the storage refused the write (or a read's audit entry): the disk is full,
    /// the database is read-only, locked by another process, unreachable, or the transaction
    /// could not be committed. Nothing of the refused write was saved; writes resume by
    /// themselves once the fault clears.
    #[error("{}", fault_en(*.0))]
    Unavailable(Fault),
    /// Opening an existing database found no Baomi audit log in it (a wrong path or URL).
    /// Reading the audit log for verification failed (outside sqlx: see `verify`).
    #[error("reading the audit log failed: {reason}")]
    AuditRead {
        /// Why.
        reason: String,
    },
    #[error("not a Baomi database (no audit log): {reason}")]
    NotABaomiDatabase {
        /// What the database answered.
        reason: String,
    },
}

/// What a storage fault means for the person whose write it refused, in English.
fn fault_en(fault: Fault) -> &'static str {
    match fault {
        Fault::StorageFull => {
            "storage is full: nothing was saved; the system administrator has been alerted"
        }
        Fault::ReadOnly => "the database is read-only at the moment: nothing was saved",
        Fault::Locked => {
            "the database is locked by another program: nothing was saved; try again shortly"
        }
        Fault::Timeout => {
            "the database took too long to answer: nothing was saved; try again shortly"
        }
        Fault::Io => "the database's storage reported an input/output error: nothing was saved",
        Fault::Connection => {
            "the database cannot be reached at the moment: nothing was saved; try again shortly"
        }
        Fault::Aborted => "the change could not be completed: nothing was saved; try again",
    }
}

/// The same in Chinese.
fn fault_zh(fault: Fault) -> &'static str {
    match fault {
        Fault::StorageFull => "存储空间已满，本次操作未保存；已提醒系统管理员",
        Fault::ReadOnly => "数据库当前为只读，本次操作未保存",
        Fault::Locked => "数据库被其他程序锁定，本次操作未保存；请稍后再试",
        Fault::Timeout => "数据库响应超时，本次操作未保存；请稍后再试",
        Fault::Io => "数据库存储发生读写错误，本次操作未保存",
        Fault::Connection => "暂时无法连接数据库，本次操作未保存；请稍后再试",
        Fault::Aborted => "本次操作未能完成，未保存任何内容；请重试",
    }
}

impl StoreError {
    /// The storage fault behind this error, if it is one: a database error of the disk, the
    /// file system, the connection or a lock (classified for `backend`), or a write refused
    /// because of one. `None` for refusals and for errors of the caller (constraints).
    pub fn fault(&self) -> Option<Fault> {
        match self {
            StoreError::Unavailable(fault) => Some(*fault),
            StoreError::Database(e) => Fault::of(e),
            _ => None,
        }
    }

    /// The DOMAIN rule this error enforces, if any: R13.2 for a refused audit draft, a changed
    /// algorithm or a corrupt audit row; `None` for technical failures, which enforce no rule
    /// (practice: they are reported, and audited by the caller as `Outcome::Failed`).
    pub fn rule(&self) -> Option<RuleId> {
        match self {
            StoreError::Audit(e) => Some(e.rule()),
            StoreError::AlgorithmMismatch { .. } | StoreError::CheckpointMismatch { .. } => {
                Some(RuleId("R13.2"))
            }
            StoreError::Corrupt { table, .. } if table.starts_with("audit") => {
                Some(RuleId("R13.2"))
            }
            _ => None,
        }
    }
}

impl Describe for StoreError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => match self {
                StoreError::UnsupportedUrl { url } => {
                    format!("不支持的数据库地址 {url:?}：应为 sqlite:路径、文件路径或 postgres://…")
                }
                StoreError::Database(e) => format!("数据库错误：{e}"),
                StoreError::Migration(e) => format!("数据库迁移失败：{e}"),
                StoreError::Audit(e) => format!("审计记录被拒绝：{}", e.describe(Lang::Zh)),
                StoreError::AlgorithmMismatch { stored, configured } => {
                    format!("审计日志使用 {}，但配置为 {}", stored.zh(), configured.zh())
                }
                StoreError::Corrupt {
                    table,
                    key,
                    problem,
                } => format!("表 {table} 的记录 {key} 已损坏：{problem}"),
                StoreError::CheckpointMismatch { seq } => {
                    format!("第 {seq} 条处的检查点与审计日志不符")
                }
                StoreError::NotFound { kind, id } => format!("不存在编号为 {id} 的 {kind}"),
                StoreError::Duplicate { kind, number } => {
                    format!("{kind} 编号 {number:?} 已被使用")
                }
                StoreError::Conflict { kind, id } => {
                    format!("{kind} {id} 已被他人修改，请重新载入后再试")
                }
                StoreError::Unavailable(fault) => fault_zh(*fault).to_owned(),
                StoreError::AuditRead { reason } => format!("读取审计日志失败：{reason}"),
                StoreError::NotABaomiDatabase { reason } => {
                    format!("不是 Baomi 数据库（没有审计日志）：{reason}")
                }
            },
        }
    }
}
