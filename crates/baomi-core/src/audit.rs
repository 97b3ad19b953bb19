//! The audit log: entries and the tamper-evident hash chain (DOMAIN R13.1, R13.2).
//!
//! R13.1 says every read and every change is audited; R13.2 says the log is append-only and
//! **tamper-evident** — a hash chain that anyone can verify. This module is that chain as pure
//! functions. The service stores each [`AuditEntry`] in the same database transaction as the
//! change it records, signs [`Checkpoint`]s (Ed25519, outside this crate) from time to time, and
//! `baomi audit verify` calls [`verify`] / [`verify_against_checkpoint`] / [`ChainVerifier`].
//!
//! * [`AuditDraft`] — what the caller knows: when, who ([`Actor`]), what ([`AuditDraft::action`],
//!   a short stable code such as `matter.approve`, `carrier.lend`, `matter.read`,
//!   `access.denied`), on what ([`ObjectRef`]), how it ended ([`Outcome`]) and an opaque
//!   `detail` (for example compact JSON).
//! * [`ChainHead`] — the only state appending needs: algorithm, last sequence number and last
//!   hash. [`ChainHead::append`] turns a draft into an [`AuditEntry`] with `seq`, `prev_hash` and
//!   `hash` filled in, and advances the head.
//! * [`verify`], [`verify_from`], [`verify_against_checkpoint`], [`verify_records`] and the
//!   streaming [`ChainVerifier`] — check a log and name the **first** broken entry
//!   ([`ChainBreak`]).
//! * [`AuditEntry::to_record_bytes`] / [`AuditEntry::from_record_bytes`] — a whole entry
//!   (including its hash) as bytes, for export files and for independent verification.
//! * [`Digest`] and [`to_hex`] / [`from_hex`] — 32-byte digests, printed as lowercase hex.
//!
//! # What the chain proves, and what it does not
//!
//! Changing, inserting, deleting or reordering any entry breaks the chain at that entry, so
//! [`verify`] finds it. Removing entries **from the end**, or rewriting a whole suffix and
//! recomputing every hash after it, leaves a shorter or different chain that is still
//! internally consistent: only a [`Checkpoint`] kept out of reach of whoever can write the
//! database (signed by the service, exported to the security auditor, R5.3) detects that, via
//! [`verify_against_checkpoint`]. "The auditor can read it, nobody can rewrite it" (R13.2) is
//! therefore the chain **plus** signed checkpoints kept elsewhere **plus** access control in the
//! service (only the security auditor role reads the log; no role may update or delete rows).
//!
//! # Canonical encoding, version 1 ("verification needs only the data")
//!
//! Everything below is exact; anyone can re-implement verification from it.
//!
//! Primitives:
//!
//! ```text
//! u8         1 byte
//! u32, u64   unsigned, big-endian, 4 and 8 bytes
//! i64        signed two's complement, big-endian, 8 bytes
//! bytes(b)   u64(length of b in bytes) || b
//! text(s)    bytes(the UTF-8 bytes of s, exactly as stored: no normalisation, no trimming)
//! time(t)    i64(S) || u32(N), where S = floor(t / 1 s) counted from 1970-01-01T00:00:00Z
//!            and N = the nanoseconds after S, 0 <= N <= 999_999_999
//!            (so 1969-12-31T23:59:59.5Z is S = -1, N = 500_000_000)
//! digest(d)  the 32 digest bytes, no length prefix
//! ```
//!
//! The fields of an entry, in this order:
//!
//! ```text
//! fields = u64(seq)
//!       || time(at)
//!       || actor    : u8(1) || i64(person id)     a person
//!                   | u8(2)                       the system itself
//!                   | u8(3)                       someone not identified (e.g. a failed login)
//!       || text(action)
//!       || object   : u8(0)                       none
//!                   | u8(1) || text(kind) || text(id)
//!       || outcome  : u8(1)                       success
//!                   | u8(2) || text(reason)       denied
//!                   | u8(3) || text(error)        failed
//!       || text(detail)
//!       || digest(prev_hash)
//! ```
//!
//! The hash of an entry, and the chain:
//!
//! ```text
//! hash_input(e) = text("baomi/audit/entry/v1") || text(algorithm name) || fields(e)
//! hash(e)       = H(hash_input(e))        H = SHA-256 ("sha256") or SM3 ("sm3", GB/T 32905)
//! prev_hash(e1) = 32 zero bytes           the first entry has seq 1
//! prev_hash(en) = hash(e(n-1))            seq(en) = seq(e(n-1)) + 1, no gaps, no repeats
//! ```
//!
//! The algorithm's name is part of the hash input, so the same entry hashes differently under
//! each algorithm even apart from the different functions (domain separation).
//!
//! The stored form of a whole entry ([`AuditEntry::to_record_bytes`]):
//!
//! ```text
//! record(e) = text("baomi/audit/record/v1") || fields(e) || digest(hash(e))
//! ```
//!
//! A checkpoint, the bytes the service signs ([`Checkpoint::signing_bytes`]):
//!
//! ```text
//! checkpoint = text("baomi/audit/checkpoint/v1") || text(algorithm name)
//!           || u64(seq) || digest(head hash) || time(at)
//! ```
//!
//! where `seq` is the sequence number of the last entry covered (equal to the number of entries,
//! since numbering starts at 1) and `head hash` that entry's hash (32 zero bytes when `seq` is 0).
//!
//! # Notes for the store (practice; DOMAIN is silent on these)
//!
//! * **Time precision.** [`ChainHead::append`] floors `at` to whole microseconds so that the
//!   timestamp survives PostgreSQL `timestamptz` (microseconds) and SQLite alike. Whatever
//!   column type is used must give back exactly the timestamp that was hashed.
//! * **Forks.** Appending reads the head, so two transactions could both append `seq` n+1. Give
//!   the `seq` column a unique constraint (or lock the head row) so one of them fails and retries;
//!   the change it records must fail with it (R13.1: no unaudited change).
//! * **Clock.** Timestamps are not required to increase: a clock stepped back by NTP must not stop
//!   auditing. The order of the log is `seq`, not `at`.
//! * **Limits.** Codes are 1–64 ASCII characters (letters, digits, `.`, `_`, `-`, `:`, starting
//!   with a letter or digit); object ids 1–128 bytes without control characters; `detail` at
//!   most [`MAX_DETAIL_BYTES`]. These are checked when appending ([`AuditDraft::validate`]),
//!   never when verifying: verification checks only what the hashes prove.

use crate::ids::{ApprovalId, CarrierId, DepartmentId, DeviceId, MatterId, PersonId, UnitId};
use crate::{Describe, Lang, RuleId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The rule every error of this module enforces.
const RULE: RuleId = RuleId("R13.2");

/// Domain-separation tag of the hash input of an entry (version 1).
pub const ENTRY_TAG: &str = "baomi/audit/entry/v1";
/// Domain-separation tag of the stored record of an entry (version 1).
pub const RECORD_TAG: &str = "baomi/audit/record/v1";
/// Domain-separation tag of the signed bytes of a checkpoint (version 1).
pub const CHECKPOINT_TAG: &str = "baomi/audit/checkpoint/v1";

/// The largest `detail` accepted when appending, in bytes (practice: enough for a compact JSON
/// description of a change; larger payloads belong in their own records, referenced by id).
pub const MAX_DETAIL_BYTES: usize = 65_536;
/// The longest code (action, object kind, denial reason, failure code), in bytes.
pub const MAX_CODE_BYTES: usize = 64;
/// The longest object id, in bytes.
pub const MAX_OBJECT_ID_BYTES: usize = 128;

// ---------------------------------------------------------------------------------------------
// Digests and hex
// ---------------------------------------------------------------------------------------------

/// A 32-byte digest (SHA-256 or SM3). Displays, serialises and parses as 64 hex digits
/// (lowercase when printed; either case accepted when parsed).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// 32 zero bytes: the `prev_hash` of the first entry and the hash of an empty log.
    pub const ZERO: Digest = Digest([0; 32]);

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Parses exactly 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Digest, HexError> {
        // The fast path: every stored digest is read through here when the log is verified
        // (issue 19), so no allocation and no per-character search. Anything else takes the
        // general path below, which says precisely what is wrong.
        if let Ok(pairs) = <&[u8; 64]>::try_from(text.as_bytes()) {
            let mut out = [0u8; 32];
            let mut ok = true;
            for (byte, pair) in out.iter_mut().zip(pairs.chunks_exact(2)) {
                if let [hi, lo] = pair {
                    let (h, l) = (hex_value(*hi), hex_value(*lo));
                    ok &= (h | l) < 16;
                    *byte = (h << 4) | (l & 0x0f);
                }
            }
            if ok {
                return Ok(Digest(out));
            }
        }
        let bytes = from_hex(text)?;
        let found = bytes.len();
        <[u8; 32]>::try_from(bytes)
            .map(Digest)
            .map_err(|_| HexError::WrongLength {
                expected: 32,
                found,
            })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl FromStr for Digest {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Digest, HexError> {
        Digest::from_hex(s)
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The value of a hex digit (either case), or 0xff for any other byte.
fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0xff,
    }
}

/// Lowercase hex of any bytes (two characters per byte).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            // A nibble is < 16, so the lookup always succeeds.
            if let Some(&c) = HEX_DIGITS.get(usize::from(nibble)) {
                out.push(char::from(c));
            }
        }
    }
    out
}

/// Decodes hex (either case, no separators, no prefix) into bytes.
pub fn from_hex(text: &str) -> Result<Vec<u8>, HexError> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let raw = text.as_bytes();
    for (position, &c) in raw.iter().enumerate() {
        if nibble(c).is_none() {
            // Report the character, not the byte, so non-ASCII input reads sensibly.
            let character = text
                .get(position..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            return Err(HexError::InvalidCharacter {
                position,
                character,
            });
        }
    }
    if !raw.len().is_multiple_of(2) {
        return Err(HexError::OddLength { length: raw.len() });
    }
    let mut out = Vec::with_capacity(raw.len() / 2);
    for pair in raw.chunks_exact(2) {
        if let [hi, lo] = pair {
            if let (Some(h), Some(l)) = (nibble(*hi), nibble(*lo)) {
                out.push((h << 4) | l);
            }
        }
    }
    Ok(out)
}

/// Why a hex text is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HexError {
    /// A character that is not a hex digit.
    #[error("{character:?} at byte {position} is not a hex digit")]
    InvalidCharacter {
        /// Byte offset in the text.
        position: usize,
        /// The offending character.
        character: char,
    },
    /// An odd number of hex digits.
    #[error("hex text has an odd number of digits ({length})")]
    OddLength {
        /// Number of digits.
        length: usize,
    },
    /// The text decodes to the wrong number of bytes.
    #[error("expected {expected} bytes ({} hex digits), found {found} bytes", expected.saturating_mul(2))]
    WrongLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
}

impl HexError {
    /// The DOMAIN rule this serves: R13.2 (digests of the audit chain).
    pub fn rule(&self) -> RuleId {
        RULE
    }
}

impl Describe for HexError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => match self {
                HexError::InvalidCharacter {
                    position,
                    character,
                } => format!("第 {position} 字节处的“{character}”不是十六进制数字"),
                HexError::OddLength { length } => {
                    format!("十六进制文本的位数为奇数（{length} 位）")
                }
                HexError::WrongLength { expected, found } => format!(
                    "应为 {expected} 字节（{} 位十六进制），实为 {found} 字节",
                    expected.saturating_mul(2)
                ),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Algorithms
// ---------------------------------------------------------------------------------------------

/// The hash function of a chain. Both give 32-byte digests. A chain uses one algorithm from its
/// first entry to its last; the choice is the unit's (SM3 is what Chinese commercial-cryptography
/// evaluations expect; SHA-256 is the international default — practice, DOMAIN is silent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    /// SHA-256 (FIPS 180-4), stable name `sha256`.
    Sha256,
    /// SM3 (GB/T 32905-2016, 国密), stable name `sm3`.
    Sm3,
}

impl HashAlgorithm {
    /// Both algorithms.
    pub const ALL: [HashAlgorithm; 2] = [HashAlgorithm::Sha256, HashAlgorithm::Sm3];

    /// The stable name used in configuration, in the hash input and in checkpoints:
    /// `sha256` or `sm3`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sm3 => "sm3",
        }
    }

    /// The Chinese name: SHA-256, SM3 国密杂凑算法.
    pub fn zh(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sm3 => "SM3 国密杂凑算法",
        }
    }

    /// The English name: SHA-256, SM3.
    pub fn en(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sm3 => "SM3",
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Digest {
        use sha2::Digest as _;
        match self {
            HashAlgorithm::Sha256 => Digest(sha2::Sha256::digest(data).into()),
            HashAlgorithm::Sm3 => Digest(sm3::Sm3::digest(data).into()),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Describe for HashAlgorithm {
    fn describe(&self, lang: Lang) -> String {
        lang.pick(self.zh(), self.en()).to_owned()
    }
}

impl FromStr for HashAlgorithm {
    type Err = AuditError;
    /// Parses the stable name; case, surrounding spaces and `-`/`_` are ignored, so `SHA-256`
    /// and `SM3` are accepted too.
    fn from_str(s: &str) -> Result<HashAlgorithm, AuditError> {
        let folded: String = s
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        HashAlgorithm::ALL
            .into_iter()
            .find(|a| a.name() == folded)
            .ok_or_else(|| AuditError::UnknownAlgorithm { name: s.to_owned() })
    }
}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// An identified person (any user, including the three administrators, R5.3).
    Person(PersonId),
    /// The system itself: scheduled jobs, automatic declassification (R1.9), reminders (R13.4).
    System,
    /// Someone not (yet) identified, e.g. a failed login; what they claimed to be belongs in
    /// `detail` (practice: R5.4 asks for user operations to be logged, failures included).
    Unauthenticated,
}

impl Actor {
    /// The kind in Chinese: 人员, 系统, 未认证者.
    pub fn zh(&self) -> &'static str {
        match self {
            Actor::Person(_) => "人员",
            Actor::System => "系统",
            Actor::Unauthenticated => "未认证者",
        }
    }

    /// The kind in English: person, system, unauthenticated.
    pub fn en(&self) -> &'static str {
        match self {
            Actor::Person(_) => "person",
            Actor::System => "system",
            Actor::Unauthenticated => "unauthenticated",
        }
    }
}

impl Describe for Actor {
    fn describe(&self, lang: Lang) -> String {
        match self {
            Actor::Person(id) => format!("{} {id}", lang.pick(self.zh(), self.en())),
            _ => lang.pick(self.zh(), self.en()).to_owned(),
        }
    }
}

/// What an entry is about: a kind code (`matter`, `carrier`, `person`, `device`, `session`, …)
/// and the object's id as text. Kinds are open so the service can audit records the core does
/// not model.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// The kind code (same rules as an action code).
    pub kind: String,
    /// The id, as text (typed ids print as their decimal number).
    pub id: String,
}

impl ObjectRef {
    /// Any object: a kind code and an id.
    pub fn new(kind: &str, id: impl fmt::Display) -> ObjectRef {
        ObjectRef {
            kind: kind.to_owned(),
            id: id.to_string(),
        }
    }

    /// A classified matter (kind `matter`).
    pub fn matter(id: MatterId) -> ObjectRef {
        ObjectRef::new("matter", id)
    }

    /// A carrier (kind `carrier`).
    pub fn carrier(id: CarrierId) -> ObjectRef {
        ObjectRef::new("carrier", id)
    }

    /// A person (kind `person`).
    pub fn person(id: PersonId) -> ObjectRef {
        ObjectRef::new("person", id)
    }

    /// A device (kind `device`).
    pub fn device(id: DeviceId) -> ObjectRef {
        ObjectRef::new("device", id)
    }

    /// A unit (kind `unit`).
    pub fn unit(id: UnitId) -> ObjectRef {
        ObjectRef::new("unit", id)
    }

    /// A department (kind `department`).
    pub fn department(id: DepartmentId) -> ObjectRef {
        ObjectRef::new("department", id)
    }

    /// An approval (kind `approval`).
    pub fn approval(id: ApprovalId) -> ObjectRef {
        ObjectRef::new("approval", id)
    }
}

/// How the audited operation ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was refused by a rule. `reason` is a code, e.g. the refusal's rule and variant
    /// (`R3.6:not_approved`).
    Denied {
        /// The refusal code.
        reason: String,
    },
    /// It was attempted and failed for a technical reason (`error` is a code).
    Failed {
        /// The failure code.
        error: String,
    },
}

impl Outcome {
    /// 成功, 拒绝, 失败.
    pub fn zh(&self) -> &'static str {
        match self {
            Outcome::Success => "成功",
            Outcome::Denied { .. } => "拒绝",
            Outcome::Failed { .. } => "失败",
        }
    }

    /// success, denied, failed.
    pub fn en(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied { .. } => "denied",
            Outcome::Failed { .. } => "failed",
        }
    }
}

impl Describe for Outcome {
    fn describe(&self, lang: Lang) -> String {
        let name = lang.pick(self.zh(), self.en());
        match self {
            Outcome::Success => name.to_owned(),
            Outcome::Denied { reason } => format!("{name} ({reason})"),
            Outcome::Failed { error } => format!("{name} ({error})"),
        }
    }
}

/// An entry before it joins the chain: everything the caller knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// When it happened (the service's clock; floored to microseconds when appended).
    pub at: Timestamp,
    /// Who did it.
    pub actor: Actor,
    /// A short stable code: `matter.approve`, `carrier.lend`, `matter.read`, `access.denied`, …
    pub action: String,
    /// What it was done to, if anything.
    pub object: Option<ObjectRef>,
    /// How it ended.
    pub outcome: Outcome,
    /// Opaque detail produced by the caller (e.g. compact JSON); may be empty.
    pub detail: String,
}

impl AuditDraft {
    /// A successful action with no object and no detail; set the other fields as needed.
    pub fn new(at: Timestamp, actor: Actor, action: &str) -> AuditDraft {
        AuditDraft {
            at,
            actor,
            action: action.to_owned(),
            object: None,
            outcome: Outcome::Success,
            detail: String::new(),
        }
    }

    /// Sets the object.
    pub fn on(mut self, object: ObjectRef) -> AuditDraft {
        self.object = Some(object);
        self
    }

    /// Sets the outcome.
    pub fn outcome(mut self, outcome: Outcome) -> AuditDraft {
        self.outcome = outcome;
        self
    }

    /// Sets the detail.
    pub fn detail(mut self, detail: impl Into<String>) -> AuditDraft {
        self.detail = detail.into();
        self
    }

    /// Checks the limits of the module documentation (codes, object id, detail size).
    pub fn validate(&self) -> Result<(), AuditError> {
        check_code(DraftField::Action, &self.action)?;
        if let Some(object) = &self.object {
            check_code(DraftField::ObjectKind, &object.kind)?;
            let id = &object.id;
            if id.is_empty() || id.len() > MAX_OBJECT_ID_BYTES || id.chars().any(char::is_control) {
                return Err(AuditError::InvalidField {
                    field: DraftField::ObjectId,
                    value: id.chars().take(MAX_OBJECT_ID_BYTES).collect(),
                });
            }
        }
        match &self.outcome {
            Outcome::Success => {}
            Outcome::Denied { reason } => check_code(DraftField::DeniedReason, reason)?,
            Outcome::Failed { error } => check_code(DraftField::FailureCode, error)?,
        }
        if self.detail.len() > MAX_DETAIL_BYTES {
            return Err(AuditError::DetailTooLong {
                length: self.detail.len(),
                max: MAX_DETAIL_BYTES,
            });
        }
        Ok(())
    }
}

fn check_code(field: DraftField, value: &str) -> Result<(), AuditError> {
    let bytes = value.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= MAX_CODE_BYTES
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
    if ok {
        Ok(())
    } else {
        Err(AuditError::InvalidField {
            field,
            value: value.chars().take(MAX_CODE_BYTES).collect(),
        })
    }
}

/// One entry of the audit log, as stored. Fields are public because the store rebuilds entries
/// from its rows; an entry whose fields do not match its hash is exactly what [`verify`] finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log: 1 for the first entry, then +1 each, no gaps.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it.
    pub actor: Actor,
    /// The action code.
    pub action: String,
    /// What it was done to.
    pub object: Option<ObjectRef>,
    /// How it ended.
    pub outcome: Outcome,
    /// Opaque detail.
    pub detail: String,
    /// The hash of the previous entry ([`Digest::ZERO`] for seq 1).
    pub prev_hash: Digest,
    /// H(hash input) — see the module documentation.
    pub hash: Digest,
}

impl AuditEntry {
    /// The hash input of this entry under `algorithm` (module docs, "hash_input"); `hash` itself
    /// is not part of it.
    pub fn canonical_bytes(&self, algorithm: HashAlgorithm) -> Vec<u8> {
        let mut enc = Encoder::with_capacity(self.detail.len() + 192);
        enc.text(ENTRY_TAG);
        enc.text(algorithm.name());
        encode_fields(&mut enc, self);
        enc.0
    }

    /// The hash this entry should carry under `algorithm`.
    pub fn compute_hash(&self, algorithm: HashAlgorithm) -> Digest {
        thread_local! {
            // The hash input is built in a buffer kept per thread: verifying millions of
            // entries (issue 19) then allocates nothing per entry.
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let encode = |buf: Vec<u8>| {
            let mut enc = Encoder(buf);
            enc.0.clear();
            enc.text(ENTRY_TAG);
            enc.text(algorithm.name());
            encode_fields(&mut enc, self);
            enc.0
        };
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => {
                let buf = encode(std::mem::take(&mut *scratch));
                let digest = algorithm.digest(&buf);
                *scratch = buf;
                digest
            }
            Err(_) => algorithm.digest(&self.canonical_bytes(algorithm)),
        })
    }

    /// The stored form of the whole entry, hash included (module docs, "record").
    pub fn to_record_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::with_capacity(self.detail.len() + 224);
        enc.text(RECORD_TAG);
        encode_fields(&mut enc, self);
        enc.digest(&self.hash);
        enc.0
    }

    /// Reads a record written by [`AuditEntry::to_record_bytes`]. Decoding is strict: any byte
    /// string it accepts re-encodes to exactly the same bytes, so a changed record never decodes
    /// to the original entry. It does not check the hash; [`verify`] does.
    pub fn from_record_bytes(bytes: &[u8]) -> Result<AuditEntry, RecordError> {
        let mut dec = Decoder { buf: bytes, pos: 0 };
        let tag = dec.bytes()?;
        if tag != RECORD_TAG.as_bytes() {
            return Err(RecordError {
                offset: 0,
                kind: RecordErrorKind::WrongTag,
            });
        }
        let seq = dec.u64()?;
        let at = dec.time()?;
        let actor_at = dec.pos;
        let actor = match dec.u8()? {
            1 => Actor::Person(PersonId(dec.i64()?)),
            2 => Actor::System,
            3 => Actor::Unauthenticated,
            tag => return Err(dec.error_at(actor_at, RecordErrorKind::UnknownActor { tag })),
        };
        let action = dec.text()?;
        let object_at = dec.pos;
        let object = match dec.u8()? {
            0 => None,
            1 => {
                let kind = dec.text()?;
                let id = dec.text()?;
                Some(ObjectRef { kind, id })
            }
            tag => return Err(dec.error_at(object_at, RecordErrorKind::UnknownObject { tag })),
        };
        let outcome_at = dec.pos;
        let outcome = match dec.u8()? {
            1 => Outcome::Success,
            2 => Outcome::Denied {
                reason: dec.text()?,
            },
            3 => Outcome::Failed { error: dec.text()? },
            tag => return Err(dec.error_at(outcome_at, RecordErrorKind::UnknownOutcome { tag })),
        };
        let detail = dec.text()?;
        let prev_hash = Digest(dec.array()?);
        let hash = Digest(dec.array()?);
        let rest = bytes.len().saturating_sub(dec.pos);
        if rest != 0 {
            return Err(dec.error_at(
                dec.pos,
                RecordErrorKind::TrailingBytes {
                    count: len_u64(rest),
                },
            ));
        }
        Ok(AuditEntry {
            seq,
            at,
            actor,
            action,
            object,
            outcome,
            detail,
            prev_hash,
            hash,
        })
    }
}

fn encode_fields(enc: &mut Encoder, e: &AuditEntry) {
    enc.u64(e.seq);
    enc.time(e.at);
    match e.actor {
        Actor::Person(PersonId(id)) => {
            enc.u8(1);
            enc.i64(id);
        }
        Actor::System => enc.u8(2),
        Actor::Unauthenticated => enc.u8(3),
    }
    enc.text(&e.action);
    match &e.object {
        None => enc.u8(0),
        Some(o) => {
            enc.u8(1);
            enc.text(&o.kind);
            enc.text(&o.id);
        }
    }
    match &e.outcome {
        Outcome::Success => enc.u8(1),
        Outcome::Denied { reason } => {
            enc.u8(2);
            enc.text(reason);
        }
        Outcome::Failed { error } => {
            enc.u8(3);
            enc.text(error);
        }
    }
    enc.text(&e.detail);
    enc.digest(&e.prev_hash);
}

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Splits a timestamp into floored seconds and non-negative nanoseconds (module docs, "time").
fn split_time(t: Timestamp) -> (i64, u32) {
    let (s, n) = (t.as_second(), t.subsec_nanosecond());
    if n < 0 {
        (s.saturating_sub(1), (n + 1_000_000_000).unsigned_abs())
    } else {
        (s, n.unsigned_abs())
    }
}

struct Encoder(Vec<u8>);

impl Encoder {
    fn with_capacity(n: usize) -> Encoder {
        Encoder(Vec::with_capacity(n))
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn text(&mut self, s: &str) {
        self.u64(len_u64(s.len()));
        self.0.extend_from_slice(s.as_bytes());
    }
    fn time(&mut self, t: Timestamp) {
        let (s, n) = split_time(t);
        self.i64(s);
        self.u32(n);
    }
    fn digest(&mut self, d: &Digest) {
        self.0.extend_from_slice(&d.0);
    }
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    fn error_at(&self, offset: usize, kind: RecordErrorKind) -> RecordError {
        RecordError {
            offset: len_u64(offset),
            kind,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        let remaining = self.buf.len().saturating_sub(self.pos);
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| self.buf.get(self.pos..end));
        match slice {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.error_at(
                self.pos,
                RecordErrorKind::UnexpectedEnd {
                    needed: len_u64(n.saturating_sub(remaining)),
                },
            )),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let at = self.pos;
        let s = self.take(N)?;
        <[u8; N]>::try_from(s)
            .map_err(|_| self.error_at(at, RecordErrorKind::UnexpectedEnd { needed: len_u64(N) }))
    }

    fn u8(&mut self) -> Result<u8, RecordError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }
    fn u32(&mut self) -> Result<u32, RecordError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, RecordError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, RecordError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn bytes(&mut self) -> Result<&'a [u8], RecordError> {
        let at = self.pos;
        let len = self.u64()?;
        let remaining = self.buf.len().saturating_sub(self.pos);
        match usize::try_from(len) {
            Ok(n) if n <= remaining => self.take(n),
            _ => Err(self.error_at(at, RecordErrorKind::LengthTooLarge { length: len })),
        }
    }

    fn text(&mut self) -> Result<String, RecordError> {
        let at = self.pos;
        let raw = self.bytes()?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| self.error_at(at, RecordErrorKind::InvalidUtf8))
    }

    fn time(&mut self) -> Result<Timestamp, RecordError> {
        let at = self.pos;
        let seconds = self.i64()?;
        let nanos = self.u32()?;
        if nanos > 999_999_999 {
            return Err(self.error_at(at, RecordErrorKind::NanosecondsOutOfRange { nanos }));
        }
        let n = i32::try_from(nanos)
            .map_err(|_| self.error_at(at, RecordErrorKind::NanosecondsOutOfRange { nanos }))?;
        Timestamp::new(seconds, n)
            .map_err(|_| self.error_at(at, RecordErrorKind::TimestampOutOfRange { seconds }))
    }
}

/// Why a record could not be read ([`AuditEntry::from_record_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("audit record unreadable at byte {offset}: {kind}")]
pub struct RecordError {
    /// Byte offset in the record where the problem starts.
    pub offset: u64,
    /// What is wrong.
    pub kind: RecordErrorKind,
}

impl RecordError {
    /// The DOMAIN rule this serves: R13.2.
    pub fn rule(&self) -> RuleId {
        RULE
    }
}

impl Describe for RecordError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!(
                "审计记录无法读取（第 {} 字节）：{}",
                self.offset,
                self.kind.describe(Lang::Zh)
            ),
        }
    }
}

/// The kinds of [`RecordError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordErrorKind {
    /// The record ends too early.
    #[error("the record ends {needed} byte(s) too early")]
    UnexpectedEnd {
        /// How many more bytes were needed.
        needed: u64,
    },
    /// The record does not start with the record tag (`baomi/audit/record/v1`).
    #[error("not an audit record (version 1)")]
    WrongTag,
    /// A length prefix larger than the rest of the record.
    #[error("a length of {length} bytes runs past the end of the record")]
    LengthTooLarge {
        /// The length read.
        length: u64,
    },
    /// Text that is not UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// An unknown actor tag.
    #[error("unknown actor tag {tag}")]
    UnknownActor {
        /// The tag read.
        tag: u8,
    },
    /// An unknown object tag.
    #[error("unknown object tag {tag}")]
    UnknownObject {
        /// The tag read.
        tag: u8,
    },
    /// An unknown outcome tag.
    #[error("unknown outcome tag {tag}")]
    UnknownOutcome {
        /// The tag read.
        tag: u8,
    },
    /// Nanoseconds of 1 000 000 000 or more.
    #[error("{nanos} nanoseconds is not a fraction of a second")]
    NanosecondsOutOfRange {
        /// The value read.
        nanos: u32,
    },
    /// A time outside the range of timestamps (years -9999 to 9999).
    #[error("{seconds} seconds from 1970 is outside the supported range of timestamps")]
    TimestampOutOfRange {
        /// The seconds read.
        seconds: i64,
    },
    /// Bytes after the end of the record.
    #[error("{count} byte(s) after the end of the record")]
    TrailingBytes {
        /// How many.
        count: u64,
    },
}

impl Describe for RecordErrorKind {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            RecordErrorKind::UnexpectedEnd { needed } => {
                format!("记录提前结束，还缺 {needed} 字节")
            }
            RecordErrorKind::WrongTag => "不是审计记录（第 1 版）".to_owned(),
            RecordErrorKind::LengthTooLarge { length } => {
                format!("长度 {length} 字节超出记录末尾")
            }
            RecordErrorKind::InvalidUtf8 => "文本不是有效的 UTF-8".to_owned(),
            RecordErrorKind::UnknownActor { tag } => format!("未知的操作者标记 {tag}"),
            RecordErrorKind::UnknownObject { tag } => format!("未知的对象标记 {tag}"),
            RecordErrorKind::UnknownOutcome { tag } => format!("未知的结果标记 {tag}"),
            RecordErrorKind::NanosecondsOutOfRange { nanos } => {
                format!("{nanos} 纳秒不是秒的小数部分")
            }
            RecordErrorKind::TimestampOutOfRange { seconds } => {
                format!("距 1970 年 {seconds} 秒超出时间戳的支持范围")
            }
            RecordErrorKind::TrailingBytes { count } => format!("记录末尾多出 {count} 字节"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The head, appending, checkpoints
// ---------------------------------------------------------------------------------------------

/// The state of a chain after its last entry: all that appending needs. The store keeps it (or
/// rebuilds it from the last row with [`ChainHead::of_entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainHead {
    /// The chain's algorithm.
    pub algorithm: HashAlgorithm,
    /// The last entry's sequence number (0 for an empty log), which is also the number of
    /// entries.
    pub seq: u64,
    /// The last entry's hash ([`Digest::ZERO`] for an empty log).
    pub hash: Digest,
}

impl ChainHead {
    /// The head of an empty log.
    pub fn genesis(algorithm: HashAlgorithm) -> ChainHead {
        ChainHead {
            algorithm,
            seq: 0,
            hash: Digest::ZERO,
        }
    }

    /// The head just after `entry` (trusting its stored hash).
    pub fn of_entry(algorithm: HashAlgorithm, entry: &AuditEntry) -> ChainHead {
        ChainHead {
            algorithm,
            seq: entry.seq,
            hash: entry.hash,
        }
    }

    /// R13.2: makes the next entry from `draft` — seq = head + 1, prev_hash = head hash, `at`
    /// floored to microseconds, hash computed — and advances the head. A refused draft
    /// ([`AuditDraft::validate`]) leaves the head unchanged.
    pub fn append(&mut self, draft: AuditDraft) -> Result<AuditEntry, AuditError> {
        draft.validate()?;
        let seq = self
            .seq
            .checked_add(1)
            .ok_or(AuditError::SequenceExhausted)?;
        let ns = draft.at.as_nanosecond();
        let at = Timestamp::from_nanosecond(ns - ns.rem_euclid(1_000))
            .map_err(|_| AuditError::TimestampOutOfRange { at: draft.at })?;
        let mut entry = AuditEntry {
            seq,
            at,
            actor: draft.actor,
            action: draft.action,
            object: draft.object,
            outcome: draft.outcome,
            detail: draft.detail,
            prev_hash: self.hash,
            hash: Digest::ZERO,
        };
        entry.hash = entry.compute_hash(self.algorithm);
        self.seq = seq;
        self.hash = entry.hash;
        Ok(entry)
    }

    /// A checkpoint of this head at time `at`, for the service to sign.
    pub fn checkpoint(&self, at: Timestamp) -> Checkpoint {
        Checkpoint {
            algorithm: self.algorithm,
            seq: self.seq,
            head_hash: self.hash,
            at,
        }
    }
}

/// A statement "at time `at`, the log had `seq` entries and the last one's hash was
/// `head_hash`". The service signs [`Checkpoint::signing_bytes`] and keeps checkpoints where the
/// database's writers cannot change them; they make truncation and wholesale rewriting
/// detectable ([`verify_against_checkpoint`]). Verifying against the latest checkpoint covers
/// the earlier ones, since its hash commits to every entry before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The chain's algorithm.
    pub algorithm: HashAlgorithm,
    /// The sequence number of the last entry covered (= number of entries).
    pub seq: u64,
    /// That entry's hash ([`Digest::ZERO`] if `seq` is 0).
    pub head_hash: Digest,
    /// When the checkpoint was taken.
    pub at: Timestamp,
}

impl Checkpoint {
    /// The bytes to sign (module docs, "checkpoint").
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::with_capacity(96);
        enc.text(CHECKPOINT_TAG);
        enc.text(self.algorithm.name());
        enc.u64(self.seq);
        enc.digest(&self.head_hash);
        enc.time(self.at);
        enc.0
    }
}

/// The field of a draft that broke a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftField {
    /// The action code.
    Action,
    /// The object's kind code.
    ObjectKind,
    /// The object's id.
    ObjectId,
    /// The reason code of a denial.
    DeniedReason,
    /// The code of a failure.
    FailureCode,
}

impl DraftField {
    /// 操作代码, 对象类型, 对象标识, 拒绝原因代码, 失败代码.
    pub fn zh(self) -> &'static str {
        match self {
            DraftField::Action => "操作代码",
            DraftField::ObjectKind => "对象类型",
            DraftField::ObjectId => "对象标识",
            DraftField::DeniedReason => "拒绝原因代码",
            DraftField::FailureCode => "失败代码",
        }
    }

    /// action code, object kind, object id, denial reason code, failure code.
    pub fn en(self) -> &'static str {
        match self {
            DraftField::Action => "action code",
            DraftField::ObjectKind => "object kind",
            DraftField::ObjectId => "object id",
            DraftField::DeniedReason => "denial reason code",
            DraftField::FailureCode => "failure code",
        }
    }
}

/// Why an entry could not be appended (or an algorithm name not read). The service must fail
/// the change being audited when appending fails (R13.1: no unaudited change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditError {
    /// A code or id that breaks the limits of the module documentation.
    #[error("invalid {} {value:?}: codes are 1-64 ASCII letters, digits, '.', '_', '-', ':' starting with a letter or digit; object ids are 1-128 bytes without control characters", field.en())]
    InvalidField {
        /// Which field.
        field: DraftField,
        /// The value (cut to its first 64 or 128 characters).
        value: String,
    },
    /// `detail` larger than [`MAX_DETAIL_BYTES`].
    #[error("detail of {length} bytes exceeds the limit of {max} bytes")]
    DetailTooLong {
        /// Its length in bytes.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// The log has reached the largest sequence number.
    #[error("the audit log has reached the largest sequence number")]
    SequenceExhausted,
    /// A time that cannot be floored to microseconds.
    #[error("the time {at} cannot be recorded")]
    TimestampOutOfRange {
        /// The time given.
        at: Timestamp,
    },
    /// A hash algorithm name other than `sha256` or `sm3`.
    #[error("unknown hash algorithm {name:?} (expected sha256 or sm3)")]
    UnknownAlgorithm {
        /// The name given.
        name: String,
    },
}

impl AuditError {
    /// The DOMAIN rule enforced: R13.2.
    pub fn rule(&self) -> RuleId {
        RULE
    }
}

impl Describe for AuditError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            AuditError::InvalidField { field, value } => format!(
                "{}“{value}”无效：代码为 1–64 个 ASCII 字母、数字或 . _ - :，以字母或数字开头；对象标识为 1–128 字节且不含控制字符",
                field.zh()
            ),
            AuditError::DetailTooLong { length, max } => {
                format!("详情 {length} 字节，超过上限 {max} 字节")
            }
            AuditError::SequenceExhausted => "审计日志的序号已达上限".to_owned(),
            AuditError::TimestampOutOfRange { at } => format!("时间 {at} 无法记录"),
            AuditError::UnknownAlgorithm { name } => {
                format!("未知的杂凑算法“{name}”（应为 sha256 或 sm3）")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// The result of a successful verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedChain {
    /// How many entries were checked in this run.
    pub count: u64,
    /// The head after the last entry checked (a trusted head for the next incremental run).
    pub head: ChainHead,
}

/// R13.2: the first place where a log fails verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("audit log broken at entry {seq} (index {index}): {kind}")]
pub struct ChainBreak {
    /// 0-based position of the broken entry among the entries given to this run.
    pub index: u64,
    /// The sequence number an intact entry at that position would have.
    pub seq: u64,
    /// What is wrong.
    pub kind: BreakKind,
}

impl ChainBreak {
    /// The DOMAIN rule enforced: R13.2.
    pub fn rule(&self) -> RuleId {
        RULE
    }
}

impl Describe for ChainBreak {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!(
                "审计日志在第 {} 条（本次第 {} 项，从 0 计）处被破坏：{}",
                self.seq,
                self.index,
                self.kind.describe(Lang::Zh)
            ),
        }
    }
}

/// The kinds of [`ChainBreak`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakKind {
    /// The first entry of the log is not seq 1 with an all-zero previous hash: entries at the
    /// beginning are missing, or the log was replaced.
    #[error("the log does not begin with entry 1 after 32 zero bytes (found entry {found_seq} after {found_prev})")]
    NotGenesis {
        /// The sequence number found.
        found_seq: u64,
        /// The previous hash found.
        found_prev: Digest,
    },
    /// A higher sequence number than expected: entries are missing (or out of order).
    #[error("found entry {found}: entries are missing or out of order")]
    SequenceGap {
        /// The sequence number found.
        found: u64,
    },
    /// A sequence number not higher than the previous one: an entry is repeated or out of order.
    #[error("found entry {found} again: entries are repeated or out of order")]
    SequenceBackwards {
        /// The sequence number found.
        found: u64,
    },
    /// The entry does not point at the hash of the entry before it: something before it was
    /// removed, inserted or rewritten.
    #[error("previous hash {found} does not match the preceding entry's hash {expected}")]
    PrevHashMismatch {
        /// The preceding entry's hash.
        expected: Digest,
        /// The previous hash the entry carries.
        found: Digest,
    },
    /// The entry's content does not match its hash: the entry was changed (or is verified with
    /// the wrong algorithm).
    #[error("stored hash {stored} does not match the content's hash {computed}")]
    HashMismatch {
        /// The hash the entry carries.
        stored: Digest,
        /// The hash of its content.
        computed: Digest,
    },
    /// The stored record cannot be read.
    #[error("{error}")]
    Undecodable {
        /// Why.
        error: RecordError,
    },
    /// An entry after the largest possible sequence number.
    #[error("an entry follows the largest possible sequence number")]
    SequenceExhausted,
    /// The log ends before the checkpoint: entries were removed from the end.
    #[error("the log ends at entry {last_seq} but a checkpoint covers {checkpoint_seq} entries: entries were removed from the end")]
    Truncated {
        /// The last sequence number present.
        last_seq: u64,
        /// The checkpoint's sequence number.
        checkpoint_seq: u64,
    },
    /// The entry at the checkpoint's sequence number has a different hash: the log up to there
    /// was rewritten.
    #[error("the checkpoint records hash {checkpoint_hash} for this entry but the log has {entry_hash}: the log was rewritten")]
    CheckpointMismatch {
        /// The checkpoint's hash.
        checkpoint_hash: Digest,
        /// The entry's hash.
        entry_hash: Digest,
    },
    /// The checkpoint is for another algorithm than the chain being verified.
    #[error("the checkpoint uses {checkpoint} but the chain is verified with {chain}")]
    CheckpointAlgorithm {
        /// The chain's algorithm.
        chain: HashAlgorithm,
        /// The checkpoint's algorithm.
        checkpoint: HashAlgorithm,
    },
    /// The checkpoint lies before the trusted head where this run starts, so it cannot be
    /// checked here.
    #[error("the checkpoint at entry {checkpoint_seq} lies before the starting point {start_seq}")]
    CheckpointBeforeStart {
        /// The checkpoint's sequence number.
        checkpoint_seq: u64,
        /// The trusted head's sequence number.
        start_seq: u64,
    },
}

impl Describe for BreakKind {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            BreakKind::NotGenesis {
                found_seq,
                found_prev,
            } => format!(
                "日志不是以第 1 条（前一哈希为全零）开头，实为第 {found_seq} 条（前一哈希 {found_prev}）：开头的条目缺失或日志被替换"
            ),
            BreakKind::SequenceGap { found } => {
                format!("出现第 {found} 条：有条目缺失或顺序被打乱")
            }
            BreakKind::SequenceBackwards { found } => {
                format!("再次出现第 {found} 条：有条目重复或顺序被打乱")
            }
            BreakKind::PrevHashMismatch { expected, found } => format!(
                "前一哈希 {found} 与上一条的哈希 {expected} 不符：此前有条目被删除、插入或改写"
            ),
            BreakKind::HashMismatch { stored, computed } => format!(
                "存储的哈希 {stored} 与内容的哈希 {computed} 不符：本条被修改（或使用了错误的算法校验）"
            ),
            BreakKind::Undecodable { error } => error.describe(Lang::Zh),
            BreakKind::SequenceExhausted => "序号已达上限后仍有条目".to_owned(),
            BreakKind::Truncated {
                last_seq,
                checkpoint_seq,
            } => format!(
                "日志止于第 {last_seq} 条，而检查点覆盖 {checkpoint_seq} 条：末尾的条目被删除"
            ),
            BreakKind::CheckpointMismatch {
                checkpoint_hash,
                entry_hash,
            } => format!(
                "检查点记录本条哈希为 {checkpoint_hash}，日志中为 {entry_hash}：日志被改写"
            ),
            BreakKind::CheckpointAlgorithm { chain, checkpoint } => format!(
                "检查点使用 {}，而校验使用 {}",
                checkpoint.zh(),
                chain.zh()
            ),
            BreakKind::CheckpointBeforeStart {
                checkpoint_seq,
                start_seq,
            } => format!(
                "第 {checkpoint_seq} 条处的检查点早于本次校验的起点（第 {start_seq} 条），无法核对"
            ),
        }
    }
}

/// Verifies a log entry by entry, so the service can stream rows from a database cursor. Each
/// `push` checks, in order: the sequence number, the previous hash, the entry's own hash, and —
/// at the checkpoint's sequence number — the checkpoint's hash. A refused entry leaves the
/// verifier unchanged; stop at the first break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainVerifier {
    head: ChainHead,
    start_seq: u64,
    index: u64,
    checkpoint: Option<Checkpoint>,
}

impl ChainVerifier {
    /// Verifies a whole log, from its first entry.
    pub fn genesis(algorithm: HashAlgorithm) -> ChainVerifier {
        ChainVerifier::from_trusted(ChainHead::genesis(algorithm))
    }

    /// Verifies the entries after a head already verified (incremental verification). A head
    /// with `seq` 0 means the whole log.
    pub fn from_trusted(head: ChainHead) -> ChainVerifier {
        ChainVerifier {
            head,
            start_seq: head.seq,
            index: 0,
            checkpoint: None,
        }
    }

    /// Also checks the entries against a checkpoint: the entry at `checkpoint.seq` must carry
    /// `checkpoint.head_hash`, and the log must reach it. Refused when the checkpoint is for
    /// another algorithm, lies before the trusted head, or disagrees with a trusted head at the
    /// same sequence number.
    pub fn with_checkpoint(mut self, checkpoint: Checkpoint) -> Result<ChainVerifier, ChainBreak> {
        let at_start = |kind| ChainBreak {
            index: 0,
            seq: self.start_seq.saturating_add(1),
            kind,
        };
        if checkpoint.algorithm != self.head.algorithm {
            return Err(at_start(BreakKind::CheckpointAlgorithm {
                chain: self.head.algorithm,
                checkpoint: checkpoint.algorithm,
            }));
        }
        if checkpoint.seq < self.head.seq {
            return Err(at_start(BreakKind::CheckpointBeforeStart {
                checkpoint_seq: checkpoint.seq,
                start_seq: self.head.seq,
            }));
        }
        if checkpoint.seq == self.head.seq && checkpoint.head_hash != self.head.hash {
            return Err(at_start(BreakKind::CheckpointMismatch {
                checkpoint_hash: checkpoint.head_hash,
                entry_hash: self.head.hash,
            }));
        }
        self.checkpoint = Some(checkpoint);
        Ok(self)
    }

    /// The head after the last entry accepted.
    pub fn head(&self) -> ChainHead {
        self.head
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let brk = |kind| ChainBreak {
            index: self.index,
            seq: self.head.seq.saturating_add(1),
            kind,
        };
        check_link(&self.head, entry.seq, entry.prev_hash).map_err(brk)?;
        check_content(self.head.algorithm, self.checkpoint.as_ref(), entry).map_err(brk)?;
        self.head = ChainHead::of_entry(self.head.algorithm, entry);
        self.index = self.index.saturating_add(1);
        Ok(())
    }

    /// A verifier for a piece of the log that follows, to be checked on its own (on another
    /// thread) and then joined with [`ChainVerifier::absorb`]: same algorithm, same checkpoint.
    pub fn segment(&self) -> SegmentVerifier {
        SegmentVerifier {
            algorithm: self.head.algorithm,
            checkpoint: self.checkpoint,
            first: None,
            head: None,
            count: 0,
            broken: None,
        }
    }

    /// Joins a piece verified on its own ([`ChainVerifier::segment`]) that follows the entries
    /// accepted so far. The result is exactly what pushing the piece's entries one by one would
    /// give — the same first break, at the same `seq` and `index` — because each entry's checks
    /// depend only on the entry and on the stored hash before it: the piece checked everything
    /// but its first entry's link (sequence number and previous hash), which is checked here,
    /// before the piece's own first break (the order `push` checks in).
    pub fn absorb(&mut self, segment: &Segment) -> Result<(), ChainBreak> {
        let Some(first) = segment.first else {
            return Ok(());
        };
        let brk = |index: u64, seq: u64, kind| ChainBreak {
            index: self.index.saturating_add(index),
            seq,
            kind,
        };
        let expected = self.head.seq.saturating_add(1);
        check_link(&self.head, first.seq, first.prev_hash)
            .map_err(|kind| brk(0, expected, kind))?;
        if let Some(b) = &segment.broken {
            return Err(brk(b.index, b.seq, b.kind.clone()));
        }
        if let Some(head) = segment.head {
            self.head = head;
        }
        self.index = self.index.saturating_add(segment.count);
        Ok(())
    }

    /// Reads a stored record ([`AuditEntry::to_record_bytes`]) and checks it; an unreadable
    /// record is a break at its position.
    pub fn push_record(&mut self, record: &[u8]) -> Result<(), ChainBreak> {
        match AuditEntry::from_record_bytes(record) {
            Ok(entry) => self.push(&entry),
            Err(error) => Err(ChainBreak {
                index: self.index,
                seq: self.head.seq.saturating_add(1),
                kind: BreakKind::Undecodable { error },
            }),
        }
    }

    /// Ends the run: refused if a checkpoint was given and the log ended before it.
    pub fn finish(self) -> Result<VerifiedChain, ChainBreak> {
        if let Some(cp) = &self.checkpoint {
            if self.head.seq < cp.seq {
                return Err(ChainBreak {
                    index: self.index,
                    seq: self.head.seq.saturating_add(1),
                    kind: BreakKind::Truncated {
                        last_seq: self.head.seq,
                        checkpoint_seq: cp.seq,
                    },
                });
            }
        }
        Ok(VerifiedChain {
            count: self.index,
            head: self.head,
        })
    }
}

/// The link of an entry to the head before it: sequence number and previous hash (the first
/// checks of [`ChainVerifier::push`], in its order).
fn check_link(head: &ChainHead, seq: u64, prev_hash: Digest) -> Result<(), BreakKind> {
    let Some(expected_seq) = head.seq.checked_add(1) else {
        return Err(BreakKind::SequenceExhausted);
    };
    if head.seq == 0 && (seq != 1 || prev_hash != Digest::ZERO) {
        return Err(BreakKind::NotGenesis {
            found_seq: seq,
            found_prev: prev_hash,
        });
    }
    if seq > expected_seq {
        return Err(BreakKind::SequenceGap { found: seq });
    }
    if seq < expected_seq {
        return Err(BreakKind::SequenceBackwards { found: seq });
    }
    if prev_hash != head.hash {
        return Err(BreakKind::PrevHashMismatch {
            expected: head.hash,
            found: prev_hash,
        });
    }
    Ok(())
}

/// What an entry proves by itself: its content hashes to its stored hash, and at a
/// checkpoint's sequence number that hash is the checkpoint's (the last checks of
/// [`ChainVerifier::push`]).
fn check_content(
    algorithm: HashAlgorithm,
    checkpoint: Option<&Checkpoint>,
    entry: &AuditEntry,
) -> Result<(), BreakKind> {
    let computed = entry.compute_hash(algorithm);
    if computed != entry.hash {
        return Err(BreakKind::HashMismatch {
            stored: entry.hash,
            computed,
        });
    }
    if let Some(cp) = checkpoint {
        if cp.seq == entry.seq && cp.head_hash != entry.hash {
            return Err(BreakKind::CheckpointMismatch {
                checkpoint_hash: cp.head_hash,
                entry_hash: entry.hash,
            });
        }
    }
    Ok(())
}

/// The first entry of a [`Segment`]: what joining it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link {
    seq: u64,
    prev_hash: Digest,
}

/// A break inside a [`Segment`], `index` counted from the segment's first entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SegmentBreak {
    index: u64,
    seq: u64,
    kind: BreakKind,
}

/// R13.2: verifies one contiguous piece of a log without knowing the entries before it, so
/// that the pieces of a long log can be checked on all cores at once (issue 19): every check
/// of [`ChainVerifier::push`] is made except the first entry's link to the entry before the
/// piece, which [`ChainVerifier::absorb`] makes when the pieces are joined in order. Made by
/// [`ChainVerifier::segment`]; feed it entries in `seq` order, then [`SegmentVerifier::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentVerifier {
    algorithm: HashAlgorithm,
    checkpoint: Option<Checkpoint>,
    first: Option<Link>,
    head: Option<ChainHead>,
    count: u64,
    broken: Option<SegmentBreak>,
}

impl SegmentVerifier {
    /// Checks the next entry of the piece. `false` once the piece is broken: later entries
    /// cannot change its verdict, so the caller may stop reading.
    pub fn push(&mut self, entry: &AuditEntry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let result = match &self.head {
            // The first entry: its link is checked when the piece is joined.
            None => {
                self.first = Some(Link {
                    seq: entry.seq,
                    prev_hash: entry.prev_hash,
                });
                check_content(self.algorithm, self.checkpoint.as_ref(), entry)
                    .map_err(|kind| (entry.seq, kind))
            }
            Some(head) => {
                let expected = head.seq.saturating_add(1);
                check_link(head, entry.seq, entry.prev_hash)
                    .and_then(|()| check_content(self.algorithm, self.checkpoint.as_ref(), entry))
                    .map_err(|kind| (expected, kind))
            }
        };
        match result {
            Ok(()) => {
                self.head = Some(ChainHead::of_entry(self.algorithm, entry));
                self.count = self.count.saturating_add(1);
                true
            }
            Err((seq, kind)) => {
                self.broken = Some(SegmentBreak {
                    index: self.count,
                    seq,
                    kind,
                });
                false
            }
        }
    }

    /// Whether a break was found.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// The piece's verdict, to join with [`ChainVerifier::absorb`].
    pub fn finish(self) -> Segment {
        Segment {
            first: self.first,
            head: self.head,
            count: self.count,
            broken: self.broken,
        }
    }
}

/// The verdict on one piece of a log ([`SegmentVerifier::finish`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    first: Option<Link>,
    head: Option<ChainHead>,
    count: u64,
    broken: Option<SegmentBreak>,
}

impl Segment {
    /// Entries accepted before the first break (all of them when intact).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether the piece is broken inside (its link to the entries before it is not checked
    /// yet).
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }
}

/// R13.2: verifies entries after `verifier`'s head in `pieces` (consecutive pieces of the log,
/// in order), the pieces on up to `threads` threads at once, and ends the run. The answer is
/// exactly [`ChainVerifier::push`] over every entry in order followed by
/// [`ChainVerifier::finish`]: the same first break, or the same verified head.
pub fn verify_pieces_parallel(
    mut verifier: ChainVerifier,
    pieces: &[&[AuditEntry]],
    threads: usize,
) -> Result<VerifiedChain, ChainBreak> {
    let threads = threads.clamp(1, pieces.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let template = verifier.segment();
    let mut verdicts: Vec<Option<Segment>> = vec![None; pieces.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (next, template) = (&next, &template);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(piece) = pieces.get(k) else {
                            return done;
                        };
                        let mut segment = template.clone();
                        for entry in piece.iter() {
                            if !segment.push(entry) {
                                break;
                            }
                        }
                        done.push((k, segment.finish()));
                    }
                })
            })
            .collect();
        for worker in workers {
            // A worker only pushes entries; it cannot panic short of a bug, and then the
            // missing verdicts below are verified again on this thread.
            if let Ok(done) = worker.join() {
                for (k, segment) in done {
                    if let Some(slot) = verdicts.get_mut(k) {
                        *slot = Some(segment);
                    }
                }
            }
        }
    });
    for (piece, verdict) in pieces.iter().zip(verdicts) {
        match verdict {
            Some(segment) => verifier.absorb(&segment)?,
            None => {
                for entry in piece.iter() {
                    verifier.push(entry)?;
                }
            }
        }
    }
    verifier.finish()
}

/// R13.2: a stored checkpoint — signed or not, its signature checked or not — against a log
/// whose chain is intact up to `last_seq`, `entry_hash` being the hash of the log's entry at
/// the checkpoint's `seq` (`None` when there is none). An unverified checkpoint proves nothing
/// by itself, but one the log contradicts is evidence all the same: either the log lost its
/// tail (`Truncated`) or was rewritten (`CheckpointMismatch`), or the checkpoint was altered;
/// both are breaks.
pub fn check_stored_checkpoint(
    checkpoint: &Checkpoint,
    last_seq: u64,
    entry_hash: Option<Digest>,
) -> Result<(), ChainBreak> {
    if checkpoint.seq > last_seq {
        return Err(ChainBreak {
            index: last_seq,
            seq: last_seq.saturating_add(1),
            kind: BreakKind::Truncated {
                last_seq,
                checkpoint_seq: checkpoint.seq,
            },
        });
    }
    match entry_hash {
        Some(hash) if hash == checkpoint.head_hash => Ok(()),
        found => Err(ChainBreak {
            index: checkpoint.seq.saturating_sub(1),
            seq: checkpoint.seq,
            kind: BreakKind::CheckpointMismatch {
                checkpoint_hash: checkpoint.head_hash,
                entry_hash: found.unwrap_or(checkpoint.head_hash),
            },
        }),
    }
}

/// R13.2: verifies a whole log (entries in `seq` order, starting with entry 1). Detects any
/// changed, inserted, deleted, repeated or reordered entry, reporting the first; removal from
/// the end needs [`verify_against_checkpoint`].
pub fn verify<'a>(
    algorithm: HashAlgorithm,
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<VerifiedChain, ChainBreak> {
    run(ChainVerifier::genesis(algorithm), entries)
}

/// R13.2: verifies the entries that follow a trusted head (incremental verification: keep the
/// head of the last successful run, then check only what was appended since).
pub fn verify_from<'a>(
    trusted: &ChainHead,
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<VerifiedChain, ChainBreak> {
    run(ChainVerifier::from_trusted(*trusted), entries)
}

/// R13.2: verifies a whole log and that it agrees with a (signed) checkpoint — which detects
/// entries removed from the end and a log rewritten with fresh hashes. The algorithm is the
/// checkpoint's.
pub fn verify_against_checkpoint<'a>(
    checkpoint: &Checkpoint,
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<VerifiedChain, ChainBreak> {
    run(
        ChainVerifier::genesis(checkpoint.algorithm).with_checkpoint(*checkpoint)?,
        entries,
    )
}

/// R13.2: verifies a whole log given as stored records (e.g. an export file); an unreadable
/// record is reported as broken at its position.
pub fn verify_records<'a>(
    algorithm: HashAlgorithm,
    records: impl IntoIterator<Item = &'a [u8]>,
) -> Result<VerifiedChain, ChainBreak> {
    let mut verifier = ChainVerifier::genesis(algorithm);
    for record in records {
        verifier.push_record(record)?;
    }
    verifier.finish()
}

fn run<'a>(
    mut verifier: ChainVerifier,
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<VerifiedChain, ChainBreak> {
    for entry in entries {
        verifier.push(entry)?;
    }
    verifier.finish()
}
