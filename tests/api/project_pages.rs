//! Transport projects through the pages, in a real browser: the dispatcher reports a campaign
//! on the project form (a fleet pasted from a spreadsheet, mistakes shown at their rows),
//! reviewers see one project in their queue, the campaign's page shows its progress, and an
//! inspector's phone says stop for a truck that is not on a load's permit and pass for one
//! that is.

use crate::browser::{keep, Browser};
use crate::flow::{open_tasks, Flow, DEMO};
use crate::helpers::spawn_app;
use crate::projects::project;
use serde_json::{json, Value};

/// The error shown at a field, if any.
async fn error_at(page: &Browser, name: &str) -> String {
    page.script(&format!(
        "var e = document.querySelector(\"[name='{name}']\"); \
         var box = e.closest('.field') || e.closest('td'); \
         return box.querySelector('.field-error')?.textContent || ''"
    ))
    .await
    .as_str()
    .unwrap()
    .to_string()
}

#[tokio::test]
async fn a_dispatcher_reports_a_campaign_and_an_inspector_stops_the_wrong_truck() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let pdf = app.dir.path().join("drawing.pdf");
    std::fs::write(
        &pdf,
        permitflow::domain::attachment::sample_pdf("contour drawing"),
    )
    .unwrap();

    let desk = Browser::start(1200, 1800).await;
    desk.sign_in(&app.address, "/applications", "applicant@demo.local", DEMO)
        .await;
    desk.submit("a[href='/projects/new']").await;
    desk.fill(&[
        ("project.name", "三塘湖风电场二期"),
        ("project.site", "Santanghu"),
        ("project.sets", "100"),
        ("route.origin", "Mulei park"),
        ("route.destination", "Santanghu wind farm"),
        ("route.segments[0].road", "G7"),
        ("route.segments[0].jurisdiction", "652328"),
        ("route.segments[0].length_km", "60.5"),
        ("route.segments[1].road", "S303"),
        ("route.segments[1].jurisdiction", "650521"),
        ("route.segments[1].length_km", "140"),
        ("travel.from", "2026-12-01"),
        ("travel.to", "2027-05-31"),
        ("escort.vehicles", "2"),
        ("loads[0].key", "blade"),
        ("loads[0].vehicle.trailer_type", "extendable_blade"),
        ("loads[0].cargo.description", "Blade 86 m"),
        ("loads[0].cargo.pieces", "1"),
        ("loads[0].cargo.length_m", "86"),
        ("loads[0].cargo.width_m", "4"),
        ("loads[0].cargo.height_m", "3.6"),
        ("loads[0].cargo.mass_kg", "24000"),
        ("loads[0].vehicle.axles", "8"),
        ("loads[0].vehicle.overall_length_m", "95"),
        ("loads[0].vehicle.overall_width_m", "4.2"),
        ("loads[0].vehicle.overall_height_m", "4.6"),
        ("loads[0].vehicle.gross_mass_kg", "78000"),
        ("loads[0].vehicle.max_axle_load_kg", "11000"),
        ("loads[0].trips", "300"),
        ("fleet[0].tractor_plate", "新B12345"),
        ("fleet[0].trailer_plates", "新B6789挂"),
        ("fleet[0].trailer_type", "extendable_blade"),
        ("fleet[0].axles", "8"),
        ("fleet[0].loads", "blade"),
    ])
    .await;
    // A second load: the button adds its block and keeps everything typed.
    desk.submit("button[value=add_load]").await;
    assert_eq!(
        desk.script("return document.querySelectorAll('fieldset.load').length")
            .await,
        2
    );
    assert_eq!(
        desk.script("return document.querySelector(\"[name='loads[0].trips']\").value")
            .await,
        "300"
    );
    desk.fill(&[
        ("loads[1].key", "nacelle"),
        ("loads[1].vehicle.trailer_type", "hydraulic_modular"),
        ("loads[1].cargo.description", "Nacelle"),
        ("loads[1].cargo.pieces", "1"),
        ("loads[1].cargo.length_m", "12"),
        ("loads[1].cargo.width_m", "4.2"),
        ("loads[1].cargo.height_m", "4"),
        ("loads[1].cargo.mass_kg", "85000"),
        ("loads[1].vehicle.axles", "10"),
        ("loads[1].vehicle.overall_length_m", "20"),
        ("loads[1].vehicle.overall_width_m", "4.5"),
        ("loads[1].vehicle.overall_height_m", "5.6"),
        ("loads[1].vehicle.gross_mass_kg", "120000"),
        ("loads[1].vehicle.max_axle_load_kg", "13000"),
    ])
    .await;
    // The rest of the fleet pasted from a spreadsheet, its header line and all.
    desk.click("details.paste summary").await;
    let rows = "牵引车\t挂车\t类型\t轴数\t货物\n\
                新B22345\t新B6790挂\t叶片专用伸缩挂车\t8\tblade\n\
                新B32345\t\t液压轴线车\t10\tnacelle\n";
    desk.script(&format!(
        "document.querySelector('#fleet_paste').value = {}",
        json!(rows)
    ))
    .await;
    desk.submit("button[value=paste]").await;
    assert_eq!(
        desk.script("return document.querySelector(\"[name='fleet[2].tractor_plate']\").value")
            .await,
        "新B32345"
    );
    assert_eq!(
        desk.script("return document.querySelector(\"[name='fleet[2].trailer_type']\").value")
            .await,
        "hydraulic_modular"
    );

    // Submitting without the nacelle's trips or any file: each problem at its own field.
    desk.submit("button[value=submit]").await;
    assert!(desk.url().await.ends_with("/edit") || desk.url().await.ends_with("/new"));
    assert!(!error_at(&desk, "loads[1].trips").await.is_empty());
    assert!(!error_at(&desk, "file.contour_drawing[0]").await.is_empty());
    assert!(!error_at(&desk, "file.contour_drawing[1]").await.is_empty());
    assert!(!error_at(&desk, "file.escort_plan").await.is_empty());
    assert!(error_at(&desk, "loads[0].trips").await.is_empty());
    keep(
        "project-form-errors.png",
        &desk.screenshot().await,
        app.dir.path(),
    );
    desk.fill(&[("loads[1].trips", "100")]).await;
    for field in [
        "file.contour_drawing[0]",
        "file.contour_drawing[1]",
        "file.escort_plan",
    ] {
        desk.type_into(&format!("[name='{field}']"), pdf.to_str().unwrap())
            .await;
    }
    desk.submit("button[value=submit]").await;
    let url = desk.url().await;
    if url.ends_with("/edit") {
        let errors = desk
            .script("return [...document.querySelectorAll('.field-error')].map(e => (e.closest('.field, td, fieldset')?.querySelector('[name]')?.name || '?') + ': ' + e.textContent)")
            .await;
        panic!("not submitted: {errors}");
    }
    let id = url.rsplit('/').next().unwrap().to_string();
    let page = desk.text("main").await;
    assert!(
        (page.contains("运输项目") || page.contains("Transport project"))
            && page.contains("nacelle"),
        "{page}"
    );

    // One task per authority, a project in the queue with its size.
    let mut latest = flow.fetch(&id).await;
    for task in &open_tasks(&latest) {
        flow.approve(task, &[]).await;
    }
    let police = Browser::start(1200, 900).await;
    police
        .sign_in(&app.address, "/queue", "652328-police@demo.local", DEMO)
        .await;
    let queue = police.text("table.queue").await;
    assert!(
        queue.contains("2 类货物 · 3 辆车 · 400 趟")
            || queue.contains("2 loads · 3 vehicles · 400 trips"),
        "{queue}"
    );
    drop(police);
    latest = flow.fetch(&id).await;
    while latest["status"] != "issued" {
        for task in &open_tasks(&latest) {
            flow.approve(task, &["夜间 22:00–06:00 通行 Travel 22:00–06:00 only"])
                .await;
        }
        latest = flow.fetch(&id).await;
    }
    let nacelle = latest["permits"][1].as_str().unwrap().to_string();
    let blade = latest["permits"][0].as_str().unwrap().to_string();

    // Two blade trucks on the road.
    let inspector = app.token("inspector@demo.local", DEMO).await;
    for plate in ["新B12345", "新B22345"] {
        let response = flow
            .post(
                &inspector,
                &format!("/api/v1/permits/{blade}/trips"),
                &json!({"plate": plate, "location": "G7 木垒收费站"}),
            )
            .await;
        assert_eq!(response.status(), 201);
    }
    desk.goto(&app.url(&format!("/applications/{id}"))).await;
    let progress = desk.text("section.progress").await;
    assert!(
        progress.contains("2 / 400") && progress.contains("新B22345"),
        "{progress}"
    );
    keep("project-page.png", &desk.screenshot().await, app.dir.path());
    // Six more journeys each: the printed permit keeps to the latest ten trips.
    for _ in 0..6 {
        for plate in ["新B12345", "新B22345"] {
            for stage in ["arrival", "departure"] {
                let response = flow
                    .post(
                        &inspector,
                        &format!("/api/v1/permits/{blade}/trips"),
                        &json!({"plate": plate, "location": "G7", "stage": stage}),
                    )
                    .await;
                assert_eq!(response.status(), 201);
            }
        }
    }
    // The printed permit of a load says which campaign and load, and lists the vehicles that
    // may carry it, each tractor with its trailer.
    desk.goto(&app.url(&format!("/permits/{blade}"))).await;
    assert_eq!(
        desk.script("return document.querySelectorAll('.trips tbody tr').length")
            .await,
        10
    );
    assert!(desk.text(".trips").await.contains("4 earlier trips"));
    let printed = desk.text("article.permit").await;
    assert!(printed.contains("三塘湖风电场二期 · blade"), "{printed}");
    let vehicles = desk
        .script("return [...document.querySelectorAll('.plates .vehicle')].map(v => v.textContent)")
        .await;
    assert_eq!(vehicles, json!(["新B12345新B6789挂", "新B22345新B6790挂"]));
    keep(
        "project-permit.png",
        &desk.screenshot().await,
        app.dir.path(),
    );
    drop(desk);

    // At the checkpoint: a blade truck shown the nacelle's permit is a red stop.
    let phone = Browser::start(390, 844).await;
    phone
        .sign_in(
            &app.address,
            &format!("/inspect?no={nacelle}"),
            "inspector@demo.local",
            DEMO,
        )
        .await;
    phone.type_into("#plate", "新B12345").await;
    phone.type_into("#location", "S303 三塘湖检查站").await;
    phone.submit(".trip-form button").await;
    let stop = phone.text(".scan-verdict.stop").await;
    assert!(
        (stop.contains("停车") || stop.contains("STOP"))
            && stop.contains("新B12345")
            && (stop.contains("不在本许可证上") || stop.contains("not on this permit")),
        "{stop}"
    );
    let green = phone
        .script("return document.querySelectorAll('.pass, .state-valid').length")
        .await;
    assert_eq!(green, 0);
    keep(
        "inspect-stop-phone.png",
        &phone.screenshot().await,
        app.dir.path(),
    );
    // The nacelle truck passes, in daytime with a warning: the permit allows nights only.
    phone.submit(".next-vehicle").await;
    phone.type_into("#plate", "新B32345").await;
    phone.type_into("#location", "S303 三塘湖检查站").await;
    phone.submit(".trip-form button").await;
    let pass = phone.text(".scan-verdict.pass").await;
    assert!(pass.contains("新B32345") && pass.contains("1"), "{pass}");
    let warning = phone.text(".scan-warning").await;
    assert!(warning.contains("22:00–06:00"), "{warning}");
    keep(
        "inspect-pass-warning-phone.png",
        &phone.screenshot().await,
        app.dir.path(),
    );
}

#[tokio::test]
async fn the_form_stays_usable_with_six_loads_and_thirty_vehicles() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut input = project();
    let load = input["loads"][0].clone();
    input["loads"] = Value::Array(
        ["blade", "tower1", "tower2", "tower3", "nacelle", "hub"]
            .iter()
            .map(|k| {
                let mut l = load.clone();
                l["key"] = json!(k);
                l
            })
            .collect(),
    );
    input["fleet"] = Value::Array(
        (0..30)
            .map(|i| {
                json!({"tractor_plate": format!("新B{}", 50000 + i), "trailer_plates": [],
                       "trailer_type": "extendable_blade", "axles": 8,
                       "loads": ["blade", "tower1", "tower2", "tower3", "nacelle", "hub"]})
            })
            .collect(),
    );
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &input)
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();

    let desk = Browser::start(1200, 1600).await;
    desk.sign_in(
        &app.address,
        &format!("/applications/{id}/edit"),
        "applicant@demo.local",
        DEMO,
    )
    .await;
    // The single form sends a project to its own.
    assert!(desk.url().await.ends_with(&format!("/projects/{id}/edit")));
    assert_eq!(
        desk.script("return document.querySelectorAll('fieldset.load').length")
            .await,
        6
    );
    assert_eq!(
        desk.script("return document.querySelectorAll('.fleet-table tbody tr').length")
            .await,
        32,
        "thirty vehicles and two rows to add more"
    );
    // Remove the third load and the fifth vehicle; the rest are renumbered and kept.
    desk.click("[name='loads[2].remove']").await;
    desk.fill(&[("fleet[4].tractor_plate", "")]).await;
    desk.script(
        "['trailer_plates','trailer_type','axles','loads'].forEach(p => \
         { var e = document.querySelector(\"[name='fleet[4].\" + p + \"']\"); e.value = ''; })",
    )
    .await;
    desk.submit("button[value=save]").await;
    let saved = flow.fetch(id).await;
    let keys: Vec<&str> = saved["loads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["blade", "tower1", "tower3", "nacelle", "hub"]);
    let fleet = saved["fleet"].as_array().unwrap();
    assert_eq!(fleet.len(), 29);
    assert_eq!(fleet[4]["tractor_plate"], "新B50005");
    assert_eq!(
        desk.script("return document.querySelectorAll('fieldset.load').length")
            .await,
        5
    );
}
