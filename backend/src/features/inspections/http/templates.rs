//! Checklist templates. A template is a lineage of versions sharing a `code`; editing makes a
//! new version, so past submissions keep pointing at exactly what was answered.

use super::super::model::{Frequency, TargetKind, TemplateCategory, TemplateItem, template};
use super::super::store::{self, items_of};
use crate::auth::extract::Auth;
use crate::auth::roles::{AnyUser, Office, Role};
use crate::features::audit;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateResponse {
    pub id: Uuid,
    pub code: String,
    pub version: i32,
    pub is_current: bool,
    pub is_active: bool,
    pub is_builtin: bool,
    pub name: String,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub category: TemplateCategory,
    pub target_kind: TargetKind,
    /// The role that submits it.
    pub submitter_role: Role,
    pub frequency: Frequency,
    pub items: Vec<TemplateItem>,
    pub created_at: DateTime<Utc>,
}

pub fn to_response(t: template::Model) -> AppResult<TemplateResponse> {
    Ok(TemplateResponse {
        items: items_of(&t)?,
        submitter_role: t.submitter_role,
        frequency: t.frequency,
        id: t.id,
        code: t.code,
        version: t.version,
        is_current: t.is_current,
        is_active: t.is_active,
        is_builtin: t.is_builtin,
        name: t.name,
        name_en: t.name_en,
        description: t.description,
        category: t.category,
        target_kind: t.target_kind,
        created_at: t.created_at,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Keep an existing item's key when editing; omit for a new item.
    pub key: Option<String>,
    pub text: String,
    pub text_en: Option<String>,
    /// 1–10, default 1.
    pub weight: Option<u32>,
    #[serde(default)]
    pub photo_required_on_fail: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplateRequest {
    pub name: String,
    pub name_en: Option<String>,
    pub description: Option<String>,
    /// A string (not the enum) so an unknown value is a field error (422), not a body error.
    #[schema(value_type = TemplateCategory)]
    pub category: String,
    #[schema(value_type = TargetKind)]
    pub target_kind: String,
    pub submitter_role: Role,
    pub frequency: Frequency,
    pub items: Vec<ItemInput>,
}

/// A new version. Category, target kind and frequency belong to the lineage and do not change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplateRequest {
    pub name: String,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub submitter_role: Role,
    pub items: Vec<ItemInput>,
    /// `false` retires the template: it is no longer due nor accepts submissions.
    pub is_active: Option<bool>,
}

fn validate_items(v: &mut Validator, items: Vec<ItemInput>) -> Vec<TemplateItem> {
    if items.is_empty() || items.len() > 50 {
        v.add("items", "invalid", "检查项须为 1 到 50 项");
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, it) in items.into_iter().enumerate() {
        let f = format!("items[{i}]");
        v.text(&format!("{f}.text"), &it.text, 1, 200);
        v.opt_text(&format!("{f}.text_en"), it.text_en.as_deref(), 300);
        let weight = it.weight.unwrap_or(1);
        if !(1..=10).contains(&weight) {
            v.add(
                &format!("{f}.weight"),
                "out_of_range",
                "权重须在 1 到 10 之间",
            );
        }
        let key = match it.key {
            Some(k) => {
                let ok = !k.is_empty()
                    && k.len() <= 32
                    && k.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !ok {
                    v.add(
                        &format!("{f}.key"),
                        "invalid",
                        "key 只能含小写字母、数字和下划线",
                    );
                }
                k
            }
            None => format!("k{}", &Uuid::new_v4().simple().to_string()[..8]),
        };
        if !seen.insert(key.clone()) {
            v.add(&format!("{f}.key"), "duplicate", "key 重复");
        }
        out.push(TemplateItem {
            key,
            text: it.text.trim().to_owned(),
            text_en: it
                .text_en
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            weight,
            photo_required_on_fail: it.photo_required_on_fail,
        });
    }
    out
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// Also list retired templates.
    #[serde(default)]
    pub include_inactive: bool,
    /// Every version of one lineage (by code), oldest first.
    pub code: Option<String>,
}

/// Templates: the current version of each (or every version of `code`).
#[utoipa::path(
    tag = "inspections",
    params(TemplateQuery),
    responses((status = 200, body = Vec<TemplateResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/inspection-templates")]
pub async fn list_templates(
    _auth: Auth<AnyUser>,
    state: State,
    query: web::Query<TemplateQuery>,
) -> AppResult<web::Json<Vec<TemplateResponse>>> {
    let q = query.into_inner();
    let mut select = template::Entity::find();
    match &q.code {
        Some(code) => select = select.filter(template::Column::Code.eq(code.as_str())),
        None => select = select.filter(template::Column::IsCurrent.eq(true)),
    }
    if !q.include_inactive && q.code.is_none() {
        select = select.filter(template::Column::IsActive.eq(true));
    }
    let rows = select
        .order_by_asc(template::Column::Code)
        .order_by_asc(template::Column::Version)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(to_response)
            .collect::<AppResult<_>>()?,
    ))
}

/// One template version.
#[utoipa::path(
    tag = "inspections",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TemplateResponse),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/inspection-templates/{id}")]
pub async fn get_template(
    _auth: Auth<AnyUser>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<TemplateResponse>> {
    Ok(web::Json(to_response(
        store::find_template(&state.db.conn, id.into_inner()).await?,
    )?))
}

/// Define a new template (version 1).
#[utoipa::path(
    tag = "inspections",
    request_body = CreateTemplateRequest,
    responses(
        (status = 201, body = TemplateResponse),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/inspection-templates")]
pub async fn create_template(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateTemplateRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &body.name, 1, 100);
    v.opt_text("name_en", body.name_en.as_deref(), 100);
    v.opt_text("description", body.description.as_deref(), 2000);
    let category = TemplateCategory::try_from_value(&body.category).ok();
    if category.is_none() {
        v.add("category", "invalid", "类别无效");
    }
    let target_kind = TargetKind::try_from_value(&body.target_kind).ok();
    if target_kind.is_none() {
        v.add("target_kind", "invalid", "检查对象须为 class 或 location");
    }
    if target_kind == Some(TargetKind::Class)
        && !matches!(
            body.submitter_role,
            Role::ClassTeacher | Role::SecurityOffice
        )
    {
        v.add(
            "submitter_role",
            "invalid",
            "班级检查须由班主任或保卫处提交",
        );
    }
    if matches!(body.submitter_role, Role::Principal | Role::SafetyOfficer) {
        v.add("submitter_role", "invalid", "该角色不能提交检查");
    }
    let items = validate_items(&mut v, body.items);
    v.finish()?;
    let (Some(category), Some(target_kind)) = (category, target_kind) else {
        return Err(ApiError::internal());
    };
    let tx = state.db.begin_write().await?;
    let id = Uuid::now_v7();
    let row = template::ActiveModel {
        id: Set(id),
        code: Set(format!("custom_{}", &id.simple().to_string()[20..])),
        version: Set(1),
        is_current: Set(true),
        is_active: Set(true),
        is_builtin: Set(false),
        name: Set(body.name.trim().to_owned()),
        name_en: Set(body
            .name_en
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())),
        description: Set(body.description.filter(|s| !s.trim().is_empty())),
        category: Set(category),
        target_kind: Set(target_kind),
        submitter_role: Set(body.submitter_role),
        frequency: Set(body.frequency),
        items: Set(serde_json::to_string(&items).map_err(|_| ApiError::internal())?),
        created_by: Set(Some(auth.user.id)),
        created_at: Set(crate::infra::clock::now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "inspection_template.create",
        "inspection_template",
        Some(row.id.to_string()),
        json!({"code": row.code, "name": row.name, "items": items.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(to_response(row)?))
}

/// Edit a template: creates the next version (this id must be the current version,
/// else `409 template_outdated`); past submissions keep their version.
#[utoipa::path(
    tag = "inspections",
    params(("id" = Uuid, Path)),
    request_body = UpdateTemplateRequest,
    responses(
        (status = 201, body = TemplateResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`template_outdated`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/inspection-templates/{id}")]
pub async fn update_template(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateTemplateRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let mut v = Validator::new();
    v.text("name", &body.name, 1, 100);
    v.opt_text("name_en", body.name_en.as_deref(), 100);
    v.opt_text("description", body.description.as_deref(), 2000);
    if matches!(body.submitter_role, Role::Principal | Role::SafetyOfficer) {
        v.add("submitter_role", "invalid", "该角色不能提交检查");
    }
    let items = validate_items(&mut v, body.items);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let prev = store::find_template(&*tx, id.into_inner()).await?;
    if !prev.is_current {
        return Err(ApiError::conflict(
            ErrorCode::TemplateOutdated,
            "只能在当前版本上修改模板",
        ));
    }
    if prev.target_kind == TargetKind::Class
        && !matches!(
            body.submitter_role,
            Role::ClassTeacher | Role::SecurityOffice
        )
    {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidSubmitterRole,
            "班级检查须由班主任或保卫处提交",
        ));
    }
    let mut old: template::ActiveModel = prev.clone().into();
    old.is_current = Set(false);
    old.update(&*tx).await?;
    let row = template::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(prev.code.clone()),
        version: Set(prev.version + 1),
        is_current: Set(true),
        is_active: Set(body.is_active.unwrap_or(prev.is_active)),
        is_builtin: Set(prev.is_builtin),
        name: Set(body.name.trim().to_owned()),
        name_en: Set(body
            .name_en
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())),
        description: Set(body.description.filter(|s| !s.trim().is_empty())),
        category: Set(prev.category),
        target_kind: Set(prev.target_kind),
        submitter_role: Set(body.submitter_role),
        frequency: Set(prev.frequency),
        items: Set(serde_json::to_string(&items).map_err(|_| ApiError::internal())?),
        created_by: Set(Some(auth.user.id)),
        created_at: Set(crate::infra::clock::now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "inspection_template.update",
        "inspection_template",
        Some(row.id.to_string()),
        json!({"code": row.code, "previous_id": prev.id, "version": row.version, "items": items.len(), "is_active": row.is_active}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(to_response(row)?))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_templates)
        .service(create_template)
        .service(get_template)
        .service(update_template);
}
