//! Service hours (作息时间): when an authority works. Either around the clock (traffic police
//! on duty) or office hours on working days, in periods that change with the season (the
//! region's annual notice: summer from 1 May 10:00–14:00 and 16:00–20:00, winter from
//! 1 October 10:00–14:00 and 15:30–19:30). Which kind keeps which schedule is data
//! (`data/service_hours.toml`), and one authority may keep another.
//!
//! `Office` does the arithmetic: adding working time to a moment, counting the working time
//! between two moments, going back by working time. All moments are UTC; the periods are local
//! time of the schedule's time zone.

use crate::domain::calendar::WorkCalendar;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;

type Time = NaiveDateTime;

/// Far enough to cross any run of holidays; a calendar with no working day in ten years
/// gives a moment ten years on (or back) instead of looping.
const MAX_DAYS: usize = 3660;

/// The shipped file, compiled in as the fallback for a data folder without one.
pub const SHIPPED_SERVICE_HOURS: &str = include_str!("../../data/service_hours.toml");

/// One season's office periods, from a day of the year until the next season starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Season {
    pub name: String,
    /// (month, day) it starts on, every year.
    pub from: (u32, u32),
    pub periods: Vec<(NaiveTime, NaiveTime)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// On duty day and night, holidays included.
    AroundTheClock,
    /// Office hours on working days; seasons in order of their start.
    Office(Vec<Season>),
}

/// Every schedule, and who keeps which.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceHours {
    pub timezone: Tz,
    schedules: BTreeMap<String, Schedule>,
    default: String,
    by_kind: BTreeMap<String, String>,
    by_authority: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    timezone: String,
    default: String,
    schedule: BTreeMap<String, ScheduleFile>,
    #[serde(default)]
    kinds: BTreeMap<String, String>,
    #[serde(default)]
    authorities: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    #[serde(default)]
    around_the_clock: bool,
    #[serde(default)]
    seasons: Vec<SeasonFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeasonFile {
    name: String,
    from: String,
    periods: Vec<String>,
}

fn parse_period(text: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (start, end) = text
        .split_once('-')
        .ok_or_else(|| format!("period {text:?}: write it as HH:MM-HH:MM"))?;
    let time = |t: &str| {
        NaiveTime::parse_from_str(t.trim(), "%H:%M")
            .map_err(|_| format!("period {text:?}: {t:?} is not a time HH:MM"))
    };
    let (start, end) = (time(start)?, time(end)?);
    if end <= start {
        return Err(format!("period {text:?} ends before it starts"));
    }
    Ok((start, end))
}

fn parse_season(file: SeasonFile) -> Result<Season, String> {
    let at = |what: String| format!("season {}: {what}", file.name);
    let from = NaiveDate::parse_from_str(&format!("2000-{}", file.from), "%Y-%m-%d")
        .map_err(|_| at(format!("from {:?} is not a day MM-DD", file.from)))?;
    let mut periods = Vec::new();
    for text in &file.periods {
        periods.push(parse_period(text).map_err(at)?);
    }
    periods.sort();
    if periods.is_empty() || periods.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(at("needs periods that do not overlap".into()));
    }
    Ok(Season {
        name: file.name,
        from: (from.month(), from.day()),
        periods,
    })
}

impl ServiceHours {
    /// Everyone around the clock: the wall clock, for cases without service hours.
    pub fn around_the_clock() -> ServiceHours {
        ServiceHours {
            timezone: chrono_tz::Asia::Shanghai,
            schedules: BTreeMap::from([("on_duty".to_string(), Schedule::AroundTheClock)]),
            default: "on_duty".into(),
            by_kind: BTreeMap::new(),
            by_authority: BTreeMap::new(),
        }
    }

    pub fn from_toml(text: &str) -> Result<ServiceHours, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let timezone: Tz = file
            .timezone
            .parse()
            .map_err(|_| format!("timezone {:?} is not a known time zone", file.timezone))?;
        let mut schedules = BTreeMap::new();
        for (name, schedule) in file.schedule {
            let parsed = match (schedule.around_the_clock, schedule.seasons.is_empty()) {
                (true, true) => Schedule::AroundTheClock,
                (false, false) => {
                    let mut seasons = schedule
                        .seasons
                        .into_iter()
                        .map(parse_season)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| format!("schedule {name}: {e}"))?;
                    seasons.sort_by_key(|s| s.from);
                    if seasons.windows(2).any(|w| w[0].from == w[1].from) {
                        return Err(format!("schedule {name}: two seasons start the same day"));
                    }
                    Schedule::Office(seasons)
                }
                _ => {
                    return Err(format!(
                        "schedule {name}: either around_the_clock = true or seasons, not both"
                    ))
                }
            };
            schedules.insert(name, parsed);
        }
        let known = |who: &str, name: &str| {
            if schedules.contains_key(name) {
                Ok(())
            } else {
                Err(format!("{who}: no schedule named {name:?}"))
            }
        };
        known("default", &file.default)?;
        for (kind, name) in &file.kinds {
            known(&format!("kind {kind}"), name)?;
        }
        for (code, name) in &file.authorities {
            known(&format!("authority {code}"), name)?;
        }
        Ok(ServiceHours {
            timezone,
            schedules,
            default: file.default,
            by_kind: file.kinds,
            by_authority: file.authorities,
        })
    }

    /// The schedule an authority (`{jurisdiction}-{KIND}`) keeps: its own if the file names
    /// it, else its kind's, else the default.
    pub fn schedule_of(&self, authority_code: &str) -> &Schedule {
        let kind = authority_code.rsplit_once('-').map(|(_, k)| k);
        let name = self
            .by_authority
            .get(authority_code)
            .or_else(|| kind.and_then(|k| self.by_kind.get(k)))
            .unwrap_or(&self.default);
        self.schedules
            .get(name)
            .unwrap_or(&Schedule::AroundTheClock)
    }
}

/// Office hours on one calendar: the working-time arithmetic.
#[derive(Debug, Clone, Copy)]
pub struct Office<'a> {
    pub seasons: &'a [Season],
    pub calendar: &'a WorkCalendar,
    pub timezone: Tz,
}

impl<'a> Office<'a> {
    /// The season in force on `day`: the last one started this year, else last year's last.
    pub fn season(&self, day: NaiveDate) -> Option<&'a Season> {
        let key = (day.month(), day.day());
        self.seasons
            .iter()
            .rev()
            .find(|s| s.from <= key)
            .or(self.seasons.last())
    }

    /// The working periods of a local day, as UTC moments; none on a day off.
    pub fn periods(&self, day: NaiveDate) -> Vec<(Time, Time)> {
        if !self.calendar.is_working_day(day) {
            return Vec::new();
        }
        let Some(season) = self.season(day) else {
            return Vec::new();
        };
        season
            .periods
            .iter()
            .filter_map(|(start, end)| {
                Some((
                    self.utc(day.and_time(*start))?,
                    self.utc(day.and_time(*end))?,
                ))
            })
            .collect()
    }

    fn utc(&self, local: NaiveDateTime) -> Option<Time> {
        self.timezone
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.naive_utc())
    }

    fn local_day(&self, at: Time) -> NaiveDate {
        self.timezone.from_utc_datetime(&at).date_naive()
    }

    /// The moment `amount` of working time after `start` has passed: the end of a period
    /// when it runs out there, never a moment outside office hours.
    pub fn add(&self, start: Time, amount: TimeDelta) -> Time {
        if amount <= TimeDelta::zero() {
            return start;
        }
        let mut left = amount;
        for day in self.local_day(start).iter_days().take(MAX_DAYS) {
            for (from, to) in self.periods(day) {
                let from = from.max(start);
                if to <= from {
                    continue;
                }
                if to - from >= left {
                    return from + left;
                }
                left -= to - from;
            }
        }
        start + TimeDelta::days(MAX_DAYS as i64)
    }

    /// The working time within `[from, to)`; zero when `to` is not after `from`.
    pub fn between(&self, from: Time, to: Time) -> TimeDelta {
        let mut total = TimeDelta::zero();
        if to <= from {
            return total;
        }
        let last = self.local_day(to);
        let days = self.local_day(from).iter_days().take(MAX_DAYS * 10);
        for day in days.take_while(|d| *d <= last) {
            for (start, end) in self.periods(day) {
                let (start, end) = (start.max(from), end.min(to));
                if end > start {
                    total += end - start;
                }
            }
        }
        total
    }

    /// The moment `amount` of working time before `end`.
    pub fn back(&self, end: Time, amount: TimeDelta) -> Time {
        if amount <= TimeDelta::zero() {
            return end;
        }
        let mut left = amount;
        let mut day = self.local_day(end);
        for _ in 0..MAX_DAYS {
            for (from, to) in self.periods(day).into_iter().rev() {
                let to = to.min(end);
                if to <= from {
                    continue;
                }
                if to - from >= left {
                    return to - left;
                }
                left -= to - from;
            }
            match day.pred_opt() {
                Some(previous) => day = previous,
                None => break,
            }
        }
        end - TimeDelta::days(MAX_DAYS as i64)
    }

    /// Whether the office is open at `at`.
    pub fn is_open(&self, at: Time) -> bool {
        self.periods(self.local_day(at))
            .iter()
            .any(|(from, to)| *from <= at && at < *to)
    }
}

#[cfg(test)]
#[path = "hours_tests.rs"]
mod tests;
