//! Working days (工作日): Monday to Friday, except public holidays, plus the weekend days
//! that the State Council's notices turn into working days (调休). The exceptions are data
//! (`data/calendar/*.toml`, the `calendar_days` table); years nobody has entered yet count
//! weekends only and are reported as unverified.
//!
//! Calendars are kept per jurisdiction and inherited downwards: the national calendar, then
//! the region's own days (肉孜节 and 古尔邦节 in Xinjiang's annual notice), then any level below.
//! `Calendars` resolves the calendar each jurisdiction works by.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

/// The jurisdiction key of the national calendar (the State Council's notices).
pub const NATIONAL: &str = "CN";

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

/// Every jurisdiction's calendar, each the national one with its ancestors' and its own days
/// laid over it, nearest last. A year counts as verified for a jurisdiction when the national
/// notice and the notice of every level above it that publishes its own (has any year
/// entered) are entered for that year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendars {
    national: WorkCalendar,
    resolved: BTreeMap<String, WorkCalendar>,
}

impl Calendars {
    /// `days`: (jurisdiction, day, working) with `NATIONAL` for the national ones; `years`:
    /// (jurisdiction, year) entered from a notice; `parents`: each jurisdiction and its parent.
    pub fn new(
        days: impl IntoIterator<Item = (String, NaiveDate, bool)>,
        years: impl IntoIterator<Item = (String, i32)>,
        parents: impl IntoIterator<Item = (String, Option<String>)>,
    ) -> Calendars {
        let mut own_days: BTreeMap<String, BTreeMap<NaiveDate, bool>> = BTreeMap::new();
        for (code, day, working) in days {
            own_days.entry(code).or_default().insert(day, working);
        }
        let mut own_years: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
        for (code, year) in years {
            own_years.entry(code).or_default().insert(year);
        }
        let parents: BTreeMap<String, Option<String>> = parents.into_iter().collect();
        let layer = |code: &str| {
            (
                own_days.get(code).cloned().unwrap_or_default(),
                own_years.get(code).cloned(),
            )
        };
        let (national_days, national_years) = layer(NATIONAL);
        let national = WorkCalendar {
            exceptions: national_days,
            verified_years: national_years.unwrap_or_default(),
        };
        let mut resolved = BTreeMap::new();
        for code in parents.keys() {
            let mut chain = vec![code.clone()];
            while let Some(Some(parent)) =
                parents.get(chain.last().map(String::as_str).unwrap_or(""))
            {
                if chain.contains(parent) {
                    break;
                }
                chain.push(parent.clone());
            }
            let mut calendar = national.clone();
            for ancestor in chain.iter().rev() {
                let (days, years) = layer(ancestor);
                calendar.exceptions.extend(days);
                if let Some(years) = years {
                    calendar.verified_years.retain(|y| years.contains(y));
                }
            }
            resolved.insert(code.clone(), calendar);
        }
        Calendars { national, resolved }
    }

    /// The calendar `jurisdiction` works by; the national one for a code not known.
    pub fn of(&self, jurisdiction: &str) -> &WorkCalendar {
        self.resolved.get(jurisdiction).unwrap_or(&self.national)
    }

    pub fn national(&self) -> &WorkCalendar {
        &self.national
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

    /// The 2025 national notice's spring days and the Xinjiang notice's 肉孜节 (29–31 March).
    fn layered() -> Calendars {
        let days = vec![
            (NATIONAL.to_string(), d(2025, 4, 4), false),
            (NATIONAL.to_string(), d(2025, 4, 27), true),
            ("650000".to_string(), d(2025, 3, 31), false),
            ("650000".to_string(), d(2025, 3, 29), false),
            // A county's correction overrides both levels above it.
            ("652328".to_string(), d(2025, 4, 4), true),
        ];
        let years = vec![
            (NATIONAL.to_string(), 2025),
            (NATIONAL.to_string(), 2026),
            ("650000".to_string(), 2025),
        ];
        let parents = vec![
            ("650000".to_string(), None),
            ("652300".to_string(), Some("650000".to_string())),
            ("652328".to_string(), Some("652300".to_string())),
            ("110000".to_string(), None),
        ];
        Calendars::new(days, years, parents)
    }

    #[test]
    fn a_region_adds_its_days_to_the_national_calendar_and_passes_them_down() {
        let cals = layered();
        let mulei_prefecture = cals.of("652300");
        assert!(
            !mulei_prefecture.is_working_day(d(2025, 3, 31)),
            "肉孜节 inherited from the region"
        );
        assert!(
            !mulei_prefecture.is_working_day(d(2025, 4, 4)),
            "Qingming from the nation"
        );
        assert!(
            mulei_prefecture.is_working_day(d(2025, 4, 27)),
            "national 调休 Sunday"
        );
        assert!(
            cals.of("652328").is_working_day(d(2025, 4, 4)),
            "the county's own correction wins"
        );
        assert!(
            cals.of("110000").is_working_day(d(2025, 3, 31)),
            "another region works on Eid"
        );
        assert!(cals.national().is_working_day(d(2025, 3, 31)));
        assert!(
            cals.of("999999").is_working_day(d(2025, 3, 31)),
            "unknown code: national"
        );
    }

    #[test]
    fn a_year_is_verified_only_where_every_publishing_level_entered_it() {
        let cals = layered();
        assert!(cals.of("652328").is_verified(2025));
        assert!(
            !cals.of("652328").is_verified(2026),
            "the region's 2026 notice is not entered"
        );
        assert!(
            cals.of("110000").is_verified(2026),
            "a region that publishes nothing of its own"
        );
        assert!(cals.national().is_verified(2026));
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
