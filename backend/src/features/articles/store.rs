//! Article queries: articles, their photos, the page's settings, the students' names the
//! public page must never show.

use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::articles::{article, settings};
use crate::schema::attachments::{self as attachment, LinkKind};
use crate::schema::students::student;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

/// The office's list shows at most this many (newest first).
pub const MAX_ROWS: u64 = 500;

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<article::Model> {
    article::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ArticleNotFound, "文章不存在"))
}

pub async fn list(
    db: &impl ConnectionTrait,
    published_only: bool,
) -> AppResult<Vec<article::Model>> {
    let mut q = article::Entity::find();
    if published_only {
        q = q
            .filter(article::Column::PublishedAt.is_not_null())
            .order_by_desc(article::Column::PublishedAt);
    }
    Ok(q.order_by_desc(article::Column::CreatedAt)
        .limit(MAX_ROWS)
        .all(db)
        .await?)
}

/// Photo ids per article, in upload order.
pub async fn photos_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let rows = attachment::Entity::find()
        .filter(attachment::Column::LinkedKind.eq(LinkKind::Article))
        .filter(attachment::Column::LinkedId.is_in(ids.iter().copied()))
        .order_by_asc(attachment::Column::UploadedAt)
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in rows {
        if let Some(a) = r.linked_id {
            out.entry(a).or_default().push(r.id);
        }
    }
    Ok(out)
}

/// Unlinks the article's photos not in `keep` (they become unattached uploads, removed by the
/// cleanup after 7 days).
pub async fn release_photos(
    db: &impl ConnectionTrait,
    article_id: Uuid,
    keep: &[Uuid],
) -> AppResult<()> {
    attachment::Entity::update_many()
        .col_expr(
            attachment::Column::LinkedKind,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            attachment::Column::LinkedId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(attachment::Column::LinkedKind.eq(LinkKind::Article))
        .filter(attachment::Column::LinkedId.eq(article_id))
        .filter(attachment::Column::Id.is_not_in(keep.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Every student's name and number (active or not): what the public page must not name.
pub async fn student_identifiers(db: &impl ConnectionTrait) -> AppResult<Vec<String>> {
    let rows: Vec<(String, String)> = student::Entity::find()
        .select_only()
        .column(student::Column::Name)
        .column(student::Column::StudentNo)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().flat_map(|(n, no)| [n, no]).collect())
}

pub async fn settings_row(db: &impl ConnectionTrait) -> AppResult<Option<settings::Model>> {
    Ok(settings::Entity::find_by_id(1).one(db).await?)
}

/// The rosters the page shows (ids in the school's order).
pub fn roster_ids(row: Option<&settings::Model>) -> Vec<Uuid> {
    row.and_then(|r| serde_json::from_str::<Vec<Uuid>>(&r.duty_roster_ids).ok())
        .unwrap_or_default()
}
