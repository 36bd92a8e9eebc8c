//! Demo patrols: six checkpoints, the night route at 21:00 and yesterday's finished run with
//! one missed checkpoint.

use crate::features::patrol::{
    local_instant, model::RoutePointInput, model::checkpoint, model::point, model::route,
    model::run, new_code,
};
use crate::infra::error::BoxError;
use crate::schema::users as user;
use chrono::{Duration, NaiveTime};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

pub async fn seed(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<(), BoxError> {
    let Some(guard) = user::Entity::find()
        .filter(user::Column::Username.eq("guard1"))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let now = crate::infra::clock::now();
    let since = now - Duration::days(7);
    let places = [
        ("南门", "南门岗亭外侧立柱"),
        ("北门", "北门值班室门口"),
        ("学生宿舍", "学生宿舍一楼大厅"),
        ("实验楼", "实验楼一楼东侧楼梯口"),
        ("围墙东侧", "东侧围墙中段路灯杆"),
        ("食堂", "食堂后门"),
    ];
    let mut cps = Vec::new();
    for (name, location) in places {
        let c = checkpoint::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.into()),
            location: Set(location.into()),
            code: Set(new_code().map_err(|_| "no randomness")?),
            active: Set(true),
            created_at: Set(since),
            updated_at: Set(since),
        }
        .insert(db)
        .await?;
        cps.push(c);
    }
    let points: Vec<RoutePointInput> = cps
        .iter()
        .enumerate()
        .map(|(i, c)| RoutePointInput {
            checkpoint_id: c.id,
            offset_minutes: i32::try_from(i * 10).unwrap_or(0),
            tolerance_minutes: 10,
        })
        .collect();
    let r = route::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("夜间巡查".into()),
        start_times: Set(json!(["21:00"]).to_string()),
        points: Set(json!(points).to_string()),
        active: Set(true),
        created_at: Set(since),
        updated_at: Set(since),
    }
    .insert(db)
    .await?;
    // Yesterday at 21:03: on time everywhere but late at the dormitory, the east wall missed.
    let yesterday = now.with_timezone(&tz).date_naive() - Duration::days(1);
    let Some(start) =
        NaiveTime::from_hms_opt(21, 3, 0).and_then(|t| local_instant(&tz, yesterday, t))
    else {
        return Ok(());
    };
    let run_id = Uuid::now_v7();
    run::ActiveModel {
        id: Set(run_id),
        route_id: Set(r.id),
        route_name: Set(r.name.clone()),
        guard_id: Set(guard.id),
        date: Set(yesterday.format("%Y-%m-%d").to_string()),
        slot: Set(Some("21:00".into())),
        started_at: Set(start),
        finished_at: Set(Some(start + Duration::minutes(58))),
    }
    .insert(db)
    .await?;
    let visits: [(Option<i64>, Option<&str>); 6] = [
        (Some(1), None),
        (Some(9), Some("北门外有车辆临时停放,已提醒驶离")),
        (Some(34), None),
        (Some(38), None),
        (None, None),
        (Some(52), None),
    ];
    for (i, (c, (visit, obs))) in cps.iter().zip(visits).enumerate() {
        let p = &points[i];
        point::ActiveModel {
            id: Set(Uuid::now_v7()),
            run_id: Set(run_id),
            seq: Set(i32::try_from(i).unwrap_or(0)),
            checkpoint_id: Set(c.id),
            checkpoint_name: Set(c.name.clone()),
            location: Set(c.location.clone()),
            expected_at: Set(start + Duration::minutes(i64::from(p.offset_minutes))),
            tolerance_minutes: Set(p.tolerance_minutes),
            visited_at: Set(visit.map(|m| start + Duration::minutes(m))),
            client_event_id: Set(visit.map(|_| Uuid::now_v7().to_string())),
            observation: Set(obs.map(str::to_owned)),
            hazard_id: Set(None),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
