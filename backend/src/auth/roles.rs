//! The five roles, and the role sets that handlers name in their signatures.

pub use crate::schema::users::Role;

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
    /// Who may see the head-count under way: the office and the principal, class teachers
    /// (own classes, to report them).
    HeadcountReaders => [Principal, SecurityOffice, ClassTeacher];
    /// Who may read guard trainings: the office, the principal and the guards (own sessions).
    TrainingReaders => [Principal, SecurityOffice, Guard];
}

/// No person: operations only integration keys call (a roster system's `PUT /people`), used
/// as `AuthOrKey<KeysOnly, PeopleWrite>`. A signed-in person gets `403 forbidden_role`.
pub struct KeysOnly;
impl RoleSet for KeysOnly {
    const ROLES: &'static [Role] = &[];
}

/// An integration-key scope an operation accepts, used as `AuthOrKey<R, PeopleRead>`.
pub trait KeyScope: 'static {
    const SCOPE: &'static str;
}

macro_rules! key_scopes {
    ($($(#[doc = $doc:literal])* $name:ident => $scope:literal;)+) => {
        $(
            $(#[doc = $doc])*
            pub struct $name;
            impl KeyScope for $name {
                const SCOPE: &'static str = $scope;
            }
        )+
        /// Every scope an integration key may hold, with what it grants.
        pub const SCOPES: &[(&str, &str)] = &[$(($scope, concat!($($doc),*))),+];
        /// The scopes' names alone (the spec's enum of `CreateApiKeyRequest.scopes`).
        pub const SCOPE_NAMES: &[&str] = &[$($scope),+];
    };
}

key_scopes! {
    /// Read classes and students (number, name, class; never guardian contact).
    PeopleRead => "people:read";
    /// Record gate scans (a turnstile).
    GateScan => "gate:scan";
    /// Read the gate log.
    GateRead => "gate:read";
    /// Read the event feed (`GET /events`): every event of the catalogue, with the students'
    /// names, classes and 学号 they carry.
    EventsRead => "events:read";
    /// Upsert classes and students by 学号 (`PUT /people`): a roster system. Guardian contact
    /// sent is stored but never echoed back.
    PeopleWrite => "people:write";
    /// Read leave passes (`GET /leave-passes`, `/leave-passes/{id}`): student number, name and
    /// class, kind, times and status only; never the reason, the QR credential or its code.
    PassesRead => "passes:read";
    /// Read hazards (`GET /hazards`, `/hazards/{id}`, `/hazards/overdue`): location,
    /// description, class, status, deadlines, and the names of staff who reported, own or
    /// rectified them.
    HazardsRead => "hazards:read";
    /// Report a hazard (`POST /hazards`): a sensor or another system; the hazard names the key
    /// as its reporter.
    HazardsWrite => "hazards:write";
    /// Read visitor records and expected visitors (`GET /visitors`, `/visitors/{id}`,
    /// `/expected-visitors`): visitors' names, phones, organisations, hosts, times; ID numbers
    /// only masked (last 4).
    VisitorsRead => "visitors:read";
    /// A visitor kiosk: register an expected visitor (`POST /expected-visitors`), check a
    /// visitor in (`POST /visitors`, `/expected-visitors/{id}/check-in`) and out
    /// (`POST /visitors/{id}/check-out`). The watchlist is checked as for a guard.
    VisitorsWrite => "visitors:write";
    /// Read the records lists (`GET /incidents`, `/activities`, `/meetings`, `/announcements`):
    /// what the office sees of them, which names students only where the record itself does
    /// (an incident's involved people as typed); never a health report.
    RecordsRead => "records:read";
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
