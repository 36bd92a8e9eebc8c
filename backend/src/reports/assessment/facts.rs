//! Gathering the records each metric counts, per staff member and per class, and the
//! office's weights.

use super::scoring::{Facts, SourceRef, Weights, default_weights, src};
use crate::auth::roles::Role;
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, months_of};
use crate::schema::classes as class;
use crate::schema::duty::{roster, shift};
use crate::schema::hazards::hazard;
use crate::schema::inspections::submission;
use crate::schema::plans::{item, plan};
use crate::schema::platform::figure;
use crate::schema::records::incident;
use crate::schema::users as user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub const WEIGHTS_KEY: &str = "assessment_weights";

/// The office's weights over the defaults (unknown keys in the stored value are ignored).
pub async fn weights(db: &impl ConnectionTrait) -> AppResult<Weights> {
    let mut w = default_weights();
    let stored: Weights = crate::reports::platform::get_setting(db, WEIGHTS_KEY)
        .await?
        .unwrap_or_default();
    for (k, v) in stored {
        if w.contains_key(&k) {
            w.insert(k, v);
        }
    }
    Ok(w)
}

fn role_zh(role: &str) -> &'static str {
    match role {
        "security_office" => "保卫处",
        "class_teacher" => "班主任",
        "guard" => "保安",
        _ => "",
    }
}

fn push(map: &mut HashMap<Uuid, Facts>, who: Uuid, metric: &'static str, s: SourceRef) {
    if let Some(f) = map.get_mut(&who) {
        f.sources.entry(metric).or_default().push(s);
    }
}

/// Staff: the office, class teachers and guards (the principal reads the ranking; safety
/// officers are students and are scored with their class).
pub async fn staff_facts(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Facts>> {
    let (start, end) = r.bounds_utc();
    let now = crate::infra::clock::now();
    let mut map: HashMap<Uuid, Facts> = user::Entity::find()
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Role.is_in([
            Role::SecurityOffice.as_str(),
            Role::ClassTeacher.as_str(),
            Role::Guard.as_str(),
        ]))
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            (
                u.id,
                Facts {
                    id: u.id,
                    name: u.display_name,
                    detail: role_zh(u.role.as_str()).into(),
                    sources: HashMap::new(),
                },
            )
        })
        .collect();

    let rosters: Vec<Uuid> = roster::Entity::find()
        .filter(roster::Column::Status.eq(crate::schema::duty::RosterStatus::Published))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for s in shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(rosters))
        .filter(shift::Column::Date.gte(crate::infra::clock::fmt_date(r.from)))
        .filter(shift::Column::Date.lte(crate::infra::clock::fmt_date(r.to)))
        .filter(shift::Column::EndsAt.lte(now))
        .order_by_asc(shift::Column::StartsAt)
        .all(db)
        .await?
    {
        push(
            &mut map,
            s.user_id,
            "duty_shifts",
            src("duty_shift", s.id, 1),
        );
    }

    for s in submission::Entity::find()
        .filter(submission::Column::Kind.eq(crate::features::inspections::KIND_SELF))
        .filter(submission::Column::Version.eq(1))
        .filter(submission::Column::IsLate.eq(false))
        .filter(submission::Column::SubmittedAt.gte(start))
        .filter(submission::Column::SubmittedAt.lt(end))
        .order_by_asc(submission::Column::SubmittedAt)
        .all(db)
        .await?
    {
        push(
            &mut map,
            s.submitted_by,
            "checks_on_time",
            src("inspection", s.id, 1),
        );
    }

    for h in hazard::Entity::find()
        .filter(hazard::Column::Status.is_in(["rectified", "closed"]))
        .filter(hazard::Column::RectifiedAt.gte(start))
        .filter(hazard::Column::RectifiedAt.lt(end))
        .order_by_asc(hazard::Column::RectifiedAt)
        .all(db)
        .await?
    {
        let (Some(by), Some(at), Some(deadline)) = (
            h.rectified_by,
            h.rectified_at,
            h.deadline
                .as_deref()
                .and_then(crate::infra::clock::parse_date),
        ) else {
            continue;
        };
        if at.with_timezone(&r.tz).date_naive() <= deadline {
            push(&mut map, by, "hazards_on_time", src("hazard", h.id, 1));
        }
    }

    let approved: Vec<Uuid> = plan::Entity::find()
        .filter(plan::Column::Status.eq(crate::schema::plans::PlanStatus::Approved))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    for i in item::Entity::find()
        .filter(item::Column::PlanId.is_in(approved))
        .filter(item::Column::Status.eq("done"))
        .filter(item::Column::Month.is_in(months_of(r.from, r.to)))
        .order_by_asc(item::Column::Month)
        .order_by_asc(item::Column::Seq)
        .all(db)
        .await?
    {
        if let Some(owner) = i.owner_id {
            push(
                &mut map,
                owner,
                "plan_tasks_done",
                src("plan_item", i.id, 1),
            );
        }
    }

    // A session counts for an attendee once signed off (attended and confirmed).
    for (training_id, user_id) in crate::features::duties::signed_trainings(
        db,
        &crate::infra::clock::fmt_date(r.from),
        &crate::infra::clock::fmt_date(r.to),
    )
    .await?
    {
        push(
            &mut map,
            user_id,
            "trainings_signed",
            src("guard_training", training_id, 1),
        );
    }
    Ok(map.into_values().collect())
}

pub async fn class_facts(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Facts>> {
    let (start, end) = r.bounds_utc();
    let mut map: HashMap<Uuid, Facts> = class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                Facts {
                    id: c.id,
                    name: c.name,
                    detail: c.grade,
                    sources: HashMap::new(),
                },
            )
        })
        .collect();

    for s in submission::Entity::find()
        .filter(submission::Column::ClassId.is_not_null())
        .filter(submission::Column::SubmittedAt.gte(start))
        .filter(submission::Column::SubmittedAt.lt(end))
        .order_by_asc(submission::Column::SubmittedAt)
        .all(db)
        .await?
    {
        let Some(cid) = s.class_id else { continue };
        if s.kind == crate::features::inspections::KIND_SELF
            && s.template_code == crate::features::inspections::TRAFFIC
            && s.version == 1
            && !s.is_late
        {
            push(&mut map, cid, "traffic_on_time", src("inspection", s.id, 1));
        }
        if s.kind == crate::features::inspections::KIND_SPOT
            && s.is_current
            && s.discrepancy_count > 0
        {
            push(
                &mut map,
                cid,
                "spot_discrepancies",
                src("inspection", s.id, i64::from(s.discrepancy_count)),
            );
        }
    }

    let hazards = hazard::Entity::find()
        .filter(hazard::Column::ClassId.is_not_null())
        // An attribution awaiting the office's confirmation does not count (issue 15 #4).
        .filter(hazard::Column::ClassPending.eq(false))
        .filter(hazard::Column::ReportedAt.gte(start))
        .filter(hazard::Column::ReportedAt.lt(end))
        .order_by_asc(hazard::Column::ReportedAt)
        .all(db)
        .await?;
    // In chunks: a range's hazards can outnumber a database's bound on query parameters.
    let submission_ids: Vec<Uuid> = hazards.iter().filter_map(|h| h.submission_id).collect();
    let mut from_spot_checks: HashSet<Uuid> = HashSet::new();
    for chunk in submission_ids.chunks(500) {
        from_spot_checks.extend(
            submission::Entity::find()
                .select_only()
                .column(submission::Column::Id)
                .filter(submission::Column::Id.is_in(chunk.to_vec()))
                .filter(submission::Column::Kind.eq(crate::features::inspections::KIND_SPOT))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    for h in hazards {
        // A spot-check's failed item is already a discrepancy: its automatic hazard is not a
        // second penalty for the same finding.
        if h.submission_id
            .is_some_and(|id| from_spot_checks.contains(&id))
        {
            continue;
        }
        if let Some(cid) = h.class_id {
            push(&mut map, cid, "class_hazards", src("hazard", h.id, 1));
        }
    }

    for i in incident::Entity::find()
        .filter(incident::Column::ClassId.is_not_null())
        .filter(incident::Column::ClassPending.eq(false))
        .filter(incident::Column::OccurredAt.gte(start))
        .filter(incident::Column::OccurredAt.lt(end))
        .order_by_asc(incident::Column::OccurredAt)
        .all(db)
        .await?
    {
        if let Some(cid) = i.class_id {
            push(&mut map, cid, "class_incidents", src("incident", i.id, 1));
        }
    }

    let threshold = crate::reports::platform::threshold(db).await?;
    for f in figure::Entity::find()
        .filter(figure::Column::Month.is_in(months_of(r.from, r.to)))
        .order_by_asc(figure::Column::Month)
        .all(db)
        .await?
    {
        if !crate::reports::platform::is_below(f.completed, f.class_size, threshold) {
            push(
                &mut map,
                f.class_id,
                "platform_months_met",
                src("platform_figure", f.id, 1),
            );
        }
    }
    Ok(map.into_values().collect())
}
