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
    keep("queue-issuer.png", &desk.screenshot().await, app.dir.path());
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
    // Said at the comment field, where it is typed, not at the top of the page.
    let error = police.text(".has-error #comment-error").await;
    assert!(
        error.contains("必填") || error.contains("required"),
        "{error}"
    );
    let banners = police
        .script("return document.querySelectorAll('.notice.bad').length")
        .await;
    assert_eq!(banners, 0);
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
    // The question is quoted above the answer box, and the page says it waits for this answer.
    let question = applicant.text("blockquote.question").await;
    assert!(question.contains("护送方案第二页缺失"), "{question}");
    let next = applicant.text(".next-step").await;
    assert!(
        next.contains("等待您的答复") || next.contains("your answer"),
        "{next}"
    );
    // The document asked for goes with the answer.
    let page_two = app.dir.path().join("escort-plan-p2.pdf");
    std::fs::write(
        &page_two,
        permitflow::domain::attachment::sample_pdf("escort plan, page 2"),
    )
    .unwrap();
    applicant
        .type_into("[name='file.escort_plan']", page_two.to_str().unwrap())
        .await;
    applicant.type_into("#message", "已补充第二页").await;
    keep("answer.png", &applicant.screenshot().await, app.dir.path());
    applicant.submit("form[action$=respond] button").await;
    assert!(applicant.text(".notice.good").await.len() > 3);
    drop(applicant);
    let answered = flow.fetch(&id).await;
    let files: Vec<&str> = answered["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    assert!(files.contains(&"escort-plan-p2.pdf"), "{files:?}");

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
    // What is applied for sits beside the decision, and the conditions are in one language.
    let beside = police
        .script("var a = document.querySelector('.applied-for').getBoundingClientRect(), d = document.querySelector('.decision-panel').getBoundingClientRect(); return a.right <= d.left && a.top < d.bottom;")
        .await;
    assert_eq!(beside, true, "side by side on a desk");
    let boxes = police.text(".decision fieldset").await;
    assert!(
        boxes.contains("夜间") != boxes.contains("Travel"),
        "one language: {boxes}"
    );
    keep("decision.png", &police.screenshot().await, app.dir.path());
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

#[tokio::test]
async fn the_queue_shows_time_left_firm_and_cargo_is_searched_and_shows_paused_and_done() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut spare = county_blade(3);
    spare["vehicle"]["tractor_plate"] = serde_json::json!("新B77777");
    let due_soon = flow.submitted(&spare).await;
    let asked = flow.submitted(&county_blade(3)).await;
    let decided = flow.submitted(&county_blade(3)).await;
    let police = flow.reviewer("652328-POLICE").await;
    let police_task = |app: &Value| -> String {
        crate::flow::tasks(app, "joint_review")
            .into_iter()
            .find(|t| t["authority_code"] == "652328-POLICE")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut accepted = Vec::new();
    for app_ in [&due_soon, &asked, &decided] {
        accepted.push(
            flow.approve(&crate::flow::tasks(app_, "acceptance")[0], &[])
                .await,
        );
    }
    flow.decide(
        &police,
        &police_task(&accepted[1]),
        serde_json::json!({"decision": "request_info", "comment": "涵洞检测报告"}),
    )
    .await;
    flow.decide(
        &police,
        &police_task(&accepted[2]),
        serde_json::json!({"decision": "approve", "conditions": []}),
    )
    .await;
    // Three hours and ten minutes of the police's four: the reminder's moment has passed.
    app.advance_clock(190).await;

    let desk = Browser::start(1280, 900).await;
    desk.sign_in(&app.address, "/queue", "652328-police@demo.local", DEMO)
        .await;
    let row_of = |reference: &Value| {
        format!(
            "return [...document.querySelectorAll('table.queue tbody tr')].filter(r => r.innerText.includes('{}')).map(r => [r.className, r.innerText])[0] || null",
            reference.as_str().unwrap()
        )
    };
    let soon = desk.script(&row_of(&due_soon["reference"])).await;
    assert_eq!(soon[0], "due-soon", "{soon}");
    let text = soon[1].as_str().unwrap();
    assert!(text.contains("50"), "time left: {text}");
    assert!(
        text.contains("木垒风电大件物流有限公司") && text.contains("126 m"),
        "firm and cargo: {text}"
    );
    let paused = desk.script(&row_of(&asked["reference"])).await;
    assert_eq!(paused[0], "paused", "{paused}");
    assert!(
        paused[1].as_str().unwrap().contains("已暂停")
            || paused[1].as_str().unwrap().contains("paused"),
        "{paused}"
    );
    keep("queue.png", &desk.screenshot().await, app.dir.path());
    // A search by plate (typed loosely) finds the one application.
    desk.type_into("#q", "新b 77777").await;
    desk.submit(".queue-search button").await;
    let found = desk
        .script("return document.querySelectorAll('table.queue tbody tr').length")
        .await;
    assert_eq!(found, 1);
    assert!(desk
        .text("table.queue")
        .await
        .contains(due_soon["reference"].as_str().unwrap()));
    // What was decided is under its own tab.
    desk.goto(&app.url("/queue?state=done")).await;
    let done = desk.text("table.queue").await;
    assert!(
        done.contains(decided["reference"].as_str().unwrap())
            && !done.contains(due_soon["reference"].as_str().unwrap()),
        "{done}"
    );
}

#[tokio::test]
async fn the_applicant_answers_with_changes_to_the_application() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let submitted = flow.submitted(&county_blade(3)).await;
    let id = submitted["id"].as_str().unwrap().to_string();
    let accepted = flow
        .approve(&crate::flow::tasks(&submitted, "acceptance")[0], &[])
        .await;
    let police = flow.reviewer("652328-POLICE").await;
    let task = crate::flow::tasks(&accepted, "joint_review")
        .into_iter()
        .find(|t| t["authority_code"] == "652328-POLICE")
        .unwrap();
    flow.decide(
        &police,
        task["id"].as_str().unwrap(),
        serde_json::json!({"decision": "request_info", "comment": "护送车辆需增至 3 辆"}),
    )
    .await;

    let desk = Browser::start(1200, 1400).await;
    desk.sign_in(
        &app.address,
        &format!("/applications/{id}"),
        "applicant@demo.local",
        DEMO,
    )
    .await;
    desk.submit("a.answer-with-changes").await;
    let asked = desk.text("blockquote.question").await;
    assert!(asked.contains("护送车辆需增至 3 辆"), "{asked}");
    desk.fill(&[("escort.vehicles", "3")]).await;
    keep(
        "answer-with-changes.png",
        &desk.screenshot().await,
        app.dir.path(),
    );
    // Without the answer itself: said at its field, nothing changed.
    desk.submit("button[value=answer]").await;
    let error = desk.text(".has-error #message-error").await;
    assert!(!error.is_empty());
    assert_eq!(flow.fetch(&id).await["escort"]["vehicles"], 2);
    desk.type_into("#message", "已增加一辆护送车").await;
    desk.submit("button[value=answer]").await;
    assert!(
        desk.url().await.contains("done=respond"),
        "{}",
        desk.url().await
    );
    let after = flow.fetch(&id).await;
    assert_eq!(
        after["escort"]["vehicles"], 3,
        "the change came with the answer"
    );
    assert_eq!(after["status"], "under_review");
}
