//! `baomi demo`: a realistic demo unit in a fresh database — a central-level ministry, a
//! provincial department and a prefecture-level bureau, their departments, people of every
//! category and role (the three separated administrators included), classifiers, matters at
//! every level and state, carriers in every state, devices and pending approvals.
//!
//! The same data is the fixture of the service's end-to-end tests, so what a newcomer clicks
//! through is what CI checks. Everything is dated relative to the day it is seeded.

pub mod carriers;
pub mod devices;
pub mod matters;
pub mod scale;

use crate::auth::{account_for, hash_password, NewAccount};
use crate::error::{ApiError, ApiResult};
use crate::ledger::insert;
use crate::people::{Person, PersonStatus};
use crate::state::civil_day;
use baomi_core::access::{Role, RoleSet};
use baomi_core::audit::{Actor, AuditDraft};
use baomi_core::carriers::ApproverRole;
use baomi_core::determination::UnitTier;
use baomi_core::ids::{DepartmentId, PersonId, UnitId};
use baomi_core::personnel::{Category, Detachment, LeavingClearance, TrainingRecord};
use baomi_store::{Store, WriteTx};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Every demo account's password (meets R4.2 for a Secret system: 9 characters, letters and
/// digits).
pub const DEMO_PASSWORD: &str = "Baomi2026";

/// The system administrator's demo TOTP secret (base32).
pub const DEMO_TOTP_SYSADMIN: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/// The security administrator's demo TOTP secret (base32).
pub const DEMO_TOTP_SECADMIN: &str = "KRSXG5DJNZTSA2LTEBQSAZLYMFWXA3DF";
/// The security auditor's demo TOTP secret (base32).
pub const DEMO_TOTP_AUDITOR: &str = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U";

/// The central-level ministry (may classify up to Top Secret, R1.4).
pub const UNIT_MINISTRY: UnitId = UnitId(1);
/// The provincial department.
pub const UNIT_PROVINCE: UnitId = UnitId(2);
/// The prefecture-level bureau (may classify up to Confidential, R1.4).
pub const UNIT_BUREAU: UnitId = UnitId(3);

/// A demo account, as printed by `baomi demo`.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Person id.
    pub person: PersonId,
    /// Login.
    pub login: &'static str,
    /// Name.
    pub name: &'static str,
    /// What they are, in Chinese.
    pub what_zh: &'static str,
    /// What they are, in English.
    pub what_en: &'static str,
    /// Their TOTP secret, when they must use one.
    pub totp_secret: Option<&'static str>,
}

struct DemoPerson {
    login: &'static str,
    name: &'static str,
    unit: UnitId,
    department: &'static str,
    post: &'static str,
    category: Option<Category>,
    roles: &'static [Role],
    approver_roles: &'static [ApproverRole],
    what_zh: &'static str,
    what_en: &'static str,
    totp: Option<&'static str>,
}

const PEOPLE: [DemoPerson; 12] = [
    DemoPerson {
        login: "zhang.wei",
        name: "张伟",
        unit: UNIT_BUREAU,
        department: "办公室",
        post: "局长",
        category: Some(Category::Core),
        roles: &[Role::UnitHead, Role::Classifier],
        approver_roles: &[ApproverRole::UnitHead],
        what_zh: "某市某局局长，单位负责人、法定定密责任人（核心涉密人员）",
        what_en: "head of the prefecture bureau, its responsible classifier (core)",
        totp: None,
    },
    DemoPerson {
        login: "li.na",
        name: "李娜",
        unit: UNIT_BUREAU,
        department: "保密办",
        post: "保密员",
        category: Some(Category::Important),
        roles: &[Role::ConfidentialityOfficer],
        approver_roles: &[ApproverRole::ConfidentialityOffice],
        what_zh: "保密办保密员，管理载体台账（重要涉密人员）",
        what_en: "confidentiality officer, keeps the carrier ledger (important)",
        totp: None,
    },
    DemoPerson {
        login: "wang.fang",
        name: "王芳",
        unit: UNIT_BUREAU,
        department: "规划科",
        post: "分管副局长",
        category: Some(Category::Important),
        roles: &[Role::Classifier],
        approver_roles: &[ApproverRole::Leader],
        what_zh: "分管副局长、指定定密责任人（最高机密）",
        what_en: "deputy head in charge, designated classifier (up to Confidential)",
        totp: None,
    },
    DemoPerson {
        login: "liu.yang",
        name: "刘洋",
        unit: UNIT_BUREAU,
        department: "规划科",
        post: "承办人",
        category: Some(Category::Important),
        roles: &[],
        approver_roles: &[],
        what_zh: "规划科承办人，提出定密意见（重要涉密人员）",
        what_en: "handling officer in planning, proposes classifications (important)",
        totp: None,
    },
    DemoPerson {
        login: "chen.jing",
        name: "陈静",
        unit: UNIT_BUREAU,
        department: "规划科",
        post: "科员",
        category: Some(Category::General),
        roles: &[],
        approver_roles: &[],
        what_zh: "规划科科员（一般涉密人员，只能接触秘密级）",
        what_en: "planning clerk (general: Secret only)",
        totp: None,
    },
    DemoPerson {
        login: "zhao.lei",
        name: "赵磊",
        unit: UNIT_BUREAU,
        department: "信息中心",
        post: "技术员",
        category: None,
        roles: &[],
        approver_roles: &[],
        what_zh: "信息中心技术员（非涉密人员）",
        what_en: "IT technician (not classified personnel)",
        totp: None,
    },
    DemoPerson {
        login: "sun.li",
        name: "孙丽",
        unit: UNIT_BUREAU,
        department: "规划科",
        post: "原承办人（已离岗，脱密期中）",
        category: Some(Category::Important),
        roles: &[],
        approver_roles: &[],
        what_zh: "已离开涉密岗位，处于脱密期",
        what_en: "left her classified post, in her detachment period",
        totp: None,
    },
    DemoPerson {
        login: "sysadmin",
        name: "周强",
        unit: UNIT_BUREAU,
        department: "信息中心",
        post: "系统管理员",
        category: Some(Category::Important),
        roles: &[Role::SystemAdministrator],
        approver_roles: &[],
        what_zh: "系统管理员（三员之一，不得查看涉密内容）",
        what_en: "system administrator (one of the three; reads no classified content)",
        totp: Some(DEMO_TOTP_SYSADMIN),
    },
    DemoPerson {
        login: "secadmin",
        name: "吴敏",
        unit: UNIT_BUREAU,
        department: "保密办",
        post: "安全保密管理员",
        category: Some(Category::Important),
        roles: &[Role::SecurityAdministrator],
        approver_roles: &[],
        what_zh: "安全保密管理员（三员之一，授权但不得为本人授权）",
        what_en: "security administrator (one of the three; grants rights, never to herself)",
        totp: Some(DEMO_TOTP_SECADMIN),
    },
    DemoPerson {
        login: "auditor",
        name: "郑洁",
        unit: UNIT_BUREAU,
        department: "保密办",
        post: "安全审计员",
        category: Some(Category::Important),
        roles: &[Role::SecurityAuditor],
        approver_roles: &[],
        what_zh: "安全审计员（三员之一，唯一可查看审计日志）",
        what_en: "security auditor (one of the three; alone reads the audit trail)",
        totp: Some(DEMO_TOTP_AUDITOR),
    },
    DemoPerson {
        login: "huang.tao",
        name: "黄涛",
        unit: UNIT_MINISTRY,
        department: "办公厅",
        post: "部领导",
        category: Some(Category::Core),
        roles: &[Role::UnitHead, Role::Classifier],
        approver_roles: &[ApproverRole::UnitHead],
        what_zh: "国家某部负责人、法定定密责任人（可定绝密）",
        what_en: "head of the central ministry, its classifier (up to Top Secret)",
        totp: None,
    },
    DemoPerson {
        login: "xu.min",
        name: "徐敏",
        unit: UNIT_MINISTRY,
        department: "综合司",
        post: "处长",
        category: Some(Category::Core),
        roles: &[],
        approver_roles: &[ApproverRole::Leader],
        what_zh: "国家某部综合司处长（核心涉密人员）",
        what_en: "division chief at the ministry (core)",
        totp: None,
    },
];

/// The departments of each demo unit, in creation order.
const DEPARTMENTS: [(UnitId, &str); 7] = [
    (UNIT_BUREAU, "办公室"),
    (UNIT_BUREAU, "保密办"),
    (UNIT_BUREAU, "规划科"),
    (UNIT_BUREAU, "信息中心"),
    (UNIT_MINISTRY, "办公厅"),
    (UNIT_MINISTRY, "保密处"),
    (UNIT_MINISTRY, "综合司"),
];

/// The demo person with this login.
pub fn person_id(login: &str) -> Option<PersonId> {
    PEOPLE
        .iter()
        .position(|p| p.login == login)
        .and_then(|i| i64::try_from(i).ok())
        .map(|i| PersonId(i + 1))
}

/// The accounts `baomi demo` prints.
pub fn accounts() -> Vec<DemoAccount> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(i, p)| DemoAccount {
            person: PersonId(i64::try_from(i).unwrap_or(0) + 1),
            login: p.login,
            name: p.name,
            what_zh: p.what_zh,
            what_en: p.what_en,
            totp_secret: p.totp,
        })
        .collect()
}

/// The demo password's argon2id hash, computed once per process (argon2 is deliberately slow,
/// and every demo account shares the password).
fn demo_hash() -> ApiResult<String> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(h) = HASH.get() {
        return Ok(h.clone());
    }
    let h = hash_password(DEMO_PASSWORD)?;
    Ok(HASH.get_or_init(|| h).clone())
}

/// Seeds the demo into an empty store, as of `now`. Refuses a store that already has units
/// (the demo never writes into real data).
pub async fn seed(store: &Store, now: Timestamp) -> ApiResult<Vec<DemoAccount>> {
    let hash = tokio::task::spawn_blocking(demo_hash)
        .await
        .map_err(|e| ApiError::internal(&e))??;
    let today = civil_day(now);
    let mut tx = store.write().await?;
    if !tx.list_units().await?.is_empty() {
        return Err(ApiError::conflict(
            "数据库中已有数据，演示数据只能写入空数据库",
            "the database already holds data; the demo is only seeded into an empty one",
        ));
    }
    seed_organisation(&mut tx, now).await?;
    seed_people(&mut tx, today, now, &hash).await?;
    matters::seed(&mut tx, today, now).await?;
    carriers::seed(&mut tx, today, now).await?;
    devices::seed(&mut tx, today, now).await?;
    tx.append_audit(
        AuditDraft::new(now, Actor::System, "demo.seed")
            .detail(json!({ "people": PEOPLE.len(), "day": today.to_string() }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(accounts())
}

async fn seed_organisation(tx: &mut WriteTx, now: Timestamp) -> ApiResult<()> {
    let ministry = tx
        .create_unit(now, Actor::System, "国家某部", UnitTier::Central, None)
        .await?;
    let province = tx
        .create_unit(
            now,
            Actor::System,
            "某省某厅",
            UnitTier::Provincial,
            Some(ministry.id),
        )
        .await?;
    let bureau = tx
        .create_unit(
            now,
            Actor::System,
            "某市某局",
            UnitTier::Prefecture,
            Some(province.id),
        )
        .await?;
    if (ministry.id, province.id, bureau.id) != (UNIT_MINISTRY, UNIT_PROVINCE, UNIT_BUREAU) {
        return Err(ApiError::internal(&"demo units did not get ids 1, 2, 3"));
    }
    for (unit, name) in DEPARTMENTS {
        tx.create_department(now, Actor::System, unit, name).await?;
    }
    Ok(())
}

/// The demo department of `unit` called `name`.
pub fn department_id(unit: UnitId, name: &str) -> Option<DepartmentId> {
    DEPARTMENTS
        .iter()
        .position(|(u, n)| *u == unit && *n == name)
        .and_then(|i| i64::try_from(i).ok())
        .map(|i| DepartmentId(i + 1))
}

async fn seed_people(tx: &mut WriteTx, today: Date, now: Timestamp, hash: &str) -> ApiResult<()> {
    let year_start = Date::new(today.year(), 1, 1).unwrap_or(today);
    for (index, p) in PEOPLE.iter().enumerate() {
        let id = PersonId(i64::try_from(index).unwrap_or(0) + 1);
        let department = department_id(p.unit, p.department)
            .ok_or_else(|| ApiError::internal(&format!("no demo department {}", p.department)))?;
        let roles = RoleSet::new(p.roles.iter().copied()).map_err(|e| ApiError::internal(&e))?;
        // Training this year (R2.3): most are up to date; chen.jing is short.
        let minutes = if p.login == "chen.jing" { 120 } else { 960 };
        let training_day = year_start.max(today.checked_sub(40.days()).unwrap_or(today));
        let training = if p.category.is_some() {
            vec![
                TrainingRecord::new(id, training_day, minutes, "保密法律法规与保密常识")
                    .map_err(|e| ApiError::internal(&e))?,
            ]
        } else {
            Vec::new()
        };
        let (status, post_ends, detachment) = if p.login == "sun.li" {
            let left_on = today.checked_sub(60.days()).unwrap_or(today);
            let category = p.category.unwrap_or(Category::Important);
            let detachment = Detachment::new(
                id,
                category,
                left_on,
                category.detachment_months().start().to_owned(),
                None,
                &LeavingClearance {
                    carriers_held: BTreeSet::new(),
                    devices_held: BTreeSet::new(),
                    exit_commitment_signed: true,
                },
            )
            .map_err(|e| ApiError::internal(&e))?;
            (PersonStatus::InDetachment, Some(left_on), Some(detachment))
        } else {
            (PersonStatus::Active, None, None)
        };
        let person = Person {
            id,
            name: p.name.to_owned(),
            unit: p.unit,
            departments: [department].into_iter().collect(),
            post: p.post.to_owned(),
            category: p.category,
            post_ends,
            roles,
            approver_roles: p.approver_roles.iter().copied().collect(),
            training,
            commitment_signed_on: p
                .category
                .map(|_| today.checked_sub(400.days()).unwrap_or(today)),
            detachment,
            status,
        };
        if tx.next_record_id(baomi_store::RecordKind::Person).await? != id.0 {
            return Err(ApiError::internal(&"demo people did not get ids 1..12"));
        }
        insert(tx, &person, now).await?;
        tx.insert_account(&account_for(
            id,
            NewAccount {
                login: p.login.to_owned(),
                password_hash: hash.to_owned(),
                must_change: false,
                totp_secret: p.totp.map(str::to_owned),
            },
            now,
        ))
        .await?;
    }
    Ok(())
}
