//! Semester safety assessment (考核): from the records already kept, a transparent score per
//! staff member and per class. Each metric counts records (a record may count several units,
//! e.g. a spot-check with three discrepancies), points = units × the office's weight, and every
//! unit names the record it came from.

use crate::auth::extract::Auth;
use crate::auth::roles::{Office, OfficeOrPrincipal, Role};
use crate::features::audit;
use crate::infra::error::{ApiError, AppResult, Validator};
use crate::infra::state::State;
use crate::reports::ledger::{LedgerQuery, Range, Sheet};
use crate::schema::classes as class;
use crate::schema::duty::{roster, shift};
use crate::schema::hazards::hazard;
use crate::schema::inspections::submission;
use crate::schema::plans::{item, plan};
use crate::schema::platform::figure;
use crate::schema::records::incident;
use crate::schema::users as user;
use actix_web::{HttpResponse, get, put, web};
use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

const WEIGHTS_KEY: &str = "assessment_weights";

/// Who a metric scores.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Staff,
    Class,
}

pub struct Metric {
    pub key: &'static str,
    pub subject: Subject,
    pub label: &'static str,
    pub default_weight: i32,
    /// What one unit is, for the export and the UI.
    pub rule: &'static str,
}

/// Every metric, in display order.
pub const METRICS: &[Metric] = &[
    Metric {
        key: "duty_shifts",
        subject: Subject::Staff,
        label: "值班",
        default_weight: 2,
        rule: "已发布排班中已结束的一班",
    },
    Metric {
        key: "checks_on_time",
        subject: Subject::Staff,
        label: "按时检查",
        default_weight: 1,
        rule: "本人按时提交的一次检查(不含抽查,更正不重复计)",
    },
    Metric {
        key: "hazards_on_time",
        subject: Subject::Staff,
        label: "隐患按期整改",
        default_weight: 3,
        rule: "本人在期限当天或之前完成整改的一条隐患(已整改或已销号)",
    },
    Metric {
        key: "plan_tasks_done",
        subject: Subject::Staff,
        label: "计划任务完成",
        default_weight: 2,
        rule: "已批准计划中由本人负责、已完成的一项任务",
    },
    Metric {
        key: "traffic_on_time",
        subject: Subject::Class,
        label: "交通安全检查按时",
        default_weight: 2,
        rule: "班级按时提交的一次交通安全周检",
    },
    Metric {
        key: "spot_discrepancies",
        subject: Subject::Class,
        label: "抽查不一致",
        default_weight: -1,
        rule: "抽查与班级自查不一致的一项",
    },
    Metric {
        key: "class_hazards",
        subject: Subject::Class,
        label: "隐患",
        default_weight: -1,
        rule: "涉及本班的一条隐患(抽查发现不一致而自动生成的隐患已按抽查不一致计,不重复扣分)",
    },
    Metric {
        key: "class_incidents",
        subject: Subject::Class,
        label: "安全事件",
        default_weight: -3,
        rule: "涉及本班学生的一起安全事件(按发生时间计入)",
    },
    Metric {
        key: "platform_months_met",
        subject: Subject::Class,
        label: "安全平台达标",
        default_weight: 5,
        rule: "安全教育平台完成率达到达标线的一个月",
    },
];

pub type Weights = BTreeMap<String, i32>;

pub fn default_weights() -> Weights {
    METRICS
        .iter()
        .map(|m| (m.key.to_owned(), m.default_weight))
        .collect()
}

pub async fn weights(db: &impl ConnectionTrait) -> AppResult<Weights> {
    let mut w = default_weights();
    let stored: Weights = crate::reports::platform::get_setting(db, WEIGHTS_KEY)
        .await?
        .unwrap_or_default();
    for (k, v) in stored {
        if w.contains_key(&k) {
            w.insert(k, v);
        }
    }
    Ok(w)
}

// ---------- the pure scoring ----------

/// One record behind a metric: `units` of the metric's count come from it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SourceRef {
    /// `duty_shift`, `inspection`, `hazard`, `incident`, `plan_item` or `platform_figure`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Uuid,
    pub units: i64,
}

fn src(kind: &str, id: Uuid, units: i64) -> SourceRef {
    SourceRef {
        kind: kind.into(),
        id,
        units,
    }
}

/// The records found for one person or class, by metric key.
#[derive(Debug, Default)]
pub struct Facts {
    pub id: Uuid,
    pub name: String,
    /// Role (staff) or grade (classes).
    pub detail: String,
    pub sources: HashMap<&'static str, Vec<SourceRef>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricScore {
    pub key: String,
    pub label: String,
    /// Sum of the sources' units.
    pub count: i64,
    pub weight: i32,
    /// count × weight.
    pub points: i64,
    pub sources: Vec<SourceRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentRow {
    /// User id or class id.
    pub id: Uuid,
    pub name: String,
    /// Role (staff) or grade (classes).
    pub detail: String,
    pub metrics: Vec<MetricScore>,
    pub total: i64,
    /// 1 = best; equal totals share a rank (1, 1, 3).
    pub rank: u32,
}

/// Scores and ranks: points = count × weight per metric, total = their sum, rows by total
/// (highest first, then name).
pub fn score(subject: Subject, facts: Vec<Facts>, weights: &Weights) -> Vec<AssessmentRow> {
    let mut rows: Vec<AssessmentRow> = facts
        .into_iter()
        .map(|mut f| {
            let metrics: Vec<MetricScore> = METRICS
                .iter()
                .filter(|m| m.subject == subject)
                .map(|m| {
                    let sources = f.sources.remove(m.key).unwrap_or_default();
                    let count: i64 = sources.iter().map(|s| s.units).sum();
                    let weight = weights.get(m.key).copied().unwrap_or(m.default_weight);
                    MetricScore {
                        key: m.key.into(),
                        label: m.label.into(),
                        count,
                        weight,
                        points: count * i64::from(weight),
                        sources,
                    }
                })
                .collect();
            AssessmentRow {
                id: f.id,
                name: f.name,
                detail: f.detail,
                total: metrics.iter().map(|m| m.points).sum(),
                metrics,
                rank: 0,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
    let totals: Vec<i64> = rows.iter().map(|r| r.total).collect();
    for r in &mut rows {
        r.rank = 1 + totals.iter().filter(|t| **t > r.total).count() as u32;
    }
    rows
}

// ---------- gathering the records ----------

fn bounds(r: &Range) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let at = |d: NaiveDate| {
        r.tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    };
    (at(r.from), at(r.to.succ_opt().unwrap_or(r.to)))
}

/// Every `YYYY-MM` the range touches.
pub fn months_of(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

fn role_zh(role: &str) -> &'static str {
    match role {
        "security_office" => "保卫处",
        "class_teacher" => "班主任",
        "guard" => "保安",
        _ => "",
    }
}

fn push(map: &mut HashMap<Uuid, Facts>, who: Uuid, metric: &'static str, s: SourceRef) {
    if let Some(f) = map.get_mut(&who) {
        f.sources.entry(metric).or_default().push(s);
    }
}

/// Staff: the office, class teachers and guards (the principal reads the ranking; safety
/// officers are students and are scored with their class).
async fn staff_facts(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Facts>> {
    let (start, end) = bounds(r);
    let now = crate::infra::util::now();
    let mut map: HashMap<Uuid, Facts> = user::Entity::find()
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::Role.is_in([
            Role::SecurityOffice.as_str(),
            Role::ClassTeacher.as_str(),
            Role::Guard.as_str(),
        ]))
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            (
                u.id,
                Facts {
                    id: u.id,
                    name: u.display_name,
                    detail: role_zh(&u.role).into(),
                    sources: HashMap::new(),
                },
            )
        })
        .collect();

    let rosters: Vec<Uuid> = roster::Entity::find()
        .filter(roster::Column::Status.eq(crate::features::duty::PUBLISHED))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for s in shift::Entity::find()
        .filter(shift::Column::RosterId.is_in(rosters))
        .filter(shift::Column::Date.gte(crate::features::plans::fmt_date(r.from)))
        .filter(shift::Column::Date.lte(crate::features::plans::fmt_date(r.to)))
        .filter(shift::Column::EndsAt.lte(now))
        .order_by_asc(shift::Column::StartsAt)
        .all(db)
        .await?
    {
        push(
            &mut map,
            s.user_id,
            "duty_shifts",
            src("duty_shift", s.id, 1),
        );
    }

    for s in submission::Entity::find()
        .filter(submission::Column::Kind.eq(crate::features::inspections::KIND_SELF))
        .filter(submission::Column::Version.eq(1))
        .filter(submission::Column::IsLate.eq(false))
        .filter(submission::Column::SubmittedAt.gte(start))
        .filter(submission::Column::SubmittedAt.lt(end))
        .order_by_asc(submission::Column::SubmittedAt)
        .all(db)
        .await?
    {
        push(
            &mut map,
            s.submitted_by,
            "checks_on_time",
            src("inspection", s.id, 1),
        );
    }

    for h in hazard::Entity::find()
        .filter(hazard::Column::Status.is_in(["rectified", "closed"]))
        .filter(hazard::Column::RectifiedAt.gte(start))
        .filter(hazard::Column::RectifiedAt.lt(end))
        .order_by_asc(hazard::Column::RectifiedAt)
        .all(db)
        .await?
    {
        let (Some(by), Some(at), Some(deadline)) = (
            h.rectified_by,
            h.rectified_at,
            h.deadline
                .as_deref()
                .and_then(crate::features::plans::parse_date),
        ) else {
            continue;
        };
        if at.with_timezone(&r.tz).date_naive() <= deadline {
            push(&mut map, by, "hazards_on_time", src("hazard", h.id, 1));
        }
    }

    let approved: Vec<Uuid> = plan::Entity::find()
        .filter(plan::Column::Status.eq(crate::features::plans::STATUS_APPROVED))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    for i in item::Entity::find()
        .filter(item::Column::PlanId.is_in(approved))
        .filter(item::Column::Status.eq("done"))
        .filter(item::Column::Month.is_in(months_of(r.from, r.to)))
        .order_by_asc(item::Column::Month)
        .order_by_asc(item::Column::Seq)
        .all(db)
        .await?
    {
        if let Some(owner) = i.owner_id {
            push(
                &mut map,
                owner,
                "plan_tasks_done",
                src("plan_item", i.id, 1),
            );
        }
    }
    Ok(map.into_values().collect())
}

async fn class_facts(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Facts>> {
    let (start, end) = bounds(r);
    let mut map: HashMap<Uuid, Facts> = class::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                Facts {
                    id: c.id,
                    name: c.name,
                    detail: c.grade,
                    sources: HashMap::new(),
                },
            )
        })
        .collect();

    for s in submission::Entity::find()
        .filter(submission::Column::ClassId.is_not_null())
        .filter(submission::Column::SubmittedAt.gte(start))
        .filter(submission::Column::SubmittedAt.lt(end))
        .order_by_asc(submission::Column::SubmittedAt)
        .all(db)
        .await?
    {
        let Some(cid) = s.class_id else { continue };
        if s.kind == crate::features::inspections::KIND_SELF
            && s.template_code == crate::features::inspections::TRAFFIC
            && s.version == 1
            && !s.is_late
        {
            push(&mut map, cid, "traffic_on_time", src("inspection", s.id, 1));
        }
        if s.kind == crate::features::inspections::KIND_SPOT
            && s.is_current
            && s.discrepancy_count > 0
        {
            push(
                &mut map,
                cid,
                "spot_discrepancies",
                src("inspection", s.id, i64::from(s.discrepancy_count)),
            );
        }
    }

    let hazards = hazard::Entity::find()
        .filter(hazard::Column::ClassId.is_not_null())
        // An attribution awaiting the office's confirmation does not count (issue 15 #4).
        .filter(hazard::Column::ClassPending.eq(false))
        .filter(hazard::Column::ReportedAt.gte(start))
        .filter(hazard::Column::ReportedAt.lt(end))
        .order_by_asc(hazard::Column::ReportedAt)
        .all(db)
        .await?;
    // In chunks: a range's hazards can outnumber a database's bound on query parameters.
    let submission_ids: Vec<Uuid> = hazards.iter().filter_map(|h| h.submission_id).collect();
    let mut from_spot_checks: HashSet<Uuid> = HashSet::new();
    for chunk in submission_ids.chunks(500) {
        from_spot_checks.extend(
            submission::Entity::find()
                .select_only()
                .column(submission::Column::Id)
                .filter(submission::Column::Id.is_in(chunk.to_vec()))
                .filter(submission::Column::Kind.eq(crate::features::inspections::KIND_SPOT))
                .into_tuple::<Uuid>()
                .all(db)
                .await?,
        );
    }
    for h in hazards {
        // A spot-check's failed item is already a discrepancy: its automatic hazard is not a
        // second penalty for the same finding.
        if h.submission_id
            .is_some_and(|id| from_spot_checks.contains(&id))
        {
            continue;
        }
        if let Some(cid) = h.class_id {
            push(&mut map, cid, "class_hazards", src("hazard", h.id, 1));
        }
    }

    for i in incident::Entity::find()
        .filter(incident::Column::ClassId.is_not_null())
        .filter(incident::Column::ClassPending.eq(false))
        .filter(incident::Column::OccurredAt.gte(start))
        .filter(incident::Column::OccurredAt.lt(end))
        .order_by_asc(incident::Column::OccurredAt)
        .all(db)
        .await?
    {
        if let Some(cid) = i.class_id {
            push(&mut map, cid, "class_incidents", src("incident", i.id, 1));
        }
    }

    let threshold = crate::reports::platform::threshold(db).await?;
    for f in figure::Entity::find()
        .filter(figure::Column::Month.is_in(months_of(r.from, r.to)))
        .order_by_asc(figure::Column::Month)
        .all(db)
        .await?
    {
        if !crate::reports::platform::is_below(f.completed, f.class_size, threshold) {
            push(
                &mut map,
                f.class_id,
                "platform_months_met",
                src("platform_figure", f.id, 1),
            );
        }
    }
    Ok(map.into_values().collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricInfo {
    pub key: String,
    /// `staff` or `class`.
    pub subject: String,
    pub label: String,
    /// What one unit of the count is.
    pub rule: String,
    pub weight: i32,
    pub default_weight: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentResponse {
    pub from: String,
    pub to: String,
    /// The semester's code, when the range is a semester.
    pub semester: Option<String>,
    /// The semester's name, when it is a defined semester.
    pub semester_name: Option<String>,
    pub metrics: Vec<MetricInfo>,
    /// Ranked, best first.
    pub staff: Vec<AssessmentRow>,
    /// Ranked, best first.
    pub classes: Vec<AssessmentRow>,
}

fn metric_infos(w: &Weights) -> Vec<MetricInfo> {
    METRICS
        .iter()
        .map(|m| MetricInfo {
            key: m.key.into(),
            subject: match m.subject {
                Subject::Staff => "staff",
                Subject::Class => "class",
            }
            .into(),
            label: m.label.into(),
            rule: m.rule.into(),
            weight: w.get(m.key).copied().unwrap_or(m.default_weight),
            default_weight: m.default_weight,
        })
        .collect()
}

pub async fn compute(db: &impl ConnectionTrait, r: &Range) -> AppResult<AssessmentResponse> {
    let w = weights(db).await?;
    Ok(AssessmentResponse {
        from: crate::features::plans::fmt_date(r.from),
        to: crate::features::plans::fmt_date(r.to),
        semester: r.semester.clone(),
        semester_name: r.semester_name.clone(),
        metrics: metric_infos(&w),
        staff: score(Subject::Staff, staff_facts(db, r).await?, &w),
        classes: score(Subject::Class, class_facts(db, r).await?, &w),
    })
}

/// The ranking of a semester (or `from`–`to`): per staff member and per class, each metric's
/// count, weight, points and the records behind it.
#[utoipa::path(
    tag = "assessment",
    params(LedgerQuery),
    responses(
        (status = 200, body = AssessmentResponse),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/assessment")]
pub async fn get_assessment(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<LedgerQuery>,
) -> AppResult<web::Json<AssessmentResponse>> {
    let db = &state.db.conn;
    let r = crate::reports::ledger::resolve_range(db, &query, state.tz).await?;
    Ok(web::Json(compute(db, &r).await?))
}

/// The ranking sheets' columns: rank, name, detail, then count and points per metric of the
/// subject (in `METRICS` order), then the total.
const STAFF_HEADERS: &[&str] = &[
    "排名",
    "姓名",
    "岗位",
    "值班(次)",
    "值班(分)",
    "按时检查(次)",
    "按时检查(分)",
    "隐患按期整改(条)",
    "隐患按期整改(分)",
    "计划任务完成(项)",
    "计划任务完成(分)",
    "总分",
];
const CLASS_HEADERS: &[&str] = &[
    "排名",
    "班级",
    "年级",
    "交通安全检查按时(次)",
    "交通安全检查按时(分)",
    "抽查不一致(项)",
    "抽查不一致(分)",
    "隐患(条)",
    "隐患(分)",
    "安全事件(起)",
    "安全事件(分)",
    "安全平台达标(月)",
    "安全平台达标(分)",
    "总分",
];

/// The ranking as sheets: staff, classes, and every record behind the points.
pub async fn ledger_sheets(db: &impl ConnectionTrait, r: &Range) -> AppResult<Vec<Sheet>> {
    let a = compute(db, r).await?;
    let rows_of = |rows: &[AssessmentRow]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| {
                let mut cells = vec![row.rank.to_string(), row.name.clone(), row.detail.clone()];
                for m in &row.metrics {
                    cells.push(m.count.to_string());
                    cells.push(m.points.to_string());
                }
                cells.push(row.total.to_string());
                cells
            })
            .collect()
    };
    let mut basis = Vec::new();
    for (who, rows) in [("教职工", &a.staff), ("班级", &a.classes)] {
        for row in rows.iter() {
            for m in &row.metrics {
                for s in &m.sources {
                    basis.push(vec![
                        who.to_owned(),
                        row.name.clone(),
                        m.label.clone(),
                        source_zh(&s.kind).to_owned(),
                        s.id.to_string(),
                        s.units.to_string(),
                        m.weight.to_string(),
                        (s.units * i64::from(m.weight)).to_string(),
                    ]);
                }
            }
        }
    }
    let weights = a
        .metrics
        .iter()
        .map(|m| {
            vec![
                if m.subject == "staff" {
                    "教职工"
                } else {
                    "班级"
                }
                .to_owned(),
                m.label.clone(),
                m.rule.clone(),
                m.weight.to_string(),
            ]
        })
        .collect();
    Ok(vec![
        Sheet {
            key: "assessment_staff",
            name: "考核-教职工",
            headers: STAFF_HEADERS,
            rows: rows_of(&a.staff),
        },
        Sheet {
            key: "assessment_classes",
            name: "考核-班级",
            headers: CLASS_HEADERS,
            rows: rows_of(&a.classes),
        },
        Sheet {
            key: "assessment_basis",
            name: "考核依据",
            headers: &[
                "对象",
                "名称",
                "指标",
                "记录类型",
                "记录编号",
                "计数",
                "权重",
                "得分",
            ],
            rows: basis,
        },
        Sheet {
            key: "assessment_weights",
            name: "考核权重",
            headers: &["对象", "指标", "计分规则", "每次得分"],
            rows: weights,
        },
    ])
}

fn source_zh(kind: &str) -> &'static str {
    match kind {
        "duty_shift" => "值班",
        "inspection" => "检查",
        "hazard" => "隐患",
        "incident" => "安全事件",
        "plan_item" => "计划任务",
        "platform_figure" => "安全平台",
        _ => "",
    }
}

/// The ranking as an XLSX workbook (staff, classes, the records behind the points, the
/// weights). The full ledger workbook carries the same sheets.
#[utoipa::path(
    tag = "assessment",
    params(LedgerQuery),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = crate::infra::error::Problem),
        (status = 404, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/assessment/xlsx")]
pub async fn assessment_xlsx(
    auth: Auth<OfficeOrPrincipal>,
    state: State,
    query: web::Query<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let db = &state.db.conn;
    let r = crate::reports::ledger::resolve_range(db, &query, state.tz).await?;
    let sheets = ledger_sheets(db, &r).await?;
    let bytes = crate::reports::ledger::to_xlsx(&sheets).map_err(|e| {
        tracing::error!(error = %e, "assessment xlsx");
        ApiError::internal()
    })?;
    let tx = state.db.begin_write().await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "assessment.export",
        "assessment",
        r.semester.clone(),
        json!({"from": crate::features::plans::fmt_date(r.from), "to": crate::features::plans::fmt_date(r.to)}),
    )
    .await?;
    tx.commit().await?;
    let stem = match &r.semester {
        Some(s) => format!("assessment-{s}"),
        None => format!(
            "assessment-{}-{}",
            crate::features::plans::fmt_date(r.from),
            crate::features::plans::fmt_date(r.to)
        ),
    };
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(crate::infra::download::attachment(&format!("{stem}.xlsx")))
        .body(bytes))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeightsResponse {
    pub metrics: Vec<MetricInfo>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWeightsRequest {
    /// Metric key → points per unit (−100…100); keys left out keep their weight.
    pub weights: BTreeMap<String, i32>,
}

/// The weights (points per unit of each metric).
#[utoipa::path(
    tag = "assessment",
    responses((status = 200, body = WeightsResponse), (status = 403, body = crate::infra::error::Problem)),
    security(("bearer" = ["principal", "security_office"]))
)]
#[get("/assessment/weights")]
pub async fn get_weights(
    _auth: Auth<OfficeOrPrincipal>,
    state: State,
) -> AppResult<web::Json<WeightsResponse>> {
    Ok(web::Json(WeightsResponse {
        metrics: metric_infos(&weights(&state.db.conn).await?),
    }))
}

/// Set weights (the office).
#[utoipa::path(
    tag = "assessment",
    request_body = SetWeightsRequest,
    responses((status = 200, body = WeightsResponse), (status = 422, body = crate::infra::error::Problem)),
    security(("bearer" = ["security_office"]))
)]
#[put("/assessment/weights")]
pub async fn put_weights(
    auth: Auth<Office>,
    state: State,
    body: web::Json<SetWeightsRequest>,
) -> AppResult<web::Json<WeightsResponse>> {
    let b = body.into_inner();
    let mut v = Validator::new();
    for (k, w) in &b.weights {
        let field = format!("weights.{k}");
        if !METRICS.iter().any(|m| m.key == k) {
            v.add(&field, "unknown_metric", "没有这个考核指标");
        } else if !(-100..=100).contains(w) {
            v.add(&field, "invalid", "权重应在 -100 到 100 之间");
        }
    }
    v.finish()?;
    let tx = state.db.begin_write().await?;
    let before = weights(&*tx).await?;
    let mut after = before.clone();
    after.extend(b.weights);
    crate::reports::platform::put_setting(&*tx, WEIGHTS_KEY, json!(after), auth.user.id).await?;
    audit::record(
        &*tx,
        auth.user.actor(),
        "assessment.weights_set",
        "setting",
        Some(WEIGHTS_KEY.into()),
        json!({"before": before, "after": after}),
    )
    .await?;
    tx.commit().await?;
    Ok(web::Json(WeightsResponse {
        metrics: metric_infos(&after),
    }))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_assessment)
        .service(assessment_xlsx)
        .service(get_weights)
        .service(put_weights);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_metric_has_its_two_columns_in_the_ranking_sheets() {
        for (subject, headers) in [
            (Subject::Staff, STAFF_HEADERS),
            (Subject::Class, CLASS_HEADERS),
        ] {
            let metrics: Vec<&Metric> = METRICS.iter().filter(|m| m.subject == subject).collect();
            assert_eq!(headers.len(), 3 + 2 * metrics.len() + 1);
            for (i, m) in metrics.iter().enumerate() {
                assert!(headers[3 + 2 * i].starts_with(m.label), "{}", m.key);
                assert!(headers[4 + 2 * i].starts_with(m.label), "{}", m.key);
            }
        }
    }

    fn facts(name: &str, sources: &[(&'static str, i64)]) -> Facts {
        let mut f = Facts {
            id: Uuid::now_v7(),
            name: name.into(),
            ..Default::default()
        };
        for (k, units) in sources {
            f.sources
                .entry(*k)
                .or_default()
                .push(src("inspection", Uuid::now_v7(), *units));
        }
        f
    }

    #[test]
    fn points_are_units_times_weight_and_ties_share_a_rank() {
        let w = default_weights();
        let rows = score(
            Subject::Class,
            vec![
                facts("乙", &[("traffic_on_time", 1), ("traffic_on_time", 1)]),
                facts(
                    "甲",
                    &[
                        ("traffic_on_time", 1),
                        ("spot_discrepancies", 3),
                        ("platform_months_met", 1),
                    ],
                ),
                facts("丙", &[("traffic_on_time", 1), ("traffic_on_time", 1)]),
                facts("丁", &[("duty_shifts", 5)]),
            ],
            &w,
        );
        // 甲: 1×2 + 3×(−1) + 1×5 = 4; 乙, 丙: 2×2 = 4; 丁: staff metrics do not count for a class.
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.total, r.rank))
            .collect();
        assert_eq!(
            got,
            vec![("丙", 4, 1), ("乙", 4, 1), ("甲", 4, 1), ("丁", 0, 4)]
        );
        let jia = rows.iter().find(|r| r.name == "甲").unwrap();
        let spot = jia
            .metrics
            .iter()
            .find(|m| m.key == "spot_discrepancies")
            .unwrap();
        assert_eq!((spot.count, spot.weight, spot.points), (3, -1, -3));
        assert_eq!(spot.sources.len(), 1);
        // Every class metric, scored or not: traffic, spot-checks, hazards, incidents, platform.
        assert_eq!(jia.metrics.len(), 5);
    }

    #[test]
    fn weights_change_the_order() {
        let mut w = default_weights();
        w.insert("duty_shifts".into(), 10);
        let rows = score(
            Subject::Staff,
            vec![
                facts("甲", &[("checks_on_time", 7)]),
                facts("乙", &[("duty_shifts", 1)]),
            ],
            &w,
        );
        assert_eq!(rows[0].name, "乙");
        assert_eq!((rows[0].total, rows[1].total), (10, 7));
        assert_eq!((rows[0].rank, rows[1].rank), (1, 2));
    }

    #[test]
    fn months_of_a_range() {
        let d = |s| crate::features::plans::parse_date(s).unwrap();
        assert_eq!(
            months_of(d("2025-11-15"), d("2026-02-01")),
            vec!["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }
}
