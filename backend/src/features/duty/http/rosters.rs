//! Rosters: list, create, read, change, delete, conflicts, publish.

use super::{
    RosterResponse, RosterSummary, audit_roster, opt, parse_enum, require_draft, roster_response,
    roster_summary,
};
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, Role, Staff};
use crate::features::audit;
use crate::features::duty::conflicts::Conflict;
use crate::features::duty::store::{self, NewRoster, RosterFilter};
use crate::infra::clock::{check_date, check_date_range};
use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError, Validator};
use crate::infra::state::State;
use crate::schema::duty::{RosterStatus, roster};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use sea_orm::{ActiveEnum, ActiveModelTrait, EntityTrait, Set};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A roster may span at most this many days (a summer holiday fits).
const MAX_DAYS: i64 = 120;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    /// `draft` or `published`; another value matches no roster.
    pub status: Option<String>,
    /// Rosters that end on or after this date.
    pub from: Option<String>,
    /// Rosters that start on or before this date.
    pub to: Option<String>,
}

/// Duty rosters, by start date. Only the office sees drafts.
#[utoipa::path(
    tag = "duty",
    params(RosterQuery),
    responses((status = 200, body = Vec<RosterSummary>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/rosters")]
pub async fn list_rosters(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<RosterQuery>,
) -> AppResult<web::Json<Vec<RosterSummary>>> {
    let q = query.into_inner();
    check_date_range(q.from.as_deref(), q.to.as_deref())?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => match parse_enum::<RosterStatus>(s) {
            Some(s) => Some(s),
            // No roster has a status outside the set.
            None => return Ok(web::Json(vec![])),
        },
    };
    let rows = store::list_rosters(
        &state.db.conn,
        RosterFilter {
            published_only: !auth.user.is(Role::SecurityOffice),
            status,
            from: q.from.as_deref(),
            to: q.to.as_deref(),
        },
    )
    .await?;
    Ok(web::Json(rows.iter().map(roster_summary).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRosterRequest {
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
}

fn check_range(v: &mut Validator, start: &str, end: &str) {
    let s = check_date(v, "start_date", start);
    let e = check_date(v, "end_date", end);
    if let (Some(s), Some(e)) = (s, e) {
        if e < s {
            v.add("end_date", "invalid", "结束日期不能早于开始日期");
        } else if (e - s).num_days() >= MAX_DAYS {
            v.add("end_date", "invalid", format!("值班表最长 {MAX_DAYS} 天"));
        }
    }
}

/// Start a roster (a draft).
#[utoipa::path(
    tag = "duty",
    request_body = CreateRosterRequest,
    responses((status = 201, body = RosterResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters")]
pub async fn create_roster(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateRosterRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("title", &b.title, 1, 200);
    check_range(&mut v, &b.start_date, &b.end_date);
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let r = store::insert_roster(
        &*tx,
        NewRoster {
            title: &b.title,
            start: &b.start_date,
            end: &b.end_date,
            report_to: opt(b.report_to),
            notify: opt(b.notify),
            note: opt(b.note),
            by: Some(auth.user.id),
        },
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.create",
        "duty_roster",
        Some(r.id.to_string()),
        json!({"after": audit_roster(&r)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(roster_response(&state.db.conn, r, false).await?))
}

/// One roster with its shifts (assignees' phones included). Drafts: the office only.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/rosters/{id}")]
pub async fn get_roster(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<RosterResponse>> {
    let db = &state.db.conn;
    let r = store::find_roster(db, id.into_inner()).await?;
    if r.status != RosterStatus::Published && !auth.user.is(Role::SecurityOffice) {
        return Err(ApiError::not_found(
            ErrorCode::RosterNotFound,
            "值班表不存在",
        ));
    }
    let sees_draft_plans = auth.user.is(Role::SecurityOffice) || auth.user.is(Role::Principal);
    Ok(web::Json(roster_response(db, r, !sees_draft_plans).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRosterRequest {
    pub title: Option<String>,
    /// Dates change only while a draft.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
    /// `true` marks it reported (报送) now, by the caller, for a report made outside the system
    /// (on paper); `false` clears the mark. To send it through a channel, use
    /// `POST /duty/rosters/{id}/reports`.
    pub reported: Option<bool>,
    /// `true` marks its audience told (通报) now, by the caller; `false` clears the mark.
    pub notified: Option<bool>,
}

/// Change a roster's details, or mark it reported (报送) or its audience told (通报).
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = UpdateRosterRequest,
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[patch("/duty/rosters/{id}")]
pub async fn update_roster(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateRosterRequest>,
) -> AppResult<web::Json<RosterResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = store::find_roster(&*tx, id.into_inner()).await?;
    if b.start_date.is_some() || b.end_date.is_some() {
        require_draft(&before)?;
    }
    let start = b
        .start_date
        .clone()
        .unwrap_or_else(|| before.start_date.clone());
    let end = b
        .end_date
        .clone()
        .unwrap_or_else(|| before.end_date.clone());
    let mut v = Validator::new();
    if let Some(t) = &b.title {
        v.text("title", t, 1, 200);
    }
    check_range(&mut v, &start, &end);
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    v.finish()?;
    let mut a: roster::ActiveModel = before.clone().into();
    if let Some(t) = b.title {
        a.title = Set(t.trim().to_owned());
    }
    a.start_date = Set(start.trim().to_owned());
    a.end_date = Set(end.trim().to_owned());
    if b.report_to.is_some() {
        a.report_to = Set(opt(b.report_to));
    }
    if b.notify.is_some() {
        a.notify = Set(opt(b.notify));
    }
    if b.note.is_some() {
        a.note = Set(opt(b.note));
    }
    if let Some(r) = b.reported {
        a.reported_at = Set(r.then(crate::infra::clock::now));
        a.reported_by = Set(r.then_some(auth.user.id));
    }
    if let Some(n) = b.notified {
        a.notified_at = Set(n.then(crate::infra::clock::now));
        a.notified_by = Set(n.then_some(auth.user.id));
    }
    a.updated_at = Set(crate::infra::clock::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.update",
        "duty_roster",
        Some(after.id.to_string()),
        json!({"before": audit_roster(&before), "after": audit_roster(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(
        roster_response(&state.db.conn, after, false).await?,
    ))
}

/// Delete a draft roster. A roster a plan item links to is kept (`409
/// roster_linked_to_plan_item`): unlink it on the item first, so no item points at nothing.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`roster_published`, `roster_linked_to_plan_item`", body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/duty/rosters/{id}")]
pub async fn delete_roster(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let r = store::find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    let linked = crate::features::plans::items_for_roster(&*tx, r.id, false).await?;
    if let Some((item, plan)) = linked.first() {
        return Err(ApiError::conflict(
            ErrorCode::RosterLinkedToPlanItem,
            format!(
                "值班表已关联工作计划「{}」的项目「{}」,请先在该项目中取消关联",
                plan.title, item.title
            ),
        ));
    }
    roster::Entity::delete_by_id(r.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.delete",
        "duty_roster",
        Some(r.id.to_string()),
        json!({"before": audit_roster(&r)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What would stop this roster from being published.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Conflict>), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[get("/duty/rosters/{id}/conflicts")]
pub async fn get_conflicts(
    _auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Vec<Conflict>>> {
    let db = &state.db.conn;
    let r = store::find_roster(db, id.into_inner()).await?;
    Ok(web::Json(store::roster_conflicts(db, &r).await?))
}

/// Publish a draft roster. Refused with `409 roster_conflicts` listing every conflict (in
/// `errors`: `field` is `date:<YYYY-MM-DD>` or `shift:<id>`, `code` the conflict kind).
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, description = "`roster_conflicts`, `roster_published`", body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters/{id}/publish")]
pub async fn publish_roster(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<RosterResponse>> {
    let tx = state.db.begin_write().await?;
    let r = store::find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    let conflicts = store::roster_conflicts(&*tx, &r).await?;
    if !conflicts.is_empty() {
        return Err(ApiError {
            errors: conflicts
                .into_iter()
                .map(|c| FieldError {
                    field: match c.shift_ids.first() {
                        Some(id) => format!("shift:{id}"),
                        None => format!("date:{}", c.date),
                    },
                    code: c.kind.to_value(),
                    message: c.message,
                    line: None,
                })
                .collect(),
            ..ApiError::conflict(
                ErrorCode::RosterConflicts,
                "值班表存在冲突,请先处理后再发布",
            )
        });
    }
    let mut a: roster::ActiveModel = r.clone().into();
    let now = crate::infra::clock::now();
    a.status = Set(RosterStatus::Published);
    a.published_at = Set(Some(now));
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.publish",
        "duty_roster",
        Some(after.id.to_string()),
        json!({"before": audit_roster(&r), "after": audit_roster(&after)}),
    )
    .await?;
    let e = crate::features::events::RosterPublished {
        roster_id: after.id,
        title: after.title.clone(),
        start_date: after.start_date.clone(),
        end_date: after.end_date.clone(),
        published_at: now,
    };
    crate::features::events::emit_payload(&*tx, now, &e).await?;
    tx.commit().await?;
    Ok(web::Json(
        roster_response(&state.db.conn, after, false).await?,
    ))
}
