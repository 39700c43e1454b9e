use super::*;
use crate::domain::role::Role;
use crate::domain::workflow::definition::PlannedTask;
use chrono::NaiveDate;
use proptest::prelude::*;

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
        decide(&case, Command::Withdraw, &applicant(), mins(300)),
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
        decide(&case, Command::Withdraw, &reviewer("A"), mins(1)),
        Err(DomainError::Forbidden(_))
    ));
    run(&mut case, Command::Withdraw, &applicant(), mins(5)).unwrap();
    assert_eq!(case.status, AppStatus::Withdrawn);
    assert!(case.tasks.iter().all(|t| t.state == TaskState::Cancelled));
}

// ---- property tests: random command sequences keep the invariants ----

#[derive(Debug, Clone)]
enum Step {
    Claim(usize, usize),
    Release(usize, usize),
    Approve(usize, usize, usize),
    Ask(usize, usize),
    Reject(usize, usize),
    Respond(bool),
    Withdraw,
    Wait(i64),
}

const TASKS: [&str; 4] = ["acc", "r1", "r2", "iss"];
const AUTHORITIES: [&str; 3] = ["ISSUER", "A", "B"];

/// The authority of task `t`, or (a quarter of the time) a random one, so that most
/// commands come from someone allowed and sequences reach deep into the lifecycle.
fn arb_authority(t: usize) -> impl Strategy<Value = usize> {
    let own = match TASKS[t] {
        "r1" => 1,
        "r2" => 2,
        _ => 0,
    };
    prop_oneof![3 => Just(own), 1 => 0..3usize]
}

fn arb_step() -> impl Strategy<Value = Step> {
    let task = || 0..4usize;
    prop_oneof![
        3 => task().prop_flat_map(|t| arb_authority(t).prop_map(move |a| Step::Claim(t, a))),
        1 => task().prop_flat_map(|t| arb_authority(t).prop_map(move |a| Step::Release(t, a))),
        12 => (task(), 0..2usize).prop_flat_map(|(t, u)| arb_authority(t).prop_map(move |a| Step::Approve(t, a, u))),
        2 => task().prop_flat_map(|t| arb_authority(t).prop_map(move |a| Step::Ask(t, a))),
        1 => task().prop_flat_map(|t| arb_authority(t).prop_map(move |a| Step::Reject(t, a))),
        3 => any::<bool>().prop_map(Step::Respond),
        1 => Just(Step::Withdraw).boxed(),
        4 => (1..600i64).prop_map(Step::Wait),
    ]
}

fn actor_for(a: usize, u: usize) -> Actor {
    Actor {
        user_id: format!("rev-{a}-{u}"),
        role: Role::Reviewer,
        authority: Some(AUTHORITIES[a].into()),
    }
}

fn command_for(step: &Step) -> Option<(Command, Actor)> {
    Some(match step {
        Step::Claim(t, a) => (
            Command::Claim {
                task_id: TASKS[*t].into(),
            },
            actor_for(*a, 0),
        ),
        Step::Release(t, a) => (
            Command::Release {
                task_id: TASKS[*t].into(),
            },
            actor_for(*a, 0),
        ),
        Step::Approve(t, a, u) => (approve(TASKS[*t]), actor_for(*a, *u)),
        Step::Ask(t, a) => (
            Command::Decide {
                task_id: TASKS[*t].into(),
                decision: Decision::RequestInfo,
                comment: Some("?".into()),
                conditions: vec![],
            },
            actor_for(*a, 0),
        ),
        Step::Reject(t, a) => (
            Command::Decide {
                task_id: TASKS[*t].into(),
                decision: Decision::Reject,
                comment: Some("no".into()),
                conditions: vec![],
            },
            actor_for(*a, 0),
        ),
        Step::Respond(material) => (
            Command::Respond {
                message: "here".into(),
                material_change: *material,
            },
            applicant(),
        ),
        Step::Withdraw => (Command::Withdraw, applicant()),
        Step::Wait(_) => return None,
    })
}

fn check_invariants(case: &Case, now: Time) -> Result<(), TestCaseError> {
    // A phase is done iff every task in it is approved.
    for (i, phase) in case.phases.iter().enumerate() {
        let all_approved = case
            .tasks
            .iter()
            .filter(|t| t.phase == i)
            .all(|t| t.state == TaskState::Approved);
        prop_assert_eq!(phase.state == PhaseState::Done, all_approved, "phase {}", i);
    }
    // At most one phase is open, and every phase before it is done.
    let open: Vec<usize> = case
        .phases
        .iter()
        .enumerate()
        .filter(|(_, p)| p.state == PhaseState::Open)
        .map(|(i, _)| i)
        .collect();
    prop_assert!(open.len() <= 1);
    if let Some(&current) = open.first() {
        prop_assert!(case.phases[..current]
            .iter()
            .all(|p| p.state == PhaseState::Done));
        prop_assert!(!case.status.is_terminal());
    }
    // Time accounting.
    let (gross, paused, net) = (
        case.gross_minutes(now),
        case.paused_minutes_at(now),
        case.net_minutes(now),
    );
    prop_assert!(paused <= gross, "paused {} > gross {}", paused, gross);
    prop_assert_eq!(net, gross - paused);
    // Terminal means nothing pending; issued means every phase done.
    if case.status.is_terminal() {
        prop_assert!(case.tasks.iter().all(|t| !t.is_pending()));
        prop_assert!(case.decided_at.is_some() && case.paused_since.is_none());
    }
    prop_assert_eq!(
        case.status == AppStatus::Issued,
        case.phases.iter().all(|p| p.state == PhaseState::Done)
    );
    prop_assert_eq!(
        case.status == AppStatus::InfoRequested,
        case.paused_since.is_some()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_command_sequences_keep_the_invariants(steps in proptest::collection::vec(arb_step(), 1..60)) {
        let mut case = submitted();
        let mut now = t0();
        for step in &steps {
            if let Step::Wait(m) = step {
                now += TimeDelta::minutes(*m);
                continue;
            }
            let (command, actor) = command_for(step).unwrap();
            let before = case.clone();
            match decide(&case, command, &actor, now) {
                Ok(events) => {
                    prop_assert!(!before.status.is_terminal(), "a terminal application accepted a command");
                    for event in &events {
                        // Every decision lands on a task that was open or claimed by its decider.
                        if let Event::TaskApproved { task_id, by, .. } | Event::InfoRequested { task_id, by, .. } | Event::TaskRejected { task_id, by, .. } = event {
                            let t = case.task(task_id).unwrap();
                            prop_assert!(t.state == TaskState::Open || (t.state == TaskState::Claimed && t.assignee.as_deref() == Some(by.as_str())));
                        }
                        case.apply(event);
                    }
                }
                Err(_) => prop_assert_eq!(&case, &before, "a refused command changed nothing"),
            }
            check_invariants(&case, now)?;
        }
    }
}

#[test]
fn a_task_s_time_runs_from_its_opening_less_the_pauses() {
    let mut case = submitted();
    run(&mut case, approve("acc"), &reviewer("ISSUER"), mins(10)).unwrap();
    assert_eq!(case.task("acc").unwrap().net_minutes(), Some(10));
    assert_eq!(case.task("r2").unwrap().net_minutes(), None, "still open");
    let ask = Command::Decide {
        task_id: "r1".into(),
        decision: Decision::RequestInfo,
        comment: Some("escort plan page 2 missing".into()),
        conditions: vec![],
    };
    run(&mut case, ask, &reviewer("A"), mins(60)).unwrap();
    assert_eq!(
        case.task("r1").unwrap().net_minutes(),
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
    assert_eq!(case.task("r2").unwrap().net_minutes(), Some(170));
    // r1 re-opened with the answer at 180.
    assert_eq!(case.task("r1").unwrap().net_minutes(), Some(60));
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
