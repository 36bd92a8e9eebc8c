//! Bounded lists: `limit` (1–200, default 50) and an opaque cursor naming the last item seen.

use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// `column LIKE '%text%'` matching `text` literally: its `%`, `_` and backslash are escaped, so a
/// search for `100%` or `a_b` finds those characters instead of matching anything. Every list
/// with a `q` parameter searches through this.
pub fn contains_text<C: ColumnTrait>(column: C, text: &str) -> sea_orm::sea_query::Expr {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    column.like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'))
}

/// One page of a list. Pass `next_cursor` back as `cursor` for the next page; it is absent on
/// the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Paging {
    pub limit: u64,
    /// The sort key of the last item of the previous page.
    pub after: Option<String>,
}

impl Paging {
    pub fn new(limit: Option<u64>, cursor: Option<&str>) -> AppResult<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidLimit,
                format!("limit 必须在 1 到 {MAX_LIMIT} 之间"),
            ));
        }
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效")
                    })?,
            ),
        };
        Ok(Self { limit, after })
    }

    /// Fetch `limit + 1` rows, then call this: it trims the extra row and makes the cursor.
    pub fn page<T, K: Fn(&T) -> String>(&self, mut rows: Vec<T>, key: K) -> Page<T> {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| URL_SAFE_NO_PAD.encode(key(r)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }
}

/// The cursor key of a list ordered by an instant, then the id (both descending).
pub fn time_id_key(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}/{id}", at.timestamp_nanos_opt().unwrap_or_default())
}

/// Reads a [`time_id_key`] back.
pub fn parse_time_id(key: &str) -> AppResult<(DateTime<Utc>, Uuid)> {
    key.split_once('/')
        .and_then(|(at, id)| {
            Some((
                DateTime::from_timestamp_nanos(at.parse().ok()?),
                Uuid::parse_str(id).ok()?,
            ))
        })
        .ok_or_else(|| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))
}

/// The rows after `(at, id)` in a list ordered by `(time_col, id_col)` descending. The first
/// condition bounds the index range; the second skips the rows of that instant already shown.
pub fn after_time_id<C: ColumnTrait>(
    time_col: C,
    id_col: C,
    at: DateTime<Utc>,
    id: Uuid,
) -> Condition {
    Condition::all().add(time_col.lte(at)).add(
        Condition::any()
            .add(time_col.lt(at))
            .add(Condition::all().add(time_col.eq(at)).add(id_col.lt(id))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_bounded() {
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(Some(201), None).is_err());
        assert_eq!(Paging::new(None, None).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn cursor_round_trips() {
        let p = Paging::new(Some(2), None).unwrap();
        let page = p.page(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(page.items, vec!["a", "b"]);
        let next = Paging::new(Some(2), page.next_cursor.as_deref()).unwrap();
        assert_eq!(next.after.as_deref(), Some("b"));
        assert!(Paging::new(None, Some("!!!")).is_err());
    }

    #[test]
    fn time_id_key_round_trips() {
        let at = DateTime::from_timestamp_micros(1_795_955_547_123_456).unwrap();
        let id = Uuid::now_v7();
        assert_eq!(parse_time_id(&time_id_key(at, id)).unwrap(), (at, id));
        assert!(parse_time_id("12/not-a-uuid").is_err());
        assert!(parse_time_id(&id.to_string()).is_err());
    }
}
