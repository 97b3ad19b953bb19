//! `baomi admin`: set up a real installation from the console — its units, departments and the
//! three separated administrators (R5.3) — before anyone can log in to do it over HTTP.
//!
//! * `baomi admin unit --db URL --name NAME --tier TIER [--superior ID]` prints the new unit's id.
//! * `baomi admin department --db URL --unit ID --name NAME` prints the new department's id.
//! * `baomi admin create --db URL --unit ID --department ID --name NAME --login LOGIN --role ROLE`
//!   reads the initial password from stdin (never argv), checks it against R4.2 for the system
//!   level of `--config`, and creates the person and their account with a fresh TOTP secret,
//!   printed once, in one transaction with its audit entry (`admin.create`, by the system).
//! * `baomi admin reset-password --db URL --login LOGIN` reads a new initial password from
//!   stdin (R4.2 as above), to be changed at the next login; it lifts a lock and ends the
//!   account's sessions and tokens. Over HTTP the system administrator may not reset another
//!   administrator's password (R5.3: that would let one administrator become another), so this
//!   console command, which needs the host itself, is how an administrator who lost their
//!   password gets back in.
//! * `baomi admin disable --db URL --login LOGIN` / `baomi admin enable --db URL --login LOGIN`
//!   disable an account (ending its sessions and tokens) or enable it again — the console's
//!   way for an administrator's account, which over HTTP no other administrator may switch
//!   off (R5.3).
//! * `baomi admin totp-code SECRET` prints the current 6-digit code of a TOTP secret.
//!
//! Every change is audited in its own transaction (`unit.create`, `department.create`,
//! `admin.create`, `admin.reset_password`, `admin.disable`, `admin.enable`, actor: the
//! system). Changes to accounts bump the database's authentication generation, so a running
//! service drops the principals it has cached at once (R13.1: a console reset or disabling
//! ends the sessions the service holds, not only those in the database).

use super::password::read_password;
use super::serve::{load_config, open_store};
use super::{out_line, print_json, CliError};
use baomi_core::access::{Role, RoleSet};
use baomi_core::audit::{Actor, AuditDraft, ObjectRef};
use baomi_core::determination::UnitTier;
use baomi_core::devices::check_password;
use baomi_core::ids::{DepartmentId, PersonId, UnitId};
use baomi_core::personnel::Category;
use baomi_core::{Describe, Lang};
use baomi_server::auth::{account_for, hash_password, NewAccount};
use baomi_server::ledger::{insert, load_all_for_update};
use baomi_server::people::{Person, PersonStatus};
use baomi_server::{totp, ApiError};
use baomi_store::{RecordFilter, RecordKind, Store, StoreError};
use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// The longest password the service accepts at login (`baomi_server::auth`); a longer initial
/// password could never be used.
const MAX_PASSWORD_BYTES: usize = 1024;

/// `baomi admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a unit (its tier fixes its authority to classify, R1.4); prints its id.
    Unit(UnitArgs),
    /// Create a department of a unit; prints its id.
    Department(DepartmentArgs),
    /// Create one of the three administrators (R5.3): person, account and TOTP secret. The
    /// initial password is read from stdin.
    Create(CreateArgs),
    /// Reset an account's password from the console (the way back in for an administrator,
    /// R5.3). The new initial password is read from stdin and must be changed at next login.
    ResetPassword(ResetArgs),
    /// Disable an account and end its sessions and tokens (R5.3: the console's way for an
    /// administrator's account).
    Disable(ResetArgs),
    /// Enable a disabled account again.
    Enable(ResetArgs),
    /// Print the current 6-digit code of a TOTP secret (base32).
    TotpCode {
        /// The TOTP secret (base32), as printed by `admin create` or `baomi demo`.
        secret: String,
    },
}

/// The database and configuration every changing subcommand takes.
#[derive(Debug, Args)]
pub struct Target {
    /// Database URL: a SQLite file path, sqlite:PATH, or postgres://…
    #[arg(long, env = "BAOMI_DB")]
    db: String,
    /// The service's configuration file (system level, audit hash), as given to `baomi serve`.
    #[arg(long, value_name = "FILE", env = "BAOMI_CONFIG")]
    config: Option<PathBuf>,
}

/// Arguments of `baomi admin unit`.
#[derive(Debug, Args)]
pub struct UnitArgs {
    #[command(flatten)]
    target: Target,
    /// The unit's name.
    #[arg(long)]
    name: String,
    /// Its tier (R1.4): central, provincial, prefecture or other.
    #[arg(long, value_enum)]
    tier: Tier,
    /// The id of its superior unit.
    #[arg(long, value_name = "ID")]
    superior: Option<i64>,
}

/// Arguments of `baomi admin department`.
#[derive(Debug, Args)]
pub struct DepartmentArgs {
    #[command(flatten)]
    target: Target,
    /// The unit's id.
    #[arg(long, value_name = "ID")]
    unit: i64,
    /// The department's name (unique within the unit).
    #[arg(long)]
    name: String,
}

/// Arguments of `baomi admin create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    target: Target,
    /// The unit's id.
    #[arg(long, value_name = "ID")]
    unit: i64,
    /// The department's id (in that unit).
    #[arg(long, value_name = "ID")]
    department: i64,
    /// The person's full name.
    #[arg(long)]
    name: String,
    /// Their login.
    #[arg(long)]
    login: String,
    /// The administrator role (R5.3).
    #[arg(long, value_enum)]
    role: AdminRole,
    /// The person is not the one of the same name in this unit who already holds another
    /// administrator role (R5.3: no one holds two; without this flag a namesake is refused).
    #[arg(long)]
    different_person: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `baomi admin reset-password`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    #[command(flatten)]
    target: Target,
    /// The account's login.
    #[arg(long)]
    login: String,
}

/// A unit's tier (R1.4).
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Tier {
    Central,
    Provincial,
    Prefecture,
    Other,
}

impl From<Tier> for UnitTier {
    fn from(t: Tier) -> UnitTier {
        match t {
            Tier::Central => UnitTier::Central,
            Tier::Provincial => UnitTier::Provincial,
            Tier::Prefecture => UnitTier::Prefecture,
            Tier::Other => UnitTier::Other,
        }
    }
}

/// The three separated administrators (R5.3).
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum AdminRole {
    SystemAdministrator,
    SecurityAdministrator,
    SecurityAuditor,
}

impl From<AdminRole> for Role {
    fn from(r: AdminRole) -> Role {
        match r {
            AdminRole::SystemAdministrator => Role::SystemAdministrator,
            AdminRole::SecurityAdministrator => Role::SecurityAdministrator,
            AdminRole::SecurityAuditor => Role::SecurityAuditor,
        }
    }
}

/// Runs an `admin` subcommand.
pub fn run(cmd: AdminCommand, lang: Lang) -> Result<ExitCode, CliError> {
    match cmd {
        AdminCommand::TotpCode { secret } => totp_code(&secret, lang),
        AdminCommand::Unit(args) => block_on(unit(args, lang), lang),
        AdminCommand::Department(args) => block_on(department(args, lang), lang),
        AdminCommand::Create(args) => {
            // Read the password before anything else: a prompt-less stdin is the contract.
            let password = read_password(lang)?;
            block_on(create(args, password, lang), lang)
        }
        AdminCommand::ResetPassword(args) => {
            let password = read_password(lang)?;
            block_on(reset_password(args, password, lang), lang)
        }
        AdminCommand::Disable(args) => block_on(set_disabled(args, true, lang), lang),
        AdminCommand::Enable(args) => block_on(set_disabled(args, false, lang), lang),
    }
}

fn block_on<F: std::future::Future<Output = Result<ExitCode, CliError>>>(
    future: F,
    lang: Lang,
) -> Result<ExitCode, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CliError::new(format!(
                "{}: {e}",
                lang.pick("无法启动异步运行时", "cannot start the async runtime")
            ))
        })?
        .block_on(future)
}

fn store_error(lang: Lang) -> impl Fn(StoreError) -> CliError {
    move |e| CliError::new(e.describe(lang))
}

fn api_error(lang: Lang) -> impl Fn(ApiError) -> CliError {
    move |e| CliError::new(lang.pick(&e.zh, &e.en))
}

fn tier_name(tier: UnitTier, lang: Lang) -> &'static str {
    match tier {
        UnitTier::Central => lang.pick("中央级", "central"),
        UnitTier::Provincial => lang.pick("省级", "provincial"),
        UnitTier::Prefecture => lang.pick("地市级", "prefecture"),
        UnitTier::Other => lang.pick("其他", "other"),
    }
}

/// A name or login given on the command line: trimmed, not empty, at most `max` characters,
/// no control characters.
fn text_arg(
    value: &str,
    what_zh: &str,
    what_en: &str,
    max: usize,
    lang: Lang,
) -> Result<String, CliError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(CliError::new(lang.pick(
            &format!("{what_zh}应为 1 到 {max} 个字符，且不含控制字符"),
            &format!("{what_en} must be 1 to {max} characters without control characters"),
        )));
    }
    Ok(value.to_owned())
}

async fn unit(args: UnitArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let config = load_config(args.target.config.as_deref(), lang)?;
    let name = text_arg(&args.name, "单位名称", "the unit's name", 200, lang)?;
    let store = open_store(&args.target.db, &config, false, lang).await?;
    let result = async {
        let mut tx = store.write().await?;
        let unit = tx
            .create_unit(
                Timestamp::now(),
                Actor::System,
                &name,
                args.tier.into(),
                args.superior.map(UnitId),
            )
            .await?;
        tx.commit().await?;
        Ok::<_, StoreError>(unit)
    }
    .await;
    store.close().await;
    let unit = result.map_err(store_error(lang))?;
    out_line(unit.id.0)?;
    eprintln!(
        "{}",
        lang.pick(
            &format!(
                "已创建单位 {}：{}（{}）",
                unit.id.0,
                unit.name,
                tier_name(unit.tier, Lang::Zh)
            ),
            &format!(
                "created unit {}: {} ({})",
                unit.id.0,
                unit.name,
                tier_name(unit.tier, Lang::En)
            ),
        )
    );
    Ok(ExitCode::SUCCESS)
}

async fn department(args: DepartmentArgs, lang: Lang) -> Result<ExitCode, CliError> {
    let config = load_config(args.target.config.as_deref(), lang)?;
    let name = text_arg(&args.name, "部门名称", "the department's name", 200, lang)?;
    let store = open_store(&args.target.db, &config, true, lang).await?;
    let result = async {
        let mut tx = store.write().await?;
        let department = tx
            .create_department(Timestamp::now(), Actor::System, UnitId(args.unit), &name)
            .await?;
        tx.commit().await?;
        Ok::<_, StoreError>(department)
    }
    .await;
    store.close().await;
    let department = result.map_err(store_error(lang))?;
    out_line(department.id.0)?;
    eprintln!(
        "{}",
        lang.pick(
            &format!(
                "已创建部门 {}：{}（单位 {}）",
                department.id.0, department.name, department.unit.0
            ),
            &format!(
                "created department {}: {} (unit {})",
                department.id.0, department.name, department.unit.0
            ),
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// What `admin create` made.
struct Created {
    person: PersonId,
    login: String,
    name: String,
    secret: String,
}

async fn create(args: CreateArgs, password: String, lang: Lang) -> Result<ExitCode, CliError> {
    let config = load_config(args.target.config.as_deref(), lang)?;
    let name = text_arg(&args.name, "姓名", "the name", 100, lang)?;
    let login = text_arg(&args.login, "登录名", "the login", 64, lang)?;
    if login.chars().any(char::is_whitespace) {
        return Err(CliError::new(lang.pick(
            "登录名不得含空白字符",
            "the login must not contain white space",
        )));
    }
    // R4.2 by the system's level (R13.1); TOTP is not a second factor R4.2 names.
    check_console_password(config.system_level, &password, lang)?;
    let role: Role = args.role.into();
    let hash = hash_password(&password).map_err(api_error(lang))?;
    drop(password);
    let secret = totp::new_secret().map_err(|e| CliError::new(e.to_string()))?;
    let store = open_store(&args.target.db, &config, true, lang).await?;
    let result = create_in(&store, &args, name, login, role, hash, secret, lang).await;
    store.close().await;
    let created = result?;
    let uri = totp::otpauth_uri("Baomi", &created.login, &created.secret);
    if args.json {
        print_json(&json!({
            "person": created.person.0,
            "login": created.login,
            "name": created.name,
            "role": role,
            "totp_secret": created.secret,
            "otpauth": uri,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    out_line(lang.pick(
        &format!(
            "已创建{} {}（人员 {}，登录名 {}）",
            role.zh(),
            created.name,
            created.person.0,
            created.login
        ),
        &format!(
            "created {} {} (person {}, login {})",
            role.en(),
            created.name,
            created.person.0,
            created.login
        ),
    ))?;
    out_line(lang.pick(
        "动态口令（TOTP）密钥只显示这一次，请立即录入身份验证器：",
        "the TOTP secret is shown only this once; enter it in an authenticator app now:",
    ))?;
    out_line(format!("  {}", created.secret))?;
    out_line(format!("  {uri}"))?;
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)]
async fn create_in(
    store: &Store,
    args: &CreateArgs,
    name: String,
    login: String,
    role: Role,
    hash: String,
    secret: String,
    lang: Lang,
) -> Result<Created, CliError> {
    let se = store_error(lang);
    let ae = api_error(lang);
    let now = Timestamp::now();
    let unit = UnitId(args.unit);
    let department = DepartmentId(args.department);
    let mut tx = store.write().await.map_err(&se)?;
    if tx.get_unit(unit).await.map_err(&se)?.is_none() {
        return Err(CliError::new(lang.pick(
            &format!("单位 {} 不存在", unit.0),
            &format!("no unit {}", unit.0),
        )));
    }
    let departments = tx.list_departments(unit).await.map_err(&se)?;
    if !departments.iter().any(|d| d.id == department) {
        return Err(CliError::new(lang.pick(
            &format!("单位 {} 没有部门 {}", unit.0, department.0),
            &format!("unit {} has no department {}", unit.0, department.0),
        )));
    }
    if tx.account_by_login(&login).await.map_err(&se)?.is_some() {
        return Err(CliError::new(lang.pick(
            &format!("登录名 {login} 已被使用"),
            &format!("the login {login} is taken"),
        )));
    }
    // R5.3: no one holds two of the three roles. The ledger knows a person by name within a
    // unit; the core decides whether their roles and this one may go together.
    if !args.different_person {
        let filter = RecordFilter {
            unit: Some(unit.0),
            ..RecordFilter::default()
        };
        for existing in load_all_for_update::<Person>(&mut tx, &filter)
            .await
            .map_err(&ae)?
        {
            let person = existing.value;
            if person.name != name {
                continue;
            }
            if let Err(conflict) = person.roles.with(role) {
                let held = person.roles.administrator().unwrap_or(conflict.first);
                return Err(CliError::new(lang.pick(
                    &format!(
                        "{}：本单位的 {name}（人员 {}）已是{}；若是同名的另一人，请加 --different-person",
                        conflict.describe(Lang::Zh),
                        person.id.0,
                        held.zh(),
                    ),
                    &format!(
                        "{}: {name} (person {}) of this unit is already the {}; if this is another \
                         person of the same name, add --different-person",
                        conflict.describe(Lang::En),
                        person.id.0,
                        held.en(),
                    ),
                )));
            }
        }
    }
    let roles = RoleSet::new([role]).map_err(|e| CliError::new(e.describe(lang)))?;
    let id = PersonId(tx.next_record_id(RecordKind::Person).await.map_err(&se)?);
    let person = Person {
        id,
        name: name.clone(),
        unit,
        departments: [department].into_iter().collect(),
        post: role.zh().to_owned(),
        category: Some(Category::Important),
        post_ends: None,
        roles,
        approver_roles: BTreeSet::new(),
        training: Vec::new(),
        commitment_signed_on: None,
        detachment: None,
        status: PersonStatus::Active,
    };
    insert(&mut tx, &person, now).await.map_err(&ae)?;
    tx.insert_account(&account_for(
        id,
        NewAccount {
            login: login.clone(),
            password_hash: hash,
            must_change: false,
            totp_secret: Some(secret.clone()),
        },
        now,
    ))
    .await
    .map_err(&se)?;
    tx.append_audit(
        AuditDraft::new(now, Actor::System, "admin.create")
            .on(ObjectRef::person(id))
            .detail(
                json!({
                    "login": login,
                    "role": role,
                    "unit": unit.0,
                    "department": department.0,
                    "different_person": args.different_person,
                })
                .to_string(),
            ),
    )
    .await
    .map_err(&se)?;
    tx.commit().await.map_err(&se)?;
    Ok(Created {
        person: id,
        login,
        name,
        secret,
    })
}

/// R4.2 on a password typed at the console, by the system's level (R13.1).
fn check_console_password(
    level: baomi_core::marks::Level,
    password: &str,
    lang: Lang,
) -> Result<(), CliError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(CliError::new(lang.pick(
            &format!("口令过长（至多 {MAX_PASSWORD_BYTES} 字节）"),
            &format!("the password is too long (at most {MAX_PASSWORD_BYTES} bytes)"),
        )));
    }
    let problems = check_password(level, password, None, None);
    if !problems.is_empty() {
        let sep = lang.pick("；", "; ");
        let all: Vec<String> = problems.iter().map(|p| p.describe(lang)).collect();
        return Err(CliError::new(all.join(sep)));
    }
    Ok(())
}

async fn reset_password(
    args: ResetArgs,
    password: String,
    lang: Lang,
) -> Result<ExitCode, CliError> {
    let config = load_config(args.target.config.as_deref(), lang)?;
    let login = text_arg(&args.login, "登录名", "the login", 64, lang)?;
    check_console_password(config.system_level, &password, lang)?;
    let hash = hash_password(&password).map_err(api_error(lang))?;
    drop(password);
    let store = open_store(&args.target.db, &config, true, lang).await?;
    let se = store_error(lang);
    let result = async {
        let now = Timestamp::now();
        let mut tx = store.write().await.map_err(&se)?;
        let Some(mut account) = tx.account_by_login(&login).await.map_err(&se)? else {
            return Err(CliError::new(lang.pick(
                &format!("没有登录名为 {login} 的账户"),
                &format!("no account with the login {login}"),
            )));
        };
        account.password_hash = hash;
        account.password_set = now;
        account.must_change = true;
        account.failed_count = 0;
        account.locked_until = None;
        tx.update_account(&account).await.map_err(&se)?;
        let revoked = tx
            .revoke_credentials_of(account.person)
            .await
            .map_err(&se)?;
        // A running service sees the change at once (its cached principals are dropped).
        tx.bump_auth_generation().await.map_err(&se)?;
        tx.append_audit(
            AuditDraft::new(now, Actor::System, "admin.reset_password")
                .on(ObjectRef::new("account", account.person))
                .detail(json!({ "login": login, "sessions_revoked": revoked }).to_string()),
        )
        .await
        .map_err(&se)?;
        tx.commit().await.map_err(&se)?;
        Ok(account.person)
    }
    .await;
    store.close().await;
    let person = result?;
    out_line(lang.pick(
        &format!(
            "已重置 {login}（人员 {}）的口令；下次登录时须修改",
            person.0
        ),
        &format!(
            "reset the password of {login} (person {}); it must be changed at the next login",
            person.0
        ),
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `baomi admin disable` / `enable`: switches an account off (ending its sessions and tokens)
/// or on again, audited as the system.
async fn set_disabled(args: ResetArgs, disabled: bool, lang: Lang) -> Result<ExitCode, CliError> {
    let config = load_config(args.target.config.as_deref(), lang)?;
    let login = text_arg(&args.login, "登录名", "the login", 64, lang)?;
    let store = open_store(&args.target.db, &config, true, lang).await?;
    let se = store_error(lang);
    let result = async {
        let now = Timestamp::now();
        let mut tx = store.write().await.map_err(&se)?;
        let Some(mut account) = tx.account_by_login(&login).await.map_err(&se)? else {
            return Err(CliError::new(lang.pick(
                &format!("没有登录名为 {login} 的账户"),
                &format!("no account with the login {login}"),
            )));
        };
        account.disabled = disabled;
        tx.update_account(&account).await.map_err(&se)?;
        let revoked = if disabled {
            tx.revoke_credentials_of(account.person)
                .await
                .map_err(&se)?
        } else {
            0
        };
        tx.bump_auth_generation().await.map_err(&se)?;
        let action = if disabled {
            "admin.disable"
        } else {
            "admin.enable"
        };
        tx.append_audit(
            AuditDraft::new(now, Actor::System, action)
                .on(ObjectRef::new("account", account.person))
                .detail(
                    json!({ "login": login, "disabled": disabled, "sessions_revoked": revoked })
                        .to_string(),
                ),
        )
        .await
        .map_err(&se)?;
        tx.commit().await.map_err(&se)?;
        Ok(account.person)
    }
    .await;
    store.close().await;
    let person = result?;
    let line = if disabled {
        lang.pick(
            &format!(
                "已停用 {login}（人员 {}）的账户，其会话与令牌已结束",
                person.0
            ),
            &format!(
                "disabled the account of {login} (person {}); its sessions and tokens ended",
                person.0
            ),
        )
        .to_owned()
    } else {
        lang.pick(
            &format!("已启用 {login}（人员 {}）的账户", person.0),
            &format!("enabled the account of {login} (person {})", person.0),
        )
        .to_owned()
    };
    out_line(line)?;
    Ok(ExitCode::SUCCESS)
}

fn totp_code(secret: &str, lang: Lang) -> Result<ExitCode, CliError> {
    let bytes = totp::base32_decode(secret)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            CliError::new(lang.pick(
                "TOTP 密钥应为 base32 文本（A–Z、2–7）",
                "a TOTP secret is base32 text (A–Z, 2–7)",
            ))
        })?;
    let code = totp::code_at(&bytes, Timestamp::now().as_second())
        .ok_or_else(|| CliError::new("cannot compute the code"))?;
    out_line(code)?;
    Ok(ExitCode::SUCCESS)
}
