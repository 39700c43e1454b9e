//! Transport projects (信息上报, SPEC §7a): a wind farm's whole campaign reported up front — one
//! route, one travel window, several loads each with its loaded-vehicle figures and trips, and
//! the fleet that carries them — parsed into a `ProjectSpec` that can only exist when every
//! field of every load and vehicle is valid, each problem named by its path
//! (`loads[2].vehicle.overall_height_m`, `fleet[4].loads[0]`).

use super::application::{
    parse_cargo, parse_escort, parse_loaded, parse_plates, parse_route, parse_window,
    ApplicationInput, Cargo, CargoInput, Escort, LoadFacts, LoadedVehicle, Route, Subject,
    TrailerType, VehicleInput,
};
use super::error::{FieldError, Message, ValidationErrors};
use super::jurisdiction::JurisdictionTree;
use super::rules::PermitRules;
use super::values::{count_within, text, Plate};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectInfoInput {
    pub name: Option<String>,
    pub site: Option<String>,
    pub sets: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadInput {
    pub key: Option<String>,
    pub cargo: Option<CargoInput>,
    /// The loaded vehicle's figures; its plates are the fleet's.
    pub vehicle: Option<VehicleInput>,
    pub trips: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FleetVehicleInput {
    pub tractor_plate: Option<String>,
    pub trailer_plates: Option<Vec<String>>,
    pub trailer_type: Option<String>,
    pub axles: Option<i64>,
    /// The keys of the loads this vehicle may carry.
    pub loads: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectInfo {
    pub name: String,
    pub site: String,
    /// Component sets the campaign moves (a set: three blades, tower sections, nacelle, hub).
    pub sets: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Load {
    pub key: String,
    pub cargo: Cargo,
    pub vehicle: LoadedVehicle,
    pub trips: u32,
    /// Where this load's fields are named: `loads[2].`.
    #[serde(skip)]
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetVehicle {
    pub tractor_plate: Plate,
    pub trailer_plates: Vec<Plate>,
    pub trailer_type: TrailerType,
    pub axles: u32,
    pub loads: Vec<String>,
}

impl FleetVehicle {
    /// The tractor's plate first, then the trailers'.
    pub fn plates(&self) -> Vec<String> {
        std::iter::once(&self.tractor_plate)
            .chain(&self.trailer_plates)
            .map(|p| p.as_str().to_string())
            .collect()
    }
}

/// A complete, valid project.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectSpec {
    pub project: ProjectInfo,
    pub route: Route,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub escort: Escort,
    pub loads: Vec<Load>,
    pub fleet: Vec<FleetVehicle>,
}

/// The campaign-scale bounds of the rules data (`[projects]` in `rules.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ProjectRules {
    /// A multi-trip permit is valid for at most six months.
    pub max_project_days: i64,
    pub max_loads: usize,
    pub max_fleet: usize,
    pub max_sets: i64,
    /// How long a trip may be under way before a later scan counts as a new departure.
    pub trip_hours: i64,
    /// Attachment kinds each load of the class needs for itself (the others serve the project).
    pub per_load_attachments: Vec<super::rules::AttachmentKind>,
}

impl Default for ProjectRules {
    fn default() -> Self {
        ProjectRules {
            max_project_days: 183,
            max_loads: 12,
            max_fleet: 100,
            max_sets: 5000,
            trip_hours: 48,
            per_load_attachments: vec![super::rules::AttachmentKind::ContourDrawing],
        }
    }
}

/// Lists longer than the rules allow, refused even in a draft.
pub fn oversized(input: &ApplicationInput, rules: &PermitRules) -> ValidationErrors {
    let p = &rules.projects;
    let mut errors = ValidationErrors::default();
    if input.loads.as_ref().map_or(0, Vec::len) > p.max_loads {
        errors.push(FieldError::new(
            "loads",
            Message::new("error.too_many").with("max", p.max_loads),
        ));
    }
    if input.fleet.as_ref().map_or(0, Vec::len) > p.max_fleet {
        errors.push(FieldError::new(
            "fleet",
            Message::new("error.too_many").with("max", p.max_fleet),
        ));
    }
    for (i, load) in input.loads.iter().flatten().enumerate() {
        let trailers = load
            .vehicle
            .as_ref()
            .and_then(|v| v.trailer_plates.as_ref())
            .map_or(0, Vec::len);
        if trailers > rules.plausible.max_trailer_plates {
            errors.push(FieldError::new(
                format!("loads[{i}].vehicle.trailer_plates"),
                Message::new("error.too_many").with("max", rules.plausible.max_trailer_plates),
            ));
        }
    }
    for (i, vehicle) in input.fleet.iter().flatten().enumerate() {
        if vehicle.trailer_plates.as_ref().map_or(0, Vec::len) > rules.plausible.max_trailer_plates
        {
            errors.push(FieldError::new(
                format!("fleet[{i}].trailer_plates"),
                Message::new("error.too_many").with("max", rules.plausible.max_trailer_plates),
            ));
        }
        if vehicle.loads.as_ref().map_or(0, Vec::len) > p.max_loads {
            errors.push(FieldError::new(
                format!("fleet[{i}].loads"),
                Message::new("error.too_many").with("max", p.max_loads),
            ));
        }
    }
    errors
}

/// A load's key: short, letters, digits, `_` or `-`, so it can name fields and permits.
fn load_key(field: &str, raw: Option<&str>) -> Result<String, FieldError> {
    let key = text(field, raw, 32)?;
    if key
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        Ok(key)
    } else {
        Err(FieldError::new(
            field,
            Message::new("error.load_key").with("value", key),
        ))
    }
}

fn parse_info(
    input: Option<&ProjectInfoInput>,
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<ProjectInfo> {
    let Some(p) = input else {
        errors.push(FieldError::new("project", Message::new("error.required")));
        return None;
    };
    let name = errors.collect(text("project.name", p.name.as_deref(), 200));
    let site = errors.collect(text("project.site", p.site.as_deref(), 200));
    let sets = errors.collect(count_within(
        "project.sets",
        p.sets,
        1,
        rules.projects.max_sets,
    ));
    Some(ProjectInfo {
        name: name?,
        site: site?,
        sets: sets?,
    })
}

fn parse_loads(
    input: &[LoadInput],
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<Vec<Load>> {
    if input.is_empty() {
        errors.push(FieldError::new("loads", Message::new("error.required")));
        return None;
    }
    if input.len() > rules.projects.max_loads {
        errors.push(FieldError::new(
            "loads",
            Message::new("error.too_many").with("max", rules.projects.max_loads),
        ));
        return None;
    }
    let mut keys = HashSet::new();
    let loads: Vec<Option<Load>> = input
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let prefix = format!("loads[{i}].");
            let key = errors.collect(load_key(&format!("{prefix}key"), l.key.as_deref()));
            if let Some(key) = &key {
                if !keys.insert(key.clone()) {
                    errors.push(FieldError::new(
                        format!("{prefix}key"),
                        Message::new("error.duplicate_key").with("value", key),
                    ));
                }
            }
            let cargo = parse_cargo(&prefix, l.cargo.as_ref(), rules, errors);
            let vehicle = match l.vehicle.as_ref() {
                Some(v) => parse_loaded(&prefix, v, rules, cargo.as_ref(), errors),
                None => {
                    errors.push(FieldError::new(
                        format!("{prefix}vehicle"),
                        Message::new("error.required"),
                    ));
                    None
                }
            };
            let trips = errors.collect(count_within(
                &format!("{prefix}trips"),
                l.trips,
                1,
                rules.plausible.max_trips,
            ));
            Some(Load {
                key: key?,
                cargo: cargo?,
                vehicle: vehicle?,
                trips: trips?,
                prefix,
            })
        })
        .collect();
    loads.into_iter().collect()
}

/// Each plate belongs to one vehicle of the fleet: a later one naming it is an error.
fn once_in_fleet(
    prefix: &str,
    (tractor, trailers): &(Plate, Vec<Plate>),
    seen: &mut HashSet<String>,
    errors: &mut ValidationErrors,
) {
    let fields = std::iter::once((format!("{prefix}tractor_plate"), tractor)).chain(
        trailers
            .iter()
            .enumerate()
            .map(|(j, p)| (format!("{prefix}trailer_plates[{j}]"), p)),
    );
    for (field, plate) in fields {
        if !seen.insert(plate.as_str().to_string()) {
            errors.push(FieldError::new(
                field,
                Message::new("error.duplicate_plate").with("value", plate),
            ));
        }
    }
}

/// The loads a vehicle names must exist, and its trailer type and axles must be the ones
/// each load's figures were stated for.
fn carries(
    prefix: &str,
    keys: &[String],
    by_key: &HashMap<&str, &LoadInput>,
    (trailer_type, axles): (Option<TrailerType>, Option<u32>),
    errors: &mut ValidationErrors,
) {
    for (j, key) in keys.iter().enumerate() {
        let Some(load) = by_key.get(key.as_str()) else {
            errors.push(FieldError::new(
                format!("{prefix}loads[{j}]"),
                Message::new("error.unknown_load").with("value", key),
            ));
            continue;
        };
        let figures = load.vehicle.as_ref();
        let load_type = figures.and_then(|f| f.trailer_type.as_deref());
        if let (Some(mine), Some(theirs)) = (trailer_type, load_type) {
            if mine.as_str() != theirs.trim() {
                errors.push(FieldError::new(
                    format!("{prefix}trailer_type"),
                    Message::new("error.fleet_trailer_mismatch")
                        .with("load", key)
                        .with("value", theirs),
                ));
            }
        }
        let load_axles = figures.and_then(|f| f.axles);
        if let (Some(mine), Some(theirs)) = (axles, load_axles) {
            if i64::from(mine) != theirs {
                errors.push(FieldError::new(
                    format!("{prefix}axles"),
                    Message::new("error.fleet_axles_mismatch")
                        .with("load", key)
                        .with("value", theirs),
                ));
            }
        }
    }
}

/// A load no vehicle of the fleet names is an error of that load.
fn every_load_carried(
    loads: &[LoadInput],
    fleet: &[FleetVehicleInput],
    errors: &mut ValidationErrors,
) {
    for (i, load) in loads.iter().enumerate() {
        let Some(key) = load.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) else {
            continue;
        };
        let carried = fleet
            .iter()
            .any(|v| v.loads.iter().flatten().any(|k| k.trim() == key));
        if !carried {
            errors.push(FieldError::new(
                format!("loads[{i}]"),
                Message::new("error.load_without_vehicle").with("value", key),
            ));
        }
    }
}

/// The fleet, each vehicle checked against the loads it may carry: they must exist, and its
/// trailer type and axles must be the ones the load's figures were stated for.
fn parse_fleet(
    input: &[FleetVehicleInput],
    loads: &[LoadInput],
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<Vec<FleetVehicle>> {
    if input.is_empty() {
        errors.push(FieldError::new("fleet", Message::new("error.required")));
        return None;
    }
    if input.len() > rules.projects.max_fleet {
        errors.push(FieldError::new(
            "fleet",
            Message::new("error.too_many").with("max", rules.projects.max_fleet),
        ));
        return None;
    }
    // A key used twice is an error of the second load: vehicles are checked against the first.
    let mut by_key: HashMap<&str, &LoadInput> = HashMap::new();
    for load in loads {
        if let Some(key) = load.key.as_deref() {
            by_key.entry(key.trim()).or_insert(load);
        }
    }
    let mut plates_seen: HashSet<String> = HashSet::new();
    let fleet: Vec<Option<FleetVehicle>> = input
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let prefix = format!("fleet[{i}].");
            let plates = parse_plates(
                &prefix,
                v.tractor_plate.as_deref(),
                v.trailer_plates.as_deref().unwrap_or_default(),
                rules,
                errors,
            );
            if let Some(plates) = &plates {
                once_in_fleet(&prefix, plates, &mut plates_seen, errors);
            }
            let trailer_type = errors.collect(TrailerType::parse(
                &format!("{prefix}trailer_type"),
                v.trailer_type.as_deref(),
            ));
            let axles = errors.collect(count_within(
                &format!("{prefix}axles"),
                v.axles,
                rules.plausible.min_axles,
                rules.plausible.max_axles,
            ));
            let keys: Vec<String> = v
                .loads
                .iter()
                .flatten()
                .map(|k| k.trim().to_string())
                .collect();
            if keys.is_empty() {
                errors.push(FieldError::new(
                    format!("{prefix}loads"),
                    Message::new("error.required"),
                ));
            }
            carries(&prefix, &keys, &by_key, (trailer_type, axles), errors);
            let (tractor_plate, trailer_plates) = plates?;
            Some(FleetVehicle {
                tractor_plate,
                trailer_plates,
                trailer_type: trailer_type?,
                axles: axles?,
                loads: keys,
            })
        })
        .collect();
    every_load_carried(loads, input, errors);
    fleet.into_iter().collect()
}

impl TrailerType {
    pub fn as_str(self) -> &'static str {
        match self {
            TrailerType::Flatbed => "flatbed",
            TrailerType::ExtendableBlade => "extendable_blade",
            TrailerType::HydraulicModular => "hydraulic_modular",
        }
    }
}

impl ProjectSpec {
    /// Parse everything of every load and vehicle, collecting every problem with its path.
    pub fn parse(
        input: &ApplicationInput,
        rules: &PermitRules,
        tree: &JurisdictionTree,
        today: NaiveDate,
    ) -> Result<ProjectSpec, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let project = parse_info(input.project.as_ref(), rules, &mut errors);
        let route = parse_route(input.route.as_ref(), rules, tree, &mut errors);
        let window = match input.travel.as_ref() {
            Some(t) => parse_window(t, rules.projects.max_project_days, today, &mut errors),
            None => {
                errors.push(FieldError::new("travel", Message::new("error.required")));
                None
            }
        };
        let escort = parse_escort(input.escort.as_ref(), rules, &mut errors);
        let raw_loads = input.loads.as_deref().unwrap_or_default();
        let loads = parse_loads(raw_loads, rules, &mut errors);
        let fleet = parse_fleet(
            input.fleet.as_deref().unwrap_or_default(),
            raw_loads,
            rules,
            &mut errors,
        );
        match (project, route, window, escort, loads, fleet) {
            (
                Some(project),
                Some(route),
                Some((from, to)),
                Some(escort),
                Some(loads),
                Some(fleet),
            ) if errors.is_empty() => Ok(ProjectSpec {
                project,
                route,
                from,
                to,
                escort,
                loads,
                fleet,
            }),
            _ => Err(errors),
        }
    }

    /// Trips allowed over every load.
    pub fn trips(&self) -> u32 {
        self.loads.iter().map(|l| l.trips).sum()
    }

    /// The fleet's vehicles that may carry the load `key`.
    pub fn carriers<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a FleetVehicle> + 'a {
        self.fleet
            .iter()
            .filter(move |v| v.loads.iter().any(|k| k == key))
    }
}

impl Subject for ProjectSpec {
    fn loads(&self) -> Vec<LoadFacts<'_>> {
        self.loads
            .iter()
            .map(|l| LoadFacts {
                prefix: &l.prefix,
                key: Some(&l.key),
                cargo: &l.cargo,
                vehicle: l.vehicle,
            })
            .collect()
    }

    fn route(&self) -> &Route {
        &self.route
    }
}

#[cfg(test)]
#[path = "project_tests.rs"]
pub(crate) mod tests;
