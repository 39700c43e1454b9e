//! What `simulate` prints: a table with the workflows side by side, the JSON of SPEC §9, and a
//! self-contained HTML page with SVG charts (the net-time histogram with the 24 h line per
//! workflow, the daily backlog of every workflow).

use super::{Outcome, Scenario, Summary, BINS, BIN_HOURS};
use crate::web::pages::charts;
use std::fmt::Write;

fn figure(value: Option<f64>, unit: &str) -> String {
    value.map_or("–".into(), |v| format!("{v:.1}{unit}"))
}

/// The rows of the table: a label and each workflow's figure.
fn rows(workflows: &[Summary], target_hours: u32) -> Vec<(String, Vec<String>)> {
    let each = |f: &dyn Fn(&Summary) -> String| workflows.iter().map(f).collect::<Vec<_>>();
    vec![
        ("applications".into(), each(&|s| s.applications.to_string())),
        ("issued".into(), each(&|s| s.issued.to_string())),
        (
            "rejected or not accepted".into(),
            each(&|s| s.rejected.to_string()),
        ),
        (
            "median net hours".into(),
            each(&|s| figure(s.median_net_hours, " h")),
        ),
        (
            "p90 net hours".into(),
            each(&|s| figure(s.p90_net_hours, " h")),
        ),
        (
            "max net hours".into(),
            each(&|s| figure(s.max_net_hours, " h")),
        ),
        (
            format!("within {target_hours} h"),
            each(&|s| figure(s.within_target_pct, " %")),
        ),
        (
            "within the statutory deadline".into(),
            each(&|s| figure(s.within_statutory_pct, " %")),
        ),
        (
            "busiest authority".into(),
            each(&|s| {
                s.busiest_authority
                    .as_ref()
                    .map_or("–".into(), |b| b.code.clone())
            }),
        ),
        (
            "  its utilisation".into(),
            each(&|s| {
                figure(
                    s.busiest_authority.as_ref().map(|b| b.utilisation_pct),
                    " %",
                )
            }),
        ),
        (
            "  its longest queue".into(),
            each(&|s| {
                s.busiest_authority
                    .as_ref()
                    .map_or("–".into(), |b| b.max_queue.to_string())
            }),
        ),
    ]
}

/// The plain-text table.
pub fn table(outcome: &Outcome, scenario: &Scenario, target_hours: u32) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "permitflow simulate: {} days from {}, {} applications per working day, seed {}",
        outcome.days, outcome.from, scenario.arrivals_per_day, outcome.seed
    );
    let _ = write!(out, "{:<32}", "");
    for s in &outcome.workflows {
        let _ = write!(out, "{:>18}", s.workflow);
    }
    out.push('\n');
    for (label, values) in rows(&outcome.workflows, target_hours) {
        let _ = write!(out, "{label:<32}");
        for v in values {
            let _ = write!(out, "{v:>18}");
        }
        out.push('\n');
    }
    out
}

/// The JSON of SPEC §9.
pub fn json(outcome: &Outcome) -> serde_json::Value {
    serde_json::to_value(outcome).unwrap_or_default()
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A page that needs nothing but itself: the table and the charts.
pub fn html(outcome: &Outcome, scenario: &Scenario, target_hours: u32) -> String {
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>permitflow simulate</title>\
         <style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#1f2933}\
         table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #e4e7eb;text-align:right}\
         td:first-child,th:first-child{text-align:left}.charts{display:grid;grid-template-columns:1fr;gap:1rem}</style></head><body>",
    );
    let _ = write!(
        out,
        "<h1>Turnaround, simulated</h1><p>{} days from {}, {} applications per working day ({}% of that on other days), seed {}. \
         Reviewers work their authority's hours and calendar; net time is submission to decision less time waiting for the applicant.</p>",
        outcome.days,
        outcome.from,
        scenario.arrivals_per_day,
        (scenario.weekend_share * 100.0).round(),
        outcome.seed
    );
    out.push_str("<table><thead><tr><th></th>");
    for s in &outcome.workflows {
        let _ = write!(out, "<th>{}</th>", esc(&s.workflow));
    }
    out.push_str("</tr></thead><tbody>");
    for (label, values) in rows(&outcome.workflows, target_hours) {
        let _ = write!(out, "<tr><td>{}</td>", esc(&label));
        for v in values {
            let _ = write!(out, "<td>{}</td>", esc(&v));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table><div class=\"charts\">");
    for s in &outcome.workflows {
        let title = format!("{}: net time of decided applications", s.workflow);
        let _ = write!(out, "<h2>{}</h2>", esc(&title));
        out.push_str(&charts::histogram(
            &s.histogram,
            BIN_HOURS,
            BINS,
            target_hours,
            &charts::HistogramLabels {
                title: &title,
                target: &format!("{target_hours} h target"),
                hours: "net hours",
                applications: "applications",
            },
        ));
    }
    let days: Vec<String> = outcome
        .workflows
        .first()
        .map(|s| {
            s.backlog
                .iter()
                .map(|(d, _)| d.format("%m-%d").to_string())
                .collect()
        })
        .unwrap_or_default();
    let series: Vec<charts::Series> = outcome
        .workflows
        .iter()
        .map(|s| charts::Series {
            name: s.workflow.clone(),
            values: s.backlog.iter().map(|(_, n)| *n as f64).collect(),
        })
        .collect();
    out.push_str("<h2>Open applications at the end of each day</h2>");
    out.push_str(&charts::daily_lines(
        &series,
        &days,
        "Open applications at the end of each day",
        "open",
    ));
    out.push_str("</div></body></html>\n");
    out
}
