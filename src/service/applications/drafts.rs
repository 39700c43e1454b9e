//! Drafts: creating one and replacing its input (in an information round, a checked change
//! kept for the answer).

use super::information::check_change;
use super::rows::Loaded;
use super::view::Application;
use super::{audit, input_json, load_own, refuse_oversized, rows, view};
use crate::db::applications::ApplicationRow;
use crate::db::{applications as q, new_id, write_transaction, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationKind};
use crate::domain::ids::ApplicationId;
use crate::domain::role::Role;
use crate::domain::workflow::{AppStatus, Case};
use crate::domain::{FieldError, Message};
use crate::service::{Caller, Engine, ServiceError};
use chrono::{Datelike, NaiveDateTime};

pub fn create(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let (Role::Applicant, Some(firm_id)) = (caller.role, &caller.user.firm_id) else {
        return Err(ServiceError::Forbidden(
            "only applicants create applications".into(),
        ));
    };
    refuse_oversized(engine, input)?;
    let loaded = write_transaction(conn, |conn| {
        let row = ApplicationRow {
            id: new_id(),
            reference: q::next_reference(conn, engine.today(now).year())?,
            firm_id: firm_id.clone(),
            created_by: caller.user.id.clone(),
            status: AppStatus::Draft.as_str().into(),
            version: 1,
            input: input_json(input)?,
            workflow: None,
            workflow_version: None,
            permit_class: None,
            issuing_level: None,
            issuing_authority: None,
            statutory_working_days: None,
            statutory_due_at: None,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            accepted_at: None,
            decided_at: None,
            issued_at: None,
            paused_minutes: 0,
            paused_since: None,
            reported_at: None,
            net_minutes: None,
            submitted_day: None,
            submitted_week: None,
            permit_no: None,
            kind: input
                .kind()
                .unwrap_or(ApplicationKind::Single)
                .as_str()
                .to_string(),
        };
        q::insert(conn, &row)?;
        rows::append_events(
            conn,
            &row.id,
            &[audit(
                now,
                "created",
                caller,
                serde_json::json!({"reference": row.reference}),
            )],
        )?;
        Ok::<_, ServiceError>(Loaded {
            row,
            case: Case::default(),
        })
    })?;
    view(conn, engine, &loaded, now)
}

/// Replaces a draft's input. In an information round the change is checked in full and kept
/// for the answer (see `respond`).
pub fn update(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    input: &ApplicationInput,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let id = id.as_str();
    refuse_oversized(engine, input)?;
    let loaded = write_transaction(conn, |conn| {
        let before = load_own(conn, engine, caller, id)?;
        let kind = input.kind().unwrap_or(ApplicationKind::Single);
        if kind.as_str() != before.row.kind {
            return Err(FieldError::new(
                "kind",
                Message::new("error.kind_fixed").with("kind", &before.row.kind),
            )
            .into());
        }
        let mut row = rows::next_row(&before.row, &before.case, now);
        let mut detail = serde_json::json!({});
        match before.case.status {
            AppStatus::Draft => {}
            AppStatus::InfoRequested => {
                let change = check_change(conn, engine, &before, input, now)?;
                detail = serde_json::json!({"material_change": change.material});
                row.permit_class = Some(change.class.to_string());
            }
            _ => return Err(FieldError::new("status", Message::new("error.only_draft")).into()),
        }
        row.input = input_json(input)?;
        rows::store(
            conn,
            &before,
            &row,
            &before.case,
            &[audit(now, "edited", caller, detail)],
        )?;
        Ok::<_, ServiceError>(Loaded {
            row,
            case: before.case,
        })
    })?;
    view(conn, engine, &loaded, now)
}

/// Discards a draft of the caller's firm: it goes, with its files' records and its events. Only
/// a draft: anything submitted stays on record (withdraw it instead). The deletion is an audit
/// event (admins see who discarded which reference).
pub fn discard(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    now: NaiveDateTime,
) -> Result<String, ServiceError> {
    write_transaction(conn, |conn| {
        let loaded = load_own(conn, engine, caller, id.as_str())?;
        if loaded.case.status != AppStatus::Draft {
            return Err(ServiceError::Conflict(format!(
                "the application is {}: only a draft can be discarded",
                loaded.case.status
            )));
        }
        q::delete_draft(conn, &loaded.row.id)?;
        crate::db::admin_events::record(
            conn,
            now,
            Some(&caller.user.id),
            "draft_discarded",
            &loaded.row.reference,
            serde_json::json!({"firm_id": loaded.row.firm_id}),
        )?;
        Ok(loaded.row.reference)
    })
}
