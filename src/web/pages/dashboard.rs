//! The managers' dashboard (SPEC §8): is the 24-hour permit being met in my area, where does
//! the time go, which task is stuck. KPI tiles, three server-drawn charts, a table per
//! grouping with its CSV, joint against serial, and the escalation board by level.

use super::charts::{self, Bar, HistogramLabels, TrendLabels, Week};
use super::frame::Frame;
use super::html_with_status;
use super::labels;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::service::reference;
use crate::service::reports::{self, Filter, Group, GroupFigures, ReportQuery, Turnaround};
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session;
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard);
}

/// Histogram bins: 4 hours each, the last (≥ 72 h) open-ended.
const BIN_HOURS: u32 = 4;
const BINS: i64 = 19;

struct Tile {
    label: &'static str,
    value: String,
    note: String,
    bad: bool,
}

struct Row {
    label: String,
    count: i64,
    median: String,
    p90: String,
    within: String,
    statutory: String,
    open: String,
    overdue: String,
    late: bool,
}

struct Table {
    group: &'static str,
    title: &'static str,
    key_label: &'static str,
    within_label: &'static str,
    rows: Vec<Row>,
    applications: bool,
    /// Every group within its statutory deadline: a column of 100 % says nothing, a line does.
    statutory_all: bool,
    authority: bool,
    csv: String,
}

struct BoardItem {
    application_id: String,
    reference: String,
    authority: String,
    overdue: String,
    level: i32,
}

struct Column {
    title: &'static str,
    note: &'static str,
    items: Vec<BoardItem>,
}

#[derive(Template)]
#[template(path = "reports/dashboard.html")]
struct DashboardPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    from: String,
    to: String,
    area: String,
    errors: Vec<String>,
    tiles: Vec<Tile>,
    histogram: String,
    trend: String,
    authorities: String,
    comparison: Vec<Row>,
    tables: Vec<Table>,
    board: Vec<Column>,
    csv: String,
    /// Amendments by kind of change: (kind in words, asked, approved, not approved, open,
    /// median, longest).
    amendments: Vec<(&'static str, i64, i64, i64, i64, String, String)>,
}

impl DashboardPage {
    /// Whether any amendment was asked for in the period.
    fn any_amendments(&self) -> bool {
        self.amendments.iter().any(|a| a.1 > 0)
    }
}

fn hours(value: Option<f64>) -> String {
    value
        .map(|h| format!("{h:.1} h"))
        .unwrap_or_else(|| "—".into())
}

fn pct(value: Option<f64>) -> String {
    value
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_else(|| "—".into())
}

fn opt_int(value: Option<i64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// How a group's key reads: authority and jurisdiction names, phases, workflows, weeks.
fn key_label(group: Group, key: &str, names: &HashMap<String, String>, lang: Lang) -> String {
    let en = lang == Lang::En;
    match group {
        Group::Authority => names.get(key).cloned().unwrap_or_else(|| key.into()),
        Group::Phase => labels::phase(key, lang),
        Group::Workflow => match key {
            "joint" => labels::word(en, "page.dashboard.joint_review").into(),
            "serial" => labels::word(en, "page.dashboard.serial_level_by_level").into(),
            other => other.into(),
        },
        Group::Class => lang.text("page.dashboard.class_key", &[("key", key.to_string())]),
        Group::Kind => match key {
            "project" => labels::word(en, "page.dashboard.kind_project").into(),
            "single" => labels::word(en, "page.dashboard.kind_single").into(),
            other => other.into(),
        },
        Group::Week => lang.text("page.dashboard.week_of_key", &[("key", key.to_string())]),
    }
}

fn row(
    group: Group,
    g: &GroupFigures,
    names: &HashMap<String, String>,
    lang: Lang,
    target: f64,
) -> Row {
    Row {
        label: key_label(group, &g.key, names, lang),
        count: g.count,
        median: hours(g.median_hours),
        p90: hours(g.p90_hours),
        within: pct(g.within_target_pct),
        statutory: pct(g.within_statutory_pct),
        open: opt_int(g.open_tasks),
        overdue: opt_int(g.overdue_tasks),
        late: g.median_hours.is_some_and(|m| m > target),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct DashboardQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[get("/dashboard")]
async fn dashboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let current = match session::signed_in_as(&state, &session, &req, Role::Manager).await? {
        Ok(current) => current,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let en = lang == Lang::En;
    let now = state.clock.now();
    let today = state.engine.today(now);
    let asked = ReportQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        group: None,
    };
    // A period that does not read falls back to the last 90 days, saying which field.
    let (period, errors) = match asked.parse(today) {
        Ok(period) => (period, Vec::new()),
        Err(errors) => (
            ReportQuery::default()
                .parse(today)
                .map_err(|_| AppError::Internal)?,
            vec![labels::field_errors(&errors, lang, |f| f.to_string())],
        ),
    };
    let (from, to, _) = period;
    let target_hours = state.engine.target_hours;
    let caller = current.clone();
    let tz = state.engine.timezone;
    let data = state
        .db(move |conn| {
            let scope = reports::area_of(conn, &caller)?;
            let filter = Filter {
                from,
                to,
                scope: scope.clone(),
            };
            // One sample (one snapshot) for every table of the page.
            let sample = reports::sample(conn, &filter, true)?;
            let report =
                reports::turnaround_of(conn, &sample, &filter, Group::Week, target_hours, now)?;
            let mut others = Vec::new();
            for group in [
                Group::Workflow,
                Group::Authority,
                Group::Phase,
                Group::Class,
                Group::Kind,
            ] {
                others.push((
                    group,
                    reports::groups_of(conn, &sample, group, &scope, target_hours, now)?,
                ));
            }
            let histogram = reports::histogram_of(&sample, BIN_HOURS, BINS)?;
            let amendments = reports::amendment_turnaround(conn, &filter, tz)?;
            let board = reports::escalation_board(conn, &caller, now)?;
            let names = reference::names(conn, en)?.authorities;
            let mut area = labels::word(en, "page.dashboard.the_whole_region").to_string();
            if let Some(code) = &caller.user.scope_jurisdiction {
                if let Some(j) = reference::find_jurisdiction(conn, code)? {
                    if j.level != "region" {
                        area = if en { j.name_en } else { j.name_zh };
                    }
                }
            }
            Ok::<_, crate::service::ServiceError>((
                report, others, histogram, board, names, area, amendments,
            ))
        })
        .await?;
    let (report, others, histogram, board, names, area, amendments) = data;
    let amendments = amendments
        .into_iter()
        .map(|a| {
            let kind = match a.kind.as_str() {
                "plates" => labels::word(en, "page.dashboard.amend_plates"),
                "valid_to" => labels::word(en, "page.dashboard.amend_valid_to"),
                _ => labels::word(en, "page.dashboard.amend_trips"),
            };
            let (median, max) = (hours(a.median_hours), hours(a.max_hours));
            (kind, a.asked, a.approved, a.rejected, a.open, median, max)
        })
        .collect();
    // The line tasks are held to: the review budget of the workflow new applications follow.
    let review_budget = state
        .engine
        .workflows
        .latest(&state.engine.default_workflow)
        .and_then(|d| d.review_budget_hours())
        .unwrap_or(f64::from(target_hours));
    let budget_key = if state
        .engine
        .workflows
        .latest(&state.engine.default_workflow)
        .is_some_and(|d| d.review_budget_in_working_hours())
    {
        "page.dashboard.review_budget_working_hours"
    } else {
        "page.dashboard.review_budget_hours"
    };
    let page = DashboardPage {
        lang_tag: lang.tag(),
        en,
        frame: Frame::for_user(Some(&current), &session, lang),
        from: from.to_string(),
        to: to.to_string(),
        area,
        errors,
        tiles: tiles(&report, en),
        histogram: charts::histogram(
            &histogram,
            BIN_HOURS,
            BINS,
            target_hours,
            &HistogramLabels {
                title: labels::word(en, "page.dashboard.net_turnaround_of_decided_applications"),
                target: labels::word(en, "page.dashboard.24_h_target"),
                hours: labels::word(en, "page.dashboard.net_hours"),
                applications: labels::word(en, "page.dashboard.applications"),
            },
        ),
        trend: trend(&report, target_hours, en),
        authorities: authority_chart(&others, &names, (review_budget, budget_key), en),
        comparison: others
            .iter()
            .find(|(g, _)| *g == Group::Workflow)
            .map(|(_, groups)| {
                groups
                    .iter()
                    .map(|g| row(Group::Workflow, g, &names, lang, f64::from(target_hours)))
                    .collect()
            })
            .unwrap_or_default(),
        tables: tables(
            &report,
            &others,
            &names,
            lang,
            f64::from(target_hours),
            review_budget,
        ),
        amendments,
        board: board_columns(board, &names, now, en),
        // For people: the spreadsheet form (Excel reads it in Chinese, names beside codes).
        csv: format!("/api/v1/reports/turnaround.csv?from={from}&to={to}&format=spreadsheet"),
    };
    html_with_status(StatusCode::OK, page)
}

fn tiles(r: &Turnaround, en: bool) -> Vec<Tile> {
    let pick = |key: &'static str| labels::word(en, key);
    vec![
        Tile {
            label: pick("page.dashboard.issued"),
            value: r.count_issued.to_string(),
            note: format!(
                "{} {} · {} {} · {} {}",
                r.count_submitted,
                pick("page.dashboard.submitted"),
                r.count_rejected,
                pick("page.dashboard.refused"),
                r.count_not_accepted,
                pick("page.dashboard.not_accepted")
            ),
            bad: false,
        },
        Tile {
            label: pick("page.dashboard.median_net_time"),
            value: hours(r.median_hours),
            note: labels::language(en).text(
                "page.dashboard.ninety_within",
                &[("hours", hours(r.p90_hours))],
            ),
            bad: r
                .median_hours
                .is_some_and(|m| m > f64::from(r.target_hours)),
        },
        Tile {
            label: pick("page.dashboard.within_24_h"),
            value: pct(r.within_target_pct),
            note: format!("{} {}", pick("page.dashboard.of"), r.count_decided),
            bad: r.within_target_pct.is_some_and(|p| p < 80.0),
        },
        Tile {
            label: pick("page.dashboard.within_the_statutory_deadline"),
            value: pct(r.within_statutory_pct),
            note: pick("page.dashboard.working_days_by_class").into(),
            bad: r.within_statutory_pct.is_some_and(|p| p < 100.0),
        },
        Tile {
            label: pick("page.dashboard.open_backlog"),
            value: r.open_backlog.to_string(),
            note: match r.open_backlog_oldest_hours {
                Some(h) => format!("{} {h:.1} h", pick("page.dashboard.oldest")),
                None => String::new(),
            },
            bad: false,
        },
        Tile {
            label: pick("page.dashboard.overdue_tasks_now"),
            value: r.overdue_tasks.to_string(),
            note: pick("page.dashboard.see_the_escalation_board").into(),
            bad: r.overdue_tasks > 0,
        },
    ]
}

fn trend(r: &Turnaround, target_hours: u32, en: bool) -> String {
    let weeks: Vec<Week> = r
        .groups
        .iter()
        .map(|g| Week {
            label: g.key.get(5..).unwrap_or(&g.key).to_string(),
            median_hours: g.median_hours,
            within_pct: g.within_target_pct,
        })
        .collect();
    charts::weekly_trend(
        &weeks,
        target_hours,
        &TrendLabels {
            title: labels::word(en, "page.dashboard.weekly_median_net_time_and_share_within"),
            median: labels::word(en, "page.dashboard.median_net_hours"),
            share: labels::word(en, "page.dashboard.share_within_24_h"),
            target: labels::word(en, "page.dashboard.target_line"),
        },
    )
}

fn authority_chart(
    others: &[(Group, Vec<GroupFigures>)],
    names: &HashMap<String, String>,
    (review_budget, budget_key): (f64, &str),
    en: bool,
) -> String {
    // The laggards are the authorities whose tasks miss their budget, not the slowest median
    // (every median is far inside it): lowest share within budget first, the share in the label.
    let mut ranked: Vec<(f64, Bar)> = others
        .iter()
        .filter(|(g, _)| *g == Group::Authority)
        .flat_map(|(_, groups)| groups)
        .filter_map(|g| {
            let share = g.within_target_pct?;
            let name = names.get(&g.key).cloned().unwrap_or_else(|| g.key.clone());
            Some((
                share,
                Bar {
                    label: format!("{name} · {share:.0}%"),
                    hours: g.median_hours?,
                    count: g.count,
                },
            ))
        })
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    let bars: Vec<Bar> = ranked.into_iter().take(15).map(|(_, bar)| bar).collect();
    charts::bars(
        &bars,
        review_budget,
        labels::word(
            en,
            "page.dashboard.median_task_time_per_authority_worst_fir",
        ),
        &labels::language(en).text(budget_key, &[("hours", review_budget.to_string())]),
    )
}

fn tables(
    report: &Turnaround,
    others: &[(Group, Vec<GroupFigures>)],
    names: &HashMap<String, String>,
    lang: Lang,
    target: f64,
    review_budget: f64,
) -> Vec<Table> {
    let en = lang == Lang::En;
    let pick = |key: &'static str| labels::word(en, key);
    let mut all = vec![(Group::Week, report.groups.clone())];
    all.extend(others.iter().cloned());
    all.into_iter()
        .map(|(group, groups)| {
            let tasks = matches!(group, Group::Authority | Group::Phase);
            Table {
                group: group.as_str(),
                title: match group {
                    Group::Week => pick("page.dashboard.by_week"),
                    Group::Authority => pick("page.dashboard.by_authority_review_tasks"),
                    Group::Phase => pick("page.dashboard.by_phase_tasks"),
                    Group::Class => pick("page.dashboard.by_class"),
                    Group::Workflow => pick("page.dashboard.by_workflow"),
                    Group::Kind => pick("page.dashboard.by_kind"),
                },
                key_label: match group {
                    Group::Week => pick("page.dashboard.week"),
                    Group::Authority => pick("page.dashboard.authority"),
                    Group::Phase => pick("page.dashboard.phase"),
                    Group::Class => pick("page.dashboard.class"),
                    Group::Workflow => pick("page.dashboard.workflow"),
                    Group::Kind => pick("page.dashboard.kind"),
                },
                within_label: if tasks {
                    pick("page.dashboard.within_budget")
                } else {
                    pick("page.dashboard.within_24_h_2")
                },
                rows: groups
                    .iter()
                    .map(|g| {
                        row(
                            group,
                            g,
                            names,
                            lang,
                            if tasks { review_budget } else { target },
                        )
                    })
                    .collect(),
                applications: !tasks,
                statutory_all: groups
                    .iter()
                    .all(|g| g.within_statutory_pct.is_none_or(|p| p >= 100.0)),
                authority: group == Group::Authority,
                csv: format!(
                    "/api/v1/reports/turnaround.csv?from={}&to={}&group={}&table=groups&format=spreadsheet",
                    report.from,
                    report.to,
                    group.as_str()
                ),
            }
        })
        .collect()
}

/// The board as a supervision report: being pushed (not yet or at the authority),
/// escalated to the prefecture, escalated to the region.
fn board_columns(
    tasks: Vec<crate::db::applications::OverdueTask>,
    names: &HashMap<String, String>,
    now: chrono::NaiveDateTime,
    en: bool,
) -> Vec<Column> {
    let pick = |key: &'static str| labels::word(en, key);
    let mut columns = vec![
        Column {
            title: pick("page.dashboard.being_pushed"),
            note: pick("page.dashboard.overdue_the_authority_and_its_managers_a"),
            items: Vec::new(),
        },
        Column {
            title: pick("page.dashboard.escalated_to_the_prefecture"),
            note: pick("page.dashboard.past_150_of_the_budget"),
            items: Vec::new(),
        },
        Column {
            title: pick("page.dashboard.escalated_to_the_region"),
            note: pick("page.dashboard.past_200_of_the_budget"),
            items: Vec::new(),
        },
    ];
    for t in tasks {
        let column = match t.level {
            3 => 2,
            2 => 1,
            _ => 0,
        };
        columns[column].items.push(BoardItem {
            authority: names
                .get(&t.authority_code)
                .cloned()
                .unwrap_or(t.authority_code.clone()),
            overdue: labels::duration((now - t.due_at).num_minutes(), labels::language(en)),
            level: t.level,
            application_id: t.application_id,
            reference: t.reference,
        });
    }
    columns
}
