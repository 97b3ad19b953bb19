//! Accounts, sessions and bearer tokens (R13.1): the credentials of the people in the ledger.
//!
//! Kept apart from the person records so that nothing listing people ever reads a password
//! hash or a TOTP secret. Session and token secrets are stored only as their SHA-256 digest:
//! reading the database does not let anyone act as a user. Hashing passwords (argon2id) and
//! deciding lockouts is the server's business; this module only keeps the facts.

use crate::{ReadTx, StoreError, WriteTx};
use baomi_core::ids::PersonId;
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A login account of a person.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The person.
    pub person: PersonId,
    /// The login name (unique).
    pub login: String,
    /// The argon2id hash in PHC string form.
    pub password_hash: String,
    /// When the password was last set (R4.2: changed at least every month/week).
    pub password_set: Timestamp,
    /// The password must be changed at the next login (set by an administrator).
    pub must_change: bool,
    /// The TOTP secret (base32), once enrolled.
    pub totp_secret: Option<String>,
    /// Consecutive failed logins.
    pub failed_count: u32,
    /// Locked until then after too many failures.
    pub locked_until: Option<Timestamp>,
    /// The interface language (`zh` or `en`).
    pub lang: String,
    /// Disabled by the system administrator (leaving staff).
    pub disabled: bool,
    /// A password reset waiting for the unit's security administrator (R5.3): who asked.
    pub reset_requested_by: Option<PersonId>,
    /// When that reset was asked for.
    pub reset_requested: Option<Timestamp>,
    /// The password was reset by administrators and the person has not logged in since: the
    /// next login is flagged to the auditor and the person is told.
    pub reset_login_pending: bool,
    /// The last TOTP time step accepted (R13.1: a code is accepted once, on every server).
    pub totp_last_step: Option<i64>,
}

impl std::fmt::Debug for Account {
    // Never print the hash or the TOTP secret (no secret in logs).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("person", &self.person)
            .field("login", &self.login)
            .field("password_set", &self.password_set)
            .field("must_change", &self.must_change)
            .field("totp_enrolled", &self.totp_secret.is_some())
            .field("failed_count", &self.failed_count)
            .field("locked_until", &self.locked_until)
            .field("lang", &self.lang)
            .field("disabled", &self.disabled)
            .field("reset_requested_by", &self.reset_requested_by)
            .field("reset_requested", &self.reset_requested)
            .field("reset_login_pending", &self.reset_login_pending)
            .finish()
    }
}

/// A session (cookie) or a bearer token (scripts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A browser session: cookie plus CSRF token.
    Session,
    /// A bearer token for scripts.
    Bearer,
}

impl CredentialKind {
    fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::Bearer => "bearer",
        }
    }
}

/// A stored session or token, found by the digest of its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// SHA-256 of the secret, hex.
    pub token_hash: String,
    /// Whose.
    pub person: PersonId,
    /// Session or bearer token.
    pub kind: CredentialKind,
    /// A label (the token's purpose; the session's user agent class).
    pub label: String,
    /// The CSRF token of a session (empty for bearer tokens).
    pub csrf: String,
    /// When issued.
    pub created: Timestamp,
    /// Absolute end.
    pub expires: Timestamp,
    /// Logged out or revoked.
    pub revoked: bool,
    /// The last use recorded (bearer tokens' idle timeout); `None` until first recorded.
    pub last_used: Option<Timestamp>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("person", &self.person)
            .field("kind", &self.kind)
            .field("label", &self.label)
            .field("created", &self.created)
            .field("expires", &self.expires)
            .field("revoked", &self.revoked)
            .field("last_used", &self.last_used)
            .finish()
    }
}

const ACCOUNT_COLUMNS: &str = "person_id, login, password_hash, password_set_seconds, \
     must_change, totp_secret, failed_count, locked_until_seconds, lang, disabled, \
     reset_requested_by, reset_requested_seconds, reset_login_pending, totp_last_step";

fn time(seconds: i64, what: &str, key: &str) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(seconds).map_err(|e| StoreError::Corrupt {
        table: "accounts",
        key: key.to_owned(),
        problem: format!("{what}: {e}"),
    })
}

fn decode_account(row: &AnyRow) -> Result<Account, StoreError> {
    let person: i64 = row.try_get("person_id")?;
    let key = person.to_string();
    let failed: i64 = row.try_get("failed_count")?;
    Ok(Account {
        person: PersonId(person),
        login: row.try_get("login")?,
        password_hash: row.try_get("password_hash")?,
        password_set: time(row.try_get("password_set_seconds")?, "password_set", &key)?,
        must_change: row.try_get::<i64, _>("must_change")? != 0,
        totp_secret: row.try_get("totp_secret")?,
        failed_count: u32::try_from(failed).unwrap_or(u32::MAX),
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until_seconds")?
            .map(|s| time(s, "locked_until", &key))
            .transpose()?,
        lang: row.try_get("lang")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        reset_requested_by: row
            .try_get::<Option<i64>, _>("reset_requested_by")?
            .map(PersonId),
        reset_requested: row
            .try_get::<Option<i64>, _>("reset_requested_seconds")?
            .map(|s| time(s, "reset_requested", &key))
            .transpose()?,
        reset_login_pending: row.try_get::<i64, _>("reset_login_pending")? != 0,
        totp_last_step: row.try_get("totp_last_step")?,
    })
}

async fn q_account_by_login(
    conn: &mut AnyConnection,
    login: &str,
) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE login = $1"
    ))
    .bind(login.to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(decode_account).transpose()
}

async fn q_account(
    conn: &mut AnyConnection,
    person: PersonId,
) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE person_id = $1"
    ))
    .bind(person.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(decode_account).transpose()
}

async fn q_credential(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<Credential>, StoreError> {
    let row = sqlx::query(
        "SELECT token_hash, person_id, kind, label, csrf, created_seconds, expires_seconds, \
         revoked, last_used_seconds FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash.to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let kind: String = row.try_get("kind")?;
    let kind = match kind.as_str() {
        "session" => CredentialKind::Session,
        "bearer" => CredentialKind::Bearer,
        other => {
            return Err(StoreError::Corrupt {
                table: "sessions",
                key: "?".to_owned(),
                problem: format!("kind {other:?}"),
            })
        }
    };
    Ok(Some(Credential {
        token_hash: row.try_get("token_hash")?,
        person: PersonId(row.try_get("person_id")?),
        kind,
        label: row.try_get("label")?,
        csrf: row.try_get("csrf")?,
        created: time(row.try_get("created_seconds")?, "created", "session")?,
        expires: time(row.try_get("expires_seconds")?, "expires", "session")?,
        revoked: row.try_get::<i64, _>("revoked")? != 0,
        last_used: row
            .try_get::<Option<i64>, _>("last_used_seconds")?
            .map(|s| time(s, "last_used", "session"))
            .transpose()?,
    }))
}

impl ReadTx {
    /// The account with this login.
    pub async fn account_by_login(&mut self, login: &str) -> Result<Option<Account>, StoreError> {
        q_account_by_login(&mut self.tx, login).await
    }

    /// The account of a person.
    pub async fn account(&mut self, person: PersonId) -> Result<Option<Account>, StoreError> {
        q_account(&mut self.tx, person).await
    }

    /// A session or bearer token by the digest of its secret.
    pub async fn credential(&mut self, token_hash: &str) -> Result<Option<Credential>, StoreError> {
        q_credential(&mut self.tx, token_hash).await
    }

    /// Every account (for the system administrator's user list), by person id.
    pub async fn list_accounts(&mut self) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY person_id"
        ))
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter().map(decode_account).collect()
    }
}

impl WriteTx {
    /// The account with this login (seeing this transaction's changes).
    pub async fn account_by_login(&mut self, login: &str) -> Result<Option<Account>, StoreError> {
        run!(self, |c| q_account_by_login(c, login).await)
    }

    /// The account of a person (seeing this transaction's changes).
    pub async fn account(&mut self, person: PersonId) -> Result<Option<Account>, StoreError> {
        run!(self, |c| q_account(c, person).await)
    }

    /// A session or bearer token (seeing this transaction's changes).
    pub async fn credential(&mut self, token_hash: &str) -> Result<Option<Credential>, StoreError> {
        run!(self, |c| q_credential(c, token_hash).await)
    }

    /// Creates an account; a login already in use is [`StoreError::Duplicate`].
    pub async fn insert_account(&mut self, account: &Account) -> Result<(), StoreError> {
        if run!(self, |c| q_account_by_login(c, &account.login).await)?.is_some() {
            return Err(StoreError::Duplicate {
                kind: "account",
                number: account.login.clone(),
            });
        }
        run!(self, |c| sqlx::query(&format!(
            "INSERT INTO accounts ({ACCOUNT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
        .bind(account.person.0)
        .bind(account.login.clone())
        .bind(account.password_hash.clone())
        .bind(account.password_set.as_second())
        .bind(i64::from(account.must_change))
        .bind(account.totp_secret.clone())
        .bind(i64::from(account.failed_count))
        .bind(account.locked_until.map(|t| t.as_second()))
        .bind(account.lang.clone())
        .bind(i64::from(account.disabled))
        .bind(account.reset_requested_by.map(|p| p.0))
        .bind(account.reset_requested.map(|t| t.as_second()))
        .bind(i64::from(account.reset_login_pending))
        .bind(account.totp_last_step)
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        Ok(())
    }

    /// Replaces every field of an existing account but its person and login.
    pub async fn update_account(&mut self, account: &Account) -> Result<(), StoreError> {
        let result = run!(self, |c| {
            sqlx::query(
            "UPDATE accounts SET password_hash = $1, password_set_seconds = $2, must_change = $3, \
             totp_secret = $4, failed_count = $5, locked_until_seconds = $6, lang = $7, \
             disabled = $8, reset_requested_by = $9, reset_requested_seconds = $10, \
             reset_login_pending = $11, totp_last_step = $12 WHERE person_id = $13",
        )
        .bind(account.password_hash.clone())
        .bind(account.password_set.as_second())
        .bind(i64::from(account.must_change))
        .bind(account.totp_secret.clone())
        .bind(i64::from(account.failed_count))
        .bind(account.locked_until.map(|t| t.as_second()))
        .bind(account.lang.clone())
        .bind(i64::from(account.disabled))
        .bind(account.reset_requested_by.map(|p| p.0))
        .bind(account.reset_requested.map(|t| t.as_second()))
        .bind(i64::from(account.reset_login_pending))
        .bind(account.totp_last_step)
        .bind(account.person.0)
        .execute(&mut *c).await.map_err(StoreError::from)
        })?;
        if result.rows_affected() != 1 {
            return Err(StoreError::NotFound {
                kind: "account",
                id: account.person.0,
            });
        }
        Ok(())
    }

    /// Stores a new session or bearer token.
    pub async fn insert_credential(&mut self, credential: &Credential) -> Result<(), StoreError> {
        run!(self, |c| sqlx::query(
            "INSERT INTO sessions (token_hash, person_id, kind, label, csrf, created_seconds, \
             expires_seconds, revoked, last_used_seconds) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(credential.token_hash.clone())
        .bind(credential.person.0)
        .bind(credential.kind.as_str())
        .bind(credential.label.clone())
        .bind(credential.csrf.clone())
        .bind(credential.created.as_second())
        .bind(credential.expires.as_second())
        .bind(i64::from(credential.revoked))
        .bind(credential.last_used.map(|t| t.as_second()))
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        Ok(())
    }

    /// Revokes one session or token (logout). Unknown digests change nothing.
    pub async fn revoke_credential(&mut self, token_hash: &str) -> Result<bool, StoreError> {
        let result = run!(self, |c| sqlx::query(
            "UPDATE sessions SET revoked = 1 WHERE token_hash = $1"
        )
        .bind(token_hash.to_owned())
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        Ok(result.rows_affected() > 0)
    }

    /// Revokes every session and token of a person (password change, account disabled).
    pub async fn revoke_credentials_of(&mut self, person: PersonId) -> Result<u64, StoreError> {
        let result = run!(self, |c| sqlx::query(
            "UPDATE sessions SET revoked = 1 WHERE person_id = $1 AND revoked = 0"
        )
        .bind(person.0)
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        Ok(result.rows_affected())
    }

    /// Revokes every session and token of a person but the one with digest `keep` (a password
    /// change ends the others, not the one that made it). Revocation is by identity, not by
    /// time: a credential issued in the same second as the change ends too (R13.1).
    pub async fn revoke_credentials_of_except(
        &mut self,
        person: PersonId,
        keep: &str,
    ) -> Result<u64, StoreError> {
        let result = run!(self, |c| sqlx::query(
            "UPDATE sessions SET revoked = 1 \
             WHERE person_id = $1 AND revoked = 0 AND token_hash <> $2",
        )
        .bind(person.0)
        .bind(keep.to_owned())
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        Ok(result.rows_affected())
    }

    /// Records the last use of a session or token (the idle timeout of bearer tokens).
    pub async fn touch_credential(
        &mut self,
        token_hash: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        run!(self, |c| sqlx::query(
            "UPDATE sessions SET last_used_seconds = $1 WHERE token_hash = $2"
        )
        .bind(at.as_second())
        .bind(token_hash.to_owned())
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        Ok(())
    }

    /// Bumps the authentication generation: every process caching authenticated principals
    /// loads them again (a change of people, rights, credentials or sessions, R13.1).
    pub async fn bump_auth_generation(&mut self) -> Result<(), StoreError> {
        run!(self, |c| sqlx::query(
            "UPDATE auth_generation SET value = value + 1 WHERE id = 1"
        )
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        Ok(())
    }
}

impl ReadTx {
    /// The authentication generation (see [`WriteTx::bump_auth_generation`]).
    pub async fn auth_generation(&mut self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT value FROM auth_generation WHERE id = 1")
            .fetch_optional(&mut *self.tx)
            .await?;
        match row {
            Some(row) => Ok(row.try_get("value")?),
            None => Ok(0),
        }
    }
}
