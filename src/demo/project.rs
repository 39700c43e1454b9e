//! The demo's transport projects (信息上报), made through the real workflow: a Mulei wind
//! farm's campaign — blades, tower sections, nacelles and hubs on a fleet of twelve — issued
//! weeks ago and part-way done, every trip departed, sighted and arrived at an inspector's
//! scan, with vehicles under way today; and the next wind farm's campaign under joint review
//! now.

use super::work::{caller, reviewer};
use crate::db::users as user_q;
use crate::db::DbConnection;
use crate::domain::application::ApplicationInput;
use crate::domain::ids::{ApplicationId, PermitNo, TaskId};
use crate::domain::workflow::{AppStatus, Decision, PhaseState, TaskState};
use crate::service::applications::{self as apps, view::Application, TaskDecision};
use crate::service::permits::{self as permits, TripInput};
use crate::service::{Caller, Engine, ServiceError};
use chrono::{Days, NaiveDate, NaiveDateTime, TimeDelta, TimeZone};
use serde_json::{json, Value};

/// Loads of a wind-turbine set: (key, cargo, loaded vehicle, trips).
fn loads() -> Value {
    json!([
        {"key": "blade",
         "cargo": {"description": "风电叶片 86 m Blade", "pieces": 1, "divisible": false,
                   "length_m": 86.0, "width_m": 4.0, "height_m": 3.6, "mass_kg": 24000},
         "vehicle": {"trailer_type": "extendable_blade", "axles": 8, "overall_length_m": 95.0,
                     "overall_width_m": 4.2, "overall_height_m": 4.6, "gross_mass_kg": 78000,
                     "max_axle_load_kg": 11000},
         "trips": 300},
        {"key": "tower",
         "cargo": {"description": "塔筒段 Tower section", "pieces": 1, "divisible": false,
                   "length_m": 28.0, "width_m": 4.6, "height_m": 4.6, "mass_kg": 60000},
         "vehicle": {"trailer_type": "hydraulic_modular", "axles": 10, "overall_length_m": 36.0,
                     "overall_width_m": 4.8, "overall_height_m": 5.2, "gross_mass_kg": 110000,
                     "max_axle_load_kg": 13000},
         "trips": 400},
        {"key": "nacelle",
         "cargo": {"description": "机舱 Nacelle", "pieces": 1, "divisible": false,
                   "length_m": 12.0, "width_m": 4.2, "height_m": 4.0, "mass_kg": 85000},
         "vehicle": {"trailer_type": "hydraulic_modular", "axles": 10, "overall_length_m": 20.0,
                     "overall_width_m": 4.5, "overall_height_m": 5.6, "gross_mass_kg": 120000,
                     "max_axle_load_kg": 13000},
         "trips": 100},
        {"key": "hub",
         "cargo": {"description": "轮毂 Hub", "pieces": 1, "divisible": false,
                   "length_m": 5.5, "width_m": 4.8, "height_m": 4.2, "mass_kg": 40000},
         "vehicle": {"trailer_type": "flatbed", "axles": 6, "overall_length_m": 17.0,
                     "overall_width_m": 4.8, "overall_height_m": 4.9, "gross_mass_kg": 58000,
                     "max_axle_load_kg": 11500},
         "trips": 100}
    ])
}

/// The fleet: six blade trailers, four hydraulic modular trailers (towers and nacelles), two
/// flatbeds (hubs). Plates by position, `first` the first tractor's number.
fn fleet(first: u32) -> Value {
    let vehicle = |i: u32, trailer: &str, axles: u32, carries: Value| {
        json!({"tractor_plate": format!("新B{}", first + i),
               "trailer_plates": [format!("新B{}挂", 7000 + first % 1000 + i)],
               "trailer_type": trailer, "axles": axles, "loads": carries})
    };
    let mut fleet = Vec::new();
    for i in 0..6 {
        fleet.push(vehicle(i, "extendable_blade", 8, json!(["blade"])));
    }
    for i in 6..10 {
        fleet.push(vehicle(
            i,
            "hydraulic_modular",
            10,
            json!(["tower", "nacelle"]),
        ));
    }
    for i in 10..12 {
        fleet.push(vehicle(i, "flatbed", 6, json!(["hub"])));
    }
    Value::Array(fleet)
}

fn project(
    name: &str,
    site: &str,
    sets: u32,
    segments: Value,
    from: NaiveDate,
    first: u32,
) -> Value {
    json!({
        "kind": "project",
        "project": {"name": name, "site": site, "sets": sets},
        "route": {"origin": "木垒新能源装备产业园 Mulei new-energy equipment park",
                  "destination": format!("{site} 风电场"), "segments": segments},
        "travel": {"from": from.to_string(), "to": (from + Days::new(180)).to_string()},
        "escort": {"vehicles": 2, "police_escort": true},
        "loads": loads(),
        "fleet": fleet(first)
    })
}

/// Drafts, attaches (a drawing per load, one escort plan) and submits a project at `at`.
fn submitted(
    conn: &mut DbConnection,
    engine: &Engine,
    applicant: &Caller,
    input: Value,
    at: NaiveDateTime,
) -> Result<Application, ServiceError> {
    let input: ApplicationInput =
        serde_json::from_value(input).map_err(|e| ServiceError::Internal(e.into()))?;
    let draft = apps::create(conn, engine, applicant, &input, at)?;
    let id = ApplicationId::from(&draft.id);
    let pdf = crate::domain::attachment::sample_pdf("permitflow demo drawing");
    let keys: Vec<String> = input
        .loads
        .iter()
        .flatten()
        .filter_map(|l| l.key.clone())
        .collect();
    for key in &keys {
        let name = format!("contour_drawing_{key}.pdf");
        let upload = apps::Upload {
            kind: "contour_drawing",
            load: Some(key),
            filename: &name,
            bytes: &pdf,
        };
        apps::add_attachment(conn, engine, applicant, &id, upload, at)?;
    }
    let upload = apps::Upload {
        kind: "escort_plan",
        load: None,
        filename: "escort_plan.pdf",
        bytes: &pdf,
    };
    apps::add_attachment(conn, engine, applicant, &id, upload, at)?;
    apps::submit(conn, engine, applicant, &id, at)
}

fn open_tasks(application: &Application) -> Vec<(String, String)> {
    application
        .phases
        .iter()
        .filter(|p| p.state == PhaseState::Open)
        .flat_map(|p| &p.tasks)
        .filter(|t| t.state == TaskState::Open)
        .map(|t| (t.id.clone(), t.authority_code.clone()))
        .collect()
}

/// Approves the open tasks, phase after phase, `step` apart, until `enough` says stop.
fn approve_until(
    conn: &mut DbConnection,
    engine: &Engine,
    mut application: Application,
    mut at: NaiveDateTime,
    step: TimeDelta,
    enough: impl Fn(&Application, usize) -> bool,
) -> Result<Application, ServiceError> {
    let mut signed = 0;
    loop {
        let open = open_tasks(&application);
        if open.is_empty() || enough(&application, signed) {
            return Ok(application);
        }
        for (task, authority) in open {
            if enough(&application, signed) {
                return Ok(application);
            }
            let conditions = if application.status == AppStatus::UnderReview {
                vec![
                    "前后各一辆护送车 Escort vehicle front and rear".to_string(),
                    "全程限速 40 km/h Speed at most 40 km/h".to_string(),
                ]
            } else {
                Vec::new()
            };
            let decision = TaskDecision {
                decision: Decision::Approve,
                comment: None,
                conditions,
            };
            let by = reviewer(conn, &authority)?;
            at += step;
            application = apps::decide(conn, engine, &by, &TaskId::from(&task), decision, at)?;
            if application.status == AppStatus::UnderReview {
                signed += 1;
            }
        }
    }
}

fn scan(
    conn: &mut DbConnection,
    engine: &Engine,
    inspector: &Caller,
    permit_no: &str,
    plate: &str,
    (stage, location): (&str, &str),
    at: NaiveDateTime,
) -> Result<(), ServiceError> {
    let input = TripInput {
        plate: Some(plate.to_string()),
        location: Some(location.to_string()),
        note: None,
        stage: Some(stage.to_string()),
        token: None,
    };
    permits::record_trip(
        conn,
        engine,
        inspector,
        &PermitNo::from(permit_no),
        &input,
        at,
    )
    .map(drop)
}

const DEPART: (&str, &str) = (
    "departure",
    "木垒新能源装备产业园 装车点 Mulei park loading bay",
);
const SIGHT: (&str, &str) = ("checkpoint", "S228 大石头检查站 Dashitou checkpoint");
const ARRIVE: (&str, &str) = ("arrival", "大石头风电场 卸货点 Dashitou wind farm");

/// The campaign's journeys: every day since `start`, each of the twelve vehicles one, leaving
/// in the morning (the modular trailers take towers, a nacelle every third day), sighted on
/// the way every other one and arriving; today a third of the fleet is still on the road.
fn drive(
    conn: &mut DbConnection,
    engine: &Engine,
    inspector: &Caller,
    [blade, tower, nacelle, hub]: [&String; 4],
    start: NaiveDate,
    days: i64,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let plates: Vec<String> = (0..12).map(|i| format!("新B{}", 31001 + i)).collect();
    for day in 1..=days {
        let morning = engine
            .timezone
            .from_local_datetime(
                &(start + Days::new(day as u64))
                    .and_hms_opt(7, 0, 0)
                    .unwrap_or_default(),
            )
            .single()
            .map(|t| t.naive_utc())
            .unwrap_or(now);
        for (i, plate) in plates.iter().enumerate() {
            let permit = match i {
                0..=5 => blade,
                6..=9 if (day + i as i64) % 3 == 0 => nacelle,
                6..=9 => tower,
                _ => hub,
            };
            let mut at = |stage, when| scan(conn, engine, inspector, permit, plate, stage, when);
            if day == days {
                if i % 3 == 0 {
                    let depart = now - TimeDelta::minutes(120 + 15 * i as i64);
                    at(DEPART, depart)?;
                    at(SIGHT, depart + TimeDelta::minutes(100))?;
                }
                continue;
            }
            let depart = morning + TimeDelta::minutes(20 * i as i64);
            at(DEPART, depart)?;
            if i % 2 == 0 {
                at(SIGHT, depart + TimeDelta::minutes(100))?;
            }
            at(ARRIVE, depart + TimeDelta::minutes(260))?;
        }
    }
    Ok(())
}

/// Both demo projects.
pub fn seed(
    conn: &mut DbConnection,
    engine: &Engine,
    applicant: &Caller,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    let inspector = caller(
        user_q::find_user_by_email(conn, "inspector@demo.local")?.ok_or(ServiceError::NotFound)?,
    )?;
    // Issued 24 days ago, the review done within the morning.
    let issued_at = now - TimeDelta::days(24);
    let start = engine.today(issued_at);
    let mulei = json!([{"road": "G7", "jurisdiction": "652328", "length_km": 48.0},
                       {"road": "S228", "jurisdiction": "652328", "length_km": 22.5}]);
    let input = project(
        "大石头风电场一期 风机大件运输 Dashitou wind farm phase I",
        "大石头 Dashitou",
        100,
        mulei,
        start,
        31001,
    );
    let application = submitted(conn, engine, applicant, input, issued_at)?;
    let application = approve_until(
        conn,
        engine,
        application,
        issued_at,
        TimeDelta::minutes(25),
        |a, _| a.status == AppStatus::Issued,
    )?;
    let permits = application.permits.clone();
    let [blade, tower, nacelle, hub] = permits.as_slice() else {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "the demo project has {} permits, not four",
            permits.len()
        )));
    };
    let days = (now - issued_at).num_days();
    drive(
        conn,
        engine,
        &inspector,
        [blade, tower, nacelle, hub],
        start,
        days,
        now,
    )?;

    // The next wind farm's campaign, across two prefectures, submitted this morning and
    // half-way through its joint review.
    let across = json!([{"road": "G7", "jurisdiction": "652328", "length_km": 60.5},
                        {"road": "S303", "jurisdiction": "650521", "length_km": 140.0}]);
    let input = project(
        "三塘湖风电场二期 风机大件运输 Santanghu wind farm phase II",
        "三塘湖 Santanghu",
        60,
        across,
        engine.today(now) + Days::new(2),
        32001,
    );
    let submitted_at = now - TimeDelta::hours(3);
    let application = submitted(conn, engine, applicant, input, submitted_at)?;
    approve_until(
        conn,
        engine,
        application,
        submitted_at,
        TimeDelta::minutes(20),
        |_, signed| signed >= 4,
    )?;
    Ok(())
}
