//! The five roles, and the role sets that handlers name in their signatures.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 校长室: reads everything, approves the plan.
    Principal,
    /// 保卫处: runs the system.
    SecurityOffice,
    /// 班主任: own class only.
    ClassTeacher,
    /// 保安/门卫.
    Guard,
    /// 学生安全员 (a student).
    SafetyOfficer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Principal,
        Role::SecurityOffice,
        Role::ClassTeacher,
        Role::Guard,
        Role::SafetyOfficer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Principal => "principal",
            Role::SecurityOffice => "security_office",
            Role::ClassTeacher => "class_teacher",
            Role::Guard => "guard",
            Role::SafetyOfficer => "safety_officer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A set of roles allowed on an operation; used as `Auth<OfficeOrPrincipal>`.
pub trait RoleSet: 'static {
    const ROLES: &'static [Role];
}

macro_rules! role_sets {
    ($($(#[$doc:meta])* $name:ident => [$($role:ident),+];)+) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl RoleSet for $name {
                const ROLES: &'static [Role] = &[$(Role::$role),+];
            }
        )+
    };
}

role_sets! {
    /// 保卫处 only.
    Office => [SecurityOffice];
    /// 保卫处 and 校长室.
    OfficeOrPrincipal => [SecurityOffice, Principal];
    /// Every signed-in person.
    AnyUser => [Principal, SecurityOffice, ClassTeacher, Guard, SafetyOfficer];
    /// Staff (everyone but student safety officers).
    Staff => [Principal, SecurityOffice, ClassTeacher, Guard];
    /// Who may read student rosters: the office, the principal, class teachers (own class),
    /// guards (name, class and number only) and safety officers (own class, same).
    StudentReaders => [Principal, SecurityOffice, ClassTeacher, Guard, SafetyOfficer];
    /// Class teachers (own class) and the office.
    TeacherOrOffice => [ClassTeacher, SecurityOffice];
    /// Gate staff and the office.
    GuardOrOffice => [Guard, SecurityOffice];
    /// Who may read leave passes: the office, the principal, class teachers (own class).
    PassReaders => [Principal, SecurityOffice, ClassTeacher];
    /// Who may read the gate log: the office, the principal and the guards.
    GateLogReaders => [Principal, SecurityOffice, Guard];
    /// Who submits checks: class teachers (own class), guards (patrols) and the office.
    Inspectors => [SecurityOffice, ClassTeacher, Guard];
    /// Who may be allowed to spot-check (the office; teachers when on duty).
    SpotCheckers => [SecurityOffice, ClassTeacher];
    /// 校长室 only (approves the semester plan).
    PrincipalOnly => [Principal];
    /// Who may read safety-platform figures: the office, the principal, class teachers and
    /// safety officers (own class only).
    PlatformReaders => [Principal, SecurityOffice, ClassTeacher, SafetyOfficer];
    /// 保安 only (daily health report).
    GuardOnly => [Guard];
    /// Who may read patrol routes and runs: the office, the principal and the guards (own runs).
    PatrolReaders => [Principal, SecurityOffice, Guard];
    /// Who may read the fire-equipment registry and open an item's check form: the office, the
    /// principal and the guards (who do the checks with the office).
    FireReaders => [Principal, SecurityOffice, Guard];
}

/// An integration-key scope an operation accepts, used as `AuthOrKey<R, PeopleRead>`.
pub trait KeyScope: 'static {
    const SCOPE: &'static str;
}

macro_rules! key_scopes {
    ($($(#[$doc:meta])* $name:ident => $scope:literal;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl KeyScope for $name {
                const SCOPE: &'static str = $scope;
            }
        )+
        /// Every scope an integration key may hold, with what it grants.
        pub const SCOPES: &[(&str, &str)] = &[$(($scope, stringify!($($doc)*))),+];
    };
}

key_scopes! {
    /// Read classes and students (number, name, class; never guardian contact).
    PeopleRead => "people:read";
    /// Record gate scans (a turnstile).
    GateScan => "gate:scan";
    /// Read the gate log.
    GateRead => "gate:read";
}

pub fn is_known_scope(scope: &str) -> bool {
    SCOPES.iter().any(|(s, _)| *s == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
