#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tests of classified personnel (R2.1–R2.6).

use baomi_core::ids::{ApprovalId, CarrierId, DeviceId, PersonId};
use baomi_core::marks::{LegalBasis, Level};
use baomi_core::personnel::{
    check_activity, training_compliance, Activity, ActivityRefused, AppointmentChecklist,
    AppointmentCondition, Category, Detachment, DetachmentError, LeavingClearance, Outstanding,
    PriorApproval, ReportableMatter, Standing, TrainingError, TrainingRecord,
    REQUIRED_TRAINING_MINUTES_PER_YEAR,
};
use baomi_core::{Describe, Lang};
use jiff::civil::date;
use std::collections::BTreeSet;

const P: PersonId = PersonId(1);

fn cleared() -> LeavingClearance {
    LeavingClearance {
        exit_commitment_signed: true,
        ..LeavingClearance::default()
    }
}

#[test]
fn r2_1_categories_cover_levels_up_to_their_highest() {
    assert!(Category::Core.covers(Level::TopSecret));
    assert!(!Category::Important.covers(Level::TopSecret));
    assert!(Category::Important.covers(Level::Confidential));
    assert!(!Category::General.covers(Level::Confidential));
    assert!(Category::General.covers(Level::Secret));
    assert!(Category::General.covers(Level::Internal));
    assert_eq!(Category::Core.zh(), "核心涉密人员");
    assert_eq!(Category::General.en(), "general classified personnel");
}

#[test]
fn r2_2_appointment_lists_every_unmet_condition() {
    let mut list = AppointmentChecklist::default();
    assert_eq!(list.unmet(), AppointmentCondition::ALL.to_vec());
    list.met = AppointmentCondition::ALL.into_iter().collect();
    list.met
        .remove(&AppointmentCondition::ConfidentialityReview);
    list.met.remove(&AppointmentCondition::CommitmentSigned);
    let err = list.check().unwrap_err();
    assert_eq!(
        err.unmet,
        vec![
            AppointmentCondition::ConfidentialityReview,
            AppointmentCondition::CommitmentSigned
        ]
    );
    assert_eq!(err.rule().0, "R2.2");
    assert!(err.describe(Lang::Zh).contains("签订在岗保密承诺书"));
    assert!(err.describe(Lang::En).contains("commitment letter"));
    list.met.insert(AppointmentCondition::ConfidentialityReview);
    list.met.insert(AppointmentCondition::CommitmentSigned);
    assert_eq!(list.check(), Ok(()));
}

#[test]
fn r2_3_four_hours_a_year_per_person() {
    let rec = |person, on, minutes| TrainingRecord::new(person, on, minutes, "保密法").unwrap();
    let records = vec![
        rec(P, date(2024, 1, 10), 120),
        rec(P, date(2024, 12, 31), 119),
        rec(P, date(2023, 12, 31), 600),         // another year
        rec(PersonId(2), date(2024, 6, 1), 600), // another person
    ];
    let status = training_compliance(P, &records, 2024);
    assert_eq!(status.minutes, 239);
    assert_eq!(status.required_minutes, REQUIRED_TRAINING_MINUTES_PER_YEAR);
    assert_eq!(status.short_by_minutes, 1);
    assert!(!status.is_compliant());

    let mut more = records.clone();
    more.push(rec(P, date(2024, 7, 1), 1));
    let status = training_compliance(P, &more, 2024);
    assert_eq!((status.minutes, status.short_by_minutes), (240, 0));
    assert!(status.is_compliant());

    let none = training_compliance(PersonId(3), &records, 2024);
    assert_eq!(none.short_by_minutes, 240);
}

#[test]
fn r2_3_training_records_are_validated() {
    let on = date(2024, 1, 1);
    assert_eq!(
        TrainingRecord::new(P, on, 0, "x"),
        Err(TrainingError::NoDuration)
    );
    assert_eq!(
        TrainingRecord::new(P, on, 1441, "x"),
        Err(TrainingError::LongerThanADay { minutes: 1441 })
    );
    assert_eq!(
        TrainingRecord::new(P, on, 60, "  "),
        Err(TrainingError::NoTopic)
    );
    assert_eq!(
        TrainingRecord::new(P, on, 1440, " 案例 ").unwrap().topic,
        "案例"
    );
    assert_eq!(TrainingError::NoTopic.rule().0, "R2.3");
}

#[test]
fn r2_4_detachment_months_must_fit_the_category_range() {
    let left = date(2025, 1, 15);
    for (category, min, max) in [
        (Category::Core, 24, 36),
        (Category::Important, 12, 24),
        (Category::General, 6, 12),
    ] {
        assert!(Detachment::new(P, category, left, min, None, &cleared()).is_ok());
        assert!(Detachment::new(P, category, left, max, None, &cleared()).is_ok());
        assert_eq!(
            Detachment::new(P, category, left, min - 1, None, &cleared()),
            Err(DetachmentError::TooShort {
                category,
                months: min - 1,
                min
            })
        );
        assert_eq!(
            Detachment::new(P, category, left, max + 1, None, &cleared()),
            Err(DetachmentError::TooLongWithoutBasis {
                category,
                months: max + 1,
                max
            })
        );
    }
}

#[test]
fn r2_4_longer_detachment_only_on_a_legal_basis_and_never_shorter() {
    let basis = LegalBasis::new("《保守国家秘密法》特殊规定").unwrap();
    let left = date(2025, 1, 15);
    let long =
        Detachment::new(P, Category::Core, left, 60, Some(basis.clone()), &cleared()).unwrap();
    assert_eq!(long.ends_on(), date(2030, 1, 15));
    assert_eq!(long.basis(), Some(&basis));
    assert!(matches!(
        Detachment::new(
            P,
            Category::General,
            left,
            3,
            Some(basis.clone()),
            &cleared()
        ),
        Err(DetachmentError::TooShort { .. })
    ));
    assert_eq!(
        Detachment::new(
            P,
            Category::Core,
            date(9998, 1, 1),
            60_000,
            Some(basis),
            &cleared()
        ),
        Err(DetachmentError::EndOutOfRange { months: 60_000 })
    );
}

#[test]
fn r2_4_end_date_is_leaving_date_plus_months_clamped_to_month_end() {
    let d = Detachment::new(P, Category::General, date(2024, 8, 31), 6, None, &cleared()).unwrap();
    assert_eq!(d.ends_on(), date(2025, 2, 28));
    let leap =
        Detachment::new(P, Category::General, date(2023, 8, 31), 6, None, &cleared()).unwrap();
    assert_eq!(leap.ends_on(), date(2024, 2, 29));
    let d = Detachment::new(
        P,
        Category::Important,
        date(2025, 1, 15),
        12,
        None,
        &cleared(),
    )
    .unwrap();
    assert_eq!(d.ends_on(), date(2026, 1, 15));
    assert!(!d.is_in_detachment(date(2025, 1, 14)));
    assert!(d.is_in_detachment(date(2025, 1, 15)));
    assert!(d.is_in_detachment(date(2026, 1, 14)));
    assert!(!d.is_in_detachment(date(2026, 1, 15)));
    assert_eq!(
        d.standing_on(date(2025, 1, 14)),
        Standing::OnPost {
            category: Category::Important
        }
    );
    assert_eq!(
        d.standing_on(date(2026, 1, 14)),
        Standing::Detached {
            category: Category::Important,
            until: date(2026, 1, 15)
        }
    );
    assert_eq!(d.standing_on(date(2026, 1, 15)), Standing::NotClassified);
}

#[test]
fn r2_4_nobody_leaves_while_carriers_devices_or_the_exit_letter_are_outstanding() {
    let holding = LeavingClearance {
        carriers_held: BTreeSet::from([CarrierId(7), CarrierId(3)]),
        devices_held: BTreeSet::from([DeviceId(9)]),
        exit_commitment_signed: false,
    };
    let expected = vec![
        Outstanding::Carrier(CarrierId(3)),
        Outstanding::Carrier(CarrierId(7)),
        Outstanding::Device(DeviceId(9)),
        Outstanding::ExitCommitment,
    ];
    assert_eq!(holding.outstanding(), expected);
    let err =
        Detachment::new(P, Category::General, date(2025, 1, 1), 6, None, &holding).unwrap_err();
    assert_eq!(
        err,
        DetachmentError::Outstanding {
            outstanding: expected
        }
    );
    assert_eq!(err.rule().0, "R2.4");
    assert!(err.describe(Lang::Zh).contains("归还涉密载体 3"));
    assert!(err.to_string().contains("sign the exit commitment letter"));
    assert!(cleared().outstanding().is_empty());
}

#[test]
fn r2_4_travel_abroad_and_new_employment_need_prior_approval_during_detachment() {
    let d = Detachment::new(P, Category::Core, date(2025, 1, 1), 24, None, &cleared()).unwrap();
    let during = d.standing_on(date(2025, 6, 1));
    for activity in [
        Activity::TravelAbroad,
        Activity::NewEmployment,
        Activity::Publishing,
    ] {
        let err = check_activity(&during, activity, date(2025, 6, 1), None).unwrap_err();
        assert_eq!(
            err,
            ActivityRefused::NoApproval {
                activity,
                detached: true
            }
        );
        assert_eq!(err.rule().0, "R2.4");
    }
    let approval = PriorApproval {
        approval: ApprovalId(1),
        approved_on: date(2025, 5, 20),
    };
    assert_eq!(
        check_activity(
            &during,
            Activity::NewEmployment,
            date(2025, 6, 1),
            Some(&approval)
        ),
        Ok(())
    );
    // After the period, no restriction remains.
    let after = d.standing_on(date(2027, 1, 1));
    assert_eq!(
        check_activity(&after, Activity::TravelAbroad, date(2027, 1, 1), None),
        Ok(())
    );
}

#[test]
fn r2_5_reportable_matters_have_names_in_both_languages() {
    let zh: BTreeSet<_> = ReportableMatter::ALL.iter().map(|m| m.zh()).collect();
    let en: BTreeSet<_> = ReportableMatter::ALL.iter().map(|m| m.en()).collect();
    assert_eq!(zh.len(), 7);
    assert_eq!(en.len(), 7);
    assert_eq!(ReportableMatter::MarriageToForeigner.zh(), "与境外人员通婚");
    assert_eq!(ReportableMatter::Leak.rule().0, "R2.5");
    assert_eq!(ReportableMatter::IncidentAbroad.rule().0, "R2.6");
    assert_eq!(
        serde_json::to_string(&ReportableMatter::FundingFromAbroad).unwrap(),
        "\"funding_from_abroad\""
    );
}

#[test]
fn r2_6_travel_abroad_and_publishing_need_approval_given_beforehand() {
    let on_post = Standing::OnPost {
        category: Category::General,
    };
    let departs = date(2025, 6, 1);
    assert_eq!(
        check_activity(&on_post, Activity::TravelAbroad, departs, None),
        Err(ActivityRefused::NoApproval {
            activity: Activity::TravelAbroad,
            detached: false
        })
    );
    let same_day = PriorApproval {
        approval: ApprovalId(2),
        approved_on: departs,
    };
    assert_eq!(
        check_activity(&on_post, Activity::TravelAbroad, departs, Some(&same_day)),
        Ok(())
    );
    let late = PriorApproval {
        approval: ApprovalId(3),
        approved_on: date(2025, 6, 2),
    };
    let err = check_activity(&on_post, Activity::Publishing, departs, Some(&late)).unwrap_err();
    assert_eq!(
        err,
        ActivityRefused::NotPrior {
            activity: Activity::Publishing,
            detached: false,
            approved_on: date(2025, 6, 2),
            starts_on: departs
        }
    );
    assert_eq!(err.rule().0, "R2.6");
    assert!(err.describe(Lang::Zh).contains("须先审批"));
    // New employment is not an on-post matter; a person never classified is free.
    assert_eq!(
        check_activity(&on_post, Activity::NewEmployment, departs, None),
        Ok(())
    );
    assert_eq!(
        check_activity(
            &Standing::NotClassified,
            Activity::TravelAbroad,
            departs,
            None
        ),
        Ok(())
    );
}

#[test]
fn r2_4_detachment_round_trips_through_json_and_is_revalidated() {
    let d = Detachment::new(P, Category::General, date(2024, 8, 31), 6, None, &cleared()).unwrap();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["ends_on"], "2025-02-28");
    let back: Detachment = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, d);
    let mut bad = json;
    bad["months"] = serde_json::json!(13);
    assert!(serde_json::from_value::<Detachment>(bad).is_err());
}

#[test]
fn r5_3_a_password_reset_stays_in_the_unit_and_classified_personnel_need_a_second_person() {
    use baomi_core::ids::UnitId;
    use baomi_core::personnel::{password_reset, PasswordReset};
    let (own, other) = (UnitId(1), UnitId(2));
    assert_eq!(
        password_reset(own, other, None, false),
        PasswordReset::OtherUnit
    );
    assert_eq!(
        password_reset(own, other, Some(Category::Core), false),
        PasswordReset::OtherUnit
    );
    assert_eq!(password_reset(own, own, None, false), PasswordReset::Direct);
    // A confidentiality officer or approver without a category decides things too.
    assert_eq!(
        password_reset(own, own, None, true),
        PasswordReset::NeedsSecurityAdministrator
    );
    for category in Category::ALL {
        assert_eq!(
            password_reset(own, own, Some(category), false),
            PasswordReset::NeedsSecurityAdministrator
        );
    }
}

#[test]
fn r5_3_a_pending_reset_is_confirmed_by_another_security_administrator_of_the_unit() {
    use baomi_core::ids::UnitId;
    use baomi_core::personnel::{may_confirm_password_reset, ResetConfirmation};
    let ok = ResetConfirmation {
        confirmer: PersonId(9),
        confirmer_unit: UnitId(1),
        confirmer_is_security_administrator: true,
        requester: PersonId(8),
        target: PersonId(5),
        target_unit: UnitId(1),
        target_is_administrator: false,
        target_active: true,
    };
    assert!(may_confirm_password_reset(&ok));
    for refused in [
        ResetConfirmation {
            confirmer_is_security_administrator: false,
            ..ok
        },
        ResetConfirmation {
            confirmer_unit: UnitId(2),
            ..ok
        },
        ResetConfirmation {
            requester: PersonId(9),
            ..ok
        },
        ResetConfirmation {
            target: PersonId(9),
            ..ok
        },
        // Made an administrator after the reset was asked for: never by another one.
        ResetConfirmation {
            target_is_administrator: true,
            ..ok
        },
        // Disabled or left meanwhile.
        ResetConfirmation {
            target_active: false,
            ..ok
        },
    ] {
        assert!(!may_confirm_password_reset(&refused), "{refused:?}");
    }
}
