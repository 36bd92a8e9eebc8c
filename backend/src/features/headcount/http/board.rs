//! Starting, listing, watching and closing head-counts (the office; the principal watches).

use super::super::model::{
    ClassReportStatus, HeadcountKind, HeadcountStatus, ReportSource, class_row, record,
};
use super::super::store;
use super::{TotalsResponse, figures_of, is_open, totals};
use crate::auth::extract::Auth;
use crate::auth::roles::{HeadcountReaders, Office, OfficeOrPrincipal, Role};
use crate::auth::scope::Scope;
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::pagination::{Page, Paging, after_time_id, parse_time_id, time_id_key};
use crate::infra::state::State;
use crate::schema::records::{ActivityKind, activity};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "drill", "activity_id": "01938a52-6f1c-7a8e-9a41-3c2f0b7d5e10"}))]
pub struct StartHeadcountRequest {
    pub kind: HeadcountKind,
    /// The drill's activity record (required for a drill; a real evacuation may have none).
    pub activity_id: Option<Uuid>,
    /// Shown on the board; by default the activity's topic, or 紧急疏散清点.
    pub title: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "三楼东侧楼梯口疏散较慢,下次演练前增设引导员"}))]
pub struct CloseHeadcountRequest {
    /// The office's remarks on the drill, kept with the result.
    #[serde(default)]
    pub note: String,
}

/// A student named on the board (missing or injured).
#[derive(Debug, Serialize, ToSchema)]
pub struct NamedStudent {
    pub id: Uuid,
    pub name: String,
}

/// One class on the board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardClass {
    pub class_id: Uuid,
    pub class_name: String,
    pub status: ClassReportStatus,
    pub expected: i32,
    pub present: i32,
    pub on_leave: i32,
    pub absent_today: i32,
    pub not_accounted: i32,
    pub missing: Vec<NamedStudent>,
    pub injured: Vec<NamedStudent>,
    pub version: i32,
    pub reported_at: Option<DateTime<Utc>>,
    pub source: Option<ReportSource>,
    pub accounted_at: Option<DateTime<Utc>>,
}

/// The live board of a head-count.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadcountBoard {
    pub id: Uuid,
    pub kind: HeadcountKind,
    pub title: String,
    pub activity_id: Option<Uuid>,
    pub status: HeadcountStatus,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub note: String,
    /// The server's clock when answered, so a phone with a wrong clock shows the right
    /// elapsed time.
    pub server_time: DateTime<Utc>,
    pub totals: TotalsResponse,
    /// Classes not yet reported first, then by name.
    pub classes: Vec<BoardClass>,
}

/// A head-count in the list (figures only).
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadcountSummary {
    pub id: Uuid,
    pub kind: HeadcountKind,
    pub title: String,
    pub activity_id: Option<Uuid>,
    pub status: HeadcountStatus,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub totals: TotalsResponse,
}

/// A class of the open head-count, as the caller may act for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenClass {
    pub class_id: Uuid,
    pub class_name: String,
    pub status: ClassReportStatus,
    pub version: i32,
    pub reported_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenHeadcount {
    pub id: Uuid,
    pub kind: HeadcountKind,
    pub title: String,
    pub started_at: DateTime<Utc>,
    /// A class teacher's own classes; every class for the office and the principal.
    pub classes: Vec<OpenClass>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenHeadcountResponse {
    /// The head-count under way, if any.
    pub headcount: Option<OpenHeadcount>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HeadcountListQuery {
    /// Only the head-counts of this activity (a drill's record).
    pub activity_id: Option<Uuid>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Builds the board from stored rows (and, while open, the gate's students out).
pub(super) async fn board(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    hc: record::Model,
) -> AppResult<HeadcountBoard> {
    let now = crate::infra::clock::now();
    let rows = store::rows(db, hc.id).await?;
    let out = if is_open(hc.status) {
        Some(store::out_on_pass(db, tz, now, None).await?)
    } else {
        None
    };
    let classes = figures_of(rows, out.as_ref())?;
    let named: Vec<Uuid> = classes
        .iter()
        .flat_map(|c| {
            c.absent
                .iter()
                .filter(|a| a.reason == super::AbsenceReason::Missing)
                .map(|a| a.student_id)
                .chain(c.injured.iter().copied())
        })
        .collect();
    let names = store::student_names(db, named).await?;
    let name = |id: &Uuid| NamedStudent {
        id: *id,
        name: names.get(id).cloned().unwrap_or_default(),
    };
    let totals = totals(&classes, hc.started_at);
    let mut out_classes: Vec<BoardClass> = classes
        .into_iter()
        .map(|c| BoardClass {
            class_id: c.row.class_id,
            class_name: c.row.class_name.clone(),
            status: c.row.status,
            expected: c.figures.expected,
            present: c.figures.present,
            on_leave: c.figures.on_leave,
            absent_today: c.figures.absent_today,
            not_accounted: c.figures.not_accounted(),
            missing: c
                .absent
                .iter()
                .filter(|a| a.reason == super::AbsenceReason::Missing)
                .map(|a| name(&a.student_id))
                .collect(),
            injured: c.injured.iter().map(name).collect(),
            version: c.row.version,
            reported_at: c.row.reported_at,
            source: c.row.source,
            accounted_at: c.row.accounted_at,
        })
        .collect();
    // What needs attention first: classes not reported, then those with someone missing.
    out_classes.sort_by_key(|c| {
        (
            c.status == ClassReportStatus::Reported,
            c.missing.is_empty(),
            c.class_name.clone(),
        )
    });
    Ok(HeadcountBoard {
        id: hc.id,
        kind: hc.kind,
        title: hc.title,
        activity_id: hc.activity_id,
        status: hc.status,
        started_at: hc.started_at,
        closed_at: hc.closed_at,
        note: hc.note,
        server_time: now,
        totals,
        classes: out_classes,
    })
}

async fn check_start(
    db: &impl ConnectionTrait,
    b: &StartHeadcountRequest,
) -> AppResult<Option<activity::Model>> {
    let mut v = Validator::new();
    if let Some(t) = &b.title {
        v.text("title", t, 1, 200);
    }
    let act = match b.activity_id {
        Some(id) => activity::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    match (&act, b.activity_id, b.kind) {
        (None, Some(_), _) => v.add("activity_id", "not_found", "活动记录不存在"),
        (Some(a), _, HeadcountKind::Drill) if a.kind != ActivityKind::Drill => {
            v.add("activity_id", "not_a_drill", "所选活动不是演练")
        }
        (None, None, HeadcountKind::Drill) => {
            v.add("activity_id", "required", "演练清点须关联演练活动记录")
        }
        _ => {}
    }
    v.finish()?;
    Ok(act)
}

/// Start a head-count (one at a time): every class with students gets a row to report.
#[utoipa::path(
    tag = "headcount",
    request_body = StartHeadcountRequest,
    responses(
        (status = 201, body = HeadcountBoard),
        (status = 409, description = "`headcount_already_open`", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/headcounts")]
pub async fn start_headcount(
    auth: Auth<Office>,
    state: State,
    body: web::Json<StartHeadcountRequest>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let tx = state.db.begin_write().await?;
    let act = check_start(&*tx, &b).await?;
    if store::open(&*tx).await?.is_some() {
        return Err(already_open());
    }
    let now = crate::infra::clock::now();
    let title = b
        .title
        .map(|t| t.trim().to_owned())
        .or_else(|| act.as_ref().map(|a| a.topic.clone()))
        .unwrap_or_else(|| "紧急疏散清点".to_owned());
    let hc = record::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(b.kind),
        title: Set(title),
        activity_id: Set(b.activity_id),
        status: Set(HeadcountStatus::Open),
        started_at: Set(now),
        started_by: Set(auth.user.id),
        closed_at: Set(None),
        closed_by: Set(None),
        note: Set(String::new()),
    }
    .insert(&*tx)
    .await
    .map_err(|e| match e.sql_err() {
        // Another office phone started one at the same moment.
        Some(SqlErr::UniqueConstraintViolation(_)) => already_open(),
        _ => e.into(),
    })?;
    let sizes = store::class_sizes(&*tx).await?;
    let classes = crate::schema::classes::Entity::find()
        .order_by_asc(crate::schema::classes::Column::Name)
        .all(&*tx)
        .await?;
    let rows: Vec<class_row::ActiveModel> = classes
        .into_iter()
        .filter_map(|c| {
            let n = sizes.get(&c.id).copied().unwrap_or(0);
            (n > 0).then(|| class_row::ActiveModel {
                id: Set(Uuid::now_v7()),
                headcount_id: Set(hc.id),
                class_id: Set(c.id),
                class_name: Set(c.name),
                expected: Set(n),
                status: Set(ClassReportStatus::Pending),
                present: Set(0),
                absent: Set("[]".into()),
                injured: Set("[]".into()),
                version: Set(0),
                reported_at: Set(None),
                reported_by: Set(None),
                source: Set(None),
                accounted_at: Set(None),
                updated_at: Set(now),
            })
        })
        .collect();
    let class_count = rows.len();
    for chunk in rows.chunks(100) {
        class_row::Entity::insert_many(chunk.to_vec())
            .exec(&*tx)
            .await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "headcount.start",
        "headcount",
        Some(hc.id.to_string()),
        json!({"kind": hc.kind, "title": hc.title, "activity_id": hc.activity_id, "classes": class_count}),
    )
    .await?;
    let board = board(&*tx, state.tz, hc).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(board))
}

fn already_open() -> ApiError {
    ApiError::conflict(
        ErrorCode::HeadcountAlreadyOpen,
        "已有进行中的清点,请先结束它",
    )
}

/// Head-counts, newest first, with their figures.
#[utoipa::path(
    tag = "headcount",
    params(HeadcountListQuery),
    responses((status = 200, body = Page<HeadcountSummary>)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/headcounts")]
pub async fn list_headcounts(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    q: web::Query<HeadcountListQuery>,
) -> AppResult<web::Json<Page<HeadcountSummary>>> {
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let mut s = record::Entity::find();
    if let Some(a) = q.activity_id {
        s = s.filter(record::Column::ActivityId.eq(a));
    }
    if let Some(after) = &paging.after {
        let (at, id) = parse_time_id(after)?;
        s = s.filter(after_time_id(
            record::Column::StartedAt,
            record::Column::Id,
            at,
            id,
        ));
    }
    let list = s
        .order_by_desc(record::Column::StartedAt)
        .order_by_desc(record::Column::Id)
        .limit(paging.fetch_limit())
        .all(db)
        .await?;
    let page = paging.page(list, |h| time_id_key(h.started_at, h.id));
    let mut rows = store::rows_of_many(db, page.items.iter().map(|h| h.id).collect()).await?;
    let out = if page.items.iter().any(|h| is_open(h.status)) {
        Some(store::out_on_pass(db, state.tz, crate::infra::clock::now(), None).await?)
    } else {
        None
    };
    let mut items = Vec::with_capacity(page.items.len());
    for h in page.items {
        let live = if is_open(h.status) {
            out.as_ref()
        } else {
            None
        };
        let classes = figures_of(rows.remove(&h.id).unwrap_or_default(), live)?;
        items.push(HeadcountSummary {
            totals: totals(&classes, h.started_at),
            id: h.id,
            kind: h.kind,
            title: h.title,
            activity_id: h.activity_id,
            status: h.status,
            started_at: h.started_at,
            closed_at: h.closed_at,
        });
    }
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// The head-count under way, with the classes the caller reports for (a class teacher: own
/// classes).
#[utoipa::path(
    tag = "headcount",
    responses((status = 200, body = OpenHeadcountResponse)),
    security(("bearer" = ["principal", "security_office", "class_teacher"]))
)]
#[get("/headcounts/open")]
pub async fn open_headcount(
    auth: Auth<HeadcountReaders>,
    state: State,
) -> AppResult<web::Json<OpenHeadcountResponse>> {
    let db = &state.db.conn;
    let Some(hc) = store::open(db).await? else {
        return Ok(web::Json(OpenHeadcountResponse { headcount: None }));
    };
    let scope = if auth.user.is(Role::ClassTeacher) {
        Scope::act(db, &auth.user).await?
    } else {
        Scope::All
    };
    let classes = store::rows(db, hc.id)
        .await?
        .into_iter()
        .filter(|r| scope.allows(r.class_id))
        .map(|r| OpenClass {
            class_id: r.class_id,
            class_name: r.class_name,
            status: r.status,
            version: r.version,
            reported_at: r.reported_at,
        })
        .collect();
    Ok(web::Json(OpenHeadcountResponse {
        headcount: Some(OpenHeadcount {
            id: hc.id,
            kind: hc.kind,
            title: hc.title,
            started_at: hc.started_at,
            classes,
        }),
    }))
}

/// The live board: classes reported, students not accounted for (named when missing),
/// the injured, the time from the start to all accounted.
#[utoipa::path(
    tag = "headcount",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = HeadcountBoard),
        (status = 404, description = "`headcount_not_found`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/headcounts/{id}")]
pub async fn get_headcount(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<HeadcountBoard>> {
    let db = &state.db.conn;
    let hc = store::find(db, id.into_inner()).await?;
    Ok(web::Json(board(db, state.tz, hc).await?))
}

/// Close the head-count: the result stays with the drill's record and goes into the ledger;
/// classes never reported keep the students the gate had out at that moment.
#[utoipa::path(
    tag = "headcount",
    params(("id" = Uuid, Path)),
    request_body = CloseHeadcountRequest,
    responses(
        (status = 200, body = HeadcountBoard),
        (status = 404, description = "`headcount_not_found`", body = crate::infra::error::Problem),
        (status = 409, description = "`headcount_closed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/headcounts/{id}/close")]
pub async fn close_headcount(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<CloseHeadcountRequest>,
) -> AppResult<web::Json<HeadcountBoard>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    v.opt_text("note", Some(&b.note), 2000);
    v.finish()?;
    let tx = state.db.begin_write().await?;
    // Locked: reports in flight finish first; later ones find the head-count closed.
    let hc = record::Entity::find_by_id(id.into_inner())
        .lock_exclusive()
        .one(&*tx)
        .await?
        .ok_or_else(store::not_found)?;
    if !is_open(hc.status) {
        return Err(closed());
    }
    let now = crate::infra::clock::now();
    let rows = store::rows(&*tx, hc.id).await?;
    let out = store::out_on_pass(&*tx, state.tz, now, None).await?;
    let frozen = figures_of(rows, Some(&out))?;
    for c in &frozen {
        if c.row.status == ClassReportStatus::Pending {
            store::freeze_pending(&*tx, &c.row, c.absent.clone()).await?;
        }
    }
    let t = totals(&frozen, hc.started_at);
    let mut a: record::ActiveModel = hc.into();
    a.status = Set(HeadcountStatus::Closed);
    a.closed_at = Set(Some(now));
    a.closed_by = Set(Some(auth.user.id));
    a.note = Set(b.note.trim().to_owned());
    let hc = a.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "headcount.close",
        "headcount",
        Some(hc.id.to_string()),
        json!({"classes": t.classes, "classes_reported": t.classes_reported, "expected": t.expected,
               "present": t.present, "not_accounted": t.not_accounted, "injured": t.injured,
               "seconds_to_all_accounted": t.seconds_to_all_accounted}),
    )
    .await?;
    let board = board(&*tx, state.tz, hc).await?;
    tx.commit().await?;
    Ok(web::Json(board))
}

pub(super) fn closed() -> ApiError {
    ApiError::conflict(ErrorCode::HeadcountClosed, "本次清点已结束")
}
