use super::*;
use crate::domain::role::Role;
use crate::domain::workflow::definition::PlannedTask;
use chrono::NaiveDate;

fn t0() -> Time {
    NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

fn mins(m: i64) -> Time {
    t0() + TimeDelta::minutes(m)
}

fn new_task(id: &str, authority: &str, budget: i64) -> NewTask {
    NewTask {
        id: id.into(),
        planned: PlannedTask {
            step: format!("step_{id}"),
            authority_code: authority.into(),
            budget_minutes: budget,
            budget_clock: Default::default(),
        },
    }
}

/// Acceptance by the issuer, two parallel reviews, issuance.
fn plan() -> Vec<NewPhase> {
    vec![
        NewPhase {
            name: "acceptance".into(),
            tasks: vec![new_task("acc", "ISSUER", 120)],
        },
        NewPhase {
            name: "joint_review".into(),
            tasks: vec![new_task("r1", "A", 720), new_task("r2", "B", 720)],
        },
        NewPhase {
            name: "issuance".into(),
            tasks: vec![new_task("iss", "ISSUER", 240)],
        },
    ]
}

fn applicant() -> Actor {
    Actor {
        user_id: "app".into(),
        role: Role::Applicant,
        authority: None,
    }
}

fn reviewer(authority: &str) -> Actor {
    Actor {
        user_id: format!("rev-{authority}"),
        role: Role::Reviewer,
        authority: Some(authority.into()),
    }
}

fn run(
    case: &mut Case,
    command: Command,
    actor: &Actor,
    at: Time,
) -> Result<Vec<Event>, DomainError> {
    let events = decide(case, command, actor, at)?;
    for e in &events {
        case.apply(e);
    }
    Ok(events)
}

fn approve(task: &str) -> Command {
    Command::Decide {
        task_id: task.into(),
        decision: Decision::Approve,
        comment: None,
        conditions: vec![],
    }
}

fn submitted() -> Case {
    let mut case = Case::default();
    run(
        &mut case,
        Command::Submit { phases: plan() },
        &applicant(),
        t0(),
    )
    .unwrap();
    case
}

#[test]
fn a_whole_lifecycle() {
    let mut case = submitted();
    assert_eq!(case.status, AppStatus::Submitted);
    assert_eq!(case.task("acc").unwrap().state, TaskState::Open);
    assert_eq!(case.task("acc").unwrap().due_at, Some(mins(120)));
    assert_eq!(case.task("r1").unwrap().state, TaskState::Waiting);

    let events = run(&mut case, approve("acc"), &reviewer("ISSUER"), mins(30)).unwrap();
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    assert_eq!(
        kinds,
        vec![
            "task_approved",
            "phase_completed",
            "accepted",
            "phase_opened"
        ]
    );
    assert_eq!(case.status, AppStatus::UnderReview);
    assert_eq!(case.accepted_at, Some(mins(30)));
    assert_eq!(
        case.task("r1").unwrap().due_at,
        Some(mins(30 + 720)),
        "both reviews open at once"
    );
    assert_eq!(case.task("r2").unwrap().state, TaskState::Open);

    let c = Command::Decide {
        task_id: "r1".into(),
        decision: Decision::Approve,
        comment: Some("ok".into()),
        conditions: vec![
            "night travel only".into(),
            " night travel only ".into(),
            "".into(),
        ],
    };
    run(&mut case, c, &reviewer("A"), mins(100)).unwrap();
    assert_eq!(
        case.task("r1").unwrap().conditions,
        vec!["night travel only".to_string()]
    );
    assert_eq!(
        case.phases[1].state,
        PhaseState::Open,
        "one review still open"
    );
    run(&mut case, approve("r2"), &reviewer("B"), mins(200)).unwrap();
    assert_eq!(case.phases[2].state, PhaseState::Open);
    let events = run(&mut case, approve("iss"), &reviewer("ISSUER"), mins(260)).unwrap();
    assert_eq!(events.last().unwrap().kind(), "issued");
    assert_eq!(case.status, AppStatus::Issued);
    assert_eq!(
        case.gross_minutes(mins(9999)),
        260,
        "the clock stops at the decision"
    );
    assert_eq!(case.net_minutes(mins(9999)), 260);
    // Nothing moves after the end.
    assert!(matches!(
        decide(
            &case,
            Command::Withdraw { reason: None },
            &applicant(),
            mins(300)
        ),
        Err(DomainError::Conflict(_))
    ));
}

#[test]
fn only_the_tasks_authority_decides_and_a_claim_is_respected() {
    let mut case = submitted();
    assert_eq!(
        decide(&case, approve("acc"), &reviewer("A"), mins(1)),
        Err(DomainError::Forbidden(
            "only a reviewer of the task's authority"
        ))
    );
    assert_eq!(
        decide(&case, approve("acc"), &applicant(), mins(1)),
        Err(DomainError::Forbidden(
            "only a reviewer of the task's authority"
        ))
    );
    assert_eq!(
        decide(&case, approve("nope"), &reviewer("ISSUER"), mins(1)),
        Err(DomainError::UnknownTask)
    );
    assert!(
        matches!(
            decide(&case, approve("r1"), &reviewer("A"), mins(1)),
            Err(DomainError::Conflict(_))
        ),
        "waiting"
    );

    run(
        &mut case,
        Command::Claim {
            task_id: "acc".into(),
        },
        &reviewer("ISSUER"),
        mins(1),
    )
    .unwrap();
    let colleague = Actor {
        user_id: "other".into(),
        ..reviewer("ISSUER")
    };
    assert!(matches!(
        decide(&case, approve("acc"), &colleague, mins(2)),
        Err(DomainError::Conflict(_))
    ));
    assert!(matches!(
        decide(
            &case,
            Command::Claim {
                task_id: "acc".into()
            },
            &colleague,
            mins(2)
        ),
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(
        decide(
            &case,
            Command::Claim {
                task_id: "acc".into()
            },
            &reviewer("ISSUER"),
            mins(2)
        ),
        Ok(vec![]),
        "claiming again is harmless"
    );
    run(
        &mut case,
        Command::Release {
            task_id: "acc".into(),
        },
        &reviewer("ISSUER"),
        mins(3),
    )
    .unwrap();
    assert_eq!(case.task("acc").unwrap().state, TaskState::Open);
    run(&mut case, approve("acc"), &colleague, mins(4)).unwrap();
    assert_eq!(
        case.task("acc").unwrap().assignee.as_deref(),
        Some("other"),
        "a decision claims"
    );
}

#[test]
fn reject_and_request_info_need_a_comment() {
    let case = submitted();
    for decision in [Decision::Reject, Decision::RequestInfo] {
        let c = Command::Decide {
            task_id: "acc".into(),
            decision,
            comment: Some("  ".into()),
            conditions: vec![],
        };
        assert_eq!(
            decide(&case, c, &reviewer("ISSUER"), mins(1)),
            Err(DomainError::Required("comment"))
        );
    }
}

#[test]
fn rejection_at_acceptance_is_not_accepted_later_rejected_and_cancels_the_rest() {
    let mut case = submitted();
    let reject = |task: &str| Command::Decide {
        task_id: task.into(),
        decision: Decision::Reject,
        comment: Some("divisible".into()),
        conditions: vec![],
    };
    let mut early = case.clone();
    run(&mut early, reject("acc"), &reviewer("ISSUER"), mins(5)).unwrap();
    assert_eq!(early.status, AppStatus::NotAccepted);

    run(&mut case, approve("acc"), &reviewer("ISSUER"), mins(5)).unwrap();
    run(&mut case, reject("r1"), &reviewer("A"), mins(50)).unwrap();
    assert_eq!(case.status, AppStatus::Rejected);
    assert_eq!(case.task("r2").unwrap().state, TaskState::Cancelled);
    assert_eq!(case.task("iss").unwrap().state, TaskState::Cancelled);
    assert_eq!(case.phases[2].state, PhaseState::Cancelled);
    assert_eq!(case.decided_at, Some(mins(50)));
}

#[test]
fn an_information_round_pauses_the_clock() {
    let mut case = submitted();
    run(&mut case, approve("acc"), &reviewer("ISSUER"), mins(10)).unwrap();
    let ask = Command::Decide {
        task_id: "r1".into(),
        decision: Decision::RequestInfo,
        comment: Some("escort plan page 2 missing".into()),
        conditions: vec![],
    };
    run(&mut case, ask, &reviewer("A"), mins(60)).unwrap();
    assert_eq!(case.status, AppStatus::InfoRequested);
    assert_eq!(case.paused_minutes_at(mins(100)), 40, "the pause runs");
    assert_eq!(case.net_minutes(mins(100)), 60);
    // Another reviewer may go on meanwhile.
    run(&mut case, approve("r2"), &reviewer("B"), mins(70)).unwrap();
    run(
        &mut case,
        Command::Respond {
            message: "attached".into(),
            material_change: false,
        },
        &applicant(),
        mins(180),
    )
    .unwrap();
    assert_eq!(case.status, AppStatus::UnderReview);
    assert_eq!(case.paused_minutes, 120);
    assert_eq!(
        case.task("r1").unwrap().state,
        TaskState::Open,
        "the asking task re-opens"
    );
    assert_eq!(case.task("r1").unwrap().due_at, Some(mins(180 + 720)));
    assert_eq!(
        case.task("r2").unwrap().state,
        TaskState::Approved,
        "no material change: the approval stands"
    );
    assert_eq!(case.target_due_at(24, mins(200)), Some(mins(24 * 60 + 120)));
    assert_eq!(case.net_minutes(mins(200)), 80);
}

#[test]
fn a_material_change_reopens_the_whole_phase() {
    let mut case = submitted();
    run(&mut case, approve("acc"), &reviewer("ISSUER"), mins(10)).unwrap();
    run(&mut case, approve("r2"), &reviewer("B"), mins(20)).unwrap();
    let ask = Command::Decide {
        task_id: "r1".into(),
        decision: Decision::RequestInfo,
        comment: Some("route?".into()),
        conditions: vec![],
    };
    run(&mut case, ask, &reviewer("A"), mins(30)).unwrap();
    run(
        &mut case,
        Command::Respond {
            message: "new route".into(),
            material_change: true,
        },
        &applicant(),
        mins(40),
    )
    .unwrap();
    assert_eq!(case.task("r1").unwrap().state, TaskState::Open);
    assert_eq!(
        case.task("r2").unwrap().state,
        TaskState::Open,
        "the approval is re-opened"
    );
    assert_eq!(case.task("r2").unwrap().decision, None);
    assert_eq!(
        case.task("acc").unwrap().state,
        TaskState::Approved,
        "earlier phases stay done"
    );
}

#[test]
fn the_applicant_withdraws_and_answers_only_when_asked() {
    let mut case = submitted();
    assert!(matches!(
        decide(
            &case,
            Command::Respond {
                message: "x".into(),
                material_change: false
            },
            &applicant(),
            mins(1)
        ),
        Err(DomainError::Conflict(_))
    ));
    assert!(matches!(
        decide(
            &case,
            Command::Withdraw { reason: None },
            &reviewer("A"),
            mins(1)
        ),
        Err(DomainError::Forbidden(_))
    ));
    run(
        &mut case,
        Command::Withdraw { reason: None },
        &applicant(),
        mins(5),
    )
    .unwrap();
    assert_eq!(case.status, AppStatus::Withdrawn);
    assert!(case.tasks.iter().all(|t| t.state == TaskState::Cancelled));
}

#[test]
fn a_task_s_time_runs_from_its_opening_less_the_pauses() {
    let mut case = submitted();
    run(&mut case, approve("acc"), &reviewer("ISSUER"), mins(10)).unwrap();
    assert_eq!(
        case.task("acc").unwrap().net_minutes(&Timebook::wall()),
        Some(10)
    );
    assert_eq!(
        case.task("r2").unwrap().net_minutes(&Timebook::wall()),
        None,
        "still open"
    );
    let ask = Command::Decide {
        task_id: "r1".into(),
        decision: Decision::RequestInfo,
        comment: Some("escort plan page 2 missing".into()),
        conditions: vec![],
    };
    run(&mut case, ask, &reviewer("A"), mins(60)).unwrap();
    assert_eq!(
        case.task("r1").unwrap().net_minutes(&Timebook::wall()),
        None,
        "asking is no decision"
    );
    let answer = Command::Respond {
        message: "attached".into(),
        material_change: false,
    };
    run(&mut case, answer, &applicant(), mins(180)).unwrap();
    run(&mut case, approve("r1"), &reviewer("A"), mins(240)).unwrap();
    run(&mut case, approve("r2"), &reviewer("B"), mins(300)).unwrap();
    // r2 was open from 10 to 300, 120 of them waiting for the applicant.
    assert_eq!(
        case.task("r2").unwrap().net_minutes(&Timebook::wall()),
        Some(170)
    );
    // r1 re-opened with the answer at 180.
    assert_eq!(
        case.task("r1").unwrap().net_minutes(&Timebook::wall()),
        Some(60)
    );
}

#[test]
fn the_statutory_deadline_starts_at_acceptance_and_moves_with_later_pauses() {
    let calendar = crate::domain::calendar::WorkCalendar::default();
    let tz = chrono_tz::Asia::Shanghai;
    let mut case = submitted();
    case.start_statute(2, &calendar, tz);
    assert_eq!(case.statutory_due_at, None, "not accepted yet");
    run(&mut case, approve("acc"), &reviewer("ISSUER"), mins(10)).unwrap();
    case.start_statute(2, &calendar, tz);
    // Accepted Tue 1 Dec 08:10 Shanghai: the end of Thu 3 Dec, local.
    let base = NaiveDate::from_ymd_opt(2026, 12, 3)
        .unwrap()
        .and_hms_opt(16, 0, 0)
        .unwrap();
    assert_eq!(case.statutory_due_at, Some(base));
    let ask = Command::Decide {
        task_id: "r1".into(),
        decision: Decision::RequestInfo,
        comment: Some("page 2".into()),
        conditions: vec![],
    };
    run(&mut case, ask, &reviewer("A"), mins(60)).unwrap();
    assert_eq!(
        case.statutory_deadline(mins(100)),
        Some(base + TimeDelta::minutes(40)),
        "a running pause moves it as it runs"
    );
    let answer = Command::Respond {
        message: "attached".into(),
        material_change: false,
    };
    run(&mut case, answer, &applicant(), mins(150)).unwrap();
    let moved = base + TimeDelta::minutes(90);
    assert_eq!(case.statutory_due_at, Some(moved));
    assert_eq!(case.statutory_deadline(mins(500)), Some(moved));
}

#[path = "case_invariants_tests.rs"]
mod invariants;
