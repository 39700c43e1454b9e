//! Delivery rate of the outbox: 10,000 queued e-mails (`EMAILS` to change) sent to an SMTP
//! server in this process (mailin-embedded on 127.0.0.1), by one worker and then by two
//! workers at once, as two instances would. SQLite by default; PostgreSQL on the server of
//! `BENCH_DATABASE_URL` (a fresh database is made and dropped).
//!
//!     cargo bench --bench outbox
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench outbox

mod common;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use permitflow::config::{DatabaseUrl, Secret};
use permitflow::db::{conn, write_transaction};
use permitflow::mail::outbox::{deliver_due, enqueue, Delivery, NewEmail};
use permitflow::mail::templates::{EmailContext, EmailKind};
use permitflow::mail::transport::Transport;
use std::sync::atomic::Ordering;
use std::time::Instant;

fn queue(url: &DatabaseUrl, n: usize, batch: &str) {
    let mut db = conn::connect(url).unwrap();
    let now = chrono::Utc::now().naive_utc();
    write_transaction(&mut db, |db| {
        for i in 0..n {
            let email = NewEmail {
                kind: EmailKind::TaskOpened,
                event_id: format!("{batch}-{i}"),
                reference: format!("PF-2026-{i:06}"),
                application_id: None,
                recipient: format!("reviewer{}@demo.local", i % 50),
                context: EmailContext {
                    en: i % 2 == 0,
                    name: "Reviewer".into(),
                    reference: format!("PF-2026-{i:06}"),
                    link: "http://127.0.0.1:8080/applications/x".into(),
                    cargo: "Wind turbine blade, 126 × 4.8 × 4.9 m, 58 t".into(),
                    route: "Mulei → Santanghu (652328, 650521)".into(),
                    authority: "Barkol Traffic Police Brigade".into(),
                    due: "2026-12-01 20:45 (Asia/Shanghai)".into(),
                    target_hours: 24,
                    ..Default::default()
                },
            };
            enqueue(db, &email, "permitflow.local", now)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}

fn main() {
    let n: usize = std::env::var("EMAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let (url, cleanup) = match std::env::var("BENCH_DATABASE_URL").ok() {
        Some(admin) => {
            let name = format!("test_pf_outbox_{}", std::process::id());
            PgConnection::establish(&admin)
                .unwrap()
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            (format!("{base}/{name}"), Some((admin, name)))
        }
        None => (
            format!("sqlite://{}", dir.path().join("bench.db").display()),
            None,
        ),
    };
    let url: DatabaseUrl = url.parse().unwrap();
    conn::run_migrations(&url).unwrap();
    let pool = conn::pool(&url);

    let (port, received) = common::counting_smtp_server();
    let concurrency: usize = std::env::var("MAIL_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let smtp = Secret::new(format!("smtp://127.0.0.1:{port}"));
    let delivery = || Delivery {
        transport: Transport::new(Some(&smtp), dir.path()).unwrap(),
        from: "permitflow <noreply@permitflow.local>".parse().unwrap(),
        max_attempts: 8,
        lease: permitflow::mail::outbox::LEASE,
        worker: permitflow::db::new_id(),
        concurrency,
        paused_until: Default::default(),
    };
    let backend = if url.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!("outbox delivery on {backend}, {n} e-mails to an SMTP server on 127.0.0.1, {concurrency} at a time per worker:");

    let t = Instant::now();
    queue(&url, n, "one");
    println!(
        "  queueing (rendering + insert, one transaction): {:.0} e-mails/s",
        n as f64 / t.elapsed().as_secs_f64()
    );

    let worker = delivery();
    let t = Instant::now();
    let report = deliver_due(&pool, &worker, chrono::Utc::now().naive_utc(), n as i64 + 1).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.sent, n);
    println!(
        "  one worker:  {:>6.0} e-mails/s ({n} in {secs:.1} s)",
        n as f64 / secs
    );

    queue(&url, n, "two");
    let (a, b) = (delivery(), delivery());
    let t = Instant::now();
    let now = chrono::Utc::now().naive_utc();
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| deliver_due(&pool, &a, now, n as i64 + 1).unwrap());
        let hb = s.spawn(|| deliver_due(&pool, &b, now, n as i64 + 1).unwrap());
        (ha.join().unwrap(), hb.join().unwrap())
    });
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(ra.sent + rb.sent, n);
    println!(
        "  two workers: {:>6.0} e-mails/s ({} + {} in {secs:.1} s)",
        n as f64 / secs,
        ra.sent,
        rb.sent
    );
    assert_eq!(
        received.load(Ordering::Relaxed),
        2 * n,
        "every e-mail arrived exactly once"
    );

    if let Some((admin, name)) = cleanup {
        drop(pool);
        let _ = PgConnection::establish(&admin)
            .unwrap()
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
