use super::*;
use crate::domain::workflow::case::decide;
use crate::domain::workflow::{Case, Command};
use chrono::Timelike;

fn world(from: NaiveDate) -> World {
    World::load(
        Path::new("/nonexistent"),
        chrono_tz::Asia::Shanghai,
        24,
        from,
    )
    .unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn both() -> Vec<String> {
    vec!["joint".into(), "serial".into()]
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let from = d(2026, 3, 2);
    let world = world(from);
    let scenario = Scenario::new(from, 7, 30.0, 2, 11);
    let (a, _) = simulate(&world, &scenario, &both(), &|_, _| {}).unwrap();
    let (b, _) = simulate(&world, &scenario, &both(), &|_, _| {}).unwrap();
    assert_eq!(a, b);
    assert!(a.workflows[0].applications > 100, "{:?}", a.workflows[0]);
    let other = Scenario {
        seed: 12,
        ..scenario
    };
    let (c, _) = simulate(&world, &other, &both(), &|_, _| {}).unwrap();
    assert_ne!(a.workflows, c.workflows);
}

#[test]
fn joint_review_is_faster_than_serial_on_the_shipped_data() {
    let from = d(2026, 3, 2);
    let world = world(from);
    let scenario = Scenario::new(from, 28, 40.0, 2, 7);
    let (outcome, _) = simulate(&world, &scenario, &both(), &|_, _| {}).unwrap();
    let (joint, serial) = (&outcome.workflows[0], &outcome.workflows[1]);
    assert_eq!(
        (joint.workflow.as_str(), serial.workflow.as_str()),
        ("joint", "serial")
    );
    assert_eq!(joint.applications, serial.applications, "the same arrivals");
    assert!(
        joint.median_net_hours < serial.median_net_hours,
        "{joint:?}\n{serial:?}"
    );
    assert!(
        joint.p90_net_hours < serial.p90_net_hours,
        "{joint:?}\n{serial:?}"
    );
    assert!(
        joint.within_target_pct > serial.within_target_pct,
        "{joint:?}\n{serial:?}"
    );
}

#[test]
fn every_net_time_is_what_the_engine_computes_for_the_same_commands() {
    let from = d(2026, 2, 9);
    let world = world(from);
    // Across the Spring Festival, with information rounds and refusals.
    let mut scenario = Scenario::new(from, 21, 25.0, 1, 5);
    scenario.info_share = 0.15;
    scenario.reject_share = 0.03;
    let (outcome, runs) = simulate(&world, &scenario, &both(), &|_, _| {}).unwrap();
    let mut rounds = 0;
    for run in &runs {
        for o in &run.outcomes {
            // A fresh case, the same commands at the same times: the engine's own figures.
            let mut case = Case::default().timed_by(world.time.clone());
            for (at, actor, command) in &o.log {
                for e in decide(&case, command.clone(), actor, *at).unwrap() {
                    case.apply(&e);
                }
                rounds += matches!(command, Command::Respond { .. }) as usize;
            }
            assert_eq!(case.status, o.status);
            assert_eq!(case.decided_at, o.decided_at);
            assert_eq!(
                o.net_minutes,
                case.decided_at.map(|at| case.net_minutes(at))
            );
            // Net time is gross less the time waiting for the applicant.
            if let (Some(net), Some(decided)) = (o.net_minutes, o.decided_at) {
                let gross = (decided - o.submitted_at).num_minutes();
                assert_eq!(net, gross - case.paused_minutes.min(gross));
            }
        }
    }
    assert!(rounds > 10, "information rounds were simulated: {rounds}");
    let decided: usize = outcome
        .workflows
        .iter()
        .map(|s| s.issued + s.rejected)
        .sum();
    assert_eq!(
        decided,
        outcome
            .workflows
            .iter()
            .map(|s| s.applications)
            .sum::<usize>(),
        "all decided"
    );
}

#[test]
fn arrivals_follow_the_calendar_and_the_daily_profile() {
    let from = d(2026, 2, 9);
    let world = world(from);
    let scenario = Scenario::new(from, 21, 40.0, 1, 3);
    let arrivals = model::arrivals(&world, &scenario);
    let per_day = |day: NaiveDate| {
        arrivals
            .iter()
            .filter(|a| (a.at + chrono::TimeDelta::hours(8)).date() == day)
            .count()
    };
    // Working Monday 9 Feb against Tuesday 17 Feb in the Spring Festival.
    assert!(per_day(d(2026, 2, 10)) > 25, "{}", per_day(d(2026, 2, 10)));
    assert!(per_day(d(2026, 2, 17)) < 15, "{}", per_day(d(2026, 2, 17)));
    let night = arrivals
        .iter()
        .filter(|a| (a.at + chrono::TimeDelta::hours(8)).hour() < 6)
        .count();
    assert!(
        night * 20 < arrivals.len(),
        "few file at night: {night} of {}",
        arrivals.len()
    );
}

#[test]
fn options_name_what_is_wrong() {
    use super::cli::{workflows, SimulateArgs};
    use clap::Parser;
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SimulateArgs,
    }
    let parse = |line: &[&str]| {
        let mut argv = vec!["simulate"];
        argv.extend_from_slice(line);
        Wrapper::try_parse_from(argv)
            .unwrap()
            .args
            .scenario(d(2026, 3, 2))
    };
    assert!(parse(&["--days", "0"])
        .unwrap_err()
        .to_string()
        .contains("--days"));
    assert!(parse(&["--info-share", "1.5"])
        .unwrap_err()
        .to_string()
        .contains("--info-share"));
    let err = parse(&["--reviewers-of", "POLICE"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--reviewers-of") && err.contains("WHO=NUMBER"),
        "{err}"
    );
    let scenario = parse(&[
        "--reviewers-of",
        "county:police=2",
        "--reviewers-of",
        "652328-police=3",
        "--median",
        "police=20",
    ])
    .unwrap();
    let world = world(d(2026, 3, 2));
    let reviewers = |code: &str| scenario.staffing.reviewers(code, world.level_of(code));
    assert_eq!(reviewers("652325-POLICE"), 2);
    assert_eq!(
        reviewers("652300-POLICE"),
        1,
        "prefecture police keep the default"
    );
    assert_eq!(reviewers("652328-POLICE"), 3);
    assert_eq!(
        scenario.medians.minutes("county_police", "652325-POLICE"),
        20.0
    );
    assert!(workflows(Some("parallel"))
        .unwrap_err()
        .to_string()
        .contains("--workflow"));
    assert_eq!(workflows(None).unwrap(), both());
}
