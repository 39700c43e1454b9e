//! One typed `Settings` from the environment and command-line flags (flags win). Secrets are
//! wrapped so that no `Debug`, log line or error message ever prints them.

use anyhow::{bail, Context};
use chrono_tz::Tz;
use clap::Args;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the database is: `sqlite://relative/path.db`, `sqlite:///absolute/path.db` or `postgres://…`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl FromStr for DatabaseUrl {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> anyhow::Result<Self> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() || path == "/" {
                bail!(
                    "DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://data/permitflow.db"
                );
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(s.to_string()))
        } else {
            bail!("DATABASE_URL must start with sqlite:// or postgres://")
        }
    }
}

impl DatabaseUrl {
    /// The database name, for the rule that only test databases may run a manual clock.
    pub fn database_name(&self) -> Option<String> {
        match self {
            DatabaseUrl::Sqlite(_) => None,
            DatabaseUrl::Postgres(url) => {
                let after_host = url.split("://").nth(1)?.split_once('/')?.1;
                Some(after_host.split('?').next()?.to_string())
            }
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DatabaseUrl::Sqlite(_))
    }
}

impl fmt::Debug for DatabaseUrl {
    // A PostgreSQL URL can hold a password: show only where it points.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(_) => write!(
                f,
                "postgres://…/{}",
                self.database_name().unwrap_or_default()
            ),
        }
    }
}

/// A secret value; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The options every command shares; each can also come from the environment.
#[derive(Debug, Clone, Args)]
pub struct CommonOpts {
    /// sqlite://relative/path.db, sqlite:///absolute/path.db or postgres://…
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/permitflow.db",
        global = true
    )]
    pub database_url: String,
    /// Folder of reference data, the SQLite secret, mail files and attachments.
    #[arg(long, env = "DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,
    /// The address people reach the server at, for links in emails and QR codes.
    #[arg(long, env = "BASE_URL", global = true)]
    pub base_url: Option<String>,
    #[arg(long, env = "SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "permitflow <noreply@permitflow.local>",
        global = true
    )]
    pub mail_from: String,
    /// The net turnaround target in hours.
    #[arg(long, env = "TARGET_HOURS", default_value_t = 24, global = true)]
    pub target_hours: u32,
    /// Display time zone (IANA name).
    #[arg(long, env = "TIMEZONE", default_value = "Asia/Shanghai", global = true)]
    pub timezone: String,
    /// The workflow definition for new applications: joint (the default) or serial. For
    /// `simulate`, which to simulate: joint, serial or both (the default).
    #[arg(long, env = "WORKFLOW", global = true)]
    pub workflow: Option<String>,
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// How long an API token lasts, in hours.
    #[arg(long, env = "TOKEN_TTL_HOURS", default_value_t = 24, global = true)]
    pub token_ttl_hours: u32,
    /// Delivery attempts before an e-mail is marked failed.
    #[arg(long, env = "MAIL_MAX_ATTEMPTS", default_value_t = 8, global = true)]
    pub mail_max_attempts: u32,
    /// E-mails one instance sends at once.
    #[arg(long, env = "MAIL_CONCURRENCY", default_value_t = 8, global = true)]
    pub mail_concurrency: u32,
    /// Take the client address from `Forwarded`/`X-Forwarded-For` (only behind a proxy that sets them).
    #[arg(long, env = "TRUST_FORWARDED", default_value_t = false, global = true)]
    pub trust_forwarded: bool,
    /// With TRUST_FORWARDED: how many proxies of our own stand in front; the client is the
    /// address the outermost of them appended (the N-th entry from the right).
    #[arg(long, env = "TRUSTED_PROXIES", default_value_t = 1, global = true)]
    pub trusted_proxies: u32,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub data_dir: PathBuf,
    pub bind: String,
    pub base_url: String,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub target_hours: u32,
    pub timezone: Tz,
    pub workflow: String,
    pub log_format: LogFormat,
    pub token_ttl_hours: u32,
    pub trust_forwarded: bool,
    pub trusted_proxies: u32,
    pub mail_max_attempts: u32,
    pub mail_concurrency: u32,
    /// Signs sessions and permit tokens. Only from the environment or the generated file,
    /// never a flag (flags show in process lists).
    pub secret_key: Secret,
}

/// Shortest accepted `SECRET_KEY`, in characters.
const MIN_SECRET_LEN: usize = 32;

impl Settings {
    /// Settings for a command, reading `SECRET_KEY` from the environment and, on SQLite
    /// without one, from (or into) `{data_dir}/secret.key`.
    pub fn from_opts(opts: &CommonOpts) -> anyhow::Result<Settings> {
        let database: DatabaseUrl = opts.database_url.parse()?;
        let secret_env = std::env::var("SECRET_KEY").ok().filter(|s| !s.is_empty());
        let secret_key = match (secret_env, &database) {
            (Some(key), _) => {
                if key.chars().count() < MIN_SECRET_LEN {
                    bail!("SECRET_KEY must be at least {MIN_SECRET_LEN} characters long");
                }
                Secret::new(key)
            }
            (None, DatabaseUrl::Sqlite(_)) => load_or_create_secret(&opts.data_dir)?,
            (None, DatabaseUrl::Postgres(_)) => {
                bail!("SECRET_KEY is required with PostgreSQL: every instance must share it (at least {MIN_SECRET_LEN} characters)")
            }
        };
        Self::build(opts, database, secret_key)
    }

    /// Settings with a given secret, for tests and tools.
    pub fn build(
        opts: &CommonOpts,
        database: DatabaseUrl,
        secret_key: Secret,
    ) -> anyhow::Result<Settings> {
        let timezone: Tz = opts.timezone.parse().map_err(|_| {
            anyhow::anyhow!("TIMEZONE {:?} is not an IANA time zone name", opts.timezone)
        })?;
        if opts.target_hours == 0 {
            bail!("TARGET_HOURS must be at least 1");
        }
        let workflow = opts.workflow.as_deref().unwrap_or("joint");
        if !matches!(workflow, "joint" | "serial") {
            bail!("WORKFLOW must be joint or serial, not {workflow:?}");
        }
        let base_url = opts
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", opts.bind))
            .trim_end_matches('/')
            .to_string();
        Ok(Settings {
            database,
            data_dir: opts.data_dir.clone(),
            bind: opts.bind.clone(),
            base_url,
            smtp_url: opts.smtp_url.clone().map(Secret::new),
            mail_from: opts.mail_from.clone(),
            target_hours: opts.target_hours,
            timezone,
            workflow: workflow.to_string(),
            log_format: opts.log_format,
            token_ttl_hours: opts.token_ttl_hours.max(1),
            trust_forwarded: opts.trust_forwarded,
            trusted_proxies: opts.trusted_proxies.clamp(1, 16),
            mail_max_attempts: opts.mail_max_attempts.max(1),
            mail_concurrency: opts.mail_concurrency.clamp(1, 32),
            secret_key,
        })
    }

    /// The domain of the sender address, for Message-IDs.
    pub fn mail_domain(&self) -> String {
        self.mail_from
            .rsplit('@')
            .next()
            .map(|d| d.trim_end_matches('>').trim().to_string())
            .filter(|d| !d.is_empty() && !d.contains(' '))
            .unwrap_or_else(|| "permitflow.local".to_string())
    }

    /// A manual clock is only for SQLite files and PostgreSQL databases named `test…`.
    /// `--test-clock` opens routes that move the clock and run jobs without signing in: only on
    /// a loopback address (whatever the database, SQLite being a production backend too), and on
    /// PostgreSQL only for a database named `test…`.
    pub fn check_test_clock_allowed(&self) -> anyhow::Result<()> {
        let host = self
            .bind
            .rsplit_once(':')
            .map_or(self.bind.as_str(), |(host, _)| host)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            bail!(
                "--test-clock is refused on {}: only on a loopback address (127.0.0.1, ::1, localhost)",
                self.bind
            );
        }
        match self.database.database_name() {
            None => Ok(()),
            Some(name) if name.starts_with("test") => Ok(()),
            Some(name) => bail!("--test-clock is refused on database {name:?}: only SQLite or a database whose name starts with \"test\""),
        }
    }
}

/// The SQLite deployment's secret: generated once, kept readable by the owner only.
fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("secret.key");
    if path.exists() {
        let key = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let key = key.trim().to_string();
        if key.len() < MIN_SECRET_LEN {
            bail!(
                "{} is shorter than {MIN_SECRET_LEN} characters; delete it to generate a new one",
                path.display()
            );
        }
        return Ok(Secret::new(key));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let key = hex::encode(rand::random::<[u8; 32]>());
    write_owner_only(&path, &key).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new secret key");
    Ok(Secret::new(key))
}

#[cfg(unix)]
fn write_owner_only(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_owner_only(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_forms() {
        assert_eq!(
            "sqlite://data/permitflow.db"
                .parse::<DatabaseUrl>()
                .unwrap(),
            DatabaseUrl::Sqlite("data/permitflow.db".into())
        );
        assert_eq!(
            "sqlite:///var/lib/pf.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite("/var/lib/pf.db".into())
        );
        let pg: DatabaseUrl = "postgres://u:pw@127.0.0.1:5432/test_x?sslmode=disable"
            .parse()
            .unwrap();
        assert_eq!(pg.database_name().as_deref(), Some("test_x"));
        assert!(!format!("{pg:?}").contains("pw"), "passwords never printed");
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn secrets_are_not_printed() {
        assert_eq!(format!("{:?}", Secret::new("hunter2hunter2")), "[redacted]");
    }

    #[test]
    fn the_sqlite_secret_is_generated_once_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret(dir.path()).unwrap();
        let second = load_or_create_secret(dir.path()).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.expose().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
