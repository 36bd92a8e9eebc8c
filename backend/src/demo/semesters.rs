//! Demo semesters: the seed plan's 2019–2020 second semester and the one containing today.

use crate::features::semesters::{Semester, by_code, link_plans, school_semester_of};
use crate::infra::clock::{fmt_date, today};
use crate::infra::error::BoxError;
use crate::schema::semesters as model;
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

/// Returns the semester containing today.
pub async fn seed_demo(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<Semester, BoxError> {
    let now = crate::infra::clock::now();
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d");
    let (code, name, from, to) = school_semester_of(today(tz));
    let mut current = None;
    for (code, name, from, to) in [
        (
            "2019-2020-2".to_owned(),
            "2019-2020学年第二学期".to_owned(),
            d("2020-02-17")?,
            d("2020-08-31")?,
        ),
        (code, name, from, to),
    ] {
        if by_code(db, &code)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            continue;
        }
        let s = model::ActiveModel {
            id: Set(Uuid::now_v7()),
            code: Set(code),
            name: Set(name),
            starts_on: Set(fmt_date(from)),
            ends_on: Set(fmt_date(to)),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        link_plans(db, &s).await.map_err(|e| e.to_string())?;
        current = Some(s);
    }
    current.ok_or_else(|| "demo semesters already present".into())
}
