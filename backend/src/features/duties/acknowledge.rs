//! The one rule the three sign-offs share (责任书 signed, a rule version confirmed, a training
//! attended): who is asked, whether a signature is recorded, and the tally the office reads.
//! Pure: no queries, no clock.

use crate::auth::roles::Role;
use crate::infra::error::Validator;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The roles that may be asked to sign: staff only. Students (safety officers) never are.
pub const ASKABLE: [Role; 4] = [
    Role::Principal,
    Role::SecurityOffice,
    Role::ClassTeacher,
    Role::Guard,
];

/// Space-separated role names as stored.
pub fn format_roles(roles: &[Role]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for r in ASKABLE {
        if roles.contains(&r) {
            out.push(r.as_str());
        }
    }
    out.join(" ")
}

pub fn parse_roles(stored: &str) -> Vec<Role> {
    stored.split_whitespace().filter_map(Role::parse).collect()
}

/// At least one role, staff only.
pub fn check_roles(v: &mut Validator, field: &str, roles: &[Role]) {
    if roles.is_empty() {
        v.add(field, "required", "至少选择一个岗位");
    } else if roles.iter().any(|r| !ASKABLE.contains(r)) {
        v.add(field, "invalid", "只能要求教职工签收");
    }
}

/// What a person's "I sign" does.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Record it now.
    Record,
    /// Already signed at that time: answer with it, record nothing (a retry or a double tap).
    AlreadyDone(DateTime<Utc>),
    /// Not among those asked: refused.
    NotAsked,
}

pub fn decide(asked: bool, existing: Option<DateTime<Utc>>) -> Decision {
    match (existing, asked) {
        (Some(at), _) => Decision::AlreadyDone(at),
        (None, true) => Decision::Record,
        (None, false) => Decision::NotAsked,
    }
}

/// Someone asked to sign.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Person {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Signed {
    #[serde(flatten)]
    pub person: Person,
    pub acknowledged_at: DateTime<Utc>,
}

/// Who signed (earliest first) and who has not yet (by name).
#[derive(Debug, Serialize, ToSchema)]
pub struct Tally {
    pub asked: u64,
    pub signed: Vec<Signed>,
    pub pending: Vec<Person>,
}

/// Splits those asked by whether they signed. A signature by someone no longer asked (a role
/// changed, an account disabled) still counts: it was given.
pub fn tally(asked: Vec<Person>, acks: &HashMap<Uuid, (Person, DateTime<Utc>)>) -> Tally {
    let mut signed: Vec<Signed> = acks
        .values()
        .map(|(p, at)| Signed {
            person: p.clone(),
            acknowledged_at: *at,
        })
        .collect();
    let mut pending: Vec<Person> = asked
        .into_iter()
        .filter(|p| !acks.contains_key(&p.user_id))
        .collect();
    signed.sort_by(|a, b| {
        (a.acknowledged_at, &a.person.name).cmp(&(b.acknowledged_at, &b.person.name))
    });
    pending.sort_by(|a, b| a.name.cmp(&b.name));
    Tally {
        asked: (signed.len() + pending.len()) as u64,
        signed,
        pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn person(n: u128, name: &str) -> Person {
        Person {
            user_id: Uuid::from_u128(n),
            name: name.into(),
            role: Role::Guard,
        }
    }

    #[test]
    fn a_signature_is_recorded_once_and_only_for_those_asked() {
        assert_eq!(decide(true, None), Decision::Record);
        assert_eq!(decide(true, Some(at(8))), Decision::AlreadyDone(at(8)));
        assert_eq!(decide(false, None), Decision::NotAsked);
        // Signed before the role changed: the signature stands.
        assert_eq!(decide(false, Some(at(9))), Decision::AlreadyDone(at(9)));
    }

    #[test]
    fn the_tally_splits_those_asked_and_keeps_earlier_signatures() {
        let asked = vec![person(1, "乙"), person(2, "甲"), person(3, "丙")];
        let mut acks = HashMap::new();
        acks.insert(Uuid::from_u128(3), (person(3, "丙"), at(10)));
        // No longer asked (e.g. now disabled), but signed: still counted.
        acks.insert(Uuid::from_u128(9), (person(9, "丁"), at(8)));
        let t = tally(asked, &acks);
        assert_eq!(t.asked, 4);
        let signed: Vec<&str> = t.signed.iter().map(|s| s.person.name.as_str()).collect();
        assert_eq!(signed, ["丁", "丙"]);
        // Pending by name (code point order: 乙 U+4E59 before 甲 U+7532).
        let pending: Vec<u128> = t.pending.iter().map(|p| p.user_id.as_u128()).collect();
        assert_eq!(pending, [1, 2]);
    }

    #[test]
    fn only_staff_roles_are_asked_and_stored_in_a_fixed_order() {
        let mut v = Validator::new();
        check_roles(&mut v, "roles", &[Role::Guard, Role::SafetyOfficer]);
        assert!(!v.is_empty());
        let mut v = Validator::new();
        check_roles(&mut v, "roles", &[]);
        assert!(!v.is_empty());
        let mut v = Validator::new();
        check_roles(&mut v, "roles", &[Role::Guard, Role::ClassTeacher]);
        assert!(v.is_empty());
        let stored = format_roles(&[Role::Guard, Role::ClassTeacher, Role::Guard]);
        assert_eq!(stored, "class_teacher guard");
        assert_eq!(parse_roles(&stored), [Role::ClassTeacher, Role::Guard]);
    }
}
