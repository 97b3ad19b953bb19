//! Computers, storage media and office equipment (DOMAIN R4), and the password policy (R4.2).
//!
//! * [`DeviceKind`] — what a device is (computer, removable storage, office equipment, …).
//! * [`Device`] — a registered device: its level (R4.1: the highest level it stores or
//!   processes, [`Level::Unclassified`] for a non-classified device) and its lifecycle
//!   [`DeviceState`]. [`Device::apply`] moves it through the lifecycle with a [`DeviceAction`];
//!   every transition that R4.1/R4.7 (and R3.8 for repair) guard is refused with a
//!   [`DeviceRefusal`] unless its approval and security processing are present. Repair (R3.8)
//!   uses the carriers' [`RepairArrangement`] and [`check_repair_arrangement`], so a device gets
//!   the same repairer, role and self-approval checks as a carrier
//!   ([`DeviceRefusal::Repair`] wraps the carrier's refusal); the storage rules stay here.
//! * [`DeviceAction::CarryOut`] — R4.4: a laptop or removable medium leaves the office only
//!   approved, encrypted and with authentication on; it comes back with
//!   [`DeviceAction::ReturnFromCarryOut`].
//! * [`ApprovedAction`] — the device actions that need an approval and who may give it
//!   (R4.4, R4.7, R4.1, R3.8); [`Device::approval_needed`] says which one an action needs and
//!   [`ApprovedAction::check`] checks an approval the way the carriers' rules do (role, not by
//!   the requester, not dated after the act).
//! * [`Peripheral`] — what may be plugged into a computer (R4.3 wireless devices, webcams,
//!   microphones); the checks live in [`crate::violations`].
//! * [`PasswordPolicy`], [`check_password`], [`min_length`], [`max_age_days`],
//!   [`password_due`] — R4.2, by the level of the computer or system and the second factor used.
//!
//! ## Which devices are "classified" here
//!
//! A device whose level is above [`Level::Unclassified`] is held to the classified-device rules.
//! That includes [`Level::Internal`]: R5.1 says a network of work secrets is managed as Secret,
//! and this module applies the same to single devices (**practice**).

use crate::carriers::{
    check_repair_arrangement, Approval, ApproverRole, CarrierRefusal, RepairArrangement,
};
use crate::ids::{ApprovalId, DeviceId, PersonId};
use crate::marks::Level;
use crate::{date_text, Describe, Lang, RuleId};
use jiff::civil::Date;
use jiff::Span;
use serde::{Deserialize, Serialize};
use std::fmt;

/// True when a device or system of this level is held to the classified-device rules: every
/// state-secret level, and work secrets (R5.1, managed as Secret — **practice** for devices).
pub fn managed_as_classified(level: Level) -> bool {
    level > Level::Unclassified
}

/// R4.1: a device's level is the highest level it stores or processes;
/// [`Level::Unclassified`] when it handles nothing classified.
pub fn device_level(handled: impl IntoIterator<Item = Level>) -> Level {
    handled.into_iter().max().unwrap_or(Level::Unclassified)
}

/// The kind of a device (R4, R3.1 for storage media).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// 台式计算机.
    DesktopComputer,
    /// 便携式计算机 — also governed by R4.4 when carried out.
    Laptop,
    /// 服务器.
    Server,
    /// U 盘 — removable storage.
    UsbDisk,
    /// 移动硬盘 — removable storage.
    PortableDrive,
    /// 光盘 (CD/DVD) — removable storage.
    OpticalDisc,
    /// 存储卡 (SD, CF, …) — removable storage.
    MemoryCard,
    /// 打印机 (R4.5).
    Printer,
    /// 复印机 (R4.5).
    Copier,
    /// 扫描仪 (R4.5).
    Scanner,
    /// 传真机 (R4.5).
    Fax,
    /// 多功能一体机 (R4.5).
    Multifunction,
    /// 网络设备 (switch, router, firewall, …).
    NetworkDevice,
    /// 手机 (R4.6).
    MobilePhone,
    /// Anything else registered in the device ledger.
    Other,
}

impl DeviceKind {
    /// Every kind, in ledger order.
    pub const ALL: [DeviceKind; 15] = [
        DeviceKind::DesktopComputer,
        DeviceKind::Laptop,
        DeviceKind::Server,
        DeviceKind::UsbDisk,
        DeviceKind::PortableDrive,
        DeviceKind::OpticalDisc,
        DeviceKind::MemoryCard,
        DeviceKind::Printer,
        DeviceKind::Copier,
        DeviceKind::Scanner,
        DeviceKind::Fax,
        DeviceKind::Multifunction,
        DeviceKind::NetworkDevice,
        DeviceKind::MobilePhone,
        DeviceKind::Other,
    ];

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            DeviceKind::DesktopComputer => "台式计算机",
            DeviceKind::Laptop => "便携式计算机",
            DeviceKind::Server => "服务器",
            DeviceKind::UsbDisk => "U盘",
            DeviceKind::PortableDrive => "移动硬盘",
            DeviceKind::OpticalDisc => "光盘",
            DeviceKind::MemoryCard => "存储卡",
            DeviceKind::Printer => "打印机",
            DeviceKind::Copier => "复印机",
            DeviceKind::Scanner => "扫描仪",
            DeviceKind::Fax => "传真机",
            DeviceKind::Multifunction => "多功能一体机",
            DeviceKind::NetworkDevice => "网络设备",
            DeviceKind::MobilePhone => "手机",
            DeviceKind::Other => "其他设备",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            DeviceKind::DesktopComputer => "desktop computer",
            DeviceKind::Laptop => "laptop",
            DeviceKind::Server => "server",
            DeviceKind::UsbDisk => "USB disk",
            DeviceKind::PortableDrive => "portable drive",
            DeviceKind::OpticalDisc => "optical disc",
            DeviceKind::MemoryCard => "memory card",
            DeviceKind::Printer => "printer",
            DeviceKind::Copier => "copier",
            DeviceKind::Scanner => "scanner",
            DeviceKind::Fax => "fax machine",
            DeviceKind::Multifunction => "multifunction device",
            DeviceKind::NetworkDevice => "network device",
            DeviceKind::MobilePhone => "mobile phone",
            DeviceKind::Other => "other device",
        }
    }

    /// Computers: the R4.1/R4.2 rules apply directly.
    pub fn is_computer(self) -> bool {
        matches!(
            self,
            DeviceKind::DesktopComputer | DeviceKind::Laptop | DeviceKind::Server
        )
    }

    /// Removable storage media (R4.3: never used across classified and non-classified
    /// machines). The whole device is storage, so it cannot have "its storage removed".
    pub fn is_removable_storage(self) -> bool {
        matches!(
            self,
            DeviceKind::UsbDisk
                | DeviceKind::PortableDrive
                | DeviceKind::OpticalDisc
                | DeviceKind::MemoryCard
        )
    }

    /// Office equipment covered by R4.5.
    pub fn is_office_equipment(self) -> bool {
        matches!(
            self,
            DeviceKind::Printer
                | DeviceKind::Copier
                | DeviceKind::Scanner
                | DeviceKind::Fax
                | DeviceKind::Multifunction
        )
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zh())
    }
}

impl Describe for DeviceKind {
    fn describe(&self, lang: Lang) -> String {
        lang.pick(self.zh(), self.en()).to_owned()
    }
}

/// Something attached to a computer that R4.3 restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peripheral {
    /// 无线键盘 — never on a classified computer.
    WirelessKeyboard,
    /// 无线鼠标 — never on a classified computer.
    WirelessMouse,
    /// 无线网卡 (Wi-Fi, Bluetooth or cellular adapter) — never on a classified computer.
    WirelessNetworkCard,
    /// 摄像头 — never on a networked computer in a classified place.
    Webcam,
    /// 麦克风 — never on a networked computer in a classified place.
    Microphone,
}

impl Peripheral {
    /// R4.3: wireless keyboards, mice and network cards.
    pub fn is_wireless(self) -> bool {
        matches!(
            self,
            Peripheral::WirelessKeyboard
                | Peripheral::WirelessMouse
                | Peripheral::WirelessNetworkCard
        )
    }

    /// R4.3: webcams and microphones.
    pub fn is_camera_or_microphone(self) -> bool {
        matches!(self, Peripheral::Webcam | Peripheral::Microphone)
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Peripheral::WirelessKeyboard => "无线键盘",
            Peripheral::WirelessMouse => "无线鼠标",
            Peripheral::WirelessNetworkCard => "无线网卡",
            Peripheral::Webcam => "摄像头",
            Peripheral::Microphone => "麦克风",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Peripheral::WirelessKeyboard => "wireless keyboard",
            Peripheral::WirelessMouse => "wireless mouse",
            Peripheral::WirelessNetworkCard => "wireless network card",
            Peripheral::Webcam => "webcam",
            Peripheral::Microphone => "microphone",
        }
    }
}

/// How a device leaves the unit other than by scrapping (R4.1, R4.7). Repurposing a device for
/// non-classified use is [`DeviceAction::Declassify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Disposal {
    /// 赠送.
    GiveAway,
    /// 出售.
    Sell,
    /// 丢弃 — never for a classified device (R4.7: scrapped through the destruction body).
    Discard,
}

impl Disposal {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Disposal::GiveAway => "赠送",
            Disposal::Sell => "出售",
            Disposal::Discard => "丢弃",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Disposal::GiveAway => "given away",
            Disposal::Sell => "sold",
            Disposal::Discard => "discarded",
        }
    }
}

/// Where a device is in its life (R4.1, R4.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeviceState {
    /// 已登记 — registered, not yet in use; a classified device passes its security test first.
    Registered,
    /// 在用.
    InUse,
    /// 维修中 (R3.8).
    InRepair,
    /// 携带外出 (R4.4): out of the office with its bearer, approved.
    CarriedOut {
        /// Who carries it.
        by: PersonId,
        /// The day it left.
        since: Date,
        /// The day it is to be back.
        due: Date,
    },
    /// 安全技术处理中 — sent for security technical processing before leaving classified use.
    InSecurityProcessing,
    /// 已退出使用 — withdrawn from use after security processing; may be given away or sold.
    Retired,
    /// 已报废 — handed to the designated destruction body (R4.7). Final.
    Scrapped,
    /// 已处置 — given away, sold or discarded. Final.
    Disposed {
        /// How it left.
        disposal: Disposal,
    },
}

impl DeviceState {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            DeviceState::Registered => "已登记待启用",
            DeviceState::InUse => "在用",
            DeviceState::InRepair => "维修中",
            DeviceState::CarriedOut { .. } => "携带外出",
            DeviceState::InSecurityProcessing => "安全技术处理中",
            DeviceState::Retired => "已退出使用",
            DeviceState::Scrapped => "已报废",
            DeviceState::Disposed { .. } => "已处置",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            DeviceState::Registered => "registered",
            DeviceState::InUse => "in use",
            DeviceState::InRepair => "in repair",
            DeviceState::CarriedOut { .. } => "carried out",
            DeviceState::InSecurityProcessing => "in security processing",
            DeviceState::Retired => "retired",
            DeviceState::Scrapped => "scrapped",
            DeviceState::Disposed { .. } => "disposed of",
        }
    }

    /// Scrapped and disposed devices take no further action.
    pub fn is_final(self) -> bool {
        matches!(self, DeviceState::Scrapped | DeviceState::Disposed { .. })
    }

    /// The stable machine name (`registered`, `in_use`, `carried_out`, …), as in ledgers and
    /// filters.
    pub fn code(self) -> &'static str {
        match self {
            DeviceState::Registered => "registered",
            DeviceState::InUse => "in_use",
            DeviceState::InRepair => "in_repair",
            DeviceState::CarriedOut { .. } => "carried_out",
            DeviceState::InSecurityProcessing => "in_security_processing",
            DeviceState::Retired => "retired",
            DeviceState::Scrapped => "scrapped",
            DeviceState::Disposed { .. } => "disposed",
        }
    }

    /// True while the device is out of the unit's hands for a while (in repair or carried
    /// out): it can be neither disposed of nor scrapped until it is back.
    pub fn is_away(self) -> bool {
        matches!(self, DeviceState::InRepair | DeviceState::CarriedOut { .. })
    }
}

/// A step in a device's life, with the approval it needs. Approvals are typed ids, so an
/// action that needs one cannot be built without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum DeviceAction {
    /// Registered → in use. R4.1: a classified device needs a passed security test (the record
    /// of it); a non-classified device may start without one.
    Commission {
        /// The record of the passed security test.
        security_test: Option<ApprovalId>,
    },
    /// In use → in repair (R3.8). For a classified device the arrangement goes through the same
    /// checks as a carrier's ([`check_repair_arrangement`]: on-site technician named; sent out
    /// only to a designated repairer, approved by the unit head, a leader or the confidentiality
    /// office, not by the requester, not dated after the act); in addition a classified
    /// removable medium is never sent out (it is all storage) and any other classified device
    /// goes out only with its storage parts removed.
    SendForRepair {
        /// The approval (needed when sent out).
        approval: Option<Approval>,
        /// How it is repaired.
        arrangement: RepairArrangement,
        /// Who asks for the repair (may not approve it).
        requested_by: PersonId,
        /// The day it goes to repair.
        on: Date,
    },
    /// In repair → in use.
    ReturnFromRepair,
    /// R4.4: in use → carried out of the office. Only laptops and removable media leave the
    /// office. A classified one needs the approval of the unit head (**practice**, as R3.6 asks
    /// for a Confidential or Secret carrier; the bearer and the requester never approve it),
    /// full-disk encryption and authentication switched on, and a due date not before today. A
    /// non-classified one needs none of these.
    CarryOut {
        /// Who carries it.
        by: PersonId,
        /// Who asks (may not approve it either).
        requested_by: PersonId,
        /// To be back by.
        due: Date,
        /// The day it leaves.
        on: Date,
        /// The approval ([`ApprovedAction::CarryOut`]).
        approval: Option<Approval>,
        /// Its storage is encrypted.
        encrypted: bool,
        /// Authentication (password, token) is on.
        authenticated: bool,
    },
    /// R4.4: carried out → in use, back in the office.
    ReturnFromCarryOut,
    /// Registered or in use → in security processing (安全技术处理), approved.
    SendForSecurityProcessing {
        /// The approval to withdraw it from classified use.
        approval: ApprovalId,
    },
    /// In security processing → retired: processing is complete.
    CompleteSecurityProcessing,
    /// R4.1: turn a classified device into a non-classified one (改作非涉密使用): its storage
    /// (disk, memory) must have been removed. The device is then unclassified and in use.
    Declassify {
        /// The approval.
        approval: ApprovalId,
        /// The storage parts were removed.
        storage_removed: bool,
    },
    /// Give away, sell or discard. R4.1: a classified device only after security processing
    /// (state [`DeviceState::Retired`]); R4.7: a classified device is never discarded.
    Dispose {
        /// The approval.
        approval: ApprovalId,
        /// How it leaves.
        disposal: Disposal,
    },
    /// R4.7: scrap — counted and registered (this ledger), approved, handed to the designated
    /// destruction body. Handing it over is its security processing (**practice**).
    Scrap {
        /// The approval.
        approval: ApprovalId,
        /// The destruction body it is handed to.
        destruction_body: String,
    },
}

impl DeviceAction {
    /// The machine name of the action.
    pub fn code(&self) -> &'static str {
        match self {
            DeviceAction::Commission { .. } => "commission",
            DeviceAction::SendForRepair { .. } => "send_for_repair",
            DeviceAction::ReturnFromRepair => "return_from_repair",
            DeviceAction::CarryOut { .. } => "carry_out",
            DeviceAction::ReturnFromCarryOut => "return_from_carry_out",
            DeviceAction::SendForSecurityProcessing { .. } => "send_for_security_processing",
            DeviceAction::CompleteSecurityProcessing => "complete_security_processing",
            DeviceAction::Declassify { .. } => "declassify",
            DeviceAction::Dispose { .. } => "dispose",
            DeviceAction::Scrap { .. } => "scrap",
        }
    }
}

/// A device in the ledger (R4, R13.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Its id.
    pub id: DeviceId,
    /// What it is.
    pub kind: DeviceKind,
    /// R4.1: the highest level it stores or processes.
    pub level: Level,
    /// The manufacturer's serial number (for media, what USB logs report).
    pub serial: String,
    /// Where it is in its life.
    pub state: DeviceState,
}

impl Device {
    /// A newly registered device, not yet in use.
    pub fn register(id: DeviceId, kind: DeviceKind, level: Level, serial: &str) -> Device {
        Device {
            id,
            kind,
            level,
            serial: serial.trim().to_owned(),
            state: DeviceState::Registered,
        }
    }

    /// True when the classified-device rules apply (see [`managed_as_classified`]).
    pub fn is_classified(&self) -> bool {
        managed_as_classified(self.level)
    }

    /// Applies an action, returning the device as it is afterwards; `self` is unchanged, and a
    /// refused action changes nothing.
    pub fn apply(&self, action: &DeviceAction) -> Result<Device, DeviceRefusal> {
        let classified = self.is_classified();
        let state = self.state;
        let wrong_state = || DeviceRefusal::WrongState {
            state,
            action: action.code(),
        };
        if state.is_final() {
            return Err(wrong_state());
        }
        let mut next = self.clone();
        match action {
            DeviceAction::Commission { security_test } => {
                if state != DeviceState::Registered {
                    return Err(wrong_state());
                }
                if classified && security_test.is_none() {
                    return Err(DeviceRefusal::SecurityTestRequired);
                }
                next.state = DeviceState::InUse;
            }
            DeviceAction::SendForRepair {
                approval,
                arrangement,
                requested_by,
                on,
            } => {
                if state != DeviceState::InUse {
                    return Err(wrong_state());
                }
                if classified {
                    if let RepairArrangement::SentOut {
                        storage_removed, ..
                    } = arrangement
                    {
                        if self.kind.is_removable_storage() {
                            return Err(DeviceRefusal::StorageMediumCannotBeSentOut {
                                kind: self.kind,
                            });
                        }
                        if !storage_removed {
                            return Err(DeviceRefusal::StorageNotRemovedForRepair);
                        }
                    }
                    check_repair_arrangement(arrangement, approval.as_ref(), *requested_by, *on)
                        .map_err(|reason| DeviceRefusal::Repair { reason })?;
                }
                next.state = DeviceState::InRepair;
            }
            DeviceAction::ReturnFromRepair => {
                if state != DeviceState::InRepair {
                    return Err(wrong_state());
                }
                next.state = DeviceState::InUse;
            }
            DeviceAction::CarryOut {
                by,
                requested_by,
                due,
                on,
                approval,
                encrypted,
                authenticated,
            } => {
                if state != DeviceState::InUse {
                    return Err(wrong_state());
                }
                if !(self.kind == DeviceKind::Laptop || self.kind.is_removable_storage()) {
                    return Err(DeviceRefusal::NotPortable { kind: self.kind });
                }
                if due < on {
                    return Err(DeviceRefusal::DueBeforeStart { due: *due, on: *on });
                }
                if classified {
                    ApprovedAction::CarryOut.check(
                        approval.as_ref(),
                        &[*by, *requested_by],
                        *on,
                    )?;
                    if !encrypted {
                        return Err(DeviceRefusal::NotEncrypted);
                    }
                    if !authenticated {
                        return Err(DeviceRefusal::NoAuthentication);
                    }
                }
                next.state = DeviceState::CarriedOut {
                    by: *by,
                    since: *on,
                    due: *due,
                };
            }
            DeviceAction::ReturnFromCarryOut => {
                if !matches!(state, DeviceState::CarriedOut { .. }) {
                    return Err(wrong_state());
                }
                next.state = DeviceState::InUse;
            }
            DeviceAction::SendForSecurityProcessing { .. } => {
                if !matches!(state, DeviceState::Registered | DeviceState::InUse) {
                    return Err(wrong_state());
                }
                next.state = DeviceState::InSecurityProcessing;
            }
            DeviceAction::CompleteSecurityProcessing => {
                if state != DeviceState::InSecurityProcessing {
                    return Err(wrong_state());
                }
                next.state = DeviceState::Retired;
            }
            DeviceAction::Declassify {
                storage_removed, ..
            } => {
                if !classified {
                    return Err(DeviceRefusal::NotClassified);
                }
                if !matches!(
                    state,
                    DeviceState::Registered | DeviceState::InUse | DeviceState::Retired
                ) {
                    return Err(wrong_state());
                }
                if self.kind.is_removable_storage() {
                    return Err(DeviceRefusal::StorageMediumCannotBeDeclassified {
                        kind: self.kind,
                    });
                }
                if !storage_removed {
                    return Err(DeviceRefusal::StorageNotRemoved);
                }
                next.level = Level::Unclassified;
                next.state = DeviceState::InUse;
            }
            DeviceAction::Dispose { disposal, .. } => {
                if state.is_away() {
                    return Err(wrong_state());
                }
                if classified {
                    if *disposal == Disposal::Discard {
                        return Err(DeviceRefusal::DiscardForbidden);
                    }
                    if state != DeviceState::Retired {
                        return Err(DeviceRefusal::NotSecurityProcessed {
                            state,
                            disposal: *disposal,
                        });
                    }
                }
                next.state = DeviceState::Disposed {
                    disposal: *disposal,
                };
            }
            DeviceAction::Scrap {
                destruction_body, ..
            } => {
                if state.is_away() {
                    return Err(wrong_state());
                }
                if classified && destruction_body.trim().is_empty() {
                    return Err(DeviceRefusal::NoDestructionBody);
                }
                next.state = DeviceState::Scrapped;
            }
        }
        Ok(next)
    }
}

impl Device {
    /// Which approval `action` needs on this device, if any (R4.4, R4.7, R4.1, R3.8):
    /// carrying a classified device out, sending a classified device out for repair, sending
    /// any device for security processing, declassifying, disposing of and scrapping it (the
    /// last four carry an approval in their type whatever the level). `None` for the rest.
    pub fn approval_needed(&self, action: &DeviceAction) -> Option<ApprovedAction> {
        match action {
            DeviceAction::CarryOut { .. } if self.is_classified() => Some(ApprovedAction::CarryOut),
            DeviceAction::SendForRepair {
                arrangement: RepairArrangement::SentOut { .. },
                ..
            } if self.is_classified() => Some(ApprovedAction::Repair),
            DeviceAction::SendForSecurityProcessing { .. } => {
                Some(ApprovedAction::SecurityProcessing)
            }
            DeviceAction::Declassify { .. } => Some(ApprovedAction::Declassify),
            DeviceAction::Dispose { .. } => Some(ApprovedAction::Dispose),
            DeviceAction::Scrap { .. } => Some(ApprovedAction::Scrap),
            _ => None,
        }
    }
}

/// The unit head alone (R4.4 carry-out; **practice**, after R3.6).
const HEAD_APPROVES: &[ApproverRole] = &[ApproverRole::UnitHead];

/// The unit head, a leader or the confidentiality office (**practice**, the same as R3.8
/// repair and R3.9 destruction of carriers).
const OFFICE_APPROVES: &[ApproverRole] = &[
    ApproverRole::UnitHead,
    ApproverRole::Leader,
    ApproverRole::ConfidentialityOffice,
];

/// A device action that needs an approval, and who may give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovedAction {
    /// R4.4: a classified laptop or medium carried out of the office; the unit head approves.
    CarryOut,
    /// R3.8: a classified device sent out for repair.
    Repair,
    /// R4.1: withdrawn from classified use for security processing.
    SecurityProcessing,
    /// R4.1: turned into a non-classified device.
    Declassify,
    /// R4.1, R4.7: given away or sold.
    Dispose,
    /// R4.7: scrapped through the designated destruction body.
    Scrap,
}

impl ApprovedAction {
    /// Who may approve it: the unit head for carrying out, otherwise the unit head, a leader or
    /// the confidentiality office (**practice**; DOMAIN names no approver for devices). Any one
    /// of them suffices.
    pub fn approvers(self) -> &'static [ApproverRole] {
        match self {
            ApprovedAction::CarryOut => HEAD_APPROVES,
            _ => OFFICE_APPROVES,
        }
    }

    /// The DOMAIN rule that asks for the approval.
    pub fn rule(self) -> RuleId {
        RuleId(match self {
            ApprovedAction::CarryOut => "R4.4",
            ApprovedAction::Repair => "R3.8",
            ApprovedAction::SecurityProcessing
            | ApprovedAction::Declassify
            | ApprovedAction::Dispose => "R4.1",
            ApprovedAction::Scrap => "R4.7",
        })
    }

    /// The action's machine name, as [`DeviceAction::code`].
    pub fn code(self) -> &'static str {
        match self {
            ApprovedAction::CarryOut => "carry_out",
            ApprovedAction::Repair => "send_for_repair",
            ApprovedAction::SecurityProcessing => "send_for_security_processing",
            ApprovedAction::Declassify => "declassify",
            ApprovedAction::Dispose => "dispose",
            ApprovedAction::Scrap => "scrap",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            ApprovedAction::CarryOut => "携带外出",
            ApprovedAction::Repair => "送外维修",
            ApprovedAction::SecurityProcessing => "送安全技术处理",
            ApprovedAction::Declassify => "改作非涉密使用",
            ApprovedAction::Dispose => "赠送或出售",
            ApprovedAction::Scrap => "报废",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            ApprovedAction::CarryOut => "carry out",
            ApprovedAction::Repair => "send out for repair",
            ApprovedAction::SecurityProcessing => "send for security processing",
            ApprovedAction::Declassify => "turn non-classified",
            ApprovedAction::Dispose => "give away or sell",
            ApprovedAction::Scrap => "scrap",
        }
    }

    /// Checks one approval for this action: present, in one of [`ApprovedAction::approvers`],
    /// not given by any of `requesters` (who asks, who carries), not dated after `on`. Returns
    /// the approval's id. (Repair approvals are checked by [`check_repair_arrangement`] inside
    /// [`Device::apply`]; this gives the same answer for them.)
    pub fn check(
        self,
        approval: Option<&Approval>,
        requesters: &[PersonId],
        on: Date,
    ) -> Result<ApprovalId, DeviceRefusal> {
        let needed = self.approvers();
        let Some(approval) = approval else {
            return Err(DeviceRefusal::ApprovalMissing {
                action: self,
                needed: needed.to_vec(),
            });
        };
        if !needed.contains(&approval.role) {
            return Err(DeviceRefusal::WrongApprover {
                action: self,
                needed: needed.to_vec(),
                given: approval.role,
            });
        }
        if requesters.contains(&approval.by) {
            return Err(DeviceRefusal::SelfApproval {
                action: self,
                person: approval.by,
            });
        }
        if approval.on > on {
            return Err(DeviceRefusal::ApprovalAfterAct {
                action: self,
                approved_on: approval.on,
                on,
            });
        }
        Ok(approval.id)
    }
}

fn roles_en(roles: &[ApproverRole]) -> String {
    roles
        .iter()
        .map(|r| r.en())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn roles_zh(roles: &[ApproverRole]) -> String {
    roles.iter().map(|r| r.zh()).collect::<Vec<_>>().join("或")
}

/// Why a device action was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum DeviceRefusal {
    /// The action does not apply to a device in this state.
    #[error("a device that is {} cannot take the action {action}", state.en())]
    WrongState {
        /// The device's state.
        state: DeviceState,
        /// The action's machine name ([`DeviceAction::code`]).
        action: &'static str,
    },
    /// R4.1: a classified device passes a security test before first use.
    #[error("a classified device must pass a security test before first use (R4.1)")]
    SecurityTestRequired,
    /// R3.8: the repair arrangement or its approval fails the check shared with carriers
    /// ([`check_repair_arrangement`]): technician or repairer unnamed, repairer not designated,
    /// approval missing, of the wrong role, by the requester or dated after the act.
    #[error("{reason}")]
    Repair {
        /// The carriers' refusal, exactly as a carrier would get it.
        reason: CarrierRefusal,
    },
    /// R3.8: storage parts are removed before a classified device is sent out for repair.
    #[error("the storage parts must be removed before a classified device is sent out for repair (R3.8)")]
    StorageNotRemovedForRepair,
    /// R3.8: a classified removable medium is all storage; it cannot be sent out "with its
    /// storage removed", so it is never sent out for repair.
    #[error("a classified {} is itself storage and is never sent out for repair (R3.8)", kind.en())]
    StorageMediumCannotBeSentOut {
        /// The medium's kind.
        kind: DeviceKind,
    },
    /// R4.1: a classified device is given away or sold only after security processing.
    #[error("a classified device that is {} has not been through security processing and cannot be {} (R4.1)", state.en(), disposal.en())]
    NotSecurityProcessed {
        /// The device's state (not yet retired after processing).
        state: DeviceState,
        /// What was attempted.
        disposal: Disposal,
    },
    /// R4.7: a classified device is never thrown away; it is scrapped through the destruction body.
    #[error("a classified device is never discarded; it is scrapped through the designated destruction body (R4.7)")]
    DiscardForbidden,
    /// R4.7: scrapping hands the device to the designated destruction body, which must be named.
    #[error("scrapping a classified device needs the designated destruction body it is handed to (R4.7)")]
    NoDestructionBody,
    /// R4.1: turning a device unclassified needs its storage removed.
    #[error("a classified device becomes unclassified only after its storage (disk, memory) is removed (R4.1)")]
    StorageNotRemoved,
    /// R4.1 (**practice**): a removable medium is all storage, so it can never be turned
    /// unclassified; it is scrapped instead.
    #[error("a classified {} is all storage and cannot be declassified; scrap it instead (R4.1)", kind.en())]
    StorageMediumCannotBeDeclassified {
        /// The medium's kind.
        kind: DeviceKind,
    },
    /// Declassifying a device that is not classified.
    #[error("the device is not classified")]
    NotClassified,
    /// R4.4: only laptops and removable media are carried out of the office.
    #[error("a {} is not carried out of the office; only laptops and removable media are (R4.4)", kind.en())]
    NotPortable {
        /// The device's kind.
        kind: DeviceKind,
    },
    /// R4.4: a classified laptop or medium leaves the office only encrypted.
    #[error("a classified device leaves the office only with its storage encrypted (R4.4)")]
    NotEncrypted,
    /// R4.4: a classified laptop or medium leaves the office only with authentication on.
    #[error("a classified device leaves the office only with authentication switched on (R4.4)")]
    NoAuthentication,
    /// R4.4: the due date is before the day it leaves.
    #[error("the due date {due} is before the day it leaves, {on} (R4.4)")]
    DueBeforeStart {
        /// The due date.
        due: Date,
        /// The day it leaves.
        on: Date,
    },
    /// The action needs an approval and none was given.
    #[error("{} needs the approval of {} ({})", .action.en(), roles_en(.needed), .action.rule())]
    ApprovalMissing {
        /// The action.
        action: ApprovedAction,
        /// Who may approve.
        needed: Vec<ApproverRole>,
    },
    /// Approved in a role that may not approve it.
    #[error("{} needs the approval of {}, not {} ({})", .action.en(), roles_en(.needed), .given.en(), .action.rule())]
    WrongApprover {
        /// The action.
        action: ApprovedAction,
        /// Who may approve.
        needed: Vec<ApproverRole>,
        /// The role the approval was given in.
        given: ApproverRole,
    },
    /// Approved by the person who asks for it or carries the device.
    #[error("person {person} asks for or carries out the action and may not approve it ({})", .action.rule())]
    SelfApproval {
        /// The action.
        action: ApprovedAction,
        /// The person.
        person: PersonId,
    },
    /// Approved after the act.
    #[error("approved on {approved_on}, after the act on {on}; approval must come first ({})", .action.rule())]
    ApprovalAfterAct {
        /// The action.
        action: ApprovedAction,
        /// The day of the approval.
        approved_on: Date,
        /// The day of the act.
        on: Date,
    },
}

impl DeviceRefusal {
    /// The DOMAIN rule this refusal enforces.
    pub fn rule(&self) -> RuleId {
        match self {
            DeviceRefusal::WrongState { .. }
            | DeviceRefusal::SecurityTestRequired
            | DeviceRefusal::NotSecurityProcessed { .. }
            | DeviceRefusal::StorageNotRemoved
            | DeviceRefusal::StorageMediumCannotBeDeclassified { .. }
            | DeviceRefusal::NotClassified => RuleId("R4.1"),
            DeviceRefusal::Repair { reason } => reason.rule(),
            DeviceRefusal::StorageNotRemovedForRepair
            | DeviceRefusal::StorageMediumCannotBeSentOut { .. } => RuleId("R3.8"),
            DeviceRefusal::DiscardForbidden | DeviceRefusal::NoDestructionBody => RuleId("R4.7"),
            DeviceRefusal::NotPortable { .. }
            | DeviceRefusal::NotEncrypted
            | DeviceRefusal::NoAuthentication
            | DeviceRefusal::DueBeforeStart { .. } => RuleId("R4.4"),
            DeviceRefusal::ApprovalMissing { action, .. }
            | DeviceRefusal::WrongApprover { action, .. }
            | DeviceRefusal::SelfApproval { action, .. }
            | DeviceRefusal::ApprovalAfterAct { action, .. } => action.rule(),
        }
    }

    /// A stable snake_case code for the refusal (API reason codes).
    pub fn code(&self) -> &'static str {
        match self {
            DeviceRefusal::WrongState { .. } => "wrong_state",
            DeviceRefusal::SecurityTestRequired => "security_test_required",
            DeviceRefusal::Repair { .. } => "repair_refused",
            DeviceRefusal::StorageNotRemovedForRepair => "storage_not_removed_for_repair",
            DeviceRefusal::StorageMediumCannotBeSentOut { .. } => {
                "storage_medium_cannot_be_sent_out"
            }
            DeviceRefusal::NotSecurityProcessed { .. } => "not_security_processed",
            DeviceRefusal::DiscardForbidden => "discard_forbidden",
            DeviceRefusal::NoDestructionBody => "no_destruction_body",
            DeviceRefusal::StorageNotRemoved => "storage_not_removed",
            DeviceRefusal::StorageMediumCannotBeDeclassified { .. } => {
                "storage_medium_cannot_be_declassified"
            }
            DeviceRefusal::NotClassified => "not_classified",
            DeviceRefusal::NotPortable { .. } => "not_portable",
            DeviceRefusal::NotEncrypted => "not_encrypted",
            DeviceRefusal::NoAuthentication => "no_authentication",
            DeviceRefusal::DueBeforeStart { .. } => "due_before_start",
            DeviceRefusal::ApprovalMissing { .. } => "approval_missing",
            DeviceRefusal::WrongApprover { .. } => "wrong_approver",
            DeviceRefusal::SelfApproval { .. } => "self_approval",
            DeviceRefusal::ApprovalAfterAct { .. } => "approval_after_act",
        }
    }
}

impl Describe for DeviceRefusal {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            DeviceRefusal::WrongState { state, action } => {
                format!("设备当前状态为“{}”，不能执行操作 {action}", state.zh())
            }
            DeviceRefusal::SecurityTestRequired => {
                "涉密设备启用前须通过保密技术检测（R4.1）".to_owned()
            }
            DeviceRefusal::Repair { reason } => reason.describe(lang),
            DeviceRefusal::StorageNotRemovedForRepair => {
                "涉密设备送外维修前须拆除信息存储部件（R3.8）".to_owned()
            }
            DeviceRefusal::StorageMediumCannotBeSentOut { kind } => {
                format!("涉密{}本身即存储介质，不得送外维修（R3.8）", kind.zh())
            }
            DeviceRefusal::NotSecurityProcessed { state, disposal } => format!(
                "涉密设备（当前“{}”）未经安全技术处理，不得{}（R4.1）",
                state.zh(),
                disposal.zh()
            ),
            DeviceRefusal::DiscardForbidden => {
                "涉密设备不得丢弃，须报废并交指定的销毁机构销毁（R4.7）".to_owned()
            }
            DeviceRefusal::NoDestructionBody => {
                "涉密设备报废须交保密行政管理部门指定的销毁机构，应写明接收机构（R4.7）".to_owned()
            }
            DeviceRefusal::StorageNotRemoved => {
                "涉密计算机改为非涉密使用，须先拆除硬盘、内存等信息存储部件（R4.1）".to_owned()
            }
            DeviceRefusal::StorageMediumCannotBeDeclassified { kind } => format!(
                "涉密{}本身即存储介质，不得改作非涉密使用，应报废销毁（R4.1）",
                kind.zh()
            ),
            DeviceRefusal::NotClassified => "该设备不是涉密设备".to_owned(),
            DeviceRefusal::NotPortable { kind } => format!(
                "{}不得携带外出，只有便携式计算机和移动存储介质可经批准携带外出（R4.4）",
                kind.zh()
            ),
            DeviceRefusal::NotEncrypted => {
                "涉密便携设备携带外出须对存储内容加密（R4.4）".to_owned()
            }
            DeviceRefusal::NoAuthentication => {
                "涉密便携设备携带外出须启用身份鉴别（R4.4）".to_owned()
            }
            DeviceRefusal::DueBeforeStart { due, on } => format!(
                "归还日期 {} 早于外出日期 {}（R4.4）",
                date_text(*due, Lang::Zh),
                date_text(*on, Lang::Zh)
            ),
            DeviceRefusal::ApprovalMissing { action, needed } => format!(
                "设备{}须经{}批准（{}）",
                action.zh(),
                roles_zh(needed),
                action.rule()
            ),
            DeviceRefusal::WrongApprover {
                action,
                needed,
                given,
            } => format!(
                "设备{}须经{}批准，不能由{}批准（{}）",
                action.zh(),
                roles_zh(needed),
                given.zh(),
                action.rule()
            ),
            DeviceRefusal::SelfApproval { action, person } => format!(
                "人员 {person} 是设备{}的申请人或携带人，不得自行批准（{}）",
                action.zh(),
                action.rule()
            ),
            DeviceRefusal::ApprovalAfterAct {
                action,
                approved_on,
                on,
            } => format!(
                "设备{}的批准日期 {} 晚于实施日期 {}，须先批准（{}）",
                action.zh(),
                date_text(*approved_on, Lang::Zh),
                date_text(*on, Lang::Zh),
                action.rule()
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// R4.2 passwords
// ---------------------------------------------------------------------------------------------

/// A second authentication factor besides the password (R4.2).
///
/// R4.2 names exactly two kinds of second factor: a **token** (IC card or USB key) combined
/// with a shorter password, and **biometrics** for Top Secret. Only those change the password
/// rule; see [`PasswordPolicy`] for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    /// IC 卡 — an R4.2 token.
    IcCard,
    /// USB Key — an R4.2 token.
    UsbKey,
    /// 生理特征 (fingerprint, face, iris, …): the "strong identification" R4.2 names for Top
    /// Secret, where it stands on its own with no password requirement. R4.2 names it for Top
    /// Secret only: at Confidential, Secret and Internal it changes nothing, and the level's
    /// password rule applies in full.
    Biometric,
    /// 一次性口令 (TOTP). **Not** one of the factors R4.2 names: it neither satisfies Top
    /// Secret's second-factor requirement nor lowers any minimum length. Baomi's own login uses
    /// TOTP as an additional factor (R13.1), but the R4.2 password rule of the system's level
    /// still applies to the password in full.
    OneTimePassword,
}

impl SecondFactor {
    /// An R4.2 token (IC card or USB key): combined with a password, it lowers the minimum
    /// length. A one-time password is not such a token.
    pub fn is_token(self) -> bool {
        matches!(self, SecondFactor::IcCard | SecondFactor::UsbKey)
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            SecondFactor::IcCard => "IC卡",
            SecondFactor::UsbKey => "USB Key",
            SecondFactor::Biometric => "生理特征识别",
            SecondFactor::OneTimePassword => "动态口令",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            SecondFactor::IcCard => "IC card",
            SecondFactor::UsbKey => "USB key",
            SecondFactor::Biometric => "biometrics",
            SecondFactor::OneTimePassword => "one-time password",
        }
    }
}

/// When the password was last changed, and the day it is checked on (R4.2 rotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAge {
    /// The day the password was last set.
    pub last_changed: Date,
    /// The day of the check.
    pub on: Date,
}

/// A requirement of R4.2 that a password does not meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum PasswordProblem {
    /// Top Secret: a password alone is never enough; biometrics or a token (IC card, USB key)
    /// plus a password. A one-time password is not one of these factors.
    #[error("a Top Secret system needs biometrics, or an IC card / USB key with a password; a password alone, or with a one-time password, is not enough (R4.2)")]
    SecondFactorRequired,
    /// Fewer characters than the level requires (characters, not bytes).
    #[error("the password is too short: at least {min} characters, found {actual} (R4.2)")]
    TooShort {
        /// The minimum length.
        min: usize,
        /// The password's length in characters.
        actual: usize,
    },
    /// Letters and digits must be mixed: there is no letter.
    #[error("the password must mix letters and digits: it has no letter (R4.2)")]
    NoLetter,
    /// Letters and digits must be mixed: there is no digit.
    #[error("the password must mix letters and digits: it has no digit (R4.2)")]
    NoDigit,
    /// Not changed within the rotation period.
    #[error("the password has expired: last changed {last_changed}, to be changed at least every {max_age_days} days, last valid day {due} (R4.2)")]
    Expired {
        /// The day it was last changed.
        last_changed: Date,
        /// The rotation period in days.
        max_age_days: u16,
        /// The last day on which it was still valid (`last_changed + max_age_days`).
        due: Date,
    },
}

impl PasswordProblem {
    /// The DOMAIN rule: R4.2 for every problem.
    pub fn rule(&self) -> RuleId {
        RuleId("R4.2")
    }
}

impl Describe for PasswordProblem {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            PasswordProblem::SecondFactorRequired => {
                "绝密级须采用生理特征等强身份鉴别方式，或 IC 卡、USB Key 与口令相结合；仅凭口令或口令加动态口令均不符合要求（R4.2）".to_owned()
            }
            PasswordProblem::TooShort { min, actual } => {
                format!("口令长度不足：至少 {min} 位，实为 {actual} 位（R4.2）")
            }
            PasswordProblem::NoLetter => "口令须字母与数字混合，缺少字母（R4.2）".to_owned(),
            PasswordProblem::NoDigit => "口令须字母与数字混合，缺少数字（R4.2）".to_owned(),
            PasswordProblem::Expired {
                last_changed,
                max_age_days,
                due,
            } => format!(
                "口令已过期：上次更换于 {}，更换周期不超过 {max_age_days} 天，最迟应在 {} 当日更换（R4.2）",
                date_text(*last_changed, Lang::Zh),
                date_text(*due, Lang::Zh)
            ),
        }
    }
}

/// The R4.2 password requirements for one level and second factor.
///
/// | level | password only, or with a one-time password | token (IC card, USB key) + password | biometrics |
/// |---|---|---|---|
/// | Top Secret | refused: [`PasswordProblem::SecondFactorRequired`] (the token rule is still checked so every problem is listed) | ≥ 6, mixed, 7 days | no password rule |
/// | Confidential | ≥ 10, mixed, 7 days | ≥ 4, mixed, 7 days | as password only: ≥ 10, mixed, 7 days |
/// | Secret, Internal | ≥ 8, mixed, 30 days | ≥ 4, mixed, 30 days (**practice**) | as password only: ≥ 8, mixed, 30 days |
/// | Unclassified | no rule | no rule | no rule |
///
/// Only the factors R4.2 names change the rule: an IC card or USB key lowers the minimum
/// length, and biometrics waive the password rule **for Top Secret only**. A one-time password
/// (TOTP) is not among them: it is allowed as an extra factor but changes nothing (Baomi's own
/// login uses TOTP per R13.1 and still applies the R4.2 rule of its level in full).
///
/// Choices where DOMAIN is silent (**practice**):
/// * "Changed at least every month" is enforced as **30 days**, "every week" as **7 days**.
/// * Top Secret with a token rotates every 7 days, like Confidential; biometrics need none.
/// * Work-secret (Internal) systems follow the Secret rule (R5.1: managed as Secret);
///   unclassified systems have no requirement here (the unit may set its own).
/// * A Secret (or Internal) computer with an IC card or USB key needs a password of 4, as a
///   Confidential one does: a lower level never demands more than a higher one for the same
///   factor.
/// * Length counts characters (`中文` is 2), not bytes. A **letter** is any alphabetic
///   character (Latin, Cyrillic, CJK ideographs, …); a **digit** is `0`–`9` or full-width
///   `０`–`９`. Other characters (symbols, spaces) count towards the length only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// The level of the computer or system.
    pub level: Level,
    /// The second factor in use, if any.
    pub second_factor: Option<SecondFactor>,
    /// Minimum length in characters; `None` when no password rule applies.
    pub min_length: Option<usize>,
    /// Letters and digits must be mixed.
    pub letters_and_digits: bool,
    /// Maximum age in days; `None` when no rotation rule applies.
    pub max_age_days: Option<u16>,
    /// The level needs a second factor (Top Secret) and none that R4.2 names (IC card, USB key,
    /// biometrics) is in use; a one-time password does not count.
    pub second_factor_missing: bool,
}

impl PasswordPolicy {
    /// The policy for a system of `level` using `second_factor`.
    pub fn for_level(level: Level, second_factor: Option<SecondFactor>) -> PasswordPolicy {
        /// The level's password rule: (min length, max age in days).
        fn rule(level: Level, factor: Option<SecondFactor>) -> Option<(usize, u16)> {
            let token = factor.is_some_and(SecondFactor::is_token);
            match (level, token) {
                (Level::Unclassified, _) => None,
                (Level::TopSecret, _) if factor == Some(SecondFactor::Biometric) => None,
                (Level::TopSecret, _) => Some((6, 7)),
                (Level::Confidential, false) => Some((10, 7)),
                (Level::Confidential, true) => Some((4, 7)),
                (Level::Secret | Level::Internal, false) => Some((8, 30)),
                (Level::Secret | Level::Internal, true) => Some((4, 30)),
            }
        }
        let r = rule(level, second_factor);
        let top_secret_factor =
            second_factor.is_some_and(|f| f.is_token() || f == SecondFactor::Biometric);
        PasswordPolicy {
            level,
            second_factor,
            min_length: r.map(|(min, _)| min),
            letters_and_digits: r.is_some(),
            max_age_days: r.map(|(_, age)| age),
            second_factor_missing: level == Level::TopSecret && !top_secret_factor,
        }
    }

    /// Every requirement the password (and its age, when given) does not meet, in a fixed
    /// order: second factor, length, letter, digit, expiry. Empty means compliant.
    ///
    /// Expiry: the last valid day is `last_changed + max_age_days`; the password is expired
    /// when `on` is later than that. (Changed 1 March under a 30-day rule: valid through
    /// 31 March, expired on 1 April.) A check date before the change date is not expired.
    pub fn check(&self, password: &str, age: Option<PasswordAge>) -> Vec<PasswordProblem> {
        let mut problems = Vec::new();
        if self.second_factor_missing {
            problems.push(PasswordProblem::SecondFactorRequired);
        }
        if let Some(min) = self.min_length {
            let actual = password.chars().count();
            if actual < min {
                problems.push(PasswordProblem::TooShort { min, actual });
            }
        }
        if self.letters_and_digits {
            if !password.chars().any(is_letter) {
                problems.push(PasswordProblem::NoLetter);
            }
            if !password.chars().any(is_digit) {
                problems.push(PasswordProblem::NoDigit);
            }
        }
        if let (Some(max_age_days), Some(age)) = (self.max_age_days, age) {
            let due = add_days(age.last_changed, max_age_days);
            if age.on > due {
                problems.push(PasswordProblem::Expired {
                    last_changed: age.last_changed,
                    max_age_days,
                    due,
                });
            }
        }
        problems
    }

    /// R13.4: the last day a password changed on `last_changed` is valid; `None` without a
    /// rotation rule.
    pub fn due(&self, last_changed: Date) -> Option<Date> {
        self.max_age_days.map(|d| add_days(last_changed, d))
    }
}

/// R4.2: every unmet requirement for a password on a system of `level` (empty = compliant).
/// See [`PasswordPolicy`] for the table and the choices made.
pub fn check_password(
    level: Level,
    password: &str,
    second_factor: Option<SecondFactor>,
    age: Option<PasswordAge>,
) -> Vec<PasswordProblem> {
    PasswordPolicy::for_level(level, second_factor).check(password, age)
}

/// R4.2: the minimum password length in characters, `None` when no password rule applies
/// (unclassified, or Top Secret with biometrics).
pub fn min_length(level: Level, second_factor: Option<SecondFactor>) -> Option<usize> {
    PasswordPolicy::for_level(level, second_factor).min_length
}

/// R4.2: the longest a password may go unchanged, in days (30 for "a month", 7 for "a week");
/// `None` when no rotation rule applies.
pub fn max_age_days(level: Level, second_factor: Option<SecondFactor>) -> Option<u16> {
    PasswordPolicy::for_level(level, second_factor).max_age_days
}

/// R4.2, R13.4: the last valid day of a password changed on `last_changed`; `None` when no
/// rotation rule applies.
pub fn password_due(
    level: Level,
    second_factor: Option<SecondFactor>,
    last_changed: Date,
) -> Option<Date> {
    PasswordPolicy::for_level(level, second_factor).due(last_changed)
}

/// A letter for R4.2: any alphabetic character, CJK ideographs included.
fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

/// A digit for R4.2: ASCII or full-width 0–9.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// `date` plus `days`, saturating at the end of the calendar.
fn add_days(date: Date, days: u16) -> Date {
    date.checked_add(Span::new().days(i64::from(days)))
        .unwrap_or(Date::MAX)
}
