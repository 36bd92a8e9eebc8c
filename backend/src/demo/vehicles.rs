//! Demo vehicles: four staff vehicles and a morning's gate log (yesterday's where a time of
//! today is still to come), one entry in the 上学 rush window and a visitor's vehicle.

use super::Cast;
use crate::features::vehicles::model::{VehicleDirection, VehicleKind, passage, vehicle};
use crate::features::vehicles::{RushWindows, rush_window};
use crate::infra::error::BoxError;
use chrono::{Duration, NaiveTime, TimeZone};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use std::collections::HashMap;
use uuid::Uuid;

/// (plate, kind, owner's username, note)
const VEHICLES: &[(&str, VehicleKind, &str, &str)] = &[
    ("苏E8A261", VehicleKind::Car, "office", "白色轿车"),
    ("苏EF36618", VehicleKind::Car, "principal", "新能源,黑色"),
    ("苏E2K917", VehicleKind::Car, "teacher2", "灰色SUV"),
    ("苏州A52871", VehicleKind::EBike, "teacher1", "蓝色电动车"),
];

/// (local time, plate, direction, note)
const LOG: &[(&str, &str, VehicleDirection, &str)] = &[
    ("06:55", "苏E8A261", VehicleDirection::In, ""),
    ("07:25", "苏E2K917", VehicleDirection::In, ""),
    ("07:52", "苏州A52871", VehicleDirection::In, ""),
    ("09:10", "苏E5Q330", VehicleDirection::In, "食堂送货"),
    ("09:40", "苏E5Q330", VehicleDirection::Out, "食堂送货"),
    ("11:45", "苏E2K917", VehicleDirection::Out, ""),
];

pub async fn seed(
    db: &impl ConnectionTrait,
    cast: &Cast,
    tz: chrono_tz::Tz,
) -> Result<(), BoxError> {
    let now = crate::infra::clock::now();
    let guard = cast.user("guard1")?;
    let mut by_plate = HashMap::new();
    for (plate, kind, owner, note) in VEHICLES {
        let u = cast.user(owner)?;
        let v = vehicle::ActiveModel {
            id: Set(Uuid::now_v7()),
            plate: Set((*plate).into()),
            kind: Set(*kind),
            owner_name: Set(u.display_name.clone()),
            owner_user_id: Set(Some(u.id)),
            note: Set(Some((*note).into())),
            active: Set(true),
            created_at: Set(now - Duration::days(30)),
            updated_at: Set(now - Duration::days(30)),
        }
        .insert(db)
        .await?;
        by_plate.insert(*plate, v);
    }
    let windows = RushWindows::default();
    let today = crate::infra::clock::today(tz);
    for (time, plate, direction, note) in LOG {
        let t = NaiveTime::parse_from_str(time, "%H:%M").unwrap_or_default();
        let local = |d: chrono::NaiveDate| tz.from_local_datetime(&d.and_time(t)).earliest();
        let Some(mut at) = local(today) else { continue };
        if at > now {
            let Some(y) = today.pred_opt().and_then(local) else {
                continue;
            };
            at = y;
        }
        let v = by_plate.get(plate);
        passage::ActiveModel {
            id: Set(Uuid::now_v7()),
            plate: Set((*plate).into()),
            vehicle_id: Set(v.map(|v| v.id)),
            owner_name: Set(v.map(|v| v.owner_name.clone())),
            direction: Set(*direction),
            rush: Set(rush_window(*direction, t, &windows)),
            recorded_at: Set(at.with_timezone(&chrono::Utc)),
            recorded_by: Set(guard.id),
            client_event_id: Set(None),
            note: Set(Some((*note).to_owned()).filter(|n| !n.is_empty())),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
