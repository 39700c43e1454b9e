//! What a logistics firm applies for: the raw input as it arrives from a form or the API
//! (`ApplicationInput`, every part optional so that drafts can be partial) and the parsed
//! `ApplicationSpec` that can only exist when every field is valid.

use super::error::{FieldError, Message, ValidationErrors};
use super::jurisdiction::JurisdictionTree;
use super::rules::PermitRules;
use super::values::{count_within, positive_at_most, text, Plate, PlateKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInput {
    pub cargo: Option<CargoInput>,
    pub vehicle: Option<VehicleInput>,
    pub route: Option<RouteInput>,
    pub travel: Option<TravelInput>,
    pub escort: Option<EscortInput>,
}

impl ApplicationInput {
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
        errors
    }

    /// Does `other` change what reviewers judge: the cargo, the vehicle or the route? Such a
    /// change in an information round re-opens every review of the current phase.
    pub fn differs_materially_from(&self, other: &ApplicationInput) -> bool {
        self.cargo != other.cargo || self.vehicle != other.vehicle || self.route != other.route
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
        let cargo = parse_cargo(input.cargo.as_ref(), rules, &mut errors);
        let vehicle = parse_vehicle(input.vehicle.as_ref(), rules, cargo.as_ref(), &mut errors);
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

fn parse_cargo(
    input: Option<&CargoInput>,
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<Cargo> {
    let Some(c) = input else {
        errors.push(FieldError::new("cargo", Message::new("error.required")));
        return None;
    };
    let p = &rules.plausible;
    let description = errors.collect(text("cargo.description", c.description.as_deref(), 500));
    let pieces = errors.collect(count_within("cargo.pieces", c.pieces, 1, p.max_pieces));
    let divisible = errors.collect(
        c.divisible
            .ok_or_else(|| FieldError::new("cargo.divisible", Message::new("error.required"))),
    );
    let length_m = errors.collect(positive_at_most(
        "cargo.length_m",
        c.length_m,
        p.max_length_m,
        "m",
    ));
    let width_m = errors.collect(positive_at_most(
        "cargo.width_m",
        c.width_m,
        p.max_width_m,
        "m",
    ));
    let height_m = errors.collect(positive_at_most(
        "cargo.height_m",
        c.height_m,
        p.max_height_m,
        "m",
    ));
    let mass_kg = errors.collect(positive_at_most(
        "cargo.mass_kg",
        c.mass_kg,
        p.max_mass_kg,
        "kg",
    ));
    Some(Cargo {
        description: description?,
        pieces: pieces?,
        divisible: divisible?,
        length_m: length_m?,
        width_m: width_m?,
        height_m: height_m?,
        mass_kg: mass_kg?,
    })
}

fn parse_vehicle(
    input: Option<&VehicleInput>,
    rules: &PermitRules,
    cargo: Option<&Cargo>,
    errors: &mut ValidationErrors,
) -> Option<Vehicle> {
    let Some(v) = input else {
        errors.push(FieldError::new("vehicle", Message::new("error.required")));
        return None;
    };
    let p = &rules.plausible;
    let tractor_plate = errors.collect(Plate::parse(
        "vehicle.tractor_plate",
        v.tractor_plate.as_deref().unwrap_or_default(),
        PlateKind::Tractor,
    ));
    let raw_trailers = v.trailer_plates.as_deref().unwrap_or_default();
    if raw_trailers.len() > p.max_trailer_plates {
        errors.push(FieldError::new(
            "vehicle.trailer_plates",
            Message::new("error.too_many").with("max", p.max_trailer_plates),
        ));
    }
    let trailer_plates: Vec<Option<Plate>> = raw_trailers
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            errors.collect(Plate::parse(
                &format!("vehicle.trailer_plates[{i}]"),
                raw,
                PlateKind::Trailer,
            ))
        })
        .collect();
    let trailer_type = errors.collect(TrailerType::parse(
        "vehicle.trailer_type",
        v.trailer_type.as_deref(),
    ));
    let axles = errors.collect(count_within(
        "vehicle.axles",
        v.axles,
        p.min_axles,
        p.max_axles,
    ));
    let length = errors.collect(positive_at_most(
        "vehicle.overall_length_m",
        v.overall_length_m,
        p.max_length_m,
        "m",
    ));
    let width = errors.collect(positive_at_most(
        "vehicle.overall_width_m",
        v.overall_width_m,
        p.max_width_m,
        "m",
    ));
    let height = errors.collect(positive_at_most(
        "vehicle.overall_height_m",
        v.overall_height_m,
        p.max_height_m,
        "m",
    ));
    let gross = errors.collect(positive_at_most(
        "vehicle.gross_mass_kg",
        v.gross_mass_kg,
        p.max_mass_kg,
        "kg",
    ));
    let axle_load = errors.collect(positive_at_most(
        "vehicle.max_axle_load_kg",
        v.max_axle_load_kg,
        p.max_mass_kg,
        "kg",
    ));

    // The loaded vehicle cannot be smaller or lighter than what it carries: a swapped field.
    if let Some(cargo) = cargo {
        let pairs = [
            ("vehicle.overall_length_m", length, cargo.length_m, "m"),
            ("vehicle.overall_width_m", width, cargo.width_m, "m"),
            ("vehicle.overall_height_m", height, cargo.height_m, "m"),
            ("vehicle.gross_mass_kg", gross, cargo.mass_kg, "kg"),
        ];
        for (field, vehicle_value, cargo_value, unit) in pairs {
            if vehicle_value.is_some_and(|v| v < cargo_value) {
                errors.push(FieldError::new(
                    field,
                    Message::new("error.below_cargo")
                        .with("value", cargo_value)
                        .with("unit", unit),
                ));
            }
        }
    }
    if let (Some(load), Some(gross)) = (axle_load, gross) {
        if load > gross {
            errors.push(FieldError::new(
                "vehicle.max_axle_load_kg",
                Message::new("error.axle_above_gross"),
            ));
        }
    }
    Some(Vehicle {
        tractor_plate: tractor_plate?,
        trailer_plates: trailer_plates.into_iter().collect::<Option<Vec<_>>>()?,
        trailer_type: trailer_type?,
        axles: axles?,
        overall_length_m: length?,
        overall_width_m: width?,
        overall_height_m: height?,
        gross_mass_kg: gross?,
        max_axle_load_kg: axle_load?,
    })
}

fn parse_route(
    input: Option<&RouteInput>,
    rules: &PermitRules,
    tree: &JurisdictionTree,
    errors: &mut ValidationErrors,
) -> Option<Route> {
    let Some(r) = input else {
        errors.push(FieldError::new("route", Message::new("error.required")));
        return None;
    };
    let origin = errors.collect(text("route.origin", r.origin.as_deref(), 200));
    let destination = errors.collect(text("route.destination", r.destination.as_deref(), 200));
    let raw_segments = r.segments.as_deref().unwrap_or_default();
    if raw_segments.len() > rules.plausible.max_segments {
        errors.push(FieldError::new(
            "route.segments",
            Message::new("error.too_many").with("max", rules.plausible.max_segments),
        ));
        return None;
    }
    if raw_segments.is_empty() {
        errors.push(FieldError::new(
            "route.segments",
            Message::new("error.route_empty"),
        ));
    }
    let segments: Vec<Option<RouteSegment>> = raw_segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let road = errors.collect(text(
                &format!("route.segments[{i}].road"),
                s.road.as_deref(),
                100,
            ));
            let field = format!("route.segments[{i}].jurisdiction");
            let jurisdiction = match s.jurisdiction.as_deref().map(str::trim) {
                None | Some("") => {
                    errors.collect(Err(FieldError::new(field, Message::new("error.required"))))
                }
                Some(code) => match tree.get(code) {
                    None => errors.collect(Err(FieldError::new(
                        field,
                        Message::new("error.unknown_jurisdiction").with("value", code),
                    ))),
                    Some(_) if !tree.is_county(code) => errors.collect(Err(FieldError::new(
                        field,
                        Message::new("error.not_county").with("value", code),
                    ))),
                    Some(_) => Some(code.to_string()),
                },
            };
            let length_km = errors.collect(positive_at_most(
                &format!("route.segments[{i}].length_km"),
                s.length_km,
                rules.plausible.max_segment_km,
                "km",
            ));
            Some(RouteSegment {
                road: road?,
                jurisdiction: jurisdiction?,
                length_km: length_km?,
            })
        })
        .collect();
    if raw_segments.is_empty() {
        return None;
    }
    Some(Route {
        origin: origin?,
        destination: destination?,
        segments: segments.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

fn parse_date(field: &str, raw: Option<&str>) -> Result<NaiveDate, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Err(FieldError::new(field, Message::new("error.required"))),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| FieldError::new(field, Message::new("error.date").with("value", s))),
    }
}

fn parse_travel(
    input: Option<&TravelInput>,
    rules: &PermitRules,
    today: NaiveDate,
    errors: &mut ValidationErrors,
) -> Option<TravelWindow> {
    let Some(t) = input else {
        errors.push(FieldError::new("travel", Message::new("error.required")));
        return None;
    };
    let from = errors.collect(parse_date("travel.from", t.from.as_deref()));
    let to = errors.collect(parse_date("travel.to", t.to.as_deref()));
    let trips = errors.collect(count_within(
        "travel.trips",
        t.trips,
        1,
        rules.plausible.max_trips,
    ));
    if let Some(from) = from {
        if from < today {
            errors.push(FieldError::new(
                "travel.from",
                Message::new("error.travel_in_past").with("today", today),
            ));
        }
    }
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            errors.push(FieldError::new(
                "travel.to",
                Message::new("error.travel_end_before_start"),
            ));
        } else if (to - from).num_days() > rules.plausible.max_window_days {
            errors.push(FieldError::new(
                "travel.to",
                Message::new("error.travel_too_long").with("max", rules.plausible.max_window_days),
            ));
        }
    }
    Some(TravelWindow {
        from: from?,
        to: to?,
        trips: trips?,
    })
}

fn parse_escort(
    input: Option<&EscortInput>,
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<Escort> {
    // An application without escort details means no escort.
    let e = input.cloned().unwrap_or_default();
    let vehicles = errors.collect(count_within(
        "escort.vehicles",
        Some(e.vehicles.unwrap_or(0)),
        0,
        rules.plausible.max_escort_vehicles,
    ));
    Some(Escort {
        vehicles: vehicles?,
        police_escort: e.police_escort.unwrap_or(false),
    })
}

#[cfg(test)]
#[path = "application_tests.rs"]
pub(crate) mod tests;
