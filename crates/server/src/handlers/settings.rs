//! `/api/v1/settings` (SPEC §3.1): the billing details, read and changed by
//! holders of `billing.manage`, and the instance's configuration.

use axum::extract::State;
use gatehouse_api::{self as api, Problem};

use super::respond::{IfMatch, Tagged, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::Via;
use crate::operations::settings::Settings;
use crate::problem::ApiProblem;
use crate::state::App;

fn wire(settings: Settings) -> api::Settings {
    api::Settings {
        billing: settings.billing.into(),
        instance: api::Instance {
            catalogue: settings.catalogue,
            public_url: settings.public_url,
            token_max_days: settings.token_max_days,
            allow_non_expiring_tokens: settings.allow_non_expiring_tokens,
        },
    }
}

/// `GET /api/v1/settings`.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = api::Settings), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn get(State(app): State<App>) -> Result<Tagged<api::Settings>, ApiProblem> {
    let settings = app.ops(Via::Api).settings().await?;
    // Settings have no revision of their own: their tag is the model's.
    Ok(Tagged(settings.revision, wire(settings)))
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
    let done = app
        .ops(Via::Api)
        .put_billing(&caller.acting, body.billing.into(), if_match.0)
        .await?;
    Ok(Written::ok(done.revision, wire(done.value)))
}
