//! The 安全领导小组 and the written duties of each department and post.

use super::record_not_found;
use crate::auth::extract::Auth;
use crate::auth::roles::{OfficeOrPrincipal, Role, Staff};
use crate::features::audit;
use crate::features::duties::acknowledge::ASKABLE;
use crate::features::duties::store::people;
use crate::infra::clock::now;
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use crate::schema::duties::{GroupRole, member, statement};
use actix_web::{HttpResponse, delete, get, post, put, web};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub role: Option<Role>,
    pub group_role: GroupRole,
    /// The department or work the member answers for.
    pub department: String,
    pub sort_order: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementResponse {
    pub id: Uuid,
    /// The department or post (门卫, 班主任, 值周教师 …).
    pub post: String,
    pub duties: String,
    pub sort_order: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadershipResponse {
    /// 组长 first, then 副组长, then 成员, each by `sort_order`.
    pub members: Vec<MemberResponse>,
    pub statements: Vec<StatementResponse>,
}

fn rank(r: GroupRole) -> u8 {
    match r {
        GroupRole::Leader => 0,
        GroupRole::Deputy => 1,
        GroupRole::Member => 2,
    }
}

fn statement_response(s: statement::Model) -> StatementResponse {
    StatementResponse {
        id: s.id,
        post: s.post,
        duties: s.duties,
        sort_order: s.sort_order,
    }
}

/// The safety leadership group and the written duties (every staff member reads them).
#[utoipa::path(
    tag = "duties",
    responses((status = 200, body = LeadershipResponse), (status = 401, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/leadership")]
pub async fn get_leadership(
    _auth: Auth<Staff>,
    state: State,
) -> AppResult<web::Json<LeadershipResponse>> {
    let db = &state.db.conn;
    let mut rows = member::Entity::find().all(db).await?;
    rows.sort_by_key(|m| (rank(m.group_role), m.sort_order, m.created_at));
    let who = people(db, rows.iter().map(|m| m.user_id).collect()).await?;
    let members = rows
        .into_iter()
        .map(|m| MemberResponse {
            name: who
                .get(&m.user_id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            role: who.get(&m.user_id).map(|p| p.role),
            id: m.id,
            user_id: m.user_id,
            group_role: m.group_role,
            department: m.department,
            sort_order: m.sort_order,
        })
        .collect();
    let statements = statement::Entity::find()
        .order_by_asc(statement::Column::SortOrder)
        .order_by_asc(statement::Column::Post)
        .all(db)
        .await?
        .into_iter()
        .map(statement_response)
        .collect();
    Ok(web::Json(LeadershipResponse {
        members,
        statements,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "0190f5a0-0000-7000-8000-000000000001", "group_role": "deputy", "department": "分管安全保卫工作", "sort_order": 1}))]
pub struct MemberRequest {
    /// A staff account.
    pub user_id: Uuid,
    pub group_role: GroupRole,
    /// 1–100 characters.
    pub department: String,
    pub sort_order: Option<i32>,
}

/// Add a member to the group (the office, the principal). One place per person
/// (`409 already_exists`).
#[utoipa::path(
    tag = "duties",
    request_body = MemberRequest,
    responses(
        (status = 201, body = MemberResponse),
        (status = 404, description = "`user_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/leadership/members")]
pub async fn add_member(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<MemberRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("department", &b.department, 1, 100);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let who = people(&*tx, vec![b.user_id]).await?;
    let p = who
        .get(&b.user_id)
        .filter(|p| ASKABLE.contains(&p.role))
        .cloned()
        .ok_or_else(|| ApiError::not_found(ErrorCode::UserNotFound, "教职工账号不存在"))?;
    let t = now();
    let m = member::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(b.user_id),
        group_role: Set(b.group_role),
        department: Set(b.department.trim().to_owned()),
        sort_order: Set(b.sort_order.unwrap_or(0)),
        created_at: Set(t),
        updated_at: Set(t),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "leadership.add_member",
        "leadership_member",
        Some(m.id.to_string()),
        json!({"after": {"user_id": m.user_id, "group_role": m.group_role, "department": m.department}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(MemberResponse {
        id: m.id,
        user_id: m.user_id,
        name: p.name,
        role: Some(p.role),
        group_role: m.group_role,
        department: m.department,
        sort_order: m.sort_order,
    }))
}

/// Remove a member from the group (the office, the principal).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 404, description = "`duty_record_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[delete("/leadership/members/{id}")]
pub async fn remove_member(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let m = member::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(record_not_found)?;
    member::Entity::delete_by_id(m.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "leadership.remove_member",
        "leadership_member",
        Some(m.id.to_string()),
        json!({"before": {"user_id": m.user_id, "group_role": m.group_role, "department": m.department}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"post": "门卫", "duties": "严格执行门卫工作制度和来访登记制度，24小时值守，发现可疑情况立即报告保卫处。", "sort_order": 1}))]
pub struct StatementRequest {
    /// The department or post, 1–100 characters, unique.
    pub post: String,
    /// 1–5000 characters.
    pub duties: String,
    pub sort_order: Option<i32>,
}

fn check_statement(b: &StatementRequest) -> AppResult<()> {
    let mut v = Validator::new();
    v.text("post", &b.post, 1, 100);
    v.text("duties", &b.duties, 1, 5000);
    v.finish()
}

/// Write down the duties of a department or post (the office, the principal).
#[utoipa::path(
    tag = "duties",
    request_body = StatementRequest,
    responses(
        (status = 201, body = StatementResponse),
        (status = 409, description = "`already_exists` (the post)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/duty-statements")]
pub async fn create_statement(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<StatementRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    check_statement(&b)?;
    let t = now();
    let tx = state.db.begin_write().await?;
    let s = statement::ActiveModel {
        id: Set(Uuid::now_v7()),
        post: Set(b.post.trim().to_owned()),
        duties: Set(b.duties.trim().to_owned()),
        sort_order: Set(b.sort_order.unwrap_or(0)),
        created_at: Set(t),
        updated_at: Set(t),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "duty_statement.create",
        "duty_statement",
        Some(s.id.to_string()),
        json!({"after": {"post": s.post}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(statement_response(s)))
}

/// Rewrite the duties of a department or post (the office, the principal).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    request_body = StatementRequest,
    responses(
        (status = 200, body = StatementResponse),
        (status = 404, description = "`duty_record_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists` (the post)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[put("/duty-statements/{id}")]
pub async fn update_statement(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<StatementRequest>,
) -> AppResult<web::Json<StatementResponse>> {
    let b = body.into_inner();
    check_statement(&b)?;
    let tx = state.db.begin_write().await?;
    let before = statement::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(record_not_found)?;
    let mut a: statement::ActiveModel = before.clone().into();
    a.post = Set(b.post.trim().to_owned());
    a.duties = Set(b.duties.trim().to_owned());
    a.sort_order = Set(b.sort_order.unwrap_or(before.sort_order));
    a.updated_at = Set(now());
    let after = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "duty_statement.update",
        "duty_statement",
        Some(after.id.to_string()),
        json!({"before": {"post": before.post, "duties": before.duties}, "after": {"post": after.post, "duties": after.duties}}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(statement_response(after)))
}

/// Remove a written duty (the office, the principal).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 404, description = "`duty_record_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[delete("/duty-statements/{id}")]
pub async fn delete_statement(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let s = statement::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(record_not_found)?;
    statement::Entity::delete_by_id(s.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "duty_statement.delete",
        "duty_statement",
        Some(s.id.to_string()),
        json!({"before": {"post": s.post, "duties": s.duties}}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_leadership)
        .service(add_member)
        .service(remove_member)
        .service(create_statement)
        .service(update_statement)
        .service(delete_statement);
}
