//! Demo checks for this week: three classes submitted their traffic check (one with a failed
//! item, which raised a hazard), two have not (teacher1's class among them, so the main demo
//! teacher has a check due), and the office's spot-check of class 2 disagrees with the class's
//! own check; this month's fire check of 教学楼A found a broken emergency light.

use crate::auth::extract::CurrentUser;
use crate::features::classes;
use crate::features::inspections::{
    self as inspections, AnswerRecord, Frequency, ItemResult, NewSubmission, Period,
    SubmissionKind, Target, TargetKind, TemplateItem, model::template,
};
use crate::infra::error::{ApiError, BoxError};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// An API error as the demo loader's error.
fn demo_err(e: ApiError) -> BoxError {
    e.to_string().into()
}

/// The demo school's inspection records: the built-in templates, and this week's checks (dates
/// in the configured zone `tz`).
pub async fn seed(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<(), BoxError> {
    inspections::ensure_builtin_templates(db).await?;
    let today = crate::infra::clock::today(tz);
    let users: HashMap<String, crate::schema::users::Model> = crate::schema::users::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    let as_user = |name: &str| -> Option<CurrentUser> {
        let u = users.get(name)?;
        Some(CurrentUser {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            session_id: Uuid::nil(),
        })
    };
    let current = |code: &str| {
        template::Entity::find()
            .filter(template::Column::Code.eq(code.to_owned()))
            .filter(template::Column::IsCurrent.eq(true))
            .one(db)
    };
    let Some(traffic) = current(inspections::TRAFFIC).await? else {
        return Ok(());
    };
    let items: Vec<TemplateItem> = inspections::items_of(&traffic).map_err(demo_err)?;
    let week = Period::containing(Frequency::Weekly, today);
    let answers = |fails: &[(&str, &str)]| -> Vec<AnswerRecord> {
        items
            .iter()
            .map(|it| {
                let fail = fails.iter().find(|(k, _)| *k == it.key);
                AnswerRecord {
                    item_key: it.key.clone(),
                    result: if fail.is_some() {
                        ItemResult::Fail
                    } else {
                        ItemResult::Pass
                    },
                    note: fail.map(|(_, n)| (*n).to_owned()),
                    attachment_ids: Vec::new(),
                }
            })
            .collect()
    };
    let mut spot_target = None;
    for (teacher, fails) in [
        (
            "teacher2",
            vec![("t3", "车棚东侧电动车停放杂乱,已提醒学生")],
        ),
        ("teacher3", vec![]),
        ("teacher4", vec![]),
    ] {
        let Some(user) = as_user(teacher) else {
            continue;
        };
        let own = crate::features::users::own_class_ids(db, user.id, user.role)
            .await
            .map_err(demo_err)?;
        let Some(cid) = own.first() else { continue };
        let c = classes::find(db, *cid).await.map_err(demo_err)?;
        let target = Target {
            kind: TargetKind::Class,
            class_id: Some(c.id),
            class_name: Some(c.name),
            location: None,
            key: format!("class:{}", c.id),
        };
        inspections::insert_submission(
            db,
            &tz,
            &user,
            NewSubmission {
                tpl: &traffic,
                items: &items,
                target: &target,
                period: &week,
                kind: SubmissionKind::OwnCheck,
                answers: answers(&fails),
                note: None,
                previous: None,
            },
        )
        .await
        .map_err(demo_err)?;
        if teacher == "teacher2" {
            spot_target = Some(target);
        }
    }
    if let (Some(office), Some(target)) = (as_user("office"), spot_target) {
        inspections::insert_submission(
            db,
            &tz,
            &office,
            NewSubmission {
                tpl: &traffic,
                items: &items,
                target: &target,
                period: &week,
                kind: SubmissionKind::SpotCheck,
                answers: answers(&[("t2", "午休时两名学生在操场骑电动车")]),
                note: Some("值周抽查".into()),
                previous: None,
            },
        )
        .await
        .map_err(demo_err)?;
    }
    if let (Some(office), Some(fire)) = (as_user("office"), current("fire_monthly").await?) {
        let fire_items: Vec<TemplateItem> = inspections::items_of(&fire).map_err(demo_err)?;
        let fire_answers = fire_items
            .iter()
            .map(|it| AnswerRecord {
                item_key: it.key.clone(),
                result: if it.key == "f3" {
                    ItemResult::Fail
                } else {
                    ItemResult::Pass
                },
                note: (it.key == "f3").then(|| "二楼东侧应急照明灯不亮".to_owned()),
                attachment_ids: Vec::new(),
            })
            .collect();
        let target = Target {
            kind: TargetKind::Location,
            class_id: None,
            class_name: None,
            location: Some("教学楼A".into()),
            key: "location:教学楼A".into(),
        };
        inspections::insert_submission(
            db,
            &tz,
            &office,
            NewSubmission {
                tpl: &fire,
                items: &fire_items,
                target: &target,
                period: &Period::containing(Frequency::Monthly, today),
                kind: SubmissionKind::OwnCheck,
                answers: fire_answers,
                note: None,
                previous: None,
            },
        )
        .await
        .map_err(demo_err)?;
    }
    Ok(())
}
