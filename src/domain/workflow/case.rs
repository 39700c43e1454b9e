//! One application's journey as a state machine: its states, and `Case::apply`, which folds
//! an event into the state. `command::decide(case, command, actor, now)` returns the events a
//! command causes, or why it cannot happen (`event`). Events are the audit log; e-mails are
//! derived from them.

pub use super::command::{decide, Actor, Command, DomainError};
use super::definition::PlannedTask;
pub use super::event::Event;
use super::time::statutory_due_at;
use crate::domain::calendar::WorkCalendar;
use crate::domain::timebook::{BudgetClock, TaskClock, Timebook};
use chrono::{NaiveDateTime, TimeDelta};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

type Time = NaiveDateTime;

text_enum!(AppStatus {
    Draft = "draft",
    Submitted = "submitted",
    UnderReview = "under_review",
    InfoRequested = "info_requested",
    Issued = "issued",
    NotAccepted = "not_accepted",
    Rejected = "rejected",
    Withdrawn = "withdrawn",
});

text_enum!(TaskState {
    Waiting = "waiting",
    Open = "open",
    Claimed = "claimed",
    Approved = "approved",
    Rejected = "rejected",
    InfoRequested = "info_requested",
    Cancelled = "cancelled",
});

text_enum!(PhaseState { Waiting = "waiting", Open = "open", Done = "done", Cancelled = "cancelled" });

text_enum!(Decision { Approve = "approve", RequestInfo = "request_info", Reject = "reject" });

impl TaskState {
    /// Its authority has still to sign: open, claimed, or waiting for the applicant's answer.
    pub fn awaits_signature(self) -> bool {
        matches!(
            self,
            TaskState::Open | TaskState::Claimed | TaskState::InfoRequested
        )
    }
}

impl AppStatus {
    /// Issued, not accepted, rejected or withdrawn: nothing changes any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            AppStatus::Issued | AppStatus::NotAccepted | AppStatus::Rejected | AppStatus::Withdrawn
        )
    }

    /// Submitted and not yet decided: it counts against the target and can be withdrawn.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            AppStatus::Submitted | AppStatus::UnderReview | AppStatus::InfoRequested
        )
    }

    /// The turnaround clock runs: open and not waiting for the applicant.
    pub fn clock_runs(self) -> bool {
        matches!(self, AppStatus::Submitted | AppStatus::UnderReview)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    pub state: PhaseState,
    pub opened_at: Option<Time>,
    pub completed_at: Option<Time>,
}

/// A review task (审核任务) for one authority in one phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub phase: usize,
    pub step: String,
    pub authority_code: String,
    pub budget_minutes: i64,
    /// Whether the budget counts clock hours or working hours of the authority.
    #[serde(default)]
    pub budget_clock: BudgetClock,
    pub state: TaskState,
    pub assignee: Option<String>,
    pub opened_at: Option<Time>,
    pub claimed_at: Option<Time>,
    pub due_at: Option<Time>,
    pub decided_at: Option<Time>,
    pub decision: Option<Decision>,
    pub conditions: Vec<String>,
    pub comment: Option<String>,
    pub escalation_level: i32,
    /// When the reminder at 75 % of the budget went out, while the task is open.
    #[serde(default)]
    pub reminded_at: Option<Time>,
}

/// Minutes of a budget left at `now` on its clock (negative once overdue), while the task
/// waits for a reviewer (open or claimed).
pub fn remaining_minutes(
    time: &Timebook,
    authority_code: &str,
    budget_clock: BudgetClock,
    state: TaskState,
    due_at: Option<Time>,
    now: Time,
) -> Option<i64> {
    if !matches!(state, TaskState::Open | TaskState::Claimed) {
        return None;
    }
    let clock = time.clock(authority_code, budget_clock);
    Some(clock.remaining(now, due_at?).num_minutes())
}

/// A task is overdue while it waits for a reviewer (open or claimed) past its due time.
pub fn is_overdue(state: TaskState, due_at: Option<Time>, now: Time) -> bool {
    matches!(state, TaskState::Open | TaskState::Claimed) && due_at.is_some_and(|due| due < now)
}

impl Task {
    pub fn is_overdue(&self, now: Time) -> bool {
        is_overdue(self.state, self.due_at, now)
    }

    /// The clock the task's budget runs on.
    pub fn clock<'a>(&self, time: &'a Timebook) -> TaskClock<'a> {
        time.clock(&self.authority_code, self.budget_clock)
    }

    /// Minutes a final decision (approve or reject) took from the task's (re-)opening, on the
    /// task's own clock, less time waiting for the applicant meanwhile (which moved the due
    /// time back).
    pub fn net_minutes(&self, time: &Timebook) -> Option<i64> {
        if !matches!(self.state, TaskState::Approved | TaskState::Rejected) {
            return None;
        }
        let (decided, due) = (self.decided_at?, self.due_at?);
        let early = self.clock(time).remaining(decided, due).num_minutes();
        Some((self.budget_minutes - early).max(0))
    }

    /// Minutes of the budget left at `now` on the task's clock (negative once overdue), while
    /// it waits for a reviewer.
    pub fn remaining_minutes(&self, time: &Timebook, now: Time) -> Option<i64> {
        remaining_minutes(
            time,
            &self.authority_code,
            self.budget_clock,
            self.state,
            self.due_at,
            now,
        )
    }

    /// A task as planned at submission, waiting for its phase.
    fn planned(phase: usize, t: &NewTask) -> Task {
        Task {
            id: t.id.clone(),
            phase,
            step: t.planned.step.clone(),
            authority_code: t.planned.authority_code.clone(),
            budget_minutes: t.planned.budget_minutes,
            budget_clock: t.planned.budget_clock,
            state: TaskState::Waiting,
            assignee: None,
            opened_at: None,
            claimed_at: None,
            due_at: None,
            decided_at: None,
            decision: None,
            conditions: Vec::new(),
            comment: None,
            escalation_level: 0,
            reminded_at: None,
        }
    }

    /// A reviewer's decision, recorded on the task.
    fn record(&mut self, decision: Decision, at: Time, by: &str, comment: Option<String>) {
        self.state = match decision {
            Decision::Approve => TaskState::Approved,
            Decision::RequestInfo => TaskState::InfoRequested,
            Decision::Reject => TaskState::Rejected,
        };
        self.assignee = Some(by.to_string());
        self.decided_at = Some(at);
        self.decision = Some(decision);
        self.comment = comment;
    }

    fn open(&mut self, at: Time, time: &Timebook) {
        self.state = TaskState::Open;
        self.assignee = None;
        self.opened_at = Some(at);
        self.claimed_at = None;
        self.due_at = Some(
            self.clock(time)
                .add(at, TimeDelta::minutes(self.budget_minutes)),
        );
        self.decided_at = None;
        self.decision = None;
        self.conditions.clear();
        self.comment = None;
        self.escalation_level = 0;
        self.reminded_at = None;
    }

    fn is_pending(&self) -> bool {
        matches!(
            self.state,
            TaskState::Waiting | TaskState::Open | TaskState::Claimed | TaskState::InfoRequested
        )
    }
}

/// A task to create at submission, with the id the caller chose for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    pub id: String,
    #[serde(flatten)]
    pub planned: PlannedTask,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPhase {
    pub name: String,
    pub tasks: Vec<NewTask>,
}

/// The calendars and service hours a case's tasks are timed by. Not part of its state: two
/// cases are equal whatever they are timed by, and a case without one counts every budget on
/// the wall clock.
#[derive(Clone, Default)]
pub struct CaseTime(pub Arc<Timebook>);

impl PartialEq for CaseTime {
    fn eq(&self, _: &CaseTime) -> bool {
        true
    }
}

impl std::fmt::Debug for CaseTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaseTime")
    }
}

/// The state of one application in the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub status: AppStatus,
    pub phases: Vec<Phase>,
    pub tasks: Vec<Task>,
    pub submitted_at: Option<Time>,
    pub accepted_at: Option<Time>,
    pub decided_at: Option<Time>,
    pub issued_at: Option<Time>,
    /// Minutes spent waiting for the applicant, not counting a pause still running.
    pub paused_minutes: i64,
    /// Since when the applicant has been asked for information, while they are.
    pub paused_since: Option<Time>,
    /// The statutory deadline: set on acceptance (`start_statute`), moved back by every pause
    /// after it.
    #[serde(default)]
    pub statutory_due_at: Option<Time>,
    #[serde(skip)]
    pub time: CaseTime,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            status: AppStatus::Draft,
            phases: Vec::new(),
            tasks: Vec::new(),
            submitted_at: None,
            accepted_at: None,
            decided_at: None,
            issued_at: None,
            paused_minutes: 0,
            paused_since: None,
            statutory_due_at: None,
            time: CaseTime::default(),
        }
    }
}

fn minutes_between(from: Time, to: Time) -> i64 {
    (to - from).num_minutes().max(0)
}

impl Case {
    /// The case, timed by `time`'s calendars and service hours.
    pub fn timed_by(mut self, time: Arc<Timebook>) -> Case {
        self.time = CaseTime(time);
        self
    }

    pub fn timebook(&self) -> &Timebook {
        &self.time.0
    }

    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    fn task_mut(&mut self, id: &str) -> Option<&mut Task> {
        self.tasks.iter_mut().find(|t| t.id == id)
    }

    /// The phase that is open now, if any.
    pub fn current_phase(&self) -> Option<usize> {
        self.phases.iter().position(|p| p.state == PhaseState::Open)
    }

    /// Minutes from submission to the decision, or to `now` while open.
    pub fn gross_minutes(&self, now: Time) -> i64 {
        match self.submitted_at {
            Some(start) => minutes_between(start, self.decided_at.unwrap_or(now)),
            None => 0,
        }
    }

    /// Minutes waiting for the applicant, including a pause still running at `now`.
    pub fn paused_minutes_at(&self, now: Time) -> i64 {
        let running = match (self.paused_since, self.decided_at) {
            (Some(since), None) => minutes_between(since, now),
            _ => 0,
        };
        self.paused_minutes + running
    }

    pub fn net_minutes(&self, now: Time) -> i64 {
        self.gross_minutes(now) - self.paused_minutes_at(now).min(self.gross_minutes(now))
    }

    /// Submission + the target + every minute spent waiting for the applicant.
    pub fn target_due_at(&self, target_hours: u32, now: Time) -> Option<Time> {
        self.submitted_at.map(|s| {
            s + TimeDelta::hours(i64::from(target_hours))
                + TimeDelta::minutes(self.paused_minutes_at(now))
        })
    }

    /// Starts the statutory clock of an accepted application: the end of the `working_days`th
    /// working day after the day of acceptance, local time.
    pub fn start_statute(&mut self, working_days: u32, calendar: &WorkCalendar, tz: Tz) {
        if let Some(accepted) = self.accepted_at {
            self.statutory_due_at = Some(statutory_due_at(accepted, working_days, calendar, tz));
        }
    }

    /// The statutory deadline at `now`: waiting for the applicant after acceptance, including
    /// a pause still running, does not count against the statute.
    pub fn statutory_deadline(&self, now: Time) -> Option<Time> {
        let running = self.paused_minutes_at(now) - self.paused_minutes;
        self.statutory_due_at
            .map(|due| due + TimeDelta::minutes(running))
    }

    fn end_pause(&mut self, at: Time) -> i64 {
        match self.paused_since.take() {
            Some(since) => {
                let pause = minutes_between(since, at);
                self.paused_minutes += pause;
                pause
            }
            None => 0,
        }
    }

    fn close_everything(&mut self, at: Time) {
        self.end_pause(at);
        self.decided_at = Some(at);
        for task in self.tasks.iter_mut().filter(|t| t.is_pending()) {
            task.state = TaskState::Cancelled;
        }
        for phase in &mut self.phases {
            if matches!(phase.state, PhaseState::Waiting | PhaseState::Open) {
                phase.state = PhaseState::Cancelled;
            }
        }
    }

    /// Folds one event into the state. Events come from `decide`, so they fit the state.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Submitted { at, phases, .. } => self.start(*at, phases),
            Event::PhaseOpened { at, phase } => self.open_phase(*at, *phase),
            Event::TaskClaimed { at, by, task_id } => {
                if let Some(t) = self.task_mut(task_id) {
                    t.state = TaskState::Claimed;
                    t.assignee = Some(by.clone());
                    t.claimed_at = Some(*at);
                }
            }
            Event::TaskReminded { at, task_id } => {
                if let Some(t) = self.task_mut(task_id) {
                    t.reminded_at = Some(*at);
                }
            }
            Event::TaskEscalated { task_id, level, .. } => {
                if let Some(t) = self.task_mut(task_id) {
                    t.escalation_level = t.escalation_level.max(*level);
                }
            }
            Event::TaskReleased { task_id, .. } => {
                if let Some(t) = self.task_mut(task_id) {
                    t.state = TaskState::Open;
                    t.assignee = None;
                    t.claimed_at = None;
                }
            }
            Event::TaskApproved {
                at,
                by,
                task_id,
                comment,
                conditions,
            } => {
                if let Some(t) = self.task_mut(task_id) {
                    t.record(Decision::Approve, *at, by, comment.clone());
                    t.conditions = conditions.clone();
                }
            }
            Event::InfoRequested {
                at,
                by,
                task_id,
                comment,
            } => {
                if let Some(t) = self.task_mut(task_id) {
                    t.record(Decision::RequestInfo, *at, by, Some(comment.clone()));
                }
                self.status = AppStatus::InfoRequested;
                self.paused_since.get_or_insert(*at);
            }
            Event::TaskRejected {
                at,
                by,
                task_id,
                reason,
            } => {
                if let Some(t) = self.task_mut(task_id) {
                    t.record(Decision::Reject, *at, by, Some(reason.clone()));
                }
            }
            Event::Responded {
                at,
                material_change,
                ..
            } => self.resume(*at, *material_change),
            Event::PhaseCompleted { at, phase } => {
                if let Some(p) = self.phases.get_mut(*phase) {
                    p.state = PhaseState::Done;
                    p.completed_at = Some(*at);
                }
            }
            Event::Accepted { at } => {
                self.accepted_at = Some(*at);
                self.status = AppStatus::UnderReview;
            }
            Event::NotAccepted { at, .. } => self.close(*at, AppStatus::NotAccepted),
            Event::Rejected { at, .. } => self.close(*at, AppStatus::Rejected),
            Event::Issued { at } => {
                self.close(*at, AppStatus::Issued);
                self.issued_at = Some(*at);
            }
            Event::Withdrawn { at, .. } => self.close(*at, AppStatus::Withdrawn),
        }
    }

    /// Submission: the phases as planned, every task waiting.
    fn start(&mut self, at: Time, phases: &[NewPhase]) {
        self.status = AppStatus::Submitted;
        self.submitted_at = Some(at);
        self.phases = phases
            .iter()
            .map(|p| Phase {
                name: p.name.clone(),
                state: PhaseState::Waiting,
                opened_at: None,
                completed_at: None,
            })
            .collect();
        self.tasks = phases
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.tasks.iter().map(move |t| Task::planned(i, t)))
            .collect();
    }

    /// A phase opens, and with it each of its waiting tasks.
    fn open_phase(&mut self, at: Time, phase: usize) {
        if let Some(p) = self.phases.get_mut(phase) {
            p.state = PhaseState::Open;
            p.opened_at = Some(at);
        }
        let time = self.time.0.clone();
        for task in self
            .tasks
            .iter_mut()
            .filter(|t| t.phase == phase && t.state == TaskState::Waiting)
        {
            task.open(at, &time);
        }
    }

    /// The applicant answered: the pause ends (moving the statutory deadline and the due times
    /// of tasks that stay open), the asking tasks re-open, and with a material change every
    /// task of the current phase does.
    fn resume(&mut self, at: Time, material_change: bool) {
        let since = self.paused_since.unwrap_or(at);
        let pause = self.end_pause(at);
        let time = self.time.0.clone();
        if let Some(due) = &mut self.statutory_due_at {
            *due += TimeDelta::minutes(pause);
        }
        let current = self.current_phase();
        for task in self.tasks.iter_mut().filter(|t| Some(t.phase) == current) {
            let reopen = match task.state {
                TaskState::InfoRequested => true,
                TaskState::Open | TaskState::Claimed | TaskState::Approved => material_change,
                _ => false,
            };
            if reopen {
                task.open(at, &time);
            } else if matches!(task.state, TaskState::Open | TaskState::Claimed) {
                // Waiting for the applicant does not count against a reviewer's budget: the
                // due time moves by the pause as the task's clock counts it.
                let clock = task.clock(&time);
                let paused = clock.between(since, at);
                task.due_at = task.due_at.map(|d| clock.add(d, paused));
            }
        }
        self.status = if current == Some(0) {
            AppStatus::Submitted
        } else {
            AppStatus::UnderReview
        };
    }

    /// The application ends in `status`: pending tasks and phases are cancelled.
    fn close(&mut self, at: Time, status: AppStatus) {
        self.close_everything(at);
        self.status = status;
    }
}

#[cfg(test)]
#[path = "case_tests.rs"]
mod tests;
