//! What a transport project adds to an application: its campaign's progress (trips made and
//! allowed per load and in all, vehicles under way and where each was last seen), and a copy
//! for the next phase of the same wind farm, loads, fleet and attachments included.

use super::rows::Loaded;
use super::view::Application;
use super::{audit, load_own, load_visible, rows, view};
use crate::db::applications::{self as q, ApplicationRow, AttachmentRow};
use crate::db::permits as permit_q;
use crate::db::{new_id, write_transaction, DbConnection};
use crate::domain::application::{ApplicationInput, ApplicationKind};
use crate::domain::ids::ApplicationId;
use crate::domain::workflow::{AppStatus, Case};
use crate::service::{stored, Caller, Engine, ServiceError};
use chrono::{Datelike, NaiveDateTime, TimeDelta};
use std::collections::HashMap;

/// A vehicle on its way now.
#[derive(Debug, Clone, PartialEq)]
pub struct InTransit {
    /// The tractor plate of the vehicle.
    pub plate: String,
    pub trip_no: i32,
    pub departed_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub last_seen_location: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadProgress {
    /// The load's key; none for a single application.
    pub key: Option<String>,
    pub description: String,
    /// None until the permits are issued.
    pub permit_no: Option<String>,
    pub trips_allowed: i64,
    pub trips_used: i64,
    pub in_transit: Vec<InTransit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VehicleTrips {
    pub tractor_plate: String,
    /// The loads it may carry.
    pub loads: Vec<String>,
    pub trips: i64,
    /// Under way now on one of the project's permits.
    pub under_way: bool,
}

/// A campaign's progress now.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub loads: Vec<LoadProgress>,
    pub vehicles: Vec<VehicleTrips>,
    pub trips_used: i64,
    pub trips_allowed: i64,
}

impl Progress {
    /// Trips made of trips allowed, 0–100.
    pub fn percent(&self) -> i64 {
        if self.trips_allowed == 0 {
            0
        } else {
            self.trips_used * 100 / self.trips_allowed
        }
    }

    pub fn in_transit(&self) -> usize {
        self.loads.iter().map(|l| l.in_transit.len()).sum()
    }
}

/// The progress of an application the caller may read (a single application is one load).
pub fn progress(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    now: NaiveDateTime,
) -> Result<Progress, ServiceError> {
    let loaded = load_visible(conn, engine, caller, id.as_str())?;
    progress_of(conn, engine, &loaded.row, now)
}

/// What each load allows: (key, description, trips); a single application is one load.
fn planned_loads(input: &ApplicationInput) -> Vec<(Option<String>, String, i64)> {
    match input.kind() {
        Some(ApplicationKind::Project) => input
            .loads
            .iter()
            .flatten()
            .map(|l| {
                let description = l
                    .cargo
                    .as_ref()
                    .and_then(|c| c.description.clone())
                    .unwrap_or_default();
                (l.key.clone(), description, l.trips.unwrap_or(0))
            })
            .collect(),
        _ => vec![(
            None,
            input
                .cargo
                .as_ref()
                .and_then(|c| c.description.clone())
                .unwrap_or_default(),
            input.travel.as_ref().and_then(|t| t.trips).unwrap_or(0),
        )],
    }
}

/// The vehicles: (tractor plate, the loads it may carry).
fn fleet_of(input: &ApplicationInput) -> Vec<(String, Vec<String>)> {
    match input.kind() {
        Some(ApplicationKind::Project) => input
            .fleet
            .iter()
            .flatten()
            .map(|v| {
                (
                    crate::domain::values::Plate::normalize(
                        v.tractor_plate.as_deref().unwrap_or_default(),
                    ),
                    v.loads.clone().unwrap_or_default(),
                )
            })
            .collect(),
        _ => input
            .vehicle
            .iter()
            .map(|v| {
                (
                    crate::domain::values::Plate::normalize(
                        v.tractor_plate.as_deref().unwrap_or_default(),
                    ),
                    Vec::new(),
                )
            })
            .collect(),
    }
}

/// The progress of one application, without an access check (the caller has made it).
pub fn progress_of(
    conn: &mut DbConnection,
    engine: &Engine,
    row: &ApplicationRow,
    now: NaiveDateTime,
) -> Result<Progress, ServiceError> {
    let input: ApplicationInput = stored("application input", &row.input)?;
    let permits = permit_q::of_application(conn, &row.id)?;
    let numbers: Vec<String> = permits.iter().map(|p| p.permit_no.clone()).collect();
    let since = now - TimeDelta::hours(engine.rules.projects.trip_hours);
    let under_way = permit_q::all_under_way(conn, &numbers, since)?;
    let by_vehicle: HashMap<String, i64> = permit_q::trips_by_vehicle(conn, &numbers)?
        .into_iter()
        .collect();
    let planned = planned_loads(&input);
    let loads: Vec<LoadProgress> = planned
        .into_iter()
        .enumerate()
        .map(|(i, (key, description, trips))| {
            let permit = permits.iter().find(|p| p.position as usize == i);
            let in_transit = permit
                .map(|p| {
                    under_way
                        .iter()
                        .filter(|t| t.permit_no == p.permit_no)
                        .map(|t| InTransit {
                            plate: t.vehicle.clone(),
                            trip_no: t.trip_no,
                            departed_at: t.recorded_at,
                            last_seen_at: t.last_seen_at.unwrap_or(t.recorded_at),
                            last_seen_location: t
                                .last_seen_location
                                .clone()
                                .unwrap_or_else(|| t.location.clone()),
                        })
                        .collect()
                })
                .unwrap_or_default();
            LoadProgress {
                key,
                description,
                permit_no: permit.map(|p| p.permit_no.clone()),
                trips_allowed: permit.map_or(trips, |p| i64::from(p.trips_allowed)),
                trips_used: permit.map_or(0, |p| i64::from(p.trips_used)),
                in_transit,
            }
        })
        .collect();
    let moving: Vec<&str> = under_way.iter().map(|t| t.vehicle.as_str()).collect();
    let fleet = fleet_of(&input);
    let vehicles = fleet
        .into_iter()
        .map(|(plate, loads)| VehicleTrips {
            trips: by_vehicle.get(&plate).copied().unwrap_or(0),
            under_way: moving.contains(&plate.as_str()),
            tractor_plate: plate,
            loads,
        })
        .collect();
    Ok(Progress {
        trips_used: loads.iter().map(|l| l.trips_used).sum(),
        trips_allowed: loads.iter().map(|l| l.trips_allowed).sum(),
        loads,
        vehicles,
    })
}

/// A new draft with the same input, and the same files (content-addressed: the copy names the
/// same stored bytes), for the next phase of a campaign or the next load like the last.
pub fn copy(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    copy_as(conn, engine, caller, id, false, now)
}

/// A copy, on new travel dates when `new_dates` (the page's "apply again": the same blade on
/// another day, the dates left for the dispatcher to enter; the files kept, to replace any
/// that changed).
pub fn copy_as(
    conn: &mut DbConnection,
    engine: &Engine,
    caller: &Caller,
    id: &ApplicationId,
    new_dates: bool,
    now: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let loaded = write_transaction(conn, |conn| {
        let source = load_own(conn, engine, caller, id.as_str())?;
        let input = if new_dates {
            let mut input: crate::domain::application::ApplicationInput =
                crate::service::stored("application input", &source.row.input)?;
            if let Some(travel) = input.travel.as_mut() {
                travel.from = None;
                travel.to = None;
            }
            super::input_json(&input)?
        } else {
            source.row.input.clone()
        };
        let row = ApplicationRow {
            id: new_id(),
            reference: q::next_reference(conn, engine.today(now).year())?,
            firm_id: source.row.firm_id.clone(),
            created_by: caller.user.id.clone(),
            status: AppStatus::Draft.as_str().into(),
            version: 1,
            input,
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
            kind: source.row.kind.clone(),
        };
        q::insert(conn, &row)?;
        for file in q::attachments_of(conn, &source.row.id)? {
            q::insert_attachment(
                conn,
                &AttachmentRow {
                    id: new_id(),
                    application_id: row.id.clone(),
                    uploaded_by: caller.user.id.clone(),
                    uploaded_at: now,
                    ..file
                },
            )?;
        }
        let detail = serde_json::json!({
            "reference": row.reference,
            "copied_from": source.row.reference,
        });
        rows::append_events(conn, &row.id, &[audit(now, "created", caller, detail)])?;
        Ok::<_, ServiceError>(Loaded {
            row,
            case: Case::default(),
        })
    })?;
    view(conn, engine, &loaded, now)
}
