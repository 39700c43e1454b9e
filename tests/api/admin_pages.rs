//! The operator's pages: accounts created with errors at their fields, switched off (their
//! tokens and sessions end at once), a new password (the old sessions end), and the guard
//! against switching oneself off.

use crate::flow::DEMO;
use crate::helpers::{spawn_app, TestApp};
use crate::sessions::{browser, csrf_in};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};

/// A signed-in browser and its CSRF token.
pub async fn signed_in(app: &TestApp, email: &str, password: &str) -> (Client, String) {
    let client = browser();
    let html = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_in(&html).as_str()),
            ("next", "/"),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "sign-in of {email}"
    );
    // "/" sends a signed-in user on to their role's start page.
    let mut next = response.headers()[LOCATION].to_str().unwrap().to_string();
    loop {
        let page = client.get(app.url(&next)).send().await.unwrap();
        if page.status() != StatusCode::SEE_OTHER {
            let html = page.text().await.unwrap();
            return (client, csrf_in(&html));
        }
        next = page.headers()[LOCATION].to_str().unwrap().to_string();
    }
}

fn id_of(html: &str, email: &str) -> String {
    let row = html.split("<tr").find(|r| r.contains(email)).unwrap();
    row.split("/admin/users/")
        .nth(1)
        .unwrap()
        .split(['/', '"'])
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_admin_manages_accounts_and_their_access_ends_when_switched_off() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let (admin, csrf) = signed_in(&app, "admin@demo.local", DEMO).await;
    let page = admin.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // Mistakes come back at their fields, with what was typed (never the password).
    let bad = admin
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "not-an-address"),
            ("name", "赵审核"),
            ("role", "reviewer"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("value=\"赵审核\""), "typed values stay");
    assert_eq!(
        html.matches("class=\"field-error\"").count(),
        3,
        "email, password, authority"
    );

    let password = "convoy over the Tianshan at dawn";
    let made = admin
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "zhao@mulei.gov.cn"),
            ("name", "赵审核"),
            ("role", "reviewer"),
            ("authority", "652328-POLICE"),
            ("password", password),
            ("language", "zh-CN"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let token = app.token("zhao@mulei.gov.cn", password).await;
    let (reviewer, _) = signed_in(&app, "zhao@mulei.gov.cn", password).await;
    assert_eq!(
        reviewer
            .get(app.url("/queue"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        reviewer
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN,
        "only admins"
    );

    // A new password ends the sessions of the old one. The account is found by a search.
    let html = admin
        .get(app.url("/admin/users?q=ZHAO@mulei"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("1 个账户") || html.contains("1 accounts"),
        "one match"
    );
    let id = id_of(&html, "zhao@mulei.gov.cn");
    // The account has a page of its own; a name or language is corrected there, and what is
    // refused comes back at its field.
    let page = admin
        .get(app.url(&format!("/admin/users/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("赵审核") && html.contains("创建用户"),
        "{html}"
    );
    let blank = admin
        .post(app.url(&format!("/admin/users/{id}")))
        .form(&[("csrf", csrf.as_str()), ("name", "  "), ("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = blank.text().await.unwrap();
    assert!(
        html.contains("class=\"field has-error\"><label for=\"name\""),
        "the error at the name: {html}"
    );
    let renamed = admin
        .post(app.url(&format!("/admin/users/{id}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Zhao Wei"),
            ("language", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::SEE_OTHER);
    let html = admin
        .get(app.url(&format!("/admin/users/{id}?done=updated")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("账户信息已更新")
            && html.contains("修改用户")
            && html.contains("语言：English"),
        "{html}"
    );
    let me: serde_json::Value = app.get_as("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "en", "{me}");
    assert_eq!(me["name"], "Zhao Wei", "{me}");

    let weak = admin
        .post(app.url(&format!("/admin/users/{id}/password")))
        .form(&[("csrf", csrf.as_str()), ("password", "123")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = weak.text().await.unwrap();
    assert!(
        html.contains("class=\"field has-error\"><label for=\"password\""),
        "the error at the password: {html}"
    );
    let new_password = "blades travel at night in winter";
    let reset = admin
        .post(app.url(&format!("/admin/users/{id}/password")))
        .form(&[("csrf", csrf.as_str()), ("password", new_password)])
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    let after = reviewer.get(app.url("/queue")).send().await.unwrap();
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "signed out by the new password"
    );
    assert_eq!(
        app.get_as("/api/v1/me", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let token = app.token("zhao@mulei.gov.cn", new_password).await;

    // Switched off: the token and the session end at once, sign-in is refused.
    let (reviewer, _) = signed_in(&app, "zhao@mulei.gov.cn", new_password).await;
    let off = admin
        .post(app.url(&format!("/admin/users/{id}/active")))
        .form(&[("csrf", csrf.as_str()), ("active", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_as("/api/v1/me", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        reviewer
            .get(app.url("/queue"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.sign_in("zhao@mulei.gov.cn", new_password)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let on = admin
        .post(app.url(&format!("/admin/users/{id}/active")))
        .form(&[("csrf", csrf.as_str()), ("active", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(on.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.sign_in("zhao@mulei.gov.cn", new_password)
            .await
            .status(),
        StatusCode::OK
    );

    // An admin cannot lock themselves out by a slip.
    let html = admin
        .get(app.url("/admin/users?q=admin%40demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let me = id_of(&html, "admin@demo.local");
    let own = admin
        .post(app.url(&format!("/admin/users/{me}/active")))
        .form(&[("csrf", csrf.as_str()), ("active", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::CONFLICT);
    let reference = admin.get(app.url("/admin/reference")).send().await.unwrap();
    let html = reference.text().await.unwrap();
    assert!(html.contains("652328-POLICE") && html.contains("2026"));
}

#[tokio::test]
async fn an_admin_restricts_a_firm_and_adjusts_the_calendar_with_a_record_of_each() {
    let app = spawn_app().await;
    let flow = crate::flow::Flow::new(&app).await;
    let (admin, csrf) = signed_in(&app, "admin@demo.local", DEMO).await;
    let html = admin
        .get(app.url("/admin/reference"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = html.split("<tr").find(|r| r.contains("木垒风电")).unwrap();
    let firm = row
        .split("/admin/firms/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // Restricted until the end of the year: the firm's submissions are not accepted.
    let restrict = admin
        .post(app.url(&format!("/admin/firms/{firm}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("qualified", "yes"),
            ("restricted_until", "2026-12-31"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(restrict.status(), StatusCode::SEE_OTHER);
    let draft: serde_json::Value = flow
        .post(
            &flow.applicant,
            "/api/v1/applications",
            &crate::flow::blade(),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let refused = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_date = admin
        .post(app.url(&format!("/admin/firms/{firm}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("qualified", "yes"),
            ("restricted_until", "31.12.2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_date.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A holiday the shipped calendar lacks, set and taken out again.
    let set = admin
        .post(app.url("/admin/calendar"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("day", "2026-12-07"),
            ("working", "no"),
            ("note", "暴雪停工 Blizzard closure"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    let html = admin
        .get(app.url("/admin/reference"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("暴雪停工") && html.contains("/admin/calendar/2026-12-07/clear"));
    let clear = admin
        .post(app.url("/admin/calendar/2026-12-07/clear"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(clear.status(), StatusCode::SEE_OTHER);
    let html = admin
        .get(app.url("/admin/reference"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("暴雪停工 Blizzard closure</td>"));
    // The record of changes in words, not codes or JSON; and the page's title is only a title.
    for kind in ["设置企业资质与限制", "设置日历日期", "撤销日历日期"] {
        assert!(html.contains(kind), "{kind} is in the record of changes");
    }
    assert!(
        !html.contains("firm_standing_set") && !html.contains("{&quot;"),
        "no raw values"
    );
    let title = html
        .split("<title>")
        .nth(1)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    assert!(!title.contains('<'), "{title}");
}

#[tokio::test]
async fn on_a_phone_the_admin_pages_never_scroll_sideways() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let phone = crate::browser::Browser::start(390, 844).await;
    phone
        .sign_in(&app.address, "/admin/users", "admin@demo.local", DEMO)
        .await;
    // An account's own page too: the first one the list links to.
    phone.goto(&app.url("/admin/users")).await;
    let account = phone
        .script("return document.querySelector('table.users a').getAttribute('href')")
        .await;
    let account = account.as_str().unwrap().to_string();
    for page in ["/admin/users", "/admin/reference", account.as_str()] {
        phone.goto(&app.url(page)).await;
        let widths = phone
            .script("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        assert!(
            widths[0].as_i64().unwrap() <= widths[1].as_i64().unwrap(),
            "{page} is wider than the phone: {widths}"
        );
        let name = if page == account {
            "admin-user-phone.png".to_string()
        } else {
            format!("admin{}-phone.png", page.replace('/', "-"))
        };
        crate::browser::keep(&name, &phone.screenshot().await, app.dir.path());
    }
}
