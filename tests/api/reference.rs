//! The reference endpoints return SPEC §3's jurisdictions and authorities.

use crate::helpers::spawn_app;
use serde_json::Value;
use std::collections::BTreeSet;

/// SPEC §3, written out independently of the data files: (code, level, parent, name_zh).
const JURISDICTIONS: [(&str, &str, Option<&str>, &str); 16] = [
    ("650000", "region", None, "新疆维吾尔自治区"),
    ("652300", "prefecture", Some("650000"), "昌吉回族自治州"),
    ("652301", "county", Some("652300"), "昌吉市"),
    ("652302", "county", Some("652300"), "阜康市"),
    ("652323", "county", Some("652300"), "呼图壁县"),
    ("652324", "county", Some("652300"), "玛纳斯县"),
    ("652325", "county", Some("652300"), "奇台县"),
    ("652327", "county", Some("652300"), "吉木萨尔县"),
    ("652328", "county", Some("652300"), "木垒哈萨克自治县"),
    ("650500", "prefecture", Some("650000"), "哈密市"),
    ("650502", "county", Some("650500"), "伊州区"),
    ("650521", "county", Some("650500"), "巴里坤哈萨克自治县"),
    ("650522", "county", Some("650500"), "伊吾县"),
    ("650100", "prefecture", Some("650000"), "乌鲁木齐市"),
    ("650107", "county", Some("650100"), "达坂城区"),
    ("650109", "county", Some("650100"), "米东区"),
];

#[tokio::test]
async fn jurisdictions_with_their_levels_and_parents() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/jurisdictions").await;
    assert_eq!(response.status(), 200);
    let body: Vec<Value> = response.json().await.unwrap();
    assert_eq!(body.len(), JURISDICTIONS.len());
    for (code, level, parent, name_zh) in JURISDICTIONS {
        let j = body
            .iter()
            .find(|j| j["code"] == code)
            .unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(j["level"], level, "{code}");
        assert_eq!(j["parent"].as_str(), parent, "{code}");
        assert_eq!(j["name_zh"], name_zh, "{code}");
        assert!(!j["name_en"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn authorities_follow_the_spec_rule() {
    let app = spawn_app().await;
    let body: Vec<Value> = app.get("/api/v1/authorities").await.json().await.unwrap();
    let mut expected = BTreeSet::new();
    for (code, level, _, _) in JURISDICTIONS {
        let kinds: &[&str] = match level {
            "county" => &["TRANSPORT", "POLICE"],
            "prefecture" => &["HIGHWAY", "POLICE", "GRID"],
            _ => &["HIGHWAY", "POLICE"],
        };
        for kind in kinds {
            expected.insert(format!("{code}-{kind}"));
        }
    }
    let got: BTreeSet<String> = body
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);
    let mulei = body
        .iter()
        .find(|a| a["code"] == "652328-TRANSPORT")
        .unwrap();
    assert_eq!(mulei["jurisdiction"], "652328");
    assert_eq!(mulei["level"], "county");
    assert_eq!(mulei["kind"], "TRANSPORT");
    assert_eq!(mulei["name_zh"], "木垒哈萨克自治县交通运输局");
    let region = body.iter().find(|a| a["code"] == "650000-HIGHWAY").unwrap();
    assert_eq!(region["level"], "region");
}

#[tokio::test]
async fn the_home_page_lists_them_in_either_language() {
    let app = spawn_app().await;
    let zh = app.get("/").await.text().await.unwrap();
    assert!(
        zh.contains("木垒哈萨克自治县交通运输局"),
        "Chinese by default"
    );
    assert!(zh.contains("lang=\"zh-CN\""));
    let en = app
        .client
        .get(app.url("/"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Mulei Transport Bureau"));
    // The switch remembers the choice in a cookie that overrides the browser's language.
    let switch = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/lang/en"))
        .send()
        .await
        .unwrap();
    assert_eq!(switch.status(), 303);
    let cookie = switch.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("lang=en"));
    let page = app
        .client
        .get(app.url("/"))
        .header("Accept-Language", "zh-CN")
        .header("Cookie", "lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Mulei Transport Bureau"));
}
