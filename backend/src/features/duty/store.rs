//! Duty queries: rosters, shifts, swaps and calendar feeds.

use super::conflicts::{self, Conflict, RosterFacts};
use super::rotation::{NewShift, shift_instants};
use crate::infra::clock::{fmt_date, parse_date, today};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::duty::{Post, RosterStatus, SwapStatus, feed, roster, shift, swap};
use crate::schema::users as user;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// The accounts named by `ids` (only those: not the whole users table).
pub async fn users_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, user::Model>> {
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

pub async fn find_user(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

pub async fn shifts_of(db: &impl ConnectionTrait, roster_id: Uuid) -> AppResult<Vec<shift::Model>> {
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.eq(roster_id))
        .order_by_asc(shift::Column::StartsAt)
        .order_by_asc(shift::Column::Post)
        .all(db)
        .await?)
}

pub async fn find_roster(db: &impl ConnectionTrait, id: Uuid) -> AppResult<roster::Model> {
    roster::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::RosterNotFound, "值班表不存在"))
}

pub async fn find_shift(db: &impl ConnectionTrait, id: Uuid) -> AppResult<shift::Model> {
    shift::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::ShiftNotFound, "班次不存在"))
}

pub async fn find_swap(db: &impl ConnectionTrait, id: Uuid) -> AppResult<swap::Model> {
    swap::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::SwapNotFound, "换班申请不存在"))
}

/// Filters for the roster list.
pub struct RosterFilter<'a> {
    pub published_only: bool,
    pub status: Option<RosterStatus>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

pub async fn list_rosters(
    db: &impl ConnectionTrait,
    f: RosterFilter<'_>,
) -> AppResult<Vec<roster::Model>> {
    let mut select = roster::Entity::find();
    if f.published_only {
        select = select.filter(roster::Column::Status.eq(RosterStatus::Published));
    }
    if let Some(s) = f.status {
        select = select.filter(roster::Column::Status.eq(s));
    }
    if let Some(from) = f.from {
        select = select.filter(roster::Column::EndDate.gte(from));
    }
    if let Some(to) = f.to {
        select = select.filter(roster::Column::StartDate.lte(to));
    }
    Ok(select
        .order_by_asc(roster::Column::StartDate)
        .limit(500)
        .all(db)
        .await?)
}

/// A new draft roster.
pub struct NewRoster<'a> {
    pub title: &'a str,
    pub start: &'a str,
    pub end: &'a str,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
    pub by: Option<Uuid>,
}

pub async fn insert_roster(
    db: &impl ConnectionTrait,
    r: NewRoster<'_>,
) -> Result<roster::Model, DbErr> {
    let now = crate::infra::clock::now();
    roster::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(r.title.trim().to_owned()),
        start_date: Set(r.start.trim().to_owned()),
        end_date: Set(r.end.trim().to_owned()),
        status: Set(RosterStatus::Draft),
        report_to: Set(r.report_to),
        reported_at: Set(None),
        reported_by: Set(None),
        notified_at: Set(None),
        notified_by: Set(None),
        notify: Set(r.notify),
        note: Set(r.note),
        created_by: Set(r.by),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
    }
    .insert(db)
    .await
}

/// Inserts a shift; its instants follow from the local date and times in `tz`.
pub async fn insert_shift(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    s: NewShift,
) -> AppResult<shift::Model> {
    let (starts_at, ends_at) = shift_instants(tz, s.date, s.start, s.end)
        .ok_or_else(|| ApiError::unprocessable(ErrorCode::InvalidTime, "该时间在本时区不存在"))?;
    Ok(shift::ActiveModel {
        id: Set(Uuid::now_v7()),
        roster_id: Set(s.roster_id),
        date: Set(fmt_date(s.date)),
        start_time: Set(s.start.format("%H:%M").to_string()),
        end_time: Set(s.end.format("%H:%M").to_string()),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        post: Set(s.post),
        user_id: Set(s.user_id),
        note: Set(s.note),
        place: Set(s.place),
        created_at: Set(crate::infra::clock::now()),
    }
    .insert(db)
    .await?)
}

pub async fn delete_shifts_of(db: &impl ConnectionTrait, roster_id: Uuid) -> AppResult<()> {
    shift::Entity::delete_many()
        .filter(shift::Column::RosterId.eq(roster_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn published_ids(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    Ok(roster::Entity::find()
        .filter(roster::Column::Status.eq(RosterStatus::Published))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect())
}

/// Everything that should stop a roster from being published.
pub async fn roster_conflicts(
    db: &impl ConnectionTrait,
    r: &roster::Model,
) -> AppResult<Vec<Conflict>> {
    let shifts = shifts_of(db, r.id).await?;
    let users = users_by_ids(db, shifts.iter().map(|s| s.user_id)).await?;
    // Shifts of other published rosters that overlap this roster's time span.
    let mut others: Vec<shift::Model> = Vec::new();
    if let (Some(min), Some(max)) = (
        shifts.iter().map(|s| s.starts_at).min(),
        shifts.iter().map(|s| s.ends_at).max(),
    ) {
        let published: Vec<Uuid> = published_ids(db)
            .await?
            .into_iter()
            .filter(|id| *id != r.id)
            .collect();
        if !published.is_empty() {
            others = shift::Entity::find()
                .filter(shift::Column::RosterId.is_in(published))
                .filter(shift::Column::StartsAt.lt(max))
                .filter(shift::Column::EndsAt.gt(min))
                .all(db)
                .await?;
        }
    }
    let is_active = |id: Uuid| users.get(&id).is_some_and(|u| u.is_active);
    Ok(conflicts::conflicts(&RosterFacts {
        start: parse_date(&r.start_date),
        end: parse_date(&r.end_date),
        shifts: &shifts,
        others: &others,
        is_active: &is_active,
    }))
}

/// Whether the person is on a published roster today as leader on call or duty teacher:
/// that is what makes a teacher a 值周教师 who may spot-check other classes.
pub async fn is_on_duty_today(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    tz: chrono_tz::Tz,
) -> Result<bool, DbErr> {
    is_on_duty_on(db, user_id, today(tz)).await
}

/// The same, for a given local date.
pub async fn is_on_duty_on(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    date: NaiveDate,
) -> Result<bool, DbErr> {
    let published = published_ids(db).await?;
    if published.is_empty() {
        return Ok(false);
    }
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(published))
        .filter(shift::Column::UserId.eq(user_id))
        .filter(shift::Column::Date.eq(fmt_date(date)))
        .filter(shift::Column::Post.is_in([Post::LeaderOnCall, Post::DutyTeacher]))
        .one(db)
        .await?
        .is_some())
}

/// Published shifts running at `at`.
pub async fn shifts_at(
    db: &impl ConnectionTrait,
    at: DateTime<Utc>,
) -> AppResult<Vec<shift::Model>> {
    let published = published_ids(db).await?;
    if published.is_empty() {
        return Ok(vec![]);
    }
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(published))
        .filter(shift::Column::StartsAt.lte(at))
        .filter(shift::Column::EndsAt.gt(at))
        .order_by_asc(shift::Column::Post)
        .order_by_asc(shift::Column::StartsAt)
        .all(db)
        .await?)
}

/// A person's shifts on published rosters between two local dates (both included).
pub async fn user_shifts(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    from: &str,
    to: &str,
) -> AppResult<Vec<shift::Model>> {
    let published = published_ids(db).await?;
    if published.is_empty() {
        return Ok(vec![]);
    }
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(published))
        .filter(shift::Column::UserId.eq(user_id))
        .filter(shift::Column::Date.gte(from))
        .filter(shift::Column::Date.lte(to))
        .order_by_asc(shift::Column::StartsAt)
        .limit(500)
        .all(db)
        .await?)
}

/// Whether the shift already has a swap in progress.
pub async fn has_pending_swap(db: &impl ConnectionTrait, shift_id: Uuid) -> AppResult<bool> {
    Ok(swap::Entity::find()
        .filter(swap::Column::ShiftId.eq(shift_id))
        .filter(swap::Column::Status.is_in([SwapStatus::Requested, SwapStatus::Accepted]))
        .one(db)
        .await?
        .is_some())
}

/// Whether `user_id` has another published shift overlapping `s`.
pub async fn is_busy_during(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    s: &shift::Model,
) -> AppResult<bool> {
    let published = published_ids(db).await?;
    Ok(shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(published))
        .filter(shift::Column::UserId.eq(user_id))
        .filter(shift::Column::Id.ne(s.id))
        .filter(shift::Column::StartsAt.lt(s.ends_at))
        .filter(shift::Column::EndsAt.gt(s.starts_at))
        .one(db)
        .await?
        .is_some())
}

/// Filters for the swap list.
pub struct SwapFilter {
    /// Only swaps this person asked for or was asked.
    pub involving: Option<Uuid>,
    pub shift_id: Option<Uuid>,
    pub roster_id: Option<Uuid>,
    pub status: Option<SwapStatus>,
}

pub async fn list_swaps(db: &impl ConnectionTrait, f: SwapFilter) -> AppResult<Vec<swap::Model>> {
    let mut select = swap::Entity::find();
    if let Some(me) = f.involving {
        select = select.filter(
            sea_orm::Condition::any()
                .add(swap::Column::RequesterId.eq(me))
                .add(swap::Column::TargetUserId.eq(me)),
        );
    }
    if let Some(s) = f.shift_id {
        select = select.filter(swap::Column::ShiftId.eq(s));
    }
    if let Some(r) = f.roster_id {
        let ids: Vec<Uuid> = shifts_of(db, r).await?.into_iter().map(|s| s.id).collect();
        select = select.filter(swap::Column::ShiftId.is_in(ids));
    }
    if let Some(st) = f.status {
        select = select.filter(swap::Column::Status.eq(st));
    }
    Ok(select
        .order_by_desc(swap::Column::Id)
        .limit(500)
        .all(db)
        .await?)
}

/// The shifts the swaps name, by id.
pub async fn shifts_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, shift::Model>> {
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(shift::Entity::find()
        .filter(shift::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

pub async fn active_feed(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> AppResult<Option<feed::Model>> {
    Ok(feed::Entity::find()
        .filter(feed::Column::UserId.eq(user_id))
        .filter(feed::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

pub async fn feed_by_token_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> AppResult<Option<feed::Model>> {
    Ok(feed::Entity::find()
        .filter(feed::Column::TokenHash.eq(hash))
        .filter(feed::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

pub async fn revoke_feeds(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<u64> {
    let res = feed::Entity::update_many()
        .col_expr(
            feed::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(crate::infra::clock::now()),
        )
        .filter(feed::Column::UserId.eq(user_id))
        .filter(feed::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn insert_feed(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    token_hash: String,
) -> AppResult<feed::Model> {
    Ok(feed::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        token_hash: Set(token_hash),
        created_at: Set(crate::infra::clock::now()),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// Roster titles by id, for the rosters `ids` name.
pub async fn roster_titles(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(roster::Entity::find()
        .filter(roster::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect())
}
