//! What fuzzing, crashes and races broke, each kept fixed: control characters refused at the
//! edge, paging bounded, every extractor error in the error form, idempotency keys that
//! cannot get stuck, lost races as 409, sign-in throttling that concurrency cannot beat, the
//! forwarded address our proxy appended, and the smaller holes (inspector form token, route
//! segment cap, PDF structure, the OpenAPI document).

use crate::admin_pages::signed_in;
use crate::flow::{blade, tasks, Flow, DEMO};
use crate::helpers::{error_of, spawn_app, spawn_app_with, TestApp};
use crate::permits::{county_blade, issued, ready_to_issue};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn total_applications(flow: &Flow<'_>) -> u64 {
    let list: Value = flow
        .get(&flow.applicant, "/api/v1/applications")
        .await
        .json()
        .await
        .unwrap();
    list["total"].as_u64().unwrap()
}

#[tokio::test]
async fn control_characters_are_refused_at_the_edge_and_never_stored() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;

    let (status, error) = error_of(app.sign_in("a\u{0}@b.cn", "x").await).await;
    assert_eq!(
        (status.as_u16(), error["code"].as_str()),
        (422, Some("validation_failed"))
    );
    assert!(error["fields"]["email"].is_string(), "{error}");

    for path in [
        "/api/v1/applications/%00",
        "/api/v1/permits/%00",
        "/api/v1/applications/a%1Fb/events",
    ] {
        let (status, error) = error_of(flow.get(&flow.applicant, path).await).await;
        assert_eq!(
            (status.as_u16(), error["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }

    // A draft holding a NUL would make every later submit and withdraw fail on PostgreSQL.
    for (field, pointer) in [
        ("cargo.description", "/cargo/description"),
        ("route.origin", "/route/origin"),
        ("route.segments[0].road", "/route/segments/0/road"),
    ] {
        let mut input = blade();
        *input.pointer_mut(pointer).unwrap() = json!("Blade\u{0}126 m");
        let (status, error) = error_of(
            flow.post(&flow.applicant, "/api/v1/applications", &input)
                .await,
        )
        .await;
        assert_eq!(status, 422, "{field}");
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    let mut input = blade();
    input["cargo"]["description"] = json!("Blade\u{1b}[31m");
    let response = flow
        .post(&flow.applicant, "/api/v1/applications", &input)
        .await;
    assert_eq!(response.status(), 422, "an escape sequence too");
    assert_eq!(total_applications(&flow).await, 0, "nothing stored");

    // Tabs and line breaks (as a browser's text area sends them) are text.
    let mut input = blade();
    input["cargo"]["description"] = json!("Blade 126 m\r\nsecond line\twith a tab");
    let draft = flow
        .post(&flow.applicant, "/api/v1/applications", &input)
        .await;
    assert_eq!(draft.status(), 201);

    // A decision comment.
    let submitted = flow.submitted(&blade()).await;
    let task = &tasks(&submitted, "acceptance")[0];
    let reviewer = flow
        .reviewer(task["authority_code"].as_str().unwrap())
        .await;
    let (status, error) = error_of(
        flow.decide(
            &reviewer,
            task["id"].as_str().unwrap(),
            json!({"decision": "reject", "comment": "no\u{0}"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["comment"].is_string(), "{error}");
    // Withdrawal still works: nothing stored can make a state change fail.
    let id = submitted["id"].as_str().unwrap();
    let response = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/withdraw"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 200);

    // The sign-in form of the pages, and a query string.
    let response = app
        .client
        .post(app.url("/login"))
        .header("Accept-Language", "en")
        .form(&[("csrf", "x"), ("email", "x\u{0}y"), ("password", "p")])
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 422);
    assert!(error["fields"]["email"].is_string(), "{error}");
    let (status, error) = error_of(
        flow.get(&flow.applicant, "/api/v1/applications?status=%00")
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["status"].is_string(), "{error}");
}

#[tokio::test]
async fn paging_is_bounded_and_every_query_error_is_in_the_error_form() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    for (query, field) in [
        ("page=9223372036854775806", "page"),
        ("page=0", "page"),
        ("page=10001", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=AAA", "per_page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999999", "page"),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/applications?{query}")))
            .bearer_auth(&flow.applicant)
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/json",
            "{query}"
        );
        let (status, error) = error_of(response).await;
        assert_eq!(
            (status.as_u16(), error["code"].as_str()),
            (422, Some("validation_failed")),
            "{query}"
        );
        assert!(error["fields"][field].is_string(), "{query}: {error}");
    }
    flow.post(&flow.applicant, "/api/v1/applications", &blade())
        .await;
    let page: Value = flow
        .get(
            &flow.applicant,
            "/api/v1/applications?page=10000&per_page=100",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (page["page"].as_i64(), page["total"].as_i64()),
        (Some(10000), Some(1))
    );
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        0,
        "an empty page, not page 1"
    );

    // Other extractors: a query of the tasks, the report, a JSON body of the wrong shape, a
    // multipart upload that is not multipart, a form posted as JSON.
    let manager = app.token("manager@demo.local", DEMO).await;
    let (status, error) = error_of(
        flow.get(&manager, "/api/v1/reports/turnaround?from=%00")
            .await,
    )
    .await;
    assert_eq!(status, 422, "{error}");
    let id = "no-such-application";
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/attachments")))
        .bearer_auth(&flow.applicant)
        .json(&json!({"kind": "escort_plan"}))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert!(status.is_client_error(), "{status}");
    assert!(error["code"].is_string());
    let response = app
        .client
        .post(app.url("/login"))
        .json(&json!({"email": "a"}))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(error["code"], "bad_request");
    let response = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("Content-Type", "application/json")
        .body("[1, 2")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.0, 400);
}

#[tokio::test]
async fn an_idempotency_key_left_running_by_a_crash_is_taken_over() {
    use diesel::prelude::*;
    use permitflow::db::schema::idempotency_keys as k;
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let me: Value = flow
        .get(&flow.applicant, "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    // What a crash between "begin" and "finish" left behind under the former three-step
    // scheme: a key marked as running, with no response, forever.
    diesel::insert_into(k::table)
        .values((
            k::user_id.eq(me["id"].as_str().unwrap()),
            k::idempotency_key.eq("crashed-1"),
            k::request_hash.eq("whatever"),
            k::created_at.eq(app.clock.now()),
        ))
        .execute(&mut app.connect())
        .unwrap();
    let send = || {
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&flow.applicant)
            .header("Idempotency-Key", "crashed-1")
            .json(&blade())
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201, "not 409 'still running' forever");
    let first: Value = first.json().await.unwrap();
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], again["id"], "then replayed");
    assert_eq!(total_applications(&flow).await, 1);
}

#[tokio::test]
async fn concurrent_retries_of_one_key_run_the_write_exactly_once() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let requests = (0..12).map(|_| {
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&flow.applicant)
            .header("Idempotency-Key", "same-key")
            .json(&blade())
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = std::collections::BTreeSet::new();
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), 201, "each one answered as the first");
        let body: Value = response.json().await.unwrap();
        ids.insert(body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "one draft, replayed to every retry");
    assert_eq!(total_applications(&flow).await, 1);

    // A write that failed keeps no key: the same key may be used again.
    let response = app
        .client
        .post(app.url("/api/v1/applications/nope/submit"))
        .bearer_auth(&flow.applicant)
        .header("Idempotency-Key", "failed-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let draft = ids.into_iter().next().unwrap();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{draft}/withdraw")))
        .bearer_auth(&flow.applicant)
        .header("Idempotency-Key", "failed-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_losers_of_an_issuance_race_get_409_on_two_instances() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let second = app.another_instance();
    let (id, task) = ready_to_issue(&flow, &county_blade(3)).await;
    let issuer = task["authority_code"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(
            app.new_reviewer(&format!("issuer{i}@xj.gov.cn"), &issuer)
                .await,
        );
    }
    let task_id = task["id"].as_str().unwrap().to_string();
    let requests = tokens.iter().enumerate().map(|(i, token)| {
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            second.address.clone()
        };
        app.client
            .post(format!("{base}/api/v1/tasks/{task_id}/decision"))
            .bearer_auth(token)
            .json(&json!({"decision": "approve"}))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    let application = flow.fetch(&id).await;
    assert_eq!(application["status"], "issued");
    assert!(application["permit_no"].is_string());
}

/// Wrong passwords on one account (or from one address) all at once, on `bases`.
async fn wrong_passwords_at_once(
    app: &TestApp,
    bases: &[String],
    count: usize,
    email: impl Fn(usize) -> String,
) -> (usize, usize) {
    let requests = (0..count).map(|i| {
        app.client
            .post(format!("{}/api/v1/auth/token", bases[i % bases.len()]))
            .json(&json!({"email": email(i), "password": "wrong"}))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    (
        statuses.iter().filter(|s| **s == 401).count(),
        statuses.iter().filter(|s| **s == 429).count(),
    )
}

#[tokio::test]
async fn concurrent_wrong_passwords_check_no_more_than_the_limit() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let second = app.another_instance();
    let bases = [app.address.clone(), second.address.clone()];
    let (checked, limited) =
        wrong_passwords_at_once(&app, &bases, 40, |_| "admin@demo.local".into()).await;
    assert_eq!(
        (checked, limited),
        (5, 35),
        "at most 5 passwords checked per account"
    );
    assert_eq!(app.sign_in("admin@demo.local", DEMO).await.status(), 429);
    // One address, many accounts: at most 20.
    let (checked, _) = wrong_passwords_at_once(&app, &bases[..1], 60, |i| {
        format!("someone{}@demo.local", i % 10)
    })
    .await;
    assert!(
        checked <= 20 - 5,
        "20 per address, 5 already spent: {checked}"
    );
}

#[tokio::test]
async fn behind_our_proxy_a_forged_forwarded_for_picks_no_bucket() {
    let app = spawn_app_with(|o| o.trust_forwarded = true).await;
    app.seed_demo().await;
    // The proxy appends the address it saw; what the client wrote stands to the left.
    let from = |forged: String, email: String, password: &'static str| {
        let request = app
            .client
            .post(app.url("/api/v1/auth/token"))
            .header("X-Forwarded-For", format!("{forged}, 203.0.113.7"))
            .json(&json!({"email": email, "password": password}));
        async move { request.send().await.unwrap().status() }
    };
    for i in 0..20 {
        let status = from(
            format!("10.9.{i}.1"),
            format!("guess{}@demo.local", i % 5),
            "wrong",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        from("10.99.99.99".into(), "admin@demo.local".into(), DEMO).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the client's own entries do not make a new bucket"
    );
    // With two proxies of ours the client is the second entry from the right.
    let two = spawn_app_with(|o| {
        o.trust_forwarded = true;
        o.trusted_proxies = 2;
    })
    .await;
    two.seed_demo().await;
    for i in 0..20 {
        let response = two
            .client
            .post(two.url("/api/v1/auth/token"))
            .header(
                "X-Forwarded-For",
                format!("forged-{i}, 198.51.100.2, 10.0.0.1"),
            )
            .json(&json!({"email": format!("nobody{}@demo.local", i % 5), "password": "wrong"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
    }
    let response = two
        .client
        .post(two.url("/api/v1/auth/token"))
        .header("X-Forwarded-For", "elsewhere, 198.51.100.2, 10.0.0.1")
        .json(&json!({"email": "admin@demo.local", "password": DEMO}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
}

#[tokio::test]
async fn the_inspectors_form_on_the_code_page_checks_the_token() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let (inspector, csrf) = signed_in(&app, "inspector@demo.local", DEMO).await;
    let post = |t: String| {
        inspector
            .post(app.url(&format!("/verify/{permit_no}/trips")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("t", t.as_str()),
                ("plate", "新B12345"),
                ("location", "G7 Mulei"),
            ])
            .send()
    };
    let forged = post("0".repeat(22)).await.unwrap();
    assert_eq!(forged.status(), 404);
    let permit: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(permit["trips_used"], 0, "no trip on a forged code");
    let token = permit["verify_url"]
        .as_str()
        .unwrap()
        .split("?t=")
        .nth(1)
        .unwrap()
        .to_string();
    let genuine = post(token).await.unwrap();
    assert_eq!(genuine.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn route_segments_are_capped_and_a_pdf_must_be_one() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut input = blade();
    let segment = json!({"road": "G7", "jurisdiction": "652328", "length_km": 1.0});
    input["route"]["segments"] = json!(vec![segment; 5000]);
    let (status, error) = error_of(
        flow.post(&flow.applicant, "/api/v1/applications", &input)
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["route.segments"].is_string(), "{error}");
    assert_eq!(
        error["fields"].as_object().unwrap().len(),
        1,
        "one error, not 5,000"
    );
    assert_eq!(total_applications(&flow).await, 0);

    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &blade())
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let html = b"%PDF-<html><body><script>alert(document.cookie)</script></body></html>";
    let (status, error) = error_of(flow.upload(id, "contour_drawing", html).await).await;
    assert_eq!(status, 422);
    assert!(error["fields"]["file"].is_string(), "{error}");
    let pdf = permitflow::domain::attachment::sample_pdf("contour drawing");
    assert_eq!(flow.upload(id, "contour_drawing", &pdf).await.status(), 201);
}

#[tokio::test]
async fn the_openapi_document_says_what_the_answers_are() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    for part in ["cargo", "vehicle", "route", "travel", "escort"] {
        let types = &schemas["ApplicationView"]["properties"][part]["type"];
        assert!(
            types.as_array().is_some_and(|t| t.contains(&json!("null"))),
            "{part} is null in a draft: {types}"
        );
    }
    let verification = &schemas["Verification"];
    assert_eq!(
        verification["required"],
        json!(["authentic"]),
        "{verification}"
    );
    assert!(verification.get("oneOf").is_none() && verification.get("allOf").is_none());
}
