//! The rules of a check, with no queries and no clock: the score, the answers a template
//! accepts, discrepancies between a spot-check and the own check, which period is meant, and
//! the statuses on the compliance and "due" lists.

use super::model::{AnswerRecord, Frequency, ItemResult, TemplateCategory, TemplateItem, template};
use super::period::Period;
use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError, Validator};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub item_key: String,
    pub result: ItemResult,
    pub note: Option<String>,
    /// Photos uploaded first with `POST /attachments`.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

/// Score and counts from answers and item weights.
pub fn score(items: &[TemplateItem], answers: &[AnswerRecord]) -> (f64, i32, i32, i32) {
    let weight: HashMap<&str, u32> = items.iter().map(|i| (i.key.as_str(), i.weight)).collect();
    let (mut pass_w, mut total_w) = (0u32, 0u32);
    let (mut p, mut f, mut n) = (0, 0, 0);
    for a in answers {
        let w = weight.get(a.item_key.as_str()).copied().unwrap_or(0);
        match a.result {
            ItemResult::Pass => {
                p += 1;
                pass_w += w;
                total_w += w;
            }
            ItemResult::Fail => {
                f += 1;
                total_w += w;
            }
            ItemResult::Na => n += 1,
        }
    }
    let s = if total_w == 0 {
        100.0
    } else {
        (pass_w as f64 * 1000.0 / total_w as f64).round() / 10.0
    };
    (s, p, f, n)
}

/// Checks the answers against the template's items; returns one answer per item, in the
/// template's order.
pub fn resolve_answers(
    items: &[TemplateItem],
    all_passed: bool,
    answers: Vec<AnswerInput>,
) -> AppResult<Vec<AnswerRecord>> {
    let mut v = Validator::new();
    let mut given: HashMap<String, AnswerInput> = HashMap::new();
    for (i, a) in answers.into_iter().enumerate() {
        let field = format!("answers[{i}]");
        if !items.iter().any(|it| it.key == a.item_key) {
            v.add(&field, "unknown_item", "检查项不存在于该模板版本中");
            continue;
        }
        v.opt_text(&format!("{field}.note"), a.note.as_deref(), 500);
        if a.attachment_ids.len() > crate::features::attachments::MAX_PER_FIELD {
            v.add(
                &format!("{field}.attachment_ids"),
                "too_many",
                "每项最多 9 张图片",
            );
        }
        if given.contains_key(&a.item_key) {
            v.add(&field, "duplicate", "同一检查项重复作答");
            continue;
        }
        given.insert(a.item_key.clone(), a);
    }
    let mut out = Vec::new();
    for it in items {
        match given.remove(&it.key) {
            Some(a) => {
                if a.result == ItemResult::Fail
                    && it.photo_required_on_fail
                    && a.attachment_ids.is_empty()
                {
                    v.add(
                        &format!("answers.{}", it.key),
                        "photo_required",
                        "此项不合格时须上传照片",
                    );
                }
                out.push(AnswerRecord {
                    item_key: it.key.clone(),
                    result: a.result,
                    note: a
                        .note
                        .map(|n| n.trim().to_owned())
                        .filter(|n| !n.is_empty()),
                    attachment_ids: a.attachment_ids,
                });
            }
            None if all_passed => out.push(AnswerRecord {
                item_key: it.key.clone(),
                result: ItemResult::Pass,
                note: None,
                attachment_ids: Vec::new(),
            }),
            None => v.add(
                &format!("answers.{}", it.key),
                "required",
                "此检查项未作答(或使用 all_passed 表示全部合格)",
            ),
        }
    }
    v.finish()?;
    Ok(out)
}

/// The items a spot-check failed that the own check passed.
pub fn discrepancies_of(spot: &[AnswerRecord], own: &[AnswerRecord]) -> Vec<String> {
    let own_pass: HashSet<&str> = own
        .iter()
        .filter(|a| a.result == ItemResult::Pass)
        .map(|a| a.item_key.as_str())
        .collect();
    spot.iter()
        .filter(|a| a.result == ItemResult::Fail && own_pass.contains(a.item_key.as_str()))
        .map(|a| a.item_key.clone())
        .collect()
}

/// The period a check is for: the given one (of the template's frequency, already begun) or
/// the one containing `today`.
pub fn resolve_period(freq: Frequency, given: Option<&str>, today: NaiveDate) -> AppResult<Period> {
    let err = |code: &str, msg: String| {
        ApiError::validation(vec![FieldError {
            field: "period".into(),
            code: code.into(),
            message: msg,
            line: None,
        }])
    };
    let p = match given {
        None => return Ok(Period::containing(freq, today)),
        Some(s) => Period::parse(s).ok_or_else(|| {
            err(
                "invalid",
                "周期格式应为 2026-W48(周)、2026-11(月)或 2026-11-29(日)".into(),
            )
        })?,
    };
    if p.frequency != freq {
        return Err(err(
            "frequency_mismatch",
            format!("该模板按{}检查,周期格式不符", freq_zh(freq)),
        ));
    }
    if p.first > today {
        return Err(err("in_future", "不能提交尚未开始的周期".into()));
    }
    Ok(p)
}

fn freq_zh(f: Frequency) -> &'static str {
    match f {
        Frequency::Daily => "日",
        Frequency::Weekly => "周",
        Frequency::Monthly => "月",
    }
}

/// Which hazard category a template's failed items become.
pub fn hazard_category(template_category: TemplateCategory) -> &'static str {
    match template_category {
        TemplateCategory::Traffic => "traffic",
        TemplateCategory::Fire => "fire",
        TemplateCategory::Patrol => "security",
        TemplateCategory::SelfInspection | TemplateCategory::Custom => "facility",
    }
}

pub fn superseded() -> ApiError {
    ApiError::conflict(
        ErrorCode::SubmissionSuperseded,
        "该记录已被更正,请在最新版本上更正",
    )
}

pub fn already_submitted() -> ApiError {
    ApiError::conflict(
        ErrorCode::AlreadySubmitted,
        "该对象本周期已提交过检查;如需修改请提交更正(amendment)",
    )
}

/// Only the current, active version of a template can be answered.
pub fn require_answerable(tpl: &template::Model) -> AppResult<()> {
    if !tpl.is_current {
        return Err(ApiError::conflict(
            ErrorCode::TemplateOutdated,
            "该模板已有新版本,请使用当前版本",
        ));
    }
    if !tpl.is_active {
        return Err(ApiError::conflict(
            ErrorCode::TemplateInactive,
            "该模板已停用",
        ));
    }
    Ok(())
}

/// Where a class or location stands on the compliance list for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    /// Submitted before the period ended.
    Submitted,
    Late,
    Missing,
}

impl ComplianceStatus {
    pub fn of(submitted_late: Option<bool>) -> Self {
        match submitted_late {
            Some(true) => Self::Late,
            Some(false) => Self::Submitted,
            None => Self::Missing,
        }
    }
}

/// A check on the signed-in user's "due" list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    /// The open period, not yet submitted.
    Due,
    /// The previous period, never submitted.
    Overdue,
    Submitted,
}

impl DueStatus {
    pub fn of(found: bool, is_current_period: bool) -> Self {
        match (found, is_current_period) {
            (true, _) => Self::Submitted,
            (false, true) => Self::Due,
            (false, false) => Self::Overdue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str, weight: u32) -> TemplateItem {
        TemplateItem {
            key: key.into(),
            text: key.into(),
            text_en: None,
            weight,
            photo_required_on_fail: false,
        }
    }

    fn answer(key: &str, result: ItemResult) -> AnswerRecord {
        AnswerRecord {
            item_key: key.into(),
            result,
            note: None,
            attachment_ids: Vec::new(),
        }
    }

    #[test]
    fn score_weighs_applicable_items_only() {
        let items = [item("a", 3), item("b", 1), item("c", 2)];
        let answers = [
            answer("a", ItemResult::Pass),
            answer("b", ItemResult::Fail),
            answer("c", ItemResult::Na),
        ];
        assert_eq!(score(&items, &answers), (75.0, 1, 1, 1));
        let all_na = [answer("a", ItemResult::Na)];
        assert_eq!(score(&items, &all_na).0, 100.0);
    }

    #[test]
    fn discrepancy_is_fail_where_own_check_passed() {
        let own = [
            answer("a", ItemResult::Pass),
            answer("b", ItemResult::Fail),
            answer("c", ItemResult::Na),
        ];
        let spot = [
            answer("a", ItemResult::Fail),
            answer("b", ItemResult::Fail),
            answer("c", ItemResult::Fail),
        ];
        assert_eq!(discrepancies_of(&spot, &own), vec!["a".to_owned()]);
    }

    #[test]
    fn all_passed_fills_unanswered_items_and_photo_rule_applies() {
        let mut items = vec![item("a", 1), item("b", 1)];
        items[1].photo_required_on_fail = true;
        let r = resolve_answers(&items, true, Vec::new()).unwrap();
        assert!(r.iter().all(|a| a.result == ItemResult::Pass));
        let fail_b = AnswerInput {
            item_key: "b".into(),
            result: ItemResult::Fail,
            note: None,
            attachment_ids: Vec::new(),
        };
        assert!(resolve_answers(&items, true, vec![fail_b]).is_err());
        assert!(resolve_answers(&items, false, Vec::new()).is_err());
    }

    #[test]
    fn period_must_match_the_frequency_and_have_begun() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let p = resolve_period(Frequency::Weekly, None, today).unwrap();
        assert_eq!(p.key(), "2026-W48");
        assert!(resolve_period(Frequency::Weekly, Some("2026-11"), today).is_err());
        assert!(resolve_period(Frequency::Weekly, Some("2026-W49"), today).is_err());
        assert!(resolve_period(Frequency::Monthly, Some("2026-10"), today).is_ok());
    }

    #[test]
    fn statuses_follow_submission_and_period() {
        assert_eq!(ComplianceStatus::of(None), ComplianceStatus::Missing);
        assert_eq!(ComplianceStatus::of(Some(true)), ComplianceStatus::Late);
        assert_eq!(DueStatus::of(false, false), DueStatus::Overdue);
        assert_eq!(DueStatus::of(true, false), DueStatus::Submitted);
    }
}
