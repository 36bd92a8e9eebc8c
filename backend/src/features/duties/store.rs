//! Queries: who is asked, the signatures given, recording one, and what waits for a person.

use super::acknowledge::{Decision, Person, decide, parse_roles};
use crate::auth::roles::Role;
use crate::infra::error::{ApiError, AppResult, ErrorCode};
use crate::schema::duties::{AckSubject, ack, attendee, letter, rule_version, training};
use crate::schema::users as user;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

fn person(u: user::Model) -> Person {
    Person {
        role: u.role,
        user_id: u.id,
        name: u.display_name,
    }
}

/// Active accounts holding one of `roles`.
pub async fn asked_by_roles(db: &impl ConnectionTrait, roles: &[Role]) -> AppResult<Vec<Person>> {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Ok(user::Entity::find()
        .filter(user::Column::Role.is_in(names))
        .filter(user::Column::IsActive.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(person)
        .collect())
}

pub async fn people(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, Person>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(person)
        .map(|p| (p.user_id, p))
        .collect())
}

pub async fn attendee_ids(db: &impl ConnectionTrait, training_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(attendee::Entity::find()
        .filter(attendee::Column::TrainingId.eq(training_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect())
}

/// The signatures given for one subject, with who gave them.
pub async fn signatures(
    db: &impl ConnectionTrait,
    kind: AckSubject,
    subject: Uuid,
) -> AppResult<HashMap<Uuid, (Person, DateTime<Utc>)>> {
    let rows = ack::Entity::find()
        .filter(ack::Column::SubjectKind.eq(kind))
        .filter(ack::Column::SubjectId.eq(subject))
        .all(db)
        .await?;
    let who = people(db, rows.iter().map(|a| a.user_id).collect()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|a| Some((a.user_id, (who.get(&a.user_id)?.clone(), a.acknowledged_at))))
        .collect())
}

/// Signature counts per subject (`subject_id → count`).
pub async fn counts(
    db: &impl ConnectionTrait,
    kind: AckSubject,
    subjects: Vec<Uuid>,
) -> AppResult<HashMap<Uuid, u64>> {
    let mut out = HashMap::new();
    if subjects.is_empty() {
        return Ok(out);
    }
    for a in ack::Entity::find()
        .filter(ack::Column::SubjectKind.eq(kind))
        .filter(ack::Column::SubjectId.is_in(subjects))
        .all(db)
        .await?
    {
        *out.entry(a.subject_id).or_insert(0) += 1;
    }
    Ok(out)
}

/// When I signed each of these subjects.
pub async fn mine(
    db: &impl ConnectionTrait,
    kind: AckSubject,
    me: Uuid,
) -> AppResult<HashMap<Uuid, DateTime<Utc>>> {
    Ok(ack::Entity::find()
        .filter(ack::Column::SubjectKind.eq(kind))
        .filter(ack::Column::UserId.eq(me))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.subject_id, a.acknowledged_at))
        .collect())
}

/// Records my signature once (inside the caller's write transaction). Returns when it was
/// given and whether it is new; `403 not_asked_to_acknowledge` for someone not asked.
pub async fn acknowledge(
    db: &impl ConnectionTrait,
    kind: AckSubject,
    subject: Uuid,
    me: Uuid,
    asked: bool,
    now: DateTime<Utc>,
) -> AppResult<(DateTime<Utc>, bool)> {
    let existing = ack::Entity::find()
        .filter(ack::Column::SubjectKind.eq(kind))
        .filter(ack::Column::SubjectId.eq(subject))
        .filter(ack::Column::UserId.eq(me))
        .one(db)
        .await?
        .map(|a| a.acknowledged_at);
    match decide(asked, existing) {
        Decision::AlreadyDone(at) => Ok((at, false)),
        Decision::NotAsked => Err(ApiError::forbidden(
            ErrorCode::NotAskedToAcknowledge,
            "您不在需要签收的人员之列",
        )),
        Decision::Record => {
            // Two taps at once on PostgreSQL: the second finds the first's row (no 409).
            let inserted = ack::Entity::insert(ack::ActiveModel {
                id: Set(Uuid::now_v7()),
                subject_kind: Set(kind),
                subject_id: Set(subject),
                user_id: Set(me),
                acknowledged_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    ack::Column::SubjectKind,
                    ack::Column::SubjectId,
                    ack::Column::UserId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec(db)
            .await;
            match inserted {
                Ok(_) => Ok((now, true)),
                Err(DbErr::RecordNotInserted) => {
                    let first = ack::Entity::find()
                        .filter(ack::Column::SubjectKind.eq(kind))
                        .filter(ack::Column::SubjectId.eq(subject))
                        .filter(ack::Column::UserId.eq(me))
                        .one(db)
                        .await?
                        .ok_or_else(ApiError::internal)?;
                    Ok((first.acknowledged_at, false))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// The version in force of each rule: its highest number.
pub async fn current_versions(
    db: &impl ConnectionTrait,
) -> AppResult<HashMap<Uuid, rule_version::Model>> {
    let mut out: HashMap<Uuid, rule_version::Model> = HashMap::new();
    for v in rule_version::Entity::find().all(db).await? {
        match out.get(&v.rule_id) {
            Some(have) if have.version >= v.version => {}
            _ => {
                out.insert(v.rule_id, v);
            }
        }
    }
    Ok(out)
}

/// One thing waiting for a person's signature.
pub struct Waiting {
    pub kind: AckSubject,
    pub subject_id: Uuid,
    pub title: String,
    pub body: String,
    pub date: String,
    pub rule_id: Option<Uuid>,
    pub version: Option<i32>,
}

/// What waits for `me`: letters to my role unsigned, the version in force of each rule my role
/// must read and I have not confirmed, trainings I attended and have not signed off.
pub async fn waiting_for(
    db: &impl ConnectionTrait,
    me: Uuid,
    role: Role,
) -> AppResult<Vec<Waiting>> {
    let mut out = Vec::new();
    if !super::acknowledge::ASKABLE.contains(&role) {
        return Ok(out);
    }
    let signed_letters = mine(db, AckSubject::Letter, me).await?;
    for l in letter::Entity::find()
        .order_by_desc(letter::Column::CreatedAt)
        .all(db)
        .await?
    {
        if parse_roles(&l.signer_roles).contains(&role) && !signed_letters.contains_key(&l.id) {
            out.push(Waiting {
                kind: AckSubject::Letter,
                subject_id: l.id,
                title: l.title,
                body: l.body,
                date: l.semester,
                rule_id: None,
                version: None,
            });
        }
    }
    let confirmed = mine(db, AckSubject::RuleVersion, me).await?;
    let titles: HashMap<Uuid, String> = crate::schema::duties::rule::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect();
    let mut versions: Vec<rule_version::Model> =
        current_versions(db).await?.into_values().collect();
    versions.sort_by(|a, b| b.effective_on.cmp(&a.effective_on));
    for v in versions {
        if parse_roles(&v.reader_roles).contains(&role) && !confirmed.contains_key(&v.id) {
            out.push(Waiting {
                kind: AckSubject::RuleVersion,
                subject_id: v.id,
                title: titles.get(&v.rule_id).cloned().unwrap_or_default(),
                body: v.body,
                date: v.effective_on,
                rule_id: Some(v.rule_id),
                version: Some(v.version),
            });
        }
    }
    let signed_trainings = mine(db, AckSubject::Training, me).await?;
    let attended: HashSet<Uuid> = attendee::Entity::find()
        .filter(attendee::Column::UserId.eq(me))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.training_id)
        .filter(|id| !signed_trainings.contains_key(id))
        .collect();
    if !attended.is_empty() {
        for t in training::Entity::find()
            .filter(training::Column::Id.is_in(attended))
            .order_by_desc(training::Column::Date)
            .all(db)
            .await?
        {
            out.push(Waiting {
                kind: AckSubject::Training,
                subject_id: t.id,
                title: t.title,
                body: t.content,
                date: t.date,
                rule_id: None,
                version: None,
            });
        }
    }
    Ok(out)
}

/// The sign-offs of trainings dated `from`–`to` (inclusive), as `(training, attendee)`, by
/// date: what the assessment counts.
pub async fn signed_trainings(
    db: &impl ConnectionTrait,
    from: &str,
    to: &str,
) -> AppResult<Vec<(Uuid, Uuid)>> {
    let sessions: Vec<training::Model> = training::Entity::find()
        .filter(training::Column::Date.gte(from))
        .filter(training::Column::Date.lte(to))
        .order_by_asc(training::Column::Date)
        .order_by_asc(training::Column::Id)
        .all(db)
        .await?;
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_training: HashMap<Uuid, Vec<ack::Model>> = HashMap::new();
    for a in ack::Entity::find()
        .filter(ack::Column::SubjectKind.eq(AckSubject::Training))
        .filter(ack::Column::SubjectId.is_in(sessions.iter().map(|t| t.id)))
        .order_by_asc(ack::Column::AcknowledgedAt)
        .all(db)
        .await?
    {
        by_training.entry(a.subject_id).or_default().push(a);
    }
    Ok(sessions
        .iter()
        .flat_map(|t| {
            by_training
                .remove(&t.id)
                .unwrap_or_default()
                .into_iter()
                .map(move |a| (t.id, a.user_id))
        })
        .collect())
}

/// Who signed a subject and who has not, whatever its kind (`None` when it does not exist).
pub async fn tally_for(
    db: &impl ConnectionTrait,
    kind: AckSubject,
    subject: Uuid,
) -> AppResult<Option<super::acknowledge::Tally>> {
    let asked = match kind {
        AckSubject::Letter => match letter::Entity::find_by_id(subject).one(db).await? {
            Some(l) => asked_by_roles(db, &parse_roles(&l.signer_roles)).await?,
            None => return Ok(None),
        },
        AckSubject::RuleVersion => match rule_version::Entity::find_by_id(subject).one(db).await? {
            Some(v) => asked_by_roles(db, &parse_roles(&v.reader_roles)).await?,
            None => return Ok(None),
        },
        AckSubject::Training => {
            if training::Entity::find_by_id(subject)
                .one(db)
                .await?
                .is_none()
            {
                return Ok(None);
            }
            people(db, attendee_ids(db, subject).await?)
                .await?
                .into_values()
                .collect()
        }
    };
    let given = signatures(db, kind, subject).await?;
    Ok(Some(super::acknowledge::tally(asked, &given)))
}
