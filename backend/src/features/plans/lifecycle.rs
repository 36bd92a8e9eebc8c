//! The plan lifecycle and the rules around it (pure): who may change a plan in which state,
//! which state each step leads to, when an item is overdue, how a copy moves its dates.

use crate::infra::clock::{fmt_date, parse_date};
use crate::schema::plans::{ItemStatus, PlanStatus};
use chrono::{Months, NaiveDate};

/// Why a plan's content may not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Approved: the record of what was agreed.
    Approved,
    /// Submitted: under review.
    UnderReview,
}

/// Only a draft or returned plan may change.
pub fn editable(status: PlanStatus) -> Result<(), Locked> {
    match status {
        PlanStatus::Draft | PlanStatus::Returned => Ok(()),
        PlanStatus::Approved => Err(Locked::Approved),
        PlanStatus::Submitted => Err(Locked::UnderReview),
    }
}

/// The office submits an editable plan.
pub fn submit(status: PlanStatus) -> Result<PlanStatus, Locked> {
    editable(status).map(|()| PlanStatus::Submitted)
}

/// The principal's decision on a plan is only taken on a submitted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSubmitted;

pub fn decide(status: PlanStatus, approve: bool) -> Result<PlanStatus, NotSubmitted> {
    match status {
        PlanStatus::Submitted if approve => Ok(PlanStatus::Approved),
        PlanStatus::Submitted => Ok(PlanStatus::Returned),
        _ => Err(NotSubmitted),
    }
}

/// Due date passed and not done.
pub fn is_overdue(status: ItemStatus, due_date: Option<&str>, today: NaiveDate) -> bool {
    status != ItemStatus::Done && due_date.and_then(parse_date).is_some_and(|d| d < today)
}

fn move_months(d: NaiveDate, by: i32) -> Option<NaiveDate> {
    if by >= 0 {
        d.checked_add_months(Months::new(by.unsigned_abs()))
    } else {
        d.checked_sub_months(Months::new(by.unsigned_abs()))
    }
}

/// `YYYY-MM` moved by `by` months (unchanged when it is not a month).
pub fn shift_month(month: &str, by: i32) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .ok()
        .and_then(|d| move_months(d, by))
        .map(|d| d.format("%Y-%m").to_string())
        .unwrap_or_else(|| month.to_owned())
}

/// `YYYY-MM-DD` moved by `by` months (unchanged when it is not a date).
pub fn shift_date(date: &str, by: i32) -> String {
    parse_date(date)
        .and_then(|d| move_months(d, by))
        .map(fmt_date)
        .unwrap_or_else(|| date.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlanStatus::*;

    #[test]
    fn a_plan_goes_draft_submitted_approved_or_returned() {
        assert_eq!(submit(Draft), Ok(Submitted));
        assert_eq!(submit(Returned), Ok(Submitted));
        assert_eq!(submit(Submitted), Err(Locked::UnderReview));
        assert_eq!(submit(Approved), Err(Locked::Approved));
        assert_eq!(decide(Submitted, true), Ok(Approved));
        assert_eq!(decide(Submitted, false), Ok(Returned));
        for s in [Draft, Returned, Approved] {
            assert_eq!(decide(s, true), Err(NotSubmitted));
            assert_eq!(decide(s, false), Err(NotSubmitted));
        }
    }

    #[test]
    fn only_unfinished_items_past_their_date_are_overdue() {
        let today = NaiveDate::from_ymd_opt(2020, 4, 10).unwrap();
        assert!(is_overdue(ItemStatus::Todo, Some("2020-04-09"), today));
        assert!(is_overdue(ItemStatus::Doing, Some("2020-04-09"), today));
        assert!(!is_overdue(ItemStatus::Done, Some("2020-04-09"), today));
        assert!(!is_overdue(ItemStatus::Todo, Some("2020-04-10"), today));
        assert!(!is_overdue(ItemStatus::Todo, None, today));
    }

    #[test]
    fn a_copy_moves_months_and_dates_by_whole_months() {
        assert_eq!(shift_month("2020-11", 3), "2021-02");
        assert_eq!(shift_month("2020-02", -2), "2019-12");
        assert_eq!(shift_month("bad", 3), "bad");
        assert_eq!(shift_date("2020-01-31", 1), "2020-02-29");
        assert_eq!(shift_date("2020-04-15", -12), "2019-04-15");
    }
}
