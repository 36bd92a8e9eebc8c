//! Checks: submit, amend, spot-check, list and read.

use super::super::model::{AnswerRecord, SubmissionKind, TargetKind, TemplateItem, submission};
use super::super::period::Period;
use super::super::scoring::{
    AnswerInput, already_submitted, require_answerable, resolve_answers, resolve_period, superseded,
};
use super::super::store::{self, NewSubmission, Target, answers_of, items_of};
use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, Inspectors, Role, SpotCheckers};
use crate::features::audit;
use crate::features::classes;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubmissionRequest {
    /// The template version being answered; must be the current version.
    pub template_id: Uuid,
    /// For class templates.
    pub class_id: Option<Uuid>,
    /// For location templates (e.g. `教学楼A`); default `全校`.
    pub location: Option<String>,
    /// `2026-W48` (weekly), `2026-11` (monthly), `2026-11-29` (daily); default the current one.
    pub period: Option<String>,
    /// Every item passed: `answers` may then be empty, or list only the exceptions.
    #[serde(default)]
    pub all_passed: bool,
    #[serde(default)]
    pub answers: Vec<AnswerInput>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendSubmissionRequest {
    #[serde(default)]
    pub all_passed: bool,
    #[serde(default)]
    pub answers: Vec<AnswerInput>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionResponse {
    pub id: Uuid,
    pub template_id: Uuid,
    pub template_code: String,
    pub template_version: i32,
    pub template_name: String,
    pub kind: SubmissionKind,
    pub target_kind: TargetKind,
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    pub location: Option<String>,
    pub period: String,
    /// 1 for the first submission; each amendment is the next version.
    pub version: i32,
    pub root_id: Uuid,
    pub is_current: bool,
    pub superseded_by_id: Option<Uuid>,
    pub submitted_by: Uuid,
    pub submitted_by_name: String,
    pub submitted_at: DateTime<Utc>,
    /// First submitted after the period ended (amendments keep the first version's value).
    pub is_late: bool,
    /// 0–100: passed weight over the weight of applicable items.
    pub score: f64,
    pub passed_count: i32,
    pub failed_count: i32,
    pub na_count: i32,
    /// Spot-checks: items failed here that the class's own check passed that period.
    pub discrepancy_count: i32,
    pub discrepancies: Vec<String>,
    pub answers: Vec<AnswerRecord>,
    pub note: Option<String>,
    /// Hazards created from this submission's failed items.
    pub hazard_ids: Vec<Uuid>,
}

async fn to_responses(
    db: &impl ConnectionTrait,
    rows: Vec<submission::Model>,
) -> AppResult<Vec<SubmissionResponse>> {
    let tpls = store::templates_by_id(db, rows.iter().map(|r| r.template_id).collect()).await?;
    let uids: Vec<Uuid> = rows.iter().map(|r| r.submitted_by).collect();
    let names = store::user_names(db, &uids).await?;
    let cls = store::class_names(db, rows.iter().filter_map(|r| r.class_id).collect()).await?;
    let mut hazards = store::hazards_of(db, rows.iter().map(|r| r.id).collect()).await?;
    rows.into_iter()
        .map(|s| {
            let t = tpls.get(&s.template_id);
            Ok(SubmissionResponse {
                id: s.id,
                template_id: s.template_id,
                template_code: s.template_code.clone(),
                template_version: t.map(|t| t.version).unwrap_or(0),
                template_name: t.map(|t| t.name.clone()).unwrap_or_default(),
                kind: s.kind,
                target_kind: s.target_kind,
                class_id: s.class_id,
                class_name: s.class_id.and_then(|c| cls.get(&c).cloned()),
                location: s.location.clone(),
                period: s.period.clone(),
                version: s.version,
                root_id: s.root_id,
                is_current: s.is_current,
                superseded_by_id: s.superseded_by_id,
                submitted_by: s.submitted_by,
                submitted_by_name: names.get(&s.submitted_by).cloned().unwrap_or_default(),
                submitted_at: s.submitted_at,
                is_late: s.is_late,
                score: s.score,
                passed_count: s.passed_count,
                failed_count: s.failed_count,
                na_count: s.na_count,
                discrepancy_count: s.discrepancy_count,
                discrepancies: store::stored(
                    "inspection_submissions.discrepancies",
                    s.id,
                    &s.discrepancies,
                )?,
                answers: answers_of(&s)?,
                note: s.note.clone(),
                hazard_ids: hazards.remove(&s.id).unwrap_or_default(),
            })
        })
        .collect()
}

async fn to_response(
    db: &impl ConnectionTrait,
    s: submission::Model,
) -> AppResult<SubmissionResponse> {
    to_responses(db, vec![s])
        .await?
        .pop()
        .ok_or_else(ApiError::internal)
}

/// Submit a check (the responsible person's own check). Score is computed on the server.
/// A class teacher submits only for own class (`not_own_class`); the template's role (or the
/// office) submits. One per template, target and period: a second is `409 already_submitted`
/// (amend it instead). `all_passed: true` with no answers submits every item as passed.
/// Each failed item creates a hazard in the same transaction.
#[utoipa::path(
    tag = "inspections",
    request_body = CreateSubmissionRequest,
    responses(
        (status = 201, body = SubmissionResponse),
        (status = 403, description = "`not_own_class`, `wrong_submitter_role`", body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`already_submitted`, `template_outdated`, `template_inactive`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "class_teacher", "guard"]))
)]
#[post("/inspections")]
pub async fn create_submission(
    auth: Auth<Inspectors>,
    state: State,
    body: web::Json<CreateSubmissionRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let user = &auth.user;
    let mut v = Validator::new();
    v.opt_text("note", body.note.as_deref(), 1000);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let tpl = store::find_template(&*tx, body.template_id).await?;
    require_answerable(&tpl)?;
    if user.role != Role::SecurityOffice && tpl.submitter_role != user.role {
        return Err(ApiError::forbidden(
            ErrorCode::WrongSubmitterRole,
            "此检查不由您的角色提交",
        ));
    }
    let target = store::resolve_target(&*tx, &tpl, body.class_id, body.location).await?;
    if let Some(cid) = target.class_id {
        classes::require_own_class(&*tx, user, cid).await?;
    }
    let period = resolve_period(
        tpl.frequency,
        body.period.as_deref(),
        crate::infra::clock::today(state.tz),
    )?;
    if store::current_own_check(&*tx, &tpl.code, &target.key, &period.key())
        .await?
        .is_some()
    {
        return Err(already_submitted());
    }
    let items: Vec<TemplateItem> = items_of(&tpl)?;
    let answers = resolve_answers(&items, body.all_passed, body.answers)?;
    let row = store::insert_submission(
        &*tx,
        &state.tz,
        user,
        NewSubmission {
            tpl: &tpl,
            items: &items,
            target: &target,
            period: &period,
            kind: SubmissionKind::OwnCheck,
            answers,
            note: body.note,
            previous: None,
        },
    )
    .await?;
    audit::record(
        &*tx,
        user.actor(),
        "inspection.submit",
        "inspection",
        Some(row.id.to_string()),
        json!({"template_id": tpl.id, "template_code": tpl.code, "target": target.key, "period": row.period, "score": row.score, "failed": row.failed_count}),
    )
    .await?;
    let resp = to_response(&*tx, row).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

/// Amend a submission: a new version with the same template version, target and period; the
/// old one is kept (`is_current: false`, `superseded_by_id`). Only the current version can be
/// amended (`409 submission_superseded`), by its submitter's side (own class) or the office.
#[utoipa::path(
    tag = "inspections",
    params(("id" = Uuid, Path)),
    request_body = AmendSubmissionRequest,
    responses(
        (status = 201, body = SubmissionResponse),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`submission_superseded`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "class_teacher", "guard"]))
)]
#[post("/inspections/{id}/amendments")]
pub async fn amend_submission(
    auth: Auth<Inspectors>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AmendSubmissionRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let user = &auth.user;
    let mut v = Validator::new();
    v.opt_text("note", body.note.as_deref(), 1000);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let prev = store::find_submission(&*tx, id.into_inner()).await?;
    if !store::may_view_submission(&*tx, user, &prev).await? {
        return Err(ApiError::not_found(
            ErrorCode::SubmissionNotFound,
            "检查记录不存在",
        ));
    }
    if let Some(cid) = prev.class_id {
        classes::require_own_class(&*tx, user, cid).await?;
    }
    if user.role != Role::SecurityOffice && prev.submitted_by != user.id {
        return Err(ApiError::forbidden(
            ErrorCode::NotSubmitter,
            "只能更正自己提交的检查记录",
        ));
    }
    if !prev.is_current {
        return Err(superseded());
    }
    let tpl = store::find_template(&*tx, prev.template_id).await?;
    let items: Vec<TemplateItem> = items_of(&tpl)?;
    let answers = resolve_answers(&items, body.all_passed, body.answers)?;
    let period = Period::parse(&prev.period).ok_or_else(ApiError::internal)?;
    let class_name = match prev.class_id {
        Some(c) => Some(classes::find(&*tx, c).await?.name),
        None => None,
    };
    let target = Target {
        kind: prev.target_kind,
        class_id: prev.class_id,
        class_name,
        location: prev.location.clone(),
        key: prev.target_key.clone(),
    };
    let row = store::insert_submission(
        &*tx,
        &state.tz,
        user,
        NewSubmission {
            tpl: &tpl,
            items: &items,
            target: &target,
            period: &period,
            kind: prev.kind,
            answers,
            note: body.note,
            previous: Some(&prev),
        },
    )
    .await?;
    audit::record(
        &*tx,
        user.actor(),
        "inspection.amend",
        "inspection",
        Some(row.id.to_string()),
        json!({"amends": prev.id, "version": row.version, "score_before": prev.score, "score": row.score}),
    )
    .await?;
    let resp = to_response(&*tx, row).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotCheckRequest {
    /// A class template (e.g. 交通安全检查), current version.
    pub template_id: Uuid,
    pub class_id: Uuid,
    /// Default: the current period.
    pub period: Option<String>,
    #[serde(default)]
    pub all_passed: bool,
    #[serde(default)]
    pub answers: Vec<AnswerInput>,
    pub note: Option<String>,
}

/// Spot-check (抽查) a class with the same template. Allowed to whoever may spot-check today
/// (the security office; duty teachers once the duty roster exists): otherwise
/// `403 not_on_duty`. Items failed here that the class's own check passed that period are
/// flagged as discrepancies; failed items create hazards.
#[utoipa::path(
    tag = "inspections",
    request_body = SpotCheckRequest,
    responses(
        (status = 201, body = SubmissionResponse),
        (status = 403, description = "`not_on_duty`", body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, body = crate::infra::error::Problem),
        (status = 422, description = "`validation_failed`, `not_a_class_template`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office", "class_teacher"]))
)]
#[post("/inspections/spot-checks")]
pub async fn create_spot_check(
    auth: Auth<SpotCheckers>,
    state: State,
    body: web::Json<SpotCheckRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let user = &auth.user;
    let mut v = Validator::new();
    v.opt_text("note", body.note.as_deref(), 1000);
    v.finish()?;
    let today = crate::infra::clock::today(state.tz);
    let tx = state.db.begin_write().await?;
    let tpl = store::find_template(&*tx, body.template_id).await?;
    let target = if tpl.target_kind == TargetKind::Class {
        store::resolve_target(&*tx, &tpl, Some(body.class_id), None).await?
    } else {
        return Err(ApiError::unprocessable(
            ErrorCode::NotAClassTemplate,
            "抽查只针对班级检查模板",
        ));
    };
    if !store::may_spot_check(&*tx, user, today).await? {
        return Err(ApiError::forbidden(
            ErrorCode::NotOnDuty,
            "只有当日值班人员可以抽查",
        ));
    }
    require_answerable(&tpl)?;
    let period = resolve_period(tpl.frequency, body.period.as_deref(), today)?;
    let items: Vec<TemplateItem> = items_of(&tpl)?;
    let answers = resolve_answers(&items, body.all_passed, body.answers)?;
    let row = store::insert_submission(
        &*tx,
        &state.tz,
        user,
        NewSubmission {
            tpl: &tpl,
            items: &items,
            target: &target,
            period: &period,
            kind: SubmissionKind::SpotCheck,
            answers,
            note: body.note,
            previous: None,
        },
    )
    .await?;
    audit::record(
        &*tx,
        user.actor(),
        "inspection.spot_check",
        "inspection",
        Some(row.id.to_string()),
        json!({"template_code": tpl.code, "target": target.key, "period": row.period, "score": row.score, "discrepancies": row.discrepancy_count}),
    )
    .await?;
    let resp = to_response(&*tx, row).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubmissionQuery {
    pub template_code: Option<String>,
    pub kind: Option<SubmissionKind>,
    pub class_id: Option<Uuid>,
    pub period: Option<String>,
    /// Only spot-checks with discrepancies.
    pub has_discrepancy: Option<bool>,
    /// Also list amended (superseded) versions.
    #[serde(default)]
    pub include_superseded: bool,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Submissions, newest first, limited to what the caller may see: the office and the principal
/// all; class teachers and safety officers their own classes' and their own; guards location
/// checks and their own.
#[utoipa::path(
    tag = "inspections",
    params(SubmissionQuery),
    responses(
        (status = 200, body = Page<SubmissionResponse>),
        (status = 400, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/inspections")]
pub async fn list_submissions(
    auth: Auth<AnyUser>,
    state: State,
    query: web::Query<SubmissionQuery>,
) -> AppResult<web::Json<Page<SubmissionResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let user = &auth.user;
    let mut select = submission::Entity::find();
    match user.role {
        Role::SecurityOffice | Role::Principal => {}
        Role::ClassTeacher | Role::SafetyOfficer => {
            let own = crate::features::users::own_class_ids(db, user.id, user.role).await?;
            if let Some(cid) = q.class_id
                && !own.contains(&cid)
            {
                return Err(ApiError::forbidden(
                    ErrorCode::NotOwnClass,
                    "只能查看本班的记录",
                ));
            }
            select = select.filter(
                sea_orm::Condition::any()
                    .add(submission::Column::ClassId.is_in(own))
                    .add(submission::Column::SubmittedBy.eq(user.id)),
            );
        }
        Role::Guard => {
            select = select.filter(
                sea_orm::Condition::any()
                    .add(submission::Column::TargetKind.eq(TargetKind::Location))
                    .add(submission::Column::SubmittedBy.eq(user.id)),
            );
        }
    }
    if let Some(v) = q.template_code {
        select = select.filter(submission::Column::TemplateCode.eq(v));
    }
    if let Some(v) = q.kind {
        select = select.filter(submission::Column::Kind.eq(v));
    }
    if let Some(v) = q.class_id {
        select = select.filter(submission::Column::ClassId.eq(v));
    }
    if let Some(v) = q.period {
        select = select.filter(submission::Column::Period.eq(v));
    }
    match q.has_discrepancy {
        Some(true) => select = select.filter(submission::Column::DiscrepancyCount.gt(0)),
        Some(false) => select = select.filter(submission::Column::DiscrepancyCount.eq(0)),
        None => {}
    }
    if !q.include_superseded {
        select = select.filter(submission::Column::IsCurrent.eq(true));
    }
    if let Some(after) = &paging.after {
        let after = Uuid::parse_str(after)
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
        select = select.filter(submission::Column::Id.lt(after));
    }
    let rows = select
        .order_by_desc(submission::Column::Id)
        .limit(paging.fetch_limit())
        .all(db)
        .await?;
    let page = paging.page(rows, |r| r.id.to_string());
    Ok(web::Json(Page {
        items: to_responses(db, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionDetail {
    #[serde(flatten)]
    pub submission: SubmissionResponse,
    /// Every version of this submission (oldest first), including this one.
    pub versions: Vec<SubmissionVersion>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionVersion {
    pub id: Uuid,
    pub version: i32,
    pub submitted_at: DateTime<Utc>,
    pub score: f64,
    pub is_current: bool,
}

/// One submission (any version), with the list of its versions.
#[utoipa::path(
    tag = "inspections",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = SubmissionDetail),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/inspections/{id}")]
pub async fn get_submission(
    auth: Auth<AnyUser>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<SubmissionDetail>> {
    let db = &state.db.conn;
    let s = store::find_submission(db, id.into_inner()).await?;
    if !store::may_view_submission(db, &auth.user, &s).await? {
        return Err(ApiError::forbidden(
            ErrorCode::NotOwnClass,
            "只能查看本班的记录",
        ));
    }
    let versions = submission::Entity::find()
        .filter(submission::Column::RootId.eq(s.root_id))
        .order_by_asc(submission::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(|v| SubmissionVersion {
            id: v.id,
            version: v.version,
            submitted_at: v.submitted_at,
            score: v.score,
            is_current: v.is_current,
        })
        .collect();
    Ok(web::Json(SubmissionDetail {
        submission: to_response(db, s).await?,
        versions,
    }))
}
