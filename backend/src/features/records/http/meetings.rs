//! Meetings (例会).

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingResponse {
    pub id: Uuid,
    /// `guard_meeting` (保安例会), `safety_officer_meeting` (学生安全员例会),
    /// `leadership_group` (安全领导小组) or `other`.
    pub kind: MeetingKind,
    pub title: String,
    pub date: String,
    pub attendees: Vec<String>,
    pub minutes: String,
    pub decisions: String,
    pub plan_item_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn meeting_response(m: meeting::Model) -> AppResult<MeetingResponse> {
    Ok(MeetingResponse {
        attendees: stored_list(&m.attendees)?,
        id: m.id,
        kind: m.kind,
        title: m.title,
        date: m.date,
        minutes: m.minutes,
        decisions: m.decisions,
        plan_item_id: m.plan_item_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRequest {
    #[schema(value_type = MeetingKind)]
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
    one_of(&mut v, "kind", &b.kind, MeetingKind::as_str);
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
    let now = crate::infra::clock::now();
    Ok(meeting::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(checked(MeetingKind::parse(&b.kind))?),
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
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["records:read"])
    )
)]
#[get("/meetings")]
pub async fn list_meetings(
    _auth: AuthOrKey<Staff, RecordsRead>,
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
    Ok(web::Json(
        rows.into_iter()
            .map(meeting_response)
            .collect::<AppResult<_>>()?,
    ))
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
    Ok(HttpResponse::Created().json(meeting_response(m)?))
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
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["records:read"])
    )
)]
#[get("/meetings/{id}")]
pub async fn get_meeting(
    _auth: AuthOrKey<Staff, RecordsRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<MeetingResponse>> {
    Ok(web::Json(meeting_response(
        find_meeting(&state.db.conn, id.into_inner()).await?,
    )?))
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
    a.kind = Set(checked(MeetingKind::parse(&b.kind))?);
    a.title = Set(b.title.trim().to_owned());
    a.date = Set(b.date.trim().to_owned());
    a.attendees = Set(serde_json::to_string(&b.attendees).unwrap_or_else(|_| "[]".into()));
    a.minutes = Set(b.minutes);
    a.decisions = Set(b.decisions);
    a.plan_item_id = Set(b.plan_item_id);
    a.updated_at = Set(crate::infra::clock::now());
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
    Ok(web::Json(meeting_response(after)?))
}
