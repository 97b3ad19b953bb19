//! The audit trail over HTTP (R13.2, R5.3): search, verify and export for the security auditor
//! alone, and a record's own history for whoever may read the record.
//!
//! * `GET /api/v1/audit` — search: `actor`, `action` (a prefix: `carrier.` finds every carrier
//!   action), `object_kind`, `object_id`, `outcome` (`success`, `denied`, `failed`), `from`,
//!   `until` (RFC 3339 instants, or days `YYYY-MM-DD` in China Standard Time: `from` a day
//!   means its start, `until` a day means its end), newest first, `limit` (1–1000, default
//!   100) and `before` (a `seq`: the next page starts below it; the answer's `next_before`).
//! * `GET /api/v1/audit/verify` — the whole chain against the latest recorded checkpoint; with
//!   the service's signing key configured, every stored checkpoint's signature too, and the
//!   newest signed checkpoint file in `checkpoint_dir` (kept outside the database). Answers
//!   `{ok, entries, head, first_broken_seq, problem, …}`.
//! * `GET /api/v1/audit/export?format=csv|xlsx` — the search as a spreadsheet (same filters,
//!   at most [`EXPORT_MAX_ROWS`] rows).
//! * `GET /api/v1/records/{kind}/{id}/history` — the entries about one record (who, what,
//!   when), for record pages: allowed to whoever may read the record (`matter`, `carrier`,
//!   `device`, `person`). They see what was done to it and their own entries; who else read
//!   it or was refused is the auditor's alone (the auditor sees every entry), and the system
//!   administrator sees only a person's account entries. Newest first, `limit` (1–1000,
//!   default 100) and `before` (the answer's `next_before`), filtered and paged in SQL so a
//!   much-read record's latest changes are never crowded off its page (issue 19).
//!
//! Only the security auditor reads the trail: the core's `decide` with
//! [`Action::ReadAuditTrail`] on the system at its level (R5.3); everybody else gets 403 and
//! the denial is itself audited. Every read the auditor makes is audited too (`audit.search`,
//! `audit.verify`, `audit.export`), as is every history read (`record.history`).

use crate::api::carriers::CarrierRecord;
use crate::api::common::{audit_read, authorise, deny};
use crate::api::devices::DeviceRecord;
use crate::api::matters::MatterRecord;
use crate::api::people::is_confidentiality_office;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::export::{table_response, ExportFormat};
use crate::ledger;
use crate::people::Person;
use crate::state::AppState;
use crate::timed::stored;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use baomi_core::access::{decide, Action, Decision, Object, Role};
use baomi_core::audit::{
    Actor, AuditEntry, BreakKind, ChainBreak, Checkpoint, Digest, ObjectRef, Outcome,
};
use baomi_core::ids::PersonId;
use baomi_core::{Describe, Lang};
use baomi_store::checkpoint::{signature_is_valid, verify_with_key, SigningKeyFile};
use baomi_store::{AuditSearch, HistoryFilter, RecordKind};
use jiff::civil::Date;
use jiff::tz::{self, TimeZone};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};

/// Entries per search page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// Most entries per search page.
pub const MAX_LIMIT: u32 = 1_000;
/// Most rows in one export.
pub const EXPORT_MAX_ROWS: usize = 100_000;
/// Entries per page of a record's history when `limit` is not given.
pub const HISTORY_DEFAULT_LIMIT: u32 = 100;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(search))
        .route("/api/v1/audit/verify", get(verify))
        .route("/api/v1/audit/export", get(export))
        .route("/api/v1/records/{kind}/{id}/history", get(history))
}

/// The search parameters (and `format` for the export).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    /// Entries by this person.
    pub actor: Option<i64>,
    /// Actions starting with this text.
    pub action: Option<String>,
    /// About objects of this kind.
    pub object_kind: Option<String>,
    /// About the object with this id.
    pub object_id: Option<String>,
    /// `success`, `denied` or `failed`.
    pub outcome: Option<String>,
    /// At or after (RFC 3339, or a day).
    pub from: Option<String>,
    /// Before (RFC 3339), or up to the end of a day.
    pub until: Option<String>,
    /// Only entries with a lower `seq` (paging).
    pub before: Option<u64>,
    /// Entries per page.
    pub limit: Option<u32>,
    /// Export format (`csv`, `xlsx`).
    pub format: Option<String>,
}

fn cst() -> TimeZone {
    TimeZone::fixed(tz::offset(8))
}

/// An instant from `text`: RFC 3339, or a day in China Standard Time (its start, or with
/// `end_of_day` the start of the next day).
fn instant(text: &str, field: &str, end_of_day: bool) -> ApiResult<Timestamp> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let bad = || {
        ApiError::bad_request(
            format!("{field}：应为 YYYY-MM-DD 或 RFC 3339 时间"),
            format!("{field}: must be YYYY-MM-DD or an RFC 3339 time"),
        )
        .with_reason(format!("invalid_{field}"))
    };
    let day: Date = text.parse().map_err(|_| bad())?;
    let day = if end_of_day {
        day.tomorrow().map_err(|_| bad())?
    } else {
        day
    };
    day.to_zoned(cst())
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

impl AuditQuery {
    /// The store search these parameters ask for; malformed values are a 400.
    pub fn to_search(&self) -> ApiResult<AuditSearch> {
        let outcome = match self.outcome.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("success") => Some("success"),
            Some("denied") => Some("denied"),
            Some("failed") => Some("failed"),
            Some(other) => {
                let shown: String = other.chars().take(32).collect();
                return Err(ApiError::bad_request(
                    format!("结果 {shown:?} 应为 success、denied 或 failed"),
                    format!("outcome {shown:?} must be success, denied or failed"),
                )
                .with_reason("invalid_outcome"));
            }
        };
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(128).collect::<String>())
        };
        let from = self.from.as_deref().filter(|s| !s.trim().is_empty());
        let until = self.until.as_deref().filter(|s| !s.trim().is_empty());
        Ok(AuditSearch {
            actor: self.actor.map(PersonId),
            action_prefix: text(&self.action),
            object_kind: text(&self.object_kind),
            object_id: text(&self.object_id),
            outcome,
            from: from.map(|f| instant(f, "from", false)).transpose()?,
            until: until.map(|u| instant(u, "until", true)).transpose()?,
        })
    }

    fn limit(&self) -> ApiResult<u32> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request(
                format!("每页 1 至 {MAX_LIMIT} 条"),
                format!("1 to {MAX_LIMIT} entries per page"),
            )
            .with_reason("invalid_limit")),
        }
    }

    /// The filters as given, for the audit entry of the search itself.
    fn detail(&self) -> Value {
        json!({
            "actor": self.actor,
            "action": self.action,
            "object_kind": self.object_kind,
            "object_id": self.object_id,
            "outcome": self.outcome,
            "from": self.from,
            "until": self.until,
            "before": self.before,
        })
    }
}

/// The object of every auditor action: the audit trail of the system (R5.1: at its level).
fn trail(state: &AppState) -> Object {
    Object::system(state.config.system_level)
}

fn trail_ref() -> ObjectRef {
    ObjectRef::new("audit_log", "trail")
}

/// Names of the people who acted in `entries`, by id, for showing who did what (read by id,
/// names only: never the whole directory).
async fn person_names(state: &AppState, entries: &[AuditEntry]) -> ApiResult<HashMap<i64, String>> {
    let mut tx = state.store.read().await?;
    let names = ledger::names_of(
        &mut tx,
        RecordKind::Person,
        entries.iter().filter_map(|e| match e.actor {
            Actor::Person(id) => Some(id.0),
            _ => None,
        }),
    )
    .await?;
    tx.finish().await?;
    Ok(names)
}

/// The local (China Standard Time) rendering of an instant.
pub fn local_time(at: Timestamp) -> String {
    at.to_zoned(cst()).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn outcome_parts(outcome: &Outcome) -> (&'static str, Option<&str>) {
    match outcome {
        Outcome::Success => ("success", None),
        Outcome::Denied { reason } => ("denied", Some(reason.as_str())),
        Outcome::Failed { error } => ("failed", Some(error.as_str())),
    }
}

fn actor_json(actor: &Actor, names: &HashMap<i64, String>) -> Value {
    match actor {
        Actor::Person(id) => json!({
            "kind": "person",
            "id": id.0,
            "name": names.get(&id.0),
        }),
        Actor::System => json!({ "kind": "system", "id": null, "name": "系统" }),
        Actor::Unauthenticated => json!({ "kind": "unauthenticated", "id": null, "name": null }),
    }
}

/// One entry as the API shows it: `detail` parsed when it is JSON.
pub fn entry_json(entry: &AuditEntry, names: &HashMap<i64, String>) -> Value {
    let (outcome, reason) = outcome_parts(&entry.outcome);
    let detail = if entry.detail.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&entry.detail).unwrap_or_else(|_| Value::String(entry.detail.clone()))
    };
    json!({
        "seq": entry.seq,
        "at": entry.at.to_string(),
        "at_local": local_time(entry.at),
        "actor": actor_json(&entry.actor, names),
        "action": entry.action,
        "object": entry.object.as_ref().map(|o| json!({ "kind": o.kind, "id": o.id })),
        "outcome": outcome,
        "reason": reason,
        "detail": detail,
        "prev_hash": entry.prev_hash.to_hex(),
        "hash": entry.hash.to_hex(),
    })
}

/// `GET /api/v1/audit`: the auditor's search (R13.2), newest first.
pub async fn search(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Value>> {
    authorise(
        &state,
        &principal,
        &trail(&state),
        Action::ReadAuditTrail,
        trail_ref(),
        "audit.search",
    )
    .await?;
    let lang = principal.lang;
    let search = query.to_search().map_err(|e| e.in_lang(lang))?;
    let limit = query.limit().map_err(|e| e.in_lang(lang))?;
    let mut tx = state.store.read().await?;
    let entries = tx.search_audit(&search, query.before, limit).await?;
    tx.finish().await?;
    let names = person_names(&state, &entries).await?;
    let next_before = if entries.len() == usize::try_from(limit).unwrap_or(usize::MAX) {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    let mut detail = query.detail();
    if let Some(obj) = detail.as_object_mut() {
        obj.insert("returned".into(), json!(entries.len()));
        obj.insert("first_seq".into(), json!(entries.first().map(|e| e.seq)));
        obj.insert("last_seq".into(), json!(entries.last().map(|e| e.seq)));
    }
    audit_read(&state, &principal, trail_ref(), "audit.search", detail).await?;
    let items: Vec<Value> = entries.iter().map(|e| entry_json(e, &names)).collect();
    Ok(Json(json!({
        "items": items,
        "limit": limit,
        "next_before": next_before,
    })))
}

/// A break as JSON: its kind code and both messages.
fn break_json(b: &ChainBreak, lang: Lang) -> Value {
    let kind = serde_json::to_value(&b.kind)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    json!({
        "seq": b.seq,
        "kind": kind,
        "rule": b.rule().0,
        "message": b.describe(lang),
        "message_zh": b.describe(Lang::Zh),
        "message_en": b.describe(Lang::En),
    })
}

/// A checkpoint file as `baomi audit checkpoint` prints it (and the service writes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFile {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Its Ed25519 signature.
    pub signature: Vec<u8>,
}

/// Reads a checkpoint file: `{seq, head_hash, algorithm, at, signature, public_key?}`.
pub fn read_checkpoint_file(path: &FsPath) -> Option<CheckpointFile> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    let field = |name: &str| v.get(name).and_then(Value::as_str);
    let checkpoint = Checkpoint {
        algorithm: field("algorithm")?.parse().ok()?,
        seq: v.get("seq").and_then(Value::as_u64)?,
        head_hash: Digest::from_hex(field("head_hash")?).ok()?,
        at: field("at")?.parse().ok()?,
    };
    let signature = baomi_core::audit::from_hex(field("signature")?).ok()?;
    Some(CheckpointFile {
        checkpoint,
        signature,
    })
}

/// The checkpoint file with the highest `seq` in `dir` (files `checkpoint-*.json`).
pub fn newest_checkpoint_file(dir: &FsPath) -> Option<(PathBuf, CheckpointFile)> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("checkpoint-") && n.ends_with(".json"))
        })
        .filter_map(|p| read_checkpoint_file(&p).map(|c| (p, c)))
        .max_by_key(|(_, c)| c.checkpoint.seq)
}

/// `GET /api/v1/audit/verify`: checks the whole chain (R13.2).
pub async fn verify(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Value>> {
    authorise(
        &state,
        &principal,
        &trail(&state),
        Action::ReadAuditTrail,
        trail_ref(),
        "audit.verify",
    )
    .await?;
    let lang = principal.lang;
    let answer = verification(&state, lang).await?;
    let detail = json!({
        "ok": answer.get("ok"),
        "entries": answer.get("entries"),
        "first_broken_seq": answer.get("first_broken_seq"),
        "checkpoint": answer.get("checkpoint"),
    });
    audit_read(&state, &principal, trail_ref(), "audit.verify", detail).await?;
    Ok(Json(answer))
}

/// The verification answer (without auditing it).
pub async fn verification(state: &AppState, lang: Lang) -> ApiResult<Value> {
    let head_now = state.store.audit_head().await;
    let key = match &state.config.signing_key {
        None => None,
        Some(path) => {
            let path = path.clone();
            let key = tokio::task::spawn_blocking(move || SigningKeyFile::load(&path))
                .await
                .map_err(|e| ApiError::internal(&e))?
                .map_err(|e| ApiError::internal(&e))?;
            Some(key.verifying_key())
        }
    };
    let (chain, entries, checkpoint_json, truncation_checked, bad_signature) = match &key {
        Some(vk) => {
            let report = verify_with_key(&state.store, Some(vk)).await?;
            let cp = report.latest_checkpoint.map(|c| {
                json!({ "seq": c.checkpoint.seq, "at": c.checkpoint.at.to_string(), "signature": c.signature.code() })
            });
            let bad = report.bad_signature.map(|s| {
                json!({
                    "seq": s.seq,
                    "message": s.describe(lang),
                    "message_zh": s.describe(Lang::Zh),
                    "message_en": s.describe(Lang::En),
                })
            });
            let checked = report.truncation_checked();
            (report.chain, report.entries, cp, checked, bad)
        }
        None => {
            let mut tx = state.store.read().await?;
            let latest = tx.latest_checkpoint().await?;
            tx.finish().await?;
            let chain = state
                .store
                .verify_audit_against(latest.as_ref().map(|c| c.checkpoint))
                .await?;
            let entries = match &chain {
                Ok(v) => v.count,
                Err(_) => head_now.seq,
            };
            let cp = latest.as_ref().map(|c| {
                json!({
                    "seq": c.checkpoint.seq,
                    "at": c.checkpoint.at.to_string(),
                    "signature": if c.signature.is_some() { "unchecked" } else { "absent" },
                })
            });
            (chain, entries, cp, false, None)
        }
    };
    // The newest signed checkpoint kept outside the database, when there is one and a key.
    let mut external = Value::Null;
    let mut external_break = None;
    let mut external_ok = true;
    if let (Some(vk), Some(dir)) = (&key, &state.config.checkpoint_dir) {
        let dir = dir.clone();
        let newest = tokio::task::spawn_blocking(move || newest_checkpoint_file(&dir))
            .await
            .map_err(|e| ApiError::internal(&e))?;
        if let Some((_, file)) = newest {
            let valid = signature_is_valid(vk, &file.checkpoint, &file.signature);
            let brk = if valid {
                state
                    .store
                    .verify_audit_against(Some(file.checkpoint))
                    .await?
                    .err()
            } else {
                None
            };
            external_ok = valid && brk.is_none();
            external = json!({
                "seq": file.checkpoint.seq,
                "signature": if valid { "valid" } else { "invalid" },
                "intact": external_ok,
            });
            external_break = brk;
        }
    }
    let chain_break = chain.as_ref().err().or(external_break.as_ref());
    let ok = chain.is_ok() && bad_signature.is_none() && external_ok;
    let head = match &chain {
        Ok(v) => {
            json!({ "seq": v.head.seq, "hash": v.head.hash.to_hex(), "algorithm": v.head.algorithm.name() })
        }
        Err(_) => {
            json!({ "seq": head_now.seq, "hash": head_now.hash.to_hex(), "algorithm": head_now.algorithm.name() })
        }
    };
    let problem = match (chain_break, &bad_signature) {
        (Some(b), _) => break_json(b, lang),
        (None, Some(bad)) => {
            let mut p = bad.clone();
            if let Some(obj) = p.as_object_mut() {
                obj.insert("kind".into(), json!("checkpoint_signature_invalid"));
                obj.insert("rule".into(), json!("R13.2"));
            }
            p
        }
        (None, None) if !external_ok => json!({
            "kind": "external_checkpoint_signature_invalid",
            "rule": "R13.2",
            "message": lang.pick("检查点文件签名无效", "the checkpoint file's signature is invalid"),
            "message_zh": "检查点文件签名无效",
            "message_en": "the checkpoint file's signature is invalid",
        }),
        (None, None) => Value::Null,
    };
    let truncated = matches!(
        chain_break.map(|b| &b.kind),
        Some(BreakKind::Truncated { .. })
    );
    Ok(json!({
        "ok": ok,
        "entries": entries,
        "head": head,
        "first_broken_seq": chain_break.map(|b| b.seq),
        "truncated": truncated,
        "problem": problem,
        "checkpoint": checkpoint_json,
        "key_configured": key.is_some(),
        "truncation_checked": truncation_checked || external_ok && !external.is_null(),
        "external_checkpoint": external,
        "signature_invalid": bad_signature,
    }))
}

/// The columns of the audit export: (Chinese, English).
pub const EXPORT_COLUMNS: [(&str, &str); 11] = [
    ("序号", "Seq"),
    ("时间", "Time"),
    ("操作者类型", "Actor kind"),
    ("操作者", "Actor"),
    ("操作", "Action"),
    ("对象类型", "Object kind"),
    ("对象编号", "Object id"),
    ("结果", "Outcome"),
    ("原因", "Reason"),
    ("详情", "Detail"),
    ("哈希", "Hash"),
];

fn export_row(entry: &AuditEntry, names: &HashMap<i64, String>, lang: Lang) -> Vec<String> {
    let (_, reason) = outcome_parts(&entry.outcome);
    let actor = match entry.actor {
        Actor::Person(id) => match names.get(&id.0) {
            Some(name) => format!("{name} ({id})"),
            None => id.to_string(),
        },
        _ => String::new(),
    };
    vec![
        entry.seq.to_string(),
        local_time(entry.at),
        lang.pick(entry.actor.zh(), entry.actor.en()).to_owned(),
        actor,
        entry.action.clone(),
        entry
            .object
            .as_ref()
            .map(|o| o.kind.clone())
            .unwrap_or_default(),
        entry
            .object
            .as_ref()
            .map(|o| o.id.clone())
            .unwrap_or_default(),
        lang.pick(entry.outcome.zh(), entry.outcome.en()).to_owned(),
        reason.unwrap_or_default().to_owned(),
        entry.detail.clone(),
        entry.hash.to_hex(),
    ]
}

/// `GET /api/v1/audit/export?format=csv|xlsx`: the search as a spreadsheet.
pub async fn export(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Response> {
    authorise(
        &state,
        &principal,
        &trail(&state),
        Action::ReadAuditTrail,
        trail_ref(),
        "audit.export",
    )
    .await?;
    let lang = principal.lang;
    let format = ExportFormat::parse(query.format.as_deref()).map_err(|e| e.in_lang(lang))?;
    let search = query.to_search().map_err(|e| e.in_lang(lang))?;
    let mut entries: Vec<AuditEntry> = Vec::new();
    let mut before = query.before;
    let mut tx = state.store.read().await?;
    loop {
        let page = tx.search_audit(&search, before, MAX_LIMIT).await?;
        let full = page.len() == usize::try_from(MAX_LIMIT).unwrap_or(usize::MAX);
        before = page.last().map(|e| e.seq);
        entries.extend(page);
        if !full || entries.len() >= EXPORT_MAX_ROWS || before.is_none() {
            break;
        }
    }
    tx.finish().await?;
    entries.truncate(EXPORT_MAX_ROWS);
    let names = person_names(&state, &entries).await?;
    let mut detail = query.detail();
    if let Some(obj) = detail.as_object_mut() {
        obj.insert("rows".into(), json!(entries.len()));
        obj.insert("format".into(), json!(format.extension()));
    }
    audit_read(&state, &principal, trail_ref(), "audit.export", detail).await?;
    let rows = entries
        .iter()
        .map(|e| export_row(e, &names, lang))
        .collect();
    Ok(table_response(
        lang.pick("审计记录", "audit log"),
        &EXPORT_COLUMNS,
        rows,
        format,
        lang,
    ))
}

/// The kinds whose history can be read, and how the right to read is decided.
const HISTORY_KINDS: [&str; 4] = ["matter", "carrier", "device", "person"];

/// The paging parameters of a record's history.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HistoryQuery {
    /// Only entries with a lower `seq` (the previous page's `next_before`).
    pub before: Option<u64>,
    /// Entries per page (1–1000, default 100).
    pub limit: Option<u32>,
}

/// `GET /api/v1/records/{kind}/{id}/history`: the audit entries about one record, newest
/// first (who, what, when), a page at a time, for whoever may read the record.
pub async fn history(
    State(state): State<AppState>,
    principal: Principal,
    Path((kind, id)): Path<(String, i64)>,
    Query(page): Query<HistoryQuery>,
) -> ApiResult<Json<Value>> {
    let lang = principal.lang;
    if !HISTORY_KINDS.contains(&kind.as_str()) {
        return Err(ApiError::bad_request(
            format!("不能查看 {kind:?} 的历史；可查看 matter、carrier、device、person"),
            format!("no history for {kind:?}; matter, carrier, device and person have one"),
        )
        .with_reason("invalid_kind")
        .in_lang(lang));
    }
    let limit = match page.limit {
        None => HISTORY_DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_request(
                format!("每页 1 至 {MAX_LIMIT} 条"),
                format!("1 to {MAX_LIMIT} entries per page"),
            )
            .with_reason("invalid_limit")
            .in_lang(lang))
        }
    };
    let object_ref = ObjectRef::new(&kind, id);
    let action = format!("{kind}.history");
    let view = may_read_record(&state, &principal, &kind, id, &object_ref, &action).await?;
    let mut tx = state.store.read().await?;
    let entries = tx
        .audit_history(
            &object_ref,
            &view.filter(principal.id()),
            page.before,
            limit,
        )
        .await?;
    tx.finish().await?;
    let next_before = if entries.len() == usize::try_from(limit).unwrap_or(usize::MAX) {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    let names = person_names(&state, &entries).await?;
    audit_read(
        &state,
        &principal,
        object_ref,
        &action,
        json!({ "entries": entries.len(), "before": page.before }),
    )
    .await?;
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut v = entry_json(e, &names);
            if let Some(obj) = v.as_object_mut() {
                // The chain's hashes are the auditor's business, not the record page's.
                obj.remove("prev_hash");
                obj.remove("hash");
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "object": { "kind": kind, "id": id.to_string() },
        "items": items,
        "limit": limit,
        "next_before": next_before,
        "truncated": next_before.is_some(),
    })))
}

/// How much of a record's history a reader sees (R13.2, R5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HistoryView {
    /// The security auditor: every entry — reads, denials, failures included.
    Full,
    /// A reader of the record: what was done to it (successful changes), and their own
    /// entries. Who else read it or was refused is audit-trail content, the auditor's alone.
    Changes,
    /// The system administrator on a person: the account's entries only (logins, lockouts,
    /// account changes), which is what they manage; nothing of the person's rights or posts.
    Account,
}

impl HistoryView {
    /// The view as the SQL filter of the history query, run by the database before paging:
    /// Full — every entry; Changes — the viewer's own entries and others' successful
    /// non-read entries; Account — `auth.`/`account.` entries, the viewer's own or others'
    /// non-read ones ([`is_read_action`]).
    fn filter(self, viewer: PersonId) -> HistoryFilter {
        let reads = || READ_SUFFIXES.iter().map(|s| (*s).to_owned()).collect();
        match self {
            HistoryView::Full => HistoryFilter::default(),
            HistoryView::Changes => HistoryFilter {
                action_prefixes: Vec::new(),
                viewer: Some(viewer),
                others_success_only: true,
                others_hidden_suffixes: reads(),
            },
            HistoryView::Account => HistoryFilter {
                action_prefixes: vec!["auth.".to_owned(), "account.".to_owned()],
                viewer: Some(viewer),
                others_success_only: false,
                others_hidden_suffixes: reads(),
            },
        }
    }
}

/// Whether an audit action records a read (R13.1 audits reads as well as changes): the actions
/// written by [`audit_read`] and the history reads end so.
pub fn is_read_action(action: &str) -> bool {
    READ_SUFFIXES.iter().any(|suffix| action.ends_with(suffix))
}

/// The endings of read actions ([`is_read_action`]).
const READ_SUFFIXES: [&str; 8] = [
    ".read",
    ".list",
    ".export",
    ".history",
    ".search",
    ".verify",
    "_status",
    ".password_status",
];

/// Whether `principal` may read the record (and so its history); a denial is audited and
/// answered 403, a record that does not exist 404.
async fn may_read_record(
    state: &AppState,
    principal: &Principal,
    kind: &str,
    id: i64,
    object_ref: &ObjectRef,
    action: &str,
) -> ApiResult<HistoryView> {
    let today = state.clock.today();
    let subject = principal.subject();
    // The security auditor reads the whole trail anyway (R13.2); a record's history is part of it.
    if decide(&subject, &trail(state), Action::ReadAuditTrail, today).is_allowed() {
        return Ok(HistoryView::Full);
    }
    let lang = principal.lang;
    let record_kind = RecordKind::parse(kind).ok_or_else(|| ApiError::not_found().in_lang(lang))?;
    let mut tx = state.store.read().await?;
    let object = match record_kind {
        RecordKind::Matter => ledger::load::<MatterRecord>(&mut tx, id)
            .await?
            .map(|m| stored::matter_object(&m.value, today)),
        RecordKind::Carrier => match ledger::load::<CarrierRecord>(&mut tx, id).await? {
            None => None,
            Some(c) => {
                let matter = match c.value.carrier.matter() {
                    Some(m) => ledger::load::<MatterRecord>(&mut tx, m.0).await?,
                    None => None,
                };
                Some(stored::carrier_object(
                    &c.value,
                    matter.as_ref().map(|m| &m.value),
                ))
            }
        },
        RecordKind::Device => {
            // Device rows carry no classified content; they are seen by the unit's device
            // managers and their holder (the devices module's rule D1), and an unseen one is 404.
            let device = ledger::load::<DeviceRecord>(&mut tx, id).await?;
            tx.finish().await?;
            return match device {
                Some(d) if device_visible(principal, &d.value) => Ok(HistoryView::Changes),
                _ => Err(ApiError::not_found().in_lang(lang)),
            };
        }
        RecordKind::Person => {
            let person = ledger::load::<Person>(&mut tx, id).await?;
            tx.finish().await?;
            let Some(person) = person else {
                return Err(ApiError::not_found().in_lang(lang));
            };
            return may_read_person(state, principal, &person.value, object_ref, action).await;
        }
        _ => None,
    };
    tx.finish().await?;
    let Some(object) = object else {
        return Err(ApiError::not_found().in_lang(lang));
    };
    authorise(
        state,
        principal,
        &object,
        Action::Read,
        object_ref.clone(),
        action,
    )
    .await
    .map(|()| HistoryView::Changes)
}

/// The devices module's rule D1 (`api::devices`): the unit's confidentiality office and
/// security administrator, and the device's holder or bearer.
fn device_visible(principal: &Principal, device: &DeviceRecord) -> bool {
    principal.person.unit == device.unit
        && (is_confidentiality_office(principal)
            || principal.has_role(Role::SecurityAdministrator)
            || device.held_by(principal.id()))
}

/// A person's history: their own; the details the people module shows them to (the unit's
/// confidentiality office and security administrator, its rule P2); or, for the account's
/// entries only, whoever manages accounts (R5.3: the system administrator).
async fn may_read_person(
    state: &AppState,
    principal: &Principal,
    person: &Person,
    object_ref: &ObjectRef,
    action: &str,
) -> ApiResult<HistoryView> {
    if person.id == principal.id()
        || (person.unit == principal.person.unit
            && (is_confidentiality_office(principal)
                || principal.has_role(Role::SecurityAdministrator)))
    {
        return Ok(HistoryView::Changes);
    }
    let today = state.clock.today();
    let account = Object::account(person.id, state.config.system_level);
    match decide(&principal.subject(), &account, Action::ManageUsers, today) {
        Decision::Allow => Ok(HistoryView::Account),
        Decision::Deny(reason) => {
            Err(deny(state, principal, object_ref.clone(), action, &reason).await)
        }
    }
}
