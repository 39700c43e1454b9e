//! Accounts a firm opens itself: registration, confirmation, approval or refusal, password
//! reset, colleagues and the account's language — with the links read out of the e-mails the
//! real SMTP server received.

use crate::flow::{blade, Flow, DEMO};
use crate::helpers::{error_of, spawn_app_with, TestApp};
use crate::smtp::{Received, SmtpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A valid credit code (GB 32100 check character) that no demo firm has.
pub const NEW_FIRM: &str = "91652201MA7XYK123X";
pub const PASSWORD: &str = "tarmac convoy blade horizon";

pub async fn app_with_mail(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(move |o| {
        o.smtp_url = Some(url);
        o.trust_forwarded = true;
    })
    .await
}

pub fn registration(email: &str) -> Value {
    json!({"firm_code": NEW_FIRM, "firm_name": "哈密天山风电物流有限公司",
           "licence_no": "新交运管许可哈字652201000321号", "contact_name": "马建国",
           "phone": "139 9902 1234", "email": email, "password": PASSWORD, "language": "zh-CN"})
}

pub async fn post_from(app: &TestApp, from: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("X-Forwarded-For", from)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The e-mails to `to` delivered so far, oldest first.
pub async fn mail_to(app: &TestApp, smtp: &SmtpServer, to: &str) -> Vec<Received> {
    app.run_jobs().await;
    smtp.received()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == to))
        .collect()
}

/// The newest e-mail of `event` to `to`, after delivering what is due (e-mails queued together
/// may arrive in any order).
pub async fn newest(app: &TestApp, smtp: &SmtpServer, to: &str, event: &str) -> Received {
    mail_to(app, smtp, to)
        .await
        .into_iter()
        .rfind(|m| m.header("X-Permitflow-Event") == event)
        .unwrap_or_else(|| panic!("no {event} e-mail to {to}"))
}

/// The token of the link (`...?token=...`) in an e-mail's text and HTML.
pub fn token_in(mail: &Received) -> String {
    let (text, html) = mail.parts();
    let find = |body: &str| {
        let at = body.find("?token=").expect("a link with a token") + 7;
        body[at..at + 64].to_string()
    };
    let token = find(&text);
    assert_eq!(find(&html), token, "the same link in both parts");
    token
}

fn event(mail: &Received) -> String {
    mail.header("X-Permitflow-Event")
}

async fn admin(app: &TestApp) -> String {
    app.token("admin@demo.local", DEMO).await
}

async fn pending(app: &TestApp, admin: &str) -> Vec<Value> {
    let response = app
        .get_as("/api/v1/admin/registrations?status=pending", admin)
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Vec<Value>>().await.unwrap()
}

async fn post_as(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Registers and confirms `email`; the registration's id.
async fn registered_and_confirmed(app: &TestApp, smtp: &SmtpServer, email: &str) -> String {
    let response = post_from(
        app,
        "203.0.113.1",
        "/api/v1/registrations",
        &registration(email),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mails = mail_to(app, smtp, email).await;
    let token = token_in(mails.last().unwrap());
    let confirmed = app
        .post_json("/api/v1/registrations/confirm", &json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status(), 200);
    id
}

#[tokio::test]
async fn a_firm_registers_confirms_is_approved_signs_in_and_applies() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let admin = admin(&app).await;
    let email = "ma.jianguo@tianshan-logistics.cn";

    let response = post_from(
        &app,
        "203.0.113.1",
        "/api/v1/registrations",
        &registration(email),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "email_unverified");
    let id = body["id"].as_str().unwrap().to_string();
    assert!(
        pending(&app, &admin).await.is_empty(),
        "not pending before its e-mail is confirmed"
    );

    let mails = mail_to(&app, &smtp, email).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(event(&mails[0]), "registration_confirm");
    let (text, _) = mails[0].parts();
    assert!(
        text.contains("马建国") && text.contains("哈密天山风电物流有限公司"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/register/confirm?token=", app.address)),
        "{text}"
    );
    assert!(
        text.contains("（北京时间）"),
        "the link's expiry in local time: {text}"
    );
    let token = token_in(&mails[0]);

    let confirmed = app
        .post_json("/api/v1/registrations/confirm", &json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status(), 200);
    assert_eq!(
        confirmed.json::<Value>().await.unwrap(),
        json!({"status": "pending_approval"})
    );
    let (status, error) = error_of(
        app.post_json("/api/v1/registrations/confirm", &json!({ "token": token }))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(error["fields"]["token"].is_string(), "{error}");

    // The admins are told it waits.
    let told = newest(&app, &smtp, "admin@demo.local", "registration_waiting").await;
    let (text, _) = told.parts();
    assert!(
        text.contains("哈密天山风电物流有限公司")
            && text.contains(&format!("{}/admin/registrations", app.address)),
        "{text}"
    );

    // Not an account until an admin approves.
    assert_eq!(app.sign_in(email, PASSWORD).await.status(), 401);
    let waiting = pending(&app, &admin).await;
    assert_eq!(waiting.len(), 1);
    let row = &waiting[0];
    assert_eq!(
        (
            row["id"].as_str(),
            row["firm_code"].as_str(),
            row["licence_no"].as_str(),
            row["phone"].as_str(),
            row["email"].as_str(),
            row["status"].as_str()
        ),
        (
            Some(id.as_str()),
            Some(NEW_FIRM),
            Some("新交运管许可哈字652201000321号"),
            Some("13999021234"),
            Some(email),
            Some("pending")
        )
    );
    assert!(row.get("existing_firm").is_none(), "a new firm: {row}");
    assert!(row.get("password").is_none() && row.get("password_hash").is_none());

    // Only an admin decides.
    let applicant = app.token("applicant@demo.local", DEMO).await;
    let refused = post_as(
        &app,
        &applicant,
        &format!("/api/v1/admin/registrations/{id}/approve"),
        &json!({"oversize_qualified": true}),
    )
    .await;
    assert_eq!(refused.status(), 403);

    let approved = post_as(
        &app,
        &admin,
        &format!("/api/v1/admin/registrations/{id}/approve"),
        &json!({"oversize_qualified": true}),
    )
    .await;
    assert_eq!(approved.status(), 200);
    let user: Value = approved.json().await.unwrap();
    assert_eq!(
        (
            user["role"].as_str(),
            user["firm_code"].as_str(),
            user["name"].as_str()
        ),
        (Some("applicant"), Some(NEW_FIRM), Some("马建国"))
    );
    let again = post_as(
        &app,
        &admin,
        &format!("/api/v1/admin/registrations/{id}/approve"),
        &json!({"oversize_qualified": true}),
    )
    .await;
    assert_eq!(again.status(), 409, "decided once");
    let mails = mail_to(&app, &smtp, email).await;
    assert_eq!(event(mails.last().unwrap()), "registration_approved");
    assert!(mails.last().unwrap().parts().0.contains("/login"));

    // The new applicant signs in and applies.
    let token = app.token(email, PASSWORD).await;
    let flow = Flow {
        app: &app,
        applicant: token.clone(),
    };
    let submitted = flow.submitted(&blade()).await;
    assert_eq!(submitted["status"], "submitted", "{submitted}");

    // Every step is in the admins' audit log.
    let mut conn = app.connect();
    let events: Vec<String> = permitflow::db::admin_events::about(&mut conn, email, 50)
        .unwrap()
        .into_iter()
        .map(|(event, _)| event.kind)
        .collect();
    for kind in [
        "registration_submitted",
        "registration_confirmed",
        "registration_approved",
    ] {
        assert!(events.contains(&kind.to_string()), "{kind}: {events:?}");
    }
}

#[tokio::test]
async fn a_refused_registration_is_told_why_and_opens_no_account() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let admin = admin(&app).await;
    let email = "office@fake-haulage.cn";
    let id = registered_and_confirmed(&app, &smtp, email).await;

    let (status, error) = error_of(
        post_as(
            &app,
            &admin,
            &format!("/api/v1/admin/registrations/{id}/reject"),
            &json!({"reason": "  "}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), error["fields"]["reason"].is_string()),
        (422, true)
    );
    let rejected = post_as(
        &app,
        &admin,
        &format!("/api/v1/admin/registrations/{id}/reject"),
        &json!({"reason": "经营许可证号与全国道路运输许可系统记录不符"}),
    )
    .await;
    assert_eq!(rejected.status(), 200);
    let mails = mail_to(&app, &smtp, email).await;
    let last = mails.last().unwrap();
    assert_eq!(event(last), "registration_rejected");
    assert!(last
        .parts()
        .0
        .contains("经营许可证号与全国道路运输许可系统记录不符"));
    assert_eq!(app.sign_in(email, PASSWORD).await.status(), 401);
    assert!(pending(&app, &admin).await.is_empty());
    let all: Vec<Value> = app
        .get_as("/api/v1/admin/registrations", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["status"], "rejected");
    // Waiting ones oldest first; decided ones newest first.
    app.advance_clock(1).await;
    let second = registered_and_confirmed(&app, &smtp, "second@fake-haulage.cn").await;
    app.advance_clock(1).await;
    let third = registered_and_confirmed(&app, &smtp, "third@fake-haulage.cn").await;
    let waiting: Vec<_> = pending(&app, &admin)
        .await
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(waiting, [json!(second), json!(third)]);
    for id in [&second, &third] {
        let rejected = post_as(
            &app,
            &admin,
            &format!("/api/v1/admin/registrations/{id}/reject"),
            &json!({"reason": "重复注册"}),
        )
        .await;
        assert_eq!(rejected.status(), 200);
    }
    let refused: Vec<Value> = app
        .get_as("/api/v1/admin/registrations?status=rejected", &admin)
        .await
        .json()
        .await
        .unwrap();
    let order: Vec<_> = refused.iter().map(|r| r["id"].clone()).collect();
    assert_eq!(order, [json!(third), json!(second), json!(id)]);
    let approve = post_as(
        &app,
        &admin,
        &format!("/api/v1/admin/registrations/{id}/approve"),
        &json!({"oversize_qualified": true}),
    )
    .await;
    assert_eq!(
        approve.status(),
        409,
        "a refused registration stays refused"
    );
}

#[tokio::test]
async fn registration_checks_every_field_at_once_in_the_callers_language() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    let response = app
        .client
        .post(app.url("/api/v1/registrations"))
        .header("Accept-Language", "en")
        .json(
            &json!({"firm_code": "91652201MA7XYK1230", "firm_name": "", "licence_no": "12",
                      "contact_name": "Ma", "phone": "12345", "email": "not-an-address",
                      "password": "password123", "language": "fr"}),
        )
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 422);
    let fields = error["fields"].as_object().unwrap();
    let mut named: Vec<&str> = fields.keys().map(String::as_str).collect();
    named.sort();
    assert_eq!(
        named,
        [
            "email",
            "firm_code",
            "firm_name",
            "language",
            "licence_no",
            "password",
            "phone"
        ]
    );
    assert!(
        fields["firm_code"]
            .as_str()
            .unwrap()
            .contains("check character"),
        "{fields:?}"
    );
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn a_firm_that_exists_gets_a_colleague_not_a_second_firm() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let admin = admin(&app).await;
    let holder = app.token("applicant@demo.local", DEMO).await;
    let me: Value = app
        .get_as("/api/v1/me", &holder)
        .await
        .json()
        .await
        .unwrap();
    let demo_firm = me["firm_code"].as_str().unwrap().to_string();

    let email = "zhao.lei@demo-firm.cn";
    let mut body = registration(email);
    body["firm_code"] = json!(demo_firm);
    body["firm_name"] = json!("another name for the same firm");
    let response = post_from(&app, "203.0.113.9", "/api/v1/registrations", &body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = token_in(mail_to(&app, &smtp, email).await.last().unwrap());
    app.post_json("/api/v1/registrations/confirm", &json!({ "token": token }))
        .await;
    let waiting = pending(&app, &admin).await;
    assert!(
        waiting[0]["existing_firm"].as_str().is_some(),
        "the admin sees the firm exists: {}",
        waiting[0]
    );
    let approved = post_as(
        &app,
        &admin,
        &format!("/api/v1/admin/registrations/{id}/approve"),
        &json!({"oversize_qualified": true}),
    )
    .await;
    assert_eq!(approved.status(), 200);
    assert_eq!(
        approved.json::<Value>().await.unwrap()["firm_code"],
        demo_firm
    );

    // A colleague of the holder, who lists them.
    let colleagues: Vec<Value> = app
        .get_as("/api/v1/colleagues", &holder)
        .await
        .json()
        .await
        .unwrap();
    let joined = colleagues.iter().find(|c| c["email"] == email).unwrap();
    assert_eq!(
        (joined["state"].as_str(), joined["account_holder"].as_bool()),
        (Some("active"), Some(false))
    );
    let newcomer = app.token(email, PASSWORD).await;
    assert_eq!(
        app.get_as("/api/v1/colleagues", &newcomer).await.status(),
        403,
        "only the holder manages colleagues"
    );
}

/// Median of the times `attempt` takes.
async fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::test]
async fn a_known_address_registers_like_a_new_one_and_its_owner_is_told() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let admin = admin(&app).await;

    let known = post_from(
        &app,
        "198.51.100.1",
        "/api/v1/registrations",
        &registration("applicant@demo.local"),
    )
    .await;
    let fresh = post_from(
        &app,
        "198.51.100.2",
        "/api/v1/registrations",
        &registration("nobody-yet@example.cn"),
    )
    .await;
    assert_eq!(known.status(), fresh.status());
    let known_headers: Vec<String> = known.headers().keys().map(|k| k.to_string()).collect();
    let fresh_headers: Vec<String> = fresh.headers().keys().map(|k| k.to_string()).collect();
    assert_eq!(known_headers, fresh_headers);
    let (known, fresh): (Value, Value) = (known.json().await.unwrap(), fresh.json().await.unwrap());
    assert_eq!(known["status"], fresh["status"]);
    assert_eq!(
        known["id"].as_str().unwrap().len(),
        fresh["id"].as_str().unwrap().len()
    );

    // The account's owner gets a notice, in the account's language; nothing is made.
    let notice = mail_to(&app, &smtp, "applicant@demo.local").await;
    assert_eq!(notice.len(), 1);
    assert_eq!(event(&notice[0]), "registration_exists");
    assert!(
        !notice[0].parts().0.contains("?token="),
        "no link that opens anything"
    );
    let all: Vec<Value> = app
        .get_as("/api/v1/admin/registrations", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "only the new address registered: {all:?}");
    assert_eq!(
        app.sign_in("applicant@demo.local", DEMO).await.status(),
        200
    );

    // Timing does not tell either: the same work (hashing the password, writing an e-mail)
    // is done for both. Interleaved, each from its own address so no throttle is met.
    let demo_accounts = [
        "manager@demo.local",
        "inspector@demo.local",
        "admin@demo.local",
        "applicant2@demo.local",
        "652328-police@demo.local",
        "652328-transport@demo.local",
        "650521-police@demo.local",
    ];
    let (mut known_times, mut fresh_times) = (Vec::new(), Vec::new());
    for (i, account) in demo_accounts.iter().enumerate() {
        for (email, times) in [
            (account.to_string(), &mut known_times),
            (format!("new{i}@example.cn"), &mut fresh_times),
        ] {
            let from = format!(
                "192.0.2.{}",
                10 + times.len() * 2 + usize::from(email.starts_with("new"))
            );
            let started = Instant::now();
            let response =
                post_from(&app, &from, "/api/v1/registrations", &registration(&email)).await;
            times.push(started.elapsed());
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{email}");
        }
    }
    let (known, fresh) = (
        median(&mut known_times).await,
        median(&mut fresh_times).await,
    );
    let ratio = known.as_secs_f64() / fresh.as_secs_f64();
    eprintln!("registration, median: known address {known:?}, new address {fresh:?}");
    assert!(
        (0.6..=1.6).contains(&ratio),
        "known {known:?} vs new {fresh:?}: an attacker could tell"
    );
}

#[tokio::test]
async fn registrations_are_throttled_per_address_and_per_email() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    // Weak passwords: refused, but counted all the same (cheaply, with no hashing).
    let mut body = registration("someone@example.cn");
    body["password"] = json!("password");
    for i in 0..10 {
        body["email"] = json!(format!("probe{i}@example.cn"));
        let response = post_from(&app, "203.0.113.50", "/api/v1/registrations", &body).await;
        assert_eq!(response.status(), 422, "attempt {i}");
    }
    let limited = post_from(&app, "203.0.113.50", "/api/v1/registrations", &body).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Another address is not held up; one e-mail from many addresses is, after 3.
    for i in 0..3 {
        let from = format!("198.51.100.{}", 60 + i);
        let response = post_from(
            &app,
            &from,
            "/api/v1/registrations",
            &registration("target@example.cn"),
        )
        .await;
        assert_eq!(response.status(), 202, "attempt {i}");
    }
    let response = post_from(
        &app,
        "198.51.100.99",
        "/api/v1/registrations",
        &registration("target@example.cn"),
    )
    .await;
    assert_eq!(response.status(), 429);
    // The hour over, the address may register again.
    app.advance_clock(61).await;
    let response = post_from(
        &app,
        "203.0.113.50",
        "/api/v1/registrations",
        &registration("late@example.cn"),
    )
    .await;
    assert_eq!(response.status(), 202);
    // Of three registrations of one address only the last one's link works.
    let mails = mail_to(&app, &smtp, "target@example.cn").await;
    assert_eq!(mails.len(), 3);
    let mut confirmed = 0;
    for mail in &mails {
        let response = app
            .post_json(
                "/api/v1/registrations/confirm",
                &json!({ "token": token_in(mail) }),
            )
            .await;
        confirmed += usize::from(response.status() == 200);
    }
    assert_eq!(confirmed, 1);
}

#[tokio::test]
async fn unconfirmed_registrations_expire_after_a_day() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let email = "slow@example.cn";
    post_from(
        &app,
        "203.0.113.1",
        "/api/v1/registrations",
        &registration(email),
    )
    .await;
    let token = token_in(mail_to(&app, &smtp, email).await.last().unwrap());
    app.advance_clock(24 * 60 + 1).await;
    app.run_jobs().await;
    let admin = app.token("admin@demo.local", DEMO).await;
    let response = app
        .get_as("/api/v1/admin/registrations?status=expired", &admin)
        .await;
    assert_eq!(response.status(), 200);
    let all: Vec<Value> = response.json().await.unwrap();
    assert_eq!(all.len(), 1);
    let response = app
        .client
        .post(app.url("/api/v1/registrations/confirm"))
        .header("Accept-Language", "en")
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 422);
    assert!(
        error["fields"]["token"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{error}"
    );
}

async fn reset_request(app: &TestApp, from: &str, email: &str) -> reqwest::Response {
    post_from(
        app,
        from,
        "/api/v1/auth/password-reset",
        &json!({ "email": email }),
    )
    .await
}

async fn reset_confirm(app: &TestApp, token: &str, password: &str) -> (StatusCode, Value) {
    let response = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": password}),
        )
        .await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_reset_link_works_once_within_the_hour_and_ends_every_session() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let email = "applicant2@demo.local";
    let old_token = app.token(email, DEMO).await;

    // Two links asked for: the newer is used, which ends the older too.
    for _ in 0..2 {
        assert_eq!(
            reset_request(&app, "203.0.113.7", email).await.status(),
            202
        );
    }
    let mails = mail_to(&app, &smtp, email).await;
    assert_eq!(mails.len(), 2);
    assert_eq!(event(&mails[1]), "password_reset");
    let (text, _) = mails[1].parts();
    assert!(
        text.contains("Dear Li Na"),
        "in the account's language (English): {text}"
    );
    let (older, newer) = (token_in(&mails[0]), token_in(&mails[1]));

    let (status, body) = reset_confirm(&app, &newer, "password").await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["password"].is_string(), "{body}");
    let (status, _) = reset_confirm(&app, &newer, "a fresh unguessable passphrase").await;
    assert_eq!(status, 200);

    assert_eq!(
        app.get_as("/api/v1/me", &old_token).await.status(),
        401,
        "tokens end"
    );
    assert_eq!(app.sign_in(email, DEMO).await.status(), 401);
    assert_eq!(
        app.sign_in(email, "a fresh unguessable passphrase")
            .await
            .status(),
        200
    );
    for used in [&newer, &older] {
        let (status, body) = reset_confirm(&app, used, "yet another long passphrase").await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["fields"]["token"].is_string());
    }
    // Forged and malformed tokens.
    let forged = "ab".repeat(32);
    for token in [forged.as_str(), "abc", ""] {
        let (status, body) = reset_confirm(&app, token, "yet another long passphrase").await;
        assert_eq!(status, 422, "{token}: {body}");
        assert!(body["error"]["fields"]["token"].is_string());
    }
    // Past the hour, a link no longer works.
    reset_request(&app, "203.0.113.7", email).await;
    let late = token_in(mail_to(&app, &smtp, email).await.last().unwrap());
    app.advance_clock(61).await;
    let (status, body) = reset_confirm(&app, &late, "yet another long passphrase").await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"]["token"].is_string(), "{body}");
}

#[tokio::test]
async fn a_reset_answers_alike_for_unknown_addresses_and_is_throttled() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    let known_accounts = [
        "manager@demo.local",
        "inspector@demo.local",
        "admin@demo.local",
        "applicant@demo.local",
        "652328-police@demo.local",
        "652328-transport@demo.local",
        "650521-police@demo.local",
    ];
    for (i, account) in known_accounts.iter().enumerate() {
        for (email, times) in [
            (account.to_string(), &mut known_times),
            (format!("ghost{i}@example.cn"), &mut unknown_times),
        ] {
            let started = Instant::now();
            let response = reset_request(&app, &format!("192.0.2.{i}"), &email).await;
            times.push(started.elapsed());
            let status = response.status();
            let body = response.bytes().await.unwrap();
            assert_eq!(
                (status.as_u16(), &body[..]),
                (202, &br#"{"status":"sent_if_known"}"#[..])
            );
        }
    }
    let (known, unknown) = (
        median(&mut known_times).await,
        median(&mut unknown_times).await,
    );
    let gap = known.abs_diff(unknown);
    eprintln!("password reset, median: known address {known:?}, unknown address {unknown:?}");
    assert!(
        gap < Duration::from_millis(25)
            || (0.5..=2.0).contains(&(known.as_secs_f64() / unknown.as_secs_f64())),
        "known {known:?} vs unknown {unknown:?}"
    );
    app.run_jobs().await;
    let sent: Vec<String> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(
        sent.len(),
        known_accounts.len(),
        "mail only to accounts: {sent:?}"
    );
    assert!(sent.iter().all(|to| to.ends_with("@demo.local")));

    // Three links an hour for one address, whichever the client.
    for i in 0..2 {
        assert_eq!(
            reset_request(&app, &format!("198.51.100.{i}"), "manager@demo.local")
                .await
                .status(),
            202
        );
    }
    let limited = reset_request(&app, "198.51.100.9", "manager@demo.local").await;
    assert_eq!(limited.status(), 429);
    // Unknown addresses count the same.
    let limited = reset_request(&app, "198.51.100.9", "ghost0@example.cn").await;
    assert_eq!(limited.status(), 202);
    reset_request(&app, "198.51.100.9", "ghost0@example.cn").await;
    assert_eq!(
        reset_request(&app, "198.51.100.9", "ghost0@example.cn")
            .await
            .status(),
        429
    );
}

#[tokio::test]
async fn the_holder_invites_a_colleague_who_sees_the_firms_work_until_switched_off() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    let flow = Flow::new(&app).await;
    let holder = flow.applicant.clone();
    let created = flow.post(&holder, "/api/v1/applications", &blade()).await;
    let application: Value = created.json().await.unwrap();
    let application_id = application["id"].as_str().unwrap().to_string();

    let email = "colleague@demo-firm.cn";
    let invited = post_as(
        &app,
        &holder,
        "/api/v1/colleagues",
        &json!({"email": email, "name": "周小梅"}),
    )
    .await;
    assert_eq!(invited.status(), StatusCode::CREATED);
    let colleague: Value = invited.json().await.unwrap();
    assert_eq!(colleague["state"], "invited");
    let mails = mail_to(&app, &smtp, email).await;
    assert_eq!(event(&mails[0]), "invitation");
    assert!(mails[0].parts().0.contains("王调度"), "who invites");
    let token = token_in(&mails[0]);
    assert_eq!(
        app.sign_in(email, PASSWORD).await.status(),
        401,
        "no account before accepting"
    );

    // Inviting an address with an account says so to the holder (a verified firm).
    let (status, error) = error_of(
        post_as(
            &app,
            &holder,
            "/api/v1/colleagues",
            &json!({"email": "manager@demo.local", "name": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status.as_u16(), error["fields"]["email"].is_string()),
        (422, true)
    );
    // Another firm's applicant is no holder of this firm.
    let other = app.token("applicant2@demo.local", DEMO).await;
    let stranger = post_as(
        &app,
        &other,
        &format!(
            "/api/v1/colleagues/{}/active",
            colleague["id"].as_str().unwrap()
        ),
        &json!({"active": false}),
    )
    .await;
    assert_eq!(
        stranger.status(),
        404,
        "another firm's colleague is not found"
    );

    let accepted = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": PASSWORD, "name": "周晓梅"}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
    let user: Value = accepted.json().await.unwrap();
    assert_eq!(
        (user["name"].as_str(), user["role"].as_str()),
        (Some("周晓梅"), Some("applicant"))
    );
    let again = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(again.status(), 422);

    let colleague_token = app.token(email, PASSWORD).await;
    let seen = app
        .get_as(
            &format!("/api/v1/applications/{application_id}"),
            &colleague_token,
        )
        .await;
    assert_eq!(
        seen.status(),
        200,
        "the firm's applications are the colleague's too"
    );
    let (status, _) = error_of(
        post_as(
            &app,
            &colleague_token,
            "/api/v1/colleagues",
            &json!({"email": "x@example.cn", "name": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403, "a colleague does not invite");

    let off = post_as(
        &app,
        &holder,
        &format!("/api/v1/colleagues/{}/active", user["id"].as_str().unwrap()),
        &json!({"active": false}),
    )
    .await;
    assert_eq!(off.status(), 200);
    assert_eq!(
        app.get_as("/api/v1/me", &colleague_token).await.status(),
        401,
        "at once"
    );
    assert_eq!(app.sign_in(email, PASSWORD).await.status(), 401);
    // The application stays the firm's.
    assert_eq!(
        app.get_as(&format!("/api/v1/applications/{application_id}"), &holder)
            .await
            .status(),
        200
    );
    let list: Vec<Value> = app
        .get_as("/api/v1/colleagues", &holder)
        .await
        .json()
        .await
        .unwrap();
    let entry = list.iter().find(|c| c["email"] == email).unwrap();
    assert_eq!(entry["state"], "switched_off");
    let on = post_as(
        &app,
        &holder,
        &format!("/api/v1/colleagues/{}/active", user["id"].as_str().unwrap()),
        &json!({"active": true}),
    )
    .await;
    assert_eq!(on.status(), 200);
    assert_eq!(app.sign_in(email, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn an_unaccepted_invitation_switched_off_no_longer_opens() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    let flow = Flow::new(&app).await;
    let email = "temp@demo-firm.cn";
    let invited: Value = post_as(
        &app,
        &flow.applicant,
        "/api/v1/colleagues",
        &json!({"email": email, "name": "临时"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let token = token_in(&mail_to(&app, &smtp, email).await[0]);
    let off = post_as(
        &app,
        &flow.applicant,
        &format!(
            "/api/v1/colleagues/{}/active",
            invited["id"].as_str().unwrap()
        ),
        &json!({"active": false}),
    )
    .await;
    assert_eq!(off.status(), 200);
    let accepted = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(accepted.status(), 422);
    // Inviting again sends a link that works.
    post_as(
        &app,
        &flow.applicant,
        "/api/v1/colleagues",
        &json!({"email": email, "name": "临时"}),
    )
    .await;
    let fresh = token_in(mail_to(&app, &smtp, email).await.last().unwrap());
    let accepted = app
        .post_json(
            "/api/v1/invitations/accept",
            &json!({"token": fresh, "password": PASSWORD}),
        )
        .await;
    assert_eq!(accepted.status(), 200);
}

#[tokio::test]
async fn the_accounts_language_governs_its_emails() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let email = "applicant@demo.local";
    let token = app.token(email, DEMO).await;
    let response = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .json(&json!({"language": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["language"], "en");
    let me: Value = app.get_as("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "en");
    reset_request(&app, "203.0.113.3", email).await;
    let mail = mail_to(&app, &smtp, email).await.pop().unwrap();
    assert_eq!(mail.header("Subject"), "[permitflow] Choose a new password");

    let response = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .header("Accept-Language", "en")
        .json(&json!({"language": "de"}))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 422);
    assert!(error["fields"]["language"]
        .as_str()
        .unwrap()
        .contains("\"de\""));
}
