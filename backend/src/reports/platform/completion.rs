//! Completion rules: below the threshold (exact, in integers), the rate shown, a valid month.
//! Pure.

use crate::infra::error::Validator;

/// Below threshold, exactly (integers): completed / size < threshold %.
pub fn is_below(completed: i32, class_size: i32, threshold: i32) -> bool {
    i64::from(completed) * 100 < i64::from(threshold) * i64::from(class_size)
}

/// Completion rate in percent, one decimal.
pub fn rate(completed: i32, class_size: i32) -> f64 {
    if class_size <= 0 {
        return 0.0;
    }
    (f64::from(completed) * 1000.0 / f64::from(class_size)).round() / 10.0
}

pub fn valid_month(s: &str) -> bool {
    s.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok()
}

pub fn check_month(v: &mut Validator, s: &str) {
    if !valid_month(s) {
        v.add("month", "invalid", "月份格式应为 YYYY-MM");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_comparison_is_exact() {
        assert!(!is_below(9, 10, 90));
        assert!(is_below(8, 10, 90));
        assert!(is_below(44, 49, 90)); // 89.8 %
        assert!(!is_below(45, 50, 90));
        assert_eq!(rate(44, 49), 89.8);
    }

    #[test]
    fn months_are_year_and_month() {
        assert!(valid_month("2026-12"));
        assert!(!valid_month("2026-13"));
        assert!(!valid_month("2026-1"));
    }
}
