//! The error format and codes of API.md, in the caller's language.

use crate::helpers::{error_of, spawn_app};

#[tokio::test]
async fn malformed_json_is_a_bad_request_that_says_why() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("Content-Type", "application/json")
        .header("Accept-Language", "en")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(error["code"], "bad_request");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("The request could not be read"));
}

#[tokio::test]
async fn a_missing_field_names_it() {
    let app = spawn_app().await;
    let (status, error) = error_of(
        app.post_json(
            "/api/v1/auth/token",
            &serde_json::json!({"email": "a@b.cn"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        error["message"].as_str().unwrap().contains("password"),
        "{error}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let response = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 413);
    assert_eq!(error["code"], "payload_too_large");
}

#[tokio::test]
async fn the_wrong_content_type_is_a_bad_request() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .body("email=a")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(error["code"], "bad_request");
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_callers_language() {
    let app = spawn_app().await;
    let en = app
        .client
        .get(app.url("/api/v1/nothing"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(en.headers()["content-language"], "en");
    let (status, error) = error_of(en).await;
    assert_eq!(
        (status.as_u16(), error["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(error["message"], "Not found.");
    let (_, error) = error_of(app.get("/api/v1/nothing").await).await;
    assert_eq!(error["message"], "未找到。", "Chinese by default");
}
