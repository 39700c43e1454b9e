//! The admin's reference page: firms' standing, the authorities, the calendar years and days, the latest admin events; and its forms.

// The page module's private helpers and imports, shared by its two halves.
use super::*;

use crate::domain::calendar::NATIONAL;
use crate::service::admin::CalendarDay;

/// One day of one calendar that differs from the weekday rule.
struct DayLine {
    calendar: String,
    calendar_name: String,
    day: String,
    working: bool,
    note: String,
    by_admin: bool,
}

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
    days: Vec<DayLine>,
    events: Vec<(String, String, String, String, String)>,
    firms: Vec<FirmLine>,
    authorities: Vec<(String, String, String, String)>,
    /// (year, calendar, verified, source) for every calendar that publishes its own notices,
    /// with the years it has not entered yet.
    years: Vec<(i32, String, bool, String)>,
    /// The calendars an admin may set a day in: (key, name).
    calendars: Vec<(String, String)>,
}

/// The calendars' names: the national one, then each jurisdiction by its code.
fn calendar_names(
    jurisdictions: Vec<crate::db::reference::JurisdictionRow>,
    en: bool,
) -> Vec<(String, String)> {
    let national = if en {
        "National (State Council)"
    } else {
        "全国（国务院）"
    };
    let mut names = vec![(NATIONAL.to_string(), national.to_string())];
    names.extend(jurisdictions.into_iter().map(|j| {
        let name = if en { j.name_en } else { j.name_zh };
        (j.code.clone(), format!("{} {name}", j.code))
    }));
    names
}

/// Each publishing calendar's years, with a not-entered line for every year another calendar
/// has and it lacks: that year's deadlines there count weekends and national days only.
fn year_lines(
    rows: Vec<crate::db::reference::CalendarYearRow>,
    names: &[(String, String)],
    en: bool,
) -> Vec<(i32, String, bool, String)> {
    let name = |code: &str| {
        names
            .iter()
            .find(|(c, _)| c == code)
            .map_or(code.to_string(), |(_, n)| n.clone())
    };
    let years: std::collections::BTreeSet<i32> = rows.iter().map(|r| r.year).collect();
    let calendars: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.jurisdiction.as_str()).collect();
    let mut lines = Vec::new();
    for year in &years {
        for calendar in &calendars {
            match rows
                .iter()
                .find(|r| r.year == *year && r.jurisdiction == *calendar)
            {
                Some(r) => lines.push((
                    *year,
                    name(calendar),
                    r.verified,
                    labels::source(&r.source, labels::language(en)).to_string(),
                )),
                None => lines.push((
                    *year,
                    name(calendar),
                    false,
                    if en {
                        "notice not entered"
                    } else {
                        "通知未录入"
                    }
                    .to_string(),
                )),
            }
        }
    }
    lines
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
    let (firms, authorities, years, days, events, calendars) = state
        .db(move |conn| {
            let calendars = calendar_names(crate::db::reference::all_jurisdictions(conn)?, en);
            let days = ref_service::calendar_days_from(conn, today - chrono::Days::new(31))?
                .into_iter()
                .map(|d| DayLine {
                    calendar_name: calendars
                        .iter()
                        .find(|(c, _)| *c == d.jurisdiction)
                        .map_or(d.jurisdiction.clone(), |(_, n)| n.clone()),
                    calendar: d.jurisdiction,
                    day: d.day.to_string(),
                    working: d.working,
                    note: d.note,
                    by_admin: d.source == "admin",
                })
                .collect::<Vec<_>>();
            let events = admin::recent_events(conn, 20)?
                .into_iter()
                .map(|(e, actor)| {
                    use chrono::TimeZone;
                    (
                        tz.from_utc_datetime(&e.at)
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                        actor.unwrap_or_else(|| {
                            labels::word(en, "page.admin.command_line").to_string()
                        }),
                        labels::admin_event(&e.kind, lang),
                        e.subject,
                        labels::admin_detail(&e.detail, lang),
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
                        labels::authority_kind(&a.kind, lang).to_string(),
                        crate::web::pages::level_label(&a.level, lang).to_string(),
                    )
                })
                .collect();
            let years = year_lines(ref_service::calendar_years(conn)?, &calendars, en);
            Ok((firms, authorities, years, days, events, calendars))
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
        calendars,
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
    /// Whose calendar: `CN` (national) when absent, else a jurisdiction code.
    pub jurisdiction: Option<String>,
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
    let calendar = calendar_key(form.jurisdiction);
    let (actor, now) = (current.user.id.clone(), state.clock.now());
    state
        .db(move |conn| {
            let day = CalendarDay {
                jurisdiction: &calendar,
                day,
            };
            admin::set_calendar_day(conn, &actor, day, working, &note, now)
        })
        .await?;
    state.engine.calendars.clear();
    Ok(back_to_reference("day"))
}

/// The calendar a form names; the national one when it names none.
fn calendar_key(raw: Option<String>) -> String {
    raw.map(|j| j.trim().to_string())
        .filter(|j| !j.is_empty())
        .unwrap_or_else(|| NATIONAL.to_string())
}

#[derive(Debug, Deserialize)]
pub struct ClearDayForm {
    pub csrf: Option<String>,
    pub jurisdiction: Option<String>,
}

#[post("/admin/calendar/{day}/clear")]
async fn clear_day(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: crate::web::input::Form<ClearDayForm>,
    SignedIn(current, _): SignedIn<page_role::Admin>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let day = date_field("day", Some(&path.into_inner()))?.ok_or(AppError::NotFound)?;
    let calendar = calendar_key(form.jurisdiction);
    let (actor, now) = (current.user.id.clone(), state.clock.now());
    state
        .db(move |conn| {
            let day = CalendarDay {
                jurisdiction: &calendar,
                day,
            };
            admin::clear_calendar_day(conn, &actor, day, now)
        })
        .await?;
    state.engine.calendars.clear();
    Ok(back_to_reference("day"))
}
