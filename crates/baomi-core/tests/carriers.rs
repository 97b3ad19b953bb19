//! Classified carriers: DOMAIN R3.1–R3.10, with R1.9, R1.11 and R10.1 where carriers meet them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::carriers::{
    reconcile, Approval, ApproverRole, Carrier, CarrierCommand, CarrierFamily, CarrierKey,
    CarrierKind, CarrierMarking, CarrierNumber, CarrierRefusal, CarrierState, CarrierStatus,
    CarryDestination, CommandKind, DestructionMethod, DestructionShortfall, DiscrepancyKind,
    Location, NewCopy, Observation, Registration, RepairArrangement, TransmissionChannel,
};
use baomi_core::determination::{Refusal, Unit, UnitDirectory, UnitTier};
use baomi_core::ids::{ApprovalId, CarrierId, MatterId, PersonId, UnitId};
use baomi_core::marks::{Level, Mark};
use baomi_core::{Describe, Lang, RuleId};
use jiff::civil::{date, Date};
use std::num::NonZeroU32;

const CUSTODIAN: PersonId = PersonId(10);
const BORROWER: PersonId = PersonId(20);
const LEADER: PersonId = PersonId(30);
const HEAD: PersonId = PersonId(40);
const OFFICE: PersonId = PersonId(50);
const COURIER: PersonId = PersonId(60);
const ESCORT: PersonId = PersonId(70);
const HOME: UnitId = UnitId(1);
const OTHER: UnitId = UnitId(2);
/// HOME's superior.
const MINISTRY: UnitId = UnitId(3);
/// A unit unrelated to HOME and OTHER.
const STRANGER: UnitId = UnitId(4);

fn unit(id: UnitId, superior: Option<UnitId>) -> Unit {
    Unit {
        id,
        name: format!("unit {id}"),
        tier: UnitTier::Other,
        superior,
        authorisations: Vec::new(),
    }
}

/// MINISTRY ← HOME; OTHER and STRANGER stand alone.
fn units() -> UnitDirectory {
    UnitDirectory::new([
        unit(MINISTRY, None),
        unit(HOME, Some(MINISTRY)),
        unit(OTHER, None),
        unit(STRANGER, None),
    ])
}

fn day() -> Date {
    date(2025, 3, 10)
}

fn loc(text: &str) -> Location {
    Location::new(text).unwrap()
}

fn copy_no(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn registration(id: i64, number: &str, kind: CarrierKind, level: Level) -> Registration {
    Registration {
        id: CarrierId(id),
        number: CarrierNumber::new(number).unwrap(),
        copy: copy_no(1),
        kind,
        marking: CarrierMarking::Mark(Mark::new(level, baomi_core::marks::Term::Default).unwrap()),
        matter: Some(MatterId(7)),
        unit: HOME,
        title: "关于某工程的报告".to_owned(),
        holder: CUSTODIAN,
        location: loc("保密室 1号保密柜"),
    }
}

/// A carrier of `kind` and `level`, registered on 2025-03-01 and taken into custody the same day.
fn in_custody(kind: CarrierKind, level: Level) -> Carrier {
    let c = Carrier::register(
        registration(1, "机字2025-001", kind, level),
        date(2025, 3, 1),
    )
    .unwrap();
    c.apply(
        CarrierCommand::TakeIntoCustody {
            holder: CUSTODIAN,
            location: loc("保密室 1号保密柜"),
        },
        date(2025, 3, 1),
    )
    .unwrap()
    .carrier
}

fn secret_doc() -> Carrier {
    in_custody(CarrierKind::PaperDocument, Level::Secret)
}

fn approval(id: i64, by: PersonId, role: ApproverRole, on: Date) -> Approval {
    Approval {
        id: ApprovalId(id),
        by,
        role,
        unit: HOME,
        on,
    }
}

fn leader_ok() -> Approval {
    approval(100, LEADER, ApproverRole::Leader, day())
}

fn head_ok() -> Approval {
    approval(101, HEAD, ApproverRole::UnitHead, day())
}

fn lend(approval: Option<Approval>, cleared: bool, due: Date) -> CarrierCommand {
    CarrierCommand::Lend {
        to: BORROWER,
        due,
        approval,
        borrower_cleared: cleared,
    }
}

/// Applies `cmd`, expects a refusal, and checks the carrier was not touched.
fn refused(c: &Carrier, cmd: CarrierCommand, on: Date) -> CarrierRefusal {
    let before = c.clone();
    let err = match c.apply(cmd, on) {
        Ok(t) => panic!("expected a refusal, got {:?}", t.record),
        Err(e) => e,
    };
    assert_eq!(c, &before, "a refused command changed the carrier");
    // Every refusal explains itself in both languages and names a rule.
    assert!(!err.describe(Lang::Zh).is_empty());
    assert!(err.describe(Lang::Zh).contains(err.rule().0));
    assert_eq!(err.describe(Lang::En), err.to_string());
    err
}

fn transmit(channel: TransmissionChannel) -> CarrierCommand {
    CarrierCommand::Transmit { channel, to: OTHER }
}

fn carry_out(
    destination: CarryDestination,
    approvals: Vec<Approval>,
    escort: Option<PersonId>,
) -> CarrierCommand {
    CarrierCommand::CarryOut {
        by: BORROWER,
        due: date(2025, 3, 12),
        destination,
        approvals,
        escort,
        bearer_cleared: true,
    }
}

fn shred() -> DestructionMethod {
    DestructionMethod::InHouse {
        equipment: "三级保密碎纸机".to_owned(),
        meets_national_standard: true,
        operator: OFFICE,
    }
}

fn destroy(method: Option<DestructionMethod>, approval: Option<Approval>) -> CarrierCommand {
    CarrierCommand::Destroy {
        method,
        approval,
        requested_by: CUSTODIAN,
    }
}

// ------------------------------------------------------------------------------------- R3.1

#[test]
fn r3_1_kinds_families_and_removable_storage() {
    use CarrierKind as K;
    for k in [K::PaperDocument, K::Drawing, K::Book] {
        assert_eq!(k.family(), CarrierFamily::Paper);
        assert!(!k.has_removable_storage());
        assert!(!k.is_storage_medium());
    }
    assert_eq!(K::OpticalDisc.family(), CarrierFamily::Optical);
    assert!(!K::OpticalDisc.has_removable_storage());
    assert!(K::OpticalDisc.is_storage_medium());
    for k in [K::UsbDisk, K::PortableDrive] {
        assert_eq!(k.family(), CarrierFamily::Electronic);
        assert!(!k.has_removable_storage());
        assert!(k.is_storage_medium());
    }
    for k in [K::HardDisk, K::Tape, K::Floppy] {
        assert_eq!(k.family(), CarrierFamily::Magnetic);
        assert!(!k.has_removable_storage());
        assert!(k.is_storage_medium());
    }
    for k in [K::Equipment, K::Product] {
        assert_eq!(k.family(), CarrierFamily::EquipmentOrProduct);
        assert!(k.has_removable_storage());
        assert!(!k.is_storage_medium());
    }
    assert_eq!(K::UsbDisk.zh(), "U盘");
    assert_eq!(K::OpticalDisc.en(), "optical disc");
    // Names are distinct in both languages.
    let zh: std::collections::BTreeSet<_> = K::ALL.iter().map(|k| k.zh()).collect();
    let en: std::collections::BTreeSet<_> = K::ALL.iter().map(|k| k.en()).collect();
    assert_eq!(zh.len(), K::ALL.len());
    assert_eq!(en.len(), K::ALL.len());
}

// ------------------------------------------------------------------------------------- R3.2

#[test]
fn r3_2_registration_validates_number_location_title_and_level() {
    assert_eq!(
        CarrierNumber::new("  \t "),
        Err(CarrierRefusal::EmptyNumber)
    );
    assert_eq!(
        CarrierNumber::new("A\u{0}1"),
        Err(CarrierRefusal::EmptyNumber)
    );
    assert_eq!(
        CarrierNumber::new("  机字  2025-001 ").unwrap().as_str(),
        "机字 2025-001"
    );
    assert_eq!(Location::new(""), Err(CarrierRefusal::EmptyLocation));
    assert_eq!(CarrierRefusal::EmptyNumber.rule(), RuleId("R3.2"));

    let mut r = registration(1, "001", CarrierKind::PaperDocument, Level::Secret);
    r.title = "   ".to_owned();
    assert_eq!(Carrier::register(r, day()), Err(CarrierRefusal::EmptyTitle));
    let mut r = registration(1, "001", CarrierKind::PaperDocument, Level::Secret);
    r.marking = CarrierMarking::Level(Level::Unclassified);
    let err = Carrier::register(r, day()).unwrap_err();
    assert_eq!(err, CarrierRefusal::NotClassified);
    assert_eq!(err.rule(), RuleId("R3.2"));

    // Deserialising cannot smuggle in an empty number or location.
    assert!(serde_json::from_str::<CarrierNumber>("\"  \"").is_err());
    assert!(serde_json::from_str::<Location>("\"\"").is_err());
}

#[test]
fn r3_2_registered_carrier_is_signed_into_custody_with_holder_and_location() {
    let reg = registration(1, "机字2025-001", CarrierKind::UsbDisk, Level::Confidential);
    let c = Carrier::register(reg, date(2025, 3, 1)).unwrap();
    assert_eq!(c.status(), CarrierStatus::Registered);
    assert_eq!(c.level(), Level::Confidential);
    assert_eq!(c.marking().to_zh(), "机密★");
    assert_eq!(c.key().to_string(), "机字2025-001 #1");
    let t = c
        .apply(
            CarrierCommand::TakeIntoCustody {
                holder: OFFICE,
                location: loc("保密室 2号保密柜"),
            },
            date(2025, 3, 2),
        )
        .unwrap();
    assert_eq!(t.carrier.status(), CarrierStatus::InCustody);
    assert_eq!(t.carrier.holder(), OFFICE);
    assert_eq!(t.carrier.location().as_str(), "保密室 2号保密柜");
    assert_eq!(t.carrier.changed_on(), date(2025, 3, 2));
    assert_eq!(t.record.from, CarrierStatus::Registered);
    assert_eq!(t.record.to, CarrierStatus::InCustody);
    assert_eq!(t.record.carrier, CarrierId(1));
    // The record survives a round trip through JSON.
    let json = serde_json::to_string(&t.carrier).unwrap();
    assert_eq!(serde_json::from_str::<Carrier>(&json).unwrap(), t.carrier);
}

// ------------------------------------------------------------------------------------- R3.4

#[test]
fn r3_4_lending_needs_a_leaders_approval() {
    let c = secret_doc();
    let due = date(2025, 3, 20);
    let err = refused(&c, lend(None, true, due), day());
    assert_eq!(
        err,
        CarrierRefusal::ApprovalMissing {
            action: CommandKind::Lend,
            needed: vec![ApproverRole::UnitHead, ApproverRole::Leader],
        }
    );
    assert_eq!(err.rule(), RuleId("R3.4"));
    assert_eq!(err.also_violates(), None);

    let office = approval(1, OFFICE, ApproverRole::ConfidentialityOffice, day());
    assert!(matches!(
        refused(&c, lend(Some(office), true, due), day()),
        CarrierRefusal::WrongApprover {
            given: ApproverRole::ConfidentialityOffice,
            ..
        }
    ));

    let by_borrower = approval(2, BORROWER, ApproverRole::Leader, day());
    assert_eq!(
        refused(&c, lend(Some(by_borrower), true, due), day()),
        CarrierRefusal::SelfApproval {
            action: CommandKind::Lend,
            person: BORROWER
        }
    );

    let tomorrow = approval(3, LEADER, ApproverRole::Leader, date(2025, 3, 11));
    assert!(matches!(
        refused(&c, lend(Some(tomorrow), true, due), day()),
        CarrierRefusal::ApprovalAfterAct { .. }
    ));

    let t = c.apply(lend(Some(leader_ok()), true, due), day()).unwrap();
    assert_eq!(
        t.carrier.state(),
        &CarrierState::Lent {
            to: BORROWER,
            since: day(),
            due,
            approval: ApprovalId(100)
        }
    );
    assert_eq!(t.carrier.holder(), BORROWER);
    // The unit head may approve too; an approval of the same day is fine.
    assert!(c.apply(lend(Some(head_ok()), true, due), day()).is_ok());
}

#[test]
fn r3_4_borrower_outside_scope_may_not_borrow() {
    let c = secret_doc();
    let err = refused(&c, lend(Some(leader_ok()), false, date(2025, 3, 20)), day());
    assert_eq!(
        err,
        CarrierRefusal::BorrowerNotCleared { borrower: BORROWER }
    );
    assert_eq!(err.rule(), RuleId("R3.4"));
}

#[test]
fn r3_4_due_date_may_be_today_but_not_earlier() {
    let c = secret_doc();
    assert!(c.apply(lend(Some(leader_ok()), true, day()), day()).is_ok());
    assert_eq!(
        refused(&c, lend(Some(leader_ok()), true, date(2025, 3, 9)), day()),
        CarrierRefusal::DueBeforeStart {
            action: CommandKind::Lend,
            due: date(2025, 3, 9),
            on: day()
        }
    );
}

#[test]
fn r3_4_return_is_face_to_face_with_matching_inventory() {
    let lent = secret_doc()
        .apply(lend(Some(leader_ok()), true, date(2025, 3, 20)), day())
        .unwrap()
        .carrier;
    let ret = |f2f, inv| CarrierCommand::Return {
        received_by: CUSTODIAN,
        face_to_face: f2f,
        inventory_matches: inv,
    };
    let on = date(2025, 3, 15);
    assert_eq!(
        refused(&lent, ret(false, true), on),
        CarrierRefusal::NotFaceToFace {
            action: CommandKind::Return
        }
    );
    let err = refused(&lent, ret(true, false), on);
    assert_eq!(
        err,
        CarrierRefusal::InventoryMismatch {
            action: CommandKind::Return
        }
    );
    assert_eq!(err.rule(), RuleId("R3.4"));
    let back = lent.apply(ret(true, true), on).unwrap();
    assert_eq!(back.carrier.status(), CarrierStatus::InCustody);
    assert_eq!(back.carrier.holder(), CUSTODIAN);
    assert_eq!(back.carrier.due(), None);
    assert_eq!(back.record.from, CarrierStatus::Lent);
}

#[test]
fn r3_4_overdue_only_after_the_due_day() {
    let due = date(2025, 3, 20);
    let lent = secret_doc()
        .apply(lend(Some(leader_ok()), true, due), day())
        .unwrap()
        .carrier;
    assert!(!lent.overdue_on(date(2025, 3, 19)));
    assert!(!lent.overdue_on(due));
    assert!(lent.overdue_on(date(2025, 3, 21)));
    // Carried out counts too; in custody never does.
    let out = secret_doc()
        .apply(
            carry_out(CarryDestination::Domestic, vec![head_ok()], None),
            day(),
        )
        .unwrap()
        .carrier;
    assert!(!out.overdue_on(date(2025, 3, 12)));
    assert!(out.overdue_on(date(2025, 3, 13)));
    assert!(!secret_doc().overdue_on(date(2099, 1, 1)));
}

// ------------------------------------------------------------------------------------- R3.5

#[test]
fn r3_5_ordinary_post_refused() {
    let c = secret_doc();
    let err = refused(&c, transmit(TransmissionChannel::OrdinaryPost), day());
    assert_eq!(
        err,
        CarrierRefusal::UnprotectedChannel {
            channel: TransmissionChannel::OrdinaryPost
        }
    );
    assert_eq!(err.rule(), RuleId("R3.5"));
    assert_eq!(err.also_violates(), Some(RuleId("R10.1")));
    assert!(err.describe(Lang::Zh).contains("普通邮政"));
    assert!(err.to_string().contains("R10.1"));
}

#[test]
fn r3_5_express_refused() {
    let c = in_custody(CarrierKind::OpticalDisc, Level::Confidential);
    let err = refused(&c, transmit(TransmissionChannel::Express), day());
    assert_eq!(
        err,
        CarrierRefusal::UnprotectedChannel {
            channel: TransmissionChannel::Express
        }
    );
    assert_eq!(err.also_violates(), Some(RuleId("R10.1")));
    assert!(err.describe(Lang::Zh).contains("快递"));
}

#[test]
fn r3_5_exchange_station_not_for_top_secret() {
    let station = TransmissionChannel::ExchangeStation { within_city: true };
    let ts = in_custody(CarrierKind::PaperDocument, Level::TopSecret);
    let err = refused(&ts, transmit(station.clone()), day());
    assert_eq!(err, CarrierRefusal::ExchangeStationNotForTopSecret);
    assert_eq!(err.rule(), RuleId("R3.5"));
    // Confidential and Secret within the city may use it; not across cities.
    for level in [Level::Confidential, Level::Secret] {
        let c = in_custody(CarrierKind::PaperDocument, level);
        assert!(c.apply(transmit(station.clone()), day()).is_ok());
        assert_eq!(
            refused(
                &c,
                transmit(TransmissionChannel::ExchangeStation { within_city: false }),
                day()
            ),
            CarrierRefusal::ExchangeStationOutsideCity
        );
    }
}

#[test]
fn r3_5_confidential_channels_and_courier_with_safe_route() {
    let ts = in_custody(CarrierKind::PaperDocument, Level::TopSecret);
    for ch in [
        TransmissionChannel::ConfidentialTransport,
        TransmissionChannel::ConfidentialCommunication,
    ] {
        let t = ts.apply(transmit(ch.clone()), day()).unwrap();
        assert_eq!(
            t.carrier.state(),
            &CarrierState::InTransit {
                channel: ch,
                to: OTHER,
                since: day()
            }
        );
        assert_eq!(t.carrier.holder(), CUSTODIAN);
    }
    assert_eq!(
        refused(
            &ts,
            transmit(TransmissionChannel::DedicatedCourier {
                courier: COURIER,
                safe_route: false
            }),
            day()
        ),
        CarrierRefusal::CourierRouteUnsafe
    );
    let t = ts
        .apply(
            transmit(TransmissionChannel::DedicatedCourier {
                courier: COURIER,
                safe_route: true,
            }),
            day(),
        )
        .unwrap();
    assert_eq!(t.carrier.holder(), COURIER, "the courier is accountable");
}

#[test]
fn r3_5_receipt_by_the_recipient_face_to_face_with_inventory() {
    let sent = secret_doc()
        .apply(transmit(TransmissionChannel::ConfidentialTransport), day())
        .unwrap()
        .carrier;
    let receive = |unit, f2f, inv| CarrierCommand::Receive {
        by: PersonId(99),
        by_unit: unit,
        location: loc("收文室 保密柜"),
        face_to_face: f2f,
        inventory_matches: inv,
    };
    let on = date(2025, 3, 11);
    assert_eq!(
        refused(&sent, receive(UnitId(3), true, true), on),
        CarrierRefusal::WrongRecipient {
            expected: OTHER,
            found: UnitId(3)
        }
    );
    assert_eq!(
        refused(&sent, receive(OTHER, false, true), on),
        CarrierRefusal::NotFaceToFace {
            action: CommandKind::Receive
        }
    );
    let err = refused(&sent, receive(OTHER, true, false), on);
    assert_eq!(err.rule(), RuleId("R3.5"));
    let got = sent.apply(receive(OTHER, true, true), on).unwrap();
    assert_eq!(got.carrier.status(), CarrierStatus::InCustody);
    assert_eq!(got.carrier.holder(), PersonId(99));
    assert_eq!(got.carrier.location().as_str(), "收文室 保密柜");
}

// ------------------------------------------------------------------------------------- R3.6

#[test]
fn r3_6_secret_carry_out_needs_unit_head() {
    for level in [Level::Secret, Level::Confidential] {
        let c = in_custody(CarrierKind::PortableDrive, level);
        let err = refused(
            &c,
            carry_out(CarryDestination::Domestic, vec![], None),
            day(),
        );
        assert_eq!(
            err,
            CarrierRefusal::ApprovalMissing {
                action: CommandKind::CarryOut,
                needed: vec![ApproverRole::UnitHead]
            }
        );
        assert_eq!(err.rule(), RuleId("R3.6"));
        // A leader's approval does not replace the unit head's.
        assert!(matches!(
            refused(
                &c,
                carry_out(CarryDestination::Domestic, vec![leader_ok()], None),
                day()
            ),
            CarrierRefusal::ApprovalMissing { .. }
        ));
        let t = c
            .apply(
                carry_out(CarryDestination::Domestic, vec![head_ok()], None),
                day(),
            )
            .unwrap();
        match t.carrier.state() {
            CarrierState::CarriedOut {
                by, due, approvals, ..
            } => {
                assert_eq!(*by, BORROWER);
                assert_eq!(*due, date(2025, 3, 12));
                assert_eq!(approvals, &vec![ApprovalId(101)]);
            }
            other => panic!("unexpected state {other:?}"),
        }
    }
}

#[test]
fn r3_6_unit_head_may_not_approve_own_carry_out_and_bearer_must_be_cleared() {
    let c = secret_doc();
    let mut cmd = carry_out(CarryDestination::Domestic, vec![head_ok()], None);
    if let CarrierCommand::CarryOut { by, .. } = &mut cmd {
        *by = HEAD;
    }
    assert_eq!(
        refused(&c, cmd, day()),
        CarrierRefusal::SelfApproval {
            action: CommandKind::CarryOut,
            person: HEAD
        }
    );
    let mut cmd = carry_out(CarryDestination::Domestic, vec![head_ok()], None);
    if let CarrierCommand::CarryOut { bearer_cleared, .. } = &mut cmd {
        *bearer_cleared = false;
    }
    assert_eq!(
        refused(&c, cmd, day()),
        CarrierRefusal::BearerNotCleared { bearer: BORROWER }
    );
}

#[test]
fn r3_6_top_secret_carry_out_needs_unit_head_and_escort() {
    let ts = in_custody(CarrierKind::PaperDocument, Level::TopSecret);
    assert!(matches!(
        refused(
            &ts,
            carry_out(CarryDestination::Domestic, vec![], Some(ESCORT)),
            day()
        ),
        CarrierRefusal::ApprovalMissing { .. }
    ));
    let err = refused(
        &ts,
        carry_out(CarryDestination::Domestic, vec![head_ok()], None),
        day(),
    );
    assert_eq!(err, CarrierRefusal::TopSecretNeedsEscort);
    assert_eq!(err.rule(), RuleId("R3.6"));
    // The bearer does not escort themselves.
    assert_eq!(
        refused(
            &ts,
            carry_out(CarryDestination::Domestic, vec![head_ok()], Some(BORROWER)),
            day()
        ),
        CarrierRefusal::TopSecretNeedsEscort
    );
    assert!(ts
        .apply(
            carry_out(CarryDestination::Domestic, vec![head_ok()], Some(ESCORT)),
            day()
        )
        .is_ok());
}

#[test]
fn r3_6_foreign_related_activity_refused_even_with_approval() {
    let c = secret_doc();
    let err = refused(
        &c,
        carry_out(
            CarryDestination::ForeignRelatedActivity,
            vec![head_ok()],
            None,
        ),
        day(),
    );
    assert_eq!(err, CarrierRefusal::ForeignRelatedActivity);
    assert_eq!(err.rule(), RuleId("R3.6"));
}

#[test]
fn r3_6_abroad_only_with_competent_department_approval() {
    let c = secret_doc();
    let err = refused(
        &c,
        carry_out(CarryDestination::Abroad, vec![head_ok()], None),
        day(),
    );
    assert_eq!(err, CarrierRefusal::AbroadWithoutCompetentApproval);
    assert_eq!(err.rule(), RuleId("R3.6"));
    assert_eq!(err.also_violates(), Some(RuleId("R10.1")));
    let competent = approval(102, PersonId(80), ApproverRole::CompetentDepartment, day());
    // The competent department alone is not enough: the unit head approves too.
    assert!(matches!(
        refused(
            &c,
            carry_out(CarryDestination::Abroad, vec![competent.clone()], None),
            day()
        ),
        CarrierRefusal::ApprovalMissing { .. }
    ));
    let t = c
        .apply(
            carry_out(CarryDestination::Abroad, vec![competent, head_ok()], None),
            day(),
        )
        .unwrap();
    match t.carrier.state() {
        CarrierState::CarriedOut {
            destination,
            approvals,
            ..
        } => {
            assert_eq!(*destination, CarryDestination::Abroad);
            assert_eq!(approvals, &vec![ApprovalId(101), ApprovalId(102)]);
        }
        other => panic!("unexpected state {other:?}"),
    }
}

// ------------------------------------------------------------------------------------- R3.7

fn obs(number: &str, copy: u32, holder: PersonId, location: &str) -> Observation {
    Observation {
        key: CarrierKey {
            number: CarrierNumber::new(number).unwrap(),
            copy: copy_no(copy),
        },
        holder,
        location: loc(location),
    }
}

fn numbered(id: i64, number: &str) -> Carrier {
    let c = Carrier::register(
        registration(id, number, CarrierKind::PaperDocument, Level::Secret),
        date(2025, 3, 1),
    )
    .unwrap();
    c.apply(
        CarrierCommand::TakeIntoCustody {
            holder: CUSTODIAN,
            location: loc("保密柜A"),
        },
        date(2025, 3, 1),
    )
    .unwrap()
    .carrier
}

#[test]
fn r3_7_reconcile_clean_inventory_has_no_discrepancies() {
    let ledger = vec![numbered(1, "001"), numbered(2, "002")];
    let found = vec![
        obs("002", 1, CUSTODIAN, "保密柜A"),
        obs(" 001 ", 1, CUSTODIAN, "  保密柜A"),
    ];
    assert!(reconcile(&ledger, &found, day()).is_empty());
}

#[test]
fn r3_7_reconcile_reports_every_kind_of_discrepancy_in_order() {
    let present_missing = numbered(1, "001");
    let wrong_place = numbered(2, "002");
    let destroyed = numbered(3, "003")
        .apply(
            destroy(
                Some(shred()),
                Some(approval(
                    9,
                    OFFICE,
                    ApproverRole::ConfidentialityOffice,
                    day(),
                )),
            ),
            day(),
        )
        .unwrap()
        .carrier;
    let lent_overdue = numbered(4, "004")
        .apply(lend(Some(leader_ok()), true, date(2025, 3, 15)), day())
        .unwrap()
        .carrier;
    let lent_not_due = numbered(5, "005")
        .apply(lend(Some(leader_ok()), true, date(2025, 4, 30)), day())
        .unwrap()
        .carrier;
    let lent_but_here = numbered(6, "006")
        .apply(lend(Some(leader_ok()), true, date(2025, 4, 30)), day())
        .unwrap()
        .carrier;
    let dup_a = numbered(7, "007");
    let dup_b = numbered(8, "007");
    let seen_twice = numbered(9, "009");
    let ledger = vec![
        present_missing,
        wrong_place,
        destroyed,
        lent_overdue,
        lent_not_due,
        lent_but_here,
        dup_a,
        dup_b,
        seen_twice,
    ];
    let inventory_day = date(2025, 3, 31);
    let found = vec![
        obs("002", 1, BORROWER, "办公桌抽屉"),
        obs("003", 1, CUSTODIAN, "保密柜A"),
        obs("006", 1, CUSTODIAN, "保密柜A"),
        obs("007", 1, CUSTODIAN, "保密柜A"),
        obs("009", 1, CUSTODIAN, "保密柜A"),
        obs("009", 1, CUSTODIAN, "保密柜A"),
        obs("999", 2, LEADER, "会议室"),
    ];
    let got = reconcile(&ledger, &found, inventory_day);
    let summary: Vec<(String, Option<i64>, DiscrepancyKind)> = got
        .iter()
        .map(|d| (d.key.to_string(), d.carrier.map(|c| c.0), d.kind.clone()))
        .collect();
    let expected = vec![
        (
            "001 #1".to_owned(),
            Some(1),
            DiscrepancyKind::Missing {
                holder: CUSTODIAN,
                location: loc("保密柜A"),
            },
        ),
        (
            "002 #1".to_owned(),
            Some(2),
            DiscrepancyKind::WrongHolder {
                expected: CUSTODIAN,
                found: BORROWER,
            },
        ),
        (
            "002 #1".to_owned(),
            Some(2),
            DiscrepancyKind::WrongLocation {
                expected: loc("保密柜A"),
                found: loc("办公桌抽屉"),
            },
        ),
        (
            "003 #1".to_owned(),
            Some(3),
            DiscrepancyKind::FoundAlthoughDestroyed {
                destroyed_on: day(),
            },
        ),
        (
            "004 #1".to_owned(),
            Some(4),
            DiscrepancyKind::Overdue {
                status: CarrierStatus::Lent,
                holder: BORROWER,
                due: date(2025, 3, 15),
            },
        ),
        (
            "006 #1".to_owned(),
            Some(6),
            DiscrepancyKind::FoundAlthoughAway {
                status: CarrierStatus::Lent,
            },
        ),
        (
            "007 #1".to_owned(),
            None,
            DiscrepancyKind::DuplicateInLedger {
                carriers: vec![CarrierId(7), CarrierId(8)],
            },
        ),
        (
            "009 #1".to_owned(),
            Some(9),
            DiscrepancyKind::SeenMoreThanOnce { times: 2 },
        ),
        (
            "999 #2".to_owned(),
            None,
            DiscrepancyKind::Unexpected {
                holder: LEADER,
                location: loc("会议室"),
            },
        ),
    ];
    assert_eq!(summary, expected);
    for d in &got {
        assert_eq!(d.rule(), RuleId("R3.7"));
        assert!(!d.describe(Lang::Zh).is_empty());
        assert_ne!(d.describe(Lang::Zh), d.describe(Lang::En));
    }

    // Deterministic: the same inputs in another order give the same list.
    let mut ledger_rev = ledger.clone();
    ledger_rev.reverse();
    let mut found_rev = found.clone();
    found_rev.reverse();
    assert_eq!(reconcile(&ledger_rev, &found_rev, inventory_day), got);

    // On the due day itself the lent carrier is not yet overdue.
    let on_due = reconcile(&ledger, &found, date(2025, 3, 15));
    assert!(!on_due
        .iter()
        .any(|d| matches!(d.kind, DiscrepancyKind::Overdue { .. })));
}

#[test]
fn r3_7_reconcile_does_not_count_away_carriers_as_missing() {
    let away = vec![
        numbered(1, "001")
            .apply(transmit(TransmissionChannel::ConfidentialTransport), day())
            .unwrap()
            .carrier,
        numbered(2, "002")
            .apply(
                carry_out(CarryDestination::Domestic, vec![head_ok()], None),
                day(),
            )
            .unwrap()
            .carrier,
        numbered(3, "003")
            .apply(
                CarrierCommand::SendForRepair {
                    arrangement: RepairArrangement::InHouse {
                        technician: PersonId(5),
                    },
                    approval: None,
                    requested_by: CUSTODIAN,
                },
                day(),
            )
            .unwrap()
            .carrier,
    ];
    // Before the carry-out's due date nothing is reported.
    assert!(reconcile(&away, &[], date(2025, 3, 12)).is_empty());
    // After it, only the carried-out carrier is overdue.
    let late = reconcile(&away, &[], date(2025, 3, 13));
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].carrier, Some(CarrierId(2)));
    assert!(matches!(
        late[0].kind,
        DiscrepancyKind::Overdue {
            status: CarrierStatus::CarriedOut,
            ..
        }
    ));
}

// ------------------------------------------------------------------------------------- R3.8

fn repair(arrangement: RepairArrangement, approval: Option<Approval>) -> CarrierCommand {
    CarrierCommand::SendForRepair {
        arrangement,
        approval,
        requested_by: CUSTODIAN,
    }
}

fn sent_out(designation: Option<&str>, storage_removed: bool) -> RepairArrangement {
    RepairArrangement::SentOut {
        repairer: "某定点维修单位".to_owned(),
        designation: designation.map(str::to_owned),
        storage_removed,
    }
}

#[test]
fn r3_8_in_house_and_supervised_on_site_repair_allowed() {
    let disk = in_custody(CarrierKind::HardDisk, Level::Confidential);
    let t = disk
        .apply(
            repair(
                RepairArrangement::InHouse {
                    technician: PersonId(5),
                },
                None,
            ),
            day(),
        )
        .unwrap();
    assert_eq!(t.carrier.status(), CarrierStatus::InRepair);
    assert_eq!(t.carrier.holder(), CUSTODIAN);
    let on_site = RepairArrangement::OnSite {
        technician: "某公司 张工".to_owned(),
        supervisor: OFFICE,
    };
    assert!(disk.apply(repair(on_site, None), day()).is_ok());
    let unnamed = RepairArrangement::OnSite {
        technician: " ".to_owned(),
        supervisor: OFFICE,
    };
    assert_eq!(
        refused(&disk, repair(unnamed, None), day()),
        CarrierRefusal::RepairerUnnamed
    );
    // Back from repair with a face-to-face check.
    let back = t
        .carrier
        .apply(
            CarrierCommand::Return {
                received_by: CUSTODIAN,
                face_to_face: true,
                inventory_matches: true,
            },
            date(2025, 3, 12),
        )
        .unwrap();
    assert_eq!(back.carrier.status(), CarrierStatus::InCustody);
}

#[test]
fn r3_8_send_out_only_to_designated_repairer_with_storage_removed() {
    let equipment = in_custody(CarrierKind::Equipment, Level::Secret);
    let ok_approval = approval(5, OFFICE, ApproverRole::ConfidentialityOffice, day());
    let err = refused(
        &equipment,
        repair(sent_out(None, true), Some(ok_approval.clone())),
        day(),
    );
    assert_eq!(err, CarrierRefusal::RepairerNotDesignated);
    assert_eq!(err.rule(), RuleId("R3.8"));
    assert_eq!(
        refused(
            &equipment,
            repair(
                sent_out(Some("保密局〔2024〕3号"), false),
                Some(ok_approval.clone())
            ),
            day()
        ),
        CarrierRefusal::StorageNotRemoved {
            kind: CarrierKind::Equipment
        }
    );
    assert!(matches!(
        refused(
            &equipment,
            repair(sent_out(Some("保密局〔2024〕3号"), true), None),
            day()
        ),
        CarrierRefusal::ApprovalMissing {
            action: CommandKind::SendForRepair,
            ..
        }
    ));
    let t = equipment
        .apply(
            repair(
                sent_out(Some("保密局〔2024〕3号"), true),
                Some(ok_approval.clone()),
            ),
            day(),
        )
        .unwrap();
    assert!(matches!(
        t.carrier.state(),
        CarrierState::InRepair {
            approval: Some(ApprovalId(5)),
            ..
        }
    ));
    // A product embodying secrets follows the same storage-removed rule.
    let product = in_custody(CarrierKind::Product, Level::Confidential);
    assert_eq!(
        refused(
            &product,
            repair(
                sent_out(Some("保密局〔2024〕3号"), false),
                Some(ok_approval.clone())
            ),
            day()
        ),
        CarrierRefusal::StorageNotRemoved {
            kind: CarrierKind::Product
        }
    );
    // Paper has no storage part to remove.
    let drawing = in_custody(CarrierKind::Drawing, Level::Secret);
    assert!(drawing
        .apply(
            repair(
                sent_out(Some("保密局〔2024〕3号"), false),
                Some(ok_approval)
            ),
            day()
        )
        .is_ok());
}

#[test]
fn r3_8_a_storage_medium_is_never_sent_out_for_repair() {
    let ok_approval = approval(5, OFFICE, ApproverRole::ConfidentialityOffice, day());
    for kind in [
        CarrierKind::UsbDisk,
        CarrierKind::PortableDrive,
        CarrierKind::HardDisk,
        CarrierKind::Tape,
        CarrierKind::Floppy,
        CarrierKind::OpticalDisc,
    ] {
        let medium = in_custody(kind, Level::Secret);
        // Even with a designated repairer, approval and "storage removed": the medium is the
        // storage, so there is nothing left to send.
        for storage_removed in [true, false] {
            let err = refused(
                &medium,
                repair(
                    sent_out(Some("保密局〔2024〕3号"), storage_removed),
                    Some(ok_approval.clone()),
                ),
                day(),
            );
            assert_eq!(err, CarrierRefusal::StorageMediumCannotBeSentOut { kind });
            assert_eq!(err.rule(), RuleId("R3.8"));
        }
        // In-house repair remains possible.
        let t = medium
            .apply(
                repair(
                    RepairArrangement::InHouse {
                        technician: PersonId(5),
                    },
                    None,
                ),
                day(),
            )
            .unwrap();
        assert_eq!(t.carrier.status(), CarrierStatus::InRepair);
    }
    let err = CarrierRefusal::StorageMediumCannotBeSentOut {
        kind: CarrierKind::UsbDisk,
    };
    assert!(err.describe(Lang::Zh).contains("存储介质"));
    assert!(err.to_string().contains("USB disk"));
}

// ------------------------------------------------------------------------------------- R3.9

#[test]
fn r3_9_destruction_without_approval_refused() {
    let c = secret_doc();
    let err = refused(&c, destroy(Some(shred()), None), day());
    assert_eq!(
        err,
        CarrierRefusal::ApprovalMissing {
            action: CommandKind::Destroy,
            needed: vec![
                ApproverRole::UnitHead,
                ApproverRole::Leader,
                ApproverRole::ConfidentialityOffice
            ],
        }
    );
    assert_eq!(err.rule(), RuleId("R3.9"));
    assert_eq!(err.also_violates(), Some(RuleId("R10.1")));
    assert!(err.describe(Lang::Zh).contains("擅自销毁"));
    // The requester cannot approve their own destruction.
    let own = approval(6, CUSTODIAN, ApproverRole::ConfidentialityOffice, day());
    assert!(matches!(
        refused(&c, destroy(Some(shred()), Some(own)), day()),
        CarrierRefusal::SelfApproval { .. }
    ));
}

#[test]
fn r3_9_destruction_needs_an_adequate_method() {
    let c = secret_doc();
    let ok = Some(approval(
        6,
        OFFICE,
        ApproverRole::ConfidentialityOffice,
        day(),
    ));
    assert_eq!(
        refused(&c, destroy(None, ok.clone()), day()),
        CarrierRefusal::DestructionMethodMissing
    );
    let body = |packed, safe, supervisor| DestructionMethod::DesignatedBody {
        body: "市保密局销毁中心".to_owned(),
        packed,
        transported_safely: safe,
        supervisor,
    };
    let cases = [
        (
            body(false, true, Some(OFFICE)),
            DestructionShortfall::NotPacked,
        ),
        (
            body(true, false, Some(OFFICE)),
            DestructionShortfall::NotTransportedSafely,
        ),
        (body(true, true, None), DestructionShortfall::NotSupervised),
        (
            DestructionMethod::InHouse {
                equipment: "普通碎纸机".to_owned(),
                meets_national_standard: false,
                operator: OFFICE,
            },
            DestructionShortfall::EquipmentNotStandard,
        ),
    ];
    for (method, shortfall) in cases {
        let err = refused(&c, destroy(Some(method), ok.clone()), day());
        assert_eq!(err, CarrierRefusal::DestructionInadequate { shortfall });
        assert_eq!(err.rule(), RuleId("R3.9"));
    }
    let t = c
        .apply(destroy(Some(body(true, true, Some(OFFICE))), ok), day())
        .unwrap();
    assert!(matches!(
        t.carrier.state(),
        CarrierState::Destroyed {
            approval: ApprovalId(6),
            ..
        }
    ));
    assert!(t.carrier.status().is_terminal());
    assert_eq!(t.record.to, CarrierStatus::Destroyed);
}

#[test]
fn r3_3_drafts_may_be_destroyed_straight_from_registration() {
    let draft = Carrier::register(
        registration(1, "草稿-01", CarrierKind::PaperDocument, Level::Secret),
        day(),
    )
    .unwrap();
    let ok = Some(approval(
        6,
        OFFICE,
        ApproverRole::ConfidentialityOffice,
        day(),
    ));
    assert!(draft.apply(destroy(Some(shred()), ok), day()).is_ok());
}

// ------------------------------------------------------------------------------------- R3.10

#[test]
fn r3_10_illegal_transition_from_destroyed_is_refused() {
    let ok = Some(approval(
        6,
        OFFICE,
        ApproverRole::ConfidentialityOffice,
        day(),
    ));
    let gone = secret_doc()
        .apply(destroy(Some(shred()), ok), day())
        .unwrap()
        .carrier;
    let err = refused(
        &gone,
        lend(Some(leader_ok()), true, date(2025, 4, 1)),
        day(),
    );
    assert_eq!(
        err,
        CarrierRefusal::IllegalTransition {
            from: CarrierStatus::Destroyed,
            command: CommandKind::Lend
        }
    );
    assert_eq!(err.rule(), RuleId("R3.10"));
    assert!(err.describe(Lang::Zh).contains("已销毁"));
    for cmd in [
        CarrierCommand::TakeIntoCustody {
            holder: CUSTODIAN,
            location: loc("保密柜A"),
        },
        transmit(TransmissionChannel::ConfidentialTransport),
        destroy(Some(shred()), None),
        CarrierCommand::Declassify {
            matter_declassified_on: day(),
        },
    ] {
        assert!(matches!(
            refused(&gone, cmd, day()),
            CarrierRefusal::IllegalTransition {
                from: CarrierStatus::Destroyed,
                ..
            }
        ));
    }
}

#[test]
fn r3_10_illegal_transition_return_of_a_carrier_in_custody() {
    let c = secret_doc();
    assert_eq!(
        refused(
            &c,
            CarrierCommand::Return {
                received_by: CUSTODIAN,
                face_to_face: true,
                inventory_matches: true
            },
            day()
        ),
        CarrierRefusal::IllegalTransition {
            from: CarrierStatus::InCustody,
            command: CommandKind::Return
        }
    );
    // A lent carrier cannot be lent again, transmitted or destroyed before it comes back.
    let lent = c
        .apply(lend(Some(leader_ok()), true, date(2025, 3, 20)), day())
        .unwrap()
        .carrier;
    for cmd in [
        lend(Some(leader_ok()), true, date(2025, 3, 20)),
        transmit(TransmissionChannel::ConfidentialTransport),
        destroy(
            Some(shred()),
            Some(approval(
                6,
                OFFICE,
                ApproverRole::ConfidentialityOffice,
                day(),
            )),
        ),
    ] {
        assert!(matches!(
            refused(&lent, cmd, day()),
            CarrierRefusal::IllegalTransition {
                from: CarrierStatus::Lent,
                ..
            }
        ));
    }
    // A registered carrier must be signed into custody before it is lent.
    let reg = Carrier::register(
        registration(2, "002", CarrierKind::PaperDocument, Level::Secret),
        day(),
    )
    .unwrap();
    assert!(matches!(
        refused(
            &reg,
            lend(Some(leader_ok()), true, date(2025, 3, 20)),
            day()
        ),
        CarrierRefusal::IllegalTransition {
            from: CarrierStatus::Registered,
            command: CommandKind::Lend
        }
    ));
}

#[test]
fn r3_10_table_allows_exactly_the_documented_transitions() {
    use CarrierStatus as S;
    use CommandKind as C;
    let all_status = [
        S::Registered,
        S::InCustody,
        S::Lent,
        S::InTransit,
        S::CarriedOut,
        S::InRepair,
        S::Destroyed,
        S::Declassified,
        S::Released,
    ];
    for s in [S::Destroyed, S::Released] {
        assert!(s.is_terminal());
        for c in [
            C::TakeIntoCustody,
            C::Lend,
            C::Return,
            C::Transmit,
            C::Receive,
            C::CarryOut,
            C::SendForRepair,
            C::Destroy,
            C::Declassify,
            C::Release,
            C::Copy,
            C::Remark,
        ] {
            assert!(!c.allowed_from(s), "{c:?} from {s:?}");
        }
    }
    let from_custody: Vec<_> = all_status
        .iter()
        .filter(|s| C::Lend.allowed_from(**s))
        .collect();
    assert_eq!(from_custody, vec![&S::InCustody]);
    let returns: Vec<_> = all_status
        .iter()
        .filter(|s| C::Return.allowed_from(**s))
        .collect();
    assert_eq!(returns, vec![&S::Lent, &S::CarriedOut, &S::InRepair]);
    assert!(C::Receive.allowed_from(S::InTransit));
    assert!(!C::Return.allowed_from(S::InTransit));
    assert!(C::Release.allowed_from(S::Declassified));
    assert!(!C::Release.allowed_from(S::InCustody));
}

#[test]
fn r3_10_commands_dated_before_the_last_change_are_refused() {
    let lent = secret_doc()
        .apply(lend(Some(leader_ok()), true, date(2025, 3, 20)), day())
        .unwrap()
        .carrier;
    let err = refused(
        &lent,
        CarrierCommand::Return {
            received_by: CUSTODIAN,
            face_to_face: true,
            inventory_matches: true,
        },
        date(2025, 3, 9),
    );
    assert_eq!(
        err,
        CarrierRefusal::OutOfOrder {
            last: day(),
            on: date(2025, 3, 9)
        }
    );
    assert_eq!(err.rule(), RuleId("R3.10"));
}

#[test]
fn r3_10_record_carries_the_command_with_its_approval() {
    let t = secret_doc()
        .apply(lend(Some(leader_ok()), true, date(2025, 3, 20)), day())
        .unwrap();
    assert_eq!(t.record.on, day());
    assert_eq!(t.record.from, CarrierStatus::InCustody);
    assert_eq!(t.record.to, CarrierStatus::Lent);
    assert_eq!(
        t.record.command,
        lend(Some(leader_ok()), true, date(2025, 3, 20))
    );
    let json = serde_json::to_value(&t.record).unwrap();
    assert_eq!(json["command"]["command"], "lend");
    assert_eq!(json["command"]["approval"]["role"], "leader");
}

// ------------------------------------------------------------------------------ R1.9 / release

#[test]
fn r1_9_declassified_carrier_is_released_with_approval() {
    let c = secret_doc();
    let err = refused(
        &c,
        CarrierCommand::Declassify {
            matter_declassified_on: date(2025, 3, 11),
        },
        day(),
    );
    assert_eq!(
        err,
        CarrierRefusal::NotYetDeclassified {
            declassified_on: date(2025, 3, 11),
            on: day()
        }
    );
    assert_eq!(err.rule(), RuleId("R1.9"));
    let d = c
        .apply(
            CarrierCommand::Declassify {
                matter_declassified_on: day(),
            },
            day(),
        )
        .unwrap()
        .carrier;
    assert_eq!(d.state(), &CarrierState::Declassified { on: day() });
    // Declassified carriers are not lent, only released.
    assert!(matches!(
        refused(&d, lend(Some(leader_ok()), true, day()), day()),
        CarrierRefusal::IllegalTransition { .. }
    ));
    let release = |approval| CarrierCommand::Release {
        approval,
        requested_by: CUSTODIAN,
    };
    assert!(matches!(
        refused(&d, release(None), day()),
        CarrierRefusal::ApprovalMissing {
            action: CommandKind::Release,
            ..
        }
    ));
    let r = d
        .apply(
            release(Some(approval(
                8,
                OFFICE,
                ApproverRole::ConfidentialityOffice,
                day(),
            ))),
            date(2025, 3, 12),
        )
        .unwrap()
        .carrier;
    assert_eq!(
        r.state(),
        &CarrierState::Released {
            on: date(2025, 3, 12),
            approval: ApprovalId(8)
        }
    );
    assert!(r.status().is_terminal());
}

// ------------------------------------------------------------------------------------- R1.11

fn new_copy() -> NewCopy {
    NewCopy {
        id: CarrierId(500),
        number: CarrierNumber::new("复-2025-009").unwrap(),
        copy: copy_no(2),
        kind: CarrierKind::PaperDocument,
        unit: OTHER,
        holder: BORROWER,
        location: loc("二处 保密柜"),
    }
}

#[test]
fn r1_11_copy_inherits_mark_and_is_stamped_by_the_copying_unit() {
    let source = in_custody(CarrierKind::UsbDisk, Level::Confidential);
    let err =
        Carrier::copy_of(&source, new_copy(), None, BORROWER, day(), HOME, &units()).unwrap_err();
    assert_eq!(
        err,
        CarrierRefusal::ApprovalMissing {
            action: CommandKind::Copy,
            needed: vec![ApproverRole::UnitHead, ApproverRole::Leader]
        }
    );
    assert_eq!(err.rule(), RuleId("R1.11"));
    assert_eq!(err.also_violates(), Some(RuleId("R10.1")));
    let own = approval(1, BORROWER, ApproverRole::Leader, day());
    assert!(matches!(
        Carrier::copy_of(
            &source,
            new_copy(),
            Some(own),
            BORROWER,
            day(),
            HOME,
            &units()
        ),
        Err(CarrierRefusal::SelfApproval { .. })
    ));

    let copy = Carrier::copy_of(
        &source,
        new_copy(),
        Some(leader_ok()),
        BORROWER,
        day(),
        HOME,
        &units(),
    )
    .unwrap();
    assert_eq!(copy.marking(), source.marking());
    assert_eq!(copy.matter(), source.matter());
    assert_eq!(copy.unit(), OTHER);
    assert_eq!(copy.kind(), CarrierKind::PaperDocument);
    assert_eq!(copy.status(), CarrierStatus::InCustody);
    assert_eq!(copy.holder(), BORROWER);
    let stamp = copy.copied_from().unwrap();
    assert_eq!(stamp.source, source.id());
    assert_eq!(stamp.unit, OTHER);
    assert_eq!(stamp.approval, ApprovalId(100));
    // The copy is managed as an original: it can be lent like one.
    assert!(copy
        .apply(
            CarrierCommand::Lend {
                to: PersonId(21),
                due: date(2025, 3, 20),
                approval: Some(leader_ok()),
                borrower_cleared: true
            },
            day()
        )
        .is_ok());
}

#[test]
fn r1_11_top_secret_copy_needs_originator_consent() {
    let source = in_custody(CarrierKind::PaperDocument, Level::TopSecret);
    let err = Carrier::copy_of(
        &source,
        new_copy(),
        Some(head_ok()),
        BORROWER,
        day(),
        HOME,
        &units(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        CarrierRefusal::WrongApprover {
            action: CommandKind::Copy,
            needed: vec![ApproverRole::Originator],
            given: ApproverRole::UnitHead
        }
    );
    let consent = approval(11, PersonId(90), ApproverRole::Originator, day());
    let copy = Carrier::copy_of(
        &source,
        new_copy(),
        Some(consent.clone()),
        BORROWER,
        day(),
        HOME,
        &units(),
    )
    .unwrap();
    assert_eq!(copy.level(), Level::TopSecret);
    // The originating unit's superior may consent too.
    let above = Approval {
        unit: MINISTRY,
        ..consent.clone()
    };
    assert!(Carrier::copy_of(
        &source,
        new_copy(),
        Some(above),
        BORROWER,
        day(),
        HOME,
        &units()
    )
    .is_ok());
    // Labelling an approval "originator" is not enough: it must come from the unit that
    // classified the source (or one above it) — not from the copying unit, nor from a stranger.
    let refused = Err(CarrierRefusal::Derivation {
        reason: Refusal::TopSecretNeedsConsent {
            matter: MatterId(7),
            classifying_unit: HOME,
        },
    });
    for unit in [OTHER, STRANGER] {
        let labelled = Approval {
            unit,
            ..consent.clone()
        };
        let r = Carrier::copy_of(
            &source,
            new_copy(),
            Some(labelled),
            BORROWER,
            day(),
            HOME,
            &units(),
        );
        assert_eq!(r, refused);
        let err = r.unwrap_err();
        assert_eq!(err.rule(), RuleId("R1.11"));
        assert_eq!(err.also_violates(), Some(RuleId("R10.1")));
        assert!(err.describe(Lang::Zh).ends_with("（R1.11）"));
        assert!(err.to_string().contains("R1.11"));
    }
    // The source's ledger unit is not what counts: a carrier held by HOME but classified by
    // STRANGER needs STRANGER's consent.
    assert_eq!(
        Carrier::copy_of(
            &source,
            new_copy(),
            Some(consent.clone()),
            BORROWER,
            day(),
            STRANGER,
            &units()
        ),
        Err(CarrierRefusal::Derivation {
            reason: Refusal::TopSecretNeedsConsent {
                matter: MatterId(7),
                classifying_unit: STRANGER,
            },
        })
    );
    let strangers = Approval {
        unit: STRANGER,
        ..consent
    };
    assert!(Carrier::copy_of(
        &source,
        new_copy(),
        Some(strangers),
        BORROWER,
        day(),
        STRANGER,
        &units()
    )
    .is_ok());
}

#[test]
fn r1_11_secret_copy_approval_must_come_from_a_related_unit() {
    let source = secret_doc();
    // The copying unit (OTHER) or the originating unit (HOME) or one above either may approve.
    for unit in [OTHER, HOME, MINISTRY] {
        let ok = Approval {
            unit,
            ..leader_ok()
        };
        assert!(Carrier::copy_of(
            &source,
            new_copy(),
            Some(ok),
            BORROWER,
            day(),
            HOME,
            &units()
        )
        .is_ok());
    }
    let stranger = Approval {
        unit: STRANGER,
        ..leader_ok()
    };
    assert_eq!(
        Carrier::copy_of(
            &source,
            new_copy(),
            Some(stranger),
            BORROWER,
            day(),
            HOME,
            &units()
        ),
        Err(CarrierRefusal::Derivation {
            reason: Refusal::DerivationNeedsApproval {
                matter: MatterId(7),
                level: Level::Secret,
            },
        })
    );
}

#[test]
fn r1_11_copy_of_a_carrier_without_a_recorded_matter_is_refused() {
    let mut reg = registration(2, "机字2025-002", CarrierKind::PaperDocument, Level::Secret);
    reg.matter = None;
    let source = Carrier::register(reg, date(2025, 3, 1))
        .unwrap()
        .apply(
            CarrierCommand::TakeIntoCustody {
                holder: CUSTODIAN,
                location: loc("保密室 1号保密柜"),
            },
            date(2025, 3, 1),
        )
        .unwrap()
        .carrier;
    let err = Carrier::copy_of(
        &source,
        new_copy(),
        Some(leader_ok()),
        BORROWER,
        day(),
        HOME,
        &units(),
    )
    .unwrap_err();
    assert_eq!(err, CarrierRefusal::CopySourceMatterUnknown);
    assert_eq!(err.rule(), RuleId("R1.11"));
    assert!(err.describe(Lang::Zh).contains("R1.11"));
}

#[test]
fn r1_11_destroyed_carrier_cannot_be_copied() {
    let ok = Some(approval(
        6,
        OFFICE,
        ApproverRole::ConfidentialityOffice,
        day(),
    ));
    let gone = secret_doc()
        .apply(destroy(Some(shred()), ok), day())
        .unwrap()
        .carrier;
    assert_eq!(
        Carrier::copy_of(
            &gone,
            new_copy(),
            Some(leader_ok()),
            BORROWER,
            day(),
            HOME,
            &units()
        ),
        Err(CarrierRefusal::IllegalTransition {
            from: CarrierStatus::Destroyed,
            command: CommandKind::Copy
        })
    );
}

// ------------------------------------------------------------------------------ work secrets

#[test]
fn r3_6_work_secret_carriers_are_handled_as_secret() {
    let internal = Carrier::register(
        Registration {
            marking: CarrierMarking::Mark(Mark::internal()),
            ..registration(1, "内-001", CarrierKind::PaperDocument, Level::Secret)
        },
        date(2025, 3, 1),
    )
    .unwrap();
    assert_eq!(internal.level(), Level::Internal);
    assert_eq!(internal.handling_level(), Level::Secret);
    let c = internal
        .apply(
            CarrierCommand::TakeIntoCustody {
                holder: CUSTODIAN,
                location: loc("保密柜A"),
            },
            day(),
        )
        .unwrap()
        .carrier;
    assert!(matches!(
        refused(
            &c,
            carry_out(CarryDestination::Domestic, vec![], None),
            day()
        ),
        CarrierRefusal::ApprovalMissing { .. }
    ));
}

#[test]
fn r1_8_carrier_is_remarked_after_its_matter_changed() {
    let c = secret_doc();
    let lent = c
        .apply(lend(Some(leader_ok()), true, date(2025, 4, 30)), day())
        .unwrap()
        .carrier;
    let new_mark = Mark::parse("机密★15年").unwrap();
    let t = lent
        .apply(
            CarrierCommand::Remark {
                marking: CarrierMarking::Mark(new_mark.clone()),
            },
            day(),
        )
        .unwrap();
    // Re-marked wherever it is; still lent, now handled as Confidential.
    assert_eq!(t.carrier.marking(), &CarrierMarking::Mark(new_mark.clone()));
    assert_eq!(t.carrier.level(), Level::Confidential);
    assert_eq!(t.carrier.state().status(), CarrierStatus::Lent);
    assert_eq!(t.record.command.kind(), CommandKind::Remark);
    assert_eq!(CommandKind::Remark.rule(), RuleId("R1.8"));

    // The same marking again changes nothing and is refused; so is "unclassified"
    // (declassification is its own transition, R1.9).
    let again = refused(
        &t.carrier,
        CarrierCommand::Remark {
            marking: CarrierMarking::Mark(new_mark),
        },
        day(),
    );
    assert_eq!(again, CarrierRefusal::RemarkUnchanged);
    assert_eq!(again.rule(), RuleId("R1.8"));
    let open = refused(
        &t.carrier,
        CarrierCommand::Remark {
            marking: CarrierMarking::Level(Level::Unclassified),
        },
        day(),
    );
    assert_eq!(open, CarrierRefusal::NotClassified);
}
