//! Permits end to end: issued with the last approval, read by those entitled, verified by
//! anyone holding the QR code, trips recorded on site up to the allowance, revocation.

use crate::flow::{blade, open_tasks, phase, Flow, DEMO};
use crate::helpers::{error_of, spawn_app, spawn_app_with, TestApp};
use crate::smtp::SmtpServer;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A blade within Mulei county, travelling from today: the county transport bureau issues.
pub fn county_blade(trips: u32) -> Value {
    let mut input = blade();
    input["route"]["segments"] =
        json!([{"road": "G7", "jurisdiction": "652328", "length_km": 60.5}]);
    input["travel"] = json!({"from": "2026-12-01", "to": "2026-12-10", "trips": trips});
    input
}

/// Runs review to the end: every open task of each phase approved in turn, the joint review's
/// with the conditions given (by task index, cycling); the application once issued.
pub async fn issued(flow: &Flow<'_>, input: &Value, conditions: &[&[&str]]) -> Value {
    let submitted = flow.submitted(input).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let mut latest = submitted;
    let mut n = 0;
    while latest["status"] != "issued" {
        let open = open_tasks(&latest);
        for task in &open {
            let given: &[&str] = if latest["status"] == "under_review" && !conditions.is_empty() {
                n += 1;
                conditions[(n - 1) % conditions.len()]
            } else {
                &[]
            };
            flow.approve(task, given).await;
        }
        latest = flow.fetch(&id).await;
    }
    latest
}

/// Everything up to the issuance task, still open.
pub async fn ready_to_issue(flow: &Flow<'_>, input: &Value) -> (String, Value) {
    let mut latest = flow.submitted(input).await;
    let id = latest["id"].as_str().unwrap().to_string();
    while phase(&latest, "issuance")["state"] != "open" {
        let open = open_tasks(&latest);
        for task in &open {
            flow.approve(task, &[]).await;
        }
        latest = flow.fetch(&id).await;
    }
    let task = phase(&latest, "issuance")["tasks"][0].clone();
    (id, task)
}

async fn permit(flow: &Flow<'_>, token: &str, permit_no: &str) -> reqwest::Response {
    flow.get(token, &format!("/api/v1/permits/{permit_no}"))
        .await
}

async fn trip(flow: &Flow<'_>, token: &str, permit_no: &str, plate: &str) -> reqwest::Response {
    flow.post(
        token,
        &format!("/api/v1/permits/{permit_no}/trips"),
        &json!({"plate": plate, "location": "G7 Mulei toll station", "note": "escort present"}),
    )
    .await
}

async fn scan(
    flow: &Flow<'_>,
    token: &str,
    permit_no: &str,
    plate: &str,
    stage: &str,
) -> reqwest::Response {
    flow.post(
        token,
        &format!("/api/v1/permits/{permit_no}/trips"),
        &json!({"plate": plate, "location": "G7 Mulei toll station", "stage": stage}),
    )
    .await
}

const HOLDER: &str = "木垒风电大件物流有限公司";

async fn status_of(flow: &Flow<'_>, token: &str, permit_no: &str) -> Value {
    let body: Value = permit(flow, token, permit_no).await.json().await.unwrap();
    body["status"].clone()
}

/// The token in a verification URL.
fn token_of(verify_url: &str) -> String {
    verify_url.split("?t=").nth(1).unwrap().to_string()
}

#[tokio::test]
async fn an_issued_permit_is_read_verified_used_and_revoked() {
    let smtp = SmtpServer::start(false);
    let url = smtp.url();
    let app = spawn_app_with(move |o| o.smtp_url = Some(url)).await;
    let flow = Flow::new(&app).await;
    let conditions: &[&[&str]] = &[
        &[
            "Night travel only, 22:00–06:00",
            "Police escort front and rear",
        ],
        &[
            "night travel only,  22:00–06:00",
            "Speed at most 40 km/h on bridges",
        ],
    ];
    let application = issued(&flow, &county_blade(3), conditions).await;
    let permit_no = application["permit_no"]
        .as_str()
        .expect("a permit number")
        .to_string();
    assert_eq!(
        permit_no, "652328-2026-000001",
        "issuer's jurisdiction, year, sequence"
    );
    let id = application["id"].as_str().unwrap();

    // The holder reads it in full, with every condition once.
    let response = permit(&flow, &flow.applicant, &permit_no).await;
    assert_eq!(response.status(), 200);
    let p: Value = response.json().await.unwrap();
    assert_eq!(p["status"], "valid");
    assert_eq!(p["application_id"], application["id"]);
    assert_eq!(p["holder"], HOLDER);
    assert_eq!(p["plates"], json!(["新B12345", "新B6789挂"]));
    assert_eq!(p["valid_from"], "2026-12-01");
    assert_eq!(p["valid_to"], "2026-12-10");
    assert_eq!(p["trips_allowed"], 3);
    assert_eq!(p["trips_used"], 0);
    assert_eq!(p["issuing_authority"], "652328-TRANSPORT");
    assert_eq!(p["issued_at"], application["issued_at"]);
    assert_eq!(
        p["conditions"],
        json!([
            "Night travel only, 22:00–06:00",
            "Police escort front and rear",
            "Speed at most 40 km/h on bridges"
        ])
    );
    assert_eq!(p["cargo"]["length_m"], 126.0);
    let verify_url = p["verify_url"].as_str().unwrap().to_string();
    assert!(verify_url.starts_with(&format!("{}/verify/{permit_no}?t=", app.settings.base_url)));

    // Who may read it: reviewers of authorities that reviewed it, inspectors, managers; not
    // another firm, not an authority that had no part in it.
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let police = flow.reviewer("652328-POLICE").await;
    let manager = app.token("manager@demo.local", DEMO).await;
    for token in [&inspector, &police, &manager] {
        assert_eq!(permit(&flow, token, &permit_no).await.status(), 200);
    }
    let other_firm = app.token("applicant2@demo.local", DEMO).await;
    let elsewhere = flow.reviewer("650521-TRANSPORT").await;
    for token in [&other_firm, &elsewhere] {
        assert_eq!(permit(&flow, token, &permit_no).await.status(), 404);
    }
    assert_eq!(
        app.get(&format!("/api/v1/permits/{permit_no}"))
            .await
            .status(),
        401
    );

    // Anyone with the QR code: authentic and valid. A forged token: nothing at all.
    let verified: Value = app
        .get(&format!(
            "/api/v1/verify/{permit_no}?t={}",
            token_of(&verify_url)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verified["authentic"], true);
    assert_eq!(verified["status"], "valid");
    assert_eq!(verified["holder"], HOLDER);
    assert_eq!(verified["trips_allowed"], 3);
    assert_eq!(verified["conditions"], p["conditions"]);
    assert!(
        verified.get("holder_credit_code").is_none() && verified.get("application_id").is_none()
    );
    let mut forged = token_of(&verify_url).into_bytes();
    forged[3] = if forged[3] == b'x' { b'y' } else { b'x' };
    let forged = String::from_utf8(forged).unwrap();
    for path in [
        format!("/api/v1/verify/{permit_no}?t={forged}"),
        format!("/api/v1/verify/{permit_no}"),
        format!(
            "/api/v1/verify/652328-2026-000002?t={}",
            token_of(&verify_url)
        ),
    ] {
        let body: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(body, json!({"authentic": false}), "{path}");
    }

    // Trips: only inspectors record; a wrong plate is refused; the allowance holds.
    assert_eq!(
        trip(&flow, &flow.applicant, &permit_no, "新B12345")
            .await
            .status(),
        403
    );
    let (status, error) = error_of(trip(&flow, &inspector, &permit_no, "新B54321").await).await;
    assert_eq!(
        (status, error["reason"].as_str()),
        (StatusCode::CONFLICT, Some("plate_mismatch"))
    );
    assert_eq!(error["code"], "conflict");
    let (status, error) = error_of(
        flow.post(
            &inspector,
            &format!("/api/v1/permits/{permit_no}/trips"),
            &json!({"plate": " "}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["fields"]["plate"].is_string() && error["fields"]["location"].is_string());
    // Trips are journeys: a departure uses a trip, the same vehicle seen on its way (by any
    // of its plates, typed any way) is a sighting of that trip, its arrival ends it. Every
    // scan is in daytime, outside the night hours a condition allows: recorded, with the
    // warning.
    let expect = |body: Value, stage: &str, trip_no: i64, used: i64| {
        assert_eq!(
            body,
            json!({"trip_no": trip_no, "trips_used": used, "trips_allowed": 3,
                   "stage": stage, "warnings": ["outside_allowed_hours"]})
        );
    };
    for n in 1..=3 {
        let response = trip(&flow, &inspector, &permit_no, "新B12345").await;
        assert_eq!(response.status(), 201);
        expect(response.json().await.unwrap(), "departure", n, n);
        let response = trip(&flow, &inspector, &permit_no, "新b·6789挂").await;
        expect(response.json().await.unwrap(), "checkpoint", n, n);
        let (status, error) =
            error_of(scan(&flow, &inspector, &permit_no, "新B12345", "departure").await).await;
        assert_eq!(
            (status, error["reason"].as_str()),
            (StatusCode::CONFLICT, Some("trip_under_way"))
        );
        let response = scan(&flow, &inspector, &permit_no, "新B 12345", "arrival").await;
        expect(response.json().await.unwrap(), "arrival", n, n);
    }
    let (status, error) =
        error_of(scan(&flow, &inspector, &permit_no, "新B12345", "checkpoint").await).await;
    assert_eq!(
        (status, error["reason"].as_str()),
        (StatusCode::CONFLICT, Some("no_trip_under_way"))
    );
    let (status, error) = error_of(trip(&flow, &inspector, &permit_no, "新B12345").await).await;
    assert_eq!(
        (status, error["reason"].as_str()),
        (StatusCode::CONFLICT, Some("used_up"))
    );
    let p: Value = permit(&flow, &flow.applicant, &permit_no)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "used_up");
    assert_eq!(p["trips_used"], 3);
    assert_eq!(p["trips"].as_array().unwrap().len(), 3);
    assert_eq!(p["trips"][1]["vehicle"], "新B12345");
    assert_eq!(p["trips"][0]["location"], "G7 Mulei toll station");
    assert!(p["trips"][2]["arrived_at"].is_string());
    let journeys: Value = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/permits/{permit_no}/trips"),
        )
        .await
        .json()
        .await
        .unwrap();
    let stages: Vec<&str> = journeys[0]["scans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["departure", "checkpoint", "arrival"]);
    assert_eq!(journeys[0]["scans"][1]["plate"], "新B6789挂");
    assert_eq!(
        flow.get(&police, &format!("/api/v1/permits/{permit_no}/trips"))
            .await
            .status(),
        200
    );

    // Revocation: not by another authority, with a reason, told to the holder.
    let revoke = |token: String, body: Value| {
        let flow = &flow;
        let permit_no = permit_no.clone();
        async move {
            flow.post(
                &token,
                &format!("/api/v1/permits/{permit_no}/revoke"),
                &body,
            )
            .await
        }
    };
    assert_eq!(
        revoke(police.clone(), json!({"reason": "x"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        revoke(flow.applicant.clone(), json!({"reason": "x"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        revoke(elsewhere.clone(), json!({"reason": "x"}))
            .await
            .status(),
        404
    );
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    let (status, error) = error_of(revoke(issuer.clone(), json!({})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["fields"]["reason"].is_string());
    let response = revoke(issuer.clone(), json!({"reason": "桥梁检测期间禁止通行"})).await;
    assert_eq!(response.status(), 200);
    let revoked: Value = response.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoke_reason"], "桥梁检测期间禁止通行");
    assert_eq!(
        revoke(issuer, json!({"reason": "again"})).await.status(),
        409
    );
    let (status, error) = error_of(trip(&flow, &inspector, &permit_no, "新B12345").await).await;
    assert_eq!(
        (status, error["reason"].as_str()),
        (StatusCode::CONFLICT, Some("revoked"))
    );
    let verified: Value = app
        .get(&format!(
            "/api/v1/verify/{permit_no}?t={}",
            token_of(&verify_url)
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (verified["authentic"].clone(), verified["status"].clone()),
        (json!(true), json!("revoked"))
    );

    // Every attempt is in the audit log, refused ones too.
    let events: Vec<Value> = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/events"),
        )
        .await
        .json()
        .await
        .unwrap();
    let count = |kind: &str| events.iter().filter(|e| e["kind"] == kind).count();
    assert_eq!(count("permit_issued"), 1);
    assert_eq!(count("trip_recorded"), 3);
    assert_eq!(count("permit_revoked"), 1);
    let refusals: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "trip_refused")
        .map(|e| e["detail"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        refusals,
        [
            "plate_mismatch",
            "trip_under_way",
            "trip_under_way",
            "trip_under_way",
            "no_trip_under_way",
            "used_up",
            "revoked"
        ]
    );

    // The holder was told: issued with the permit link and conditions, then revoked.
    app.run_jobs().await;
    let mails = smtp.received();
    let to_applicant = |kind: &str| {
        mails
            .iter()
            .find(|m| m.to[0] == "applicant@demo.local" && m.header("X-Permitflow-Event") == kind)
            .unwrap_or_else(|| panic!("no {kind} e-mail"))
            .parts()
    };
    let (text, html) = to_applicant("issued");
    assert!(text.contains(&permit_no) && text.contains(&format!("/permits/{permit_no}")));
    assert!(html.contains(&format!("/permits/{permit_no}")));
    assert!(text.contains("Speed at most 40 km/h on bridges"), "{text}");
    let (text, _) = to_applicant("permit_revoked");
    assert!(
        text.contains("桥梁检测期间禁止通行") && text.contains(&permit_no),
        "{text}"
    );
}

#[tokio::test]
async fn a_permit_outside_its_window_refuses_trips() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut input = county_blade(5);
    input["travel"] = json!({"from": "2026-12-03", "to": "2026-12-04", "trips": 5});
    let application = issued(&flow, &input, &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap();
    let mut inspector = app.token("inspector@demo.local", DEMO).await;
    assert_eq!(
        status_of(&flow, &inspector, permit_no).await,
        "not_yet_valid"
    );
    let (_, error) = error_of(trip(&flow, &inspector, permit_no, "新B12345").await).await;
    assert_eq!(error["reason"], "not_valid_now");
    // 2026-12-03 08:00 in Shanghai: the first day.
    app.advance_clock(2 * 24 * 60).await;
    inspector = app.token("inspector@demo.local", DEMO).await;
    assert_eq!(status_of(&flow, &inspector, permit_no).await, "valid");
    assert_eq!(
        trip(&flow, &inspector, permit_no, "新B12345")
            .await
            .status(),
        201
    );
    // Last day, 23:30 Shanghai (15:30 UTC) still counts; half an hour later it does not.
    app.advance_clock(24 * 60 + 15 * 60 + 30).await;
    inspector = app.token("inspector@demo.local", DEMO).await;
    assert_eq!(
        trip(&flow, &inspector, permit_no, "新B12345")
            .await
            .status(),
        201
    );
    app.advance_clock(30).await;
    assert_eq!(status_of(&flow, &inspector, permit_no).await, "expired");
    let (_, error) = error_of(trip(&flow, &inspector, permit_no, "新B12345").await).await;
    assert_eq!(error["reason"], "not_valid_now");
}

#[tokio::test]
async fn concurrent_scans_never_exceed_the_allowance() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let inspector = app.token("inspector@demo.local", DEMO).await;
    // The same vehicle scanned for departure at sixteen gates at once departs once.
    let scans = (0..16).map(|_| scan(&flow, &inspector, &permit_no, "新B12345", "departure"));
    let responses = futures_util::future::join_all(scans).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        15,
        "{statuses:?}"
    );
    // Journeys back to back, each arrival and departure at once with sightings: never more
    // trips than allowed.
    for _ in 0..4 {
        scan(&flow, &inspector, &permit_no, "新B12345", "arrival").await;
        let scans = (0..8).map(|i| {
            let stage = if i % 2 == 0 {
                "departure"
            } else {
                "checkpoint"
            };
            scan(&flow, &inspector, &permit_no, "新B12345", stage)
        });
        futures_util::future::join_all(scans).await;
    }
    let p: Value = permit(&flow, &inspector, &permit_no)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["trips_used"], 3);
    let numbers: Vec<i64> = p["trips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["trip_no"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
}

/// Approves the issuance tasks of `count` applications all at once.
async fn issue_at_once(app: &TestApp, count: usize) -> Vec<String> {
    let flow = Flow::new(app).await;
    let mut ready = Vec::new();
    for _ in 0..count {
        ready.push(ready_to_issue(&flow, &county_blade(2)).await);
    }
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    let approvals = ready.iter().map(|(_, task)| {
        flow.decide(
            &issuer,
            task["id"].as_str().unwrap(),
            json!({"decision": "approve"}),
        )
    });
    let responses = futures_util::future::join_all(approvals).await;
    let mut numbers = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        numbers.push(body["permit_no"].as_str().unwrap().to_string());
    }
    numbers.sort();
    numbers
}

#[tokio::test]
async fn concurrent_issuances_never_share_a_number() {
    let app = spawn_app().await;
    let numbers = issue_at_once(&app, 8).await;
    let expected: Vec<String> = (1..=8).map(|n| format!("652328-2026-{n:06}")).collect();
    assert_eq!(numbers, expected, "no gaps, no duplicates");
}

#[tokio::test]
async fn the_demo_has_a_valid_permit_and_work_at_every_stage() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let (settings, now) = (app.settings.clone(), crate::helpers::test_start());
    let (first, second) = tokio::task::spawn_blocking(move || {
        let state =
            permitflow::startup::state(settings, permitflow::clock::Clock::manual(now)).unwrap();
        let mut conn = state.pool.get().unwrap();
        // Today's work only (the history has its own test).
        let seed = |conn: &mut _| {
            let none = permitflow::demo::history::HistoryPlan { days: 0, seed: 1 };
            permitflow::demo::work::seed_applications(
                conn,
                &state.engine,
                now,
                none,
                &mut |_, _| {},
            )
        };
        let first = seed(&mut conn).unwrap();
        let second = seed(&mut conn).unwrap();
        (first, second)
    })
    .await
    .unwrap();
    assert_eq!(first.as_deref(), Some("652328-2026-000001"));
    assert_eq!(second, None, "made once, not at every start");
    let applicant = app.token("applicant@demo.local", DEMO).await;
    let p: Value = app
        .get_as("/api/v1/permits/652328-2026-000001", &applicant)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "valid");
    assert_eq!(p["trips_allowed"], 6);
    assert_eq!(p["conditions"].as_array().unwrap().len(), 2);
    // A replacement tractor approved (version 2), a later last day waiting for the issuer.
    assert_eq!(p["version"], 2);
    assert_eq!(p["plates"][0], "新B23456");
    let states: Vec<&str> = p["amendments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["approved", "under_review"]);
    let issuer = app.token("652328-transport@demo.local", DEMO).await;
    let queue: Value = app
        .get_as("/api/v1/tasks?state=open", &issuer)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "amendment"),
        "{queue}"
    );

    // Every role's start page has something on it.
    let list: Value = app
        .get_as("/api/v1/applications", &applicant)
        .await
        .json()
        .await
        .unwrap();
    let mut statuses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "draft",
            "info_requested",
            "issued",
            "issued",
            "submitted",
            "under_review",
            "under_review"
        ]
    );
    // A campaign part-way done with vehicles on the road, and the next under joint review.
    let projects: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "project")
        .collect();
    assert_eq!(projects.len(), 2);
    let done = projects.iter().find(|a| a["status"] == "issued").unwrap();
    assert_eq!(done["permits"].as_array().unwrap().len(), 4);
    let progress: Value = app
        .get_as(
            &format!(
                "/api/v1/applications/{}/progress",
                done["id"].as_str().unwrap()
            ),
            &applicant,
        )
        .await
        .json()
        .await
        .unwrap();
    let used = progress["trips_used"].as_i64().unwrap();
    assert!(
        used > 200 && used < progress["trips_allowed"].as_i64().unwrap(),
        "{used}"
    );
    let moving: usize = progress["loads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["in_transit"].as_array().unwrap().len())
        .sum();
    assert_eq!(moving, 4, "a third of the fleet is on the road today");
    let region = app.token("650000-highway@demo.local", DEMO).await;
    let queue: Value = app
        .get_as("/api/v1/tasks", &region)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        queue.as_array().unwrap().len(),
        1,
        "an acceptance waits: {queue}"
    );
    let other = app.token("applicant2@demo.local", DEMO).await;
    let theirs: Value = app
        .get_as("/api/v1/applications", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["total"], 1);
}
