//! Amendments (变更) as pure rules: what a holder may change on an issued permit (its
//! vehicles' plates, a later last day within the maximum window, the number of trips), what
//! is not an amendment (route, cargo, vehicle figures: a new application), and which kinds of
//! change a request makes — the `amendment` workflow routes more trips to the route's traffic
//! police as well as the issuer.

use super::application::{parse_date, parse_plates};
use super::rules::PermitRules;
use super::values::{count_within, text};
use super::{FieldError, Message, ValidationErrors};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where an amendment stands: with its reviewers, approved (the permit re-issued),
    /// rejected, or withdrawn by its holder.
    AmendmentStatus {
        UnderReview = "under_review",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// A kind of change (reports group amendments' turnaround by it).
    ChangeKind {
        Plates = "plates",
        Validity = "valid_to",
        Trips = "trips",
    }
);

/// The figure of the amendment a workflow condition may name: trips added (above 0 brings in
/// the traffic police of the route).
pub const TRIPS_ADDED: &str = "amendment.trips_added";

/// What a permit is now, as far as an amendment may change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendable {
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub trips_allowed: i32,
    pub trips_used: i32,
    /// Each vehicle's plates, the tractor's first.
    pub vehicles: Vec<Vec<String>>,
    /// A project's load permit may list several vehicles; a single application's has one.
    pub max_vehicles: usize,
    /// The longest window from `valid_from` (days).
    pub max_window_days: i64,
}

/// The changes asked for, each `None` when it stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plates: Option<Vec<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trips_allowed: Option<i32>,
}

/// The keys `changes` may carry; anything else (route, cargo, vehicle, …) needs a new
/// application.
const AMENDABLE: [&str; 3] = ["plates", "valid_to", "trips_allowed"];

impl Changes {
    /// The kinds of change, in a fixed order.
    pub fn kinds(&self) -> Vec<ChangeKind> {
        let mut kinds = Vec::new();
        if self.plates.is_some() {
            kinds.push(ChangeKind::Plates);
        }
        if self.valid_to.is_some() {
            kinds.push(ChangeKind::Validity);
        }
        if self.trips_allowed.is_some() {
            kinds.push(ChangeKind::Trips);
        }
        kinds
    }

    /// Trips added over what the permit allows now (0 when fewer or unchanged).
    pub fn trips_added(&self, before: &Amendable) -> i64 {
        self.trips_allowed
            .map_or(0, |t| i64::from(t) - i64::from(before.trips_allowed))
            .max(0)
    }

    /// The permit's values as these changes leave them.
    pub fn applied_to(&self, before: &Amendable) -> Amendable {
        Amendable {
            valid_to: self.valid_to.unwrap_or(before.valid_to),
            trips_allowed: self.trips_allowed.unwrap_or(before.trips_allowed),
            vehicles: self
                .plates
                .clone()
                .unwrap_or_else(|| before.vehicles.clone()),
            ..before.clone()
        }
    }
}

/// The values of an amendment's `changes` an amendment's page and e-mails show beside the
/// new ones: the permit before it.
pub fn before_of(changes: &Changes, permit: &Amendable) -> Changes {
    Changes {
        plates: changes.plates.as_ref().map(|_| permit.vehicles.clone()),
        valid_to: changes.valid_to.map(|_| permit.valid_to),
        trips_allowed: changes.trips_allowed.map(|_| permit.trips_allowed),
    }
}

/// A request as it came: the reason and the raw `changes` object.
pub fn parse(
    reason: Option<&str>,
    changes: &serde_json::Value,
    permit: &Amendable,
    today: NaiveDate,
    rules: &PermitRules,
) -> Result<(String, Changes), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let reason = errors.collect(text("reason", reason, 2000));
    let Some(fields) = changes.as_object() else {
        errors.push(FieldError::new("changes", Message::new("error.required")));
        return Err(errors);
    };
    for key in fields.keys().filter(|k| !AMENDABLE.contains(&k.as_str())) {
        errors.push(FieldError::new(
            format!("changes.{key}"),
            Message::new("error.not_amendable"),
        ));
    }
    let mut out = Changes::default();
    if let Some(raw) = fields.get("plates").filter(|v| !v.is_null()) {
        out.plates = parse_vehicles(raw, permit, rules, &mut errors);
    }
    if let Some(raw) = fields.get("valid_to").filter(|v| !v.is_null()) {
        let day = errors.collect(parse_date("changes.valid_to", raw.as_str().or(Some("?"))));
        if let Some(day) = day {
            let field = "changes.valid_to";
            if day < today {
                errors.push(FieldError::new(
                    field,
                    Message::new("error.travel_in_past").with("today", today),
                ));
            } else if day <= permit.valid_from {
                errors.push(FieldError::new(
                    field,
                    Message::new("error.travel_end_before_start"),
                ));
            } else if (day - permit.valid_from).num_days() > permit.max_window_days {
                errors.push(FieldError::new(
                    field,
                    Message::new("error.travel_too_long").with("max", permit.max_window_days),
                ));
            } else {
                out.valid_to = Some(day);
            }
        }
    }
    if let Some(raw) = fields.get("trips_allowed").filter(|v| !v.is_null()) {
        let field = "changes.trips_allowed";
        let trips = errors.collect(count_within(
            field,
            raw.as_i64().or(Some(-1)),
            1,
            rules.plausible.max_trips,
        ));
        if let Some(trips) = trips {
            let trips = trips as i32;
            if trips < permit.trips_used {
                errors.push(FieldError::new(
                    field,
                    Message::new("error.below_trips_used").with("used", permit.trips_used),
                ));
            } else {
                out.trips_allowed = Some(trips);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // What stays as it is is no change.
    if out.plates.as_ref() == Some(&permit.vehicles) {
        out.plates = None;
    }
    if out.valid_to == Some(permit.valid_to) {
        out.valid_to = None;
    }
    if out.trips_allowed == Some(permit.trips_allowed) {
        out.trips_allowed = None;
    }
    if out.kinds().is_empty() {
        errors.push(FieldError::new(
            "changes",
            Message::new("error.amendment_changes_nothing"),
        ));
        return Err(errors);
    }
    Ok((reason.unwrap_or_default(), out))
}

/// The vehicles of `changes.plates`: each `{tractor_plate, trailer_plates}`, checked as an
/// application's plates are, as many as the permit may list.
fn parse_vehicles(
    raw: &serde_json::Value,
    permit: &Amendable,
    rules: &PermitRules,
    errors: &mut ValidationErrors,
) -> Option<Vec<Vec<String>>> {
    let field = "changes.plates";
    let Some(list) = raw.as_array().filter(|l| !l.is_empty()) else {
        errors.push(FieldError::new(field, Message::new("error.required")));
        return None;
    };
    if list.len() > permit.max_vehicles {
        errors.push(FieldError::new(
            field,
            Message::new("error.too_many").with("max", permit.max_vehicles),
        ));
        return None;
    }
    let mut vehicles = Vec::new();
    for (i, vehicle) in list.iter().enumerate() {
        let tractor = vehicle.get("tractor_plate").and_then(|v| v.as_str());
        let trailers: Vec<String> = vehicle
            .get("trailer_plates")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .map(|p| p.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let prefix = format!("{field}[{i}].");
        if let Some((tractor, trailers)) = parse_plates(&prefix, tractor, &trailers, rules, errors)
        {
            let plates: Vec<String> = std::iter::once(tractor.as_str().to_string())
                .chain(trailers.iter().map(|p| p.as_str().to_string()))
                .collect();
            if vehicles
                .iter()
                .any(|v: &Vec<String>| v.first() == plates.first())
            {
                errors.push(FieldError::new(
                    format!("{prefix}tractor_plate"),
                    Message::new("error.duplicate_plate").with("value", &plates[0]),
                ));
            }
            vehicles.push(plates);
        }
    }
    (vehicles.len() == list.len()).then_some(vehicles)
}

#[cfg(test)]
#[path = "amendment_tests.rs"]
mod tests;
