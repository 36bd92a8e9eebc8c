//! Attachment rows and files: what a user has stored, linking uploads to records, and writing
//! the files.

use super::model::{self, LinkKind};
use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Bytes of photos the user has stored.
pub async fn stored_bytes(db: &impl ConnectionTrait, user: Uuid) -> AppResult<i64> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::ExprTrait;
    let sum: Option<Option<i64>> = model::Entity::find()
        .select_only()
        .column_as(
            sea_orm::sea_query::Expr::col(model::Column::SizeBytes)
                .sum()
                .cast_as("BIGINT"),
            "total",
        )
        .filter(model::Column::UploadedBy.eq(user))
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<model::Model> {
    model::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::AttachmentNotFound, "图片不存在"))
}

/// Links the caller's uploads to a record. Each id must be the caller's own upload, not yet
/// linked elsewhere (re-linking to the same record is fine, e.g. an amendment keeping photos).
pub async fn claim(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    ids: &[Uuid],
    kind: LinkKind,
    linked_id: Uuid,
    field: &str,
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    let rows = model::Entity::find()
        .filter(model::Column::Id.is_in(unique.iter().copied()))
        .all(db)
        .await?;
    let mut errors = Vec::new();
    for id in &unique {
        let err = |code: &str, message: &str| FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
            line: None,
        };
        match rows.iter().find(|r| r.id == *id) {
            None => errors.push(err("attachment_not_found", "图片不存在")),
            Some(r) if r.uploaded_by != user_id => {
                errors.push(err("attachment_not_found", "图片不存在"))
            }
            Some(r) => match (r.linked_kind, r.linked_id) {
                (None, _) => {}
                (Some(k), Some(l)) if k == kind && l == linked_id => {}
                _ => errors.push(err("attachment_in_use", "图片已用于其他记录")),
            },
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    model::Entity::update_many()
        .col_expr(
            model::Column::LinkedKind,
            sea_orm::sea_query::Expr::value(kind.to_value()),
        )
        .col_expr(
            model::Column::LinkedId,
            sea_orm::sea_query::Expr::value(linked_id),
        )
        .filter(model::Column::Id.is_in(unique))
        .filter(model::Column::LinkedId.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub fn remove_quietly(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// Writes both files, or neither.
pub fn store_files(
    dir: &Path,
    file: (&str, &[u8]),
    thumb: (&str, &[u8]),
) -> Result<(), std::io::Error> {
    // Photos of a school (and of minors): readable by the server's user only.
    crate::infra::keys::create_private_dir(dir)?;
    let mut written = Vec::new();
    for (name, bytes) in [file, thumb] {
        let path = dir.join(name);
        let tmp = dir.join(format!("{name}.part"));
        let res = crate::infra::keys::write_private(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, &path));
        if let Err(e) = res {
            let _ = std::fs::remove_file(&tmp);
            remove_quietly(&written);
            return Err(e);
        }
        written.push(path);
    }
    Ok(())
}

/// Writes one file (a document: no thumbnail), or nothing.
pub fn store_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), std::io::Error> {
    crate::infra::keys::create_private_dir(dir)?;
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.part"));
    let res =
        crate::infra::keys::write_private(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, &path));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
