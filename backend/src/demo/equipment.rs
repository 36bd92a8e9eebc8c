//! Demo security equipment (安防器材 and 报警装置) in the registry: the 门卫室's alarm button
//! tested monthly with the alarm reaching the police platform, radios, riot gear, the gate
//! camera and access control, each with recent checks; the dormitory's alarm button is overdue
//! for its monthly test.

use crate::features::fire::{
    self,
    model::{CheckResult, ItemKind, building, check, item},
};
use crate::infra::error::BoxError;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// (building, kind, name, location, spec, responsible account, checks: days ago, note)
type DemoItem = (
    &'static str,
    ItemKind,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [i64],
    &'static str,
);

const GATE: &str = "校门及门卫室";

const ITEMS: &[DemoItem] = &[
    (
        GATE,
        ItemKind::AlarmButton,
        "一键报警按钮 门卫室",
        "门卫室值班台下",
        "110 联网紧急报警按钮",
        "guard1",
        &[60, 30, 0],
        "按下后联网报警平台回电确认,报警已送达",
    ),
    (
        "学生宿舍",
        ItemKind::AlarmButton,
        "一键报警按钮 宿舍值班室",
        "一楼值班室",
        "联网紧急报警按钮(接门卫室)",
        "guard1",
        &[40],
        "门卫室报警主机响铃,报警已送达",
    ),
    (
        GATE,
        ItemKind::Radio,
        "对讲机 01",
        "门卫室充电座",
        "摩托罗拉 数字对讲机",
        "guard1",
        &[7, 0],
        "电量充足,与巡逻岗通话清晰",
    ),
    (
        GATE,
        ItemKind::Radio,
        "对讲机 02",
        "巡逻岗随身",
        "摩托罗拉 数字对讲机",
        "guard1",
        &[0],
        "通话清晰,备用电池已充满",
    ),
    (
        GATE,
        ItemKind::RiotGear,
        "防暴钢叉 2 把",
        "门卫室器材架",
        "不锈钢 U 型钢叉",
        "guard1",
        &[0],
        "数量齐全,无锈蚀",
    ),
    (
        GATE,
        ItemKind::RiotGear,
        "防暴盾牌 2 面",
        "门卫室器材架",
        "PC 防暴盾牌",
        "guard1",
        &[0],
        "数量齐全,无破损",
    ),
    (
        GATE,
        ItemKind::RiotGear,
        "防刺背心 2 件",
        "门卫室衣柜",
        "软质防刺服",
        "guard1",
        &[0],
        "数量齐全",
    ),
    (
        GATE,
        ItemKind::Camera,
        "校门监控 南大门",
        "南大门岗亭上方",
        "400 万像素 红外枪机",
        "office",
        &[0],
        "画面清晰,录像可回放 30 天",
    ),
    (
        GATE,
        ItemKind::AccessControl,
        "校门人行门禁",
        "南大门人行通道",
        "刷卡 + 人脸识别门禁",
        "office",
        &[0],
        "刷卡、人脸开门正常",
    ),
];

pub async fn seed(db: &impl ConnectionTrait, cast: &super::Cast) -> Result<(), BoxError> {
    let now = crate::infra::clock::now();
    let guard = cast.user("guard1")?;
    let gate_id = Uuid::now_v7();
    building::ActiveModel {
        id: Set(gate_id),
        name: Set(GATE.into()),
        note: Set("南大门,门卫室 24 小时值班".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let dorm = building::Entity::find()
        .filter(building::Column::Name.eq("学生宿舍"))
        .one(db)
        .await?
        .map(|b| b.id);
    for &(b, kind_code, name, location, spec, responsible, checks, note) in ITEMS {
        let building_id = if b == GATE { Some(gate_id) } else { dorm };
        let Some(building_id) = building_id else {
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
            install_date: Set(None),
            expiry_date: Set(None),
            responsible: Set(String::new()),
            responsible_user_id: Set(Some(cast.user(responsible)?.id)),
            expired_hazard_id: Set(None),
            retired_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        let k = fire::kind(kind_code);
        for &days in checks {
            check::ActiveModel {
                id: Set(Uuid::now_v7()),
                item_id: Set(id),
                result: Set(CheckResult::Ok),
                pressure_mpa: Set(None),
                test_passed: Set(k.test.then_some(true)),
                alarm_reached: Set(k.alarm.then_some(true)),
                note: Set(note.into()),
                photo_ids: Set("[]".into()),
                hazard_id: Set(None),
                checked_by: Set(guard.id),
                checked_at: Set(now - chrono::Duration::days(days)),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
