//! Demo carriers (R3): a carrier in every state of R3.10, some of them carriers of the demo
//! matters, a copy (R1.11), pending approval requests (a lend waiting for a leader, a Secret
//! carry-out waiting for the unit head, a destruction waiting for approval) and one closed
//! inventory round with discrepancies (R3.7).
//!
//! Everything goes through the core ([`Carrier::register`], [`Carrier::apply`],
//! [`Carrier::copy_of`]) with the approvals the rules need, dated in the past relative to the
//! seeding day; each change is audited like the service would audit it.

use crate::api::carriers::{
    apply_recorded, close_round, file_request, insert_record, morning_of, start_round,
    with_approval, CarrierRecord, HistoryLine, ObservationLine,
};
use crate::approvals::{ApprovalRequest, ApprovalStatus, ApprovalStep, ApprovalSubject};
use crate::demo::{UNIT_BUREAU, UNIT_MINISTRY, UNIT_PROVINCE};
use crate::error::{ApiError, ApiResult};
use crate::ledger::{self, Loaded};
use baomi_core::access::KnowledgeScope;
use baomi_core::audit::{Actor, AuditDraft, ObjectRef};
use baomi_core::carriers::{
    Approval, ApproverRole, Carrier, CarrierCommand, CarrierKey, CarrierKind, CarrierMarking,
    CarrierNumber, CarrierRefusal, CarrierStatus, CarryDestination, DestructionMethod, Location,
    NewCopy, Observation, Registration, RepairArrangement, TransmissionChannel,
};
use baomi_core::determination::{ClassifiedMatter, MatterStatus, Unit as CoreUnit, UnitDirectory};
use baomi_core::ids::{ApprovalId, CarrierId, PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_store::{RecordFilter, RecordKind, RecordOrder, WriteTx};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::Deserialize;
use serde_json::json;
use std::num::NonZeroU32;

const ZHANG_WEI: PersonId = PersonId(1);
const LI_NA: PersonId = PersonId(2);
const WANG_FANG: PersonId = PersonId(3);
const LIU_YANG: PersonId = PersonId(4);
const CHEN_JING: PersonId = PersonId(5);
const SYSADMIN: PersonId = PersonId(8);
const XU_MIN: PersonId = PersonId(12);
const HUANG_TAO: PersonId = PersonId(11);

const CABINET_1: &str = "保密室 1号保密柜";
const CABINET_2: &str = "保密室 2号保密柜";

/// The matter field of a stored matter record (the matters module's `MatterRecord`).
#[derive(Deserialize)]
struct StoredMatter {
    matter: ClassifiedMatter,
}

fn err(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(&format!("demo carriers: {e}"))
}

fn refused(r: CarrierRefusal) -> ApiError {
    err(r)
}

/// `n` days before `today`.
fn ago(today: Date, n: i64) -> Date {
    today.checked_sub(n.days()).unwrap_or(today)
}

/// `n` days after `today`.
fn ahead(today: Date, n: i64) -> Date {
    today.checked_add(n.days()).unwrap_or(today)
}

fn loc(text: &str) -> ApiResult<Location> {
    Location::new(text).map_err(refused)
}

fn bureau_scope() -> KnowledgeScope {
    KnowledgeScope::of_persons([ZHANG_WEI, LI_NA, WANG_FANG, LIU_YANG, CHEN_JING])
}

async fn audit(
    tx: &mut WriteTx,
    now: Timestamp,
    by: PersonId,
    action: &str,
    id: i64,
    detail: serde_json::Value,
) -> ApiResult<()> {
    tx.append_audit(
        AuditDraft::new(now, Actor::Person(by), action)
            .on(ObjectRef::carrier(CarrierId(id)))
            .detail(detail.to_string()),
    )
    .await?;
    Ok(())
}

/// What a demo carrier is registered with.
struct Spec<'a> {
    number: &'a str,
    kind: CarrierKind,
    level: Level,
    title: &'a str,
    matter: Option<&'a ClassifiedMatter>,
    unit: UnitId,
    registrant: PersonId,
    location: &'a str,
    on: Date,
}

/// A bureau carrier registered by the confidentiality officer in cabinet 1.
fn spec<'a>(
    number: &'a str,
    kind: CarrierKind,
    level: Level,
    title: &'a str,
    on: Date,
) -> Spec<'a> {
    Spec {
        number,
        kind,
        level,
        title,
        matter: None,
        unit: UNIT_BUREAU,
        registrant: LI_NA,
        location: CABINET_1,
        on,
    }
}

/// Registers a carrier and, unless it stays registered, signs it into custody the same day.
async fn register(
    tx: &mut WriteTx,
    spec: Spec<'_>,
    custody: bool,
    now: Timestamp,
) -> ApiResult<i64> {
    let id = ledger::next_id::<CarrierRecord>(tx).await?;
    let (marking, scope) = match spec.matter {
        Some(m) => (CarrierMarking::Mark(m.mark().clone()), m.scope().clone()),
        None if spec.unit == UNIT_MINISTRY => (
            CarrierMarking::Level(spec.level),
            KnowledgeScope::of_persons([HUANG_TAO, XU_MIN]),
        ),
        None => (CarrierMarking::Level(spec.level), bureau_scope()),
    };
    let carrier = Carrier::register(
        Registration {
            id: CarrierId(id),
            number: CarrierNumber::new(spec.number).map_err(refused)?,
            copy: NonZeroU32::MIN,
            kind: spec.kind,
            marking,
            matter: spec.matter.map(ClassifiedMatter::id),
            unit: spec.unit,
            title: spec.title.to_owned(),
            holder: spec.registrant,
            location: loc(spec.location)?,
        },
        spec.on,
    )
    .map_err(refused)?;
    let record = CarrierRecord {
        carrier,
        scope,
        registered_by: spec.registrant,
        registered_at: morning_of(spec.on),
        history: vec![HistoryLine {
            at: morning_of(spec.on),
            by: Some(spec.registrant),
            action: "register".to_owned(),
            transition: None,
            approval_request: None,
            approved_by: None,
            related: None,
        }],
    };
    insert_record(tx, &record, now).await?;
    audit(
        tx,
        now,
        spec.registrant,
        "carrier.register",
        id,
        json!({ "number": spec.number, "demo": true }),
    )
    .await?;
    if custody {
        let holder = if spec.unit == UNIT_MINISTRY {
            XU_MIN
        } else {
            LI_NA
        };
        let location = if spec.unit == UNIT_MINISTRY {
            "部保密室 A柜"
        } else {
            spec.location
        };
        step(
            tx,
            id,
            CarrierCommand::TakeIntoCustody {
                holder,
                location: loc(location)?,
            },
            spec.on,
            holder,
            now,
        )
        .await?;
    }
    Ok(id)
}

/// A transition that needs no approval.
async fn step(
    tx: &mut WriteTx,
    id: i64,
    command: CarrierCommand,
    on: Date,
    by: PersonId,
    now: Timestamp,
) -> ApiResult<()> {
    let kind = command.kind();
    let record = apply_recorded(tx, id, command, on, by, None).await?;
    audit(
        tx,
        now,
        by,
        &crate::api::carriers::audit_action(kind),
        id,
        json!({ "status": crate::api::carriers::status_code(record.carrier.status()), "demo": true }),
    )
    .await
}

/// A transition approved through the inbox: the request (approved, with its chain), the
/// approval in the command, and the audit entries of all three steps.
#[allow(clippy::too_many_arguments)]
async fn approved_step(
    tx: &mut WriteTx,
    id: i64,
    command: CarrierCommand,
    on: Date,
    requester: PersonId,
    approver: PersonId,
    role: ApproverRole,
    now: Timestamp,
) -> ApiResult<()> {
    let Some(loaded) = ledger::load_for_update::<CarrierRecord>(tx, id).await? else {
        return Err(err("no such carrier"));
    };
    let carrier = loaded.value.carrier;
    let kind = command.kind();
    let needed = match carrier.apply(command.clone(), on) {
        Err(CarrierRefusal::ApprovalMissing { needed, .. }) => needed,
        Err(r) => return Err(refused(r)),
        Ok(_) => vec![role],
    };
    let request_id = ledger::next_id::<ApprovalRequest>(tx).await?;
    let request = ApprovalRequest {
        id: request_id,
        unit: carrier.unit(),
        subject: ApprovalSubject::Carrier {
            carrier: id,
            command: command.clone(),
        },
        title: format!(
            "{}（{}）：{} 第{}份",
            kind.zh(),
            kind.en(),
            carrier.number(),
            carrier.copy()
        ),
        level: carrier.level(),
        requested_by: requester,
        requested_at: morning_of(ago(on, 1)),
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
    ledger::insert(tx, &request, now).await?;
    tx.append_audit(
        AuditDraft::new(now, Actor::Person(requester), "approval.request")
            .on(ObjectRef::approval(ApprovalId(request_id)))
            .detail(json!({ "carrier": id, "demo": true }).to_string()),
    )
    .await?;
    tx.append_audit(
        AuditDraft::new(now, Actor::Person(approver), "approval.approve")
            .on(ObjectRef::approval(ApprovalId(request_id)))
            .detail(json!({ "role": role, "demo": true }).to_string()),
    )
    .await?;
    let approval = Approval {
        id: ApprovalId(request_id),
        by: approver,
        role,
        unit: carrier.unit(),
        on,
    };
    let record = apply_recorded(
        tx,
        id,
        with_approval(command, approval),
        on,
        requester,
        Some((request_id, approver)),
    )
    .await?;
    audit(
        tx,
        now,
        approver,
        &crate::api::carriers::audit_action(kind),
        id,
        json!({
            "status": crate::api::carriers::status_code(record.carrier.status()),
            "approval_request": request_id,
            "demo": true,
        }),
    )
    .await
}

/// A request still waiting in the inbox.
async fn pending(
    tx: &mut WriteTx,
    id: i64,
    command: CarrierCommand,
    today: Date,
    requester: PersonId,
    reason: &str,
    now: Timestamp,
) -> ApiResult<i64> {
    let Some(loaded) = ledger::load_for_update::<CarrierRecord>(tx, id).await? else {
        return Err(err("no such carrier"));
    };
    let carrier = loaded.value.carrier;
    let (needed, action) = match carrier.apply(command.clone(), today) {
        Err(CarrierRefusal::ApprovalMissing { needed, action }) => (needed, action),
        Err(r) => return Err(refused(r)),
        Ok(_) => return Err(err("a demo pending command needs no approval")),
    };
    file_request(
        tx,
        requester,
        &carrier,
        ApprovalSubject::Carrier {
            carrier: id,
            command,
        },
        carrier.unit(),
        needed,
        reason.to_owned(),
        action,
        now,
    )
    .await
}

/// The demo matters (as the matters module stored them).
async fn matters(tx: &mut WriteTx) -> ApiResult<Vec<ClassifiedMatter>> {
    Ok(tx
        .list_records(
            RecordKind::Matter,
            &RecordFilter::default(),
            RecordOrder::Id,
            false,
        )
        .await?
        .iter()
        .filter_map(|r| serde_json::from_str::<StoredMatter>(&r.body).ok())
        .map(|m| m.matter)
        .collect())
}

/// Seeds the demo carriers, their approvals and an inventory round.
pub async fn seed(tx: &mut WriteTx, today: Date, now: Timestamp) -> ApiResult<()> {
    let all = matters(tx).await?;
    let in_force =
        |m: &&ClassifiedMatter| matches!(m.status_on(today), MatterStatus::InForce { .. });
    let known_to_officer = |m: &&ClassifiedMatter| m.scope().named_persons().contains(&LI_NA);
    // A bureau matter the confidentiality officer may hold: Confidential preferred.
    let bureau_matters: Vec<&ClassifiedMatter> = all
        .iter()
        .filter(|m| m.unit() == UNIT_BUREAU || m.proposing_unit() == UNIT_BUREAU)
        .filter(in_force)
        .filter(known_to_officer)
        .collect();
    let bureau_matter = bureau_matters
        .iter()
        .find(|m| m.mark().level() == Level::Confidential)
        .or_else(|| {
            bureau_matters
                .iter()
                .find(|m| m.mark().level() == Level::Secret)
        })
        .copied();
    let secret_matter = all
        .iter()
        .filter(|m| m.unit() == UNIT_BUREAU || m.proposing_unit() == UNIT_BUREAU)
        .filter(in_force)
        .filter(known_to_officer)
        .find(|m| {
            m.mark().level() == Level::Secret && Some(m.id()) != bureau_matter.map(|b| b.id())
        });
    let declassified_matter = all
        .iter()
        .filter(|m| m.unit() == UNIT_BUREAU || m.proposing_unit() == UNIT_BUREAU)
        .find(|m| matches!(m.status_on(today), MatterStatus::Declassified { .. }));
    let ministry_matter = all
        .iter()
        .filter(|m| m.unit() == UNIT_MINISTRY)
        .filter(in_force)
        .filter(|m| m.scope().named_persons().contains(&XU_MIN))
        .max_by_key(|m| m.mark().level());

    // Registered, not yet signed for (R3.2): a draft the handling officer still holds.
    register(
        tx,
        Spec {
            registrant: LIU_YANG,
            location: "规划科 办公室文件柜",
            ..spec(
                "某局密〔2026〕001号",
                CarrierKind::PaperDocument,
                Level::Secret,
                "2026年规划编制工作方案（送审稿）",
                ago(today, 1),
            )
        },
        false,
        now,
    )
    .await?;

    // In custody: the drawings of the bureau's Confidential matter.
    let drawings = register(
        tx,
        Spec {
            matter: bureau_matter,
            ..spec(
                "某局密〔2026〕002号",
                CarrierKind::Drawing,
                Level::Confidential,
                "国土空间总体规划图纸",
                ago(today, 90),
            )
        },
        true,
        now,
    )
    .await?;

    // Lent to the deputy head, approved by the unit head (R3.4).
    let lent = register(
        tx,
        Spec {
            matter: secret_matter,
            ..spec(
                "某局密〔2026〕003号",
                CarrierKind::PaperDocument,
                Level::Secret,
                "城市更新项目评估报告",
                ago(today, 60),
            )
        },
        true,
        now,
    )
    .await?;
    approved_step(
        tx,
        lent,
        CarrierCommand::Lend {
            to: WANG_FANG,
            due: ahead(today, 7),
            approval: None,
            borrower_cleared: true,
        },
        ago(today, 5),
        LI_NA,
        ZHANG_WEI,
        ApproverRole::UnitHead,
        now,
    )
    .await?;

    // Lent to a clerk and overdue (R3.4, R13.4).
    let overdue = register(
        tx,
        spec(
            "某局密〔2026〕004号",
            CarrierKind::PaperDocument,
            Level::Secret,
            "重点项目选址论证材料",
            ago(today, 50),
        ),
        true,
        now,
    )
    .await?;
    approved_step(
        tx,
        overdue,
        CarrierCommand::Lend {
            to: CHEN_JING,
            due: ago(today, 10),
            approval: None,
            borrower_cleared: true,
        },
        ago(today, 30),
        LI_NA,
        WANG_FANG,
        ApproverRole::Leader,
        now,
    )
    .await?;

    // In transit to the provincial department by confidential transport (R3.5).
    let transit = register(
        tx,
        spec(
            "某局密〔2026〕005号",
            CarrierKind::PaperDocument,
            Level::Secret,
            "年度保密工作报告（报省厅）",
            ago(today, 20),
        ),
        true,
        now,
    )
    .await?;
    step(
        tx,
        transit,
        CarrierCommand::Transmit {
            channel: TransmissionChannel::ConfidentialTransport,
            to: UNIT_PROVINCE,
        },
        ago(today, 2),
        LI_NA,
        now,
    )
    .await?;

    // Carried out by the handling officer with the unit head's approval (R3.6).
    let carried = register(
        tx,
        spec(
            "某局密〔2026〕006号",
            CarrierKind::UsbDisk,
            Level::Secret,
            "专家评审会议材料（U盘）",
            ago(today, 40),
        ),
        true,
        now,
    )
    .await?;
    approved_step(
        tx,
        carried,
        CarrierCommand::CarryOut {
            by: LIU_YANG,
            due: ahead(today, 2),
            destination: CarryDestination::Domestic,
            approvals: Vec::new(),
            escort: None,
            bearer_cleared: true,
        },
        ago(today, 1),
        LIU_YANG,
        ZHANG_WEI,
        ApproverRole::UnitHead,
        now,
    )
    .await?;

    // Repaired in house by the unit's own technician (R3.8).
    let repair = register(
        tx,
        spec(
            "某局密〔2026〕007号",
            CarrierKind::HardDisk,
            Level::Secret,
            "规划科涉密计算机硬盘",
            ago(today, 100),
        ),
        true,
        now,
    )
    .await?;
    step(
        tx,
        repair,
        CarrierCommand::SendForRepair {
            arrangement: RepairArrangement::InHouse {
                technician: SYSADMIN,
            },
            approval: None,
            requested_by: LI_NA,
        },
        ago(today, 3),
        LI_NA,
        now,
    )
    .await?;

    // Destroyed by the designated body with approval (R3.9); the record is kept.
    let destroyed = register(
        tx,
        spec(
            "某局密〔2025〕041号",
            CarrierKind::PaperDocument,
            Level::Secret,
            "作废草稿（2025年度规划）",
            ago(today, 120),
        ),
        true,
        now,
    )
    .await?;
    approved_step(
        tx,
        destroyed,
        CarrierCommand::Destroy {
            method: Some(DestructionMethod::DesignatedBody {
                body: "市国家保密局涉密载体销毁中心".to_owned(),
                packed: true,
                transported_safely: true,
                supervisor: Some(LI_NA),
            }),
            approval: None,
            requested_by: LI_NA,
        },
        ago(today, 15),
        LI_NA,
        WANG_FANG,
        ApproverRole::Leader,
        now,
    )
    .await?;

    // Declassified with its matter (R1.9).
    let declassified_on = declassified_matter
        .and_then(|m| match m.status_on(today) {
            MatterStatus::Declassified { on, .. } => Some(on),
            _ => None,
        })
        .unwrap_or_else(|| ago(today, 30));
    let registered_on = ago(today, 400).min(declassified_on);
    let declassified = register(
        tx,
        Spec {
            matter: declassified_matter,
            ..spec(
                "某局密〔2019〕012号",
                CarrierKind::Book,
                Level::Secret,
                "2019年度统计资料汇编",
                registered_on,
            )
        },
        true,
        now,
    )
    .await?;
    step(
        tx,
        declassified,
        CarrierCommand::Declassify {
            matter_declassified_on: declassified_on,
        },
        declassified_on.max(registered_on).min(today),
        LI_NA,
        now,
    )
    .await?;

    // Declassified long ago and released from management with approval (R3.10).
    let released = register(
        tx,
        spec(
            "某局密〔2015〕007号",
            CarrierKind::PaperDocument,
            Level::Secret,
            "2015年度工作总结",
            ago(today, 500),
        ),
        true,
        now,
    )
    .await?;
    step(
        tx,
        released,
        CarrierCommand::Declassify {
            matter_declassified_on: ago(today, 100),
        },
        ago(today, 100),
        LI_NA,
        now,
    )
    .await?;
    approved_step(
        tx,
        released,
        CarrierCommand::Release {
            approval: None,
            requested_by: LIU_YANG,
        },
        ago(today, 90),
        LIU_YANG,
        LI_NA,
        ApproverRole::ConfidentialityOffice,
        now,
    )
    .await?;

    // A copy of the drawings, approved by the unit head (R1.11); only a carrier of a recorded
    // matter can be copied.
    if let Some(matter) = bureau_matter {
        copy(tx, drawings, matter, ago(today, 10), now).await?;
    }

    // Pending: a lend waiting for a leader or the unit head (R3.4).
    let to_lend = register(
        tx,
        spec(
            "某局密〔2026〕008号",
            CarrierKind::PaperDocument,
            Level::Secret,
            "保密工作自查材料",
            ago(today, 30),
        ),
        true,
        now,
    )
    .await?;
    pending(
        tx,
        to_lend,
        CarrierCommand::Lend {
            to: LIU_YANG,
            due: ahead(today, 14),
            approval: None,
            borrower_cleared: true,
        },
        today,
        LI_NA,
        "承办人撰写自查报告需查阅",
        now,
    )
    .await?;

    // Pending: a Secret carry-out waiting for the unit head (R3.6).
    let to_carry = register(
        tx,
        spec(
            "某局密〔2026〕009号",
            CarrierKind::UsbDisk,
            Level::Secret,
            "省厅汇报材料（U盘）",
            ago(today, 25),
        ),
        true,
        now,
    )
    .await?;
    pending(
        tx,
        to_carry,
        CarrierCommand::CarryOut {
            by: WANG_FANG,
            due: ahead(today, 3),
            destination: CarryDestination::Domestic,
            approvals: Vec::new(),
            escort: None,
            bearer_cleared: true,
        },
        today,
        WANG_FANG,
        "赴省厅汇报工作",
        now,
    )
    .await?;

    // Pending: a destruction waiting for approval (R3.9).
    let to_destroy = register(
        tx,
        spec(
            "某局密〔2024〕033号",
            CarrierKind::OpticalDisc,
            Level::Secret,
            "旧版规划数据光盘",
            ago(today, 200),
        ),
        true,
        now,
    )
    .await?;
    pending(
        tx,
        to_destroy,
        CarrierCommand::Destroy {
            method: Some(DestructionMethod::InHouse {
                equipment: "光盘粉碎机（符合国家保密标准）".to_owned(),
                meets_national_standard: true,
                operator: LI_NA,
            }),
            approval: None,
            requested_by: LI_NA,
        },
        today,
        LI_NA,
        "数据已迁移，光盘不再保存",
        now,
    )
    .await?;

    // The ministry's Top Secret plan, kept by its division chief.
    register(
        tx,
        Spec {
            matter: ministry_matter,
            unit: UNIT_MINISTRY,
            registrant: XU_MIN,
            location: "部保密室 A柜",
            ..spec(
                "部密〔2026〕001号",
                CarrierKind::PaperDocument,
                Level::TopSecret,
                "重大专项总体实施方案",
                ago(today, 45),
            )
        },
        true,
        now,
    )
    .await?;

    inventory(tx, drawings, today, now).await
}

/// The copy of the drawings (R1.11), approved by the unit head; the deputy head asked for it.
async fn copy(
    tx: &mut WriteTx,
    source_id: i64,
    matter: &ClassifiedMatter,
    on: Date,
    now: Timestamp,
) -> ApiResult<()> {
    let Some(source) = ledger::load_for_update::<CarrierRecord>(tx, source_id).await? else {
        return Err(err("no source carrier"));
    };
    let units = UnitDirectory::new(tx.list_units().await?.into_iter().map(|u| CoreUnit {
        id: u.id,
        name: u.name,
        tier: u.tier,
        superior: u.superior,
        authorisations: Vec::new(),
    }));
    let request_id = ledger::next_id::<ApprovalRequest>(tx).await?;
    let id = ledger::next_id::<CarrierRecord>(tx).await?;
    let number = CarrierNumber::new("某局密〔2026〕010号").map_err(refused)?;
    let params = json!({
        "number": number,
        "copy": 1,
        "kind": CarrierKind::Drawing,
        "unit": UNIT_BUREAU,
        "holder": LI_NA,
        "location": CABINET_1,
    });
    let copy = Carrier::copy_of(
        &source.value.carrier,
        NewCopy {
            id: CarrierId(id),
            number: number.clone(),
            copy: NonZeroU32::MIN,
            kind: CarrierKind::Drawing,
            unit: UNIT_BUREAU,
            holder: LI_NA,
            location: loc(CABINET_1)?,
        },
        Some(Approval {
            id: ApprovalId(request_id),
            by: ZHANG_WEI,
            role: ApproverRole::UnitHead,
            unit: UNIT_BUREAU,
            on,
        }),
        WANG_FANG,
        on,
        matter.unit(),
        &units,
    )
    .map_err(refused)?;
    let request = ApprovalRequest {
        id: request_id,
        unit: UNIT_BUREAU,
        subject: ApprovalSubject::CarrierCopy {
            carrier: source_id,
            request: params,
        },
        title: format!(
            "复制（copy）：{} 第{}份",
            source.value.carrier.number(),
            source.value.carrier.copy()
        ),
        level: source.value.carrier.level(),
        requested_by: WANG_FANG,
        requested_at: morning_of(ago(on, 1)),
        reason: "向市规委会汇报需用".to_owned(),
        needed: vec![ApproverRole::UnitHead, ApproverRole::Leader],
        status: ApprovalStatus::Approved,
        steps: vec![ApprovalStep {
            by: ZHANG_WEI,
            role: Some(ApproverRole::UnitHead),
            at: morning_of(on),
            outcome: "approved".to_owned(),
            reason: "同意复制一份".to_owned(),
        }],
    };
    ledger::insert(tx, &request, now).await?;
    let record = CarrierRecord {
        carrier: copy,
        scope: matter.scope().clone(),
        registered_by: WANG_FANG,
        registered_at: morning_of(on),
        history: vec![HistoryLine {
            at: morning_of(on),
            by: Some(WANG_FANG),
            action: "copy".to_owned(),
            transition: None,
            approval_request: Some(request_id),
            approved_by: Some(ZHANG_WEI),
            related: Some(source_id),
        }],
    };
    insert_record(tx, &record, now).await?;
    let mut src = source.value;
    src.history.push(HistoryLine {
        at: morning_of(on),
        by: Some(WANG_FANG),
        action: "copied".to_owned(),
        transition: None,
        approval_request: Some(request_id),
        approved_by: Some(ZHANG_WEI),
        related: Some(id),
    });
    ledger::save(tx, &src, source.version, now).await?;
    audit(
        tx,
        now,
        ZHANG_WEI,
        "carrier.copy",
        id,
        json!({ "source": source_id, "approval_request": request_id, "demo": true }),
    )
    .await
}

/// A closed inventory round of the bureau (R3.7): everything found where the ledger says,
/// except the drawings (found in another cabinet); the overdue loan shows up too.
async fn inventory(tx: &mut WriteTx, drawings: i64, today: Date, now: Timestamp) -> ApiResult<()> {
    let mut round = start_round(tx, UNIT_BUREAU, LI_NA, today, now).await?;
    tx.append_audit(
        AuditDraft::new(now, Actor::Person(LI_NA), "inventory.start")
            .on(ObjectRef::new("inventory", round.id))
            .detail(json!({ "unit": UNIT_BUREAU.0, "demo": true }).to_string()),
    )
    .await?;
    let found: Vec<ObservationLine> = round
        .expected
        .iter()
        .filter(|e| {
            matches!(
                e.status,
                CarrierStatus::Registered | CarrierStatus::InCustody | CarrierStatus::Declassified
            )
        })
        .map(|e| -> ApiResult<ObservationLine> {
            let location = if e.carrier.0 == drawings {
                loc(CABINET_2)?
            } else {
                e.location.clone()
            };
            Ok(ObservationLine {
                observation: Observation {
                    key: CarrierKey {
                        number: e.key.number.clone(),
                        copy: e.key.copy,
                    },
                    holder: e.holder,
                    location,
                },
                by: LI_NA,
                at: now,
            })
        })
        .collect::<ApiResult<_>>()?;
    round.observations = found;
    let version = ledger::save(tx, &round, 1, now).await?;
    let closed = close_round(
        tx,
        Loaded {
            value: round,
            version,
            created: now,
            updated: now,
        },
        LI_NA,
        today,
        now,
    )
    .await?;
    tx.append_audit(
        AuditDraft::new(now, Actor::Person(LI_NA), "inventory.close")
            .on(ObjectRef::new("inventory", closed.id))
            .detail(
                json!({ "discrepancies": closed.discrepancies.len(), "rule": "R3.7", "demo": true })
                    .to_string(),
            ),
    )
    .await?;
    Ok(())
}
