//! The store's errors.

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
    /// Opening an existing database found no Baomi audit log in it (a wrong path or URL).
    #[error("not a Baomi database (no audit log): {reason}")]
    NotABaomiDatabase {
        /// What the database answered.
        reason: String,
    },
}

impl StoreError {
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
                StoreError::NotABaomiDatabase { reason } => {
                    format!("不是 Baomi 数据库（没有审计日志）：{reason}")
                }
            },
        }
    }
}
