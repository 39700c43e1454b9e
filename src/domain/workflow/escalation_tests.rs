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
            let moment = next_moment(gated.task("acc").unwrap());
            if moment.is_some_and(|m| m <= at(minute)) {
                seen.extend(monitor(&mut gated, minute));
            }
        }
        assert_eq!(seen, all, "budget {budget}");
        assert_eq!(all.len(), 4, "reminder and three levels, budget {budget}");
        assert_eq!(
            next_moment(gated.task("acc").unwrap()),
            None,
            "past level 3"
        );
    }
}

#[test]
fn the_next_moment_follows_the_ladder() {
    let mut case = submitted();
    let next = |case: &Case| next_moment(case.task("acc").unwrap());
    assert_eq!(next(&case), Some(at(75)));
    monitor(&mut case, 75);
    assert_eq!(next(&case), Some(at(100)));
    monitor(&mut case, 101);
    assert_eq!(next(&case), Some(at(150)));
    monitor(&mut case, 151);
    assert_eq!(next(&case), Some(at(200)));
    assert_eq!(next_moment(case.task("rev").unwrap()), None, "waiting");
}
