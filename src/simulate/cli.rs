//! The `simulate` subcommand's options and what it prints.

use super::{simulate, Medians, Scenario, Staffing, World};
use crate::config::CommonOpts;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::Args;
use std::path::PathBuf;

/// What-if turnaround through the engine core, without a database.
#[derive(Debug, Clone, Args)]
pub struct SimulateArgs {
    /// First day of arrivals (YYYY-MM-DD); today in TIMEZONE when absent.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Days of arrivals; the run goes on until every application is decided.
    #[arg(long, default_value_t = 28)]
    pub days: u32,
    /// Applications per working day (other days bring --weekend-share of it).
    #[arg(long, default_value_t = 40.0)]
    pub arrivals_per_day: f64,
    #[arg(long, default_value_t = 0.15)]
    pub weekend_share: f64,
    /// Reviewers at every authority.
    #[arg(long, default_value_t = 1)]
    pub reviewers: usize,
    /// Reviewers at some authorities: KIND=N (POLICE=2), LEVEL:KIND=N (county:POLICE=2) or
    /// an authority code (652328-POLICE=3). Repeatable.
    #[arg(long = "reviewers-of", value_name = "WHO=N")]
    pub reviewers_of: Vec<String>,
    /// Median working minutes a reviewer takes: KIND=MIN for reviews, acceptance=MIN,
    /// issuance=MIN for the issuer's steps. Repeatable.
    #[arg(long = "median", value_name = "WHO=MIN")]
    pub medians: Vec<String>,
    /// Share of decisions that ask the applicant for information.
    #[arg(long, default_value_t = 0.08)]
    pub info_share: f64,
    /// Share of decisions that refuse.
    #[arg(long, default_value_t = 0.01)]
    pub reject_share: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write an HTML report with SVG charts.
    #[arg(long, value_name = "FILE.html")]
    pub out: Option<PathBuf>,
}

fn pairs(values: &[String], option: &str) -> anyhow::Result<Vec<(String, f64)>> {
    values
        .iter()
        .map(|v| {
            let (who, n) = v
                .split_once('=')
                .with_context(|| format!("{option} {v:?}: write WHO=NUMBER"))?;
            let n: f64 = n
                .trim()
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite() && *n > 0.0)
                .with_context(|| format!("{option} {v:?}: {n:?} is not a positive number"))?;
            Ok((who.trim().to_string(), n))
        })
        .collect()
}

impl SimulateArgs {
    /// The scenario the options describe; a clear error naming the option otherwise.
    pub fn scenario(&self, today: NaiveDate) -> anyhow::Result<Scenario> {
        if self.days == 0 || self.days > 366 {
            bail!("--days {}: give 1 to 366 days", self.days);
        }
        if !(self.arrivals_per_day > 0.0 && self.arrivals_per_day <= 100_000.0) {
            bail!(
                "--arrivals-per-day {}: give a number above 0",
                self.arrivals_per_day
            );
        }
        for (name, share) in [
            ("--weekend-share", self.weekend_share),
            ("--info-share", self.info_share),
            ("--reject-share", self.reject_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                bail!("{name} {share}: give a share from 0 to 1");
            }
        }
        if self.info_share + self.reject_share > 1.0 {
            bail!("--info-share and --reject-share add up to more than 1");
        }
        let mut scenario = Scenario::new(
            self.from.unwrap_or(today),
            self.days,
            self.arrivals_per_day,
            self.reviewers,
            self.seed,
        );
        scenario.weekend_share = self.weekend_share;
        scenario.info_share = self.info_share;
        scenario.reject_share = self.reject_share;
        let mut staffing = Staffing {
            default: self.reviewers.max(1),
            ..Staffing::default()
        };
        for (who, n) in pairs(&self.reviewers_of, "--reviewers-of")? {
            let n = n.round().max(1.0) as usize;
            if who.contains('-') {
                staffing.by_authority.insert(who.to_uppercase(), n);
            } else {
                staffing.by_kind.insert(level_kind(&who), n);
            }
        }
        scenario.staffing = staffing;
        let mut medians = Medians::default();
        for (who, minutes) in pairs(&self.medians, "--median")? {
            match who.as_str() {
                "acceptance" | "issuance" => medians.by_step.insert(who, minutes),
                kind => medians.by_kind.insert(kind.to_uppercase(), minutes),
            };
        }
        scenario.medians = medians;
        Ok(scenario)
    }
}

/// The workflows `--workflow` (global, or WORKFLOW) names: joint, serial, or both when absent.
pub fn workflows(which: Option<&str>) -> anyhow::Result<Vec<String>> {
    match which.unwrap_or("both") {
        "both" => Ok(vec!["joint".into(), "serial".into()]),
        one @ ("joint" | "serial") => Ok(vec![one.to_string()]),
        other => bail!("--workflow {other:?}: give joint, serial or both"),
    }
}

/// `county:police` → `county:POLICE`, `police` → `POLICE`.
fn level_kind(who: &str) -> String {
    match who.split_once(':') {
        Some((level, kind)) => format!("{}:{}", level.to_lowercase(), kind.to_uppercase()),
        None => who.to_uppercase(),
    }
}

/// Runs the subcommand: the table (or JSON) on standard output, a progress bar on a terminal.
pub fn run(common: &CommonOpts, args: &SimulateArgs) -> anyhow::Result<()> {
    let tz: Tz = common
        .timezone
        .parse()
        .map_err(|_| anyhow::anyhow!("TIMEZONE {:?} is not a time zone", common.timezone))?;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let scenario = args.scenario(today)?;
    let world = World::load(&common.data_dir, tz, common.target_hours, scenario.from)?;
    let bar = indicatif::ProgressBar::new(0).with_style(indicatif::ProgressStyle::with_template(
        "simulating {bar:40} {pos}/{len} applications decided",
    )?);
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let (outcome, _) = simulate(
        &world,
        &scenario,
        &workflows(common.workflow.as_deref())?,
        &progress,
    )?;
    bar.finish_and_clear();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&super::report::json(&outcome))?
        );
    } else {
        print!(
            "{}",
            super::report::table(&outcome, &scenario, common.target_hours)
        );
    }
    if let Some(path) = &args.out {
        std::fs::write(
            path,
            super::report::html(&outcome, &scenario, common.target_hours),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        if !args.json {
            println!("report: {}", path.display());
        }
    }
    Ok(())
}
