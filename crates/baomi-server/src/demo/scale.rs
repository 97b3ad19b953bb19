//! `baomi demo --scale N`: the demo unit grown to a realistic size through the product's own
//! write path (issue 19, part 7) — on top of [`super::seed`], `N` more carriers in every state
//! of R3.10, `N/10` more matters, `N/50` more people in more departments, the approvals their
//! life cycles needed (decided, and some still pending), and an audit log that ends with at
//! least `10 N` entries.
//!
//! # Genuine records
//!
//! Nothing is written as raw SQL. People are [`Person`] records; matters are filed with
//! [`ProposalRecord::file`] and approved by the demo's own classifiers (their stored grants)
//! with [`ProposalRecord::approve`], then some are changed (R1.8) or declassified early (R1.9)
//! by the core; their inbox requests come from [`proposal_request`]. Carriers are registered
//! with [`Carrier::register`] and every later step — custody, loans and returns, transmission,
//! carrying out, repair, destruction, declassification, release — is [`Carrier::apply`] with the
//! approval the core asks for, recorded in the carrier's history exactly as the service records
//! it, with the audit entries the workflow writes (`approval.request`, `approval.approve`,
//! `carrier.<action>`). Every record goes in through [`ledger::insert`] / [`ledger::save`] and
//! every audit entry through [`WriteTx::append_audit_batch`], so the hash chain is the real one
//! (R13.2). The log is then filled up to `10 N` with entries of the kinds normal use writes
//! most (reads, lists, logins, reminders) about the records just written.
//!
//! # Fast and bounded
//!
//! A carrier's whole life is built in memory by the core and inserted once, in its final
//! state (the history holds every step), instead of an insert plus one update per step; records
//! go in a few thousand per [`WriteTx`] and audit entries in multi-row batches. Nothing holds
//! `N` records: every person, matter and carrier is a pure function of its index and a fixed
//! seed ([`Rng`]), so a carrier finds "its" matter by recomputing it, and two runs with the
//! same `N` (and day) build the same unit.
//!
//! # Who sees what
//!
//! About two thirds of the bureau's matters and carriers have the confidentiality office (li.na)
//! in their knowledge scope (R1.7), named or as a group of her department; the ministry's and
//! Top Secret ones are beyond her (R2.1: an important post reads up to Confidential). So li.na
//! sees a large share of the ledger, never all of it; the other demo users see their own share.

use super::{department_id, UNIT_BUREAU, UNIT_MINISTRY, UNIT_PROVINCE};
use crate::api::carriers::{
    audit_action, history_action, morning_of, status_code, with_approval, CarrierRecord,
    HistoryLine,
};
use crate::api::matters::{
    proposal_request, unit_directory, ClassifierGrant, MatterRecord, ProposalEntry,
};
use crate::approvals::{ApprovalRequest, ApprovalStatus, ApprovalStep, ApprovalSubject};
use crate::error::{ApiError, ApiResult};
use crate::ledger;
use crate::people::{Person, PersonStatus};
use baomi_core::access::{KnowledgeScope, RoleSet, ScopeGroup, ScopeHolder};
use baomi_core::audit::{Actor, AuditDraft, ObjectRef};
use baomi_core::carriers::{
    Approval, ApproverRole, Carrier, CarrierCommand, CarrierKind, CarrierMarking, CarrierNumber,
    CarrierRefusal, CarrierStatus, CarryDestination, DestructionMethod, Location, Registration,
    RepairArrangement, TransmissionChannel,
};
use baomi_core::determination::{
    ClassifiedMatter, Classifier, EarlyGround, MatterChange, MatterStatus, Proposal,
    ProposalRecord, SubjectArea, UnitDirectory,
};
use baomi_core::ids::{ApprovalId, CarrierId, DepartmentId, MatterId, PersonId};
use baomi_core::marks::{Level, Mark, Term};
use baomi_core::personnel::{Category, Detachment, LeavingClearance, TrainingRecord};
use baomi_store::{RecordKind, Store, WriteTx};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde_json::json;
use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::time::Instant;

/// The fixed seed: the same `N` builds the same unit.
const SEED: u64 = 0x6261_6f6d_6973_6361;

/// People per write transaction.
const PEOPLE_PER_TX: u64 = 5_000;
/// Matters per write transaction.
const MATTERS_PER_TX: u64 = 2_000;
/// Carriers per write transaction (with their approvals and audit entries).
const CARRIERS_PER_TX: u64 = 2_000;
/// Filler audit entries per write transaction in the final top-up.
const FILLER_PER_TX: u64 = 50_000;
/// Audit entries per [`WriteTx::append_audit_batch`] call.
const AUDIT_BATCH: usize = 4_096;

const ZHANG_WEI: PersonId = PersonId(1);
const LI_NA: PersonId = PersonId(2);
const WANG_FANG: PersonId = PersonId(3);
const LIU_YANG: PersonId = PersonId(4);
const CHEN_JING: PersonId = PersonId(5);
const SYSADMIN: PersonId = PersonId(8);
const HUANG_TAO: PersonId = PersonId(11);
const XU_MIN: PersonId = PersonId(12);

/// The demo people who take part in the scaled workflows, with their categories (demo/mod.rs);
/// the three administrators, the technician and the detached officer are left out.
const DEMO_ACTORS: [(PersonId, Category); 7] = [
    (ZHANG_WEI, Category::Core),
    (LI_NA, Category::Important),
    (WANG_FANG, Category::Important),
    (LIU_YANG, Category::Important),
    (CHEN_JING, Category::General),
    (HUANG_TAO, Category::Core),
    (XU_MIN, Category::Core),
];

/// Departments added to the bureau (the demo has 办公室, 保密办, 规划科, 信息中心).
const BUREAU_DEPARTMENTS: [&str; 8] = [
    "综合科",
    "建设管理科",
    "测绘地理信息科",
    "应急管理科",
    "财务科",
    "人事科",
    "档案室",
    "政策法规科",
];
/// Departments added to the ministry (the demo has 办公厅, 保密处, 综合司).
const MINISTRY_DEPARTMENTS: [&str; 2] = ["规划司", "科技司"];

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 32] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "志强", "海燕", "晓东", "雪",
    "鹏", "婷",
];
const POSTS: [&str; 6] = ["科员", "副科长", "科长", "主任科员", "工程师", "档案管理员"];

const PLACES: [&str; 10] = [
    "城东新区",
    "高新区",
    "滨江片区",
    "老城区",
    "北部新城",
    "临港产业园",
    "南湖片区",
    "西山生态区",
    "空港经济区",
    "中心城区",
];
/// Topics of matters and carriers, with the subject area and basis each is classified under.
const TOPICS: [(&str, &str, &str); 10] = [
    (
        "轨道交通线网规划",
        "城乡规划",
        "城乡建设保密事项范围 第3条 重大基础设施规划方案",
    ),
    (
        "综合管廊建设方案",
        "城乡规划",
        "城乡建设保密事项范围 第7条 重要地下管线数据",
    ),
    (
        "地下空间开发利用规划",
        "城乡规划",
        "城乡建设保密事项范围 第3条 重大基础设施规划方案",
    ),
    (
        "防汛应急物资储备布点",
        "应急管理",
        "应急管理保密事项范围 第2条 应急物资储备布局",
    ),
    (
        "重大项目选址论证",
        "城乡规划",
        "城乡建设保密事项范围 第5条 未公开的选址方案",
    ),
    (
        "基础测绘成果",
        "测绘地理信息",
        "测绘地理信息保密事项范围 第4条 未公开的测绘成果",
    ),
    (
        "水源地保护工程设计",
        "城乡规划",
        "城乡建设保密事项范围 第8条 重要设施结构设计",
    ),
    (
        "交通枢纽结构设计",
        "城乡规划",
        "城乡建设保密事项范围 第8条 重要设施结构设计",
    ),
    (
        "电力设施布局方案",
        "城乡规划",
        "城乡建设保密事项范围 第6条 重大项目可行性研究",
    ),
    (
        "保密检查情况分析",
        "保密管理",
        "本部门保密事项范围 第9条 保密检查中发现的重大问题",
    ),
];
const DOCUMENTS: [&str; 8] = [
    "（送审稿）",
    "（征求意见稿）",
    "实施方案",
    "评估报告",
    "技术方案",
    "工作要点",
    "汇报材料",
    "数据汇总",
];

/// Independent streams of the generator, one per kind of thing.
#[derive(Clone, Copy)]
enum Stream {
    Person = 1,
    Matter = 2,
    Carrier = 3,
    Filler = 4,
    Pending = 5,
}

/// A small deterministic generator (SplitMix64) seeded by stream and index: every person,
/// matter and carrier is a pure function of its index, whatever the chunking.
#[derive(Debug, Clone, Copy)]
struct Rng(u64);

impl Rng {
    fn of(stream: Stream, index: u64) -> Rng {
        Rng(SEED
            ^ (stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    /// Uniform in `lo..=hi` days (as i64).
    fn days(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi.saturating_sub(lo).max(0)).unwrap_or(0);
        lo.saturating_add(i64::try_from(self.below(span.saturating_add(1))).unwrap_or(0))
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (which is never empty here).
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let len = u64::try_from(items.len()).unwrap_or(0);
        let i = usize::try_from(self.below(len)).unwrap_or(0);
        items[i.min(items.len().saturating_sub(1))]
    }
}

/// What was built, for the caller to print.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScaleReport {
    /// People added.
    pub people: u64,
    /// Departments added.
    pub departments: u64,
    /// Matters added (classified through an approved proposal).
    pub matters: u64,
    /// Proposals added that still wait in the inbox.
    pub pending_proposals: u64,
    /// Carriers added.
    pub carriers: u64,
    /// Approval requests added (decided and pending).
    pub approvals: u64,
    /// Carrier approval requests still pending.
    pub pending_approvals: u64,
    /// The audit log's length at the end (demo entries included).
    pub audit_entries: u64,
    /// Seconds the build took.
    pub seconds: f64,
}

/// Where the build is, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// `people`, `matters`, `carriers` or `audit`.
    pub phase: &'static str,
    /// Done so far in this phase.
    pub done: u64,
    /// This phase's total.
    pub total: u64,
    /// Seconds since the build started.
    pub seconds: f64,
}

fn err(what: impl std::fmt::Display) -> ApiError {
    ApiError::internal(&format!("demo scale: {what}"))
}

fn day(today: Date, offset: i64) -> ApiResult<Date> {
    today.checked_add(offset.days()).map_err(err)
}

/// Everything the generators need: the organisation, who the scaled people and matters are,
/// the classifiers and the day.
struct Org {
    today: Date,
    now: Timestamp,
    /// The bureau's departments, the demo's first.
    bureau: Vec<DepartmentId>,
    /// The ministry's departments, the demo's first.
    ministry: Vec<DepartmentId>,
    /// The bureau's confidentiality office (li.na's department).
    office: DepartmentId,
    first_person: i64,
    people: u64,
    first_matter: i64,
    matters: u64,
    units: UnitDirectory,
    zhang_wei: Classifier,
    wang_fang: Classifier,
    huang_tao: Classifier,
}

/// A scaled person, as a function of their index.
struct PersonPlan {
    id: PersonId,
    ministry: bool,
    department: DepartmentId,
    category: Option<Category>,
    detached: bool,
    name: String,
    post: &'static str,
}

impl Org {
    fn departments(&self, ministry: bool) -> &[DepartmentId] {
        if ministry {
            &self.ministry
        } else {
            &self.bureau
        }
    }

    /// Person `k`: one in five at the ministry, spread over the departments round-robin.
    fn person(&self, k: u64) -> PersonPlan {
        let mut r = Rng::of(Stream::Person, k);
        let ministry = k % 5 == 4;
        let depts = self.departments(ministry);
        let len = u64::try_from(depts.len()).unwrap_or(1).max(1);
        let d = usize::try_from((k / 5) % len).unwrap_or(0);
        let category = match r.below(100) {
            0..=9 => Some(Category::Core),
            10..=44 => Some(Category::Important),
            45..=89 => Some(Category::General),
            _ => None,
        };
        let detached = category.is_some() && r.chance(2);
        let name = format!("{}{}", r.pick(&SURNAMES), r.pick(&GIVEN));
        PersonPlan {
            id: PersonId(self.first_person + i64::try_from(k).unwrap_or(0)),
            ministry,
            department: depts.get(d).copied().unwrap_or(self.office),
            category,
            detached,
            name,
            post: r.pick(&POSTS),
        }
    }

    /// A scaled person of department number `d` of the unit, if it has any.
    fn person_in(&self, ministry: bool, d: u64, r: &mut Rng) -> Option<PersonPlan> {
        let len = u64::try_from(self.departments(ministry).len())
            .unwrap_or(1)
            .max(1);
        let lane = if ministry { 4 } else { r.below(4) };
        let base = 5 * d + lane;
        if base >= self.people {
            return None;
        }
        let stride = 5 * len;
        let t = r.below((self.people - 1 - base) / stride + 1);
        Some(self.person(base + stride * t))
    }

    /// Any scaled person of the unit, if it has any.
    fn anyone(&self, ministry: bool, r: &mut Rng) -> Option<PersonPlan> {
        let len = u64::try_from(self.departments(ministry).len()).unwrap_or(1);
        let d = r.below(len);
        self.person_in(ministry, d, r)
            .or_else(|| self.person_in(ministry, 0, r))
    }

    /// The category of person `id` that counts today (none once they left their post).
    fn cleared(&self, id: PersonId, level: Level) -> bool {
        if let Some((_, c)) = DEMO_ACTORS.iter().find(|(p, _)| *p == id) {
            return c.covers(level);
        }
        let k = id.0 - self.first_person;
        if k < 0 || u64::try_from(k).unwrap_or(u64::MAX) >= self.people {
            return false;
        }
        let p = self.person(u64::try_from(k).unwrap_or(0));
        !p.detached && p.category.is_some_and(|c| c.covers(level))
    }

    /// A knowledge scope (R1.7) of the unit: a few of its people, demo people as they would
    /// be, the confidentiality office for about two bureau carriers in three, and now and then
    /// a department group.
    fn scope(&self, ministry: bool, r: &mut Rng, also: PersonId) -> KnowledgeScope {
        let mut persons = BTreeSet::from([also]);
        for _ in 0..r.below(4) + 1 {
            if let Some(p) = self.anyone(ministry, r) {
                persons.insert(p.id);
            }
        }
        let mut groups = Vec::new();
        if ministry {
            if r.chance(80) {
                persons.insert(HUANG_TAO);
            }
            if r.chance(90) {
                persons.insert(XU_MIN);
            }
        } else {
            for (who, percent) in [
                (ZHANG_WEI, 40),
                (WANG_FANG, 55),
                (LIU_YANG, 35),
                (CHEN_JING, 15),
            ] {
                if r.chance(percent) {
                    persons.insert(who);
                }
            }
            match r.below(100) {
                0..=59 => groups.push(ScopeGroup {
                    holder: ScopeHolder::Department(self.office),
                    persons: BTreeSet::from([LI_NA]),
                }),
                60..=69 => {
                    persons.insert(LI_NA);
                }
                _ => {}
            }
        }
        if r.chance(25) {
            let len = u64::try_from(self.departments(ministry).len()).unwrap_or(1);
            let d = r.below(len);
            let mut members = BTreeSet::new();
            for _ in 0..r.below(3) + 1 {
                if let Some(p) = self.person_in(ministry, d, r) {
                    members.insert(p.id);
                }
            }
            if let (false, Some(holder)) = (
                members.is_empty(),
                usize::try_from(d)
                    .ok()
                    .and_then(|d| self.departments(ministry).get(d)),
            ) {
                groups.push(ScopeGroup {
                    holder: ScopeHolder::Department(*holder),
                    persons: members,
                });
            }
        }
        KnowledgeScope { persons, groups }
    }
}

// ---------------------------------------------------------------------------------------------
// Matters
// ---------------------------------------------------------------------------------------------

/// A matter as built by the core from its plan.
struct BuiltMatter {
    proposal: ProposalRecord,
    matter: ClassifiedMatter,
    /// The later steps to audit (`matter.change`, `matter.declassify`).
    later: Vec<&'static str>,
    topic: usize,
}

fn make_title(r: &mut Rng, topic: usize) -> String {
    let (what, _, _) = TOPICS[topic % TOPICS.len()];
    format!("{}{}{}", r.pick(&PLACES), what, r.pick(&DOCUMENTS))
}

/// Matter `i`: one in ten at the ministry (up to Top Secret, decided by huang.tao), the rest
/// at the bureau (Secret or Confidential, decided by wang.fang or zhang.wei). Most stay in
/// force; some are changed (R1.8), declassified early (R1.9) or end within two months.
fn build_matter(org: &Org, i: u64) -> ApiResult<BuiltMatter> {
    let mut r = Rng::of(Stream::Matter, i);
    let ministry = i % 10 == 9;
    let topic = usize::try_from(r.below(u64::try_from(TOPICS.len()).unwrap_or(1))).unwrap_or(0);
    let (level, text) = if ministry {
        match r.below(10) {
            0..=3 => (Level::TopSecret, "绝密★"),
            4..=7 => (Level::Confidential, "机密★15年"),
            _ => (Level::Secret, "秘密★10年"),
        }
    } else {
        match r.below(10) {
            0..=6 => (Level::Secret, "秘密★5年"),
            _ => (Level::Confidential, "机密★10年"),
        }
    };
    let classifier = if ministry {
        &org.huang_tao
    } else if level == Level::Confidential && r.chance(30) {
        &org.zhang_wei
    } else {
        &org.wang_fang
    };
    let classified_ago = r.days(30, 1_500);
    let classified_on = day(org.today, -classified_ago)?;
    let fate = r.below(100);
    let mut mark = Mark::parse(text).map_err(err)?;
    if fate >= 97 {
        // Ends within two months: a reminder (R13.4) and a decision to come (R1.9).
        mark = Mark::new(
            level,
            Term::Until {
                date: day(org.today, r.days(5, 60))?,
            },
        )
        .map_err(err)?;
    }
    let proposer = org
        .anyone(ministry, &mut r)
        .map(|p| p.id)
        .filter(|p| *p != classifier.person)
        .unwrap_or(if ministry { XU_MIN } else { LIU_YANG });
    let (_, area, basis) = TOPICS[topic];
    let proposal = Proposal {
        title: make_title(&mut r, topic),
        mark,
        scope: org.scope(ministry, &mut r, proposer),
        basis: basis.to_owned(),
        subject_area: SubjectArea::new(area),
        proposer,
        unit: if ministry { UNIT_MINISTRY } else { UNIT_BUREAU },
        proposed_on: day(classified_on, -r.days(1, 10))?,
        period_override: None,
    };
    let mut record = ProposalRecord::file(proposal).map_err(err)?;
    let matter_id = MatterId(org.first_matter + i64::try_from(i).unwrap_or(0));
    let mut matter = record
        .approve(classifier, &org.units, matter_id, classified_on)
        .map_err(err)?;
    let mut later = Vec::new();
    if (85..91).contains(&fate) && classified_ago > 40 {
        matter
            .declassify_early(
                classifier,
                &org.units,
                EarlyGround::CatalogueChanged,
                day(org.today, -r.days(10, classified_ago - 20))?,
                "保密事项范围调整后不再属于国家秘密",
            )
            .map_err(err)?;
        later.push("matter.declassify");
    } else if (91..97).contains(&fate) && level != Level::Secret && classified_ago > 40 {
        let lower = if level == Level::TopSecret {
            Level::Confidential
        } else {
            Level::Secret
        };
        matter
            .change(
                classifier,
                &org.units,
                MatterChange {
                    level: Some(lower),
                    // R1.2: the lower level's longest period (the old one may exceed it).
                    term: Some(Term::Years {
                        years: if lower == Level::Secret { 10 } else { 20 },
                    }),
                    ..MatterChange::default()
                },
                day(org.today, -r.days(10, classified_ago - 20))?,
                "主要内容已公开，泄露后的危害明显降低，密级相应调整",
            )
            .map_err(err)?;
        later.push("matter.change");
    }
    Ok(BuiltMatter {
        proposal: record,
        matter,
        later,
        topic,
    })
}

/// Inserts matter `i` as the service would have: the proposal and its inbox request (then
/// decided), the matter, and the audit entries of filing, classifying and what came later.
async fn insert_matter(
    tx: &mut WriteTx,
    org: &Org,
    i: u64,
    proposal_id: i64,
    audit: &mut Vec<AuditDraft>,
) -> ApiResult<()> {
    let built = build_matter(org, i)?;
    let now = org.now;
    let m = &built.matter;
    let entry = ProposalEntry {
        id: proposal_id,
        record: built.proposal,
    };
    ledger::insert(tx, &entry, now).await?;
    let mut request = proposal_request(tx, &entry, now).await?;
    let p = entry.record.proposal();
    request.requested_at = morning_of(p.proposed_on);
    request.status = ApprovalStatus::Approved;
    request.steps.push(ApprovalStep {
        by: m.classifier(),
        role: None,
        at: morning_of(m.classified_on()),
        outcome: "approved".to_owned(),
        reason: p.basis.clone(),
    });
    ledger::save(tx, &request, 1, now).await?;
    let level = p.mark.level();
    let record = MatterRecord::new(m.clone(), org.today);
    ledger::insert(tx, &record, now).await?;
    let id = m.id();
    audit.push(
        AuditDraft::new(now, Actor::Person(p.proposer), "proposal.file")
            .on(ObjectRef::new("proposal", proposal_id))
            .detail(json!({ "approval": request.id, "demo": true }).to_string()),
    );
    audit.push(
        AuditDraft::new(now, Actor::Person(m.classifier()), "matter.classify")
            .on(ObjectRef::matter(id))
            .detail(
                json!({
                    "proposal": proposal_id,
                    "approval": request.id,
                    "level": level.code(),
                    "demo": true,
                })
                .to_string(),
            ),
    );
    for action in built.later {
        audit.push(
            AuditDraft::new(now, Actor::Person(m.classifier()), action)
                .on(ObjectRef::matter(id))
                .detail(json!({ "demo": true }).to_string()),
        );
    }
    Ok(())
}

/// A proposal still waiting for a classifier (R1.6), with its inbox request.
async fn insert_pending_proposal(
    tx: &mut WriteTx,
    org: &Org,
    k: u64,
    proposal_id: i64,
    audit: &mut Vec<AuditDraft>,
) -> ApiResult<()> {
    let mut r = Rng::of(Stream::Pending, k);
    let ministry = (k / 50) % 5 == 4;
    let topic = usize::try_from(r.below(u64::try_from(TOPICS.len()).unwrap_or(1))).unwrap_or(0);
    let (_, area, basis) = TOPICS[topic];
    let proposer = org
        .anyone(ministry, &mut r)
        .map(|p| p.id)
        .unwrap_or(if ministry { XU_MIN } else { LIU_YANG });
    let text = match (ministry, r.below(2)) {
        (true, 0) => "绝密★20年",
        (true, _) => "机密★15年",
        (false, 0) => "秘密★5年",
        (false, _) => "机密★10年",
    };
    let proposed_on = day(org.today, -r.days(0, 20))?;
    let proposal = Proposal {
        title: make_title(&mut r, topic),
        mark: Mark::parse(text).map_err(err)?,
        scope: org.scope(ministry, &mut r, proposer),
        basis: basis.to_owned(),
        subject_area: SubjectArea::new(area),
        proposer,
        unit: if ministry { UNIT_MINISTRY } else { UNIT_BUREAU },
        proposed_on,
        period_override: None,
    };
    let entry = ProposalEntry {
        id: proposal_id,
        record: ProposalRecord::file(proposal).map_err(err)?,
    };
    ledger::insert(tx, &entry, org.now).await?;
    let mut request = proposal_request(tx, &entry, org.now).await?;
    request.requested_at = morning_of(proposed_on);
    ledger::save(tx, &request, 1, org.now).await?;
    audit.push(
        AuditDraft::new(org.now, Actor::Person(proposer), "proposal.file")
            .on(ObjectRef::new("proposal", proposal_id))
            .detail(json!({ "approval": request.id, "demo": true }).to_string()),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Carriers
// ---------------------------------------------------------------------------------------------

/// One carrier's life, built by the core step by step: the record, the approval requests it
/// needed and the audit entries the workflow writes.
struct Life {
    record: CarrierRecord,
    requests: Vec<ApprovalRequest>,
    audit: Vec<AuditDraft>,
    pending: bool,
    now: Timestamp,
}

impl Life {
    fn carrier(&self) -> &Carrier {
        &self.record.carrier
    }

    fn status(&self) -> CarrierStatus {
        self.record.carrier.status()
    }

    fn changed_on(&self) -> Date {
        self.record.carrier.changed_on()
    }

    fn push_audit(&mut self, by: PersonId, action: &str, detail: serde_json::Value) {
        let id = self.record.carrier.id();
        self.audit.push(
            AuditDraft::new(self.now, Actor::Person(by), action)
                .on(ObjectRef::carrier(id))
                .detail(detail.to_string()),
        );
    }

    /// Applies `command` on `on` as `by` and records it (history line as the service writes
    /// it); `approval` is (request id, approver).
    fn apply(
        &mut self,
        command: CarrierCommand,
        on: Date,
        by: PersonId,
        approval: Option<(i64, PersonId)>,
    ) -> Result<(), CarrierRefusal> {
        let transition = self.record.carrier.apply(command, on)?;
        let action = history_action(transition.record.command.kind());
        self.record.carrier = transition.carrier;
        self.record.history.push(HistoryLine {
            at: morning_of(on),
            by: Some(by),
            action: action.to_owned(),
            transition: Some(transition.record),
            approval_request: approval.map(|a| a.0),
            approved_by: approval.map(|a| a.1),
            related: None,
        });
        Ok(())
    }

    /// A step that needs no approval, audited as `carrier.<action>`.
    fn step(&mut self, command: CarrierCommand, on: Date, by: PersonId) -> ApiResult<()> {
        let kind = command.kind();
        self.apply(command, on, by, None).map_err(err)?;
        let status = status_code(self.status());
        self.push_audit(
            by,
            &audit_action(kind),
            json!({ "status": status, "demo": true }),
        );
        Ok(())
    }

    /// A step approved through the inbox (as the demo's `approved_step`): the request with its
    /// chain, the approval in the command, and the audit entries of all three steps.
    #[allow(clippy::too_many_arguments)]
    fn approved(
        &mut self,
        command: CarrierCommand,
        on: Date,
        requester: PersonId,
        approver: PersonId,
        role: ApproverRole,
        request_id: i64,
    ) -> ApiResult<()> {
        let kind = command.kind();
        let needed = match self.carrier().apply(command.clone(), on) {
            Err(CarrierRefusal::ApprovalMissing { needed, .. }) => needed,
            Err(r) => return Err(err(r)),
            Ok(_) => vec![role],
        };
        let c = self.carrier();
        let request = ApprovalRequest {
            id: request_id,
            unit: c.unit(),
            subject: ApprovalSubject::Carrier {
                carrier: c.id().0,
                command: command.clone(),
            },
            title: format!(
                "{}（{}）：{} 第{}份",
                kind.zh(),
                kind.en(),
                c.number(),
                c.copy()
            ),
            level: c.level(),
            requested_by: requester,
            requested_at: morning_of(day(on, -1)?),
            reason: "工作需要".to_owned(),
            needed,
            status: ApprovalStatus::Approved,
            steps: vec![ApprovalStep {
                by: approver,
                role: Some(role),
                at: morning_of(on),
                outcome: "approved".to_owned(),
                reason: "同意".to_owned(),
            }],
        };
        let unit = c.unit();
        let carrier_id = c.id().0;
        self.requests.push(request);
        let approval_ref = ObjectRef::approval(ApprovalId(request_id));
        self.audit.push(
            AuditDraft::new(self.now, Actor::Person(requester), "approval.request")
                .on(approval_ref.clone())
                .detail(json!({ "carrier": carrier_id, "demo": true }).to_string()),
        );
        self.audit.push(
            AuditDraft::new(self.now, Actor::Person(approver), "approval.approve")
                .on(approval_ref)
                .detail(json!({ "role": role, "demo": true }).to_string()),
        );
        let approval = Approval {
            id: ApprovalId(request_id),
            by: approver,
            role,
            unit,
            on,
        };
        self.apply(
            with_approval(command, approval),
            on,
            requester,
            Some((request_id, approver)),
        )
        .map_err(err)?;
        let status = status_code(self.status());
        self.push_audit(
            approver,
            &audit_action(kind),
            json!({ "status": status, "approval_request": request_id, "demo": true }),
        );
        Ok(())
    }

    /// A request still waiting in the inbox (as `file_request` files it).
    fn pending(
        &mut self,
        command: CarrierCommand,
        today: Date,
        requester: PersonId,
        reason: &str,
        request_id: i64,
    ) -> ApiResult<()> {
        let c = self.carrier();
        let (needed, action) = match c.apply(command.clone(), today) {
            Err(CarrierRefusal::ApprovalMissing { needed, action }) => (needed, action),
            Err(r) => return Err(err(r)),
            Ok(_) => return Err(err("a pending command needs no approval")),
        };
        let request = ApprovalRequest {
            id: request_id,
            unit: c.unit(),
            subject: ApprovalSubject::Carrier {
                carrier: c.id().0,
                command,
            },
            title: format!(
                "{}（{}）：{} 第{}份",
                action.zh(),
                action.en(),
                c.number(),
                c.copy()
            ),
            level: c.level(),
            requested_by: requester,
            requested_at: self.now,
            reason: reason.to_owned(),
            needed,
            status: ApprovalStatus::Pending,
            steps: Vec::new(),
        };
        let detail = json!({
            "carrier": c.id().0,
            "action": history_action(action),
            "needed": request.needed,
            "rule": action.rule().0,
        });
        self.requests.push(request);
        self.audit.push(
            AuditDraft::new(self.now, Actor::Person(requester), "approval.request")
                .on(ObjectRef::approval(ApprovalId(request_id)))
                .detail(detail.to_string()),
        );
        self.pending = true;
        Ok(())
    }
}

fn loc(text: &str) -> ApiResult<Location> {
    Location::new(text).map_err(err)
}

const KINDS: [(CarrierKind, u64); 10] = [
    (CarrierKind::PaperDocument, 55),
    (CarrierKind::Drawing, 8),
    (CarrierKind::Book, 5),
    (CarrierKind::OpticalDisc, 8),
    (CarrierKind::UsbDisk, 10),
    (CarrierKind::PortableDrive, 4),
    (CarrierKind::HardDisk, 6),
    (CarrierKind::Tape, 1),
    (CarrierKind::Equipment, 2),
    (CarrierKind::Product, 1),
];

fn kind_of(r: &mut Rng) -> CarrierKind {
    let mut x = r.below(100);
    for (kind, weight) in KINDS {
        if x < weight {
            return kind;
        }
        x -= weight;
    }
    CarrierKind::PaperDocument
}

/// The final state a carrier's life aims at (most are simply kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Registered,
    InCustody,
    Lent,
    InTransit,
    CarriedOut,
    InRepair,
    Destroyed,
    Declassified,
    Released,
}

fn fate_of(r: &mut Rng, matter_declassified: bool) -> Fate {
    if matter_declassified {
        // R1.9/R3.10: the carriers of a declassified matter follow it (or were destroyed).
        return match r.below(10) {
            0..=4 => Fate::Declassified,
            5..=7 => Fate::Released,
            _ => Fate::Destroyed,
        };
    }
    match r.below(100) {
        0..=2 => Fate::Registered,
        3..=54 => Fate::InCustody,
        55..=62 => Fate::Lent,
        63..=64 => Fate::InTransit,
        65..=66 => Fate::CarriedOut,
        67..=68 => Fate::InRepair,
        69..=83 => Fate::Destroyed,
        84..=93 => Fate::Declassified,
        _ => Fate::Released,
    }
}

/// The people of a carrier's unit who act on it.
struct Cast {
    custodian: PersonId,
    head: PersonId,
    leader: PersonId,
    office: PersonId,
    location: &'static str,
}

fn cast(ministry: bool) -> Cast {
    if ministry {
        Cast {
            custodian: XU_MIN,
            head: HUANG_TAO,
            leader: XU_MIN,
            office: HUANG_TAO,
            location: "部保密室 A柜",
        }
    } else {
        Cast {
            custodian: LI_NA,
            head: ZHANG_WEI,
            leader: WANG_FANG,
            office: LI_NA,
            location: "保密室 1号保密柜",
        }
    }
}

/// Someone in `scope` (named directly) other than `not` who is cleared for `level` today.
fn cleared_in(
    org: &Org,
    scope: &KnowledgeScope,
    level: Level,
    not: &[PersonId],
    r: &mut Rng,
) -> Option<PersonId> {
    let candidates: Vec<PersonId> = scope
        .persons
        .iter()
        .copied()
        .filter(|p| !not.contains(p) && org.cleared(*p, level))
        .collect();
    if candidates.is_empty() {
        None
    } else {
        Some(r.pick(&candidates))
    }
}

/// Carrier `c` with its id, its whole life and the next free approval id.
fn build_carrier(org: &Org, c: u64, id: i64, next_approval: &mut i64) -> ApiResult<Life> {
    let mut r = Rng::of(Stream::Carrier, c);
    let today = org.today;
    let ministry = r.below(10) == 0;
    let who = cast(ministry);
    // Three carriers in five belong to a recorded matter of their unit.
    let matter = if org.matters > 0 && r.chance(60) {
        let i = if ministry {
            let count = org.matters / 10;
            (count > 0).then(|| 10 * r.below(count) + 9)
        } else {
            let i = r.below(org.matters);
            Some(if i % 10 == 9 { i - 1 } else { i })
        };
        i.map(|i| build_matter(org, i)).transpose()?
    } else {
        None
    };
    let matter_declassified_on = matter
        .as_ref()
        .and_then(|m| match m.matter.status_on(today) {
            MatterStatus::Declassified { on, .. } => Some(on),
            _ => None,
        });
    let (marking, scope, topic) = match &matter {
        Some(m) => (
            CarrierMarking::Mark(m.matter.mark().clone()),
            m.matter.scope().clone(),
            m.topic,
        ),
        None => {
            let level = if ministry {
                match r.below(10) {
                    0..=2 => Level::Secret,
                    3..=6 => Level::Confidential,
                    _ => Level::TopSecret,
                }
            } else {
                match r.below(20) {
                    0..=4 => Level::Internal,
                    5..=15 => Level::Secret,
                    _ => Level::Confidential,
                }
            };
            (
                CarrierMarking::Level(level),
                org.scope(ministry, &mut r, who.custodian),
                usize::try_from(r.below(u64::try_from(TOPICS.len()).unwrap_or(1))).unwrap_or(0),
            )
        }
    };
    let level = marking.level();
    let kind = kind_of(&mut r);
    let earliest = match &matter {
        Some(m) => m.matter.classified_on().max(day(today, -1_800)?),
        None => day(today, -1_800)?,
    };
    // A carrier of a declassified matter was made while the matter was still secret.
    let latest = matter_declassified_on.unwrap_or(today).max(earliest);
    let span = i64::from((latest - earliest).get_days());
    let registered_on = day(earliest, r.days(0, span.saturating_sub(45).max(0)))?;
    let title = match &matter {
        Some(m) => format!(
            "{}{}",
            m.matter.title(),
            r.pick(&["", "（印发稿）", "（汇报稿）", "附件"])
        ),
        None => make_title(&mut r, topic),
    };
    let year = registered_on.year();
    let prefix = if ministry { "部载" } else { "某局载" };
    let number = format!("{prefix}〔{year}〕{:07}号", c + 1);
    let registrant = if r.chance(70) {
        who.custodian
    } else {
        org.anyone(ministry, &mut r)
            .map(|p| p.id)
            .unwrap_or(who.custodian)
    };
    let carrier = Carrier::register(
        Registration {
            id: CarrierId(id),
            number: CarrierNumber::new(&number).map_err(err)?,
            copy: NonZeroU32::MIN,
            kind,
            marking,
            matter: matter.as_ref().map(|m| m.matter.id()),
            unit: if ministry { UNIT_MINISTRY } else { UNIT_BUREAU },
            title,
            holder: registrant,
            location: loc(who.location)?,
        },
        registered_on,
    )
    .map_err(err)?;
    let mut life = Life {
        record: CarrierRecord {
            carrier,
            scope,
            registered_by: registrant,
            registered_at: morning_of(registered_on),
            history: vec![HistoryLine {
                at: morning_of(registered_on),
                by: Some(registrant),
                action: "register".to_owned(),
                transition: None,
                approval_request: None,
                approved_by: None,
                related: None,
            }],
        },
        requests: Vec::new(),
        audit: Vec::new(),
        pending: false,
        now: org.now,
    };
    life.push_audit(
        registrant,
        "carrier.register",
        json!({ "number": number, "demo": true }),
    );
    let fate = fate_of(&mut r, matter_declassified_on.is_some());
    if fate == Fate::Registered {
        return Ok(life);
    }
    let take = |n: &mut i64| {
        let id = *n;
        *n += 1;
        id
    };
    life.step(
        CarrierCommand::TakeIntoCustody {
            holder: who.custodian,
            location: loc(who.location)?,
        },
        registered_on,
        who.custodian,
    )?;
    // The day the last step happens: recent for what is under way now, anywhere for the rest.
    let last = match fate {
        Fate::Lent | Fate::CarriedOut | Fate::InTransit | Fate::InRepair => {
            day(today, -r.days(1, 12))?
        }
        _ => day(latest, -r.days(1, span.min(600)))?,
    }
    .max(registered_on);
    // A loan that came back, for one carrier in three with the time for it (R3.4).
    let gap = (last - registered_on).get_days();
    if gap > 40 && r.chance(33) {
        if let Some(borrower) = cleared_in(
            org,
            &life.record.scope,
            level,
            &[who.head, who.custodian],
            &mut r,
        ) {
            let lent_on = day(registered_on, r.days(1, i64::from(gap) / 2))?;
            let back_on = day(lent_on, r.days(1, 14))?.min(last);
            let approver = if borrower == who.head {
                who.leader
            } else {
                who.head
            };
            let role = if approver == who.head {
                ApproverRole::UnitHead
            } else {
                ApproverRole::Leader
            };
            if approver != borrower {
                life.approved(
                    CarrierCommand::Lend {
                        to: borrower,
                        due: day(lent_on, 14)?,
                        approval: None,
                        borrower_cleared: true,
                    },
                    lent_on,
                    who.custodian,
                    approver,
                    role,
                    take(next_approval),
                )?;
                life.step(
                    CarrierCommand::Return {
                        received_by: who.custodian,
                        face_to_face: true,
                        inventory_matches: true,
                    },
                    back_on,
                    who.custodian,
                )?;
            }
        }
    }
    let on = last.max(life.changed_on());
    match fate {
        Fate::Registered | Fate::InCustody => {
            // Now and then a request waits in the inbox (R3.4, R3.6, R3.9).
            if r.chance(3) {
                pending_request(org, &mut life, &who, level, &mut r, take(next_approval))?;
            }
        }
        Fate::Lent => {
            let borrower = cleared_in(org, &life.record.scope, level, &[who.custodian], &mut r);
            let approver_pair = borrower.map(|b| {
                if b == who.head {
                    (who.leader, ApproverRole::Leader)
                } else {
                    (who.head, ApproverRole::UnitHead)
                }
            });
            if let (Some(borrower), Some((approver, role))) = (borrower, approver_pair) {
                if approver != borrower {
                    // One loan in six is overdue (R3.4, R13.4).
                    let (lent_on, due) = if r.chance(16) {
                        let lent_on = day(today, -r.days(20, 40))?.max(life.changed_on());
                        (lent_on, day(lent_on, 7)?.min(day(today, -1)?).max(lent_on))
                    } else {
                        (on, day(today, r.days(1, 30))?)
                    };
                    life.approved(
                        CarrierCommand::Lend {
                            to: borrower,
                            due,
                            approval: None,
                            borrower_cleared: true,
                        },
                        lent_on,
                        who.custodian,
                        approver,
                        role,
                        take(next_approval),
                    )?;
                }
            }
        }
        Fate::InTransit => {
            life.step(
                CarrierCommand::Transmit {
                    channel: TransmissionChannel::ConfidentialTransport,
                    to: UNIT_PROVINCE,
                },
                on,
                who.custodian,
            )?;
        }
        Fate::CarriedOut => {
            let bearer = cleared_in(
                org,
                &life.record.scope,
                level,
                &[who.head, who.custodian],
                &mut r,
            );
            if let Some(bearer) = bearer {
                let escort = if life.carrier().handling_level() == Level::TopSecret {
                    cleared_in(org, &life.record.scope, level, &[bearer], &mut r)
                } else {
                    None
                };
                if life.carrier().handling_level() != Level::TopSecret || escort.is_some() {
                    life.approved(
                        CarrierCommand::CarryOut {
                            by: bearer,
                            due: day(today, r.days(1, 5))?,
                            destination: CarryDestination::Domestic,
                            approvals: Vec::new(),
                            escort,
                            bearer_cleared: true,
                        },
                        on,
                        bearer,
                        who.head,
                        ApproverRole::UnitHead,
                        take(next_approval),
                    )?;
                }
            }
        }
        Fate::InRepair => {
            if matches!(kind, CarrierKind::Equipment | CarrierKind::Product) {
                // Sent out to a designated repairer, storage removed, with approval (R3.8).
                life.approved(
                    CarrierCommand::SendForRepair {
                        arrangement: RepairArrangement::SentOut {
                            repairer: "市涉密设备定点维修单位".to_owned(),
                            designation: Some(
                                "保密行政管理部门定点维修资质 第2026-07号".to_owned(),
                            ),
                            storage_removed: true,
                        },
                        approval: None,
                        requested_by: who.custodian,
                    },
                    on,
                    who.custodian,
                    who.leader_or_head(),
                    who.leader_or_head_role(),
                    take(next_approval),
                )?;
            } else if ministry {
                life.step(
                    CarrierCommand::SendForRepair {
                        arrangement: RepairArrangement::OnSite {
                            technician: "某信息技术有限公司 驻场工程师".to_owned(),
                            supervisor: XU_MIN,
                        },
                        approval: None,
                        requested_by: XU_MIN,
                    },
                    on,
                    XU_MIN,
                )?;
            } else {
                life.step(
                    CarrierCommand::SendForRepair {
                        arrangement: RepairArrangement::InHouse {
                            technician: SYSADMIN,
                        },
                        approval: None,
                        requested_by: LI_NA,
                    },
                    on,
                    LI_NA,
                )?;
            }
        }
        Fate::Destroyed => {
            let method = if r.chance(60) {
                DestructionMethod::DesignatedBody {
                    body: "市国家保密局涉密载体销毁中心".to_owned(),
                    packed: true,
                    transported_safely: true,
                    supervisor: Some(who.custodian),
                }
            } else {
                DestructionMethod::InHouse {
                    equipment: "碎纸机（符合国家保密标准）".to_owned(),
                    meets_national_standard: true,
                    operator: who.custodian,
                }
            };
            life.approved(
                CarrierCommand::Destroy {
                    method: Some(method),
                    approval: None,
                    requested_by: who.custodian,
                },
                on,
                who.custodian,
                who.leader_or_head(),
                who.leader_or_head_role(),
                take(next_approval),
            )?;
        }
        Fate::Declassified | Fate::Released => {
            // R1.9: marked on the matter's day, or on the next step after it if the carrier
            // was still on loan then.
            let matter_on = matter_declassified_on.unwrap_or(on).min(today);
            let declassified_on = matter_on.max(life.changed_on());
            life.step(
                CarrierCommand::Declassify {
                    matter_declassified_on: matter_on,
                },
                declassified_on,
                who.custodian,
            )?;
            if fate == Fate::Released {
                let released_on = day(declassified_on, r.days(1, 60))?.min(today);
                let requester = org
                    .anyone(ministry, &mut r)
                    .map(|p| p.id)
                    .filter(|p| *p != who.office)
                    .unwrap_or(if ministry { XU_MIN } else { LIU_YANG });
                life.approved(
                    CarrierCommand::Release {
                        approval: None,
                        requested_by: requester,
                    },
                    released_on,
                    requester,
                    who.office,
                    if ministry {
                        ApproverRole::UnitHead
                    } else {
                        ApproverRole::ConfidentialityOffice
                    },
                    take(next_approval),
                )?;
            }
        }
    }
    Ok(life)
}

impl Cast {
    /// Who approves destruction and sending out (R3.8, R3.9): the leader in charge, or the
    /// unit head where the leader is the custodian.
    fn leader_or_head(&self) -> PersonId {
        if self.leader == self.custodian {
            self.head
        } else {
            self.leader
        }
    }

    fn leader_or_head_role(&self) -> ApproverRole {
        if self.leader == self.custodian {
            ApproverRole::UnitHead
        } else {
            ApproverRole::Leader
        }
    }
}

/// A request for a carrier in custody that still waits for its approver.
fn pending_request(
    org: &Org,
    life: &mut Life,
    who: &Cast,
    level: Level,
    r: &mut Rng,
    request_id: i64,
) -> ApiResult<()> {
    if life.status() != CarrierStatus::InCustody {
        return Ok(());
    }
    let today = org.today;
    let scope = life.record.scope.clone();
    match r.below(10) {
        0..=4 => {
            // A destruction the confidentiality office (li.na) decides (R3.9).
            let requester = cleared_in(org, &scope, level, &[who.office], r).unwrap_or(who.head);
            life.pending(
                CarrierCommand::Destroy {
                    method: Some(DestructionMethod::DesignatedBody {
                        body: "市国家保密局涉密载体销毁中心".to_owned(),
                        packed: true,
                        transported_safely: true,
                        supervisor: Some(who.custodian),
                    }),
                    approval: None,
                    requested_by: requester,
                },
                today,
                requester,
                "已超过保存期限，申请销毁",
                request_id,
            )
        }
        5..=7 => match cleared_in(org, &scope, level, &[who.custodian, who.head], r) {
            Some(borrower) => life.pending(
                CarrierCommand::Lend {
                    to: borrower,
                    due: day(today, r.days(3, 30))?,
                    approval: None,
                    borrower_cleared: true,
                },
                today,
                who.custodian,
                "承办业务需查阅",
                request_id,
            ),
            None => Ok(()),
        },
        _ => match cleared_in(org, &scope, level, &[who.head], r) {
            Some(bearer) if life.carrier().handling_level() != Level::TopSecret => life.pending(
                CarrierCommand::CarryOut {
                    by: bearer,
                    due: day(today, r.days(1, 5))?,
                    destination: CarryDestination::Domestic,
                    approvals: Vec::new(),
                    escort: None,
                    bearer_cleared: true,
                },
                today,
                bearer,
                "外出汇报工作",
                request_id,
            ),
            _ => Ok(()),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Filler: the reads and lists normal use writes most
// ---------------------------------------------------------------------------------------------

/// Filler entry `k` about the carriers just written (`recent`: (id, level code)): reads, lists,
/// logins and reminders by demo and scaled people, with the details the service writes.
fn filler(org: &Org, k: u64, recent: &[(i64, &'static str)]) -> AuditDraft {
    let mut r = Rng::of(Stream::Filler, k);
    let actor = if r.chance(40) {
        LI_NA
    } else if r.chance(50) {
        r.pick(&DEMO_ACTORS).0
    } else {
        org.anyone(r.chance(10), &mut r)
            .map(|p| p.id)
            .unwrap_or(WANG_FANG)
    };
    let now = org.now;
    let (id, level) = if recent.is_empty() {
        (1, "secret")
    } else {
        r.pick(recent)
    };
    let draft = |action: &str| AuditDraft::new(now, Actor::Person(actor), action);
    match r.below(100) {
        0..=39 => draft("carrier.read")
            .on(ObjectRef::carrier(CarrierId(id)))
            .detail(json!({ "level": level }).to_string()),
        40..=59 => {
            let first = (id - 25).max(1);
            let ids: Vec<i64> = (first..first + 50).collect();
            draft("carrier.list").detail(crate::api::common::bounded_detail(
                json!({ "ids": ids, "total": 50 + r.below(5_000) }),
            ))
        }
        60..=69 => {
            let matter = org.first_matter + i64::try_from(r.below(org.matters.max(1))).unwrap_or(0);
            draft("matter.read")
                .on(ObjectRef::matter(MatterId(matter)))
                .detail(json!({ "level": "secret" }).to_string())
        }
        70..=77 => {
            draft("matter.list").detail(json!({ "ids": [], "total": r.below(500) }).to_string())
        }
        78..=84 => draft("reminders.list").detail(json!({ "count": r.below(40) }).to_string()),
        85..=89 => draft("approval.list")
            .detail(json!({ "box": "inbox", "total": r.below(60) }).to_string()),
        90..=94 => draft("auth.login")
            .on(ObjectRef::person(actor))
            .detail(json!({ "kind": "session" }).to_string()),
        _ => draft("person.read")
            .on(ObjectRef::person(actor))
            .detail(json!({}).to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// The build
// ---------------------------------------------------------------------------------------------

/// Appends `drafts` in batches; any draft the chain refuses is an error (nothing unaudited).
async fn flush(tx: &mut WriteTx, drafts: &mut Vec<AuditDraft>) -> ApiResult<()> {
    while !drafts.is_empty() {
        let rest = drafts.split_off(drafts.len().min(AUDIT_BATCH));
        let batch = std::mem::replace(drafts, rest);
        for result in tx.append_audit_batch(batch).await? {
            result?;
        }
    }
    Ok(())
}

async fn classifier(tx: &mut WriteTx, id: i64) -> ApiResult<Classifier> {
    ledger::load_for_update::<ClassifierGrant>(tx, id)
        .await?
        .map(|g| g.value.classifier)
        .ok_or_else(|| err(format!("no classifier grant {id}: seed the demo first")))
}

/// Grows the demo unit in `store` (already seeded with [`super::seed`]) by `n` carriers,
/// `n / 10` matters and `n / 50` people, as of `now`; see the module documentation. Refuses a
/// store without the demo or one already grown. `progress` is told after every transaction.
pub async fn seed(
    store: &Store,
    now: Timestamp,
    n: u64,
    mut progress: impl FnMut(Progress),
) -> ApiResult<ScaleReport> {
    let started = Instant::now();
    let seconds = || started.elapsed().as_secs_f64();
    let today = crate::state::civil_day(now);
    let mut report = ScaleReport::default();
    let people = n / 50;
    let matters = n / 10;

    // The organisation: the demo's units, more departments, the classifiers.
    let mut tx = store.write().await?;
    let units = tx.list_units().await?;
    if units.len() < 3 || tx.get_record(RecordKind::Classifier, 1).await?.is_none() {
        return Err(ApiError::conflict(
            "数据库中没有演示数据，先写入演示数据再扩充",
            "the database holds no demo unit; seed the demo before scaling it",
        ));
    }
    let existing = tx.list_departments(UNIT_BUREAU).await?;
    if existing.iter().any(|d| d.name == BUREAU_DEPARTMENTS[0]) {
        return Err(ApiError::conflict(
            "演示数据已经扩充过，只能扩充一次",
            "the demo unit has already been scaled; it is scaled only once",
        ));
    }
    for name in BUREAU_DEPARTMENTS {
        tx.create_department(now, Actor::System, UNIT_BUREAU, name)
            .await?;
        report.departments += 1;
    }
    for name in MINISTRY_DEPARTMENTS {
        tx.create_department(now, Actor::System, UNIT_MINISTRY, name)
            .await?;
        report.departments += 1;
    }
    let bureau = tx
        .list_departments(UNIT_BUREAU)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let ministry = tx
        .list_departments(UNIT_MINISTRY)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    let office = department_id(UNIT_BUREAU, "保密办").ok_or_else(|| err("no 保密办"))?;
    let org = Org {
        today,
        now,
        bureau,
        ministry,
        office,
        first_person: ledger::next_id::<Person>(&mut tx).await?,
        people,
        first_matter: ledger::next_id::<MatterRecord>(&mut tx).await?,
        matters,
        units: unit_directory(&mut tx).await?,
        zhang_wei: classifier(&mut tx, 1).await?,
        wang_fang: classifier(&mut tx, 2).await?,
        huang_tao: classifier(&mut tx, 3).await?,
    };
    tx.commit().await?;

    // People (R2): categories, departments, training, commitments; a few in detachment.
    let mut done = 0;
    while done < people {
        let mut tx = store.write().await?;
        let mut audit = Vec::new();
        let end = (done + PEOPLE_PER_TX).min(people);
        for k in done..end {
            let p = org.person(k);
            let mut r = Rng::of(Stream::Person, k ^ 0xFFFF);
            let joined = day(today, -r.days(200, 5_000))?;
            let training = match p.category {
                Some(_) => vec![TrainingRecord::new(
                    p.id,
                    day(today, -r.days(5, 300))?,
                    u32::try_from(r.days(240, 960)).unwrap_or(480),
                    "保密法律法规与保密常识",
                )
                .map_err(err)?],
                None => Vec::new(),
            };
            let (status, post_ends, detachment) = match (p.detached, p.category) {
                (true, Some(category)) => {
                    let left_on = day(today, -r.days(10, 150))?;
                    let detachment = Detachment::new(
                        p.id,
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
                    .map_err(err)?;
                    (PersonStatus::InDetachment, Some(left_on), Some(detachment))
                }
                _ => (PersonStatus::Active, None, None),
            };
            let person = Person {
                id: p.id,
                name: p.name,
                unit: if p.ministry {
                    UNIT_MINISTRY
                } else {
                    UNIT_BUREAU
                },
                departments: BTreeSet::from([p.department]),
                post: p.post.to_owned(),
                category: p.category,
                post_ends,
                roles: RoleSet::new([]).map_err(err)?,
                approver_roles: BTreeSet::new(),
                training,
                commitment_signed_on: p.category.map(|_| joined),
                detachment,
                status,
            };
            ledger::insert(&mut tx, &person, now).await?;
            let registrar = if p.ministry { XU_MIN } else { LI_NA };
            audit.push(
                AuditDraft::new(now, Actor::Person(registrar), "person.register")
                    .on(ObjectRef::person(p.id))
                    .detail(
                        json!({ "category": p.category.map(category_code), "demo": true })
                            .to_string(),
                    ),
            );
        }
        flush(&mut tx, &mut audit).await?;
        tx.commit().await?;
        report.people += end - done;
        done = end;
        progress(Progress {
            phase: "people",
            done,
            total: people,
            seconds: seconds(),
        });
    }

    // Matters (R1.4–R1.9) and, one in fifty, a proposal still pending (R1.6).
    let mut done = 0;
    while done < matters {
        let mut tx = store.write().await?;
        let mut audit = Vec::new();
        let end = (done + MATTERS_PER_TX).min(matters);
        let mut proposal_id = ledger::next_id::<ProposalEntry>(&mut tx).await?;
        for i in done..end {
            insert_matter(&mut tx, &org, i, proposal_id, &mut audit).await?;
            proposal_id += 1;
            report.approvals += 1;
            if i % 50 == 49 {
                insert_pending_proposal(&mut tx, &org, i, proposal_id, &mut audit).await?;
                proposal_id += 1;
                report.approvals += 1;
                report.pending_proposals += 1;
            }
        }
        flush(&mut tx, &mut audit).await?;
        tx.commit().await?;
        report.matters += end - done;
        done = end;
        progress(Progress {
            phase: "matters",
            done,
            total: matters,
            seconds: seconds(),
        });
    }

    // Carriers (R3), then filler up to ten audit entries per carrier as the chunks go.
    let target = n.saturating_mul(10);
    let base_seq = store.audit_head().await.seq;
    let mut filler_k: u64 = 0;
    let mut done = 0;
    while done < n {
        let mut tx = store.write().await?;
        let mut audit = Vec::new();
        let end = (done + CARRIERS_PER_TX).min(n);
        let mut id = ledger::next_id::<CarrierRecord>(&mut tx).await?;
        let mut next_approval = ledger::next_id::<ApprovalRequest>(&mut tx).await?;
        let mut recent = Vec::with_capacity(usize::try_from(end - done).unwrap_or(0));
        for c in done..end {
            let life = build_carrier(&org, c, id, &mut next_approval)?;
            recent.push((id, life.carrier().level().code()));
            for request in &life.requests {
                ledger::insert(&mut tx, request, now).await?;
                report.approvals += 1;
            }
            if life.pending {
                report.pending_approvals += 1;
            }
            ledger::insert(&mut tx, &life.record, now).await?;
            audit.extend(life.audit);
            id += 1;
        }
        flush(&mut tx, &mut audit).await?;
        // Keep the log's growth in step with the carriers: 10 entries per carrier so far.
        let written = tx.audit_head().seq.saturating_sub(base_seq);
        let want = target.saturating_mul(end) / n.max(1);
        for _ in written..want {
            audit.push(filler(&org, filler_k, &recent));
            filler_k += 1;
        }
        flush(&mut tx, &mut audit).await?;
        tx.commit().await?;
        report.carriers += end - done;
        done = end;
        progress(Progress {
            phase: "carriers",
            done,
            total: n,
            seconds: seconds(),
        });
    }

    // Top up: the whole log holds at least ten entries per carrier added.
    loop {
        let head = store.audit_head().await.seq;
        if head >= target {
            break;
        }
        let mut tx = store.write().await?;
        let count = (target - head).min(FILLER_PER_TX);
        let mut audit: Vec<AuditDraft> = (0..count)
            .map(|_| {
                filler_k += 1;
                filler(&org, filler_k, &[])
            })
            .collect();
        flush(&mut tx, &mut audit).await?;
        tx.commit().await?;
        progress(Progress {
            phase: "audit",
            done: head + count,
            total: target,
            seconds: seconds(),
        });
    }
    let mut tx = store.write().await?;
    tx.append_audit(
        AuditDraft::new(now, Actor::System, "demo.scale").detail(
            json!({
                "n": n,
                "people": report.people,
                "matters": report.matters,
                "carriers": report.carriers,
                "day": today.to_string(),
            })
            .to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    report.audit_entries = store.audit_head().await.seq;
    report.seconds = seconds();
    Ok(report)
}

fn category_code(c: Category) -> &'static str {
    match c {
        Category::Core => "core",
        Category::Important => "important",
        Category::General => "general",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use baomi_core::determination::{Unit as CoreUnit, UnitTier};

    /// The demo's organisation as the build sees it, without a database.
    fn org(today: Date, people: u64, matters: u64) -> Org {
        let unit = |id, tier, superior| CoreUnit {
            id,
            name: format!("unit {}", id.0),
            tier,
            superior,
            authorisations: Vec::new(),
        };
        Org {
            today,
            now: morning_of(today),
            bureau: (1..=4).chain(8..=15).map(DepartmentId).collect(),
            ministry: (5..=7).chain(16..=17).map(DepartmentId).collect(),
            office: DepartmentId(2),
            first_person: 13,
            people,
            first_matter: 10,
            matters,
            units: UnitDirectory::new([
                unit(UNIT_MINISTRY, UnitTier::Central, None),
                unit(UNIT_PROVINCE, UnitTier::Provincial, Some(UNIT_MINISTRY)),
                unit(UNIT_BUREAU, UnitTier::Prefecture, Some(UNIT_PROVINCE)),
            ]),
            zhang_wei: Classifier::head(
                ZHANG_WEI,
                UNIT_BUREAU,
                true,
                Some(day(today, 730).unwrap()),
            ),
            wang_fang: Classifier {
                person: WANG_FANG,
                unit: UNIT_BUREAU,
                highest_level: Level::Confidential,
                is_head: false,
                trained: true,
                certificate_expires: Some(day(today, 500).unwrap()),
            },
            huang_tao: Classifier::head(
                HUANG_TAO,
                UNIT_MINISTRY,
                true,
                Some(day(today, 1000).unwrap()),
            ),
        }
    }

    /// Every matter and carrier of a large N is accepted by the core on several days (a rare
    /// combination refused by a rule would stop a 1 M build after minutes): R1.2–R1.9,
    /// R3.2–R3.10.
    #[test]
    fn r3_10_every_planned_life_is_accepted_by_the_core() {
        for today in ["2026-03-02", "2026-12-07", "2028-02-29"] {
            let today: Date = today.parse().unwrap();
            let n = 40_000;
            let org = org(today, n / 50, n / 10);
            for i in 0..org.matters {
                build_matter(&org, i).unwrap_or_else(|e| panic!("matter {i} on {today}: {}", e.en));
            }
            let mut next = 1;
            let mut states = BTreeSet::new();
            for c in 0..n {
                let life = build_carrier(&org, c, 100 + i64::try_from(c).unwrap(), &mut next)
                    .unwrap_or_else(|e| panic!("carrier {c} on {today}: {}", e.en));
                states.insert(status_code(life.status()));
            }
            assert_eq!(states.len(), 9, "{states:?}");
        }
    }

    /// The same index builds the same thing (runs compare).
    #[test]
    fn the_build_is_deterministic() {
        let today: Date = "2026-03-02".parse().unwrap();
        let org = org(today, 200, 1_000);
        for c in [0, 7, 4_321] {
            let (mut a, mut b) = (1, 1);
            let x = build_carrier(&org, c, 50, &mut a).unwrap();
            let y = build_carrier(&org, c, 50, &mut b).unwrap();
            assert_eq!(x.record, y.record);
            assert_eq!(x.requests, y.requests);
            assert_eq!(a, b);
        }
    }
}
