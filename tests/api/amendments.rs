//! Amendments (变更) end to end through the API: asked for by the holder, reviewed in the
//! queues by the `amendment` workflow, re-issuing the permit as its next version; older codes
//! verify as superseded and cannot record a trip.

use crate::flow::{Flow, DEMO};
use crate::helpers::{error_of, spawn_app, spawn_app_with};
use crate::permits::{county_blade, issued};
use crate::smtp::SmtpServer;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn token_of(verify_url: &str) -> String {
    verify_url.split("?t=").nth(1).unwrap().to_string()
}

async fn ask(flow: &Flow<'_>, permit_no: &str, body: Value) -> reqwest::Response {
    flow.post(
        &flow.applicant,
        &format!("/api/v1/permits/{permit_no}/amendments"),
        &body,
    )
    .await
}

async fn permit(flow: &Flow<'_>, permit_no: &str) -> Value {
    flow.get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap()
}

/// The amendment's task in the queue of `authority`.
async fn queued(flow: &Flow<'_>, token: &str, amendment_id: &str) -> Value {
    let queue: Value = flow
        .get(token, "/api/v1/tasks?state=open")
        .await
        .json()
        .await
        .unwrap();
    queue
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["application_id"] == amendment_id)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_replacement_tractor_is_approved_by_the_issuer_and_the_old_code_is_superseded() {
    let smtp = SmtpServer::start(false);
    let url = smtp.url();
    let app = spawn_app_with(move |o| o.smtp_url = Some(url)).await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(5), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let before = permit(&flow, &permit_no).await;
    assert_eq!(
        (before["version"].clone(), before["amendments"].clone()),
        (json!(1), json!([]))
    );
    let old_token = token_of(before["verify_url"].as_str().unwrap());
    // One trip made before the change, on the old tractor.
    let trip = flow
        .post(
            &inspector,
            &format!("/api/v1/permits/{permit_no}/trips"),
            &json!({"plate": "新B12345", "location": "Mulei park", "stage": "departure"}),
        )
        .await;
    assert_eq!(trip.status(), StatusCode::CREATED);

    let asked = ask(
        &flow,
        &permit_no,
        json!({"reason": "牵引车故障，由新B54321替换",
               "changes": {"plates": [{"tractor_plate": "新B54321", "trailer_plates": ["新B6789挂"]}]}}),
    )
    .await;
    let status = asked.status();
    let amendment: Value = asked.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{amendment}");
    assert_eq!(amendment["status"], "under_review");
    assert_eq!(amendment["from_version"], 1);
    assert_eq!(
        amendment["previous"]["plates"][0]["tractor_plate"],
        "新B12345"
    );
    assert_eq!(
        amendment["changes"]["plates"][0]["tractor_plate"],
        "新B54321"
    );
    let tasks = amendment["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1, "plates: the issuer alone: {tasks:?}");
    assert_eq!(tasks[0]["authority_code"], "652328-TRANSPORT");
    assert_eq!(tasks[0]["state"], "open");
    assert_eq!(tasks[0]["budget_clock"], "working");
    let id = amendment["id"].as_str().unwrap().to_string();

    // A second one while this one is under review: 409.
    let again = ask(
        &flow,
        &permit_no,
        json!({"reason": "more", "changes": {"trips_allowed": 8}}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // In the issuer's queue, marked as an amendment; the applications list does not show it.
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    let task = queued(&flow, &issuer, &id).await;
    assert_eq!(task["kind"], "amendment", "{task}");
    assert_eq!(task["application_kind"], "single");
    let list: Value = flow
        .get(&flow.applicant, "/api/v1/applications?per_page=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !list.to_string().contains(&id),
        "an amendment is not an application in the list"
    );
    // An amendment is approved or rejected, never paused for information.
    let info = flow
        .decide(
            &issuer,
            task["id"].as_str().unwrap(),
            json!({"decision": "request_info", "comment": "which tractor?"}),
        )
        .await;
    let (status, error) = error_of(info).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["fields"]["decision"].is_string(), "{error}");

    let decided = flow
        .decide(
            &issuer,
            task["id"].as_str().unwrap(),
            json!({"decision": "approve", "conditions": ["Replacement tractor to carry its own licence"]}),
        )
        .await;
    assert_eq!(decided.status(), StatusCode::OK);

    // Re-issued as version 2: same number, new plates, the trip used carried over, the new
    // condition added; the amendment listed.
    let after = permit(&flow, &permit_no).await;
    assert_eq!(after["version"], 2);
    assert_eq!(after["plates"], json!(["新B54321", "新B6789挂"]));
    assert_eq!(
        (after["trips_used"].clone(), after["trips_allowed"].clone()),
        (json!(1), json!(5))
    );
    assert!(after["conditions"]
        .to_string()
        .contains("Replacement tractor to carry its own licence"));
    assert_eq!(after["amendments"][0]["status"], "approved");
    assert_eq!(after["amendments"][0]["to_version"], 2);
    let new_token = token_of(after["verify_url"].as_str().unwrap());
    assert_ne!(new_token, old_token);

    // The old code: authentic, superseded, with the version now; a trip on it is refused.
    let old: Value = app
        .get(&format!("/api/v1/verify/{permit_no}?t={old_token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            old["authentic"].clone(),
            old["status"].clone(),
            old["current_version"].clone()
        ),
        (json!(true), json!("superseded"), json!(2)),
        "{old}"
    );
    let new: Value = app
        .get(&format!("/api/v1/verify/{permit_no}?t={new_token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(new["status"], "valid");
    let refused = flow
        .post(
            &inspector,
            &format!("/api/v1/permits/{permit_no}/trips"),
            &json!({"plate": "新B54321", "location": "Mulei park", "stage": "arrival", "t": old_token}),
        )
        .await;
    let (status, error) = error_of(refused).await;
    assert_eq!(
        (status, error["reason"].clone()),
        (StatusCode::CONFLICT, json!("superseded"))
    );
    // The old tractor is no longer on the permit; the new one is.
    let old_tractor = flow
        .post(
            &inspector,
            &format!("/api/v1/permits/{permit_no}/trips"),
            &json!({"plate": "新B12345", "location": "Mulei park", "stage": "departure", "t": new_token}),
        )
        .await;
    let (_, error) = error_of(old_tractor).await;
    assert_eq!(error["reason"], "plate_mismatch");

    // Each step is in the application's timeline; the holder is e-mailed the new version,
    // with the application's reference in the header.
    let events: Value = flow
        .get(
            &flow.applicant,
            &format!(
                "/api/v1/applications/{}/events",
                application["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"amendment_requested") && kinds.contains(&"permit_amended"),
        "{kinds:?}"
    );
    app.run_jobs().await;
    let received = smtp.received();
    let mail = received
        .iter()
        .find(|m| m.header("Subject").contains("变更已批准"))
        .expect("the holder hears of the new version");
    assert_eq!(
        mail.header("X-Permitflow-Reference"),
        application["reference"].as_str().unwrap()
    );
    let (text, _) = mail.parts();
    assert!(
        text.contains("第 2 版") && text.contains("新B54321"),
        "{text}"
    );
    assert!(
        received
            .iter()
            .any(|m| m.header("Subject").contains("审核任务")
                && m.to.iter().any(|t| t.contains("652328-transport"))),
        "the issuer's reviewers hear of the task"
    );
}

#[tokio::test]
async fn more_trips_go_to_the_route_police_too_and_a_rejection_leaves_the_permit_as_it_was() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();

    let amendment: Value = ask(
        &flow,
        &permit_no,
        json!({"reason": "风机安装进度提前，需增加趟次", "changes": {"trips_allowed": 6, "valid_to": "2026-12-20"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let authorities: Vec<&str> = amendment["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["authority_code"].as_str().unwrap())
        .collect();
    assert_eq!(authorities, vec!["652328-TRANSPORT", "652328-POLICE"]);
    let id = amendment["id"].as_str().unwrap().to_string();
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    let police = flow.reviewer("652328-POLICE").await;
    let issuer_task = queued(&flow, &issuer, &id).await;
    let police_task = queued(&flow, &police, &id).await;
    flow.decide(
        &issuer,
        issuer_task["id"].as_str().unwrap(),
        json!({"decision": "approve"}),
    )
    .await;
    // One approval of two: nothing re-issued yet.
    assert_eq!(permit(&flow, &permit_no).await["version"], 1);
    flow.decide(
        &police,
        police_task["id"].as_str().unwrap(),
        json!({"decision": "approve", "conditions": ["夜间 22:00–06:00 通行"]}),
    )
    .await;
    let after = permit(&flow, &permit_no).await;
    assert_eq!(
        (
            after["version"].clone(),
            after["trips_allowed"].clone(),
            after["valid_to"].clone()
        ),
        (json!(2), json!(6), json!("2026-12-20"))
    );

    // A rejection: the permit stays at version 2, and the next amendment may be asked.
    let second: Value = ask(
        &flow,
        &permit_no,
        json!({"reason": "再延期", "changes": {"valid_to": "2026-12-28"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = second["id"].as_str().unwrap();
    let task = queued(&flow, &issuer, id).await;
    let rejected = flow
        .decide(
            &issuer,
            task["id"].as_str().unwrap(),
            json!({"decision": "reject", "comment": "道路施工，月底封闭"}),
        )
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    let after = permit(&flow, &permit_no).await;
    assert_eq!(
        (after["version"].clone(), after["valid_to"].clone()),
        (json!(2), json!("2026-12-20"))
    );
    let list: Value = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/permits/{permit_no}/amendments"),
        )
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["approved", "rejected"]);
    let third = ask(
        &flow,
        &permit_no,
        json!({"reason": "x", "changes": {"trips_allowed": 7}}),
    )
    .await;
    assert_eq!(
        third.status(),
        StatusCode::CREATED,
        "open again after a rejection"
    );
}

#[tokio::test]
async fn what_is_not_an_amendment_and_who_may_not_ask_are_refused() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let inspector = app.token("inspector@demo.local", DEMO).await;
    // Two trips used.
    for stage in ["departure", "arrival", "departure"] {
        let r = flow
            .post(
                &inspector,
                &format!("/api/v1/permits/{permit_no}/trips"),
                &json!({"plate": "新B12345", "location": "Mulei park", "stage": stage}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let cases = [
        (
            json!({"reason": "x", "changes": {"route": {"origin": "elsewhere"}}}),
            "changes.route",
        ),
        (
            json!({"reason": "x", "changes": {"trips_allowed": 1}}),
            "changes.trips_allowed",
        ),
        (
            json!({"reason": "x", "changes": {"valid_to": "2027-12-31"}}),
            "changes.valid_to",
        ),
        (
            json!({"reason": "x", "changes": {"valid_to": "2026-11-30"}}),
            "changes.valid_to",
        ),
        (
            json!({"reason": "x", "changes": {"plates": [{"tractor_plate": "B1"}]}}),
            "changes.plates[0].tractor_plate",
        ),
        (
            json!({"reason": "x", "changes": {"trips_allowed": 3}}),
            "changes",
        ),
        (json!({"changes": {"trips_allowed": 4}}), "reason"),
    ];
    for (body, field) in cases {
        let (status, error) = error_of(ask(&flow, &permit_no, body.clone()).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(error["fields"][field].is_string(), "{field} in {error}");
    }
    // Nothing half-written: no amendment exists.
    let list: Value = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/permits/{permit_no}/amendments"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    // Another firm does not learn the permit exists; a reviewer may read but not ask.
    let other = app.token("applicant2@demo.local", DEMO).await;
    let body = json!({"reason": "x", "changes": {"trips_allowed": 5}});
    let path = format!("/api/v1/permits/{permit_no}/amendments");
    assert_eq!(
        flow.post(&other, &path, &body).await.status(),
        StatusCode::NOT_FOUND
    );
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    assert_eq!(
        flow.post(&issuer, &path, &body).await.status(),
        StatusCode::FORBIDDEN
    );
    // A stale version is a conflict; a revoked permit cannot be amended.
    let stale = json!({"reason": "x", "changes": {"trips_allowed": 5}, "version": 0});
    assert_eq!(
        ask(&flow, &permit_no, stale).await.status(),
        StatusCode::CONFLICT
    );
    let revoked = flow
        .post(
            &issuer,
            &format!("/api/v1/permits/{permit_no}/revoke"),
            &json!({"reason": "超限运输违规"}),
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let (status, error) = error_of(ask(&flow, &permit_no, body).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["fields"]["permit_no"].is_string(), "{error}");
}

#[tokio::test]
async fn of_amendments_asked_at_once_one_wins() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let asks = (0..8).map(|i| {
        ask(
            &flow,
            &permit_no,
            json!({"reason": format!("request {i}"), "changes": {"trips_allowed": 4 + i}}),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(asks)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    let list: Value = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/permits/{permit_no}/amendments"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

/// An inspector records trips on the old code while the issuer approves a re-issue: every
/// trip is either counted (before the re-issue, and carried over) or refused as superseded
/// (after it); none is lost, none is recorded against the superseded version.
#[tokio::test]
async fn trips_racing_a_re_issue_are_counted_once_or_refused_as_superseded() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(40), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let old_token = token_of(
        permit(&flow, &permit_no).await["verify_url"]
            .as_str()
            .unwrap(),
    );
    let amendment: Value = ask(
        &flow,
        &permit_no,
        json!({"reason": "延期", "changes": {"valid_to": "2026-12-20"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    let task = queued(&flow, &issuer, amendment["id"].as_str().unwrap()).await;
    let path = format!("/api/v1/permits/{permit_no}/trips");
    // Departures and arrivals of one vehicle, back to back, on the old code.
    let trips = async {
        let mut outcomes = Vec::new();
        for i in 0..24 {
            let stage = if i % 2 == 0 { "departure" } else { "arrival" };
            let response = flow
                .post(
                    &inspector,
                    &path,
                    &json!({"plate": "新B12345", "location": "G7", "stage": stage, "t": old_token}),
                )
                .await;
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            outcomes.push((stage, status, body));
        }
        outcomes
    };
    let approve = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        flow.decide(
            &issuer,
            task["id"].as_str().unwrap(),
            json!({"decision": "approve"}),
        )
        .await
        .status()
    };
    let (outcomes, approved) = tokio::join!(trips, approve);
    assert_eq!(approved, StatusCode::OK);
    let departed = outcomes
        .iter()
        .filter(|(stage, status, _)| *stage == "departure" && *status == StatusCode::CREATED)
        .count();
    // Once refused as superseded, every later scan on the old code is refused too.
    let first_refusal = outcomes
        .iter()
        .position(|(_, status, _)| *status != StatusCode::CREATED);
    if let Some(first) = first_refusal {
        for (_, status, body) in &outcomes[first..] {
            assert_eq!(*status, StatusCode::CONFLICT);
            assert_eq!(body["error"]["reason"], "superseded", "{body}");
        }
    }
    let after = permit(&flow, &permit_no).await;
    assert_eq!(after["version"], 2);
    assert_eq!(
        after["trips_used"], departed,
        "every counted trip carried over"
    );
    assert_eq!(after["valid_to"], "2026-12-20");
}

#[tokio::test]
async fn the_dashboard_shows_amendments_turnaround_by_kind() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    // New plates, approved after 30 minutes; then more trips, still under review.
    let first: Value = ask(
        &flow,
        &permit_no,
        json!({"reason": "换车", "changes": {"plates": [{"tractor_plate": "新B54321"}]}}),
    )
    .await
    .json()
    .await
    .unwrap();
    app.advance_clock(30).await;
    let task = queued(&flow, &issuer, first["id"].as_str().unwrap()).await;
    let approved = flow
        .decide(
            &issuer,
            task["id"].as_str().unwrap(),
            json!({"decision": "approve"}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let second = ask(
        &flow,
        &permit_no,
        json!({"reason": "加趟", "changes": {"trips_allowed": 5}}),
    )
    .await;
    assert_eq!(second.status(), StatusCode::CREATED);

    let (manager, _) = crate::admin_pages::signed_in(&app, "manager@demo.local", DEMO).await;
    let html = manager
        .get(app.url("/dashboard"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let section = html
        .split("id=\"amendments-title\"")
        .nth(1)
        .expect("the amendments table")
        .split("</section>")
        .next()
        .unwrap();
    let row = |kind: &str| -> Vec<String> {
        section
            .split("<tr>")
            .find(|r| r.contains(kind))
            .unwrap_or_else(|| panic!("{kind} in {section}"))
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(row("车辆号牌"), ["1", "1", "0", "0", "0.5 h", "0.5 h"]);
    assert_eq!(row("通行次数"), ["1", "0", "0", "1", "—", "—"]);
    assert_eq!(row("延长有效期"), ["0", "0", "0", "0", "—", "—"]);

    // The amendment under review is not an open application.
    let report: Value = manager
        .get(app.url("/api/v1/reports/turnaround"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["open_backlog"], 0, "{report}");
    assert_eq!(
        report["count_submitted"], 1,
        "the application, not its amendments"
    );

    // Left lying for two days, the amendment's tasks are on the escalation board.
    app.advance_clock(48 * 60).await;
    app.run_jobs().await;
    let manager = app.token("manager@demo.local", DEMO).await;
    let board: Value = app
        .get_as("/api/v1/reports/escalations", &manager)
        .await
        .json()
        .await
        .unwrap();
    let second: Value = second.json().await.unwrap();
    assert!(
        board
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["application_id"] == second["id"] && r["level"].as_i64() > Some(0)),
        "{board}"
    );
}

#[tokio::test]
async fn a_project_load_permit_gains_a_vehicle_and_trips_with_every_county_police_on_the_route() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = crate::projects::issued_project(&flow, &crate::projects::project()).await;
    let blade = application["permits"][0].as_str().unwrap().to_string();
    let amendment: Value = ask(
        &flow,
        &blade,
        json!({"reason": "增派一辆叶片车，加快吊装进度",
               "changes": {"trips_allowed": 350, "plates": [
                   {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"]},
                   {"tractor_plate": "新B22345", "trailer_plates": ["新B6790挂"]},
                   {"tractor_plate": "新B42345", "trailer_plates": ["新B6791挂"]}]}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let mut authorities: Vec<String> = amendment["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["authority_code"].as_str().unwrap().to_string())
        .collect();
    authorities.sort();
    assert_eq!(
        authorities,
        ["650000-HIGHWAY", "650521-POLICE", "652328-POLICE"],
        "{amendment}"
    );
    let id = amendment["id"].as_str().unwrap().to_string();
    for authority in &authorities {
        let token = flow.reviewer(authority).await;
        let task = queued(&flow, &token, &id).await;
        assert_eq!(task["application_kind"], "project");
        let decided = flow
            .decide(
                &token,
                task["id"].as_str().unwrap(),
                json!({"decision": "approve"}),
            )
            .await;
        assert_eq!(decided.status(), StatusCode::OK);
    }
    let after = permit(&flow, &blade).await;
    assert_eq!(
        (after["version"].clone(), after["trips_allowed"].clone()),
        (json!(2), json!(350))
    );
    assert!(after["plates"].to_string().contains("新B42345"), "{after}");
    // The new vehicle departs on the new code; the nacelle's permit is untouched.
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let departed = flow
        .post(
            &inspector,
            &format!("/api/v1/permits/{blade}/trips"),
            &json!({"plate": "新B42345", "location": "Mulei park", "stage": "departure",
                    "t": token_of(after["verify_url"].as_str().unwrap())}),
        )
        .await;
    assert_eq!(departed.status(), StatusCode::CREATED);
    let nacelle = permit(&flow, application["permits"][1].as_str().unwrap()).await;
    assert_eq!(nacelle["version"], 1);
}

#[tokio::test]
async fn a_withdrawn_amendment_leaves_the_permit_open_to_the_next() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let first: Value = ask(
        &flow,
        &permit_no,
        json!({"reason": "延期", "changes": {"valid_to": "2026-12-15"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = first["id"].as_str().unwrap();
    let withdrawn = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/withdraw"),
            &json!({}),
        )
        .await;
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let list: Value = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/permits/{permit_no}/amendments"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["status"], "withdrawn");
    // Its task left the issuer's queue; the next amendment may be asked.
    let issuer = flow.reviewer("652328-TRANSPORT").await;
    assert_eq!(queued(&flow, &issuer, id).await, Value::Null);
    let next = ask(
        &flow,
        &permit_no,
        json!({"reason": "再延期", "changes": {"valid_to": "2026-12-18"}}),
    )
    .await;
    assert_eq!(next.status(), StatusCode::CREATED);
    assert_eq!(permit(&flow, &permit_no).await["version"], 1);
}
