//! Bringing an instance up: logging, migrations and reference data, the rules file, the pool,
//! and the HTTP server. The CLI and the tests both start permitflow through here.

use crate::clock::Clock;
use crate::config::{LogFormat, Settings};
use crate::db::conn;
use crate::demo::history::HistoryPlan;
use crate::domain::permit::PermitSigner;
use crate::domain::rules::{PermitRules, SHIPPED_RULES};
use crate::mail::outbox::Delivery;
use crate::mail::transport::Transport;
use crate::service::reference::ReferenceData;
use crate::service::workflows::Workflows;
use crate::service::Engine;
use crate::web::{self, metrics::Metrics, AppState};
use anyhow::Context;
use chrono::NaiveDateTime;
use std::net::TcpListener;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless; ignore it.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Applies pending migrations, then loads the reference data and records the workflow
/// definitions (idempotent; a definition changed without a new version is refused here).
pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let applied = conn::run_migrations(&settings.database)?;
    let reference = ReferenceData::load(&settings.data_dir)?;
    let mut db = conn::connect(&settings.database).context("connecting to the database")?;
    reference.apply(&mut db).context("loading reference data")?;
    let workflows = Workflows::load(&mut db, &settings.data_dir, chrono::Utc::now().naive_utc())?;
    tracing::info!(
        applied,
        jurisdictions = reference.jurisdictions.len(),
        authorities = reference.authorities.len(),
        calendar_years = reference.calendars.len(),
        workflow_versions = workflows.len(),
        "database ready"
    );
    Ok(())
}

/// `{data_dir}/rules.toml` if there is one, else the shipped rules.
pub fn load_rules(settings: &Settings) -> anyhow::Result<PermitRules> {
    let path = settings.data_dir.join("rules.toml");
    let text = if path.is_file() {
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
    } else {
        SHIPPED_RULES.to_string()
    };
    PermitRules::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The workflow definitions: the files checked and recorded, every recorded version loaded.
pub fn load_workflows(
    settings: &Settings,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<Workflows> {
    let mut db = conn::connect(&settings.database).context("connecting to the database")?;
    Workflows::load(&mut db, &settings.data_dir, now)
}

/// Everything a server needs, reading the rules file and the workflows from the database.
pub fn state(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
    let workflows = load_workflows(&settings, clock.now())?;
    state_with(settings, clock, workflows)
}

pub fn state_with(
    settings: Settings,
    clock: Clock,
    workflows: Workflows,
) -> anyhow::Result<AppState> {
    let engine = Engine {
        rules: load_rules(&settings)?,
        workflows,
        timezone: settings.timezone,
        service_hours: std::sync::Arc::new(crate::service::reference::load_service_hours(
            &settings.data_dir,
        )?),
        calendars: Default::default(),
        target_hours: settings.target_hours,
        default_workflow: settings.workflow.clone(),
        data_dir: settings.data_dir.clone(),
        base_url: settings.base_url.clone(),
        mail_domain: settings.mail_domain(),
        permit_signer: PermitSigner::new(settings.secret_key.expose().as_bytes()),
    };
    if engine.workflows.latest(&engine.default_workflow).is_none() && !engine.workflows.is_empty() {
        anyhow::bail!(
            "WORKFLOW {} names no workflow definition",
            engine.default_workflow
        );
    }
    let mailer = Delivery {
        transport: Transport::new(settings.smtp_url.as_ref(), &settings.data_dir)?,
        from: settings
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM {:?}: {e}", settings.mail_from))?,
        max_attempts: settings.mail_max_attempts as i32,
        lease: crate::mail::outbox::LEASE,
        worker: crate::db::new_id(),
        concurrency: settings.mail_concurrency as usize,
        paused_until: Default::default(),
    };
    let pool = conn::pool(&settings.database);
    Ok(AppState {
        pool,
        settings: Arc::new(settings),
        clock,
        engine: Arc::new(engine),
        mailer: Arc::new(mailer),
        metrics: Metrics::new(),
        sign_ins: Default::default(),
    })
}

/// Runs the background jobs until the process stops: the escalation monitor and the approvals
/// digest every 30 seconds, outbox delivery every few seconds and, on SQLite, the write-ahead
/// log's checkpoint every second (`db::conn::checkpoint`).
pub fn spawn_jobs(state: AppState) {
    if matches!(
        state.settings.database,
        crate::config::DatabaseUrl::Sqlite(_)
    ) {
        let pool = state.pool.clone();
        actix_web::rt::spawn(async move {
            let mut interval = actix_web::rt::time::interval(std::time::Duration::from_secs(1));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let pool = pool.clone();
                let outcome = actix_web::rt::task::spawn_blocking(move || {
                    let mut conn = pool.get()?;
                    anyhow::Ok(crate::db::conn::checkpoint(&mut conn)?)
                })
                .await;
                match outcome {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::debug!(error = format!("{error:#}"), "checkpoint")
                    }
                    Err(error) => tracing::error!(%error, "checkpoint task"),
                }
            }
        });
    }
    let monitor_state = state.clone();
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(std::time::Duration::from_secs(30));
        loop {
            interval.tick().await;
            let job = monitor_state.clone();
            let outcome = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<usize> {
                let mut conn = job.pool.get()?;
                let now = job.clock.now();
                let recorded = crate::service::escalations::run(&mut conn, &job.engine, now)?;
                let digests = crate::service::digests::run(&mut conn, &job.engine, now)?;
                let expired = crate::service::accounts::expire_registrations(&mut conn, now)?;
                if expired > 0 {
                    tracing::info!(expired, "unconfirmed registrations expired");
                }
                if digests > 0 {
                    tracing::info!(digests, "approvals digest");
                }
                Ok(recorded)
            })
            .await;
            match outcome {
                Ok(Ok(0)) => {}
                Ok(Ok(recorded)) => tracing::info!(recorded, "escalation monitor"),
                Ok(Err(error)) => {
                    tracing::warn!(error = format!("{error:#}"), "escalation monitor")
                }
                Err(error) => tracing::error!(%error, "escalation monitor task"),
            }
        }
    });
    // Finished applications into the turnaround report's cells (`service::report_cells`): a
    // report reads the rows not folded yet beside the cells, so the interval decides only how
    // many rows a report reads, never what it shows.
    let fold_state = state.clone();
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(std::time::Duration::from_secs(2));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let job = fold_state.clone();
            let outcome = actix_web::rt::task::spawn_blocking(move || {
                let mut conn = job.pool.get()?;
                anyhow::Ok(crate::service::report_cells::fold_all(&mut conn)?)
            })
            .await;
            match outcome {
                Ok(Ok(0)) => {}
                // A history left by an upgrade: worth a line in the log.
                Ok(Ok(folded)) if folded >= 10_000 => tracing::info!(folded, "report cells"),
                Ok(Ok(folded)) => tracing::debug!(folded, "report cells"),
                Ok(Err(error)) => tracing::warn!(error = format!("{error:#}"), "report cells"),
                Err(error) => tracing::error!(%error, "report cells task"),
            }
        }
    });
    actix_web::rt::spawn(async move {
        /// Rows one delivery run takes; a full run is followed by the next at once.
        const RUN: i64 = 500;
        let mut interval = actix_web::rt::time::interval(std::time::Duration::from_secs(3));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            loop {
                let job_state = state.clone();
                let outcome = actix_web::rt::task::spawn_blocking(move || {
                    crate::mail::outbox::deliver_due(
                        &job_state.pool,
                        &job_state.mailer,
                        job_state.clock.now(),
                        RUN,
                    )
                })
                .await;
                let full =
                    matches!(&outcome, Ok(Ok(r)) if (r.sent + r.retried + r.failed) as i64 >= RUN);
                match outcome {
                    Ok(Ok(report)) if report != Default::default() => {
                        tracing::info!(
                            sent = report.sent,
                            retried = report.retried,
                            failed = report.failed,
                            "outbox delivered"
                        )
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(error = format!("{error:#}"), "outbox delivery")
                    }
                    Err(error) => tracing::error!(%error, "outbox delivery task"),
                }
                if !full {
                    break;
                }
            }
        }
    });
}

/// The demo's applications: `plan.days` of history through the engine (with a progress bar
/// on a terminal), then today's work at every stage. Nothing when the demo firm already has
/// applications.
pub fn demo_work(state: &AppState, now: NaiveDateTime, plan: HistoryPlan) -> anyhow::Result<()> {
    let mut db = state.pool.get()?;
    let bar = indicatif::ProgressBar::new(0).with_style(indicatif::ProgressStyle::with_template(
        "demo history {bar:40} {pos}/{len} applications ({eta} left)",
    )?);
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let permit =
        crate::demo::work::seed_applications(&mut db, &state.engine, now, plan, &mut progress)?;
    bar.finish_and_clear();
    crate::demo::seed_registration(&mut db, now)?;
    if let Some(permit_no) = permit {
        tracing::info!(%permit_no, "demo ready; a permit to look at: /permits/{permit_no}");
    }
    Ok(())
}

/// Migrates, then serves until the process is stopped.
pub async fn serve(settings: Settings, clock: Clock, demo: bool) -> anyhow::Result<()> {
    let settings_for_setup = settings.clone();
    let now = clock.now();
    actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<()> {
        migrate(&settings_for_setup)?;
        if demo {
            let mut db = conn::connect(&settings_for_setup.database)?;
            let created = crate::demo::seed(&mut db, now)?;
            tracing::info!(created, "demo data ready (password: permitflow-demo)");
        }
        Ok(())
    })
    .await??;
    let listener =
        TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
    let address = listener.local_addr()?;
    let database = format!("{:?}", settings.database);
    let state = actix_web::rt::task::spawn_blocking(move || state(settings, clock)).await??;
    if demo {
        let state = state.clone();
        actix_web::rt::task::spawn_blocking(move || demo_work(&state, now, HistoryPlan::default()))
            .await??;
    }
    tracing::info!(%address, %database, "permitflow serving");
    spawn_jobs(state.clone());
    web::serve(listener, state, web::ServeOptions::default())?.await?;
    Ok(())
}
