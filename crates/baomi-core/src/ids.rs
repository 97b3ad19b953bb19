//! Typed identifiers of the records the rules talk about.
//!
//! The core never allocates identifiers (that is the store's job); it only compares them. Each
//! kind of record has its own type so that a person can never be passed where a unit is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A person (staff member, classifier, administrator).
    PersonId
);
id_type!(
    /// A unit (机关、单位): an organ, enterprise or company.
    UnitId
);
id_type!(
    /// A department inside a unit.
    DepartmentId
);
id_type!(
    /// A classified matter (国家秘密事项) recorded in the ledger.
    MatterId
);
id_type!(
    /// A classified carrier (涉密载体).
    CarrierId
);
id_type!(
    /// A computer, storage medium or piece of office equipment.
    DeviceId
);
id_type!(
    /// An approval given (or refused) by a person; referenced by workflows that need one.
    ApprovalId
);
