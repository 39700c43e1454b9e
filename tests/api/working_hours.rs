//! Time as the authorities keep it, through the API and the pages: budgets in working hours
//! (no reminder or escalation at night for an office), the queue saying when a task falls
//! due on its authority's clock, and the region's own calendar moving the statutory deadline
//! of what the region issues — set by an admin on the region's calendar, not the nation's.

use crate::admin_pages::signed_in;
use crate::flow::{blade, tasks, Flow, DEMO};
use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn an_acceptance_opened_in_the_evening_waits_for_the_morning_without_escalating() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    // The test clock starts at 08:00 Beijing time; submitted at 19:00, half an hour before the
    // (winter) office closes at 19:30.
    app.advance_clock(11 * 60).await;
    let submitted = flow.submitted(&blade()).await;
    let acceptance = tasks(&submitted, "acceptance")[0].clone();
    assert_eq!(acceptance["budget_clock"], "working");
    // 30 minutes today, 90 tomorrow from 10:00: due at 11:30 on Wednesday (03:30 UTC).
    assert_eq!(acceptance["due_at"], "2026-12-02T03:30:00Z");

    // On the wall clock a 2-hour budget would have reached every level by 23:00 and 03:00.
    for (minutes, remaining) in [(4 * 60, 90), (4 * 60, 90), (7 * 60 + 30, 60)] {
        app.advance_clock(minutes).await;
        assert_eq!(app.run_jobs().await["escalations"], 0, "nothing at night");
        let region = flow.reviewer("650000-HIGHWAY").await;
        let queue: Vec<Value> = flow
            .get(&region, "/api/v1/tasks?state=open")
            .await
            .json()
            .await
            .unwrap();
        let item = queue.iter().find(|t| t["id"] == acceptance["id"]).unwrap();
        assert_eq!(item["remaining_minutes"], remaining, "{item}");
        assert_eq!(item["budget_clock"], "working");
    }
    // 11:01: past 90 of 120 working minutes, the reminder; 11:31: overdue, level 1.
    app.advance_clock(31).await;
    assert_eq!(
        app.run_jobs().await["escalations"],
        1,
        "the reminder at 75 %"
    );
    app.advance_clock(30).await;
    assert_eq!(app.run_jobs().await["escalations"], 1, "level 1 past 100 %");
    // Tokens expire overnight: the applicant signs in again.
    let applicant = app.token("applicant@demo.local", DEMO).await;
    let id = submitted["id"].as_str().unwrap();
    let latest: Value = flow
        .get(&applicant, &format!("/api/v1/applications/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let task = &tasks(&latest, "acceptance")[0];
    assert_eq!(task["escalation_level"], 1);
    assert_eq!(task["remaining_minutes"], -1);
}

#[tokio::test]
async fn the_queue_page_says_when_a_task_falls_due_in_working_hours() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    // 19:00 Beijing time.
    app.advance_clock(11 * 60).await;
    flow.submitted(&blade()).await;
    let (reviewer, _) = signed_in(&app, "650000-highway@demo.local", DEMO).await;
    // The account's language (Chinese) governs after sign-in; the switch gives English.
    reviewer.get(app.url("/lang/en")).send().await.unwrap();
    let english = reviewer
        .get(app.url("/queue"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        english.contains("due in 2 working hours (tomorrow 11:30)"),
        "{english}"
    );
    reviewer.get(app.url("/lang/zh-CN")).send().await.unwrap();
    let chinese = reviewer
        .get(app.url("/queue"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        chinese.contains("剩余 2 个工作小时（明天 11:30 到期）"),
        "{chinese}"
    );
}

/// Accepts `input` at once (submitted and accepted on Tue 1 Dec 2026, 08:00 Beijing time);
/// its statutory deadline.
async fn statutory_due(flow: &Flow<'_>, input: &Value) -> String {
    let submitted = flow.submitted(input).await;
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    assert_eq!(accepted["status"], "under_review", "{accepted}");
    accepted["statutory_due_at"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_regions_own_day_off_moves_what_the_region_issues_and_nothing_else() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    // 15 working days after Tue 1 Dec: Tue 22 Dec, ending at midnight Beijing time.
    assert_eq!(statutory_due(&flow, &blade()).await, "2026-12-22T16:00:00Z");

    // The admin gives the region a day off (as its notice does for 肉孜节), and Changji
    // prefecture one of its own.
    let (admin, csrf) = signed_in(&app, "admin@demo.local", DEMO).await;
    for (calendar, day) in [("650000", "2026-12-03"), ("652300", "2026-12-04")] {
        let set = admin
            .post(app.url("/admin/calendar"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("jurisdiction", calendar),
                ("day", day),
                ("working", "no"),
                ("note", "regional day off"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(set.status(), StatusCode::SEE_OTHER);
    }
    let unknown = admin
        .post(app.url("/admin/calendar"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("jurisdiction", "659999"),
            ("day", "2026-12-04"),
            ("working", "no"),
            ("note", "a day off somewhere else"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = unknown.text().await.unwrap();
    assert!(body.contains("659999"), "{body}");

    // Region-issued (650000-HIGHWAY): the region's day counts, Changji's does not.
    assert_eq!(statutory_due(&flow, &blade()).await, "2026-12-23T16:00:00Z");
    // Issued by Mulei county, within Changji within the region: both days count.
    let county = crate::permits::county_blade(3);
    assert_eq!(statutory_due(&flow, &county).await, "2026-12-24T16:00:00Z");

    // The page lists each day with its calendar, and the region's 2026 as unverified (its
    // notice is not entered), the nation's 2026 as checked.
    let html = admin
        .get(app.url("/admin/reference"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("regional day off"), "{html}");
    let year_rows: Vec<&str> = html
        .split("<tr>")
        .filter(|r| r.contains("<td>2026</td>"))
        .collect();
    assert!(
        year_rows
            .iter()
            .any(|r| r.contains("650000") && r.contains("✗")),
        "{year_rows:?}"
    );
    assert!(
        year_rows
            .iter()
            .any(|r| !r.contains("650000") && r.contains("✓")),
        "{year_rows:?}"
    );
}
