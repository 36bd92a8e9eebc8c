//! The semester plan (工作计划): sections, monthly items (月工作安排) with owners, due dates,
//! 报送/通报 targets and evidence, and its approval by the principal.

pub use crate::schema::plans as model;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{Office, PrincipalOnly, Role, Staff};
use crate::features::audit;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use model::{evidence, item, plan};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const STATUS_DRAFT: &str = "draft";
pub const STATUS_SUBMITTED: &str = "submitted";
pub const STATUS_APPROVED: &str = "approved";
pub const STATUS_RETURNED: &str = "returned";

pub const CATEGORIES: &[&str] = &[
    "meeting",
    "duty",
    "education",
    "inspection",
    "report",
    "drill",
    "platform",
    "other",
];
pub const ITEM_STATUSES: &[&str] = &["todo", "doing", "done"];
/// Records an item's evidence may point at (`inspection` is a check submission).
pub const EVIDENCE_TYPES: &[&str] = &[
    "duty_roster",
    "activity",
    "meeting",
    "incident",
    "announcement",
    "health_report",
    "inspection",
    "hazard",
];

// The date helpers live in infra; re-exported for the features that still import them here.
pub use crate::infra::dates::{check_date, check_date_range, fmt_date, parse_date, today};

fn trimmed(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

// ---------- DTOs ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSummary {
    pub id: Uuid,
    pub title: String,
    /// The semester's code, e.g. `2019-2020-2`.
    pub semester: String,
    /// The semester record (`/semesters`) with that code; null while none is defined.
    pub semester_id: Option<Uuid>,
    pub starts_on: String,
    pub ends_on: String,
    /// `draft`, `submitted`, `approved` or `returned`.
    pub status: String,
    pub return_comment: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    #[serde(flatten)]
    pub summary: PlanSummary,
    /// 指导思想.
    pub guiding_ideology: String,
    /// 主要目标及重点.
    pub goals_and_priorities: String,
    /// 工作措施.
    pub measures: String,
    /// 月工作安排, by month then sequence.
    pub items: Vec<ItemResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceResponse {
    pub id: Uuid,
    /// `duty_roster`, `activity`, `meeting`, `incident`, `announcement`, `health_report`,
    /// `inspection` or `hazard`.
    pub entity_type: String,
    pub entity_id: Uuid,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResponse {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    pub seq: i32,
    pub title: String,
    /// `meeting`, `duty`, `education`, `inspection`, `report`, `drill`, `platform`, `other`.
    pub category: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub due_date: Option<String>,
    /// 报送 (who it is reported to).
    pub report_to: Option<String>,
    /// 通报 (who is notified).
    pub notify: Option<String>,
    /// 备注, as written in the plan.
    pub note: Option<String>,
    /// `todo`, `doing` or `done`.
    pub status: String,
    /// Due date passed and not done.
    pub overdue: bool,
    pub evidence: Vec<EvidenceResponse>,
}

fn summary(p: &plan::Model) -> PlanSummary {
    PlanSummary {
        id: p.id,
        title: p.title.clone(),
        semester: p.semester.clone(),
        semester_id: p.semester_id,
        starts_on: p.starts_on.clone(),
        ends_on: p.ends_on.clone(),
        status: p.status.clone(),
        return_comment: p.return_comment.clone(),
        submitted_at: p.submitted_at,
        decided_at: p.decided_at,
        decided_by: p.decided_by,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

async fn user_names(db: &impl ConnectionTrait) -> AppResult<HashMap<Uuid, String>> {
    Ok(user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

async fn items_response(
    db: &impl ConnectionTrait,
    items: Vec<item::Model>,
    today: NaiveDate,
) -> AppResult<Vec<ItemResponse>> {
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let mut ev: HashMap<Uuid, Vec<EvidenceResponse>> = HashMap::new();
    if !ids.is_empty() {
        for chunk in ids.chunks(500) {
            for e in evidence::Entity::find()
                .filter(evidence::Column::ItemId.is_in(chunk.to_vec()))
                .order_by_asc(evidence::Column::CreatedAt)
                .all(db)
                .await?
            {
                ev.entry(e.item_id).or_default().push(EvidenceResponse {
                    id: e.id,
                    entity_type: e.entity_type,
                    entity_id: e.entity_id,
                    note: e.note,
                    created_at: e.created_at,
                });
            }
        }
    }
    let names = user_names(db).await?;
    Ok(items
        .into_iter()
        .map(|i| {
            let overdue = is_overdue(&i, today);
            ItemResponse {
                owner_name: i.owner_id.and_then(|o| names.get(&o).cloned()),
                evidence: ev.remove(&i.id).unwrap_or_default(),
                overdue,
                id: i.id,
                plan_id: i.plan_id,
                month: i.month,
                seq: i.seq,
                title: i.title,
                category: i.category,
                owner_id: i.owner_id,
                due_date: i.due_date,
                report_to: i.report_to,
                notify: i.notify,
                note: i.note,
                status: i.status,
            }
        })
        .collect())
}

pub fn is_overdue(i: &item::Model, today: NaiveDate) -> bool {
    i.status != "done"
        && i.due_date
            .as_deref()
            .and_then(parse_date)
            .is_some_and(|d| d < today)
}

async fn plan_response(
    db: &impl ConnectionTrait,
    p: plan::Model,
    today: NaiveDate,
) -> AppResult<PlanResponse> {
    let items = item::Entity::find()
        .filter(item::Column::PlanId.eq(p.id))
        .order_by_asc(item::Column::Month)
        .order_by_asc(item::Column::Seq)
        .all(db)
        .await?;
    Ok(PlanResponse {
        summary: summary(&p),
        items: items_response(db, items, today).await?,
        guiding_ideology: p.guiding_ideology,
        goals_and_priorities: p.goals_and_priorities,
        measures: p.measures,
    })
}

pub async fn find_plan(db: &impl ConnectionTrait, id: Uuid) -> AppResult<plan::Model> {
    plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PlanNotFound, "工作计划不存在"))
}

async fn find_item(db: &impl ConnectionTrait, id: Uuid) -> AppResult<item::Model> {
    item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PlanItemNotFound, "工作项目不存在"))
}

/// Only a draft or returned plan may change; a submitted one is under review and an approved
/// one is the record of what was agreed.
fn require_editable(p: &plan::Model) -> AppResult<()> {
    match p.status.as_str() {
        STATUS_DRAFT | STATUS_RETURNED => Ok(()),
        STATUS_APPROVED => Err(ApiError::conflict(
            ErrorCode::PlanLocked,
            "工作计划已审批通过,内容只读;如需调整请复制为新计划",
        )),
        _ => Err(ApiError::conflict(
            ErrorCode::PlanLocked,
            "工作计划正在审批中,不能修改;请等待校长室审批或退回",
        )),
    }
}

fn audit_plan(p: &plan::Model) -> serde_json::Value {
    json!({
        "title": p.title, "semester": p.semester, "starts_on": p.starts_on,
        "ends_on": p.ends_on, "status": p.status, "return_comment": p.return_comment,
    })
}

fn audit_item(i: &item::Model) -> serde_json::Value {
    json!({
        "plan_id": i.plan_id, "month": i.month, "seq": i.seq, "title": i.title,
        "category": i.category, "owner_id": i.owner_id, "due_date": i.due_date,
        "report_to": i.report_to, "notify": i.notify, "note": i.note, "status": i.status,
    })
}

// ---------- plans ----------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub semester: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Drafts and plans under review are the office's and the principal's; other staff see
/// approved plans only.
fn sees_drafts(u: &CurrentUser) -> bool {
    u.is(Role::SecurityOffice) || u.is(Role::Principal)
}

/// Semester plans, oldest first (class teachers and guards: approved plans only).
#[utoipa::path(
    tag = "plans",
    params(PlanQuery),
    responses((status = 200, body = Page<PlanSummary>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/plans")]
pub async fn list_plans(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<PlanQuery>,
) -> AppResult<web::Json<Page<PlanSummary>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let mut select = plan::Entity::find();
    if !sees_drafts(&auth.user) {
        select = select.filter(plan::Column::Status.eq(STATUS_APPROVED));
    }
    if let Some(s) = q
        .semester
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        select = select.filter(plan::Column::Semester.eq(s));
    }
    if let Some(s) = q.status.as_deref() {
        select = select.filter(plan::Column::Status.eq(s));
    }
    if let Some(after) = &paging.after {
        let after = Uuid::parse_str(after)
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
        select = select.filter(plan::Column::Id.gt(after));
    }
    let rows = select
        .order_by_asc(plan::Column::Id)
        .limit(paging.fetch_limit())
        .all(&state.db.conn)
        .await?;
    let page = paging.page(rows, |p| p.id.to_string());
    Ok(web::Json(Page {
        items: page.items.iter().map(summary).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlanRequest {
    pub title: String,
    /// A semester's code, e.g. `2019-2020-2`: the plan belongs to the semester with that code
    /// (`semester_id`), or to the next one defined with it.
    pub semester: String,
    pub starts_on: String,
    pub ends_on: String,
    #[serde(default)]
    pub guiding_ideology: String,
    #[serde(default)]
    pub goals_and_priorities: String,
    #[serde(default)]
    pub measures: String,
}

fn check_plan_fields(
    v: &mut Validator,
    title: &str,
    semester: &str,
    starts_on: &str,
    ends_on: &str,
    sections: [&str; 3],
) {
    v.text("title", title, 1, 200);
    v.text("semester", semester, 1, 32);
    let s = check_date(v, "starts_on", starts_on);
    let e = check_date(v, "ends_on", ends_on);
    if let (Some(s), Some(e)) = (s, e)
        && e < s
    {
        v.add("ends_on", "invalid", "结束日期不能早于开始日期");
    }
    for (field, text) in ["guiding_ideology", "goals_and_priorities", "measures"]
        .iter()
        .zip(sections)
    {
        v.opt_text(field, Some(text), 50_000);
    }
}

/// Start a semester plan (a draft).
#[utoipa::path(
    tag = "plans",
    request_body = CreatePlanRequest,
    responses((status = 201, body = PlanResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/plans")]
pub async fn create_plan(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreatePlanRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    check_plan_fields(
        &mut v,
        &b.title,
        &b.semester,
        &b.starts_on,
        &b.ends_on,
        [&b.guiding_ideology, &b.goals_and_priorities, &b.measures],
    );
    v.finish()?;
    let now = crate::infra::util::now();
    let tx = state.db.begin_write().await?;
    let p = plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(b.title.trim().to_owned()),
        semester: Set(b.semester.trim().to_owned()),
        semester_id: Set(crate::features::semesters::by_code(&*tx, &b.semester)
            .await?
            .map(|s| s.id)),
        starts_on: Set(b.starts_on.trim().to_owned()),
        ends_on: Set(b.ends_on.trim().to_owned()),
        guiding_ideology: Set(b.guiding_ideology),
        goals_and_priorities: Set(b.goals_and_priorities),
        measures: Set(b.measures),
        status: Set(STATUS_DRAFT.into()),
        return_comment: Set(None),
        submitted_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        created_by: Set(auth.user.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan.create",
        "plan",
        Some(p.id.to_string()),
        json!({"after": audit_plan(&p)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(plan_response(&state.db.conn, p, today(state.tz)).await?))
}

/// One plan with its sections and monthly items (drafts: the office and the principal only).
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/plans/{id}")]
pub async fn get_plan(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PlanResponse>> {
    let db = &state.db.conn;
    let p = find_plan(db, id.into_inner()).await?;
    if p.status != STATUS_APPROVED && !sees_drafts(&auth.user) {
        return Err(ApiError::not_found(
            ErrorCode::PlanNotFound,
            "工作计划不存在",
        ));
    }
    Ok(web::Json(plan_response(db, p, today(state.tz)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePlanRequest {
    pub title: Option<String>,
    pub semester: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub guiding_ideology: Option<String>,
    pub goals_and_priorities: Option<String>,
    pub measures: Option<String>,
}

/// Change a draft or returned plan (`409 plan_locked` once submitted or approved).
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = UpdatePlanRequest,
    responses((status = 200, body = PlanResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[patch("/plans/{id}")]
pub async fn update_plan(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdatePlanRequest>,
) -> AppResult<web::Json<PlanResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = find_plan(&*tx, id.into_inner()).await?;
    require_editable(&before)?;
    let title = b.title.clone().unwrap_or_else(|| before.title.clone());
    let semester = b
        .semester
        .clone()
        .unwrap_or_else(|| before.semester.clone());
    let starts_on = b
        .starts_on
        .clone()
        .unwrap_or_else(|| before.starts_on.clone());
    let ends_on = b.ends_on.clone().unwrap_or_else(|| before.ends_on.clone());
    let gi = b
        .guiding_ideology
        .clone()
        .unwrap_or_else(|| before.guiding_ideology.clone());
    let gp = b
        .goals_and_priorities
        .clone()
        .unwrap_or_else(|| before.goals_and_priorities.clone());
    let me = b
        .measures
        .clone()
        .unwrap_or_else(|| before.measures.clone());
    let mut v = Validator::new();
    check_plan_fields(
        &mut v,
        &title,
        &semester,
        &starts_on,
        &ends_on,
        [&gi, &gp, &me],
    );
    v.finish()?;
    let mut a: plan::ActiveModel = before.clone().into();
    a.title = Set(title.trim().to_owned());
    a.semester = Set(semester.trim().to_owned());
    a.semester_id = Set(crate::features::semesters::by_code(&*tx, &semester)
        .await?
        .map(|s| s.id));
    a.starts_on = Set(starts_on.trim().to_owned());
    a.ends_on = Set(ends_on.trim().to_owned());
    a.guiding_ideology = Set(gi);
    a.goals_and_priorities = Set(gp);
    a.measures = Set(me);
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan.update",
        "plan",
        Some(after.id.to_string()),
        json!({"before": audit_plan(&before), "after": audit_plan(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(
        plan_response(&state.db.conn, after, today(state.tz)).await?,
    ))
}

async fn transition(
    state: &State,
    actor: &CurrentUser,
    id: Uuid,
    action: &str,
    apply: impl FnOnce(&plan::Model, &mut plan::ActiveModel) -> AppResult<()>,
) -> AppResult<PlanResponse> {
    let tx = state.db.begin_write().await?;
    let before = find_plan(&*tx, id).await?;
    let mut a: plan::ActiveModel = before.clone().into();
    apply(&before, &mut a)?;
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        actor.actor(),
        action,
        "plan",
        Some(after.id.to_string()),
        json!({"before": audit_plan(&before), "after": audit_plan(&after)}),
    )
    .await?;
    tx.commit().await?;
    plan_response(&state.db.conn, after, today(state.tz)).await
}

/// Submit a draft (or returned) plan to the principal for approval.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`plan_locked`", body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/plans/{id}/submit")]
pub async fn submit_plan(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PlanResponse>> {
    let r = transition(
        &state,
        &auth.user,
        id.into_inner(),
        "plan.submit",
        |p, a| {
            require_editable(p)?;
            a.status = Set(STATUS_SUBMITTED.into());
            a.submitted_at = Set(Some(crate::infra::util::now()));
            Ok(())
        },
    )
    .await?;
    Ok(web::Json(r))
}

fn require_submitted(p: &plan::Model) -> AppResult<()> {
    if p.status == STATUS_SUBMITTED {
        Ok(())
    } else {
        Err(ApiError::conflict(
            ErrorCode::PlanNotSubmitted,
            "只能审批已提交的工作计划",
        ))
    }
}

/// Approve a submitted plan (校长室 only). An approved plan is read-only.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PlanResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`plan_not_submitted`", body = crate::infra::error::Problem)),
    security(("bearer" = ["principal"]))
)]
#[post("/plans/{id}/approve")]
pub async fn approve_plan(
    auth: Auth<PrincipalOnly>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<PlanResponse>> {
    let uid = auth.user.id;
    let r = transition(
        &state,
        &auth.user,
        id.into_inner(),
        "plan.approve",
        |p, a| {
            require_submitted(p)?;
            a.status = Set(STATUS_APPROVED.into());
            a.decided_at = Set(Some(crate::infra::util::now()));
            a.decided_by = Set(Some(uid));
            a.return_comment = Set(None);
            Ok(())
        },
    )
    .await?;
    Ok(web::Json(r))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnPlanRequest {
    /// Why it is returned, what to change.
    pub comment: String,
}

/// Return a submitted plan to the office with a comment (校长室 only).
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = ReturnPlanRequest,
    responses((status = 200, body = PlanResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal"]))
)]
#[post("/plans/{id}/return")]
pub async fn return_plan(
    auth: Auth<PrincipalOnly>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<ReturnPlanRequest>,
) -> AppResult<web::Json<PlanResponse>> {
    let mut v = Validator::new();
    v.text("comment", &body.comment, 1, 2000);
    v.finish()?;
    let uid = auth.user.id;
    let comment = body.comment.trim().to_owned();
    let r = transition(
        &state,
        &auth.user,
        id.into_inner(),
        "plan.return",
        |p, a| {
            require_submitted(p)?;
            a.status = Set(STATUS_RETURNED.into());
            a.decided_at = Set(Some(crate::infra::util::now()));
            a.decided_by = Set(Some(uid));
            a.return_comment = Set(Some(comment));
            Ok(())
        },
    )
    .await?;
    Ok(web::Json(r))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyPlanRequest {
    pub semester: String,
    pub starts_on: String,
    pub ends_on: String,
    /// Defaults to the original title.
    pub title: Option<String>,
}

fn shift_month(month: &str, by: i32) -> String {
    match NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d") {
        Ok(d) => {
            let moved = if by >= 0 {
                d.checked_add_months(Months::new(by as u32))
            } else {
                d.checked_sub_months(Months::new(by.unsigned_abs()))
            };
            moved
                .map(|d| d.format("%Y-%m").to_string())
                .unwrap_or_else(|| month.to_owned())
        }
        Err(_) => month.to_owned(),
    }
}

fn shift_date(date: &str, by: i32) -> String {
    match parse_date(date) {
        Some(d) => {
            let moved = if by >= 0 {
                d.checked_add_months(Months::new(by as u32))
            } else {
                d.checked_sub_months(Months::new(by.unsigned_abs()))
            };
            moved.map(fmt_date).unwrap_or_else(|| date.to_owned())
        }
        None => date.to_owned(),
    }
}

/// Copy a plan into a new semester: a new draft with the same sections and items, months and
/// due dates moved by the whole months between the two semesters' starts, every item `todo`
/// and without evidence.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = CopyPlanRequest,
    responses((status = 201, body = PlanResponse), (status = 404, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/plans/{id}/copy")]
pub async fn copy_plan(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<CopyPlanRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let src = find_plan(&*tx, id.into_inner()).await?;
    let title = trimmed(b.title).unwrap_or_else(|| src.title.clone());
    let mut v = Validator::new();
    check_plan_fields(
        &mut v,
        &title,
        &b.semester,
        &b.starts_on,
        &b.ends_on,
        ["", "", ""],
    );
    v.finish()?;
    let months = match (parse_date(&src.starts_on), parse_date(&b.starts_on)) {
        (Some(a), Some(n)) => (n.year() - a.year()) * 12 + n.month() as i32 - a.month() as i32,
        _ => 0,
    };
    let now = crate::infra::util::now();
    let p = plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title),
        semester: Set(b.semester.trim().to_owned()),
        semester_id: Set(crate::features::semesters::by_code(&*tx, &b.semester)
            .await?
            .map(|s| s.id)),
        starts_on: Set(b.starts_on.trim().to_owned()),
        ends_on: Set(b.ends_on.trim().to_owned()),
        guiding_ideology: Set(src.guiding_ideology.clone()),
        goals_and_priorities: Set(src.goals_and_priorities.clone()),
        measures: Set(src.measures.clone()),
        status: Set(STATUS_DRAFT.into()),
        return_comment: Set(None),
        submitted_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        created_by: Set(auth.user.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    let items = item::Entity::find()
        .filter(item::Column::PlanId.eq(src.id))
        .all(&*tx)
        .await?;
    let count = items.len();
    for i in items {
        item::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(p.id),
            month: Set(shift_month(&i.month, months)),
            seq: Set(i.seq),
            title: Set(i.title),
            category: Set(i.category),
            owner_id: Set(i.owner_id),
            due_date: Set(i.due_date.map(|d| shift_date(&d, months))),
            report_to: Set(i.report_to),
            notify: Set(i.notify),
            note: Set(i.note),
            status: Set("todo".into()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&*tx)
        .await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan.copy",
        "plan",
        Some(p.id.to_string()),
        json!({"from_plan_id": src.id, "items": count, "after": audit_plan(&p)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(plan_response(&state.db.conn, p, today(state.tz)).await?))
}

// ---------- items ----------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateItemRequest {
    /// `YYYY-MM`.
    pub month: String,
    /// Order within the month; defaults to after the last.
    pub seq: Option<i32>,
    pub title: String,
    pub category: String,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<String>,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
}

fn check_month(v: &mut Validator, m: &str) {
    if NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").is_err()
        || m.trim().len() != 7
    {
        v.add("month", "invalid", "月份格式应为 YYYY-MM");
    }
}

fn check_category(v: &mut Validator, c: &str) {
    if !CATEGORIES.contains(&c) {
        v.add("category", "invalid", "类别无效");
    }
}

async fn check_owner(
    db: &impl ConnectionTrait,
    v: &mut Validator,
    owner: Option<Uuid>,
) -> AppResult<()> {
    if let Some(o) = owner
        && user::Entity::find_by_id(o).one(db).await?.is_none()
    {
        v.add("owner_id", "not_found", "负责人不存在");
    }
    Ok(())
}

/// Add a monthly item to a draft or returned plan.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = CreateItemRequest,
    responses((status = 201, body = ItemResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/plans/{id}/items")]
pub async fn create_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<CreateItemRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let p = find_plan(&*tx, id.into_inner()).await?;
    require_editable(&p)?;
    let mut v = Validator::new();
    check_month(&mut v, &b.month);
    v.text("title", &b.title, 1, 500);
    check_category(&mut v, &b.category);
    if let Some(d) = &b.due_date {
        check_date(&mut v, "due_date", d);
    }
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    check_owner(&*tx, &mut v, b.owner_id).await?;
    v.finish()?;
    let seq = match b.seq {
        Some(s) => s,
        None => {
            item::Entity::find()
                .filter(item::Column::PlanId.eq(p.id))
                .filter(item::Column::Month.eq(b.month.trim()))
                .all(&*tx)
                .await?
                .iter()
                .map(|i| i.seq)
                .max()
                .unwrap_or(0)
                + 1
        }
    };
    let now = crate::infra::util::now();
    let it = item::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(p.id),
        month: Set(b.month.trim().to_owned()),
        seq: Set(seq),
        title: Set(b.title.trim().to_owned()),
        category: Set(b.category),
        owner_id: Set(b.owner_id),
        due_date: Set(trimmed(b.due_date)),
        report_to: Set(trimmed(b.report_to)),
        notify: Set(trimmed(b.notify)),
        note: Set(trimmed(b.note)),
        status: Set("todo".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.create",
        "plan_item",
        Some(it.id.to_string()),
        json!({"after": audit_item(&it)}),
    )
    .await?;
    tx.commit().await?;
    let mut r = items_response(&state.db.conn, vec![it], today(state.tz)).await?;
    Ok(HttpResponse::Created().json(r.pop()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateItemRequest {
    /// Progress (`todo`, `doing`, `done`): the office or the item's owner, also on an
    /// approved plan — carrying it out is not changing it.
    pub status: Option<String>,
    /// The fields below change the plan itself: the office only, draft or returned plans only.
    pub month: Option<String>,
    pub seq: Option<i32>,
    pub title: Option<String>,
    pub category: Option<String>,
    /// The nil UUID removes the owner.
    pub owner_id: Option<Uuid>,
    /// An empty string clears it.
    pub due_date: Option<String>,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
}

fn may_progress(user: &CurrentUser, it: &item::Model) -> AppResult<()> {
    if user.is(Role::SecurityOffice) || it.owner_id == Some(user.id) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            ErrorCode::NotItemOwner,
            "只有负责人或保卫处可以更新此项目",
        ))
    }
}

/// Update an item: progress (office or owner) or content (office, editable plans only).
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = UpdateItemRequest,
    responses((status = 200, body = ItemResponse), (status = 403, body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[patch("/plan-items/{id}")]
pub async fn update_item(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateItemRequest>,
) -> AppResult<web::Json<ItemResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = find_item(&*tx, id.into_inner()).await?;
    may_progress(&auth.user, &before)?;
    let structural = b.month.is_some()
        || b.seq.is_some()
        || b.title.is_some()
        || b.category.is_some()
        || b.owner_id.is_some()
        || b.due_date.is_some()
        || b.report_to.is_some()
        || b.notify.is_some()
        || b.note.is_some();
    if structural {
        if !auth.user.is(Role::SecurityOffice) {
            return Err(ApiError::forbidden(
                ErrorCode::ForbiddenRole,
                "只有保卫处可以修改计划内容",
            ));
        }
        require_editable(&find_plan(&*tx, before.plan_id).await?)?;
    }
    let mut v = Validator::new();
    if let Some(s) = &b.status
        && !ITEM_STATUSES.contains(&s.as_str())
    {
        v.add("status", "invalid", "状态无效");
    }
    if let Some(m) = &b.month {
        check_month(&mut v, m);
    }
    if let Some(t) = &b.title {
        v.text("title", t, 1, 500);
    }
    if let Some(c) = &b.category {
        check_category(&mut v, c);
    }
    if let Some(d) = b.due_date.as_deref().filter(|d| !d.trim().is_empty()) {
        check_date(&mut v, "due_date", d);
    }
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    check_owner(&*tx, &mut v, b.owner_id.filter(|o| !o.is_nil())).await?;
    v.finish()?;
    let mut a: item::ActiveModel = before.clone().into();
    if let Some(s) = b.status {
        a.status = Set(s);
    }
    if let Some(m) = b.month {
        a.month = Set(m.trim().to_owned());
    }
    if let Some(s) = b.seq {
        a.seq = Set(s);
    }
    if let Some(t) = b.title {
        a.title = Set(t.trim().to_owned());
    }
    if let Some(c) = b.category {
        a.category = Set(c);
    }
    if let Some(o) = b.owner_id {
        a.owner_id = Set((!o.is_nil()).then_some(o));
    }
    if b.due_date.is_some() {
        a.due_date = Set(trimmed(b.due_date));
    }
    if b.report_to.is_some() {
        a.report_to = Set(trimmed(b.report_to));
    }
    if b.notify.is_some() {
        a.notify = Set(trimmed(b.notify));
    }
    if b.note.is_some() {
        a.note = Set(trimmed(b.note));
    }
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.update",
        "plan_item",
        Some(after.id.to_string()),
        json!({"before": audit_item(&before), "after": audit_item(&after)}),
    )
    .await?;
    tx.commit().await?;
    let mut r = items_response(&state.db.conn, vec![after], today(state.tz)).await?;
    r.pop().map(web::Json).ok_or_else(ApiError::internal)
}

/// Remove an item from a draft or returned plan.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/plan-items/{id}")]
pub async fn delete_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let it = find_item(&*tx, id.into_inner()).await?;
    require_editable(&find_plan(&*tx, it.plan_id).await?)?;
    item::Entity::delete_by_id(it.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.delete",
        "plan_item",
        Some(it.id.to_string()),
        json!({"before": audit_item(&it)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddEvidenceRequest {
    /// `duty_roster`, `activity`, `meeting`, `incident`, `announcement`, `health_report`,
    /// `inspection` or `hazard`.
    pub entity_type: String,
    pub entity_id: Uuid,
    pub note: Option<String>,
}

/// Whether the record an evidence link names exists.
async fn evidence_exists(db: &impl ConnectionTrait, kind: &str, id: Uuid) -> AppResult<bool> {
    use crate::schema::duty::roster;
    use crate::schema::records::{activity, announcement, health, incident, meeting};
    Ok(match kind {
        "duty_roster" => roster::Entity::find_by_id(id).one(db).await?.is_some(),
        "activity" => activity::Entity::find_by_id(id).one(db).await?.is_some(),
        "meeting" => meeting::Entity::find_by_id(id).one(db).await?.is_some(),
        "incident" => incident::Entity::find_by_id(id).one(db).await?.is_some(),
        "announcement" => announcement::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        "health_report" => health::Entity::find_by_id(id).one(db).await?.is_some(),
        "inspection" => crate::schema::inspections::submission::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        "hazard" => crate::schema::hazards::hazard::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        _ => true,
    })
}

/// Link a record that proves an item was done (a roster, an activity, a meeting …).
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = AddEvidenceRequest,
    responses((status = 201, body = ItemResponse), (status = 403, body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/plan-items/{id}/evidence")]
pub async fn add_evidence(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AddEvidenceRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let it = find_item(&*tx, id.into_inner()).await?;
    may_progress(&auth.user, &it)?;
    let mut v = Validator::new();
    if !EVIDENCE_TYPES.contains(&b.entity_type.as_str()) {
        v.add("entity_type", "invalid", "记录类型无效");
    } else if !evidence_exists(&*tx, &b.entity_type, b.entity_id).await? {
        v.add("entity_id", "not_found", "所指记录不存在");
    }
    v.opt_text("note", b.note.as_deref(), 500);
    v.finish()?;
    let e = link_evidence(
        &*tx,
        it.id,
        &b.entity_type,
        b.entity_id,
        trimmed(b.note),
        Some(auth.user.id),
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.evidence_add",
        "plan_item",
        Some(it.id.to_string()),
        json!({"evidence_id": e.id, "entity_type": e.entity_type, "entity_id": e.entity_id}),
    )
    .await?;
    tx.commit().await?;
    let mut r = items_response(&state.db.conn, vec![it], today(state.tz)).await?;
    Ok(HttpResponse::Created().json(r.pop()))
}

pub async fn link_evidence(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    entity_type: &str,
    entity_id: Uuid,
    note: Option<String>,
    by: Option<Uuid>,
) -> AppResult<evidence::Model> {
    Ok(evidence::ActiveModel {
        id: Set(Uuid::now_v7()),
        item_id: Set(item_id),
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(entity_id),
        note: Set(note),
        created_by: Set(by),
        created_at: Set(crate::infra::util::now()),
    }
    .insert(db)
    .await?)
}

/// Unlink evidence from an item.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/plan-items/{id}/evidence/{evidence_id}")]
pub async fn delete_evidence(
    auth: Auth<Office>,
    state: State,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (item_id, ev_id) = path.into_inner();
    let tx = state.db.begin_write().await?;
    let e = evidence::Entity::find_by_id(ev_id)
        .filter(evidence::Column::ItemId.eq(item_id))
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::EvidenceNotFound, "佐证记录不存在"))?;
    evidence::Entity::delete_by_id(e.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.evidence_remove",
        "plan_item",
        Some(item_id.to_string()),
        json!({"evidence_id": e.id, "entity_type": e.entity_type, "entity_id": e.entity_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyTasksQuery {
    /// Look this many days ahead (1–366, default 14). Overdue items are always included.
    pub days: Option<i64>,
}

/// "My tasks": the signed-in person's unfinished items of approved plans that are overdue or
/// due within `days`, soonest first.
#[utoipa::path(
    tag = "plans",
    params(MyTasksQuery),
    responses((status = 200, body = Vec<ItemResponse>), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/plan-items/mine")]
pub async fn my_tasks(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<MyTasksQuery>,
) -> AppResult<web::Json<Vec<ItemResponse>>> {
    let days = query.days.unwrap_or(14);
    if !(1..=366).contains(&days) {
        let mut v = Validator::new();
        v.add("days", "invalid", "天数应在 1–366 之间");
        v.finish()?;
    }
    let db = &state.db.conn;
    let t = today(state.tz);
    let horizon = fmt_date(t + chrono::Duration::days(days));
    let approved: Vec<Uuid> = plan::Entity::find()
        .filter(plan::Column::Status.eq(STATUS_APPROVED))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let items = item::Entity::find()
        .filter(item::Column::OwnerId.eq(auth.user.id))
        .filter(item::Column::PlanId.is_in(approved))
        .filter(item::Column::Status.ne("done"))
        .filter(item::Column::DueDate.is_not_null())
        .filter(item::Column::DueDate.lte(horizon))
        .order_by_asc(item::Column::DueDate)
        .limit(200)
        .all(db)
        .await?;
    Ok(web::Json(items_response(db, items, t).await?))
}

/// Unfinished items of approved plans whose due date has passed (for the dashboard).
pub async fn overdue_items(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
) -> AppResult<Vec<item::Model>> {
    let approved: Vec<Uuid> = plan::Entity::find()
        .filter(plan::Column::Status.eq(STATUS_APPROVED))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(item::Entity::find()
        .filter(item::Column::PlanId.is_in(approved))
        .filter(item::Column::Status.ne("done"))
        .filter(item::Column::DueDate.is_not_null())
        .filter(item::Column::DueDate.lt(fmt_date(today(tz))))
        .order_by_asc(item::Column::DueDate)
        .all(db)
        .await?)
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(update_plan)
        .service(submit_plan)
        .service(approve_plan)
        .service(return_plan)
        .service(copy_plan)
        .service(create_item)
        .service(my_tasks)
        .service(update_item)
        .service(delete_item)
        .service(add_evidence)
        .service(delete_evidence);
}
