//! Knowledge scope and the one access decision (DOMAIN R1.7, R2.1, R5.3, R13.1).
//!
//! * [`KnowledgeScope`] — R1.7: who may know a matter; [`KnowledgeScope::validate`] refuses
//!   scopes that name nobody, [`KnowledgeScope::intersection`] gives who is in two scopes at
//!   once (compilations, R1.11).
//! * [`RoleSet`] — R5.3: the roles a person holds; the three separated administrators
//!   (system administrator, security administrator, security auditor) never go together.
//! * [`decide`] — R13.1: the one decision every read and every change goes through. A
//!   [`Subject`] (who) asks to perform an [`Action`] on an [`Object`] (what) on a date, and gets
//!   [`Decision::Allow`] or [`Decision::Deny`] with the first failing check as a [`DenyReason`].
//!
//! ## The rules `decide` applies
//!
//! * Content actions ([`Action::Read`], [`Action::Edit`], [`Action::Derive`], [`Action::Borrow`],
//!   [`Action::CarryOut`], [`Action::Destroy`]) on a state secret need the subject in the
//!   knowledge scope (R1.7) **and** a category covering the level (R2.1). Work secrets
//!   ([`Level::Internal`]) need the scope but no category. Whether the workflow approval for a
//!   borrowing, carrying out or destruction was given is decided elsewhere (R3.4–R3.9); here it
//!   is only whether the subject may handle the object at all.
//! * Unclassified objects are open to every action: confidentiality rules do not restrict
//!   them; ownership of ordinary records is the application's business.
//! * Declassified objects (R1.9) are open to read, derive, borrow and carry out. Editing or
//!   destroying one still needs the knowledge scope, though no category: the declassified
//!   record and its carriers stay in the ledger until released (R3.10) and only those who held
//!   them change them (our choice; DOMAIN is silent).
//! * Roles add nothing for content (R1.7: rank alone never grants knowledge; R5.3: the
//!   administrators see no content by role alone). An administrator in a scope with a category
//!   reads like anybody else.
//! * Administrative actions need their one role: only the security auditor reads the audit
//!   trail (R13.2), only the system administrator manages the service and user accounts, only
//!   the security administrator grants rights, never to themselves (R5.3). Administrators are
//!   insiders (R5.3), so their category must cover the system's level; a system of work secrets
//!   is managed as Secret (R5.1) (practice: DOMAIN does not say which category).
//!
//! ## The order of checks
//!
//! Denials are deterministic: the checks run in a fixed order and the first failing one is
//! reported.
//!
//! 1. the action applies to the kind of object ([`DenyReason::NotApplicable`]);
//! 2. role restrictions of administrative actions ([`DenyReason::RoleRequired`],
//!    [`DenyReason::SelfGrant`]), then the administrator's category;
//! 3. status: unclassified and declassified objects are open as described above;
//! 4. knowledge scope ([`DenyReason::NotInScope`]);
//! 5. category ([`DenyReason::NotClassifiedPersonnel`], [`DenyReason::CategoryEnded`],
//!    [`DenyReason::CategoryTooLow`]).
//!
//! Scope comes before category on purpose: a person outside the scope learns only that they
//! are not in it, never anything that hints at the level (a "category too low" answer would
//! tell them the matter is above Secret). Only a person with a work need, who may see the mark
//! anyway, learns that their category is too low.
//!
//! ## Date-bounded facts
//!
//! The caller passes the subject's category as recorded for their post, with
//! [`Subject::category_ends`], the day they leave the post. From that day on the category no
//! longer counts: a person in a detachment period (R2.4) reads no state secret. A person
//! without a classified post has no category at all.

use crate::ids::{CarrierId, DepartmentId, MatterId, PersonId, UnitId};
use crate::marks::Level;
use crate::personnel::Category;
use crate::{Describe, Lang, RuleId};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Who may know a matter (知悉范围, R1.7): named persons where possible; otherwise named units
/// or departments, limited within them to named persons. Rank alone never grants knowledge, so
/// there is no "whole unit" entry: every group names its persons.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct KnowledgeScope {
    /// Persons named directly.
    pub persons: BTreeSet<PersonId>,
    /// Units or departments, each limited to named persons who must belong to it.
    pub groups: Vec<ScopeGroup>,
}

/// A unit or department in a knowledge scope, limited to named persons (R1.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ScopeGroup {
    /// The unit or department.
    pub holder: ScopeHolder,
    /// The persons within it who may know; never empty in a valid scope.
    pub persons: BTreeSet<PersonId>,
}

/// The organisation a [`ScopeGroup`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ScopeHolder {
    /// A whole unit (still limited to named persons).
    Unit(UnitId),
    /// A department.
    Department(DepartmentId),
}

/// Where a person currently belongs, as needed to evaluate a [`KnowledgeScope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The person.
    pub person: PersonId,
    /// Their unit.
    pub unit: UnitId,
    /// Their departments (usually one).
    pub departments: BTreeSet<DepartmentId>,
}

impl KnowledgeScope {
    /// A scope of named persons only.
    pub fn of_persons(persons: impl IntoIterator<Item = PersonId>) -> KnowledgeScope {
        KnowledgeScope {
            persons: persons.into_iter().collect(),
            groups: Vec::new(),
        }
    }

    /// True when nobody is in the scope; such a scope is refused when a matter is determined.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty() && self.groups.iter().all(|g| g.persons.is_empty())
    }

    /// R1.7: the person is named directly, or named within a group they currently belong to.
    pub fn includes(&self, who: &Membership) -> bool {
        if self.persons.contains(&who.person) {
            return true;
        }
        self.groups.iter().any(|g| {
            g.persons.contains(&who.person)
                && match g.holder {
                    ScopeHolder::Unit(u) => u == who.unit,
                    ScopeHolder::Department(d) => who.departments.contains(&d),
                }
        })
    }

    /// Everyone the scope names, directly or within a group: the most who can be in it, e.g.
    /// the holders to tell when the matter changes (R1.8).
    pub fn named_persons(&self) -> BTreeSet<PersonId> {
        let mut all = self.persons.clone();
        all.extend(self.groups.iter().flat_map(|g| g.persons.iter().copied()));
        all
    }

    /// R1.7: a scope must name somebody, and every group must be limited to named persons.
    /// A group without persons is reported first (it is the more specific mistake).
    pub fn validate(&self) -> Result<(), ScopeError> {
        if let Some(g) = self.groups.iter().find(|g| g.persons.is_empty()) {
            return Err(ScopeError::GroupWithoutPersons { holder: g.holder });
        }
        if self.persons.is_empty() && self.groups.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(())
    }

    /// Who is in both scopes (R1.11: a compilation's scope is what all its sources allow).
    ///
    /// Exact where the scope shape can say it:
    /// * named directly in both → named directly;
    /// * named directly in one and within a group in the other → within that group, so they
    ///   are in the result only while they belong to it;
    /// * within groups of the same unit or department in both → within that group;
    /// * within groups of two different units → nobody (a person belongs to one unit).
    ///
    /// Approximation: a person within a unit group in one scope and a department group in the
    /// other (or two different departments) would need "member of both", which a scope cannot
    /// express; that condition is dropped, so the result is never wider than the true
    /// intersection, only possibly narrower (minimisation, R1.7).
    /// [`KnowledgeScope::intersection_unresolved`] lists the persons this may have dropped, so
    /// that an officer can check them and name them directly.
    pub fn intersection(&self, other: &KnowledgeScope) -> KnowledgeScope {
        self.intersect(other).0
    }

    /// The persons [`KnowledgeScope::intersection`] may have left out because their membership
    /// in both could not be expressed (see there); empty when the intersection is exact.
    pub fn intersection_unresolved(&self, other: &KnowledgeScope) -> BTreeSet<PersonId> {
        self.intersect(other).1
    }

    /// [`KnowledgeScope::intersection`] and [`KnowledgeScope::intersection_unresolved`] at once.
    pub fn intersect(&self, other: &KnowledgeScope) -> (KnowledgeScope, BTreeSet<PersonId>) {
        let persons: BTreeSet<PersonId> =
            self.persons.intersection(&other.persons).copied().collect();
        let mut groups: BTreeMap<ScopeHolder, BTreeSet<PersonId>> = BTreeMap::new();
        let mut dropped: Vec<(PersonId, ScopeHolder, ScopeHolder)> = Vec::new();
        for (direct, grouped) in [(self, other), (other, self)] {
            for g in &grouped.groups {
                for p in g.persons.intersection(&direct.persons) {
                    groups.entry(g.holder).or_default().insert(*p);
                }
            }
        }
        for a in &self.groups {
            for b in &other.groups {
                for p in a.persons.intersection(&b.persons) {
                    match (a.holder, b.holder) {
                        (x, y) if x == y => {
                            groups.entry(x).or_default().insert(*p);
                        }
                        (ScopeHolder::Unit(_), ScopeHolder::Unit(_)) => {}
                        (x, y) => dropped.push((*p, x, y)),
                    }
                }
            }
        }
        for set in groups.values_mut() {
            set.retain(|p| !persons.contains(p));
        }
        groups.retain(|_, set| !set.is_empty());
        let kept = |p: &PersonId, h: &ScopeHolder| groups.get(h).is_some_and(|s| s.contains(p));
        let unresolved = dropped
            .iter()
            .filter(|(p, x, y)| !persons.contains(p) && !kept(p, x) && !kept(p, y))
            .map(|(p, ..)| *p)
            .collect();
        let groups = groups
            .into_iter()
            .map(|(holder, persons)| ScopeGroup { holder, persons })
            .collect();
        (KnowledgeScope { persons, groups }, unresolved)
    }
}

/// What exists in the organisation, for checking the names a scope gives
/// ([`KnowledgeScope::check_names`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organisation {
    /// Every person, with their unit and departments.
    pub people: Vec<Membership>,
    /// Every unit.
    pub units: BTreeSet<UnitId>,
    /// Every department.
    pub departments: BTreeSet<DepartmentId>,
}

impl KnowledgeScope {
    /// R1.7: a scope names real people, units and departments, and each group's persons belong
    /// to it (the group is "limited within it to named persons"). A name of nobody would keep
    /// a place in the scope for whoever gets that id later. Units and departments of other
    /// units are allowed: a scope may name other units (R1.7), within them named persons.
    /// The first unknown name is reported, persons before groups.
    pub fn check_names(&self, org: &Organisation) -> Result<(), ScopeNameError> {
        let member = |p: &PersonId| org.people.iter().find(|m| m.person == *p);
        if let Some(p) = self.persons.iter().find(|p| member(p).is_none()) {
            return Err(ScopeNameError::UnknownPerson { person: *p });
        }
        for g in &self.groups {
            match g.holder {
                ScopeHolder::Unit(u) if !org.units.contains(&u) => {
                    return Err(ScopeNameError::UnknownHolder { holder: g.holder })
                }
                ScopeHolder::Department(d) if !org.departments.contains(&d) => {
                    return Err(ScopeNameError::UnknownHolder { holder: g.holder })
                }
                _ => {}
            }
            for p in &g.persons {
                let Some(m) = member(p) else {
                    return Err(ScopeNameError::UnknownPerson { person: *p });
                };
                let belongs = match g.holder {
                    ScopeHolder::Unit(u) => m.unit == u,
                    ScopeHolder::Department(d) => m.departments.contains(&d),
                };
                if !belongs {
                    return Err(ScopeNameError::NotInGroup {
                        person: *p,
                        holder: g.holder,
                    });
                }
            }
        }
        Ok(())
    }
}

/// A knowledge scope naming someone or something that does not exist, or a person within a
/// group they do not belong to (R1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ScopeNameError {
    /// No person has this id.
    #[error("scope.persons: person {person} does not exist (R1.7)")]
    UnknownPerson {
        /// The id given.
        person: PersonId,
    },
    /// No unit or department has this id.
    #[error("scope.groups: {} does not exist (R1.7)", holder_en(.holder))]
    UnknownHolder {
        /// The unit or department given.
        holder: ScopeHolder,
    },
    /// A person named within a group they do not belong to.
    #[error("scope.groups: person {person} does not belong to {} (R1.7)", holder_en(.holder))]
    NotInGroup {
        /// The person.
        person: PersonId,
        /// The group's unit or department.
        holder: ScopeHolder,
    },
}

impl ScopeNameError {
    /// The DOMAIN rule enforced: R1.7.
    pub fn rule(&self) -> RuleId {
        RuleId("R1.7")
    }

    /// `unknown_person`, `unknown_holder` or `not_in_group`.
    pub fn code(&self) -> &'static str {
        match self {
            ScopeNameError::UnknownPerson { .. } => "unknown_person",
            ScopeNameError::UnknownHolder { .. } => "unknown_holder",
            ScopeNameError::NotInGroup { .. } => "not_in_group",
        }
    }
}

fn holder_zh(h: &ScopeHolder) -> String {
    match h {
        ScopeHolder::Unit(u) => format!("单位 {u}"),
        ScopeHolder::Department(d) => format!("部门 {d}"),
    }
}

impl Describe for ScopeNameError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (ScopeNameError::UnknownPerson { person }, Lang::Zh) => {
                format!("scope.persons：人员 {person} 不存在（R1.7）")
            }
            (ScopeNameError::UnknownHolder { holder }, Lang::Zh) => {
                format!("scope.groups：{}不存在（R1.7）", holder_zh(holder))
            }
            (ScopeNameError::NotInGroup { person, holder }, Lang::Zh) => {
                format!(
                    "scope.groups：人员 {person} 不属于{}（R1.7）",
                    holder_zh(holder)
                )
            }
        }
    }
}

/// Why a knowledge scope is not acceptable (R1.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ScopeError {
    /// Nobody is named.
    #[error("the knowledge scope names nobody (R1.7)")]
    Empty,
    /// A unit or department without named persons: rank or membership alone never grants
    /// knowledge.
    #[error("the knowledge scope names {} without limiting it to named persons (R1.7)", holder_en(.holder))]
    GroupWithoutPersons {
        /// The group's unit or department.
        holder: ScopeHolder,
    },
}

fn holder_en(h: &ScopeHolder) -> String {
    match h {
        ScopeHolder::Unit(u) => format!("unit {u}"),
        ScopeHolder::Department(d) => format!("department {d}"),
    }
}

impl ScopeError {
    /// The DOMAIN rule enforced: R1.7.
    pub fn rule(&self) -> RuleId {
        RuleId("R1.7")
    }
}

impl Describe for ScopeError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (ScopeError::Empty, Lang::Zh) => "知悉范围未列明任何人员（R1.7）".to_owned(),
            (ScopeError::GroupWithoutPersons { holder }, Lang::Zh) => {
                let h = match holder {
                    ScopeHolder::Unit(u) => format!("单位 {u}"),
                    ScopeHolder::Department(d) => format!("部门 {d}"),
                };
                format!("知悉范围列入了{h}，但未限定到具体人员（R1.7）")
            }
        }
    }
}

/// A role a person holds in the system (R5.3). Only the three administrators carry
/// permissions in [`decide`]; the ordinary roles exist for the workflows that need them
/// (approvals, classification) and add nothing to what a person may know (R1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员 — runs the service and user accounts; no rights, no audit trail (R5.3).
    SystemAdministrator,
    /// 安全保密管理员 — sets users' rights by their duties, never their own (R5.3).
    SecurityAdministrator,
    /// 安全审计员 — reads the audit trail and reviews the other two (R5.3, R13.2).
    SecurityAuditor,
    /// 保密员 — the confidentiality officer who keeps the ledgers (R13.3).
    ConfidentialityOfficer,
    /// 单位负责人 — the head of the unit, who approves (R1.5, R3.6).
    UnitHead,
    /// 定密责任人 — a designated classifier (R1.5); their authority is checked by
    /// determination, not here.
    Classifier,
}

impl Role {
    /// The three separated administrators of R5.3.
    pub const ADMINISTRATORS: [Role; 3] = [
        Role::SystemAdministrator,
        Role::SecurityAdministrator,
        Role::SecurityAuditor,
    ];

    /// True for the three separated administrators.
    pub fn is_administrator(self) -> bool {
        Role::ADMINISTRATORS.contains(&self)
    }

    /// 系统管理员, 安全保密管理员, 安全审计员, 保密员, 单位负责人, 定密责任人.
    pub fn zh(self) -> &'static str {
        match self {
            Role::SystemAdministrator => "系统管理员",
            Role::SecurityAdministrator => "安全保密管理员",
            Role::SecurityAuditor => "安全审计员",
            Role::ConfidentialityOfficer => "保密员",
            Role::UnitHead => "单位负责人",
            Role::Classifier => "定密责任人",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Role::SystemAdministrator => "system administrator",
            Role::SecurityAdministrator => "security administrator",
            Role::SecurityAuditor => "security auditor",
            Role::ConfidentialityOfficer => "confidentiality officer",
            Role::UnitHead => "unit head",
            Role::Classifier => "classifier",
        }
    }
}

/// The roles one person holds: never two of the three administrators (R5.3). Construct with
/// [`RoleSet::new`]; deserialising refuses a conflicting set too.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "BTreeSet<Role>", into = "BTreeSet<Role>")]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    /// R5.3: refuses any two administrator roles together.
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Result<RoleSet, RoleConflict> {
        let roles: BTreeSet<Role> = roles.into_iter().collect();
        let mut admins = roles.iter().copied().filter(|r| r.is_administrator());
        if let (Some(first), Some(second)) = (admins.next(), admins.next()) {
            return Err(RoleConflict { first, second });
        }
        Ok(RoleSet(roles))
    }

    /// No roles: an ordinary user.
    pub fn none() -> RoleSet {
        RoleSet::default()
    }

    /// A new set with `role` added, refused if it would join a second administrator role.
    pub fn with(&self, role: Role) -> Result<RoleSet, RoleConflict> {
        RoleSet::new(self.0.iter().copied().chain([role]))
    }

    /// True if the role is held.
    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    /// The administrator role held, if any (at most one).
    pub fn administrator(&self) -> Option<Role> {
        self.0.iter().copied().find(|r| r.is_administrator())
    }

    /// The roles, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }
}

impl TryFrom<BTreeSet<Role>> for RoleSet {
    type Error = RoleConflict;
    fn try_from(roles: BTreeSet<Role>) -> Result<RoleSet, RoleConflict> {
        RoleSet::new(roles)
    }
}

impl From<RoleSet> for BTreeSet<Role> {
    fn from(set: RoleSet) -> BTreeSet<Role> {
        set.0
    }
}

/// Two administrator roles asked of one person (R5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("no one may be both {} and {} (R5.3)", .first.en(), .second.en())]
pub struct RoleConflict {
    /// The first administrator role (in [`Role`] order).
    pub first: Role,
    /// The second.
    pub second: Role,
}

impl RoleConflict {
    /// The DOMAIN rule enforced: R5.3.
    pub fn rule(&self) -> RuleId {
        RuleId("R5.3")
    }
}

impl Describe for RoleConflict {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!(
                "同一人不得兼任{}和{}（三员分离，R5.3）",
                self.first.zh(),
                self.second.zh()
            ),
        }
    }
}

/// What a subject asks to do (R13.1: every read and every change goes through [`decide`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read the content of a matter or carrier.
    Read,
    /// Edit the content or record a change to the record.
    Edit,
    /// Copy, excerpt, cite or compile into a derived work (R1.11).
    Derive,
    /// Borrow a carrier (R3.4).
    Borrow,
    /// Carry a carrier out of the office (R3.6).
    CarryOut,
    /// Destroy a carrier or drop a record (R3.9).
    Destroy,
    /// Read the audit trail (R13.2): the security auditor only.
    ReadAuditTrail,
    /// Run the service: configuration, backups, updates (R5.3): the system administrator only.
    ManageService,
    /// Create, disable and change user accounts (R5.3): the system administrator only.
    ManageUsers,
    /// Grant or withdraw a person's rights (R5.3): the security administrator only.
    GrantRights,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 10] = [
        Action::Read,
        Action::Edit,
        Action::Derive,
        Action::Borrow,
        Action::CarryOut,
        Action::Destroy,
        Action::ReadAuditTrail,
        Action::ManageService,
        Action::ManageUsers,
        Action::GrantRights,
    ];

    /// True for the actions of the three administrators (on [`Target::System`] or
    /// [`Target::Account`]); false for content actions (on matters and carriers).
    pub fn is_administrative(self) -> bool {
        self.required_role().is_some()
    }

    /// The one administrator role an administrative action needs (R5.3).
    pub fn required_role(self) -> Option<Role> {
        match self {
            Action::ReadAuditTrail => Some(Role::SecurityAuditor),
            Action::ManageService | Action::ManageUsers => Some(Role::SystemAdministrator),
            Action::GrantRights => Some(Role::SecurityAdministrator),
            _ => None,
        }
    }

    /// True for actions that change the record itself (edit, destroy); these still need the
    /// knowledge scope on a declassified object.
    pub fn changes_record(self) -> bool {
        matches!(self, Action::Edit | Action::Destroy)
    }

    /// The stable machine name (`read`, `carry_out`, …), as in JSON and the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Edit => "edit",
            Action::Derive => "derive",
            Action::Borrow => "borrow",
            Action::CarryOut => "carry_out",
            Action::Destroy => "destroy",
            Action::ReadAuditTrail => "read_audit_trail",
            Action::ManageService => "manage_service",
            Action::ManageUsers => "manage_users",
            Action::GrantRights => "grant_rights",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Action::Read => "阅知",
            Action::Edit => "修改",
            Action::Derive => "复制摘录汇编",
            Action::Borrow => "借阅",
            Action::CarryOut => "携带外出",
            Action::Destroy => "销毁",
            Action::ReadAuditTrail => "查阅审计记录",
            Action::ManageService => "管理系统",
            Action::ManageUsers => "管理用户",
            Action::GrantRights => "授权",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Edit => "edit",
            Action::Derive => "copy, excerpt or compile",
            Action::Borrow => "borrow",
            Action::CarryOut => "carry out",
            Action::Destroy => "destroy",
            Action::ReadAuditTrail => "read the audit trail",
            Action::ManageService => "manage the service",
            Action::ManageUsers => "manage users",
            Action::GrantRights => "grant rights",
        }
    }
}

/// What an action is performed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    /// A classified matter in the ledger.
    Matter(MatterId),
    /// A carrier.
    Carrier(CarrierId),
    /// The system itself: its service and its audit trail.
    System,
    /// A person's account and rights.
    Account(PersonId),
}

/// Whether the object's classification is in force (R1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Classified as its level says (including a matter protected while its level is being
    /// confirmed, R1.10).
    InForce,
    /// Declassified (R1.9): open to read. The caller decides this from the determination
    /// records; a period that ran out without a recorded extension is declassified there.
    Declassified,
}

/// The object of an access decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// What is accessed.
    pub target: Target,
    /// Its level ([`Level::Unclassified`] for open things); for [`Target::System`] and
    /// [`Target::Account`], the level of the system (R5.1).
    pub level: Level,
    /// Who may know it (unused for the system and accounts).
    pub scope: KnowledgeScope,
    /// In force or declassified.
    pub status: Status,
}

impl Object {
    /// A matter in force.
    pub fn matter(id: MatterId, level: Level, scope: KnowledgeScope) -> Object {
        Object::content(Target::Matter(id), level, scope)
    }

    /// A carrier in force.
    pub fn carrier(id: CarrierId, level: Level, scope: KnowledgeScope) -> Object {
        Object::content(Target::Carrier(id), level, scope)
    }

    /// The system itself, at its level (R5.1).
    pub fn system(level: Level) -> Object {
        Object::content(Target::System, level, KnowledgeScope::default())
    }

    /// A person's account in a system of the given level.
    pub fn account(person: PersonId, system_level: Level) -> Object {
        Object::content(
            Target::Account(person),
            system_level,
            KnowledgeScope::default(),
        )
    }

    /// The same object, declassified.
    pub fn declassified(self) -> Object {
        Object {
            status: Status::Declassified,
            ..self
        }
    }

    fn content(target: Target, level: Level, scope: KnowledgeScope) -> Object {
        Object {
            target,
            level,
            scope,
            status: Status::InForce,
        }
    }
}

/// Who asks (R2.1, R5.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The person and where they belong.
    pub membership: Membership,
    /// Their category as recorded for their classified post; `None` for a person without one.
    pub category: Option<Category>,
    /// The day the category stops counting (the day they leave the post, R2.4); `None` while
    /// no leaving is recorded. From this day on, including it, they have no category.
    pub category_ends: Option<Date>,
    /// Their roles.
    pub roles: RoleSet,
}

impl Subject {
    /// The person asking.
    pub fn person(&self) -> PersonId {
        self.membership.person
    }

    /// The category that counts on `on`: `None` without a post or from the day it ends.
    pub fn category_on(&self, on: Date) -> Option<Category> {
        match self.category_ends {
            Some(end) if on >= end => None,
            _ => self.category,
        }
    }

    /// R2.1, R2.4: the highest level the subject's category lets them read on `on` — work
    /// secrets ([`Level::Internal`]) without a category that counts. Lists narrow their queries
    /// with it (a record above it is never a candidate unless open to all); [`decide`] still
    /// decides every row.
    pub fn highest_readable_level(&self, on: Date) -> Level {
        self.category_on(on)
            .map_or(Level::Internal, Category::highest_level)
    }
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", content = "reason", rename_all = "snake_case")]
pub enum Decision {
    /// The subject may perform the action.
    Allow,
    /// The subject may not; the first failing check.
    Deny(DenyReason),
}

impl Decision {
    /// True for [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }

    /// `Ok(())` for allow, the reason otherwise.
    pub fn into_result(self) -> Result<(), DenyReason> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => Err(reason),
        }
    }
}

/// Why access is denied. Serialised with its [`DenyReason::code`] as the `code` field, which
/// the HTTP layer returns in 403 bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum DenyReason {
    /// The action does not apply to this kind of object (a content action on the system, an
    /// administrative action on a matter).
    #[error("{} does not apply to this object (R13.1)", .action.en())]
    NotApplicable {
        /// The action asked for.
        action: Action,
    },
    /// An administrative action without its administrator role (R5.3).
    #[error("only the {} may {} (R5.3)", .role.en(), .action.en())]
    RoleRequired {
        /// The action asked for.
        action: Action,
        /// The one role that may perform it.
        role: Role,
    },
    /// The security administrator granting rights to themselves (R5.3).
    #[error("the security administrator may not grant rights to themselves (R5.3)")]
    SelfGrant,
    /// One of the three administrators asking to change business data: they run the system,
    /// set rights and audit, and change no ledger (R5.3).
    #[error("the {} changes no business data (R5.3)", .role.en())]
    AdministratorChangesNoData {
        /// The administrator role held.
        role: Role,
    },
    /// Not in the knowledge scope (R1.7).
    #[error("you are not in the knowledge scope (R1.7)")]
    NotInScope,
    /// A state secret (or the administration of a classified system) asked by a person who
    /// holds no classified post (R2.1).
    #[error("{} requires classified personnel; you hold no classified post (R2.1)", .level.en())]
    NotClassifiedPersonnel {
        /// The level that needs a category.
        level: Level,
    },
    /// The person left their classified post; their category no longer counts (R2.4).
    #[error("your classified post ended on {ended_on}; you hold no category now (R2.4)")]
    CategoryEnded {
        /// The day the category stopped counting.
        ended_on: Date,
    },
    /// The category does not cover the level (R2.1).
    #[error("{} may not handle {} (R2.1)", .category.en(), .level.en())]
    CategoryTooLow {
        /// The subject's category.
        category: Category,
        /// The object's level.
        level: Level,
    },
}

impl DenyReason {
    /// The stable snake_case code for 403 bodies and logs (equal to the serialised `code`).
    pub fn code(&self) -> &'static str {
        match self {
            DenyReason::NotApplicable { .. } => "not_applicable",
            DenyReason::RoleRequired { .. } => "role_required",
            DenyReason::SelfGrant => "self_grant",
            DenyReason::AdministratorChangesNoData { .. } => "administrator_changes_no_data",
            DenyReason::NotInScope => "not_in_scope",
            DenyReason::NotClassifiedPersonnel { .. } => "not_classified_personnel",
            DenyReason::CategoryEnded { .. } => "category_ended",
            DenyReason::CategoryTooLow { .. } => "category_too_low",
        }
    }

    /// The DOMAIN rule enforced.
    pub fn rule(&self) -> RuleId {
        RuleId(match self {
            DenyReason::NotApplicable { .. } => "R13.1",
            DenyReason::RoleRequired { .. }
            | DenyReason::SelfGrant
            | DenyReason::AdministratorChangesNoData { .. } => "R5.3",
            DenyReason::NotInScope => "R1.7",
            DenyReason::NotClassifiedPersonnel { .. } | DenyReason::CategoryTooLow { .. } => "R2.1",
            DenyReason::CategoryEnded { .. } => "R2.4",
        })
    }
}

impl Describe for DenyReason {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            DenyReason::NotApplicable { action } => {
                format!("该对象不适用“{}”操作（R13.1）", action.zh())
            }
            DenyReason::RoleRequired { action, role } => {
                format!("只有{}可以{}（三员分离，R5.3）", role.zh(), action.zh())
            }
            DenyReason::SelfGrant => "安全保密管理员不得为本人授权（R5.3）".to_owned(),
            DenyReason::AdministratorChangesNoData { role } => {
                format!("{}不得更改业务数据（三员分离，R5.3）", role.zh())
            }
            DenyReason::NotInScope => "您不在知悉范围内（R1.7）".to_owned(),
            DenyReason::NotClassifiedPersonnel { level } => {
                format!("{}须由涉密人员处理，您未在涉密岗位（R2.1）", level.zh())
            }
            DenyReason::CategoryEnded { ended_on } => {
                format!("您已于 {ended_on} 离开涉密岗位，不再具有涉密人员类别（R2.4）")
            }
            DenyReason::CategoryTooLow { category, level } => {
                format!("{}不得处理{}事项（R2.1）", category.zh(), level.zh())
            }
        }
    }
}

/// R13.1: the one access decision. See the module documentation for the rules and the order
/// of checks; the first failing check is reported.
pub fn decide(subject: &Subject, object: &Object, action: Action, on: Date) -> Decision {
    match check(subject, object, action, on) {
        Ok(()) => Decision::Allow,
        Err(reason) => Decision::Deny(reason),
    }
}

/// R5.3: the granter holds the security administrator role and is not the grantee. [`decide`]
/// with [`Action::GrantRights`] on [`Object::account`] runs this check and then also requires
/// the granter's category to cover the system's level.
pub fn may_grant(granter: &Subject, grantee: PersonId) -> Result<(), DenyReason> {
    if !granter.roles.contains(Role::SecurityAdministrator) {
        return Err(DenyReason::RoleRequired {
            action: Action::GrantRights,
            role: Role::SecurityAdministrator,
        });
    }
    if granter.person() == grantee {
        return Err(DenyReason::SelfGrant);
    }
    Ok(())
}

/// R5.3: whether the subject may change business data at all — file, change or decide
/// anything in the ledgers (proposals, matters, carriers, devices, people's records,
/// inventories, escalations, approvals, imports). The three separated administrators may not:
/// the system administrator runs the system, the security administrator sets rights, the
/// security auditor reviews and changes nothing. Their own administrative actions go through
/// [`decide`] with [`Action::ManageService`], [`Action::ManageUsers`] or
/// [`Action::GrantRights`] instead. Everyone else is then decided by the rule of what they ask.
pub fn may_change_business_data(subject: &Subject) -> Result<(), DenyReason> {
    match subject.roles.administrator() {
        Some(role) => Err(DenyReason::AdministratorChangesNoData { role }),
        None => Ok(()),
    }
}

/// R5.3, R13.1: whether a person with `category` (as it counts today) may hold `role` in a
/// system of `system_level`. The three administrators are insiders whose category covers the
/// system's level (a system of work secrets is managed as Secret, R5.1), as [`decide`]
/// requires when they act; a person without a classified post cannot hold one. Other roles
/// need nothing here (their workflows check what they need).
pub fn may_hold_role(
    role: Role,
    category: Option<Category>,
    system_level: Level,
) -> Result<(), RoleHolderError> {
    if !role.is_administrator() {
        return Ok(());
    }
    let level = match system_level {
        Level::Internal | Level::Unclassified => Level::Secret,
        other => other,
    };
    match category {
        Some(c) if c.covers(level) => Ok(()),
        _ => Err(RoleHolderError {
            role,
            level,
            category,
        }),
    }
}

/// An administrator role asked for a person whose category does not cover the system's level
/// (R5.3, R13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{} of a {} system must be classified personnel covering that level; {} (R5.3, R13.1)",
    .role.en(), .level.en(), category_en(.category))]
pub struct RoleHolderError {
    /// The role asked for.
    pub role: Role,
    /// The level the role's holder must be cleared for.
    pub level: Level,
    /// The person's category today, if any.
    pub category: Option<Category>,
}

fn category_en(c: &Option<Category>) -> String {
    match c {
        None => "the person holds no classified post".to_owned(),
        Some(c) => format!("the person is {}", c.en()),
    }
}

impl RoleHolderError {
    /// The DOMAIN rule enforced: R5.3.
    pub fn rule(&self) -> RuleId {
        RuleId("R5.3")
    }

    /// `administrator_not_cleared`.
    pub fn code(&self) -> &'static str {
        "administrator_not_cleared"
    }
}

impl Describe for RoleHolderError {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => {
                let who = match self.category {
                    None => "该人员未在涉密岗位".to_owned(),
                    Some(c) => format!("该人员为{}", c.zh()),
                };
                format!(
                    "{}系统的{}须由涵盖该密级的涉密人员担任，{who}（R5.3、R13.1）",
                    self.level.zh(),
                    self.role.zh()
                )
            }
        }
    }
}

fn check(subject: &Subject, object: &Object, action: Action, on: Date) -> Result<(), DenyReason> {
    let applies = match (action, object.target) {
        (Action::ReadAuditTrail | Action::ManageService, Target::System) => true,
        (Action::ManageUsers, Target::System | Target::Account(_)) => true,
        (Action::GrantRights, Target::Account(_)) => true,
        (a, Target::Matter(_) | Target::Carrier(_)) => !a.is_administrative(),
        _ => false,
    };
    if !applies {
        return Err(DenyReason::NotApplicable { action });
    }
    if let Some(role) = action.required_role() {
        if let (Action::GrantRights, Target::Account(grantee)) = (action, object.target) {
            may_grant(subject, grantee)?;
        } else if !subject.roles.contains(role) {
            return Err(DenyReason::RoleRequired { action, role });
        }
        // Administrators are insiders (R5.3); a work-secret system is managed as Secret (R5.1).
        let managed = match object.level {
            Level::Internal => Level::Secret,
            other => other,
        };
        return check_category(subject, managed, on);
    }
    let open = object.level == Level::Unclassified
        || (object.status == Status::Declassified && !action.changes_record());
    if open {
        return Ok(());
    }
    if !object.scope.includes(&subject.membership) {
        return Err(DenyReason::NotInScope);
    }
    if object.status == Status::Declassified {
        return Ok(());
    }
    check_category(subject, object.level, on)
}

/// R2.1 and R2.4: whether the subject may handle something of `level` at all on `on` — a
/// state-secret level needs a category that counts on that day and covers it; work secrets and
/// unclassified things need none. This is the category check [`decide`] makes for content,
/// without the knowledge scope: for things that are held rather than known, such as a
/// classified device assigned to or carried by a person (R4.1, R4.4).
pub fn check_clearance(subject: &Subject, level: Level, on: Date) -> Result<(), DenyReason> {
    check_category(subject, level, on)
}

/// R2.1 and R2.4: a state-secret level needs a category that counts on `on` and covers it.
fn check_category(subject: &Subject, level: Level, on: Date) -> Result<(), DenyReason> {
    if !level.is_state_secret() {
        return Ok(());
    }
    let Some(category) = subject.category else {
        return Err(DenyReason::NotClassifiedPersonnel { level });
    };
    if let Some(ended_on) = subject.category_ends.filter(|end| on >= *end) {
        return Err(DenyReason::CategoryEnded { ended_on });
    }
    if !category.covers(level) {
        return Err(DenyReason::CategoryTooLow { category, level });
    }
    Ok(())
}
