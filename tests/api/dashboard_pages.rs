//! The managers' dashboard as a manager sees it in Chromium: signed in, they land on it; the
//! tiles, the three charts, the escalation board by level and a table per grouping with its
//! CSV, for the demo's history, in English (the browser's language) and in Chinese. Also: only managers, and a period that does not read is named.

use crate::admin_pages::signed_in;
use crate::browser::{keep, Browser};
use crate::demo::seeded;
use crate::flow::DEMO;
use crate::helpers::spawn_app;
use crate::sessions::browser;
use serde_json::Value;

#[tokio::test]
async fn a_manager_lands_on_the_dashboard_and_reads_the_story() {
    let app = spawn_app().await;
    seeded(&app, 35, 11).await;
    let desk = Browser::start(1280, 2900).await;
    desk.sign_in(&app.url(""), "/", "manager@demo.local", DEMO)
        .await;
    assert!(
        desk.url().await.ends_with("/dashboard"),
        "{}",
        desk.url().await
    );
    // The manager's account is Chinese, and so are the pages; the switch in the header gives
    // English, and is remembered.
    let title = desk.text("h1").await;
    assert!(
        title
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{title}"
    );
    desk.submit("a[href='/lang/en']").await;
    assert!(desk.url().await.ends_with("/dashboard"));

    let tiles = desk
        .script("return [...document.querySelectorAll('.tiles .tile')].map(t => t.innerText)")
        .await;
    let tiles: Vec<String> = serde_json::from_value(tiles).unwrap();
    assert_eq!(tiles.len(), 6, "{tiles:?}");
    assert!(tiles[0].starts_with("Issued"), "{tiles:?}");

    // Three charts drawn on the server: bars in the histogram, the 24 h line, the weekly line.
    let charts: Vec<String> = serde_json::from_value(
        desk.script("return [...document.querySelectorAll('.charts svg')].map(s => s.outerHTML)")
            .await,
    )
    .unwrap();
    assert_eq!(charts.len(), 3);
    assert!(charts[0].matches("<rect").count() >= 4, "{}", charts[0]);
    assert!(charts[0].contains("24 h target"));
    assert!(charts[1].contains("<polyline"));
    assert!(
        charts[2].contains("4 working h review budget"),
        "{}",
        charts[2]
    );
    // The page asks for nothing the CSP refuses: the charts render with a size.
    let height = desk
        .script("return document.querySelector('.charts svg').getBoundingClientRect().height")
        .await;
    assert!(height.as_f64().unwrap() > 100.0);

    // The board: three columns by level, something being pushed or escalated.
    let board: Vec<String> = serde_json::from_value(
        desk.script(
            "return [...document.querySelectorAll('.board .column h3')].map(h => h.innerText)",
        )
        .await,
    )
    .unwrap();
    assert_eq!(board.len(), 3);
    assert!(
        board[0].starts_with("Being pushed") && board[2].starts_with("Escalated to the region")
    );
    let listed = desk
        .script("return document.querySelectorAll('.board li').length")
        .await;
    assert!(
        listed.as_i64().unwrap() > 0,
        "the demo leaves a few tasks overdue"
    );

    // Joint against serial, and a table per grouping with its CSV link.
    let compare = desk.text("section[aria-labelledby=compare-title]").await;
    assert!(
        compare.contains("Joint review") && compare.contains("Serial"),
        "{compare}"
    );
    let links: Vec<String> = serde_json::from_value(
        desk.script(
            "return [...document.querySelectorAll('.report-table a.csv')].map(a => a.href)",
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        links.len(),
        6,
        "week, workflow, authority, phase, class, kind"
    );
    keep("dashboard.png", &desk.screenshot().await, app.dir.path());

    // The same in Chinese.
    desk.goto(&app.url("/lang/zh-CN")).await;
    desk.goto(&app.url("/dashboard")).await;
    assert!(desk.text("h1").await.starts_with("办理时效"));
    assert!(desk.text(".board").await.contains("已提级至自治区"));
    keep("dashboard-zh.png", &desk.screenshot().await, app.dir.path());
}

#[tokio::test]
async fn the_dashboard_is_for_managers_and_names_a_bad_period() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let (reviewer, _) = signed_in(&app, "652328-police@demo.local", DEMO).await;
    let response = reviewer.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        browser()
            .get(app.url("/dashboard"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "sign in first"
    );

    let (manager, _) = signed_in(&app, "manager@demo.local", DEMO).await;
    let page = manager
        .get(app.url("/dashboard?from=2026-02-30&to=2026-12-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("“2026-02-30”不是有效日期"), "{html}");
    assert!(html.contains("显示最近 90 天"));
    // The CSV links work with the session (the API accepts its cookie for reading).
    let csv = manager
        .get(app.url("/api/v1/reports/turnaround.csv?group=week&table=groups"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let body: Value = manager
        .get(app.url("/api/v1/reports/turnaround"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["count_submitted"], 0);
}

#[tokio::test]
async fn a_manager_finds_applications_by_plate_firm_or_authority() {
    let app = crate::helpers::spawn_app().await;
    let flow = crate::flow::Flow::new(&app).await;
    let mut spare = crate::permits::county_blade(3);
    spare["vehicle"]["tractor_plate"] = serde_json::json!("新B77777");
    let wanted = flow.submitted(&spare).await;
    let other = flow.submitted(&crate::flow::blade()).await;
    let (manager, _) = crate::admin_pages::signed_in(&app, "manager@demo.local", DEMO).await;
    let list = |query: &'static str| {
        let manager = manager.clone();
        let url = app.url(&format!("/applications?{query}"));
        async move { manager.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let (a, b) = (
        wanted["reference"].as_str().unwrap(),
        other["reference"].as_str().unwrap(),
    );
    // A plate typed as the driver says it.
    let by_plate = list("q=%E6%96%B0B77777").await;
    assert!(by_plate.contains(a) && !by_plate.contains(b), "{by_plate}");
    // The firm's name finds both; an authority only where it has a task (Barkol: the other).
    let by_firm = list("q=%E6%9C%A8%E5%9E%92%E9%A3%8E%E7%94%B5").await;
    assert!(by_firm.contains(a) && by_firm.contains(b));
    let by_authority = list("authority=650521-TRANSPORT").await;
    assert!(
        by_authority.contains(b) && !by_authority.contains(a),
        "{by_authority}"
    );
    // Drafts are the firm's own: a manager is not offered a filter that is always empty.
    assert!(!by_firm.contains("value=\"draft\""));
    // A LIKE wildcard typed is a character, not "everything".
    let wild = list("q=%25").await;
    assert!(!wild.contains(a) && !wild.contains(b));
}
