//! Sheets of the safety work: inspections, hazards, the gate and visitors.

use super::labels::{hazard_status_zh, local, visit_status_zh, yes};
use super::school_sheets::names;
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, Sheet};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

pub(super) async fn inspections_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    use crate::schema::inspections::{submission, template};
    let (start, end) = r.bounds_utc();
    let templates: HashMap<Uuid, String> = template::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let classes: HashMap<Uuid, String> = crate::schema::classes::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let users = names(db).await?;
    let rows = submission::Entity::find()
        .filter(submission::Column::IsCurrent.eq(true))
        .filter(submission::Column::SubmittedAt.gte(start))
        .filter(submission::Column::SubmittedAt.lt(end))
        .order_by_asc(submission::Column::SubmittedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|s| {
            vec![
                templates
                    .get(&s.template_id)
                    .cloned()
                    .unwrap_or(s.template_code),
                if s.kind == crate::features::inspections::SubmissionKind::SpotCheck {
                    "抽查"
                } else {
                    "自查"
                }
                .to_owned(),
                s.period,
                s.class_id
                    .and_then(|c| classes.get(&c).cloned())
                    .or(s.location)
                    .unwrap_or_default(),
                users
                    .get(&s.submitted_by)
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                local(s.submitted_at, r.tz),
                format!("{:.0}", s.score),
                s.passed_count.to_string(),
                s.failed_count.to_string(),
                yes(s.is_late),
            ]
        })
        .collect();
    Ok(Sheet {
        key: "inspections",
        name: "安全检查",
        headers: &[
            "检查表",
            "方式",
            "周期",
            "班级/地点",
            "检查人",
            "提交时间",
            "得分",
            "合格项",
            "不合格项",
            "迟交",
        ],
        rows,
    })
}

pub(super) async fn hazards_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    use crate::schema::hazards::hazard;
    let (start, end) = r.bounds_utc();
    let users = names(db).await?;
    let name = |id: Option<Uuid>| {
        id.and_then(|i| users.get(&i))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    // A hazard a key reported (a sensor) names the key, not the office account behind it.
    let keys: HashMap<Uuid, String> = crate::schema::api_keys::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect();
    let rows = hazard::Entity::find()
        .filter(hazard::Column::ReportedAt.gte(start))
        .filter(hazard::Column::ReportedAt.lt(end))
        .order_by_asc(hazard::Column::ReportedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|h| {
            let reporter = match h.reported_by_api_key_id {
                Some(k) => keys.get(&k).cloned().unwrap_or_default(),
                None => name(Some(h.reported_by)),
            };
            vec![
                local(h.reported_at, r.tz),
                h.category.as_str().to_owned(),
                h.location.clone(),
                h.description.clone(),
                if h.source == crate::schema::hazards::HazardSource::Inspection {
                    "检查发现"
                } else {
                    "上报"
                }
                .to_owned(),
                reporter,
                hazard_status_zh(h.status.as_str()).to_owned(),
                name(h.owner_id),
                h.deadline.clone().unwrap_or_default(),
                h.rectification.clone().unwrap_or_default(),
                h.closed_at.map(|t| local(t, r.tz)).unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Sheet {
        key: "hazards",
        name: "隐患整改",
        headers: &[
            "上报时间",
            "类别",
            "地点",
            "隐患描述",
            "来源",
            "上报人",
            "状态",
            "整改责任人",
            "整改期限",
            "整改情况",
            "销号时间",
        ],
        rows,
    })
}

/// Every gate scan of the period. Names are fine here (the ledger is for the principal and the
/// office); guardian contacts and leave reasons are not part of it.
pub(super) async fn gate_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    use crate::schema::classes as class;
    use crate::schema::gate::scan;
    use crate::schema::students::student;
    let (start, end) = r.bounds_utc();
    let scans = scan::Entity::find()
        .filter(scan::Column::ScannedAt.gte(start))
        .filter(scan::Column::ScannedAt.lt(end))
        .order_by_asc(scan::Column::ScannedAt)
        .order_by_asc(scan::Column::Id)
        .all(db)
        .await?;
    let sids: Vec<Uuid> = scans.iter().filter_map(|s| s.student_id).collect();
    let mut students: HashMap<Uuid, String> = HashMap::new();
    // Chunked so a semester of scans never exceeds a database's bound-parameter limit.
    for chunk in sids.chunks(500) {
        students.extend(
            student::Entity::find()
                .filter(student::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|s| (s.id, s.name)),
        );
    }
    let classes: HashMap<Uuid, String> = class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let rows = scans
        .into_iter()
        .map(|s| {
            vec![
                local(s.scanned_at, r.tz),
                s.gate,
                if s.direction == crate::features::gate::Direction::Exit {
                    "出校"
                } else {
                    "返校"
                }
                .to_owned(),
                if s.result == crate::features::gate::Verdict::Allow {
                    "放行"
                } else {
                    "拒绝"
                }
                .to_owned(),
                s.code.as_str().to_owned(),
                s.class_id
                    .and_then(|c| classes.get(&c).cloned())
                    .unwrap_or_default(),
                s.student_id
                    .and_then(|id| students.get(&id).cloned())
                    .unwrap_or_default(),
                yes(s.conflict),
            ]
        })
        .collect();
    Ok(Sheet {
        key: "gate",
        name: "门卫出入",
        headers: &[
            "扫码时间",
            "校门",
            "方向",
            "结果",
            "代码",
            "班级",
            "学生",
            "离线冲突",
        ],
        rows,
    })
}

/// Every visitor checked in during the period. The ID number appears only masked, as stored
/// (its last 4 characters); phone numbers are not part of the ledger.
pub(super) async fn visitors_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    use crate::schema::visitors::visitor;
    let (start, end) = r.bounds_utc();
    let rows = visitor::Entity::find()
        .filter(visitor::Column::CheckedInAt.gte(start))
        .filter(visitor::Column::CheckedInAt.lt(end))
        .order_by_asc(visitor::Column::CheckedInAt)
        .order_by_asc(visitor::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|v| {
            vec![
                local(v.checked_in_at, r.tz),
                v.checked_out_at.map(|t| local(t, r.tz)).unwrap_or_default(),
                v.name,
                v.organisation.unwrap_or_default(),
                v.reason,
                v.host.unwrap_or_default(),
                v.vehicle_plate.unwrap_or_default(),
                crate::features::visitors::mask(v.id_number_last4.as_deref()).unwrap_or_default(),
                yes(v.watchlist_entry_id.is_some()),
                visit_status_zh(v.status).into(),
                v.decision_reason.unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Sheet {
        key: "visitors",
        name: "来访登记",
        headers: &[
            "入校时间",
            "离校时间",
            "访客",
            "单位",
            "事由",
            "接待人",
            "车牌",
            "证件号码",
            "重点关注",
            "结果",
            "保卫处决定理由",
        ],
        rows,
    })
}
