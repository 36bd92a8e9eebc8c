//! The scheduler of time-based events: `pass.overdue`, `hazard.overdue`,
//! `traffic_check.missing` and `patrol.missed`.
//!
//! Every round reads the records as they are and raises what is due. It keeps no state of its
//! own: each event carries a `dedupe_key` naming what it is about (`pass.overdue:<pass>`), and
//! the key is unique in the database, so an event already raised — before a restart, or by
//! another replica on the same PostgreSQL in the same second — is not raised again (the insert
//! is `ON CONFLICT DO NOTHING`). A round that fails is simply repeated at the next tick.

use crate::features::events::{self, EventStudent, NewEvent};
use crate::features::inspections::{Frequency, Period, TRAFFIC};
use crate::features::patrol::{SLOT_WINDOW_MINUTES, local_instant};
use crate::infra::db::Db;
use crate::infra::error::AppResult;
use crate::schema::hazards::{HazardStatus, hazard};
use crate::schema::inspections::{submission, template};
use crate::schema::passes::{PassStatus, leave_pass};
use crate::schema::patrol::{checkpoint, route, run};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;
use tokio::sync::watch;
use uuid::Uuid;

/// When the week's traffic check is due: Friday 14:00 school time (the afternoon's classes).
const TRAFFIC_DUE: (Weekday, u32) = (Weekday::Fri, 14);

/// Runs a round every `every` until `stop` flips.
pub async fn periodic(db: Db, tz: Tz, every: StdDuration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = round(&db, tz, crate::infra::clock::now()).await {
            tracing::warn!(error = %e, "event scheduler round failed; retried at the next tick");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// One round at `now`: raises every time-based event due and not raised yet. Returns how many
/// it raised (others may have been raised by another replica).
pub async fn round(db: &Db, tz: Tz, now: DateTime<Utc>) -> AppResult<usize> {
    let mut due = Vec::new();
    due.extend(overdue_passes(db, now).await?);
    due.extend(overdue_hazards(db, tz, now).await?);
    due.extend(missing_traffic_checks(db, tz, now).await?);
    due.extend(missed_patrols(db, tz, now).await?);
    // Built cheaply for the other kinds; drop what was raised before taking any write lock.
    let keys = due
        .iter()
        .filter_map(|e| e.dedupe_key().map(str::to_owned))
        .collect();
    let done = raised(db, keys).await?;
    due.retain(|e| e.dedupe_key().is_none_or(|k| !done.contains(k)));
    let mut count = 0;
    for e in due {
        // One small transaction each: a bad row never holds the others back.
        let tx = db.begin_write().await?;
        if events::emit_once(&*tx, now, e).await? {
            count += 1;
        }
        tx.commit().await?;
    }
    if count > 0 {
        tracing::info!(raised = count, "event scheduler raised time-based events");
    }
    Ok(count)
}

/// The keys among `keys` already raised: what a round need not build again (every round would
/// otherwise rebuild every overdue pass ever, and on SQLite take the write lock for each).
async fn raised(db: &Db, keys: Vec<String>) -> AppResult<HashSet<String>> {
    use crate::features::events::model as event;
    use sea_orm::QuerySelect;
    let mut out = HashSet::new();
    for chunk in keys.chunks(500) {
        let found: Vec<Option<String>> = event::Entity::find()
            .select_only()
            .column(event::Column::DedupeKey)
            .filter(event::Column::DedupeKey.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&db.conn)
            .await?;
        out.extend(found.into_iter().flatten());
    }
    Ok(out)
}

/// Students out past `return_by`: once per pass.
async fn overdue_passes(db: &Db, now: DateTime<Utc>) -> AppResult<Vec<NewEvent>> {
    let passes = leave_pass::Entity::find()
        .filter(leave_pass::Column::Status.eq(PassStatus::Out))
        .filter(leave_pass::Column::ReturnBy.lt(now))
        .all(&db.conn)
        .await?;
    let key = |id: Uuid| format!("pass.overdue:{id}");
    let done = raised(db, passes.iter().map(|p| key(p.id)).collect()).await?;
    let mut out = Vec::new();
    for p in passes.into_iter().filter(|p| !done.contains(&key(p.id))) {
        let Some(return_by) = p.return_by else {
            continue;
        };
        let student = EventStudent::load(&db.conn, p.student_id).await?;
        let e = events::PassOverdue {
            pass_id: p.id,
            student,
            exited_at: p.exited_at,
            return_by,
        };
        out.push(NewEvent::of(&e)?.once(key(p.id)));
    }
    Ok(out)
}

/// Hazards not rectified by their deadline (a local date: overdue from the next day): once
/// per hazard and deadline, so a new deadline after a send-back can be overdue again.
async fn overdue_hazards(db: &Db, tz: Tz, now: DateTime<Utc>) -> AppResult<Vec<NewEvent>> {
    let today = crate::infra::clock::school_date(now, tz);
    let open = hazard::Entity::find()
        .filter(hazard::Column::Status.eq(HazardStatus::Assigned))
        .filter(hazard::Column::Deadline.is_not_null())
        .all(&db.conn)
        .await?;
    let mut out = Vec::new();
    for h in open {
        let Some(deadline) = h.deadline.clone() else {
            continue;
        };
        if crate::infra::clock::parse_date(&deadline).is_none_or(|d| d >= today) {
            continue;
        }
        let e = events::HazardOverdue {
            hazard_id: h.id,
            category: h.category,
            location: h.location,
            class_id: h.class_id,
            owner_id: h.owner_id,
            deadline: deadline.clone(),
        };
        out.push(NewEvent::of(&e)?.once(format!("hazard.overdue:{}:{deadline}", h.id)));
    }
    Ok(out)
}

/// Whether the week containing `today` is past its traffic-check deadline at `now`.
pub fn traffic_due_passed(week_first: NaiveDate, tz: Tz, now: DateTime<Utc>) -> bool {
    let (day, hour) = TRAFFIC_DUE;
    let offset = i64::from(day.num_days_from_monday());
    let due_day = week_first + Duration::days(offset);
    let due = NaiveTime::from_hms_opt(hour, 0, 0).and_then(|t| local_instant(&tz, due_day, t));
    due.is_some_and(|d| now >= d)
}

/// Classes with a class teacher and no current traffic check this week, once Friday
/// afternoon has come: once per class and week.
async fn missing_traffic_checks(db: &Db, tz: Tz, now: DateTime<Utc>) -> AppResult<Vec<NewEvent>> {
    let tpl = template::Entity::find()
        .filter(template::Column::Code.eq(TRAFFIC))
        .filter(template::Column::IsCurrent.eq(true))
        .one(&db.conn)
        .await?;
    let Some(tpl) = tpl else {
        return Ok(Vec::new());
    };
    if tpl.frequency != Frequency::Weekly {
        return Ok(Vec::new());
    }
    let today = crate::infra::clock::school_date(now, tz);
    let period = Period::containing(Frequency::Weekly, today);
    if !traffic_due_passed(period.first, tz, now) {
        return Ok(Vec::new());
    }
    let done: HashSet<Uuid> = submission::Entity::find()
        .filter(submission::Column::TemplateCode.eq(TRAFFIC))
        .filter(submission::Column::Period.eq(period.key()))
        .filter(submission::Column::Slot.eq("self"))
        .filter(submission::Column::IsCurrent.eq(true))
        .all(&db.conn)
        .await?
        .into_iter()
        .filter_map(|s| s.class_id)
        .collect();
    let classes = crate::schema::classes::Entity::find()
        .filter(crate::schema::classes::Column::ClassTeacherId.is_not_null())
        .all(&db.conn)
        .await?;
    let week = crate::infra::clock::fmt_date(period.first);
    let mut out = Vec::new();
    for c in classes.into_iter().filter(|c| !done.contains(&c.id)) {
        let e = events::TrafficCheckMissing {
            class_id: c.id,
            class_name: c.name,
            week_start: week.clone(),
        };
        out.push(NewEvent::of(&e)?.once(format!("traffic_check.missing:{}:{week}", c.id)));
    }
    Ok(out)
}

/// Today's scheduled patrol starts with no run once their window has passed: once per route,
/// day and start.
async fn missed_patrols(db: &Db, tz: Tz, now: DateTime<Utc>) -> AppResult<Vec<NewEvent>> {
    let today = crate::infra::clock::school_date(now, tz);
    let day = crate::infra::clock::fmt_date(today);
    let started: HashSet<(Uuid, String)> = run::Entity::find()
        .filter(run::Column::Date.eq(day.as_str()))
        .all(&db.conn)
        .await?
        .into_iter()
        .filter_map(|r| r.slot.map(|s| (r.route_id, s)))
        .collect();
    let routes = route::Entity::find()
        .filter(route::Column::Active.eq(true))
        .all(&db.conn)
        .await?;
    if routes.is_empty() {
        return Ok(Vec::new());
    }
    let names: HashMap<Uuid, String> = checkpoint::Entity::find()
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut out = Vec::new();
    for r in routes {
        // Stored by the patrol feature as JSON; a route that does not parse is skipped here
        // (the patrol pages report it).
        let starts: Vec<String> = serde_json::from_str(&r.start_times).unwrap_or_default();
        let points: Vec<serde_json::Value> = serde_json::from_str(&r.points).unwrap_or_default();
        for s in starts {
            let Some(at) = NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .ok()
                .and_then(|t| local_instant(&tz, today, t))
            else {
                continue;
            };
            if at < r.created_at
                || now <= at + Duration::minutes(SLOT_WINDOW_MINUTES)
                || started.contains(&(r.id, s.clone()))
            {
                continue;
            }
            let missed_checkpoints = points
                .iter()
                .filter_map(|p| p["checkpoint_id"].as_str())
                .filter_map(|id| Uuid::parse_str(id).ok())
                .filter_map(|id| names.get(&id).cloned())
                .collect();
            let e = events::PatrolMissed {
                route_id: r.id,
                route_name: r.name.clone(),
                date: day.clone(),
                start_time: s.clone(),
                missed_checkpoints,
            };
            out.push(NewEvent::of(&e)?.once(format!("patrol.missed:{}:{day}:{s}", r.id)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traffic_check_is_due_on_friday_afternoon_school_time() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let at = |d: u32, h: u32| {
            local_instant(
                &tz,
                NaiveDate::from_ymd_opt(2026, 12, d).unwrap(),
                NaiveTime::from_hms_opt(h, 0, 0).unwrap(),
            )
            .unwrap()
        };
        assert!(!traffic_due_passed(monday, tz, at(4, 13)));
        assert!(traffic_due_passed(monday, tz, at(4, 14)));
        assert!(traffic_due_passed(monday, tz, at(5, 9)));
    }
}
