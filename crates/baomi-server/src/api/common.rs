//! What every handler does the same way: ask the core's access decision, audit reads and
//! denials, and turn core refusals into answers.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::http::StatusCode;
use baomi_core::access::{decide, Action, Decision, DenyReason, Object};
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome, MAX_DETAIL_BYTES};
use baomi_core::{Describe, RuleId};
use serde_json::json;
use sha2::{Digest, Sha256};

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
pub async fn audit_read(
    state: &AppState,
    principal: &Principal,
    object_ref: ObjectRef,
    audit_action: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    state
        .audit
        .record(
            AuditDraft::new(state.clock.now(), principal.actor(), audit_action)
                .on(object_ref)
                .detail(bounded_detail(detail)),
        )
        .await
        .map(|_| ())
}

/// An audit entry's detail as text within the core's bound ([`MAX_DETAIL_BYTES`]), so that a
/// large list or export is audited rather than refused. The ids a list or export showed are
/// written as ranges (`"1-500,502"`) when they are numbers; if that is still too long, as
/// their count, first and last id and the SHA-256 of the full list; any other oversized
/// detail keeps its first part, its size and its digest.
pub fn bounded_detail(mut detail: serde_json::Value) -> String {
    let text = detail.to_string();
    if text.len() <= MAX_DETAIL_BYTES {
        return text;
    }
    let digest = |bytes: &[u8]| -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    if let Some(ids) = detail.get("ids").and_then(|v| v.as_array()).cloned() {
        let numbers: Option<Vec<i64>> = ids
            .iter()
            .map(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
            .collect();
        detail["ids_count"] = json!(ids.len());
        if let Some(numbers) = numbers {
            detail["ids"] = json!(id_ranges(&numbers));
            let text = detail.to_string();
            if text.len() <= MAX_DETAIL_BYTES {
                return text;
            }
        }
        let all = serde_json::Value::Array(ids.clone()).to_string();
        detail["ids"] = json!({
            "first": ids.first(),
            "last": ids.last(),
            "sha256": digest(all.as_bytes()),
        });
        let text = detail.to_string();
        if text.len() <= MAX_DETAIL_BYTES {
            return text;
        }
    }
    let head: String = text.chars().take(4_000).collect();
    json!({
        "truncated": true,
        "bytes": text.len(),
        "sha256": digest(text.as_bytes()),
        "head": head,
    })
    .to_string()
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
}
