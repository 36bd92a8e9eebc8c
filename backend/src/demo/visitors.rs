//! Demo visitors, an expected visitor and a watchlist entry.

use crate::features::visitors::{
    self,
    model::{expected, visitor, watchlist},
};
use crate::infra::keys::MasterKey;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

/// Demo records: a fire-safety inspector on campus, a parent expected today, and a person the
/// office flagged (形迹可疑, matched by phone).
pub async fn seed(
    db: &impl ConnectionTrait,
    master: &MasterKey,
    tz: chrono_tz::Tz,
    guard: Uuid,
    teacher: Uuid,
) -> Result<(), crate::infra::error::BoxError> {
    let now = crate::infra::clock::now();
    let id = visitors::protect_id(db, master, Some("320506198203154417"))
        .await
        .map_err(|e| e.to_string())?;
    visitor::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("孙建国".into()),
        phone: Set(Some("13962100417".into())),
        id_number_hash: Set(id.as_ref().map(|i| i.hash.clone())),
        id_number_last4: Set(id.map(|i| i.last4)),
        organisation: Set(Some("苏州市吴中区消防救援大队".into())),
        reason: Set("春季消防设施检查".into()),
        host: Set(Some("张卫东(保卫处)".into())),
        vehicle_plate: Set(Some("苏E·5K219".into())),
        gate: Set(Some("南门".into())),
        expected_visitor_id: Set(None),
        watchlist_entry_id: Set(None),
        checked_in_at: Set(now - chrono::Duration::minutes(45)),
        checked_in_by: Set(guard),
        checked_out_at: Set(None),
        checked_out_by: Set(None),
        status: Set(visitors::VisitStatus::Admitted),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_reason: Set(None),
        checked_in_by_api_key_id: Set(None),
    }
    .insert(db)
    .await?;
    let today = crate::infra::clock::fmt_date(crate::infra::clock::today(tz));
    expected::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("周丽华".into()),
        phone: Set(Some("13913572468".into())),
        id_number_hash: Set(None),
        id_number_last4: Set(None),
        organisation: Set(None),
        reason: Set("学生家长,来校商谈复学事宜".into()),
        host: Set("李雪梅(班主任)".into()),
        vehicle_plate: Set(None),
        expected_date: Set(today),
        created_by: Set(teacher),
        created_at: Set(now),
        visitor_id: Set(None),
        cancelled_at: Set(None),
        created_by_api_key_id: Set(None),
    }
    .insert(db)
    .await?;
    watchlist::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("无名男子(约40岁,灰色外套)".into()),
        id_number_hash: Set(None),
        id_number_last4: Set(None),
        phone: Set(Some("13700001234".into())),
        category: Set(visitors::WatchCategory::Suspicious),
        note: Set("3月多次在校门口徘徊并向学生搭讪,已通报辖区派出所".into()),
        is_active: Set(true),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
