//! Reading the platform's export (CSV or XLSX): the student-number and completion columns,
//! every bad row by line, never a value in a message. Pure.

use crate::infra::error::{ApiError, AppResult, ErrorCode, FieldError};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One checked row of an import.
#[derive(Debug, PartialEq, Clone, Copy)]
pub struct ImportRow {
    pub student_id: Uuid,
    pub class_id: Uuid,
    pub completed: bool,
}

const COL_NO: &[&str] = &["学号", "student_no"];
const COL_DONE: &[&str] = &["完成情况", "是否完成", "完成状态", "状态", "completed"];

fn row_error(line: u64, field: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        code: code.into(),
        message: message.into(),
        line: Some(line),
    }
}

pub fn import_invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError {
        errors,
        ..ApiError::unprocessable(
            ErrorCode::ImportInvalid,
            "文件有错误,未导入任何记录;请按行号修改后重新导入",
        )
    }
}

fn parse_done(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "是" | "已完成" | "完成" | "y" | "yes" | "1" | "true" | "√" | "✓" => Some(true),
        "否" | "未完成" | "n" | "no" | "0" | "false" | "×" | "✗" => Some(false),
        _ => None,
    }
}

/// The file as `(line, cells)` rows, the header first: an XLSX workbook's first sheet, or
/// UTF-8 CSV (with or without BOM). Bounded by `import_limits` before any table is built;
/// CPU- and memory-heavy, so callers run it off the async workers.
pub fn read_table(bytes: &[u8]) -> AppResult<Vec<(u64, Vec<String>)>> {
    read_table_rows(bytes).map_err(|e| e.unwrap_or_else(import_invalid))
}

/// `(line, cells)` rows of an imported file.
type Table = Vec<(u64, Vec<String>)>;
/// `Ok(problem)` for a bound exceeded, `Err(rows)` for bad rows.
type TableError = Result<ApiError, Vec<FieldError>>;

fn read_table_rows(bytes: &[u8]) -> Result<Table, TableError> {
    use crate::infra::import_limits::{XlsxCheck, check_csv_record, check_xlsx};
    if bytes.starts_with(b"PK\x03\x04") {
        use calamine::{Reader, Xlsx, open_workbook_from_rs};
        let bad = || Err(vec![row_error(1, "file", "invalid", "无法读取 XLSX 文件")]);
        match check_xlsx(bytes) {
            Ok(()) => {}
            Err(XlsxCheck::TooLarge) => return Err(Ok(crate::infra::import_limits::too_large())),
            Err(XlsxCheck::Invalid) => return Err(bad()),
        }
        let mut wb: Xlsx<_> =
            open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|_| bad())?;
        let range = wb
            .worksheet_range_at(0)
            .ok_or_else(bad)?
            .map_err(|_| bad())?;
        let first = range.start().map(|(r, _)| u64::from(r)).unwrap_or(0);
        return Ok(range
            .rows()
            .enumerate()
            .map(|(i, r)| {
                (
                    first + i as u64 + 1,
                    r.iter().map(|c| c.to_string().trim().to_owned()).collect(),
                )
            })
            .collect());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(Err(vec![row_error(
            1,
            "file",
            "not_utf8",
            "文件不是 UTF-8 编码,请在 Excel 中另存为“CSV UTF-8”或直接导入 XLSX",
        )]));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        match rec {
            Ok(r) => {
                check_csv_record(i as u64 + 1, r.len()).map_err(Ok)?;
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                out.push((line, r.iter().map(str::to_owned).collect()));
            }
            Err(e) => {
                check_csv_record(i as u64 + 1, 0).map_err(Ok)?;
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(row_error(line, "row", "invalid", "无法解析此行"));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Err(errors))
    }
}

/// Checks every row; returns every error by line (never quoting values: they are personal
/// data), or the rows. `students`: student number → (student id, class id).
pub fn parse_rows(
    table: Vec<(u64, Vec<String>)>,
    students: &HashMap<String, (Uuid, Uuid)>,
) -> Result<Vec<ImportRow>, Vec<FieldError>> {
    let mut it = table.into_iter();
    let Some((hline, header)) = it.next() else {
        return Err(vec![row_error(1, "file", "empty", "文件为空")]);
    };
    let find = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (no_col, done_col) = (find(COL_NO), find(COL_DONE));
    let mut errors = Vec::new();
    if no_col.is_none() {
        errors.push(row_error(
            hline,
            "student_no",
            "missing_column",
            "缺少“学号”列",
        ));
    }
    if done_col.is_none() {
        errors.push(row_error(
            hline,
            "completed",
            "missing_column",
            "缺少“完成情况”列",
        ));
    }
    let (Some(no_col), Some(done_col)) = (no_col, done_col) else {
        return Err(errors);
    };
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, cells) in it {
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let get = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
        let before = errors.len();
        let no = get(no_col);
        let student = if no.is_empty() {
            errors.push(row_error(line, "student_no", "required", "学号为空"));
            None
        } else if !seen.insert(no.to_owned()) {
            errors.push(row_error(
                line,
                "student_no",
                "duplicate",
                "学号在文件中重复",
            ));
            None
        } else {
            let s = students.get(no).copied();
            if s.is_none() {
                errors.push(row_error(
                    line,
                    "student_no",
                    "not_found",
                    "系统中没有这个学号的在校学生",
                ));
            }
            s
        };
        let done = parse_done(get(done_col));
        if done.is_none() {
            errors.push(row_error(
                line,
                "completed",
                "invalid",
                "完成情况应为“是”或“否”(或 已完成/未完成)",
            ));
        }
        if errors.len() == before
            && let (Some((student_id, class_id)), Some(completed)) = (student, done)
        {
            rows.push(ImportRow {
                student_id,
                class_id,
                completed,
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(vec![row_error(
            hline,
            "file",
            "empty",
            "文件中没有学生记录",
        )]);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(csv: &str) -> Vec<(u64, Vec<String>)> {
        read_table(csv.as_bytes()).unwrap()
    }

    #[test]
    fn every_bad_line_is_reported_without_values() {
        let a = Uuid::now_v7();
        let students = HashMap::from([
            ("001".to_string(), (a, Uuid::nil())),
            ("002".to_string(), (Uuid::now_v7(), Uuid::nil())),
        ]);
        let errs = parse_rows(
            table("学号,姓名,完成情况\n001,张三,是\n001,张三,否\n999,王五,是\n002,李四,也许\n"),
            &students,
        )
        .unwrap_err();
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.line, e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some(3), "student_no", "duplicate"),
                (Some(4), "student_no", "not_found"),
                (Some(5), "completed", "invalid")
            ]
        );
        assert!(
            errs.iter()
                .all(|e| !e.message.contains("999") && !e.message.contains("也许"))
        );
        let ok = parse_rows(table("\u{feff}学号,完成情况\n001,已完成\n"), &students).unwrap();
        assert_eq!(
            ok,
            vec![ImportRow {
                student_id: a,
                class_id: Uuid::nil(),
                completed: true
            }]
        );
    }

    #[test]
    fn missing_columns_are_reported_on_the_header_line() {
        let errs = parse_rows(table("姓名\n张三\n"), &HashMap::new()).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.line == Some(1)));
    }
}
