use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A local (Beijing) time as the UTC moment the engine stores.
fn bj(y: i32, m: u32, day: u32, h: u32, min: u32) -> Time {
    d(y, m, day).and_hms_opt(h, min, 0).unwrap() - TimeDelta::hours(8)
}

fn shipped() -> ServiceHours {
    ServiceHours::from_toml(SHIPPED_SERVICE_HOURS).unwrap()
}

/// The 2026 Spring Festival (off 15–23 February, working Saturdays 14 and 28 February), the
/// 2026 National Day week, and Xinjiang's 肉孜节 2025 (29–31 March).
fn calendar() -> WorkCalendar {
    let mut days: Vec<(NaiveDate, bool)> = (15..=23).map(|n| (d(2026, 2, n), false)).collect();
    days.extend([(d(2026, 2, 14), true), (d(2026, 2, 28), true)]);
    days.extend((1..=7).map(|n| (d(2026, 10, n), false)));
    days.extend((1..=5).map(|n| (d(2026, 5, n), false)));
    days.extend((29..=31).map(|n| (d(2025, 3, n), false)));
    WorkCalendar::new(days, [2025, 2026])
}

fn office<'a>(hours: &'a ServiceHours, calendar: &'a WorkCalendar) -> Office<'a> {
    match hours.schedule_of("652328-TRANSPORT") {
        Schedule::Office(seasons) => Office {
            seasons,
            calendar,
            timezone: hours.timezone,
        },
        other => panic!("the transport bureau keeps office hours, not {other:?}"),
    }
}

#[test]
fn the_shipped_file_puts_offices_on_office_hours_and_police_on_duty() {
    let hours = shipped();
    assert!(matches!(
        hours.schedule_of("652328-TRANSPORT"),
        Schedule::Office(_)
    ));
    assert!(matches!(
        hours.schedule_of("650500-GRID"),
        Schedule::Office(_)
    ));
    assert_eq!(
        hours.schedule_of("652328-POLICE"),
        &Schedule::AroundTheClock
    );
    assert_eq!(
        hours.schedule_of("650000-POLICE"),
        &Schedule::AroundTheClock
    );
    assert!(
        matches!(hours.schedule_of("652328-UNKNOWN"), Schedule::Office(_)),
        "the default"
    );
}

#[test]
fn an_authority_may_keep_another_schedule_than_its_kind() {
    let text = SHIPPED_SERVICE_HOURS.replace(
        "[authorities]",
        "[authorities]\n\"652328-TRANSPORT\" = \"on_duty\"",
    );
    let hours = ServiceHours::from_toml(&text).unwrap();
    assert_eq!(
        hours.schedule_of("652328-TRANSPORT"),
        &Schedule::AroundTheClock
    );
    assert!(matches!(
        hours.schedule_of("652325-TRANSPORT"),
        Schedule::Office(_)
    ));
}

#[test]
fn a_wrong_file_is_refused_with_what_is_wrong() {
    let unknown = SHIPPED_SERVICE_HOURS.replace("POLICE = \"on_duty\"", "POLICE = \"night\"");
    assert!(ServiceHours::from_toml(&unknown)
        .unwrap_err()
        .contains("no schedule named \"night\""));
    let backwards = SHIPPED_SERVICE_HOURS.replace("16:00-20:00", "20:00-16:00");
    assert!(ServiceHours::from_toml(&backwards)
        .unwrap_err()
        .contains("ends before it starts"));
    let overlapping = SHIPPED_SERVICE_HOURS.replace("16:00-20:00", "13:00-20:00");
    assert!(ServiceHours::from_toml(&overlapping)
        .unwrap_err()
        .contains("do not overlap"));
    let bad_day = SHIPPED_SERVICE_HOURS.replace("\"05-01\"", "\"05-41\"");
    assert!(ServiceHours::from_toml(&bad_day)
        .unwrap_err()
        .contains("MM-DD"));
}

#[test]
fn seasons_change_on_the_first_of_may_and_october() {
    let (hours, cal) = (shipped(), calendar());
    let office = office(&hours, &cal);
    let name = |day| office.season(day).unwrap().name.clone();
    assert_eq!(
        name(d(2026, 1, 15)),
        "winter",
        "January is last year's winter"
    );
    assert_eq!(name(d(2026, 4, 30)), "winter");
    assert_eq!(name(d(2026, 5, 1)), "summer");
    assert_eq!(name(d(2026, 9, 30)), "summer");
    assert_eq!(name(d(2026, 10, 1)), "winter");
}

#[test]
fn twelve_working_hours_from_an_afternoon_end_the_next_evening_not_at_night() {
    let (hours, cal) = (shipped(), calendar());
    let office = office(&hours, &cal);
    // Tue 1 Dec 2026 14:32, winter: the rest of the afternoon 15:30–19:30 (4 h), Wednesday's
    // 8 h → Wednesday 19:30, not 02:32 at night.
    let due = office.add(bj(2026, 12, 1, 14, 32), TimeDelta::hours(12));
    assert_eq!(due, bj(2026, 12, 2, 19, 30));
    assert_eq!(
        office.between(bj(2026, 12, 1, 14, 32), due),
        TimeDelta::hours(12)
    );
}

#[test]
fn across_the_lunch_break_and_the_evening() {
    let (hours, cal) = (shipped(), calendar());
    let office = office(&hours, &cal);
    // Winter lunch break 14:00–15:30.
    assert_eq!(
        office.add(bj(2026, 12, 1, 13, 0), TimeDelta::hours(2)),
        bj(2026, 12, 1, 16, 30)
    );
    // Summer's is 14:00–16:00.
    assert_eq!(
        office.add(bj(2026, 6, 2, 13, 0), TimeDelta::hours(2)),
        bj(2026, 6, 2, 17, 0)
    );
    // Opened at 19:00 in winter: half an hour today, the rest next morning.
    assert_eq!(
        office.add(bj(2026, 12, 1, 19, 0), TimeDelta::hours(4)),
        bj(2026, 12, 2, 13, 30)
    );
    // Opened at night: counting starts at ten.
    assert_eq!(
        office.add(bj(2026, 12, 1, 23, 0), TimeDelta::hours(1)),
        bj(2026, 12, 2, 11, 0)
    );
    // Running out exactly at the end of the morning ends at 14:00, not after lunch.
    assert_eq!(
        office.add(bj(2026, 12, 1, 10, 0), TimeDelta::hours(4)),
        bj(2026, 12, 1, 14, 0)
    );
    assert!(!office.is_open(bj(2026, 12, 1, 14, 30)));
    assert!(office.is_open(bj(2026, 12, 1, 15, 30)));
}

#[test]
fn weekends_and_the_working_saturday_before_the_spring_festival() {
    let (hours, cal) = (shipped(), calendar());
    let office = office(&hours, &cal);
    // Friday evening → Monday morning.
    assert_eq!(
        office.add(bj(2026, 12, 4, 19, 0), TimeDelta::hours(1)),
        bj(2026, 12, 7, 10, 30)
    );
    // Friday 13 February 2026 → Saturday 14 (调休上班) → after the festival, Tuesday 24.
    assert_eq!(
        office.add(bj(2026, 2, 13, 19, 0), TimeDelta::hours(1)),
        bj(2026, 2, 14, 10, 30)
    );
    assert_eq!(
        office.add(bj(2026, 2, 14, 19, 0), TimeDelta::hours(1)),
        bj(2026, 2, 24, 10, 30)
    );
    assert_eq!(
        office.between(bj(2026, 2, 14, 19, 0), bj(2026, 2, 24, 10, 30)),
        TimeDelta::hours(1)
    );
}

#[test]
fn across_a_season_change_and_a_holiday() {
    let (hours, cal) = (shipped(), calendar());
    let office = office(&hours, &cal);
    // Wed 30 September 2026 at 19:00, summer hours to 20:00; 1–7 October off; Thursday 8
    // October in winter hours.
    assert_eq!(
        office.add(bj(2026, 9, 30, 19, 0), TimeDelta::hours(2)),
        bj(2026, 10, 8, 11, 0)
    );
    // Thu 30 April at 19:00 in winter hours (to 19:30); 1–5 May off; Wednesday 6 May summer.
    assert_eq!(
        office.add(bj(2026, 4, 30, 19, 0), TimeDelta::hours(5)),
        bj(2026, 5, 6, 16, 30)
    );
}

#[test]
fn the_regional_eid_al_fitr_days_stop_the_clock() {
    let hours = shipped();
    let xinjiang = calendar();
    let national = WorkCalendar::default();
    // Friday 28 March 2025 at 19:00: in Xinjiang Monday 31 March is 肉孜节.
    let start = bj(2025, 3, 28, 19, 0);
    assert_eq!(
        office(&hours, &xinjiang).add(start, TimeDelta::hours(1)),
        bj(2025, 4, 1, 10, 30)
    );
    assert_eq!(
        office(&hours, &national).add(start, TimeDelta::hours(1)),
        bj(2025, 3, 31, 10, 30)
    );
}

#[test]
fn back_undoes_add() {
    let (hours, cal) = (shipped(), calendar());
    let office = office(&hours, &cal);
    let due = office.add(bj(2026, 12, 1, 14, 32), TimeDelta::hours(12));
    let start = office.back(due, TimeDelta::hours(12));
    assert_eq!(office.between(start, due), TimeDelta::hours(12));
    assert_eq!(office.add(start, TimeDelta::hours(12)), due);
}

fn arb_start() -> impl Strategy<Value = Time> {
    // Any minute over two years around the shipped calendar years.
    (0i64..(730 * 24 * 60)).prop_map(|m| bj(2025, 6, 1, 0, 0) + TimeDelta::minutes(m))
}

fn arb_amount() -> impl Strategy<Value = TimeDelta> {
    (1i64..(60 * 60)).prop_map(TimeDelta::minutes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn adding_counts_exactly_that_much_working_time(start in arb_start(), amount in arb_amount()) {
        let (hours, cal) = (shipped(), calendar());
        let office = office(&hours, &cal);
        let due = office.add(start, amount);
        prop_assert!(due > start);
        prop_assert_eq!(office.between(start, due), amount);
        // It lands inside office hours or at the end of a period, never in the night.
        prop_assert!(office.is_open(due - TimeDelta::seconds(1)));
    }

    #[test]
    fn adding_in_two_steps_is_adding_once(start in arb_start(), a in arb_amount(), b in arb_amount()) {
        let (hours, cal) = (shipped(), calendar());
        let office = office(&hours, &cal);
        prop_assert_eq!(office.add(office.add(start, a), b), office.add(start, a + b));
    }

    #[test]
    fn going_back_then_forward_returns(start in arb_start(), amount in arb_amount()) {
        let (hours, cal) = (shipped(), calendar());
        let office = office(&hours, &cal);
        let due = office.add(start, amount);
        let back = office.back(due, amount);
        prop_assert!(back >= start);
        prop_assert_eq!(office.add(back, amount), due);
    }

    #[test]
    fn a_later_start_never_falls_due_earlier(start in arb_start(), later in 0u64..5000, amount in arb_amount()) {
        let (hours, cal) = (shipped(), calendar());
        let office = office(&hours, &cal);
        let later_start = start + TimeDelta::minutes(later as i64);
        prop_assert!(office.add(later_start, amount) >= office.add(start, amount));
    }
}

#[test]
fn a_calendar_without_working_days_gives_a_far_moment_not_a_hang() {
    let hours = shipped();
    let start = bj(2026, 12, 1, 9, 0);
    let every_day_off = WorkCalendar::new(
        start.date().iter_days().take(4000).map(|day| (day, false)),
        [],
    );
    let office = office(&hours, &every_day_off);
    let due = office.add(start, TimeDelta::hours(1));
    assert!(due > start + TimeDelta::days(3000));
    assert_eq!(office.between(start, due), TimeDelta::zero());
}
