//! The approvals inbox over HTTP (R1.6, R3.4–R3.10, R4.4, R4.7).
//!
//! * `GET /api/v1/approvals?box=inbox|mine|decided` — `inbox`: pending requests routed to me
//!   (I hold one of the approver roles the core said the action needs, in the request's unit;
//!   for proposals: I am a classifier of the proposing unit or of a unit above it); `mine`: my
//!   own requests; `decided`: requests I approved or refused. Never the requester's own
//!   requests in their inbox.
//! * `GET /api/v1/approvals/{id}` — the request with its approval chain, for the requester,
//!   whoever may decide it, and whoever took part in it.
//! * `POST /api/v1/approvals/{id}/approve` `{"role": "unit_head", "reason": "…"}` — carries the
//!   action out through the core with the approver's approval. If the core refuses (a leader's
//!   approval where R3.6 wants the unit head; approving one's own request, R1.6/R3.x), the
//!   request stays pending, the attempt is written into its chain, and the refusal is answered
//!   422 with its rule (and audited).
//! * `POST /api/v1/approvals/{id}/refuse` `{"reason": "…"}` — a reason is required.
//! * `POST /api/v1/approvals/{id}/withdraw` — the requester only.

use crate::api::common::{audit_read, deny_role};
use crate::approvals::{ApprovalRequest, ApprovalStatus, ApprovalStep, ApprovalSubject};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::ledger::{
    load, load_all, load_for_update, load_page, save, ListQuery, Loaded, Page, TOTAL_CAP,
};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_core::access::{decide as access_decide, Action};
use baomi_core::audit::{AuditDraft, ObjectRef, Outcome};
use baomi_core::carriers::ApproverRole;
use baomi_core::ids::UnitId;
use baomi_core::marks::Level;
use baomi_core::Lang;
use baomi_core::RuleId;
use baomi_store::{RecordKind, Window};
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The inbox's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/approvals", get(list))
        .route("/api/v1/approvals/{id}", get(show))
        .route("/api/v1/approvals/{id}/approve", post(approve))
        .route("/api/v1/approvals/{id}/refuse", post(refuse))
        .route("/api/v1/approvals/{id}/withdraw", post(withdraw))
}

fn object_ref(id: i64) -> ObjectRef {
    ObjectRef::new("approval", id)
}

/// The units `principal` holds a classifier grant for (R1.5).
async fn grant_units(state: &AppState, principal: &Principal) -> ApiResult<Vec<UnitId>> {
    let mut tx = state.store.read().await?;
    let grants = crate::api::matters::classifier_grants(&mut tx, Some(principal.id())).await?;
    tx.finish().await?;
    Ok(grants
        .iter()
        .filter(|g| g.classifier.person == principal.id())
        .map(|g| g.classifier.unit)
        .collect())
}

/// Every unit (the organisation is small; read once per request).
async fn all_units(state: &AppState) -> ApiResult<Vec<baomi_store::Unit>> {
    let mut tx = state.store.read().await?;
    let units = tx.list_units().await?;
    tx.finish().await?;
    Ok(units)
}

/// The units above the request's unit that its proposal goes to (see [`escalation_units`]).
async fn superiors(state: &AppState, request: &ApprovalRequest) -> ApiResult<Vec<UnitId>> {
    Ok(escalation_units(&all_units(state).await?, request))
}

/// The units above the request's unit to which its proposal goes (R1.4): none when the unit's
/// tier may set the level itself; otherwise those above it whose tier may.
fn escalation_units(units: &[baomi_store::Unit], request: &ApprovalRequest) -> Vec<UnitId> {
    let tier_allows = |unit: UnitId| {
        units
            .iter()
            .find(|u| u.id == unit)
            .and_then(|u| u.tier.statutory_highest())
            .is_some_and(|highest| request.level <= highest)
    };
    if !matches!(request.subject, ApprovalSubject::Proposal { .. }) || tier_allows(request.unit) {
        return Vec::new();
    }
    chain_above(units, request.unit)
        .into_iter()
        .filter(|u| tier_allows(*u))
        .collect()
}

/// The units above `unit` in `units`, nearest first (a loop in the data ends the walk).
fn chain_above(units: &[baomi_store::Unit], unit: UnitId) -> Vec<UnitId> {
    let mut chain = Vec::new();
    let mut current = unit;
    while let Some(up) = units
        .iter()
        .find(|u| u.id == current)
        .and_then(|u| u.superior)
    {
        if chain.contains(&up) {
            break;
        }
        chain.push(up);
        current = up;
    }
    chain
}

/// Whether `principal` is someone this request is routed to (before the core's own check).
/// `superiors` are the units above the request's unit that may set its level by law (R1.4): a
/// proposal reaches their classifiers only when its own unit may not set the level.
/// `grant_units` are the units the principal holds a classifier grant for (R1.5): the grant, not
/// a role, is what lets a person decide proposals.
fn routed_to(
    request: &ApprovalRequest,
    principal: &Principal,
    superiors: &[UnitId],
    grant_units: &[UnitId],
    today: Date,
) -> bool {
    if principal.id() == request.requested_by || !cleared_for(principal, request.level, today) {
        return false;
    }
    match request.subject {
        ApprovalSubject::Proposal { .. } => {
            grant_units.contains(&request.unit) || grant_units.iter().any(|u| superiors.contains(u))
        }
        _ => {
            principal.person.unit == request.unit
                && request
                    .needed
                    .iter()
                    .any(|r| principal.person.approver_roles.contains(r))
        }
    }
}

/// R2.1: whether the principal's category, as it counts today, covers `level` (work secrets
/// and unclassified objects need none). A request is never routed to an approver who could not
/// handle what it is about: they would only be refused when they acted.
fn cleared_for(principal: &Principal, level: Level, today: Date) -> bool {
    !level.is_state_secret()
        || principal
            .subject()
            .category_on(today)
            .is_some_and(|c| c.covers(level))
}

/// Whether `principal` may try to decide: routed to them, or holding any approver role in the
/// unit (the core then says whose approval the action really needs), or the requester (the
/// core then refuses the self-approval with its rule).
fn may_attempt(
    request: &ApprovalRequest,
    principal: &Principal,
    superiors: &[UnitId],
    grant_units: &[UnitId],
    today: Date,
) -> bool {
    if routed_to(request, principal, superiors, grant_units, today) {
        return true;
    }
    let same_unit = principal.person.unit == request.unit;
    match request.subject {
        ApprovalSubject::Proposal { .. } => grant_units.contains(&request.unit),
        _ => same_unit && !principal.person.approver_roles.is_empty(),
    }
}

fn took_part(request: &ApprovalRequest, principal: &Principal) -> bool {
    request.requested_by == principal.id() || request.steps.iter().any(|s| s.by == principal.id())
}

/// Which box of the inbox a list shows (the ledger's usual parameters come separately: serde's
/// `flatten` cannot read numbers from a query string).
#[derive(Debug, Deserialize)]
pub struct BoxQuery {
    /// `inbox` (default), `mine` or `decided`.
    #[serde(rename = "box")]
    pub which: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(boxed): Query<BoxQuery>,
    Query(list): Query<ListQuery>,
) -> ApiResult<Json<Page<Value>>> {
    let lang = principal.lang;
    let (mut filter, order, descending) = list.to_filter().map_err(|e| e.in_lang(lang))?;
    let (page, per_page) = list.page().map_err(|e| e.in_lang(lang))?;
    let which = boxed.which.as_deref().unwrap_or("inbox");
    let units = all_units(&state).await?;
    let grant_units = grant_units(&state, &principal).await?;
    let today = state.clock.today();
    // The SQL narrows each box to its candidates (issue 19); the checks below still decide
    // every row.
    match which {
        "inbox" => {
            if filter.statuses.is_empty() {
                filter.statuses = vec![ApprovalStatus::Pending.code().to_owned()];
            }
            filter.units = Some(inbox_units(&units, &principal, &grant_units));
        }
        "mine" => filter.holder = Some(principal.id().0),
        "decided" => filter.party = Some(principal.id().0),
        _ => {
            return Err(ApiError::bad_request(
                format!("未知的收件箱 {which:?}（应为 inbox、mine 或 decided）"),
                format!("unknown box {which:?} (inbox, mine or decided)"),
            )
            .in_lang(lang))
        }
    }
    let keep = |request: &ApprovalRequest| match which {
        "mine" => request.requested_by == principal.id(),
        "decided" => request.steps.iter().any(|s| s.by == principal.id()),
        // A proposal of a lower unit also reaches the classifiers above it (R1.4).
        _ => routed_to(
            request,
            &principal,
            &escalation_units(&units, request),
            &grant_units,
            today,
        ),
    };
    // R1.7: a search matches only what this person is shown — a redacted request's hidden
    // title is not searched, or `q` would tell it piece by piece. The stored title may narrow
    // the search in SQL unless the text could match a redacted title's own words.
    let search = filter.text.take();
    if let Some(q) = &search {
        if !matches_redacted_words(q, lang) {
            filter.text = Some(q.clone());
        }
    }
    // R1.7: sorting by title (or number, which a title names) uses the title as shown: a
    // redacted request must not be placed by its hidden title. Only one's own requests are
    // never redacted, so only they sort by title in SQL.
    let title_order = matches!(
        order,
        baomi_store::RecordOrder::Title | baomi_store::RecordOrder::Number
    );
    let shown_needed = search.is_some() || (title_order && which != "mine");
    let mut tx = state.store.read().await?;
    let page = if which != "inbox" && !shown_needed {
        // `mine` and `decided`: the index selects exactly the requests kept, so SQL pages.
        let window = Window {
            offset: u64::from(page.saturating_sub(1)).saturating_mul(u64::from(per_page)),
            after: None,
            limit: per_page,
        };
        let candidates: Vec<Loaded<ApprovalRequest>> =
            load_page(&mut tx, &filter, None, order, descending, window).await?;
        let total = tx
            .count_records(RecordKind::Approval, &filter, None, TOTAL_CAP)
            .await?;
        tx.finish().await?;
        let last_id = candidates.last().map(|l| l.value.id);
        let n = candidates.len();
        let visible: Vec<Loaded<ApprovalRequest>> =
            candidates.into_iter().filter(|l| keep(&l.value)).collect();
        let readable = readable(&state, &principal, &refs(&visible)).await?;
        let items = visible
            .iter()
            .map(|loaded| view(loaded, readable.contains(&loaded.value.id), &principal))
            .collect();
        Page::decided(items, window, page, n, last_id, total)
    } else {
        // The inbox (routing is decided per request) and searches or title orders over what
        // is shown: the box's candidates are decided in memory, each box bounded by its
        // narrowing (pending requests of the units one may decide for; one's own part).
        let all: Vec<Loaded<ApprovalRequest>> =
            load_all(&mut tx, &filter, order, descending).await?;
        tx.finish().await?;
        let visible: Vec<Loaded<ApprovalRequest>> =
            all.into_iter().filter(|l| keep(&l.value)).collect();
        if shown_needed {
            let readable = readable(&state, &principal, &refs(&visible)).await?;
            let mut shown: Vec<Value> = visible
                .iter()
                .map(|loaded| view(loaded, readable.contains(&loaded.value.id), &principal))
                .filter(|v| {
                    search.as_deref().is_none_or(|q| {
                        v["title"]
                            .as_str()
                            .is_some_and(|t| t.to_lowercase().contains(&q.to_lowercase()))
                    })
                })
                .collect();
            if title_order {
                shown.sort_by(|a, b| {
                    let key =
                        |v: &Value| (v["title"].as_str().map(str::to_owned), v["id"].as_i64());
                    let ordering = key(a).cmp(&key(b));
                    if descending {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                });
            }
            Page::of(shown, page, per_page)
        } else {
            // Only the page's requests need their objects read (for redaction).
            let page = Page::of(visible, page, per_page);
            let readable = readable(&state, &principal, &refs(&page.items)).await?;
            page.map(|loaded| view(&loaded, readable.contains(&loaded.value.id), &principal))
        }
    };
    let ids: Vec<&Value> = page.items.iter().map(|v| &v["id"]).collect();
    audit_read(
        &state,
        &principal,
        ObjectRef::new("approval", "list"),
        "approval.list",
        json!({ "box": which, "ids": ids }),
    )
    .await?;
    Ok(Json(page))
}

fn refs(loaded: &[Loaded<ApprovalRequest>]) -> Vec<&ApprovalRequest> {
    loaded.iter().map(|l| &l.value).collect()
}

/// The units whose pending requests may be routed to `principal`: their own unit when they
/// hold an approver role (R3.4–R3.10, R4.4, R4.7), and for proposals the units they hold a
/// classifier grant for and every unit below those (R1.4, R1.5: a proposal goes up to the
/// classifiers of a unit whose tier may set its level).
fn inbox_units(
    units: &[baomi_store::Unit],
    principal: &Principal,
    grant_units: &[UnitId],
) -> Vec<i64> {
    let mut out = BTreeSet::new();
    if !principal.person.approver_roles.is_empty() {
        out.insert(principal.person.unit.0);
    }
    for unit in units {
        let chain = chain_above(units, unit.id);
        if grant_units
            .iter()
            .any(|g| *g == unit.id || chain.contains(g))
        {
            out.insert(unit.id.0);
        }
    }
    out.into_iter().collect()
}

/// R1.7, R2.1, R13.1: the ids of the requests whose object `principal` may read today. A
/// request's title and reasons name its object (number, title, what is asked), so an approver
/// who may not read the object (outside its knowledge scope, say: a unit head approving a
/// carry-out) sees the request without them. The requester always sees their own words. A
/// device request names a device, not classified content: readable to whoever is cleared for
/// its level.
async fn readable(
    state: &AppState,
    principal: &Principal,
    requests: &[&ApprovalRequest],
) -> ApiResult<BTreeSet<i64>> {
    use crate::api::carriers::{object_of, scope_of, CarrierRecord};
    use crate::api::matters::{
        classifier_grants, proposal_matter, proposal_object, unit_directory, MatterRecord,
        ProposalEntry,
    };
    let today = state.clock.today();
    let subject = principal.subject();
    let mut out = BTreeSet::new();
    let mut tx = state.store.read().await?;
    let units = unit_directory(&mut tx).await?;
    let grants = classifier_grants(&mut tx, None).await?;
    for request in requests {
        if request.requested_by == principal.id() {
            out.insert(request.id);
            continue;
        }
        let object = match &request.subject {
            ApprovalSubject::Proposal { proposal } => {
                match load::<ProposalEntry>(&mut tx, *proposal).await? {
                    Some(entry) => {
                        let matter = proposal_matter(&mut tx, &entry.value, today).await?;
                        Some(proposal_object(
                            &entry.value,
                            &grants,
                            &units,
                            matter.as_ref(),
                        ))
                    }
                    None => None,
                }
            }
            ApprovalSubject::Carrier { carrier, .. }
            | ApprovalSubject::CarrierCopy { carrier, .. } => {
                match load::<CarrierRecord>(&mut tx, *carrier).await? {
                    Some(record) => {
                        let matter = match record.value.carrier.matter() {
                            Some(id) => load::<MatterRecord>(&mut tx, id.0)
                                .await?
                                .map(|m| m.value.matter),
                            None => None,
                        };
                        let scope = scope_of(&record.value, matter.as_ref());
                        Some(object_of(&record.value, scope))
                    }
                    None => None,
                }
            }
            ApprovalSubject::Device { .. } => {
                if cleared_for(principal, request.level, today) {
                    out.insert(request.id);
                }
                continue;
            }
        };
        if object.is_some_and(|o| access_decide(&subject, &o, Action::Read, today).is_allowed()) {
            out.insert(request.id);
        }
    }
    tx.finish().await?;
    Ok(out)
}

/// What each kind of request is called in a redacted view: (Chinese, English), in the order
/// proposal, carrier command, carrier copy, device.
const KIND_WORDS: [(&str, &str); 4] = [
    ("定密申请", "classification proposal"),
    ("载体审批", "carrier request"),
    ("载体复制审批", "carrier copy request"),
    ("设备审批", "device request"),
];

/// What a request is, in words, for a redacted view.
fn kind_words(subject: &ApprovalSubject, lang: Lang) -> &'static str {
    let (zh, en) = KIND_WORDS[match subject {
        ApprovalSubject::Proposal { .. } => 0,
        ApprovalSubject::Carrier { .. } => 1,
        ApprovalSubject::CarrierCopy { .. } => 2,
        ApprovalSubject::Device { .. } => 3,
    }];
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The title a redacted request shows instead of its own.
fn redacted_title(words: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{words}（无权知悉其内容）"),
        Lang::En => format!("{words} (content not in your knowledge scope)"),
    }
}

/// Whether `q` could match the words a redacted request shows instead of its title (then a
/// search cannot be narrowed by the stored titles).
fn matches_redacted_words(q: &str, lang: Lang) -> bool {
    let q = q.to_lowercase();
    KIND_WORDS.iter().any(|(zh, en)| {
        let words = match lang {
            Lang::Zh => zh,
            Lang::En => en,
        };
        redacted_title(words, lang).to_lowercase().contains(&q)
    })
}

/// A request as answered. `readable`: whether the principal may read its object (see
/// [`readable`]); if not, the title, the command's parameters and others' reasons are left
/// out, and `redacted` says so.
fn view(loaded: &Loaded<ApprovalRequest>, readable: bool, principal: &Principal) -> Value {
    let r = &loaded.value;
    let (title, subject, reason, steps) = if readable {
        (
            r.title.clone(),
            json!(r.subject),
            r.reason.clone(),
            json!(r.steps),
        )
    } else {
        let title = redacted_title(kind_words(&r.subject, principal.lang), principal.lang);
        let (object_kind, object_id) = r.object();
        let subject = json!({
            "kind": json!(r.subject)["kind"],
            "object": object_kind.as_str(),
            "object_id": object_id,
        });
        let steps: Vec<Value> = r
            .steps
            .iter()
            .map(|step| {
                let mut v = json!(step);
                if step.by != principal.id() {
                    v["reason"] = json!("");
                }
                v
            })
            .collect();
        (title, subject, String::new(), json!(steps))
    };
    json!({
        "id": r.id,
        "unit": r.unit,
        "subject": subject,
        "title": title,
        "redacted": !readable,
        "level": r.level.code(),
        "level_zh": r.level.zh(),
        "requested_by": r.requested_by,
        "requested_at": r.requested_at.to_string(),
        "reason": reason,
        "needed": r.needed,
        "needed_zh": r.needed.iter().map(|n| n.zh()).collect::<Vec<_>>(),
        "status": r.status.code(),
        "steps": steps,
        "version": loaded.version,
        "updated": loaded.updated.to_string(),
    })
}

async fn show(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let mut tx = state.store.read().await?;
    let loaded = load::<ApprovalRequest>(&mut tx, id).await?;
    tx.finish().await?;
    let Some(loaded) = loaded else {
        return Err(ApiError::not_found().in_lang(principal.lang));
    };
    let superiors = superiors(&state, &loaded.value).await?;
    // Whoever may attempt a decision may open it — but only if cleared for its level (R2.1):
    // an uncleared approver learns not even that it exists (ids are sequential).
    let today = state.clock.today();
    if !(took_part(&loaded.value, &principal)
        || (cleared_for(&principal, loaded.value.level, today)
            && may_attempt(
                &loaded.value,
                &principal,
                &superiors,
                &grant_units(&state, &principal).await?,
                today,
            )))
    {
        // Not found, not forbidden: whoever has no part in it learns nothing of it.
        return Err(ApiError::not_found().in_lang(principal.lang));
    }
    audit_read(
        &state,
        &principal,
        object_ref(id),
        "approval.read",
        json!({}),
    )
    .await?;
    let readable = readable(&state, &principal, &[&loaded.value]).await?;
    Ok(Json(view(
        &loaded,
        readable.contains(&loaded.value.id),
        &principal,
    )))
}

/// `approve` and `refuse` bodies.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct DecisionBody {
    /// The role approved in; default: the first of the needed roles the approver holds.
    #[serde(default)]
    pub role: Option<ApproverRole>,
    /// The reason (required to refuse).
    #[serde(default)]
    pub reason: String,
}

async fn approve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    body: Option<Json<DecisionBody>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    decide(state, principal, id, true, body).await
}

async fn refuse(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
    body: Option<Json<DecisionBody>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    if body.reason.trim().is_empty() {
        return Err(
            ApiError::bad_request("不予批准须说明理由", "a refusal needs a reason")
                .with_reason("reason_required")
                .in_lang(principal.lang),
        );
    }
    decide(state, principal, id, false, body).await
}

/// Which role the approver acts in: the one asked for (if they hold it), else the first of the
/// needed roles they hold, else any approver role they hold (the core then says whose approval
/// the action needs).
fn acting_role(
    request: &ApprovalRequest,
    principal: &Principal,
    asked: Option<ApproverRole>,
) -> Option<ApproverRole> {
    let held = &principal.person.approver_roles;
    if let Some(role) = asked {
        return held.contains(&role).then_some(role);
    }
    request
        .needed
        .iter()
        .copied()
        .find(|r| held.contains(r))
        .or_else(|| held.iter().next().copied())
}

async fn decide(
    state: AppState,
    principal: Principal,
    id: i64,
    approving: bool,
    body: DecisionBody,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let lang = principal.lang;
    let audit_action = if approving {
        "approval.approve"
    } else {
        "approval.refuse"
    };
    let mut tx = state.store.read().await?;
    let found = load::<ApprovalRequest>(&mut tx, id).await?;
    tx.finish().await?;
    let Some(found) = found else {
        return Err(ApiError::not_found().in_lang(lang));
    };
    let superiors = superiors(&state, &found.value).await?;
    let grants = grant_units(&state, &principal).await?;
    let today = state.clock.today();
    if !may_attempt(&found.value, &principal, &superiors, &grants, today) {
        return Err(deny_role(
            &state,
            &principal,
            Some(object_ref(id)),
            audit_action,
            RuleId("R13.1"),
            "您不是该事项的审批人",
            "you are not an approver of this request",
        )
        .await);
    }
    let is_proposal = matches!(found.value.subject, ApprovalSubject::Proposal { .. });
    // A refusal is not checked by the core (nothing is carried out), so it is checked here: only
    // someone the request is routed to — holding a role it needs, cleared for its level, not
    // the requester — may refuse it, and in one of the roles it needs (R1.6, R3.4–R3.10).
    // A proposal's refusal goes through the core's rejection, which checks the classifier.
    let role = if approving || is_proposal {
        acting_role(&found.value, &principal, body.role)
    } else if routed_to(&found.value, &principal, &superiors, &grants, today) {
        let held = &principal.person.approver_roles;
        found
            .value
            .needed
            .iter()
            .copied()
            .filter(|r| held.contains(r))
            .find(|r| body.role.is_none_or(|asked| asked == *r))
    } else {
        None
    };
    if !is_proposal && role.is_none() {
        return Err(deny_role(
            &state,
            &principal,
            Some(object_ref(id)),
            audit_action,
            RuleId("R13.1"),
            "您未担任所需的审批角色",
            "you do not hold the approver role asked for",
        )
        .await);
    }
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut request,
        version,
        ..
    }) = load_for_update::<ApprovalRequest>(&mut tx, id).await?
    else {
        return Err(ApiError::not_found().in_lang(lang));
    };
    if request.status != ApprovalStatus::Pending {
        return Err(ApiError::conflict(
            format!("该申请已{}，不能再审批", status_zh(request.status)),
            format!("the request is already {}", request.status.code()),
        )
        .with_reason("already_decided")
        .in_lang(lang));
    }
    let outcome = match (&request.subject, approving) {
        (ApprovalSubject::Proposal { .. }, _) => {
            crate::api::matters::decide_proposal(
                &state,
                &mut tx,
                &request,
                &principal,
                approving,
                &body.reason,
                now,
            )
            .await
        }
        (_, false) => Ok(json!({ "refused": true })),
        (ApprovalSubject::Carrier { .. }, true) => match role {
            Some(role) => {
                crate::api::carriers::carry_out_approved(
                    &state, &mut tx, &request, &principal, role, now,
                )
                .await
            }
            None => Err(ApiError::internal(&"no role")),
        },
        (ApprovalSubject::CarrierCopy { .. }, true) => match role {
            Some(role) => {
                crate::api::carriers::copy_approved(
                    &state, &mut tx, &request, &principal, role, now,
                )
                .await
            }
            None => Err(ApiError::internal(&"no role")),
        },
        (ApprovalSubject::Device { .. }, true) => match role {
            Some(role) => {
                crate::api::devices::carry_out_approved(
                    &state, &mut tx, &request, &principal, role, now,
                )
                .await
            }
            None => Err(ApiError::internal(&"no role")),
        },
    };
    match outcome {
        Ok(result) => {
            request.status = if approving {
                ApprovalStatus::Approved
            } else {
                ApprovalStatus::Refused
            };
            request.steps.push(ApprovalStep {
                by: principal.id(),
                role,
                at: now,
                outcome: if approving { "approved" } else { "refused" }.to_owned(),
                reason: body.reason.trim().to_owned(),
            });
            save(&mut tx, &request, version, now).await?;
            tx.append_audit(
                AuditDraft::new(now, principal.actor(), audit_action)
                    .on(object_ref(id))
                    .detail(json!({ "role": role, "reason": body.reason.trim() }).to_string()),
            )
            .await?;
            tx.commit().await?;
            Ok((
                StatusCode::OK,
                Json(json!({ "status": request.status.code(), "result": result })),
            ))
        }
        Err(refusal)
            if refusal.status == StatusCode::UNPROCESSABLE_ENTITY
                || refusal.status == StatusCode::FORBIDDEN =>
        {
            // The core refused: nothing of the attempt is kept but its record in the chain
            // and the audit trail; the request stays pending for the right approver.
            tx.rollback().await?;
            let mut tx = state.store.write().await?;
            if let Some(Loaded {
                value: mut request,
                version,
                ..
            }) = load_for_update::<ApprovalRequest>(&mut tx, id).await?
            {
                request.steps.push(ApprovalStep {
                    by: principal.id(),
                    role,
                    at: now,
                    outcome: "attempt_refused".to_owned(),
                    reason: format!("{} {}", refusal.rule.map(|r| r.0).unwrap_or(""), refusal.en)
                        .trim()
                        .to_owned(),
                });
                save(&mut tx, &request, version, now).await?;
            }
            tx.append_audit(
                AuditDraft::new(now, principal.actor(), audit_action)
                    .on(object_ref(id))
                    .outcome(Outcome::Denied {
                        reason: refusal
                            .reason
                            .clone()
                            .unwrap_or_else(|| refusal.code.to_owned()),
                    })
                    .detail(json!({ "rule": refusal.rule.map(|r| r.0), "role": role }).to_string()),
            )
            .await?;
            tx.commit().await?;
            Err(refusal.in_lang(lang))
        }
        Err(other) => Err(other.in_lang(lang)),
    }
}

fn status_zh(status: ApprovalStatus) -> &'static str {
    match status {
        ApprovalStatus::Pending => "待审批",
        ApprovalStatus::Approved => "批准",
        ApprovalStatus::Refused => "不予批准",
        ApprovalStatus::Withdrawn => "撤回",
    }
}

async fn withdraw(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let lang = principal.lang;
    let now = state.clock.now();
    let mut tx = state.store.write().await?;
    let Some(Loaded {
        value: mut request,
        version,
        ..
    }) = load_for_update::<ApprovalRequest>(&mut tx, id).await?
    else {
        return Err(ApiError::not_found().in_lang(lang));
    };
    if request.requested_by != principal.id() {
        tx.rollback().await?;
        return Err(deny_role(
            &state,
            &principal,
            Some(object_ref(id)),
            "approval.withdraw",
            RuleId("R13.1"),
            "只有申请人可以撤回申请",
            "only the requester may withdraw a request",
        )
        .await);
    }
    if request.status != ApprovalStatus::Pending {
        return Err(ApiError::conflict(
            format!("该申请已{}，不能撤回", status_zh(request.status)),
            format!("the request is already {}", request.status.code()),
        )
        .in_lang(lang));
    }
    request.status = ApprovalStatus::Withdrawn;
    request.steps.push(ApprovalStep {
        by: principal.id(),
        role: None,
        at: now,
        outcome: "withdrawn".to_owned(),
        reason: String::new(),
    });
    save(&mut tx, &request, version, now).await?;
    tx.append_audit(
        AuditDraft::new(now, principal.actor(), "approval.withdraw").on(object_ref(id)),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "status": request.status.code() })))
}
