//! Amendments as people meet them, in a real headless Chromium: the holder asks from the
//! permit's page (a mistake first, shown at its field), the issuer decides it beside the old →
//! new values, the permit shows its new version, and the old QR code on an inspector's phone
//! says stop.

use crate::browser::{keep, Browser};
use crate::flow::{Flow, DEMO};
use crate::helpers::spawn_app;
use crate::permits::{county_blade, issued};
use serde_json::Value;

#[tokio::test]
async fn a_holder_asks_for_a_replacement_tractor_the_issuer_approves_and_the_old_code_says_stop() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(3), &[]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let permit: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap();
    let old_verify_url = permit["verify_url"].as_str().unwrap().to_string();

    // The holder: the form is prefilled with the permit as it is; a blank reason is refused
    // at its field, with what was typed kept.
    let desk = Browser::start(1100, 1400).await;
    let page = format!("/permits/{permit_no}");
    desk.sign_in(&app.address, &page, "applicant@demo.local", DEMO)
        .await;
    assert!(desk.text(".permit-version").await.contains("第 1 版"));
    desk.click(".amendments details summary").await;
    desk.fill(&[("vehicles", "新B54321 新B6789挂")]).await;
    desk.submit(".amend-form button[type=submit]").await;
    let error = desk.text(".amend-form .field.has-error").await;
    assert!(error.contains("理由") && error.contains("必填"), "{error}");
    let typed = desk
        .script("return document.querySelector('#vehicles').value")
        .await;
    assert_eq!(typed, "新B54321 新B6789挂");
    desk.script("document.querySelector('.amendments').scrollIntoView()")
        .await;
    keep(
        "amendment-form-error.png",
        &desk.screenshot().await,
        app.dir.path(),
    );
    desk.fill(&[("reason", "牵引车故障，由新B54321替换")]).await;
    desk.submit(".amend-form button[type=submit]").await;
    assert!(desk.text(".notice.good").await.contains("变更申请已提交"));
    let listed = desk.text(".amendment-list").await;
    assert!(
        listed.contains("新B12345") && listed.contains("新B54321") && listed.contains("审核中"),
        "{listed}"
    );
    assert!(desk
        .text(".amendments")
        .await
        .contains("已有一项变更正在审核"));

    // The issuer: the queue marks it; its page puts the change beside the decision.
    let issuer = Browser::start(1280, 1000).await;
    issuer
        .sign_in(&app.address, "/queue", "652328-transport@demo.local", DEMO)
        .await;
    let row = issuer.text("tr:has(.kind-amendment)").await;
    assert!(row.contains("-A1"), "{row}");
    issuer.click("tr:has(.kind-amendment) a").await;
    issuer.script("return 1").await;
    let started = std::time::Instant::now();
    while !issuer.url().await.contains("/applications/") {
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let changes = issuer.text(".amendment-box").await;
    assert!(
        changes.contains("新B12345") && changes.contains("新B54321"),
        "{changes}"
    );
    assert!(issuer.text(".decision-panel h2").await.contains("变更审核"));
    assert!(
        issuer
            .script("return document.querySelector('.decision-panel button[value=request_info]') === null")
            .await
            == Value::Bool(true),
        "an amendment is approved or not, never paused"
    );
    keep(
        "amendment-review.png",
        &issuer.screenshot().await,
        app.dir.path(),
    );
    issuer.submit(".decision-panel button[value=approve]").await;

    // The permit is at version 2, its amendment printed on it.
    desk.goto(&app.url(&page)).await;
    assert!(desk.text(".permit-version").await.contains("第 2 版"));
    let printed = desk.text(".amendments-printed").await;
    assert!(printed.contains("新B54321"), "{printed}");
    keep(
        "amendment-permit-v2.png",
        &desk.screenshot().await,
        app.dir.path(),
    );

    // The old code on the inspector's phone: stop, a newer version exists.
    let phone = Browser::start(390, 844).await;
    phone.goto(&old_verify_url).await;
    let verdict = phone.text(".verdict").await;
    assert!(
        (verdict.contains("旧版") && verdict.contains("第 2 版"))
            || (verdict.contains("superseded") && verdict.contains("version 2")),
        "{verdict}"
    );
    let class = phone
        .script("return document.querySelector('.verdict').className")
        .await;
    assert!(class.as_str().unwrap().contains("state-superseded"));
    keep(
        "amendment-superseded-phone.png",
        &phone.screenshot().await,
        app.dir.path(),
    );
}
