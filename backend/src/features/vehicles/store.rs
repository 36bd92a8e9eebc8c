//! Vehicle queries: the register, the log and the rush windows.

use super::rules::{RushWindows, parse_hhmm};
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::pagination::contains_text;
use crate::schema::vehicles::{passage, settings, vehicle};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// At most this many rows in one answer of the register or a day's log.
pub const MAX_ROWS: u64 = 2000;

pub async fn find_vehicle(db: &impl ConnectionTrait, id: Uuid) -> AppResult<vehicle::Model> {
    vehicle::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::VehicleNotFound, "车辆不存在"))
}

pub async fn vehicle_by_plate(
    db: &impl ConnectionTrait,
    plate: &str,
) -> AppResult<Option<vehicle::Model>> {
    Ok(vehicle::Entity::find()
        .filter(vehicle::Column::Plate.eq(plate))
        .one(db)
        .await?)
}

pub async fn list_vehicles(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    include_inactive: bool,
) -> AppResult<Vec<vehicle::Model>> {
    let mut query = vehicle::Entity::find();
    if !include_inactive {
        query = query.filter(vehicle::Column::Active.eq(true));
    }
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(
            Condition::any()
                .add(contains_text(vehicle::Column::Plate, q))
                .add(contains_text(vehicle::Column::OwnerName, q)),
        );
    }
    Ok(query
        .order_by_asc(vehicle::Column::Plate)
        .limit(MAX_ROWS)
        .all(db)
        .await?)
}

pub async fn passage_by_event(
    db: &impl ConnectionTrait,
    event: &str,
) -> AppResult<Option<passage::Model>> {
    Ok(passage::Entity::find()
        .filter(passage::Column::ClientEventId.eq(event))
        .one(db)
        .await?)
}

/// Passages recorded in `[from, to)`, newest first (`bounded`: at most [`MAX_ROWS`]; a
/// report over rush entries only reads them all).
pub async fn passages_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    rush_only: bool,
    bounded: bool,
) -> AppResult<Vec<passage::Model>> {
    let mut q = passage::Entity::find()
        .filter(passage::Column::RecordedAt.gte(from))
        .filter(passage::Column::RecordedAt.lt(to));
    if rush_only {
        q = q.filter(passage::Column::Rush.is_not_null());
    }
    q = q
        .order_by_desc(passage::Column::RecordedAt)
        .order_by_desc(passage::Column::Id);
    if bounded {
        q = q.limit(MAX_ROWS);
    }
    Ok(q.all(db).await?)
}

pub async fn settings_row(db: &impl ConnectionTrait) -> AppResult<Option<settings::Model>> {
    Ok(settings::Entity::find_by_id(1).one(db).await?)
}

/// The school's windows, or the defaults while it has set none.
pub fn windows_of(row: Option<&settings::Model>) -> RushWindows {
    let Some(r) = row else {
        return RushWindows::default();
    };
    let d = RushWindows::default();
    let t = |s: &str, default| parse_hhmm(s).unwrap_or(default);
    RushWindows {
        morning: (
            t(&r.morning_start, d.morning.0),
            t(&r.morning_end, d.morning.1),
        ),
        afternoon: (
            t(&r.afternoon_start, d.afternoon.0),
            t(&r.afternoon_end, d.afternoon.1),
        ),
    }
}
