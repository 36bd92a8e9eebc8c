//! The ways a hazard comes into being: a report (`POST /hazards`, a patrol's on-the-spot
//! report), a failed inspection item, or another module's record (fire equipment).

use super::http::ReportHazardRequest;
use super::model::{HazardCategory, HazardSource, hazard};
use super::store::{self, NewHazard};
use crate::auth::extract::{CurrentUser, KeyCaller};
use crate::auth::roles::Role;
use crate::features::attachments::{self, LINK_HAZARD, MAX_PER_FIELD};
use crate::infra::error::{ApiError, AppResult, Validator};
use sea_orm::ConnectionTrait;
use serde_json::json;
use uuid::Uuid;

pub fn check_photos(v: &mut Validator, field: &str, ids: &[Uuid]) {
    if ids.len() > MAX_PER_FIELD {
        v.add(field, "too_many", "最多 9 张图片");
    }
}

/// Checks a hazard report (`422` with field errors).
pub fn validate_report(body: &ReportHazardRequest) -> AppResult<()> {
    let mut v = Validator::new();
    if HazardCategory::parse(&body.category).is_none() {
        v.add("category", "invalid", "类别无效");
    }
    v.text("location", &body.location, 1, 100);
    v.text("description", &body.description, 1, 2000);
    check_photos(&mut v, "attachment_ids", &body.attachment_ids);
    v.finish()
}

/// Whether `u` may attribute a record (hazard, incident) to `class_id` with effect at once:
/// the office, or the class's own teacher. Anyone else's attribution is pending until the
/// office confirms it, so nobody can lower another class's assessment.
pub async fn attributes_directly(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    class_id: Uuid,
) -> AppResult<bool> {
    Ok(match u.role {
        Role::SecurityOffice => true,
        Role::ClassTeacher => crate::features::users::own_class_ids(db, u.id, u.role)
            .await?
            .contains(&class_id),
        _ => false,
    })
}

/// Records a (validated) hazard report inside the caller's write transaction: the hazard,
/// its photos, its first history step (with `details`, e.g. the patrol it came from) and the
/// audit row. Used by `POST /hazards` and by patrols reporting a hazard on the spot.
pub async fn report_in_tx(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    body: ReportHazardRequest,
    details: serde_json::Value,
) -> AppResult<hazard::Model> {
    let category = HazardCategory::parse(&body.category).ok_or_else(|| {
        // `validate_report` runs first: an unknown category here is a caller's bug.
        tracing::error!("hazard report with an unchecked category");
        ApiError::internal()
    })?;
    let mut class_pending = false;
    if let Some(cid) = body.class_id {
        crate::features::classes::find(db, cid).await?;
        class_pending = !attributes_directly(db, u, cid).await?;
    }
    let id = Uuid::now_v7();
    attachments::claim(
        db,
        u.id,
        &body.attachment_ids,
        LINK_HAZARD,
        id,
        "attachment_ids",
    )
    .await?;
    let location = body.location.trim().to_owned();
    let mut audit_details = json!({"source": "report", "category": category, "location": location, "class_id": body.class_id, "class_pending": class_pending, "photos": body.attachment_ids.len()});
    if let (Some(a), Some(d)) = (audit_details.as_object_mut(), details.as_object()) {
        for (k, val) in d {
            a.entry(k.clone()).or_insert(val.clone());
        }
    }
    let h = NewHazard {
        id,
        category,
        location,
        description: body.description.trim().to_owned(),
        class_id: body.class_id,
        source: HazardSource::Report,
        class_pending,
        submission_id: None,
        item_key: None,
        photo_ids: body.attachment_ids,
    };
    store::insert_reported(db, u, h, details, audit_details).await
}

/// Records a (validated) hazard report by an integration key (`hazards:write`: a sensor or
/// another system) inside the caller's write transaction. A key uploads no photos
/// (attachments are for people), and a class it names is pending until the office confirms
/// it, as for anyone but the office or the class's own teacher.
pub async fn report_by_key(
    db: &impl ConnectionTrait,
    key: &KeyCaller,
    body: ReportHazardRequest,
) -> AppResult<hazard::Model> {
    if !body.attachment_ids.is_empty() {
        let mut v = Validator::new();
        v.add(
            "attachment_ids",
            "not_allowed",
            "API 密钥上报隐患不能附带照片",
        );
        v.finish()?;
    }
    let category = HazardCategory::parse(&body.category).ok_or_else(|| {
        tracing::error!("hazard report with an unchecked category");
        ApiError::internal()
    })?;
    if let Some(cid) = body.class_id {
        crate::features::classes::find(db, cid).await?;
    }
    let location = body.location.trim().to_owned();
    let class_pending = body.class_id.is_some();
    let history = json!({"source": "report", "api_key": key.name});
    let audit_details = json!({"source": "report", "category": category, "location": location, "class_id": body.class_id, "class_pending": class_pending, "photos": 0});
    let h = NewHazard {
        id: Uuid::now_v7(),
        category,
        location,
        description: body.description.trim().to_owned(),
        class_id: body.class_id,
        source: HazardSource::Report,
        class_pending,
        submission_id: None,
        item_key: None,
        photo_ids: Vec::new(),
    };
    let by = store::Reporter {
        person: key.created_by,
        key: Some(key.id),
        actor: crate::features::audit::Actor::api_key(key.id),
    };
    store::insert_reported_as(db, by, h, history, audit_details).await
}

/// A category named by another module: one of the hazard categories, else a programming error.
fn category_of(s: &str) -> AppResult<HazardCategory> {
    HazardCategory::parse(s).ok_or_else(|| {
        tracing::error!(category = s, "hazard raised with an unknown category");
        ApiError::internal()
    })
}

pub struct FromInspection {
    pub category: &'static str,
    pub location: String,
    pub description: String,
    pub class_id: Option<Uuid>,
    pub submission_id: Uuid,
    pub item_key: String,
    pub photo_ids: Vec<Uuid>,
}

/// A hazard raised by a failed inspection item, inside the submission's transaction.
pub async fn create_from_inspection(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    f: FromInspection,
) -> AppResult<Uuid> {
    let history =
        json!({"source": "inspection", "submission_id": f.submission_id, "item_key": f.item_key});
    let audit_details = json!({"source": "inspection", "submission_id": f.submission_id, "item_key": f.item_key, "category": f.category});
    let h = NewHazard {
        id: Uuid::now_v7(),
        category: category_of(f.category)?,
        location: f.location.chars().take(100).collect(),
        description: f.description,
        class_id: f.class_id,
        source: HazardSource::Inspection,
        // The inspections flow checked who may submit for the class (own class, or the
        // duty teacher's spot-check, which the assessment counts on its own).
        class_pending: false,
        submission_id: Some(f.submission_id),
        item_key: Some(f.item_key),
        photo_ids: f.photo_ids,
    };
    Ok(store::insert_reported(db, u, h, history, audit_details)
        .await?
        .id)
}

/// A hazard raised by another module's record (e.g. a failed fire-equipment check).
pub struct FromSource {
    pub category: &'static str,
    /// Stored as the hazard's `source`: today only `fire_equipment`.
    pub source: &'static str,
    pub location: String,
    pub description: String,
    pub photo_ids: Vec<Uuid>,
    /// What raised it, kept in the hazard's first history step and the audit row.
    pub details: serde_json::Value,
}

/// Raises a hazard with the given id inside the caller's transaction (the caller may have
/// reserved the id to make raising idempotent).
pub async fn create_from_source(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    id: Uuid,
    f: FromSource,
) -> AppResult<Uuid> {
    let source = match f.source {
        "fire_equipment" => HazardSource::FireEquipment,
        other => {
            tracing::error!(source = other, "hazard raised from an unknown source");
            return Err(ApiError::internal());
        }
    };
    let mut history = f.details;
    if let Some(o) = history.as_object_mut() {
        o.insert("source".into(), json!(f.source));
    }
    let mut audit_details = history.clone();
    if let Some(o) = audit_details.as_object_mut() {
        o.insert("category".into(), json!(f.category));
    }
    let h = NewHazard {
        id,
        category: category_of(f.category)?,
        location: f.location.chars().take(100).collect(),
        description: f.description,
        class_id: None,
        source,
        class_pending: false,
        submission_id: None,
        item_key: None,
        photo_ids: f.photo_ids,
    };
    Ok(store::insert_reported(db, u, h, history, audit_details)
        .await?
        .id)
}
