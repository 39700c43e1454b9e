//! The SLA ladder (督办) as a pure function: which reminders and escalations are due on an
//! application now. A task's clock starts when it opens and stops while the applicant is asked
//! for information (its due time is pushed back by every pause); at 75 % of its budget the
//! authority's reviewers are reminded, past 100 % the task is overdue at level 1, past 150 % at
//! level 2 (the prefecture), past 200 % at level 3 (the region). Each fires once. The shares
//! are of the task's own clock: a budget in working hours passes only while its authority
//! works, so no reminder or escalation falls due at night for an office.

use super::case::{Case, Event, Task, TaskState};
use crate::domain::timebook::Timebook;
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
        let clock = task.clock(case.timebook());
        let start = clock.back(due_at, TimeDelta::minutes(budget));
        let elapsed = clock.between(start, now).num_seconds();
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

/// The next moment the ladder may have something to do for `task`: the reminder while it is
/// due, else the next level; none for a task that is not pending or past level 3. Stored with
/// the task so that the monitor only loads applications whose moment has come; never later
/// than the threshold (`due` decides exactly).
pub fn next_moment(time: &Timebook, task: &Task) -> Option<NaiveDateTime> {
    if !matches!(task.state, TaskState::Open | TaskState::Claimed) || task.budget_minutes <= 0 {
        return None;
    }
    let clock = task.clock(time);
    let start = clock.back(task.due_at?, TimeDelta::minutes(task.budget_minutes));
    let at_percent = |percent: i64| {
        clock.add(
            start,
            TimeDelta::seconds(task.budget_minutes * 60 * percent / 100),
        )
    };
    if task.reminded_at.is_none() && task.escalation_level == 0 {
        return Some(at_percent(REMINDER_PERCENT));
    }
    LEVELS
        .iter()
        .find(|(level, _)| task.escalation_level < *level)
        .map(|(_, percent)| at_percent(*percent))
}

#[cfg(test)]
#[path = "escalation_tests.rs"]
mod tests;
