//! `GET /api/v1/reminders` (R13.4): the subject's own reminders, computed now from the ledgers
//! and `state.clock.today()`:
//!
//! | kind | rule | for whom |
//! |---|---|---|
//! | `term_ending` | R1.9 | matters they may read whose period ends within [`WINDOW_DAYS`] |
//! | `review_due` | R1.9 | the yearly review ([`ClassifiedMatter::next_review_due`]) of matters of a unit they classify for — as its head, or as the matter's own classifier — due within [`WINDOW_DAYS`] or overdue, and which they may read |
//! | `password_due` | R4.2 | their password, due within [`PASSWORD_WINDOW_DAYS`] |
//! | `training_short` | R2.3 | their training hours this year, when short (classified personnel in post) |
//! | `detachment_ending` | R2.4 | their detachment period, ending within [`WINDOW_DAYS`] |
//! | `inventory_due` | R3.7 | confidentiality officers: no inventory round of their unit closed in the last 12 months |
//! | `carrier_overdue` | R3.4 / R3.6 | carriers they borrowed, carried out or hold, past their due day |
//! | `storage_fault` | R13.1 | system administrators: the write path met a storage fault (a full disk, a read-only or locked database) in the last day |
//!
//! Only what the subject may read is named (R13.1): a matter is included only when the core's
//! `decide` lets them read it, and an overdue carrier shows its title only then (its number,
//! printed on what they hold, is always shown). The answer is audited (`reminders.list`).

use crate::api::carriers::CarrierRecord;
use crate::api::common::audit_read;
use crate::api::matters::{status_code, ClassifierGrant, MatterRecord};
use crate::auth::{password_due_on, Principal};
use crate::error::ApiResult;
use crate::ledger::{self, Loaded};
use crate::people::PersonStatus;
use crate::state::AppState;
use crate::timed::stored;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use baomi_core::access::{decide, Action, Role};
use baomi_core::audit::ObjectRef;
use baomi_core::carriers::{ApproverRole, CarrierState};
use baomi_core::determination::{Classifier, MatterStatus};
use baomi_core::marks::{add_years, Level};
use baomi_core::personnel::training_compliance;
use baomi_core::{date_text, Lang};
use baomi_store::{RecordFilter, RecordKind, RecordOrder, StoredRecord};
use jiff::civil::Date;
use jiff::ToSpan;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Days ahead a period, review or detachment end is reminded.
pub const WINDOW_DAYS: i64 = 30;
/// Days ahead a password change is reminded.
pub const PASSWORD_WINDOW_DAYS: i64 = 14;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/reminders", get(list))
}

/// What a reminder is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReminderObject {
    /// Record kind (`matter`, `carrier`, `person`, `unit`).
    pub kind: &'static str,
    /// Its id.
    pub id: i64,
}

/// One reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    /// `term_ending`, `review_due`, `password_due`, `training_short`, `detachment_ending`,
    /// `inventory_due`, `carrier_overdue`.
    pub kind: &'static str,
    /// The DOMAIN rule.
    pub rule: &'static str,
    /// The day it is due (or was due).
    pub due: Date,
    /// Whether `due` is already past.
    pub overdue: bool,
    /// What it is about.
    pub object: ReminderObject,
    /// The text in Chinese.
    pub message_zh: String,
    /// The text in English.
    pub message_en: String,
    /// The level of what the text shows (a matter's title, a readable carrier's title), for
    /// the page's banner (R13.3); absent when it shows nothing classified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<&'static str>,
}

impl Reminder {
    fn showing(self, level: Level) -> Reminder {
        Reminder {
            level: Some(level.code()),
            ..self
        }
    }
}

struct Ctx {
    today: Date,
    soon: Date,
    password_soon: Date,
}

fn reminder(
    ctx: &Ctx,
    kind: &'static str,
    rule: &'static str,
    due: Date,
    object: ReminderObject,
    zh: String,
    en: String,
) -> Reminder {
    Reminder {
        kind,
        rule,
        due,
        overdue: due < ctx.today,
        object,
        message_zh: zh,
        message_en: en,
        level: None,
    }
}

fn hours(minutes: u32) -> String {
    if minutes.is_multiple_of(60) {
        (minutes / 60).to_string()
    } else {
        format!("{:.1}", f64::from(minutes) / 60.0)
    }
}

/// The closing day of an inventory round kept as a record: a `closed_on` (or `closed`) day in
/// the body when the round is closed, else the day it was last changed when its status says
/// closed. `None` for a round still open.
fn inventory_closed_on(record: &StoredRecord) -> Option<Date> {
    let body: Value = serde_json::from_str(&record.body).ok()?;
    for key in ["closed_on", "closed", "completed_on"] {
        if let Some(day) = body
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.get(..10))
            .and_then(|s| s.parse::<Date>().ok())
        {
            return Some(day);
        }
    }
    let status = record.meta.status.as_str();
    matches!(status, "closed" | "completed" | "reconciled" | "done")
        .then(|| crate::state::civil_day(record.updated))
}

/// The subject's reminders on `state.clock.today()`, soonest first.
pub async fn reminders_for(state: &AppState, principal: &Principal) -> ApiResult<Vec<Reminder>> {
    let today = state.clock.today();
    let ctx = Ctx {
        today,
        soon: today.checked_add(WINDOW_DAYS.days()).unwrap_or(Date::MAX),
        password_soon: today
            .checked_add(PASSWORD_WINDOW_DAYS.days())
            .unwrap_or(Date::MAX),
    };
    let me = principal.id();
    let person = &principal.person;
    let subject = principal.subject();
    let mut out: Vec<Reminder> = Vec::new();

    if principal.has_role(Role::SystemAdministrator) {
        out.extend(storage_fault_reminder(state, principal, ctx.today));
    }

    // Each ledger is asked only for what can fall due in the window (issue 19): SQL narrows
    // by the due and review days, the holder and the reader's scope and level; the core
    // decides every row below.
    let mut tx = state.store.read().await?;
    let account = tx.account(me).await?;
    let grants: Vec<Classifier> = ledger::load_all::<ClassifierGrant>(
        &mut tx,
        &RecordFilter {
            holder: Some(me.0),
            ..RecordFilter::default()
        },
        RecordOrder::Id,
        false,
    )
    .await?
    .into_iter()
    .map(|g| g.value.classifier)
    .filter(|c| c.person == me)
    .collect();
    let reader = ledger::reader_of(&subject, today);
    // Stored as of the day last saved: a matter saved before its classification day is in
    // force by now.
    let live: Vec<String> = [
        MatterStatus::InForce {
            declassifies_on: None,
        },
        MatterStatus::NotYetClassified,
    ]
    .iter()
    .map(|s| status_code(s).to_owned())
    .collect();
    // R1.9: periods ending soon, for whoever may read the matter…
    let mut asked = vec![RecordFilter {
        statuses: live.clone(),
        due_by: Some(ctx.soon),
        ..RecordFilter::default()
    }];
    // …and yearly reviews, for the classifiers who make them: a unit's head classifier reviews
    // all its matters, any other classifier the matters they classified.
    let head_units: Vec<i64> = grants
        .iter()
        .filter(|g| g.is_head)
        .map(|g| g.unit.0)
        .collect();
    let own_units: Vec<i64> = grants
        .iter()
        .filter(|g| !g.is_head)
        .map(|g| g.unit.0)
        .collect();
    if !head_units.is_empty() {
        asked.push(RecordFilter {
            statuses: live.clone(),
            remind_by: Some(ctx.soon),
            units: Some(head_units),
            ..RecordFilter::default()
        });
    }
    if !own_units.is_empty() {
        asked.push(RecordFilter {
            statuses: live.clone(),
            remind_by: Some(ctx.soon),
            units: Some(own_units),
            holder: Some(me.0),
            ..RecordFilter::default()
        });
    }
    let mut matters: BTreeMap<i64, MatterRecord> = BTreeMap::new();
    for filter in &asked {
        for loaded in
            ledger::load_candidates::<MatterRecord>(&mut tx, filter, Some(&reader)).await?
        {
            matters.insert(loaded.value.matter.id().0, loaded.value);
        }
    }
    // R3.4, R3.6: only carriers they hold whose due day has passed.
    let carriers: Vec<Loaded<CarrierRecord>> = ledger::load_candidates(
        &mut tx,
        &RecordFilter {
            holder: Some(me.0),
            due_by: today.yesterday().ok(),
            ..RecordFilter::default()
        },
        None,
    )
    .await?;
    let mut carrier_matters: HashMap<i64, MatterRecord> = HashMap::new();
    for mid in carriers.iter().filter_map(|l| l.value.carrier.matter()) {
        if let Some(m) = ledger::load::<MatterRecord>(&mut tx, mid.0).await? {
            carrier_matters.insert(mid.0, m.value);
        }
    }
    let office = principal.has_role(Role::ConfidentialityOfficer)
        || person
            .approver_roles
            .contains(&ApproverRole::ConfidentialityOffice);
    let inventories = if office {
        tx.list_records(
            RecordKind::Inventory,
            &RecordFilter {
                unit: Some(person.unit.0),
                ..RecordFilter::default()
            },
            RecordOrder::Id,
            false,
        )
        .await?
    } else {
        Vec::new()
    };
    tx.finish().await?;

    // R1.9: periods ending and yearly reviews, for matters the subject may read.
    for (id, record) in &matters {
        let object = stored::matter_object(record, today);
        let matter = &record.matter;
        if !decide(&subject, &object, Action::Read, today).is_allowed() {
            continue;
        }
        let title = matter.title();
        let obj = || ReminderObject {
            kind: "matter",
            id: *id,
        };
        if let MatterStatus::InForce {
            declassifies_on: Some(end),
        } = matter.status_on(today)
        {
            if end <= ctx.soon {
                out.push(reminder(
                    &ctx,
                    "term_ending",
                    "R1.9",
                    end,
                    obj(),
                    format!(
                        "“{title}”（{}）的保密期限将于 {} 届满；如需延长，须在届满前办理（R1.9）",
                        matter.mark().to_zh(),
                        date_text(end, Lang::Zh)
                    ),
                    format!(
                        "the period of “{title}” ({}) ends on {}; an extension must be decided before then (R1.9)",
                        matter.mark().to_en(),
                        date_text(end, Lang::En)
                    ),
                )
                .showing(matter.mark().level()));
            }
        }
        let reviews = grants
            .iter()
            .any(|g| g.unit == matter.unit() && (g.is_head || matter.classifier() == me));
        if reviews {
            if let Some(due) = matter.next_review_due(today).filter(|d| *d <= ctx.soon) {
                out.push(
                    reminder(
                        &ctx,
                        "review_due",
                        "R1.9",
                        due,
                        obj(),
                        format!(
                            "“{title}”的年度定密审核应于 {} 前完成（R1.9）",
                            date_text(due, Lang::Zh)
                        ),
                        format!(
                            "the yearly review of “{title}” is due by {} (R1.9)",
                            date_text(due, Lang::En)
                        ),
                    )
                    .showing(matter.mark().level()),
                );
            }
        }
    }

    // R4.2: their own password.
    if let Some(due) = account
        .as_ref()
        .and_then(|a| password_due_on(state, a.password_set))
        .filter(|d| *d <= ctx.password_soon)
    {
        out.push(reminder(
            &ctx,
            "password_due",
            "R4.2",
            due,
            ReminderObject {
                kind: "person",
                id: me.0,
            },
            format!(
                "您的登录密码须于 {} 前更换（R4.2）",
                date_text(due, Lang::Zh)
            ),
            format!(
                "your password must be changed by {} (R4.2)",
                date_text(due, Lang::En)
            ),
        ));
    }

    // R2.3: training hours this year, for classified personnel in post.
    if person.status == PersonStatus::Active && subject.category_on(today).is_some() {
        let status = training_compliance(me, &person.training, today.year());
        if !status.is_compliant() {
            let due = Date::new(today.year(), 12, 31).unwrap_or(today);
            out.push(reminder(
                &ctx,
                "training_short",
                "R2.3",
                due,
                ReminderObject {
                    kind: "person",
                    id: me.0,
                },
                format!(
                    "本年度保密教育培训已完成 {} 学时，至少须 {} 学时，尚差 {} 学时（R2.3）",
                    hours(status.minutes),
                    hours(status.required_minutes),
                    hours(status.short_by_minutes)
                ),
                format!(
                    "{} hours of confidentiality training this year; at least {} are required, {} short (R2.3)",
                    hours(status.minutes),
                    hours(status.required_minutes),
                    hours(status.short_by_minutes)
                ),
            ));
        }
    }

    // R2.4: their detachment period ending.
    if let Some(detachment) = &person.detachment {
        let end = detachment.ends_on();
        if detachment.is_in_detachment(today) && end <= ctx.soon {
            out.push(reminder(
                &ctx,
                "detachment_ending",
                "R2.4",
                end,
                ReminderObject {
                    kind: "person",
                    id: me.0,
                },
                format!("您的脱密期将于 {} 结束（R2.4）", date_text(end, Lang::Zh)),
                format!(
                    "your detachment period ends on {} (R2.4)",
                    date_text(end, Lang::En)
                ),
            ));
        }
    }

    // R3.7: the unit's yearly inventory round, for the confidentiality office.
    if office {
        let last = inventories.iter().filter_map(inventory_closed_on).max();
        let due = last.map_or(today, |d| add_years(d, 1));
        if due <= ctx.soon {
            let (zh, en) = match last {
                Some(d) => (
                    format!(
                        "本单位上次载体清查于 {} 完成，应于 {} 前再次清查（R3.7）",
                        date_text(d, Lang::Zh),
                        date_text(due, Lang::Zh)
                    ),
                    format!(
                        "the unit's last carrier inventory closed on {}; the next is due by {} (R3.7)",
                        date_text(d, Lang::En),
                        date_text(due, Lang::En)
                    ),
                ),
                None => (
                    "本单位近 12 个月没有完成的载体清查，请组织清查（R3.7）".to_owned(),
                    "no carrier inventory of the unit was closed in the last 12 months; one is due (R3.7)"
                        .to_owned(),
                ),
            };
            out.push(reminder(
                &ctx,
                "inventory_due",
                "R3.7",
                due,
                ReminderObject {
                    kind: "unit",
                    id: person.unit.0,
                },
                zh,
                en,
            ));
        }
    }

    // R3.4, R3.6: carriers they hold past their due day.
    for loaded in &carriers {
        let record = &loaded.value;
        let carrier = &record.carrier;
        if !carrier.overdue_on(today) {
            continue;
        }
        let (theirs, rule) = match carrier.state() {
            CarrierState::Lent { to, .. } => (*to == me, "R3.4"),
            CarrierState::CarriedOut { by, .. } => (*by == me, "R3.6"),
            _ => (false, "R3.4"),
        };
        if !theirs {
            continue;
        }
        let Some(due) = carrier.due() else { continue };
        let object = stored::carrier_object(
            record,
            carrier.matter().and_then(|m| carrier_matters.get(&m.0)),
        );
        let number = carrier.key().to_string();
        let readable = decide(&subject, &object, Action::Read, today).is_allowed();
        let name = if readable {
            format!("{number}“{}”", carrier.title())
        } else {
            number
        };
        let shown = reminder(
            &ctx,
            "carrier_overdue",
            rule,
            due,
            ReminderObject {
                kind: "carrier",
                id: carrier.id().0,
            },
            format!(
                "载体 {name} 应于 {} 前归还，已逾期（{rule}）",
                date_text(due, Lang::Zh)
            ),
            format!(
                "carrier {name} was due back by {}; it is overdue ({rule})",
                date_text(due, Lang::En)
            ),
        );
        out.push(if readable {
            shown.showing(carrier.level())
        } else {
            shown
        });
    }

    out.sort_by(|a, b| {
        a.due
            .cmp(&b.due)
            .then(a.kind.cmp(b.kind))
            .then(a.object.id.cmp(&b.object.id))
    });
    Ok(out)
}

/// `GET /api/v1/reminders`: the subject's own reminders (R13.4).
/// R13.1: the system administrator's alert of a storage fault seen in the last day (writes
/// were refused and nothing of them saved), with whether writes have succeeded since.
fn storage_fault_reminder(
    state: &AppState,
    principal: &Principal,
    today: Date,
) -> Option<Reminder> {
    let report = state.store.last_fault()?;
    let age = state.clock.now().duration_since(report.at);
    if age > jiff::SignedDuration::from_hours(24) && report.cleared {
        return None;
    }
    use baomi_store::Fault;
    let (what_zh, what_en) = match report.fault {
        Fault::StorageFull => ("存储空间已满", "storage full"),
        Fault::ReadOnly => ("数据库为只读", "database read-only"),
        Fault::Locked => ("数据库被其他程序锁定", "database locked by another program"),
        Fault::Timeout => ("数据库响应超时", "database timed out"),
        Fault::Io => ("数据库存储读写错误", "storage input/output error"),
        Fault::Connection => ("无法连接数据库", "database unreachable"),
        Fault::Aborted => ("数据库事务未能完成", "database transaction not completed"),
    };
    let when = crate::api::audit::local_time(report.at);
    let (state_zh, state_en) = if report.cleared {
        ("此后写入已恢复", "writes have succeeded since")
    } else {
        (
            "写入仍被拒绝，请立即处理",
            "writes are still refused: act now",
        )
    };
    Some(Reminder {
        kind: "storage_fault",
        rule: "R13.1",
        due: today,
        overdue: !report.cleared,
        object: ReminderObject {
            kind: "unit",
            id: principal.person.unit.0,
        },
        message_zh: format!(
            "{what_zh}：最近一次在 {when}，已拒绝 {} 次写入（均未保存）；{state_zh}",
            report.refused
        ),
        message_en: format!(
            "{what_en}: last at {when}, {} writes refused (none saved); {state_en}",
            report.refused
        ),
        level: None,
    })
}

pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Value>> {
    let items = reminders_for(&state, &principal).await?;
    let ids = |kind: &str| -> Vec<i64> {
        items
            .iter()
            .filter(|r| r.object.kind == kind)
            .map(|r| r.object.id)
            .collect()
    };
    audit_read(
        &state,
        &principal,
        ObjectRef::person(principal.id()),
        "reminders.list",
        json!({
            "count": items.len(),
            "matters": ids("matter"),
            "carriers": ids("carrier"),
        }),
    )
    .await?;
    let lang = principal.lang;
    let shown: Vec<Value> = items
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
            if let Some(obj) = v.as_object_mut() {
                obj.insert(
                    "message".into(),
                    json!(lang.pick(&r.message_zh, &r.message_en)),
                );
            }
            v
        })
        .collect();
    Ok(Json(
        json!({ "day": state.clock.today().to_string(), "items": shown }),
    ))
}
