use super::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn facts(used: i32, revoked: bool) -> PermitFacts {
    PermitFacts {
        valid_from: day("2026-12-01"),
        valid_to: day("2026-12-10"),
        trips_allowed: 3,
        trips_used: used,
        revoked,
    }
}

fn plates() -> Vec<String> {
    vec!["新B12345".into(), "新B6789挂".into()]
}

#[test]
fn the_number_is_issuer_year_and_six_digits() {
    assert_eq!(permit_number("652328", 2026, 17), "652328-2026-000017");
    assert_eq!(permit_number("650000", 2027, 123456), "650000-2027-123456");
}

#[test]
fn the_window_includes_its_first_and_last_day() {
    let f = facts(0, false);
    assert_eq!(f.status(day("2026-11-30")), PermitStatus::NotYetValid);
    assert_eq!(f.status(day("2026-12-01")), PermitStatus::Valid);
    assert_eq!(f.status(day("2026-12-10")), PermitStatus::Valid);
    assert_eq!(f.status(day("2026-12-11")), PermitStatus::Expired);
}

#[test]
fn used_up_when_every_trip_is_recorded() {
    assert_eq!(
        facts(2, false).status(day("2026-12-05")),
        PermitStatus::Valid
    );
    assert_eq!(
        facts(3, false).status(day("2026-12-05")),
        PermitStatus::UsedUp
    );
}

#[test]
fn revocation_outranks_everything() {
    for today in ["2026-11-30", "2026-12-05", "2026-12-11"] {
        assert_eq!(facts(3, true).status(day(today)), PermitStatus::Revoked);
    }
}

#[test]
fn a_trip_is_refused_with_the_reason() {
    let today = day("2026-12-05");
    assert_eq!(
        facts(0, false).check_trip(today, "新B12345", &plates()),
        Ok(())
    );
    assert_eq!(
        facts(0, false).check_trip(today, "新B99999", &plates()),
        Err(TripRefusal::PlateMismatch)
    );
    assert_eq!(
        facts(3, false).check_trip(today, "新B12345", &plates()),
        Err(TripRefusal::UsedUp)
    );
    assert_eq!(
        facts(0, true).check_trip(today, "新B12345", &plates()),
        Err(TripRefusal::Revoked)
    );
    assert_eq!(
        facts(0, false).check_trip(day("2026-12-11"), "新B12345", &plates()),
        Err(TripRefusal::NotValidNow)
    );
    assert_eq!(
        facts(0, false).check_trip(day("2026-11-30"), "新B12345", &plates()),
        Err(TripRefusal::NotValidNow)
    );
    // A revoked permit is revoked for every vehicle, whatever its plate.
    assert_eq!(
        facts(0, true).check_trip(today, "新B99999", &plates()),
        Err(TripRefusal::Revoked)
    );
}

#[test]
fn the_plate_seen_may_be_a_trailer_and_typed_loosely() {
    assert!(plate_matches("新b·12345", &plates()));
    assert!(plate_matches(" 新B 6789挂 ", &plates()));
    assert!(!plate_matches("新B6789", &plates()));
    assert!(!plate_matches("", &plates()));
    assert!(!plate_matches(" · ", &plates()));
}

#[test]
fn conditions_are_merged_once_each_in_order() {
    let given: Vec<String> = vec![
        "Travel 22:00–06:00 only".into(),
        "Escort vehicle front and rear".into(),
        "  travel   22:00–06:00 ONLY ".into(),
        "".into(),
        "限速 40 km/h".into(),
        "限速 40  km/h".into(),
    ];
    assert_eq!(
        merge_conditions(&given),
        vec![
            "Travel 22:00–06:00 only".to_string(),
            "Escort vehicle front and rear".to_string(),
            "限速 40 km/h".to_string(),
        ]
    );
}

#[test]
fn the_token_proves_number_version_and_key() {
    let signer = PermitSigner::new(b"server secret");
    let token = signer.token("652328-2026-000001", 1);
    assert_eq!(token.len(), 22);
    assert!(signer.verify("652328-2026-000001", 1, &token));
    assert!(!signer.verify("652328-2026-000002", 1, &token));
    assert!(!signer.verify("652328-2026-000001", 2, &token));
    assert!(!PermitSigner::new(b"another secret").verify("652328-2026-000001", 1, &token));
    // A flipped character, a cut token, padding tricks and garbage are all not authentic.
    let mut flipped = token.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    assert!(!signer.verify(
        "652328-2026-000001",
        1,
        &String::from_utf8(flipped).unwrap()
    ));
    assert!(!signer.verify("652328-2026-000001", 1, &token[..21]));
    assert!(!signer.verify("652328-2026-000001", 1, ""));
    assert!(!signer.verify("652328-2026-000001", 1, "not a token at all!"));
}

#[test]
fn the_token_does_not_depend_on_the_numbers_prefix_alone() {
    // "…-00001" + version "12" must not sign "…-000011" + version "2".
    let signer = PermitSigner::new(b"k");
    assert_ne!(
        signer.token("652328-2026-00001", 12),
        signer.token("652328-2026-000011", 2)
    );
}

/// Reads our SVG back into modules and decodes it, as a phone camera would.
fn decode_svg(svg: &str) -> String {
    let view = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
    let size: usize = view.split(' ').next().unwrap().parse().unwrap();
    let d = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut dark = vec![false; size * size];
    for run in d.split('M').filter(|s| !s.is_empty()) {
        let (xy, rest) = run.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        let len: usize = rest.split('v').next().unwrap().parse().unwrap();
        for i in 0..len {
            dark[y * size + x + i] = true;
        }
    }
    let scale = 6;
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(size * scale, size * scale, |x, y| {
            if dark[(y / scale) * size + x / scale] {
                0
            } else {
                255
            }
        });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the picture");
    grids[0].decode().unwrap().1
}

#[test]
fn the_qr_code_decodes_back_to_its_text() {
    let url = "https://permits.example.org/verify/652328-2026-000001?t=q1Zk3m9X0bYt7Jc2LwP8aA";
    let svg = qr_svg(url).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(!svg.contains("href"), "nothing loaded from elsewhere");
    assert_eq!(decode_svg(&svg), url);
}

mod journeys {
    use super::super::*;
    use chrono::{NaiveDate, NaiveTime};

    fn facts(used: i32) -> PermitFacts {
        PermitFacts {
            valid_from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            valid_to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            trips_allowed: 2,
            trips_used: used,
            revoked: false,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()
    }

    #[test]
    fn without_a_stage_a_vehicle_under_way_is_sighted_else_it_departs() {
        assert_eq!(scan_stage(None, true), TripStage::Checkpoint);
        assert_eq!(scan_stage(None, false), TripStage::Departure);
        assert_eq!(
            scan_stage(Some(TripStage::Arrival), true),
            TripStage::Arrival
        );
    }

    #[test]
    fn departures_use_the_allowance_sightings_do_not() {
        let f = facts(2);
        assert_eq!(
            f.check_scan(day(), TripStage::Departure, true, false),
            Err(TripRefusal::UsedUp)
        );
        assert_eq!(
            f.check_scan(day(), TripStage::Departure, true, true),
            Err(TripRefusal::TripUnderWay)
        );
        // The last trip, under way, is still sighted and arrives.
        assert_eq!(
            f.check_scan(day(), TripStage::Checkpoint, true, true),
            Ok(())
        );
        assert_eq!(f.check_scan(day(), TripStage::Arrival, true, true), Ok(()));
        let f = facts(1);
        assert_eq!(
            f.check_scan(day(), TripStage::Departure, true, true),
            Err(TripRefusal::TripUnderWay)
        );
        assert_eq!(
            f.check_scan(day(), TripStage::Checkpoint, true, false),
            Err(TripRefusal::NoTripUnderWay)
        );
        assert_eq!(
            f.check_scan(day(), TripStage::Checkpoint, false, true),
            Err(TripRefusal::PlateMismatch)
        );
        let mut revoked = facts(0);
        revoked.revoked = true;
        assert_eq!(
            revoked.check_scan(day(), TripStage::Checkpoint, true, true),
            Err(TripRefusal::Revoked)
        );
        let late = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(
            facts(0).check_scan(late, TripStage::Arrival, true, true),
            Err(TripRefusal::NotValidNow)
        );
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn conditions_that_limit_the_hours_are_read_from_their_words() {
        let night = allowed_hours(&["夜间 22:00–06:00 通行 Travel 22:00–06:00 only".into()]);
        assert_eq!(night, Some((t(22, 0), t(6, 0))));
        assert_eq!(
            allowed_hours(&["night travel only".into()]),
            Some((t(22, 0), t(6, 0)))
        );
        assert_eq!(
            allowed_hours(&["Travel 9:30-16:00 only".into()]),
            Some((t(9, 30), t(16, 0)))
        );
        assert_eq!(
            allowed_hours(&["避开 07:30–09:30、17:30–19:30 高峰 Avoid rush hours".into()]),
            None
        );
        assert_eq!(allowed_hours(&["police escort".into()]), None);
        let hours = (t(22, 0), t(6, 0));
        assert!(within_hours(t(23, 30), hours));
        assert!(within_hours(t(5, 59), hours));
        assert!(!within_hours(t(6, 0), hours));
        assert!(!within_hours(t(14, 0), hours));
        assert!(within_hours(t(10, 0), (t(9, 30), t(16, 0))));
    }
}
