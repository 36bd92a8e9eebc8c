//! What a channel receives, pure: the Standard Webhooks body, and for the group robots a
//! Chinese markdown message per event (or one digest for a burst) within their size limits.

use crate::schema::channels::EventSeverity;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// WeCom: a markdown `content` of at most 4096 bytes (UTF-8). DingTalk documents no smaller
/// bound for markdown; the same limit keeps both readable on a phone.
pub const ROBOT_MAX_BYTES: usize = 4096;

/// The message sent by "发送测试消息".
pub const TEST_KIND: &str = "channel.test";
/// The office's notice that a channel failing for days was disabled.
pub const DISABLED_KIND: &str = "channel.disabled";
/// 报送: a roster or a plan item sent by the office; its data carries the message's own
/// `title` and `markdown` (see the `submissions` feature), which a robot sends as they are.
pub const REPORT_KIND: &str = "report.sent";

/// The event catalogue as channels know it: kind, the Chinese title a group reads, how
/// urgent it is, and the category a subscription may filter on.
pub const KINDS: &[(&str, &str, EventSeverity, &str)] = &[
    (
        "pass.issued",
        "离校凭证已签发",
        EventSeverity::Info,
        "passes",
    ),
    (
        "pass.revoked",
        "离校凭证已撤销",
        EventSeverity::Info,
        "passes",
    ),
    (
        "pass.overdue",
        "学生逾期未返校",
        EventSeverity::Critical,
        "passes",
    ),
    ("gate.exit", "学生已出校", EventSeverity::Info, "gate"),
    ("gate.return", "学生已返校", EventSeverity::Info, "gate"),
    (
        "gate.refused",
        "校门拒绝放行",
        EventSeverity::Warning,
        "gate",
    ),
    (
        "visitor.checked_in",
        "访客已登记入校",
        EventSeverity::Info,
        "visitors",
    ),
    (
        "visitor.flagged",
        "关注名单人员到访",
        EventSeverity::Critical,
        "visitors",
    ),
    (
        "hazard.reported",
        "新上报隐患",
        EventSeverity::Warning,
        "hazards",
    ),
    (
        "hazard.assigned",
        "隐患已分派整改",
        EventSeverity::Info,
        "hazards",
    ),
    (
        "hazard.overdue",
        "隐患逾期未整改",
        EventSeverity::Warning,
        "hazards",
    ),
    (
        "hazard.verified",
        "隐患整改已验收",
        EventSeverity::Info,
        "hazards",
    ),
    (
        "incident.reported",
        "新登记安全事件",
        EventSeverity::Critical,
        "incidents",
    ),
    (
        "health.abnormal",
        "保安健康异常",
        EventSeverity::Warning,
        "health",
    ),
    (
        "roster.published",
        "值班安排已发布",
        EventSeverity::Info,
        "duty",
    ),
    (
        "announcement.published",
        "新通知",
        EventSeverity::Info,
        "announcements",
    ),
    (
        "traffic_check.missing",
        "本周交通安全检查未提交",
        EventSeverity::Warning,
        "inspections",
    ),
    (
        "fire.check_failed",
        "消防器材检查不合格",
        EventSeverity::Warning,
        "fire",
    ),
    (
        "patrol.missed",
        "巡逻漏检",
        EventSeverity::Warning,
        "patrol",
    ),
    (
        "plan.submitted",
        "安全工作计划待审批",
        EventSeverity::Info,
        "plans",
    ),
    (
        "plan.approved",
        "安全工作计划已批准",
        EventSeverity::Info,
        "plans",
    ),
    (
        "escalation.raised",
        "升级提醒",
        EventSeverity::Critical,
        "escalations",
    ),
];

pub fn is_known_kind(kind: &str) -> bool {
    KINDS.iter().any(|(k, ..)| *k == kind)
}

pub fn title(kind: &str) -> &str {
    if kind == TEST_KIND {
        return "测试消息";
    }
    if kind == DISABLED_KIND {
        return "推送渠道已停用";
    }
    if kind == REPORT_KIND {
        return "报送";
    }
    KINDS
        .iter()
        .find(|(k, ..)| *k == kind)
        .map(|(_, t, ..)| *t)
        .unwrap_or("校安通知")
}

pub fn severity(kind: &str) -> EventSeverity {
    KINDS
        .iter()
        .find(|(k, ..)| *k == kind)
        .map(|(_, _, s, _)| *s)
        .unwrap_or(EventSeverity::Info)
}

pub fn category(kind: &str) -> &str {
    KINDS
        .iter()
        .find(|(k, ..)| *k == kind)
        .map(|(.., c)| *c)
        .unwrap_or("other")
}

/// The payload fields a group may read (dotted paths into the event's data), in order, with
/// their Chinese labels. Anything else in a payload (ids, versions) stays out of the chat.
const FIELDS: &[(&str, &str)] = &[
    ("summary", "说明"),
    ("student.name", "学生"),
    ("student.class_name", "班级"),
    ("class_name", "班级"),
    ("guard_name", "人员"),
    ("name", "姓名"),
    ("organisation", "单位"),
    ("title", "标题"),
    ("item_name", "器材"),
    ("route_name", "路线"),
    ("owner_name", "责任人"),
    ("severity", "等级"),
    ("location", "地点"),
    ("place", "地点"),
    ("gate", "校门"),
    ("return_by", "应返时间"),
    ("deadline", "整改期限"),
    ("week_start", "本周起"),
    ("date", "日期"),
    ("start_date", "开始"),
    ("end_date", "结束"),
    ("semester", "学期"),
];

fn lookup<'v>(payload: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(payload, |v, key| v.get(key))
}

/// One event as a message: what happened, when, the readable fields, and a link.
pub struct Message<'a> {
    pub kind: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub payload: &'a Value,
}

fn when(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%-m月%-d日 %H:%M").to_string()
}

fn field_text(value: &Value, tz: Tz) -> Option<String> {
    let text = match value {
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => when(t.with_timezone(&Utc), tz),
            Err(_) => s.clone(),
        },
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let clean = plain(&text, 80);
    (!clean.trim().is_empty()).then_some(clean)
}

/// A value as one line of plain text within `max` characters: it never breaks a list or adds
/// markdown (a heading, a link, emphasis) of its own.
pub fn plain(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '*' | '#' | '[' | ']' | '`' | '<' | '>'))
        .take(max)
        .collect()
}

fn lines(m: &Message, tz: Tz) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (key, label) in FIELDS {
        if seen.contains(label) {
            continue;
        }
        if let Some(text) = lookup(m.payload, key).and_then(|v| field_text(v, tz)) {
            out.push(format!("- {label}：{text}"));
            seen.push(*label);
        }
    }
    out.push(format!("- 时间：{}", when(m.occurred_at, tz)));
    out
}

/// The markdown of one event for a group robot, within [`ROBOT_MAX_BYTES`].
pub fn robot_markdown(m: &Message, tz: Tz, link: Option<&str>) -> String {
    let mark = match severity(m.kind) {
        EventSeverity::Critical => "【紧急】",
        EventSeverity::Warning => "【提醒】",
        EventSeverity::Info => "",
    };
    let mut text = format!("### {mark}{}\n", title(m.kind));
    for line in lines(m, tz) {
        text.push_str(&line);
        text.push('\n');
    }
    if let Some(link) = link {
        text.push_str(&format!("\n[在校安中查看]({link})\n"));
    }
    text.push_str("\n> 校安 · 保卫处");
    fit(text)
}

/// Many events in one message (a burst beyond the robot's 20 a minute): a line each, newest
/// last, and what did not fit counted, never dropped silently.
pub fn digest_markdown(items: &[Message], tz: Tz, link: Option<&str>) -> String {
    let head = format!("### 校安：{} 条消息汇总\n", items.len());
    let tail = match link {
        Some(link) => format!("\n[在校安中查看全部]({link})\n\n> 消息较多，已合并发送"),
        None => "\n> 消息较多，已合并发送".to_owned(),
    };
    let mut body = String::new();
    for (i, m) in items.iter().enumerate() {
        let who = FIELDS
            .iter()
            .filter_map(|(k, _)| lookup(m.payload, k).and_then(|v| field_text(v, tz)))
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let line = format!("- {} {}：{}\n", when(m.occurred_at, tz), title(m.kind), who);
        let rest = items.len() - i;
        let more = format!("- ……另有 {rest} 条\n");
        if head.len() + body.len() + line.len() + more.len() + tail.len() > ROBOT_MAX_BYTES {
            body.push_str(&more);
            break;
        }
        body.push_str(&line);
    }
    fit(format!("{head}{body}{tail}"))
}

/// Cuts `text` to [`ROBOT_MAX_BYTES`] on a character boundary.
pub fn fit(text: String) -> String {
    if text.len() <= ROBOT_MAX_BYTES {
        return text;
    }
    let mark = "\n……（内容过长已截断）";
    let mut end = ROBOT_MAX_BYTES - mark.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{mark}", &text[..end])
}

/// DingTalk custom robot: `msgtype` markdown with a `title` (the chat list's preview) and
/// `text`.
pub fn dingtalk_body(title: &str, markdown: &str) -> Value {
    json!({"msgtype": "markdown", "markdown": {"title": title, "text": markdown}})
}

/// WeCom group robot: `msgtype` markdown with `content`.
pub fn wecom_body(markdown: &str) -> Value {
    json!({"msgtype": "markdown", "markdown": {"content": markdown}})
}

/// A generic webhook's body (Standard Webhooks): `type`, `timestamp` (when it happened),
/// `data` (the event's payload, at `version`), and the event's stable `id` (also the
/// `webhook-id` header).
pub fn webhook_body(
    id: uuid::Uuid,
    kind: &str,
    version: i32,
    occurred_at: DateTime<Utc>,
    payload: &Value,
) -> Value {
    json!({
        "id": id,
        "type": kind,
        "version": version,
        "timestamp": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 45, 0).unwrap()
    }

    #[test]
    fn an_overdue_student_reads_well() {
        let payload = json!({
            "student": {"name": "张三", "class_name": "2019级旅游服务与管理1班", "id": "0193"},
            "return_by": "2026-12-01T09:30:00Z", "pass_id": "0193"
        });
        let m = Message {
            kind: "pass.overdue",
            occurred_at: at(),
            payload: &payload,
        };
        let text = robot_markdown(&m, chrono_tz::Asia::Shanghai, Some("https://x/passes"));
        assert_eq!(
            text,
            "### 【紧急】学生逾期未返校\n- 学生：张三\n- 班级：2019级旅游服务与管理1班\n\
             - 应返时间：12月1日 17:30\n- 时间：12月1日 17:45\n\n[在校安中查看](https://x/passes)\n\
             \n> 校安 · 保卫处"
        );
        assert!(!text.contains("0193"), "ids stay out of the chat");
    }

    #[test]
    fn values_cannot_inject_markdown_or_lines() {
        let payload = json!({"title": "消防栓\n### 伪造 [链接](http://evil)"});
        let m = Message {
            kind: "hazard.reported",
            occurred_at: at(),
            payload: &payload,
        };
        let text = robot_markdown(&m, chrono_tz::Asia::Shanghai, None);
        assert!(!text.contains("]("), "no link of its own: {text}");
        assert_eq!(text.matches("###").count(), 1);
    }

    #[test]
    fn every_message_fits_the_robot_limit() {
        let long = "很长的文字".repeat(2000);
        let payload = json!({"title": long, "location": long});
        let m = Message {
            kind: "hazard.reported",
            occurred_at: at(),
            payload: &payload,
        };
        assert!(robot_markdown(&m, chrono_tz::Asia::Shanghai, None).len() <= ROBOT_MAX_BYTES);
        let payloads: Vec<Value> = (0..500)
            .map(|i| json!({"student": {"name": format!("学生{i}"), "class_name": "2019级旅游服务与管理1班"}}))
            .collect();
        let items: Vec<Message> = payloads
            .iter()
            .map(|p| Message {
                kind: "gate.exit",
                occurred_at: at(),
                payload: p,
            })
            .collect();
        let digest = digest_markdown(&items, chrono_tz::Asia::Shanghai, Some("https://x"));
        assert!(digest.len() <= ROBOT_MAX_BYTES, "{}", digest.len());
        assert!(digest.starts_with("### 校安：500 条消息汇总"));
        assert!(digest.contains("……另有"));
        assert!(digest.contains("学生0"));
    }

    #[test]
    fn every_kind_has_a_chinese_title() {
        for (kind, title, ..) in KINDS {
            assert!(kind.contains('.'));
            assert!(!title.is_empty());
        }
        assert_eq!(severity("visitor.flagged"), EventSeverity::Critical);
        assert_eq!(category("hazard.overdue"), "hazards");
    }

    #[test]
    fn the_catalogue_is_the_event_store_s() {
        use sea_orm::Iterable;
        let ours: Vec<&str> = KINDS.iter().map(|(k, ..)| *k).collect();
        let theirs: Vec<String> = crate::features::events::EventKind::iter()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(ours.len(), theirs.len());
        for k in &theirs {
            assert!(ours.contains(&k.as_str()), "{k} has no title");
        }
    }

    #[test]
    fn robot_bodies_follow_the_documented_shape() {
        assert_eq!(
            dingtalk_body("t", "x"),
            json!({"msgtype": "markdown", "markdown": {"title": "t", "text": "x"}})
        );
        assert_eq!(
            wecom_body("x"),
            json!({"msgtype": "markdown", "markdown": {"content": "x"}})
        );
    }
}
