//! The command line: `user create` as SPEC §9 describes it, `seed --demo`, and the refusals.

use crate::helpers::spawn_app;
use diesel::prelude::*;
use permitflow::db::schema::{firms, users};
use serde_json::Value;

const STRONG: &str = "long convoy at night over the pass";

fn count_users(app: &crate::helpers::TestApp) -> i64 {
    users::table.count().get_result(&mut app.connect()).unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[tokio::test]
async fn user_create_then_sign_in() {
    let app = spawn_app().await;
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "Dispatch@Tianshan-Logistics.cn",
            "--name",
            "赵调度",
            "--role",
            "applicant",
            "--firm-code",
            "91350100M000100Y43",
            "--firm-name",
            "天山物流有限公司",
            "--password-env",
            "PF_PASSWORD",
        ],
        &[("PF_PASSWORD", STRONG)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(STRONG),
        "the password is never printed"
    );
    assert!(!stderr(&out).contains(STRONG));

    let token = app.token("dispatch@tianshan-logistics.cn", STRONG).await;
    let me: Value = app.get_as("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["role"], "applicant");
    assert_eq!(me["firm_code"], "91350100M000100Y43");
    assert_eq!(me["name"], "赵调度");

    // A colleague joins the same firm by its code alone.
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "second@tianshan-logistics.cn",
            "--name",
            "钱调度",
            "--role",
            "applicant",
            "--firm-code",
            "91350100M000100Y43",
            "--password-env",
            "PF_PASSWORD",
        ],
        &[("PF_PASSWORD", STRONG)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let firm_count: i64 = firms::table.count().get_result(&mut app.connect()).unwrap();
    assert_eq!(firm_count, 1);
}

#[tokio::test]
async fn reviewers_name_their_authority_and_managers_default_to_the_region() {
    let app = spawn_app().await;
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "r@mulei.gov.cn",
            "--name",
            "R",
            "--role",
            "reviewer",
            "--authority",
            "652328-POLICE",
            "--password-env",
            "P",
        ],
        &[("P", STRONG)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "m@xj.gov.cn",
            "--name",
            "M",
            "--role",
            "manager",
            "--password-env",
            "P",
        ],
        &[("P", STRONG)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "m2@changji.gov.cn",
            "--name",
            "M2",
            "--role",
            "manager",
            "--scope",
            "652300",
            "--password-env",
            "P",
        ],
        &[("P", STRONG)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let reviewer: Value = app
        .get_as("/api/v1/me", &app.token("r@mulei.gov.cn", STRONG).await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reviewer["authority_code"], "652328-POLICE");
    let manager: Value = app
        .get_as("/api/v1/me", &app.token("m@xj.gov.cn", STRONG).await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(manager["scope"], "650000");
    let manager: Value = app
        .get_as("/api/v1/me", &app.token("m2@changji.gov.cn", STRONG).await)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(manager["scope"], "652300");
}

#[tokio::test]
async fn bad_input_names_the_option_and_writes_nothing() {
    let app = spawn_app().await;
    let cases: [(&[&str], &str, &str); 7] = [
        (
            &["--email", "weak@x.cn", "--name", "W", "--role", "inspector"],
            "permitflow-demo",
            "password (from --password-env): is too weak",
        ),
        (
            &[
                "--email",
                "not-an-email",
                "--name",
                "W",
                "--role",
                "inspector",
            ],
            STRONG,
            "--email:",
        ),
        (
            &["--email", "a@x.cn", "--name", "A", "--role", "pilot"],
            STRONG,
            "--role:",
        ),
        (
            &["--email", "a@x.cn", "--name", "A", "--role", "applicant"],
            STRONG,
            "--firm-code: is required",
        ),
        (
            &[
                "--email",
                "a@x.cn",
                "--name",
                "A",
                "--role",
                "applicant",
                "--firm-code",
                "91350100M000100Y44",
                "--firm-name",
                "F",
            ],
            STRONG,
            "wrong check character",
        ),
        (
            &[
                "--email",
                "a@x.cn",
                "--name",
                "A",
                "--role",
                "applicant",
                "--firm-code",
                "91350100M000100Y43",
            ],
            STRONG,
            "--firm-name: a new firm needs its name",
        ),
        (
            &[
                "--email",
                "r@x.cn",
                "--name",
                "R",
                "--role",
                "reviewer",
                "--authority",
                "652328-NAVY",
            ],
            STRONG,
            "--authority: \"652328-NAVY\" is not a known authority",
        ),
    ];
    for (args, password, expected) in cases {
        let mut full = vec!["user", "create", "--password-env", "P"];
        full.extend_from_slice(args);
        let out = app.cli(&full, &[("P", password)]);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(count_users(&app), 0);
    let firm_count: i64 = firms::table.count().get_result(&mut app.connect()).unwrap();
    assert_eq!(firm_count, 0, "no firm left behind by a failed applicant");

    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "a@x.cn",
            "--name",
            "A",
            "--role",
            "admin",
            "--password-env",
            "UNSET_VAR",
        ],
        &[],
    );
    assert!(stderr(&out).contains("UNSET_VAR is not set"));
}

#[tokio::test]
async fn an_email_is_taken_once() {
    let app = spawn_app().await;
    let args = [
        "user",
        "create",
        "--email",
        "admin@x.cn",
        "--name",
        "A",
        "--role",
        "admin",
        "--password-env",
        "P",
    ];
    assert!(app.cli(&args, &[("P", STRONG)]).status.success());
    let out = app.cli(&args, &[("P", STRONG)]);
    assert!(
        stderr(&out).contains("--email: a user with this e-mail address exists already"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count_users(&app), 1);
}

#[tokio::test]
async fn seed_demo_is_idempotent() {
    let app = spawn_app().await;
    let out = app.cli(&["seed", "--demo"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = count_users(&app);
    // 5 named demo users and one reviewer per authority (35).
    assert_eq!(first, 5 + 35);
    let again = app.cli(&["seed", "--demo"], &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(count_users(&app), first);
    assert_eq!(
        app.sign_in("650000-highway@demo.local", "permitflow-demo")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.sign_in("applicant2@demo.local", "permitflow-demo")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn unsafe_configurations_are_refused() {
    let app = spawn_app().await;
    // A manual clock on a production-named database.
    let out = app.cli(
        &["serve", "--test-clock"],
        &[("DATABASE_URL", "postgres://permitflow@127.0.0.1:1/permits")],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--test-clock is refused"),
        "{}",
        stderr(&out)
    );
    // A manual clock reachable from other machines, even on SQLite.
    for bind in ["0.0.0.0:0", "192.0.2.10:8080", "[::]:0"] {
        let out = app.cli(&["serve", "--test-clock", "--bind", bind], &[]);
        assert!(!out.status.success(), "{bind}");
        assert!(
            stderr(&out).contains("only on a loopback address"),
            "{bind}: {}",
            stderr(&out)
        );
    }
    // PostgreSQL without a shared secret.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_permitflow"))
        .args(["migrate"])
        .env("DATABASE_URL", "postgres://permitflow@127.0.0.1:1/permits")
        .env_remove("SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("SECRET_KEY is required"),
        "{}",
        stderr(&out)
    );
    // A short secret.
    let out = app.cli(&["migrate"], &[("SECRET_KEY", "short")]);
    assert!(
        stderr(&out).contains("at least 32 characters"),
        "{}",
        stderr(&out)
    );
}

/// `simulate` as SPEC §9 describes it: no database, the JSON it documents, the same figures for
/// the same seed, an HTML report with its charts, and a clear refusal of a bad option.
#[test]
fn simulate_prints_the_documented_figures_the_same_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_permitflow"))
            .arg("simulate")
            .args(args)
            // No database is touched: a URL that cannot be reached changes nothing.
            .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
            .env_remove("WORKFLOW")
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let args = [
        "--from",
        "2026-02-09",
        "--days",
        "14",
        "--arrivals-per-day",
        "30",
        "--reviewers",
        "2",
        "--seed",
        "9",
        "--json",
    ];
    let first = run(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    let again = run(&args);
    assert_eq!(
        first.stdout, again.stdout,
        "the same seed, the same figures"
    );
    let json: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(
        (
            json["seed"].as_u64(),
            json["from"].as_str(),
            json["days"].as_u64()
        ),
        (Some(9), Some("2026-02-09"), Some(14))
    );
    let names: Vec<&str> = json["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["workflow"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["joint", "serial"]);
    for w in json["workflows"].as_array().unwrap() {
        for key in [
            "applications",
            "issued",
            "rejected",
            "median_net_hours",
            "p90_net_hours",
            "max_net_hours",
            "within_target_pct",
            "within_statutory_pct",
        ] {
            assert!(w[key].is_number(), "{key} in {w}");
        }
        for key in ["code", "utilisation_pct", "max_queue"] {
            assert!(
                !w["busiest_authority"][key].is_null(),
                "busiest_authority.{key} in {w}"
            );
        }
    }

    let out = run(&[
        "--from",
        "2026-02-09",
        "--days",
        "7",
        "--workflow",
        "joint",
        "--out",
        "report.html",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("within 24 h") && table.contains("joint") && !table.contains("serial"),
        "{table}"
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("24 h target") && html.contains("Open applications"),
        "{html}"
    );

    let bad = run(&["--arrivals-per-day", "0"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("--arrivals-per-day"),
        "{}",
        stderr(&bad)
    );
}

/// On SQLite the server itself checkpoints the write-ahead log every second, off the requests'
/// path (their commits would only at 10,000 pages): shortly after a write, the database file
/// alone, without its log, already holds it.
#[tokio::test]
async fn the_server_checkpoints_sqlite_s_log_into_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return;
    }
    let file = dir.path().join("served.db");
    let url = format!("sqlite://{}", file.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut served = std::process::Command::new(env!("CARGO_BIN_EXE_permitflow"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("DATA_DIR", dir.path())
        .env("SECRET_KEY", crate::helpers::TEST_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map_or(true, |r| r.status() != 200)
    {
        assert!(
            served.try_wait().unwrap().is_none(),
            "the server stopped before it was ready"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let served = Stop(served);
    // A failed sign-in is written down (it counts towards the throttle).
    let refused = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"email": "nobody@example.cn", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let copy = dir.path().join("copy.db");
    let written = |copy: &std::path::Path| -> Option<i64> {
        std::fs::copy(&file, copy).ok()?;
        let mut conn = SqliteConnection::establish(copy.to_str()?).ok()?;
        permitflow::db::schema::login_failures::table
            .count()
            .get_result(&mut conn)
            .ok()
    };
    let started = std::time::Instant::now();
    loop {
        let _ = std::fs::remove_file(&copy);
        if written(&copy).is_some_and(|n| n >= 1) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the failed sign-in is still only in the log"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    drop(served);
}
