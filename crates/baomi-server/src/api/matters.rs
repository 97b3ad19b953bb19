//! The classified-matters ledger and the determination workflow (定密, DOMAIN R1.4–R1.10) over
//! HTTP.
//!
//! Records (one [`Ledger`] each, stored in the generic `records` table):
//!
//! * [`ProposalEntry`] — a handling officer's proposal (R1.6) with its history. Filing one also
//!   files an approval request (`ApprovalSubject::Proposal`) in the same transaction; the
//!   approvals inbox decides it through [`decide_proposal`].
//! * [`MatterRecord`] — a classified matter (R1.6–R1.9). Its `status` column is the matter's
//!   status on the day it was last saved ([`MatterRecord::as_of`]); the time-driven task moves
//!   it at the end of the term with [`MatterRecord::refresh`].
//! * [`ClassifierGrant`] — a classifier (R1.5), granted by the security administrator (R5.3).
//! * [`AuthorisationRecord`] — an authorisation to classify held by a unit (R1.4).
//! * [`EscalationRecord`] — an unclear matter or a dispute (R1.10).
//!
//! Every rule is the core's: access goes through `baomi_core::access::decide` (a proposal or an
//! escalation is decided as the matter it is about, with the people its workflow needs — the
//! proposer, the classifiers who may decide it — added to the proposed scope), every step is a
//! `baomi_core::determination` method, and a refusal is answered 422 with its rule and audited.
//!
//! Routes (all under `/api/v1`):
//!
//! | method | path | what |
//! |---|---|---|
//! | GET, POST | `/proposals` | list (visible only), file (R1.6) |
//! | GET | `/proposals/{id}` | one proposal with its history |
//! | GET | `/matters` | the ledger (visible only, filter/sort/page) |
//! | GET | `/matters/export?format=csv\|xlsx` | the visible ledger as a file |
//! | GET | `/matters/{id}` | one matter with its history |
//! | POST | `/matters/{id}/change` | R1.8 change of level, period or scope |
//! | POST | `/matters/{id}/extend` | R1.9 extension before the end |
//! | POST | `/matters/{id}/declassify` | R1.9 early declassification |
//! | POST | `/matters/{id}/review` | R1.9 yearly review, kept as it is |
//! | POST | `/matters/{id}/condition-met` | R1.9 declassification condition met |
//! | GET, POST | `/escalations` | R1.10 list, open (unclear matter or dispute) |
//! | GET | `/escalations/{id}` | one case |
//! | POST | `/escalations/{id}/{step}` | submit, forward, decide, answer, accept, escalate |
//! | GET, POST | `/classifiers` | R1.5 grants; granting is the security administrator's (R5.3) |
//! | GET, POST | `/authorisations` | R1.4 authorisations held by units |
//! | POST | `/authorisations/{id}/withdraw` | R1.4 withdrawal |

use crate::api::common;
use crate::approvals::{ApprovalRequest, ApprovalStatus, ApprovalSubject};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::export::{self, ExportFormat, ExportQuery};
use crate::ledger::{self, level_rank, Ledger, ListQuery, Page};
use crate::people::Person;
use crate::state::{civil_day, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_core::access::{
    self, Action as Access, KnowledgeScope, Object, Organisation, Role, ScopeGroup,
};
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome};
use baomi_core::determination::{
    Action as EventAction, Authorisation, ClassifiedMatter, Classifier, Dispute, EarlyGround,
    Event, MatterChange, MatterStatus, Proposal, ProposalRecord, ProposalState, Refusal, Stage,
    Step, SubjectArea, UnclearMatter, Unit, UnitDirectory, UnitTier,
};
use baomi_core::ids::{MatterId, PersonId, UnitId};
use baomi_core::marks::{
    add_years, LegalBasis, Level, Mark, MarkError, Term, MAX_YEARS_WITH_OVERRIDE,
};
use baomi_core::{Describe, Lang, RuleId};
use baomi_store::{
    ReadTx, RecordFilter, RecordKind, RecordMeta, RecordOrder, StoreError, StoredRecord, WriteTx,
};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;

// ─────────────────────────────────────────── Records ───────────────────────────────────────────

/// A proposal to classify (定密意见, R1.6) as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalEntry {
    /// Record id.
    pub id: i64,
    /// The proposal, its state and its history (the core's).
    pub record: ProposalRecord,
}

impl ProposalEntry {
    /// `pending`, `approved` or `rejected`.
    pub fn status_code(&self) -> &'static str {
        match self.record.state() {
            ProposalState::Pending => "pending",
            ProposalState::Approved { .. } => "approved",
            ProposalState::Rejected { .. } => "rejected",
        }
    }
}

impl Ledger for ProposalEntry {
    const KIND: RecordKind = RecordKind::Proposal;

    fn record_id(&self) -> i64 {
        self.id
    }

    fn meta(&self) -> RecordMeta {
        let p = self.record.proposal();
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(p.unit.0),
            level: Some(level_rank(p.mark.level())),
            status: self.status_code().to_owned(),
            title: p.title.clone(),
            number: None,
            place: None,
            holder: Some(p.proposer.0),
            due_on: None,
            remind_on: None,
            read: None,
        }
    }
}

/// A classified matter in the ledger (国家秘密事项台账, R1.6–R1.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterRecord {
    /// The matter (the core's aggregate, with its history).
    pub matter: ClassifiedMatter,
    /// The day the record was last saved: the `status` and `due_on` columns are as of this day.
    pub as_of: Date,
}

/// The stored status code of a matter status: `not_yet_classified`, `in_force`, `declassified`.
pub fn status_code(status: &MatterStatus) -> &'static str {
    match status {
        MatterStatus::NotYetClassified => "not_yet_classified",
        MatterStatus::InForce { .. } => "in_force",
        MatterStatus::Declassified { .. } => "declassified",
    }
}

impl MatterRecord {
    /// The record of `matter` as of `as_of`.
    pub fn new(matter: ClassifiedMatter, as_of: Date) -> MatterRecord {
        MatterRecord { matter, as_of }
    }

    /// The matter's status on the day the record was saved (what the `status` column holds).
    pub fn stored_status(&self) -> MatterStatus {
        self.matter.status_on(self.as_of)
    }

    /// R1.9: moves the record to `today`; true when the stored status changes (a term ended:
    /// the caller saves the record and audits the automatic declassification).
    pub fn refresh(&mut self, today: Date) -> bool {
        let before = status_code(&self.stored_status());
        self.as_of = today.max(self.as_of);
        before != status_code(&self.stored_status())
    }

    /// The object of an access decision on `today`: the matter at its level and scope,
    /// declassified once its status says so (R1.9, R13.1).
    pub fn object(&self, today: Date) -> Object {
        let m = &self.matter;
        let object = Object::matter(m.id(), m.mark().level(), m.scope().clone());
        match m.status_on(today) {
            MatterStatus::Declassified { .. } => object.declassified(),
            _ => object,
        }
    }
}

impl Ledger for MatterRecord {
    const KIND: RecordKind = RecordKind::Matter;

    fn record_id(&self) -> i64 {
        self.matter.id().0
    }

    fn meta(&self) -> RecordMeta {
        let m = &self.matter;
        let status = self.stored_status();
        let due_on = match status {
            MatterStatus::InForce { declassifies_on } => declassifies_on,
            _ => None,
        };
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(m.unit().0),
            level: Some(level_rank(m.mark().level())),
            status: status_code(&status).to_owned(),
            title: m.title().to_owned(),
            number: None,
            place: None,
            holder: Some(m.classifier().0),
            due_on,
            // R1.9: the yearly review, for reminders.
            remind_on: m.next_review_due(self.as_of),
            // R1.7, R2.1, R1.9: read by its scope at its level; open to all once declassified.
            read: Some(ledger::read_index(
                (RecordKind::Matter, m.id().0),
                m.scope(),
                m.mark().level(),
                m.declassified_from(),
            )),
        }
    }
}

/// A classifier grant (定密责任人, R1.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifierGrant {
    /// Record id.
    pub id: i64,
    /// The grant (the core's).
    #[serde(flatten)]
    pub classifier: Classifier,
}

impl Ledger for ClassifierGrant {
    const KIND: RecordKind = RecordKind::Classifier;

    fn record_id(&self) -> i64 {
        self.id
    }

    fn meta(&self) -> RecordMeta {
        let c = &self.classifier;
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(c.unit.0),
            level: Some(level_rank(c.highest_level)),
            status: if c.is_head { "head" } else { "designated" }.to_owned(),
            title: format!("定密责任人 {}", c.person),
            number: None,
            place: None,
            holder: Some(c.person.0),
            due_on: c.certificate_expires,
            remind_on: None,
            read: None,
        }
    }
}

/// An authorisation to classify held by a unit (定密授权, R1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisationRecord {
    /// Record id.
    pub id: i64,
    /// The unit holding it.
    pub unit: UnitId,
    /// The authorisation (the core's).
    pub authorisation: Authorisation,
}

impl Ledger for AuthorisationRecord {
    const KIND: RecordKind = RecordKind::Authorisation;

    fn record_id(&self) -> i64 {
        self.id
    }

    fn meta(&self) -> RecordMeta {
        let a = &self.authorisation;
        let areas: Vec<&str> = a.subject_areas.iter().map(|s| s.0.as_str()).collect();
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(self.unit.0),
            level: Some(level_rank(a.highest_level)),
            status: if a.withdrawn_on.is_some() {
                "withdrawn"
            } else {
                "granted"
            }
            .to_owned(),
            title: areas.join("、"),
            number: None,
            place: None,
            holder: None,
            due_on: None,
            remind_on: None,
            read: None,
        }
    }
}

/// The workflow of an escalation (R1.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "workflow", rename_all = "snake_case")]
pub enum EscalationCase {
    /// A matter the catalogue does not cover, protected while a department confirms it.
    Unclear(UnclearMatter),
    /// A disputed determination.
    Dispute(Dispute),
}

/// An unclear matter or a dispute (R1.10) as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRecord {
    /// Record id.
    pub id: i64,
    /// The unit where it was opened.
    pub unit: UnitId,
    /// Who opened it.
    pub opened_by: PersonId,
    /// The matter's title (the proposal's, or the disputed matter's).
    pub title: String,
    /// For a dispute: the disputed matter's level when it was raised.
    pub level: Level,
    /// The workflow.
    pub case: EscalationCase,
}

impl EscalationRecord {
    /// The level the case is protected at now: an unclear matter's protected level (R1.10),
    /// a dispute's matter level.
    pub fn protected_level(&self) -> Level {
        match &self.case {
            EscalationCase::Unclear(u) => u.protected_level().unwrap_or(Level::Internal),
            EscalationCase::Dispute(_) => self.level,
        }
    }

    /// Its stage.
    pub fn stage(&self) -> Stage {
        match &self.case {
            EscalationCase::Unclear(u) => u.stage(),
            EscalationCase::Dispute(d) => d.stage(),
        }
    }

    /// The current stage's deadline.
    pub fn deadline(&self) -> Option<Date> {
        match &self.case {
            EscalationCase::Unclear(u) => u.deadline(),
            EscalationCase::Dispute(d) => d.deadline(),
        }
    }

    /// Every step, oldest first.
    pub fn history(&self) -> &[Event] {
        match &self.case {
            EscalationCase::Unclear(u) => u.history(),
            EscalationCase::Dispute(d) => d.history(),
        }
    }

    /// `unclear` or `dispute`.
    pub fn kind_code(&self) -> &'static str {
        match &self.case {
            EscalationCase::Unclear(_) => "unclear",
            EscalationCase::Dispute(_) => "dispute",
        }
    }
}

/// The stored code of a stage.
pub fn stage_code(stage: Stage) -> &'static str {
    match stage {
        Stage::Protected => "protected",
        Stage::WithClassifier => "with_classifier",
        Stage::Answered => "answered",
        Stage::WithDepartment => "with_department",
        Stage::Decided => "decided",
    }
}

impl Ledger for EscalationRecord {
    const KIND: RecordKind = RecordKind::Escalation;

    fn record_id(&self) -> i64 {
        self.id
    }

    fn meta(&self) -> RecordMeta {
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(self.unit.0),
            level: Some(level_rank(self.protected_level())),
            status: stage_code(self.stage()).to_owned(),
            title: self.title.clone(),
            number: None,
            place: None,
            holder: Some(self.opened_by.0),
            due_on: self.deadline(),
            remind_on: None,
            read: None,
        }
    }
}

// ───────────────────────────────────── Reading the records ─────────────────────────────────────

/// A transaction the ledgers can be read in: [`ReadTx`] or [`WriteTx`].
pub trait RecordSource: Send {
    /// Every unit.
    fn units(&mut self) -> impl Future<Output = Result<Vec<baomi_store::Unit>, StoreError>> + Send;
    /// The records of `kind` matching `filter`, by id.
    fn records(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
    ) -> impl Future<Output = Result<Vec<StoredRecord>, StoreError>> + Send;
}

impl RecordSource for ReadTx {
    async fn units(&mut self) -> Result<Vec<baomi_store::Unit>, StoreError> {
        self.list_units().await
    }

    async fn records(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.list_records(kind, filter, RecordOrder::Id, false)
            .await
    }
}

impl RecordSource for WriteTx {
    async fn units(&mut self) -> Result<Vec<baomi_store::Unit>, StoreError> {
        self.list_units().await
    }

    async fn records(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        self.list_records(kind, filter, RecordOrder::Id, false)
            .await
    }
}

fn decode<T: Ledger>(record: &StoredRecord) -> ApiResult<T> {
    serde_json::from_str(&record.body).map_err(|e| {
        ApiError::internal(&format!(
            "{} {} does not decode: {e}",
            T::KIND.as_str(),
            record.id
        ))
    })
}

async fn all_of<T: Ledger + Send, S: RecordSource>(
    tx: &mut S,
    filter: &RecordFilter,
) -> ApiResult<Vec<T>> {
    tx.records(T::KIND, filter)
        .await?
        .iter()
        .map(decode::<T>)
        .collect()
}

/// R1.4: the units as the rules see them — tiers and superiors from the store's units table,
/// authorisations from the [`AuthorisationRecord`] ledger (withdrawn ones included, for the
/// record).
pub async fn unit_directory<S: RecordSource>(tx: &mut S) -> ApiResult<UnitDirectory> {
    let units = tx.units().await?;
    let authorisations: Vec<AuthorisationRecord> = all_of(tx, &RecordFilter::default()).await?;
    let mut by_unit: BTreeMap<UnitId, Vec<Authorisation>> = BTreeMap::new();
    for a in authorisations {
        by_unit.entry(a.unit).or_default().push(a.authorisation);
    }
    Ok(UnitDirectory::new(units.into_iter().map(|u| Unit {
        authorisations: by_unit.remove(&u.id).unwrap_or_default(),
        id: u.id,
        name: u.name,
        tier: u.tier,
        superior: u.superior,
    })))
}

/// The classifier grants, all or one person's.
pub async fn classifier_grants<S: RecordSource>(
    tx: &mut S,
    person: Option<PersonId>,
) -> ApiResult<Vec<ClassifierGrant>> {
    let filter = RecordFilter {
        holder: person.map(|p| p.0),
        ..RecordFilter::default()
    };
    all_of(tx, &filter).await
}

/// The grant a person acts under for `unit`: one of that unit, else one of a unit above it,
/// else any (the core then refuses it, naming the rule).
pub fn grant_for<'a>(
    grants: &'a [ClassifierGrant],
    person: PersonId,
    unit: UnitId,
    units: &UnitDirectory,
) -> Option<&'a Classifier> {
    let mine = || {
        grants
            .iter()
            .map(|g| &g.classifier)
            .filter(|c| c.person == person)
    };
    mine()
        .find(|c| c.unit == unit)
        .or_else(|| mine().find(|c| units.is_superior_of(c.unit, unit)))
        .or_else(|| mine().next())
}

/// The classifiers who may decide a proposal of `unit`: those of the unit and of the units
/// above it (R1.4, R1.5).
pub fn deciders(
    unit: UnitId,
    grants: &[ClassifierGrant],
    units: &UnitDirectory,
) -> BTreeSet<PersonId> {
    grants
        .iter()
        .map(|g| &g.classifier)
        .filter(|c| c.unit == unit || units.is_superior_of(c.unit, unit))
        .map(|c| c.person)
        .collect()
}

/// Whether `person` is someone the approvals inbox routes this proposal to: it is pending and
/// they are a classifier of the proposing unit or of a unit above it, never the proposer
/// (R1.6). The core decides the rest (level, authority, certificate) when they act.
pub fn may_decide_proposal(
    entry: &ProposalEntry,
    person: PersonId,
    grants: &[ClassifierGrant],
    units: &UnitDirectory,
) -> bool {
    let p = entry.record.proposal();
    matches!(entry.record.state(), ProposalState::Pending)
        && p.proposer != person
        && deciders(p.unit, grants, units).contains(&person)
}

/// The object of an access decision on a proposal (R1.6, R1.7): the core's
/// `ProposalRecord::access_object` — while pending, the matter it would be, known to its
/// proposed scope, its proposer and the classifiers who may decide it; once approved, the
/// matter as it stands now (`matter`, see [`proposal_matter`]); once rejected, its proposed
/// scope, proposer and the classifier who rejected it.
pub fn proposal_object(
    entry: &ProposalEntry,
    grants: &[ClassifierGrant],
    units: &UnitDirectory,
    matter: Option<&Object>,
) -> Object {
    let p = entry.record.proposal();
    entry
        .record
        .access_object(MatterId(entry.id), &deciders(p.unit, grants, units), matter)
}

/// The access object, on `today`, of the matter an approved proposal became (None while it
/// is not approved, or if the matter is missing).
pub async fn proposal_matter(
    tx: &mut ReadTx,
    entry: &ProposalEntry,
    today: Date,
) -> ApiResult<Option<Object>> {
    let ProposalState::Approved { matter, .. } = entry.record.state() else {
        return Ok(None);
    };
    Ok(ledger::load::<MatterRecord>(tx, matter.0)
        .await?
        .map(|m| m.value.object(today)))
}

/// The object of an access decision on an escalation: an unclear matter at its protected level
/// with its proposed scope, opener and proposer; a dispute as its matter, with the disputant
/// and the original classifier.
fn escalation_object(
    record: &EscalationRecord,
    matter: Option<&MatterRecord>,
    today: Date,
) -> Object {
    match (&record.case, matter) {
        (EscalationCase::Unclear(u), _) => {
            let mut scope = u.proposal().scope.clone();
            scope.persons.insert(record.opened_by);
            scope.persons.insert(u.proposal().proposer);
            Object::matter(MatterId(record.id), record.protected_level(), scope)
        }
        (EscalationCase::Dispute(_), Some(m)) => {
            let mut object = m.object(today);
            object.scope.persons.insert(record.opened_by);
            object.scope.persons.insert(m.matter.classifier());
            object
        }
        (EscalationCase::Dispute(d), None) => Object::matter(
            d.matter(),
            record.level,
            KnowledgeScope::of_persons([record.opened_by]),
        ),
    }
}

// ──────────────────────────────────────────── Views ────────────────────────────────────────────

fn refusal_view(refusal: &Refusal) -> Value {
    json!({
        "rule": refusal.rule().0,
        "reason": refusal_code(refusal),
        "message_zh": refusal.describe(Lang::Zh),
        "message_en": refusal.describe(Lang::En),
    })
}

fn event_view(e: &Event) -> Value {
    let refusal = match &e.action {
        EventAction::Refused { refusal } | EventAction::RejectionRefused { refusal } => {
            Some(refusal_view(refusal))
        }
        _ => None,
    };
    json!({
        "by": e.by.0,
        "on": e.on.to_string(),
        "action": e.action,
        "action_zh": e.action.zh(),
        "action_en": e.action.en(),
        "reason": e.reason,
        "refusal": refusal,
    })
}

fn mark_view(mark: &Mark) -> Value {
    json!({
        "zh": mark.to_zh(),
        "en": mark.to_en(),
        "level": mark.level().code(),
        "term": mark.term(),
    })
}

/// A matter as a list shows it.
pub fn matter_summary(record: &MatterRecord, today: Date) -> Value {
    let m = &record.matter;
    let status = m.status_on(today);
    let declassifies_on = match status {
        MatterStatus::InForce { declassifies_on } => declassifies_on,
        MatterStatus::Declassified { on, .. } => Some(on),
        MatterStatus::NotYetClassified => None,
    };
    json!({
        "id": m.id().0,
        "title": m.title(),
        "level": m.mark().level().code(),
        "level_zh": m.mark().level().zh(),
        "mark": m.mark().to_zh(),
        "mark_en": m.mark().to_en(),
        "status": status_code(&status),
        "status_detail": status,
        "unit": m.unit().0,
        "proposing_unit": m.proposing_unit().0,
        "classifier": m.classifier().0,
        "proposer": m.proposer().0,
        "classified_on": m.classified_on().to_string(),
        "declassifies_on": declassifies_on.map(|d| d.to_string()),
        "next_review_due": m.next_review_due(today).map(|d| d.to_string()),
    })
}

/// A matter with everything: scope, basis, authority and its history of events (R1.6).
pub fn matter_detail(record: &MatterRecord, today: Date) -> Value {
    let m = &record.matter;
    let mut view = matter_summary(record, today);
    if let Some(map) = view.as_object_mut() {
        map.insert("mark_detail".into(), mark_view(m.mark()));
        map.insert("scope".into(), json!(m.scope()));
        map.insert("basis".into(), json!(m.basis()));
        map.insert("subject_area".into(), json!(m.subject_area()));
        map.insert("authority".into(), json!(m.authority()));
        map.insert("period_override".into(), json!(m.period_override()));
        map.insert(
            "last_reviewed_on".into(),
            json!(m.last_reviewed_on().map(|d| d.to_string())),
        );
        map.insert(
            "history".into(),
            Value::Array(m.history().iter().map(event_view).collect()),
        );
    }
    view
}

/// A proposal, with its history.
pub fn proposal_view(entry: &ProposalEntry) -> Value {
    let p = entry.record.proposal();
    json!({
        "id": entry.id,
        "title": p.title,
        "level": p.mark.level().code(),
        "mark": p.mark.to_zh(),
        "mark_en": p.mark.to_en(),
        "mark_detail": mark_view(&p.mark),
        "scope": p.scope,
        "basis": p.basis,
        "subject_area": p.subject_area,
        "proposer": p.proposer.0,
        "unit": p.unit.0,
        "proposed_on": p.proposed_on.to_string(),
        "period_override": p.period_override,
        "status": entry.status_code(),
        "state": entry.record.state(),
        "history": entry.record.history().iter().map(event_view).collect::<Vec<_>>(),
    })
}

fn escalation_view(record: &EscalationRecord, today: Date) -> Value {
    let (detail, overdue) = match &record.case {
        EscalationCase::Unclear(u) => (
            json!({
                "proposal": {
                    "title": u.proposal().title,
                    "mark": u.proposal().mark.to_zh(),
                    "mark_en": u.proposal().mark.to_en(),
                    "scope": u.proposal().scope,
                    "basis": u.proposal().basis,
                    "subject_area": u.proposal().subject_area,
                    "proposer": u.proposal().proposer.0,
                },
                "department": u.department(),
                "final_level": u.final_level().map(Level::code),
            }),
            u.is_overdue(today),
        ),
        EscalationCase::Dispute(d) => (
            json!({
                "matter": d.matter().0,
                "department": d.department(),
                "final_level": d.final_level().map(Level::code),
            }),
            d.is_overdue(today),
        ),
    };
    json!({
        "id": record.id,
        "kind": record.kind_code(),
        "unit": record.unit.0,
        "opened_by": record.opened_by.0,
        "title": record.title,
        "protected_level": record.protected_level().code(),
        "stage": stage_code(record.stage()),
        "stage_zh": record.stage().zh(),
        "stage_en": record.stage().en(),
        "deadline": record.deadline().map(|d| d.to_string()),
        "overdue": overdue,
        "detail": detail,
        "history": record.history().iter().map(event_view).collect::<Vec<_>>(),
    })
}

// ─────────────────────────────────────────── Helpers ───────────────────────────────────────────

/// The snake_case name of a refusal (its serde tag), the `reason` of a 422.
pub fn refusal_code(refusal: &Refusal) -> String {
    serde_json::to_value(refusal)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "refused".to_owned())
}

/// The 422 of a core refusal, not audited (for callers that audit it themselves).
pub fn refused(refusal: &Refusal, lang: Lang) -> ApiError {
    ApiError::refused(refusal, refusal.rule(), refusal_code(refusal)).in_lang(lang)
}

fn not_classifier(lang: Lang) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "您不是定密责任人，无定密权（R1.5）",
        "you are not a classifier and hold no authority to classify (R1.5)",
    )
    .with_rule(RuleId("R1.5"))
    .with_reason("not_classifier")
    .in_lang(lang)
}

/// Audits and answers the 403 for a person with no classifier grant (R1.5).
async fn deny_not_classifier(
    state: &AppState,
    principal: &Principal,
    object: ObjectRef,
    audit_action: &str,
) -> ApiError {
    let draft = AuditDraft::new(state.clock.now(), principal.actor(), audit_action)
        .on(object)
        .outcome(Outcome::Denied {
            reason: "not_classifier".to_owned(),
        })
        .detail(json!({ "rule": "R1.5" }).to_string());
    match state.audit.record(draft).await {
        Ok(_) => not_classifier(principal.lang),
        Err(e) => e,
    }
}

/// Audits a core refusal and answers 422 with its rule.
async fn refuse(
    state: &AppState,
    principal: &Principal,
    object: Option<ObjectRef>,
    audit_action: &str,
    refusal: &Refusal,
) -> ApiError {
    common::refuse(
        state,
        principal,
        object,
        audit_action,
        refusal,
        refusal.rule(),
        &refusal_code(refusal),
    )
    .await
}

fn parse_body<T: DeserializeOwned>(principal: &Principal, body: Value) -> ApiResult<T> {
    super::reject::from_value(body).map_err(|e| e.in_lang(principal.lang))
}

fn parse_level(principal: &Principal, field: &str, code: &str) -> ApiResult<Level> {
    Level::from_code(code.trim()).ok_or_else(|| {
        common::invalid(
            principal,
            field,
            "应为 top_secret、confidential、secret、internal 或 unclassified",
            "must be top_secret, confidential, secret, internal or unclassified",
        )
    })
}

fn parse_mark(text: &str, basis: Option<&LegalBasis>) -> Result<Mark, MarkError> {
    match basis {
        Some(b) => Mark::parse_with_override(text, b),
        None => Mark::parse(text),
    }
}

// ────────────────────────────── Period overrides (R1.2) ──────────────────────────────

/// The longest legal basis accepted for a period beyond R1.2, in characters.
pub const MAX_OVERRIDE_BASIS_CHARS: usize = 200;

/// Why a period beyond R1.2's longest is not accepted on the legal basis given. R1.2: the
/// longest period applies "unless a rule says otherwise" — so the basis must name that rule
/// (a law, regulation or catalogue item), and the period must be one that needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideRefusal {
    /// The basis is blank.
    Empty,
    /// The basis is longer than [`MAX_OVERRIDE_BASIS_CHARS`].
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// The basis contains a control character.
    ControlCharacter,
    /// The basis names no law, regulation or catalogue item (`《…》`, `保密事项范围`, or an
    /// English "Law", "Act", "Regulation", "Article", "Catalogue"…).
    NoInstrument,
    /// The period fits R1.2 (or has no fixed end): there is nothing to override.
    NotNeeded {
        /// The level.
        level: Level,
    },
    /// The period ends after the outer bound of [`MAX_YEARS_WITH_OVERRIDE`] years.
    BeyondOuterLimit {
        /// The last day a period may end on.
        latest: Date,
    },
}

impl OverrideRefusal {
    /// The rule: R1.2.
    pub fn rule(&self) -> RuleId {
        RuleId("R1.2")
    }

    /// The `reason` of the 422.
    pub fn code(&self) -> &'static str {
        match self {
            OverrideRefusal::Empty => "override_basis_empty",
            OverrideRefusal::TooLong { .. } => "override_basis_too_long",
            OverrideRefusal::ControlCharacter => "override_basis_invalid",
            OverrideRefusal::NoInstrument => "override_basis_names_no_law",
            OverrideRefusal::NotNeeded { .. } => "override_not_needed",
            OverrideRefusal::BeyondOuterLimit { .. } => "override_period_too_long",
        }
    }
}

impl Describe for OverrideRefusal {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (OverrideRefusal::Empty, Lang::Zh) => {
                "超出最长保密期限须写明法律依据，依据不能为空（R1.2）".to_owned()
            }
            (OverrideRefusal::Empty, Lang::En) => {
                "a period beyond the longest needs its legal basis; the basis is blank (R1.2)"
                    .to_owned()
            }
            (OverrideRefusal::TooLong { chars }, Lang::Zh) => format!(
                "法律依据过长（{chars} 字），不得超过 {MAX_OVERRIDE_BASIS_CHARS} 字（R1.2）"
            ),
            (OverrideRefusal::TooLong { chars }, Lang::En) => format!(
                "the legal basis is too long ({chars} characters, at most \
                 {MAX_OVERRIDE_BASIS_CHARS}) (R1.2)"
            ),
            (OverrideRefusal::ControlCharacter, Lang::Zh) => {
                "法律依据含有控制字符（R1.2）".to_owned()
            }
            (OverrideRefusal::ControlCharacter, Lang::En) => {
                "the legal basis contains a control character (R1.2)".to_owned()
            }
            (OverrideRefusal::NoInstrument, Lang::Zh) => {
                "法律依据须写明具体的法律、法规或保密事项范围条目，如《……》第×条（R1.2）"
                    .to_owned()
            }
            (OverrideRefusal::NoInstrument, Lang::En) => {
                "the legal basis must name the law, regulation or catalogue item, e.g. \
                 《…》 Article n (R1.2)"
                    .to_owned()
            }
            (OverrideRefusal::NotNeeded { level }, Lang::Zh) => format!(
                "该期限未超出{}的最长保密期限，无需也不得援引例外依据（R1.2）",
                level.zh()
            ),
            (OverrideRefusal::NotNeeded { level }, Lang::En) => format!(
                "the period does not exceed the longest period for {}; no override applies \
                 (R1.2)",
                level.en()
            ),
            (OverrideRefusal::BeyondOuterLimit { latest }, Lang::Zh) => format!(
                "即使有法律依据，保密期限也不得超过 {MAX_YEARS_WITH_OVERRIDE} 年（最晚 {latest}）（R1.2）"
            ),
            (OverrideRefusal::BeyondOuterLimit { latest }, Lang::En) => format!(
                "even with a legal basis a period may not exceed {MAX_YEARS_WITH_OVERRIDE} \
                 years (ending {latest} at the latest) (R1.2)"
            ),
        }
    }
}

/// True when `text` names a legal instrument: a title in `《》`, the catalogue
/// (`保密事项范围`), or an English law, act, regulation, rule, code, article or catalogue.
fn names_an_instrument(text: &str) -> bool {
    let titled = text
        .split_once('《')
        .and_then(|(_, rest)| rest.split_once('》'))
        .is_some_and(|(title, _)| !title.trim().is_empty());
    if titled || text.contains("保密事项范围") {
        return true;
    }
    const WORDS: [&str; 10] = [
        "law",
        "laws",
        "act",
        "regulation",
        "regulations",
        "rules",
        "code",
        "article",
        "art",
        "catalogue",
    ];
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)))
}

/// R1.2: the legal basis a request gives for a period beyond the level's longest; `None` when
/// none is given. Refused when blank, longer than [`MAX_OVERRIDE_BASIS_CHARS`], with a control
/// character, or naming no law, regulation or catalogue item.
pub fn override_basis(text: Option<&str>) -> Result<Option<LegalBasis>, OverrideRefusal> {
    let Some(text) = text else {
        return Ok(None);
    };
    let t = text.trim();
    let chars = t.chars().count();
    if chars == 0 {
        return Err(OverrideRefusal::Empty);
    }
    if chars > MAX_OVERRIDE_BASIS_CHARS {
        return Err(OverrideRefusal::TooLong { chars });
    }
    if t.chars().any(char::is_control) {
        return Err(OverrideRefusal::ControlCharacter);
    }
    if !names_an_instrument(t) {
        return Err(OverrideRefusal::NoInstrument);
    }
    LegalBasis::new(t).map(Some).ok_or(OverrideRefusal::Empty)
}

/// R1.2: a period given with a legal basis must need it — a number of years or an end date
/// beyond the level's longest period counted from `from` (the date of classification) — and
/// still end within [`MAX_YEARS_WITH_OVERRIDE`] years of `from`.
pub fn check_override(level: Level, term: &Term, from: Date) -> Result<(), OverrideRefusal> {
    let Some(longest) = level.longest_period_years() else {
        return Err(OverrideRefusal::NotNeeded { level });
    };
    let latest = add_years(from, MAX_YEARS_WITH_OVERRIDE);
    match term {
        Term::Years { years } if *years > MAX_YEARS_WITH_OVERRIDE => {
            Err(OverrideRefusal::BeyondOuterLimit { latest })
        }
        Term::Years { years } if *years > longest => Ok(()),
        Term::Until { date } if *date > latest => Err(OverrideRefusal::BeyondOuterLimit { latest }),
        Term::Until { date } if *date > add_years(from, longest) => Ok(()),
        _ => Err(OverrideRefusal::NotNeeded { level }),
    }
}

/// Why a proposal's mark is not accepted as given: malformed (R1.3) or an override R1.2 does
/// not allow.
#[derive(Debug, Clone)]
pub enum MarkInputError {
    /// The mark does not parse or exceeds R1.2 without a basis.
    Mark(MarkError),
    /// The legal basis for a longer period is refused.
    Override(OverrideRefusal),
}

impl MarkInputError {
    /// The rule.
    pub fn rule(&self) -> RuleId {
        match self {
            MarkInputError::Mark(e) => e.rule(),
            MarkInputError::Override(o) => o.rule(),
        }
    }

    /// The `reason` of the 422.
    pub fn code(&self) -> &'static str {
        match self {
            MarkInputError::Mark(_) => "invalid_mark",
            MarkInputError::Override(o) => o.code(),
        }
    }
}

impl Describe for MarkInputError {
    fn describe(&self, lang: Lang) -> String {
        match self {
            MarkInputError::Mark(e) => e.describe(lang),
            MarkInputError::Override(o) => o.describe(lang),
        }
    }
}

/// Why a step on a matter is refused: the core's refusal, or R1.2's check of an override.
#[derive(Debug)]
enum StepRefusal {
    Core(Refusal),
    Override(OverrideRefusal),
}

impl From<Refusal> for StepRefusal {
    fn from(r: Refusal) -> StepRefusal {
        StepRefusal::Core(r)
    }
}

// ─────────────────────── Who may grant authority (R1.4, R1.5, R5.3) ───────────────────────

/// Why the security administrator may not record a classifier grant (R1.5) or an
/// authorisation to classify (R1.4) as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRefusal {
    /// The person is of neither the administrator's unit nor a unit under it (R5.3).
    OutsideOwnUnit {
        /// The person's unit.
        unit: UnitId,
        /// The administrator's unit.
        own: UnitId,
    },
    /// A classifier classifies for their own unit (R1.5); the units above decide through
    /// their own classifiers.
    NotPersonsUnit {
        /// The person.
        person: PersonId,
        /// Their unit.
        person_unit: UnitId,
        /// The unit asked for.
        unit: UnitId,
    },
    /// Not a state-secret level (R1.1).
    NotAStateSecret {
        /// The level asked for.
        level: Level,
    },
    /// The unit may set no level at all, by tier or authorisation in force (R1.4): it
    /// applies to the authority above it and has no classifiers of its own.
    UnitWithoutAuthority {
        /// The unit.
        unit: UnitId,
    },
    /// Above what the unit may set (R1.4).
    AboveUnitAuthority {
        /// The unit.
        unit: UnitId,
        /// The level asked for.
        level: Level,
        /// The highest level it may set.
        highest: Level,
    },
    /// An authorisation is recorded by the security administrator of the granting organ (or
    /// of a unit above it), not of another unit (R5.3).
    NotGrantingSide {
        /// The granting organ.
        granted_by: UnitId,
        /// The administrator's unit.
        own: UnitId,
    },
    /// A unit cannot authorise itself (R1.4).
    SelfAuthorisation {
        /// The unit.
        unit: UnitId,
    },
    /// The granting organ is not above the unit (R1.4: authority is granted by higher organs).
    GranterNotSuperior {
        /// The unit authorised.
        unit: UnitId,
        /// The granting organ.
        granted_by: UnitId,
    },
    /// The granting organ has no statutory authority to pass on (R1.4).
    GranterWithoutAuthority {
        /// The granting organ.
        granted_by: UnitId,
        /// Its tier.
        tier: UnitTier,
    },
    /// Above what the granting organ may itself set (R1.4).
    AboveGranterAuthority {
        /// The granting organ.
        granted_by: UnitId,
        /// The level asked for.
        level: Level,
        /// The highest level it may set.
        highest: Level,
    },
    /// No subject area, or a blank one (R1.4: an authorisation is limited to its areas).
    NoSubjectArea,
}

impl GrantRefusal {
    /// 403 for who may not record it, 422 for what may not be recorded.
    pub fn status(&self) -> StatusCode {
        match self {
            GrantRefusal::OutsideOwnUnit { .. } | GrantRefusal::NotGrantingSide { .. } => {
                StatusCode::FORBIDDEN
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    /// The rule enforced.
    pub fn rule(&self) -> RuleId {
        RuleId(match self {
            GrantRefusal::OutsideOwnUnit { .. } | GrantRefusal::NotGrantingSide { .. } => "R5.3",
            GrantRefusal::NotPersonsUnit { .. } => "R1.5",
            GrantRefusal::NotAStateSecret { .. } => "R1.1",
            _ => "R1.4",
        })
    }

    /// The `reason` of the answer and of the audited denial.
    pub fn code(&self) -> &'static str {
        match self {
            GrantRefusal::OutsideOwnUnit { .. } => "outside_own_unit",
            GrantRefusal::NotPersonsUnit { .. } => "not_persons_unit",
            GrantRefusal::NotAStateSecret { .. } => "not_a_state_secret",
            GrantRefusal::UnitWithoutAuthority { .. } => "unit_without_authority",
            GrantRefusal::AboveUnitAuthority { .. } => "above_unit_authority",
            GrantRefusal::NotGrantingSide { .. } => "not_granting_side",
            GrantRefusal::SelfAuthorisation { .. } => "self_authorisation",
            GrantRefusal::GranterNotSuperior { .. } => "granter_not_superior",
            GrantRefusal::GranterWithoutAuthority { .. } => "granter_without_authority",
            GrantRefusal::AboveGranterAuthority { .. } => "above_granter_authority",
            GrantRefusal::NoSubjectArea => "no_subject_area",
        }
    }

    fn error(&self) -> ApiError {
        let code = if self.status() == StatusCode::FORBIDDEN {
            "forbidden"
        } else {
            "refused"
        };
        ApiError::new(
            self.status(),
            code,
            self.describe(Lang::Zh),
            self.describe(Lang::En),
        )
        .with_rule(self.rule())
        .with_reason(self.code())
    }
}

impl Describe for GrantRefusal {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            GrantRefusal::OutsideOwnUnit { unit, own } => (
                format!("单位 {unit} 不是您所在单位（{own}）或其下级单位，您不能为其人员授权（R5.3）"),
                format!("unit {unit} is neither your unit ({own}) nor under it; you may not grant rights to its people (R5.3)"),
            ),
            GrantRefusal::NotPersonsUnit { person, person_unit, unit } => (
                format!("人员 {person} 属于单位 {person_unit}，只能被指定为本单位（而非单位 {unit}）的定密责任人（R1.5）"),
                format!("person {person} belongs to unit {person_unit} and may be a classifier for that unit only, not for unit {unit} (R1.5)"),
            ),
            GrantRefusal::NotAStateSecret { level } => (
                format!("{}不是国家秘密密级（R1.1）", level.zh()),
                format!("{} is not a state-secret level (R1.1)", level.en()),
            ),
            GrantRefusal::UnitWithoutAuthority { unit } => (
                format!("单位 {unit} 既无法定定密权也无有效的定密授权，应报请上级确定，不能指定定密责任人（R1.4）"),
                format!("unit {unit} holds no authority to classify, by tier or authorisation in force; it applies to the authority above it and has no classifiers (R1.4)"),
            ),
            GrantRefusal::AboveUnitAuthority { unit, level, highest } => (
                format!("单位 {unit} 最高只能确定{}，不能授予{}定密权（R1.4）", highest.zh(), level.zh()),
                format!("unit {unit} may set up to {} only; {} cannot be granted (R1.4)", highest.en(), level.en()),
            ),
            GrantRefusal::NotGrantingSide { granted_by, own } => (
                format!("定密授权应由授权机关（单位 {granted_by}）一方的安全保密管理员登记，您所在单位为 {own}（R5.3）"),
                format!("an authorisation is recorded by the security administrator of the granting organ (unit {granted_by}); yours is unit {own} (R5.3)"),
            ),
            GrantRefusal::SelfAuthorisation { unit } => (
                format!("单位 {unit} 不能自我授权（R1.4）"),
                format!("unit {unit} cannot authorise itself (R1.4)"),
            ),
            GrantRefusal::GranterNotSuperior { unit, granted_by } => (
                format!("单位 {granted_by} 不是单位 {unit} 的上级机关，不能对其授权（R1.4）"),
                format!("unit {granted_by} is not above unit {unit} and cannot authorise it (R1.4)"),
            ),
            GrantRefusal::GranterWithoutAuthority { granted_by, tier } => (
                format!("单位 {granted_by}（{}）无法定定密权，不能作出定密授权（R1.4）", tier.zh()),
                format!("unit {granted_by} ({}) holds no statutory authority to classify and cannot authorise (R1.4)", tier.en()),
            ),
            GrantRefusal::AboveGranterAuthority { granted_by, level, highest } => (
                format!("授权机关（单位 {granted_by}）最高只能确定{}，不能授权确定{}（R1.4）", highest.zh(), level.zh()),
                format!("the granting organ (unit {granted_by}) may set up to {} only and cannot authorise {} (R1.4)", highest.en(), level.en()),
            ),
            GrantRefusal::NoSubjectArea => (
                "定密授权须列明业务领域，且不得为空（R1.4）".to_owned(),
                "an authorisation must name its subject areas, none blank (R1.4)".to_owned(),
            ),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// R1.4: the highest level `unit` may set on `on` — by its tier, or by an authorisation in
/// force capped by what its granting organ may set — as the core's own authority lookup
/// ([`UnitDirectory::unit_authority`]) answers for each level and each subject area the unit
/// holds; `None` when it may set none.
pub fn unit_ceiling(units: &UnitDirectory, unit: UnitId, on: Date) -> Option<Level> {
    let mut areas: BTreeSet<SubjectArea> = units
        .get(unit)
        .map(|u| {
            u.authorisations
                .iter()
                .flat_map(|a| a.subject_areas.iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    areas.insert(SubjectArea::new(""));
    Level::STATE_SECRETS.into_iter().find(|level| {
        areas
            .iter()
            .any(|area| units.unit_authority(unit, *level, area, on).is_ok())
    })
}

/// True when `unit` is `own` or a unit under it.
fn within(units: &UnitDirectory, own: UnitId, unit: UnitId) -> bool {
    unit == own || units.is_superior_of(own, unit)
}

/// R5.3, R1.5, R1.4: may the security administrator of `own` grant `person` (of
/// `person_unit`) classifier authority for `unit` up to `level` on `on`? The person is of the
/// administrator's unit or a unit under it; the grant is for the person's own unit; the level
/// is a state secret the unit may set.
pub fn check_classifier_grant(
    units: &UnitDirectory,
    own: UnitId,
    person: PersonId,
    person_unit: UnitId,
    unit: UnitId,
    level: Level,
    on: Date,
) -> Result<(), GrantRefusal> {
    if !within(units, own, person_unit) {
        return Err(GrantRefusal::OutsideOwnUnit {
            unit: person_unit,
            own,
        });
    }
    if unit != person_unit {
        return Err(GrantRefusal::NotPersonsUnit {
            person,
            person_unit,
            unit,
        });
    }
    if !level.is_state_secret() {
        return Err(GrantRefusal::NotAStateSecret { level });
    }
    match unit_ceiling(units, unit, on) {
        None => Err(GrantRefusal::UnitWithoutAuthority { unit }),
        Some(highest) if level > highest => Err(GrantRefusal::AboveUnitAuthority {
            unit,
            level,
            highest,
        }),
        Some(_) => Ok(()),
    }
}

/// R5.3, R1.4: may the security administrator of `own` record that `granted_by` authorises
/// `unit` to set up to `level` in `areas`? The administrator is of the granting organ or a
/// unit above it; the granting organ is a superior of the unit (never the unit itself), holds
/// statutory authority and may itself set the level; the areas are named.
pub fn check_authorisation(
    units: &UnitDirectory,
    own: UnitId,
    unit: UnitId,
    granted_by: UnitId,
    level: Level,
    areas: &[String],
) -> Result<(), GrantRefusal> {
    if !within(units, own, granted_by) {
        return Err(GrantRefusal::NotGrantingSide { granted_by, own });
    }
    if unit == granted_by {
        return Err(GrantRefusal::SelfAuthorisation { unit });
    }
    if !units.is_superior_of(granted_by, unit) {
        return Err(GrantRefusal::GranterNotSuperior { unit, granted_by });
    }
    if !level.is_state_secret() {
        return Err(GrantRefusal::NotAStateSecret { level });
    }
    let tier = units.get(granted_by).map_or(UnitTier::Other, |u| u.tier);
    match tier.statutory_highest() {
        None => return Err(GrantRefusal::GranterWithoutAuthority { granted_by, tier }),
        Some(highest) if level > highest => {
            return Err(GrantRefusal::AboveGranterAuthority {
                granted_by,
                level,
                highest,
            })
        }
        Some(_) => {}
    }
    if areas.is_empty() || areas.iter().any(|a| a.trim().is_empty()) {
        return Err(GrantRefusal::NoSubjectArea);
    }
    Ok(())
}

/// Audits a refused grant (outcome denied with its code and rule) and answers it: 403 for who
/// may not record it, 422 for what may not be recorded.
async fn refuse_grant(
    state: &AppState,
    principal: &Principal,
    object: ObjectRef,
    audit_action: &str,
    refusal: &GrantRefusal,
) -> ApiError {
    let draft = AuditDraft::new(state.clock.now(), principal.actor(), audit_action)
        .on(object)
        .outcome(Outcome::Denied {
            reason: refusal.code().to_owned(),
        })
        .detail(
            json!({ "rule": refusal.rule().0, "refusal": refusal.describe(Lang::En) }).to_string(),
        );
    match state.audit.record(draft).await {
        Ok(_) => refusal.error().in_lang(principal.lang),
        Err(e) => e,
    }
}

fn proposal_ref(id: i64) -> ObjectRef {
    ObjectRef::new("proposal", id)
}

fn escalation_ref(id: i64) -> ObjectRef {
    ObjectRef::new("escalation", id)
}

/// A knowledge scope as a request gives it: `persons` and/or `groups` (each may be omitted).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct ScopeInput {
    /// Persons named directly.
    #[serde(default)]
    pub persons: BTreeSet<PersonId>,
    /// Units or departments limited to named persons.
    #[serde(default)]
    pub groups: Vec<ScopeGroup>,
}

impl From<ScopeInput> for KnowledgeScope {
    fn from(s: ScopeInput) -> KnowledgeScope {
        KnowledgeScope {
            persons: s.persons,
            groups: s.groups,
        }
    }
}

/// What a handling officer proposes (R1.6); also the body of an unclear matter (R1.10).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct ProposalInput {
    /// What the matter is.
    pub title: String,
    /// The proposed mark, e.g. `机密★10年` or `SECRET//2031-06-30` (R1.3).
    pub mark: String,
    /// Who may know it (R1.7).
    #[serde(default)]
    pub scope: ScopeInput,
    /// The catalogue item it falls under (R1.6).
    pub basis: String,
    /// The subject area (R1.4).
    #[serde(default)]
    pub subject_area: String,
    /// A legal basis for a period beyond R1.2.
    #[serde(default)]
    pub period_override: Option<String>,
}

impl ProposalInput {
    /// The core's proposal, filed by `principal` on `on`; a malformed mark is the mark's error,
    /// a legal basis for a longer period that R1.2 does not accept is the override's.
    fn to_proposal(&self, principal: &Principal, on: Date) -> Result<Proposal, MarkInputError> {
        let basis =
            override_basis(self.period_override.as_deref()).map_err(MarkInputError::Override)?;
        let mark = parse_mark(&self.mark, basis.as_ref()).map_err(MarkInputError::Mark)?;
        if basis.is_some() {
            // Counted from today: approval comes later, so the period only gets shorter.
            check_override(mark.level(), mark.term(), on).map_err(MarkInputError::Override)?;
        }
        Ok(Proposal {
            title: self.title.clone(),
            mark,
            scope: self.scope.clone().into(),
            basis: self.basis.clone(),
            subject_area: SubjectArea::new(&self.subject_area),
            proposer: principal.id(),
            unit: principal.person.unit,
            proposed_on: on,
            period_override: basis,
        })
    }
}

// ────────────────────────────────────────── Proposals ──────────────────────────────────────────

/// R1.7: refuses (422, audited) a scope that names a person, unit or department that does not
/// exist, or a person within a group they do not belong to (the core's
/// `KnowledgeScope::check_names`): no place in a scope is kept for whoever gets an id later.
pub(crate) async fn check_scope_names(
    state: &AppState,
    principal: &Principal,
    scope: &KnowledgeScope,
    object_ref: Option<ObjectRef>,
    audit_action: &str,
) -> ApiResult<()> {
    let mut tx = state.store.read().await?;
    let units = tx.list_units().await?;
    let mut departments = BTreeSet::new();
    for u in &units {
        departments.extend(tx.list_departments(u.id).await?.into_iter().map(|d| d.id));
    }
    let people =
        ledger::load_all::<Person>(&mut tx, &RecordFilter::default(), RecordOrder::Id, false)
            .await?;
    tx.finish().await?;
    let org = Organisation {
        people: people
            .iter()
            .map(|p| p.value.subject().membership)
            .collect(),
        units: units.iter().map(|u| u.id).collect(),
        departments,
    };
    match scope.check_names(&org) {
        Ok(()) => Ok(()),
        Err(e) => Err(common::refuse(
            state,
            principal,
            object_ref,
            audit_action,
            &e,
            e.rule(),
            e.code(),
        )
        .await),
    }
}

/// `POST /api/v1/proposals`: a handling officer files a proposal (R1.6); an approval request
/// for the classifiers goes into the inbox in the same transaction.
pub async fn file_proposal(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    const AUDIT: &str = "proposal.file";
    let input: ProposalInput = parse_body(&principal, body)?;
    check_scope_names(&state, &principal, &input.scope.clone().into(), None, AUDIT).await?;
    let now = state.clock.now();
    let today = civil_day(now);
    let proposal = match input.to_proposal(&principal, today) {
        Ok(p) => p,
        Err(e) => {
            return Err(
                common::refuse(&state, &principal, None, AUDIT, &e, e.rule(), e.code()).await,
            )
        }
    };
    let record = match ProposalRecord::file(proposal) {
        Ok(r) => r,
        Err(refusal) => return Err(refuse(&state, &principal, None, AUDIT, &refusal).await),
    };
    let mut tx = state.store.write().await?;
    let id = ledger::next_id::<ProposalEntry>(&mut tx).await?;
    let entry = ProposalEntry { id, record };
    ledger::insert(&mut tx, &entry, now).await?;
    let request = proposal_request(&mut tx, &entry, now).await?;
    let p = entry.record.proposal();
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), AUDIT)
            .on(proposal_ref(id))
            .detail(
                json!({
                    "level": p.mark.level().code(),
                    "unit": p.unit.0,
                    "approval": request.id,
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "proposal": proposal_view(&entry), "approval": request.id })),
    ))
}

/// Files the inbox request for a new proposal (R1.6: decided by a classifier, never the
/// proposer); shared with the demo.
pub async fn proposal_request(
    tx: &mut WriteTx,
    entry: &ProposalEntry,
    now: Timestamp,
) -> ApiResult<ApprovalRequest> {
    let p = entry.record.proposal();
    let request = ApprovalRequest {
        id: ledger::next_id::<ApprovalRequest>(tx).await?,
        unit: p.unit,
        subject: ApprovalSubject::Proposal { proposal: entry.id },
        title: format!("定密审核：{}（{}）", p.title.trim(), p.mark.to_zh()),
        level: p.mark.level(),
        requested_by: p.proposer,
        requested_at: now,
        reason: p.basis.trim().to_owned(),
        needed: Vec::new(),
        status: ApprovalStatus::Pending,
        steps: Vec::new(),
    };
    ledger::insert(tx, &request, now).await?;
    Ok(request)
}

/// `GET /api/v1/proposals`: the proposals the subject may read (R1.7, R2.1), audited once.
pub async fn list_proposals(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let (filter, order, descending) = query.to_filter()?;
    let (page, per_page) = query.page()?;
    let today = state.clock.today();
    let mut tx = state.store.read().await?;
    let entries = ledger::load_all::<ProposalEntry>(&mut tx, &filter, order, descending).await?;
    let units = unit_directory(&mut tx).await?;
    let grants = classifier_grants(&mut tx, None).await?;
    // R1.7: an approved proposal is read as its matter stands now.
    let matters: BTreeMap<i64, Object> =
        all_of::<MatterRecord, _>(&mut tx, &RecordFilter::default())
            .await?
            .into_iter()
            .map(|m| (m.matter.id().0, m.object(today)))
            .collect();
    tx.finish().await?;
    let subject = principal.subject();
    let matter_of = |e: &ProposalEntry| match e.record.state() {
        ProposalState::Approved { matter, .. } => matters.get(&matter.0),
        _ => None,
    };
    let visible: Vec<Value> = entries
        .iter()
        .map(|l| &l.value)
        .filter(|e| {
            access::decide(
                &subject,
                &proposal_object(e, &grants, &units, matter_of(e)),
                Access::Read,
                today,
            )
            .is_allowed()
        })
        .map(|e| {
            let mut v = proposal_view(e);
            v["may_decide"] = json!(may_decide_proposal(e, principal.id(), &grants, &units));
            v
        })
        .collect();
    let page = Page::of(visible, page, per_page);
    let ids: Vec<Value> = page.items.iter().map(|v| v["id"].clone()).collect();
    common::audit_read(
        &state,
        &principal,
        ObjectRef::new("ledger", "proposals"),
        "proposal.list",
        json!({ "ids": ids, "total": page.total }),
    )
    .await?;
    Ok(Json(json!(page)))
}

/// `GET /api/v1/proposals/{id}`.
pub async fn get_proposal(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    const AUDIT: &str = "proposal.read";
    let mut tx = state.store.read().await?;
    let entry = ledger::load::<ProposalEntry>(&mut tx, id).await?;
    let units = unit_directory(&mut tx).await?;
    let grants = classifier_grants(&mut tx, None).await?;
    let matter = match &entry {
        Some(e) => proposal_matter(&mut tx, &e.value, state.clock.today()).await?,
        None => None,
    };
    tx.finish().await?;
    let entry = entry.ok_or_else(ApiError::not_found)?.value;
    let object = proposal_object(&entry, &grants, &units, matter.as_ref());
    common::authorise(
        &state,
        &principal,
        &object,
        Access::Read,
        proposal_ref(id),
        AUDIT,
    )
    .await?;
    common::audit_read(&state, &principal, proposal_ref(id), AUDIT, json!({})).await?;
    let mut view = proposal_view(&entry);
    view["may_decide"] = json!(may_decide_proposal(&entry, principal.id(), &grants, &units));
    Ok(Json(view))
}

/// R1.4–R1.6: the approvals inbox's decision on a proposal, inside the inbox's transaction.
///
/// Loads the proposal and the approver's classifier grant (none: 403 `not_classifier`, R1.5),
/// and asks the core to approve (the matter gets the next matter id; its period counts from
/// today) or reject. A core refusal answers 422 with its rule and is **not** audited here (the
/// inbox audits it after rolling back; the refused attempt is written to the proposal's
/// history in `tx` too, so an inbox that commits the attempt keeps it, R1.6). A classifier
/// whose category does not cover the level (R2.1) is denied 403, also unaudited here. On
/// success the proposal is saved, the matter inserted, `matter.classify` (or
/// `proposal.reject`) appended to `tx`, and the new matter (or the proposal) is answered.
pub async fn decide_proposal(
    _state: &AppState,
    tx: &mut WriteTx,
    request: &ApprovalRequest,
    approver: &Principal,
    approve: bool,
    reason: &str,
    now: Timestamp,
) -> ApiResult<Value> {
    let ApprovalSubject::Proposal { proposal } = request.subject else {
        return Err(ApiError::internal(&format!(
            "approval {} is not about a proposal",
            request.id
        )));
    };
    let today = civil_day(now);
    let lang = approver.lang;
    let loaded = ledger::load_for_update::<ProposalEntry>(tx, proposal)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut entry = loaded.value;
    let units = unit_directory(tx).await?;
    let grants = classifier_grants(tx, Some(approver.id())).await?;
    let unit = entry.record.proposal().unit;
    let Some(classifier) = grant_for(&grants, approver.id(), unit, &units).cloned() else {
        return Err(not_classifier(lang));
    };
    if approve {
        let matter_id = ledger::next_id::<MatterRecord>(tx).await?;
        let matter = match entry
            .record
            .approve(&classifier, &units, MatterId(matter_id), today)
        {
            Ok(m) => m,
            Err(refusal) => {
                ledger::save(tx, &entry, loaded.version, now).await?;
                return Err(refused(&refusal, lang));
            }
        };
        // R2.1: the classifier must be able to know what they classify.
        let mut scope = matter.scope().clone();
        scope.persons.insert(approver.id());
        let object = Object::matter(matter.id(), matter.mark().level(), scope);
        if let access::Decision::Deny(reason) =
            access::decide(&approver.subject(), &object, Access::Read, today)
        {
            return Err(ApiError::denied(&reason).in_lang(lang));
        }
        ledger::save(tx, &entry, loaded.version, now).await?;
        let record = MatterRecord::new(matter, today);
        ledger::insert(tx, &record, now).await?;
        let m = &record.matter;
        tx.append_audit(
            AuditDraft::new(now, approver.actor(), "matter.classify")
                .on(ObjectRef::matter(m.id()))
                .detail(
                    json!({
                        "proposal": entry.id,
                        "approval": request.id,
                        "level": m.mark().level().code(),
                        "mark": m.mark().to_zh(),
                        "unit": m.unit().0,
                        "authority": m.authority(),
                    })
                    .to_string(),
                ),
        )
        .await?;
        Ok(json!({
            "matter": matter_detail(&record, today),
            "proposal": proposal_view(&entry),
        }))
    } else {
        if let Err(refusal) = entry.record.reject(&classifier, today, reason) {
            ledger::save(tx, &entry, loaded.version, now).await?;
            return Err(refused(&refusal, lang));
        }
        ledger::save(tx, &entry, loaded.version, now).await?;
        tx.append_audit(
            AuditDraft::new(now, approver.actor(), "proposal.reject")
                .on(proposal_ref(entry.id))
                .detail(json!({ "approval": request.id }).to_string()),
        )
        .await?;
        Ok(json!({ "proposal": proposal_view(&entry) }))
    }
}

// ─────────────────────────────────────────── Matters ───────────────────────────────────────────

/// `GET /api/v1/matters`: the matters the subject may read (R1.7, R2.1), filtered, sorted and
/// paged; the total counts only those. SQL selects one window of candidates and counts them
/// (up to [`ledger::TOTAL_CAP`]); the core decides each row. Audited once (`matter.list`, with
/// the ids answered).
pub async fn list_matters(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let (page_no, _) = query.page_numbers()?;
    let (filter, order, descending) = query.to_filter()?;
    let window = query.window(order)?;
    let today = state.clock.today();
    let subject = principal.subject();
    let reader = ledger::reader_of(&subject, today);
    let mut tx = state.store.read().await?;
    let candidates = ledger::load_page::<MatterRecord>(
        &mut tx,
        &filter,
        Some(&reader),
        order,
        descending,
        window,
    )
    .await?;
    let total = tx
        .count_records(
            RecordKind::Matter,
            &filter,
            Some(&reader),
            ledger::TOTAL_CAP,
        )
        .await?;
    tx.finish().await?;
    let n = candidates.len();
    let last = candidates.last().map(|l| l.value.matter.id().0);
    let visible: Vec<MatterRecord> = candidates
        .into_iter()
        .map(|l| l.value)
        .filter(|r| access::decide(&subject, &r.object(today), Access::Read, today).is_allowed())
        .collect();
    let page = Page::decided(visible, window, page_no, n, last, total);
    let ids: Vec<i64> = page.items.iter().map(|r| r.matter.id().0).collect();
    common::audit_read(
        &state,
        &principal,
        ObjectRef::new("ledger", "matters"),
        "matter.list",
        json!({ "ids": ids, "total": page.total }),
    )
    .await?;
    let page = page.map(|r| matter_summary(&r, today));
    Ok(Json(json!(page)))
}

/// `GET /api/v1/matters/export?format=csv|xlsx` (and the list filters): the visible ledger as
/// a file (R13.3), audited (`matter.export`, with the ids).
pub async fn export_matters(
    State(state): State<AppState>,
    principal: Principal,
    Query(format): Query<ExportQuery>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Response> {
    let lang = principal.lang;
    let format = ExportFormat::of(&format).map_err(|e| e.in_lang(lang))?;
    let (filter, order, descending) = query.to_filter()?;
    let today = state.clock.today();
    let reader = ledger::reader_of(&principal.subject(), today);
    let mut tx = state.store.read().await?;
    let candidates = tx
        .count_records(RecordKind::Matter, &filter, Some(&reader), u64::MAX)
        .await?;
    tx.finish().await?;
    // Audited before the first row leaves: the query fixes what the export holds.
    common::audit_read(
        &state,
        &principal,
        ObjectRef::new("ledger", "matters"),
        "matter.export",
        json!({ "format": format.extension(), "query": query, "candidates": candidates }),
    )
    .await?;
    let columns = [
        ("编号", "No."),
        ("事项名称", "Title"),
        ("密级", "Level"),
        ("密级标志", "Mark"),
        ("状态", "Status"),
        ("定密日期", "Classified on"),
        ("解密日期", "Declassifies on"),
        ("定密单位", "Classifying unit"),
        ("定密责任人", "Classifier"),
        ("承办人", "Proposer"),
        ("定密依据", "Basis"),
    ];
    let (sender, receiver) = tokio::sync::mpsc::channel(export::STREAM_AHEAD);
    tokio::spawn(async move {
        let produced = produce_export(&state, &principal, filter, order, descending, &sender).await;
        if let Err(e) = produced {
            let _ = sender.send(Err(e)).await;
        }
    });
    let title = lang.pick("国家秘密事项台账", "Classified matters");
    Ok(export::stream_table(title, &columns, format, lang, receiver).await)
}

/// Sends the export's rows window by window: SQL selects the candidates, the core decides
/// each (R1.7, R2.1); stops quietly when the download is abandoned.
async fn produce_export(
    state: &AppState,
    principal: &Principal,
    filter: RecordFilter,
    order: RecordOrder,
    descending: bool,
    sender: &tokio::sync::mpsc::Sender<export::RowBatch>,
) -> ApiResult<()> {
    let today = state.clock.today();
    let lang = principal.lang;
    let subject = principal.subject();
    let reader = ledger::reader_of(&subject, today);
    let mut tx = state.store.read().await?;
    let units: HashMap<i64, String> = tx
        .list_units()
        .await?
        .into_iter()
        .map(|u| (u.id.0, u.name))
        .collect();
    let mut windows = ledger::Windows::new(order, 1_000);
    while let Some(window) = windows.next() {
        let candidates = ledger::load_page::<MatterRecord>(
            &mut tx,
            &filter,
            Some(&reader),
            order,
            descending,
            window,
        )
        .await?;
        windows.advance(
            candidates.len(),
            candidates.last().map(|l| l.value.matter.id().0),
        );
        let decided: Vec<&MatterRecord> = candidates
            .iter()
            .map(|l| &l.value)
            .filter(|r| {
                access::decide(&subject, &r.object(today), Access::Read, today).is_allowed()
            })
            .collect();
        // People and units are named, not numbered, in what leaves the system.
        let people = ledger::names_of(
            &mut tx,
            RecordKind::Person,
            decided
                .iter()
                .flat_map(|r| [r.matter.classifier().0, r.matter.proposer().0]),
        )
        .await?;
        let names = Names {
            people: &people,
            units: &units,
        };
        let rows: Vec<Vec<String>> = decided
            .into_iter()
            .map(|r| export_row(r, today, lang, &names))
            .collect();
        if sender.send(Ok(rows)).await.is_err() {
            break;
        }
    }
    tx.finish().await?;
    Ok(())
}

/// The names an export shows for ids.
struct Names<'a> {
    people: &'a HashMap<i64, String>,
    units: &'a HashMap<i64, String>,
}

impl Names<'_> {
    fn person(&self, id: PersonId, lang: Lang) -> String {
        self.people.get(&id.0).cloned().unwrap_or_else(|| {
            lang.pick("（未登记人员）", "(unregistered person)")
                .to_owned()
        })
    }

    fn unit(&self, id: UnitId, lang: Lang) -> String {
        self.units.get(&id.0).cloned().unwrap_or_else(|| {
            lang.pick("（未登记单位）", "(unregistered unit)")
                .to_owned()
        })
    }
}

/// One matter as a row of the export.
fn export_row(r: &MatterRecord, today: Date, lang: Lang, names: &Names<'_>) -> Vec<String> {
    let m = &r.matter;
    let status = m.status_on(today);
    let ends = match status {
        MatterStatus::InForce { declassifies_on } => declassifies_on,
        MatterStatus::Declassified { on, .. } => Some(on),
        MatterStatus::NotYetClassified => None,
    };
    let status_text = match (status, lang) {
        (MatterStatus::InForce { .. }, Lang::Zh) => "保密中".to_owned(),
        (MatterStatus::InForce { .. }, Lang::En) => "in force".to_owned(),
        (MatterStatus::Declassified { how, .. }, Lang::Zh) => format!("已解密（{}）", how.zh()),
        (MatterStatus::Declassified { how, .. }, Lang::En) => {
            format!("declassified ({})", how.en())
        }
        (MatterStatus::NotYetClassified, Lang::Zh) => "尚未定密".to_owned(),
        (MatterStatus::NotYetClassified, Lang::En) => "not yet classified".to_owned(),
    };
    vec![
        m.id().0.to_string(),
        m.title().to_owned(),
        lang.pick(m.mark().level().zh(), m.mark().level().en())
            .to_owned(),
        match lang {
            Lang::Zh => m.mark().to_zh(),
            Lang::En => m.mark().to_en(),
        },
        status_text,
        m.classified_on().to_string(),
        ends.map(|d| d.to_string()).unwrap_or_default(),
        names.unit(m.unit(), lang),
        names.person(m.classifier(), lang),
        names.person(m.proposer(), lang),
        m.basis().to_owned(),
    ]
}

/// `GET /api/v1/matters/{id}`: one matter with its history, if the subject may read it
/// (denials are 403 with the reason and audited; reads are audited before answering).
pub async fn get_matter(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    const AUDIT: &str = "matter.read";
    let today = state.clock.today();
    let mut tx = state.store.read().await?;
    let record = ledger::load::<MatterRecord>(&mut tx, id).await?;
    tx.finish().await?;
    let record = record.ok_or_else(ApiError::not_found)?.value;
    let object_ref = ObjectRef::matter(MatterId(id));
    common::authorise(
        &state,
        &principal,
        &record.object(today),
        Access::Read,
        object_ref.clone(),
        AUDIT,
    )
    .await?;
    common::audit_read(&state, &principal, object_ref, AUDIT, json!({})).await?;
    Ok(Json(matter_detail(&record, today)))
}

/// The common path of every change to a matter (R1.8, R1.9): Edit access (audited 403), the
/// subject's classifier grant (audited 403, R1.5), the core's step in one write transaction
/// (a refusal is rolled back, audited and answered 422), save, audit, commit.
async fn matter_step<F, E>(
    state: &AppState,
    principal: &Principal,
    id: i64,
    audit_action: &str,
    step: F,
) -> ApiResult<Json<Value>>
where
    F: FnOnce(&mut ClassifiedMatter, &Classifier, &UnitDirectory, Date) -> Result<Value, E>,
    E: Into<StepRefusal>,
{
    let now = state.clock.now();
    let today = civil_day(now);
    let object_ref = ObjectRef::matter(MatterId(id));
    let mut tx = state.store.read().await?;
    let record = ledger::load::<MatterRecord>(&mut tx, id).await?;
    tx.finish().await?;
    let record = record.ok_or_else(ApiError::not_found)?.value;
    common::authorise(
        state,
        principal,
        &record.object(today),
        Access::Edit,
        object_ref.clone(),
        audit_action,
    )
    .await?;
    let mut tx = state.store.write().await?;
    let loaded = ledger::load_for_update::<MatterRecord>(&mut tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let units = unit_directory(&mut tx).await?;
    let grants = classifier_grants(&mut tx, Some(principal.id())).await?;
    let Some(classifier) =
        grant_for(&grants, principal.id(), loaded.value.matter.unit(), &units).cloned()
    else {
        tx.rollback().await?;
        return Err(deny_not_classifier(state, principal, object_ref, audit_action).await);
    };
    let mut matter = loaded.value.matter.clone();
    let outcome = match step(&mut matter, &classifier, &units, today) {
        Ok(outcome) => outcome,
        Err(refusal) => {
            tx.rollback().await?;
            let object = Some(object_ref);
            return Err(match refusal.into() {
                StepRefusal::Core(r) => refuse(state, principal, object, audit_action, &r).await,
                StepRefusal::Override(o) => {
                    common::refuse(
                        state,
                        principal,
                        object,
                        audit_action,
                        &o,
                        o.rule(),
                        o.code(),
                    )
                    .await
                }
            });
        }
    };
    let record = MatterRecord::new(matter, today.max(loaded.value.as_of));
    ledger::save(&mut tx, &record, loaded.version, now).await?;
    let m = &record.matter;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), audit_action)
            .on(object_ref)
            .detail(
                json!({
                    "mark": m.mark().to_zh(),
                    "status": status_code(&m.status_on(today)),
                    "outcome": outcome,
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "matter": matter_detail(&record, today),
        "outcome": outcome,
    })))
}

fn effect_value(effect: &impl Serialize) -> Value {
    serde_json::to_value(effect).unwrap_or(Value::Null)
}

/// `POST /api/v1/matters/{id}/change` body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct ChangeInput {
    /// The new mark as text (sets level and period at once).
    #[serde(default)]
    pub mark: Option<String>,
    /// The new level alone (`secret`, …).
    #[serde(default)]
    pub level: Option<String>,
    /// The new period alone (`{"kind":"years","years":5}`, …).
    #[serde(default)]
    pub term: Option<Term>,
    /// The new knowledge scope.
    #[serde(default)]
    pub scope: Option<ScopeInput>,
    /// A legal basis for a period beyond R1.2.
    #[serde(default)]
    pub period_override: Option<String>,
    /// Why (R1.8).
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/matters/{id}/change`: R1.8 — level, period and/or scope, by the original
/// classifier, the unit head or a classifier above; answers who to tell and how to re-mark.
pub async fn change_matter(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    const AUDIT: &str = "matter.change";
    let input: ChangeInput = parse_body(&principal, body)?;
    if let Some(scope) = &input.scope {
        let object_ref = Some(ObjectRef::matter(MatterId(id)));
        check_scope_names(&state, &principal, &scope.clone().into(), object_ref, AUDIT).await?;
    }
    let basis = period_override_of(&state, &principal, id, AUDIT, &input.period_override).await?;
    let mut change = MatterChange {
        level: None,
        term: input.term.clone(),
        scope: input.scope.clone().map(Into::into),
        period_override: basis.clone(),
    };
    if let Some(level) = &input.level {
        change.level = Some(parse_level(&principal, "level", level)?);
    }
    if let Some(text) = &input.mark {
        match parse_mark(text, basis.as_ref()) {
            Ok(mark) => {
                change.level = Some(mark.level());
                change.term = Some(mark.term().clone());
            }
            Err(e) => {
                return Err(common::refuse(
                    &state,
                    &principal,
                    Some(ObjectRef::matter(MatterId(id))),
                    AUDIT,
                    &e,
                    e.rule(),
                    "invalid_mark",
                )
                .await)
            }
        }
    }
    let reason = input.reason;
    matter_step(&state, &principal, id, AUDIT, move |m, by, units, on| {
        // R1.2: a basis is for a new period that needs it, counted from classification.
        if change.period_override.is_some() && (change.level.is_some() || change.term.is_some()) {
            let level = change.level.unwrap_or(m.mark().level());
            let term = change
                .term
                .clone()
                .unwrap_or_else(|| m.mark().term().clone());
            check_override(level, &term, m.classified_on()).map_err(StepRefusal::Override)?;
        }
        m.change(by, units, change, on, &reason)
            .map(|e| effect_value(&e))
            .map_err(StepRefusal::Core)
    })
    .await
}

/// R1.2: the request's legal basis for a longer period, or the audited 422 refusing it.
async fn period_override_of(
    state: &AppState,
    principal: &Principal,
    id: i64,
    audit_action: &str,
    text: &Option<String>,
) -> ApiResult<Option<LegalBasis>> {
    match override_basis(text.as_deref()) {
        Ok(basis) => Ok(basis),
        Err(o) => Err(common::refuse(
            state,
            principal,
            Some(ObjectRef::matter(MatterId(id))),
            audit_action,
            &o,
            o.rule(),
            o.code(),
        )
        .await),
    }
}

/// `POST /api/v1/matters/{id}/extend` body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct ExtendInput {
    /// The whole new period as a mark (its level must be the matter's).
    #[serde(default)]
    pub mark: Option<String>,
    /// Or the whole new period as a term.
    #[serde(default)]
    pub term: Option<Term>,
    /// A legal basis for a period beyond R1.2.
    #[serde(default)]
    pub period_override: Option<String>,
    /// Why (R1.9).
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/matters/{id}/extend`: R1.9 — a longer period, decided before the end.
pub async fn extend_matter(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    const AUDIT: &str = "matter.extend";
    let input: ExtendInput = parse_body(&principal, body)?;
    let basis = period_override_of(&state, &principal, id, AUDIT, &input.period_override).await?;
    let (term, level) = match (&input.mark, &input.term) {
        (Some(text), _) => match parse_mark(text, basis.as_ref()) {
            Ok(mark) => (mark.term().clone(), Some(mark.level())),
            Err(e) => {
                return Err(common::refuse(
                    &state,
                    &principal,
                    Some(ObjectRef::matter(MatterId(id))),
                    AUDIT,
                    &e,
                    e.rule(),
                    "invalid_mark",
                )
                .await)
            }
        },
        (None, Some(term)) => (term.clone(), None),
        (None, None) => {
            return Err(common::invalid(
                &principal,
                "term",
                "须给出新的保密期限（mark 或 term）",
                "give the new period (mark or term)",
            ))
        }
    };
    let reason = input.reason;
    matter_step(&state, &principal, id, AUDIT, move |m, by, units, on| {
        if let Some(level) = level.filter(|l| *l != m.mark().level()) {
            // An extension keeps the level; a new level is a change (R1.8).
            return Err(StepRefusal::Core(Refusal::InvalidPeriod {
                detail: format!(
                    "an extension keeps the level {}; {} is a change (R1.8)",
                    m.mark().level().en(),
                    level.en()
                ),
            }));
        }
        if basis.is_some() {
            // R1.2: the whole new period, counted from classification, must need the basis.
            check_override(m.mark().level(), &term, m.classified_on())
                .map_err(StepRefusal::Override)?;
        }
        m.extend(by, units, term, basis, on, &reason)
            .map(|e| effect_value(&e))
            .map_err(StepRefusal::Core)
    })
    .await
}

/// `POST /api/v1/matters/{id}/declassify` body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct DeclassifyInput {
    /// `catalogue_changed` or `no_longer_harmful`.
    pub ground: EarlyGround,
    /// Why (R1.9).
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/matters/{id}/declassify`: R1.9 — early declassification after review.
pub async fn declassify_matter(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let input: DeclassifyInput = parse_body(&principal, body)?;
    matter_step(
        &state,
        &principal,
        id,
        "matter.declassify",
        move |m, by, units, on| {
            m.declassify_early(by, units, input.ground, on, &input.reason)
                .map(|e| effect_value(&e))
        },
    )
    .await
}

/// The body of a step that only needs a reason.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct ReasonInput {
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/matters/{id}/review`: R1.9 — the yearly review keeps the matter as it is;
/// answers the next review's due day.
pub async fn review_matter(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let input: ReasonInput = parse_body(&principal, body)?;
    matter_step(
        &state,
        &principal,
        id,
        "matter.review",
        move |m, by, units, on| {
            m.record_review(by, units, on, &input.reason)
                .map(|next| json!({ "next_review_due": next.to_string() }))
        },
    )
    .await
}

/// `POST /api/v1/matters/{id}/condition-met`: R1.9 — the declassification condition is met.
pub async fn condition_met(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let input: ReasonInput = parse_body(&principal, body)?;
    matter_step(
        &state,
        &principal,
        id,
        "matter.condition_met",
        move |m, by, units, on| {
            m.record_condition_met(by, units, on, &input.reason)
                .map(|e| effect_value(&e))
        },
    )
    .await
}

// ───────────────────────────────────────── Escalations ─────────────────────────────────────────

/// `POST /api/v1/escalations` body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EscalationInput {
    /// An unclear matter: the proposal, protected at once (R1.10).
    Unclear {
        /// The proposal.
        #[serde(flatten)]
        proposal: ProposalInput,
        /// Why it is unclear.
        #[serde(default)]
        reason: String,
    },
    /// A dispute of a matter's level.
    Dispute {
        /// The matter's id.
        matter: i64,
        /// The level claimed (`unclassified` claims it is not a state secret).
        claimed: String,
        /// Why.
        #[serde(default)]
        reason: String,
    },
}

/// `POST /api/v1/escalations`: opens an unclear matter (protected at once) or a dispute
/// (R1.10).
pub async fn open_escalation(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    const AUDIT: &str = "escalation.open";
    let input: EscalationInput = parse_body(&principal, body)?;
    let now = state.clock.now();
    let today = civil_day(now);
    let record = match input {
        EscalationInput::Unclear { proposal, reason } => {
            check_scope_names(
                &state,
                &principal,
                &proposal.scope.clone().into(),
                None,
                AUDIT,
            )
            .await?;
            let proposal = match proposal.to_proposal(&principal, today) {
                Ok(p) => p,
                Err(e) => {
                    return Err(common::refuse(
                        &state,
                        &principal,
                        None,
                        AUDIT,
                        &e,
                        e.rule(),
                        e.code(),
                    )
                    .await)
                }
            };
            let title = proposal.title.trim().to_owned();
            let level = proposal.mark.level();
            match UnclearMatter::open(proposal, principal.id(), today, &reason) {
                Ok(u) => EscalationRecord {
                    id: 0,
                    unit: principal.person.unit,
                    opened_by: principal.id(),
                    title,
                    level,
                    case: EscalationCase::Unclear(u),
                },
                Err(r) => return Err(refuse(&state, &principal, None, AUDIT, &r).await),
            }
        }
        EscalationInput::Dispute {
            matter,
            claimed,
            reason,
        } => {
            let claimed = parse_level(&principal, "claimed", &claimed)?;
            let mut tx = state.store.read().await?;
            let record = ledger::load::<MatterRecord>(&mut tx, matter).await?;
            tx.finish().await?;
            let record = record.ok_or_else(ApiError::not_found)?.value;
            let object_ref = ObjectRef::matter(MatterId(matter));
            common::authorise(
                &state,
                &principal,
                &record.object(today),
                Access::Read,
                object_ref.clone(),
                AUDIT,
            )
            .await?;
            match Dispute::raise(&record.matter, principal.id(), claimed, today, &reason) {
                Ok(d) => EscalationRecord {
                    id: 0,
                    unit: principal.person.unit,
                    opened_by: principal.id(),
                    title: record.matter.title().to_owned(),
                    level: record.matter.mark().level(),
                    case: EscalationCase::Dispute(d),
                },
                Err(r) => return Err(refuse(&state, &principal, Some(object_ref), AUDIT, &r).await),
            }
        }
    };
    let mut tx = state.store.write().await?;
    let record = EscalationRecord {
        id: ledger::next_id::<EscalationRecord>(&mut tx).await?,
        ..record
    };
    ledger::insert(&mut tx, &record, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), AUDIT)
            .on(escalation_ref(record.id))
            .detail(
                json!({
                    "kind": record.kind_code(),
                    "level": record.protected_level().code(),
                    "deadline": record.deadline().map(|d| d.to_string()),
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(escalation_view(&record, today))))
}

async fn escalation_matter(
    tx: &mut ReadTx,
    record: &EscalationRecord,
) -> ApiResult<Option<MatterRecord>> {
    match &record.case {
        EscalationCase::Dispute(d) => Ok(ledger::load::<MatterRecord>(tx, d.matter().0)
            .await?
            .map(|l| l.value)),
        EscalationCase::Unclear(_) => Ok(None),
    }
}

/// `GET /api/v1/escalations`: the cases the subject may read, audited once.
pub async fn list_escalations(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let (filter, order, descending) = query.to_filter()?;
    let (page, per_page) = query.page()?;
    let today = state.clock.today();
    let mut tx = state.store.read().await?;
    let all = ledger::load_all::<EscalationRecord>(&mut tx, &filter, order, descending).await?;
    let mut visible = Vec::new();
    let subject = principal.subject();
    for record in all.into_iter().map(|l| l.value) {
        let matter = escalation_matter(&mut tx, &record).await?;
        let object = escalation_object(&record, matter.as_ref(), today);
        if access::decide(&subject, &object, Access::Read, today).is_allowed() {
            visible.push(escalation_view(&record, today));
        }
    }
    tx.finish().await?;
    let page = Page::of(visible, page, per_page);
    let ids: Vec<Value> = page.items.iter().map(|v| v["id"].clone()).collect();
    common::audit_read(
        &state,
        &principal,
        ObjectRef::new("ledger", "escalations"),
        "escalation.list",
        json!({ "ids": ids, "total": page.total }),
    )
    .await?;
    Ok(Json(json!(page)))
}

/// `GET /api/v1/escalations/{id}`.
pub async fn get_escalation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    const AUDIT: &str = "escalation.read";
    let today = state.clock.today();
    let mut tx = state.store.read().await?;
    let Some(record) = ledger::load::<EscalationRecord>(&mut tx, id).await? else {
        return Err(ApiError::not_found());
    };
    let record = record.value;
    let matter = escalation_matter(&mut tx, &record).await?;
    tx.finish().await?;
    let object = escalation_object(&record, matter.as_ref(), today);
    common::authorise(
        &state,
        &principal,
        &object,
        Access::Read,
        escalation_ref(id),
        AUDIT,
    )
    .await?;
    common::audit_read(&state, &principal, escalation_ref(id), AUDIT, json!({})).await?;
    Ok(Json(escalation_view(&record, today)))
}

/// The body of an escalation step.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct StepInput {
    /// The level decided or answered (`decide`, `answer`).
    #[serde(default)]
    pub level: Option<String>,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/escalations/{id}/{step}`: R1.10 — `submit` (unclear), `answer`, `accept`,
/// `escalate` (dispute), `forward`, `decide` (recording a department's act: the
/// confidentiality officer's, R13.3). Each needs Edit access to the case; the core checks who
/// may take the step (the original classifier answers, the disputant accepts or escalates) and
/// in which stage.
pub async fn escalation_step(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, step)): Path<(i64, String)>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let step_name = match step.as_str() {
        "submit" | "forward" | "decide" | "answer" | "accept" | "escalate" => step.clone(),
        _ => return Err(ApiError::not_found().in_lang(principal.lang)),
    };
    let audit_action = format!("escalation.{step_name}");
    let input: StepInput = parse_body(&principal, body)?;
    let level = match &input.level {
        Some(code) => Some(parse_level(&principal, "level", code)?),
        None => None,
    };
    if matches!(step_name.as_str(), "decide" | "answer") && level.is_none() {
        return Err(common::invalid(
            &principal,
            "level",
            "须给出确定的密级",
            "give the level decided",
        ));
    }
    let now = state.clock.now();
    let today = civil_day(now);
    let object_ref = escalation_ref(id);
    let mut tx = state.store.read().await?;
    let Some(record) = ledger::load::<EscalationRecord>(&mut tx, id).await? else {
        return Err(ApiError::not_found());
    };
    let matter = escalation_matter(&mut tx, &record.value).await?;
    tx.finish().await?;
    let object = escalation_object(&record.value, matter.as_ref(), today);
    common::authorise(
        &state,
        &principal,
        &object,
        Access::Edit,
        object_ref.clone(),
        &audit_action,
    )
    .await?;
    if matches!(step_name.as_str(), "forward" | "decide")
        && !principal.has_role(Role::ConfidentialityOfficer)
    {
        return Err(common::deny_role(
            &state,
            &principal,
            Some(object_ref),
            &audit_action,
            RuleId("R13.3"),
            "保密行政管理部门的转报和决定由保密员登记",
            "a department's forwarding or decision is recorded by the confidentiality officer",
        )
        .await);
    }
    let mut tx = state.store.write().await?;
    let loaded = ledger::load_for_update::<EscalationRecord>(&mut tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut record = loaded.value.clone();
    let by = principal.id();
    let reason = input.reason.as_str();
    let level = level.unwrap_or(Level::Unclassified);
    let result = match (&mut record.case, step_name.as_str()) {
        (EscalationCase::Unclear(u), "submit") => u.submit(by, today, reason),
        (EscalationCase::Unclear(u), "forward") => u.forward(by, today, reason),
        (EscalationCase::Unclear(u), "decide") => u.decide(by, level, today, reason),
        (EscalationCase::Dispute(d), "answer") => d.answer(by, level, today, reason),
        (EscalationCase::Dispute(d), "accept") => d.accept(by, today, reason),
        (EscalationCase::Dispute(d), "escalate") => d.escalate(by, today, reason),
        (EscalationCase::Dispute(d), "forward") => d.forward(by, today, reason),
        (EscalationCase::Dispute(d), "decide") => d.decide(by, level, today, reason),
        (case, name) => Err(Refusal::IllegalTransition {
            stage: match case {
                EscalationCase::Unclear(u) => u.stage(),
                EscalationCase::Dispute(d) => d.stage(),
            },
            step: match name {
                "submit" => Step::Submit,
                "answer" => Step::Answer,
                "accept" => Step::Accept,
                _ => Step::Escalate,
            },
        }),
    };
    if let Err(refusal) = result {
        tx.rollback().await?;
        return Err(refuse(
            &state,
            &principal,
            Some(object_ref),
            &audit_action,
            &refusal,
        )
        .await);
    }
    ledger::save(&mut tx, &record, loaded.version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), &audit_action)
            .on(object_ref)
            .detail(
                json!({
                    "stage": stage_code(record.stage()),
                    "level": input.level,
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(escalation_view(&record, today)))
}

// ──────────────────────────────────── Classifiers (R1.5) ────────────────────────────────────

fn grant_view(g: &ClassifierGrant, today: Date) -> Value {
    let c = &g.classifier;
    json!({
        "id": g.id,
        "person": c.person.0,
        "unit": c.unit.0,
        "highest_level": c.highest_level.code(),
        "is_head": c.is_head,
        "trained": c.trained,
        "certificate_expires": c.certificate_expires.map(|d| d.to_string()),
        "qualified_today": c.check_qualified(Level::Secret, today).is_ok(),
    })
}

/// `GET /api/v1/classifiers`: the classifier grants (who may classify, R1.5).
pub async fn list_classifiers(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let (filter, order, descending) = query.to_filter()?;
    let (page, per_page) = query.page()?;
    let today = state.clock.today();
    let mut tx = state.store.read().await?;
    let grants = ledger::load_all::<ClassifierGrant>(&mut tx, &filter, order, descending).await?;
    tx.finish().await?;
    let items: Vec<Value> = grants.iter().map(|l| grant_view(&l.value, today)).collect();
    let page = Page::of(items, page, per_page);
    let ids: Vec<&Value> = page.items.iter().map(|v| &v["id"]).collect();
    // R13.1: every read is audited, this one too (who may classify, in which units).
    common::audit_read(
        &state,
        &principal,
        ObjectRef::new("classifier", "list"),
        "classifier.list",
        json!({ "ids": ids }),
    )
    .await?;
    Ok(Json(json!(page)))
}

/// `POST /api/v1/classifiers` body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct GrantInput {
    /// The person.
    pub person: PersonId,
    /// The unit they classify for (default: their own).
    #[serde(default)]
    pub unit: Option<UnitId>,
    /// The highest level they may set (`top_secret`, …).
    pub highest_level: String,
    /// The head of the unit (the responsible classifier).
    #[serde(default)]
    pub is_head: bool,
    /// Passed the classification training.
    #[serde(default)]
    pub trained: bool,
    /// The last day the certificate is valid.
    #[serde(default)]
    #[schemars(schema_with = "baomi_core::schema::date_or_null")]
    pub certificate_expires: Option<Date>,
}

/// `POST /api/v1/classifiers`: the security administrator grants a classifier (R1.5), never to
/// themselves (R5.3, decided by the core's access function), only to a person of their own unit
/// or a unit under it (403 `outside_own_unit`), for the person's own unit (422
/// `not_persons_unit`), and up to what that unit may set by tier or authorisation (422
/// `above_unit_authority` / `unit_without_authority`, R1.4). Every refusal is audited.
pub async fn grant_classifier(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    const AUDIT: &str = "classifier.grant";
    let input: GrantInput = parse_body(&principal, body)?;
    let highest_level = parse_level(&principal, "highest_level", &input.highest_level)?;
    let object = Object::account(input.person, state.config.system_level);
    common::authorise(
        &state,
        &principal,
        &object,
        Access::GrantRights,
        ObjectRef::person(input.person),
        AUDIT,
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(person) = ledger::load_for_update::<Person>(&mut tx, input.person.0).await? else {
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let person_unit = person.value.unit;
    let unit = input.unit.unwrap_or(person_unit);
    let units = unit_directory(&mut tx).await?;
    if let Err(refusal) = check_classifier_grant(
        &units,
        principal.person.unit,
        input.person,
        person_unit,
        unit,
        highest_level,
        civil_day(now),
    ) {
        tx.rollback().await?;
        return Err(refuse_grant(
            &state,
            &principal,
            ObjectRef::person(input.person),
            AUDIT,
            &refusal,
        )
        .await);
    }
    let grant = ClassifierGrant {
        id: ledger::next_id::<ClassifierGrant>(&mut tx).await?,
        classifier: Classifier {
            person: input.person,
            unit,
            highest_level,
            is_head: input.is_head,
            trained: input.trained,
            certificate_expires: input.certificate_expires,
        },
    };
    ledger::insert(&mut tx, &grant, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), AUDIT)
            .on(ObjectRef::person(input.person))
            .detail(
                json!({
                    "grant": grant.id,
                    "unit": grant.classifier.unit.0,
                    "highest_level": highest_level.code(),
                    "is_head": grant.classifier.is_head,
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(grant_view(&grant, civil_day(now))),
    ))
}

// ────────────────────────────────── Authorisations (R1.4) ──────────────────────────────────

fn authorisation_view(a: &AuthorisationRecord, today: Date) -> Value {
    json!({
        "id": a.id,
        "unit": a.unit.0,
        "granted_by": a.authorisation.granted_by.0,
        "highest_level": a.authorisation.highest_level.code(),
        "subject_areas": a.authorisation.subject_areas,
        "granted_on": a.authorisation.granted_on.to_string(),
        "withdrawn_on": a.authorisation.withdrawn_on.map(|d| d.to_string()),
        "in_force": a.authorisation.in_force_on(today),
    })
}

/// `GET /api/v1/authorisations`: the authorisations to classify held by units (R1.4).
pub async fn list_authorisations(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let (filter, order, descending) = query.to_filter()?;
    let (page, per_page) = query.page()?;
    let today = state.clock.today();
    let mut tx = state.store.read().await?;
    let all = ledger::load_all::<AuthorisationRecord>(&mut tx, &filter, order, descending).await?;
    tx.finish().await?;
    let items: Vec<Value> = all
        .iter()
        .map(|l| authorisation_view(&l.value, today))
        .collect();
    let page = Page::of(items, page, per_page);
    let ids: Vec<&Value> = page.items.iter().map(|v| &v["id"]).collect();
    // R13.1: every read is audited, this one too.
    common::audit_read(
        &state,
        &principal,
        ObjectRef::new("authorisation", "list"),
        "authorisation.list",
        json!({ "ids": ids }),
    )
    .await?;
    Ok(Json(json!(page)))
}

/// `POST /api/v1/authorisations` body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct AuthorisationInput {
    /// The unit authorised.
    pub unit: UnitId,
    /// The organ granting it.
    pub granted_by: UnitId,
    /// The highest level granted.
    pub highest_level: String,
    /// The subject areas granted.
    pub subject_areas: Vec<String>,
    /// The first day it applies (default: today).
    #[serde(default)]
    #[schemars(schema_with = "baomi_core::schema::date_or_null")]
    pub granted_on: Option<Date>,
}

async fn require_security_administrator(
    state: &AppState,
    principal: &Principal,
    object: Option<ObjectRef>,
    audit_action: &str,
) -> ApiResult<()> {
    if principal.has_role(Role::SecurityAdministrator) {
        return Ok(());
    }
    Err(common::deny_role(
        state,
        principal,
        object,
        audit_action,
        RuleId("R5.3"),
        "只有安全保密管理员可以登记定密授权",
        "only the security administrator records authorisations to classify",
    )
    .await)
}

/// `POST /api/v1/authorisations`: records an authorisation to classify (R1.4), by the
/// security administrator (R5.3) of the granting organ or a unit above it (403
/// `not_granting_side`). The granting organ must be a superior of the unit, never the unit
/// itself, hold statutory authority and be able to set the level itself; the subject areas
/// must be named (422 with the reason, R1.4). Every refusal is audited.
pub async fn grant_authorisation(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    const AUDIT: &str = "authorisation.grant";
    let input: AuthorisationInput = parse_body(&principal, body)?;
    require_security_administrator(&state, &principal, Some(ObjectRef::unit(input.unit)), AUDIT)
        .await?;
    let highest_level = parse_level(&principal, "highest_level", &input.highest_level)?;
    let now = state.clock.now();
    let today = civil_day(now);
    let mut tx = state.store.write().await?;
    if tx.get_unit(input.unit).await?.is_none() || tx.get_unit(input.granted_by).await?.is_none() {
        return Err(ApiError::not_found().in_lang(principal.lang));
    }
    let units = unit_directory(&mut tx).await?;
    if let Err(refusal) = check_authorisation(
        &units,
        principal.person.unit,
        input.unit,
        input.granted_by,
        highest_level,
        &input.subject_areas,
    ) {
        tx.rollback().await?;
        return Err(refuse_grant(
            &state,
            &principal,
            ObjectRef::unit(input.unit),
            AUDIT,
            &refusal,
        )
        .await);
    }
    let record = AuthorisationRecord {
        id: ledger::next_id::<AuthorisationRecord>(&mut tx).await?,
        unit: input.unit,
        authorisation: Authorisation {
            granted_by: input.granted_by,
            highest_level,
            subject_areas: input
                .subject_areas
                .iter()
                .map(|s| SubjectArea::new(s))
                .collect(),
            granted_on: input.granted_on.unwrap_or(today),
            withdrawn_on: None,
        },
    };
    ledger::insert(&mut tx, &record, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), AUDIT)
            .on(ObjectRef::new("authorisation", record.id))
            .detail(
                json!({
                    "unit": record.unit.0,
                    "granted_by": input.granted_by.0,
                    "highest_level": highest_level.code(),
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(authorisation_view(&record, today)),
    ))
}

/// `POST /api/v1/authorisations/{id}/withdraw` body.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct WithdrawInput {
    /// From which day it no longer applies (default: today).
    #[serde(default)]
    #[schemars(schema_with = "baomi_core::schema::date_or_null")]
    pub on: Option<Date>,
}

/// `POST /api/v1/authorisations/{id}/withdraw`: R1.4 — an authorisation can be withdrawn.
pub async fn withdraw_authorisation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    const AUDIT: &str = "authorisation.withdraw";
    let input: WithdrawInput = parse_body(&principal, body)?;
    let object_ref = ObjectRef::new("authorisation", id);
    require_security_administrator(&state, &principal, Some(object_ref.clone()), AUDIT).await?;
    let now = state.clock.now();
    let today = civil_day(now);
    let mut tx = state.store.write().await?;
    let loaded = ledger::load_for_update::<AuthorisationRecord>(&mut tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut record = loaded.value;
    if record.authorisation.withdrawn_on.is_some() {
        return Err(
            ApiError::conflict("该定密授权已撤销", "already withdrawn").in_lang(principal.lang)
        );
    }
    let on = input.on.unwrap_or(today);
    record.authorisation.withdrawn_on = Some(on);
    ledger::save(&mut tx, &record, loaded.version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), AUDIT)
            .on(object_ref)
            .detail(json!({ "on": on.to_string() }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(authorisation_view(&record, today)))
}

// ─────────────────────────────────────────── Routes ───────────────────────────────────────────

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/proposals", get(list_proposals).post(file_proposal))
        .route("/api/v1/proposals/{id}", get(get_proposal))
        .route("/api/v1/matters", get(list_matters))
        .route("/api/v1/matters/export", get(export_matters))
        .route("/api/v1/matters/{id}", get(get_matter))
        .route("/api/v1/matters/{id}/change", post(change_matter))
        .route("/api/v1/matters/{id}/extend", post(extend_matter))
        .route("/api/v1/matters/{id}/declassify", post(declassify_matter))
        .route("/api/v1/matters/{id}/review", post(review_matter))
        .route("/api/v1/matters/{id}/condition-met", post(condition_met))
        .route(
            "/api/v1/escalations",
            get(list_escalations).post(open_escalation),
        )
        .route("/api/v1/escalations/{id}", get(get_escalation))
        .route("/api/v1/escalations/{id}/{step}", post(escalation_step))
        .route(
            "/api/v1/classifiers",
            get(list_classifiers).post(grant_classifier),
        )
        .route(
            "/api/v1/authorisations",
            get(list_authorisations).post(grant_authorisation),
        )
        .route(
            "/api/v1/authorisations/{id}/withdraw",
            post(withdraw_authorisation),
        )
}
