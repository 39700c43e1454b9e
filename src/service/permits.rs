//! Permit use cases: issuing inside the approving transaction, reading (for those entitled),
//! public verification by QR token, trips recorded on site (现场核销), and revocation. Each
//! change is one transaction with its audit event on the application and its e-mail.

use super::applications::rows::{append_events, AuditEvent};
use super::notify;
use super::ServiceError;
use super::{scope_of, Caller, Engine};
use crate::db::applications::{self as app_q, ApplicationRow, Scope};
use crate::db::permits::{self as q, PermitRow, TripRow};
use crate::db::{new_id, reference as ref_q, users as user_q, write_transaction, DbConnection};
use crate::domain::application::ApplicationInput;
use crate::domain::ids::PermitNo;
use crate::domain::permit::{
    merge_conditions, permit_number, PermitFacts, PermitStatus, TripRefusal,
};
use crate::domain::role::Role;
use crate::domain::values::{text, Plate};
use crate::domain::workflow::{Case, TaskState};
use crate::domain::{FieldError, Message, ValidationErrors};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("{what}"))
}

fn json<T: Serialize>(value: &T) -> Result<String, ServiceError> {
    serde_json::to_string(value).map_err(|e| ServiceError::Internal(e.into()))
}

/// Creates the permit of an application whose issuance was just approved, in the caller's
/// transaction: a number from the issuer's counter, and a snapshot of what was approved.
pub fn issue(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    case: &Case,
    now: NaiveDateTime,
) -> Result<PermitRow, ServiceError> {
    let input: ApplicationInput =
        serde_json::from_str(&row.input).map_err(|e| ServiceError::Internal(e.into()))?;
    let (Some(cargo), Some(vehicle), Some(route), Some(travel)) =
        (&input.cargo, &input.vehicle, &input.route, &input.travel)
    else {
        return Err(internal(
            "an issued application without cargo, vehicle, route or travel",
        ));
    };
    let day = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<NaiveDate>().ok());
    let (Some(valid_from), Some(valid_to), Some(trips)) =
        (day(&travel.from), day(&travel.to), travel.trips)
    else {
        return Err(internal("an issued application without its travel window"));
    };
    let mut plates: Vec<String> = vehicle
        .tractor_plate
        .iter()
        .map(|p| Plate::normalize(p))
        .collect();
    plates.extend(
        vehicle
            .trailer_plates
            .iter()
            .flatten()
            .map(|p| Plate::normalize(p)),
    );
    let approved = case
        .tasks
        .iter()
        .filter(|t| t.state == TaskState::Approved)
        .flat_map(|t| t.conditions.iter());
    let conditions = merge_conditions(approved);
    let authority_code = row
        .issuing_authority
        .clone()
        .ok_or_else(|| internal("an issued application without an issuer"))?;
    let authority = ref_q::find_authority(conn, &authority_code)?
        .ok_or_else(|| internal("the issuing authority is not in the reference data"))?;
    let firm = user_q::find_firm(conn, &row.firm_id)?.ok_or(ServiceError::NotFound)?;
    let year = engine.today(now).year();
    let sequence = q::next_sequence(conn, &authority.jurisdiction, year)?;
    let permit = PermitRow {
        permit_no: permit_number(&authority.jurisdiction, year, sequence.into()),
        application_id: row.id.clone(),
        version: 1,
        holder_firm_id: firm.id,
        holder_name: firm.name,
        holder_credit_code: firm.credit_code,
        plates: json(&plates)?,
        cargo: json(cargo)?,
        vehicle: json(vehicle)?,
        route: json(route)?,
        conditions: json(&conditions)?,
        valid_from,
        valid_to,
        trips_allowed: i32::try_from(trips).map_err(|_| internal("trips out of range"))?,
        trips_used: 0,
        issuing_authority: authority_code,
        issuing_jurisdiction: authority.jurisdiction,
        issued_at: now,
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
    };
    q::insert(conn, &permit)?;
    Ok(permit)
}

/// A permit as its reader sees it: the stored row with its parsed lists and its state now.
#[derive(Debug, Clone)]
pub struct Permit {
    pub row: PermitRow,
    pub plates: Vec<String>,
    pub conditions: Vec<String>,
    pub status: PermitStatus,
    pub verify_url: String,
    pub reference: String,
}

impl Permit {
    fn new(
        conn: &mut DbConnection,
        engine: &Engine,
        row: PermitRow,
        now: NaiveDateTime,
    ) -> Result<Permit, ServiceError> {
        let plates: Vec<String> = super::stored("permit plates", &row.plates)?;
        let conditions: Vec<String> = super::stored("permit conditions", &row.conditions)?;
        let status = facts(&row).status(engine.today(now));
        let token = engine.permit_signer.token(&row.permit_no, row.version);
        let verify_url = format!(
            "{}/verify/{}?t={token}",
            engine.base_url.trim_end_matches('/'),
            row.permit_no
        );
        let reference = app_q::find(conn, &row.application_id)?
            .map(|a| a.reference)
            .unwrap_or_default();
        Ok(Permit {
            row,
            plates,
            conditions,
            status,
            verify_url,
            reference,
        })
    }
}

fn facts(row: &PermitRow) -> PermitFacts {
    PermitFacts {
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        trips_allowed: row.trips_allowed,
        trips_used: row.trips_used,
        revoked: row.revoked_at.is_some(),
    }
}

/// The holder's firm, the authorities that reviewed it, inspectors and managers of its area.
fn can_read(
    conn: &mut DbConnection,
    caller: &Caller,
    permit: &PermitRow,
) -> Result<bool, ServiceError> {
    Ok(match caller.role {
        Role::Inspector => true,
        Role::Applicant => caller.user.firm_id.as_deref() == Some(&permit.holder_firm_id),
        Role::Reviewer | Role::Manager => {
            let scope = scope_of(conn, caller)?;
            !matches!(scope, Scope::Nothing)
                && app_q::in_scope(conn, &permit.application_id, &scope)?
        }
        Role::Admin => false,
    })
}

/// Someone who may not see a permit learns nothing about it, not even that it exists.
fn load_readable(
    conn: &mut DbConnection,
    caller: &Caller,
    permit_no: &str,
) -> Result<PermitRow, ServiceError> {
    match q::find(conn, permit_no)? {
        Some(row) if can_read(conn, caller, &row)? => Ok(row),
        _ => Err(ServiceError::NotFound),
    }
}

pub fn get(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    permit_no: &PermitNo,
    now: NaiveDateTime,
) -> Result<(Permit, Vec<TripRow>), ServiceError> {
    let permit_no = permit_no.as_str();
    let row = load_readable(conn, caller, permit_no)?;
    let trips = q::trips(conn, permit_no)?;
    Ok((Permit::new(conn, engine, row, now)?, trips))
}

/// What anyone holding the QR code learns: nothing unless the token is the permit's.
pub fn verify(
    conn: &mut DbConnection,
    engine: &Engine,
    permit_no: &PermitNo,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<Permit>, ServiceError> {
    let permit_no = permit_no.as_str();
    let row = q::find(conn, permit_no)?;
    // Check a token either way, so an unknown number takes as long as a wrong token.
    let version = row.as_ref().map_or(1, |r| r.version);
    let authentic = engine.permit_signer.verify(permit_no, version, token);
    match row {
        Some(row) if authentic => Ok(Some(Permit::new(conn, engine, row, now)?)),
        _ => Ok(None),
    }
}

/// A trip as an inspector reports it.
#[derive(Debug, Clone, Default)]
pub struct TripInput {
    pub plate: Option<String>,
    pub location: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TripOutcome {
    Recorded {
        trip_no: i32,
        trips_used: i32,
        trips_allowed: i32,
    },
    Refused(TripRefusal),
}

fn parse_trip(input: &TripInput) -> Result<(String, String, String), ServiceError> {
    let mut errors = Vec::new();
    let plate = text("plate", input.plate.as_deref(), 20).map_err(|e| errors.push(e));
    let location = text("location", input.location.as_deref(), 200).map_err(|e| errors.push(e));
    let note = input.note.as_deref().map(str::trim).unwrap_or_default();
    if note.chars().count() > 1000 {
        errors.push(FieldError::new(
            "note",
            Message::new("error.too_long").with("max", 1000),
        ));
    }
    match (plate, location) {
        (Ok(plate), Ok(location)) if errors.is_empty() => Ok((plate, location, note.to_string())),
        _ => Err(ServiceError::Validation(ValidationErrors(errors))),
    }
}

/// Records a trip, or refuses it with the reason; either way the attempt is in the audit log
/// (the refusal is committed, then reported). The permit's row lock makes concurrent scans
/// take turns, so the count never passes the allowance.
pub fn record_trip(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    permit_no: &PermitNo,
    input: &TripInput,
    now: NaiveDateTime,
) -> Result<TripOutcome, ServiceError> {
    let permit_no = permit_no.as_str();
    if caller.role != Role::Inspector {
        return Err(ServiceError::Forbidden(
            "trips are recorded by inspectors".into(),
        ));
    }
    let (plate, location, note) = parse_trip(input)?;
    write_transaction(conn, |conn| {
        if !q::lock(conn, permit_no)? {
            return Err(ServiceError::NotFound);
        }
        let row = q::find(conn, permit_no)?.ok_or(ServiceError::NotFound)?;
        let plates: Vec<String> = super::stored("permit plates", &row.plates)?;
        let checked = facts(&row).check_trip(engine.today(now), &plate, &plates);
        let counted = match checked {
            Ok(()) => q::count_trip(conn, permit_no)?.ok_or(TripRefusal::UsedUp),
            Err(refusal) => Err(refusal),
        };
        let mut detail = serde_json::json!({
            "permit_no": permit_no, "plate": plate, "location": location, "note": note,
        });
        let outcome = match counted {
            Ok(trip_no) => {
                q::insert_trip(
                    conn,
                    &TripRow {
                        id: new_id(),
                        permit_no: permit_no.to_string(),
                        trip_no,
                        plate: Plate::normalize(&plate),
                        location,
                        note,
                        recorded_by: caller.user.id.clone(),
                        recorded_at: now,
                    },
                )?;
                detail["trip_no"] = trip_no.into();
                TripOutcome::Recorded {
                    trip_no,
                    trips_used: trip_no,
                    trips_allowed: row.trips_allowed,
                }
            }
            Err(refusal) => {
                detail["reason"] = refusal.as_str().into();
                TripOutcome::Refused(refusal)
            }
        };
        let kind = match outcome {
            TripOutcome::Recorded { .. } => "trip_recorded",
            TripOutcome::Refused(_) => "trip_refused",
        };
        append_events(
            conn,
            &row.application_id,
            &[audit(now, kind, caller, detail)],
        )?;
        Ok(outcome)
    })
}

fn audit(at: NaiveDateTime, kind: &str, caller: &Caller, detail: serde_json::Value) -> AuditEvent {
    AuditEvent {
        at,
        kind: kind.into(),
        actor: Some(caller.user.id.clone()),
        task_id: None,
        detail,
    }
}

/// The issuing authority's reviewers and admins revoke, with a reason the holder is told.
pub fn revoke(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    permit_no: &PermitNo,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<(Permit, Vec<TripRow>), ServiceError> {
    let permit_no = permit_no.as_str();
    let row = write_transaction(conn, |conn| {
        if !q::lock(conn, permit_no)? {
            return Err(ServiceError::NotFound);
        }
        let row = q::find(conn, permit_no)?.ok_or(ServiceError::NotFound)?;
        let entitled = match caller.role {
            Role::Admin => true,
            Role::Reviewer => caller.user.authority_code.as_deref() == Some(&row.issuing_authority),
            _ => false,
        };
        if !entitled {
            return Err(if can_read(conn, caller, &row)? {
                ServiceError::Forbidden("only the issuing authority revokes".into())
            } else {
                ServiceError::NotFound
            });
        }
        let reason = text("reason", reason, 1000)?;
        if !q::revoke(conn, permit_no, &caller.user.id, &reason, now)? {
            return Err(ServiceError::Conflict(
                "the permit is revoked already".into(),
            ));
        }
        let detail = serde_json::json!({"permit_no": permit_no, "reason": reason});
        let ids = append_events(
            conn,
            &row.application_id,
            &[audit(now, "permit_revoked", caller, detail)],
        )?;
        let application = app_q::find(conn, &row.application_id)?.ok_or(ServiceError::NotFound)?;
        let event_id = ids.first().cloned().unwrap_or_default();
        notify::permit_revoked(conn, engine, &application, &event_id, &row, &reason, now)?;
        q::find(conn, permit_no)?.ok_or(ServiceError::NotFound)
    })?;
    let trips = q::trips(conn, permit_no)?;
    Ok((Permit::new(conn, engine, row, now)?, trips))
}
