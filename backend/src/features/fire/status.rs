//! The rules of the registry, with no queries and no clock: what each kind of item needs as
//! evidence, and an item's status on a given day.

use super::model::{CheckResult, ItemKind};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An item type and the evidence its check needs (a bare tick is not evidence).
pub struct Kind {
    pub code: ItemKind,
    pub name: &'static str,
    /// A pressure-gauge reading in MPa.
    pub pressure: bool,
    /// A function test (press the test button: sounds / lights up).
    pub test: bool,
    pub photo: bool,
}

pub const KINDS: &[Kind] = &[
    Kind {
        code: ItemKind::Extinguisher,
        name: "灭火器",
        pressure: true,
        test: false,
        photo: true,
    },
    Kind {
        code: ItemKind::Hydrant,
        name: "消火栓",
        pressure: false,
        test: false,
        photo: true,
    },
    Kind {
        code: ItemKind::Alarm,
        name: "火灾报警器",
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: ItemKind::EmergencyLight,
        name: "应急照明灯",
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: ItemKind::Exit,
        name: "安全出口",
        pressure: false,
        test: false,
        photo: true,
    },
];

/// A stored-pressure extinguisher's gauge is in its green band between these (MPa).
pub const PRESSURE_MIN: f64 = 1.0;
pub const PRESSURE_MAX: f64 = 1.4;
/// An item expiring within this many days is shown as due (to be replaced).
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// An item's place on the board, best first (the order ranks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FireStatus {
    Normal,
    Due,
    Failed,
    Expired,
    /// Replaced or removed; listed only when asked for (`status=retired`).
    Retired,
}

impl FireStatus {
    /// How bad it is: the board lists the worst first (retired ranks with normal).
    pub fn rank(self) -> u8 {
        match self {
            Self::Normal | Self::Retired => 0,
            Self::Due => 1,
            Self::Failed => 2,
            Self::Expired => 3,
        }
    }
}

pub fn kind(code: ItemKind) -> &'static Kind {
    KINDS.iter().find(|k| k.code == code).unwrap_or(&KINDS[0])
}

/// An item's status on `today`, worst first: `expired` (expiry date passed), `failed` (its
/// latest check failed; a passing check clears it), `due` (not checked yet in the current
/// calendar month, or expiring within [`EXPIRY_WARNING_DAYS`]), else `normal`.
pub fn status(
    expiry: Option<NaiveDate>,
    last_check: Option<(CheckResult, NaiveDate)>,
    today: NaiveDate,
) -> FireStatus {
    if expiry.is_some_and(|e| e < today) {
        return FireStatus::Expired;
    }
    if last_check.is_some_and(|(r, _)| r == CheckResult::Failed) {
        return FireStatus::Failed;
    }
    let checked_this_month =
        last_check.is_some_and(|(_, d)| d.year() == today.year() && d.month() == today.month());
    let expiring = expiry.is_some_and(|e| (e - today).num_days() <= EXPIRY_WARNING_DAYS);
    if !checked_this_month || expiring {
        FireStatus::Due
    } else {
        FireStatus::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn status_worst_first() {
        use FireStatus::*;
        let today = d("2026-11-29");
        let this_month = Some((CheckResult::Ok, d("2026-11-02")));
        assert_eq!(status(Some(d("2026-11-28")), this_month, today), Expired);
        assert_eq!(status(Some(d("2026-11-29")), this_month, today), Due);
        assert_eq!(
            status(None, Some((CheckResult::Failed, d("2026-11-20"))), today),
            Failed
        );
        assert_eq!(
            status(None, Some((CheckResult::Ok, d("2026-10-31"))), today),
            Due
        );
        assert_eq!(status(None, None, today), Due);
        assert_eq!(status(Some(d("2026-12-29")), this_month, today), Due);
        assert_eq!(status(Some(d("2026-12-30")), this_month, today), Normal);
        assert_eq!(status(None, this_month, today), Normal);
    }

    #[test]
    fn every_kind_has_its_evidence_rule() {
        use sea_orm::Iterable;
        for k in ItemKind::iter() {
            assert_eq!(kind(k).code, k);
        }
        assert!(FireStatus::Expired.rank() > FireStatus::Failed.rank());
        assert!(FireStatus::Failed.rank() > FireStatus::Due.rank());
    }
}
