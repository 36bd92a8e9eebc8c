//! Demo fire drill (消防疏散演练) with a completed head-count: five classes reported from the
//! assembly point within minutes (one by the office for a teacher who handed the count over
//! in person), one student first reported missing and found, one twisted ankle.

use super::Cast;
use crate::features::headcount::model::{
    Absence, AbsenceReason, ClassReportStatus, HeadcountKind, HeadcountStatus, ReportSource,
    class_row, record,
};
use crate::infra::error::BoxError;
use crate::schema::records::{ActivityKind, activity};
use crate::schema::students::student;
use chrono::{Datelike, Duration, Weekday};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

/// (class, teacher or office, seconds after the start, absent by roster index, injured, seconds
/// the class was first reported with index 17 missing, if it was).
type DemoClass = (
    &'static str,
    &'static str,
    i64,
    &'static [(usize, AbsenceReason)],
    &'static [usize],
    Option<i64>,
);

const CLASSES: &[DemoClass] = &[
    (
        "2019级旅游服务与管理1班",
        "teacher1",
        160,
        &[(5, AbsenceReason::AbsentToday)],
        &[12],
        None,
    ),
    (
        "2019级旅游服务与管理2班",
        "teacher2",
        195,
        &[
            (3, AbsenceReason::LeavePass),
            (21, AbsenceReason::AbsentToday),
        ],
        &[],
        None,
    ),
    ("2019级酒店服务与管理班", "teacher3", 230, &[], &[], None),
    // Reported at 4:05 with one student missing; found in the toilets at 6:30.
    (
        "2018级烹饪工艺与营养班",
        "teacher4",
        390,
        &[],
        &[],
        Some(245),
    ),
    // The teacher had no signal: the office entered the count handed over in person.
    ("2018级会计事务班", "office", 305, &[], &[], None),
];

pub async fn seed(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<(), BoxError> {
    let cast = Cast::load(db).await?;
    let office = cast.user("office")?;
    // The last school day before today, at 10:00.
    let mut day = crate::infra::clock::today(tz) - Duration::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day -= Duration::days(1);
    }
    let start = crate::infra::clock::start_of_day(day, tz) + Duration::hours(10);
    let mut class_ids = Vec::new();
    let mut present_total = 0;
    let mut rows = Vec::new();
    for (name, by, secs, absent, injured, missing_at) in CLASSES {
        let class = cast.class(name)?;
        class_ids.push(class.id);
        let roster: Vec<Uuid> = student::Entity::find()
            .filter(student::Column::ClassId.eq(class.id))
            .filter(student::Column::IsActive.eq(true))
            .order_by_asc(student::Column::StudentNo)
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        let pick = |i: usize| roster.get(i).copied().ok_or("demo roster too small");
        let absent: Vec<Absence> = absent
            .iter()
            .map(|(i, reason)| {
                Ok::<_, &str>(Absence {
                    student_id: pick(*i)?,
                    reason: *reason,
                })
            })
            .collect::<Result<_, _>>()?;
        let injured: Vec<Uuid> = injured.iter().map(|i| pick(*i)).collect::<Result<_, _>>()?;
        let present = roster.len() as i32 - absent.len() as i32;
        present_total += present;
        let at = start + Duration::seconds(*secs);
        let reporter = cast.user(by)?;
        rows.push(class_row::ActiveModel {
            id: Set(Uuid::now_v7()),
            headcount_id: Set(Uuid::nil()),
            class_id: Set(class.id),
            class_name: Set(class.name.clone()),
            expected: Set(roster.len() as i32),
            status: Set(ClassReportStatus::Reported),
            present: Set(present),
            absent: Set(serde_json::to_string(&absent)?),
            injured: Set(serde_json::to_string(&injured)?),
            // A class first reported with someone missing was reported twice.
            version: Set(if missing_at.is_some() { 2 } else { 1 }),
            reported_at: Set(Some(at)),
            reported_by: Set(Some(reporter.id)),
            source: Set(Some(if *by == "office" {
                ReportSource::Office
            } else {
                ReportSource::Teacher
            })),
            accounted_at: Set(Some(at)),
            updated_at: Set(at),
        });
    }
    let a = activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(ActivityKind::Drill),
        topic: Set("消防疏散演练".into()),
        date: Set(crate::infra::clock::fmt_date(day)),
        organiser: Set("保卫处".into()),
        class_ids: Set(serde_json::to_string(&class_ids)?),
        participant_count: Set(present_total),
        summary: Set(
            "10:00 教学楼A三楼模拟起火,警铃响后各班按疏散路线撤离至田径场集合,\
             班主任在集合点清点人数并用手机上报;6分30秒全部清点完毕,一名学生扭伤脚踝,校医现场处理。"
                .into(),
        ),
        photos: Set("[]".into()),
        plan_item_id: Set(None),
        created_by: Set(Some(office.id)),
        created_at: Set(start),
        updated_at: Set(start + Duration::minutes(30)),
    }
    .insert(db)
    .await?;
    let hc = record::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(HeadcountKind::Drill),
        title: Set("消防疏散演练".into()),
        activity_id: Set(Some(a.id)),
        status: Set(HeadcountStatus::Closed),
        started_at: Set(start),
        started_by: Set(office.id),
        closed_at: Set(Some(start + Duration::seconds(540))),
        closed_by: Set(Some(office.id)),
        note: Set("三楼东侧楼梯口拥堵约 1 分钟,下次演练前增设引导员;烹饪班一名学生未随班撤离,已进行个别教育。".into()),
    }
    .insert(db)
    .await?;
    for mut r in rows {
        r.headcount_id = Set(hc.id);
        r.insert(db).await?;
    }
    Ok(())
}
