//! Shift times and the rotation rule that fills a roster from a pattern (pure: no queries, no
//! clock).

use crate::schema::duty::Post;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// `HH:MM`, exactly five characters.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    (s.len() == 5)
        .then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
        .flatten()
}

/// The UTC instants of a shift that starts at `start` on local `date` and ends at `end`
/// (the next day when `end` is not after `start`, e.g. a night shift 20:00–08:00).
pub fn shift_instants(
    tz: chrono_tz::Tz,
    date: NaiveDate,
    start: NaiveTime,
    end: NaiveTime,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let end_date = if end <= start { date.succ_opt()? } else { date };
    let s = tz.from_local_datetime(&date.and_time(start)).earliest()?;
    let e = tz.from_local_datetime(&end_date.and_time(end)).earliest()?;
    Some((s.with_timezone(&Utc), e.with_timezone(&Utc)))
}

/// One shift to insert into a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShift {
    pub roster_id: Uuid,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub post: Post,
    pub user_id: Uuid,
    pub note: Option<String>,
    /// Where the post stands (a traffic post).
    pub place: Option<String>,
}

/// One checked slot of a pattern: a post, its times, who rotates through it.
#[derive(Debug, Clone)]
pub struct Slot {
    pub post: Post,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub user_ids: Vec<Uuid>,
    /// Where the post stands (a traffic post), copied to each shift.
    pub place: Option<String>,
}

/// Each day from `start` to `end` gets one shift per slot. Slots of the same post rotate
/// together: on day `d` the `k`-th slot of a post takes `user_ids[(d + k) % len]`, so two
/// guards on a day slot and a night slot swap day and night every day, and a single leader
/// slot gives one leader per day in turn.
pub fn generate(
    roster_id: Uuid,
    start: NaiveDate,
    end: NaiveDate,
    slots: &[Slot],
) -> Vec<NewShift> {
    let mut out = Vec::new();
    let mut day = start;
    let mut d = 0usize;
    while day <= end {
        let mut per_post: HashMap<Post, usize> = HashMap::new();
        for s in slots {
            let k = per_post.entry(s.post).or_insert(0);
            if !s.user_ids.is_empty() {
                out.push(NewShift {
                    roster_id,
                    date: day,
                    start: s.start,
                    end: s.end,
                    post: s.post,
                    user_id: s.user_ids[(d + *k) % s.user_ids.len()],
                    note: None,
                    place: s.place.clone(),
                });
            }
            *k += 1;
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
        d += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        parse_time(s).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn guards_alternate_day_and_night_and_leaders_rotate_daily() {
        let (a, b, l1, l2) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let slots = vec![
            Slot {
                post: Post::Guard,
                start: t("08:00"),
                end: t("20:00"),
                user_ids: vec![a, b],
                place: None,
            },
            Slot {
                post: Post::Guard,
                start: t("20:00"),
                end: t("08:00"),
                user_ids: vec![a, b],
                place: None,
            },
            Slot {
                post: Post::LeaderOnCall,
                start: t("08:00"),
                end: t("08:00"),
                user_ids: vec![l1, l2],
                place: None,
            },
        ];
        let out = generate(Uuid::nil(), d("2020-04-04"), d("2020-04-06"), &slots);
        assert_eq!(out.len(), 9);
        let who: Vec<Uuid> = out.iter().map(|s| s.user_id).collect();
        assert_eq!(who, vec![a, b, l1, b, a, l2, a, b, l1]);
    }

    #[test]
    fn night_shift_ends_next_day() {
        let tz: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
        let (s, e) = shift_instants(tz, d("2020-04-04"), t("20:00"), t("08:00")).unwrap();
        assert_eq!(s.to_rfc3339(), "2020-04-04T12:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2020-04-05T00:00:00+00:00");
    }

    #[test]
    fn times_must_be_hh_mm() {
        assert!(parse_time("8:00").is_none());
        assert!(parse_time("24:00").is_none());
        assert_eq!(parse_time(" 08:30 "), Some(t("08:30")));
    }
}
