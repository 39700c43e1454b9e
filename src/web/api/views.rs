//! The API's shapes of applications, tasks and events (API.md), made from the service's read
//! models: states as their names, times in RFC 3339.

use super::rfc3339;
use crate::domain::application::ApplicationKind;
use crate::service::applications::view::{
    Application, Attachment, AuditEntry, PhaseSummary, QueueEntry, TaskSummary,
};
use crate::service::applications::Progress;
use serde::Serialize;
use utoipa::ToSchema;

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
    /// What the budget counts: `wall` (clock hours) or `working` (the authority's working
    /// hours, by its calendar and service hours).
    pub budget_clock: String,
    /// While open or claimed: the budget left now on that clock, negative once overdue.
    pub remaining_minutes: Option<i64>,
    /// Once approved or rejected: the minutes it took from (re-)opening on that clock, less
    /// time waiting for the applicant.
    pub net_minutes: Option<i64>,
    pub decided_at: Option<String>,
    /// approve, request_info or reject.
    pub decision: Option<String>,
    pub conditions: Vec<String>,
    pub comment: Option<String>,
    pub escalation_level: i32,
}

impl From<&TaskSummary> for TaskView {
    fn from(t: &TaskSummary) -> Self {
        TaskView {
            id: t.id.clone(),
            authority_code: t.authority_code.clone(),
            step: t.step.clone(),
            state: t.state.as_str().to_string(),
            assignee: t.assignee.clone(),
            opened_at: t.opened_at.map(rfc3339),
            due_at: t.due_at.map(rfc3339),
            budget_clock: t.budget_clock.as_str().to_string(),
            remaining_minutes: t.remaining_minutes,
            net_minutes: t.net_minutes,
            decided_at: t.decided_at.map(rfc3339),
            decision: t.decision.map(|d| d.as_str().to_string()),
            conditions: t.conditions.clone(),
            comment: t.comment.clone(),
            escalation_level: t.escalation_level,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhaseView {
    pub name: String,
    /// waiting, open, done or cancelled.
    pub state: String,
    pub tasks: Vec<TaskView>,
}

impl From<&PhaseSummary> for PhaseView {
    fn from(p: &PhaseSummary) -> Self {
        PhaseView {
            name: p.name.clone(),
            state: p.state.as_str().to_string(),
            tasks: p.tasks.iter().map(TaskView::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub kind: String,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    /// The project load a contour drawing is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<String>,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> Self {
        AttachmentView {
            load: a.load.clone(),
            id: a.id.clone(),
            kind: a.kind.clone(),
            filename: a.filename.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
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
    /// The first permit (a project's first load's).
    pub permit_no: Option<String>,
    /// single or project.
    pub kind: String,
    /// Every permit issued, in load order: one per load for a project.
    pub permits: Vec<String>,
    /// A project's name, site and sets (projects only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub project: Option<serde_json::Value>,
    /// A project's loads, each with its cargo, loaded vehicle and trips (projects only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub loads: Option<serde_json::Value>,
    /// A project's vehicles and the loads each may carry (projects only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub fleet: Option<serde_json::Value>,
}

/// A part of the input as JSON (`null` when the draft does not have it).
fn part<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

impl From<&Application> for ApplicationView {
    fn from(a: &Application) -> Self {
        ApplicationView {
            id: a.id.clone(),
            reference: a.reference.clone(),
            status: a.status.as_str().to_string(),
            version: a.version,
            firm_code: a.firm_code.clone(),
            workflow: a.workflow.clone(),
            workflow_version: a.workflow_version,
            permit_class: a.permit_class.clone(),
            issuing_level: a.issuing_level.clone(),
            issuing_authority: a.issuing_authority.clone(),
            cargo: part(&a.input.cargo),
            vehicle: part(&a.input.vehicle),
            route: part(&a.input.route),
            travel: part(&a.input.travel),
            escort: part(&a.input.escort),
            created_at: rfc3339(a.created_at),
            submitted_at: a.submitted_at.map(rfc3339),
            accepted_at: a.accepted_at.map(rfc3339),
            decided_at: a.decided_at.map(rfc3339),
            issued_at: a.issued_at.map(rfc3339),
            target_due_at: a.target_due_at.map(rfc3339),
            statutory_due_at: a.statutory_due_at.map(rfc3339),
            gross_minutes: a.gross_minutes,
            paused_minutes: a.paused_minutes,
            net_minutes: a.net_minutes,
            phases: a.phases.iter().map(PhaseView::from).collect(),
            attachments: a.attachments.iter().map(AttachmentView::from).collect(),
            permit_no: a.permit_no.clone(),
            kind: a.kind.as_str().to_string(),
            permits: a.permits.clone(),
            project: project_part(a, &a.input.project),
            loads: project_part(a, &a.input.loads),
            fleet: project_part(a, &a.input.fleet),
        }
    }
}

/// A project's own part: present (`null` while a draft lacks it) for a project, absent for a
/// single application.
fn project_part<T: Serialize>(a: &Application, value: &T) -> Option<serde_json::Value> {
    (a.kind == ApplicationKind::Project).then(|| part(value))
}

impl From<Application> for ApplicationView {
    fn from(a: Application) -> Self {
        ApplicationView::from(&a)
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
    /// `wall` (clock hours) or `working` (the authority's working hours).
    pub budget_clock: String,
    /// While open or claimed: the budget left now on that clock, negative once overdue.
    pub remaining_minutes: Option<i64>,
    pub escalation_level: i32,
    pub permit_class: Option<String>,
    /// `application`, or `amendment` when the task reviews a change to an issued permit.
    pub kind: String,
    /// The application's kind: single or project.
    pub application_kind: String,
    /// A project's number of loads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loads: Option<usize>,
    /// A project's number of vehicles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicles: Option<usize>,
    /// A project's trips over every load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trips: Option<i64>,
}

impl From<QueueEntry> for QueueItem {
    fn from(q: QueueEntry) -> Self {
        QueueItem {
            kind: if q.amendment {
                "amendment"
            } else {
                "application"
            }
            .to_string(),
            application_kind: q.kind.as_str().to_string(),
            loads: q.project.map(|p| p.loads),
            vehicles: q.project.map(|p| p.vehicles),
            trips: q.project.map(|p| p.trips),
            id: q.id,
            application_id: q.application_id,
            reference: q.reference,
            authority_code: q.authority_code,
            phase: q.phase,
            step: q.step,
            state: q.state.as_str().to_string(),
            assignee: q.assignee,
            opened_at: q.opened_at.map(rfc3339),
            due_at: q.due_at.map(rfc3339),
            budget_clock: q.budget_clock.as_str().to_string(),
            remaining_minutes: q.remaining_minutes,
            escalation_level: q.escalation_level,
            permit_class: q.permit_class,
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

impl From<AuditEntry> for EventView {
    fn from(e: AuditEntry) -> Self {
        EventView {
            at: rfc3339(e.at),
            kind: e.kind,
            actor: e.actor,
            detail: e.detail,
        }
    }
}

/// A vehicle under way now on a load's permit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InTransitView {
    /// The tractor plate of the vehicle.
    pub plate: String,
    pub trip_no: i32,
    pub departed_at: String,
    pub last_seen_at: String,
    pub last_seen_location: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LoadProgressView {
    /// The load's key (null for a single application).
    pub key: Option<String>,
    pub permit_no: Option<String>,
    pub trips_allowed: i64,
    pub trips_used: i64,
    pub in_transit: Vec<InTransitView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehicleTripsView {
    pub tractor_plate: String,
    pub trips: i64,
    pub under_way: bool,
}

/// A campaign's progress (API.md "Transport projects").
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressView {
    pub loads: Vec<LoadProgressView>,
    pub vehicles: Vec<VehicleTripsView>,
    pub trips_used: i64,
    pub trips_allowed: i64,
}

impl From<Progress> for ProgressView {
    fn from(p: Progress) -> Self {
        ProgressView {
            loads: p
                .loads
                .into_iter()
                .map(|l| LoadProgressView {
                    key: l.key,
                    permit_no: l.permit_no,
                    trips_allowed: l.trips_allowed,
                    trips_used: l.trips_used,
                    in_transit: l
                        .in_transit
                        .into_iter()
                        .map(|t| InTransitView {
                            plate: t.plate,
                            trip_no: t.trip_no,
                            departed_at: rfc3339(t.departed_at),
                            last_seen_at: rfc3339(t.last_seen_at),
                            last_seen_location: t.last_seen_location,
                        })
                        .collect(),
                })
                .collect(),
            vehicles: p
                .vehicles
                .into_iter()
                .map(|v| VehicleTripsView {
                    tractor_plate: v.tractor_plate,
                    trips: v.trips,
                    under_way: v.under_way,
                })
                .collect(),
            trips_used: p.trips_used,
            trips_allowed: p.trips_allowed,
        }
    }
}
