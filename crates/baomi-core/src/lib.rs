//! # baomi-core — the rules of confidentiality work as pure functions
//!
//! Every rule of `DOMAIN.md` that Baomi enforces lives here, in a module named after its area,
//! with the rule id (`R1.4`, `R3.6`, …) in its documentation and in the tests that check it.
//!
//! The crate does no I/O, reads no clock and spawns nothing: dates and timestamps are passed in
//! by the caller, so every decision is reproducible and testable. Errors are values; the crate
//! never panics on any input (enforced by the workspace lints).
//!
//! | module | DOMAIN area |
//! |---|---|
//! | [`marks`] | R1.1–R1.3 levels, periods, the `LEVEL★PERIOD` mark |
//! | [`determination`] | R1.4–R1.11 authority, proposals, approval, change, extension, declassification, escalation, derived works |
//! | [`access`] | R1.7, R2.1, R5.3, R13.1 the one access decision and the three administrators |
//! | [`personnel`] | R2 categories, training, detachment, leaving a post, reportable matters |
//! | [`carriers`] | R3 carrier kinds, the carrier state machine, inventory reconciliation |
//! | [`devices`] | R4 device kinds and levels, the password policy (R4.2) |
//! | [`violations`] | R10.1 the twelve serious violations and the checks that detect them |
//! | [`audit`] | R13.2 audit entries and the tamper-evident hash chain (SHA-256 or SM3) |

pub mod access;
pub mod audit;
pub mod carriers;
pub mod determination;
pub mod devices;
pub mod ids;
pub mod marks;
pub mod personnel;
pub mod violations;

mod i18n;

pub use i18n::{date_text, Describe, Lang, RuleId};

/// JSON Schemas for the types that need a hand-written one (dates), with the `schemars`
/// feature: the service describes its requests with them (its OpenAPI document).
#[cfg(feature = "schemars")]
pub mod schema {
    use schemars::{json_schema, Schema, SchemaGenerator};

    /// A calendar date, `2026-03-02`.
    pub fn date(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "date" })
    }

    /// A calendar date or null.
    pub fn date_or_null(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "null"], "format": "date" })
    }
}
