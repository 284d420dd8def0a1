//! Invitations (SPEC §5.1, §9.4): the outbox of invitation messages, shown
//! to admins while no SMTP server delivers them, and accepting an
//! invitation by choosing a password.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::invitations;
use gatehouse_domain::names::Password;
use time::OffsetDateTime;

use super::respond::{Paging, Params, Written};
use super::users::hash_password;
use crate::credentials::sha256_hex;
use crate::json::JsonBody;
use crate::problem::{ApiProblem, current_request_id};
use crate::state::App;

/// `GET /api/v1/invitations`: queued messages with their delivery, oldest
/// first.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "users", params(Paging),
    responses((status = 200, body = Page<api::Message>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn outbox(
    State(app): State<App>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Message>>, ApiProblem> {
    let found = app.store().outbox(&paging.request()?).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |m| {
        api::Message::new(&m)
    })))
}

/// `POST /api/v1/invitations/{secret}/accept`: sets the invited user's
/// password; the link works once and for 7 days. The user becomes active
/// at its first login.
#[utoipa::path(post, path = "/api/v1/invitations/{secret}/accept", tag = "users", params(("secret" = String, Path)),
    request_body = api::AcceptInvitation, responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn accept(
    State(app): State<App>,
    Path(secret): Path<String>,
    JsonBody(body): JsonBody<api::AcceptInvitation>,
) -> Result<Written<()>, ApiProblem> {
    let sha256 = sha256_hex(&secret);
    let user = invitations::invited(app.store(), &sha256, OffsetDateTime::now_utc()).await?;
    let email = user.email.as_ref().map(|e| e.as_str().to_owned());
    let password = Password::parse(
        "password",
        body.password.expose(),
        user.username.as_str(),
        email.as_deref(),
    )?;
    let hash = hash_password(password).await?;
    let writer = app.writer().await?;
    // Read again under the write lock: the link may have been spent meanwhile.
    let user = invitations::invited(app.store(), &sha256, writer.now()).await?;
    let commit = invitations::accept(user, &sha256, hash, writer.snapshot().revision(), current_request_id());
    Ok(Written::no_content(writer.commit(&commit).await?))
}
