use super::*;
use crate::domain::application::tests::{blade_input, today};
use crate::domain::application::ApplicationSpec;
use crate::domain::jurisdiction::tests::sample_tree;
use crate::domain::rules::PermitRules;

pub(crate) fn kinds() -> Vec<(Level, String)> {
    [
        (Level::County, "TRANSPORT"),
        (Level::County, "POLICE"),
        (Level::Prefecture, "HIGHWAY"),
        (Level::Prefecture, "POLICE"),
        (Level::Prefecture, "GRID"),
        (Level::Region, "HIGHWAY"),
        (Level::Region, "POLICE"),
    ]
    .into_iter()
    .map(|(l, k)| (l, k.to_string()))
    .collect()
}

pub(crate) fn joint() -> WorkflowDefinition {
    WorkflowDefinition::from_toml(SHIPPED_DEFINITIONS[0], &kinds()).unwrap()
}

/// The joint definition as shipped for new applications: budgets in working hours.
pub(crate) fn joint_v2() -> WorkflowDefinition {
    WorkflowDefinition::from_toml(SHIPPED_DEFINITIONS[1], &kinds()).unwrap()
}

pub(crate) fn serial() -> WorkflowDefinition {
    WorkflowDefinition::from_toml(SHIPPED_DEFINITIONS[2], &kinds()).unwrap()
}

fn plan_for(def: &WorkflowDefinition, counties: &[&str], height: f64) -> Vec<PlannedPhase> {
    let mut spec = ApplicationSpec::parse(
        &blade_input(),
        &PermitRules::shipped(),
        &sample_tree(),
        today(),
    )
    .unwrap();
    spec.vehicle.overall_height_m = height;
    let counties: Vec<String> = counties.iter().map(|c| c.to_string()).collect();
    let issuer = sample_tree().issuer_for(&counties).unwrap();
    def.plan(&spec, &issuer)
}

fn authorities(phase: &PlannedPhase) -> Vec<&str> {
    let mut list: Vec<&str> = phase
        .tasks
        .iter()
        .map(|t| t.authority_code.as_str())
        .collect();
    list.sort();
    list
}

#[test]
fn region_issued_joint_review_has_nine_parallel_reviewers() {
    let plan = plan_for(&joint(), &["652328", "650521"], 5.3);
    assert_eq!(plan.len(), 3);
    assert_eq!(authorities(&plan[0]), vec!["650000-HIGHWAY"]);
    assert_eq!(plan[0].tasks[0].budget_minutes, 120);
    assert_eq!(
        authorities(&plan[1]),
        vec![
            "650000-POLICE",
            "650500-HIGHWAY",
            "650500-POLICE",
            "650521-POLICE",
            "650521-TRANSPORT",
            "652300-HIGHWAY",
            "652300-POLICE",
            "652328-POLICE",
            "652328-TRANSPORT",
        ]
    );
    assert!(plan[1].tasks.iter().all(|t| t.budget_minutes == 12 * 60));
    assert_eq!(authorities(&plan[2]), vec!["650000-HIGHWAY"]);
    assert_eq!(plan[2].tasks[0].budget_minutes, 240);
}

#[test]
fn version_two_has_the_same_reviewers_on_working_hours() {
    use crate::domain::timebook::BudgetClock;
    let (v1, v2) = (joint(), joint_v2());
    assert_eq!((v2.name.as_str(), v2.version), ("joint", 2));
    for counties in [
        &["652328"][..],
        &["652328", "652325"],
        &["652328", "650521"],
    ] {
        let (old, new) = (plan_for(&v1, counties, 5.8), plan_for(&v2, counties, 5.8));
        let who = |plan: &[PlannedPhase]| -> Vec<Vec<String>> {
            plan.iter()
                .map(|p| authorities(p).into_iter().map(String::from).collect())
                .collect()
        };
        assert_eq!(who(&old), who(&new), "{counties:?}");
        let budgets: Vec<(i64, BudgetClock)> = new
            .iter()
            .map(|p| (p.tasks[0].budget_minutes, p.tasks[0].budget_clock))
            .collect();
        assert_eq!(
            budgets,
            vec![
                (120, BudgetClock::Working),
                (240, BudgetClock::Working),
                (120, BudgetClock::Working)
            ]
        );
        assert!(old
            .iter()
            .flat_map(|p| &p.tasks)
            .all(|t| t.budget_clock == BudgetClock::Wall));
    }
}

#[test]
fn above_five_and_a_half_metres_the_power_companies_review() {
    let plan = plan_for(&joint(), &["652328", "650521"], 5.51);
    let review = authorities(&plan[1]);
    assert_eq!(review.len(), 11);
    assert!(review.contains(&"652300-GRID") && review.contains(&"650500-GRID"));
    let at_limit = plan_for(&joint(), &["652328", "650521"], 5.5);
    assert_eq!(at_limit[1].tasks.len(), 9, "exactly 5.5 m is not above");
}

#[test]
fn prefecture_issued_joint_review() {
    let plan = plan_for(&joint(), &["652328", "652325"], 5.0);
    assert_eq!(authorities(&plan[0]), vec!["652300-HIGHWAY"]);
    assert_eq!(
        authorities(&plan[1]),
        vec![
            "652300-POLICE",
            "652325-POLICE",
            "652325-TRANSPORT",
            "652328-POLICE",
            "652328-TRANSPORT"
        ]
    );
}

#[test]
fn county_issued_joint_review_is_the_police_alone() {
    let plan = plan_for(&joint(), &["652328"], 5.0);
    assert_eq!(authorities(&plan[0]), vec!["652328-TRANSPORT"]);
    assert_eq!(
        authorities(&plan[1]),
        vec!["652328-POLICE"],
        "the issuer never also reviews"
    );
    let tall = plan_for(&joint(), &["652328"], 6.0);
    assert_eq!(authorities(&tall[1]), vec!["652300-GRID", "652328-POLICE"]);
}

#[test]
fn serial_review_level_by_level_skips_empty_phases() {
    let plan = plan_for(&serial(), &["652328", "650521"], 5.3);
    let names: Vec<&str> = plan.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "acceptance",
            "county_review",
            "prefecture_review",
            "region_review",
            "issuance"
        ]
    );
    assert_eq!(plan[1].tasks.len(), 4);
    assert_eq!(plan[2].tasks.len(), 4);
    assert_eq!(authorities(&plan[3]), vec!["650000-POLICE"]);
    assert!(plan[1].tasks.iter().all(|t| t.budget_minutes == 48 * 60));

    let county = plan_for(&serial(), &["652328"], 5.0);
    let names: Vec<&str> = county.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["acceptance", "county_review", "issuance"],
        "no prefecture or region review"
    );
}

#[test]
fn definitions_are_checked() {
    let base = SHIPPED_DEFINITIONS[0];
    let cases = [
        (
            base.replace("kind = \"GRID\"", "kind = \"NAVY\""),
            "unknown authority kind NAVY",
        ),
        (
            base.replace("name = \"county_police\"", "name = \"county_transport\""),
            "appears twice",
        ),
        (
            base.replace("budget_hours = 12 }", "budget_hours = 0 }"),
            "budget_hours",
        ),
        (
            base.replace(
                "field = \"vehicle.overall_height_m\"",
                "field = \"vehicle.colour\"",
            ),
            "unknown condition field",
        ),
        (
            base.replace(
                "[[phases]]\nname = \"issuance\"",
                "[[phases]]\nname = \"empty\"\nsteps = []\n\n[[phases]]\nname = \"issuance\"",
            ),
            "has no steps",
        ),
        (
            base.replace("name = \"joint_review\"", "name = \"acceptance\""),
            "phase acceptance appears twice",
        ),
        (
            base.replace(
                "who = \"issuer\", budget_hours = 2",
                "kind = \"POLICE\", for_each = \"county\", budget_hours = 2",
            ),
            "first (acceptance)",
        ),
    ];
    for (text, expected) in cases {
        assert_ne!(
            text, base,
            "the case must change the definition: {expected}"
        );
        let err = WorkflowDefinition::from_toml(&text, &kinds()).unwrap_err();
        assert!(err.contains(expected), "{expected}: got {err}");
    }
}

#[test]
fn the_review_budget_is_the_longest_non_issuer_step() {
    // Joint: 2 h acceptance and 4 h issuance are the issuer's; reviews have 12 h.
    assert_eq!(joint().review_budget_hours(), Some(12.0));
    assert_eq!(serial().review_budget_hours(), Some(48.0));
}
