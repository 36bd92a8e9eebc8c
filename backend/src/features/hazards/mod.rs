//! Hazards (隐患): reported by anyone or raised by failed inspection items, then assigned
//! (owner, deadline), rectified, and verified (closed) or sent back; every step kept.

pub use crate::schema::hazards as model;

use crate::auth::extract::{Auth, CurrentUser};
use crate::auth::roles::{AnyUser, Office, OfficeOrPrincipal, Role};
use crate::features::attachments::{self, LINK_HAZARD, MAX_PER_FIELD};
use crate::features::audit;
use crate::features::inspections::period;
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use crate::schema::users as user;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use model::{event, hazard};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const CATEGORIES: &[&str] = &[
    "traffic",
    "fire",
    "security",
    "facility",
    "electrical",
    "food",
    "other",
];

/// Every status a hazard can be in, in workflow order.
pub const STATUSES: &[&str] = &[REPORTED, ASSIGNED, RECTIFIED, CLOSED];

const REPORTED: &str = "reported";
const ASSIGNED: &str = "assigned";
const RECTIFIED: &str = "rectified";
const CLOSED: &str = "closed";

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardResponse {
    pub id: Uuid,
    /// `traffic`, `fire`, `security`, `facility`, `electrical`, `food` or `other`.
    pub category: String,
    pub location: String,
    pub description: String,
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    /// The class was named by someone other than its teacher or the office: not counted for
    /// the class until the office confirms (`POST /hazards/{id}/class-attribution`).
    pub class_pending: bool,
    /// `report`, `inspection` (a failed checklist item) or `fire_equipment` (a failed or
    /// expired fire-equipment item).
    pub source: String,
    pub submission_id: Option<Uuid>,
    pub item_key: Option<String>,
    pub photo_ids: Vec<Uuid>,
    /// `reported` → `assigned` → `rectified` → `closed` (or sent back to `assigned`).
    pub status: String,
    pub reported_by: Uuid,
    pub reported_by_name: String,
    pub reported_at: DateTime<Utc>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    /// Local date.
    pub deadline: Option<String>,
    pub is_overdue: bool,
    pub rectified_by: Option<Uuid>,
    pub rectified_at: Option<DateTime<Utc>>,
    pub rectification: Option<String>,
    pub rectification_photo_ids: Vec<Uuid>,
    pub verified_by: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardEventResponse {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Uuid,
    pub actor_name: String,
    /// `report`, `assign`, `reassign`, `rectify`, `close`, `send_back`,
    /// `class_confirm`, `class_reject` (the office's decision on a pending class).
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardDetail {
    #[serde(flatten)]
    pub hazard: HazardResponse,
    /// Every step, oldest first.
    pub history: Vec<HazardEventResponse>,
}

fn ids_of(s: &str) -> Vec<Uuid> {
    serde_json::from_str(s).unwrap_or_default()
}

fn is_overdue(h: &hazard::Model, today: NaiveDate) -> bool {
    h.status == ASSIGNED
        && h.deadline
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|d| d < today)
}

async fn to_responses(
    db: &impl ConnectionTrait,
    rows: Vec<hazard::Model>,
    today: NaiveDate,
) -> AppResult<Vec<HazardResponse>> {
    let mut uids: Vec<Uuid> = rows.iter().map(|h| h.reported_by).collect();
    uids.extend(rows.iter().filter_map(|h| h.owner_id));
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(uids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let cls = crate::features::classes::names(db, rows.iter().filter_map(|h| h.class_id)).await?;
    Ok(rows
        .into_iter()
        .map(|h| HazardResponse {
            is_overdue: is_overdue(&h, today),
            class_pending: h.class_pending,
            class_name: h.class_id.and_then(|c| cls.get(&c).cloned()),
            reported_by_name: names.get(&h.reported_by).cloned().unwrap_or_default(),
            owner_name: h.owner_id.and_then(|o| names.get(&o).cloned()),
            photo_ids: ids_of(&h.photo_ids),
            rectification_photo_ids: ids_of(&h.rectification_photo_ids),
            id: h.id,
            category: h.category,
            location: h.location,
            description: h.description,
            class_id: h.class_id,
            source: h.source,
            submission_id: h.submission_id,
            item_key: h.item_key,
            status: h.status,
            reported_by: h.reported_by,
            reported_at: h.reported_at,
            owner_id: h.owner_id,
            deadline: h.deadline,
            rectified_by: h.rectified_by,
            rectified_at: h.rectified_at,
            rectification: h.rectification,
            verified_by: h.verified_by,
            closed_at: h.closed_at,
            updated_at: h.updated_at,
        })
        .collect())
}

/// Whether `u` may attribute a record (hazard, incident) to `class_id` with effect at once:
/// the office, or the class's own teacher. Anyone else's attribution is pending until the
/// office confirms it, so nobody can lower another class's assessment.
pub async fn attributes_directly(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    class_id: Uuid,
) -> AppResult<bool> {
    Ok(match u.role {
        Role::SecurityOffice => true,
        Role::ClassTeacher => crate::features::users::own_class_ids(db, u.id, u.role)
            .await?
            .contains(&class_id),
        _ => false,
    })
}

/// The office's decision on a pending class attribution.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributionDecision {
    /// `true` confirms the class (the record then counts for it); `false` removes the class.
    pub accept: bool,
}

pub fn not_pending() -> ApiError {
    ApiError::conflict(
        ErrorCode::AttributionNotPending,
        "该记录没有待确认的班级归属",
    )
}

/// The office and the principal see every hazard; others those they reported, own or
/// rectified, their own classes' (class teachers, safety officers), and guards those not
/// tied to a class.
async fn visibility(db: &impl ConnectionTrait, u: &CurrentUser) -> AppResult<Option<Condition>> {
    if matches!(u.role, Role::SecurityOffice | Role::Principal) {
        return Ok(None);
    }
    let mut c = Condition::any()
        .add(hazard::Column::ReportedBy.eq(u.id))
        .add(hazard::Column::OwnerId.eq(u.id))
        .add(hazard::Column::RectifiedBy.eq(u.id));
    match u.role {
        Role::ClassTeacher | Role::SafetyOfficer => {
            let own = crate::features::users::own_class_ids(db, u.id, u.role).await?;
            c = c.add(hazard::Column::ClassId.is_in(own));
        }
        Role::Guard => c = c.add(hazard::Column::ClassId.is_null()),
        _ => {}
    }
    Ok(Some(c))
}

pub async fn may_view_hazard(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    h: &hazard::Model,
) -> AppResult<bool> {
    Ok(match visibility(db, u).await? {
        None => true,
        Some(cond) => hazard::Entity::find_by_id(h.id)
            .filter(cond)
            .one(db)
            .await?
            .is_some(),
    })
}

/// Whether the user may see a hazard showing this photo (a failed item's photo is shown on
/// the hazard it raised, whose owner may not see the class's check itself).
pub async fn may_view_hazard_with_photo(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    photo_id: Uuid,
) -> AppResult<bool> {
    let mut select =
        hazard::Entity::find().filter(hazard::Column::PhotoIds.contains(photo_id.to_string()));
    if let Some(c) = visibility(db, u).await? {
        select = select.filter(c);
    }
    Ok(select.one(db).await?.is_some())
}

pub async fn may_view_hazard_id(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    id: Uuid,
) -> AppResult<bool> {
    match hazard::Entity::find_by_id(id).one(db).await? {
        Some(h) => may_view_hazard(db, u, &h).await,
        None => Ok(false),
    }
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<hazard::Model> {
    hazard::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::HazardNotFound, "隐患不存在"))
}

#[allow(clippy::too_many_arguments)]
async fn add_event(
    db: &impl ConnectionTrait,
    hazard_id: Uuid,
    actor: Uuid,
    action: &str,
    from: Option<&str>,
    to: &str,
    note: Option<String>,
    details: serde_json::Value,
) -> AppResult<()> {
    event::ActiveModel {
        id: Set(Uuid::now_v7()),
        hazard_id: Set(hazard_id),
        at: Set(crate::infra::util::now()),
        actor_id: Set(actor),
        action: Set(action.into()),
        from_status: Set(from.map(str::to_owned)),
        to_status: Set(to.into()),
        note: Set(note),
        details: Set(details.to_string()),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub struct FromInspection {
    pub category: &'static str,
    pub location: String,
    pub description: String,
    pub class_id: Option<Uuid>,
    pub submission_id: Uuid,
    pub item_key: String,
    pub photo_ids: Vec<Uuid>,
}

/// What every new hazard starts with; owner, deadline and rectification come later in the
/// workflow.
struct NewHazard {
    id: Uuid,
    category: String,
    location: String,
    description: String,
    class_id: Option<Uuid>,
    /// `report`, `inspection`, `fire_equipment`, …
    source: String,
    class_pending: bool,
    submission_id: Option<Uuid>,
    item_key: Option<String>,
    photo_ids: Vec<Uuid>,
}

/// The one place a hazard row is created, inside the caller's transaction: the row in
/// `reported`, its first history step (with `history`) and its audit entry (`audit_details`).
async fn insert_reported(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    h: NewHazard,
    history: serde_json::Value,
    audit_details: serde_json::Value,
) -> AppResult<hazard::Model> {
    let now = crate::infra::util::now();
    let row = hazard::ActiveModel {
        id: Set(h.id),
        category: Set(h.category),
        location: Set(h.location),
        description: Set(h.description),
        class_id: Set(h.class_id),
        source: Set(h.source),
        submission_id: Set(h.submission_id),
        item_key: Set(h.item_key),
        photo_ids: Set(json!(h.photo_ids).to_string()),
        status: Set(REPORTED.into()),
        reported_by: Set(u.id),
        reported_at: Set(now),
        owner_id: Set(None),
        deadline: Set(None),
        assigned_by: Set(None),
        assigned_at: Set(None),
        rectified_by: Set(None),
        rectified_at: Set(None),
        rectification: Set(None),
        rectification_photo_ids: Set("[]".into()),
        verified_by: Set(None),
        closed_at: Set(None),
        updated_at: Set(now),
        class_pending: Set(h.class_pending),
    }
    .insert(db)
    .await?;
    add_event(db, row.id, u.id, "report", None, REPORTED, None, history).await?;
    audit::record(
        db,
        u.actor(),
        "hazard.report",
        "hazard",
        Some(row.id.to_string()),
        audit_details,
    )
    .await?;
    Ok(row)
}

/// A hazard raised by a failed inspection item, inside the submission's transaction.
pub async fn create_from_inspection(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    f: FromInspection,
) -> AppResult<Uuid> {
    let history =
        json!({"source": "inspection", "submission_id": f.submission_id, "item_key": f.item_key});
    let audit_details = json!({"source": "inspection", "submission_id": f.submission_id, "item_key": f.item_key, "category": f.category});
    let h = NewHazard {
        id: Uuid::now_v7(),
        category: f.category.into(),
        location: f.location.chars().take(100).collect(),
        description: f.description,
        class_id: f.class_id,
        source: "inspection".into(),
        // The inspections flow checked who may submit for the class (own class, or the
        // duty teacher's spot-check, which the assessment counts on its own).
        class_pending: false,
        submission_id: Some(f.submission_id),
        item_key: Some(f.item_key),
        photo_ids: f.photo_ids,
    };
    Ok(insert_reported(db, u, h, history, audit_details).await?.id)
}

/// A hazard raised by another module's record (e.g. a failed fire-equipment check).
pub struct FromSource {
    pub category: &'static str,
    /// Stored as the hazard's `source`, e.g. `fire_equipment`.
    pub source: &'static str,
    pub location: String,
    pub description: String,
    pub photo_ids: Vec<Uuid>,
    /// What raised it, kept in the hazard's first history step and the audit row.
    pub details: serde_json::Value,
}

/// Raises a hazard with the given id inside the caller's transaction (the caller may have
/// reserved the id to make raising idempotent).
pub async fn create_from_source(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    id: Uuid,
    f: FromSource,
) -> AppResult<Uuid> {
    let mut history = f.details;
    if let Some(o) = history.as_object_mut() {
        o.insert("source".into(), json!(f.source));
    }
    let mut audit_details = history.clone();
    if let Some(o) = audit_details.as_object_mut() {
        o.insert("category".into(), json!(f.category));
    }
    let h = NewHazard {
        id,
        category: f.category.into(),
        location: f.location.chars().take(100).collect(),
        description: f.description,
        class_id: None,
        source: f.source.into(),
        class_pending: false,
        submission_id: None,
        item_key: None,
        photo_ids: f.photo_ids,
    };
    Ok(insert_reported(db, u, h, history, audit_details).await?.id)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportHazardRequest {
    pub category: String,
    /// e.g. `教学楼A 三楼东侧楼梯`.
    pub location: String,
    pub description: String,
    /// The class it concerns, if any (its class teacher will see it).
    pub class_id: Option<Uuid>,
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

fn check_photos(v: &mut Validator, field: &str, ids: &[Uuid]) {
    if ids.len() > MAX_PER_FIELD {
        v.add(field, "too_many", "最多 9 张图片");
    }
}

/// Checks a hazard report (`422` with field errors).
pub fn validate_report(body: &ReportHazardRequest) -> AppResult<()> {
    let mut v = Validator::new();
    if !CATEGORIES.contains(&body.category.as_str()) {
        v.add("category", "invalid", "类别无效");
    }
    v.text("location", &body.location, 1, 100);
    v.text("description", &body.description, 1, 2000);
    check_photos(&mut v, "attachment_ids", &body.attachment_ids);
    v.finish()
}

/// Records a (validated) hazard report inside the caller's write transaction: the hazard,
/// its photos, its first history step (with `details`, e.g. the patrol it came from) and the
/// audit row. Used by `POST /hazards` and by patrols reporting a hazard on the spot.
pub async fn report_in_tx(
    db: &impl ConnectionTrait,
    u: &CurrentUser,
    body: ReportHazardRequest,
    details: serde_json::Value,
) -> AppResult<hazard::Model> {
    let mut class_pending = false;
    if let Some(cid) = body.class_id {
        crate::features::classes::find(db, cid).await?;
        class_pending = !attributes_directly(db, u, cid).await?;
    }
    let id = Uuid::now_v7();
    attachments::claim(
        db,
        u.id,
        &body.attachment_ids,
        LINK_HAZARD,
        id,
        "attachment_ids",
    )
    .await?;
    let location = body.location.trim().to_owned();
    let mut audit_details = json!({"source": "report", "category": body.category, "location": location, "class_id": body.class_id, "class_pending": class_pending, "photos": body.attachment_ids.len()});
    if let (Some(a), Some(d)) = (audit_details.as_object_mut(), details.as_object()) {
        for (k, val) in d {
            a.entry(k.clone()).or_insert(val.clone());
        }
    }
    let h = NewHazard {
        id,
        category: body.category,
        location,
        description: body.description.trim().to_owned(),
        class_id: body.class_id,
        source: "report".into(),
        class_pending,
        submission_id: None,
        item_key: None,
        photo_ids: body.attachment_ids,
    };
    insert_reported(db, u, h, details, audit_details).await
}

/// Report a hazard. Anyone signed in may, student safety officers included.
#[utoipa::path(
    tag = "hazards",
    request_body = ReportHazardRequest,
    responses(
        (status = 201, body = HazardResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/hazards")]
pub async fn report_hazard(
    auth: Auth<AnyUser>,
    state: State,
    body: web::Json<ReportHazardRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let u = &auth.user;
    validate_report(&body)?;
    let tx = state.db.begin_write().await?;
    let row = report_in_tx(&*tx, u, body, json!({"source": "report"})).await?;
    let today = period::today(&state.tz);
    let resp = to_responses(&*tx, vec![row], today)
        .await?
        .pop()
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(resp))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HazardQuery {
    pub status: Option<String>,
    pub category: Option<String>,
    pub class_id: Option<Uuid>,
    /// `true`: only those whose class awaits the office's confirmation.
    pub class_pending: Option<bool>,
    pub owner_id: Option<Uuid>,
    /// Only assigned hazards past their deadline.
    pub overdue: Option<bool>,
    /// Only hazards not closed yet (the dashboard's 未销号隐患 figure).
    pub open: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Hazards the caller may see, newest first.
#[utoipa::path(
    tag = "hazards",
    params(HazardQuery),
    responses(
        (status = 200, body = Page<HazardResponse>),
        (status = 400, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/hazards")]
pub async fn list_hazards(
    auth: Auth<AnyUser>,
    state: State,
    query: web::Query<HazardQuery>,
) -> AppResult<web::Json<Page<HazardResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let today = period::today(&state.tz);
    let mut select = hazard::Entity::find();
    if let Some(c) = visibility(db, &auth.user).await? {
        select = select.filter(c);
    }
    // Closed sets (stated as enums in the spec): a typo is an error, not an empty list.
    if let Some(v) = q.status {
        if !STATUSES.contains(&v.as_str()) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                "status 须为 reported、assigned、rectified 或 closed",
            ));
        }
        select = select.filter(hazard::Column::Status.eq(v));
    }
    if let Some(v) = q.category {
        if !CATEGORIES.contains(&v.as_str()) {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidQuery,
                "category 无效",
            ));
        }
        select = select.filter(hazard::Column::Category.eq(v));
    }
    if let Some(v) = q.class_id {
        select = select.filter(hazard::Column::ClassId.eq(v));
    }
    if let Some(v) = q.owner_id {
        select = select.filter(hazard::Column::OwnerId.eq(v));
    }
    if q.open == Some(true) {
        select = select.filter(hazard::Column::Status.ne(CLOSED));
    }
    if let Some(v) = q.class_pending {
        select = select.filter(hazard::Column::ClassPending.eq(v));
    }
    if q.overdue == Some(true) {
        select = select
            .filter(hazard::Column::Status.eq(ASSIGNED))
            .filter(hazard::Column::Deadline.lt(today.format("%Y-%m-%d").to_string()));
    }
    if let Some(after) = &paging.after {
        let after = Uuid::parse_str(after)
            .map_err(|_| ApiError::bad_request(ErrorCode::InvalidCursor, "cursor 无效"))?;
        select = select.filter(hazard::Column::Id.lt(after));
    }
    let rows = select
        .order_by_desc(hazard::Column::Id)
        .limit(paging.fetch_limit())
        .all(db)
        .await?;
    let page = paging.page(rows, |r| r.id.to_string());
    Ok(web::Json(Page {
        items: to_responses(db, page.items, today).await?,
        next_cursor: page.next_cursor,
    }))
}

/// Overdue hazards (assigned, deadline passed), most overdue first: every one for the
/// office and the principal, the caller's own for everyone else.
#[utoipa::path(
    tag = "hazards",
    responses((status = 200, body = Vec<HazardResponse>)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/hazards/overdue")]
pub async fn list_overdue(
    auth: Auth<AnyUser>,
    state: State,
) -> AppResult<web::Json<Vec<HazardResponse>>> {
    let db = &state.db.conn;
    let today = period::today(&state.tz);
    let mut select = hazard::Entity::find()
        .filter(hazard::Column::Status.eq(ASSIGNED))
        .filter(hazard::Column::Deadline.lt(today.format("%Y-%m-%d").to_string()));
    if !matches!(auth.user.role, Role::SecurityOffice | Role::Principal) {
        select = select.filter(hazard::Column::OwnerId.eq(auth.user.id));
    }
    let rows = select
        .order_by_asc(hazard::Column::Deadline)
        .limit(crate::infra::pagination::MAX_LIMIT)
        .all(db)
        .await?;
    Ok(web::Json(to_responses(db, rows, today).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HazardStats {
    pub total: u64,
    pub open: u64,
    pub overdue: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    pub by_location: BTreeMap<String, u64>,
    /// Reported per month (`YYYY-MM`, local time).
    pub by_month: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// Only hazards reported in this year (local time).
    pub year: Option<i32>,
}

/// Counts by status, category, location and month.
#[utoipa::path(
    tag = "hazards",
    params(StatsQuery),
    responses((status = 200, body = HazardStats)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/hazards/stats")]
pub async fn hazard_stats(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<StatsQuery>,
) -> AppResult<web::Json<HazardStats>> {
    use chrono::Datelike;
    let today = period::today(&state.tz);
    // The counts are over a school's hazards (hundreds a year): grouping in memory keeps the
    // month (a local-time notion) the same on SQLite and PostgreSQL.
    let rows = hazard::Entity::find().all(&state.db.conn).await?;
    let mut s = HazardStats {
        total: 0,
        open: 0,
        overdue: 0,
        by_status: BTreeMap::new(),
        by_category: BTreeMap::new(),
        by_location: BTreeMap::new(),
        by_month: BTreeMap::new(),
    };
    for h in rows {
        let local = h.reported_at.with_timezone(&state.tz);
        if query.year.is_some_and(|y| local.year() != y) {
            continue;
        }
        s.total += 1;
        if h.status != CLOSED {
            s.open += 1;
        }
        if is_overdue(&h, today) {
            s.overdue += 1;
        }
        *s.by_status.entry(h.status.clone()).or_default() += 1;
        *s.by_category.entry(h.category.clone()).or_default() += 1;
        *s.by_location.entry(h.location.clone()).or_default() += 1;
        *s.by_month
            .entry(local.format("%Y-%m").to_string())
            .or_default() += 1;
    }
    Ok(web::Json(s))
}

/// One hazard with its history.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = HazardDetail),
        (status = 403, description = "`hazard_forbidden`", body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[get("/hazards/{id}")]
pub async fn get_hazard(
    auth: Auth<AnyUser>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<HazardDetail>> {
    let db = &state.db.conn;
    let h = find(db, id.into_inner()).await?;
    if !may_view_hazard(db, &auth.user, &h).await? {
        return Err(forbidden());
    }
    Ok(web::Json(detail(db, h, period::today(&state.tz)).await?))
}

fn forbidden() -> ApiError {
    ApiError::forbidden(ErrorCode::HazardForbidden, "无权查看此隐患")
}

async fn detail(
    db: &impl ConnectionTrait,
    h: hazard::Model,
    today: NaiveDate,
) -> AppResult<HazardDetail> {
    let events = event::Entity::find()
        .filter(event::Column::HazardId.eq(h.id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(events.iter().map(|e| e.actor_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let history = events
        .into_iter()
        .map(|e| HazardEventResponse {
            id: e.id,
            at: e.at,
            actor_name: names.get(&e.actor_id).cloned().unwrap_or_default(),
            actor_id: e.actor_id,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    let hazard = to_responses(db, vec![h], today)
        .await?
        .pop()
        .ok_or_else(ApiError::internal)?;
    Ok(HazardDetail { hazard, history })
}

fn transition_error(h: &hazard::Model, wanted: &str) -> ApiError {
    let (code, detail) = match (h.status.as_str(), wanted) {
        (REPORTED, "rectify") => (ErrorCode::HazardNotAssigned, "隐患尚未指派责任人,不能整改"),
        (_, "verify") if h.status != RECTIFIED => {
            (ErrorCode::HazardNotRectified, "隐患尚未整改,不能验收")
        }
        (CLOSED, _) => (ErrorCode::HazardClosed, "隐患已验收关闭"),
        _ => (
            ErrorCode::HazardInvalidTransition,
            "隐患当前状态不允许此操作",
        ),
    };
    ApiError::conflict(code, detail)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignHazardRequest {
    /// An active staff account (not a student).
    pub owner_id: Uuid,
    /// Local date `YYYY-MM-DD`, today or later.
    pub deadline: String,
    pub note: Option<String>,
}

/// Assign (or re-assign) an owner and a deadline. Only while `reported` or `assigned`.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = AssignHazardRequest,
    responses(
        (status = 200, body = HazardDetail),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`hazard_invalid_transition`, `hazard_closed`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/hazards/{id}/assign")]
pub async fn assign_hazard(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AssignHazardRequest>,
) -> AppResult<web::Json<HazardDetail>> {
    let body = body.into_inner();
    let today = period::today(&state.tz);
    let mut v = Validator::new();
    v.opt_text("note", body.note.as_deref(), 1000);
    match NaiveDate::parse_from_str(body.deadline.trim(), "%Y-%m-%d") {
        Ok(d) if d < today => v.add("deadline", "in_past", "整改期限不能早于今天"),
        Ok(_) => {}
        Err(_) => v.add("deadline", "invalid", "日期格式应为 YYYY-MM-DD"),
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let h = find(&*tx, id.into_inner()).await?;
    if h.status != REPORTED && h.status != ASSIGNED {
        return Err(transition_error(&h, "assign"));
    }
    let owner = user::Entity::find_by_id(body.owner_id).one(&*tx).await?;
    if !owner.is_some_and(|o| o.is_active && o.role != Role::SafetyOfficer.as_str()) {
        return Err(ApiError::validation(vec![FieldError {
            field: "owner_id".into(),
            code: "invalid_owner".into(),
            message: "责任人须为在用的教职工账号".into(),
            line: None,
        }]));
    }
    let from = h.status.clone();
    let action = if from == REPORTED {
        "assign"
    } else {
        "reassign"
    };
    let now = crate::infra::util::now();
    let mut a: hazard::ActiveModel = h.clone().into();
    a.status = Set(ASSIGNED.into());
    a.owner_id = Set(Some(body.owner_id));
    a.deadline = Set(Some(body.deadline.trim().to_owned()));
    a.assigned_by = Set(Some(auth.user.id));
    a.assigned_at = Set(Some(now));
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    let details = json!({"owner_id": body.owner_id, "deadline": after.deadline, "previous_owner_id": h.owner_id, "previous_deadline": h.deadline});
    add_event(
        &*tx,
        after.id,
        auth.user.id,
        action,
        Some(&from),
        ASSIGNED,
        body.note,
        details.clone(),
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        &format!("hazard.{action}"),
        "hazard",
        Some(after.id.to_string()),
        details,
    )
    .await?;
    let resp = detail(&*tx, after, today).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifyHazardRequest {
    /// What was done.
    pub rectification: String,
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

/// Record the rectification (by the owner). Only while `assigned`: a hazard not yet assigned
/// is `409 hazard_not_assigned`.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = RectifyHazardRequest,
    responses(
        (status = 200, body = HazardDetail),
        (status = 403, description = "`not_hazard_owner`", body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, description = "`hazard_not_assigned`, `hazard_invalid_transition`, `hazard_closed`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]))
)]
#[post("/hazards/{id}/rectify")]
pub async fn rectify_hazard(
    auth: Auth<AnyUser>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<RectifyHazardRequest>,
) -> AppResult<web::Json<HazardDetail>> {
    let body = body.into_inner();
    let u = &auth.user;
    let mut v = Validator::new();
    v.text("rectification", &body.rectification, 1, 2000);
    check_photos(&mut v, "attachment_ids", &body.attachment_ids);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let h = find(&*tx, id.into_inner()).await?;
    if !may_view_hazard(&*tx, u, &h).await? {
        return Err(forbidden());
    }
    if h.status != ASSIGNED {
        return Err(transition_error(&h, "rectify"));
    }
    if h.owner_id != Some(u.id) {
        return Err(ApiError::forbidden(
            ErrorCode::NotHazardOwner,
            "只有该隐患的整改责任人可以提交整改",
        ));
    }
    attachments::claim(
        &*tx,
        u.id,
        &body.attachment_ids,
        LINK_HAZARD,
        h.id,
        "attachment_ids",
    )
    .await?;
    let now = crate::infra::util::now();
    let mut a: hazard::ActiveModel = h.clone().into();
    a.status = Set(RECTIFIED.into());
    a.rectified_by = Set(Some(u.id));
    a.rectified_at = Set(Some(now));
    a.rectification = Set(Some(body.rectification.trim().to_owned()));
    a.rectification_photo_ids = Set(json!(body.attachment_ids).to_string());
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    let details = json!({"rectification": after.rectification, "photo_ids": body.attachment_ids});
    add_event(
        &*tx,
        after.id,
        u.id,
        "rectify",
        Some(ASSIGNED),
        RECTIFIED,
        None,
        details.clone(),
    )
    .await?;
    audit::record(
        &*tx,
        u.actor(),
        "hazard.rectify",
        "hazard",
        Some(after.id.to_string()),
        details,
    )
    .await?;
    let resp = detail(&*tx, after, period::today(&state.tz)).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyHazardRequest {
    /// `true` closes the hazard; `false` sends it back to the owner (`assigned`).
    pub approved: bool,
    /// Required when sending back: what is still wrong.
    pub note: Option<String>,
    /// When sending back: a new deadline (local date), else the old one stays.
    pub deadline: Option<String>,
}

/// Verify a rectification: close it, or send it back. Only while `rectified`
/// (`409 hazard_not_rectified`). The person who rectified it
/// (`409 cannot_verify_own_rectification`) and the one who reported it
/// (`409 cannot_verify_own_report`) cannot verify it.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = VerifyHazardRequest,
    responses(
        (status = 200, body = HazardDetail),
        (status = 404, body = crate::infra::error::Problem),
        (status = 409, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[post("/hazards/{id}/verify")]
pub async fn verify_hazard(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<VerifyHazardRequest>,
) -> AppResult<web::Json<HazardDetail>> {
    let body = body.into_inner();
    let u = &auth.user;
    let today = period::today(&state.tz);
    let mut v = Validator::new();
    v.opt_text("note", body.note.as_deref(), 1000);
    if !body.approved && body.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        v.add("note", "required", "退回时须说明原因");
    }
    if let Some(d) = body.deadline.as_deref() {
        match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
            Ok(d) if d < today => v.add("deadline", "in_past", "整改期限不能早于今天"),
            Ok(_) => {}
            Err(_) => v.add("deadline", "invalid", "日期格式应为 YYYY-MM-DD"),
        }
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let h = find(&*tx, id.into_inner()).await?;
    if h.status != RECTIFIED {
        return Err(transition_error(&h, "verify"));
    }
    if h.rectified_by == Some(u.id) {
        return Err(ApiError::conflict(
            ErrorCode::CannotVerifyOwnRectification,
            "整改人不能验收自己的整改",
        ));
    }
    if h.reported_by == u.id {
        return Err(ApiError::conflict(
            ErrorCode::CannotVerifyOwnReport,
            "隐患报告人不能验收该隐患",
        ));
    }
    let now = crate::infra::util::now();
    let mut a: hazard::ActiveModel = h.clone().into();
    let (action, to) = if body.approved {
        a.status = Set(CLOSED.into());
        a.verified_by = Set(Some(u.id));
        a.closed_at = Set(Some(now));
        ("close", CLOSED)
    } else {
        a.status = Set(ASSIGNED.into());
        if let Some(d) = &body.deadline {
            a.deadline = Set(Some(d.trim().to_owned()));
        }
        ("send_back", ASSIGNED)
    };
    a.updated_at = Set(now);
    let after = a.update(&*tx).await?;
    let note = body
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let details = json!({"approved": body.approved, "deadline": after.deadline, "rectified_by": h.rectified_by});
    add_event(
        &*tx,
        after.id,
        u.id,
        action,
        Some(RECTIFIED),
        to,
        note.clone(),
        details.clone(),
    )
    .await?;
    audit::record(
        &*tx,
        u.actor(),
        &format!("hazard.{action}"),
        "hazard",
        Some(after.id.to_string()),
        json!({"approved": body.approved, "note": note, "deadline": after.deadline}),
    )
    .await?;
    let resp = detail(&*tx, after, today).await?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

/// Confirm (`accept: true`) or reject (the class is removed) the class someone other than its
/// teacher or the office named on a hazard; only then does it count for the class.
#[utoipa::path(
    tag = "hazards",
    params(("id" = Uuid, Path)),
    request_body = AttributionDecision,
    responses(
        (status = 200, body = HazardResponse),
        (status = 404, description = "`hazard_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`attribution_not_pending`: no class awaits confirmation", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/hazards/{id}/class-attribution")]
pub async fn decide_hazard_attribution(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<AttributionDecision>,
) -> AppResult<web::Json<HazardResponse>> {
    let u = &auth.user;
    let tx = state.db.begin_write().await?;
    let h = find(&*tx, id.into_inner()).await?;
    let Some(class_id) = h.class_id.filter(|_| h.class_pending) else {
        return Err(not_pending());
    };
    let mut a: hazard::ActiveModel = h.clone().into();
    a.class_pending = Set(false);
    if !body.accept {
        a.class_id = Set(None);
    }
    a.updated_at = Set(crate::infra::util::now());
    let row = a.update(&*tx).await?;
    // hazard_events.action holds 16 characters.
    let action = if body.accept {
        "class_confirm"
    } else {
        "class_reject"
    };
    let details = json!({"class_id": class_id});
    add_event(
        &*tx,
        row.id,
        u.id,
        action,
        Some(&h.status),
        &h.status,
        None,
        details.clone(),
    )
    .await?;
    audit::record(
        &*tx,
        u.actor(),
        &format!("hazard.{action}"),
        "hazard",
        Some(row.id.to_string()),
        details,
    )
    .await?;
    let resp = to_responses(&*tx, vec![row], period::today(&state.tz))
        .await?
        .pop()
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok(web::Json(resp))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_hazards)
        .service(report_hazard)
        .service(list_overdue)
        .service(hazard_stats)
        .service(get_hazard)
        .service(assign_hazard)
        .service(rectify_hazard)
        .service(verify_hazard)
        .service(decide_hazard_attribution);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overdue_is_assigned_past_deadline_only() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let now = Utc::now();
        let mut h = hazard::Model {
            id: Uuid::nil(),
            category: "fire".into(),
            location: "x".into(),
            description: "x".into(),
            class_id: None,
            source: "report".into(),
            submission_id: None,
            item_key: None,
            photo_ids: "[]".into(),
            status: ASSIGNED.into(),
            reported_by: Uuid::nil(),
            reported_at: now,
            owner_id: None,
            deadline: Some("2026-11-28".into()),
            assigned_by: None,
            assigned_at: None,
            rectified_by: None,
            rectified_at: None,
            rectification: None,
            rectification_photo_ids: "[]".into(),
            verified_by: None,
            closed_at: None,
            updated_at: now,
            class_pending: false,
        };
        assert!(is_overdue(&h, today));
        h.deadline = Some("2026-11-29".into());
        assert!(!is_overdue(&h, today));
        h.deadline = Some("2026-11-01".into());
        h.status = RECTIFIED.into();
        assert!(!is_overdue(&h, today));
    }
}
