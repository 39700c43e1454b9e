//! Permits (通行证) as pure rules: the number, the state on a given day, the conditions merged
//! from every approval, whether a trip may be recorded (现场核销), and the token that makes the
//! QR code unforgeable.

use super::values::Plate;
use chrono::NaiveDate;
use hmac::{Mac, SimpleHmac};
use sha2::Sha256;
use std::fmt;

/// `{issuer jurisdiction}-{year}-{6-digit sequence}`, e.g. `652328-2026-000017`.
pub fn permit_number(jurisdiction: &str, year: i32, sequence: i64) -> String {
    format!("{jurisdiction}-{year}-{sequence:06}")
}

text_enum!(
    /// What an inspector or the public learns first.
    PermitStatus {
        Valid = "valid",
        NotYetValid = "not_yet_valid",
        Expired = "expired",
        Revoked = "revoked",
        UsedUp = "used_up",
    }
);

text_enum!(
    /// Why a trip is refused on site.
    TripRefusal {
        NotValidNow = "not_valid_now",
        PlateMismatch = "plate_mismatch",
        UsedUp = "used_up",
        Revoked = "revoked",
        NoTripUnderWay = "no_trip_under_way",
        TripUnderWay = "trip_under_way",
        Superseded = "superseded",
    }
);

text_enum!(
    /// Where in its journey a vehicle is scanned (API.md "Trips"): a departure (at loading or
    /// the first checkpoint) uses one trip of the allowance, a checkpoint sighting of the trip
    /// under way uses nothing, the arrival ends it. Refusals add no_trip_under_way (a sighting
    /// of a vehicle not under way), trip_under_way (a departure while it is) and superseded
    /// (an older version's QR code).
    TripStage {
        Departure = "departure",
        Checkpoint = "checkpoint",
        Arrival = "arrival",
    }
);

/// The stage a scan is taken as: the one asked for, or without one a checkpoint sighting if
/// the vehicle has a trip under way and a departure if not.
pub fn scan_stage(asked: Option<TripStage>, under_way: bool) -> TripStage {
    asked.unwrap_or(if under_way {
        TripStage::Checkpoint
    } else {
        TripStage::Departure
    })
}

/// The facts of a permit that its state depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitFacts {
    /// First and last day of travel (inclusive), in the display time zone.
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub trips_allowed: i32,
    pub trips_used: i32,
    pub revoked: bool,
}

impl PermitFacts {
    /// The state on `today` (a local date). Revocation outranks everything; a permit whose
    /// window is over is expired even if trips remain.
    pub fn status(&self, today: NaiveDate) -> PermitStatus {
        if self.revoked {
            PermitStatus::Revoked
        } else if today > self.valid_to {
            PermitStatus::Expired
        } else if today < self.valid_from {
            PermitStatus::NotYetValid
        } else if self.trips_used >= self.trips_allowed {
            PermitStatus::UsedUp
        } else {
            PermitStatus::Valid
        }
    }

    /// May a vehicle with plate `seen` make a trip on `today`? Reasons about the permit come
    /// before the reason about the vehicle: a revoked permit is revoked for every truck.
    pub fn check_trip(
        &self,
        today: NaiveDate,
        seen: &str,
        plates: &[String],
    ) -> Result<(), TripRefusal> {
        match self.status(today) {
            PermitStatus::Revoked => Err(TripRefusal::Revoked),
            PermitStatus::Expired | PermitStatus::NotYetValid => Err(TripRefusal::NotValidNow),
            PermitStatus::UsedUp => Err(TripRefusal::UsedUp),
            PermitStatus::Valid if !plate_matches(seen, plates) => Err(TripRefusal::PlateMismatch),
            PermitStatus::Valid => Ok(()),
        }
    }
}

impl PermitFacts {
    /// May this scan be recorded? A departure needs a trip left and no trip of the vehicle
    /// under way; a checkpoint or arrival needs its trip under way, and uses nothing, so the
    /// last trip of a permit now used up is still sighted and arrives. A revoked permit or a
    /// day outside the window stops every scan; `vehicle_known` is whether the plate seen is
    /// one of the permit's vehicles.
    pub fn check_scan(
        &self,
        today: NaiveDate,
        stage: TripStage,
        vehicle_known: bool,
        under_way: bool,
    ) -> Result<(), TripRefusal> {
        match (self.status(today), stage) {
            (PermitStatus::Revoked, _) => Err(TripRefusal::Revoked),
            (PermitStatus::Expired | PermitStatus::NotYetValid, _) => Err(TripRefusal::NotValidNow),
            // Its own trip under way says more than the count: the vehicle is on its way.
            (_, TripStage::Departure) if vehicle_known && under_way => {
                Err(TripRefusal::TripUnderWay)
            }
            (PermitStatus::UsedUp, TripStage::Departure) => Err(TripRefusal::UsedUp),
            _ if !vehicle_known => Err(TripRefusal::PlateMismatch),
            (_, TripStage::Checkpoint | TripStage::Arrival) if !under_way => {
                Err(TripRefusal::NoTripUnderWay)
            }
            _ => Ok(()),
        }
    }
}

/// The hours of the day a condition allows travel in, as (start, end) local times; the end
/// may be past midnight (22:00–06:00). A condition limits the hours when it says so: "night
/// travel only" / 夜间通行 (22:00–06:00 unless it names other hours), or names a range with
/// "only" / 通行 / 仅; a range to avoid (避开, avoid) is not a limit.
pub fn allowed_hours(conditions: &[String]) -> Option<(chrono::NaiveTime, chrono::NaiveTime)> {
    conditions.iter().find_map(|c| {
        let lower = c.to_lowercase();
        if lower.contains("avoid") || c.contains("避开") {
            return None;
        }
        let night = lower.contains("night") || c.contains("夜间");
        let limiting = night || lower.contains("only") || c.contains("仅") || c.contains("通行");
        match time_range(c) {
            Some(range) if limiting => Some(range),
            None if night => Some((
                chrono::NaiveTime::from_hms_opt(22, 0, 0)?,
                chrono::NaiveTime::from_hms_opt(6, 0, 0)?,
            )),
            _ => None,
        }
    })
}

/// Is `at` (a local time) inside the hours, the range possibly running past midnight?
pub fn within_hours(
    at: chrono::NaiveTime,
    (start, end): (chrono::NaiveTime, chrono::NaiveTime),
) -> bool {
    if start <= end {
        at >= start && at < end
    } else {
        at >= start || at < end
    }
}

/// The first `HH:MM–HH:MM` (any dash, spaces allowed) in a text.
fn time_range(text: &str) -> Option<(chrono::NaiveTime, chrono::NaiveTime)> {
    let chars: Vec<char> = text.chars().collect();
    let time_at = |i: usize| -> Option<(chrono::NaiveTime, usize)> {
        let mut j = i;
        let mut hour = String::new();
        while j < chars.len() && chars[j].is_ascii_digit() && hour.len() < 2 {
            hour.push(chars[j]);
            j += 1;
        }
        if hour.is_empty() || chars.get(j) != Some(&':') {
            return None;
        }
        let minute: String = chars.get(j + 1..j + 3)?.iter().collect();
        let time = chrono::NaiveTime::parse_from_str(&format!("{hour}:{minute}"), "%H:%M").ok()?;
        Some((time, j + 3))
    };
    for i in 0..chars.len() {
        if i > 0 && chars[i - 1].is_ascii_digit() {
            continue;
        }
        let Some((start, mut j)) = time_at(i) else {
            continue;
        };
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        if !matches!(chars.get(j), Some('-' | '–' | '—' | '~' | '至')) {
            continue;
        }
        j += 1;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        if let Some((end, _)) = time_at(j) {
            return Some((start, end));
        }
    }
    None
}

/// The plate an inspector reads may be the tractor's or any trailer's, typed any way.
pub fn plate_matches(seen: &str, plates: &[String]) -> bool {
    let seen = Plate::normalize(seen);
    !seen.is_empty() && plates.iter().any(|p| Plate::normalize(p) == seen)
}

/// Every condition from every approval, in the order they were set, each once: the same words
/// with other spacing or letter case count as the same condition.
pub fn merge_conditions<'a>(conditions: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut merged = Vec::new();
    for condition in conditions {
        let tidy = condition.split_whitespace().collect::<Vec<_>>().join(" ");
        if tidy.is_empty() {
            continue;
        }
        if seen.insert(tidy.to_lowercase()) {
            merged.push(tidy);
        }
    }
    merged
}

/// The token printed in the QR code: HMAC-SHA-256 over the permit number and version with the
/// server's secret, cut to 128 bits (RFC 2104 §5) so the code stays small enough to scan from
/// paper; base64url without padding (22 characters).
#[derive(Clone)]
pub struct PermitSigner {
    key: Vec<u8>,
}

impl fmt::Debug for PermitSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PermitSigner(..)")
    }
}

const TOKEN_BYTES: usize = 16;

impl PermitSigner {
    pub fn new(secret: &[u8]) -> Self {
        PermitSigner {
            key: secret.to_vec(),
        }
    }

    fn mac(&self, permit_no: &str, version: i32) -> SimpleHmac<Sha256> {
        // Any key length is valid for HMAC.
        let mut mac = SimpleHmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"permitflow permit\0");
        mac.update(permit_no.as_bytes());
        mac.update(b"\0");
        mac.update(version.to_string().as_bytes());
        mac
    }

    pub fn token(&self, permit_no: &str, version: i32) -> String {
        use base64::Engine as _;
        let tag = self.mac(permit_no, version).finalize().into_bytes();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..TOKEN_BYTES])
    }

    /// Compares in constant time; anything that is not a token of this permit is `false`.
    pub fn verify(&self, permit_no: &str, version: i32, token: &str) -> bool {
        use base64::Engine as _;
        let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim())
        else {
            return false;
        };
        bytes.len() == TOKEN_BYTES
            && self
                .mac(permit_no, version)
                .verify_truncated_left(&bytes)
                .is_ok()
    }
}

/// The QR code of `text` as an SVG (error correction M, four modules of quiet zone), drawn
/// one path of horizontal runs so it stays small and prints crisply at any size.
pub fn qr_svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::new();
    for y in 0..width {
        let mut x = 0;
        while x < width {
            if colors[y * width + x] == qrcode::Color::Dark {
                let start = x;
                while x < width && colors[y * width + x] == qrcode::Color::Dark {
                    x += 1;
                }
                let run = x - start;
                path.push_str(&format!("M{} {}h{run}v1h-{run}z", start + quiet, y + quiet));
            } else {
                x += 1;
            }
        }
    }
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s} {s}" "#,
            r#"shape-rendering="crispEdges" role="img" aria-label="QR">"#,
            r##"<rect width="{s}" height="{s}" fill="#fff"/><path fill="#000" d="{d}"/></svg>"##
        ),
        s = size,
        d = path
    ))
}

#[cfg(test)]
#[path = "permit_tests.rs"]
mod tests;
