//! Application use cases, one module per capability: drafts, submission through every rule
//! of SPEC §2 (and withdrawal), information rounds, the reviewers' commands, what each caller
//! may read, attachments. Each change is one write transaction holding the new state, its
//! audit events and its e-mails; this module holds the loading and storing they share.

pub mod amendments;
pub mod attachments;
pub mod drafts;
pub mod information;
pub mod projects;
pub mod queries;
pub mod review;
pub mod rows;
pub mod submission;
pub mod view;

use self::rows::{AuditEvent, Loaded};
use self::view::Application;
use super::notify;
use super::{scope_of, Caller, Engine, ServiceError};
use crate::db::applications::{self as q, ApplicationRow};
use crate::db::users as user_q;
use crate::db::DbConnection;
use crate::domain::application::{ApplicationInput, ApplicationKind};
use crate::domain::role::Role;
use crate::domain::workflow::{Case, DomainError, Event};
use crate::domain::{FieldError, Message};
use chrono::NaiveDateTime;

pub use self::attachments::{add_attachment, attachment_file, Upload};
pub use self::drafts::{create, discard, update};
pub use self::information::{respond, respond_with_files};
pub use self::projects::{copy, copy_as, progress, Progress};
pub use self::queries::{events, get, list, list_where, queue, Page};
pub use self::review::{claim_or_release, decide, task_command, TaskDecision};
pub use self::submission::{check, submit, withdraw, withdraw_because};

/// The application if the caller may see it; otherwise not found, never "forbidden".
fn load_visible(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
) -> Result<Loaded, ServiceError> {
    ensure_visible(conn, caller, id)?;
    let time = super::reference::load_timebook(conn, engine)?;
    rows::load(conn, &time, id)?.ok_or(ServiceError::NotFound)
}

/// Not found unless the caller may see the application.
fn ensure_visible(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<(), ServiceError> {
    let scope = scope_of(conn, caller)?;
    if q::in_scope(conn, id, &scope)? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// The caller's own firm's application, for the applicant's commands.
fn load_own(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &str,
) -> Result<Loaded, ServiceError> {
    let loaded = load_visible(conn, engine, caller, id)?;
    if caller.role != Role::Applicant {
        return Err(ServiceError::Forbidden("only the applicant's firm".into()));
    }
    Ok(loaded)
}

pub fn view(
    conn: &mut DbConnection,
    engine: &Engine,
    loaded: &Loaded,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let firm_code = user_q::find_firm(conn, &loaded.row.firm_id)?
        .map(|f| f.credit_code)
        .unwrap_or_default();
    let attachments = q::attachments_of(conn, &loaded.row.id)?;
    let input = super::stored("application input", &loaded.row.input)?;
    let mut application = Application::new(
        &loaded.row,
        &loaded.case,
        input,
        firm_code,
        attachments,
        engine.target_hours,
        now,
    );
    if application.kind == ApplicationKind::Project && loaded.row.permit_no.is_some() {
        application.permits = crate::db::permits::of_application(conn, &loaded.row.id)?
            .into_iter()
            .map(|p| p.permit_no)
            .collect();
    }
    Ok(application)
}

fn domain_error(error: DomainError) -> ServiceError {
    match error {
        DomainError::Forbidden(why) => ServiceError::Forbidden(why.into()),
        DomainError::UnknownTask => ServiceError::NotFound,
        DomainError::Conflict(why) => ServiceError::Conflict(why),
        DomainError::Required(field) => {
            FieldError::new(field, Message::new("error.required")).into()
        }
    }
}

impl From<FieldError> for ServiceError {
    fn from(error: FieldError) -> Self {
        ServiceError::Validation(error.into())
    }
}

fn audit(at: NaiveDateTime, kind: &str, actor: &Caller, detail: serde_json::Value) -> AuditEvent {
    AuditEvent {
        at,
        kind: kind.into(),
        actor: Some(actor.user.id.clone()),
        task_id: None,
        detail,
    }
}

/// Refuses, even in a draft, a kind that does not exist and lists longer than the rules allow.
fn refuse_oversized(engine: &Engine, input: &ApplicationInput) -> Result<(), ServiceError> {
    if input.kind().is_none() {
        return Err(FieldError::new(
            "kind",
            Message::new("error.one_of")
                .with("value", input.kind.as_deref().unwrap_or_default())
                .with("allowed", "single, project"),
        )
        .into());
    }
    let errors = input.oversized(&engine.rules);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.into())
    }
}

fn input_json(input: &ApplicationInput) -> Result<String, ServiceError> {
    serde_json::to_string(input).map_err(|e| ServiceError::Internal(e.into()))
}

/// Records events the engine itself raises (the escalation monitor's), with their e-mails, in
/// the caller's transaction; a changed application is a conflict.
pub fn record_engine_events(
    conn: &mut DbConnection,
    engine: &Engine,
    before: &Loaded,
    events: Vec<Event>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let after = applied(&before.case, &events);
    let row = rows::next_row(&before.row, &after, now);
    store_and_notify(conn, engine, before, &row, &after, events, now)
}

/// Writes a command's outcome: the state, its audit events, and the e-mails they cause, all in
/// the caller's transaction.
fn store_and_notify(
    conn: &mut DbConnection,
    engine: &Engine,
    before: &Loaded,
    row: &ApplicationRow,
    after: &Case,
    events: Vec<Event>,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let audit: Vec<AuditEvent> = events.iter().map(AuditEvent::from).collect();
    // An e-mail of a step tells the applicant how review stands: the approvals so far go with
    // it, and the next digest counts from here.
    let issuer = row.issuing_authority.as_deref();
    let mut row = row.clone();
    if notify::tells_applicant(&events, &before.case, after, issuer) {
        row.reported_at = Some(now);
    }
    let ids = rows::store(conn, before, &row, after, &audit)?;
    let pairs: Vec<(String, Event)> = ids.into_iter().zip(events).collect();
    let reported = before.row.reported_at;
    notify::enqueue_for(
        conn,
        engine,
        &row,
        &before.case,
        after,
        &pairs,
        reported,
        now,
    )
}

fn applied(case: &Case, events: &[Event]) -> Case {
    let mut after = case.clone();
    for e in events {
        after.apply(e);
    }
    after
}
