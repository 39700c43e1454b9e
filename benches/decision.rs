//! `cargo bench --bench decision`: a reviewer's decision through the HTTP API as the
//! authority's history grows. The issuing authority of a class III blade (the region's
//! highway bureau, which accepts and issues) is given 1,000, then 10,000, 100,000 and
//! 1,000,000 earlier applications with a decided task each; at each size `LIFECYCLES` full
//! joint-review lifecycles (default 20) run, and the latency of every decision is timed, the
//! bureau's apart from the other authorities'. Every decision checks the caller's access to
//! the application (`db::scope`, a probe keyed by the application): the figures should not
//! grow with the history. SQLite by default; PostgreSQL with `BENCH_DATABASE_URL=postgres://…`.

mod common;

use common::{ms, percentile, run_to_issue_timed, BenchApp};
use std::collections::HashMap;
use std::time::Duration;

const AUTHORITY: &str = "650000-HIGHWAY";

#[tokio::main]
async fn main() {
    let lifecycles: usize = std::env::var("LIFECYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let bench = BenchApp::start("decision").await;
    let api = &bench.api;
    let applicant = api.token("applicant@demo.local").await;
    let mut reviewers = HashMap::new();
    let input = common::blade_input();
    // Tokens fetched, and the bureau checked to be the one deciding, outside the timing.
    let mut first = HashMap::new();
    run_to_issue_timed(api, &applicant, &mut reviewers, &input, &mut first).await;
    assert!(
        first.contains_key(AUTHORITY),
        "the bureau decides a class III blade"
    );

    let mut conn = permitflow::db::conn::connect(&bench.database).unwrap();
    let (user, firm) = common::demo_applicant(&mut conn);
    println!(
        "decision latency through the API on {} ({lifecycles} lifecycles per size)",
        bench.backend()
    );
    println!(
        "{:>10}  {:>16}  {:>16}  {:>18}",
        "tasks", "bureau p50 ms", "bureau p95 ms", "others p50 ms"
    );
    let mut have = 0;
    for size in [1_000u64, 10_000, 100_000, 1_000_000] {
        common::grow_history(&mut conn, AUTHORITY, have, size, &firm, &user);
        have = size;
        let mut decisions: HashMap<String, Vec<Duration>> = HashMap::new();
        for _ in 0..lifecycles {
            run_to_issue_timed(api, &applicant, &mut reviewers, &input, &mut decisions).await;
        }
        let mut bureau = decisions.remove(AUTHORITY).unwrap_or_default();
        let mut others: Vec<Duration> = decisions.into_values().flatten().collect();
        bureau.sort();
        others.sort();
        println!(
            "{size:>10}  {:>16.1}  {:>16.1}  {:>18.1}",
            ms(percentile(&bureau, 0.5)),
            ms(percentile(&bureau, 0.95)),
            ms(percentile(&others, 0.5)),
        );
    }
    drop(conn);
    bench.stop().await;
}
