//! Starts the real application on port 0 against a fresh database (a temporary SQLite file,
//! or a new PostgreSQL database when `TEST_DATABASE_URL` is set) and talks to it over HTTP.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use permitflow::clock::Clock;
use permitflow::config::{CommonOpts, DatabaseUrl, LogFormat, Secret, Settings};
use permitflow::startup;
use permitflow::web::{self, ServeOptions};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use std::net::TcpListener;
use tempfile::TempDir;

pub const TEST_SECRET: &str = "test-secret-key-0123456789abcdef0123456789";

/// The moment every test app's manual clock starts at.
pub fn test_start() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// A database only this test uses; a PostgreSQL one is dropped when the test ends.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub raw_url: String,
    admin_url: Option<String>,
    name: Option<String>,
}

impl TestDb {
    pub fn new(dir: &TempDir) -> TestDb {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!("test_pf_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL answers");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                // The tests talk to a server on this machine: no TLS, so that no OpenSSL state
                // is torn down at exit under a pool thread still connecting (a rare SIGSEGV of
                // the test binary after every test had passed).
                let tls = if admin_url.contains("sslmode=") {
                    ""
                } else {
                    "?sslmode=disable"
                };
                let raw_url = format!("{base}/{name}{tls}");
                TestDb {
                    url: raw_url.parse().unwrap(),
                    raw_url,
                    admin_url: Some(admin_url),
                    name: Some(name),
                }
            }
            None => {
                let raw_url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestDb {
                    url: raw_url.parse().unwrap(),
                    raw_url,
                    admin_url: None,
                    name: None,
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.admin_url.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let (Some(admin_url), Some(name)) = (&self.admin_url, &self.name) {
            if let Ok(mut admin) = PgConnection::establish(admin_url) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

pub fn opts(data_dir: &std::path::Path) -> CommonOpts {
    CommonOpts {
        database_url: String::new(),
        data_dir: data_dir.to_path_buf(),
        bind: "127.0.0.1:0".into(),
        base_url: None,
        smtp_url: None,
        mail_from: "permitflow <noreply@permitflow.test>".into(),
        target_hours: 24,
        timezone: "Asia/Shanghai".into(),
        workflow: Some("joint".into()),
        log_format: LogFormat::Text,
        token_ttl_hours: 24,
        trust_forwarded: false,
        trusted_proxies: 1,
        mail_max_attempts: 8,
        mail_concurrency: 4,
    }
}

pub struct TestApp {
    pub settings: Settings,
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    handle: actix_web::dev::ServerHandle,
    // Dropped last: the server must let go of the database first.
    pub db: TestDb,
    pub dir: TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// An app with some options changed from the defaults.
pub async fn spawn_app_with(configure: impl FnOnce(&mut CommonOpts)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(&dir);
    let mut options = opts(dir.path());
    configure(&mut options);
    let settings = Settings::build(&options, db.url.clone(), Secret::new(TEST_SECRET)).unwrap();
    let migrate_settings = settings.clone();
    tokio::task::spawn_blocking(move || startup::migrate(&migrate_settings))
        .await
        .unwrap()
        .expect("migrations");
    start(settings, db, dir)
}

/// An app whose database is at `url` as given, without migrating (for outage tests).
pub fn spawn_app_at(url: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::build(
        &opts(dir.path()),
        url.parse().unwrap(),
        Secret::new(TEST_SECRET),
    )
    .unwrap();
    let db = TestDb {
        url: settings.database.clone(),
        raw_url: url.into(),
        admin_url: None,
        name: None,
    };
    start(settings, db, dir)
}

pub fn start(mut settings: Settings, db: TestDb, dir: TempDir) -> TestApp {
    let clock = Clock::manual(test_start());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    // Links in e-mails and QR codes lead to this very server, as they would in production.
    if settings.base_url.ends_with(":0") {
        settings.base_url = address.clone();
    }
    let state = if db.admin_url.is_some() || db.url.is_sqlite() {
        startup::state(settings.clone(), clock.clone()).unwrap()
    } else {
        // A database that does not answer: no workflows can be read.
        startup::state_with(settings.clone(), clock.clone(), Default::default()).unwrap()
    };
    let options = ServeOptions {
        workers: 1,
        handle_signals: false,
    };
    let server = web::serve(listener, state, options).unwrap();
    let handle = server.handle();
    tokio::spawn(server);
    TestApp {
        settings,
        address,
        client: reqwest::Client::new(),
        clock,
        handle,
        db,
        dir,
    }
}

/// A second instance of the app on the same database (and data folder), as behind a load
/// balancer; it stops when dropped.
pub struct Instance {
    pub address: String,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Instance {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl Instance {
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        let url = format!("{}{path}", self.address);
        reqwest::Client::new()
            .post(url)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

impl TestApp {
    pub fn another_instance(&self) -> Instance {
        let clock = Clock::manual(self.clock.now());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = startup::state(self.settings.clone(), clock.clone()).unwrap();
        let options = ServeOptions {
            workers: 1,
            handle_signals: false,
        };
        let server = web::serve(listener, state, options).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        Instance { address, handle }
    }

    /// Runs the background jobs now (`/api/v1/test/run-jobs`).
    pub async fn run_jobs(&self) -> Value {
        let response = self
            .post_json("/api/v1/test/run-jobs", &serde_json::json!({}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Signs in; the raw response, for tests of failure.
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/token",
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in and returns the token, failing the test otherwise.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let response = self.sign_in(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn advance_clock(&self, minutes: i64) {
        self.clock.advance(chrono::TimeDelta::minutes(minutes));
    }

    /// Runs the real binary against this app's database and data folder.
    pub fn cli(&self, args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_permitflow"))
            .args(args)
            .env("DATABASE_URL", &self.db.raw_url)
            .env("DATA_DIR", self.dir.path())
            .env("SECRET_KEY", TEST_SECRET)
            .env("RUST_LOG", "warn")
            .envs(envs.iter().copied())
            .output()
            .expect("the permitflow binary runs")
    }

    /// A new reviewer of `authority` (made with `user create`), signed in: its token.
    pub async fn new_reviewer(&self, email: &str, authority: &str) -> String {
        const PASSWORD: &str = "long convoy at night over the pass";
        let out = self.cli(
            &[
                "user",
                "create",
                "--email",
                email,
                "--name",
                "R",
                "--role",
                "reviewer",
                "--authority",
                authority,
                "--password-env",
                "P",
            ],
            &[("P", PASSWORD)],
        );
        assert!(out.status.success(), "{out:?}");
        self.token(email, PASSWORD).await
    }

    /// A direct database connection, for checking what was (not) written.
    pub fn connect(&self) -> permitflow::db::DbConnection {
        permitflow::db::conn::connect(&self.db.url).unwrap()
    }

    /// Creates the demo users (all with the password `permitflow-demo`).
    pub async fn seed_demo(&self) {
        let url = self.db.url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = permitflow::db::conn::connect(&url).unwrap();
            permitflow::demo::seed(&mut conn, test_start()).unwrap();
        })
        .await
        .unwrap();
    }
}

/// The error code and field messages of an API error body.
pub async fn error_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body: Value = response.json().await.expect("an error body in JSON");
    (status, body["error"].clone())
}
