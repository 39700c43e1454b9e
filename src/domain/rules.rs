//! The permit rules of SPEC §2 as pure functions over a parsed application: does the load
//! need a permit, its class and statutory deadline, what cannot be accepted (不予受理) or
//! granted (不予许可), and which attachments a class needs. The numbers come from
//! `data/rules.toml` through [`PermitRules`].

use super::application::{AsLoaded, Subject, TrailerType};
use super::error::{FieldError, Message, ValidationErrors};
use super::jurisdiction::{Issuer, JurisdictionTree};
use chrono::NaiveDate;
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PermitRules {
    pub general_limits: GeneralLimits,
    pub class_i: ClassI,
    pub class_ii: ClassII,
    pub class_iii: ClassIII,
    pub axle_loads: AxleLoads,
    pub plausible: Plausible,
    /// Campaign-scale bounds (a data folder from before projects gets the shipped values).
    #[serde(default)]
    pub projects: super::project::ProjectRules,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GeneralLimits {
    pub height_m: f64,
    pub width_m: f64,
    pub length_m: f64,
    pub gross_mass_kg: Vec<AxleMassLimit>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AxleMassLimit {
    pub axles: u32,
    pub kg: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClassI {
    pub max_height_m: f64,
    pub max_width_m: f64,
    pub max_length_m: f64,
    pub statutory_working_days: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClassII {
    pub max_height_m: f64,
    pub max_width_m: f64,
    pub max_length_m: f64,
    pub max_gross_mass_kg: f64,
    pub statutory_working_days: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClassIII {
    pub statutory_working_days: u32,
    pub required_attachments: Vec<AttachmentKind>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AxleLoads {
    pub ordinary: AxleLoadLimit,
    pub hydraulic_modular: AxleLoadLimit,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AxleLoadLimit {
    pub average_kg: f64,
    pub any_kg: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Plausible {
    pub max_length_m: f64,
    pub max_width_m: f64,
    pub max_height_m: f64,
    pub max_mass_kg: f64,
    pub min_axles: i64,
    pub max_axles: i64,
    pub max_pieces: i64,
    pub max_trips: i64,
    pub max_window_days: i64,
    pub max_segment_km: f64,
    pub max_trailer_plates: usize,
    pub max_escort_vehicles: i64,
    /// Route segments one application may list (a data folder from before this existed
    /// gets the shipped value).
    #[serde(default = "default_max_segments")]
    pub max_segments: usize,
}

fn default_max_segments() -> usize {
    100
}

/// The rules file shipped with permitflow, compiled in as the fallback for a data folder without one.
pub const SHIPPED_RULES: &str = include_str!("../../data/rules.toml");

impl PermitRules {
    pub fn from_toml(text: &str) -> Result<PermitRules, String> {
        let rules: PermitRules = toml::from_str(text).map_err(|e| e.to_string())?;
        rules.check()?;
        Ok(rules)
    }

    pub fn shipped() -> PermitRules {
        // The shipped file is part of the build and covered by tests.
        Self::from_toml(SHIPPED_RULES).expect("data/rules.toml is valid")
    }

    fn check(&self) -> Result<(), String> {
        let limits = &self.general_limits.gross_mass_kg;
        if limits.is_empty() {
            return Err("general_limits.gross_mass_kg is empty".into());
        }
        if limits.windows(2).any(|w| w[0].axles >= w[1].axles) {
            return Err(
                "general_limits.gross_mass_kg must list axle counts in rising order".into(),
            );
        }
        if limits[0].axles as i64 > self.plausible.min_axles {
            return Err("general_limits.gross_mass_kg must cover plausible.min_axles".into());
        }
        Ok(())
    }

    /// The general gross mass limit (kg) for a vehicle with this many axles.
    pub fn general_mass_limit_kg(&self, axles: u32) -> f64 {
        let limits = &self.general_limits.gross_mass_kg;
        limits
            .iter()
            .rev()
            .find(|l| l.axles <= axles)
            .unwrap_or(&limits[0])
            .kg
    }

    pub fn statutory_working_days(&self, class: PermitClass) -> u32 {
        match class {
            PermitClass::I => self.class_i.statutory_working_days,
            PermitClass::II => self.class_ii.statutory_working_days,
            PermitClass::III => self.class_iii.statutory_working_days,
        }
    }

    /// Is the loaded vehicle above any general limit? If not, no permit is needed.
    pub fn needs_permit(&self, v: &impl AsLoaded) -> bool {
        let v = v.loaded();
        let g = &self.general_limits;
        v.overall_height_m > g.height_m
            || v.overall_width_m > g.width_m
            || v.overall_length_m > g.length_m
            || v.gross_mass_kg > self.general_mass_limit_kg(v.axles)
    }

    /// Class I, II or III from the loaded vehicle's figures (Art. 15). Class I also needs the
    /// mass within the general limit; the axle loads are bounded by [`Self::cannot_be_granted`].
    pub fn classify(&self, v: &impl AsLoaded) -> PermitClass {
        let v = v.loaded();
        let (i, ii) = (&self.class_i, &self.class_ii);
        if v.overall_height_m <= i.max_height_m
            && v.overall_width_m <= i.max_width_m
            && v.overall_length_m <= i.max_length_m
            && v.gross_mass_kg <= self.general_mass_limit_kg(v.axles)
        {
            PermitClass::I
        } else if v.overall_height_m <= ii.max_height_m
            && v.overall_width_m <= ii.max_width_m
            && v.overall_length_m <= ii.max_length_m
            && v.gross_mass_kg <= ii.max_gross_mass_kg
        {
            PermitClass::II
        } else {
            PermitClass::III
        }
    }

    /// Axle loads no permit can allow (不予许可), each with its reason.
    pub fn cannot_be_granted(&self, v: &impl AsLoaded) -> Vec<FieldError> {
        let v = v.loaded();
        let (limit, kind) = match v.trailer_type {
            TrailerType::HydraulicModular => {
                (&self.axle_loads.hydraulic_modular, "hydraulic_modular")
            }
            TrailerType::Flatbed | TrailerType::ExtendableBlade => {
                (&self.axle_loads.ordinary, "ordinary")
            }
        };
        let mut errors = Vec::new();
        let average = v.gross_mass_kg / f64::from(v.axles);
        if average > limit.average_kg {
            errors.push(FieldError::new(
                "vehicle.gross_mass_kg",
                Message::new(match kind {
                    "hydraulic_modular" => "rule.average_axle_line_load",
                    _ => "rule.average_axle_load",
                })
                .with("value", format!("{average:.0}"))
                .with("max", limit.average_kg),
            ));
        }
        if v.max_axle_load_kg > limit.any_kg {
            errors.push(FieldError::new(
                "vehicle.max_axle_load_kg",
                Message::new(match kind {
                    "hydraulic_modular" => "rule.any_axle_line_load",
                    _ => "rule.any_axle_load",
                })
                .with("max", limit.any_kg),
            ));
        }
        errors
    }

    pub fn required_attachments(&self, class: PermitClass) -> &[AttachmentKind] {
        match class {
            PermitClass::III => &self.class_iii.required_attachments,
            PermitClass::I | PermitClass::II => &[],
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize,
)]
pub enum PermitClass {
    I,
    II,
    III,
}

impl PermitClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PermitClass::I => "I",
            PermitClass::II => "II",
            PermitClass::III => "III",
        }
    }
}

impl fmt::Display for PermitClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// 轮廓图: the contour drawing of the loaded vehicle.
    ContourDrawing,
    /// 护送方案: the escort plan.
    EscortPlan,
    VehicleLicence,
    Other,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::ContourDrawing => "contour_drawing",
            AttachmentKind::EscortPlan => "escort_plan",
            AttachmentKind::VehicleLicence => "vehicle_licence",
            AttachmentKind::Other => "other",
        }
    }
}

impl FromStr for AttachmentKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            AttachmentKind::ContourDrawing,
            AttachmentKind::EscortPlan,
            AttachmentKind::VehicleLicence,
            AttachmentKind::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown attachment kind {s:?}"))
    }
}

/// What the register says of the applying firm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmStanding {
    /// Whether its operating licence covers oversize transport (大件运输经营资质).
    pub oversize_qualified: bool,
    /// The last day of a restriction period (限制期), if one was imposed.
    pub restricted_until: Option<NaiveDate>,
}

/// Reasons an application is not accepted at all (不予受理).
pub fn not_accepted(
    subject: &impl Subject,
    firm: &FirmStanding,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut reasons = Vec::new();
    for load in subject.loads() {
        if load.cargo.divisible {
            reasons.push(FieldError::new(
                format!("{}cargo.divisible", load.prefix),
                Message::new("rule.divisible"),
            ));
        }
    }
    if !firm.oversize_qualified {
        reasons.push(FieldError::new(
            "firm",
            Message::new("rule.firm_not_qualified"),
        ));
    }
    if let Some(until) = firm.restricted_until.filter(|until| *until >= today) {
        reasons.push(FieldError::new(
            "firm",
            Message::new("rule.firm_restricted").with("until", until),
        ));
    }
    reasons
}

/// The outcome of checking a parsed application against every rule of SPEC §2.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub class: PermitClass,
    pub issuer: Issuer,
    pub statutory_working_days: u32,
}

/// An attachment as the rules see it: its kind, and the project load it is for, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub kind: AttachmentKind,
    pub load: Option<String>,
}

impl From<AttachmentKind> for Attached {
    fn from(kind: AttachmentKind) -> Self {
        Attached { kind, load: None }
    }
}

/// Every rule a submission must pass, with every failure at once: each load needs a permit,
/// can be accepted and granted; the firm may apply; each class's attachments are there (for a
/// project, a contour drawing per class III load and one escort plan for all). The class is
/// the highest of the loads'.
pub fn assess(
    rules: &PermitRules,
    tree: &JurisdictionTree,
    subject: &impl Subject,
    firm: &FirmStanding,
    attachments: &[Attached],
    today: NaiveDate,
) -> Result<Assessment, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let loads = subject.loads();
    for load in &loads {
        if !rules.needs_permit(&load.vehicle) {
            errors.push(FieldError::new(
                format!("{}vehicle", load.prefix),
                Message::new("rule.no_permit_needed"),
            ));
        }
    }
    for reason in not_accepted(subject, firm, today) {
        errors.push(reason);
    }
    for load in &loads {
        for reason in rules.cannot_be_granted(&load.vehicle) {
            errors.push(FieldError {
                field: format!("{}{}", load.prefix, reason.field),
                ..reason
            });
        }
    }
    let classes: Vec<(Option<&str>, PermitClass)> = loads
        .iter()
        .map(|l| (l.key, rules.classify(&l.vehicle)))
        .collect();
    let class = classes
        .iter()
        .map(|(_, c)| *c)
        .max()
        .unwrap_or(PermitClass::I);
    for missing in missing_attachments(rules, &classes, attachments) {
        errors.push(missing);
    }
    let issuer = tree.issuer_for(&subject.route().counties());
    if issuer.is_none() {
        errors.push(FieldError::new(
            "route.segments",
            Message::new("rule.no_issuer"),
        ));
    }
    match issuer {
        Some(issuer) if errors.is_empty() => Ok(Assessment {
            class,
            issuer,
            statutory_working_days: rules.statutory_working_days(class),
        }),
        _ => Err(errors),
    }
}

/// The attachments each load's class needs and the application lacks, each named once: a
/// project's per-load kinds as `attachments.contour_drawing[blade]`, the others (and a single
/// application's) as `attachments.escort_plan`. `loads` are (project load key, class).
pub fn missing_attachments(
    rules: &PermitRules,
    loads: &[(Option<&str>, PermitClass)],
    attachments: &[Attached],
) -> Vec<FieldError> {
    let mut missing: Vec<FieldError> = Vec::new();
    for (key, class) in loads {
        for kind in rules.required_attachments(*class) {
            let per_load = rules.projects.per_load_attachments.contains(kind);
            let (field, present) = match key {
                Some(key) if per_load => (
                    format!("attachments.{}[{key}]", kind.as_str()),
                    attachments
                        .iter()
                        .any(|a| a.kind == *kind && a.load.as_deref() == Some(key)),
                ),
                _ => (
                    format!("attachments.{}", kind.as_str()),
                    attachments.iter().any(|a| a.kind == *kind),
                ),
            };
            if !present && !missing.iter().any(|e| e.field == field) {
                missing.push(FieldError::new(
                    field,
                    Message::new("rule.attachment_required").with("class", class),
                ));
            }
        }
    }
    missing
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
