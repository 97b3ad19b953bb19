//! The ledgers (R13.3): one table of records, each an aggregate of the core in its serde form
//! plus the columns that lists filter, sort and remind on.
//!
//! Why one table rather than one per ledger: the core owns every rule and every aggregate's
//! shape (a carrier's state machine and history, a matter's events); the store only has to keep
//! them whole and find them again. A table per ledger would repeat the same insert, update,
//! list and export code a dozen times and put the aggregates' fields into SQL, where a change of
//! the core would need a migration. The projection columns ([`RecordMeta`]) are what SQL needs
//! to filter and sort; they are written from the aggregate on every change, in the same
//! statement as the body, so they cannot drift from it.
//!
//! Every write here is inside a [`WriteTx`], so the change and its audit entry commit together
//! (R13.1). The caller appends the audit entry; these functions only change the ledger.

use crate::{ReadTx, StoreError, WriteTx};
use jiff::civil::Date;
use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// What a record is (the ledger it belongs to). Stored as text; `as_str` is the stored form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// A person (人员, R2).
    Person,
    /// A classifier grant (定密责任人, R1.5).
    Classifier,
    /// A proposal to classify (定密意见, R1.6).
    Proposal,
    /// A classified matter (国家秘密事项, R1).
    Matter,
    /// A carrier (载体, R3).
    Carrier,
    /// A device (设备, R4).
    Device,
    /// An approval request in the inbox.
    Approval,
    /// An inventory round of carriers (清查, R3.10).
    Inventory,
    /// An unclear matter or a dispute (R1.10).
    Escalation,
    /// An authorisation to classify held by a unit (定密授权, R1.4).
    Authorisation,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 10] = [
        RecordKind::Person,
        RecordKind::Classifier,
        RecordKind::Proposal,
        RecordKind::Matter,
        RecordKind::Carrier,
        RecordKind::Device,
        RecordKind::Approval,
        RecordKind::Inventory,
        RecordKind::Escalation,
        RecordKind::Authorisation,
    ];

    /// The stored form, also the audit log's object kind.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Person => "person",
            RecordKind::Classifier => "classifier",
            RecordKind::Proposal => "proposal",
            RecordKind::Matter => "matter",
            RecordKind::Carrier => "carrier",
            RecordKind::Device => "device",
            RecordKind::Approval => "approval",
            RecordKind::Inventory => "inventory",
            RecordKind::Escalation => "escalation",
            RecordKind::Authorisation => "authorisation",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The columns a list filters, sorts and reminds on, computed from the aggregate by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordMeta {
    /// The unit it belongs to.
    pub unit: Option<i64>,
    /// Its level's rank (0 unclassified … 4 Top Secret), for filters and the banner.
    pub level: Option<u8>,
    /// Its status code (`pending`, `in_custody`, `classified`, …).
    pub status: String,
    /// What a search looks in: its title or name.
    pub title: String,
    /// Its number, unique within the kind (carrier numbers, device asset numbers).
    pub number: Option<String>,
    /// The person holding it (custodian, holder, requester).
    pub holder: Option<i64>,
    /// The day something is due (a return, a term's end, a decision).
    pub due_on: Option<Date>,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Its ledger.
    pub kind: RecordKind,
    /// Its id within the ledger.
    pub id: i64,
    /// Its list columns.
    pub meta: RecordMeta,
    /// 1 when created, one more on each change.
    pub version: i64,
    /// When created (whole seconds).
    pub created: Timestamp,
    /// When last changed (whole seconds).
    pub updated: Timestamp,
    /// The aggregate, as JSON.
    pub body: String,
}

/// How a list is filtered. Every field narrows; `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Only this unit.
    pub unit: Option<i64>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<String>,
    /// Only this level rank.
    pub level: Option<u8>,
    /// Only this holder.
    pub holder: Option<i64>,
    /// Title or number contains this text (case-sensitive for CJK, as stored).
    pub text: Option<String>,
    /// Due on or before this day.
    pub due_by: Option<Date>,
}

/// The column a list is sorted by; ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordOrder {
    /// By id (creation order).
    #[default]
    Id,
    /// By title.
    Title,
    /// By level rank.
    Level,
    /// By status.
    Status,
    /// By due day (records without one last).
    Due,
    /// By last change.
    Updated,
    /// By number.
    Number,
}

impl RecordOrder {
    /// The order named `text` (`id`, `title`, `level`, `status`, `due`, `updated`, `number`).
    pub fn parse(text: &str) -> Option<RecordOrder> {
        Some(match text {
            "id" => RecordOrder::Id,
            "title" => RecordOrder::Title,
            "level" => RecordOrder::Level,
            "status" => RecordOrder::Status,
            "due" => RecordOrder::Due,
            "updated" => RecordOrder::Updated,
            "number" => RecordOrder::Number,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            RecordOrder::Id => "id",
            RecordOrder::Title => "title",
            RecordOrder::Level => "level",
            RecordOrder::Status => "status",
            RecordOrder::Due => "due_on",
            RecordOrder::Updated => "updated_seconds",
            RecordOrder::Number => "number",
        }
    }
}

const RECORD_COLUMNS: &str = "kind, id, unit_id, level, status, title, number, holder_id, \
     due_on, version, created_seconds, updated_seconds, body";

fn corrupt(kind: &str, id: i64, problem: String) -> StoreError {
    StoreError::Corrupt {
        table: "records",
        key: format!("{kind}/{id}"),
        problem,
    }
}

fn seconds_of(t: Timestamp) -> i64 {
    t.as_second()
}

fn decode_record(row: &AnyRow) -> Result<StoredRecord, StoreError> {
    let kind_text: String = row.try_get("kind")?;
    let id: i64 = row.try_get("id")?;
    let kind = RecordKind::parse(&kind_text)
        .ok_or_else(|| corrupt(&kind_text, id, "unknown kind".to_owned()))?;
    let level = match row.try_get::<Option<i64>, _>("level")? {
        None => None,
        Some(l) => Some(
            u8::try_from(l)
                .ok()
                .filter(|l| *l <= 4)
                .ok_or_else(|| corrupt(&kind_text, id, format!("level {l}")))?,
        ),
    };
    let due_on = match row.try_get::<Option<String>, _>("due_on")? {
        None => None,
        Some(text) => Some(
            text.parse::<Date>()
                .map_err(|e| corrupt(&kind_text, id, format!("due_on: {e}")))?,
        ),
    };
    let time = |column: &str| -> Result<Timestamp, StoreError> {
        let s: i64 = row.try_get(column)?;
        Timestamp::from_second(s).map_err(|e| corrupt(&kind_text, id, format!("{column}: {e}")))
    };
    Ok(StoredRecord {
        kind,
        id,
        meta: RecordMeta {
            unit: row.try_get("unit_id")?,
            level,
            status: row.try_get("status")?,
            title: row.try_get("title")?,
            number: row.try_get("number")?,
            holder: row.try_get("holder_id")?,
            due_on,
        },
        version: row.try_get("version")?,
        created: time("created_seconds")?,
        updated: time("updated_seconds")?,
        body: row.try_get("body")?,
    })
}

pub(crate) async fn q_get_record(
    conn: &mut AnyConnection,
    kind: RecordKind,
    id: i64,
) -> Result<Option<StoredRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM records WHERE kind = $1 AND id = $2"
    ))
    .bind(kind.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(decode_record).transpose()
}

pub(crate) async fn q_get_record_by_number(
    conn: &mut AnyConnection,
    kind: RecordKind,
    number: &str,
) -> Result<Option<StoredRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {RECORD_COLUMNS} FROM records WHERE kind = $1 AND number = $2"
    ))
    .bind(kind.as_str())
    .bind(number.to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(decode_record).transpose()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len().saturating_add(2));
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) async fn q_list_records(
    conn: &mut AnyConnection,
    kind: RecordKind,
    filter: &RecordFilter,
    order: RecordOrder,
    descending: bool,
) -> Result<Vec<StoredRecord>, StoreError> {
    // Built from fixed fragments only; every value is a bound parameter.
    let mut sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE kind = $1");
    let mut n = 1;
    let mut next = || {
        n += 1;
        n
    };
    if filter.unit.is_some() {
        sql.push_str(&format!(" AND unit_id = ${}", next()));
    }
    if !filter.statuses.is_empty() {
        let marks: Vec<String> = filter
            .statuses
            .iter()
            .map(|_| format!("${}", next()))
            .collect();
        sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
    }
    if filter.level.is_some() {
        sql.push_str(&format!(" AND level = ${}", next()));
    }
    if filter.holder.is_some() {
        sql.push_str(&format!(" AND holder_id = ${}", next()));
    }
    if filter.text.is_some() {
        let p = next();
        sql.push_str(&format!(
            " AND (title LIKE ${p} ESCAPE '\\' OR number LIKE ${p} ESCAPE '\\')"
        ));
    }
    if filter.due_by.is_some() {
        sql.push_str(&format!(
            " AND due_on IS NOT NULL AND due_on <= ${}",
            next()
        ));
    }
    let direction = if descending { "DESC" } else { "ASC" };
    let column = order.column();
    // NULLs last in both directions and both dialects.
    sql.push_str(&format!(
        " ORDER BY ({column} IS NULL) ASC, {column} {direction}, id {direction}"
    ));
    let mut query = sqlx::query(&sql).bind(kind.as_str());
    if let Some(unit) = filter.unit {
        query = query.bind(unit);
    }
    for status in &filter.statuses {
        query = query.bind(status.clone());
    }
    if let Some(level) = filter.level {
        query = query.bind(i64::from(level));
    }
    if let Some(holder) = filter.holder {
        query = query.bind(holder);
    }
    if let Some(text) = &filter.text {
        query = query.bind(like_pattern(text));
    }
    if let Some(due) = filter.due_by {
        query = query.bind(due.to_string());
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(decode_record).collect()
}

impl ReadTx {
    /// A record by kind and id.
    pub async fn get_record(
        &mut self,
        kind: RecordKind,
        id: i64,
    ) -> Result<Option<StoredRecord>, StoreError> {
        q_get_record(&mut self.tx, kind, id).await
    }

    /// A record by kind and number.
    pub async fn get_record_by_number(
        &mut self,
        kind: RecordKind,
        number: &str,
    ) -> Result<Option<StoredRecord>, StoreError> {
        q_get_record_by_number(&mut self.tx, kind, number).await
    }

    /// The records of a kind matching `filter`, in `order`. Callers filter again by access
    /// decision before showing anything (lists never reveal what the subject may not see).
    pub async fn list_records(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
        order: RecordOrder,
        descending: bool,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        q_list_records(&mut self.tx, kind, filter, order, descending).await
    }
}

impl WriteTx {
    /// A record by kind and id (seeing this transaction's changes).
    pub async fn get_record(
        &mut self,
        kind: RecordKind,
        id: i64,
    ) -> Result<Option<StoredRecord>, StoreError> {
        run!(self, |c| q_get_record(c, kind, id).await)
    }

    /// A record by kind and number (seeing this transaction's changes).
    pub async fn get_record_by_number(
        &mut self,
        kind: RecordKind,
        number: &str,
    ) -> Result<Option<StoredRecord>, StoreError> {
        run!(self, |c| q_get_record_by_number(c, kind, number).await)
    }

    /// [`ReadTx::list_records`] inside the write transaction.
    pub async fn list_records(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
        order: RecordOrder,
        descending: bool,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        run!(self, |c| q_list_records(c, kind, filter, order, descending)
            .await)
    }

    /// The id the next record of `kind` will get (ids are per ledger, from 1, never reused:
    /// writers are serialised, and records are never deleted).
    pub async fn next_record_id(&mut self, kind: RecordKind) -> Result<i64, StoreError> {
        let row = run!(self, |c| sqlx::query(
            "SELECT COALESCE(MAX(id), 0) AS top FROM records WHERE kind = $1"
        )
        .bind(kind.as_str())
        .fetch_one(&mut *c)
        .await
        .map_err(StoreError::from))?;
        let top: i64 = row.try_get("top")?;
        top.checked_add(1)
            .ok_or_else(|| corrupt(kind.as_str(), top, "ids exhausted".to_owned()))
    }

    /// Inserts a record with the id from [`WriteTx::next_record_id`] (the body usually embeds
    /// it). A number already used in the ledger is refused with [`StoreError::Duplicate`].
    pub async fn insert_record(
        &mut self,
        kind: RecordKind,
        id: i64,
        meta: &RecordMeta,
        body: &str,
        at: Timestamp,
    ) -> Result<StoredRecord, StoreError> {
        if let Some(number) = &meta.number {
            if run!(self, |c| q_get_record_by_number(c, kind, number).await)?.is_some() {
                return Err(StoreError::Duplicate {
                    kind: kind.as_str(),
                    number: number.clone(),
                });
            }
        }
        let seconds = seconds_of(at);
        run!(self, |c| sqlx::query(&format!(
            "INSERT INTO records ({RECORD_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10, $11)"
        ))
        .bind(kind.as_str())
        .bind(id)
        .bind(meta.unit)
        .bind(meta.level.map(i64::from))
        .bind(meta.status.clone())
        .bind(meta.title.clone())
        .bind(meta.number.clone())
        .bind(meta.holder)
        .bind(meta.due_on.map(|d| d.to_string()))
        .bind(seconds)
        .bind(body.to_owned())
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        let at = Timestamp::from_second(seconds).unwrap_or(at);
        Ok(StoredRecord {
            kind,
            id,
            meta: meta.clone(),
            version: 1,
            created: at,
            updated: at,
            body: body.to_owned(),
        })
    }

    /// Replaces a record's body and columns if it is still at `expected_version`; otherwise
    /// [`StoreError::Conflict`] (someone changed it since it was read) and nothing changes.
    pub async fn update_record(
        &mut self,
        kind: RecordKind,
        id: i64,
        expected_version: i64,
        meta: &RecordMeta,
        body: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        if let Some(number) = &meta.number {
            if let Some(other) = run!(self, |c| q_get_record_by_number(c, kind, number).await)? {
                if other.id != id {
                    return Err(StoreError::Duplicate {
                        kind: kind.as_str(),
                        number: number.clone(),
                    });
                }
            }
        }
        let result = run!(self, |c| {
            sqlx::query(
            "UPDATE records SET unit_id = $1, level = $2, status = $3, title = $4, number = $5, \
             holder_id = $6, due_on = $7, version = version + 1, updated_seconds = $8, body = $9 \
             WHERE kind = $10 AND id = $11 AND version = $12",
        )
        .bind(meta.unit)
        .bind(meta.level.map(i64::from))
        .bind(meta.status.clone())
        .bind(meta.title.clone())
        .bind(meta.number.clone())
        .bind(meta.holder)
        .bind(meta.due_on.map(|d| d.to_string()))
        .bind(seconds_of(at))
        .bind(body.to_owned())
        .bind(kind.as_str())
        .bind(id)
        .bind(expected_version)
        .execute(&mut *c).await.map_err(StoreError::from)
        })?;
        if result.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                kind: kind.as_str(),
                id,
            });
        }
        Ok(expected_version.saturating_add(1))
    }
}
