//! The rules library (安全管理制度): each rule keeps every version; the highest is in force, and
//! publishing one asks the roles named to read and confirm it again.

use super::AckResponse;
use super::rule_pdf::{RulePdf, attach_pdf, rule_pdf};
use crate::auth::extract::Auth;
use crate::auth::roles::{OfficeOrPrincipal, Role, Staff};
use crate::features::duties::acknowledge::{Tally, check_roles, format_roles, parse_roles, tally};
use crate::features::duties::store::{
    acknowledge, asked_by_roles, counts, current_versions, mine, signatures,
};
use crate::features::{attachments, audit};
use crate::infra::clock::{check_date, fmt_date, now};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::state::State;
use crate::schema::duties::{AckSubject, RuleCategory, rule, rule_version};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

fn rule_not_found() -> ApiError {
    ApiError::not_found(ErrorCode::SafetyRuleNotFound, "制度不存在")
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionResponse {
    pub id: Uuid,
    pub rule_id: Uuid,
    /// 1, 2, 3 …
    pub version: i32,
    /// `YYYY-MM-DD`.
    pub effective_on: String,
    pub body: String,
    /// Who must read and confirm it.
    pub reader_roles: Vec<Role>,
    /// What changed from the version before (empty for the first).
    pub change_note: String,
    pub created_at: DateTime<Utc>,
    /// The version in force (the highest); older ones stay readable.
    pub in_force: bool,
    /// When the caller confirmed this version; null if not.
    pub my_confirmed_at: Option<DateTime<Utc>>,
    /// The version as a PDF, when the office attached one (old versions keep theirs).
    pub pdf: Option<RulePdf>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSummary {
    pub id: Uuid,
    pub title: String,
    pub category: RuleCategory,
    /// The version in force.
    pub version: i32,
    pub version_id: Uuid,
    pub effective_on: String,
    pub reader_roles: Vec<Role>,
    /// The caller must read and confirm the version in force.
    pub asked_of_me: bool,
    pub my_confirmed_at: Option<DateTime<Utc>>,
    /// Confirmations of the version in force (the office and the principal; null for others).
    pub confirmed_count: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDetail {
    pub id: Uuid,
    pub title: String,
    pub category: RuleCategory,
    /// Newest first; the first is in force.
    pub versions: Vec<RuleVersionResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RuleQuery {
    pub category: Option<RuleCategory>,
}

/// The rules in force, by title, with the caller's own confirmation.
#[utoipa::path(
    tag = "duties",
    params(RuleQuery),
    responses((status = 200, body = Vec<RuleSummary>), (status = 401, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/safety-rules")]
pub async fn list_rules(
    auth: Auth<Staff>,
    state: State,
    q: web::Query<RuleQuery>,
) -> AppResult<web::Json<Vec<RuleSummary>>> {
    let db = &state.db.conn;
    let me = &auth.user;
    let mut find = rule::Entity::find().order_by_asc(rule::Column::Title);
    if let Some(c) = q.category {
        find = find.filter(rule::Column::Category.eq(c));
    }
    let rules = find.all(db).await?;
    let current = current_versions(db).await?;
    let manager = me.is(Role::SecurityOffice) || me.is(Role::Principal);
    let counted = if manager {
        counts(
            db,
            AckSubject::RuleVersion,
            current.values().map(|v| v.id).collect(),
        )
        .await?
    } else {
        Default::default()
    };
    let confirmed = mine(db, AckSubject::RuleVersion, me.id).await?;
    Ok(web::Json(
        rules
            .into_iter()
            .filter_map(|r| {
                let v = current.get(&r.id)?;
                let roles = parse_roles(&v.reader_roles);
                Some(RuleSummary {
                    asked_of_me: roles.contains(&me.role),
                    my_confirmed_at: confirmed.get(&v.id).copied(),
                    confirmed_count: manager.then(|| counted.get(&v.id).copied().unwrap_or(0)),
                    id: r.id,
                    title: r.title,
                    category: r.category,
                    version: v.version,
                    version_id: v.id,
                    effective_on: v.effective_on.clone(),
                    reader_roles: roles,
                })
            })
            .collect(),
    ))
}

async fn detail(db: &impl ConnectionTrait, id: Uuid, me: Uuid) -> AppResult<RuleDetail> {
    let r = rule::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(rule_not_found)?;
    let confirmed = mine(db, AckSubject::RuleVersion, me).await?;
    let rows = rule_version::Entity::find()
        .filter(rule_version::Column::RuleId.eq(r.id))
        .order_by_desc(rule_version::Column::Version)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|v| v.id).collect();
    let mut pdfs = attachments::pdfs_of(db, attachments::LinkKind::RuleVersion, &ids).await?;
    let versions: Vec<RuleVersionResponse> = rows
        .into_iter()
        .enumerate()
        .map(|(i, v)| RuleVersionResponse {
            pdf: pdfs.remove(&v.id).map(|a| rule_pdf(v.id, &a)),
            in_force: i == 0,
            my_confirmed_at: confirmed.get(&v.id).copied(),
            reader_roles: parse_roles(&v.reader_roles),
            id: v.id,
            rule_id: v.rule_id,
            version: v.version,
            effective_on: v.effective_on,
            body: v.body,
            change_note: v.change_note,
            created_at: v.created_at,
        })
        .collect();
    Ok(RuleDetail {
        id: r.id,
        title: r.title,
        category: r.category,
        versions,
    })
}

/// A rule with every version, newest first (older versions stay readable).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = RuleDetail),
        (status = 404, description = "`safety_rule_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[get("/safety-rules/{id}")]
pub async fn get_rule(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<RuleDetail>> {
    Ok(web::Json(
        detail(&state.db.conn, id.into_inner(), auth.user.id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "门卫工作制度", "category": "gate", "effective_on": "2026-09-01", "body": "一、门卫实行24小时值班制度……", "reader_roles": ["guard", "security_office"], "pdf_id": null}))]
pub struct RuleRequest {
    /// 1–200 characters, unique.
    pub title: String,
    pub category: RuleCategory,
    /// `YYYY-MM-DD`.
    pub effective_on: String,
    /// The rule's text, up to 50000 characters; may be empty when `pdf_id` gives it as a PDF.
    pub body: String,
    /// Staff roles that must read and confirm it.
    pub reader_roles: Vec<Role>,
    /// The rule as a PDF: your upload from `POST /attachments/pdf`.
    pub pdf_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"effective_on": "2027-02-15", "body": "一、门卫实行24小时值班制度,交接班须当面清点……", "reader_roles": ["guard", "security_office"], "change_note": "增加交接班清点要求", "pdf_id": null}))]
pub struct RuleVersionRequest {
    pub effective_on: String,
    /// The text, up to 50000 characters; may be empty when `pdf_id` gives it as a PDF.
    pub body: String,
    pub reader_roles: Vec<Role>,
    /// What changed, 1–1000 characters.
    pub change_note: String,
    /// This version as a PDF: your upload from `POST /attachments/pdf` (a version without one
    /// has none; earlier versions keep theirs).
    pub pdf_id: Option<Uuid>,
}

fn check_version(
    v: &mut Validator,
    effective_on: &str,
    body: &str,
    roles: &[Role],
    pdf: Option<Uuid>,
) -> Option<NaiveDate> {
    // The text or a PDF: one of them.
    v.text("body", body, usize::from(pdf.is_none()), 50000);
    check_roles(v, "reader_roles", roles);
    check_date(v, "effective_on", effective_on)
}

struct NewVersion<'a> {
    rule_id: Uuid,
    version: i32,
    effective_on: NaiveDate,
    body: &'a str,
    roles: &'a [Role],
    change_note: &'a str,
    by: Uuid,
}

async fn insert_version(
    db: &impl ConnectionTrait,
    n: NewVersion<'_>,
) -> AppResult<rule_version::Model> {
    let NewVersion {
        rule_id,
        version,
        effective_on,
        body,
        roles,
        change_note,
        by,
    } = n;
    Ok(rule_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        rule_id: Set(rule_id),
        version: Set(version),
        effective_on: Set(fmt_date(effective_on)),
        body: Set(body.trim().to_owned()),
        reader_roles: Set(format_roles(roles)),
        change_note: Set(change_note.trim().to_owned()),
        created_by: Set(Some(by)),
        created_at: Set(now()),
    }
    .insert(db)
    .await?)
}

/// Add a rule with its first version (the office, the principal); the roles named are asked
/// to read and confirm it.
#[utoipa::path(
    tag = "duties",
    request_body = RuleRequest,
    responses(
        (status = 201, body = RuleDetail),
        (status = 409, description = "`already_exists` (the title)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/safety-rules")]
pub async fn create_rule(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    body: web::Json<RuleRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("title", &b.title, 1, 200);
    let day = check_version(&mut v, &b.effective_on, &b.body, &b.reader_roles, b.pdf_id);
    v.finish()?;
    let day = day.ok_or_else(ApiError::internal)?;
    let t = now();
    let tx = state.db.begin_write().await?;
    let r = rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        title: Set(b.title.trim().to_owned()),
        category: Set(b.category),
        created_at: Set(t),
        updated_at: Set(t),
    }
    .insert(&*tx)
    .await?;
    let ver = insert_version(
        &*tx,
        NewVersion {
            rule_id: r.id,
            version: 1,
            effective_on: day,
            body: &b.body,
            roles: &b.reader_roles,
            change_note: "",
            by: auth.user.id,
        },
    )
    .await?;
    attach_pdf(&*tx, auth.user.id, b.pdf_id, ver.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "safety_rule.create",
        "safety_rule",
        Some(r.id.to_string()),
        json!({"after": {"title": r.title, "category": r.category, "version": 1, "effective_on": ver.effective_on, "reader_roles": ver.reader_roles, "pdf_id": b.pdf_id}}),
    )
    .await?;
    let d = detail(&*tx, r.id, auth.user.id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(d))
}

/// Publish a new version of a rule (the office, the principal). It is in force at once and
/// asks the roles named to read and confirm it again; earlier versions stay readable.
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path)),
    request_body = RuleVersionRequest,
    responses(
        (status = 201, body = RuleDetail),
        (status = 404, description = "`safety_rule_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists` (another version was published at the same moment)", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[post("/safety-rules/{id}/versions")]
pub async fn add_rule_version(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<RuleVersionRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.text("change_note", &b.change_note, 1, 1000);
    let day = check_version(&mut v, &b.effective_on, &b.body, &b.reader_roles, b.pdf_id);
    v.finish()?;
    let day = day.ok_or_else(ApiError::internal)?;
    let tx = state.db.begin_write().await?;
    let r = rule::Entity::find_by_id(id.into_inner())
        .one(&*tx)
        .await?
        .ok_or_else(rule_not_found)?;
    let last = rule_version::Entity::find()
        .filter(rule_version::Column::RuleId.eq(r.id))
        .order_by_desc(rule_version::Column::Version)
        .one(&*tx)
        .await?
        .map_or(0, |v| v.version);
    let ver = insert_version(
        &*tx,
        NewVersion {
            rule_id: r.id,
            version: last + 1,
            effective_on: day,
            body: &b.body,
            roles: &b.reader_roles,
            change_note: &b.change_note,
            by: auth.user.id,
        },
    )
    .await?;
    attach_pdf(&*tx, auth.user.id, b.pdf_id, ver.id).await?;
    let mut a: rule::ActiveModel = r.clone().into();
    a.updated_at = Set(now());
    a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "safety_rule.add_version",
        "safety_rule",
        Some(r.id.to_string()),
        json!({"after": {"version": ver.version, "effective_on": ver.effective_on, "reader_roles": ver.reader_roles, "change_note": ver.change_note, "pdf_id": b.pdf_id}}),
    )
    .await?;
    let d = detail(&*tx, r.id, auth.user.id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(d))
}

async fn find_version(db: &impl ConnectionTrait, id: Uuid) -> AppResult<rule_version::Model> {
    rule_version::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(rule_not_found)
}

/// Confirm having read a rule's version in force (one's own confirmation; the roles it
/// names). Again answers with the first time; a superseded version is `409
/// rule_version_superseded` (read the one in force).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path, description = "the version's id")),
    responses(
        (status = 200, body = AckResponse),
        (status = 403, description = "`not_asked_to_acknowledge`", body = crate::infra::error::Problem),
        (status = 404, description = "`safety_rule_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`rule_version_superseded`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard"]))
)]
#[post("/safety-rule-versions/{id}/confirm")]
pub async fn confirm_rule_version(
    auth: Auth<Staff>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<AckResponse>> {
    let me = &auth.user;
    let tx = state.db.begin_write().await?;
    let v = find_version(&*tx, id.into_inner()).await?;
    let newer = rule_version::Entity::find()
        .filter(rule_version::Column::RuleId.eq(v.rule_id))
        .filter(rule_version::Column::Version.gt(v.version))
        .one(&*tx)
        .await?;
    if newer.is_some() {
        return Err(ApiError::conflict(
            ErrorCode::RuleVersionSuperseded,
            "该版本已被新版本取代,请阅读现行版本",
        ));
    }
    let asked = parse_roles(&v.reader_roles).contains(&me.role);
    let (at, recorded) =
        acknowledge(&*tx, AckSubject::RuleVersion, v.id, me.id, asked, now()).await?;
    if recorded {
        audit::record(
            &*tx,
            me.actor(),
            "safety_rule.confirm",
            "safety_rule",
            Some(v.rule_id.to_string()),
            json!({"after": {"version": v.version, "acknowledged_at": at}}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(web::Json(AckResponse {
        acknowledged_at: at,
        recorded,
    }))
}

/// Who confirmed a rule's version and when, and who has not (the office, the principal).
#[utoipa::path(
    tag = "duties",
    params(("id" = Uuid, Path, description = "the version's id")),
    responses(
        (status = 200, body = Tally),
        (status = 404, description = "`safety_rule_not_found`", body = crate::infra::error::Problem)
    ),
    security(("bearer" = ["security_office", "principal"]))
)]
#[get("/safety-rule-versions/{id}/confirmations")]
pub async fn rule_version_confirmations(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Tally>> {
    let db = &state.db.conn;
    let v = find_version(db, id.into_inner()).await?;
    let asked = asked_by_roles(db, &parse_roles(&v.reader_roles)).await?;
    let given = signatures(db, AckSubject::RuleVersion, v.id).await?;
    Ok(web::Json(tally(asked, &given)))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_rules)
        .service(get_rule)
        .service(create_rule)
        .service(add_rule_version)
        .service(confirm_rule_version)
        .service(rule_version_confirmations)
        .service(super::rule_pdf::get_rule_pdf);
}
