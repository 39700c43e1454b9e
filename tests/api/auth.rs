//! Tokens, `/me`, and sign-in throttling per account and per address.

use crate::helpers::{error_of, spawn_app, spawn_app_with};
use serde_json::Value;

const DEMO: &str = "permitflow-demo";

#[tokio::test]
async fn a_token_opens_me() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let response = app.sign_in("Applicant@Demo.Local ", DEMO).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("pf_") && token.len() > 60);
    assert_eq!(
        body["expires_at"], "2026-12-02T00:00:00Z",
        "24 hours after the test clock's start"
    );
    assert_eq!(body["user"]["role"], "applicant");
    assert_eq!(body["user"]["firm_code"].as_str().unwrap().len(), 18);

    let me: Value = app.get_as("/api/v1/me", token).await.json().await.unwrap();
    assert_eq!(me["email"], "applicant@demo.local");
    assert_eq!(me["id"], body["user"]["id"]);

    let reviewer = app.token("652328-police@demo.local", DEMO).await;
    let me: Value = app
        .get_as("/api/v1/me", &reviewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["authority_code"], "652328-POLICE");
    assert!(me.get("firm_code").is_none());
}

#[tokio::test]
async fn no_or_bad_token_is_401() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/me").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, error) = error_of(response).await;
    assert_eq!(
        (status.as_u16(), error["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(app.get_as("/api/v1/me", "pf_0000").await.status(), 401);
    assert_eq!(app.get_as("/api/v1/me", "").await.status(), 401);
}

#[tokio::test]
async fn tokens_expire() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let token = app.token("manager@demo.local", DEMO).await;
    app.advance_clock(24 * 60 - 1).await;
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 200);
    app.advance_clock(1).await;
    assert_eq!(app.get_as("/api/v1/me", &token).await.status(), 401);
}

#[tokio::test]
async fn wrong_passwords_get_401_then_429() {
    let app = spawn_app().await;
    app.seed_demo().await;
    for attempt in 1..=5 {
        let (status, error) = error_of(app.sign_in("inspector@demo.local", "wrong").await).await;
        assert_eq!(status, 401, "attempt {attempt}");
        assert_eq!(error["code"], "unauthorized");
    }
    let locked = app.sign_in("inspector@demo.local", "wrong").await;
    assert_eq!(locked.status(), 429);
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    let (_, error) = error_of(locked).await;
    assert_eq!(error["code"], "rate_limited");

    // While locked, the right password is refused too: the lock must not confirm a guess.
    assert_eq!(
        app.sign_in("inspector@demo.local", DEMO).await.status(),
        429
    );
    // Other accounts are not affected.
    assert_eq!(app.sign_in("manager@demo.local", DEMO).await.status(), 200);
    // The window passes.
    app.advance_clock(16).await;
    assert_eq!(
        app.sign_in("inspector@demo.local", DEMO).await.status(),
        200
    );
}

#[tokio::test]
async fn unknown_accounts_fail_like_wrong_passwords() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let (s1, e1) = error_of(app.sign_in("nobody@demo.local", DEMO).await).await;
    let (s2, e2) = error_of(app.sign_in("admin@demo.local", "not it").await).await;
    assert_eq!((s1, &e1), (s2, &e2));
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_throttled() {
    let app = spawn_app().await;
    app.seed_demo().await;
    // 20 failures spread over accounts (4 each, under the per-account limit).
    for i in 0..20 {
        let email = format!("guess{}@demo.local", i % 5);
        assert_eq!(
            app.sign_in(&email, "wrong").await.status(),
            401,
            "failure {i}"
        );
    }
    assert_eq!(app.sign_in("admin@demo.local", DEMO).await.status(), 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_on_its_own() {
    let app = spawn_app_with(|o| o.trust_forwarded = true).await;
    app.seed_demo().await;
    let sign_in_from = |client: &'static str, email: String, password: &'static str| {
        let request = app
            .client
            .post(app.url("/api/v1/auth/token"))
            .header("X-Forwarded-For", client)
            .json(&serde_json::json!({"email": email, "password": password}));
        async move { request.send().await.unwrap().status() }
    };
    for i in 0..20 {
        assert_eq!(
            sign_in_from("203.0.113.7", format!("guess{}@demo.local", i % 5), "wrong").await,
            401
        );
    }
    assert_eq!(
        sign_in_from("203.0.113.7", "admin@demo.local".into(), DEMO).await,
        429
    );
    // Another client behind the same proxy is not locked out.
    assert_eq!(
        sign_in_from("198.51.100.2", "admin@demo.local".into(), DEMO).await,
        200
    );
}
