//! The personal calendar feed's document (pure): RFC 5545 events for a person's shifts.

use crate::schema::duty::{Post, shift};
use chrono::Duration;

fn post_label(post: Post) -> &'static str {
    match post {
        Post::LeaderOnCall => "值班领导",
        Post::DutyTeacher => "值班教师",
        Post::Guard => "保安值班",
    }
}

/// Builds the calendar of a person's shifts, each with its roster's title.
pub fn ics_for(shifts: &[(shift::Model, String)]) -> String {
    use icalendar::{Calendar, Component, EventLike};
    let mut cal = Calendar::new();
    cal.name("校安 · 我的值班");
    // Calendar apps that honour it poll hourly, so swaps show up the same day.
    cal.ttl(&Duration::hours(1));
    for (s, roster_title) in shifts {
        let event = icalendar::Event::new()
            .uid(&format!("{}@xiaoan", s.id))
            .summary(&format!("{} · {roster_title}", post_label(s.post)))
            .description(&format!("{} {}–{}", s.date, s.start_time, s.end_time))
            .starts(s.starts_at)
            .ends(s.ends_at)
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}
