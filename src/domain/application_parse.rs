//! Parsing each part of an application's input into its spec, every problem collected with
//! its field path and the regulation's limits from the rules.

use super::*;

pub(super) fn parse_cargo(
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

pub(super) fn parse_vehicle(
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

pub(super) fn parse_route(
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

pub(super) fn parse_date(field: &str, raw: Option<&str>) -> Result<NaiveDate, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Err(FieldError::new(field, Message::new("error.required"))),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| FieldError::new(field, Message::new("error.date").with("value", s))),
    }
}

pub(super) fn parse_travel(
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

pub(super) fn parse_escort(
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
