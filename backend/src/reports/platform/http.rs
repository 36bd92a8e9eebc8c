//! Platform figures over HTTP: reading by month and class, typing in totals, importing the
//! platform's export, and the threshold.

use super::completion::{check_month, is_below, rate};
use super::import::{ImportRow, import_invalid, parse_rows, read_table};
use super::store::{
    NewFigure, THRESHOLD_KEY, missing_counts, put_threshold, threshold, upsert_figure,
};
use crate::auth::extract::Auth;
use crate::auth::roles::{Office, PassReaders, PlatformReaders, Role};
use crate::features::audit;
use crate::features::classes::{self, model as class};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::schema::platform::{FigureSource, entry, figure};
use crate::schema::students::student;
use actix_web::{get, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformFigureResponse {
    pub id: Uuid,
    pub month: String,
    pub class_id: Uuid,
    pub class_name: String,
    pub completed: i32,
    pub class_size: i32,
    /// Percent, one decimal.
    pub rate: f64,
    pub below_threshold: bool,
    /// `manual` (typed-in totals: who is missing is unknown) or `import` (per student).
    pub source: FigureSource,
    /// How many listed students did not complete; `null` for typed-in totals.
    pub missing_count: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformMonthResponse {
    pub month: String,
    /// Percent.
    pub threshold: i32,
    /// By class name; only own class for class teachers and safety officers.
    pub items: Vec<PlatformFigureResponse>,
    /// Classes with no figure for the month (office and principal only; empty for others).
    pub unrecorded: Vec<ClassRef>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlatformQuery {
    /// `YYYY-MM`; by default this month in the school's time zone (a month of the current
    /// semester).
    pub month: Option<String>,
    /// Only classes below the threshold.
    pub below_threshold: Option<bool>,
}

fn to_response(
    f: figure::Model,
    class_name: String,
    threshold: i32,
    missing: Option<i32>,
) -> PlatformFigureResponse {
    PlatformFigureResponse {
        id: f.id,
        rate: rate(f.completed, f.class_size),
        below_threshold: is_below(f.completed, f.class_size, threshold),
        month: f.month,
        class_id: f.class_id,
        class_name,
        completed: f.completed,
        class_size: f.class_size,
        missing_count: if f.source == FigureSource::Import {
            Some(missing.unwrap_or(0))
        } else {
            None
        },
        source: f.source,
        updated_at: f.updated_at,
    }
}

/// The figures of one month, by class (`below_threshold=true`: only classes below the
/// threshold). Class teachers and safety officers see only their own class.
#[utoipa::path(
    tag = "platform",
    params(PlatformQuery),
    responses(
        (status = 200, body = PlatformMonthResponse),
        (status = 401, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher", "safety_officer"]))
)]
#[get("/platform/figures")]
pub async fn list_figures(
    auth: Auth<PlatformReaders>,
    state: State,
    query: web::Query<PlatformQuery>,
) -> AppResult<web::Json<PlatformMonthResponse>> {
    let q = query.into_inner();
    let month = q.month.unwrap_or_else(|| {
        crate::infra::clock::today(state.tz)
            .format("%Y-%m")
            .to_string()
    });
    let mut v = Validator::new();
    check_month(&mut v, &month);
    v.finish()?;
    let db = &state.db.conn;
    let u = &auth.user;
    let scope = match u.role {
        Role::SecurityOffice | Role::Principal => None,
        _ => Some(crate::features::users::own_class_ids(db, u.id, u.role).await?),
    };
    let threshold = threshold(db).await?;
    let mut select = figure::Entity::find().filter(figure::Column::Month.eq(month.as_str()));
    if let Some(own) = &scope {
        select = select.filter(figure::Column::ClassId.is_in(own.clone()));
    }
    let rows = select.all(db).await?;
    let classes: Vec<class::Model> = class::Entity::find()
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?;
    let names: HashMap<Uuid, String> = classes.iter().map(|c| (c.id, c.name.clone())).collect();
    let missing = missing_counts(db, rows.iter().map(|f| f.id).collect()).await?;
    let recorded: HashSet<Uuid> = rows.iter().map(|f| f.class_id).collect();
    let mut items: Vec<PlatformFigureResponse> = rows
        .into_iter()
        .map(|f| {
            let name = names.get(&f.class_id).cloned().unwrap_or_default();
            let m = missing.get(&f.id).copied();
            to_response(f, name, threshold, m)
        })
        .filter(|r| !q.below_threshold.unwrap_or(false) || r.below_threshold)
        .collect();
    items.sort_by(|a, b| a.class_name.cmp(&b.class_name));
    let unrecorded = if scope.is_none() {
        classes
            .into_iter()
            .filter(|c| !recorded.contains(&c.id))
            .map(|c| ClassRef {
                id: c.id,
                name: c.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(web::Json(PlatformMonthResponse {
        month,
        threshold,
        items,
        unrecorded,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissingStudent {
    pub student_no: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MissingResponse {
    pub figure: PlatformFigureResponse,
    /// `false` for typed-in totals: the platform did not say who is missing.
    pub known: bool,
    /// Students listed as not completed, by student number (number and name only).
    pub students: Vec<MissingStudent>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    /// `YYYY-MM`.
    pub month: String,
}

/// One class's figure for a month and who did not complete (a class teacher: own class only,
/// `not_own_class` otherwise). 404 `platform_figure_not_found` when nothing was recorded.
#[utoipa::path(
    tag = "platform",
    params(("class_id" = Uuid, Path), MonthQuery),
    responses(
        (status = 200, body = MissingResponse),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher"]))
)]
#[get("/platform/classes/{class_id}/missing")]
pub async fn class_missing(
    auth: Auth<PassReaders>,
    state: State,
    class_id: web::Path<Uuid>,
    query: web::Query<MonthQuery>,
) -> AppResult<web::Json<MissingResponse>> {
    let q = query.into_inner();
    let mut v = Validator::new();
    check_month(&mut v, &q.month);
    v.finish()?;
    let db = &state.db.conn;
    let class_id = class_id.into_inner();
    let u = &auth.user;
    if u.role == Role::ClassTeacher
        && !crate::features::users::own_class_ids(db, u.id, u.role)
            .await?
            .contains(&class_id)
    {
        return Err(ApiError::forbidden(ErrorCode::NotOwnClass, "只能查看本班"));
    }
    let cls = classes::find(db, class_id).await?;
    let f = figure::Entity::find()
        .filter(figure::Column::Month.eq(q.month.as_str()))
        .filter(figure::Column::ClassId.eq(class_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(ErrorCode::PlatformFigureNotFound, "该月没有本班的数据")
        })?;
    let threshold = threshold(db).await?;
    let missing_ids: Vec<Uuid> = entry::Entity::find()
        .filter(entry::Column::FigureId.eq(f.id))
        .filter(entry::Column::Completed.eq(false))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.student_id)
        .collect();
    let students: Vec<MissingStudent> = student::Entity::find()
        .filter(student::Column::Id.is_in(missing_ids.clone()))
        .order_by_asc(student::Column::StudentNo)
        .all(db)
        .await?
        .into_iter()
        .map(|s| MissingStudent {
            student_no: s.student_no,
            name: s.name,
        })
        .collect();
    let known = f.source == FigureSource::Import;
    Ok(web::Json(MissingResponse {
        figure: to_response(f, cls.name, threshold, Some(missing_ids.len() as i32)),
        known,
        students,
    }))
}

// ---------- writing ----------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetFigureRequest {
    /// `YYYY-MM`.
    pub month: String,
    pub class_id: Uuid,
    pub completed: i32,
    pub class_size: i32,
}

fn figure_audit(f: &figure::Model) -> serde_json::Value {
    json!({"month": f.month, "class_id": f.class_id, "completed": f.completed, "class_size": f.class_size, "source": f.source})
}

/// Type in one class's totals for a month (replaces what was there; who is missing becomes
/// unknown).
#[utoipa::path(
    tag = "platform",
    request_body = SetFigureRequest,
    responses(
        (status = 200, body = PlatformFigureResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[put("/platform/figures")]
pub async fn set_figure(
    auth: Auth<Office>,
    state: State,
    body: web::Json<SetFigureRequest>,
) -> AppResult<web::Json<PlatformFigureResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    check_month(&mut v, &b.month);
    if !(1..=500).contains(&b.class_size) {
        v.add("class_size", "invalid", "班级人数应在 1 到 500 之间");
    }
    if b.completed < 0 || b.completed > b.class_size {
        v.add(
            "completed",
            "invalid",
            "完成人数不能为负,也不能超过班级人数",
        );
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let cls = classes::find(&*tx, b.class_id).await?;
    let (saved, before) = upsert_figure(
        &*tx,
        &NewFigure {
            month: &b.month,
            class_id: cls.id,
            completed: b.completed,
            class_size: b.class_size,
            source: FigureSource::Manual,
            by: auth.user.id,
        },
    )
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "platform.figure_set",
        "platform_figure",
        Some(saved.id.to_string()),
        json!({"before": before.as_ref().map(figure_audit), "after": figure_audit(&saved)}),
    )
    .await?;
    let threshold = threshold(&*tx).await?;
    tx.commit().await?;
    Ok(web::Json(to_response(saved, cls.name, threshold, None)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformImportResult {
    pub month: String,
    /// Classes whose figure was written.
    pub classes: u64,
    /// Student rows read.
    pub students: u64,
    pub completed: u64,
    /// Students of the imported classes (active, on the roster) absent from the file: counted
    /// in the class size as not completed, and listed as missing.
    pub not_in_file: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `YYYY-MM`: the month the export is for.
    pub month: String,
}

/// Import the platform's export for a month: an XLSX workbook (first sheet) or UTF-8 CSV, a
/// header row then one student per row. Columns: `学号` and `完成情况` (是/否, 已完成/未完成;
/// also `是否完成`; English `student_no`, `completed`); other columns (e.g. `姓名`) are ignored.
/// Each class in the file gets its figure for the month replaced: class size = its active
/// students on the roster, completed = those marked done; who is missing is kept, including
/// the class's students absent from the file (`not_in_file`). All or nothing:
/// any bad row rejects the whole file with `import_invalid`, listing every bad row by line.
#[utoipa::path(
    tag = "platform",
    params(ImportQuery),
    request_body(content = String, content_type = "application/octet-stream",
        description = "CSV (UTF-8) or XLSX bytes",
        example = "学号,姓名,完成情况\n20190101,张三,是\n20190102,李四,否\n"),
    responses(
        (status = 200, body = PlatformImportResult),
        (status = 413, body = crate::infra::error::Problem),
        (status = 422, description = "`import_invalid` with `errors[].line`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/platform/import")]
pub async fn import_figures(
    auth: Auth<Office>,
    state: State,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> AppResult<web::Json<PlatformImportResult>> {
    let month = query.into_inner().month;
    let mut v = Validator::new();
    check_month(&mut v, &month);
    v.finish()?;
    let table = web::block(move || read_table(&body))
        .await
        .map_err(|_| ApiError::internal())??;
    let tx = state.db.begin_write().await?;
    let students: HashMap<String, (Uuid, Uuid)> = student::Entity::find()
        .filter(student::Column::IsActive.eq(true))
        .all(&*tx)
        .await?
        .into_iter()
        .map(|s| (s.student_no, (s.id, s.class_id)))
        .collect();
    let rows = parse_rows(table, &students).map_err(import_invalid)?;
    let mut by_class: HashMap<Uuid, Vec<ImportRow>> = HashMap::new();
    for r in &rows {
        by_class.entry(r.class_id).or_default().push(*r);
    }
    // A student on the roster whom the platform's export leaves out has not completed.
    let listed: HashSet<Uuid> = rows.iter().map(|r| r.student_id).collect();
    let mut not_in_file = 0u64;
    for (student_id, class_id) in students.values() {
        if let Some(list) = by_class.get_mut(class_id)
            && !listed.contains(student_id)
        {
            list.push(ImportRow {
                student_id: *student_id,
                class_id: *class_id,
                completed: false,
            });
            not_in_file += 1;
        }
    }
    let mut class_ids: Vec<Uuid> = by_class.keys().copied().collect();
    class_ids.sort();
    let mut done_total = 0u64;
    for cid in &class_ids {
        let list = &by_class[cid];
        let done = list.iter().filter(|r| r.completed).count();
        done_total += done as u64;
        let (saved, before) = upsert_figure(
            &*tx,
            &NewFigure {
                month: &month,
                class_id: *cid,
                completed: done as i32,
                class_size: list.len() as i32,
                source: FigureSource::Import,
                by: auth.user.id,
            },
        )
        .await?;
        for r in list {
            entry::ActiveModel {
                id: Set(Uuid::now_v7()),
                figure_id: Set(saved.id),
                student_id: Set(r.student_id),
                completed: Set(r.completed),
            }
            .insert(&*tx)
            .await?;
        }
        audit::record(
            &*tx,
            auth.user.actor(),
            "platform.figure_import",
            "platform_figure",
            Some(saved.id.to_string()),
            json!({"before": before.as_ref().map(figure_audit), "after": figure_audit(&saved)}),
        )
        .await?;
    }
    let result = PlatformImportResult {
        month,
        classes: class_ids.len() as u64,
        students: rows.len() as u64,
        completed: done_total,
        not_in_file,
    };
    audit::record(
        &*tx,
        auth.user.actor(),
        "platform.import",
        "platform_figure",
        None,
        json!({"month": result.month, "classes": result.classes, "students": result.students, "completed": result.completed, "not_in_file": result.not_in_file}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(result))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformSettings {
    /// Percent (0–100): a class below it is flagged.
    pub threshold: i32,
}

/// The threshold a class's completion rate is held to.
#[utoipa::path(
    tag = "platform",
    responses((status = 200, body = PlatformSettings), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office", "class_teacher", "safety_officer"]))
)]
#[get("/platform/settings")]
pub async fn get_settings(
    _auth: Auth<PlatformReaders>,
    state: State,
) -> AppResult<web::Json<PlatformSettings>> {
    Ok(web::Json(PlatformSettings {
        threshold: threshold(&state.db.conn).await?,
    }))
}

/// Set the threshold (percent).
#[utoipa::path(
    tag = "platform",
    request_body = PlatformSettings,
    responses((status = 200, body = PlatformSettings), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[put("/platform/settings")]
pub async fn put_settings(
    auth: Auth<Office>,
    state: State,
    body: web::Json<PlatformSettings>,
) -> AppResult<web::Json<PlatformSettings>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    if !(0..=100).contains(&b.threshold) {
        v.add("threshold", "invalid", "达标线应在 0 到 100 之间");
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = put_threshold(&*tx, b.threshold, auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "platform.threshold_set",
        "setting",
        Some(THRESHOLD_KEY.into()),
        json!({"before": before, "after": b.threshold}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(b))
}
