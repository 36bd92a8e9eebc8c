//! Queries and writes of checks: visibility, the current own check, the insert of a
//! submission or amendment (with its photos, discrepancy flags and hazards) in the caller's
//! transaction.

use super::model::{
    AnswerRecord, ItemResult, SubmissionKind, TargetKind, TemplateItem, submission, template,
};
use super::period::Period;
use super::scoring::{already_submitted, discrepancies_of, hazard_category, score, superseded};
use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;
use crate::features::attachments::{self, LINK_SUBMISSION};
use crate::features::classes::{self, model as class};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError};
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The slot of an own check: one per template, target and period (a unique index holds it).
pub const SLOT_SELF: &str = "self";

/// Parses a JSON column; corrupt data is a server error, never an empty list.
pub fn stored<T: serde::de::DeserializeOwned>(
    column: &'static str,
    id: Uuid,
    s: &str,
) -> AppResult<T> {
    serde_json::from_str(s).map_err(|e| {
        tracing::error!(column, %id, error = %e, "stored inspection JSON does not parse");
        ApiError::internal()
    })
}

/// The items of a template version.
pub fn items_of(tpl: &template::Model) -> AppResult<Vec<TemplateItem>> {
    stored("inspection_templates.items", tpl.id, &tpl.items)
}

/// The answers of a submission.
pub fn answers_of(s: &submission::Model) -> AppResult<Vec<AnswerRecord>> {
    stored("inspection_submissions.answers", s.id, &s.answers)
}

fn to_json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| {
        tracing::error!(error = %e, "inspection JSON does not serialise");
        ApiError::internal()
    })
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
        Role::Guard => s.target_kind == TargetKind::Location,
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

pub async fn find_submission(db: &impl ConnectionTrait, id: Uuid) -> AppResult<submission::Model> {
    submission::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SubmissionNotFound, "检查记录不存在"))
}

pub async fn user_names(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, String>> {
    Ok(crate::schema::users::Entity::find()
        .filter(crate::schema::users::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

pub async fn templates_by_id(
    db: &impl ConnectionTrait,
    ids: HashSet<Uuid>,
) -> AppResult<HashMap<Uuid, template::Model>> {
    Ok(template::Entity::find()
        .filter(template::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

pub async fn class_names(
    db: &impl ConnectionTrait,
    ids: HashSet<Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    Ok(class::Entity::find()
        .filter(class::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// The hazards raised by each of these submissions.
pub async fn hazards_of(
    db: &impl ConnectionTrait,
    submission_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut hazards: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for h in crate::schema::hazards::hazard::Entity::find()
        .filter(crate::schema::hazards::hazard::Column::SubmissionId.is_in(submission_ids))
        .all(db)
        .await?
    {
        if let Some(sid) = h.submission_id {
            hazards.entry(sid).or_default().push(h.id);
        }
    }
    Ok(hazards)
}

pub async fn current_own_check(
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
    let own_answers = answers_of(own)?;
    let spots = submission::Entity::find()
        .filter(submission::Column::TemplateCode.eq(own.template_code.as_str()))
        .filter(submission::Column::TargetKey.eq(own.target_key.as_str()))
        .filter(submission::Column::Period.eq(own.period.as_str()))
        .filter(submission::Column::Kind.eq(SubmissionKind::SpotCheck))
        .filter(submission::Column::IsCurrent.eq(true))
        .all(db)
        .await?;
    for s in spots {
        let d = discrepancies_of(&answers_of(&s)?, &own_answers);
        let mut a: submission::ActiveModel = s.into();
        a.discrepancy_count = Set(d.len() as i32);
        a.discrepancies = Set(to_json(&d)?);
        a.update(db).await?;
    }
    Ok(())
}

/// What a check is about, and its key (`class:<id>` or `location:<name>`).
pub struct Target {
    pub kind: TargetKind,
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    pub location: Option<String>,
    pub key: String,
}

pub async fn resolve_target(
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
    if tpl.target_kind == TargetKind::Class {
        let cid = class_id.ok_or_else(|| field_err("class_id", "required", "须选择班级"))?;
        if location.is_some() {
            return Err(field_err("location", "not_allowed", "班级检查不填地点"));
        }
        let c = classes::find(db, cid).await?;
        Ok(Target {
            kind: TargetKind::Class,
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
            kind: TargetKind::Location,
            class_id: None,
            class_name: None,
            key: format!("location:{loc}"),
            location: Some(loc),
        })
    }
}

pub struct NewSubmission<'a> {
    pub tpl: &'a template::Model,
    pub items: &'a [TemplateItem],
    pub target: &'a Target,
    pub period: &'a Period,
    pub kind: SubmissionKind,
    pub answers: Vec<AnswerRecord>,
    pub note: Option<String>,
    /// The version this one amends.
    pub previous: Option<&'a submission::Model>,
}

/// Inserts a submission (or an amendment), links its photos, flags discrepancies and creates
/// a hazard for each newly failed item; all in the caller's transaction.
pub async fn insert_submission(
    db: &impl ConnectionTrait,
    tz: &chrono_tz::Tz,
    user: &CurrentUser,
    n: NewSubmission<'_>,
) -> AppResult<submission::Model> {
    let id = Uuid::now_v7();
    let now = crate::infra::clock::now();
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
        (SubmissionKind::OwnCheck, None) => (SLOT_SELF.to_owned(), 1),
        (_, None) => (format!("spot:{}", id.simple()), 1),
    };
    let discrepancies = if n.kind == SubmissionKind::SpotCheck {
        match current_own_check(db, &n.tpl.code, &n.target.key, &n.period.key()).await? {
            Some(own) => discrepancies_of(&n.answers, &answers_of(&own)?),
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
        kind: Set(n.kind),
        target_kind: Set(n.target.kind),
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
        discrepancies: Set(to_json(&discrepancies)?),
        answers: Set(to_json(&n.answers)?),
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
    if n.kind == SubmissionKind::OwnCheck {
        reflag_spot_checks(db, &row).await?;
    }
    // A hazard for each failed item, unless the amended version already failed it (its hazard exists).
    let failed_before: HashSet<String> = match n.previous {
        Some(p) => answers_of(p)?
            .into_iter()
            .filter(|a| a.result == ItemResult::Fail)
            .map(|a| a.item_key)
            .collect(),
        None => HashSet::new(),
    };
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
                category: hazard_category(n.tpl.category),
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
