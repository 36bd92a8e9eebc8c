//! Students (minors: their data is sensitive personal information). Each role sees the fewest
//! fields it needs: guardian contact only for the office, the principal and the own class
//! teacher; guards, safety officers and integration keys see number, name and class only.

pub use crate::schema::students as model;

use crate::auth::extract::{Auth, AuthOrKey, Caller};
use crate::auth::roles::{Office, PeopleRead, Role, StudentReaders};
use crate::features::audit;
use crate::features::classes::{self, model as class};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, patch, post, web};
use model::student;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A student. `is_active`, `guardian_name` and `guardian_phone` are present only for the
/// security office, the principal and the student's own class teacher.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentResponse {
    pub id: Uuid,
    pub student_no: String,
    pub name: String,
    pub class_id: Uuid,
    pub class_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_phone: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Full,
    Minimal,
}

fn to_response(s: student::Model, class_name: String, view: View) -> StudentResponse {
    let full = view == View::Full;
    StudentResponse {
        id: s.id,
        student_no: s.student_no,
        name: s.name,
        class_id: s.class_id,
        class_name,
        is_active: full.then_some(s.is_active),
        guardian_name: if full { s.guardian_name } else { None },
        guardian_phone: if full { s.guardian_phone } else { None },
    }
}

async fn class_names(db: &impl ConnectionTrait) -> AppResult<HashMap<Uuid, String>> {
    Ok(class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

/// What a caller may list: `None` = every class, `Some(ids)` = only these.
async fn readable_classes(
    db: &impl ConnectionTrait,
    caller: &Caller,
) -> AppResult<(Option<Vec<Uuid>>, View)> {
    Ok(match caller {
        Caller::Key(_) => (None, View::Minimal),
        Caller::User(u) => match u.role {
            Role::SecurityOffice | Role::Principal => (None, View::Full),
            Role::Guard => (None, View::Minimal),
            Role::ClassTeacher => (
                Some(crate::features::users::own_class_ids(db, u.id, u.role).await?),
                View::Full,
            ),
            Role::SafetyOfficer => (
                Some(crate::features::users::own_class_ids(db, u.id, u.role).await?),
                View::Minimal,
            ),
        },
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StudentQuery {
    pub class_id: Option<Uuid>,
    /// Matches student number or name.
    pub q: Option<String>,
    /// Only for the office, the principal and class teachers; others see active students only.
    pub is_active: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Students, by student number. A class teacher sees only own classes (`not_own_class` when
/// asking for another); a safety officer only own class; guards and integration keys see
/// number, name and class only.
#[utoipa::path(
    tag = "students",
    params(StudentQuery),
    responses(
        (status = 200, body = Page<StudentResponse>),
        (status = 401, body = crate::infra::error::Problem),
        (status = 403, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["people:read"])
    )
)]
#[get("/students")]
pub async fn list_students(
    auth: AuthOrKey<StudentReaders, PeopleRead>,
    state: State,
    query: web::Query<StudentQuery>,
) -> AppResult<web::Json<Page<StudentResponse>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let (scope, view) = readable_classes(db, &auth.caller).await?;
    let mut select = student::Entity::find();
    match (&scope, q.class_id) {
        (Some(own), Some(cid)) if !own.contains(&cid) => {
            return Err(ApiError::forbidden(
                ErrorCode::NotOwnClass,
                "只能查看本班学生",
            ));
        }
        (_, Some(cid)) => select = select.filter(student::Column::ClassId.eq(cid)),
        (Some(own), None) => select = select.filter(student::Column::ClassId.is_in(own.clone())),
        (None, None) => {}
    }
    if view == View::Full {
        if let Some(active) = q.is_active {
            select = select.filter(student::Column::IsActive.eq(active));
        }
    } else {
        select = select.filter(student::Column::IsActive.eq(true));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            sea_orm::Condition::any()
                .add(crate::infra::pagination::contains_text(
                    student::Column::StudentNo,
                    text,
                ))
                .add(crate::infra::pagination::contains_text(
                    student::Column::Name,
                    text,
                )),
        );
    }
    if let Some(after) = &paging.after {
        select = select.filter(student::Column::StudentNo.gt(after.as_str()));
    }
    let rows = select
        .order_by_asc(student::Column::StudentNo)
        .limit(paging.fetch_limit())
        .all(db)
        .await?;
    let names = class_names(db).await?;
    let page = paging.page(rows, |s| s.student_no.clone());
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|s| {
                let cname = names.get(&s.class_id).cloned().unwrap_or_default();
                to_response(s, cname, view)
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One student, with the same field rules as the list.
#[utoipa::path(
    tag = "students",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = StudentResponse),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
    ),
    security(
        ("bearer" = ["principal", "security_office", "class_teacher", "guard", "safety_officer"]),
        ("api_key" = ["people:read"])
    )
)]
#[get("/students/{id}")]
pub async fn get_student(
    auth: AuthOrKey<StudentReaders, PeopleRead>,
    state: State,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<StudentResponse>> {
    let db = &state.db.conn;
    let s = find(db, id.into_inner()).await?;
    let (scope, view) = readable_classes(db, &auth.caller).await?;
    if let Some(own) = scope
        && !own.contains(&s.class_id)
    {
        return Err(ApiError::forbidden(
            ErrorCode::NotOwnClass,
            "只能查看本班学生",
        ));
    }
    if view == View::Minimal && !s.is_active {
        return Err(ApiError::not_found(
            ErrorCode::StudentNotFound,
            "学生不存在",
        ));
    }
    let cname = classes::find(db, s.class_id).await?.name;
    Ok(web::Json(to_response(s, cname, view)))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<student::Model> {
    student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(ErrorCode::StudentNotFound, "学生不存在"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStudentRequest {
    pub student_no: String,
    pub name: String,
    pub class_id: Uuid,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStudentRequest {
    pub name: Option<String>,
    pub class_id: Option<Uuid>,
    /// An empty string clears it.
    pub guardian_name: Option<String>,
    /// An empty string clears it.
    pub guardian_phone: Option<String>,
    /// `false` for a student who left: passes can no longer be issued.
    pub is_active: Option<bool>,
}

fn audit_view(s: &student::Model) -> serde_json::Value {
    json!({
        "student_no": s.student_no,
        "name": s.name,
        "class_id": s.class_id,
        "guardian_name": s.guardian_name,
        "guardian_phone": s.guardian_phone,
        "is_active": s.is_active,
    })
}

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Add a student.
#[utoipa::path(
    tag = "students",
    request_body = CreateStudentRequest,
    responses(
        (status = 201, body = StudentResponse),
        (status = 404, description = "`class_not_found`: `class_id` names no class", body = crate::infra::error::Problem),
        (status = 409, description = "`already_exists`: student number taken", body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/students")]
pub async fn create_student(
    auth: Auth<Office>,
    state: State,
    body: web::Json<CreateStudentRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let mut v = Validator::new();
    v.text("student_no", &body.student_no, 1, 32);
    v.text("name", &body.name, 1, 100);
    v.opt_text("guardian_name", body.guardian_name.as_deref(), 100);
    v.phone(
        "guardian_phone",
        body.guardian_phone
            .as_deref()
            .filter(|p| !p.trim().is_empty()),
    );
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let cls = classes::find(&*tx, body.class_id).await?;
    let now = crate::infra::util::now();
    let created = student::ActiveModel {
        id: Set(Uuid::now_v7()),
        student_no: Set(body.student_no.trim().to_owned()),
        name: Set(body.name.trim().to_owned()),
        class_id: Set(cls.id),
        guardian_name: Set(blank_to_none(body.guardian_name)),
        guardian_phone: Set(blank_to_none(body.guardian_phone)),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*tx)
    .await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "student.create",
        "student",
        Some(created.id.to_string()),
        json!({"after": audit_view(&created)}),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(to_response(created, cls.name, View::Full)))
}

/// Change a student (also: move to another class, mark as left).
#[utoipa::path(
    tag = "students",
    params(("id" = Uuid, Path)),
    request_body = UpdateStudentRequest,
    responses(
        (status = 200, body = StudentResponse),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[patch("/students/{id}")]
pub async fn update_student(
    auth: Auth<Office>,
    state: State,
    id: web::Path<Uuid>,
    body: web::Json<UpdateStudentRequest>,
) -> AppResult<web::Json<StudentResponse>> {
    let body = body.into_inner();
    let mut v = Validator::new();
    if let Some(n) = &body.name {
        v.text("name", n, 1, 100);
    }
    v.opt_text("guardian_name", body.guardian_name.as_deref(), 100);
    v.phone(
        "guardian_phone",
        body.guardian_phone
            .as_deref()
            .filter(|p| !p.trim().is_empty()),
    );
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = find(&*tx, id.into_inner()).await?;
    let mut active: student::ActiveModel = before.clone().into();
    if let Some(n) = body.name {
        active.name = Set(n.trim().to_owned());
    }
    if let Some(cid) = body.class_id {
        active.class_id = Set(classes::find(&*tx, cid).await?.id);
    }
    if body.guardian_name.is_some() {
        active.guardian_name = Set(blank_to_none(body.guardian_name));
    }
    if body.guardian_phone.is_some() {
        active.guardian_phone = Set(blank_to_none(body.guardian_phone));
    }
    if let Some(a) = body.is_active {
        active.is_active = Set(a);
    }
    active.updated_at = Set(crate::infra::util::now());
    let after = active.update(&*tx).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "student.update",
        "student",
        Some(after.id.to_string()),
        json!({"before": audit_view(&before), "after": audit_view(&after)}),
    )
    .await?;
    let cname = classes::find(&*tx, after.class_id).await?.name;
    tx.commit().await?;
    Ok(web::Json(to_response(after, cname, View::Full)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub created: u64,
    pub updated: u64,
}

/// One parsed row of an import.
#[derive(Debug)]
struct ImportRow {
    student_no: String,
    name: String,
    class_id: Uuid,
    guardian_name: Option<String>,
    guardian_phone: Option<String>,
}

/// Column names accepted in the header row (Chinese, as exported by most school systems, or English).
const COLUMNS: &[(&str, &[&str])] = &[
    ("student_no", &["学号", "student_no"]),
    ("name", &["姓名", "name"]),
    ("class", &["班级", "class"]),
    (
        "guardian_name",
        &["监护人", "监护人姓名", "家长姓名", "guardian_name"],
    ),
    (
        "guardian_phone",
        &["监护人电话", "联系电话", "家长电话", "guardian_phone"],
    ),
];

fn row_error(line: u64, field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
        line: Some(line),
    }
}

fn csv_invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError {
        errors,
        ..ApiError::unprocessable(
            ErrorCode::CsvInvalid,
            "CSV 文件有错误,未导入任何记录;请按行号修改后重新导入",
        )
    }
}

/// Parses and checks the whole file; returns every error found, by line, or the rows.
/// Messages name lines and columns, never the values (they are personal data).
fn parse_csv(
    bytes: &[u8],
    classes_by_name: &HashMap<String, Uuid>,
) -> Result<Vec<ImportRow>, Vec<FieldError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(vec![row_error(
            1,
            "file",
            "not_utf8",
            "文件不是 UTF-8 编码,请在 Excel 中另存为“CSV UTF-8”后再导入",
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![row_error(1, "file", "invalid", "无法读取表头")]),
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some((key, _)) = COLUMNS.iter().find(|(_, names)| names.contains(&h)) {
            index.insert(key, i);
        }
    }
    let mut errors = Vec::new();
    for required in ["student_no", "name", "class"] {
        if !index.contains_key(required) {
            errors.push(row_error(
                1,
                required,
                "missing_column",
                "缺少必需的列(学号、姓名、班级)",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(row_error(line, "row", "invalid", "无法解析此行"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |key: &str| {
            index
                .get(key)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let (student_no, name, class_name) = (get("student_no"), get("name"), get("class"));
        let (guardian_name, guardian_phone) = (get("guardian_name"), get("guardian_phone"));
        let before = errors.len();
        // The same text hygiene as JSON bodies: a NUL must not reach PostgreSQL, an ESC or a
        // bidi override must not reach the ledger.
        for (field, value) in [
            ("student_no", &student_no),
            ("name", &name),
            ("class", &class_name),
            ("guardian_name", &guardian_name),
            ("guardian_phone", &guardian_phone),
        ] {
            if let Some(code) = crate::infra::hygiene::refused_in(value) {
                errors.push(row_error(
                    line,
                    field,
                    code,
                    crate::infra::hygiene::message(code),
                ));
            }
        }
        if student_no.is_empty() || student_no.chars().count() > 32 {
            errors.push(row_error(
                line,
                "student_no",
                "invalid",
                "学号为空或超过 32 个字符",
            ));
        } else if !seen.insert(student_no.clone()) {
            errors.push(row_error(
                line,
                "student_no",
                "duplicate",
                "学号在文件中重复",
            ));
        }
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(row_error(
                line,
                "name",
                "invalid",
                "姓名为空或超过 100 个字符",
            ));
        }
        let class_id = classes_by_name.get(&class_name).copied();
        if class_id.is_none() {
            errors.push(row_error(
                line,
                "class",
                "not_found",
                "班级不存在(须与系统中的班级名称一致)",
            ));
        }
        if guardian_name.chars().count() > 100 {
            errors.push(row_error(
                line,
                "guardian_name",
                "too_long",
                "监护人姓名过长",
            ));
        }
        let mut pv = Validator::new();
        pv.phone(
            "guardian_phone",
            Some(&guardian_phone)
                .filter(|p| !p.is_empty())
                .map(|s| s.as_str()),
        );
        if !pv.is_empty() {
            errors.push(row_error(
                line,
                "guardian_phone",
                "invalid",
                "电话号码格式不正确",
            ));
        }
        if errors.len() == before
            && let Some(class_id) = class_id
        {
            rows.push(ImportRow {
                student_no,
                name,
                class_id,
                guardian_name: Some(guardian_name).filter(|s| !s.is_empty()),
                guardian_phone: Some(guardian_phone).filter(|s| !s.is_empty()),
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Import students from a UTF-8 CSV file (a header row, then one student per line).
///
/// Columns: `学号`, `姓名`, `班级` (required; the class by its exact name), `监护人`,
/// `监护人电话` (English names `student_no`, `name`, `class`, `guardian_name`,
/// `guardian_phone` work too). A student number that exists is updated, a new one is
/// created. All or nothing: any bad row rejects the whole file with `csv_invalid`, listing
/// every bad row by line number, and nothing is imported.
#[utoipa::path(
    tag = "students",
    request_body(content = String, content_type = "text/csv",
        example = "学号,姓名,班级,监护人,监护人电话\n20190101,张三,2019级旅游服务与管理1班,张建国,13900000000\n"),
    responses(
        (status = 200, body = ImportResult),
        (status = 413, body = crate::infra::error::Problem),
        (status = 422, description = "`csv_invalid` with `errors[].line`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["security_office"]))
)]
#[post("/students/import")]
pub async fn import_students(
    auth: Auth<Office>,
    state: State,
    body: web::Bytes,
) -> AppResult<web::Json<ImportResult>> {
    // Classes are never deleted, so the names read before the write still hold after it.
    let classes_by_name: HashMap<String, Uuid> = class::Entity::find()
        .all(&state.db.conn)
        .await?
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect();
    // Bounded and parsed off the async workers and outside the write lock: a big file must
    // not stall the gate's writes while it is read.
    let rows = web::block(move || {
        crate::infra::import_limits::check_csv(&body)?;
        parse_csv(&body, &classes_by_name).map_err(csv_invalid)
    })
    .await
    .map_err(|_| ApiError::internal())??;
    if rows.is_empty() {
        return Err(csv_invalid(vec![row_error(
            1,
            "file",
            "empty",
            "文件中没有学生记录",
        )]));
    }
    let tx = state.db.begin_write().await?;
    // In chunks: one `IN (...)` with every student number exceeds a database's bound on
    // parameters (SQLite's is 32,766).
    let mut existing: HashMap<String, student::Model> = HashMap::new();
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let found = student::Entity::find()
            .filter(student::Column::StudentNo.is_in(chunk.iter().map(|r| r.student_no.clone())))
            .all(&*tx)
            .await?;
        existing.extend(found.into_iter().map(|s| (s.student_no.clone(), s)));
    }
    let (mut created, mut updated) = (0u64, 0u64);
    let now = crate::infra::util::now();
    let mut new_students = Vec::new();
    let mut audits = Vec::new();
    for row in rows {
        match existing.get(&row.student_no) {
            Some(before) => {
                updated += 1;
                let unchanged = before.name == row.name
                    && before.class_id == row.class_id
                    && before.guardian_name == row.guardian_name
                    && before.guardian_phone == row.guardian_phone;
                if unchanged {
                    // Nothing to write or audit: re-importing the same roster stays cheap.
                    continue;
                }
                let mut active: student::ActiveModel = before.clone().into();
                active.name = Set(row.name);
                active.class_id = Set(row.class_id);
                active.guardian_name = Set(row.guardian_name);
                active.guardian_phone = Set(row.guardian_phone);
                active.updated_at = Set(now);
                let after = active.update(&*tx).await?;
                audits.push(audit::entry(
                    auth.user.actor(),
                    "student.import_update",
                    "student",
                    Some(after.id.to_string()),
                    json!({"before": audit_view(before), "after": audit_view(&after)}),
                ));
            }
            None => {
                let s = student::Model {
                    id: Uuid::now_v7(),
                    student_no: row.student_no,
                    name: row.name,
                    class_id: row.class_id,
                    guardian_name: row.guardian_name,
                    guardian_phone: row.guardian_phone,
                    is_active: true,
                    created_at: now,
                    updated_at: now,
                };
                audits.push(audit::entry(
                    auth.user.actor(),
                    "student.import_create",
                    "student",
                    Some(s.id.to_string()),
                    json!({"after": audit_view(&s)}),
                ));
                new_students.push(student::ActiveModel::from(s));
                created += 1;
            }
        }
    }
    // Multi-row inserts: a row per statement held the write lock for seconds on a big file.
    let mut new_students = new_students.into_iter().peekable();
    while new_students.peek().is_some() {
        let chunk: Vec<_> = new_students.by_ref().take(INSERT_CHUNK).collect();
        student::Entity::insert_many(chunk).exec(&*tx).await?;
    }
    let mut audits = audits.into_iter().peekable();
    while audits.peek().is_some() {
        let chunk: Vec<_> = audits.by_ref().take(INSERT_CHUNK).collect();
        audit::model::Entity::insert_many(chunk).exec(&*tx).await?;
    }
    audit::record(
        &*tx,
        auth.user.actor(),
        "student.import",
        "student",
        None,
        json!({"created": created, "updated": updated}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(ImportResult { created, updated }))
}

/// Student numbers per `IN (...)` lookup.
const IMPORT_CHUNK: usize = 500;
/// Rows per multi-row insert: at most 9 columns × 100 rows = 900 parameters, under every
/// database's bound.
const INSERT_CHUNK: usize = 100;

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_students)
        .service(create_student)
        .service(import_students)
        .service(get_student)
        .service(update_student);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> HashMap<String, Uuid> {
        HashMap::from([("一班".to_string(), Uuid::nil())])
    }

    #[test]
    fn parses_chinese_headers_with_bom() {
        let csv = "\u{feff}学号,姓名,班级,监护人电话\n001,张三,一班,13900000000\n002,李四,一班,\n";
        let rows = parse_csv(csv.as_bytes(), &classes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "张三");
        assert_eq!(rows[1].guardian_phone, None);
    }

    #[test]
    fn reports_every_bad_row_by_line_without_values() {
        let csv = "学号,姓名,班级\n001,张三,一班\n001,李四,二班\n,王五,一班\n";
        let errs = parse_csv(csv.as_bytes(), &classes()).unwrap_err();
        let lines: Vec<_> = errs.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (Some(3), "student_no"),
                (Some(3), "class"),
                (Some(4), "student_no")
            ]
        );
        assert!(
            errs.iter()
                .all(|e| !e.message.contains("李四") && !e.message.contains("二班"))
        );
    }

    #[test]
    fn missing_required_column_is_reported() {
        let errs = parse_csv("学号,姓名\n001,张三\n".as_bytes(), &classes()).unwrap_err();
        assert_eq!(errs[0].field, "class");
    }
}
