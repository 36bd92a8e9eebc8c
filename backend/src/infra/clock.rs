//! The one clock: the current instant and the school's calendar dates, always in the
//! configured time zone (`Settings::time_zone`, default Asia/Shanghai), never a hard-coded one.

use super::error::{AppResult, Validator};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// Now, at microsecond precision: what PostgreSQL stores, so SQLite and PostgreSQL agree.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Today's date in the school's time zone.
pub fn today(tz: Tz) -> NaiveDate {
    school_date(now(), tz)
}

/// The school's calendar date of an instant.
pub fn school_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first instant of a school date (local midnight, or the first instant after a
/// daylight-saving gap at midnight).
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

/// A calendar date as the API writes it: `YYYY-MM-DD`.
pub fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A `YYYY-MM-DD` date (surrounding blanks ignored).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Checks a `YYYY-MM-DD` field; returns the date when valid.
pub fn check_date(v: &mut Validator, field: &str, s: &str) -> Option<NaiveDate> {
    let d = parse_date(s);
    if d.is_none() {
        v.add(field, "invalid", "日期格式应为 YYYY-MM-DD");
    }
    d
}

/// Optional `from`/`to` query dates: a malformed one is a 422 naming it, so a list filter
/// never compares text that is not a date.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_dates_follow_the_configured_zone() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        // 16:30 UTC is 00:30 the next day in Shanghai, still the same day in London.
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap();
        assert_eq!(
            school_date(at, tz),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(
            school_date(at, chrono_tz::Europe::London),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            start_of_day(d, tz),
            Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn dates_are_iso_and_checked_by_field() {
        let d = parse_date(" 2026-02-28 ").unwrap();
        assert_eq!(fmt_date(d), "2026-02-28");
        assert_eq!(parse_date("2026-02-30"), None);
        let mut v = Validator::new();
        assert_eq!(check_date(&mut v, "from", "28/02/2026"), None);
        assert!(!v.is_empty());
        assert!(check_date_range(Some("2026-01-01"), None).is_ok());
        assert!(check_date_range(None, Some("x")).is_err());
    }

    #[test]
    fn now_has_microsecond_precision() {
        assert_eq!(now().timestamp_subsec_nanos() % 1_000, 0);
    }
}
