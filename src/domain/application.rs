//! What a logistics firm applies for: the raw input as it arrives from a form or the API
//! (`ApplicationInput`, every part optional so that drafts can be partial) and the parsed
//! `ApplicationSpec` that can only exist when every field is valid.

#[path = "application_parse.rs"]
mod parse;

pub(in crate::domain) use self::parse::{
    parse_cargo, parse_date, parse_escort, parse_loaded, parse_plates, parse_route, parse_travel,
    parse_vehicle, parse_window,
};
use super::error::{FieldError, Message, ValidationErrors};
use super::jurisdiction::JurisdictionTree;
use super::project::{FleetVehicleInput, LoadInput, ProjectInfoInput, ProjectSpec};
use super::rules::PermitRules;
use super::values::{count_within, positive_at_most, text, Plate, PlateKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInput {
    /// `single` (also when absent) or `project` (SPEC §7a).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub cargo: Option<CargoInput>,
    pub vehicle: Option<VehicleInput>,
    pub route: Option<RouteInput>,
    pub travel: Option<TravelInput>,
    pub escort: Option<EscortInput>,
    /// A project's name, site and number of component sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectInfoInput>,
    /// A project's loads, each with its own cargo, loaded vehicle and trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loads: Option<Vec<LoadInput>>,
    /// A project's vehicles and the loads each may carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<Vec<FleetVehicleInput>>,
}

/// How big a project is: what a reviewer sees of it in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectCounts {
    pub loads: usize,
    pub vehicles: usize,
    pub trips: i64,
}

text_enum!(
    /// One load applied for once, or a whole campaign's loads and fleet (信息上报).
    ApplicationKind {
        Single = "single",
        Project = "project",
    }
);

impl ApplicationInput {
    /// The kind the input says it is; `None` for a kind that does not exist.
    pub fn kind(&self) -> Option<ApplicationKind> {
        match self.kind.as_deref().map(str::trim) {
            None | Some("") => Some(ApplicationKind::Single),
            Some(other) => other.parse().ok(),
        }
    }

    /// Lists longer than the rules allow, refused even in a draft: what a client sends is
    /// capped before anything is stored.
    pub fn oversized(&self, rules: &PermitRules) -> ValidationErrors {
        let p = &rules.plausible;
        let mut errors = ValidationErrors::default();
        let segments = self
            .route
            .as_ref()
            .and_then(|r| r.segments.as_ref())
            .map_or(0, Vec::len);
        if segments > p.max_segments {
            errors.push(FieldError::new(
                "route.segments",
                Message::new("error.too_many").with("max", p.max_segments),
            ));
        }
        let trailers = self
            .vehicle
            .as_ref()
            .and_then(|v| v.trailer_plates.as_ref())
            .map_or(0, Vec::len);
        if trailers > p.max_trailer_plates {
            errors.push(FieldError::new(
                "vehicle.trailer_plates",
                Message::new("error.too_many").with("max", p.max_trailer_plates),
            ));
        }
        if self.kind() == Some(ApplicationKind::Project) {
            for error in super::project::oversized(self, rules).0 {
                errors.push(error);
            }
        }
        errors
    }

    /// A project's size as a queue shows it: loads, vehicles, trips over every load.
    pub fn project_counts(&self) -> Option<ProjectCounts> {
        (self.kind() == Some(ApplicationKind::Project)).then(|| ProjectCounts {
            loads: self.loads.as_ref().map_or(0, Vec::len),
            vehicles: self.fleet.as_ref().map_or(0, Vec::len),
            trips: self
                .loads
                .iter()
                .flatten()
                .filter_map(|l| l.trips)
                .filter(|t| *t > 0)
                .sum(),
        })
    }

    /// Does `other` change what reviewers judge: the cargo, the vehicle or the route? Such a
    /// change in an information round re-opens every review of the current phase.
    pub fn differs_materially_from(&self, other: &ApplicationInput) -> bool {
        self.cargo != other.cargo
            || self.vehicle != other.vehicle
            || self.route != other.route
            || self.loads != other.loads
            || self.fleet != other.fleet
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CargoInput {
    pub description: Option<String>,
    pub pieces: Option<i64>,
    pub divisible: Option<bool>,
    pub length_m: Option<f64>,
    pub width_m: Option<f64>,
    pub height_m: Option<f64>,
    pub mass_kg: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VehicleInput {
    pub tractor_plate: Option<String>,
    pub trailer_plates: Option<Vec<String>>,
    pub trailer_type: Option<String>,
    pub axles: Option<i64>,
    pub overall_length_m: Option<f64>,
    pub overall_width_m: Option<f64>,
    pub overall_height_m: Option<f64>,
    pub gross_mass_kg: Option<f64>,
    pub max_axle_load_kg: Option<f64>,
}

impl VehicleInput {
    /// The loaded figures, if every one of them is there and readable (for showing a class;
    /// the rules themselves use the parsed spec).
    pub fn loaded_figures(&self) -> Option<LoadedVehicle> {
        Some(LoadedVehicle {
            trailer_type: TrailerType::parse("", self.trailer_type.as_deref()).ok()?,
            axles: u32::try_from(self.axles?).ok().filter(|a| *a > 0)?,
            overall_length_m: self.overall_length_m?,
            overall_width_m: self.overall_width_m?,
            overall_height_m: self.overall_height_m?,
            gross_mass_kg: self.gross_mass_kg?,
            max_axle_load_kg: self.max_axle_load_kg?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteInput {
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub segments: Option<Vec<SegmentInput>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentInput {
    pub road: Option<String>,
    pub jurisdiction: Option<String>,
    pub length_km: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TravelInput {
    pub from: Option<String>,
    pub to: Option<String>,
    pub trips: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EscortInput {
    pub vehicles: Option<i64>,
    pub police_escort: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cargo {
    pub description: String,
    pub pieces: u32,
    /// Divisible cargo (可分载货物) is never accepted: it must be split to fit the limits.
    pub divisible: bool,
    pub length_m: f64,
    pub width_m: f64,
    pub height_m: f64,
    pub mass_kg: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrailerType {
    /// An ordinary flatbed or low-bed semi-trailer (普通平板).
    Flatbed,
    /// An extendable blade trailer (叶片专用伸缩挂车); ordinary axles.
    ExtendableBlade,
    /// A hydraulic modular trailer (液压轴线车), counted in axle lines.
    HydraulicModular,
}

impl TrailerType {
    /// Its names in Chinese and in English, as printed on a permit.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            TrailerType::Flatbed => ("普通平板半挂车", "Flatbed semi-trailer"),
            TrailerType::ExtendableBlade => ("叶片专用伸缩挂车", "Extendable blade trailer"),
            TrailerType::HydraulicModular => ("液压轴线车", "Hydraulic modular trailer"),
        }
    }

    pub fn parse(field: &str, raw: Option<&str>) -> Result<TrailerType, FieldError> {
        match raw.map(str::trim) {
            None | Some("") => Err(FieldError::new(field, Message::new("error.required"))),
            Some("flatbed") => Ok(TrailerType::Flatbed),
            Some("extendable_blade") => Ok(TrailerType::ExtendableBlade),
            Some("hydraulic_modular") => Ok(TrailerType::HydraulicModular),
            Some(other) => Err(FieldError::new(
                field,
                Message::new("error.one_of")
                    .with("value", other)
                    .with("allowed", "flatbed, extendable_blade, hydraulic_modular"),
            )),
        }
    }
}

/// The loaded vehicle's figures, without its plates: what every rule is checked against, and
/// what a project's load states once for every vehicle of the fleet that carries it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadedVehicle {
    pub trailer_type: TrailerType,
    pub axles: u32,
    pub overall_length_m: f64,
    pub overall_width_m: f64,
    pub overall_height_m: f64,
    pub gross_mass_kg: f64,
    pub max_axle_load_kg: f64,
}

/// Something the rules can weigh as a loaded vehicle.
pub trait AsLoaded {
    fn loaded(&self) -> LoadedVehicle;
}

impl AsLoaded for LoadedVehicle {
    fn loaded(&self) -> LoadedVehicle {
        *self
    }
}

impl AsLoaded for Vehicle {
    fn loaded(&self) -> LoadedVehicle {
        LoadedVehicle {
            trailer_type: self.trailer_type,
            axles: self.axles,
            overall_length_m: self.overall_length_m,
            overall_width_m: self.overall_width_m,
            overall_height_m: self.overall_height_m,
            gross_mass_kg: self.gross_mass_kg,
            max_axle_load_kg: self.max_axle_load_kg,
        }
    }
}

impl LoadedVehicle {
    /// A figure a workflow condition may name (`vehicle.overall_height_m`, …).
    pub fn figure(&self, field: &str) -> Option<f64> {
        Some(match field {
            "vehicle.overall_height_m" => self.overall_height_m,
            "vehicle.overall_width_m" => self.overall_width_m,
            "vehicle.overall_length_m" => self.overall_length_m,
            "vehicle.gross_mass_kg" => self.gross_mass_kg,
            "vehicle.max_axle_load_kg" => self.max_axle_load_kg,
            _ => return None,
        })
    }
}

/// The loaded vehicle: the figures every rule is checked against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vehicle {
    pub tractor_plate: Plate,
    pub trailer_plates: Vec<Plate>,
    pub trailer_type: TrailerType,
    pub axles: u32,
    pub overall_length_m: f64,
    pub overall_width_m: f64,
    pub overall_height_m: f64,
    pub gross_mass_kg: f64,
    pub max_axle_load_kg: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteSegment {
    pub road: String,
    /// A county-level jurisdiction code known to the tree.
    pub jurisdiction: String,
    pub length_km: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub origin: String,
    pub destination: String,
    /// At least one segment.
    pub segments: Vec<RouteSegment>,
}

impl Route {
    /// The counties the route runs through, in the order first met.
    pub fn counties(&self) -> Vec<String> {
        let mut counties: Vec<String> = Vec::new();
        for s in &self.segments {
            if !counties.contains(&s.jurisdiction) {
                counties.push(s.jurisdiction.clone());
            }
        }
        counties
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TravelWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub trips: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escort {
    pub vehicles: u32,
    pub police_escort: bool,
}

/// A complete, valid application.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationSpec {
    pub cargo: Cargo,
    pub vehicle: Vehicle,
    pub route: Route,
    pub travel: TravelWindow,
    pub escort: Escort,
}

impl ApplicationSpec {
    /// Parse everything, collecting every problem with its field path. `today` is the date in
    /// the display time zone, so that "starts today" means the applicant's today.
    pub fn parse(
        input: &ApplicationInput,
        rules: &PermitRules,
        tree: &JurisdictionTree,
        today: NaiveDate,
    ) -> Result<ApplicationSpec, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let cargo = parse_cargo("", input.cargo.as_ref(), rules, &mut errors);
        let vehicle = parse_vehicle(
            "",
            input.vehicle.as_ref(),
            rules,
            cargo.as_ref(),
            &mut errors,
        );
        let route = parse_route(input.route.as_ref(), rules, tree, &mut errors);
        let travel = parse_travel(input.travel.as_ref(), rules, today, &mut errors);
        let escort = parse_escort(input.escort.as_ref(), rules, &mut errors);
        match (cargo, vehicle, route, travel, escort) {
            (Some(cargo), Some(vehicle), Some(route), Some(travel), Some(escort))
                if errors.is_empty() =>
            {
                Ok(ApplicationSpec {
                    cargo,
                    vehicle,
                    route,
                    travel,
                    escort,
                })
            }
            _ => Err(errors),
        }
    }
}

/// One load as the rules see it: where its fields are named, what it carries, on what.
#[derive(Debug, Clone, Copy)]
pub struct LoadFacts<'a> {
    /// `""` for a single application, `loads[2].` for a project's third load.
    pub prefix: &'a str,
    /// The project load's key; `None` for a single application.
    pub key: Option<&'a str>,
    pub cargo: &'a Cargo,
    pub vehicle: LoadedVehicle,
}

/// What a submission is judged on, single application or project alike: its loads, its route,
/// and the figures a workflow condition may name (a project's highest load decides).
pub trait Subject {
    fn loads(&self) -> Vec<LoadFacts<'_>>;
    fn route(&self) -> &Route;
    fn figure(&self, field: &str) -> Option<f64> {
        self.loads()
            .iter()
            .filter_map(|l| match field {
                "cargo.mass_kg" => Some(l.cargo.mass_kg),
                _ => l.vehicle.figure(field),
            })
            .reduce(f64::max)
    }
}

impl Subject for ApplicationSpec {
    fn loads(&self) -> Vec<LoadFacts<'_>> {
        vec![LoadFacts {
            prefix: "",
            key: None,
            cargo: &self.cargo,
            vehicle: self.vehicle.loaded(),
        }]
    }

    fn route(&self) -> &Route {
        &self.route
    }
}

/// A parsed submission of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Submission {
    Single(ApplicationSpec),
    Project(ProjectSpec),
}

impl Submission {
    /// Parses the input as the kind it says it is, every problem at once.
    pub fn parse(
        input: &ApplicationInput,
        rules: &PermitRules,
        tree: &JurisdictionTree,
        today: NaiveDate,
    ) -> Result<Submission, ValidationErrors> {
        match input.kind() {
            Some(ApplicationKind::Single) => {
                ApplicationSpec::parse(input, rules, tree, today).map(Submission::Single)
            }
            Some(ApplicationKind::Project) => {
                ProjectSpec::parse(input, rules, tree, today).map(Submission::Project)
            }
            None => Err(ValidationErrors(vec![FieldError::new(
                "kind",
                Message::new("error.one_of")
                    .with("value", input.kind.as_deref().unwrap_or_default())
                    .with("allowed", "single, project"),
            )])),
        }
    }

    pub fn kind(&self) -> ApplicationKind {
        match self {
            Submission::Single(_) => ApplicationKind::Single,
            Submission::Project(_) => ApplicationKind::Project,
        }
    }
}

impl Subject for Submission {
    fn loads(&self) -> Vec<LoadFacts<'_>> {
        match self {
            Submission::Single(s) => s.loads(),
            Submission::Project(p) => p.loads(),
        }
    }

    fn route(&self) -> &Route {
        match self {
            Submission::Single(s) => s.route(),
            Submission::Project(p) => p.route(),
        }
    }
}

#[cfg(test)]
#[path = "application_tests.rs"]
pub(crate) mod tests;
