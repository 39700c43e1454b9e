//! The permit as people see it, in a real headless Chromium: the printable A4 permit behind
//! sign-in, its QR code scanned back from the rendered page, and the phone page the code opens,
//! where an inspector records the trip.

use crate::browser::{keep, qr_codes_in, Browser};
use crate::flow::{Flow, DEMO};
use crate::helpers::spawn_app;
use crate::permits::{county_blade, issued};
use serde_json::Value;

/// Pages in a PDF: the page objects, not the `/Pages` tree nodes.
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(i, _)| !text[i + 11..].starts_with('s'))
        .count()
}

#[tokio::test]
async fn the_printed_permit_fits_a4_and_its_qr_code_scans_to_the_verification_page() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    // Nine conditions, as a busy joint review gives them: the six common ones, bilingual, and
    // three typed; the permit still fits one A4 page, with room to seal and sign.
    let common = permitflow::i18n::COMMON_CONDITIONS;
    let conditions: &[&[&str]] = &[
        &[common[0], common[1], common[2]],
        &[
            common[3],
            common[4],
            common[5],
            "经 S228 绕行木垒县城，避开东城口立交限高 4.8 米处",
            "K12+300 涵洞前停车，由护送车确认净空后单车缓行",
            "每日 20:00 前向木垒县交警大队报备次日出车计划",
        ],
    ];
    let application = issued(&flow, &county_blade(3), conditions).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();
    let permit: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap();
    let verify_url = permit["verify_url"].as_str().unwrap().to_string();

    let browser = Browser::start(1100, 1500).await;
    // Not signed in: the permit asks for a sign-in, then comes back to it.
    let page = format!("/permits/{permit_no}");
    browser.goto(&app.url(&page)).await;
    assert!(
        browser.url().await.contains("/login?next="),
        "sign in first"
    );
    browser
        .sign_in(&app.address, &page, "applicant@demo.local", DEMO)
        .await;
    assert_eq!(browser.url().await, app.url(&page));
    assert!(browser.text(".permit-no").await.contains(&permit_no));
    let conditions = browser.text(".conditions").await;
    assert!(conditions.contains("Escort vehicle front and rear") && conditions.contains("40 km/h"));
    assert_eq!(
        browser
            .script("return document.querySelectorAll('.conditions li').length")
            .await,
        9
    );
    assert!(
        browser.text(".seal-area").await.contains("印章"),
        "room for the seal"
    );
    assert!(browser.text(".plates").await.contains("新B6789挂"));

    // The QR code, as rendered on screen, scans back to the verification address.
    let png = browser.screenshot().await;
    keep("permit.png", &png, app.dir.path());
    assert_eq!(qr_codes_in(&png), vec![verify_url.clone()]);

    // Printed, it is one A4 page without the site's header.
    let header_shown = browser
        .script("return getComputedStyle(document.querySelector('header.top')).display")
        .await;
    assert_eq!(header_shown, "flex", "on screen the header is there");
    let pdf = browser.print_a4().await;
    keep("permit.pdf", &pdf, app.dir.path());
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(pdf_pages(&pdf), 1, "the permit fits one A4 page");
    drop(browser);

    // On a phone: anyone sees it is genuine and valid; an inspector records the trip there.
    let phone = Browser::start(390, 844).await;
    assert!(
        verify_url.starts_with(&app.address),
        "the code leads to this server"
    );
    let verify_page = verify_url[app.address.len()..].to_string();
    phone.goto(&verify_url).await;
    let verdict = phone.text(".verdict").await;
    assert!(
        verdict.contains("有效") || verdict.contains("Valid"),
        "{verdict}"
    );
    assert!(
        !phone
            .script("return document.body.innerText")
            .await
            .as_str()
            .unwrap()
            .contains("91652328"),
        "no credit code or other details beyond the public ones"
    );
    keep(
        "verify-phone.png",
        &phone.screenshot().await,
        app.dir.path(),
    );
    phone
        .sign_in(&app.address, &verify_page, "inspector@demo.local", DEMO)
        .await;
    phone.type_into("#plate", "新b 12345").await;
    phone.type_into("#location", "G7 木垒收费站").await;
    phone.submit(".trip-form button").await;
    let verdict = phone.text(".scan-verdict.pass").await;
    assert!(
        (verdict.contains("放行") || verdict.contains("PASS")) && verdict.contains("新B12345"),
        "the departure passes, for this plate: {verdict}"
    );
    assert!(verdict.contains('1'), "trip 1: {verdict}");
    keep(
        "verify-recorded.png",
        &phone.screenshot().await,
        app.dir.path(),
    );
    let after: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["trips_used"], 1);
    assert_eq!(after["trips"][0]["location"], "G7 木垒收费站");
    // A wrong plate on the form is a full red stop with the reason in words, and nothing
    // green on the screen.
    phone.goto(&app.url(&verify_page)).await;
    phone.type_into("#plate", "新B99999").await;
    phone.type_into("#location", "G7 木垒收费站").await;
    phone.submit(".trip-form button").await;
    let stop = phone.text(".scan-verdict.stop").await;
    assert!(
        (stop.contains("停车") || stop.contains("STOP"))
            && stop.contains("新B99999")
            && (stop.contains("不在本许可证上") || stop.contains("not on this permit")),
        "{stop}"
    );
    let green = phone
        .script("return document.querySelectorAll('.pass, .state-valid, .notice.good').length")
        .await;
    assert_eq!(green, 0, "no green above a refusal");
    // Back to the form after the stop: what was typed is still there, to correct the plate.
    phone.submit("a.check-again").await;
    let kept = phone
        .script("return [document.querySelector('#plate').value, document.querySelector('#location').value]")
        .await;
    assert_eq!(kept, serde_json::json!(["新B99999", "G7 木垒收费站"]));
    // Genuine, then the state: never "genuine and valid" above "not yet valid".
    let verdict = phone.text(".verdict").await;
    assert!(
        !verdict.contains("真实有效") && (verdict.contains("真实") || verdict.contains("Genuine")),
        "{verdict}"
    );

    // A code that was not signed here says so, and nothing else.
    let forged = verify_page.replace("?t=", "?t=AAAA");
    phone.goto(&app.url(&forged)).await;
    let verdict = phone.text(".verdict").await;
    assert!(
        verdict.contains("无法核验") || verdict.contains("Not authentic"),
        "{verdict}"
    );
    assert!(!phone
        .script("return document.body.innerText")
        .await
        .as_str()
        .unwrap()
        .contains("新B12345"));
}

#[tokio::test]
async fn an_inspector_checks_a_typed_number_and_records_the_trip_on_a_phone() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let application = issued(&flow, &county_blade(2), &[&["限速 40 km/h"]]).await;
    let permit_no = application["permit_no"].as_str().unwrap().to_string();

    let phone = Browser::start(390, 844).await;
    phone
        .sign_in(&app.address, "/inspect", "inspector@demo.local", DEMO)
        .await;
    assert_eq!(phone.url().await, app.url("/inspect"));
    // Typed loosely, as on a phone keyboard.
    phone
        .type_into("#no", &format!(" {} ", permit_no.to_lowercase()))
        .await;
    phone.submit(".lookup button").await;
    let verdict = phone.text(".verdict").await;
    assert!(
        verdict.contains("有效") || verdict.contains("Valid"),
        "{verdict}"
    );
    assert!(verdict.contains('2'), "trips left: {verdict}");
    // The trailer's plate departs trip 1 of 2: a green pass for this plate.
    let scan = |plate: &'static str, stage: &'static str| {
        let phone = &phone;
        let page = app.url(&format!("/inspect?no={permit_no}"));
        async move {
            phone.goto(&page).await;
            phone.type_into("#plate", plate).await;
            phone.type_into("#location", "S228 检查站").await;
            if !stage.is_empty() {
                phone
                    .click(&format!("input[name=stage][value={stage}]"))
                    .await;
            }
            phone.submit(".trip-form button").await;
        }
    };
    scan("新B6789挂", "").await;
    let pass = phone.text(".scan-verdict.pass").await;
    assert!(
        pass.contains("新B6789挂") && pass.contains("1") && pass.contains('2'),
        "{pass}"
    );
    keep(
        "inspect-phone.png",
        &phone.screenshot().await,
        app.dir.path(),
    );
    // Reloading the pass shows it again and records nothing.
    phone.goto(&phone.url().await).await;
    // The tractor seen at the next checkpoint is the same trip; then it arrives.
    scan("新B12345", "").await;
    let pass = phone.text(".scan-verdict.pass").await;
    assert!(
        pass.contains("途经") || pass.contains("Checkpoint"),
        "{pass}"
    );
    scan("新B12345", "arrival").await;
    assert!(
        phone.text(".scan-verdict.pass").await.contains("到达")
            || phone.text(".scan-verdict.pass").await.contains("Arrival")
    );
    scan("新B12345", "").await;
    scan("新B12345", "arrival").await;
    // A third departure: every trip used, a red stop with the reason.
    scan("新B12345", "departure").await;
    let refused = phone.text(".scan-verdict.stop").await;
    assert!(
        refused.contains("用完") || refused.contains("used"),
        "{refused}"
    );
    keep(
        "inspect-stop-phone.png",
        &phone.screenshot().await,
        app.dir.path(),
    );
    let p: Value = flow
        .get(&flow.applicant, &format!("/api/v1/permits/{permit_no}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["trips_used"], 2);
    assert_eq!(p["trips"][0]["location"], "S228 检查站");

    phone.goto(&app.url("/inspect?no=652328-2026-999999")).await;
    let verdict = phone.text(".verdict").await;
    assert!(
        verdict.contains("查无此证") || verdict.contains("No such permit"),
        "{verdict}"
    );
    drop(phone);

    // Only inspectors have this page.
    let desk = Browser::start(1000, 800).await;
    desk.sign_in(&app.address, "/inspect", "applicant@demo.local", DEMO)
        .await;
    let body = desk.script("return document.body.innerText").await;
    assert!(
        body.as_str().unwrap().contains("无权访问")
            || body.as_str().unwrap().contains("Not allowed"),
        "{body}"
    );
}
