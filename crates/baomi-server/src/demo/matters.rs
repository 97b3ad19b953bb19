//! Demo classifiers, authorisations, proposals, matters and escalations (R1.4–R1.10).
//!
//! Everything goes through the core as it would in use: proposals are filed with
//! `ProposalRecord::file` and approved by a classifier with `ProposalRecord::approve` on a day
//! in the past, then changed, declassified or reviewed by the core's methods. The result covers
//! every level and state:
//!
//! | id | unit | what |
//! |---|---|---|
//! | [`MATTER_RAIL_PLAN`] | 3 | 机密★10年, in force; chen.jing (general) is in its scope but may not read it (R2.1); zhao.lei is outside it (R1.7) |
//! | [`MATTER_SITE_OPTIONS`] | 3 | 秘密★5年, in force, readable by chen.jing |
//! | [`MATTER_ENDING_SOON`] | 3 | 秘密, period ends in 20 days (reminder, extension, R1.9) |
//! | [`MATTER_TERM_ENDED`] | 3 | 秘密, period ended 5 days ago, still stored as in force: the time-driven task declassifies it (R1.9) |
//! | [`MATTER_DECLASSIFIED_EARLY`] | 3 | declassified early after review 30 days ago (R1.9) |
//! | [`MATTER_CHANGED`] | 3 | classified 机密, changed to 秘密 60 days ago (R1.8) |
//! | [`MATTER_CONDITION`] | 3 | 机密, declassified when a condition is met (R1.9) |
//! | [`MATTER_TOP_SECRET`] | 1 | 绝密★30年 at the central ministry (R1.4) |
//! | [`MATTER_MINISTRY_CONFIDENTIAL`] | 1 | 机密★15年 at the ministry |
//!
//! Pending proposals ([`PROPOSAL_PENDING_SECRET`], [`PROPOSAL_PENDING_CONFIDENTIAL`],
//! [`PROPOSAL_PENDING_MINISTRY`]) wait in the approvals inbox; [`ESCALATION_UNCLEAR`] is an
//! unclear matter protected and not yet submitted, [`ESCALATION_SUBMITTED`] one with the
//! provincial department (R1.10).

use crate::api::matters::{
    proposal_request, unit_directory, AuthorisationRecord, ClassifierGrant, EscalationCase,
    EscalationRecord, MatterRecord, ProposalEntry,
};
use crate::approvals::{ApprovalStatus, ApprovalStep};
use crate::error::{ApiError, ApiResult};
use crate::ledger::{insert, save, Ledger};
use baomi_core::access::{KnowledgeScope, ScopeGroup, ScopeHolder};
use baomi_core::audit::{Actor, AuditDraft, ObjectRef};
use baomi_core::determination::{
    Authorisation, Classifier, EarlyGround, MatterChange, Proposal, ProposalRecord, SubjectArea,
    UnclearMatter, UnitDirectory,
};
use baomi_core::ids::{DepartmentId, MatterId, PersonId, UnitId};
use baomi_core::marks::{Level, Mark, Term};
use baomi_store::{RecordKind, WriteTx};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde_json::json;
use std::collections::BTreeSet;

use super::{department_id, UNIT_BUREAU, UNIT_MINISTRY, UNIT_PROVINCE};

/// 机密★10年 rail network plan of the bureau.
pub const MATTER_RAIL_PLAN: i64 = 1;
/// 秘密★5年 site options of the bureau.
pub const MATTER_SITE_OPTIONS: i64 = 2;
/// 秘密 until 20 days from the seeding day.
pub const MATTER_ENDING_SOON: i64 = 3;
/// 秘密 until 5 days before the seeding day, stored as in force.
pub const MATTER_TERM_ENDED: i64 = 4;
/// 秘密, declassified early 30 days ago.
pub const MATTER_DECLASSIFIED_EARLY: i64 = 5;
/// 机密 changed to 秘密 60 days ago.
pub const MATTER_CHANGED: i64 = 6;
/// 机密 with a declassification condition.
pub const MATTER_CONDITION: i64 = 7;
/// 绝密★ (30 years) at the ministry.
pub const MATTER_TOP_SECRET: i64 = 8;
/// 机密★15年 at the ministry.
pub const MATTER_MINISTRY_CONFIDENTIAL: i64 = 9;
/// A pending 秘密★5年 proposal of liu.yang (bureau).
pub const PROPOSAL_PENDING_SECRET: i64 = 10;
/// A pending 机密★10年 proposal of liu.yang (bureau).
pub const PROPOSAL_PENDING_CONFIDENTIAL: i64 = 11;
/// A pending 绝密★20年 proposal of xu.min (ministry).
pub const PROPOSAL_PENDING_MINISTRY: i64 = 12;
/// An unclear matter, protected, to be submitted.
pub const ESCALATION_UNCLEAR: i64 = 1;
/// An unclear matter submitted to the provincial department.
pub const ESCALATION_SUBMITTED: i64 = 2;

const ZHANG_WEI: PersonId = PersonId(1);
const LI_NA: PersonId = PersonId(2);
const WANG_FANG: PersonId = PersonId(3);
const LIU_YANG: PersonId = PersonId(4);
const CHEN_JING: PersonId = PersonId(5);
const HUANG_TAO: PersonId = PersonId(11);
const XU_MIN: PersonId = PersonId(12);

/// Which classifier decides a demo proposal.
#[derive(Clone, Copy)]
enum By {
    ZhangWei,
    WangFang,
    HuangTao,
}

/// What happens to a demo matter after approval.
#[derive(Clone)]
enum Then {
    Nothing,
    DeclassifyEarly {
        days_ago: i64,
        reason: &'static str,
    },
    Change {
        days_ago: i64,
        level: Level,
        reason: &'static str,
    },
    /// Stored as of this many days ago (before its period ended).
    StoredAsOf {
        days_ago: i64,
    },
}

struct DemoMatter {
    id: i64,
    unit: UnitId,
    proposer: PersonId,
    by: By,
    title: &'static str,
    mark: &'static str,
    /// Overrides `mark`'s period with a date this many days from today.
    until_in_days: Option<i64>,
    basis: &'static str,
    area: &'static str,
    persons: &'static [PersonId],
    /// Persons within the bureau's confidentiality office (department group, R1.7).
    office: &'static [PersonId],
    classified_days_ago: i64,
    then: Then,
}

fn day(today: Date, offset: i64) -> ApiResult<Date> {
    today
        .checked_add(offset.days())
        .map_err(|e| ApiError::internal(&format!("demo date: {e}")))
}

fn matters() -> Vec<DemoMatter> {
    vec![
        DemoMatter {
            id: MATTER_RAIL_PLAN,
            unit: UNIT_BUREAU,
            proposer: LIU_YANG,
            by: By::WangFang,
            title: "城市轨道交通线网规划（送审稿）",
            mark: "机密★10年",
            until_in_days: None,
            basis: "城乡建设保密事项范围 第3条 重大基础设施规划方案",
            area: "城乡规划",
            persons: &[ZHANG_WEI, WANG_FANG, LIU_YANG, CHEN_JING],
            office: &[LI_NA],
            classified_days_ago: 400,
            then: Then::Nothing,
        },
        DemoMatter {
            id: MATTER_SITE_OPTIONS,
            unit: UNIT_BUREAU,
            proposer: LIU_YANG,
            by: By::WangFang,
            title: "新建物流园区选址比选方案",
            mark: "秘密★5年",
            until_in_days: None,
            basis: "城乡建设保密事项范围 第5条 未公开的选址方案",
            area: "城乡规划",
            persons: &[WANG_FANG, LIU_YANG, CHEN_JING],
            office: &[],
            classified_days_ago: 200,
            then: Then::Nothing,
        },
        DemoMatter {
            id: MATTER_ENDING_SOON,
            unit: UNIT_BUREAU,
            proposer: LIU_YANG,
            by: By::WangFang,
            title: "防汛应急物资储备布点方案",
            mark: "秘密★1年",
            until_in_days: Some(20),
            basis: "应急管理保密事项范围 第2条 应急物资储备布局",
            area: "应急管理",
            persons: &[WANG_FANG, LIU_YANG],
            office: &[LI_NA],
            classified_days_ago: 300,
            then: Then::Nothing,
        },
        DemoMatter {
            id: MATTER_TERM_ENDED,
            unit: UNIT_BUREAU,
            proposer: LIU_YANG,
            by: By::WangFang,
            title: "城市更新项目前期测绘成果（第一批）",
            mark: "秘密★2年",
            until_in_days: Some(-5),
            basis: "测绘地理信息保密事项范围 第4条 未公开的测绘成果",
            area: "测绘地理信息",
            persons: &[WANG_FANG, LIU_YANG],
            office: &[],
            classified_days_ago: 700,
            then: Then::StoredAsOf { days_ago: 6 },
        },
        DemoMatter {
            id: MATTER_DECLASSIFIED_EARLY,
            unit: UNIT_BUREAU,
            proposer: LIU_YANG,
            by: By::WangFang,
            title: "老城区控制性详细规划（2019版）修编意见",
            mark: "秘密★10年",
            until_in_days: None,
            basis: "城乡建设保密事项范围 第3条 重大基础设施规划方案",
            area: "城乡规划",
            persons: &[WANG_FANG, LIU_YANG, CHEN_JING],
            office: &[],
            classified_days_ago: 1095,
            then: Then::DeclassifyEarly {
                days_ago: 30,
                reason: "规划已经市政府批准并向社会公布，保密事项范围调整后不再属于国家秘密",
            },
        },
        DemoMatter {
            id: MATTER_CHANGED,
            unit: UNIT_BUREAU,
            proposer: LIU_YANG,
            by: By::WangFang,
            title: "旧工业区改造可行性研究报告",
            mark: "机密★10年",
            until_in_days: None,
            basis: "城乡建设保密事项范围 第6条 重大项目可行性研究",
            area: "城乡规划",
            persons: &[ZHANG_WEI, WANG_FANG, LIU_YANG],
            office: &[],
            classified_days_ago: 500,
            then: Then::Change {
                days_ago: 60,
                level: Level::Secret,
                reason: "主要结论已在项目公示中公开，泄露后的危害明显降低，密级由机密调整为秘密",
            },
        },
        DemoMatter {
            id: MATTER_CONDITION,
            unit: UNIT_BUREAU,
            proposer: LIU_YANG,
            by: By::ZhangWei,
            title: "地铁三号线控制中心结构设计图纸",
            mark: "机密★三号线工程竣工验收后解密",
            until_in_days: None,
            basis: "城乡建设保密事项范围 第8条 重要设施结构设计",
            area: "城乡规划",
            persons: &[ZHANG_WEI, WANG_FANG, LIU_YANG],
            office: &[LI_NA],
            classified_days_ago: 150,
            then: Then::Nothing,
        },
        DemoMatter {
            id: MATTER_TOP_SECRET,
            unit: UNIT_MINISTRY,
            proposer: XU_MIN,
            by: By::HuangTao,
            title: "某国家专项工程总体技术方案",
            mark: "绝密★",
            until_in_days: None,
            basis: "本部门保密事项范围 第1条 国家专项工程总体方案",
            area: "国家专项工程",
            persons: &[HUANG_TAO, XU_MIN],
            office: &[],
            classified_days_ago: 100,
            then: Then::Nothing,
        },
        DemoMatter {
            id: MATTER_MINISTRY_CONFIDENTIAL,
            unit: UNIT_MINISTRY,
            proposer: XU_MIN,
            by: By::HuangTao,
            title: "部属单位年度保密检查情况汇总分析",
            mark: "机密★15年",
            until_in_days: None,
            basis: "本部门保密事项范围 第9条 保密检查中发现的重大问题",
            area: "保密管理",
            persons: &[HUANG_TAO, XU_MIN],
            office: &[],
            classified_days_ago: 250,
            then: Then::Nothing,
        },
    ]
}

struct PendingProposal {
    id: i64,
    unit: UnitId,
    proposer: PersonId,
    title: &'static str,
    mark: &'static str,
    basis: &'static str,
    area: &'static str,
    persons: &'static [PersonId],
    days_ago: i64,
}

const PENDING: [PendingProposal; 3] = [
    PendingProposal {
        id: PROPOSAL_PENDING_SECRET,
        unit: UNIT_BUREAU,
        proposer: LIU_YANG,
        title: "新区道路网络规划调整方案（征求意见稿）",
        mark: "秘密★5年",
        basis: "城乡建设保密事项范围 第3条 重大基础设施规划方案",
        area: "城乡规划",
        persons: &[WANG_FANG, LIU_YANG, CHEN_JING],
        days_ago: 2,
    },
    PendingProposal {
        id: PROPOSAL_PENDING_CONFIDENTIAL,
        unit: UNIT_BUREAU,
        proposer: LIU_YANG,
        title: "地下综合管廊普查数据汇总",
        mark: "机密★10年",
        basis: "城乡建设保密事项范围 第7条 重要地下管线数据",
        area: "城乡规划",
        persons: &[ZHANG_WEI, WANG_FANG, LIU_YANG],
        days_ago: 1,
    },
    PendingProposal {
        id: PROPOSAL_PENDING_MINISTRY,
        unit: UNIT_MINISTRY,
        proposer: XU_MIN,
        title: "某重大专项年度实施进展报告",
        mark: "绝密★20年",
        basis: "本部门保密事项范围 第1条 国家专项工程总体方案",
        area: "国家专项工程",
        persons: &[HUANG_TAO, XU_MIN],
        days_ago: 3,
    },
];

fn scope(persons: &[PersonId], office: &[PersonId]) -> ApiResult<KnowledgeScope> {
    let mut scope = KnowledgeScope::of_persons(persons.iter().copied());
    if !office.is_empty() {
        let department: DepartmentId = department_id(UNIT_BUREAU, "保密办")
            .ok_or_else(|| ApiError::internal(&"no demo department 保密办"))?;
        scope.groups.push(ScopeGroup {
            holder: ScopeHolder::Department(department),
            persons: office.iter().copied().collect(),
        });
    }
    Ok(scope)
}

fn mark(text: &str) -> ApiResult<Mark> {
    Mark::parse(text).map_err(|e| ApiError::internal(&format!("demo mark {text}: {e}")))
}

fn core<T>(what: &str, result: Result<T, baomi_core::determination::Refusal>) -> ApiResult<T> {
    result.map_err(|r| ApiError::internal(&format!("demo {what}: {r}")))
}

/// Nine in the morning, Beijing time, on `day` (when demo steps happened).
fn morning(day: Date) -> ApiResult<Timestamp> {
    day.at(9, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
        .map(|z| z.timestamp())
        .map_err(|e| ApiError::internal(&e))
}

async fn insert_checked<T: Ledger>(tx: &mut WriteTx, value: &T, now: Timestamp) -> ApiResult<()> {
    let expected = tx.next_record_id(T::KIND).await?;
    if expected != value.record_id() {
        return Err(ApiError::internal(&format!(
            "demo {} {} would not get its fixed id (next is {expected})",
            T::KIND.as_str(),
            value.record_id()
        )));
    }
    insert(tx, value, now).await
}

/// Seeds the classifier grants (ids 1–3 for zhang.wei, wang.fang, huang.tao, unless present),
/// a withdrawn authorisation of the bureau, the matters, the pending proposals with their
/// inbox requests and two unclear matters. Expects the units, departments and people of the
/// demo (ids as in `demo::PEOPLE`).
pub async fn seed(tx: &mut WriteTx, today: Date, now: Timestamp) -> ApiResult<()> {
    let grants = [
        Classifier::head(ZHANG_WEI, UNIT_BUREAU, true, Some(day(today, 730)?)),
        Classifier {
            person: WANG_FANG,
            unit: UNIT_BUREAU,
            highest_level: Level::Confidential,
            is_head: false,
            trained: true,
            certificate_expires: Some(day(today, 500)?),
        },
        Classifier::head(HUANG_TAO, UNIT_MINISTRY, true, Some(day(today, 1000)?)),
    ];
    for (index, classifier) in grants.iter().enumerate() {
        let id = i64::try_from(index).unwrap_or(0) + 1;
        if tx.get_record(RecordKind::Classifier, id).await?.is_none() {
            let grant = ClassifierGrant {
                id,
                classifier: classifier.clone(),
            };
            insert(tx, &grant, now).await?;
            tx.append_audit(
                AuditDraft::new(now, Actor::System, "classifier.grant")
                    .on(ObjectRef::person(classifier.person))
                    .detail(
                        json!({
                            "grant": id,
                            "unit": classifier.unit.0,
                            "highest_level": classifier.highest_level.code(),
                            "is_head": classifier.is_head,
                            "demo": true,
                        })
                        .to_string(),
                    ),
            )
            .await?;
        }
    }
    let [zhang_wei, wang_fang, huang_tao] = grants;
    let classifier_of = |by: By| match by {
        By::ZhangWei => zhang_wei.clone(),
        By::WangFang => wang_fang.clone(),
        By::HuangTao => huang_tao.clone(),
    };

    // R1.4: the province once authorised the bureau for Top Secret in civil-defence works;
    // withdrawn a year ago, kept for the record.
    if tx.next_record_id(RecordKind::Authorisation).await? == 1 {
        let record = AuthorisationRecord {
            id: 1,
            unit: UNIT_BUREAU,
            authorisation: Authorisation {
                granted_by: UNIT_PROVINCE,
                highest_level: Level::TopSecret,
                subject_areas: BTreeSet::from([SubjectArea::new("人民防空工程")]),
                granted_on: day(today, -1100)?,
                withdrawn_on: Some(day(today, -365)?),
            },
        };
        insert(tx, &record, now).await?;
        tx.append_audit(
            AuditDraft::new(now, Actor::System, "authorisation.grant")
                .on(ObjectRef::new("authorisation", 1))
                .detail(json!({ "unit": UNIT_BUREAU.0, "demo": true }).to_string()),
        )
        .await?;
    }
    let units = unit_directory(tx).await?;

    for m in matters() {
        seed_matter(tx, &units, &m, classifier_of(m.by), today, now).await?;
    }
    for p in &PENDING {
        let proposal = Proposal {
            title: p.title.to_owned(),
            mark: mark(p.mark)?,
            scope: scope(p.persons, &[])?,
            basis: p.basis.to_owned(),
            subject_area: SubjectArea::new(p.area),
            proposer: p.proposer,
            unit: p.unit,
            proposed_on: day(today, -p.days_ago)?,
            period_override: None,
        };
        let entry = ProposalEntry {
            id: p.id,
            record: core("proposal", ProposalRecord::file(proposal))?,
        };
        insert_checked(tx, &entry, now).await?;
        let mut request = proposal_request(tx, &entry, now).await?;
        request.requested_at = morning(day(today, -p.days_ago)?)?;
        let version = tx
            .get_record(RecordKind::Approval, request.id)
            .await?
            .map_or(1, |r| r.version);
        save(tx, &request, version, now).await?;
        tx.append_audit(
            AuditDraft::new(now, Actor::Person(p.proposer), "proposal.file")
                .on(ObjectRef::new("proposal", p.id))
                .detail(json!({ "approval": request.id, "demo": true }).to_string()),
        )
        .await?;
    }
    seed_escalations(tx, today, now).await
}

async fn seed_matter(
    tx: &mut WriteTx,
    units: &UnitDirectory,
    m: &DemoMatter,
    classifier: Classifier,
    today: Date,
    now: Timestamp,
) -> ApiResult<()> {
    let classified_on = day(today, -m.classified_days_ago)?;
    let proposed_on = day(classified_on, -3)?;
    let mut the_mark = mark(m.mark)?;
    if let Some(offset) = m.until_in_days {
        the_mark = Mark::new(
            the_mark.level(),
            Term::Until {
                date: day(today, offset)?,
            },
        )
        .map_err(|e| ApiError::internal(&e))?;
    }
    let proposal = Proposal {
        title: m.title.to_owned(),
        mark: the_mark,
        scope: scope(m.persons, m.office)?,
        basis: m.basis.to_owned(),
        subject_area: SubjectArea::new(m.area),
        proposer: m.proposer,
        unit: m.unit,
        proposed_on,
        period_override: None,
    };
    let mut record = core("proposal", ProposalRecord::file(proposal))?;
    let mut matter = core(
        "approval",
        record.approve(&classifier, units, MatterId(m.id), classified_on),
    )?;
    let mut as_of = today;
    let mut later = Vec::new();
    match &m.then {
        Then::Nothing => {}
        Then::StoredAsOf { days_ago } => as_of = day(today, -days_ago)?,
        Then::DeclassifyEarly { days_ago, reason } => {
            core(
                "declassification",
                matter.declassify_early(
                    &classifier,
                    units,
                    EarlyGround::CatalogueChanged,
                    day(today, -days_ago)?,
                    reason,
                ),
            )?;
            later.push("matter.declassify");
        }
        Then::Change {
            days_ago,
            level,
            reason,
        } => {
            let change = MatterChange {
                level: Some(*level),
                ..MatterChange::default()
            };
            core(
                "change",
                matter.change(&classifier, units, change, day(today, -days_ago)?, reason),
            )?;
            later.push("matter.change");
        }
    }
    let entry = ProposalEntry { id: m.id, record };
    insert_checked(tx, &entry, now).await?;
    let mut request = proposal_request(tx, &entry, now).await?;
    request.requested_at = morning(proposed_on)?;
    request.status = ApprovalStatus::Approved;
    request.steps.push(ApprovalStep {
        by: classifier.person,
        role: None,
        at: morning(classified_on)?,
        outcome: "approved".to_owned(),
        reason: m.basis.to_owned(),
    });
    let version = tx
        .get_record(RecordKind::Approval, request.id)
        .await?
        .map_or(1, |r| r.version);
    save(tx, &request, version, now).await?;
    let level = matter.mark().level();
    let record = MatterRecord::new(matter, as_of);
    insert_checked(tx, &record, now).await?;
    let actor = Actor::Person(classifier.person);
    tx.append_audit(
        AuditDraft::new(now, Actor::Person(m.proposer), "proposal.file")
            .on(ObjectRef::new("proposal", m.id))
            .detail(json!({ "approval": request.id, "demo": true }).to_string()),
    )
    .await?;
    tx.append_audit(
        AuditDraft::new(now, actor, "matter.classify")
            .on(ObjectRef::matter(MatterId(m.id)))
            .detail(
                json!({
                    "proposal": m.id,
                    "approval": request.id,
                    "level": level.code(),
                    "demo": true,
                })
                .to_string(),
            ),
    )
    .await?;
    for action in later {
        tx.append_audit(
            AuditDraft::new(now, actor, action)
                .on(ObjectRef::matter(MatterId(m.id)))
                .detail(json!({ "demo": true }).to_string()),
        )
        .await?;
    }
    Ok(())
}

async fn seed_escalations(tx: &mut WriteTx, today: Date, now: Timestamp) -> ApiResult<()> {
    let cases = [
        (
            ESCALATION_UNCLEAR,
            "新型防渗材料现场试验数据",
            "机密★10年",
            4,
            "保密事项范围未列明此类试验数据，先行按机密级保护，报省级保密行政管理部门确定",
            None,
        ),
        (
            ESCALATION_SUBMITTED,
            "城市地下空间资源普查技术路线",
            "秘密★5年",
            20,
            "不明确是否属于国家秘密，先行按秘密级保护并报请确定",
            Some(15),
        ),
    ];
    for (id, title, text, days_ago, reason, submitted_days_ago) in cases {
        let opened = day(today, -days_ago)?;
        let proposal = Proposal {
            title: title.to_owned(),
            mark: mark(text)?,
            scope: scope(&[WANG_FANG, LIU_YANG], &[LI_NA])?,
            basis: "保密事项范围未明确列举（不明确事项）".to_owned(),
            subject_area: SubjectArea::new("城乡规划"),
            proposer: LIU_YANG,
            unit: UNIT_BUREAU,
            proposed_on: opened,
            period_override: None,
        };
        let mut unclear = core(
            "unclear matter",
            UnclearMatter::open(proposal, LIU_YANG, opened, reason),
        )?;
        if let Some(ago) = submitted_days_ago {
            core(
                "submission",
                unclear.submit(LI_NA, day(today, -ago)?, "按程序报省级保密行政管理部门确定"),
            )?;
        }
        let record = EscalationRecord {
            id,
            unit: UNIT_BUREAU,
            opened_by: LIU_YANG,
            title: title.to_owned(),
            level: unclear.proposal().mark.level(),
            case: EscalationCase::Unclear(unclear),
        };
        insert_checked(tx, &record, now).await?;
        tx.append_audit(
            AuditDraft::new(now, Actor::Person(LIU_YANG), "escalation.open")
                .on(ObjectRef::new("escalation", id))
                .detail(json!({ "kind": "unclear", "demo": true }).to_string()),
        )
        .await?;
    }
    Ok(())
}
