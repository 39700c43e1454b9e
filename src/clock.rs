//! The one source of "now". Production reads the system clock; `serve --test-clock` gives a
//! manual clock that tests move, so that deadlines and expiry can be checked without waiting.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Manual(Arc<Mutex<NaiveDateTime>>),
}

impl Clock {
    pub fn manual(start: NaiveDateTime) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(start)))
    }

    /// Now, in UTC.
    pub fn now(&self) -> NaiveDateTime {
        match self {
            Clock::System => Utc::now().naive_utc(),
            Clock::Manual(t) => *t.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self, Clock::Manual(_))
    }

    /// Moves a manual clock; `None` on the system clock, which nobody moves.
    pub fn set(&self, to: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Clock::System => None,
            Clock::Manual(t) => {
                *t.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = to;
                Some(to)
            }
        }
    }

    pub fn advance(&self, by: TimeDelta) -> Option<NaiveDateTime> {
        self.set(self.now() + by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        clock.advance(TimeDelta::minutes(90));
        assert_eq!(clock.now(), start + TimeDelta::minutes(90));
        assert_eq!(Clock::System.set(start), None);
    }
}
