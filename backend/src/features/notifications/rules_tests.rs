//! Unit tests of the rules table (`rules.rs`): who gets which event, what it says, and the
//! routes per role.
use super::*;
use crate::features::events::{DigestHazard, EscalationRaised, EventStudent};
use chrono::TimeZone;
use serde_json::json;

const TZ: Tz = chrono_tz::Asia::Shanghai;

fn ev(kind: EventKind, data: serde_json::Value) -> StoredEvent {
    StoredEvent {
        seq: 1,
        id: Uuid::now_v7(),
        kind,
        version: 1,
        occurred_at: Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap(),
        class_id: None,
        subject_id: None,
        data,
    }
}

fn student(class_id: Uuid) -> EventStudent {
    EventStudent {
        id: Uuid::now_v7(),
        name: "张三".into(),
        student_no: "2019001".into(),
        class_id,
        class_name: "2019级旅游1班".into(),
    }
}

fn overdue_step(step: i32, targets: Vec<EscalationTarget>, class_id: Uuid) -> StoredEvent {
    let p = EscalationRaised {
        rule: EscalationRule::PassOverdue,
        step,
        targets,
        subject_id: Some(Uuid::now_v7()),
        class_id: Some(class_id),
        student: Some(student(class_id)),
        return_by: Some(Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap()),
        minutes_late: Some(if step == 1 { 15 } else { 60 }),
        leader_on_call_id: Some(Uuid::from_u128(7)),
        date: None,
        hazards: vec![],
        hazards_total: None,
        summary: String::new(),
    };
    ev(
        EventKind::EscalationRaised,
        serde_json::to_value(p).unwrap(),
    )
}

#[test]
fn an_overdue_student_goes_to_the_own_class_teacher_first_then_the_office_and_leader() {
    let class = Uuid::now_v7();
    let s = EscalationSettings::default();
    let first = notices(
        &overdue_step(1, vec![EscalationTarget::ClassTeacher], class),
        &s,
        TZ,
    );
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].target, Target::ClassTeacherOf(class));
    assert_eq!(first[0].rule, "escalation_class_teacher");
    assert_eq!(first[0].title, "学生逾期 15 分钟未返校");
    assert!(first[0].body.contains("张三"), "{}", first[0].body);
    assert!(
        first[0].body.contains("17:30"),
        "school time: {}",
        first[0].body
    );
    assert!(!first[0].body.contains("2019001"), "no 学号 in the text");
    let second = notices(
        &overdue_step(
            2,
            vec![EscalationTarget::Office, EscalationTarget::LeaderOnCall],
            class,
        ),
        &s,
        TZ,
    );
    let targets: Vec<&Target> = second.iter().map(|n| &n.target).collect();
    assert_eq!(
        targets,
        vec![
            &Target::Everyone(Role::SecurityOffice),
            &Target::User(Uuid::from_u128(7))
        ]
    );
}

#[test]
fn routine_events_make_no_notice() {
    let s = EscalationSettings::default();
    for kind in [
        EventKind::GateExit,
        EventKind::GateReturn,
        EventKind::PassIssued,
        EventKind::PassOverdue,
        EventKind::HazardOverdue,
        EventKind::VisitorCheckedIn,
    ] {
        assert!(notices(&ev(kind, json!({})), &s, TZ).is_empty(), "{kind:?}");
    }
}

#[test]
fn a_class_s_events_go_to_that_class_s_teacher_only() {
    let class = Uuid::now_v7();
    let s = EscalationSettings::default();
    let missing = ev(
        EventKind::TrafficCheckMissing,
        json!({"class_id": class, "class_name": "2019级旅游1班", "week_start": "2026-11-30"}),
    );
    let n = notices(&missing, &s, TZ);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].target, Target::ClassTeacherOf(class));
    assert_eq!(
        route(&n[0].link, Role::ClassTeacher).as_deref(),
        Some("/teacher/check")
    );
    let hazard = Uuid::now_v7();
    let reported = ev(
        EventKind::HazardReported,
        json!({"hazard_id": hazard, "category": "facility", "location": "实训楼二楼",
               "class_id": class, "reported_at": "2026-12-02T01:00:00Z"}),
    );
    let n = notices(&reported, &s, TZ);
    assert_eq!(n[0].target, Target::Everyone(Role::SecurityOffice));
    assert_eq!(n[1].target, Target::ClassTeacherOf(class));
    assert_eq!(n[0].body, "设施隐患：实训楼二楼");
}

#[test]
fn settings_switch_the_at_once_rules() {
    let mut s = EscalationSettings::default();
    let flagged = ev(
        EventKind::VisitorFlagged,
        json!({"visit_id": Uuid::now_v7(), "name": "李四", "category": "banned",
               "status": "refused", "gate": "南门", "at": "2026-12-02T01:00:00Z"}),
    );
    let n = notices(&flagged, &s, TZ);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].target, Target::Everyone(Role::SecurityOffice));
    assert!(n[0].body.contains("南门") && n[0].body.contains("09:00"));
    s.visitor_flagged.enabled = false;
    assert!(notices(&flagged, &s, TZ).is_empty());

    let health = ev(
        EventKind::HealthAbnormal,
        json!({"report_id": Uuid::now_v7(), "guard_id": Uuid::now_v7(),
               "guard_name": "王保安", "date": "2026-12-02", "fit_for_duty": false}),
    );
    let doctor = Uuid::now_v7();
    s.health_abnormal.clinic_user_id = Some(doctor);
    let n = notices(&health, &s, TZ);
    assert_eq!(n.len(), 2);
    assert_eq!(n[1].target, Target::User(doctor));
    assert!(n[0].body.contains("不宜上岗"));
    assert!(!n[0].body.contains("℃"), "no temperature in the text");
    s.health_abnormal.enabled = false;
    assert!(notices(&health, &s, TZ).is_empty());
}

#[test]
fn the_hazard_digest_gives_each_owner_only_their_own() {
    let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let h = |owner: Uuid, loc: &str| DigestHazard {
        hazard_id: Uuid::now_v7(),
        category: HazardCategory::Facility,
        location: loc.into(),
        owner_id: Some(owner),
        deadline: "2026-11-30".into(),
    };
    let p = EscalationRaised {
        rule: EscalationRule::HazardDigest,
        step: 1,
        targets: vec![EscalationTarget::Office, EscalationTarget::HazardOwners],
        subject_id: None,
        class_id: None,
        student: None,
        return_by: None,
        minutes_late: None,
        leader_on_call_id: None,
        date: Some("2026-12-02".into()),
        hazards: vec![h(a, "甲处"), h(b, "乙处"), h(a, "丙处")],
        hazards_total: Some(3),
        summary: String::new(),
    };
    let n = notices(
        &ev(
            EventKind::EscalationRaised,
            serde_json::to_value(p).unwrap(),
        ),
        &EscalationSettings::default(),
        TZ,
    );
    assert_eq!(n.len(), 3);
    assert_eq!(n[0].title, "全校 3 项隐患逾期未整改");
    let mine = n.iter().find(|x| x.target == Target::User(a)).unwrap();
    assert_eq!(mine.title, "您有 2 项隐患逾期未整改");
    assert!(mine.body.contains("甲处") && mine.body.contains("丙处"));
    assert!(!mine.body.contains("乙处"));
}

#[test]
fn announcements_go_to_their_roles_and_open_in_each_area() {
    let id = Uuid::now_v7();
    let a = ev(
        EventKind::AnnouncementPublished,
        json!({"announcement_id": id, "title": "寒假安全提醒", "target_roles": ["guard"]}),
    );
    let n = notices(&a, &EscalationSettings::default(), TZ);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].target, Target::Everyone(Role::Guard));
    assert_eq!(
        route(&n[0].link, Role::Guard),
        Some(format!("/guard/announcements/{id}"))
    );
    let all = ev(
        EventKind::AnnouncementPublished,
        json!({"announcement_id": id, "title": "x", "target_roles": []}),
    );
    assert_eq!(notices(&all, &EscalationSettings::default(), TZ).len(), 5);
}

#[test]
fn routes_only_where_the_role_has_the_page() {
    let id = Uuid::now_v7();
    assert_eq!(
        route(&Link::Pass(id), Role::ClassTeacher),
        Some(format!("/teacher/passes/{id}"))
    );
    assert_eq!(route(&Link::Pass(id), Role::Guard), None);
    assert_eq!(
        route(&Link::HealthReports, Role::SecurityOffice).as_deref(),
        Some("/office/health-reports")
    );
    assert_eq!(route(&Link::HealthReports, Role::ClassTeacher), None);
    assert_eq!(route(&Link::MyHazards, Role::SafetyOfficer), None);
    assert_eq!(
        route(&Link::Hazard(id), Role::SafetyOfficer),
        Some(format!("/officer/hazards/{id}"))
    );
}

#[test]
fn an_unreadable_payload_makes_no_notice() {
    let bad = ev(EventKind::HazardAssigned, json!({"hazard_id": "x"}));
    assert!(notices(&bad, &EscalationSettings::default(), TZ).is_empty());
}
