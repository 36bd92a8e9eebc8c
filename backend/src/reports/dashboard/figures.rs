//! The dashboard's figures, one query function per section.

use crate::features::duty::ShiftResponse;
use crate::features::plans;
use crate::infra::clock::{fmt_date, today};
use crate::infra::error::AppResult;
use crate::schema::records::{health, incident};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentFigures {
    /// Whole days since the most recent incident (the plan's "零事故"); null when none is
    /// recorded.
    pub days_since_last_incident: Option<i64>,
    pub last_incident_at: Option<DateTime<Utc>>,
    /// Incidents not closed yet.
    pub open_incidents: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueItem {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub title: String,
    pub due_date: Option<String>,
    pub owner_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanFigures {
    /// Unfinished items of approved plans whose due date has passed.
    pub overdue_items: u64,
    /// The first 10 of them, oldest due date first.
    pub overdue: Vec<OverdueItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthFigures {
    /// Guards' health reports filed today.
    pub reports_today: u64,
    /// Abnormal reports the office has not acknowledged.
    pub abnormal_unacknowledged: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardFigures {
    /// Hazards not closed yet.
    pub open: u64,
    /// Assigned hazards past their rectification deadline.
    pub overdue: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrafficCheckFigures {
    /// This week's period, e.g. `2026-W48`.
    pub period: String,
    pub classes: u64,
    pub submitted: u64,
    pub late: u64,
    /// Classes that have not submitted this week's traffic-safety check.
    pub missing: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardResponse {
    /// Local date the figures are for.
    pub today: String,
    pub incidents: IncidentFigures,
    pub plan: PlanFigures,
    /// Who is on duty now (published rosters).
    pub on_duty_now: Vec<ShiftResponse>,
    pub health: HealthFigures,
    pub hazards: HazardFigures,
    /// This week's traffic-safety check (交通安全检查) compliance; null if the template is gone.
    pub traffic_checks: Option<TrafficCheckFigures>,
    pub gate: GateFigures,
    pub visitors: VisitorFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GateFigures {
    /// Students out of school now on a leave pass (same rule as `GET /gate/out`).
    pub students_out: u64,
    /// Of them, those past their return time (same rule as `GET /gate/overdue`).
    pub students_overdue: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorFigures {
    /// Visitors checked in and not checked out.
    pub on_campus: u64,
}

pub async fn gate_figures(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> AppResult<GateFigures> {
    let now = crate::infra::clock::now();
    Ok(GateFigures {
        students_out: crate::features::gate::out_select(tz, now, false)
            .count(db)
            .await?,
        students_overdue: crate::features::gate::out_select(tz, now, true)
            .count(db)
            .await?,
    })
}

pub async fn visitor_figures(db: &impl ConnectionTrait) -> AppResult<VisitorFigures> {
    use crate::schema::visitors::visitor;
    Ok(VisitorFigures {
        on_campus: visitor::Entity::find()
            .filter(visitor::Column::CheckedOutAt.is_null())
            // Refused and pending visitors never entered.
            .filter(visitor::Column::Status.eq(crate::features::visitors::VisitStatus::Admitted))
            .count(db)
            .await?,
    })
}

pub async fn incident_figures(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
) -> AppResult<IncidentFigures> {
    let last = incident::Entity::find()
        .order_by_desc(incident::Column::OccurredAt)
        .one(db)
        .await?;
    let open = incident::Entity::find()
        .filter(incident::Column::ClosedAt.is_null())
        .count(db)
        .await?;
    let days = last.as_ref().map(|i| {
        let day = i.occurred_at.with_timezone(&tz).date_naive();
        (today(tz) - day).num_days().max(0)
    });
    Ok(IncidentFigures {
        days_since_last_incident: days,
        last_incident_at: last.map(|i| i.occurred_at),
        open_incidents: open,
    })
}

pub async fn plan_figures(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> AppResult<PlanFigures> {
    let items = plans::overdue_items(db, tz).await?;
    Ok(PlanFigures {
        overdue_items: items.len() as u64,
        overdue: items
            .into_iter()
            .take(10)
            .map(|i| OverdueItem {
                id: i.id,
                plan_id: i.plan_id,
                title: i.title,
                due_date: i.due_date,
                owner_id: i.owner_id,
            })
            .collect(),
    })
}

pub async fn health_figures(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
) -> AppResult<HealthFigures> {
    Ok(HealthFigures {
        reports_today: health::Entity::find()
            .filter(health::Column::Date.eq(fmt_date(today(tz))))
            .count(db)
            .await?,
        abnormal_unacknowledged: health::Entity::find()
            .filter(health::Column::Abnormal.eq(true))
            .filter(health::Column::AcknowledgedAt.is_null())
            .count(db)
            .await?,
    })
}

pub async fn hazard_figures(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
) -> AppResult<HazardFigures> {
    use crate::schema::hazards::hazard;
    let open = hazard::Entity::find()
        .filter(hazard::Column::Status.ne("closed"))
        .count(db)
        .await?;
    let overdue = hazard::Entity::find()
        .filter(hazard::Column::Status.eq("assigned"))
        .filter(hazard::Column::Deadline.is_not_null())
        .filter(hazard::Column::Deadline.lt(fmt_date(today(tz))))
        .count(db)
        .await?;
    Ok(HazardFigures { open, overdue })
}

pub async fn traffic_check_figures(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
) -> AppResult<Option<TrafficCheckFigures>> {
    use crate::features::inspections::{Period, TRAFFIC};
    use crate::schema::inspections::{submission, template};
    let Some(tpl) = template::Entity::find()
        .filter(template::Column::Code.eq(TRAFFIC))
        .filter(template::Column::IsCurrent.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let period = Period::containing(tpl.frequency, today(tz)).key();
    let subs = submission::Entity::find()
        .filter(submission::Column::TemplateCode.eq(TRAFFIC))
        .filter(submission::Column::Period.eq(period.as_str()))
        .filter(submission::Column::Slot.eq("self"))
        .filter(submission::Column::IsCurrent.eq(true))
        .all(db)
        .await?;
    let classes = crate::schema::classes::Entity::find().count(db).await?;
    let done: std::collections::HashSet<Uuid> = subs.iter().filter_map(|s| s.class_id).collect();
    let late = subs.iter().filter(|s| s.is_late).count() as u64;
    let submitted = done.len() as u64;
    Ok(Some(TrafficCheckFigures {
        period,
        classes,
        submitted: submitted.saturating_sub(late),
        late,
        missing: classes.saturating_sub(submitted),
    }))
}
