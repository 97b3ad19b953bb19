//! Signed audit checkpoints and whole-log verification (DOMAIN R13.2).
//!
//! The hash chain alone detects a changed, inserted or deleted entry, but not entries removed
//! **from the end** (the shorter chain is still consistent). A checkpoint — "at time `at` the
//! log had `seq` entries and the last one's hash was `head_hash`"
//! ([`baomi_core::audit::Checkpoint`]) — signed with an Ed25519 key kept **outside** the
//! database closes that gap: whoever can write the database cannot forge a signature, so a log
//! that ends before a validly signed checkpoint is reported as
//! [`BreakKind::Truncated`](baomi_core::audit::BreakKind::Truncated).
//!
//! * [`SigningKeyFile`] — the service's secret key in a file: [`SigningKeyFile::generate`]
//!   creates it with mode `0600`, [`SigningKeyFile::load`] refuses a file that group or others
//!   may read (unix; practice, like OpenSSH does for private keys).
//! * [`load_verifying_key`] — what an auditor needs: the public key (a `.pub` file written next
//!   to the secret, or 64 hex digits) or the secret key file itself.
//! * [`Store::write_signed_checkpoint`] — signs the current head and records it, in one
//!   transaction.
//! * [`verify_with_key`] — verifies the whole chain and every stored checkpoint, giving an
//!   [`AuditReport`]; [`verify_with_key_in`] with [`VerifyScope::FromSignedCheckpoint`] reads
//!   only the entries after the latest validly signed checkpoint (issue 19).
//!
//! # Key file format (practice; DOMAIN is silent)
//!
//! ```text
//! -----BEGIN BAOMI AUDIT SIGNING KEY-----
//! <64 lowercase hex digits: the 32-byte Ed25519 secret key>
//! -----END BAOMI AUDIT SIGNING KEY-----
//! ```
//!
//! The public key file has the label `BAOMI AUDIT VERIFYING KEY` and the 32-byte Ed25519 public
//! key. Signatures are Ed25519 (RFC 8032) over [`Checkpoint::signing_bytes`], checked with
//! `verify_strict` (no malleable or small-order encodings).
//!
//! # Limits
//!
//! Checkpoints are stored in the database: someone who can write it may delete checkpoint rows
//! together with the tail they truncate. Export checkpoints (or keep the auditor's last
//! verified `seq`) elsewhere for the strongest guarantee; the store copy is what
//! `baomi audit verify` checks today.

use crate::{join_time, Store, StoreError};
use baomi_core::audit::{
    check_stored_checkpoint, Actor, ChainBreak, ChainHead, Checkpoint, Digest, HashAlgorithm,
    VerifiedChain,
};
use baomi_core::{Describe, Lang, RuleId};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use jiff::Timestamp;
use sqlx::{AnyConnection, Row};
use std::fmt;
use std::path::{Path, PathBuf};

/// The rule this module serves.
const RULE: RuleId = RuleId("R13.2");

const SIGNING_LABEL: &str = "BAOMI AUDIT SIGNING KEY";
const VERIFYING_LABEL: &str = "BAOMI AUDIT VERIFYING KEY";

/// Why a key file cannot be created or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the file failed (including: it already exists, for `generate`).
    #[error("key file {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        error: String,
    },
    /// The secret key file may be read by group or others (unix mode bits `0o077`).
    #[error("key file {path} is readable by group or others (mode {mode:o}); run chmod 600")]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a key in the documented format.
    #[error("key file {path} is malformed: {problem}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// No randomness is available from the operating system to generate a key.
    #[error("no randomness available to generate a key: {error}")]
    Randomness {
        /// The operating system's message.
        error: String,
    },
}

impl KeyError {
    /// The DOMAIN rule served: R13.2 (checkpoints kept out of the database's reach).
    pub fn rule(&self) -> RuleId {
        RULE
    }
}

impl Describe for KeyError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => match self {
                KeyError::Io { path, error } => {
                    format!("密钥文件 {}：{error}", path.display())
                }
                KeyError::TooOpen { path, mode } => format!(
                    "密钥文件 {} 可被同组或其他用户读取（权限 {mode:o}），请执行 chmod 600",
                    path.display()
                ),
                KeyError::Malformed { path, problem } => {
                    format!("密钥文件 {} 格式错误：{problem}", path.display())
                }
                KeyError::Randomness { error } => {
                    format!("无法获得生成密钥所需的随机数：{error}")
                }
            },
        }
    }
}

/// The service's Ed25519 signing key, loaded from (or generated into) a file outside the
/// database. `Debug` never shows the secret.
pub struct SigningKeyFile {
    key: SigningKey,
}

impl fmt::Debug for SigningKeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyFile")
            .field("verifying_key", &self.verifying_key_hex())
            .finish_non_exhaustive()
    }
}

impl SigningKeyFile {
    /// Generates a new key from the operating system's randomness and writes it to `path`
    /// (created with mode `0600`; refused if the file exists), and the public key to
    /// `path.pub` (mode `0644`). Returns the key.
    pub fn generate(path: &Path) -> Result<SigningKeyFile, KeyError> {
        let mut secret = [0u8; 32];
        getrandom::getrandom(&mut secret).map_err(|e| KeyError::Randomness {
            error: e.to_string(),
        })?;
        let key = SigningKeyFile {
            key: SigningKey::from_bytes(&secret),
        };
        write_new(path, &armour(SIGNING_LABEL, &key.key.to_bytes()), 0o600)?;
        write_new(
            &public_path(path),
            &armour(VERIFYING_LABEL, key.key.verifying_key().as_bytes()),
            0o644,
        )?;
        Ok(key)
    }

    /// Loads a secret key file. On unix a file readable or writable by group or others is
    /// refused ([`KeyError::TooOpen`]): the key is what makes checkpoints trustworthy.
    pub fn load(path: &Path) -> Result<SigningKeyFile, KeyError> {
        check_private(path)?;
        let text = read(path)?;
        let (label, bytes) = unarmour(path, &text)?;
        if label.as_deref() != Some(SIGNING_LABEL) {
            return Err(malformed(path, format!("expected a {SIGNING_LABEL} block")));
        }
        Ok(SigningKeyFile {
            key: SigningKey::from_bytes(&bytes),
        })
    }

    /// The public key that verifies this key's signatures.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key as 64 lowercase hex digits.
    pub fn verifying_key_hex(&self) -> String {
        baomi_core::audit::to_hex(self.key.verifying_key().as_bytes())
    }

    /// The Ed25519 signature (64 bytes) over [`Checkpoint::signing_bytes`].
    pub fn sign(&self, checkpoint: &Checkpoint) -> Vec<u8> {
        self.key
            .sign(&checkpoint.signing_bytes())
            .to_bytes()
            .to_vec()
    }
}

/// The file next to a secret key file that holds its public key: `FILE.pub`.
pub fn public_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Loads the key that verifies checkpoints from a public key file (`BAOMI AUDIT VERIFYING KEY`
/// block, or a bare line of 64 hex digits) or from the secret key file itself (subject to the
/// same permission check as [`SigningKeyFile::load`]).
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let text = read(path)?;
    let (label, bytes) = unarmour(path, &text)?;
    match label.as_deref() {
        Some(SIGNING_LABEL) => SigningKeyFile::load(path).map(|k| k.verifying_key()),
        Some(VERIFYING_LABEL) | None => VerifyingKey::from_bytes(&bytes)
            .map_err(|e| malformed(path, format!("not an Ed25519 public key: {e}"))),
        Some(other) => Err(malformed(path, format!("unknown block {other:?}"))),
    }
}

/// Checks `signature` over `checkpoint` with `key` (strict Ed25519 verification).
pub fn signature_is_valid(key: &VerifyingKey, checkpoint: &Checkpoint, signature: &[u8]) -> bool {
    match Signature::from_slice(signature) {
        Ok(sig) => key.verify_strict(&checkpoint.signing_bytes(), &sig).is_ok(),
        Err(_) => false,
    }
}

fn armour(label: &str, bytes: &[u8]) -> String {
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        baomi_core::audit::to_hex(bytes)
    )
}

fn malformed(path: &Path, problem: String) -> KeyError {
    KeyError::Malformed {
        path: path.to_owned(),
        problem,
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.to_owned(),
        error: e.to_string(),
    }
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|e| io_error(path, &e))
}

/// Parses an armoured (or bare hex) 32-byte key: the block's label, if any, and the bytes.
fn unarmour(path: &Path, text: &str) -> Result<(Option<String>, [u8; 32]), KeyError> {
    let mut label = None;
    let mut hex = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("-----BEGIN ") {
            label = Some(rest.trim_end_matches('-').to_owned());
        } else if !line.starts_with("-----") {
            hex.push_str(line);
        }
    }
    let bytes =
        baomi_core::audit::from_hex(&hex).map_err(|e| malformed(path, e.describe(Lang::En)))?;
    let found = bytes.len();
    let bytes = <[u8; 32]>::try_from(bytes)
        .map_err(|_| malformed(path, format!("expected 32 bytes, found {found}")))?;
    Ok((label, bytes))
}

#[cfg(unix)]
fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), KeyError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| io_error(path, &e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(path, &e))
}

#[cfg(not(unix))]
fn write_new(path: &Path, text: &str, _mode: u32) -> Result<(), KeyError> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io_error(path, &e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(path, &e))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| io_error(path, &e))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Not unix: permissions are the operating system's ACLs, not checked here (practice).
#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writing and verifying
// ---------------------------------------------------------------------------------------------

impl Store {
    /// R13.2: in one write transaction, takes a checkpoint of the current chain head at `at`,
    /// signs it with `key` and records it with its signature (which also appends the
    /// `audit.checkpoint` entry, R13.1). Returns the checkpoint and its signature.
    pub async fn write_signed_checkpoint(
        &self,
        at: Timestamp,
        actor: Actor,
        key: &SigningKeyFile,
    ) -> Result<(Checkpoint, Vec<u8>), StoreError> {
        let mut tx = self.write().await?;
        let checkpoint = tx.audit_head().checkpoint(at);
        let signature = key.sign(&checkpoint);
        tx.record_checkpoint(at, actor, &checkpoint, Some(&signature))
            .await?;
        tx.commit().await?;
        Ok((checkpoint, signature))
    }
}

/// What verifying a stored checkpoint's signature gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureStatus {
    /// Signed by the given key.
    Valid,
    /// Signed, but not by the given key (or altered).
    Invalid,
    /// Recorded without a signature (not trusted for truncation checks).
    Absent,
    /// No key was given, so the signature was not checked.
    Unchecked,
}

impl SignatureStatus {
    /// Stable code: `valid`, `invalid`, `absent`, `unchecked`.
    pub fn code(self) -> &'static str {
        match self {
            SignatureStatus::Valid => "valid",
            SignatureStatus::Invalid => "invalid",
            SignatureStatus::Absent => "absent",
            SignatureStatus::Unchecked => "unchecked",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            SignatureStatus::Valid => "签名有效",
            SignatureStatus::Invalid => "签名无效",
            SignatureStatus::Absent => "无签名",
            SignatureStatus::Unchecked => "签名未校验",
        }
    }

    /// English name.
    pub fn en(self) -> &'static str {
        match self {
            SignatureStatus::Valid => "signature valid",
            SignatureStatus::Invalid => "signature invalid",
            SignatureStatus::Absent => "no signature",
            SignatureStatus::Unchecked => "signature not checked",
        }
    }
}

/// A stored checkpoint and what its signature check gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointCheck {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Its signature's status.
    pub signature: SignatureStatus,
}

/// R13.2: a stored checkpoint whose signature does not verify with the given key — the
/// checkpoint was altered or forged, or the key is the wrong one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("checkpoint {seq} signature invalid")]
pub struct CheckpointSignatureInvalid {
    /// The checkpoint's `seq`.
    pub seq: u64,
}

impl CheckpointSignatureInvalid {
    /// The DOMAIN rule enforced: R13.2.
    pub fn rule(&self) -> RuleId {
        RULE
    }
}

impl Describe for CheckpointSignatureInvalid {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!(
                "第 {} 条处的检查点签名无效（检查点被篡改或伪造，或使用了错误的公钥）",
                self.seq
            ),
        }
    }
}

/// How much of the log a verification reads (issue 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyScope {
    /// Every entry from the first: finds any edited row, however old.
    #[default]
    Full,
    /// Only the entries after the latest checkpoint whose signature verifies with the key
    /// (the whole log when there is none). The checkpoint's signed hash vouches for the
    /// entries up to it, which are not re-read: a row edited there in place (its stored hash
    /// kept) is found only by a [`VerifyScope::Full`] run. Every stored checkpoint is still
    /// compared with the log's entry at its `seq`.
    FromSignedCheckpoint,
}

/// The outcome of [`verify_with_key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Rows in the audit log (an incremental run counts the rows after its checkpoint and
    /// takes the checkpoint's `seq` for the rows up to it).
    pub entries: u64,
    /// `Some(seq)`: an incremental run that read only the entries after the validly signed
    /// checkpoint at `seq`; `None`: the whole log was read.
    pub verified_after: Option<u64>,
    /// Whether a verifying key was given (without one, truncation cannot be detected).
    pub key_given: bool,
    /// The stored checkpoint with the highest `seq`, if any, with its signature status.
    pub latest_checkpoint: Option<CheckpointCheck>,
    /// The `seq` of the validly signed checkpoint the chain was checked against (the highest
    /// one; it covers all earlier ones, since its hash commits to every entry before it).
    pub trusted_checkpoint: Option<u64>,
    /// The first checkpoint (by `seq`) whose signature does not verify.
    pub bad_signature: Option<CheckpointSignatureInvalid>,
    /// The chain's verification: the first broken entry, if any — including a contradiction
    /// with any stored checkpoint whose signature is valid, absent or unchecked.
    pub chain: Result<VerifiedChain, ChainBreak>,
    /// How many stored checkpoints were compared with the log (all but those with an invalid
    /// signature; unsigned and unchecked ones too).
    pub checkpoints_compared: usize,
    /// The checkpoint the log contradicts, if any.
    pub contradicted_checkpoint: Option<CheckpointCheck>,
}

impl AuditReport {
    /// True when the chain is intact and no checkpoint signature failed.
    pub fn intact(&self) -> bool {
        self.chain.is_ok() && self.bad_signature.is_none()
    }

    /// The first broken entry, if any.
    pub fn first_break(&self) -> Option<&ChainBreak> {
        self.chain.as_ref().err()
    }

    /// True when entries removed from the end would have been detected (a validly signed
    /// checkpoint was checked).
    pub fn truncation_checked(&self) -> bool {
        self.trusted_checkpoint.is_some()
    }
}

/// R13.2: verifies the whole audit log of `store`. With `key`, every stored checkpoint's
/// signature is checked, and the chain is verified against the highest validly signed one (so
/// truncation is [`BreakKind::Truncated`](baomi_core::audit::BreakKind::Truncated) and a
/// rewritten prefix is `CheckpointMismatch`). Without a key, only the chain is verified and
/// truncation of the tail cannot be detected ([`AuditReport::truncation_checked`] is false).
/// `Err` is a failure to read the database.
pub async fn verify_with_key(
    store: &Store,
    key: Option<&VerifyingKey>,
) -> Result<AuditReport, StoreError> {
    verify_with_key_in(store, key, VerifyScope::Full).await
}

/// [`verify_with_key`] reading the whole log or, with
/// [`VerifyScope::FromSignedCheckpoint`] and a key, only the entries after the latest validly
/// signed checkpoint (R13.2, issue 19).
pub async fn verify_with_key_in(
    store: &Store,
    key: Option<&VerifyingKey>,
    scope: VerifyScope,
) -> Result<AuditReport, StoreError> {
    let mut tx = store.read().await?;
    let stored = q_all_checkpoints(&mut tx.tx).await?;
    tx.finish().await?;
    let mut checks = Vec::with_capacity(stored.len());
    for (checkpoint, signature) in stored {
        let status = match (key, signature) {
            (None, _) => SignatureStatus::Unchecked,
            (Some(_), None) => SignatureStatus::Absent,
            (Some(k), Some(sig)) if signature_is_valid(k, &checkpoint, &sig) => {
                SignatureStatus::Valid
            }
            (Some(_), Some(_)) => SignatureStatus::Invalid,
        };
        checks.push(CheckpointCheck {
            checkpoint,
            signature: status,
        });
    }
    let bad_signature = checks
        .iter()
        .find(|c| c.signature == SignatureStatus::Invalid)
        .map(|c| CheckpointSignatureInvalid {
            seq: c.checkpoint.seq,
        });
    let trusted = checks
        .iter()
        .rev()
        .find(|c| c.signature == SignatureStatus::Valid)
        .map(|c| c.checkpoint);
    let algorithm = store.audit_head().await.algorithm;
    let start = trusted.filter(|cp| {
        scope == VerifyScope::FromSignedCheckpoint && cp.algorithm == algorithm && cp.seq > 0
    });
    let mut chain = match start {
        Some(cp) => {
            let head = ChainHead {
                algorithm,
                seq: cp.seq,
                hash: cp.head_hash,
            };
            store.verify_audit_from(head, None).await?
        }
        None => store.verify_audit_against(trusted).await?,
    };
    // Rows: all of them counted on a whole run; on an incremental one those after the
    // checkpoint (an index range), the checkpoint vouching for the rest.
    let after = start.map_or(0, |cp| cp.seq);
    let mut tx = store.read().await?;
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE seq > $1")
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .fetch_one(&mut *tx.tx)
        .await?
        .try_get("n")?;
    tx.finish().await?;
    let count = u64::try_from(count).unwrap_or(0).saturating_add(after);
    // Every stored checkpoint not shown forged is evidence, signed or not: the log must agree
    // with each (R13.2). Without a key nothing is trusted, but a contradiction is still a break.
    let mut compared = 0;
    let mut contradicted = None;
    if let Ok(verified) = &chain {
        let last_seq = verified.head.seq;
        let mut tx = store.read().await?;
        for check in checks
            .iter()
            .filter(|c| c.signature != SignatureStatus::Invalid)
        {
            compared += 1;
            let cp = &check.checkpoint;
            let entry_hash = if cp.seq <= last_seq {
                q_entry_hash(&mut tx.tx, cp.seq).await?
            } else {
                None
            };
            if let Err(brk) = check_stored_checkpoint(cp, last_seq, entry_hash) {
                chain = Err(brk);
                contradicted = Some(*check);
                break;
            }
        }
        tx.finish().await?;
    }
    Ok(AuditReport {
        entries: count,
        verified_after: start.map(|cp| cp.seq),
        key_given: key.is_some(),
        latest_checkpoint: checks.last().copied(),
        trusted_checkpoint: trusted.map(|c| c.seq),
        bad_signature,
        chain,
        checkpoints_compared: compared,
        contradicted_checkpoint: contradicted,
    })
}

/// The hash of the log's entry `seq`, if there is one.
async fn q_entry_hash(conn: &mut AnyConnection, seq: u64) -> Result<Option<Digest>, StoreError> {
    let row = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(i64::try_from(seq).unwrap_or(i64::MAX))
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let hash: String = row.try_get("hash")?;
    Digest::from_hex(&hash)
        .map(Some)
        .map_err(|e| StoreError::Corrupt {
            table: "audit_log",
            key: seq.to_string(),
            problem: e.to_string(),
        })
}

/// Every stored checkpoint, by `seq`, with its signature.
async fn q_all_checkpoints(
    conn: &mut AnyConnection,
) -> Result<Vec<(Checkpoint, Option<Vec<u8>>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, head_hash, at_seconds, at_nanos, algorithm, signature \
         FROM audit_checkpoints ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
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
        out.push((
            Checkpoint {
                algorithm,
                seq,
                head_hash,
                at,
            },
            row.try_get("signature")?,
        ));
    }
    Ok(out)
}
