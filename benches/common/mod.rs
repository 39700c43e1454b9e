//! What the API benchmarks share: a server on a fresh database (a temporary SQLite file, or a
//! new PostgreSQL database on the server of `BENCH_DATABASE_URL` or `TEST_DATABASE_URL`) with
//! the demo users, a small API client, percentiles.

#![allow(dead_code)]

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use permitflow::clock::Clock;
use permitflow::config::{CommonOpts, DatabaseUrl, LogFormat, Secret, Settings};
use permitflow::web::{self, ServeOptions};
use permitflow::{demo, startup};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub static PDF: std::sync::LazyLock<Vec<u8>> =
    std::sync::LazyLock::new(|| permitflow::domain::attachment::sample_pdf("benchmark attachment"));

/// Continuous percentile (linear interpolation) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let w = rank - lo as f64;
    sorted[lo].mul_f64(1.0 - w) + sorted[hi].mul_f64(w)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api {
    pub async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let r = self.post_raw(token, path, body).await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn post_raw(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn token(&self, email: &str) -> String {
        let body = self
            .post(
                "",
                "/api/v1/auth/token",
                json!({"email": email, "password": "permitflow-demo"}),
            )
            .await;
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn upload(&self, token: &str, id: &str, kind: &str) {
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

/// A running server for a benchmark; `stop` ends it and drops a PostgreSQL database.
/// A new database for one benchmark run: on the PostgreSQL server of `BENCH_DATABASE_URL` or
/// `TEST_DATABASE_URL` (with what `drop_database` needs to remove it), else a SQLite file in
/// `folder`.
pub fn fresh_database(name: &str, folder: &std::path::Path) -> (String, Option<(String, String)>) {
    let server_url = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok();
    match server_url {
        Some(admin) => {
            let db = format!("test_pf_bench_{name}_{}", std::process::id());
            PgConnection::establish(&admin)
                .unwrap()
                .batch_execute(&format!("CREATE DATABASE {db}"))
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            (format!("{base}/{db}"), Some((admin, db)))
        }
        None => (
            format!("sqlite://{}", folder.join(format!("{name}.db")).display()),
            None,
        ),
    }
}

/// Removes a database `fresh_database` made on a PostgreSQL server.
pub fn drop_database(cleanup: Option<(String, String)>) {
    if let Some((admin, name)) = cleanup {
        let _ = PgConnection::establish(&admin)
            .unwrap()
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

pub const SECRET: &str = "bench-secret-0123456789abcdef0123456789";

/// The settings of a benchmark server on `url`, data in `dir`.
pub fn settings(url: &str, dir: &std::path::Path) -> Settings {
    let opts = CommonOpts {
        database_url: url.to_string(),
        data_dir: dir.to_path_buf(),
        bind: "127.0.0.1:0".into(),
        base_url: None,
        smtp_url: None,
        mail_from: "bench@permitflow.local".into(),
        target_hours: 24,
        timezone: "Asia/Shanghai".into(),
        workflow: Some("joint".into()),
        log_format: LogFormat::Text,
        token_ttl_hours: 24,
        trust_forwarded: false,
        trusted_proxies: 1,
        mail_max_attempts: 8,
        mail_concurrency: 4,
    };
    Settings::build(&opts, url.parse().unwrap(), Secret::new(SECRET)).unwrap()
}

pub struct BenchApp {
    pub api: Api,
    pub database: DatabaseUrl,
    handle: actix_web::dev::ServerHandle,
    cleanup: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl BenchApp {
    pub async fn start(name: &str) -> BenchApp {
        let dir = tempfile::tempdir().unwrap();
        let (url, cleanup) = fresh_database(name, dir.path());
        let database: DatabaseUrl = url.parse().unwrap();
        let settings = settings(&url, dir.path());
        startup::migrate(&settings).unwrap();
        demo::seed(
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
        BenchApp {
            api: Api {
                client: reqwest::Client::new(),
                base,
            },
            database,
            handle,
            cleanup,
            _dir: dir,
        }
    }

    pub fn backend(&self) -> &'static str {
        if self.database.is_sqlite() {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        drop_database(self.cleanup);
    }
}

/// Runs an application through every phase, each task approved by a reviewer of its
/// authority (tokens fetched as needed); the application once issued.
pub async fn run_to_issue(
    api: &Api,
    applicant: &str,
    reviewers: &mut std::collections::HashMap<String, String>,
    input: &Value,
) -> Value {
    run_to_issue_timed(api, applicant, reviewers, input, &mut Default::default()).await
}

/// `run_to_issue`, with each decision's latency recorded under its authority.
pub async fn run_to_issue_timed(
    api: &Api,
    applicant: &str,
    reviewers: &mut std::collections::HashMap<String, String>,
    input: &Value,
    decisions: &mut std::collections::HashMap<String, Vec<Duration>>,
) -> Value {
    let draft = api
        .post(applicant, "/api/v1/applications", input.clone())
        .await;
    let id = draft["id"].as_str().unwrap().to_string();
    api.upload(applicant, &id, "contour_drawing").await;
    api.upload(applicant, &id, "escort_plan").await;
    let mut app = api
        .post(
            applicant,
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
            let code = task["authority_code"].as_str().unwrap().to_string();
            if !reviewers.contains_key(&code) {
                let token = api
                    .token(&format!("{}@demo.local", code.to_lowercase()))
                    .await;
                reviewers.insert(code.clone(), token);
            }
            let path = format!("/api/v1/tasks/{}/decision", task["id"].as_str().unwrap());
            let started = std::time::Instant::now();
            app = api
                .post(
                    &reviewers[&code],
                    &path,
                    json!({"decision": "approve", "conditions": ["night travel only"]}),
                )
                .await;
            decisions.entry(code).or_default().push(started.elapsed());
        }
    }
    assert_eq!(app["status"], "issued");
    app
}

/// Gives `authority` the history of applications `from..to` (issued long ago), each with one
/// decided task of the authority, inserted in bulk; then `ANALYZE`.
pub fn grow_history(
    conn: &mut permitflow::db::DbConnection,
    authority: &str,
    from: u64,
    to: u64,
    firm: &str,
    user: &str,
) {
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {to})
         INSERT INTO applications (id, reference, firm_id, created_by, status, version, input,
             created_at, updated_at, paused_minutes)
         SELECT 'old-' || i, 'PF-OLD-' || i, '{firm}', '{user}', 'issued', 1, '{{}}',
             TIMESTAMP '2025-01-01 00:00:00', TIMESTAMP '2025-01-01 00:00:00', 0 FROM n;
         WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {to})
         INSERT INTO review_tasks (id, application_id, phase_position, position, step,
             authority_code, budget_minutes, state, conditions, escalation_level)
         SELECT 'old-task-' || i, 'old-' || i, 1, 0, 'issuer', '{authority}', 720, 'approved',
             '[]', 0 FROM n;"
    );
    let sql = if matches!(conn, permitflow::db::DbConnection::Sqlite(_)) {
        sql.replace("TIMESTAMP '2025-01-01 00:00:00'", "'2025-01-01 00:00:00'")
    } else {
        sql
    };
    conn.batch_execute(&sql).unwrap();
    conn.batch_execute("ANALYZE").unwrap();
}

/// The id and firm of the demo applicant.
pub fn demo_applicant(conn: &mut permitflow::db::DbConnection) -> (String, String) {
    use diesel::prelude::*;
    use permitflow::db::schema::users;
    let (user, firm): (String, Option<String>) = users::table
        .filter(users::email.eq("applicant@demo.local"))
        .select((users::id, users::firm_id))
        .first(conn)
        .unwrap();
    (user, firm.unwrap())
}

/// A 126 m blade from Mulei to Santanghu, travelling from tomorrow for 30 days: a class III
/// joint review through three phases, issued by the region's highway bureau.
pub fn blade_input() -> Value {
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::days(1)).date_naive();
    json!({
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
    })
}

#[derive(Clone)]
struct Counter(Arc<AtomicUsize>);

impl mailin_embedded::Handler for Counter {
    fn data_end(&mut self) -> mailin_embedded::Response {
        self.0.fetch_add(1, Ordering::Relaxed);
        mailin_embedded::response::OK
    }
}

/// An SMTP server on 127.0.0.1 in this process (mailin-embedded, 64 connections at once) that
/// accepts every message: its port, and how many messages it has received.
pub fn counting_smtp_server() -> (u16, Arc<AtomicUsize>) {
    let received = Arc::new(AtomicUsize::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = mailin_embedded::Server::new(Counter(received.clone()));
    server
        .with_name("bench.local")
        .with_ssl(mailin_embedded::SslConfig::None)
        .unwrap()
        .with_num_threads(64)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, received)
}
