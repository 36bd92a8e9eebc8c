//! Demo leadership and duties: the school's 安全领导小组, the written duties of each post, this
//! semester's 安全目标责任书 (some signed), three rules (门卫工作制度 in two versions) and one
//! guard training session.

use super::Cast;
use crate::features::duties::model::{
    AckSubject, GroupRole, RuleCategory, TrainingKind, ack, attendee, letter, member, rule,
    rule_version, statement, training,
};
use crate::features::semesters::Semester;
use crate::infra::clock::{fmt_date, now, today};
use crate::infra::error::BoxError;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

const GATE_RULE_V1: &str = "一、门卫实行24小时值班制度,值班人员不得擅离岗位。\n\
二、学生在校期间凭班主任签发的请假条出校门,门卫核验后放行并登记。\n\
三、外来人员一律登记后方可入校,并电话联系被访人确认。\n\
四、发现可疑人员或情况,立即报告保卫处,必要时报警。";
const GATE_RULE_V2: &str = "一、门卫实行24小时值班制度,值班人员不得擅离岗位;交接班须当面清点钥匙、对讲机和防暴器材,并在值班记录上签字。\n\
二、学生在校期间凭班主任签发的请假条(二维码)出校门,门卫扫码核验后放行,系统自动登记。\n\
三、外来人员一律登记后方可入校,并电话联系被访人确认;重点关注名单上的人员按系统提示处理。\n\
四、上学、放学时段门卫在校门口疏导交通,维持秩序。\n\
五、发现可疑人员或情况,立即报告保卫处,必要时按下一键报警装置并拨打110。";
const VISITOR_RULE: &str = "一、来访人员须出示有效身份证件,由门卫登记姓名、单位、事由、被访人及进出时间。\n\
二、门卫电话联系被访人,经同意后发放访客证,来访人员离校时交回。\n\
三、家长接送学生一般在校门外等候,确需进校的须经班主任同意。\n\
四、推销、传销及无正当理由人员一律不得入校。";
const FIRE_RULE: &str = "一、学校实行消防安全责任制,校长为消防安全第一责任人,各部门负责人为本部门消防安全责任人。\n\
二、保卫处每月对消防设施、器材进行检查,发现问题及时整改并记录。\n\
三、严禁在教室、宿舍使用大功率电器,严禁私拉乱接电线。\n\
四、每学期至少组织一次全校师生应急疏散演练。";

/// (effective on, text, what changed).
type DemoVersion<'a> = (&'a str, &'a str, &'a str);
/// (title, category, versions oldest first, who must read it).
type DemoRule<'a> = (&'a str, RuleCategory, &'a [DemoVersion<'a>], &'a str);

/// Seeds the demo records of leadership, rules and training for the semester `current`.
pub async fn seed(
    db: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    current: &Semester,
) -> Result<(), BoxError> {
    let cast = Cast::load(db).await?;
    let t = now();
    let day = today(tz);
    let members = [
        ("principal", GroupRole::Leader, "全面负责学校安全工作"),
        (
            "office",
            GroupRole::Deputy,
            "分管安全保卫工作,主持保卫处日常安全管理",
        ),
        ("teacher1", GroupRole::Member, "班主任代表,负责学生安全教育"),
        (
            "teacher3",
            GroupRole::Member,
            "值周教师组,负责值周巡查与课间安全",
        ),
        (
            "guard1",
            GroupRole::Member,
            "门卫班长,负责门卫值守与校园巡逻",
        ),
    ];
    for (i, (who, role, dept)) in members.into_iter().enumerate() {
        member::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(cast.user(who)?.id),
            group_role: Set(role),
            department: Set(dept.into()),
            sort_order: Set(i as i32),
            created_at: Set(t),
            updated_at: Set(t),
        }
        .insert(db)
        .await?;
    }
    let statements = [
        (
            "校长室",
            "学校安全工作第一责任人:主持安全领导小组,审批学期安全工作计划,督促各部门落实安全责任。",
        ),
        (
            "保卫处",
            "制定并落实安全管理制度;组织安全检查、隐患整改和应急演练;管理门卫、监控和消防设施;建立安全台账。",
        ),
        (
            "门卫",
            "24小时值守;核验学生请假条后放行;外来人员登记;上学放学时段疏导交通;发现异常立即报告。",
        ),
        (
            "班主任",
            "本班安全第一责任人:开展安全教育;每周交通安全检查;签发请假条;掌握学生去向,发现问题及时报告。",
        ),
        (
            "值周教师",
            "按值周安排巡查校园、食堂和宿舍;维护课间及集会秩序;记录并报告发现的安全隐患。",
        ),
    ];
    for (i, (post, duties)) in statements.into_iter().enumerate() {
        statement::ActiveModel {
            id: Set(Uuid::now_v7()),
            post: Set(post.into()),
            duties: Set(duties.into()),
            sort_order: Set(i as i32),
            created_at: Set(t),
            updated_at: Set(t),
        }
        .insert(db)
        .await?;
    }

    let office = cast.user("office")?.id;
    let letter_id = Uuid::now_v7();
    letter::ActiveModel {
        id: Set(letter_id),
        semester: Set(current.code.clone()),
        title: Set(format!("{}安全目标责任书", current.name)),
        body: Set("为认真落实“安全第一、预防为主”的方针和“谁主管、谁负责”的原则,保障师生生命财产安全,学校与各岗位签订本责任书。\n\
一、责任人履行本岗位安全职责,落实学校各项安全管理制度。\n\
二、本学期内本岗位不发生责任性安全事故;发现隐患及时报告并配合整改。\n\
三、按时参加学校组织的安全培训、检查和应急疏散演练。\n\
四、本责任书自签订之日起至本学期结束有效。"
            .into()),
        signer_roles: Set("security_office class_teacher guard".into()),
        created_by: Set(Some(office)),
        created_at: Set(t),
    }
    .insert(db)
    .await?;
    for who in ["office", "teacher2", "teacher3", "guard2"] {
        sign(db, AckSubject::Letter, letter_id, cast.user(who)?.id, t).await?;
    }

    let rules: [DemoRule; 3] = [
        (
            "门卫工作制度",
            RuleCategory::Gate,
            &[
                ("2019-09-01", GATE_RULE_V1, ""),
                (
                    &current.starts_on,
                    GATE_RULE_V2,
                    "请假条改为二维码核验;增加交接班清点和上学放学交通疏导",
                ),
            ],
            "security_office guard",
        ),
        (
            "来访登记制度",
            RuleCategory::Visitors,
            &[("2019-09-01", VISITOR_RULE, "")],
            "security_office class_teacher guard",
        ),
        (
            "消防安全制度",
            RuleCategory::Fire,
            &[("2019-09-01", FIRE_RULE, "")],
            "principal security_office class_teacher guard",
        ),
    ];
    let guard1 = cast.user("guard1")?.id;
    for (title, category, versions, readers) in rules {
        let rule_id = Uuid::now_v7();
        rule::ActiveModel {
            id: Set(rule_id),
            title: Set(title.into()),
            category: Set(category),
            created_at: Set(t),
            updated_at: Set(t),
        }
        .insert(db)
        .await?;
        for (n, (effective_on, body, note)) in versions.iter().enumerate() {
            let version_id = Uuid::now_v7();
            rule_version::ActiveModel {
                id: Set(version_id),
                rule_id: Set(rule_id),
                version: Set(n as i32 + 1),
                effective_on: Set((*effective_on).into()),
                body: Set((*body).into()),
                reader_roles: Set(readers.into()),
                change_note: Set((*note).into()),
                created_by: Set(Some(office)),
                created_at: Set(t),
            }
            .insert(db)
            .await?;
            // The office confirmed every version; guard1 the visitors' rule and the first
            // 门卫工作制度 (the second still waits for it).
            sign(db, AckSubject::RuleVersion, version_id, office, t).await?;
            if title == "来访登记制度" || (title == "门卫工作制度" && n == 0) {
                sign(db, AckSubject::RuleVersion, version_id, guard1, t).await?;
            }
        }
    }

    let training_id = Uuid::now_v7();
    training::ActiveModel {
        id: Set(training_id),
        date: Set(fmt_date(day - chrono::Duration::days(10))),
        kind: Set(TrainingKind::Extinguisher),
        title: Set("灭火器与消火栓实操培训".into()),
        trainer: Set("吴中区消防救援大队 顾教官".into()),
        content: Set("干粉灭火器的检查(压力表指针在绿区)与使用:一提、二拔、三握、四压,对准火焰根部;室内消火栓的连接与出水;初起火灾的报警和人员疏散。每人实操一次。".into()),
        created_by: Set(Some(office)),
        created_at: Set(t),
    }
    .insert(db)
    .await?;
    for who in ["guard1", "guard2"] {
        attendee::ActiveModel {
            training_id: Set(training_id),
            user_id: Set(cast.user(who)?.id),
        }
        .insert(db)
        .await?;
    }
    sign(
        db,
        AckSubject::Training,
        training_id,
        cast.user("guard2")?.id,
        t,
    )
    .await?;
    Ok(())
}

async fn sign(
    db: &impl ConnectionTrait,
    kind: AckSubject,
    subject: Uuid,
    user: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), BoxError> {
    ack::ActiveModel {
        id: Set(Uuid::now_v7()),
        subject_kind: Set(kind),
        subject_id: Set(subject),
        user_id: Set(user),
        acknowledged_at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(())
}
