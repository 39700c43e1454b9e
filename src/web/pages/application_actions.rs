//! The application page's forms: a reviewer's claim, release and decision, the applicant's answer and withdrawal; each back to the page with its outcome, or the page again with the error.

// The page module's private helpers and imports, shared by its two halves.
use super::*;
use crate::domain::ids::{ApplicationId, TaskId};

fn back(id: &str, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/applications/{id}?done={done}")))
        .finish()
}

/// What a failed action says on the page: field errors with their field, or the conflict.
/// A form of the page, posted: which application, what it does, what the user typed.
struct Posted<'a> {
    id: &'a str,
    done: &'a str,
    typed_comment: String,
}

/// The end of every form of the page: back to it with what was done, or the page again with
/// the error in the user's words and what they had typed kept.
async fn answer(
    state: &AppState,
    session: &Session,
    current: Caller,
    lang: Lang,
    posted: Posted<'_>,
    result: Result<(), AppError>,
) -> Result<HttpResponse, AppError> {
    let Posted {
        id,
        done,
        typed_comment,
    } = posted;
    match result {
        Ok(()) => Ok(back(id, done)),
        Err(error) => {
            let (status, text) = failure(error, lang)?;
            let outcome = Outcome {
                message: Some((false, text)),
                typed_comment,
                status,
            };
            render(state, session, current, lang, id, outcome).await
        }
    }
}

fn failure(error: AppError, lang: Lang) -> Result<(StatusCode, String), AppError> {
    use actix_web::ResponseError;
    match &error {
        AppError::Validation(errors) => {
            let text = labels::field_errors(errors, lang, |field| {
                match field {
                    "comment" => lang.word("page.application.comment_or_reason"),
                    "message" => lang.word("page.application.answer"),
                    other => other,
                }
                .to_string()
            });
            Ok((error.status_code(), text))
        }
        AppError::Conflict(_) | AppError::Forbidden => {
            let body = error.body(lang, "-");
            let text = body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            Ok((error.status_code(), text))
        }
        _ => Err(error),
    }
}

/// A form's fields, repeated ones included (several `condition` boxes).
fn fields(body: &web::Bytes) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|e| AppError::BadRequest(e.to_string()))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Claim, release, approve (with conditions), request information or reject, from the form on
/// the application page.
#[post("/applications/{id}/tasks/{task}")]
async fn task_action(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = fields(&body)?;
    session::check_csrf(&session, field(&form, "csrf"))?;
    let (id, task_id) = path.into_inner();
    let action = field(&form, "action").unwrap_or_default().to_string();
    let comment = field(&form, "comment")
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let mut conditions: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "condition")
        .map(|(_, v)| v.clone())
        .collect();
    if let Some(more) = field(&form, "more_conditions") {
        conditions.extend(
            more.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let caller = current.clone();
    let (task, act) = (task_id.clone(), action.clone());
    let comment_kept = comment.clone();
    let result = state
        .db(move |conn| {
            let decision = match act.as_str() {
                "claim" | "release" => {
                    service::claim_or_release(
                        conn,
                        &engine,
                        &caller,
                        &TaskId::from(&task),
                        act == "claim",
                        now,
                    )?;
                    return Ok(());
                }
                "approve" => Decision::Approve,
                "request_info" => Decision::RequestInfo,
                "reject" => Decision::Reject,
                other => {
                    return Err(crate::service::ServiceError::Conflict(format!(
                        "unknown action {other}"
                    )))
                }
            };
            let decision = TaskDecision {
                decision,
                comment: Some(comment).filter(|c| !c.is_empty()),
                conditions: if decision == Decision::Approve {
                    conditions
                } else {
                    Vec::new()
                },
            };
            service::decide(conn, &engine, &caller, &TaskId::from(&task), decision, now).map(drop)
        })
        .await;
    let posted = Posted {
        id: &id,
        done: &action,
        typed_comment: comment_kept,
    };
    answer(&state, &session, current, lang, posted, result).await
}

#[post("/applications/{id}/respond")]
async fn respond(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    body: web::Bytes,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = fields(&body)?;
    session::check_csrf(&session, field(&form, "csrf"))?;
    let id = path.into_inner();
    let message = field(&form, "message")
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let (caller, app_id, text) = (current.clone(), id.clone(), message.clone());
    let result = state
        .db(move |conn| {
            if text.is_empty() {
                return Err(crate::domain::FieldError::new(
                    "message",
                    crate::domain::Message::new("error.required"),
                )
                .into());
            }
            service::respond(
                conn,
                &engine,
                &caller,
                &ApplicationId::from(&app_id),
                &text,
                None,
                now,
            )
            .map(drop)
        })
        .await;
    let posted = Posted {
        id: &id,
        done: "respond",
        typed_comment: message,
    };
    answer(&state, &session, current, lang, posted, result).await
}

#[post("/applications/{id}/withdraw")]
async fn withdraw(
    state: web::Data<AppState>,
    session: Session,
    Locale(lang): Locale,
    path: web::Path<String>,
    body: web::Bytes,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let form = fields(&body)?;
    session::check_csrf(&session, field(&form, "csrf"))?;
    let id = path.into_inner();
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let (caller, app_id) = (current.clone(), id.clone());
    let result = state
        .db(move |conn| {
            service::withdraw(conn, &engine, &caller, &ApplicationId::from(&app_id), now).map(drop)
        })
        .await;
    let posted = Posted {
        id: &id,
        done: "withdraw",
        typed_comment: String::new(),
    };
    answer(&state, &session, current, lang, posted, result).await
}
