//! The twelve serious violations (DOMAIN R10.1) and the checks that find them in observed facts,
//! together with the other device rules of R4 that inspections check (R4.1, R4.3, R4.7, R3.5).
//!
//! * [`SeriousViolation`] — R10.1: the twelve serious violations of the Confidentiality Law,
//!   in DOMAIN R10.1's order, with the law's Chinese wording and English. DOMAIN (like the Law)
//!   puts "buying, selling, transferring or privately destroying carriers" (no. 10) before
//!   "sending carriers by ordinary post or express" (no. 11); seed 001 swaps those two. DOMAIN
//!   is followed: [`SeriousViolation::number`] is the number in DOMAIN R10.1.
//! * [`Breach`] — breaches of a rule that is not on the list of twelve (R4.3 cross-use of
//!   removable media, wireless peripherals, webcams and microphones; R4.1 content above a
//!   device's level; R4.7 discarding; R3.5 Top Secret through the exchange station).
//! * [`Observation`] — a fact reported by a scanner, a log, an inspection or a person.
//! * [`detect`] — turns observations into [`Finding`]s: one per violation and subject (device,
//!   medium, carrier or person), merging the evidence of every observation about it, sorted.
//!
//! Devices of level [`Level::Internal`] count as classified devices (R5.1, managed as Secret —
//! **practice**), so an Internet route on one is reported; but they are not classified devices
//! for state secrets, so state-secret content on one is "secrets on a non-classified device".
//! Both choices report more rather than less.

use crate::carriers::TransmissionChannel;
use crate::devices::{managed_as_classified, Disposal, Peripheral};
use crate::ids::{ApprovalId, CarrierId, DeviceId, PersonId};
use crate::marks::Level;
use crate::{Describe, Lang, RuleId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// R10.1: the twelve serious violations, in DOMAIN R10.1's order (the derived `Ord` follows
/// it, so findings sort in that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriousViolation {
    /// 1. Connecting classified computers or storage to the Internet or a public network.
    ConnectToPublicNetwork,
    /// 2. Exchanging information between a classified system and a public network without
    ///    protection.
    UnprotectedExchange,
    /// 3. Storing or processing state secrets on non-classified computers or storage.
    SecretsOnUnclassifiedDevice,
    /// 4. Illegally copying, recording or storing state secrets.
    IllegalCopying,
    /// 5. Transmitting state secrets over public networks or unprotected communication.
    InsecureTransmission,
    /// 6. State secrets in private contact or correspondence.
    SecretsInPrivateContact,
    /// 7. Removing or altering security programs of classified systems without authorisation.
    SecurityProgramsRemoved,
    /// 8. Giving away, selling, discarding or repurposing unprocessed classified devices.
    UnprocessedDeviceDisposed,
    /// 9. Illegally obtaining or holding state-secret carriers.
    CarrierObtainedOrHeldIllegally,
    /// 10. Buying, selling, transferring or privately destroying carriers.
    CarrierTradedOrDestroyed,
    /// 11. Sending carriers by ordinary post, express or other channels without protection.
    CarrierByOrdinaryPost,
    /// 12. Mailing or consigning carriers abroad, or carrying them abroad without approval.
    CarrierTakenAbroad,
}

impl SeriousViolation {
    /// All twelve, in DOMAIN R10.1's order.
    pub const ALL: [SeriousViolation; 12] = [
        SeriousViolation::ConnectToPublicNetwork,
        SeriousViolation::UnprotectedExchange,
        SeriousViolation::SecretsOnUnclassifiedDevice,
        SeriousViolation::IllegalCopying,
        SeriousViolation::InsecureTransmission,
        SeriousViolation::SecretsInPrivateContact,
        SeriousViolation::SecurityProgramsRemoved,
        SeriousViolation::UnprocessedDeviceDisposed,
        SeriousViolation::CarrierObtainedOrHeldIllegally,
        SeriousViolation::CarrierTradedOrDestroyed,
        SeriousViolation::CarrierByOrdinaryPost,
        SeriousViolation::CarrierTakenAbroad,
    ];

    /// The number (1–12) in DOMAIN R10.1's list (seed 001 numbers nos. 10 and 11 the other way
    /// round).
    pub fn number(self) -> u8 {
        match self {
            SeriousViolation::ConnectToPublicNetwork => 1,
            SeriousViolation::UnprotectedExchange => 2,
            SeriousViolation::SecretsOnUnclassifiedDevice => 3,
            SeriousViolation::IllegalCopying => 4,
            SeriousViolation::InsecureTransmission => 5,
            SeriousViolation::SecretsInPrivateContact => 6,
            SeriousViolation::SecurityProgramsRemoved => 7,
            SeriousViolation::UnprocessedDeviceDisposed => 8,
            SeriousViolation::CarrierObtainedOrHeldIllegally => 9,
            SeriousViolation::CarrierTradedOrDestroyed => 10,
            SeriousViolation::CarrierByOrdinaryPost => 11,
            SeriousViolation::CarrierTakenAbroad => 12,
        }
    }

    /// The machine name (snake_case, same as the serde form).
    pub fn code(self) -> &'static str {
        match self {
            SeriousViolation::ConnectToPublicNetwork => "connect_to_public_network",
            SeriousViolation::UnprotectedExchange => "unprotected_exchange",
            SeriousViolation::SecretsOnUnclassifiedDevice => "secrets_on_unclassified_device",
            SeriousViolation::IllegalCopying => "illegal_copying",
            SeriousViolation::InsecureTransmission => "insecure_transmission",
            SeriousViolation::SecretsInPrivateContact => "secrets_in_private_contact",
            SeriousViolation::SecurityProgramsRemoved => "security_programs_removed",
            SeriousViolation::UnprocessedDeviceDisposed => "unprocessed_device_disposed",
            SeriousViolation::CarrierObtainedOrHeldIllegally => {
                "carrier_obtained_or_held_illegally"
            }
            SeriousViolation::CarrierByOrdinaryPost => "carrier_by_ordinary_post",
            SeriousViolation::CarrierTradedOrDestroyed => "carrier_traded_or_destroyed",
            SeriousViolation::CarrierTakenAbroad => "carrier_taken_abroad",
        }
    }

    /// Parses a machine name (see [`SeriousViolation::code`]).
    pub fn from_code(code: &str) -> Option<SeriousViolation> {
        SeriousViolation::ALL.into_iter().find(|v| v.code() == code)
    }

    /// The Chinese wording, following the Confidentiality Law.
    pub fn zh(self) -> &'static str {
        match self {
            SeriousViolation::ConnectToPublicNetwork => {
                "将涉密计算机、涉密存储设备接入互联网及其他公共信息网络"
            }
            SeriousViolation::UnprotectedExchange => {
                "在未采取防护措施的情况下，在涉密信息系统与互联网及其他公共信息网络之间进行信息交换"
            }
            SeriousViolation::SecretsOnUnclassifiedDevice => {
                "使用非涉密计算机、非涉密存储设备存储、处理国家秘密信息"
            }
            SeriousViolation::IllegalCopying => "非法复制、记录、存储国家秘密",
            SeriousViolation::InsecureTransmission => {
                "在互联网及其他公共信息网络或者未采取保密措施的有线和无线通信中传递国家秘密"
            }
            SeriousViolation::SecretsInPrivateContact => "在私人交往和通信中涉及国家秘密",
            SeriousViolation::SecurityProgramsRemoved => {
                "擅自卸载、修改涉密信息系统的安全技术程序、管理程序"
            }
            SeriousViolation::UnprocessedDeviceDisposed => {
                "将未经安全技术处理的退出使用的涉密计算机、涉密存储设备赠送、出售、丢弃或者改作其他用途"
            }
            SeriousViolation::CarrierObtainedOrHeldIllegally => "非法获取、持有国家秘密载体",
            SeriousViolation::CarrierByOrdinaryPost => {
                "通过普通邮政、快递等无保密措施的渠道传递国家秘密载体"
            }
            SeriousViolation::CarrierTradedOrDestroyed => "买卖、转送或者私自销毁国家秘密载体",
            SeriousViolation::CarrierTakenAbroad => {
                "邮寄、托运国家秘密载体出境，或者未经有关主管部门批准，携带、传递国家秘密载体出境"
            }
        }
    }

    /// The English wording.
    pub fn en(self) -> &'static str {
        match self {
            SeriousViolation::ConnectToPublicNetwork => {
                "connecting classified computers or storage devices to the Internet or other public information networks"
            }
            SeriousViolation::UnprotectedExchange => {
                "exchanging information between a classified information system and the Internet or other public information networks without protective measures"
            }
            SeriousViolation::SecretsOnUnclassifiedDevice => {
                "storing or processing state secrets on non-classified computers or storage devices"
            }
            SeriousViolation::IllegalCopying => "illegally copying, recording or storing state secrets",
            SeriousViolation::InsecureTransmission => {
                "transmitting state secrets over the Internet or other public information networks, or over wired or wireless communication without security measures"
            }
            SeriousViolation::SecretsInPrivateContact => {
                "involving state secrets in private contact or correspondence"
            }
            SeriousViolation::SecurityProgramsRemoved => {
                "uninstalling or modifying the security or management programs of a classified information system without authorisation"
            }
            SeriousViolation::UnprocessedDeviceDisposed => {
                "giving away, selling, discarding or repurposing retired classified computers or storage devices that have not been through security processing"
            }
            SeriousViolation::CarrierObtainedOrHeldIllegally => {
                "illegally obtaining or holding state-secret carriers"
            }
            SeriousViolation::CarrierByOrdinaryPost => {
                "sending state-secret carriers by ordinary post, express or other channels without security measures"
            }
            SeriousViolation::CarrierTradedOrDestroyed => {
                "buying, selling, transferring or privately destroying state-secret carriers"
            }
            SeriousViolation::CarrierTakenAbroad => {
                "mailing or consigning state-secret carriers out of the country, or carrying or sending them out without the approval of the competent department"
            }
        }
    }

    /// The DOMAIN rules a finding of this violation cites: R10.1 first, then the rule the act
    /// breaks.
    pub fn rules(self) -> Vec<RuleId> {
        let related: &[&'static str] = match self {
            SeriousViolation::ConnectToPublicNetwork => &["R4.1", "R5.4"],
            SeriousViolation::UnprotectedExchange => &["R4.1", "R5.4"],
            SeriousViolation::SecretsOnUnclassifiedDevice => &["R4.3", "R4.5"],
            SeriousViolation::IllegalCopying => &["R1.11"],
            SeriousViolation::InsecureTransmission => &["R4.3", "R3.5"],
            SeriousViolation::SecretsInPrivateContact => &[],
            SeriousViolation::SecurityProgramsRemoved => &["R4.1"],
            SeriousViolation::UnprocessedDeviceDisposed => &["R4.1", "R4.7"],
            SeriousViolation::CarrierObtainedOrHeldIllegally => &["R3.2", "R1.7"],
            SeriousViolation::CarrierByOrdinaryPost => &["R3.5"],
            SeriousViolation::CarrierTradedOrDestroyed => &["R3.9"],
            SeriousViolation::CarrierTakenAbroad => &["R3.6"],
        };
        std::iter::once(RuleId("R10.1"))
            .chain(related.iter().map(|r| RuleId(r)))
            .collect()
    }
}

impl Describe for SeriousViolation {
    fn describe(&self, lang: Lang) -> String {
        lang.pick(self.zh(), self.en()).to_owned()
    }
}

/// A breach of a rule that is not one of the twelve serious violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Breach {
    /// R4.3: a removable medium used on both classified and non-classified machines.
    RemovableMediumCrossUse,
    /// R4.3: a wireless keyboard, mouse or network card on a classified computer.
    WirelessPeripheral,
    /// R4.3: a webcam or microphone on a networked computer in a classified place.
    CameraOrMicrophone,
    /// R4.1: a classified device holds content above its own level.
    ContentAboveDeviceLevel,
    /// R4.7: a classified device thrown away instead of scrapped, even after processing.
    ClassifiedDeviceDiscarded,
    /// R3.5: a Top Secret carrier sent through the confidential document exchange station,
    /// which takes only Confidential and Secret carriers.
    TopSecretThroughExchangeStation,
}

impl Breach {
    /// The DOMAIN rule breached.
    pub fn rule(self) -> RuleId {
        match self {
            Breach::RemovableMediumCrossUse
            | Breach::WirelessPeripheral
            | Breach::CameraOrMicrophone => RuleId("R4.3"),
            Breach::ContentAboveDeviceLevel => RuleId("R4.1"),
            Breach::ClassifiedDeviceDiscarded => RuleId("R4.7"),
            Breach::TopSecretThroughExchangeStation => RuleId("R3.5"),
        }
    }

    /// The machine name.
    pub fn code(self) -> &'static str {
        match self {
            Breach::RemovableMediumCrossUse => "removable_medium_cross_use",
            Breach::WirelessPeripheral => "wireless_peripheral",
            Breach::CameraOrMicrophone => "camera_or_microphone",
            Breach::ContentAboveDeviceLevel => "content_above_device_level",
            Breach::ClassifiedDeviceDiscarded => "classified_device_discarded",
            Breach::TopSecretThroughExchangeStation => "top_secret_through_exchange_station",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Breach::RemovableMediumCrossUse => "移动存储介质在涉密和非涉密计算机间交叉使用",
            Breach::WirelessPeripheral => "涉密计算机使用无线键盘、无线鼠标或无线网卡",
            Breach::CameraOrMicrophone => "涉密场所内联网计算机配备摄像头或麦克风",
            Breach::ContentAboveDeviceLevel => "设备存储、处理高于其密级的信息",
            Breach::ClassifiedDeviceDiscarded => "涉密设备未经报废销毁程序被丢弃",
            Breach::TopSecretThroughExchangeStation => "绝密级载体经机要文件交换站传递",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Breach::RemovableMediumCrossUse => {
                "removable medium used on both classified and non-classified machines"
            }
            Breach::WirelessPeripheral => {
                "wireless keyboard, mouse or network card on a classified computer"
            }
            Breach::CameraOrMicrophone => {
                "webcam or microphone on a networked computer in a classified place"
            }
            Breach::ContentAboveDeviceLevel => "device holds content above its level",
            Breach::ClassifiedDeviceDiscarded => {
                "classified device thrown away instead of scrapped"
            }
            Breach::TopSecretThroughExchangeStation => {
                "Top Secret carrier sent through the document exchange station"
            }
        }
    }
}

/// What a finding is: one of the twelve, or another rule's breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum FindingKind {
    /// One of the twelve serious violations (R10.1).
    Serious(SeriousViolation),
    /// A breach of another rule.
    Breach(Breach),
}

impl FindingKind {
    /// The rules a finding of this kind cites.
    pub fn rules(self) -> Vec<RuleId> {
        match self {
            FindingKind::Serious(v) => v.rules(),
            FindingKind::Breach(b) => vec![b.rule()],
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            FindingKind::Serious(v) => v.zh(),
            FindingKind::Breach(b) => b.zh(),
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            FindingKind::Serious(v) => v.en(),
            FindingKind::Breach(b) => b.en(),
        }
    }
}

/// How data crossed between a classified system and a public network (R5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeChannel {
    /// 单向导入设备 — a protected channel.
    OneWayImport,
    /// 中间机 — a protected channel.
    IntermediateMachine,
    /// 一次性刻录光盘 — a protected channel.
    WriteOnceDisc,
    /// A direct network connection.
    DirectLink,
    /// A rewritable removable medium (USB disk, portable drive).
    RemovableMedium,
    /// Anything else.
    Other,
}

impl ExchangeChannel {
    /// R5.4: the channels through which public data may enter a classified system.
    pub fn is_protected(self) -> bool {
        matches!(
            self,
            ExchangeChannel::OneWayImport
                | ExchangeChannel::IntermediateMachine
                | ExchangeChannel::WriteOnceDisc
        )
    }
}

/// Which way data went between a classified system and a public network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the public network into the classified system (allowed only one way, protected).
    Import,
    /// From the classified system out to the public network (never allowed, R5.4).
    Export,
}

/// How a carrier left the country (R3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbroadBy {
    /// 邮寄 — always a violation.
    Mail,
    /// 托运 — always a violation.
    Consign,
    /// 携带 — needs the competent department's approval.
    Carry,
    /// 传递 — needs the competent department's approval.
    Send,
}

/// What was done to a carrier that no one may do (R10.1 no. 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierTrade {
    /// 买.
    Bought,
    /// 卖.
    Sold,
    /// 转送 — passed on outside the registered hand-over.
    Transferred,
}

/// One use of a removable medium on a machine, as a USB log or an inspection tool reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// The medium's serial number. Compared trimmed and ASCII case-insensitively (logs differ
    /// in case — **practice**); a blank serial cannot be correlated and is ignored.
    pub medium: String,
    /// The machine it was seen on.
    pub device: DeviceId,
    /// The machine's level.
    pub device_level: Level,
    /// The day.
    pub on: Date,
}

/// A fact observed by a scanner, a log, an inspection or a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum Observation {
    /// A device has a route to the Internet or another public network (R4.1, R10.1 no. 1).
    PublicNetworkRoute {
        /// The device.
        device: DeviceId,
        /// Its level.
        level: Level,
        /// What the route is (e.g. "default gateway 10.0.0.1 to Internet", "4G card").
        route: String,
        /// The day.
        on: Date,
    },
    /// Data crossed between a classified system and a public network (R5.4, R10.1 no. 2).
    NetworkExchange {
        /// The classified system or device.
        device: DeviceId,
        /// Its level.
        level: Level,
        /// Which way.
        direction: Direction,
        /// Through what.
        channel: ExchangeChannel,
        /// The imported data was checked for viruses.
        virus_checked: bool,
        /// The day.
        on: Date,
    },
    /// Classified content (e.g. a mark found by the scanner, R13.5) on a device (R4.1, R4.3,
    /// R10.1 no. 3).
    ContentFound {
        /// The device.
        device: DeviceId,
        /// The device's level.
        device_level: Level,
        /// The level of the content.
        content_level: Level,
        /// Where (path, printer job, …).
        location: String,
        /// The day.
        on: Date,
    },
    /// A removable medium was used on a machine (R4.3).
    MediumSeen(Sighting),
    /// A security program was uninstalled or modified (R4.1, R10.1 no. 7).
    SecuritySoftwareChanged {
        /// The device.
        device: DeviceId,
        /// Its level.
        level: Level,
        /// Which program.
        software: String,
        /// The approval for the change, if any; without one the change is unauthorised.
        approval: Option<ApprovalId>,
        /// The day.
        on: Date,
    },
    /// A device left the unit or was repurposed (R4.1, R4.7, R10.1 no. 8).
    DeviceDisposed {
        /// The device.
        device: DeviceId,
        /// Its level.
        level: Level,
        /// Given away, sold or discarded; `None` for repurposed (改作其他用途).
        disposal: Option<Disposal>,
        /// It had been through security processing first.
        security_processed: bool,
        /// The day.
        on: Date,
    },
    /// A copy, record or stored duplicate of a classified matter was made (R1.11, R10.1 no. 4).
    CopyMade {
        /// The source carrier.
        carrier: CarrierId,
        /// Its level.
        level: Level,
        /// Who made it.
        person: PersonId,
        /// The approval (for Top Secret: the originator's consent); `None` = illegal copy.
        approval: Option<ApprovalId>,
        /// The day.
        on: Date,
    },
    /// Secrets transmitted over a public network or unprotected communication (R10.1 no. 5).
    InsecureTransmission {
        /// Who sent them.
        person: PersonId,
        /// The level.
        level: Level,
        /// The channel (e-mail, instant messenger, ordinary phone, …).
        channel: String,
        /// The day.
        on: Date,
    },
    /// Secrets in private contact or correspondence (R10.1 no. 6).
    PrivateDisclosure {
        /// Who.
        person: PersonId,
        /// The level.
        level: Level,
        /// What was seen.
        note: String,
        /// The day.
        on: Date,
    },
    /// A person holds a carrier they have no right to hold (R3.2, R1.7, R10.1 no. 9); the
    /// caller decided the right (e.g. with the access decision).
    CarrierHeldWithoutRight {
        /// The carrier.
        carrier: CarrierId,
        /// Its level.
        level: Level,
        /// The person.
        person: PersonId,
        /// The day.
        on: Date,
    },
    /// A carrier was sent (R3.5, R10.1 no. 11).
    CarrierSent {
        /// The carrier.
        carrier: CarrierId,
        /// Its level.
        level: Level,
        /// How (the same channels the carrier ledger records, R3.5).
        channel: TransmissionChannel,
        /// The day.
        on: Date,
    },
    /// A carrier was bought, sold or passed on (R10.1 no. 10).
    CarrierTraded {
        /// The carrier.
        carrier: CarrierId,
        /// Its level.
        level: Level,
        /// The person.
        person: PersonId,
        /// What was done.
        trade: CarrierTrade,
        /// The day.
        on: Date,
    },
    /// A carrier was destroyed (R3.9, R10.1 no. 10).
    CarrierDestroyed {
        /// The carrier.
        carrier: CarrierId,
        /// Its level.
        level: Level,
        /// Who destroyed it.
        person: PersonId,
        /// The destruction approval; `None` = destroyed privately.
        approval: Option<ApprovalId>,
        /// The day.
        on: Date,
    },
    /// A carrier left the country (R3.6, R10.1 no. 12).
    CarrierAbroad {
        /// The carrier.
        carrier: CarrierId,
        /// Its level.
        level: Level,
        /// How.
        by: AbroadBy,
        /// The competent department's approval.
        approval: Option<ApprovalId>,
        /// The day.
        on: Date,
    },
    /// A peripheral attached to a computer (R4.3).
    PeripheralAttached {
        /// The computer.
        device: DeviceId,
        /// Its level.
        level: Level,
        /// What is attached.
        peripheral: Peripheral,
        /// The computer is connected to a network.
        networked: bool,
        /// The computer stands in a classified place.
        in_classified_place: bool,
        /// The day.
        on: Date,
    },
}

/// What a finding is about; findings are merged per kind and subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    /// A device.
    Device(DeviceId),
    /// A removable medium, by its normalised serial number.
    Medium(String),
    /// A carrier.
    Carrier(CarrierId),
    /// A person.
    Person(PersonId),
}

/// The evidence behind a finding: everything the merged observations named, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// Devices involved.
    pub devices: BTreeSet<DeviceId>,
    /// Removable media involved, by serial.
    pub media: BTreeSet<String>,
    /// Carriers involved.
    pub carriers: BTreeSet<CarrierId>,
    /// Persons involved.
    pub persons: BTreeSet<PersonId>,
    /// Days on which it was observed.
    pub dates: BTreeSet<Date>,
    /// What was seen (routes, programs, paths, channels).
    pub details: BTreeSet<String>,
}

/// A violation found in the observations.
///
/// Serialises for reports; it does not deserialise, because rule ids are static text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which violation.
    pub kind: FindingKind,
    /// What it is about.
    pub subject: Subject,
    /// The highest level involved.
    pub level: Level,
    /// The rules cited: R10.1 first for serious violations, then the rule broken.
    pub rules: Vec<RuleId>,
    /// The merged evidence.
    pub evidence: Evidence,
}

impl Finding {
    /// True for one of the twelve serious violations.
    pub fn is_serious(&self) -> bool {
        matches!(self.kind, FindingKind::Serious(_))
    }
}

impl Describe for Finding {
    fn describe(&self, lang: Lang) -> String {
        let rules = self
            .rules
            .iter()
            .map(|r| r.0)
            .collect::<Vec<_>>()
            .join(", ");
        let first = self.evidence.dates.first();
        let subject = match (&self.subject, lang) {
            (Subject::Device(d), Lang::Zh) => format!("设备 {d}"),
            (Subject::Device(d), Lang::En) => format!("device {d}"),
            (Subject::Medium(m), Lang::Zh) => format!("移动存储介质 {m}"),
            (Subject::Medium(m), Lang::En) => format!("removable medium {m}"),
            (Subject::Carrier(c), Lang::Zh) => format!("载体 {c}"),
            (Subject::Carrier(c), Lang::En) => format!("carrier {c}"),
            (Subject::Person(p), Lang::Zh) => format!("人员 {p}"),
            (Subject::Person(p), Lang::En) => format!("person {p}"),
        };
        let (label, since) = match lang {
            Lang::Zh if self.is_serious() => ("严重违规", "首次发现"),
            Lang::Zh => ("违规", "首次发现"),
            Lang::En if self.is_serious() => ("serious violation", "first seen"),
            Lang::En => ("breach", "first seen"),
        };
        let name = lang.pick(self.kind.zh(), self.kind.en());
        match (lang, first) {
            (Lang::Zh, Some(d)) => format!("{label}：{name}（{subject}，{since} {d}；{rules}）"),
            (Lang::Zh, None) => format!("{label}：{name}（{subject}；{rules}）"),
            (Lang::En, Some(d)) => format!("{label}: {name} ({subject}, {since} {d}; {rules})"),
            (Lang::En, None) => format!("{label}: {name} ({subject}; {rules})"),
        }
    }
}

/// Accumulates findings keyed by kind and subject.
#[derive(Default)]
struct Collector {
    found: BTreeMap<(FindingKind, Subject), (Level, Evidence)>,
}

impl Collector {
    fn add(&mut self, kind: FindingKind, subject: Subject, level: Level) -> &mut Evidence {
        let entry = self
            .found
            .entry((kind, subject))
            .or_insert((level, Evidence::default()));
        entry.0 = entry.0.max(level);
        &mut entry.1
    }

    fn serious(&mut self, v: SeriousViolation, subject: Subject, level: Level) -> &mut Evidence {
        self.add(FindingKind::Serious(v), subject, level)
    }

    fn breach(&mut self, b: Breach, subject: Subject, level: Level) -> &mut Evidence {
        self.add(FindingKind::Breach(b), subject, level)
    }

    fn finish(self) -> Vec<Finding> {
        self.found
            .into_iter()
            .map(|((kind, subject), (level, evidence))| Finding {
                kind,
                rules: kind.rules(),
                subject,
                level,
                evidence,
            })
            .collect()
    }
}

/// Normalises a medium serial for comparison: trimmed, ASCII upper case.
fn normalise_serial(serial: &str) -> String {
    serial.trim().to_ascii_uppercase()
}

/// R10.1 (and R4.1, R4.3, R4.7, R3.5): every violation the observations show, one finding per
/// violation and subject with the evidence of all its observations merged, sorted by kind
/// (the twelve in order, then breaches) and subject. The same input always gives the same
/// output, whatever the order of the observations.
///
/// What counts:
/// * an Internet/public route on a device above Unclassified → no. 1;
/// * an export to a public network, or an import through an unprotected channel or without a
///   virus check, on a device above Unclassified → no. 2 (R5.4);
/// * state-secret content on a device of level Internal or Unclassified → no. 3; content above
///   a classified device's own level → [`Breach::ContentAboveDeviceLevel`] (R4.1);
/// * a medium seen on at least one machine above Unclassified and at least one Unclassified
///   machine → [`Breach::RemovableMediumCrossUse`] (R4.3), one finding per medium listing every
///   machine and day it was seen on;
/// * a security program changed without approval on a device above Unclassified → no. 7;
/// * a device above Unclassified given away, sold, discarded or repurposed without security
///   processing → no. 8; discarded after processing → [`Breach::ClassifiedDeviceDiscarded`];
/// * for carriers and secrets (level Secret or above): an unapproved copy → no. 4; insecure
///   transmission → no. 5; private disclosure → no. 6; holding without right → no. 9; bought,
///   sold, transferred, or destroyed without approval → no. 10; ordinary post or express →
///   no. 11, Top Secret through the exchange station →
///   [`Breach::TopSecretThroughExchangeStation`]; mailed or consigned abroad, or carried or
///   sent abroad without approval → no. 12. (A courier without a safe route or the exchange
///   station outside the city are refused when the transmission is recorded,
///   [`crate::carriers::Carrier::apply`]; they are not among the twelve and not reported here.)
/// * a wireless peripheral on a computer above Unclassified, or a webcam/microphone on a
///   networked computer in a classified place → the R4.3 breaches.
pub fn detect(observations: &[Observation]) -> Vec<Finding> {
    use SeriousViolation as V;
    let mut c = Collector::default();
    // Media sightings are correlated after the pass: medium → sightings.
    let mut media: BTreeMap<String, Vec<&Sighting>> = BTreeMap::new();

    for obs in observations {
        match obs {
            Observation::PublicNetworkRoute {
                device,
                level,
                route,
                on,
            } => {
                if managed_as_classified(*level) {
                    let e = c.serious(V::ConnectToPublicNetwork, Subject::Device(*device), *level);
                    e.devices.insert(*device);
                    e.dates.insert(*on);
                    e.details.insert(route.clone());
                }
            }
            Observation::NetworkExchange {
                device,
                level,
                direction,
                channel,
                virus_checked,
                on,
            } => {
                let unprotected =
                    *direction == Direction::Export || !channel.is_protected() || !virus_checked;
                if managed_as_classified(*level) && unprotected {
                    let e = c.serious(V::UnprotectedExchange, Subject::Device(*device), *level);
                    e.devices.insert(*device);
                    e.dates.insert(*on);
                    e.details.insert(format!(
                        "{}:{}{}",
                        match direction {
                            Direction::Import => "import",
                            Direction::Export => "export",
                        },
                        match channel {
                            ExchangeChannel::OneWayImport => "one_way_import",
                            ExchangeChannel::IntermediateMachine => "intermediate_machine",
                            ExchangeChannel::WriteOnceDisc => "write_once_disc",
                            ExchangeChannel::DirectLink => "direct_link",
                            ExchangeChannel::RemovableMedium => "removable_medium",
                            ExchangeChannel::Other => "other",
                        },
                        if *virus_checked {
                            ""
                        } else {
                            ":no_virus_check"
                        }
                    ));
                }
            }
            Observation::ContentFound {
                device,
                device_level,
                content_level,
                location,
                on,
            } => {
                let kind = if !content_level.is_state_secret() {
                    None
                } else if !device_level.is_state_secret() {
                    Some(FindingKind::Serious(V::SecretsOnUnclassifiedDevice))
                } else if content_level > device_level {
                    Some(FindingKind::Breach(Breach::ContentAboveDeviceLevel))
                } else {
                    None
                };
                if let Some(kind) = kind {
                    let e = c.add(kind, Subject::Device(*device), *content_level);
                    e.devices.insert(*device);
                    e.dates.insert(*on);
                    e.details.insert(location.clone());
                }
            }
            Observation::MediumSeen(s) => {
                let serial = normalise_serial(&s.medium);
                if !serial.is_empty() {
                    media.entry(serial).or_default().push(s);
                }
            }
            Observation::SecuritySoftwareChanged {
                device,
                level,
                software,
                approval,
                on,
            } => {
                if managed_as_classified(*level) && approval.is_none() {
                    let e = c.serious(V::SecurityProgramsRemoved, Subject::Device(*device), *level);
                    e.devices.insert(*device);
                    e.dates.insert(*on);
                    e.details.insert(software.clone());
                }
            }
            Observation::DeviceDisposed {
                device,
                level,
                disposal,
                security_processed,
                on,
            } => {
                if managed_as_classified(*level) {
                    let subject = Subject::Device(*device);
                    let e = if !security_processed {
                        Some(c.serious(V::UnprocessedDeviceDisposed, subject, *level))
                    } else if *disposal == Some(Disposal::Discard) {
                        Some(c.breach(Breach::ClassifiedDeviceDiscarded, subject, *level))
                    } else {
                        None
                    };
                    if let Some(e) = e {
                        e.devices.insert(*device);
                        e.dates.insert(*on);
                        e.details.insert(
                            disposal
                                .map_or("repurposed", |d| match d {
                                    Disposal::GiveAway => "given_away",
                                    Disposal::Sell => "sold",
                                    Disposal::Discard => "discarded",
                                })
                                .to_owned(),
                        );
                    }
                }
            }
            Observation::CopyMade {
                carrier,
                level,
                person,
                approval,
                on,
            } => {
                if level.is_state_secret() && approval.is_none() {
                    let e = c.serious(V::IllegalCopying, Subject::Carrier(*carrier), *level);
                    e.carriers.insert(*carrier);
                    e.persons.insert(*person);
                    e.dates.insert(*on);
                }
            }
            Observation::InsecureTransmission {
                person,
                level,
                channel,
                on,
            } => {
                if level.is_state_secret() {
                    let e = c.serious(V::InsecureTransmission, Subject::Person(*person), *level);
                    e.persons.insert(*person);
                    e.dates.insert(*on);
                    e.details.insert(channel.clone());
                }
            }
            Observation::PrivateDisclosure {
                person,
                level,
                note,
                on,
            } => {
                if level.is_state_secret() {
                    let e = c.serious(V::SecretsInPrivateContact, Subject::Person(*person), *level);
                    e.persons.insert(*person);
                    e.dates.insert(*on);
                    e.details.insert(note.clone());
                }
            }
            Observation::CarrierHeldWithoutRight {
                carrier,
                level,
                person,
                on,
            } => {
                if level.is_state_secret() {
                    let e = c.serious(
                        V::CarrierObtainedOrHeldIllegally,
                        Subject::Carrier(*carrier),
                        *level,
                    );
                    e.carriers.insert(*carrier);
                    e.persons.insert(*person);
                    e.dates.insert(*on);
                }
            }
            Observation::CarrierSent {
                carrier,
                level,
                channel,
                on,
            } => {
                let kind = match channel {
                    _ if !level.is_state_secret() => None,
                    TransmissionChannel::OrdinaryPost | TransmissionChannel::Express => {
                        Some(FindingKind::Serious(V::CarrierByOrdinaryPost))
                    }
                    TransmissionChannel::ExchangeStation { .. } if *level == Level::TopSecret => {
                        Some(FindingKind::Breach(Breach::TopSecretThroughExchangeStation))
                    }
                    _ => None,
                };
                if let Some(kind) = kind {
                    let e = c.add(kind, Subject::Carrier(*carrier), *level);
                    e.carriers.insert(*carrier);
                    e.dates.insert(*on);
                    e.details.insert(
                        match channel {
                            TransmissionChannel::OrdinaryPost => "ordinary_post",
                            TransmissionChannel::Express => "express",
                            TransmissionChannel::ExchangeStation { .. } => "exchange_station",
                            TransmissionChannel::ConfidentialTransport => "confidential_transport",
                            TransmissionChannel::ConfidentialCommunication => {
                                "confidential_communication"
                            }
                            TransmissionChannel::DedicatedCourier { .. } => "dedicated_courier",
                        }
                        .to_owned(),
                    );
                }
            }
            Observation::CarrierTraded {
                carrier,
                level,
                person,
                trade,
                on,
            } => {
                if level.is_state_secret() {
                    let e = c.serious(
                        V::CarrierTradedOrDestroyed,
                        Subject::Carrier(*carrier),
                        *level,
                    );
                    e.carriers.insert(*carrier);
                    e.persons.insert(*person);
                    e.dates.insert(*on);
                    e.details.insert(
                        match trade {
                            CarrierTrade::Bought => "bought",
                            CarrierTrade::Sold => "sold",
                            CarrierTrade::Transferred => "transferred",
                        }
                        .to_owned(),
                    );
                }
            }
            Observation::CarrierDestroyed {
                carrier,
                level,
                person,
                approval,
                on,
            } => {
                if level.is_state_secret() && approval.is_none() {
                    let e = c.serious(
                        V::CarrierTradedOrDestroyed,
                        Subject::Carrier(*carrier),
                        *level,
                    );
                    e.carriers.insert(*carrier);
                    e.persons.insert(*person);
                    e.dates.insert(*on);
                    e.details.insert("destroyed_privately".to_owned());
                }
            }
            Observation::CarrierAbroad {
                carrier,
                level,
                by,
                approval,
                on,
            } => {
                let violation = match by {
                    AbroadBy::Mail | AbroadBy::Consign => true,
                    AbroadBy::Carry | AbroadBy::Send => approval.is_none(),
                };
                if level.is_state_secret() && violation {
                    let e = c.serious(V::CarrierTakenAbroad, Subject::Carrier(*carrier), *level);
                    e.carriers.insert(*carrier);
                    e.dates.insert(*on);
                    e.details.insert(
                        match by {
                            AbroadBy::Mail => "mailed",
                            AbroadBy::Consign => "consigned",
                            AbroadBy::Carry => "carried",
                            AbroadBy::Send => "sent",
                        }
                        .to_owned(),
                    );
                }
            }
            Observation::PeripheralAttached {
                device,
                level,
                peripheral,
                networked,
                in_classified_place,
                on,
            } => {
                let breach = if peripheral.is_wireless() && managed_as_classified(*level) {
                    Some(Breach::WirelessPeripheral)
                } else if peripheral.is_camera_or_microphone() && *networked && *in_classified_place
                {
                    Some(Breach::CameraOrMicrophone)
                } else {
                    None
                };
                if let Some(b) = breach {
                    let e = c.breach(b, Subject::Device(*device), *level);
                    e.devices.insert(*device);
                    e.dates.insert(*on);
                    e.details.insert(peripheral.en().to_owned());
                }
            }
        }
    }

    for (serial, sightings) in media {
        let classified = sightings
            .iter()
            .filter(|s| managed_as_classified(s.device_level))
            .map(|s| s.device_level)
            .max();
        let on_unclassified = sightings
            .iter()
            .any(|s| !managed_as_classified(s.device_level));
        if let (Some(level), true) = (classified, on_unclassified) {
            let e = c.breach(
                Breach::RemovableMediumCrossUse,
                Subject::Medium(serial.clone()),
                level,
            );
            e.media.insert(serial);
            for s in sightings {
                e.devices.insert(s.device);
                e.dates.insert(s.on);
            }
        }
    }

    c.finish()
}
