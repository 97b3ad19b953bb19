//! What every API request passes before and after its handler, decided once for all routes
//! rather than per handler:
//!
//! * R5.3: a change of business data (anything but the administrators' own routes and one's
//!   own account) asks the core's `access::may_change_business_data`; the three separated
//!   administrators are refused 403 with the rule, audited as a denial.
//! * R13.1: an access to a record id answered 404 (a record that does not exist, or that the
//!   subject may not learn exists) is audited as a denial with reason `not_found`, like a 403:
//!   every probe of an id leaves its entry, whatever ledger it hits.

use crate::api::common;
use crate::auth::Principal;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baomi_core::access;
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome};
use serde_json::json;

/// The routes under `/api/v1/` whose changes are not business data: signing in and one's own
/// account (`auth/…`), and the administrators' own work — accounts and the organisation (the
/// system administrator), roles, approver roles, classifier grants and authorisations (the
/// security administrator). Their handlers ask the core for the one role each needs (R5.3).
fn is_administrative(segments: &[&str]) -> bool {
    matches!(
        segments,
        [
            "auth" | "accounts" | "units" | "classifiers" | "authorisations",
            ..
        ] | ["people", _, "roles" | "approver-roles"]
    )
}

/// The record a path names, as (ledger's object kind, id): `/api/v1/matters/7/…` → (`matter`, 7);
/// `/api/v1/records/{kind}/{id}/history` → (`kind`, id).
fn record_of(segments: &[&str]) -> Option<(String, i64)> {
    match segments {
        ["records", kind, id, ..] => Some((singular(kind), id.parse().ok()?)),
        [ledger, id, ..] => Some((singular(ledger), id.parse().ok()?)),
        _ => None,
    }
}

/// The object kind of a ledger's path segment (`matters` → `matter`, `people` → `person`).
fn singular(ledger: &str) -> String {
    match ledger {
        "people" => "person".to_owned(),
        "inventories" => "inventory".to_owned(),
        other => other.strip_suffix('s').unwrap_or(other).to_owned(),
    }
}

/// The audit action of a request on `segments`: `matter.read`, `carrier.lend`, `proposal.file`…
fn audit_action(method: &Method, segments: &[&str]) -> String {
    let kind = segments.first().map_or_else(String::new, |s| singular(s));
    let verb = match (method, segments) {
        (&Method::GET | &Method::HEAD, _) => "read",
        (_, [_]) => "create",
        (_, [_, id]) if id.parse::<i64>().is_ok() => "change",
        (_, [.., last]) => last,
        (_, []) => "change",
    };
    format!("{kind}.{verb}")
}

/// The middleware (see the module documentation).
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return next.run(request).await;
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = request.method().clone();
    let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let record = record_of(&segments);
    let business_write = write && !is_administrative(&segments);
    if matches!(segments.first(), Some(&"auth")) || (!business_write && record.is_none()) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // The handler would authenticate the same way (the principal is cached); a failure is
    // answered here as it would be there.
    let principal = match Principal::from_request_parts(&mut parts, &state).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let action = audit_action(&method, &segments);
    let object_ref = match &record {
        Some((kind, id)) => ObjectRef::new(kind, id),
        None => ObjectRef::new("ledger", segments.first().copied().unwrap_or("")),
    };
    if business_write {
        if let Err(reason) = access::may_change_business_data(&principal.subject()) {
            return common::deny(&state, &principal, object_ref, &action, &reason)
                .await
                .into_response();
        }
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    if response.status() == StatusCode::NOT_FOUND && record.is_some() {
        let path: String = path.chars().take(200).collect();
        let draft = AuditDraft::new(state.clock.now(), principal.actor(), &action)
            .on(object_ref)
            .outcome(Outcome::Denied {
                reason: "not_found".to_owned(),
            })
            .detail(
                json!({ "rule": "R13.1", "method": method.as_str(), "path": path }).to_string(),
            );
        if let Err(e) = state.audit.record(draft).await {
            return e.into_response();
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r5_3_r13_1_routes_are_classified() {
        assert!(is_administrative(&["people", "3", "roles"]));
        assert!(!is_administrative(&["people", "3", "training"]));
        assert!(!is_administrative(&["proposals"]));
        assert_eq!(record_of(&["matters", "2"]), Some(("matter".to_owned(), 2)));
        assert_eq!(record_of(&["people", "9"]), Some(("person".to_owned(), 9)));
        assert_eq!(
            record_of(&["records", "device", "4", "history"]),
            Some(("device".to_owned(), 4))
        );
        assert_eq!(record_of(&["matters", "export"]), None);
        assert_eq!(audit_action(&Method::GET, &["devices", "5"]), "device.read");
        assert_eq!(
            audit_action(&Method::POST, &["proposals"]),
            "proposal.create"
        );
        assert_eq!(
            audit_action(&Method::POST, &["carriers", "5", "lend"]),
            "carrier.lend"
        );
    }
}
