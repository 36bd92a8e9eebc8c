//! `Content-Disposition` for every download: RFC 6266 with the UTF-8 name in `filename*`
//! (RFC 8187) and a plain ASCII `filename` for old clients, so that names taken from data
//! (a semester's name) never break the header, add parameters or arrive garbled.

use actix_web::http::header::{CONTENT_DISPOSITION, HeaderName, HeaderValue};

/// Characters RFC 8187 lets through unencoded (`attr-char`).
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

/// The file name without control characters, path separators or quotes: they have no place
/// in a saved file's name, whatever the semester was called.
fn clean(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    if trimmed.is_empty() {
        "download".into()
    } else {
        trimmed.into()
    }
}

/// An ASCII stand-in: each run of other characters becomes one `_`.
fn ascii_fallback(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// The header value for downloading `file_name` (e.g. `assessment-2026春季学期.xlsx`).
pub fn attachment_value(file_name: &str) -> HeaderValue {
    let name = clean(file_name);
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if is_attr_char(b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let value = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{encoded}",
        ascii_fallback(&name)
    );
    // Only visible ASCII is left, so this cannot fail; the fallback keeps it total anyway.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"))
}

/// `(Content-Disposition, value)` for `insert_header`.
pub fn attachment(file_name: &str) -> (HeaderName, HeaderValue) {
    (CONTENT_DISPOSITION, attachment_value(file_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_are_utf8_encoded_with_an_ascii_fallback() {
        let v = attachment_value("assessment-2026春.xlsx");
        assert_eq!(
            v.to_str().unwrap(),
            "attachment; filename=\"assessment-2026_.xlsx\"; filename*=UTF-8''assessment-2026%E6%98%A5.xlsx"
        );
    }

    #[test]
    fn quotes_and_control_characters_cannot_add_parameters() {
        let v = attachment_value("a\"; filename=evil.exe\r\n\u{1}b.xlsx");
        let s = v.to_str().unwrap();
        assert_eq!(s.matches("filename=").count(), 1, "{s}");
        assert_eq!(s.matches(';').count(), 2, "{s}");
        assert!(!s.bytes().any(|b| b.is_ascii_control()));
        assert!(
            attachment_value("\u{7}")
                .to_str()
                .unwrap()
                .contains("filename=\"download\"")
        );
    }
}
