use super::*;
use crate::domain::role::Role;
use crate::domain::workflow::case::{decide, Actor, Command, Decision, NewPhase, NewTask};
use crate::domain::workflow::definition::PlannedTask;
use chrono::NaiveDate;

fn t0() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

fn at(minutes: i64) -> NaiveDateTime {
    t0() + TimeDelta::minutes(minutes)
}

fn actor(role: Role, authority: Option<&str>) -> Actor {
    Actor {
        user_id: "u".into(),
        role,
        authority: authority.map(str::to_string),
    }
}

fn apply(case: &mut Case, command: Command, who: &Actor, when: NaiveDateTime) {
    for e in decide(case, command, who, when).unwrap() {
        case.apply(&e);
    }
}

/// Submitted at 0: acceptance by the issuer (budget 100 minutes), then one review (budget 200).
fn submitted() -> Case {
    let task = |id: &str, authority: &str, budget| NewTask {
        id: id.into(),
        planned: PlannedTask {
            step: id.into(),
            authority_code: authority.into(),
            budget_minutes: budget,
            budget_clock: Default::default(),
        },
    };
    let phases = vec![
        NewPhase {
            name: "acceptance".into(),
            tasks: vec![task("acc", "ISSUER", 100)],
        },
        NewPhase {
            name: "joint_review".into(),
            tasks: vec![task("rev", "POLICE", 200)],
        },
    ];
    let mut case = Case::default();
    apply(
        &mut case,
        Command::Submit { phases },
        &actor(Role::Applicant, None),
        at(0),
    );
    case
}

/// Runs the monitor at `minutes` and applies what it finds, as the service does.
fn monitor(case: &mut Case, minutes: i64) -> Vec<String> {
    let events = due(case, at(minutes));
    for e in &events {
        case.apply(e);
    }
    events
        .iter()
        .map(|e| match e {
            Event::TaskReminded { task_id, .. } => format!("{task_id}:reminder"),
            Event::TaskEscalated { task_id, level, .. } => format!("{task_id}:L{level}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn each_threshold_fires_once_at_its_moment() {
    let mut case = submitted();
    assert!(monitor(&mut case, 74).is_empty(), "74 % of 100 minutes");
    assert_eq!(monitor(&mut case, 75), ["acc:reminder"]);
    assert!(monitor(&mut case, 80).is_empty(), "once");
    assert!(monitor(&mut case, 100).is_empty(), "due, not yet overdue");
    assert_eq!(monitor(&mut case, 101), ["acc:L1"]);
    assert!(monitor(&mut case, 150).is_empty());
    assert_eq!(monitor(&mut case, 151), ["acc:L2"]);
    assert!(monitor(&mut case, 200).is_empty());
    assert_eq!(monitor(&mut case, 201), ["acc:L3"]);
    assert!(
        monitor(&mut case, 10_000).is_empty(),
        "nothing above level 3"
    );
    assert_eq!(case.task("acc").unwrap().escalation_level, 3);
}

#[test]
fn a_monitor_that_was_down_catches_up_without_a_late_reminder() {
    let mut case = submitted();
    assert_eq!(monitor(&mut case, 160), ["acc:L1", "acc:L2"]);
    assert!(case.task("acc").unwrap().reminded_at.is_none());
}

#[test]
fn a_decided_task_is_left_alone_and_the_next_one_counts_from_its_opening() {
    let mut case = submitted();
    monitor(&mut case, 101);
    let issuer = actor(Role::Reviewer, Some("ISSUER"));
    let approve = |task: &str| Command::Decide {
        task_id: task.into(),
        decision: Decision::Approve,
        comment: None,
        conditions: vec![],
    };
    apply(&mut case, approve("acc"), &issuer, at(110));
    // The review opened at 110 with 200 minutes: reminder at 260, level 1 after 310.
    assert!(monitor(&mut case, 259).is_empty());
    assert_eq!(monitor(&mut case, 260), ["rev:reminder"]);
    assert_eq!(monitor(&mut case, 311), ["rev:L1"]);
}

#[test]
fn time_waiting_for_the_applicant_does_not_count() {
    let mut case = submitted();
    let issuer = actor(Role::Reviewer, Some("ISSUER"));
    apply(
        &mut case,
        Command::Decide {
            task_id: "acc".into(),
            decision: Decision::Approve,
            comment: None,
            conditions: vec![],
        },
        &issuer,
        at(0),
    );
    // The police ask at 100 (half their budget); the applicant answers 1,000 minutes later.
    apply(
        &mut case,
        Command::Decide {
            task_id: "rev".into(),
            decision: Decision::RequestInfo,
            comment: Some("page 2".into()),
            conditions: vec![],
        },
        &actor(Role::Reviewer, Some("POLICE")),
        at(100),
    );
    assert!(monitor(&mut case, 500).is_empty(), "paused");
    apply(
        &mut case,
        Command::Respond {
            message: "added".into(),
            material_change: false,
        },
        &actor(Role::Applicant, None),
        at(1_100),
    );
    // Re-opened at 1,100 with a fresh budget of 200 minutes.
    assert!(monitor(&mut case, 1_249).is_empty());
    assert_eq!(monitor(&mut case, 1_250), ["rev:reminder"]);
    assert_eq!(monitor(&mut case, 1_301), ["rev:L1"]);
}

/// The monitor's query loads an application only once a task's stored moment has come: run
/// that way, minute by minute, the ladder records exactly what running it every minute does,
/// whatever the budget.
#[test]
fn the_stored_next_moment_never_skips_a_threshold() {
    for budget in [1, 3, 7, 100, 333, 1_441] {
        let task = |id: &str| NewTask {
            id: id.into(),
            planned: PlannedTask {
                step: id.into(),
                authority_code: "ISSUER".into(),
                budget_minutes: budget,
                budget_clock: Default::default(),
            },
        };
        let phases = vec![NewPhase {
            name: "acceptance".into(),
            tasks: vec![task("acc")],
        }];
        let mut every = Case::default();
        apply(
            &mut every,
            Command::Submit { phases },
            &actor(Role::Applicant, None),
            at(0),
        );
        let mut gated = every.clone();
        let (mut all, mut seen) = (Vec::new(), Vec::new());
        for minute in 0..=budget * 2 + 5 {
            all.extend(monitor(&mut every, minute));
            let moment = next_moment(gated.timebook(), gated.task("acc").unwrap());
            if moment.is_some_and(|m| m <= at(minute)) {
                seen.extend(monitor(&mut gated, minute));
            }
        }
        assert_eq!(seen, all, "budget {budget}");
        assert_eq!(all.len(), 4, "reminder and three levels, budget {budget}");
        assert_eq!(
            next_moment(gated.timebook(), gated.task("acc").unwrap()),
            None,
            "past level 3"
        );
    }
}

#[test]
fn the_next_moment_follows_the_ladder() {
    let mut case = submitted();
    let next = |case: &Case| next_moment(case.timebook(), case.task("acc").unwrap());
    assert_eq!(next(&case), Some(at(75)));
    monitor(&mut case, 75);
    assert_eq!(next(&case), Some(at(100)));
    monitor(&mut case, 101);
    assert_eq!(next(&case), Some(at(150)));
    monitor(&mut case, 151);
    assert_eq!(next(&case), Some(at(200)));
    assert_eq!(
        next_moment(case.timebook(), case.task("rev").unwrap()),
        None,
        "waiting"
    );
}

/// The shipped service hours on a calendar with the 2026 National Day week off.
fn office_time() -> std::sync::Arc<Timebook> {
    use crate::domain::calendar::{Calendars, NATIONAL};
    use crate::domain::hours::{ServiceHours, SHIPPED_SERVICE_HOURS};
    let days = (1..=7).map(|d| {
        (
            NATIONAL.to_string(),
            NaiveDate::from_ymd_opt(2026, 10, d).unwrap(),
            false,
        )
    });
    let calendars = Calendars::new(days, [(NATIONAL.to_string(), 2026)], []);
    std::sync::Arc::new(Timebook::new(
        std::sync::Arc::new(ServiceHours::from_toml(SHIPPED_SERVICE_HOURS).unwrap()),
        std::sync::Arc::new(calendars),
    ))
}

/// A transport bureau's acceptance of 4 working hours, submitted at `start`.
fn working_acceptance(start: NaiveDateTime) -> Case {
    let phases = vec![NewPhase {
        name: "acceptance".into(),
        tasks: vec![NewTask {
            id: "acc".into(),
            planned: PlannedTask {
                step: "acceptance".into(),
                authority_code: "652328-TRANSPORT".into(),
                budget_minutes: 240,
                budget_clock: crate::domain::timebook::BudgetClock::Working,
            },
        }],
    }];
    let mut case = Case::default().timed_by(office_time());
    apply(
        &mut case,
        Command::Submit { phases },
        &actor(Role::Applicant, None),
        start,
    );
    case
}

/// Beijing local time as UTC.
fn bj(m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap()
        - TimeDelta::hours(8)
}

#[test]
fn in_working_hours_nothing_fires_at_night_and_the_ladder_climbs_by_day() {
    // Opened Tue 1 Dec at 19:00: 30 minutes today, the rest from 10:00 tomorrow; due 13:30.
    let mut case = working_acceptance(bj(12, 1, 19, 0));
    assert_eq!(case.task("acc").unwrap().due_at, Some(bj(12, 2, 13, 30)));
    let mut fired = Vec::new();
    for when in [
        bj(12, 1, 23, 0),
        bj(12, 2, 3, 0),
        bj(12, 2, 9, 59),
        bj(12, 2, 12, 30), // 180 of 240 working minutes: the reminder
        bj(12, 2, 13, 31), // overdue: level 1
        bj(12, 2, 15, 0),  // the lunch break: the clock stands at 270
        bj(12, 2, 17, 1),  // 361 > 150 %: level 2
        bj(12, 2, 19, 0),  // 480 working minutes: 200 %, not past it
        bj(12, 2, 19, 1),  // level 3
        bj(12, 3, 3, 0),   // at night: nothing is left
        bj(12, 3, 10, 31),
    ] {
        let events = due(&case, when);
        for e in &events {
            case.apply(e);
        }
        fired.push(events.len());
    }
    assert_eq!(fired, [0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0]);
    assert_eq!(case.task("acc").unwrap().escalation_level, 3);
}

#[test]
fn the_stored_moment_is_the_working_time_threshold() {
    let mut case = working_acceptance(bj(12, 1, 19, 0));
    let next = |case: &Case| next_moment(case.timebook(), case.task("acc").unwrap());
    // The reminder at 180 working minutes: 30 on the evening, 150 from 10:00 → 12:30.
    assert_eq!(next(&case), Some(bj(12, 2, 12, 30)));
    for e in due(&case, bj(12, 2, 12, 30)) {
        case.apply(&e);
    }
    // Level 1 at the due time, 240 working minutes.
    assert_eq!(next(&case), Some(bj(12, 2, 13, 30)));
    for e in due(&case, bj(12, 2, 13, 31)) {
        case.apply(&e);
    }
    // Level 2 at 360 working minutes: 270 by 14:00, the lunch break, 90 from 15:30 → 17:00
    // (on the wall clock it would be 15:30).
    assert_eq!(next(&case), Some(bj(12, 2, 17, 0)));
}

#[test]
fn waiting_for_the_applicant_moves_a_working_due_time_by_the_working_time_it_took() {
    // Two reviews on working hours; one asks for information at 11:00, answered at 16:30.
    let time = office_time();
    let task = |id: &str| NewTask {
        id: id.into(),
        planned: PlannedTask {
            step: id.into(),
            authority_code: format!("6523{id}-TRANSPORT"),
            budget_minutes: 240,
            budget_clock: crate::domain::timebook::BudgetClock::Working,
        },
    };
    let phases = vec![NewPhase {
        name: "acceptance".into(),
        tasks: vec![task("25"), task("28")],
    }];
    let mut case = Case::default().timed_by(time);
    apply(
        &mut case,
        Command::Submit { phases },
        &actor(Role::Applicant, None),
        bj(12, 1, 10, 0),
    );
    assert_eq!(case.task("28").unwrap().due_at, Some(bj(12, 1, 14, 0)));
    apply(
        &mut case,
        Command::Decide {
            task_id: "25".into(),
            decision: Decision::RequestInfo,
            comment: Some("which axle loads?".into()),
            conditions: vec![],
        },
        &actor(Role::Reviewer, Some("652325-TRANSPORT")),
        bj(12, 1, 11, 0),
    );
    apply(
        &mut case,
        Command::Respond {
            message: "attached".into(),
            material_change: false,
        },
        &actor(Role::Applicant, None),
        bj(12, 1, 16, 30),
    );
    // The pause took 11:00–14:00 and 15:30–16:30 of office time, 4 h: the other task's due
    // moves from 14:00 by 4 working hours, to 19:30 (15:30 + 4 h).
    assert_eq!(case.task("28").unwrap().due_at, Some(bj(12, 1, 19, 30)));
    // The asking task opens again with its whole budget: 16:30–19:30 and 10:00–11:00.
    assert_eq!(case.task("25").unwrap().due_at, Some(bj(12, 2, 11, 0)));
}
