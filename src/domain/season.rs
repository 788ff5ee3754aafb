//! The heating season (供暖季): when it starts, and the day's noon the demo and tests use.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

/// The heating season a day belongs to starts on 15 November (the usual 供暖 start).
pub fn season_start(day: NaiveDate) -> NaiveDate {
    let year = if day.month() >= 11 && day.day() >= 15 || day.month() == 12 {
        day.year()
    } else {
        day.year() - 1
    };
    NaiveDate::from_ymd_opt(year, 11, 15).unwrap_or(day)
}

/// Noon of a day: a quiet time to stand "now" on for generated data and tests.
pub fn noon(day: NaiveDate) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN))
}

/// How far back a console's first load reads closed tickets and answers; the rest of the
/// season follows in the background.
pub const RECENT_DAYS: i64 = 2;

/// The start of what a first load reads (`load_recent`): midnight [`RECENT_DAYS`] ago.
pub fn recent_since(now: NaiveDateTime) -> NaiveDateTime {
    (now.date() - chrono::Duration::days(RECENT_DAYS)).and_time(NaiveTime::MIN)
}
