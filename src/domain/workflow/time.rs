//! Deadlines in the display time zone: the statutory deadline is the end of the Nth working
//! day after the day of acceptance (`Case` moves it back by each later pause).

use crate::domain::calendar::WorkCalendar;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// The statutory deadline (UTC) for an application accepted at `accepted_at` (UTC).
pub fn statutory_due_at(
    accepted_at: NaiveDateTime,
    working_days: u32,
    calendar: &WorkCalendar,
    tz: Tz,
) -> NaiveDateTime {
    let local_day = tz.from_utc_datetime(&accepted_at).date_naive();
    let last_day = calendar.add_working_days(local_day, working_days);
    // The end of the last day is the start of the next one, local time.
    let end_local = last_day
        .succ_opt()
        .unwrap_or(last_day)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    tz.from_local_datetime(&end_local)
        .earliest()
        .map(|t| t.naive_utc())
        .unwrap_or(end_local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn fifteen_working_days_from_a_tuesday_in_shanghai() {
        // Accepted 2026-12-01 09:00 Shanghai (01:00 UTC): 15 working days → Tue 2026-12-22,
        // ending at 2026-12-23 00:00 Shanghai = 2026-12-22 16:00 UTC.
        let due = statutory_due_at(
            at(2026, 12, 1, 1),
            15,
            &WorkCalendar::default(),
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(due, at(2026, 12, 22, 16));
    }

    #[test]
    fn the_local_day_counts_not_the_utc_day() {
        // 2026-12-01 20:00 UTC is already Wednesday 2 December in Shanghai.
        let due = statutory_due_at(
            at(2026, 12, 1, 20),
            2,
            &WorkCalendar::default(),
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(due, at(2026, 12, 4, 16), "Thu 3 and Fri 4 December");
    }
}
