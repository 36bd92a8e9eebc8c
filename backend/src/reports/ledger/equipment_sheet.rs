//! The equipment registry in the ledger: one sheet for 消防器材 and one for 安防器材 (报警装置
//! included), each item with its checks of the range, one row per check; an item in service
//! with no check in the range still has a row, so a gap in the records shows.

use super::labels::{local, yes};
use crate::features::fire::model::{CheckResult, building, check, item};
use crate::features::fire::{EquipmentCategory, kind};
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, Sheet};
use crate::schema::users as user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

const HEADERS: &[&str] = &[
    "类型",
    "名称",
    "楼栋",
    "位置",
    "规格",
    "责任人",
    "检查周期",
    "有效期至",
    "检查时间",
    "结果",
    "压力(MPa)",
    "功能测试通过",
    "报警送达接收端",
    "检查人",
    "说明",
    "隐患",
];

fn opt_yes(b: Option<bool>) -> String {
    b.map(yes).unwrap_or_default()
}

pub(super) async fn equipment_sheets(
    db: &impl ConnectionTrait,
    r: &Range,
) -> AppResult<Vec<Sheet>> {
    let (start, end) = r.bounds_utc();
    let items = item::Entity::find()
        .filter(item::Column::CreatedAt.lt(end))
        .all(db)
        .await?;
    let mut checks: HashMap<Uuid, Vec<check::Model>> = HashMap::new();
    for c in check::Entity::find()
        .filter(check::Column::CheckedAt.gte(start))
        .filter(check::Column::CheckedAt.lt(end))
        .order_by_asc(check::Column::CheckedAt)
        .all(db)
        .await?
    {
        checks.entry(c.item_id).or_default().push(c);
    }
    let buildings: HashMap<Uuid, String> = building::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let people: Vec<Uuid> = checks
        .values()
        .flatten()
        .map(|c| c.checked_by)
        .chain(items.iter().filter_map(|i| i.responsible_user_id))
        .collect();
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(people))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut items: Vec<(String, item::Model)> = items
        .into_iter()
        .map(|i| {
            (
                buildings.get(&i.building_id).cloned().unwrap_or_default(),
                i,
            )
        })
        .collect();
    items.sort_by(|(ba, a), (bb, b)| ba.cmp(bb).then_with(|| a.name.cmp(&b.name)));
    let mut fire = Vec::new();
    let mut security = Vec::new();
    for (building_name, i) in items {
        let k = kind(i.kind);
        let its_checks = checks.remove(&i.id).unwrap_or_default();
        // A retired item without checks in the range is not part of this period's records.
        if its_checks.is_empty() && i.retired_at.is_some_and(|at| at < start) {
            continue;
        }
        let responsible = match i.responsible_user_id.and_then(|u| names.get(&u)) {
            Some(n) if i.responsible.is_empty() => n.clone(),
            Some(n) => format!("{n}({})", i.responsible),
            None => i.responsible.clone(),
        };
        let head = vec![
            k.name.to_owned(),
            i.name.clone(),
            building_name,
            i.location.clone(),
            i.spec.clone(),
            responsible,
            k.period.name().to_owned(),
            i.expiry_date.clone().unwrap_or_default(),
        ];
        let rows = if k.category == EquipmentCategory::Fire {
            &mut fire
        } else {
            &mut security
        };
        if its_checks.is_empty() {
            let mut row = head;
            row.push(String::new());
            row.push("本期无检查记录".to_owned());
            row.extend(std::iter::repeat_n(String::new(), HEADERS.len() - 10));
            rows.push(row);
            continue;
        }
        for c in its_checks {
            let mut row = head.clone();
            row.extend([
                local(c.checked_at, r.tz),
                match c.result {
                    CheckResult::Ok => "正常",
                    CheckResult::Failed => "不合格",
                }
                .to_owned(),
                c.pressure_mpa.map(|p| p.to_string()).unwrap_or_default(),
                opt_yes(c.test_passed),
                opt_yes(c.alarm_reached),
                names.get(&c.checked_by).cloned().unwrap_or_default(),
                c.note,
                if c.hazard_id.is_some() {
                    "已生成隐患"
                } else {
                    ""
                }
                .to_owned(),
            ]);
            rows.push(row);
        }
    }
    Ok(vec![
        Sheet {
            key: "fire_equipment",
            name: "消防器材",
            headers: HEADERS,
            rows: fire,
        },
        Sheet {
            key: "security_equipment",
            name: "安防器材",
            headers: HEADERS,
            rows: security,
        },
    ])
}
