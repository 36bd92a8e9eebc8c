//! Plans over HTTP: the response types both sub-resources share, and the route table.

mod changes;
mod items;
mod plans;

use super::lifecycle::{self, Locked, NotSubmitted};
use super::store;
use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::duty::RosterStatus;
use crate::schema::plans::{
    EvidenceType, ItemCategory, ItemStatus, PlanStatus, evidence, item, plan,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSummary {
    pub id: Uuid,
    pub title: String,
    /// The semester's code, e.g. `2019-2020-2`.
    pub semester: String,
    /// The semester record (`/semesters`) with that code; null while none is defined.
    pub semester_id: Option<Uuid>,
    pub starts_on: String,
    pub ends_on: String,
    pub status: PlanStatus,
    pub return_comment: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    #[serde(flatten)]
    pub summary: PlanSummary,
    /// 指导思想.
    pub guiding_ideology: String,
    /// 主要目标及重点.
    pub goals_and_priorities: String,
    /// 工作措施.
    pub measures: String,
    /// 月工作安排, by month then sequence.
    pub items: Vec<ItemResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceResponse {
    pub id: Uuid,
    pub entity_type: EvidenceType,
    pub entity_id: Uuid,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The duty roster a plan item links to (车辆疏导 → the traffic-post roster).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedRoster {
    pub id: Uuid,
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    /// A draft is the office's only: others cannot open it yet.
    pub status: RosterStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResponse {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    pub seq: i32,
    pub title: String,
    pub category: ItemCategory,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub due_date: Option<String>,
    /// 报送 (who it is reported to).
    pub report_to: Option<String>,
    /// 通报 (who is notified).
    pub notify: Option<String>,
    /// 备注, as written in the plan.
    pub note: Option<String>,
    pub status: ItemStatus,
    /// Due date passed and not done.
    pub overdue: bool,
    pub evidence: Vec<EvidenceResponse>,
    /// The duty roster that carries the item out (e.g. 期末家长车辆疏导 → the traffic posts'
    /// roster); null when none is linked.
    pub duty_roster: Option<LinkedRoster>,
}

pub(super) fn summary(p: &plan::Model) -> PlanSummary {
    PlanSummary {
        id: p.id,
        title: p.title.clone(),
        semester: p.semester.clone(),
        semester_id: p.semester_id,
        starts_on: p.starts_on.clone(),
        ends_on: p.ends_on.clone(),
        status: p.status,
        return_comment: p.return_comment.clone(),
        submitted_at: p.submitted_at,
        decided_at: p.decided_at,
        decided_by: p.decided_by,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

pub(super) async fn items_response(
    db: &impl ConnectionTrait,
    items: Vec<item::Model>,
    today: NaiveDate,
) -> AppResult<Vec<ItemResponse>> {
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let mut ev: HashMap<Uuid, Vec<EvidenceResponse>> = HashMap::new();
    if !ids.is_empty() {
        for chunk in ids.chunks(500) {
            for e in evidence::Entity::find()
                .filter(evidence::Column::ItemId.is_in(chunk.to_vec()))
                .order_by_asc(evidence::Column::CreatedAt)
                .all(db)
                .await?
            {
                ev.entry(e.item_id).or_default().push(EvidenceResponse {
                    id: e.id,
                    entity_type: e.entity_type,
                    entity_id: e.entity_id,
                    note: e.note,
                    created_at: e.created_at,
                });
            }
        }
    }
    let names = store::user_names(db, items.iter().filter_map(|i| i.owner_id)).await?;
    let rosters = store::rosters_by_ids(db, items.iter().filter_map(|i| i.duty_roster_id)).await?;
    Ok(items
        .into_iter()
        .map(|i| {
            let overdue = lifecycle::is_overdue(i.status, i.due_date.as_deref(), today);
            ItemResponse {
                duty_roster: i
                    .duty_roster_id
                    .and_then(|r| rosters.get(&r))
                    .map(|r| LinkedRoster {
                        id: r.id,
                        title: r.title.clone(),
                        start_date: r.start_date.clone(),
                        end_date: r.end_date.clone(),
                        status: r.status,
                    }),
                owner_name: i.owner_id.and_then(|o| names.get(&o).cloned()),
                evidence: ev.remove(&i.id).unwrap_or_default(),
                overdue,
                id: i.id,
                plan_id: i.plan_id,
                month: i.month,
                seq: i.seq,
                title: i.title,
                category: i.category,
                owner_id: i.owner_id,
                due_date: i.due_date,
                report_to: i.report_to,
                notify: i.notify,
                note: i.note,
                status: i.status,
            }
        })
        .collect())
}

pub(super) async fn plan_response(
    db: &impl ConnectionTrait,
    p: plan::Model,
    today: NaiveDate,
) -> AppResult<PlanResponse> {
    let items = item::Entity::find()
        .filter(item::Column::PlanId.eq(p.id))
        .order_by_asc(item::Column::Month)
        .order_by_asc(item::Column::Seq)
        .all(db)
        .await?;
    Ok(PlanResponse {
        summary: summary(&p),
        items: items_response(db, items, today).await?,
        guiding_ideology: p.guiding_ideology,
        goals_and_priorities: p.goals_and_priorities,
        measures: p.measures,
    })
}

/// Only a draft or returned plan may change; a submitted one is under review and an approved
/// one is the record of what was agreed.
pub(super) fn require_editable(p: &plan::Model) -> AppResult<()> {
    lifecycle::editable(p.status).map_err(locked)
}

pub(super) fn locked(l: Locked) -> ApiError {
    match l {
        Locked::Approved => ApiError::conflict(
            ErrorCode::PlanLocked,
            "工作计划已审批通过,内容只读;如需调整请复制为新计划",
        ),
        Locked::UnderReview => ApiError::conflict(
            ErrorCode::PlanLocked,
            "工作计划正在审批中,不能修改;请等待校长室审批或退回",
        ),
    }
}

pub(super) fn not_submitted(_: NotSubmitted) -> ApiError {
    ApiError::conflict(ErrorCode::PlanNotSubmitted, "只能审批已提交的工作计划")
}

/// Drafts and plans under review are the office's and the principal's; other staff see
/// approved plans only.
pub(super) fn sees_drafts(u: &CurrentUser) -> bool {
    u.is(Role::SecurityOffice) || u.is(Role::Principal)
}

/// Trimmed, and `None` when empty.
pub(super) fn trimmed(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A closed-set value sent as text (checked by the handler, so that a bad one is a 422 naming
/// the field, as before the sets were enums).
pub(super) fn parse_enum<E: sea_orm::ActiveEnum<Value = String>>(s: &str) -> Option<E> {
    E::try_from_value(&s.to_owned()).ok()
}

pub(super) fn audit_plan(p: &plan::Model) -> serde_json::Value {
    json!({
        "title": p.title, "semester": p.semester, "starts_on": p.starts_on,
        "ends_on": p.ends_on, "status": p.status, "return_comment": p.return_comment,
    })
}

pub(super) fn audit_item(i: &item::Model) -> serde_json::Value {
    json!({
        "plan_id": i.plan_id, "month": i.month, "seq": i.seq, "title": i.title,
        "category": i.category, "owner_id": i.owner_id, "due_date": i.due_date,
        "report_to": i.report_to, "notify": i.notify, "note": i.note, "status": i.status,
        "duty_roster_id": i.duty_roster_id,
    })
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(plans::list_plans)
        .service(plans::create_plan)
        .service(plans::get_plan)
        .service(plans::update_plan)
        .service(plans::submit_plan)
        .service(plans::approve_plan)
        .service(plans::return_plan)
        .service(plans::copy_plan)
        .service(changes::plan_changes)
        .service(items::create_item)
        .service(items::my_tasks)
        .service(items::update_item)
        .service(items::delete_item)
        .service(items::add_evidence)
        .service(items::delete_evidence);
}
