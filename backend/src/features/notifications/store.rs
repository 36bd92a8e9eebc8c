//! Notification queries: the escalation settings row, the worker's cursor, resolving a rule's
//! target to accounts, writing notifications once, and a person's own list.

use super::policy::EscalationSettings;
use super::rules::Target;
use crate::auth::roles::Role;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::notifications::{cursor, escalation_settings, notification};
use crate::schema::{classes, users};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The worker's row in `notification_cursors`.
const CURSOR: &str = "notifications";

/// The school's escalation settings and when they were last changed (`None`: the defaults).
pub async fn settings(
    db: &impl ConnectionTrait,
) -> AppResult<(EscalationSettings, Option<escalation_settings::Model>)> {
    let row = escalation_settings::Entity::find_by_id(1).one(db).await?;
    let s = match &row {
        None => EscalationSettings::default(),
        Some(r) => serde_json::from_str(&r.settings).unwrap_or_else(|e| {
            // We wrote it; a row that no longer parses falls back to the defaults, loudly.
            tracing::error!(error = %e, "escalation settings unreadable; using the defaults");
            EscalationSettings::default()
        }),
    };
    Ok((s, row))
}

pub async fn save_settings(
    db: &impl ConnectionTrait,
    s: &EscalationSettings,
    by: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let text = serde_json::to_string(s).map_err(|e| {
        tracing::error!(error = %e, "escalation settings do not serialise");
        ApiError::internal()
    })?;
    let row = escalation_settings::ActiveModel {
        id: Set(1),
        settings: Set(text),
        updated_by: Set(Some(by)),
        updated_at: Set(now),
    };
    escalation_settings::Entity::insert(row)
        .on_conflict(
            OnConflict::column(escalation_settings::Column::Id)
                .update_columns([
                    escalation_settings::Column::Settings,
                    escalation_settings::Column::UpdatedBy,
                    escalation_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Whether `id` is an active account (the 校医 named in the settings).
pub async fn active_user(db: &impl ConnectionTrait, id: Uuid) -> AppResult<bool> {
    Ok(users::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some_and(|u| u.is_active))
}

/// The last event seq turned into notifications (the migration starts it at the outbox's head).
pub async fn cursor(db: &impl ConnectionTrait) -> AppResult<i64> {
    Ok(cursor::Entity::find_by_id(CURSOR.to_owned())
        .one(db)
        .await?
        .map(|c| c.seq)
        .unwrap_or(0))
}

/// Moves the cursor forward to `seq` (never back: a slower replica cannot undo a faster one).
pub async fn advance(db: &impl ConnectionTrait, seq: i64) -> AppResult<()> {
    cursor::Entity::insert(cursor::ActiveModel {
        name: Set(CURSOR.to_owned()),
        seq: Set(0),
    })
    .on_conflict(
        OnConflict::column(cursor::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    cursor::Entity::update_many()
        .col_expr(cursor::Column::Seq, Expr::value(seq))
        .filter(cursor::Column::Name.eq(CURSOR))
        .filter(cursor::Column::Seq.lt(seq))
        .exec(db)
        .await?;
    Ok(())
}

/// Resolves targets to active accounts, remembering what it looked up for a batch.
#[derive(Default)]
pub struct Resolver {
    roles: HashMap<Role, Vec<(Uuid, Role)>>,
    teachers: HashMap<Uuid, Vec<(Uuid, Role)>>,
    users: HashMap<Uuid, Vec<(Uuid, Role)>>,
}

impl Resolver {
    pub async fn resolve(
        &mut self,
        db: &impl ConnectionTrait,
        t: &Target,
    ) -> AppResult<Vec<(Uuid, Role)>> {
        match t {
            Target::Everyone(role) => {
                if let Some(found) = self.roles.get(role) {
                    return Ok(found.clone());
                }
                let found: Vec<(Uuid, Role)> = users::Entity::find()
                    .select_only()
                    .column(users::Column::Id)
                    .column(users::Column::Role)
                    .filter(users::Column::Role.eq(*role))
                    .filter(users::Column::IsActive.eq(true))
                    .into_tuple()
                    .all(db)
                    .await?;
                self.roles.insert(*role, found.clone());
                Ok(found)
            }
            Target::ClassTeacherOf(class_id) => {
                if let Some(found) = self.teachers.get(class_id) {
                    return Ok(found.clone());
                }
                let teacher = classes::Entity::find_by_id(*class_id)
                    .one(db)
                    .await?
                    .and_then(|c| c.class_teacher_id);
                let found = match teacher {
                    Some(id) => self.user(db, id).await?,
                    None => Vec::new(),
                };
                self.teachers.insert(*class_id, found.clone());
                Ok(found)
            }
            Target::User(id) => self.user(db, *id).await,
        }
    }

    async fn user(&mut self, db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<(Uuid, Role)>> {
        if let Some(found) = self.users.get(&id) {
            return Ok(found.clone());
        }
        let found = users::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|u| u.is_active)
            .map(|u| vec![(u.id, u.role)])
            .unwrap_or_default();
        self.users.insert(id, found.clone());
        Ok(found)
    }
}

/// Writes notifications; one that exists already (same recipient, event and rule: written
/// before a restart, or by another replica) is left as it is.
pub async fn insert_all(
    db: &impl ConnectionTrait,
    rows: Vec<notification::ActiveModel>,
) -> AppResult<()> {
    for chunk in rows.chunks(200) {
        notification::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    notification::Column::RecipientId,
                    notification::Column::EventId,
                    notification::Column::Rule,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// My notifications, newest first, after the cursor `(created_at, id)`.
pub async fn list(
    db: &impl ConnectionTrait,
    me: Uuid,
    unread_only: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    let mut q = notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(me))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit);
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    if let Some((at, id)) = after {
        q = q.filter(crate::infra::pagination::after_time_id(
            notification::Column::CreatedAt,
            notification::Column::Id,
            at,
            id,
        ));
    }
    Ok(q.all(db).await?)
}

pub async fn unread_count(db: &impl ConnectionTrait, me: Uuid) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::RecipientId.eq(me))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks one of mine read (the first time counts); someone else's is not found.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    me: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<notification::Model> {
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Some(now)))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::RecipientId.eq(me))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    notification::Entity::find_by_id(id)
        .filter(notification::Column::RecipientId.eq(me))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::NotificationNotFound, "通知不存在"))
}

/// Marks all of mine read; returns how many were unread.
pub async fn mark_all(db: &impl ConnectionTrait, me: Uuid, now: DateTime<Utc>) -> AppResult<u64> {
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Some(now)))
        .filter(notification::Column::RecipientId.eq(me))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
