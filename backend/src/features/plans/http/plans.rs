//! Plans: list, create, read, change, the lifecycle steps and copying into a new semester.

use super::{
    PlanResponse, PlanSummary, audit_plan, locked, not_submitted, parse_enum, plan_response,
    require_editable, sees_drafts, summary, trimmed,
};
use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{Office, PrincipalOnly, Staff};
use crate::features::audit;
use crate::features::events;
use crate::features::plans::lifecycle::{self, shift_date, shift_month};
use crate::features::plans::store;
use crate::infra::clock::{check_date, parse_date, today};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use crate::schema::plans::{ItemStatus, PlanStatus, item, plan};
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Datelike;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub semester: Option<String>,
    /// `draft`, `submitted`, `approved` or `returned`; another value matches no plan.
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
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
        select = select.filter(plan::Column::Status.eq(PlanStatus::Approved));
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
        match parse_enum::<PlanStatus>(s) {
            Some(s) => select = select.filter(plan::Column::Status.eq(s)),
            // No plan has a status outside the set.
            None => {
                return Ok(web::Json(Page {
                    items: vec![],
                    next_cursor: None,
                }));
            }
        }
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
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let p = plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(b.title.trim().to_owned()),
        semester: Set(b.semester.trim().to_owned()),
        semester_id: Set(store::semester_id_of(&*tx, &b.semester).await?),
        starts_on: Set(b.starts_on.trim().to_owned()),
        ends_on: Set(b.ends_on.trim().to_owned()),
        guiding_ideology: Set(b.guiding_ideology),
        goals_and_priorities: Set(b.goals_and_priorities),
        measures: Set(b.measures),
        status: Set(PlanStatus::Draft),
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
    let p = store::find_plan(db, id.into_inner()).await?;
    if p.status != PlanStatus::Approved && !sees_drafts(&auth.user) {
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
    let before = store::find_plan(&*tx, id.into_inner()).await?;
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
    a.semester_id = Set(store::semester_id_of(&*tx, &semester).await?);
    a.starts_on = Set(starts_on.trim().to_owned());
    a.ends_on = Set(ends_on.trim().to_owned());
    a.guiding_ideology = Set(gi);
    a.goals_and_priorities = Set(gp);
    a.measures = Set(me);
    a.updated_at = Set(crate::infra::clock::now());
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
    let before = store::find_plan(&*tx, id).await?;
    let mut a: plan::ActiveModel = before.clone().into();
    apply(&before, &mut a)?;
    let now = crate::infra::clock::now();
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    // Each submission keeps what was submitted, so the next review can be shown what changed.
    if after.status == PlanStatus::Submitted {
        store::store_revision(&*tx, &after, actor.id, now).await?;
    }
    audit::record(
        &*tx,
        actor.actor(),
        action,
        "plan",
        Some(after.id.to_string()),
        json!({"before": audit_plan(&before), "after": audit_plan(&after)}),
    )
    .await?;
    let changed = events::PlanChanged {
        plan_id: after.id,
        title: after.title.clone(),
        semester: after.semester.clone(),
    };
    let now = after.updated_at;
    match action {
        "plan.submit" => events::emit_payload(&*tx, now, &events::PlanSubmitted(changed)).await?,
        "plan.approve" => events::emit_payload(&*tx, now, &events::PlanApproved(changed)).await?,
        _ => {}
    }
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
            a.status = Set(lifecycle::submit(p.status).map_err(locked)?);
            a.submitted_at = Set(Some(crate::infra::clock::now()));
            Ok(())
        },
    )
    .await?;
    Ok(web::Json(r))
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
            a.status = Set(lifecycle::decide(p.status, true).map_err(not_submitted)?);
            a.decided_at = Set(Some(crate::infra::clock::now()));
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
            a.status = Set(lifecycle::decide(p.status, false).map_err(not_submitted)?);
            a.decided_at = Set(Some(crate::infra::clock::now()));
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
    let src = store::find_plan(&*tx, id.into_inner()).await?;
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
    let now = crate::infra::clock::now();
    let p = plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title),
        semester: Set(b.semester.trim().to_owned()),
        semester_id: Set(store::semester_id_of(&*tx, &b.semester).await?),
        starts_on: Set(b.starts_on.trim().to_owned()),
        ends_on: Set(b.ends_on.trim().to_owned()),
        guiding_ideology: Set(src.guiding_ideology.clone()),
        goals_and_priorities: Set(src.goals_and_priorities.clone()),
        measures: Set(src.measures.clone()),
        status: Set(PlanStatus::Draft),
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
            status: Set(ItemStatus::Todo),
            created_at: Set(now),
            updated_at: Set(now),
            // A new semester has its own rosters.
            duty_roster_id: Set(None),
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
