//! Property tests: random command sequences by random actors keep the state machine's
//! invariants.

use super::*;
use proptest::prelude::*;

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
        Step::Withdraw => (Command::Withdraw { reason: None }, applicant()),
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
