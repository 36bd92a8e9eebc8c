//! Reading a roster file: header names (Chinese or English), per-row checks, and every error
//! by line. Pure: the classes by name come in, rows or errors go out.

use crate::infra::error::{ApiError, ErrorCode, FieldError, Validator};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One parsed row of an import.
#[derive(Debug)]
pub struct ImportRow {
    pub student_no: String,
    pub name: String,
    pub class_id: Uuid,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
}

/// Column names accepted in the header row (Chinese, as exported by most school systems, or English).
const COLUMNS: &[(&str, &[&str])] = &[
    ("student_no", &["学号", "student_no"]),
    ("name", &["姓名", "name"]),
    ("class", &["班级", "class"]),
    (
        "guardian_name",
        &["监护人", "监护人姓名", "家长姓名", "guardian_name"],
    ),
    (
        "guardian_phone",
        &["监护人电话", "联系电话", "家长电话", "guardian_phone"],
    ),
];

pub fn row_error(line: u64, field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
        line: Some(line),
    }
}

pub fn csv_invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError {
        errors,
        ..ApiError::unprocessable(
            ErrorCode::CsvInvalid,
            "CSV 文件有错误,未导入任何记录;请按行号修改后重新导入",
        )
    }
}

/// Parses and checks the whole file; returns every error found, by line, or the rows.
/// Messages name lines and columns, never the values (they are personal data).
pub fn parse_csv(
    bytes: &[u8],
    classes_by_name: &HashMap<String, Uuid>,
) -> Result<Vec<ImportRow>, Vec<FieldError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(vec![row_error(
            1,
            "file",
            "not_utf8",
            "文件不是 UTF-8 编码,请在 Excel 中另存为“CSV UTF-8”后再导入",
        )]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![row_error(1, "file", "invalid", "无法读取表头")]),
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some((key, _)) = COLUMNS.iter().find(|(_, names)| names.contains(&h)) {
            index.insert(key, i);
        }
    }
    let mut errors = Vec::new();
    for required in ["student_no", "name", "class"] {
        if !index.contains_key(required) {
            errors.push(row_error(
                1,
                required,
                "missing_column",
                "缺少必需的列(学号、姓名、班级)",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(row_error(line, "row", "invalid", "无法解析此行"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |key: &str| {
            index
                .get(key)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .to_owned()
        };
        let (student_no, name, class_name) = (get("student_no"), get("name"), get("class"));
        let (guardian_name, guardian_phone) = (get("guardian_name"), get("guardian_phone"));
        let before = errors.len();
        // The same text hygiene as JSON bodies: a NUL must not reach PostgreSQL, an ESC or a
        // bidi override must not reach the ledger.
        for (field, value) in [
            ("student_no", &student_no),
            ("name", &name),
            ("class", &class_name),
            ("guardian_name", &guardian_name),
            ("guardian_phone", &guardian_phone),
        ] {
            if let Some(code) = crate::infra::hygiene::refused_in(value) {
                errors.push(row_error(
                    line,
                    field,
                    code,
                    crate::infra::hygiene::message(code),
                ));
            }
        }
        if student_no.is_empty() || student_no.chars().count() > 32 {
            errors.push(row_error(
                line,
                "student_no",
                "invalid",
                "学号为空或超过 32 个字符",
            ));
        } else if !seen.insert(student_no.clone()) {
            errors.push(row_error(
                line,
                "student_no",
                "duplicate",
                "学号在文件中重复",
            ));
        }
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(row_error(
                line,
                "name",
                "invalid",
                "姓名为空或超过 100 个字符",
            ));
        }
        let class_id = classes_by_name.get(&class_name).copied();
        if class_id.is_none() {
            errors.push(row_error(
                line,
                "class",
                "not_found",
                "班级不存在(须与系统中的班级名称一致)",
            ));
        }
        if guardian_name.chars().count() > 100 {
            errors.push(row_error(
                line,
                "guardian_name",
                "too_long",
                "监护人姓名过长",
            ));
        }
        let mut pv = Validator::new();
        pv.phone(
            "guardian_phone",
            Some(&guardian_phone)
                .filter(|p| !p.is_empty())
                .map(|s| s.as_str()),
        );
        if !pv.is_empty() {
            errors.push(row_error(
                line,
                "guardian_phone",
                "invalid",
                "电话号码格式不正确",
            ));
        }
        if errors.len() == before
            && let Some(class_id) = class_id
        {
            rows.push(ImportRow {
                student_no,
                name,
                class_id,
                guardian_name: Some(guardian_name).filter(|s| !s.is_empty()),
                guardian_phone: Some(guardian_phone).filter(|s| !s.is_empty()),
            });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> HashMap<String, Uuid> {
        HashMap::from([("一班".to_string(), Uuid::nil())])
    }

    #[test]
    fn parses_chinese_headers_with_bom() {
        let csv = "\u{feff}学号,姓名,班级,监护人电话\n001,张三,一班,13900000000\n002,李四,一班,\n";
        let rows = parse_csv(csv.as_bytes(), &classes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].name, "张三");
        assert_eq!(rows[1].guardian_phone, None);
    }

    #[test]
    fn reports_every_bad_row_by_line_without_values() {
        let csv = "学号,姓名,班级\n001,张三,一班\n001,李四,二班\n,王五,一班\n";
        let errs = parse_csv(csv.as_bytes(), &classes()).unwrap_err();
        let lines: Vec<_> = errs.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (Some(3), "student_no"),
                (Some(3), "class"),
                (Some(4), "student_no")
            ]
        );
        assert!(
            errs.iter()
                .all(|e| !e.message.contains("李四") && !e.message.contains("二班"))
        );
    }

    #[test]
    fn missing_required_column_is_reported() {
        let errs = parse_csv("学号,姓名\n001,张三\n".as_bytes(), &classes()).unwrap_err();
        assert_eq!(errs[0].field, "class");
    }
}
