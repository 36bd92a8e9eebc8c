//! The gate: scans of leave passes (online and offline batches), single use enforced by the
//! database, the published verification keys and revocations, students out now and overdue,
//! and the gate log.

pub use crate::schema::gate as model;

use crate::auth::extract::{Auth, AuthOrKey, Caller};
use crate::auth::roles::{GateLogReaders, GateRead, GateScan, GuardOrOffice, PassReaders, Role};
use crate::features::audit::{self, Actor};
use crate::features::passes::token::{self, PassKind, WindowError};
use crate::features::passes::{self, keys};
use crate::infra::error::ErrorCode;
use crate::infra::error::{ApiError, AppResult, FieldError};
use crate::infra::pagination::{Page, Paging};
use crate::infra::state::{AppState, State};
use crate::schema::classes as class;
use crate::schema::passes::leave_pass;
use crate::schema::students::student;
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
    /// The QR code's text (format `XA1`). Send this or `code`.
    pub token: Option<String>,
    /// The pass's 8-character manual code as typed (case, spaces and dashes do not matter),
    /// instead of `token`: checked online only, against the pass it names (unknown:
    /// `pass_not_found`).
    pub code: Option<String>,
    pub direction: Direction,
    /// Which gate (e.g. `南门`), 1–64 characters.
    pub gate: String,
    /// Made by the phone for this scan (a UUID is best), 1–64 characters. Sending the same id
    /// again with the same token and direction, as the same guard or key, returns the first
    /// verdict as given and records nothing new; the same id with another token, direction or
    /// caller is refused `409 client_event_conflict`.
    pub client_event_id: String,
    /// Ignored: an online scan is stamped and judged with the server's time.
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
    /// What the phone showed offline (default `allow`). A scan the phone refused is recorded
    /// as a refused attempt and never changes the pass.
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
/// `bad_scanned_at` (in the future, or before the pass was issued), `scan_too_old` (synced
/// later than `gate_offline_sync_max_age_hours`), `denied_offline` (the phone refused a scan
/// the server would have allowed), `client_event_conflict` (batch only: the id was used with
/// another token, direction or caller; nothing recorded, `event_id` is the nil UUID).
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
    /// Offline scans only: the server judged the pass differently from the phone (e.g.
    /// another gate had already let it out, or it never left), or the scan is dated before
    /// this guard's or key's last online scan. The office sees these in the gate log
    /// (`conflict=true`).
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
    Batch {
        phone_allowed: bool,
        /// Synced later than the configured maximum age: refused.
        too_old: bool,
        /// Dated before the caller's last online scan: a phone that was online then had no
        /// reason to decide alone, so the office looks at it.
        before_contact: bool,
    },
}

struct Incoming {
    token: String,
    /// Already refused before the token is read (a manual code that names no pass).
    preset: Option<&'static str>,
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
        (status = 422, body = crate::infra::error::Problem),
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
    let mut errs = validate(&body.gate, &body.client_event_id, "");
    let code = match (&body.token, body.code.as_deref()) {
        (Some(_), None) => None,
        (None, Some(c)) => match passes::normalize_short_code(c) {
            Some(c) => Some(c),
            None => {
                errs.push(FieldError {
                    field: "code".into(),
                    code: "invalid".into(),
                    message: "请假短码为 8 位字母或数字".into(),
                    line: None,
                });
                None
            }
        },
        _ => {
            errs.push(FieldError {
                field: "token".into(),
                code: "invalid".into(),
                message: "须提供 token 或 code 之一".into(),
                line: None,
            });
            None
        }
    };
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    // A typed code stands for the pass's own token (one read, only on this rare path), so
    // that it is judged exactly as the QR would be.
    let (token, preset) = match code {
        Some(c) => match leave_pass::Entity::find()
            .filter(leave_pass::Column::ShortCode.eq(c.as_str()))
            .one(&state.db.conn)
            .await?
        {
            Some(p) => (p.token, None),
            None => (format!("code:{c}"), Some("pass_not_found")),
        },
        None => (body.token.unwrap_or_default(), None),
    };
    let now = crate::infra::util::now();
    let incoming = Incoming {
        token,
        preset,
        direction: body.direction,
        gate: body.gate.trim().to_owned(),
        client_event_id: body.client_event_id.trim().to_owned(),
        // Online the server's clock is the judge and the only time recorded: a phone's clock
        // (or a forged claim) never dates the gate log.
        scanned_at: now,
        source: Source::Online,
    };
    match process(&state, &auth.caller, incoming).await? {
        Ok(r) => Ok(web::Json(r)),
        Err(EventConflict) => Err(event_conflict()),
    }
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
        (status = 413, body = crate::infra::error::Problem),
        (status = 422, body = crate::infra::error::Problem),
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
        ApiError::bad_request(
            ErrorCode::InvalidBody,
            crate::infra::error::scrub_quoted(&e.to_string()),
        )
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
    let now = crate::infra::util::now();
    let oldest = now - Duration::hours(i64::from(state.settings.gate_offline_sync_max_age_hours));
    let contact = last_online_contact(&state.db.conn, &auth.caller).await?;
    let sent_ids: Vec<String> = body
        .scans
        .iter()
        .map(|s| s.client_event_id.trim().to_owned())
        .collect();
    let mut items: Vec<Option<BatchScan>> = body.scans.into_iter().map(Some).collect();
    let mut results: Vec<Option<ScanResponse>> = vec![None; items.len()];
    let mut incoming = Vec::with_capacity(items.len());
    let mut slots = Vec::with_capacity(items.len());
    for i in order {
        let Some(s) = items[i].take() else { continue };
        incoming.push(Incoming {
            token: s.token,
            preset: None,
            direction: s.direction,
            gate: s.gate.trim().to_owned(),
            client_event_id: s.client_event_id.trim().to_owned(),
            scanned_at: s.scanned_at,
            source: Source::Batch {
                phone_allowed: s.offline_result != Some(Verdict::Deny),
                too_old: s.scanned_at < oldest,
                before_contact: contact.is_some_and(|c| s.scanned_at < c),
            },
        });
        slots.push(i);
    }
    for (i, r) in slots
        .into_iter()
        .zip(process_in_order(&state, &auth.caller, incoming).await?)
    {
        results[i] = Some(r.unwrap_or_else(|EventConflict| ScanResponse {
            result: Verdict::Deny,
            code: "client_event_conflict".into(),
            event_id: Uuid::nil(),
            client_event_id: String::new(),
            student: None,
            pass: None,
            conflict: false,
            scanned_at: now,
        }));
    }
    // A refused id still answers with the id that was sent, so the phone can match it up.
    for (r, id) in results.iter_mut().zip(&sent_ids) {
        if let Some(r) = r
            && r.client_event_id.is_empty()
        {
            r.client_event_id.clone_from(id);
        }
    }
    Ok(web::Json(BatchResponse {
        results: results.into_iter().flatten().collect(),
    }))
}

/// The client event id was recorded with another token, direction or caller: never a replay
/// of that scan's verdict (it would show someone else's student).
pub struct EventConflict;

fn event_conflict() -> ApiError {
    ApiError::conflict(
        ErrorCode::ClientEventConflict,
        "这个 client_event_id 已用于另一次扫码，请为每次扫码生成新的 id",
    )
}

/// The fingerprint a client event id is bound to.
fn token_hash(token: &str) -> String {
    crate::infra::util::sha256_hex(token.trim())
}

/// When this guard or key last scanned online (one indexed read per batch, none per scan).
async fn last_online_contact(
    db: &impl ConnectionTrait,
    caller: &Caller,
) -> AppResult<Option<DateTime<Utc>>> {
    let actor = caller.actor();
    // A literal condition, so that the partial indexes on online scans apply (SQLite cannot
    // match a bound parameter against an index's WHERE).
    let select = scan::Entity::find()
        .select_only()
        .column(scan::Column::ReceivedAt)
        .filter(Expr::cust("source = 'online'"));
    let select = match (actor.user_id, actor.api_key_id) {
        (Some(u), _) => select.filter(scan::Column::ActorUserId.eq(u)),
        (None, Some(k)) => select.filter(scan::Column::ActorApiKeyId.eq(k)),
        (None, None) => return Ok(None),
    };
    Ok(select
        .order_by_desc(scan::Column::ReceivedAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?)
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
    if let Some(code) = inc.preset {
        return Ok(Checked::Denied(code));
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
    let late = matches!(inc.source, Source::Batch { too_old: true, .. });
    let deny = if late {
        Some("scan_too_old")
    } else if at < pass.issued_at - Duration::seconds(CLOCK_SKEW_SECS) {
        // The QR did not exist yet: the claimed time is false (beyond a phone clock's drift).
        Some("bad_scanned_at")
    } else {
        match inc.direction {
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
        }
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
async fn replay(
    db: &impl ConnectionTrait,
    s: scan::Model,
    key: &ReplayKey,
) -> AppResult<ScanResponse> {
    if let Some(a) = s
        .answer
        .as_deref()
        .and_then(|a| serde_json::from_str::<StoredAnswer>(a).ok())
    {
        // The answer as given then, whatever the pass has done since.
        return Ok(ScanResponse {
            result: a.result,
            code: a.code,
            event_id: s.id,
            client_event_id: s.client_event_id,
            student: a.pass.as_ref().and(key.student.clone()),
            pass: a.pass,
            conflict: a.conflict,
            scanned_at: s.scanned_at,
        });
    }
    // Recorded before answers were kept: rebuilt from the pass as it is now.
    let now = crate::infra::util::now();
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
    let now = crate::infra::util::now();
    let checked = check_token(state, &inc, now).await?;
    Ok(Prepared {
        token_hash: token_hash(&inc.token),
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
    key: &ReplayKey,
    applied: Option<ScanResponse>,
) -> AppResult<Result<ScanResponse, EventConflict>> {
    let db = &state.db.conn;
    match applied {
        Some(r) => {
            // Counted once committed; replays of a recorded event are not new scans.
            crate::infra::metrics::record_scan(match r.result {
                Verdict::Allow => "allow",
                Verdict::Deny => "deny",
            });
            Ok(Ok(r))
        }
        None => {
            let s = scan::Entity::find()
                .filter(scan::Column::ClientEventId.eq(key.client_event_id.as_str()))
                .one(db)
                .await?
                .ok_or_else(ApiError::internal)?;
            if !key.matches(&s) {
                return Ok(Err(EventConflict));
            }
            Ok(Ok(replay(db, s, key).await?))
        }
    }
}

/// What identifies a scan besides its client event id: a retry must come from the same
/// caller with the same token and direction to get the first verdict back.
struct ReplayKey {
    client_event_id: String,
    actor: Actor,
    token_hash: String,
    direction: Direction,
    pass_id: Option<Uuid>,
    /// From the verified token: the retry shows the student the caller's own QR names.
    student: Option<ScanStudent>,
}

impl ReplayKey {
    fn of(p: &Prepared) -> Self {
        let student = match &p.checked {
            Checked::Valid(c) => Some(ScanStudent {
                name: c.student_name.clone(),
                class: c.class_name.clone(),
            }),
            Checked::Denied(_) => None,
        };
        Self {
            client_event_id: p.inc.client_event_id.clone(),
            actor: p.actor,
            token_hash: p.token_hash.clone(),
            direction: p.inc.direction,
            pass_id: p.pass_id(),
            student,
        }
    }

    fn matches(&self, s: &scan::Model) -> bool {
        let token = match &s.token_hash {
            Some(h) => *h == self.token_hash,
            // Recorded before tokens were fingerprinted: the same pass at least.
            None => s.pass_id.is_some() && s.pass_id == self.pass_id,
        };
        token
            && s.actor_user_id == self.actor.user_id
            && s.actor_api_key_id == self.actor.api_key_id
            && s.direction == self.direction.as_str()
    }
}

/// The part of an answer kept with the scan (the student's name and class come from the
/// token again, so the gate log holds no second copy of them).
#[derive(Serialize, Deserialize)]
struct StoredAnswer {
    result: Verdict,
    code: String,
    pass: Option<ScanPass>,
    conflict: bool,
}

/// Judges and records one scan. A client event already recorded is found by the write (the
/// unique `client_event_id`), not by a read before it: replays are rare, scans are not.
async fn process(
    state: &AppState,
    caller: &Caller,
    inc: Incoming,
) -> AppResult<Result<ScanResponse, EventConflict>> {
    let prepared = prepare(state, caller, inc).await?;
    let key = ReplayKey::of(&prepared);
    let applied = match &state.scan_writer {
        Some(writer) => writer.submit(prepared).await?,
        None => write_alone(state, &prepared).await?,
    };
    answer(state, &key, applied).await
}

/// Judges and records scans in the given order. The SQLite writer gets them all at once, in
/// order, so a phone's offline backlog shares a few commits instead of one each.
async fn process_in_order(
    state: &AppState,
    caller: &Caller,
    incoming: Vec<Incoming>,
) -> AppResult<Vec<Result<ScanResponse, EventConflict>>> {
    let mut prepared = Vec::with_capacity(incoming.len());
    for inc in incoming {
        prepared.push(prepare(state, caller, inc).await?);
    }
    let keys: Vec<ReplayKey> = prepared.iter().map(ReplayKey::of).collect();
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
    for (key, applied) in keys.iter().zip(applied) {
        answers.push(answer(state, key, applied?).await?);
    }
    Ok(answers)
}

/// A scan whose token is checked, ready for the write (which reads the pass and decides).
pub struct Prepared {
    inc: Incoming,
    checked: Checked,
    token_hash: String,
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
    let phone_denied = matches!(
        inc.source,
        Source::Batch {
            phone_allowed: false,
            ..
        }
    );
    if let (true, Some(pass), None) = (phone_denied, &judged.pass, judged.deny) {
        // The phone refused the student: a refused attempt, whatever the server would say, and
        // the pass stays as it is. Only when the server would have let the student through is
        // it a conflict (the office should know someone was turned away).
        let current = passes::find(tx, pass.id).await?;
        let at = inc.scanned_at;
        let server_code = match (inc.direction, current.status.as_str()) {
            (Direction::Exit, "issued") => None,
            (Direction::Exit, "revoked") if current.revoked_at.is_some_and(|r| r > at) => None,
            (Direction::Exit, "revoked") => Some("pass_revoked"),
            (Direction::Exit, _) => Some("pass_already_used"),
            (Direction::Return, "out") => None,
            (Direction::Return, "returned") => Some("already_returned"),
            (Direction::Return, "revoked") => Some("pass_revoked"),
            (Direction::Return, _) => Some("return_before_exit"),
        };
        code = server_code.unwrap_or("denied_offline");
        conflict = server_code.is_none();
        pass_after = Some(current);
    } else if let (Some(pass), None) = (&judged.pass, judged.deny) {
        let batch = matches!(inc.source, Source::Batch { .. });
        // A slow phone clock may date the scan a little before the issue: the pass never
        // says it left before it existed.
        let at = inc.scanned_at.max(pass.issued_at);
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
                    ..
                },
                "out" | "returned",
            ) = (inc.direction, inc.source, current.status.as_str())
            {
                conflict = true;
                // The earlier of two offline exits is the one that counts, by the times the
                // phones claimed (the pass's exit time may be clamped to its issue).
                let prev = match current.exit_scan_id {
                    Some(prev_id) => scan::Entity::find_by_id(prev_id)
                        .select_only()
                        .column(scan::Column::ScannedAt)
                        .into_tuple::<DateTime<Utc>>()
                        .one(tx)
                        .await?
                        .or(current.exited_at)
                        .map(|t| (t, prev_id)),
                    None => None,
                };
                if let Some((prev_at, prev_id)) = prev
                    && inc.scanned_at < prev_at
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
    if let Source::Batch {
        phone_allowed: true,
        before_contact,
        ..
    } = inc.source
        && judged.pass.is_some()
        && (result == Verdict::Deny || before_contact)
    {
        // The phone let the student through and the server does not agree, or the phone was
        // online after the time it claims to have decided alone: the office looks at it.
        conflict = true;
    }
    let response = ScanResponse {
        result,
        code: code.into(),
        event_id: id,
        client_event_id: inc.client_event_id.clone(),
        student: judged.student.clone(),
        pass: pass_after.as_ref().map(|p| scan_pass(p, now)),
        conflict,
        scanned_at: inc.scanned_at,
    };
    let answer = serde_json::to_string(&StoredAnswer {
        result,
        code: code.into(),
        pass: response.pass.clone(),
        conflict,
    })
    .ok();
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
        token_hash: Set(Some(p.token_hash.clone())),
        answer: Set(answer),
    };
    let audit = (result == Verdict::Allow || conflict)
        .then(|| audit_entry(actor, inc, id, judged.pass.as_ref(), code, conflict));
    Ok(Decided {
        row,
        audit,
        response,
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
    pub fn start(db: &crate::infra::db::Db) -> Option<Self> {
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

async fn run_group(db: &crate::infra::db::Db, group: &mut Vec<Job>) {
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
    db: &crate::infra::db::Db,
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
    db: &crate::infra::db::Db,
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
    let rows = keys::published(&state.db.conn, crate::infra::util::now()).await?;
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
    let now = crate::infra::util::now();
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
    let now = crate::infra::util::now();
    let mut select = out_select(state.tz, now, overdue_only);
    if user.is(Role::ClassTeacher) {
        let own = crate::features::users::own_class_ids(db, user.id, user.role).await?;
        match class_id {
            Some(c) if !own.contains(&c) => {
                return Err(ApiError::forbidden(
                    ErrorCode::NotOwnClass,
                    "只能查看本班学生",
                ));
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
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
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
        (status = 403, description = "`not_own_class`", body = crate::infra::error::Problem),
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
        (status = 400, body = crate::infra::error::Problem),
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
        let (at, id) = crate::infra::pagination::parse_time_id(after)?;
        select = select.filter(crate::infra::pagination::after_time_id(
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
    let page = paging.page(rows, |r| {
        crate::infra::pagination::time_id_key(r.scanned_at, r.id)
    });
    let sids: Vec<Uuid> = page.items.iter().filter_map(|r| r.student_id).collect();
    let names: HashMap<Uuid, String> = student::Entity::find()
        .filter(student::Column::Id.is_in(sids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let classes =
        crate::features::classes::names(db, page.items.iter().filter_map(|r| r.class_id)).await?;
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PassSearchQuery {
    /// Part of the student's name, or the student's 学号; 1–32 characters.
    pub q: String,
}

/// One of today's passes, as a guard may see it: nothing about the student but the name and
/// class, nothing about the pass but its state.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatePassHit {
    pub pass_id: Uuid,
    pub student_name: String,
    pub class_name: String,
    /// `issued`, `out`, `returned`, `expired` or `revoked`.
    pub status: String,
}

/// Today's leave passes of students whose name contains `q` or whose 学号 is `q` (at most 20),
/// for the guard when a student has no QR at hand: "today" is a pass whose window touches
/// today (school time) or a student still out.
#[utoipa::path(
    tag = "gate",
    params(PassSearchQuery),
    responses(
        (status = 200, body = Vec<GatePassHit>),
        (status = 422, description = "`validation_failed`", body = crate::infra::error::Problem),
    ),
    security(("bearer" = ["guard", "security_office"]))
)]
#[get("/gate/passes")]
pub async fn search_passes(
    _auth: Auth<GuardOrOffice>,
    state: State,
    query: web::Query<PassSearchQuery>,
) -> AppResult<web::Json<Vec<GatePassHit>>> {
    let q = query.q.trim();
    let n = q.chars().count();
    if n == 0 || n > 32 || q.chars().any(char::is_control) {
        return Err(ApiError::validation(vec![FieldError {
            field: "q".into(),
            code: "invalid".into(),
            message: "须为 1–32 个字符".into(),
            line: None,
        }]));
    }
    let db = &state.db.conn;
    // `%` and `_` in a name are meant literally.
    let escaped: String = q
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let like = sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\');
    let students: HashMap<Uuid, String> = student::Entity::find()
        .filter(
            Condition::any()
                .add(student::Column::StudentNo.eq(q))
                .add(student::Column::Name.like(like)),
        )
        .limit(50)
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    if students.is_empty() {
        return Ok(web::Json(Vec::new()));
    }
    let now = crate::infra::util::now();
    let (start, end) = passes::local_day(state.tz, now.with_timezone(&state.tz).date_naive());
    let rows = leave_pass::Entity::find()
        .filter(leave_pass::Column::StudentId.is_in(students.keys().copied()))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(leave_pass::Column::ValidFrom.lt(end))
                        .add(leave_pass::Column::ValidUntil.gt(start)),
                )
                .add(leave_pass::Column::Status.eq("out")),
        )
        .order_by_desc(leave_pass::Column::ValidFrom)
        .limit(20)
        .all(db)
        .await?;
    let classes = crate::features::classes::names(db, rows.iter().map(|p| p.class_id)).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|p| GatePassHit {
                pass_id: p.id,
                student_name: students.get(&p.student_id).cloned().unwrap_or_default(),
                class_name: classes.get(&p.class_id).cloned().unwrap_or_default(),
                status: passes::effective_status(&p, now).to_owned(),
            })
            .collect(),
    ))
}

pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(record_scan)
        .service(search_passes)
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
    master: &crate::infra::keys::MasterKey,
) -> Result<(), crate::infra::error::BoxError> {
    use crate::schema::users as user;
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
    let now = crate::infra::util::now();
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
            short_code: Set(Some(
                passes::new_short_code().map_err(|_| "no randomness for a pass code")?,
            )),
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
                token_hash: Set(None),
                answer: Set(None),
            }
            .insert(db)
            .await?;
        }
    }
    crate::features::visitors::seed_demo(db, master, guard, teacher1).await?;
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
