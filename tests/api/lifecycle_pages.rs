//! One whole joint lifecycle through the pages only, in a real browser: the dispatcher fills
//! in the form with its attachments (first with mistakes, shown at their fields), the issuer
//! accepts, nine reviewers approve with conditions, the dispatcher opens the permit, and an
//! inspector records a trip in a phone-sized window.

use crate::browser::{keep, Browser};
use crate::flow::DEMO;
use crate::helpers::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn a_blade_from_form_to_trip_through_the_pages_only() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let pdf = app.dir.path().join("contour.pdf");
    std::fs::write(
        &pdf,
        permitflow::domain::attachment::sample_pdf("contour drawing of a 126 m blade"),
    )
    .unwrap();
    let plan = app.dir.path().join("escort.pdf");
    std::fs::write(
        &plan,
        permitflow::domain::attachment::sample_pdf("escort plan"),
    )
    .unwrap();

    let desk = Browser::start(1200, 1600).await;
    desk.sign_in(&app.address, "/applications", "applicant@demo.local", DEMO)
        .await;
    desk.submit("a[href='/applications/new']").await;
    // Help where dispatchers hesitate: what makes class III and which files it needs, from
    // the rules in force.
    let help = desk.text("fieldset:last-of-type .help").await;
    assert!(
        (help.contains("III") || help.contains("三类"))
            && help.contains("3.75")
            && help.contains("15"),
        "{help}"
    );
    desk.fill(&[
        ("cargo.pieces", "1"),
        ("cargo.length_m", "126"),
        ("cargo.width_m", "4,8"),
        ("cargo.height_m", "4,9x"),
        ("cargo.mass_kg", "58000"),
        ("vehicle.tractor_plate", "新B12345"),
        ("vehicle.trailer_plates", "新B6789"),
        ("vehicle.axles", "10"),
        ("vehicle.overall_length_m", "131.5"),
        ("vehicle.overall_width_m", "5.0"),
        ("vehicle.overall_height_m", "5.3"),
        ("vehicle.gross_mass_kg", "98000"),
        ("vehicle.max_axle_load_kg", "19500"),
        ("vehicle.trailer_type", "extendable_blade"),
        ("route.origin", "Mulei new-energy equipment park"),
        ("route.destination", "Santanghu wind farm"),
        ("route.segments[0].road", "G7"),
        ("route.segments[0].jurisdiction", "652328"),
        ("route.segments[0].length_km", "60.5"),
        ("route.segments[1].road", "S303"),
        ("route.segments[1].jurisdiction", "650521"),
        ("route.segments[1].length_km", "140"),
        ("travel.from", "2026-12-01"),
        ("travel.to", "2026-12-31"),
        ("travel.trips", "30"),
        ("escort.vehicles", "2"),
    ])
    .await;
    desk.click("[name='escort.police_escort']").await;
    desk.submit("button[value=submit]").await;
    // Mistakes are shown at their fields, and nothing typed is lost.
    let height_error = desk.text(".has-error [id='cargo.height_m-error']").await;
    assert!(!height_error.is_empty(), "the height's own error");
    assert!(
        desk.text(".notice.bad").await.contains("草稿已保存")
            || desk.text(".notice.bad").await.contains("draft is saved")
    );
    let kept = desk
        .script("return document.querySelector(\"[name='route.segments[1].length_km']\").value")
        .await;
    assert_eq!(kept, "140", "typed values stay");
    // Every other problem is listed at once too, each at its own field.
    let error_at = |name: &str| {
        format!(
            "return document.querySelector(\"[name='{name}']\").closest('.field').querySelector('.field-error')?.textContent || ''"
        )
    };
    // All in one pass: a missing field, a plate not of its form, an axle load no permit can
    // allow and the drawings class III needs, each at its own field.
    for (field, says) in [
        ("cargo.description", ""),
        ("vehicle.trailer_plates", "新B6789"),
        ("vehicle.max_axle_load_kg", "13000"),
        ("file.escort_plan", "III"),
        ("file.contour_drawing", "III"),
    ] {
        let shown = desk.script(&error_at(field)).await;
        assert!(
            !shown.as_str().unwrap().is_empty() && shown.as_str().unwrap().contains(says),
            "{field}: {shown}"
        );
    }
    let banner = desk.text(".notice.bad").await;
    assert!(banner.contains("6"), "six fields to correct: {banner}");
    // A decimal comma is a decimal point, never a thousands separator.
    let width_error = desk.script(&error_at("cargo.width_m")).await;
    assert_eq!(width_error, "", "4,8 is 4.8 m");

    keep("form-errors.png", &desk.screenshot().await, app.dir.path());
    desk.fill(&[
        ("cargo.height_m", "4.9"),
        ("cargo.description", "Wind turbine blade"),
        ("vehicle.trailer_plates", "新B6789挂"),
        ("vehicle.max_axle_load_kg", "12500"),
    ])
    .await;
    desk.type_into("[name='file.contour_drawing']", pdf.to_str().unwrap())
        .await;
    desk.type_into("[name='file.escort_plan']", plan.to_str().unwrap())
        .await;
    desk.submit("button[value=submit]").await;
    let url = desk.url().await;
    let id = url.rsplit('/').next().unwrap();
    let id = id.split('?').next().unwrap().to_string();
    if url.ends_with("/edit") {
        let errors = desk
            .script("return [...document.querySelectorAll('.field-error, .notice')].map(e => e.textContent)")
            .await;
        panic!("not submitted: {errors}");
    }
    let status = desk.text(".app-head .badge").await;
    assert!(
        status.contains("待受理") || status.contains("Submitted"),
        "{status}"
    );
    let reference = desk.text(".app-head h1").await;
    // What was submitted, and what happens next.
    let said = desk.text(".notice.good").await;
    let number = reference.split_whitespace().next().unwrap();
    assert!(said.contains(number), "{said}");
    let next = desk.text(".next-step").await;
    assert!(
        next.contains("650000") || next.contains("Xinjiang") || next.contains("新疆"),
        "{next}"
    );

    // Acceptance, then nine reviewers, each from their queue.
    let reviewers = [
        "650000-highway", // the region issues: acceptance
        "652328-transport",
        "652328-police",
        "650521-transport",
        "650521-police",
        "652300-highway",
        "652300-police",
        "650500-highway",
        "650500-police",
        "650000-police",
    ];
    for (i, reviewer) in reviewers.iter().enumerate() {
        desk.sign_in(
            &app.address,
            "/queue",
            &format!("{reviewer}@demo.local"),
            DEMO,
        )
        .await;
        let queue = desk.text("table.queue").await;
        assert!(
            queue.contains(reference.split_whitespace().next().unwrap()),
            "{reviewer}: {queue}"
        );
        desk.submit("table.queue a").await;
        if i > 0 {
            desk.click("input[name=condition][value^='夜间']").await;
        }
        desk.submit("button[value=approve]").await;
        assert!(desk.text(".notice.good").await.len() > 3, "{reviewer}");
    }
    // Issuance.
    desk.sign_in(&app.address, "/queue", "650000-highway@demo.local", DEMO)
        .await;
    desk.submit("table.queue a").await;
    // The issuer sees the permit that will be issued, with every condition once, in one language.
    let to_issue = desk.text(".to-issue").await;
    assert!(
        to_issue.contains("新B12345") && to_issue.contains("30"),
        "{to_issue}"
    );
    assert_eq!(to_issue.matches("22:00").count(), 1, "{to_issue}");
    let issue_button = desk.text("button[value=approve]").await;
    assert!(
        issue_button.contains("签发") || issue_button.contains("Issue"),
        "{issue_button}"
    );
    desk.submit("button[value=approve]").await;
    let issued = desk.text(".notice.good").await;
    assert!(
        issued.contains("XK") || issued.contains("-"),
        "names the permit: {issued}"
    );

    // The dispatcher sees the permit, with the condition once.
    desk.sign_in(&app.address, "/applications", "applicant@demo.local", DEMO)
        .await;
    let list = desk.text("table.applications").await;
    assert!(list.contains("已发证") || list.contains("Issued"), "{list}");
    keep(
        "applicant-dashboard.png",
        &desk.screenshot().await,
        app.dir.path(),
    );
    // The same blade again: a copy keeps cargo, vehicle and route, not the dates.
    desk.submit("button.copy").await;
    let copied = desk
        .script("return [document.querySelector(\"[name='cargo.length_m']\").value, document.querySelector(\"[name='route.segments[1].jurisdiction']\").value, document.querySelector(\"[name='travel.from']\").value]")
        .await;
    assert_eq!(copied, serde_json::json!(["126", "650521", ""]));
    // The files come along, and the form says where it was copied from.
    let note = desk.text(".notice.copied").await;
    assert!(note.contains(number), "{note}");
    let files = desk.text("fieldset:last-of-type").await;
    assert!(
        files.contains("contour.pdf") && files.contains("escort.pdf"),
        "{files}"
    );
    desk.goto(&app.url("/applications")).await;
    desk.submit(&format!("a[href='/applications/{id}']")).await;
    desk.submit(".app-head a.button").await;
    let conditions = desk.text(".conditions").await;
    assert_eq!(conditions.matches("夜间").count(), 1, "{conditions}");
    let permit_no = desk.text(".permit-no").await;
    let permit_no = permit_no.split_whitespace().last().unwrap().to_string();
    drop(desk);

    // The inspector, on a phone.
    let phone = Browser::start(390, 844).await;
    phone
        .sign_in(&app.address, "/inspect", "inspector@demo.local", DEMO)
        .await;
    phone.type_into("#no", &permit_no).await;
    phone.submit(".lookup button").await;
    phone.type_into("#plate", "新B12345").await;
    phone.type_into("#location", "G7 木垒收费站").await;
    phone.submit(".trip-form button").await;
    let pass = phone.text(".scan-verdict.pass").await;
    assert!(pass.contains("新B12345") && pass.contains('1'), "{pass}");
    keep(
        "inspector-phone.png",
        &phone.screenshot().await,
        app.dir.path(),
    );

    let token = app.token("applicant@demo.local", DEMO).await;
    let permit: Value = app
        .get_as(&format!("/api/v1/permits/{permit_no}"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(permit["trips_used"], 1);
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_forms_need_their_token() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let page = Browser::start(1000, 900).await;
    page.sign_in(
        &app.address,
        "/applications/new",
        "applicant@demo.local",
        DEMO,
    )
    .await;
    let lang = page.script("return document.documentElement.lang").await;
    let (to, expect) = if lang == "en" {
        ("a[href='/lang/zh-CN']", "zh-CN")
    } else {
        ("a[href='/lang/en']", "en")
    };
    page.submit(to).await;
    assert_eq!(
        page.url().await,
        app.url("/applications/new"),
        "back where it was"
    );
    assert_eq!(
        page.script("return document.documentElement.lang").await,
        expect
    );
    page.goto(&app.url("/applications")).await;
    assert_eq!(
        page.script("return document.documentElement.lang").await,
        expect,
        "remembered"
    );

    // A form whose CSRF token is gone is refused, and nothing is created.
    page.goto(&app.url("/applications/new")).await;
    page.script("document.querySelector('form.application-form [name=csrf]').remove()")
        .await;
    page.type_into("[name='cargo.description']", "Nacelle")
        .await;
    page.submit("button[value=save]").await;
    let body = page.script("return document.body.innerText").await;
    assert!(
        body.as_str().unwrap().contains("无权访问")
            || body.as_str().unwrap().contains("Not allowed"),
        "{body}"
    );
    let token = app.token("applicant@demo.local", DEMO).await;
    let list: Value = app
        .get_as("/api/v1/applications", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn a_new_form_keeps_to_one_draft_and_drafts_are_named_and_can_be_discarded() {
    let app = spawn_app().await;
    app.seed_demo().await;
    let desk = Browser::start(1200, 1200).await;
    desk.sign_in(
        &app.address,
        "/applications/new",
        "applicant@demo.local",
        DEMO,
    )
    .await;
    desk.fill(&[
        ("cargo.description", "Tower section T3"),
        ("travel.from", "2026-12-05"),
        ("travel.to", "2026-12-20"),
    ])
    .await;
    // The same new form posted three times (an error, a reload, the back button): one draft.
    let statuses = desk
        .script(
            "var form = document.querySelector('form.application-form'); var data = new FormData(form); data.set('action', 'submit'); \
             var codes = []; for (var i = 0; i < 3; i++) { var x = new XMLHttpRequest(); x.open('POST', '/applications/new', false); x.send(data); codes.push(x.status); } return codes;",
        )
        .await;
    assert_eq!(statuses, serde_json::json!([422, 422, 422]));
    let token = app.token("applicant@demo.local", DEMO).await;
    let drafts = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == "draft")
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    };
    let list: Value = app
        .get_as("/api/v1/applications", &token)
        .await
        .json()
        .await
        .unwrap();
    let made = drafts(&list);
    assert_eq!(made.len(), 1, "one draft for one form: {list}");

    // The list tells the draft by its cargo and dates, and it can be discarded, after asking.
    desk.goto(&app.url("/applications")).await;
    let line = desk.text(".draft-line").await;
    assert!(
        line.contains("Tower section T3") && line.contains("2026-12-05"),
        "{line}"
    );
    keep("drafts.png", &desk.screenshot().await, app.dir.path());
    let asked = desk.confirm_and_submit("form.discard button").await;
    assert!(asked.contains("PF-2026-"), "{asked}");
    let notice = desk.text(".notice.good").await;
    assert!(notice.contains("PF-2026-"), "{notice}");
    let gone = app
        .get_as(&format!("/api/v1/applications/{}", made[0]), &token)
        .await;
    assert_eq!(gone.status(), 404);
    // What was submitted cannot be discarded.
    let flow = crate::flow::Flow::new(&app).await;
    let submitted = flow.submitted(&crate::flow::blade()).await;
    let submitted = submitted["id"].as_str().unwrap();
    let refused = desk
        .script(&format!(
            "var x = new XMLHttpRequest(); x.open('POST', '/applications/{submitted}/discard', false); \
             x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded'); \
             x.send('csrf=' + encodeURIComponent(document.querySelector('[name=csrf]').value)); return x.status;"
        ))
        .await;
    assert_eq!(refused, 409);
}
