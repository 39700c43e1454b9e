//! The turnaround report against a recomputation: applications run under the test clock with
//! known times (fast and slow reviews, an information round, a rejection, one still open with
//! a task past due, two weeks), then every figure and grouping compared with what the
//! application list itself gives, computed here independently; the CSV has one row per
//! application counted. On PostgreSQL the percentiles are also checked against
//! `percentile_cont`.

use crate::flow::{blade, open_tasks, Flow, DEMO};
use crate::helpers::{error_of, spawn_app};
use crate::permits::county_blade;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Continuous percentile of unsorted values, as `percentile_cont`.
fn percentile_cont(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = p * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (pos - lo as f64) * (v[hi] - v[lo]))
}

fn close(actual: &Value, expected: Option<f64>, what: &str) {
    match expected {
        None => assert!(actual.is_null(), "{what}: {actual} instead of null"),
        Some(e) => {
            let a = actual
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: {actual}"));
            assert!((a - e).abs() < 0.006, "{what}: report {a}, recomputed {e}");
        }
    }
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

/// Minutes from `from` to `to`, as the engine counts them (whole minutes, rounded down).
fn minutes(from: &Value, to: &Value) -> i64 {
    (at(to) - at(from)).num_minutes()
}

/// The joint definition's budgets (version 2: working hours of each authority).
const BUDGETS: [(&str, i64); 3] = [("acceptance", 120), ("issuance", 120), ("", 240)];

fn budget(step: &str) -> i64 {
    BUDGETS
        .iter()
        .find(|(s, _)| *s == step || s.is_empty())
        .unwrap()
        .1
}

/// One sample per key, with whether each is within target and within the statute.
#[derive(Default)]
struct Sample(BTreeMap<String, Vec<(f64, bool, bool)>>);

impl Sample {
    fn add(&mut self, key: &str, minutes: i64, within: bool, statutory: bool) {
        self.0
            .entry(key.to_string())
            .or_default()
            .push((minutes as f64, within, statutory));
    }

    fn check(&self, groups: &Value, statutory: bool, what: &str) {
        let groups = groups.as_array().unwrap();
        let decided: Vec<&Value> = groups.iter().filter(|g| g["count"] != 0).collect();
        assert_eq!(decided.len(), self.0.len(), "{what}: keys {groups:?}");
        for (key, rows) in &self.0 {
            let g = groups
                .iter()
                .find(|g| g["key"] == key.as_str())
                .unwrap_or_else(|| panic!("{what}: no group {key} in {groups:?}"));
            let values: Vec<f64> = rows.iter().map(|r| r.0 / 60.0).collect();
            assert_eq!(g["count"], rows.len(), "{what} {key}");
            close(&g["median_hours"], percentile_cont(&values, 0.5), key);
            close(&g["p90_hours"], percentile_cont(&values, 0.9), key);
            let max = values.iter().cloned().fold(f64::MIN, f64::max);
            close(&g["max_hours"], Some(max), key);
            let share = |f: fn(&(f64, bool, bool)) -> bool| {
                (rows.iter().filter(|r| f(r)).count() as f64 * 1000.0 / rows.len() as f64).round()
                    / 10.0
            };
            close(&g["within_target_pct"], Some(share(|r| r.1)), key);
            if statutory {
                close(&g["within_statutory_pct"], Some(share(|r| r.2)), key);
            }
        }
    }
}

/// Approves every open task of the open phase after `wait` minutes each; the application.
async fn approve_phase(flow: &Flow<'_>, app: &Value, wait: i64) -> Value {
    let id = app["id"].as_str().unwrap();
    let open = open_tasks(app);
    for task in &open {
        flow.app.advance_clock(wait).await;
        flow.approve(task, &[]).await;
    }
    fetch(flow, id).await
}

/// The application as its applicant sees it, signing in again (days pass on the test clock;
/// tokens expire).
async fn fetch(flow: &Flow<'_>, id: &str) -> Value {
    let token = flow.app.token("applicant@demo.local", DEMO).await;
    flow.get(&token, &format!("/api/v1/applications/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Submits as the applicant signed in again.
async fn submitted(flow: &mut Flow<'_>, input: &Value) -> Value {
    flow.applicant = flow.app.token("applicant@demo.local", DEMO).await;
    flow.submitted(input).await
}

/// Runs an application to its permit, waiting `waits[phase]` minutes before each approval.
async fn issue(flow: &mut Flow<'_>, input: &Value, waits: [i64; 3]) -> Value {
    let mut app = submitted(flow, input).await;
    for wait in waits {
        app = approve_phase(flow, &app, wait).await;
    }
    assert_eq!(app["status"], "issued");
    app
}

fn travelling_from(mut input: Value, day: NaiveDate) -> Value {
    input["travel"]["from"] = json!(day.to_string());
    input["travel"]["to"] = json!((day + chrono::Days::new(20)).to_string());
    input
}

#[tokio::test]
async fn turnaround_figures_equal_a_recomputation_from_the_applications() {
    let app = spawn_app().await;
    let mut flow = Flow::new(&app).await;
    let today = || (app.clock.now() + chrono::TimeDelta::hours(8)).date();

    // Week 1: county-issued blades, fast and slow.
    for waits in [[30, 60, 45], [90, 400, 100], [10, 20, 30], [119, 700, 200]] {
        let input = travelling_from(county_blade(3), today());
        issue(&mut flow, &input, waits).await;
        app.advance_clock(60).await;
    }
    // A region-issued blade whose review asks for information: 5 hours waiting for the
    // applicant do not count.
    let region = travelling_from(blade(), today());
    let mut asked = submitted(&mut flow, &region).await;
    asked = approve_phase(&flow, &asked, 50).await;
    let id = asked["id"].as_str().unwrap().to_string();
    let task = crate::flow::tasks(&asked, "joint_review")[0].clone();
    let token = flow
        .reviewer(task["authority_code"].as_str().unwrap())
        .await;
    app.advance_clock(100).await;
    let response = flow
        .decide(
            &token,
            task["id"].as_str().unwrap(),
            json!({"decision": "request_info", "comment": "escort plan page 2 is missing"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.advance_clock(300).await;
    flow.applicant = app.token("applicant@demo.local", DEMO).await;
    let response = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": "attached"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    asked = fetch(&flow, &id).await;
    asked = approve_phase(&flow, &asked, 20).await;
    asked = approve_phase(&flow, &asked, 60).await;
    assert_eq!(asked["status"], "issued");
    assert_eq!(asked["paused_minutes"], 300);

    // Week 2 (eight days on): one rejected in review, one slow past 24 h, one left open with
    // its acceptance past due.
    app.advance_clock(8 * 24 * 60).await;
    let mut rejected = submitted(&mut flow, &travelling_from(county_blade(3), today())).await;
    rejected = approve_phase(&flow, &rejected, 30).await;
    let review = crate::flow::tasks(&rejected, "joint_review")[0].clone();
    let token = flow
        .reviewer(review["authority_code"].as_str().unwrap())
        .await;
    app.advance_clock(200).await;
    let response = flow
        .decide(
            &token,
            review["id"].as_str().unwrap(),
            json!({"decision": "reject", "comment": "bridge at km 12 cannot carry 76 t"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    issue(
        &mut flow,
        &travelling_from(county_blade(3), today()),
        [100, 1500, 60],
    )
    .await;
    let left_open = submitted(&mut flow, &travelling_from(county_blade(3), today())).await;
    // Past its acceptance's due time (2 working hours: on a weekend, days away).
    let due = at(&crate::flow::tasks(&left_open, "acceptance")[0]["due_at"]).naive_utc();
    app.advance_clock((due - app.clock.now()).num_minutes() + 1)
        .await;
    let now = app.clock.now();

    // The manager of the whole region; all of it happened in the 14 days up to today.
    let manager = app.token("manager@demo.local", DEMO).await;
    let (from, to) = (NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), today());
    let list: Value = flow
        .get(&manager, "/api/v1/applications?per_page=100")
        .await
        .json()
        .await
        .unwrap();
    let apps = list["items"].as_array().unwrap().clone();
    assert_eq!(apps.len(), 8);

    // The recomputation, from the applications as the API shows them.
    let mut overall = Sample::default();
    let (mut weeks, mut classes, mut workflows) =
        (Sample::default(), Sample::default(), Sample::default());
    let (mut authorities, mut phases) = (Sample::default(), Sample::default());
    let mut open_tasks: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let (mut issued, mut rejected_count, mut backlog) = (0, 0, 0);
    let mut not_accepted = 0;
    for a in &apps {
        let decided = a["status"] == "issued" || a["status"] == "rejected";
        issued += (a["status"] == "issued") as i64;
        rejected_count += (a["status"] == "rejected") as i64;
        not_accepted += (a["status"] == "not_accepted") as i64;
        backlog += (!decided) as i64;
        if decided {
            let net = a["net_minutes"].as_i64().unwrap();
            let within = net <= 24 * 60;
            let statutory = at(&a["decided_at"]) <= at(&a["statutory_due_at"]);
            let local = (at(&a["submitted_at"]) + chrono::TimeDelta::hours(8)).date_naive();
            let monday =
                local - chrono::TimeDelta::days(local.weekday().num_days_from_monday().into());
            overall.add("all", net, within, statutory);
            weeks.add(&monday.to_string(), net, within, statutory);
            classes.add(a["permit_class"].as_str().unwrap(), net, within, statutory);
            workflows.add(a["workflow"].as_str().unwrap(), net, within, statutory);
        }
        for p in a["phases"].as_array().unwrap() {
            for t in p["tasks"].as_array().unwrap() {
                let authority = t["authority_code"].as_str().unwrap();
                if t["state"] == "approved" || t["state"] == "rejected" {
                    // Time from opening on the task's clock, less pauses (which moved the due
                    // time back): on the wall clock the engine's figure is due − decided +
                    // budget; in working hours it is what the engine counted, and it must
                    // agree with the due time.
                    let step_budget = budget(t["step"].as_str().unwrap());
                    let in_budget = at(&t["decided_at"]) <= at(&t["due_at"]);
                    let since = t["net_minutes"].as_i64().unwrap();
                    if t["budget_clock"] == "wall"
                        || t["authority_code"].as_str().unwrap().ends_with("-POLICE")
                    {
                        assert_eq!(
                            since,
                            minutes(&t["due_at"], &t["decided_at"]) + step_budget,
                            "{t}"
                        );
                    } else {
                        assert_eq!(since <= step_budget, in_budget, "{t}");
                    }
                    authorities.add(authority, since, in_budget, false);
                    phases.add(p["name"].as_str().unwrap(), since, in_budget, false);
                }
                if t["state"] == "open" || t["state"] == "claimed" {
                    let e = open_tasks.entry(authority.to_string()).or_default();
                    e.0 += 1;
                    e.1 += (at(&t["due_at"]).naive_utc() < now) as i64;
                }
            }
        }
    }
    assert_eq!(weeks.0.len(), 2, "two weeks of decisions");
    assert!(
        overall.0["all"].iter().any(|r| !r.1),
        "one outside the target"
    );

    // First from the rows alone, then with every finished application folded into the
    // report's cells (the open one stays a row): the same figures.
    for round in ["rows", "cells"] {
        if round == "cells" {
            let mut conn = app.connect();
            let folded = tokio::task::spawn_blocking(move || {
                permitflow::service::report_cells::fold_all(&mut conn).unwrap()
            })
            .await
            .unwrap();
            assert_eq!(
                folded as i64,
                issued + rejected_count + not_accepted,
                "finished ones folded"
            );
        }
        for group in ["week", "authority", "phase", "class", "workflow"] {
            let path = format!("/api/v1/reports/turnaround?from={from}&to={to}&group={group}");
            let response = flow.get(&manager, &path).await;
            assert_eq!(response.status(), 200);
            let report: Value = response.json().await.unwrap();
            assert_eq!(report["target_hours"], 24);
            assert_eq!(report["count_submitted"], 8);
            assert_eq!(report["count_issued"], issued);
            assert_eq!(report["count_rejected"], rejected_count);
            assert_eq!(report["count_not_accepted"], not_accepted);
            assert_eq!(report["open_backlog"], backlog);
            let overdue: i64 = open_tasks.values().map(|o| o.1).sum();
            assert_eq!(report["overdue_tasks"], overdue);
            assert_eq!(overdue, 1, "the last acceptance is past due");
            let all = &overall.0["all"];
            let values: Vec<f64> = all.iter().map(|r| r.0 / 60.0).collect();
            close(
                &report["median_hours"],
                percentile_cont(&values, 0.5),
                "median",
            );
            close(&report["p90_hours"], percentile_cont(&values, 0.9), "p90");
            let share = |f: fn(&(f64, bool, bool)) -> bool| {
                (all.iter().filter(|r| f(r)).count() as f64 * 1000.0 / all.len() as f64).round()
                    / 10.0
            };
            close(&report["within_target_pct"], Some(share(|r| r.1)), "target");
            close(
                &report["within_statutory_pct"],
                Some(share(|r| r.2)),
                "statutory",
            );
            let expected = match group {
                "week" => &weeks,
                "authority" => &authorities,
                "phase" => &phases,
                "class" => &classes,
                _ => &workflows,
            };
            expected.check(
                &report["groups"],
                matches!(group, "week" | "class" | "workflow"),
                group,
            );
            if group == "authority" {
                for (authority, (open, late)) in &open_tasks {
                    let g = report["groups"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|g| g["key"] == authority.as_str())
                        .unwrap();
                    assert_eq!(
                        (&g["open_tasks"], &g["overdue_tasks"]),
                        (&json!(open), &json!(late))
                    );
                }
            }
        }
    }

    // The CSV: one row per application submitted in the period, with the same net hours.
    let response = flow
        .get(
            &manager,
            &format!("/api/v1/reports/turnaround.csv?from={from}&to={to}"),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 8, "{text}");
    for a in &apps {
        let row = rows
            .iter()
            .find(|r| &r[0] == a["reference"].as_str().unwrap())
            .unwrap();
        match a["status"].as_str().unwrap() {
            "issued" | "rejected" => {
                let net: f64 = row[8].parse().unwrap();
                assert!((net - a["net_minutes"].as_f64().unwrap() / 60.0).abs() < 0.006);
                let within = a["net_minutes"].as_i64().unwrap() <= 24 * 60;
                let statutory = at(&a["decided_at"]) <= at(&a["statutory_due_at"]);
                let yes = |b: bool| if b { "yes" } else { "no" };
                assert_eq!((&row[9], &row[10]), (yes(within), yes(statutory)));
            }
            _ => assert_eq!((&row[8], &row[9], &row[10]), ("", "", "")),
        }
    }
    let groups: Value = flow
        .get(
            &manager,
            &format!("/api/v1/reports/turnaround?from={from}&to={to}&group=authority"),
        )
        .await
        .json()
        .await
        .unwrap();
    let table = flow
        .get(
            &manager,
            &format!(
                "/api/v1/reports/turnaround.csv?from={from}&to={to}&group=authority&table=groups"
            ),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv::Reader::from_reader(table.as_bytes()).records().count(),
        groups["groups"].as_array().unwrap().len()
    );

    // The spreadsheet form, as Excel opens it: a byte order mark so the bytes are read as
    // UTF-8, headers and values in the manager's language, names beside codes; the same rows
    // and figures as the data form.
    let sheet = flow
        .get(
            &manager,
            &format!("/api/v1/reports/turnaround.csv?from={from}&to={to}&format=spreadsheet"),
        )
        .await
        .bytes()
        .await
        .unwrap();
    assert!(sheet.starts_with(b"\xEF\xBB\xBF"), "a BOM first");
    let sheet = std::str::from_utf8(&sheet[3..]).unwrap();
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "申请编号");
    assert_eq!(&headers[5], "发证机关");
    let sheet_rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(sheet_rows.len(), rows.len());
    for (data, shown) in rows.iter().zip(&sheet_rows) {
        assert_eq!(&data[0], &shown[0]);
        assert_eq!(&data[4], &shown[4], "the authority's code stays");
        assert!(
            !shown[5].is_empty() && shown[5].chars().any(|c| c > '\u{2e80}'),
            "its name: {shown:?}"
        );
        assert_eq!(&data[8], &shown[9], "the same net hours");
        let word = |v: &str| match v {
            "yes" => "是",
            "no" => "否",
            _ => "",
        };
        assert_eq!(word(&data[9]), &shown[10]);
        assert!(
            !["issued", "rejected", "under_review"].contains(&&shown[1]),
            "status in words"
        );
    }
    let bad = flow
        .get(
            &manager,
            &format!("/api/v1/reports/turnaround.csv?from={from}&to={to}&format=xlsx"),
        )
        .await;
    assert_eq!(bad.status(), 422);

    // A period before everything is empty; the figures are null, not zero.
    let empty: Value = flow
        .get(
            &manager,
            "/api/v1/reports/turnaround?from=2026-01-01&to=2026-01-31",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &empty["count_submitted"],
            &empty["median_hours"],
            &empty["within_target_pct"]
        ),
        (&json!(0), &Value::Null, &Value::Null)
    );

    // On PostgreSQL, the database's own percentile_cont agrees.
    if app.db.is_postgres() {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Cont {
            #[diesel(sql_type = diesel::sql_types::Double)]
            median: f64,
            #[diesel(sql_type = diesel::sql_types::Double)]
            p90: f64,
        }
        let mut conn = app.connect();
        let cont: Cont = diesel::sql_query(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY net_minutes) / 60 AS median, \
             percentile_cont(0.9) WITHIN GROUP (ORDER BY net_minutes) / 60 AS p90 \
             FROM applications WHERE status IN ('issued', 'rejected')",
        )
        .get_result(&mut conn)
        .unwrap();
        let report: Value = flow
            .get(
                &manager,
                &format!("/api/v1/reports/turnaround?from={from}&to={to}"),
            )
            .await
            .json()
            .await
            .unwrap();
        close(
            &report["median_hours"],
            Some(cont.median),
            "percentile_cont median",
        );
        close(&report["p90_hours"], Some(cont.p90), "percentile_cont p90");
    }
}

#[tokio::test]
async fn reports_are_for_managers_and_name_bad_parameters() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let response = flow
        .get(&flow.applicant, "/api/v1/reports/turnaround")
        .await;
    assert_eq!(response.status(), 403);
    let response = flow
        .get(&flow.applicant, "/api/v1/reports/turnaround.csv")
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.get("/api/v1/reports/turnaround").await.status(), 401);

    let manager = app.token("manager@demo.local", DEMO).await;
    let (status, error) = error_of(
        flow.get(
            &manager,
            "/api/v1/reports/turnaround?from=2026-13-01&to=2026-12-01&group=county",
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["from"]
        .as_str()
        .unwrap()
        .contains("2026-13-01"));
    assert!(error["fields"]["group"]
        .as_str()
        .unwrap()
        .contains("county"));
    let (status, error) = error_of(
        flow.get(
            &manager,
            "/api/v1/reports/turnaround?from=2026-12-10&to=2026-12-01",
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["to"].is_string());
    // Without a period: the last 90 days, grouped by week.
    let report: Value = flow
        .get(&manager, "/api/v1/reports/turnaround")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&report["to"], &report["from"], &report["group"]),
        (&json!("2026-12-01"), &json!("2026-09-03"), &json!("week"))
    );
}

/// Applications written straight as rows (any mix of statuses, routes, tasks and days), then
/// every scope and grouping of the report compared, after each partial fold, with the report
/// computed from the rows alone (the same transaction with the cells emptied and the folds
/// undone, rolled back).
#[actix_web::test]
async fn report_cells_give_the_figures_of_the_rows_in_every_scope_and_grouping() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use permitflow::db::scope::Scope;
    use permitflow::service::report_cells::fold;
    use permitflow::service::reports::{turnaround, Group};
    use rand::{Rng, SeedableRng};

    let app = spawn_app().await;
    app.seed_demo().await;
    let mut conn = app.connect();
    tokio::task::spawn_blocking(move || {
        let (applicant, firm): (String, Option<String>) = permitflow::db::schema::users::table
            .filter(permitflow::db::schema::users::email.eq("applicant@demo.local"))
            .select((
                permitflow::db::schema::users::id,
                permitflow::db::schema::users::firm_id,
            ))
            .first(&mut conn)
            .unwrap();
        let firm = firm.unwrap();
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(4, 0, 0)
            .unwrap();
        let ts = |t: chrono::NaiveDateTime| format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"));
        let mut rng = rand::rngs::StdRng::seed_from_u64(19);
        let routes: [&[(&str, &str)]; 4] = [
            &[("652328", "652300")],
            &[("652328", "652300"), ("652301", "652300")],
            &[("652301", "652300"), ("650107", "650100")],
            &[("650502", "650500")],
        ];
        let mut write = |conn: &mut permitflow::db::DbConnection, from: usize, n: usize| {
            let mut sql = String::from("BEGIN;\n");
            for i in from..from + n {
                let id = format!("r{i:05}");
                let at = now - chrono::TimeDelta::minutes(rng.random_range(0..20 * 1440));
                let day = (at + chrono::TimeDelta::hours(8)).date();
                let week = day - chrono::TimeDelta::days(day.weekday().num_days_from_monday() as i64);
                let status = ["issued", "issued", "rejected", "not_accepted", "withdrawn", "under_review", "info_requested"]
                    [rng.random_range(0..7)];
                let decided = matches!(status, "issued" | "rejected" | "not_accepted")
                    .then(|| at + chrono::TimeDelta::minutes(rng.random_range(5..4000)));
                // Equal times are common in real data (whole minutes): a few distinct ones.
                let net = decided.map(|d| (d - at).num_minutes() / 7 * 7);
                let statutory = at + chrono::TimeDelta::minutes(rng.random_range(600..3000));
                let workflow = ["joint", "serial"][rng.random_range(0..2)];
                let class = ["I", "II", "III"][rng.random_range(0..3)];
                let kind = ["single", "project"][rng.random_range(0..2)];
                let opt = |t: Option<chrono::NaiveDateTime>| t.map(ts).unwrap_or("NULL".into());
                sql.push_str(&format!(
                    "INSERT INTO applications (id, reference, firm_id, created_by, status, version, input, workflow, workflow_version, permit_class, issuing_level, issuing_authority, statutory_working_days, statutory_due_at, created_at, updated_at, submitted_at, accepted_at, decided_at, issued_at, paused_minutes, paused_since, permit_no, net_minutes, submitted_day, submitted_week, kind) VALUES ('{id}', 'PF-R-{i:05}', '{firm}', '{applicant}', '{status}', 3, '{{}}', '{workflow}', 1, '{class}', 'county', '652328-TRANSPORT', 5, {}, {}, {}, {}, NULL, {}, NULL, 0, NULL, NULL, {}, '{day}', '{week}', '{kind}');\n",
                    ts(statutory), ts(at), ts(at), ts(at), opt(decided),
                    net.map(|n| n.to_string()).unwrap_or("NULL".into()),
                ));
                for (county, prefecture) in routes[rng.random_range(0..routes.len())] {
                    sql.push_str(&format!(
                        "INSERT INTO application_areas (application_id, county, prefecture) VALUES ('{id}', '{county}', '{prefecture}');\n"
                    ));
                }
                for (position, phase) in ["acceptance", "joint_review", "issuance"].iter().enumerate() {
                    sql.push_str(&format!(
                        "INSERT INTO application_phases (application_id, position, name, state, opened_at, completed_at) VALUES ('{id}', {position}, '{phase}', 'done', {}, NULL);\n",
                        ts(at)
                    ));
                }
                for k in 0..rng.random_range(1..6) {
                    let phase = k.min(2);
                    let authority = ["652328-POLICE", "652300-POLICE", "650000-HIGHWAY", "652328-TRANSPORT"][rng.random_range(0..4)];
                    let decided_task = rng.random_bool(0.7);
                    let due = at + chrono::TimeDelta::minutes(rng.random_range(60..1000));
                    let decided_at = decided_task.then(|| at + chrono::TimeDelta::minutes(rng.random_range(1..1500)));
                    let net = decided_at.map(|d| ((d - at).num_minutes() / 5 * 5).to_string());
                    sql.push_str(&format!(
                        "INSERT INTO review_tasks (id, application_id, phase_position, position, step, authority_code, budget_minutes, state, opened_at, due_at, decided_at, conditions, escalation_level, net_minutes) VALUES ('{id}-{k}', '{id}', {phase}, {k}, 'county_police', '{authority}', 240, '{}', {}, {}, {}, '[]', 0, {});\n",
                        if decided_task { "approved" } else { "open" },
                        ts(at), ts(due), opt(decided_at), net.unwrap_or("NULL".into()),
                    ));
                }
            }
            sql.push_str("COMMIT;");
            conn.batch_execute(&sql).unwrap();
        };
        write(&mut conn, 0, 300);

        let from = chrono::NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        let to = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let scopes = [
            Scope::Everything,
            Scope::Area("652300".into()),
            Scope::Area("652328".into()),
            Scope::Area("650100".into()),
            Scope::Area("650500".into()),
        ];
        let report = |conn: &mut permitflow::db::DbConnection, scope: &Scope, group: Group| {
            let r = turnaround(conn, from, to, scope.clone(), group, 24, now).unwrap();
            serde_json::to_value(r).unwrap()
        };
        let check = |conn: &mut permitflow::db::DbConnection, stage: &str| {
            let mut groups_seen = 0;
            for scope in &scopes {
                for group in Group::ALL {
                    let expected = {
                        let mut out = None;
                        let _ = permitflow::db::write_transaction(conn, |conn| {
                            conn.batch_execute(
                                "DELETE FROM report_applications; DELETE FROM report_tasks; \
                                 UPDATE applications SET report_folded = FALSE",
                            )?;
                            out = Some(report(conn, scope, group));
                            Err::<(), _>(diesel::result::Error::RollbackTransaction)
                        });
                        out.unwrap()
                    };
                    let actual = report(conn, scope, group);
                    assert_eq!(actual, expected, "{stage}: {scope:?} by {group:?}");
                    groups_seen += actual["groups"].as_array().unwrap().len();
                }
            }
            assert!(groups_seen > 60, "{stage}: the sample has groups ({groups_seen})");
        };
        check(&mut conn, "nothing folded");
        assert_eq!(fold(&mut conn, 70).unwrap(), 70);
        check(&mut conn, "70 folded");
        let mut folded = 70;
        loop {
            let n = fold(&mut conn, 64).unwrap();
            if n == 0 {
                break;
            }
            folded += n;
        }
        let terminal: i64 = diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT COUNT(*) FROM applications WHERE status IN ('issued', 'rejected', 'not_accepted', 'withdrawn'))",
        ))
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(folded as i64, terminal, "every finished application folded once");
        check(&mut conn, "all folded");
        // Open ones finish after the fold; more arrive: folded again, nothing counted twice.
        conn.batch_execute(
            "UPDATE applications SET status = 'issued', decided_at = submitted_at, net_minutes = 0 \
             WHERE status = 'info_requested'",
        )
        .unwrap();
        write(&mut conn, 300, 100);
        check(&mut conn, "finished and new rows beside the cells");
        assert!(fold(&mut conn, 1_000).unwrap() > 0);
        check(&mut conn, "folded again");
    })
    .await
    .unwrap();
}
