//! Both migration folders give the same tables and columns; migrating is idempotent, keeps
//! admins' calendar edits, and is safe when several instances start at once.

use crate::helpers::{spawn_app, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use permitflow::config::DatabaseUrl;
use permitflow::db::conn;
use permitflow::db::schema::{authorities, calendar_days, calendar_years, jurisdictions};
use permitflow::domain::timebook::Timebook;
use std::collections::BTreeMap;

/// table → column → (portable type, nullable)
type Shape = BTreeMap<String, BTreeMap<String, (String, bool)>>;

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    column_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

fn portable(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "text" => "text",
        "boolean" => "bool",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "date" => "date",
        "integer" => "integer",
        "bigint" => "bigint",
        "double precision" | "real" => "double",
        "blob" | "bytea" => "bytes",
        other => return format!("unknown:{other}"),
    }
    .to_string()
}

fn sqlite_shape() -> Shape {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shape.db");
    conn::run_migrations(&DatabaseUrl::Sqlite(path.clone())).unwrap();
    let mut c = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let rows: Vec<SqliteColumn> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS name, p.type AS column_type, p.\"notnull\" AS not_null, p.pk AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
    )
    .load(&mut c)
    .unwrap();
    let mut shape = Shape::new();
    for r in rows {
        let nullable = r.not_null == 0 && r.pk == 0;
        shape
            .entry(r.table_name)
            .or_default()
            .insert(r.name, (portable(&r.column_type), nullable));
    }
    shape
}

fn postgres_shape(url: &str) -> Shape {
    conn::run_migrations(&url.parse().unwrap()).unwrap();
    let mut c = PgConnection::establish(url).unwrap();
    let rows: Vec<PgColumn> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type, \
         is_nullable::text AS is_nullable FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut c)
    .unwrap();
    let mut shape = Shape::new();
    for r in rows {
        shape.entry(r.table_name).or_default().insert(
            r.column_name,
            (portable(&r.data_type), r.is_nullable == "YES"),
        );
    }
    shape
}

#[test]
fn both_migration_folders_give_the_same_tables_and_columns() {
    let sqlite = sqlite_shape();
    for table in [
        "jurisdictions",
        "authorities",
        "firms",
        "users",
        "api_tokens",
        "login_failures",
        "calendar_days",
        "calendar_years",
    ] {
        assert!(sqlite.contains_key(table), "{table} missing on SQLite");
    }
    assert!(
        !sqlite
            .values()
            .flat_map(|cols| cols.values())
            .any(|(t, _)| t.starts_with("unknown")),
        "every SQLite column has a portable type: {sqlite:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(&dir);
    if !db.is_postgres() {
        eprintln!(
            "TEST_DATABASE_URL is not set: the PostgreSQL side of this comparison runs in CI"
        );
        return;
    }
    let postgres = postgres_shape(&db.raw_url);
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn migrating_again_changes_nothing_and_keeps_admin_calendar_edits() {
    let app = spawn_app().await;
    let counts = |c: &mut permitflow::db::DbConnection| -> (i64, i64, i64, i64) {
        (
            jurisdictions::table.count().get_result(c).unwrap(),
            authorities::table.count().get_result(c).unwrap(),
            calendar_days::table.count().get_result(c).unwrap(),
            calendar_years::table.count().get_result(c).unwrap(),
        )
    };
    let mut c = app.connect();
    let before = counts(&mut c);
    // 2025: 1+8+3+5+3+8 holidays + 5 working days; 2026: 3+9+3+5+3+3+7 + 6; Xinjiang's
    // own 2025 days: 肉孜节 3 and 古尔邦节 5.
    assert_eq!(before, (16, 35, 28 + 5 + 33 + 6 + 8, 3));

    // An admin declares a local holiday, and someone deletes a shipped day by mistake.
    let local = chrono::NaiveDate::from_ymd_opt(2026, 12, 14).unwrap();
    diesel::insert_into(calendar_days::table)
        .values((
            calendar_days::jurisdiction.eq("CN"),
            calendar_days::day.eq(local),
            calendar_days::working.eq(false),
            calendar_days::note.eq("local holiday"),
            calendar_days::source.eq("admin"),
        ))
        .execute(&mut c)
        .unwrap();
    let new_year = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    diesel::delete(calendar_days::table.find(("CN", new_year)))
        .execute(&mut c)
        .unwrap();

    let out = app.cli(&["migrate"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        counts(&mut c).2,
        before.2 + 1,
        "the admin's day stays, the shipped day is back"
    );
    let kept: String = calendar_days::table
        .find(("CN", local))
        .select(calendar_days::source)
        .first(&mut c)
        .unwrap();
    assert_eq!(kept, "admin");
    assert!(!calendar_days::table
        .find(("CN", new_year))
        .select(calendar_days::working)
        .first::<bool>(&mut c)
        .unwrap());
}

#[test]
fn instances_starting_at_once_migrate_safely() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new(&dir);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || conn::run_migrations(&url).map_err(|e| e.to_string()))
        })
        .collect();
    let applied: Vec<usize> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    let appliers = applied.iter().filter(|n| **n > 0).count();
    assert_eq!(
        appliers, 1,
        "exactly one instance applied the migrations: {applied:?}"
    );
    assert!(
        applied.iter().any(|n| *n >= 2),
        "every migration applied: {applied:?}"
    );
    let mut c = conn::connect(&db.url).unwrap();
    c.batch_execute("SELECT count(*) FROM users").unwrap();
}

#[tokio::test]
async fn a_workflow_changed_without_a_new_version_is_refused_at_start() {
    let app = spawn_app().await;
    let dir = app.dir.path().join("workflows");
    std::fs::create_dir_all(&dir).unwrap();
    let joint = include_str!("../../data/workflows/joint.toml");
    std::fs::write(
        dir.join("joint.toml"),
        joint.replace("budget_hours = 12", "budget_hours = 8"),
    )
    .unwrap();
    std::fs::write(
        dir.join("serial.toml"),
        include_str!("../../data/workflows/serial.toml"),
    )
    .unwrap();
    let out = app.cli(&["migrate"], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("workflow joint version 1 differs"),
        "{stderr}"
    );

    // With a new version it starts (and keeps version 1 for applications pinned to it).
    let v2 = joint
        .replace("budget_hours = 12", "budget_hours = 8")
        .replace("version = 1", "version = 3");
    std::fs::write(dir.join("joint.toml"), v2).unwrap();
    let mut db = app.connect();
    let workflows = permitflow::service::workflows::Workflows::load(
        &mut db,
        app.dir.path(),
        crate::helpers::test_start(),
    )
    .unwrap();
    assert_eq!(workflows.latest("joint").unwrap().version, 3);
    assert!(workflows.get("joint", 1).is_some());
    assert!(
        workflows.get("joint", 2).is_some(),
        "recorded at the first start"
    );
}

#[tokio::test]
async fn a_broken_workflow_definition_is_refused_with_its_reason() {
    let app = spawn_app().await;
    let dir = app.dir.path().join("workflows");
    std::fs::create_dir_all(&dir).unwrap();
    let broken = include_str!("../../data/workflows/serial.toml")
        .replace("kind = \"GRID\"", "kind = \"RAILWAY\"")
        .replace("name = \"serial\"", "name = \"serial2\"");
    std::fs::write(dir.join("serial2.toml"), broken).unwrap();
    let out = app.cli(&["migrate"], &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown authority kind RAILWAY at prefecture level"),
        "{stderr}"
    );
}

/// Upgrading fills in the SLA moment of the tasks pending at the time, by the rule the engine
/// writes it with afterwards (a task left without one would never be reminded or escalated).
#[tokio::test]
async fn the_sla_moment_of_pending_tasks_is_filled_in_on_upgrade() {
    use diesel::connection::SimpleConnection;
    use permitflow::db::applications::{ApplicationRow, TaskRow};
    use permitflow::db::schema::{applications, review_tasks, users};
    use permitflow::domain::workflow::{escalation, Task, TaskState};

    let app = spawn_app().await;
    app.seed_demo().await;
    let mut c = app.connect();
    let (user, firm): (String, Option<String>) = users::table
        .filter(users::email.eq("applicant@demo.local"))
        .select((users::id, users::firm_id))
        .first(&mut c)
        .unwrap();
    let at = crate::helpers::test_start();
    diesel::insert_into(applications::table)
        .values(ApplicationRow {
            id: "upgraded".into(),
            reference: "PF-2026-999999".into(),
            firm_id: firm.unwrap(),
            created_by: user,
            status: "under_review".into(),
            version: 3,
            input: "{}".into(),
            workflow: Some("joint".into()),
            workflow_version: Some(1),
            permit_class: Some("III".into()),
            issuing_level: None,
            issuing_authority: None,
            statutory_working_days: None,
            statutory_due_at: None,
            created_at: at,
            updated_at: at,
            submitted_at: Some(at),
            accepted_at: Some(at),
            decided_at: None,
            issued_at: None,
            paused_minutes: 0,
            paused_since: None,
            reported_at: None,
            permit_no: None,
            net_minutes: None,
            submitted_day: None,
            submitted_week: None,
            kind: "single".into(),
        })
        .execute(&mut c)
        .unwrap();
    // (state, escalation level, reminded): each rung of the ladder, and two with nothing left.
    let cases = [
        ("open", 0, false),
        ("claimed", 0, true),
        ("open", 1, true),
        ("claimed", 2, true),
        ("open", 3, true),
        ("approved", 0, false),
    ];
    let due = at + chrono::TimeDelta::minutes(600);
    let tasks: Vec<Task> = cases
        .iter()
        .enumerate()
        .map(|(i, (state, level, reminded))| Task {
            id: format!("t{i}"),
            phase: 1,
            step: "review".into(),
            authority_code: "650000-HIGHWAY".into(),
            budget_minutes: 720,
            budget_clock: Default::default(),
            state: state.parse::<TaskState>().unwrap(),
            assignee: None,
            opened_at: Some(due - chrono::TimeDelta::minutes(720)),
            claimed_at: None,
            due_at: Some(due),
            decided_at: None,
            decision: None,
            conditions: Vec::new(),
            comment: None,
            escalation_level: *level,
            reminded_at: reminded.then_some(at),
        })
        .collect();
    for (i, t) in tasks.iter().enumerate() {
        diesel::insert_into(review_tasks::table)
            .values(TaskRow {
                id: t.id.clone(),
                application_id: "upgraded".into(),
                phase_position: 1,
                position: i as i32,
                step: t.step.clone(),
                authority_code: t.authority_code.clone(),
                budget_minutes: 720,
                state: t.state.as_str().into(),
                assignee: None,
                opened_at: t.opened_at,
                claimed_at: None,
                due_at: t.due_at,
                decided_at: None,
                decision: None,
                conditions: "[]".into(),
                comment: None,
                escalation_level: t.escalation_level,
                reminded_at: t.reminded_at,
                net_minutes: None,
                next_sla_at: None,
                budget_clock: "wall".into(),
            })
            .execute(&mut c)
            .unwrap();
    }
    // The database as it was before migration 8, then the upgrade.
    let (down, up) = if app.db.is_postgres() {
        (
            include_str!("../../migrations/postgres/2026-12-01-000008_task_next_sla/down.sql"),
            include_str!("../../migrations/postgres/2026-12-01-000008_task_next_sla/up.sql"),
        )
    } else {
        (
            include_str!("../../migrations/sqlite/2026-12-01-000008_task_next_sla/down.sql"),
            include_str!("../../migrations/sqlite/2026-12-01-000008_task_next_sla/up.sql"),
        )
    };
    c.batch_execute(down).unwrap();
    c.batch_execute(up).unwrap();
    for t in &tasks {
        let stored: Option<chrono::NaiveDateTime> = review_tasks::table
            .find(&t.id)
            .select(review_tasks::next_sla_at)
            .first(&mut c)
            .unwrap();
        assert_eq!(
            stored,
            escalation::next_moment(&Timebook::wall(), t),
            "{}: {:?}",
            t.id,
            t.state
        );
    }
    assert!(
        escalation::next_moment(&Timebook::wall(), &tasks[0]).is_some()
            && escalation::next_moment(&Timebook::wall(), &tasks[4]).is_none(),
        "the cases cover a moment and its absence"
    );
}

/// Upgrading to projects keeps every permit and trip: each trip gets its vehicle and its
/// departure scan, so a trip under way at the upgrade is sighted, not departed, afterwards.
#[tokio::test]
async fn trips_recorded_before_projects_become_journeys_on_upgrade() {
    use permitflow::db::schema::{permit_trips, permits, trip_scans};

    let app = spawn_app().await;
    let flow = crate::flow::Flow::new(&app).await;
    crate::permits::issued(&flow, &crate::permits::county_blade(3), &[]).await;
    let mut c = app.connect();
    let permits_before: i64 = permits::table.count().get_result(&mut c).unwrap();
    let permit_no: String = permits::table
        .select(permits::permit_no)
        .first(&mut c)
        .expect("a permit");
    let inspector: String = permitflow::db::schema::users::table
        .filter(permitflow::db::schema::users::email.eq("inspector@demo.local"))
        .select(permitflow::db::schema::users::id)
        .first(&mut c)
        .unwrap();
    let (down, up) = if app.db.is_postgres() {
        (
            include_str!("../../migrations/postgres/2026-12-01-000009_projects/down.sql"),
            include_str!("../../migrations/postgres/2026-12-01-000009_projects/up.sql"),
        )
    } else {
        (
            include_str!("../../migrations/sqlite/2026-12-01-000009_projects/down.sql"),
            include_str!("../../migrations/sqlite/2026-12-01-000009_projects/up.sql"),
        )
    };
    // As the migration harness runs them: each in its own transaction; two trips recorded
    // the old way in between.
    c.transaction(|c| c.batch_execute(down)).unwrap();
    for n in 1..=2 {
        diesel::sql_query(format!(
            "INSERT INTO permit_trips (id, permit_no, trip_no, plate, location, note, \
             recorded_by, recorded_at) VALUES ('old-{n}', '{permit_no}', {n}, '新B12345', \
             'G7', '', '{inspector}', '2026-11-30 10:0{n}:00')"
        ))
        .execute(&mut c)
        .unwrap();
    }
    let trips_before = 2;
    c.transaction(|c| c.batch_execute(up)).unwrap();
    let permits_after: i64 = permits::table.count().get_result(&mut c).unwrap();
    assert_eq!(permits_after, permits_before);
    let trips: Vec<(String, String, String)> = permit_trips::table
        .select((permit_trips::id, permit_trips::plate, permit_trips::vehicle))
        .load(&mut c)
        .unwrap();
    assert_eq!(trips.len() as i64, trips_before);
    for (id, plate, vehicle) in &trips {
        assert_eq!(plate, vehicle, "trip {id}");
        let stage: String = trip_scans::table
            .find(id)
            .select(trip_scans::stage)
            .first(&mut c)
            .unwrap();
        assert_eq!(stage, "departure");
    }
}
