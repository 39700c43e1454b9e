//! Permit use cases: issuing inside the approving transaction, reading (for those entitled),
//! public verification by QR token, trips recorded on site (现场核销), and revocation. Each
//! change is one transaction with its audit event on the application and its e-mail.

use super::applications::rows::{append_events, AuditEvent};
use super::notify;
use super::ServiceError;
use super::{scope_of, Caller, Engine};
use crate::db::applications::{self as app_q, ApplicationRow, Scope};
use crate::db::permits::{self as q, PermitRow, ScanRow, TripRow};
use crate::db::{new_id, reference as ref_q, users as user_q, write_transaction, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationKind};
use crate::domain::ids::PermitNo;
use crate::domain::permit::{
    allowed_hours, merge_conditions, permit_number, plate_matches, scan_stage, within_hours,
    PermitFacts, PermitStatus, TripRefusal, TripStage,
};
use crate::domain::role::Role;
use crate::domain::values::{text, Plate};
use crate::domain::workflow::{Case, TaskState};
use crate::domain::{FieldError, Message, ValidationErrors};
use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};
use serde::Serialize;

fn internal(what: &str) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("{what}"))
}

pub(crate) fn json<T: Serialize>(value: &T) -> Result<String, ServiceError> {
    serde_json::to_string(value).map_err(|e| ServiceError::Internal(e.into()))
}

/// What one permit of an issuance covers: a single application's vehicle, or one load of a
/// project and the fleet's vehicles that may carry it.
struct PermitPart {
    cargo: String,
    vehicle: String,
    /// Each vehicle's plates, the tractor's first.
    fleet: Vec<Vec<String>>,
    trips: i64,
    load_key: Option<String>,
}

/// The parts of an issued application's input, one per permit, in load order.
fn permit_parts(input: &ApplicationInput) -> Result<Vec<PermitPart>, ServiceError> {
    let plates_of = |tractor: &Option<String>, trailers: &Option<Vec<String>>| -> Vec<String> {
        tractor
            .iter()
            .chain(trailers.iter().flatten())
            .map(|p| Plate::normalize(p))
            .collect()
    };
    if input.kind() == Some(ApplicationKind::Project) {
        let fleet = input.fleet.as_deref().unwrap_or_default();
        return input
            .loads
            .iter()
            .flatten()
            .map(|load| {
                let key = load
                    .key
                    .as_deref()
                    .map(str::trim)
                    .ok_or_else(|| internal("an issued project load without its key"))?;
                let carriers = fleet
                    .iter()
                    .filter(|v| v.loads.iter().flatten().any(|k| k.trim() == key))
                    .map(|v| plates_of(&v.tractor_plate, &v.trailer_plates))
                    .collect();
                Ok(PermitPart {
                    cargo: json(&load.cargo)?,
                    vehicle: json(&load.vehicle)?,
                    fleet: carriers,
                    trips: load
                        .trips
                        .ok_or_else(|| internal("an issued project load without trips"))?,
                    load_key: Some(key.to_string()),
                })
            })
            .collect();
    }
    let (Some(cargo), Some(vehicle), Some(travel)) = (&input.cargo, &input.vehicle, &input.travel)
    else {
        return Err(internal(
            "an issued application without cargo, vehicle or travel",
        ));
    };
    Ok(vec![PermitPart {
        cargo: json(cargo)?,
        vehicle: json(vehicle)?,
        fleet: vec![plates_of(&vehicle.tractor_plate, &vehicle.trailer_plates)],
        trips: travel
            .trips
            .ok_or_else(|| internal("an issued application without trips"))?,
        load_key: None,
    }])
}

/// Creates the permits of an application whose issuance was just approved, in the caller's
/// transaction: one for a single application, one per load for a project, each numbered from
/// the issuer's gap-free counter, each a snapshot of what was approved.
pub fn issue(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    case: &Case,
    now: NaiveDateTime,
) -> Result<Vec<PermitRow>, ServiceError> {
    let input: ApplicationInput =
        serde_json::from_str(&row.input).map_err(|e| ServiceError::Internal(e.into()))?;
    let (Some(route), Some(travel)) = (&input.route, &input.travel) else {
        return Err(internal("an issued application without route or travel"));
    };
    let day = |s: &Option<String>| s.as_deref().and_then(|s| s.parse::<NaiveDate>().ok());
    let (Some(valid_from), Some(valid_to)) = (day(&travel.from), day(&travel.to)) else {
        return Err(internal("an issued application without its travel window"));
    };
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
    let project_name = input
        .project
        .as_ref()
        .and_then(|p| p.name.clone())
        .filter(|_| input.kind() == Some(ApplicationKind::Project));
    let year = engine.today(now).year();
    let mut permits = Vec::new();
    for (position, part) in permit_parts(&input)?.into_iter().enumerate() {
        let sequence = q::next_sequence(conn, &authority.jurisdiction, year)?;
        let plates: Vec<&String> = part.fleet.iter().flatten().collect();
        let permit = PermitRow {
            permit_no: permit_number(&authority.jurisdiction, year, sequence.into()),
            application_id: row.id.clone(),
            version: 1,
            holder_firm_id: firm.id.clone(),
            holder_name: firm.name.clone(),
            holder_credit_code: firm.credit_code.clone(),
            plates: json(&plates)?,
            cargo: part.cargo,
            vehicle: part.vehicle,
            route: json(route)?,
            conditions: json(&conditions)?,
            valid_from,
            valid_to,
            trips_allowed: i32::try_from(part.trips).map_err(|_| internal("trips out of range"))?,
            trips_used: 0,
            issuing_authority: authority_code.clone(),
            issuing_jurisdiction: authority.jurisdiction.clone(),
            issued_at: now,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            position: i32::try_from(position).map_err(|_| internal("too many loads"))?,
            load_key: part.load_key,
            project_name: project_name.clone(),
            fleet: json(&part.fleet)?,
        };
        q::insert(conn, &permit)?;
        permits.push(permit);
    }
    Ok(permits)
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

pub(crate) fn facts(row: &PermitRow) -> PermitFacts {
    PermitFacts {
        valid_from: row.valid_from,
        valid_to: row.valid_to,
        trips_allowed: row.trips_allowed,
        trips_used: row.trips_used,
        revoked: row.revoked_at.is_some(),
    }
}

/// The holder's firm, the authorities that reviewed it, inspectors and managers of its area.
pub(crate) fn can_read(
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

/// A recorded scan as the inspector's verdict screen shows it: the scan, its trip and its
/// permit (inspectors only; anyone else learns nothing).
pub struct ScanVerdict {
    pub scan: ScanRow,
    pub trip: TripRow,
    pub permit: Permit,
}

pub fn scan_verdict(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    scan_id: &str,
    now: NaiveDateTime,
) -> Result<ScanVerdict, ServiceError> {
    if caller.role != Role::Inspector {
        return Err(ServiceError::NotFound);
    }
    let scan = q::find_scan(conn, scan_id)?.ok_or(ServiceError::NotFound)?;
    let trip = q::trips(conn, &scan.permit_no)?
        .into_iter()
        .find(|t| t.trip_no == scan.trip_no)
        .ok_or(ServiceError::NotFound)?;
    let row = q::find(conn, &scan.permit_no)?.ok_or(ServiceError::NotFound)?;
    let permit = Permit::new(conn, engine, row, now)?;
    Ok(ScanVerdict { scan, trip, permit })
}

/// A permit's trips and every scan of them, for the permit's readers.
pub fn journeys(
    conn: &mut DbConnection,
    _engine: &Engine,
    caller: &Caller,
    permit_no: &PermitNo,
) -> Result<(Vec<TripRow>, Vec<ScanRow>), ServiceError> {
    let permit_no = permit_no.as_str();
    load_readable(conn, caller, permit_no)?;
    Ok((q::trips(conn, permit_no)?, q::scans(conn, permit_no)?))
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

/// The current version of the permit when `token` is a genuine code of an older version (the
/// permit was amended since), else `None`.
pub fn superseded_by(
    conn: &mut DbConnection,
    engine: &Engine,
    permit_no: &PermitNo,
    token: &str,
) -> Result<Option<i32>, ServiceError> {
    let permit_no = permit_no.as_str();
    let Some(row) = q::find(conn, permit_no)? else {
        return Ok(None);
    };
    let older = (1..row.version).any(|v| engine.permit_signer.verify(permit_no, v, token));
    Ok(older.then_some(row.version))
}

/// A scan as an inspector reports it.
#[derive(Debug, Clone, Default)]
pub struct TripInput {
    pub plate: Option<String>,
    pub location: Option<String>,
    pub note: Option<String>,
    /// departure, checkpoint or arrival; without it, a checkpoint if the vehicle has a trip
    /// under way and a departure if not.
    pub stage: Option<String>,
    /// The token read from the QR code, when the scan came from one.
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TripOutcome {
    Recorded {
        stage: TripStage,
        /// The trip the scan belongs to.
        trip_no: i32,
        trips_used: i32,
        trips_allowed: i32,
        /// What the inspector must see: `outside_allowed_hours`.
        warnings: Vec<String>,
        /// The recorded scan, for the inspector's verdict screen.
        scan_id: String,
    },
    Refused(TripRefusal),
}

struct ParsedScan {
    plate: String,
    location: String,
    note: String,
    stage: Option<TripStage>,
}

fn parse_trip(input: &TripInput) -> Result<ParsedScan, ServiceError> {
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
    let stage = match input.stage.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => raw.parse::<TripStage>().map(Some).map_err(|_| {
            errors.push(FieldError::new(
                "stage",
                Message::new("error.one_of")
                    .with("value", raw)
                    .with("allowed", "departure, checkpoint, arrival"),
            ))
        }),
    };
    match (plate, location, stage) {
        (Ok(plate), Ok(location), Ok(stage)) if errors.is_empty() => Ok(ParsedScan {
            plate,
            location,
            note: note.to_string(),
            stage,
        }),
        _ => Err(ServiceError::Validation(ValidationErrors(errors))),
    }
}

/// The vehicles that may use a permit, each as its plates (the tractor's first). A permit
/// from before projects has its plates as its one vehicle.
pub fn vehicles_of(row: &PermitRow) -> Result<Vec<Vec<String>>, ServiceError> {
    let fleet: Vec<Vec<String>> = super::stored("permit fleet", &row.fleet)?;
    if fleet.is_empty() {
        Ok(vec![super::stored("permit plates", &row.plates)?])
    } else {
        Ok(fleet)
    }
}

/// The vehicle a plate seen on the road belongs to, named by its tractor's plate.
fn vehicle_with(vehicles: &[Vec<String>], seen: &str) -> Option<String> {
    vehicles
        .iter()
        .find(|plates| plate_matches(seen, plates))
        .and_then(|plates| plates.first().cloned())
}

/// A token from the QR code must be this version's: an older version's is superseded, any
/// other is forged.
fn check_token(
    engine: &Engine,
    row: &PermitRow,
    token: Option<&str>,
) -> Result<Option<TripRefusal>, ServiceError> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if engine
        .permit_signer
        .verify(&row.permit_no, row.version, token)
    {
        return Ok(None);
    }
    if (1..row.version).any(|v| engine.permit_signer.verify(&row.permit_no, v, token)) {
        return Ok(Some(TripRefusal::Superseded));
    }
    Err(FieldError::new("t", Message::new("error.token_forged")).into())
}

/// A scan as it stands once the permit is locked: the permit, the vehicle the plate is on (its
/// tractor's plate), its trip under way, and the stage the scan is taken as.
struct Scanned<'a> {
    row: &'a PermitRow,
    parsed: &'a ParsedScan,
    vehicle: Option<String>,
    under_way: Option<TripRow>,
    stage: TripStage,
    at: NaiveDateTime,
}

/// What an allowed scan writes: a departure its trip (if one is left), a sighting or an
/// arrival the trip's last sighting; `Ok((trip_no, trips_used))`, or the refusal.
fn write_scan(
    conn: &mut DbConnection,
    caller: &Caller,
    s: &Scanned<'_>,
) -> Result<Result<(i32, i32), TripRefusal>, ServiceError> {
    let (permit_no, location) = (&s.row.permit_no, &s.parsed.location);
    match (s.stage, &s.under_way, &s.vehicle) {
        (TripStage::Departure, _, Some(vehicle)) => {
            let Some(trip_no) = q::count_trip(conn, permit_no)? else {
                return Ok(Err(TripRefusal::UsedUp));
            };
            q::insert_trip(
                conn,
                &TripRow {
                    id: new_id(),
                    permit_no: permit_no.clone(),
                    trip_no,
                    plate: Plate::normalize(&s.parsed.plate),
                    location: location.clone(),
                    note: s.parsed.note.clone(),
                    recorded_by: caller.user.id.clone(),
                    recorded_at: s.at,
                    vehicle: vehicle.clone(),
                    arrived_at: None,
                    last_seen_at: Some(s.at),
                    last_seen_location: Some(location.clone()),
                },
            )?;
            Ok(Ok((trip_no, trip_no)))
        }
        (TripStage::Checkpoint | TripStage::Arrival, Some(trip), _) => {
            let arrived = s.stage == TripStage::Arrival;
            q::touch_trip(conn, &trip.id, s.at, location, arrived)?;
            Ok(Ok((trip.trip_no, s.row.trips_used)))
        }
        _ => Err(internal("a scan passed its checks without its trip")),
    }
}

/// The warnings the inspector must see: a scan outside the hours a condition allows.
fn warnings_at(
    engine: &Engine,
    row: &PermitRow,
    at: NaiveDateTime,
) -> Result<Vec<String>, ServiceError> {
    let conditions: Vec<String> = super::stored("permit conditions", &row.conditions)?;
    let local = at.and_utc().with_timezone(&engine.timezone).time();
    Ok(allowed_hours(&conditions)
        .filter(|hours| !within_hours(local, *hours))
        .map(|_| "outside_allowed_hours".to_string())
        .into_iter()
        .collect())
}

/// Records the outcome: a recorded scan in the trip's scans, a departure or a refusal also
/// in the application's audit log.
fn record_outcome(
    conn: &mut DbConnection,
    caller: &Caller,
    s: &Scanned<'_>,
    recorded: Result<(i32, i32), TripRefusal>,
    warnings: Vec<String>,
) -> Result<TripOutcome, ServiceError> {
    let mut detail = serde_json::json!({
        "permit_no": s.row.permit_no, "plate": s.parsed.plate, "location": s.parsed.location,
        "note": s.parsed.note, "stage": s.stage.as_str(),
    });
    let outcome = match recorded {
        Ok((trip_no, trips_used)) => {
            let scan_id = new_id();
            q::insert_scan(
                conn,
                &ScanRow {
                    id: scan_id.clone(),
                    permit_no: s.row.permit_no.clone(),
                    trip_no,
                    stage: s.stage.as_str().to_string(),
                    plate: Plate::normalize(&s.parsed.plate),
                    location: s.parsed.location.clone(),
                    note: s.parsed.note.clone(),
                    inspector: caller.user.id.clone(),
                    at: s.at,
                    warnings: json(&warnings)?,
                },
            )?;
            detail["trip_no"] = trip_no.into();
            TripOutcome::Recorded {
                stage: s.stage,
                trip_no,
                trips_used,
                trips_allowed: s.row.trips_allowed,
                warnings,
                scan_id,
            }
        }
        Err(refusal) => {
            detail["reason"] = refusal.as_str().into();
            TripOutcome::Refused(refusal)
        }
    };
    let kind = match &outcome {
        TripOutcome::Recorded {
            stage: TripStage::Departure,
            ..
        } => Some("trip_recorded"),
        TripOutcome::Recorded { .. } => None,
        TripOutcome::Refused(_) => Some("trip_refused"),
    };
    if let Some(kind) = kind {
        let event = audit(s.at, kind, caller, detail);
        append_events(conn, &s.row.application_id, &[event])?;
    }
    Ok(outcome)
}

/// Records a scan — a departure that uses a trip, a checkpoint sighting, an arrival — or
/// refuses it with the reason; a departure or a refusal is in the audit log (the refusal is
/// committed, then reported), every recorded scan in the trip's scans. The locks of the
/// permit's application and of the permit make concurrent scans take turns, so the count
/// never passes the allowance and a vehicle never departs twice at once.
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
    let parsed = parse_trip(input)?;
    write_transaction(conn, |conn| {
        if !q::lock(conn, permit_no)? {
            return Err(ServiceError::NotFound);
        }
        let row = q::find(conn, permit_no)?.ok_or(ServiceError::NotFound)?;
        let superseded = check_token(engine, &row, input.token.as_deref())?;
        let vehicle = vehicle_with(&vehicles_of(&row)?, &parsed.plate);
        let since = now - TimeDelta::hours(engine.rules.projects.trip_hours);
        let under_way = match &vehicle {
            Some(v) => q::under_way(conn, permit_no, v, since)?,
            None => None,
        };
        let scanned = Scanned {
            row: &row,
            parsed: &parsed,
            stage: scan_stage(parsed.stage, under_way.is_some()),
            vehicle,
            under_way,
            at: now,
        };
        let checked = match superseded {
            Some(refusal) => Err(refusal),
            None => facts(&row).check_scan(
                engine.today(now),
                scanned.stage,
                scanned.vehicle.is_some(),
                scanned.under_way.is_some(),
            ),
        };
        let recorded = match checked {
            Ok(()) => write_scan(conn, caller, &scanned)?,
            Err(refusal) => Err(refusal),
        };
        let warnings = warnings_at(engine, &row, now)?;
        record_outcome(conn, caller, &scanned, recorded, warnings)
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
