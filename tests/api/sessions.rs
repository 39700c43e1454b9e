//! Web sessions: signing in through the form with its CSRF token, going back where one came
//! from (and nowhere else), the session cookie on the API (writes need the CSRF header),
//! signing out, expiry, and error pages for people in a browser.

use crate::flow::DEMO;
use crate::helpers::{spawn_app, TestApp};
use reqwest::header::{ACCEPT, LOCATION};
use reqwest::{redirect, Client, StatusCode};
use serde_json::{json, Value};

/// A browser-like client: keeps cookies, does not follow redirects (we check them).
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn csrf_in(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field in the form")
        .to_string()
}

async fn login_form(app: &TestApp, client: &Client, next: &str) -> String {
    let query = serde_urlencoded::to_string([("next", next)]).unwrap();
    let html = client
        .get(app.url(&format!("/login?{query}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csrf_in(&html)
}

async fn post_login(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    next: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf),
            ("next", next),
            ("email", "applicant@demo.local"),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_in_through_the_form_leads_back_and_needs_its_token() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let client = browser();
    let response = client
        .get(app.url("/permits/652328-2026-000001"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/login?next=%2Fpermits%2F652328-2026-000001"
    );

    let csrf = login_form(&app, &client, "/permits/652328-2026-000001").await;
    // A form without the session's token (a forged cross-site post) is refused.
    let forged = post_login(&app, &client, "0000", "/", DEMO).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let csrf_again = csrf_in(&forged.text().await.unwrap());
    assert_eq!(
        csrf_again, csrf,
        "the form shown again carries the same token"
    );
    let wrong = post_login(&app, &client, &csrf, "/", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains("邮箱或密码错误") || html.contains("Wrong"),
        "{html}"
    );
    assert!(
        html.contains("applicant@demo.local"),
        "the e-mail stays typed in"
    );

    let ok = post_login(&app, &client, &csrf, "/permits/652328-2026-000001", DEMO).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[LOCATION], "/permits/652328-2026-000001");
    // A permit that does not exist is a page saying so, not JSON, for a browser.
    let missing = client
        .get(app.url("/permits/652328-2026-000001"))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("页面不存在"));
}

#[tokio::test]
async fn only_paths_on_this_server_are_places_to_go_back_to() {
    let app = spawn_app().await;
    app.seed_demo().await;
    for next in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let client = browser();
        let csrf = login_form(&app, &client, next).await;
        let ok = post_login(&app, &client, &csrf, next, DEMO).await;
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        assert_eq!(ok.headers()[LOCATION], "/", "{next}");
    }
}

#[tokio::test]
async fn the_api_takes_the_session_cookie_but_writes_need_the_csrf_header() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let client = browser();
    let csrf = login_form(&app, &client, "/").await;
    let ok = post_login(&app, &client, &csrf, "/", DEMO).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let me: Value = client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "applicant@demo.local");
    // The token changed when signing in: the one from before no longer works.
    let draft = json!({"cargo": {"description": "Nacelle"}});
    let without = client
        .post(app.url("/api/v1/applications"))
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let stale = client
        .post(app.url("/api/v1/applications"))
        .header("X-CSRF-Token", &csrf)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    let fresh = login_form(&app, &client, "/").await;
    assert_ne!(fresh, csrf);
    let with = client
        .post(app.url("/api/v1/applications"))
        .header("X-CSRF-Token", &fresh)
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::CREATED);

    // Signing out needs the token too, and ends the session.
    let refused = client
        .post(app.url("/logout"))
        .form(&[("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let out = client
        .post(app.url("/logout"))
        .form(&[("csrf", fresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_ends_after_its_time() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let client = browser();
    let csrf = login_form(&app, &client, "/").await;
    post_login(&app, &client, &csrf, "/", DEMO).await;
    let hours = i64::from(app.settings.token_ttl_hours);
    app.advance_clock(hours * 60 - 1).await;
    let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    app.advance_clock(1).await;
    let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_trip_form_names_each_missing_field_in_the_inspectors_language() {
    let app = spawn_app().await;
    let flow = crate::flow::Flow::new(&app).await;
    let application = crate::permits::issued(&flow, &crate::permits::county_blade(2), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap();
    let permit: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap();
    let verify_url = permit["verify_url"].as_str().unwrap();
    let token = verify_url.split("?t=").nth(1).unwrap();

    let client = browser();
    let csrf = login_form(&app, &client, "/").await;
    let signed_in = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("next", "/"),
            ("email", "inspector@demo.local"),
            ("password", DEMO),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let page = client
        .get(verify_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("trip-form"),
        "an inspector gets the trip form"
    );
    let csrf = csrf_in(&page);
    let response = client
        .post(app.url(&format!("/verify/{permit_no}/trips")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("t", token),
            ("plate", " "),
            ("location", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("实际号牌：") && html.contains("核销地点："),
        "{html}"
    );
    let p: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["trips_used"], 0, "nothing recorded");
    // Without the form's token nothing happens either.
    let forged = client
        .post(app.url(&format!("/verify/{permit_no}/trips")))
        .form(&[("t", token), ("plate", "新B12345"), ("location", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_forbid_framing_and_foreign_content_and_the_cookie_is_guarded() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/api/v1/me"] {
        let response = browser().get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
    }
    let cookie = |app_url: String| async move {
        let response = browser()
            .get(format!("{app_url}/login"))
            .send()
            .await
            .unwrap();
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let plain = cookie(app.address.clone()).await;
    assert!(
        plain.contains("HttpOnly") && plain.contains("SameSite=Lax"),
        "{plain}"
    );
    assert!(
        !plain.contains("Secure"),
        "over plain http the cookie must still be sent"
    );
    let https =
        crate::helpers::spawn_app_with(|o| o.base_url = Some("https://permits.example.cn".into()))
            .await;
    let secure = cookie(https.address.clone()).await;
    assert!(
        secure.contains("Secure") && secure.contains("HttpOnly"),
        "{secure}"
    );
}

#[tokio::test]
async fn the_account_language_governs_after_sign_in_and_a_404_keeps_the_session() {
    let app = spawn_app().await;
    app.seed_demo().await;
    // An English account on a browser that prefers Chinese: English pages after signing in.
    let client = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .default_headers(
            [(
                reqwest::header::ACCEPT_LANGUAGE,
                reqwest::header::HeaderValue::from_static("zh-CN,zh;q=0.9"),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let before = client.get(app.url("/login")).send().await.unwrap();
    let html = before.text().await.unwrap();
    assert!(
        html.contains("登录"),
        "the sign-in page follows the browser"
    );
    let signed = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_in(&html).as_str()),
            ("next", "/applications"),
            ("email", "applicant2@demo.local"),
            ("password", DEMO),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let page = |path: &'static str| {
        let client = client.clone();
        let url = app.url(path);
        async move {
            let response = client
                .get(url)
                .header(reqwest::header::ACCEPT, "text/html")
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let (_, list) = page("/applications").await;
    assert!(list.contains("Our applications"), "{list}");
    // The switch still works, and is remembered.
    client.get(app.url("/lang/zh-CN")).send().await.unwrap();
    let (_, list) = page("/applications").await;
    assert!(list.contains("本单位的申请"), "{list}");
    // A page that does not exist keeps the one signed in signed in.
    let (status, missing) = page("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        missing.contains("Li Na")
            && missing.contains("/logout")
            && !missing.contains("href=\"/login\""),
        "{missing}"
    );
}
