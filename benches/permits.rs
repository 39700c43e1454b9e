//! What an inspector waits for at a checkpoint: verifying a permit from its QR code (the JSON
//! answer and the phone page) and recording a trip, one after another and with many scans at
//! once on the same permit. Runs on a temporary SQLite file, or a fresh PostgreSQL database on
//! the server of `BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`). `SCANS` sets the number of
//! sequential requests per measurement (default 1,000).
//!
//!     cargo bench --bench permits
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench permits

mod common;

use common::{ms, percentile, run_to_issue, Api, BenchApp};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn report(what: &str, mut times: Vec<Duration>, total: Duration) {
    times.sort();
    println!(
        "  {what:<34} median {:>6.2} ms   p95 {:>6.2} ms   max {:>7.2} ms   {:>6.0} requests/s",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(times[times.len() - 1]),
        times.len() as f64 / total.as_secs_f64()
    );
}

async fn timed<F, Fut>(n: usize, mut request: F) -> (Vec<Duration>, Duration)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        request(i).await;
        times.push(t.elapsed());
    }
    (times, started.elapsed())
}

async fn permit_with(
    api: &Api,
    applicant: &str,
    reviewers: &mut HashMap<String, String>,
    trips: u32,
) -> Value {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let input = json!({
        "cargo": {"description": "Wind turbine blade", "pieces": 1, "divisible": false,
                  "length_m": 126.0, "width_m": 4.8, "height_m": 4.9, "mass_kg": 58000},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"], "trailer_type": "extendable_blade",
                    "axles": 10, "overall_length_m": 131.5, "overall_width_m": 5.0, "overall_height_m": 5.3,
                    "gross_mass_kg": 98000, "max_axle_load_kg": 12500},
        "route": {"origin": "Mulei", "destination": "Santanghu",
                  "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5}]},
        "travel": {"from": today.to_string(), "to": (today + chrono::Days::new(30)).to_string(), "trips": trips},
        "escort": {"vehicles": 2, "police_escort": true}
    });
    let app = run_to_issue(api, applicant, reviewers, &input).await;
    let no = app["permit_no"].as_str().unwrap();
    api.get(applicant, &format!("/api/v1/permits/{no}"))
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::main]
async fn main() {
    let scans: usize = std::env::var("SCANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let bench = BenchApp::start("permits").await;
    let api = &bench.api;
    let applicant = api.token("applicant@demo.local").await;
    let inspector = api.token("inspector@demo.local").await;
    let mut reviewers = HashMap::new();
    let permit = permit_with(api, &applicant, &mut reviewers, 10_000).await;
    let no = permit["permit_no"].as_str().unwrap().to_string();
    let verify_url = permit["verify_url"].as_str().unwrap().to_string();
    // The address people scan (BASE_URL may name another host than this test server).
    let path = &verify_url[verify_url.find("/verify/").unwrap()..];
    println!(
        "permits on {} ({scans} sequential requests each; server with 2 workers in this process):",
        bench.backend()
    );

    let (times, total) = timed(scans, |_| async {
        let r = api.get("", &format!("/api/v1{path}")).await;
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["authentic"], true);
    })
    .await;
    report("verify, JSON (GET /api/v1/verify)", times, total);

    let (times, total) = timed(scans, |_| async {
        let r = api
            .client
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("verdict"));
    })
    .await;
    report("verify, phone page (GET /verify)", times, total);

    // Journeys back to back: a departure, then its arrival.
    let (times, total) = timed(scans, |i| {
        let (inspector, no) = (&inspector, &no);
        async move {
            let stage = if i % 2 == 0 { "departure" } else { "arrival" };
            let r = api
                .post_raw(
                    inspector,
                    &format!("/api/v1/permits/{no}/trips"),
                    json!({"plate": "新B12345", "location": "G7 Mulei toll station", "stage": stage}),
                )
                .await;
            assert_eq!(r.status(), 201);
        }
    })
    .await;
    report("record a scan (POST …/trips)", times, total);

    // Many scans at once on one permit with few trips left: the allowance must hold.
    let small = permit_with(api, &applicant, &mut reviewers, 100).await;
    let small_no = small["permit_no"].as_str().unwrap().to_string();
    let clients = 16;
    let per_client = 20;
    let started = Instant::now();
    let tasks = (0..clients).map(|_| {
        let (client, base, token, no) = (
            api.client.clone(),
            api.base.clone(),
            inspector.clone(),
            small_no.clone(),
        );
        tokio::spawn(async move {
            let (mut ok, mut refused, mut times) = (0, 0, Vec::new());
            for i in 0..per_client {
                // The vehicle departs and arrives: at sixteen gates at once, only one of
                // them sees each departure, and none more than the allowance.
                let stage = if i % 2 == 0 { "departure" } else { "arrival" };
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/permits/{no}/trips"))
                    .bearer_auth(&token)
                    .json(&json!({"plate": "新B12345", "location": "checkpoint", "stage": stage}))
                    .send()
                    .await
                    .unwrap();
                times.push(t.elapsed());
                match (stage, r.status().as_u16()) {
                    ("departure", 201) => ok += 1,
                    (_, 201) => {}
                    (_, 409) => refused += 1,
                    (_, other) => panic!("unexpected {other}"),
                }
            }
            (ok, refused, times)
        })
    });
    let mut all = Vec::new();
    let (mut ok, mut refused) = (0, 0);
    for task in futures_util::future::join_all(tasks).await {
        let (o, r, t) = task.unwrap();
        ok += o;
        refused += r;
        all.extend(t);
    }
    let total = started.elapsed();
    let after: Value = api
        .get(&inspector, &format!("/api/v1/permits/{small_no}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(ok <= 100, "never more than the allowance");
    assert_eq!(
        after["trips_used"], ok,
        "every departure counted, nothing else"
    );
    report(
        &format!("{clients} inspectors at once, 1 permit"),
        all,
        total,
    );
    println!(
        "    {ok} departures recorded, {refused} scans refused (under way, none under way, used up); trips_used = {}",
        after["trips_used"]
    );
    bench.stop().await;
}
