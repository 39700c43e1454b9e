//! The HTTP side: application state, the edge middleware (request ids, metrics, errors in the
//! caller's language), and the routes, grouped by who uses them.

pub mod api;
pub mod error;
pub mod extract;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod session;
pub mod sign_ins;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{DbConnection, Pool};
use crate::mail::outbox::Delivery;
use crate::service::Engine;
use crate::service::ServiceError;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{web, App, HttpMessage, HttpServer};
use error::AppError;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;
use tracing_actix_web::{RequestId, TracingLogger};

/// Everything the pages use comes from this server: no inline scripts or styles, no frames
/// (clickjacking), forms post only here. The QR code is inline SVG markup, not an image.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The longest a request waits for the database (a connection, then its statements).
pub const DB_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Largest JSON body accepted, in bytes.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub engine: Arc<Engine>,
    pub mailer: Arc<Delivery>,
    pub metrics: metrics::Metrics,
    /// Sign-ins remembered for a moment (`sign_ins::REMEMBER_FOR`).
    pub sign_ins: Arc<sign_ins::SignIns>,
}

impl AppState {
    /// Runs blocking database work on the blocking thread pool with a pooled connection.
    /// A request gives up after `DB_WAIT` and answers 503: a database cut off without a word
    /// (packets dropped) would otherwise hold it for the whole outage. The work itself ends
    /// when the connection's own timeouts end it, or completes when the database is back.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let work = web::block(move || -> Result<T, ServiceError> {
            let mut conn = pool.get()?;
            let result = f(&mut conn);
            if matches!(
                result,
                Err(ServiceError::Unavailable(_) | ServiceError::Database(_))
            ) {
                conn.suspect();
            }
            result
        });
        match actix_web::rt::time::timeout(DB_WAIT, work).await {
            Ok(result) => result?.map_err(AppError::from),
            Err(_) => {
                tracing::warn!(
                    seconds = DB_WAIT.as_secs(),
                    "the database did not answer in time"
                );
                Err(AppError::Unavailable)
            }
        }
    }
}

/// How the HTTP server runs.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    pub workers: usize,
    /// Stop gracefully on SIGINT/SIGTERM (the CLI); tests stop their servers themselves.
    pub handle_signals: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            handle_signals: true,
        }
    }
}

/// Starts serving on `listener`; the returned server runs until stopped.
pub fn serve(
    listener: TcpListener,
    state: AppState,
    options: ServeOptions,
) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(api::json_config())
            // The edge inside the session: an error page still knows who is signed in.
            .wrap(from_fn(edge))
            .wrap(session::middleware(&data.settings))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "same-origin"))
                    .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
                    .add(("X-Frame-Options", "DENY"))
                    .add((
                        "Permissions-Policy",
                        "camera=(self), microphone=(), geolocation=()",
                    )),
            )
            .wrap(TracingLogger::default())
            .configure(|cfg| routes(cfg, &data))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::NotFound)
            }))
    })
    .workers(options.workers.max(1));
    let server = if options.handle_signals {
        server
    } else {
        server.disable_signals()
    };
    let server = server.listen(listener)?.run();
    Ok(server)
}

fn routes(cfg: &mut web::ServiceConfig, data: &web::Data<AppState>) {
    ops::routes(cfg);
    pages::routes(cfg);
    api::routes(cfg, data.clock.is_manual());
}

/// Around every request: counts it, renders an `AppError` in the caller's language with the
/// request id, and returns the id in `X-Request-Id` for support.
async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let lang = extract::lang_of(req.request());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let method = req.method().to_string();
    // People in a browser get a page; programs (the API, or anything not asking for HTML)
    // get API.md's JSON error.
    let wants_page = !req.path().starts_with("/api/")
        && req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let state = req.app_data::<web::Data<AppState>>().cloned();

    // No id or number holds a control character: such a path names nothing (and must not
    // reach a query, where PostgreSQL refuses a NUL).
    let response = if input::path_has_control(req.path()) {
        req.error_response(AppError::NotFound)
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    let app_error = response
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    // A page keeps its frame: whoever is signed in stays signed in on a 404 or a 403.
    let frame = match (&app_error, &state) {
        (Some(_), Some(state)) if wants_page => {
            use actix_session::SessionExt;
            let session = response.request().get_session();
            let current = session::user_of(state, &session).await.ok().flatten();
            Some(pages::frame::Frame::for_user(
                current.as_ref(),
                &session,
                lang,
            ))
        }
        _ => None,
    };
    let app_error = response
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    let mut response = match app_error {
        Some(error) => {
            let rendered = if let Some(frame) = frame {
                error.render_page(lang, &request_id, frame)
            } else {
                error.render(lang, &request_id)
            };
            response.into_response(rendered).map_into_right_body()
        }
        None => response.map_into_left_body(),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    if let Some(state) = state {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        state.metrics.observe(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}
