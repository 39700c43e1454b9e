use super::*;
use serde_json::json;

fn rules() -> PermitRules {
    PermitRules::shipped()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn permit() -> Amendable {
    Amendable {
        valid_from: day("2026-12-05"),
        valid_to: day("2026-12-20"),
        trips_allowed: 10,
        trips_used: 4,
        vehicles: vec![vec!["新B12345".into(), "新B6789挂".into()]],
        max_vehicles: 1,
        max_window_days: 365,
    }
}

fn fields(result: Result<(String, Changes), ValidationErrors>) -> Vec<String> {
    result.unwrap_err().0.into_iter().map(|e| e.field).collect()
}

#[test]
fn a_replacement_tractor_a_later_last_day_and_more_trips_are_amendments() {
    let today = day("2026-12-10");
    let (reason, changes) = parse(
        Some(" 牵引车故障，换车 "),
        &json!({"plates": [{"tractor_plate": "新b 54321", "trailer_plates": ["新B6789挂"]}],
                "valid_to": "2027-01-10", "trips_allowed": 14}),
        &permit(),
        today,
        &rules(),
    )
    .unwrap();
    assert_eq!(reason, "牵引车故障，换车");
    assert_eq!(
        changes.plates,
        Some(vec![vec!["新B54321".to_string(), "新B6789挂".to_string()]])
    );
    assert_eq!(changes.valid_to, Some(day("2027-01-10")));
    assert_eq!(
        changes.kinds(),
        vec![ChangeKind::Plates, ChangeKind::Validity, ChangeKind::Trips]
    );
    assert_eq!(changes.trips_added(&permit()), 4);
    let after = changes.applied_to(&permit());
    assert_eq!((after.trips_allowed, after.trips_used), (14, 4));
    let before = before_of(&changes, &permit());
    assert_eq!(before.valid_to, Some(day("2026-12-20")));
    assert_eq!(before.trips_allowed, Some(10));
}

#[test]
fn route_cargo_and_vehicle_figures_are_not_amendments() {
    let errors = fields(parse(
        Some("绕行"),
        &json!({"route": {"origin": "x"}, "vehicle": {"axles": 12}, "trips_allowed": 12}),
        &permit(),
        day("2026-12-10"),
        &rules(),
    ));
    assert_eq!(errors, vec!["changes.route", "changes.vehicle"]);
}

#[test]
fn each_bad_value_is_named_at_its_field() {
    let p = permit();
    let today = day("2026-12-10");
    let cases = [
        (json!({"valid_to": "2026-12-09"}), "changes.valid_to"),
        (json!({"valid_to": "2026-12-05"}), "changes.valid_to"),
        (json!({"valid_to": "2028-01-01"}), "changes.valid_to"),
        (json!({"valid_to": "soon"}), "changes.valid_to"),
        (json!({"trips_allowed": 3}), "changes.trips_allowed"),
        (json!({"trips_allowed": "many"}), "changes.trips_allowed"),
        (json!({"plates": []}), "changes.plates"),
        (
            json!({"plates": [{"tractor_plate": "B1"}]}),
            "changes.plates[0].tractor_plate",
        ),
        (
            json!({"plates": [{"tractor_plate": "新B54321"}, {"tractor_plate": "新B54322"}]}),
            "changes.plates",
        ),
        (json!({}), "changes"),
        (json!("plates"), "changes"),
    ];
    for (changes, field) in cases {
        let got = fields(parse(Some("why"), &changes, &p, today, &rules()));
        assert_eq!(got, vec![field.to_string()], "{changes}");
    }
    assert_eq!(
        fields(parse(
            None,
            &json!({"trips_allowed": 12}),
            &p,
            today,
            &rules()
        )),
        vec!["reason"]
    );
}

#[test]
fn what_stays_as_it_is_changes_nothing() {
    let p = permit();
    let same = json!({"valid_to": "2026-12-20", "trips_allowed": 10,
                      "plates": [{"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"]}]});
    assert_eq!(
        fields(parse(Some("why"), &same, &p, day("2026-12-10"), &rules())),
        vec!["changes"]
    );
    // Fewer trips, down to those used, is a change; it adds none.
    let (_, fewer) = parse(
        Some("why"),
        &json!({"trips_allowed": 4}),
        &p,
        day("2026-12-10"),
        &rules(),
    )
    .unwrap();
    assert_eq!(fewer.trips_added(&p), 0);
}

#[test]
fn a_project_load_permit_takes_several_vehicles_but_not_the_same_one_twice() {
    let p = Amendable {
        max_vehicles: 3,
        ..permit()
    };
    let twice = json!({"plates": [{"tractor_plate": "新B54321"}, {"tractor_plate": "新B54321"}]});
    assert_eq!(
        fields(parse(Some("why"), &twice, &p, day("2026-12-10"), &rules())),
        vec!["changes.plates[1].tractor_plate"]
    );
    let (_, c) = parse(
        Some("add a vehicle"),
        &json!({"plates": [{"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"]},
                           {"tractor_plate": "新B54321"}]}),
        &p,
        day("2026-12-10"),
        &rules(),
    )
    .unwrap();
    assert_eq!(c.plates.unwrap().len(), 2);
}
