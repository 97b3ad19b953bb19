//! Authentication (R13.1, R4.2): local accounts with argon2id passwords, the password policy of
//! the system's level, expiry and forced change, a TOTP second factor, session cookies with
//! CSRF tokens, bearer tokens for scripts, and lockout after repeated failures.
//!
//! * Secrets are never stored: passwords as argon2id PHC strings, sessions and tokens as the
//!   SHA-256 of a 256-bit random secret. Nothing here logs a password, a token or a TOTP code.
//! * A session ends after `session_idle` without a request and `session_absolute` after login.
//!   The idle clock (the time of the last request, from login on) is kept in process memory
//!   and written to the database at most once a minute per session, so another server sharing
//!   the database — or this one after a restart — finds a session idle too (to the minute). A
//!   session a request finds idle is revoked in the database. Bearer tokens end after
//!   `bearer_idle` (default 30 days) without a request as well as at their absolute lifetime;
//!   their last use is written at most once an hour.
//! * Lockout: `lockout_failures` consecutive failed proofs of the password (logins, password
//!   changes, replacing the second factor) lock the account, for doubling times. The count and
//!   the lock are decided on the account row re-read inside the (serialised) write
//!   transaction, after the slow password check, so concurrent guesses all count and none gets
//!   past a lock another set; while locked, not even the right password is honoured.
//! * No login enumeration: the password is verified (argon2, against a dummy hash for an
//!   unknown login) before the account's state decides anything; unknown, disabled and locked
//!   logins answer exactly as a wrong password does (401 `bad_credentials`; the lock shows in
//!   the audit trail and to the system administrator, not to whoever guesses). Password checks
//!   run at most [`AppState::password_checks`] at a time.
//! * Revocation is by identity, never by time: a password change revokes every other session
//!   and token of the account in the database (all but the caller's), a reset or a disabling
//!   all of them. Every change of people, rights, accounts or credentials bumps a generation
//!   row in the database (`auth_generation`, by `baomi admin` too); the principal cache reads
//!   it at most once a second, so a revocation made by another process (a console reset,
//!   another server) takes effect within a second, and one made by this process at once.
//! * A TOTP code is accepted once per account (the last used step is kept on the account row
//!   and advanced in the login's write transaction: once across servers and restarts);
//!   replacing an enrolled second factor needs the current password and a current code;
//!   enrolling the first one needs a fresh login (within [`FRESH_LOGIN`]) or the current
//!   password, so a long-lived password-only session cannot bind an attacker's factor.
//! * Cookie-authenticated changes need the session's CSRF token in `X-CSRF-Token`
//!   (`SameSite=Strict` already stops cross-site requests in current browsers; the token also
//!   covers older ones).
//! * A person whose password must change (set by an administrator, or older than R4.2 allows)
//!   or who must enrol a second factor may do only that until it is done.

use crate::error::{ApiError, ApiResult};
use crate::ledger::{load, Loaded};
use crate::people::{Person, PersonStatus};
use crate::state::{civil_day, AppState};
use crate::totp;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use baomi_core::access::{Role, Subject};
use baomi_core::audit::{Actor, AuditDraft, ObjectRef, Outcome};
use baomi_core::devices::{check_password, password_due, PasswordAge};
use baomi_core::ids::PersonId;
use baomi_core::{Describe, Lang, RuleId};
use baomi_store::{Account, Credential, CredentialKind};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "baomi_session";
/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The longest password accepted (argon2 input; longer is a denial-of-service, not security).
const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest lock after repeated failures.
const MAX_LOCK: SignedDuration = SignedDuration::from_hours(24);
/// A login this recent may enrol a first second factor without giving the password again.
pub const FRESH_LOGIN: SignedDuration = SignedDuration::from_mins(10);
/// How often a bearer token's last use is written to the database at most.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_hours(1);

/// How often a session's last use is written to the database: its idle clock is shared by
/// every server (and survives a restart) to the minute.
const SESSION_TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(1);
/// How often the database's authentication generation is read at most.
const GENERATION_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// What a logged-in person may do before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// Change the password first (forced by an administrator, or expired under R4.2).
    ChangePassword,
    /// Enrol a TOTP second factor first (R13.1: required at this system level or for an
    /// administrator).
    EnrolSecondFactor,
}

/// The authenticated person making a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Their person record.
    pub person: Person,
    /// Their login.
    pub login: String,
    /// Their interface language.
    pub lang: Lang,
    /// Session or bearer token.
    pub kind: CredentialKind,
    /// The session's CSRF token (for the UI).
    pub csrf: String,
    /// The digest of the credential (to log out).
    pub token_hash: String,
    /// When the credential was issued (the login).
    pub issued: Timestamp,
    /// What they must do first, if anything.
    pub restriction: Option<Restriction>,
}

impl Principal {
    /// The person's id.
    pub fn id(&self) -> PersonId {
        self.person.id
    }

    /// The access subject (R13.1).
    pub fn subject(&self) -> Subject {
        self.person.subject()
    }

    /// The audit actor.
    pub fn actor(&self) -> Actor {
        Actor::Person(self.person.id)
    }

    /// Whether they hold `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.person.roles.contains(role)
    }
}

#[derive(Debug, Clone)]
struct Cached {
    principal: Principal,
    generation: Generation,
    last_seen: Timestamp,
    expires: Timestamp,
    /// The last use written to the database (bearer tokens).
    persisted_use: Timestamp,
}

/// This process's generation and the database's (see [`PrincipalCache::db_generation`]).
type Generation = (u64, i64);

/// Authenticated principals by credential digest, so that a request costs no database read
/// for authentication. Entries are dropped when people or accounts change
/// ([`AppState::people_changed`]).
#[derive(Debug, Default)]
pub struct PrincipalCache {
    entries: Mutex<HashMap<String, Cached>>,
    /// The database's generation as last read, and when.
    db: Mutex<(i64, Option<std::time::Instant>)>,
}

fn locked_map<K, V, R>(map: &Mutex<HashMap<K, V>>, f: impl FnOnce(&mut HashMap<K, V>) -> R) -> R {
    match map.lock() {
        Ok(mut map) => f(&mut map),
        Err(poisoned) => f(&mut poisoned.into_inner()),
    }
}

impl PrincipalCache {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Cached>) -> R) -> R {
        locked_map(&self.entries, f)
    }

    /// Forgets an ended credential.
    fn forget(&self, token_hash: &str) {
        self.with(|map| map.remove(token_hash));
    }

    /// The database's authentication generation, read at most once per
    /// [`GENERATION_EVERY`]: changes made by other processes (`baomi admin`, another server)
    /// invalidate this cache within that time.
    async fn db_generation(&self, state: &AppState) -> ApiResult<i64> {
        let remembered = {
            let guard = match self.db.lock() {
                Ok(g) => *g,
                Err(poisoned) => *poisoned.into_inner(),
            };
            guard
        };
        if let (value, Some(at)) = remembered {
            if at.elapsed() < GENERATION_EVERY {
                return Ok(value);
            }
        }
        let mut tx = state.store.read().await?;
        let value = tx.auth_generation().await?;
        tx.finish().await?;
        match self.db.lock() {
            Ok(mut g) => *g = (value, Some(std::time::Instant::now())),
            Err(poisoned) => *poisoned.into_inner() = (value, Some(std::time::Instant::now())),
        }
        Ok(value)
    }
}

/// How long a credential of this kind may go without a request.
fn idle_limit(state: &AppState, kind: CredentialKind) -> SignedDuration {
    let limit = match kind {
        CredentialKind::Session => state.config.session_idle,
        CredentialKind::Bearer => state.config.bearer_idle,
    };
    SignedDuration::try_from(limit).unwrap_or(SignedDuration::MAX)
}

/// SHA-256 hex of a secret.
pub fn digest_hex(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A new random secret: 32 bytes, hex.
pub fn random_secret() -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal(&e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A one-time password for a reset (R5.3): 16 characters of upper and lower case letters
/// and digits without look-alikes (at least one of each), about 92 bits, chosen by the
/// service, never by an administrator.
pub fn one_time_password() -> ApiResult<String> {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::internal(&e))?;
    let all: Vec<u8> = [UPPER, LOWER, DIGIT].concat();
    Ok(bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let set: &[u8] = match i {
                0 => UPPER,
                5 => LOWER,
                10 => DIGIT,
                _ => &all,
            };
            char::from(set[usize::from(*b) % set.len()])
        })
        .collect())
}

/// Hashes a password with argon2id (the crate's defaults: m = 19 MiB, t = 2, p = 1, the OWASP
/// recommendation) and a random salt.
pub fn hash_password(password: &str) -> ApiResult<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| ApiError::internal(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(&e))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(&e))
}

/// Whether `password` matches the PHC `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of no password anyone has, verified against for unknown logins so that they take as
/// long as known ones (no login enumeration by timing).
fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$YmFvbWktZHVtbXktc2FsdA$0uSHS8lD3DF9vgeDcSXGaTT6Cc0TXKbJEnbmqsKWJ9A"
}

/// R4.2 (R13.1): the problems of a new password under the system level's policy, as a 422
/// naming the rule; `Ok` when it meets every requirement.
pub fn check_new_password(state: &AppState, password: &str, lang: Lang) -> ApiResult<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::bad_request(
            format!("密码过长（至多 {MAX_PASSWORD_BYTES} 字节）"),
            format!("password too long (at most {MAX_PASSWORD_BYTES} bytes)"),
        )
        .in_lang(lang));
    }
    let problems = check_password(state.config.system_level, password, None, None);
    if problems.is_empty() {
        return Ok(());
    }
    let zh: Vec<String> = problems.iter().map(|p| p.describe(Lang::Zh)).collect();
    let en: Vec<String> = problems.iter().map(|p| p.describe(Lang::En)).collect();
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused",
        zh.join("；"),
        en.join("; "),
    )
    .with_rule(RuleId("R4.2"))
    .with_reason("password_policy")
    .in_lang(lang))
}

/// Whether the password set at `set` is past its R4.2 rotation on `now`.
pub fn password_expired(state: &AppState, set: Timestamp, now: Timestamp) -> bool {
    let last_changed = civil_day(set);
    let problems = check_password(
        state.config.system_level,
        "",
        None,
        Some(PasswordAge {
            last_changed,
            on: civil_day(now),
        }),
    );
    problems
        .iter()
        .any(|p| matches!(p, baomi_core::devices::PasswordProblem::Expired { .. }))
}

/// The day the password set at `set` must be changed by (R13.4 reminders).
pub fn password_due_on(state: &AppState, set: Timestamp) -> Option<jiff::civil::Date> {
    password_due(state.config.system_level, None, civil_day(set))
}

/// Whether this person must have a second factor: at Confidential and above for everyone, and
/// always for the three administrators (R5.3 practice).
pub fn second_factor_required(state: &AppState, person: &Person) -> bool {
    state.config.second_factor_required() || person.roles.administrator().is_some()
}

fn credential_from_headers(headers: &HeaderMap) -> Option<(String, CredentialKind)> {
    if let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        // RFC 9110 §11.1: the scheme is case-insensitive (`bearer`, `BEARER`).
        if let Some((scheme, token)) = value.trim_start().split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() {
                return Some((token.trim().to_owned(), CredentialKind::Bearer));
            }
        }
    }
    for value in headers.get_all(COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((name, token)) = pair.trim().split_once('=') {
                if name == SESSION_COOKIE && !token.is_empty() {
                    return Some((token.to_owned(), CredentialKind::Session));
                }
            }
        }
    }
    None
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Paths a restricted principal may still use.
fn allowed_while_restricted(path: &str, restriction: Restriction) -> bool {
    let common = [
        "/api/v1/auth/me",
        "/api/v1/auth/logout",
        "/api/v1/auth/lang",
    ];
    if common.contains(&path) {
        return true;
    }
    match restriction {
        Restriction::ChangePassword => path == "/api/v1/auth/password",
        Restriction::EnrolSecondFactor => path.starts_with("/api/v1/auth/totp"),
    }
}

async fn load_principal(
    state: &AppState,
    token_hash: &str,
    kind: CredentialKind,
    now: Timestamp,
) -> ApiResult<Option<(Principal, Timestamp, Timestamp)>> {
    let mut tx = state.store.read().await?;
    let Some(credential) = tx.credential(token_hash).await? else {
        return Ok(None);
    };
    if credential.revoked || credential.kind != kind || credential.expires <= now {
        return Ok(None);
    }
    let Some(account) = tx.account(credential.person).await? else {
        return Ok(None);
    };
    if account.disabled {
        return Ok(None);
    }
    let Some(Loaded { value: person, .. }) = load::<Person>(&mut tx, credential.person.0).await?
    else {
        return Ok(None);
    };
    tx.finish().await?;
    if person.status == PersonStatus::Left {
        return Ok(None);
    }
    let restriction = if account.must_change || password_expired(state, account.password_set, now) {
        Some(Restriction::ChangePassword)
    } else if account.totp_secret.is_none() && second_factor_required(state, &person) {
        Some(Restriction::EnrolSecondFactor)
    } else {
        None
    };
    let lang = if account.lang == "en" {
        Lang::En
    } else {
        Lang::Zh
    };
    Ok(Some((
        Principal {
            person,
            login: account.login,
            lang,
            kind,
            csrf: credential.csrf,
            token_hash: token_hash.to_owned(),
            issued: credential.created,
            restriction,
        },
        credential.expires,
        credential.last_used.unwrap_or(credential.created),
    )))
}

/// Authenticates a request: the principal, or 401/403.
pub async fn authenticate(state: &AppState, parts: &Parts) -> ApiResult<Principal> {
    let (secret, kind) =
        credential_from_headers(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
    let token_hash = digest_hex(&secret);
    let now = state.clock.now();
    let generation = (
        state.generation(),
        state.principals.db_generation(state).await?,
    );
    let idle = idle_limit(state, kind);
    enum Found {
        Fresh(Box<Principal>, Timestamp),
        Idle,
        Missing,
    }
    let found = state.principals.with(|map| match map.get_mut(&token_hash) {
        Some(c) if c.generation == generation && c.principal.kind == kind && c.expires > now => {
            if now.duration_since(c.last_seen) > idle {
                map.remove(&token_hash);
                Found::Idle
            } else {
                c.last_seen = now;
                Found::Fresh(Box::new(c.principal.clone()), c.persisted_use)
            }
        }
        _ => Found::Missing,
    });
    let (principal, persisted_use) = match found {
        Found::Fresh(p, persisted) => (*p, persisted),
        Found::Idle => {
            end_session(state, &token_hash, None, "idle").await?;
            return Err(ApiError::unauthenticated().with_reason("session_idle"));
        }
        Found::Missing => {
            let previous = state
                .principals
                .with(|map| map.get(&token_hash).map(|c| c.last_seen));
            if let Some(last_seen) = previous {
                if now.duration_since(last_seen) > idle {
                    state.principals.with(|map| map.remove(&token_hash));
                    end_session(state, &token_hash, None, "idle").await?;
                    return Err(ApiError::unauthenticated().with_reason("session_idle"));
                }
            }
            let Some((principal, expires, last_used)) =
                load_principal(state, &token_hash, kind, now).await?
            else {
                state.principals.with(|map| map.remove(&token_hash));
                return Err(ApiError::unauthenticated());
            };
            // The idle clock is also kept in the database (to the minute for sessions, the
            // hour for bearer tokens): another server, or this one after a restart, finds a
            // credential idle there.
            if previous.is_none() && now.duration_since(last_used) > idle {
                end_session(state, &token_hash, None, "idle").await?;
                return Err(ApiError::unauthenticated().with_reason("session_idle"));
            }
            state.principals.with(|map| {
                map.insert(
                    token_hash.clone(),
                    Cached {
                        principal: principal.clone(),
                        generation,
                        last_seen: now,
                        expires,
                        persisted_use: last_used,
                    },
                )
            });
            (principal, last_used)
        }
    };
    let touch_every = match kind {
        CredentialKind::Session => SESSION_TOUCH_EVERY,
        CredentialKind::Bearer => TOUCH_EVERY,
    };
    if now.duration_since(persisted_use) > touch_every {
        let mut tx = state.store.write().await?;
        tx.touch_credential(&token_hash, now).await?;
        tx.commit().await?;
        state.principals.with(|map| {
            if let Some(c) = map.get_mut(&token_hash) {
                c.persisted_use = now;
            }
        });
    }
    let lang = principal.lang;
    if kind == CredentialKind::Session
        && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent, &principal.csrf) {
            audit_refused_request(state, &principal, parts, "auth.csrf", "csrf").await?;
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "缺少或错误的 CSRF 令牌",
                "missing or wrong CSRF token",
            )
            .with_rule(RuleId("R13.1"))
            .in_lang(lang));
        }
    }
    if let Some(restriction) = principal.restriction {
        if !allowed_while_restricted(parts.uri.path(), restriction) {
            let (code, zh, en) = match restriction {
                Restriction::ChangePassword => (
                    "password_change_required",
                    "请先修改密码（密码已到期或须首次修改，R4.2）",
                    "change your password first (expired or set by an administrator, R4.2)",
                ),
                Restriction::EnrolSecondFactor => (
                    "second_factor_required",
                    "请先绑定动态口令（TOTP）第二因子（R13.1）",
                    "enrol a TOTP second factor first (R13.1)",
                ),
            };
            audit_refused_request(state, &principal, parts, "auth.restricted", code).await?;
            return Err(ApiError::new(StatusCode::FORBIDDEN, code, zh, en)
                .with_rule(RuleId(match restriction {
                    Restriction::ChangePassword => "R4.2",
                    Restriction::EnrolSecondFactor => "R13.1",
                }))
                .in_lang(lang));
        }
    }
    Ok(principal)
}

/// R13.1: a request refused before any handler (a missing CSRF token, a restricted session
/// reaching beyond what it may) is a denial like any other, and audited as one: a forged
/// cross-site request shows in the trail under the person it tried to act as.
async fn audit_refused_request(
    state: &AppState,
    principal: &Principal,
    parts: &Parts,
    action: &str,
    reason: &str,
) -> ApiResult<()> {
    let path: String = parts.uri.path().chars().take(200).collect();
    state
        .audit
        .record(
            AuditDraft::new(state.clock.now(), principal.actor(), action)
                .outcome(Outcome::Denied {
                    reason: reason.to_owned(),
                })
                .detail(json!({ "method": parts.method.as_str(), "path": path }).to_string()),
        )
        .await
        .map(|_| ())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Principal, ApiError> {
        authenticate(state, parts).await
    }
}

/// Revokes a session and audits why (`auth.logout` or `auth.session_end`).
async fn end_session(
    state: &AppState,
    token_hash: &str,
    by: Option<PersonId>,
    why: &str,
) -> ApiResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(credential) = tx.credential(token_hash).await? else {
        return Ok(());
    };
    if credential.revoked {
        return Ok(());
    }
    tx.revoke_credential(token_hash).await?;
    tx.bump_auth_generation().await?;
    let (actor, action) = match by {
        Some(p) => (Actor::Person(p), "auth.logout"),
        None => (Actor::System, "auth.session_end"),
    };
    tx.append_audit(
        AuditDraft::new(now, actor, action)
            .on(ObjectRef::person(credential.person))
            .detail(
                json!({ "why": why, "kind": credential_kind_code(credential.kind) }).to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    state.principals.forget(token_hash);
    Ok(())
}

/// Starts a new credential's idle clock at login (caches its principal): otherwise the time
/// between login and the first request would not count towards `session_idle`. A failure
/// here only means the first request loads the principal itself.
async fn start_idle_clock(state: &AppState, token_hash: &str, kind: CredentialKind) {
    let now = state.clock.now();
    let Ok(db_generation) = state.principals.db_generation(state).await else {
        return;
    };
    let generation = (state.generation(), db_generation);
    if let Ok(Some((principal, expires, last_used))) =
        load_principal(state, token_hash, kind, now).await
    {
        state.principals.with(|map| {
            map.insert(
                token_hash.to_owned(),
                Cached {
                    principal,
                    generation,
                    last_seen: now,
                    expires,
                    persisted_use: last_used,
                },
            )
        });
    }
}

fn credential_kind_code(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Session => "session",
        CredentialKind::Bearer => "bearer",
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct LoginRequest {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
    /// TOTP code, when enrolled.
    #[serde(default)]
    pub totp: Option<String>,
    /// `true`: answer with a bearer token instead of a session cookie.
    #[serde(default)]
    pub bearer: bool,
    /// The bearer token's label.
    #[serde(default)]
    pub label: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("login", &self.login)
            .field("bearer", &self.bearer)
            .finish_non_exhaustive()
    }
}

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "用户名、密码或动态口令错误（多次失败后账户会暂时锁定，可请系统管理员解锁）",
        "wrong login, password or one-time code (after repeated failures the account is locked \
         for a while; the system administrator can unlock it)",
    )
    .with_rule(RuleId("R13.1"))
}

async fn audit_login_refused(
    state: &AppState,
    actor: Actor,
    login: &str,
    reason: &str,
) -> ApiResult<()> {
    state
        .audit
        .record(
            AuditDraft::new(state.clock.now(), actor, "auth.login")
                .outcome(Outcome::Denied {
                    reason: reason.to_owned(),
                })
                .detail(json!({ "login": truncate(login, 64) }).to_string()),
        )
        .await
        .map(|_| ())
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// Logs in: checks lockout, password and second factor; on success issues a session cookie
/// (or a bearer token). Every attempt is audited (`auth.login`).
pub async fn login(State(state): State<AppState>, Json(request): Json<LoginRequest>) -> Response {
    match login_inner(&state, request).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// Verifies `password` against the PHC `hash` on the blocking pool, waiting for one of
/// [`AppState::password_checks`] first (a login flood queues instead of taking every core).
/// The permit goes with the check, so it is held until the check ends even if the client
/// goes away.
async fn verify_bounded(state: &AppState, hash: String, password: String) -> ApiResult<bool> {
    let permit = Arc::clone(&state.password_checks)
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    tokio::task::spawn_blocking(move || {
        let ok = verify_password(&hash, &password);
        drop(permit);
        ok
    })
    .await
    .map_err(|e| ApiError::internal(&e))
}

/// [`hash_password`] on the blocking pool, under the same bound as [`verify_bounded`].
async fn hash_bounded(state: &AppState, password: String) -> ApiResult<String> {
    let permit = Arc::clone(&state.password_checks)
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    tokio::task::spawn_blocking(move || {
        let hash = hash_password(&password);
        drop(permit);
        hash
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
}

/// The end of the account's lock, if it is locked at `now`.
fn locked_now(account: &Account, now: Timestamp) -> Option<Timestamp> {
    account.locked_until.filter(|until| *until > now)
}

/// Counts one failed proof of the password (login, password change, second-factor
/// replacement) and locks the account once the count reaches `lockout_failures`, for
/// `lockout` doubled by each further failure, at most a day. The lock's end when it locks.
fn count_failure(state: &AppState, account: &mut Account, now: Timestamp) -> Option<Timestamp> {
    account.failed_count = account.failed_count.saturating_add(1);
    let threshold = state.config.lockout_failures;
    if account.failed_count < threshold {
        return None;
    }
    let doublings = (account.failed_count - threshold).min(16);
    let base = SignedDuration::try_from(state.config.lockout).unwrap_or(MAX_LOCK);
    let lock = base
        .checked_mul(1i32 << doublings)
        .unwrap_or(MAX_LOCK)
        .min(MAX_LOCK);
    let until = now.checked_add(lock).unwrap_or(now);
    account.locked_until = Some(until);
    Some(until)
}

/// A failed re-authentication of a signed-in user (the current password at a password change,
/// the password and code when replacing the second factor): it counts toward the lockout
/// like a failed login (R13.1) and is audited as a denial.
struct Reauthentication {
    /// The audit action.
    action: &'static str,
    /// The denial's reason code.
    reason: &'static str,
    /// Detail fields besides the failure count and the lock.
    detail: serde_json::Value,
}

impl Reauthentication {
    /// Counts the failure on `account`, audits it and commits `tx`; answers the error to
    /// return (locked, or wrong credentials).
    async fn refuse(
        mut self,
        state: &AppState,
        mut tx: baomi_store::WriteTx,
        mut account: Account,
        principal: &Principal,
        now: Timestamp,
    ) -> ApiResult<ApiError> {
        let lock = count_failure(state, &mut account, now);
        tx.update_account(&account).await?;
        self.detail["failed_count"] = json!(account.failed_count);
        self.detail["locked_until"] = json!(account.locked_until.map(|t| t.to_string()));
        tx.append_audit(
            AuditDraft::new(now, principal.actor(), self.action)
                .on(ObjectRef::person(principal.id()))
                .outcome(Outcome::Denied {
                    reason: self.reason.to_owned(),
                })
                .detail(self.detail.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(match lock {
            Some(until) => locked(until, principal.lang),
            None => bad_credentials().in_lang(principal.lang),
        })
    }
}

/// The second factor of a login attempt.
enum SecondFactor {
    /// None enrolled.
    NotEnrolled,
    /// Enrolled, and the code matched this step.
    Matched(u64),
    /// Enrolled, and no code or a wrong one.
    Wrong,
}

async fn login_inner(state: &AppState, request: LoginRequest) -> ApiResult<Response> {
    if request.password.len() > MAX_PASSWORD_BYTES || request.login.len() > 256 {
        return Err(bad_credentials());
    }
    let now = state.clock.now();
    let mut tx = state.store.read().await?;
    let found = tx.account_by_login(request.login.trim()).await?;
    tx.finish().await?;
    // No login enumeration: the password is verified first whatever the account's state —
    // against a dummy hash of the same cost when there is no account — so neither the time
    // taken nor the answer tells an unknown or disabled login from a wrong password.
    let hash = found
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |a| a.password_hash.clone());
    let password_ok = verify_bounded(state, hash.clone(), request.password.clone()).await?;
    let Some(found) = found else {
        audit_login_refused(
            state,
            Actor::Unauthenticated,
            &request.login,
            "unknown_login",
        )
        .await?;
        return Err(bad_credentials());
    };
    let actor = Actor::Person(found.person);
    let mut tx = state.store.write().await?;
    // Decide on the row as it is now, inside the serialised write, not as it was before the
    // slow verification: concurrent guesses all count, and none gets past a lock that another
    // one set meanwhile.
    let Some(mut account) = tx.account(found.person).await? else {
        tx.rollback().await?;
        audit_login_refused(state, actor, &request.login, "unknown_login").await?;
        return Err(bad_credentials());
    };
    if account.disabled {
        tx.rollback().await?;
        audit_login_refused(state, actor, &request.login, "disabled").await?;
        return Err(bad_credentials());
    }
    // Locked: answered exactly as a wrong password (R13.1: a 423 after some failures would
    // tell an existing login from an unknown one, which answers 401 forever). It is answered
    // only after the password check (so it takes as long as any other answer) and never
    // depends on the password. Not even the right password is honoured while locked; the
    // owner learns of the lock from the system administrator, who sees it.
    if locked_now(&account, now).is_some() {
        tx.rollback().await?;
        audit_login_refused(state, actor, &request.login, "locked").await?;
        return Err(bad_credentials());
    }
    let second = match (&account.totp_secret, &request.totp) {
        (None, _) => SecondFactor::NotEnrolled,
        (Some(secret), Some(code)) => match totp::verify_step(secret, code, now.as_second()) {
            Some(step) => SecondFactor::Matched(step),
            None => SecondFactor::Wrong,
        },
        (Some(_), None) => SecondFactor::Wrong,
    };
    // The password was verified against the hash read before; if it changed meanwhile (a
    // reset or a change racing this login), the verification speaks of an old password.
    let refused = if !password_ok || account.password_hash != hash {
        Some("bad_password")
    } else {
        match second {
            SecondFactor::NotEnrolled => None,
            SecondFactor::Wrong => Some("bad_totp"),
            // A code is accepted once: the step is claimed only with the right password, so
            // wrong guesses cannot use up the owner's codes.
            SecondFactor::Matched(step) => {
                if totp::claim_step(&mut account, step) {
                    None
                } else {
                    Some("totp_replayed")
                }
            }
        }
    };
    if let Some(reason) = refused {
        let lock = count_failure(state, &mut account, now);
        tx.update_account(&account).await?;
        tx.append_audit(
            AuditDraft::new(now, actor, "auth.login")
                .on(ObjectRef::person(account.person))
                .outcome(Outcome::Denied {
                    reason: reason.to_owned(),
                })
                .detail(
                    json!({
                        "login": account.login,
                        "failed_count": account.failed_count,
                        "locked_until": account.locked_until.map(|t| t.to_string()),
                    })
                    .to_string(),
                ),
        )
        .await?;
        tx.commit().await?;
        // No `people_changed`: the count and the lock are no part of a cached principal (a
        // lock stops logins, not the sessions already open), so nobody's cache is flushed.
        // The lock, when this failure set it, is answered as any wrong password (see above).
        let _ = lock;
        return Err(bad_credentials());
    }
    account.failed_count = 0;
    account.locked_until = None;
    // The first login after a reset by administrators (R5.3): flagged to the auditor with an
    // action of its own, and told to the person.
    let after_reset = account.reset_login_pending;
    account.reset_login_pending = false;
    tx.update_account(&account).await?;
    if after_reset {
        tx.append_audit(
            AuditDraft::new(now, actor, "auth.login_after_reset")
                .on(ObjectRef::person(account.person))
                .detail(json!({ "login": account.login }).to_string()),
        )
        .await?;
    }
    let secret = random_secret()?;
    let csrf = if request.bearer {
        String::new()
    } else {
        random_secret()?
    };
    let (kind, lifetime) = if request.bearer {
        (CredentialKind::Bearer, state.config.bearer_lifetime)
    } else {
        (CredentialKind::Session, state.config.session_absolute)
    };
    let expires = now
        .checked_add(SignedDuration::try_from(lifetime).unwrap_or(MAX_LOCK))
        .unwrap_or(now);
    let label = truncate(
        request
            .label
            .as_deref()
            .unwrap_or(if request.bearer { "script" } else { "browser" }),
        64,
    );
    let token_hash = digest_hex(&secret);
    tx.insert_credential(&Credential {
        token_hash: token_hash.clone(),
        person: account.person,
        kind,
        label: label.clone(),
        csrf: csrf.clone(),
        created: now,
        expires,
        revoked: false,
        last_used: Some(now),
    })
    .await?;
    tx.append_audit(
        AuditDraft::new(now, actor, "auth.login")
            .on(ObjectRef::person(account.person))
            .detail(json!({ "login": account.login, "kind": credential_kind_code(kind), "label": label }).to_string()),
    )
    .await?;
    tx.commit().await?;
    start_idle_clock(state, &token_hash, kind).await;
    let lang = if account.lang == "en" {
        Lang::En
    } else {
        Lang::Zh
    };
    let must_change = account.must_change || password_expired(state, account.password_set, now);
    let body = json!({
        "person": account.person.0,
        "login": account.login,
        "lang": lang,
        "csrf": if request.bearer { None } else { Some(csrf) },
        "token": if request.bearer { Some(secret.clone()) } else { None },
        "expires": expires.to_string(),
        "must_change_password": must_change,
        "password_reset_by_administrators": after_reset,
    });
    let mut response = (StatusCode::OK, Json(body)).into_response();
    if !request.bearer {
        let secure = if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let cookie =
            format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/{secure}");
        let value = HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(&e))?;
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

fn locked(until: Timestamp, lang: Lang) -> ApiError {
    let local = until.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    ApiError::new(
        StatusCode::LOCKED,
        "locked",
        format!(
            "登录失败次数过多，账户锁定至 {}",
            local.strftime("%Y年%m月%d日 %H:%M")
        ),
        format!(
            "too many failed logins; the account is locked until {}",
            local.strftime("%Y-%m-%d %H:%M %:z")
        ),
    )
    .with_rule(RuleId("R13.1"))
    .in_lang(lang)
}

/// `POST /api/v1/auth/logout`.
pub async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<Response> {
    end_session(
        &state,
        &principal.token_hash,
        Some(principal.id()),
        "logout",
    )
    .await?;
    let mut response = Json(json!({ "ok": true })).into_response();
    let cookie = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

/// `GET /api/v1/auth/me`: who is logged in, with their roles and what they must do first.
pub async fn me(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<serde_json::Value>> {
    let mut tx = state.store.read().await?;
    let account = tx.account(principal.id()).await?;
    tx.finish().await?;
    let password_due = account
        .as_ref()
        .and_then(|a| password_due_on(&state, a.password_set));
    Ok(Json(json!({
        "person": principal.person,
        "login": principal.login,
        "lang": principal.lang,
        "csrf": if principal.kind == CredentialKind::Session { Some(&principal.csrf) } else { None },
        "restriction": principal.restriction.map(|r| match r {
            Restriction::ChangePassword => "change_password",
            Restriction::EnrolSecondFactor => "enrol_second_factor",
        }),
        "totp_enrolled": account.as_ref().is_some_and(|a| a.totp_secret.is_some()),
        "password_due": password_due.map(|d| d.to_string()),
        "system_level": state.config.system_level.code(),
    })))
}

/// `POST /api/v1/auth/password`.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct PasswordChange {
    /// The current password.
    pub current: String,
    /// The new one.
    pub new: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

/// Changes one's own password (R4.2 policy of the system level; not the same as before).
/// A wrong current password counts towards the lockout like a failed login (a stolen session
/// must not become a way to guess the password); while the account is locked even the right
/// one is refused. On success every other session and bearer token of the account ends; this
/// one stays.
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    Json(change): Json<PasswordChange>,
) -> ApiResult<Json<serde_json::Value>> {
    let lang = principal.lang;
    check_new_password(&state, &change.new, lang)?;
    if change.new == change.current {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "新密码不得与原密码相同（R4.2）",
            "the new password must differ from the current one (R4.2)",
        )
        .with_rule(RuleId("R4.2"))
        .with_reason("password_reused")
        .in_lang(lang));
    }
    if change.current.len() > MAX_PASSWORD_BYTES {
        return Err(bad_credentials().in_lang(lang));
    }
    let now = state.clock.now();
    let mut tx = state.store.read().await?;
    let account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    tx.finish().await?;
    // The caller is this account: answering "locked" before checking tells nothing new, and
    // not checking while locked is no oracle.
    if let Some(until) = locked_now(&account, now) {
        return Err(locked(until, lang));
    }
    let ok = verify_bounded(
        &state,
        account.password_hash.clone(),
        change.current.clone(),
    )
    .await?;
    let new_hash = if ok {
        Some(hash_bounded(&state, change.new.clone()).await?)
    } else {
        None
    };
    let mut tx = state.store.write().await?;
    let mut account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    // Concurrent wrong guesses may have locked it meanwhile.
    if let Some(until) = locked_now(&account, now) {
        tx.rollback().await?;
        return Err(locked(until, lang));
    }
    let Some(new_hash) = new_hash else {
        let failure = Reauthentication {
            action: "auth.password_change",
            reason: "bad_password",
            detail: json!({}),
        };
        return Err(failure.refuse(&state, tx, account, &principal, now).await?);
    };
    account.password_hash = new_hash;
    account.password_set = now;
    account.must_change = false;
    account.failed_count = 0;
    account.locked_until = None;
    tx.update_account(&account).await?;
    // R13.1: every other session and token of the account ends, by identity (not by comparing
    // times: one opened in the same second ends too); this one stays.
    let ended = tx
        .revoke_credentials_of_except(principal.id(), &principal.token_hash)
        .await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "auth.password_change")
            .on(ObjectRef::person(principal.id()))
            .detail(json!({ "other_credentials_ended": ended }).to_string()),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok(Json(
        json!({ "ok": true, "password_due": password_due_on(&state, now).map(|d| d.to_string()) }),
    ))
}

/// `POST /api/v1/auth/lang` `{"lang":"en"}`: the interface language, kept per user.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct LangChange {
    /// `zh` or `en`.
    pub lang: Lang,
}

/// Sets one's language.
pub async fn set_lang(
    State(state): State<AppState>,
    principal: Principal,
    Json(change): Json<LangChange>,
) -> ApiResult<Json<serde_json::Value>> {
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let mut account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    account.lang = match change.lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
    .to_owned();
    tx.update_account(&account).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "auth.lang")
            .on(ObjectRef::person(principal.id()))
            .detail(json!({ "lang": change.lang }).to_string()),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok(Json(json!({ "lang": change.lang })))
}

/// `POST /api/v1/auth/totp`: starts enrolment; answers a new secret (not yet in force).
/// `POST /api/v1/auth/totp/confirm` `{"secret","code"}` puts it in force once a code from it
/// is shown to be right.
pub async fn totp_begin(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<serde_json::Value>> {
    let secret = totp::new_secret().map_err(|e| ApiError::internal(&e))?;
    let _ = &state;
    Ok(Json(json!({
        "secret": secret,
        "otpauth": totp::otpauth_uri("Baomi", &principal.login, &secret),
    })))
}

/// Confirms a TOTP enrolment.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct TotpConfirm {
    /// The secret from [`totp_begin`].
    pub secret: String,
    /// A current code from it.
    pub code: String,
    /// The current password: required to replace a second factor already enrolled.
    #[serde(default)]
    pub password: Option<String>,
    /// A current code of the second factor already enrolled: required to replace it.
    #[serde(default)]
    pub current_code: Option<String>,
}

impl std::fmt::Debug for TotpConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpConfirm { .. }")
    }
}

fn reauthentication_required(lang: Lang) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "reauthentication_required",
        "绑定或更换动态口令须重新验证身份：请提供当前密码（password）；更换已绑定的动态口令另须当前动态口令（current_code）；刚登录（10 分钟内）首次绑定可免",
        "enrolling or replacing a second factor needs re-authentication: give the current \
         password (password), and to replace an enrolled one a current one-time code \
         (current_code); a first enrolment within 10 minutes of logging in needs neither",
    )
    .with_rule(RuleId("R13.1"))
    .in_lang(lang)
}

/// Puts a TOTP secret in force after checking a code from it. Replacing a second factor
/// already enrolled also needs the current password and a current code of the enrolled one
/// (a stolen session must not be able to swap the second factor); enrolling the first one
/// needs a fresh login ([`FRESH_LOGIN`]) or the current password (R13.1: a long-lived
/// password-only session, say after a role grant made a second factor required, must not bind
/// a factor of someone else's choosing). Failures there count towards the lockout like failed
/// logins.
pub async fn totp_confirm(
    State(state): State<AppState>,
    principal: Principal,
    Json(confirm): Json<TotpConfirm>,
) -> ApiResult<Json<serde_json::Value>> {
    let lang = principal.lang;
    let now = state.clock.now();
    let Some(new_step) = totp::verify_step(&confirm.secret, &confirm.code, now.as_second()) else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "动态口令不正确，请核对设备时间后重试",
            "the one-time code is wrong; check the device's clock and try again",
        )
        .with_reason("bad_totp")
        .in_lang(lang));
    };
    let mut tx = state.store.read().await?;
    let account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    tx.finish().await?;
    // Replacing: prove the password and the enrolled factor (the password check is the slow
    // part, so it is done before the write transaction). A first enrolment: a fresh login, or
    // the password.
    let fresh = principal.kind == CredentialKind::Session
        && now.duration_since(principal.issued) <= FRESH_LOGIN;
    let first_proof = if account.totp_secret.is_none() && !fresh {
        if let Some(until) = locked_now(&account, now) {
            return Err(locked(until, lang));
        }
        let Some(password) = &confirm.password else {
            return Err(reauthentication_required(lang));
        };
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(bad_credentials().in_lang(lang));
        }
        Some(verify_bounded(&state, account.password_hash.clone(), password.clone()).await?)
    } else {
        None
    };
    let proof = match &account.totp_secret {
        None => None,
        Some(enrolled) => {
            if let Some(until) = locked_now(&account, now) {
                return Err(locked(until, lang));
            }
            let (Some(password), Some(current_code)) = (&confirm.password, &confirm.current_code)
            else {
                return Err(reauthentication_required(lang));
            };
            if password.len() > MAX_PASSWORD_BYTES {
                return Err(bad_credentials().in_lang(lang));
            }
            let password_ok =
                verify_bounded(&state, account.password_hash.clone(), password.clone()).await?;
            Some((
                enrolled.clone(),
                password_ok,
                totp::verify_step(enrolled, current_code, now.as_second()),
            ))
        }
    };
    let mut tx = state.store.write().await?;
    let mut account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let replacing = account.totp_secret.is_some();
    if replacing {
        if let Some(until) = locked_now(&account, now) {
            tx.rollback().await?;
            return Err(locked(until, lang));
        }
        // Enrolled (or replaced) by another request meanwhile: the proof must be of the
        // factor in force now.
        let Some((proved_secret, password_ok, old_step)) = proof else {
            tx.rollback().await?;
            return Err(reauthentication_required(lang));
        };
        let refused = if !password_ok {
            Some("bad_password")
        } else if account.totp_secret.as_deref() != Some(proved_secret.as_str()) {
            Some("bad_totp")
        } else {
            match old_step {
                None => Some("bad_totp"),
                Some(step) if !totp::claim_step(&mut account, step) => Some("totp_replayed"),
                Some(_) => None,
            }
        };
        if let Some(reason) = refused {
            let failure = Reauthentication {
                action: "auth.totp_enrol",
                reason,
                detail: json!({ "replacing": true }),
            };
            return Err(failure.refuse(&state, tx, account, &principal, now).await?);
        }
        account.failed_count = 0;
    } else if !fresh {
        match first_proof {
            Some(true) => account.failed_count = 0,
            Some(false) => {
                let failure = Reauthentication {
                    action: "auth.totp_enrol",
                    reason: "bad_password",
                    detail: json!({ "replacing": false }),
                };
                return Err(failure.refuse(&state, tx, account, &principal, now).await?);
            }
            None => {
                tx.rollback().await?;
                return Err(reauthentication_required(lang));
            }
        }
    }
    account.totp_secret = Some(confirm.secret.trim().to_ascii_uppercase());
    // The code just shown for the new secret is used: it cannot log in as well (the old
    // secret's steps no longer matter).
    account.totp_last_step = i64::try_from(new_step).ok();
    tx.update_account(&account).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "auth.totp_enrol")
            .on(ObjectRef::person(principal.id()))
            .detail(json!({ "replacing": replacing }).to_string()),
    )
    .await?;
    state.commit_people_change(tx).await?;
    Ok(Json(json!({ "ok": true })))
}

/// A new account's fields, as `baomi admin` and the system administrator create them.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login.
    pub login: String,
    /// Initial password (already checked against the policy).
    pub password_hash: String,
    /// Must change at first login.
    pub must_change: bool,
    /// TOTP secret enrolled at creation, if any.
    pub totp_secret: Option<String>,
}

/// The stored account for a new person.
pub fn account_for(person: PersonId, new: NewAccount, now: Timestamp) -> Account {
    Account {
        person,
        login: new.login,
        password_hash: new.password_hash,
        password_set: now,
        must_change: new.must_change,
        totp_secret: new.totp_secret,
        failed_count: 0,
        locked_until: None,
        lang: "zh".to_owned(),
        disabled: false,
        reset_requested_by: None,
        reset_requested: None,
        reset_login_pending: false,
        totp_last_step: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unknown login is verified against the dummy hash: it must parse (or the check would
    /// return at once) and carry the same algorithm and cost as a real hash.
    #[test]
    fn r13_1_dummy_hash_costs_what_a_real_one_does() {
        let real = hash_password("Planning2027").unwrap_or_default();
        let real = PasswordHash::new(&real).map(|h| {
            (
                h.algorithm.to_string(),
                h.version,
                h.params.to_string(),
                h.hash.map(|o| o.len()),
            )
        });
        let dummy = PasswordHash::new(dummy_hash()).map(|h| {
            (
                h.algorithm.to_string(),
                h.version,
                h.params.to_string(),
                h.hash.map(|o| o.len()),
            )
        });
        assert!(real.is_ok(), "{real:?}");
        assert_eq!(dummy, real);
        assert!(!verify_password(dummy_hash(), "Planning2027"));
    }
}
