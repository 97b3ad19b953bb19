//! What every handler does the same way: ask the core's access decision, audit reads and
//! denials, and turn core refusals into answers.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::request::RequestId;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baomi_core::access::{decide, Action, Decision, DenyReason, Object};
use baomi_core::audit::{Actor, AuditDraft, ObjectRef, Outcome, MAX_DETAIL_BYTES};
use baomi_core::{Describe, Lang, RuleId};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// Asks the core whether `principal` may do `action` on `object` today (R13.1). A denial is
/// audited (`audit_action`, outcome denied with the reason code) and answered 403 in the
/// principal's language; an allowed read of classified content is **not** audited here (the
/// caller audits it once it knows the read succeeded, with [`audit_read`]).
pub async fn authorise(
    state: &AppState,
    principal: &Principal,
    object: &Object,
    action: Action,
    object_ref: ObjectRef,
    audit_action: &str,
) -> ApiResult<()> {
    match decide(&principal.subject(), object, action, state.clock.today()) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => {
            Err(deny(state, principal, object_ref, audit_action, &reason).await)
        }
    }
}

/// Audits a denial and returns the 403 to answer with.
pub async fn deny(
    state: &AppState,
    principal: &Principal,
    object_ref: ObjectRef,
    audit_action: &str,
    reason: &DenyReason,
) -> ApiError {
    let draft = AuditDraft::new(state.clock.now(), principal.actor(), audit_action)
        .on(object_ref)
        .outcome(Outcome::Denied {
            reason: reason.code().to_owned(),
        })
        .detail(json!({ "rule": reason.rule().0 }).to_string());
    match state.audit.record(draft).await {
        Ok(_) => ApiError::denied(reason).in_lang(principal.lang),
        Err(e) => e,
    }
}

/// Audits and answers a 403 for something only a role may do (`code` is the reason code).
pub async fn deny_role(
    state: &AppState,
    principal: &Principal,
    object_ref: Option<ObjectRef>,
    audit_action: &str,
    rule: RuleId,
    zh: &str,
    en: &str,
) -> ApiError {
    let mut draft = AuditDraft::new(state.clock.now(), principal.actor(), audit_action)
        .outcome(Outcome::Denied {
            reason: "role_required".to_owned(),
        })
        .detail(json!({ "rule": rule.0 }).to_string());
    if let Some(o) = object_ref {
        draft = draft.on(o);
    }
    match state.audit.record(draft).await {
        Ok(_) => ApiError::role_required(zh, en, rule).in_lang(principal.lang),
        Err(e) => e,
    }
}

/// R13.1: audits a read of classified content (or of a ledger showing it) before the content
/// is answered; the answer waits for the entry's commit.
///
/// Inside a request (the [`one_read_per_request`] middleware) the read is collected instead,
/// and the request writes **one** entry naming every read it made before its answer leaves;
/// outside one (a background task) it is written at once.
pub async fn audit_read(
    state: &AppState,
    principal: &Principal,
    object_ref: ObjectRef,
    audit_action: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    record_read(state, principal, Some(object_ref), audit_action, detail).await
}

/// Like [`audit_read`] for a read of a whole ledger that names no single object (a list).
pub async fn audit_list_read(
    state: &AppState,
    principal: &Principal,
    audit_action: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    record_read(state, principal, None, audit_action, detail).await
}

/// One read of a request, waiting to be written with the request's others.
#[derive(Debug, Clone)]
struct Read {
    actor: Actor,
    lang: Lang,
    action: String,
    object: Option<ObjectRef>,
    detail: serde_json::Value,
}

/// The reads of the request being answered, when a request is being answered.
type Reads = Arc<Mutex<Vec<Read>>>;

tokio::task_local! {
    /// Set by [`one_read_per_request`] around the whole request, the in-process API calls of a
    /// web page included (they run inside the page's own future, so they see the page's set).
    static READS: Reads;
}

async fn record_read(
    state: &AppState,
    principal: &Principal,
    object: Option<ObjectRef>,
    action: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    let read = Read {
        actor: principal.actor(),
        lang: principal.lang,
        action: action.to_owned(),
        object,
        detail,
    };
    // `try_with` runs the closure only inside a request; outside one `read` is still here.
    let mut pending = Some(read);
    let _outside = READS.try_with(|reads| {
        if let Some(read) = pending.take() {
            lock(reads).push(read);
        }
    });
    match pending {
        Some(read) => write_reads(state, vec![read], None, None).await,
        None => Ok(()),
    }
}

/// The reads, whatever another thread did while holding them (a poisoned lock still holds
/// every read pushed before the panic, and they must still be written).
fn lock(reads: &Reads) -> std::sync::MutexGuard<'_, Vec<Read>> {
    reads
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The middleware of "one request, one audited read" (R13.1): every read a request makes —
/// a JSON call, or a web page's several in-process API calls — is collected; once the handler
/// has produced its answer, and before the answer leaves, **one** entry is written: the first
/// (primary) read's action and object, its detail, the request id, the page's path (web pages)
/// and under `also` every other read with its action, object and detail. If that write fails
/// the answer is replaced by the error: nothing is shown whose read was not recorded.
///
/// Denials are not collected: each is written when it happens, with its own action and outcome
/// (an auditor searching for refusals by action finds them), and changes are audited in their
/// own transactions. A request already inside a collector (none today) adds to it.
pub async fn one_read_per_request(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if READS.try_with(|_| ()).is_ok() {
        return next.run(request).await;
    }
    let id = request.extensions().get::<RequestId>().map(|r| r.0.clone());
    let path = request.uri().path().to_owned();
    let api = path.starts_with("/api/");
    let page = (!api).then(|| path.chars().take(200).collect::<String>());
    let reads: Reads = Arc::default();
    let response = READS.scope(reads.clone(), next.run(request)).await;
    let reads = std::mem::take(&mut *lock(&reads));
    let Some(lang) = reads.first().map(|r| r.lang) else {
        return response;
    };
    match write_reads(&state, reads, id, page).await {
        Ok(()) => response,
        Err(e) if api => e.in_lang(lang).into_response(),
        Err(e) => crate::web::error_response(&state, &e, lang),
    }
}

/// Writes `reads` as one entry per actor: a request reads as one person, but should reads of
/// another ever be collected they are written under their own actor, never folded.
async fn write_reads(
    state: &AppState,
    reads: Vec<Read>,
    request: Option<String>,
    page: Option<String>,
) -> ApiResult<()> {
    let mut by_actor: Vec<(Actor, Vec<Read>)> = Vec::new();
    for read in reads {
        match by_actor.iter_mut().find(|(actor, _)| *actor == read.actor) {
            Some((_, group)) => group.push(read),
            None => by_actor.push((read.actor, vec![read])),
        }
    }
    for (actor, group) in by_actor {
        let mut group = group.into_iter();
        let Some(primary) = group.next() else {
            continue;
        };
        let mut detail = match primary.detail {
            serde_json::Value::Object(map) => serde_json::Value::Object(map),
            serde_json::Value::Null => json!({}),
            other => json!({ "detail": other }),
        };
        if let Some(map) = detail.as_object_mut() {
            if let Some(id) = &request {
                map.insert("request".into(), json!(id));
            }
            if let Some(page) = &page {
                map.insert("page".into(), json!(page));
            }
            let also: Vec<serde_json::Value> = group
                .map(|r| json!({ "action": r.action, "object": r.object, "detail": r.detail }))
                .collect();
            if !also.is_empty() {
                map.insert("also".into(), serde_json::Value::Array(also));
            }
        }
        let mut draft = AuditDraft::new(state.clock.now(), actor, &primary.action)
            .detail(bounded_detail(detail));
        if let Some(object) = primary.object {
            draft = draft.on(object);
        }
        state.audit.record(draft).await?;
    }
    Ok(())
}

/// An audit entry's detail as text within the core's bound ([`MAX_DETAIL_BYTES`]), so that a
/// large list or export is audited rather than refused. The ids a list or export showed (its
/// `ids`, and those of every read under `also` when a request made several) are written as
/// ranges (`"1-500,502"`) when they are numbers; if that is still too long, as their count,
/// first and last id and the SHA-256 of the full list; any other oversized detail keeps its
/// first part, its size and its digest.
pub fn bounded_detail(detail: serde_json::Value) -> String {
    let text = detail.to_string();
    if text.len() <= MAX_DETAIL_BYTES {
        return text;
    }
    let mut ranged = detail.clone();
    each_detail(&mut ranged, &mut |d| {
        let Some(ids) = d.get("ids").and_then(|v| v.as_array()) else {
            return;
        };
        let count = ids.len();
        let numbers: Option<Vec<i64>> = ids
            .iter()
            .map(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
            .collect();
        if let Some(numbers) = numbers {
            d["ids"] = json!(id_ranges(&numbers));
            d["ids_count"] = json!(count);
        }
    });
    let text = ranged.to_string();
    if text.len() <= MAX_DETAIL_BYTES {
        return text;
    }
    let mut digested = detail.clone();
    each_detail(&mut digested, &mut |d| {
        let Some(ids) = d.get("ids").and_then(|v| v.as_array()) else {
            return;
        };
        let all = serde_json::Value::Array(ids.clone()).to_string();
        let summary = json!({
            "first": ids.first(),
            "last": ids.last(),
            "sha256": digest(all.as_bytes()),
        });
        d["ids_count"] = json!(ids.len());
        d["ids"] = summary;
    });
    let text = digested.to_string();
    if text.len() <= MAX_DETAIL_BYTES {
        return text;
    }
    let text = detail.to_string();
    let head: String = text.chars().take(4_000).collect();
    json!({
        "truncated": true,
        "bytes": text.len(),
        "sha256": digest(text.as_bytes()),
        "head": head,
    })
    .to_string()
}

/// Applies `f` to a detail object and to the detail of every read under its `also`.
fn each_detail(detail: &mut serde_json::Value, f: &mut impl FnMut(&mut serde_json::Value)) {
    if detail.is_object() {
        f(detail);
    }
    if let Some(also) = detail.get_mut("also").and_then(|v| v.as_array_mut()) {
        for read in also {
            if let Some(d) = read.get_mut("detail").filter(|d| d.is_object()) {
                f(d);
            }
        }
    }
}

/// SHA-256 in hex.
fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Numbers as ascending ranges: `[1, 2, 3, 5, 9, 10]` → `"1-3,5,9-10"`.
pub(crate) fn id_ranges(numbers: &[i64]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut iter = sorted.into_iter().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        // `checked_add` is None only at i64::MAX, which ends a range (and must not match an
        // exhausted iterator's None).
        while let Some(next) = end.checked_add(1).filter(|n| iter.peek() == Some(n)) {
            iter.next();
            end = next;
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    out.join(",")
}

/// Audits a refused attempt (the core refused a workflow step) and returns the 422.
pub async fn refuse(
    state: &AppState,
    principal: &Principal,
    object_ref: Option<ObjectRef>,
    audit_action: &str,
    refusal: &impl Describe,
    rule: RuleId,
    reason_code: &str,
) -> ApiError {
    let mut draft = AuditDraft::new(state.clock.now(), principal.actor(), audit_action)
        .outcome(Outcome::Denied {
            reason: reason_code.to_owned(),
        })
        .detail(
            json!({ "rule": rule.0, "refusal": refusal.describe(baomi_core::Lang::En) })
                .to_string(),
        );
    if let Some(o) = object_ref {
        draft = draft.on(o);
    }
    match state.audit.record(draft).await {
        Ok(_) => ApiError::refused(refusal, rule, reason_code).in_lang(principal.lang),
        Err(e) => e,
    }
}

/// A 400 for a body field that is missing or malformed.
pub fn invalid(principal: &Principal, field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_request",
        format!("{field}：{zh}"),
        format!("{field}: {en}"),
    )
    .with_reason(format!("invalid_{field}"))
    .in_lang(principal.lang)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn r13_1_id_ranges_are_compact_and_sorted() {
        assert_eq!(id_ranges(&[10, 9, 1, 2, 3, 5, 3]), "1-3,5,9-10");
        assert_eq!(id_ranges(&[]), "");
        assert_eq!(
            id_ranges(&[i64::MAX, i64::MAX - 1]),
            format!("{}-{}", i64::MAX - 1, i64::MAX)
        );
    }

    #[test]
    fn r13_1_a_huge_list_is_audited_within_the_bound() {
        // 20,000 ids of 9 digits would be ~200 KB; as ranges of a contiguous block, tiny.
        let ids: Vec<i64> = (100_000_000..100_020_000).collect();
        let text = bounded_detail(json!({ "ids": ids, "total": 20_000 }));
        assert!(text.len() <= MAX_DETAIL_BYTES);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["ids"], "100000000-100019999");
        assert_eq!(v["ids_count"], 20_000);
        // Every other id: ranges do not help; count, ends and digest remain.
        let sparse: Vec<i64> = (0..40_000).map(|i| 100_000_000 + 2 * i).collect();
        let v: serde_json::Value =
            serde_json::from_str(&bounded_detail(json!({ "ids": sparse }))).unwrap();
        assert_eq!(v["ids_count"], 40_000);
        assert_eq!(v["ids"]["first"], 100_000_000);
        assert_eq!(v["ids"]["sha256"].as_str().unwrap().len(), 64);
        // Anything else oversized keeps its head and digest.
        let v: serde_json::Value =
            serde_json::from_str(&bounded_detail(json!({ "note": "密".repeat(40_000) }))).unwrap();
        assert_eq!(v["truncated"], true);
        assert!(v["bytes"].as_u64().unwrap() > MAX_DETAIL_BYTES as u64);
        // Small details are untouched.
        assert_eq!(bounded_detail(json!({ "ids": [3, 1] })), r#"{"ids":[3,1]}"#);
    }

    #[test]
    fn r13_1_a_page_of_several_large_lists_is_audited_within_the_bound() {
        // One request's entry: the primary list's ids and every other read's, bounded alike.
        let ids: Vec<i64> = (1..20_000).collect();
        let sparse: Vec<i64> = (0..20_000).map(|i| 3 * i).collect();
        let detail = json!({
            "ids": ids,
            "request": "r1",
            "also": [
                { "action": "person.list", "object": null, "detail": { "ids": ids } },
                { "action": "approval.list", "object": null, "detail": { "ids": sparse } },
                { "action": "dashboard.read", "object": null, "detail": "odd" },
            ],
        });
        let text = bounded_detail(detail);
        assert!(text.len() <= MAX_DETAIL_BYTES);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["request"], "r1");
        // Ranges were not enough (the sparse list): every list is its count, ends and digest.
        assert_eq!(v["ids_count"], 19_999);
        assert_eq!(v["ids"]["first"], 1);
        assert_eq!(v["also"][0]["detail"]["ids"]["last"], 19_999);
        assert_eq!(v["also"][1]["detail"]["ids_count"], 20_000);
        assert_eq!(v["also"][1]["action"], "approval.list");
        assert_eq!(v["also"][2]["detail"], "odd");
        // Where ranges suffice, every list is ranged.
        let v: serde_json::Value = serde_json::from_str(&bounded_detail(json!({
            "ids": ids,
            "also": [{ "action": "person.list", "detail": { "ids": ids } }],
        })))
        .unwrap();
        assert_eq!(v["ids"], "1-19999");
        assert_eq!(v["also"][0]["detail"]["ids"], "1-19999");
    }
}
