//! The discrete-event simulation: applications arrive, the real engine core (`decide`,
//! `Case::apply`, the definition's plan, the calendars and service hours) moves them, and
//! simulated reviewers take the open tasks of their authority in order of arrival, working
//! only in their authority's hours. Nothing here decides what the engine would: every state,
//! due time and net time is the engine's.

use super::random::{log_normal, poisson};
use super::{Arrival, Scenario, World};
use crate::domain::role::Role;
use crate::domain::timebook::TaskClock;
use crate::domain::workflow::case::{decide, NewPhase, NewTask};
use crate::domain::workflow::WorkflowDefinition;
use crate::domain::workflow::{Actor, AppStatus, Case, Command, Decision, Event, TaskState};
use chrono::{NaiveDateTime, TimeDelta};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

type Time = NaiveDateTime;

/// What one application went through, as the engine left it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub submitted_at: Time,
    pub decided_at: Option<Time>,
    pub status: AppStatus,
    /// The engine's net minutes (gross less waiting for the applicant), once decided.
    pub net_minutes: Option<i64>,
    /// Decided by its statutory deadline (`None` when it never got one: not accepted).
    pub within_statute: Option<bool>,
    /// Every command given to the engine for it, in order: (time, actor, command).
    pub log: Vec<(Time, Actor, Command)>,
}

/// One authority's reviewers and what they did.
#[derive(Debug, Clone)]
pub struct Desk {
    pub code: String,
    pub reviewers: usize,
    busy_until: Vec<Time>,
    /// (application, task index) in order of arrival.
    queue: VecDeque<(usize, usize)>,
    /// Working minutes spent on tasks within the arrival period.
    pub busy_minutes: i64,
    pub max_queue: usize,
}

/// One workflow's run.
#[derive(Debug, Clone)]
pub struct Run {
    pub workflow: String,
    pub outcomes: Vec<Outcome>,
    pub desks: Vec<Desk>,
    /// Commands the engine carried out on tasks (claims and decisions).
    pub task_commands: u64,
    /// Decisions among them: the task completions.
    pub decisions: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    Arrive(usize),
    Done {
        app: usize,
        desk: usize,
        reviewer: usize,
        task: usize,
    },
    Answer(usize),
}

struct Sim<'a> {
    world: &'a World,
    scenario: &'a Scenario,
    definition: &'a WorkflowDefinition,
    rng: StdRng,
    cases: Vec<Case>,
    outcomes: Vec<Outcome>,
    issuers: Vec<(String, u32)>,
    desks: Vec<Desk>,
    desk_of: BTreeMap<String, usize>,
    /// Tasks queued or in service, per application (by task index).
    in_flight: Vec<BTreeSet<usize>>,
    /// Decisions reached while the applicant was being asked, given on the answer:
    /// (desk, reviewer, task index, decision) per application.
    held: Vec<Vec<(usize, usize, usize, Decision)>>,
    heap: BinaryHeap<Reverse<(Time, u64, Happening)>>,
    seq: u64,
    period_end: Time,
    task_commands: u64,
    decisions: u64,
}

fn applicant() -> Actor {
    Actor {
        user_id: "applicant".into(),
        role: Role::Applicant,
        authority: None,
    }
}

fn reviewer_of(code: &str, n: usize) -> Actor {
    Actor {
        user_id: format!("{code}#{n}"),
        role: Role::Reviewer,
        authority: Some(code.to_string()),
    }
}

/// Runs `arrivals` through `definition`. `progress` is told of each application decided.
pub fn run(
    world: &World,
    scenario: &Scenario,
    definition: &WorkflowDefinition,
    arrivals: &[Arrival],
    progress: &dyn Fn(),
) -> Run {
    let mut sim = Sim {
        world,
        scenario,
        definition,
        // Each workflow sees the same arrivals and its own stream of reviewer draws.
        rng: StdRng::seed_from_u64(scenario.seed ^ 0x05ee_d0f7_ea11),
        cases: Vec::with_capacity(arrivals.len()),
        outcomes: Vec::with_capacity(arrivals.len()),
        issuers: Vec::with_capacity(arrivals.len()),
        desks: Vec::new(),
        desk_of: BTreeMap::new(),
        in_flight: Vec::with_capacity(arrivals.len()),
        held: Vec::with_capacity(arrivals.len()),
        heap: BinaryHeap::new(),
        seq: 0,
        period_end: scenario.period_end(world),
        task_commands: 0,
        decisions: 0,
    };
    for (i, arrival) in arrivals.iter().enumerate() {
        sim.schedule(arrival.at, Happening::Arrive(i));
    }
    while let Some(Reverse((now, _, happening))) = sim.heap.pop() {
        match happening {
            Happening::Arrive(i) => sim.arrive(i, &arrivals[i], now),
            Happening::Done {
                app,
                desk,
                reviewer,
                task,
            } => sim.done(app, desk, reviewer, task, now, progress),
            Happening::Answer(app) => sim.answer(app, now, progress),
        }
    }
    Run {
        workflow: definition.name.clone(),
        outcomes: sim.outcomes,
        desks: sim.desks,
        task_commands: sim.task_commands,
        decisions: sim.decisions,
    }
}

impl Sim<'_> {
    fn schedule(&mut self, at: Time, happening: Happening) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, happening)));
    }

    /// Gives `command` to the engine for `app` and folds in what it causes.
    fn command(&mut self, app: usize, actor: Actor, command: Command, now: Time) -> Vec<Event> {
        let events = match decide(&self.cases[app], command.clone(), &actor, now) {
            Ok(events) => events,
            Err(_) => return Vec::new(),
        };
        let case = &mut self.cases[app];
        for e in &events {
            case.apply(e);
        }
        if events.iter().any(|e| matches!(e, Event::Accepted { .. })) {
            let (jurisdiction, days) = &self.issuers[app];
            let time = case.time.0.clone();
            case.start_statute(*days, time.calendar_of(jurisdiction), self.world.timezone);
        }
        self.outcomes[app].log.push((now, actor, command));
        events
    }

    fn arrive(&mut self, i: usize, arrival: &Arrival, now: Time) {
        let issuer = self
            .world
            .tree
            .issuer_for(&arrival.counties)
            .expect("simulated routes lie in one region");
        let template = &self.world.templates[arrival.template];
        let phases: Vec<NewPhase> = self
            .definition
            .plan(&template.spec, &issuer)
            .into_iter()
            .map(|p| NewPhase {
                name: p.name,
                tasks: p
                    .tasks
                    .into_iter()
                    .map(|planned| NewTask {
                        id: String::new(),
                        planned,
                    })
                    .collect(),
            })
            .collect();
        // Task ids are their index in the case, so that a task is found without a search.
        let mut n = 0;
        let phases = phases
            .into_iter()
            .map(|mut p| {
                for t in &mut p.tasks {
                    t.id = n.to_string();
                    n += 1;
                }
                p
            })
            .collect();
        self.cases
            .push(Case::default().timed_by(self.world.time.clone()));
        self.issuers
            .push((issuer.jurisdiction.clone(), template.statutory_days));
        self.in_flight.push(BTreeSet::new());
        self.held.push(Vec::new());
        self.outcomes.push(Outcome {
            submitted_at: now,
            decided_at: None,
            status: AppStatus::Draft,
            net_minutes: None,
            within_statute: None,
            log: Vec::new(),
        });
        self.command(i, applicant(), Command::Submit { phases }, now);
        self.queue_open(i, now);
    }

    /// Queues every open task of `app` not yet queued or in service, and lets its desks work.
    fn queue_open(&mut self, app: usize, now: Time) {
        let mut touched = BTreeSet::new();
        for (index, task) in self.cases[app].tasks.iter().enumerate() {
            if task.state != TaskState::Open || self.in_flight[app].contains(&index) {
                continue;
            }
            let desk = match self.desk_of.get(&task.authority_code) {
                Some(&d) => d,
                None => {
                    let level = self.world.level_of(&task.authority_code);
                    let reviewers = self
                        .scenario
                        .staffing
                        .reviewers(&task.authority_code, level);
                    self.desks.push(Desk {
                        code: task.authority_code.clone(),
                        reviewers,
                        busy_until: vec![Time::MIN; reviewers],
                        queue: VecDeque::new(),
                        busy_minutes: 0,
                        max_queue: 0,
                    });
                    self.desk_of
                        .insert(task.authority_code.clone(), self.desks.len() - 1);
                    self.desks.len() - 1
                }
            };
            self.in_flight[app].insert(index);
            let d = &mut self.desks[desk];
            d.queue.push_back((app, index));
            d.max_queue = d.max_queue.max(d.queue.len());
            touched.insert(desk);
        }
        for desk in touched {
            self.dispatch(desk, now);
        }
    }

    /// Idle reviewers of `desk` claim the oldest queued tasks.
    fn dispatch(&mut self, desk: usize, now: Time) {
        loop {
            let Some(reviewer) = self.desks[desk].busy_until.iter().position(|t| *t <= now) else {
                return;
            };
            let Some((app, index)) = self.desks[desk].queue.pop_front() else {
                return;
            };
            let still_open = self.cases[app]
                .tasks
                .get(index)
                .is_some_and(|t| t.state == TaskState::Open);
            if !still_open {
                self.in_flight[app].remove(&index);
                continue;
            }
            let code = self.desks[desk].code.clone();
            let clock = self.world.time.hours_of(&code);
            let start = next_open(&clock, now);
            let median = self
                .scenario
                .medians
                .minutes(&self.cases[app].tasks[index].step, &code);
            let minutes =
                log_normal(&mut self.rng, median, self.scenario.spread).clamp(3.0, 7200.0);
            let work = TimeDelta::minutes(minutes.round() as i64);
            let done = clock.add(start, work);
            let counted = clock.between(start, done.min(self.period_end));
            self.desks[desk].busy_minutes += counted.num_minutes();
            self.desks[desk].busy_until[reviewer] = done;
            self.command(
                app,
                reviewer_of(&code, reviewer),
                Command::Claim {
                    task_id: index.to_string(),
                },
                start,
            );
            self.task_commands += 1;
            self.schedule(
                done,
                Happening::Done {
                    app,
                    desk,
                    reviewer,
                    task: index,
                },
            );
        }
    }

    fn done(
        &mut self,
        app: usize,
        desk: usize,
        reviewer: usize,
        index: usize,
        now: Time,
        progress: &dyn Fn(),
    ) {
        let decision = self.draw_decision(app, index);
        if self.cases[app].status == AppStatus::InfoRequested {
            // The reviewer's mind is made up; the engine hears it once the applicant answers.
            self.held[app].push((desk, reviewer, index, decision));
        } else {
            self.give(app, desk, reviewer, index, decision, now, progress);
        }
        self.dispatch(desk, now);
    }

    /// Approve mostly; refuse or ask for information at the scenario's shares (never at
    /// issuance).
    fn draw_decision(&mut self, app: usize, index: usize) -> Decision {
        let last_phase = self.cases[app].tasks[index].phase + 1 == self.cases[app].phases.len();
        let draw: f64 = self.rng.random();
        if draw < self.scenario.reject_share {
            Decision::Reject
        } else if draw < self.scenario.reject_share + self.scenario.info_share && !last_phase {
            Decision::RequestInfo
        } else {
            Decision::Approve
        }
    }

    /// The reviewer's decision to the engine, if the task is still theirs (a material change
    /// re-opens it for everyone: the work is lost).
    #[allow(clippy::too_many_arguments)]
    fn give(
        &mut self,
        app: usize,
        desk: usize,
        reviewer: usize,
        index: usize,
        decision: Decision,
        now: Time,
        progress: &dyn Fn(),
    ) {
        let actor = reviewer_of(&self.desks[desk].code, reviewer);
        let held = self.cases[app].tasks.get(index).is_some_and(|t| {
            t.state == TaskState::Claimed && t.assignee.as_deref() == Some(actor.user_id.as_str())
        });
        self.in_flight[app].remove(&index);
        if held {
            let comment = (decision != Decision::Approve).then(|| "simulated".to_string());
            let command = Command::Decide {
                task_id: index.to_string(),
                decision,
                comment,
                conditions: Vec::new(),
            };
            let events = self.command(app, actor, command, now);
            self.task_commands += 1;
            self.decisions += 1;
            if events
                .iter()
                .any(|e| matches!(e, Event::InfoRequested { .. }))
            {
                let hours = log_normal(&mut self.rng, self.scenario.answer_median_hours, 0.7);
                let minutes = (hours * 60.0).round().clamp(10.0, 20_000.0) as i64;
                self.schedule(now + TimeDelta::minutes(minutes), Happening::Answer(app));
            }
            self.settle(app, now, progress);
        }
        self.queue_open(app, now);
    }

    fn answer(&mut self, app: usize, now: Time, progress: &dyn Fn()) {
        let material_change = self.rng.random::<f64>() < self.scenario.material_share;
        let command = Command::Respond {
            message: "simulated answer".into(),
            material_change,
        };
        self.command(app, applicant(), command, now);
        self.settle(app, now, progress);
        for (desk, reviewer, index, decision) in std::mem::take(&mut self.held[app]) {
            if self.cases[app].status == AppStatus::InfoRequested {
                self.held[app].push((desk, reviewer, index, decision));
            } else {
                self.give(app, desk, reviewer, index, decision, now, progress);
            }
        }
        self.queue_open(app, now);
    }

    /// Records the engine's figures once the application is decided.
    fn settle(&mut self, app: usize, now: Time, progress: &dyn Fn()) {
        let case = &self.cases[app];
        let outcome = &mut self.outcomes[app];
        outcome.status = case.status;
        if !case.status.is_terminal() || outcome.decided_at.is_some() {
            return;
        }
        let decided = case.decided_at.unwrap_or(now);
        outcome.decided_at = Some(decided);
        outcome.net_minutes = Some(case.net_minutes(decided));
        outcome.within_statute = case.statutory_deadline(decided).map(|due| decided <= due);
        progress();
    }
}

/// `now` if the clock runs, else the moment it next does.
fn next_open(clock: &TaskClock<'_>, now: Time) -> Time {
    if clock.is_open(now) {
        now
    } else {
        clock.add(now, TimeDelta::minutes(1)) - TimeDelta::minutes(1)
    }
}

/// The arrivals of the period: per local day, a Poisson count around the rate (working days
/// at full rate, other days at `weekend_share` of it), each at an hour drawn from the daily
/// profile, on a route and with a load drawn from the mix.
pub fn arrivals(world: &World, scenario: &Scenario) -> Vec<Arrival> {
    let mut rng = StdRng::seed_from_u64(scenario.seed);
    let calendar = world.time.calendar_of(&world.region);
    let total_weight: f64 = scenario.profile.iter().sum();
    let mut out = Vec::new();
    for day in scenario.from.iter_days().take(scenario.days as usize) {
        let rate = if calendar.is_working_day(day) {
            scenario.arrivals_per_day
        } else {
            scenario.arrivals_per_day * scenario.weekend_share
        };
        for _ in 0..poisson(&mut rng, rate) {
            let mut pick = rng.random::<f64>() * total_weight;
            let hour = scenario
                .profile
                .iter()
                .position(|w| {
                    pick -= w;
                    pick <= 0.0
                })
                .unwrap_or(23);
            let local = day
                .and_hms_opt(hour as u32, rng.random_range(0..60), 0)
                .unwrap_or_default();
            let at = super::to_utc(world.timezone, local);
            let (counties, template) = world.draw_route(&mut rng);
            out.push(Arrival {
                at,
                counties,
                template,
            });
        }
    }
    out.sort_by_key(|a| a.at);
    out
}
