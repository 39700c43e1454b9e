//! The admin's reference page: firms' standing, the authorities, the calendar years and days, the latest admin events; and its forms.

// The page module's private helpers and imports, shared by its two halves.
use super::*;

struct FirmLine {
    id: String,
    name: String,
    credit_code: String,
    qualified: bool,
    restricted_until: String,
}

#[derive(Template)]
#[template(path = "admin/reference.html")]
struct ReferencePage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    csrf: String,
    message: Option<(bool, String)>,
    days: Vec<(String, bool, String, bool)>,
    events: Vec<(String, String, String, String, String)>,
    firms: Vec<FirmLine>,
    authorities: Vec<(String, String, String, String)>,
    years: Vec<(i32, bool, String)>,
}

/// Firms, authorities and calendar years as the system has them (kept as data files and
/// loaded by `migrate`; see the README).
#[get("/admin/reference")]
async fn reference(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    query: crate::web::input::Query<UsersQuery>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let en = lang == Lang::En;
    let today = state.engine.today(state.clock.now());
    let tz = state.engine.timezone;
    let (firms, authorities, years, days, events) = state
        .db(move |conn| {
            let days = ref_service::calendar_days_from(conn, today - chrono::Days::new(31))?
                .into_iter()
                .map(|d| (d.day.to_string(), d.working, d.note, d.source == "admin"))
                .collect::<Vec<_>>();
            let events = admin::recent_events(conn, 20)?
                .into_iter()
                .map(|(e, actor)| {
                    use chrono::TimeZone;
                    (
                        tz.from_utc_datetime(&e.at)
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                        actor.unwrap_or_else(|| "CLI".into()),
                        e.kind,
                        e.subject,
                        e.detail,
                    )
                })
                .collect::<Vec<_>>();
            let firms = admin::firms(conn)?
                .into_iter()
                .map(|f| FirmLine {
                    id: f.id,
                    name: f.name,
                    credit_code: f.credit_code,
                    qualified: f.oversize_qualified,
                    restricted_until: f
                        .restricted_until
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                })
                .collect();
            let authorities = ref_service::authorities(conn)?
                .into_iter()
                .map(|a| {
                    (
                        a.code,
                        if en { a.name_en } else { a.name_zh },
                        a.kind,
                        a.level,
                    )
                })
                .collect();
            let years = ref_service::calendar_years(conn)?
                .into_iter()
                .map(|y| (y.year, y.verified, y.source))
                .collect();
            Ok((firms, authorities, years, days, events))
        })
        .await?;
    let frame = Frame::for_user(Some(&current), &session, lang);
    let message = match query.done.as_deref() {
        Some("firm") => Some((
            true,
            labels::word(en, "page.admin.the_firm_is_updated").to_string(),
        )),
        Some("day") => Some((
            true,
            labels::word(en, "page.admin.the_calendar_is_updated_deadlines_use_it").to_string(),
        )),
        _ => None,
    };
    let page = ReferencePage {
        lang_tag: lang.tag(),
        en,
        csrf: frame.csrf.clone(),
        frame,
        message,
        days,
        events,
        firms,
        authorities,
        years,
    };
    html_with_status(StatusCode::OK, page)
}

fn back_to_reference(done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/reference?done={done}")))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct FirmForm {
    pub csrf: Option<String>,
    pub qualified: Option<String>,
    pub restricted_until: Option<String>,
}

fn date_field(field: &str, raw: Option<&str>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|_| {
            AppError::Validation(
                crate::domain::FieldError::new(
                    field,
                    crate::domain::Message::new("error.date").with("value", raw),
                )
                .into(),
            )
        }),
    }
}

/// A firm's qualification and restriction, from the reference page.
#[post("/admin/firms/{id}")]
async fn firm_standing(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: crate::web::input::Form<FirmForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    session::check_csrf(&session, form.csrf.as_deref())?;
    let until = date_field("restricted_until", form.restricted_until.as_deref())?;
    let qualified = form.qualified.as_deref() == Some("yes");
    let (actor, now, id) = (
        current.user.id.clone(),
        state.clock.now(),
        path.into_inner(),
    );
    state
        .db(move |conn| admin::set_firm_standing(conn, &actor, &id, qualified, until, now))
        .await?;
    Ok(back_to_reference("firm"))
}

#[derive(Debug, Deserialize)]
pub struct DayForm {
    pub csrf: Option<String>,
    pub day: Option<String>,
    pub working: Option<String>,
    pub note: Option<String>,
}

/// Marks a day as a working day or a holiday.
#[post("/admin/calendar")]
async fn calendar_day(
    state: web::Data<AppState>,
    session: Session,
    form: crate::web::input::Form<DayForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let day = date_field("day", form.day.as_deref())?.ok_or_else(|| {
        AppError::Validation(
            crate::domain::FieldError::new("day", crate::domain::Message::new("error.required"))
                .into(),
        )
    })?;
    let working = form.working.as_deref() == Some("yes");
    let note = form.note.unwrap_or_default();
    let (actor, now) = (current.user.id.clone(), state.clock.now());
    state
        .db(move |conn| admin::set_calendar_day(conn, &actor, day, working, &note, now))
        .await?;
    Ok(back_to_reference("day"))
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    pub csrf: Option<String>,
}

#[post("/admin/calendar/{day}/clear")]
async fn clear_day(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: crate::web::input::Form<CsrfOnly>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    session::check_csrf(&session, form.csrf.as_deref())?;
    let day = date_field("day", Some(&path.into_inner()))?.ok_or(AppError::NotFound)?;
    let (actor, now) = (current.user.id.clone(), state.clock.now());
    state
        .db(move |conn| admin::clear_calendar_day(conn, &actor, day, now))
        .await?;
    Ok(back_to_reference("day"))
}
