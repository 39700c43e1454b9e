//! A reviewer's commands on a task: claim, release, decide. Acceptance starts the statutory
//! clock; the approval that completes the last phase issues the permit, in its transaction.

use super::amendments;
use super::rows::Loaded;
use super::view::{Application, QueueEntry};
use super::{applied, audit, domain_error, load_visible, rows, store_and_notify, view};
use crate::db::{applications as q, write_transaction, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationKind};
use crate::domain::ids::TaskId;
use crate::domain::timebook::Timebook;
use crate::domain::workflow::case::decide as decide_command;
use crate::domain::workflow::{Command, Decision, Event};
use crate::service::{stored, Caller, Engine, ServiceError};
use chrono::NaiveDateTime;

/// A reviewer's command on a task: claim, release or decide. Returns the application after it.
pub fn task_command(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    task_id: &TaskId,
    command: Command,
    now: NaiveDateTime,
) -> Result<Loaded, ServiceError> {
    let task_id = task_id.as_str();
    write_transaction(conn, |conn| {
        let id = q::application_of_task(conn, task_id)?.ok_or(ServiceError::NotFound)?;
        let before = load_visible(conn, engine, caller, &id)?;
        if matches!(
            command,
            Command::Decide {
                decision: Decision::RequestInfo,
                ..
            }
        ) {
            amendments::refuse_request_info(&before.row)?;
        }
        let events =
            decide_command(&before.case, command, &caller.actor(), now).map_err(domain_error)?;
        if events.is_empty() {
            return Ok(before);
        }
        let mut after = applied(&before.case, &events);
        if events.iter().any(|e| matches!(e, Event::Accepted { .. })) {
            if let Some(days) = before.row.statutory_working_days {
                // The issuing authority's jurisdiction's calendar: the region's own days count.
                let issuer = before.row.issuing_authority.as_deref().unwrap_or_default();
                let time = after.time.0.clone();
                let calendar = time.calendar_of(Timebook::jurisdiction_of(issuer));
                after.start_statute(days.max(0) as u32, calendar, engine.timezone);
            }
        }
        let mut row = rows::next_row(&before.row, &after, now);
        // The permit is created with the approval that issues it, in the same transaction.
        if amendments::is_amendment(&before.row) {
            // An amendment's end re-issues the permit (or not) in this transaction.
            amendments::on_decided(conn, caller, &row, &after, &events, now)?;
            store_and_notify(conn, engine, &before, &row, &after, events, now)?;
            return Ok(Loaded { row, case: after });
        }
        let issued = events.iter().any(|e| matches!(e, Event::Issued { .. }));
        let mut permits = Vec::new();
        if issued {
            permits = crate::service::permits::issue(conn, engine, &row, &after, now)?;
            row.permit_no = permits.first().map(|p| p.permit_no.clone());
        }
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        if let (true, Some(permit_no)) = (issued, &row.permit_no) {
            let all: Vec<&str> = permits.iter().map(|p| p.permit_no.as_str()).collect();
            let detail = serde_json::json!({"permit_no": permit_no, "permits": all});
            rows::append_events(
                conn,
                &row.id,
                &[audit(now, "permit_issued", caller, detail)],
            )?;
        }
        Ok(Loaded { row, case: after })
    })
}

/// A reviewer's decision on a task.
#[derive(Debug, Clone)]
pub struct TaskDecision {
    pub decision: Decision,
    pub comment: Option<String>,
    pub conditions: Vec<String>,
}

pub fn decide(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &TaskId,
    decision: TaskDecision,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let task_id = id.as_str();
    let command = Command::Decide {
        task_id: task_id.to_string(),
        decision: decision.decision,
        comment: decision.comment,
        conditions: decision.conditions,
    };
    let loaded = task_command(conn, engine, caller, id, command, now)?;
    view(conn, engine, &loaded, now)
}

/// Claim or release; the task as the queue shows it.
pub fn claim_or_release(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &TaskId,
    claim: bool,
    now: NaiveDateTime,
) -> Result<QueueEntry, ServiceError> {
    let task_id = id.as_str();
    let command = if claim {
        Command::Claim {
            task_id: task_id.to_string(),
        }
    } else {
        Command::Release {
            task_id: task_id.to_string(),
        }
    };
    let loaded = task_command(conn, engine, caller, id, command, now)?;
    let task = loaded.case.task(task_id).ok_or(ServiceError::NotFound)?;
    let phase = loaded
        .case
        .phases
        .get(task.phase)
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let input = stored::<ApplicationInput>("application input", &loaded.row.input)?;
    let (cargo, plates, counties) = super::view::queue_facts(&input);
    let firm = crate::db::users::find_firm(conn, &loaded.row.firm_id)?
        .map(|f| f.name)
        .unwrap_or_default();
    Ok(QueueEntry {
        budget_minutes: task.budget_minutes,
        decided_at: task.decided_at,
        firm,
        cargo,
        plates,
        counties,
        app_status: loaded.case.status,
        id: task.id.clone(),
        application_id: loaded.row.id.clone(),
        reference: loaded.row.reference.clone(),
        authority_code: task.authority_code.clone(),
        phase,
        step: task.step.clone(),
        state: task.state,
        assignee: task.assignee.clone(),
        opened_at: task.opened_at,
        due_at: task.due_at,
        budget_clock: task.budget_clock,
        remaining_minutes: task.remaining_minutes(loaded.case.timebook(), now),
        escalation_level: task.escalation_level,
        permit_class: loaded.row.permit_class.clone(),
        kind: loaded.row.kind.parse().unwrap_or(ApplicationKind::Single),
        amendment: amendments::is_amendment(&loaded.row),
        project: input.project_counts(),
    })
}
