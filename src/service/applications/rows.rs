//! Between the stored rows and the engine's `Case`: loading one, and writing back exactly what
//! a command changed, together with its events, in the caller's transaction.

use crate::db::applications::{self as q, ApplicationRow, EventRow, PhaseRow, TaskRow};
use crate::db::{new_id, DbConnection};
use crate::domain::timebook::Timebook;
use crate::domain::workflow::case::CaseTime;
use crate::domain::workflow::{escalation, Case, Event, Phase, Task};
use crate::service::ServiceError;
use chrono::NaiveDateTime;
use std::sync::Arc;

/// An application as loaded: its row and the engine's view of it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: ApplicationRow,
    pub case: Case,
}

fn parse<T: std::str::FromStr<Err = String>>(value: &str) -> Result<T, ServiceError> {
    value
        .parse()
        .map_err(|e: String| ServiceError::Internal(anyhow::anyhow!("stored value: {e}")))
}

/// The application `id`, its case timed by `time` (its authorities' calendars and hours).
pub fn load(
    conn: &mut DbConnection,
    time: &Arc<Timebook>,
    id: &str,
) -> Result<Option<Loaded>, ServiceError> {
    let Some(row) = q::find(conn, id)? else {
        return Ok(None);
    };
    let phases = q::phases(conn, id)?
        .into_iter()
        .map(|p| {
            Ok(Phase {
                name: p.name,
                state: parse(&p.state)?,
                opened_at: p.opened_at,
                completed_at: p.completed_at,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let tasks = q::tasks(conn, id)?
        .into_iter()
        .map(|t| {
            Ok(Task {
                phase: t.phase_position as usize,
                state: parse(&t.state)?,
                decision: t.decision.as_deref().map(parse).transpose()?,
                conditions: serde_json::from_str(&t.conditions)
                    .map_err(|e| ServiceError::Internal(e.into()))?,
                id: t.id,
                step: t.step,
                authority_code: t.authority_code,
                budget_minutes: i64::from(t.budget_minutes),
                budget_clock: parse(&t.budget_clock)?,
                assignee: t.assignee,
                opened_at: t.opened_at,
                claimed_at: t.claimed_at,
                due_at: t.due_at,
                decided_at: t.decided_at,
                comment: t.comment,
                escalation_level: t.escalation_level,
                reminded_at: t.reminded_at,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let case = Case {
        status: parse(&row.status)?,
        phases,
        tasks,
        submitted_at: row.submitted_at,
        accepted_at: row.accepted_at,
        decided_at: row.decided_at,
        issued_at: row.issued_at,
        paused_minutes: i64::from(row.paused_minutes),
        paused_since: row.paused_since,
        statutory_due_at: row.statutory_due_at,
        time: CaseTime(time.clone()),
    };
    Ok(Some(Loaded { row, case }))
}

fn phase_row(application_id: &str, position: usize, p: &Phase) -> PhaseRow {
    PhaseRow {
        application_id: application_id.to_string(),
        position: position as i32,
        name: p.name.clone(),
        state: p.state.as_str().to_string(),
        opened_at: p.opened_at,
        completed_at: p.completed_at,
    }
}

fn task_row(application_id: &str, position: usize, t: &Task, time: &Timebook) -> TaskRow {
    TaskRow {
        id: t.id.clone(),
        application_id: application_id.to_string(),
        phase_position: t.phase as i32,
        position: position as i32,
        step: t.step.clone(),
        authority_code: t.authority_code.clone(),
        budget_minutes: t.budget_minutes as i32,
        state: t.state.as_str().to_string(),
        assignee: t.assignee.clone(),
        opened_at: t.opened_at,
        claimed_at: t.claimed_at,
        due_at: t.due_at,
        decided_at: t.decided_at,
        decision: t.decision.map(|d| d.as_str().to_string()),
        conditions: serde_json::to_string(&t.conditions).unwrap_or_else(|_| "[]".into()),
        comment: t.comment.clone(),
        escalation_level: t.escalation_level,
        reminded_at: t.reminded_at,
        net_minutes: t.net_minutes(time).map(|m| m as i32),
        next_sla_at: escalation::next_moment(time, t),
        budget_clock: t.budget_clock.as_str().to_string(),
    }
}

/// The application row with the case's state copied in and the version bumped.
pub fn next_row(before: &ApplicationRow, case: &Case, now: NaiveDateTime) -> ApplicationRow {
    ApplicationRow {
        status: case.status.as_str().to_string(),
        version: before.version + 1,
        updated_at: now,
        submitted_at: case.submitted_at,
        accepted_at: case.accepted_at,
        decided_at: case.decided_at,
        issued_at: case.issued_at,
        paused_minutes: case.paused_minutes as i32,
        paused_since: case.paused_since,
        statutory_due_at: case.statutory_due_at,
        net_minutes: case.decided_at.map(|at| case.net_minutes(at) as i32),
        ..before.clone()
    }
}

/// Writes `row` (guarded by the version read), every phase and task that changed, and the
/// events; a lost race is a conflict and the caller's transaction rolls back.
pub fn store(
    conn: &mut DbConnection,
    before: &Loaded,
    row: &ApplicationRow,
    after: &Case,
    events: &[AuditEvent],
) -> Result<Vec<String>, ServiceError> {
    if !q::update_if_version(conn, row, before.row.version)? {
        return Err(ServiceError::Conflict(
            "the application was changed by someone else; reload and retry".into(),
        ));
    }
    let id = &row.id;
    // New rows go in one statement per table (a submission opens its phases, a phase its
    // parallel tasks): one round trip each rather than one per row.
    let mut new_phases = Vec::new();
    for (i, phase) in after.phases.iter().enumerate() {
        match before.case.phases.get(i) {
            None => new_phases.push(phase_row(id, i, phase)),
            Some(old) if old != phase => q::update_phase(conn, &phase_row(id, i, phase))?,
            Some(_) => {}
        }
    }
    q::insert_phases(conn, &new_phases)?;
    let mut new_tasks = Vec::new();
    for (i, task) in after.tasks.iter().enumerate() {
        match before.case.tasks.iter().find(|t| t.id == task.id) {
            None => new_tasks.push(task_row(id, i, task, after.timebook())),
            Some(old) if old != task => {
                q::update_task(conn, &task_row(id, i, task, after.timebook()))?
            }
            Some(_) => {}
        }
    }
    q::insert_tasks(conn, &new_tasks)?;
    append_events(conn, id, events)
}

/// An audit event: an engine event, or one about the application outside the engine
/// (created, edited, attachment added).
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub at: NaiveDateTime,
    pub kind: String,
    pub actor: Option<String>,
    pub task_id: Option<String>,
    pub detail: serde_json::Value,
}

impl From<&Event> for AuditEvent {
    fn from(event: &Event) -> Self {
        let mut detail = serde_json::to_value(event).unwrap_or_default();
        if let Some(map) = detail.as_object_mut() {
            for key in ["kind", "at", "by"] {
                map.remove(key);
            }
        }
        AuditEvent {
            at: event.at(),
            kind: event.kind().to_string(),
            actor: event.actor().map(str::to_string),
            task_id: event.task_id().map(str::to_string),
            detail,
        }
    }
}

/// Appends the events to the audit log; their ids, in order.
pub fn append_events(
    conn: &mut DbConnection,
    application_id: &str,
    events: &[AuditEvent],
) -> Result<Vec<String>, ServiceError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let first = q::last_event_seq(conn, application_id)? + 1;
    let rows: Vec<EventRow> = (first..)
        .zip(events)
        .map(|(seq, e)| EventRow {
            id: new_id(),
            application_id: application_id.to_string(),
            seq,
            at: e.at,
            kind: e.kind.clone(),
            actor_id: e.actor.clone(),
            task_id: e.task_id.clone(),
            detail: e.detail.to_string(),
        })
        .collect();
    q::insert_events(conn, &rows)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
