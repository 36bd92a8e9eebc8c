//! Types, handlers and their OpenAPI description: my notifications (list, mark read) and the
//! office's escalation settings.

use super::policy::EscalationSettings;
use super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, Office, OfficeOrPrincipal};
use crate::features::audit;
use crate::infra::clock;
use crate::infra::error::{AppResult, Validator};
use crate::infra::pagination::{Paging, parse_time_id, time_id_key};
use crate::infra::state::State;
use crate::schema::notifications::notification;
use actix_web::{get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: Uuid,
    /// The event it came from (`escalation.raised`, `hazard.assigned` …).
    pub kind: String,
    /// The rule that chose me (see README "Notifications"), e.g. `escalation_class_teacher`.
    pub rule: String,
    pub title: String,
    pub body: String,
    /// The SPA route that opens the record, for my role; null when there is no page for it.
    pub route: Option<String>,
    /// The record it is about (a hazard, a pass …).
    pub subject_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Null while unread.
    pub read_at: Option<DateTime<Utc>>,
}

fn response(m: notification::Model) -> NotificationResponse {
    NotificationResponse {
        id: m.id,
        kind: m.kind,
        rule: m.rule,
        title: m.title,
        body: m.body,
        route: m.route,
        subject_id: m.subject_id,
        created_at: m.created_at,
        read_at: m.read_at,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationResponse>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// All my unread notifications (the bell's figure), not only this page's.
    pub unread_count: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// Only the unread ones.
    pub unread: Option<bool>,
}

/// My notifications, newest first, with my unread count: the events that concern me, by the
/// rules of who gets what (a class teacher only the own classes' events, the office the
/// school-wide ones, the principal plans and incidents, a hazard's owner its assignment …)
/// and the escalations on the office's clock. Every signed-in role; integration keys may not
/// (a key is nobody).
#[utoipa::path(
    tag = "notifications",
    params(NotificationQuery),
    responses(
        (status = 200, body = NotificationPage),
        (status = 400, description = "`invalid_limit`, `invalid_cursor`", body = crate::infra::error::Problem),
        (status = 401, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/notifications")]
pub async fn list_notifications(
    auth: Auth<AnyUser>,
    state: State,
    query: web::Query<NotificationQuery>,
) -> AppResult<web::Json<NotificationPage>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let after = paging.after.as_deref().map(parse_time_id).transpose()?;
    let db = &state.db.conn;
    let me = auth.user.id;
    let rows = store::list(
        db,
        me,
        q.unread.unwrap_or(false),
        after,
        paging.fetch_limit(),
    )
    .await?;
    let page = paging.page(rows, |r| time_id_key(r.created_at, r.id));
    Ok(web::Json(NotificationPage {
        items: page.items.into_iter().map(response).collect(),
        next_cursor: page.next_cursor,
        unread_count: store::unread_count(db, me).await?,
    }))
}

/// Marks one of my notifications read (again: no change). Someone else's is not found.
#[utoipa::path(
    tag = "notifications",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = NotificationResponse),
        (status = 404, description = "`notification_not_found`: none of mine has this id", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/notifications/{id}/read")]
pub async fn read_notification(
    auth: Auth<AnyUser>,
    state: State,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<NotificationResponse>> {
    let tx = state.db.begin_write().await?;
    let m = store::mark_read(&*tx, auth.user.id, path.into_inner(), clock::now()).await?;
    tx.commit().await?;
    Ok(web::Json(response(m)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAllResponse {
    /// How many were unread and are now read.
    pub marked: u64,
    pub unread_count: u64,
}

/// Marks all my notifications read.
#[utoipa::path(
    tag = "notifications",
    responses((status = 200, body = ReadAllResponse), (status = 401, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/notifications/read-all")]
pub async fn read_all_notifications(
    auth: Auth<AnyUser>,
    state: State,
) -> AppResult<web::Json<ReadAllResponse>> {
    let tx = state.db.begin_write().await?;
    let marked = store::mark_all(&*tx, auth.user.id, clock::now()).await?;
    tx.commit().await?;
    Ok(web::Json(ReadAllResponse {
        marked,
        unread_count: store::unread_count(&state.db.conn, auth.user.id).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationSettingsResponse {
    pub settings: EscalationSettings,
    /// True while the office has not changed anything (the defaults apply).
    pub is_default: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The escalation settings: who is told when, for an overdue student (+15 min the class
/// teacher, +60 min the office and the leader on call), a flagged visitor, an abnormal health
/// report, hazards past their deadline (a daily digest) and a missing traffic check. The
/// defaults until the office changes them.
#[utoipa::path(
    tag = "notifications",
    responses(
        (status = 200, body = EscalationSettingsResponse),
        (status = 401, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/escalation-settings")]
pub async fn get_escalation_settings(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<EscalationSettingsResponse>> {
    let (settings, row) = store::settings(&state.db.conn).await?;
    Ok(web::Json(EscalationSettingsResponse {
        settings,
        is_default: row.is_none(),
        updated_at: row.map(|r| r.updated_at),
    }))
}

/// Changes the escalation settings (the whole set). Step 2 of an overdue student must come
/// after step 1 (`pass_overdue.office_after_minutes` > `teacher_after_minutes`, both within
/// a day); the digest's time is `HH:MM`; 校医 is an active account. A step already raised is
/// not raised again under new delays. Audited.
#[utoipa::path(
    tag = "notifications",
    request_body = EscalationSettings,
    responses(
        (status = 200, body = EscalationSettingsResponse),
        (status = 422, description = "`validation_failed`, naming the field", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/escalation-settings")]
pub async fn update_escalation_settings(
    auth: Auth<Office>,
    state: State,
    body: web::Json<EscalationSettings>,
) -> AppResult<web::Json<EscalationSettingsResponse>> {
    let s = body.into_inner();
    let mut v = Validator::new();
    s.validate(&mut v);
    if let Some(id) = s.health_abnormal.clinic_user_id
        && !store::active_user(&state.db.conn, id).await?
    {
        v.add(
            &super::policy::field("health_abnormal", "clinic_user_id"),
            "unknown_user",
            "校医账号不存在或已停用",
        );
    }
    v.finish()?;
    let now = clock::now();
    let tx = state.db.begin_write().await?;
    store::save_settings(&*tx, &s, auth.user.id, now).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "escalation_settings.update",
        "escalation_settings",
        None,
        json!({ "settings": &s }),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(EscalationSettingsResponse {
        settings: s,
        is_default: false,
        updated_at: Some(now),
    }))
}
