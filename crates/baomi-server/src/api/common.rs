//! What every handler does the same way: ask the core's access decision, audit reads and
//! denials, and turn core refusals into answers.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::http::StatusCode;
use baomi_core::access::{decide, Action, Decision, DenyReason, Object};
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome};
use baomi_core::{Describe, RuleId};
use serde_json::json;

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
                .detail(detail.to_string()),
        )
        .await
        .map(|_| ())
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
