//! Safety records the office keeps and hands in: activities and drills (演练/专题教育),
//! meetings (例会), incidents, guards' daily health reports (体温检测日报) and announcements
//! (通报) with read receipts.

pub use crate::schema::records as model;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{
    AnyUser, GuardOnly, GuardOrOffice, Office, OfficeOrPrincipal, Role, Staff,
};
use crate::features::audit;
use crate::features::plans::{check_date, today};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use model::{activity, announcement, health, incident, meeting, read};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const ACTIVITY_KINDS: &[&str] = &["drill", "education"];
pub const MEETING_KINDS: &[&str] = &[
    "guard_meeting",
    "safety_officer_meeting",
    "leadership_group",
    "other",
];
pub const INCIDENT_KINDS: &[&str] = &["theft", "injury", "traffic", "fire", "intrusion", "other"];
pub const SEVERITIES: &[&str] = &["minor", "moderate", "serious", "critical"];
/// At or above this (°C) a temperature is abnormal (the usual 37.3 °C threshold).
pub const FEVER_AT: f64 = 37.3;

fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn one_of(v: &mut Validator, field: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        v.add(field, "invalid", format!("取值应为:{}", allowed.join("、")));
    }
}

async fn check_plan_item(
    db: &impl ConnectionTrait,
    v: &mut Validator,
    id: Option<Uuid>,
) -> AppResult<()> {
    if let Some(id) = id
        && crate::schema::plans::item::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_none()
    {
        v.add("plan_item_id", "not_found", "工作项目不存在");
    }
    Ok(())
}

/// A record that fulfils a plan item is also linked as that item's evidence.
async fn link_to_item(
    db: &impl ConnectionTrait,
    item: Option<Uuid>,
    kind: &str,
    id: Uuid,
    by: Uuid,
) -> AppResult<()> {
    if let Some(item) = item {
        let exists = crate::schema::plans::evidence::Entity::find()
            .filter(crate::schema::plans::evidence::Column::ItemId.eq(item))
            .filter(crate::schema::plans::evidence::Column::EntityType.eq(kind))
            .filter(crate::schema::plans::evidence::Column::EntityId.eq(id))
            .one(db)
            .await?;
        if exists.is_none() {
            crate::features::plans::link_evidence(db, item, kind, id, None, Some(by)).await?;
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DateRangeQuery {
    /// From this local date (inclusive).
    pub from: Option<String>,
    /// Up to this local date (inclusive).
    pub to: Option<String>,
    pub kind: Option<String>,
}

// ---------- activities ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityResponse {
    pub id: Uuid,
    /// `drill` (演练) or `education` (专题教育).
    pub kind: String,
    /// e.g. `消防演练`, `防溺水安全专题教育`.
    pub topic: String,
    pub date: String,
    pub organiser: String,
    pub class_ids: Vec<Uuid>,
    pub participant_count: i32,
    pub summary: String,
    /// Photo URLs.
    pub photos: Vec<String>,
    /// The plan item it fulfils.
    pub plan_item_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn activity_response(a: activity::Model) -> ActivityResponse {
    ActivityResponse {
        class_ids: serde_json::from_str(&a.class_ids).unwrap_or_default(),
        photos: serde_json::from_str(&a.photos).unwrap_or_default(),
        id: a.id,
        kind: a.kind,
        topic: a.topic,
        date: a.date,
        organiser: a.organiser,
        participant_count: a.participant_count,
        summary: a.summary,
        plan_item_id: a.plan_item_id,
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    pub kind: String,
    pub topic: String,
    pub date: String,
    pub organiser: String,
    #[serde(default)]
    pub class_ids: Vec<Uuid>,
    #[serde(default)]
    pub participant_count: i32,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub photos: Vec<String>,
    pub plan_item_id: Option<Uuid>,
}

async fn check_activity(db: &impl ConnectionTrait, b: &ActivityRequest) -> AppResult<()> {
    let mut v = Validator::new();
    one_of(&mut v, "kind", &b.kind, ACTIVITY_KINDS);
    v.text("topic", &b.topic, 1, 200);
    check_date(&mut v, "date", &b.date);
    v.text("organiser", &b.organiser, 1, 100);
    if !(0..=100_000).contains(&b.participant_count) {
        v.add("participant_count", "invalid", "人数无效");
    }
    v.opt_text("summary", Some(&b.summary), 20_000);
    if b.photos.len() > 50
        || b.photos
            .iter()
            .any(|p| p.len() > 1000 || p.trim().is_empty())
    {
        v.add("photos", "invalid", "照片链接无效(最多 50 张)");
    }
    if b.class_ids.len() > 500 {
        v.add("class_ids", "invalid", "班级过多");
    }
    for c in &b.class_ids {
        if crate::schema::classes::Entity::find_by_id(*c)
            .one(db)
            .await?
            .is_none()
        {
            v.add("class_ids", "not_found", "班级不存在");
            break;
        }
    }
    check_plan_item(db, &mut v, b.plan_item_id).await?;
    v.finish()
}

fn activity_audit(a: &activity::Model) -> serde_json::Value {
    json!({"kind": a.kind, "topic": a.topic, "date": a.date, "organiser": a.organiser, "class_ids": a.class_ids, "participant_count": a.participant_count, "summary": a.summary, "photos": a.photos, "plan_item_id": a.plan_item_id})
}

/// Activities and drills, by date.
#[utoipa::path(
    tag = "records",
    params(DateRangeQuery),
    responses((status = 200, body = Vec<ActivityResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/activities")]
pub async fn list_activities(
    _auth: Auth<Staff>,
    state: State,
    q: web::Query<DateRangeQuery>,
) -> AppResult<web::Json<Vec<ActivityResponse>>> {
    crate::features::plans::check_date_range(q.from.as_deref(), q.to.as_deref())?;
    let mut s = activity::Entity::find();
    if let Some(f) = &q.from {
        s = s.filter(activity::Column::Date.gte(f.as_str()));
    }
    if let Some(t) = &q.to {
        s = s.filter(activity::Column::Date.lte(t.as_str()));
    }
    if let Some(k) = &q.kind {
        s = s.filter(activity::Column::Kind.eq(k.as_str()));
    }
    let rows = s
        .order_by_asc(activity::Column::Date)
        .limit(1000)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(rows.into_iter().map(activity_response).collect()))
}

/// Record an activity or drill.
#[utoipa::path(
    tag = "records",
    request_body = ActivityRequest,
    responses((status = 201, body = ActivityResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/activities")]
pub async fn create_activity(
    auth: Auth<Office>,
    state: State,
    body: web::Json<ActivityRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    check_activity(&*tx, &b).await?;
    let a = insert_activity(&*tx, b, Some(auth.user.id)).await?;
    link_to_item(&*tx, a.plan_item_id, "activity", a.id, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "activity.create",
        "activity",
        Some(a.id.to_string()),
        json!({"after": activity_audit(&a)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(activity_response(a)))
}

pub async fn insert_activity(
    db: &impl ConnectionTrait,
    b: ActivityRequest,
    by: Option<Uuid>,
) -> AppResult<activity::Model> {
    let now = crate::infra::util::now();
    Ok(activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(b.kind),
        topic: Set(b.topic.trim().to_owned()),
        date: Set(b.date.trim().to_owned()),
        organiser: Set(b.organiser.trim().to_owned()),
        class_ids: Set(serde_json::to_string(&b.class_ids).unwrap_or_else(|_| "[]".into())),
        participant_count: Set(b.participant_count),
        summary: Set(b.summary),
        photos: Set(serde_json::to_string(&b.photos).unwrap_or_else(|_| "[]".into())),
        plan_item_id: Set(b.plan_item_id),
        created_by: Set(by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

async fn find_activity(db: &impl ConnectionTrait, id: Uuid) -> AppResult<activity::Model> {
    activity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ActivityNotFound, "活动记录不存在"))
}

/// One activity.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ActivityResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/activities/{id}")]
pub async fn get_activity(
    _auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ActivityResponse>> {
    Ok(web::Json(activity_response(
        find_activity(&state.db.conn, id.into_inner()).await?,
    )))
}

/// Replace an activity's details.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    request_body = ActivityRequest,
    responses((status = 200, body = ActivityResponse), (status = 404, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[patch("/activities/{id}")]
pub async fn update_activity(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<ActivityRequest>,
) -> AppResult<web::Json<ActivityResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = find_activity(&*tx, id.into_inner()).await?;
    check_activity(&*tx, &b).await?;
    let mut a: activity::ActiveModel = before.clone().into();
    a.kind = Set(b.kind);
    a.topic = Set(b.topic.trim().to_owned());
    a.date = Set(b.date.trim().to_owned());
    a.organiser = Set(b.organiser.trim().to_owned());
    a.class_ids = Set(serde_json::to_string(&b.class_ids).unwrap_or_else(|_| "[]".into()));
    a.participant_count = Set(b.participant_count);
    a.summary = Set(b.summary);
    a.photos = Set(serde_json::to_string(&b.photos).unwrap_or_else(|_| "[]".into()));
    a.plan_item_id = Set(b.plan_item_id);
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    link_to_item(&*tx, after.plan_item_id, "activity", after.id, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "activity.update",
        "activity",
        Some(after.id.to_string()),
        json!({"before": activity_audit(&before), "after": activity_audit(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(activity_response(after)))
}

// ---------- meetings ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingResponse {
    pub id: Uuid,
    /// `guard_meeting` (保安例会), `safety_officer_meeting` (学生安全员例会),
    /// `leadership_group` (安全领导小组) or `other`.
    pub kind: String,
    pub title: String,
    pub date: String,
    pub attendees: Vec<String>,
    pub minutes: String,
    pub decisions: String,
    pub plan_item_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn meeting_response(m: meeting::Model) -> MeetingResponse {
    MeetingResponse {
        attendees: serde_json::from_str(&m.attendees).unwrap_or_default(),
        id: m.id,
        kind: m.kind,
        title: m.title,
        date: m.date,
        minutes: m.minutes,
        decisions: m.decisions,
        plan_item_id: m.plan_item_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRequest {
    pub kind: String,
    pub title: String,
    pub date: String,
    #[serde(default)]
    pub attendees: Vec<String>,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub decisions: String,
    pub plan_item_id: Option<Uuid>,
}

async fn check_meeting(db: &impl ConnectionTrait, b: &MeetingRequest) -> AppResult<()> {
    let mut v = Validator::new();
    one_of(&mut v, "kind", &b.kind, MEETING_KINDS);
    v.text("title", &b.title, 1, 200);
    check_date(&mut v, "date", &b.date);
    if b.attendees.len() > 500 || b.attendees.iter().any(|a| a.chars().count() > 100) {
        v.add("attendees", "invalid", "参会人员无效");
    }
    v.opt_text("minutes", Some(&b.minutes), 50_000);
    v.opt_text("decisions", Some(&b.decisions), 20_000);
    check_plan_item(db, &mut v, b.plan_item_id).await?;
    v.finish()
}

fn meeting_audit(m: &meeting::Model) -> serde_json::Value {
    json!({"kind": m.kind, "title": m.title, "date": m.date, "attendees": m.attendees, "minutes": m.minutes, "decisions": m.decisions, "plan_item_id": m.plan_item_id})
}

pub async fn insert_meeting(
    db: &impl ConnectionTrait,
    b: MeetingRequest,
    by: Option<Uuid>,
) -> AppResult<meeting::Model> {
    let now = crate::infra::util::now();
    Ok(meeting::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(b.kind),
        title: Set(b.title.trim().to_owned()),
        date: Set(b.date.trim().to_owned()),
        attendees: Set(serde_json::to_string(&b.attendees).unwrap_or_else(|_| "[]".into())),
        minutes: Set(b.minutes),
        decisions: Set(b.decisions),
        plan_item_id: Set(b.plan_item_id),
        created_by: Set(by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Meetings, by date.
#[utoipa::path(
    tag = "records",
    params(DateRangeQuery),
    responses((status = 200, body = Vec<MeetingResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/meetings")]
pub async fn list_meetings(
    _auth: Auth<Staff>,
    state: State,
    q: web::Query<DateRangeQuery>,
) -> AppResult<web::Json<Vec<MeetingResponse>>> {
    crate::features::plans::check_date_range(q.from.as_deref(), q.to.as_deref())?;
    let mut s = meeting::Entity::find();
    if let Some(f) = &q.from {
        s = s.filter(meeting::Column::Date.gte(f.as_str()));
    }
    if let Some(t) = &q.to {
        s = s.filter(meeting::Column::Date.lte(t.as_str()));
    }
    if let Some(k) = &q.kind {
        s = s.filter(meeting::Column::Kind.eq(k.as_str()));
    }
    let rows = s
        .order_by_asc(meeting::Column::Date)
        .limit(1000)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(rows.into_iter().map(meeting_response).collect()))
}

/// Record a meeting with its minutes and decisions.
#[utoipa::path(
    tag = "records",
    request_body = MeetingRequest,
    responses((status = 201, body = MeetingResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/meetings")]
pub async fn create_meeting(
    auth: Auth<Office>,
    state: State,
    body: web::Json<MeetingRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    check_meeting(&*tx, &b).await?;
    let m = insert_meeting(&*tx, b, Some(auth.user.id)).await?;
    link_to_item(&*tx, m.plan_item_id, "meeting", m.id, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "meeting.create",
        "meeting",
        Some(m.id.to_string()),
        json!({"after": meeting_audit(&m)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(meeting_response(m)))
}

async fn find_meeting(db: &impl ConnectionTrait, id: Uuid) -> AppResult<meeting::Model> {
    meeting::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::MeetingNotFound, "会议记录不存在"))
}

/// One meeting.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetingResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/meetings/{id}")]
pub async fn get_meeting(
    _auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<MeetingResponse>> {
    Ok(web::Json(meeting_response(
        find_meeting(&state.db.conn, id.into_inner()).await?,
    )))
}

/// Replace a meeting's record.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    request_body = MeetingRequest,
    responses((status = 200, body = MeetingResponse), (status = 404, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[patch("/meetings/{id}")]
pub async fn update_meeting(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<MeetingRequest>,
) -> AppResult<web::Json<MeetingResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = find_meeting(&*tx, id.into_inner()).await?;
    check_meeting(&*tx, &b).await?;
    let mut a: meeting::ActiveModel = before.clone().into();
    a.kind = Set(b.kind);
    a.title = Set(b.title.trim().to_owned());
    a.date = Set(b.date.trim().to_owned());
    a.attendees = Set(serde_json::to_string(&b.attendees).unwrap_or_else(|_| "[]".into()));
    a.minutes = Set(b.minutes);
    a.decisions = Set(b.decisions);
    a.plan_item_id = Set(b.plan_item_id);
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    link_to_item(&*tx, after.plan_item_id, "meeting", after.id, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "meeting.update",
        "meeting",
        Some(after.id.to_string()),
        json!({"before": meeting_audit(&before), "after": meeting_audit(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(meeting_response(after)))
}

// ---------- incidents ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentResponse {
    pub id: Uuid,
    /// `theft`, `injury`, `traffic`, `fire`, `intrusion` or `other`.
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub severity: String,
    pub description: String,
    pub actions_taken: String,
    pub reported_to_police: bool,
    pub reported_to_fire: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub reported_by: Option<Uuid>,
    /// The class whose students were involved (counted in that class's assessment), if any.
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    /// The class was named by someone other than its teacher or the office: not counted for
    /// the class until the office confirms (`POST /incidents/{id}/class-attribution`).
    pub class_pending: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How far back anyone but the office may date an incident: a record's class counts in the
/// class assessment, so a report cannot reach weeks into a closed period. The office
/// transcribes older paper records.
pub const MAX_BACKDATE_DAYS: i64 = 7;

/// Incidents are free text about minors: the office and the principal see all of them, a
/// class teacher those of own classes and own reports, a guard own reports.
async fn incident_visibility(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
) -> AppResult<Option<Condition>> {
    if matches!(u.role, Role::SecurityOffice | Role::Principal) {
        return Ok(None);
    }
    let mut c = Condition::any().add(incident::Column::ReportedBy.eq(u.id));
    if u.role == Role::ClassTeacher {
        let own = crate::features::users::own_class_ids(db, u.id, u.role).await?;
        c = c.add(incident::Column::ClassId.is_in(own));
    }
    Ok(Some(c))
}

fn incident_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::IncidentNotFound, "事件记录不存在")
}

async fn incident_responses(
    db: &impl ConnectionTrait,
    rows: Vec<incident::Model>,
) -> AppResult<Vec<IncidentResponse>> {
    let names = crate::features::classes::names(db, rows.iter().filter_map(|i| i.class_id)).await?;
    Ok(rows
        .into_iter()
        .map(|i| {
            let class_name = i.class_id.and_then(|c| names.get(&c).cloned());
            incident_response(i, class_name)
        })
        .collect())
}

async fn one_incident_response(
    db: &impl ConnectionTrait,
    i: incident::Model,
) -> AppResult<IncidentResponse> {
    let class_name = match i.class_id {
        Some(c) => Some(crate::features::classes::find(db, c).await?.name),
        None => None,
    };
    Ok(incident_response(i, class_name))
}

fn incident_response(i: incident::Model, class_name: Option<String>) -> IncidentResponse {
    IncidentResponse {
        id: i.id,
        kind: i.kind,
        occurred_at: i.occurred_at,
        place: i.place,
        severity: i.severity,
        description: i.description,
        actions_taken: i.actions_taken,
        reported_to_police: i.reported_to_police,
        reported_to_fire: i.reported_to_fire,
        closed_at: i.closed_at,
        reported_by: i.reported_by,
        class_id: i.class_id,
        class_name,
        class_pending: i.class_pending,
        created_at: i.created_at,
        updated_at: i.updated_at,
    }
}

fn incident_audit(i: &incident::Model) -> serde_json::Value {
    json!({"kind": i.kind, "occurred_at": i.occurred_at, "place": i.place, "severity": i.severity, "description": i.description, "actions_taken": i.actions_taken, "reported_to_police": i.reported_to_police, "reported_to_fire": i.reported_to_fire, "closed_at": i.closed_at, "class_id": i.class_id, "class_pending": i.class_pending})
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentRequest {
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    pub severity: String,
    pub description: String,
    #[serde(default)]
    pub actions_taken: String,
    #[serde(default)]
    pub reported_to_police: bool,
    #[serde(default)]
    pub reported_to_fire: bool,
    /// The class whose students were involved, if any (`class_not_found` if it names none).
    #[serde(default)]
    pub class_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIncidentRequest {
    pub kind: Option<String>,
    pub place: Option<String>,
    pub severity: Option<String>,
    pub description: Option<String>,
    pub actions_taken: Option<String>,
    pub reported_to_police: Option<bool>,
    pub reported_to_fire: Option<bool>,
    /// `true` closes the incident now; `false` reopens it.
    pub closed: Option<bool>,
    /// A class links the incident to it; `null` unlinks it; absent leaves it as is.
    #[serde(default, deserialize_with = "crate::infra::util::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub class_id: Option<Option<Uuid>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub open: Option<bool>,
    /// Only incidents linked to this class.
    pub class_id: Option<Uuid>,
    /// `true`: only those whose class awaits the office's confirmation.
    pub class_pending: Option<bool>,
}

/// Incidents the caller may see, newest first: all for the office and the principal, own
/// classes' and own reports for a class teacher, own reports for a guard.
#[utoipa::path(
    tag = "records",
    params(IncidentQuery),
    responses((status = 200, body = Vec<IncidentResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/incidents")]
pub async fn list_incidents(
    auth: Auth<Staff>,
    state: State,
    q: web::Query<IncidentQuery>,
) -> AppResult<web::Json<Vec<IncidentResponse>>> {
    let mut s = incident::Entity::find();
    if let Some(c) = incident_visibility(&state.db.conn, &auth.user).await? {
        s = s.filter(c);
    }
    if let Some(p) = q.class_pending {
        s = s.filter(incident::Column::ClassPending.eq(p));
    }
    if let Some(f) = q.from {
        s = s.filter(incident::Column::OccurredAt.gte(f));
    }
    if let Some(t) = q.to {
        s = s.filter(incident::Column::OccurredAt.lt(t));
    }
    match q.open {
        Some(true) => s = s.filter(incident::Column::ClosedAt.is_null()),
        Some(false) => s = s.filter(incident::Column::ClosedAt.is_not_null()),
        None => {}
    }
    if let Some(c) = q.class_id {
        s = s.filter(incident::Column::ClassId.eq(c));
    }
    let rows = s
        .order_by_desc(incident::Column::OccurredAt)
        .limit(1000)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(incident_responses(&state.db.conn, rows).await?))
}

/// Report an incident (guards, teachers, the office, the principal). A class named by anyone
/// but its own teacher or the office is pending until the office confirms it; only the office
/// may date an incident more than 7 days back.
#[utoipa::path(
    tag = "records",
    request_body = CreateIncidentRequest,
    responses(
        (status = 201, body = IncidentResponse),
        (status = 404, description = "`class_not_found`: `class_id` names no class", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/incidents")]
pub async fn create_incident(
    auth: Auth<Staff>,
    state: State,
    body: web::Json<CreateIncidentRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    one_of(&mut v, "kind", &b.kind, INCIDENT_KINDS);
    one_of(&mut v, "severity", &b.severity, SEVERITIES);
    v.text("place", &b.place, 1, 200);
    v.text("description", &b.description, 1, 20_000);
    v.opt_text("actions_taken", Some(&b.actions_taken), 20_000);
    if b.occurred_at > crate::infra::util::now() + chrono::Duration::minutes(5) {
        v.add("occurred_at", "invalid", "发生时间不能晚于现在");
    } else if auth.user.role != Role::SecurityOffice
        && b.occurred_at < crate::infra::util::now() - chrono::Duration::days(MAX_BACKDATE_DAYS)
    {
        v.add(
            "occurred_at",
            "too_old",
            "发生时间不能早于 7 天前;更早的事件请由保卫处登记",
        );
    }
    v.finish()?;
    let now = crate::infra::util::now();
    let tx = state.db.begin_write().await?;
    let mut class_pending = false;
    if let Some(c) = b.class_id {
        crate::features::classes::find(&*tx, c).await?;
        class_pending = !crate::features::hazards::attributes_directly(&*tx, &auth.user, c).await?;
    }
    let i = incident::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(b.kind),
        occurred_at: Set(b.occurred_at),
        place: Set(b.place.trim().to_owned()),
        severity: Set(b.severity),
        description: Set(b.description),
        actions_taken: Set(b.actions_taken),
        reported_to_police: Set(b.reported_to_police),
        reported_to_fire: Set(b.reported_to_fire),
        closed_at: Set(None),
        reported_by: Set(Some(auth.user.id)),
        created_at: Set(now),
        updated_at: Set(now),
        class_id: Set(b.class_id),
        class_pending: Set(class_pending),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "incident.create",
        "incident",
        Some(i.id.to_string()),
        json!({"after": incident_audit(&i)}),
    )
    .await?;
    let response = one_incident_response(&*tx, i).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(response))
}

/// One incident the caller may see (as in the list; others answer `incident_not_found`).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = IncidentResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/incidents/{id}")]
pub async fn get_incident(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<IncidentResponse>> {
    let mut s = incident::Entity::find_by_id(id.into_inner());
    // Not 403: whether an incident the caller may not read exists is not the caller's to know.
    if let Some(c) = incident_visibility(&state.db.conn, &auth.user).await? {
        s = s.filter(c);
    }
    let i = s
        .one(&state.db.conn)
        .await?
        .ok_or_else(incident_not_found)?;
    Ok(web::Json(one_incident_response(&state.db.conn, i).await?))
}

/// Update an incident: what was done, reporting, closing (the office).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    request_body = UpdateIncidentRequest,
    responses(
        (status = 200, body = IncidentResponse),
        (status = 404, description = "`incident_not_found`, or `class_not_found` when `class_id` names no class", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/incidents/{id}")]
pub async fn update_incident(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateIncidentRequest>,
) -> AppResult<web::Json<IncidentResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if let Some(k) = &b.kind {
        one_of(&mut v, "kind", k, INCIDENT_KINDS);
    }
    if let Some(s) = &b.severity {
        one_of(&mut v, "severity", s, SEVERITIES);
    }
    if let Some(p) = &b.place {
        v.text("place", p, 1, 200);
    }
    if let Some(d) = &b.description {
        v.text("description", d, 1, 20_000);
    }
    v.opt_text("actions_taken", b.actions_taken.as_deref(), 20_000);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = incident::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::IncidentNotFound, "事件记录不存在"))?;
    let mut a: incident::ActiveModel = before.clone().into();
    if let Some(k) = b.kind {
        a.kind = Set(k);
    }
    if let Some(s) = b.severity {
        a.severity = Set(s);
    }
    if let Some(p) = b.place {
        a.place = Set(p.trim().to_owned());
    }
    if let Some(d) = b.description {
        a.description = Set(d);
    }
    if let Some(d) = b.actions_taken {
        a.actions_taken = Set(d);
    }
    if let Some(x) = b.reported_to_police {
        a.reported_to_police = Set(x);
    }
    if let Some(x) = b.reported_to_fire {
        a.reported_to_fire = Set(x);
    }
    if let Some(c) = b.class_id {
        if let Some(id) = c {
            crate::features::classes::find(&*tx, id).await?;
        }
        a.class_id = Set(c);
        // The office names the class itself: nothing left to confirm.
        a.class_pending = Set(false);
    }
    if let Some(c) = b.closed {
        a.closed_at = Set(if c {
            Some(before.closed_at.unwrap_or_else(crate::infra::util::now))
        } else {
            None
        });
    }
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "incident.update",
        "incident",
        Some(after.id.to_string()),
        json!({"before": incident_audit(&before), "after": incident_audit(&after)}),
    )
    .await?;
    let response = one_incident_response(&*tx, after).await?;
    tx.commit().await?;
    Ok(web::Json(response))
}

/// Confirm (`accept: true`) or reject (the class is removed) the class someone other than its
/// teacher or the office named on an incident; only then does it count for the class.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    request_body = crate::features::hazards::AttributionDecision,
    responses(
        (status = 200, body = IncidentResponse),
        (status = 404, description = "`incident_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`attribution_not_pending`: no class awaits confirmation", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/incidents/{id}/class-attribution")]
pub async fn decide_incident_attribution(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<crate::features::hazards::AttributionDecision>,
) -> AppResult<web::Json<IncidentResponse>> {
    let tx = state.db.begin_write().await?;
    let before = incident::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(incident_not_found)?;
    if !before.class_pending || before.class_id.is_none() {
        return Err(crate::features::hazards::not_pending());
    }
    let mut a: incident::ActiveModel = before.clone().into();
    a.class_pending = Set(false);
    if !body.accept {
        a.class_id = Set(None);
    }
    a.updated_at = Set(crate::infra::util::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        if body.accept {
            "incident.class_confirm"
        } else {
            "incident.class_reject"
        },
        "incident",
        Some(after.id.to_string()),
        json!({"before": incident_audit(&before), "after": incident_audit(&after)}),
    )
    .await?;
    let response = one_incident_response(&*tx, after).await?;
    tx.commit().await?;
    Ok(web::Json(response))
}

// ---------- health reports ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthReportResponse {
    pub id: Uuid,
    pub guard_id: Uuid,
    pub guard_name: String,
    pub date: String,
    /// °C.
    pub temperature: f64,
    pub fit_for_duty: bool,
    pub symptoms: Option<String>,
    /// Temperature at or above 37.3 °C, or not fit for duty: flagged to the office.
    pub abnormal: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<Uuid>,
    /// Who acknowledged it (display name), when acknowledged.
    pub acknowledged_by_name: Option<String>,
    /// The office's note when acknowledging (what the school doctor was told, what was decided).
    pub acknowledge_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn health_response(h: health::Model, names: &HashMap<Uuid, String>) -> HealthReportResponse {
    HealthReportResponse {
        guard_name: names.get(&h.guard_id).cloned().unwrap_or_default(),
        id: h.id,
        guard_id: h.guard_id,
        date: h.date,
        temperature: h.temperature,
        fit_for_duty: h.fit_for_duty,
        symptoms: h.symptoms,
        abnormal: h.abnormal,
        acknowledged_at: h.acknowledged_at,
        acknowledged_by_name: h.acknowledged_by.and_then(|u| names.get(&u).cloned()),
        acknowledged_by: h.acknowledged_by,
        acknowledge_note: h.acknowledge_note,
        created_at: h.created_at,
    }
}

async fn names(db: &impl ConnectionTrait) -> AppResult<HashMap<Uuid, String>> {
    Ok(user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHealthReportRequest {
    /// °C, 34.0–43.0.
    pub temperature: f64,
    pub fit_for_duty: bool,
    pub symptoms: Option<String>,
    /// Defaults to today (local).
    pub date: Option<String>,
}

pub fn is_abnormal(temperature: f64, fit_for_duty: bool) -> bool {
    temperature >= FEVER_AT || !fit_for_duty
}

/// A guard's daily health report (体温检测日报), one per day. An abnormal one is flagged to
/// the office (`abnormal`, until acknowledged).
#[utoipa::path(
    tag = "records",
    request_body = CreateHealthReportRequest,
    responses((status = 201, body = HealthReportResponse), (status = 409, description = "`health_report_exists`", body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["guard"]))
)]
#[post("/health-reports")]
pub async fn create_health_report(
    auth: Auth<GuardOnly>,
    state: State,
    body: web::Json<CreateHealthReportRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if !(34.0..=43.0).contains(&b.temperature) {
        v.add("temperature", "invalid", "体温应在 34.0–43.0 ℃ 之间");
    }
    let date = match &b.date {
        Some(d) => check_date(&mut v, "date", d),
        None => Some(today(state.tz)),
    };
    if let Some(d) = date
        && d > today(state.tz)
    {
        v.add("date", "invalid", "不能填报以后的日期");
    }
    v.opt_text("symptoms", b.symptoms.as_deref(), 500);
    v.finish()?;
    let date = date
        .map(crate::features::plans::fmt_date)
        .ok_or_else(ApiError::internal)?;
    let tx = state.db.begin_write().await?;
    let exists = health::Entity::find()
        .filter(health::Column::GuardId.eq(auth.user.id))
        .filter(health::Column::Date.eq(date.as_str()))
        .one(&*tx)
        .await?;
    if exists.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::HealthReportExists,
            "今天已填报过体温检测日报",
        ));
    }
    let temperature = (b.temperature * 10.0).round() / 10.0;
    let h = health::ActiveModel {
        id: Set(Uuid::now_v7()),
        guard_id: Set(auth.user.id),
        date: Set(date),
        temperature: Set(temperature),
        fit_for_duty: Set(b.fit_for_duty),
        symptoms: Set(opt(b.symptoms)),
        abnormal: Set(is_abnormal(temperature, b.fit_for_duty)),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        acknowledge_note: Set(None),
        created_at: Set(crate::infra::util::now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(&*tx, auth.user.actor(), "health_report.create", "health_report", Some(h.id.to_string()), json!({"date": h.date, "temperature": h.temperature, "fit_for_duty": h.fit_for_duty, "abnormal": h.abnormal})).await?;
    tx.commit().await?;
    let n = names(&state.db.conn).await?;
    Ok(HttpResponse::Created().json(health_response(h, &n)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HealthQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub abnormal: Option<bool>,
    /// Only abnormal reports the office has not acknowledged yet.
    pub unacknowledged: Option<bool>,
}

/// Health reports, newest first. Guards see their own; the office sees all.
#[utoipa::path(
    tag = "records",
    params(HealthQuery),
    responses((status = 200, body = Vec<HealthReportResponse>)),
    security(("bearer" = ["guard", "security_office"]))
)]
#[get("/health-reports")]
pub async fn list_health_reports(
    auth: Auth<GuardOrOffice>,
    state: State,
    q: web::Query<HealthQuery>,
) -> AppResult<web::Json<Vec<HealthReportResponse>>> {
    crate::features::plans::check_date_range(q.from.as_deref(), q.to.as_deref())?;
    let mut s = health::Entity::find();
    if auth.user.is(Role::Guard) {
        s = s.filter(health::Column::GuardId.eq(auth.user.id));
    }
    if let Some(f) = &q.from {
        s = s.filter(health::Column::Date.gte(f.as_str()));
    }
    if let Some(t) = &q.to {
        s = s.filter(health::Column::Date.lte(t.as_str()));
    }
    if let Some(a) = q.abnormal {
        s = s.filter(health::Column::Abnormal.eq(a));
    }
    if q.unacknowledged == Some(true) {
        s = s
            .filter(health::Column::Abnormal.eq(true))
            .filter(health::Column::AcknowledgedAt.is_null());
    }
    let rows = s
        .order_by_desc(health::Column::Date)
        .limit(1000)
        .all(&state.db.conn)
        .await?;
    let n = names(&state.db.conn).await?;
    Ok(web::Json(
        rows.into_iter().map(|h| health_response(h, &n)).collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeHealthReportRequest {
    /// What the school doctor was told or decided (at most 500 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// The office acknowledges an abnormal report (it has been passed to the school doctor), with
/// an optional note. Acknowledging twice keeps the first acknowledgement.
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    request_body = AcknowledgeHealthReportRequest,
    responses(
        (status = 200, body = HealthReportResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem, description = "`validation_failed`: the note is too long"),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/health-reports/{id}/acknowledge")]
pub async fn acknowledge_health_report(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AcknowledgeHealthReportRequest>,
) -> AppResult<web::Json<HealthReportResponse>> {
    let note = body
        .into_inner()
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let mut v = Validator::new();
    v.opt_text("note", note.as_deref(), 500);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let h = health::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::HealthReportNotFound, "体温日报不存在"))?;
    let after = if h.acknowledged_at.is_none() {
        let mut a: health::ActiveModel = h.clone().into();
        a.acknowledged_at = Set(Some(crate::infra::util::now()));
        a.acknowledged_by = Set(Some(auth.user.id));
        a.acknowledge_note = Set(note);
        let after = a.update(&*tx).await?;
        audit::record(
            &*tx,
            auth.user.actor(),
            "health_report.acknowledge",
            "health_report",
            Some(after.id.to_string()),
            json!({"date": after.date, "abnormal": after.abnormal, "note": after.acknowledge_note}),
        )
        .await?;
        after
    } else {
        h
    };
    tx.commit().await?;
    let n = names(&state.db.conn).await?;
    Ok(web::Json(health_response(after, &n)))
}

// ---------- announcements ----------

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementResponse {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub target_roles: Vec<Role>,
    pub plan_item_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// When I read it (null: unread).
    pub read_at: Option<DateTime<Utc>>,
}

fn roles_of(a: &announcement::Model) -> Vec<Role> {
    a.target_roles
        .split_whitespace()
        .filter_map(Role::parse)
        .collect()
}

fn announcement_response(
    a: announcement::Model,
    read_at: Option<DateTime<Utc>>,
) -> AnnouncementResponse {
    AnnouncementResponse {
        target_roles: roles_of(&a),
        id: a.id,
        title: a.title,
        body: a.body,
        plan_item_id: a.plan_item_id,
        created_by: a.created_by,
        created_at: a.created_at,
        read_at,
    }
}

fn sees_all(u: &CurrentUser) -> bool {
    u.is(Role::SecurityOffice) || u.is(Role::Principal)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAnnouncementRequest {
    pub title: String,
    pub body: String,
    /// Who it is for.
    pub target_roles: Vec<Role>,
    pub plan_item_id: Option<Uuid>,
}

pub async fn insert_announcement(
    db: &impl ConnectionTrait,
    title: &str,
    body: &str,
    roles: &[Role],
    item: Option<Uuid>,
    by: Option<Uuid>,
) -> AppResult<announcement::Model> {
    let mut names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Ok(announcement::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(title.trim().to_owned()),
        body: Set(body.to_owned()),
        target_roles: Set(names.join(" ")),
        plan_item_id: Set(item),
        created_by: Set(by),
        created_at: Set(crate::infra::util::now()),
    }
    .insert(db)
    .await?)
}

/// Send an announcement (通报) to chosen roles.
#[utoipa::path(
    tag = "records",
    request_body = CreateAnnouncementRequest,
    responses((status = 201, body = AnnouncementResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/announcements")]
pub async fn create_announcement(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<CreateAnnouncementRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let mut v = Validator::new();
    v.text("title", &b.title, 1, 200);
    v.text("body", &b.body, 1, 20_000);
    if b.target_roles.is_empty() {
        v.add("target_roles", "required", "至少选择一个角色");
    }
    check_plan_item(&*tx, &mut v, b.plan_item_id).await?;
    v.finish()?;
    let a = insert_announcement(
        &*tx,
        &b.title,
        &b.body,
        &b.target_roles,
        b.plan_item_id,
        Some(auth.user.id),
    )
    .await?;
    link_to_item(&*tx, a.plan_item_id, "announcement", a.id, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "announcement.create",
        "announcement",
        Some(a.id.to_string()),
        json!({"title": a.title, "target_roles": a.target_roles, "plan_item_id": a.plan_item_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(announcement_response(a, None)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementQuery {
    /// Only ones I have not read.
    pub unread: Option<bool>,
}

/// Announcements for me (the office and the principal see all), newest first, with my read
/// state.
#[utoipa::path(
    tag = "records",
    params(AnnouncementQuery),
    responses((status = 200, body = Vec<AnnouncementResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/announcements")]
pub async fn list_announcements(
    auth: Auth<AnyUser>,
    state: State,
    q: web::Query<AnnouncementQuery>,
) -> AppResult<web::Json<Vec<AnnouncementResponse>>> {
    let db = &state.db.conn;
    let mut s = announcement::Entity::find();
    if !sees_all(&auth.user) {
        s = s.filter(announcement::Column::TargetRoles.contains(auth.user.role.as_str()));
    }
    let rows = s
        .order_by_desc(announcement::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let reads: HashMap<Uuid, DateTime<Utc>> = read::Entity::find()
        .filter(read::Column::UserId.eq(auth.user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.announcement_id, r.read_at))
        .collect();
    let role = auth.user.role;
    Ok(web::Json(
        rows.into_iter()
            // `contains` above is a substring match: keep exact role matches only.
            .filter(|a| sees_all(&auth.user) || roles_of(a).contains(&role))
            .map(|a| {
                let r = reads.get(&a.id).copied();
                announcement_response(a, r)
            })
            .filter(|a| q.unread != Some(true) || a.read_at.is_none())
            .collect(),
    ))
}

async fn visible_announcement(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    id: Uuid,
) -> AppResult<announcement::Model> {
    let a = announcement::Entity::find_by_id(id).one(db).await?;
    match a {
        Some(a) if sees_all(u) || roles_of(&a).contains(&u.role) => Ok(a),
        _ => Err(ApiError::not_found(
            ErrorCode::AnnouncementNotFound,
            "通报不存在",
        )),
    }
}

/// Mark an announcement read (idempotent).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AnnouncementResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/announcements/{id}/read")]
pub async fn read_announcement(
    auth: Auth<AnyUser>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<AnnouncementResponse>> {
    let tx = state.db.begin_write().await?;
    let a = visible_announcement(&*tx, &auth.user, id.into_inner()).await?;
    let existing = read::Entity::find_by_id((a.id, auth.user.id))
        .one(&*tx)
        .await?;
    let read_at = match existing {
        Some(r) => r.read_at,
        None => {
            let r = read::ActiveModel {
                announcement_id: Set(a.id),
                user_id: Set(auth.user.id),
                read_at: Set(crate::infra::util::now()),
            }
            .insert(&*tx)
            .await?;
            audit::record(
                &*tx,
                auth.user.actor(),
                "announcement.read",
                "announcement",
                Some(a.id.to_string()),
                json!({}),
            )
            .await?;
            r.read_at
        }
    };
    tx.commit().await?;
    Ok(web::Json(announcement_response(a, Some(read_at))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptResponse {
    pub user_id: Uuid,
    pub display_name: String,
    pub role: Role,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptsResponse {
    pub announcement_id: Uuid,
    pub total: usize,
    pub read: usize,
    /// Every active account in the target roles, with when they read it.
    pub receipts: Vec<ReceiptResponse>,
}

/// Who has read an announcement (read receipts).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReceiptsResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/announcements/{id}/receipts")]
pub async fn announcement_receipts(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ReceiptsResponse>> {
    let db = &state.db.conn;
    let a = visible_announcement(db, &auth.user, id.into_inner()).await?;
    let roles: Vec<&str> = roles_of(&a).iter().map(|r| r.as_str()).collect();
    let users = user::Entity::find()
        .filter(user::Column::Role.is_in(roles))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    let reads: HashMap<Uuid, DateTime<Utc>> = read::Entity::find()
        .filter(read::Column::AnnouncementId.eq(a.id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.user_id, r.read_at))
        .collect();
    let receipts: Vec<ReceiptResponse> = users
        .into_iter()
        .filter_map(|u| {
            Some(ReceiptResponse {
                read_at: reads.get(&u.id).copied(),
                role: Role::parse(&u.role)?,
                user_id: u.id,
                display_name: u.display_name,
            })
        })
        .collect();
    Ok(web::Json(ReceiptsResponse {
        announcement_id: a.id,
        total: receipts.len(),
        read: receipts.iter().filter(|r| r.read_at.is_some()).count(),
        receipts,
    }))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_activities)
        .service(create_activity)
        .service(get_activity)
        .service(update_activity)
        .service(list_meetings)
        .service(create_meeting)
        .service(get_meeting)
        .service(update_meeting)
        .service(list_incidents)
        .service(create_incident)
        .service(get_incident)
        .service(update_incident)
        .service(decide_incident_attribution)
        .service(create_health_report)
        .service(list_health_reports)
        .service(acknowledge_health_report)
        .service(create_announcement)
        .service(list_announcements)
        .service(read_announcement)
        .service(announcement_receipts);
}
