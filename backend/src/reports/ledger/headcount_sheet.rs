//! The evacuation head-counts of the range (应急疏散演练 清点人数): figures only, no names.

use super::labels::local;
use crate::features::headcount::model::{HeadcountKind, HeadcountStatus, record};
use crate::features::headcount::{figures_of, rows_of_many, tally};
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, Sheet};
use crate::schema::records::activity;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

/// `6分30秒`.
fn duration_zh(secs: i64) -> String {
    let (m, s) = (secs / 60, secs % 60);
    if m > 0 {
        format!("{m}分{s}秒")
    } else {
        format!("{s}秒")
    }
}

pub(super) async fn headcount_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let (start, end) = r.bounds_utc();
    let list = record::Entity::find()
        .filter(record::Column::StartedAt.gte(start))
        .filter(record::Column::StartedAt.lt(end))
        .order_by_asc(record::Column::StartedAt)
        .all(db)
        .await?;
    let topics: HashMap<Uuid, String> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(list.iter().filter_map(|h| h.activity_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.topic))
        .collect();
    let mut rows_of = rows_of_many(db, list.iter().map(|h| h.id).collect()).await?;
    let mut rows = Vec::with_capacity(list.len());
    for h in list {
        let classes = figures_of(rows_of.remove(&h.id).unwrap_or_default(), None)?;
        let figures: Vec<_> = classes.into_iter().map(|c| c.figures).collect();
        let t = tally::tally(&figures, h.started_at);
        rows.push(vec![
            local(h.started_at, r.tz),
            match h.kind {
                HeadcountKind::Drill => "演练",
                HeadcountKind::Evacuation => "紧急疏散",
            }
            .to_owned(),
            h.title,
            h.activity_id
                .and_then(|a| topics.get(&a).cloned())
                .unwrap_or_default(),
            format!("{}/{}", t.classes_reported, t.classes),
            t.expected.to_string(),
            t.present.to_string(),
            t.on_leave.to_string(),
            t.absent_today.to_string(),
            t.not_accounted.to_string(),
            t.injured.to_string(),
            t.seconds_to_all_accounted
                .map(duration_zh)
                .unwrap_or_else(|| "未全部清点".to_owned()),
            match (h.status, h.closed_at) {
                (HeadcountStatus::Closed, Some(at)) => local(at, r.tz),
                _ => "进行中".to_owned(),
            },
            h.note,
        ]);
    }
    Ok(Sheet {
        key: "headcounts",
        name: "疏散清点",
        headers: &[
            "开始时间",
            "类型",
            "名称",
            "关联活动",
            "已报班级",
            "应到",
            "实到",
            "请假离校",
            "缺勤",
            "未清点",
            "受伤",
            "全部清点用时",
            "结束时间",
            "备注",
        ],
        rows,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_minutes_and_seconds() {
        assert_eq!(super::duration_zh(390), "6分30秒");
        assert_eq!(super::duration_zh(42), "42秒");
    }
}
