//! Sheets of the school's own records: organisation, plan, duty, activities, meetings,
//! incidents, health reports, announcements.

use super::labels::{
    category_zh, incident_kind_zh, local, meeting_kind_zh, post_zh, role_zh, severity_zh,
    status_zh, yes,
};
use crate::auth::roles::Role;
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, Sheet};
use crate::schema::duty::{roster, shift};
use crate::schema::plans::{evidence, item, plan};
use crate::schema::records::{activity, announcement, health, incident, meeting, read};
use crate::schema::users as user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

pub(super) async fn names(db: &impl ConnectionTrait) -> AppResult<HashMap<Uuid, user::Model>> {
    Ok(user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

pub(super) async fn organisation(db: &impl ConnectionTrait, _r: &Range) -> AppResult<Sheet> {
    let users = user::Entity::find()
        .filter(user::Column::Role.ne(Role::SafetyOfficer.as_str()))
        .order_by_asc(user::Column::Role)
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    let classes = crate::schema::classes::Entity::find().all(db).await?;
    let mut rows: Vec<Vec<String>> = users
        .into_iter()
        .map(|u| {
            let duty: Vec<String> = classes
                .iter()
                .filter(|c| c.class_teacher_id == Some(u.id))
                .map(|c| c.name.clone())
                .collect();
            vec![
                u.display_name,
                role_zh(u.role.as_str()).to_owned(),
                duty.join("、"),
                u.phone.unwrap_or_default(),
                if u.is_active { "在岗" } else { "停用" }.to_owned(),
            ]
        })
        .collect();
    rows.sort_by(|a, b| a[1].cmp(&b[1]));
    Ok(Sheet {
        key: "organisation",
        name: "组织领导",
        headers: &["姓名", "部门/角色", "负责班级", "联系电话", "状态"],
        rows,
    })
}

pub(super) async fn plan_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let mut select = plan::Entity::find();
    select = match &r.semester {
        Some(s) => select.filter(plan::Column::Semester.eq(s.as_str())),
        None => select
            .filter(plan::Column::StartsOn.lte(r.end_s()))
            .filter(plan::Column::EndsOn.gte(r.start_s())),
    };
    let plans = select.order_by_asc(plan::Column::StartsOn).all(db).await?;
    let users = names(db).await?;
    let mut rows = Vec::new();
    for p in plans {
        let items = item::Entity::find()
            .filter(item::Column::PlanId.eq(p.id))
            .order_by_asc(item::Column::Month)
            .order_by_asc(item::Column::Seq)
            .all(db)
            .await?;
        for i in items {
            let ev = evidence::Entity::find()
                .filter(evidence::Column::ItemId.eq(i.id))
                .all(db)
                .await?
                .len();
            rows.push(vec![
                p.title.clone(),
                status_zh(&sea_orm::ActiveEnum::to_value(&p.status)).to_owned(),
                i.month,
                i.seq.to_string(),
                i.title,
                category_zh(&sea_orm::ActiveEnum::to_value(&i.category)).to_owned(),
                i.owner_id
                    .and_then(|o| users.get(&o))
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                i.due_date.unwrap_or_default(),
                i.report_to.unwrap_or_default(),
                i.notify.unwrap_or_default(),
                i.note.unwrap_or_default(),
                status_zh(&sea_orm::ActiveEnum::to_value(&i.status)).to_owned(),
                ev.to_string(),
            ]);
        }
    }
    Ok(Sheet {
        key: "plan",
        name: "工作计划",
        headers: &[
            "计划",
            "审批状态",
            "月份",
            "序号",
            "工作项目",
            "类别",
            "负责人",
            "完成期限",
            "报送",
            "通报",
            "备注",
            "完成情况",
            "佐证材料数",
        ],
        rows,
    })
}

pub(super) async fn duty_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let rosters: HashMap<Uuid, roster::Model> = roster::Entity::find()
        .filter(roster::Column::Status.eq(crate::schema::duty::RosterStatus::Published))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let ids: Vec<Uuid> = rosters.keys().copied().collect();
    let shifts = if ids.is_empty() {
        vec![]
    } else {
        shift::Entity::find()
            .filter(shift::Column::RosterId.is_in(ids))
            .filter(shift::Column::Date.gte(r.start_s()))
            .filter(shift::Column::Date.lte(r.end_s()))
            .order_by_asc(shift::Column::StartsAt)
            .order_by_asc(shift::Column::Post)
            .all(db)
            .await?
    };
    let users = names(db).await?;
    let rows = shifts
        .into_iter()
        .map(|s| {
            let ro = rosters.get(&s.roster_id);
            let u = users.get(&s.user_id);
            vec![
                ro.map(|r| r.title.clone()).unwrap_or_default(),
                s.date,
                format!("{}–{}", s.start_time, s.end_time),
                post_zh(&sea_orm::ActiveEnum::to_value(&s.post)).to_owned(),
                u.map(|u| u.display_name.clone()).unwrap_or_default(),
                u.and_then(|u| u.phone.clone()).unwrap_or_default(),
                ro.and_then(|r| r.report_to.clone()).unwrap_or_default(),
                ro.and_then(|r| r.reported_at)
                    .map(|t| local(t, r.tz))
                    .unwrap_or_default(),
                ro.and_then(|r| r.notify.clone()).unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Sheet {
        key: "duty",
        name: "值班安排",
        headers: &[
            "值班表",
            "日期",
            "时间",
            "岗位",
            "值班人员",
            "联系电话",
            "报送",
            "报送时间",
            "通报",
        ],
        rows,
    })
}

pub(super) async fn activities_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let rows = activity::Entity::find()
        .filter(activity::Column::Date.gte(r.start_s()))
        .filter(activity::Column::Date.lte(r.end_s()))
        .order_by_asc(activity::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            vec![
                a.date,
                if a.kind == crate::schema::records::ActivityKind::Drill {
                    "演练"
                } else {
                    "专题教育"
                }
                .to_owned(),
                a.topic,
                a.organiser,
                a.participant_count.to_string(),
                a.summary,
            ]
        })
        .collect();
    Ok(Sheet {
        key: "activities",
        name: "安全活动",
        headers: &["日期", "类型", "主题", "组织者", "参与人数", "活动概况"],
        rows,
    })
}

pub(super) async fn meetings_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let rows = meeting::Entity::find()
        .filter(meeting::Column::Date.gte(r.start_s()))
        .filter(meeting::Column::Date.lte(r.end_s()))
        .order_by_asc(meeting::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let attendees: Vec<String> =
                crate::infra::util::stored_json("meetings.attendees", m.id, &m.attendees)?;
            Ok(vec![
                m.date,
                meeting_kind_zh(m.kind.as_str()).to_owned(),
                m.title,
                attendees.join("、"),
                m.minutes,
                m.decisions,
            ])
        })
        .collect::<AppResult<_>>()?;
    Ok(Sheet {
        key: "meetings",
        name: "会议记录",
        headers: &["日期", "类型", "会议", "参会人员", "会议纪要", "决定事项"],
        rows,
    })
}

pub(super) async fn incidents_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let (start, end) = r.bounds_utc();
    let incidents = incident::Entity::find()
        .filter(incident::Column::OccurredAt.gte(start))
        .filter(incident::Column::OccurredAt.lt(end))
        .order_by_asc(incident::Column::OccurredAt)
        .all(db)
        .await?;
    let classes =
        crate::features::classes::names(db, incidents.iter().filter_map(|i| i.class_id)).await?;
    let rows = incidents
        .into_iter()
        .map(|i| {
            vec![
                local(i.occurred_at, r.tz),
                incident_kind_zh(i.kind.as_str()).to_owned(),
                i.place,
                severity_zh(i.severity.as_str()).to_owned(),
                i.description,
                i.actions_taken,
                yes(i.reported_to_police),
                yes(i.reported_to_fire),
                i.closed_at.map(|t| local(t, r.tz)).unwrap_or_default(),
                i.class_id
                    .and_then(|c| classes.get(&c).cloned())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Sheet {
        key: "incidents",
        name: "安全事件",
        headers: &[
            "发生时间",
            "类型",
            "地点",
            "严重程度",
            "经过",
            "处置情况",
            "报警(110)",
            "报火警(119)",
            "结案时间",
            "涉及班级",
        ],
        rows,
    })
}

pub(super) async fn health_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let users = names(db).await?;
    let rows = health::Entity::find()
        .filter(health::Column::Date.gte(r.start_s()))
        .filter(health::Column::Date.lte(r.end_s()))
        .order_by_asc(health::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|h| {
            vec![
                h.date,
                users
                    .get(&h.guard_id)
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                format!("{:.1}", h.temperature),
                yes(h.fit_for_duty),
                h.symptoms.unwrap_or_default(),
                yes(h.abnormal),
                h.acknowledged_at
                    .map(|t| local(t, r.tz))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    Ok(Sheet {
        key: "health",
        name: "保安体温检测日报",
        headers: &[
            "日期",
            "保安",
            "体温(℃)",
            "适合上岗",
            "症状",
            "异常",
            "保卫处处理时间",
        ],
        rows,
    })
}

pub(super) async fn announcements_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let (start, end) = r.bounds_utc();
    let list = announcement::Entity::find()
        .filter(announcement::Column::CreatedAt.gte(start))
        .filter(announcement::Column::CreatedAt.lt(end))
        .order_by_asc(announcement::Column::CreatedAt)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for a in list {
        let reads = read::Entity::find()
            .filter(read::Column::AnnouncementId.eq(a.id))
            .all(db)
            .await?
            .len();
        let roles: Vec<&str> = a.target_roles.split_whitespace().map(role_zh).collect();
        rows.push(vec![
            local(a.created_at, r.tz),
            a.title,
            roles.join("、"),
            a.body,
            reads.to_string(),
        ]);
    }
    Ok(Sheet {
        key: "announcements",
        name: "通报",
        headers: &["时间", "标题", "通报对象", "内容", "已读人数"],
        rows,
    })
}
