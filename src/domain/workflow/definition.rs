//! A workflow definition (`data/workflows/*.toml`): phases in order; the steps of a phase run
//! in parallel; a step is one task for the issuer, or one task for each county, prefecture or
//! the region of the route, optionally only for some issuing levels or under a condition on
//! the application; each step has a time budget.

use crate::domain::application::Subject;
use crate::domain::jurisdiction::{Issuer, Level};
use crate::domain::timebook::BudgetClock;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowDefinition {
    pub name: String,
    pub version: i32,
    pub phases: Vec<PhaseDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDefinition {
    pub name: String,
    pub steps: Vec<StepDefinition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDefinition {
    pub name: String,
    /// `issuer`: one task for the issuing authority. Otherwise `kind` and `for_each`.
    pub who: Option<String>,
    /// The authority kind, e.g. POLICE.
    pub kind: Option<String>,
    pub for_each: Option<Level>,
    /// Only when the permit is issued at one of these levels (all levels when absent).
    pub issued_at: Option<Vec<Level>>,
    pub when: Option<Condition>,
    pub budget_hours: f64,
    /// `working`: the budget is in working hours of the deciding authority (its calendar and
    /// service hours); clock hours when absent.
    #[serde(default)]
    pub clock: BudgetClock,
}

/// A condition on one figure of the application: `field` above a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub above: f64,
}

/// The figures a condition may name (an amendment's: the trips it adds).
const CONDITION_FIELDS: [&str; 7] = [
    crate::domain::amendment::TRIPS_ADDED,
    "vehicle.overall_height_m",
    "vehicle.overall_width_m",
    "vehicle.overall_length_m",
    "vehicle.gross_mass_kg",
    "vehicle.max_axle_load_kg",
    "cargo.mass_kg",
];

impl Condition {
    /// For a project, the highest of its loads' figures decides.
    pub fn holds(&self, subject: &impl Subject) -> bool {
        CONDITION_FIELDS.contains(&self.field.as_str())
            && subject
                .figure(&self.field)
                .is_some_and(|value| value > self.above)
    }
}

/// One task to create: which step, which authority, how long it may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedTask {
    pub step: String,
    pub authority_code: String,
    pub budget_minutes: i64,
    #[serde(default)]
    pub budget_clock: BudgetClock,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPhase {
    pub name: String,
    pub tasks: Vec<PlannedTask>,
}

impl WorkflowDefinition {
    /// The longest budget of a review step (any step not for the issuer), in hours: what a
    /// reviewing authority is held to.
    pub fn review_budget_hours(&self) -> Option<f64> {
        self.phases
            .iter()
            .flat_map(|p| &p.steps)
            .filter(|s| s.who.as_deref() != Some("issuer"))
            .map(|s| s.budget_hours)
            .reduce(f64::max)
    }

    /// Whether review budgets count working hours (those of the longest review step).
    pub fn review_budget_in_working_hours(&self) -> bool {
        self.phases
            .iter()
            .flat_map(|p| &p.steps)
            .filter(|s| s.who.as_deref() != Some("issuer"))
            .any(|s| s.clock == BudgetClock::Working)
    }

    /// Parses and checks a definition. `known_kinds` lists the authority kinds that exist at
    /// each level (from the reference data).
    pub fn from_toml(
        text: &str,
        known_kinds: &[(Level, String)],
    ) -> Result<WorkflowDefinition, String> {
        let def: WorkflowDefinition = toml::from_str(text).map_err(|e| e.to_string())?;
        def.check(known_kinds)?;
        Ok(def)
    }

    fn check(&self, known_kinds: &[(Level, String)]) -> Result<(), String> {
        let at = |what: String| format!("workflow {} v{}: {what}", self.name, self.version);
        if self.name.trim().is_empty() || self.version < 1 {
            return Err(at("needs a name and a version of 1 or more".into()));
        }
        // One phase is a review of a change to an issued permit (an amendment): the issuer
        // decides, with the reviewers the phase adds, in parallel.
        let single = self.phases.len() == 1;
        if self.phases.is_empty() {
            return Err(at("needs at least one phase".into()));
        }
        let mut phase_names = BTreeSet::new();
        let mut step_names = BTreeSet::new();
        for (i, phase) in self.phases.iter().enumerate() {
            if !phase_names.insert(phase.name.as_str()) {
                return Err(at(format!("phase {} appears twice", phase.name)));
            }
            if phase.steps.is_empty() {
                return Err(at(format!("phase {} has no steps", phase.name)));
            }
            let edge = !single && (i == 0 || i == self.phases.len() - 1);
            let issuer_steps = phase
                .steps
                .iter()
                .filter(|s| s.who.as_deref() == Some("issuer"))
                .count();
            if single && issuer_steps != 1 {
                return Err(at(format!(
                    "phase {}: a one-phase definition has one issuer step",
                    phase.name
                )));
            }
            if edge && !(phase.steps.len() == 1 && issuer_steps == 1) {
                return Err(at(format!(
                    "phase {}: the first (acceptance) and last (issuance) phases are one issuer step each",
                    phase.name
                )));
            }
            for step in &phase.steps {
                if !step_names.insert(step.name.as_str()) {
                    return Err(at(format!("step {} appears twice", step.name)));
                }
                let here = |what: &str| at(format!("step {}: {what}", step.name));
                if !(step.budget_hours > 0.0 && step.budget_hours <= 24.0 * 365.0) {
                    return Err(here("budget_hours must be above 0 and at most a year"));
                }
                match (step.who.as_deref(), &step.kind, step.for_each) {
                    (Some("issuer"), None, None) => {
                        if !edge && !single {
                            return Err(here(
                                "the issuer acts only in the first and the last phase",
                            ));
                        }
                    }
                    (Some(other), _, _) if other != "issuer" => {
                        return Err(here("who must be \"issuer\""))
                    }
                    (None, Some(kind), Some(level)) => {
                        if !known_kinds.iter().any(|(l, k)| *l == level && k == kind) {
                            return Err(here(&format!(
                                "unknown authority kind {kind} at {level} level"
                            )));
                        }
                        if edge {
                            return Err(here("reviews belong between acceptance and issuance"));
                        }
                    }
                    _ => return Err(here("give either who = \"issuer\", or kind and for_each")),
                }
                if let Some(cond) = &step.when {
                    if !CONDITION_FIELDS.contains(&cond.field.as_str()) {
                        return Err(here(&format!("unknown condition field {}", cond.field)));
                    }
                }
            }
        }
        Ok(())
    }

    /// The phases and tasks for one application: tasks resolved for the route and the issuing
    /// level, the issuer never also reviewing, each authority once per phase, empty phases
    /// left out.
    pub fn plan(&self, spec: &impl Subject, issuer: &Issuer) -> Vec<PlannedPhase> {
        let mut phases = Vec::new();
        for phase in &self.phases {
            let mut tasks: Vec<PlannedTask> = Vec::new();
            for step in &phase.steps {
                if step
                    .issued_at
                    .as_ref()
                    .is_some_and(|levels| !levels.contains(&issuer.level))
                {
                    continue;
                }
                if step.when.as_ref().is_some_and(|c| !c.holds(spec)) {
                    continue;
                }
                let budget_minutes = (step.budget_hours * 60.0).round() as i64;
                let authorities: Vec<String> =
                    match (step.who.as_deref(), &step.kind, step.for_each) {
                        (Some("issuer"), _, _) => vec![issuer.authority_code.clone()],
                        (_, Some(kind), Some(Level::County)) => issuer
                            .counties
                            .iter()
                            .map(|c| format!("{c}-{kind}"))
                            .collect(),
                        (_, Some(kind), Some(Level::Prefecture)) => issuer
                            .prefectures
                            .iter()
                            .map(|p| format!("{p}-{kind}"))
                            .collect(),
                        (_, Some(kind), Some(Level::Region)) => {
                            vec![format!("{}-{kind}", issuer.region)]
                        }
                        _ => Vec::new(),
                    };
                let is_issuer_step = step.who.is_some();
                for authority_code in authorities {
                    let issuer_reviewing =
                        !is_issuer_step && authority_code == issuer.authority_code;
                    if issuer_reviewing || tasks.iter().any(|t| t.authority_code == authority_code)
                    {
                        continue;
                    }
                    tasks.push(PlannedTask {
                        step: step.name.clone(),
                        authority_code,
                        budget_minutes,
                        budget_clock: step.clock,
                    });
                }
            }
            if !tasks.is_empty() {
                phases.push(PlannedPhase {
                    name: phase.name.clone(),
                    tasks,
                });
            }
        }
        phases
    }
}

/// The shipped definitions, compiled in as the fallback for a data folder without them.
pub const SHIPPED_DEFINITIONS: [&str; 4] = [
    include_str!("../../../data/workflows/joint.toml"),
    include_str!("../../../data/workflows/joint-v2.toml"),
    include_str!("../../../data/workflows/serial.toml"),
    include_str!("../../../data/workflows/amendment.toml"),
];

#[cfg(test)]
#[path = "definition_tests.rs"]
mod tests;
