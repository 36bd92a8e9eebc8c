//! The vehicle rules: a plate as typed becomes one canonical text (or a clear refusal), and an
//! entry's local time falls in a student rush window or not. Pure: no queries, no clock.

use crate::schema::vehicles::{RushWindow, VehicleDirection};
use chrono::NaiveTime;

/// The provinces' one-character abbreviations that begin a motor-vehicle plate (and 使/领).
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领";
/// Characters that may end a special motor-vehicle plate (trailer, driving school, police …).
const SUFFIXES: &str = "挂学警港澳领使试超";

/// Why a plate was refused (each a clear message for the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateError {
    Empty,
    BadCharacter,
    BadFormat,
}

impl PlateError {
    pub fn message(self) -> &'static str {
        match self {
            PlateError::Empty => "请输入车牌号",
            PlateError::BadCharacter => "车牌号只能包含汉字、字母和数字",
            PlateError::BadFormat => {
                "车牌号格式不正确:汽车如 浙A12345(新能源 浙AD12345),电动车如 苏州A12345"
            }
        }
    }
}

/// One canonical text per plate: separators (space, `·`, `-`, `.`) dropped, full-width letters
/// and digits made ASCII, letters upper-case. `浙A·12345`, `浙a 12345` and `浙Ａ１２３４５` are all
/// `浙A12345`. A motor-vehicle plate is a province, a letter and 5 (6 for new energy) letters or
/// digits, or 4 and a special suffix (`挂`, `学` …); an e-bike's local plate is 2–3 Chinese
/// characters of the place and 4–8 letters or digits.
pub fn normalise_plate(input: &str) -> Result<String, PlateError> {
    let mut out = String::new();
    for c in input.chars() {
        if c.is_whitespace() || "·•・.。-_—‧".contains(c) {
            continue;
        }
        let c = match c {
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if is_cjk(c) {
            out.push(c);
        } else {
            return Err(PlateError::BadCharacter);
        }
    }
    if out.is_empty() {
        return Err(PlateError::Empty);
    }
    if is_motor_plate(&out) || is_e_bike_plate(&out) {
        Ok(out)
    } else {
        Err(PlateError::BadFormat)
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

fn is_motor_plate(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 7 || chars.len() > 8 {
        return false;
    }
    if !PROVINCES.contains(chars[0]) || !chars[1].is_ascii_uppercase() {
        return false;
    }
    let rest = &chars[2..];
    let alnum = |c: &char| c.is_ascii_uppercase() || c.is_ascii_digit();
    match rest.len() {
        // 浙A12345, or 浙A1234挂.
        5 => rest.iter().all(alnum) || (rest[..4].iter().all(alnum) && SUFFIXES.contains(rest[4])),
        // New energy: 浙AD12345.
        6 => rest.iter().all(alnum),
        _ => false,
    }
}

fn is_e_bike_plate(p: &str) -> bool {
    let place = p.chars().take_while(|c| is_cjk(*c)).count();
    let rest: Vec<char> = p.chars().skip(place).collect();
    (2..=3).contains(&place)
        && (4..=8).contains(&rest.len())
        && rest
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && rest.iter().any(|c| c.is_ascii_digit())
}

/// The school's rush windows (local times; each start before its end, within one day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RushWindows {
    pub morning: (NaiveTime, NaiveTime),
    pub afternoon: (NaiveTime, NaiveTime),
}

impl Default for RushWindows {
    /// 上学 07:00–08:00, 放学 16:30–17:30 until the school sets its own.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        RushWindows {
            morning: (t(7, 0), t(8, 0)),
            afternoon: (t(16, 30), t(17, 30)),
        }
    }
}

/// The rush window an entry at local time `at` falls in: only entries are flagged (a vehicle
/// leaving does not drive into the crowd at the gate), start included, end excluded.
pub fn rush_window(
    direction: VehicleDirection,
    at: NaiveTime,
    w: &RushWindows,
) -> Option<RushWindow> {
    if direction != VehicleDirection::In {
        return None;
    }
    let inside = |(s, e): (NaiveTime, NaiveTime)| s <= at && at < e;
    if inside(w.morning) {
        Some(RushWindow::Morning)
    } else if inside(w.afternoon) {
        Some(RushWindow::Afternoon)
    } else {
        None
    }
}

/// `HH:MM` (24 h) as a time.
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    if s.len() != 5 {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn plates_are_normalised() {
        for typed in [
            "浙A·12345",
            "浙a12345",
            " 浙A 12345 ",
            "浙Ａ１２３４５",
            "浙A-12345",
        ] {
            assert_eq!(normalise_plate(typed), Ok("浙A12345".into()), "{typed}");
        }
        assert_eq!(normalise_plate("苏ed12345"), Ok("苏ED12345".into()));
        assert_eq!(normalise_plate("苏E1234学"), Ok("苏E1234学".into()));
        assert_eq!(normalise_plate("苏州a12345"), Ok("苏州A12345".into()));
    }

    #[test]
    fn bad_plates_are_refused_with_a_reason() {
        assert_eq!(normalise_plate("  "), Err(PlateError::Empty));
        assert_eq!(normalise_plate("浙A12<45"), Err(PlateError::BadCharacter));
        assert_eq!(normalise_plate("A12345"), Err(PlateError::BadFormat));
        assert_eq!(normalise_plate("浙A123"), Err(PlateError::BadFormat));
        assert_eq!(normalise_plate("浙A1234567"), Err(PlateError::BadFormat));
        assert_eq!(normalise_plate("浙ABCDE"), Err(PlateError::BadFormat));
        assert_eq!(normalise_plate("苏州ABCDEF"), Err(PlateError::BadFormat));
    }

    #[test]
    fn entries_in_the_rush_windows_are_flagged() {
        let w = RushWindows::default();
        let i = VehicleDirection::In;
        assert_eq!(rush_window(i, t(6, 59), &w), None);
        assert_eq!(rush_window(i, t(7, 0), &w), Some(RushWindow::Morning));
        assert_eq!(rush_window(i, t(7, 59), &w), Some(RushWindow::Morning));
        assert_eq!(rush_window(i, t(8, 0), &w), None);
        assert_eq!(rush_window(i, t(12, 0), &w), None);
        assert_eq!(rush_window(i, t(16, 30), &w), Some(RushWindow::Afternoon));
        assert_eq!(rush_window(i, t(17, 30), &w), None);
        // Leaving is never flagged.
        assert_eq!(rush_window(VehicleDirection::Out, t(7, 30), &w), None);
    }

    #[test]
    fn times_are_hh_mm() {
        assert_eq!(parse_hhmm("07:05"), Some(t(7, 5)));
        assert_eq!(parse_hhmm("7:05"), None);
        assert_eq!(parse_hhmm("24:00"), None);
    }
}
