//! Amendments on the permit's page: the holder asks for one (new plates, a later last day,
//! more trips, with a reason), and everyone who reads the permit sees its amendments, each
//! change as old → new.

// The page module's helpers and imports, shared by its halves.
use super::*;
use crate::domain::amendment::{AmendmentStatus, Changes};
use crate::service::applications::amendments::{self as amendments, Amendment};
use std::collections::HashMap;

/// One change of an amendment, as its readers read it: what, from, to.
pub struct ChangeLine {
    pub what: &'static str,
    pub from: String,
    pub to: String,
}

/// An amendment as the permit's page (and the amendment's review page) shows it.
pub struct AmendmentLine {
    pub id: String,
    pub reference: String,
    pub status: &'static str,
    /// "审核中", "已批准，第 2 版", "未批准".
    pub status_words: String,
    pub at: String,
    pub reason: String,
    pub changes: Vec<ChangeLine>,
    /// Why it was not approved.
    pub refusal: String,
}

fn vehicles_text(vehicles: &[Vec<String>], en: bool) -> String {
    vehicles
        .iter()
        .map(|plates| plates.join(" "))
        .collect::<Vec<_>>()
        .join(if en { "; " } else { "；" })
}

/// Each change as (what, old, new), in the reader's language.
pub fn change_lines(changes: &Changes, previous: &Changes, en: bool) -> Vec<ChangeLine> {
    let word = |zh: &'static str, english: &'static str| if en { english } else { zh };
    let mut lines = Vec::new();
    if let Some(new) = &changes.plates {
        lines.push(ChangeLine {
            what: word("车辆号牌", "Plates"),
            from: vehicles_text(previous.plates.as_deref().unwrap_or_default(), en),
            to: vehicles_text(new, en),
        });
    }
    if let Some(new) = changes.valid_to {
        lines.push(ChangeLine {
            what: word("有效期至", "Valid to"),
            from: previous.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            to: new.to_string(),
        });
    }
    if let Some(new) = changes.trips_allowed {
        lines.push(ChangeLine {
            what: word("通行次数", "Trips"),
            from: previous
                .trips_allowed
                .map(|t| t.to_string())
                .unwrap_or_default(),
            to: new.to_string(),
        });
    }
    lines
}

pub fn amendment_line(engine: &Engine, a: &Amendment, en: bool) -> AmendmentLine {
    let status_words = match (a.status, a.row.to_version) {
        (AmendmentStatus::Approved, Some(v)) if en => format!("approved: version {v}"),
        (AmendmentStatus::Approved, Some(v)) => format!("已批准，第 {v} 版"),
        (AmendmentStatus::Approved, None) => if en { "approved" } else { "已批准" }.into(),
        (AmendmentStatus::Rejected, _) => if en { "not approved" } else { "未批准" }.into(),
        (AmendmentStatus::Withdrawn, _) => if en { "withdrawn" } else { "已撤回" }.into(),
        (AmendmentStatus::UnderReview, _) => if en { "under review" } else { "审核中" }.into(),
    };
    let refusal = a
        .case
        .tasks
        .iter()
        .find(|t| t.state == crate::domain::workflow::TaskState::Rejected)
        .and_then(|t| t.comment.clone())
        .unwrap_or_default();
    AmendmentLine {
        id: a.row.id.clone(),
        reference: a.reference.clone(),
        status: a.status.as_str(),
        status_words,
        at: local(engine, a.row.created_at),
        reason: a.row.reason.clone(),
        changes: change_lines(&a.changes, &a.previous, en),
        refusal,
    }
}

/// The holder's form: what the permit is now, prefilled, what was typed, and the errors.
pub struct AmendForm {
    pub vehicles: String,
    pub valid_to: String,
    pub trips_allowed: String,
    pub reason: String,
    pub errors: HashMap<String, String>,
    pub general: Vec<String>,
    /// Whether it is offered at all (an amendment is under review, or the permit is revoked
    /// or expired): why not, if not.
    pub closed: Option<String>,
    /// The application to copy for what is not an amendment.
    pub application_id: String,
}

impl AmendForm {
    pub fn e(&self, name: &str) -> &str {
        self.errors
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Prefilled with the permit as it is now.
    pub fn of(row: &PermitRow, vehicles: &[Vec<String>]) -> AmendForm {
        AmendForm {
            vehicles: vehicles
                .iter()
                .map(|v| v.join(" "))
                .collect::<Vec<_>>()
                .join("\n"),
            valid_to: row.valid_to.to_string(),
            trips_allowed: row.trips_allowed.to_string(),
            reason: String::new(),
            errors: HashMap::new(),
            general: Vec::new(),
            closed: None,
            application_id: row.application_id.clone(),
        }
    }
}

/// The form's vehicles (a line each: the tractor's plate, then its trailers'), as the API's
/// `changes.plates`.
fn plates_json(text: &str) -> serde_json::Value {
    let vehicles: Vec<serde_json::Value> = text
        .lines()
        .map(|line| {
            line.split([' ', ',', '，', '、', '\t'])
                .filter(|p| !p.trim().is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|plates| !plates.is_empty())
        .map(
            |plates| serde_json::json!({"tractor_plate": plates[0], "trailer_plates": plates[1..]}),
        )
        .collect();
    serde_json::Value::Array(vehicles)
}

/// Where an error of the request belongs on the form.
fn at_field(field: &str) -> Option<&'static str> {
    match field {
        f if f.starts_with("changes.plates") => Some("vehicles"),
        "changes.valid_to" => Some("valid_to"),
        "changes.trips_allowed" => Some("trips_allowed"),
        "reason" => Some("reason"),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
pub struct AmendPosted {
    pub csrf: Option<String>,
    pub vehicles: Option<String>,
    pub valid_to: Option<String>,
    pub trips_allowed: Option<String>,
    pub reason: Option<String>,
}

/// The holder asks for an amendment from the permit's page: every field is sent as it stands
/// (what is unchanged is no change), and what is refused comes back at its field.
#[post("/permits/{permit_no}/amendments")]
pub async fn ask(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: crate::web::input::Form<AmendPosted>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let permit_no = path.into_inner();
    let trips = form.trips_allowed.clone().unwrap_or_default();
    let changes = serde_json::json!({
        "plates": plates_json(form.vehicles.as_deref().unwrap_or_default()),
        "valid_to": form.valid_to.clone().unwrap_or_default().trim(),
        // A number if it reads as one; otherwise as typed, and refused at its field.
        "trips_allowed": trips.trim().parse::<i64>().map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(trips.trim())),
    });
    let (now, engine, caller, no) = (
        state.clock.now(),
        state.engine.clone(),
        current.clone(),
        permit_no.clone(),
    );
    let reason = form.reason.clone();
    let result = state
        .db(move |conn| {
            match amendments::request(
                conn,
                &engine,
                &caller,
                &PermitNo::from(&no),
                reason.as_deref(),
                &changes,
                None,
                now,
            ) {
                Ok(_) => Ok(Ok(())),
                Err(crate::service::ServiceError::Validation(errors)) => Ok(Err(errors.0)),
                Err(crate::service::ServiceError::Conflict(_)) => {
                    Ok(Err(vec![crate::domain::FieldError::new(
                        "amendment",
                        crate::domain::Message::new("page.amend.one_at_a_time"),
                    )]))
                }
                Err(other) => Err(other),
            }
        })
        .await?;
    let problems = match result {
        Ok(()) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/permits/{permit_no}?done=amendment"),
                ))
                .finish())
        }
        Err(problems) => problems,
    };
    let (errors, general) =
        super::super::form::errors_placed(&problems, lang, |f| at_field(f).map(str::to_string));
    let typed = AmendTyped {
        vehicles: form.vehicles.unwrap_or_default(),
        valid_to: form.valid_to.unwrap_or_default(),
        trips_allowed: trips,
        reason: form.reason.unwrap_or_default(),
        errors,
        general,
    };
    super::render_permit(
        &state,
        &session,
        lang,
        current,
        permit_no,
        None,
        Some(typed),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// What the holder typed into a refused request, and where it went wrong.
pub struct AmendTyped {
    pub vehicles: String,
    pub valid_to: String,
    pub trips_allowed: String,
    pub reason: String,
    pub errors: HashMap<String, String>,
    pub general: Vec<String>,
}

impl AmendForm {
    pub fn with_typed(mut self, typed: AmendTyped) -> AmendForm {
        self.vehicles = typed.vehicles;
        self.valid_to = typed.valid_to;
        self.trips_allowed = typed.trips_allowed;
        self.reason = typed.reason;
        self.errors = typed.errors;
        self.general = typed.general;
        self
    }
}
