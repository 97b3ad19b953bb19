//! Typed access to the store's records, and the list parameters every ledger shares
//! (filter, search, sort, paginate; R13.3).

use crate::error::{ApiError, ApiResult};
use baomi_core::marks::Level;
use baomi_store::{
    ReadTx, RecordFilter, RecordKind, RecordMeta, RecordOrder, StoredRecord, WriteTx,
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

/// The query parameters every list takes.
#[derive(Debug, Clone, Default, Deserialize)]
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

    /// The page asked for, as (page from 1, items per page).
    pub fn page(&self) -> ApiResult<(u32, u32)> {
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

/// One page of a list. `total` counts only what the subject may see.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// This page, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Items visible to the subject in all pages.
    pub total: usize,
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
        }
    }

    /// The same page with each item turned into another.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        }
    }
}
