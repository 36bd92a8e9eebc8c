//! The assessment's sheets of the ledger (and of its own workbook).

use super::report::compute;
use super::scoring::AssessmentRow;
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, Sheet};
use sea_orm::ConnectionTrait;

/// The ranking sheets' columns: rank, name, detail, then count and points per metric of the
/// subject (in `METRICS` order), then the total.
pub(super) const STAFF_HEADERS: &[&str] = &[
    "排名",
    "姓名",
    "岗位",
    "值班(次)",
    "值班(分)",
    "按时检查(次)",
    "按时检查(分)",
    "隐患按期整改(条)",
    "隐患按期整改(分)",
    "计划任务完成(项)",
    "计划任务完成(分)",
    "参加培训(次)",
    "参加培训(分)",
    "总分",
];
pub(super) const CLASS_HEADERS: &[&str] = &[
    "排名",
    "班级",
    "年级",
    "交通安全检查按时(次)",
    "交通安全检查按时(分)",
    "抽查不一致(项)",
    "抽查不一致(分)",
    "隐患(条)",
    "隐患(分)",
    "安全事件(起)",
    "安全事件(分)",
    "安全平台达标(月)",
    "安全平台达标(分)",
    "总分",
];

/// The ranking as sheets: staff, classes, and every record behind the points.
pub async fn ledger_sheets(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Sheet>> {
    let a = compute(db, r).await?;
    let rows_of = |rows: &[AssessmentRow]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| {
                let mut cells = vec![row.rank.to_string(), row.name.clone(), row.detail.clone()];
                for m in &row.metrics {
                    cells.push(m.count.to_string());
                    cells.push(m.points.to_string());
                }
                cells.push(row.total.to_string());
                cells
            })
            .collect()
    };
    let mut basis = Vec::new();
    for (who, rows) in [("教职工", &a.staff), ("班级", &a.classes)] {
        for row in rows.iter() {
            for m in &row.metrics {
                for s in &m.sources {
                    basis.push(vec![
                        who.to_owned(),
                        row.name.clone(),
                        m.label.clone(),
                        source_zh(&s.kind).to_owned(),
                        s.id.to_string(),
                        s.units.to_string(),
                        m.weight.to_string(),
                        (s.units * i64::from(m.weight)).to_string(),
                    ]);
                }
            }
        }
    }
    let weights = a
        .metrics
        .iter()
        .map(|m| {
            vec![
                if m.subject == "staff" {
                    "教职工"
                } else {
                    "班级"
                }
                .to_owned(),
                m.label.clone(),
                m.rule.clone(),
                m.weight.to_string(),
            ]
        })
        .collect();
    Ok(vec![
        Sheet {
            key: "assessment_staff",
            name: "考核-教职工",
            headers: STAFF_HEADERS,
            rows: rows_of(&a.staff),
        },
        Sheet {
            key: "assessment_classes",
            name: "考核-班级",
            headers: CLASS_HEADERS,
            rows: rows_of(&a.classes),
        },
        Sheet {
            key: "assessment_basis",
            name: "考核依据",
            headers: &[
                "对象",
                "名称",
                "指标",
                "记录类型",
                "记录编号",
                "计数",
                "权重",
                "得分",
            ],
            rows: basis,
        },
        Sheet {
            key: "assessment_weights",
            name: "考核权重",
            headers: &["对象", "指标", "计分规则", "每次得分"],
            rows: weights,
        },
    ])
}

fn source_zh(kind: &str) -> &'static str {
    match kind {
        "duty_shift" => "值班",
        "inspection" => "检查",
        "hazard" => "隐患",
        "incident" => "安全事件",
        "plan_item" => "计划任务",
        "platform_figure" => "安全平台",
        "guard_training" => "门卫培训",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::assessment::scoring::{METRICS, Metric, Subject};

    #[test]
    fn each_metric_has_its_two_columns_in_the_ranking_sheets() {
        for (subject, headers) in [
            (Subject::Staff, STAFF_HEADERS),
            (Subject::Class, CLASS_HEADERS),
        ] {
            let metrics: Vec<&Metric> = METRICS.iter().filter(|m| m.subject == subject).collect();
            assert_eq!(headers.len(), 3 + 2 * metrics.len() + 1);
            for (i, m) in metrics.iter().enumerate() {
                assert!(headers[3 + 2 * i].starts_with(m.label), "{}", m.key);
                assert!(headers[4 + 2 * i].starts_with(m.label), "{}", m.key);
            }
        }
    }
}
