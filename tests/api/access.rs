//! Who sees what, and writes under contention: scopes, the queue and its claims, concurrent decisions, idempotency keys, withdrawal, unique references.

use crate::flow::{blade, tasks, Flow, DEMO};
use crate::helpers::{error_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn everyone_sees_only_their_scope() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap();
    let path = format!("/api/v1/applications/{id}");

    let other_firm = app.token("applicant2@demo.local", DEMO).await;
    assert_eq!(flow.get(&other_firm, &path).await.status(), 404);
    let list: Value = flow
        .get(&other_firm, "/api/v1/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);

    // Urumqi's police have no task on it; the region's highway bureau has.
    let urumqi = flow.reviewer("650100-POLICE").await;
    assert_eq!(flow.get(&urumqi, &path).await.status(), 404);
    let region = flow.reviewer("650000-HIGHWAY").await;
    assert_eq!(flow.get(&region, &path).await.status(), 200);
    let acceptance = &tasks(&submitted, "acceptance")[0];
    let (status, _) = error_of(
        flow.decide(
            &urumqi,
            acceptance["id"].as_str().unwrap(),
            json!({"decision": "approve"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404, "another authority's task is not found");
    // A reviewer with a task on the application still cannot decide another authority's task.
    let mulei = flow.reviewer("652328-POLICE").await;
    assert_eq!(
        flow.get(&mulei, &path).await.status(),
        200,
        "a waiting task is a task"
    );
    assert_eq!(
        flow.decide(
            &mulei,
            acceptance["id"].as_str().unwrap(),
            json!({"decision": "approve"})
        )
        .await
        .status(),
        403
    );
    // An applicant has no queue and decides nothing.
    assert_eq!(
        flow.get(&flow.applicant, "/api/v1/tasks").await.status(),
        403
    );
    assert_eq!(
        flow.decide(
            &flow.applicant,
            acceptance["id"].as_str().unwrap(),
            json!({"decision": "approve"})
        )
        .await
        .status(),
        403
    );
    // Reviewers do not submit or withdraw.
    assert_eq!(
        flow.post(&region, &format!("{path}/withdraw"), &json!({}))
            .await
            .status(),
        403
    );

    // Managers see what their area's routes touch; the region sees everything.
    let manager = app.token("manager@demo.local", DEMO).await;
    assert_eq!(flow.get(&manager, &path).await.status(), 200);
    let cli = |email: &str, scope: &str| {
        app.cli(
            &[
                "user",
                "create",
                "--email",
                email,
                "--name",
                "M",
                "--role",
                "manager",
                "--scope",
                scope,
                "--password-env",
                "P",
            ],
            &[("P", "long convoy at night over the pass")],
        )
    };
    assert!(cli("hami@xj.gov.cn", "650500").status.success());
    assert!(cli("urumqi@xj.gov.cn", "650100").status.success());
    let hami = app
        .token("hami@xj.gov.cn", "long convoy at night over the pass")
        .await;
    let urumqi_manager = app
        .token("urumqi@xj.gov.cn", "long convoy at night over the pass")
        .await;
    assert_eq!(flow.get(&hami, &path).await.status(), 200);
    assert_eq!(flow.get(&urumqi_manager, &path).await.status(), 404);
    // Drafts stay with the firm.
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &blade())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        flow.get(
            &manager,
            &format!("/api/v1/applications/{}", draft["id"].as_str().unwrap())
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn the_queue_is_sorted_by_due_time_and_claims_hold() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let first = flow.submitted(&blade()).await;
    // Both before the office opens would fall due together at 12:00; the second is
    // submitted once it is open, at 10:30 Beijing time.
    app.advance_clock(150).await;
    let second = flow.submitted(&blade()).await;
    let region = flow.reviewer("650000-HIGHWAY").await;
    let queue: Vec<Value> = flow
        .get(&region, "/api/v1/tasks?state=open")
        .await
        .json()
        .await
        .unwrap();
    let refs: Vec<&str> = queue
        .iter()
        .map(|t| t["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        vec![
            first["reference"].as_str().unwrap(),
            second["reference"].as_str().unwrap()
        ],
        "oldest due first"
    );
    assert_eq!(queue[0]["phase"], "acceptance");
    assert_eq!(queue[0]["permit_class"], "III");

    let task_id = queue[0]["id"].as_str().unwrap();
    let claimed: Value = flow
        .post(
            &region,
            &format!("/api/v1/tasks/{task_id}/claim"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claimed["state"], "claimed");
    // A colleague at the same authority cannot take it or decide it.
    let out = app.cli(
        &[
            "user",
            "create",
            "--email",
            "colleague@xj.gov.cn",
            "--name",
            "C",
            "--role",
            "reviewer",
            "--authority",
            "650000-HIGHWAY",
            "--password-env",
            "P",
        ],
        &[("P", "long convoy at night over the pass")],
    );
    assert!(out.status.success());
    let colleague = app
        .token("colleague@xj.gov.cn", "long convoy at night over the pass")
        .await;
    assert_eq!(
        flow.post(
            &colleague,
            &format!("/api/v1/tasks/{task_id}/claim"),
            &json!({})
        )
        .await
        .status(),
        409
    );
    assert_eq!(
        flow.decide(&colleague, task_id, json!({"decision": "approve"}))
            .await
            .status(),
        409
    );
    let mine: Vec<Value> = flow
        .get(&region, "/api/v1/tasks?state=mine")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let released: Value = flow
        .post(
            &region,
            &format!("/api/v1/tasks/{task_id}/release"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(released["state"], "open");
    assert_eq!(
        flow.decide(&colleague, task_id, json!({"decision": "approve"}))
            .await
            .status(),
        200
    );
    let (status, _) = error_of(flow.get(&region, "/api/v1/tasks?state=everything").await).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn twenty_concurrent_decisions_have_exactly_one_winner() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let task_id = tasks(&submitted, "acceptance")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Twenty reviewers of the issuing authority, each deciding at once.
    let mut tokens = Vec::new();
    for i in 0..20 {
        tokens.push(
            app.new_reviewer(&format!("r{i}@xj.gov.cn"), "650000-HIGHWAY")
                .await,
        );
    }
    let requests = tokens.iter().enumerate().map(|(i, token)| {
        let decision = if i % 2 == 0 {
            json!({"decision": "approve"})
        } else {
            json!({"decision": "reject", "comment": "no"})
        };
        flow.decide(token, &task_id, decision)
    });
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
    let events: Vec<Value> = flow
        .get(
            &flow.applicant,
            &format!(
                "/api/v1/applications/{}/events",
                submitted["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let decisions = events
        .iter()
        .filter(|e| e["kind"] == "task_approved" || e["kind"] == "task_rejected")
        .count();
    assert_eq!(decisions, 1, "exactly one decision recorded");
}

#[tokio::test]
async fn a_repeated_write_with_the_same_idempotency_key_changes_nothing() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let send = |key: &str, body: Value| {
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&flow.applicant)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("tms-order-4711", blade()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("tms-order-4711", blade()).await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let list: Value = flow
        .get(&flow.applicant, "/api/v1/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1, "one draft, not two");
    let mut other = blade();
    other["travel"]["trips"] = json!(5);
    assert_eq!(send("tms-order-4711", other).await.unwrap().status(), 409);
    assert_eq!(send("tms-order-4712", blade()).await.unwrap().status(), 201);
}

#[tokio::test]
async fn withdrawal_and_listing() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap();
    let withdrawn: Value = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/withdraw"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert!(tasks(&withdrawn, "acceptance")
        .iter()
        .all(|t| t["state"] == "cancelled"));
    assert_eq!(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/withdraw"),
            &json!({})
        )
        .await
        .status(),
        409
    );
    flow.post(&flow.applicant, "/api/v1/applications", &blade())
        .await;
    let drafts: Value = flow
        .get(&flow.applicant, "/api/v1/applications?status=draft")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(drafts["total"], 1);
    let all: Value = flow
        .get(&flow.applicant, "/api/v1/applications?per_page=1&page=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            all["total"].as_i64(),
            all["items"].as_array().unwrap().len(),
            all["page"].as_i64()
        ),
        (Some(2), 1, Some(2))
    );
    let (status, _) = error_of(
        flow.get(&flow.applicant, "/api/v1/applications?status=lost")
            .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn references_stay_unique_when_drafts_are_created_at_once() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let body = blade();
    let creates = (0..20).map(|_| flow.post(&flow.applicant, "/api/v1/applications", &body));
    let mut references = Vec::new();
    for response in futures_util::future::join_all(creates).await {
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        references.push(body["reference"].as_str().unwrap().to_string());
    }
    references.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("PF-2026-{n:06}")).collect();
    assert_eq!(references, expected, "no gaps, no duplicates");
}
