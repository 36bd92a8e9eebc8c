//! Registry queries, and the raising of hazards for expired items (a conditional claim on
//! the item, so it is raised once).

use super::model::{building, check, item};
use super::status::kind;
use crate::auth::extract::CurrentUser;
use crate::features::plans::fmt_date;
use crate::infra::db::Db;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult};
use crate::schema::users as user;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// A check's photos; corrupt data is a server error, never an empty list.
pub fn photo_ids_of(c: &check::Model) -> AppResult<Vec<Uuid>> {
    serde_json::from_str(&c.photo_ids).map_err(|e| {
        tracing::error!(check_id = %c.id, error = %e, "stored fire_checks.photo_ids does not parse");
        ApiError::internal()
    })
}

pub async fn find_building(db: &impl ConnectionTrait, id: Uuid) -> AppResult<building::Model> {
    building::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::FireBuildingNotFound, "楼栋不存在"))
}

pub async fn find_item(db: &impl ConnectionTrait, id: Uuid) -> AppResult<item::Model> {
    item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::FireItemNotFound, "器材不存在"))
}

pub async fn user_names(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// Each item's latest check.
pub async fn latest_checks(
    db: &impl ConnectionTrait,
    item_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, check::Model>> {
    let mut latest: HashMap<Uuid, check::Model> = HashMap::new();
    for c in check::Entity::find()
        .filter(check::Column::ItemId.is_in(item_ids))
        .order_by_asc(check::Column::CheckedAt)
        .all(db)
        .await?
    {
        latest.insert(c.item_id, c);
    }
    Ok(latest)
}

/// Raises one hazard per expired item that has none yet. The claim on the item is a
/// conditional update, so concurrent callers cannot raise it twice.
pub async fn raise_expired(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    candidates: Vec<item::Model>,
) -> AppResult<()> {
    for i in candidates {
        let hazard_id = Uuid::now_v7();
        let claimed = item::Entity::update_many()
            .col_expr(
                item::Column::ExpiredHazardId,
                sea_orm::sea_query::Expr::value(hazard_id),
            )
            .filter(item::Column::Id.eq(i.id))
            .filter(item::Column::ExpiredHazardId.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let b = find_building(db, i.building_id).await?;
        let kind = kind(i.kind);
        let k = kind.name;
        crate::features::hazards::create_from_source(
            db,
            u,
            hazard_id,
            crate::features::hazards::FromSource {
                category: kind.category.hazard_category(),
                source: "fire_equipment",
                location: format!("{} {}", b.name, i.location),
                description: format!(
                    "{k}「{}」已过期(有效期至 {}),需更换或重新检测",
                    i.name,
                    i.expiry_date.as_deref().map(written_date).unwrap_or_default()
                ),
                photo_ids: Vec::new(),
                details: json!({"fire_item_id": i.id, "reason": "expired", "expiry_date": i.expiry_date}),
            },
        )
        .await?;
    }
    Ok(())
}

/// Expired items noticed by whoever loads the board or an item: the first one raises the
/// hazard (in a write transaction, only when there is something to raise).
pub async fn notice_expired(db: &Db, u: &CurrentUser, today: NaiveDate) -> AppResult<()> {
    let pending = item::Entity::find()
        .filter(item::Column::ExpiryDate.lt(fmt_date(today)))
        .filter(item::Column::ExpiredHazardId.is_null())
        .filter(item::Column::RetiredAt.is_null())
        .all(&db.conn)
        .await?;
    if pending.is_empty() {
        return Ok(());
    }
    let tx = db.begin_write().await?;
    raise_expired(&*tx, u, pending).await?;
    tx.commit().await?;
    Ok(())
}

/// A date in a sentence people read (a hazard's description): `2026年11月22日`, not ISO.
fn written_date(day: &str) -> String {
    use chrono::Datelike;
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_or_else(
        |_| day.to_owned(),
        |d| format!("{}年{}月{}日", d.year(), d.month(), d.day()),
    )
}
