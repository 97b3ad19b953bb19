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
use std::collections::BTreeSet;

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
    /// Where it is kept (a carrier's or device's location), searched like its title.
    pub place: Option<String>,
    /// The person holding it (custodian, holder, requester).
    pub holder: Option<i64>,
    /// The day something is due (a return, a term's end, a decision).
    pub due_on: Option<Date>,
    /// A second day a reminder looks for (a matter's yearly review, R1.9).
    pub remind_on: Option<Date>,
    /// What lets the store narrow reads of this record to the readers who could read it
    /// ([`Reader`]); `None` for kinds whose lists the store does not narrow. Written with the
    /// record, never read back: [`StoredRecord::meta`] has `None` here.
    pub read: Option<ReadIndex>,
    /// The record this one is about (an approval request's carrier, device or proposal), so
    /// that a record's page finds what concerns it by index.
    pub about: Option<(RecordKind, i64)>,
    /// The persons who took part in the record (everyone who acted in an approval's chain),
    /// replacing the stored ones on each save; `None` for kinds that keep none. Written with
    /// the record, never read back: [`StoredRecord::meta`] has `None` here.
    pub parties: Option<BTreeSet<i64>>,
}

/// The facts a list's SQL narrows on (issue 19; R1.7, R2.1): the record whose knowledge scope
/// governs reading this one, the persons this record's own scope names, and the day from which
/// anyone may read it. Computed by the caller from the aggregate with the core's own functions
/// (the core decides; this only finds candidates, so it may name more persons than the core
/// would admit — a group's persons who left it — but never fewer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadIndex {
    /// The record whose scope governs this one: itself, or for a carrier of a matter the
    /// matter (R1.8: the carrier follows the matter's current scope).
    pub scope_of: (RecordKind, i64),
    /// Everyone this record's own scope names, directly or within a group (R1.7). Stored only
    /// when the record's own scope governs it (`scope_of` is the record itself).
    pub scope: BTreeSet<i64>,
    /// From this day on anyone may read it (unclassified, or declassified by decision or by the
    /// end of its period, R1.9); `None` while that is not foreseeable.
    pub open_from: Option<Date>,
}

/// The day that stands for "always" in [`ReadIndex::open_from`] (dates are stored as ISO text,
/// which orders correctly only for years 1 to 9999).
pub fn always_open() -> Date {
    Date::constant(1, 1, 1)
}

/// Who is reading, as far as SQL can narrow (issue 19): their person id, the highest level
/// rank their category lets them read today (1 — work secrets — without a category that
/// counts, R2.1/R2.4), and today (for [`ReadIndex::open_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    /// The person.
    pub person: i64,
    /// The highest level rank they may read by category (0 unclassified … 4 Top Secret).
    pub highest_level: u8,
    /// Today.
    pub on: Date,
}

/// Which part of a list to return: skip `offset` candidates (page numbers), or start after the
/// record `after` in id order (keyset paging, for `RecordOrder::Id` only), and return at most
/// `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// Candidates to skip.
    pub offset: u64,
    /// Start after this id (in the list's direction); only with [`RecordOrder::Id`].
    pub after: Option<i64>,
    /// At most this many.
    pub limit: u32,
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
    /// Due on or before this day, or to be reminded of on or before it (either column).
    pub due_or_remind_by: Option<Date>,
    /// Only these units (`Some` of an empty list matches nothing).
    pub units: Option<Vec<i64>>,
    /// None of these statuses.
    pub statuses_except: Vec<String>,
    /// Only records about this one ([`RecordMeta::about`]).
    pub about: Option<(RecordKind, i64)>,
    /// Only records this person took part in ([`RecordMeta::parties`]).
    pub party: Option<i64>,
    /// Only records whose reading the scope of a record of this kind governs (a carrier of a
    /// matter, R1.8) while that record has one of these statuses — the carriers of declassified
    /// matters, say. Rows not yet read-indexed are always included.
    pub governed_by: Option<(RecordKind, Vec<String>)>,
    /// Only these ids (`Some` of an empty list matches nothing).
    pub ids: Option<Vec<i64>>,
    /// To be reminded of on or before this day (the `remind_on` column).
    pub remind_by: Option<Date>,
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

    /// The column sorted on.
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
     due_on, remind_on, version, created_seconds, updated_seconds, body, about_kind, about_id, place";
/// [`RECORD_COLUMNS`] of the table aliased `r`.
const RECORD_COLUMNS_R: &str = "r.kind, r.id, r.unit_id, r.level, r.status, r.title, r.number, \
     r.holder_id, r.due_on, r.remind_on, r.version, r.created_seconds, r.updated_seconds, r.body, \
     r.about_kind, r.about_id, r.place";

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
    let day = |column: &str| -> Result<Option<Date>, StoreError> {
        match row.try_get::<Option<String>, _>(column)? {
            None => Ok(None),
            Some(text) => text
                .parse::<Date>()
                .map(Some)
                .map_err(|e| corrupt(&kind_text, id, format!("{column}: {e}"))),
        }
    };
    let due_on = day("due_on")?;
    let remind_on = day("remind_on")?;
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
            place: row.try_get("place")?,
            holder: row.try_get("holder_id")?,
            due_on,
            remind_on,
            read: None,
            about: match (
                row.try_get::<Option<String>, _>("about_kind")?,
                row.try_get::<Option<i64>, _>("about_id")?,
            ) {
                (Some(about), Some(about_id)) => Some((
                    RecordKind::parse(&about)
                        .ok_or_else(|| corrupt(&kind_text, id, format!("about_kind {about}")))?,
                    about_id,
                )),
                _ => None,
            },
            parties: None,
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

/// A statement under construction: its text and its bound values, numbered as they are added
/// (every value is bound; the text is built from fixed fragments only).
struct Sql {
    text: String,
    args: Vec<Arg>,
}

enum Arg {
    Int(i64),
    Text(String),
}

impl Sql {
    fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    /// Adds a bound value and returns its placeholder.
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for arg in &self.args {
            q = match arg {
                Arg::Int(i) => q.bind(*i),
                Arg::Text(t) => q.bind(t.clone()),
            };
        }
        q
    }
}

/// Fewest characters a search needs to go through the trigram index.
const TRIGRAM: usize = 3;

/// The `WHERE` clause of a list: the kind, the filter and, for a reader, the narrowing by
/// knowledge scope and level (R1.7, R2.1). Rows not yet indexed are always candidates.
fn where_clause(
    sql: &mut Sql,
    dialect: Dialect,
    kind: RecordKind,
    filter: &RecordFilter,
    reader: Option<&Reader>,
) {
    let sqlite = dialect.sqlite;
    let p = sql.arg(Arg::Text(kind.as_str().to_owned()));
    sql.push(&format!(" WHERE r.kind = {p}"));
    if let Some(unit) = filter.unit {
        let p = sql.arg(Arg::Int(unit));
        sql.push(&format!(" AND r.unit_id = {p}"));
    }
    if !filter.statuses.is_empty() {
        let marks: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| sql.arg(Arg::Text(s.clone())))
            .collect();
        sql.push(&format!(" AND r.status IN ({})", marks.join(", ")));
    }
    if let Some(units) = &filter.units {
        if units.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            let marks: Vec<String> = units.iter().map(|u| sql.arg(Arg::Int(*u))).collect();
            sql.push(&format!(" AND r.unit_id IN ({})", marks.join(", ")));
        }
    }
    if let Some(ids) = &filter.ids {
        if ids.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            let marks: Vec<String> = ids.iter().map(|i| sql.arg(Arg::Int(*i))).collect();
            sql.push(&format!(" AND r.id IN ({})", marks.join(", ")));
        }
    }
    if !filter.statuses_except.is_empty() {
        let marks: Vec<String> = filter
            .statuses_except
            .iter()
            .map(|s| sql.arg(Arg::Text(s.clone())))
            .collect();
        sql.push(&format!(" AND r.status NOT IN ({})", marks.join(", ")));
    }
    if let Some((about, about_id)) = filter.about {
        let k = sql.arg(Arg::Text(about.as_str().to_owned()));
        let i = sql.arg(Arg::Int(about_id));
        sql.push(&format!(" AND r.about_kind = {k} AND r.about_id = {i}"));
    }
    if let Some(person) = filter.party {
        let p = sql.arg(Arg::Int(person));
        let k = sql.arg(Arg::Text(kind.as_str().to_owned()));
        sql.push(&format!(
            " AND r.id IN (SELECT pa.id FROM record_party pa \
               WHERE pa.person_id = {p} AND pa.kind = {k})"
        ));
    }
    if let Some((governing, statuses)) = &filter.governed_by {
        let k = sql.arg(Arg::Text(governing.as_str().to_owned()));
        let marks: Vec<String> = statuses
            .iter()
            .map(|s| sql.arg(Arg::Text(s.clone())))
            .collect();
        let statuses = if marks.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("g.status IN ({})", marks.join(", "))
        };
        sql.push(&format!(
            " AND (r.read_indexed = 0 OR (r.scope_kind = {k} AND r.scope_id IN \
               (SELECT g.id FROM records g WHERE g.kind = {k} AND {statuses})))"
        ));
    }
    if let Some(level) = filter.level {
        let p = sql.arg(Arg::Int(i64::from(level)));
        sql.push(&format!(" AND r.level = {p}"));
    }
    if let Some(holder) = filter.holder {
        let p = sql.arg(Arg::Int(holder));
        sql.push(&format!(" AND r.holder_id = {p}"));
    }
    if let Some(text) = &filter.text {
        // A search finds a record by its title, number or place, or by its holder's name (a
        // person's title).
        let person = sql.arg(Arg::Text(RecordKind::Person.as_str().to_owned()));
        if sqlite && !dialect.common_text && text.chars().count() >= TRIGRAM {
            // An FTS5 phrase of the whole text: with the trigram tokenizer, a substring match.
            // One list of rowids (a UNION), so the planner drives the page from it.
            let k = sql.arg(Arg::Text(kind.as_str().to_owned()));
            let phrase = format!("\"{}\"", text.replace('"', "\"\""));
            let p = sql.arg(Arg::Text(phrase));
            sql.push(&format!(
                " AND r.rowid IN (SELECT rowid FROM records_text WHERE records_text MATCH {p} \
                   UNION SELECT c.rowid FROM records c WHERE c.kind = {k} AND c.holder_id IN \
                   (SELECT h.id FROM records h WHERE h.kind = {person} AND h.rowid IN \
                   (SELECT rowid FROM records_text WHERE records_text MATCH {p})))"
            ));
        } else if sqlite {
            // Shorter texts, and texts so common that the index would hand over a large part
            // of the ledger, are scanned in the list's order: the page cuts the scan short.
            let p = sql.arg(Arg::Text(like_pattern(text)));
            sql.push(&format!(
                " AND (r.title LIKE {p} ESCAPE '\\' OR r.number LIKE {p} ESCAPE '\\' \
                   OR r.place LIKE {p} ESCAPE '\\' OR r.holder_id IN (SELECT h.id FROM records h \
                   WHERE h.kind = {person} AND h.title LIKE {p} ESCAPE '\\'))"
            ));
        } else {
            // PostgreSQL's trigram indexes serve each ILIKE (letters match in any case, as
            // SQLite's LIKE and FTS5 do); one list of ids (a UNION), so each side uses its index.
            let k = sql.arg(Arg::Text(kind.as_str().to_owned()));
            let p = sql.arg(Arg::Text(like_pattern(text)));
            sql.push(&format!(
                " AND r.id IN (SELECT t.id FROM records t WHERE t.kind = {k} AND \
                   (t.title ILIKE {p} ESCAPE '\\' OR t.number ILIKE {p} ESCAPE '\\' \
                   OR t.place ILIKE {p} ESCAPE '\\') \
                   UNION SELECT c.id FROM records c WHERE c.kind = {k} AND c.holder_id IN \
                   (SELECT h.id FROM records h WHERE h.kind = {person} \
                   AND h.title ILIKE {p} ESCAPE '\\'))"
            ));
        }
    }
    if let Some(due) = filter.due_by {
        let p = sql.arg(Arg::Text(due.to_string()));
        sql.push(&format!(" AND r.due_on IS NOT NULL AND r.due_on <= {p}"));
    }
    if let Some(day) = filter.remind_by {
        let p = sql.arg(Arg::Text(day.to_string()));
        sql.push(&format!(
            " AND r.remind_on IS NOT NULL AND r.remind_on <= {p}"
        ));
    }
    if let Some(day) = filter.due_or_remind_by {
        let p = sql.arg(Arg::Text(day.to_string()));
        sql.push(&format!(
            " AND ((r.due_on IS NOT NULL AND r.due_on <= {p}) \
               OR (r.remind_on IS NOT NULL AND r.remind_on <= {p}))"
        ));
    }
    if let Some(reader) = reader {
        let on = sql.arg(Arg::Text(reader.on.to_string()));
        let level = sql.arg(Arg::Int(i64::from(reader.highest_level)));
        let person = sql.arg(Arg::Int(reader.person));
        sql.push(&format!(
            " AND (r.read_indexed = 0 \
               OR (r.open_from IS NOT NULL AND r.open_from <= {on}) \
               OR (COALESCE(r.level, 0) <= {level} AND EXISTS (SELECT 1 FROM record_scope s \
                   WHERE s.person_id = {person} AND s.kind = r.scope_kind AND s.id = r.scope_id)))"
        ));
    }
}

/// How a list's `WHERE` is written for its backend and its search text.
#[derive(Debug, Clone, Copy)]
struct Dialect {
    sqlite: bool,
    /// SQLite: the search text is so common that the trigram index would hand over more rows
    /// than a scan in the list's order reads before the page is full.
    common_text: bool,
}

/// Matches of a search text past which the index no longer pays (SQLite): a term found in a
/// thousand records of the search index is found within a few hundred rows of any list.
const COMMON_TEXT: i64 = 1_000;

/// The dialect of `conn`, and for a SQLite search of three characters or more whether its text
/// is common: one probe of the trigram index, at most [`COMMON_TEXT`] rows. (Measured at 1 M
/// carriers: a four-character term in 130,000 titles took 221–565 ms through the index —
/// every match fetched and sorted — and a few milliseconds as a scan in id order; a rare term
/// is the other way round.)
async fn dialect(conn: &mut AnyConnection, filter: &RecordFilter) -> Result<Dialect, StoreError> {
    let sqlite = is_sqlite(conn);
    let common_text = match &filter.text {
        Some(text) if sqlite && text.chars().count() >= TRIGRAM => {
            let phrase = format!("\"{}\"", text.replace('"', "\"\""));
            let found: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM records_text WHERE records_text MATCH $1 \
                 LIMIT $2) AS m",
            )
            .bind(phrase)
            .bind(COMMON_TEXT)
            .fetch_one(&mut *conn)
            .await?;
            found >= COMMON_TEXT
        }
        _ => false,
    };
    Ok(Dialect {
        sqlite,
        common_text,
    })
}

fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// The `ORDER BY` of a list: the column, then id; records without a value last.
fn order_clause(order: RecordOrder, descending: bool) -> String {
    let direction = if descending { "DESC" } else { "ASC" };
    let column = order.column();
    match order {
        // Never NULL: a plain order, which the (kind, column) indexes serve.
        RecordOrder::Id | RecordOrder::Title | RecordOrder::Status | RecordOrder::Updated => {
            if order == RecordOrder::Id {
                format!(" ORDER BY r.id {direction}")
            } else {
                format!(" ORDER BY r.{column} {direction}, r.id {direction}")
            }
        }
        RecordOrder::Level | RecordOrder::Due | RecordOrder::Number => {
            format!(" ORDER BY (r.{column} IS NULL) ASC, r.{column} {direction}, r.id {direction}")
        }
    }
}

pub(crate) async fn q_list_records(
    conn: &mut AnyConnection,
    kind: RecordKind,
    filter: &RecordFilter,
    order: RecordOrder,
    descending: bool,
) -> Result<Vec<StoredRecord>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {RECORD_COLUMNS_R} FROM records r"));
    where_clause(&mut sql, dialect(conn, filter).await?, kind, filter, None);
    sql.push(&order_clause(order, descending));
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter().map(decode_record).collect()
}

/// One window of a list, narrowed for `reader` when given (the caller still asks the core
/// about every row, invariant 2).
pub(crate) async fn q_list_page(
    conn: &mut AnyConnection,
    kind: RecordKind,
    filter: &RecordFilter,
    reader: Option<&Reader>,
    order: RecordOrder,
    descending: bool,
    window: Window,
) -> Result<Vec<StoredRecord>, StoreError> {
    let mut sql = Sql::new(&format!("SELECT {RECORD_COLUMNS_R} FROM records r"));
    where_clause(&mut sql, dialect(conn, filter).await?, kind, filter, reader);
    if let Some(after) = window.after {
        let p = sql.arg(Arg::Int(after));
        let cmp = if descending { "<" } else { ">" };
        sql.push(&format!(" AND r.id {cmp} {p}"));
    }
    sql.push(&order_clause(order, descending));
    let limit = sql.arg(Arg::Int(i64::from(window.limit)));
    let offset = sql.arg(Arg::Int(i64::try_from(window.offset).unwrap_or(i64::MAX)));
    sql.push(&format!(" LIMIT {limit} OFFSET {offset}"));
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter().map(decode_record).collect()
}

/// How many candidates a list has, counting at most `cap` (a count past a few thousand costs
/// a scan and tells a person nothing a "more than" does not).
pub(crate) async fn q_count_records(
    conn: &mut AnyConnection,
    kind: RecordKind,
    filter: &RecordFilter,
    reader: Option<&Reader>,
    cap: u64,
) -> Result<u64, StoreError> {
    let mut sql = Sql::new("SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM records r");
    where_clause(&mut sql, dialect(conn, filter).await?, kind, filter, reader);
    let p = sql.arg(Arg::Int(i64::try_from(cap).unwrap_or(i64::MAX)));
    sql.push(&format!(" LIMIT {p}) AS c"));
    let row = sql.query().fetch_one(&mut *conn).await?;
    let n: i64 = row.try_get("n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many candidates of a list have each value of `column` (`status` or `level`), for
/// dashboards and reminders: an aggregate over indexed columns, never the records.
pub(crate) async fn q_count_by(
    conn: &mut AnyConnection,
    kind: RecordKind,
    filter: &RecordFilter,
    reader: Option<&Reader>,
    column: GroupColumn,
) -> Result<Vec<(String, u64)>, StoreError> {
    let c = match column {
        GroupColumn::Status => "r.status",
        GroupColumn::Level => "CAST(COALESCE(r.level, -1) AS TEXT)",
    };
    let mut sql = Sql::new(&format!("SELECT {c} AS g, COUNT(*) AS n FROM records r"));
    where_clause(&mut sql, dialect(conn, filter).await?, kind, filter, reader);
    sql.push(&format!(" GROUP BY {c} ORDER BY {c}"));
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let g: String = row.try_get("g")?;
            let n: i64 = row.try_get("n")?;
            Ok((g, u64::try_from(n).unwrap_or(0)))
        })
        .collect()
}

/// A column [`ReadTx::count_by`] groups on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupColumn {
    /// The status code.
    Status,
    /// The level rank, as text (`-1` for records without one).
    Level,
}

/// The read index's columns: (read_indexed, scope_kind, scope_id, open_from).
fn read_columns(read: Option<&ReadIndex>) -> (i64, Option<String>, Option<i64>, Option<String>) {
    match read {
        None => (0, None, None, None),
        Some(r) => (
            1,
            Some(r.scope_of.0.as_str().to_owned()),
            Some(r.scope_of.1),
            r.open_from.map(|d| d.to_string()),
        ),
    }
}

/// Writes a record's scope rows (replacing the old ones when `replace`). Only a record whose
/// reading its own scope governs has any: a carrier of a matter is read by the matter's.
async fn write_scope_rows(
    conn: &mut AnyConnection,
    kind: RecordKind,
    id: i64,
    read: Option<&ReadIndex>,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        sqlx::query("DELETE FROM record_scope WHERE kind = $1 AND id = $2")
            .bind(kind.as_str())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let persons: Vec<i64> = read
        .filter(|r| r.scope_of == (kind, id))
        .map(|r| r.scope.iter().copied().collect())
        .unwrap_or_default();
    // A few hundred rows per statement keeps well under both dialects' parameter limits.
    for chunk in persons.chunks(300) {
        let mut sql = Sql::new("INSERT INTO record_scope (person_id, kind, id) VALUES ");
        let k = sql.arg(Arg::Text(kind.as_str().to_owned()));
        let i = sql.arg(Arg::Int(id));
        let values: Vec<String> = chunk
            .iter()
            .map(|p| format!("({}, {k}, {i})", sql.arg(Arg::Int(*p))))
            .collect();
        sql.push(&values.join(", "));
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes a record's party rows (replacing the old ones when `replace`).
async fn write_party_rows(
    conn: &mut AnyConnection,
    kind: RecordKind,
    id: i64,
    parties: Option<&BTreeSet<i64>>,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        sqlx::query("DELETE FROM record_party WHERE kind = $1 AND id = $2")
            .bind(kind.as_str())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let persons: Vec<i64> = parties
        .map(|p| p.iter().copied().collect())
        .unwrap_or_default();
    for chunk in persons.chunks(300) {
        let mut sql = Sql::new("INSERT INTO record_party (person_id, kind, id) VALUES ");
        let k = sql.arg(Arg::Text(kind.as_str().to_owned()));
        let i = sql.arg(Arg::Int(id));
        let values: Vec<String> = chunk
            .iter()
            .map(|p| format!("({}, {k}, {i})", sql.arg(Arg::Int(*p))))
            .collect();
        sql.push(&values.join(", "));
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes a record's read index alone: its columns and its scope rows.
async fn write_read_index(
    conn: &mut AnyConnection,
    kind: RecordKind,
    id: i64,
    read: Option<&ReadIndex>,
) -> Result<(), StoreError> {
    let (indexed, scope_kind, scope_id, open_from) = read_columns(read);
    sqlx::query(
        "UPDATE records SET read_indexed = $1, scope_kind = $2, scope_id = $3, open_from = $4 \
         WHERE kind = $5 AND id = $6",
    )
    .bind(indexed)
    .bind(scope_kind)
    .bind(scope_id)
    .bind(open_from)
    .bind(kind.as_str())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    write_scope_rows(conn, kind, id, read, true).await
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

    /// One window of the records of a kind matching `filter`, in `order`, narrowed to the
    /// candidates `reader` could read when given (R1.7, R2.1). Callers still ask the core about
    /// every row (invariant 2: the SQL narrows, the core decides).
    pub async fn list_page(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
        reader: Option<&Reader>,
        order: RecordOrder,
        descending: bool,
        window: Window,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        q_list_page(
            &mut self.tx,
            kind,
            filter,
            reader,
            order,
            descending,
            window,
        )
        .await
    }

    /// The id, title and unit of every record of a kind matching `filter`, in id order — the
    /// names a page shows in place of ids (a directory), without reading any record's body.
    pub async fn list_names(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
    ) -> Result<Vec<(i64, String, Option<i64>)>, StoreError> {
        let mut sql = Sql::new("SELECT r.id, r.title, r.unit_id FROM records r");
        where_clause(
            &mut sql,
            dialect(&mut self.tx, filter).await?,
            kind,
            filter,
            None,
        );
        sql.push(" ORDER BY r.id");
        let rows = sql.query().fetch_all(&mut *self.tx).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    row.try_get("title")?,
                    row.try_get("unit_id")?,
                ))
            })
            .collect()
    }

    /// How many candidates [`ReadTx::list_page`] has, counting at most `cap`.
    pub async fn count_records(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
        reader: Option<&Reader>,
        cap: u64,
    ) -> Result<u64, StoreError> {
        q_count_records(&mut self.tx, kind, filter, reader, cap).await
    }

    /// The candidates of a list counted by `column` (dashboards, reminders).
    pub async fn count_by(
        &mut self,
        kind: RecordKind,
        filter: &RecordFilter,
        reader: Option<&Reader>,
        column: GroupColumn,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        q_count_by(&mut self.tx, kind, filter, reader, column).await
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
        let (indexed, scope_kind, scope_id, open_from) = read_columns(meta.read.as_ref());
        run!(self, |c| sqlx::query(&format!(
            "INSERT INTO records ({RECORD_COLUMNS}, read_indexed, scope_kind, scope_id, open_from) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12, $17, $18, \
             $19, $13, $14, $15, $16)"
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
        .bind(meta.remind_on.map(|d| d.to_string()))
        .bind(seconds)
        .bind(body.to_owned())
        .bind(indexed)
        .bind(scope_kind.clone())
        .bind(scope_id)
        .bind(open_from.clone())
        .bind(meta.about.map(|a| a.0.as_str()))
        .bind(meta.about.map(|a| a.1))
        .bind(meta.place.clone())
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        if meta.parties.as_ref().is_some_and(|p| !p.is_empty()) {
            run!(self, |c| write_party_rows(
                c,
                kind,
                id,
                meta.parties.as_ref(),
                false
            )
            .await)?;
        }
        if meta
            .read
            .as_ref()
            .is_some_and(|r| r.scope_of == (kind, id) && !r.scope.is_empty())
        {
            run!(self, |c| write_scope_rows(
                c,
                kind,
                id,
                meta.read.as_ref(),
                false
            )
            .await)?;
        }
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
        let (indexed, scope_kind, scope_id, open_from) = read_columns(meta.read.as_ref());
        let result = run!(self, |c| {
            sqlx::query(
            "UPDATE records SET unit_id = $1, level = $2, status = $3, title = $4, number = $5, \
             holder_id = $6, due_on = $7, remind_on = $8, version = version + 1, \
             updated_seconds = $9, body = $10, read_indexed = $14, scope_kind = $15, \
             scope_id = $16, open_from = $17, about_kind = $18, about_id = $19, place = $20 \
             WHERE kind = $11 AND id = $12 AND version = $13",
        )
        .bind(meta.unit)
        .bind(meta.level.map(i64::from))
        .bind(meta.status.clone())
        .bind(meta.title.clone())
        .bind(meta.number.clone())
        .bind(meta.holder)
        .bind(meta.due_on.map(|d| d.to_string()))
        .bind(meta.remind_on.map(|d| d.to_string()))
        .bind(seconds_of(at))
        .bind(body.to_owned())
        .bind(kind.as_str())
        .bind(id)
        .bind(expected_version)
        .bind(indexed)
        .bind(scope_kind.clone())
        .bind(scope_id)
        .bind(open_from.clone())
        .bind(meta.about.map(|a| a.0.as_str()))
        .bind(meta.about.map(|a| a.1))
        .bind(meta.place.clone())
        .execute(&mut *c).await.map_err(StoreError::from)
        })?;
        if result.rows_affected() != 1 {
            return Err(StoreError::Conflict {
                kind: kind.as_str(),
                id,
            });
        }
        if meta.parties.is_some() {
            run!(self, |c| write_party_rows(
                c,
                kind,
                id,
                meta.parties.as_ref(),
                true
            )
            .await)?;
        }
        if meta.read.is_some() {
            run!(self, |c| write_scope_rows(
                c,
                kind,
                id,
                meta.read.as_ref(),
                true
            )
            .await)?;
        }
        Ok(expected_version.saturating_add(1))
    }

    /// Rewrites a record's read index and reminder day alone (no new version, no change to its body): for rows
    /// written before the index existed (migration 6), re-indexed when the service starts.
    pub async fn reindex_record(
        &mut self,
        kind: RecordKind,
        id: i64,
        meta: &RecordMeta,
    ) -> Result<(), StoreError> {
        run!(self, |c| sqlx::query(
            "UPDATE records SET remind_on = $1 WHERE kind = $2 AND id = $3"
        )
        .bind(meta.remind_on.map(|d| d.to_string()))
        .bind(kind.as_str())
        .bind(id)
        .execute(&mut *c)
        .await
        .map_err(StoreError::from))?;
        run!(self, |c| write_read_index(c, kind, id, meta.read.as_ref())
            .await)
    }

    /// Ids of records of `kind` not yet read-indexed, from `after` on, at most `limit`.
    pub async fn unindexed_records(
        &mut self,
        kind: RecordKind,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let rows = run!(self, |c| sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE kind = $1 AND read_indexed = 0 \
             AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(kind.as_str())
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *c)
        .await
        .map_err(StoreError::from))?;
        rows.iter().map(decode_record).collect()
    }
}
