//! Guards' daily health reports (体温检测日报).

use super::*;

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

/// Display names of the guards and acknowledgers of these reports (not the whole users table).
async fn names(
    db: &impl ConnectionTrait,
    rows: &[health::Model],
) -> AppResult<HashMap<Uuid, String>> {
    let ids: std::collections::HashSet<Uuid> = rows
        .iter()
        .flat_map(|h| std::iter::once(h.guard_id).chain(h.acknowledged_by))
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
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
        abnormal: Set(crate::features::records::screening::is_abnormal(
            temperature,
            b.fit_for_duty,
        )),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
        acknowledge_note: Set(None),
        created_at: Set(crate::infra::clock::now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(&*tx, auth.user.actor(), "health_report.create", "health_report", Some(h.id.to_string()), json!({"date": h.date, "temperature": h.temperature, "fit_for_duty": h.fit_for_duty, "abnormal": h.abnormal})).await?;
    if h.abnormal {
        // Who and when only: the temperature and symptoms stay here for 校医.
        let e = crate::features::events::HealthAbnormal {
            report_id: h.id,
            guard_id: h.guard_id,
            guard_name: auth.user.display_name.clone(),
            date: h.date.clone(),
            fit_for_duty: h.fit_for_duty,
        };
        crate::features::events::emit_payload(&*tx, h.created_at, &e).await?;
    }
    tx.commit().await?;
    let n = names(&state.db.conn, std::slice::from_ref(&h)).await?;
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
    let n = names(&state.db.conn, &rows).await?;
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
        a.acknowledged_at = Set(Some(crate::infra::clock::now()));
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
    let n = names(&state.db.conn, std::slice::from_ref(&after)).await?;
    Ok(web::Json(health_response(after, &n)))
}
