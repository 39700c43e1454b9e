//! The permitflow command line: serve, migrate, seed, simulate, user create.

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};
use permitflow::clock::Clock;
use permitflow::config::{CommonOpts, Secret, Settings};
use permitflow::db::conn;
use permitflow::demo;
use permitflow::demo::history::HistoryPlan;
use permitflow::i18n::Lang;
use permitflow::service::{users, ServiceError};
use permitflow::startup;

#[derive(Parser)]
#[command(
    name = "permitflow",
    version,
    about = "Oversize-cargo road transport permits with parallel joint review"
)]
struct Cli {
    #[command(flatten)]
    common: CommonOpts,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve the web application and the API.
    Serve {
        /// Load the demo users (password permitflow-demo) if they are missing.
        #[arg(long)]
        demo: bool,
        /// A manual clock moved through /api/v1/test/clock (SQLite or test* databases only).
        #[arg(long)]
        test_clock: bool,
    },
    /// Apply pending migrations and load the reference data.
    Migrate,
    /// Load the reference data; with --demo also the demo firms and users.
    Seed {
        #[arg(long)]
        demo: bool,
        /// Days of demo history to make through the engine (with --demo).
        #[arg(long, default_value_t = 90)]
        days: u32,
        /// Seed of the demo history: the same seed makes the same history.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// What-if turnaround: the engine core driven by a simulation, no database (SPEC §9).
    Simulate(permitflow::simulate::cli::SimulateArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        command: Box<UserCommand>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. Applicants name their firm (created if new), reviewers their authority,
    /// managers the jurisdiction they supervise (the whole region if omitted).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// applicant, reviewer, inspector, manager or admin.
        #[arg(long)]
        role: String,
        /// The firm's unified social credit code (applicants).
        #[arg(long)]
        firm_code: Option<String>,
        /// The firm's name, when the firm is new.
        #[arg(long)]
        firm_name: Option<String>,
        /// The authority code, e.g. 652328-POLICE (reviewers).
        #[arg(long)]
        authority: Option<String>,
        /// The jurisdiction code a manager supervises.
        #[arg(long)]
        scope: Option<String>,
        /// The environment variable that holds the password (never a flag: flags are visible).
        #[arg(long)]
        password_env: String,
        /// zh-CN or en.
        #[arg(long, default_value = "zh-CN")]
        language: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    startup::init_tracing(cli.common.log_format);
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // Simulation touches no database and needs no secret.
    if let Command::Simulate(args) = &cli.command {
        return permitflow::simulate::cli::run(&cli.common, args);
    }
    let settings = Settings::from_opts(&cli.common)?;
    match cli.command {
        Command::Serve { demo, test_clock } => {
            let clock = if test_clock {
                settings.check_test_clock_allowed()?;
                Clock::manual(Utc::now().naive_utc())
            } else {
                Clock::System
            };
            actix_web::rt::System::new().block_on(startup::serve(settings, clock, demo))
        }
        Command::Migrate => startup::migrate(&settings),
        Command::Simulate(_) => Ok(()),
        Command::Seed { demo, days, seed } => {
            startup::migrate(&settings)?;
            if demo {
                let mut db = conn::connect(&settings.database)?;
                let now = Utc::now().naive_utc();
                let created = demo::seed(&mut db, now).map_err(report)?;
                println!(
                    "demo: {created} users created (password {})",
                    demo::DEMO_PASSWORD
                );
                let state = startup::state(settings.clone(), Clock::System)?;
                startup::demo_work(&state, now, HistoryPlan { days, seed })?;
            }
            Ok(())
        }
        Command::User { command } => match *command {
            UserCommand::Create {
                email,
                name,
                role,
                firm_code,
                firm_name,
                authority,
                scope,
                password_env,
                language,
            } => {
                let password = std::env::var(&password_env).with_context(|| {
                    format!("the environment variable {password_env} is not set")
                })?;
                let language =
                    Lang::from_tag(&language).context("--language must be zh-CN or en")?;
                startup::migrate(&settings)?;
                let mut db = conn::connect(&settings.database)?;
                let new = users::NewUser {
                    email,
                    name,
                    role,
                    password: Secret::new(password),
                    firm_code,
                    firm_name,
                    authority,
                    scope,
                    language,
                };
                let user = users::create_user(&mut db, None, &new, Utc::now().naive_utc())
                    .map_err(report)?;
                println!("created {} ({}) id {}", user.email, user.role, user.id);
                Ok(())
            }
        },
    }
}

/// A service error as a CLI message: validation problems one per line, by field.
fn report(error: ServiceError) -> anyhow::Error {
    match error {
        ServiceError::Validation(errors) => {
            let lines: Vec<String> = errors
                .0
                .iter()
                .map(|e| {
                    let option = match e.field.as_str() {
                        "password" => "password (from --password-env)".to_string(),
                        field => format!("--{}", field.replace('_', "-")),
                    };
                    format!("  {option}: {}", Lang::En.message(&e.message))
                })
                .collect();
            anyhow::anyhow!("the user was not created:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}
