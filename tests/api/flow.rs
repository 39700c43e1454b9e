//! The scenario harness the API tests share: the demo password, a sample application (a
//! blade) and its PDF drawing, and `Flow`, which drafts, submits and decides through the API.

use crate::helpers::TestApp;
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
