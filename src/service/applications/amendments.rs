//! Amendments (变更): the holder asks to change an issued permit's plates, last day or trips;
//! the `amendment` workflow reviews it as a case of its own (an application row under that
//! workflow, with the permit's application's kind and areas, so queues, SLA, reminders and
//! escalation are the ones every case has); its approval re-issues the permit as the next
//! version in the approving transaction. The permit's application's timeline records each
//! step.

use super::rows::{self, Loaded};
use super::{applied, audit, domain_error, store_and_notify};
use crate::db::amendments::{self as q, AmendmentRow};
use crate::db::applications::{self as app_q, ApplicationRow};
use crate::db::permits::{self as permit_q, PermitRow};
use crate::db::{new_id, write_transaction, DbConnection};
use crate::domain::amendment::{self, Amendable, AmendmentStatus, Changes, TRIPS_ADDED};
use crate::domain::application::{LoadFacts, Route, Subject};
use crate::domain::ids::PermitNo;
use crate::domain::permit::{merge_conditions, PermitStatus};
use crate::domain::role::Role;
use crate::domain::workflow::case::decide as decide_command;
use crate::domain::workflow::case::{NewPhase, NewTask};
use crate::domain::workflow::{AppStatus, Case, Command, Event, TaskState};
use crate::domain::{FieldError, Message};
use crate::service::permits::{self, json};
use crate::service::{stored, Caller, Engine, ServiceError};
use chrono::NaiveDateTime;

/// The workflow of an amendment's case (its row keeps the kind of the permit's application).
pub const AMENDMENT: &str = "amendment";

/// An amendment as its readers see it.
#[derive(Debug, Clone)]
pub struct Amendment {
    pub row: AmendmentRow,
    pub status: AmendmentStatus,
    pub changes: Changes,
    /// The permit's values the changes replace.
    pub previous: Changes,
    /// Its review: the tasks, as an application's.
    pub case: Case,
    pub reference: String,
}

/// What the request's changes are judged by: the permit now.
fn amendable(engine: &Engine, row: &PermitRow) -> Result<Amendable, ServiceError> {
    let project = row.load_key.is_some();
    Ok(Amendable {
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        trips_allowed: row.trips_allowed,
        trips_used: row.trips_used,
        vehicles: permits::vehicles_of(row)?,
        max_vehicles: if project {
            engine.rules.projects.max_fleet
        } else {
            1
        },
        max_window_days: if project {
            engine.rules.projects.max_project_days
        } else {
            engine.rules.plausible.max_window_days
        },
    })
}

/// What the workflow's conditions read of an amendment: the trips it adds.
struct AmendmentSubject {
    trips_added: i64,
    route: Route,
}

impl Subject for AmendmentSubject {
    fn loads(&self) -> Vec<LoadFacts<'_>> {
        Vec::new()
    }

    fn route(&self) -> &Route {
        &self.route
    }

    fn figure(&self, field: &str) -> Option<f64> {
        (field == TRIPS_ADDED).then_some(self.trips_added as f64)
    }
}

fn status_of(case: &Case) -> AmendmentStatus {
    match case.status {
        AppStatus::Issued => AmendmentStatus::Approved,
        AppStatus::Withdrawn => AmendmentStatus::Withdrawn,
        s if s.is_terminal() => AmendmentStatus::Rejected,
        _ => AmendmentStatus::UnderReview,
    }
}

/// The holder's firm asks for an amendment of `permit_no`: checked against the permit now,
/// one at a time, and put to its reviewers in one transaction with its audit events (on the
/// amendment and on the permit's application) and the reviewers' e-mails.
#[allow(clippy::too_many_arguments)]
pub fn request(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    permit_no: &PermitNo,
    reason: Option<&str>,
    changes: &serde_json::Value,
    version: Option<i32>,
    now: NaiveDateTime,
) -> Result<Amendment, ServiceError> {
    let permit_no = permit_no.as_str();
    // Who may ask is settled before any lock is taken: someone else's requests never hold
    // up the permit's scans.
    let readable = permit_q::find(conn, permit_no)?.ok_or(ServiceError::NotFound)?;
    if !permits::can_read(conn, caller, &readable)? {
        return Err(ServiceError::NotFound);
    }
    if caller.role != Role::Applicant {
        return Err(ServiceError::Forbidden(
            "only the holder's firm asks for an amendment".into(),
        ));
    }
    let id = write_transaction(conn, |conn| {
        if !permit_q::lock(conn, permit_no)? {
            return Err(ServiceError::NotFound);
        }
        let permit = permit_q::find(conn, permit_no)?.ok_or(ServiceError::NotFound)?;
        if version.is_some_and(|v| v != permit.version) {
            return Err(ServiceError::Conflict(format!(
                "superseded: the permit is at version {} now",
                permit.version
            )));
        }
        match permits::facts(&permit).status(engine.today(now)) {
            PermitStatus::Revoked | PermitStatus::Expired => {
                return Err(FieldError::new(
                    "permit_no",
                    Message::new("error.permit_not_amendable")
                        .with("status", permits::facts(&permit).status(engine.today(now))),
                )
                .into());
            }
            _ => {}
        }
        if q::open_of(conn, permit_no)?.is_some() {
            return Err(ServiceError::Conflict(
                "an amendment of this permit is under review already".into(),
            ));
        }
        let before = amendable(engine, &permit)?;
        let (reason, changes) =
            amendment::parse(reason, changes, &before, engine.today(now), &engine.rules)?;
        let parent = app_q::find(conn, &permit.application_id)?.ok_or(ServiceError::NotFound)?;
        let definition = engine.workflows.latest(AMENDMENT).ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("the amendment workflow is not loaded"))
        })?;
        let areas = app_q::areas_of(conn, &parent.id)?;
        let counties: Vec<String> = areas.iter().map(|(c, _)| c.clone()).collect();
        let tree = crate::service::reference::load_tree(conn)?;
        let mut issuer = tree.issuer_for(&counties).ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("the permit's route has no issuer"))
        })?;
        issuer.authority_code = permit.issuing_authority.clone();
        let subject = AmendmentSubject {
            trips_added: changes.trips_added(&before),
            route: Route {
                origin: String::new(),
                destination: String::new(),
                segments: Vec::new(),
            },
        };
        let phases: Vec<NewPhase> = definition
            .plan(&subject, &issuer)
            .into_iter()
            .map(|p| NewPhase {
                name: p.name,
                tasks: p
                    .tasks
                    .into_iter()
                    .map(|planned| NewTask {
                        id: new_id(),
                        planned,
                    })
                    .collect(),
            })
            .collect();
        let number = q::next_number(conn, &parent.id)?;
        let draft = ApplicationRow {
            id: new_id(),
            reference: format!("{}-A{number}", parent.reference),
            created_by: caller.user.id.clone(),
            status: AppStatus::Draft.as_str().into(),
            version: 1,
            workflow: Some(definition.name.clone()),
            workflow_version: Some(definition.version),
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
            // No submission day: reports of applications leave amendments out.
            submitted_day: None,
            submitted_week: None,
            permit_no: Some(permit_no.to_string()),
            ..parent.clone()
        };
        app_q::insert(conn, &draft)?;
        q::insert(
            conn,
            &AmendmentRow {
                id: draft.id.clone(),
                permit_no: permit_no.to_string(),
                application_id: parent.id.clone(),
                number,
                from_version: permit.version,
                to_version: None,
                changes: json(&changes)?,
                previous: json(&amendment::before_of(&changes, &before))?,
                reason: reason.clone(),
                requested_by: caller.user.id.clone(),
                created_at: now,
                decided_at: None,
                open_permit_no: Some(permit_no.to_string()),
            },
        )?;
        app_q::replace_areas(conn, &draft.id, &areas)?;
        let time = crate::service::reference::load_timebook(conn, engine)?;
        let loaded = rows::load(conn, &time, &draft.id)?.ok_or(ServiceError::NotFound)?;
        let events = decide_command(
            &loaded.case,
            Command::Submit { phases },
            &caller.actor(),
            now,
        )
        .map_err(domain_error)?;
        let after = applied(&loaded.case, &events);
        let row = rows::next_row(&loaded.row, &after, now);
        store_and_notify(conn, engine, &loaded, &row, &after, events, now)?;
        let detail = serde_json::json!({
            "amendment_id": draft.id, "permit_no": permit_no, "reference": draft.reference,
            "changes": changes, "reason": reason,
        });
        rows::append_events(
            conn,
            &parent.id,
            &[audit(now, "amendment_requested", caller, detail)],
        )?;
        Ok(draft.id)
    })?;
    find(conn, engine, &id)
}

/// Whether `row` is an amendment's case.
pub fn is_amendment(row: &ApplicationRow) -> bool {
    row.workflow.as_deref() == Some(AMENDMENT)
}

/// A request for information does not fit an amendment: it is approved or rejected (a
/// rejection says what is missing, and the holder asks again).
pub fn refuse_request_info(row: &ApplicationRow) -> Result<(), ServiceError> {
    if is_amendment(row) {
        return Err(FieldError::new("decision", Message::new("error.amendment_decision")).into());
    }
    Ok(())
}

/// After a decision on an amendment's task (or its holder's withdrawal), in its transaction:
/// an approval that ends the review re-issues the permit as its next version (the trips used
/// so far kept, the approvals' conditions added); a rejection or a withdrawal ends it. Either way the permit is open to the
/// next amendment, and the permit's application's timeline says so.
pub fn on_decided(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &ApplicationRow,
    after: &Case,
    events: &[Event],
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let approved = events.iter().any(|e| matches!(e, Event::Issued { .. }));
    let rejected = events
        .iter()
        .any(|e| matches!(e, Event::NotAccepted { .. } | Event::Rejected { .. }));
    let withdrawn = events.iter().any(|e| matches!(e, Event::Withdrawn { .. }));
    if !approved && !rejected && !withdrawn {
        return Ok(());
    }
    let amendment = q::find(conn, &row.id)?.ok_or(ServiceError::NotFound)?;
    let permit_no = amendment.permit_no.clone();
    if !permit_q::lock(conn, &permit_no)? {
        return Err(ServiceError::NotFound);
    }
    let permit = permit_q::find(conn, &permit_no)?.ok_or(ServiceError::NotFound)?;
    let (kind, to_version) = if approved {
        if permit.revoked_at.is_some() {
            return Err(ServiceError::Conflict(
                "the permit was revoked meanwhile: the amendment cannot be approved".into(),
            ));
        }
        let changes: Changes = stored("amendment changes", &amendment.changes)?;
        let trips_allowed = changes.trips_allowed.unwrap_or(permit.trips_allowed);
        if trips_allowed < permit.trips_used {
            return Err(ServiceError::Conflict(format!(
                "{} trips are used now, more than the {trips_allowed} the amendment allows",
                permit.trips_used
            )));
        }
        let old: Vec<String> = stored("permit conditions", &permit.conditions)?;
        let added = after
            .tasks
            .iter()
            .filter(|t| t.state == TaskState::Approved)
            .flat_map(|t| t.conditions.iter());
        let conditions = merge_conditions(old.iter().chain(added));
        let fleet = changes
            .plates
            .clone()
            .unwrap_or(permits::vehicles_of(&permit)?);
        let plates: Vec<&String> = fleet.iter().flatten().collect();
        let next = PermitRow {
            version: permit.version + 1,
            plates: json(&plates)?,
            fleet: json(&fleet)?,
            valid_to: changes.valid_to.unwrap_or(permit.valid_to),
            trips_allowed,
            conditions: json(&conditions)?,
            ..permit.clone()
        };
        if !permit_q::reissue(conn, &next, permit.version)? {
            return Err(ServiceError::Conflict(
                "the permit changed meanwhile; retry".into(),
            ));
        }
        ("permit_amended", Some(next.version))
    } else if withdrawn {
        ("amendment_withdrawn", None)
    } else {
        ("amendment_rejected", None)
    };
    if !q::close(conn, &row.id, to_version, now)? {
        return Err(ServiceError::Conflict(
            "the amendment is decided already".into(),
        ));
    }
    let detail = serde_json::json!({
        "amendment_id": row.id, "permit_no": permit_no, "reference": row.reference,
        "version": to_version, "changes": stored::<serde_json::Value>("amendment changes", &amendment.changes)?,
    });
    rows::append_events(
        conn,
        &amendment.application_id,
        &[audit(now, kind, caller, detail)],
    )?;
    Ok(())
}

fn find(conn: &mut DbConnection, engine: &Engine, id: &str) -> Result<Amendment, ServiceError> {
    let row = q::find(conn, id)?.ok_or(ServiceError::NotFound)?;
    let time = crate::service::reference::load_timebook(conn, engine)?;
    let Loaded {
        row: case_row,
        case,
    } = rows::load(conn, &time, id)?.ok_or(ServiceError::NotFound)?;
    Ok(Amendment {
        status: status_of(&case),
        changes: stored("amendment changes", &row.changes)?,
        previous: stored("amendment previous values", &row.previous)?,
        reference: case_row.reference,
        case,
        row,
    })
}

/// The amendment a case is, if it is one (the caller has read the case).
pub fn of_case(
    conn: &mut DbConnection,
    engine: &Engine,
    id: &str,
) -> Result<Option<Amendment>, ServiceError> {
    match q::find(conn, id)? {
        Some(_) => find(conn, engine, id).map(Some),
        None => Ok(None),
    }
}

/// A permit's amendments, oldest first, for whoever may read the permit.
pub fn of_permit(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    permit_no: &PermitNo,
) -> Result<Vec<Amendment>, ServiceError> {
    let permit = permit_q::find(conn, permit_no.as_str())?.ok_or(ServiceError::NotFound)?;
    if !permits::can_read(conn, caller, &permit)? {
        return Err(ServiceError::NotFound);
    }
    listed(conn, engine, permit_no.as_str())
}

/// A permit's amendments, oldest first, without an access check (the caller read the permit).
pub fn listed(
    conn: &mut DbConnection,
    engine: &Engine,
    permit_no: &str,
) -> Result<Vec<Amendment>, ServiceError> {
    q::of_permit(conn, permit_no)?
        .into_iter()
        .map(|a| find(conn, engine, &a.id))
        .collect()
}
