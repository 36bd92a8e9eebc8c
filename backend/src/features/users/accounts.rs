//! The rules of accounts: what a username may be, who may hand out or touch the principal
//! role, and which change would leave the school without an office or a principal.

use super::model;
use crate::auth::roles::Role;
use crate::infra::error::{ApiError, ErrorCode, Validator};
use serde_json::json;

pub fn audit_view(u: &model::Model) -> serde_json::Value {
    json!({
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "phone": u.phone,
        "is_active": u.is_active,
    })
}

pub fn validate_username(v: &mut Validator, username: &str) {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !(3..=64).contains(&username.len()) {
        v.add("username", "invalid_length", "用户名长度为 3–64 个字符");
    } else if !ok_chars {
        v.add(
            "username",
            "invalid",
            "用户名只能包含小写字母、数字和 . _ -",
        );
    }
}

/// Separation of duties: the office runs the accounts, but only a principal (or the CLI on
/// the server) may make a principal or touch a principal's credentials, role or state;
/// otherwise the office could approve its own plan.
pub fn principal_role_reserved() -> ApiError {
    ApiError::forbidden(
        ErrorCode::PrincipalRoleReserved,
        "只有校长室账号可以创建校长室账号或授予校长室角色",
    )
}

pub fn principal_account_protected() -> ApiError {
    ApiError::forbidden(
        ErrorCode::PrincipalAccountProtected,
        "只有校长室账号可以更改校长室账号的密码、角色或启用状态",
    )
}

/// The role whose last active account a change would take away (it disables the account or
/// gives it another role), if that role is one the school cannot run without.
pub fn guarded_role_lost(
    was_active: bool,
    old_role: Role,
    new_role: Role,
    new_active: bool,
) -> Option<Role> {
    let losing = was_active && (new_role != old_role || !new_active);
    (losing && matches!(old_role, Role::SecurityOffice | Role::Principal)).then_some(old_role)
}

pub fn last_account(role: Role) -> ApiError {
    match role {
        Role::Principal => {
            ApiError::conflict(ErrorCode::LastPrincipal, "不能停用或更改最后一个校长室账号")
        }
        _ => ApiError::conflict(
            ErrorCode::LastSecurityOffice,
            "不能停用或更改最后一个保卫处账号",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_disabling_or_re_roling_an_active_office_or_principal_is_guarded() {
        use Role::*;
        assert_eq!(
            guarded_role_lost(true, SecurityOffice, SecurityOffice, false),
            Some(SecurityOffice)
        );
        assert_eq!(
            guarded_role_lost(true, Principal, Guard, true),
            Some(Principal)
        );
        assert_eq!(guarded_role_lost(true, Principal, Principal, true), None);
        assert_eq!(guarded_role_lost(false, SecurityOffice, Guard, false), None);
        assert_eq!(guarded_role_lost(true, Guard, ClassTeacher, false), None);
    }

    #[test]
    fn usernames_are_short_lowercase_words() {
        let check = |u: &str| {
            let mut v = Validator::new();
            validate_username(&mut v, u);
            v.is_empty()
        };
        assert!(check("teacher1"));
        assert!(check("li.xue-mei_2"));
        assert!(!check("ab"));
        assert!(!check("Teacher"));
        assert!(!check("张三"));
    }
}
