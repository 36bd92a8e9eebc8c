//! The escalation scheduler: raises the steps of escalations on the office's clock
//! (`features::notifications::policy`) as `escalation.raised` events — a student still out
//! +15 min after `return_by` (the class teacher), +60 min (the office and the leader on
//! call), and the daily digest of hazards past their deadline. The events reach people as
//! notifications (the notification worker) and the channels subscribed to the kind (the
//! delivery worker): nothing here sends anything itself.
//!
//! Like the event scheduler it keeps no state: every round reads the records as they are, so
//! a student back before a step simply never has that step raised (the escalation stops),
//! and each step carries a unique `dedupe_key` (`escalation:pass_overdue:<pass>:<step>`), so
//! a restart or a second replica never raises one twice. Time is a parameter: tests call
//! [`round`] with the instant they want.

use crate::features::events::{
    self, DigestHazard, EscalationRaised, EscalationRule, EscalationTarget, EventStudent, NewEvent,
};
use crate::features::notifications;
use crate::infra::db::Db;
use crate::infra::error::AppResult;
use crate::schema::duty::{Post, RosterStatus, roster, shift};
use crate::schema::hazards::{HazardStatus, hazard};
use crate::schema::passes::{PassStatus, leave_pass};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashSet;
use std::time::Duration as StdDuration;
use tokio::sync::watch;
use uuid::Uuid;

/// A student out longer than this past `return_by` is no longer escalated (after a long
/// outage the office is not flooded with steps about old passes; the overdue list shows them).
const LOOKBACK: Duration = Duration::days(2);
/// Hazards listed in one digest.
const DIGEST_MAX: usize = 100;

/// Runs a round every `every` until `stop` flips.
pub async fn periodic(db: Db, tz: Tz, every: StdDuration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = round(&db, tz, crate::infra::clock::now()).await {
            tracing::warn!(error = %e, "escalation round failed; retried at the next tick");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// One round at `now`: raises every escalation step due and not raised yet; returns how many
/// it raised.
pub async fn round(db: &Db, tz: Tz, now: DateTime<Utc>) -> AppResult<usize> {
    let settings = notifications::settings(&db.conn).await?;
    let mut due = overdue_steps(db, &settings, now).await?;
    due.extend(hazard_digest(db, &settings, tz, now).await?);
    let mut count = 0;
    for e in due {
        let tx = db.begin_write().await?;
        if events::emit_once(&*tx, now, e).await? {
            count += 1;
        }
        tx.commit().await?;
    }
    if count > 0 {
        tracing::info!(raised = count, "escalation steps raised");
    }
    Ok(count)
}

/// The dedupe keys among `keys` already raised.
async fn raised(db: &Db, keys: Vec<String>) -> AppResult<HashSet<String>> {
    use crate::features::events::model as event;
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

/// The leader on call (值班领导) on duty at `now` in a published roster, if any.
async fn leader_on_call(db: &Db, now: DateTime<Utc>) -> AppResult<Option<Uuid>> {
    let shifts = shift::Entity::find()
        .filter(shift::Column::Post.eq(Post::LeaderOnCall))
        .filter(shift::Column::StartsAt.lte(now))
        .filter(shift::Column::EndsAt.gt(now))
        .order_by_asc(shift::Column::StartsAt)
        .all(&db.conn)
        .await?;
    for s in shifts {
        let published = roster::Entity::find_by_id(s.roster_id)
            .one(&db.conn)
            .await?
            .is_some_and(|r| r.status == RosterStatus::Published);
        if published {
            return Ok(Some(s.user_id));
        }
    }
    Ok(None)
}

/// Students still out past `return_by`: each step due and not yet raised.
async fn overdue_steps(
    db: &Db,
    s: &notifications::EscalationSettings,
    now: DateTime<Utc>,
) -> AppResult<Vec<NewEvent>> {
    if !s.pass_overdue.enabled {
        return Ok(Vec::new());
    }
    let passes = leave_pass::Entity::find()
        .filter(leave_pass::Column::Status.eq(PassStatus::Out))
        .filter(leave_pass::Column::ReturnBy.lte(notifications::pass_window_start(s, now)))
        .filter(leave_pass::Column::ReturnBy.gt(now - LOOKBACK))
        .all(&db.conn)
        .await?;
    let key = |pass: Uuid, step: i32| format!("escalation:pass_overdue:{pass}:{step}");
    let mut wanted = Vec::new();
    for p in &passes {
        let Some(return_by) = p.return_by else {
            continue;
        };
        for st in notifications::pass_steps_due(s, return_by, now) {
            wanted.push((p, return_by, st));
        }
    }
    let done = raised(
        db,
        wanted.iter().map(|(p, _, st)| key(p.id, st.step)).collect(),
    )
    .await?;
    let mut leader: Option<Option<Uuid>> = None;
    let mut out = Vec::new();
    for (p, return_by, st) in wanted {
        let k = key(p.id, st.step);
        if done.contains(&k) {
            continue;
        }
        let (targets, leader_id) = if st.step == 1 {
            (vec![EscalationTarget::ClassTeacher], None)
        } else {
            let mut targets = vec![EscalationTarget::Office];
            let mut leader_id = None;
            if s.pass_overdue.leader_on_call {
                if leader.is_none() {
                    leader = Some(leader_on_call(db, now).await?);
                }
                leader_id = leader.flatten();
                if leader_id.is_some() {
                    targets.push(EscalationTarget::LeaderOnCall);
                }
            }
            (targets, leader_id)
        };
        let who = if st.step == 1 {
            "提醒班主任"
        } else if leader_id.is_some() {
            "提醒保卫处和值班领导"
        } else {
            "提醒保卫处"
        };
        let student = EventStudent::load(&db.conn, p.student_id).await?;
        let e = EscalationRaised {
            rule: EscalationRule::PassOverdue,
            step: st.step,
            targets,
            subject_id: Some(p.id),
            class_id: Some(p.class_id),
            student: Some(student),
            return_by: Some(return_by),
            minutes_late: Some(i64::from(st.after_minutes)),
            leader_on_call_id: leader_id,
            date: None,
            hazards: Vec::new(),
            hazards_total: None,
            summary: format!(
                "学生逾期 {} 分钟未返校（第 {} 级，{who}）",
                st.after_minutes, st.step
            ),
        };
        out.push(NewEvent::of(&e)?.once(k));
    }
    Ok(out)
}

/// The day's digest of hazards past their deadline, once the set time has come (none when
/// no hazard is overdue).
async fn hazard_digest(
    db: &Db,
    s: &notifications::EscalationSettings,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<Option<NewEvent>> {
    let Some(today) = notifications::digest_due(s, tz, now) else {
        return Ok(None);
    };
    let day = crate::infra::clock::fmt_date(today);
    let k = format!("escalation:hazard_digest:{day}");
    if !raised(db, vec![k.clone()]).await?.is_empty() {
        return Ok(None);
    }
    let mut overdue: Vec<DigestHazard> = hazard::Entity::find()
        .filter(hazard::Column::Status.eq(HazardStatus::Assigned))
        .filter(hazard::Column::Deadline.is_not_null())
        .all(&db.conn)
        .await?
        .into_iter()
        .filter_map(|h| {
            let deadline = h.deadline?;
            let d = crate::infra::clock::parse_date(&deadline)?;
            (d < today).then_some(DigestHazard {
                hazard_id: h.id,
                category: h.category,
                location: h.location,
                owner_id: h.owner_id,
                deadline,
            })
        })
        .collect();
    if overdue.is_empty() {
        return Ok(None);
    }
    overdue.sort_by(|a, b| {
        a.deadline
            .cmp(&b.deadline)
            .then(a.hazard_id.cmp(&b.hazard_id))
    });
    let total = overdue.len() as i64;
    overdue.truncate(DIGEST_MAX);
    let e = EscalationRaised {
        rule: EscalationRule::HazardDigest,
        step: 1,
        targets: vec![EscalationTarget::Office, EscalationTarget::HazardOwners],
        subject_id: None,
        class_id: None,
        student: None,
        return_by: None,
        minutes_late: None,
        leader_on_call_id: None,
        date: Some(day),
        hazards: overdue,
        hazards_total: Some(total),
        summary: format!("{total} 项隐患逾期未整改（每日汇总）"),
    };
    Ok(Some(NewEvent::of(&e)?.once(k)))
}
