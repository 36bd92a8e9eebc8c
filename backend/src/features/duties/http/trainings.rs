//! Guard training sessions (门卫培训): the office records one with its attendees; each
//! attendee signs it off; a guard sees own sessions only.

use super::AckResponse;
use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{OfficeOrPrincipal, Role, TrainingReaders};
use crate::features::audit;
use crate::features::duties::acknowledge::{ASKABLE, Tally, tally};
use crate::features::duties::store::{acknowledge, attendee_ids, counts, mine, people, signatures};
use crate::infra::clock::{check_date, fmt_date, now};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use crate::schema::duties::{AckSubject, TrainingKind, attendee, training};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn not_found() -> ApiError {
    ApiError::not_found(ErrorCode::TrainingNotFound, "培训记录不存在")
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingResponse {
    pub id: Uuid,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub kind: TrainingKind,
    pub title: String,
    pub trainer: String,
    pub content: String,
    pub attendee_count: u64,
    pub signed_count: u64,
    /// The caller attended (is on the list).
    pub asked_of_me: bool,
    /// When the caller signed it off; null if not.
    pub my_signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingDetail {
    #[serde(flatten)]
    pub training: TrainingResponse,
    /// The attendees' sign-offs (the office and the principal; null for a guard, who sees
    /// only own).
    pub sign_offs: Option<Tally>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TrainingQuery {
    /// From this date (`YYYY-MM-DD`), inclusive.
    pub from: Option<String>,
    /// To this date, inclusive.
    pub to: Option<String>,
}

fn manager(me: &CurrentUser) -> bool {
    me.is(Role::SecurityOffice) || me.is(Role::Principal)
}

/// Training sessions, latest first: all for the office and the principal, own for a guard.
#[utoipa::path(
    tag = "duties",
    params(TrainingQuery),
    responses(
        (status = 200, body = Vec<TrainingResponse>),
        (status = 401, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/guard-trainings")]
pub async fn list_trainings(
    auth: Auth<TrainingReaders>,
    state: State,
    q: web::Query<TrainingQuery>,
) -> AppResult<web::Json<Vec<TrainingResponse>>> {
    crate::infra::clock::check_date_range(q.from.as_deref(), q.to.as_deref())?;
    let db = &state.db.conn;
    let me = &auth.user;
    let mut find = training::Entity::find()
        .order_by_desc(training::Column::Date)
        .order_by_desc(training::Column::CreatedAt);
    if let Some(f) = q.from.as_deref() {
        find = find.filter(training::Column::Date.gte(f));
    }
    if let Some(t) = q.to.as_deref() {
        find = find.filter(training::Column::Date.lte(t));
    }
    let mine_attended: HashSet<Uuid> = attendee::Entity::find()
        .filter(attendee::Column::UserId.eq(me.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.training_id)
        .collect();
    if !manager(me) {
        find = find.filter(training::Column::Id.is_in(mine_attended.iter().copied()));
    }
    let rows = find.all(db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
    let signed = counts(db, AckSubject::Training, ids.clone()).await?;
    let mut sizes = std::collections::HashMap::new();
    if !ids.is_empty() {
        for a in attendee::Entity::find()
            .filter(attendee::Column::TrainingId.is_in(ids))
            .all(db)
            .await?
        {
            *sizes.entry(a.training_id).or_insert(0u64) += 1;
        }
    }
    let my = mine(db, AckSubject::Training, me.id).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|t| TrainingResponse {
                attendee_count: sizes.get(&t.id).copied().unwrap_or(0),
                signed_count: signed.get(&t.id).copied().unwrap_or(0),
                asked_of_me: mine_attended.contains(&t.id),
                my_signed_at: my.get(&t.id).copied(),
                id: t.id,
                date: t.date,
                kind: t.kind,
                title: t.title,
                trainer: t.trainer,
                content: t.content,
            })
            .collect(),
    ))
}

async fn detail(
    db: &impl ConnectionTrait,
    t: training::Model,
    me: &CurrentUser,
) -> AppResult<TrainingDetail> {
    let ids = attendee_ids(db, t.id).await?;
    let asked_of_me = ids.contains(&me.id);
    let given = signatures(db, AckSubject::Training, t.id).await?;
    let my_signed_at = given.get(&me.id).map(|(_, at)| *at);
    let attendees: Vec<_> = people(db, ids).await?.into_values().collect();
    let (attendee_count, signed_count) = (attendees.len() as u64, given.len() as u64);
    let sign_offs = manager(me).then(|| tally(attendees, &given));
    Ok(TrainingDetail {
        training: TrainingResponse {
            id: t.id,
            date: t.date,
            kind: t.kind,
            title: t.title,
            trainer: t.trainer,
            content: t.content,
            attendee_count,
            signed_count,
            asked_of_me,
            my_signed_at,
        },
        sign_offs,
    })
}

/// One session with its sign-offs (a guard: own sessions only, without the others' names).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TrainingDetail),
        (status = 404, description = "`training_not_found` (also a guard's request for a session not attended)", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[get("/guard-trainings/{id}")]
pub async fn get_training(
    auth: Auth<TrainingReaders>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<TrainingDetail>> {
    let db = &state.db.conn;
    let t = training::Entity::find_by_id(id.into_inner())
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let d = detail(db, t, &auth.user).await?;
    if !manager(&auth.user) && !d.training.asked_of_me {
        return Err(not_found());
    }
    Ok(web::Json(d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-11-20", "kind": "extinguisher", "title": "灭火器实操培训", "trainer": "消防大队 王教官", "content": "干粉灭火器的检查与使用:一拔二握三压。", "attendee_ids": ["0190f5a0-0000-7000-8000-000000000001"]}))]
pub struct TrainingRequest {
    pub date: String,
    pub kind: TrainingKind,
    /// 1–200 characters.
    pub title: String,
    /// 1–100 characters.
    pub trainer: String,
    /// What was taught, 1–10000 characters.
    pub content: String,
    /// Active staff accounts (usually the guards), 1–200.
    pub attendee_ids: Vec<Uuid>,
}

/// Record a training session with its attendees (the office, the principal); each attendee
/// is asked to sign it off.
#[utoipa::path(
    tag = "duties",
    request_body = TrainingRequest,
    responses(
        (status = 201, body = TrainingDetail),
        (status = 422, description = "invalid fields, or an attendee who is not an active staff account", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/guard-trainings")]
pub async fn create_training(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<TrainingRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    let day = check_date(&mut v, "date", &b.date);
    v.text("title", &b.title, 1, 200);
    v.text("trainer", &b.trainer, 1, 100);
    v.text("content", &b.content, 1, 10000);
    let ids: Vec<Uuid> = {
        let mut seen = HashSet::new();
        b.attendee_ids
            .iter()
            .copied()
            .filter(|id| seen.insert(*id))
            .collect()
    };
    if ids.is_empty() || ids.len() > 200 {
        v.add("attendee_ids", "invalid", "参训人员须为 1–200 人");
    } else {
        let found = people(&state.db.conn, ids.clone()).await?;
        let active = crate::features::duties::store::asked_by_roles(&state.db.conn, &ASKABLE)
            .await?
            .into_iter()
            .map(|p| p.user_id)
            .collect::<HashSet<_>>();
        if ids
            .iter()
            .any(|id| !found.contains_key(id) || !active.contains(id))
        {
            v.add("attendee_ids", "unknown", "参训人员须为在职教职工账号");
        }
    }
    v.finish()?;
    let day = day.ok_or_else(ApiError::internal)?;
    let tx = state.db.begin_write().await?;
    let t = training::ActiveModel {
        id: Set(Uuid::now_v7()),
        date: Set(fmt_date(day)),
        kind: Set(b.kind),
        title: Set(b.title.trim().to_owned()),
        trainer: Set(b.trainer.trim().to_owned()),
        content: Set(b.content.trim().to_owned()),
        created_by: Set(Some(auth.user.id)),
        created_at: Set(now()),
    }
    .insert(&*tx)
    .await?;
    attendee::Entity::insert_many(ids.iter().map(|&user_id| attendee::ActiveModel {
        training_id: Set(t.id),
        user_id: Set(user_id),
    }))
    .exec(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "guard_training.create",
        "guard_training",
        Some(t.id.to_string()),
        json!({"after": {"date": t.date, "kind": t.kind, "title": t.title, "trainer": t.trainer, "attendees": ids.len()}}),
    )
    .await?;
    let d = detail(&*tx, t, &auth.user).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(d))
}

/// Sign off a session one attended (own sign-off). Again answers with the first time;
/// `403 not_asked_to_acknowledge` for someone not on the list.
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = AckResponse),
        (status = 403, description = "`not_asked_to_acknowledge`", body = crate::infra::error::Problem),
        (status = 404, description = "`training_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "guard"]))
)]
#[post("/guard-trainings/{id}/sign")]
pub async fn sign_training(
    auth: Auth<TrainingReaders>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<AckResponse>> {
    let me = &auth.user;
    let tx = state.db.begin_write().await?;
    let t = training::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(not_found)?;
    let asked = attendee_ids(&*tx, t.id).await?.contains(&me.id);
    if !asked && !manager(me) {
        // A guard learns nothing of sessions not attended.
        return Err(not_found());
    }
    let (at, recorded) = acknowledge(&*tx, AckSubject::Training, t.id, me.id, asked, now()).await?;
    if recorded {
        audit::record(
            &*tx,
            me.actor(),
            "guard_training.sign",
            "guard_training",
            Some(t.id.to_string()),
            json!({"after": {"acknowledged_at": at}}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(web::Json(AckResponse {
        acknowledged_at: at,
        recorded,
    }))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_trainings)
        .service(get_training)
        .service(create_training)
        .service(sign_training);
}
