//! What a command does: `decide(case, command, actor, now)` checks who may give it and in
//! which state, and returns the events it causes (each applied to a working copy as it is
//! emitted), or why not. One function per command.

use super::case::{AppStatus, Case, Decision, NewPhase, Task, TaskState};
use super::event::Event;
use crate::domain::role::Role;
use chrono::NaiveDateTime;

type Time = NaiveDateTime;

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
    /// The applicant withdraws, saying why (the pages ask; the API may leave it out).
    Withdraw {
        reason: Option<String>,
    },
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
        Command::Withdraw { reason } => {
            if actor.role != Role::Applicant {
                return Err(DomainError::Forbidden("only the applicant withdraws"));
            }
            out.emit(Event::Withdrawn {
                at: now,
                by: actor.user_id.clone(),
                reason,
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
