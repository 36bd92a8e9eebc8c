//! Which semester a day belongs to (pure).

use super::model::Model as Semester;
use chrono::{Datelike, NaiveDate};

pub fn contains(s: &Semester, day: &str) -> bool {
    // `YYYY-MM-DD` strings order as the dates do.
    s.starts_on.as_str() <= day && day <= s.ends_on.as_str()
}

/// The Chinese school semester containing `day`, as the demo defines it: the first semester
/// from 1 September to 14 February, the second from 15 February to 31 August (holidays
/// included, so that every day of the year belongs to one).
pub fn school_semester_of(day: NaiveDate) -> (String, String, NaiveDate, NaiveDate) {
    let y = day.year();
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or(day);
    let (first_year, term) = if day >= d(y, 9, 1) {
        (y, 1)
    } else if day >= d(y, 2, 15) {
        (y - 1, 2)
    } else {
        (y - 1, 1)
    };
    let (from, to) = if term == 1 {
        (d(first_year, 9, 1), d(first_year + 1, 2, 14))
    } else {
        (d(first_year + 1, 2, 15), d(first_year + 1, 8, 31))
    };
    let code = format!("{first_year}-{}-{term}", first_year + 1);
    let name = format!(
        "{first_year}-{}学年第{}学期",
        first_year + 1,
        if term == 1 { "一" } else { "二" }
    );
    (code, name, from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn every_day_belongs_to_one_school_semester() {
        let (code, name, from, to) = school_semester_of(day("2026-12-01"));
        assert_eq!(code, "2026-2027-1");
        assert_eq!(name, "2026-2027学年第一学期");
        assert_eq!((from, to), (day("2026-09-01"), day("2027-02-14")));
        let (code, _, from, to) = school_semester_of(day("2027-01-20"));
        assert_eq!(code, "2026-2027-1");
        assert_eq!((from, to), (day("2026-09-01"), day("2027-02-14")));
        let (code, name, from, to) = school_semester_of(day("2027-02-15"));
        assert_eq!(code, "2026-2027-2");
        assert_eq!(name, "2026-2027学年第二学期");
        assert_eq!((from, to), (day("2027-02-15"), day("2027-08-31")));
        let (code, _, _, _) = school_semester_of(day("2027-08-31"));
        assert_eq!(code, "2026-2027-2");
        let (code, _, _, _) = school_semester_of(day("2027-09-01"));
        assert_eq!(code, "2027-2028-1");
    }
}
