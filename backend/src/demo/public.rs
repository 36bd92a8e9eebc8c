//! Demo public page: two published articles of the security office and a draft, the duty
//! phones of the posts, and the next holiday's roster (元旦 …, made for the demo's today) as
//! the duty contacts shown; the seed plan's 2020 rosters are long over.

use super::Cast;
use crate::features::articles::model::{ArticleKind, article, settings};
use crate::infra::error::BoxError;
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

const ARTICLES: &[(ArticleKind, &str, &str, Option<i64>)] = &[
    (
        ArticleKind::Notice,
        "关于冬季校园消防安全的通知",
        "各位师生:\n\n冬季天干物燥,用火用电增多,是火灾易发季节。学生宿舍严禁使用电热毯、热得快、电吹风等大功率电器,严禁私拉乱接电线;离开宿舍、教室时请随手关灯断电。\n\n保卫处将于本月开展宿舍用电安全检查,发现违规电器一律暂扣并通报班级。发现火情请立即拨打 119,并报告门卫室和保卫处。",
        Some(3),
    ),
    (
        ArticleKind::Education,
        "上下学交通安全提示",
        "上学、放学时段校门口人多车多。请同学们走人行道,过马路走斑马线,不在校门口逗留;严禁在校园内骑车。\n\n家长接送请将车辆停放在指定区域,不要在校门口掉头、停车;教职工车辆请尽量避开上下学高峰时段进出校园,限道慢行。",
        Some(10),
    ),
    (
        ArticleKind::Notice,
        "寒假安全告家长书(草稿)",
        "寒假即将来临,请家长加强对孩子的安全教育和监护:防溺水、防火、防煤气中毒、防交通事故,不参加非法组织的活动。",
        None,
    ),
];

pub async fn seed(
    db: &impl ConnectionTrait,
    cast: &Cast,
    tz: chrono_tz::Tz,
) -> Result<(), BoxError> {
    let office = cast.user("office")?;
    let now = crate::infra::clock::now();
    for (kind, title, body, days_ago) in ARTICLES {
        let written = now - Duration::days(days_ago.unwrap_or(1) + 1);
        article::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set(*kind),
            title: Set((*title).into()),
            body: Set((*body).into()),
            published_at: Set(days_ago.map(|d| now - Duration::days(d))),
            created_by: Set(Some(office.id)),
            created_at: Set(written),
            updated_at: Set(days_ago.map_or(written, |d| now - Duration::days(d))),
        }
        .insert(db)
        .await?;
    }
    let holiday = super::traffic::seed_holiday(db, cast, tz).await?;
    settings::ActiveModel {
        id: Set(1),
        duty_roster_ids: Set(serde_json::to_string(&[holiday])?),
        phone_leader_on_call: Set(Some("0512-66321001".into())),
        phone_duty_teacher: Set(None),
        phone_guard: Set(Some("0512-66321110".into())),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
