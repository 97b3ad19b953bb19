//! Time-driven rules: automatic declassification at the end of a period (R1.9) and periodic
//! signed checkpoints of the audit log (R13.2). Reminders (R13.4) are computed on request
//! (`api::reminders`), so they are never stale.
//!
//! [`spawn`] starts the background loop (every `timed_rules_interval`);
//! [`run_timed_rules`] is one pass, callable from tests and the CLI. Every change is made in its
//! own write transaction with its audit entry attributed to [`Actor::System`].
//!
//! * R1.9: a matter whose stored status is still in force but which the core says is
//!   declassified on `state.clock.today()`
//!   ([`ClassifiedMatter::status_on`](baomi_core::determination::ClassifiedMatter::status_on)) has its status
//!   column and stored status updated (`matter.declassify_automatic`, detail with the end day);
//!   each of its carriers that can take the transition is marked declassified with
//!   [`CarrierCommand::Declassify`] (`carrier.declassify`). A carrier that is lent, carried out,
//!   in transit or in repair cannot (R3.10) and is marked on a later pass, once back.
//! * R13.2: every `checkpoint_interval`, if the log grew, a checkpoint of the chain head is
//!   recorded — signed with `signing_key` when configured — and, when signed and
//!   `checkpoint_dir` is set, also written there as a file in the format
//!   `baomi audit verify --checkpoint FILE` reads.

use crate::api::carriers::{self, CarrierRecord, HistoryLine};
use crate::api::matters::MatterRecord;
use crate::error::{ApiError, ApiResult};
use crate::ledger::{self, Ledger, Loaded};
use crate::state::AppState;
use baomi_core::audit::{Actor, AuditDraft, Checkpoint, ObjectRef};
use baomi_core::carriers::{CarrierCommand, CarrierStatus, CommandKind};
use baomi_core::determination::MatterStatus;
use baomi_core::ids::{CarrierId, MatterId};
use baomi_store::checkpoint::SigningKeyFile;
use baomi_store::{RecordFilter, RecordKind};
use jiff::civil::Date;
use jiff::SignedDuration;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What one pass of the time-driven rules did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TimedReport {
    /// The day the rules were applied for.
    pub day: Option<Date>,
    /// Matters whose status was updated to declassified (R1.9).
    pub declassified_matters: Vec<i64>,
    /// Carriers marked declassified with their matter (R1.9).
    pub declassified_carriers: Vec<i64>,
    /// Carriers of declassified matters that cannot be marked yet (lent, carried out, in
    /// transit or in repair); they are marked on a later pass.
    pub carriers_waiting: Vec<i64>,
    /// The checkpoint recorded in this pass, if one was due (R13.2).
    pub checkpoint: Option<WrittenCheckpoint>,
    /// What went wrong without stopping the pass (also logged).
    pub problems: Vec<String>,
}

/// A checkpoint written by the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrittenCheckpoint {
    /// The last entry covered.
    pub seq: u64,
    /// Its hash.
    pub head_hash: String,
    /// Whether it was signed with the configured key.
    pub signed: bool,
    /// The file it was also written to, if any.
    pub file: Option<PathBuf>,
}

/// How often the leader refreshes the query planner's statistics
/// ([`baomi_store::Store::refresh_statistics`]).
const STATISTICS_EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// Starts the background loop: one pass of [`run_timed_rules`] every `timed_rules_interval`
/// (the first right away). Failures are logged; the loop goes on. With several servers on one
/// PostgreSQL database only the one holding the lead ([`baomi_store::Store::try_lead`]) runs a
/// pass; the others try to take the lead at each tick, so the work resumes on another server
/// when the leader dies.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(state.config.timed_rules_interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lead: Option<baomi_store::Leadership> = None;
        // `serve` refreshed the planner's statistics at start; the leader refreshes them again
        // every STATISTICS_EVERY as the ledgers grow.
        let mut statistics_at = tokio::time::Instant::now();
        loop {
            ticks.tick().await;
            if let Some(held) = lead.as_mut() {
                if !held.still_held().await {
                    tracing::warn!("time-driven rules: the lead was lost; taking it again");
                    lead = None;
                }
            }
            if lead.is_none() {
                lead = match state.store.try_lead().await {
                    Ok(lead) => lead,
                    Err(e) => {
                        tracing::error!(error = %e, "time-driven rules: cannot take the lead");
                        None
                    }
                };
            }
            if lead.is_none() {
                continue;
            }
            if statistics_at.elapsed() >= STATISTICS_EVERY {
                statistics_at = tokio::time::Instant::now();
                if let Err(e) = state.store.refresh_statistics().await {
                    tracing::warn!(error = %e, "query planner statistics not refreshed");
                }
            }
            match run_timed_rules(&state).await {
                Ok(report) => {
                    for problem in &report.problems {
                        tracing::warn!(problem = %problem, "time-driven rules");
                    }
                    if !report.declassified_matters.is_empty() || report.checkpoint.is_some() {
                        tracing::info!(
                            matters = ?report.declassified_matters,
                            carriers = ?report.declassified_carriers,
                            checkpoint = ?report.checkpoint.as_ref().map(|c| c.seq),
                            "time-driven rules applied"
                        );
                    }
                }
                Err(e) => tracing::error!(error = %e.en, "time-driven rules failed"),
            }
        }
    })
}

/// One pass of the time-driven rules for `state.clock.today()`: R1.9 declassification of
/// matters and their carriers, then an R13.2 checkpoint if one is due.
pub async fn run_timed_rules(state: &AppState) -> ApiResult<TimedReport> {
    let today = state.clock.today();
    let mut report = TimedReport {
        day: Some(today),
        ..TimedReport::default()
    };
    declassify_matters(state, today, &mut report).await?;
    declassify_carriers(state, today, &mut report).await?;
    match checkpoint_if_due(state).await {
        Ok(written) => report.checkpoint = written,
        Err(e) => report.problems.push(format!("checkpoint: {}", e.en)),
    }
    Ok(report)
}

async fn declassify_matters(
    state: &AppState,
    today: Date,
    report: &mut TimedReport,
) -> ApiResult<()> {
    // Only the matters that can have reached their end (issue 19: a pass costs what it
    // changes, not the ledger): in force with their last day on or before today (`due_on`
    // holds it), and those not yet in force, whose period has not begun.
    let mut tx = state.store.read().await?;
    let mut records: Vec<Loaded<MatterRecord>> = ledger::load_candidates(
        &mut tx,
        &RecordFilter {
            statuses: vec!["in_force".to_owned()],
            due_by: Some(today),
            ..RecordFilter::default()
        },
        None,
    )
    .await?;
    records.extend(
        ledger::load_candidates::<MatterRecord>(
            &mut tx,
            &RecordFilter {
                statuses: vec!["not_yet_classified".to_owned()],
                ..RecordFilter::default()
            },
            None,
        )
        .await?,
    );
    tx.finish().await?;
    for loaded in records {
        let mut record = loaded.value;
        if record.refresh(today)
            && matches!(record.stored_status(), MatterStatus::Declassified { .. })
        {
            let id = record.record_id();
            if declassify_matter(state, id, today).await? {
                report.declassified_matters.push(id);
            }
        }
    }
    Ok(())
}

/// Declassifies one matter's record in its own transaction (R1.9); false when someone else
/// changed it in between so that there is nothing to do any more.
async fn declassify_matter(state: &AppState, id: i64, today: Date) -> ApiResult<bool> {
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(loaded) = ledger::load_for_update::<MatterRecord>(&mut tx, id).await? else {
        return Ok(false);
    };
    let mut record = loaded.value;
    let previous = crate::api::matters::status_code(&record.stored_status());
    if !record.refresh(today) {
        return Ok(false);
    }
    let MatterStatus::Declassified { on, how } = record.stored_status() else {
        return Ok(false);
    };
    ledger::save(&mut tx, &record, loaded.version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, Actor::System, "matter.declassify_automatic")
            .on(ObjectRef::matter(MatterId(id)))
            .detail(
                json!({
                    "rule": "R1.9",
                    "declassified_on": on.to_string(),
                    "how": serde_json::to_value(how).ok(),
                    "previous_status": previous,
                    "day": today.to_string(),
                })
                .to_string(),
            ),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// R1.9: marks declassified every carrier of a declassified matter that can take the
/// transition now; the others (lent, carried out, in transit, in repair) wait for a later pass.
async fn declassify_carriers(
    state: &AppState,
    today: Date,
    report: &mut TimedReport,
) -> ApiResult<()> {
    // Only the carriers of declassified matters not yet marked so (found through the read
    // index, which names the matter whose scope governs each carrier, R1.8).
    let mut tx = state.store.read().await?;
    let carriers: Vec<Loaded<CarrierRecord>> = ledger::load_candidates(
        &mut tx,
        &RecordFilter {
            governed_by: Some((RecordKind::Matter, vec!["declassified".to_owned()])),
            statuses_except: ["declassified", "released", "destroyed"]
                .map(str::to_owned)
                .to_vec(),
            ..RecordFilter::default()
        },
        None,
    )
    .await?;
    let mut matters: HashMap<i64, Option<MatterRecord>> = HashMap::new();
    for loaded in &carriers {
        if let Some(m) = loaded.value.carrier.matter() {
            if let std::collections::hash_map::Entry::Vacant(slot) = matters.entry(m.0) {
                let matter = ledger::load::<MatterRecord>(&mut tx, m.0).await?;
                slot.insert(matter.map(|l| l.value));
            }
        }
    }
    tx.finish().await?;
    for loaded in carriers {
        let carrier = &loaded.value.carrier;
        let Some(Some(matter)) = carrier.matter().and_then(|m| matters.get(&m.0)) else {
            continue;
        };
        let MatterStatus::Declassified { on, .. } = matter.matter.status_on(today) else {
            continue;
        };
        let status = carrier.status();
        if matches!(
            status,
            CarrierStatus::Declassified | CarrierStatus::Released | CarrierStatus::Destroyed
        ) {
            continue;
        }
        let id = carrier.id().0;
        if !CommandKind::Declassify.allowed_from(status) {
            report.carriers_waiting.push(id);
            continue;
        }
        match declassify_carrier(state, id, on, today).await {
            Ok(true) => report.declassified_carriers.push(id),
            Ok(false) => {}
            Err(e) => report.problems.push(format!("carrier {id}: {}", e.en)),
        }
    }
    Ok(())
}

/// Marks one carrier declassified as of `on` (R1.9) in its own transaction, with a history
/// line by the system and its audit entry.
async fn declassify_carrier(state: &AppState, id: i64, on: Date, today: Date) -> ApiResult<bool> {
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(loaded) = ledger::load_for_update::<CarrierRecord>(&mut tx, id).await? else {
        return Ok(false);
    };
    let mut record = loaded.value;
    let command = CarrierCommand::Declassify {
        matter_declassified_on: on,
    };
    let transition = match record.carrier.apply(command, today) {
        Ok(t) => t,
        // Changed in between (lent out again): a later pass marks it.
        Err(_) => return Ok(false),
    };
    record.carrier = transition.carrier;
    record.history.push(HistoryLine {
        at: now,
        by: None,
        action: "declassify".to_owned(),
        transition: Some(transition.record.clone()),
        approval_request: None,
        approved_by: None,
        related: None,
    });
    ledger::save(&mut tx, &record, loaded.version, now).await?;
    tx.append_audit(
        AuditDraft::new(
            now,
            Actor::System,
            &carriers::audit_action(CommandKind::Declassify),
        )
        .on(ObjectRef::carrier(CarrierId(id)))
        .detail(
            json!({
                "rule": "R1.9",
                "matter": record.carrier.matter().map(|m| m.0),
                "declassified_on": on.to_string(),
                "from": transition.record.from,
                "to": transition.record.to,
            })
            .to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Checkpoints (R13.2)
// ---------------------------------------------------------------------------------------------

/// Records a checkpoint when one is due: none yet and the log is not empty, or the last one is
/// at least `checkpoint_interval` old and the log grew since (beyond that checkpoint's own
/// `audit.checkpoint` entry).
pub async fn checkpoint_if_due(state: &AppState) -> ApiResult<Option<WrittenCheckpoint>> {
    let now = state.clock.now();
    // The head as stored, not as this process last committed it: with several servers the
    // leader may have written nothing itself while the others appended.
    let mut tx = state.store.read().await?;
    let head_seq = tx.last_audit_seq().await?;
    let latest = tx.latest_checkpoint().await?;
    tx.finish().await?;
    let due = match latest {
        None => head_seq > 0,
        Some(stored) => {
            let interval = SignedDuration::try_from(state.config.checkpoint_interval)
                .unwrap_or(SignedDuration::MAX);
            let grew = head_seq > stored.checkpoint.seq.saturating_add(1);
            grew && now.duration_since(stored.checkpoint.at) >= interval
        }
    };
    if !due {
        return Ok(None);
    }
    write_checkpoint(state).await.map(Some)
}

/// Records a checkpoint of the current head now — signed when the service has a key — and
/// writes the signed checkpoint into `checkpoint_dir` when set.
pub async fn write_checkpoint(state: &AppState) -> ApiResult<WrittenCheckpoint> {
    let now = state.clock.now();
    match &state.config.signing_key {
        Some(path) => {
            let path = path.clone();
            let key = tokio::task::spawn_blocking(move || SigningKeyFile::load(&path))
                .await
                .map_err(|e| ApiError::internal(&e))?
                .map_err(|e| ApiError::internal(&e))?;
            let (checkpoint, signature) = state
                .store
                .write_signed_checkpoint(now, Actor::System, &key)
                .await?;
            let file = match &state.config.checkpoint_dir {
                None => None,
                Some(dir) => {
                    let text =
                        checkpoint_file_text(&checkpoint, &signature, &key.verifying_key_hex());
                    let dir = dir.clone();
                    let seq = checkpoint.seq;
                    let written = tokio::task::spawn_blocking(move || {
                        write_checkpoint_file(&dir, seq, &text)
                    })
                    .await
                    .map_err(|e| ApiError::internal(&e))?;
                    // The database copy stands; a file that could not be written is an
                    // operator's problem to fix (logged), not a reason to undo it.
                    match written {
                        Ok(p) => Some(p),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot write the checkpoint file");
                            None
                        }
                    }
                }
            };
            Ok(WrittenCheckpoint {
                seq: checkpoint.seq,
                head_hash: checkpoint.head_hash.to_hex(),
                signed: true,
                file,
            })
        }
        None => {
            let mut tx = state.store.write().await?;
            let checkpoint = tx.audit_head().checkpoint(now);
            tx.record_checkpoint(now, Actor::System, &checkpoint, None)
                .await?;
            tx.commit().await?;
            Ok(WrittenCheckpoint {
                seq: checkpoint.seq,
                head_hash: checkpoint.head_hash.to_hex(),
                signed: false,
                file: None,
            })
        }
    }
}

/// The JSON `baomi audit checkpoint` prints and `baomi audit verify --checkpoint FILE` reads.
pub fn checkpoint_file_text(checkpoint: &Checkpoint, signature: &[u8], public_key: &str) -> String {
    let mut text = json!({
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash.to_hex(),
        "algorithm": checkpoint.algorithm.name(),
        "at": checkpoint.at.to_string(),
        "signature": baomi_core::audit::to_hex(signature),
        "public_key": public_key,
    })
    .to_string();
    text.push('\n');
    text
}

/// Writes `checkpoint-<seq, 20 digits>.json` into `dir` (created if missing) through a
/// temporary file and a rename, so that a reader never sees half a file.
fn write_checkpoint_file(dir: &Path, seq: u64, text: &str) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("checkpoint-{seq:020}.json"));
    let temp = dir.join(format!(".checkpoint-{seq:020}.json.tmp"));
    {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&temp, &path)?;
    Ok(path)
}

// ---------------------------------------------------------------------------------------------
// Other ledgers' records, as access objects
// ---------------------------------------------------------------------------------------------

/// The access objects of other modules' records, built with those modules' own functions
/// (`api::matters::MatterRecord::object`, `api::carriers::{scope_of, object_of}`), so that a
/// history page or a reminder decides exactly as the record's own page does.
pub mod stored {
    use crate::api::carriers::{object_of, scope_of, CarrierRecord};
    use crate::api::matters::MatterRecord;
    use crate::ledger::level_of_rank;
    use baomi_core::access::{KnowledgeScope, Object};
    use baomi_core::ids::{CarrierId, PersonId};
    use baomi_core::marks::Level;
    use baomi_store::RecordMeta;
    use jiff::civil::Date;
    use serde_json::Value;

    /// The access object of a matter on `today`.
    pub fn matter_object(matter: &MatterRecord, today: Date) -> Object {
        matter.object(today)
    }

    /// The access object of a carrier: its level, its matter's current scope (or the scope
    /// given at registration), declassified once marked so (R1.7, R1.9).
    pub fn carrier_object(record: &CarrierRecord, matter: Option<&MatterRecord>) -> Object {
        let matter = matter
            .filter(|m| record.carrier.matter() == Some(m.matter.id()))
            .map(|m| &m.matter);
        object_of(record, scope_of(record, matter))
    }

    /// The access object of a device record: its level (the `level` column), and the scope the
    /// record keeps, else its holder alone. The core has no device target; a device is decided
    /// like a carrier of its level (R4.1: it stores or processes content of that level).
    pub fn device_object_of(id: i64, body: &Value, meta: &RecordMeta) -> Object {
        let level = meta
            .level
            .and_then(level_of_rank)
            .or_else(|| {
                body.get("level")
                    .and_then(|l| serde_json::from_value::<Level>(l.clone()).ok())
            })
            .unwrap_or(Level::TopSecret);
        let scope = body
            .get("scope")
            .and_then(|s| serde_json::from_value::<KnowledgeScope>(s.clone()).ok())
            .unwrap_or_else(|| KnowledgeScope::of_persons(meta.holder.map(PersonId)));
        Object::carrier(CarrierId(id), level, scope)
    }
}
