//! Transport projects (信息上报) through the API: a campaign drafted with every error of every
//! load named, submitted once, reviewed once by every authority together, issued as one permit
//! per load; trips of the fleet checked off as journeys; progress, copy, queue and reports.

use crate::flow::{open_tasks, Flow, DEMO, PDF};
use crate::helpers::{spawn_app, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A campaign from Mulei to Barkol: blades on two extendable trailers, nacelles (5.6 m high
/// loaded: the power company reviews) on a hydraulic modular trailer.
pub fn project() -> Value {
    json!({
        "kind": "project",
        "project": {"name": "三塘湖风电场二期 Santanghu phase II", "site": "Santanghu", "sets": 100},
        "route":   {"origin": "Mulei new-energy equipment park", "destination": "Santanghu wind farm",
                    "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5},
                                 {"road": "S303", "jurisdiction": "650521", "length_km": 140.0}]},
        "travel":  {"from": "2026-12-01", "to": "2027-05-31"},
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
    })
}

async fn upload(flow: &Flow<'_>, id: &str, kind: &str, load: Option<&str>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new()
        .text("kind", kind.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.clone()).file_name(format!("{kind}.pdf")),
        );
    if let Some(load) = load {
        form = form.text("load", load.to_string());
    }
    flow.app
        .client
        .post(
            flow.app
                .url(&format!("/api/v1/applications/{id}/attachments")),
        )
        .bearer_auth(&flow.applicant)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// A project draft with its drawings and escort plan, submitted.
pub async fn submitted_project(flow: &Flow<'_>, input: &Value) -> Value {
    let (status, draft) = json_of(
        flow.post(&flow.applicant, "/api/v1/applications", input)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let id = draft["id"].as_str().unwrap().to_string();
    for load in input["loads"].as_array().unwrap() {
        let key = load["key"].as_str().unwrap();
        assert_eq!(
            upload(flow, &id, "contour_drawing", Some(key))
                .await
                .status(),
            201
        );
    }
    assert_eq!(upload(flow, &id, "escort_plan", None).await.status(), 201);
    let (status, body) = json_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Every task approved, phase by phase; the issued project.
pub async fn issued_project(flow: &Flow<'_>, input: &Value) -> Value {
    let mut latest = submitted_project(flow, input).await;
    let id = latest["id"].as_str().unwrap().to_string();
    while latest["status"] != "issued" {
        for task in &open_tasks(&latest) {
            flow.approve(task, &["夜间 22:00–06:00 通行 Travel 22:00–06:00 only"])
                .await;
        }
        latest = flow.fetch(&id).await;
    }
    latest
}

async fn scan(
    flow: &Flow<'_>,
    token: &str,
    permit_no: &str,
    plate: &str,
    stage: &str,
) -> (StatusCode, Value) {
    json_of(
        flow.post(
            token,
            &format!("/api/v1/permits/{permit_no}/trips"),
            &json!({"plate": plate, "location": "G7 木垒收费站", "stage": stage}),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn a_campaign_is_reviewed_once_and_issued_as_one_permit_per_load() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let input = project();
    let (status, draft) = json_of(
        flow.post(&flow.applicant, "/api/v1/applications", &input)
            .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(draft["kind"], "project");
    assert_eq!(draft["loads"].as_array().unwrap().len(), 2);
    assert_eq!(draft["fleet"][2]["tractor_plate"], "新B32345");
    let id = draft["id"].as_str().unwrap().to_string();

    // Submitting without the files names each one missing, per load.
    let (status, body) = json_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let fields = &body["error"]["fields"];
    for field in [
        "attachments.contour_drawing[blade]",
        "attachments.contour_drawing[nacelle]",
        "attachments.escort_plan",
    ] {
        assert!(fields[field].is_string(), "{field}: {body}");
    }
    // A drawing for a load the project does not have is refused, naming the field.
    let (status, body) = json_of(upload(&flow, &id, "contour_drawing", Some("tower")).await).await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["load"].is_string(), "{body}");
    // Nothing was half-written.
    assert!(flow.fetch(&id).await["attachments"]
        .as_array()
        .unwrap()
        .is_empty());

    for key in ["blade", "nacelle"] {
        let (status, file) = json_of(upload(&flow, &id, "contour_drawing", Some(key)).await).await;
        assert_eq!((status.as_u16(), file["load"].as_str()), (201, Some(key)));
    }
    assert_eq!(upload(&flow, &id, "escort_plan", None).await.status(), 201);
    let (status, submitted) = json_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(
        submitted["status"], "submitted",
        "waiting for its acceptance"
    );
    assert_eq!(submitted["permit_class"], "III");
    assert_eq!(submitted["issuing_authority"], "650000-HIGHWAY");

    // One joint review for the whole campaign: one task per authority, the power companies
    // among them (the nacelle is above 5.5 m).
    let review = crate::flow::phase(&submitted, "joint_review");
    let authorities: Vec<&str> = review["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["authority_code"].as_str().unwrap())
        .collect();
    let mut unique = authorities.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), authorities.len(), "one task per authority");
    assert!(authorities.contains(&"652300-GRID") && authorities.contains(&"652328-POLICE"));

    // Approving covers the project: one permit per load, numbered from one counter.
    let mut latest = submitted;
    while latest["status"] != "issued" {
        for task in &open_tasks(&latest) {
            flow.approve(task, &["police escort"]).await;
        }
        latest = flow.fetch(&id).await;
        if latest["status"] == "under_review"
            && crate::flow::phase(&latest, "joint_review")["state"] == "open"
        {
            // The queue marks it as a project with its size.
            let police = flow.reviewer("652328-POLICE").await;
            let queue: Value = flow
                .get(&police, "/api/v1/tasks?state=open")
                .await
                .json()
                .await
                .unwrap();
            let item = queue
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["application_id"] == id.as_str())
                .expect("the project is in the county police's queue");
            assert_eq!(
                (
                    &item["kind"],
                    &item["application_kind"],
                    &item["loads"],
                    &item["vehicles"],
                    &item["trips"]
                ),
                (
                    &json!("application"),
                    &json!("project"),
                    &json!(2),
                    &json!(3),
                    &json!(400)
                )
            );
        }
    }
    let permits: Vec<String> = latest["permits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(permits.len(), 2);
    assert_eq!(latest["permit_no"], permits[0].as_str());
    // The applicant's e-mail names every permit and the campaign, and links its page.
    {
        use diesel::prelude::*;
        use permitflow::db::schema::outbox;
        let bodies: Vec<String> = outbox::table
            .filter(outbox::application_id.eq(&id))
            .filter(outbox::event_kind.eq("issued"))
            .select(outbox::body_text)
            .load(&mut app.connect())
            .unwrap();
        let text = bodies.first().expect("an issued e-mail");
        assert!(
            permits.iter().all(|p| text.contains(p.as_str()))
                && text.contains("blade × 300，nacelle × 100")
                && text.contains(&format!("/applications/{id}")),
            "{text}"
        );
    }
    let sequence = |no: &str| no.rsplit('-').next().unwrap().parse::<u32>().unwrap();
    assert_eq!(sequence(&permits[1]), sequence(&permits[0]) + 1);
    let permit = |no: String| {
        let flow = &flow;
        async move {
            flow.get(&flow.applicant, &format!("/api/v1/permits/{no}"))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let blade = permit(permits[0].clone()).await;
    let nacelle = permit(permits[1].clone()).await;
    assert_eq!(
        (
            &blade["application_kind"],
            &blade["load_key"],
            &blade["trips_allowed"]
        ),
        (&json!("project"), &json!("blade"), &json!(300))
    );
    assert_eq!(blade["project_name"], "三塘湖风电场二期 Santanghu phase II");
    assert_eq!(
        blade["plates"],
        json!(["新B12345", "新B6789挂", "新B22345", "新B6790挂"])
    );
    assert_eq!(nacelle["plates"], json!(["新B32345"]));
    assert_eq!(nacelle["trips_allowed"], 100);
    assert_eq!(nacelle["valid_to"], "2027-05-31");
    assert_eq!(nacelle["conditions"], json!(["police escort"]));
    assert_eq!(nacelle["cargo"]["description"], "Nacelle");

    // Trips of the fleet: the blade truck departs and is sighted; the nacelle truck departs;
    // a blade truck is not on the nacelle's permit.
    let inspector = app.token("inspector@demo.local", DEMO).await;
    assert_eq!(
        scan(&flow, &inspector, &permits[0], "新B12345", "departure")
            .await
            .0,
        201
    );
    let (status, sighting) = scan(&flow, &inspector, &permits[0], "新B6789挂", "").await;
    assert_eq!(
        (status.as_u16(), &sighting["stage"]),
        (201, &json!("checkpoint"))
    );
    assert_eq!(
        scan(&flow, &inspector, &permits[1], "新B32345", "").await.0,
        201
    );
    let (status, refused) = scan(&flow, &inspector, &permits[1], "新B22345", "").await;
    assert_eq!(
        (status.as_u16(), refused["error"]["reason"].as_str()),
        (409, Some("plate_mismatch"))
    );
    app.advance_clock(90).await;
    let (status, arrived) = scan(&flow, &inspector, &permits[0], "新B12345", "arrival").await;
    assert_eq!((status.as_u16(), &arrived["trip_no"]), (201, &json!(1)));

    let progress: Value = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/progress"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["trips_used"], 2);
    assert_eq!(progress["trips_allowed"], 400);
    assert_eq!(progress["loads"][0]["key"], "blade");
    assert_eq!(progress["loads"][0]["permit_no"], permits[0].as_str());
    assert_eq!(
        progress["loads"][0]["in_transit"],
        json!([]),
        "the blade truck arrived"
    );
    let moving = &progress["loads"][1]["in_transit"][0];
    assert_eq!(moving["plate"], "新B32345");
    assert_eq!(moving["last_seen_location"], "G7 木垒收费站");
    let trips_of = |plate: &str| {
        progress["vehicles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["tractor_plate"] == plate)
            .unwrap()["trips"]
            .clone()
    };
    assert_eq!(
        (trips_of("新B12345"), trips_of("新B22345")),
        (json!(1), json!(0))
    );
    // Another firm learns nothing of it.
    let other = app.token("applicant2@demo.local", DEMO).await;
    assert_eq!(
        flow.get(&other, &format!("/api/v1/applications/{id}/progress"))
            .await
            .status(),
        404
    );

    // The next phase of the same wind farm: a copy keeps loads, fleet and files.
    let (status, copy) = json_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/copy"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{copy}");
    assert_eq!(
        (&copy["status"], &copy["kind"]),
        (&json!("draft"), &json!("project"))
    );
    assert_eq!(copy["loads"], latest["loads"]);
    let files: Vec<(String, Option<String>)> = copy["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().into(),
                a["load"].as_str().map(Into::into),
            )
        })
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    let copy_id = copy["id"].as_str().unwrap();
    let (status, resubmitted) = json_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{copy_id}/submit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), &resubmitted["status"]),
        (200, &json!("submitted"))
    );
    assert_eq!(
        flow.post(
            &other,
            &format!("/api/v1/applications/{id}/copy"),
            &json!({})
        )
        .await
        .status(),
        404
    );

    // Managers find projects by kind, and the reports count the campaign once.
    let manager = app.token("manager@demo.local", DEMO).await;
    let listed: Value = flow
        .get(&manager, "/api/v1/applications?kind=project&per_page=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["kind"] == "project"));
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id.as_str()));
    let report: Value = flow
        .get(
            &manager,
            "/api/v1/reports/turnaround?from=2026-11-25&to=2026-12-05&group=kind",
        )
        .await
        .json()
        .await
        .unwrap();
    let projects = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "project")
        .unwrap_or_else(|| panic!("a project group: {report}"));
    assert_eq!(projects["count"], 1);
}

#[tokio::test]
async fn every_problem_of_every_load_and_vehicle_is_named_and_nothing_is_half_written() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut input = project();
    input["loads"][1]["vehicle"]["overall_height_m"] = json!(-2);
    input["fleet"][0]["loads"] = json!(["blade", "tower"]);
    input["fleet"][1]["trailer_type"] = json!("flatbed");
    input["fleet"][2]["axles"] = json!(12);
    input["travel"]["to"] = json!("2027-07-30");
    let (status, draft) = json_of(
        flow.post(&flow.applicant, "/api/v1/applications", &input)
            .await,
    )
    .await;
    assert_eq!(status, 201, "a draft may be partial or wrong");
    let id = draft["id"].as_str().unwrap().to_string();
    let (status, body) = json_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let fields = &body["error"]["fields"];
    for field in [
        "loads[1].vehicle.overall_height_m",
        "fleet[0].loads[1]",
        "fleet[1].trailer_type",
        "fleet[2].axles",
        "travel.to",
    ] {
        assert!(fields[field].is_string(), "{field}: {body}");
    }
    assert_eq!(flow.fetch(&id).await["status"], "draft");

    // In the user's language.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/submit")))
        .bearer_auth(&flow.applicant)
        .header("Accept-Language", "zh-CN")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["fields"]["fleet[0].loads[1]"]
            .as_str()
            .unwrap()
            .contains("不是本项目的货物"),
        "{body}"
    );

    // A kind that does not exist, a kind changed, a fleet past the bounds: refused at once.
    let mut wrong = project();
    wrong["kind"] = json!("campaign");
    let (status, body) = json_of(
        flow.post(&flow.applicant, "/api/v1/applications", &wrong)
            .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"]["fields"]["kind"].is_string()),
        (422, true)
    );
    let single = crate::flow::blade();
    let response = app
        .client
        .put(app.url(&format!("/api/v1/applications/{id}")))
        .bearer_auth(&flow.applicant)
        .json(&single)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status.as_u16(), body["error"]["fields"]["kind"].is_string()),
        (422, true)
    );
    let mut huge = project();
    let vehicle = huge["fleet"][0].clone();
    huge["fleet"] = Value::Array(vec![vehicle; 101]);
    let (status, body) = json_of(
        flow.post(&flow.applicant, "/api/v1/applications", &huge)
            .await,
    )
    .await;
    assert_eq!(
        (
            status.as_u16(),
            body["error"]["fields"]["fleet"].is_string()
        ),
        (422, true)
    );
    let listed: Value = flow
        .get(&flow.applicant, "/api/v1/applications?kind=project")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1, "only the first draft was stored");
}

/// Every vehicle of a fleet departs at once on a load with fewer trips left than vehicles.
async fn fleet_at_the_gate(app: &TestApp, trips: u32) -> (Vec<u16>, Value) {
    let flow = Flow::new(app).await;
    let mut input = project();
    input["loads"][0]["trips"] = json!(trips);
    let fleet: Vec<Value> = (0..12)
        .map(|i| {
            json!({"tractor_plate": format!("新B{}", 40000 + i), "trailer_plates": [],
                   "trailer_type": "extendable_blade", "axles": 8, "loads": ["blade"]})
        })
        .chain(std::iter::once(input["fleet"][2].clone()))
        .collect();
    input["fleet"] = Value::Array(fleet);
    let issued = issued_project(&flow, &input).await;
    let blade = issued["permits"][0].as_str().unwrap().to_string();
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let scans = (0..12).map(|i| {
        let (flow, inspector, blade) = (&flow, &inspector, &blade);
        async move {
            scan(
                flow,
                inspector,
                blade,
                &format!("新B{}", 40000 + i),
                "departure",
            )
            .await
            .0
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(scans).await;
    let permit: Value = flow
        .get(&inspector, &format!("/api/v1/permits/{blade}"))
        .await
        .json()
        .await
        .unwrap();
    (statuses, permit)
}

#[tokio::test]
async fn a_fleet_departing_at_once_never_exceeds_a_loads_allowance() {
    let app = spawn_app().await;
    let (statuses, permit) = fleet_at_the_gate(&app, 5).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(permit["trips_used"], 5);
    assert_eq!(permit["status"], "used_up");
    let mut vehicles: Vec<&str> = permit["trips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["vehicle"].as_str().unwrap())
        .collect();
    vehicles.sort();
    vehicles.dedup();
    assert_eq!(vehicles.len(), 5, "five vehicles, one trip each");
}

#[tokio::test]
async fn a_scan_inside_the_allowed_hours_has_no_warning_and_outside_it_is_recorded_with_one() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let issued = issued_project(&flow, &project()).await;
    let nacelle = issued["permits"][1].as_str().unwrap().to_string();
    // 2 December 09:00 in Shanghai is outside 22:00–06:00.
    app.advance_clock(25 * 60).await;
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let (status, day) = scan(&flow, &inspector, &nacelle, "新B32345", "departure").await;
    assert_eq!(
        (status.as_u16(), &day["warnings"]),
        (201, &json!(["outside_allowed_hours"]))
    );
    // 23:00 the same day: inside the hours.
    app.advance_clock(14 * 60).await;
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let (status, night) = scan(&flow, &inspector, &nacelle, "新B32345", "arrival").await;
    assert_eq!((status.as_u16(), &night["warnings"]), (201, &json!([])));
    let journeys: Value = flow
        .get(&inspector, &format!("/api/v1/permits/{nacelle}/trips"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        journeys[0]["scans"][0]["warnings"],
        json!(["outside_allowed_hours"])
    );
    assert!(journeys[0]["arrived_at"].is_string());
}

/// Vehicles on different loads' permits of one project share its audit log: departing at
/// once, each is recorded, none refused for another's write.
#[tokio::test]
async fn a_fleet_on_several_permits_departs_at_once_and_every_departure_is_recorded() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut input = project();
    let fleet: Vec<Value> = (0..16)
        .map(|i| {
            let (trailer, axles, load) = if i % 2 == 0 {
                ("extendable_blade", 8, "blade")
            } else {
                ("hydraulic_modular", 10, "nacelle")
            };
            json!({"tractor_plate": format!("新B{}", 41000 + i), "trailer_plates": [],
                   "trailer_type": trailer, "axles": axles, "loads": [load]})
        })
        .collect();
    input["fleet"] = Value::Array(fleet);
    let issued = issued_project(&flow, &input).await;
    let permits: Vec<String> = issued["permits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let scans = (0..16).map(|i| {
        let (flow, inspector, permit) = (&flow, &inspector, &permits[i % 2]);
        async move {
            scan(
                flow,
                inspector,
                permit,
                &format!("新B{}", 41000 + i),
                "departure",
            )
            .await
            .0
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(scans).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let events: Vec<Value> = flow
        .get(
            &flow.applicant,
            &format!(
                "/api/v1/applications/{}/events",
                issued["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e["kind"] == "trip_recorded")
            .count(),
        16
    );
}

/// A scan may carry the token read from the QR code: this version's passes, a forged one is
/// an error of `t`.
#[tokio::test]
async fn a_scan_with_a_forged_qr_token_is_refused_naming_it() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let issued = issued_project(&flow, &project()).await;
    let blade = issued["permits"][0].as_str().unwrap().to_string();
    let permit: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{blade}"))
        .await
        .json()
        .await
        .unwrap();
    let url = permit["verify_url"].as_str().unwrap();
    let token = url.split("t=").nth(1).unwrap().to_string();
    let inspector = app.token("inspector@demo.local", DEMO).await;
    let with = |t: String| {
        let (flow, inspector, blade) = (&flow, &inspector, &blade);
        async move {
            json_of(
                flow.post(
                    inspector,
                    &format!("/api/v1/permits/{blade}/trips"),
                    &json!({"plate": "新B12345", "location": "G7", "t": t}),
                )
                .await,
            )
            .await
        }
    };
    let (status, body) = with(format!("{}x", &token[..token.len() - 1])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["t"].is_string(), "{body}");
    let (status, body) = with(token).await;
    assert_eq!(
        (status.as_u16(), &body["stage"]),
        (201, &json!("departure"))
    );
}
