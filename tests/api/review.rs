//! Joint and serial review through the API: phases, information rounds, rejection.

use crate::flow::{blade, phase, tasks, Flow};
use crate::helpers::{error_of, spawn_app, spawn_app_with};
use serde_json::{json, Value};

#[tokio::test]
async fn a_blade_across_two_prefectures_through_joint_review() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    assert_eq!(
        submitted["status"], "submitted",
        "acceptance is not automatic"
    );
    assert_eq!(submitted["permit_class"], "III");
    assert_eq!(submitted["issuing_level"], "region");
    assert_eq!(submitted["issuing_authority"], "650000-HIGHWAY");
    assert_eq!(submitted["workflow"], "joint");
    assert!(submitted["reference"]
        .as_str()
        .unwrap()
        .starts_with("PF-2026-"));
    assert_eq!(submitted["submitted_at"], "2026-12-01T00:00:00Z");
    assert_eq!(submitted["target_due_at"], "2026-12-02T00:00:00Z");
    let acceptance = tasks(&submitted, "acceptance");
    assert_eq!(acceptance.len(), 1);
    // 2 working hours of the region's highway administration: submitted at 08:00 Beijing
    // time, before the office opens at 10:00, due at 12:00 (04:00 UTC).
    assert_eq!(acceptance[0]["due_at"], "2026-12-01T04:00:00Z");
    assert_eq!(acceptance[0]["budget_clock"], "working");
    assert_eq!(acceptance[0]["remaining_minutes"], 120);

    app.advance_clock(45).await;
    let accepted = flow.approve(&acceptance[0], &[]).await;
    assert_eq!(accepted["status"], "under_review");
    assert_eq!(accepted["accepted_at"], "2026-12-01T00:45:00Z");
    // 15 working days after Tue 1 Dec (Shanghai): Tue 22 Dec, ending at midnight Shanghai time.
    assert_eq!(accepted["statutory_due_at"], "2026-12-22T16:00:00Z");
    let reviews = tasks(&accepted, "joint_review");
    assert_eq!(reviews.len(), 9, "nine parallel reviews");
    // 4 working hours each: the offices' from 10:00 to 14:00 Beijing time (06:00 UTC); the
    // traffic police are on duty around the clock, so theirs end at 12:45 (04:45 UTC).
    for t in &reviews {
        let police = t["authority_code"].as_str().unwrap().ends_with("-POLICE");
        let due = if police {
            "2026-12-01T04:45:00Z"
        } else {
            "2026-12-01T06:00:00Z"
        };
        assert_eq!(
            (t["state"].as_str(), t["due_at"].as_str()),
            (Some("open"), Some(due)),
            "{t}"
        );
    }
    assert_eq!(phase(&accepted, "issuance")["state"], "waiting");

    let mut latest = accepted.clone();
    for (i, task) in reviews.iter().enumerate() {
        app.advance_clock(20).await;
        let conditions: &[&str] = if i % 3 == 0 {
            &["night travel only", "police escort"]
        } else {
            &["night travel only"]
        };
        latest = flow.approve(task, conditions).await;
        if i < 8 {
            assert_eq!(
                phase(&latest, "joint_review")["state"],
                "open",
                "after {} of 9",
                i + 1
            );
        }
    }
    assert_eq!(phase(&latest, "joint_review")["state"], "done");
    let issuance = tasks(&latest, "issuance");
    assert_eq!(issuance[0]["state"], "open");
    app.advance_clock(30).await;
    let issued = flow.approve(&issuance[0], &[]).await;
    assert_eq!(issued["status"], "issued");
    let advanced = 45 + 9 * 20 + 30;
    assert_eq!(
        issued["net_minutes"], advanced,
        "net time is exactly the time that passed"
    );
    assert_eq!(issued["gross_minutes"], advanced);
    assert_eq!(issued["paused_minutes"], 0);
    assert!(issued["issued_at"].is_string() && issued["decided_at"] == issued["issued_at"]);

    // The clock stops at the decision.
    app.advance_clock(600).await;
    let later = flow.fetch(issued["id"].as_str().unwrap()).await;
    assert_eq!(later["net_minutes"], advanced);

    let events: Vec<Value> = flow
        .get(
            &flow.applicant,
            &format!(
                "/api/v1/applications/{}/events",
                issued["id"].as_str().unwrap()
            ),
        )
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "task_approved").count(), 11);
    for kind in [
        "created",
        "attachment_added",
        "submitted",
        "accepted",
        "phase_opened",
        "phase_completed",
        "issued",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let approval = events
        .iter()
        .find(|e| {
            e["kind"] == "task_approved" && e["detail"]["conditions"].as_array().unwrap().len() == 2
        })
        .unwrap();
    assert!(
        approval["actor"].as_str().unwrap().contains("审核员"),
        "the reviewer's name: {approval}"
    );
}

#[tokio::test]
async fn an_information_round_is_not_counted() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    app.advance_clock(10).await;
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    app.advance_clock(20).await;
    flow.approve(&reviews[1], &[]).await;

    // The Mulei police want the escort plan's second page.
    let asking = reviews
        .iter()
        .find(|t| t["authority_code"] == "652328-POLICE")
        .unwrap();
    let police = flow.reviewer("652328-POLICE").await;
    app.advance_clock(30).await;
    let response = flow
        .decide(
            &police,
            asking["id"].as_str().unwrap(),
            json!({"decision": "request_info", "comment": "escort plan page 2 is missing"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let waiting: Value = response.json().await.unwrap();
    assert_eq!(waiting["status"], "info_requested");

    app.advance_clock(120).await;
    let paused = flow.fetch(&id).await;
    assert_eq!(paused["paused_minutes"], 120);
    assert_eq!(
        paused["net_minutes"], 60,
        "the clock stands while the applicant is asked"
    );
    assert_eq!(paused["target_due_at"], "2026-12-02T02:00:00Z");

    // An answer needs a message.
    let (status, error) = error_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": " "}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), error["fields"]["message"].is_string()),
        (422, true)
    );
    let answered: Value = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": "page 2 attached"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answered["status"], "under_review");
    assert_eq!(answered["paused_minutes"], 120);
    let reviews = tasks(&answered, "joint_review");
    let reopened = reviews
        .iter()
        .find(|t| t["authority_code"] == "652328-POLICE")
        .unwrap();
    assert_eq!(reopened["state"], "open");
    assert_eq!(
        reviews.iter().filter(|t| t["state"] == "approved").count(),
        1,
        "no material change: approvals stand"
    );
    // The statutory deadline moves by the pause.
    assert_eq!(answered["statutory_due_at"], "2026-12-22T18:00:00Z");

    for task in reviews.iter().filter(|t| t["state"] == "open") {
        flow.approve(task, &[]).await;
    }
    let latest = flow.fetch(&id).await;
    app.advance_clock(15).await;
    let issued = flow.approve(&tasks(&latest, "issuance")[0], &[]).await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["gross_minutes"], 10 + 20 + 30 + 120 + 15);
    assert_eq!(issued["net_minutes"], 10 + 20 + 30 + 15);
}

#[tokio::test]
async fn a_changed_route_in_an_information_round_reopens_every_review() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    flow.approve(&reviews[0], &[]).await;
    let highway = flow.reviewer("650500-HIGHWAY").await;
    let asking = reviews
        .iter()
        .find(|t| t["authority_code"] == "650500-HIGHWAY")
        .unwrap();
    flow.decide(
        &highway,
        asking["id"].as_str().unwrap(),
        json!({"decision": "request_info", "comment": "use S303 instead of G7 at km 40"}),
    )
    .await;

    // A route that brings in another county would change the reviewers: refused, nothing changed.
    let mut other_county = blade();
    other_county["route"]["segments"][0]["jurisdiction"] = json!("652325");
    let (status, error) = error_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": "new route", "changes": other_county}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["route.segments"].is_string());
    assert_eq!(flow.fetch(&id).await["status"], "info_requested");

    let mut new_road = blade();
    new_road["route"]["segments"][0]["road"] = json!("S303");
    let answered: Value = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/respond"),
            &json!({"message": "S303 it is", "changes": new_road}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answered["route"]["segments"][0]["road"], "S303");
    let reviews = tasks(&answered, "joint_review");
    assert!(
        reviews.iter().all(|t| t["state"] == "open"),
        "a material change re-opens every review: {reviews:?}"
    );
}

#[tokio::test]
async fn a_rejection_cancels_the_other_reviews() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let accepted = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    let reviews = tasks(&accepted, "joint_review");
    let changji_police = reviews
        .iter()
        .find(|t| t["authority_code"] == "652300-POLICE")
        .unwrap();
    flow.approve(changji_police, &["escort vehicles"]).await;
    let grid_free = reviews
        .iter()
        .find(|t| t["authority_code"] == "650521-TRANSPORT")
        .unwrap();
    let barkol = flow.reviewer("650521-TRANSPORT").await;
    let (status, error) = error_of(
        flow.decide(
            &barkol,
            grid_free["id"].as_str().unwrap(),
            json!({"decision": "reject"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), error["fields"]["comment"].is_string()),
        (422, true),
        "a rejection needs its reason"
    );
    let rejected: Value = flow
        .decide(
            &barkol,
            grid_free["id"].as_str().unwrap(),
            json!({"decision": "reject", "comment": "bridge K12 closed for repair"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    let reviews = tasks(&rejected, "joint_review");
    assert_eq!(
        reviews.iter().filter(|t| t["state"] == "cancelled").count(),
        7
    );
    assert_eq!(
        reviews.iter().filter(|t| t["state"] == "approved").count(),
        1
    );
    assert_eq!(tasks(&rejected, "issuance")[0]["state"], "cancelled");
    // Nothing can be decided any more.
    let other = reviews.iter().find(|t| t["state"] == "cancelled").unwrap();
    let token = flow
        .reviewer(other["authority_code"].as_str().unwrap())
        .await;
    assert_eq!(
        flow.decide(
            &token,
            other["id"].as_str().unwrap(),
            json!({"decision": "approve"})
        )
        .await
        .status(),
        409
    );
}

#[tokio::test]
async fn serial_review_goes_level_by_level() {
    let app = spawn_app_with(|o| o.workflow = Some("serial".into())).await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    assert_eq!(submitted["workflow"], "serial");
    let names: Vec<&str> = submitted["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "acceptance",
            "county_review",
            "prefecture_review",
            "region_review",
            "issuance"
        ]
    );
    let mut latest = flow.approve(&tasks(&submitted, "acceptance")[0], &[]).await;
    for (name, count) in [
        ("county_review", 4),
        ("prefecture_review", 4),
        ("region_review", 1),
    ] {
        let open = tasks(&latest, name);
        assert_eq!(open.len(), count, "{name}");
        assert!(
            open.iter().all(|t| t["state"] == "open"),
            "{name} opens when the level below is done"
        );
        assert!(open.iter().all(|t| t["due_at"].is_string()));
        for later in ["prefecture_review", "region_review", "issuance"]
            .iter()
            .skip_while(|n| **n != name)
            .skip(1)
        {
            assert_eq!(
                phase(&latest, later)["state"],
                "waiting",
                "{later} waits while {name} is open"
            );
        }
        for task in &open {
            app.advance_clock(60).await;
            latest = flow.approve(task, &[]).await;
        }
    }
    let issued = flow.approve(&tasks(&latest, "issuance")[0], &[]).await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["net_minutes"], 9 * 60);
}

/// A decision's updates (the application, its task, its phase) have one shape each: they are
/// compiled once per connection and then taken from the statement cache, not compiled again
/// at every decision inside the write transaction that SQLite lets one writer hold at a time.
#[tokio::test]
async fn a_decisions_updates_are_compiled_once_per_connection() {
    use diesel::connection::{Connection, InstrumentationEvent};
    use permitflow::db::applications as q;
    use std::sync::{Arc, Mutex};

    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&blade()).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let mut conn = app.connect();
    let compiled = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = compiled.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::CacheQuery { sql, .. } = event {
            seen.lock().unwrap().push(sql.to_string());
        }
    });
    let mut task = q::tasks(&mut conn, &id).unwrap().remove(0);
    let mut phase = q::phases(&mut conn, &id).unwrap().remove(0);
    let mut row = q::find(&mut conn, &id).unwrap().unwrap();
    for round in 1..=3 {
        task.comment = Some(format!("round {round}"));
        q::update_task(&mut conn, &task).unwrap();
        phase.completed_at = Some(crate::helpers::test_start());
        q::update_phase(&mut conn, &phase).unwrap();
        let version = row.version;
        row.version += 1;
        assert!(q::update_if_version(&mut conn, &row, version).unwrap());
        assert!(
            !q::update_if_version(&mut conn, &row, version).unwrap(),
            "stale version"
        );
    }
    let stored = q::tasks(&mut conn, &id).unwrap().remove(0);
    assert_eq!(stored.comment.as_deref(), Some("round 3"));
    assert_eq!(
        q::find(&mut conn, &id).unwrap().unwrap().version,
        row.version
    );
    let compiled = compiled.lock().unwrap();
    let updates: Vec<&String> = compiled
        .iter()
        .filter(|sql| sql.trim_start().starts_with("UPDATE"))
        .collect();
    assert_eq!(
        updates.len(),
        3,
        "one compiled UPDATE per shape: {compiled:#?}"
    );
}
