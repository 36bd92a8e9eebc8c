//! The hazard lifecycle: `reported` → `assigned` → `rectified` → `closed` (or sent back to
//! `assigned`), and who may take each step. Pure decisions: no queries, no clock.

use crate::infra::error::{ApiError, ErrorCode, Validator};
use crate::schema::hazards::{HazardAction, HazardStatus};
use chrono::NaiveDate;
use uuid::Uuid;

/// Assigned and past its deadline (a deadline that does not parse is not overdue).
pub fn is_overdue(status: HazardStatus, deadline: Option<&str>, today: NaiveDate) -> bool {
    status == HazardStatus::Assigned
        && deadline
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|d| d < today)
}

/// Checks a requested deadline: a local date, today or later.
pub fn check_deadline(v: &mut Validator, field: &str, value: &str, today: NaiveDate) {
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(d) if d < today => v.add(field, "in_past", "整改期限不能早于今天"),
        Ok(_) => {}
        Err(_) => v.add(field, "invalid", "日期格式应为 YYYY-MM-DD"),
    }
}

/// A step the workflow was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Assign,
    Rectify,
    Verify,
}

/// Why a step is refused in the hazard's current status.
fn refusal(status: HazardStatus, step: Step) -> ApiError {
    use HazardStatus as S;
    let (code, detail) = match (status, step) {
        (S::Reported, Step::Rectify) => {
            (ErrorCode::HazardNotAssigned, "隐患尚未分派责任人,不能整改")
        }
        (_, Step::Verify) => (ErrorCode::HazardNotRectified, "隐患尚未整改,不能验收"),
        (S::Closed, _) => (ErrorCode::HazardClosed, "隐患已验收关闭"),
        _ => (
            ErrorCode::HazardInvalidTransition,
            "隐患当前状态不允许此操作",
        ),
    };
    ApiError::conflict(code, detail)
}

/// Assigning (or re-assigning) an owner: only while `reported` or `assigned`. The step is
/// `assign` the first time, `reassign` after.
pub fn assign(status: HazardStatus) -> Result<HazardAction, ApiError> {
    match status {
        HazardStatus::Reported => Ok(HazardAction::Assign),
        HazardStatus::Assigned => Ok(HazardAction::Reassign),
        other => Err(refusal(other, Step::Assign)),
    }
}

/// Recording the rectification: only while `assigned`, and only by the owner.
pub fn rectify(status: HazardStatus, owner: Option<Uuid>, caller: Uuid) -> Result<(), ApiError> {
    if status != HazardStatus::Assigned {
        return Err(refusal(status, Step::Rectify));
    }
    if owner != Some(caller) {
        return Err(ApiError::forbidden(
            ErrorCode::NotHazardOwner,
            "只有该隐患的整改责任人可以提交整改",
        ));
    }
    Ok(())
}

/// Who is involved in a rectified hazard, for the four-eyes rule of verifying.
pub struct Involved {
    pub rectified_by: Option<Uuid>,
    /// The person who reported it; `None` when an integration key did (a sensor).
    pub reported_by: Option<Uuid>,
}

/// Verifying a rectification: only while `rectified`, and neither by the person who rectified
/// it nor by the one who reported it. Approval closes it; otherwise it goes back to `assigned`.
pub fn verify(
    status: HazardStatus,
    who: &Involved,
    caller: Uuid,
    approved: bool,
) -> Result<(HazardAction, HazardStatus), ApiError> {
    if status != HazardStatus::Rectified {
        return Err(refusal(status, Step::Verify));
    }
    if who.rectified_by == Some(caller) {
        return Err(ApiError::conflict(
            ErrorCode::CannotVerifyOwnRectification,
            "整改人不能验收自己的整改",
        ));
    }
    if who.reported_by == Some(caller) {
        return Err(ApiError::conflict(
            ErrorCode::CannotVerifyOwnReport,
            "隐患报告人不能验收该隐患",
        ));
    }
    Ok(if approved {
        (HazardAction::Close, HazardStatus::Closed)
    } else {
        (HazardAction::SendBack, HazardStatus::Assigned)
    })
}

/// The office's decision on a pending class attribution, as a history step.
pub fn attribution_action(accept: bool) -> HazardAction {
    if accept {
        HazardAction::ClassConfirm
    } else {
        HazardAction::ClassReject
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HazardStatus as S;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn code(e: ApiError) -> &'static str {
        e.code.as_str()
    }

    #[test]
    fn overdue_is_assigned_past_deadline_only() {
        let today = day(29);
        assert!(is_overdue(S::Assigned, Some("2026-11-28"), today));
        assert!(!is_overdue(S::Assigned, Some("2026-11-29"), today));
        assert!(!is_overdue(S::Rectified, Some("2026-11-01"), today));
        assert!(!is_overdue(S::Assigned, None, today));
        assert!(!is_overdue(S::Assigned, Some("soon"), today));
    }

    #[test]
    fn deadline_must_be_a_date_not_in_the_past() {
        let mut v = Validator::new();
        check_deadline(&mut v, "deadline", "2026-11-29", day(29));
        check_deadline(&mut v, "deadline", " 2026-12-01 ", day(29));
        assert!(v.is_empty());
        let mut v = Validator::new();
        check_deadline(&mut v, "deadline", "2026-11-28", day(29));
        assert!(!v.is_empty());
        let mut v = Validator::new();
        check_deadline(&mut v, "deadline", "29.11.2026", day(29));
        assert!(!v.is_empty());
    }

    #[test]
    fn assign_only_while_reported_or_assigned() {
        assert_eq!(assign(S::Reported).ok(), Some(HazardAction::Assign));
        assert_eq!(assign(S::Assigned).ok(), Some(HazardAction::Reassign));
        assert_eq!(
            assign(S::Rectified).map_err(code).err(),
            Some("hazard_invalid_transition")
        );
        assert_eq!(assign(S::Closed).map_err(code).err(), Some("hazard_closed"));
    }

    #[test]
    fn rectify_only_by_the_owner_while_assigned() {
        let owner = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        assert!(rectify(S::Assigned, Some(owner), owner).is_ok());
        assert_eq!(
            rectify(S::Assigned, Some(owner), other).map_err(code).err(),
            Some("not_hazard_owner")
        );
        assert_eq!(
            rectify(S::Reported, None, owner).map_err(code).err(),
            Some("hazard_not_assigned")
        );
        assert_eq!(
            rectify(S::Rectified, Some(owner), owner)
                .map_err(code)
                .err(),
            Some("hazard_invalid_transition")
        );
        assert_eq!(
            rectify(S::Closed, Some(owner), owner).map_err(code).err(),
            Some("hazard_closed")
        );
    }

    #[test]
    fn verify_needs_a_rectification_and_a_third_person() {
        let who = Involved {
            rectified_by: Some(Uuid::from_u128(1)),
            reported_by: Some(Uuid::from_u128(2)),
        };
        let office = Uuid::from_u128(3);
        assert_eq!(
            verify(S::Rectified, &who, office, true).ok(),
            Some((HazardAction::Close, S::Closed))
        );
        assert_eq!(
            verify(S::Rectified, &who, office, false).ok(),
            Some((HazardAction::SendBack, S::Assigned))
        );
        assert_eq!(
            verify(S::Rectified, &who, Uuid::from_u128(1), true)
                .map_err(code)
                .err(),
            Some("cannot_verify_own_rectification")
        );
        assert_eq!(
            verify(S::Rectified, &who, Uuid::from_u128(2), true)
                .map_err(code)
                .err(),
            Some("cannot_verify_own_report")
        );
        for s in [S::Reported, S::Assigned, S::Closed] {
            assert_eq!(
                verify(s, &who, office, true).map_err(code).err(),
                Some("hazard_not_rectified")
            );
        }
    }
}
