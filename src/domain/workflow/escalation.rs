//! The SLA ladder (督办) as a pure function: which reminders and escalations are due on an
//! application now. A task's clock starts when it opens and stops while the applicant is asked
//! for information (its due time is pushed back by every pause); at 75 % of its budget the
//! authority's reviewers are reminded, past 100 % the task is overdue at level 1, past 150 % at
//! level 2 (the prefecture), past 200 % at level 3 (the region). Each fires once.

use super::case::{Case, Event, TaskState};
use chrono::{NaiveDateTime, TimeDelta};

/// Escalation levels by the share of the budget that must have passed (strictly).
pub const LEVELS: [(i32, i64); 3] = [(1, 100), (2, 150), (3, 200)];
/// The reminder goes out when this share of the budget has passed.
pub const REMINDER_PERCENT: i64 = 75;

/// The events due on `case` at `now`, oldest threshold first.
pub fn due(case: &Case, now: NaiveDateTime) -> Vec<Event> {
    // While the applicant is being waited for, no task's clock runs.
    if !case.status.clock_runs() || case.paused_since.is_some() {
        return Vec::new();
    }
    let mut events = Vec::new();
    for task in &case.tasks {
        if !matches!(task.state, TaskState::Open | TaskState::Claimed) {
            continue;
        }
        let (Some(due_at), budget) = (task.due_at, task.budget_minutes) else {
            continue;
        };
        if budget <= 0 {
            continue;
        }
        // The due time already includes every pause since the task opened.
        let start = due_at - TimeDelta::minutes(budget);
        let elapsed = (now - start).num_seconds();
        let passed = |percent: i64| elapsed * 100 >= budget * 60 * percent;
        let overdue = elapsed * 100 > budget * 60 * 100;
        if task.reminded_at.is_none()
            && task.escalation_level == 0
            && passed(REMINDER_PERCENT)
            && !overdue
        {
            events.push(Event::TaskReminded {
                at: now,
                task_id: task.id.clone(),
            });
        }
        for (level, percent) in LEVELS {
            if task.escalation_level < level && elapsed * 100 > budget * 60 * percent {
                events.push(Event::TaskEscalated {
                    at: now,
                    task_id: task.id.clone(),
                    level,
                });
            }
        }
    }
    events
}

#[cfg(test)]
#[path = "escalation_tests.rs"]
mod tests;
