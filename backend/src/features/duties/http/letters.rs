//! The semester's 安全目标责任书: the office writes it, each staff member of the roles named
//! signs it, the office sees who has not.

use super::{AckResponse, record_not_found};
use crate::auth::extract::Auth;
use crate::auth::roles::{OfficeOrPrincipal, Role, Staff};
use crate::features::audit;
use crate::features::duties::acknowledge::{Tally, check_roles, format_roles, parse_roles, tally};
use crate::features::duties::store::{acknowledge, asked_by_roles, counts, mine, signatures};
use crate::features::semesters;
use crate::infra::clock::now;
use crate::infra::error::{AppResult, Validator};
use crate::infra::state::State;
use crate::schema::duties::{AckSubject, letter};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct LetterResponse {
    pub id: Uuid,
    /// The semester's code.
    pub semester: String,
    pub title: String,
    pub body: String,
    /// Who must sign it.
    pub signer_roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    /// The caller is among those who must sign.
    pub asked_of_me: bool,
    /// When the caller signed it; null if not (yet).
    pub my_signed_at: Option<DateTime<Utc>>,
    /// Signatures given (the office and the principal; null for others).
    pub signed_count: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LetterQuery {
    /// A semester's code; all semesters when absent.
    pub semester: Option<String>,
}

/// The responsibility letters, newest first, with the caller's own signature.
#[utoipa::path(
    tag = "duties",
    params(LetterQuery),
    responses((status = 200, body = Vec<LetterResponse>), (status = 401, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/responsibility-letters")]
pub async fn list_letters(
    auth: Auth<Staff>,
    state: State,
    q: web::Query<LetterQuery>,
) -> AppResult<web::Json<Vec<LetterResponse>>> {
    let db = &state.db.conn;
    let me = &auth.user;
    let mut find = letter::Entity::find().order_by_desc(letter::Column::CreatedAt);
    if let Some(s) = q.semester.as_deref() {
        find = find.filter(letter::Column::Semester.eq(s.trim()));
    }
    let rows = find.all(db).await?;
    let manager = me.is(Role::SecurityOffice) || me.is(Role::Principal);
    let counted = if manager {
        counts(db, AckSubject::Letter, rows.iter().map(|l| l.id).collect()).await?
    } else {
        Default::default()
    };
    let signed = mine(db, AckSubject::Letter, me.id).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|l| {
                let roles = parse_roles(&l.signer_roles);
                LetterResponse {
                    asked_of_me: roles.contains(&me.role),
                    my_signed_at: signed.get(&l.id).copied(),
                    signed_count: manager.then(|| counted.get(&l.id).copied().unwrap_or(0)),
                    id: l.id,
                    semester: l.semester,
                    title: l.title,
                    body: l.body,
                    signer_roles: roles,
                    created_at: l.created_at,
                }
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"semester": "2026-2027-1", "title": "2026-2027学年第一学期安全目标责任书", "body": "为落实“谁主管、谁负责”的原则，本人承诺履行本岗位安全职责……", "signer_roles": ["class_teacher", "guard"]}))]
pub struct LetterRequest {
    /// A defined semester's code.
    pub semester: String,
    /// 1–200 characters.
    pub title: String,
    /// 1–20000 characters.
    pub body: String,
    /// Staff roles that must sign (not `safety_officer`).
    pub signer_roles: Vec<Role>,
}

/// Issue a semester's responsibility letter (the office, the principal): every active staff
/// member of the roles named is asked to sign it.
#[utoipa::path(
    tag = "duties",
    request_body = LetterRequest,
    responses(
        (status = 201, body = LetterResponse),
        (status = 422, description = "invalid fields, or `semester` not defined", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/responsibility-letters")]
pub async fn create_letter(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<LetterRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("title", &b.title, 1, 200);
    v.text("body", &b.body, 1, 20000);
    check_roles(&mut v, "signer_roles", &b.signer_roles);
    if v.is_empty()
        && semesters::by_code(&state.db.conn, &b.semester)
            .await?
            .is_none()
    {
        v.add("semester", "unknown", "没有这个学期:请先在“学期”中设置");
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let l = letter::ActiveModel {
        id: Set(Uuid::now_v7()),
        semester: Set(b.semester.trim().to_owned()),
        title: Set(b.title.trim().to_owned()),
        body: Set(b.body.trim().to_owned()),
        signer_roles: Set(format_roles(&b.signer_roles)),
        created_by: Set(Some(auth.user.id)),
        created_at: Set(now()),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "responsibility_letter.create",
        "responsibility_letter",
        Some(l.id.to_string()),
        json!({"after": {"semester": l.semester, "title": l.title, "signer_roles": l.signer_roles}}),
    )
    .await?;
    tx.commit().await?;
    let roles = parse_roles(&l.signer_roles);
    Ok(HttpResponse::Created().json(LetterResponse {
        asked_of_me: roles.contains(&auth.user.role),
        my_signed_at: None,
        signed_count: Some(0),
        id: l.id,
        semester: l.semester,
        title: l.title,
        body: l.body,
        signer_roles: roles,
        created_at: l.created_at,
    }))
}

async fn find(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> AppResult<letter::Model> {
    letter::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(record_not_found)
}

/// Who signed a letter and when, and who has not (the office, the principal).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Tally),
        (status = 404, description = "`duty_record_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/responsibility-letters/{id}/signatures")]
pub async fn letter_signatures(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Tally>> {
    let db = &state.db.conn;
    let l = find(db, id.into_inner()).await?;
    let asked = asked_by_roles(db, &parse_roles(&l.signer_roles)).await?;
    let given = signatures(db, AckSubject::Letter, l.id).await?;
    Ok(web::Json(tally(asked, &given)))
}

/// Sign a letter (one's own signature; those of the roles named). Signing again answers with
/// the first time and records nothing; `403 not_asked_to_acknowledge` for others.
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = AckResponse),
        (status = 403, description = "`not_asked_to_acknowledge`", body = crate::infra::error::Problem),
        (status = 404, description = "`duty_record_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/responsibility-letters/{id}/sign")]
pub async fn sign_letter(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<AckResponse>> {
    let me = &auth.user;
    let tx = state.db.begin_write().await?;
    let l = find(&*tx, id.into_inner()).await?;
    let asked = parse_roles(&l.signer_roles).contains(&me.role);
    let (at, recorded) = acknowledge(&*tx, AckSubject::Letter, l.id, me.id, asked, now()).await?;
    if recorded {
        audit::record(
            &*tx,
            me.actor(),
            "responsibility_letter.sign",
            "responsibility_letter",
            Some(l.id.to_string()),
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
    cfg.service(list_letters)
        .service(create_letter)
        .service(letter_signatures)
        .service(sign_letter);
}
