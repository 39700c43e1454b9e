//! Parsing each part of an application's input into its spec, every problem collected with
//! its field path and the regulation's limits from the rules.

use super::*;

pub(in crate::domain) fn parse_cargo(
    prefix: &str,
    input: Option<&CargoInput>,
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<Cargo> {
    let Some(c) = input else {
        errors.push(FieldError::new(
            format!("{prefix}cargo"),
            Message::new("error.required"),
        ));
        return None;
    };
    let p = &rules.plausible;
    let description = errors.collect(text(
        &format!("{prefix}cargo.description"),
        c.description.as_deref(),
        500,
    ));
    let pieces = errors.collect(count_within(
        &format!("{prefix}cargo.pieces"),
        c.pieces,
        1,
        p.max_pieces,
    ));
    let divisible = errors.collect(c.divisible.ok_or_else(|| {
        FieldError::new(
            format!("{prefix}cargo.divisible"),
            Message::new("error.required"),
        )
    }));
    let length_m = errors.collect(positive_at_most(
        &format!("{prefix}cargo.length_m"),
        c.length_m,
        p.max_length_m,
        "m",
    ));
    let width_m = errors.collect(positive_at_most(
        &format!("{prefix}cargo.width_m"),
        c.width_m,
        p.max_width_m,
        "m",
    ));
    let height_m = errors.collect(positive_at_most(
        &format!("{prefix}cargo.height_m"),
        c.height_m,
        p.max_height_m,
        "m",
    ));
    let mass_kg = errors.collect(positive_at_most(
        &format!("{prefix}cargo.mass_kg"),
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

pub(in crate::domain) fn parse_vehicle(
    prefix: &str,
    input: Option<&VehicleInput>,
    rules: &PermitRules,
    cargo: Option<&Cargo>,
    errors: &mut ValidationErrors,
) -> Option<Vehicle> {
    let Some(v) = input else {
        errors.push(FieldError::new(
            format!("{prefix}vehicle"),
            Message::new("error.required"),
        ));
        return None;
    };
    let plates = parse_plates(
        &format!("{prefix}vehicle."),
        v.tractor_plate.as_deref(),
        v.trailer_plates.as_deref().unwrap_or_default(),
        rules,
        errors,
    );
    let loaded = parse_loaded(prefix, v, rules, cargo, errors);
    let ((tractor_plate, trailer_plates), loaded) = (plates?, loaded?);
    Some(Vehicle {
        tractor_plate,
        trailer_plates,
        trailer_type: loaded.trailer_type,
        axles: loaded.axles,
        overall_length_m: loaded.overall_length_m,
        overall_width_m: loaded.overall_width_m,
        overall_height_m: loaded.overall_height_m,
        gross_mass_kg: loaded.gross_mass_kg,
        max_axle_load_kg: loaded.max_axle_load_kg,
    })
}

/// A tractor's plate and its trailers' plates, named under `prefix` (`vehicle.`, `fleet[3].`).
pub(in crate::domain) fn parse_plates(
    prefix: &str,
    tractor: Option<&str>,
    trailers: &[String],
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<(Plate, Vec<Plate>)> {
    let tractor_plate = errors.collect(Plate::parse(
        &format!("{prefix}tractor_plate"),
        tractor.unwrap_or_default(),
        PlateKind::Tractor,
    ));
    if trailers.len() > rules.plausible.max_trailer_plates {
        errors.push(FieldError::new(
            format!("{prefix}trailer_plates"),
            Message::new("error.too_many").with("max", rules.plausible.max_trailer_plates),
        ));
    }
    let trailer_plates: Vec<Option<Plate>> = trailers
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            errors.collect(Plate::parse(
                &format!("{prefix}trailer_plates[{i}]"),
                raw,
                PlateKind::Trailer,
            ))
        })
        .collect();
    Some((
        tractor_plate?,
        trailer_plates.into_iter().collect::<Option<Vec<_>>>()?,
    ))
}

/// The loaded vehicle's figures (everything but its plates), named under `{prefix}vehicle.`.
pub(in crate::domain) fn parse_loaded(
    prefix: &str,
    v: &VehicleInput,
    rules: &PermitRules,
    cargo: Option<&Cargo>,
    errors: &mut ValidationErrors,
) -> Option<LoadedVehicle> {
    let p = &rules.plausible;
    let field = |name: &str| format!("{prefix}vehicle.{name}");
    let trailer_type = errors.collect(TrailerType::parse(
        &field("trailer_type"),
        v.trailer_type.as_deref(),
    ));
    let axles = errors.collect(count_within(
        &field("axles"),
        v.axles,
        p.min_axles,
        p.max_axles,
    ));
    let length = errors.collect(positive_at_most(
        &field("overall_length_m"),
        v.overall_length_m,
        p.max_length_m,
        "m",
    ));
    let width = errors.collect(positive_at_most(
        &field("overall_width_m"),
        v.overall_width_m,
        p.max_width_m,
        "m",
    ));
    let height = errors.collect(positive_at_most(
        &field("overall_height_m"),
        v.overall_height_m,
        p.max_height_m,
        "m",
    ));
    let gross = errors.collect(positive_at_most(
        &field("gross_mass_kg"),
        v.gross_mass_kg,
        p.max_mass_kg,
        "kg",
    ));
    let axle_load = errors.collect(positive_at_most(
        &field("max_axle_load_kg"),
        v.max_axle_load_kg,
        p.max_mass_kg,
        "kg",
    ));

    // The loaded vehicle cannot be smaller or lighter than what it carries: a swapped field.
    if let Some(cargo) = cargo {
        let pairs = [
            ("overall_length_m", length, cargo.length_m, "m"),
            ("overall_width_m", width, cargo.width_m, "m"),
            ("overall_height_m", height, cargo.height_m, "m"),
            ("gross_mass_kg", gross, cargo.mass_kg, "kg"),
        ];
        for (name, vehicle_value, cargo_value, unit) in pairs {
            if vehicle_value.is_some_and(|v| v < cargo_value) {
                errors.push(FieldError::new(
                    field(name),
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
                field("max_axle_load_kg"),
                Message::new("error.axle_above_gross"),
            ));
        }
    }
    Some(LoadedVehicle {
        trailer_type: trailer_type?,
        axles: axles?,
        overall_length_m: length?,
        overall_width_m: width?,
        overall_height_m: height?,
        gross_mass_kg: gross?,
        max_axle_load_kg: axle_load?,
    })
}

pub(in crate::domain) fn parse_route(
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

pub(in crate::domain) fn parse_date(
    field: &str,
    raw: Option<&str>,
) -> Result<NaiveDate, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Err(FieldError::new(field, Message::new("error.required"))),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| FieldError::new(field, Message::new("error.date").with("value", s))),
    }
}

pub(in crate::domain) fn parse_travel(
    input: Option<&TravelInput>,
    rules: &PermitRules,
    today: NaiveDate,
    errors: &mut ValidationErrors,
) -> Option<TravelWindow> {
    let Some(t) = input else {
        errors.push(FieldError::new("travel", Message::new("error.required")));
        return None;
    };
    let window = parse_window(t, rules.plausible.max_window_days, today, errors);
    let trips = errors.collect(count_within(
        "travel.trips",
        t.trips,
        1,
        rules.plausible.max_trips,
    ));
    let (from, to) = window?;
    Some(TravelWindow {
        from,
        to,
        trips: trips?,
    })
}

/// The first and last day of travel: from today on, the end after the start, at most
/// `max_days` long.
pub(in crate::domain) fn parse_window(
    t: &TravelInput,
    max_days: i64,
    today: NaiveDate,
    errors: &mut ValidationErrors,
) -> Option<(NaiveDate, NaiveDate)> {
    let from = errors.collect(parse_date("travel.from", t.from.as_deref()));
    let to = errors.collect(parse_date("travel.to", t.to.as_deref()));
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
        } else if (to - from).num_days() > max_days {
            errors.push(FieldError::new(
                "travel.to",
                Message::new("error.travel_too_long").with("max", max_days),
            ));
        }
    }
    Some((from?, to?))
}

pub(in crate::domain) fn parse_escort(
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
