//! The queries: one per category, each counting all and reading the first few.

use super::http::{TodoCategory, TodoGroup, TodoItem};
use crate::auth::extract::CurrentUser;
use crate::auth::roles::Role;
use crate::features::inspections::{Period, TRAFFIC};
use crate::features::{classes, duties, users};
use crate::infra::clock::{fmt_date, today};
use crate::infra::error::AppResult;
use crate::schema::duty::SwapStatus;
use crate::schema::duty::{shift, swap};
use crate::schema::hazards::HazardStatus;
use crate::schema::hazards::hazard;
use crate::schema::inspections::{submission, template};
use crate::schema::plans::{ItemStatus, PlanStatus};
use crate::schema::plans::{item, plan};
use crate::schema::records::{announcement, health, read};
use crate::schema::users as user;
use crate::schema::visitors::expected;
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Items listed per category (the count is always the full one).
const FIRST: u64 = 5;
/// Plan items due within this many days are on the list (overdue ones always).
const PLAN_DAYS: i64 = 7;

/// The SPA area of a role: its routes start with `/<area>/`.
fn area(role: Role) -> &'static str {
    match role {
        Role::Guard => "guard",
        Role::ClassTeacher => "teacher",
        Role::SafetyOfficer => "officer",
        Role::SecurityOffice => "office",
        Role::Principal => "principal",
    }
}

fn group(category: TodoCategory, count: u64, items: Vec<TodoItem>) -> TodoGroup {
    TodoGroup {
        category,
        count,
        items,
    }
}

fn overdue(due: Option<&str>, today: NaiveDate) -> bool {
    due.is_some_and(|d| d < fmt_date(today).as_str())
}

/// Counts a query and reads its first few rows.
async fn count_first<E: EntityTrait>(
    db: &impl ConnectionTrait,
    q: Select<E>,
) -> AppResult<(u64, Vec<E::Model>)>
where
    E::Model: Sync,
{
    let count = q.clone().count(db).await?;
    let first = if count == 0 {
        Vec::new()
    } else {
        q.limit(FIRST).all(db).await?
    };
    Ok((count, first))
}

pub(super) async fn group_for(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    me: &CurrentUser,
    category: TodoCategory,
) -> AppResult<TodoGroup> {
    use TodoCategory::*;
    let t = today(tz);
    let a = area(me.role);
    Ok(match category {
        HazardToRectify => {
            let q = hazard::Entity::find()
                .filter(hazard::Column::Status.eq(HazardStatus::Assigned))
                .filter(hazard::Column::OwnerId.eq(me.id))
                .order_by_asc(hazard::Column::Deadline)
                .order_by_asc(hazard::Column::ReportedAt);
            hazards(db, category, q, a, t).await?
        }
        HazardToVerify => {
            // Who rectified or reported a hazard may not verify it (409): not asked to.
            let q = hazard::Entity::find()
                .filter(hazard::Column::Status.eq(HazardStatus::Rectified))
                .filter(
                    Condition::any()
                        .add(hazard::Column::RectifiedBy.is_null())
                        .add(hazard::Column::RectifiedBy.ne(me.id)),
                )
                // A key's report names its creator only as answerable: they may verify it.
                .filter(
                    Condition::any()
                        .add(hazard::Column::ReportedBy.ne(me.id))
                        .add(hazard::Column::ReportedByApiKeyId.is_not_null()),
                )
                .order_by_asc(hazard::Column::RectifiedAt);
            hazards(db, category, q, a, t).await?
        }
        HazardUnassigned => {
            let q = hazard::Entity::find()
                .filter(hazard::Column::Status.eq(HazardStatus::Reported))
                .order_by_asc(hazard::Column::ReportedAt);
            hazards(db, category, q, a, t).await?
        }
        PlanItemDue => {
            let approved: Vec<Uuid> = plan::Entity::find()
                .filter(plan::Column::Status.eq(PlanStatus::Approved))
                .select_only()
                .column(plan::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            let horizon = fmt_date(t + chrono::Duration::days(PLAN_DAYS));
            let q = item::Entity::find()
                .filter(item::Column::OwnerId.eq(me.id))
                .filter(item::Column::PlanId.is_in(approved))
                .filter(item::Column::Status.ne(ItemStatus::Done))
                .filter(item::Column::DueDate.is_not_null())
                .filter(item::Column::DueDate.lte(horizon))
                .order_by_asc(item::Column::DueDate)
                .order_by_asc(item::Column::Id);
            let (count, rows) = count_first(db, q).await?;
            let items = rows
                .into_iter()
                .map(|i| TodoItem {
                    id: Some(i.id),
                    overdue: overdue(i.due_date.as_deref(), t),
                    title: i.title,
                    due_date: i.due_date,
                    due_at: None,
                    route: format!("/{a}/plan-tasks"),
                })
                .collect();
            group(category, count, items)
        }
        PlanToApprove => {
            let q = plan::Entity::find()
                .filter(plan::Column::Status.eq(PlanStatus::Submitted))
                .order_by_asc(plan::Column::SubmittedAt);
            let (count, rows) = count_first(db, q).await?;
            let items = rows
                .into_iter()
                .map(|p| TodoItem {
                    id: Some(p.id),
                    title: p.title,
                    due_date: None,
                    due_at: None,
                    overdue: false,
                    route: format!("/{a}/plans/{}", p.id),
                })
                .collect();
            group(category, count, items)
        }
        SwapToAnswer => {
            let q = swap::Entity::find()
                .filter(swap::Column::Status.eq(SwapStatus::Requested))
                .filter(swap::Column::TargetUserId.eq(me.id))
                .order_by_asc(swap::Column::CreatedAt);
            swaps(db, category, q, a, t).await?
        }
        SwapToApprove => {
            let q = swap::Entity::find()
                .filter(swap::Column::Status.eq(SwapStatus::Accepted))
                .order_by_asc(swap::Column::CreatedAt);
            swaps(db, category, q, a, t).await?
        }
        HealthReportToFile => {
            let day = fmt_date(t);
            let filed = health::Entity::find()
                .filter(health::Column::GuardId.eq(me.id))
                .filter(health::Column::Date.eq(day.as_str()))
                .count(db)
                .await?;
            let items = if filed == 0 {
                vec![TodoItem {
                    id: None,
                    title: String::new(),
                    due_date: Some(day),
                    due_at: None,
                    overdue: false,
                    route: format!("/{a}/health"),
                }]
            } else {
                Vec::new()
            };
            group(category, items.len() as u64, items)
        }
        HealthReportAbnormal => {
            let q = health::Entity::find()
                .filter(health::Column::Abnormal.eq(true))
                .filter(health::Column::AcknowledgedAt.is_null())
                .order_by_asc(health::Column::Date)
                .order_by_asc(health::Column::CreatedAt);
            let (count, rows) = count_first(db, q).await?;
            let names = user_names(db, rows.iter().map(|h| h.guard_id)).await?;
            let items = rows
                .into_iter()
                .map(|h| TodoItem {
                    id: Some(h.id),
                    title: names.get(&h.guard_id).cloned().unwrap_or_default(),
                    due_date: Some(h.date),
                    due_at: None,
                    overdue: false,
                    route: format!("/{a}/health-reports"),
                })
                .collect();
            group(category, count, items)
        }
        TrafficCheckToSubmit => traffic_checks(db, tz, me, a).await?,
        ExpectedVisitorToday => {
            let q = expected::Entity::find()
                .filter(expected::Column::ExpectedDate.eq(fmt_date(t)))
                .filter(expected::Column::CancelledAt.is_null())
                .filter(expected::Column::VisitorId.is_null())
                .order_by_asc(expected::Column::CreatedAt);
            let (count, rows) = count_first(db, q).await?;
            let items = rows
                .into_iter()
                .map(|e| TodoItem {
                    id: Some(e.id),
                    title: match e.organisation.filter(|o| !o.trim().is_empty()) {
                        Some(o) => format!("{}（{o}）", e.name),
                        None => e.name,
                    },
                    due_date: Some(e.expected_date),
                    due_at: None,
                    overdue: false,
                    route: format!("/{a}/visitors"),
                })
                .collect();
            group(category, count, items)
        }
        AnnouncementUnread => announcements(db, me, a).await?,
        AcknowledgementToSign => {
            let waiting = duties::waiting_for(db, me.id, me.role).await?;
            let count = waiting.len() as u64;
            let items = waiting
                .into_iter()
                .take(FIRST as usize)
                .map(|w| TodoItem {
                    id: Some(w.subject_id),
                    title: w.title,
                    due_date: None,
                    due_at: None,
                    overdue: false,
                    route: format!("/{a}/acknowledge"),
                })
                .collect();
            group(category, count, items)
        }
    })
}

async fn hazards(
    db: &impl ConnectionTrait,
    category: TodoCategory,
    q: Select<hazard::Entity>,
    a: &str,
    t: NaiveDate,
) -> AppResult<TodoGroup> {
    let (count, rows) = count_first(db, q).await?;
    let items = rows
        .into_iter()
        .map(|h| TodoItem {
            id: Some(h.id),
            // The place, not the description: a description is free text.
            title: h.location,
            overdue: h.status == HazardStatus::Assigned && overdue(h.deadline.as_deref(), t),
            due_date: h.deadline,
            due_at: None,
            route: format!("/{a}/hazards/{}", h.id),
        })
        .collect();
    Ok(group(category, count, items))
}

async fn swaps(
    db: &impl ConnectionTrait,
    category: TodoCategory,
    q: Select<swap::Entity>,
    a: &str,
    t: NaiveDate,
) -> AppResult<TodoGroup> {
    let (count, rows) = count_first(db, q).await?;
    let shifts: HashMap<Uuid, shift::Model> = shift::Entity::find()
        .filter(shift::Column::Id.is_in(rows.iter().map(|s| s.shift_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let names = user_names(db, rows.iter().map(|s| s.requester_id)).await?;
    let items = rows
        .into_iter()
        .map(|s| {
            let sh = shifts.get(&s.shift_id);
            TodoItem {
                id: Some(s.id),
                title: names.get(&s.requester_id).cloned().unwrap_or_default(),
                due_date: sh.map(|x| x.date.clone()),
                due_at: sh.map(|x| x.starts_at),
                overdue: overdue(sh.map(|x| x.date.as_str()), t),
                route: format!("/{a}/swaps"),
            }
        })
        .collect();
    Ok(group(category, count, items))
}

/// This week's traffic-safety check of each own class that has no current submission.
async fn traffic_checks(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    me: &CurrentUser,
    a: &str,
) -> AppResult<TodoGroup> {
    let category = TodoCategory::TrafficCheckToSubmit;
    let tpl = template::Entity::find()
        .filter(template::Column::Code.eq(TRAFFIC))
        .filter(template::Column::IsCurrent.eq(true))
        .one(db)
        .await?;
    let Some(freq) = tpl.map(|t| t.frequency) else {
        return Ok(group(category, 0, Vec::new()));
    };
    let period = Period::containing(freq, today(tz));
    let classes = users::own_class_ids(db, me.id, me.role).await?;
    let done: HashSet<Uuid> = submission::Entity::find()
        .filter(submission::Column::TemplateCode.eq(TRAFFIC))
        .filter(submission::Column::Period.eq(period.key()))
        .filter(submission::Column::Slot.eq("self"))
        .filter(submission::Column::IsCurrent.eq(true))
        .filter(submission::Column::ClassId.is_in(classes.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.class_id)
        .collect();
    let missing: Vec<Uuid> = classes.into_iter().filter(|c| !done.contains(c)).collect();
    let names = classes::names(db, missing.iter().copied()).await?;
    let items: Vec<TodoItem> = missing
        .iter()
        .map(|c| TodoItem {
            id: None,
            title: names.get(c).cloned().unwrap_or_default(),
            due_date: Some(fmt_date(period.last)),
            due_at: Some(period.ends_at(&tz)),
            overdue: false,
            route: format!("/{a}/check"),
        })
        .collect();
    let count = items.len() as u64;
    Ok(group(
        category,
        count,
        items.into_iter().take(FIRST as usize).collect(),
    ))
}

/// Announcements to my role (exact role match) that I have not read and did not write.
async fn announcements(
    db: &impl ConnectionTrait,
    me: &CurrentUser,
    a: &str,
) -> AppResult<TodoGroup> {
    let role = me.role.as_str();
    let read_ids: HashSet<Uuid> = read::Entity::find()
        .filter(read::Column::UserId.eq(me.id))
        .select_only()
        .column(read::Column::AnnouncementId)
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // `contains` is a substring match on the space-separated roles: exact match below.
    let unread: Vec<announcement::Model> = announcement::Entity::find()
        .filter(announcement::Column::TargetRoles.contains(role))
        .order_by_desc(announcement::Column::CreatedAt)
        .order_by_desc(announcement::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|x| x.target_roles.split_whitespace().any(|r| r == role))
        .filter(|x| x.created_by != Some(me.id) && !read_ids.contains(&x.id))
        .collect();
    let count = unread.len() as u64;
    let items = unread
        .into_iter()
        .take(FIRST as usize)
        .map(|x| TodoItem {
            id: Some(x.id),
            title: x.title,
            due_date: None,
            due_at: None,
            overdue: false,
            route: format!("/{a}/announcements"),
        })
        .collect();
    Ok(group(TodoCategory::AnnouncementUnread, count, items))
}

async fn user_names(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}
