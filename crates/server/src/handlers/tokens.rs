//! Access tokens (SPEC §6.3): `/api/v1/tokens` for one's own,
//! `/api/v1/users/{username}/tokens` for a user's (a platform admin may
//! create them for anyone; `accounts.manage` holders list the tokens of
//! users they dominate).

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem, Secret};
use gatehouse_domain::commands::tokens::{self, NewToken, USER_SCOPE};
use gatehouse_domain::commands::{Acting, Ctx};
use gatehouse_domain::entities::Scope;
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, Username};
use gatehouse_domain::{FieldError, Store as _};
use time::{Duration, OffsetDateTime};

use super::respond::{IfMatch, Paging, Params, Written, page_of};
use super::users::path_username;
use super::visibility::require_full_scope;
use crate::caller::Caller;
use crate::config::Config;
use crate::credentials::{new_token, new_token_id, sha256_hex};
use crate::json::JsonBody;
use crate::problem::ApiProblem;
use crate::state::App;

/// A token's lifetime when none is asked for: one year (SPEC §6.3).
const DEFAULT_LIFETIME: Duration = Duration::days(365);

/// The expiry of a token asking to live `expires_in` seconds.
///
/// # Errors
/// 422 naming `expires_in` beyond the instance's maximum, or `0` where
/// tokens must expire.
pub fn expiry(
    config: &Config,
    expires_in: Option<u64>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, ApiProblem> {
    let max = Duration::days(i64::from(config.token_max_days));
    match expires_in {
        None => Ok(Some(now + DEFAULT_LIFETIME.min(max))),
        Some(0) if config.allow_non_expiring_tokens => Ok(None),
        Some(0) => {
            Err(FieldError::invalid("expires_in", "this instance does not allow tokens that never expire").into())
        }
        Some(seconds) => {
            let lifetime = i64::try_from(seconds).map(Duration::seconds).unwrap_or(Duration::MAX);
            if lifetime > max {
                Err(FieldError::invalid(
                    "expires_in",
                    &format!("at most {} days on this instance", config.token_max_days),
                )
                .into())
            } else {
                Ok(Some(now + lifetime))
            }
        }
    }
}

/// Creates a token for `username` as `acting`; answers it with its secret.
pub(crate) async fn create_token(
    app: &App,
    acting: &Acting,
    username: Username,
    body: api::CreateToken,
) -> Result<Written<api::CreatedToken>, ApiProblem> {
    let description = Description::parse(
        "description",
        body.description.as_deref().unwrap_or(""),
        MAX_DESCRIPTION,
    )?;
    let scope = body
        .scope
        .map_or_else(|| Scope::User(USER_SCOPE.to_owned()), Scope::from);
    let secret = new_token().map_err(|e| ApiProblem::internal("no randomness", &e))?;
    let writer = app.writer().await?;
    let new = NewToken {
        id: new_token_id(),
        secret_sha256: sha256_hex(&secret),
        username,
        description,
        expires_at: expiry(app.config(), body.expires_in, writer.now())?,
        scope,
    };
    let id = new.id.clone();
    let commit = tokens::create(&writer.ctx(acting), new).await?;
    let revision = writer.commit(&commit).await?;
    let token = app
        .store()
        .token(&id)
        .await?
        .ok_or_else(|| ApiProblem::internal("a committed token is missing", &id))?;
    Ok(Written::created(
        revision,
        api::CreatedToken {
            token: api::Token::from(&token),
            secret: Secret::new(secret),
        },
    ))
}

/// `GET /api/v1/tokens`: the caller's tokens, newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(Paging),
    responses((status = 200, body = Page<api::Token>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list_own(
    State(app): State<App>,
    caller: Caller,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Token>>, ApiProblem> {
    require_full_scope(&caller.acting, "manage tokens")?;
    token_page(&app, &caller.acting.username, &paging).await
}

/// A page of `username`'s tokens, newest first.
async fn token_page(app: &App, username: &Username, paging: &Paging) -> Result<Json<Page<api::Token>>, ApiProblem> {
    let tokens = app.store().tokens(username).await?;
    let page = page_of(
        &format!("tokens:{username}"),
        tokens,
        |t| (-t.created_at.unix_timestamp_nanos(), t.id.clone()),
        paging,
    )?;
    Ok(Json(Page::map(page.items, page.next_cursor, |t| api::Token::from(&t))))
}

/// `POST /api/v1/tokens`: a token for the caller; the secret is shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = api::CreateToken,
    responses((status = 201, body = api::CreatedToken), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create_own(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateToken>,
) -> Result<Written<api::CreatedToken>, ApiProblem> {
    require_full_scope(&caller.acting, "manage tokens")?;
    let username = caller.acting.username.clone();
    create_token(&app, &caller.acting, username, body).await
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
    require_full_scope(&caller.acting, "manage tokens")?;
    let writer = app.writer().await?;
    let commit = tokens::revoke(&writer.ctx(&caller.acting), &id).await?;
    if_match.holds(writer.snapshot().revision())?;
    Ok(Written::no_content(writer.commit(&commit).await?))
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
    require_full_scope(&caller.acting, "manage tokens")?;
    let username = path_username(&username)?;
    let snapshot = app.snapshot();
    let ctx = Ctx {
        store: app.store(),
        snapshot: &snapshot,
        acting: &caller.acting,
        now: OffsetDateTime::now_utc(),
    };
    tokens::may_list(&ctx, &username)?;
    token_page(&app, &username, &paging).await
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
    require_full_scope(&caller.acting, "manage tokens")?;
    let username = path_username(&username)?;
    create_token(&app, &caller.acting, username, body).await
}
