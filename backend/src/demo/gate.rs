//! Demo leave passes in every state with their gate scans.

use crate::features::audit::{self, Actor};
use crate::features::gate::{Direction, ScanCode, ScanSource, Verdict, model::scan};
use crate::features::passes::{self, PassKind, PassStatus, leave_pass};
use crate::schema::classes as class;
use crate::schema::students::student;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

/// Leave passes in every state (issued, out, overdue, returned) with their gate scans; then
/// the visitors' demo records.
pub async fn seed(
    db: &impl ConnectionTrait,
    master: &crate::infra::keys::MasterKey,
    tz: chrono_tz::Tz,
) -> Result<(), crate::infra::error::BoxError> {
    use crate::schema::users as user;
    use sea_orm::ActiveModelTrait;
    passes::ensure_signing_key_on(db, master).await?;
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
    let (kid, key) = passes::active_signing_key(db, master)
        .await
        .map_err(|e| e.to_string())?;
    let now = crate::infra::clock::now();
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
        let tok = passes::sign_token(
            &passes::Claims {
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
        for (dir, at) in [(Direction::Exit, exited), (Direction::Return, returned)] {
            if let Some(at) = at {
                scans.push((Uuid::now_v7(), dir, now + at));
            }
        }
        let status = match (exited, returned) {
            (_, Some(_)) => PassStatus::Returned,
            (Some(_), None) => PassStatus::Out,
            _ => PassStatus::Issued,
        };
        leave_pass::ActiveModel {
            id: Set(id),
            student_id: Set(s.id),
            class_id: Set(c.id),
            kind: Set(kind),
            reason: Set(reason.into()),
            valid_from: Set(from),
            valid_until: Set(until),
            return_by: Set(return_by),
            status: Set(status),
            kid: Set(passes::kid_to_string(&kid)),
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
                direction: Set(dir),
                gate: Set("南门".into()),
                result: Set(Verdict::Allow),
                code: Set(ScanCode::Ok),
                conflict: Set(false),
                source: Set(ScanSource::Online),
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
    super::visitors::seed(db, master, tz, guard, teacher1).await?;
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
