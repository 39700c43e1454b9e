//! `cargo bench --bench scope`: what a reviewer's access check costs as the authority's
//! history grows. Every decision, claim and page of an application checks that the caller's
//! authority has a task on it; the check is timed with 1,000 to 1,000,000 earlier tasks of the
//! same authority, as today's probe keyed by the application, and as the former
//! `id IN (every task's application)` form for comparison. SQLite by default; PostgreSQL with
//! `BENCH_DATABASE_URL=postgres://…` (a fresh database is made and dropped).

mod common;

use diesel::prelude::*;
use permitflow::config::DatabaseUrl;
use permitflow::db::applications::{in_scope, Scope};
use permitflow::db::schema::{applications, review_tasks};
use permitflow::db::DbConnection;
use std::time::Instant;

const AUTHORITY: &str = "650000-HIGHWAY";
/// Checks timed per size (the former form's at the largest sizes take up to a second each, so
/// it is timed fewer times as it grows).
const CHECKS: usize = 2_000;

/// The former check, kept here as the baseline.
fn in_scope_as_before(conn: &mut DbConnection, id: &str) -> bool {
    let count: i64 = applications::table
        .filter(
            applications::id.eq_any(
                review_tasks::table
                    .filter(review_tasks::authority_code.eq(AUTHORITY))
                    .select(review_tasks::application_id),
            ),
        )
        .filter(applications::id.eq(id))
        .count()
        .get_result(conn)
        .unwrap();
    count > 0
}

/// Median microseconds of `check` over `count` calls.
fn median_us(count: usize, mut check: impl FnMut() -> bool) -> f64 {
    let mut times: Vec<f64> = (0..count)
        .map(|_| {
            let started = Instant::now();
            assert!(check(), "the authority has a task on it");
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (url, cleanup) = common::fresh_database("scope", dir.path());
    let database: DatabaseUrl = url.parse().unwrap();
    let backend = if database.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    permitflow::startup::migrate(&common::settings(&url, dir.path())).unwrap();
    let mut conn = permitflow::db::conn::connect(&database).unwrap();
    permitflow::demo::seed(&mut conn, chrono::Utc::now().naive_utc()).unwrap();
    let (user, firm) = common::demo_applicant(&mut conn);
    println!(
        "scope benchmark on {backend}: median of up to {CHECKS} checks of the newest application"
    );
    println!(
        "{:>10}  {:>14}  {:>18}",
        "tasks", "probe µs", "IN (all tasks) µs"
    );
    let mut have = 0;
    let scope = Scope::Authority(AUTHORITY.into());
    for size in [1_000u64, 10_000, 100_000, 1_000_000] {
        common::grow_history(&mut conn, AUTHORITY, have, size, &firm, &user);
        have = size;
        let id = format!("old-{}", size - 1);
        let probe = median_us(CHECKS, || in_scope(&mut conn, &id, &scope).unwrap());
        let before_count = (CHECKS as u64 * 1_000 / size).max(5) as usize;
        let before = median_us(before_count, || in_scope_as_before(&mut conn, &id));
        println!("{size:>10}  {probe:>14.1}  {before:>18.1}");
    }
    drop(conn);
    common::drop_database(cleanup);
}
