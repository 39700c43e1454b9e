//! The OpenAPI description, generated from the handlers and their types.

use super::api::{admin, applications, auth, permits, reference, reports, tasks, test_support};
use super::ops;
use crate::service::applications::view;
use actix_web::{get, web, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "permitflow API", description = "Oversize-cargo road transport permits with parallel joint review."),
    paths(
        ops::healthz, ops::readyz, ops::metrics,
        auth::token, auth::me,
        reference::jurisdictions, reference::authorities,
        applications::create, applications::list, applications::get_one, applications::update,
        applications::upload, applications::submit, applications::respond, applications::withdraw,
        applications::events,
        tasks::queue, tasks::claim, tasks::release, tasks::decision,
        permits::get_permit, permits::verify, permits::record_trip, permits::revoke,
        reports::turnaround,
        reports::turnaround_csv,
        reports::escalations,
        test_support::clock, test_support::run_jobs,
        admin::failed_emails, admin::retry_email,
    ),
    components(schemas(
        auth::TokenRequest, auth::TokenResponse, auth::UserDto,
        reference::JurisdictionDto, reference::AuthorityDto,
        view::ApplicationView, view::PhaseView, view::TaskView, view::AttachmentView, view::QueueItem,
        view::EventView, applications::ApplicationPage, applications::RespondRequest, tasks::DecisionRequest,
        test_support::ClockRequest,
        permits::PermitView, permits::TripView, permits::Verification,
        permits::TripBody, permits::TripRecorded, permits::RevokeBody,
        reports::EscalationRow,
        crate::service::reports::Turnaround,
        crate::service::reports::GroupFigures,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json);
}

#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    let mut doc = ApiDoc::openapi();
    // The API paths are mounted under /api/v1; operations stay at the root.
    let paths = std::mem::take(&mut doc.paths.paths);
    for (path, item) in paths {
        let full = if matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics") {
            path
        } else {
            format!("/api/v1{path}")
        };
        doc.paths.paths.insert(full, item);
    }
    HttpResponse::Ok().json(doc)
}
