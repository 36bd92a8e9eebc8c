//! Sheets of leadership and duties, the rules in force and guard training: the group and the
//! written duties, who signed the semester's 责任书, each rule's confirmations, each session's
//! sign-offs.

use super::labels::{local, role_zh};
use crate::features::duties::{self, model as m, parse_roles};
use crate::infra::clock::fmt_date;
use crate::infra::error::AppResult;
use crate::reports::sheet::{Range, Sheet};
use crate::schema::users as user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

fn group_role_zh(r: m::GroupRole) -> &'static str {
    match r {
        m::GroupRole::Leader => "组长",
        m::GroupRole::Deputy => "副组长",
        m::GroupRole::Member => "成员",
    }
}

fn rule_category_zh(c: m::RuleCategory) -> &'static str {
    match c {
        m::RuleCategory::Gate => "门卫与出入",
        m::RuleCategory::Visitors => "来访",
        m::RuleCategory::Fire => "消防",
        m::RuleCategory::Traffic => "交通",
        m::RuleCategory::Emergency => "应急与疏散",
        m::RuleCategory::General => "综合",
    }
}

pub fn training_kind_zh(k: m::TrainingKind) -> &'static str {
    match k {
        m::TrainingKind::Ethics => "思想道德教育",
        m::TrainingKind::Alarm => "报警装置使用",
        m::TrainingKind::FirstAid => "急救",
        m::TrainingKind::Extinguisher => "灭火器使用",
        m::TrainingKind::VisitorRules => "来访登记制度",
        m::TrainingKind::Other => "业务能力",
    }
}

fn roles_zh(stored: &str) -> String {
    parse_roles(stored)
        .iter()
        .map(|r| role_zh(r.as_str()))
        .collect::<Vec<_>>()
        .join("、")
}

/// The 安全领导小组 (组长 first) and the written duties of each department and post.
pub(super) async fn leadership_sheet(db: &impl ConnectionTrait, _r: &Range) -> AppResult<Sheet> {
    let names: HashMap<_, _> = user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut members = m::member::Entity::find().all(db).await?;
    let rank = |g: m::GroupRole| match g {
        m::GroupRole::Leader => 0,
        m::GroupRole::Deputy => 1,
        m::GroupRole::Member => 2,
    };
    members.sort_by_key(|x| (rank(x.group_role), x.sort_order, x.created_at));
    let mut rows: Vec<Vec<String>> = members
        .into_iter()
        .map(|x| {
            vec![
                "安全领导小组".into(),
                names.get(&x.user_id).cloned().unwrap_or_default(),
                group_role_zh(x.group_role).into(),
                x.department,
            ]
        })
        .collect();
    for s in m::statement::Entity::find()
        .order_by_asc(m::statement::Column::SortOrder)
        .order_by_asc(m::statement::Column::Post)
        .all(db)
        .await?
    {
        rows.push(vec!["岗位职责".into(), s.post, String::new(), s.duties]);
    }
    Ok(Sheet {
        key: "leadership",
        name: "领导小组与职责",
        headers: &["类别", "姓名/部门岗位", "小组职务", "分管工作/职责"],
        rows,
    })
}

/// Every signature asked by the period's 责任书 (the semester's, or those issued in the range):
/// signed with the time, or 未签订.
pub(super) async fn letters_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let mut q = m::letter::Entity::find().order_by_asc(m::letter::Column::CreatedAt);
    q = match &r.semester {
        Some(code) => q.filter(m::letter::Column::Semester.eq(code.as_str())),
        None => {
            let (start, end) = r.bounds_utc();
            q.filter(m::letter::Column::CreatedAt.gte(start))
                .filter(m::letter::Column::CreatedAt.lt(end))
        }
    };
    let mut rows = Vec::new();
    for l in q.all(db).await? {
        let Some(t) = duties::tally_for(db, m::AckSubject::Letter, l.id).await? else {
            continue;
        };
        for s in t.signed {
            rows.push(vec![
                l.title.clone(),
                s.person.name,
                role_zh(s.person.role.as_str()).into(),
                local(s.acknowledged_at, r.tz),
            ]);
        }
        for p in t.pending {
            rows.push(vec![
                l.title.clone(),
                p.name,
                role_zh(p.role.as_str()).into(),
                "未签订".into(),
            ]);
        }
    }
    Ok(Sheet {
        key: "responsibility_letters",
        name: "责任书签订",
        headers: &["责任书", "姓名", "岗位", "签订时间"],
        rows,
    })
}

/// The rules in force at the end of the period (the highest version effective by then), with
/// how many of those asked confirmed it.
pub(super) async fn rules_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let end = fmt_date(r.to);
    let rules = m::rule::Entity::find()
        .order_by_asc(m::rule::Column::Title)
        .all(db)
        .await?;
    let versions = m::rule_version::Entity::find()
        .filter(m::rule_version::Column::EffectiveOn.lte(end.as_str()))
        .all(db)
        .await?;
    let mut in_force: HashMap<_, m::rule_version::Model> = HashMap::new();
    for v in versions {
        match in_force.get(&v.rule_id) {
            Some(have) if have.version >= v.version => {}
            _ => {
                in_force.insert(v.rule_id, v);
            }
        }
    }
    let mut rows = Vec::new();
    for rule in rules {
        let Some(v) = in_force.remove(&rule.id) else {
            continue;
        };
        let (signed, asked) = match duties::tally_for(db, m::AckSubject::RuleVersion, v.id).await? {
            Some(t) => (t.signed.len(), t.asked),
            None => (0, 0),
        };
        rows.push(vec![
            rule.title,
            rule_category_zh(rule.category).into(),
            format!("第{}版", v.version),
            v.effective_on,
            roles_zh(&v.reader_roles),
            format!("{signed}/{asked}"),
        ]);
    }
    Ok(Sheet {
        key: "safety_rules",
        name: "安全管理制度",
        headers: &[
            "制度",
            "类别",
            "版本",
            "生效日期",
            "须阅知岗位",
            "已确认/应确认",
        ],
        rows,
    })
}

/// The period's guard training sessions with each attendee's sign-off.
pub(super) async fn trainings_sheet(db: &impl ConnectionTrait, r: &Range) -> AppResult<Sheet> {
    let sessions = m::training::Entity::find()
        .filter(m::training::Column::Date.gte(fmt_date(r.from)))
        .filter(m::training::Column::Date.lte(fmt_date(r.to)))
        .order_by_asc(m::training::Column::Date)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for t in sessions {
        let Some(tally) = duties::tally_for(db, m::AckSubject::Training, t.id).await? else {
            continue;
        };
        let signed: Vec<String> = tally.signed.iter().map(|s| s.person.name.clone()).collect();
        let pending: Vec<String> = tally.pending.iter().map(|p| p.name.clone()).collect();
        rows.push(vec![
            t.date,
            training_kind_zh(t.kind).into(),
            t.title,
            t.trainer,
            t.content,
            signed.join("、"),
            pending.join("、"),
        ]);
    }
    Ok(Sheet {
        key: "guard_trainings",
        name: "门卫培训",
        headers: &["日期", "类别", "主题", "培训人", "内容", "已签到", "未签到"],
        rows,
    })
}
