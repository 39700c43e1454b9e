//! What happens to an application, as the audit log records it and the e-mails follow it.

use super::case::NewPhase;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

type Time = NaiveDateTime;

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
        /// Why, when the applicant said (events recorded before it was asked have none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
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
