//! Determination: DOMAIN R1.4–R1.12 (authority, classifiers, proposals, change, extension,
//! declassification, escalation, derived works) and the R1.2 limits as applied on approval.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::access::{KnowledgeScope, ScopeGroup, ScopeHolder};
use baomi_core::determination::*;
use baomi_core::ids::{DepartmentId, MatterId, PersonId, UnitId};
use baomi_core::marks::{LegalBasis, Level, Mark, Term};
use baomi_core::{Describe, Lang};
use jiff::civil::{date, Date};
use std::collections::BTreeSet;

// ─── fixtures ───

const CENTRAL: UnitId = UnitId(1);
const PROV: UnitId = UnitId(2);
const CITY: UnitId = UnitId(3);
const FACTORY: UnitId = UnitId(4);
const INSTITUTE: UnitId = UnitId(5);
const SHOP: UnitId = UnitId(6);

const PROPOSER: PersonId = PersonId(10);
const CLS: PersonId = PersonId(20);
const HEAD: PersonId = PersonId(21);
const CLS2: PersonId = PersonId(22);
const PROV_HEAD: PersonId = PersonId(30);
const PROV_PROPOSER: PersonId = PersonId(31);
const READER_A: PersonId = PersonId(100);
const READER_B: PersonId = PersonId(101);
const READER_C: PersonId = PersonId(102);

/// 2024-03-01: the day of proposal and approval in most tests.
const D0: Date = date(2024, 3, 1);

fn areas(names: &[&str]) -> BTreeSet<SubjectArea> {
    names.iter().map(|n| SubjectArea::new(n)).collect()
}

fn defence() -> SubjectArea {
    SubjectArea::new("defence")
}

fn unit(id: UnitId, tier: UnitTier, superior: Option<UnitId>) -> Unit {
    Unit {
        id,
        name: format!("unit {id}"),
        tier,
        superior,
        authorisations: Vec::new(),
    }
}

/// CENTRAL ← PROV ← CITY ← {FACTORY, INSTITUTE, SHOP}.
/// FACTORY: authorised by PROV for Confidential in defence since 2020.
/// INSTITUTE: authorised by CITY (prefecture) for "Top Secret" in defence, withdrawn 2024-06-01.
fn units() -> UnitDirectory {
    let mut factory = unit(FACTORY, UnitTier::Other, Some(CITY));
    factory.authorisations.push(Authorisation {
        granted_by: PROV,
        highest_level: Level::Confidential,
        subject_areas: areas(&["defence"]),
        granted_on: date(2020, 1, 1),
        withdrawn_on: None,
    });
    let mut institute = unit(INSTITUTE, UnitTier::Other, Some(CITY));
    institute.authorisations.push(Authorisation {
        granted_by: CITY,
        highest_level: Level::TopSecret,
        subject_areas: areas(&["defence"]),
        granted_on: date(2020, 1, 1),
        withdrawn_on: Some(date(2024, 6, 1)),
    });
    UnitDirectory::new([
        unit(CENTRAL, UnitTier::Central, None),
        unit(PROV, UnitTier::Provincial, Some(CENTRAL)),
        unit(CITY, UnitTier::Prefecture, Some(PROV)),
        factory,
        institute,
        unit(SHOP, UnitTier::Other, Some(CITY)),
    ])
}

fn classifier(person: PersonId, unit: UnitId, highest: Level) -> Classifier {
    Classifier {
        person,
        unit,
        highest_level: highest,
        is_head: false,
        trained: true,
        certificate_expires: Some(date(2099, 12, 31)),
    }
}

/// The designated classifier of CITY (up to Confidential).
fn cls() -> Classifier {
    classifier(CLS, CITY, Level::Confidential)
}

fn head() -> Classifier {
    Classifier::head(HEAD, CITY, true, Some(date(2099, 12, 31)))
}

fn prov_head() -> Classifier {
    Classifier::head(PROV_HEAD, PROV, true, Some(date(2099, 12, 31)))
}

fn mark(text: &str) -> Mark {
    Mark::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn scope() -> KnowledgeScope {
    KnowledgeScope::of_persons([READER_A, READER_B])
}

fn proposal(m: &str, unit: UnitId) -> Proposal {
    Proposal {
        title: "新型雷达试验方案".to_owned(),
        mark: mark(m),
        scope: scope(),
        basis: "国防科技工业保密事项范围 第3条".to_owned(),
        subject_area: defence(),
        proposer: PROPOSER,
        unit,
        proposed_on: D0,
        period_override: None,
    }
}

fn filed(m: &str, unit: UnitId) -> ProposalRecord {
    ProposalRecord::file(proposal(m, unit)).unwrap()
}

/// A CITY matter approved by CLS on D0.
fn matter(m: &str) -> ClassifiedMatter {
    filed(m, CITY)
        .approve(&cls(), &units(), MatterId(1), D0)
        .unwrap()
}

/// A PROV Top Secret matter approved by its head on D0.
fn top_secret_matter(id: i64) -> ClassifiedMatter {
    let mut p = proposal("绝密★20年", PROV);
    p.proposer = PROV_PROPOSER;
    ProposalRecord::file(p)
        .unwrap()
        .approve(&prov_head(), &units(), MatterId(id), D0)
        .unwrap()
}

fn approve_err(record: &mut ProposalRecord, c: &Classifier, on: Date) -> Refusal {
    match record.approve(c, &units(), MatterId(1), on) {
        Ok(m) => panic!("approval should be refused, got {m:?}"),
        Err(e) => e,
    }
}

// ─── R1.4 units and their authority ───

#[test]
fn r1_4_central_and_provincial_organs_may_set_all_three_levels() {
    let u = units();
    for unit in [CENTRAL, PROV] {
        for level in Level::STATE_SECRETS {
            let source = u.unit_authority(unit, level, &defence(), D0).unwrap();
            assert!(matches!(source, AuthoritySource::Statutory { .. }));
        }
    }
}

#[test]
fn r1_4_prefecture_organ_may_set_confidential_and_secret_only() {
    let u = units();
    for level in [Level::Confidential, Level::Secret] {
        assert_eq!(
            u.unit_authority(CITY, level, &defence(), D0),
            Ok(AuthoritySource::Statutory {
                tier: UnitTier::Prefecture
            })
        );
    }
    let refusal = u
        .unit_authority(CITY, Level::TopSecret, &defence(), D0)
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::TierMayNotSet {
            unit: CITY,
            tier: UnitTier::Prefecture,
            level: Level::TopSecret,
            apply_to: Some(PROV),
        }
    );
    assert_eq!(refusal.rule().0, "R1.4");
    assert_eq!(refusal.apply_to(), Some(PROV));
}

#[test]
fn r1_4_authorised_unit_is_limited_to_its_grant_level_and_subject_areas() {
    let u = units();
    assert_eq!(
        u.unit_authority(FACTORY, Level::Confidential, &defence(), D0),
        Ok(AuthoritySource::Authorised {
            granted_by: PROV,
            granted_on: date(2020, 1, 1)
        })
    );
    // Above the granted level: the nearest superior with Top Secret authority is PROV.
    assert_eq!(
        u.unit_authority(FACTORY, Level::TopSecret, &defence(), D0),
        Err(Refusal::OutsideGrant {
            unit: FACTORY,
            level: Level::TopSecret,
            subject_area: defence(),
            apply_to: Some(PROV),
        })
    );
    // Outside the granted areas: CITY may set Secret in any area.
    let finance = SubjectArea::new("finance");
    assert_eq!(
        u.unit_authority(FACTORY, Level::Secret, &finance, D0),
        Err(Refusal::OutsideGrant {
            unit: FACTORY,
            level: Level::Secret,
            subject_area: finance,
            apply_to: Some(CITY),
        })
    );
}

#[test]
fn r1_4_grant_is_capped_by_what_the_granting_organ_may_set() {
    // CITY (prefecture) granted "Top Secret": only Confidential passes on.
    let u = units();
    let on = date(2024, 1, 1);
    assert!(u
        .unit_authority(INSTITUTE, Level::Confidential, &defence(), on)
        .is_ok());
    assert!(matches!(
        u.unit_authority(INSTITUTE, Level::TopSecret, &defence(), on),
        Err(Refusal::OutsideGrant {
            apply_to: Some(PROV),
            ..
        })
    ));
}

#[test]
fn r1_4_withdrawn_authorisation_ends_on_its_withdrawal_day() {
    let u = units();
    assert!(u
        .unit_authority(INSTITUTE, Level::Secret, &defence(), date(2024, 5, 31))
        .is_ok());
    assert_eq!(
        u.unit_authority(INSTITUTE, Level::Secret, &defence(), date(2024, 6, 1)),
        Err(Refusal::AuthorisationWithdrawn {
            unit: INSTITUTE,
            granted_by: CITY,
            withdrawn_on: date(2024, 6, 1),
            apply_to: Some(CITY),
        })
    );
}

#[test]
fn r1_4_authorisation_applies_only_from_its_grant_day() {
    let u = units();
    assert_eq!(
        u.unit_authority(FACTORY, Level::Secret, &defence(), date(2019, 12, 31)),
        Err(Refusal::TierMayNotSet {
            unit: FACTORY,
            tier: UnitTier::Other,
            level: Level::Secret,
            apply_to: Some(CITY),
        })
    );
}

#[test]
fn r1_4_unit_without_authority_applies_to_the_authority_above_it() {
    let u = units();
    assert_eq!(
        u.unit_authority(SHOP, Level::Secret, &defence(), D0)
            .unwrap_err()
            .apply_to(),
        Some(CITY)
    );
    // The shop's own classifier cannot approve; CITY's can, and the matter is CITY's.
    let shop_cls = classifier(PersonId(60), SHOP, Level::Secret);
    let mut record = filed("秘密★5年", SHOP);
    assert!(matches!(
        approve_err(&mut record, &shop_cls, D0),
        Refusal::TierMayNotSet {
            apply_to: Some(CITY),
            ..
        }
    ));
    // PROV is above too, but the unit applies to the nearest authority.
    assert_eq!(
        approve_err(&mut record, &prov_head(), D0),
        Refusal::ClassifierOfAnotherUnit {
            person: PROV_HEAD,
            classifier_unit: PROV,
            unit: SHOP
        }
    );
    let m = record.approve(&cls(), &u, MatterId(7), D0).unwrap();
    assert_eq!(m.unit(), CITY);
    assert_eq!(m.proposing_unit(), SHOP);
    assert_eq!(
        m.authority(),
        &AuthoritySource::Statutory {
            tier: UnitTier::Prefecture
        }
    );
}

#[test]
fn r1_4_approval_refuses_a_withdrawn_or_exceeded_authorisation() {
    let inst = classifier(PersonId(50), INSTITUTE, Level::Confidential);
    let mut record = filed("机密★10年", INSTITUTE);
    assert_eq!(
        approve_err(&mut record, &inst, date(2024, 6, 1)),
        Refusal::AuthorisationWithdrawn {
            unit: INSTITUTE,
            granted_by: CITY,
            withdrawn_on: date(2024, 6, 1),
            apply_to: Some(CITY),
        }
    );
    let mut record = filed("机密★10年", INSTITUTE);
    let m = record
        .approve(&inst, &units(), MatterId(3), date(2024, 5, 31))
        .unwrap();
    assert_eq!(
        m.authority(),
        &AuthoritySource::Authorised {
            granted_by: CITY,
            granted_on: date(2020, 1, 1)
        }
    );
    let factory = classifier(PersonId(51), FACTORY, Level::TopSecret);
    let mut record = filed("绝密★20年", FACTORY);
    assert!(matches!(
        approve_err(&mut record, &factory, D0),
        Refusal::OutsideGrant {
            unit: FACTORY,
            level: Level::TopSecret,
            ..
        }
    ));
}

#[test]
fn r1_4_unknown_unit_and_levels_below_secret_are_refused() {
    let u = units();
    assert_eq!(
        u.unit_authority(UnitId(99), Level::Secret, &defence(), D0),
        Err(Refusal::UnknownUnit { unit: UnitId(99) })
    );
    assert_eq!(
        u.unit_authority(CENTRAL, Level::Internal, &defence(), D0),
        Err(Refusal::NotAStateSecret {
            level: Level::Internal
        })
    );
}

#[test]
fn r1_4_superior_chain_stops_at_a_cycle() {
    let mut u = units();
    u.insert(unit(CENTRAL, UnitTier::Central, Some(SHOP)));
    assert_eq!(u.superiors(SHOP), vec![CITY, PROV, CENTRAL]);
    assert!(u.is_superior_of(CENTRAL, CITY));
    assert!(!u.is_superior_of(SHOP, SHOP));
}

// ─── R1.5 classifiers ───

#[test]
fn r1_5_classifier_without_training_is_refused() {
    let mut c = cls();
    c.trained = false;
    let mut record = filed("秘密★5年", CITY);
    assert_eq!(
        approve_err(&mut record, &c, D0),
        Refusal::NoTraining { person: CLS }
    );
    assert_eq!(Refusal::NoTraining { person: CLS }.rule().0, "R1.5");
}

#[test]
fn r1_5_classifier_without_certificate_is_refused() {
    let mut c = cls();
    c.certificate_expires = None;
    let mut record = filed("秘密★5年", CITY);
    assert_eq!(
        approve_err(&mut record, &c, D0),
        Refusal::NoCertificate { person: CLS }
    );
}

#[test]
fn r1_5_certificate_is_valid_on_its_expiry_day_and_expired_the_day_after() {
    let mut c = cls();
    c.certificate_expires = Some(date(2024, 3, 1));
    let mut record = filed("秘密★5年", CITY);
    assert_eq!(
        approve_err(&mut record, &c, date(2024, 3, 2)),
        Refusal::CertificateExpired {
            person: CLS,
            expired_on: date(2024, 3, 1)
        }
    );
    let mut fresh = filed("秘密★5年", CITY);
    assert!(fresh.approve(&c, &units(), MatterId(1), D0).is_ok());
}

#[test]
fn r1_5_classifier_above_their_level_is_refused() {
    let c = classifier(CLS2, CITY, Level::Secret);
    let mut record = filed("机密★10年", CITY);
    assert_eq!(
        approve_err(&mut record, &c, D0),
        Refusal::AboveClassifierLevel {
            person: CLS2,
            highest: Level::Secret,
            level: Level::Confidential
        }
    );
    assert!(record.approve(&cls(), &units(), MatterId(1), D0).is_ok());
}

#[test]
fn r1_5_head_is_limited_by_the_units_authority() {
    let mut record = filed("绝密★20年", CITY);
    assert!(matches!(
        approve_err(&mut record, &head(), D0),
        Refusal::TierMayNotSet {
            level: Level::TopSecret,
            ..
        }
    ));
    let mut record = filed("机密★20年", CITY);
    assert!(record.approve(&head(), &units(), MatterId(1), D0).is_ok());
}

#[test]
fn r1_5_classifier_of_another_unit_is_refused() {
    // CITY has authority itself, so PROV's classifier may not determine its matter.
    let mut record = filed("秘密★5年", CITY);
    assert_eq!(
        approve_err(&mut record, &prov_head(), D0),
        Refusal::ClassifierOfAnotherUnit {
            person: PROV_HEAD,
            classifier_unit: PROV,
            unit: CITY
        }
    );
}

// ─── R1.6 proposals and approval; R1.7 scope; R1.1 ───

#[test]
fn r1_6_approval_yields_a_classified_matter_with_who_when_why() {
    let mut record = filed("机密★10年", CITY);
    let m = record
        .approve(&cls(), &units(), MatterId(9), date(2024, 3, 5))
        .unwrap();
    assert_eq!(
        record.state(),
        &ProposalState::Approved {
            matter: MatterId(9),
            on: date(2024, 3, 5)
        }
    );
    assert_eq!(m.id(), MatterId(9));
    assert_eq!(m.classifier(), CLS);
    assert_eq!(m.proposer(), PROPOSER);
    assert_eq!(m.classified_on(), date(2024, 3, 5));
    assert_eq!(m.mark(), &mark("机密★10年"));
    assert_eq!(m.scope(), &scope());
    assert_eq!(m.basis(), "国防科技工业保密事项范围 第3条");
    let steps: Vec<_> = m
        .history()
        .iter()
        .map(|e| (e.by, e.on, e.action.clone(), e.reason.clone()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                PROPOSER,
                D0,
                Action::Proposed,
                "国防科技工业保密事项范围 第3条".to_owned()
            ),
            (
                CLS,
                date(2024, 3, 5),
                Action::Approved {
                    matter: MatterId(9)
                },
                "国防科技工业保密事项范围 第3条".to_owned()
            ),
        ]
    );
    // The period counts from the day of approval.
    assert_eq!(
        m.status_on(date(2024, 3, 5)),
        MatterStatus::InForce {
            declassifies_on: Some(date(2034, 3, 5))
        }
    );
}

#[test]
fn r1_6_proposer_never_approves_their_own_proposal() {
    let mut record = filed("秘密★5年", CITY);
    let proposer_as_classifier = classifier(PROPOSER, CITY, Level::Confidential);
    let refusal = approve_err(&mut record, &proposer_as_classifier, D0);
    assert_eq!(refusal, Refusal::SelfApproval { person: PROPOSER });
    assert_eq!(refusal.rule().0, "R1.6");
    assert_eq!(
        record.reject(&proposer_as_classifier, D0, "不需要"),
        Err(Refusal::SelfApproval { person: PROPOSER })
    );
}

#[test]
fn r1_6_refused_approval_is_recorded_and_leaves_the_proposal_pending() {
    let mut record = filed("机密★10年", CITY);
    let weak = classifier(CLS2, CITY, Level::Secret);
    let refusal = approve_err(&mut record, &weak, date(2024, 3, 2));
    assert_eq!(record.state(), &ProposalState::Pending);
    let last = record.history().last().unwrap();
    assert_eq!(last.by, CLS2);
    assert_eq!(last.on, date(2024, 3, 2));
    assert_eq!(last.action, Action::Refused { refusal });
    // Then a classifier with enough authority approves; the matter keeps the whole history.
    let m = record
        .approve(&cls(), &units(), MatterId(1), date(2024, 3, 3))
        .unwrap();
    assert_eq!(m.history().len(), 3);
}

#[test]
fn r1_6_a_decided_proposal_cannot_be_decided_again() {
    let mut record = filed("秘密★5年", CITY);
    record.approve(&cls(), &units(), MatterId(1), D0).unwrap();
    let before = record.clone();
    assert_eq!(
        approve_err(&mut record, &head(), D0),
        Refusal::AlreadyDecided
    );
    assert_eq!(
        record.reject(&head(), D0, "不属于国家秘密"),
        Err(Refusal::AlreadyDecided)
    );
    // Attempts on a decided proposal are not steps: nothing is recorded.
    assert_eq!(record, before);
    assert_eq!(record.history().len(), 2);
}

#[test]
fn r1_6_a_refused_attempt_does_not_move_the_date_anchor() {
    let mut record = filed("机密★10年", CITY);
    let weak = classifier(CLS2, CITY, Level::Secret);
    // A refused attempt dated 10 March is recorded ...
    let refusal = approve_err(&mut record, &weak, date(2024, 3, 10));
    assert!(matches!(refusal, Refusal::AboveClassifierLevel { .. }));
    assert_eq!(record.history().len(), 2);
    assert!(record.history()[1].action.is_refused_attempt());
    // ... but a valid approval dated 5 March (after the filing, before the attempt) is allowed.
    let m = record
        .approve(&cls(), &units(), MatterId(1), date(2024, 3, 5))
        .unwrap();
    assert_eq!(m.classified_on(), date(2024, 3, 5));
    assert_eq!(record.history().len(), 3);
    assert_eq!(
        record.state(),
        &ProposalState::Approved {
            matter: MatterId(1),
            on: date(2024, 3, 5)
        }
    );
    // Never before the filing, though: that is refused and not recorded.
    let mut record = filed("机密★10年", CITY);
    let _ = approve_err(&mut record, &weak, date(2024, 3, 10));
    let before = record.clone();
    assert_eq!(
        approve_err(&mut record, &cls(), date(2024, 2, 29)),
        Refusal::DateBeforePreviousStep {
            previous: D0,
            on: date(2024, 2, 29)
        }
    );
    assert_eq!(record, before);
}

#[test]
fn r1_6_refused_rejection_is_recorded_like_a_refused_approval() {
    let mut record = filed("机密★10年", CITY);
    let weak = classifier(CLS2, CITY, Level::Secret);
    let refusal = record
        .reject(&weak, date(2024, 3, 4), "不属于国家秘密")
        .unwrap_err();
    assert!(matches!(refusal, Refusal::AboveClassifierLevel { .. }));
    assert_eq!(record.state(), &ProposalState::Pending);
    let last = record.history().last().unwrap();
    assert_eq!(
        (last.by, last.on, &last.action),
        (
            CLS2,
            date(2024, 3, 4),
            &Action::RejectionRefused { refusal }
        )
    );
    // A rejection without a reason is refused and recorded too.
    assert_eq!(
        record.reject(&cls(), date(2024, 3, 4), " "),
        Err(Refusal::EmptyReason)
    );
    assert_eq!(record.history().len(), 3);
    // The refused attempts do not move the date anchor for a rejection either.
    record
        .reject(&cls(), date(2024, 3, 2), "已公开信息，不属于国家秘密")
        .unwrap();
    assert_eq!(
        record.state(),
        &ProposalState::Rejected {
            on: date(2024, 3, 2)
        }
    );
    assert_eq!(record.history().len(), 4);
    // Once rejected, further attempts are not recorded.
    let before = record.clone();
    assert_eq!(
        record.reject(&cls(), date(2024, 3, 5), "再次"),
        Err(Refusal::AlreadyDecided)
    );
    assert_eq!(record, before);
}

#[test]
fn r1_6_approval_dated_before_the_proposal_is_refused_and_not_recorded() {
    let mut record = filed("秘密★5年", CITY);
    assert_eq!(
        approve_err(&mut record, &cls(), date(2024, 2, 29)),
        Refusal::DateBeforePreviousStep {
            previous: D0,
            on: date(2024, 2, 29)
        }
    );
    assert_eq!(record.history().len(), 1);
}

#[test]
fn r1_6_blank_title_or_basis_is_refused_at_filing() {
    let mut p = proposal("秘密★5年", CITY);
    p.basis = "  ".to_owned();
    assert_eq!(ProposalRecord::file(p), Err(Refusal::EmptyBasis));
    let mut p = proposal("秘密★5年", CITY);
    p.title = String::new();
    assert_eq!(ProposalRecord::file(p), Err(Refusal::EmptyTitle));
}

#[test]
fn r1_6_classifier_rejects_on_the_merits_with_a_reason() {
    let mut record = filed("秘密★5年", CITY);
    assert_eq!(record.reject(&cls(), D0, " "), Err(Refusal::EmptyReason));
    assert_eq!(record.state(), &ProposalState::Pending);
    record
        .reject(&cls(), D0, "已公开信息，不属于国家秘密")
        .unwrap();
    assert_eq!(record.state(), &ProposalState::Rejected { on: D0 });
    let last = record.history().last().unwrap();
    assert_eq!(
        (last.by, &last.action, last.reason.as_str()),
        (CLS, &Action::Rejected, "已公开信息，不属于国家秘密")
    );
}

#[test]
fn r1_7_knowledge_scope_must_name_someone() {
    let mut p = proposal("秘密★5年", CITY);
    p.scope = KnowledgeScope::default();
    assert_eq!(ProposalRecord::file(p.clone()), Err(Refusal::EmptyScope));
    // A group without named persons names nobody either (rank alone grants nothing).
    p.scope.groups.push(ScopeGroup {
        holder: ScopeHolder::Unit(CITY),
        persons: BTreeSet::new(),
    });
    let refusal = ProposalRecord::file(p).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::ScopeGroupWithoutPersons {
            holder: ScopeHolder::Unit(CITY)
        }
    );
    assert_eq!(refusal.rule().0, "R1.7");
}

#[test]
fn r1_7_a_unit_or_department_must_be_limited_to_named_persons() {
    // Named persons plus a department nobody in it is named: refused, at filing, at opening an
    // unclear matter and on a change.
    let mut p = proposal("秘密★5年", CITY);
    p.scope.groups.push(ScopeGroup {
        holder: ScopeHolder::Department(DepartmentId(7)),
        persons: BTreeSet::new(),
    });
    let expected = Refusal::ScopeGroupWithoutPersons {
        holder: ScopeHolder::Department(DepartmentId(7)),
    };
    assert_eq!(ProposalRecord::file(p.clone()), Err(expected.clone()));
    assert_eq!(
        UnclearMatter::open(p.clone(), PersonId(70), D0, "范围未规定"),
        Err(expected.clone())
    );
    assert!(expected.describe(Lang::Zh).contains("部门 7"));
    assert!(expected.describe(Lang::En).contains("department 7"));
    let mut m = matter("秘密★5年");
    let before = m.clone();
    assert_eq!(
        m.change(
            &cls(),
            &units(),
            MatterChange {
                scope: Some(p.scope.clone()),
                ..MatterChange::default()
            },
            date(2024, 6, 1),
            "扩大知悉范围"
        ),
        Err(expected)
    );
    assert_eq!(m, before);
    // Limited to named persons within the department: accepted.
    p.scope.groups[0].persons.insert(READER_C);
    assert!(ProposalRecord::file(p.clone()).is_ok());
    assert!(m
        .change(
            &cls(),
            &units(),
            MatterChange {
                scope: Some(p.scope),
                ..MatterChange::default()
            },
            date(2024, 6, 1),
            "扩大知悉范围"
        )
        .is_ok());
}

#[test]
fn r1_1_work_secrets_are_not_determined_here() {
    let mut p = proposal("秘密★5年", CITY);
    p.mark = Mark::internal();
    assert_eq!(
        ProposalRecord::file(p),
        Err(Refusal::NotAStateSecret {
            level: Level::Internal
        })
    );
}

// ─── R1.2 periods on approval ───

#[test]
fn r1_2_period_beyond_the_longest_needs_a_legal_basis_carried_by_the_proposal() {
    let basis = LegalBasis::new("《某法》第十条").unwrap();
    let long = Mark::new_with_override(Level::Secret, Term::Years { years: 15 }, &basis).unwrap();
    let mut p = proposal("秘密★5年", CITY);
    p.mark = long;
    let mut record = ProposalRecord::file(p.clone()).unwrap();
    let refusal = approve_err(&mut record, &cls(), D0);
    assert_eq!(
        refusal,
        Refusal::PeriodTooLong {
            level: Level::Secret,
            longest_years: 10
        }
    );
    assert_eq!(refusal.rule().0, "R1.2");

    p.period_override = Some(basis.clone());
    let m = ProposalRecord::file(p)
        .unwrap()
        .approve(&cls(), &units(), MatterId(1), D0)
        .unwrap();
    assert_eq!(m.period_override(), Some(&basis));
    assert_eq!(
        m.status_on(D0),
        MatterStatus::InForce {
            declassifies_on: Some(date(2039, 3, 1))
        }
    );
}

#[test]
fn r1_2_date_period_may_end_on_the_last_allowed_day_and_no_later() {
    let mut ok = filed("秘密★2034年3月1日", CITY);
    assert!(ok.approve(&cls(), &units(), MatterId(1), D0).is_ok());
    let mut late = filed("秘密★2034年3月2日", CITY);
    assert_eq!(
        approve_err(&mut late, &cls(), D0),
        Refusal::PeriodTooLong {
            level: Level::Secret,
            longest_years: 10
        }
    );
}

#[test]
fn r1_3_date_period_ending_on_the_day_of_approval_is_refused() {
    let mut record = filed("秘密★2024年3月10日", CITY);
    assert_eq!(
        approve_err(&mut record, &cls(), date(2024, 3, 10)),
        Refusal::PeriodEndsTooEarly {
            ends: date(2024, 3, 10),
            classified_on: date(2024, 3, 10)
        }
    );
}

// ─── R1.8 change ───

#[test]
fn r1_8_original_classifier_changes_level_and_period_and_carriers_are_remarked() {
    let mut m = matter("机密★10年");
    let new_scope = KnowledgeScope::of_persons([READER_B, READER_C]);
    let effect = m
        .change(
            &cls(),
            &units(),
            MatterChange {
                level: Some(Level::Secret),
                term: Some(Term::Years { years: 5 }),
                scope: Some(new_scope.clone()),
                period_override: None,
            },
            date(2025, 1, 10),
            "保密事项范围调整",
        )
        .unwrap();
    assert_eq!(effect.matter, MatterId(1));
    assert_eq!(
        effect.notify_persons,
        BTreeSet::from([READER_A, READER_B, READER_C])
    );
    assert_eq!(
        effect.carriers,
        CarrierAction::Remark {
            from: mark("机密★10年"),
            to: mark("秘密★5年")
        }
    );
    assert_eq!(m.mark(), &mark("秘密★5年"));
    assert_eq!(m.scope(), &new_scope);
    let last = m.history().last().unwrap();
    assert_eq!((last.by, last.on), (CLS, date(2025, 1, 10)));
    assert_eq!(
        last.action,
        Action::Changed {
            from: mark("机密★10年"),
            to: mark("秘密★5年"),
            scope_changed: true
        }
    );
    // The period still counts from the date of classification.
    assert_eq!(
        m.status_on(date(2029, 3, 1)),
        MatterStatus::Declassified {
            on: date(2029, 3, 1),
            how: DeclassifiedBy::PeriodEnded
        }
    );
}

#[test]
fn r1_8_scope_change_tells_old_and_new_holders_without_remarking() {
    let mut m = matter("机密★10年");
    let mut narrowed = KnowledgeScope::of_persons([READER_A]);
    narrowed.groups.push(ScopeGroup {
        holder: ScopeHolder::Department(DepartmentId(7)),
        persons: BTreeSet::from([READER_C]),
    });
    let effect = m
        .change(
            &cls(),
            &units(),
            MatterChange {
                scope: Some(narrowed),
                ..MatterChange::default()
            },
            date(2025, 1, 10),
            "工作需要调整知悉范围",
        )
        .unwrap();
    assert_eq!(
        effect.notify_persons,
        BTreeSet::from([READER_A, READER_B, READER_C])
    );
    assert_eq!(
        effect.notify_holders,
        BTreeSet::from([ScopeHolder::Department(DepartmentId(7))])
    );
    assert_eq!(effect.carriers, CarrierAction::Unchanged);
    assert_eq!(m.mark(), &mark("机密★10年"));
}

#[test]
fn r1_8_unit_head_and_superior_unit_classifier_may_change() {
    let change = || MatterChange {
        term: Some(Term::Years { years: 8 }),
        ..MatterChange::default()
    };
    let mut m = matter("机密★10年");
    m.change(&head(), &units(), change(), date(2025, 1, 1), "复核")
        .unwrap();
    let mut m = matter("机密★10年");
    m.change(
        &prov_head(),
        &units(),
        change(),
        date(2025, 1, 1),
        "上级复核",
    )
    .unwrap();
    assert_eq!(m.mark(), &mark("机密★8年"));
}

#[test]
fn r1_8_other_classifiers_may_not_change() {
    let mut m = matter("机密★10年");
    let before = m.clone();
    let change = MatterChange {
        level: Some(Level::Secret),
        ..MatterChange::default()
    };
    // Another classifier of the same unit (not the original one, not the head).
    let other = classifier(CLS2, CITY, Level::TopSecret);
    assert_eq!(
        m.change(&other, &units(), change.clone(), date(2025, 1, 1), "降密"),
        Err(Refusal::NotOriginalOrSuperior { person: CLS2 })
    );
    // A classifier of a subordinate unit.
    let below = classifier(PersonId(40), FACTORY, Level::Confidential);
    let refusal = m
        .change(&below, &units(), change, date(2025, 1, 1), "降密")
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::NotOriginalOrSuperior {
            person: PersonId(40)
        }
    );
    assert_eq!(refusal.rule().0, "R1.8");
    assert_eq!(m, before);
}

#[test]
fn r1_8_change_needs_authority_for_the_higher_of_old_and_new_level() {
    let mut m = matter("秘密★5年");
    let raise = MatterChange {
        level: Some(Level::TopSecret),
        ..MatterChange::default()
    };
    // The head's person may set anything, but CITY (prefecture) may not set Top Secret.
    assert!(matches!(
        m.change(&head(), &units(), raise.clone(), date(2025, 1, 1), "升密"),
        Err(Refusal::TierMayNotSet { .. })
    ));
    // A superior classifier whose own limit is Secret may not lower a Confidential matter.
    let mut m = matter("机密★10年");
    let weak_superior = classifier(PersonId(32), PROV, Level::Secret);
    assert_eq!(
        m.change(
            &weak_superior,
            &units(),
            MatterChange {
                level: Some(Level::Secret),
                ..MatterChange::default()
            },
            date(2025, 1, 1),
            "降密"
        ),
        Err(Refusal::AboveClassifierLevel {
            person: PersonId(32),
            highest: Level::Secret,
            level: Level::Confidential
        })
    );
    m.change(&prov_head(), &units(), raise, date(2025, 1, 1), "升密")
        .unwrap();
    assert_eq!(m.mark().level(), Level::TopSecret);
}

#[test]
fn r1_8_invalid_changes_are_refused_and_change_nothing() {
    let mut m = matter("机密★10年");
    let before = m.clone();
    let on = date(2030, 1, 1);
    let with =
        |c: MatterChange, m: &mut ClassifiedMatter| m.change(&cls(), &units(), c, on, "调整");
    assert_eq!(
        with(MatterChange::default(), &mut m),
        Err(Refusal::NothingChanged)
    );
    assert_eq!(
        m.change(
            &cls(),
            &units(),
            MatterChange {
                level: Some(Level::Secret),
                ..MatterChange::default()
            },
            on,
            ""
        ),
        Err(Refusal::EmptyReason)
    );
    // Lowering to Secret while keeping 10 years is fine; to Secret with 15 years is not.
    assert_eq!(
        with(
            MatterChange {
                level: Some(Level::Secret),
                term: Some(Term::Years { years: 15 }),
                ..MatterChange::default()
            },
            &mut m
        ),
        Err(Refusal::PeriodTooLong {
            level: Level::Secret,
            longest_years: 10
        })
    );
    // A period that would already have ended: declassify instead.
    assert_eq!(
        with(
            MatterChange {
                term: Some(Term::Years { years: 5 }),
                ..MatterChange::default()
            },
            &mut m
        ),
        Err(Refusal::ChangeEndsPeriod {
            ends: date(2029, 3, 1),
            on
        })
    );
    assert_eq!(
        with(
            MatterChange {
                level: Some(Level::Unclassified),
                ..MatterChange::default()
            },
            &mut m
        ),
        Err(Refusal::NotAStateSecret {
            level: Level::Unclassified
        })
    );
    assert_eq!(
        with(
            MatterChange {
                scope: Some(KnowledgeScope::default()),
                ..MatterChange::default()
            },
            &mut m
        ),
        Err(Refusal::EmptyScope)
    );
    assert_eq!(m, before);
}

// ─── R1.9 declassification, extension, review ───

#[test]
fn r1_9_matter_declassifies_by_itself_on_the_day_its_period_ends() {
    let m = matter("秘密★10年");
    assert_eq!(
        m.status_on(date(2024, 2, 29)),
        MatterStatus::NotYetClassified
    );
    assert_eq!(
        m.status_on(date(2034, 2, 28)),
        MatterStatus::InForce {
            declassifies_on: Some(date(2034, 3, 1))
        }
    );
    for day in [date(2034, 3, 1), date(2040, 1, 1)] {
        assert_eq!(
            m.status_on(day),
            MatterStatus::Declassified {
                on: date(2034, 3, 1),
                how: DeclassifiedBy::PeriodEnded
            }
        );
    }
}

#[test]
fn r1_9_extension_the_day_before_the_end_is_allowed() {
    let mut m = matter("机密★10年");
    let effect = m
        .extend(
            &cls(),
            &units(),
            Term::Years { years: 15 },
            None,
            date(2034, 2, 28),
            "项目延续，仍需保密",
        )
        .unwrap();
    assert_eq!(
        effect.carriers,
        CarrierAction::Remark {
            from: mark("机密★10年"),
            to: mark("机密★15年")
        }
    );
    assert_eq!(effect.notify_persons, BTreeSet::from([READER_A, READER_B]));
    assert_eq!(
        m.status_on(date(2034, 3, 1)),
        MatterStatus::InForce {
            declassifies_on: Some(date(2039, 3, 1))
        }
    );
    assert!(matches!(
        m.history().last().unwrap().action,
        Action::Extended { .. }
    ));
}

#[test]
fn r1_9_extension_on_or_after_the_end_day_is_refused() {
    let mut m = matter("机密★10年");
    let before = m.clone();
    for on in [date(2034, 3, 1), date(2035, 1, 1)] {
        let refusal = m
            .extend(
                &cls(),
                &units(),
                Term::Years { years: 15 },
                None,
                on,
                "延长",
            )
            .unwrap_err();
        assert_eq!(
            refusal,
            Refusal::ExtensionTooLate {
                ends: date(2034, 3, 1),
                on
            }
        );
        assert_eq!(refusal.rule().0, "R1.9");
    }
    assert_eq!(m, before);
}

#[test]
fn r1_9_extended_total_period_is_bounded_by_r1_2_unless_overridden() {
    let mut m = matter("机密★10年");
    let on = date(2030, 1, 1);
    assert_eq!(
        m.extend(
            &cls(),
            &units(),
            Term::Years { years: 25 },
            None,
            on,
            "延长"
        ),
        Err(Refusal::PeriodTooLong {
            level: Level::Confidential,
            longest_years: 20
        })
    );
    let basis = LegalBasis::new("《某条例》第五条").unwrap();
    m.extend(
        &cls(),
        &units(),
        Term::Years { years: 25 },
        Some(basis.clone()),
        on,
        "依法延长",
    )
    .unwrap();
    assert_eq!(m.period_override(), Some(&basis));
    assert_eq!(
        m.status_on(on),
        MatterStatus::InForce {
            declassifies_on: Some(date(2049, 3, 1))
        }
    );
}

#[test]
fn r1_9_extension_must_end_later() {
    let mut m = matter("机密★10年");
    assert_eq!(
        m.extend(
            &cls(),
            &units(),
            Term::Until {
                date: date(2034, 3, 1)
            },
            None,
            date(2030, 1, 1),
            "延长"
        ),
        Err(Refusal::ExtensionNotLonger {
            current_end: date(2034, 3, 1),
            new_end: date(2034, 3, 1)
        })
    );
}

#[test]
fn r1_9_condition_periods_are_not_extended() {
    let mut m = matter("机密★工程竣工后");
    assert_eq!(
        m.extend(
            &cls(),
            &units(),
            Term::Years { years: 20 },
            None,
            date(2025, 1, 1),
            "延长"
        ),
        Err(Refusal::ConditionTermNotExtendable)
    );
    let mut m = matter("机密★10年");
    assert_eq!(
        m.extend(
            &cls(),
            &units(),
            Term::Condition {
                text: "工程竣工后".to_owned()
            },
            None,
            date(2025, 1, 1),
            "延长"
        ),
        Err(Refusal::ConditionTermNotExtendable)
    );
}

#[test]
fn r1_9_extension_needs_the_same_authority_as_a_change() {
    let mut m = matter("机密★10年");
    let other = classifier(CLS2, CITY, Level::Confidential);
    assert_eq!(
        m.extend(
            &other,
            &units(),
            Term::Years { years: 15 },
            None,
            date(2030, 1, 1),
            "延长"
        ),
        Err(Refusal::NotOriginalOrSuperior { person: CLS2 })
    );
}

#[test]
fn r1_9_early_declassification_after_review() {
    let mut m = matter("机密★10年");
    let effect = m
        .declassify_early(
            &cls(),
            &units(),
            EarlyGround::CatalogueChanged,
            date(2026, 5, 1),
            "保密事项范围修订后不再属于国家秘密",
        )
        .unwrap();
    assert_eq!(
        effect.carriers,
        CarrierAction::MarkDeclassified {
            on: date(2026, 5, 1)
        }
    );
    assert_eq!(
        m.status_on(date(2026, 4, 30)),
        MatterStatus::InForce {
            declassifies_on: Some(date(2034, 3, 1))
        }
    );
    let declassified = MatterStatus::Declassified {
        on: date(2026, 5, 1),
        how: DeclassifiedBy::EarlyReview {
            ground: EarlyGround::CatalogueChanged,
        },
    };
    assert_eq!(m.status_on(date(2026, 5, 1)), declassified);
    assert_eq!(m.status_on(date(2040, 1, 1)), declassified);
    // Nothing more can be done to a declassified matter.
    assert_eq!(
        m.extend(
            &cls(),
            &units(),
            Term::Years { years: 15 },
            None,
            date(2027, 1, 1),
            "延长"
        ),
        Err(Refusal::NotInForce {
            on: date(2027, 1, 1),
            declassified_on: date(2026, 5, 1)
        })
    );
    assert_eq!(
        m.declassify_early(
            &cls(),
            &units(),
            EarlyGround::NoLongerHarmful,
            date(2027, 1, 1),
            "再次解密"
        ),
        Err(Refusal::NotInForce {
            on: date(2027, 1, 1),
            declassified_on: date(2026, 5, 1)
        })
    );
}

#[test]
fn r1_9_early_declassification_needs_a_reason_and_authority() {
    let mut m = matter("机密★10年");
    assert_eq!(
        m.declassify_early(
            &cls(),
            &units(),
            EarlyGround::NoLongerHarmful,
            date(2026, 1, 1),
            ""
        ),
        Err(Refusal::EmptyReason)
    );
    let stranger = classifier(PersonId(50), SHOP, Level::TopSecret);
    assert_eq!(
        m.declassify_early(
            &stranger,
            &units(),
            EarlyGround::NoLongerHarmful,
            date(2026, 1, 1),
            "公开无害"
        ),
        Err(Refusal::NotOriginalOrSuperior {
            person: PersonId(50)
        })
    );
    assert!(matches!(
        m.status_on(date(2026, 1, 1)),
        MatterStatus::InForce { .. }
    ));
}

#[test]
fn r1_9_condition_met_declassifies_only_condition_periods() {
    let mut dated = matter("机密★10年");
    assert_eq!(
        dated.record_condition_met(&cls(), &units(), date(2026, 1, 1), "工程竣工"),
        Err(Refusal::NotAConditionTerm)
    );
    let mut m = matter("机密★工程竣工后");
    assert_eq!(
        m.status_on(date(2060, 1, 1)),
        MatterStatus::InForce {
            declassifies_on: None
        }
    );
    let effect = m
        .record_condition_met(
            &cls(),
            &units(),
            date(2026, 1, 1),
            "工程已于2025年12月竣工验收",
        )
        .unwrap();
    assert_eq!(
        effect.carriers,
        CarrierAction::MarkDeclassified {
            on: date(2026, 1, 1)
        }
    );
    assert_eq!(
        m.status_on(date(2026, 1, 1)),
        MatterStatus::Declassified {
            on: date(2026, 1, 1),
            how: DeclassifiedBy::ConditionMet
        }
    );
}

#[test]
fn r1_9_yearly_review_is_due_one_year_after_classification_or_last_review() {
    let mut m = matter("机密★10年");
    assert_eq!(m.next_review_due(D0), Some(date(2025, 3, 1)));
    let next = m
        .record_review(&cls(), &units(), date(2025, 2, 20), "仍需保密")
        .unwrap();
    assert_eq!(next, date(2026, 2, 20));
    assert_eq!(m.last_reviewed_on(), Some(date(2025, 2, 20)));
    assert_eq!(
        m.next_review_due(date(2025, 2, 20)),
        Some(date(2026, 2, 20))
    );
    assert_eq!(m.next_review_due(date(2034, 3, 1)), None);
    assert_eq!(m.history().last().unwrap().action, Action::Reviewed);
}

#[test]
fn r1_9_steps_dated_before_the_last_one_are_refused() {
    let mut m = matter("机密★10年");
    m.record_review(&cls(), &units(), date(2025, 2, 20), "仍需保密")
        .unwrap();
    assert_eq!(
        m.record_review(&cls(), &units(), date(2025, 2, 19), "仍需保密"),
        Err(Refusal::DateBeforePreviousStep {
            previous: date(2025, 2, 20),
            on: date(2025, 2, 19)
        })
    );
}

// ─── R1.10 escalation ───

#[test]
fn r1_10_top_secret_goes_to_the_national_department_others_to_the_provincial() {
    assert_eq!(
        escalation_target(Level::TopSecret),
        ConfidentialityDepartment::National
    );
    for level in [Level::Confidential, Level::Secret] {
        assert_eq!(
            escalation_target(level),
            ConfidentialityDepartment::Provincial
        );
    }
}

#[test]
fn r1_10_unclear_matter_is_protected_at_once_and_confirmed_upward() {
    let opened = date(2024, 3, 2);
    let mut u = UnclearMatter::open(
        proposal("绝密★20年", CITY),
        PersonId(70),
        opened,
        "保密事项范围未规定",
    )
    .unwrap();
    assert_eq!(u.department(), ConfidentialityDepartment::National);
    assert_eq!(u.stage(), Stage::Protected);
    assert_eq!(u.protected_level(), Some(Level::TopSecret));
    assert_eq!(u.deadline(), Some(date(2024, 3, 12)));
    assert!(!u.is_overdue(date(2024, 3, 12)));
    assert!(u.is_overdue(date(2024, 3, 13)));

    u.submit(
        PersonId(70),
        date(2024, 3, 10),
        "报国家保密行政管理部门确定",
    )
    .unwrap();
    assert_eq!(u.stage(), Stage::WithDepartment);
    assert_eq!(u.deadline(), Some(date(2024, 4, 9)));
    assert_eq!(u.protected_level(), Some(Level::TopSecret));

    u.decide(
        PersonId(71),
        Level::Confidential,
        date(2024, 4, 1),
        "确定为机密级",
    )
    .unwrap();
    assert_eq!(u.stage(), Stage::Decided);
    assert_eq!(u.final_level(), Some(Level::Confidential));
    assert_eq!(u.protected_level(), Some(Level::Confidential));
    assert_eq!(u.deadline(), None);
    assert_eq!(u.history().len(), 3);
    assert_eq!(
        u.history().last().unwrap().action,
        Action::Decided {
            level: Level::Confidential
        }
    );
}

#[test]
fn r1_10_provincial_department_may_not_confirm_top_secret() {
    let mut u =
        UnclearMatter::open(proposal("机密★10年", CITY), PersonId(70), D0, "范围未规定").unwrap();
    assert_eq!(u.department(), ConfidentialityDepartment::Provincial);
    u.submit(PersonId(70), D0, "报省级部门").unwrap();
    let refusal = u
        .decide(
            PersonId(71),
            Level::TopSecret,
            date(2024, 3, 20),
            "应为绝密",
        )
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::BeyondDepartmentCompetence {
            department: ConfidentialityDepartment::Provincial,
            level: Level::TopSecret
        }
    );
    assert_eq!(refusal.rule().0, "R1.10");
    assert!(refusal.describe(Lang::Zh).contains("转报"));
    assert!(refusal.describe(Lang::En).contains("forward"));
    u.decide(
        PersonId(71),
        Level::Unclassified,
        date(2024, 3, 20),
        "不属于国家秘密",
    )
    .unwrap();
    assert_eq!(u.protected_level(), None);
}

#[test]
fn r1_10_provincial_department_forwards_a_possible_top_secret_unclear_matter() {
    let mut u =
        UnclearMatter::open(proposal("机密★10年", CITY), PersonId(70), D0, "范围未规定").unwrap();
    assert_eq!(
        u.forward(PersonId(71), D0, "可能为绝密"),
        Err(Refusal::IllegalTransition {
            stage: Stage::Protected,
            step: Step::Forward
        })
    );
    u.submit(PersonId(70), D0, "报省级部门").unwrap();
    assert_eq!(u.deadline(), Some(date(2024, 3, 31)));
    assert_eq!(u.protected_level(), Some(Level::Confidential));
    assert_eq!(
        u.forward(PersonId(71), date(2024, 3, 20), " "),
        Err(Refusal::EmptyReason)
    );
    u.forward(
        PersonId(71),
        date(2024, 3, 20),
        "可能属于绝密级，转报国家局",
    )
    .unwrap();
    assert_eq!(u.department(), ConfidentialityDepartment::National);
    assert_eq!(u.stage(), Stage::WithDepartment);
    // The national department's deadline counts from the day of forwarding.
    assert_eq!(u.deadline(), Some(date(2024, 4, 19)));
    // While it is with the national department it is protected as Top Secret.
    assert_eq!(u.protected_level(), Some(Level::TopSecret));
    assert_eq!(
        u.history().last().unwrap().action,
        Action::Forwarded {
            from: ConfidentialityDepartment::Provincial,
            to: ConfidentialityDepartment::National
        }
    );
    // The national department is the top: nowhere further to forward.
    let refusal = u
        .forward(PersonId(72), date(2024, 3, 21), "再转")
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::NoHigherDepartment {
            department: ConfidentialityDepartment::National
        }
    );
    assert_eq!(refusal.rule().0, "R1.10");
    u.decide(
        PersonId(72),
        Level::TopSecret,
        date(2024, 4, 10),
        "确定为绝密级",
    )
    .unwrap();
    assert_eq!(u.final_level(), Some(Level::TopSecret));
    assert_eq!(u.protected_level(), Some(Level::TopSecret));
    assert_eq!(u.history().len(), 4);
}

#[test]
fn r1_10_provincial_department_forwards_a_possible_top_secret_dispute() {
    let m = matter("机密★10年");
    let disputant = PersonId(80);
    let mut d = Dispute::raise(&m, disputant, Level::Secret, date(2025, 1, 1), "危害较低").unwrap();
    assert_eq!(
        d.forward(PersonId(90), date(2025, 1, 2), "转报"),
        Err(Refusal::IllegalTransition {
            stage: Stage::WithClassifier,
            step: Step::Forward
        })
    );
    d.answer(CLS, Level::Confidential, date(2025, 1, 10), "维持")
        .unwrap();
    d.escalate(disputant, date(2025, 1, 12), "不服").unwrap();
    assert_eq!(d.department(), Some(ConfidentialityDepartment::Provincial));
    assert_eq!(
        d.decide(
            PersonId(90),
            Level::TopSecret,
            date(2025, 1, 20),
            "应为绝密"
        ),
        Err(Refusal::BeyondDepartmentCompetence {
            department: ConfidentialityDepartment::Provincial,
            level: Level::TopSecret
        })
    );
    d.forward(PersonId(90), date(2025, 1, 20), "可能属于绝密级")
        .unwrap();
    assert_eq!(d.department(), Some(ConfidentialityDepartment::National));
    assert_eq!(d.stage(), Stage::WithDepartment);
    assert_eq!(d.deadline(), Some(date(2025, 2, 19)));
    assert_eq!(
        d.forward(PersonId(91), date(2025, 1, 21), "再转"),
        Err(Refusal::NoHigherDepartment {
            department: ConfidentialityDepartment::National
        })
    );
    d.decide(
        PersonId(91),
        Level::TopSecret,
        date(2025, 2, 1),
        "确定为绝密级",
    )
    .unwrap();
    assert_eq!(d.final_level(), Some(Level::TopSecret));
    assert_eq!(d.history().len(), 5);
}

#[test]
fn r1_10_unclear_matter_illegal_transitions_are_refused() {
    let mut u =
        UnclearMatter::open(proposal("秘密★5年", CITY), PersonId(70), D0, "范围未规定").unwrap();
    assert_eq!(
        u.decide(PersonId(71), Level::Secret, D0, "确定"),
        Err(Refusal::IllegalTransition {
            stage: Stage::Protected,
            step: Step::Decide
        })
    );
    assert_eq!(
        u.submit(PersonId(70), date(2024, 2, 1), "报送"),
        Err(Refusal::DateBeforePreviousStep {
            previous: D0,
            on: date(2024, 2, 1)
        })
    );
    u.submit(PersonId(70), D0, "报送").unwrap();
    assert_eq!(
        u.submit(PersonId(70), D0, "再次报送"),
        Err(Refusal::IllegalTransition {
            stage: Stage::WithDepartment,
            step: Step::Submit
        })
    );
    u.decide(PersonId(71), Level::Secret, D0, "确定").unwrap();
    assert_eq!(
        u.decide(PersonId(71), Level::Confidential, D0, "改定"),
        Err(Refusal::IllegalTransition {
            stage: Stage::Decided,
            step: Step::Decide
        })
    );
    assert_eq!(u.final_level(), Some(Level::Secret));
}

#[test]
fn r1_10_dispute_goes_to_the_original_classifier_first_then_up() {
    let m = matter("机密★10年");
    let disputant = PersonId(80);
    let raised = date(2025, 1, 1);
    let mut d = Dispute::raise(&m, disputant, Level::Secret, raised, "泄露后危害程度较低").unwrap();
    assert_eq!(d.stage(), Stage::WithClassifier);
    assert_eq!(d.deadline(), Some(date(2025, 1, 31)));
    assert_eq!(
        d.escalate(disputant, date(2025, 1, 5), "不服"),
        Err(Refusal::ClassifierDeadlineNotPassed {
            deadline: date(2025, 1, 31)
        })
    );
    assert_eq!(
        d.answer(HEAD, Level::Confidential, date(2025, 1, 5), "维持"),
        Err(Refusal::NotTheOriginalClassifier { person: HEAD })
    );
    d.answer(CLS, Level::Confidential, date(2025, 1, 10), "维持原定密级")
        .unwrap();
    assert_eq!(d.stage(), Stage::Answered);
    assert_eq!(
        d.escalate(PersonId(81), date(2025, 1, 12), "不服"),
        Err(Refusal::NotTheDisputant {
            person: PersonId(81)
        })
    );
    d.escalate(disputant, date(2025, 1, 12), "不服，提请确定")
        .unwrap();
    assert_eq!(d.department(), Some(ConfidentialityDepartment::Provincial));
    assert_eq!(d.deadline(), Some(date(2025, 2, 11)));
    assert_eq!(
        d.accept(disputant, date(2025, 1, 13), "接受"),
        Err(Refusal::IllegalTransition {
            stage: Stage::WithDepartment,
            step: Step::Accept
        })
    );
    d.decide(
        PersonId(90),
        Level::Secret,
        date(2025, 2, 1),
        "确定为秘密级",
    )
    .unwrap();
    assert_eq!(d.final_level(), Some(Level::Secret));
    assert_eq!(d.stage(), Stage::Decided);
    assert_eq!(d.history().len(), 4);
}

#[test]
fn r1_10_dispute_may_skip_a_silent_classifier_after_the_deadline() {
    let m = matter("机密★10年");
    let disputant = PersonId(80);
    let mut d = Dispute::raise(
        &m,
        disputant,
        Level::TopSecret,
        date(2025, 1, 1),
        "危害更大",
    )
    .unwrap();
    assert_eq!(
        d.escalate(disputant, date(2025, 1, 31), "逾期未答复"),
        Err(Refusal::ClassifierDeadlineNotPassed {
            deadline: date(2025, 1, 31)
        })
    );
    d.escalate(disputant, date(2025, 2, 1), "逾期未答复")
        .unwrap();
    // A claim of Top Secret goes to the national department.
    assert_eq!(d.department(), Some(ConfidentialityDepartment::National));
}

#[test]
fn r1_10_dispute_settled_when_the_disputant_accepts_the_answer() {
    let m = matter("机密★10年");
    let disputant = PersonId(80);
    let mut d = Dispute::raise(&m, disputant, Level::Secret, date(2025, 1, 1), "危害较低").unwrap();
    assert_eq!(
        d.accept(disputant, date(2025, 1, 2), "接受"),
        Err(Refusal::IllegalTransition {
            stage: Stage::WithClassifier,
            step: Step::Accept
        })
    );
    d.answer(CLS, Level::Secret, date(2025, 1, 10), "同意降为秘密级")
        .unwrap();
    assert_eq!(
        d.accept(CLS, date(2025, 1, 11), "接受"),
        Err(Refusal::NotTheDisputant { person: CLS })
    );
    d.accept(disputant, date(2025, 1, 11), "接受").unwrap();
    assert_eq!(d.final_level(), Some(Level::Secret));
    assert_eq!(d.department(), None);
    assert_eq!(
        d.escalate(disputant, date(2025, 1, 12), "反悔"),
        Err(Refusal::IllegalTransition {
            stage: Stage::Decided,
            step: Step::Escalate
        })
    );
}

#[test]
fn r1_10_dispute_needs_a_matter_in_force_and_a_different_claim() {
    let m = matter("秘密★5年");
    assert_eq!(
        Dispute::raise(&m, PersonId(80), Level::Secret, date(2025, 1, 1), "异议"),
        Err(Refusal::NothingChanged)
    );
    assert_eq!(
        Dispute::raise(
            &m,
            PersonId(80),
            Level::Unclassified,
            date(2029, 3, 1),
            "异议"
        ),
        Err(Refusal::NotInForce {
            on: date(2029, 3, 1),
            declassified_on: date(2029, 3, 1)
        })
    );
}

// ─── R1.11 derived works ───

fn request(consents: Vec<Consent>) -> DerivationRequest {
    DerivationRequest {
        kind: DerivationKind::Copy,
        made_by: READER_A,
        unit: CITY,
        on: date(2025, 1, 1),
        consents,
    }
}

fn consent(by: PersonId, unit: UnitId) -> Consent {
    Consent {
        by,
        unit,
        on: date(2025, 1, 1),
    }
}

#[test]
fn r1_11_what_deriving_needs_by_level() {
    assert_eq!(
        derivation_requirement(Level::TopSecret),
        DerivationRequirement::OriginatorConsent
    );
    assert_eq!(
        derivation_requirement(Level::Confidential),
        DerivationRequirement::Approval
    );
    assert_eq!(
        derivation_requirement(Level::Secret),
        DerivationRequirement::Approval
    );
    assert_eq!(
        derivation_requirement(Level::Internal),
        DerivationRequirement::Nothing
    );
    assert_eq!(
        derivation_requirement(Level::Unclassified),
        DerivationRequirement::Nothing
    );
}

#[test]
fn r1_11_copy_keeps_the_source_mark_period_and_scope() {
    let m = matter("机密★10年");
    let work = derive(&[&m], &request(vec![consent(HEAD, CITY)]), &units()).unwrap();
    assert_eq!(work.mark, Some(mark("机密★10年")));
    assert_eq!(work.level(), Level::Confidential);
    assert_eq!(work.declassifies_on, Some(date(2034, 3, 1)));
    assert_eq!(work.scope, scope());
    assert_eq!(work.stamped_by, CITY);
    assert_eq!(work.sources, vec![MatterId(1)]);
    assert!(work.unresolved.is_empty());
}

#[test]
fn r1_11_confidential_and_secret_need_approval() {
    let m = matter("秘密★5年");
    let u = units();
    let expected = Err(Refusal::DerivationNeedsApproval {
        matter: MatterId(1),
        level: Level::Secret,
    });
    assert_eq!(derive(&[&m], &request(vec![]), &u), expected);
    // The maker's own approval does not count, nor one given after the work was made.
    assert_eq!(
        derive(&[&m], &request(vec![consent(READER_A, CITY)]), &u),
        expected
    );
    let late = Consent {
        on: date(2025, 1, 2),
        ..consent(HEAD, CITY)
    };
    assert_eq!(derive(&[&m], &request(vec![late]), &u), expected);
    // An approval from an unrelated unit does not count.
    assert_eq!(
        derive(&[&m], &request(vec![consent(PersonId(60), SHOP)]), &u),
        expected
    );
    assert!(derive(&[&m], &request(vec![consent(HEAD, CITY)]), &u).is_ok());
    assert!(derive(&[&m], &request(vec![consent(PROV_HEAD, PROV)]), &u).is_ok());
}

#[test]
fn r1_11_top_secret_needs_the_originating_unit_or_its_superior_to_consent() {
    let ts = top_secret_matter(5);
    let u = units();
    let refused = Err(Refusal::TopSecretNeedsConsent {
        matter: MatterId(5),
        classifying_unit: PROV,
    });
    // The deriving unit's own approval is not enough for Top Secret.
    assert_eq!(
        derive(&[&ts], &request(vec![consent(HEAD, CITY)]), &u),
        refused
    );
    assert!(derive(&[&ts], &request(vec![consent(PROV_HEAD, PROV)]), &u).is_ok());
    assert!(derive(&[&ts], &request(vec![consent(PersonId(1), CENTRAL)]), &u).is_ok());
}

#[test]
fn r1_11_compilation_takes_highest_level_latest_end_and_common_scope() {
    let u = units();
    let dept = ScopeHolder::Department(DepartmentId(7));
    let person_d = PersonId(103);
    let person_e = PersonId(104);
    let mut a = proposal("机密★2030年1月1日", CITY);
    a.scope = KnowledgeScope {
        persons: BTreeSet::from([READER_A, READER_B, person_d]),
        groups: vec![ScopeGroup {
            holder: dept,
            persons: BTreeSet::from([READER_C, person_e]),
        }],
    };
    let mut b = proposal("秘密★10年", CITY);
    b.scope = KnowledgeScope {
        persons: BTreeSet::from([READER_B, READER_C]),
        groups: vec![
            ScopeGroup {
                holder: ScopeHolder::Unit(CITY),
                persons: BTreeSet::from([READER_A]),
            },
            ScopeGroup {
                holder: ScopeHolder::Department(DepartmentId(8)),
                persons: BTreeSet::from([person_e]),
            },
        ],
    };
    let ma = ProposalRecord::file(a)
        .unwrap()
        .approve(&cls(), &u, MatterId(1), D0)
        .unwrap();
    let mb = ProposalRecord::file(b)
        .unwrap()
        .approve(&cls(), &u, MatterId(2), D0)
        .unwrap();
    let mut req = request(vec![consent(HEAD, CITY)]);
    req.kind = DerivationKind::Compilation;
    req.made_by = PersonId(99);
    let work = derive(&[&ma, &mb], &req, &u).unwrap();
    // Highest level from A, latest end (2034-03-01) from B.
    assert_eq!(work.mark, Some(mark("机密★2034年3月1日")));
    assert_eq!(work.declassifies_on, Some(date(2034, 3, 1)));
    assert_eq!(work.scope.persons, BTreeSet::from([READER_B]));
    assert_eq!(
        work.scope.groups,
        vec![
            ScopeGroup {
                holder: ScopeHolder::Unit(CITY),
                persons: BTreeSet::from([READER_A]),
            },
            ScopeGroup {
                holder: dept,
                persons: BTreeSet::from([READER_C]),
            },
        ]
    );
    // person_d is only in A; person_e is in both, but through different departments.
    assert_eq!(work.unresolved, BTreeSet::from([person_e]));
    assert_eq!(work.sources, vec![MatterId(1), MatterId(2)]);
}

#[test]
fn r1_11_compilation_with_a_condition_source_waits_for_every_condition() {
    let u = units();
    let ma = matter("机密★工程竣工后");
    let mb = ProposalRecord::file(proposal("秘密★10年", CITY))
        .unwrap()
        .approve(&cls(), &u, MatterId(2), D0)
        .unwrap();
    let mut req = request(vec![consent(HEAD, CITY)]);
    req.kind = DerivationKind::Compilation;
    let work = derive(&[&ma, &mb], &req, &u).unwrap();
    assert_eq!(work.mark, Some(mark("机密★工程竣工后且不早于2034年3月1日")));
    assert_eq!(work.declassifies_on, None);
}

#[test]
fn r1_11_nobody_may_lower_the_derived_mark() {
    let m = matter("机密★10年");
    let work = derive(&[&m], &request(vec![consent(HEAD, CITY)]), &units()).unwrap();
    assert_eq!(work.check_mark(&mark("机密★10年")), Ok(()));
    for lower in ["秘密★10年", "机密★5年"] {
        let refusal = work.check_mark(&mark(lower)).unwrap_err();
        assert_eq!(
            refusal,
            Refusal::DerivedMarkDiffers {
                expected: Some(mark("机密★10年")),
                given: mark(lower)
            }
        );
        assert_eq!(refusal.rule().0, "R1.11");
    }
}

#[test]
fn r1_11_declassified_sources_impose_nothing() {
    let m = matter("秘密★2025年1月1日");
    let work = derive(&[&m], &request(vec![]), &units()).unwrap();
    assert_eq!(work.mark, None);
    assert_eq!(work.level(), Level::Unclassified);
    assert!(work.sources.is_empty());
    assert_eq!(
        derive(&[], &request(vec![]), &units()),
        Err(Refusal::NoSources)
    );
}

#[test]
fn r1_11_a_source_not_yet_classified_is_refused_not_dropped() {
    let old = matter("秘密★5年");
    let later = filed("机密★10年", CITY)
        .approve(&cls(), &units(), MatterId(2), date(2025, 6, 1))
        .unwrap();
    let req = request(vec![consent(HEAD, CITY)]);
    let refusal = derive(&[&old, &later], &req, &units()).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::SourceNotYetClassified {
            matter: MatterId(2),
            classified_on: date(2025, 6, 1),
            on: date(2025, 1, 1)
        }
    );
    assert_eq!(refusal.rule().0, "R1.11");
    // From its date of classification on, it is a source like any other.
    let req = DerivationRequest {
        on: date(2025, 6, 1),
        consents: vec![Consent {
            by: HEAD,
            unit: CITY,
            on: date(2025, 6, 1),
        }],
        ..req
    };
    let work = derive(&[&old, &later], &req, &units()).unwrap();
    assert_eq!(work.sources, vec![MatterId(1), MatterId(2)]);
    assert_eq!(work.level(), Level::Confidential);
}

#[test]
fn r1_11_scope_intersection_is_exact_or_narrower() {
    let unit_group = |persons: &[PersonId]| ScopeGroup {
        holder: ScopeHolder::Unit(CITY),
        persons: persons.iter().copied().collect(),
    };
    let a = KnowledgeScope {
        persons: BTreeSet::from([READER_A]),
        groups: vec![unit_group(&[READER_B, READER_C])],
    };
    let b = KnowledgeScope {
        persons: BTreeSet::from([READER_A, READER_B]),
        groups: vec![unit_group(&[READER_C])],
    };
    let i = intersect_scopes(&a, &b);
    assert_eq!(i.scope.persons, BTreeSet::from([READER_A]));
    assert_eq!(i.scope.groups, vec![unit_group(&[READER_B, READER_C])]);
    assert!(i.unresolved.is_empty());
    assert_eq!(intersect_scopes(&b, &a).scope, i.scope);
    assert!(intersect_scopes(&a, &KnowledgeScope::default())
        .scope
        .is_empty());
}

// ─── R1.12 ───

#[test]
fn r1_12_basis_outside_the_catalogue_is_flagged() {
    let catalogue = Catalogue {
        items: BTreeSet::from(["国防科技工业保密事项范围 第3条".to_owned()]),
    };
    assert_eq!(proposal("秘密★5年", CITY).check_basis(&catalogue), Ok(()));
    let mut p = proposal("秘密★5年", CITY);
    p.basis = "单位内部惯例".to_owned();
    let refusal = p.check_basis(&catalogue).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::BasisNotInCatalogue {
            basis: "单位内部惯例".to_owned()
        }
    );
    assert_eq!(refusal.rule().0, "R1.12");
    p.basis = String::new();
    assert_eq!(p.check_basis(&catalogue), Err(Refusal::EmptyBasis));
}

// ─── text and storage ───

#[test]
fn refusals_explain_themselves_in_both_languages_with_their_rule() {
    let samples = [
        Refusal::TierMayNotSet {
            unit: CITY,
            tier: UnitTier::Prefecture,
            level: Level::TopSecret,
            apply_to: Some(PROV),
        },
        Refusal::CertificateExpired {
            person: CLS,
            expired_on: D0,
        },
        Refusal::SelfApproval { person: PROPOSER },
        Refusal::ExtensionTooLate { ends: D0, on: D0 },
        Refusal::IllegalTransition {
            stage: Stage::Decided,
            step: Step::Submit,
        },
        Refusal::DerivedMarkDiffers {
            expected: None,
            given: mark("秘密★5年"),
        },
        Refusal::ScopeGroupWithoutPersons {
            holder: ScopeHolder::Unit(CITY),
        },
        Refusal::SourceNotYetClassified {
            matter: MatterId(2),
            classified_on: D0,
            on: D0,
        },
        Refusal::NoHigherDepartment {
            department: ConfidentialityDepartment::National,
        },
    ];
    for r in samples {
        let zh = r.describe(Lang::Zh);
        let en = r.describe(Lang::En);
        assert!(zh.contains(r.rule().0), "{zh}");
        assert!(en.contains(r.rule().0), "{en}");
        assert_ne!(zh, en);
        assert!(!r.to_string().is_empty());
    }
    let tier = Refusal::TierMayNotSet {
        unit: CITY,
        tier: UnitTier::Prefecture,
        level: Level::TopSecret,
        apply_to: Some(PROV),
    };
    assert!(tier.describe(Lang::Zh).contains("绝密"));
    assert!(tier.describe(Lang::En).contains("apply to unit 2"));
}

#[test]
fn records_round_trip_through_json() {
    let mut m = matter("机密★10年");
    m.record_review(&cls(), &units(), date(2025, 1, 1), "仍需保密")
        .unwrap();
    let json = serde_json::to_string(&m).unwrap();
    let back: ClassifiedMatter = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);

    let mut record = filed("机密★10年", CITY);
    let _ = record.approve(
        &classifier(CLS2, CITY, Level::Secret),
        &units(),
        MatterId(1),
        D0,
    );
    let json = serde_json::to_string(&record).unwrap();
    let back: ProposalRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, record);
}

/// The same consent on a derivation and on a carrier copy of the same matter: R1.11 is checked
/// once ([`check_derivation_consent`]) and both agree, refusal included.
#[test]
fn r1_11_copy_and_derive_apply_the_same_consent_rule() {
    use baomi_core::carriers::{
        Approval, ApproverRole, Carrier, CarrierCommand, CarrierKind, CarrierMarking,
        CarrierNumber, CarrierRefusal, Location, NewCopy, Registration,
    };
    use baomi_core::ids::{ApprovalId, CarrierId};
    use std::num::NonZeroU32;

    let on = date(2025, 1, 1);
    let u = units();
    let carrier_of = |m: &ClassifiedMatter| {
        Carrier::register(
            Registration {
                id: CarrierId(1),
                number: CarrierNumber::new("机字2025-001").unwrap(),
                copy: NonZeroU32::new(1).unwrap(),
                kind: CarrierKind::PaperDocument,
                marking: CarrierMarking::Mark(m.mark().clone()),
                matter: Some(m.id()),
                unit: m.unit(),
                title: "报告".to_owned(),
                holder: PersonId(9),
                location: Location::new("保密柜").unwrap(),
            },
            D0,
        )
        .unwrap()
        .apply(
            CarrierCommand::TakeIntoCustody {
                holder: PersonId(9),
                location: Location::new("保密柜").unwrap(),
            },
            D0,
        )
        .unwrap()
        .carrier
    };
    // FACTORY (under CITY) derives / copies; READER_A makes the work.
    let derive_with = |m: &ClassifiedMatter, c: Consent| {
        let req = DerivationRequest {
            kind: DerivationKind::Copy,
            made_by: READER_A,
            unit: FACTORY,
            on,
            consents: vec![c],
        };
        derive(&[m], &req, &u).map(|w| w.level())
    };
    let copy_with = |m: &ClassifiedMatter, c: &Consent, role: ApproverRole| {
        let new = NewCopy {
            id: CarrierId(2),
            number: CarrierNumber::new("厂字2025-001").unwrap(),
            copy: NonZeroU32::new(1).unwrap(),
            kind: CarrierKind::PaperDocument,
            unit: FACTORY,
            holder: READER_A,
            location: Location::new("厂保密柜").unwrap(),
        };
        let approval = Approval {
            id: ApprovalId(1),
            by: c.by,
            role,
            unit: c.unit,
            on: c.on,
        };
        Carrier::copy_of(
            &carrier_of(m),
            new,
            Some(approval),
            READER_A,
            on,
            m.unit(),
            &u,
        )
        .map(|c| c.level())
    };
    let agree = |m: &ClassifiedMatter, c: Consent, role: ApproverRole, accepted: bool| {
        let derived = derive_with(m, c.clone());
        let copied = copy_with(m, &c, role);
        match derived {
            Ok(level) => {
                assert!(accepted, "derive accepted {c:?}");
                assert_eq!(copied, Ok(level), "copy must accept {c:?} like derive");
            }
            Err(reason) => {
                assert!(!accepted, "derive refused {c:?}: {reason}");
                assert_eq!(copied, Err(CarrierRefusal::Derivation { reason }));
            }
        }
    };

    // Top Secret, classified by PROV: only PROV or a unit above it may consent.
    let ts = top_secret_matter(5);
    assert_eq!(ts.unit(), PROV);
    let originator = ApproverRole::Originator;
    agree(&ts, consent(PROV_HEAD, PROV), originator, true);
    agree(&ts, consent(PersonId(1), CENTRAL), originator, true);
    // The deriving unit and its superior are not enough, and an unrelated unit never counts.
    agree(&ts, consent(PersonId(40), FACTORY), originator, false);
    agree(&ts, consent(HEAD, CITY), originator, false);
    agree(&ts, consent(PersonId(60), SHOP), originator, false);
    assert_eq!(
        derive_with(&ts, consent(PersonId(60), SHOP)),
        Err(Refusal::TopSecretNeedsConsent {
            matter: MatterId(5),
            classifying_unit: PROV,
        })
    );

    // Secret, classified by CITY: CITY, the deriving FACTORY or a unit above either.
    let secret = matter("秘密★5年");
    assert_eq!(secret.unit(), CITY);
    let leader = ApproverRole::Leader;
    agree(&secret, consent(HEAD, CITY), leader, true);
    agree(&secret, consent(PersonId(40), FACTORY), leader, true);
    agree(&secret, consent(PROV_HEAD, PROV), leader, true);
    agree(&secret, consent(PersonId(60), SHOP), leader, false);
    agree(&secret, consent(PersonId(61), INSTITUTE), leader, false);

    // The maker's own consent and one dated after the act: both refuse (a copy names the
    // approval's own fault first).
    assert!(derive_with(&ts, consent(READER_A, PROV)).is_err());
    assert!(matches!(
        copy_with(&ts, &consent(READER_A, PROV), originator),
        Err(CarrierRefusal::SelfApproval { .. })
    ));
    let late = Consent {
        on: date(2025, 1, 2),
        ..consent(PROV_HEAD, PROV)
    };
    assert!(derive_with(&ts, late.clone()).is_err());
    assert!(matches!(
        copy_with(&ts, &late, originator),
        Err(CarrierRefusal::ApprovalAfterAct { .. })
    ));

    // The shared check itself, on the same inputs.
    let source = DerivationSource {
        matter: ts.id(),
        level: Level::TopSecret,
        classifying_unit: PROV,
    };
    let consents = [consent(PersonId(60), SHOP), consent(PROV_HEAD, PROV)];
    assert_eq!(
        check_derivation_consent(&source, FACTORY, READER_A, on, &consents, &u),
        Ok(Some(&consents[1]))
    );
    assert_eq!(
        check_derivation_consent(&source, FACTORY, READER_A, on, &consents[..1], &u),
        Err(Refusal::TopSecretNeedsConsent {
            matter: MatterId(5),
            classifying_unit: PROV,
        })
    );
    let internal = DerivationSource {
        level: Level::Internal,
        ..source
    };
    assert_eq!(
        check_derivation_consent(&internal, FACTORY, READER_A, on, &[], &u),
        Ok(None)
    );
}

#[test]
fn r1_7_r1_8_a_proposal_is_read_under_its_matters_current_scope_once_approved() {
    use baomi_core::access::Object;
    let deciders = BTreeSet::from([CLS, HEAD]);
    let mut record = filed("秘密★5年", CITY);
    // Pending: the proposed scope, the proposer and those it is routed to.
    let pending = record.access_object(MatterId(7), &deciders, None);
    for p in [READER_A, READER_B, PROPOSER, CLS, HEAD] {
        assert!(pending.scope.persons.contains(&p), "{p:?}");
    }
    let mut matter = record.approve(&cls(), &units(), MatterId(7), D0).unwrap();
    // Approved: the matter as it stands, after a narrowing change too (R1.8).
    matter
        .change(
            &cls(),
            &units(),
            MatterChange {
                level: None,
                term: None,
                scope: Some(KnowledgeScope::of_persons([READER_A])),
                period_override: None,
            },
            D0,
            "按最小化原则缩小知悉范围",
        )
        .unwrap();
    let now = Object::matter(matter.id(), matter.mark().level(), matter.scope().clone());
    let approved = record.access_object(MatterId(7), &deciders, Some(&now));
    assert_eq!(approved, now);
    for p in [READER_B, PROPOSER, CLS, HEAD] {
        assert!(!approved.scope.persons.contains(&p), "{p:?}");
    }
    // A missing matter is known to nobody.
    assert!(record
        .access_object(MatterId(7), &deciders, None)
        .scope
        .is_empty());
}

#[test]
fn r1_7_r2_1_a_rejected_proposal_is_no_grant_to_those_it_was_routed_to() {
    let deciders = BTreeSet::from([CLS, HEAD]);
    let mut record = filed("秘密★5年", CITY);
    record.reject(&cls(), D0, "不属于国家秘密").unwrap();
    let object = record.access_object(MatterId(7), &deciders, None);
    for p in [READER_A, READER_B, PROPOSER, CLS] {
        assert!(object.scope.persons.contains(&p), "{p:?}");
    }
    assert!(!object.scope.persons.contains(&HEAD));
}

/// R1.9: `declassified_from` is the first day `status_on` says declassified — by the end of the
/// period, or earlier by a recorded decision — which is what a list's SQL narrows on.
#[test]
fn r1_9_declassified_from_is_the_first_declassified_day() {
    let is_declassified = |m: &ClassifiedMatter, on: Date| {
        matches!(m.status_on(on), MatterStatus::Declassified { .. })
    };
    let by_period = matter("机密★10年");
    let end = by_period
        .declassified_from()
        .unwrap_or_else(|| panic!("a ten-year period ends"));
    assert_eq!(end, date(2034, 3, 1));
    assert!(!is_declassified(&by_period, end.yesterday().unwrap()));
    assert!(is_declassified(&by_period, end));

    let mut early = matter("机密★10年");
    early
        .declassify_early(
            &cls(),
            &units(),
            EarlyGround::CatalogueChanged,
            date(2026, 5, 1),
            "保密事项范围修订后不再属于国家秘密",
        )
        .unwrap();
    assert_eq!(early.declassified_from(), Some(date(2026, 5, 1)));
    assert!(!is_declassified(&early, date(2026, 4, 30)));
    assert!(is_declassified(&early, date(2026, 5, 1)));
}
