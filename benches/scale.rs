//! `cargo bench --bench scale`: the reports, the escalation board and a reviewer's queue at
//! 1,000,000 applications.
//!
//! Fills a fresh database (a temporary SQLite file, or a new PostgreSQL database on the server
//! of `BENCH_DATABASE_URL` / `TEST_DATABASE_URL`) with `SCALE_APPLICATIONS` applications
//! (default 1,000,000) over two years, written straight as rows in large batches rather than
//! through the API: their phases, review tasks and route areas, county/prefecture/region routes
//! with the reviewers the joint definition gives them, decided ones with their net times, the
//! last two days' still open with some tasks past due. Folds the finished ones into the
//! report's cells as the server's job would (timed). Then starts the real server binary on
//! it, times `SCALE_RUNS` (default 20) requests of each kind over HTTP, and reports median and
//! p95 and the server process's peak resident memory (VmHWM).
//!
//! Not written: audit events, e-mails, attachments, permits — none of the timed queries reads
//! them (they make the database bigger, not these queries slower).

#[path = "common/mod.rs"]
mod common;

use chrono::{Duration as Span, NaiveDateTime, Utc};
use common::{ms, percentile};
use diesel::connection::SimpleConnection;
use permitflow::config::DatabaseUrl;
use permitflow::db::DbConnection;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PREFECTURES: [(&str, &[&str]); 3] = [
    (
        "652300",
        &[
            "652301", "652302", "652323", "652324", "652325", "652327", "652328",
        ],
    ),
    ("650500", &["650502", "650521", "650522"]),
    ("650100", &["650107", "650109"]),
];

/// What a row of a realistic size carries as its application body.
const INPUT: &str = r#"{"cargo":{"description":"风电叶片 Wind turbine blade","pieces":1,"divisible":false,"length_m":91.0,"width_m":4.2,"height_m":4.6,"mass_kg":36000},"vehicle":{"tractor_plate":"新B12345","trailer_plates":["新B6789挂"],"trailer_type":"extendable_blade","axles":8,"overall_length_m":96.5,"overall_width_m":4.3,"overall_height_m":4.9,"gross_mass_kg":76000,"max_axle_load_kg":11000},"route":{"origin":"木垒新能源装备产业园 Mulei new-energy equipment park","destination":"大石头风电场 Dashitou wind farm","segments":[{"road":"G7","jurisdiction":"652328","length_km":48.0},{"road":"S228","jurisdiction":"652328","length_km":22.5}]},"travel":{"from":"2026-12-02","to":"2026-12-16","trips":6},"escort":{"vehicles":2,"police_escort":true}}"#;

fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

fn opt_ts(t: Option<NaiveDateTime>) -> String {
    t.map(ts).unwrap_or_else(|| "NULL".into())
}

/// Log-normal minutes around `median`.
fn lognormal(rng: &mut StdRng, median: f64, spread: f64) -> i64 {
    let (u1, u2): (f64, f64) = (rng.random_range(1e-9..1.0), rng.random());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (median * (spread * z).exp()).clamp(5.0, 10_000.0) as i64
}

/// Statements being gathered into multi-row INSERTs.
struct Batch {
    head: &'static str,
    rows: Vec<String>,
}

impl Batch {
    fn new(head: &'static str) -> Batch {
        Batch {
            head,
            rows: Vec::new(),
        }
    }

    fn drain_into(&mut self, sql: &mut String) {
        for chunk in self.rows.chunks(500) {
            sql.push_str(self.head);
            sql.push_str(&chunk.join(","));
            sql.push_str(";\n");
        }
        self.rows.clear();
    }
}

struct Filler {
    rng: StdRng,
    firm: String,
    applicant: String,
    apps: Batch,
    phases: Batch,
    tasks: Batch,
    areas: Batch,
    task_no: u64,
}

impl Filler {
    #[allow(clippy::too_many_arguments)]
    fn task(
        &mut self,
        app: &str,
        phase: i32,
        position: i32,
        step: &str,
        authority: &str,
        budget: i64,
        opened: Option<NaiveDateTime>,
        decided: Option<(NaiveDateTime, &str)>,
    ) {
        self.task_no += 1;
        let due = opened.map(|o| o + Span::minutes(budget));
        let (state, decided_at, decision, net) = match (opened, decided) {
            (None, _) => ("waiting", None, "NULL", "NULL".to_string()),
            (Some(_), None) => ("open", None, "NULL", "NULL".to_string()),
            (Some(o), Some((at, "reject"))) => (
                "rejected",
                Some(at),
                "'reject'",
                (at - o).num_minutes().to_string(),
            ),
            (Some(o), Some((at, "cancel"))) => ("cancelled", Some(at), "NULL", {
                let _ = o;
                "NULL".to_string()
            }),
            (Some(o), Some((at, _))) => (
                "approved",
                Some(at),
                "'approve'",
                (at - o).num_minutes().to_string(),
            ),
        };
        // The SLA moment the engine would have stored with the task.
        let next_sla = permitflow::domain::workflow::escalation::next_moment(
            &permitflow::domain::timebook::Timebook::wall(),
            &permitflow::domain::workflow::Task {
                id: String::new(),
                phase: phase as usize,
                step: step.into(),
                authority_code: authority.into(),
                budget_minutes: budget,
                budget_clock: Default::default(),
                state: state.parse().unwrap(),
                assignee: None,
                opened_at: opened,
                claimed_at: None,
                due_at: due,
                decided_at,
                decision: None,
                conditions: Vec::new(),
                comment: None,
                escalation_level: 0,
                reminded_at: None,
            },
        );
        self.tasks.rows.push(format!(
            "('t{:011}','{app}',{phase},{position},'{step}','{authority}',{budget},'{state}',NULL,{},NULL,{},{},{decision},'[]',NULL,0,NULL,{net},{})",
            self.task_no,
            opt_ts(opened),
            opt_ts(due),
            opt_ts(decided_at),
            opt_ts(next_sla),
        ));
    }

    /// One application, submitted at `at`, as the engine would have left it by `now`.
    fn application(&mut self, i: u64, at: NaiveDateTime, now: NaiveDateTime) {
        let rng = &mut self.rng;
        let id = format!("a{i:011}");
        let (prefecture, counties) = PREFECTURES[rng.random_range(0..3)];
        let kind = rng.random_range(0..100);
        let (route, issuer, level): (Vec<(String, String)>, String, &str) = if kind < 70 {
            let c = counties[rng.random_range(0..counties.len())];
            (
                vec![(c.into(), prefecture.into())],
                format!("{c}-TRANSPORT"),
                "county",
            )
        } else if kind < 90 && counties.len() > 1 {
            let a = rng.random_range(0..counties.len());
            let b = (a + 1 + rng.random_range(0..counties.len() - 1)) % counties.len();
            (
                vec![
                    (counties[a].into(), prefecture.into()),
                    (counties[b].into(), prefecture.into()),
                ],
                format!("{prefecture}-HIGHWAY"),
                "prefecture",
            )
        } else {
            let (other, others) =
                PREFECTURES[(PREFECTURES.iter().position(|p| p.0 == prefecture).unwrap() + 1) % 3];
            (
                vec![
                    (counties[0].into(), prefecture.into()),
                    (others[0].into(), other.into()),
                ],
                "650000-HIGHWAY".into(),
                "region",
            )
        };
        let mut reviewers: Vec<(String, &str)> = Vec::new();
        match level {
            "county" => reviewers.push((format!("{}-POLICE", route[0].0), "county_police")),
            _ => {
                for (c, _) in &route {
                    reviewers.push((format!("{c}-TRANSPORT"), "county_transport"));
                    reviewers.push((format!("{c}-POLICE"), "county_police"));
                }
                let mut prefectures: Vec<&String> = route.iter().map(|r| &r.1).collect();
                prefectures.dedup();
                for p in prefectures {
                    if level == "region" {
                        reviewers.push((format!("{p}-HIGHWAY"), "prefecture_highway"));
                    }
                    reviewers.push((format!("{p}-POLICE"), "prefecture_police"));
                }
                if level == "region" {
                    reviewers.push(("650000-POLICE".into(), "region_police"));
                }
            }
        }
        let workflow = if rng.random_bool(0.1) {
            "serial"
        } else {
            "joint"
        };
        let class = ["I", "II", "III"][rng.random_range(0..3)];
        let fate = rng.random_range(0..100);
        let open_now = now - at < Span::hours(48);
        let slow = if workflow == "serial" { 8.0 } else { 1.0 };

        // Acceptance.
        let accepted = at + Span::minutes(lognormal(rng, 40.0, 0.5));
        let not_accepted = fate < 2 && !open_now;
        let acceptance_done = accepted < now;
        // Reviews, each at its own time; a few stuck among those still open now.
        let mut answers = Vec::new();
        for _ in &reviewers {
            let t = accepted + Span::minutes(lognormal(rng, 150.0 * slow, 0.9));
            let stuck = open_now && rng.random_bool(0.08);
            answers.push((!stuck && t < now).then_some(t));
        }
        let rejected = fate < 5 && !not_accepted && !open_now;
        let last_review = answers.iter().flatten().max().copied().unwrap_or(accepted);
        let issued_at = last_review + Span::minutes(lognormal(rng, 60.0 * slow, 0.5));
        let paused = if rng.random_bool(0.1) {
            lognormal(rng, 360.0, 0.7)
        } else {
            0
        };
        let (status, decided) = if not_accepted {
            ("not_accepted", Some(accepted))
        } else if rejected {
            ("rejected", answers[0].map(|t| t + Span::minutes(paused)))
        } else if open_now {
            (
                if acceptance_done {
                    "under_review"
                } else {
                    "submitted"
                },
                None,
            )
        } else {
            ("issued", Some(issued_at + Span::minutes(paused)))
        };
        let decided = decided.filter(|d| *d < now);
        let status = if decided.is_none() && !open_now {
            "under_review"
        } else {
            status
        };
        let net = decided.map(|d| (d - at).num_minutes() - paused);
        let local = at + Span::hours(8);
        let day = local.date();
        let week = day
            - Span::days(i64::from(
                chrono::Datelike::weekday(&day).num_days_from_monday(),
            ));
        let statutory = at + Span::days(if class == "III" { 15 } else { 5 });
        let year = chrono::Datelike::year(&day);
        self.apps.rows.push(format!(
            "('{id}','PF-{year}-{i:07}','{firm}','{applicant}','{status}',5,'{INPUT}','{workflow}',1,'{class}','{level}','{issuer}',5,{statutory},{created},{updated},{submitted},{accepted},{decided},{issued},{paused},NULL,NULL,{net},'{day}','{week}')",
            firm = self.firm,
            applicant = self.applicant,
            statutory = ts(statutory),
            created = ts(at - Span::minutes(30)),
            updated = ts(decided.unwrap_or(at)),
            submitted = ts(at),
            accepted = if acceptance_done && !not_accepted { ts(accepted) } else { "NULL".into() },
            decided = opt_ts(decided),
            issued = if status == "issued" { opt_ts(decided) } else { "NULL".into() },
            net = net.map(|n| n.to_string()).unwrap_or_else(|| "NULL".into()),
        ));
        for (county, prefecture) in &route {
            self.areas
                .rows
                .push(format!("('{id}','{county}','{prefecture}')"));
        }
        let closed = |t: Option<NaiveDateTime>| opt_ts(t);
        let review_open = acceptance_done && !not_accepted;
        let reviews_done = review_open && !open_now;
        self.phases.rows.push(format!(
            "('{id}',0,'acceptance','{}',{},{})",
            if acceptance_done { "done" } else { "open" },
            ts(at),
            closed(acceptance_done.then_some(accepted))
        ));
        self.phases.rows.push(format!(
            "('{id}',1,'joint_review','{}',{},{})",
            if reviews_done {
                "done"
            } else if review_open {
                "open"
            } else {
                "waiting"
            },
            opt_ts(review_open.then_some(accepted)),
            closed(reviews_done.then_some(last_review))
        ));
        self.phases.rows.push(format!(
            "('{id}',2,'issuance','{}',{},{})",
            if status == "issued" {
                "done"
            } else {
                "waiting"
            },
            opt_ts((status == "issued").then_some(last_review)),
            opt_ts((status == "issued").then_some(issued_at))
        ));
        // Tasks.
        let acceptance = if not_accepted {
            Some((accepted, "reject"))
        } else {
            acceptance_done.then_some((accepted, "approve"))
        };
        self.task(
            &id,
            0,
            0,
            "acceptance",
            &issuer.clone(),
            120,
            Some(at),
            acceptance,
        );
        for (k, ((authority, step), answer)) in reviewers.iter().zip(answers.clone()).enumerate() {
            let opened = review_open.then_some(accepted);
            let decision = match (status, k, answer) {
                ("rejected", 0, Some(t)) => Some((t, "reject")),
                ("rejected", _, Some(t)) => Some((t, "cancel")),
                (_, _, Some(t)) => Some((t, "approve")),
                _ => None,
            };
            self.task(&id, 1, k as i32 + 1, step, authority, 720, opened, decision);
        }
        let issuance = (status == "issued").then_some((issued_at, "approve"));
        let opened = (status == "issued").then_some(last_review);
        let position = reviewers.len() as i32 + 1;
        self.task(&id, 2, position, "issuance", &issuer, 240, opened, issuance);
    }

    fn flush(&mut self, conn: &mut DbConnection) {
        let mut sql = String::from("BEGIN;\n");
        self.apps.drain_into(&mut sql);
        self.phases.drain_into(&mut sql);
        self.tasks.drain_into(&mut sql);
        self.areas.drain_into(&mut sql);
        sql.push_str("COMMIT;");
        conn.batch_execute(&sql).unwrap();
    }
}

fn fill(conn: &mut DbConnection, n: u64, now: NaiveDateTime) {
    use diesel::prelude::*;
    use permitflow::db::schema::users;
    let (applicant, firm): (String, Option<String>) = users::table
        .filter(users::email.eq("applicant@demo.local"))
        .select((users::id, users::firm_id))
        .first(conn)
        .unwrap();
    let mut filler = Filler {
        rng: StdRng::seed_from_u64(2026),
        firm: firm.unwrap(),
        applicant,
        apps: Batch::new("INSERT INTO applications (id, reference, firm_id, created_by, status, version, input, workflow, workflow_version, permit_class, issuing_level, issuing_authority, statutory_working_days, statutory_due_at, created_at, updated_at, submitted_at, accepted_at, decided_at, issued_at, paused_minutes, paused_since, permit_no, net_minutes, submitted_day, submitted_week) VALUES "),
        phases: Batch::new("INSERT INTO application_phases (application_id, position, name, state, opened_at, completed_at) VALUES "),
        tasks: Batch::new("INSERT INTO review_tasks (id, application_id, phase_position, position, step, authority_code, budget_minutes, state, assignee, opened_at, claimed_at, due_at, decided_at, decision, conditions, comment, escalation_level, reminded_at, net_minutes, next_sla_at) VALUES "),
        areas: Batch::new("INSERT INTO application_areas (application_id, county, prefecture) VALUES "),
        task_no: 0,
    };
    let span = Span::days(730);
    let start = now - span;
    let started = Instant::now();
    for i in 0..n {
        let at = start + Span::seconds((span.num_seconds() as f64 * i as f64 / n as f64) as i64);
        filler.application(i, at, now);
        if (i + 1) % 20_000 == 0 || i + 1 == n {
            filler.flush(conn);
            eprint!(
                "\r  filled {:>9} / {n} applications ({:.0}/s)",
                i + 1,
                (i + 1) as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!();
    println!(
        "fill: {n} applications, {} review tasks in {:.0} s ({:.0} applications/s)",
        filler.task_no,
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64()
    );
}

/// Peak and current resident memory of a process, in MiB.
fn memory_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (kib("VmHWM:"), kib("VmRSS:"))
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(url: &str, dir: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_permitflow"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("DATA_DIR", dir)
        .env("SECRET_KEY", common::SECRET)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: u64 = std::env::var("SCALE_APPLICATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = std::env::var("SCALE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    // SCALE_SQLITE_DIR keeps a SQLite database for a look at the query plans.
    let folder = std::env::var("SCALE_SQLITE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().to_path_buf());
    std::fs::create_dir_all(&folder).unwrap();
    let (url, cleanup) = common::fresh_database("scale", &folder);
    let database: DatabaseUrl = url.parse().unwrap();
    let backend = if database.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let settings = common::settings(&url, dir.path());
    permitflow::startup::migrate(&settings).unwrap();
    let now = Utc::now().naive_utc();
    let mut conn = permitflow::db::conn::connect(&database).unwrap();
    permitflow::demo::seed(&mut conn, now).unwrap();
    {
        // A prefecture's supervisor too: the report's area scope.
        use diesel::prelude::*;
        use permitflow::db::users::UserRow;
        let manager: UserRow = permitflow::db::schema::users::table
            .filter(permitflow::db::schema::users::email.eq("manager@demo.local"))
            .select(UserRow::as_select())
            .first(&mut conn)
            .unwrap();
        permitflow::db::users::insert_user(
            &mut conn,
            &UserRow {
                id: "prefecture-manager".into(),
                email: "changji-manager@demo.local".into(),
                scope_jurisdiction: Some("652300".into()),
                ..manager
            },
        )
        .unwrap();
    }
    println!("scale benchmark on {backend}: {n} applications, {runs} runs per request");
    if database.is_sqlite() {
        conn.batch_execute("PRAGMA synchronous = OFF").unwrap();
    }
    fill(&mut conn, n, now);
    let started = Instant::now();
    conn.batch_execute("ANALYZE").unwrap();
    println!("analyze: {:.1} s", started.elapsed().as_secs_f64());
    // What the server's job does with rows written before the report's cells existed (or
    // while it was down): every finished application into its cells, batch by batch.
    let today = (now + Span::hours(8)).date();
    let from = today - Span::days(89);
    let reports = |conn: &mut DbConnection| -> Vec<serde_json::Value> {
        use permitflow::db::scope::Scope;
        use permitflow::service::reports::{turnaround, Group};
        [
            (Scope::Everything, Group::Week),
            (Scope::Everything, Group::Authority),
            (Scope::Area("652300".into()), Group::Week),
        ]
        .into_iter()
        .map(|(scope, group)| {
            let r = turnaround(conn, from, today, scope, group, 24, now).unwrap();
            serde_json::to_value(r).unwrap()
        })
        .collect()
    };
    let started = Instant::now();
    let from_rows = reports(&mut conn);
    println!(
        "three 90-day reports from the rows alone (nothing folded): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let folded = permitflow::service::report_cells::fold_all(&mut conn).unwrap();
    println!(
        "fold into the report cells: {folded} applications in {:.1} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        folded as f64 / started.elapsed().as_secs_f64()
    );
    // The fold refreshed the planners' statistics after it: no ANALYZE or VACUUM here, the
    // server reads the cells as it would just after an upgrade.
    assert_eq!(
        reports(&mut conn),
        from_rows,
        "the reports from the cells are the reports from the rows"
    );
    println!("the same three reports from the cells: the same figures");
    drop(conn);

    let server = start_server(&url, dir.path());
    let api = common::Api {
        client: reqwest::Client::new(),
        base: server.base.clone(),
    };
    let ready = Instant::now();
    while api
        .client
        .get(format!("{}/healthz", api.base))
        .send()
        .await
        .map(|r| !r.status().is_success())
        .unwrap_or(true)
    {
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let region = api.token("manager@demo.local").await;
    let changji = api.token("changji-manager@demo.local").await;
    let police = api.token("652328-police@demo.local").await;
    let cases: Vec<(&str, String, &String)> = vec![
        (
            "report, 90 days, by week (region)",
            format!("/api/v1/reports/turnaround?from={from}&to={today}&group=week"),
            &region,
        ),
        (
            "report, 90 days, by authority (region)",
            format!("/api/v1/reports/turnaround?from={from}&to={today}&group=authority"),
            &region,
        ),
        (
            "report, 90 days, by week (one prefecture)",
            format!("/api/v1/reports/turnaround?from={from}&to={today}&group=week"),
            &changji,
        ),
        (
            "report, 2 years, by workflow (region)",
            format!(
                "/api/v1/reports/turnaround?from={}&to={today}&group=workflow",
                today - Span::days(730)
            ),
            &region,
        ),
        (
            "escalation board (region)",
            "/api/v1/reports/escalations".into(),
            &region,
        ),
        (
            "reviewer queue (Mulei police)",
            "/api/v1/tasks?state=all".into(),
            &police,
        ),
    ];
    let mut table = String::new();
    for (name, path, token) in &cases {
        let first = api.get(token, path).await;
        assert!(first.status().is_success(), "{path}: {}", first.status());
        let body = first.text().await.unwrap();
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let r = api.get(token, path).await;
            assert!(r.status().is_success());
            r.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        let _ = writeln!(
            table,
            "  {name:<44} median {:>8.1} ms   p95 {:>8.1} ms   ({} bytes)",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            body.len()
        );
    }
    let (peak, now_rss) = memory_of(server.child.id());
    println!("{table}  server memory: peak {peak:.0} MiB, {now_rss:.0} MiB at the end");
    drop(server);
    match cleanup {
        Some((_, db)) if std::env::var("SCALE_KEEP").is_ok() => println!("kept database {db}"),
        cleanup => common::drop_database(cleanup),
    }
}
