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

/// One roster row as sent (CSV cells, or the fields of `PUT /people`), before checking; an
/// absent optional field is empty.
pub struct RawRow<'a> {
    pub student_no: &'a str,
    pub name: &'a str,
    pub class: &'a str,
    pub guardian_name: &'a str,
    pub guardian_phone: &'a str,
}

/// A problem with one field of a row. The message never quotes the value (personal data).
#[derive(Debug)]
pub struct RowProblem {
    pub field: &'static str,
    pub code: &'static str,
    pub message: &'static str,
}

/// Checks one row, as every roster input does (the CSV import, `PUT /people`): text hygiene,
/// lengths, a 学号 not seen before in the same batch, a class that exists (by exact name), the
/// guardian's phone. Returns the row or every problem.
pub fn check_row(
    raw: &RawRow<'_>,
    classes_by_name: &HashMap<String, Uuid>,
    seen: &mut HashSet<String>,
) -> Result<ImportRow, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let mut add = |field, code, message| {
        problems.push(RowProblem {
            field,
            code,
            message,
        })
    };
    // The same text hygiene as JSON bodies: a NUL must not reach PostgreSQL, an ESC or a
    // bidi override must not reach the ledger.
    for (field, value) in [
        ("student_no", raw.student_no),
        ("name", raw.name),
        ("class", raw.class),
        ("guardian_name", raw.guardian_name),
        ("guardian_phone", raw.guardian_phone),
    ] {
        if let Some(code) = crate::infra::hygiene::refused_in(value) {
            add(field, code, crate::infra::hygiene::message(code));
        }
    }
    let student_no = raw.student_no.trim();
    if student_no.is_empty() || student_no.chars().count() > 32 {
        add("student_no", "invalid", "学号为空或超过 32 个字符");
    } else if !seen.insert(student_no.to_owned()) {
        add(
            "student_no",
            "duplicate",
            "学号重复(同一文件或同一批中出现两次)",
        );
    }
    let name = raw.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        add("name", "invalid", "姓名为空或超过 100 个字符");
    }
    let class_id = classes_by_name.get(raw.class.trim()).copied();
    if class_id.is_none() {
        add("class", "not_found", "班级不存在(须与系统中的班级名称一致)");
    }
    let guardian_name = raw.guardian_name.trim();
    if guardian_name.chars().count() > 100 {
        add("guardian_name", "too_long", "监护人姓名过长");
    }
    let guardian_phone = raw.guardian_phone.trim();
    let mut pv = Validator::new();
    pv.phone(
        "guardian_phone",
        Some(guardian_phone).filter(|p| !p.is_empty()),
    );
    if !pv.is_empty() {
        add("guardian_phone", "invalid", "电话号码格式不正确");
    }
    match class_id {
        Some(class_id) if problems.is_empty() => Ok(ImportRow {
            student_no: student_no.to_owned(),
            name: name.to_owned(),
            class_id,
            guardian_name: Some(guardian_name.to_owned()).filter(|s| !s.is_empty()),
            guardian_phone: Some(guardian_phone.to_owned()).filter(|s| !s.is_empty()),
        }),
        _ => Err(problems),
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
        let raw = RawRow {
            student_no: &get("student_no"),
            name: &get("name"),
            class: &get("class"),
            guardian_name: &get("guardian_name"),
            guardian_phone: &get("guardian_phone"),
        };
        match check_row(&raw, classes_by_name, &mut seen) {
            Ok(row) => rows.push(row),
            Err(problems) => errors.extend(
                problems
                    .into_iter()
                    .map(|p| row_error(line, p.field, p.code, p.message)),
            ),
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
