use super::*;
use crate::domain::jurisdiction::tests::sample_tree;

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

/// The spec's example: a 126 m blade from Mulei (Changji) to Barkol (Hami).
pub(crate) fn blade_input() -> ApplicationInput {
    serde_json::from_value(serde_json::json!({
        "cargo":   {"description": "Wind turbine blade", "pieces": 1, "divisible": false,
                    "length_m": 126.0, "width_m": 4.8, "height_m": 4.9, "mass_kg": 58000},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"],
                    "trailer_type": "extendable_blade",
                    "axles": 10, "overall_length_m": 131.5, "overall_width_m": 5.0, "overall_height_m": 5.3,
                    "gross_mass_kg": 98000, "max_axle_load_kg": 12500},
        "route":   {"origin": "Mulei new-energy equipment park", "destination": "Santanghu wind farm",
                    "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5},
                                 {"road": "S303", "jurisdiction": "650521", "length_km": 140.0}]},
        "travel":  {"from": "2026-12-01", "to": "2026-12-31", "trips": 30},
        "escort":  {"vehicles": 2, "police_escort": true}
    }))
    .unwrap()
}

fn parse(input: &ApplicationInput) -> Result<ApplicationSpec, ValidationErrors> {
    ApplicationSpec::parse(input, &PermitRules::shipped(), &sample_tree(), today())
}

/// One numeric field of an input, set by a test.
type Setter = fn(&mut ApplicationInput, f64);

fn errors_of(edit: impl FnOnce(&mut ApplicationInput)) -> ValidationErrors {
    let mut input = blade_input();
    edit(&mut input);
    parse(&input).expect_err("should be invalid")
}

fn key_of(errors: &ValidationErrors, field: &str) -> &'static str {
    errors
        .get(field)
        .unwrap_or_else(|| panic!("no error for {field}: {errors:?}"))
        .message
        .key
}

#[test]
fn the_blade_application_parses() {
    let spec = parse(&blade_input()).unwrap();
    assert_eq!(spec.vehicle.tractor_plate.as_str(), "新B12345");
    assert_eq!(spec.vehicle.trailer_type, TrailerType::ExtendableBlade);
    assert_eq!(
        spec.route.counties(),
        vec!["652328".to_string(), "650521".to_string()]
    );
    assert_eq!(spec.travel.trips, 30);
    assert!(spec.escort.police_escort);
}

#[test]
fn a_draft_with_nothing_names_each_missing_part() {
    let errors = parse(&ApplicationInput::default()).unwrap_err();
    for field in ["cargo", "vehicle", "route", "travel"] {
        assert_eq!(key_of(&errors, field), "error.required");
    }
    assert!(!errors.has("escort"), "escort is optional");
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let errors = errors_of(|i| {
        let c = i.cargo.as_mut().unwrap();
        c.length_m = Some(0.0);
        c.pieces = Some(0);
        let v = i.vehicle.as_mut().unwrap();
        v.tractor_plate = Some("ABC".into());
        i.route.as_mut().unwrap().segments.as_mut().unwrap()[1].jurisdiction =
            Some("999999".into());
    });
    assert_eq!(errors.0.len(), 4, "{errors:?}");
    assert_eq!(key_of(&errors, "cargo.length_m"), "error.positive");
    assert_eq!(key_of(&errors, "cargo.pieces"), "error.between");
    assert_eq!(key_of(&errors, "vehicle.tractor_plate"), "error.plate");
    assert_eq!(
        key_of(&errors, "route.segments[1].jurisdiction"),
        "error.unknown_jurisdiction"
    );
}

#[test]
fn plausible_dimensions_at_their_limits() {
    // Exactly at the limit is accepted; just above is refused, for every dimension and mass.
    let cases: [(&str, f64, Setter); 4] = [
        ("vehicle.overall_length_m", 200.0, |i, x| {
            i.vehicle.as_mut().unwrap().overall_length_m = Some(x)
        }),
        ("vehicle.overall_width_m", 12.0, |i, x| {
            i.vehicle.as_mut().unwrap().overall_width_m = Some(x)
        }),
        ("vehicle.overall_height_m", 10.0, |i, x| {
            i.vehicle.as_mut().unwrap().overall_height_m = Some(x)
        }),
        ("vehicle.gross_mass_kg", 1_000_000.0, |i, x| {
            i.vehicle.as_mut().unwrap().gross_mass_kg = Some(x)
        }),
    ];
    for (field, max, set) in cases {
        let mut input = blade_input();
        set(&mut input, max);
        assert!(parse(&input).is_ok(), "{field} at {max}");
        let mut input = blade_input();
        set(&mut input, max + 0.01);
        assert_eq!(key_of(&parse(&input).unwrap_err(), field), "error.at_most");
    }
    let cargo: [(&str, f64, Setter); 4] = [
        ("cargo.length_m", 200.0, |i, x| {
            i.cargo.as_mut().unwrap().length_m = Some(x)
        }),
        ("cargo.width_m", 12.0, |i, x| {
            i.cargo.as_mut().unwrap().width_m = Some(x)
        }),
        ("cargo.height_m", 10.0, |i, x| {
            i.cargo.as_mut().unwrap().height_m = Some(x)
        }),
        ("cargo.mass_kg", 1_000_000.0, |i, x| {
            i.cargo.as_mut().unwrap().mass_kg = Some(x)
        }),
    ];
    for (field, max, set) in cargo {
        let mut input = blade_input();
        set(&mut input, max + 0.01);
        assert_eq!(key_of(&parse(&input).unwrap_err(), field), "error.at_most");
        let mut input = blade_input();
        set(&mut input, -1.0);
        assert_eq!(key_of(&parse(&input).unwrap_err(), field), "error.positive");
    }
}

#[test]
fn the_vehicle_cannot_be_smaller_than_its_cargo() {
    let errors = errors_of(|i| i.vehicle.as_mut().unwrap().overall_length_m = Some(120.0));
    assert_eq!(
        key_of(&errors, "vehicle.overall_length_m"),
        "error.below_cargo"
    );
    let errors = errors_of(|i| i.vehicle.as_mut().unwrap().max_axle_load_kg = Some(99_000.0));
    assert_eq!(
        key_of(&errors, "vehicle.max_axle_load_kg"),
        "error.axle_above_gross"
    );
}

#[test]
fn pieces_trips_and_axles_within_their_ranges() {
    for (pieces, ok) in [(1, true), (0, false), (10_000, true), (10_001, false)] {
        let mut input = blade_input();
        input.cargo.as_mut().unwrap().pieces = Some(pieces);
        assert_eq!(parse(&input).is_ok(), ok, "pieces {pieces}");
    }
    for (trips, ok) in [(1, true), (0, false), (10_000, true), (10_001, false)] {
        let mut input = blade_input();
        input.travel.as_mut().unwrap().trips = Some(trips);
        let result = parse(&input);
        assert_eq!(result.is_ok(), ok, "trips {trips}");
        if !ok {
            assert_eq!(
                key_of(&result.unwrap_err(), "travel.trips"),
                "error.between"
            );
        }
    }
    let errors = errors_of(|i| i.vehicle.as_mut().unwrap().axles = Some(1));
    assert_eq!(key_of(&errors, "vehicle.axles"), "error.between");
}

#[test]
fn plates_are_checked_with_their_index() {
    let errors = errors_of(|i| {
        i.vehicle.as_mut().unwrap().trailer_plates =
            Some(vec!["新B6789挂".into(), "新B67890".into()]);
    });
    assert_eq!(
        key_of(&errors, "vehicle.trailer_plates[1]"),
        "error.trailer_plate"
    );
    assert!(!errors.has("vehicle.trailer_plates[0]"));
    let errors = errors_of(|i| i.vehicle.as_mut().unwrap().trailer_type = Some("boat".into()));
    assert_eq!(key_of(&errors, "vehicle.trailer_type"), "error.one_of");
}

#[test]
fn travel_window_starts_today_or_later_and_lasts_at_most_a_year() {
    let set = |from: &str, to: &str| {
        let mut input = blade_input();
        let t = input.travel.as_mut().unwrap();
        t.from = Some(from.into());
        t.to = Some(to.into());
        parse(&input)
    };
    assert!(set("2026-11-28", "2026-11-29").is_ok(), "today is fine");
    assert_eq!(
        key_of(&set("2026-11-27", "2026-12-29").unwrap_err(), "travel.from"),
        "error.travel_in_past"
    );
    assert_eq!(
        key_of(&set("2026-12-05", "2026-12-05").unwrap_err(), "travel.to"),
        "error.travel_end_before_start"
    );
    assert_eq!(
        key_of(&set("2026-12-05", "2026-12-01").unwrap_err(), "travel.to"),
        "error.travel_end_before_start"
    );
    assert!(set("2026-12-01", "2027-12-01").is_ok(), "365 days");
    assert_eq!(
        key_of(&set("2026-12-01", "2027-12-02").unwrap_err(), "travel.to"),
        "error.travel_too_long"
    );
    assert_eq!(
        key_of(&set("1 Dec", "2026-12-02").unwrap_err(), "travel.from"),
        "error.date"
    );
}

#[test]
fn a_route_needs_known_county_segments() {
    let errors = errors_of(|i| i.route.as_mut().unwrap().segments = Some(vec![]));
    assert_eq!(key_of(&errors, "route.segments"), "error.route_empty");
    let errors = errors_of(|i| {
        i.route.as_mut().unwrap().segments.as_mut().unwrap()[0].jurisdiction = Some("652300".into())
    });
    assert_eq!(
        key_of(&errors, "route.segments[0].jurisdiction"),
        "error.not_county"
    );
    let errors =
        errors_of(|i| i.route.as_mut().unwrap().segments.as_mut().unwrap()[0].jurisdiction = None);
    assert_eq!(
        key_of(&errors, "route.segments[0].jurisdiction"),
        "error.required"
    );
    let errors = errors_of(|i| {
        i.route.as_mut().unwrap().segments.as_mut().unwrap()[1].length_km = Some(0.0)
    });
    assert_eq!(
        key_of(&errors, "route.segments[1].length_km"),
        "error.positive"
    );
    let errors = errors_of(|i| i.route.as_mut().unwrap().origin = Some(" ".into()));
    assert_eq!(key_of(&errors, "route.origin"), "error.required");
}

#[test]
fn only_cargo_vehicle_and_route_changes_are_material() {
    let base = blade_input();
    let mut travel = base.clone();
    travel.travel.as_mut().unwrap().trips = Some(5);
    travel.escort = None;
    assert!(
        !travel.differs_materially_from(&base),
        "dates, trips and escort are not material"
    );
    for edit in [
        |i: &mut ApplicationInput| i.cargo.as_mut().unwrap().mass_kg = Some(60_000.0),
        |i: &mut ApplicationInput| {
            i.vehicle.as_mut().unwrap().tractor_plate = Some("新B54321".into())
        },
        |i: &mut ApplicationInput| {
            i.route.as_mut().unwrap().segments.as_mut().unwrap()[0].road = Some("S303".into())
        },
    ] {
        let mut changed = base.clone();
        edit(&mut changed);
        assert!(changed.differs_materially_from(&base));
    }
}

#[test]
fn escort_is_optional_but_bounded() {
    let mut input = blade_input();
    input.escort = None;
    assert_eq!(
        parse(&input).unwrap().escort,
        Escort {
            vehicles: 0,
            police_escort: false
        }
    );
    let errors = errors_of(|i| i.escort.as_mut().unwrap().vehicles = Some(21));
    assert_eq!(key_of(&errors, "escort.vehicles"), "error.between");
}
