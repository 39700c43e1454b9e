//! Accounts as people meet them, in a real headless Chromium: a dispatcher registers the firm
//! from the sign-in page (a mistake first, shown at its field), confirms by the e-mailed link,
//! the admin approves it on the registrations page, the dispatcher signs in; a forgotten
//! password is reset by its link; "my account" switches the language, which the next e-mail
//! follows; the holder invites a colleague.

use crate::accounts::{app_with_mail, newest, token_in, NEW_FIRM, PASSWORD};
use crate::browser::{keep, Browser};
use crate::flow::DEMO;
use crate::smtp::SmtpServer;

#[tokio::test]
async fn a_dispatcher_registers_the_firm_confirms_is_approved_and_resets_a_forgotten_password() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let email = "dispatch@tianshan-logistics.cn";

    let desk = Browser::start(1000, 1500).await;
    // The browser asks for English; the dispatcher picks Chinese in the header.
    desk.goto(&app.url("/login")).await;
    assert!(desk.text("h1").await.contains("Sign in"));
    desk.submit("a[href='/lang/zh-CN']").await;
    desk.submit("#register").await;
    assert!(desk.url().await.ends_with("/register"));
    desk.fill(&[
        ("firm_code", "91652201MA7XYK1230"),
        ("firm_name", "哈密天山风电物流有限公司"),
        ("licence_no", "新交运管许可哈字652201000321号"),
        ("contact_name", "马建国"),
        ("phone", "13999021234"),
        ("email", email),
        ("password", PASSWORD),
    ])
    .await;
    desk.submit("form button[type=submit]").await;
    let error = desk.text(".field.has-error").await;
    assert!(
        error.contains("统一社会信用代码") && error.contains("校验码"),
        "{error}"
    );
    let kept = desk
        .script("return [document.querySelector('#firm_name').value, document.querySelector('#password').value]")
        .await;
    assert_eq!(
        kept,
        serde_json::json!(["哈密天山风电物流有限公司", ""]),
        "what was typed is kept, never the password"
    );
    keep(
        "register-error.png",
        &desk.screenshot().await,
        app.dir.path(),
    );
    desk.fill(&[("firm_code", NEW_FIRM), ("password", PASSWORD)])
        .await;
    desk.submit("form button[type=submit]").await;
    assert!(desk.text(".notice.good").await.contains(email));
    keep(
        "register-sent.png",
        &desk.screenshot().await,
        app.dir.path(),
    );

    // The link in the e-mail shows a button; pressing it confirms.
    let mail = newest(&app, &smtp, email, "registration_confirm").await;
    let (text, _) = mail.parts();
    let link = text
        .lines()
        .find_map(|l| {
            l.split_once("：")
                .map(|(_, url)| url.trim().to_string())
                .filter(|u| u.contains("?token="))
        })
        .unwrap();
    desk.goto(&link).await;
    desk.submit("form button[type=submit]").await;
    assert!(desk.text("h1").await.contains("邮箱已确认"));
    desk.goto(&link).await;
    desk.submit("form button[type=submit]").await;
    assert!(
        desk.text(".notice.bad").await.contains("已使用"),
        "a link works once"
    );

    // The admin approves it from the registrations page.
    let admin = Browser::start(1100, 1200).await;
    admin
        .sign_in(
            &app.address,
            "/admin/registrations",
            "admin@demo.local",
            DEMO,
        )
        .await;
    assert!(admin.text(".tabs").await.contains("待审核 (1)"));
    let card = admin.text(".registration").await;
    assert!(
        card.contains("马建国") && card.contains("13999021234") && card.contains(NEW_FIRM),
        "{card}"
    );
    keep(
        "registrations.png",
        &admin.screenshot().await,
        app.dir.path(),
    );
    admin
        .submit(".registration form[action$='/reject'] button")
        .await;
    assert!(
        admin
            .text(".registration .field-error")
            .await
            .contains("必填"),
        "a refusal needs its reason"
    );
    admin
        .submit(".registration form[action$='/approve'] button")
        .await;
    assert!(admin.text(".notice.good").await.contains("已通过"));

    // The dispatcher signs in and is at the firm's applications.
    desk.sign_in(&app.address, "/", email, PASSWORD).await;
    assert!(
        desk.url().await.ends_with("/applications"),
        "{}",
        desk.url().await
    );

    // Forgotten password, from a phone whose browser asks for English.
    let phone = Browser::start(420, 900).await;
    phone.goto(&app.url("/login")).await;
    phone.submit("#forgot").await;
    phone.fill(&[("email", email)]).await;
    phone.submit("form button[type=submit]").await;
    assert!(phone.text(".notice.good").await.contains("within one hour"));
    let token = token_in(&newest(&app, &smtp, email, "password_reset").await);
    phone
        .goto(&app.url(&format!("/password-reset/confirm?token={token}")))
        .await;
    phone.fill(&[("password", "password1234")]).await;
    phone.submit("form button[type=submit]").await;
    assert!(phone.text(".field-error").await.contains("too weak"));
    keep("reset-weak.png", &phone.screenshot().await, app.dir.path());
    phone
        .fill(&[("password", "granite lantern orchard quiet")])
        .await;
    phone.submit("form button[type=submit]").await;
    assert!(phone
        .text(".notice.good")
        .await
        .contains("new password is set"));
    assert_eq!(
        phone
            .script("return document.querySelector('#email').value")
            .await,
        serde_json::json!(email)
    );
    keep("reset-done.png", &phone.screenshot().await, app.dir.path());
    // The desk's session ended with the old password.
    desk.goto(&app.url("/applications")).await;
    assert!(desk.url().await.contains("/login"), "{}", desk.url().await);
    // A forged link says so at once, with a way to a new one.
    phone
        .goto(&app.url(&format!(
            "/password-reset/confirm?token={}",
            "0f".repeat(32)
        )))
        .await;
    assert!(phone.text(".notice.bad").await.contains("not valid"));
}

#[tokio::test]
async fn my_account_switches_the_language_and_the_holder_invites_a_colleague() {
    let smtp = SmtpServer::start(false);
    let app = app_with_mail(&smtp).await;
    app.seed_demo().await;
    let desk = Browser::start(1100, 1400).await;
    desk.sign_in(&app.address, "/account", "applicant@demo.local", DEMO)
        .await;
    assert!(desk.text("h1").await.contains("我的账户"));
    desk.fill(&[("language", "en")]).await;
    desk.submit("form[action='/account'] button").await;
    assert!(
        desk.text("h1").await.contains("My account"),
        "pages follow the account"
    );
    desk.type_into("#invite_name", "周晓梅").await;
    desk.type_into("#invite_email", "zhou@demo-firm.cn").await;
    desk.submit("form[action='/account/colleagues'] button[type=submit]")
        .await;
    assert!(desk
        .text(".notice.good")
        .await
        .contains("invitation is on its way"));
    let listed = desk.text("table.colleagues").await;
    assert!(
        listed.contains("周晓梅") && listed.contains("invited"),
        "{listed}"
    );
    keep("account.png", &desk.screenshot().await, app.dir.path());
    // The account's e-mails are in English now.
    let token = app.token("applicant@demo.local", DEMO).await;
    let me: serde_json::Value = app.get_as("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "en");
    // The header's switch is remembered for the account too.
    desk.goto(&app.url("/lang/zh-CN")).await;
    let me: serde_json::Value = app.get_as("/api/v1/me", &token).await.json().await.unwrap();
    assert_eq!(me["language"], "zh-CN");

    // The colleague accepts from the e-mail's link.
    let invitation = newest(&app, &smtp, "zhou@demo-firm.cn", "invitation").await;
    let token = token_in(&invitation);
    let colleague = Browser::start(420, 900).await;
    colleague.goto(&app.url("/lang/zh-CN")).await;
    colleague
        .goto(&app.url(&format!("/invitation?token={token}")))
        .await;
    assert!(colleague.text("h1").await.contains("接受邀请"));
    colleague.fill(&[("password", PASSWORD)]).await;
    colleague.submit("form button[type=submit]").await;
    assert!(colleague.text(".notice.good").await.contains("密码已设置"));
    colleague.type_into("#password", PASSWORD).await;
    colleague.submit("form button[type=submit]").await;
    assert!(
        colleague.url().await.ends_with("/applications"),
        "{}",
        colleague.url().await
    );
}
