//! Knowledge scope and the one access decision (DOMAIN R1.7, R2.1, R5.3, R13.1).
//!
//! (The access decision itself is being written; [`KnowledgeScope`] is settled.)

use crate::ids::{DepartmentId, PersonId, UnitId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Who may know a matter (知悉范围, R1.7): named persons where possible; otherwise named units
/// or departments, limited within them to named persons. Rank alone never grants knowledge, so
/// there is no "whole unit" entry: every group names its persons.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KnowledgeScope {
    /// Persons named directly.
    pub persons: BTreeSet<PersonId>,
    /// Units or departments, each limited to named persons who must belong to it.
    pub groups: Vec<ScopeGroup>,
}

/// A unit or department in a knowledge scope, limited to named persons (R1.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeGroup {
    /// The unit or department.
    pub holder: ScopeHolder,
    /// The persons within it who may know; never empty in a valid scope.
    pub persons: BTreeSet<PersonId>,
}

/// The organisation a [`ScopeGroup`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
}
