//! Times full joint-review lifecycles through the HTTP API: create a draft, upload the two
//! class III attachments, submit, accept, nine parallel approvals, issue (14 requests). Runs
//! against a temporary SQLite file, or a fresh PostgreSQL database on the server of
//! `BENCH_DATABASE_URL` (or `TEST_DATABASE_URL`). `LIFECYCLES` sets how many (default 100).
//!
//!     cargo bench --bench lifecycle
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench lifecycle

mod common;

use common::{ms, percentile, run_to_issue, BenchApp};
use std::collections::HashMap;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let lifecycles: usize = std::env::var("LIFECYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let bench = BenchApp::start("lifecycle").await;
    let api = &bench.api;
    let applicant = api.token("applicant@demo.local").await;
    let mut reviewers = HashMap::new();
    let input = common::blade_input();
    // One lifecycle first, so every reviewer's token is fetched outside the timing.
    run_to_issue(api, &applicant, &mut reviewers, &input).await;

    let mut times = Vec::with_capacity(lifecycles);
    let started = Instant::now();
    for _ in 0..lifecycles {
        let t = Instant::now();
        run_to_issue(api, &applicant, &mut reviewers, &input).await;
        times.push(t.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    println!(
        "full joint lifecycle through the API on {} ({lifecycles} lifecycles, 14 requests each, sequential):",
        bench.backend()
    );
    println!("  median {:>7.1} ms", ms(percentile(&times, 0.5)));
    println!("  p95    {:>7.1} ms", ms(percentile(&times, 0.95)));
    println!("  min    {:>7.1} ms", ms(times[0]));
    println!("  max    {:>7.1} ms", ms(times[times.len() - 1]));
    println!(
        "  {:.0} requests/s",
        (lifecycles * 14) as f64 / total.as_secs_f64()
    );
    bench.stop().await;
}
