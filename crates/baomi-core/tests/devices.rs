#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tests for devices (R4.1, R4.7, R3.8) and the password policy (R4.2).

use baomi_core::carriers::{
    Approval, ApproverRole, Carrier, CarrierCommand, CarrierKind, CarrierMarking, CarrierNumber,
    CarrierRefusal, CommandKind, Location, Registration, RepairArrangement,
};
use baomi_core::devices::{
    check_password, device_level, managed_as_classified, max_age_days, min_length, password_due,
    Device, DeviceAction, DeviceKind, DeviceRefusal, DeviceState, Disposal, PasswordAge,
    PasswordPolicy, PasswordProblem, Peripheral, SecondFactor,
};
use baomi_core::ids::{ApprovalId, CarrierId, DeviceId, PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_core::{Describe, Lang, RuleId};
use jiff::civil::{date, Date};

const OK: ApprovalId = ApprovalId(1);
const REQUESTER: PersonId = PersonId(10);
const OFFICE: PersonId = PersonId(50);
const HOME: UnitId = UnitId(1);

fn repair_day() -> Date {
    date(2025, 3, 10)
}

fn office_approval(by: PersonId) -> Approval {
    Approval {
        id: ApprovalId(5),
        by,
        role: ApproverRole::ConfidentialityOffice,
        unit: HOME,
        on: repair_day(),
    }
}

fn sent_out(designation: Option<&str>, storage_removed: bool) -> RepairArrangement {
    RepairArrangement::SentOut {
        repairer: "某定点维修单位".to_owned(),
        designation: designation.map(str::to_owned),
        storage_removed,
    }
}

fn send_for_repair(arrangement: RepairArrangement, approval: Option<Approval>) -> DeviceAction {
    DeviceAction::SendForRepair {
        approval,
        arrangement,
        requested_by: REQUESTER,
        on: repair_day(),
    }
}

fn in_house() -> RepairArrangement {
    RepairArrangement::InHouse {
        technician: PersonId(5),
    }
}

fn in_use(kind: DeviceKind, level: Level) -> Device {
    Device::register(DeviceId(7), kind, level, " SN-1 ")
        .apply(&DeviceAction::Commission {
            security_test: Some(OK),
        })
        .unwrap()
}

fn retired(kind: DeviceKind, level: Level) -> Device {
    in_use(kind, level)
        .apply(&DeviceAction::SendForSecurityProcessing { approval: OK })
        .unwrap()
        .apply(&DeviceAction::CompleteSecurityProcessing)
        .unwrap()
}

// ----------------------------------------------------------------------------------------------
// R4.2 passwords
// ----------------------------------------------------------------------------------------------

#[test]
fn r4_2_secret_exactly_8_mixed_chars_passes_and_7_fails() {
    assert!(check_password(Level::Secret, "abcd1234", None, None).is_empty());
    assert_eq!(
        check_password(Level::Secret, "abc1234", None, None),
        vec![PasswordProblem::TooShort { min: 8, actual: 7 }]
    );
}

#[test]
fn r4_2_confidential_needs_10_characters() {
    assert_eq!(
        check_password(Level::Confidential, "abcde1234", None, None),
        vec![PasswordProblem::TooShort { min: 10, actual: 9 }]
    );
    assert!(check_password(Level::Confidential, "abcde12345", None, None).is_empty());
}

#[test]
fn r4_2_every_problem_is_reported_at_once() {
    assert_eq!(
        check_password(Level::Confidential, "abc", None, None),
        vec![
            PasswordProblem::TooShort { min: 10, actual: 3 },
            PasswordProblem::NoDigit
        ]
    );
    assert_eq!(
        check_password(
            Level::Secret,
            "",
            None,
            Some(PasswordAge {
                last_changed: date(2024, 1, 1),
                on: date(2024, 6, 1)
            })
        ),
        vec![
            PasswordProblem::TooShort { min: 8, actual: 0 },
            PasswordProblem::NoLetter,
            PasswordProblem::NoDigit,
            PasswordProblem::Expired {
                last_changed: date(2024, 1, 1),
                max_age_days: 30,
                due: date(2024, 1, 31)
            }
        ]
    );
}

#[test]
fn r4_2_letters_and_digits_must_be_mixed() {
    assert_eq!(
        check_password(Level::Secret, "12345678", None, None),
        vec![PasswordProblem::NoLetter]
    );
    assert_eq!(
        check_password(Level::Secret, "abcdefgh", None, None),
        vec![PasswordProblem::NoDigit]
    );
    // Symbols count towards the length but are neither letters nor digits.
    assert_eq!(
        check_password(Level::Secret, "!@#$%^&*", None, None),
        vec![PasswordProblem::NoLetter, PasswordProblem::NoDigit]
    );
}

#[test]
fn r4_2_length_counts_characters_not_bytes() {
    // 6 CJK characters (18 bytes) + 2 digits = 8 characters: enough for Secret, CJK are letters.
    let pw = "保密工作口令12";
    assert_eq!(pw.len(), 20);
    assert!(check_password(Level::Secret, pw, None, None).is_empty());
    // 5 CJK + 2 digits = 7 characters (17 bytes) is too short.
    assert_eq!(
        check_password(Level::Secret, "保密工作口12", None, None),
        vec![PasswordProblem::TooShort { min: 8, actual: 7 }]
    );
    // Full-width digits are digits.
    assert!(check_password(Level::Secret, "abcdef１２", None, None).is_empty());
}

#[test]
fn r4_2_confidential_with_ic_card_or_usb_key_needs_4_mixed() {
    for f in [SecondFactor::IcCard, SecondFactor::UsbKey] {
        assert!(check_password(Level::Confidential, "ab12", Some(f), None).is_empty());
        assert_eq!(
            check_password(Level::Confidential, "a12", Some(f), None),
            vec![PasswordProblem::TooShort { min: 4, actual: 3 }]
        );
        assert_eq!(
            check_password(Level::Confidential, "1234", Some(f), None),
            vec![PasswordProblem::NoLetter]
        );
    }
}

#[test]
fn r4_2_top_secret_password_alone_is_never_enough() {
    // A long, mixed password without a second factor is still refused.
    assert_eq!(
        check_password(Level::TopSecret, "averylongpassword123", None, None),
        vec![PasswordProblem::SecondFactorRequired]
    );
    // The token rule is checked too, so every problem is listed.
    assert_eq!(
        check_password(Level::TopSecret, "abc", None, None),
        vec![
            PasswordProblem::SecondFactorRequired,
            PasswordProblem::TooShort { min: 6, actual: 3 },
            PasswordProblem::NoDigit
        ]
    );
}

#[test]
fn r4_2_top_secret_token_needs_6_mixed_and_biometrics_suffice() {
    assert!(
        check_password(Level::TopSecret, "abc123", Some(SecondFactor::UsbKey), None).is_empty()
    );
    assert_eq!(
        check_password(Level::TopSecret, "abc12", Some(SecondFactor::IcCard), None),
        vec![PasswordProblem::TooShort { min: 6, actual: 5 }]
    );
    assert!(check_password(Level::TopSecret, "", Some(SecondFactor::Biometric), None).is_empty());
    assert_eq!(
        min_length(Level::TopSecret, Some(SecondFactor::Biometric)),
        None
    );
    assert_eq!(
        max_age_days(Level::TopSecret, Some(SecondFactor::Biometric)),
        None
    );
}

#[test]
fn r4_2_one_time_password_is_not_an_r4_2_token() {
    let otp = Some(SecondFactor::OneTimePassword);
    assert!(!SecondFactor::OneTimePassword.is_token());
    assert!(SecondFactor::IcCard.is_token());
    assert!(SecondFactor::UsbKey.is_token());
    assert!(!SecondFactor::Biometric.is_token());
    // Top Secret: a password with a one-time password is still a password alone.
    assert_eq!(
        check_password(Level::TopSecret, "zz9999", otp, None),
        vec![PasswordProblem::SecondFactorRequired]
    );
    assert!(PasswordPolicy::for_level(Level::TopSecret, otp).second_factor_missing);
    // Confidential: OTP does not lower the minimum from 10 to 4.
    assert_eq!(
        check_password(Level::Confidential, "abcd1234", otp, None),
        vec![PasswordProblem::TooShort { min: 10, actual: 8 }]
    );
    assert!(check_password(Level::Confidential, "abcde12345", otp, None).is_empty());
    // Secret: still 8, still 30 days.
    assert_eq!(min_length(Level::Secret, otp), Some(8));
    assert_eq!(max_age_days(Level::Secret, otp), Some(30));
    assert_eq!(min_length(Level::Confidential, otp), Some(10));
    assert_eq!(max_age_days(Level::Confidential, otp), Some(7));
}

#[test]
fn r4_2_biometrics_waive_the_password_only_for_top_secret() {
    let bio = Some(SecondFactor::Biometric);
    // Top Secret: biometrics satisfy R4.2 on their own.
    assert!(check_password(Level::TopSecret, "", bio, None).is_empty());
    assert!(!PasswordPolicy::for_level(Level::TopSecret, bio).second_factor_missing);
    // Confidential: the password rule applies in full.
    assert_eq!(min_length(Level::Confidential, bio), Some(10));
    assert_eq!(max_age_days(Level::Confidential, bio), Some(7));
    assert_eq!(
        check_password(Level::Confidential, "ab12", bio, None),
        vec![PasswordProblem::TooShort { min: 10, actual: 4 }]
    );
    // Secret and Internal: as password only.
    for level in [Level::Secret, Level::Internal] {
        assert_eq!(min_length(level, bio), Some(8));
        assert_eq!(max_age_days(level, bio), Some(30));
        assert_eq!(
            check_password(level, "", bio, None),
            vec![
                PasswordProblem::TooShort { min: 8, actual: 0 },
                PasswordProblem::NoLetter,
                PasswordProblem::NoDigit
            ]
        );
        assert!(check_password(level, "abcd1234", bio, None).is_empty());
    }
}

#[test]
fn r4_2_expiry_boundary_secret_30_days() {
    let changed = date(2024, 3, 1);
    let age = |on| {
        Some(PasswordAge {
            last_changed: changed,
            on,
        })
    };
    // Last valid day is 1 March + 30 days = 31 March.
    assert_eq!(
        password_due(Level::Secret, None, changed),
        Some(date(2024, 3, 31))
    );
    assert!(check_password(Level::Secret, "abcd1234", None, age(date(2024, 3, 31))).is_empty());
    assert_eq!(
        check_password(Level::Secret, "abcd1234", None, age(date(2024, 4, 1))),
        vec![PasswordProblem::Expired {
            last_changed: changed,
            max_age_days: 30,
            due: date(2024, 3, 31)
        }]
    );
    // A check date before the change is not an expiry.
    assert!(check_password(Level::Secret, "abcd1234", None, age(date(2024, 2, 1))).is_empty());
}

#[test]
fn r4_2_expiry_boundary_confidential_and_top_secret_7_days() {
    let changed = date(2024, 2, 26);
    let on = |d| {
        Some(PasswordAge {
            last_changed: changed,
            on: d,
        })
    };
    // 26 Feb + 7 = 4 March (2024 is a leap year).
    assert!(check_password(
        Level::Confidential,
        "abcde12345",
        None,
        on(date(2024, 3, 4))
    )
    .is_empty());
    assert_eq!(
        check_password(
            Level::Confidential,
            "abcde12345",
            None,
            on(date(2024, 3, 5))
        ),
        vec![PasswordProblem::Expired {
            last_changed: changed,
            max_age_days: 7,
            due: date(2024, 3, 4)
        }]
    );
    let key = Some(SecondFactor::UsbKey);
    assert_eq!(max_age_days(Level::TopSecret, key), Some(7));
    assert_eq!(
        check_password(Level::TopSecret, "abc123", key, on(date(2024, 3, 5))).len(),
        1
    );
    // Biometrics: no rotation at all.
    assert!(check_password(
        Level::TopSecret,
        "",
        Some(SecondFactor::Biometric),
        on(date(2030, 1, 1))
    )
    .is_empty());
}

#[test]
fn r4_2_internal_follows_secret_and_unclassified_has_no_rule() {
    assert_eq!(
        PasswordPolicy::for_level(Level::Internal, None),
        PasswordPolicy {
            level: Level::Internal,
            ..PasswordPolicy::for_level(Level::Secret, None)
        }
    );
    assert_eq!(
        check_password(Level::Internal, "abc1234", None, None),
        vec![PasswordProblem::TooShort { min: 8, actual: 7 }]
    );
    assert!(check_password(
        Level::Unclassified,
        "",
        None,
        Some(PasswordAge {
            last_changed: date(2000, 1, 1),
            on: date(2024, 1, 1)
        })
    )
    .is_empty());
    assert_eq!(min_length(Level::Unclassified, None), None);
    assert_eq!(
        password_due(Level::Unclassified, None, date(2024, 1, 1)),
        None
    );
}

#[test]
fn r4_2_lower_level_never_demands_more_than_higher_for_same_factor() {
    let factors = [
        None,
        Some(SecondFactor::IcCard),
        Some(SecondFactor::UsbKey),
        Some(SecondFactor::OneTimePassword),
        Some(SecondFactor::Biometric),
    ];
    for f in factors {
        for pair in [Level::Secret, Level::Confidential, Level::TopSecret].windows(2) {
            let (lo, hi) = (pair[0], pair[1]);
            if let (Some(l), Some(h)) = (min_length(lo, f), min_length(hi, f)) {
                // With a token the minimum only grows with the level. (Without one, Top
                // Secret is refused outright, so its 6 is not comparable to Confidential's 10.)
                if f.is_some_and(SecondFactor::is_token) {
                    assert!(l <= h, "{lo:?} {hi:?} {f:?}");
                }
            }
            if let (Some(l), Some(h)) = (max_age_days(lo, f), max_age_days(hi, f)) {
                assert!(l >= h, "{lo:?} {hi:?} {f:?}");
            }
        }
    }
    assert_eq!(
        min_length(Level::Secret, Some(SecondFactor::UsbKey)),
        Some(4)
    );
    assert_eq!(max_age_days(Level::Secret, None), Some(30));
    assert_eq!(
        max_age_days(Level::Confidential, Some(SecondFactor::IcCard)),
        Some(7)
    );
}

#[test]
fn r4_2_problems_name_the_rule_and_explain_in_both_languages() {
    let problems = check_password(
        Level::TopSecret,
        "x",
        None,
        Some(PasswordAge {
            last_changed: date(2024, 1, 1),
            on: date(2024, 2, 1),
        }),
    );
    assert_eq!(problems.len(), 4);
    for p in &problems {
        assert_eq!(p.rule(), RuleId("R4.2"));
        assert!(p.describe(Lang::Zh).contains("R4.2"));
        assert!(p.describe(Lang::En).contains("R4.2"));
        assert_ne!(p.describe(Lang::Zh), p.describe(Lang::En));
    }
    let expired = problems.last().unwrap();
    assert!(expired.describe(Lang::Zh).contains("2024年1月8日"));
    let json = serde_json::to_string(&problems[1]).unwrap();
    assert_eq!(json, r#"{"problem":"too_short","min":6,"actual":1}"#);
}

// ----------------------------------------------------------------------------------------------
// R4.1 / R4.7 / R3.8 device lifecycle
// ----------------------------------------------------------------------------------------------

#[test]
fn r4_1_device_level_is_the_highest_level_handled() {
    assert_eq!(
        device_level([Level::Secret, Level::Internal, Level::Confidential]),
        Level::Confidential
    );
    assert_eq!(device_level([]), Level::Unclassified);
    assert!(managed_as_classified(Level::Internal));
    assert!(!managed_as_classified(Level::Unclassified));
}

#[test]
fn r4_1_classified_device_needs_security_test_before_first_use() {
    let d = Device::register(DeviceId(1), DeviceKind::DesktopComputer, Level::Secret, "A");
    assert_eq!(
        d.apply(&DeviceAction::Commission {
            security_test: None
        }),
        Err(DeviceRefusal::SecurityTestRequired)
    );
    assert_eq!(d.state, DeviceState::Registered);
    let used = d
        .apply(&DeviceAction::Commission {
            security_test: Some(OK),
        })
        .unwrap();
    assert_eq!(used.state, DeviceState::InUse);
    // A non-classified device may start without one.
    let u = Device::register(DeviceId(2), DeviceKind::Printer, Level::Unclassified, "B");
    assert_eq!(
        u.apply(&DeviceAction::Commission {
            security_test: None
        })
        .unwrap()
        .state,
        DeviceState::InUse
    );
    // Serial trimmed at registration.
    assert_eq!(in_use(DeviceKind::Laptop, Level::Secret).serial, "SN-1");
}

#[test]
fn r4_1_unprocessed_classified_device_is_never_given_away_or_sold() {
    let d = in_use(DeviceKind::Laptop, Level::Confidential);
    for disposal in [Disposal::GiveAway, Disposal::Sell] {
        let r = d.apply(&DeviceAction::Dispose {
            approval: OK,
            disposal,
        });
        assert_eq!(
            r,
            Err(DeviceRefusal::NotSecurityProcessed {
                state: DeviceState::InUse,
                disposal
            })
        );
        assert_eq!(r.unwrap_err().rule(), RuleId("R4.1"));
    }
    // Still in security processing is not enough.
    let processing = d
        .apply(&DeviceAction::SendForSecurityProcessing { approval: OK })
        .unwrap();
    assert!(matches!(
        processing.apply(&DeviceAction::Dispose {
            approval: OK,
            disposal: Disposal::Sell
        }),
        Err(DeviceRefusal::NotSecurityProcessed { .. })
    ));
    // After processing it may be given away.
    let gone = retired(DeviceKind::Laptop, Level::Confidential)
        .apply(&DeviceAction::Dispose {
            approval: OK,
            disposal: Disposal::GiveAway,
        })
        .unwrap();
    assert_eq!(
        gone.state,
        DeviceState::Disposed {
            disposal: Disposal::GiveAway
        }
    );
    // And a final state takes no more actions.
    assert!(matches!(
        gone.apply(&DeviceAction::Scrap {
            approval: OK,
            destruction_body: "销毁中心".into()
        }),
        Err(DeviceRefusal::WrongState { .. })
    ));
}

#[test]
fn r4_7_classified_device_is_never_discarded() {
    let d = retired(DeviceKind::Server, Level::Secret);
    let r = d.apply(&DeviceAction::Dispose {
        approval: OK,
        disposal: Disposal::Discard,
    });
    assert_eq!(r, Err(DeviceRefusal::DiscardForbidden));
    assert_eq!(r.unwrap_err().rule(), RuleId("R4.7"));
    // A non-classified device may be thrown away.
    let u = in_use(DeviceKind::Server, Level::Unclassified);
    assert!(u
        .apply(&DeviceAction::Dispose {
            approval: OK,
            disposal: Disposal::Discard
        })
        .is_ok());
}

#[test]
fn r4_7_scrapping_hands_the_device_to_a_named_destruction_body() {
    let d = in_use(DeviceKind::UsbDisk, Level::TopSecret);
    assert_eq!(
        d.apply(&DeviceAction::Scrap {
            approval: OK,
            destruction_body: "  ".into()
        }),
        Err(DeviceRefusal::NoDestructionBody)
    );
    let s = d
        .apply(&DeviceAction::Scrap {
            approval: OK,
            destruction_body: "市国家秘密载体销毁中心".into(),
        })
        .unwrap();
    assert_eq!(s.state, DeviceState::Scrapped);
    assert!(s.state.is_final());
}

#[test]
fn r4_1_turning_unclassified_needs_storage_removed() {
    let d = in_use(DeviceKind::DesktopComputer, Level::Secret);
    let r = d.apply(&DeviceAction::Declassify {
        approval: OK,
        storage_removed: false,
    });
    assert_eq!(r, Err(DeviceRefusal::StorageNotRemoved));
    assert_eq!(d.level, Level::Secret);
    let u = d
        .apply(&DeviceAction::Declassify {
            approval: OK,
            storage_removed: true,
        })
        .unwrap();
    assert_eq!(
        (u.level, u.state),
        (Level::Unclassified, DeviceState::InUse)
    );
    assert_eq!(
        u.apply(&DeviceAction::Declassify {
            approval: OK,
            storage_removed: true
        }),
        Err(DeviceRefusal::NotClassified)
    );
}

#[test]
fn r4_1_classified_removable_medium_cannot_be_declassified() {
    let d = retired(DeviceKind::UsbDisk, Level::Secret);
    let r = d.apply(&DeviceAction::Declassify {
        approval: OK,
        storage_removed: true,
    });
    assert_eq!(
        r,
        Err(DeviceRefusal::StorageMediumCannotBeDeclassified {
            kind: DeviceKind::UsbDisk
        })
    );
    assert!(r.unwrap_err().describe(Lang::Zh).contains("U盘"));
}

#[test]
fn r3_8_classified_device_sent_out_only_to_approved_repairer_without_storage() {
    let d = in_use(DeviceKind::Laptop, Level::Secret);
    let out = |designated: bool, storage_removed| {
        send_for_repair(
            sent_out(designated.then_some("保密局〔2024〕3号"), storage_removed),
            Some(office_approval(OFFICE)),
        )
    };
    let r = d.apply(&out(false, true));
    assert_eq!(
        r,
        Err(DeviceRefusal::Repair {
            reason: CarrierRefusal::RepairerNotDesignated
        })
    );
    assert_eq!(r.unwrap_err().rule(), RuleId("R3.8"));
    let r = d.apply(&out(true, false));
    assert_eq!(r, Err(DeviceRefusal::StorageNotRemovedForRepair));
    assert_eq!(r.unwrap_err().rule(), RuleId("R3.8"));
    let repaired = d.apply(&out(true, true)).unwrap();
    assert_eq!(repaired.state, DeviceState::InRepair);
    // Cannot be scrapped while away.
    assert!(matches!(
        repaired.apply(&DeviceAction::Scrap {
            approval: OK,
            destruction_body: "x".into()
        }),
        Err(DeviceRefusal::WrongState {
            state: DeviceState::InRepair,
            action: "scrap"
        })
    ));
    assert_eq!(
        repaired
            .apply(&DeviceAction::ReturnFromRepair)
            .unwrap()
            .state,
        DeviceState::InUse
    );
    // In-house repair needs no conditions; non-classified devices may go anywhere.
    assert!(d.apply(&send_for_repair(in_house(), None)).is_ok());
    assert!(in_use(DeviceKind::Laptop, Level::Unclassified)
        .apply(&out(false, false))
        .is_ok());
}

#[test]
fn r3_8_classified_removable_medium_is_never_sent_out_for_repair() {
    for kind in [
        DeviceKind::UsbDisk,
        DeviceKind::PortableDrive,
        DeviceKind::OpticalDisc,
        DeviceKind::MemoryCard,
    ] {
        let d = in_use(kind, Level::Confidential);
        let r = d.apply(&send_for_repair(
            sent_out(Some("保密局〔2024〕3号"), true),
            Some(office_approval(OFFICE)),
        ));
        assert_eq!(r, Err(DeviceRefusal::StorageMediumCannotBeSentOut { kind }));
        assert_eq!(r.unwrap_err().rule(), RuleId("R3.8"));
        assert!(d.apply(&send_for_repair(in_house(), None)).is_ok());
    }
}

#[test]
fn r4_1_refusals_explain_in_chinese_and_english() {
    let all = [
        DeviceRefusal::SecurityTestRequired,
        DeviceRefusal::Repair {
            reason: CarrierRefusal::RepairerNotDesignated,
        },
        DeviceRefusal::StorageNotRemovedForRepair,
        DeviceRefusal::StorageMediumCannotBeSentOut {
            kind: DeviceKind::UsbDisk,
        },
        DeviceRefusal::NotSecurityProcessed {
            state: DeviceState::InUse,
            disposal: Disposal::Sell,
        },
        DeviceRefusal::DiscardForbidden,
        DeviceRefusal::NoDestructionBody,
        DeviceRefusal::StorageNotRemoved,
        DeviceRefusal::StorageMediumCannotBeDeclassified {
            kind: DeviceKind::OpticalDisc,
        },
    ];
    for r in all {
        let zh = r.describe(Lang::Zh);
        assert!(zh.contains(r.rule().0), "{zh}");
        assert!(r.describe(Lang::En).contains(r.rule().0));
    }
}

#[test]
fn r4_device_kinds_and_peripherals_have_names() {
    let mut zh: Vec<_> = DeviceKind::ALL.iter().map(|k| k.zh()).collect();
    zh.sort_unstable();
    zh.dedup();
    assert_eq!(zh.len(), DeviceKind::ALL.len());
    assert!(DeviceKind::PortableDrive.is_removable_storage());
    assert!(!DeviceKind::Laptop.is_removable_storage());
    assert!(DeviceKind::Multifunction.is_office_equipment());
    assert!(DeviceKind::Server.is_computer());
    assert_eq!(DeviceKind::UsbDisk.describe(Lang::En), "USB disk");
    assert!(Peripheral::WirelessNetworkCard.is_wireless());
    assert!(!Peripheral::Webcam.is_wireless());
    assert!(Peripheral::Microphone.is_camera_or_microphone());
}

/// A carrier of `kind` at Secret, taken into custody, for comparing with a device.
fn secret_carrier(kind: CarrierKind) -> Carrier {
    let c = Carrier::register(
        Registration {
            id: CarrierId(1),
            number: CarrierNumber::new("机字2025-001").unwrap(),
            copy: std::num::NonZeroU32::new(1).unwrap(),
            kind,
            marking: CarrierMarking::Level(Level::Secret),
            matter: None,
            unit: HOME,
            title: "涉密便携式计算机".to_owned(),
            holder: REQUESTER,
            location: Location::new("保密室").unwrap(),
        },
        date(2025, 3, 1),
    )
    .unwrap();
    c.apply(
        CarrierCommand::TakeIntoCustody {
            holder: REQUESTER,
            location: Location::new("保密室").unwrap(),
        },
        date(2025, 3, 1),
    )
    .unwrap()
    .carrier
}

#[test]
fn r3_8_device_repair_approved_by_the_requester_is_refused_like_a_carriers() {
    let device = in_use(DeviceKind::Laptop, Level::Secret);
    let carrier = secret_carrier(CarrierKind::Equipment);
    let arrangement = sent_out(Some("保密局〔2024〕3号"), true);
    let check = |approval: Option<Approval>| {
        let on_device = device
            .apply(&send_for_repair(arrangement.clone(), approval.clone()))
            .map(|d| d.state);
        let on_carrier = carrier
            .apply(
                CarrierCommand::SendForRepair {
                    arrangement: arrangement.clone(),
                    approval,
                    requested_by: REQUESTER,
                },
                repair_day(),
            )
            .map(|t| t.carrier.status());
        (on_device, on_carrier)
    };

    // Approved by the person asking: the same refusal on both.
    let self_approval = CarrierRefusal::SelfApproval {
        action: CommandKind::SendForRepair,
        person: REQUESTER,
    };
    let (on_device, on_carrier) = check(Some(office_approval(REQUESTER)));
    assert_eq!(
        on_device,
        Err(DeviceRefusal::Repair {
            reason: self_approval.clone()
        })
    );
    assert_eq!(on_carrier.unwrap_err(), self_approval);

    // The same for a missing approval, a wrong role and an approval dated after the act.
    let (on_device, on_carrier) = check(None);
    assert_eq!(
        on_device.unwrap_err(),
        DeviceRefusal::Repair {
            reason: on_carrier.unwrap_err()
        }
    );
    let mut competent = office_approval(OFFICE);
    competent.role = ApproverRole::CompetentDepartment;
    let (on_device, on_carrier) = check(Some(competent));
    let wrong = on_carrier.unwrap_err();
    assert!(matches!(wrong, CarrierRefusal::WrongApprover { .. }));
    assert_eq!(
        on_device.unwrap_err(),
        DeviceRefusal::Repair { reason: wrong }
    );
    let mut late = office_approval(OFFICE);
    late.on = date(2025, 3, 11);
    let (on_device, on_carrier) = check(Some(late));
    let after = on_carrier.unwrap_err();
    assert!(matches!(after, CarrierRefusal::ApprovalAfterAct { .. }));
    assert_eq!(
        on_device.clone().unwrap_err(),
        DeviceRefusal::Repair { reason: after }
    );
    let refusal = on_device.unwrap_err();
    assert_eq!(refusal.rule(), RuleId("R3.8"));
    assert!(refusal.describe(Lang::Zh).contains("R3.8"));

    // Approved by someone else in an accepted role, on the day: both go to repair.
    let (on_device, on_carrier) = check(Some(office_approval(OFFICE)));
    assert_eq!(on_device, Ok(DeviceState::InRepair));
    assert!(on_carrier.is_ok());

    // An outside technician on site must be named, for devices as for carriers.
    let unnamed = RepairArrangement::OnSite {
        technician: " ".to_owned(),
        supervisor: OFFICE,
    };
    assert_eq!(
        device.apply(&send_for_repair(unnamed, None)),
        Err(DeviceRefusal::Repair {
            reason: CarrierRefusal::RepairerUnnamed
        })
    );
}

// ----------------------------------------------------------------------------------------------
// R4.4 carrying out, and the approvals device actions need
// ----------------------------------------------------------------------------------------------

const BEARER: PersonId = PersonId(20);
const HEAD: PersonId = PersonId(1);

fn head_approval(by: PersonId, on: Date) -> Approval {
    Approval {
        id: ApprovalId(9),
        by,
        role: ApproverRole::UnitHead,
        unit: HOME,
        on,
    }
}

fn carry_out(approval: Option<Approval>, encrypted: bool, authenticated: bool) -> DeviceAction {
    DeviceAction::CarryOut {
        by: BEARER,
        requested_by: BEARER,
        due: date(2025, 3, 20),
        on: repair_day(),
        approval,
        encrypted,
        authenticated,
    }
}

#[test]
fn r4_4_classified_laptop_leaves_only_approved_by_the_unit_head_encrypted_and_authenticated() {
    let laptop = in_use(DeviceKind::Laptop, Level::Confidential);
    let ok = head_approval(HEAD, repair_day());
    // No approval.
    let r = laptop.apply(&carry_out(None, true, true)).unwrap_err();
    assert!(matches!(r, DeviceRefusal::ApprovalMissing { .. }), "{r:?}");
    assert_eq!(r.rule(), RuleId("R4.4"));
    // A leader or the confidentiality office is not the unit head (practice, after R3.6).
    let mut leader = ok.clone();
    leader.role = ApproverRole::Leader;
    assert!(matches!(
        laptop.apply(&carry_out(Some(leader), true, true)),
        Err(DeviceRefusal::WrongApprover { .. })
    ));
    // The bearer never approves their own carrying out.
    assert!(matches!(
        laptop.apply(&carry_out(
            Some(head_approval(BEARER, repair_day())),
            true,
            true
        )),
        Err(DeviceRefusal::SelfApproval { .. })
    ));
    // Approval after the act.
    assert!(matches!(
        laptop.apply(&carry_out(
            Some(head_approval(HEAD, date(2025, 3, 11))),
            true,
            true
        )),
        Err(DeviceRefusal::ApprovalAfterAct { .. })
    ));
    // Encryption and authentication.
    assert_eq!(
        laptop.apply(&carry_out(Some(ok.clone()), false, true)),
        Err(DeviceRefusal::NotEncrypted)
    );
    assert_eq!(
        laptop.apply(&carry_out(Some(ok.clone()), true, false)),
        Err(DeviceRefusal::NoAuthentication)
    );
    // Due before the day it leaves.
    let early = DeviceAction::CarryOut {
        by: BEARER,
        requested_by: BEARER,
        due: date(2025, 3, 9),
        on: repair_day(),
        approval: Some(ok.clone()),
        encrypted: true,
        authenticated: true,
    };
    assert!(matches!(
        laptop.apply(&early),
        Err(DeviceRefusal::DueBeforeStart { .. })
    ));
    // Everything in order.
    let out = laptop.apply(&carry_out(Some(ok), true, true)).unwrap();
    assert_eq!(
        out.state,
        DeviceState::CarriedOut {
            by: BEARER,
            since: repair_day(),
            due: date(2025, 3, 20)
        }
    );
    assert_eq!(out.state.code(), "carried_out");
    // Out of the office it is neither scrapped nor disposed of, nor carried out again.
    assert!(matches!(
        out.apply(&DeviceAction::Scrap {
            approval: OK,
            destruction_body: "某销毁中心".to_owned()
        }),
        Err(DeviceRefusal::WrongState { .. })
    ));
    let back = out.apply(&DeviceAction::ReturnFromCarryOut).unwrap();
    assert_eq!(back.state, DeviceState::InUse);
    assert!(matches!(
        back.apply(&DeviceAction::ReturnFromCarryOut),
        Err(DeviceRefusal::WrongState { .. })
    ));
}

#[test]
fn r4_4_only_laptops_and_media_are_carried_out_and_unclassified_ones_need_no_approval() {
    let desktop = in_use(DeviceKind::DesktopComputer, Level::Secret);
    let r = desktop
        .apply(&carry_out(
            Some(head_approval(HEAD, repair_day())),
            true,
            true,
        ))
        .unwrap_err();
    assert_eq!(
        r,
        DeviceRefusal::NotPortable {
            kind: DeviceKind::DesktopComputer
        }
    );
    assert_eq!(r.rule(), RuleId("R4.4"));
    let usb = in_use(DeviceKind::UsbDisk, Level::Secret);
    assert!(usb
        .apply(&carry_out(
            Some(head_approval(HEAD, repair_day())),
            true,
            true
        ))
        .is_ok());
    let open = in_use(DeviceKind::Laptop, Level::Unclassified);
    assert!(open.apply(&carry_out(None, false, false)).is_ok());
    assert_eq!(open.approval_needed(&carry_out(None, false, false)), None);
}

#[test]
fn r4_7_device_actions_name_the_approval_they_need_and_who_gives_it() {
    use baomi_core::devices::ApprovedAction;
    let laptop = in_use(DeviceKind::Laptop, Level::Secret);
    assert_eq!(
        laptop.approval_needed(&carry_out(None, true, true)),
        Some(ApprovedAction::CarryOut)
    );
    let scrap = DeviceAction::Scrap {
        approval: OK,
        destruction_body: "某销毁中心".to_owned(),
    };
    assert_eq!(laptop.approval_needed(&scrap), Some(ApprovedAction::Scrap));
    assert_eq!(
        laptop.approval_needed(&send_for_repair(sent_out(Some("X"), true), None)),
        Some(ApprovedAction::Repair)
    );
    assert_eq!(
        laptop.approval_needed(&send_for_repair(in_house(), None)),
        None
    );
    assert_eq!(
        laptop.approval_needed(&DeviceAction::ReturnFromRepair),
        None
    );
    assert_eq!(
        ApprovedAction::CarryOut.approvers(),
        &[ApproverRole::UnitHead]
    );
    assert_eq!(ApprovedAction::Scrap.rule(), RuleId("R4.7"));
    assert_eq!(ApprovedAction::CarryOut.rule(), RuleId("R4.4"));
    // Scrapping: the office approvers, never the requester, never after the act.
    let requester = PersonId(2);
    let office = office_approval(OFFICE);
    assert_eq!(
        ApprovedAction::Scrap.check(Some(&office), &[requester], repair_day()),
        Ok(ApprovalId(5))
    );
    let own = office_approval(requester);
    let r = ApprovedAction::Scrap
        .check(Some(&own), &[requester], repair_day())
        .unwrap_err();
    assert!(matches!(r, DeviceRefusal::SelfApproval { .. }));
    assert_eq!(r.rule(), RuleId("R4.7"));
    assert!(r.describe(Lang::Zh).contains("R4.7"));
    let mut wrong = office.clone();
    wrong.role = ApproverRole::CompetentDepartment;
    assert!(matches!(
        ApprovedAction::Scrap.check(Some(&wrong), &[requester], repair_day()),
        Err(DeviceRefusal::WrongApprover { .. })
    ));
    assert!(matches!(
        ApprovedAction::Scrap.check(None, &[requester], repair_day()),
        Err(DeviceRefusal::ApprovalMissing { .. })
    ));
    // Repair approvers agree with the carriers' check used inside apply.
    for role in ApprovedAction::Repair.approvers() {
        let mut a = office_approval(OFFICE);
        a.role = *role;
        assert!(laptop
            .apply(&send_for_repair(sent_out(Some("X"), true), Some(a)))
            .is_ok());
    }
}

#[test]
fn r4_4_refusals_explain_in_chinese_and_english_with_codes() {
    for r in [
        DeviceRefusal::NotEncrypted,
        DeviceRefusal::NoAuthentication,
        DeviceRefusal::NotPortable {
            kind: DeviceKind::Printer,
        },
    ] {
        assert!(r.describe(Lang::Zh).contains("R4.4"));
        assert!(r.describe(Lang::En).contains("R4.4"));
        assert!(!r.code().is_empty());
    }
}
