//! Platform queries: settings (shared with the assessment), figures and who is missing.

use crate::infra::error::{ApiError, AppResult};
use crate::schema::platform::{FigureSource, entry, figure, setting};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use uuid::Uuid;

pub const THRESHOLD_KEY: &str = "platform_threshold";
pub const DEFAULT_THRESHOLD: i32 = 90;

pub async fn get_setting<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    key: &str,
) -> AppResult<Option<T>> {
    setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|s| {
            serde_json::from_str(&s.value).map_err(|e| {
                // A corrupt setting must not silently read as "unset" (the defaults).
                tracing::error!(key, error = %e, "stored setting is not valid JSON of its type");
                ApiError::internal()
            })
        })
        .transpose()
}

/// Stores a setting; returns the previous value (JSON) for the audit record.
pub async fn put_setting(
    db: &impl ConnectionTrait,
    key: &str,
    value: serde_json::Value,
    by: Uuid,
) -> AppResult<Option<serde_json::Value>> {
    let now = crate::infra::clock::now();
    let before = setting::Entity::find_by_id(key.to_owned()).one(db).await?;
    let text = value.to_string();
    match before {
        Some(b) => {
            // For the audit record only: overwriting a corrupt value is how it gets fixed.
            let prev = serde_json::from_str(&b.value).ok();
            let mut a: setting::ActiveModel = b.into();
            a.value = Set(text);
            a.updated_by = Set(Some(by));
            a.updated_at = Set(now);
            a.update(db).await?;
            Ok(prev)
        }
        None => {
            setting::ActiveModel {
                key: Set(key.to_owned()),
                value: Set(text),
                updated_by: Set(Some(by)),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok(None)
        }
    }
}

pub async fn threshold(db: &impl ConnectionTrait) -> AppResult<i32> {
    Ok(get_setting(db, THRESHOLD_KEY)
        .await?
        .unwrap_or(DEFAULT_THRESHOLD))
}

/// Stores the threshold; returns the previous value (JSON) for the audit record.
pub async fn put_threshold(
    db: &impl ConnectionTrait,
    threshold: i32,
    by: Uuid,
) -> AppResult<Option<serde_json::Value>> {
    put_setting(db, THRESHOLD_KEY, serde_json::json!(threshold), by).await
}

pub async fn missing_counts(
    db: &impl ConnectionTrait,
    figure_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, i32>> {
    let mut out = HashMap::new();
    for e in entry::Entity::find()
        .filter(entry::Column::FigureId.is_in(figure_ids))
        .filter(entry::Column::Completed.eq(false))
        .all(db)
        .await?
    {
        *out.entry(e.figure_id).or_insert(0) += 1;
    }
    Ok(out)
}

/// One class's figure for a month, as written.
#[derive(Clone, Copy)]
pub struct NewFigure<'a> {
    /// `YYYY-MM`.
    pub month: &'a str,
    pub class_id: Uuid,
    pub completed: i32,
    pub class_size: i32,
    pub source: FigureSource,
    pub by: Uuid,
}

/// Writes (replaces) one class's figure for a month as typed-in totals; any per-student rows
/// imported earlier for that month and class are dropped.
pub async fn upsert_figure(
    db: &impl ConnectionTrait,
    f: &NewFigure<'_>,
) -> AppResult<(figure::Model, Option<figure::Model>)> {
    let NewFigure {
        month,
        class_id,
        completed,
        class_size,
        source,
        by,
    } = *f;
    let now = crate::infra::clock::now();
    let before = figure::Entity::find()
        .filter(figure::Column::Month.eq(month))
        .filter(figure::Column::ClassId.eq(class_id))
        .one(db)
        .await?;
    let saved = match &before {
        Some(b) => {
            entry::Entity::delete_many()
                .filter(entry::Column::FigureId.eq(b.id))
                .exec(db)
                .await?;
            let mut a: figure::ActiveModel = b.clone().into();
            a.completed = Set(completed);
            a.class_size = Set(class_size);
            a.source = Set(source);
            a.updated_by = Set(Some(by));
            a.updated_at = Set(now);
            a.update(db).await?
        }
        None => {
            figure::ActiveModel {
                id: Set(Uuid::now_v7()),
                month: Set(month.into()),
                class_id: Set(class_id),
                completed: Set(completed),
                class_size: Set(class_size),
                source: Set(source),
                updated_by: Set(Some(by)),
                updated_at: Set(now),
            }
            .insert(db)
            .await?
        }
    };
    Ok((saved, before))
}
