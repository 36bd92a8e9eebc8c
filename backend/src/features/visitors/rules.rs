//! The pure rules of visitors: ID numbers (normalised, checked, hashed, masked), the checks
//! of the requests, and who is let in given a watchlist match and the guard's decision.

use super::{VisitStatus, WatchCategory};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use sha2::{Digest, Sha256};

/// What the guard chose for a suspicious person: refuse, or ask the security office.
pub const DECISION_REFUSE: &str = "refuse";
pub const DECISION_ASK_OFFICE: &str = "ask_office";

/// HMAC-SHA256 (RFC 2104), written out to keep to the one SHA-2 crate the app already has.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// Upper case, no spaces: `11010519491231002x` and `110105 19491231 002X` match.
pub fn normalise_id(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

pub fn valid_id(n: &str) -> bool {
    (5..=32).contains(&n.len()) && n.chars().all(|c| c.is_ascii_alphanumeric())
}

pub fn check_id(v: &mut Validator, field: &str, raw: Option<&str>) {
    if let Some(n) = raw.map(normalise_id).filter(|n| !n.is_empty())
        && !valid_id(&n)
    {
        v.add(field, "invalid", "证件号码须为 5–32 位字母或数字");
    }
}

/// Shown instead of an ID number: its last 4 characters only.
pub fn mask(last4: Option<&str>) -> Option<String> {
    last4.map(|l| format!("**************{l}"))
}

pub fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub fn check_decision(v: &mut Validator, d: Option<&str>) {
    if let Some(d) = d
        && d != DECISION_REFUSE
        && d != DECISION_ASK_OFFICE
    {
        v.add("watchlist_decision", "invalid", "须为 refuse 或 ask_office");
    }
}

#[allow(clippy::too_many_arguments)]
pub fn validate_person(
    v: &mut Validator,
    name: &str,
    phone: Option<&str>,
    id_number: Option<&str>,
    organisation: Option<&str>,
    reason: &str,
    host: Option<&str>,
    plate: Option<&str>,
) {
    v.text("name", name, 1, 100);
    v.phone("phone", phone.filter(|p| !p.trim().is_empty()));
    check_id(v, "id_number", id_number);
    v.opt_text("organisation", organisation, 200);
    v.text("reason", reason, 1, 500);
    v.opt_text("host", host, 100);
    v.opt_text("vehicle_plate", plate, 20);
}

pub fn check_category(v: &mut Validator, c: &str) {
    if WatchCategory::parse(c).is_none() {
        v.add("category", "invalid", "须为 suspicious 或 banned");
    }
}

/// Who is let in: nobody on the watchlist; a banned person is refused, a suspicious one as the
/// guard decided (refuse, or `pending` for the security office), and needs that decision.
pub fn admission(matched: Option<WatchCategory>, decision: Option<&str>) -> AppResult<VisitStatus> {
    Ok(match matched {
        None => VisitStatus::Admitted,
        Some(WatchCategory::Banned) => VisitStatus::Refused,
        Some(WatchCategory::Suspicious) => match decision {
            Some(DECISION_REFUSE) => VisitStatus::Refused,
            Some(DECISION_ASK_OFFICE) => VisitStatus::Pending,
            _ => {
                return Err(ApiError::conflict(
                    ErrorCode::VisitorSuspicious,
                    "此人在重点关注名单上(形迹可疑):请选择拒绝入校或请示保卫处",
                ));
            }
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn id_numbers_are_normalised_and_masked() {
        assert_eq!(normalise_id(" 320501 19800101 123x "), "32050119800101123X");
        assert!(valid_id("32050119800101123X"));
        assert!(!valid_id("3205-0119"));
        assert_eq!(mask(Some("123X")).as_deref(), Some("**************123X"));
    }
}
