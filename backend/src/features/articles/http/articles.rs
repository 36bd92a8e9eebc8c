//! The office writes, publishes and takes down articles.

use super::super::page::names_a_student;
use super::super::store;
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, OfficeOrPrincipal};
use crate::features::{attachments, audit};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use crate::schema::articles::{ArticleKind, article};
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleResponse {
    pub id: Uuid,
    /// 安全通知 `notice` or 安全教育 `education`.
    pub kind: ArticleKind,
    pub title: String,
    /// Plain text; blank lines separate paragraphs.
    pub body: String,
    /// Pictures (attachments), in upload order.
    pub photo_ids: Vec<Uuid>,
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    /// Where the public reads it once published.
    pub public_path: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn response(db: &impl ConnectionTrait, a: article::Model) -> AppResult<ArticleResponse> {
    let mut photos = store::photos_of(db, &[a.id]).await?;
    Ok(ArticleResponse {
        photo_ids: photos.remove(&a.id).unwrap_or_default(),
        published: a.published_at.is_some(),
        public_path: format!("/public/articles/{}", a.id),
        id: a.id,
        kind: a.kind,
        title: a.title,
        body: a.body,
        published_at: a.published_at,
        created_at: a.created_at,
        updated_at: a.updated_at,
    })
}

fn audit_of(a: &article::Model) -> serde_json::Value {
    json!({"kind": a.kind, "title": a.title, "published": a.published_at.is_some()})
}

/// The public page never names a student: a published article's text is checked against
/// every student's name and number (`422 article_names_student`, nothing quoted).
async fn require_no_student(db: &impl ConnectionTrait, a: &article::Model) -> AppResult<()> {
    let ids = store::student_identifiers(db).await?;
    let text = format!("{}\n{}", a.title, a.body);
    if names_a_student(&text, ids.iter().map(String::as_str)) {
        return Err(ApiError::unprocessable(
            ErrorCode::ArticleNamesStudent,
            "文章含有学生的姓名或学号,公开页面不能发布学生信息;请删去后再发布",
        ));
    }
    Ok(())
}

/// Every article, drafts too, newest first (at most 500).
#[utoipa::path(
    tag = "articles",
    responses((status = 200, body = Vec<ArticleResponse>), (status = 401, body = crate::infra::error::Problem), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/articles")]
pub async fn list_articles(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<Vec<ArticleResponse>>> {
    let db = &state.db.conn;
    let rows = store::list(db, false).await?;
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let mut photos = store::photos_of(db, &ids).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|a| ArticleResponse {
                photo_ids: photos.remove(&a.id).unwrap_or_default(),
                published: a.published_at.is_some(),
                public_path: format!("/public/articles/{}", a.id),
                id: a.id,
                kind: a.kind,
                title: a.title,
                body: a.body,
                published_at: a.published_at,
                created_at: a.created_at,
                updated_at: a.updated_at,
            })
            .collect(),
    ))
}

/// One article.
#[utoipa::path(
    tag = "articles",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ArticleResponse), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/articles/{id}")]
pub async fn get_article(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ArticleResponse>> {
    let a = store::find(&state.db.conn, id.into_inner()).await?;
    Ok(web::Json(response(&state.db.conn, a).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "education", "title": "冬季用电防火安全提示", "body": "天气转冷,宿舍严禁使用电热毯、热得快等大功率电器。\n\n发现火情请立即拨打 119 并报告保卫处。", "photo_ids": []}))]
pub struct ArticleRequest {
    pub kind: ArticleKind,
    /// 1–200 characters.
    pub title: String,
    /// 1–20,000 characters of plain text.
    pub body: String,
    /// Your uploads (`POST /attachments`), at most 9.
    #[serde(default)]
    pub photo_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "冬季用电防火安全提示(更新)"}))]
pub struct ArticleUpdateRequest {
    pub kind: Option<ArticleKind>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// The full new list (photos left out are unlinked).
    pub photo_ids: Option<Vec<Uuid>>,
}

fn check(title: &str, body: &str, photos: &[Uuid]) -> AppResult<()> {
    let mut v = Validator::new();
    v.text("title", title, 1, 200);
    v.text("body", body, 1, 20_000);
    if photos.len() > attachments::MAX_PER_FIELD {
        v.add("photo_ids", "too_many", "最多 9 张图片");
    }
    v.finish()
}

/// Write an article (security office). It starts unpublished.
#[utoipa::path(
    tag = "articles",
    request_body = ArticleRequest,
    responses((status = 201, body = ArticleResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[post("/articles")]
pub async fn create_article(
    auth: Auth<Office>,
    state: State,
    body: web::Json<ArticleRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    check(&b.title, &b.body, &b.photo_ids)?;
    let now = crate::infra::clock::now();
    let tx = state.db.begin_write().await?;
    let a = article::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(b.kind),
        title: Set(b.title.trim().to_owned()),
        body: Set(b.body.trim().to_owned()),
        published_at: Set(None),
        created_by: Set(Some(auth.user.id)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    attachments::claim(
        &*tx,
        auth.user.id,
        &b.photo_ids,
        attachments::LinkKind::Article,
        a.id,
        "photo_ids",
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "article.create",
        "article",
        Some(a.id.to_string()),
        json!({"after": audit_of(&a)}),
    )
    .await?;
    let r = response(&*tx, a).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(r))
}

/// Change an article (security office). A published one is checked again and stays published.
#[utoipa::path(
    tag = "articles",
    params(("id" = Uuid, Path)),
    request_body = ArticleUpdateRequest,
    responses(
        (status = 200, body = ArticleResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, description = "`validation_failed`, `article_names_student`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/articles/{id}")]
pub async fn update_article(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<ArticleUpdateRequest>,
) -> AppResult<web::Json<ArticleResponse>> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let before = store::find(&*tx, id.into_inner()).await?;
    let title = b.title.unwrap_or_else(|| before.title.clone());
    let text = b.body.unwrap_or_else(|| before.body.clone());
    check(&title, &text, b.photo_ids.as_deref().unwrap_or_default())?;
    let mut a: article::ActiveModel = before.clone().into();
    a.kind = Set(b.kind.unwrap_or(before.kind));
    a.title = Set(title.trim().to_owned());
    a.body = Set(text.trim().to_owned());
    a.updated_at = Set(crate::infra::clock::now());
    let after = a.update(&*tx).await?;
    if after.published_at.is_some() {
        require_no_student(&*tx, &after).await?;
    }
    if let Some(photos) = &b.photo_ids {
        store::release_photos(&*tx, after.id, photos).await?;
        attachments::claim(
            &*tx,
            auth.user.id,
            photos,
            attachments::LinkKind::Article,
            after.id,
            "photo_ids",
        )
        .await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "article.update",
        "article",
        Some(after.id.to_string()),
        json!({"before": audit_of(&before), "after": audit_of(&after)}),
    )
    .await?;
    let r = response(&*tx, after).await?;
    tx.commit().await?;
    Ok(web::Json(r))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"published": true}))]
pub struct PublishRequest {
    pub published: bool,
}

/// Publish an article on the public page, or take it down (security office). Publishing
/// refuses a text naming a student (`422 article_names_student`).
#[utoipa::path(
    tag = "articles",
    params(("id" = Uuid, Path)),
    request_body = PublishRequest,
    responses(
        (status = 200, body = ArticleResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, description = "`article_names_student`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/articles/{id}/published")]
pub async fn set_published(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<PublishRequest>,
) -> AppResult<web::Json<ArticleResponse>> {
    let publish = body.into_inner().published;
    let tx = state.db.begin_write().await?;
    let before = store::find(&*tx, id.into_inner()).await?;
    if publish {
        require_no_student(&*tx, &before).await?;
    }
    let after = if publish == before.published_at.is_some() {
        before.clone()
    } else {
        let mut a: article::ActiveModel = before.clone().into();
        let now = crate::infra::clock::now();
        a.published_at = Set(publish.then_some(now));
        a.updated_at = Set(now);
        a.update(&*tx).await?
    };
    audit::record(
        &*tx,
        auth.user.actor(),
        if publish {
            "article.publish"
        } else {
            "article.unpublish"
        },
        "article",
        Some(after.id.to_string()),
        json!({"before": audit_of(&before), "after": audit_of(&after)}),
    )
    .await?;
    let r = response(&*tx, after).await?;
    tx.commit().await?;
    Ok(web::Json(r))
}

/// Delete an article (security office); its photos are unlinked.
#[utoipa::path(
    tag = "articles",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[delete("/articles/{id}")]
pub async fn delete_article(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let tx = state.db.begin_write().await?;
    let a = store::find(&*tx, id.into_inner()).await?;
    store::release_photos(&*tx, a.id, &[]).await?;
    article::Entity::delete_by_id(a.id).exec(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "article.delete",
        "article",
        Some(a.id.to_string()),
        json!({"before": audit_of(&a)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
