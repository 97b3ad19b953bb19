//! The approvals inbox: every action DOMAIN requires approval for becomes an
//! [`ApprovalRequest`], routed to whoever may approve it (never the requester), and is carried
//! out only when approved (R1.6, R3.4–R3.10, R4.4, R4.7).
//!
//! A request names what it asks for ([`ApprovalSubject`]) and the approver roles the core said
//! it needs. Approving runs the core's own check with the approver's [`Approval`]: if the core
//! refuses (a leader where R3.6 wants the unit head, the requester approving their own
//! request), the request stays pending and the refusal is answered with its rule.

use crate::ledger::{level_rank, Ledger};
use baomi_core::carriers::{ApproverRole, CarrierCommand};
use baomi_core::ids::{PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_store::{RecordKind, RecordMeta};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What an approval request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalSubject {
    /// R1.6: a proposal to classify, decided by a classifier.
    Proposal {
        /// The proposal's record id.
        proposal: i64,
    },
    /// R3.4–R3.10: a carrier command; its approval field(s) are filled with the approver's
    /// approval when it is carried out.
    Carrier {
        /// The carrier's record id.
        carrier: i64,
        /// The command as requested.
        command: CarrierCommand,
    },
    /// R1.11: a copy or excerpt of a carrier.
    CarrierCopy {
        /// The source carrier's record id.
        carrier: i64,
        /// The request's parameters, as the carriers module defines them.
        request: serde_json::Value,
    },
    /// R4.4/R4.7: a device action needing approval (carry-out, scrapping, …).
    Device {
        /// The device's record id.
        device: i64,
        /// The request's parameters, as the devices module defines them.
        request: serde_json::Value,
    },
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Waiting for an approver.
    Pending,
    /// Approved and carried out.
    Approved,
    /// Refused by an approver.
    Refused,
    /// Withdrawn by the requester.
    Withdrawn,
}

impl ApprovalStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Refused => "refused",
            ApprovalStatus::Withdrawn => "withdrawn",
        }
    }
}

/// One decision or refused attempt on a request (the approval chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStep {
    /// Who.
    pub by: PersonId,
    /// In which role (none for a classifier's decision on a proposal).
    pub role: Option<ApproverRole>,
    /// When.
    pub at: Timestamp,
    /// What happened: `approved`, `refused`, `attempt_refused` (the core refused the
    /// approval; the request stays pending), `withdrawn`.
    pub outcome: String,
    /// The approver's reason, or the rule that refused the attempt.
    pub reason: String,
}

/// A request in the approvals inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Id.
    pub id: i64,
    /// The unit in which it is decided.
    pub unit: UnitId,
    /// What it asks for.
    pub subject: ApprovalSubject,
    /// A one-line description for the inbox (number and title of the object, and the action).
    pub title: String,
    /// The level of the object (for the banner and filters).
    pub level: Level,
    /// Who asked.
    pub requested_by: PersonId,
    /// When.
    pub requested_at: Timestamp,
    /// Why (the requester's reason).
    pub reason: String,
    /// The approver roles the core requires; empty for a proposal (a classifier decides).
    pub needed: Vec<ApproverRole>,
    /// Where it stands.
    pub status: ApprovalStatus,
    /// The approval chain.
    pub steps: Vec<ApprovalStep>,
}

impl ApprovalRequest {
    /// The record kind and id of the object it is about (for history pages).
    pub fn object(&self) -> (RecordKind, i64) {
        match &self.subject {
            ApprovalSubject::Proposal { proposal } => (RecordKind::Proposal, *proposal),
            ApprovalSubject::Carrier { carrier, .. }
            | ApprovalSubject::CarrierCopy { carrier, .. } => (RecordKind::Carrier, *carrier),
            ApprovalSubject::Device { device, .. } => (RecordKind::Device, *device),
        }
    }
}

impl Ledger for ApprovalRequest {
    const KIND: RecordKind = RecordKind::Approval;

    fn record_id(&self) -> i64 {
        self.id
    }

    fn meta(&self) -> RecordMeta {
        RecordMeta {
            // A record's page finds the requests about it, and the inbox's `decided` box the
            // requests a person acted in, by index (issue 19).
            about: Some(self.object()),
            parties: Some(self.steps.iter().map(|s| s.by.0).collect()),
            unit: Some(self.unit.0),
            level: Some(level_rank(self.level)),
            status: self.status.code().to_owned(),
            title: self.title.clone(),
            number: None,
            place: None,
            holder: Some(self.requested_by.0),
            due_on: None,
            remind_on: None,
            read: None,
        }
    }
}
