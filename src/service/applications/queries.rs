//! What a caller may read: one application, a page of them, its audit log, a reviewer's queue.

use super::view::{Application, AuditEntry, QueueEntry};
use super::{ensure_visible, load_visible, rows, view};
use crate::db::{applications as q, DbConnection};
use crate::domain::application::ApplicationKind;
use crate::domain::ids::ApplicationId;
use crate::domain::paging::Paging;
use crate::domain::role::Role;
use crate::domain::workflow::AppStatus;
use crate::domain::{FieldError, Message};
use crate::service::{scope_of, stored, Caller, Engine, ServiceError};
use chrono::NaiveDateTime;

pub fn get(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let id = id.as_str();
    let loaded = load_visible(conn, engine, caller, id)?;
    view(conn, engine, &loaded, now)
}

pub struct Page {
    pub items: Vec<Application>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

pub fn list(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    status: Option<&str>,
    kind: Option<&str>,
    paging: Paging,
    now: NaiveDateTime,
) -> Result<Page, ServiceError> {
    let filter = q::ListFilter {
        status,
        kind,
        ..Default::default()
    };
    list_where(conn, engine, caller, filter, paging, now)
}

/// The list narrowed further: by text (reference, firm, plate, cargo, place) and authority.
pub fn list_where(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    filter: q::ListFilter<'_>,
    paging: Paging,
    now: NaiveDateTime,
) -> Result<Page, ServiceError> {
    let (status, kind) = (filter.status, filter.kind);
    if let Some(k) = kind {
        k.parse::<ApplicationKind>().map_err(|_| {
            ServiceError::from(FieldError::new(
                "kind",
                Message::new("error.one_of")
                    .with("value", k)
                    .with("allowed", "single, project"),
            ))
        })?;
    }
    if let Some(s) = status {
        s.parse::<AppStatus>().map_err(|_| {
            ServiceError::from(FieldError::new("status", Message::new("error.one_of").with("value", s).with(
                "allowed",
                "draft, submitted, under_review, info_requested, issued, not_accepted, rejected, withdrawn",
            )))
        })?;
    }
    let scope = scope_of(conn, caller)?;
    let (found, total) = q::list(conn, &scope, filter, paging)?;
    let mut items = Vec::with_capacity(found.len());
    let time = crate::service::reference::load_timebook(conn, engine)?;
    for row in found {
        let loaded = rows::load(conn, &time, &row.id)?.ok_or(ServiceError::NotFound)?;
        items.push(view(conn, engine, &loaded, now)?);
    }
    Ok(Page {
        items,
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

pub fn events(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ApplicationId,
) -> Result<Vec<AuditEntry>, ServiceError> {
    let id = id.as_str();
    ensure_visible(conn, caller, id)?;
    q::events(conn, id)?
        .into_iter()
        .map(|(e, actor)| {
            Ok(AuditEntry {
                at: e.at,
                detail: stored("audit event detail", &e.detail)?,
                kind: e.kind,
                actor,
            })
        })
        .collect()
}

/// A reviewer's queue: `open`, `claimed`, `mine` (claimed by the caller) or `all` (every task
/// not yet decided), oldest due first.
pub fn queue(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    filter: &str,
    now: NaiveDateTime,
) -> Result<Vec<QueueEntry>, ServiceError> {
    let (Role::Reviewer, Some(authority)) = (caller.role, &caller.user.authority_code) else {
        return Err(ServiceError::Forbidden("the queue is for reviewers".into()));
    };
    let (states, assignee): (&[&str], Option<&str>) = match filter {
        "open" => (&["open"], None),
        "claimed" => (&["claimed"], None),
        "mine" => (&["claimed"], Some(caller.user.id.as_str())),
        "all" => (&["open", "claimed", "info_requested"], None),
        // What the authority has decided, the latest first.
        "done" => (&["approved", "rejected"], None),
        other => {
            return Err(FieldError::new(
                "state",
                Message::new("error.one_of")
                    .with("value", other)
                    .with("allowed", "open, claimed, mine, all, done"),
            )
            .into())
        }
    };
    let time = crate::service::reference::load_timebook(conn, engine)?;
    q::queue(conn, authority, states, assignee, filter == "done")?
        .into_iter()
        .map(|row| {
            let mut entry = QueueEntry::try_from(row)?;
            entry.remaining_minutes = entry.remaining_minutes(&time, now);
            Ok(entry)
        })
        .collect()
}
