use super::*;
use crate::domain::application::tests::{blade_input, today};
use crate::domain::application::{ApplicationSpec, Vehicle};
use crate::domain::jurisdiction::tests::sample_tree;
use crate::domain::jurisdiction::Level;

fn rules() -> PermitRules {
    PermitRules::shipped()
}

fn blade() -> ApplicationSpec {
    ApplicationSpec::parse(&blade_input(), &rules(), &sample_tree(), today()).unwrap()
}

/// A two-axle truck well inside every general limit, to move one figure at a time.
fn small(edit: impl FnOnce(&mut Vehicle)) -> Vehicle {
    let mut v = blade().vehicle;
    v.trailer_type = TrailerType::Flatbed;
    v.axles = 2;
    v.overall_length_m = 12.0;
    v.overall_width_m = 2.5;
    v.overall_height_m = 3.8;
    v.gross_mass_kg = 15_000.0;
    v.max_axle_load_kg = 9_000.0;
    edit(&mut v);
    v
}

fn qualified() -> FirmStanding {
    FirmStanding {
        oversize_qualified: true,
        restricted_until: None,
    }
}

const BOTH: [Attached; 2] = [
    Attached {
        kind: AttachmentKind::ContourDrawing,
        load: None,
    },
    Attached {
        kind: AttachmentKind::EscortPlan,
        load: None,
    },
];

#[test]
fn no_permit_is_needed_within_every_general_limit() {
    let r = rules();
    assert!(!r.needs_permit(&small(|_| {})));
    assert!(
        !r.needs_permit(&small(|v| v.overall_height_m = 4.0)),
        "height exactly 4.0 m"
    );
    assert!(r.needs_permit(&small(|v| v.overall_height_m = 4.01)));
    assert!(!r.needs_permit(&small(|v| v.overall_width_m = 2.55)));
    assert!(r.needs_permit(&small(|v| v.overall_width_m = 2.56)));
    assert!(!r.needs_permit(&small(|v| v.overall_length_m = 18.1)));
    assert!(r.needs_permit(&small(|v| v.overall_length_m = 18.11)));
}

#[test]
fn gross_mass_limit_depends_on_the_axle_count() {
    let r = rules();
    for (axles, limit) in [
        (2, 18_000.0),
        (3, 25_000.0),
        (4, 31_000.0),
        (5, 43_000.0),
        (6, 49_000.0),
        (12, 49_000.0),
    ] {
        assert_eq!(r.general_mass_limit_kg(axles), limit);
        assert!(
            !r.needs_permit(&small(|v| {
                v.axles = axles;
                v.gross_mass_kg = limit;
            })),
            "{axles} axles at {limit}"
        );
        assert!(
            r.needs_permit(&small(|v| {
                v.axles = axles;
                v.gross_mass_kg = limit + 1.0;
            })),
            "{axles} axles above {limit}"
        );
    }
}

#[test]
fn assessment_refuses_a_load_that_needs_no_permit() {
    let mut spec = blade();
    spec.vehicle = small(|_| {});
    let errors = assess(&rules(), &sample_tree(), &spec, &qualified(), &[], today()).unwrap_err();
    assert_eq!(
        errors.get("vehicle").unwrap().message.key,
        "rule.no_permit_needed"
    );
}

#[test]
fn class_i_bounds() {
    let r = rules();
    let at_limit = |edit: fn(&mut Vehicle)| {
        r.classify(&small(|v| {
            v.overall_height_m = 4.2;
            v.overall_width_m = 3.0;
            v.overall_length_m = 20.0;
            edit(v);
        }))
    };
    assert_eq!(at_limit(|_| {}), PermitClass::I);
    assert_eq!(at_limit(|v| v.overall_height_m = 4.21), PermitClass::II);
    assert_eq!(at_limit(|v| v.overall_width_m = 3.01), PermitClass::II);
    assert_eq!(at_limit(|v| v.overall_length_m = 20.01), PermitClass::II);
    assert_eq!(
        at_limit(|v| v.gross_mass_kg = 18_001.0),
        PermitClass::II,
        "mass above the general limit"
    );
}

#[test]
fn class_ii_bounds() {
    let r = rules();
    let at_limit = |edit: fn(&mut Vehicle)| {
        r.classify(&small(|v| {
            v.axles = 10;
            v.overall_height_m = 4.5;
            v.overall_width_m = 3.75;
            v.overall_length_m = 28.0;
            v.gross_mass_kg = 100_000.0;
            edit(v);
        }))
    };
    assert_eq!(at_limit(|_| {}), PermitClass::II);
    assert_eq!(at_limit(|v| v.overall_height_m = 4.51), PermitClass::III);
    assert_eq!(at_limit(|v| v.overall_width_m = 3.76), PermitClass::III);
    assert_eq!(at_limit(|v| v.overall_length_m = 28.01), PermitClass::III);
    assert_eq!(at_limit(|v| v.gross_mass_kg = 100_001.0), PermitClass::III);
}

#[test]
fn a_blade_is_class_iii_with_fifteen_working_days() {
    let r = rules();
    assert_eq!(r.classify(&blade().vehicle), PermitClass::III);
    assert_eq!(r.statutory_working_days(PermitClass::I), 2);
    assert_eq!(r.statutory_working_days(PermitClass::II), 5);
    assert_eq!(r.statutory_working_days(PermitClass::III), 15);
}

#[test]
fn ordinary_axle_loads_that_cannot_be_granted() {
    let r = rules();
    let keys = |edit: fn(&mut Vehicle)| -> Vec<&'static str> {
        r.cannot_be_granted(&small(|v| {
            v.axles = 6;
            v.gross_mass_kg = 60_000.0; // 10,000 kg per axle on average: at the limit
            v.max_axle_load_kg = 13_000.0; // at the limit
            edit(v);
        }))
        .iter()
        .map(|e| e.message.key)
        .collect()
    };
    assert!(keys(|_| {}).is_empty());
    assert_eq!(
        keys(|v| v.gross_mass_kg = 60_006.0),
        vec!["rule.average_axle_load"]
    );
    assert_eq!(
        keys(|v| v.max_axle_load_kg = 13_001.0),
        vec!["rule.any_axle_load"]
    );
    assert_eq!(
        keys(|v| {
            v.trailer_type = TrailerType::ExtendableBlade;
            v.gross_mass_kg = 61_000.0;
            v.max_axle_load_kg = 14_000.0;
        }),
        vec!["rule.average_axle_load", "rule.any_axle_load"],
        "a blade trailer has ordinary axles"
    );
}

#[test]
fn hydraulic_modular_axle_line_loads_that_cannot_be_granted() {
    let r = rules();
    let keys = |gross: f64, line: f64| -> Vec<&'static str> {
        r.cannot_be_granted(&small(|v| {
            v.trailer_type = TrailerType::HydraulicModular;
            v.axles = 10;
            v.gross_mass_kg = gross;
            v.max_axle_load_kg = line;
        }))
        .iter()
        .map(|e| e.message.key)
        .collect()
    };
    assert!(
        keys(180_000.0, 20_000.0).is_empty(),
        "18,000 average and 20,000 per line are allowed"
    );
    assert_eq!(
        keys(180_010.0, 20_000.0),
        vec!["rule.average_axle_line_load"]
    );
    assert_eq!(keys(180_000.0, 20_001.0), vec!["rule.any_axle_line_load"]);
}

#[test]
fn what_is_not_accepted() {
    let spec = blade();
    assert!(not_accepted(&spec, &qualified(), today()).is_empty());
    let mut divisible = spec.clone();
    divisible.cargo.divisible = true;
    assert_eq!(
        not_accepted(&divisible, &qualified(), today())[0]
            .message
            .key,
        "rule.divisible"
    );
    let unqualified = FirmStanding {
        oversize_qualified: false,
        restricted_until: None,
    };
    assert_eq!(
        not_accepted(&spec, &unqualified, today())[0].message.key,
        "rule.firm_not_qualified"
    );
    // A restriction that ends today still applies today; one that ended yesterday does not.
    let restricted = FirmStanding {
        oversize_qualified: true,
        restricted_until: Some(today()),
    };
    assert_eq!(
        not_accepted(&spec, &restricted, today())[0].message.key,
        "rule.firm_restricted"
    );
    let ended = FirmStanding {
        oversize_qualified: true,
        restricted_until: today().pred_opt(),
    };
    assert!(not_accepted(&spec, &ended, today()).is_empty());
}

#[test]
fn class_iii_needs_the_contour_drawing_and_the_escort_plan() {
    let (r, tree, spec) = (rules(), sample_tree(), blade());
    let ok = assess(&r, &tree, &spec, &qualified(), &BOTH, today()).unwrap();
    assert_eq!(ok.class, PermitClass::III);
    assert_eq!(ok.issuer.level, Level::Region);
    assert_eq!(ok.issuer.authority_code, "650000-HIGHWAY");
    assert_eq!(ok.statutory_working_days, 15);

    let errors = assess(
        &r,
        &tree,
        &spec,
        &qualified(),
        &[AttachmentKind::Other.into()],
        today(),
    )
    .unwrap_err();
    assert!(errors.has("attachments.contour_drawing"));
    assert!(errors.has("attachments.escort_plan"));
    let errors = assess(
        &r,
        &tree,
        &spec,
        &qualified(),
        &[AttachmentKind::EscortPlan.into()],
        today(),
    )
    .unwrap_err();
    assert!(errors.has("attachments.contour_drawing") && !errors.has("attachments.escort_plan"));

    // Class II needs neither.
    let mut class_ii = spec.clone();
    class_ii.vehicle = small(|v| {
        v.axles = 6;
        v.overall_length_m = 25.0;
    });
    assert_eq!(
        assess(&r, &tree, &class_ii, &qualified(), &[], today())
            .unwrap()
            .class,
        PermitClass::II
    );
}

#[test]
fn assessment_reports_every_failure_together() {
    let mut spec = blade();
    spec.cargo.divisible = true;
    spec.vehicle.max_axle_load_kg = 14_000.0;
    let firm = FirmStanding {
        oversize_qualified: false,
        restricted_until: None,
    };
    let errors = assess(&rules(), &sample_tree(), &spec, &firm, &[], today()).unwrap_err();
    let keys: Vec<&str> = errors.0.iter().map(|e| e.message.key).collect();
    for key in [
        "rule.divisible",
        "rule.firm_not_qualified",
        "rule.any_axle_load",
        "rule.attachment_required",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
}

#[test]
fn the_issuer_follows_the_route() {
    let (r, tree) = (rules(), sample_tree());
    let mut spec = blade();
    spec.route.segments.truncate(1); // Mulei only
    let a = assess(&r, &tree, &spec, &qualified(), &BOTH, today()).unwrap();
    assert_eq!(
        (a.issuer.level, a.issuer.authority_code.as_str()),
        (Level::County, "652328-TRANSPORT")
    );
    spec.route.segments[0].jurisdiction = "652325".into();
    let mut mulei = spec.route.segments[0].clone();
    mulei.jurisdiction = "652328".into();
    spec.route.segments.push(mulei);
    let a = assess(&r, &tree, &spec, &qualified(), &BOTH, today()).unwrap();
    assert_eq!(
        (a.issuer.level, a.issuer.authority_code.as_str()),
        (Level::Prefecture, "652300-HIGHWAY")
    );
}

#[test]
fn rules_files_are_checked() {
    assert!(PermitRules::from_toml("nonsense = 1").is_err());
    let unordered = SHIPPED_RULES.replace("{ axles = 3, kg = 25000 }", "{ axles = 1, kg = 25000 }");
    assert!(PermitRules::from_toml(&unordered)
        .unwrap_err()
        .contains("rising order"));
}
