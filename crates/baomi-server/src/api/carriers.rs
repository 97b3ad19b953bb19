//! Carriers (涉密载体, R3) over HTTP: the ledger, every life-cycle command, copies (R1.11) and
//! inventory rounds (R3.7, R13.4).
//!
//! The rules are `baomi_core::carriers`: this module only asks. A command is built **without**
//! an approval and dry-run through [`Carrier::apply`]:
//!
//! * accepted — the record is saved with a history line and audited (`carrier.<action>`) in one
//!   transaction;
//! * [`CarrierRefusal::ApprovalMissing`] — an [`ApprovalRequest`] is filed for the roles the core
//!   named, in the same transaction (`approval.request`), and the answer is 202 with its id; the
//!   approvals inbox later calls [`carry_out_approved`] (or [`copy_approved`]) with the approver's
//!   approval filled in, and the core checks it again;
//! * any other refusal — an audited 422 with its rule (a refusal that would be a serious
//!   violation, e.g. ordinary post, is flagged `R10.1` in the audit entry).
//!
//! Access: the carrier's object for [`decide`] is its level and **its matter's knowledge scope**
//! when it belongs to a matter (read from the matter's record, so a changed scope applies at
//! once), otherwise the scope given at registration. The clearance of a borrower, bearer or new
//! custodian is decided for that person, never taken from the request.
//!
//! Numbers are unique per unit and copy number (R3.2): the record's number column is
//! `"{unit}:{number}#{copy}"`, so the store refuses a duplicate even under concurrent writers.

use crate::api::common;
use crate::approvals::{ApprovalRequest, ApprovalStatus, ApprovalSubject};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::export::{self, ExportFormat, ExportQuery};
use crate::ledger::{self, level_rank, Ledger, ListQuery, Loaded, Page};
use crate::people::Person;
use crate::state::{civil_day, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_core::access::{
    check_clearance, decide, Action, Decision, DenyReason, KnowledgeScope, Object, Role, Status,
};
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome};
use baomi_core::carriers::{
    reconcile, Approval, ApproverRole, Carrier, CarrierCommand, CarrierKey, CarrierKind,
    CarrierMarking, CarrierNumber, CarrierRefusal, CarrierStatus, CarryDestination, CommandKind,
    DestructionMethod, Discrepancy, Location, NewCopy, Observation, Registration,
    RepairArrangement, TransitionRecord, TransmissionChannel,
};
use baomi_core::determination::{ClassifiedMatter, MatterStatus, Unit as CoreUnit, UnitDirectory};
use baomi_core::ids::{ApprovalId, CarrierId, MatterId, PersonId, UnitId};
use baomi_core::marks::{Level, Mark};
use baomi_core::{Describe, Lang, RuleId};
use baomi_store::{
    ReadTx, RecordFilter, RecordKind, RecordMeta, RecordOrder, StoreError, StoredRecord, WriteTx,
};
use jiff::civil::Date;
use jiff::tz::{self, TimeZone};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

// ---------------------------------------------------------------------------------------------
// The record
// ---------------------------------------------------------------------------------------------

/// A carrier in the ledger (R3.2): the core's record, its knowledge scope and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierRecord {
    /// The core record; it changes only through [`Carrier::apply`].
    pub carrier: Carrier,
    /// The scope given at registration. For a carrier of a matter this is the matter's scope
    /// when it was registered; access uses the matter's **current** scope ([`scope_of`]).
    pub scope: KnowledgeScope,
    /// Who registered it (or asked for the copy).
    pub registered_by: PersonId,
    /// When.
    pub registered_at: Timestamp,
    /// Every transition and copy, oldest first (R3.2, R3.9: kept permanently).
    #[serde(default)]
    pub history: Vec<HistoryLine>,
}

/// One line of a carrier's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "HistoryIn")]
pub struct HistoryLine {
    /// When it was recorded.
    pub at: Timestamp,
    /// Who asked for it; `None` for the system (automatic declassification, R1.9).
    pub by: Option<PersonId>,
    /// `register`, `copy`, `copied` or the command (`lend`, `carry_out`, …).
    pub action: String,
    /// The core's ledger line, for transitions.
    pub transition: Option<TransitionRecord>,
    /// The approval request it was carried out under.
    pub approval_request: Option<i64>,
    /// Who approved it.
    pub approved_by: Option<PersonId>,
    /// Related carrier (the source of a copy, or the copy made).
    pub related: Option<i64>,
}

/// A history line as stored: a full line, or a bare core ledger line appended by the service's
/// time-driven task (`timed`), which writes carriers through their JSON.
#[derive(Deserialize)]
#[serde(untagged)]
enum HistoryIn {
    Line {
        at: Timestamp,
        #[serde(default)]
        by: Option<PersonId>,
        action: String,
        #[serde(default)]
        transition: Option<TransitionRecord>,
        #[serde(default)]
        approval_request: Option<i64>,
        #[serde(default)]
        approved_by: Option<PersonId>,
        #[serde(default)]
        related: Option<i64>,
    },
    Bare(TransitionRecord),
}

impl From<HistoryIn> for HistoryLine {
    fn from(h: HistoryIn) -> HistoryLine {
        match h {
            HistoryIn::Line {
                at,
                by,
                action,
                transition,
                approval_request,
                approved_by,
                related,
            } => HistoryLine {
                at,
                by,
                action,
                transition,
                approval_request,
                approved_by,
                related,
            },
            HistoryIn::Bare(t) => HistoryLine {
                at: morning_of(t.on),
                by: None,
                action: history_action(t.command.kind()).to_owned(),
                transition: Some(t),
                approval_request: None,
                approved_by: None,
                related: None,
            },
        }
    }
}

/// The number column of a carrier: unique per unit, number and copy number (R3.2).
pub fn number_key(unit: UnitId, number: &CarrierNumber, copy: NonZeroU32) -> String {
    format!("{}:{}#{}", unit.0, number, copy)
}

/// The stored status code of a carrier state.
/// Every carrier status, in life-cycle order (R3.10).
pub const STATUSES: [CarrierStatus; 9] = [
    CarrierStatus::Registered,
    CarrierStatus::InCustody,
    CarrierStatus::Lent,
    CarrierStatus::InTransit,
    CarrierStatus::CarriedOut,
    CarrierStatus::InRepair,
    CarrierStatus::Destroyed,
    CarrierStatus::Declassified,
    CarrierStatus::Released,
];

/// The status stored as `code`.
pub fn status_of_code(code: &str) -> Option<CarrierStatus> {
    STATUSES.into_iter().find(|s| status_code(*s) == code)
}

pub fn status_code(status: CarrierStatus) -> &'static str {
    match status {
        CarrierStatus::Registered => "registered",
        CarrierStatus::InCustody => "in_custody",
        CarrierStatus::Lent => "lent",
        CarrierStatus::InTransit => "in_transit",
        CarrierStatus::CarriedOut => "carried_out",
        CarrierStatus::InRepair => "in_repair",
        CarrierStatus::Destroyed => "destroyed",
        CarrierStatus::Declassified => "declassified",
        CarrierStatus::Released => "released",
    }
}

impl Ledger for CarrierRecord {
    const KIND: RecordKind = RecordKind::Carrier;

    fn record_id(&self) -> i64 {
        self.carrier.id().0
    }

    fn meta(&self) -> RecordMeta {
        let c = &self.carrier;
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(c.unit().0),
            level: Some(level_rank(c.level())),
            status: status_code(c.status()).to_owned(),
            title: c.title().to_owned(),
            number: Some(number_key(c.unit(), c.number(), c.copy())),
            // R3.2, R3.7: where it is kept; a search finds it by its place too.
            place: Some(c.location().to_string()),
            holder: Some(c.holder().0),
            due_on: c.due(),
            // R1.8: a carrier of a matter is read by the matter's current scope (as
            // `scope_of`); declassified and released carriers are open to read (`object_of`).
            remind_on: None,
            read: Some(ledger::read_index(
                c.matter().map_or((RecordKind::Carrier, c.id().0), |m| {
                    (RecordKind::Matter, m.0)
                }),
                &self.scope,
                c.level(),
                match c.status() {
                    CarrierStatus::Declassified | CarrierStatus::Released => {
                        Some(baomi_store::always_open())
                    }
                    _ => None,
                },
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matters, scopes and access objects
// ---------------------------------------------------------------------------------------------

/// The one field of the matters module's record (`api::matters::MatterRecord`) read here: the
/// core matter, whose scope, mark, unit and status the carrier follows. Only this field is
/// decoded, so the record's other fields may change freely.
#[derive(Deserialize)]
struct StoredMatter {
    matter: ClassifiedMatter,
}

fn matter_in(record: &StoredRecord) -> Option<ClassifiedMatter> {
    serde_json::from_str::<StoredMatter>(&record.body)
        .ok()
        .map(|m| m.matter)
}

async fn matter_r(tx: &mut ReadTx, id: Option<MatterId>) -> ApiResult<Option<ClassifiedMatter>> {
    let Some(id) = id else { return Ok(None) };
    Ok(tx
        .get_record(RecordKind::Matter, id.0)
        .await?
        .as_ref()
        .and_then(matter_in))
}

async fn matter_w(tx: &mut WriteTx, id: Option<MatterId>) -> ApiResult<Option<ClassifiedMatter>> {
    let Some(id) = id else { return Ok(None) };
    Ok(tx
        .get_record(RecordKind::Matter, id.0)
        .await?
        .as_ref()
        .and_then(matter_in))
}

/// R1.7: whose knowledge the carrier is limited to — its matter's current scope when it has
/// one, otherwise the scope given at registration.
pub fn scope_of(record: &CarrierRecord, matter: Option<&ClassifiedMatter>) -> KnowledgeScope {
    match matter {
        Some(m) if Some(m.id()) == record.carrier.matter() => m.scope().clone(),
        _ => record.scope.clone(),
    }
}

/// The access object of a carrier (R13.1): declassified and released carriers are open to read.
pub fn object_of(record: &CarrierRecord, scope: KnowledgeScope) -> Object {
    let c = &record.carrier;
    let object = Object::carrier(c.id(), c.level(), scope);
    match c.status() {
        CarrierStatus::Declassified | CarrierStatus::Released => object.declassified(),
        _ => object,
    }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/// The commands reachable as `POST /api/v1/carriers/{id}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    TakeIntoCustody,
    Lend,
    Return,
    Transmit,
    Receive,
    CarryOut,
    Repair,
    Destroy,
    Declassify,
    Remark,
    Release,
}

impl Act {
    const ALL: [Act; 11] = [
        Act::TakeIntoCustody,
        Act::Lend,
        Act::Return,
        Act::Transmit,
        Act::Receive,
        Act::CarryOut,
        Act::Repair,
        Act::Destroy,
        Act::Declassify,
        Act::Remark,
        Act::Release,
    ];

    fn route(self) -> &'static str {
        match self {
            Act::TakeIntoCustody => "take-into-custody",
            Act::Lend => "lend",
            Act::Return => "return",
            Act::Transmit => "transmit",
            Act::Receive => "receive",
            Act::CarryOut => "carry-out",
            Act::Repair => "repair",
            Act::Destroy => "destroy",
            Act::Declassify => "declassify",
            Act::Remark => "remark",
            Act::Release => "release",
        }
    }

    fn parse(text: &str) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.route() == text)
    }

    fn kind(self) -> CommandKind {
        match self {
            Act::TakeIntoCustody => CommandKind::TakeIntoCustody,
            Act::Lend => CommandKind::Lend,
            Act::Return => CommandKind::Return,
            Act::Transmit => CommandKind::Transmit,
            Act::Receive => CommandKind::Receive,
            Act::CarryOut => CommandKind::CarryOut,
            Act::Repair => CommandKind::SendForRepair,
            Act::Destroy => CommandKind::Destroy,
            Act::Declassify => CommandKind::Declassify,
            Act::Remark => CommandKind::Remark,
            Act::Release => CommandKind::Release,
        }
    }

    fn of_kind(kind: CommandKind) -> Option<Act> {
        Act::ALL.into_iter().find(|a| a.kind() == kind)
    }
}

/// The audit action of a command: `carrier.lend`, `carrier.carry_out`, …
pub fn audit_action(kind: CommandKind) -> String {
    format!("carrier.{}", history_action(kind))
}

pub(crate) fn history_action(kind: CommandKind) -> &'static str {
    match Act::of_kind(kind) {
        Some(Act::TakeIntoCustody) => "take_into_custody",
        Some(Act::Lend) => "lend",
        Some(Act::Return) => "return",
        Some(Act::Transmit) => "transmit",
        Some(Act::Receive) => "receive",
        Some(Act::CarryOut) => "carry_out",
        Some(Act::Repair) => "repair",
        Some(Act::Destroy) => "destroy",
        Some(Act::Declassify) => "declassify",
        Some(Act::Remark) => "remark",
        Some(Act::Release) => "release",
        None => "copy",
    }
}

/// The command with `approval` put where the command takes it.
pub fn with_approval(command: CarrierCommand, approval: Approval) -> CarrierCommand {
    match command {
        CarrierCommand::Lend {
            to,
            due,
            borrower_cleared,
            ..
        } => CarrierCommand::Lend {
            to,
            due,
            approval: Some(approval),
            borrower_cleared,
        },
        CarrierCommand::CarryOut {
            by,
            due,
            destination,
            mut approvals,
            escort,
            bearer_cleared,
        } => {
            approvals.retain(|a| a.role != approval.role);
            approvals.push(approval);
            CarrierCommand::CarryOut {
                by,
                due,
                destination,
                approvals,
                escort,
                bearer_cleared,
            }
        }
        CarrierCommand::SendForRepair {
            arrangement,
            requested_by,
            ..
        } => CarrierCommand::SendForRepair {
            arrangement,
            approval: Some(approval),
            requested_by,
        },
        CarrierCommand::Destroy {
            method,
            requested_by,
            ..
        } => CarrierCommand::Destroy {
            method,
            approval: Some(approval),
            requested_by,
        },
        CarrierCommand::Release { requested_by, .. } => CarrierCommand::Release {
            approval: Some(approval),
            requested_by,
        },
        other => other,
    }
}

/// The stable code of a core refusal (its serde tag: `approval_missing`, `unprotected_channel`…).
pub fn refusal_code(refusal: &CarrierRefusal) -> String {
    serde_json::to_value(refusal)
        .ok()
        .and_then(|v| v.get("refusal").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "refused".to_owned())
}

/// A refusal to answer with: the core's text, rule and code, and the R10.1 flag.
#[derive(Debug, Clone)]
struct Refusal {
    zh: String,
    en: String,
    rule: RuleId,
    code: String,
    violation: Option<RuleId>,
}

impl Describe for Refusal {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.zh.clone(),
            Lang::En => self.en.clone(),
        }
    }
}

impl Refusal {
    fn carrier(r: &CarrierRefusal) -> Refusal {
        Refusal {
            zh: r.describe(Lang::Zh),
            en: r.describe(Lang::En),
            rule: r.rule(),
            code: refusal_code(r),
            violation: r.also_violates(),
        }
    }

    /// A third person (custodian, receiver, courier, escort) the access decision does not
    /// allow to hold the carrier.
    fn not_cleared(reason: &DenyReason, who: PersonId, what_zh: &str, what_en: &str) -> Refusal {
        Refusal {
            zh: format!(
                "{what_zh}（人员 {who}）不得接触该载体：{}",
                reason.describe(Lang::Zh)
            ),
            en: format!(
                "the {what_en} (person {who}) may not hold this carrier: {}",
                reason.describe(Lang::En)
            ),
            rule: reason.rule(),
            code: format!("{}_not_cleared", what_en.replace(' ', "_")),
            violation: None,
        }
    }

    fn error(&self) -> ApiError {
        ApiError::refused(self, self.rule, self.code.clone())
    }
}

/// Why a request stops before its change is written.
#[derive(Debug)]
enum Halt {
    Api(ApiError),
    Deny(DenyReason),
    Refuse(Refusal),
}

impl From<ApiError> for Halt {
    fn from(e: ApiError) -> Halt {
        Halt::Api(e)
    }
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Halt {
        Halt::Api(e.into())
    }
}

impl From<&CarrierRefusal> for Halt {
    fn from(r: &CarrierRefusal) -> Halt {
        Halt::Refuse(Refusal::carrier(r))
    }
}

/// Rolls back `tx` (the audit writer needs the writer lock), then audits a denial or refusal
/// and returns the answer.
async fn stop(
    state: &AppState,
    principal: &Principal,
    tx: WriteTx,
    object: Option<ObjectRef>,
    action: &str,
    halt: Halt,
) -> ApiError {
    if let Err(e) = tx.rollback().await {
        return e.into();
    }
    match halt {
        Halt::Api(e) => e.in_lang(principal.lang),
        Halt::Deny(reason) => match object {
            Some(o) => common::deny(state, principal, o, action, &reason).await,
            None => ApiError::denied(&reason).in_lang(principal.lang),
        },
        Halt::Refuse(r) => refuse_audited(state, principal, object, action, &r).await,
    }
}

/// Audits a refused attempt (with the R10.1 flag when doing it would be a serious violation)
/// and returns the 422.
async fn refuse_audited(
    state: &AppState,
    principal: &Principal,
    object: Option<ObjectRef>,
    action: &str,
    r: &Refusal,
) -> ApiError {
    let mut detail = json!({ "rule": r.rule.0, "reason": r.code, "refusal": r.en });
    if let Some(v) = r.violation {
        detail["violation"] = json!(v.0);
    }
    let mut draft = AuditDraft::new(state.clock.now(), principal.actor(), action)
        .outcome(Outcome::Denied {
            reason: r.code.clone(),
        })
        .detail(detail.to_string());
    if let Some(o) = object {
        draft = draft.on(o);
    }
    match state.audit.record(draft).await {
        Ok(_) => r.error().in_lang(principal.lang),
        Err(e) => e,
    }
}

fn bad(field: &str, zh: &str, en: &str) -> Halt {
    Halt::Api(
        ApiError::bad_request(format!("{field}：{zh}"), format!("{field}: {en}"))
            .with_reason(format!("invalid_{field}")),
    )
}

/// The JSON body as `T`; an empty body reads as `{}`.
fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Halt> {
    super::reject::parse_json(body).map_err(Halt::Api)
}

async fn person_w(tx: &mut WriteTx, id: PersonId, field: &str) -> Result<Person, Halt> {
    match ledger::load_for_update::<Person>(tx, id.0).await? {
        Some(p) => Ok(p.value),
        None => Err(bad(field, "人员不存在", "no such person")),
    }
}

fn allowed(subject_of: &Person, object: &Object, action: Action, today: Date) -> Decision {
    decide(&subject_of.subject(), object, action, today)
}

/// The person `id` may hold (read) the carrier, or a refusal naming them.
async fn must_be_cleared(
    tx: &mut WriteTx,
    id: PersonId,
    object: &Object,
    today: Date,
    field: &str,
    what_zh: &str,
    what_en: &str,
) -> Result<(), Halt> {
    let person = person_w(tx, id, field).await?;
    match allowed(&person, object, Action::Read, today) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(Halt::Refuse(Refusal::not_cleared(
            &reason, id, what_zh, what_en,
        ))),
    }
}

fn actor_may(
    principal: &Principal,
    object: &Object,
    action: Action,
    today: Date,
) -> Result<(), Halt> {
    match decide(&principal.subject(), object, action, today) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(Halt::Deny(reason)),
    }
}

fn location(text: &str) -> Result<Location, Halt> {
    Location::new(text).map_err(|r| Halt::from(&r))
}

/// A marking as typed: a level code or name (`secret`, `秘密`) or a full mark (`机密★10年`).
fn parse_marking(text: &str) -> Result<CarrierMarking, Halt> {
    let t = text.trim();
    if let Some(level) = Level::ALL
        .into_iter()
        .find(|l| l.code() == t || l.zh() == t || l.en().eq_ignore_ascii_case(t))
    {
        return Ok(CarrierMarking::Level(level));
    }
    Mark::parse(t).map(CarrierMarking::Mark).map_err(|e| {
        Halt::Api(
            ApiError::bad_request(
                format!("marking：{}", e.describe(Lang::Zh)),
                format!("marking: {}", e.describe(Lang::En)),
            )
            .with_rule(e.rule())
            .with_reason("invalid_marking"),
        )
    })
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct CustodyBody {
    holder: Option<PersonId>,
    location: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct LendBody {
    to: Option<PersonId>,
    #[schemars(schema_with = "baomi_core::schema::date")]
    due: Date,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct ReturnBody {
    received_by: Option<PersonId>,
    face_to_face: bool,
    inventory_matches: bool,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct TransmitBody {
    channel: TransmissionChannel,
    to: UnitId,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct ReceiveBody {
    by: Option<PersonId>,
    location: String,
    face_to_face: bool,
    inventory_matches: bool,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct CarryOutBody {
    by: Option<PersonId>,
    #[schemars(schema_with = "baomi_core::schema::date")]
    due: Date,
    #[serde(default = "domestic")]
    destination: CarryDestination,
    escort: Option<PersonId>,
    #[serde(default)]
    reason: String,
}

fn domestic() -> CarryDestination {
    CarryDestination::Domestic
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct RepairBody {
    arrangement: RepairArrangement,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct DestroyBody {
    method: Option<DestructionMethod>,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct DeclassifyBody {
    #[serde(default)]
    #[schemars(schema_with = "baomi_core::schema::date_or_null")]
    matter_declassified_on: Option<Date>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct RemarkBody {
    marking: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct ReleaseBody {
    #[serde(default)]
    reason: String,
}

/// A command ready for the core, with the requester's reason (for an approval request).
#[derive(Debug)]
struct Prepared {
    command: CarrierCommand,
    reason: String,
}

/// Builds the command for `act` from the body, after asking whether the acting person may do
/// it; third persons' clearance comes from the access decision for them.
#[allow(clippy::too_many_arguments)]
async fn prepare(
    tx: &mut WriteTx,
    principal: &Principal,
    act: Act,
    body: &[u8],
    object: &Object,
    matter: Option<&ClassifiedMatter>,
    today: Date,
) -> Result<Prepared, Halt> {
    let me = principal.id();
    let plain = |command| Prepared {
        command,
        reason: String::new(),
    };
    Ok(match act {
        Act::TakeIntoCustody => {
            let b: CustodyBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            let holder = b.holder.unwrap_or(me);
            must_be_cleared(tx, holder, object, today, "holder", "保管人", "custodian").await?;
            plain(CarrierCommand::TakeIntoCustody {
                holder,
                location: location(&b.location)?,
            })
        }
        Act::Lend => {
            let b: LendBody = parse_body(body)?;
            let to = b.to.unwrap_or(me);
            let action = if to == me {
                Action::Borrow
            } else {
                Action::Edit
            };
            actor_may(principal, object, action, today)?;
            let borrower = person_w(tx, to, "to").await?;
            let borrower_cleared = allowed(&borrower, object, Action::Borrow, today).is_allowed();
            Prepared {
                command: CarrierCommand::Lend {
                    to,
                    due: b.due,
                    approval: None,
                    borrower_cleared,
                },
                reason: b.reason,
            }
        }
        Act::Return => {
            let b: ReturnBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            let received_by = b.received_by.unwrap_or(me);
            must_be_cleared(
                tx,
                received_by,
                object,
                today,
                "received_by",
                "接收人",
                "receiver",
            )
            .await?;
            plain(CarrierCommand::Return {
                received_by,
                face_to_face: b.face_to_face,
                inventory_matches: b.inventory_matches,
            })
        }
        Act::Transmit => {
            let b: TransmitBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            if tx.get_unit(b.to).await?.is_none() {
                return Err(bad("to", "单位不存在", "no such unit"));
            }
            if let TransmissionChannel::DedicatedCourier { courier, .. } = &b.channel {
                must_be_cleared(tx, *courier, object, today, "courier", "递送人", "courier")
                    .await?;
            }
            plain(CarrierCommand::Transmit {
                channel: b.channel,
                to: b.to,
            })
        }
        Act::Receive => {
            let b: ReceiveBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            let by = b.by.unwrap_or(me);
            let receiver = person_w(tx, by, "by").await?;
            if let Decision::Deny(reason) = allowed(&receiver, object, Action::Read, today) {
                return Err(Halt::Refuse(Refusal::not_cleared(
                    &reason,
                    by,
                    "签收人",
                    "receiver",
                )));
            }
            plain(CarrierCommand::Receive {
                by,
                by_unit: receiver.unit,
                location: location(&b.location)?,
                face_to_face: b.face_to_face,
                inventory_matches: b.inventory_matches,
            })
        }
        Act::CarryOut => {
            let b: CarryOutBody = parse_body(body)?;
            let by = b.by.unwrap_or(me);
            let action = if by == me {
                Action::CarryOut
            } else {
                Action::Edit
            };
            actor_may(principal, object, action, today)?;
            let bearer = person_w(tx, by, "by").await?;
            let bearer_cleared = allowed(&bearer, object, Action::CarryOut, today).is_allowed();
            if let Some(escort) = b.escort {
                must_be_cleared(tx, escort, object, today, "escort", "陪同人", "escort").await?;
            }
            Prepared {
                command: CarrierCommand::CarryOut {
                    by,
                    due: b.due,
                    destination: b.destination,
                    approvals: Vec::new(),
                    escort: b.escort,
                    bearer_cleared,
                },
                reason: b.reason,
            }
        }
        Act::Repair => {
            let b: RepairBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            Prepared {
                command: CarrierCommand::SendForRepair {
                    arrangement: b.arrangement,
                    approval: None,
                    requested_by: me,
                },
                reason: b.reason,
            }
        }
        Act::Destroy => {
            let b: DestroyBody = parse_body(body)?;
            actor_may(principal, object, Action::Destroy, today)?;
            Prepared {
                command: CarrierCommand::Destroy {
                    method: b.method,
                    approval: None,
                    requested_by: me,
                },
                reason: b.reason,
            }
        }
        Act::Declassify => {
            let b: DeclassifyBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            let on = match matter {
                // R1.9: a carrier of a matter follows the matter's own declassification.
                Some(m) => match m.status_on(today) {
                    MatterStatus::Declassified { on, .. } => on,
                    MatterStatus::InForce {
                        declassifies_on: Some(end),
                    } => {
                        return Err(Halt::from(&CarrierRefusal::NotYetDeclassified {
                            declassified_on: end,
                            on: today,
                        }))
                    }
                    MatterStatus::InForce {
                        declassifies_on: None,
                    }
                    | MatterStatus::NotYetClassified => {
                        return Err(Halt::Refuse(Refusal {
                            zh: "所属事项尚在保密期限内，载体不能解密（R1.9）".to_owned(),
                            en: "the carrier's matter is still in force; the carrier cannot be declassified (R1.9)".to_owned(),
                            rule: RuleId("R1.9"),
                            code: "matter_in_force".to_owned(),
                            violation: None,
                        }))
                    }
                },
                None => b.matter_declassified_on.ok_or_else(|| {
                    bad("matter_declassified_on", "须写明事项解密日期", "the matter's declassification date is required")
                })?,
            };
            plain(CarrierCommand::Declassify {
                matter_declassified_on: on,
            })
        }
        Act::Remark => {
            let b: RemarkBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            let marking = match (b.marking, matter) {
                (Some(text), _) => parse_marking(&text)?,
                // R1.8: re-marked with the matter's changed mark.
                (None, Some(m)) => CarrierMarking::Mark(m.mark().clone()),
                (None, None) => {
                    return Err(bad(
                        "marking",
                        "须写明新的密级标志",
                        "the new marking is required",
                    ))
                }
            };
            if let (Some(m), CarrierMarking::Mark(_) | CarrierMarking::Level(_)) =
                (matter, &marking)
            {
                if marking.level() != m.mark().level() {
                    return Err(bad(
                        "marking",
                        "载体标志的密级须与所属事项一致（R3.2）",
                        "the carrier's marking must carry its matter's level (R3.2)",
                    ));
                }
            }
            plain(CarrierCommand::Remark { marking })
        }
        Act::Release => {
            let b: ReleaseBody = parse_body(body)?;
            actor_may(principal, object, Action::Edit, today)?;
            Prepared {
                command: CarrierCommand::Release {
                    approval: None,
                    requested_by: me,
                },
                reason: b.reason,
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

fn marking_json(m: &CarrierMarking) -> Value {
    json!({ "zh": m.to_zh(), "en": m.to_en(), "level": m.level().code() })
}

fn summary(id: i64, record: &CarrierRecord, today: Date) -> Value {
    let c = &record.carrier;
    json!({
        "id": id,
        "number": c.number().as_str(),
        "copy": c.copy().get(),
        "kind": c.kind(),
        "kind_zh": c.kind().zh(),
        "kind_en": c.kind().en(),
        "family": c.kind().family(),
        "marking": marking_json(c.marking()),
        "level": c.level().code(),
        "matter": c.matter().map(|m| m.0),
        "unit": c.unit().0,
        "title": c.title(),
        "holder": c.holder().0,
        "location": c.location().as_str(),
        "status": status_code(c.status()),
        "status_zh": c.status().zh(),
        "status_en": c.status().en(),
        "registered_on": c.registered_on().to_string(),
        "changed_on": c.changed_on().to_string(),
        "due": c.due().map(|d| d.to_string()),
        "overdue": c.overdue_on(today),
        "copied_from": c.copied_from(),
    })
}

fn detail_view(
    id: i64,
    record: &CarrierRecord,
    scope: &KnowledgeScope,
    approvals: &[ApprovalRequest],
    version: i64,
    today: Date,
) -> Value {
    let mut v = summary(id, record, today);
    v["state"] = json!(record.carrier.state());
    v["scope"] = json!(scope);
    v["registered_by"] = json!(record.registered_by.0);
    v["registered_at"] = json!(record.registered_at.to_string());
    v["version"] = json!(version);
    v["history"] = Value::Array(
        record
            .history
            .iter()
            .map(|h| {
                let mut line = json!(h);
                if let Some(t) = &h.transition {
                    line["from_zh"] = json!(t.from.zh());
                    line["to_zh"] = json!(t.to.zh());
                    line["command_zh"] = json!(t.command.kind().zh());
                    line["command_en"] = json!(t.command.kind().en());
                    line["rule"] = json!(t.command.kind().rule().0);
                }
                line
            })
            .collect(),
    );
    v["approvals"] = Value::Array(
        approvals
            .iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "title": a.title,
                    "status": a.status.code(),
                    "needed": a.needed,
                    "requested_by": a.requested_by.0,
                    "requested_at": a.requested_at.to_string(),
                    "steps": a.steps,
                })
            })
            .collect(),
    );
    v
}

async fn approvals_about(
    tx: &mut ReadTx,
    id: i64,
    unit: UnitId,
) -> ApiResult<Vec<ApprovalRequest>> {
    // Found by index (the requests' `about` column), not by reading the unit's requests.
    let filter = RecordFilter {
        unit: Some(unit.0),
        about: Some((RecordKind::Carrier, id)),
        ..RecordFilter::default()
    };
    Ok(
        ledger::load_all::<ApprovalRequest>(tx, &filter, RecordOrder::Id, false)
            .await?
            .into_iter()
            .map(|l| l.value)
            .filter(|a| a.object() == (RecordKind::Carrier, id))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Handlers: the ledger
// ---------------------------------------------------------------------------------------------

/// `POST /api/v1/carriers`: R3.2 registration.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RegisterBody {
    /// The unit-wide number.
    pub number: String,
    /// The copy number (份号), default 1.
    pub copy: Option<u32>,
    /// The kind (R3.1).
    pub kind: CarrierKind,
    /// The marking (`机密★10年`, or a level); default the matter's mark.
    pub marking: Option<String>,
    /// Title or description.
    pub title: String,
    /// The matter, when known; its scope then governs the carrier.
    pub matter: Option<MatterId>,
    /// The knowledge scope, for a carrier without a matter (R1.7).
    pub scope: Option<KnowledgeScope>,
    /// Where it is kept.
    pub location: String,
    /// Who holds it until signed into custody; default the registrant.
    pub custodian: Option<PersonId>,
}

async fn register(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> ApiResult<Response> {
    let now = state.clock.now();
    let today = civil_day(now);
    let b: RegisterBody = match parse_body(&body) {
        Ok(b) => b,
        Err(Halt::Api(e)) => return Err(e.in_lang(principal.lang)),
        Err(_) => return Err(ApiError::internal(&"unexpected halt")),
    };
    // R1.7: a carrier's own scope names only existing people, units and departments.
    if let (None, Some(scope)) = (&b.matter, &b.scope) {
        crate::api::matters::check_scope_names(&state, &principal, scope, None, "carrier.register")
            .await?;
    }
    let mut tx = state.store.write().await?;
    let id = ledger::next_id::<CarrierRecord>(&mut tx).await?;
    let object_ref = ObjectRef::carrier(CarrierId(id));
    match register_in(&mut tx, &principal, b, id, today, now).await {
        Ok(record) => {
            let view = summary(id, &record, today);
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
        Err(halt) => Err(stop(
            &state,
            &principal,
            tx,
            Some(object_ref),
            "carrier.register",
            halt,
        )
        .await),
    }
}

async fn register_in(
    tx: &mut WriteTx,
    principal: &Principal,
    b: RegisterBody,
    id: i64,
    today: Date,
    now: Timestamp,
) -> Result<CarrierRecord, Halt> {
    let copy = NonZeroU32::new(b.copy.unwrap_or(1))
        .ok_or_else(|| bad("copy", "份号从 1 开始", "copy numbers start at 1"))?;
    let number = CarrierNumber::new(&b.number).map_err(|r| Halt::from(&r))?;
    let (marking, scope) = match b.matter {
        Some(mid) => {
            let Some(matter) = matter_w(tx, Some(mid)).await? else {
                return Err(bad("matter", "事项不存在", "no such matter"));
            };
            // A matter the registrant may not handle answers as if it did not exist: neither
            // its existence nor its level is told to someone outside its scope (R1.7), as the
            // level comparison below would.
            let as_its_carrier =
                Object::carrier(CarrierId(id), matter.mark().level(), matter.scope().clone());
            if actor_may(principal, &as_its_carrier, Action::Edit, today).is_err() {
                return Err(bad("matter", "事项不存在", "no such matter"));
            }
            let marking = match &b.marking {
                Some(text) => parse_marking(text)?,
                None => CarrierMarking::Mark(matter.mark().clone()),
            };
            if marking.level() != matter.mark().level() {
                return Err(bad(
                    "marking",
                    "载体标志的密级须与所属事项一致（R3.2）",
                    "the carrier's marking must carry its matter's level (R3.2)",
                ));
            }
            (marking, matter.scope().clone())
        }
        None => {
            let marking = match &b.marking {
                Some(text) => parse_marking(text)?,
                None => return Err(bad("marking", "须写明密级标志", "the marking is required")),
            };
            let scope = b.scope.ok_or_else(|| {
                bad(
                    "scope",
                    "须写明知悉范围（R1.7）",
                    "the knowledge scope is required (R1.7)",
                )
            })?;
            if let Err(e) = scope.validate() {
                return Err(Halt::Refuse(Refusal {
                    zh: e.describe(Lang::Zh),
                    en: e.describe(Lang::En),
                    rule: e.rule(),
                    code: "invalid_scope".to_owned(),
                    violation: None,
                }));
            }
            (marking, scope)
        }
    };
    let object = Object::carrier(CarrierId(id), marking.level(), scope.clone());
    actor_may(principal, &object, Action::Edit, today)?;
    let custodian = b.custodian.unwrap_or(principal.id());
    must_be_cleared(
        tx,
        custodian,
        &object,
        today,
        "custodian",
        "保管人",
        "custodian",
    )
    .await?;
    let carrier = Carrier::register(
        Registration {
            id: CarrierId(id),
            number,
            copy,
            kind: b.kind,
            marking,
            matter: b.matter,
            unit: principal.person.unit,
            title: b.title,
            holder: custodian,
            location: location(&b.location)?,
        },
        today,
    )
    .map_err(|r| Halt::from(&r))?;
    let record = CarrierRecord {
        carrier,
        scope,
        registered_by: principal.id(),
        registered_at: now,
        history: vec![HistoryLine {
            at: now,
            by: Some(principal.id()),
            action: "register".to_owned(),
            transition: None,
            approval_request: None,
            approved_by: None,
            related: None,
        }],
    };
    insert_unique(tx, &record, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "carrier.register")
            .on(ObjectRef::carrier(CarrierId(id)))
            .detail(
                json!({
                    "number": record.carrier.number().as_str(),
                    "copy": record.carrier.copy().get(),
                    "level": record.carrier.level().code(),
                    "matter": record.carrier.matter().map(|m| m.0),
                    "custodian": custodian.0,
                })
                .to_string(),
            ),
    )
    .await?;
    Ok(record)
}

/// One carrier's registration for the import (`api::import`): the next id, then exactly what
/// `POST /api/v1/carriers` does inside `tx` (its `carrier.register` audit entry included). A
/// denial or refusal is the answer the single registration would give, not yet audited: the
/// import audits its outcome once, after rolling back.
pub(crate) async fn register_row(
    tx: &mut WriteTx,
    principal: &Principal,
    b: RegisterBody,
    today: Date,
    now: Timestamp,
) -> ApiResult<CarrierRecord> {
    let id = ledger::next_id::<CarrierRecord>(tx).await?;
    register_in(tx, principal, b, id, today, now)
        .await
        .map_err(|halt| {
            match halt {
                Halt::Api(e) => e,
                Halt::Deny(reason) => ApiError::denied(&reason),
                Halt::Refuse(r) => r.error(),
            }
            .in_lang(principal.lang)
        })
}

/// Inserts a new carrier record; a number (with copy number) already used in the unit is an
/// R3.2 refusal.
async fn insert_unique(
    tx: &mut WriteTx,
    record: &CarrierRecord,
    now: Timestamp,
) -> Result<(), Halt> {
    let c = &record.carrier;
    let key = number_key(c.unit(), c.number(), c.copy());
    if tx
        .get_record_by_number(RecordKind::Carrier, &key)
        .await?
        .is_some()
    {
        return Err(duplicate(c.number(), c.copy()));
    }
    match ledger::insert(tx, record, now).await {
        Ok(()) => Ok(()),
        Err(e) if e.status == StatusCode::CONFLICT => Err(duplicate(c.number(), c.copy())),
        Err(e) => Err(Halt::Api(e)),
    }
}

fn duplicate(number: &CarrierNumber, copy: NonZeroU32) -> Halt {
    Halt::Api(
        ApiError::conflict(
            format!("本单位已有编号为 {number}、份号为 {copy} 的载体；载体编号在单位内唯一（R3.2）"),
            format!("the unit already has a carrier numbered {number}, copy {copy}; numbers are unique within the unit (R3.2)"),
        )
        .with_rule(RuleId("R3.2"))
        .with_reason("duplicate_number"),
    )
}

/// The carriers of `candidates` that `principal` may read, each with the scope that governs it
/// (its matter's current scope, R1.8): the core decides every row SQL selected (invariant 2).
async fn decide_carriers(
    tx: &mut ReadTx,
    principal: &Principal,
    candidates: Vec<Loaded<CarrierRecord>>,
    today: Date,
) -> ApiResult<Vec<(Loaded<CarrierRecord>, KnowledgeScope)>> {
    // Each matter read once: its current scope governs all its carriers.
    let wanted: BTreeSet<MatterId> = candidates
        .iter()
        .filter_map(|l| l.value.carrier.matter())
        .collect();
    let mut matters: BTreeMap<MatterId, ClassifiedMatter> = BTreeMap::new();
    for mid in wanted {
        if let Some(m) = matter_r(tx, Some(mid)).await? {
            matters.insert(mid, m);
        }
    }
    let subject = principal.subject();
    let mut out = Vec::with_capacity(candidates.len());
    for loaded in candidates {
        let matter = loaded
            .value
            .carrier
            .matter()
            .and_then(|mid| matters.get(&mid));
        let scope = scope_of(&loaded.value, matter);
        let object = object_of(&loaded.value, scope.clone());
        if decide(&subject, &object, Action::Read, today).is_allowed() {
            out.push((loaded, scope));
        }
    }
    Ok(out)
}

/// `GET /api/v1/carriers`: the ledger, only what the subject may read; audited once. SQL
/// selects one window of candidates the subject could read and counts them (up to
/// [`ledger::TOTAL_CAP`]); the core decides each row.
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let today = state.clock.today();
    let lang = principal.lang;
    let (page_no, _) = query.page_numbers().map_err(|e| e.in_lang(lang))?;
    let (filter, order, descending) = query.to_filter().map_err(|e| e.in_lang(lang))?;
    let window = query.window(order).map_err(|e| e.in_lang(lang))?;
    let reader = ledger::reader_of(&principal.subject(), today);
    let mut tx = state.store.read().await?;
    let candidates = ledger::load_page::<CarrierRecord>(
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
            RecordKind::Carrier,
            &filter,
            Some(&reader),
            ledger::TOTAL_CAP,
        )
        .await?;
    let n = candidates.len();
    let last = candidates.last().map(|l| l.value.record_id());
    let rows = decide_carriers(&mut tx, &principal, candidates, today).await?;
    tx.finish().await?;
    let page = Page::decided(rows, window, page_no, n, last, total);
    let ids: Vec<i64> = page
        .items
        .iter()
        .map(|(l, _)| l.value.record_id())
        .collect();
    common::audit_list_read(
        &state,
        &principal,
        "carrier.list",
        json!({ "ids": ids, "total": page.total }),
    )
    .await?;
    let page = page.map(|(l, _)| summary(l.value.record_id(), &l.value, today));
    Ok(Json(json!(page)))
}

/// `GET /api/v1/carriers/export?format=csv|xlsx` (R13.3): the visible ledger as a spreadsheet.
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
    Query(format): Query<ExportQuery>,
) -> ApiResult<Response> {
    let lang = principal.lang;
    let format = ExportFormat::of(&format).map_err(|e| e.in_lang(lang))?;
    let today = state.clock.today();
    let (filter, order, descending) = query.to_filter().map_err(|e| e.in_lang(lang))?;
    let reader = ledger::reader_of(&principal.subject(), today);
    let mut tx = state.store.read().await?;
    let candidates = tx
        .count_records(RecordKind::Carrier, &filter, Some(&reader), u64::MAX)
        .await?;
    tx.finish().await?;
    // Audited before the first row leaves: the query fixes what the export holds.
    state
        .audit
        .record(
            AuditDraft::new(state.clock.now(), principal.actor(), "carrier.export").detail(
                common::bounded_detail(json!({
                    "format": format.extension(),
                    "query": query,
                    "candidates": candidates,
                })),
            ),
        )
        .await?;
    let columns = [
        ("序号", "Id"),
        ("编号", "Number"),
        ("份号", "Copy"),
        ("种类", "Kind"),
        ("密级标志", "Marking"),
        ("标题", "Title"),
        ("状态", "Status"),
        ("责任人", "Holder"),
        ("存放位置", "Location"),
        ("归还期限", "Due"),
        ("登记日期", "Registered"),
    ];
    let (sender, receiver) = tokio::sync::mpsc::channel(export::STREAM_AHEAD);
    tokio::spawn(async move {
        let produced = produce_export(&state, &principal, filter, order, descending, &sender).await;
        if let Err(e) = produced {
            let _ = sender.send(Err(e)).await;
        }
    });
    let title = lang.pick("涉密载体台账", "carrier ledger");
    Ok(export::stream_table(title, &columns, format, lang, receiver).await)
}

/// Sends the export's rows window by window: SQL selects the candidates, the core decides
/// each (R13.1); stops quietly when the download is abandoned.
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
    let reader = ledger::reader_of(&principal.subject(), today);
    let mut tx = state.store.read().await?;
    let mut windows = ledger::Windows::new(order, 1_000);
    while let Some(window) = windows.next() {
        let candidates = ledger::load_page::<CarrierRecord>(
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
            candidates.last().map(|l| l.value.record_id()),
        );
        let decided = decide_carriers(&mut tx, principal, candidates, today).await?;
        // People are named, not numbered, in what leaves the system.
        let names = ledger::names_of(
            &mut tx,
            RecordKind::Person,
            decided.iter().map(|(l, _)| l.value.carrier.holder().0),
        )
        .await?;
        let rows: Vec<Vec<String>> = decided
            .iter()
            .map(|(l, _)| {
                let c = &l.value.carrier;
                vec![
                    l.value.record_id().to_string(),
                    c.number().to_string(),
                    c.copy().to_string(),
                    lang.pick(c.kind().zh(), c.kind().en()).to_owned(),
                    match lang {
                        Lang::Zh => c.marking().to_zh(),
                        Lang::En => c.marking().to_en(),
                    },
                    c.title().to_owned(),
                    lang.pick(c.status().zh(), c.status().en()).to_owned(),
                    names.get(&c.holder().0).cloned().unwrap_or_else(|| {
                        lang.pick("（未登记人员）", "(unregistered person)")
                            .to_owned()
                    }),
                    c.location().to_string(),
                    c.due().map(|d| d.to_string()).unwrap_or_default(),
                    c.registered_on().to_string(),
                ]
            })
            .collect();
        if sender.send(Ok(rows)).await.is_err() {
            break;
        }
    }
    tx.finish().await?;
    Ok(())
}

/// `GET /api/v1/carriers/{id}`: one carrier with its full history (audited read).
async fn get_one(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let today = state.clock.today();
    let mut tx = state.store.read().await?;
    let Some(loaded) = ledger::load::<CarrierRecord>(&mut tx, id).await? else {
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let matter = matter_r(&mut tx, loaded.value.carrier.matter()).await?;
    let approvals = approvals_about(&mut tx, id, loaded.value.carrier.unit()).await?;
    tx.finish().await?;
    let scope = scope_of(&loaded.value, matter.as_ref());
    let object = object_of(&loaded.value, scope.clone());
    let object_ref = ObjectRef::carrier(CarrierId(id));
    common::authorise(
        &state,
        &principal,
        &object,
        Action::Read,
        object_ref.clone(),
        "carrier.read",
    )
    .await?;
    common::audit_read(
        &state,
        &principal,
        object_ref,
        "carrier.read",
        json!({ "level": loaded.value.carrier.level().code() }),
    )
    .await?;
    Ok(Json(detail_view(
        id,
        &loaded.value,
        &scope,
        &approvals,
        loaded.version,
        today,
    )))
}

// ---------------------------------------------------------------------------------------------
// Handlers: commands
// ---------------------------------------------------------------------------------------------

/// `POST /api/v1/carriers/{id}/{action}`.
async fn act(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let Some(act) = Act::parse(&action) else {
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let now = state.clock.now();
    let today = civil_day(now);
    let audit_name = audit_action(act.kind());
    let object_ref = ObjectRef::carrier(CarrierId(id));
    let mut tx = state.store.write().await?;
    match act_in(&mut tx, &principal, act, id, &body, today, now).await {
        Ok(answer) => {
            tx.commit().await?;
            Ok(answer)
        }
        Err(halt) => Err(stop(&state, &principal, tx, Some(object_ref), &audit_name, halt).await),
    }
}

async fn act_in(
    tx: &mut WriteTx,
    principal: &Principal,
    act: Act,
    id: i64,
    body: &[u8],
    today: Date,
    now: Timestamp,
) -> Result<Response, Halt> {
    let Some(loaded) = ledger::load_for_update::<CarrierRecord>(tx, id).await? else {
        return Err(Halt::Api(ApiError::not_found()));
    };
    let matter = matter_w(tx, loaded.value.carrier.matter()).await?;
    let scope = scope_of(&loaded.value, matter.as_ref());
    let object = object_of(&loaded.value, scope.clone());
    let prepared = prepare(tx, principal, act, body, &object, matter.as_ref(), today).await?;
    let carrier = &loaded.value.carrier;
    match carrier.apply(prepared.command.clone(), today) {
        Ok(transition) => {
            let record =
                record_transition(tx, loaded, transition, principal.id(), None, now).await?;
            tx.append_audit(
                AuditDraft::new(now, principal.actor(), &audit_action(act.kind()))
                    .on(ObjectRef::carrier(CarrierId(id)))
                    .detail(transition_detail(&record.0.value, None).to_string()),
            )
            .await?;
            Ok(Json(detail_view(
                id,
                &record.0.value,
                &scope,
                &[],
                record.1,
                today,
            ))
            .into_response())
        }
        Err(CarrierRefusal::ApprovalMissing { needed, action }) => {
            // Would the command pass with the approval it lacks? Refuse now what no approver
            // could make lawful (an inadequate destruction method, carrying abroad, …).
            if let Some(role) = needed.first() {
                let probe = with_approval(
                    prepared.command.clone(),
                    Approval {
                        id: ApprovalId(0),
                        by: PersonId(0),
                        role: *role,
                        unit: carrier.unit(),
                        on: today,
                    },
                );
                if let Err(r) = carrier.apply(probe, today) {
                    return Err(Halt::from(&r));
                }
            }
            let missing = CarrierRefusal::ApprovalMissing {
                action,
                needed: needed.clone(),
            };
            let request_id = file_request(
                tx,
                principal.id(),
                carrier,
                ApprovalSubject::Carrier {
                    carrier: id,
                    command: prepared.command,
                },
                carrier.unit(),
                needed.clone(),
                prepared.reason,
                action,
                now,
            )
            .await?;
            Ok(pending_answer(request_id, &needed, &missing))
        }
        Err(r) => Err(Halt::from(&r)),
    }
}

fn pending_answer(request_id: i64, needed: &[ApproverRole], missing: &CarrierRefusal) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "status": "pending",
            "approval_request": request_id,
            "needed": needed,
            "rule": missing.rule().0,
            "message_zh": missing.describe(Lang::Zh),
            "message_en": missing.describe(Lang::En),
        })),
    )
        .into_response()
}

/// Files an approval request in `tx` and audits it (`approval.request`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn file_request(
    tx: &mut WriteTx,
    requester: PersonId,
    carrier: &Carrier,
    subject: ApprovalSubject,
    unit: UnitId,
    needed: Vec<ApproverRole>,
    reason: String,
    action: CommandKind,
    now: Timestamp,
) -> ApiResult<i64> {
    let request_id = ledger::next_id::<ApprovalRequest>(tx).await?;
    let request = ApprovalRequest {
        id: request_id,
        unit,
        subject,
        title: format!(
            "{}（{}）：{} 第{}份",
            action.zh(),
            action.en(),
            carrier.number(),
            carrier.copy()
        ),
        level: carrier.level(),
        requested_by: requester,
        requested_at: now,
        reason,
        needed,
        status: ApprovalStatus::Pending,
        steps: Vec::new(),
    };
    ledger::insert(tx, &request, now).await?;
    tx.append_audit(
        AuditDraft::new(
            now,
            baomi_core::audit::Actor::Person(requester),
            "approval.request",
        )
        .on(ObjectRef::approval(ApprovalId(request_id)))
        .detail(
            json!({
                "carrier": carrier.id().0,
                "action": history_action(action),
                "needed": request.needed,
                "rule": action.rule().0,
            })
            .to_string(),
        ),
    )
    .await?;
    Ok(request_id)
}

fn transition_detail(
    record: &CarrierRecord,
    approval: Option<(i64, PersonId, ApproverRole)>,
) -> Value {
    let c = &record.carrier;
    let mut d = json!({
        "number": c.number().as_str(),
        "copy": c.copy().get(),
        "status": status_code(c.status()),
        "holder": c.holder().0,
    });
    if let Some(t) = record.history.last().and_then(|h| h.transition.as_ref()) {
        d["from"] = json!(status_code(t.from));
        d["command"] = json!(t.command);
    }
    if let Some((request, by, role)) = approval {
        d["approval_request"] = json!(request);
        d["approved_by"] = json!(by.0);
        d["role"] = json!(role);
    }
    d
}

/// Saves an accepted transition with its history line; returns the record and its version.
async fn record_transition(
    tx: &mut WriteTx,
    loaded: Loaded<CarrierRecord>,
    transition: baomi_core::carriers::Transition,
    by: PersonId,
    approval: Option<(i64, PersonId)>,
    now: Timestamp,
) -> ApiResult<(Loaded<CarrierRecord>, i64)> {
    let mut record = loaded.value;
    let action = history_action(transition.record.command.kind());
    record.carrier = transition.carrier;
    record.history.push(HistoryLine {
        at: now,
        by: Some(by),
        action: action.to_owned(),
        transition: Some(transition.record),
        approval_request: approval.map(|a| a.0),
        approved_by: approval.map(|a| a.1),
        related: None,
    });
    let version = ledger::save(tx, &record, loaded.version, now).await?;
    Ok((
        Loaded {
            value: record,
            version,
            created: loaded.created,
            updated: now,
        },
        version,
    ))
}

/// Re-asks the access decision for the borrower or bearer at the time of approval (their
/// clearance may have changed since the request).
async fn refresh_clearance(
    tx: &mut WriteTx,
    command: CarrierCommand,
    object: &Object,
    today: Date,
) -> ApiResult<CarrierCommand> {
    Ok(match command {
        CarrierCommand::Lend {
            to, due, approval, ..
        } => {
            let cleared = match ledger::load_for_update::<Person>(tx, to.0).await? {
                Some(p) => allowed(&p.value, object, Action::Borrow, today).is_allowed(),
                None => false,
            };
            CarrierCommand::Lend {
                to,
                due,
                approval,
                borrower_cleared: cleared,
            }
        }
        CarrierCommand::CarryOut {
            by,
            due,
            destination,
            approvals,
            escort,
            ..
        } => {
            let cleared = match ledger::load_for_update::<Person>(tx, by.0).await? {
                Some(p) => allowed(&p.value, object, Action::CarryOut, today).is_allowed(),
                None => false,
            };
            CarrierCommand::CarryOut {
                by,
                due,
                destination,
                approvals,
                escort,
                bearer_cleared: cleared,
            }
        }
        other => other,
    })
}

fn approver_checks(
    request: &ApprovalRequest,
    approver: &Principal,
    role: ApproverRole,
    action: CommandKind,
) -> ApiResult<()> {
    if approver.id() == request.requested_by {
        let r = CarrierRefusal::SelfApproval {
            action,
            person: approver.id(),
        };
        return Err(ApiError::refused(&r, r.rule(), refusal_code(&r)).in_lang(approver.lang));
    }
    if !approver.person.approver_roles.contains(&role) {
        return Err(ApiError::role_required(
            format!("您不具有“{}”的审批身份", role.zh()),
            format!("you do not approve as {}", role.en()),
            action.rule(),
        )
        .in_lang(approver.lang));
    }
    Ok(())
}

/// R2.1: an approver decides about a carrier only if their category covers its level (a
/// declassified or released carrier needs none). A denial is the 403 with its reason code,
/// returned unaudited: the approvals inbox rolls back and audits it as a denied attempt.
fn approver_clearance(approver: &Principal, object: &Object, today: Date) -> ApiResult<()> {
    if object.status == Status::Declassified {
        return Ok(());
    }
    check_clearance(&approver.subject(), object.level, today)
        .map_err(|reason| ApiError::denied(&reason).in_lang(approver.lang))
}

/// What an approver is answered after the approved step (R13.1, R1.7): the carrier's detail
/// only if the access decision lets them read it; otherwise its id and status, and why the
/// rest is withheld.
fn approver_view(
    approver: &Principal,
    id: i64,
    record: &CarrierRecord,
    scope: &KnowledgeScope,
    version: i64,
    today: Date,
) -> Value {
    let object = object_of(record, scope.clone());
    match decide(&approver.subject(), &object, Action::Read, today) {
        Decision::Allow => detail_view(id, record, scope, &[], version, today),
        Decision::Deny(reason) => {
            let status = record.carrier.status();
            json!({
                "id": id,
                "status": status_code(status),
                "status_zh": status.zh(),
                "status_en": status.en(),
                "withheld": { "reason": reason.code(), "rule": reason.rule().0 },
            })
        }
    }
}

/// Called by the approvals inbox inside its transaction: carries out an approved carrier
/// command with the approver's approval filled in. The core checks the approval again (role,
/// not the requester, not after the act); an approver whose category does not cover the
/// carrier's level is denied 403 (R2.1). A refusal or denial is returned **unaudited** (the
/// inbox rolls back and audits the attempt). On success the record is saved and
/// `carrier.<action>` is appended to `tx`; the answer is [`approver_view`].
pub async fn carry_out_approved(
    _state: &AppState,
    tx: &mut WriteTx,
    request: &ApprovalRequest,
    approver: &Principal,
    role: ApproverRole,
    now: Timestamp,
) -> ApiResult<Value> {
    let ApprovalSubject::Carrier { carrier, command } = &request.subject else {
        return Err(ApiError::internal(
            &"carry_out_approved called for another subject",
        ));
    };
    let today = civil_day(now);
    let kind = command.kind();
    approver_checks(request, approver, role, kind)?;
    let Some(loaded) = ledger::load_for_update::<CarrierRecord>(tx, *carrier).await? else {
        return Err(ApiError::not_found().in_lang(approver.lang));
    };
    let matter = matter_w(tx, loaded.value.carrier.matter()).await?;
    let scope = scope_of(&loaded.value, matter.as_ref());
    let object = object_of(&loaded.value, scope.clone());
    approver_clearance(approver, &object, today)?;
    let command = refresh_clearance(tx, command.clone(), &object, today).await?;
    let approval = Approval {
        id: ApprovalId(request.id),
        by: approver.id(),
        role,
        unit: approver.person.unit,
        on: today,
    };
    let transition = loaded
        .value
        .carrier
        .apply(with_approval(command, approval), today)
        .map_err(|r| ApiError::refused(&r, r.rule(), refusal_code(&r)).in_lang(approver.lang))?;
    let (saved, version) = record_transition(
        tx,
        loaded,
        transition,
        request.requested_by,
        Some((request.id, approver.id())),
        now,
    )
    .await?;
    tx.append_audit(
        AuditDraft::new(now, approver.actor(), &audit_action(kind))
            .on(ObjectRef::carrier(CarrierId(*carrier)))
            .detail(
                transition_detail(&saved.value, Some((request.id, approver.id(), role)))
                    .to_string(),
            ),
    )
    .await?;
    Ok(approver_view(
        approver,
        *carrier,
        &saved.value,
        &scope,
        version,
        today,
    ))
}

// ---------------------------------------------------------------------------------------------
// Copies (R1.11)
// ---------------------------------------------------------------------------------------------

/// What a copy request carries in [`ApprovalSubject::CarrierCopy`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyParams {
    /// The copy's number in the copying unit.
    pub number: CarrierNumber,
    /// Its copy number.
    pub copy: NonZeroU32,
    /// Its kind.
    pub kind: CarrierKind,
    /// The copying unit.
    pub unit: UnitId,
    /// Who signs for it.
    pub holder: PersonId,
    /// Where it is kept.
    pub location: Location,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct CopyBody {
    number: String,
    copy: Option<u32>,
    kind: Option<CarrierKind>,
    holder: Option<PersonId>,
    location: String,
    #[serde(default)]
    reason: String,
}

async fn unit_directory(tx: &mut WriteTx) -> ApiResult<UnitDirectory> {
    Ok(UnitDirectory::new(tx.list_units().await?.into_iter().map(
        |u| CoreUnit {
            id: u.id,
            name: u.name,
            tier: u.tier,
            superior: u.superior,
            authorisations: Vec::new(),
        },
    )))
}

/// `POST /api/v1/carriers/{id}/copy`: R1.11 — a copy or excerpt always needs approval; the
/// request is filed and the copy is made when it is approved ([`copy_approved`]).
async fn copy(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Response> {
    let now = state.clock.now();
    let today = civil_day(now);
    let object_ref = ObjectRef::carrier(CarrierId(id));
    let mut tx = state.store.write().await?;
    match copy_in(&mut tx, &principal, id, &body, today, now).await {
        Ok(answer) => {
            tx.commit().await?;
            Ok(answer)
        }
        Err(halt) => Err(stop(
            &state,
            &principal,
            tx,
            Some(object_ref),
            "carrier.copy",
            halt,
        )
        .await),
    }
}

async fn copy_in(
    tx: &mut WriteTx,
    principal: &Principal,
    id: i64,
    body: &[u8],
    today: Date,
    now: Timestamp,
) -> Result<Response, Halt> {
    let b: CopyBody = parse_body(body)?;
    let Some(loaded) = ledger::load_for_update::<CarrierRecord>(tx, id).await? else {
        return Err(Halt::Api(ApiError::not_found()));
    };
    let source = &loaded.value.carrier;
    let matter = matter_w(tx, source.matter()).await?;
    let scope = scope_of(&loaded.value, matter.as_ref());
    let object = object_of(&loaded.value, scope);
    actor_may(principal, &object, Action::Derive, today)?;
    let holder = b.holder.unwrap_or(principal.id());
    must_be_cleared(tx, holder, &object, today, "holder", "保管人", "custodian").await?;
    let params = CopyParams {
        number: CarrierNumber::new(&b.number).map_err(|r| Halt::from(&r))?,
        copy: NonZeroU32::new(b.copy.unwrap_or(1))
            .ok_or_else(|| bad("copy", "份号从 1 开始", "copy numbers start at 1"))?,
        kind: b.kind.unwrap_or(source.kind()),
        unit: principal.person.unit,
        holder,
        location: location(&b.location)?,
    };
    let key = number_key(params.unit, &params.number, params.copy);
    if tx
        .get_record_by_number(RecordKind::Carrier, &key)
        .await?
        .is_some()
    {
        return Err(duplicate(&params.number, params.copy));
    }
    let classifying_unit = matter
        .as_ref()
        .map_or(source.unit(), ClassifiedMatter::unit);
    let units = unit_directory(tx).await?;
    let dry = Carrier::copy_of(
        source,
        new_copy(CarrierId(0), &params),
        None,
        principal.id(),
        today,
        classifying_unit,
        &units,
    );
    match dry {
        Err(CarrierRefusal::ApprovalMissing { needed, action }) => {
            // Top Secret: the originating unit (or its superior) consents; otherwise the
            // copying unit decides.
            let unit = if needed.contains(&ApproverRole::Originator) {
                classifying_unit
            } else {
                params.unit
            };
            let missing = CarrierRefusal::ApprovalMissing {
                action,
                needed: needed.clone(),
            };
            let request_id = file_request(
                tx,
                principal.id(),
                source,
                ApprovalSubject::CarrierCopy {
                    carrier: id,
                    request: serde_json::to_value(&params).map_err(ApiError::from)?,
                },
                unit,
                needed.clone(),
                b.reason,
                CommandKind::Copy,
                now,
            )
            .await?;
            Ok(pending_answer(request_id, &needed, &missing))
        }
        Err(r) => Err(Halt::from(&r)),
        Ok(_) => Err(Halt::Api(ApiError::internal(
            &"a copy passed without approval",
        ))),
    }
}

fn new_copy(id: CarrierId, p: &CopyParams) -> NewCopy {
    NewCopy {
        id,
        number: p.number.clone(),
        copy: p.copy,
        kind: p.kind,
        unit: p.unit,
        holder: p.holder,
        location: p.location.clone(),
    }
}

/// Called by the approvals inbox for [`ApprovalSubject::CarrierCopy`]: makes the copy with the
/// approver's approval (R1.11: the core checks the role, the approver's unit against the
/// originating and copying units, and that the requester does not approve their own copy; the
/// approver's category must cover the source's level, R2.1). Same contract as
/// [`carry_out_approved`], including the answer: the copy's detail only if the approver may
/// read it.
pub async fn copy_approved(
    _state: &AppState,
    tx: &mut WriteTx,
    request: &ApprovalRequest,
    approver: &Principal,
    role: ApproverRole,
    now: Timestamp,
) -> ApiResult<Value> {
    let ApprovalSubject::CarrierCopy {
        carrier,
        request: params,
    } = &request.subject
    else {
        return Err(ApiError::internal(
            &"copy_approved called for another subject",
        ));
    };
    let params: CopyParams = serde_json::from_value(params.clone())?;
    let today = civil_day(now);
    approver_checks(request, approver, role, CommandKind::Copy)?;
    let Some(source) = ledger::load_for_update::<CarrierRecord>(tx, *carrier).await? else {
        return Err(ApiError::not_found().in_lang(approver.lang));
    };
    let matter = matter_w(tx, source.value.carrier.matter()).await?;
    let scope = scope_of(&source.value, matter.as_ref());
    approver_clearance(approver, &object_of(&source.value, scope.clone()), today)?;
    let classifying_unit = matter
        .as_ref()
        .map_or(source.value.carrier.unit(), ClassifiedMatter::unit);
    let units = unit_directory(tx).await?;
    let new_id = ledger::next_id::<CarrierRecord>(tx).await?;
    let approval = Approval {
        id: ApprovalId(request.id),
        by: approver.id(),
        role,
        unit: approver.person.unit,
        on: today,
    };
    let copy = Carrier::copy_of(
        &source.value.carrier,
        new_copy(CarrierId(new_id), &params),
        Some(approval),
        request.requested_by,
        today,
        classifying_unit,
        &units,
    )
    .map_err(|r| ApiError::refused(&r, r.rule(), refusal_code(&r)).in_lang(approver.lang))?;
    let record = CarrierRecord {
        carrier: copy,
        scope: scope.clone(),
        registered_by: request.requested_by,
        registered_at: now,
        history: vec![HistoryLine {
            at: now,
            by: Some(request.requested_by),
            action: "copy".to_owned(),
            transition: None,
            approval_request: Some(request.id),
            approved_by: Some(approver.id()),
            related: Some(*carrier),
        }],
    };
    match insert_unique(tx, &record, now).await {
        Ok(()) => {}
        Err(Halt::Api(e)) => return Err(e.in_lang(approver.lang)),
        Err(_) => return Err(ApiError::internal(&"unexpected halt")),
    }
    let mut src = source.value;
    src.history.push(HistoryLine {
        at: now,
        by: Some(request.requested_by),
        action: "copied".to_owned(),
        transition: None,
        approval_request: Some(request.id),
        approved_by: Some(approver.id()),
        related: Some(new_id),
    });
    ledger::save(tx, &src, source.version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, approver.actor(), "carrier.copy")
            .on(ObjectRef::carrier(CarrierId(new_id)))
            .detail(
                json!({
                    "source": carrier,
                    "number": params.number.as_str(),
                    "copy": params.copy.get(),
                    "approval_request": request.id,
                    "requested_by": request.requested_by.0,
                    "role": role,
                })
                .to_string(),
            ),
    )
    .await?;
    Ok(approver_view(approver, new_id, &record, &scope, 1, today))
}

// ---------------------------------------------------------------------------------------------
// Inventory rounds (R3.7, R13.4)
// ---------------------------------------------------------------------------------------------

/// Where an inventory round stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryStatus {
    /// Observations are being recorded.
    Open,
    /// Reconciled; its discrepancies are recorded.
    Closed,
}

/// A carrier the ledger listed when the round started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedLine {
    /// The carrier.
    pub carrier: CarrierId,
    /// Number and copy number.
    pub key: CarrierKey,
    /// Its state then.
    pub status: CarrierStatus,
    /// Its holder then.
    pub holder: PersonId,
    /// Its location then.
    pub location: Location,
}

/// One observation with who recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservationLine {
    /// What was seen.
    pub observation: Observation,
    /// Who recorded it.
    pub by: PersonId,
    /// When.
    pub at: Timestamp,
}

/// An inventory round of a unit's carriers (清查, R3.7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRound {
    /// Id.
    pub id: i64,
    /// The unit whose carriers are checked.
    pub unit: UnitId,
    /// Who started it.
    pub started_by: PersonId,
    /// The day it started.
    pub started_on: Date,
    /// When.
    pub started_at: Timestamp,
    /// What the ledger listed at the start (for the checklist).
    pub expected: Vec<ExpectedLine>,
    /// What was found.
    pub observations: Vec<ObservationLine>,
    /// Where it stands.
    pub status: InventoryStatus,
    /// Who closed it.
    pub closed_by: Option<PersonId>,
    /// The day it was reconciled.
    pub closed_on: Option<Date>,
    /// The discrepancies found (R3.7: reported at once).
    pub discrepancies: Vec<Discrepancy>,
}

impl Ledger for InventoryRound {
    const KIND: RecordKind = RecordKind::Inventory;

    fn record_id(&self) -> i64 {
        self.id
    }

    fn meta(&self) -> RecordMeta {
        RecordMeta {
            about: None,
            parties: None,
            unit: Some(self.unit.0),
            level: None,
            status: match self.status {
                InventoryStatus::Open => "open",
                InventoryStatus::Closed => "closed",
            }
            .to_owned(),
            title: format!("载体清查 {}", self.started_on),
            number: None,
            place: None,
            holder: Some(self.started_by.0),
            due_on: None,
            remind_on: None,
            read: None,
        }
    }
}

fn inventory_view(round: &InventoryRound) -> Value {
    let mut v = json!(round);
    v["discrepancies"] = Value::Array(
        round
            .discrepancies
            .iter()
            .map(|d| {
                let mut line = json!(d);
                line["rule"] = json!(d.rule().0);
                line["text_zh"] = json!(d.describe(Lang::Zh));
                line["text_en"] = json!(d.describe(Lang::En));
                line
            })
            .collect(),
    );
    v
}

/// R3.7: inventories are run by the unit's confidentiality officer or its head, in their unit.
async fn inventory_allowed(
    state: &AppState,
    principal: &Principal,
    unit: UnitId,
    object: Option<ObjectRef>,
    action: &str,
) -> ApiResult<()> {
    let role =
        principal.has_role(Role::ConfidentialityOfficer) || principal.has_role(Role::UnitHead);
    if role && principal.person.unit == unit {
        return Ok(());
    }
    Err(common::deny_role(
        state,
        principal,
        object,
        action,
        RuleId("R3.7"),
        "只有本单位保密员或单位负责人可以组织载体清查",
        "only the unit's confidentiality officer or its head runs carrier inventories",
    )
    .await)
}

async fn unit_carriers(tx: &mut WriteTx, unit: UnitId) -> ApiResult<Vec<Carrier>> {
    let filter = RecordFilter {
        unit: Some(unit.0),
        ..RecordFilter::default()
    };
    Ok(ledger::load_all_for_update::<CarrierRecord>(tx, &filter)
        .await?
        .into_iter()
        .map(|l| l.value.carrier)
        .collect())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct StartBody {
    unit: Option<UnitId>,
}

/// `POST /api/v1/inventories`: starts a round for a unit (the principal's by default).
async fn start_inventory(
    State(state): State<AppState>,
    principal: Principal,
    body: Bytes,
) -> ApiResult<Response> {
    let b: StartBody = parse_body(&body).map_err(|h| halt_plain(h, principal.lang))?;
    let unit = b.unit.unwrap_or(principal.person.unit);
    inventory_allowed(&state, &principal, unit, None, "inventory.start").await?;
    let now = state.clock.now();
    let today = civil_day(now);
    let mut tx = state.store.write().await?;
    let round = start_round(&mut tx, unit, principal.id(), today, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "inventory.start")
            .on(ObjectRef::new("inventory", round.id))
            .detail(json!({ "unit": unit.0, "expected": round.expected.len() }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(inventory_view(&round))).into_response())
}

/// Opens an inventory round of `unit` in `tx` (the demo uses it too).
pub async fn start_round(
    tx: &mut WriteTx,
    unit: UnitId,
    by: PersonId,
    today: Date,
    now: Timestamp,
) -> ApiResult<InventoryRound> {
    let expected = unit_carriers(tx, unit)
        .await?
        .into_iter()
        .filter(|c| c.status() != CarrierStatus::Released)
        .map(|c| ExpectedLine {
            carrier: c.id(),
            key: c.key(),
            status: c.status(),
            holder: c.holder(),
            location: c.location().clone(),
        })
        .collect();
    let round = InventoryRound {
        id: ledger::next_id::<InventoryRound>(tx).await?,
        unit,
        started_by: by,
        started_on: today,
        started_at: now,
        expected,
        observations: Vec::new(),
        status: InventoryStatus::Open,
        closed_by: None,
        closed_on: None,
        discrepancies: Vec::new(),
    };
    ledger::insert(tx, &round, now).await?;
    Ok(round)
}

fn halt_plain(h: Halt, lang: Lang) -> ApiError {
    match h {
        Halt::Api(e) => e.in_lang(lang),
        Halt::Deny(r) => ApiError::denied(&r).in_lang(lang),
        Halt::Refuse(r) => r.error().in_lang(lang),
    }
}

/// One carrier seen, as typed.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FoundBody {
    /// The number read on it.
    pub number: String,
    /// The copy number read on it (default 1).
    pub copy: Option<u32>,
    /// Who held it (default the person recording).
    pub holder: Option<PersonId>,
    /// Where it was found.
    pub location: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub(crate) struct ObserveBody {
    found: Vec<FoundBody>,
}

/// The observation a typed line stands for.
pub fn observation(f: &FoundBody, default_holder: PersonId) -> ApiResult<Observation> {
    let invalid = |r: CarrierRefusal| {
        ApiError::bad_request(r.describe(Lang::Zh), r.describe(Lang::En)).with_rule(r.rule())
    };
    Ok(Observation {
        key: CarrierKey {
            number: CarrierNumber::new(&f.number).map_err(invalid)?,
            copy: NonZeroU32::new(f.copy.unwrap_or(1))
                .ok_or_else(|| ApiError::bad_request("份号从 1 开始", "copy numbers start at 1"))?,
        },
        holder: f.holder.unwrap_or(default_holder),
        location: Location::new(&f.location).map_err(invalid)?,
    })
}

async fn load_round_for(
    principal: &Principal,
    tx: &mut WriteTx,
    id: i64,
) -> Result<Loaded<InventoryRound>, Halt> {
    let Some(round) = ledger::load_for_update::<InventoryRound>(tx, id).await? else {
        return Err(Halt::Api(ApiError::not_found()));
    };
    let role =
        principal.has_role(Role::ConfidentialityOfficer) || principal.has_role(Role::UnitHead);
    if !(role && principal.person.unit == round.value.unit) {
        return Err(Halt::Api(ApiError::role_required(
            "只有本单位保密员或单位负责人可以组织载体清查",
            "only the unit's confidentiality officer or its head runs carrier inventories",
            RuleId("R3.7"),
        )));
    }
    if round.value.status != InventoryStatus::Open {
        return Err(Halt::Api(
            ApiError::conflict("清查已结束", "the inventory round is closed")
                .with_rule(RuleId("R3.7")),
        ));
    }
    Ok(round)
}

/// `POST /api/v1/inventories/{id}/observations`: records carriers found.
async fn observe(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let b: ObserveBody = parse_body(&body).map_err(|h| halt_plain(h, principal.lang))?;
    let found = b
        .found
        .iter()
        .map(|f| observation(f, principal.id()))
        .collect::<ApiResult<Vec<_>>>()
        .map_err(|e| e.in_lang(principal.lang))?;
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let mut round = match load_round_for(&principal, &mut tx, id).await {
        Ok(r) => r,
        Err(h) => {
            return Err(inventory_stop(&state, &principal, tx, id, "inventory.observe", h).await)
        }
    };
    let count = found.len();
    round
        .value
        .observations
        .extend(found.into_iter().map(|observation| ObservationLine {
            observation,
            by: principal.id(),
            at: now,
        }));
    ledger::save(&mut tx, &round.value, round.version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "inventory.observe")
            .on(ObjectRef::new("inventory", id))
            .detail(json!({ "found": count }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(inventory_view(&round.value)))
}

async fn inventory_stop(
    state: &AppState,
    principal: &Principal,
    tx: WriteTx,
    id: i64,
    action: &str,
    halt: Halt,
) -> ApiError {
    if let Err(e) = tx.rollback().await {
        return e.into();
    }
    match halt {
        Halt::Api(e) if e.reason.as_deref() == Some("role_required") => {
            common::deny_role(
                state,
                principal,
                Some(ObjectRef::new("inventory", id)),
                action,
                RuleId("R3.7"),
                &e.zh,
                &e.en,
            )
            .await
        }
        other => halt_plain(other, principal.lang),
    }
}

/// `POST /api/v1/inventories/{id}/close`: R3.7 — reconciles the ledger with what was found
/// and records every discrepancy.
async fn close_inventory(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let now = state.clock.now();
    let today = civil_day(now);
    let mut tx = state.store.write().await?;
    let round = match load_round_for(&principal, &mut tx, id).await {
        Ok(r) => r,
        Err(h) => {
            return Err(inventory_stop(&state, &principal, tx, id, "inventory.close", h).await)
        }
    };
    let closed = close_round(&mut tx, round, principal.id(), today, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "inventory.close")
            .on(ObjectRef::new("inventory", id))
            .detail(
                json!({
                    "discrepancies": closed.discrepancies.len(),
                    "found": closed.observations.len(),
                    "rule": "R3.7",
                    "items": closed.discrepancies.iter().map(|d| d.describe(Lang::En)).collect::<Vec<_>>(),
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(inventory_view(&closed)))
}

/// Reconciles and closes a round in `tx` (the demo uses it too).
pub async fn close_round(
    tx: &mut WriteTx,
    round: Loaded<InventoryRound>,
    by: PersonId,
    today: Date,
    now: Timestamp,
) -> ApiResult<InventoryRound> {
    let mut value = round.value;
    let ledger_now = unit_carriers(tx, value.unit).await?;
    let found: Vec<Observation> = value
        .observations
        .iter()
        .map(|o| o.observation.clone())
        .collect();
    value.discrepancies = reconcile(&ledger_now, &found, today);
    value.status = InventoryStatus::Closed;
    value.closed_by = Some(by);
    value.closed_on = Some(today);
    ledger::save(tx, &value, round.version, now).await?;
    Ok(value)
}

/// `GET /api/v1/inventories`: the rounds of the principal's unit (officer or head).
async fn list_inventories(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let unit = principal.person.unit;
    inventory_allowed(&state, &principal, unit, None, "inventory.list").await?;
    let (mut filter, order, descending) =
        query.to_filter().map_err(|e| e.in_lang(principal.lang))?;
    let (page, per_page) = query.page().map_err(|e| e.in_lang(principal.lang))?;
    filter.unit = Some(unit.0);
    let mut tx = state.store.read().await?;
    let rounds = ledger::load_all::<InventoryRound>(&mut tx, &filter, order, descending).await?;
    tx.finish().await?;
    let page = Page::of(rounds, page, per_page);
    let ids: Vec<i64> = page.items.iter().map(|l| l.value.id).collect();
    common::audit_list_read(&state, &principal, "inventory.list", json!({ "ids": ids })).await?;
    Ok(Json(json!({
        "items": page.items.iter().map(|l| json!({
            "id": l.value.id,
            "unit": l.value.unit.0,
            "status": l.value.status,
            "started_on": l.value.started_on.to_string(),
            "started_by": l.value.started_by.0,
            "closed_on": l.value.closed_on.map(|d| d.to_string()),
            "expected": l.value.expected.len(),
            "found": l.value.observations.len(),
            "discrepancies": l.value.discrepancies.len(),
        })).collect::<Vec<_>>(),
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    })))
}

/// `GET /api/v1/inventories/{id}`.
async fn get_inventory(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut tx = state.store.read().await?;
    let round = ledger::load::<InventoryRound>(&mut tx, id).await?;
    tx.finish().await?;
    let Some(round) = round else {
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let object_ref = ObjectRef::new("inventory", id);
    inventory_allowed(
        &state,
        &principal,
        round.value.unit,
        Some(object_ref.clone()),
        "inventory.read",
    )
    .await?;
    common::audit_read(&state, &principal, object_ref, "inventory.read", json!({})).await?;
    Ok(Json(inventory_view(&round.value)))
}

// ---------------------------------------------------------------------------------------------
// Routes and helpers for the demo
// ---------------------------------------------------------------------------------------------

/// The carrier and inventory routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/carriers", get(list).post(register))
        .route("/api/v1/carriers/export", get(export))
        .route("/api/v1/carriers/{id}", get(get_one))
        .route("/api/v1/carriers/{id}/copy", post(copy))
        .route("/api/v1/carriers/{id}/{action}", post(act))
        .route(
            "/api/v1/inventories",
            get(list_inventories).post(start_inventory),
        )
        .route("/api/v1/inventories/{id}", get(get_inventory))
        .route("/api/v1/inventories/{id}/observations", post(observe))
        .route("/api/v1/inventories/{id}/close", post(close_inventory))
}

/// 09:00 Beijing time on `day` (history lines of seeded data).
pub fn morning_of(day: Date) -> Timestamp {
    day.at(9, 0, 0, 0)
        .to_zoned(TimeZone::fixed(tz::offset(8)))
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Inserts a new carrier record (demo): a duplicate number is an error.
pub async fn insert_record(
    tx: &mut WriteTx,
    record: &CarrierRecord,
    now: Timestamp,
) -> ApiResult<()> {
    match insert_unique(tx, record, now).await {
        Ok(()) => Ok(()),
        Err(h) => Err(halt_plain(h, Lang::Zh)),
    }
}

/// Applies `command` on `on` to carrier `id` in `tx` and records it (demo data): the core's
/// refusal is an error. `approval` is (request id, approver).
pub async fn apply_recorded(
    tx: &mut WriteTx,
    id: i64,
    command: CarrierCommand,
    on: Date,
    by: PersonId,
    approval: Option<(i64, PersonId)>,
) -> ApiResult<CarrierRecord> {
    let Some(loaded) = ledger::load_for_update::<CarrierRecord>(tx, id).await? else {
        return Err(ApiError::not_found());
    };
    let transition = loaded
        .value
        .carrier
        .apply(command, on)
        .map_err(|r| ApiError::refused(&r, r.rule(), refusal_code(&r)))?;
    let at = morning_of(on);
    let (saved, _) = record_transition(tx, loaded, transition, by, approval, at).await?;
    Ok(saved.value)
}
