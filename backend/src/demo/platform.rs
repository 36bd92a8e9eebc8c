//! Demo figures of the safety-education platform.

use crate::infra::error::BoxError;
use crate::schema::classes as class;
use crate::schema::platform::{FigureSource, entry, figure};
use crate::schema::students::student;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

/// Demo figures for the current and the previous month: every demo class, all but one above
/// the default threshold; the current month imported per student (so who is missing shows).
pub async fn seed_demo(db: &impl ConnectionTrait, tz: chrono_tz::Tz) -> Result<(), BoxError> {
    use chrono::Datelike;
    let today = crate::infra::clock::today(tz);
    let this = format!("{:04}-{:02}", today.year(), today.month());
    let prev_day = today
        .with_day(1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today);
    let prev = format!("{:04}-{:02}", prev_day.year(), prev_day.month());
    let classes = class::Entity::find()
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?;
    let now = crate::infra::clock::now();
    for (i, c) in classes.iter().enumerate() {
        let studs = student::Entity::find()
            .filter(student::Column::ClassId.eq(c.id))
            .filter(student::Column::IsActive.eq(true))
            .order_by_asc(student::Column::StudentNo)
            .all(db)
            .await?;
        // Previous month: typed-in totals out of a class of 45, one class below threshold.
        let size = 45;
        let done = if i == 1 { 36 } else { 43 - (i as i32 % 3) };
        figure::ActiveModel {
            id: Set(Uuid::now_v7()),
            month: Set(prev.clone()),
            class_id: Set(c.id),
            completed: Set(done),
            class_size: Set(size),
            source: Set(FigureSource::Manual),
            updated_by: Set(None),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        if studs.is_empty() {
            continue;
        }
        // This month: per student; the second class has every other student missing.
        let fid = Uuid::now_v7();
        let completed = |j: usize| i != 1 || j.is_multiple_of(2);
        let done = (0..studs.len()).filter(|j| completed(*j)).count();
        figure::ActiveModel {
            id: Set(fid),
            month: Set(this.clone()),
            class_id: Set(c.id),
            completed: Set(done as i32),
            class_size: Set(studs.len() as i32),
            source: Set(FigureSource::Import),
            updated_by: Set(None),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        for (j, s) in studs.iter().enumerate() {
            entry::ActiveModel {
                id: Set(Uuid::now_v7()),
                figure_id: Set(fid),
                student_id: Set(s.id),
                completed: Set(completed(j)),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
