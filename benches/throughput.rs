//! The release binary as it runs in production — `permitflow serve` in a process of its own,
//! its background jobs on (escalation monitor, outbox delivery to an SMTP server in this
//! process) — measured against the references in the same run:
//!
//! - full joint lifecycles through HTTP (create, 2 uploads, submit, 11 decisions), with 1 and
//!   with 16 clients at once, against bpmn-engine running the same process in memory
//!   (`benches/peer`, when its `npm install` has been done);
//! - the reviewer queue and an application's JSON at 64 connections, against `/healthz` of the
//!   same binary;
//! - the server's start-up time, idle memory and peak memory at 1 and at 16 clients.
//!
//! Rounds are interleaved (1 client, 16 clients, the reads; again) and each figure is the
//! median of the rounds. SQLite on a temporary file, or a fresh PostgreSQL database on the
//! server of `BENCH_DATABASE_URL`.
//!
//!     cargo bench --bench throughput
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench throughput
//!
//! `ROUNDS` (default 3), `SECONDS` per lifecycle run (default 10), `READ_SECONDS` per read run
//! (default 4), `PERMITFLOW_BIN` another build's binary to serve (default: this build's).

mod common;

use common::{ms, percentile, run_to_issue, Api};
use serde_json::Value;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server process, with what `/proc` tells of it.
struct Served {
    child: Child,
}

impl Served {
    /// Resident memory in MiB.
    fn rss(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(0.0)
    }

    /// CPU time used so far (user + system), in seconds.
    fn cpu(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = fields
            .get(11..13)
            .map(|f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum())
            .unwrap_or(0.0);
        ticks / 100.0
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// bpmn-engine in memory on the same joint process, lifecycles per second, if installed.
fn peer() -> Option<f64> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer");
    if !dir.join("node_modules/bpmn-engine").exists() {
        println!("(the peer is not installed: cd benches/peer && npm install)");
        return None;
    }
    let out = Command::new("node")
        .arg("peer.js")
        .arg("400")
        .current_dir(&dir)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("in memory:"))
        .and_then(|l| l.split(" = ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

struct LifecycleRun {
    per_second: f64,
    peak_rss: f64,
    cpu_ms_per_lifecycle: f64,
}

/// `clients` clients each running lifecycles one after another for `seconds`.
async fn lifecycles(
    api: &Arc<Api>,
    applicant: &Arc<String>,
    reviewers: &HashMap<String, String>,
    input: &Arc<Value>,
    served: &Served,
    clients: usize,
    seconds: u64,
) -> LifecycleRun {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = served.cpu();
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (api, applicant, input) = (api.clone(), applicant.clone(), input.clone());
        let mut reviewers = reviewers.clone();
        let (done, stop) = (done.clone(), stop.clone());
        handles.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                run_to_issue(&api, &applicant, &mut reviewers, &input).await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut peak_rss: f64 = 0.0;
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        peak_rss = peak_rss.max(served.rss());
    }
    // Lifecycles under way finish; the rate counts those done in the window.
    let counted = done.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = served.cpu() - cpu_before;
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.await.unwrap();
    }
    LifecycleRun {
        per_second: counted as f64 / elapsed,
        peak_rss,
        cpu_ms_per_lifecycle: cpu * 1000.0 / counted.max(1) as f64,
    }
}

struct ReadRun {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// 64 connections asking for `path` as fast as they are answered, for `seconds`.
async fn reads(base: &str, token: &str, path: &str, seconds: u64) -> ReadRun {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let url = format!("{base}{path}");
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..64 {
        let (client, url, token, stop) =
            (client.clone(), url.clone(), token.to_string(), stop.clone());
        handles.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert!(r.status().is_success(), "{url}: {}", r.status());
                r.bytes().await.unwrap();
                times.push(t.elapsed());
            }
            times
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut times = Vec::new();
    for h in handles {
        times.extend(h.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort();
    ReadRun {
        per_second: times.len() as f64 / elapsed,
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn median_d(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let rounds = env_or("ROUNDS", 3) as usize;
    let seconds = env_or("SECONDS", 10);
    let read_seconds = env_or("READ_SECONDS", 4);
    let peer = peer();

    let (smtp_port, mails) = common::counting_smtp_server();

    let dir = tempfile::tempdir().unwrap();
    let (url, cleanup) = common::fresh_database("throughput", dir.path());
    let settings = common::settings(&url, dir.path());
    permitflow::startup::migrate(&settings).unwrap();
    permitflow::demo::seed(
        &mut permitflow::db::conn::connect(&settings.database).unwrap(),
        chrono::Utc::now().naive_utc(),
    )
    .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let spawned = Instant::now();
    // `PERMITFLOW_BIN`: another build's binary, to compare two builds on the same machine.
    let binary =
        std::env::var("PERMITFLOW_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_permitflow").into());
    let child = Command::new(binary)
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("DATA_DIR", dir.path())
        .env("SECRET_KEY", common::SECRET)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("WORKFLOW", "joint")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let served = Served { child };
    let api = Arc::new(Api {
        client: reqwest::Client::new(),
        base: base.clone(),
    });
    loop {
        if let Ok(r) = api.client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(spawned.elapsed() < Duration::from_secs(30), "no start");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let start_up = spawned.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = served.rss();

    let applicant = Arc::new(api.token("applicant@demo.local").await);
    let mut reviewers = HashMap::new();
    let input = Arc::new(common::blade_input());
    let issued = run_to_issue(&api, &applicant, &mut reviewers, &input).await;
    let issued_id = issued["id"].as_str().unwrap().to_string();
    // A queue to read: twenty applications waiting for acceptance.
    let mut acceptor = String::new();
    for _ in 0..20 {
        let draft = api
            .post(&applicant, "/api/v1/applications", (*input).clone())
            .await;
        let id = draft["id"].as_str().unwrap();
        api.upload(&applicant, id, "contour_drawing").await;
        api.upload(&applicant, id, "escort_plan").await;
        let app = api
            .post(
                &applicant,
                &format!("/api/v1/applications/{id}/submit"),
                serde_json::json!({}),
            )
            .await;
        acceptor = app["phases"][0]["tasks"][0]["authority_code"]
            .as_str()
            .unwrap()
            .to_string();
    }
    let queue_token = reviewers[&acceptor].clone();

    let mut one = Vec::new();
    let mut sixteen = Vec::new();
    let mut read_runs: HashMap<&str, Vec<ReadRun>> = HashMap::new();
    let app_path = format!("/api/v1/applications/{issued_id}");
    let read_paths = [
        ("healthz", "/healthz", applicant.as_str()),
        ("queue", "/api/v1/tasks", queue_token.as_str()),
        ("application", app_path.as_str(), applicant.as_str()),
    ];
    let mails_before = mails.load(Ordering::Relaxed);
    let run_started = Instant::now();
    for round in 0..rounds {
        // Phases on stderr, for a profiler attached to the server's process from outside.
        eprintln!("phase lifecycles (server pid {})", served.child.id());
        one.push(lifecycles(&api, &applicant, &reviewers, &input, &served, 1, seconds).await);
        eprintln!("phase sixteen");
        sixteen.push(lifecycles(&api, &applicant, &reviewers, &input, &served, 16, seconds).await);
        for (name, path, token) in read_paths {
            eprintln!("phase {name}");
            read_runs
                .entry(name)
                .or_default()
                .push(reads(&base, token, path, read_seconds).await);
        }
        eprintln!(
            "round {}: {:.1} / {:.1} lifecycles per s",
            round + 1,
            one[round].per_second,
            sixteen[round].per_second
        );
    }
    let mails_sent = mails.load(Ordering::Relaxed) - mails_before;
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };

    println!(
        "permitflow serve (release, background jobs on) on {backend}, median of {rounds} rounds:"
    );
    let rate = |runs: &[LifecycleRun]| median(runs.iter().map(|r| r.per_second).collect());
    let (r1, r16) = (rate(&one), rate(&sixteen));
    let versus = |r: f64| match peer {
        Some(p) => format!(" = {:.2} × bpmn-engine in memory ({p:.1}/s)", r / p),
        None => String::new(),
    };
    println!("  lifecycles, 1 client     {r1:>7.1} per s{}", versus(r1));
    println!("  lifecycles, 16 clients   {r16:>7.1} per s{}", versus(r16));
    println!(
        "  server CPU per lifecycle {:>7.1} ms (1 client), {:.1} ms (16)",
        median(one.iter().map(|r| r.cpu_ms_per_lifecycle).collect()),
        median(sixteen.iter().map(|r| r.cpu_ms_per_lifecycle).collect())
    );
    println!(
        "  e-mails delivered        {mails_sent} ({:.0} per s over the runs)",
        mails_sent as f64 / run_started.elapsed().as_secs_f64()
    );
    let healthz = median(read_runs["healthz"].iter().map(|r| r.per_second).collect());
    for (name, _, _) in read_paths {
        let runs = &read_runs[name];
        let rps = median(runs.iter().map(|r| r.per_second).collect());
        println!(
            "  {name:<12} 64 conns {rps:>8.0} req/s = {:>5.1} % of /healthz, p50 {:.2} ms, p99 {:.2} ms",
            rps * 100.0 / healthz,
            ms(median_d(runs.iter().map(|r| r.p50).collect())),
            ms(median_d(runs.iter().map(|r| r.p99).collect()))
        );
    }
    let peak = |runs: &[LifecycleRun]| median(runs.iter().map(|r| r.peak_rss).collect());
    let (m1, m16) = (peak(&one), peak(&sixteen));
    println!(
        "  memory: start-up {:.0} ms, idle {idle_rss:.0} MiB, peak {m1:.0} MiB at 1 client, {m16:.0} MiB at 16 ({:.2} ×)",
        ms(start_up),
        m16 / m1
    );
    drop(served);
    common::drop_database(cleanup);
}
