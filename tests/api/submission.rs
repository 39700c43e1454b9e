//! Submission through the API: every rule of the regulation, every failing field named, attachments checked by content.

use crate::flow::{blade, Flow, PDF};
use crate::helpers::{error_of, spawn_app};
use serde_json::{json, Value};

#[tokio::test]
async fn submission_reports_every_problem_with_its_field_and_leaves_the_draft_alone() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut bad = blade();
    bad["cargo"]["length_m"] = json!(250);
    bad["cargo"]["pieces"] = json!(0);
    bad["vehicle"]["tractor_plate"] = json!("B12345");
    bad["vehicle"]["trailer_plates"] = json!(["新B6789"]);
    bad["route"]["segments"][1]["jurisdiction"] = json!("650599");
    bad["travel"]["from"] = json!("2026-11-30");
    bad["travel"]["trips"] = json!(10001);
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &bad)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(draft["status"], "draft");
    let id = draft["id"].as_str().unwrap();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/applications/{id}/submit")))
        .bearer_auth(&flow.applicant)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!(status, 422);
    assert_eq!(error["code"], "validation_failed");
    let fields = error["fields"].as_object().unwrap();
    for field in [
        "cargo.length_m",
        "cargo.pieces",
        "vehicle.tractor_plate",
        "vehicle.trailer_plates[0]",
        "route.segments[1].jurisdiction",
        "travel.from",
        "travel.trips",
        // The vehicle's figures can be read: its class III needs both files, said at once.
        "attachments.contour_drawing",
        "attachments.escort_plan",
    ] {
        assert!(
            fields.contains_key(field),
            "{field} missing from {fields:?}"
        );
    }
    assert_eq!(fields.len(), 9, "{fields:?}");
    assert_eq!(fields["travel.from"], "must be today (2026-12-01) or later");
    let after = flow.fetch(id).await;
    assert_eq!(
        (after["status"].as_str(), after["version"].as_i64()),
        (Some("draft"), draft["version"].as_i64())
    );

    // In Chinese by default.
    let (_, error) = error_of(
        flow.post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(
        error["fields"]["cargo.pieces"],
        "须为 1 至 10000 之间的整数"
    );
}

#[tokio::test]
async fn the_rules_of_the_regulation_refuse_at_submission() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let check = |edit: fn(&mut Value)| {
        let mut input = blade();
        edit(&mut input);
        input
    };
    let cases: Vec<(Value, &str, bool)> = vec![
        // A load within every general limit.
        (
            check(|v| {
                v["cargo"] = json!({"description": "Transformer parts", "pieces": 2, "divisible": false, "length_m": 10, "width_m": 2.4, "height_m": 2.5, "mass_kg": 8000});
                v["vehicle"]["overall_length_m"] = json!(16.0);
                v["vehicle"]["overall_width_m"] = json!(2.5);
                v["vehicle"]["overall_height_m"] = json!(3.9);
                v["vehicle"]["axles"] = json!(5);
                v["vehicle"]["gross_mass_kg"] = json!(30000);
                v["vehicle"]["max_axle_load_kg"] = json!(8000);
            }),
            "vehicle",
            true,
        ),
        (
            check(|v| v["cargo"]["divisible"] = json!(true)),
            "cargo.divisible",
            true,
        ),
        (
            check(|v| v["vehicle"]["max_axle_load_kg"] = json!(13500)),
            "vehicle.max_axle_load_kg",
            true,
        ),
        (
            check(|v| v["vehicle"]["gross_mass_kg"] = json!(101000)),
            "vehicle.gross_mass_kg",
            true,
        ),
        // Without the attachments a class III application needs.
        (blade(), "attachments.contour_drawing", false),
    ];
    for (input, field, with_attachments) in cases {
        let draft: Value = flow
            .post(&flow.applicant, "/api/v1/applications", &input)
            .await
            .json()
            .await
            .unwrap();
        let id = draft["id"].as_str().unwrap();
        if with_attachments {
            flow.upload(id, "contour_drawing", &PDF).await;
            flow.upload(id, "escort_plan", &PDF).await;
        }
        let (status, error) = error_of(
            flow.post(
                &flow.applicant,
                &format!("/api/v1/applications/{id}/submit"),
                &json!({}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 422, "{field}");
        assert!(
            error["fields"][field].is_string(),
            "{field} missing: {error}"
        );
    }
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_size() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &blade())
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap();
    let ok: Value = flow
        .upload(id, "contour_drawing", b"\x89PNG\r\n\x1a\nrest")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["kind"], "contour_drawing");
    assert_eq!(ok["size"], 12);
    assert_eq!(ok["sha256"].as_str().unwrap().len(), 64);
    let stored = app
        .dir
        .path()
        .join("attachments")
        .join(&ok["sha256"].as_str().unwrap()[..2])
        .join(ok["sha256"].as_str().unwrap());
    assert_eq!(std::fs::read(stored).unwrap(), b"\x89PNG\r\n\x1a\nrest");

    let (status, error) =
        error_of(flow.upload(id, "escort_plan", b"MZ not a pdf at all").await).await;
    assert_eq!(
        (status.as_u16(), error["fields"]["file"].is_string()),
        (422, true)
    );
    let (status, error) = error_of(flow.upload(id, "selfie", &PDF).await).await;
    assert_eq!(
        (status.as_u16(), error["fields"]["kind"].is_string()),
        (422, true)
    );
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    assert_eq!(flow.upload(id, "escort_plan", &big).await.status(), 413);
    let after = flow.fetch(id).await;
    assert_eq!(
        after["attachments"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
async fn a_firm_without_the_qualification_or_under_restriction_is_not_accepted() {
    use diesel::prelude::*;
    use permitflow::db::schema::firms;
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let draft: Value = flow
        .post(&flow.applicant, "/api/v1/applications", &blade())
        .await
        .json()
        .await
        .unwrap();
    let id = draft["id"].as_str().unwrap().to_string();
    flow.upload(&id, "contour_drawing", &PDF).await;
    flow.upload(&id, "escort_plan", &PDF).await;
    let firm_code = draft["firm_code"].as_str().unwrap().to_string();
    let set = |qualified: bool, until: Option<chrono::NaiveDate>| {
        diesel::update(firms::table.filter(firms::credit_code.eq(firm_code.clone())))
            .set((
                firms::oversize_qualified.eq(qualified),
                firms::restricted_until.eq(until),
            ))
            .execute(&mut app.connect())
            .unwrap();
    };
    let submit = || async {
        let response = app
            .client
            .post(app.url(&format!("/api/v1/applications/{id}/submit")))
            .bearer_auth(&flow.applicant)
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap();
        error_of(response).await
    };
    set(false, None);
    let (status, error) = submit().await;
    assert_eq!(status, 422);
    assert_eq!(
        error["fields"]["firm"],
        "the firm's operating licence does not cover oversize transport"
    );
    // The restriction still holds on its last day (the test clock's 1 December).
    set(true, chrono::NaiveDate::from_ymd_opt(2026, 12, 1));
    let (status, error) = submit().await;
    assert_eq!(status, 422);
    assert_eq!(
        error["fields"]["firm"],
        "the firm is under a restriction period until 2026-12-01"
    );
    set(true, chrono::NaiveDate::from_ymd_opt(2026, 11, 30));
    let response = flow
        .post(
            &flow.applicant,
            &format!("/api/v1/applications/{id}/submit"),
            &json!({}),
        )
        .await;
    assert_eq!(
        response.status(),
        200,
        "a restriction that ended yesterday no longer applies"
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_named_by_its_field() {
    let app = spawn_app().await;
    let flow = Flow::new(&app).await;
    let mut input = blade();
    input["route"]["segments"][1]["length_km"] = json!("140 km");
    let (status, error) = error_of(
        flow.post(&flow.applicant, "/api/v1/applications", &input)
            .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(error["code"], "validation_failed");
    assert!(
        error["fields"]["route.segments[1].length_km"]
            .as_str()
            .unwrap()
            .contains("类型不正确"),
        "{error}"
    );
    let list: Value = flow
        .get(&flow.applicant, "/api/v1/applications")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "nothing written");
}
