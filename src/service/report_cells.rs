//! The turnaround report's sample, read from pre-aggregated cells plus the rows not folded
//! into them yet, and the fold that moves finished applications into the cells.
//!
//! A cell holds, per scope ('*' for the whole region, or a county or prefecture code a route
//! touches) and local day of submission, the applications' counts and an exact histogram of
//! net minutes: for each distinct value, how many rows had it and how many of those were in
//! time. Histograms merge by adding counts, so any period, grouping and target is computed
//! from them exactly — the same medians, 90th percentiles, maxima and shares as ranking the
//! raw rows. Only applications nothing of which changes any more (issued, rejected, not
//! accepted, withdrawn) are folded; a report reads the cells and the other applications' rows
//! in one snapshot, so no row is counted twice or missed while a fold commits.

use crate::db::report_cells::{self as q, AppCellRow, AppSample, TaskCellRow};
use crate::db::scope::Scope;
use crate::db::{conn::read_snapshot, write_transaction, DbConnection};
use crate::domain::workflow::case::AppStatus;
use crate::service::ServiceError;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An exact histogram of net minutes: value → (rows, rows in time).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram(HashMap<i32, (i64, i64)>);

impl Histogram {
    pub fn add(&mut self, minutes: i32, n: i64, in_time: i64) {
        let e = self.0.entry(minutes).or_default();
        e.0 += n;
        e.1 += in_time;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&v, &(n, w)) in &other.0 {
            self.add(v, n, w);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries by value: (minutes, rows, rows in time).
    pub fn sorted(&self) -> Vec<(i32, i64, i64)> {
        let mut out: Vec<_> = self.0.iter().map(|(&v, &(n, w))| (v, n, w)).collect();
        out.sort_unstable_by_key(|e| e.0);
        out
    }

    /// As stored: entries by value, each as LEB128 varints of the value (zigzag for the
    /// first, then the step from the one before), the rows and the rows in time.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() * 4);
        let mut previous: Option<i32> = None;
        for (v, n, w) in self.sorted() {
            match previous {
                None => varint(
                    &mut out,
                    ((i64::from(v) << 1) ^ (i64::from(v) >> 63)) as u64,
                ),
                Some(p) => varint(&mut out, (i64::from(v) - i64::from(p)) as u64),
            }
            varint(&mut out, n as u64);
            varint(&mut out, w as u64);
            previous = Some(v);
        }
        out
    }

    /// Adds the entries of a stored histogram.
    pub fn merge_encoded(&mut self, bytes: &[u8]) -> Result<(), ServiceError> {
        let corrupt = || ServiceError::Internal(anyhow::anyhow!("a stored report cell is corrupt"));
        let mut at = 0;
        let mut previous: Option<i64> = None;
        while at < bytes.len() {
            let raw = read_varint(bytes, &mut at).ok_or_else(corrupt)?;
            let v = match previous {
                None => ((raw >> 1) as i64) ^ -((raw & 1) as i64),
                Some(p) => p
                    .checked_add(i64::try_from(raw).map_err(|_| corrupt())?)
                    .ok_or_else(corrupt)?,
            };
            let n = read_varint(bytes, &mut at).ok_or_else(corrupt)?;
            let w = read_varint(bytes, &mut at).ok_or_else(corrupt)?;
            let minutes = i32::try_from(v).map_err(|_| corrupt())?;
            self.add(minutes, n as i64, w as i64);
            previous = Some(v);
        }
        Ok(())
    }

    pub fn decode(bytes: &[u8]) -> Result<Histogram, ServiceError> {
        let mut h = Histogram::default();
        h.merge_encoded(bytes)?;
        Ok(h)
    }
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Decided review tasks of one authority and phase.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskCell {
    pub authority_code: String,
    pub phase: String,
    /// In time: within the task's budget.
    pub minutes: Histogram,
}

/// What a report describes: the applications submitted in its period and scope, and (when
/// asked for) their decided review tasks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// Applications by day, workflow, class and kind: the cells, and the unfolded rows counted
    /// alike (under the same scope). Their histograms stay encoded until grouped: two years
    /// are thousands of cells.
    pub apps: Vec<AppCellRow>,
    pub tasks: Vec<TaskCell>,
}

/// The cells a scope has: the whole region's, or an area's (a manager's scopes).
fn cell_scope(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::Everything => Some("*"),
        Scope::Area(code) => Some(code),
        Scope::Firm(_) | Scope::Authority(_) | Scope::Nothing => None,
    }
}

/// What applications counted alike add to a cell.
#[derive(Debug, Clone, Default)]
struct AppDelta {
    submitted: i64,
    issued: i64,
    rejected: i64,
    not_accepted: i64,
    minutes: Histogram,
}

impl AppDelta {
    fn add(&mut self, s: &AppSample) {
        let of = |status: AppStatus| if s.status == status.as_str() { s.n } else { 0 };
        let (issued, rejected) = (of(AppStatus::Issued), of(AppStatus::Rejected));
        // Decided by a review: the applications the time figures describe.
        if let (Some(net), true) = (s.net_minutes, issued + rejected > 0) {
            self.minutes
                .add(net, s.n, i64::from(s.within_statutory) * s.n);
        }
        self.submitted += s.n;
        self.issued += issued;
        self.rejected += rejected;
        self.not_accepted += of(AppStatus::NotAccepted);
    }

    fn of(s: &AppSample) -> AppDelta {
        let mut delta = AppDelta::default();
        delta.add(s);
        delta
    }
}

/// The sample of a period and scope, in one snapshot: the scope's cells and the rows not
/// folded into them (for a scope without cells, every row).
pub fn load(
    conn: &mut DbConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    with_tasks: bool,
) -> Result<Sample, ServiceError> {
    read_snapshot(conn, |conn| {
        let cells = cell_scope(scope);
        let mut sample = Sample::default();
        if let Some(cells) = cells {
            sample.apps = q::app_cells(conn, cells, from, to)?;
        }
        for s in q::app_samples(conn, scope, from, to, cells.is_some())? {
            let delta = AppDelta::of(&s);
            sample.apps.push(AppCellRow {
                scope: cells.unwrap_or_default().to_string(),
                day: s.day,
                workflow: s.workflow,
                class: s.class,
                kind: s.kind,
                submitted: delta.submitted,
                issued: delta.issued,
                rejected: delta.rejected,
                not_accepted: delta.not_accepted,
                minutes: delta.minutes.encode(),
            });
        }
        if with_tasks {
            let mut tasks: BTreeMap<(String, String), Histogram> = BTreeMap::new();
            if let Some(cells) = cells {
                for row in q::task_cells(conn, cells, from, to)? {
                    tasks
                        .entry((row.authority_code, row.phase))
                        .or_default()
                        .merge_encoded(&row.minutes)?;
                }
            }
            for s in q::task_samples(conn, scope, from, to, cells.is_some())? {
                tasks.entry((s.authority_code, s.phase)).or_default().add(
                    s.net_minutes,
                    s.n,
                    i64::from(s.within_budget) * s.n,
                );
            }
            sample.tasks = tasks
                .into_iter()
                .map(|((authority_code, phase), minutes)| TaskCell {
                    authority_code,
                    phase,
                    minutes,
                })
                .collect();
        }
        Ok(sample)
    })
}

/// Applications one fold takes at most (one transaction).
pub const FOLD_BATCH: i64 = 1_000;

/// What a fold adds to the cells of one scope and day.
#[derive(Default)]
struct DayDelta {
    apps: BTreeMap<(String, String, String), AppDelta>,
    tasks: BTreeMap<(String, String), Histogram>,
}

/// Folds up to `limit` finished applications (and their decided tasks) into the cells, in one
/// transaction that also marks them folded; how many. On PostgreSQL one instance folds at a
/// time: another's fold returns 0 at once.
pub fn fold(conn: &mut DbConnection, limit: i64) -> Result<usize, ServiceError> {
    write_transaction(conn, |conn| {
        if !q::try_lock_fold(conn)? {
            return Ok(0);
        }
        let pending = q::pending(conn, limit)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = pending.iter().map(|p| p.id.clone()).collect();
        let mut scopes: HashMap<String, BTreeSet<String>> = ids
            .iter()
            .map(|id| (id.clone(), BTreeSet::from(["*".to_string()])))
            .collect();
        for (id, county, prefecture) in q::areas_of(conn, &ids)? {
            if let Some(s) = scopes.get_mut(&id) {
                s.insert(county);
                s.insert(prefecture);
            }
        }
        let mut days: BTreeMap<(String, NaiveDate), DayDelta> = BTreeMap::new();
        let mut day_of: HashMap<&str, NaiveDate> = HashMap::new();
        for p in &pending {
            day_of.insert(&p.id, p.sample.day);
            let key = (
                p.sample.workflow.clone(),
                p.sample.class.clone(),
                p.sample.kind.clone(),
            );
            for scope in &scopes[&p.id] {
                days.entry((scope.clone(), p.sample.day))
                    .or_default()
                    .apps
                    .entry(key.clone())
                    .or_default()
                    .add(&p.sample);
            }
        }
        for t in q::pending_tasks(conn, &ids)? {
            let day = day_of[t.application_id.as_str()];
            for scope in &scopes[&t.application_id] {
                days.entry((scope.clone(), day))
                    .or_default()
                    .tasks
                    .entry((t.authority_code.clone(), t.phase.clone()))
                    .or_default()
                    .add(t.net_minutes, 1, i64::from(t.within_budget));
            }
        }
        // What the cells of the batch's scopes and days hold already, in one read per table.
        let keys: Vec<(String, NaiveDate)> = days.keys().cloned().collect();
        let mut apps_before: HashMap<(String, NaiveDate, String, String, String), AppCellRow> =
            q::app_cells_of(conn, &keys)?
                .into_iter()
                .map(|r| {
                    let key = (
                        r.scope.clone(),
                        r.day,
                        r.workflow.clone(),
                        r.class.clone(),
                        r.kind.clone(),
                    );
                    (key, r)
                })
                .collect();
        let tasks_before: HashMap<(String, NaiveDate, String, String), TaskCellRow> =
            q::task_cells_of(conn, &keys)?
                .into_iter()
                .map(|r| {
                    let key = (
                        r.scope.clone(),
                        r.day,
                        r.authority_code.clone(),
                        r.phase.clone(),
                    );
                    (key, r)
                })
                .collect();
        let (mut app_rows, mut task_rows) = (Vec::new(), Vec::new());
        for ((scope, day), delta) in days {
            for ((workflow, class, kind), add) in delta.apps {
                let mut minutes = add.minutes;
                let key = (scope.clone(), day, workflow, class, kind);
                let mut row = match apps_before.remove(&key) {
                    Some(row) => {
                        minutes.merge_encoded(&row.minutes)?;
                        row
                    }
                    None => AppCellRow {
                        scope: key.0,
                        day,
                        workflow: key.2,
                        class: key.3,
                        kind: key.4,
                        submitted: 0,
                        issued: 0,
                        rejected: 0,
                        not_accepted: 0,
                        minutes: Vec::new(),
                    },
                };
                row.submitted += add.submitted;
                row.issued += add.issued;
                row.rejected += add.rejected;
                row.not_accepted += add.not_accepted;
                row.minutes = minutes.encode();
                app_rows.push(row);
            }
            for ((authority_code, phase), mut minutes) in delta.tasks {
                let key = (scope.clone(), day, authority_code, phase);
                if let Some(row) = tasks_before.get(&key) {
                    minutes.merge_encoded(&row.minutes)?;
                }
                task_rows.push(TaskCellRow {
                    scope: key.0,
                    day,
                    authority_code: key.2,
                    phase: key.3,
                    minutes: minutes.encode(),
                });
            }
        }
        q::upsert_app_cells(conn, &app_rows)?;
        q::upsert_task_cells(conn, &task_rows)?;
        q::mark_folded(conn, &ids)?;
        Ok(pending.len())
    })
}

/// Applications folded in one run after which the planners' statistics are refreshed.
const REFRESH_AFTER: usize = 10_000;

/// Folds until nothing is left to fold (or another instance is folding); how many. After a
/// long run (the history an upgrade leaves unfolded) the tables' statistics are refreshed:
/// until then PostgreSQL's planner takes most applications for unfolded and reads a report's
/// rows by hash joins over all of them (seen at 1,000,000 applications: 280–440 ms instead of
/// 65–75 ms), whenever its autovacuum gets to it.
pub fn fold_all(conn: &mut DbConnection) -> Result<usize, ServiceError> {
    let mut total = 0;
    loop {
        let folded = fold(conn, FOLD_BATCH)?;
        total += folded;
        if folded < FOLD_BATCH as usize {
            break;
        }
    }
    if total >= REFRESH_AFTER {
        q::refresh_statistics(conn)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn a_histogram_reads_back_as_it_was_stored() {
        let mut h = Histogram::default();
        for (v, n, w) in [
            (0, 1, 1),
            (-5, 2, 0),
            (1_440, 300, 299),
            (i32::MAX, 1, 0),
            (i32::MIN, 7, 7),
            (127, 128, 3),
        ] {
            h.add(v, n, w);
        }
        h.add(1_440, 1, 1);
        let bytes = h.encode();
        assert_eq!(Histogram::decode(&bytes).unwrap(), h);
        assert_eq!(
            h.sorted().first().copied(),
            Some((i32::MIN, 7, 7)),
            "entries are by value"
        );
        assert_eq!(h.sorted()[3], (127, 128, 3));
        assert!(Histogram::decode(&[]).unwrap().is_empty());
        // A value cut short, or a histogram that ends inside an entry, is corrupt.
        assert!(Histogram::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(Histogram::decode(&[0x80]).is_err());
    }

    #[test]
    fn merging_adds_counts() {
        let mut a = Histogram::default();
        a.add(10, 2, 1);
        let mut b = Histogram::default();
        b.add(10, 3, 3);
        b.add(20, 1, 0);
        a.merge_encoded(&b.encode()).unwrap();
        assert_eq!(a.sorted(), vec![(10, 5, 4), (20, 1, 0)]);
    }
}
