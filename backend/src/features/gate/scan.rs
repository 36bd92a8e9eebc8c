//! One scan from receipt to answer: the token checked before anything is read, the write (the
//! single-use decision, the scan row, its audit) alone or through the group-commit writer, and
//! the answer, or the first answer again for a retried client event.

use super::http::{ScanPass, ScanResponse, ScanStudent};
use super::model::scan;
use super::state::GateState;
use super::store::{self, PassRow};
use super::verdict::{self, Checked, Incoming, Judged};
use super::{Direction, ScanCode, Verdict};
use crate::auth::extract::Caller;
use crate::features::audit::{self, Actor};
use crate::features::events;
use crate::features::passes;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::infra::state::AppState;
use crate::schema::passes::leave_pass;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set, SqlErr};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// The client event id was recorded with another token, direction or caller: never a replay
/// of that scan's verdict (it would show someone else's student).
pub struct EventConflict;

pub fn event_conflict() -> ApiError {
    ApiError::conflict(
        ErrorCode::ClientEventConflict,
        "这个 client_event_id 已用于另一次扫码，请为每次扫码生成新的 id",
    )
}

/// The fingerprint a client event id is bound to.
fn token_hash(token: &str) -> String {
    crate::infra::util::sha256_hex(token.trim())
}

/// A scan whose token is checked, ready for the write (which reads the pass and decides).
pub struct Prepared {
    pub(super) inc: Incoming,
    checked: Checked,
    token_hash: String,
    actor: Actor,
    id: Uuid,
    now: DateTime<Utc>,
    /// Raise `gate.refused` for a refusal (the `events_gate_refused` setting).
    refused_events: bool,
}

impl Prepared {
    pub(super) fn pass_id(&self) -> Option<Uuid> {
        match &self.checked {
            Checked::Valid(c) => Some(c.pass_id),
            Checked::Denied(_) => None,
        }
    }

    /// The checks that need the pass and its student, from what the write read.
    pub(super) fn judge(&self, found: &HashMap<Uuid, PassRow>) -> Judged {
        verdict::judge(
            &self.inc,
            &self.checked,
            self.pass_id().and_then(|id| found.get(&id)),
            self.now,
        )
    }
}

/// The signature first: nothing in the token is believed before it checks out. Needs no
/// database read once the key is cached.
async fn check_token(
    state: &AppState,
    gate: &GateState,
    inc: &Incoming,
    now: DateTime<Utc>,
) -> AppResult<Checked> {
    if let Some(code) = verdict::refused_unread(inc, now) {
        return Ok(Checked::Denied(code));
    }
    let kid = match passes::kid_of(&inc.token) {
        Ok(k) => k,
        Err(e) => return Ok(Checked::Denied(e.code())),
    };
    let key = gate.pass_keys.get(&state.db.conn, &kid).await?;
    Ok(match passes::verify_token(&inc.token, |_| key) {
        Ok(c) => Checked::Valid(Box::new(c)),
        Err(e) => Checked::Denied(e.code()),
    })
}

/// Checks the token (no read) and stamps the scan with its id and the server's time.
async fn prepare(
    state: &AppState,
    gate: &GateState,
    caller: &Caller,
    inc: Incoming,
) -> AppResult<Prepared> {
    let now = crate::infra::clock::now();
    let checked = check_token(state, gate, &inc, now).await?;
    Ok(Prepared {
        token_hash: token_hash(&inc.token),
        inc,
        checked,
        actor: caller.actor(),
        id: Uuid::now_v7(),
        now,
        refused_events: state.settings.events_gate_refused,
    })
}

/// Judges and records one scan. A client event already recorded is found by the write (the
/// unique `client_event_id`), not by a read before it: replays are rare, scans are not.
pub async fn process(
    state: &AppState,
    gate: &GateState,
    caller: &Caller,
    inc: Incoming,
) -> AppResult<Result<ScanResponse, EventConflict>> {
    let prepared = prepare(state, gate, caller, inc).await?;
    let key = ReplayKey::of(&prepared);
    let applied = match &gate.scan_writer {
        Some(writer) => writer.submit(prepared).await?,
        None => write_alone(state, &prepared).await?,
    };
    answer(state, &key, applied).await
}

/// Judges and records scans in the given order. The SQLite writer gets them all at once, in
/// order, so a phone's offline backlog shares a few commits instead of one each.
pub async fn process_in_order(
    state: &AppState,
    gate: &GateState,
    caller: &Caller,
    incoming: Vec<Incoming>,
) -> AppResult<Vec<Result<ScanResponse, EventConflict>>> {
    let mut prepared = Vec::with_capacity(incoming.len());
    for inc in incoming {
        prepared.push(prepare(state, gate, caller, inc).await?);
    }
    let keys: Vec<ReplayKey> = prepared.iter().map(ReplayKey::of).collect();
    let applied = match &gate.scan_writer {
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
            crate::infra::metrics::record_scan(r.result.as_str());
            Ok(Ok(r))
        }
        None => {
            let s = store::scan_by_event(db, &key.client_event_id)
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
            && s.direction == self.direction
    }
}

/// The part of an answer kept with the scan (the student's name and class come from the
/// token again, so the gate log holds no second copy of them).
#[derive(Serialize, Deserialize)]
struct StoredAnswer {
    result: Verdict,
    code: ScanCode,
    pass: Option<ScanPass>,
    conflict: bool,
}

fn scan_pass(p: &leave_pass::Model, now: DateTime<Utc>) -> ScanPass {
    ScanPass {
        id: p.id,
        kind: p.kind,
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
    if let Some(a) = s.answer.as_deref() {
        // The answer as given then, whatever the pass has done since. One we wrote ourselves
        // that no longer parses is corrupt: say so rather than answer differently.
        let a: StoredAnswer = serde_json::from_str(a).map_err(|e| {
            tracing::error!(scan_id = %s.id, error = %e, "gate scan: stored answer unreadable");
            ApiError::internal()
        })?;
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
    let now = crate::infra::clock::now();
    let (student, pass) = match s.pass_id {
        Some(pid) => match store::names_of_pass(db, pid).await? {
            Some((p, name, class)) => (Some(ScanStudent { name, class }), Some(scan_pass(&p, now))),
            None => (None, None),
        },
        None => (None, None),
    };
    Ok(ScanResponse {
        result: s.result,
        code: s.code,
        event_id: s.id,
        client_event_id: s.client_event_id,
        student,
        pass,
        conflict: s.conflict,
        scanned_at: s.scanned_at,
    })
}

/// The write of one scan: the single-use decision, the scan row, its audit. `None` when the
/// client event is already recorded (the caller answers with the first verdict).
pub(super) async fn apply(
    tx: &impl ConnectionTrait,
    p: &Prepared,
) -> AppResult<Option<ScanResponse>> {
    let found = store::read_passes(tx, p.pass_id().into_iter().collect()).await?;
    let judged = p.judge(&found);
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
    if let Some(e) = d.event {
        events::model::Entity::insert(e)
            .exec_without_returning(tx)
            .await?;
    }
    Ok(Some(d.response))
}

/// What one scan writes besides the pass: its row and, when it changed a pass or conflicts,
/// its audit entry; and the answer.
pub(super) struct Decided {
    pub row: scan::ActiveModel,
    pub audit: Option<audit::model::ActiveModel>,
    /// `gate.exit`/`gate.return` when the pass moved; `gate.refused` when asked for.
    pub event: Option<events::model::ActiveModel>,
    pub response: ScanResponse,
}

/// The single-use decision: moves the pass (a conditional update, so the database decides
/// between concurrent scans) and says what to record.
pub(super) async fn decide(
    tx: &impl ConnectionTrait,
    p: &Prepared,
    judged: &Judged,
) -> AppResult<Decided> {
    let Prepared {
        inc,
        actor,
        id,
        now,
        ..
    } = p;
    let (actor, id, now) = (*actor, *id, *now);
    let mut result = Verdict::Deny;
    let mut code = judged.deny.unwrap_or(ScanCode::Ok);
    let mut conflict = false;
    let mut pass_after = judged.pass.clone();
    // Only a scan that moved the pass is a passage (a take-over re-dates an exit already told).
    let mut passage = false;
    if let (true, Some(pass), None) = (inc.source.phone_denied(), &judged.pass, judged.deny) {
        // The phone refused the student: a refused attempt, whatever the server would say, and
        // the pass stays as it is. Only when the server would have let the student through is
        // it a conflict (the office should know someone was turned away).
        let current = passes::find(tx, pass.id).await?;
        let server_code = verdict::server_refusal(inc.direction, &current, inc.scanned_at);
        code = server_code.unwrap_or(ScanCode::DeniedOffline);
        conflict = server_code.is_none();
        pass_after = Some(current);
    } else if let (Some(pass), None) = (&judged.pass, judged.deny) {
        // A slow phone clock may date the scan a little before the issue: the pass never
        // says it left before it existed.
        let at = inc.scanned_at.max(pass.issued_at);
        let moved = store::move_pass(
            tx,
            pass.id,
            inc.direction,
            inc.source.is_batch(),
            id,
            at,
            now,
        )
        .await?;
        if moved {
            result = Verdict::Allow;
            code = ScanCode::Ok;
            passage = true;
            // What the update wrote, without reading it back.
            let mut p = pass.clone();
            match inc.direction {
                Direction::Exit => {
                    p.status = passes::PassStatus::Out;
                    p.exited_at = Some(at);
                    p.exit_scan_id = Some(id);
                }
                Direction::Return => {
                    p.status = passes::PassStatus::Returned;
                    p.returned_at = Some(at);
                    p.return_scan_id = Some(id);
                }
            }
            pass_after = Some(p);
        } else {
            let mut current = passes::find(tx, pass.id).await?;
            code = verdict::refusal(inc.direction, current.status);
            if verdict::is_double_exit(inc.direction, inc.source, current.status) {
                conflict = true;
                // The claimed time of the exit that counts now (the pass's exit time may be
                // clamped to its issue).
                let prev = match current.exit_scan_id {
                    Some(prev_id) => store::scanned_at(tx, prev_id)
                        .await?
                        .or(current.exited_at)
                        .map(|t| (t, prev_id)),
                    None => None,
                };
                if let Some((prev_at, prev_id)) = prev
                    && verdict::takes_over(inc.scanned_at, prev_at)
                    && store::take_over_exit(tx, pass.id, prev_id, id, at, now).await?
                {
                    result = Verdict::Allow;
                    code = ScanCode::Ok;
                    conflict = false;
                    current.exited_at = Some(at);
                    current.exit_scan_id = Some(id);
                }
            }
            pass_after = Some(current);
        }
    }
    if verdict::flag_for_office(inc.source, judged.pass.is_some(), result == Verdict::Allow) {
        conflict = true;
    }
    let response = ScanResponse {
        result,
        code,
        event_id: id,
        client_event_id: inc.client_event_id.clone(),
        student: judged.student.as_ref().map(|(name, class)| ScanStudent {
            name: name.clone(),
            class: class.clone(),
        }),
        pass: pass_after.as_ref().map(|p| scan_pass(p, now)),
        conflict,
        scanned_at: inc.scanned_at,
    };
    let answer = serde_json::to_string(&StoredAnswer {
        result,
        code,
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
        direction: Set(inc.direction),
        gate: Set(inc.gate.clone()),
        result: Set(result),
        code: Set(code),
        conflict: Set(conflict),
        source: Set(inc.source.stored()),
        scanned_at: Set(inc.scanned_at),
        received_at: Set(now),
        actor_user_id: Set(actor.user_id),
        actor_api_key_id: Set(actor.api_key_id),
        token_hash: Set(Some(p.token_hash.clone())),
        answer: Set(answer),
    };
    let audit = (result == Verdict::Allow || conflict)
        .then(|| audit_entry(actor, inc, id, judged.pass.as_ref(), code, conflict));
    let event = if passage || (result == Verdict::Deny && p.refused_events) {
        gate_event(p, judged, id, code, passage)?.map(|e| events::row(now, e))
    } else {
        None
    };
    Ok(Decided {
        row,
        audit,
        event,
        response,
    })
}

/// The event of a scan: a passage, or (when asked for) a refusal.
fn gate_event(
    p: &Prepared,
    judged: &Judged,
    scan_id: Uuid,
    code: ScanCode,
    passage: bool,
) -> AppResult<Option<events::NewEvent>> {
    let student = match (&judged.pass, &judged.student) {
        (Some(pass), Some((name, class))) => Some(events::EventStudent {
            id: pass.student_id,
            name: name.clone(),
            student_no: judged.student_no.clone().unwrap_or_default(),
            class_id: pass.class_id,
            class_name: class.clone(),
        }),
        _ => None,
    };
    let inc = &p.inc;
    if !passage {
        return events::NewEvent::of(&events::GateRefused {
            scan_id,
            pass_id: judged.pass.as_ref().map(|p| p.id),
            student,
            gate: inc.gate.clone(),
            direction: inc.direction,
            code,
            scanned_at: inc.scanned_at,
        })
        .map(Some);
    }
    let (Some(pass), Some(student)) = (&judged.pass, student) else {
        return Ok(None);
    };
    let e = events::GatePassage {
        scan_id,
        pass_id: pass.id,
        student,
        gate: inc.gate.clone(),
        scanned_at: inc.scanned_at,
        offline: inc.source.is_batch(),
    };
    match inc.direction {
        Direction::Exit => events::NewEvent::of(&events::GateExit(e)),
        Direction::Return => events::NewEvent::of(&events::GateReturn(e)),
    }
    .map(Some)
}

/// A scan that changed a pass (or conflicts with one) is audited; the scan row itself is the
/// record of every other scan.
fn audit_entry(
    actor: Actor,
    inc: &Incoming,
    scan_id: Uuid,
    pass: Option<&leave_pass::Model>,
    code: ScanCode,
    conflict: bool,
) -> audit::model::ActiveModel {
    audit::entry(
        actor,
        verdict::audit_action(inc.direction, conflict),
        "leave_pass",
        pass.map(|p| p.id.to_string()),
        json!({"scan_id": scan_id, "gate": inc.gate, "code": code, "scanned_at": inc.scanned_at}),
    )
}
