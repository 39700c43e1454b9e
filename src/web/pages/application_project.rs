//! What the application page shows of a transport project: every load with its figures, class
//! and trips, the fleet, and once issued the campaign's progress — trips made of trips
//! allowed per load and in all, the vehicles under way and where each was last seen.

use crate::domain::application::{ApplicationInput, TrailerType};
use crate::domain::rules::PermitRules;
use crate::i18n::Lang;
use crate::service::applications::Progress;
use chrono::NaiveDateTime;

pub struct LoadLine {
    pub key: String,
    pub description: String,
    pub cargo: String,
    pub vehicle: String,
    pub class: String,
    pub trips_allowed: i64,
    pub trips_used: i64,
    pub percent: i64,
    pub permit_no: String,
    pub in_transit: usize,
}

pub struct VehicleLine {
    pub tractor: String,
    pub trailers: String,
    pub trailer: String,
    pub axles: String,
    pub loads: String,
    pub trips: i64,
    pub under_way: bool,
}

pub struct MovingLine {
    pub plate: String,
    pub load: String,
    pub trip_no: i32,
    pub departed: String,
    pub last_seen: String,
    pub location: String,
}

pub struct ProjectSection {
    pub name: String,
    pub site: String,
    pub sets: String,
    pub window: String,
    pub loads: Vec<LoadLine>,
    pub fleet: Vec<VehicleLine>,
    pub issued: bool,
    pub trips_used: i64,
    pub trips_allowed: i64,
    pub percent: i64,
    pub moving: Vec<MovingLine>,
}

fn trailer_name(raw: Option<&str>, lang: Lang) -> String {
    TrailerType::parse("", raw)
        .map(|t| {
            let (zh, en) = t.names();
            if lang == Lang::En { en } else { zh }.to_string()
        })
        .unwrap_or_default()
}

fn tonnes(kg: Option<f64>) -> String {
    kg.map(|k| format!("{} t", k / 1000.0)).unwrap_or_default()
}

fn dims(l: Option<f64>, w: Option<f64>, h: Option<f64>) -> String {
    match (l, w, h) {
        (Some(l), Some(w), Some(h)) => format!("{l} × {w} × {h} m"),
        _ => String::new(),
    }
}

/// Each load with its figures, class and (once issued) its trips.
fn load_lines(
    input: &ApplicationInput,
    progress: Option<&Progress>,
    rules: &PermitRules,
    lang: Lang,
) -> Vec<LoadLine> {
    let en = lang == Lang::En;
    input
        .loads
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, l)| {
            let done = progress.and_then(|p| p.loads.get(i));
            let cargo = l.cargo.clone().unwrap_or_default();
            let vehicle = l.vehicle.clone().unwrap_or_default();
            let used = done.map_or(0, |d| d.trips_used);
            let allowed = done.map_or(l.trips.unwrap_or(0), |d| d.trips_allowed);
            LoadLine {
                key: l.key.clone().unwrap_or_default(),
                description: cargo.description.clone().unwrap_or_default(),
                cargo: format!(
                    "{} · {}",
                    dims(cargo.length_m, cargo.width_m, cargo.height_m),
                    tonnes(cargo.mass_kg)
                ),
                vehicle: format!(
                    "{} · {} {} · {} · {} · {} {}",
                    trailer_name(vehicle.trailer_type.as_deref(), lang),
                    vehicle.axles.unwrap_or_default(),
                    if en { "axles" } else { "轴" },
                    dims(
                        vehicle.overall_length_m,
                        vehicle.overall_width_m,
                        vehicle.overall_height_m
                    ),
                    tonnes(vehicle.gross_mass_kg),
                    if en { "max axle" } else { "最大轴荷" },
                    tonnes(vehicle.max_axle_load_kg),
                ),
                class: vehicle
                    .loaded_figures()
                    .map(|f| rules.classify(&f).to_string())
                    .unwrap_or_default(),
                trips_allowed: allowed,
                trips_used: used,
                percent: if allowed > 0 { used * 100 / allowed } else { 0 },
                permit_no: done.and_then(|d| d.permit_no.clone()).unwrap_or_default(),
                in_transit: done.map_or(0, |d| d.in_transit.len()),
            }
        })
        .collect()
}

/// Each vehicle with what it may carry and the trips it made.
fn fleet_lines(
    input: &ApplicationInput,
    progress: Option<&Progress>,
    lang: Lang,
) -> Vec<VehicleLine> {
    input
        .fleet
        .iter()
        .flatten()
        .map(|v| {
            let tractor = v.tractor_plate.clone().unwrap_or_default();
            let normal = crate::domain::values::Plate::normalize(&tractor);
            let made = progress.and_then(|p| p.vehicles.iter().find(|m| m.tractor_plate == normal));
            VehicleLine {
                trailers: v.trailer_plates.clone().unwrap_or_default().join(" "),
                trailer: trailer_name(v.trailer_type.as_deref(), lang),
                axles: v.axles.map(|a| a.to_string()).unwrap_or_default(),
                loads: v.loads.clone().unwrap_or_default().join(" "),
                trips: made.map_or(0, |m| m.trips),
                under_way: made.is_some_and(|m| m.under_way),
                tractor,
            }
        })
        .collect()
}

/// The section, from the stored input and (once issued) its progress.
pub fn section(
    input: &ApplicationInput,
    progress: Option<&Progress>,
    rules: &PermitRules,
    lang: Lang,
    local: impl Fn(NaiveDateTime) -> String,
) -> ProjectSection {
    let info = input.project.clone().unwrap_or_default();
    let loads = load_lines(input, progress, rules, lang);
    let fleet = fleet_lines(input, progress, lang);
    let local = &local;
    let moving = progress
        .map(|p| {
            p.loads
                .iter()
                .flat_map(|l| {
                    l.in_transit.iter().map(move |t| MovingLine {
                        plate: t.plate.clone(),
                        load: l.key.clone().unwrap_or_default(),
                        trip_no: t.trip_no,
                        departed: local(t.departed_at),
                        last_seen: local(t.last_seen_at),
                        location: t.last_seen_location.clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let travel = input.travel.clone().unwrap_or_default();
    ProjectSection {
        name: info.name.unwrap_or_default(),
        site: info.site.unwrap_or_default(),
        sets: info.sets.map(|s| s.to_string()).unwrap_or_default(),
        window: format!(
            "{} — {}",
            travel.from.unwrap_or_default(),
            travel.to.unwrap_or_default()
        ),
        issued: progress.is_some_and(|p| p.loads.iter().any(|l| l.permit_no.is_some())),
        trips_used: progress.map_or(0, |p| p.trips_used),
        trips_allowed: progress.map_or_else(
            || loads.iter().map(|l| l.trips_allowed).sum(),
            |p| p.trips_allowed,
        ),
        percent: progress.map_or(0, Progress::percent),
        loads,
        fleet,
        moving,
    }
}
