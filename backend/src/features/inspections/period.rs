//! Inspection periods as strings: daily `2026-11-29`, weekly ISO week `2026-W48`, monthly
//! `2026-11`, all in the school's local calendar.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc, Weekday};

pub use crate::schema::inspections::Frequency;

/// A parsed period: its frequency and first/last local dates (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub frequency: Frequency,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Some((y, w)) = s.split_once("-W") {
            if y.len() != 4 || w.len() != 2 {
                return None;
            }
            let y: i32 = y.parse().ok()?;
            let w: u32 = w.parse().ok()?;
            let first = NaiveDate::from_isoywd_opt(y, w, Weekday::Mon)?;
            return Some(Self {
                frequency: Frequency::Weekly,
                first,
                last: first.checked_add_days(Days::new(6))?,
            });
        }
        match s.len() {
            7 => {
                let first = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()?;
                let last = first
                    .checked_add_months(Months::new(1))?
                    .checked_sub_days(Days::new(1))?;
                Some(Self {
                    frequency: Frequency::Monthly,
                    first,
                    last,
                })
            }
            10 => {
                let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
                Some(Self {
                    frequency: Frequency::Daily,
                    first: d,
                    last: d,
                })
            }
            _ => None,
        }
    }

    /// The period of this frequency that contains `date`.
    pub fn containing(frequency: Frequency, date: NaiveDate) -> Self {
        let (first, last) = match frequency {
            Frequency::Daily => (date, date),
            Frequency::Weekly => {
                let first =
                    date - chrono::Duration::days(date.weekday().num_days_from_monday() as i64);
                (first, first + chrono::Duration::days(6))
            }
            Frequency::Monthly => {
                let first = date.with_day(1).unwrap_or(date);
                let last = first
                    .checked_add_months(Months::new(1))
                    .and_then(|d| d.checked_sub_days(Days::new(1)))
                    .unwrap_or(first);
                (first, last)
            }
        };
        Self {
            frequency,
            first,
            last,
        }
    }

    pub fn key(&self) -> String {
        match self.frequency {
            Frequency::Daily => self.first.format("%Y-%m-%d").to_string(),
            Frequency::Weekly => {
                let w = self.first.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Frequency::Monthly => self.first.format("%Y-%m").to_string(),
        }
    }

    /// The first instant after the period ends, in UTC: a submission at or after it is late.
    pub fn ends_at<Tz: TimeZone>(&self, tz: &Tz) -> DateTime<Utc> {
        let next = self.last + chrono::Duration::days(1);
        let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
        tz.from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| midnight.and_utc())
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first <= date && date <= self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_and_round_trips() {
        let w = Period::parse("2026-W48").unwrap();
        assert_eq!(w.frequency, Frequency::Weekly);
        assert_eq!(w.first, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(w.last, NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
        assert_eq!(w.key(), "2026-W48");
        let m = Period::parse("2026-02").unwrap();
        assert_eq!(m.last, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
        assert_eq!(m.key(), "2026-02");
        let d = Period::parse("2026-11-29").unwrap();
        assert_eq!(d.frequency, Frequency::Daily);
        assert_eq!(d.key(), "2026-11-29");
    }

    #[test]
    fn rejects_nonsense() {
        for s in [
            "2026-W54",
            "2026-W5",
            "2026-13",
            "2026-11-31",
            "W48",
            "",
            "2026-w48x",
        ] {
            assert!(Period::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn iso_week_at_year_boundary() {
        // 2027-01-01 is a Friday: it belongs to 2026-W53.
        let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(Period::containing(Frequency::Weekly, d).key(), "2026-W53");
    }

    #[test]
    fn period_ends_at_local_midnight() {
        let w = Period::parse("2026-W48").unwrap();
        let end = w.ends_at(&chrono_tz::Asia::Shanghai);
        assert_eq!(end.to_rfc3339(), "2026-11-29T16:00:00+00:00");
    }
}
