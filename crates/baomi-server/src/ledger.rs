//! Typed access to the store's records, and the list parameters every ledger shares
//! (filter, search, sort, paginate; R13.3).

use crate::error::{ApiError, ApiResult};
use baomi_core::access::{KnowledgeScope, Subject};
use baomi_core::marks::Level;
use baomi_store::{
    always_open, ReadIndex, ReadTx, Reader, RecordFilter, RecordKind, RecordMeta, RecordOrder,
    StoredRecord, Window, WriteTx,
};
use jiff::civil::Date;
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// An aggregate kept as a record: its ledger, id and list columns.
pub trait Ledger: Serialize + DeserializeOwned {
    /// Its ledger.
    const KIND: RecordKind;
    /// Its id.
    fn record_id(&self) -> i64;
    /// Its list columns, computed from the value (so they never drift from it).
    fn meta(&self) -> RecordMeta;
}

/// A level's rank for the `level` column: 0 unclassified … 4 Top Secret.
pub fn level_rank(level: Level) -> u8 {
    match level {
        Level::Unclassified => 0,
        Level::Internal => 1,
        Level::Secret => 2,
        Level::Confidential => 3,
        Level::TopSecret => 4,
    }
}

/// What SQL may narrow a list by for `subject` on `on` (issue 19): their person and the
/// highest level their category lets them read (R2.1, R2.4, from the core).
pub fn reader_of(subject: &Subject, on: Date) -> Reader {
    Reader {
        person: subject.person().0,
        highest_level: level_rank(subject.highest_readable_level(on)),
        on,
    }
}

/// The read index of a record at `level` governed by the knowledge scope of `scope_of`, whose
/// own scope is `scope`; open to all from `open_from` (and always when unclassified).
pub fn read_index(
    scope_of: (RecordKind, i64),
    scope: &KnowledgeScope,
    level: Level,
    open_from: Option<Date>,
) -> ReadIndex {
    ReadIndex {
        scope_of,
        scope: scope.named_persons().into_iter().map(|p| p.0).collect(),
        open_from: if level == Level::Unclassified {
            Some(always_open())
        } else {
            open_from
        },
    }
}

/// The level of a rank.
pub fn level_of_rank(rank: u8) -> Option<Level> {
    Level::ALL.into_iter().find(|l| level_rank(*l) == rank)
}

/// A record read from the store, with what optimistic updates need.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The value.
    pub value: T,
    /// Its version when read.
    pub version: i64,
    /// When created.
    pub created: Timestamp,
    /// When last changed.
    pub updated: Timestamp,
}

fn decode<T: Ledger>(record: StoredRecord) -> ApiResult<Loaded<T>> {
    let value: T = serde_json::from_str(&record.body).map_err(|e| {
        ApiError::internal(&format!(
            "{} {} does not decode: {e}",
            T::KIND.as_str(),
            record.id
        ))
    })?;
    Ok(Loaded {
        value,
        version: record.version,
        created: record.created,
        updated: record.updated,
    })
}

/// Reads a record in a read transaction.
pub async fn load<T: Ledger>(tx: &mut ReadTx, id: i64) -> ApiResult<Option<Loaded<T>>> {
    tx.get_record(T::KIND, id).await?.map(decode).transpose()
}

/// Reads a record in a write transaction (the value to change).
pub async fn load_for_update<T: Ledger>(tx: &mut WriteTx, id: i64) -> ApiResult<Option<Loaded<T>>> {
    tx.get_record(T::KIND, id).await?.map(decode).transpose()
}

/// Reads every record of a ledger matching `filter` in a read transaction.
pub async fn load_all<T: Ledger>(
    tx: &mut ReadTx,
    filter: &RecordFilter,
    order: RecordOrder,
    descending: bool,
) -> ApiResult<Vec<Loaded<T>>> {
    tx.list_records(T::KIND, filter, order, descending)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// Reads one window of a ledger's candidates for `reader` (the caller decides each row).
pub async fn load_page<T: Ledger>(
    tx: &mut ReadTx,
    filter: &RecordFilter,
    reader: Option<&Reader>,
    order: RecordOrder,
    descending: bool,
    window: Window,
) -> ApiResult<Vec<Loaded<T>>> {
    tx.list_page(T::KIND, filter, reader, order, descending, window)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// Walks a whole list window by window (exports, reminders): keyset paging in id order, which
/// costs the same at any depth, else by offset.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    window: Window,
    order: RecordOrder,
    done: bool,
}

impl Windows {
    /// Windows of `size` records in `order`.
    pub fn new(order: RecordOrder, size: u32) -> Windows {
        Windows {
            window: Window {
                offset: 0,
                after: None,
                limit: size,
            },
            order,
            done: false,
        }
    }

    /// The next window to read, `None` once the last one came back short.
    pub fn next(&self) -> Option<Window> {
        (!self.done).then_some(self.window)
    }

    /// Records that the window just read held `n` rows, the last with id `last`.
    pub fn advance(&mut self, n: usize, last: Option<i64>) {
        if u32::try_from(n).unwrap_or(u32::MAX) < self.window.limit || last.is_none() {
            self.done = true;
        } else if self.order == RecordOrder::Id {
            self.window.after = last;
        } else {
            self.window.offset = self
                .window
                .offset
                .saturating_add(u64::from(self.window.limit));
        }
    }
}

/// Every candidate of a list for `reader`, read window by window (for lists bounded by their
/// filter, such as what falls due this month; the caller decides each row).
pub async fn load_candidates<T: Ledger>(
    tx: &mut ReadTx,
    filter: &RecordFilter,
    reader: Option<&Reader>,
) -> ApiResult<Vec<Loaded<T>>> {
    let mut windows = Windows::new(RecordOrder::Id, 1_000);
    let mut out = Vec::new();
    while let Some(window) = windows.next() {
        let batch = load_page::<T>(tx, filter, reader, RecordOrder::Id, false, window).await?;
        windows.advance(batch.len(), batch.last().map(|l| l.value.record_id()));
        out.extend(batch);
    }
    Ok(out)
}

/// The names (titles) of the records of `kind` with these ids, read from the list columns
/// alone (no body decoded), a few hundred per statement: how pages and exports name people
/// instead of showing their ids.
pub async fn names_of(
    tx: &mut ReadTx,
    kind: RecordKind,
    ids: impl IntoIterator<Item = i64>,
) -> ApiResult<std::collections::HashMap<i64, String>> {
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .collect();
    let mut names = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let filter = RecordFilter {
            ids: Some(chunk.to_vec()),
            ..RecordFilter::default()
        };
        for (id, name, _) in tx.list_names(kind, &filter).await? {
            names.insert(id, name);
        }
    }
    Ok(names)
}

/// [`load_all`] inside a write transaction.
pub async fn load_all_for_update<T: Ledger>(
    tx: &mut WriteTx,
    filter: &RecordFilter,
) -> ApiResult<Vec<Loaded<T>>> {
    tx.list_records(T::KIND, filter, RecordOrder::Id, false)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// The id the next record of `T` gets.
pub async fn next_id<T: Ledger>(tx: &mut WriteTx) -> ApiResult<i64> {
    Ok(tx.next_record_id(T::KIND).await?)
}

/// Inserts a new record (its id from [`next_id`]).
pub async fn insert<T: Ledger>(tx: &mut WriteTx, value: &T, at: Timestamp) -> ApiResult<()> {
    let body = serde_json::to_string(value)?;
    tx.insert_record(T::KIND, value.record_id(), &value.meta(), &body, at)
        .await?;
    Ok(())
}

/// Saves a changed record read at `version`; someone else's change in between is a 409.
pub async fn save<T: Ledger>(
    tx: &mut WriteTx,
    value: &T,
    version: i64,
    at: Timestamp,
) -> ApiResult<i64> {
    let body = serde_json::to_string(value)?;
    Ok(tx
        .update_record(
            T::KIND,
            value.record_id(),
            version,
            &value.meta(),
            &body,
            at,
        )
        .await?)
}

/// Writes the read index of every record of `T` stored before the index existed (migration 6),
/// in batches, without new versions: lists treat such rows as candidates for everyone until
/// then (never hiding what the core allows), so this only makes them cheap again. Returns how
/// many were indexed.
pub async fn reindex_reads<T: Ledger>(store: &baomi_store::Store) -> ApiResult<u64> {
    const BATCH: u32 = 500;
    let mut after = 0;
    let mut done: u64 = 0;
    loop {
        let mut tx = store.write().await?;
        let rows = tx.unindexed_records(T::KIND, after, BATCH).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            tx.rollback().await?;
            return Ok(done);
        };
        for row in &rows {
            let value: T = serde_json::from_str(&row.body).map_err(|e| {
                ApiError::internal(&format!(
                    "{} {} does not decode: {e}",
                    T::KIND.as_str(),
                    row.id
                ))
            })?;
            tx.reindex_record(T::KIND, row.id, &value.meta()).await?;
        }
        tx.commit().await?;
        done = done.saturating_add(u64::try_from(rows.len()).unwrap_or(0));
        after = last;
    }
}

/// The query parameters every list takes.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ListQuery {
    /// Search in titles and numbers.
    pub q: Option<String>,
    /// Only this status (comma-separated for several).
    pub status: Option<String>,
    /// Only this level (`secret`, `confidential`, …).
    pub level: Option<String>,
    /// Only this unit.
    pub unit: Option<i64>,
    /// Only this holder.
    pub holder: Option<i64>,
    /// Due on or before (YYYY-MM-DD).
    pub due_by: Option<String>,
    /// Sort column: id, title, level, status, due, updated, number.
    pub sort: Option<String>,
    /// `desc` for descending.
    pub order: Option<String>,
    /// Page number from 1.
    pub page: Option<u32>,
    /// Items per page (1–500, default 50).
    pub per_page: Option<u32>,
    /// Keyset paging: the items after this id (in the list's direction; with `sort=id` only).
    pub after: Option<i64>,
}

/// Items per page when not given.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// Most items per page.
pub const MAX_PER_PAGE: u32 = 500;

impl ListQuery {
    /// The store filter, order and direction this query asks for; bad values are a 400.
    pub fn to_filter(&self) -> ApiResult<(RecordFilter, RecordOrder, bool)> {
        // A NUL or other control character is no part of any title or number; some backends
        // would cut the pattern at a NUL and match everything.
        if self
            .q
            .as_deref()
            .is_some_and(|q| q.chars().any(char::is_control))
        {
            return Err(ApiError::bad_request(
                "q：搜索文字不得含控制字符",
                "q: the search text may not contain control characters",
            )
            .with_reason("invalid_q"));
        }
        let mut filter = RecordFilter {
            unit: self.unit,
            holder: self.holder,
            text: self
                .q
                .as_ref()
                .map(|q| q.trim().to_owned())
                .filter(|q| !q.is_empty()),
            ..RecordFilter::default()
        };
        if let Some(statuses) = &self.status {
            filter.statuses = statuses
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(level) = &self.level {
            let level = Level::from_code(level.trim()).ok_or_else(|| {
                ApiError::bad_request(
                    format!("未知密级 {level:?}"),
                    format!("unknown level {level:?}"),
                )
            })?;
            filter.level = Some(level_rank(level));
        }
        if let Some(due) = &self.due_by {
            let day: Date = due.parse().map_err(|_| {
                ApiError::bad_request(
                    format!("日期 {due:?} 应为 YYYY-MM-DD"),
                    format!("date {due:?} must be YYYY-MM-DD"),
                )
            })?;
            filter.due_by = Some(day);
        }
        let order = match &self.sort {
            None => RecordOrder::Id,
            Some(s) => RecordOrder::parse(s).ok_or_else(|| {
                ApiError::bad_request(
                    format!("不能按 {s:?} 排序"),
                    format!("cannot sort by {s:?}"),
                )
            })?,
        };
        let descending = match self.order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::bad_request(
                    format!("排序方向 {other:?} 应为 asc 或 desc"),
                    format!("order {other:?} must be asc or desc"),
                ))
            }
        };
        Ok((filter, order, descending))
    }

    /// The page asked for, as (page from 1, items per page), for lists that page by number
    /// only: `after` (keyset paging, [`ListQuery::window`]) is refused there, not ignored.
    pub fn page(&self) -> ApiResult<(u32, u32)> {
        if self.after.is_some() {
            return Err(ApiError::bad_request(
                "此列表按页码翻页，不支持 after",
                "this list pages by number; after is not supported here",
            ));
        }
        self.page_numbers()
    }

    /// The page asked for, as (page from 1, items per page).
    pub fn page_numbers(&self) -> ApiResult<(u32, u32)> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ApiError::bad_request(
                format!("页码从 1 开始，每页 1 至 {MAX_PER_PAGE} 条"),
                format!("pages count from 1; 1 to {MAX_PER_PAGE} items per page"),
            ));
        }
        Ok((page, per_page))
    }
}

/// The most a list's `total` counts; past it the answer says `total_capped` (counting a
/// million rows costs a scan and tells a person nothing "more than 10,000" does not).
pub const TOTAL_CAP: u64 = 10_000;

impl ListQuery {
    /// The window of candidates the page asks for: page numbers skip, `after` starts after an
    /// id (keyset paging, only in id order).
    pub fn window(&self, order: RecordOrder) -> ApiResult<Window> {
        let (page, per_page) = self.page_numbers()?;
        if self.after.is_some() && order != RecordOrder::Id {
            return Err(ApiError::bad_request(
                "after 只能与按序号排序一起使用",
                "after can only be used when sorting by id",
            ));
        }
        if self.after.is_some() && self.page.is_some_and(|p| p != 1) {
            return Err(ApiError::bad_request(
                "after 与页码不能同时使用",
                "after and page cannot be used together",
            ));
        }
        Ok(Window {
            offset: u64::from(page.saturating_sub(1)).saturating_mul(u64::from(per_page)),
            after: self.after,
            limit: per_page,
        })
    }
}

/// One page of a list. `total` counts only what the subject may see.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// This page, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Items visible to the subject in all pages (at most [`TOTAL_CAP`] when counted in SQL).
    pub total: usize,
    /// True when `total` stopped at [`TOTAL_CAP`]: there are more.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_capped: bool,
    /// For keyset paging: the `after` that gives the next page (the last id on this one), when
    /// this page is full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<i64>,
}

impl<T> Page<T> {
    /// Cuts `visible` (already filtered by access decision and sorted) into the asked page.
    pub fn of(visible: Vec<T>, page: u32, per_page: u32) -> Page<T> {
        let total = visible.len();
        let start = usize::try_from(page.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .saturating_mul(usize::try_from(per_page).unwrap_or(usize::MAX));
        let items = visible
            .into_iter()
            .skip(start)
            .take(usize::try_from(per_page).unwrap_or(usize::MAX))
            .collect();
        Page {
            items,
            page,
            per_page,
            total,
            total_capped: false,
            next_after: None,
        }
    }

    /// A page whose items SQL selected and the core decided: `candidates` is how many the
    /// window held (a full window means there may be a next one, after `last_id`), `total` the
    /// candidates counted up to [`TOTAL_CAP`].
    pub fn decided(
        items: Vec<T>,
        window: Window,
        page: u32,
        candidates: usize,
        last_id: Option<i64>,
        total: u64,
    ) -> Page<T> {
        let full = u32::try_from(candidates).unwrap_or(u32::MAX) >= window.limit;
        Page {
            items,
            page,
            per_page: window.limit,
            total: usize::try_from(total.min(TOTAL_CAP)).unwrap_or(usize::MAX),
            total_capped: total >= TOTAL_CAP,
            next_after: if full { last_id } else { None },
        }
    }

    /// The same page with each item turned into another.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
            total_capped: self.total_capped,
            next_after: self.next_after,
        }
    }
}
