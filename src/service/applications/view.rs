//! What callers may read of applications, tasks and events: typed read models (domain states,
//! UTC times). The API's shapes and their RFC 3339 times are `web::api::views`.

use crate::db::applications::{ApplicationRow, AttachmentRow, QueueRow};
use crate::domain::application::{ApplicationInput, ApplicationKind, ProjectCounts};
use crate::domain::timebook::BudgetClock;
use crate::domain::workflow::{AppStatus, Case, Decision, PhaseState, TaskState};
use crate::service::ServiceError;
use chrono::NaiveDateTime;

/// A review task as its application shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSummary {
    pub id: String,
    pub authority_code: String,
    pub step: String,
    pub state: TaskState,
    /// The user holding or having decided the task.
    pub assignee: Option<String>,
    pub opened_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    /// What the budget counts: clock hours or the authority's working hours.
    pub budget_clock: BudgetClock,
    /// The budget left now on that clock (negative once overdue), while the task is pending.
    pub remaining_minutes: Option<i64>,
    /// A final decision's time from (re-)opening on that clock, less pauses.
    pub net_minutes: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision: Option<Decision>,
    pub conditions: Vec<String>,
    pub comment: Option<String>,
    pub escalation_level: i32,
}

impl TaskSummary {
    /// A task of `case` as it stands at `now`.
    pub fn of(t: &crate::domain::workflow::Task, case: &Case, now: NaiveDateTime) -> TaskSummary {
        TaskSummary {
            id: t.id.clone(),
            authority_code: t.authority_code.clone(),
            step: t.step.clone(),
            state: t.state,
            assignee: t.assignee.clone(),
            opened_at: t.opened_at,
            due_at: t.due_at,
            budget_clock: t.budget_clock,
            remaining_minutes: t.remaining_minutes(case.timebook(), now),
            net_minutes: t.net_minutes(case.timebook()),
            decided_at: t.decided_at,
            decision: t.decision,
            conditions: t.conditions.clone(),
            comment: t.comment.clone(),
            escalation_level: t.escalation_level,
        }
    }

    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        crate::domain::workflow::case::is_overdue(self.state, self.due_at, now)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhaseSummary {
    pub name: String,
    pub state: PhaseState,
    pub tasks: Vec<TaskSummary>,
}

/// An attachment's record.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: String,
    pub kind: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    /// The project load a contour drawing is for.
    pub load: Option<String>,
}

impl From<AttachmentRow> for Attachment {
    fn from(a: AttachmentRow) -> Self {
        Attachment {
            load: a.load_key,
            id: a.id,
            kind: a.kind,
            filename: a.filename,
            size: a.size,
            sha256: a.sha256,
        }
    }
}

/// An application as a caller may read it, with its clocks at the moment it was read.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: String,
    pub reference: String,
    pub status: AppStatus,
    pub version: i32,
    pub firm_code: String,
    pub workflow: Option<String>,
    pub workflow_version: Option<i32>,
    pub permit_class: Option<String>,
    pub issuing_level: Option<String>,
    pub issuing_authority: Option<String>,
    /// The input as stored (cargo, vehicle, route, travel, escort; parts may be missing in a
    /// draft).
    pub input: ApplicationInput,
    pub created_at: NaiveDateTime,
    /// Last saved: a draft's last edit, or the last state change.
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub accepted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub issued_at: Option<NaiveDateTime>,
    pub target_due_at: Option<NaiveDateTime>,
    pub statutory_due_at: Option<NaiveDateTime>,
    pub gross_minutes: i64,
    pub paused_minutes: i64,
    /// Counts up while the application is open and stops at the decision.
    pub net_minutes: i64,
    pub phases: Vec<PhaseSummary>,
    pub attachments: Vec<Attachment>,
    pub permit_no: Option<String>,
    pub kind: ApplicationKind,
    /// Every permit issued, in load order (a project has one per load).
    pub permits: Vec<String>,
}

impl Application {
    pub fn new(
        row: &ApplicationRow,
        case: &Case,
        input: ApplicationInput,
        firm_code: String,
        attachments: Vec<AttachmentRow>,
        target_hours: u32,
        now: NaiveDateTime,
    ) -> Application {
        let phases = case
            .phases
            .iter()
            .enumerate()
            .map(|(i, p)| PhaseSummary {
                name: p.name.clone(),
                state: p.state,
                tasks: case
                    .tasks
                    .iter()
                    .filter(|t| t.phase == i)
                    .map(|t| TaskSummary::of(t, case, now))
                    .collect(),
            })
            .collect();
        Application {
            id: row.id.clone(),
            reference: row.reference.clone(),
            status: case.status,
            version: row.version,
            firm_code,
            workflow: row.workflow.clone(),
            workflow_version: row.workflow_version,
            permit_class: row.permit_class.clone(),
            issuing_level: row.issuing_level.clone(),
            issuing_authority: row.issuing_authority.clone(),
            input,
            created_at: row.created_at,
            updated_at: row.updated_at,
            submitted_at: row.submitted_at,
            accepted_at: row.accepted_at,
            decided_at: row.decided_at,
            issued_at: row.issued_at,
            target_due_at: case.target_due_at(target_hours, now),
            statutory_due_at: case.statutory_deadline(now),
            gross_minutes: case.gross_minutes(now),
            paused_minutes: case.paused_minutes_at(now),
            net_minutes: case.net_minutes(now),
            phases,
            attachments: attachments.into_iter().map(Attachment::from).collect(),
            permit_no: row.permit_no.clone(),
            kind: row.kind.parse().unwrap_or(ApplicationKind::Single),
            permits: row.permit_no.iter().cloned().collect(),
        }
    }

    /// The phase open now, if any.
    pub fn open_phase(&self) -> Option<&PhaseSummary> {
        self.phases.iter().find(|p| p.state == PhaseState::Open)
    }
}

/// A row of a reviewer's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    pub id: String,
    pub application_id: String,
    pub reference: String,
    pub authority_code: String,
    pub phase: String,
    pub step: String,
    pub state: TaskState,
    pub assignee: Option<String>,
    pub opened_at: Option<NaiveDateTime>,
    pub due_at: Option<NaiveDateTime>,
    pub budget_clock: BudgetClock,
    /// The budget left on that clock when the queue was read (negative once overdue).
    pub remaining_minutes: Option<i64>,
    pub escalation_level: i32,
    pub permit_class: Option<String>,
    pub kind: ApplicationKind,
    /// The task reviews an amendment of an issued permit, not an application.
    pub amendment: bool,
    /// A project's loads, vehicles and trips.
    pub project: Option<ProjectCounts>,
    /// The task's budget on its clock.
    pub budget_minutes: i64,
    pub decided_at: Option<NaiveDateTime>,
    /// What the reviewer reads in the row: the firm, the cargo, the plates, the route's
    /// counties, and whether the application waits for the applicant (budgets paused).
    pub firm: String,
    pub cargo: String,
    pub plates: Vec<String>,
    pub counties: Vec<String>,
    pub app_status: AppStatus,
}

/// The cargo line, plates and counties of an input, for a queue row.
pub fn queue_facts(input: &ApplicationInput) -> (String, Vec<String>, Vec<String>) {
    let cargo = match &input.project {
        Some(p) if input.kind() == Some(ApplicationKind::Project) => {
            p.name.clone().unwrap_or_default()
        }
        _ => input
            .cargo
            .as_ref()
            .map(|c| {
                let length = c.length_m.map(|l| format!(" {l} m")).unwrap_or_default();
                format!("{}{length}", c.description.clone().unwrap_or_default())
            })
            .unwrap_or_default(),
    };
    let mut plates: Vec<String> = Vec::new();
    if let Some(v) = &input.vehicle {
        plates.extend(v.tractor_plate.iter().cloned());
        plates.extend(v.trailer_plates.iter().flatten().cloned());
    }
    for f in input.fleet.iter().flatten() {
        plates.extend(f.tractor_plate.iter().cloned());
        plates.extend(f.trailer_plates.iter().flatten().cloned());
    }
    let mut counties: Vec<String> = input
        .route
        .as_ref()
        .and_then(|r| r.segments.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| s.jurisdiction)
        .collect();
    counties.dedup();
    (cargo, plates, counties)
}

impl QueueEntry {
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        crate::domain::workflow::case::is_overdue(self.state, self.due_at, now)
    }

    /// The budget left at `now` on the task's clock, while a reviewer has to act.
    pub fn remaining_minutes(
        &self,
        time: &crate::domain::timebook::Timebook,
        now: NaiveDateTime,
    ) -> Option<i64> {
        crate::domain::workflow::case::remaining_minutes(
            time,
            &self.authority_code,
            self.budget_clock,
            self.state,
            self.due_at,
            now,
        )
    }
}

impl TryFrom<QueueRow> for QueueEntry {
    type Error = ServiceError;

    fn try_from(
        (task, reference, permit_class, phase, kind, input, status, firm, workflow): QueueRow,
    ) -> Result<Self, ServiceError> {
        let amendment = workflow.as_deref() == Some(super::amendments::AMENDMENT);
        let kind: ApplicationKind = kind.parse().unwrap_or(ApplicationKind::Single);
        let input = crate::service::stored::<ApplicationInput>("application input", &input)?;
        let project = match kind {
            ApplicationKind::Project => input.project_counts(),
            ApplicationKind::Single => None,
        };
        let (cargo, plates, counties) = queue_facts(&input);
        Ok(QueueEntry {
            kind,
            amendment,
            project,
            budget_minutes: i64::from(task.budget_minutes),
            decided_at: task.decided_at,
            firm,
            cargo,
            plates,
            counties,
            app_status: status.parse().map_err(|e: String| {
                ServiceError::Internal(anyhow::anyhow!("stored application status: {e}"))
            })?,
            state: task.state.parse().map_err(|e: String| {
                ServiceError::Internal(anyhow::anyhow!("stored task state: {e}"))
            })?,
            id: task.id,
            application_id: task.application_id,
            reference,
            authority_code: task.authority_code,
            phase,
            step: task.step,
            assignee: task.assignee,
            opened_at: task.opened_at,
            due_at: task.due_at,
            budget_clock: task.budget_clock.parse().map_err(|e: String| {
                ServiceError::Internal(anyhow::anyhow!("stored budget clock: {e}"))
            })?,
            remaining_minutes: None,
            escalation_level: task.escalation_level,
            permit_class,
        })
    }
}

/// One entry of an application's audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: NaiveDateTime,
    pub kind: String,
    /// The name of the person who caused it; none for the engine itself.
    pub actor: Option<String>,
    pub detail: serde_json::Value,
}
