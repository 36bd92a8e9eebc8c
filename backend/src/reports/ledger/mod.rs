//! The safety ledger (安全工作台账) of a semester: every record by category, as an XLSX
//! workbook (one sheet per category, Chinese headers) and as a printable HTML page.
//!
//! Each category is one `async fn(db, &Range) -> Sheet` listed in `sheets`; adding one = one
//! such function and one line in `sheets`.

use crate::auth::extract::Auth;
use crate::auth::roles::{OfficeOrPrincipal, Role};
use crate::features::audit;
use crate::features::plans::{check_date, fmt_date, parse_date};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::duty::{roster, shift};
use crate::schema::plans::{evidence, item, plan};
use crate::schema::records::{activity, announcement, health, incident, meeting, read};
use crate::schema::users as user;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{NaiveDate, TimeZone};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub semester: Option<String>,
    /// The defined semester's name (e.g. `2026-2027学年第一学期`), when there is one.
    pub semester_name: Option<String>,
    pub tz: chrono_tz::Tz,
}

impl Range {
    fn start_s(&self) -> String {
        fmt_date(self.from)
    }
    fn end_s(&self) -> String {
        fmt_date(self.to)
    }
    fn bounds_utc(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        let start = self
            .tz
            .from_local_datetime(&self.from.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        let end_day = self.to.succ_opt().unwrap_or(self.to);
        let end = self
            .tz
            .from_local_datetime(&end_day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        (start, end)
    }
}

/// One category of the ledger.
pub struct Sheet {
    /// Stable key, e.g. `plan`.
    pub key: &'static str,
    /// Sheet name, e.g. `工作计划`.
    pub name: &'static str,
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

/// A cell that a spreadsheet would take for a formula (or DDE) is prefixed with `'`.
pub fn escape_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn role_zh(role: &str) -> &'static str {
    match role {
        "principal" => "校长室",
        "security_office" => "保卫处",
        "class_teacher" => "班主任",
        "guard" => "保安",
        "safety_officer" => "学生安全员",
        _ => "其他",
    }
}

fn yes(b: bool) -> String {
    if b { "是" } else { "否" }.to_owned()
}

fn local(ts: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    ts.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

async fn names(db: &impl ConnectionTrait) -> AppResult<HashMap<Uuid, user::Model>> {
    Ok(user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

async fn organisation(db: &impl ConnectionTrait, _r: &Range) -> AppResult<Sheet> {
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
                role_zh(&u.role).to_owned(),
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

fn category_zh(c: &str) -> &'static str {
    match c {
        "meeting" => "会议",
        "duty" => "值班",
        "education" => "教育",
        "inspection" => "检查",
        "report" => "报送",
        "drill" => "演练",
        "platform" => "平台",
        _ => "其他",
    }
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "todo" => "未开始",
        "doing" => "进行中",
        "done" => "已完成",
        "draft" => "草稿",
        "submitted" => "待审批",
        "approved" => "已批准",
        "returned" => "已退回",
        "published" => "已发布",
        _ => "",
    }
}

async fn plan_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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
                status_zh(&p.status).to_owned(),
                i.month,
                i.seq.to_string(),
                i.title,
                category_zh(&i.category).to_owned(),
                i.owner_id
                    .and_then(|o| users.get(&o))
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                i.due_date.unwrap_or_default(),
                i.report_to.unwrap_or_default(),
                i.notify.unwrap_or_default(),
                i.note.unwrap_or_default(),
                status_zh(&i.status).to_owned(),
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

fn post_zh(p: &str) -> &'static str {
    match p {
        "leader_on_call" => "值班领导",
        "duty_teacher" => "值班教师",
        _ => "保安",
    }
}

async fn duty_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let rosters: HashMap<Uuid, roster::Model> = roster::Entity::find()
        .filter(roster::Column::Status.eq(crate::features::duty::PUBLISHED))
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
                post_zh(&s.post).to_owned(),
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

async fn activities_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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
                if a.kind == "drill" {
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

fn meeting_kind_zh(k: &str) -> &'static str {
    match k {
        "guard_meeting" => "保安例会",
        "safety_officer_meeting" => "学生安全员例会",
        "leadership_group" => "安全领导小组会议",
        _ => "其他会议",
    }
}

async fn meetings_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let rows = meeting::Entity::find()
        .filter(meeting::Column::Date.gte(r.start_s()))
        .filter(meeting::Column::Date.lte(r.end_s()))
        .order_by_asc(meeting::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let attendees: Vec<String> = serde_json::from_str(&m.attendees).unwrap_or_default();
            vec![
                m.date,
                meeting_kind_zh(&m.kind).to_owned(),
                m.title,
                attendees.join("、"),
                m.minutes,
                m.decisions,
            ]
        })
        .collect();
    Ok(Sheet {
        key: "meetings",
        name: "会议记录",
        headers: &["日期", "类型", "会议", "参会人员", "会议纪要", "决定事项"],
        rows,
    })
}

fn incident_kind_zh(k: &str) -> &'static str {
    match k {
        "theft" => "盗窃",
        "injury" => "伤害",
        "traffic" => "交通",
        "fire" => "火情",
        "intrusion" => "闯入",
        _ => "其他",
    }
}

fn severity_zh(s: &str) -> &'static str {
    match s {
        "minor" => "轻微",
        "moderate" => "一般",
        "serious" => "较重",
        _ => "重大",
    }
}

async fn incidents_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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
                incident_kind_zh(&i.kind).to_owned(),
                i.place,
                severity_zh(&i.severity).to_owned(),
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

async fn health_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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

async fn announcements_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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

async fn inspections_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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
                if s.kind == "spot_check" {
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

fn hazard_status_zh(s: &str) -> &'static str {
    match s {
        "reported" => "已上报",
        "assigned" => "整改中",
        "rectified" => "待验收",
        "closed" => "已销号",
        _ => "其他",
    }
}

async fn hazards_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    use crate::schema::hazards::hazard;
    let (start, end) = r.bounds_utc();
    let users = names(db).await?;
    let name = |id: Option<Uuid>| {
        id.and_then(|i| users.get(&i))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    let rows = hazard::Entity::find()
        .filter(hazard::Column::ReportedAt.gte(start))
        .filter(hazard::Column::ReportedAt.lt(end))
        .order_by_asc(hazard::Column::ReportedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|h| {
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
                name(Some(h.reported_by)),
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
async fn gate_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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
                if s.direction == "exit" {
                    "出校"
                } else {
                    "返校"
                }
                .to_owned(),
                if s.result == "allow" {
                    "放行"
                } else {
                    "拒绝"
                }
                .to_owned(),
                s.code,
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

fn visit_status_zh(s: &str) -> &'static str {
    match s {
        crate::features::visitors::STATUS_REFUSED => "拒绝入校",
        crate::features::visitors::STATUS_PENDING => "待保卫处决定",
        _ => "准许入校",
    }
}

/// Every visitor checked in during the period. The ID number appears only masked, as stored
/// (its last 4 characters); phone numbers are not part of the ledger.
async fn visitors_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
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
                visit_status_zh(&v.status).into(),
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

/// Every category this build can produce, in ledger order.
pub async fn sheets(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Sheet>> {
    Ok([
        organisation(db, r).await?,
        plan_sheet(db, r).await?,
        duty_sheet(db, r).await?,
        inspections_sheet(db, r).await?,
        hazards_sheet(db, r).await?,
        activities_sheet(db, r).await?,
        meetings_sheet(db, r).await?,
        incidents_sheet(db, r).await?,
        health_sheet(db, r).await?,
        announcements_sheet(db, r).await?,
        gate_sheet(db, r).await?,
        visitors_sheet(db, r).await?,
        crate::reports::platform::ledger_sheet(db, r).await?,
    ]
    .into_iter()
    .chain(crate::reports::assessment::ledger_sheets(db, r).await?)
    .collect())
}

/// The assessment's counts and points are written as numbers, so that they sum in a
/// spreadsheet and negative points show as `-2`, not `'-2` (a number cannot be a formula).
/// Elsewhere digits stay text: a student number is an identifier, not a quantity.
fn has_numbers(s: &Sheet) -> bool {
    s.key.starts_with("assessment_")
}

pub fn to_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(s.name)?;
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
            ws.set_column_width(c as u16, 16)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let numbers = has_numbers(s);
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = ((r + 1) as u32, c as u16);
                match cell.parse::<i32>() {
                    Ok(n) if numbers && n.to_string() == *cell => {
                        ws.write_number(r, c, f64::from(n))?
                    }
                    _ => ws.write_string(r, c, escape_cell(cell))?,
                };
            }
        }
    }
    wb.save_to_buffer()
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

pub fn to_html(school: &str, r: &Range, sheets: &[Sheet]) -> String {
    let title = format!(
        "{school} 安全工作台账 {}",
        r.semester.clone().unwrap_or_default()
    );
    let mut out = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
body{{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;font-size:12px;margin:16px}}\
h1{{font-size:20px;text-align:center}}h2{{font-size:16px;margin-top:24px}}\
table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #444;padding:3px 5px;vertical-align:top}}\
th{{background:#eee}}section{{page-break-after:always}}section:last-child{{page-break-after:auto}}\
@media print{{body{{margin:0}}thead{{display:table-header-group}}}}</style></head><body>\
<h1>{}</h1><p>统计范围:{} 至 {}</p>",
        html_escape(&title),
        html_escape(&title),
        r.start_s(),
        r.end_s()
    );
    for s in sheets {
        out.push_str(&format!(
            "<section><h2>{}({} 条)</h2><table><thead><tr>",
            html_escape(s.name),
            s.rows.len()
        ));
        for h in s.headers {
            out.push_str(&format!("<th>{}</th>", html_escape(h)));
        }
        out.push_str("</tr></thead><tbody>");
        if s.rows.is_empty() {
            out.push_str(&format!(
                "<tr><td colspan=\"{}\">无记录</td></tr>",
                s.headers.len()
            ));
        }
        for row in &s.rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str(&format!("<td>{}</td>", html_escape(&escape_cell(cell))));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></section>");
    }
    out.push_str("</body></html>");
    out
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// A semester's code (e.g. `2019-2020-2`): the range is that semester's days (or, for a
    /// code no semester has, the dates of the plan written for it). With neither `semester`
    /// nor `from`/`to`: the current semester (`404 no_current_semester` when none).
    pub semester: Option<String>,
    /// With `to`, instead of `semester`: a date range.
    pub from: Option<String>,
    pub to: Option<String>,
}

fn semester_range(s: crate::features::semesters::Semester, tz: chrono_tz::Tz) -> AppResult<Range> {
    let (Some(from), Some(to)) = (parse_date(&s.starts_on), parse_date(&s.ends_on)) else {
        return Err(ApiError::internal());
    };
    Ok(Range {
        from,
        to,
        semester: Some(s.code),
        semester_name: Some(s.name),
        tz,
    })
}

/// The longest `from`–`to` range a report covers (two school years).
pub const MAX_RANGE_DAYS: i64 = 2 * 366;

pub async fn resolve_range(
    db: &impl ConnectionTrait,
    q: &LedgerQuery,
    tz: chrono_tz::Tz,
) -> AppResult<Range> {
    let mut v = Validator::new();
    if let Some(sem) = q
        .semester
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if let Some(s) = crate::features::semesters::by_code(db, sem).await? {
            return semester_range(s, tz);
        }
        let plans = plan::Entity::find()
            .filter(plan::Column::Semester.eq(sem))
            .order_by_asc(plan::Column::Id)
            .all(db)
            .await?;
        // Prefer the approved plan's dates.
        let p = plans
            .iter()
            .find(|p| p.status == crate::features::plans::STATUS_APPROVED)
            .or(plans.first())
            .ok_or_else(|| {
                ApiError::not_found(ErrorCode::SemesterNotFound, "该学期没有工作计划")
            })?;
        let (Some(from), Some(to)) = (parse_date(&p.starts_on), parse_date(&p.ends_on)) else {
            return Err(ApiError::internal());
        };
        return Ok(Range {
            from,
            to,
            semester: Some(sem.to_owned()),
            semester_name: None,
            tz,
        });
    }
    if q.from.is_none() && q.to.is_none() {
        return semester_range(crate::features::semesters::current(db, tz).await?, tz);
    }
    let from = match &q.from {
        Some(f) => check_date(&mut v, "from", f),
        None => {
            v.add("from", "required", "必填");
            None
        }
    };
    let to = match &q.to {
        Some(t) => check_date(&mut v, "to", t),
        None => {
            v.add("to", "required", "必填");
            None
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        v.add("to", "invalid", "结束日期不能早于开始日期");
    }
    // Reports cover a semester or a school year; centuries of months would only make lists
    // of months and ids larger than a database accepts in one query.
    if let (Some(f), Some(t)) = (from, to)
        && (t - f).num_days() > MAX_RANGE_DAYS
    {
        v.add("to", "range_too_long", "时间范围不能超过两年");
    }
    v.finish()?;
    match (from, to) {
        (Some(from), Some(to)) => Ok(Range {
            from,
            to,
            semester: None,
            semester_name: None,
            tz,
        }),
        _ => Err(ApiError::internal()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerSheetSummary {
    pub key: String,
    pub name: String,
    pub rows: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerSummary {
    pub from: String,
    pub to: String,
    /// The semester's code, when the range is a semester.
    pub semester: Option<String>,
    /// The semester's name, when it is a defined semester.
    pub semester_name: Option<String>,
    pub sheets: Vec<LedgerSheetSummary>,
}

fn summary(r: &Range, sheets: &[Sheet]) -> LedgerSummary {
    LedgerSummary {
        from: r.start_s(),
        to: r.end_s(),
        semester: r.semester.clone(),
        semester_name: r.semester_name.clone(),
        sheets: sheets
            .iter()
            .map(|s| LedgerSheetSummary {
                key: s.key.into(),
                name: s.name.into(),
                rows: s.rows.len(),
            })
            .collect(),
    }
}

async fn record_export(
    state: &State,
    user: &crate::auth::extract::CurrentUser,
    format: &str,
    r: &Range,
    sheets: &[Sheet],
) -> AppResult<()> {
    let tx = state.db.begin_write().await?;
    let counts: serde_json::Map<String, serde_json::Value> = sheets
        .iter()
        .map(|s| (s.key.to_owned(), json!(s.rows.len())))
        .collect();
    audit::record(&*tx, user.actor(), "ledger.export", "ledger", r.semester.clone(), json!({"format": format, "from": r.start_s(), "to": r.end_s(), "semester": r.semester, "rows": counts})).await?;
    tx.commit().await?;
    Ok(())
}

/// What the ledger holds for a semester (sheet names and row counts); not an export.
#[utoipa::path(
    tag = "ledger",
    params(LedgerQuery),
    responses((status = 200, body = LedgerSummary), (status = 404, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/ledger")]
pub async fn ledger_summary(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    q: web::Query<LedgerQuery>,
) -> AppResult<web::Json<LedgerSummary>> {
    let db = &state.db.conn;
    let r = resolve_range(db, &q, state.tz).await?;
    let s = sheets(db, &r).await?;
    Ok(web::Json(summary(&r, &s)))
}

fn file_stem(r: &Range) -> String {
    let tag = r
        .semester
        .clone()
        .unwrap_or_else(|| format!("{}_{}", r.start_s(), r.end_s()));
    format!("xiaoan-ledger-{tag}")
}

/// The ledger as an XLSX workbook: one sheet per category, Chinese headers. Recorded in the
/// audit log (`ledger.export`).
#[utoipa::path(
    tag = "ledger",
    params(LedgerQuery),
    responses(
        (status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/ledger/xlsx")]
pub async fn ledger_xlsx(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    q: web::Query<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = resolve_range(db, &q, state.tz).await?;
    let s = sheets(db, &r).await?;
    let bytes = to_xlsx(&s).map_err(|e| {
        tracing::error!(error = %e, "xlsx build failed");
        ApiError::internal()
    })?;
    record_export(&state, &auth.user, "xlsx", &r, &s).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))
        .insert_header(crate::infra::download::attachment(&format!(
            "{}.xlsx",
            file_stem(&r)
        )))
        .body(bytes))
}

/// The ledger as a printable HTML page (one section per category). Recorded in the audit log.
#[utoipa::path(
    tag = "ledger",
    params(LedgerQuery),
    responses(
        (status = 200, description = "Printable HTML", content_type = "text/html", body = String),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/ledger/html")]
pub async fn ledger_html(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    q: web::Query<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = resolve_range(db, &q, state.tz).await?;
    let s = sheets(db, &r).await?;
    let school = crate::schema::school::Entity::find_by_id(1)
        .one(db)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let html = to_html(&school, &r, &s);
    record_export(&state, &auth.user, "html", &r, &s).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(html))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(ledger_summary)
        .service(ledger_xlsx)
        .service(ledger_html);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_escaped() {
        for s in ["=1+1", "+86 139", "-2", "@SUM(A1)", "\t=x"] {
            assert!(escape_cell(s).starts_with('\''), "{s}");
        }
        assert_eq!(escape_cell("清明节值班表"), "清明节值班表");
        assert_eq!(html_escape("<b>&"), "&lt;b&gt;&amp;");
    }
}
