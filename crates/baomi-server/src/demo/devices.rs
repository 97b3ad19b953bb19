//! Demo devices (R4): one of every kind, every level, every lifecycle state — among them a
//! Secret desktop, a Confidential laptop out on an approved carry-out (R4.4), a USB key, a
//! printer, a desktop awaiting scrapping approval (R4.7) and one out of password policy
//! (R4.2). Every state is reached through the core's `Device::apply`, so the demo holds only
//! what the rules allow.
//!
//! The training records of the demo people (some short of the R2.3 hours) are seeded with the
//! people themselves (`demo::seed_people`).

use crate::api::devices::{
    DeviceCommand, DeviceEvent, DeviceRecord, DeviceRequest, PasswordRecord, SecurityTest,
};
use crate::approvals::{ApprovalRequest, ApprovalStatus, ApprovalStep, ApprovalSubject};
use crate::demo::{department_id, person_id, UNIT_BUREAU, UNIT_MINISTRY};
use crate::error::{ApiError, ApiResult};
use crate::ledger::{insert, next_id};
use baomi_core::carriers::{Approval, ApproverRole, RepairArrangement};
use baomi_core::devices::{
    ApprovedAction, Device, DeviceAction, DeviceKind, Disposal, SecondFactor,
};
use baomi_core::ids::{ApprovalId, DeviceId, PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_store::WriteTx;
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde_json::json;

/// Where a demo device is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    /// Registered, not yet in use.
    Registered,
    /// In use.
    InUse,
    /// In use, with a scrapping request waiting in the inbox (R4.7).
    AwaitingScrap,
    /// Carried out, approved by the unit head (R4.4).
    CarriedOut,
    /// In repair in-house (R3.8).
    InRepair,
    /// In security processing (R4.1).
    InSecurityProcessing,
    /// Retired after processing.
    Retired,
    /// Scrapped, approved (R4.7).
    Scrapped,
    /// A non-classified medium thrown away.
    Discarded,
}

struct DemoDevice {
    number: &'static str,
    name: &'static str,
    kind: DeviceKind,
    level: Level,
    unit: UnitId,
    holder: &'static str,
    department: &'static str,
    location: &'static str,
    life: Life,
    /// Days since the password was last changed (computers).
    password_age: Option<i64>,
    second_factor: Option<SecondFactor>,
}

const DEVICES: [DemoDevice; 20] = [
    DemoDevice {
        number: "SB-2026-001",
        name: "联想启天 M437 涉密台式机",
        kind: DeviceKind::DesktopComputer,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "liu.yang",
        department: "规划科",
        location: "规划科 305 室",
        life: Life::InUse,
        password_age: Some(10),
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-002",
        name: "联想昭阳 K4e 涉密便携机",
        kind: DeviceKind::Laptop,
        level: Level::Confidential,
        unit: UNIT_BUREAU,
        holder: "wang.fang",
        department: "规划科",
        location: "保密办 201 室保密柜",
        life: Life::CarriedOut,
        password_age: Some(3),
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-003",
        name: "华为 涉密 U 盘 32GB",
        kind: DeviceKind::UsbDisk,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "保密办 201 室保密柜",
        life: Life::InUse,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-004",
        name: "惠普 M403d 涉密打印机",
        kind: DeviceKind::Printer,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "保密办 201 室",
        life: Life::InUse,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-005",
        name: "清华同方 超翔 涉密台式机（旧）",
        kind: DeviceKind::DesktopComputer,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "保密办 203 库房",
        life: Life::AwaitingScrap,
        password_age: Some(20),
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-006",
        name: "长城 世恒 涉密台式机",
        kind: DeviceKind::DesktopComputer,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "chen.jing",
        department: "规划科",
        location: "规划科 306 室",
        life: Life::InUse,
        password_age: Some(45),
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-007",
        name: "华为 MateBook 非涉密便携机",
        kind: DeviceKind::Laptop,
        level: Level::Unclassified,
        unit: UNIT_BUREAU,
        holder: "zhao.lei",
        department: "信息中心",
        location: "信息中心 101 室",
        life: Life::Registered,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-008",
        name: "浪潮 NF5280 内部办公服务器",
        kind: DeviceKind::Server,
        level: Level::Internal,
        unit: UNIT_BUREAU,
        holder: "sysadmin",
        department: "信息中心",
        location: "信息中心机房",
        life: Life::InUse,
        password_age: Some(5),
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-009",
        name: "希捷 涉密移动硬盘 1TB",
        kind: DeviceKind::PortableDrive,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "liu.yang",
        department: "规划科",
        location: "信息中心维修间",
        life: Life::InRepair,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-010",
        name: "涉密光盘 DVD-R（2025 年规划汇编）",
        kind: DeviceKind::OpticalDisc,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "保密办 203 库房",
        life: Life::InSecurityProcessing,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-011",
        name: "闪迪 SD 存储卡 16GB（非涉密）",
        kind: DeviceKind::MemoryCard,
        level: Level::Unclassified,
        unit: UNIT_BUREAU,
        holder: "zhao.lei",
        department: "信息中心",
        location: "—",
        life: Life::Discarded,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-012",
        name: "理光 MP 2014 涉密复印机",
        kind: DeviceKind::Copier,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "保密办 203 库房",
        life: Life::Retired,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-013",
        name: "富士通 fi-7140 涉密扫描仪",
        kind: DeviceKind::Scanner,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "—",
        life: Life::Scrapped,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-014",
        name: "加密传真机 CF-3",
        kind: DeviceKind::Fax,
        level: Level::Confidential,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "保密办 201 室",
        life: Life::InUse,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-015",
        name: "兄弟 MFC 非涉密多功能一体机",
        kind: DeviceKind::Multifunction,
        level: Level::Unclassified,
        unit: UNIT_BUREAU,
        holder: "zhao.lei",
        department: "办公室",
        location: "办公室 102 室",
        life: Life::InUse,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-016",
        name: "华为 S5735 涉密网交换机",
        kind: DeviceKind::NetworkDevice,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "sysadmin",
        department: "信息中心",
        location: "信息中心机房",
        life: Life::InUse,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-017",
        name: "公务手机（非涉密）",
        kind: DeviceKind::MobilePhone,
        level: Level::Unclassified,
        unit: UNIT_BUREAU,
        holder: "zhang.wei",
        department: "办公室",
        location: "随身",
        life: Life::InUse,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-018",
        name: "会议录音设备（内部）",
        kind: DeviceKind::Other,
        level: Level::Internal,
        unit: UNIT_BUREAU,
        holder: "li.na",
        department: "保密办",
        location: "保密办 201 室",
        life: Life::Registered,
        password_age: None,
        second_factor: None,
    },
    DemoDevice {
        number: "SB-2026-019",
        name: "联想昭阳 E4 涉密便携机",
        kind: DeviceKind::Laptop,
        level: Level::Secret,
        unit: UNIT_BUREAU,
        holder: "liu.yang",
        department: "规划科",
        location: "规划科 305 室保密柜",
        life: Life::InUse,
        password_age: Some(8),
        second_factor: None,
    },
    DemoDevice {
        number: "BU-2026-001",
        name: "绝密级专用台式机",
        kind: DeviceKind::DesktopComputer,
        level: Level::TopSecret,
        unit: UNIT_MINISTRY,
        holder: "huang.tao",
        department: "办公厅",
        location: "办公厅机要室",
        life: Life::InUse,
        password_age: Some(3),
        second_factor: Some(SecondFactor::UsbKey),
    },
];

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(&format!("demo devices: {e}"))
}

fn days_ago(today: Date, days: i64) -> Date {
    today.checked_sub(days.days()).unwrap_or(today)
}

fn who(login: &str) -> ApiResult<PersonId> {
    person_id(login).ok_or_else(|| internal(format!("no demo person {login}")))
}

/// Seeds the demo devices and their approval requests.
pub async fn seed(tx: &mut WriteTx, today: Date, now: Timestamp) -> ApiResult<()> {
    let head = who("zhang.wei")?;
    let officer = who("li.na")?;
    for d in DEVICES.iter() {
        let id = DeviceId(next_id::<DeviceRecord>(tx).await?);
        let holder = who(d.holder)?;
        let registered_on = days_ago(today, 400);
        let mut history = vec![DeviceEvent {
            at: now,
            by: Some(officer),
            action: "register".to_owned(),
            approval: None,
            note: String::new(),
        }];
        let mut device = Device::register(id, d.kind, d.level, &format!("SN{:08}", id.0 * 7919));
        let mut security_test = None;
        let mut destination = None;
        let apply = |device: &Device, action: DeviceAction| device.apply(&action).map_err(internal);
        if d.life != Life::Registered {
            let tested = device.is_classified().then(|| SecurityTest {
                on: days_ago(today, 395),
                by: "某市保密技术服务中心".to_owned(),
                reference: format!("保测〔2025〕{}号", 100 + id.0),
            });
            device = apply(
                &device,
                DeviceAction::Commission {
                    security_test: tested.as_ref().map(|_| ApprovalId(id.0)),
                },
            )?;
            security_test = tested;
            history.push(event(now, officer, "commission", None, ""));
        }
        match d.life {
            Life::Registered | Life::InUse => {}
            Life::AwaitingScrap => {
                let request = ApprovalRequest {
                    id: next_id::<ApprovalRequest>(tx).await?,
                    unit: d.unit,
                    subject: ApprovalSubject::Device {
                        device: id.0,
                        request: json!(DeviceRequest {
                            command: DeviceCommand::Scrap {
                                destruction_body: "某市涉密载体销毁中心".to_owned(),
                            },
                            approval_for: ApprovedAction::Scrap,
                        }),
                    },
                    title: format!(
                        "{} {} {}：{}",
                        d.number,
                        d.kind.zh(),
                        d.name,
                        ApprovedAction::Scrap.zh()
                    ),
                    level: d.level,
                    requested_by: officer,
                    requested_at: now,
                    reason: "设备老化，已超过使用年限，申请报废并交指定销毁机构销毁".to_owned(),
                    needed: ApprovedAction::Scrap.approvers().to_vec(),
                    status: ApprovalStatus::Pending,
                    steps: Vec::new(),
                };
                insert(tx, &request, now).await?;
            }
            Life::CarriedOut => {
                let bearer = holder;
                let request_id = next_id::<ApprovalRequest>(tx).await?;
                let since = days_ago(today, 2);
                let due = today.checked_add(5.days()).unwrap_or(today);
                let command = DeviceCommand::CarryOut {
                    by: Some(bearer),
                    due,
                    destination: "省厅规划工作会议".to_owned(),
                    encrypted: true,
                    authenticated: true,
                };
                let approval = Approval {
                    id: ApprovalId(request_id),
                    by: head,
                    role: ApproverRole::UnitHead,
                    unit: d.unit,
                    on: since,
                };
                device = apply(
                    &device,
                    DeviceAction::CarryOut {
                        by: bearer,
                        requested_by: bearer,
                        due,
                        on: since,
                        approval: Some(approval),
                        encrypted: true,
                        authenticated: true,
                    },
                )?;
                destination = Some("省厅规划工作会议".to_owned());
                let request = ApprovalRequest {
                    id: request_id,
                    unit: d.unit,
                    subject: ApprovalSubject::Device {
                        device: id.0,
                        request: json!(DeviceRequest {
                            command,
                            approval_for: ApprovedAction::CarryOut,
                        }),
                    },
                    title: format!(
                        "{} {} {}：{}",
                        d.number,
                        d.kind.zh(),
                        d.name,
                        ApprovedAction::CarryOut.zh()
                    ),
                    level: d.level,
                    requested_by: bearer,
                    requested_at: now,
                    reason: "赴省厅参加规划工作会议，需携带汇报材料".to_owned(),
                    needed: ApprovedAction::CarryOut.approvers().to_vec(),
                    status: ApprovalStatus::Approved,
                    steps: vec![ApprovalStep {
                        by: head,
                        role: Some(ApproverRole::UnitHead),
                        at: now,
                        outcome: "approved".to_owned(),
                        reason: "同意，全程加密、专人携带".to_owned(),
                    }],
                };
                insert(tx, &request, now).await?;
                history.push(event(
                    now,
                    head,
                    "carry_out",
                    Some(request_id),
                    "省厅规划工作会议",
                ));
            }
            Life::InRepair => {
                device = apply(
                    &device,
                    DeviceAction::SendForRepair {
                        approval: None,
                        arrangement: RepairArrangement::InHouse {
                            technician: who("sysadmin")?,
                        },
                        requested_by: holder,
                        on: days_ago(today, 3),
                    },
                )?;
                history.push(event(
                    now,
                    officer,
                    "send_for_repair",
                    None,
                    "本单位信息中心维修",
                ));
            }
            Life::InSecurityProcessing | Life::Retired | Life::Scrapped => {
                let approval = ApprovalId(0);
                if d.life == Life::Scrapped {
                    let request_id = next_id::<ApprovalRequest>(tx).await?;
                    device = apply(
                        &device,
                        DeviceAction::Scrap {
                            approval: ApprovalId(request_id),
                            destruction_body: "某市涉密载体销毁中心".to_owned(),
                        },
                    )?;
                    let request = ApprovalRequest {
                        id: request_id,
                        unit: d.unit,
                        subject: ApprovalSubject::Device {
                            device: id.0,
                            request: json!(DeviceRequest {
                                command: DeviceCommand::Scrap {
                                    destruction_body: "某市涉密载体销毁中心".to_owned(),
                                },
                                approval_for: ApprovedAction::Scrap,
                            }),
                        },
                        title: format!(
                            "{} {} {}：{}",
                            d.number,
                            d.kind.zh(),
                            d.name,
                            ApprovedAction::Scrap.zh()
                        ),
                        level: d.level,
                        requested_by: officer,
                        requested_at: now,
                        reason: "设备故障无法修复，申请报废".to_owned(),
                        needed: ApprovedAction::Scrap.approvers().to_vec(),
                        status: ApprovalStatus::Approved,
                        steps: vec![ApprovalStep {
                            by: head,
                            role: Some(ApproverRole::UnitHead),
                            at: now,
                            outcome: "approved".to_owned(),
                            reason: "同意报废，交指定销毁机构".to_owned(),
                        }],
                    };
                    insert(tx, &request, now).await?;
                    history.push(event(
                        now,
                        head,
                        "scrap",
                        Some(request_id),
                        "某市涉密载体销毁中心",
                    ));
                } else {
                    device = apply(
                        &device,
                        DeviceAction::SendForSecurityProcessing { approval },
                    )?;
                    history.push(event(now, head, "send_for_security_processing", None, ""));
                    if d.life == Life::Retired {
                        device = apply(&device, DeviceAction::CompleteSecurityProcessing)?;
                        history.push(event(
                            now,
                            officer,
                            "complete_security_processing",
                            None,
                            "",
                        ));
                    }
                }
            }
            Life::Discarded => {
                device = apply(
                    &device,
                    DeviceAction::Dispose {
                        approval: ApprovalId(0),
                        disposal: Disposal::Discard,
                    },
                )?;
                history.push(event(now, officer, "dispose", None, "非涉密存储卡损坏丢弃"));
            }
        }
        let record = DeviceRecord {
            device,
            number: d.number.to_owned(),
            name: d.name.to_owned(),
            unit: d.unit,
            department: department_id(d.unit, d.department),
            holder: Some(holder),
            location: d.location.to_owned(),
            registered_on,
            security_test,
            password: d.password_age.map(|age| PasswordRecord {
                last_changed: days_ago(today, age),
                second_factor: d.second_factor,
            }),
            destination,
            history,
        };
        insert(tx, &record, now).await?;
    }
    Ok(())
}

fn event(
    at: Timestamp,
    by: PersonId,
    action: &str,
    approval: Option<i64>,
    note: &str,
) -> DeviceEvent {
    DeviceEvent {
        at,
        by: Some(by),
        action: action.to_owned(),
        approval,
        note: note.to_owned(),
    }
}
