//! Times full joint-review lifecycles through the HTTP API: create a draft, upload the two
//! class III attachments, submit, accept, nine parallel approvals, issue (14 requests). Runs
//! against a temporary SQLite file, or a fresh PostgreSQL database on the server of
//! `BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`). `LIFECYCLES` sets how many (default 100).
//!
//!     cargo bench --bench lifecycle
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench lifecycle

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use permitflow::clock::Clock;
use permitflow::config::{CommonOpts, DatabaseUrl, LogFormat, Secret, Settings};
use permitflow::web::{self, ServeOptions};
use permitflow::{service, startup};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PDF: &[u8] = b"%PDF-1.4\n% benchmark attachment\n";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let w = rank - lo as f64;
    sorted[lo].mul_f64(1.0 - w) + sorted[hi].mul_f64(w)
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn token(&self, email: &str) -> String {
        let body = self
            .post(
                "",
                "/api/v1/auth/token",
                json!({"email": email, "password": "permitflow-demo"}),
            )
            .await;
        body["token"].as_str().unwrap().to_string()
    }

    async fn upload(&self, token: &str, id: &str, kind: &str) {
        let form = reqwest::multipart::Form::new()
            .text("kind", kind.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("a.pdf"),
            );
        let r = self
            .client
            .post(format!(
                "{}/api/v1/applications/{id}/attachments",
                self.base
            ))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

#[tokio::main]
async fn main() {
    let lifecycles: usize = std::env::var("LIFECYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let server_url = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok();
    let (url, cleanup): (String, Option<(String, String)>) = match server_url {
        Some(admin) => {
            let name = format!("test_pf_bench_{}", std::process::id());
            PgConnection::establish(&admin)
                .unwrap()
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            (format!("{base}/{name}"), Some((admin, name)))
        }
        None => (
            format!("sqlite://{}", dir.path().join("bench.db").display()),
            None,
        ),
    };
    let database: DatabaseUrl = url.parse().unwrap();
    let opts = CommonOpts {
        database_url: url.clone(),
        data_dir: dir.path().to_path_buf(),
        bind: "127.0.0.1:0".into(),
        base_url: None,
        smtp_url: None,
        mail_from: "bench@permitflow.local".into(),
        target_hours: 24,
        timezone: "Asia/Shanghai".into(),
        workflow: "joint".into(),
        log_format: LogFormat::Text,
        token_ttl_hours: 24,
        trust_forwarded: false,
        mail_max_attempts: 8,
        mail_concurrency: 4,
    };
    let settings = Settings::build(
        &opts,
        database.clone(),
        Secret::new("bench-secret-0123456789abcdef0123456789"),
    )
    .unwrap();
    startup::migrate(&settings).unwrap();
    service::demo::seed(
        &mut permitflow::db::conn::connect(&database).unwrap(),
        chrono::Utc::now().naive_utc(),
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = startup::state(settings, Clock::System).unwrap();
    let server = web::serve(
        listener,
        state,
        ServeOptions {
            workers: 2,
            handle_signals: false,
        },
    )
    .unwrap();
    let handle = server.handle();
    tokio::spawn(server);

    let api = Api {
        client: reqwest::Client::new(),
        base,
    };
    let applicant = api.token("applicant@demo.local").await;
    let mut reviewers = std::collections::HashMap::new();
    for code in [
        "650000-HIGHWAY",
        "650000-POLICE",
        "650500-HIGHWAY",
        "650500-POLICE",
        "652300-HIGHWAY",
        "652300-POLICE",
        "652328-TRANSPORT",
        "652328-POLICE",
        "650521-TRANSPORT",
        "650521-POLICE",
    ] {
        reviewers.insert(
            code.to_string(),
            api.token(&format!("{}@demo.local", code.to_lowercase()))
                .await,
        );
    }
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::days(1)).date_naive();
    let input = json!({
        "cargo": {"description": "Wind turbine blade", "pieces": 1, "divisible": false,
                  "length_m": 126.0, "width_m": 4.8, "height_m": 4.9, "mass_kg": 58000},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"], "trailer_type": "extendable_blade",
                    "axles": 10, "overall_length_m": 131.5, "overall_width_m": 5.0, "overall_height_m": 5.3,
                    "gross_mass_kg": 98000, "max_axle_load_kg": 12500},
        "route": {"origin": "Mulei", "destination": "Santanghu",
                  "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5},
                               {"road": "S303", "jurisdiction": "650521", "length_km": 140.0}]},
        "travel": {"from": tomorrow.to_string(), "to": (tomorrow + chrono::Days::new(30)).to_string(), "trips": 30},
        "escort": {"vehicles": 2, "police_escort": true}
    });

    let mut times = Vec::with_capacity(lifecycles);
    let started = Instant::now();
    for _ in 0..lifecycles {
        let t = Instant::now();
        let draft = api
            .post(&applicant, "/api/v1/applications", input.clone())
            .await;
        let id = draft["id"].as_str().unwrap();
        api.upload(&applicant, id, "contour_drawing").await;
        api.upload(&applicant, id, "escort_plan").await;
        let mut app = api
            .post(
                &applicant,
                &format!("/api/v1/applications/{id}/submit"),
                json!({}),
            )
            .await;
        for phase in ["acceptance", "joint_review", "issuance"] {
            let tasks: Vec<Value> = app["phases"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == phase)
                .unwrap()["tasks"]
                .as_array()
                .unwrap()
                .clone();
            for task in tasks {
                let token = &reviewers[task["authority_code"].as_str().unwrap()];
                let path = format!("/api/v1/tasks/{}/decision", task["id"].as_str().unwrap());
                app = api
                    .post(
                        token,
                        &path,
                        json!({"decision": "approve", "conditions": ["night travel only"]}),
                    )
                    .await;
            }
        }
        assert_eq!(app["status"], "issued");
        times.push(t.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    let backend = if database.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!("full joint lifecycle through the API on {backend} ({lifecycles} lifecycles, 14 requests each, sequential):");
    println!(
        "  median {:>7.1} ms",
        percentile(&times, 0.5).as_secs_f64() * 1000.0
    );
    println!(
        "  p95    {:>7.1} ms",
        percentile(&times, 0.95).as_secs_f64() * 1000.0
    );
    println!("  min    {:>7.1} ms", times[0].as_secs_f64() * 1000.0);
    println!(
        "  max    {:>7.1} ms",
        times[times.len() - 1].as_secs_f64() * 1000.0
    );
    println!(
        "  {:.0} requests/s",
        (lifecycles * 14) as f64 / total.as_secs_f64()
    );
    handle.stop(true).await;
    if let Some((admin, name)) = cleanup {
        let _ = PgConnection::establish(&admin)
            .unwrap()
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
