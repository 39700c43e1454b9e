//! The inspector's verdict for the vehicle in front of them (现场核销): after a scan the whole
//! screen says pass (green: this plate, which trip, the stage) or stop (red: why), large
//! enough to read at arm's length in sunlight, with any warning (outside the allowed hours)
//! in its own band. A pass is read back from the recorded scan (a redirect to
//! `/inspect/scans/{id}`), so reloading never records it twice; a stop is answered at once.

use super::frame::Frame;
use super::html_with_status;
use super::permits::local;
use crate::domain::permit::{allowed_hours, TripRefusal, TripStage};
use crate::i18n::Lang;
use crate::service::permits::{self as service, ScanVerdict};
use crate::service::Caller;
use crate::web::error::AppError;
use crate::web::extract::Locale;
use crate::web::session::{page_role, SignedIn};
use crate::web::AppState;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(scan_page);
}

#[derive(Template)]
#[template(path = "inspect/verdict.html")]
struct VerdictPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    pass: bool,
    plate: String,
    headline: String,
    detail: String,
    warnings: Vec<String>,
    permit_no: String,
    load: String,
    holder: String,
    valid: String,
    trips: String,
    next_url: String,
    /// After a stop: the form again with this plate, to correct it.
    again_url: String,
}

/// The words of a stop, one line an inspector can say to the driver.
pub(super) fn stop_words(lang: Lang, reason: TripRefusal, plate: &str) -> String {
    let key = match reason {
        TripRefusal::NotValidNow => "page.scan.stop.not_valid_now",
        TripRefusal::PlateMismatch => "page.scan.stop.plate_mismatch",
        TripRefusal::UsedUp => "page.scan.stop.used_up",
        TripRefusal::Revoked => "page.scan.stop.revoked",
        TripRefusal::NoTripUnderWay => "page.scan.stop.no_trip_under_way",
        TripRefusal::TripUnderWay => "page.scan.stop.trip_under_way",
        TripRefusal::Superseded => "page.scan.stop.superseded",
    };
    lang.text(key, &[("plate", plate.to_string())])
}

/// The permit's lines under the verdict.
struct PermitLines {
    permit_no: String,
    load: String,
    holder: String,
    valid: String,
    trips: String,
}

fn permit_lines(lang: Lang, permit: &crate::service::permits::Permit) -> PermitLines {
    let row = &permit.row;
    let load = match (&row.project_name, &row.load_key) {
        (Some(project), Some(load)) => format!("{project} · {load}"),
        (None, Some(load)) => load.clone(),
        _ => String::new(),
    };
    PermitLines {
        permit_no: row.permit_no.clone(),
        load,
        holder: row.holder_name.clone(),
        valid: format!("{} — {}", row.valid_from, row.valid_to),
        trips: lang.text(
            "page.scan.trips_used",
            &[
                ("used", row.trips_used.to_string()),
                ("allowed", row.trips_allowed.to_string()),
            ],
        ),
    }
}

fn hours_text(conditions: &[String]) -> String {
    allowed_hours(conditions)
        .map(|(from, to)| format!("{}–{}", from.format("%H:%M"), to.format("%H:%M")))
        .unwrap_or_default()
}

/// The red screen for a refused scan, answered to the form at once (409).
fn stop_screen(
    frame: Frame,
    lang: Lang,
    reason: TripRefusal,
    plate: &str,
    permit: Option<&crate::service::permits::Permit>,
    next_url: String,
) -> VerdictPage {
    let lines = permit.map(|p| permit_lines(lang, p));
    let plate = crate::domain::values::Plate::normalize(plate);
    VerdictPage {
        lang_tag: lang.tag(),
        en: lang == Lang::En,
        frame,
        pass: false,
        headline: stop_words(lang, reason, &plate),
        detail: lang.text("page.scan.stop.what_to_do", &[]),
        plate,
        warnings: Vec::new(),
        permit_no: lines
            .as_ref()
            .map(|l| l.permit_no.clone())
            .unwrap_or_default(),
        load: lines.as_ref().map(|l| l.load.clone()).unwrap_or_default(),
        holder: lines.as_ref().map(|l| l.holder.clone()).unwrap_or_default(),
        valid: lines.as_ref().map(|l| l.valid.clone()).unwrap_or_default(),
        trips: lines.map(|l| l.trips).unwrap_or_default(),
        next_url,
        again_url: String::new(),
    }
}

fn pass_page(
    engine: &crate::service::Engine,
    frame: Frame,
    lang: Lang,
    v: ScanVerdict,
) -> VerdictPage {
    let stage: TripStage = v.scan.stage.parse().unwrap_or(TripStage::Departure);
    let params = [
        ("no", v.trip.trip_no.to_string()),
        ("allowed", v.permit.row.trips_allowed.to_string()),
        ("departed", local(engine, v.trip.recorded_at)),
    ];
    let headline = lang.text(
        match stage {
            TripStage::Departure => "page.scan.pass.departure",
            TripStage::Checkpoint => "page.scan.pass.checkpoint",
            TripStage::Arrival => "page.scan.pass.arrival",
        },
        &params,
    );
    let hours = hours_text(&v.permit.conditions);
    let warnings: Vec<String> = serde_json::from_str::<Vec<String>>(&v.scan.warnings)
        .unwrap_or_default()
        .iter()
        .map(|w| match w.as_str() {
            "outside_allowed_hours" => lang.text(
                "page.scan.outside_allowed_hours",
                &[("hours", hours.clone())],
            ),
            other => other.to_string(),
        })
        .collect();
    let lines = permit_lines(lang, &v.permit);
    VerdictPage {
        lang_tag: lang.tag(),
        en: lang == Lang::En,
        frame,
        pass: true,
        plate: v.scan.plate.clone(),
        headline,
        detail: lang.text(
            "page.scan.pass.detail",
            &[
                ("at", local(engine, v.scan.at)),
                ("location", v.scan.location.clone()),
            ],
        ),
        warnings,
        // The next vehicle at the same checkpoint: the location stays typed.
        next_url: format!(
            "/inspect?{}",
            serde_urlencoded::to_string([
                ("no", v.permit.row.permit_no.as_str()),
                ("location", v.scan.location.as_str()),
            ])
            .unwrap_or_default()
        ),
        permit_no: lines.permit_no,
        load: lines.load,
        holder: lines.holder,
        valid: lines.valid,
        trips: lines.trips,
        again_url: String::new(),
    }
}

/// The scan form as sent: which permit, the plate typed, the page to go back to.
pub struct Scanned<'a> {
    pub permit_no: &'a str,
    pub plate: &'a str,
    /// Back to the form for the next vehicle (the location kept) …
    pub back: String,
    /// … or for this one again, its plate kept to correct a typing slip.
    pub again: String,
}

/// What the inspector sees after a scan form: a pass is redirected to its recorded scan
/// (reloading shows it again, never records it twice); a stop is the red screen at once.
pub async fn answer(
    state: &AppState,
    session: &Session,
    lang: Lang,
    current: Caller,
    scanned: Scanned<'_>,
    outcome: crate::service::permits::TripOutcome,
) -> Result<HttpResponse, AppError> {
    use crate::service::permits::TripOutcome;
    let Scanned {
        permit_no,
        plate,
        back,
        again,
    } = scanned;
    match outcome {
        TripOutcome::Recorded { scan_id, .. } => Ok(HttpResponse::SeeOther()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/inspect/scans/{scan_id}"),
            ))
            .finish()),
        TripOutcome::Refused(reason) => {
            let frame = Frame::for_user(Some(&current), session, lang);
            let (now, engine) = (state.clock.now(), state.engine.clone());
            let no = permit_no.to_string();
            let permit = state
                .db(move |conn| {
                    let no = crate::domain::ids::PermitNo::from(&no);
                    service::get(conn, &engine, &current, &no, now).map(|(p, _)| p)
                })
                .await
                .ok();
            let mut page = stop_screen(frame, lang, reason, plate, permit.as_ref(), back);
            page.again_url = again;
            html_with_status(StatusCode::CONFLICT, page)
        }
    }
}

/// The green screen of a recorded scan.
#[get("/inspect/scans/{id}")]
async fn scan_page(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    SignedIn(current, _): SignedIn<page_role::Inspector>,
) -> Result<HttpResponse, AppError> {
    let frame = Frame::for_user(Some(&current), &session, lang);
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let caller: Caller = current;
    let id = path.into_inner();
    let verdict = state
        .db(move |conn| service::scan_verdict(conn, &engine, &caller, &id, now))
        .await?;
    html_with_status(
        StatusCode::OK,
        pass_page(&state.engine, frame, lang, verdict),
    )
}
