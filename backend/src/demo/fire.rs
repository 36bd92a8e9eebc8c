//! Demo fire registry: three buildings and ten items; one expired, one expiring soon, one never
//! checked.

use crate::features::fire::{
    self,
    model::{CheckResult, ItemKind, building, check, item},
};
use crate::infra::error::BoxError;
use crate::schema::users as user;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::HashMap;
use uuid::Uuid;

/// (building, kind, name, location, spec, installed days ago, expires in days, checked?)
type DemoItem = (
    &'static str,
    ItemKind,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    bool,
);

/// Three buildings and ten items; one expired, one expiring soon, one never checked.
pub async fn seed(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<(), BoxError> {
    let today = crate::features::plans::today(tz);
    let now = crate::infra::clock::now();
    let guard = user::Entity::find()
        .filter(user::Column::Username.eq("guard1"))
        .one(db)
        .await?;
    let mut buildings = HashMap::new();
    for (name, note) in [
        ("教学楼A", "五层,东西两部楼梯"),
        ("实验楼", "化学、物理实验室,危化品柜在三楼"),
        ("学生宿舍", "男女生宿舍各一栋,按一栋登记"),
    ] {
        let id = Uuid::now_v7();
        building::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            note: Set(note.into()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        buildings.insert(name, id);
    }
    let d = |days: i64| crate::features::plans::fmt_date(today + chrono::Duration::days(days));
    // (building, kind, name, location, spec, installed days ago, expires in days, checked?)
    let items: [DemoItem; 10] = [
        (
            "教学楼A",
            ItemKind::Extinguisher,
            "灭火器 A-1-01",
            "一楼东侧楼梯口",
            "MFZ/ABC4 干粉 4kg",
            700,
            Some(1100),
            true,
        ),
        (
            "教学楼A",
            ItemKind::Extinguisher,
            "灭火器 A-3-02",
            "三楼走廊中段",
            "MFZ/ABC4 干粉 4kg",
            1800,
            Some(-10),
            true,
        ),
        (
            "教学楼A",
            ItemKind::Hydrant,
            "消火栓 A-2-01",
            "二楼西侧消防箱",
            "SN65 室内消火栓",
            2000,
            None,
            true,
        ),
        (
            "教学楼A",
            ItemKind::Exit,
            "安全出口 A-1-东",
            "一楼东门",
            "疏散指示标志",
            900,
            None,
            true,
        ),
        (
            "实验楼",
            ItemKind::Extinguisher,
            "灭火器 S-3-01",
            "三楼化学实验室门口",
            "MT/3 二氧化碳 3kg",
            1000,
            Some(20),
            true,
        ),
        (
            "实验楼",
            ItemKind::Alarm,
            "烟感报警器 S-3-01",
            "三楼危化品室",
            "JTY-GD 点型光电感烟",
            600,
            Some(1500),
            true,
        ),
        (
            "实验楼",
            ItemKind::EmergencyLight,
            "应急照明灯 S-1-01",
            "一楼大厅",
            "LED 应急照明 3W",
            400,
            Some(1400),
            false,
        ),
        (
            "学生宿舍",
            ItemKind::Extinguisher,
            "灭火器 D-2-01",
            "二楼楼梯间",
            "MFZ/ABC4 干粉 4kg",
            500,
            Some(1300),
            true,
        ),
        (
            "学生宿舍",
            ItemKind::Hydrant,
            "消火栓 D-1-01",
            "一楼值班室旁",
            "SN65 室内消火栓",
            2500,
            None,
            true,
        ),
        (
            "学生宿舍",
            ItemKind::EmergencyLight,
            "应急照明灯 D-3-01",
            "三楼走廊",
            "LED 应急照明 3W",
            300,
            Some(1600),
            true,
        ),
    ];
    for (b, kind_code, name, location, spec, installed, expires, checked) in items {
        let Some(building_id) = buildings.get(b).copied() else {
            continue;
        };
        let id = Uuid::now_v7();
        item::ActiveModel {
            id: Set(id),
            building_id: Set(building_id),
            kind: Set(kind_code),
            name: Set(name.into()),
            location: Set(location.into()),
            spec: Set(spec.into()),
            install_date: Set(Some(d(-installed))),
            expiry_date: Set(expires.map(d)),
            responsible: Set("保卫处 王建国".into()),
            responsible_user_id: Set(None),
            expired_hazard_id: Set(None),
            retired_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        if let (true, Some(g)) = (checked, &guard) {
            let k = fire::kind(kind_code);
            check::ActiveModel {
                id: Set(Uuid::now_v7()),
                item_id: Set(id),
                result: Set(CheckResult::Ok),
                pressure_mpa: Set(k.pressure.then_some(1.2)),
                test_passed: Set(k.test.then_some(true)),
                alarm_reached: Set(None),
                note: Set("演示数据".into()),
                photo_ids: Set("[]".into()),
                hazard_id: Set(None),
                checked_by: Set(g.id),
                checked_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
