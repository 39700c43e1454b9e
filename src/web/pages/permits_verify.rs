//! The public verification page a QR code opens, and the inspector's trip form on it.

// The page module's helpers and imports, shared by its two halves.
use super::*;

/// What the phone shows: authentic or not, and for an authentic permit only what the public
/// may see (no people), plus the trip form for a signed-in inspector.
#[derive(Template)]
#[template(path = "public/verify.html")]
struct VerifyPage {
    lang_tag: &'static str,
    en: bool,
    frame: Frame,
    permit_no: String,
    token: String,
    found: Option<PublicView>,
    /// The code is a genuine one of an older version: the version now.
    superseded: Option<i32>,
    inspector: bool,
    csrf: String,
    message: Option<(bool, String)>,
    plate: String,
    location: String,
}

struct PublicView {
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    holder: String,
    plates: Vec<String>,
    valid_from: String,
    valid_to: String,
    trips_used: i32,
    trips_allowed: i32,
    conditions: Vec<String>,
    authority: String,
}

#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    pub t: Option<String>,
    /// What was typed before a stop, kept for the next try.
    pub plate: Option<String>,
    pub location: Option<String>,
}

/// What the page says besides the permit: a message after a trip form, what was typed.
struct FormState {
    message: Option<(bool, String)>,
    plate: String,
    location: String,
    status: StatusCode,
}

impl FormState {
    fn message(message: Option<(bool, String)>) -> Self {
        FormState {
            message,
            plate: String::new(),
            location: String::new(),
            status: StatusCode::OK,
        }
    }
}

async fn render_verify(
    state: &AppState,
    session: &Session,
    lang: Lang,
    permit_no: String,
    token: String,
    form: FormState,
) -> Result<HttpResponse, AppError> {
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let en = lang == Lang::En;
    let (no, t) = (permit_no.clone(), token.clone());
    let (found, superseded) = state
        .db(move |conn| {
            let no = PermitNo::from(&no);
            let Some(permit) = service::verify(conn, &engine, &no, &t, now)? else {
                // An older version's code: genuine, and no longer the permit.
                return Ok((None, service::superseded_by(conn, &engine, &no, &t)?));
            };
            let authority = ref_service::find_authority(conn, &permit.row.issuing_authority)?
                .map(|a| if en { a.name_en } else { a.name_zh })
                .unwrap_or_else(|| permit.row.issuing_authority.clone());
            let (status_zh, status_en) = status_names(permit.status);
            Ok((
                Some(PublicView {
                    status: permit.status.as_str(),
                    status_zh,
                    status_en,
                    holder: permit.row.holder_name,
                    plates: permit.plates,
                    valid_from: permit.row.valid_from.to_string(),
                    valid_to: permit.row.valid_to.to_string(),
                    trips_used: permit.row.trips_used,
                    trips_allowed: permit.row.trips_allowed,
                    conditions: permit
                        .conditions
                        .iter()
                        .map(|c| crate::i18n::condition(c, lang))
                        .collect(),
                    authority,
                }),
                None,
            ))
        })
        .await?;
    let current = session::user_of(state, session).await?;
    let inspector = found.is_some() && current.as_ref().is_some_and(|u| u.role == Role::Inspector);
    let frame = Frame::for_user(current.as_ref(), session, lang);
    let page = VerifyPage {
        lang_tag: lang.tag(),
        en,
        frame,
        permit_no,
        token,
        found,
        superseded,
        inspector,
        csrf: if inspector {
            session::csrf_token(session)
        } else {
            String::new()
        },
        message: form.message,
        plate: form.plate,
        location: form.location,
    };
    let mut response = html_with_status(form.status, page)?;
    // The token is in the address: keep it out of Referer headers and caches.
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[get("/verify/{permit_no}")]
async fn verify_page(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    query: crate::web::input::Query<VerifyQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    render_verify(
        &state,
        &session,
        lang,
        path.into_inner(),
        query.t.unwrap_or_default(),
        FormState {
            plate: query.plate.unwrap_or_default(),
            location: query.location.unwrap_or_default(),
            ..FormState::message(None)
        },
    )
    .await
}

fn field_label(field: &str, lang: Lang) -> &str {
    match (field, lang) {
        ("plate", Lang::En) => "Plate seen",
        ("plate", Lang::Zh) => "实际号牌",
        ("location", Lang::En) => "Location",
        ("location", Lang::Zh) => "核销地点",
        ("note", Lang::En) => "Note",
        ("note", Lang::Zh) => "备注",
        (other, _) => other,
    }
}

#[derive(Debug, Deserialize)]
pub struct TripForm {
    pub csrf: Option<String>,
    pub t: Option<String>,
    pub plate: Option<String>,
    pub location: Option<String>,
    pub note: Option<String>,
    pub stage: Option<String>,
}

/// Records a trip from a page's form: the outcome, or the form's errors in words that name
/// each field.
pub async fn trip_from_form(
    state: &AppState,
    current: Caller,
    lang: Lang,
    permit_no: &str,
    form: &TripForm,
) -> Result<Result<TripOutcome, String>, AppError> {
    let input = TripInput {
        plate: form.plate.clone(),
        location: form.location.clone(),
        note: form.note.clone(),
        stage: form.stage.clone(),
        token: form.t.clone(),
    };
    let (caller, now, engine) = (current, state.clock.now(), state.engine.clone());
    let no = permit_no.to_string();
    let outcome = state
        .db(move |conn| {
            service::record_trip(conn, &engine, &caller, &PermitNo::from(&no), &input, now)
        })
        .await;
    match outcome {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(AppError::Validation(errors)) => Ok(Err(crate::web::pages::labels::field_errors(
            &errors,
            lang,
            |field| field_label(field, lang).to_string(),
        ))),
        Err(other) => Err(other),
    }
}

/// The inspector's trip form on the verification page; back to the page with the outcome.
#[post("/verify/{permit_no}/trips")]
async fn record_trip(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    form: crate::web::input::Form<TripForm>,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    session::check_csrf(&session, form.csrf.as_deref())?;
    let permit_no = path.into_inner();
    let token = form.t.clone().unwrap_or_default();
    // The form stands on the page the QR code opened: its token must be the permit's, as
    // for the API (an inspector without a code uses the check page by number instead).
    let (no, t, engine, now) = (
        permit_no.clone(),
        token.clone(),
        state.engine.clone(),
        state.clock.now(),
    );
    let authentic = state
        .db(move |conn| {
            Ok(service::verify(conn, &engine, &PermitNo::from(&no), &t, now)?.is_some())
        })
        .await?;
    if !authentic {
        let form = FormState {
            status: StatusCode::NOT_FOUND,
            ..FormState::message(None)
        };
        return render_verify(&state, &session, lang, permit_no, token, form).await;
    }
    match trip_from_form(&state, current.clone(), lang, &permit_no, &form).await? {
        Ok(outcome) => {
            let location = form.location.as_deref().unwrap_or_default();
            let back = format!(
                "/verify/{permit_no}?{}",
                serde_urlencoded::to_string([("t", token.as_str()), ("location", location)])
                    .unwrap_or_default()
            );
            let again = format!(
                "{back}&{}",
                serde_urlencoded::to_string([("plate", form.plate.as_deref().unwrap_or_default())])
                    .unwrap_or_default()
            );
            let plate = form.plate.clone().unwrap_or_default();
            super::super::scan::answer(
                &state,
                &session,
                lang,
                current,
                super::super::scan::Scanned {
                    permit_no: &permit_no,
                    plate: &plate,
                    back,
                    again,
                },
                outcome,
            )
            .await
        }
        Err(errors) => {
            let form = FormState {
                message: Some((false, errors)),
                plate: form.plate.unwrap_or_default(),
                location: form.location.unwrap_or_default(),
                status: StatusCode::UNPROCESSABLE_ENTITY,
            };
            render_verify(&state, &session, lang, permit_no, token, form).await
        }
    }
}
