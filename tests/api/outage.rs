//! PostgreSQL cut off through a TCP proxy on 127.0.0.1: while packets go nowhere the API
//! answers 503 within about 10 s and `/readyz` within 2 s; it recovers by itself; a
//! connection killed mid-query is a 503, not a 500. PostgreSQL only (SQLite is a file).

use crate::flow::DEMO;
use crate::helpers::{opts, start, TestDb, TEST_SECRET};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use permitflow::config::{Secret, Settings};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Forwards 127.0.0.1:port to `upstream`; `cut` holds every byte (as if the network dropped
/// the packets) until it is lifted.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (c, t) = (cut.clone(), tasks.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                let mut held = t.lock().unwrap();
                held.push(tokio::spawn(pump(ri, wo, c.clone())));
                held.push(tokio::spawn(pump(ro, wi, c.clone())));
            }
        });
        Proxy { port, cut, tasks }
    }

    /// Ends every connection through the proxy at once.
    fn reset(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    cut: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while cut.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

async fn timed(client: &reqwest::Client, url: String, token: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = client
        .get(url)
        .bearer_auth(token)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    (status, started.elapsed())
}

// Several threads: the app's start connects synchronously while the proxy must accept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_cut_off_answers_503_in_bounded_time_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(&dir);
    if !db.is_postgres() {
        return;
    }
    let direct =
        Settings::build(&opts(dir.path()), db.url.clone(), Secret::new(TEST_SECRET)).unwrap();
    tokio::task::spawn_blocking(move || permitflow::startup::migrate(&direct).unwrap())
        .await
        .unwrap();
    let raw = db.raw_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = permitflow::db::conn::connect(&raw.parse().unwrap()).unwrap();
        permitflow::demo::seed(&mut conn, crate::helpers::test_start()).unwrap();
    })
    .await
    .unwrap();
    // postgres://user@host:port/name → the same through the proxy.
    let (scheme_user, rest) = db.raw_url.split_once('@').unwrap();
    let (host_port, name) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host_port.to_string()).await;
    let proxied = format!("{scheme_user}@127.0.0.1:{}/{name}", proxy.port);
    let settings = Settings::build(
        &opts(dir.path()),
        proxied.parse().unwrap(),
        Secret::new(TEST_SECRET),
    )
    .unwrap();
    let admin_url = db.raw_url.clone();
    let app = start(settings, db, dir);
    let token = app.token("applicant@demo.local", DEMO).await;
    let me = app.url("/api/v1/me");
    assert_eq!(timed(&app.client, me.clone(), &token).await.0, 200);

    proxy.cut.store(true, Ordering::Relaxed);
    let ready = async {
        let started = Instant::now();
        let status = app.get("/readyz").await.status().as_u16();
        (status, started.elapsed())
    };
    let requests = futures_util::future::join_all((0..8).map(|i| {
        timed(
            &app.client,
            app.url(if i % 2 == 0 {
                "/api/v1/me"
            } else {
                "/api/v1/applications"
            }),
            &token,
        )
    }));
    let ((ready_status, ready_took), answers) = tokio::join!(ready, requests);
    assert_eq!(ready_status, 503);
    assert!(
        ready_took < Duration::from_millis(2500),
        "readyz took {ready_took:?}"
    );
    for (status, took) in &answers {
        assert_eq!(*status, 503, "{answers:?}");
        assert!(*took < Duration::from_secs(13), "{answers:?}");
    }

    // Back: it recovers by itself.
    proxy.cut.store(false, Ordering::Relaxed);
    let started = Instant::now();
    loop {
        if timed(&app.client, me.clone(), &token).await.0 == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no recovery");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A connection killed mid-query: the request waits on a lock, then its backend ends.
    // (The list, not `/me`: the caller's sign-in may come from the moment's cache.)
    let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
    admin
        .batch_execute("BEGIN; LOCK TABLE applications IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let stuck = tokio::spawn({
        let (client, list, token) = (
            app.client.clone(),
            app.url("/api/v1/applications"),
            token.clone(),
        );
        async move { timed(&client, list, &token).await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
    admin.batch_execute("ROLLBACK").unwrap();
    let (status, _) = stuck.await.unwrap();
    assert_eq!(
        status, 503,
        "a reset mid-query is an outage, not an internal error"
    );
    proxy.reset();
    let started = Instant::now();
    while timed(&app.client, me.clone(), &token).await.0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no recovery after the reset"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
