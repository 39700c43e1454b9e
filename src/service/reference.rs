//! Reference data: the shipped files in `data/` (jurisdictions, authority kinds, calendar
//! years) read from the data folder when present there, else from the copy compiled into the
//! binary; applied to the database idempotently; and read back as domain values.

use super::ServiceError;
use crate::db::reference::{
    self as q, AuthorityRow, CalendarDayRow, CalendarYearRow, JurisdictionRow,
};
use crate::db::{write_transaction, DbConnection};
use crate::domain::calendar::{Calendars, NATIONAL};
use crate::domain::hours::{ServiceHours, SHIPPED_SERVICE_HOURS};
use crate::domain::jurisdiction::{Jurisdiction, JurisdictionTree, Level};
use crate::domain::timebook::Timebook;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const SHIPPED_JURISDICTIONS: &str = include_str!("../../data/jurisdictions.toml");
const SHIPPED_AUTHORITIES: &str = include_str!("../../data/authorities.toml");
const SHIPPED_CALENDARS: [&str; 3] = [
    include_str!("../../data/calendar/2025.toml"),
    include_str!("../../data/calendar/2025-xinjiang.toml"),
    include_str!("../../data/calendar/2026.toml"),
];

#[derive(Debug, Deserialize)]
struct JurisdictionFile {
    jurisdiction: Vec<JurisdictionEntry>,
}

#[derive(Debug, Deserialize)]
struct JurisdictionEntry {
    code: String,
    name_zh: String,
    name_en: String,
    short_en: Option<String>,
    level: Level,
    parent: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AuthorityFile {
    kind: Vec<AuthorityKind>,
}

#[derive(Debug, Deserialize)]
struct AuthorityKind {
    kind: String,
    level: Level,
    name_zh: String,
    name_en: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    /// Whose calendar: `CN` (the State Council's notice) when absent, else a jurisdiction
    /// code (e.g. `650000`, the region's own notice).
    #[serde(default = "national")]
    pub jurisdiction: String,
    pub year: i32,
    pub holidays: Vec<HolidaySpan>,
    pub working_days: Vec<NaiveDate>,
}

impl CalendarYear {
    /// The days this notice makes differ from the weekday rule, as stored.
    pub fn days(&self) -> Vec<CalendarDayRow> {
        let row = |day: NaiveDate, working: bool, note: &str| CalendarDayRow {
            jurisdiction: self.jurisdiction.clone(),
            day,
            working,
            note: note.to_string(),
            source: "shipped".into(),
        };
        let mut days = Vec::new();
        for span in &self.holidays {
            for day in span.from.iter_days().take_while(|d| *d <= span.to) {
                days.push(row(day, false, &span.name));
            }
        }
        for day in &self.working_days {
            days.push(row(*day, true, "调休上班 adjusted working day"));
        }
        days
    }
}

fn national() -> String {
    NATIONAL.to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidaySpan {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub name: String,
}

/// Everything `migrate` writes, checked before any of it is.
#[derive(Debug, Clone)]
pub struct ReferenceData {
    pub jurisdictions: Vec<JurisdictionRow>,
    pub authorities: Vec<AuthorityRow>,
    pub calendars: Vec<CalendarYear>,
}

fn read_or_shipped(data_dir: &Path, name: &str, shipped: &str) -> anyhow::Result<String> {
    let path = data_dir.join(name);
    if path.is_file() {
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    } else {
        Ok(shipped.to_string())
    }
}

/// The `*.toml` files of `dir` in name order, or, without that folder, the shipped copies.
pub fn read_folder_or_shipped(dir: &Path, shipped: &[&str]) -> anyhow::Result<Vec<String>> {
    if !dir.is_dir() {
        return Ok(shipped.iter().map(|s| s.to_string()).collect());
    }
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
        .collect()
}

impl ReferenceData {
    pub fn load(data_dir: &Path) -> anyhow::Result<ReferenceData> {
        let jurisdictions = read_or_shipped(data_dir, "jurisdictions.toml", SHIPPED_JURISDICTIONS)?;
        let authorities = read_or_shipped(data_dir, "authorities.toml", SHIPPED_AUTHORITIES)?;
        let calendars = read_folder_or_shipped(&data_dir.join("calendar"), &SHIPPED_CALENDARS)?;
        Self::parse(&jurisdictions, &authorities, &calendars)
    }

    pub fn parse(
        jurisdictions: &str,
        authorities: &str,
        calendars: &[String],
    ) -> anyhow::Result<ReferenceData> {
        let file: JurisdictionFile =
            toml::from_str(jurisdictions).context("data/jurisdictions.toml")?;
        let tree = JurisdictionTree::new(file.jurisdiction.iter().map(|j| Jurisdiction {
            code: j.code.clone(),
            level: j.level,
            parent: j.parent.clone(),
        }))
        .context("data/jurisdictions.toml")?;
        let kinds: AuthorityFile = toml::from_str(authorities).context("data/authorities.toml")?;

        let mut authority_rows = Vec::new();
        for j in &file.jurisdiction {
            for kind in kinds.kind.iter().filter(|k| k.level == j.level) {
                let place_en = j.short_en.as_deref().unwrap_or(&j.name_en);
                authority_rows.push(AuthorityRow {
                    code: format!("{}-{}", j.code, kind.kind),
                    jurisdiction: j.code.clone(),
                    kind: kind.kind.clone(),
                    level: j.level.as_str().to_string(),
                    name_zh: format!("{}{}", j.name_zh, kind.name_zh),
                    name_en: format!("{place_en} {}", kind.name_en),
                });
            }
        }
        // Parents before children, so foreign keys hold at every insert.
        let mut jurisdiction_rows: Vec<JurisdictionRow> = file
            .jurisdiction
            .into_iter()
            .map(|j| JurisdictionRow {
                code: j.code,
                name_zh: j.name_zh,
                name_en: j.name_en,
                level: j.level.as_str().to_string(),
                parent: j.parent,
            })
            .collect();
        jurisdiction_rows
            .sort_by_key(|j| std::cmp::Reverse(j.level.parse::<Level>().unwrap_or(Level::County)));
        debug_assert!(jurisdiction_rows
            .iter()
            .all(|j| tree.get(&j.code).is_some()));

        let mut years = Vec::new();
        for text in calendars {
            let year: CalendarYear = toml::from_str(text).context("data/calendar")?;
            if year.jurisdiction != NATIONAL && tree.get(&year.jurisdiction).is_none() {
                bail!(
                    "data/calendar: the {} calendar of {} is for no jurisdiction in data/jurisdictions.toml",
                    year.year,
                    year.jurisdiction
                );
            }
            if years
                .iter()
                .any(|y: &CalendarYear| y.year == year.year && y.jurisdiction == year.jurisdiction)
            {
                bail!(
                    "data/calendar: {} {} is entered twice",
                    year.jurisdiction,
                    year.year
                );
            }
            for span in &year.holidays {
                if span.to < span.from
                    || span.from.format("%Y").to_string() != year.year.to_string()
                {
                    bail!(
                        "data/calendar/{}.toml: holiday {} runs {}..{}, not within the year",
                        year.year,
                        span.name,
                        span.from,
                        span.to
                    );
                }
            }
            if let Some(day) = year
                .working_days
                .iter()
                .find(|d| d.format("%Y").to_string() != year.year.to_string())
            {
                bail!(
                    "data/calendar/{}.toml: working day {day} is not in the year",
                    year.year
                );
            }
            years.push(year);
        }
        Ok(ReferenceData {
            jurisdictions: jurisdiction_rows,
            authorities: authority_rows,
            calendars: years,
        })
    }

    /// Writes everything in one transaction; running it again changes nothing. Calendar days
    /// an admin has set are left alone.
    pub fn apply(&self, conn: &mut DbConnection) -> diesel::QueryResult<()> {
        write_transaction(conn, |conn| {
            for row in &self.jurisdictions {
                q::upsert_jurisdiction(conn, row)?;
            }
            for row in &self.authorities {
                q::upsert_authority(conn, row)?;
            }
            for year in &self.calendars {
                let days = year.days();
                for row in &days {
                    q::upsert_shipped_day(conn, row)?;
                }
                let keep: Vec<NaiveDate> = days.iter().map(|d| d.day).collect();
                q::delete_shipped_days_except(conn, &year.jurisdiction, year.year, &keep)?;
                q::upsert_shipped_year(conn, &year.jurisdiction, year.year)?;
            }
            Ok(())
        })
    }
}

/// The jurisdiction tree as stored.
pub fn load_tree(conn: &mut DbConnection) -> anyhow::Result<JurisdictionTree> {
    let rows = q::all_jurisdictions(conn)?;
    let tree = JurisdictionTree::new(
        rows.into_iter()
            .map(|r| -> anyhow::Result<Jurisdiction> {
                Ok(Jurisdiction {
                    level: r.level.parse().map_err(anyhow::Error::msg)?,
                    code: r.code,
                    parent: r.parent,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    )?;
    Ok(tree)
}

/// Every jurisdiction's working-day calendar as stored, each inheriting from above.
pub fn load_calendars(conn: &mut DbConnection) -> diesel::QueryResult<Calendars> {
    let parents = q::all_jurisdictions(conn)?
        .into_iter()
        .map(|j| (j.code, j.parent));
    Ok(Calendars::new(
        q::calendar_exceptions(conn)?,
        q::verified_years(conn)?,
        parents,
    ))
}

/// The calendars as last read, shared by every request of one instance: reading and resolving
/// them for every command cost a third of the write rate under load. An admin's change on this
/// instance clears it at once; another instance reads it again within `CalendarCache::FRESH`.
#[derive(Debug, Clone, Default)]
pub struct CalendarCache(Arc<std::sync::Mutex<Option<ReadCalendars>>>);

/// Calendars and when they were read.
type ReadCalendars = (std::time::Instant, Arc<Calendars>);

impl CalendarCache {
    /// How long another instance's calendar change may take to be seen here.
    pub const FRESH: std::time::Duration = std::time::Duration::from_secs(30);

    fn get(&self) -> Option<Arc<Calendars>> {
        let guard = self.0.lock().ok()?;
        let (read_at, calendars) = guard.as_ref()?;
        (read_at.elapsed() < Self::FRESH).then(|| calendars.clone())
    }

    fn put(&self, calendars: Arc<Calendars>) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some((std::time::Instant::now(), calendars));
        }
    }

    /// Forgets what was read: the next command reads the calendars again.
    pub fn clear(&self) {
        if let Ok(mut guard) = self.0.lock() {
            *guard = None;
        }
    }
}

/// The calendars as stored with the engine's service hours: what tasks are timed by.
pub fn load_timebook(
    conn: &mut DbConnection,
    engine: &super::Engine,
) -> diesel::QueryResult<Arc<Timebook>> {
    let calendars = match engine.calendars.get() {
        Some(calendars) => calendars,
        None => {
            let calendars = Arc::new(load_calendars(conn)?);
            engine.calendars.put(calendars.clone());
            calendars
        }
    };
    Ok(Arc::new(Timebook::new(
        engine.service_hours.clone(),
        calendars,
    )))
}

/// The service hours in `{data_dir}/service_hours.toml`, or the shipped ones.
pub fn load_service_hours(data_dir: &Path) -> anyhow::Result<ServiceHours> {
    let text = read_or_shipped(data_dir, "service_hours.toml", SHIPPED_SERVICE_HOURS)?;
    ServiceHours::from_toml(&text).map_err(|e| anyhow::anyhow!("data/service_hours.toml: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_reference_data_is_complete() {
        let data = ReferenceData::load(Path::new("/nonexistent")).unwrap();
        assert_eq!(data.jurisdictions.len(), 16);
        // 12 counties × 2 + 3 prefectures × 3 + the region × 2.
        assert_eq!(data.authorities.len(), 12 * 2 + 3 * 3 + 2);
        let mulei_police = data
            .authorities
            .iter()
            .find(|a| a.code == "652328-POLICE")
            .unwrap();
        assert_eq!(mulei_police.name_zh, "木垒哈萨克自治县公安局交通警察大队");
        assert_eq!(mulei_police.name_en, "Mulei Traffic Police Brigade");
        assert!(data.authorities.iter().any(|a| a.code == "650500-GRID"));
        assert!(data.authorities.iter().any(|a| a.code == "650000-HIGHWAY"));
        assert!(!data.authorities.iter().any(|a| a.code == "650000-GRID"));
        assert_eq!(
            data.jurisdictions[0].code, "650000",
            "the region comes first"
        );
        let years: Vec<(&str, i32)> = data
            .calendars
            .iter()
            .map(|c| (c.jurisdiction.as_str(), c.year))
            .collect();
        assert_eq!(years, vec![("CN", 2025), ("650000", 2025), ("CN", 2026)]);
    }

    /// The shipped calendars as the engine resolves them.
    fn shipped_calendars() -> Calendars {
        let data = ReferenceData::load(Path::new("/nonexistent")).unwrap();
        let days = data
            .calendars
            .iter()
            .flat_map(CalendarYear::days)
            .map(|d| (d.jurisdiction, d.day, d.working));
        let years = data
            .calendars
            .iter()
            .map(|c| (c.jurisdiction.clone(), c.year));
        let parents = data.jurisdictions.into_iter().map(|j| (j.code, j.parent));
        Calendars::new(days, years, parents)
    }

    #[test]
    fn a_statutory_deadline_across_eid_al_fitr_2025_counts_the_regions_days_off() {
        use crate::domain::workflow::time::statutory_due_at;
        let calendars = shipped_calendars();
        let tz = chrono_tz::Asia::Shanghai;
        // Accepted Thu 27 March 2025, 10:00 Beijing time, 5 working days.
        let accepted = NaiveDate::from_ymd_opt(2025, 3, 27)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap();
        let end_of = |m, d| {
            NaiveDate::from_ymd_opt(2025, m, d)
                .unwrap()
                .and_hms_opt(16, 0, 0)
                .unwrap()
        };
        // Nationally: 28 and 31 March, 1, 2, 3 April → the end of Thu 3 April.
        assert_eq!(
            statutory_due_at(accepted, 5, calendars.national(), tz),
            end_of(4, 3)
        );
        // In Xinjiang 29–31 March are 肉孜节 and 4–6 April Qingming: 28 March, 1, 2, 3 and
        // 7 April → the end of Mon 7 April, for the region and every county in it.
        for code in ["650000", "652300", "652328", "650521"] {
            assert_eq!(
                statutory_due_at(accepted, 5, calendars.of(code), tz),
                end_of(4, 7),
                "{code}"
            );
        }
        // 古尔邦节, 6–10 June, is off in the region too.
        let mulei = calendars.of("652328");
        for day in 6..=10 {
            assert!(!mulei.is_working_day(NaiveDate::from_ymd_opt(2025, 6, day).unwrap()));
        }
        assert!(calendars
            .national()
            .is_working_day(NaiveDate::from_ymd_opt(2025, 6, 9).unwrap()));
        assert!(mulei.is_verified(2025));
        assert!(
            !mulei.is_verified(2026),
            "the region's 2026 notice is not entered"
        );
        assert!(calendars.national().is_verified(2026));
    }

    #[test]
    fn a_regional_calendar_needs_a_known_jurisdiction_and_comes_once_a_year() {
        let regional = |code: &str| {
            format!("jurisdiction = \"{code}\"\nyear = 2025\nholidays = []\nworking_days = []")
        };
        let err = ReferenceData::parse(
            SHIPPED_JURISDICTIONS,
            SHIPPED_AUTHORITIES,
            &[regional("659999")],
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("659999 is for no jurisdiction"),
            "{err:#}"
        );
        let err = ReferenceData::parse(
            SHIPPED_JURISDICTIONS,
            SHIPPED_AUTHORITIES,
            &[regional("650000"), regional("650000")],
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("entered twice"), "{err:#}");
    }

    #[test]
    fn a_calendar_entry_outside_its_year_is_refused() {
        let bad = "year = 2026\nholidays = []\nworking_days = [\"2025-01-04\"]".to_string();
        let err =
            ReferenceData::parse(SHIPPED_JURISDICTIONS, SHIPPED_AUTHORITIES, &[bad]).unwrap_err();
        assert!(format!("{err:#}").contains("not in the year"));
    }

    #[test]
    fn a_broken_tree_is_refused() {
        let bad = SHIPPED_JURISDICTIONS.replace("parent = \"652300\"", "parent = \"999999\"");
        assert!(ReferenceData::parse(&bad, SHIPPED_AUTHORITIES, &[]).is_err());
    }
}

/// The jurisdictions (region, prefectures, counties), in code order.
pub fn jurisdictions(conn: &mut DbConnection) -> Result<Vec<JurisdictionRow>, ServiceError> {
    Ok(q::all_jurisdictions(conn)?)
}

/// The reviewing and issuing authorities, in code order.
pub fn authorities(conn: &mut DbConnection) -> Result<Vec<AuthorityRow>, ServiceError> {
    Ok(q::all_authorities(conn)?)
}

pub fn find_authority(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<AuthorityRow>, ServiceError> {
    Ok(q::find_authority(conn, code)?)
}

pub fn find_jurisdiction(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<JurisdictionRow>, ServiceError> {
    Ok(q::find_jurisdiction(conn, code)?)
}

/// The calendar's days from `from` on: shipped notices and admins' corrections.
pub fn calendar_days_from(
    conn: &mut DbConnection,
    from: NaiveDate,
) -> Result<Vec<CalendarDayRow>, ServiceError> {
    Ok(q::days_from(conn, from)?)
}

pub fn calendar_years(conn: &mut DbConnection) -> Result<Vec<CalendarYearRow>, ServiceError> {
    Ok(q::calendar_years(conn)?)
}

/// Authorities' and jurisdictions' names in one language, by code, for the pages.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub authorities: HashMap<String, String>,
    pub jurisdictions: HashMap<String, String>,
}

impl Names {
    pub fn authority(&self, code: &str) -> String {
        self.authorities
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }
}

pub fn names(conn: &mut DbConnection, en: bool) -> Result<Names, ServiceError> {
    let pick = |zh: String, en_name: String| if en { en_name } else { zh };
    Ok(Names {
        authorities: q::all_authorities(conn)?
            .into_iter()
            .map(|a| (a.code, pick(a.name_zh, a.name_en)))
            .collect(),
        jurisdictions: q::all_jurisdictions(conn)?
            .into_iter()
            .map(|j| (j.code, pick(j.name_zh, j.name_en)))
            .collect(),
    })
}
