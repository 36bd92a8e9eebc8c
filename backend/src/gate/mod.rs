//! The gate: scans of leave passes (online and offline batches), single use enforced by the
//! database, the published verification keys and revocations, students out now and overdue,
//! and the gate log.

pub mod model;

use crate::audit::{self, Actor};
use crate::auth::extract::{Auth, AuthOrKey, Caller};
use crate::auth::roles::{GateLogReaders, GateRead, GateScan, GuardOrOffice, PassReaders, Role};
use crate::classes::model as class;
use crate::error::{ApiError, AppResult, FieldError};
use crate::pagination::{Page, Paging};
use crate::passes::model::leave_pass;
use crate::passes::token::{self, PassKind, WindowError};
use crate::passes::{self, keys};
use crate::state::{AppState, State};
use crate::students::model::student;
use actix_web::{get, post, web};
use chrono::{DateTime, Duration, Utc};
use model::scan;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, SqlErr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A batch may hold this many scans.
pub const BATCH_MAX: usize = 500;
/// Offline clocks drift: a scan may claim to be this far in the future.
const CLOCK_SKEW_SECS: i64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Exit,
    Return,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Exit => "exit",
            Direction::Return => "return",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Deny,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The QR code's text (format `XA1`).
    pub token: String,
    pub direction: Direction,
    /// Which gate (e.g. `南门`), 1–64 characters.
    pub gate: String,
    /// Made by the phone for this scan (a UUID is best), 1–64 characters. Sending the same id
    /// again returns the first verdict and records nothing new.
    pub client_event_id: String,
    /// When the scan happened (default: now). Online, the pass is judged at server time.
    pub scanned_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchScan {
    pub token: String,
    pub direction: Direction,
    pub gate: String,
    pub client_event_id: String,
    /// When the scan happened on the phone; the pass is judged at this moment.
    pub scanned_at: DateTime<Utc>,
    /// What the phone showed offline (default `allow`). Only scans the phone let through can
    /// conflict.
    pub offline_result: Option<Verdict>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1–500 scans made offline.
    pub scans: Vec<BatchScan>,
}

/// The fewest fields a guard needs to recognise the student.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanStudent {
    pub name: String,
    pub class: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanPass {
    pub id: Uuid,
    /// `exit_only` or `exit_and_return`.
    pub kind: String,
    pub valid_until: DateTime<Utc>,
    pub return_by: Option<DateTime<Utc>>,
    /// The pass's status after this scan.
    pub status: String,
}

/// The verdict. `code` is `ok` on allow; on deny one of `malformed_token`, `unknown_key`,
/// `bad_signature`, `pass_not_found`, `pass_revoked`, `pass_not_yet_valid`, `pass_expired`,
/// `student_disabled`, `pass_already_used`, `return_before_exit`, `already_returned`,
/// `bad_scanned_at`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanResponse {
    pub result: Verdict,
    pub code: String,
    /// The recorded scan's id.
    pub event_id: Uuid,
    pub client_event_id: String,
    /// Present once the signature is good.
    pub student: Option<ScanStudent>,
    pub pass: Option<ScanPass>,
    /// Offline scans only: another gate had already let this pass out earlier.
    pub conflict: bool,
    pub scanned_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// One verdict per scan, in the order sent.
    pub results: Vec<ScanResponse>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Online,
    Batch { phone_allowed: bool },
}

struct Incoming {
    token: String,
    direction: Direction,
    gate: String,
    client_event_id: String,
    scanned_at: DateTime<Utc>,
    source: Source,
}

fn validate(gate: &str, client_event_id: &str, prefix: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut check = |field: &str, v: &str| {
        let n = v.trim().chars().count();
        if n == 0 || n > 64 {
            errs.push(FieldError {
                field: format!("{prefix}{field}"),
                code: if n == 0 { "required" } else { "too_long" }.into(),
                message: "须为 1–64 个字符".into(),
                line: None,
            });
        }
    };
    check("gate", gate);
    check("client_event_id", client_event_id);
    errs
}

/// Record one scan of a leave pass and get the verdict in one round trip: `allow` or `deny`
/// with a code, the student's name and class. The signature is checked before anything else
/// is read. An exit is allowed once per pass (the database decides, so concurrent scans of
/// one pass at two gates give one allow). Every scan is recorded with the guard or key, the
/// gate and the time. Deny verdicts are `200` too: a scan was made and recorded.
#[utoipa::path(
    tag = "gate",
    request_body = ScanRequest,
    responses(
        (status = 200, body = ScanResponse),
        (status = 422, body = crate::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[post("/gate/scans")]
pub async fn record_scan(
    auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
    body: web::Json<ScanRequest>,
) -> AppResult<web::Json<ScanResponse>> {
    let body = body.into_inner();
    let errs = validate(&body.gate, &body.client_event_id, "");
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    let now = crate::util::now();
    let incoming = Incoming {
        token: body.token,
        direction: body.direction,
        gate: body.gate.trim().to_owned(),
        client_event_id: body.client_event_id.trim().to_owned(),
        // Online the server's clock is the judge; a claimed time in the future is not kept.
        scanned_at: body
            .scanned_at
            .filter(|t| *t <= now + Duration::seconds(CLOCK_SKEW_SECS))
            .unwrap_or(now),
        source: Source::Online,
    };
    Ok(web::Json(process(&state, &auth.caller, incoming).await?))
}

/// Sync scans made offline (up to 500), each judged at its `scanned_at`, idempotent by
/// `client_event_id` as online. When two gates both let one pass out offline, both scans are
/// kept and the later one is flagged `conflict` (the office sees it in the gate log with
/// `conflict=true`).
#[utoipa::path(
    tag = "gate",
    request_body = BatchRequest,
    responses(
        (status = 200, body = BatchResponse),
        (status = 413, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[post("/gate/scans/batch")]
pub async fn record_scan_batch(
    auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
    body: web::Bytes,
) -> AppResult<web::Json<BatchResponse>> {
    // Raw bytes so that a full batch may exceed the app-wide JSON limit.
    let body: BatchRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("invalid_body", crate::error::scrub_quoted(&e.to_string()))
    })?;
    if body.scans.is_empty() || body.scans.len() > BATCH_MAX {
        return Err(ApiError::validation(vec![FieldError {
            field: "scans".into(),
            code: "invalid".into(),
            message: format!("须有 1–{BATCH_MAX} 条扫码记录"),
            line: None,
        }]));
    }
    let mut errs = Vec::new();
    for (i, s) in body.scans.iter().enumerate() {
        errs.extend(validate(
            &s.gate,
            &s.client_event_id,
            &format!("scans[{i}]."),
        ));
    }
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    // Oldest first, so that the earlier of two conflicting exits is the one that counts.
    let mut order: Vec<usize> = (0..body.scans.len()).collect();
    order.sort_by_key(|&i| body.scans[i].scanned_at);
    let mut items: Vec<Option<BatchScan>> = body.scans.into_iter().map(Some).collect();
    let mut results: Vec<Option<ScanResponse>> = vec![None; items.len()];
    let mut incoming = Vec::with_capacity(items.len());
    let mut slots = Vec::with_capacity(items.len());
    for i in order {
        let Some(s) = items[i].take() else { continue };
        incoming.push(Incoming {
            token: s.token,
            direction: s.direction,
            gate: s.gate.trim().to_owned(),
            client_event_id: s.client_event_id.trim().to_owned(),
            scanned_at: s.scanned_at,
            source: Source::Batch {
                phone_allowed: s.offline_result != Some(Verdict::Deny),
            },
        });
        slots.push(i);
    }
    for (i, r) in slots
        .into_iter()
        .zip(process_in_order(&state, &auth.caller, incoming).await?)
    {
        results[i] = Some(r);
    }
    Ok(web::Json(BatchResponse {
        results: results.into_iter().flatten().collect(),
    }))
}

/// The token, checked before anything is read: its claims, or why it was refused.
enum Checked {
    Valid(Box<token::Claims>),
    Denied(&'static str),
}

/// The signature first: nothing in the token is believed before it checks out. Needs no
/// database read once the key is cached.
async fn check_token(state: &AppState, inc: &Incoming, now: DateTime<Utc>) -> AppResult<Checked> {
    if let Source::Batch { .. } = inc.source
        && inc.scanned_at > now + Duration::seconds(CLOCK_SKEW_SECS)
    {
        return Ok(Checked::Denied("bad_scanned_at"));
    }
    let kid = match token::kid_of(&inc.token) {
        Ok(k) => k,
        Err(e) => return Ok(Checked::Denied(e.code())),
    };
    let key = state.pass_keys.get(&state.db.conn, &kid).await?;
    Ok(match token::verify(&inc.token, |_| key) {
        Ok(c) => Checked::Valid(Box::new(c)),
        Err(e) => Checked::Denied(e.code()),
    })
}

/// A pass with its student, as the write reads them.
type PassRow = (leave_pass::Model, Option<student::Model>);

/// The passes of `ids` with their students, in one read.
async fn read_passes(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, PassRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(leave_pass::Entity::find()
        .filter(leave_pass::Column::Id.is_in(ids))
        .find_also_related(student::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(p, s)| (p.id, (p, s)))
        .collect())
}

/// What the checks before the pass update decided.
struct Judged {
    pass: Option<leave_pass::Model>,
    student: Option<ScanStudent>,
    /// `Some(code)`: deny without touching the pass.
    deny: Option<&'static str>,
}

/// The checks that need the pass and the student (read inside the write transaction).
fn judge(inc: &Incoming, checked: &Checked, found: Option<&PassRow>, now: DateTime<Utc>) -> Judged {
    let denied = |code| Judged {
        pass: None,
        student: None,
        deny: Some(code),
    };
    let claims = match checked {
        Checked::Valid(c) => c,
        Checked::Denied(code) => return denied(code),
    };
    let Some((pass, stud)) = found else {
        return denied("pass_not_found");
    };
    let student = Some(ScanStudent {
        name: stud.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        class: claims.class_name.clone(),
    });
    let at = match inc.source {
        Source::Online => now,
        Source::Batch { .. } => inc.scanned_at,
    };
    let deny = match inc.direction {
        Direction::Exit => {
            let revoked = pass.revoked_at.is_some_and(|r| r <= at);
            if revoked {
                Some("pass_revoked")
            } else if let Err(w) = token::check_window(claims, at.timestamp()) {
                Some(match w {
                    WindowError::NotYetValid => "pass_not_yet_valid",
                    WindowError::Expired => "pass_expired",
                })
            } else if !stud.as_ref().is_some_and(|s| s.is_active) {
                Some("student_disabled")
            } else {
                None
            }
        }
        // A student coming back is let in whatever the window; only the state matters.
        Direction::Return => None,
    };
    Judged {
        pass: Some(pass.clone()),
        student,
        deny,
    }
}

impl Prepared {
    fn pass_id(&self) -> Option<Uuid> {
        match &self.checked {
            Checked::Valid(c) => Some(c.pass_id),
            Checked::Denied(_) => None,
        }
    }
}

fn scan_pass(p: &leave_pass::Model, now: DateTime<Utc>) -> ScanPass {
    ScanPass {
        id: p.id,
        kind: p.kind.clone(),
        valid_until: p.valid_until,
        return_by: p.return_by,
        status: passes::effective_status(p, now).to_owned(),
    }
}

/// The stored verdict of an event already recorded.
async fn replay(db: &impl ConnectionTrait, s: scan::Model) -> AppResult<ScanResponse> {
    let now = crate::util::now();
    let (student, pass) = match s.pass_id {
        Some(pid) => match leave_pass::Entity::find_by_id(pid).one(db).await? {
            Some(p) => {
                let name = student::Entity::find_by_id(p.student_id)
                    .one(db)
                    .await?
                    .map(|st| st.name)
                    .unwrap_or_default();
                let cname = class::Entity::find_by_id(p.class_id)
                    .one(db)
                    .await?
                    .map(|c| c.name)
                    .unwrap_or_default();
                (
                    Some(ScanStudent { name, class: cname }),
                    Some(scan_pass(&p, now)),
                )
            }
            None => (None, None),
        },
        None => (None, None),
    };
    Ok(ScanResponse {
        result: if s.result == "allow" {
            Verdict::Allow
        } else {
            Verdict::Deny
        },
        code: s.code,
        event_id: s.id,
        client_event_id: s.client_event_id,
        student,
        pass,
        conflict: s.conflict,
        scanned_at: s.scanned_at,
    })
}

fn set_pass_cols(
    q: sea_orm::UpdateMany<leave_pass::Entity>,
    cols: Vec<(leave_pass::Column, sea_orm::Value)>,
) -> sea_orm::UpdateMany<leave_pass::Entity> {
    cols.into_iter()
        .fold(q, |q, (c, v)| q.col_expr(c, Expr::value(v)))
}

/// Checks the token (no read) and stamps the scan with its id and the server's time.
async fn prepare(state: &AppState, caller: &Caller, inc: Incoming) -> AppResult<Prepared> {
    let now = crate::util::now();
    let checked = check_token(state, &inc, now).await?;
    Ok(Prepared {
        inc,
        checked,
        actor: caller.actor(),
        id: Uuid::now_v7(),
        now,
    })
}

/// One scan in its own transaction (PostgreSQL, which groups commits itself).
async fn write_alone(state: &AppState, p: &Prepared) -> AppResult<Option<ScanResponse>> {
    let tx = state.db.begin_write().await?;
    let applied = apply(&*tx, p).await?;
    // Nothing to keep when the client event was recorded before (dropping rolls back).
    if applied.is_some() {
        tx.commit().await?;
    }
    Ok(applied)
}

/// The answer for a written scan: its verdict, or (`None`: the client event was recorded
/// before) the first verdict recorded for it.
async fn answer(
    state: &AppState,
    client_event_id: &str,
    applied: Option<ScanResponse>,
) -> AppResult<ScanResponse> {
    let db = &state.db.conn;
    match applied {
        Some(r) => {
            // Counted once committed; replays of a recorded event are not new scans.
            crate::metrics::record_scan(match r.result {
                Verdict::Allow => "allow",
                Verdict::Deny => "deny",
            });
            Ok(r)
        }
        None => {
            let s = scan::Entity::find()
                .filter(scan::Column::ClientEventId.eq(client_event_id))
                .one(db)
                .await?
                .ok_or_else(ApiError::internal)?;
            replay(db, s).await
        }
    }
}

/// Judges and records one scan. A client event already recorded is found by the write (the
/// unique `client_event_id`), not by a read before it: replays are rare, scans are not.
async fn process(state: &AppState, caller: &Caller, inc: Incoming) -> AppResult<ScanResponse> {
    let prepared = prepare(state, caller, inc).await?;
    let client_event_id = prepared.inc.client_event_id.clone();
    let applied = match &state.scan_writer {
        Some(writer) => writer.submit(prepared).await?,
        None => write_alone(state, &prepared).await?,
    };
    answer(state, &client_event_id, applied).await
}

/// Judges and records scans in the given order. The SQLite writer gets them all at once, in
/// order, so a phone's offline backlog shares a few commits instead of one each.
async fn process_in_order(
    state: &AppState,
    caller: &Caller,
    incoming: Vec<Incoming>,
) -> AppResult<Vec<ScanResponse>> {
    let mut prepared = Vec::with_capacity(incoming.len());
    for inc in incoming {
        prepared.push(prepare(state, caller, inc).await?);
    }
    let event_ids: Vec<String> = prepared
        .iter()
        .map(|p| p.inc.client_event_id.clone())
        .collect();
    let applied = match &state.scan_writer {
        Some(writer) => writer.submit_all(prepared).await,
        None => {
            let mut out = Vec::with_capacity(prepared.len());
            for p in &prepared {
                out.push(write_alone(state, p).await);
            }
            out
        }
    };
    let mut answers = Vec::with_capacity(applied.len());
    for (event_id, applied) in event_ids.iter().zip(applied) {
        answers.push(answer(state, event_id, applied?).await?);
    }
    Ok(answers)
}

/// A scan whose token is checked, ready for the write (which reads the pass and decides).
pub struct Prepared {
    inc: Incoming,
    checked: Checked,
    actor: Actor,
    id: Uuid,
    now: DateTime<Utc>,
}

/// The write of one scan: the single-use decision, the scan row, its audit. `None` when the
/// client event is already recorded (the caller answers with the first verdict).
async fn apply(tx: &impl ConnectionTrait, p: &Prepared) -> AppResult<Option<ScanResponse>> {
    let found = read_passes(tx, p.pass_id().into_iter().collect()).await?;
    let judged = judge(
        &p.inc,
        &p.checked,
        p.pass_id().and_then(|id| found.get(&id)),
        p.now,
    );
    let d = decide(tx, p, &judged).await?;
    if let Err(e) = scan::Entity::insert(d.row).exec(tx).await {
        if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
            return Ok(None);
        }
        return Err(e.into());
    }
    if let Some(entry) = d.audit {
        audit::model::Entity::insert(entry).exec(tx).await?;
    }
    Ok(Some(d.response))
}

/// What one scan writes besides the pass: its row and, when it changed a pass or conflicts,
/// its audit entry; and the answer.
struct Decided {
    row: scan::ActiveModel,
    audit: Option<audit::model::ActiveModel>,
    response: ScanResponse,
}

/// The single-use decision: moves the pass (a conditional update, so the database decides
/// between concurrent scans) and says what to record.
async fn decide(tx: &impl ConnectionTrait, p: &Prepared, judged: &Judged) -> AppResult<Decided> {
    let Prepared {
        inc,
        actor,
        id,
        now,
        ..
    } = p;
    let (actor, id, now) = (*actor, *id, *now);
    let mut result = Verdict::Deny;
    let mut code: &str = judged.deny.unwrap_or("ok");
    let mut conflict = false;
    let mut pass_after = judged.pass.clone();
    if let (Some(pass), None) = (&judged.pass, judged.deny) {
        let batch = matches!(inc.source, Source::Batch { .. });
        let at = inc.scanned_at;
        let moved = match inc.direction {
            Direction::Exit => {
                // The single-use decision, made atomically by the database.
                let mut cond = Condition::any().add(leave_pass::Column::Status.eq("issued"));
                if batch {
                    // Revoked after the student already left offline: the exit stands.
                    cond = cond.add(
                        Condition::all()
                            .add(leave_pass::Column::Status.eq("revoked"))
                            .add(leave_pass::Column::RevokedAt.gt(at)),
                    );
                }
                set_pass_cols(
                    leave_pass::Entity::update_many(),
                    vec![
                        (leave_pass::Column::Status, "out".into()),
                        (leave_pass::Column::ExitedAt, at.into()),
                        (leave_pass::Column::ExitScanId, id.into()),
                        (leave_pass::Column::UpdatedAt, now.into()),
                    ],
                )
                .filter(leave_pass::Column::Id.eq(pass.id))
                .filter(cond)
                .exec(tx)
                .await?
                .rows_affected
                    == 1
            }
            Direction::Return => {
                set_pass_cols(
                    leave_pass::Entity::update_many(),
                    vec![
                        (leave_pass::Column::Status, "returned".into()),
                        (leave_pass::Column::ReturnedAt, at.into()),
                        (leave_pass::Column::ReturnScanId, id.into()),
                        (leave_pass::Column::UpdatedAt, now.into()),
                    ],
                )
                .filter(leave_pass::Column::Id.eq(pass.id))
                .filter(leave_pass::Column::Status.eq("out"))
                .exec(tx)
                .await?
                .rows_affected
                    == 1
            }
        };
        if moved {
            result = Verdict::Allow;
            code = "ok";
            // What the update wrote, without reading it back.
            let mut p = pass.clone();
            match inc.direction {
                Direction::Exit => {
                    p.status = "out".into();
                    p.exited_at = Some(at);
                    p.exit_scan_id = Some(id);
                }
                Direction::Return => {
                    p.status = "returned".into();
                    p.returned_at = Some(at);
                    p.return_scan_id = Some(id);
                }
            }
            pass_after = Some(p);
        } else {
            let mut current = passes::find(tx, pass.id).await?;
            code = match (inc.direction, current.status.as_str()) {
                (Direction::Exit, "revoked") => "pass_revoked",
                (Direction::Exit, _) => "pass_already_used",
                (Direction::Return, "returned") => "already_returned",
                (Direction::Return, "revoked") => "pass_revoked",
                (Direction::Return, _) => "return_before_exit",
            };
            if let (
                Direction::Exit,
                Source::Batch {
                    phone_allowed: true,
                },
                "out" | "returned",
            ) = (inc.direction, inc.source, current.status.as_str())
            {
                conflict = true;
                // The earlier of two offline exits is the one that counts.
                if let (Some(prev_at), Some(prev_id)) = (current.exited_at, current.exit_scan_id)
                    && at < prev_at
                {
                    let swapped = set_pass_cols(
                        leave_pass::Entity::update_many(),
                        vec![
                            (leave_pass::Column::ExitedAt, at.into()),
                            (leave_pass::Column::ExitScanId, id.into()),
                            (leave_pass::Column::UpdatedAt, now.into()),
                        ],
                    )
                    .filter(leave_pass::Column::Id.eq(pass.id))
                    .filter(leave_pass::Column::ExitScanId.eq(prev_id))
                    .exec(tx)
                    .await?
                    .rows_affected
                        == 1;
                    if swapped {
                        scan::Entity::update_many()
                            .col_expr(scan::Column::Conflict, Expr::value(true))
                            .col_expr(scan::Column::Result, Expr::value("deny"))
                            .col_expr(scan::Column::Code, Expr::value("pass_already_used"))
                            .filter(scan::Column::Id.eq(prev_id))
                            .exec(tx)
                            .await?;
                        result = Verdict::Allow;
                        code = "ok";
                        conflict = false;
                        current.exited_at = Some(at);
                        current.exit_scan_id = Some(id);
                    }
                }
            }
            pass_after = Some(current);
        }
    }
    let row = scan::ActiveModel {
        id: Set(id),
        client_event_id: Set(inc.client_event_id.clone()),
        pass_id: Set(judged.pass.as_ref().map(|p| p.id)),
        student_id: Set(judged.pass.as_ref().map(|p| p.student_id)),
        class_id: Set(judged.pass.as_ref().map(|p| p.class_id)),
        direction: Set(inc.direction.as_str().into()),
        gate: Set(inc.gate.clone()),
        result: Set(match result {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        }
        .into()),
        code: Set(code.into()),
        conflict: Set(conflict),
        source: Set(match inc.source {
            Source::Online => "online",
            Source::Batch { .. } => "batch",
        }
        .into()),
        scanned_at: Set(inc.scanned_at),
        received_at: Set(now),
        actor_user_id: Set(actor.user_id),
        actor_api_key_id: Set(actor.api_key_id),
    };
    let audit = (result == Verdict::Allow || conflict)
        .then(|| audit_entry(actor, inc, id, judged.pass.as_ref(), code, conflict));
    Ok(Decided {
        row,
        audit,
        response: ScanResponse {
            result,
            code: code.into(),
            event_id: id,
            client_event_id: inc.client_event_id.clone(),
            student: judged.student.clone(),
            pass: pass_after.as_ref().map(|p| scan_pass(p, now)),
            conflict,
            scanned_at: inc.scanned_at,
        },
    })
}

/// Group commit for SQLite. With `synchronous=FULL` every commit waits for an fsync (about
/// 3 ms here), so one transaction per scan caps a gate at a few hundred scans a second. The
/// writer takes every scan waiting, decides each in order inside one transaction, writes all
/// their rows in one statement, commits once, and only then answers each: the same atomic
/// single-use decision and the same durability, one fsync and a handful of statements per
/// group. If the group fails it is written again scan by scan, each in its own savepoint.
/// PostgreSQL groups commits itself.
pub struct ScanWriter {
    jobs: tokio::sync::mpsc::Sender<Job>,
}

type Job = (
    Prepared,
    tokio::sync::oneshot::Sender<AppResult<Option<ScanResponse>>>,
);

/// At most this many scans share one commit.
const GROUP_MAX: usize = 128;

impl ScanWriter {
    /// Starts the writer on the current runtime (SQLite only; `None` for PostgreSQL).
    pub fn start(db: &crate::db::Db) -> Option<Self> {
        if db.backend() != sea_orm::DatabaseBackend::Sqlite {
            return None;
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Job>(4 * GROUP_MAX);
        let db = db.clone();
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(GROUP_MAX);
            while let Some(first) = rx.recv().await {
                group.push(first);
                while group.len() < GROUP_MAX {
                    match rx.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                run_group(&db, &mut group).await;
            }
        });
        Some(Self { jobs: tx })
    }

    async fn submit(&self, p: Prepared) -> AppResult<Option<ScanResponse>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs.send((p, reply)).await.map_err(|_| {
            tracing::error!("the gate scan writer has stopped");
            ApiError::unavailable()
        })?;
        answer.await.map_err(|_| ApiError::unavailable())?
    }

    /// Queues every scan in order before waiting for any (the writer keeps the order), so
    /// they share group commits.
    async fn submit_all(&self, ps: Vec<Prepared>) -> Vec<AppResult<Option<ScanResponse>>> {
        let mut pending = Vec::with_capacity(ps.len());
        for p in ps {
            let (reply, answer) = tokio::sync::oneshot::channel();
            if self.jobs.send((p, reply)).await.is_err() {
                tracing::error!("the gate scan writer has stopped");
                pending.push(None);
            } else {
                pending.push(Some(answer));
            }
        }
        let mut out = Vec::with_capacity(pending.len());
        for answer in pending {
            out.push(match answer {
                Some(a) => a.await.unwrap_or_else(|_| Err(ApiError::unavailable())),
                None => Err(ApiError::unavailable()),
            });
        }
        out
    }
}

async fn run_group(db: &crate::db::Db, group: &mut Vec<Job>) {
    let results = match write_group(db, group).await {
        Ok(results) => results,
        Err(e) => {
            // Nothing of the group was kept: write each scan on its own, so that one scan's
            // trouble does not deny the others.
            tracing::warn!(error = %e, scans = group.len(), "gate scan group: writing one by one");
            write_one_by_one(db, group).await
        }
    };
    for ((_, reply), r) in group.drain(..).zip(results) {
        let _ = reply.send(r);
    }
}

/// The fast path: one transaction, one read of the client events already recorded, one read
/// of the group's passes and students, each scan's pass update in order (so two scans of one
/// pass in a group still give one allow), then every scan row and audit entry in one
/// multi-row insert each.
async fn write_group(
    db: &crate::db::Db,
    group: &[Job],
) -> AppResult<Vec<AppResult<Option<ScanResponse>>>> {
    let tx = db.begin_write().await?;
    let event_ids: Vec<&str> = group
        .iter()
        .map(|(p, _)| p.inc.client_event_id.as_str())
        .collect();
    let mut recorded: std::collections::HashSet<String> = scan::Entity::find()
        .select_only()
        .column(scan::Column::ClientEventId)
        .filter(scan::Column::ClientEventId.is_in(event_ids))
        .into_tuple::<String>()
        .all(&*tx)
        .await?
        .into_iter()
        .collect();
    // Read inside the write transaction: no other writer can move these passes until commit,
    // and each scan's conditional update still decides between scans of one pass.
    let passes = read_passes(
        &*tx,
        group.iter().filter_map(|(p, _)| p.pass_id()).collect(),
    )
    .await?;
    let mut rows = Vec::with_capacity(group.len());
    let mut audits = Vec::with_capacity(group.len());
    let mut results = Vec::with_capacity(group.len());
    for (p, _) in group {
        if !recorded.insert(p.inc.client_event_id.clone()) {
            // Recorded before or earlier in this group: the caller replays the first verdict.
            results.push(Ok(None));
            continue;
        }
        if let Source::Batch { .. } = p.inc.source {
            // An offline exit may re-flag an earlier scan row: that row must be written first.
            flush(&*tx, &mut rows, &mut audits).await?;
        }
        let judged = judge(
            &p.inc,
            &p.checked,
            p.pass_id().and_then(|id| passes.get(&id)),
            p.now,
        );
        let d = decide(&*tx, p, &judged).await?;
        rows.push(d.row);
        audits.extend(d.audit);
        results.push(Ok(Some(d.response)));
    }
    flush(&*tx, &mut rows, &mut audits).await?;
    tx.commit().await?;
    Ok(results)
}

async fn flush(
    tx: &impl ConnectionTrait,
    rows: &mut Vec<scan::ActiveModel>,
    audits: &mut Vec<audit::model::ActiveModel>,
) -> AppResult<()> {
    if !rows.is_empty() {
        scan::Entity::insert_many(std::mem::take(rows))
            .exec(tx)
            .await?;
    }
    if !audits.is_empty() {
        audit::model::Entity::insert_many(std::mem::take(audits))
            .exec(tx)
            .await?;
    }
    Ok(())
}

/// The careful path: each scan in its own savepoint, one commit.
async fn write_one_by_one(
    db: &crate::db::Db,
    group: &[Job],
) -> Vec<AppResult<Option<ScanResponse>>> {
    use sea_orm::TransactionTrait;
    let unavailable = || group.iter().map(|_| Err(ApiError::unavailable())).collect();
    let tx = match db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "gate scan group: cannot begin");
            return unavailable();
        }
    };
    let mut results = Vec::with_capacity(group.len());
    for (p, _) in group {
        let one = async {
            let sp = tx.begin().await?;
            match apply(&sp, p).await {
                Ok(Some(r)) => {
                    sp.commit().await?;
                    Ok(Some(r))
                }
                other => {
                    sp.rollback().await?;
                    other
                }
            }
        };
        results.push(one.await);
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => {
            tracing::error!(error = %e, "gate scan group: commit failed");
            unavailable()
        }
    }
}

/// A scan that changed a pass (or conflicts with one) is audited; the scan row itself is the
/// record of every other scan.
fn audit_entry(
    actor: Actor,
    inc: &Incoming,
    scan_id: Uuid,
    pass: Option<&leave_pass::Model>,
    code: &str,
    conflict: bool,
) -> audit::model::ActiveModel {
    let action = match (inc.direction, conflict) {
        (_, true) => "gate.conflict",
        (Direction::Exit, false) => "gate.exit",
        (Direction::Return, false) => "gate.return",
    };
    audit::entry(
        actor,
        action,
        "leave_pass",
        pass.map(|p| p.id.to_string()),
        json!({"scan_id": scan_id, "gate": inc.gate, "code": code, "scanned_at": inc.scanned_at}),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GateKey {
    /// Key id: base64url of the 8 bytes at offset 1 of the payload.
    pub kid: String,
    /// Always `Ed25519`.
    pub alg: String,
    /// The 32-byte Ed25519 public key, base64url without padding.
    pub public_key: String,
    pub created_at: DateTime<Utc>,
    /// Set when a newer key signs new passes; this one still verifies its passes.
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GateKeysResponse {
    /// Always `XA1`.
    pub format: String,
    pub keys: Vec<GateKey>,
    /// After this many hours without a refresh of keys and revocations, the phone warns that
    /// its offline verdicts may be stale (setting `XIAOAN_GATE_OFFLINE_MAX_AGE_HOURS`).
    pub offline_max_age_hours: u32,
}

/// The public keys that verify leave passes, and the token format.
///
/// For verifying passes offline on the phone. A key stays here while any pass it signed is
/// still valid.
///
/// **Token format `XA1`**: `XA1.<base64url(payload)>.<base64url(signature)>` (RFC 4648 §5,
/// no padding). The signature is pure Ed25519 (RFC 8032, 64 bytes) over the decoded payload
/// bytes. Payload, integers big-endian: `[0]` version `0x01`; `[1..9]` kid (8 bytes; its
/// base64url is `kid` here); `[9..25]` pass id (UUID); `[25..41]` student id (UUID); `[41]`
/// kind (`0` exit_only, `1` exit_and_return); `[42..46]` valid_from, `[46..50]` valid_until,
/// `[50..54]` return_by (`0` = none), unix seconds as u32; `[54]` n; `[55..55+n]` student
/// name, UTF-8; `[55+n]` m; then m bytes class name, UTF-8; nothing after. Payload 56–146
/// bytes; token ≤ 286 characters.
///
/// **Verify**: split on `.` (three parts, first `XA1`) and decode, else `malformed_token`;
/// read only the version and kid, pick the key (none: `unknown_key`); verify the signature
/// over the payload bytes (fails: `bad_signature`); only then read the rest; valid when
/// `valid_from ≤ t < valid_until`; then check `GET /gate/revocations`.
#[utoipa::path(
    tag = "gate",
    responses((status = 200, body = GateKeysResponse)),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[get("/gate/keys")]
pub async fn gate_keys(
    _auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
) -> AppResult<web::Json<GateKeysResponse>> {
    let rows = keys::published(&state.db.conn, crate::util::now()).await?;
    Ok(web::Json(GateKeysResponse {
        format: token::PREFIX.into(),
        offline_max_age_hours: state.settings.gate_offline_max_age_hours,
        keys: rows
            .into_iter()
            .map(|k| GateKey {
                kid: k.kid,
                alg: "Ed25519".into(),
                public_key: k.public_key,
                created_at: k.created_at,
                retired_at: k.retired_at,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevocationQuery {
    /// Only passes revoked at or after this instant (pass the previous `as_of`).
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revocation {
    pub pass_id: Uuid,
    pub revoked_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationsResponse {
    /// Server time of this answer: send it as `since` next time.
    pub as_of: DateTime<Utc>,
    /// Revoked passes still within their window (older ones are denied as expired anyway).
    pub revoked: Vec<Revocation>,
}

/// Revoked pass ids, for verifying offline.
#[utoipa::path(
    tag = "gate",
    params(RevocationQuery),
    responses((status = 200, body = RevocationsResponse)),
    security(("bearer" = ["guard", "security_office"]), ("api_key" = ["gate:scan"]))
)]
#[get("/gate/revocations")]
pub async fn gate_revocations(
    _auth: AuthOrKey<GuardOrOffice, GateScan>,
    state: State,
    query: web::Query<RevocationQuery>,
) -> AppResult<web::Json<RevocationsResponse>> {
    let now = crate::util::now();
    let mut select = leave_pass::Entity::find()
        .filter(leave_pass::Column::RevokedAt.is_not_null())
        .filter(leave_pass::Column::ValidUntil.gt(now));
    if let Some(since) = query.since {
        select = select.filter(leave_pass::Column::RevokedAt.gte(since));
    }
    let rows = select
        .order_by_asc(leave_pass::Column::RevokedAt)
        .all(&state.db.conn)
        .await?;
    Ok(web::Json(RevocationsResponse {
        as_of: now,
        revoked: rows
            .into_iter()
            .filter_map(|p| {
                p.revoked_at.map(|r| Revocation {
                    pass_id: p.id,
                    revoked_at: r,
                })
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutStudent {
    pub pass_id: Uuid,
    pub student_id: Uuid,
    pub student_no: String,
    pub student_name: String,
    pub class_id: Uuid,
    pub class_name: String,
    pub kind: String,
    pub exited_at: Option<DateTime<Utc>>,
    pub return_by: Option<DateTime<Utc>>,
    pub overdue: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutQuery {
    pub class_id: Option<Uuid>,
}

/// The passes of students out of school at `now` (`overdue_only`: those past their return
/// time). The one rule for "out", shared by the gate lists and the dashboard.
pub fn out_select(
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    overdue_only: bool,
) -> sea_orm::Select<leave_pass::Entity> {
    let select = leave_pass::Entity::find().filter(leave_pass::Column::Status.eq("out"));
    if overdue_only {
        select.filter(leave_pass::Column::ReturnBy.lt(now))
    } else {
        // A student who left on a one-way pass counts as out for the day they left.
        let today = now.with_timezone(&tz).date_naive();
        let (start, _) = passes::local_day(tz, today);
        select.filter(
            Condition::any()
                .add(leave_pass::Column::Kind.eq(PassKind::ExitAndReturn.as_str()))
                .add(leave_pass::Column::ExitedAt.gte(start)),
        )
    }
}

async fn out_list(
    state: &AppState,
    user: &crate::auth::extract::CurrentUser,
    class_id: Option<Uuid>,
    overdue_only: bool,
) -> AppResult<Vec<OutStudent>> {
    let db = &state.db.conn;
    let now = crate::util::now();
    let mut select = out_select(state.tz, now, overdue_only);
    if user.is(Role::ClassTeacher) {
        let own = crate::users::own_class_ids(db, user.id, user.role).await?;
        match class_id {
            Some(c) if !own.contains(&c) => {
                return Err(ApiError::forbidden("not_own_class", "只能查看本班学生"));
            }
            Some(c) => select = select.filter(leave_pass::Column::ClassId.eq(c)),
            None => select = select.filter(leave_pass::Column::ClassId.is_in(own)),
        }
    } else if let Some(c) = class_id {
        select = select.filter(leave_pass::Column::ClassId.eq(c));
    }
    let rows = select
        .order_by_asc(leave_pass::Column::ExitedAt)
        .limit(1000)
        .all(db)
        .await?;
    let items = passes::responses(db, rows, now).await?;
    Ok(items
        .into_iter()
        .map(|p| OutStudent {
            pass_id: p.id,
            student_id: p.student_id,
            student_no: p.student_no,
            student_name: p.student_name,
            class_id: p.class_id,
            class_name: p.class_name,
            kind: p.kind,
            exited_at: p.exited_at,
            return_by: p.return_by,
            overdue: p.overdue,
        })
        .collect())
}

/// Students out of school now on a leave pass (a class teacher: own classes).
#[utoipa::path(
    tag = "gate",
    params(OutQuery),
    responses(
        (status = 200, body = Vec<OutStudent>),
        (status = 403, description = "`not_own_class`", body = crate::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher"]))
)]
#[get("/gate/out")]
pub async fn students_out(
    auth: Auth<PassReaders>,
    state: State,
    query: web::Query<OutQuery>,
) -> AppResult<web::Json<Vec<OutStudent>>> {
    Ok(web::Json(
        out_list(&state, &auth.user, query.class_id, false).await?,
    ))
}

/// Students out past their return time (a class teacher: own classes).
#[utoipa::path(
    tag = "gate",
    params(OutQuery),
    responses(
        (status = 200, body = Vec<OutStudent>),
        (status = 403, description = "`not_own_class`", body = crate::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "class_teacher"]))
)]
#[get("/gate/overdue")]
pub async fn students_overdue(
    auth: Auth<PassReaders>,
    state: State,
    query: web::Query<OutQuery>,
) -> AppResult<web::Json<Vec<OutStudent>>> {
    Ok(web::Json(
        out_list(&state, &auth.user, query.class_id, true).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScanLogEntry {
    pub id: Uuid,
    pub client_event_id: String,
    pub pass_id: Option<Uuid>,
    pub student_id: Option<Uuid>,
    pub student_name: Option<String>,
    pub class_id: Option<Uuid>,
    pub class_name: Option<String>,
    pub direction: Direction,
    pub gate: String,
    pub result: Verdict,
    pub code: String,
    pub conflict: bool,
    /// `online` or `batch`.
    pub source: String,
    pub scanned_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_api_key_id: Option<Uuid>,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScanSource {
    Online,
    Batch,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScanLogQuery {
    /// Scans at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Scans before this instant.
    pub to: Option<DateTime<Utc>>,
    pub gate: Option<String>,
    pub direction: Option<Direction>,
    pub result: Option<Verdict>,
    pub conflict: Option<bool>,
    /// `online`, or `batch` for scans decided offline on the phone and synced later.
    #[param(inline)]
    pub source: Option<ScanSource>,
    pub pass_id: Option<Uuid>,
    pub class_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

// Ordered by (scanned_at, id) descending: the time a scan happened, which for an offline batch
// is earlier than when it arrived.
/// The gate log, newest first.
#[utoipa::path(
    tag = "gate",
    params(ScanLogQuery),
    responses(
        (status = 200, body = Page<ScanLogEntry>),
        (status = 400, body = crate::error::Problem),
    ),
    security(("bearer" = ["principal", "security_office", "guard"]), ("api_key" = ["gate:read"]))
)]
#[get("/gate/scans")]
pub async fn list_scans(
    _auth: AuthOrKey<GateLogReaders, GateRead>,
    state: State,
    query: web::Query<ScanLogQuery>,
) -> AppResult<web::Json<Page<ScanLogEntry>>> {
    let q = query.into_inner();
    let paging = Paging::new(q.limit, q.cursor.as_deref())?;
    let db = &state.db.conn;
    let mut select = scan::Entity::find();
    if let Some(v) = q.from {
        select = select.filter(scan::Column::ScannedAt.gte(v));
    }
    if let Some(v) = q.to {
        select = select.filter(scan::Column::ScannedAt.lt(v));
    }
    if let Some(v) = q.gate {
        select = select.filter(scan::Column::Gate.eq(v));
    }
    if let Some(v) = q.direction {
        select = select.filter(scan::Column::Direction.eq(v.as_str()));
    }
    if let Some(v) = q.result {
        select = select.filter(scan::Column::Result.eq(match v {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        }));
    }
    if let Some(v) = q.conflict {
        select = select.filter(scan::Column::Conflict.eq(v));
    }
    if let Some(v) = q.source {
        select = select.filter(scan::Column::Source.eq(match v {
            ScanSource::Online => "online",
            ScanSource::Batch => "batch",
        }));
    }
    if let Some(v) = q.pass_id {
        select = select.filter(scan::Column::PassId.eq(v));
    }
    if let Some(v) = q.class_id {
        select = select.filter(scan::Column::ClassId.eq(v));
    }
    if let Some(after) = &paging.after {
        let (at, id) = crate::pagination::parse_time_id(after)?;
        select = select.filter(crate::pagination::after_time_id(
            scan::Column::ScannedAt,
            scan::Column::Id,
            at,
            id,
        ));
    }
    let rows = select
        .order_by_desc(scan::Column::ScannedAt)
        .order_by_desc(scan::Column::Id)
        .limit(paging.fetch_limit())
        .all(db)
        .await?;
    let page = paging.page(rows, |r| crate::pagination::time_id_key(r.scanned_at, r.id));
    let sids: Vec<Uuid> = page.items.iter().filter_map(|r| r.student_id).collect();
    let names: HashMap<Uuid, String> = student::Entity::find()
        .filter(student::Column::Id.is_in(sids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let classes = crate::classes::names(db, page.items.iter().filter_map(|r| r.class_id)).await?;
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|r| ScanLogEntry {
                student_name: r.student_id.and_then(|s| names.get(&s).cloned()),
                class_name: r.class_id.and_then(|c| classes.get(&c).cloned()),
                id: r.id,
                client_event_id: r.client_event_id,
                pass_id: r.pass_id,
                student_id: r.student_id,
                class_id: r.class_id,
                direction: if r.direction == "exit" {
                    Direction::Exit
                } else {
                    Direction::Return
                },
                gate: r.gate,
                result: if r.result == "allow" {
                    Verdict::Allow
                } else {
                    Verdict::Deny
                },
                code: r.code,
                conflict: r.conflict,
                source: r.source,
                scanned_at: r.scanned_at,
                received_at: r.received_at,
                actor_user_id: r.actor_user_id,
                actor_api_key_id: r.actor_api_key_id,
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(record_scan)
        .service(record_scan_batch)
        .service(list_scans)
        .service(gate_keys)
        .service(gate_revocations)
        .service(students_out)
        .service(students_overdue);
}

/// Demo records: leave passes in every state (issued, out, overdue, returned) with their gate
/// scans, a visitor on campus, one expected today, and a watchlist entry (see visitors).
pub async fn seed_demo(
    db: &impl ConnectionTrait,
    master: &crate::keys::MasterKey,
) -> Result<(), crate::app::BoxError> {
    use crate::users::model as user;
    use sea_orm::ActiveModelTrait;
    keys::ensure_signing_key_on(db, master).await?;
    let by_name =
        |rows: &[user::Model], name: &str| rows.iter().find(|u| u.username == name).map(|u| u.id);
    let users = user::Entity::find().all(db).await?;
    let (Some(teacher1), Some(teacher2), Some(guard)) = (
        by_name(&users, "teacher1"),
        by_name(&users, "teacher2"),
        by_name(&users, "guard1"),
    ) else {
        return Ok(());
    };
    let classes: Vec<class::Model> = class::Entity::find()
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?;
    let class_of = |teacher: Uuid| classes.iter().find(|c| c.class_teacher_id == Some(teacher));
    let (Some(c1), Some(c2)) = (class_of(teacher1), class_of(teacher2)) else {
        return Ok(());
    };
    let students_of = |cid: Uuid| async move {
        student::Entity::find()
            .filter(student::Column::ClassId.eq(cid))
            .order_by_asc(student::Column::StudentNo)
            .all(db)
            .await
    };
    let s1 = students_of(c1.id).await?;
    let s2 = students_of(c2.id).await?;
    let (kid, key) = keys::active_signing_key(db, master)
        .await
        .map_err(|e| e.to_string())?;
    let now = crate::util::now();
    let secs = |t: DateTime<Utc>| DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
    let m = Duration::minutes;
    // (student, class, issuer, kind, reason, from, until, return_by, exited, returned)
    type Plan<'a> = (
        &'a student::Model,
        &'a class::Model,
        Uuid,
        PassKind,
        &'a str,
        Duration,
        Duration,
        Option<Duration>,
        Option<Duration>,
        Option<Duration>,
    );
    let mut plans: Vec<Plan> = Vec::new();
    if let (Some(a), Some(b), Some(c)) = (s1.get(2), s1.get(4), s1.get(6)) {
        plans.push((
            a,
            c1,
            teacher1,
            PassKind::ExitAndReturn,
            "牙痛,去苏州口腔医院就诊",
            m(-10),
            m(240),
            Some(m(180)),
            None,
            None,
        ));
        plans.push((
            b,
            c1,
            teacher1,
            PassKind::ExitAndReturn,
            "家中有事,家长在校门口接",
            m(-60),
            m(120),
            Some(m(80)),
            Some(m(-40)),
            None,
        ));
        plans.push((
            c,
            c1,
            teacher1,
            PassKind::ExitOnly,
            "身体不适,家长接回家休息",
            m(-300),
            m(-200),
            None,
            Some(m(-280)),
            None,
        ));
    }
    if let (Some(a), Some(b)) = (s2.get(3), s2.get(8)) {
        plans.push((
            a,
            c2,
            teacher2,
            PassKind::ExitAndReturn,
            "回家取换季衣物",
            m(-240),
            m(60),
            Some(m(-30)),
            Some(m(-200)),
            None,
        ));
        plans.push((
            b,
            c2,
            teacher2,
            PassKind::ExitAndReturn,
            "去医院复查",
            m(-200),
            m(30),
            Some(m(-60)),
            Some(m(-180)),
            Some(m(-90)),
        ));
    }
    let count = plans.len();
    for (s, c, issuer, kind, reason, from, until, ret, exited, returned) in plans {
        let id = Uuid::now_v7();
        let (from, until) = (secs(now + from), secs(now + until));
        let return_by = ret.map(|r| secs(now + r));
        let tok = token::sign(
            &token::Claims {
                kid,
                pass_id: id,
                student_id: s.id,
                kind,
                valid_from: from.timestamp(),
                valid_until: until.timestamp(),
                return_by: return_by.map(|r| r.timestamp()),
                student_name: s.name.clone(),
                class_name: c.name.clone(),
            },
            &key,
        );
        let mut scans = Vec::new();
        for (dir, at) in [("exit", exited), ("return", returned)] {
            if let Some(at) = at {
                scans.push((Uuid::now_v7(), dir, now + at));
            }
        }
        let status = match (exited, returned) {
            (_, Some(_)) => "returned",
            (Some(_), None) => "out",
            _ => "issued",
        };
        leave_pass::ActiveModel {
            id: Set(id),
            student_id: Set(s.id),
            class_id: Set(c.id),
            kind: Set(kind.as_str().into()),
            reason: Set(reason.into()),
            valid_from: Set(from),
            valid_until: Set(until),
            return_by: Set(return_by),
            status: Set(status.into()),
            kid: Set(token::kid_to_string(&kid)),
            token: Set(tok),
            issued_by: Set(issuer),
            issued_at: Set(from),
            revoked_at: Set(None),
            revoked_by: Set(None),
            exited_at: Set(scans.first().map(|s| s.2)),
            exit_scan_id: Set(scans.first().map(|s| s.0)),
            returned_at: Set(scans.get(1).map(|s| s.2)),
            return_scan_id: Set(scans.get(1).map(|s| s.0)),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        for (sid, dir, at) in scans {
            scan::ActiveModel {
                id: Set(sid),
                client_event_id: Set(Uuid::now_v7().to_string()),
                pass_id: Set(Some(id)),
                student_id: Set(Some(s.id)),
                class_id: Set(Some(c.id)),
                direction: Set(dir.into()),
                gate: Set("南门".into()),
                result: Set("allow".into()),
                code: Set("ok".into()),
                conflict: Set(false),
                source: Set("online".into()),
                scanned_at: Set(at),
                received_at: Set(at),
                actor_user_id: Set(Some(guard)),
                actor_api_key_id: Set(None),
            }
            .insert(db)
            .await?;
        }
    }
    crate::visitors::seed_demo(db, master, guard, teacher1).await?;
    audit::record(
        db,
        Actor::system(),
        "demo.seed",
        "leave_pass",
        None,
        json!({"leave_passes": count}),
    )
    .await?;
    Ok(())
}
