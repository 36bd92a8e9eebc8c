//! The scoring: metrics and their default weights, points = units × weight, totals and ranks.
//! Pure: the facts (records found) come in, ranked rows go out.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// Who a metric scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Staff,
    Class,
}

pub struct Metric {
    pub key: &'static str,
    pub subject: Subject,
    pub label: &'static str,
    pub default_weight: i32,
    /// What one unit is, for the export and the UI.
    pub rule: &'static str,
}

/// Every metric, in display order.
pub const METRICS: &[Metric] = &[
    Metric {
        key: "duty_shifts",
        subject: Subject::Staff,
        label: "值班",
        default_weight: 2,
        rule: "已发布排班中已结束的一班",
    },
    Metric {
        key: "checks_on_time",
        subject: Subject::Staff,
        label: "按时检查",
        default_weight: 1,
        rule: "本人按时提交的一次检查(不含抽查,更正不重复计)",
    },
    Metric {
        key: "hazards_on_time",
        subject: Subject::Staff,
        label: "隐患按期整改",
        default_weight: 3,
        rule: "本人在期限当天或之前完成整改的一条隐患(已整改或已销号)",
    },
    Metric {
        key: "plan_tasks_done",
        subject: Subject::Staff,
        label: "计划任务完成",
        default_weight: 2,
        rule: "已批准计划中由本人负责、已完成的一项任务",
    },
    Metric {
        key: "trainings_signed",
        subject: Subject::Staff,
        label: "参加培训",
        default_weight: 1,
        rule: "本人参加并签到确认的一次门卫培训(按培训日期计入)",
    },
    Metric {
        key: "traffic_on_time",
        subject: Subject::Class,
        label: "交通安全检查按时",
        default_weight: 2,
        rule: "班级按时提交的一次交通安全周检",
    },
    Metric {
        key: "spot_discrepancies",
        subject: Subject::Class,
        label: "抽查不一致",
        default_weight: -1,
        rule: "抽查与班级自查不一致的一项",
    },
    Metric {
        key: "class_hazards",
        subject: Subject::Class,
        label: "隐患",
        default_weight: -1,
        rule: "涉及本班的一条隐患(抽查发现不一致而自动生成的隐患已按抽查不一致计,不重复扣分)",
    },
    Metric {
        key: "class_incidents",
        subject: Subject::Class,
        label: "安全事件",
        default_weight: -3,
        rule: "涉及本班学生的一起安全事件(按发生时间计入)",
    },
    Metric {
        key: "platform_months_met",
        subject: Subject::Class,
        label: "安全平台达标",
        default_weight: 5,
        rule: "安全教育平台完成率达到达标线的一个月",
    },
];

pub type Weights = BTreeMap<String, i32>;

pub fn default_weights() -> Weights {
    METRICS
        .iter()
        .map(|m| (m.key.to_owned(), m.default_weight))
        .collect()
}

/// One record behind a metric: `units` of the metric's count come from it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SourceRef {
    /// `duty_shift`, `inspection`, `hazard`, `incident`, `plan_item`, `platform_figure` or
    /// `guard_training`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
    pub units: i64,
}

pub fn src(kind: &str, id: Uuid, units: i64) -> SourceRef {
    SourceRef {
        kind: kind.into(),
        id,
        units,
    }
}

/// The records found for one person or class, by metric key.
#[derive(Debug, Default)]
pub struct Facts {
    pub id: Uuid,
    pub name: String,
    /// Role (staff) or grade (classes).
    pub detail: String,
    pub sources: HashMap<&'static str, Vec<SourceRef>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricScore {
    pub key: String,
    pub label: String,
    /// Sum of the sources' units.
    pub count: i64,
    pub weight: i32,
    /// count × weight.
    pub points: i64,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentRow {
    /// User id or class id.
    pub id: Uuid,
    pub name: String,
    /// Role (staff) or grade (classes).
    pub detail: String,
    pub metrics: Vec<MetricScore>,
    pub total: i64,
    /// 1 = best; equal totals share a rank (1, 1, 3).
    pub rank: u32,
}

/// Scores and ranks: points = count × weight per metric, total = their sum, rows by total
/// (highest first, then name).
pub fn score(subject: Subject, facts: Vec<Facts>, weights: &Weights) -> Vec<AssessmentRow> {
    let mut rows: Vec<AssessmentRow> = facts
        .into_iter()
        .map(|mut f| {
            let metrics: Vec<MetricScore> = METRICS
                .iter()
                .filter(|m| m.subject == subject)
                .map(|m| {
                    let sources = f.sources.remove(m.key).unwrap_or_default();
                    let count: i64 = sources.iter().map(|s| s.units).sum();
                    let weight = weights.get(m.key).copied().unwrap_or(m.default_weight);
                    MetricScore {
                        key: m.key.into(),
                        label: m.label.into(),
                        count,
                        weight,
                        points: count * i64::from(weight),
                        sources,
                    }
                })
                .collect();
            AssessmentRow {
                id: f.id,
                name: f.name,
                detail: f.detail,
                total: metrics.iter().map(|m| m.points).sum(),
                metrics,
                rank: 0,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
    let totals: Vec<i64> = rows.iter().map(|r| r.total).collect();
    for r in &mut rows {
        r.rank = 1 + totals.iter().filter(|t| **t > r.total).count() as u32;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &str, sources: &[(&'static str, i64)]) -> Facts {
        let mut f = Facts {
            id: Uuid::now_v7(),
            name: name.into(),
            ..Default::default()
        };
        for (k, units) in sources {
            f.sources
                .entry(*k)
                .or_default()
                .push(src("inspection", Uuid::now_v7(), *units));
        }
        f
    }

    #[test]
    fn points_are_units_times_weight_and_ties_share_a_rank() {
        let w = default_weights();
        let rows = score(
            Subject::Class,
            vec![
                facts("乙", &[("traffic_on_time", 1), ("traffic_on_time", 1)]),
                facts(
                    "甲",
                    &[
                        ("traffic_on_time", 1),
                        ("spot_discrepancies", 3),
                        ("platform_months_met", 1),
                    ],
                ),
                facts("丙", &[("traffic_on_time", 1), ("traffic_on_time", 1)]),
                facts("丁", &[("duty_shifts", 5)]),
            ],
            &w,
        );
        // 甲: 1×2 + 3×(−1) + 1×5 = 4; 乙, 丙: 2×2 = 4; 丁: staff metrics do not count for a class.
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.total, r.rank))
            .collect();
        assert_eq!(
            got,
            vec![("丙", 4, 1), ("乙", 4, 1), ("甲", 4, 1), ("丁", 0, 4)]
        );
        let jia = rows.iter().find(|r| r.name == "甲").unwrap();
        let spot = jia
            .metrics
            .iter()
            .find(|m| m.key == "spot_discrepancies")
            .unwrap();
        assert_eq!((spot.count, spot.weight, spot.points), (3, -1, -3));
        assert_eq!(spot.sources.len(), 1);
        // Every class metric, scored or not: traffic, spot-checks, hazards, incidents, platform.
        assert_eq!(jia.metrics.len(), 5);
    }

    #[test]
    fn weights_change_the_order() {
        let mut w = default_weights();
        w.insert("duty_shifts".into(), 10);
        let rows = score(
            Subject::Staff,
            vec![
                facts("甲", &[("checks_on_time", 7)]),
                facts("乙", &[("duty_shifts", 1)]),
            ],
            &w,
        );
        assert_eq!(rows[0].name, "乙");
        assert_eq!((rows[0].total, rows[1].total), (10, 7));
        assert_eq!((rows[0].rank, rows[1].rank), (1, 2));
    }
}
