//! Who gets which event as a notification, and what it says: the one table of rules, pure
//! (no queries, no clock). The worker resolves each [`Target`] to accounts — a class teacher
//! target to the teacher of that class only, which is how ownership holds — and keeps the
//! first notice per recipient and event. Titles and bodies are Chinese and name no one beyond
//! what the recipient may see on the record itself (a student by name only to the own class's
//! teacher and to those an escalation is for, never a guardian, a pass's reason or a health
//! detail).
//!
//! | event | who | rule |
//! |---|---|---|
//! | `visitor.flagged` | 保卫处 (at once, if on) | `visitor_flagged_office` |
//! | `hazard.reported` | 保卫处; the class teacher of its class | `hazard_reported_office`, `hazard_reported_class` |
//! | `hazard.assigned` | the owner | `hazard_assigned_owner` |
//! | `incident.reported` | 保卫处, 校长室; the class teacher of its class | `incident_office`, `incident_principal`, `incident_class` |
//! | `health.abnormal` | 保卫处 and 校医 (if on) | `health_abnormal_office`, `health_abnormal_clinic` |
//! | `roster.published` | all staff | `roster_published` |
//! | `announcement.published` | its roles (all when none) | `announcement` |
//! | `traffic_check.missing` | the class teacher of the class (if on) | `traffic_missing_class` |
//! | `fire.check_failed` | 保卫处 | `fire_failed_office` |
//! | `patrol.missed` | 保卫处 | `patrol_missed_office` |
//! | `plan.submitted` | 校长室 | `plan_submitted_principal` |
//! | `plan.approved` | 保卫处 | `plan_approved_office` |
//! | `escalation.raised` (overdue student) | step 1: the class teacher; step 2: 保卫处 and the leader on call | `escalation_class_teacher`, `escalation_office`, `escalation_leader` |
//! | `escalation.raised` (hazard digest) | 保卫处; each owner, own hazards | `hazard_digest_office`, `hazard_digest_owner` |
//!
//! Not notified: `pass.issued`, `pass.revoked`, `gate.*`, `visitor.checked_in` (routine, the
//! lists show them), `pass.overdue` and `hazard.overdue` (their escalations above tell people
//! on the office's clock instead), `hazard.verified`.

use super::policy::EscalationSettings;
use crate::auth::roles::Role;
use crate::features::events::{self, EscalationRule, EscalationTarget, EventKind, StoredEvent};
use crate::schema::hazards::HazardCategory;
use crate::schema::records::{IncidentKind, Severity};
use crate::schema::visitors::{VisitStatus, WatchCategory};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Who a notice is for, before it is resolved to accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every active account of the role.
    Everyone(Role),
    /// The class teacher of this class (nobody when it has none).
    ClassTeacherOf(Uuid),
    /// One account (if active).
    User(Uuid),
}

/// The record a notice opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    Hazard(Uuid),
    Pass(Uuid),
    Visitors,
    Incidents,
    HealthReports,
    Shifts,
    Announcement(Uuid),
    TrafficCheck,
    Fire,
    Patrol,
    Plan(Uuid),
    MyHazards,
    Hazards,
}

/// One notice: for whom, by which rule, what it says and what it opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub rule: &'static str,
    pub target: Target,
    pub title: String,
    pub body: String,
    pub link: Link,
}

fn area(role: Role) -> &'static str {
    match role {
        Role::Principal => "principal",
        Role::SecurityOffice => "office",
        Role::ClassTeacher => "teacher",
        Role::Guard => "guard",
        Role::SafetyOfficer => "officer",
    }
}

/// The SPA route that opens `link` for a person of `role`; `None` where that role has no page
/// for it (the notice then opens nothing rather than a page that answers 403).
pub fn route(link: &Link, role: Role) -> Option<String> {
    use Role::*;
    let a = area(role);
    let staff = role != SafetyOfficer;
    let desk = matches!(role, SecurityOffice | Principal);
    match link {
        Link::Hazard(id) => Some(format!("/{a}/hazards/{id}")),
        Link::MyHazards => staff.then(|| format!("/{a}/tasks")),
        Link::Hazards => desk.then(|| format!("/{a}/hazards")),
        Link::Pass(id) => match role {
            ClassTeacher => Some(format!("/teacher/passes/{id}")),
            SecurityOffice | Principal => Some(format!("/{a}/passes")),
            _ => None,
        },
        Link::Visitors => (role == SecurityOffice).then(|| "/office/visitors".into()),
        Link::Incidents => desk.then(|| format!("/{a}/incidents")),
        Link::HealthReports => (role == SecurityOffice).then(|| "/office/health-reports".into()),
        Link::Shifts => staff.then(|| format!("/{a}/shifts")),
        Link::Announcement(id) => Some(format!("/{a}/announcements/{id}")),
        Link::TrafficCheck => (role == ClassTeacher).then(|| "/teacher/check".into()),
        Link::Fire => desk.then(|| format!("/{a}/fire")),
        Link::Patrol => desk.then(|| format!("/{a}/patrol")),
        Link::Plan(id) => desk.then(|| format!("/{a}/plans/{id}")),
    }
}

fn hazard_category_zh(c: HazardCategory) -> &'static str {
    match c {
        HazardCategory::Traffic => "交通",
        HazardCategory::Fire => "消防",
        HazardCategory::Security => "治安",
        HazardCategory::Facility => "设施",
        HazardCategory::Electrical => "用电",
        HazardCategory::Food => "食品",
        HazardCategory::Other => "其他",
    }
}

fn incident_kind_zh(k: IncidentKind) -> &'static str {
    match k {
        IncidentKind::Theft => "盗窃",
        IncidentKind::Injury => "伤害",
        IncidentKind::Traffic => "交通",
        IncidentKind::Fire => "火情",
        IncidentKind::Intrusion => "闯入",
        IncidentKind::Other => "其他",
    }
}

fn severity_zh(s: Severity) -> &'static str {
    match s {
        Severity::Minor => "轻微",
        Severity::Moderate => "一般",
        Severity::Serious => "较重",
        Severity::Critical => "重大",
    }
}

fn when(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%-m月%-d日 %H:%M").to_string()
}

fn parse<P: DeserializeOwned>(ev: &StoredEvent) -> Option<P> {
    match serde_json::from_value(ev.data.clone()) {
        Ok(p) => Some(p),
        Err(e) => {
            // Logged by seq and kind only: the payload may name people.
            tracing::warn!(seq = ev.seq, kind = ?ev.kind, error = %e, "notifications: payload not readable");
            None
        }
    }
}

fn notice(rule: &'static str, target: Target, title: &str, body: String, link: Link) -> Notice {
    Notice {
        rule,
        target,
        title: title.to_owned(),
        body,
        link,
    }
}

/// The notices an event makes under the school's settings, most specific first (the worker
/// keeps the first per recipient).
pub fn notices(ev: &StoredEvent, s: &EscalationSettings, tz: Tz) -> Vec<Notice> {
    use Target::*;
    let office = || Everyone(Role::SecurityOffice);
    let principal = || Everyone(Role::Principal);
    match ev.kind {
        EventKind::VisitorFlagged if s.visitor_flagged.enabled => {
            let Some(p) = parse::<events::VisitorFlagged>(ev) else {
                return vec![];
            };
            let what = match p.category {
                WatchCategory::Banned => "禁止入校人员",
                WatchCategory::Suspicious => "可疑人员",
            };
            let status = match p.status {
                VisitStatus::Refused => "已拒绝入校",
                VisitStatus::Pending => "等待保卫处决定",
                VisitStatus::Admitted => "已准许入校",
            };
            let gate = p.gate.as_deref().unwrap_or("校门");
            vec![notice(
                "visitor_flagged_office",
                office(),
                "关注名单人员到访",
                format!(
                    "{what}{}在{gate}登记（{}），{status}。",
                    p.name,
                    when(p.at, tz)
                ),
                Link::Visitors,
            )]
        }
        EventKind::HazardReported => {
            let Some(p) = parse::<events::HazardReported>(ev) else {
                return vec![];
            };
            let body = format!("{}隐患：{}", hazard_category_zh(p.category), p.location);
            let mut out = vec![notice(
                "hazard_reported_office",
                office(),
                "新上报隐患",
                body.clone(),
                Link::Hazard(p.hazard_id),
            )];
            if let Some(c) = p.class_id {
                out.push(notice(
                    "hazard_reported_class",
                    ClassTeacherOf(c),
                    "本班有新上报隐患",
                    body,
                    Link::Hazard(p.hazard_id),
                ));
            }
            out
        }
        EventKind::HazardAssigned => {
            let Some(p) = parse::<events::HazardAssigned>(ev) else {
                return vec![];
            };
            let deadline = p
                .deadline
                .map(|d| format!("，整改期限 {d}"))
                .unwrap_or_default();
            vec![notice(
                "hazard_assigned_owner",
                User(p.owner_id),
                "隐患已分派给您整改",
                format!(
                    "{}隐患：{}{deadline}",
                    hazard_category_zh(p.category),
                    p.location
                ),
                Link::Hazard(p.hazard_id),
            )]
        }
        EventKind::IncidentReported => {
            let Some(p) = parse::<events::IncidentReported>(ev) else {
                return vec![];
            };
            let body = format!(
                "{}事件（{}）：{}，{}",
                incident_kind_zh(p.kind),
                severity_zh(p.severity),
                p.place,
                when(p.occurred_at, tz)
            );
            let mut out = vec![
                notice(
                    "incident_office",
                    office(),
                    "新登记安全事件",
                    body.clone(),
                    Link::Incidents,
                ),
                notice(
                    "incident_principal",
                    principal(),
                    "新登记安全事件",
                    body.clone(),
                    Link::Incidents,
                ),
            ];
            if let Some(c) = p.class_id {
                out.push(notice(
                    "incident_class",
                    ClassTeacherOf(c),
                    "本班学生涉及安全事件",
                    body,
                    Link::Incidents,
                ));
            }
            out
        }
        EventKind::HealthAbnormal if s.health_abnormal.enabled => {
            let Some(p) = parse::<events::HealthAbnormal>(ev) else {
                return vec![];
            };
            let fit = if p.fit_for_duty {
                ""
            } else {
                "，不宜上岗"
            };
            let body = format!("保安{} {} 的健康日报异常{fit}。", p.guard_name, p.date);
            let mut out = vec![notice(
                "health_abnormal_office",
                office(),
                "保安健康异常",
                body.clone(),
                Link::HealthReports,
            )];
            if let Some(doctor) = s.health_abnormal.clinic_user_id {
                out.push(notice(
                    "health_abnormal_clinic",
                    User(doctor),
                    "保安健康异常（请校医关注）",
                    body,
                    Link::HealthReports,
                ));
            }
            out
        }
        EventKind::RosterPublished => {
            let Some(p) = parse::<events::RosterPublished>(ev) else {
                return vec![];
            };
            let body = format!("{}（{} 至 {}）", p.title, p.start_date, p.end_date);
            [
                Role::SecurityOffice,
                Role::Principal,
                Role::ClassTeacher,
                Role::Guard,
            ]
            .into_iter()
            .map(|r| {
                notice(
                    "roster_published",
                    Everyone(r),
                    "值班安排已发布",
                    body.clone(),
                    Link::Shifts,
                )
            })
            .collect()
        }
        EventKind::AnnouncementPublished => {
            let Some(p) = parse::<events::AnnouncementPublished>(ev) else {
                return vec![];
            };
            let roles: Vec<crate::auth::roles::Role> = if p.target_roles.is_empty() {
                Role::ALL.to_vec()
            } else {
                p.target_roles
                    .iter()
                    .filter_map(|r| Role::parse(r))
                    .collect()
            };
            roles
                .into_iter()
                .map(|r| {
                    notice(
                        "announcement",
                        Everyone(r),
                        "新通知",
                        p.title.clone(),
                        Link::Announcement(p.announcement_id),
                    )
                })
                .collect()
        }
        EventKind::TrafficCheckMissing if s.traffic_missing.enabled => {
            let Some(p) = parse::<events::TrafficCheckMissing>(ev) else {
                return vec![];
            };
            vec![notice(
                "traffic_missing_class",
                ClassTeacherOf(p.class_id),
                "本周交通安全检查未提交",
                format!(
                    "{} 本周（{} 起）的交通安全检查还未提交，请尽快完成。",
                    p.class_name, p.week_start
                ),
                Link::TrafficCheck,
            )]
        }
        EventKind::FireCheckFailed => {
            let Some(p) = parse::<events::FireCheckFailed>(ev) else {
                return vec![];
            };
            vec![notice(
                "fire_failed_office",
                office(),
                "消防器材检查不合格",
                format!("{}（{}）", p.item_name, p.location),
                Link::Fire,
            )]
        }
        EventKind::PatrolMissed => {
            let Some(p) = parse::<events::PatrolMissed>(ev) else {
                return vec![];
            };
            vec![notice(
                "patrol_missed_office",
                office(),
                "巡逻漏检",
                format!(
                    "{} {} {} 的巡逻未按时完成",
                    p.route_name, p.date, p.start_time
                ),
                Link::Patrol,
            )]
        }
        EventKind::PlanSubmitted => {
            let Some(p) = parse::<events::PlanSubmitted>(ev) else {
                return vec![];
            };
            vec![notice(
                "plan_submitted_principal",
                principal(),
                "安全工作计划待审批",
                format!("{}（{}）", p.0.title, p.0.semester),
                Link::Plan(p.0.plan_id),
            )]
        }
        EventKind::PlanApproved => {
            let Some(p) = parse::<events::PlanApproved>(ev) else {
                return vec![];
            };
            vec![notice(
                "plan_approved_office",
                office(),
                "安全工作计划已批准",
                format!("{}（{}）", p.0.title, p.0.semester),
                Link::Plan(p.0.plan_id),
            )]
        }
        EventKind::EscalationRaised => match parse::<events::EscalationRaised>(ev) {
            Some(p) => escalation(&p, tz),
            None => vec![],
        },
        _ => vec![],
    }
}

fn escalation(p: &events::EscalationRaised, tz: Tz) -> Vec<Notice> {
    use Target::*;
    match p.rule {
        EscalationRule::PassOverdue => {
            let (Some(pass), Some(student), Some(back_by)) =
                (p.subject_id, &p.student, p.return_by)
            else {
                return vec![];
            };
            let late = p.minutes_late.unwrap_or(0);
            let title = format!("学生逾期 {late} 分钟未返校");
            let body = format!(
                "{} {} 应于 {} 返校，逾期 {late} 分钟仍未返校，请联系核实。",
                student.class_name,
                student.name,
                when(back_by, tz)
            );
            let mut out = Vec::new();
            for t in &p.targets {
                match t {
                    EscalationTarget::ClassTeacher => out.push(notice(
                        "escalation_class_teacher",
                        ClassTeacherOf(student.class_id),
                        &title,
                        body.clone(),
                        Link::Pass(pass),
                    )),
                    EscalationTarget::Office => out.push(notice(
                        "escalation_office",
                        Everyone(Role::SecurityOffice),
                        &title,
                        body.clone(),
                        Link::Pass(pass),
                    )),
                    EscalationTarget::LeaderOnCall => {
                        if let Some(leader) = p.leader_on_call_id {
                            out.push(notice(
                                "escalation_leader",
                                User(leader),
                                &format!("【值班领导】{title}"),
                                body.clone(),
                                Link::Pass(pass),
                            ));
                        }
                    }
                    EscalationTarget::HazardOwners => {}
                }
            }
            out
        }
        EscalationRule::HazardDigest => {
            let date = p.date.clone().unwrap_or_default();
            let total = p.hazards_total.unwrap_or(p.hazards.len() as i64);
            let mut out = Vec::new();
            let list = |items: &[&events::DigestHazard]| -> String {
                let mut lines: Vec<String> = items
                    .iter()
                    .take(5)
                    .map(|h| format!("{}（期限 {}）", h.location, h.deadline))
                    .collect();
                if items.len() > 5 {
                    lines.push(format!("等 {} 项", items.len()));
                }
                lines.join("；")
            };
            if p.targets.contains(&EscalationTarget::Office) {
                let all: Vec<&events::DigestHazard> = p.hazards.iter().collect();
                out.push(notice(
                    "hazard_digest_office",
                    Everyone(Role::SecurityOffice),
                    &format!("全校 {total} 项隐患逾期未整改"),
                    format!("{date} 汇总：{}", list(&all)),
                    Link::Hazards,
                ));
            }
            if p.targets.contains(&EscalationTarget::HazardOwners) {
                let mut owners: Vec<Uuid> = p.hazards.iter().filter_map(|h| h.owner_id).collect();
                owners.sort();
                owners.dedup();
                for owner in owners {
                    let mine: Vec<&events::DigestHazard> = p
                        .hazards
                        .iter()
                        .filter(|h| h.owner_id == Some(owner))
                        .collect();
                    out.push(notice(
                        "hazard_digest_owner",
                        User(owner),
                        &format!("您有 {} 项隐患逾期未整改", mine.len()),
                        format!("{date}：{}", list(&mine)),
                        Link::MyHazards,
                    ));
                }
            }
            out
        }
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
