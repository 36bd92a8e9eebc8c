//! Items of a plan: add, change (content or progress), remove; evidence; my tasks.

use super::{ItemResponse, audit_item, items_response, parse_enum, require_editable, trimmed};
use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{Office, Role, Staff};
use crate::features::audit;
use crate::features::plans::store;
use crate::infra::clock::{check_date, fmt_date, today};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use crate::schema::plans::{
    EvidenceType, ItemCategory, ItemStatus, PlanStatus, evidence, item, plan,
};
use crate::schema::users as user;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateItemRequest {
    /// `YYYY-MM`.
    pub month: String,
    /// Order within the month; defaults to after the last.
    pub seq: Option<i32>,
    pub title: String,
    #[schema(value_type = ItemCategory)]
    pub category: String,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<String>,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
    /// The duty roster that carries the item out (e.g. the traffic posts' roster of
    /// 期末家长车辆疏导).
    pub duty_roster_id: Option<Uuid>,
}

fn check_month(v: &mut Validator, m: &str) {
    if NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").is_err()
        || m.trim().len() != 7
    {
        v.add("month", "invalid", "月份格式应为 YYYY-MM");
    }
}

fn check_category(v: &mut Validator, c: &str) -> Option<ItemCategory> {
    let category = parse_enum::<ItemCategory>(c);
    if category.is_none() {
        v.add("category", "invalid", "类别无效");
    }
    category
}

async fn check_roster(
    db: &impl ConnectionTrait,
    v: &mut Validator,
    roster: Option<Uuid>,
) -> AppResult<()> {
    if let Some(r) = roster
        && store::rosters_by_ids(db, [r]).await?.is_empty()
    {
        v.add("duty_roster_id", "not_found", "值班表不存在");
    }
    Ok(())
}

async fn check_owner(
    db: &impl ConnectionTrait,
    v: &mut Validator,
    owner: Option<Uuid>,
) -> AppResult<()> {
    if let Some(o) = owner
        && user::Entity::find_by_id(o).one(db).await?.is_none()
    {
        v.add("owner_id", "not_found", "负责人不存在");
    }
    Ok(())
}

/// Add a monthly item to a draft or returned plan.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = CreateItemRequest,
    responses((status = 201, body = ItemResponse), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/plans/{id}/items")]
pub async fn create_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<CreateItemRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let p = store::find_plan(&*tx, id.into_inner()).await?;
    require_editable(&p)?;
    let mut v = Validator::new();
    check_month(&mut v, &b.month);
    v.text("title", &b.title, 1, 500);
    let category = check_category(&mut v, &b.category);
    if let Some(d) = &b.due_date {
        check_date(&mut v, "due_date", d);
    }
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    check_owner(&*tx, &mut v, b.owner_id).await?;
    check_roster(&*tx, &mut v, b.duty_roster_id).await?;
    v.finish()?;
    let seq = match b.seq {
        Some(s) => s,
        None => {
            item::Entity::find()
                .filter(item::Column::PlanId.eq(p.id))
                .filter(item::Column::Month.eq(b.month.trim()))
                .all(&*tx)
                .await?
                .iter()
                .map(|i| i.seq)
                .max()
                .unwrap_or(0)
                + 1
        }
    };
    let now = crate::infra::clock::now();
    let it = item::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(p.id),
        month: Set(b.month.trim().to_owned()),
        seq: Set(seq),
        title: Set(b.title.trim().to_owned()),
        category: Set(category.ok_or_else(ApiError::internal)?),
        owner_id: Set(b.owner_id),
        due_date: Set(trimmed(b.due_date)),
        report_to: Set(trimmed(b.report_to)),
        notify: Set(trimmed(b.notify)),
        note: Set(trimmed(b.note)),
        status: Set(ItemStatus::Todo),
        created_at: Set(now),
        updated_at: Set(now),
        duty_roster_id: Set(b.duty_roster_id),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.create",
        "plan_item",
        Some(it.id.to_string()),
        json!({"after": audit_item(&it)}),
    )
    .await?;
    tx.commit().await?;
    let mut r = items_response(&state.db.conn, vec![it], today(state.tz)).await?;
    Ok(HttpResponse::Created().json(r.pop()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateItemRequest {
    /// Progress: the office or the item's owner, also on an approved plan — carrying it out is
    /// not changing it.
    #[schema(value_type = Option<ItemStatus>)]
    pub status: Option<String>,
    /// The fields below change the plan itself: the office only, draft or returned plans only.
    pub month: Option<String>,
    pub seq: Option<i32>,
    pub title: Option<String>,
    #[schema(value_type = Option<ItemCategory>)]
    pub category: Option<String>,
    /// The nil UUID removes the owner.
    pub owner_id: Option<Uuid>,
    /// An empty string clears it.
    pub due_date: Option<String>,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
    /// Link the duty roster that carries the item out; the nil UUID unlinks it. The office
    /// only, also on an approved plan: a roster is how the agreed item is carried out.
    pub duty_roster_id: Option<Uuid>,
}

fn may_progress(user: &CurrentUser, it: &item::Model) -> AppResult<()> {
    if user.is(Role::SecurityOffice) || it.owner_id == Some(user.id) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            ErrorCode::NotItemOwner,
            "只有负责人或保卫处可以更新此项目",
        ))
    }
}

/// Update an item: progress (office or owner), content (office, editable plans only), or the
/// duty roster it links to (office, any plan).
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = UpdateItemRequest,
    responses((status = 200, body = ItemResponse), (status = 403, body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[patch("/plan-items/{id}")]
pub async fn update_item(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateItemRequest>,
) -> AppResult<web::Json<ItemResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = store::find_item(&*tx, id.into_inner()).await?;
    may_progress(&auth.user, &before)?;
    let structural = b.month.is_some()
        || b.seq.is_some()
        || b.title.is_some()
        || b.category.is_some()
        || b.owner_id.is_some()
        || b.due_date.is_some()
        || b.report_to.is_some()
        || b.notify.is_some()
        || b.note.is_some();
    if structural {
        if !auth.user.is(Role::SecurityOffice) {
            return Err(ApiError::forbidden(
                ErrorCode::ForbiddenRole,
                "只有保卫处可以修改计划内容",
            ));
        }
        require_editable(&store::find_plan(&*tx, before.plan_id).await?)?;
    }
    if b.duty_roster_id.is_some() && !auth.user.is(Role::SecurityOffice) {
        return Err(ApiError::forbidden(
            ErrorCode::ForbiddenRole,
            "只有保卫处可以关联值班表",
        ));
    }
    let mut v = Validator::new();
    let status = b.status.as_deref().map(parse_enum::<ItemStatus>);
    if status.is_some_and(|s| s.is_none()) {
        v.add("status", "invalid", "状态无效");
    }
    if let Some(m) = &b.month {
        check_month(&mut v, m);
    }
    if let Some(t) = &b.title {
        v.text("title", t, 1, 500);
    }
    let category = b.category.as_deref().map(|c| check_category(&mut v, c));
    if let Some(d) = b.due_date.as_deref().filter(|d| !d.trim().is_empty()) {
        check_date(&mut v, "due_date", d);
    }
    v.opt_text("report_to", b.report_to.as_deref(), 200);
    v.opt_text("notify", b.notify.as_deref(), 200);
    v.opt_text("note", b.note.as_deref(), 2000);
    check_owner(&*tx, &mut v, b.owner_id.filter(|o| !o.is_nil())).await?;
    check_roster(&*tx, &mut v, b.duty_roster_id.filter(|r| !r.is_nil())).await?;
    v.finish()?;
    let mut a: item::ActiveModel = before.clone().into();
    if let Some(Some(s)) = status {
        a.status = Set(s);
    }
    if let Some(m) = b.month {
        a.month = Set(m.trim().to_owned());
    }
    if let Some(s) = b.seq {
        a.seq = Set(s);
    }
    if let Some(t) = b.title {
        a.title = Set(t.trim().to_owned());
    }
    if let Some(Some(c)) = category {
        a.category = Set(c);
    }
    if let Some(o) = b.owner_id {
        a.owner_id = Set((!o.is_nil()).then_some(o));
    }
    if b.due_date.is_some() {
        a.due_date = Set(trimmed(b.due_date));
    }
    if b.report_to.is_some() {
        a.report_to = Set(trimmed(b.report_to));
    }
    if b.notify.is_some() {
        a.notify = Set(trimmed(b.notify));
    }
    if b.note.is_some() {
        a.note = Set(trimmed(b.note));
    }
    if let Some(r) = b.duty_roster_id {
        a.duty_roster_id = Set((!r.is_nil()).then_some(r));
    }
    a.updated_at = Set(crate::infra::clock::now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.update",
        "plan_item",
        Some(after.id.to_string()),
        json!({"before": audit_item(&before), "after": audit_item(&after)}),
    )
    .await?;
    tx.commit().await?;
    let mut r = items_response(&state.db.conn, vec![after], today(state.tz)).await?;
    r.pop().map(web::Json).ok_or_else(ApiError::internal)
}

/// Remove an item from a draft or returned plan.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/plan-items/{id}")]
pub async fn delete_item(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let it = store::find_item(&*tx, id.into_inner()).await?;
    require_editable(&store::find_plan(&*tx, it.plan_id).await?)?;
    item::Entity::delete_by_id(it.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.delete",
        "plan_item",
        Some(it.id.to_string()),
        json!({"before": audit_item(&it)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddEvidenceRequest {
    #[schema(value_type = EvidenceType)]
    pub entity_type: String,
    pub entity_id: Uuid,
    pub note: Option<String>,
}

/// Link a record that proves an item was done (a roster, an activity, a meeting …).
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path)),
    request_body = AddEvidenceRequest,
    responses((status = 201, body = ItemResponse), (status = 403, body = crate::infra::error::Problem), (status = 404, body = crate::infra::error::Problem), (status = 409, body = crate::infra::error::Problem), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/plan-items/{id}/evidence")]
pub async fn add_evidence(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AddEvidenceRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let it = store::find_item(&*tx, id.into_inner()).await?;
    may_progress(&auth.user, &it)?;
    let mut v = Validator::new();
    let kind = parse_enum::<EvidenceType>(&b.entity_type);
    match kind {
        None => v.add("entity_type", "invalid", "记录类型无效"),
        Some(k) if !store::evidence_exists(&*tx, k, b.entity_id).await? => {
            v.add("entity_id", "not_found", "所指记录不存在")
        }
        Some(_) => {}
    }
    v.opt_text("note", b.note.as_deref(), 500);
    v.finish()?;
    let e = store::insert_evidence(
        &*tx,
        it.id,
        kind.ok_or_else(ApiError::internal)?,
        b.entity_id,
        trimmed(b.note),
        Some(auth.user.id),
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.evidence_add",
        "plan_item",
        Some(it.id.to_string()),
        json!({"evidence_id": e.id, "entity_type": e.entity_type, "entity_id": e.entity_id}),
    )
    .await?;
    tx.commit().await?;
    let mut r = items_response(&state.db.conn, vec![it], today(state.tz)).await?;
    Ok(HttpResponse::Created().json(r.pop()))
}

/// Unlink evidence from an item.
#[utoipa::path(
    tag = "plans",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/plan-items/{id}/evidence/{evidence_id}")]
pub async fn delete_evidence(
    auth: Auth<Office>,
    state: State,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (item_id, ev_id) = path.into_inner();
    let tx = state.db.begin_write().await?;
    let e = evidence::Entity::find_by_id(ev_id)
        .filter(evidence::Column::ItemId.eq(item_id))
        .one(&*tx)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::EvidenceNotFound, "佐证记录不存在"))?;
    evidence::Entity::delete_by_id(e.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "plan_item.evidence_remove",
        "plan_item",
        Some(item_id.to_string()),
        json!({"evidence_id": e.id, "entity_type": e.entity_type, "entity_id": e.entity_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MyTasksQuery {
    /// Look this many days ahead (1–366, default 14). Overdue items are always included.
    pub days: Option<i64>,
}

/// "My tasks": the signed-in person's unfinished items of approved plans that are overdue or
/// due within `days`, soonest first.
#[utoipa::path(
    tag = "plans",
    params(MyTasksQuery),
    responses((status = 200, body = Vec<ItemResponse>), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/plan-items/mine")]
pub async fn my_tasks(
    auth: Auth<Staff>,
    state: State,
    query: web::Query<MyTasksQuery>,
) -> AppResult<web::Json<Vec<ItemResponse>>> {
    let days = query.days.unwrap_or(14);
    if !(1..=366).contains(&days) {
        let mut v = Validator::new();
        v.add("days", "invalid", "天数应在 1–366 之间");
        v.finish()?;
    }
    let db = &state.db.conn;
    let t = today(state.tz);
    let horizon = fmt_date(t + chrono::Duration::days(days));
    let approved: Vec<Uuid> = plan::Entity::find()
        .filter(plan::Column::Status.eq(PlanStatus::Approved))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let items = item::Entity::find()
        .filter(item::Column::OwnerId.eq(auth.user.id))
        .filter(item::Column::PlanId.is_in(approved))
        .filter(item::Column::Status.ne(ItemStatus::Done))
        .filter(item::Column::DueDate.is_not_null())
        .filter(item::Column::DueDate.lte(horizon))
        .order_by_asc(item::Column::DueDate)
        .limit(200)
        .all(db)
        .await?;
    Ok(web::Json(items_response(db, items, t).await?))
}
