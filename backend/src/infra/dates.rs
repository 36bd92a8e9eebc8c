//! School dates: `YYYY-MM-DD` parsing, checking and formatting, and today in the school's
//! time zone. Used by every feature that stores local dates as text.

use crate::infra::error::{AppResult, Validator};
use chrono::{NaiveDate, Utc};

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Optional `from`/`to` query dates (`YYYY-MM-DD`): a malformed one is a 422 naming it, so a
/// list filter never compares text that is not a date.
pub fn check_date_range(from: Option<&str>, to: Option<&str>) -> AppResult<()> {
    let mut v = Validator::new();
    if let Some(f) = from {
        check_date(&mut v, "from", f);
    }
    if let Some(t) = to {
        check_date(&mut v, "to", t);
    }
    v.finish()
}

/// Checks a `YYYY-MM-DD` field; returns the date when valid.
pub fn check_date(v: &mut Validator, field: &str, s: &str) -> Option<NaiveDate> {
    let d = parse_date(s);
    if d.is_none() {
        v.add(field, "invalid", "日期格式应为 YYYY-MM-DD");
    }
    d
}

pub fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Today in the school's time zone.
pub fn today(tz: chrono_tz::Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}
