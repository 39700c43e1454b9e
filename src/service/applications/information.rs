//! An information round (补正): a change checked against the reviewers it had, and the
//! applicant's answer.

use super::rows::Loaded;
use super::submission::assess;
use super::view::Application;
use super::{applied, domain_error, input_json, load_own, rows, store_and_notify, view};
use crate::db::{applications as q, write_transaction, DbConnection};
use crate::domain::application::ApplicationInput;
use crate::domain::ids::ApplicationId;
use crate::domain::workflow::case::decide as decide_command;
use crate::domain::workflow::{AppStatus, Command};
use crate::domain::{rules, FieldError, Message};
use crate::service::{stored, Caller, Engine, ServiceError};
use chrono::NaiveDateTime;

/// What a change in an information round amounts to.
pub(super) struct Change {
    pub(super) material: bool,
    pub(super) class: rules::PermitClass,
}

/// A change must be valid in full, keep the same reviewing authorities (a different set means
/// a different application: withdraw and apply again), and is material when cargo, vehicle or
/// route differ.
pub(super) fn check_change(
    conn: &mut DbConnection,
    engine: &Engine,
    before: &Loaded,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<Change, ServiceError> {
    let (spec, assessment) = assess(conn, engine, &before.row, input, now)?;
    let (Some(name), Some(version)) = (&before.row.workflow, before.row.workflow_version) else {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "a submitted application without a workflow"
        )));
    };
    let definition = engine.workflows.get(name, version).ok_or_else(|| {
        ServiceError::Internal(anyhow::anyhow!("workflow {name} v{version} is not loaded"))
    })?;
    let planned: Vec<(String, Vec<String>)> = definition
        .plan(&spec, &assessment.issuer)
        .into_iter()
        .map(|p| {
            let mut codes: Vec<String> = p.tasks.into_iter().map(|t| t.authority_code).collect();
            codes.sort();
            (p.name, codes)
        })
        .collect();
    let current: Vec<(String, Vec<String>)> = before
        .case
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut codes: Vec<String> = before
                .case
                .tasks
                .iter()
                .filter(|t| t.phase == i)
                .map(|t| t.authority_code.clone())
                .collect();
            codes.sort();
            (p.name.clone(), codes)
        })
        .collect();
    if planned != current {
        return Err(
            FieldError::new("route.segments", Message::new("error.reviewers_change")).into(),
        );
    }
    let old: ApplicationInput = stored("application input", &before.row.input)?;
    let material = input.differs_materially_from(&old);
    Ok(Change {
        material,
        class: assessment.class,
    })
}

/// Was the input changed materially by an edit since information was last requested?
fn edited_materially_since_request(
    conn: &mut DbConnection,
    id: &str,
) -> Result<bool, ServiceError> {
    let events = q::events(conn, id)?;
    let since = events
        .iter()
        .rposition(|(e, _)| e.kind == "info_requested")
        .unwrap_or(0);
    Ok(events[since..].iter().any(|(e, _)| {
        e.kind == "edited"
            && serde_json::from_str::<serde_json::Value>(&e.detail)
                .is_ok_and(|d| d["material_change"] == true)
    }))
}

/// A file sent with an answer: its kind, its name and its bytes.
pub type AnsweredFile = (String, String, Vec<u8>);

/// The answer to an information request with the documents asked for (and, when given, the
/// changed application): all of them in one transaction, or none.
#[allow(clippy::too_many_arguments)]
pub fn respond_with_files(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    message: &str,
    changes: Option<&ApplicationInput>,
    files: &[AnsweredFile],
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    write_transaction(conn, |conn| {
        for (kind, filename, bytes) in files {
            let upload = super::Upload {
                kind,
                load: None,
                filename,
                bytes,
            };
            super::add_attachment(conn, engine, caller, id, upload, now)?;
        }
        respond(conn, engine, caller, id, message, changes, now)
    })
}

pub fn respond(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    message: &str,
    changes: Option<&ApplicationInput>,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let id = id.as_str();
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, engine, caller, id)?;
        if before.case.status != AppStatus::InfoRequested {
            return Err(ServiceError::Conflict(
                "no information was requested".into(),
            ));
        }
        let change = match changes {
            Some(input) => Some(check_change(conn, engine, &before, input, now)?),
            None => None,
        };
        let material = change.as_ref().is_some_and(|c| c.material)
            || edited_materially_since_request(conn, id)?;
        let command = Command::Respond {
            message: message.to_string(),
            material_change: material,
        };
        let events =
            decide_command(&before.case, command, &caller.actor(), now).map_err(domain_error)?;
        let after = applied(&before.case, &events);
        let mut row = rows::next_row(&before.row, &after, now);
        if let (Some(input), Some(change)) = (changes, &change) {
            row.input = input_json(input)?;
            row.permit_class = Some(change.class.to_string());
        }
        store_and_notify(conn, engine, &before, &row, &after, events, now)?;
        Ok::<_, ServiceError>(Loaded { row, case: after })
    })?;
    view(conn, engine, &loaded, now)
}
