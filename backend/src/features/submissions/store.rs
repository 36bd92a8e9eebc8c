//! Report queries: the rows of reports sent, and what a report is about (a roster with its
//! shifts, a plan item with its plan and evidence).

use super::message::{EvidenceLine, ShiftLine};
use crate::features::duty;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::duty::{Post, RosterStatus};
use crate::schema::plans::{evidence, item, plan};
use crate::schema::report_sends::{ReportSubject, report_send};
use crate::schema::users as user;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub struct NewReport<'a> {
    pub subject_kind: ReportSubject,
    pub subject_id: Uuid,
    pub channel_id: Uuid,
    pub channel_name: &'a str,
    pub delivery_id: Uuid,
    pub event_id: Uuid,
    pub link_token_hash: Option<String>,
    pub link_expires_at: Option<DateTime<Utc>>,
    pub sent_by: Uuid,
    pub sent_at: DateTime<Utc>,
}

pub async fn insert(db: &impl ConnectionTrait, r: NewReport<'_>) -> AppResult<report_send::Model> {
    Ok(report_send::ActiveModel {
        id: Set(Uuid::now_v7()),
        subject_kind: Set(r.subject_kind),
        subject_id: Set(r.subject_id),
        channel_id: Set(r.channel_id),
        channel_name: Set(r.channel_name.to_owned()),
        delivery_id: Set(r.delivery_id),
        event_id: Set(r.event_id),
        link_token_hash: Set(r.link_token_hash),
        link_expires_at: Set(r.link_expires_at),
        sent_by: Set(r.sent_by),
        sent_at: Set(r.sent_at),
    }
    .insert(db)
    .await?)
}

/// The reports of one roster or item, newest first.
pub async fn of_subject(
    db: &impl ConnectionTrait,
    kind: ReportSubject,
    id: Uuid,
) -> AppResult<Vec<report_send::Model>> {
    Ok(report_send::Entity::find()
        .filter(report_send::Column::SubjectKind.eq(kind))
        .filter(report_send::Column::SubjectId.eq(id))
        .order_by_desc(report_send::Column::SentAt)
        .order_by_desc(report_send::Column::Id)
        .all(db)
        .await?)
}

/// The report a link token belongs to, while the link is valid.
pub async fn by_link(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<report_send::Model> {
    let hash = crate::infra::util::sha256_hex(token.trim());
    report_send::Entity::find()
        .filter(report_send::Column::LinkTokenHash.eq(hash))
        .one(db)
        .await?
        .filter(|r| r.link_expires_at.is_some_and(|until| until > now))
        .ok_or_else(|| ApiError::not_found(ErrorCode::ReportLinkNotFound, "报送链接不存在或已过期"))
}

pub async fn user_name(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<String>> {
    Ok(user::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|u| u.display_name))
}

fn post_label(p: Post) -> &'static str {
    match p {
        Post::LeaderOnCall => "值班领导",
        Post::DutyTeacher => "值班教师",
        Post::Guard => "保安",
    }
}

pub struct RosterFacts {
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    pub shifts: Vec<ShiftLine>,
}

/// A roster to report: `404 roster_not_found`, or `409 roster_not_published` for a draft (a
/// draft may still change; the hand mark stays for what is reported on paper).
pub async fn roster(db: &impl ConnectionTrait, id: Uuid) -> AppResult<RosterFacts> {
    let exists = crate::schema::duty::roster::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::RosterNotFound, "值班表不存在"))?;
    if exists.status != RosterStatus::Published {
        return Err(ApiError::conflict(
            ErrorCode::RosterNotPublished,
            "值班表尚未发布,发布后才能报送",
        ));
    }
    let r = duty::published_roster(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::RosterNotFound, "值班表不存在"))?;
    Ok(RosterFacts {
        title: r.summary.title,
        start_date: r.summary.start_date,
        end_date: r.summary.end_date,
        shifts: r
            .shifts
            .into_iter()
            .map(|s| ShiftLine {
                leader: s.post == Post::LeaderOnCall,
                post: post_label(s.post),
                date: s.date,
                start_time: s.start_time,
                end_time: s.end_time,
                name: s.user_name,
                phone: s.phone,
                note: s.note,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                id: s.id,
            })
            .collect(),
    })
}

pub struct ItemFacts {
    pub item: item::Model,
    pub plan: plan::Model,
    pub owner: Option<String>,
    pub evidence: Vec<EvidenceLine>,
}

pub async fn plan_item(db: &impl ConnectionTrait, id: Uuid) -> AppResult<ItemFacts> {
    let it = item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PlanItemNotFound, "计划事项不存在"))?;
    let p = plan::Entity::find_by_id(it.plan_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::PlanNotFound, "工作计划不存在"))?;
    let owner = match it.owner_id {
        Some(o) => user_name(db, o).await?,
        None => None,
    };
    let evidence = evidence::Entity::find()
        .filter(evidence::Column::ItemId.eq(it.id))
        .order_by_asc(evidence::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EvidenceLine {
            kind: e.entity_type,
            note: e.note,
            created_at: e.created_at,
        })
        .collect();
    Ok(ItemFacts {
        item: it,
        plan: p,
        owner,
        evidence,
    })
}
