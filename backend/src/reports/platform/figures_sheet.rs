//! The platform's sheet of the safety ledger.

use super::completion::{is_below, rate};
use super::store::{missing_counts, threshold};
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, Sheet, months_of};
use crate::schema::classes as class;
use crate::schema::platform::{FigureSource, figure};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// The ledger's sheet: every figure of the months the range touches.
pub async fn ledger_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let threshold = threshold(db).await?;
    let names: HashMap<Uuid, String> = class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut figures = figure::Entity::find()
        .filter(figure::Column::Month.is_in(months_of(r.from, r.to)))
        .all(db)
        .await?;
    let cname = |f: &figure::Model| names.get(&f.class_id).cloned().unwrap_or_default();
    figures.sort_by(|a, b| (&a.month, cname(a)).cmp(&(&b.month, cname(b))));
    let missing = missing_counts(db, figures.iter().map(|f| f.id).collect()).await?;
    let rows = figures
        .iter()
        .map(|f| {
            vec![
                f.month.clone(),
                cname(f),
                f.completed.to_string(),
                f.class_size.to_string(),
                format!("{}%", rate(f.completed, f.class_size)),
                if is_below(f.completed, f.class_size, threshold) {
                    format!("未达标(达标线 {threshold}%)")
                } else {
                    "达标".to_owned()
                },
                if f.source == FigureSource::Import {
                    "平台导出导入"
                } else {
                    "手工录入"
                }
                .to_owned(),
                if f.source == FigureSource::Import {
                    missing.get(&f.id).copied().unwrap_or(0).to_string()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    Ok(Sheet {
        key: "platform",
        name: "安全平台使用督查",
        headers: &[
            "月份",
            "班级",
            "完成人数",
            "班级人数",
            "完成率",
            "是否达标",
            "来源",
            "未完成人数",
        ],
        rows,
    })
}
