//! Working days (工作日): Monday to Friday, except public holidays, plus the weekend days
//! that the State Council's notices turn into working days (调休). The exceptions are data
//! (`data/calendar/*.toml`, the `calendar_days` table); years nobody has entered yet count
//! weekends only and are reported as unverified.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Days whose status differs from the weekday rule: `false` a holiday, `true` a working weekend day.
    exceptions: BTreeMap<NaiveDate, bool>,
    /// Years whose holidays have been entered from an official notice.
    verified_years: BTreeSet<i32>,
}

impl WorkCalendar {
    pub fn new(
        exceptions: impl IntoIterator<Item = (NaiveDate, bool)>,
        verified_years: impl IntoIterator<Item = i32>,
    ) -> Self {
        WorkCalendar {
            exceptions: exceptions.into_iter().collect(),
            verified_years: verified_years.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(&working) => working,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    pub fn is_verified(&self, year: i32) -> bool {
        self.verified_years.contains(&year)
    }

    /// The `n`th working day after `day` (`day` itself not counted, as statutory periods
    /// start the day after the event). `n == 0` gives `day` back.
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut current = day;
        let mut remaining = n;
        while remaining > 0 {
            current = match current.checked_add_days(Days::new(1)) {
                Some(next) => next,
                None => return NaiveDate::MAX,
            };
            if self.is_working_day(current) {
                remaining -= 1;
            }
        }
        current
    }

    /// How many working days lie in `(from, to]`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The 2026 notice's Spring Festival exceptions: off Feb 15–23, working Sat Feb 14 and Sat Feb 28.
    fn spring_festival_2026() -> WorkCalendar {
        let mut exceptions: Vec<(NaiveDate, bool)> =
            (15..=23).map(|day| (d(2026, 2, day), false)).collect();
        exceptions.push((d(2026, 2, 14), true));
        exceptions.push((d(2026, 2, 28), true));
        WorkCalendar::new(exceptions, [2026])
    }

    #[test]
    fn weekdays_weekends_holidays_and_adjusted_working_days() {
        let cal = spring_festival_2026();
        assert!(cal.is_working_day(d(2026, 2, 13)), "Friday");
        assert!(
            cal.is_working_day(d(2026, 2, 14)),
            "Saturday made a working day"
        );
        assert!(!cal.is_working_day(d(2026, 2, 16)), "Monday in the holiday");
        assert!(!cal.is_working_day(d(2026, 2, 23)), "last holiday day");
        assert!(cal.is_working_day(d(2026, 2, 24)), "back to work");
        assert!(
            !cal.is_working_day(d(2026, 2, 21)),
            "Saturday in the holiday"
        );
        assert!(!cal.is_working_day(d(2026, 3, 1)), "an ordinary Sunday");
        assert!(
            cal.is_working_day(d(2026, 2, 28)),
            "Saturday made a working day"
        );
        assert!(cal.is_verified(2026));
        assert!(!cal.is_verified(2027));
    }

    #[test]
    fn counting_across_the_spring_festival() {
        let cal = spring_festival_2026();
        // Accepted Friday Feb 13: day 1 is Saturday Feb 14 (adjusted), day 2 Tuesday Feb 24.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 14));
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 2), d(2026, 2, 24));
        // Accepted Thursday Feb 26: day 1 Friday, day 2 Saturday Feb 28 (adjusted), day 3 Monday.
        assert_eq!(cal.add_working_days(d(2026, 2, 26), 3), d(2026, 3, 2));
        assert_eq!(cal.add_working_days(d(2026, 2, 26), 0), d(2026, 2, 26));
        assert_eq!(cal.working_days_between(d(2026, 2, 13), d(2026, 2, 24)), 2);
    }

    #[test]
    fn weekends_only_in_an_unentered_year() {
        let cal = WorkCalendar::default();
        // Friday 2027-01-01 is a holiday in reality, but nobody has entered 2027.
        assert!(cal.is_working_day(d(2027, 1, 1)));
        assert_eq!(cal.add_working_days(d(2027, 1, 1), 5), d(2027, 1, 8));
    }

    fn arb_calendar() -> impl Strategy<Value = WorkCalendar> {
        // Random exceptions over two years around 2026, both kinds.
        proptest::collection::vec((0u64..730, any::<bool>()), 0..120).prop_map(|list| {
            WorkCalendar::new(
                list.into_iter()
                    .map(|(offset, working)| (d(2025, 6, 1) + Days::new(offset), working)),
                [],
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn adding_working_days_lands_on_a_working_day(cal in arb_calendar(), offset in 0u64..700, n in 1u32..40) {
            let start = d(2025, 6, 1) + Days::new(offset);
            let due = cal.add_working_days(start, n);
            prop_assert!(cal.is_working_day(due));
            prop_assert!(due > start);
        }

        #[test]
        fn adding_working_days_is_strictly_monotonic(cal in arb_calendar(), offset in 0u64..700, n in 0u32..40) {
            let start = d(2025, 6, 1) + Days::new(offset);
            prop_assert!(cal.add_working_days(start, n + 1) > cal.add_working_days(start, n));
        }

        #[test]
        fn exactly_n_working_days_are_counted(cal in arb_calendar(), offset in 0u64..700, n in 0u32..40) {
            let start = d(2025, 6, 1) + Days::new(offset);
            let due = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, due), n);
        }

        #[test]
        fn a_later_start_never_gives_an_earlier_deadline(cal in arb_calendar(), offset in 0u64..700, later in 0u64..30, n in 0u32..20) {
            let start = d(2025, 6, 1) + Days::new(offset);
            prop_assert!(cal.add_working_days(start + Days::new(later), n) >= cal.add_working_days(start, n));
        }
    }
}
