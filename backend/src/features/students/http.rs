//! Students over HTTP: request and response types and handlers.

use super::view::{StudentResponse, View, audit_view, blank_to_none, to_response, view_for};
use super::{csv, model::student, store};
use crate::auth::extract::{Auth, AuthOrKey};
use crate::auth::roles::{Office, PeopleRead, StudentReaders};
use crate::auth::scope::Scope;
use crate::features::audit;
use crate::features::classes;
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::State;
use actix_web::{HttpResponse, get, patch, post, web};
use sea_orm::{ActiveModelTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

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
    let scope = Scope::read(db, &auth.caller).await?;
    let view = view_for(&auth.caller);
    if let Some(cid) = q.class_id
        && !scope.allows(cid)
    {
        return Err(ApiError::forbidden(
            ErrorCode::NotOwnClass,
            "只能查看本班学生",
        ));
    }
    let filter = store::ListFilter {
        class_id: q.class_id,
        own: scope.class_ids(),
        // Only the full view may ask for students who left; others see active ones only.
        is_active: if view == View::Full {
            q.is_active
        } else {
            Some(true)
        },
        text: q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        after: paging.after.as_deref(),
        limit: paging.fetch_limit(),
    };
    let rows = store::list(db, &filter).await?;
    let names = classes::names(db, rows.iter().map(|s| s.class_id)).await?;
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
    let s = store::find(db, id.into_inner()).await?;
    let view = view_for(&auth.caller);
    if !Scope::read(db, &auth.caller).await?.allows(s.class_id) {
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
    let now = crate::infra::clock::now();
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
    let before = store::find(&*tx, id.into_inner()).await?;
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
    active.updated_at = Set(crate::infra::clock::now());
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
    let classes_by_name = store::classes_by_name(&state.db.conn).await?;
    // Bounded and parsed off the async workers and outside the write lock: a big file must
    // not stall the gate's writes while it is read.
    let rows = web::block(move || {
        crate::infra::import_limits::check_csv(&body)?;
        csv::parse_csv(&body, &classes_by_name).map_err(csv::csv_invalid)
    })
    .await
    .map_err(|_| ApiError::internal())??;
    if rows.is_empty() {
        return Err(csv::csv_invalid(vec![csv::row_error(
            1,
            "file",
            "empty",
            "文件中没有学生记录",
        )]));
    }
    let tx = state.db.begin_write().await?;
    let existing = store::by_student_no(&*tx, rows.iter().map(|r| r.student_no.clone())).await?;
    let (mut created, mut updated) = (0u64, 0u64);
    let now = crate::infra::clock::now();
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
    store::insert_imported(&*tx, new_students, audits).await?;
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
