//! `GET /api/v1/dashboard` (R13.3, R13.4): the counts the home page shows — matters by level
//! and by status, carriers by status, training compliance of the people whose details the
//! subject sees (R2.3), device passwords in and out of policy (R4.2) — by aggregate queries
//! over the candidates the subject could read (issue 19), never by loading the ledgers.
//!
//! What a count counts: the candidates of the list it summarises, narrowed in SQL by knowledge
//! scope and level (R1.7, R2.1) exactly as the list's candidates are. The list then asks the core
//! about every row; a count does not, so it can include a record whose group in a scope the
//! reader has since left — a number, never a title or a mark.

use crate::api::common::audit_read;
use crate::api::{carriers, devices, people};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::ledger::{self, level_of_rank};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use baomi_core::audit::ObjectRef;
use baomi_store::{GroupColumn, RecordFilter, RecordKind};
use serde_json::{json, Map, Value};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/dashboard", get(dashboard))
}

/// Counts keyed by code.
fn counts(rows: Vec<(String, u64)>, key: impl Fn(&str) -> Option<String>) -> Value {
    let mut out = Map::new();
    for (group, n) in rows {
        if let Some(k) = key(&group) {
            let total = out.get(&k).and_then(Value::as_u64).unwrap_or(0) + n;
            out.insert(k, json!(total));
        }
    }
    Value::Object(out)
}

fn level_code(rank: &str) -> Option<String> {
    let rank: u8 = rank.parse().ok()?;
    level_of_rank(rank).map(|l| l.code().to_owned())
}

/// `GET /api/v1/dashboard`: audited once (`dashboard.read`, with the counts answered).
async fn dashboard(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Value>> {
    let today = state.clock.today();
    let reader = ledger::reader_of(&principal.subject(), today);
    let all = RecordFilter::default();
    let mut tx = state.store.read().await?;
    let matter_levels = tx
        .count_by(RecordKind::Matter, &all, Some(&reader), GroupColumn::Level)
        .await?;
    let matter_statuses = tx
        .count_by(RecordKind::Matter, &all, Some(&reader), GroupColumn::Status)
        .await?;
    let carrier_statuses = tx
        .count_by(
            RecordKind::Carrier,
            &all,
            Some(&reader),
            GroupColumn::Status,
        )
        .await?;
    tx.finish().await?;
    let matter_total: u64 = matter_levels.iter().map(|(_, n)| n).sum();
    let training = people::training_counts(&state, &principal, today).await?;
    let passwords = devices::password_counts(&state, &principal, today).await?;
    let body = json!({
        "day": today.to_string(),
        "matters": {
            "total": matter_total,
            "by_level": counts(matter_levels, level_code),
            "by_status": counts(matter_statuses, |s| Some(s.to_owned())),
        },
        "carriers": {
            "by_status": counts(carrier_statuses, |s| Some(s.to_owned())),
            // The core's names of each status, so that no page re-types them.
            "status_names": carriers::STATUSES
                .iter()
                .map(|s| (carriers::status_code(*s).to_owned(), json!({ "zh": s.zh(), "en": s.en() })))
                .collect::<Map<String, Value>>(),
        },
        "training": { "compliant": training.0, "not_compliant": training.1 },
        "device_passwords": { "in_policy": passwords.0, "out_of_policy": passwords.1 },
    });
    // What was shown: the counts (the status names are the core's vocabulary, not data).
    let mut shown = body.clone();
    if let Some(c) = shown.get_mut("carriers").and_then(Value::as_object_mut) {
        c.remove("status_names");
    }
    audit_read(
        &state,
        &principal,
        ObjectRef::new("ledger", "dashboard"),
        "dashboard.read",
        shown,
    )
    .await?;
    Ok(Json(body))
}
