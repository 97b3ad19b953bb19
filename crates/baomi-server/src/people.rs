//! The person record (R2) as the service keeps it, and how a person becomes an access
//! [`Subject`] (R1.7, R2.1, R5.3).
//!
//! The rules about people live in `baomi_core::personnel` (categories, training, leaving and
//! detachment) and `baomi_core::access` (roles); this is the record that holds their inputs.

use crate::ledger::{level_rank, Ledger};
use baomi_core::access::{Membership, RoleSet, Subject};
use baomi_core::carriers::ApproverRole;
use baomi_core::ids::{DepartmentId, PersonId, UnitId};
use baomi_core::personnel::{Category, Detachment, TrainingRecord};
use baomi_store::{RecordKind, RecordMeta};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where a person stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    /// At work.
    Active,
    /// Left their classified post; in the detachment period (脱密期, R2.4).
    InDetachment,
    /// Gone (detachment over, or never classified).
    Left,
}

impl PersonStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::InDetachment => "in_detachment",
            PersonStatus::Left => "left",
        }
    }
}

/// A person in the unit's ledger (人员台账, R2, R13.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Id.
    pub id: PersonId,
    /// Full name.
    pub name: String,
    /// Their unit.
    pub unit: UnitId,
    /// Their departments.
    #[serde(default)]
    pub departments: BTreeSet<DepartmentId>,
    /// Their post (岗位), free text.
    #[serde(default)]
    pub post: String,
    /// Classified-personnel category of their post (R2.1); `None`: not classified personnel.
    pub category: Option<Category>,
    /// The day they left the classified post (their category no longer counts from then).
    #[serde(default)]
    pub post_ends: Option<Date>,
    /// Service roles (R5.3: at most one of the three administrators).
    pub roles: RoleSet,
    /// The approval roles they hold in their unit (unit head, leader, confidentiality office…).
    #[serde(default)]
    pub approver_roles: BTreeSet<ApproverRole>,
    /// Training attended (R2.3, R12.1).
    #[serde(default)]
    pub training: Vec<TrainingRecord>,
    /// The day they signed the confidentiality commitment (R2.2).
    #[serde(default)]
    pub commitment_signed_on: Option<Date>,
    /// Their detachment period after leaving, if any (R2.4).
    #[serde(default)]
    pub detachment: Option<Detachment>,
    /// Where they stand.
    pub status: PersonStatus,
}

impl Person {
    /// The access subject this person is (R2.1 category with its end, R1.7 membership, R5.3
    /// roles).
    pub fn subject(&self) -> Subject {
        Subject {
            membership: Membership {
                person: self.id,
                unit: self.unit,
                departments: self.departments.clone(),
            },
            category: self.category,
            category_ends: self.post_ends,
            roles: self.roles.clone(),
        }
    }
}

impl Ledger for Person {
    const KIND: RecordKind = RecordKind::Person;

    fn record_id(&self) -> i64 {
        self.id.0
    }

    fn meta(&self) -> RecordMeta {
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(self.unit.0),
            level: self.category.map(|c| level_rank(c.highest_level())),
            status: self.status.code().to_owned(),
            title: self.name.clone(),
            number: None,
            place: None,
            holder: None,
            due_on: self.detachment.as_ref().map(Detachment::ends_on),
            remind_on: None,
            read: None,
        }
    }
}
