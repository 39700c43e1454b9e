//! One connection type over SQLite and PostgreSQL, chosen by the `DATABASE_URL` scheme; the
//! pool; per-connection SQLite pragmas; embedded migrations per backend (PostgreSQL under an
//! advisory lock so that several instances can start at once); write transactions.

use crate::config::DatabaseUrl;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::{Duration, Instant};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the PostgreSQL advisory lock held while migrating ("permitfl" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x7065_726d_6974_666c;

/// WAL lets readers work while one writer writes; the busy timeout makes a second writer
/// wait instead of failing; foreign keys are off in SQLite unless asked for, per connection.
/// The busy timeout comes first: switching to WAL takes a lock that another instance may hold.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

fn connect_sqlite(path: &std::path::Path) -> ConnectionResult<SqliteConnection> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            ConnectionError::BadConnection(format!("creating {}: {e}", parent.display()))
        })?;
    }
    let path_str = path.to_str().ok_or_else(|| {
        ConnectionError::InvalidConnectionUrl("the SQLite path is not UTF-8".into())
    })?;
    let mut conn = SqliteConnection::establish(path_str)?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// A connection for the command line and background set-up: its waits are bounded, but not
/// its statements (seeding a demo history or a migration's backfill is no request).
pub fn connect(url: &DatabaseUrl) -> ConnectionResult<DbConnection> {
    connect_with(url, false)
}

/// A connection of the pool that serves requests (`pooled`), or one for the command line.
fn connect_with(url: &DatabaseUrl, pooled: bool) -> ConnectionResult<DbConnection> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = connect_sqlite(path)?;
            if pooled {
                conn.batch_execute(POOLED_SQLITE_PRAGMAS)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
            }
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => {
            PgConnection::establish(&bounded(url, pooled)).map(DbConnection::Pg)
        }
    }
}

/// Pages of write-ahead log after which a committing request checkpoints the log itself. The
/// checkpointer (`checkpoint`, every second while the server runs) keeps the log well below
/// that, off the requests' path: with SQLite's default of 1,000 pages, the commit that
/// crossed it copied the log into the database before its request could answer (7 % of the
/// server's CPU under lifecycles, in the requests' time). This is the backstop should the
/// checkpointer fall behind.
const POOLED_SQLITE_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 10000;";

/// Copies what the write-ahead log holds into the SQLite database file without waiting for
/// readers or writers (a passive checkpoint), so the log stays short; nothing on PostgreSQL.
/// Returns the log's frames and how many of them are now in the database.
pub fn checkpoint(conn: &mut DbConnection) -> QueryResult<Option<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Checkpointed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        log: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        checkpointed: i64,
    }
    match conn {
        DbConnection::Sqlite(conn) => {
            let done: Checkpointed =
                diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(conn)?;
            Ok(Some((done.log, done.checkpointed)))
        }
        DbConnection::Pg(_) => Ok(None),
    }
}

/// libpq settings, unless the URL sets them itself, that bound every wait on a database that
/// went away: connecting (5 s), a peer that stopped acknowledging (TCP user timeout 5 s,
/// keepalives after 5 s idle) and, for the pool that serves requests, any one statement (15 s,
/// far above the slowest report at a million applications). The command line, the demo seeding
/// and migrations run without the statement limit.
pub fn bounded(url: &str, statement_timeout: bool) -> String {
    let mut settings = vec![
        ("connect_timeout", "5"),
        ("keepalives", "1"),
        ("keepalives_idle", "5"),
        ("keepalives_interval", "2"),
        ("keepalives_count", "2"),
        ("tcp_user_timeout", "5000"),
    ];
    if statement_timeout {
        settings.push(("options", "-c%20statement_timeout%3D15000"));
    }
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let mut out = url.to_string();
    for (name, value) in settings {
        let given = query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name));
        if !given {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(&format!("{name}={value}"));
        }
    }
    out
}

/// Opens connections for the pool, picking the backend from the URL rather than trying each.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

/// A connection that went back to the pool less than this long ago, without a database error,
/// is handed out again without asking the database whether it is still there (`SELECT 1`, a
/// round trip on PostgreSQL): under load every connection is that recent, and the check would
/// be paid on every request. One idle for longer, or suspect, is checked first.
const CHECKED_RECENTLY: Duration = Duration::from_secs(1);

/// A connection of the pool, with what the pool needs to decide whether to check it.
pub struct Pooled {
    db: DbConnection,
    returned: Instant,
    suspect: bool,
}

impl Pooled {
    /// After a database error that may mean the connection is gone: it is checked before it
    /// is used again (and replaced if the check fails).
    pub fn suspect(&mut self) {
        self.suspect = true;
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.db
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.db
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let db = connect_with(&self.url, true).map_err(r2d2::Error::ConnectionError)?;
        Ok(Pooled {
            db,
            returned: Instant::now(),
            suspect: false,
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        if !conn.suspect && conn.returned.elapsed() < CHECKED_RECENTLY {
            return Ok(());
        }
        conn.db
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)?;
        conn.suspect = false;
        Ok(())
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.returned = Instant::now();
        DbConnection::is_broken_transaction_manager(&mut conn.db)
    }
}

/// The pool. It opens connections in the background, so an instance starts even while the
/// database is briefly away; `/readyz` tells when it answers.
pub fn pool(url: &DatabaseUrl) -> Pool {
    let max_size = match url {
        // One writer at a time anyway; a few connections serve the readers.
        DatabaseUrl::Sqlite(_) => 8,
        DatabaseUrl::Postgres(_) => 10,
    };
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        // A request waits at most this long for a connection: during an outage it answers
        // 503 instead of queueing behind a database that does not answer.
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(true)
        .build_unchecked(ConnectionManager { url: url.clone() })
}

/// Brings the schema up to date. Returns how many migrations were applied.
pub fn run_migrations(url: &DatabaseUrl) -> anyhow::Result<usize> {
    let applied = match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = connect_sqlite(path)?;
            // The write lock first, so that instances starting together take turns (diesel's
            // own per-migration transactions become savepoints inside this one).
            AnsiTransactionManager::begin_transaction_sql(&mut conn, "BEGIN IMMEDIATE")?;
            match conn
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
            {
                Ok(applied) => {
                    AnsiTransactionManager::commit_transaction(&mut conn)?;
                    applied
                }
                Err(e) => {
                    let _ = AnsiTransactionManager::rollback_transaction(&mut conn);
                    anyhow::bail!("migrating SQLite: {e}");
                }
            }
        }
        DatabaseUrl::Postgres(url) => {
            let mut conn = PgConnection::establish(&bounded(url, false))?;
            // Session-level lock on this one connection: a second instance waits here, then
            // finds nothing pending.
            conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result.map_err(|e| anyhow::anyhow!("migrating PostgreSQL: {e}"))?
        }
    };
    Ok(applied)
}

/// Runs `f` in one write transaction: `BEGIN IMMEDIATE` on SQLite, so that two writers queue
/// on the busy timeout instead of one failing when it upgrades a read lock; an ordinary
/// transaction on PostgreSQL. Everything `f` writes commits together or not at all. Inside
/// another write transaction (a write that records its idempotency key with it) it is a
/// savepoint of that one, so the outer transaction commits everything at once.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let nested = in_transaction(conn)?;
    match conn {
        DbConnection::Sqlite(c) if !nested => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        _ => DbConnection::begin_transaction(conn)?,
    }
    let result = run_transaction(conn, f);
    if !nested {
        super::users::transaction_ended();
    }
    result
}

/// Runs `f`'s reads in one snapshot: a deferred transaction on SQLite (in WAL mode a reader
/// sees the database as of its first read until it ends), `REPEATABLE READ READ ONLY` on
/// PostgreSQL (each statement of a `READ COMMITTED` transaction would see the commits made
/// since the one before). Inside another transaction it runs in that one.
pub fn read_snapshot<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if in_transaction(conn)? {
        return f(conn);
    }
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?
        }
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    run_transaction(conn, f)
}

/// Whether the connection is inside a transaction already.
fn in_transaction(conn: &mut DbConnection) -> QueryResult<bool> {
    Ok(match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_some(),
        DbConnection::Pg(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()?
            .is_some(),
    })
}

fn run_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match f(conn) {
        Ok(value) => match DbConnection::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                // Leave the connection usable; the commit error is what the caller needs.
                let _ = DbConnection::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            let _ = DbConnection::rollback_transaction(conn);
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bounded;

    #[test]
    fn every_wait_on_postgres_is_bounded_unless_the_url_says_otherwise() {
        let url = bounded("postgres://u@db/permitflow", true);
        assert!(url.starts_with("postgres://u@db/permitflow?connect_timeout=5&"));
        assert!(url.contains("tcp_user_timeout=5000"));
        assert!(url.contains("options=-c%20statement_timeout%3D15000"));
        let own = bounded(
            "postgres://u@db/p?connect_timeout=30&sslmode=require",
            false,
        );
        assert!(own.contains("connect_timeout=30") && !own.contains("connect_timeout=5&"));
        assert!(!own.contains("statement_timeout"));
    }
}
