//! Safety-education platform supervision (安全平台使用督查): per month and class, how many
//! students completed the education bureau's platform assignments, typed in as totals or
//! imported per student from the platform's CSV/XLSX export; the office's threshold; each
//! class teacher sees own class and who is missing.

pub use crate::schema::platform as model;

use crate::auth::extract::Auth;
use crate::auth::roles::{Office, PassReaders, PlatformReaders, Role};
use crate::features::audit;
use crate::features::classes::{self, model as class};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError, Validator};
use crate::infra::state::State;
use crate::schema::students::student;
use actix_web::{get, post, put, web};
use chrono::{DateTime, Utc};
use model::{entry, figure, setting};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const SOURCE_MANUAL: &str = "manual";
pub const SOURCE_IMPORT: &str = "import";
const THRESHOLD_KEY: &str = "platform_threshold";
pub const DEFAULT_THRESHOLD: i32 = 90;

// ---------- settings shared with the assessment ----------

pub async fn get_setting<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    key: &str,
) -> AppResult<Option<T>> {
    Ok(setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .and_then(|s| serde_json::from_str(&s.value).ok()))
}

/// Stores a setting; returns the previous value (JSON) for the audit record.
pub async fn put_setting(
    db: &impl ConnectionTrait,
    key: &str,
    value: serde_json::Value,
    by: Uuid,
) -> AppResult<Option<serde_json::Value>> {
    let now = crate::infra::util::now();
    let before = setting::Entity::find_by_id(key.to_owned()).one(db).await?;
    let text = value.to_string();
    match before {
        Some(b) => {
            let prev = serde_json::from_str(&b.value).ok();
            let mut a: setting::ActiveModel = b.into();
            a.value = Set(text);
            a.updated_by = Set(Some(by));
            a.updated_at = Set(now);
            a.update(db).await?;
            Ok(prev)
        }
        None => {
            setting::ActiveModel {
                key: Set(key.to_owned()),
                value: Set(text),
                updated_by: Set(Some(by)),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok(None)
        }
    }
}

pub async fn threshold(db: &impl ConnectionTrait) -> AppResult<i32> {
    Ok(get_setting(db, THRESHOLD_KEY)
        .await?
        .unwrap_or(DEFAULT_THRESHOLD))
}

/// Below threshold, exactly (integers): completed / size < threshold %.
pub fn is_below(completed: i32, class_size: i32, threshold: i32) -> bool {
    i64::from(completed) * 100 < i64::from(threshold) * i64::from(class_size)
}

/// Completion rate in percent, one decimal.
pub fn rate(completed: i32, class_size: i32) -> f64 {
    if class_size <= 0 {
        return 0.0;
    }
    (f64::from(completed) * 1000.0 / f64::from(class_size)).round() / 10.0
}

pub fn valid_month(s: &str) -> bool {
    s.len() == 7 && chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok()
}

fn check_month(v: &mut Validator, s: &str) {
    if !valid_month(s) {
        v.add("month", "invalid", "月份格式应为 YYYY-MM");
    }
}

// ---------- reading ----------

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
    pub source: String,
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
        missing_count: if f.source == SOURCE_IMPORT {
            Some(missing.unwrap_or(0))
        } else {
            None
        },
        source: f.source,
        updated_at: f.updated_at,
    }
}

async fn missing_counts(
    db: &impl ConnectionTrait,
    figure_ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, i32>> {
    let mut out = HashMap::new();
    for e in entry::Entity::find()
        .filter(entry::Column::FigureId.is_in(figure_ids))
        .filter(entry::Column::Completed.eq(false))
        .all(db)
        .await?
    {
        *out.entry(e.figure_id).or_insert(0) += 1;
    }
    Ok(out)
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
        crate::features::plans::today(state.tz)
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
    let known = f.source == SOURCE_IMPORT;
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

/// Writes (replaces) one class's figure for a month as typed-in totals; any per-student rows
/// imported earlier for that month and class are dropped.
async fn upsert_figure(
    db: &impl ConnectionTrait,
    month: &str,
    class_id: Uuid,
    completed: i32,
    class_size: i32,
    source: &str,
    by: Uuid,
) -> AppResult<(figure::Model, Option<figure::Model>)> {
    let now = crate::infra::util::now();
    let before = figure::Entity::find()
        .filter(figure::Column::Month.eq(month))
        .filter(figure::Column::ClassId.eq(class_id))
        .one(db)
        .await?;
    let saved = match &before {
        Some(b) => {
            entry::Entity::delete_many()
                .filter(entry::Column::FigureId.eq(b.id))
                .exec(db)
                .await?;
            let mut a: figure::ActiveModel = b.clone().into();
            a.completed = Set(completed);
            a.class_size = Set(class_size);
            a.source = Set(source.into());
            a.updated_by = Set(Some(by));
            a.updated_at = Set(now);
            a.update(db).await?
        }
        None => {
            figure::ActiveModel {
                id: Set(Uuid::now_v7()),
                month: Set(month.into()),
                class_id: Set(class_id),
                completed: Set(completed),
                class_size: Set(class_size),
                source: Set(source.into()),
                updated_by: Set(Some(by)),
                updated_at: Set(now),
            }
            .insert(db)
            .await?
        }
    };
    Ok((saved, before))
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
        &b.month,
        cls.id,
        b.completed,
        b.class_size,
        SOURCE_MANUAL,
        auth.user.id,
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

/// One checked row of an import.
#[derive(Debug, PartialEq, Clone, Copy)]
struct ImportRow {
    student_id: Uuid,
    class_id: Uuid,
    completed: bool,
}

const COL_NO: &[&str] = &["学号", "student_no"];
const COL_DONE: &[&str] = &["完成情况", "是否完成", "完成状态", "状态", "completed"];

fn row_error(line: u64, field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
        line: Some(line),
    }
}

fn import_invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError {
        errors,
        ..ApiError::unprocessable(
            ErrorCode::ImportInvalid,
            "文件有错误,未导入任何记录;请按行号修改后重新导入",
        )
    }
}

fn parse_done(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "是" | "已完成" | "完成" | "y" | "yes" | "1" | "true" | "√" | "✓" => Some(true),
        "否" | "未完成" | "n" | "no" | "0" | "false" | "×" | "✗" => Some(false),
        _ => None,
    }
}

/// The file as `(line, cells)` rows, the header first: an XLSX workbook's first sheet, or
/// UTF-8 CSV (with or without BOM). Bounded by `import_limits` before any table is built;
/// CPU- and memory-heavy, so callers run it off the async workers.
fn read_table(bytes: &[u8]) -> AppResult<Vec<(u64, Vec<String>)>> {
    read_table_rows(bytes).map_err(|e| e.unwrap_or_else(import_invalid))
}

/// `(line, cells)` rows of an imported file.
type Table = Vec<(u64, Vec<String>)>;
/// `Ok(problem)` for a bound exceeded, `Err(rows)` for bad rows.
type TableError = Result<ApiError, Vec<FieldError>>;

fn read_table_rows(bytes: &[u8]) -> Result<Table, TableError> {
    use crate::infra::import_limits::{XlsxCheck, check_csv_record, check_xlsx};
    if bytes.starts_with(b"PK\x03\x04") {
        use calamine::{Reader, Xlsx, open_workbook_from_rs};
        let bad = || Err(vec![row_error(1, "file", "invalid", "无法读取 XLSX 文件")]);
        match check_xlsx(bytes) {
            Ok(()) => {}
            Err(XlsxCheck::TooLarge) => return Err(Ok(crate::infra::import_limits::too_large())),
            Err(XlsxCheck::Invalid) => return Err(bad()),
        }
        let mut wb: Xlsx<_> =
            open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|_| bad())?;
        let range = wb
            .worksheet_range_at(0)
            .ok_or_else(bad)?
            .map_err(|_| bad())?;
        let first = range.start().map(|(r, _)| u64::from(r)).unwrap_or(0);
        return Ok(range
            .rows()
            .enumerate()
            .map(|(i, r)| {
                (
                    first + i as u64 + 1,
                    r.iter().map(|c| c.to_string().trim().to_owned()).collect(),
                )
            })
            .collect());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(Err(vec![row_error(
            1,
            "file",
            "not_utf8",
            "文件不是 UTF-8 编码,请在 Excel 中另存为“CSV UTF-8”或直接导入 XLSX",
        )]));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        match rec {
            Ok(r) => {
                check_csv_record(i as u64 + 1, r.len()).map_err(Ok)?;
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                out.push((line, r.iter().map(str::to_owned).collect()));
            }
            Err(e) => {
                check_csv_record(i as u64 + 1, 0).map_err(Ok)?;
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(row_error(line, "row", "invalid", "无法解析此行"));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Err(errors))
    }
}

/// Checks every row; returns every error by line (never quoting values: they are personal
/// data), or the rows. `students`: student number → (student id, class id).
fn parse_rows(
    table: Vec<(u64, Vec<String>)>,
    students: &HashMap<String, (Uuid, Uuid)>,
) -> Result<Vec<ImportRow>, Vec<FieldError>> {
    let mut it = table.into_iter();
    let Some((hline, header)) = it.next() else {
        return Err(vec![row_error(1, "file", "empty", "文件为空")]);
    };
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (no_col, done_col) = (find(COL_NO), find(COL_DONE));
    let mut errors = Vec::new();
    if no_col.is_none() {
        errors.push(row_error(
            hline,
            "student_no",
            "missing_column",
            "缺少“学号”列",
        ));
    }
    if done_col.is_none() {
        errors.push(row_error(
            hline,
            "completed",
            "missing_column",
            "缺少“完成情况”列",
        ));
    }
    let (Some(no_col), Some(done_col)) = (no_col, done_col) else {
        return Err(errors);
    };
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in it {
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let get = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
        let before = errors.len();
        let no = get(no_col);
        let student = if no.is_empty() {
            errors.push(row_error(line, "student_no", "required", "学号为空"));
            None
        } else if !seen.insert(no.to_owned()) {
            errors.push(row_error(
                line,
                "student_no",
                "duplicate",
                "学号在文件中重复",
            ));
            None
        } else {
            let s = students.get(no).copied();
            if s.is_none() {
                errors.push(row_error(
                    line,
                    "student_no",
                    "not_found",
                    "系统中没有这个学号的在校学生",
                ));
            }
            s
        };
        let done = parse_done(get(done_col));
        if done.is_none() {
            errors.push(row_error(
                line,
                "completed",
                "invalid",
                "完成情况应为“是”或“否”(或 已完成/未完成)",
            ));
        }
        if errors.len() == before
            && let (Some((student_id, class_id)), Some(completed)) = (student, done)
        {
            rows.push(ImportRow {
                student_id,
                class_id,
                completed,
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(vec![row_error(
            hline,
            "file",
            "empty",
            "文件中没有学生记录",
        )]);
    }
    Ok(rows)
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
            &month,
            *cid,
            done as i32,
            list.len() as i32,
            SOURCE_IMPORT,
            auth.user.id,
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
    let before = put_setting(&*tx, THRESHOLD_KEY, json!(b.threshold), auth.user.id).await?;
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

/// The ledger's sheet: every figure of the months the range touches.
pub async fn ledger_sheet(
    db: &impl ConnectionTrait,
    r: &crate::reports::ledger::Range,
) -> AppResult<crate::reports::ledger::Sheet> {
    let threshold = threshold(db).await?;
    let names: HashMap<Uuid, String> = class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut figures = figure::Entity::find()
        .filter(figure::Column::Month.is_in(crate::reports::assessment::months_of(r.from, r.to)))
        .all(db)
        .await?;
    let cname = |f: &figure::Model| names.get(&f.class_id).cloned().unwrap_or_default();
    figures.sort_by(|a, b| (&a.month, cname(a)).cmp(&(&b.month, cname(b))));
    let missing = missing_counts(db, figures.iter().map(|f| f.id).collect()).await?;
    let rows = figures
        .iter()
        .map(|f| {
            vec![
                f.month.clone(),
                cname(f),
                f.completed.to_string(),
                f.class_size.to_string(),
                format!("{}%", rate(f.completed, f.class_size)),
                if is_below(f.completed, f.class_size, threshold) {
                    format!("未达标(达标线 {threshold}%)")
                } else {
                    "达标".to_owned()
                },
                if f.source == SOURCE_IMPORT {
                    "平台导出导入"
                } else {
                    "手工录入"
                }
                .to_owned(),
                if f.source == SOURCE_IMPORT {
                    missing.get(&f.id).copied().unwrap_or(0).to_string()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    Ok(crate::reports::ledger::Sheet {
        key: "platform",
        name: "安全平台使用督查",
        headers: &[
            "月份",
            "班级",
            "完成人数",
            "班级人数",
            "完成率",
            "是否达标",
            "来源",
            "未完成人数",
        ],
        rows,
    })
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_figures)
        .service(set_figure)
        .service(import_figures)
        .service(class_missing)
        .service(get_settings)
        .service(put_settings);
}

/// Demo figures for the current and the previous month: every demo class, all but one above
/// the default threshold; the current month imported per student (so who is missing shows).
pub async fn seed_demo(db: &impl ConnectionTrait) -> Result<(), crate::infra::error::BoxError> {
    use chrono::Datelike;
    let today = crate::features::plans::today(chrono_tz::Asia::Shanghai);
    let this = format!("{:04}-{:02}", today.year(), today.month());
    let prev_day = today
        .with_day(1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today);
    let prev = format!("{:04}-{:02}", prev_day.year(), prev_day.month());
    let classes = class::Entity::find()
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?;
    let now = crate::infra::util::now();
    for (i, c) in classes.iter().enumerate() {
        let studs = student::Entity::find()
            .filter(student::Column::ClassId.eq(c.id))
            .filter(student::Column::IsActive.eq(true))
            .order_by_asc(student::Column::StudentNo)
            .all(db)
            .await?;
        // Previous month: typed-in totals out of a class of 45, one class below threshold.
        let size = 45;
        let done = if i == 1 { 36 } else { 43 - (i as i32 % 3) };
        figure::ActiveModel {
            id: Set(Uuid::now_v7()),
            month: Set(prev.clone()),
            class_id: Set(c.id),
            completed: Set(done),
            class_size: Set(size),
            source: Set(SOURCE_MANUAL.into()),
            updated_by: Set(None),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        if studs.is_empty() {
            continue;
        }
        // This month: per student; the second class has every other student missing.
        let fid = Uuid::now_v7();
        let completed = |j: usize| i != 1 || j.is_multiple_of(2);
        let done = (0..studs.len()).filter(|j| completed(*j)).count();
        figure::ActiveModel {
            id: Set(fid),
            month: Set(this.clone()),
            class_id: Set(c.id),
            completed: Set(done as i32),
            class_size: Set(studs.len() as i32),
            source: Set(SOURCE_IMPORT.into()),
            updated_by: Set(None),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        for (j, s) in studs.iter().enumerate() {
            entry::ActiveModel {
                id: Set(Uuid::now_v7()),
                figure_id: Set(fid),
                student_id: Set(s.id),
                completed: Set(completed(j)),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(csv: &str) -> Vec<(u64, Vec<String>)> {
        read_table(csv.as_bytes()).unwrap()
    }

    #[test]
    fn threshold_comparison_is_exact() {
        assert!(!is_below(9, 10, 90));
        assert!(is_below(8, 10, 90));
        assert!(is_below(44, 49, 90)); // 89.8 %
        assert!(!is_below(45, 50, 90));
        assert_eq!(rate(44, 49), 89.8);
    }

    #[test]
    fn every_bad_line_is_reported_without_values() {
        let a = Uuid::now_v7();
        let students = HashMap::from([
            ("001".to_string(), (a, Uuid::nil())),
            ("002".to_string(), (Uuid::now_v7(), Uuid::nil())),
        ]);
        let errs = parse_rows(
            table("学号,姓名,完成情况\n001,张三,是\n001,张三,否\n999,王五,是\n002,李四,也许\n"),
            &students,
        )
        .unwrap_err();
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.line, e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(3), "student_no", "duplicate"),
                (Some(4), "student_no", "not_found"),
                (Some(5), "completed", "invalid")
            ]
        );
        assert!(
            errs.iter()
                .all(|e| !e.message.contains("999") && !e.message.contains("也许"))
        );
        let ok = parse_rows(table("\u{feff}学号,完成情况\n001,已完成\n"), &students).unwrap();
        assert_eq!(
            ok,
            vec![ImportRow {
                student_id: a,
                class_id: Uuid::nil(),
                completed: true
            }]
        );
    }

    #[test]
    fn missing_columns_are_reported_on_the_header_line() {
        let errs = parse_rows(table("姓名\n张三\n"), &HashMap::new()).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.line == Some(1)));
    }
}
