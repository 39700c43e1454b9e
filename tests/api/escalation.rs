//! The escalation monitor (督办) under the test clock: a reminder at 75 % of a task's budget,
//! levels 1–3 past 100 %, 150 % and 200 %, each once, each an audit event and e-mails, also
//! with two instances on one database.

use crate::flow::{blade, tasks, Flow};
use crate::helpers::spawn_app_with;
use crate::smtp::SmtpServer;
use serde_json::Value;

#[tokio::test]
async fn a_late_acceptance_climbs_the_ladder_once_per_level() {
    let smtp = SmtpServer::start(false);
    let url = smtp.url();
    let app = spawn_app_with(move |o| o.smtp_url = Some(url)).await;
    let flow = Flow::new(&app).await;
    // Region-issued: the region highway bureau accepts, with a budget of 2 working hours. The
    // test clock starts at 08:00 Beijing time, before the office opens at 10:00 (winter hours
    // 10:00–14:00 and 15:30–19:30), so the budget's clock starts at 10:00.
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let acceptance = tasks(&submitted, "acceptance")[0].clone();
    assert_eq!(app.run_jobs().await["escalations"], 0);
    let before = smtp.received().len();

    let mut fired = Vec::new();
    for minutes in [209, 1, 30, 1, 59, 1, 59, 1, 89, 1, 600] {
        app.advance_clock(minutes).await;
        fired.push(app.run_jobs().await["escalations"].as_i64().unwrap());
    }
    // 11:29: 89 working minutes, 74 %; 11:30: reminder; 12:00: due; 12:01: L1; 13:00: 150 %;
    // 13:01: L2; 14:00: 200 %; 14:01 and 15:29: the lunch break, the clock stands; 15:31: L3
    // (241 working minutes); later nothing.
    assert_eq!(fired, [0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0]);
    let latest = flow.fetch(&id).await;
    assert_eq!(tasks(&latest, "acceptance")[0]["escalation_level"], 3);
    assert_eq!(acceptance["id"], tasks(&latest, "acceptance")[0]["id"]);

    let events: Vec<Value> = flow
        .get(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/events"),
        )
        .await
        .json()
        .await
        .unwrap();
    let reminders = events
        .iter()
        .filter(|e| e["kind"] == "task_reminded")
        .count();
    let levels: Vec<i64> = events
        .iter()
        .filter(|e| e["kind"] == "task_escalated")
        .map(|e| e["detail"]["level"].as_i64().unwrap())
        .collect();
    assert_eq!((reminders, levels), (1, vec![1, 2, 3]));

    let mails = smtp.received()[before..].to_vec();
    let kind = |m: &crate::smtp::Received| m.header("X-Permitflow-Event");
    let reminded: Vec<&str> = mails
        .iter()
        .filter(|m| kind(m) == "task_reminder")
        .map(|m| m.to[0].as_str())
        .collect();
    assert_eq!(reminded, ["650000-highway@demo.local"]);
    let escalated: Vec<(String, String)> = mails
        .iter()
        .filter(|m| kind(m) == "task_escalated")
        .map(|m| (m.to[0].clone(), m.header("Subject")))
        .collect();
    // Level 1 to the authority's reviewers and the managers of its jurisdiction (the region
    // here), levels 2 and 3 to the region's managers (a region authority has no prefecture).
    assert!(escalated
        .iter()
        .any(|(to, s)| to == "650000-highway@demo.local" && s.contains("1 级督办")));
    assert!(escalated
        .iter()
        .any(|(to, s)| to == "manager@demo.local" && s.contains("3 级督办")));
    assert_eq!(escalated.len(), 4, "{escalated:?}");
    assert!(mails
        .iter()
        .all(|m| kind(m) != "task_reminder" || m.parts().0.contains("四分之三")));

    // The escalation board: the region's manager sees it, level 3, overdue on the wall clock
    // since 12:00 (1051 minutes after 08:00, less 240).
    let manager = app.token("manager@demo.local", crate::flow::DEMO).await;
    let board: Value = app
        .get_as("/api/v1/reports/escalations", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board.as_array().unwrap().len(), 1, "{board}");
    assert_eq!(board[0]["task_id"], acceptance["id"]);
    assert_eq!(board[0]["level"], 3);
    assert_eq!(board[0]["overdue_minutes"], 1051 - 240);
    assert_eq!(board[0]["reference"], latest["reference"]);
    assert_eq!(
        app.get_as("/api/v1/reports/escalations", &flow.applicant)
            .await
            .status(),
        403,
        "for managers"
    );
    // A manager of a prefecture the route does not cross sees nothing of it.
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "urumqi@xj.gov.cn",
            "--name",
            "乌鲁木齐督办",
            "--role",
            "manager",
            "--scope",
            "650100",
            "--password-env",
            "P",
        ],
        &[("P", "supervision of the capital's roads")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elsewhere = app
        .token("urumqi@xj.gov.cn", "supervision of the capital's roads")
        .await;
    let board: Value = app
        .get_as("/api/v1/reports/escalations", &elsewhere)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board, serde_json::json!([]));
    // Decided, it leaves the board.
    flow.approve(&tasks(&latest, "acceptance")[0], &[]).await;
    let board: Value = app
        .get_as("/api/v1/reports/escalations", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        board
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["task_id"] != acceptance["id"]),
        "{board}"
    );
}

#[tokio::test]
async fn two_instances_record_each_threshold_once() {
    let app = spawn_app_with(|_| {}).await;
    let flow = Flow::new(&app).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let submitted = flow.submitted(&blade()).await;
        ids.push(submitted["id"].as_str().unwrap().to_string());
    }
    // Past 150 % of every acceptance's 2 working hours (from 10:00, when the office opens, to
    // 13:01): a level 1 and a level 2 each, no reminder (already late).
    app.advance_clock(301).await;
    let other = app.another_instance();
    let nothing = serde_json::json!({});
    let (a, b) = tokio::join!(
        app.post_json("/api/v1/test/run-jobs", &nothing),
        other.post_json("/api/v1/test/run-jobs", &nothing)
    );
    let a: Value = a.json().await.unwrap();
    let b: Value = b.json().await.unwrap();
    let total = a["escalations"].as_i64().unwrap() + b["escalations"].as_i64().unwrap();
    assert_eq!(total, 6, "3 applications × 2 levels, once: {a} {b}");
    for id in &ids {
        let events: Vec<Value> = flow
            .get(
                &flow.applicant,
                &format!("/api/v1/applications/{id}/events"),
            )
            .await
            .json()
            .await
            .unwrap();
        let levels: Vec<i64> = events
            .iter()
            .filter(|e| e["kind"] == "task_escalated")
            .map(|e| e["detail"]["level"].as_i64().unwrap())
            .collect();
        assert_eq!(levels, [1, 2]);
    }
}
