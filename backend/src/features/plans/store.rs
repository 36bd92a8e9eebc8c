//! Plan queries.

use crate::infra::clock::{fmt_date, today};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::plans::{EvidenceType, ItemStatus, PlanStatus, evidence, item, plan};
use crate::schema::users as user;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// The semester defined with `code`, if any.
pub async fn semester_id_of(db: &impl ConnectionTrait, code: &str) -> AppResult<Option<Uuid>> {
    Ok(crate::features::semesters::by_code(db, code)
        .await?
        .map(|s| s.id))
}

/// Display names of the accounts `ids` names (only those: not the whole users table).
pub async fn user_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
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

pub async fn find_plan(db: &impl ConnectionTrait, id: Uuid) -> AppResult<plan::Model> {
    plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PlanNotFound, "工作计划不存在"))
}

pub async fn find_item(db: &impl ConnectionTrait, id: Uuid) -> AppResult<item::Model> {
    item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PlanItemNotFound, "工作项目不存在"))
}

/// Whether the record an evidence link names exists.
pub async fn evidence_exists(
    db: &impl ConnectionTrait,
    kind: EvidenceType,
    id: Uuid,
) -> AppResult<bool> {
    use crate::schema::duty::roster;
    use crate::schema::records::{activity, announcement, health, incident, meeting};
    Ok(match kind {
        EvidenceType::DutyRoster => roster::Entity::find_by_id(id).one(db).await?.is_some(),
        EvidenceType::Activity => activity::Entity::find_by_id(id).one(db).await?.is_some(),
        EvidenceType::Meeting => meeting::Entity::find_by_id(id).one(db).await?.is_some(),
        EvidenceType::Incident => incident::Entity::find_by_id(id).one(db).await?.is_some(),
        EvidenceType::Announcement => announcement::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        EvidenceType::HealthReport => health::Entity::find_by_id(id).one(db).await?.is_some(),
        EvidenceType::Inspection => crate::schema::inspections::submission::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
        EvidenceType::Hazard => crate::schema::hazards::hazard::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some(),
    })
}

/// Links a record as an item's evidence; `entity_type` is one of the evidence types' wire names
/// (a caller's bug otherwise, so an internal error).
pub async fn link_evidence(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    entity_type: &str,
    entity_id: Uuid,
    note: Option<String>,
    by: Option<Uuid>,
) -> AppResult<evidence::Model> {
    let kind = EvidenceType::try_from_value(&entity_type.to_owned()).map_err(|_| {
        tracing::error!(entity_type, "evidence link with an unknown record type");
        ApiError::internal()
    })?;
    insert_evidence(db, item_id, kind, entity_id, note, by).await
}

pub async fn insert_evidence(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    entity_type: EvidenceType,
    entity_id: Uuid,
    note: Option<String>,
    by: Option<Uuid>,
) -> AppResult<evidence::Model> {
    Ok(evidence::ActiveModel {
        id: Set(Uuid::now_v7()),
        item_id: Set(item_id),
        entity_type: Set(entity_type),
        entity_id: Set(entity_id),
        note: Set(note),
        created_by: Set(by),
        created_at: Set(crate::infra::clock::now()),
    }
    .insert(db)
    .await?)
}

/// Unfinished items of approved plans whose due date has passed (for the dashboard).
pub async fn overdue_items(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
) -> AppResult<Vec<item::Model>> {
    let approved: Vec<Uuid> = plan::Entity::find()
        .filter(plan::Column::Status.eq(PlanStatus::Approved))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(item::Entity::find()
        .filter(item::Column::PlanId.is_in(approved))
        .filter(item::Column::Status.ne(ItemStatus::Done))
        .filter(item::Column::DueDate.is_not_null())
        .filter(item::Column::DueDate.lt(fmt_date(today(tz))))
        .order_by_asc(item::Column::DueDate)
        .all(db)
        .await?)
}

/// The plan as it is now, in the shape a revision stores.
pub async fn snapshot_of(
    db: &impl ConnectionTrait,
    p: &plan::Model,
) -> AppResult<super::revisions::Snapshot> {
    use super::revisions::{SnapItem, Snapshot};
    let items = item::Entity::find()
        .filter(item::Column::PlanId.eq(p.id))
        .order_by_asc(item::Column::Month)
        .order_by_asc(item::Column::Seq)
        .all(db)
        .await?;
    let names = user_names(db, items.iter().filter_map(|i| i.owner_id)).await?;
    Ok(Snapshot {
        title: p.title.clone(),
        guiding_ideology: p.guiding_ideology.clone(),
        goals_and_priorities: p.goals_and_priorities.clone(),
        measures: p.measures.clone(),
        items: items
            .into_iter()
            .map(|i| SnapItem {
                owner_name: i.owner_id.and_then(|o| names.get(&o).cloned()),
                id: i.id,
                month: i.month,
                title: i.title,
                category: i.category.to_value(),
                owner_id: i.owner_id,
                due_date: i.due_date,
                report_to: i.report_to,
                notify: i.notify,
                note: i.note,
            })
            .collect(),
    })
}

/// Store what `p` is at its submission, as its next revision (call inside the submitting
/// transaction: the revision exists exactly when the submission does).
pub async fn store_revision(
    db: &impl ConnectionTrait,
    p: &plan::Model,
    by: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    use crate::schema::plans::revision;
    use sea_orm::QuerySelect;
    let last = revision::Entity::find()
        .filter(revision::Column::PlanId.eq(p.id))
        .order_by_desc(revision::Column::Number)
        .limit(1)
        .one(db)
        .await?;
    let snapshot = serde_json::to_string(&snapshot_of(db, p).await?).map_err(|e| {
        tracing::error!(error = %e, "plan snapshot not serialisable");
        ApiError::internal()
    })?;
    revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(p.id),
        number: Set(last.map_or(1, |r| r.number + 1)),
        submitted_at: Set(at),
        submitted_by: Set(Some(by)),
        snapshot: Set(snapshot),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A plan's two latest revisions, newest first.
pub async fn latest_revisions(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
) -> AppResult<Vec<crate::schema::plans::revision::Model>> {
    use crate::schema::plans::revision;
    use sea_orm::QuerySelect;
    Ok(revision::Entity::find()
        .filter(revision::Column::PlanId.eq(plan_id))
        .order_by_desc(revision::Column::Number)
        .limit(2)
        .all(db)
        .await?)
}

/// The rosters named by items, by id (title, dates, status for the item's view).
pub async fn rosters_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, crate::schema::duty::roster::Model>> {
    use crate::schema::duty::roster;
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(roster::Entity::find()
        .filter(roster::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

/// The plan items a roster carries out, with their plans, by month and sequence; when
/// `approved_only`, items of approved plans only (what staff other than the office and the
/// principal may see).
pub async fn items_for_roster(
    db: &impl ConnectionTrait,
    roster_id: Uuid,
    approved_only: bool,
) -> AppResult<Vec<(item::Model, plan::Model)>> {
    let items = item::Entity::find()
        .filter(item::Column::DutyRosterId.eq(roster_id))
        .order_by_asc(item::Column::Month)
        .order_by_asc(item::Column::Seq)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for i in items {
        let Some(p) = plan::Entity::find_by_id(i.plan_id).one(db).await? else {
            continue;
        };
        if approved_only && p.status != PlanStatus::Approved {
            continue;
        }
        out.push((i, p));
    }
    Ok(out)
}
