//! Classified carriers (涉密载体): kinds, the ledger record, the life-cycle state machine and
//! inventory reconciliation (DOMAIN R3.1–R3.10, with R1.9, R1.11 and R10.1 where carriers meet
//! them).
//!
//! * [`CarrierKind`] — R3.1: paper, optical, electronic, magnetic, equipment and products.
//! * [`Carrier`] — R3.2: the ledger record. Every carrier is inventoried, numbered
//!   ([`CarrierNumber`] + copy number), registered ([`Carrier::register`]) and signed for
//!   ([`CarrierCommand::TakeIntoCustody`]); it carries its matter's mark or level, who holds it
//!   and where it is kept. Fields are private: the record changes only through
//!   [`Carrier::apply`].
//! * [`CarrierState`] / [`CarrierCommand`] — R3.10: registered → in custody ⇄ lent / in transit /
//!   carried out / in repair → destroyed (or declassified → released). Each command states the
//!   approval and conditions it needs (R3.4–R3.9); [`Carrier::apply`] checks them all and only
//!   then returns the new record with a [`TransitionRecord`] for the ledger and the audit log.
//!   A refused command changes nothing: `apply` takes `&self`.
//! * [`reconcile`] — R3.7: regular inventory; compares the ledger with what was found and lists
//!   every [`Discrepancy`] in a deterministic order.
//! * [`Carrier::copy_of`] — R1.11: a copy keeps the source's mark and matter, is stamped by the
//!   copying unit and is managed as an original.
//! * [`Carrier::overdue_on`] — R3.4/R13.4: lent or carried-out carriers not back by their due
//!   date.
//!
//! ## Approvals
//!
//! The caller passes [`Approval`] values (who approved, in which role, when). The core checks
//! that the role is one the rule accepts, that the approver is not the person asking (no
//! self-approval, practice as in R1.6), and that the approval is not dated after the act. For
//! copies it also checks the approver's [`Approval::unit`] with the one R1.11 rule
//! [`crate::determination::check_derivation_consent`] that [`crate::determination::derive`]
//! uses, so a copy and a derivation accept and refuse the same consents. Repair arrangements are
//! checked by [`check_repair_arrangement`], which devices use too (R3.8). Which roles each act
//! accepts:
//!
//! | act | accepted approvers | rule |
//! |---|---|---|
//! | lend | unit head or leader | R3.4 |
//! | carry out (any level) | unit head | R3.6 |
//! | carry out abroad | unit head **and** competent department | R3.6, R10.1 |
//! | send out for repair | unit head, leader or confidentiality office (practice) | R3.8 |
//! | destroy | unit head, leader or confidentiality office (practice) | R3.9 |
//! | copy Confidential/Secret | unit head or leader, of the copying or originating unit or a unit above either | R1.11 |
//! | copy Top Secret | the originating unit or its superior | R1.11 |
//! | release after declassification | unit head, leader or confidentiality office (practice) | R3.10 |
//!
//! ## Judgement calls where DOMAIN is silent (practice)
//!
//! * Carriers of work secrets (内部) are handled as Secret ones: DOMAIN and the seeds say work
//!   secrets are managed "by reference" to state secrets; taking the strictest reading keeps one
//!   rule set. Unclassified items are not registered at all.
//! * Carrying a Top Secret carrier out needs the unit head's approval **and** a second person
//!   accompanying the bearer (two-person rule); R3.6 names only Confidential and Secret.
//! * Foreign-related activities: R3.6 says "not into foreign-related activities" with no
//!   approval path, so carrying out to one is always refused.
//! * "In-house first" (R3.8) is the caller's workflow; the core records which arrangement was
//!   used and enforces the conditions of each (supervisor on site; designated repairer, approval
//!   and storage removed when sent out; a carrier that is itself a storage medium is never
//!   sent out, since it has no storage part to remove).
//! * [`Carrier::holder`] is the person currently accountable: the borrower while lent, the bearer
//!   while carried out, the courier while a dedicated courier carries it; [`Carrier::location`]
//!   is the place it is kept, changed on custody and on receipt.
//! * A carrier is declassified only while in the unit's hands (registered or in custody); one that
//!   is away is brought back first.
//! * Destruction records are kept permanently (R3.9): [`CarrierState::Destroyed`] is terminal and
//!   the record is never deleted — the store enforces this; nothing in this module removes one.

use crate::determination::{check_derivation_consent, Consent, DerivationSource, UnitDirectory};
use crate::ids::{ApprovalId, CarrierId, MatterId, PersonId, UnitId};
use crate::marks::{Level, Mark};
use crate::{Describe, Lang, RuleId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;

// ---------------------------------------------------------------------------------------------
// R3.1 kinds
// ---------------------------------------------------------------------------------------------

/// The broad family of a carrier (R3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierFamily {
    /// 纸介质 — paper.
    Paper,
    /// 光介质 — optical.
    Optical,
    /// 电子介质 — electronic.
    Electronic,
    /// 磁介质 — magnetic.
    Magnetic,
    /// 涉密设备、产品 — equipment and products that embody secrets.
    EquipmentOrProduct,
}

impl CarrierFamily {
    /// 纸介质, 光介质, 电子介质, 磁介质, 设备产品.
    pub fn zh(self) -> &'static str {
        match self {
            CarrierFamily::Paper => "纸介质",
            CarrierFamily::Optical => "光介质",
            CarrierFamily::Electronic => "电子介质",
            CarrierFamily::Magnetic => "磁介质",
            CarrierFamily::EquipmentOrProduct => "涉密设备、产品",
        }
    }

    /// paper, optical, electronic, magnetic, equipment or product.
    pub fn en(self) -> &'static str {
        match self {
            CarrierFamily::Paper => "paper",
            CarrierFamily::Optical => "optical",
            CarrierFamily::Electronic => "electronic",
            CarrierFamily::Magnetic => "magnetic",
            CarrierFamily::EquipmentOrProduct => "equipment or product",
        }
    }
}

/// The kind of a classified carrier (R3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CarrierKind {
    /// 文件 — a paper document.
    PaperDocument,
    /// 图纸 — a drawing.
    Drawing,
    /// 书刊、资料 — a book or bound material.
    Book,
    /// 光盘 — CD, VCD, DVD or another optical disc.
    OpticalDisc,
    /// U盘 — a USB flash disk.
    UsbDisk,
    /// 移动硬盘 — a portable drive.
    PortableDrive,
    /// 硬盘 — a hard disk.
    HardDisk,
    /// 磁带 — a tape (data, audio or video).
    Tape,
    /// 软盘 — a floppy disk.
    Floppy,
    /// 涉密设备、仪器 — equipment or an instrument embodying secrets.
    Equipment,
    /// 涉密产品 — a product embodying secrets.
    Product,
}

impl CarrierKind {
    /// Every kind, in declaration order.
    pub const ALL: [CarrierKind; 11] = [
        CarrierKind::PaperDocument,
        CarrierKind::Drawing,
        CarrierKind::Book,
        CarrierKind::OpticalDisc,
        CarrierKind::UsbDisk,
        CarrierKind::PortableDrive,
        CarrierKind::HardDisk,
        CarrierKind::Tape,
        CarrierKind::Floppy,
        CarrierKind::Equipment,
        CarrierKind::Product,
    ];

    /// The family the kind belongs to (R3.1).
    pub fn family(self) -> CarrierFamily {
        match self {
            CarrierKind::PaperDocument | CarrierKind::Drawing | CarrierKind::Book => {
                CarrierFamily::Paper
            }
            CarrierKind::OpticalDisc => CarrierFamily::Optical,
            CarrierKind::UsbDisk | CarrierKind::PortableDrive => CarrierFamily::Electronic,
            CarrierKind::HardDisk | CarrierKind::Tape | CarrierKind::Floppy => {
                CarrierFamily::Magnetic
            }
            CarrierKind::Equipment | CarrierKind::Product => CarrierFamily::EquipmentOrProduct,
        }
    }

    /// True when the carrier **is** a storage medium (optical, electronic and magnetic
    /// families: disc, USB disk, portable drive, hard disk, tape, floppy). It has no storage part
    /// to remove, so R3.8's "storage parts removed first" can never be met: such a carrier is
    /// never sent out for repair ([`CarrierRefusal::StorageMediumCannotBeSentOut`]); it is
    /// repaired in house or on site under supervision, or destroyed. Optical discs are included
    /// as storage media too (**practice**: the same reasoning; DOMAIN does not single them out).
    pub fn is_storage_medium(self) -> bool {
        matches!(
            self.family(),
            CarrierFamily::Optical | CarrierFamily::Electronic | CarrierFamily::Magnetic
        )
    }

    /// True when the carrier holds (or may hold) an information storage part that must be
    /// removed before it is sent out for repair (R3.8): equipment and products. Storage media
    /// themselves are not "with storage" but storage ([`CarrierKind::is_storage_medium`]).
    pub fn has_removable_storage(self) -> bool {
        self.family() == CarrierFamily::EquipmentOrProduct
    }

    /// 文件, 图纸, 书刊资料, 光盘, U盘, 移动硬盘, 硬盘, 磁带, 软盘, 涉密设备, 涉密产品.
    pub fn zh(self) -> &'static str {
        match self {
            CarrierKind::PaperDocument => "文件",
            CarrierKind::Drawing => "图纸",
            CarrierKind::Book => "书刊资料",
            CarrierKind::OpticalDisc => "光盘",
            CarrierKind::UsbDisk => "U盘",
            CarrierKind::PortableDrive => "移动硬盘",
            CarrierKind::HardDisk => "硬盘",
            CarrierKind::Tape => "磁带",
            CarrierKind::Floppy => "软盘",
            CarrierKind::Equipment => "涉密设备",
            CarrierKind::Product => "涉密产品",
        }
    }

    /// document, drawing, book, optical disc, USB disk, portable drive, hard disk, tape,
    /// floppy disk, equipment, product.
    pub fn en(self) -> &'static str {
        match self {
            CarrierKind::PaperDocument => "document",
            CarrierKind::Drawing => "drawing",
            CarrierKind::Book => "book",
            CarrierKind::OpticalDisc => "optical disc",
            CarrierKind::UsbDisk => "USB disk",
            CarrierKind::PortableDrive => "portable drive",
            CarrierKind::HardDisk => "hard disk",
            CarrierKind::Tape => "tape",
            CarrierKind::Floppy => "floppy disk",
            CarrierKind::Equipment => "equipment",
            CarrierKind::Product => "product",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// R3.2 the record
// ---------------------------------------------------------------------------------------------

/// Trims and folds runs of whitespace into one space; `None` when nothing is left or the text
/// holds a control character.
fn clean_text(text: &str) -> Option<String> {
    if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return None;
    }
    let cleaned = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!cleaned.is_empty()).then_some(cleaned)
}

/// A carrier's unit-wide number (编号), e.g. `机字〔2024〕015号` (R3.2). Never empty; whitespace
/// is trimmed and folded so that the same number typed twice compares equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CarrierNumber(String);

impl CarrierNumber {
    /// Validates a number: refused with [`CarrierRefusal::EmptyNumber`] when blank or holding
    /// control characters.
    pub fn new(text: &str) -> Result<CarrierNumber, CarrierRefusal> {
        clean_text(text)
            .map(CarrierNumber)
            .ok_or(CarrierRefusal::EmptyNumber)
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CarrierNumber {
    type Error = CarrierRefusal;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CarrierNumber::new(&value)
    }
}

impl From<CarrierNumber> for String {
    fn from(value: CarrierNumber) -> String {
        value.0
    }
}

impl fmt::Display for CarrierNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a carrier is kept, e.g. `保密室 3号保密柜` (R3.2, R3.7). Never empty; whitespace is
/// trimmed and folded so that an inventory's observation compares equal to the ledger's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Location(String);

impl Location {
    /// Validates a location: refused with [`CarrierRefusal::EmptyLocation`] when blank.
    pub fn new(text: &str) -> Result<Location, CarrierRefusal> {
        clean_text(text)
            .map(Location)
            .ok_or(CarrierRefusal::EmptyLocation)
    }

    /// The location as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Location {
    type Error = CarrierRefusal;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Location::new(&value)
    }
}

impl From<Location> for String {
    fn from(value: Location) -> String {
        value.0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The classification printed on a carrier (R3.2): its matter's full mark (R1.3) or, when the
/// period is not yet known to the registering office, the level alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CarrierMarking {
    /// The full mark, e.g. `机密★10年`.
    Mark(Mark),
    /// The level alone.
    Level(Level),
}

impl CarrierMarking {
    /// The level of the marking.
    pub fn level(&self) -> Level {
        match self {
            CarrierMarking::Mark(m) => m.level(),
            CarrierMarking::Level(l) => *l,
        }
    }

    /// The Chinese form: the mark (`机密★10年`) or the level (`机密`).
    pub fn to_zh(&self) -> String {
        match self {
            CarrierMarking::Mark(m) => m.to_zh(),
            CarrierMarking::Level(l) => l.zh().to_owned(),
        }
    }

    /// The English form: the mark (`CONFIDENTIAL//10Y`) or the level (`CONFIDENTIAL`).
    pub fn to_en(&self) -> String {
        match self {
            CarrierMarking::Mark(m) => m.to_en(),
            CarrierMarking::Level(l) => l.en().to_owned(),
        }
    }
}

/// The stamp a copy carries (R1.11): which carrier it was copied from, by which unit, when and
/// under which approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyStamp {
    /// The source carrier.
    pub source: CarrierId,
    /// The copying unit, whose stamp the copy bears.
    pub unit: UnitId,
    /// The day of copying.
    pub on: Date,
    /// The approval (or, for Top Secret, the originator's consent).
    pub approval: ApprovalId,
}

/// What the registering office enters to register a carrier (R3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The id the store allocated.
    pub id: CarrierId,
    /// The unit-wide number.
    pub number: CarrierNumber,
    /// The copy number (份号), from 1.
    pub copy: NonZeroU32,
    /// The kind.
    pub kind: CarrierKind,
    /// Its matter's mark or level.
    pub marking: CarrierMarking,
    /// The matter recorded in the ledger, when known.
    pub matter: Option<MatterId>,
    /// The unit whose ledger holds the carrier and whose number it bears.
    pub unit: UnitId,
    /// Title or description as entered in the ledger.
    pub title: String,
    /// The person who registers and holds it until it is taken into custody.
    pub holder: PersonId,
    /// Where it is.
    pub location: Location,
}

/// A classified carrier as recorded in the ledger (R3.2). Fields are private; the record changes
/// only through [`Carrier::apply`], which enforces R3.4–R3.10.
///
/// Destruction records are kept permanently (R3.9): a carrier in [`CarrierState::Destroyed`] is
/// never deleted from the store.
///
/// Deserialising a stored record trusts the store for the state and its history (it was checked
/// when each transition was applied); the number and location are still validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    id: CarrierId,
    number: CarrierNumber,
    copy: NonZeroU32,
    kind: CarrierKind,
    marking: CarrierMarking,
    matter: Option<MatterId>,
    unit: UnitId,
    title: String,
    holder: PersonId,
    location: Location,
    state: CarrierState,
    registered_on: Date,
    changed_on: Date,
    copied_from: Option<CopyStamp>,
}

/// A carrier's number and copy number: what is printed on it and what an inventory reads
/// (R3.2, R3.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CarrierKey {
    /// The unit-wide number.
    pub number: CarrierNumber,
    /// The copy number.
    pub copy: NonZeroU32,
}

impl fmt::Display for CarrierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} #{}", self.number, self.copy)
    }
}

impl Carrier {
    /// R3.2: registers a carrier. It enters the ledger in [`CarrierState::Registered`] and is
    /// then signed for with [`CarrierCommand::TakeIntoCustody`]. Refused for unclassified items
    /// ([`CarrierRefusal::NotClassified`]) and a blank title ([`CarrierRefusal::EmptyTitle`]).
    pub fn register(registration: Registration, on: Date) -> Result<Carrier, CarrierRefusal> {
        if registration.marking.level() == Level::Unclassified {
            return Err(CarrierRefusal::NotClassified);
        }
        let title = clean_text(&registration.title).ok_or(CarrierRefusal::EmptyTitle)?;
        Ok(Carrier {
            id: registration.id,
            number: registration.number,
            copy: registration.copy,
            kind: registration.kind,
            marking: registration.marking,
            matter: registration.matter,
            unit: registration.unit,
            title,
            holder: registration.holder,
            location: registration.location,
            state: CarrierState::Registered,
            registered_on: on,
            changed_on: on,
            copied_from: None,
        })
    }

    /// R1.11: makes the record of a copy of `source`. The copy keeps the source's marking and
    /// matter (nobody may lower them here), bears the copying unit's [`CopyStamp`] and is managed
    /// as an original: it starts in custody of `new.holder` at `new.location`.
    ///
    /// Needs, from someone other than `requested_by` and dated no later than `on`: for Top
    /// Secret the consent of the originating unit or its superior ([`ApproverRole::Originator`]);
    /// for Confidential, Secret (and work secrets, practice) the approval of the unit head or a
    /// leader. The role is checked first ([`CarrierRefusal::ApprovalMissing`],
    /// [`CarrierRefusal::WrongApprover`], [`CarrierRefusal::SelfApproval`],
    /// [`CarrierRefusal::ApprovalAfterAct`]); then the approver's unit goes through the same
    /// R1.11 check as [`crate::determination::derive`]
    /// ([`crate::determination::check_derivation_consent`]): for Top Secret it must be
    /// `classifying_unit` (the unit that classified the source's matter) or a unit above it; for
    /// the other levels that, or the copying unit (`new.unit`) or a unit above it. Otherwise
    /// [`CarrierRefusal::Derivation`] wraps the very refusal `derive` gives.
    ///
    /// The source must be in custody or lent (a borrower copying with approval); otherwise
    /// [`CarrierRefusal::IllegalTransition`]. A source whose matter is not recorded in the ledger
    /// cannot be checked against its originating unit and is refused
    /// ([`CarrierRefusal::CopySourceMatterUnknown`], practice). Copying without a valid approval
    /// is also the R10.1 violation "illegally copying".
    pub fn copy_of(
        source: &Carrier,
        new: NewCopy,
        approval: Option<Approval>,
        requested_by: PersonId,
        on: Date,
        classifying_unit: UnitId,
        units: &UnitDirectory,
    ) -> Result<Carrier, CarrierRefusal> {
        let from = source.state.status();
        if !matches!(from, CarrierStatus::InCustody | CarrierStatus::Lent) {
            return Err(CarrierRefusal::IllegalTransition {
                from,
                command: CommandKind::Copy,
            });
        }
        if on < source.changed_on {
            return Err(CarrierRefusal::OutOfOrder {
                last: source.changed_on,
                on,
            });
        }
        let accepted: &[ApproverRole] = if source.handling_level() == Level::TopSecret {
            &[ApproverRole::Originator]
        } else {
            &[ApproverRole::UnitHead, ApproverRole::Leader]
        };
        let matter = source
            .matter
            .ok_or(CarrierRefusal::CopySourceMatterUnknown)?;
        let approval_id = check_approval(
            approval.as_ref(),
            CommandKind::Copy,
            accepted,
            requested_by,
            on,
        )?;
        let consents: Vec<Consent> = approval.iter().map(Approval::as_consent).collect();
        let derivation = DerivationSource {
            matter,
            level: source.handling_level(),
            classifying_unit,
        };
        check_derivation_consent(&derivation, new.unit, requested_by, on, &consents, units)
            .map_err(|reason| CarrierRefusal::Derivation { reason })?;
        Ok(Carrier {
            id: new.id,
            number: new.number,
            copy: new.copy,
            kind: new.kind,
            marking: source.marking.clone(),
            matter: source.matter,
            unit: new.unit,
            title: source.title.clone(),
            holder: new.holder,
            location: new.location,
            state: CarrierState::InCustody,
            registered_on: on,
            changed_on: on,
            copied_from: Some(CopyStamp {
                source: source.id,
                unit: new.unit,
                on,
                approval: approval_id,
            }),
        })
    }

    /// The id.
    pub fn id(&self) -> CarrierId {
        self.id
    }

    /// The unit-wide number.
    pub fn number(&self) -> &CarrierNumber {
        &self.number
    }

    /// The copy number (份号).
    pub fn copy(&self) -> NonZeroU32 {
        self.copy
    }

    /// Number and copy number together, as an inventory reads them.
    pub fn key(&self) -> CarrierKey {
        CarrierKey {
            number: self.number.clone(),
            copy: self.copy,
        }
    }

    /// The kind (R3.1).
    pub fn kind(&self) -> CarrierKind {
        self.kind
    }

    /// The matter's mark or level.
    pub fn marking(&self) -> &CarrierMarking {
        &self.marking
    }

    /// The level of the marking.
    pub fn level(&self) -> Level {
        self.marking.level()
    }

    /// The level whose rules apply: work secrets are handled as Secret (practice, see the
    /// module documentation).
    pub fn handling_level(&self) -> Level {
        self.marking.level().max(Level::Secret)
    }

    /// The matter, when recorded.
    pub fn matter(&self) -> Option<MatterId> {
        self.matter
    }

    /// The unit whose ledger holds it.
    pub fn unit(&self) -> UnitId {
        self.unit
    }

    /// Title or description.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The person currently accountable for it (custodian, borrower, bearer or courier).
    pub fn holder(&self) -> PersonId {
        self.holder
    }

    /// Where it is kept.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Its state in the life cycle (R3.10).
    pub fn state(&self) -> &CarrierState {
        &self.state
    }

    /// Its state without data.
    pub fn status(&self) -> CarrierStatus {
        self.state.status()
    }

    /// The day it was registered (or copied).
    pub fn registered_on(&self) -> Date {
        self.registered_on
    }

    /// The day of the last transition.
    pub fn changed_on(&self) -> Date {
        self.changed_on
    }

    /// The copy stamp, when the carrier is a copy (R1.11).
    pub fn copied_from(&self) -> Option<&CopyStamp> {
        self.copied_from.as_ref()
    }

    /// The day by which a lent or carried-out carrier must be back.
    pub fn due(&self) -> Option<Date> {
        match &self.state {
            CarrierState::Lent { due, .. } | CarrierState::CarriedOut { due, .. } => Some(*due),
            _ => None,
        }
    }

    /// R3.4, R13.4: true when the carrier is lent or carried out and `on` is after its due date
    /// (the due day itself is not overdue).
    pub fn overdue_on(&self, on: Date) -> bool {
        self.due().is_some_and(|due| on > due)
    }

    /// R3.10: applies a command. Checks that the transition exists from the current state, that
    /// `on` is not before the last change, and every approval and condition the command needs
    /// (R3.4–R3.9); only then returns the new record and a [`TransitionRecord`]. `self` is never
    /// changed: a refused command leaves the carrier as it was.
    pub fn apply(&self, command: CarrierCommand, on: Date) -> Result<Transition, CarrierRefusal> {
        let from = self.state.status();
        let kind = command.kind();
        if !kind.allowed_from(from) {
            return Err(CarrierRefusal::IllegalTransition {
                from,
                command: kind,
            });
        }
        if on < self.changed_on {
            return Err(CarrierRefusal::OutOfOrder {
                last: self.changed_on,
                on,
            });
        }
        let mut next = self.clone();
        match &command {
            CarrierCommand::TakeIntoCustody { holder, location } => {
                next.holder = *holder;
                next.location = location.clone();
                next.state = CarrierState::InCustody;
            }
            CarrierCommand::Lend {
                to,
                due,
                approval,
                borrower_cleared,
            } => {
                if !borrower_cleared {
                    return Err(CarrierRefusal::BorrowerNotCleared { borrower: *to });
                }
                check_due(kind, *due, on)?;
                let approval = check_approval(approval.as_ref(), kind, LEND_APPROVERS, *to, on)?;
                next.holder = *to;
                next.state = CarrierState::Lent {
                    to: *to,
                    since: on,
                    due: *due,
                    approval,
                };
            }
            CarrierCommand::Return {
                received_by,
                face_to_face,
                inventory_matches,
            } => {
                check_hand_over(kind, *face_to_face, *inventory_matches)?;
                next.holder = *received_by;
                next.state = CarrierState::InCustody;
            }
            CarrierCommand::Transmit { channel, to } => {
                check_channel(channel, self.handling_level())?;
                if let TransmissionChannel::DedicatedCourier { courier, .. } = channel {
                    next.holder = *courier;
                }
                next.state = CarrierState::InTransit {
                    channel: channel.clone(),
                    to: *to,
                    since: on,
                };
            }
            CarrierCommand::Receive {
                by,
                by_unit,
                location,
                face_to_face,
                inventory_matches,
            } => {
                if let CarrierState::InTransit { to, .. } = &self.state {
                    if to != by_unit {
                        return Err(CarrierRefusal::WrongRecipient {
                            expected: *to,
                            found: *by_unit,
                        });
                    }
                }
                check_hand_over(kind, *face_to_face, *inventory_matches)?;
                next.holder = *by;
                next.location = location.clone();
                next.state = CarrierState::InCustody;
            }
            CarrierCommand::CarryOut {
                by,
                due,
                destination,
                approvals,
                escort,
                bearer_cleared,
            } => {
                let ids = self.check_carry_out(
                    *by,
                    *due,
                    *destination,
                    approvals,
                    *escort,
                    *bearer_cleared,
                    on,
                )?;
                next.holder = *by;
                next.state = CarrierState::CarriedOut {
                    by: *by,
                    destination: *destination,
                    since: on,
                    due: *due,
                    escort: *escort,
                    approvals: ids,
                };
            }
            CarrierCommand::SendForRepair {
                arrangement,
                approval,
                requested_by,
            } => {
                let approval =
                    self.check_repair(arrangement, approval.as_ref(), *requested_by, on)?;
                next.state = CarrierState::InRepair {
                    arrangement: arrangement.clone(),
                    since: on,
                    approval,
                };
            }
            CarrierCommand::Destroy {
                method,
                approval,
                requested_by,
            } => {
                let approval =
                    check_approval(approval.as_ref(), kind, OFFICE_APPROVERS, *requested_by, on)?;
                let method = method
                    .as_ref()
                    .ok_or(CarrierRefusal::DestructionMethodMissing)?;
                check_destruction_method(method)?;
                next.state = CarrierState::Destroyed {
                    on,
                    method: method.clone(),
                    approval,
                };
            }
            CarrierCommand::Declassify {
                matter_declassified_on,
            } => {
                if *matter_declassified_on > on {
                    return Err(CarrierRefusal::NotYetDeclassified {
                        declassified_on: *matter_declassified_on,
                        on,
                    });
                }
                next.state = CarrierState::Declassified {
                    on: *matter_declassified_on,
                };
            }
            CarrierCommand::Release {
                approval,
                requested_by,
            } => {
                let approval =
                    check_approval(approval.as_ref(), kind, OFFICE_APPROVERS, *requested_by, on)?;
                next.state = CarrierState::Released { on, approval };
            }
            CarrierCommand::Remark { marking } => {
                if marking.level() == Level::Unclassified {
                    return Err(CarrierRefusal::NotClassified);
                }
                if *marking == self.marking {
                    return Err(CarrierRefusal::RemarkUnchanged);
                }
                next.marking = marking.clone();
            }
        }
        next.changed_on = on;
        let record = TransitionRecord {
            carrier: self.id,
            on,
            from,
            to: next.state.status(),
            command,
        };
        Ok(Transition {
            carrier: next,
            record,
        })
    }

    /// R3.6 checks for carrying out; returns the approvals used.
    #[allow(clippy::too_many_arguments)]
    fn check_carry_out(
        &self,
        by: PersonId,
        due: Date,
        destination: CarryDestination,
        approvals: &[Approval],
        escort: Option<PersonId>,
        bearer_cleared: bool,
        on: Date,
    ) -> Result<Vec<ApprovalId>, CarrierRefusal> {
        let kind = CommandKind::CarryOut;
        if destination == CarryDestination::ForeignRelatedActivity {
            return Err(CarrierRefusal::ForeignRelatedActivity);
        }
        if !bearer_cleared {
            return Err(CarrierRefusal::BearerNotCleared { bearer: by });
        }
        check_due(kind, due, on)?;
        let head = find_approval(approvals, &[ApproverRole::UnitHead]);
        let head = check_approval(head, kind, &[ApproverRole::UnitHead], by, on)?;
        let mut used = vec![head];
        if self.handling_level() == Level::TopSecret && escort.is_none_or(|e| e == by) {
            return Err(CarrierRefusal::TopSecretNeedsEscort);
        }
        if destination == CarryDestination::Abroad {
            let competent = find_approval(approvals, &[ApproverRole::CompetentDepartment])
                .ok_or(CarrierRefusal::AbroadWithoutCompetentApproval)?;
            used.push(check_approval(
                Some(competent),
                kind,
                &[ApproverRole::CompetentDepartment],
                by,
                on,
            )?);
        }
        Ok(used)
    }

    /// R3.8 checks for repair; returns the approval used when one is needed.
    fn check_repair(
        &self,
        arrangement: &RepairArrangement,
        approval: Option<&Approval>,
        requested_by: PersonId,
        on: Date,
    ) -> Result<Option<ApprovalId>, CarrierRefusal> {
        match arrangement {
            RepairArrangement::SentOut {
                storage_removed, ..
            } => {
                if self.kind.is_storage_medium() {
                    return Err(CarrierRefusal::StorageMediumCannotBeSentOut { kind: self.kind });
                }
                if self.kind.has_removable_storage() && !storage_removed {
                    return Err(CarrierRefusal::StorageNotRemoved { kind: self.kind });
                }
            }
            RepairArrangement::InHouse { .. } | RepairArrangement::OnSite { .. } => {}
        }
        check_repair_arrangement(arrangement, approval, requested_by, on)
    }
}

/// What the copying unit enters for a copy (R1.11); the marking and matter come from the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCopy {
    /// The id the store allocated.
    pub id: CarrierId,
    /// The copy's number in the copying unit.
    pub number: CarrierNumber,
    /// Its copy number.
    pub copy: NonZeroU32,
    /// Its kind (a printout of a disc is paper).
    pub kind: CarrierKind,
    /// The copying unit.
    pub unit: UnitId,
    /// Who signs for it.
    pub holder: PersonId,
    /// Where it is kept.
    pub location: Location,
}

// ---------------------------------------------------------------------------------------------
// Approvals
// ---------------------------------------------------------------------------------------------

/// The role in which an approval was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApproverRole {
    /// 机关、单位负责人 — the head of the unit.
    UnitHead,
    /// 主管（分管）领导 — a leader in charge.
    Leader,
    /// 保密工作机构 — the confidentiality office.
    ConfidentialityOffice,
    /// 有关主管部门 — the competent department (for carriers leaving the country, R3.6).
    CompetentDepartment,
    /// 原定密机关、单位或其上级 — the originating unit or its superior (R1.11).
    Originator,
}

impl ApproverRole {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            ApproverRole::UnitHead => "单位负责人",
            ApproverRole::Leader => "主管领导",
            ApproverRole::ConfidentialityOffice => "保密工作机构",
            ApproverRole::CompetentDepartment => "有关主管部门",
            ApproverRole::Originator => "原定密单位或其上级",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            ApproverRole::UnitHead => "the unit head",
            ApproverRole::Leader => "a leader",
            ApproverRole::ConfidentialityOffice => "the confidentiality office",
            ApproverRole::CompetentDepartment => "the competent department",
            ApproverRole::Originator => "the originating unit or its superior",
        }
    }
}

/// An approval given by a person in a role, as recorded by the caller's workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The approval's id.
    pub id: ApprovalId,
    /// Who approved.
    pub by: PersonId,
    /// In which role.
    pub role: ApproverRole,
    /// The unit in whose name they approved; R1.11 checks it for copies (the originating unit
    /// or its superior for Top Secret).
    pub unit: UnitId,
    /// When.
    pub on: Date,
}

impl Approval {
    /// The approval as an R1.11 consent (who, for which unit, when), for
    /// [`crate::determination::check_derivation_consent`].
    pub fn as_consent(&self) -> Consent {
        Consent {
            by: self.by,
            unit: self.unit,
            on: self.on,
        }
    }
}

/// R3.4: who may approve lending.
const LEND_APPROVERS: &[ApproverRole] = &[ApproverRole::UnitHead, ApproverRole::Leader];

/// R3.8, R3.9, R3.10: who may approve sending out for repair, destruction and release
/// (practice).
const OFFICE_APPROVERS: &[ApproverRole] = &[
    ApproverRole::UnitHead,
    ApproverRole::Leader,
    ApproverRole::ConfidentialityOffice,
];

fn find_approval<'a>(approvals: &'a [Approval], roles: &[ApproverRole]) -> Option<&'a Approval> {
    approvals.iter().find(|a| roles.contains(&a.role))
}

/// Checks one approval: present, of an accepted role, not given by the requester, not dated after
/// the act.
fn check_approval(
    approval: Option<&Approval>,
    action: CommandKind,
    accepted: &[ApproverRole],
    requester: PersonId,
    on: Date,
) -> Result<ApprovalId, CarrierRefusal> {
    let Some(approval) = approval else {
        return Err(CarrierRefusal::ApprovalMissing {
            action,
            needed: accepted.to_vec(),
        });
    };
    if !accepted.contains(&approval.role) {
        return Err(CarrierRefusal::WrongApprover {
            action,
            needed: accepted.to_vec(),
            given: approval.role,
        });
    }
    if approval.by == requester {
        return Err(CarrierRefusal::SelfApproval {
            action,
            person: requester,
        });
    }
    if approval.on > on {
        return Err(CarrierRefusal::ApprovalAfterAct {
            action,
            approved_on: approval.on,
            on,
        });
    }
    Ok(approval.id)
}

fn check_due(action: CommandKind, due: Date, on: Date) -> Result<(), CarrierRefusal> {
    if due < on {
        return Err(CarrierRefusal::DueBeforeStart { action, due, on });
    }
    Ok(())
}

fn check_hand_over(
    action: CommandKind,
    face_to_face: bool,
    inventory_matches: bool,
) -> Result<(), CarrierRefusal> {
    if !face_to_face {
        return Err(CarrierRefusal::NotFaceToFace { action });
    }
    if !inventory_matches {
        return Err(CarrierRefusal::InventoryMismatch { action });
    }
    Ok(())
}

fn check_channel(channel: &TransmissionChannel, level: Level) -> Result<(), CarrierRefusal> {
    match channel {
        TransmissionChannel::ConfidentialTransport
        | TransmissionChannel::ConfidentialCommunication => Ok(()),
        TransmissionChannel::DedicatedCourier { safe_route, .. } => {
            if *safe_route {
                Ok(())
            } else {
                Err(CarrierRefusal::CourierRouteUnsafe)
            }
        }
        TransmissionChannel::ExchangeStation { within_city } => {
            if level == Level::TopSecret {
                Err(CarrierRefusal::ExchangeStationNotForTopSecret)
            } else if !within_city {
                Err(CarrierRefusal::ExchangeStationOutsideCity)
            } else {
                Ok(())
            }
        }
        TransmissionChannel::OrdinaryPost | TransmissionChannel::Express => {
            Err(CarrierRefusal::UnprotectedChannel {
                channel: channel.clone(),
            })
        }
    }
}

fn check_destruction_method(method: &DestructionMethod) -> Result<(), CarrierRefusal> {
    let short = |shortfall| Err(CarrierRefusal::DestructionInadequate { shortfall });
    match method {
        DestructionMethod::DesignatedBody {
            body,
            packed,
            transported_safely,
            supervisor,
        } => {
            if clean_text(body).is_none() {
                return short(DestructionShortfall::NoBodyNamed);
            }
            if !packed {
                return short(DestructionShortfall::NotPacked);
            }
            if !transported_safely {
                return short(DestructionShortfall::NotTransportedSafely);
            }
            if supervisor.is_none() {
                return short(DestructionShortfall::NotSupervised);
            }
            Ok(())
        }
        DestructionMethod::InHouse {
            equipment,
            meets_national_standard,
            ..
        } => {
            if clean_text(equipment).is_none() {
                return short(DestructionShortfall::EquipmentUnnamed);
            }
            if !meets_national_standard {
                return short(DestructionShortfall::EquipmentNotStandard);
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// R3.10 states and commands
// ---------------------------------------------------------------------------------------------

/// How a carrier is transmitted (R3.5). Ordinary post and express are listed so that they can
/// be refused by name (and reported as the R10.1 violation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransmissionChannel {
    /// 机要交通 — confidential transport.
    ConfidentialTransport,
    /// 机要通信 — confidential communication.
    ConfidentialCommunication,
    /// 专人递送 — a dedicated courier; allowed only on a safe route with security measures.
    DedicatedCourier {
        /// The courier, who holds the carrier until hand-over.
        courier: PersonId,
        /// A safe means of transport and route were chosen and measures taken.
        safe_route: bool,
    },
    /// 机要文件交换站 — the confidential document exchange station; Confidential and Secret only,
    /// within the city.
    ExchangeStation {
        /// Sender and recipient are in the same city.
        within_city: bool,
    },
    /// 普通邮政 — ordinary post: never (R3.5, R10.1).
    OrdinaryPost,
    /// 快递 — express delivery: never (R3.5, R10.1).
    Express,
}

impl TransmissionChannel {
    /// The Chinese name.
    pub fn zh(&self) -> &'static str {
        match self {
            TransmissionChannel::ConfidentialTransport => "机要交通",
            TransmissionChannel::ConfidentialCommunication => "机要通信",
            TransmissionChannel::DedicatedCourier { .. } => "专人递送",
            TransmissionChannel::ExchangeStation { .. } => "机要文件交换站",
            TransmissionChannel::OrdinaryPost => "普通邮政",
            TransmissionChannel::Express => "快递",
        }
    }

    /// The English name.
    pub fn en(&self) -> &'static str {
        match self {
            TransmissionChannel::ConfidentialTransport => "confidential transport",
            TransmissionChannel::ConfidentialCommunication => "confidential communication",
            TransmissionChannel::DedicatedCourier { .. } => "dedicated courier",
            TransmissionChannel::ExchangeStation { .. } => "confidential document exchange station",
            TransmissionChannel::OrdinaryPost => "ordinary post",
            TransmissionChannel::Express => "express delivery",
        }
    }
}

/// Where a carrier is carried out to (R3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CarryDestination {
    /// Out of the office, inside the country, not a foreign-related activity.
    Domestic,
    /// Into a foreign-related activity: not allowed.
    ForeignRelatedActivity,
    /// Out of the country: only with the competent department's approval.
    Abroad,
}

impl CarryDestination {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            CarryDestination::Domestic => "境内外出",
            CarryDestination::ForeignRelatedActivity => "涉外活动",
            CarryDestination::Abroad => "出境",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            CarryDestination::Domestic => "out of the office (domestic)",
            CarryDestination::ForeignRelatedActivity => "a foreign-related activity",
            CarryDestination::Abroad => "out of the country",
        }
    }
}

/// How a carrier is repaired (R3.8).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RepairArrangement {
    /// By the unit's own technical staff (the first choice).
    InHouse {
        /// The technician.
        technician: PersonId,
    },
    /// By an outside technician working on the unit's premises under supervision.
    OnSite {
        /// The outside technician and their company, as written in the repair record.
        technician: String,
        /// The unit's person supervising the whole repair on site.
        supervisor: PersonId,
    },
    /// Sent out to a repairer designated (approved) by the confidentiality administration.
    SentOut {
        /// The repairer.
        repairer: String,
        /// The reference of its designation; `None` means not designated, which is refused.
        designation: Option<String>,
        /// The information storage parts were removed before sending (equipment and products;
        /// a storage medium is refused whatever this says).
        storage_removed: bool,
    },
}

/// R3.8: the checks every repair arrangement needs, whatever is repaired — shared by carriers
/// ([`CarrierCommand::SendForRepair`]) and devices ([`crate::devices::DeviceAction::SendForRepair`]):
///
/// * in-house — nothing further;
/// * on site — the outside technician is named ([`CarrierRefusal::RepairerUnnamed`]);
/// * sent out — the repairer is named, its designation is given
///   ([`CarrierRefusal::RepairerNotDesignated`]) and an approval by the unit head, a leader or
///   the confidentiality office (practice), not by `requested_by` and not dated after `on`
///   ([`CarrierRefusal::ApprovalMissing`], [`CarrierRefusal::WrongApprover`],
///   [`CarrierRefusal::SelfApproval`], [`CarrierRefusal::ApprovalAfterAct`]).
///
/// What depends on the thing repaired — a storage medium is never sent out, storage parts are
/// removed first — is checked by the caller, which knows its kind. Returns the approval used
/// when one is needed.
pub fn check_repair_arrangement(
    arrangement: &RepairArrangement,
    approval: Option<&Approval>,
    requested_by: PersonId,
    on: Date,
) -> Result<Option<ApprovalId>, CarrierRefusal> {
    match arrangement {
        RepairArrangement::InHouse { .. } => Ok(None),
        RepairArrangement::OnSite { technician, .. } => {
            clean_text(technician).ok_or(CarrierRefusal::RepairerUnnamed)?;
            Ok(None)
        }
        RepairArrangement::SentOut {
            repairer,
            designation,
            ..
        } => {
            clean_text(repairer).ok_or(CarrierRefusal::RepairerUnnamed)?;
            if designation.as_deref().and_then(clean_text).is_none() {
                return Err(CarrierRefusal::RepairerNotDesignated);
            }
            check_approval(
                approval,
                CommandKind::SendForRepair,
                OFFICE_APPROVERS,
                requested_by,
                on,
            )
            .map(Some)
        }
    }
}

/// How a carrier is destroyed (R3.9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DestructionMethod {
    /// Handed to the destruction body designated by the confidentiality administration.
    DesignatedBody {
        /// The body.
        body: String,
        /// Sorted and packed.
        packed: bool,
        /// Transported safely.
        transported_safely: bool,
        /// The unit's person supervising on site.
        supervisor: Option<PersonId>,
    },
    /// Destroyed in-house (small amounts) with equipment meeting the national standard.
    InHouse {
        /// The equipment used.
        equipment: String,
        /// The equipment and method meet the national confidentiality standard.
        meets_national_standard: bool,
        /// Who destroyed it.
        operator: PersonId,
    },
}

/// What is missing from a destruction method (R3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestructionShortfall {
    /// No destruction body named.
    NoBodyNamed,
    /// Not packed.
    NotPacked,
    /// Not transported safely.
    NotTransportedSafely,
    /// Nobody supervising on site.
    NotSupervised,
    /// No equipment named.
    EquipmentUnnamed,
    /// Equipment not meeting the national standard.
    EquipmentNotStandard,
}

impl DestructionShortfall {
    /// The Chinese text.
    pub fn zh(self) -> &'static str {
        match self {
            DestructionShortfall::NoBodyNamed => "未指明销毁工作机构",
            DestructionShortfall::NotPacked => "未分类封装",
            DestructionShortfall::NotTransportedSafely => "未安全运送",
            DestructionShortfall::NotSupervised => "无专人现场监销",
            DestructionShortfall::EquipmentUnnamed => "未指明销毁设备",
            DestructionShortfall::EquipmentNotStandard => "销毁设备和方法不符合国家保密标准",
        }
    }

    /// The English text.
    pub fn en(self) -> &'static str {
        match self {
            DestructionShortfall::NoBodyNamed => "no destruction body is named",
            DestructionShortfall::NotPacked => "the carriers were not packed",
            DestructionShortfall::NotTransportedSafely => {
                "the carriers were not transported safely"
            }
            DestructionShortfall::NotSupervised => "nobody supervises the destruction on site",
            DestructionShortfall::EquipmentUnnamed => "no destruction equipment is named",
            DestructionShortfall::EquipmentNotStandard => {
                "the equipment does not meet the national standard"
            }
        }
    }
}

/// A carrier's state in its life cycle (R3.10), with what the ledger must know about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CarrierState {
    /// Entered in the ledger, not yet signed into custody.
    Registered,
    /// Kept by its custodian at its location.
    InCustody,
    /// Lent to a borrower (R3.4).
    Lent {
        /// The borrower.
        to: PersonId,
        /// Lent on.
        since: Date,
        /// To be returned by.
        due: Date,
        /// The leader's approval.
        approval: ApprovalId,
    },
    /// Being transmitted (R3.5).
    InTransit {
        /// The channel.
        channel: TransmissionChannel,
        /// The recipient unit.
        to: UnitId,
        /// Sent on.
        since: Date,
    },
    /// Carried out of the office (R3.6).
    CarriedOut {
        /// The bearer, under whose control it stays.
        by: PersonId,
        /// Where to.
        destination: CarryDestination,
        /// Since.
        since: Date,
        /// To be back by.
        due: Date,
        /// The person accompanying the bearer (required for Top Secret, practice).
        escort: Option<PersonId>,
        /// The approvals used (unit head; competent department when abroad).
        approvals: Vec<ApprovalId>,
    },
    /// Under repair (R3.8).
    InRepair {
        /// How.
        arrangement: RepairArrangement,
        /// Since.
        since: Date,
        /// The approval, when sent out.
        approval: Option<ApprovalId>,
    },
    /// Destroyed (R3.9). Terminal; the record is kept permanently.
    Destroyed {
        /// Destroyed on.
        on: Date,
        /// How.
        method: DestructionMethod,
        /// The approval.
        approval: ApprovalId,
    },
    /// Its matter was declassified (R1.9); awaiting release.
    Declassified {
        /// The day the matter was declassified.
        on: Date,
    },
    /// Released from carrier management after declassification. Terminal.
    Released {
        /// Released on.
        on: Date,
        /// The approval.
        approval: ApprovalId,
    },
}

impl CarrierState {
    /// The state without its data.
    pub fn status(&self) -> CarrierStatus {
        match self {
            CarrierState::Registered => CarrierStatus::Registered,
            CarrierState::InCustody => CarrierStatus::InCustody,
            CarrierState::Lent { .. } => CarrierStatus::Lent,
            CarrierState::InTransit { .. } => CarrierStatus::InTransit,
            CarrierState::CarriedOut { .. } => CarrierStatus::CarriedOut,
            CarrierState::InRepair { .. } => CarrierStatus::InRepair,
            CarrierState::Destroyed { .. } => CarrierStatus::Destroyed,
            CarrierState::Declassified { .. } => CarrierStatus::Declassified,
            CarrierState::Released { .. } => CarrierStatus::Released,
        }
    }
}

/// The states of R3.10 without their data, for ledgers, filters and refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierStatus {
    /// 已登记.
    Registered,
    /// 在库保管.
    InCustody,
    /// 借出.
    Lent,
    /// 传递中.
    InTransit,
    /// 携带外出.
    CarriedOut,
    /// 维修中.
    InRepair,
    /// 已销毁.
    Destroyed,
    /// 已解密.
    Declassified,
    /// 已解除管理.
    Released,
}

impl CarrierStatus {
    /// True for states from which no command leads anywhere (destroyed, released).
    pub fn is_terminal(self) -> bool {
        matches!(self, CarrierStatus::Destroyed | CarrierStatus::Released)
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            CarrierStatus::Registered => "已登记",
            CarrierStatus::InCustody => "在库保管",
            CarrierStatus::Lent => "借出",
            CarrierStatus::InTransit => "传递中",
            CarrierStatus::CarriedOut => "携带外出",
            CarrierStatus::InRepair => "维修中",
            CarrierStatus::Destroyed => "已销毁",
            CarrierStatus::Declassified => "已解密",
            CarrierStatus::Released => "已解除管理",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            CarrierStatus::Registered => "registered",
            CarrierStatus::InCustody => "in custody",
            CarrierStatus::Lent => "lent",
            CarrierStatus::InTransit => "in transit",
            CarrierStatus::CarriedOut => "carried out",
            CarrierStatus::InRepair => "in repair",
            CarrierStatus::Destroyed => "destroyed",
            CarrierStatus::Declassified => "declassified",
            CarrierStatus::Released => "released",
        }
    }
}

impl fmt::Display for CarrierStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.en())
    }
}

/// A command on a carrier (R3.10), carrying the approval and the conditions its rule needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CarrierCommand {
    /// R3.2: sign the carrier into custody (from registered), or hand custody to another
    /// custodian or place (from in custody).
    TakeIntoCustody {
        /// The custodian who signs.
        holder: PersonId,
        /// Where it is kept.
        location: Location,
    },
    /// R3.4: lend to a borrower, with a leader's approval, until a due date.
    Lend {
        /// The borrower.
        to: PersonId,
        /// To be returned by (not before today).
        due: Date,
        /// The approval of the unit head or a leader, not given by the borrower.
        approval: Option<Approval>,
        /// The access decision (category and knowledge scope, R2.1/R1.7) allows the borrower.
        borrower_cleared: bool,
    },
    /// R3.4/R3.6/R3.8: take back a lent, carried-out or repaired carrier, face to face with an
    /// inventory.
    Return {
        /// The custodian receiving it.
        received_by: PersonId,
        /// Handed back face to face.
        face_to_face: bool,
        /// The inventory (pages, parts, seals) matches the record.
        inventory_matches: bool,
    },
    /// R3.5: send to another unit through a permitted channel.
    Transmit {
        /// The channel.
        channel: TransmissionChannel,
        /// The recipient unit.
        to: UnitId,
    },
    /// R3.5: receipt by the recipient unit, face to face with an inventory.
    Receive {
        /// The person receiving and signing.
        by: PersonId,
        /// Their unit; must be the one the carrier was sent to.
        by_unit: UnitId,
        /// Where it will be kept.
        location: Location,
        /// Handed over face to face.
        face_to_face: bool,
        /// The inventory matches the dispatch list.
        inventory_matches: bool,
    },
    /// R3.6: carry out of the office.
    CarryOut {
        /// The bearer.
        by: PersonId,
        /// To be back by (not before today).
        due: Date,
        /// Where to.
        destination: CarryDestination,
        /// The unit head's approval; abroad also the competent department's.
        approvals: Vec<Approval>,
        /// A second person accompanying the bearer (required for Top Secret, practice).
        escort: Option<PersonId>,
        /// The access decision allows the bearer to hold the carrier.
        bearer_cleared: bool,
    },
    /// R3.8: repair.
    SendForRepair {
        /// How.
        arrangement: RepairArrangement,
        /// Needed when sent out.
        approval: Option<Approval>,
        /// Who asks.
        requested_by: PersonId,
    },
    /// R3.9: destroy.
    Destroy {
        /// How; required.
        method: Option<DestructionMethod>,
        /// Required.
        approval: Option<Approval>,
        /// Who asks.
        requested_by: PersonId,
    },
    /// R1.9: the carrier's matter was declassified.
    Declassify {
        /// The day the matter was declassified (not after today).
        matter_declassified_on: Date,
    },
    /// R1.8: re-mark the carrier after its matter's level or period changed. The change itself
    /// was approved on the matter (determination), so re-marking needs no approval of its own;
    /// it is allowed wherever the carrier is, and recorded like every other transition.
    Remark {
        /// The new marking: the matter's changed mark.
        marking: CarrierMarking,
    },
    /// R3.10: release a declassified carrier from carrier management.
    Release {
        /// Required.
        approval: Option<Approval>,
        /// Who asks.
        requested_by: PersonId,
    },
}

impl CarrierCommand {
    /// The kind of command.
    pub fn kind(&self) -> CommandKind {
        match self {
            CarrierCommand::TakeIntoCustody { .. } => CommandKind::TakeIntoCustody,
            CarrierCommand::Lend { .. } => CommandKind::Lend,
            CarrierCommand::Return { .. } => CommandKind::Return,
            CarrierCommand::Transmit { .. } => CommandKind::Transmit,
            CarrierCommand::Receive { .. } => CommandKind::Receive,
            CarrierCommand::CarryOut { .. } => CommandKind::CarryOut,
            CarrierCommand::SendForRepair { .. } => CommandKind::SendForRepair,
            CarrierCommand::Destroy { .. } => CommandKind::Destroy,
            CarrierCommand::Declassify { .. } => CommandKind::Declassify,
            CarrierCommand::Release { .. } => CommandKind::Release,
            CarrierCommand::Remark { .. } => CommandKind::Remark,
        }
    }
}

/// The kinds of [`CarrierCommand`], plus [`CommandKind::Copy`] for [`Carrier::copy_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// Sign into custody.
    TakeIntoCustody,
    /// Lend.
    Lend,
    /// Take back.
    Return,
    /// Transmit.
    Transmit,
    /// Receive.
    Receive,
    /// Carry out.
    CarryOut,
    /// Repair.
    SendForRepair,
    /// Destroy.
    Destroy,
    /// Declassify.
    Declassify,
    /// Release.
    Release,
    /// Copy (R1.11).
    Copy,
    /// Re-mark after the matter changed (R1.8).
    Remark,
}

impl CommandKind {
    /// R3.10: the transition table. Registered → custody, destroy (drafts, R3.3) or declassify;
    /// in custody → custody, lend, transmit, carry out, repair, destroy, declassify; lent, carried
    /// out and in repair → return; in transit → receive; declassified → release; destroyed and
    /// released → nothing. Copying (not a transition of the source) is possible from in custody
    /// and lent.
    pub fn allowed_from(self, from: CarrierStatus) -> bool {
        use CarrierStatus as S;
        use CommandKind as C;
        match self {
            C::TakeIntoCustody | C::Destroy | C::Declassify => {
                matches!(from, S::Registered | S::InCustody)
            }
            C::Lend | C::Transmit | C::CarryOut | C::SendForRepair => from == S::InCustody,
            C::Return => matches!(from, S::Lent | S::CarriedOut | S::InRepair),
            C::Receive => from == S::InTransit,
            C::Release => from == S::Declassified,
            C::Copy => matches!(from, S::InCustody | S::Lent),
            C::Remark => !matches!(from, S::Destroyed | S::Declassified | S::Released),
        }
    }

    /// The DOMAIN rule that governs the command.
    pub fn rule(self) -> RuleId {
        RuleId(match self {
            CommandKind::TakeIntoCustody => "R3.2",
            CommandKind::Lend | CommandKind::Return => "R3.4",
            CommandKind::Transmit | CommandKind::Receive => "R3.5",
            CommandKind::CarryOut => "R3.6",
            CommandKind::SendForRepair => "R3.8",
            CommandKind::Destroy => "R3.9",
            CommandKind::Declassify => "R1.9",
            CommandKind::Release => "R3.10",
            CommandKind::Copy => "R1.11",
            CommandKind::Remark => "R1.8",
        })
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            CommandKind::TakeIntoCustody => "签收保管",
            CommandKind::Lend => "借出",
            CommandKind::Return => "归还",
            CommandKind::Transmit => "传递",
            CommandKind::Receive => "签收",
            CommandKind::CarryOut => "携带外出",
            CommandKind::SendForRepair => "维修",
            CommandKind::Destroy => "销毁",
            CommandKind::Declassify => "解密",
            CommandKind::Release => "解除管理",
            CommandKind::Copy => "复制",
            CommandKind::Remark => "重新标注密级",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            CommandKind::TakeIntoCustody => "take into custody",
            CommandKind::Lend => "lend",
            CommandKind::Return => "return",
            CommandKind::Transmit => "transmit",
            CommandKind::Receive => "receive",
            CommandKind::CarryOut => "carry out",
            CommandKind::SendForRepair => "repair",
            CommandKind::Destroy => "destroy",
            CommandKind::Declassify => "declassify",
            CommandKind::Release => "release",
            CommandKind::Copy => "copy",
            CommandKind::Remark => "re-mark",
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.en())
    }
}

/// The ledger line of one transition (R3.2 registration and signature, R3.10): kept with the
/// carrier's history and written to the audit log. Destruction lines are kept permanently (R3.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRecord {
    /// The carrier.
    pub carrier: CarrierId,
    /// The day.
    pub on: Date,
    /// The state before.
    pub from: CarrierStatus,
    /// The state after.
    pub to: CarrierStatus,
    /// The command as given, with its approvals.
    pub command: CarrierCommand,
}

/// The result of an accepted command: the new record and its ledger line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The carrier after the command.
    pub carrier: Carrier,
    /// What happened.
    pub record: TransitionRecord,
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

fn zh_date(date: Date) -> String {
    crate::date_text(date, Lang::Zh)
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

/// Why a carrier operation was refused. Each names its DOMAIN rule ([`CarrierRefusal::rule`]);
/// some are also serious violations under R10.1 ([`CarrierRefusal::also_violates`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum CarrierRefusal {
    /// A blank carrier number (R3.2).
    #[error("a carrier must be numbered: the number is empty (R3.2)")]
    EmptyNumber,
    /// A blank location (R3.2).
    #[error("the manager must know where every carrier is: the location is empty (R3.2)")]
    EmptyLocation,
    /// A blank title (R3.2).
    #[error("a carrier is registered with a title or description: it is empty (R3.2)")]
    EmptyTitle,
    /// An unclassified item is not a classified carrier (R3.2).
    #[error("an unclassified item is not a classified carrier and is not registered (R3.2)")]
    NotClassified,
    /// A re-marking that changes nothing (R1.8).
    #[error("the carrier already carries this marking; nothing to re-mark (R1.8)")]
    RemarkUnchanged,
    /// The command does not exist from the current state (R3.10).
    #[error("cannot {command} a carrier that is {from} (R3.10)")]
    IllegalTransition {
        /// The current state.
        from: CarrierStatus,
        /// The command refused.
        command: CommandKind,
    },
    /// The command is dated before the carrier's last change (R3.10).
    #[error("dated {on}, before the carrier's last change on {last} (R3.10)")]
    OutOfOrder {
        /// The last change.
        last: Date,
        /// The date given.
        on: Date,
    },
    /// No approval was given.
    #[error("to {action} needs the approval of {} ({})", roles_en(.needed), .action.rule())]
    ApprovalMissing {
        /// The act.
        action: CommandKind,
        /// The roles that may approve it.
        needed: Vec<ApproverRole>,
    },
    /// The approval came from a role that may not approve this act.
    #[error("to {action} needs the approval of {}, not {} ({})", roles_en(.needed), .given.en(), .action.rule())]
    WrongApprover {
        /// The act.
        action: CommandKind,
        /// The roles that may approve it.
        needed: Vec<ApproverRole>,
        /// The role given.
        given: ApproverRole,
    },
    /// The person asking approved it themselves.
    #[error("person {person} may not approve their own request to {action} ({})", .action.rule())]
    SelfApproval {
        /// The act.
        action: CommandKind,
        /// The person.
        person: PersonId,
    },
    /// The approval is dated after the act.
    #[error("the approval to {action} is dated {approved_on}, after the act on {on} ({})", .action.rule())]
    ApprovalAfterAct {
        /// The act.
        action: CommandKind,
        /// The approval's date.
        approved_on: Date,
        /// The act's date.
        on: Date,
    },
    /// A due date before the day of lending or carrying out.
    #[error("to {action}: the due date {due} is before {on} ({})", .action.rule())]
    DueBeforeStart {
        /// The act.
        action: CommandKind,
        /// The due date.
        due: Date,
        /// The act's date.
        on: Date,
    },
    /// R3.4: the borrower is outside the category or knowledge scope.
    #[error("person {borrower} is not cleared to read this carrier and may not borrow it (R3.4)")]
    BorrowerNotCleared {
        /// The borrower.
        borrower: PersonId,
    },
    /// A hand-over not made face to face.
    #[error("to {action}: the hand-over must be face to face ({})", .action.rule())]
    NotFaceToFace {
        /// The act.
        action: CommandKind,
    },
    /// A hand-over whose inventory does not match: report at once (R3.7, R10.2).
    #[error("to {action}: the inventory does not match; report the discrepancy at once ({})", .action.rule())]
    InventoryMismatch {
        /// The act.
        action: CommandKind,
    },
    /// R3.5, R10.1: ordinary post or express.
    #[error("carriers are never sent by {} (R3.5); doing so is a serious violation (R10.1)", .channel.en())]
    UnprotectedChannel {
        /// The channel.
        channel: TransmissionChannel,
    },
    /// R3.5: the exchange station takes Confidential and Secret only.
    #[error("the confidential document exchange station takes Confidential and Secret carriers only, not Top Secret (R3.5)")]
    ExchangeStationNotForTopSecret,
    /// R3.5: the exchange station serves one city.
    #[error("the confidential document exchange station serves transmission within the city only (R3.5)")]
    ExchangeStationOutsideCity,
    /// R3.5: a courier needs a safe route and measures.
    #[error("a dedicated courier needs a safe means of transport and route with security measures (R3.5)")]
    CourierRouteUnsafe,
    /// R3.5: receipt by another unit than the one it was sent to.
    #[error("the carrier was sent to unit {expected}, not unit {found} (R3.5)")]
    WrongRecipient {
        /// The unit it was sent to.
        expected: UnitId,
        /// The unit trying to sign for it.
        found: UnitId,
    },
    /// R3.6: never into foreign-related activities.
    #[error("classified carriers may not be carried into foreign-related activities (R3.6)")]
    ForeignRelatedActivity,
    /// R3.6, R10.1: abroad without the competent department's approval.
    #[error("carrying a carrier out of the country needs the competent department's approval (R3.6); without it this is a serious violation (R10.1)")]
    AbroadWithoutCompetentApproval,
    /// R3.6 (practice): Top Secret goes out with a second person.
    #[error("a Top Secret carrier is carried out only with a second person accompanying the bearer (R3.6, practice)")]
    TopSecretNeedsEscort,
    /// R3.6: the bearer is outside the category or knowledge scope.
    #[error("person {bearer} is not cleared to hold this carrier and may not carry it out (R3.6)")]
    BearerNotCleared {
        /// The bearer.
        bearer: PersonId,
    },
    /// R3.8: an outside technician or repairer must be named.
    #[error("the outside technician or repairer must be named (R3.8)")]
    RepairerUnnamed,
    /// R3.8: sending out only to a designated repairer.
    #[error("carriers are sent out for repair only to a repairer designated by the confidentiality administration (R3.8)")]
    RepairerNotDesignated,
    /// R3.8: storage parts first.
    #[error("the storage parts of a {} must be removed before it is sent out for repair (R3.8)", .kind.en())]
    StorageNotRemoved {
        /// The kind.
        kind: CarrierKind,
    },
    /// R3.8: a storage medium is itself the storage; it cannot be sent out "with its storage
    /// removed", so it is never sent out for repair.
    #[error("a {} is itself a storage medium and is never sent out for repair; repair it in house or on site under supervision, or destroy it (R3.8)", .kind.en())]
    StorageMediumCannotBeSentOut {
        /// The kind.
        kind: CarrierKind,
    },
    /// R3.9: no destruction method.
    #[error("destruction needs a method: the designated destruction body or in-house equipment meeting the national standard (R3.9)")]
    DestructionMethodMissing,
    /// R3.9: the method falls short.
    #[error("destruction refused: {} (R3.9)", .shortfall.en())]
    DestructionInadequate {
        /// What is missing.
        shortfall: DestructionShortfall,
    },
    /// R1.9: the matter's declassification is dated in the future.
    #[error("the matter is declassified on {declassified_on}, after {on} (R1.9)")]
    NotYetDeclassified {
        /// The date given.
        declassified_on: Date,
        /// Today.
        on: Date,
    },
    /// R1.11: the approval of a copy fails the rule [`crate::determination::derive`] applies
    /// (the same [`crate::determination::Refusal`], e.g. a Top Secret consent from a unit that
    /// is neither the originating unit nor above it).
    #[error("{reason} ({})", .reason.rule())]
    Derivation {
        /// The refusal of [`crate::determination::check_derivation_consent`].
        reason: crate::determination::Refusal,
    },
    /// R1.11: the source carrier's matter is not recorded, so the copy's originating unit (and
    /// the mark it must keep) cannot be checked (practice).
    #[error("the source carrier's matter is not recorded in the ledger; its originating unit cannot be checked, so it cannot be copied (R1.11)")]
    CopySourceMatterUnknown,
}

impl CarrierRefusal {
    /// The DOMAIN rule the refusal enforces.
    pub fn rule(&self) -> RuleId {
        use CarrierRefusal as R;
        match self {
            R::EmptyNumber | R::EmptyLocation | R::EmptyTitle | R::NotClassified => RuleId("R3.2"),
            R::RemarkUnchanged => RuleId("R1.8"),
            R::IllegalTransition { .. } | R::OutOfOrder { .. } => RuleId("R3.10"),
            R::ApprovalMissing { action, .. }
            | R::WrongApprover { action, .. }
            | R::SelfApproval { action, .. }
            | R::ApprovalAfterAct { action, .. }
            | R::DueBeforeStart { action, .. }
            | R::NotFaceToFace { action }
            | R::InventoryMismatch { action } => action.rule(),
            R::BorrowerNotCleared { .. } => RuleId("R3.4"),
            R::UnprotectedChannel { .. }
            | R::ExchangeStationNotForTopSecret
            | R::ExchangeStationOutsideCity
            | R::CourierRouteUnsafe
            | R::WrongRecipient { .. } => RuleId("R3.5"),
            R::ForeignRelatedActivity
            | R::AbroadWithoutCompetentApproval
            | R::TopSecretNeedsEscort
            | R::BearerNotCleared { .. } => RuleId("R3.6"),
            R::RepairerUnnamed
            | R::RepairerNotDesignated
            | R::StorageNotRemoved { .. }
            | R::StorageMediumCannotBeSentOut { .. } => RuleId("R3.8"),
            R::DestructionMethodMissing | R::DestructionInadequate { .. } => RuleId("R3.9"),
            R::NotYetDeclassified { .. } => RuleId("R1.9"),
            R::Derivation { reason } => reason.rule(),
            R::CopySourceMatterUnknown => RuleId("R1.11"),
        }
    }

    /// `Some(R10.1)` when doing what was refused would be one of the twelve serious violations:
    /// sending by ordinary post or express, taking a carrier abroad without approval, destroying
    /// without approval ("privately destroying"), copying without approval or with one that fails
    /// R1.11 ("illegally copying").
    pub fn also_violates(&self) -> Option<RuleId> {
        match self {
            CarrierRefusal::UnprotectedChannel { .. }
            | CarrierRefusal::AbroadWithoutCompetentApproval
            | CarrierRefusal::ApprovalMissing {
                action: CommandKind::Destroy | CommandKind::Copy,
                ..
            }
            | CarrierRefusal::Derivation { .. } => Some(RuleId("R10.1")),
            _ => None,
        }
    }
}

impl Describe for CarrierRefusal {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        use CarrierRefusal as R;
        let text = match self {
            R::EmptyNumber => "载体必须编号：编号为空".to_owned(),
            R::EmptyLocation => "管理人员须随时掌握载体去向：存放位置为空".to_owned(),
            R::EmptyTitle => "载体登记须写明标题或名称：标题为空".to_owned(),
            R::NotClassified => "非密物品不是涉密载体，不予登记".to_owned(),
            R::RemarkUnchanged => "载体已是该密级标志，无需重新标注（R1.8）".to_owned(),
            R::IllegalTransition { from, command } => {
                format!("载体处于“{}”状态，不能{}", from.zh(), command.zh())
            }
            R::OutOfOrder { last, on } => {
                format!("日期 {} 早于载体上次变更日期 {}", zh_date(*on), zh_date(*last))
            }
            R::ApprovalMissing { action, needed } => {
                let mut t = format!("{}须经{}批准", action.zh(), roles_zh(needed));
                match action {
                    CommandKind::Destroy => t.push_str("；擅自销毁涉密载体属严重违规（R10.1）"),
                    CommandKind::Copy => t.push_str("；非法复制属严重违规（R10.1）"),
                    _ => {}
                }
                t
            }
            R::WrongApprover {
                action,
                needed,
                given,
            } => format!(
                "{}须经{}批准，{}的批准不能代替",
                action.zh(),
                roles_zh(needed),
                given.zh()
            ),
            R::SelfApproval { action, person } => {
                format!("人员 {person} 不能批准本人的{}申请", action.zh())
            }
            R::ApprovalAfterAct {
                action,
                approved_on,
                on,
            } => format!(
                "{}的批准日期 {} 晚于办理日期 {}，应先批准后办理",
                action.zh(),
                zh_date(*approved_on),
                zh_date(*on)
            ),
            R::DueBeforeStart { action, due, on } => {
                format!("{}的归还期限 {} 早于办理日期 {}", action.zh(), zh_date(*due), zh_date(*on))
            }
            R::BorrowerNotCleared { borrower } => {
                format!("人员 {borrower} 不在知悉范围内或涉密类别不够，不得借阅")
            }
            R::NotFaceToFace { action } => format!("{}须当面交接", action.zh()),
            R::InventoryMismatch { action } => {
                format!("{}时清点不符，应立即报告", action.zh())
            }
            R::UnprotectedChannel { channel } => format!(
                "涉密载体不得通过{}传递；通过普通邮政、快递等无保密措施的渠道传递属严重违规（R10.1）",
                channel.zh()
            ),
            R::ExchangeStationNotForTopSecret => {
                "机要文件交换站只传递机密级、秘密级载体，绝密级不得经交换站传递".to_owned()
            }
            R::ExchangeStationOutsideCity => "机要文件交换站仅用于同城传递".to_owned(),
            R::CourierRouteUnsafe => {
                "专人递送须选择安全的交通工具和路线，并采取保密措施".to_owned()
            }
            R::WrongRecipient { expected, found } => {
                format!("载体发往单位 {expected}，不能由单位 {found} 签收")
            }
            R::ForeignRelatedActivity => "涉密载体不得携带参加涉外活动".to_owned(),
            R::AbroadWithoutCompetentApproval => {
                "携带涉密载体出境须经有关主管部门批准；未经批准携带出境属严重违规（R10.1）"
                    .to_owned()
            }
            R::TopSecretNeedsEscort => "携带绝密级载体外出须二人以上同行（实践做法）".to_owned(),
            R::BearerNotCleared { bearer } => {
                format!("人员 {bearer} 不在知悉范围内或涉密类别不够，不得携带外出")
            }
            R::RepairerUnnamed => "须写明外单位维修人员或维修单位".to_owned(),
            R::RepairerNotDesignated => {
                "送外维修只能送保密行政管理部门审查批准的定点单位".to_owned()
            }
            R::StorageNotRemoved { kind } => {
                format!("{}送外维修前须拆除信息存储部件", kind.zh())
            }
            R::StorageMediumCannotBeSentOut { kind } => format!(
                "{}本身即为存储介质，不得送外维修；应由本单位人员维修或外单位人员在现场监督下维修，或予以销毁",
                kind.zh()
            ),
            R::DestructionMethodMissing => {
                "销毁须送销毁工作机构或定点单位，或使用符合国家保密标准的设备自行销毁".to_owned()
            }
            R::DestructionInadequate { shortfall } => {
                format!("不能销毁：{}", shortfall.zh())
            }
            R::NotYetDeclassified {
                declassified_on,
                on,
            } => format!("事项解密日期 {} 晚于今天 {}，尚未解密", zh_date(*declassified_on), zh_date(*on)),
            // Already ends with its rule id.
            R::Derivation { reason } => return reason.describe(lang),
            R::CopySourceMatterUnknown => {
                "源载体未登记所属事项，无法核对原定密单位，不得复制".to_owned()
            }
        };
        format!("{text}（{}）", self.rule())
    }
}

// ---------------------------------------------------------------------------------------------
// R3.7 inventory
// ---------------------------------------------------------------------------------------------

/// One carrier seen during an inventory (R3.7): what is printed on it, who holds it and where
/// it was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Number and copy number as read on the carrier.
    pub key: CarrierKey,
    /// The person holding it (the custodian of the cabinet it was found in).
    pub holder: PersonId,
    /// Where it was found.
    pub location: Location,
}

/// One discrepancy between the ledger and an inventory (R3.7): to be reported at once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Discrepancy {
    /// Number and copy number concerned.
    pub key: CarrierKey,
    /// The ledger record, when there is exactly one.
    pub carrier: Option<CarrierId>,
    /// What is wrong.
    pub kind: DiscrepancyKind,
}

/// What an inventory found wrong (R3.7).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// Two or more ledger records bear the same number and copy number; nothing else is checked
    /// for that key until the ledger is corrected.
    DuplicateInLedger {
        /// The records.
        carriers: Vec<CarrierId>,
    },
    /// On the ledger as here (registered, in custody, declassified), but not found.
    Missing {
        /// The ledger's holder.
        holder: PersonId,
        /// The ledger's location.
        location: Location,
    },
    /// Found, but not on the ledger.
    Unexpected {
        /// Who held it.
        holder: PersonId,
        /// Where.
        location: Location,
    },
    /// The same number and copy seen more than once.
    SeenMoreThanOnce {
        /// How many times.
        times: usize,
    },
    /// Found, although the ledger says it was destroyed.
    FoundAlthoughDestroyed {
        /// The recorded day of destruction.
        destroyed_on: Date,
    },
    /// Found here, although the ledger says it is away (lent, carried out, in transit, sent out
    /// for repair): the return or receipt was not recorded.
    FoundAlthoughAway {
        /// The ledger's state.
        status: CarrierStatus,
    },
    /// Held by someone other than the ledger's holder.
    WrongHolder {
        /// The ledger's holder.
        expected: PersonId,
        /// Who held it.
        found: PersonId,
    },
    /// Kept somewhere other than the ledger's location.
    WrongLocation {
        /// The ledger's location.
        expected: Location,
        /// Where it was found.
        found: Location,
    },
    /// Lent or carried out, and past its due date on the inventory day.
    Overdue {
        /// Lent or carried out.
        status: CarrierStatus,
        /// Who has it.
        holder: PersonId,
        /// The due date.
        due: Date,
    },
}

impl Discrepancy {
    /// R3.7.
    pub fn rule(&self) -> RuleId {
        RuleId("R3.7")
    }
}

impl Describe for Discrepancy {
    fn describe(&self, lang: Lang) -> String {
        let key = &self.key;
        let zh = lang == Lang::Zh;
        match &self.kind {
            DiscrepancyKind::DuplicateInLedger { carriers } => {
                let ids = carriers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                if zh {
                    format!("{key}：台账中有多条记录（{ids}），须先更正台账")
                } else {
                    format!("{key}: several ledger records ({ids}); correct the ledger first")
                }
            }
            DiscrepancyKind::Missing { holder, location } => {
                if zh {
                    format!("{key}：未找到（台账记载由 {holder} 保管于 {location}），应立即报告")
                } else {
                    format!(
                        "{key}: missing (ledger: held by {holder} at {location}); report at once"
                    )
                }
            }
            DiscrepancyKind::Unexpected { holder, location } => {
                if zh {
                    format!("{key}：台账无记录，却在 {location}（{holder}）发现")
                } else {
                    format!("{key}: not on the ledger, found with {holder} at {location}")
                }
            }
            DiscrepancyKind::SeenMoreThanOnce { times } => {
                if zh {
                    format!("{key}：同一编号份号出现 {times} 次")
                } else {
                    format!("{key}: the same number and copy seen {times} times")
                }
            }
            DiscrepancyKind::FoundAlthoughDestroyed { destroyed_on } => {
                if zh {
                    format!(
                        "{key}：台账记载已于 {} 销毁，却仍被发现",
                        zh_date(*destroyed_on)
                    )
                } else {
                    format!("{key}: found although recorded as destroyed on {destroyed_on}")
                }
            }
            DiscrepancyKind::FoundAlthoughAway { status } => {
                if zh {
                    format!(
                        "{key}：台账记载为“{}”，却在库中发现，交接未登记",
                        status.zh()
                    )
                } else {
                    format!(
                        "{key}: found although the ledger says {}; the hand-over was not recorded",
                        status.en()
                    )
                }
            }
            DiscrepancyKind::WrongHolder { expected, found } => {
                if zh {
                    format!("{key}：台账保管人为 {expected}，实为 {found}")
                } else {
                    format!("{key}: held by {found}, the ledger says {expected}")
                }
            }
            DiscrepancyKind::WrongLocation { expected, found } => {
                if zh {
                    format!("{key}：台账存放位置为 {expected}，实在 {found}")
                } else {
                    format!("{key}: found at {found}, the ledger says {expected}")
                }
            }
            DiscrepancyKind::Overdue {
                status,
                holder,
                due,
            } => {
                if zh {
                    format!(
                        "{key}：{}（{holder}）已过归还期限 {}",
                        status.zh(),
                        zh_date(*due)
                    )
                } else {
                    format!("{key}: {} to {holder}, overdue since {due}", status.en())
                }
            }
        }
    }
}

/// What the ledger expects of a carrier on the inventory day.
enum Expectation {
    /// Here, with its holder at its location.
    Present,
    /// Elsewhere; finding it here is a discrepancy.
    Away,
    /// On the premises but outside the cabinets (repair in-house or on site): not checked.
    Unchecked,
    /// Destroyed; finding it is a discrepancy.
    Destroyed(Date),
    /// Released from management: not checked.
    Released,
}

fn expectation(carrier: &Carrier) -> Expectation {
    match &carrier.state {
        CarrierState::Registered | CarrierState::InCustody | CarrierState::Declassified { .. } => {
            Expectation::Present
        }
        CarrierState::Lent { .. }
        | CarrierState::CarriedOut { .. }
        | CarrierState::InTransit { .. } => Expectation::Away,
        CarrierState::InRepair { arrangement, .. } => match arrangement {
            RepairArrangement::SentOut { .. } => Expectation::Away,
            RepairArrangement::InHouse { .. } | RepairArrangement::OnSite { .. } => {
                Expectation::Unchecked
            }
        },
        CarrierState::Destroyed { on, .. } => Expectation::Destroyed(*on),
        CarrierState::Released { .. } => Expectation::Released,
    }
}

/// R3.7: compares the ledger (`expected`, the unit's carrier records) with an inventory
/// (`found`) taken on `on`, matching by number and copy number, and returns every discrepancy,
/// sorted by number, copy number and kind (the same inputs in any order give the same list).
///
/// * A carrier expected here (registered, in custody, declassified) and not found is
///   [`DiscrepancyKind::Missing`]; found with another holder or elsewhere,
///   [`DiscrepancyKind::WrongHolder`] / [`DiscrepancyKind::WrongLocation`].
/// * Lent, carried out, in transit and sent-out repairs are expected elsewhere: not missing;
///   lent and carried-out ones past their due date are [`DiscrepancyKind::Overdue`]; finding one
///   here is [`DiscrepancyKind::FoundAlthoughAway`].
/// * Repairs in-house or on site and released carriers are not checked.
/// * Found but on no ledger line: [`DiscrepancyKind::Unexpected`]; found although destroyed:
///   [`DiscrepancyKind::FoundAlthoughDestroyed`]; seen twice:
///   [`DiscrepancyKind::SeenMoreThanOnce`].
pub fn reconcile(expected: &[Carrier], found: &[Observation], on: Date) -> Vec<Discrepancy> {
    let mut ledger: BTreeMap<CarrierKey, Vec<&Carrier>> = BTreeMap::new();
    for c in expected {
        ledger.entry(c.key()).or_default().push(c);
    }
    let mut seen: BTreeMap<CarrierKey, Vec<&Observation>> = BTreeMap::new();
    for o in found {
        seen.entry(o.key.clone()).or_default().push(o);
    }
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&CarrierKey> = ledger.keys().chain(seen.keys()).collect();
    for key in keys {
        let records = ledger.get(key).map(Vec::as_slice).unwrap_or_default();
        let observations = seen.get(key).map(Vec::as_slice).unwrap_or_default();
        let mut push = |carrier: Option<CarrierId>, kind| {
            out.push(Discrepancy {
                key: key.clone(),
                carrier,
                kind,
            })
        };
        if observations.len() > 1 {
            push(
                records.first().filter(|_| records.len() == 1).map(|c| c.id),
                DiscrepancyKind::SeenMoreThanOnce {
                    times: observations.len(),
                },
            );
        }
        let record = match records {
            [] => {
                for o in observations {
                    push(
                        None,
                        DiscrepancyKind::Unexpected {
                            holder: o.holder,
                            location: o.location.clone(),
                        },
                    );
                }
                continue;
            }
            [one] => *one,
            many => {
                let mut carriers: Vec<CarrierId> = many.iter().map(|c| c.id).collect();
                carriers.sort();
                push(None, DiscrepancyKind::DuplicateInLedger { carriers });
                continue;
            }
        };
        let id = Some(record.id);
        match expectation(record) {
            Expectation::Present => {
                if observations.is_empty() {
                    push(
                        id,
                        DiscrepancyKind::Missing {
                            holder: record.holder,
                            location: record.location.clone(),
                        },
                    );
                }
                for o in observations {
                    if o.holder != record.holder {
                        push(
                            id,
                            DiscrepancyKind::WrongHolder {
                                expected: record.holder,
                                found: o.holder,
                            },
                        );
                    }
                    if o.location != record.location {
                        push(
                            id,
                            DiscrepancyKind::WrongLocation {
                                expected: record.location.clone(),
                                found: o.location.clone(),
                            },
                        );
                    }
                }
            }
            Expectation::Away => {
                if observations.is_empty() {
                    if let Some(due) = record.due().filter(|_| record.overdue_on(on)) {
                        push(
                            id,
                            DiscrepancyKind::Overdue {
                                status: record.status(),
                                holder: record.holder,
                                due,
                            },
                        );
                    }
                } else {
                    push(
                        id,
                        DiscrepancyKind::FoundAlthoughAway {
                            status: record.status(),
                        },
                    );
                }
            }
            Expectation::Destroyed(destroyed_on) => {
                if !observations.is_empty() {
                    push(id, DiscrepancyKind::FoundAlthoughDestroyed { destroyed_on });
                }
            }
            Expectation::Unchecked | Expectation::Released => {}
        }
    }
    out.sort();
    out.dedup();
    out
}
