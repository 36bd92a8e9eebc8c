//! Demo records from the seed plan (2019~2020学年第二学期保卫处工作计划): the plan with every
//! April–July item and every note (备注), the 清明, 劳动节, 端午 and 暑假 rosters, and the
//! meetings, activities, health reports and announcements that carried the plan out.

use crate::auth::roles::Role;
use crate::features::duty::{NewRoster, NewShift, insert_roster, insert_shift};
use crate::features::plans::{link_evidence, parse_date};
use crate::infra::error::BoxError;
use crate::schema::duty::{Post, RosterStatus, roster};
use crate::schema::plans::{ItemCategory, ItemStatus, PlanStatus, item, plan};
use crate::schema::records::{activity, announcement, health, meeting};
use crate::schema::users as user;
use chrono::{Datelike, NaiveTime, TimeZone};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use std::collections::HashMap;
use uuid::Uuid;

/// A closed-set value from the tables below (a typo there fails the seeding, loudly).
fn closed<E: sea_orm::ActiveEnum<Value = String>>(s: &str) -> Result<E, BoxError> {
    E::try_from_value(&s.to_owned()).map_err(|e| e.to_string().into())
}

use super::seed_plan::{GOALS, GUIDING_IDEOLOGY, ITEMS, MEASURES, PREAMBLE, SEMESTER, TITLE};

/// (title, start, end, the item it fulfils). The summer dates are not in the seed: they are the
/// school's usual summer holiday.
const ROSTERS: &[(&str, &str, &str, &str)] = &[
    (
        "清明节值班表",
        "2020-04-04",
        "2020-04-06",
        "清明节假日值班安排及上报, 山林防火宣传(清明)",
    ),
    (
        "劳动节值班表",
        "2020-05-01",
        "2020-05-05",
        "劳动节假日值班安排及上报",
    ),
    (
        "端午节值班表",
        "2020-06-25",
        "2020-06-27",
        "端午节假日值班安排及上报",
    ),
    ("暑假值班表", "2020-07-11", "2020-08-31", "暑假值班表"),
];

/// (date, kind, topic, participants, summary, the item it fulfils).
const ACTIVITIES: &[(&str, &str, &str, i32, &str, &str)] = &[
    (
        "2020-04-15",
        "education",
        "国家安全教育专题活动",
        1200,
        "4·15全民国家安全教育日,各班利用班会课学习《国家安全法》,观看国家安全教育专题片。",
        "国家安全教育专题活动",
    ),
    (
        "2020-04-16",
        "drill",
        "疫情防控开学演练活动",
        160,
        "模拟学生返校:测温通道、异常体温复测、临时隔离点转运、教室消毒通风全流程演练。",
        "疫情防控开学演练活动, 《疫情下的学校安全专题教育》(安全平台)",
    ),
    (
        "2020-04-20",
        "education",
        "《疫情下的学校安全专题教育》(安全平台)",
        1180,
        "各班通过安全教育平台完成专题学习,班主任督促完成率。",
        "疫情防控开学演练活动, 《疫情下的学校安全专题教育》(安全平台)",
    ),
    (
        "2020-04-24",
        "education",
        "《第25个全国中小学生安全教育日》主题教育",
        1150,
        "围绕“强化安全意识,提升安全素养”开展主题班会和安全知识竞答。",
        "《第25个全国中小学生安全教育日》",
    ),
    (
        "2020-05-12",
        "education",
        "防震减灾教育专题活动",
        1200,
        "5·12防灾减灾日,开展防震知识讲座,并进行紧急疏散演示。",
        "防震减灾教育专题活动",
    ),
    (
        "2020-06-19",
        "education",
        "毒品预防教育专题活动",
        1190,
        "邀请派出所民警讲授毒品预防知识,参观禁毒展板。",
        "毒品预防教育专题活动",
    ),
    (
        "2020-07-08",
        "education",
        "暑期防溺水安全专题活动",
        1210,
        "放假前开展防溺水“六不”教育,发放《致家长的一封信》并回收回执。",
        "暑期防溺水安全专题活动",
    ),
];

/// (date, kind, title, minutes, month of the item).
const MEETINGS: &[(&str, &str, &str, &str)] = &[
    (
        "2020-04-13",
        "guard_meeting",
        "4月保安例会",
        "开学返校期间门卫测温、来访登记、车辆疏导分工。",
    ),
    (
        "2020-04-14",
        "safety_officer_meeting",
        "4月学生安全员例会",
        "布置各班安全员协助晨检测温、上报班级安全隐患。",
    ),
    (
        "2020-05-11",
        "guard_meeting",
        "5月保安例会",
        "总结劳动节值班情况,强调夜间巡查记录。",
    ),
    (
        "2020-05-12",
        "safety_officer_meeting",
        "5月学生安全员例会",
        "防震减灾疏散演示中安全员的引导职责。",
    ),
    (
        "2020-06-08",
        "guard_meeting",
        "6月保安例会",
        "端午节值班安排,汛期校园巡查重点部位。",
    ),
    (
        "2020-06-09",
        "safety_officer_meeting",
        "6月学生安全员例会",
        "毒品预防教育宣传,期末安全检查协助。",
    ),
    (
        "2020-07-06",
        "guard_meeting",
        "7月保安例会",
        "期末家长车辆疏导方案,暑假值班交接。",
    ),
    (
        "2020-07-07",
        "safety_officer_meeting",
        "7月学生安全员例会",
        "暑期防溺水宣传,学期安全员工作总结。",
    ),
];

pub async fn seed_demo(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<(), BoxError> {
    let users = user::Entity::find().all(db).await?;
    let by_name: HashMap<String, user::Model> = users
        .iter()
        .map(|u| (u.username.clone(), u.clone()))
        .collect();
    let (Some(principal), Some(office), Some(guard1)) = (
        by_name.get("principal"),
        by_name.get("office"),
        by_name.get("guard1"),
    ) else {
        return Err("demo users missing".into());
    };
    let now = crate::infra::clock::now();
    // A second guard, so the guards can rotate day and night.
    let guard2 = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set("guard2".into()),
        display_name: Set("钱永康".into()),
        role: Set(Role::Guard),
        phone: Set(Some("13906130022".into())),
        password_hash: Set(guard1.password_hash.clone()),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let teachers: Vec<Uuid> = (1..=5)
        .filter_map(|i| by_name.get(&format!("teacher{i}")).map(|u| u.id))
        .collect();

    let at = |date: &str, hm: (u32, u32)| {
        parse_date(date)
            .and_then(|d| d.and_hms_opt(hm.0, hm.1, 0))
            .and_then(|dt| tz.from_local_datetime(&dt).earliest())
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or(now)
    };

    let p = plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(TITLE.into()),
        semester: Set(SEMESTER.into()),
        // Linked when the demo defines the semester (semesters::seed_demo).
        semester_id: Set(None),
        starts_on: Set("2020-02-17".into()),
        ends_on: Set("2020-08-31".into()),
        guiding_ideology: Set(format!("{PREAMBLE}\n\n{GUIDING_IDEOLOGY}")),
        goals_and_priorities: Set(GOALS.into()),
        measures: Set(MEASURES.into()),
        status: Set(PlanStatus::Approved),
        return_comment: Set(None),
        submitted_at: Set(Some(at("2020-03-26", (10, 0)))),
        decided_at: Set(Some(at("2020-03-27", (9, 0)))),
        decided_by: Set(Some(principal.id)),
        created_by: Set(office.id),
        created_at: Set(at("2020-03-26", (9, 0))),
        updated_at: Set(at("2020-03-27", (9, 0))),
    }
    .insert(db)
    .await?;

    let mut items: HashMap<(String, String), Uuid> = HashMap::new();
    let mut seq: HashMap<&str, i32> = HashMap::new();
    for (month, title, category, due, report_to, notify, note) in ITEMS {
        let n = seq.entry(month).or_insert(0);
        *n += 1;
        let it = item::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(p.id),
            month: Set((*month).into()),
            seq: Set(*n),
            title: Set((*title).into()),
            category: Set(closed(category)?),
            owner_id: Set(Some(office.id)),
            due_date: Set(due.map(Into::into)),
            report_to: Set(report_to.map(Into::into)),
            notify: Set(notify.map(Into::into)),
            note: Set(note.map(Into::into)),
            status: Set(ItemStatus::Done),
            created_at: Set(at("2020-03-26", (9, 0))),
            updated_at: Set(at("2020-03-26", (9, 0))),
            duty_roster_id: Set(None),
        }
        .insert(db)
        .await?;
        items.insert(((*month).into(), (*title).into()), it.id);
    }
    let item_for = |title: &str| {
        items
            .iter()
            .find(|((_, t), _)| t == title)
            .map(|(_, id)| *id)
    };
    let item_in =
        |month: &str, title: &str| items.get(&(month.to_owned(), title.to_owned())).copied();

    // Rosters: one leader on call a day (the principal and the office in turn), a duty teacher
    // by day, and the two guards alternating day and night.
    let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or_default();
    for (title, start, end, item_title) in ROSTERS {
        let r = insert_roster(
            db,
            NewRoster {
                title,
                start,
                end,
                report_to: Some("校办".into()),
                notify: Some("教师群".into()),
                note: None,
                by: Some(office.id),
            },
        )
        .await?;
        let (Some(mut day), Some(last)) = (parse_date(start), parse_date(end)) else {
            continue;
        };
        let mut d = 0usize;
        while day <= last {
            let shift = |start: &str, end: &str, post: Post, user_id: Uuid| NewShift {
                roster_id: r.id,
                date: day,
                start: t(start),
                end: t(end),
                post,
                user_id,
                note: None,
                place: None,
            };
            let mut day_shifts = vec![shift(
                "08:00",
                "08:00",
                Post::LeaderOnCall,
                [principal.id, office.id][d % 2],
            )];
            if !teachers.is_empty() {
                day_shifts.push(shift(
                    "08:00",
                    "17:00",
                    Post::DutyTeacher,
                    teachers[d % teachers.len()],
                ));
            }
            day_shifts.push(shift(
                "08:00",
                "20:00",
                Post::Guard,
                [guard1.id, guard2.id][d % 2],
            ));
            day_shifts.push(shift(
                "20:00",
                "08:00",
                Post::Guard,
                [guard2.id, guard1.id][d % 2],
            ));
            for s in day_shifts {
                insert_shift(db, tz, s).await.map_err(|e| e.to_string())?;
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
            d += 1;
        }
        let day_before = parse_date(start)
            .and_then(|d| d.pred_opt())
            .map(crate::features::plans::fmt_date)
            .unwrap_or_default();
        let mut a: roster::ActiveModel = r.clone().into();
        a.status = Set(RosterStatus::Published);
        a.published_at = Set(Some(at(&day_before, (9, 0))));
        a.reported_at = Set(Some(at(&day_before, (10, 0))));
        a.reported_by = Set(r.created_by);
        a.notified_at = Set(Some(at(&day_before, (10, 30))));
        a.notified_by = Set(r.created_by);
        a.created_at = Set(at(&day_before, (8, 0)));
        a.updated_at = Set(at(&day_before, (10, 0)));
        a.update(db).await?;
        let it = item_for(item_title);
        if let Some(it) = it {
            link_evidence(
                db,
                it,
                "duty_roster",
                r.id,
                Some("值班表".into()),
                Some(office.id),
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        // 通报:教师群 — the roster announced to staff.
        let leaders = format!(
            "值班领导:{} {}、{} {}",
            principal.display_name,
            principal.phone.clone().unwrap_or_default(),
            office.display_name,
            office.phone.clone().unwrap_or_default()
        );
        let ann = announcement::ActiveModel {
            id: Set(Uuid::now_v7()),
            title: Set(format!("{title}({}—{})", month_day(start), month_day(end))),
            body: Set(format!("{title}已报送校办。值班期间请保持通讯畅通,紧急情况领导到位、组织到位、措施到位。\n{leaders}")),
            target_roles: Set("class_teacher guard principal security_office".into()),
            plan_item_id: Set(it),
            created_by: Set(Some(office.id)),
            created_at: Set(at(&day_before, (10, 30))),
        }
        .insert(db)
        .await?;
        if let Some(it) = it {
            link_evidence(
                db,
                it,
                "announcement",
                ann.id,
                Some("通报:教师群".into()),
                Some(office.id),
            )
            .await
            .map_err(|e| e.to_string())?;
        }
    }

    for (date, kind, topic, count, summary, item_title) in ACTIVITIES {
        let it = item_for(item_title);
        let a = activity::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(
                crate::schema::records::ActivityKind::parse(kind).ok_or("unknown activity kind")?
            ),
            topic: Set((*topic).into()),
            date: Set((*date).into()),
            organiser: Set("保卫处".into()),
            class_ids: Set("[]".into()),
            participant_count: Set(*count),
            summary: Set((*summary).into()),
            photos: Set("[]".into()),
            plan_item_id: Set(it),
            created_by: Set(Some(office.id)),
            created_at: Set(at(date, (17, 0))),
            updated_at: Set(at(date, (17, 0))),
        }
        .insert(db)
        .await?;
        if let Some(it) = it {
            link_evidence(db, it, "activity", a.id, None, Some(office.id))
                .await
                .map_err(|e| e.to_string())?;
        }
    }

    for (date, kind, title, minutes) in MEETINGS {
        let month = &date[..7];
        let attendees = if *kind == "guard_meeting" {
            vec![
                office.display_name.clone(),
                guard1.display_name.clone(),
                guard2.display_name.clone(),
            ]
        } else {
            vec![office.display_name.clone(), "各班学生安全员".to_owned()]
        };
        let it = if month == "2020-04" {
            item_in(month, "保安例会,学生安全员例会")
        } else if *kind == "guard_meeting" {
            item_in(month, "保安例会")
        } else {
            item_in(month, "学生安全员例会")
        };
        let m = meeting::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(
                crate::schema::records::MeetingKind::parse(kind).ok_or("unknown meeting kind")?
            ),
            title: Set((*title).into()),
            date: Set((*date).into()),
            attendees: Set(serde_json::to_string(&attendees)?),
            minutes: Set((*minutes).into()),
            decisions: Set("按会议分工落实,保卫处督查。".into()),
            plan_item_id: Set(it),
            created_by: Set(Some(office.id)),
            created_at: Set(at(date, (16, 0))),
            updated_at: Set(at(date, (16, 0))),
        }
        .insert(db)
        .await?;
        if let Some(it) = it {
            link_evidence(db, it, "meeting", m.id, None, Some(office.id))
                .await
                .map_err(|e| e.to_string())?;
        }
    }

    // 疫情防控期间,保安体温检测日报 (报送:校医): the first week of April; one reading over
    // 37.3 ℃ was flagged and passed to the school doctor.
    for day in 1..=7u32 {
        let date = format!("2020-04-{day:02}");
        for (g, base) in [(guard1, 36.4), (&guard2, 36.6)] {
            let temp: f64 = if day == 3 && g.id == guard2.id {
                37.4
            } else {
                base + f64::from(day % 3) * 0.1
            };
            let abnormal = crate::features::records::is_abnormal(temp, true);
            health::ActiveModel {
                id: Set(Uuid::now_v7()),
                guard_id: Set(g.id),
                date: Set(date.clone()),
                temperature: Set((temp * 10.0).round() / 10.0),
                fit_for_duty: Set(true),
                symptoms: Set(abnormal.then(|| "复测 36.9 ℃,无其他症状".to_owned())),
                abnormal: Set(abnormal),
                acknowledged_at: Set(abnormal.then(|| at(&date, (8, 30)))),
                acknowledged_by: Set(abnormal.then_some(office.id)),
                acknowledge_note: Set(None),
                created_at: Set(at(&date, (7, 40))),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// The current semester's plan (approved), with this month's and next month's work, so that a
/// new user's plan, ledger and to-do lists are about now, not only about 2020.
pub async fn seed_current(
    db: &impl ConnectionTrait,
    s: &crate::features::semesters::Semester,
    today: chrono::NaiveDate,
) -> Result<(), BoxError> {
    use chrono::{Datelike, Months};
    let users = user::Entity::find().all(db).await?;
    let by_name = |n: &str| users.iter().find(|u| u.username == n).map(|u| u.id);
    let (Some(principal), Some(office), Some(guard1)) =
        (by_name("principal"), by_name("office"), by_name("guard1"))
    else {
        return Err("demo users missing".into());
    };
    let now = crate::infra::clock::now();
    let p = plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(format!("{}保卫处工作计划", s.name)),
        semester: Set(s.code.clone()),
        semester_id: Set(Some(s.id)),
        starts_on: Set(s.starts_on.clone()),
        ends_on: Set(s.ends_on.clone()),
        guiding_ideology: Set(GUIDING_IDEOLOGY.into()),
        goals_and_priorities: Set(GOALS.into()),
        measures: Set(MEASURES.into()),
        status: Set(PlanStatus::Approved),
        return_comment: Set(None),
        submitted_at: Set(Some(now - chrono::Duration::days(7))),
        decided_at: Set(Some(now - chrono::Duration::days(6))),
        decided_by: Set(Some(principal)),
        created_by: Set(office),
        created_at: Set(now - chrono::Duration::days(7)),
        updated_at: Set(now - chrono::Duration::days(6)),
    }
    .insert(db)
    .await?;
    let month_start = today.with_day(1).unwrap_or(today);
    let next = month_start
        .checked_add_months(Months::new(1))
        .unwrap_or(month_start);
    let last_of = |m: chrono::NaiveDate| {
        m.checked_add_months(Months::new(1))
            .and_then(|n| n.pred_opt())
            .unwrap_or(m)
    };
    let ym = |d: chrono::NaiveDate| d.format("%Y-%m").to_string();
    let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    // (month, title, category, owner, due, status)
    let rows = [
        (
            month_start,
            "本月安全自查与隐患整改",
            "inspection",
            office,
            last_of(month_start),
            "doing",
        ),
        (
            month_start,
            "保安例会:门卫来访登记与重点人员处置",
            "meeting",
            office,
            today,
            "done",
        ),
        (
            month_start,
            "消防设施月检",
            "inspection",
            guard1,
            last_of(month_start),
            "todo",
        ),
        (
            month_start,
            "学生安全员例会",
            "meeting",
            office,
            last_of(month_start),
            "todo",
        ),
        (
            next,
            "寒假(假期)前安全教育与值班安排",
            "education",
            office,
            last_of(next),
            "todo",
        ),
        (next, "应急疏散演练", "drill", office, last_of(next), "todo"),
    ];
    let mut seq: HashMap<String, i32> = HashMap::new();
    for (month, title, category, owner, due, status) in rows {
        let n = seq.entry(ym(month)).or_insert(0);
        *n += 1;
        item::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(p.id),
            month: Set(ym(month)),
            seq: Set(*n),
            title: Set(title.into()),
            category: Set(closed::<ItemCategory>(category)?),
            owner_id: Set(Some(owner)),
            due_date: Set(Some(ymd(due))),
            report_to: Set(None),
            notify: Set(None),
            note: Set(None),
            status: Set(closed::<ItemStatus>(status)?),
            created_at: Set(now),
            updated_at: Set(now),
            duty_roster_id: Set(None),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// `2020-04-04` as a notice writes it: `4月4日`.
fn month_day(date: &str) -> String {
    parse_date(date).map_or_else(
        || date.to_owned(),
        |d| format!("{}月{}日", d.month(), d.day()),
    )
}
