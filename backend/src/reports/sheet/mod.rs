//! What every report sheet shares: the date range a report covers (a semester, or `from`–`to`)
//! and the sheet itself, with its XLSX writer. The ledger, the platform figures and the
//! assessment all build sheets; this module depends on none of them.

use crate::infra::clock::{check_date, fmt_date, parse_date};
use crate::infra::error::{ApiError, AppResult, ErrorCode, Validator};
use crate::schema::plans::plan;
use chrono::{Datelike, NaiveDate, TimeZone};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::IntoParams;

/// The dates a report covers, in the school's time zone.
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub semester: Option<String>,
    /// The defined semester's name (e.g. `2026-2027学年第一学期`), when there is one.
    pub semester_name: Option<String>,
    pub tz: chrono_tz::Tz,
}

impl Range {
    pub fn start_s(&self) -> String {
        fmt_date(self.from)
    }
    pub fn end_s(&self) -> String {
        fmt_date(self.to)
    }
    pub fn bounds_utc(&self) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
        let start = self
            .tz
            .from_local_datetime(&self.from.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        let end_day = self.to.succ_opt().unwrap_or(self.to);
        let end = self
            .tz
            .from_local_datetime(&end_day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        (start, end)
    }
}

/// One category of the ledger.
pub struct Sheet {
    /// Stable key, e.g. `plan`.
    pub key: &'static str,
    /// Sheet name, e.g. `工作计划`.
    pub name: &'static str,
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

/// A cell that a spreadsheet would take for a formula (or DDE) is prefixed with `'`.
pub fn escape_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The assessment's counts and points are written as numbers, so that they sum in a
/// spreadsheet and negative points show as `-2`, not `'-2` (a number cannot be a formula).
/// Elsewhere digits stay text: a student number is an identifier, not a quantity.
fn has_numbers(s: &Sheet) -> bool {
    s.key.starts_with("assessment_")
}

pub fn to_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(s.name)?;
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
            ws.set_column_width(c as u16, 16)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let numbers = has_numbers(s);
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = ((r + 1) as u32, c as u16);
                match cell.parse::<i32>() {
                    Ok(n) if numbers && n.to_string() == *cell => {
                        ws.write_number(r, c, f64::from(n))?
                    }
                    _ => ws.write_string(r, c, escape_cell(cell))?,
                };
            }
        }
    }
    wb.save_to_buffer()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// A semester's code (e.g. `2019-2020-2`): the range is that semester's days (or, for a
    /// code no semester has, the dates of the plan written for it). With neither `semester`
    /// nor `from`/`to`: the current semester (`404 no_current_semester` when none).
    pub semester: Option<String>,
    /// With `to`, instead of `semester`: a date range.
    pub from: Option<String>,
    pub to: Option<String>,
}

fn semester_range(s: crate::features::semesters::Semester, tz: chrono_tz::Tz) -> AppResult<Range> {
    let (Some(from), Some(to)) = (parse_date(&s.starts_on), parse_date(&s.ends_on)) else {
        return Err(ApiError::internal());
    };
    Ok(Range {
        from,
        to,
        semester: Some(s.code),
        semester_name: Some(s.name),
        tz,
    })
}

/// The longest `from`–`to` range a report covers (two school years).
pub const MAX_RANGE_DAYS: i64 = 2 * 366;

pub async fn resolve_range(
    db: &impl ConnectionTrait,
    q: &LedgerQuery,
    tz: chrono_tz::Tz,
) -> AppResult<Range> {
    let mut v = Validator::new();
    if let Some(sem) = q
        .semester
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if let Some(s) = crate::features::semesters::by_code(db, sem).await? {
            return semester_range(s, tz);
        }
        let plans = plan::Entity::find()
            .filter(plan::Column::Semester.eq(sem))
            .order_by_asc(plan::Column::Id)
            .all(db)
            .await?;
        // Prefer the approved plan's dates.
        let p = plans
            .iter()
            .find(|p| p.status == crate::schema::plans::PlanStatus::Approved)
            .or(plans.first())
            .ok_or_else(|| {
                ApiError::not_found(ErrorCode::SemesterNotFound, "该学期没有工作计划")
            })?;
        let (Some(from), Some(to)) = (parse_date(&p.starts_on), parse_date(&p.ends_on)) else {
            return Err(ApiError::internal());
        };
        return Ok(Range {
            from,
            to,
            semester: Some(sem.to_owned()),
            semester_name: None,
            tz,
        });
    }
    if q.from.is_none() && q.to.is_none() {
        return semester_range(crate::features::semesters::current(db, tz).await?, tz);
    }
    let from = match &q.from {
        Some(f) => check_date(&mut v, "from", f),
        None => {
            v.add("from", "required", "必填");
            None
        }
    };
    let to = match &q.to {
        Some(t) => check_date(&mut v, "to", t),
        None => {
            v.add("to", "required", "必填");
            None
        }
    };
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        v.add("to", "invalid", "结束日期不能早于开始日期");
    }
    // Reports cover a semester or a school year; centuries of months would only make lists
    // of months and ids larger than a database accepts in one query.
    if let (Some(f), Some(t)) = (from, to)
        && (t - f).num_days() > MAX_RANGE_DAYS
    {
        v.add("to", "range_too_long", "时间范围不能超过两年");
    }
    v.finish()?;
    match (from, to) {
        (Some(from), Some(to)) => Ok(Range {
            from,
            to,
            semester: None,
            semester_name: None,
            tz,
        }),
        _ => Err(ApiError::internal()),
    }
}

/// The months (`YYYY-MM`) a date range touches.
pub fn months_of(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_escaped() {
        for s in ["=1+1", "+86 139", "-2", "@SUM(A1)", "\t=x"] {
            assert!(escape_cell(s).starts_with('\''), "{s}");
        }
        assert_eq!(escape_cell("清明节值班表"), "清明节值班表");
    }

    #[test]
    fn months_of_a_range() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!(
            months_of(d("2025-11-15"), d("2026-02-01")),
            vec!["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }
}
