//! The escalation monitor (督办): runs the SLA ladder over every application with a task near
//! or past its due time, one transaction each, storing the reminders and escalations as audit
//! events with their e-mails. Several instances may run it at once: each application's version
//! guard lets exactly one of them record a threshold; the others find nothing left to do.

use super::applications::rows;
use super::Engine;
use super::ServiceError;
use crate::db::applications as q;
use crate::db::{write_transaction, DbConnection};
use crate::domain::workflow::escalation;
use chrono::NaiveDateTime;

/// Runs the monitor at `now`; how many reminders and escalations it recorded.
pub fn run(
    conn: &mut DbConnection,
    engine: &Engine,
    now: NaiveDateTime,
) -> Result<usize, ServiceError> {
    let mut recorded = 0;
    let due = q::with_tasks_near_due(conn, now)?;
    if due.is_empty() {
        return Ok(0);
    }
    let time = super::reference::load_timebook(conn, engine)?;
    for id in due {
        let outcome = write_transaction(conn, |conn| {
            let Some(before) = rows::load(conn, &time, &id)? else {
                return Ok(0);
            };
            let events = escalation::due(&before.case, now);
            if events.is_empty() {
                return Ok(0);
            }
            let count = events.len();
            super::applications::record_engine_events(conn, engine, &before, events, now)?;
            Ok(count)
        });
        match outcome {
            Ok(count) => recorded += count,
            // Another instance recorded it first, or someone decided meanwhile: next round.
            Err(ServiceError::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(recorded)
}
