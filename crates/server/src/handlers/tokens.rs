//! Access tokens (SPEC §6.3): `/api/v1/tokens` for one's own,
//! `/api/v1/users/{username}/tokens` for a user's (a platform admin may
//! create them for anyone; `accounts.manage` holders list the tokens of
//! users they dominate).

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem, Secret};
use gatehouse_domain::entities::Token;

use super::respond::{IfMatch, Params, Written};
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::tokens::CreateTokenInput;
use crate::operations::{Done, Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

/// The answer to a token's creation: the token and its secret, shown once.
pub(crate) fn created(done: Done<(Token, String)>) -> Written<api::CreatedToken> {
    let (token, secret) = done.value;
    Written::created(
        done.revision,
        api::CreatedToken {
            token: api::Token::from(&token),
            secret: Secret::new(secret),
        },
    )
}

async fn page(
    app: &App,
    caller: &Caller,
    username: &str,
    paging: &Paging,
) -> Result<Json<Page<api::Token>>, ApiProblem> {
    let found = app.ops(Via::Api).list_tokens(&caller.acting, username, paging).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |t| {
        api::Token::from(&t)
    })))
}

/// `GET /api/v1/tokens`: the caller's tokens, newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(Paging),
    responses((status = 200, body = Page<api::Token>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_own(
    State(app): State<App>,
    caller: Caller,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Token>>, ApiProblem> {
    let username = caller.acting.username.as_str().to_owned();
    page(&app, &caller, &username, &paging).await
}

/// `POST /api/v1/tokens`: a token for the caller; the secret is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = api::CreateToken,
    responses((status = 201, body = api::CreatedToken), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_own(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateToken>,
) -> Result<Written<api::CreatedToken>, ApiProblem> {
    let input = CreateTokenInput::from_wire(caller.acting.username.as_str().to_owned(), body);
    Ok(created(app.ops(Via::Api).create_token(&caller.acting, input).await?))
}

/// `DELETE /api/v1/tokens/{id}`: revokes; refused from the next request.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let done = app.ops(Via::Api).revoke_token(&caller.acting, &id, if_match.0).await?;
    Ok(Written::no_content(done.revision))
}

/// `GET /api/v1/users/{username}/tokens`: the user itself, or a holder of
/// `accounts.manage` who dominates it (SPEC §2.5: else 403 `escalation`);
/// others are answered as if the user did not exist.
#[utoipa::path(get, path = "/api/v1/users/{username}/tokens", tag = "tokens", params(("username" = String, Path), Paging),
    responses((status = 200, body = Page<api::Token>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_for_user(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Token>>, ApiProblem> {
    page(&app, &caller, &username, &paging).await
}

/// `POST /api/v1/users/{username}/tokens`: the user itself, or a platform
/// admin for anyone (audited with both names).
#[utoipa::path(post, path = "/api/v1/users/{username}/tokens", tag = "tokens", params(("username" = String, Path)),
    request_body = api::CreateToken, responses((status = 201, body = api::CreatedToken), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_for_user(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    JsonBody(body): JsonBody<api::CreateToken>,
) -> Result<Written<api::CreatedToken>, ApiProblem> {
    let input = CreateTokenInput::from_wire(username, body);
    Ok(created(app.ops(Via::Api).create_token(&caller.acting, input).await?))
}
