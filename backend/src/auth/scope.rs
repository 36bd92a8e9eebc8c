//! Which classes a caller may see or act for ("own class"), resolved once per request from
//! the class table (a class teacher's classes) or the safety-officer link (the officer's class).

use super::extract::{Caller, CurrentUser};
use super::roles::Role;
use crate::infra::error::AppResult;
use crate::schema::classes as class;
use crate::schema::students::{safety_officer, student};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// The classes a caller's request may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every class.
    All,
    /// Only these (possibly none).
    Classes(Vec<Uuid>),
}

impl Scope {
    pub fn allows(&self, class_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Classes(ids) => ids.contains(&class_id),
        }
    }

    /// `None` for every class, else the ids to filter a query by.
    pub fn class_ids(&self) -> Option<&[Uuid]> {
        match self {
            Scope::All => None,
            Scope::Classes(ids) => Some(ids),
        }
    }

    /// What a caller may read of class-scoped people data: the office, the principal, guards
    /// and integration keys every class; class teachers and safety officers their own.
    pub async fn read(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Scope> {
        Ok(match caller {
            Caller::Key(_) => Scope::All,
            Caller::User(u) => match u.role {
                Role::SecurityOffice | Role::Principal | Role::Guard => Scope::All,
                Role::ClassTeacher | Role::SafetyOfficer => {
                    Scope::Classes(own_class_ids(db, u.id, u.role).await?)
                }
            },
        })
    }

    /// For whom a user may act on a class-scoped record: the office and the principal for
    /// every class, class teachers and safety officers for their own, guards for none.
    pub async fn act(db: &impl ConnectionTrait, user: &CurrentUser) -> AppResult<Scope> {
        Ok(match user.role {
            Role::SecurityOffice | Role::Principal => Scope::All,
            Role::ClassTeacher | Role::SafetyOfficer => {
                Scope::Classes(own_class_ids(db, user.id, user.role).await?)
            }
            Role::Guard => Scope::Classes(Vec::new()),
        })
    }
}

/// The classes a user may act for as "own class": those a class teacher heads (by name), or a
/// safety officer's class; none for other roles.
pub async fn own_class_ids(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    role: Role,
) -> AppResult<Vec<Uuid>> {
    Ok(match role {
        Role::ClassTeacher => class::Entity::find()
            .filter(class::Column::ClassTeacherId.eq(user_id))
            .order_by_asc(class::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect(),
        Role::SafetyOfficer => match linked_student(db, user_id).await? {
            Some(s) => vec![s.class_id],
            None => Vec::new(),
        },
        _ => Vec::new(),
    })
}

/// The student a safety-officer account belongs to.
pub async fn linked_student_id(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> AppResult<Option<Uuid>> {
    Ok(safety_officer::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|l| l.student_id))
}

async fn linked_student(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> AppResult<Option<student::Model>> {
    let Some(sid) = linked_student_id(db, user_id).await? else {
        return Ok(None);
    };
    Ok(student::Entity::find_by_id(sid).one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_allows_every_class_and_classes_only_their_own() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(Scope::All.allows(a));
        assert_eq!(Scope::All.class_ids(), None);
        let own = Scope::Classes(vec![a]);
        assert!(own.allows(a));
        assert!(!own.allows(b));
        assert!(!Scope::Classes(Vec::new()).allows(a));
    }
}
