//! The demo history: made through the engine, the same for the same seed, and telling the
//! story the dashboard is for — joint review mostly inside 24 h, serial far slower, a few
//! tasks escalated now.

use crate::flow::DEMO;
use crate::helpers::{spawn_app, test_start, TestApp};
use permitflow::demo::history::HistoryPlan;
use serde_json::Value;

/// Seeds the demo users and `days` of history up to the test clock's start.
pub async fn seeded(app: &TestApp, days: u32, seed: u64) {
    app.seed_demo().await;
    let settings = app.settings.clone();
    tokio::task::spawn_blocking(move || {
        let state =
            permitflow::startup::state(settings, permitflow::clock::Clock::manual(test_start()))
                .unwrap();
        permitflow::startup::demo_work(&state, test_start(), HistoryPlan { days, seed }).unwrap();
    })
    .await
    .unwrap();
}

/// Every application as (reference, status, workflow, net minutes), in order.
async fn story(app: &TestApp) -> Vec<(String, String, String, i64)> {
    let manager = app.token("manager@demo.local", DEMO).await;
    let mut all = Vec::new();
    for page in 1.. {
        let body: Value = app
            .get_as(
                &format!("/api/v1/applications?per_page=100&page={page}"),
                &manager,
            )
            .await
            .json()
            .await
            .unwrap();
        let items = body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        all.extend(items.iter().map(|a| {
            (
                a["reference"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
                a["workflow"].as_str().unwrap_or("").to_string(),
                a["net_minutes"].as_i64().unwrap(),
            )
        }));
    }
    all.sort();
    all
}

#[tokio::test]
async fn the_demo_history_tells_the_story_and_is_the_same_for_the_same_seed() {
    let (first, second) = (spawn_app().await, spawn_app().await);
    seeded(&first, 21, 7).await;
    seeded(&second, 21, 7).await;
    let story_one = story(&first).await;
    assert!(
        story_one.len() > 60,
        "three weeks of work: {}",
        story_one.len()
    );
    assert_eq!(story_one, story(&second).await, "same seed, same history");

    // A registration waits for the admin, once, however often the demo starts.
    seeded(&first, 21, 7).await;
    let admin = first.token("admin@demo.local", DEMO).await;
    let waiting: Vec<Value> = first
        .get_as("/api/v1/admin/registrations?status=pending", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["email"], "registration@demo.local");

    let manager = first.token("manager@demo.local", DEMO).await;
    let report: Value = first
        .get_as(
            "/api/v1/reports/turnaround?from=2026-11-01&to=2026-12-01&group=workflow",
            &manager,
        )
        .await
        .json()
        .await
        .unwrap();
    let group = |key: &str| {
        report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["key"] == key)
            .unwrap_or_else(|| panic!("no {key} group in {report}"))
            .clone()
    };
    let (joint, serial) = (group("joint"), group("serial"));
    let share = |g: &Value| g["within_target_pct"].as_f64().unwrap();
    let median = |g: &Value| g["median_hours"].as_f64().unwrap();
    assert!(share(&joint) >= 70.0, "joint mostly inside 24 h: {joint}");
    assert!(share(&serial) <= 30.0, "serial mostly not: {serial}");
    assert!(median(&serial) > 2.0 * median(&joint), "{joint} / {serial}");
    assert!(
        report["count_rejected"].as_i64().unwrap() > 0,
        "a few refusals"
    );
    assert!(
        report["count_not_accepted"].as_i64().unwrap() > 0,
        "and a few not accepted at all, counted apart"
    );

    let board: Vec<Value> = first
        .get_as("/api/v1/reports/escalations", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        board.iter().any(|t| t["level"].as_i64().unwrap() >= 1),
        "a few overdue tasks escalated: {board:?}"
    );

    // A restart adds nothing.
    seeded(&first, 21, 7).await;
    assert_eq!(story(&first).await.len(), story_one.len());
}
