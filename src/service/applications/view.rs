//! What callers see of applications, tasks and events: the shapes of API.md.

use crate::db::applications::{ApplicationRow, AttachmentRow, QueueRow};
use crate::domain::application::ApplicationInput;
use crate::domain::workflow::{Case, TaskState};
use chrono::{NaiveDateTime, SecondsFormat};
use serde::Serialize;
use utoipa::ToSchema;

pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt(t: Option<NaiveDateTime>) -> Option<String> {
    t.map(rfc3339)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    pub id: String,
    pub authority_code: String,
    pub step: String,
    /// waiting, open, claimed, approved, rejected, info_requested, cancelled.
    pub state: String,
    /// The user holding or having decided the task.
    pub assignee: Option<String>,
    pub opened_at: Option<String>,
    pub due_at: Option<String>,
    pub decided_at: Option<String>,
    /// approve, request_info or reject.
    pub decision: Option<String>,
    pub conditions: Vec<String>,
    pub comment: Option<String>,
    pub escalation_level: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhaseView {
    pub name: String,
    /// waiting, open, done or cancelled.
    pub state: String,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub kind: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
}

impl From<AttachmentRow> for AttachmentView {
    fn from(a: AttachmentRow) -> Self {
        AttachmentView {
            id: a.id,
            kind: a.kind,
            filename: a.filename,
            size: a.size,
            sha256: a.sha256,
        }
    }
}

/// An application as API.md describes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    pub reference: String,
    pub status: String,
    pub version: i32,
    pub firm_code: String,
    pub workflow: Option<String>,
    pub workflow_version: Option<i32>,
    pub permit_class: Option<String>,
    pub issuing_level: Option<String>,
    pub issuing_authority: Option<String>,
    /// `null` in a draft that does not have it yet.
    #[schema(value_type = Option<Object>)]
    pub cargo: serde_json::Value,
    /// `null` in a draft that does not have it yet.
    #[schema(value_type = Option<Object>)]
    pub vehicle: serde_json::Value,
    /// `null` in a draft that does not have it yet.
    #[schema(value_type = Option<Object>)]
    pub route: serde_json::Value,
    /// `null` in a draft that does not have it yet.
    #[schema(value_type = Option<Object>)]
    pub travel: serde_json::Value,
    /// `null` in a draft that does not have it yet.
    #[schema(value_type = Option<Object>)]
    pub escort: serde_json::Value,
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub accepted_at: Option<String>,
    pub decided_at: Option<String>,
    pub issued_at: Option<String>,
    pub target_due_at: Option<String>,
    pub statutory_due_at: Option<String>,
    pub gross_minutes: i64,
    pub paused_minutes: i64,
    /// Counts up while the application is open and stops at the decision.
    pub net_minutes: i64,
    pub phases: Vec<PhaseView>,
    pub attachments: Vec<AttachmentView>,
    pub permit_no: Option<String>,
    /// The input as stored, for the pages (the API shows its parts above).
    #[serde(skip)]
    #[schema(ignore)]
    pub input: ApplicationInput,
}

impl ApplicationView {
    pub fn new(
        row: &ApplicationRow,
        case: &Case,
        input: ApplicationInput,
        firm_code: String,
        attachments: Vec<AttachmentRow>,
        target_hours: u32,
        now: NaiveDateTime,
    ) -> ApplicationView {
        let part = |v: serde_json::Result<serde_json::Value>| v.unwrap_or(serde_json::Value::Null);
        let phases = case
            .phases
            .iter()
            .enumerate()
            .map(|(i, p)| PhaseView {
                name: p.name.clone(),
                state: p.state.as_str().to_string(),
                tasks: case
                    .tasks
                    .iter()
                    .filter(|t| t.phase == i)
                    .map(|t| TaskView {
                        id: t.id.clone(),
                        authority_code: t.authority_code.clone(),
                        step: t.step.clone(),
                        state: t.state.as_str().to_string(),
                        assignee: t.assignee.clone(),
                        opened_at: opt(t.opened_at),
                        due_at: opt(t.due_at),
                        decided_at: opt(t.decided_at),
                        decision: t.decision.map(|d| d.as_str().to_string()),
                        conditions: t.conditions.clone(),
                        comment: t.comment.clone(),
                        escalation_level: t.escalation_level,
                    })
                    .collect(),
            })
            .collect();
        let statutory_due_at = case.statutory_deadline(now);
        ApplicationView {
            id: row.id.clone(),
            reference: row.reference.clone(),
            status: row.status.clone(),
            version: row.version,
            firm_code,
            workflow: row.workflow.clone(),
            workflow_version: row.workflow_version,
            permit_class: row.permit_class.clone(),
            issuing_level: row.issuing_level.clone(),
            issuing_authority: row.issuing_authority.clone(),
            cargo: part(serde_json::to_value(&input.cargo)),
            vehicle: part(serde_json::to_value(&input.vehicle)),
            route: part(serde_json::to_value(&input.route)),
            travel: part(serde_json::to_value(&input.travel)),
            escort: part(serde_json::to_value(&input.escort)),
            created_at: rfc3339(row.created_at),
            submitted_at: opt(row.submitted_at),
            accepted_at: opt(row.accepted_at),
            decided_at: opt(row.decided_at),
            issued_at: opt(row.issued_at),
            target_due_at: opt(case.target_due_at(target_hours, now)),
            statutory_due_at: opt(statutory_due_at),
            gross_minutes: case.gross_minutes(now),
            paused_minutes: case.paused_minutes_at(now),
            net_minutes: case.net_minutes(now),
            phases,
            attachments: attachments.into_iter().map(AttachmentView::from).collect(),
            permit_no: row.permit_no.clone(),
            input,
        }
    }
}

/// A row of a reviewer's queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    pub id: String,
    pub application_id: String,
    pub reference: String,
    pub authority_code: String,
    pub phase: String,
    pub step: String,
    pub state: String,
    pub assignee: Option<String>,
    pub opened_at: Option<String>,
    pub due_at: Option<String>,
    pub escalation_level: i32,
    pub permit_class: Option<String>,
}

impl From<QueueRow> for QueueItem {
    fn from((task, reference, permit_class, phase): QueueRow) -> Self {
        QueueItem {
            id: task.id,
            application_id: task.application_id,
            reference,
            authority_code: task.authority_code,
            phase,
            step: task.step,
            state: task.state,
            assignee: task.assignee,
            opened_at: opt(task.opened_at),
            due_at: opt(task.due_at),
            escalation_level: task.escalation_level,
            permit_class,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub at: String,
    pub kind: String,
    /// The name of the person who caused it; null for the engine itself.
    pub actor: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// The domain's overdue rule on a view's stored state and RFC 3339 due time.
fn overdue(state: &str, due_at: Option<&str>, now: NaiveDateTime) -> bool {
    let due = due_at
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.naive_utc());
    state
        .parse::<TaskState>()
        .is_ok_and(|state| crate::domain::workflow::case::is_overdue(state, due, now))
}

impl TaskView {
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        overdue(&self.state, self.due_at.as_deref(), now)
    }

    /// Its authority has still to sign.
    pub fn awaits_signature(&self) -> bool {
        self.state
            .parse::<TaskState>()
            .is_ok_and(TaskState::awaits_signature)
    }
}

impl QueueItem {
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        overdue(&self.state, self.due_at.as_deref(), now)
    }
}
