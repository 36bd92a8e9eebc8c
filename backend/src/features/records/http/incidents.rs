//! Incidents: who sees them, backdating, and the office's decision on a pending class.

use super::*;
use crate::features::records::screening::{self, IncidentTime};

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentResponse {
    pub id: Uuid,
    /// `theft`, `injury`, `traffic`, `fire`, `intrusion` or `other`.
    pub kind: IncidentKind,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub severity: Severity,
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

/// Incidents are free text about minors: the office, the principal and a `records:read` key
/// see all of them, a class teacher those of own classes and own reports, a guard own reports.
async fn incident_visibility(
    db: &impl ConnectionTrait,
    caller: &Caller,
) -> AppResult<Option<Condition>> {
    let Caller::User(u) = caller else {
        return Ok(None);
    };
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
    #[schema(value_type = IncidentKind)]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub place: String,
    #[schema(value_type = Severity)]
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
    #[schema(value_type = Option<IncidentKind>)]
    pub kind: Option<String>,
    pub place: Option<String>,
    #[schema(value_type = Option<Severity>)]
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

/// Incidents the caller may see, newest first: all for the office, the principal and a
/// `records:read` key (the record as the office sees it), own classes' and own reports for a
/// class teacher, own reports for a guard.
#[utoipa::path(
    tag = "records",
    params(IncidentQuery),
    responses((status = 200, body = Vec<IncidentResponse>)),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["records:read"])
    )
)]
#[get("/incidents")]
pub async fn list_incidents(
    auth: AuthOrKey<Staff, RecordsRead>,
    state: State,
    q: web::Query<IncidentQuery>,
) -> AppResult<web::Json<Vec<IncidentResponse>>> {
    let mut s = incident::Entity::find();
    if let Some(c) = incident_visibility(&state.db.conn, &auth.caller).await? {
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
    let kind = one_of(&mut v, "kind", &b.kind, IncidentKind::as_str);
    let severity = one_of(&mut v, "severity", &b.severity, Severity::as_str);
    v.text("place", &b.place, 1, 200);
    v.text("description", &b.description, 1, 20_000);
    v.opt_text("actions_taken", Some(&b.actions_taken), 20_000);
    match screening::incident_time(b.occurred_at, crate::infra::clock::now(), auth.user.role) {
        IncidentTime::Ok => {}
        IncidentTime::InFuture => v.add("occurred_at", "invalid", "发生时间不能晚于现在"),
        IncidentTime::TooOld => v.add(
            "occurred_at",
            "too_old",
            "发生时间不能早于 7 天前;更早的事件请由保卫处登记",
        ),
    }
    v.finish()?;
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let mut class_pending = false;
    if let Some(c) = b.class_id {
        crate::features::classes::find(&*tx, c).await?;
        class_pending = !crate::features::hazards::attributes_directly(&*tx, &auth.user, c).await?;
    }
    let i = incident::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(checked(kind)?),
        occurred_at: Set(b.occurred_at),
        place: Set(b.place.trim().to_owned()),
        severity: Set(checked(severity)?),
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
    let e = crate::features::events::IncidentReported {
        incident_id: i.id,
        kind: i.kind,
        severity: i.severity,
        place: i.place.clone(),
        occurred_at: i.occurred_at,
        class_id: i.class_id,
    };
    crate::features::events::emit_payload(&*tx, now, &e).await?;
    let response = one_incident_response(&*tx, i).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(response))
}

/// One incident the caller may see (as in the list; others answer `incident_not_found`).
#[utoipa::path(
    tag = "records",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = IncidentResponse), (status = 404, body = crate::infra::error::Problem)),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["records:read"])
    )
)]
#[get("/incidents/{id}")]
pub async fn get_incident(
    auth: AuthOrKey<Staff, RecordsRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<IncidentResponse>> {
    let mut s = incident::Entity::find_by_id(id.into_inner());
    // Not 403: whether an incident the caller may not read exists is not the caller's to know.
    if let Some(c) = incident_visibility(&state.db.conn, &auth.caller).await? {
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
    let kind = b
        .kind
        .as_deref()
        .map(|k| one_of(&mut v, "kind", k, IncidentKind::as_str));
    let severity = b
        .severity
        .as_deref()
        .map(|s| one_of(&mut v, "severity", s, Severity::as_str));
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
    if let Some(k) = kind {
        a.kind = Set(checked(k)?);
    }
    if let Some(s) = severity {
        a.severity = Set(checked(s)?);
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
            Some(before.closed_at.unwrap_or_else(crate::infra::clock::now))
        } else {
            None
        });
    }
    a.updated_at = Set(crate::infra::clock::now());
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
    a.updated_at = Set(crate::infra::clock::now());
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
