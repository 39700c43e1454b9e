//! The OpenAPI description, generated from the handlers and their types.

use super::api::{
    accounts, admin, amendments, applications, auth, permits, reference, reports, tasks,
    test_support, views,
};
use super::ops;
use actix_web::{get, web, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "permitflow API", description = "Oversize-cargo road transport permits with parallel joint review."),
    paths(
        ops::healthz, ops::readyz, ops::metrics,
        auth::token, auth::me, accounts::update_me,
        accounts::register, accounts::confirm, accounts::list_registrations, accounts::approve,
        accounts::reject, accounts::reset, accounts::reset_confirm, accounts::colleagues,
        accounts::invite, accounts::colleague_active, accounts::accept_invitation,
        reference::jurisdictions, reference::authorities,
        applications::create, applications::list, applications::get_one, applications::update,
        applications::upload, applications::submit, applications::respond, applications::withdraw,
        applications::copy, applications::progress, applications::events,
        tasks::queue, tasks::claim, tasks::release, tasks::decision,
        permits::get_permit, permits::verify, permits::record_trip, permits::list_trips, permits::revoke,
        amendments::request, amendments::list,
        reports::turnaround,
        reports::turnaround_csv,
        reports::escalations,
        test_support::clock, test_support::run_jobs,
        admin::failed_emails, admin::retry_email,
    ),
    components(schemas(
        auth::TokenRequest, auth::TokenResponse, auth::UserDto,
        accounts::RegistrationRequest, accounts::RegistrationAccepted, accounts::TokenBody,
        accounts::RegistrationDto, accounts::ApproveRequest, accounts::RejectRequest,
        accounts::ResetRequest, accounts::PasswordByToken, accounts::MeUpdate,
        accounts::ColleagueDto, accounts::InviteRequest, accounts::ActiveRequest,
        reference::JurisdictionDto, reference::AuthorityDto,
        views::ApplicationView, views::PhaseView, views::TaskView, views::AttachmentView, views::QueueItem,
        views::EventView, views::ProgressView, views::LoadProgressView, views::InTransitView,
        views::VehicleTripsView, applications::ApplicationPage, applications::RespondRequest, tasks::DecisionRequest,
        test_support::ClockRequest,
        permits::PermitView, permits::TripView, permits::JourneyView, permits::ScanView, permits::Verification,
        permits::TripBody, permits::TripRecorded, permits::RevokeBody,
        amendments::AmendmentView, amendments::AmendmentBody, amendments::ChangesView, amendments::VehiclePlates,
        reports::EscalationRow,
        crate::service::reports::Turnaround,
        crate::service::reports::GroupFigures,
    )),
    modifiers(&BearerAuth, &ErrorAnswers),
)]
pub struct ApiDoc;

/// Every error, of every operation, in API.md's form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// bad_request, unauthorized, forbidden, not_found, conflict, payload_too_large,
    /// validation_failed, rate_limited, unavailable, internal.
    code: String,
    /// In the caller's language.
    message: String,
    /// With validation_failed: a message per field (`cargo.length_m`, `route.segments[0].road`).
    fields: Option<std::collections::HashMap<String, String>>,
    /// With a refused trip: why.
    reason: Option<String>,
}

/// Each operation's 4xx and 5xx answers, listed or not, carry the error form: a client (and
/// the API fuzzing in CI) can rely on it.
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in [
            ("ErrorBody", <ErrorBody as utoipa::PartialSchema>::schema()),
            (
                "ErrorDetail",
                <ErrorDetail as utoipa::PartialSchema>::schema(),
            ),
        ] {
            components.schemas.insert(name.into(), schema);
        }
        let error = |description: String| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                for (status, response) in responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(r)) = (is_error, response) {
                        if r.content.is_empty() {
                            *r = error(r.description.clone());
                        }
                    }
                }
                responses.insert("default".into(), RefOr::T(error("An error".into())));
            }
        }
    }
}

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
