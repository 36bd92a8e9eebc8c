//! What a report (报送) says, pure: the Chinese markdown a group reads for a roster or a plan
//! item, and the XLSX / ICS its link downloads. No queries, no clock.

use crate::features::channels::{ROBOT_MAX_BYTES, fit_robot_markdown as fit, plain_text as plain};
use crate::schema::plans::{EvidenceType, ItemCategory, ItemStatus};
use chrono::{DateTime, NaiveDate, Utc};

/// Lines of leaders on call listed in the message; the rest are in the XLSX.
const MAX_LEADER_LINES: usize = 31;
/// Evidence lines listed in the message; the rest are in the XLSX.
const MAX_EVIDENCE_LINES: usize = 20;

/// One shift as a report shows it.
#[derive(Debug, Clone)]
pub struct ShiftLine {
    /// `YYYY-MM-DD`, local.
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    /// 值班领导, 值班教师, 保安.
    pub post: &'static str,
    pub leader: bool,
    pub name: String,
    pub phone: Option<String>,
    pub note: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub id: uuid::Uuid,
}

pub struct RosterReport<'a> {
    pub title: &'a str,
    pub start_date: &'a str,
    pub end_date: &'a str,
    pub shifts: &'a [ShiftLine],
    pub channel_name: &'a str,
    pub sent_by: &'a str,
}

/// The links a message gives: a download (XLSX) and, for a roster, a calendar (ICS).
pub struct Links {
    pub xlsx: String,
    pub ics: Option<String>,
}

pub struct EvidenceLine {
    pub kind: EvidenceType,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct ItemReport<'a> {
    pub plan_title: &'a str,
    pub semester: &'a str,
    pub month: &'a str,
    pub title: &'a str,
    pub category: ItemCategory,
    pub owner: Option<&'a str>,
    pub due_date: Option<&'a str>,
    pub status: ItemStatus,
    pub evidence: &'a [EvidenceLine],
    pub channel_name: &'a str,
    pub sent_by: &'a str,
}

/// `2026-04-04` → `4月4日` (as written when it is not a date).
pub fn day(date: &str) -> String {
    match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(d) => d.format("%-m月%-d日").to_string(),
        Err(_) => plain(date, 20),
    }
}

fn month(m: &str) -> String {
    match NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d") {
        Ok(d) => d.format("%Y年%-m月").to_string(),
        Err(_) => plain(m, 20),
    }
}

pub fn category_label(c: ItemCategory) -> &'static str {
    match c {
        ItemCategory::Meeting => "会议",
        ItemCategory::Duty => "值班",
        ItemCategory::Education => "安全教育",
        ItemCategory::Inspection => "检查",
        ItemCategory::Report => "报送",
        ItemCategory::Drill => "演练",
        ItemCategory::Platform => "安全平台",
        ItemCategory::Other => "其他",
    }
}

pub fn status_label(s: ItemStatus) -> &'static str {
    match s {
        ItemStatus::Todo => "未开始",
        ItemStatus::Doing => "进行中",
        ItemStatus::Done => "已完成",
    }
}

pub fn evidence_label(e: EvidenceType) -> &'static str {
    match e {
        EvidenceType::DutyRoster => "值班表",
        EvidenceType::Activity => "教育活动",
        EvidenceType::Meeting => "会议记录",
        EvidenceType::Incident => "安全事件",
        EvidenceType::Announcement => "通报",
        EvidenceType::HealthReport => "健康报告",
        EvidenceType::Inspection => "检查记录",
        EvidenceType::Hazard => "隐患整改",
    }
}

fn links_text(links: Option<&Links>, xlsx_label: &str) -> String {
    match links {
        Some(l) => {
            let mut t = format!("\n[{xlsx_label}（XLSX）]({})\n", l.xlsx);
            if let Some(ics) = &l.ics {
                t.push_str(&format!("\n[订阅值班日历（ICS）]({ics})\n"));
            }
            t.push_str("\n链接 30 天内有效。\n");
            t
        }
        None => "\n（系统未配置公开地址，未附下载链接，请在校安中查看）\n".to_owned(),
    }
}

/// The message of a roster: its name and dates, the leaders on call (name and phone, as the
/// roster prints them), who sends it to whom, and the links.
pub fn roster_markdown(r: &RosterReport, links: Option<&Links>) -> String {
    let mut text = format!("### 报送：{}\n", plain(r.title, 60));
    text.push_str(&format!(
        "- 值班日期：{}—{}\n",
        day(r.start_date),
        day(r.end_date)
    ));
    let count = |post: &str| r.shifts.iter().filter(|s| s.post == post).count();
    text.push_str(&format!(
        "- 班次：{} 个（值班领导 {}、值班教师 {}、保安 {}）\n",
        r.shifts.len(),
        count("值班领导"),
        count("值班教师"),
        count("保安")
    ));
    text.push_str(&format!("- 报送对象：{}\n", plain(r.channel_name, 40)));
    text.push_str(&format!("- 报送人：{}\n", plain(r.sent_by, 40)));
    let leaders: Vec<&ShiftLine> = r.shifts.iter().filter(|s| s.leader).collect();
    text.push_str("\n**值班领导**\n\n");
    if leaders.is_empty() {
        text.push_str("- （未安排）\n");
    }
    let tail = links_text(links, "下载值班表");
    let end = "\n> 校安 · 保卫处";
    for (i, s) in leaders.iter().enumerate() {
        let phone = s
            .phone
            .as_deref()
            .map(|p| format!(" {}", plain(p, 20)))
            .unwrap_or_default();
        let line = format!(
            "- {} {}–{} {}{phone}\n",
            day(&s.date),
            plain(&s.start_time, 5),
            plain(&s.end_time, 5),
            plain(&s.name, 20)
        );
        let more = format!("- ……另有 {} 个，见值班表\n", leaders.len() - i);
        if i >= MAX_LEADER_LINES
            || text.len() + line.len() + more.len() + tail.len() + end.len() > ROBOT_MAX_BYTES
        {
            text.push_str(&more);
            break;
        }
        text.push_str(&line);
    }
    text.push_str(&tail);
    text.push_str(end);
    fit(text)
}

/// The message of a plan item: what, when, who, how far, and a summary of its evidence.
pub fn item_markdown(r: &ItemReport, links: Option<&Links>) -> String {
    let mut text = format!("### 报送：{}\n", plain(r.title, 80));
    text.push_str(&format!(
        "- 工作计划：{}（{}）\n",
        plain(r.plan_title, 60),
        plain(r.semester, 20)
    ));
    let due = r
        .due_date
        .map(|d| format!(" · 截止 {}", day(d)))
        .unwrap_or_default();
    text.push_str(&format!("- 月份：{}{due}\n", month(r.month)));
    text.push_str(&format!(
        "- 类别：{} · 负责人：{} · 进度：{}\n",
        category_label(r.category),
        r.owner
            .map(|o| plain(o, 20))
            .unwrap_or_else(|| "未指定".into()),
        status_label(r.status)
    ));
    text.push_str(&format!("- 报送对象：{}\n", plain(r.channel_name, 40)));
    text.push_str(&format!("- 报送人：{}\n", plain(r.sent_by, 40)));
    text.push_str(&format!("\n**佐证材料（{} 项）**\n\n", r.evidence.len()));
    if r.evidence.is_empty() {
        text.push_str("- （尚无佐证材料）\n");
    }
    let tail = links_text(links, "下载佐证汇总");
    let end = "\n> 校安 · 保卫处";
    for (i, e) in r.evidence.iter().enumerate() {
        let note = e
            .note
            .as_deref()
            .map(|n| format!("：{}", plain(n, 60)))
            .unwrap_or_default();
        let line = format!("- {}{note}\n", evidence_label(e.kind));
        let more = format!("- ……另有 {} 项，见汇总表\n", r.evidence.len() - i);
        if i >= MAX_EVIDENCE_LINES
            || text.len() + line.len() + more.len() + tail.len() + end.len() > ROBOT_MAX_BYTES
        {
            text.push_str(&more);
            break;
        }
        text.push_str(&line);
    }
    text.push_str(&tail);
    text.push_str(end);
    fit(text)
}

/// The roster as a workbook: one row per shift.
pub fn roster_xlsx(
    title: &str,
    shifts: &[ShiftLine],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("值班表")?;
    ws.write_string_with_format(0, 0, title, &bold)?;
    let head = ["日期", "开始", "结束", "岗位", "姓名", "电话", "备注"];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &bold)?;
    }
    for (i, s) in shifts.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string(r, 0, &s.date)?;
        ws.write_string(r, 1, &s.start_time)?;
        ws.write_string(r, 2, &s.end_time)?;
        ws.write_string(r, 3, s.post)?;
        ws.write_string(r, 4, &s.name)?;
        ws.write_string(r, 5, s.phone.as_deref().unwrap_or(""))?;
        ws.write_string(r, 6, s.note.as_deref().unwrap_or(""))?;
    }
    ws.set_column_width(0, 12)?;
    ws.set_column_width(4, 14)?;
    ws.set_column_width(5, 16)?;
    ws.set_column_width(6, 30)?;
    wb.save_to_buffer()
}

/// The plan item and its evidence as a workbook.
pub fn item_xlsx(r: &ItemReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("计划事项")?;
    let rows: [(&str, String); 8] = [
        ("工作计划", r.plan_title.to_owned()),
        ("学期", r.semester.to_owned()),
        ("月份", r.month.to_owned()),
        ("事项", r.title.to_owned()),
        ("类别", category_label(r.category).to_owned()),
        ("负责人", r.owner.unwrap_or("").to_owned()),
        ("截止日期", r.due_date.unwrap_or("").to_owned()),
        ("进度", status_label(r.status).to_owned()),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string_with_format(i as u32, 0, *k, &bold)?;
        ws.write_string(i as u32, 1, v)?;
    }
    ws.set_column_width(0, 12)?;
    ws.set_column_width(1, 50)?;
    let ev = wb.add_worksheet();
    ev.set_name("佐证材料")?;
    for (c, h) in ["类型", "说明", "登记时间"].iter().enumerate() {
        ev.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, e) in r.evidence.iter().enumerate() {
        let row = 1 + i as u32;
        ev.write_string(row, 0, evidence_label(e.kind))?;
        ev.write_string(row, 1, e.note.as_deref().unwrap_or(""))?;
        ev.write_string(row, 2, e.created_at.to_rfc3339())?;
    }
    ev.set_column_width(1, 50)?;
    ev.set_column_width(2, 28)?;
    wb.save_to_buffer()
}

/// The roster as a calendar (RFC 5545): every shift, with its post and person.
pub fn roster_ics(title: &str, shifts: &[ShiftLine]) -> String {
    use icalendar::{Calendar, Component, EventLike};
    let mut cal = Calendar::new();
    cal.name(&format!("校安 · {title}"));
    for s in shifts {
        let event = icalendar::Event::new()
            .uid(&format!("{}@xiaoan", s.id))
            .summary(&format!("{} · {} · {title}", s.post, s.name))
            .description(&format!("{} {}–{}", s.date, s.start_time, s.end_time))
            .starts(s.starts_at)
            .ends(s.ends_at)
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn shift(date: &str, post: &'static str, name: &str) -> ShiftLine {
        ShiftLine {
            date: date.into(),
            start_time: "08:00".into(),
            end_time: "08:00".into(),
            post,
            leader: post == "值班领导",
            name: name.into(),
            phone: Some("13800000001".into()),
            note: None,
            starts_at: Utc.with_ymd_and_hms(2026, 4, 4, 0, 0, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2026, 4, 5, 0, 0, 0).unwrap(),
            id: uuid::Uuid::nil(),
        }
    }

    #[test]
    fn a_roster_reads_well_with_its_leaders_and_links() {
        let shifts = vec![
            shift("2026-04-04", "值班领导", "王校长"),
            shift("2026-04-04", "值班教师", "李老师"),
            shift("2026-04-04", "保安", "赵师傅"),
        ];
        let r = RosterReport {
            title: "清明节值班表",
            start_date: "2026-04-04",
            end_date: "2026-04-06",
            shifts: &shifts,
            channel_name: "校办",
            sent_by: "保卫处",
        };
        let links = Links {
            xlsx: "https://x/api/v1/report-links/t/xlsx".into(),
            ics: Some("https://x/api/v1/report-links/t/ics".into()),
        };
        let text = roster_markdown(&r, Some(&links));
        assert!(text.starts_with("### 报送：清明节值班表\n- 值班日期：4月4日—4月6日\n"));
        assert!(text.contains("- 班次：3 个（值班领导 1、值班教师 1、保安 1）"));
        assert!(text.contains("- 4月4日 08:00–08:00 王校长 13800000001\n"));
        assert!(!text.contains("李老师"), "only leaders are listed");
        assert!(text.contains("[下载值班表（XLSX）](https://x/api/v1/report-links/t/xlsx)"));
        assert!(text.contains("[订阅值班日历（ICS）](https://x/api/v1/report-links/t/ics)"));
        let none = roster_markdown(&r, None);
        assert!(none.contains("未配置公开地址") && !none.contains("]("));
    }

    #[test]
    fn names_cannot_inject_markdown_and_long_rosters_fit() {
        let shifts: Vec<ShiftLine> = (0..400)
            .map(|i| shift("2026-07-01", "值班领导", &format!("[领导{i}](http://evil)")))
            .collect();
        let r = RosterReport {
            title: "暑假值班表\n### 伪造",
            start_date: "2026-07-01",
            end_date: "2026-08-31",
            shifts: &shifts,
            channel_name: "校办",
            sent_by: "保卫处",
        };
        let text = roster_markdown(&r, None);
        assert!(text.len() <= ROBOT_MAX_BYTES);
        assert_eq!(text.matches("###").count(), 1, "{text}");
        assert!(!text.contains("]("));
        assert!(text.contains("……另有"));
    }

    #[test]
    fn a_plan_item_summarises_its_evidence() {
        let at = Utc.with_ymd_and_hms(2026, 3, 20, 2, 0, 0).unwrap();
        let evidence = vec![
            EvidenceLine {
                kind: EvidenceType::Meeting,
                note: Some("3月保安例会".into()),
                created_at: at,
            },
            EvidenceLine {
                kind: EvidenceType::DutyRoster,
                note: None,
                created_at: at,
            },
        ];
        let r = ItemReport {
            plan_title: "2019-2020学年第二学期保卫处工作计划",
            semester: "2019-2020-2",
            month: "2020-03",
            title: "召开保安例会",
            category: ItemCategory::Meeting,
            owner: Some("张主任"),
            due_date: Some("2020-03-31"),
            status: ItemStatus::Done,
            evidence: &evidence,
            channel_name: "校办",
            sent_by: "保卫处",
        };
        let text = item_markdown(&r, None);
        assert!(text.starts_with("### 报送：召开保安例会\n"));
        assert!(text.contains("- 月份：2020年3月 · 截止 3月31日\n"));
        assert!(text.contains("- 类别：会议 · 负责人：张主任 · 进度：已完成\n"));
        assert!(text.contains("**佐证材料（2 项）**"));
        assert!(text.contains("- 会议记录：3月保安例会\n- 值班表\n"));
        assert!(!item_xlsx(&r).unwrap().is_empty());
    }
}
