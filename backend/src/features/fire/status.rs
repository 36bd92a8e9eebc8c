//! The rules of the registry, with no queries and no clock: each kind's category, the evidence
//! its check needs and how often it is checked, and an item's status on a given day.

use super::model::{CheckResult, ItemKind};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which part of the registry a kind belongs to (a list filter, and the hazard category a
/// failed or expired item raises).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentCategory {
    /// 消防器材.
    Fire,
    /// 安防器材.
    Security,
}

impl EquipmentCategory {
    pub fn name(self) -> &'static str {
        match self {
            Self::Fire => "消防器材",
            Self::Security => "安防器材",
        }
    }

    /// The hazard category a failed or expired item of this category raises.
    pub fn hazard_category(self) -> &'static str {
        match self {
            Self::Fire => "fire",
            Self::Security => "security",
        }
    }
}

/// How often a kind is checked: an item is due when it has no check in the current calendar
/// period, and overdue when a whole period has passed since its last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckPeriod {
    /// Every week (Monday to Sunday).
    Weekly,
    /// Every calendar month.
    Monthly,
    /// Every quarter (January–March, …).
    Quarterly,
}

impl CheckPeriod {
    pub fn name(self) -> &'static str {
        match self {
            Self::Weekly => "每周",
            Self::Monthly => "每月",
            Self::Quarterly => "每季度",
        }
    }

    /// Whether two days fall in the same period.
    pub fn same_period(self, a: NaiveDate, b: NaiveDate) -> bool {
        match self {
            Self::Weekly => a.iso_week() == b.iso_week(),
            Self::Monthly => a.year() == b.year() && a.month() == b.month(),
            Self::Quarterly => a.year() == b.year() && a.month0() / 3 == b.month0() / 3,
        }
    }

    /// The last day the next check is on time after a check on `last`: one period later.
    pub fn next_due(self, last: NaiveDate) -> NaiveDate {
        match self {
            Self::Weekly => last + chrono::Duration::days(7),
            Self::Monthly => last
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(last),
            Self::Quarterly => last
                .checked_add_months(chrono::Months::new(3))
                .unwrap_or(last),
        }
    }
}

/// An item type, its category, how often it is checked and the evidence its check needs (a
/// bare tick is not evidence).
pub struct Kind {
    pub code: ItemKind,
    pub name: &'static str,
    pub category: EquipmentCategory,
    pub period: CheckPeriod,
    /// An alarm device: its check may record whether the alarm reached the receiving end.
    pub alarm: bool,
    /// A pressure-gauge reading in MPa.
    pub pressure: bool,
    /// A function test (press the test button: sounds / lights up).
    pub test: bool,
    pub photo: bool,
}

pub const KINDS: &[Kind] = &[
    Kind {
        code: ItemKind::Extinguisher,
        category: EquipmentCategory::Fire,
        period: CheckPeriod::Monthly,
        alarm: false,
        name: "灭火器",
        pressure: true,
        test: false,
        photo: true,
    },
    Kind {
        code: ItemKind::Hydrant,
        category: EquipmentCategory::Fire,
        period: CheckPeriod::Monthly,
        alarm: false,
        name: "消火栓",
        pressure: false,
        test: false,
        photo: true,
    },
    Kind {
        code: ItemKind::Alarm,
        category: EquipmentCategory::Fire,
        period: CheckPeriod::Monthly,
        alarm: true,
        name: "火灾报警器",
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: ItemKind::EmergencyLight,
        category: EquipmentCategory::Fire,
        period: CheckPeriod::Monthly,
        alarm: false,
        name: "应急照明灯",
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: ItemKind::Exit,
        category: EquipmentCategory::Fire,
        period: CheckPeriod::Monthly,
        alarm: false,
        name: "安全出口",
        pressure: false,
        test: false,
        photo: true,
    },
    Kind {
        code: ItemKind::RiotGear,
        name: "防暴器材",
        category: EquipmentCategory::Security,
        period: CheckPeriod::Quarterly,
        alarm: false,
        pressure: false,
        test: false,
        photo: true,
    },
    Kind {
        code: ItemKind::Camera,
        name: "监控摄像头",
        category: EquipmentCategory::Security,
        period: CheckPeriod::Monthly,
        alarm: false,
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: ItemKind::AlarmButton,
        name: "一键报警按钮",
        category: EquipmentCategory::Security,
        period: CheckPeriod::Monthly,
        alarm: true,
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: ItemKind::AccessControl,
        name: "门禁",
        category: EquipmentCategory::Security,
        period: CheckPeriod::Monthly,
        alarm: false,
        pressure: false,
        test: true,
        photo: true,
    },
    Kind {
        code: ItemKind::Radio,
        name: "对讲机",
        category: EquipmentCategory::Security,
        period: CheckPeriod::Weekly,
        alarm: false,
        pressure: false,
        test: true,
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

/// The kinds of a category.
pub fn kinds_of(category: EquipmentCategory) -> Vec<ItemKind> {
    KINDS
        .iter()
        .filter(|k| k.category == category)
        .map(|k| k.code)
        .collect()
}

/// The kinds whose check may record whether the alarm reached the receiving end.
pub fn alarm_kinds() -> Vec<ItemKind> {
    KINDS.iter().filter(|k| k.alarm).map(|k| k.code).collect()
}

/// Whether a check is overdue on `today`: never checked, or a whole period has passed since the
/// last check (see [`CheckPeriod::next_due`]).
pub fn overdue(period: CheckPeriod, last_check: Option<NaiveDate>, today: NaiveDate) -> bool {
    last_check.is_none_or(|d| period.next_due(d) < today)
}

/// An item's status on `today`, worst first: `expired` (expiry date passed), `failed` (its
/// latest check failed; a passing check clears it), `due` (not checked yet in the current
/// calendar period of its kind — month for fire equipment — or expiring within
/// [`EXPIRY_WARNING_DAYS`]), else `normal`.
pub fn status(
    period: CheckPeriod,
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
    let checked_this_period = last_check.is_some_and(|(_, d)| period.same_period(d, today));
    let expiring = expiry.is_some_and(|e| (e - today).num_days() <= EXPIRY_WARNING_DAYS);
    if !checked_this_period || expiring {
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

    fn status(
        expiry: Option<NaiveDate>,
        last_check: Option<(CheckResult, NaiveDate)>,
        today: NaiveDate,
    ) -> FireStatus {
        super::status(CheckPeriod::Monthly, expiry, last_check, today)
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
    fn periods_decide_due_and_overdue() {
        let today = d("2026-12-02"); // a Wednesday
        let ok = |day: &str| Some((CheckResult::Ok, d(day)));
        // Weekly: checked on Monday of this week is normal; last Sunday is due.
        assert_eq!(
            super::status(CheckPeriod::Weekly, None, ok("2026-11-30"), today),
            FireStatus::Normal
        );
        assert_eq!(
            super::status(CheckPeriod::Weekly, None, ok("2026-11-29"), today),
            FireStatus::Due
        );
        // Quarterly: October counts for December, September does not.
        assert_eq!(
            super::status(CheckPeriod::Quarterly, None, ok("2026-10-01"), today),
            FireStatus::Normal
        );
        assert_eq!(
            super::status(CheckPeriod::Quarterly, None, ok("2026-09-30"), today),
            FireStatus::Due
        );
        // Overdue: a whole period since the last check, or never checked.
        assert!(!overdue(CheckPeriod::Monthly, Some(d("2026-11-02")), today));
        assert!(overdue(CheckPeriod::Monthly, Some(d("2026-11-01")), today));
        assert!(overdue(CheckPeriod::Weekly, Some(d("2026-11-24")), today));
        assert!(!overdue(CheckPeriod::Weekly, Some(d("2026-11-25")), today));
        assert!(overdue(CheckPeriod::Quarterly, None, today));
        assert_eq!(
            CheckPeriod::Monthly.next_due(d("2026-01-31")),
            d("2026-02-28")
        );
    }

    #[test]
    fn security_kinds_need_their_evidence() {
        for k in [
            ItemKind::AlarmButton,
            ItemKind::Camera,
            ItemKind::AccessControl,
            ItemKind::Radio,
        ] {
            let k = kind(k);
            assert_eq!(k.category, EquipmentCategory::Security);
            assert!(k.test && k.photo && !k.pressure, "{}", k.name);
        }
        let gear = kind(ItemKind::RiotGear);
        assert!(gear.photo && !gear.test && !gear.pressure);
        assert_eq!(alarm_kinds(), vec![ItemKind::Alarm, ItemKind::AlarmButton]);
        assert_eq!(kinds_of(EquipmentCategory::Fire).len(), 5);
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
