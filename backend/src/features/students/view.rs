//! What each caller sees of a student: the full record (guardian contact, active flag) for the
//! office, the principal and the student's own class teacher; number, name and class only for
//! guards, safety officers and integration keys. No queries here.

use super::model::student;
use crate::auth::extract::Caller;
use crate::auth::roles::Role;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

/// A student. `is_active`, `guardian_name` and `guardian_phone` are present only for the
/// security office, the principal and the student's own class teacher.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentResponse {
    pub id: Uuid,
    pub student_no: String,
    pub name: String,
    pub class_id: Uuid,
    pub class_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_phone: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum View {
    Full,
    Minimal,
}

pub fn to_response(s: student::Model, class_name: String, view: View) -> StudentResponse {
    let full = view == View::Full;
    StudentResponse {
        id: s.id,
        student_no: s.student_no,
        name: s.name,
        class_id: s.class_id,
        class_name,
        is_active: full.then_some(s.is_active),
        guardian_name: if full { s.guardian_name } else { None },
        guardian_phone: if full { s.guardian_phone } else { None },
    }
}

/// The view a caller gets (which students it may reach is [`crate::auth::scope::Scope`]'s).
pub fn view_for(caller: &Caller) -> View {
    match caller {
        Caller::Key(_) => View::Minimal,
        Caller::User(u) => match u.role {
            Role::SecurityOffice | Role::Principal | Role::ClassTeacher => View::Full,
            Role::Guard | Role::SafetyOfficer => View::Minimal,
        },
    }
}

pub fn audit_view(s: &student::Model) -> serde_json::Value {
    json!({
        "student_no": s.student_no,
        "name": s.name,
        "class_id": s.class_id,
        "guardian_name": s.guardian_name,
        "guardian_phone": s.guardian_phone,
        "is_active": s.is_active,
    })
}

pub fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::extract::CurrentUser;
    use chrono::{TimeZone, Utc};

    fn student() -> student::Model {
        let at = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
        student::Model {
            id: Uuid::nil(),
            student_no: "20190101".into(),
            name: "张三".into(),
            class_id: Uuid::nil(),
            guardian_name: Some("张建国".into()),
            guardian_phone: Some("13900000000".into()),
            is_active: true,
            created_at: at,
            updated_at: at,
        }
    }

    fn user(role: Role) -> Caller {
        Caller::User(CurrentUser {
            id: Uuid::nil(),
            username: "u".into(),
            display_name: "u".into(),
            role,
            session_id: Uuid::nil(),
        })
    }

    #[test]
    fn guardian_contact_only_in_the_full_view() {
        for (role, full) in [
            (Role::SecurityOffice, true),
            (Role::Principal, true),
            (Role::ClassTeacher, true),
            (Role::Guard, false),
            (Role::SafetyOfficer, false),
        ] {
            let r = to_response(student(), "一班".into(), view_for(&user(role)));
            assert_eq!(r.guardian_phone.is_some(), full, "{role:?}");
            assert_eq!(r.guardian_name.is_some(), full, "{role:?}");
            assert_eq!(r.is_active.is_some(), full, "{role:?}");
        }
    }
}
