//! The workflow engine end to end through the API: joint and serial review, information
//! rounds, rejection, every validation failure, scopes, concurrency, idempotency.

use crate::helpers::{error_of, spawn_app, spawn_app_with, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const DEMO: &str = "permitflow-demo";
pub static PDF: std::sync::LazyLock<Vec<u8>> =
    std::sync::LazyLock::new(|| permitflow::domain::attachment::sample_pdf("contour drawing"));

/// A 126 m blade from Mulei (Changji) to Barkol (Hami): class III, issued by the region.
pub fn blade() -> Value {
    json!({
        "cargo":   {"description": "Wind turbine blade", "pieces": 1, "divisible": false,
                    "length_m": 126.0, "width_m": 4.8, "height_m": 4.9, "mass_kg": 58000},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"],
                    "trailer_type": "extendable_blade",
                    "axles": 10, "overall_length_m": 131.5, "overall_width_m": 5.0, "overall_height_m": 5.3,
                    "gross_mass_kg": 98000, "max_axle_load_kg": 12500},
        "route":   {"origin": "Mulei new-energy equipment park", "destination": "Santanghu wind farm",
                    "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5},
                                 {"road": "S303", "jurisdiction": "650521", "length_km": 140.0}]},
        "travel":  {"from": "2026-12-02", "to": "2026-12-31", "trips": 30},
        "escort":  {"vehicles": 2, "police_escort": true}
    })
}

pub struct Flow<'a> {
    pub app: &'a TestApp,
    pub applicant: String,
}

impl<'a> Flow<'a> {
    pub async fn new(app: &'a TestApp) -> Flow<'a> {
        app.seed_demo().await;
        let applicant = app.token("applicant@demo.local", DEMO).await;
        Flow { app, applicant }
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.app.get_as(path, token).await
    }

    pub async fn reviewer(&self, authority: &str) -> String {
        self.app
            .token(&format!("{}@demo.local", authority.to_lowercase()), DEMO)
            .await
    }

    pub async fn upload(&self, id: &str, kind: &str, bytes: &[u8]) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(format!("{kind}.pdf")),
            );
        self.app
            .client
            .post(
                self.app
                    .url(&format!("/api/v1/applications/{id}/attachments")),
            )
            .bearer_auth(&self.applicant)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// A draft with both class III attachments, submitted.
    pub async fn submitted(&self, input: &Value) -> Value {
        let draft: Value = self
            .post(&self.applicant, "/api/v1/applications", input)
            .await
            .json()
            .await
            .unwrap();
        let id = draft["id"].as_str().unwrap().to_string();
        assert_eq!(
            self.upload(&id, "contour_drawing", &PDF).await.status(),
            201
        );
        assert_eq!(self.upload(&id, "escort_plan", &PDF).await.status(), 201);
        let response = self
            .post(
                &self.applicant,
                &format!("/api/v1/applications/{id}/submit"),
                &json!({}),
            )
            .await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn decide(&self, token: &str, task_id: &str, body: Value) -> reqwest::Response {
        self.post(token, &format!("/api/v1/tasks/{task_id}/decision"), &body)
            .await
    }

    /// Approves a task as a reviewer of its authority; the application after it.
    pub async fn approve(&self, task: &Value, conditions: &[&str]) -> Value {
        let token = self
            .reviewer(task["authority_code"].as_str().unwrap())
            .await;
        let response = self
            .decide(
                &token,
                task["id"].as_str().unwrap(),
                json!({"decision": "approve", "conditions": conditions}),
            )
            .await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn fetch(&self, id: &str) -> Value {
        self.get(&self.applicant, &format!("/api/v1/applications/{id}"))
            .await
            .json()
            .await
            .unwrap()
    }
}

pub fn phase<'v>(application: &'v Value, name: &str) -> &'v Value {
    application["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no phase {name}"))
}

/// The open tasks of the phase that is open (panics if none is: the caller expected one).
pub fn open_tasks(application: &Value) -> Vec<Value> {
    application["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["state"] == "open")
        .unwrap_or_else(|| panic!("no open phase in {application}"))["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "open")
        .cloned()
        .collect()
}

pub fn tasks(application: &Value, name: &str) -> Vec<Value> {
    phase(application, name)["tasks"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_blade_across_two_prefectures_through_joint_review() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    assert_eq!(
        submitted["status"], "submitted",
        "acceptance is not automatic"
    );
    assert_eq!(submitted["permit_class"], "III");
    assert_eq!(submitted["issuing_level"], "region");
    assert_eq!(submitted["issuing_authority"], "650000-HIGHWAY");
    assert_eq!(submitted["workflow"], "joint");
    assert!(submitted["reference"]
        .as_str()
        .unwrap()
        .starts_with("PF-2026-"));
    assert_eq!(submitted["submitted_at"], "2026-12-01T00:00:00Z");
    assert_eq!(submitted["target_due_at"], "2026-12-02T00:00:00Z");
    let acceptance = tasks(&submitted, "acceptance");
    assert_eq!(acceptance.len(), 1);
    assert_eq!(acceptance[0]["due_at"], "2026-12-01T02:00:00Z");

    app.advance_clock(45).await;
    let accepted = flow.approve(&acceptance[0], &[]).await;
    assert_eq!(accepted["status"], "under_review");
    assert_eq!(accepted["accepted_at"], "2026-12-01T00:45:00Z");
    // 15 working days after Tue 1 Dec (Shanghai): Tue 22 Dec, ending at midnight Shanghai time.
    assert_eq!(accepted["statutory_due_at"], "2026-12-22T16:00:00Z");
    let reviews = tasks(&accepted, "joint_review");
    assert_eq!(reviews.len(), 9, "nine parallel reviews");
    assert!(reviews
        .iter()
        .all(|t| t["state"] == "open" && t["due_at"] == "2026-12-01T12:45:00Z"));
    assert_eq!(phase(&accepted, "issuance")["state"], "waiting");

    let mut latest = accepted.clone();
    for (i, task) in reviews.iter().enumerate() {
        app.advance_clock(20).await;
        let conditions: &[&str] = if i % 3 == 0 {
            &["night travel only", "police escort"]
        } else {
            &["night travel only"]
        };
        latest = flow.approve(task, conditions).await;
        if i < 8 {
            assert_eq!(
                phase(&latest, "joint_review")["state"],
                "open",
                "after {} of 9",
                i + 1
            );
        }
    }
    assert_eq!(phase(&latest, "joint_review")["state"], "done");
    let issuance = tasks(&latest, "issuance");
    assert_eq!(issuance[0]["state"], "open");
    app.advance_clock(30).await;
    let issued = flow.approve(&issuance[0], &[]).await;
    assert_eq!(issued["status"], "issued");
    let advanced = 45 + 9 * 20 + 30;
    assert_eq!(
        issued["net_minutes"], advanced,
        "net time is exactly the time that passed"
    );
    assert_eq!(issued["gross_minutes"], advanced);
    assert_eq!(issued["paused_minutes"], 0);
    assert!(issued["issued_at"].is_string() && issued["decided_at"] == issued["issued_at"]);

    // The clock stops at the decision.
    app.advance_clock(600).await;
    let later = flow.fetch(issued["id"].as_str().unwrap()).await;
    assert_eq!(later["net_minutes"], advanced);

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
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "task_approved").count(), 11);
    for kind in [
        "created",
        "attachment_added",
        "submitted",
        "accepted",
        "phase_opened",
        "phase_completed",
        "issued",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let approval = events
        .iter()
        .find(|e| {
            e["kind"] == "task_approved" && e["detail"]["conditions"].as_array().unwrap().len() == 2
        })
        .unwrap();
    assert!(
        approval["actor"].as_str().unwrap().contains("审核员"),
        "the reviewer's name: {approval}"
    );
}

#[tokio::test]
async fn an_information_round_is_not_counted() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    app.advance_clock(10).await;
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    app.advance_clock(20).await;
    flow.approve(&reviews[1], &[]).await;

    // The Mulei police want the escort plan's second page.
    let asking = reviews
        .iter()
        .find(|t| t["authority_code"] == "652328-POLICE")
        .unwrap();
    let police = flow.reviewer("652328-POLICE").await;
    app.advance_clock(30).await;
    let response = flow
        .decide(
            &police,
            asking["id"].as_str().unwrap(),
            json!({"decision": "request_info", "comment": "escort plan page 2 is missing"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let waiting: Value = response.json().await.unwrap();
    assert_eq!(waiting["status"], "info_requested");

    app.advance_clock(120).await;
    let paused = flow.fetch(&id).await;
    assert_eq!(paused["paused_minutes"], 120);
    assert_eq!(
        paused["net_minutes"], 60,
        "the clock stands while the applicant is asked"
    );
    assert_eq!(paused["target_due_at"], "2026-12-02T02:00:00Z");

    // An answer needs a message.
    let (status, error) = error_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": " "}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), error["fields"]["message"].is_string()),
        (422, true)
    );
    let answered: Value = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": "page 2 attached"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answered["status"], "under_review");
    assert_eq!(answered["paused_minutes"], 120);
    let reviews = tasks(&answered, "joint_review");
    let reopened = reviews
        .iter()
        .find(|t| t["authority_code"] == "652328-POLICE")
        .unwrap();
    assert_eq!(reopened["state"], "open");
    assert_eq!(
        reviews.iter().filter(|t| t["state"] == "approved").count(),
        1,
        "no material change: approvals stand"
    );
    // The statutory deadline moves by the pause.
    assert_eq!(answered["statutory_due_at"], "2026-12-22T18:00:00Z");

    for task in reviews.iter().filter(|t| t["state"] == "open") {
        flow.approve(task, &[]).await;
    }
    let latest = flow.fetch(&id).await;
    app.advance_clock(15).await;
    let issued = flow.approve(&tasks(&latest, "issuance")[0], &[]).await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["gross_minutes"], 10 + 20 + 30 + 120 + 15);
    assert_eq!(issued["net_minutes"], 10 + 20 + 30 + 15);
}

#[tokio::test]
async fn a_changed_route_in_an_information_round_reopens_every_review() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    flow.approve(&reviews[0], &[]).await;
    let highway = flow.reviewer("650500-HIGHWAY").await;
    let asking = reviews
        .iter()
        .find(|t| t["authority_code"] == "650500-HIGHWAY")
        .unwrap();
    flow.decide(
        &highway,
        asking["id"].as_str().unwrap(),
        json!({"decision": "request_info", "comment": "use S303 instead of G7 at km 40"}),
    )
    .await;

    // A route that brings in another county would change the reviewers: refused, nothing changed.
    let mut other_county = blade();
    other_county["route"]["segments"][0]["jurisdiction"] = json!("652325");
    let (status, error) = error_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": "new route", "changes": other_county}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["route.segments"].is_string());
    assert_eq!(flow.fetch(&id).await["status"], "info_requested");

    let mut new_road = blade();
    new_road["route"]["segments"][0]["road"] = json!("S303");
    let answered: Value = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": "S303 it is", "changes": new_road}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answered["route"]["segments"][0]["road"], "S303");
    let reviews = tasks(&answered, "joint_review");
    assert!(
        reviews.iter().all(|t| t["state"] == "open"),
        "a material change re-opens every review: {reviews:?}"
    );
}

#[tokio::test]
async fn a_rejection_cancels_the_other_reviews() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    let changji_police = reviews
        .iter()
        .find(|t| t["authority_code"] == "652300-POLICE")
        .unwrap();
    flow.approve(changji_police, &["escort vehicles"]).await;
    let grid_free = reviews
        .iter()
        .find(|t| t["authority_code"] == "650521-TRANSPORT")
        .unwrap();
    let barkol = flow.reviewer("650521-TRANSPORT").await;
    let (status, error) = error_of(
        flow.decide(
            &barkol,
            grid_free["id"].as_str().unwrap(),
            json!({"decision": "reject"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), error["fields"]["comment"].is_string()),
        (422, true),
        "a rejection needs its reason"
    );
    let rejected: Value = flow
        .decide(
            &barkol,
            grid_free["id"].as_str().unwrap(),
            json!({"decision": "reject", "comment": "bridge K12 closed for repair"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    let reviews = tasks(&rejected, "joint_review");
    assert_eq!(
        reviews.iter().filter(|t| t["state"] == "cancelled").count(),
        7
    );
    assert_eq!(
        reviews.iter().filter(|t| t["state"] == "approved").count(),
        1
    );
    assert_eq!(tasks(&rejected, "issuance")[0]["state"], "cancelled");
    // Nothing can be decided any more.
    let other = reviews.iter().find(|t| t["state"] == "cancelled").unwrap();
    let token = flow
        .reviewer(other["authority_code"].as_str().unwrap())
        .await;
    assert_eq!(
        flow.decide(
            &token,
            other["id"].as_str().unwrap(),
            json!({"decision": "approve"})
        )
        .await
        .status(),
        409
    );
}

#[tokio::test]
async fn serial_review_goes_level_by_level() {
    let app = spawn_app_with(|o| o.workflow = "serial".into()).await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    assert_eq!(submitted["workflow"], "serial");
    let names: Vec<&str> = submitted["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "acceptance",
            "county_review",
            "prefecture_review",
            "region_review",
            "issuance"
        ]
    );
    let mut latest = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    for (name, count) in [
        ("county_review", 4),
        ("prefecture_review", 4),
        ("region_review", 1),
    ] {
        let open = tasks(&latest, name);
        assert_eq!(open.len(), count, "{name}");
        assert!(
            open.iter().all(|t| t["state"] == "open"),
            "{name} opens when the level below is done"
        );
        assert!(open.iter().all(|t| t["due_at"].is_string()));
        for later in ["prefecture_review", "region_review", "issuance"]
            .iter()
            .skip_while(|n| **n != name)
            .skip(1)
        {
            assert_eq!(
                phase(&latest, later)["state"],
                "waiting",
                "{later} waits while {name} is open"
            );
        }
        for task in &open {
            app.advance_clock(60).await;
            latest = flow.approve(task, &[]).await;
        }
    }
    let issued = flow.approve(&tasks(&latest, "issuance")[0], &[]).await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["net_minutes"], 9 * 60);
}

#[tokio::test]
async fn submission_reports_every_problem_with_its_field_and_leaves_the_draft_alone() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut bad = blade();
    bad["cargo"]["length_m"] = json!(250);
    bad["cargo"]["pieces"] = json!(0);
    bad["vehicle"]["tractor_plate"] = json!("B12345");
    bad["vehicle"]["trailer_plates"] = json!(["新B6789"]);
    bad["route"]["segments"][1]["jurisdiction"] = json!("650599");
    bad["travel"]["from"] = json!("2026-11-30");
    bad["travel"]["trips"] = json!(10001);
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &bad)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_str().unwrap();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/submit")))
        .bearer_auth(&flow.applicant)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(error["code"], "validation_failed");
    let fields = error["fields"].as_object().unwrap();
    for field in [
        "cargo.length_m",
        "cargo.pieces",
        "vehicle.tractor_plate",
        "vehicle.trailer_plates[0]",
        "route.segments[1].jurisdiction",
        "travel.from",
        "travel.trips",
    ] {
        assert!(
            fields.contains_key(field),
            "{field} missing from {fields:?}"
        );
    }
    assert_eq!(fields.len(), 7, "{fields:?}");
    assert_eq!(fields["travel.from"], "must be today (2026-12-01) or later");
    let after = flow.fetch(id).await;
    assert_eq!(
        (after["status"].as_str(), after["version"].as_i64()),
        (Some("draft"), draft["version"].as_i64())
    );

    // In Chinese by default.
    let (_, error) = error_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        error["fields"]["cargo.pieces"],
        "须为 1 至 10000 之间的整数"
    );
}

#[tokio::test]
async fn the_rules_of_the_regulation_refuse_at_submission() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let check = |edit: fn(&mut Value)| {
        let mut input = blade();
        edit(&mut input);
        input
    };
    let cases: Vec<(Value, &str, bool)> = vec![
        // A load within every general limit.
        (
            check(|v| {
                v["cargo"] = json!({"description": "Transformer parts", "pieces": 2, "divisible": false, "length_m": 10, "width_m": 2.4, "height_m": 2.5, "mass_kg": 8000});
                v["vehicle"]["overall_length_m"] = json!(16.0);
                v["vehicle"]["overall_width_m"] = json!(2.5);
                v["vehicle"]["overall_height_m"] = json!(3.9);
                v["vehicle"]["axles"] = json!(5);
                v["vehicle"]["gross_mass_kg"] = json!(30000);
                v["vehicle"]["max_axle_load_kg"] = json!(8000);
            }),
            "vehicle",
            true,
        ),
        (
            check(|v| v["cargo"]["divisible"] = json!(true)),
            "cargo.divisible",
            true,
        ),
        (
            check(|v| v["vehicle"]["max_axle_load_kg"] = json!(13500)),
            "vehicle.max_axle_load_kg",
            true,
        ),
        (
            check(|v| v["vehicle"]["gross_mass_kg"] = json!(101000)),
            "vehicle.gross_mass_kg",
            true,
        ),
        // Without the attachments a class III application needs.
        (blade(), "attachments.contour_drawing", false),
    ];
    for (input, field, with_attachments) in cases {
        let draft: Value = flow
            .post(&flow.applicant, "/api/v1/applications", &input)
            .await
            .json()
            .await
            .unwrap();
        let id = draft["id"].as_str().unwrap();
        if with_attachments {
            flow.upload(id, "contour_drawing", &PDF).await;
            flow.upload(id, "escort_plan", &PDF).await;
        }
        let (status, error) = error_of(
            flow.post(
                &flow.applicant,
                &format!("/api/v1/applications/{id}/submit"),
                &json!({}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 422, "{field}");
        assert!(
            error["fields"][field].is_string(),
            "{field} missing: {error}"
        );
    }
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_size() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &blade())
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let ok: Value = flow
        .upload(id, "contour_drawing", b"\x89PNG\r\n\x1a\nrest")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["kind"], "contour_drawing");
    assert_eq!(ok["size"], 12);
    assert_eq!(ok["sha256"].as_str().unwrap().len(), 64);
    let stored = app
        .dir
        .path()
        .join("attachments")
        .join(&ok["sha256"].as_str().unwrap()[..2])
        .join(ok["sha256"].as_str().unwrap());
    assert_eq!(std::fs::read(stored).unwrap(), b"\x89PNG\r\n\x1a\nrest");

    let (status, error) =
        error_of(flow.upload(id, "escort_plan", b"MZ not a pdf at all").await).await;
    assert_eq!(
        (status.as_u16(), error["fields"]["file"].is_string()),
        (422, true)
    );
    let (status, error) = error_of(flow.upload(id, "selfie", &PDF).await).await;
    assert_eq!(
        (status.as_u16(), error["fields"]["kind"].is_string()),
        (422, true)
    );
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    assert_eq!(flow.upload(id, "escort_plan", &big).await.status(), 413);
    let after = flow.fetch(id).await;
    assert_eq!(
        after["attachments"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn everyone_sees_only_their_scope() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap();
    let path = format!("/api/v1/applications/{id}");

    let other_firm = app.token("applicant2@demo.local", DEMO).await;
    assert_eq!(flow.get(&other_firm, &path).await.status(), 404);
    let list: Value = flow
        .get(&other_firm, "/api/v1/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);

    // Urumqi's police have no task on it; the region's highway bureau has.
    let urumqi = flow.reviewer("650100-POLICE").await;
    assert_eq!(flow.get(&urumqi, &path).await.status(), 404);
    let region = flow.reviewer("650000-HIGHWAY").await;
    assert_eq!(flow.get(&region, &path).await.status(), 200);
    let acceptance = &tasks(&submitted, "acceptance")[0];
    let (status, _) = error_of(
        flow.decide(
            &urumqi,
            acceptance["id"].as_str().unwrap(),
            json!({"decision": "approve"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404, "another authority's task is not found");
    // A reviewer with a task on the application still cannot decide another authority's task.
    let mulei = flow.reviewer("652328-POLICE").await;
    assert_eq!(
        flow.get(&mulei, &path).await.status(),
        200,
        "a waiting task is a task"
    );
    assert_eq!(
        flow.decide(
            &mulei,
            acceptance["id"].as_str().unwrap(),
            json!({"decision": "approve"})
        )
        .await
        .status(),
        403
    );
    // An applicant has no queue and decides nothing.
    assert_eq!(
        flow.get(&flow.applicant, "/api/v1/tasks").await.status(),
        403
    );
    assert_eq!(
        flow.decide(
            &flow.applicant,
            acceptance["id"].as_str().unwrap(),
            json!({"decision": "approve"})
        )
        .await
        .status(),
        403
    );
    // Reviewers do not submit or withdraw.
    assert_eq!(
        flow.post(&region, &format!("{path}/withdraw"), &json!({}))
            .await
            .status(),
        403
    );

    // Managers see what their area's routes touch; the region sees everything.
    let manager = app.token("manager@demo.local", DEMO).await;
    assert_eq!(flow.get(&manager, &path).await.status(), 200);
    let cli = |email: &str, scope: &str| {
        app.cli(
            &[
                "user",
                "create",
                "--email",
                email,
                "--name",
                "M",
                "--role",
                "manager",
                "--scope",
                scope,
                "--password-env",
                "P",
            ],
            &[("P", "long convoy at night over the pass")],
        )
    };
    assert!(cli("hami@xj.gov.cn", "650500").status.success());
    assert!(cli("urumqi@xj.gov.cn", "650100").status.success());
    let hami = app
        .token("hami@xj.gov.cn", "long convoy at night over the pass")
        .await;
    let urumqi_manager = app
        .token("urumqi@xj.gov.cn", "long convoy at night over the pass")
        .await;
    assert_eq!(flow.get(&hami, &path).await.status(), 200);
    assert_eq!(flow.get(&urumqi_manager, &path).await.status(), 404);
    // Drafts stay with the firm.
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &blade())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        flow.get(
            &manager,
            &format!("/api/v1/applications/{}", draft["id"].as_str().unwrap())
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn the_queue_is_sorted_by_due_time_and_claims_hold() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let first = flow.submitted(&blade()).await;
    app.advance_clock(30).await;
    let second = flow.submitted(&blade()).await;
    let region = flow.reviewer("650000-HIGHWAY").await;
    let queue: Vec<Value> = flow
        .get(&region, "/api/v1/tasks?state=open")
        .await
        .json()
        .await
        .unwrap();
    let refs: Vec<&str> = queue
        .iter()
        .map(|t| t["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        vec![
            first["reference"].as_str().unwrap(),
            second["reference"].as_str().unwrap()
        ],
        "oldest due first"
    );
    assert_eq!(queue[0]["phase"], "acceptance");
    assert_eq!(queue[0]["permit_class"], "III");

    let task_id = queue[0]["id"].as_str().unwrap();
    let claimed: Value = flow
        .post(
            &region,
            &format!("/api/v1/tasks/{task_id}/claim"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claimed["state"], "claimed");
    // A colleague at the same authority cannot take it or decide it.
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "colleague@xj.gov.cn",
            "--name",
            "C",
            "--role",
            "reviewer",
            "--authority",
            "650000-HIGHWAY",
            "--password-env",
            "P",
        ],
        &[("P", "long convoy at night over the pass")],
    );
    assert!(out.status.success());
    let colleague = app
        .token("colleague@xj.gov.cn", "long convoy at night over the pass")
        .await;
    assert_eq!(
        flow.post(
            &colleague,
            &format!("/api/v1/tasks/{task_id}/claim"),
            &json!({})
        )
        .await
        .status(),
        409
    );
    assert_eq!(
        flow.decide(&colleague, task_id, json!({"decision": "approve"}))
            .await
            .status(),
        409
    );
    let mine: Vec<Value> = flow
        .get(&region, "/api/v1/tasks?state=mine")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let released: Value = flow
        .post(
            &region,
            &format!("/api/v1/tasks/{task_id}/release"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(released["state"], "open");
    assert_eq!(
        flow.decide(&colleague, task_id, json!({"decision": "approve"}))
            .await
            .status(),
        200
    );
    let (status, _) = error_of(flow.get(&region, "/api/v1/tasks?state=everything").await).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn twenty_concurrent_decisions_have_exactly_one_winner() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let task_id = tasks(&submitted, "acceptance")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Twenty reviewers of the issuing authority, each deciding at once.
    let mut tokens = Vec::new();
    for i in 0..20 {
        tokens.push(
            app.new_reviewer(&format!("r{i}@xj.gov.cn"), "650000-HIGHWAY")
                .await,
        );
    }
    let requests = tokens.iter().enumerate().map(|(i, token)| {
        let decision = if i % 2 == 0 {
            json!({"decision": "approve"})
        } else {
            json!({"decision": "reject", "comment": "no"})
        };
        flow.decide(token, &task_id, decision)
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
    let events: Vec<Value> = flow
        .get(
            &flow.applicant,
            &format!(
                "/api/v1/applications/{}/events",
                submitted["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let decisions = events
        .iter()
        .filter(|e| e["kind"] == "task_approved" || e["kind"] == "task_rejected")
        .count();
    assert_eq!(decisions, 1, "exactly one decision recorded");
}

#[tokio::test]
async fn a_repeated_write_with_the_same_idempotency_key_changes_nothing() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let send = |key: &str, body: Value| {
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&flow.applicant)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("tms-order-4711", blade()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("tms-order-4711", blade()).await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let list: Value = flow
        .get(&flow.applicant, "/api/v1/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "one draft, not two");
    let mut other = blade();
    other["travel"]["trips"] = json!(5);
    assert_eq!(send("tms-order-4711", other).await.unwrap().status(), 409);
    assert_eq!(send("tms-order-4712", blade()).await.unwrap().status(), 201);
}

#[tokio::test]
async fn withdrawal_and_listing() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap();
    let withdrawn: Value = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/withdraw"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert!(tasks(&withdrawn, "acceptance")
        .iter()
        .all(|t| t["state"] == "cancelled"));
    assert_eq!(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/withdraw"),
            &json!({})
        )
        .await
        .status(),
        409
    );
    flow.post(&flow.applicant, "/api/v1/applications", &blade())
        .await;
    let drafts: Value = flow
        .get(&flow.applicant, "/api/v1/applications?status=draft")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(drafts["total"], 1);
    let all: Value = flow
        .get(&flow.applicant, "/api/v1/applications?per_page=1&page=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            all["total"].as_i64(),
            all["items"].as_array().unwrap().len(),
            all["page"].as_i64()
        ),
        (Some(2), 1, Some(2))
    );
    let (status, _) = error_of(
        flow.get(&flow.applicant, "/api/v1/applications?status=lost")
            .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn references_stay_unique_when_drafts_are_created_at_once() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let body = blade();
    let creates = (0..20).map(|_| flow.post(&flow.applicant, "/api/v1/applications", &body));
    let mut references = Vec::new();
    for response in futures_util::future::join_all(creates).await {
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        references.push(body["reference"].as_str().unwrap().to_string());
    }
    references.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("PF-2026-{n:06}")).collect();
    assert_eq!(references, expected, "no gaps, no duplicates");
}

#[tokio::test]
async fn a_firm_without_the_qualification_or_under_restriction_is_not_accepted() {
    use diesel::prelude::*;
    use permitflow::db::schema::firms;
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &blade())
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap().to_string();
    flow.upload(&id, "contour_drawing", &PDF).await;
    flow.upload(&id, "escort_plan", &PDF).await;
    let firm_code = draft["firm_code"].as_str().unwrap().to_string();
    let set = |qualified: bool, until: Option<chrono::NaiveDate>| {
        diesel::update(firms::table.filter(firms::credit_code.eq(firm_code.clone())))
            .set((
                firms::oversize_qualified.eq(qualified),
                firms::restricted_until.eq(until),
            ))
            .execute(&mut app.connect())
            .unwrap();
    };
    let submit = || async {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/applications/{id}/submit")))
            .bearer_auth(&flow.applicant)
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap();
        error_of(response).await
    };
    set(false, None);
    let (status, error) = submit().await;
    assert_eq!(status, 422);
    assert_eq!(
        error["fields"]["firm"],
        "the firm's operating licence does not cover oversize transport"
    );
    // The restriction still holds on its last day (the test clock's 1 December).
    set(true, chrono::NaiveDate::from_ymd_opt(2026, 12, 1));
    let (status, error) = submit().await;
    assert_eq!(status, 422);
    assert_eq!(
        error["fields"]["firm"],
        "the firm is under a restriction period until 2026-12-01"
    );
    set(true, chrono::NaiveDate::from_ymd_opt(2026, 11, 30));
    let response = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await;
    assert_eq!(
        response.status(),
        200,
        "a restriction that ended yesterday no longer applies"
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_named_by_its_field() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut input = blade();
    input["route"]["segments"][1]["length_km"] = json!("140 km");
    let (status, error) = error_of(
        flow.post(&flow.applicant, "/api/v1/applications", &input)
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(error["code"], "validation_failed");
    assert!(
        error["fields"]["route.segments[1].length_km"]
            .as_str()
            .unwrap()
            .contains("类型不正确"),
        "{error}"
    );
    let list: Value = flow
        .get(&flow.applicant, "/api/v1/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing written");
}
