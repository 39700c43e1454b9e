//! Reference data anyone may read: jurisdictions and authorities.

use crate::service::reference as q;
use crate::web::error::AppError;
use crate::web::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(jurisdictions).service(authorities);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionDto {
    /// GB/T 2260 code.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// county, prefecture or region.
    pub level: String,
    /// The enclosing jurisdiction; null for the region.
    pub parent: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorityDto {
    /// `{jurisdiction}-{KIND}`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub level: String,
    /// TRANSPORT, POLICE, HIGHWAY or GRID.
    pub kind: String,
    pub jurisdiction: String,
}

/// Every jurisdiction, with its level and parent.
#[utoipa::path(tag = "reference", responses((status = 200, body = [JurisdictionDto])))]
#[get("/jurisdictions")]
pub async fn jurisdictions(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.db(q::jurisdictions).await?;
    let body: Vec<JurisdictionDto> = rows
        .into_iter()
        .map(|r| JurisdictionDto {
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
            level: r.level,
            parent: r.parent,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Every authority, with its level, kind and jurisdiction.
#[utoipa::path(tag = "reference", responses((status = 200, body = [AuthorityDto])))]
#[get("/authorities")]
pub async fn authorities(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = state.db(q::authorities).await?;
    let body: Vec<AuthorityDto> = rows
        .into_iter()
        .map(|r| AuthorityDto {
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
            level: r.level,
            kind: r.kind,
            jurisdiction: r.jurisdiction,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
