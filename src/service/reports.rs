//! The turnaround report (SPEC §8, API.md Reports): figures from the database's ranked rows,
//! with continuous percentiles interpolated between neighbouring ranks.

use crate::db::applications::{OverdueTask, Scope};
use crate::db::reports as q;
pub use crate::db::reports::Filter;
use crate::db::DbConnection;
use crate::domain::role::Role;
use crate::domain::{FieldError, Message, ValidationErrors};
use crate::service::report_cells::{self, Histogram, Sample};
use crate::service::{scope_of, Caller, ServiceError};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// How the report's `groups` are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Week,
    Authority,
    Phase,
    Class,
    Workflow,
    Kind,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Week,
        Group::Authority,
        Group::Phase,
        Group::Class,
        Group::Workflow,
        Group::Kind,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Week => "week",
            Group::Authority => "authority",
            Group::Phase => "phase",
            Group::Class => "class",
            Group::Workflow => "workflow",
            Group::Kind => "kind",
        }
    }

    pub fn parse(value: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

/// A report's period and grouping as asked for (query parameters), checked: dates are
/// `YYYY-MM-DD` local days, `to` not before `from`; without them, the last 90 days.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub group: Option<String>,
}

/// Days a report covers when no period is given.
pub const DEFAULT_DAYS: i64 = 90;

impl ReportQuery {
    pub fn parse(
        &self,
        today: NaiveDate,
    ) -> Result<(NaiveDate, NaiveDate, Group), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let day = |field: &str, raw: &Option<String>| match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| FieldError::new(field, Message::new("error.date").with("value", raw))),
        };
        let to = errors
            .collect(day("to", &self.to))
            .flatten()
            .unwrap_or(today);
        let from = errors
            .collect(day("from", &self.from))
            .flatten()
            .unwrap_or(to - chrono::TimeDelta::days(DEFAULT_DAYS - 1));
        if from > to && !errors.has("from") && !errors.has("to") {
            errors.push(FieldError::new(
                "to",
                Message::new("error.period_end_before_start"),
            ));
        }
        let group = match self.group.as_deref().map(str::trim) {
            None | Some("") => Some(Group::Week),
            Some(raw) => errors.collect(Group::parse(raw).ok_or_else(|| {
                FieldError::new(
                    "group",
                    Message::new("error.one_of")
                        .with("value", raw)
                        .with("allowed", "week, authority, phase, class, workflow, kind"),
                )
            })),
        };
        match group {
            Some(group) if errors.is_empty() => Ok((from, to, group)),
            _ => Err(errors),
        }
    }
}

/// Net hours at a continuous percentile `num/den` of a group's values known by rank (linear
/// interpolation between the two neighbouring ranks, as `percentile_cont`).
pub fn percentile(by_rank: &BTreeMap<i64, i32>, n: i64, num: i64, den: i64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let low = (n - 1) * num / den;
    let fraction = ((n - 1) * num % den) as f64 / den as f64;
    let a = f64::from(*by_rank.get(&low)?);
    let b = by_rank.get(&(low + 1)).map_or(a, |v| f64::from(*v));
    Some(a + fraction * (b - a))
}

/// Figures of one group of decided applications (or decided tasks).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GroupFigures {
    pub key: String,
    pub count: i64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub max_hours: Option<f64>,
    /// Within the 24 h target (applications) or within the task's budget (authority, phase).
    pub within_target_pct: Option<f64>,
    /// Share within the statutory deadline (applications' groups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_statutory_pct: Option<f64>,
    /// Review tasks open now, and of them past due (authority groups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_tasks: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_tasks: Option<i64>,
}

impl GroupFigures {
    /// A group with nothing decided.
    fn empty(key: &str) -> GroupFigures {
        GroupFigures {
            key: key.into(),
            count: 0,
            median_hours: None,
            p90_hours: None,
            max_hours: None,
            within_target_pct: None,
            within_statutory_pct: None,
            open_tasks: None,
            overdue_tasks: None,
        }
    }
}

/// Hours rounded to the hundredth; a share rounded to the tenth of a percent.
fn hours(minutes: Option<f64>) -> Option<f64> {
    minutes.map(|m| (m / 60.0 * 100.0).round() / 100.0)
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The figures of one group from its exact histogram, `None` when nothing was decided.
/// Applications are in time within `target` net minutes (and count the statutory share);
/// tasks (`statutory` false) are in time within their budget, as the histogram counts them.
fn group_figures(
    key: String,
    minutes: &Histogram,
    target: i32,
    statutory: bool,
) -> Option<GroupFigures> {
    let sorted = minutes.sorted();
    let n: i64 = sorted.iter().map(|e| e.1).sum();
    if n == 0 {
        return None;
    }
    // The ranks the median, the 90th percentile (each with its upper neighbour) and the
    // maximum need, found by walking the counts in order.
    let mut wanted = BTreeSet::new();
    for (num, den) in [(1, 2), (9, 10)] {
        let low = (n - 1) * num / den;
        wanted.insert(low);
        wanted.insert((low + 1).min(n - 1));
    }
    wanted.insert(n - 1);
    let mut by_rank = BTreeMap::new();
    let mut wanted = wanted.into_iter().peekable();
    let (mut below, mut within, mut in_time) = (0i64, 0i64, 0i64);
    for &(v, count, w) in &sorted {
        while let Some(&rank) = wanted.peek() {
            if rank >= below + count {
                break;
            }
            by_rank.insert(rank, v);
            wanted.next();
        }
        below += count;
        in_time += w;
        if v <= target {
            within += count;
        }
    }
    Some(GroupFigures {
        key,
        count: n,
        median_hours: hours(percentile(&by_rank, n, 1, 2)),
        p90_hours: hours(percentile(&by_rank, n, 9, 10)),
        max_hours: hours(by_rank.get(&(n - 1)).map(|v| f64::from(*v))),
        within_target_pct: if statutory {
            pct(within, n)
        } else {
            pct(in_time, n)
        },
        within_statutory_pct: if statutory { pct(in_time, n) } else { None },
        open_tasks: None,
        overdue_tasks: None,
    })
}

/// The Monday of a day's week (the report's weeks).
fn week_of(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    day - chrono::TimeDelta::days(i64::from(day.weekday().num_days_from_monday()))
}

/// A sample's groups (all of it together without a grouping), in key order.
fn grouped(
    sample: &Sample,
    group: Option<Group>,
    target: i32,
) -> Result<Vec<GroupFigures>, ServiceError> {
    let mut histograms: BTreeMap<String, Histogram> = BTreeMap::new();
    let tasks = matches!(group, Some(Group::Authority | Group::Phase));
    if tasks {
        for t in &sample.tasks {
            let key = if group == Some(Group::Authority) {
                &t.authority_code
            } else {
                &t.phase
            };
            histograms.entry(key.clone()).or_default().merge(&t.minutes);
        }
    } else {
        for a in &sample.apps {
            let key = match group {
                None => "all".to_string(),
                Some(Group::Week) => week_of(a.day).to_string(),
                Some(Group::Class) => a.class.clone(),
                Some(Group::Workflow) => a.workflow.clone(),
                _ => a.kind.clone(),
            };
            histograms
                .entry(key)
                .or_default()
                .merge_encoded(&a.minutes)?;
        }
    }
    Ok(histograms
        .into_iter()
        .filter_map(|(key, h)| group_figures(key, &h, target, !tasks))
        .collect())
}

/// The report of API.md, plus the backlog's age.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Turnaround {
    pub from: String,
    pub to: String,
    pub group: String,
    pub target_hours: u32,
    pub count_submitted: i64,
    pub count_issued: i64,
    pub count_rejected: i64,
    /// Not accepted at all (不予受理).
    pub count_not_accepted: i64,
    /// Decided (issued or rejected): the applications the time figures describe.
    pub count_decided: i64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub max_hours: Option<f64>,
    pub within_target_pct: Option<f64>,
    pub within_statutory_pct: Option<f64>,
    /// Applications open now in the scope, whenever submitted.
    pub open_backlog: i64,
    /// Hours since the oldest open application was submitted.
    pub open_backlog_oldest_hours: Option<f64>,
    /// Review tasks past due now in the scope (the escalation board's length).
    pub overdue_tasks: i64,
    pub groups: Vec<GroupFigures>,
}

/// The sample a report of this period and scope describes (with the decided tasks, for the
/// authority and phase groupings): the cells and the rows not folded into them, in one
/// snapshot.
pub fn sample(
    conn: &mut DbConnection,
    filter: &Filter,
    with_tasks: bool,
) -> Result<Sample, ServiceError> {
    report_cells::load(conn, &filter.scope, filter.from, filter.to, with_tasks)
}

/// The whole report for a period, scope and grouping.
pub fn turnaround(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    scope: Scope,
    group: Group,
    target_hours: u32,
    now: NaiveDateTime,
) -> Result<Turnaround, ServiceError> {
    let filter = Filter { from, to, scope };
    let sample = sample(
        conn,
        &filter,
        matches!(group, Group::Authority | Group::Phase),
    )?;
    turnaround_of(conn, &sample, &filter, group, target_hours, now)
}

/// The whole report from its sample.
pub fn turnaround_of(
    conn: &mut DbConnection,
    sample: &Sample,
    filter: &Filter,
    group: Group,
    target_hours: u32,
    now: NaiveDateTime,
) -> Result<Turnaround, ServiceError> {
    let target = (target_hours * 60) as i32;
    let mut counts = (0, 0, 0, 0);
    for a in &sample.apps {
        counts.0 += a.submitted;
        counts.1 += a.issued;
        counts.2 += a.rejected;
        counts.3 += a.not_accepted;
    }
    let overall = grouped(sample, None, target)?
        .pop()
        .unwrap_or_else(|| GroupFigures::empty("all"));
    let backlog = q::backlog(conn, &filter.scope)?;
    let overdue_tasks = q::open_tasks(conn, &filter.scope, now, false)?
        .iter()
        .map(|o| o.overdue)
        .sum();
    let groups = groups_of(conn, sample, group, &filter.scope, target_hours, now)?;
    Ok(Turnaround {
        from: filter.from.to_string(),
        to: filter.to.to_string(),
        group: group.as_str().into(),
        target_hours,
        count_submitted: counts.0,
        count_issued: counts.1,
        count_rejected: counts.2,
        count_not_accepted: counts.3,
        count_decided: overall.count,
        median_hours: overall.median_hours,
        p90_hours: overall.p90_hours,
        max_hours: overall.max_hours,
        within_target_pct: overall.within_target_pct,
        within_statutory_pct: overall.within_statutory_pct,
        open_backlog: backlog.open,
        open_backlog_oldest_hours: backlog
            .oldest_submitted_at
            .map(|at| ((now - at).num_minutes() as f64 / 60.0 * 10.0).round() / 10.0),
        overdue_tasks,
        groups,
    })
}

/// The figures of one grouping of a sample (for authorities with the tasks open and overdue
/// now in the scope).
pub fn groups_of(
    conn: &mut DbConnection,
    sample: &Sample,
    group: Group,
    scope: &Scope,
    target_hours: u32,
    now: NaiveDateTime,
) -> Result<Vec<GroupFigures>, ServiceError> {
    let target = (target_hours * 60) as i32;
    let mut groups = grouped(sample, Some(group), target)?;
    if group == Group::Authority {
        let open_now = q::open_tasks(conn, scope, now, true)?;
        for open in &open_now {
            match groups.iter_mut().find(|g| g.key == open.k) {
                Some(g) => {
                    g.open_tasks = Some(open.open);
                    g.overdue_tasks = Some(open.overdue);
                }
                None => groups.push(GroupFigures {
                    open_tasks: Some(open.open),
                    overdue_tasks: Some(open.overdue),
                    ..GroupFigures::empty(&open.k)
                }),
            }
        }
        for g in &mut groups {
            g.open_tasks.get_or_insert(0);
            g.overdue_tasks.get_or_insert(0);
        }
        groups.sort_by(|a, b| a.key.cmp(&b.key));
    }
    Ok(groups)
}

/// How many decided applications of a sample took each `bin_hours`-wide span of net time
/// (the last bin also holds everything longer): `(bin index, count)`, bins without any left
/// out.
pub fn histogram_of(
    sample: &Sample,
    bin_hours: u32,
    bins: i64,
) -> Result<Vec<(i64, i64)>, ServiceError> {
    let width = i64::from(bin_hours.max(1)) * 60;
    let mut all = Histogram::default();
    for a in &sample.apps {
        all.merge_encoded(&a.minutes)?;
    }
    let mut counts: BTreeMap<i64, i64> = BTreeMap::new();
    for (v, n, _) in all.sorted() {
        *counts
            .entry((i64::from(v) / width).min(bins - 1))
            .or_default() += n;
    }
    Ok(counts.into_iter().collect())
}

/// The applications behind the report, one CSV row each (submitted in the period and scope).
pub fn turnaround_csv(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    scope: Scope,
    target_hours: u32,
    timezone: chrono_tz::Tz,
) -> Result<Vec<u8>, ServiceError> {
    use chrono::TimeZone;
    let rows = q::rows(
        conn,
        &Filter { from, to, scope },
        (target_hours * 60) as i32,
    )?;
    let local = |at: Option<NaiveDateTime>| {
        at.map(|at| {
            timezone
                .from_utc_datetime(&at)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| ServiceError::Internal(e.into());
    out.write_record([
        "reference",
        "status",
        "workflow",
        "class",
        "issuing_authority",
        "submitted_at",
        "decided_at",
        "paused_hours",
        "net_hours",
        "within_target",
        "within_statutory",
        "permit_no",
    ])
    .map_err(csv_error)?;
    // The flags come from the same SQL as the report's shares; empty for undecided rows.
    let yes_no = |flag: Option<i32>| match flag {
        Some(1) => "yes".to_string(),
        Some(_) => "no".to_string(),
        None => String::new(),
    };
    for r in rows {
        out.write_record([
            r.reference,
            r.status,
            r.workflow.unwrap_or_default(),
            r.permit_class.unwrap_or_default(),
            r.issuing_authority.unwrap_or_default(),
            local(r.submitted_at),
            local(r.decided_at),
            format!("{:.2}", f64::from(r.paused_minutes) / 60.0),
            r.net_minutes
                .map(|m| format!("{:.2}", f64::from(m) / 60.0))
                .unwrap_or_default(),
            yes_no(r.within_target),
            yes_no(r.within_statutory),
            r.permit_no.unwrap_or_default(),
        ])
        .map_err(csv_error)?;
    }
    out.into_inner()
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("csv: {e}")))
}

/// The applications behind the report, as the data CSV and the spreadsheet read them.
pub fn turnaround_rows(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    scope: Scope,
    target_hours: u32,
) -> Result<Vec<crate::db::reports::ReportRow>, ServiceError> {
    Ok(q::rows(
        conn,
        &Filter { from, to, scope },
        (target_hours * 60) as i32,
    )?)
}

/// The figures of a report's groups as CSV (the dashboard's tables).
pub fn groups_csv(report: &Turnaround) -> Result<Vec<u8>, ServiceError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| ServiceError::Internal(e.into());
    out.write_record([
        report.group.as_str(),
        "count",
        "median_hours",
        "p90_hours",
        "max_hours",
        "within_target_pct",
        "within_statutory_pct",
        "open_tasks",
        "overdue_tasks",
    ])
    .map_err(csv_error)?;
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let int = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for g in &report.groups {
        out.write_record([
            g.key.clone(),
            g.count.to_string(),
            opt(g.median_hours),
            opt(g.p90_hours),
            opt(g.max_hours),
            opt(g.within_target_pct),
            opt(g.within_statutory_pct),
            int(g.open_tasks),
            int(g.overdue_tasks),
        ])
        .map_err(csv_error)?;
    }
    out.into_inner()
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("csv: {e}")))
}

/// The applications a manager's reports and board cover: their area; managers only.
pub fn area_of(conn: &mut DbConnection, caller: &Caller) -> Result<Scope, ServiceError> {
    if caller.role != Role::Manager {
        return Err(ServiceError::Forbidden("reports are for managers".into()));
    }
    scope_of(conn, caller)
}

/// The escalation board (督办): overdue tasks in the manager's area, most overdue first.
pub fn escalation_board(
    conn: &mut DbConnection,
    caller: &Caller,
    now: NaiveDateTime,
) -> Result<Vec<OverdueTask>, ServiceError> {
    let scope = area_of(conn, caller)?;
    Ok(crate::db::applications::overdue_tasks(conn, &scope, now)?)
}

#[cfg(test)]
mod tests {
    use super::percentile;
    use std::collections::BTreeMap;

    /// Every rank of the values, as the query would return the ones needed.
    fn ranks(values: &[i32]) -> BTreeMap<i64, i32> {
        let mut sorted = values.to_vec();
        sorted.sort();
        sorted
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i as i64, v))
            .collect()
    }

    #[test]
    fn percentiles_interpolate_like_percentile_cont() {
        // Values PostgreSQL's percentile_cont gives for these samples.
        let r = ranks(&[10, 20, 30, 40]);
        assert_eq!(percentile(&r, 4, 1, 2), Some(25.0));
        assert_eq!(percentile(&r, 4, 9, 10), Some(37.0));
        let r = ranks(&[5]);
        assert_eq!(percentile(&r, 1, 1, 2), Some(5.0));
        assert_eq!(percentile(&r, 1, 9, 10), Some(5.0));
        let r = ranks(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]);
        assert_eq!(percentile(&r, 11, 1, 2), Some(6.0));
        assert_eq!(percentile(&r, 11, 9, 10), Some(10.0));
        let r = ranks(&[0, 60, 60, 1000, 1440, 2000, 3000]);
        // (7-1)*0.9 = 5.4 → 2000 + 0.4 * 1000
        assert_eq!(percentile(&r, 7, 9, 10), Some(2400.0));
        assert_eq!(percentile(&BTreeMap::new(), 0, 1, 2), None);
    }
}

/// How long amendments of one kind of change took: asked for → decided, in clock minutes
/// (an amendment never waits for its holder).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmendmentFigures {
    /// plates, valid_to or trips.
    pub kind: String,
    /// Asked for in the period (withdrawn ones included).
    pub asked: i64,
    pub approved: i64,
    pub rejected: i64,
    pub open: i64,
    pub median_hours: Option<f64>,
    pub max_hours: Option<f64>,
}

/// Amendments asked for on the local days of `filter`, by kind of change (an amendment that
/// changes two things counts under each).
pub fn amendment_turnaround(
    conn: &mut DbConnection,
    filter: &Filter,
    tz: chrono_tz::Tz,
) -> Result<Vec<AmendmentFigures>, ServiceError> {
    use crate::domain::amendment::{ChangeKind, Changes};
    use chrono::TimeZone;
    let start_of = |day: NaiveDate| {
        tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN))
    };
    let (from, until) = (
        start_of(filter.from),
        start_of(filter.to + chrono::Days::new(1)),
    );
    let samples = q::amendments(conn, &filter.scope, from, until)?;
    let mut out = Vec::new();
    for kind in [ChangeKind::Plates, ChangeKind::Validity, ChangeKind::Trips] {
        let mut figures = AmendmentFigures {
            kind: kind.as_str().into(),
            asked: 0,
            approved: 0,
            rejected: 0,
            open: 0,
            median_hours: None,
            max_hours: None,
        };
        let mut minutes = Vec::new();
        for s in &samples {
            let changes: Changes = super::stored("amendment changes", &s.changes)?;
            if !changes.kinds().contains(&kind) {
                continue;
            }
            figures.asked += 1;
            match (s.status.as_str(), s.decided_at) {
                // Withdrawn by its holder: asked for, never decided.
                ("withdrawn", _) => {}
                ("issued", Some(at)) => {
                    figures.approved += 1;
                    minutes.push((at - s.created_at).num_minutes() as i32);
                }
                (_, Some(at)) => {
                    figures.rejected += 1;
                    minutes.push((at - s.created_at).num_minutes() as i32);
                }
                (_, None) => figures.open += 1,
            }
        }
        minutes.sort_unstable();
        let by_rank: BTreeMap<i64, i32> = (0..).zip(minutes.iter().copied()).collect();
        let n = minutes.len() as i64;
        figures.median_hours = percentile(&by_rank, n, 1, 2).map(|m| m / 60.0);
        figures.max_hours = minutes.last().map(|m| f64::from(*m) / 60.0);
        out.push(figures);
    }
    Ok(out)
}
