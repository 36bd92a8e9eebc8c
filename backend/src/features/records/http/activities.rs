//! Activities and drills (演练/专题教育).

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityResponse {
    pub id: Uuid,
    /// `drill` (演练) or `education` (专题教育).
    pub kind: ActivityKind,
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

fn activity_response(a: activity::Model) -> AppResult<ActivityResponse> {
    Ok(ActivityResponse {
        class_ids: stored_list(&a.class_ids)?,
        photos: stored_list(&a.photos)?,
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
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    #[schema(value_type = ActivityKind)]
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
    one_of(&mut v, "kind", &b.kind, ActivityKind::as_str);
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
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["records:read"])
    )
)]
#[get("/activities")]
pub async fn list_activities(
    _auth: AuthOrKey<Staff, RecordsRead>,
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
    Ok(web::Json(
        rows.into_iter()
            .map(activity_response)
            .collect::<AppResult<_>>()?,
    ))
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
    Ok(HttpResponse::Created().json(activity_response(a)?))
}

pub async fn insert_activity(
    db: &impl ConnectionTrait,
    b: ActivityRequest,
    by: Option<Uuid>,
) -> AppResult<activity::Model> {
    let now = crate::infra::clock::now();
    Ok(activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(checked(ActivityKind::parse(&b.kind))?),
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
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard"]),
        ("api_key" = ["records:read"])
    )
)]
#[get("/activities/{id}")]
pub async fn get_activity(
    _auth: AuthOrKey<Staff, RecordsRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ActivityResponse>> {
    Ok(web::Json(activity_response(
        find_activity(&state.db.conn, id.into_inner()).await?,
    )?))
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
    a.kind = Set(checked(ActivityKind::parse(&b.kind))?);
    a.topic = Set(b.topic.trim().to_owned());
    a.date = Set(b.date.trim().to_owned());
    a.organiser = Set(b.organiser.trim().to_owned());
    a.class_ids = Set(serde_json::to_string(&b.class_ids).unwrap_or_else(|_| "[]".into()));
    a.participant_count = Set(b.participant_count);
    a.summary = Set(b.summary);
    a.photos = Set(serde_json::to_string(&b.photos).unwrap_or_else(|_| "[]".into()));
    a.plan_item_id = Set(b.plan_item_id);
    a.updated_at = Set(crate::infra::clock::now());
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
    Ok(web::Json(activity_response(after)?))
}
