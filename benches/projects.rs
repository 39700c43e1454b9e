//! Transport projects at campaign scale: drafting and submitting a project of 6 loads and 30
//! vehicles (create, a drawing per load and the escort plan, submit); 1,000 scans from 30
//! vehicles of one project at once, each vehicle departing, sighted and arriving in turn (the
//! allowance set below what they try, so it must hold); and the project's page and progress
//! with 5,000 recorded trips. Runs on a temporary SQLite file, or a fresh PostgreSQL database
//! on the server of `BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`).
//!
//!     cargo bench --bench projects
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench projects

mod common;

use common::{ms, percentile, Api, BenchApp, PDF};
use diesel::prelude::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const KEYS: [&str; 6] = ["blade", "tower-a", "tower-b", "tower-c", "nacelle", "hub"];

fn summary(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "  {what:<44} median {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(times[times.len() - 1]),
    );
}

/// A Mulei campaign of six loads and thirty vehicles, `trips` per load.
fn campaign(trips: u32, first_plate: u32) -> Value {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let load = |key: &str| {
        let (trailer, axles, l, w, h, gross, max) = match key {
            "blade" => ("extendable_blade", 8, 95.0, 4.2, 4.6, 78000, 11000),
            "hub" => ("flatbed", 6, 17.0, 4.8, 4.9, 58000, 11500),
            "nacelle" => ("hydraulic_modular", 10, 20.0, 4.5, 5.6, 120000, 13000),
            _ => ("hydraulic_modular", 10, 36.0, 4.8, 5.2, 110000, 13000),
        };
        json!({"key": key,
               "cargo": {"description": format!("{key} of a 5 MW turbine"), "pieces": 1, "divisible": false,
                         "length_m": l - 8.0, "width_m": w - 0.2, "height_m": h - 1.0, "mass_kg": gross / 2},
               "vehicle": {"trailer_type": trailer, "axles": axles, "overall_length_m": l,
                           "overall_width_m": w, "overall_height_m": h, "gross_mass_kg": gross,
                           "max_axle_load_kg": max},
               "trips": trips})
    };
    let fleet: Vec<Value> = (0..30)
        .map(|i| {
            let (trailer, axles, carries) = match i {
                0..=11 => ("extendable_blade", 8, json!(["blade"])),
                12..=23 => (
                    "hydraulic_modular",
                    10,
                    json!(["tower-a", "tower-b", "tower-c", "nacelle"]),
                ),
                _ => ("flatbed", 6, json!(["hub"])),
            };
            json!({"tractor_plate": format!("新B{}", first_plate + i),
                   "trailer_plates": [format!("新B{}挂", 7000 + i)],
                   "trailer_type": trailer, "axles": axles, "loads": carries})
        })
        .collect();
    json!({
        "kind": "project",
        "project": {"name": "Benchmark wind farm", "site": "Dashitou", "sets": 100},
        "route": {"origin": "Mulei park", "destination": "Dashitou wind farm",
                  "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 48.0},
                               {"road": "S228", "jurisdiction": "652328", "length_km": 22.5}]},
        "travel": {"from": today.to_string(), "to": (today + chrono::Days::new(180)).to_string()},
        "escort": {"vehicles": 2, "police_escort": true},
        "loads": KEYS.iter().map(|k| load(k)).collect::<Vec<_>>(),
        "fleet": fleet
    })
}

async fn upload(api: &Api, token: &str, id: &str, kind: &str, load: Option<&str>) {
    let mut form = reqwest::multipart::Form::new()
        .text("kind", kind.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("a.pdf"),
        );
    if let Some(load) = load {
        form = form.text("load", load.to_string());
    }
    let r = api
        .client
        .post(format!("{}/api/v1/applications/{id}/attachments", api.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Drafts, attaches and submits; the submitted application and each step's time.
async fn submit(api: &Api, applicant: &str, input: &Value) -> (Value, [Duration; 3]) {
    let t = Instant::now();
    let draft = api
        .post(applicant, "/api/v1/applications", input.clone())
        .await;
    let create = t.elapsed();
    let id = draft["id"].as_str().unwrap().to_string();
    let t = Instant::now();
    for key in KEYS {
        upload(api, applicant, &id, "contour_drawing", Some(key)).await;
    }
    upload(api, applicant, &id, "escort_plan", None).await;
    let files = t.elapsed();
    let t = Instant::now();
    let submitted = api
        .post(
            applicant,
            &format!("/api/v1/applications/{id}/submit"),
            json!({}),
        )
        .await;
    (submitted, [create, files, t.elapsed()])
}

async fn issue(
    api: &Api,
    applicant: &str,
    reviewers: &mut HashMap<String, String>,
    input: &Value,
) -> Value {
    let (mut app, _) = submit(api, applicant, input).await;
    let id = app["id"].as_str().unwrap().to_string();
    while app["status"] != "issued" {
        let open: Vec<Value> = app["phases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["state"] == "open")
            .flat_map(|p| p["tasks"].as_array().unwrap().clone())
            .filter(|t| t["state"] == "open")
            .collect();
        assert!(!open.is_empty(), "stuck at {}", app["status"]);
        for task in open {
            let code = task["authority_code"].as_str().unwrap().to_string();
            if !reviewers.contains_key(&code) {
                let token = api
                    .token(&format!("{}@demo.local", code.to_lowercase()))
                    .await;
                reviewers.insert(code.clone(), token);
            }
            api.post(
                &reviewers[&code],
                &format!("/api/v1/tasks/{}/decision", task["id"].as_str().unwrap()),
                json!({"decision": "approve"}),
            )
            .await;
        }
        app = api
            .get(applicant, &format!("/api/v1/applications/{id}"))
            .await
            .json()
            .await
            .unwrap();
    }
    app
}

/// 5,000 trips with their scans written straight to the database (the page reads what is
/// there; recording them through the API is what the scan benchmark measures).
fn fill_trips(bench: &BenchApp, permits: &[String], inspector_email: &str, trips: usize) {
    use permitflow::db::permits::{ScanRow, TripRow};
    use permitflow::db::schema::{permits as p, users};
    let mut conn = permitflow::db::conn::connect(&bench.database).unwrap();
    let inspector: String = users::table
        .filter(users::email.eq(inspector_email))
        .select(users::id)
        .first(&mut conn)
        .unwrap();
    let start = chrono::Utc::now().naive_utc() - chrono::TimeDelta::days(60);
    permitflow::db::write_transaction(&mut conn, |conn| {
        let mut numbers: HashMap<&str, i32> = HashMap::new();
        for i in 0..trips {
            let permit = &permits[i % permits.len()];
            let n = numbers.entry(permit).or_insert(0);
            *n += 1;
            let vehicle = format!("新B{}", 60000 + (i % 30));
            let at = start + chrono::TimeDelta::minutes(15 * i as i64);
            let id = permitflow::db::new_id();
            permitflow::db::permits::insert_trip(
                conn,
                &TripRow {
                    id: id.clone(),
                    permit_no: permit.clone(),
                    trip_no: *n,
                    plate: vehicle.clone(),
                    location: "Mulei park".into(),
                    note: String::new(),
                    recorded_by: inspector.clone(),
                    recorded_at: at,
                    vehicle: vehicle.clone(),
                    arrived_at: Some(at + chrono::TimeDelta::hours(4)),
                    last_seen_at: Some(at + chrono::TimeDelta::hours(4)),
                    last_seen_location: Some("Dashitou".into()),
                },
            )?;
            for (stage, hours) in [("departure", 0), ("checkpoint", 2), ("arrival", 4)] {
                permitflow::db::permits::insert_scan(
                    conn,
                    &ScanRow {
                        id: if stage == "departure" {
                            id.clone()
                        } else {
                            permitflow::db::new_id()
                        },
                        permit_no: permit.clone(),
                        trip_no: *n,
                        stage: stage.into(),
                        plate: vehicle.clone(),
                        location: stage.into(),
                        note: String::new(),
                        inspector: inspector.clone(),
                        at: at + chrono::TimeDelta::hours(hours),
                        warnings: "[]".into(),
                    },
                )?;
            }
        }
        for (permit, n) in numbers {
            diesel::update(p::table.find(permit))
                .set(p::trips_used.eq(n))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}

/// A cookie session for the pages, signed in through the login form.
async fn page_client(api: &Api, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .get(format!("{}/login", api.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = login
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let r = client
        .post(format!("{}/login", api.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("next", "/applications"),
            ("email", email),
            ("password", "permitflow-demo"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sign-in: {}", r.status());
    client
}

#[tokio::main]
async fn main() {
    let bench = BenchApp::start("projects").await;
    let api = &bench.api;
    let applicant = api.token("applicant@demo.local").await;
    let inspector = api.token("inspector@demo.local").await;
    let mut reviewers = HashMap::new();
    println!(
        "transport projects on {} (server with 2 workers in this process):",
        bench.backend()
    );

    // Create and submit: 6 loads, 30 vehicles, 6 drawings and an escort plan.
    let runs = 20;
    let (mut create, mut files, mut submitting, mut whole) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let (app, [c, f, s]) = submit(api, &applicant, &campaign(300, 40000)).await;
        whole.push(t.elapsed());
        assert_eq!(app["status"], "submitted");
        create.push(c);
        files.push(f);
        submitting.push(s);
    }
    println!("  a project of 6 loads and 30 vehicles, {runs} times:");
    summary("create the draft (POST /applications)", create);
    summary("7 attachments (6 drawings, 1 escort plan)", files);
    summary("submit (every rule of every load)", submitting);
    summary("all of it", whole);

    // 1,000 scans from 30 vehicles at once: each vehicle departs, is sighted, arrives, again.
    let allowed = 40;
    let project = issue(api, &applicant, &mut reviewers, &campaign(allowed, 50000)).await;
    let permits: Vec<String> = project["permits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let load_of = |i: u32| match i {
        0..=11 => 0,
        12..=23 => 1 + (i as usize % 4),
        _ => 5,
    };
    let per_vehicle = 1000 / 30 + 1;
    let started = Instant::now();
    let tasks = (0..30u32).map(|v| {
        let (client, base, token) = (api.client.clone(), api.base.clone(), inspector.clone());
        let permit = permits[load_of(v)].clone();
        tokio::spawn(async move {
            let mut out = Vec::new();
            for s in 0..per_vehicle {
                let stage = ["departure", "checkpoint", "arrival"][s % 3];
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/permits/{permit}/trips"))
                    .bearer_auth(&token)
                    .json(&json!({"plate": format!("新B{}", 50000 + v), "location": "G7", "stage": stage}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                assert!(status == 201 || status == 409, "scan: {status}");
                out.push((t.elapsed(), stage, status));
            }
            out
        })
    });
    let mut times = Vec::new();
    let mut departed = 0;
    let mut refused = 0;
    for task in futures_util::future::join_all(tasks).await {
        for (t, stage, status) in task.unwrap() {
            times.push(t);
            departed += usize::from(stage == "departure" && status == 201);
            refused += usize::from(status == 409);
        }
    }
    let total = started.elapsed();
    let mut used = 0;
    for no in &permits {
        let p: Value = api
            .get(&inspector, &format!("/api/v1/permits/{no}"))
            .await
            .json()
            .await
            .unwrap();
        let n = p["trips_used"].as_i64().unwrap();
        assert!(n <= i64::from(allowed), "{no}: {n} trips of {allowed}");
        used += n;
    }
    assert_eq!(
        used as usize, departed,
        "every departure counted, nothing else"
    );
    let scans = times.len();
    println!(
        "  {scans} scans from 30 vehicles at once, {:.0} scans/s:",
        scans as f64 / total.as_secs_f64()
    );
    summary("a scan (POST /permits/{no}/trips)", times);
    println!(
        "    {departed} departures recorded, {refused} scans refused; no permit past its {allowed} trips"
    );

    // The page of a project with 5,000 recorded trips.
    let big = issue(api, &applicant, &mut reviewers, &campaign(1000, 60000)).await;
    let id = big["id"].as_str().unwrap().to_string();
    let permits: Vec<String> = big["permits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    fill_trips(&bench, &permits, "inspector@demo.local", 5000);
    let pages = page_client(api, "applicant@demo.local").await;
    let (mut page, mut progress) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        let t = Instant::now();
        let html = pages
            .get(format!("{}/applications/{id}", api.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        page.push(t.elapsed());
        assert!(
            html.contains("5000 </strong>") || html.contains("<strong>5000</strong>"),
            "the page shows 5,000 trips"
        );
        let t = Instant::now();
        let body: Value = api
            .get(&applicant, &format!("/api/v1/applications/{id}/progress"))
            .await
            .json()
            .await
            .unwrap();
        progress.push(t.elapsed());
        assert_eq!(body["trips_used"], 5000);
    }
    println!("  a project with 5,000 recorded trips, 50 requests each:");
    summary("the project page (GET /applications/{id})", page);
    summary("its progress (GET …/{id}/progress)", progress);
    bench.stop().await;
}
