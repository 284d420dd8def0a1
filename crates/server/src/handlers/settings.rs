//! `/api/v1/settings` (SPEC §3.1): the billing details, read and changed by
//! holders of `billing.manage`, and the instance's configuration.

use axum::extract::State;
use gatehouse_api::{self as api, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::settings;

use super::respond::{IfMatch, Tagged, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::problem::ApiProblem;
use crate::state::App;

async fn current(app: &App) -> Result<api::Settings, ApiProblem> {
    let config = app.config();
    Ok(api::Settings {
        billing: app.store().billing().await?.into(),
        instance: api::Instance {
            catalogue: app.snapshot().catalogue().name().to_owned(),
            public_url: config.public_url.clone(),
            token_max_days: config.token_max_days,
            allow_non_expiring_tokens: config.allow_non_expiring_tokens,
        },
    })
}

/// `GET /api/v1/settings`.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = api::Settings), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(app): State<App>) -> Result<Tagged<api::Settings>, ApiProblem> {
    // Settings have no revision of their own: their tag is the model's.
    let revision = app.store().revision().await?;
    Ok(Tagged(revision, current(&app).await?))
}

/// `PUT /api/v1/settings`: replaces the billing details.
#[utoipa::path(put, path = "/api/v1/settings", tag = "settings", request_body = api::PutSettings,
    responses((status = 200, body = api::Settings), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(app): State<App>,
    caller: Caller,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::PutSettings>,
) -> Result<Written<api::Settings>, ApiProblem> {
    let writer = app.writer().await?;
    let commit = settings::put_billing(&writer.ctx(&caller.acting), body.billing.into()).await?;
    if_match.holds(writer.snapshot().revision())?;
    let revision = writer.commit(&commit).await?;
    Ok(Written::ok(revision, current(&app).await?))
}
