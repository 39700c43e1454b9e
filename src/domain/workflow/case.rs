//! One application's journey as a state machine: `decide(case, command, actor, now)` returns
//! the events the command causes, or why it cannot happen; `Case::apply` folds an event into
//! the state. Events are the audit log; emails are derived from them.

use super::definition::PlannedTask;
use super::time::statutory_due_at;
use crate::domain::calendar::WorkCalendar;
use crate::domain::role::Role;
use chrono::{NaiveDateTime, TimeDelta};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

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

/// A task is overdue while it waits for a reviewer (open or claimed) past its due time.
pub fn is_overdue(state: TaskState, due_at: Option<Time>, now: Time) -> bool {
    matches!(state, TaskState::Open | TaskState::Claimed) && due_at.is_some_and(|due| due < now)
}

impl Task {
    pub fn is_overdue(&self, now: Time) -> bool {
        is_overdue(self.state, self.due_at, now)
    }

    /// Minutes a final decision (approve or reject) took from the task's (re-)opening, less
    /// time waiting for the applicant meanwhile (which moved the due time back).
    pub fn net_minutes(&self) -> Option<i64> {
        if !matches!(self.state, TaskState::Approved | TaskState::Rejected) {
            return None;
        }
        let (decided, due) = (self.decided_at?, self.due_at?);
        Some(((decided - due).num_minutes() + self.budget_minutes).max(0))
    }

    /// A task as planned at submission, waiting for its phase.
    fn planned(phase: usize, t: &NewTask) -> Task {
        Task {
            id: t.id.clone(),
            phase,
            step: t.planned.step.clone(),
            authority_code: t.planned.authority_code.clone(),
            budget_minutes: t.planned.budget_minutes,
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

    fn open(&mut self, at: Time) {
        self.state = TaskState::Open;
        self.assignee = None;
        self.opened_at = Some(at);
        self.claimed_at = None;
        self.due_at = Some(at + TimeDelta::minutes(self.budget_minutes));
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
        }
    }
}

/// Who gives a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
    /// A reviewer's authority.
    pub authority: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Submit {
        phases: Vec<NewPhase>,
    },
    Claim {
        task_id: String,
    },
    Release {
        task_id: String,
    },
    Decide {
        task_id: String,
        decision: Decision,
        comment: Option<String>,
        conditions: Vec<String>,
    },
    /// The applicant answers an information request; `material_change` when cargo, vehicle or
    /// route changed, which re-opens every task of the current phase.
    Respond {
        message: String,
        material_change: bool,
    },
    Withdraw,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Submitted {
        at: Time,
        by: String,
        phases: Vec<NewPhase>,
    },
    PhaseOpened {
        at: Time,
        phase: usize,
    },
    TaskClaimed {
        at: Time,
        by: String,
        task_id: String,
    },
    TaskReleased {
        at: Time,
        by: String,
        task_id: String,
    },
    TaskApproved {
        at: Time,
        by: String,
        task_id: String,
        comment: Option<String>,
        conditions: Vec<String>,
    },
    InfoRequested {
        at: Time,
        by: String,
        task_id: String,
        comment: String,
    },
    TaskRejected {
        at: Time,
        by: String,
        task_id: String,
        reason: String,
    },
    Responded {
        at: Time,
        by: String,
        message: String,
        material_change: bool,
    },
    PhaseCompleted {
        at: Time,
        phase: usize,
    },
    Accepted {
        at: Time,
    },
    NotAccepted {
        at: Time,
        reason: String,
    },
    Rejected {
        at: Time,
        reason: String,
    },
    Issued {
        at: Time,
    },
    Withdrawn {
        at: Time,
        by: String,
    },
    /// 75 % of a task's budget has passed: its authority's reviewers are reminded (督办提醒).
    TaskReminded {
        at: Time,
        task_id: String,
    },
    /// A task is overdue: level 1 past 100 % of its budget, 2 past 150 %, 3 past 200 %.
    TaskEscalated {
        at: Time,
        task_id: String,
        level: i32,
    },
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Submitted { .. } => "submitted",
            Event::PhaseOpened { .. } => "phase_opened",
            Event::TaskClaimed { .. } => "task_claimed",
            Event::TaskReleased { .. } => "task_released",
            Event::TaskApproved { .. } => "task_approved",
            Event::InfoRequested { .. } => "info_requested",
            Event::TaskRejected { .. } => "task_rejected",
            Event::Responded { .. } => "responded",
            Event::PhaseCompleted { .. } => "phase_completed",
            Event::Accepted { .. } => "accepted",
            Event::NotAccepted { .. } => "not_accepted",
            Event::Rejected { .. } => "rejected",
            Event::Issued { .. } => "issued",
            Event::Withdrawn { .. } => "withdrawn",
            Event::TaskReminded { .. } => "task_reminded",
            Event::TaskEscalated { .. } => "task_escalated",
        }
    }

    pub fn at(&self) -> Time {
        match self {
            Event::Submitted { at, .. }
            | Event::PhaseOpened { at, .. }
            | Event::TaskClaimed { at, .. }
            | Event::TaskReleased { at, .. }
            | Event::TaskApproved { at, .. }
            | Event::InfoRequested { at, .. }
            | Event::TaskRejected { at, .. }
            | Event::Responded { at, .. }
            | Event::PhaseCompleted { at, .. }
            | Event::Accepted { at }
            | Event::NotAccepted { at, .. }
            | Event::Rejected { at, .. }
            | Event::Issued { at }
            | Event::Withdrawn { at, .. }
            | Event::TaskReminded { at, .. }
            | Event::TaskEscalated { at, .. } => *at,
        }
    }

    /// The user behind the event, if a person caused it.
    pub fn actor(&self) -> Option<&str> {
        match self {
            Event::Submitted { by, .. }
            | Event::TaskClaimed { by, .. }
            | Event::TaskReleased { by, .. }
            | Event::TaskApproved { by, .. }
            | Event::InfoRequested { by, .. }
            | Event::TaskRejected { by, .. }
            | Event::Responded { by, .. }
            | Event::Withdrawn { by, .. } => Some(by),
            _ => None,
        }
    }

    pub fn task_id(&self) -> Option<&str> {
        match self {
            Event::TaskClaimed { task_id, .. }
            | Event::TaskReleased { task_id, .. }
            | Event::TaskApproved { task_id, .. }
            | Event::InfoRequested { task_id, .. }
            | Event::TaskRejected { task_id, .. }
            | Event::TaskReminded { task_id, .. }
            | Event::TaskEscalated { task_id, .. } => Some(task_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    #[error("no such task")]
    UnknownTask,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A required field is missing; the field's name.
    #[error("{0} is required")]
    Required(&'static str),
}

fn minutes_between(from: Time, to: Time) -> i64 {
    (to - from).num_minutes().max(0)
}

impl Case {
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
        for task in self
            .tasks
            .iter_mut()
            .filter(|t| t.phase == phase && t.state == TaskState::Waiting)
        {
            task.open(at);
        }
    }

    /// The applicant answered: the pause ends (moving the statutory deadline and the due times
    /// of tasks that stay open), the asking tasks re-open, and with a material change every
    /// task of the current phase does.
    fn resume(&mut self, at: Time, material_change: bool) {
        let pause = self.end_pause(at);
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
                task.open(at);
            } else if matches!(task.state, TaskState::Open | TaskState::Claimed) {
                // Waiting for the applicant does not count against a reviewer's budget.
                task.due_at = task.due_at.map(|d| d + TimeDelta::minutes(pause));
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

/// The events a command causes, each applied to a working copy as it is emitted, so that
/// later checks see the state the earlier events made.
struct Outcome {
    work: Case,
    events: Vec<Event>,
}

impl Outcome {
    fn emit(&mut self, event: Event) {
        self.work.apply(&event);
        self.events.push(event);
    }
}

fn clean_conditions(conditions: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in conditions
        .into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
    {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// What `command` by `actor` at `now` does to `case`: the events, or why not.
pub fn decide(
    case: &Case,
    command: Command,
    actor: &Actor,
    now: Time,
) -> Result<Vec<Event>, DomainError> {
    if case.status.is_terminal() {
        return Err(DomainError::Conflict(format!(
            "the application is {}",
            case.status
        )));
    }
    let mut out = Outcome {
        work: case.clone(),
        events: Vec::new(),
    };
    match command {
        Command::Submit { phases } => submit(&mut out, phases, actor, now)?,
        Command::Claim { task_id } => claim(&mut out, task_id, actor, now)?,
        Command::Release { task_id } => release(&mut out, task_id, actor, now)?,
        Command::Decide {
            task_id,
            decision,
            comment,
            conditions,
        } => {
            let comment = comment
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty());
            let phase = decidable(case, &task_id, actor)?.phase;
            match decision {
                Decision::Approve => {
                    approve(&mut out, task_id, phase, comment, conditions, actor, now)
                }
                Decision::RequestInfo => request_info(&mut out, task_id, comment, actor, now)?,
                Decision::Reject => reject(&mut out, task_id, phase, comment, actor, now)?,
            }
        }
        Command::Respond {
            message,
            material_change,
        } => respond(&mut out, message, material_change, actor, now)?,
        Command::Withdraw => {
            if actor.role != Role::Applicant {
                return Err(DomainError::Forbidden("only the applicant withdraws"));
            }
            out.emit(Event::Withdrawn {
                at: now,
                by: actor.user_id.clone(),
            });
        }
    }
    Ok(out.events)
}

fn submit(
    out: &mut Outcome,
    phases: Vec<NewPhase>,
    actor: &Actor,
    now: Time,
) -> Result<(), DomainError> {
    if actor.role != Role::Applicant {
        return Err(DomainError::Forbidden("only the applicant submits"));
    }
    if out.work.status != AppStatus::Draft {
        return Err(DomainError::Conflict(format!(
            "the application is {} already",
            out.work.status
        )));
    }
    if phases.is_empty() || phases.iter().any(|p| p.tasks.is_empty()) {
        return Err(DomainError::Conflict(
            "the workflow gives this application no tasks".into(),
        ));
    }
    out.emit(Event::Submitted {
        at: now,
        by: actor.user_id.clone(),
        phases,
    });
    out.emit(Event::PhaseOpened { at: now, phase: 0 });
    Ok(())
}

fn claim(out: &mut Outcome, task_id: String, actor: &Actor, now: Time) -> Result<(), DomainError> {
    let task = reviewable(&out.work, &task_id, actor)?;
    match (task.state, task.assignee.as_deref()) {
        (TaskState::Open, _) => out.emit(Event::TaskClaimed {
            at: now,
            by: actor.user_id.clone(),
            task_id,
        }),
        // Claiming what one holds already changes nothing.
        (TaskState::Claimed, Some(holder)) if holder == actor.user_id => {}
        (TaskState::Claimed, _) => return Err(held_by_someone_else()),
        (state, _) => return Err(DomainError::Conflict(format!("the task is {state}"))),
    }
    Ok(())
}

fn release(
    out: &mut Outcome,
    task_id: String,
    actor: &Actor,
    now: Time,
) -> Result<(), DomainError> {
    let task = reviewable(&out.work, &task_id, actor)?;
    match (task.state, task.assignee.as_deref()) {
        (TaskState::Claimed, Some(holder)) if holder == actor.user_id => {
            out.emit(Event::TaskReleased {
                at: now,
                by: actor.user_id.clone(),
                task_id,
            });
            Ok(())
        }
        (TaskState::Claimed, _) => Err(held_by_someone_else()),
        (state, _) => Err(DomainError::Conflict(format!(
            "the task is {state}, not claimed"
        ))),
    }
}

fn held_by_someone_else() -> DomainError {
    DomainError::Conflict("someone else holds this task".into())
}

/// The task, if the actor may decide it now: open, or claimed by them.
fn decidable<'a>(case: &'a Case, task_id: &str, actor: &Actor) -> Result<&'a Task, DomainError> {
    let task = reviewable(case, task_id, actor)?;
    match (task.state, task.assignee.as_deref()) {
        (TaskState::Open, _) => Ok(task),
        (TaskState::Claimed, Some(holder)) if holder == actor.user_id => Ok(task),
        (TaskState::Claimed, _) => Err(held_by_someone_else()),
        (state, _) => Err(DomainError::Conflict(format!("the task is {state}"))),
    }
}

/// An approval; the last of its phase completes it, which accepts the application after the
/// first phase and opens the next one, or issues after the last.
fn approve(
    out: &mut Outcome,
    task_id: String,
    phase: usize,
    comment: Option<String>,
    conditions: Vec<String>,
    actor: &Actor,
    now: Time,
) {
    out.emit(Event::TaskApproved {
        at: now,
        by: actor.user_id.clone(),
        task_id,
        comment,
        conditions: clean_conditions(conditions),
    });
    let phase_done = out
        .work
        .tasks
        .iter()
        .filter(|t| t.phase == phase)
        .all(|t| t.state == TaskState::Approved);
    if !phase_done {
        return;
    }
    out.emit(Event::PhaseCompleted { at: now, phase });
    if phase == 0 {
        out.emit(Event::Accepted { at: now });
    }
    if phase + 1 < out.work.phases.len() {
        out.emit(Event::PhaseOpened {
            at: now,
            phase: phase + 1,
        });
    } else {
        out.emit(Event::Issued { at: now });
    }
}

fn request_info(
    out: &mut Outcome,
    task_id: String,
    comment: Option<String>,
    actor: &Actor,
    now: Time,
) -> Result<(), DomainError> {
    let comment = comment.ok_or(DomainError::Required("comment"))?;
    out.emit(Event::InfoRequested {
        at: now,
        by: actor.user_id.clone(),
        task_id,
        comment,
    });
    Ok(())
}

/// A rejection ends the application: not accepted in the first phase, rejected later.
fn reject(
    out: &mut Outcome,
    task_id: String,
    phase: usize,
    comment: Option<String>,
    actor: &Actor,
    now: Time,
) -> Result<(), DomainError> {
    let reason = comment.ok_or(DomainError::Required("comment"))?;
    out.emit(Event::TaskRejected {
        at: now,
        by: actor.user_id.clone(),
        task_id,
        reason: reason.clone(),
    });
    out.emit(if phase == 0 {
        Event::NotAccepted { at: now, reason }
    } else {
        Event::Rejected { at: now, reason }
    });
    Ok(())
}

fn respond(
    out: &mut Outcome,
    message: String,
    material_change: bool,
    actor: &Actor,
    now: Time,
) -> Result<(), DomainError> {
    if actor.role != Role::Applicant {
        return Err(DomainError::Forbidden("only the applicant answers"));
    }
    if out.work.status != AppStatus::InfoRequested {
        return Err(DomainError::Conflict("no information was requested".into()));
    }
    let message = message.trim().to_string();
    if message.is_empty() {
        return Err(DomainError::Required("message"));
    }
    out.emit(Event::Responded {
        at: now,
        by: actor.user_id.clone(),
        message,
        material_change,
    });
    Ok(())
}

/// The task, if the actor is a reviewer of its authority.
fn reviewable<'a>(case: &'a Case, task_id: &str, actor: &Actor) -> Result<&'a Task, DomainError> {
    let task = case.task(task_id).ok_or(DomainError::UnknownTask)?;
    if actor.role != Role::Reviewer
        || actor.authority.as_deref() != Some(task.authority_code.as_str())
    {
        return Err(DomainError::Forbidden(
            "only a reviewer of the task's authority",
        ));
    }
    Ok(task)
}

#[cfg(test)]
#[path = "case_tests.rs"]
mod tests;
