//! Classes over HTTP: request and response types and handlers.

use super::{model, store};
use crate::auth::extract::{Auth, AuthOrKey};
use crate::auth::roles::{AnyUser, Office, PeopleRead};
use crate::features::audit;
use crate::infra::error::{AppResult, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassResponse {
    pub id: Uuid,
    /// e.g. `2019级旅游服务与管理1班`.
    pub name: String,
    /// e.g. `2019级`.
    pub grade: String,
    pub class_teacher_id: Option<Uuid>,
    pub class_teacher_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClassRequest {
    pub name: String,
    pub grade: String,
    /// A user with role `class_teacher`.
    pub class_teacher_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClassRequest {
    pub name: Option<String>,
    pub grade: Option<String>,
    /// A user with role `class_teacher`; the nil UUID removes the class teacher.
    pub class_teacher_id: Option<Uuid>,
}

fn to_response(c: model::Model, names: &HashMap<Uuid, String>) -> ClassResponse {
    ClassResponse {
        class_teacher_name: c.class_teacher_id.and_then(|t| names.get(&t).cloned()),
        id: c.id,
        name: c.name,
        grade: c.grade,
        class_teacher_id: c.class_teacher_id,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// All classes, by name. Class names are not personal data; every signed-in user may read them.
#[utoipa::path(
    tag = "classes",
    responses(
        (status = 200, body = Vec<ClassResponse>),
        (status = 401, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["people:read"])
    )
)]
#[get("/classes")]
pub async fn list_classes(
    _auth: AuthOrKey<AnyUser, PeopleRead>,
    state: State,
) -> AppResult<web::Json<Vec<ClassResponse>>> {
    let rows = store::all(&state.db.conn).await?;
    let names = store::teacher_names(&state.db.conn, &rows).await?;
    Ok(web::Json(
        rows.into_iter().map(|c| to_response(c, &names)).collect(),
    ))
}

/// One class.
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = ClassResponse),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["people:read"])
    )
)]
#[get("/classes/{id}")]
pub async fn get_class(
    _auth: AuthOrKey<AnyUser, PeopleRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ClassResponse>> {
    let c = store::find(&state.db.conn, id.into_inner()).await?;
    let names = store::teacher_names(&state.db.conn, std::slice::from_ref(&c)).await?;
    Ok(web::Json(to_response(c, &names)))
}

/// Create a class.
#[utoipa::path(
    tag = "classes",
    request_body = CreateClassRequest,
    responses(
        (status = 201, body = ClassResponse),
        (status = 409, description = "`already_exists`: name taken", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/classes")]
pub async fn create_class(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateClassRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &body.name, 1, 100);
    v.text("grade", &body.grade, 1, 50);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    if let Some(t) = body.class_teacher_id {
        store::require_teacher(&*tx, t).await?;
    }
    let now = crate::infra::clock::now();
    let created = model::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(body.name.trim().to_owned()),
        grade: Set(body.grade.trim().to_owned()),
        class_teacher_id: Set(body.class_teacher_id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "class.create",
        "class",
        Some(created.id.to_string()),
        json!({"after": {"name": created.name, "grade": created.grade, "class_teacher_id": created.class_teacher_id}}),
    )
    .await?;
    let names = store::teacher_names(&*tx, std::slice::from_ref(&created)).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(to_response(created, &names)))
}

/// Change a class (name, grade, class teacher).
#[utoipa::path(
    tag = "classes",
    params(("id" = Uuid, Path)),
    request_body = UpdateClassRequest,
    responses(
        (status = 200, body = ClassResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/classes/{id}")]
pub async fn update_class(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateClassRequest>,
) -> AppResult<web::Json<ClassResponse>> {
    let body = body.into_inner();
    let mut v = Validator::new();
    if let Some(n) = &body.name {
        v.text("name", n, 1, 100);
    }
    if let Some(g) = &body.grade {
        v.text("grade", g, 1, 50);
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = store::find(&*tx, id.into_inner()).await?;
    let mut active: model::ActiveModel = before.clone().into();
    if let Some(n) = body.name {
        active.name = Set(n.trim().to_owned());
    }
    if let Some(g) = body.grade {
        active.grade = Set(g.trim().to_owned());
    }
    if let Some(t) = body.class_teacher_id {
        if t.is_nil() {
            active.class_teacher_id = Set(None);
        } else {
            store::require_teacher(&*tx, t).await?;
            active.class_teacher_id = Set(Some(t));
        }
    }
    active.updated_at = Set(crate::infra::clock::now());
    let after = active.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "class.update",
        "class",
        Some(after.id.to_string()),
        json!({
            "before": {"name": before.name, "grade": before.grade, "class_teacher_id": before.class_teacher_id},
            "after": {"name": after.name, "grade": after.grade, "class_teacher_id": after.class_teacher_id},
        }),
    )
    .await?;
    let names = store::teacher_names(&*tx, std::slice::from_ref(&after)).await?;
    tx.commit().await?;
    Ok(web::Json(to_response(after, &names)))
}
