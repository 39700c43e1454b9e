//! Review through the pages in a real browser: the queue, the application page with its
//! decision form (conditions as checkboxes, errors kept in place), claiming, the applicant's
//! answer to an information request, and who may see what.

use crate::browser::{keep, Browser};
use crate::flow::{Flow, DEMO};
use crate::helpers::spawn_app;
use crate::permits::county_blade;
use serde_json::Value;

#[tokio::test]
async fn reviewers_work_from_the_queue_and_the_applicant_answers_on_the_page() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&county_blade(3)).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let reference = submitted["reference"].as_str().unwrap().to_string();
    let issuer = "652328-transport@demo.local";

    let desk = Browser::start(1200, 1400).await;
    desk.sign_in(&app.address, "/queue", issuer, DEMO).await;
    assert_eq!(desk.url().await, app.url("/queue"));
    let queue = desk.text("table.queue").await;
    assert!(queue.contains(&reference), "{queue}");
    keep("queue.png", &desk.screenshot().await, app.dir.path());
    desk.submit("table.queue a").await;
    assert_eq!(desk.url().await, app.url(&format!("/applications/{id}")));
    // The net-time clock runs on while the page is open (here: 90 minutes later).
    let clock = desk
        .script(
            "var real = performance.now.bind(performance); performance.now = function () { return real() + 90 * 60000; }; \
             document.dispatchEvent(new Event('permitflow:tick')); \
             return document.querySelector('[data-net-minutes]').textContent",
        )
        .await;
    let clock = clock.as_str().unwrap();
    assert!(
        clock.starts_with("1 h 30") || clock.starts_with("1 小时 30"),
        "{clock}"
    );
    // Claim, then accept.
    desk.submit("button[value=claim]").await;
    assert!(desk.text(".notice.good").await.len() > 3);
    desk.submit("button[value=approve]").await;
    let status = desk.text(".app-head .badge").await;
    assert!(
        status.contains("联审中") || status.contains("Under review"),
        "{status}"
    );
    drop(desk);

    // The county police: asking for information needs a comment; the typed comment stays.
    let police = Browser::start(1200, 1400).await;
    police
        .sign_in(
            &app.address,
            &format!("/applications/{id}"),
            "652328-police@demo.local",
            DEMO,
        )
        .await;
    // The attachments open for a reviewer of the application.
    let download = police
        .script(
            "var x = new XMLHttpRequest(); x.open('GET', document.querySelector('a[href*=attachments]').href, false); \
             x.send(); return [x.status, x.responseText.slice(0, 5), x.getResponseHeader('Content-Disposition')];",
        )
        .await;
    assert_eq!(download[0], 200, "{download}");
    assert_eq!(download[1], "%PDF-");
    assert!(download[2].as_str().unwrap().starts_with("attachment"));
    police.type_into("#comment", " ").await;
    police.submit("button[value=request_info]").await;
    let error = police.text(".notice.bad").await;
    assert!(
        error.contains("意见或理由") || error.contains("Comment"),
        "{error}"
    );
    police.type_into("#comment", "护送方案第二页缺失").await;
    police.submit("button[value=request_info]").await;
    let status = police.text(".app-head .badge").await;
    assert!(
        status.contains("待补正") || status.contains("Information"),
        "{status}"
    );
    drop(police);

    // The applicant answers on the page.
    let applicant = Browser::start(1200, 1400).await;
    applicant
        .sign_in(
            &app.address,
            &format!("/applications/{id}"),
            "applicant@demo.local",
            DEMO,
        )
        .await;
    applicant.type_into("#message", "已补充第二页").await;
    applicant.submit("form[action$=respond] button").await;
    assert!(applicant.text(".notice.good").await.len() > 3);
    drop(applicant);

    // The police approve with two conditions ticked and one typed.
    let police = Browser::start(1200, 1400).await;
    police
        .sign_in(
            &app.address,
            &format!("/applications/{id}"),
            "652328-police@demo.local",
            DEMO,
        )
        .await;
    police.click("input[name=condition][value^='夜间']").await;
    police.click("input[name=condition][value^='前后']").await;
    police
        .type_into("#more_conditions", "经 S228 绕行县城")
        .await;
    police.submit("button[value=approve]").await;
    keep(
        "application.png",
        &police.screenshot().await,
        app.dir.path(),
    );
    let latest = flow.fetch(&id).await;
    let review: Vec<Value> = latest["phases"][1]["tasks"].as_array().unwrap().clone();
    let conditions = review[0]["conditions"].as_array().unwrap();
    assert_eq!(conditions.len(), 3, "{conditions:?}");
    assert_eq!(conditions[2], "经 S228 绕行县城");
    assert_eq!(latest["phases"][2]["state"], "open", "on to issuance");
    drop(police);

    // A reviewer of an authority with no task on it sees nothing.
    let stranger = Browser::start(1000, 800).await;
    stranger
        .sign_in(
            &app.address,
            &format!("/applications/{id}"),
            "650521-police@demo.local",
            DEMO,
        )
        .await;
    let body = stranger.script("return document.body.innerText").await;
    assert!(
        body.as_str().unwrap().contains("页面不存在")
            || body.as_str().unwrap().contains("Not found"),
        "{body}"
    );
}
