//! Shifts: add, remove, generate from a pattern; who is on duty now; my shifts.

use super::{
    RosterResponse, ShiftResponse, opt, parse_enum, require_draft, roster_response, shift_response,
    shift_responses,
};
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, Staff};
use crate::features::audit;
use crate::features::duty::rotation::{self, NewShift, Slot, parse_time};
use crate::features::duty::store;
use crate::infra::clock::{check_date, fmt_date, parse_date, today};
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::duty::{Post, roster, shift};
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{Duration, NaiveDate};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShiftRequest {
    pub date: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`; at or before `start_time` means the next day.
    pub end_time: String,
    #[schema(value_type = Post)]
    pub post: String,
    pub user_id: Uuid,
    pub note: Option<String>,
    /// Where the post stands, up to 50 characters (a traffic post: `校门口东侧`).
    pub place: Option<String>,
}

fn in_roster(r: &roster::Model, d: NaiveDate) -> bool {
    matches!((parse_date(&r.start_date), parse_date(&r.end_date)), (Some(s), Some(e)) if s <= d && d <= e)
}

/// Add a shift to a draft roster.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = CreateShiftRequest,
    responses((status = 201, body = ShiftResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters/{id}/shifts")]
pub async fn create_shift(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<CreateShiftRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let r = store::find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    let mut v = Validator::new();
    let date = check_date(&mut v, "date", &b.date);
    if let Some(d) = date
        && !in_roster(&r, d)
    {
        v.add("date", "invalid", "日期不在值班表的日期范围内");
    }
    let start = parse_time(&b.start_time);
    if start.is_none() {
        v.add("start_time", "invalid", "时间格式应为 HH:MM");
    }
    let end = parse_time(&b.end_time);
    if end.is_none() {
        v.add("end_time", "invalid", "时间格式应为 HH:MM");
    }
    let post = parse_enum::<Post>(&b.post);
    if post.is_none() {
        v.add("post", "invalid", "岗位无效");
    }
    let assignee = store::find_user(&*tx, b.user_id).await?;
    if assignee.is_none() {
        v.add("user_id", "not_found", "人员不存在");
    }
    v.opt_text("note", b.note.as_deref(), 500);
    v.opt_text("place", b.place.as_deref(), 50);
    v.finish()?;
    let (Some(date), Some(start), Some(end), Some(post), Some(assignee)) =
        (date, start, end, post, assignee)
    else {
        return Err(ApiError::internal());
    };
    let s = store::insert_shift(
        &*tx,
        state.tz,
        NewShift {
            roster_id: r.id,
            date,
            start,
            end,
            post,
            user_id: b.user_id,
            note: opt(b.note),
            place: opt(b.place),
        },
    )
    .await?;
    audit::record(&*tx, auth.user.actor(), "shift.create", "duty_shift", Some(s.id.to_string()), json!({"roster_id": r.id, "date": s.date, "start_time": s.start_time, "end_time": s.end_time, "post": s.post, "user_id": s.user_id, "place": s.place})).await?;
    tx.commit().await?;
    let users = [(assignee.id, assignee)].into_iter().collect();
    Ok(HttpResponse::Created().json(shift_response(s, &users)))
}

/// Remove a shift from a draft roster.
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/duty/shifts/{id}")]
pub async fn delete_shift(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let s = store::find_shift(&*tx, id.into_inner()).await?;
    require_draft(&store::find_roster(&*tx, s.roster_id).await?)?;
    shift::Entity::delete_by_id(s.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "shift.delete",
        "duty_shift",
        Some(s.id.to_string()),
        json!({"roster_id": s.roster_id, "date": s.date, "post": s.post, "user_id": s.user_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternSlot {
    #[schema(value_type = Post)]
    pub post: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`; at or before `start_time` means the next day.
    pub end_time: String,
    /// Who rotates through this slot, in order.
    pub user_ids: Vec<Uuid>,
    /// Where the post stands, up to 50 characters (a traffic post: `校门口东侧`).
    pub place: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// Each day of the roster gets one shift per slot. Slots of the same post rotate
    /// together: on day `d` the `k`-th slot of a post takes `user_ids[(d + k) % len]`, so two
    /// guards on a day slot and a night slot swap day and night every day, and a single leader
    /// slot gives one leader per day in turn.
    pub slots: Vec<PatternSlot>,
    /// Delete the roster's existing shifts first (default `true`).
    pub replace: Option<bool>,
}

/// Fill a draft roster from a pattern (e.g. guards rotating day/night, one leader per day).
#[utoipa::path(
    tag = "duty",
    params(("id" = Uuid, Path)),
    request_body = GenerateRequest,
    responses((status = 200, body = RosterResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/duty/rosters/{id}/generate")]
pub async fn generate_shifts(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<GenerateRequest>,
) -> AppResult<web::Json<RosterResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let r = store::find_roster(&*tx, id.into_inner()).await?;
    require_draft(&r)?;
    let users = store::users_by_ids(
        &*tx,
        b.slots.iter().flat_map(|s| s.user_ids.iter().copied()),
    )
    .await?;
    let mut v = Validator::new();
    if b.slots.is_empty() || b.slots.len() > 20 {
        v.add("slots", "invalid", "至少一个、最多 20 个班次模板");
    }
    let mut slots = Vec::with_capacity(b.slots.len());
    for (i, s) in b.slots.iter().enumerate() {
        let post = parse_enum::<Post>(&s.post);
        if post.is_none() {
            v.add(&format!("slots[{i}].post"), "invalid", "岗位无效");
        }
        let start = parse_time(&s.start_time);
        if start.is_none() {
            v.add(
                &format!("slots[{i}].start_time"),
                "invalid",
                "时间格式应为 HH:MM",
            );
        }
        let end = parse_time(&s.end_time);
        if end.is_none() {
            v.add(
                &format!("slots[{i}].end_time"),
                "invalid",
                "时间格式应为 HH:MM",
            );
        }
        if s.user_ids.is_empty() || s.user_ids.len() > 100 {
            v.add(&format!("slots[{i}].user_ids"), "required", "至少一人");
        }
        if s.user_ids.iter().any(|u| !users.contains_key(u)) {
            v.add(&format!("slots[{i}].user_ids"), "not_found", "人员不存在");
        }
        v.opt_text(&format!("slots[{i}].place"), s.place.as_deref(), 50);
        if let (Some(post), Some(start), Some(end)) = (post, start, end) {
            slots.push(Slot {
                post,
                start,
                end,
                user_ids: s.user_ids.clone(),
                place: opt(s.place.clone()),
            });
        }
    }
    v.finish()?;
    let shifts = match (parse_date(&r.start_date), parse_date(&r.end_date)) {
        (Some(start), Some(end)) => rotation::generate(r.id, start, end, &slots),
        _ => Vec::new(),
    };
    let replace = b.replace.unwrap_or(true);
    if replace {
        store::delete_shifts_of(&*tx, r.id).await?;
    }
    let count = shifts.len();
    for s in shifts {
        store::insert_shift(&*tx, state.tz, s).await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "roster.generate",
        "duty_roster",
        Some(r.id.to_string()),
        json!({"shifts": count, "replace": replace}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(roster_response(&state.db.conn, r, false).await?))
}

/// Who is on duty right now (published rosters), with phones.
#[utoipa::path(
    tag = "duty",
    responses((status = 200, body = Vec<ShiftResponse>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/now")]
pub async fn duty_now(
    _auth: Auth<Staff>,
    state: State,
) -> AppResult<web::Json<Vec<ShiftResponse>>> {
    Ok(web::Json(
        super::on_duty_at(&state.db.conn, crate::infra::clock::now()).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyDutyStatus {
    /// On a published roster today as leader on call or duty teacher: a teacher who is may
    /// spot-check other classes as 值周教师.
    pub on_duty_today: bool,
    /// My shifts running right now.
    pub current_shifts: Vec<ShiftResponse>,
}

/// Am I on duty today (and now)?
#[utoipa::path(
    tag = "duty",
    responses((status = 200, body = MyDutyStatus)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/me")]
pub async fn my_duty_status(auth: Auth<Staff>, state: State) -> AppResult<web::Json<MyDutyStatus>> {
    let db = &state.db.conn;
    let on_duty_today = store::is_on_duty_today(db, auth.user.id, state.tz).await?;
    let mine: Vec<shift::Model> = store::shifts_at(db, crate::infra::clock::now())
        .await?
        .into_iter()
        .filter(|s| s.user_id == auth.user.id)
        .collect();
    Ok(web::Json(MyDutyStatus {
        on_duty_today,
        current_shifts: shift_responses(db, mine).await?,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyShiftsQuery {
    /// From this local date (default: today).
    pub from: Option<String>,
    /// Up to this local date (default: 60 days after `from`).
    pub to: Option<String>,
}

/// The signed-in person's shifts on published rosters.
#[utoipa::path(
    tag = "duty",
    params(MyShiftsQuery),
    responses((status = 200, body = Vec<ShiftResponse>), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/duty/my-shifts")]
pub async fn my_shifts(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<MyShiftsQuery>,
) -> AppResult<web::Json<Vec<ShiftResponse>>> {
    let mut v = Validator::new();
    let from = match &query.from {
        Some(f) => check_date(&mut v, "from", f),
        None => Some(today(state.tz)),
    };
    let to = match (&query.to, from) {
        (Some(t), _) => check_date(&mut v, "to", t),
        (None, Some(f)) => Some(f + Duration::days(60)),
        _ => None,
    };
    v.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::internal());
    };
    let db = &state.db.conn;
    let rows = store::user_shifts(db, auth.user.id, &fmt_date(from), &fmt_date(to)).await?;
    Ok(web::Json(shift_responses(db, rows).await?))
}
