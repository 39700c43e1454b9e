//! The approvals digest: a joint review's approvals are not an e-mail each, they are told to
//! the applicant together — with the next e-mail of a step (information requested, issued,
//! refused), or by this job once the last news is [`DIGEST_EVERY_HOURS`] old. One transaction
//! per application: its `reported_at`, an audit event naming the approvals told, and the
//! e-mail. Several instances may run it: the version guard lets one of them tell.

use super::applications::rows::{self, AuditEvent};
use super::notify::{self, DIGEST_EVERY_HOURS};
use super::{Engine, ServiceError};
use crate::db::applications as q;
use crate::db::applications::ApplicationRow;
use crate::db::{write_transaction, DbConnection};
use chrono::{NaiveDateTime, TimeDelta};

/// Sends the digests due at `now`; how many it sent.
pub fn run(
    conn: &mut DbConnection,
    engine: &Engine,
    now: NaiveDateTime,
) -> Result<usize, ServiceError> {
    let told_by = now - TimeDelta::hours(DIGEST_EVERY_HOURS);
    let due = q::with_untold_approvals(conn, told_by)?;
    if due.is_empty() {
        return Ok(0);
    }
    let time = super::reference::load_timebook(conn, engine)?;
    let mut sent = 0;
    for id in due {
        let outcome = write_transaction(conn, |conn| {
            let Some(before) = rows::load(conn, &time, &id)? else {
                return Ok(0);
            };
            let told_at = before.row.reported_at;
            let untold = notify::untold_approvals(&before.case, told_at);
            if told_at.is_some_and(|at| at > told_by) || untold.is_empty() {
                return Ok(0);
            }
            let row = ApplicationRow {
                version: before.row.version + 1,
                reported_at: Some(now),
                ..before.row.clone()
            };
            if !q::update_if_version(conn, &row, before.row.version)? {
                return Err(ServiceError::Conflict("changed meanwhile".into()));
            }
            let event = AuditEvent {
                at: now,
                kind: "progress_reported".into(),
                actor: None,
                task_id: None,
                detail: serde_json::json!({ "authorities": untold }),
            };
            let ids = rows::append_events(conn, &row.id, std::slice::from_ref(&event))?;
            notify::digest(conn, engine, &before.row, &before.case, &ids[0], now)?;
            Ok(1)
        });
        match outcome {
            Ok(n) => sent += n,
            // Another instance told it first, or a decision came meanwhile: next round.
            Err(ServiceError::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(sent)
}
