//! Authentication (R13.1, R4.2): local accounts with argon2id passwords, the password policy of
//! the system's level, expiry and forced change, a TOTP second factor, session cookies with
//! CSRF tokens, bearer tokens for scripts, and lockout after repeated failures.
//!
//! * Secrets are never stored: passwords as argon2id PHC strings, sessions and tokens as the
//!   SHA-256 of a 256-bit random secret. Nothing here logs a password, a token or a TOTP code.
//! * A session ends after `session_idle` without a request and `session_absolute` after login;
//!   the idle clock is kept in memory and an idle session is revoked in the database, so a
//!   restart does not revive it. Bearer tokens have an absolute lifetime only.
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
use std::sync::Mutex;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "baomi_session";
/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The longest password accepted (argon2 input; longer is a denial-of-service, not security).
const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest lock after repeated failures.
const MAX_LOCK: SignedDuration = SignedDuration::from_hours(24);

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
    generation: u64,
    last_seen: Timestamp,
    expires: Timestamp,
}

/// Authenticated principals by credential digest, so that a request costs no database read
/// for authentication. Entries are dropped when people or accounts change
/// ([`AppState::people_changed`]).
#[derive(Debug, Default)]
pub struct PrincipalCache {
    entries: Mutex<HashMap<String, Cached>>,
}

impl PrincipalCache {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Cached>) -> R) -> R {
        match self.entries.lock() {
            Ok(mut map) => f(&mut map),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
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
        if let Some(token) = value.strip_prefix("Bearer ") {
            return Some((token.trim().to_owned(), CredentialKind::Bearer));
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
) -> ApiResult<Option<(Principal, Timestamp)>> {
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
            restriction,
        },
        credential.expires,
    )))
}

/// Authenticates a request: the principal, or 401/403.
pub async fn authenticate(state: &AppState, parts: &Parts) -> ApiResult<Principal> {
    let (secret, kind) =
        credential_from_headers(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
    let token_hash = digest_hex(&secret);
    let now = state.clock.now();
    let generation = state.generation();
    let idle = SignedDuration::try_from(state.config.session_idle).unwrap_or(SignedDuration::MAX);
    enum Found {
        Fresh(Box<Principal>),
        Idle,
        Missing,
    }
    let found = state.principals.with(|map| match map.get_mut(&token_hash) {
        Some(c) if c.generation == generation && c.principal.kind == kind && c.expires > now => {
            if kind == CredentialKind::Session && now.duration_since(c.last_seen) > idle {
                map.remove(&token_hash);
                Found::Idle
            } else {
                c.last_seen = now;
                Found::Fresh(Box::new(c.principal.clone()))
            }
        }
        _ => Found::Missing,
    });
    let principal = match found {
        Found::Fresh(p) => *p,
        Found::Idle => {
            end_session(state, &token_hash, None, "idle").await?;
            return Err(ApiError::unauthenticated().with_reason("session_idle"));
        }
        Found::Missing => {
            let previous = state
                .principals
                .with(|map| map.get(&token_hash).map(|c| c.last_seen));
            if let Some(last_seen) = previous {
                if kind == CredentialKind::Session && now.duration_since(last_seen) > idle {
                    state.principals.with(|map| map.remove(&token_hash));
                    end_session(state, &token_hash, None, "idle").await?;
                    return Err(ApiError::unauthenticated().with_reason("session_idle"));
                }
            }
            let Some((principal, expires)) = load_principal(state, &token_hash, kind, now).await?
            else {
                state.principals.with(|map| map.remove(&token_hash));
                return Err(ApiError::unauthenticated());
            };
            state.principals.with(|map| {
                map.insert(
                    token_hash.clone(),
                    Cached {
                        principal: principal.clone(),
                        generation,
                        last_seen: now,
                        expires,
                    },
                )
            });
            principal
        }
    };
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
    state.principals.with(|map| map.remove(token_hash));
    Ok(())
}

fn credential_kind_code(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Session => "session",
        CredentialKind::Bearer => "bearer",
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Deserialize)]
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
        "用户名、密码或动态口令错误",
        "wrong login, password or one-time code",
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

async fn login_inner(state: &AppState, request: LoginRequest) -> ApiResult<Response> {
    if request.password.len() > MAX_PASSWORD_BYTES || request.login.len() > 256 {
        return Err(bad_credentials());
    }
    let now = state.clock.now();
    let mut tx = state.store.read().await?;
    let account = tx.account_by_login(request.login.trim()).await?;
    tx.finish().await?;
    let Some(account) = account else {
        let password = request.password.clone();
        let _ = tokio::task::spawn_blocking(move || verify_password(dummy_hash(), &password)).await;
        audit_login_refused(
            state,
            Actor::Unauthenticated,
            &request.login,
            "unknown_login",
        )
        .await?;
        return Err(bad_credentials());
    };
    let actor = Actor::Person(account.person);
    if account.disabled {
        audit_login_refused(state, actor, &request.login, "disabled").await?;
        return Err(bad_credentials());
    }
    if let Some(until) = account.locked_until.filter(|u| *u > now) {
        audit_login_refused(state, actor, &request.login, "locked").await?;
        return Err(locked(until, Lang::Zh));
    }
    let hash = account.password_hash.clone();
    let password = request.password.clone();
    let password_ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let totp_ok = match (&account.totp_secret, &request.totp) {
        (None, _) => true,
        (Some(secret), Some(code)) => totp::verify(secret, code, now.as_second()),
        (Some(_), None) => false,
    };
    let mut tx = state.store.write().await?;
    // Re-read inside the write: concurrent failures must all count.
    let Some(mut account) = tx.account(account.person).await? else {
        return Err(bad_credentials());
    };
    if !(password_ok && totp_ok) {
        account.failed_count = account.failed_count.saturating_add(1);
        let threshold = state.config.lockout_failures;
        let mut answer = bad_credentials();
        if account.failed_count >= threshold {
            let doublings = (account.failed_count - threshold).min(16);
            let base = SignedDuration::try_from(state.config.lockout).unwrap_or(MAX_LOCK);
            let lock = base
                .checked_mul(1i32 << doublings)
                .unwrap_or(MAX_LOCK)
                .min(MAX_LOCK);
            let until = now.checked_add(lock).unwrap_or(now);
            account.locked_until = Some(until);
            answer = locked(until, Lang::Zh);
        }
        tx.update_account(&account).await?;
        let reason = if password_ok {
            "bad_totp"
        } else {
            "bad_password"
        };
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
        state.people_changed();
        return Err(answer);
    }
    account.failed_count = 0;
    account.locked_until = None;
    tx.update_account(&account).await?;
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
    tx.insert_credential(&Credential {
        token_hash: digest_hex(&secret),
        person: account.person,
        kind,
        label: label.clone(),
        csrf: csrf.clone(),
        created: now,
        expires,
        revoked: false,
    })
    .await?;
    tx.append_audit(
        AuditDraft::new(now, actor, "auth.login")
            .on(ObjectRef::person(account.person))
            .detail(json!({ "login": account.login, "kind": credential_kind_code(kind), "label": label }).to_string()),
    )
    .await?;
    tx.commit().await?;
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
#[derive(Deserialize)]
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
    let mut tx = state.store.read().await?;
    let account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    tx.finish().await?;
    let hash = account.password_hash.clone();
    let current = change.current.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &current))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let now = state.clock.now();
    if !ok {
        state
            .audit
            .record(
                AuditDraft::new(now, principal.actor(), "auth.password_change")
                    .on(ObjectRef::person(principal.id()))
                    .outcome(Outcome::Denied {
                        reason: "bad_password".to_owned(),
                    }),
            )
            .await?;
        return Err(bad_credentials().in_lang(lang));
    }
    let new_hash = {
        let new = change.new.clone();
        tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|e| ApiError::internal(&e))??
    };
    let mut tx = state.store.write().await?;
    let mut account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    account.password_hash = new_hash;
    account.password_set = now;
    account.must_change = false;
    tx.update_account(&account).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "auth.password_change")
            .on(ObjectRef::person(principal.id())),
    )
    .await?;
    tx.commit().await?;
    state.people_changed();
    Ok(Json(
        json!({ "ok": true, "password_due": password_due_on(&state, now).map(|d| d.to_string()) }),
    ))
}

/// `POST /api/v1/auth/lang` `{"lang":"en"}`: the interface language, kept per user.
#[derive(Debug, Deserialize)]
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
    tx.commit().await?;
    state.people_changed();
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
#[derive(Deserialize)]
pub struct TotpConfirm {
    /// The secret from [`totp_begin`].
    pub secret: String,
    /// A current code from it.
    pub code: String,
}

impl std::fmt::Debug for TotpConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpConfirm { .. }")
    }
}

/// Puts a TOTP secret in force after checking a code from it.
pub async fn totp_confirm(
    State(state): State<AppState>,
    principal: Principal,
    Json(confirm): Json<TotpConfirm>,
) -> ApiResult<Json<serde_json::Value>> {
    let now = state.clock.now();
    if !totp::verify(&confirm.secret, &confirm.code, now.as_second()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "动态口令不正确，请核对设备时间后重试",
            "the one-time code is wrong; check the device's clock and try again",
        )
        .with_reason("bad_totp")
        .in_lang(principal.lang));
    }
    let mut tx = state.store.write().await?;
    let mut account = tx
        .account(principal.id())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    account.totp_secret = Some(confirm.secret.trim().to_ascii_uppercase());
    tx.update_account(&account).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "auth.totp_enrol")
            .on(ObjectRef::person(principal.id())),
    )
    .await?;
    tx.commit().await?;
    state.people_changed();
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
    }
}
