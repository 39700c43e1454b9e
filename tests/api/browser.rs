//! A real headless Chromium, driven over the W3C WebDriver protocol by `chromedriver`. The
//! protocol is a handful of JSON calls, so a few lines over reqwest do instead of a client
//! crate and its async runtime of choice.

use base64::Engine as _;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: reqwest::Client,
}

impl Drop for Browser {
    /// Ends the browser session first: killing chromedriver alone would leave Chromium running.
    /// A plain blocking request, as a drop (also while a failed test unwinds) cannot await.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let address = self.base.trim_start_matches("http://").to_string();
        let request = format!(
            "DELETE /session/{} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n",
            self.session
        );
        if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.write_all(request.as_bytes());
            // chromedriver answers once the browser has quit; the answer's first bytes will do.
            let _ = stream.read(&mut [0u8; 64]);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium of `width`×`height` pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = crate::smtp::free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (Debian packages chromium and chromium-driver; see README)");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            &format!("--window-size={width},{height}"),
        ];
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": binary, "args": args}
        }}});
        let response: Value = client
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a browser session: {response}"))
            .to_string();
        Browser {
            driver,
            base,
            session,
            client,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.client.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(
            response["value"].get("error").is_none(),
            "WebDriver {path}: {response}"
        );
        response["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_string()
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The text the page shows (what a person reads, not the markup).
    pub async fn text(&self, css: &str) -> String {
        let id = self.element(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap()
    }

    /// Prints the page as Chromium would to paper: A4, print styles applied.
    pub async fn print_a4(&self) -> Vec<u8> {
        let encoded = self
            .call(
                reqwest::Method::POST,
                "/print",
                Some(json!({"page": {"width": 21.0, "height": 29.7}, "background": true})),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap()
    }

    /// Fills a form's fields by name: selects and date pickers set as a person's choice sets
    /// them, the rest typed.
    pub async fn fill(&self, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            let css = format!("[name='{name}']");
            let kind = self
                .script(&format!(
                    "var e = document.querySelector(\"{css}\"); return e.tagName + ':' + e.type"
                ))
                .await;
            if kind == "SELECT:select-one" || kind == "INPUT:date" {
                self.script(&format!(
                    "document.querySelector(\"{css}\").value = '{value}'"
                ))
                .await;
            } else {
                self.script(&format!("document.querySelector(\"{css}\").value = ''"))
                    .await;
                self.type_into(&css, value).await;
            }
        }
    }

    /// Clicks a form's button (or a link) and waits for the page that answers it.
    pub async fn submit(&self, button: &str) {
        self.script("document.documentElement.dataset.before = 'yes'")
            .await;
        self.click(button).await;
        self.wait_for_the_answer().await;
    }

    /// Waits for the page that answers a click (marked before it with `dataset.before`).
    async fn wait_for_the_answer(&self) {
        let started = Instant::now();
        while self
            .script("return document.readyState === 'complete' && !document.documentElement.dataset.before")
            .await
            != Value::Bool(true)
        {
            assert!(started.elapsed() < Duration::from_secs(10), "the form got no answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks a button that asks first (`data-confirm`), says yes to the question, and waits for
    /// the page that answers. Returns the question asked.
    pub async fn confirm_and_submit(&self, button: &str) -> String {
        self.script("document.documentElement.dataset.before = 'yes'")
            .await;
        self.click(button).await;
        let question = self
            .call(reqwest::Method::GET, "/alert/text", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.call(reqwest::Method::POST, "/alert/accept", Some(json!({})))
            .await;
        self.wait_for_the_answer().await;
        question
    }

    /// Signs in through the form `/login?next=…` shows.
    pub async fn sign_in(&self, app_url: &str, next: &str, email: &str, password: &str) {
        let query = serde_urlencoded::to_string([("next", next)]).unwrap();
        self.goto(&format!("{app_url}/login?{query}")).await;
        self.type_into("#email", email).await;
        self.type_into("#password", password).await;
        self.submit("button[type=submit]").await;
    }
}

/// Decodes every QR code in a PNG, as a phone camera would.
pub fn qr_codes_in(png: &[u8]) -> Vec<String> {
    let image = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32)[0],
    );
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// Where screenshots go: `SCREENSHOT_DIR` if set (to refresh the README's pictures), else a
/// temporary folder.
pub fn keep(name: &str, bytes: &[u8], dir: &std::path::Path) {
    let dir = std::env::var("SCREENSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}
