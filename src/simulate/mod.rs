//! `permitflow simulate` (SPEC §9): what-if turnaround without a database. The engine core
//! itself — the shipped definitions, the state machine, the calendars and service hours from
//! the data folder — driven by a discrete-event simulation of arrivals (per working day, with a
//! daily profile), reviewers per authority (how many, how long they take, their hours),
//! information rounds and refusals, over any period. Joint and serial see the same arrivals.

pub mod cli;
pub mod model;
pub mod random;
pub mod report;

use crate::domain::application::{ApplicationInput, ApplicationSpec};
use crate::domain::jurisdiction::{Jurisdiction, JurisdictionTree, Level};
use crate::domain::rules::PermitRules;
use crate::domain::timebook::Timebook;
use crate::domain::workflow::WorkflowDefinition;
use crate::service::reference::{
    load_service_hours, read_folder_or_shipped, CalendarYear, ReferenceData,
};
use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use rand::Rng;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

type Time = NaiveDateTime;

/// A kind of load the simulated firms apply for, as the engine parses it.
pub struct Template {
    pub name: &'static str,
    pub spec: ApplicationSpec,
    pub statutory_days: u32,
    /// Its share of the applications.
    pub weight: f64,
}

/// Everything the simulation reads from the data folder, once.
pub struct World {
    pub tree: JurisdictionTree,
    pub region: String,
    /// The counties of each prefecture, in code order.
    pub counties: BTreeMap<String, Vec<String>>,
    pub templates: Vec<Template>,
    pub time: Arc<Timebook>,
    pub timezone: Tz,
    pub target_hours: u32,
    pub definitions: BTreeMap<String, WorkflowDefinition>,
}

/// One application's arrival: when, through which counties, which load.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub at: Time,
    pub counties: Vec<String>,
    pub template: usize,
}

/// Reviewers per authority: an authority's own figure, else its kind's, else the default.
#[derive(Debug, Clone, Default)]
pub struct Staffing {
    pub default: usize,
    pub by_kind: BTreeMap<String, usize>,
    pub by_authority: BTreeMap<String, usize>,
}

impl Staffing {
    /// Reviewers at `authority_code`, an authority of `level`.
    pub fn reviewers(&self, authority_code: &str, level: Option<Level>) -> usize {
        let kind = Timebook::kind_of(authority_code);
        let by_level = level.and_then(|l| self.by_kind.get(&format!("{l}:{kind}")));
        self.by_authority
            .get(authority_code)
            .or(by_level)
            .or_else(|| self.by_kind.get(kind))
            .copied()
            .unwrap_or(self.default)
            .max(1)
    }
}

/// Median working minutes a reviewer takes: by step for the issuer's steps, by authority kind
/// for reviews.
#[derive(Debug, Clone)]
pub struct Medians {
    pub by_step: BTreeMap<String, f64>,
    pub by_kind: BTreeMap<String, f64>,
    pub default: f64,
}

impl Default for Medians {
    fn default() -> Self {
        let by_step = [("acceptance", 20.0), ("issuance", 15.0)];
        let by_kind = [
            ("TRANSPORT", 45.0),
            ("POLICE", 30.0),
            ("HIGHWAY", 60.0),
            ("GRID", 45.0),
        ];
        Medians {
            by_step: by_step.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            by_kind: by_kind.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            default: 45.0,
        }
    }
}

impl Medians {
    pub fn minutes(&self, step: &str, authority_code: &str) -> f64 {
        self.by_step
            .get(step)
            .or_else(|| self.by_kind.get(Timebook::kind_of(authority_code)))
            .copied()
            .unwrap_or(self.default)
    }
}

/// What is simulated: the period, the demand, the reviewers and how they work.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub from: NaiveDate,
    pub days: u32,
    /// Applications per working day; other days bring `weekend_share` of it.
    pub arrivals_per_day: f64,
    pub weekend_share: f64,
    /// Relative arrivals per local hour of the day.
    pub profile: [f64; 24],
    pub staffing: Staffing,
    pub medians: Medians,
    /// The spread (σ of the logarithm) of reviewers' times.
    pub spread: f64,
    /// The share of decisions that ask the applicant for information.
    pub info_share: f64,
    /// The share of answers that change cargo, vehicle or route (every review re-opens).
    pub material_share: f64,
    pub answer_median_hours: f64,
    /// The share of decisions that refuse.
    pub reject_share: f64,
    pub seed: u64,
}

/// Dispatchers file in office hours, most in the morning and after lunch, a few at night.
pub const DAILY_PROFILE: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.5, 2.5, 4.0, 4.5, 4.0, 3.0, 2.0, 3.0, 4.0, 4.0, 3.5,
    2.5, 1.5, 1.0, 0.6, 0.3,
];

impl Scenario {
    pub fn new(
        from: NaiveDate,
        days: u32,
        arrivals_per_day: f64,
        reviewers: usize,
        seed: u64,
    ) -> Scenario {
        Scenario {
            from,
            days,
            arrivals_per_day,
            weekend_share: 0.15,
            profile: DAILY_PROFILE,
            staffing: Staffing {
                default: reviewers.max(1),
                ..Staffing::default()
            },
            medians: Medians::default(),
            spread: 0.6,
            info_share: 0.08,
            material_share: 0.3,
            answer_median_hours: 6.0,
            reject_share: 0.01,
            seed,
        }
    }

    /// The end of the arrival period (local midnight after its last day), UTC.
    pub fn period_end(&self, world: &World) -> Time {
        let last = self.from + chrono::Days::new(u64::from(self.days));
        to_utc(
            world.timezone,
            last.and_hms_opt(0, 0, 0).unwrap_or_default(),
        )
    }
}

/// A local time of `tz` as UTC.
pub fn to_utc(tz: Tz, local: Time) -> Time {
    tz.from_local_datetime(&local)
        .earliest()
        .map_or(local, |t| t.naive_utc())
}

fn template_input(kind: &str, from: NaiveDate) -> serde_json::Value {
    let (cargo, height, mass) = match kind {
        "nacelle" => (("Wind turbine nacelle", 12.0, 4.3, 4.2, 92000), 5.8, 150000),
        "tower" => (("Tower section", 30.0, 5.0, 5.0, 70000), 5.4, 110000),
        _ => (("Wind turbine blade", 86.0, 4.2, 4.4, 28000), 4.9, 78000),
    };
    serde_json::json!({
        "cargo": {"description": cargo.0, "pieces": 1, "divisible": false, "length_m": cargo.1,
                  "width_m": cargo.2, "height_m": cargo.3, "mass_kg": cargo.4},
        "vehicle": {"tractor_plate": "新B12345", "trailer_plates": ["新B6789挂"],
                    "trailer_type": "extendable_blade", "axles": 10,
                    "overall_length_m": cargo.1 + 6.0, "overall_width_m": cargo.2 + 0.2,
                    "overall_height_m": height, "gross_mass_kg": mass, "max_axle_load_kg": 12500},
        "route": {"origin": "factory", "destination": "wind farm",
                  "segments": [{"road": "G7", "jurisdiction": "652328", "length_km": 60.5}]},
        "travel": {"from": from.to_string(), "to": (from + chrono::Days::new(20)).to_string(), "trips": 4},
        "escort": {"vehicles": 2, "police_escort": true}
    })
}

impl World {
    /// Reads the data folder (or the shipped data): jurisdictions, calendars, service hours,
    /// rules and the latest version of each workflow definition.
    pub fn load(
        data_dir: &Path,
        timezone: Tz,
        target_hours: u32,
        from: NaiveDate,
    ) -> anyhow::Result<World> {
        let data = ReferenceData::load(data_dir)?;
        let tree = JurisdictionTree::new(data.jurisdictions.iter().map(|j| Jurisdiction {
            code: j.code.clone(),
            level: j.level.parse().unwrap_or(Level::County),
            parent: j.parent.clone(),
        }))?;
        let region = data
            .jurisdictions
            .iter()
            .find(|j| j.level == "region")
            .map(|j| j.code.clone())
            .context("data/jurisdictions.toml has no region")?;
        let mut counties: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for j in data.jurisdictions.iter().filter(|j| j.level == "county") {
            if let Some(parent) = &j.parent {
                counties
                    .entry(parent.clone())
                    .or_default()
                    .push(j.code.clone());
            }
        }
        // Routes are drawn from these, and every route must lie in the one region.
        let regions = data.jurisdictions.iter().filter(|j| j.level == "region");
        if counties.is_empty() || regions.count() != 1 {
            anyhow::bail!(
                "data/jurisdictions.toml: simulate needs one region with prefectures and counties"
            );
        }
        let calendars = crate::domain::calendar::Calendars::new(
            data.calendars
                .iter()
                .flat_map(CalendarYear::days)
                .map(|d| (d.jurisdiction, d.day, d.working)),
            data.calendars
                .iter()
                .map(|c| (c.jurisdiction.clone(), c.year)),
            data.jurisdictions
                .iter()
                .map(|j| (j.code.clone(), j.parent.clone())),
        );
        let time = Arc::new(Timebook::new(
            Arc::new(load_service_hours(data_dir)?),
            Arc::new(calendars),
        ));
        let rules_path = data_dir.join("rules.toml");
        let rules = if rules_path.is_file() {
            PermitRules::from_toml(&std::fs::read_to_string(&rules_path)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", rules_path.display()))?
        } else {
            PermitRules::shipped()
        };
        let kinds: Vec<(Level, String)> = data
            .authorities
            .iter()
            .map(|a| (a.level.parse().unwrap_or(Level::County), a.kind.clone()))
            .collect();
        let mut definitions: BTreeMap<String, WorkflowDefinition> = BTreeMap::new();
        let texts = read_folder_or_shipped(
            &data_dir.join("workflows"),
            &crate::domain::workflow::definition::SHIPPED_DEFINITIONS,
        )?;
        for text in texts {
            let def = WorkflowDefinition::from_toml(&text, &kinds).map_err(anyhow::Error::msg)?;
            if definitions
                .get(&def.name)
                .is_none_or(|d| d.version < def.version)
            {
                definitions.insert(def.name.clone(), def);
            }
        }
        let mut templates = Vec::new();
        for (name, weight) in [("blade", 0.6), ("tower", 0.25), ("nacelle", 0.15)] {
            let input: ApplicationInput = serde_json::from_value(template_input(name, from))?;
            let spec = ApplicationSpec::parse(&input, &rules, &tree, from)
                .map_err(|e| anyhow::anyhow!("the simulated {name}: {e:?}"))?;
            let statutory_days = rules.statutory_working_days(rules.classify(&spec.vehicle));
            templates.push(Template {
                name,
                spec,
                statutory_days,
                weight,
            });
        }
        Ok(World {
            tree,
            region,
            counties,
            templates,
            time,
            timezone,
            target_hours,
            definitions,
        })
    }

    /// The level of an authority's jurisdiction, as the tree has it.
    pub fn level_of(&self, authority_code: &str) -> Option<Level> {
        self.tree
            .get(Timebook::jurisdiction_of(authority_code))
            .map(|j| j.level)
    }

    /// A route and a load from the mix: half within one county (county-issued), three in ten
    /// across two counties of a prefecture, the rest across two prefectures (region-issued).
    pub fn draw_route(&self, rng: &mut impl Rng) -> (Vec<String>, usize) {
        let prefectures: Vec<&Vec<String>> = self.counties.values().collect();
        let pick = |rng: &mut dyn rand::RngCore, list: &[String]| {
            list[rng.random_range(0..list.len())].clone()
        };
        let first = prefectures[rng.random_range(0..prefectures.len())];
        let draw: f64 = rng.random();
        let counties = if draw < 0.5 {
            vec![pick(rng, first)]
        } else if draw < 0.8 && first.len() >= 2 {
            let a = rng.random_range(0..first.len());
            let b = (a + 1 + rng.random_range(0..first.len() - 1)) % first.len();
            vec![first[a].clone(), first[b].clone()]
        } else if prefectures.len() >= 2 {
            let others: Vec<&&Vec<String>> = prefectures
                .iter()
                .filter(|p| !std::ptr::eq(**p, first))
                .collect();
            let second = others[rng.random_range(0..others.len())];
            vec![pick(rng, first), pick(rng, second)]
        } else {
            vec![pick(rng, first)]
        };
        let total: f64 = self.templates.iter().map(|t| t.weight).sum();
        let mut left = rng.random::<f64>() * total;
        let template = self
            .templates
            .iter()
            .position(|t| {
                left -= t.weight;
                left <= 0.0
            })
            .unwrap_or(0);
        (counties, template)
    }
}

/// The busiest authority of a run: the highest share of its reviewers' available time spent
/// on tasks within the period, and its longest queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Busiest {
    pub code: String,
    pub utilisation_pct: f64,
    pub max_queue: usize,
}

/// One workflow's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub workflow: String,
    pub applications: usize,
    pub issued: usize,
    pub rejected: usize,
    pub median_net_hours: Option<f64>,
    pub p90_net_hours: Option<f64>,
    pub max_net_hours: Option<f64>,
    pub within_target_pct: Option<f64>,
    pub within_statutory_pct: Option<f64>,
    pub busiest_authority: Option<Busiest>,
    /// Decided applications per 4 net hours (the last bin open-ended).
    #[serde(skip)]
    pub histogram: Vec<(i64, i64)>,
    /// Applications submitted and not decided at the end of each local day.
    #[serde(skip)]
    pub backlog: Vec<(NaiveDate, i64)>,
    /// Decisions the engine took on tasks.
    #[serde(skip)]
    pub decisions: u64,
}

pub const BIN_HOURS: u32 = 4;
pub const BINS: i64 = 18;

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

fn hours(minutes: Option<f64>) -> Option<f64> {
    minutes.map(|m| (m / 60.0 * 10.0).round() / 10.0)
}

/// The figures of one run.
pub fn summarise(world: &World, scenario: &Scenario, run: &model::Run) -> Summary {
    use crate::domain::workflow::AppStatus;
    let decided: Vec<&model::Outcome> = run
        .outcomes
        .iter()
        .filter(|o| o.decided_at.is_some())
        .collect();
    let mut nets: Vec<i64> = decided.iter().filter_map(|o| o.net_minutes).collect();
    nets.sort_unstable();
    let by_rank: BTreeMap<i64, i32> = nets
        .iter()
        .enumerate()
        .map(|(i, m)| (i as i64, *m as i32))
        .collect();
    let n = nets.len() as i64;
    let pct = |num| crate::service::reports::percentile(&by_rank, n, num, 100);
    let target = i64::from(world.target_hours) * 60;
    let with_statute: Vec<bool> = decided.iter().filter_map(|o| o.within_statute).collect();
    let mut histogram: BTreeMap<i64, i64> = BTreeMap::new();
    for m in &nets {
        *histogram
            .entry((m / (i64::from(BIN_HOURS) * 60)).min(BINS - 1))
            .or_default() += 1;
    }
    let end = scenario.period_end(world);
    let busiest = run
        .desks
        .iter()
        .map(|d| {
            let clock = world.time.hours_of(&d.code);
            let start = to_utc(
                world.timezone,
                scenario.from.and_hms_opt(0, 0, 0).unwrap_or_default(),
            );
            let available = clock.between(start, end).num_minutes() * d.reviewers as i64;
            let utilisation = if available > 0 {
                d.busy_minutes as f64 * 100.0 / available as f64
            } else {
                0.0
            };
            Busiest {
                code: d.code.clone(),
                utilisation_pct: (utilisation * 10.0).round() / 10.0,
                max_queue: d.max_queue,
            }
        })
        .max_by(|a, b| {
            a.utilisation_pct
                .total_cmp(&b.utilisation_pct)
                .then(b.code.cmp(&a.code))
        });
    let backlog = scenario
        .from
        .iter_days()
        .take(scenario.days as usize)
        .map(|day| {
            let midnight = to_utc(
                world.timezone,
                (day + chrono::Days::new(1))
                    .and_hms_opt(0, 0, 0)
                    .unwrap_or_default(),
            );
            let open = run
                .outcomes
                .iter()
                .filter(|o| o.submitted_at < midnight && o.decided_at.is_none_or(|d| d >= midnight))
                .count() as i64;
            (day, open)
        })
        .collect();
    Summary {
        workflow: run.workflow.clone(),
        applications: run.outcomes.len(),
        issued: decided
            .iter()
            .filter(|o| o.status == AppStatus::Issued)
            .count(),
        rejected: decided
            .iter()
            .filter(|o| matches!(o.status, AppStatus::Rejected | AppStatus::NotAccepted))
            .count(),
        median_net_hours: hours(pct(50)),
        p90_net_hours: hours(pct(90)),
        max_net_hours: hours(nets.last().map(|m| *m as f64)),
        within_target_pct: share(nets.iter().filter(|m| **m <= target).count(), nets.len()),
        within_statutory_pct: share(
            with_statute.iter().filter(|w| **w).count(),
            with_statute.len(),
        ),
        busiest_authority: busiest,
        histogram: histogram.into_iter().collect(),
        backlog,
        decisions: run.decisions,
    }
}

/// The whole simulation: every workflow asked for on the same arrivals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub seed: u64,
    pub from: NaiveDate,
    pub days: u32,
    pub workflows: Vec<Summary>,
}

/// Runs `workflows` (names of definitions in the data folder) over the scenario.
/// `progress(done, total)` is told as applications are decided.
pub fn simulate(
    world: &World,
    scenario: &Scenario,
    workflows: &[String],
    progress: &dyn Fn(u64, u64),
) -> anyhow::Result<(Outcome, Vec<model::Run>)> {
    let arrivals = model::arrivals(world, scenario);
    let total = (arrivals.len() * workflows.len()) as u64;
    let done = std::cell::Cell::new(0u64);
    let mut runs = Vec::new();
    for name in workflows {
        let definition = world
            .definitions
            .get(name)
            .with_context(|| format!("--workflow {name}: no such workflow definition"))?;
        let tick = || {
            done.set(done.get() + 1);
            if done.get().is_multiple_of(64) || done.get() == total {
                progress(done.get(), total);
            }
        };
        runs.push(model::run(world, scenario, definition, &arrivals, &tick));
    }
    let summaries = runs.iter().map(|r| summarise(world, scenario, r)).collect();
    Ok((
        Outcome {
            seed: scenario.seed,
            from: scenario.from,
            days: scenario.days,
            workflows: summaries,
        },
        runs,
    ))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
