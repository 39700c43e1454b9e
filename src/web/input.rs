//! What the edge lets in: text without control characters (a NUL cannot be stored in
//! PostgreSQL, and none belongs in a permit), and typed query strings, forms and JSON bodies
//! whose every error names its field in the error form of API.md.

use super::error::AppError;
use crate::domain::{FieldError, Message, ValidationErrors};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::{ready, Future, Ready};
use std::pin::Pin;

/// Characters no text field may hold: every control character but tab, line feed and
/// carriage return (a browser's text area sends line breaks as CR LF).
pub fn is_forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn control_character(field: impl Into<String>) -> FieldError {
    FieldError::new(field, Message::new("error.control_character"))
}

/// One text field: refused when it holds a forbidden character.
pub fn check_text(field: &str, text: &str) -> Result<(), AppError> {
    if text.chars().any(is_forbidden) {
        return Err(AppError::Validation(control_character(field).into()));
    }
    Ok(())
}

/// Every string (and key) of a JSON document, named as serde_path_to_error names fields:
/// `cargo.description`, `route.segments[0].road`.
pub fn check_json(value: &Value) -> Result<(), AppError> {
    let mut errors = ValidationErrors::default();
    walk(value, &mut String::new(), &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

fn walk(value: &Value, path: &mut String, errors: &mut ValidationErrors) {
    let here = |path: &str| {
        if path.is_empty() {
            ".".to_string()
        } else {
            path.to_string()
        }
    };
    match value {
        Value::String(s) if s.chars().any(is_forbidden) => {
            errors.push(control_character(here(path)))
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if key.chars().any(is_forbidden) {
                    errors.push(control_character(here(&path[..len])));
                } else {
                    walk(item, path, errors);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a request path carries a percent-encoded control character (`/applications/%00`):
/// no id or number holds one, so such a path names nothing.
pub fn path_has_control(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .is_some_and(|b| b < 0x20 || b == 0x7f)
    }) || path.chars().any(char::is_control)
}

/// A JSON body as `T`: every string checked, a value of the wrong type a 422 naming its field
/// (`cargo.length_m`, `route.segments[0].length_km`), as for any other invalid field.
pub fn typed<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    check_json(&value)?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let field = error.path().to_string();
        let detail = error.inner().to_string();
        let message = Message::new("error.wrong_type").with("detail", detail);
        AppError::Validation(FieldError::new(field, message).into())
    })
}

/// A JSON body as `T` where a missing or mistyped field makes the request unreadable (400,
/// saying which), as for a body read straight into `T`; every string checked first.
pub fn readable<T: DeserializeOwned>(value: Value) -> Result<T, AppError> {
    check_json(&value)?;
    serde_json::from_value(value).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// `application/x-www-form-urlencoded` text as `T`, each value checked, each error named.
pub fn urlencoded<T: DeserializeOwned>(text: &[u8]) -> Result<T, AppError> {
    let mut errors = ValidationErrors::default();
    for (name, value) in form_urlencoded::parse(text) {
        if name.chars().any(is_forbidden) || value.chars().any(is_forbidden) {
            let name: String = name.chars().filter(|c| !is_forbidden(*c)).collect();
            errors.push(control_character(name));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let inner = error.inner().to_string();
        // serde_urlencoded says "invalid digit found in string" for `per_page=AAA`.
        let message = if inner.contains("digit") || inner.contains("float") {
            Message::new("error.number")
        } else {
            Message::new("error.wrong_type").with("detail", inner)
        };
        AppError::Validation(FieldError::new(field, message).into())
    })
}

/// The query string as `T` (in place of `web::Query`, whose errors are plain text without the
/// field's name).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(urlencoded(req.query_string().as_bytes()).map(Query))
    }
}

/// A posted form as `T` (in place of `web::Form`).
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<T> Form<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                if e.as_response_error().status_code().as_u16() == 413 {
                    AppError::PayloadTooLarge("256 KiB".into())
                } else {
                    AppError::BadRequest(e.to_string())
                }
            })?;
            if !form_type {
                return Err(AppError::BadRequest(
                    "Content-Type must be application/x-www-form-urlencoded".into(),
                ));
            }
            urlencoded(&bytes).map(Form)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn fields(error: AppError) -> Vec<String> {
        match error {
            AppError::Validation(errors) => errors.0.into_iter().map(|e| e.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn control_characters_are_named_by_their_field() {
        let body = json!({"cargo": {"description": "blade\u{0}"},
            "route": {"segments": [{"road": "G7"}, {"road": "G\u{1b}[31m"}]},
            "comment": "line one\r\nline two\ttabbed"});
        assert_eq!(
            fields(check_json(&body).unwrap_err()),
            ["cargo.description", "route.segments[1].road"]
        );
        assert!(check_json(&json!({"comment": "第一行\r\n第二行\t"})).is_ok());
        assert!(check_json(&json!({"a\u{0}": 1})).is_err());
        assert!(check_json(&json!("\u{7f}")).is_err());
    }

    #[test]
    fn encoded_control_characters_in_a_path() {
        assert!(path_has_control("/api/v1/applications/%00"));
        assert!(path_has_control("/api/v1/permits/a%1Fb"));
        assert!(path_has_control("/x/%7f"));
        assert!(!path_has_control("/api/v1/permits/652328-2026-000001"));
        assert!(!path_has_control("/api/v1/applications/%E6%96%B0"));
        assert!(!path_has_control("/a/%2"));
    }

    #[derive(Debug, Deserialize)]
    struct Paging {
        #[allow(dead_code)]
        page: Option<i64>,
        #[allow(dead_code)]
        per_page: Option<i64>,
    }

    #[test]
    fn a_query_names_the_field_it_cannot_read() {
        assert_eq!(
            fields(urlencoded::<Paging>(b"page=1&per_page=AAA").unwrap_err()),
            ["per_page"]
        );
        assert_eq!(
            fields(urlencoded::<Paging>(b"page=%00").unwrap_err()),
            ["page"]
        );
        assert!(urlencoded::<Paging>(b"page=2").is_ok());
    }
}
