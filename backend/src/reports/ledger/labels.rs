//! How the ledger says stored values in Chinese (roles, statuses, kinds). Pure.

pub fn role_zh(role: &str) -> &'static str {
    match role {
        "principal" => "校长室",
        "security_office" => "保卫处",
        "class_teacher" => "班主任",
        "guard" => "保安",
        "safety_officer" => "学生安全员",
        _ => "其他",
    }
}

pub fn yes(b: bool) -> String {
    if b { "是" } else { "否" }.to_owned()
}

pub fn local(ts: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    ts.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

pub fn category_zh(c: &str) -> &'static str {
    match c {
        "meeting" => "会议",
        "duty" => "值班",
        "education" => "教育",
        "inspection" => "检查",
        "report" => "报送",
        "drill" => "演练",
        "platform" => "平台",
        _ => "其他",
    }
}

pub fn status_zh(s: &str) -> &'static str {
    match s {
        "todo" => "未开始",
        "doing" => "进行中",
        "done" => "已完成",
        "draft" => "草稿",
        "submitted" => "待审批",
        "approved" => "已批准",
        "returned" => "已退回",
        "published" => "已发布",
        _ => "",
    }
}

pub fn post_zh(p: &str) -> &'static str {
    match p {
        "leader_on_call" => "值班领导",
        "duty_teacher" => "值班教师",
        _ => "保安",
    }
}

pub fn meeting_kind_zh(k: &str) -> &'static str {
    match k {
        "guard_meeting" => "保安例会",
        "safety_officer_meeting" => "学生安全员例会",
        "leadership_group" => "安全领导小组会议",
        _ => "其他会议",
    }
}

pub fn incident_kind_zh(k: &str) -> &'static str {
    match k {
        "theft" => "盗窃",
        "injury" => "伤害",
        "traffic" => "交通",
        "fire" => "火情",
        "intrusion" => "闯入",
        _ => "其他",
    }
}

pub fn severity_zh(s: &str) -> &'static str {
    match s {
        "minor" => "轻微",
        "moderate" => "一般",
        "serious" => "较重",
        _ => "重大",
    }
}

pub fn hazard_status_zh(s: &str) -> &'static str {
    match s {
        "reported" => "已上报",
        "assigned" => "整改中",
        "rectified" => "待验收",
        "closed" => "已销号",
        _ => "其他",
    }
}

pub fn visit_status_zh(s: crate::features::visitors::VisitStatus) -> &'static str {
    use crate::features::visitors::VisitStatus;
    match s {
        VisitStatus::Refused => "拒绝入校",
        VisitStatus::Pending => "待保卫处决定",
        VisitStatus::Admitted => "准许入校",
    }
}
