//! Demo 车辆疏导 and holiday duty: the current plan's 期末家长车辆疏导 item linked to a roster of
//! the traffic posts (校门口东侧, 校门口西侧, 停车场入口) for the last school days of the term,
//! and a published roster for the next holiday (元旦 …) that the public page shows, so a new
//! demo shows duty contacts that are about now, not about 2020.

use super::Cast;
use crate::features::duty::{NewRoster, NewShift, insert_roster, insert_shift};
use crate::features::semesters::Semester;
use crate::infra::clock::{fmt_date, parse_date};
use crate::infra::error::BoxError;
use crate::schema::duty::{Post, RosterStatus, roster};
use crate::schema::plans::{ItemCategory, ItemStatus, item, plan};
use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// The last two school days of the term whose record ends on `ends_on`: the record runs to the
/// end of the holiday after it, so the last teaching day is the weekday on or before 22 January
/// (first term) or 10 July (second term, as the seed plan's 期末家长车辆疏导 on 7月10日).
pub fn term_end_days(ends_on: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let (m, d) = if ends_on.month() <= 3 {
        (1, 22)
    } else {
        (7, 10)
    };
    let mut last = NaiveDate::from_ymd_opt(ends_on.year(), m, d)?;
    let weekday = |x: NaiveDate| !matches!(x.weekday(), Weekday::Sat | Weekday::Sun);
    while !weekday(last) {
        last = last.pred_opt()?;
    }
    let mut first = last.pred_opt()?;
    while !weekday(first) {
        first = first.pred_opt()?;
    }
    Some((first, last))
}

/// The next fixed-date holiday that has not ended by `today`: 元旦 (1–3 January), 劳动节 (1–5
/// May) or 国庆节 (1–7 October). Lunar holidays move every year and are left to the office.
pub fn next_holiday(today: NaiveDate) -> Option<(String, NaiveDate, NaiveDate)> {
    let y = today.year();
    let mut options = Vec::new();
    for year in [y, y + 1] {
        for (name, m, from, to) in [("元旦", 1, 1, 3), ("劳动节", 5, 1, 5), ("国庆节", 10, 1, 7)]
        {
            let start = NaiveDate::from_ymd_opt(year, m, from)?;
            let end = NaiveDate::from_ymd_opt(year, m, to)?;
            if end >= today {
                options.push((format!("{year}年{name}值班表"), start, end));
            }
        }
    }
    options.into_iter().min_by_key(|(_, s, _)| *s)
}

fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap_or_default()
}

/// Marks a demo roster published, reported (报送 校办) and announced (通报), as the office does.
async fn publish(db: &impl ConnectionTrait, r: roster::Model) -> Result<(), BoxError> {
    let now = crate::infra::clock::now();
    let mut a: roster::ActiveModel = r.clone().into();
    a.status = Set(RosterStatus::Published);
    a.published_at = Set(Some(now));
    a.reported_at = Set(Some(now));
    a.reported_by = Set(r.created_by);
    a.notified_at = Set(Some(now));
    a.notified_by = Set(r.created_by);
    a.update(db).await?;
    Ok(())
}

/// The next holiday's roster, published; returns its id for the public page.
pub async fn seed_holiday(
    db: &impl ConnectionTrait,
    cast: &Cast,
    tz: chrono_tz::Tz,
) -> Result<Uuid, BoxError> {
    let (principal, office) = (cast.user("principal")?.id, cast.user("office")?.id);
    let guards = [cast.user("guard1")?.id, cast.user("guard2")?.id];
    let teachers: Vec<Uuid> = (1..=5)
        .map(|i| cast.user(&format!("teacher{i}")).map(|u| u.id))
        .collect::<Result<_, _>>()?;
    let (title, start, end) =
        next_holiday(crate::infra::clock::today(tz)).ok_or("no holiday ahead")?;
    let r = insert_roster(
        db,
        NewRoster {
            title: &title,
            start: &fmt_date(start),
            end: &fmt_date(end),
            report_to: Some("校办".into()),
            notify: Some("教师群".into()),
            note: Some("值班期间保持通讯畅通,紧急情况领导到位、组织到位、措施到位。".into()),
            by: Some(office),
        },
    )
    .await?;
    let mut day = start;
    let mut d = 0usize;
    while day <= end {
        let shift = |from: &str, to: &str, post: Post, user_id: Uuid| NewShift {
            roster_id: r.id,
            date: day,
            start: t(from),
            end: t(to),
            post,
            user_id,
            note: None,
            place: None,
        };
        for s in [
            shift(
                "08:00",
                "08:00",
                Post::LeaderOnCall,
                [principal, office][d % 2],
            ),
            shift(
                "08:00",
                "17:00",
                Post::DutyTeacher,
                teachers[d % teachers.len()],
            ),
            shift("08:00", "20:00", Post::Guard, guards[d % 2]),
            shift("20:00", "08:00", Post::Guard, guards[(d + 1) % 2]),
        ] {
            insert_shift(db, tz, s).await.map_err(|e| e.to_string())?;
        }
        day = day.succ_opt().ok_or("date overflow")?;
        d += 1;
    }
    let id = r.id;
    publish(db, r).await?;
    Ok(id)
}

/// 期末家长车辆疏导 in the current plan, linked to a published roster of the traffic posts.
pub async fn seed_traffic(
    db: &impl ConnectionTrait,
    cast: &Cast,
    tz: chrono_tz::Tz,
    current: &Semester,
) -> Result<(), BoxError> {
    let (principal, office) = (cast.user("principal")?.id, cast.user("office")?.id);
    let guards = [cast.user("guard1")?.id, cast.user("guard2")?.id];
    let teachers: Vec<Uuid> = (1..=5)
        .map(|i| cast.user(&format!("teacher{i}")).map(|u| u.id))
        .collect::<Result<_, _>>()?;
    let ends_on = parse_date(&current.ends_on).ok_or("semester end")?;
    let (first, last) = term_end_days(ends_on).ok_or("term end")?;
    let Some(p) = plan::Entity::find()
        .filter(plan::Column::SemesterId.eq(current.id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let r = insert_roster(
        db,
        NewRoster {
            title: "期末家长车辆疏导岗位表",
            start: &fmt_date(first),
            end: &fmt_date(last),
            report_to: Some("校办".into()),
            notify: Some("教师群".into()),
            note: Some(
                "放学后家长接送车辆集中,校门口东西两侧与停车场入口设疏导岗;车辆即停即走,不在校门口掉头。".into(),
            ),
            by: Some(office),
        },
    )
    .await?;
    let mut day = first;
    let mut d = 0usize;
    while day <= last {
        let shift = |post: Post, user_id: Uuid, place: &str| NewShift {
            roster_id: r.id,
            date: day,
            start: t(if post == Post::LeaderOnCall {
                "15:00"
            } else {
                "15:30"
            }),
            end: t("17:30"),
            post,
            user_id,
            note: None,
            place: Some(place.into()),
        };
        let k = d * 3;
        for s in [
            shift(
                Post::LeaderOnCall,
                [office, principal][d % 2],
                "校门口(现场指挥)",
            ),
            shift(Post::Guard, guards[d % 2], "校门口东侧"),
            shift(Post::Guard, guards[(d + 1) % 2], "校门口西侧"),
            shift(
                Post::DutyTeacher,
                teachers[k % teachers.len()],
                "校门口东侧",
            ),
            shift(
                Post::DutyTeacher,
                teachers[(k + 1) % teachers.len()],
                "校门口西侧",
            ),
            shift(
                Post::DutyTeacher,
                teachers[(k + 2) % teachers.len()],
                "停车场入口",
            ),
        ] {
            insert_shift(db, tz, s).await.map_err(|e| e.to_string())?;
        }
        day = day.succ_opt().ok_or("date overflow")?;
        d += 1;
    }
    let roster_id = r.id;
    publish(db, r).await?;
    let month = last.format("%Y-%m").to_string();
    let seq = item::Entity::find()
        .filter(item::Column::PlanId.eq(p.id))
        .filter(item::Column::Month.eq(month.as_str()))
        .all(db)
        .await?
        .iter()
        .map(|i| i.seq)
        .max()
        .unwrap_or(0)
        + 1;
    let now = crate::infra::clock::now();
    item::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(p.id),
        month: Set(month),
        seq: Set(seq),
        title: Set("期末家长车辆疏导".into()),
        category: Set(ItemCategory::Other),
        owner_id: Set(Some(office)),
        due_date: Set(Some(fmt_date(last))),
        report_to: Set(None),
        notify: Set(Some("班主任群".into())),
        note: Set(Some("疏导岗位与人员见关联的值班表。".into())),
        status: Set(ItemStatus::Todo),
        created_at: Set(now),
        updated_at: Set(now),
        duty_roster_id: Set(Some(roster_id)),
    }
    .insert(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or_default()
    }

    #[test]
    fn the_term_ends_on_the_last_weekdays_before_the_holiday() {
        // 22 January 2027 is a Friday.
        assert_eq!(
            term_end_days(d("2027-02-14")),
            Some((d("2027-01-21"), d("2027-01-22")))
        );
        // 10 July 2020 is a Friday (the seed's 期末家长车辆疏导).
        assert_eq!(
            term_end_days(d("2020-08-31")),
            Some((d("2020-07-09"), d("2020-07-10")))
        );
        // 22 January 2028 is a Saturday: Thursday and Friday before it; across a weekend too.
        assert_eq!(
            term_end_days(d("2028-02-14")),
            Some((d("2028-01-20"), d("2028-01-21")))
        );
        // 10 July 2023 is a Monday: Friday and Monday.
        assert_eq!(
            term_end_days(d("2023-08-31")),
            Some((d("2023-07-07"), d("2023-07-10")))
        );
    }

    #[test]
    fn the_next_holiday_is_the_first_not_yet_over() {
        let next = |s: &str| next_holiday(d(s)).map(|(t, a, b)| (t, fmt_date(a), fmt_date(b)));
        assert_eq!(
            next("2026-12-02"),
            Some((
                "2027年元旦值班表".into(),
                "2027-01-01".into(),
                "2027-01-03".into()
            ))
        );
        assert_eq!(
            next("2027-01-02"),
            Some((
                "2027年元旦值班表".into(),
                "2027-01-01".into(),
                "2027-01-03".into()
            ))
        );
        assert_eq!(
            next("2027-01-04").map(|x| x.0),
            Some("2027年劳动节值班表".into())
        );
        assert_eq!(
            next("2027-10-08").map(|x| x.0),
            Some("2028年元旦值班表".into())
        );
    }
}
