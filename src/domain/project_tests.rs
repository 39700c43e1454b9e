use super::*;
use crate::domain::application::tests::today;
use crate::domain::application::{ApplicationKind, Submission};
use crate::domain::jurisdiction::tests::sample_tree;
use crate::domain::rules::{assess, Attached, AttachmentKind, FirmStanding, PermitClass};
use crate::domain::workflow::definition::Condition;

/// A wind farm's campaign: blades on extendable trailers, nacelles on a hydraulic modular
/// trailer, three vehicles, from Mulei to Barkol.
pub(crate) fn project_input() -> ApplicationInput {
    serde_json::from_value(serde_json::json!({
        "kind": "project",
        "project": {"name": "Santanghu wind farm phase II", "site": "Santanghu", "sets": 100},
        "route":   {"origin": "Mulei new-energy equipment park", "destination": "Santanghu wind farm",
                    "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5},
                                 {"road": "S303", "jurisdiction": "650521", "length_km": 140.0}]},
        "travel":  {"from": "2026-12-05", "to": "2027-05-31"},
        "escort":  {"vehicles": 2, "police_escort": true},
        "loads": [
            {"key": "blade",
             "cargo": {"description": "Blade 86 m", "pieces": 1, "divisible": false,
                       "length_m": 86.0, "width_m": 4.0, "height_m": 3.6, "mass_kg": 24000},
             "vehicle": {"trailer_type": "extendable_blade", "axles": 8, "overall_length_m": 95.0,
                         "overall_width_m": 4.2, "overall_height_m": 4.6, "gross_mass_kg": 78000,
                         "max_axle_load_kg": 11000},
             "trips": 300},
            {"key": "nacelle",
             "cargo": {"description": "Nacelle", "pieces": 1, "divisible": false,
                       "length_m": 12.0, "width_m": 4.2, "height_m": 4.0, "mass_kg": 85000},
             "vehicle": {"trailer_type": "hydraulic_modular", "axles": 10, "overall_length_m": 20.0,
                         "overall_width_m": 4.5, "overall_height_m": 5.6, "gross_mass_kg": 120000,
                         "max_axle_load_kg": 13000},
             "trips": 100}
        ],
        "fleet": [
            {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"],
             "trailer_type": "extendable_blade", "axles": 8, "loads": ["blade"]},
            {"tractor_plate": "新B22345", "trailer_plates": ["新B6790挂"],
             "trailer_type": "extendable_blade", "axles": 8, "loads": ["blade"]},
            {"tractor_plate": "新B32345", "trailer_plates": [],
             "trailer_type": "hydraulic_modular", "axles": 10, "loads": ["nacelle"]}
        ]
    }))
    .unwrap()
}

fn parse(input: &ApplicationInput) -> Result<ProjectSpec, ValidationErrors> {
    ProjectSpec::parse(input, &PermitRules::shipped(), &sample_tree(), today())
}

fn errors_of(edit: impl FnOnce(&mut ApplicationInput)) -> ValidationErrors {
    let mut input = project_input();
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

fn qualified() -> FirmStanding {
    FirmStanding {
        oversize_qualified: true,
        restricted_until: None,
    }
}

#[test]
fn the_campaign_parses_with_its_loads_and_fleet() {
    let input = project_input();
    assert_eq!(input.kind(), Some(ApplicationKind::Project));
    let spec = parse(&input).unwrap();
    assert_eq!(spec.project.sets, 100);
    assert_eq!(spec.loads.len(), 2);
    assert_eq!(
        spec.loads[1].vehicle.trailer_type,
        TrailerType::HydraulicModular
    );
    assert_eq!(spec.trips(), 400);
    let carriers: Vec<_> = spec
        .carriers("blade")
        .map(|v| v.tractor_plate.as_str())
        .collect();
    assert_eq!(carriers, ["新B12345", "新B22345"]);
    assert_eq!(spec.fleet[0].plates(), ["新B12345", "新B6789挂"]);
    assert!(matches!(
        Submission::parse(&input, &PermitRules::shipped(), &sample_tree(), today()),
        Ok(Submission::Project(_))
    ));
}

#[test]
fn every_error_of_every_load_is_named_by_its_path() {
    let errors = errors_of(|i| {
        let loads = i.loads.as_mut().unwrap();
        loads[0].vehicle.as_mut().unwrap().overall_height_m = Some(-1.0);
        loads[1].cargo.as_mut().unwrap().length_m = None;
        loads[1].trips = Some(0);
    });
    assert_eq!(
        key_of(&errors, "loads[0].vehicle.overall_height_m"),
        "error.positive"
    );
    assert_eq!(key_of(&errors, "loads[1].cargo.length_m"), "error.required");
    assert_eq!(key_of(&errors, "loads[1].trips"), "error.between");
}

#[test]
fn load_keys_are_unique_and_well_formed() {
    let errors = errors_of(|i| {
        let loads = i.loads.as_mut().unwrap();
        loads[1].key = Some("blade".into());
    });
    assert_eq!(key_of(&errors, "loads[1].key"), "error.duplicate_key");
    let errors = errors_of(|i| i.loads.as_mut().unwrap()[0].key = Some("a b".into()));
    assert_eq!(key_of(&errors, "loads[0].key"), "error.load_key");
}

#[test]
fn a_vehicle_must_name_existing_loads_with_its_own_trailer_and_axles() {
    let errors = errors_of(|i| {
        let fleet = i.fleet.as_mut().unwrap();
        fleet[0].loads = Some(vec!["tower".into()]);
        fleet[1].trailer_type = Some("flatbed".into());
        fleet[2].axles = Some(12);
    });
    assert_eq!(key_of(&errors, "fleet[0].loads[0]"), "error.unknown_load");
    assert_eq!(
        key_of(&errors, "fleet[1].trailer_type"),
        "error.fleet_trailer_mismatch"
    );
    assert_eq!(
        key_of(&errors, "fleet[2].axles"),
        "error.fleet_axles_mismatch"
    );
}

#[test]
fn a_load_no_vehicle_may_carry_is_an_error() {
    let errors = errors_of(|i| {
        i.fleet.as_mut().unwrap().pop();
    });
    assert_eq!(key_of(&errors, "loads[1]"), "error.load_without_vehicle");
}

#[test]
fn a_plate_belongs_to_one_vehicle_of_the_fleet() {
    let errors = errors_of(|i| {
        let fleet = i.fleet.as_mut().unwrap();
        fleet[1].trailer_plates = Some(vec!["新B6789挂".into()]);
    });
    assert_eq!(
        key_of(&errors, "fleet[1].trailer_plates[0]"),
        "error.duplicate_plate"
    );
}

#[test]
fn the_window_is_at_most_six_months_and_lists_are_bounded() {
    let errors = errors_of(|i| i.travel.as_mut().unwrap().to = Some("2027-07-01".into()));
    assert_eq!(key_of(&errors, "travel.to"), "error.travel_too_long");
    let rules = PermitRules::shipped();
    let mut input = project_input();
    let vehicle = input.fleet.as_ref().unwrap()[0].clone();
    input.fleet = Some(vec![vehicle; rules.projects.max_fleet + 1]);
    assert!(input.oversized(&rules).has("fleet"));
    assert!(parse(&input).unwrap_err().has("fleet"));
    let errors = errors_of(|i| {
        i.loads = Some(Vec::new());
        i.fleet = None;
    });
    assert_eq!(key_of(&errors, "loads"), "error.required");
    assert_eq!(key_of(&errors, "fleet"), "error.required");
}

#[test]
fn the_class_is_the_highest_and_each_class_iii_load_needs_its_drawing() {
    let (rules, tree) = (PermitRules::shipped(), sample_tree());
    let spec = parse(&project_input()).unwrap();
    let drawing = |load: &str| Attached {
        kind: AttachmentKind::ContourDrawing,
        load: Some(load.into()),
    };
    let errors = assess(
        &rules,
        &tree,
        &spec,
        &qualified(),
        &[drawing("blade")],
        today(),
    )
    .unwrap_err();
    assert!(errors.has("attachments.contour_drawing[nacelle]"));
    assert!(!errors.has("attachments.contour_drawing[blade]"));
    assert!(errors.has("attachments.escort_plan"));
    let all = [
        drawing("blade"),
        drawing("nacelle"),
        AttachmentKind::EscortPlan.into(),
    ];
    let ok = assess(&rules, &tree, &spec, &qualified(), &all, today()).unwrap();
    assert_eq!(ok.class, PermitClass::III);
    assert_eq!(ok.issuer.authority_code, "650000-HIGHWAY");
}

#[test]
fn a_load_that_cannot_be_granted_is_named_by_its_path() {
    let mut input = project_input();
    input.loads.as_mut().unwrap()[0]
        .vehicle
        .as_mut()
        .unwrap()
        .max_axle_load_kg = Some(14000.0);
    input.loads.as_mut().unwrap()[1]
        .cargo
        .as_mut()
        .unwrap()
        .divisible = Some(true);
    let spec = parse(&input).unwrap();
    let errors = assess(
        &PermitRules::shipped(),
        &sample_tree(),
        &spec,
        &qualified(),
        &[],
        today(),
    )
    .unwrap_err();
    assert_eq!(
        key_of(&errors, "loads[0].vehicle.max_axle_load_kg"),
        "rule.any_axle_load"
    );
    assert_eq!(
        key_of(&errors, "loads[1].cargo.divisible"),
        "rule.divisible"
    );
}

#[test]
fn a_condition_holds_when_any_load_is_above() {
    let spec = parse(&project_input()).unwrap();
    let above = |v: f64| Condition {
        field: "vehicle.overall_height_m".into(),
        above: v,
    };
    assert!(above(5.5).holds(&spec));
    assert!(!above(5.6).holds(&spec));
}
