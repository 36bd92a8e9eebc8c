//! The assessment of a range: the metrics with their weights and both rankings.

use super::facts::{class_facts, staff_facts, weights};
use super::scoring::{AssessmentRow, METRICS, Subject, Weights, score};
use crate::infra::error::AppResult;
use crate::reports::sheet::Range;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricInfo {
    pub key: String,
    /// `staff` or `class`.
    pub subject: String,
    pub label: String,
    /// What one unit of the count is.
    pub rule: String,
    pub weight: i32,
    pub default_weight: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentResponse {
    pub from: String,
    pub to: String,
    /// The semester's code, when the range is a semester.
    pub semester: Option<String>,
    /// The semester's name, when it is a defined semester.
    pub semester_name: Option<String>,
    pub metrics: Vec<MetricInfo>,
    /// Ranked, best first.
    pub staff: Vec<AssessmentRow>,
    /// Ranked, best first.
    pub classes: Vec<AssessmentRow>,
}

pub fn metric_infos(w: &Weights) -> Vec<MetricInfo> {
    METRICS
        .iter()
        .map(|m| MetricInfo {
            key: m.key.into(),
            subject: match m.subject {
                Subject::Staff => "staff",
                Subject::Class => "class",
            }
            .into(),
            label: m.label.into(),
            rule: m.rule.into(),
            weight: w.get(m.key).copied().unwrap_or(m.default_weight),
            default_weight: m.default_weight,
        })
        .collect()
}

pub async fn compute(db: &impl ConnectionTrait, r: &Range) -> AppResult<AssessmentResponse> {
    let w = weights(db).await?;
    Ok(AssessmentResponse {
        from: crate::infra::clock::fmt_date(r.from),
        to: crate::infra::clock::fmt_date(r.to),
        semester: r.semester.clone(),
        semester_name: r.semester_name.clone(),
        metrics: metric_infos(&w),
        staff: score(Subject::Staff, staff_facts(db, r).await?, &w),
        classes: score(Subject::Class, class_facts(db, r).await?, &w),
    })
}
