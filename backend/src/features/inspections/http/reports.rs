//! The compliance list and the signed-in user's checks due.

use super::super::builtin;
use super::super::model::{Frequency, TargetKind, submission, template};
use super::super::period::Period;
use super::super::scoring::{ComplianceStatus, DueStatus};
use super::super::store::SLOT_SELF;
use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, OfficeOrPrincipal};
use crate::features::classes::model as class;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError};
use crate::infra::state::State;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    /// Default `traffic_weekly`.
    pub template_code: Option<String>,
    /// Default: the current period.
    pub period: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceRow {
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    pub location: Option<String>,
    pub status: ComplianceStatus,
    pub submission_id: Option<Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceResponse {
    pub template_code: String,
    pub template_name: String,
    pub period: String,
    /// When the period ends: later submissions are late.
    pub due_at: DateTime<Utc>,
    pub submitted: u32,
    pub late: u32,
    pub missing: u32,
    /// Class templates: one row per class. Location templates: one row per location
    /// checked, or a single `missing` row when nothing was submitted.
    pub rows: Vec<ComplianceRow>,
}

/// Who submitted a template's check for a period, who was late, who is missing.
#[utoipa::path(
    tag = "inspections",
    params(ComplianceQuery),
    responses(
        (status = 200, body = ComplianceResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/inspections/compliance")]
pub async fn get_compliance(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<ComplianceQuery>,
) -> AppResult<web::Json<ComplianceResponse>> {
    let q = query.into_inner();
    let db = &state.db.conn;
    let code = q
        .template_code
        .unwrap_or_else(|| builtin::TRAFFIC.to_owned());
    let tpl = template::Entity::find()
        .filter(template::Column::Code.eq(code.as_str()))
        .filter(template::Column::IsCurrent.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::TemplateNotFound, "检查模板不存在"))?;
    // Future periods are fine to ask about here (everything is simply missing).
    let freq = tpl.frequency;
    let today = crate::infra::clock::today(state.tz);
    let period = match q.period.as_deref() {
        None => Period::containing(freq, today),
        Some(s) => match Period::parse(s) {
            Some(p) if p.frequency == freq => p,
            _ => {
                return Err(ApiError::validation(vec![FieldError {
                    field: "period".into(),
                    code: "invalid".into(),
                    message: "周期格式无效或与模板频率不符".into(),
                    line: None,
                }]));
            }
        },
    };
    let subs = submission::Entity::find()
        .filter(submission::Column::TemplateCode.eq(code.as_str()))
        .filter(submission::Column::Period.eq(period.key()))
        .filter(submission::Column::Slot.eq(SLOT_SELF))
        .filter(submission::Column::IsCurrent.eq(true))
        .all(db)
        .await?;
    let mut rows = Vec::new();
    if tpl.target_kind == TargetKind::Class {
        let by_class: HashMap<Uuid, &submission::Model> = subs
            .iter()
            .filter_map(|s| s.class_id.map(|c| (c, s)))
            .collect();
        for c in class::Entity::find()
            .order_by_asc(class::Column::Name)
            .all(db)
            .await?
        {
            let s = by_class.get(&c.id);
            rows.push(ComplianceRow {
                class_id: Some(c.id),
                class_name: Some(c.name),
                location: None,
                status: ComplianceStatus::of(s.map(|s| s.is_late)),
                submission_id: s.map(|s| s.id),
                submitted_at: s.map(|s| s.submitted_at),
                score: s.map(|s| s.score),
            });
        }
    } else {
        for s in &subs {
            rows.push(ComplianceRow {
                class_id: None,
                class_name: None,
                location: s.location.clone(),
                status: ComplianceStatus::of(Some(s.is_late)),
                submission_id: Some(s.id),
                submitted_at: Some(s.submitted_at),
                score: Some(s.score),
            });
        }
        if rows.is_empty() {
            rows.push(ComplianceRow {
                class_id: None,
                class_name: None,
                location: None,
                status: ComplianceStatus::Missing,
                submission_id: None,
                submitted_at: None,
                score: None,
            });
        }
    }
    let count = |st: ComplianceStatus| rows.iter().filter(|r| r.status == st).count() as u32;
    Ok(web::Json(ComplianceResponse {
        submitted: count(ComplianceStatus::Submitted),
        late: count(ComplianceStatus::Late),
        missing: count(ComplianceStatus::Missing),
        template_code: tpl.code,
        template_name: tpl.name,
        period: period.key(),
        due_at: period.ends_at(&state.tz),
        rows,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DueCheck {
    pub template_id: Uuid,
    pub template_code: String,
    pub template_name: String,
    pub frequency: Frequency,
    pub period: String,
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    pub due_at: DateTime<Utc>,
    pub status: DueStatus,
    pub submission_id: Option<Uuid>,
}

/// The signed-in user's checks: for each template their role submits, the current period
/// (due or submitted) and the previous one if it was never submitted (overdue). Class
/// templates per own class; location templates count the user's own submissions.
#[utoipa::path(
    tag = "inspections",
    responses((status = 200, body = Vec<DueCheck>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/inspections/due")]
pub async fn my_checks_due(
    auth: Auth<AnyUser>,
    state: State,
) -> AppResult<web::Json<Vec<DueCheck>>> {
    let db = &state.db.conn;
    let user = &auth.user;
    let today = crate::infra::clock::today(state.tz);
    let tpls = template::Entity::find()
        .filter(template::Column::IsCurrent.eq(true))
        .filter(template::Column::IsActive.eq(true))
        .filter(template::Column::SubmitterRole.eq(user.role.as_str()))
        .order_by_asc(template::Column::Code)
        .all(db)
        .await?;
    let own = crate::features::users::own_class_ids(db, user.id, user.role).await?;
    let names: HashMap<Uuid, String> = class::Entity::find()
        .filter(class::Column::Id.is_in(own.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut out = Vec::new();
    for t in tpls {
        let freq = t.frequency;
        let current = Period::containing(freq, today);
        let previous = Period::containing(freq, current.first - chrono::Duration::days(1));
        let targets: Vec<Option<Uuid>> = if t.target_kind == TargetKind::Class {
            own.iter().map(|c| Some(*c)).collect()
        } else {
            vec![None]
        };
        for cid in targets {
            for (p, is_current) in [(current, true), (previous, false)] {
                let mut select = submission::Entity::find()
                    .filter(submission::Column::TemplateCode.eq(t.code.as_str()))
                    .filter(submission::Column::Period.eq(p.key()))
                    .filter(submission::Column::Slot.eq(SLOT_SELF))
                    .filter(submission::Column::IsCurrent.eq(true));
                select = match cid {
                    Some(c) => select.filter(submission::Column::ClassId.eq(c)),
                    None => select.filter(submission::Column::SubmittedBy.eq(user.id)),
                };
                let found = select.one(db).await?;
                let status = DueStatus::of(found.is_some(), is_current);
                if !is_current && found.is_some() {
                    continue;
                }
                out.push(DueCheck {
                    template_id: t.id,
                    template_code: t.code.clone(),
                    template_name: t.name.clone(),
                    frequency: freq,
                    period: p.key(),
                    class_id: cid,
                    class_name: cid.and_then(|c| names.get(&c).cloned()),
                    due_at: p.ends_at(&state.tz),
                    status,
                    submission_id: found.map(|s| s.id),
                });
            }
        }
    }
    Ok(web::Json(out))
}
