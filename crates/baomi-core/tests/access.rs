#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tests of the access decision (R1.7, R2.1, R2.4, R5.1, R5.3, R13.1) and knowledge scopes.

use baomi_core::access::{
    decide, may_grant, Action, Decision, DenyReason, KnowledgeScope, Membership, Object, Role,
    RoleConflict, RoleSet, ScopeError, ScopeGroup, ScopeHolder, Subject,
};
use baomi_core::ids::{CarrierId, DepartmentId, MatterId, PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_core::personnel::Category;
use baomi_core::{Describe, Lang};
use jiff::civil::{date, Date};
use std::collections::BTreeSet;

const TODAY: Date = date(2025, 3, 1);
const UNIT: UnitId = UnitId(1);
const DEPT: DepartmentId = DepartmentId(10);
const OTHER_DEPT: DepartmentId = DepartmentId(11);

fn member(person: i64, dept: DepartmentId) -> Membership {
    Membership {
        person: PersonId(person),
        unit: UNIT,
        departments: BTreeSet::from([dept]),
    }
}

fn subject(person: i64, category: Option<Category>, roles: &[Role]) -> Subject {
    Subject {
        membership: member(person, DEPT),
        category,
        category_ends: None,
        roles: RoleSet::new(roles.iter().copied()).unwrap(),
    }
}

fn matter(level: Level, scope: KnowledgeScope) -> Object {
    Object::matter(MatterId(100), level, scope)
}

fn named(persons: &[i64]) -> KnowledgeScope {
    KnowledgeScope::of_persons(persons.iter().map(|p| PersonId(*p)))
}

fn group(holder: ScopeHolder, persons: &[i64]) -> ScopeGroup {
    ScopeGroup {
        holder,
        persons: persons.iter().map(|p| PersonId(*p)).collect(),
    }
}

fn deny(reason: DenyReason) -> Decision {
    Decision::Deny(reason)
}

const CONTENT: [Action; 6] = [
    Action::Read,
    Action::Edit,
    Action::Derive,
    Action::Borrow,
    Action::CarryOut,
    Action::Destroy,
];

#[test]
fn r1_7_outsider_is_denied_every_content_action() {
    let outsider = subject(2, Some(Category::Core), &[]);
    let obj = matter(Level::Secret, named(&[1]));
    for action in CONTENT {
        assert_eq!(
            decide(&outsider, &obj, action, TODAY),
            deny(DenyReason::NotInScope)
        );
    }
    let insider = subject(1, Some(Category::General), &[]);
    for action in CONTENT {
        assert_eq!(decide(&insider, &obj, action, TODAY), Decision::Allow);
    }
}

#[test]
fn r1_7_named_within_a_group_but_not_a_member_is_denied() {
    let scope = KnowledgeScope {
        persons: BTreeSet::new(),
        groups: vec![group(ScopeHolder::Department(DEPT), &[1, 2])],
    };
    let obj = matter(Level::Secret, scope);
    // Person 1 is in DEPT: in scope.
    assert!(decide(
        &subject(1, Some(Category::General), &[]),
        &obj,
        Action::Read,
        TODAY
    )
    .is_allowed());
    // Person 2 is named in the group but has moved to another department.
    let mut moved = subject(2, Some(Category::General), &[]);
    moved.membership = member(2, OTHER_DEPT);
    assert_eq!(
        decide(&moved, &obj, Action::Read, TODAY),
        deny(DenyReason::NotInScope)
    );
    // Person 3 is in the department but not named: membership alone grants nothing.
    assert_eq!(
        decide(
            &subject(3, Some(Category::General), &[]),
            &obj,
            Action::Read,
            TODAY
        ),
        deny(DenyReason::NotInScope)
    );
}

#[test]
fn r1_7_rank_and_roles_alone_never_grant_knowledge() {
    let obj = matter(Level::Secret, named(&[1]));
    for role in [
        Role::UnitHead,
        Role::Classifier,
        Role::ConfidentialityOfficer,
    ] {
        let head = subject(9, Some(Category::Core), &[role]);
        assert_eq!(
            decide(&head, &obj, Action::Read, TODAY),
            deny(DenyReason::NotInScope),
            "{role:?}"
        );
    }
}

#[test]
fn r1_7_scope_is_checked_before_category_so_outsiders_learn_nothing_of_the_level() {
    let obj = matter(Level::TopSecret, named(&[1]));
    let general_outsider = subject(2, Some(Category::General), &[]);
    assert_eq!(
        decide(&general_outsider, &obj, Action::Read, TODAY),
        deny(DenyReason::NotInScope)
    );
    let none_outsider = subject(3, None, &[]);
    assert_eq!(
        decide(&none_outsider, &obj, Action::Read, TODAY),
        deny(DenyReason::NotInScope)
    );
}

#[test]
fn r2_1_general_person_in_scope_is_denied_confidential_but_allowed_secret() {
    let general = subject(1, Some(Category::General), &[]);
    assert_eq!(
        decide(
            &general,
            &matter(Level::Confidential, named(&[1])),
            Action::Read,
            TODAY
        ),
        deny(DenyReason::CategoryTooLow {
            category: Category::General,
            level: Level::Confidential
        })
    );
    assert!(decide(
        &general,
        &matter(Level::Secret, named(&[1])),
        Action::Read,
        TODAY
    )
    .is_allowed());
}

#[test]
fn r2_1_core_is_allowed_top_secret_and_important_is_not() {
    let obj = matter(Level::TopSecret, named(&[1]));
    assert!(decide(
        &subject(1, Some(Category::Core), &[]),
        &obj,
        Action::Read,
        TODAY
    )
    .is_allowed());
    assert_eq!(
        decide(
            &subject(1, Some(Category::Important), &[]),
            &obj,
            Action::Borrow,
            TODAY
        ),
        deny(DenyReason::CategoryTooLow {
            category: Category::Important,
            level: Level::TopSecret
        })
    );
    assert!(decide(
        &subject(1, Some(Category::Important), &[]),
        &matter(Level::Confidential, named(&[1])),
        Action::Read,
        TODAY
    )
    .is_allowed());
}

#[test]
fn r2_1_person_without_category_in_scope_reads_work_secrets_but_no_state_secret() {
    let plain = subject(1, None, &[]);
    assert!(decide(
        &plain,
        &matter(Level::Internal, named(&[1])),
        Action::Edit,
        TODAY
    )
    .is_allowed());
    assert_eq!(
        decide(
            &plain,
            &matter(Level::Secret, named(&[1])),
            Action::Read,
            TODAY
        ),
        deny(DenyReason::NotClassifiedPersonnel {
            level: Level::Secret
        })
    );
    // A work secret still needs the scope.
    assert_eq!(
        decide(
            &plain,
            &matter(Level::Internal, named(&[2])),
            Action::Read,
            TODAY
        ),
        deny(DenyReason::NotInScope)
    );
}

#[test]
fn r2_4_category_stops_counting_on_the_day_the_post_ends() {
    let mut leaving = subject(1, Some(Category::Core), &[]);
    leaving.category_ends = Some(date(2025, 3, 2));
    let obj = matter(Level::Secret, named(&[1]));
    assert!(decide(&leaving, &obj, Action::Read, date(2025, 3, 1)).is_allowed());
    assert_eq!(
        decide(&leaving, &obj, Action::Read, date(2025, 3, 2)),
        deny(DenyReason::CategoryEnded {
            ended_on: date(2025, 3, 2)
        })
    );
    assert_eq!(leaving.category_on(date(2025, 3, 1)), Some(Category::Core));
    assert_eq!(leaving.category_on(date(2025, 3, 2)), None);
    // Work secrets need no category, so they stay readable for someone still in scope.
    assert!(decide(
        &leaving,
        &matter(Level::Internal, named(&[1])),
        Action::Read,
        date(2025, 4, 1)
    )
    .is_allowed());
}

#[test]
fn r1_9_declassified_matter_is_open_to_read_but_changing_it_needs_scope() {
    let obj = matter(Level::TopSecret, named(&[1])).declassified();
    let stranger = subject(2, None, &[]);
    for action in [
        Action::Read,
        Action::Derive,
        Action::Borrow,
        Action::CarryOut,
    ] {
        assert!(
            decide(&stranger, &obj, action, TODAY).is_allowed(),
            "{action:?}"
        );
    }
    for action in [Action::Edit, Action::Destroy] {
        assert_eq!(
            decide(&stranger, &obj, action, TODAY),
            deny(DenyReason::NotInScope)
        );
    }
    // A holder without a category may record changes to the declassified record.
    assert!(decide(&subject(1, None, &[]), &obj, Action::Edit, TODAY).is_allowed());
}

#[test]
fn r1_1_unclassified_objects_are_open() {
    let obj = Object::carrier(CarrierId(5), Level::Unclassified, KnowledgeScope::default());
    for action in CONTENT {
        assert!(decide(&subject(7, None, &[]), &obj, action, TODAY).is_allowed());
    }
}

#[test]
fn r5_3_no_one_holds_two_administrator_roles() {
    let admins = Role::ADMINISTRATORS;
    for a in admins {
        for b in admins {
            if a == b {
                continue;
            }
            let err = RoleSet::new([a, b, Role::UnitHead]).unwrap_err();
            assert_eq!(err.rule().0, "R5.3");
            assert!(err.first < err.second);
            assert!(BTreeSet::from([err.first, err.second]) == BTreeSet::from([a, b]));
        }
    }
    let set = RoleSet::new([Role::SecurityAuditor, Role::ConfidentialityOfficer]).unwrap();
    assert_eq!(set.administrator(), Some(Role::SecurityAuditor));
    assert_eq!(
        set.with(Role::SystemAdministrator),
        Err(RoleConflict {
            first: Role::SystemAdministrator,
            second: Role::SecurityAuditor
        })
    );
    assert!(set.with(Role::UnitHead).unwrap().contains(Role::UnitHead));
    // Deserialising refuses a conflicting set as well.
    let bad: Result<RoleSet, _> =
        serde_json::from_str(r#"["system_administrator","security_auditor"]"#);
    assert!(bad.is_err());
    let good: RoleSet = serde_json::from_str(r#"["security_auditor","unit_head"]"#).unwrap();
    assert_eq!(
        good,
        RoleSet::new([Role::UnitHead, Role::SecurityAuditor]).unwrap()
    );
}

#[test]
fn r5_3_administrators_read_no_content_by_role_alone() {
    let obj = matter(Level::Secret, named(&[1]));
    for role in Role::ADMINISTRATORS {
        let admin = subject(9, Some(Category::Core), &[role]);
        for action in CONTENT {
            assert_eq!(
                decide(&admin, &obj, action, TODAY),
                deny(DenyReason::NotInScope)
            );
        }
    }
    // In the scope with a category, an administrator reads like anybody else.
    let auditor = subject(1, Some(Category::General), &[Role::SecurityAuditor]);
    assert!(decide(&auditor, &obj, Action::Read, TODAY).is_allowed());
}

#[test]
fn r5_3_only_the_auditor_reads_the_audit_trail() {
    let system = Object::system(Level::Confidential);
    let auditor = subject(1, Some(Category::Important), &[Role::SecurityAuditor]);
    assert!(decide(&auditor, &system, Action::ReadAuditTrail, TODAY).is_allowed());
    for role in [
        Role::SystemAdministrator,
        Role::SecurityAdministrator,
        Role::UnitHead,
    ] {
        assert_eq!(
            decide(
                &subject(2, Some(Category::Core), &[role]),
                &system,
                Action::ReadAuditTrail,
                TODAY
            ),
            deny(DenyReason::RoleRequired {
                action: Action::ReadAuditTrail,
                role: Role::SecurityAuditor
            })
        );
    }
}

#[test]
fn r5_3_system_administrator_manages_service_and_users_but_not_rights() {
    let sys = subject(1, Some(Category::Important), &[Role::SystemAdministrator]);
    let system = Object::system(Level::Confidential);
    assert!(decide(&sys, &system, Action::ManageService, TODAY).is_allowed());
    assert!(decide(&sys, &system, Action::ManageUsers, TODAY).is_allowed());
    let account = Object::account(PersonId(5), Level::Confidential);
    assert!(decide(&sys, &account, Action::ManageUsers, TODAY).is_allowed());
    assert_eq!(
        decide(&sys, &account, Action::GrantRights, TODAY),
        deny(DenyReason::RoleRequired {
            action: Action::GrantRights,
            role: Role::SecurityAdministrator
        })
    );
    let secadm = subject(2, Some(Category::Important), &[Role::SecurityAdministrator]);
    assert_eq!(
        decide(&secadm, &system, Action::ManageService, TODAY),
        deny(DenyReason::RoleRequired {
            action: Action::ManageService,
            role: Role::SystemAdministrator
        })
    );
}

#[test]
fn r5_3_security_administrator_grants_rights_but_never_to_themselves() {
    let secadm = subject(2, Some(Category::Important), &[Role::SecurityAdministrator]);
    assert!(decide(
        &secadm,
        &Object::account(PersonId(5), Level::Confidential),
        Action::GrantRights,
        TODAY
    )
    .is_allowed());
    assert_eq!(
        decide(
            &secadm,
            &Object::account(PersonId(2), Level::Confidential),
            Action::GrantRights,
            TODAY
        ),
        deny(DenyReason::SelfGrant)
    );
    assert_eq!(may_grant(&secadm, PersonId(2)), Err(DenyReason::SelfGrant));
    assert_eq!(may_grant(&secadm, PersonId(3)), Ok(()));
    let plain = subject(3, Some(Category::Core), &[]);
    assert_eq!(
        may_grant(&plain, PersonId(4)),
        Err(DenyReason::RoleRequired {
            action: Action::GrantRights,
            role: Role::SecurityAdministrator
        })
    );
}

#[test]
fn r5_3_administrators_must_be_cleared_for_the_system_level() {
    let system = Object::system(Level::Confidential);
    let low = subject(1, Some(Category::General), &[Role::SystemAdministrator]);
    assert_eq!(
        decide(&low, &system, Action::ManageService, TODAY),
        deny(DenyReason::CategoryTooLow {
            category: Category::General,
            level: Level::Confidential
        })
    );
    // R5.1: a work-secret system is managed as Secret, so its administrator needs a category.
    let none = subject(1, None, &[Role::SystemAdministrator]);
    assert_eq!(
        decide(
            &none,
            &Object::system(Level::Internal),
            Action::ManageService,
            TODAY
        ),
        deny(DenyReason::NotClassifiedPersonnel {
            level: Level::Secret
        })
    );
    assert!(decide(
        &low,
        &Object::system(Level::Internal),
        Action::ManageService,
        TODAY
    )
    .is_allowed());
    // Role is checked before category: a non-administrator learns only that the role is missing.
    assert_eq!(
        decide(
            &subject(1, None, &[]),
            &system,
            Action::ManageService,
            TODAY
        ),
        deny(DenyReason::RoleRequired {
            action: Action::ManageService,
            role: Role::SystemAdministrator
        })
    );
}

#[test]
fn r13_1_actions_apply_only_to_their_kind_of_object() {
    let auditor = subject(1, Some(Category::Core), &[Role::SecurityAuditor]);
    assert_eq!(
        decide(
            &auditor,
            &matter(Level::Secret, named(&[1])),
            Action::ReadAuditTrail,
            TODAY
        ),
        deny(DenyReason::NotApplicable {
            action: Action::ReadAuditTrail
        })
    );
    assert_eq!(
        decide(
            &auditor,
            &Object::system(Level::Secret),
            Action::Read,
            TODAY
        ),
        deny(DenyReason::NotApplicable {
            action: Action::Read
        })
    );
    assert_eq!(
        decide(
            &auditor,
            &Object::account(PersonId(3), Level::Secret),
            Action::ReadAuditTrail,
            TODAY
        ),
        deny(DenyReason::NotApplicable {
            action: Action::ReadAuditTrail
        })
    );
}

#[test]
fn r13_1_denials_have_stable_codes_rules_and_both_languages() {
    let reasons = [
        (
            DenyReason::NotApplicable {
                action: Action::Read,
            },
            "not_applicable",
            "R13.1",
        ),
        (
            DenyReason::RoleRequired {
                action: Action::GrantRights,
                role: Role::SecurityAdministrator,
            },
            "role_required",
            "R5.3",
        ),
        (DenyReason::SelfGrant, "self_grant", "R5.3"),
        (DenyReason::NotInScope, "not_in_scope", "R1.7"),
        (
            DenyReason::NotClassifiedPersonnel {
                level: Level::Secret,
            },
            "not_classified_personnel",
            "R2.1",
        ),
        (
            DenyReason::CategoryEnded {
                ended_on: date(2025, 1, 1),
            },
            "category_ended",
            "R2.4",
        ),
        (
            DenyReason::CategoryTooLow {
                category: Category::General,
                level: Level::TopSecret,
            },
            "category_too_low",
            "R2.1",
        ),
    ];
    for (reason, code, rule) in reasons {
        assert_eq!(reason.code(), code);
        assert_eq!(reason.rule().0, rule);
        let json = serde_json::to_value(&reason).unwrap();
        assert_eq!(json["code"], code);
        let back: DenyReason = serde_json::from_value(json).unwrap();
        assert_eq!(back, reason);
        let zh = reason.describe(Lang::Zh);
        assert!(
            zh.contains(rule) && zh.chars().any(|c| c > '\u{2E80}'),
            "{zh}"
        );
        assert!(reason.describe(Lang::En).contains(rule));
    }
    let json = serde_json::to_value(deny(DenyReason::NotInScope)).unwrap();
    assert_eq!(json["decision"], "deny");
    assert_eq!(json["reason"]["code"], "not_in_scope");
}

#[test]
fn r1_7_validate_refuses_empty_scopes_and_groups_without_persons() {
    assert_eq!(KnowledgeScope::default().validate(), Err(ScopeError::Empty));
    let unit_only = KnowledgeScope {
        persons: BTreeSet::from([PersonId(1)]),
        groups: vec![group(ScopeHolder::Unit(UNIT), &[])],
    };
    let err = unit_only.validate().unwrap_err();
    assert_eq!(
        err,
        ScopeError::GroupWithoutPersons {
            holder: ScopeHolder::Unit(UNIT)
        }
    );
    assert_eq!(err.rule().0, "R1.7");
    assert!(err.describe(Lang::Zh).contains("单位"));
    assert_eq!(named(&[1]).validate(), Ok(()));
    let grouped = KnowledgeScope {
        persons: BTreeSet::new(),
        groups: vec![group(ScopeHolder::Department(DEPT), &[4])],
    };
    assert_eq!(grouped.validate(), Ok(()));
}

#[test]
fn r1_11_intersection_keeps_group_conditions_of_persons_named_directly_elsewhere() {
    // Person 1 is named in A and within DEPT in B: in both only while in DEPT.
    let a = named(&[1, 2]);
    let b = KnowledgeScope {
        persons: BTreeSet::from([PersonId(2)]),
        groups: vec![group(ScopeHolder::Department(DEPT), &[1, 3])],
    };
    let both = a.intersection(&b);
    assert_eq!(both.persons, BTreeSet::from([PersonId(2)]));
    assert_eq!(
        both.groups,
        vec![group(ScopeHolder::Department(DEPT), &[1])]
    );
    assert_eq!(both, b.intersection(&a));
    assert!(a.intersection_unresolved(&b).is_empty());
    // Check against `includes` on both scopes for several memberships.
    for who in [
        member(1, DEPT),
        member(1, OTHER_DEPT),
        member(2, OTHER_DEPT),
        member(3, DEPT),
    ] {
        assert_eq!(
            both.includes(&who),
            a.includes(&who) && b.includes(&who),
            "{who:?}"
        );
    }
}

#[test]
fn r1_11_intersection_of_groups_is_exact_for_the_same_holder_and_narrow_otherwise() {
    let a = KnowledgeScope {
        persons: BTreeSet::new(),
        groups: vec![
            group(ScopeHolder::Department(DEPT), &[1, 2]),
            group(ScopeHolder::Unit(UNIT), &[5, 6]),
        ],
    };
    let b = KnowledgeScope {
        persons: BTreeSet::new(),
        groups: vec![
            group(ScopeHolder::Department(DEPT), &[2, 3]),
            group(ScopeHolder::Department(OTHER_DEPT), &[5]),
            group(ScopeHolder::Unit(UnitId(2)), &[6]),
        ],
    };
    let both = a.intersection(&b);
    assert!(both.persons.is_empty());
    assert_eq!(
        both.groups,
        vec![group(ScopeHolder::Department(DEPT), &[2])]
    );
    // Person 5 would need "in UNIT and in OTHER_DEPT": dropped and reported. Person 6 in two
    // different units can never be in both: exact, not reported.
    assert_eq!(a.intersection_unresolved(&b), BTreeSet::from([PersonId(5)]));
    // Never wider than the truth.
    let five = Membership {
        person: PersonId(5),
        unit: UNIT,
        departments: BTreeSet::from([OTHER_DEPT]),
    };
    assert!(a.includes(&five) && b.includes(&five) && !both.includes(&five));
    assert_eq!(
        a.named_persons(),
        BTreeSet::from([PersonId(1), PersonId(2), PersonId(5), PersonId(6)])
    );
}

mod intersection_property {
    use super::*;
    use proptest::prelude::*;

    fn holder() -> impl Strategy<Value = ScopeHolder> {
        prop_oneof![
            (1i64..3).prop_map(|u| ScopeHolder::Unit(UnitId(u))),
            (10i64..13).prop_map(|d| ScopeHolder::Department(DepartmentId(d))),
        ]
    }

    fn scope() -> impl Strategy<Value = KnowledgeScope> {
        let persons = proptest::collection::btree_set((1i64..6).prop_map(PersonId), 0..4);
        let group = (holder(), persons.clone())
            .prop_map(|(holder, persons)| ScopeGroup { holder, persons });
        (persons, proptest::collection::vec(group, 0..4))
            .prop_map(|(persons, groups)| KnowledgeScope { persons, groups })
    }

    fn membership() -> impl Strategy<Value = Membership> {
        (
            1i64..6,
            1i64..3,
            proptest::collection::btree_set(10i64..13, 0..3),
        )
            .prop_map(|(p, u, ds)| Membership {
                person: PersonId(p),
                unit: UnitId(u),
                departments: ds.into_iter().map(DepartmentId).collect(),
            })
    }

    proptest! {
        /// R1.11: the intersection never lets in anyone outside either scope, and misses only
        /// persons it reports as unresolved.
        #[test]
        fn r1_11_intersection_is_sound_and_reports_what_it_drops(a in scope(), b in scope(), who in membership()) {
            let both = a.intersection(&b);
            let truth = a.includes(&who) && b.includes(&who);
            prop_assert!(!both.includes(&who) || truth);
            if truth && !both.includes(&who) {
                prop_assert!(a.intersection_unresolved(&b).contains(&who.person));
            }
            prop_assert_eq!(both.includes(&who), b.intersection(&a).includes(&who));
        }
    }
}

#[test]
fn r2_1_clearance_to_hold_a_level_needs_a_covering_category_that_still_counts() {
    use baomi_core::access::check_clearance;
    let general = subject(1, Some(Category::General), &[]);
    assert_eq!(check_clearance(&general, Level::Secret, TODAY), Ok(()));
    assert_eq!(
        check_clearance(&general, Level::Confidential, TODAY),
        Err(DenyReason::CategoryTooLow {
            category: Category::General,
            level: Level::Confidential
        })
    );
    let none = subject(2, None, &[]);
    assert_eq!(check_clearance(&none, Level::Internal, TODAY), Ok(()));
    assert!(matches!(
        check_clearance(&none, Level::Secret, TODAY),
        Err(DenyReason::NotClassifiedPersonnel { .. })
    ));
    let mut left = subject(3, Some(Category::Core), &[]);
    left.category_ends = Some(TODAY);
    let r = check_clearance(&left, Level::Secret, TODAY).unwrap_err();
    assert_eq!(r.rule().0, "R2.4");
}

#[test]
fn r5_3_the_administrators_change_no_business_data() {
    use baomi_core::access::may_change_business_data;
    for role in Role::ADMINISTRATORS {
        let err = may_change_business_data(&subject(1, Some(Category::Core), &[role])).unwrap_err();
        assert_eq!(err, DenyReason::AdministratorChangesNoData { role });
        assert_eq!(err.rule().0, "R5.3");
        assert!(err.describe(Lang::Zh).contains("R5.3"));
    }
    for roles in [
        &[][..],
        &[
            Role::ConfidentialityOfficer,
            Role::UnitHead,
            Role::Classifier,
        ],
    ] {
        assert_eq!(may_change_business_data(&subject(1, None, roles)), Ok(()));
    }
}

#[test]
fn r5_3_r13_1_an_administrator_role_needs_a_category_covering_the_system() {
    use baomi_core::access::may_hold_role;
    let err = may_hold_role(Role::SecurityAuditor, None, Level::Secret).unwrap_err();
    assert_eq!(err.rule().0, "R5.3");
    assert!(err.describe(Lang::Zh).contains("安全审计员"));
    // A work-secret system is managed as Secret (R5.1).
    assert!(may_hold_role(Role::SystemAdministrator, None, Level::Internal).is_err());
    assert!(may_hold_role(
        Role::SystemAdministrator,
        Some(Category::General),
        Level::Internal
    )
    .is_ok());
    assert!(may_hold_role(
        Role::SecurityAdministrator,
        Some(Category::General),
        Level::Confidential
    )
    .is_err());
    assert!(may_hold_role(
        Role::SecurityAdministrator,
        Some(Category::Important),
        Level::Confidential
    )
    .is_ok());
    // Ordinary roles need nothing here.
    assert!(may_hold_role(Role::ConfidentialityOfficer, None, Level::TopSecret).is_ok());
}

#[test]
fn r1_7_a_scope_names_only_existing_people_units_and_departments() {
    use baomi_core::access::{Organisation, ScopeNameError};
    let org = Organisation {
        people: vec![member(1, DEPT), member(2, OTHER_DEPT)],
        units: BTreeSet::from([UNIT]),
        departments: BTreeSet::from([DEPT, OTHER_DEPT]),
    };
    assert_eq!(named(&[1, 2]).check_names(&org), Ok(()));
    assert_eq!(
        named(&[1, 999]).check_names(&org),
        Err(ScopeNameError::UnknownPerson {
            person: PersonId(999)
        })
    );
    let in_group = |holder, persons: &[i64]| KnowledgeScope {
        persons: BTreeSet::new(),
        groups: vec![group(holder, persons)],
    };
    assert_eq!(
        in_group(ScopeHolder::Department(DepartmentId(99)), &[1]).check_names(&org),
        Err(ScopeNameError::UnknownHolder {
            holder: ScopeHolder::Department(DepartmentId(99))
        })
    );
    assert!(in_group(ScopeHolder::Unit(UnitId(99)), &[1])
        .check_names(&org)
        .is_err());
    let err = in_group(ScopeHolder::Department(DEPT), &[2])
        .check_names(&org)
        .unwrap_err();
    assert_eq!(err.code(), "not_in_group");
    assert!(err.describe(Lang::Zh).contains("scope.groups"));
    assert!(err.describe(Lang::En).contains("scope.groups"));
    assert_eq!(
        in_group(ScopeHolder::Unit(UNIT), &[1, 2]).check_names(&org),
        Ok(())
    );
}
