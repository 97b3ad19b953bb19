//! The organisation (R1.4 tiers and superiors; departments for knowledge scopes, R1.7).
//!
//! Every logged-in person may read the organisation chart: names of units and departments are
//! not classified, and scopes and forms need them. Creating units and departments is managing
//! the service: the system administrator's (R5.3, `Action::ManageService`).

use crate::api::common::authorise;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_core::access::{Action, Object};
use baomi_core::audit::ObjectRef;
use baomi_core::determination::UnitTier;
use baomi_core::ids::UnitId;
use serde::Deserialize;
use serde_json::{json, Value};

/// The organisation's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/units", get(list).post(create_unit))
        .route("/api/v1/units/{id}/departments", post(create_department))
}

fn tier_code(tier: UnitTier) -> &'static str {
    match tier {
        UnitTier::Central => "central",
        UnitTier::Provincial => "provincial",
        UnitTier::Prefecture => "prefecture",
        UnitTier::Other => "other",
    }
}

fn tier_zh(tier: UnitTier) -> &'static str {
    match tier {
        UnitTier::Central => "中央国家机关",
        UnitTier::Provincial => "省级机关",
        UnitTier::Prefecture => "设区的市级机关",
        UnitTier::Other => "其他机关、单位",
    }
}

fn parse_tier(text: &str) -> Option<UnitTier> {
    [
        UnitTier::Central,
        UnitTier::Provincial,
        UnitTier::Prefecture,
        UnitTier::Other,
    ]
    .into_iter()
    .find(|t| tier_code(*t) == text)
}

async fn list(State(state): State<AppState>, _principal: Principal) -> ApiResult<Json<Value>> {
    let mut tx = state.store.read().await?;
    let units = tx.list_units().await?;
    let mut out = Vec::with_capacity(units.len());
    for unit in units {
        let departments = tx.list_departments(unit.id).await?;
        out.push(json!({
            "id": unit.id,
            "name": unit.name,
            "tier": tier_code(unit.tier),
            "tier_zh": tier_zh(unit.tier),
            "superior": unit.superior,
            "departments": departments.iter().map(|d| json!({ "id": d.id, "name": d.name })).collect::<Vec<_>>(),
        }));
    }
    tx.finish().await?;
    Ok(Json(json!({ "items": out })))
}

/// `POST /api/v1/units`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewUnit {
    /// Name.
    pub name: String,
    /// `central`, `provincial`, `prefecture` or `other` (R1.4).
    pub tier: String,
    /// The superior unit.
    #[serde(default)]
    pub superior: Option<i64>,
}

async fn manage(state: &AppState, principal: &Principal, what: &str) -> ApiResult<()> {
    authorise(
        state,
        principal,
        &Object::system(state.config.system_level),
        Action::ManageService,
        ObjectRef::new("system", "organisation"),
        what,
    )
    .await
}

fn clean_name(principal: &Principal, name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "名称不能为空，且不超过 100 字",
            "a name of 1 to 100 characters is required",
        )
        .with_reason("invalid_name")
        .in_lang(principal.lang));
    }
    Ok(name.to_owned())
}

async fn create_unit(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewUnit>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    manage(&state, &principal, "unit.create").await?;
    let name = clean_name(&principal, &body.name)?;
    let tier = parse_tier(body.tier.trim()).ok_or_else(|| {
        ApiError::bad_request(
            "级别应为 central、provincial、prefecture 或 other",
            "tier must be central, provincial, prefecture or other",
        )
        .with_reason("invalid_tier")
        .in_lang(principal.lang)
    })?;
    let mut tx = state.store.write().await?;
    let unit = tx
        .create_unit(
            state.clock.now(),
            principal.actor(),
            &name,
            tier,
            body.superior.map(UnitId),
        )
        .await
        .map_err(|e| ApiError::from(e).in_lang(principal.lang))?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "id": unit.id, "name": unit.name, "tier": tier_code(unit.tier), "superior": unit.superior }),
        ),
    ))
}

/// `POST /api/v1/units/{id}/departments`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewDepartment {
    /// Name, unique within the unit.
    pub name: String,
}

async fn create_department(
    State(state): State<AppState>,
    principal: Principal,
    Path(unit): Path<i64>,
    Json(body): Json<NewDepartment>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    manage(&state, &principal, "department.create").await?;
    let name = clean_name(&principal, &body.name)?;
    let mut tx = state.store.write().await?;
    let existing = tx.list_departments(UnitId(unit)).await?;
    if existing.iter().any(|d| d.name == name) {
        return Err(ApiError::conflict(
            format!("该单位已有部门“{name}”"),
            format!("the unit already has a department {name:?}"),
        )
        .in_lang(principal.lang));
    }
    let department = tx
        .create_department(state.clock.now(), principal.actor(), UnitId(unit), &name)
        .await
        .map_err(|e| ApiError::from(e).in_lang(principal.lang))?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": department.id, "unit": department.unit, "name": department.name })),
    ))
}
