//! Inspections: versioned checklist templates, submissions (own checks and spot-checks) with
//! server-computed scores, discrepancy flags, compliance per period and "my checks due".

pub mod builtin;
pub use crate::schema::inspections as model;
pub mod period;
mod templates;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{AnyUser, Inspectors, OfficeOrPrincipal, Role, SpotCheckers};
use crate::features::attachments::{self, LINK_SUBMISSION, MAX_PER_FIELD};
use crate::features::audit;
use crate::features::classes::{self, model as class};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use model::{submission, template};
use period::{Frequency, Period};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub use templates::{TemplateItem, TemplateResponse};

pub const KIND_SELF: &str = "self";
pub const KIND_SPOT: &str = "spot_check";
const SLOT_SELF: &str = "self";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    Pass,
    Fail,
    /// Not applicable: left out of the score.
    Na,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub item_key: String,
    pub result: ItemResult,
    pub note: Option<String>,
    /// Photos uploaded first with `POST /attachments`.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

/// An answer as stored and returned.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerRecord {
    pub item_key: String,
    pub result: ItemResult,
    pub note: Option<String>,
    pub attachment_ids: Vec<Uuid>,
}

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
    /// `self` or `spot_check`.
    pub kind: String,
    pub target_kind: String,
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

fn parse_json<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_str(s).unwrap_or_default()
}

/// Score and counts from answers and item weights.
pub fn score(items: &[TemplateItem], answers: &[AnswerRecord]) -> (f64, i32, i32, i32) {
    let weight: HashMap<&str, u32> = items.iter().map(|i| (i.key.as_str(), i.weight)).collect();
    let (mut pass_w, mut total_w) = (0u32, 0u32);
    let (mut p, mut f, mut n) = (0, 0, 0);
    for a in answers {
        let w = weight.get(a.item_key.as_str()).copied().unwrap_or(0);
        match a.result {
            ItemResult::Pass => {
                p += 1;
                pass_w += w;
                total_w += w;
            }
            ItemResult::Fail => {
                f += 1;
                total_w += w;
            }
            ItemResult::Na => n += 1,
        }
    }
    let s = if total_w == 0 {
        100.0
    } else {
        (pass_w as f64 * 1000.0 / total_w as f64).round() / 10.0
    };
    (s, p, f, n)
}

/// Checks the answers against the template's items; returns one answer per item, in the
/// template's order.
fn resolve_answers(
    items: &[TemplateItem],
    all_passed: bool,
    answers: Vec<AnswerInput>,
) -> AppResult<Vec<AnswerRecord>> {
    let mut v = Validator::new();
    let mut given: HashMap<String, AnswerInput> = HashMap::new();
    for (i, a) in answers.into_iter().enumerate() {
        let field = format!("answers[{i}]");
        if !items.iter().any(|it| it.key == a.item_key) {
            v.add(&field, "unknown_item", "检查项不存在于该模板版本中");
            continue;
        }
        v.opt_text(&format!("{field}.note"), a.note.as_deref(), 500);
        if a.attachment_ids.len() > MAX_PER_FIELD {
            v.add(
                &format!("{field}.attachment_ids"),
                "too_many",
                "每项最多 9 张图片",
            );
        }
        if given.contains_key(&a.item_key) {
            v.add(&field, "duplicate", "同一检查项重复作答");
            continue;
        }
        given.insert(a.item_key.clone(), a);
    }
    let mut out = Vec::new();
    for it in items {
        match given.remove(&it.key) {
            Some(a) => {
                if a.result == ItemResult::Fail
                    && it.photo_required_on_fail
                    && a.attachment_ids.is_empty()
                {
                    v.add(
                        &format!("answers.{}", it.key),
                        "photo_required",
                        "此项不合格时须上传照片",
                    );
                }
                out.push(AnswerRecord {
                    item_key: it.key.clone(),
                    result: a.result,
                    note: a
                        .note
                        .map(|n| n.trim().to_owned())
                        .filter(|n| !n.is_empty()),
                    attachment_ids: a.attachment_ids,
                });
            }
            None if all_passed => out.push(AnswerRecord {
                item_key: it.key.clone(),
                result: ItemResult::Pass,
                note: None,
                attachment_ids: Vec::new(),
            }),
            None => v.add(
                &format!("answers.{}", it.key),
                "required",
                "此检查项未作答(或使用 all_passed 表示全部合格)",
            ),
        }
    }
    v.finish()?;
    Ok(out)
}

/// Who may spot-check classes on `date`: the security office, and a teacher on a published
/// duty roster that day as duty teacher or leader on call (值周教师).
pub async fn may_spot_check(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    date: NaiveDate,
) -> AppResult<bool> {
    Ok(user.role == Role::SecurityOffice
        || (user.role == Role::ClassTeacher
            && crate::features::duty::is_on_duty_on(db, user.id, date).await?))
}

/// Whether a user may see a submission (any version; they share target and root).
pub async fn may_view_submission(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    s: &submission::Model,
) -> AppResult<bool> {
    if s.submitted_by == user.id {
        return Ok(true);
    }
    Ok(match user.role {
        Role::SecurityOffice | Role::Principal => true,
        Role::ClassTeacher | Role::SafetyOfficer => match s.class_id {
            Some(cid) => crate::features::users::own_class_ids(db, user.id, user.role)
                .await?
                .contains(&cid),
            None => false,
        },
        Role::Guard => s.target_kind == "location",
    })
}

pub async fn may_view_submission_root(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    root_id: Uuid,
) -> AppResult<bool> {
    match submission::Entity::find_by_id(root_id).one(db).await? {
        Some(s) => may_view_submission(db, user, &s).await,
        None => Ok(false),
    }
}

pub async fn find_template(db: &impl ConnectionTrait, id: Uuid) -> AppResult<template::Model> {
    template::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::TemplateNotFound, "检查模板不存在"))
}

async fn find_submission(db: &impl ConnectionTrait, id: Uuid) -> AppResult<submission::Model> {
    submission::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SubmissionNotFound, "检查记录不存在"))
}

async fn user_names(db: &impl ConnectionTrait, ids: &[Uuid]) -> AppResult<HashMap<Uuid, String>> {
    Ok(crate::schema::users::Entity::find()
        .filter(crate::schema::users::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

async fn to_responses(
    db: &impl ConnectionTrait,
    rows: Vec<submission::Model>,
) -> AppResult<Vec<SubmissionResponse>> {
    let tids: HashSet<Uuid> = rows.iter().map(|r| r.template_id).collect();
    let tpls: HashMap<Uuid, template::Model> = template::Entity::find()
        .filter(template::Column::Id.is_in(tids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let uids: Vec<Uuid> = rows.iter().map(|r| r.submitted_by).collect();
    let names = user_names(db, &uids).await?;
    let cls: HashMap<Uuid, String> = class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let sids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut hazards: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for h in crate::schema::hazards::hazard::Entity::find()
        .filter(crate::schema::hazards::hazard::Column::SubmissionId.is_in(sids))
        .all(db)
        .await?
    {
        if let Some(sid) = h.submission_id {
            hazards.entry(sid).or_default().push(h.id);
        }
    }
    Ok(rows
        .into_iter()
        .map(|s| {
            let t = tpls.get(&s.template_id);
            SubmissionResponse {
                id: s.id,
                template_id: s.template_id,
                template_code: s.template_code.clone(),
                template_version: t.map(|t| t.version).unwrap_or(0),
                template_name: t.map(|t| t.name.clone()).unwrap_or_default(),
                kind: s.kind.clone(),
                target_kind: s.target_kind.clone(),
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
                discrepancies: parse_json(&s.discrepancies),
                answers: parse_json(&s.answers),
                note: s.note.clone(),
                hazard_ids: hazards.remove(&s.id).unwrap_or_default(),
            }
        })
        .collect())
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

/// The items a spot-check failed that the own check passed.
fn discrepancies_of(spot: &[AnswerRecord], own: &[AnswerRecord]) -> Vec<String> {
    let own_pass: HashSet<&str> = own
        .iter()
        .filter(|a| a.result == ItemResult::Pass)
        .map(|a| a.item_key.as_str())
        .collect();
    spot.iter()
        .filter(|a| a.result == ItemResult::Fail && own_pass.contains(a.item_key.as_str()))
        .map(|a| a.item_key.clone())
        .collect()
}

async fn current_own_check(
    db: &impl ConnectionTrait,
    code: &str,
    target_key: &str,
    period: &str,
) -> AppResult<Option<submission::Model>> {
    Ok(submission::Entity::find()
        .filter(submission::Column::TemplateCode.eq(code))
        .filter(submission::Column::TargetKey.eq(target_key))
        .filter(submission::Column::Period.eq(period))
        .filter(submission::Column::Slot.eq(SLOT_SELF))
        .filter(submission::Column::IsCurrent.eq(true))
        .one(db)
        .await?)
}

/// After an own check changes, re-flag that period's spot-checks of the same target.
async fn reflag_spot_checks(db: &impl ConnectionTrait, own: &submission::Model) -> AppResult<()> {
    let own_answers: Vec<AnswerRecord> = parse_json(&own.answers);
    let spots = submission::Entity::find()
        .filter(submission::Column::TemplateCode.eq(own.template_code.as_str()))
        .filter(submission::Column::TargetKey.eq(own.target_key.as_str()))
        .filter(submission::Column::Period.eq(own.period.as_str()))
        .filter(submission::Column::Kind.eq(KIND_SPOT))
        .filter(submission::Column::IsCurrent.eq(true))
        .all(db)
        .await?;
    for s in spots {
        let d = discrepancies_of(&parse_json::<Vec<AnswerRecord>>(&s.answers), &own_answers);
        let mut a: submission::ActiveModel = s.into();
        a.discrepancy_count = Set(d.len() as i32);
        a.discrepancies = Set(serde_json::to_string(&d).unwrap_or_else(|_| "[]".into()));
        a.update(db).await?;
    }
    Ok(())
}

struct Target {
    kind: &'static str,
    class_id: Option<Uuid>,
    class_name: Option<String>,
    location: Option<String>,
    key: String,
}

async fn resolve_target(
    db: &impl ConnectionTrait,
    tpl: &template::Model,
    class_id: Option<Uuid>,
    location: Option<String>,
) -> AppResult<Target> {
    let field_err = |field: &str, code: &str, msg: &str| {
        ApiError::validation(vec![FieldError {
            field: field.into(),
            code: code.into(),
            message: msg.into(),
            line: None,
        }])
    };
    if tpl.target_kind == "class" {
        let cid = class_id.ok_or_else(|| field_err("class_id", "required", "须选择班级"))?;
        if location.is_some() {
            return Err(field_err("location", "not_allowed", "班级检查不填地点"));
        }
        let c = classes::find(db, cid).await?;
        Ok(Target {
            kind: "class",
            class_id: Some(c.id),
            class_name: Some(c.name),
            location: None,
            key: format!("class:{}", c.id),
        })
    } else {
        if class_id.is_some() {
            return Err(field_err("class_id", "not_allowed", "地点检查不选班级"));
        }
        let loc = location
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "全校".to_owned());
        if loc.chars().count() > 100 {
            return Err(field_err("location", "too_long", "最多 100 个字符"));
        }
        Ok(Target {
            kind: "location",
            class_id: None,
            class_name: None,
            key: format!("location:{loc}"),
            location: Some(loc),
        })
    }
}

fn resolve_period(
    tpl: &template::Model,
    given: Option<&str>,
    today: NaiveDate,
) -> AppResult<Period> {
    let freq = Frequency::parse(&tpl.frequency).ok_or_else(ApiError::internal)?;
    let err = |code: &str, msg: String| {
        ApiError::validation(vec![FieldError {
            field: "period".into(),
            code: code.into(),
            message: msg,
            line: None,
        }])
    };
    let p = match given {
        None => return Ok(Period::containing(freq, today)),
        Some(s) => Period::parse(s).ok_or_else(|| {
            err(
                "invalid",
                "周期格式应为 2026-W48(周)、2026-11(月)或 2026-11-29(日)".into(),
            )
        })?,
    };
    if p.frequency != freq {
        return Err(err(
            "frequency_mismatch",
            format!("该模板按{}检查,周期格式不符", freq_zh(freq)),
        ));
    }
    if p.first > today {
        return Err(err("in_future", "不能提交尚未开始的周期".into()));
    }
    Ok(p)
}

fn freq_zh(f: Frequency) -> &'static str {
    match f {
        Frequency::Daily => "日",
        Frequency::Weekly => "周",
        Frequency::Monthly => "月",
    }
}

/// Which hazard category a template's failed items become.
fn hazard_category(template_category: &str) -> &'static str {
    match template_category {
        "traffic" => "traffic",
        "fire" => "fire",
        "patrol" => "security",
        _ => "facility",
    }
}

struct NewSubmission<'a> {
    tpl: &'a template::Model,
    items: &'a [TemplateItem],
    target: &'a Target,
    period: &'a Period,
    kind: &'static str,
    answers: Vec<AnswerRecord>,
    note: Option<String>,
    /// The version this one amends.
    previous: Option<&'a submission::Model>,
}

/// Inserts a submission (or an amendment), links its photos, flags discrepancies and creates
/// a hazard for each newly failed item; all in the caller's transaction.
async fn insert_submission(
    db: &impl ConnectionTrait,
    tz: &chrono_tz::Tz,
    user: &CurrentUser,
    n: NewSubmission<'_>,
) -> AppResult<submission::Model> {
    let id = Uuid::now_v7();
    let now = crate::infra::util::now();
    let root_id = n.previous.map(|p| p.root_id).unwrap_or(id);
    for a in &n.answers {
        attachments::claim(
            db,
            user.id,
            &a.attachment_ids,
            LINK_SUBMISSION,
            root_id,
            &format!("answers.{}.attachment_ids", a.item_key),
        )
        .await?;
    }
    let (score, p, f, na) = score(n.items, &n.answers);
    let (slot, version) = match (n.kind, n.previous) {
        (_, Some(prev)) => (prev.slot.clone(), prev.version + 1),
        (KIND_SELF, None) => (SLOT_SELF.to_owned(), 1),
        (_, None) => (format!("spot:{}", id.simple()), 1),
    };
    let discrepancies = if n.kind == KIND_SPOT {
        match current_own_check(db, &n.tpl.code, &n.target.key, &n.period.key()).await? {
            Some(own) => {
                discrepancies_of(&n.answers, &parse_json::<Vec<AnswerRecord>>(&own.answers))
            }
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    if let Some(prev) = n.previous {
        let mut a: submission::ActiveModel = prev.clone().into();
        a.is_current = Set(false);
        a.superseded_by_id = Set(Some(id));
        a.update(db).await?;
    }
    let row = submission::ActiveModel {
        id: Set(id),
        template_id: Set(n.tpl.id),
        template_code: Set(n.tpl.code.clone()),
        kind: Set(n.kind.into()),
        target_kind: Set(n.target.kind.into()),
        class_id: Set(n.target.class_id),
        location: Set(n.target.location.clone()),
        target_key: Set(n.target.key.clone()),
        period: Set(n.period.key()),
        slot: Set(slot),
        version: Set(version),
        root_id: Set(root_id),
        is_current: Set(true),
        superseded_by_id: Set(None),
        submitted_by: Set(user.id),
        submitted_at: Set(now),
        // Lateness belongs to the check, not to a later correction of it.
        is_late: Set(match n.previous {
            Some(prev) => prev.is_late,
            None => now >= n.period.ends_at(tz),
        }),
        score: Set(score),
        passed_count: Set(p),
        failed_count: Set(f),
        na_count: Set(na),
        discrepancy_count: Set(discrepancies.len() as i32),
        discrepancies: Set(serde_json::to_string(&discrepancies).unwrap_or_else(|_| "[]".into())),
        answers: Set(serde_json::to_string(&n.answers).unwrap_or_else(|_| "[]".into())),
        note: Set(n
            .note
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())),
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        // Two requests raced past the checks above; the unique index decided.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) if n.previous.is_some() => superseded(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => already_submitted(),
        _ => e.into(),
    })?;
    if n.kind == KIND_SELF {
        reflag_spot_checks(db, &row).await?;
    }
    // A hazard for each failed item, unless the amended version already failed it (its hazard exists).
    let failed_before: HashSet<String> = n
        .previous
        .map(|p| {
            parse_json::<Vec<AnswerRecord>>(&p.answers)
                .into_iter()
                .filter(|a| a.result == ItemResult::Fail)
                .map(|a| a.item_key)
                .collect()
        })
        .unwrap_or_default();
    let place = n
        .target
        .class_name
        .clone()
        .or_else(|| n.target.location.clone())
        .unwrap_or_default();
    for a in n.answers.iter().filter(|a| a.result == ItemResult::Fail) {
        if failed_before.contains(&a.item_key) {
            continue;
        }
        let text = n
            .items
            .iter()
            .find(|i| i.key == a.item_key)
            .map(|i| i.text.clone())
            .unwrap_or_default();
        let description = match &a.note {
            Some(note) => format!("【{}】不合格:{text}。{note}", n.tpl.name),
            None => format!("【{}】不合格:{text}", n.tpl.name),
        };
        crate::features::hazards::create_from_inspection(
            db,
            user,
            crate::features::hazards::FromInspection {
                category: hazard_category(&n.tpl.category),
                location: place.clone(),
                description,
                class_id: n.target.class_id,
                submission_id: row.id,
                item_key: a.item_key.clone(),
                photo_ids: a.attachment_ids.clone(),
            },
        )
        .await?;
    }
    Ok(row)
}

fn superseded() -> ApiError {
    ApiError::conflict(
        ErrorCode::SubmissionSuperseded,
        "该记录已被更正,请在最新版本上更正",
    )
}

fn already_submitted() -> ApiError {
    ApiError::conflict(
        ErrorCode::AlreadySubmitted,
        "该对象本周期已提交过检查;如需修改请提交更正(amendment)",
    )
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
    let tpl = find_template(&*tx, body.template_id).await?;
    require_answerable(&tpl)?;
    if user.role != Role::SecurityOffice && tpl.submitter_role != user.role.as_str() {
        return Err(ApiError::forbidden(
            ErrorCode::WrongSubmitterRole,
            "此检查不由您的角色提交",
        ));
    }
    let target = resolve_target(&*tx, &tpl, body.class_id, body.location).await?;
    if let Some(cid) = target.class_id {
        classes::require_own_class(&*tx, user, cid).await?;
    }
    let period = resolve_period(&tpl, body.period.as_deref(), period::today(&state.tz))?;
    if current_own_check(&*tx, &tpl.code, &target.key, &period.key())
        .await?
        .is_some()
    {
        return Err(already_submitted());
    }
    let items: Vec<TemplateItem> = parse_json(&tpl.items);
    let answers = resolve_answers(&items, body.all_passed, body.answers)?;
    let row = insert_submission(
        &*tx,
        &state.tz,
        user,
        NewSubmission {
            tpl: &tpl,
            items: &items,
            target: &target,
            period: &period,
            kind: KIND_SELF,
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

fn require_answerable(tpl: &template::Model) -> AppResult<()> {
    if !tpl.is_current {
        return Err(ApiError::conflict(
            ErrorCode::TemplateOutdated,
            "该模板已有新版本,请使用当前版本",
        ));
    }
    if !tpl.is_active {
        return Err(ApiError::conflict(
            ErrorCode::TemplateInactive,
            "该模板已停用",
        ));
    }
    Ok(())
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
    let prev = find_submission(&*tx, id.into_inner()).await?;
    if !may_view_submission(&*tx, user, &prev).await? {
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
    let tpl = find_template(&*tx, prev.template_id).await?;
    let items: Vec<TemplateItem> = parse_json(&tpl.items);
    let answers = resolve_answers(&items, body.all_passed, body.answers)?;
    let period = Period::parse(&prev.period).ok_or_else(ApiError::internal)?;
    let class_name = match prev.class_id {
        Some(c) => Some(classes::find(&*tx, c).await?.name),
        None => None,
    };
    let target = Target {
        kind: if prev.target_kind == "class" {
            "class"
        } else {
            "location"
        },
        class_id: prev.class_id,
        class_name,
        location: prev.location.clone(),
        key: prev.target_key.clone(),
    };
    let kind = if prev.kind == KIND_SPOT {
        KIND_SPOT
    } else {
        KIND_SELF
    };
    let row = insert_submission(
        &*tx,
        &state.tz,
        user,
        NewSubmission {
            tpl: &tpl,
            items: &items,
            target: &target,
            period: &period,
            kind,
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
    let today = period::today(&state.tz);
    let tx = state.db.begin_write().await?;
    let tpl = find_template(&*tx, body.template_id).await?;
    let target = if tpl.target_kind == "class" {
        resolve_target(&*tx, &tpl, Some(body.class_id), None).await?
    } else {
        return Err(ApiError::unprocessable(
            ErrorCode::NotAClassTemplate,
            "抽查只针对班级检查模板",
        ));
    };
    if !may_spot_check(&*tx, user, today).await? {
        return Err(ApiError::forbidden(
            ErrorCode::NotOnDuty,
            "只有当日值班人员可以抽查",
        ));
    }
    require_answerable(&tpl)?;
    let period = resolve_period(&tpl, body.period.as_deref(), today)?;
    let items: Vec<TemplateItem> = parse_json(&tpl.items);
    let answers = resolve_answers(&items, body.all_passed, body.answers)?;
    let row = insert_submission(
        &*tx,
        &state.tz,
        user,
        NewSubmission {
            tpl: &tpl,
            items: &items,
            target: &target,
            period: &period,
            kind: KIND_SPOT,
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
    /// `self` or `spot_check`.
    pub kind: Option<String>,
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
                    .add(submission::Column::TargetKind.eq("location"))
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
    let s = find_submission(db, id.into_inner()).await?;
    if !may_view_submission(db, &auth.user, &s).await? {
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
    /// `submitted` (on time), `late`, or `missing`.
    pub status: String,
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
    let freq = Frequency::parse(&tpl.frequency).ok_or_else(ApiError::internal)?;
    let today = period::today(&state.tz);
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
    let status_of = |s: &submission::Model| -> String {
        if s.is_late { "late" } else { "submitted" }.to_owned()
    };
    let mut rows = Vec::new();
    if tpl.target_kind == "class" {
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
                status: s.map(|s| status_of(s)).unwrap_or_else(|| "missing".into()),
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
                status: status_of(s),
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
                status: "missing".into(),
                submission_id: None,
                submitted_at: None,
                score: None,
            });
        }
    }
    let count = |st: &str| rows.iter().filter(|r| r.status == st).count() as u32;
    Ok(web::Json(ComplianceResponse {
        submitted: count("submitted"),
        late: count("late"),
        missing: count("missing"),
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
    /// `due` (open, not yet submitted), `overdue` (the previous period, never submitted) or
    /// `submitted`.
    pub status: String,
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
    let today = period::today(&state.tz);
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
        let Some(freq) = Frequency::parse(&t.frequency) else {
            continue;
        };
        let current = Period::containing(freq, today);
        let previous = Period::containing(freq, current.first - chrono::Duration::days(1));
        let targets: Vec<Option<Uuid>> = if t.target_kind == "class" {
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
                let status = match (&found, is_current) {
                    (Some(_), _) => "submitted",
                    (None, true) => "due",
                    (None, false) => "overdue",
                };
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
                    status: status.into(),
                    submission_id: found.map(|s| s.id),
                });
            }
        }
    }
    Ok(web::Json(out))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    templates::routes(cfg);
    cfg.service(list_submissions)
        .service(create_submission)
        .service(create_spot_check)
        .service(get_compliance)
        .service(my_checks_due)
        .service(get_submission)
        .service(amend_submission);
}

/// Demo records for this week: three classes submitted their traffic check (one with a failed
/// item, which raised a hazard), two have not (teacher1's class among them, so the main demo
/// teacher has a check due), and the office's spot-check of class 2 disagrees with the class's
/// own check; this month's fire check of 教学楼A found a broken emergency light.
fn demo_err(e: ApiError) -> crate::infra::error::BoxError {
    e.to_string().into()
}

pub async fn seed_demo(db: &impl ConnectionTrait) -> Result<(), crate::infra::error::BoxError> {
    builtin::ensure(db).await?;
    // The demo school is in Suzhou; the demo loader has no settings at hand.
    let tz = chrono_tz::Asia::Shanghai;
    let today = period::today(&tz);
    let users: HashMap<String, crate::schema::users::Model> = crate::schema::users::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    let as_user = |name: &str| -> Option<CurrentUser> {
        let u = users.get(name)?;
        Some(CurrentUser {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: Role::parse(&u.role)?,
            session_id: Uuid::nil(),
        })
    };
    let current = |code: &str| {
        template::Entity::find()
            .filter(template::Column::Code.eq(code.to_owned()))
            .filter(template::Column::IsCurrent.eq(true))
            .one(db)
    };
    let Some(traffic) = current(builtin::TRAFFIC).await? else {
        return Ok(());
    };
    let items: Vec<TemplateItem> = parse_json(&traffic.items);
    let week = Period::containing(Frequency::Weekly, today);
    let answers = |fails: &[(&str, &str)]| -> Vec<AnswerRecord> {
        items
            .iter()
            .map(|it| {
                let fail = fails.iter().find(|(k, _)| *k == it.key);
                AnswerRecord {
                    item_key: it.key.clone(),
                    result: if fail.is_some() {
                        ItemResult::Fail
                    } else {
                        ItemResult::Pass
                    },
                    note: fail.map(|(_, n)| (*n).to_owned()),
                    attachment_ids: Vec::new(),
                }
            })
            .collect()
    };
    let mut spot_target = None;
    for (teacher, fails) in [
        (
            "teacher2",
            vec![("t3", "车棚东侧电动车停放杂乱,已提醒学生")],
        ),
        ("teacher3", vec![]),
        ("teacher4", vec![]),
    ] {
        let Some(user) = as_user(teacher) else {
            continue;
        };
        let own = crate::features::users::own_class_ids(db, user.id, user.role)
            .await
            .map_err(demo_err)?;
        let Some(cid) = own.first() else { continue };
        let c = classes::find(db, *cid).await.map_err(demo_err)?;
        let target = Target {
            kind: "class",
            class_id: Some(c.id),
            class_name: Some(c.name),
            location: None,
            key: format!("class:{}", c.id),
        };
        insert_submission(
            db,
            &tz,
            &user,
            NewSubmission {
                tpl: &traffic,
                items: &items,
                target: &target,
                period: &week,
                kind: KIND_SELF,
                answers: answers(&fails),
                note: None,
                previous: None,
            },
        )
        .await
        .map_err(demo_err)?;
        if teacher == "teacher2" {
            spot_target = Some(target);
        }
    }
    if let (Some(office), Some(target)) = (as_user("office"), spot_target) {
        insert_submission(
            db,
            &tz,
            &office,
            NewSubmission {
                tpl: &traffic,
                items: &items,
                target: &target,
                period: &week,
                kind: KIND_SPOT,
                answers: answers(&[("t2", "午休时两名学生在操场骑电动车")]),
                note: Some("值周抽查".into()),
                previous: None,
            },
        )
        .await
        .map_err(demo_err)?;
    }
    if let (Some(office), Some(fire)) = (as_user("office"), current("fire_monthly").await?) {
        let fire_items: Vec<TemplateItem> = parse_json(&fire.items);
        let fire_answers = fire_items
            .iter()
            .map(|it| AnswerRecord {
                item_key: it.key.clone(),
                result: if it.key == "f3" {
                    ItemResult::Fail
                } else {
                    ItemResult::Pass
                },
                note: (it.key == "f3").then(|| "二楼东侧应急照明灯不亮".to_owned()),
                attachment_ids: Vec::new(),
            })
            .collect();
        let target = Target {
            kind: "location",
            class_id: None,
            class_name: None,
            location: Some("教学楼A".into()),
            key: "location:教学楼A".into(),
        };
        insert_submission(
            db,
            &tz,
            &office,
            NewSubmission {
                tpl: &fire,
                items: &fire_items,
                target: &target,
                period: &Period::containing(Frequency::Monthly, today),
                kind: KIND_SELF,
                answers: fire_answers,
                note: None,
                previous: None,
            },
        )
        .await
        .map_err(demo_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str, weight: u32) -> TemplateItem {
        TemplateItem {
            key: key.into(),
            text: key.into(),
            text_en: None,
            weight,
            photo_required_on_fail: false,
        }
    }

    fn answer(key: &str, result: ItemResult) -> AnswerRecord {
        AnswerRecord {
            item_key: key.into(),
            result,
            note: None,
            attachment_ids: Vec::new(),
        }
    }

    #[test]
    fn score_weighs_applicable_items_only() {
        let items = [item("a", 3), item("b", 1), item("c", 2)];
        let answers = [
            answer("a", ItemResult::Pass),
            answer("b", ItemResult::Fail),
            answer("c", ItemResult::Na),
        ];
        assert_eq!(score(&items, &answers), (75.0, 1, 1, 1));
        let all_na = [answer("a", ItemResult::Na)];
        assert_eq!(score(&items, &all_na).0, 100.0);
    }

    #[test]
    fn discrepancy_is_fail_where_own_check_passed() {
        let own = [
            answer("a", ItemResult::Pass),
            answer("b", ItemResult::Fail),
            answer("c", ItemResult::Na),
        ];
        let spot = [
            answer("a", ItemResult::Fail),
            answer("b", ItemResult::Fail),
            answer("c", ItemResult::Fail),
        ];
        assert_eq!(discrepancies_of(&spot, &own), vec!["a".to_owned()]);
    }

    #[test]
    fn all_passed_fills_unanswered_items_and_photo_rule_applies() {
        let mut items = vec![item("a", 1), item("b", 1)];
        items[1].photo_required_on_fail = true;
        let r = resolve_answers(&items, true, Vec::new()).unwrap();
        assert!(r.iter().all(|a| a.result == ItemResult::Pass));
        let fail_b = AnswerInput {
            item_key: "b".into(),
            result: ItemResult::Fail,
            note: None,
            attachment_ids: Vec::new(),
        };
        assert!(resolve_answers(&items, true, vec![fail_b]).is_err());
        assert!(resolve_answers(&items, false, Vec::new()).is_err());
    }
}
