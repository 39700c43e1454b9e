//! Health, readiness, metrics and the OpenAPI document.

use crate::helpers::{spawn_app, spawn_app_at};
use serde_json::Value;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn not_ready_when_the_database_does_not_answer() {
    // Nothing listens on port 1: the process is up, the database is not.
    let app = spawn_app_at("postgres://permitflow@127.0.0.1:1/test_unreachable");
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = spawn_app().await;
    app.get("/api/v1/jurisdictions").await;
    app.get("/api/v1/jurisdictions").await;
    app.get("/no/such/page").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"permitflow_http_requests_total{method="GET",route="/api/v1/jurisdictions",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404""#),
        "unknown paths share one label"
    );
    assert!(text.contains("permitflow_db_pool_connections"));
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/jurisdictions",
        "/api/v1/authorities",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["TokenResponse"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn test_routes_exist_only_with_the_test_clock() {
    let app = spawn_app().await;
    let moved: Value = app
        .post_json(
            "/api/v1/test/clock",
            &serde_json::json!({"advance_minutes": 90}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["now"], "2026-12-01T01:30:00Z");
    let set: Value = app
        .post_json(
            "/api/v1/test/clock",
            &serde_json::json!({"set": "2026-12-05T08:00:00Z"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(set["now"], "2026-12-05T08:00:00Z");
    assert_eq!(app.clock.now().to_string(), "2026-12-05 08:00:00");
}

#[tokio::test]
async fn the_openapi_document_describes_the_workflow_routes() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    for (path, method) in [
        ("/api/v1/applications", "post"),
        ("/api/v1/applications", "get"),
        ("/api/v1/applications/{id}", "put"),
        ("/api/v1/applications/{id}/attachments", "post"),
        ("/api/v1/applications/{id}/submit", "post"),
        ("/api/v1/applications/{id}/respond", "post"),
        ("/api/v1/applications/{id}/withdraw", "post"),
        ("/api/v1/applications/{id}/events", "get"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks/{id}/claim", "post"),
        ("/api/v1/tasks/{id}/release", "post"),
        ("/api/v1/tasks/{id}/decision", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    assert!(
        doc["components"]["schemas"]["ApplicationView"]["properties"]["net_minutes"].is_object()
    );
}
