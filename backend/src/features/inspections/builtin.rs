//! The built-in templates, present in every database (created at start-up when missing):
//! from the seed plan's 交通安全管理, 消防安全, 安全自查 and 安保巡查.

use super::model::{Frequency, TargetKind, TemplateCategory, TemplateItem, template};
use crate::auth::roles::Role;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, SqlErr,
};
use uuid::Uuid;

pub struct Builtin {
    pub code: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
    pub description: &'static str,
    pub category: TemplateCategory,
    pub target_kind: TargetKind,
    pub submitter: Role,
    pub frequency: Frequency,
    /// (key, 中文, English, weight, photo required when failed)
    pub items: &'static [(&'static str, &'static str, &'static str, u32, bool)],
}

pub const TRAFFIC: &str = "traffic_weekly";

pub const BUILTINS: &[Builtin] = &[
    Builtin {
        code: TRAFFIC,
        name: "交通安全检查",
        name_en: "Traffic safety check",
        description: "各班班主任每周检查本班交通安全;值周教师抽查。",
        category: TemplateCategory::Traffic,
        target_kind: TargetKind::Class,
        submitter: Role::ClassTeacher,
        frequency: Frequency::Weekly,
        items: &[
            (
                "t1",
                "本周已开展交通安全教育(班会或晨会)",
                "Traffic-safety education given this week (class meeting or morning talk)",
                2,
                false,
            ),
            (
                "t2",
                "无学生在校园内骑车",
                "No student rides a bicycle or e-bike on campus",
                3,
                true,
            ),
            (
                "t3",
                "学生自行车、电动车按规定停放",
                "Students' bicycles and e-bikes parked in the right place",
                2,
                true,
            ),
            (
                "t4",
                "上下学交通安全提醒已落实",
                "Reminders about the way to and from school given",
                2,
                false,
            ),
            (
                "t5",
                "无学生乘坐无证、超载等非法营运车辆",
                "No student rides unlicensed or overloaded vehicles",
                3,
                false,
            ),
            (
                "t6",
                "骑电动车的学生佩戴安全头盔",
                "Students riding e-bikes wear helmets",
                2,
                false,
            ),
        ],
    },
    Builtin {
        code: "fire_monthly",
        name: "消防设施检查",
        name_en: "Fire equipment check",
        description: "每月检查消防设施,确保消防安全。",
        category: TemplateCategory::Fire,
        target_kind: TargetKind::Location,
        submitter: Role::SecurityOffice,
        frequency: Frequency::Monthly,
        items: &[
            (
                "f1",
                "灭火器压力正常、在有效期内",
                "Extinguishers pressurised and within their service date",
                3,
                true,
            ),
            (
                "f2",
                "安全出口、疏散通道畅通无堵塞",
                "Exits and escape routes clear",
                3,
                true,
            ),
            (
                "f3",
                "应急照明灯、疏散指示标志完好有效",
                "Emergency lights and exit signs working",
                2,
                true,
            ),
            (
                "f4",
                "室内外消火栓完好、水压正常",
                "Indoor and outdoor hydrants intact, water pressure normal",
                2,
                true,
            ),
            (
                "f5",
                "火灾自动报警装置运行正常",
                "Automatic fire alarm system working",
                2,
                false,
            ),
            (
                "f6",
                "无私拉乱接电线、违规使用大功率电器",
                "No improvised wiring or banned high-power appliances",
                2,
                true,
            ),
        ],
    },
    Builtin {
        code: "self_inspection_monthly",
        name: "安全自查",
        name_en: "Safety self-inspection",
        description: "保卫处每月开展安全自查并做好相关上报。",
        category: TemplateCategory::SelfInspection,
        target_kind: TargetKind::Location,
        submitter: Role::SecurityOffice,
        frequency: Frequency::Monthly,
        items: &[
            (
                "s1",
                "门卫来人来访登记制度落实",
                "Visitor registration at the gate kept",
                2,
                false,
            ),
            (
                "s2",
                "监控设备运行正常、录像保存完整",
                "CCTV working and recordings kept",
                2,
                false,
            ),
            (
                "s3",
                "教学楼护栏、门窗等设施安全牢固",
                "Railings, doors and windows in teaching buildings safe",
                2,
                true,
            ),
            (
                "s4",
                "实训室(厨房、实验室)危险品管理规范",
                "Hazardous materials in training rooms (kitchens, labs) stored properly",
                3,
                true,
            ),
            (
                "s5",
                "食堂食品安全措施落实",
                "Canteen food-safety measures in place",
                3,
                false,
            ),
            (
                "s6",
                "安全教育及演练台账记录完整",
                "Safety-education and drill records complete",
                1,
                false,
            ),
        ],
    },
    Builtin {
        code: "patrol_daily",
        name: "安保巡查",
        name_en: "Security patrol",
        description: "保安每日巡查校园重点部位,做到及时发现、及时处置。",
        category: TemplateCategory::Patrol,
        target_kind: TargetKind::Location,
        submitter: Role::Guard,
        frequency: Frequency::Daily,
        items: &[
            (
                "p1",
                "校门及围墙完好,无可疑人员逗留",
                "Gates and fences intact, no suspicious persons",
                3,
                true,
            ),
            (
                "p2",
                "教学楼、实训楼门窗已关好上锁",
                "Doors and windows of teaching buildings locked",
                2,
                false,
            ),
            (
                "p3",
                "重点部位(财务室、机房、档案室)安全",
                "Key rooms (finance office, server room, archives) secure",
                3,
                false,
            ),
            (
                "p4",
                "消防通道无车辆占用",
                "Fire lanes free of parked vehicles",
                2,
                true,
            ),
            (
                "p5",
                "无漏水、电线裸露等水电异常",
                "No water leaks, exposed wires or other faults",
                2,
                true,
            ),
            (
                "p6",
                "报警装置、监控设备运行正常",
                "Alarms and cameras working",
                2,
                false,
            ),
        ],
    },
];

/// Creates each built-in template that does not exist yet (by code). Safe to run on every
/// start and from several replicas at once: a lost race is a unique violation, ignored.
pub async fn ensure(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    for b in BUILTINS {
        let exists = template::Entity::find()
            .filter(template::Column::Code.eq(b.code))
            .one(db)
            .await?
            .is_some();
        if exists {
            continue;
        }
        let items: Vec<TemplateItem> = b
            .items
            .iter()
            .map(|(key, text, en, weight, photo)| TemplateItem {
                key: (*key).into(),
                text: (*text).into(),
                text_en: Some((*en).into()),
                weight: *weight,
                photo_required_on_fail: *photo,
            })
            .collect();
        let res = template::ActiveModel {
            id: Set(Uuid::now_v7()),
            code: Set(b.code.into()),
            version: Set(1),
            is_current: Set(true),
            is_active: Set(true),
            is_builtin: Set(true),
            name: Set(b.name.into()),
            name_en: Set(Some(b.name_en.into())),
            description: Set(Some(b.description.into())),
            category: Set(b.category),
            target_kind: Set(b.target_kind),
            submitter_role: Set(b.submitter),
            frequency: Set(b.frequency),
            items: Set(serde_json::to_string(&items).map_err(|e| DbErr::Custom(e.to_string()))?),
            created_by: Set(None),
            created_at: Set(crate::infra::clock::now()),
        }
        .insert(db)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
