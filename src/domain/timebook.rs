//! The engine's sense of time for one authority: its calendar (by its jurisdiction, inherited
//! from the region and the nation) and its service hours. A task's budget is counted on the
//! wall clock or in working hours of its authority (`BudgetClock`); `TaskClock` does the
//! arithmetic either way, so the engine, the escalation ladder and the simulator share it.

use crate::domain::calendar::{Calendars, WorkCalendar};
use crate::domain::hours::{Office, Schedule, ServiceHours};
use chrono::{NaiveDateTime, TimeDelta};
use std::sync::Arc;

type Time = NaiveDateTime;

text_enum!(
    /// How a step's budget is counted: clock hours, or working hours of the deciding authority.
    BudgetClock { Wall = "wall", Working = "working" }
);

// The variants come from `text_enum!`, which cannot mark one `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for BudgetClock {
    fn default() -> Self {
        BudgetClock::Wall
    }
}

/// The wall clock, or one authority's office hours.
#[derive(Debug, Clone, Copy)]
pub enum TaskClock<'a> {
    Wall,
    Office(Office<'a>),
}

impl TaskClock<'_> {
    pub fn add(&self, start: Time, amount: TimeDelta) -> Time {
        match self {
            TaskClock::Wall => start + amount,
            TaskClock::Office(office) => office.add(start, amount),
        }
    }

    /// The counted time within `[from, to)`, zero when `to` is not after `from`.
    pub fn between(&self, from: Time, to: Time) -> TimeDelta {
        match self {
            TaskClock::Wall => (to - from).max(TimeDelta::zero()),
            TaskClock::Office(office) => office.between(from, to),
        }
    }

    pub fn back(&self, end: Time, amount: TimeDelta) -> Time {
        match self {
            TaskClock::Wall => end - amount,
            TaskClock::Office(office) => office.back(end, amount),
        }
    }

    pub fn is_open(&self, at: Time) -> bool {
        match self {
            TaskClock::Wall => true,
            TaskClock::Office(office) => office.is_open(at),
        }
    }

    /// The counted time from `now` to `due`, negative once `due` has passed.
    pub fn remaining(&self, now: Time, due: Time) -> TimeDelta {
        self.between(now, due) - self.between(due, now)
    }

    pub fn is_working_hours(&self) -> bool {
        matches!(self, TaskClock::Office(_))
    }
}

/// Calendars and service hours together: what the engine needs to put a task on its
/// authority's clock.
#[derive(Debug, Clone)]
pub struct Timebook {
    pub hours: Arc<ServiceHours>,
    pub calendars: Arc<Calendars>,
}

impl Default for Timebook {
    fn default() -> Self {
        Timebook::wall()
    }
}

impl Timebook {
    /// Everyone around the clock, national calendar empty: budgets on the wall clock.
    pub fn wall() -> Timebook {
        Timebook {
            hours: Arc::new(ServiceHours::around_the_clock()),
            calendars: Arc::new(Calendars::default()),
        }
    }

    pub fn new(hours: Arc<ServiceHours>, calendars: Arc<Calendars>) -> Timebook {
        Timebook { hours, calendars }
    }

    /// The jurisdiction of an authority coded `{jurisdiction}-{KIND}`.
    pub fn jurisdiction_of(authority_code: &str) -> &str {
        authority_code
            .rsplit_once('-')
            .map_or(authority_code, |(j, _)| j)
    }

    /// The kind of an authority coded `{jurisdiction}-{KIND}`.
    pub fn kind_of(authority_code: &str) -> &str {
        authority_code.rsplit_once('-').map_or("", |(_, k)| k)
    }

    pub fn calendar_of(&self, jurisdiction: &str) -> &WorkCalendar {
        self.calendars.of(jurisdiction)
    }

    /// The hours the authority keeps: the wall clock when it is on duty around the clock.
    pub fn hours_of(&self, authority_code: &str) -> TaskClock<'_> {
        match self.hours.schedule_of(authority_code) {
            Schedule::AroundTheClock => TaskClock::Wall,
            Schedule::Office(seasons) => TaskClock::Office(Office {
                seasons,
                calendar: self.calendar_of(Self::jurisdiction_of(authority_code)),
                timezone: self.hours.timezone,
            }),
        }
    }

    /// The clock a budget of `authority_code` runs on.
    pub fn clock(&self, authority_code: &str, budget: BudgetClock) -> TaskClock<'_> {
        match budget {
            BudgetClock::Wall => TaskClock::Wall,
            BudgetClock::Working => self.hours_of(authority_code),
        }
    }
}
