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

/// What an action's buttons did, in the words of its stage: approving at acceptance accepts,
/// at issuance issues the permit.
fn done_of(stage: &str, action: &str) -> String {
    match (stage, action) {
        ("acceptance", "approve") => "accept",
        ("acceptance", "reject") => "not_accept",
        ("issuance", "approve") => "issue",
        (_, other) => other,
    }
    .to_string()
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
            let field_error = at_field(&error, lang);
            let (status, text) = failure(error, lang)?;
            let outcome = Outcome {
                message: field_error.is_none().then_some((false, text)),
                done: None,
                field_error,
                typed_comment,
                status,
            };
            render(state, session, current, lang, id, outcome).await
        }
    }
}

/// A failure that belongs at one field of the page's forms (the comment a refusal needs, the
/// answer, the reason to withdraw, a file), to be shown there rather than at the top.
fn at_field(error: &AppError, lang: Lang) -> Option<(&'static str, String)> {
    let AppError::Validation(errors) = error else {
        return None;
    };
    let first = errors.0.first()?;
    let field = match first.field.as_str() {
        "comment" => "comment",
        "message" => "message",
        "reason" => "reason",
        f if f.starts_with("file") || f.starts_with("attachments") => "file",
        _ => return None,
    };
    let text = errors
        .0
        .iter()
        .map(|e| lang.message(&e.message))
        .collect::<Vec<_>>()
        .join("; ");
    Some((field, text))
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
    let done = done_of(field(&form, "stage").unwrap_or_default(), &action);
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
        done: &done,
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
    payload: actix_multipart::Multipart,
    SignedIn(current, _): SignedIn,
) -> Result<HttpResponse, AppError> {
    let posted = super::super::form::fields::read_form(payload).await?;
    session::check_csrf(&session, Some(&posted.csrf))?;
    let id = path.into_inner();
    let message = posted
        .values
        .get("message")
        .map(|m| m.trim().to_string())
        .unwrap_or_default();
    let (now, engine) = (state.clock.now(), state.engine.clone());
    let (caller, app_id, text) = (current.clone(), id.clone(), message.clone());
    let files = posted.files;
    let result = state
        .db(move |conn| {
            if text.is_empty() {
                return Err(crate::domain::FieldError::new(
                    "message",
                    crate::domain::Message::new("error.required"),
                )
                .into());
            }
            let app = ApplicationId::from(&app_id);
            // The documents asked for and the answer arrive together, or neither does.
            service::respond_with_files(conn, &engine, &caller, &app, &text, None, &files, now)
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
    let reason = field(&form, "reason")
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let result = state
        .db(move |conn| {
            // The page asks why: the authorities whose review stops are told.
            if reason.is_empty() {
                return Err(crate::domain::FieldError::new(
                    "reason",
                    crate::domain::Message::new("error.required"),
                )
                .into());
            }
            service::withdraw_because(
                conn,
                &engine,
                &caller,
                &ApplicationId::from(&app_id),
                Some(&reason),
                now,
            )
            .map(drop)
        })
        .await;
    let posted = Posted {
        id: &id,
        done: "withdraw",
        typed_comment: String::new(),
    };
    answer(&state, &session, current, lang, posted, result).await
}
