//! Invitations (SPEC §5.1, §9.4): invite or re-send, the outbox of
//! messages (shown without their links: only the recipient receives a
//! link), and accepting an invitation by choosing a password.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use time::OffsetDateTime;

use super::respond::{Params, Written};
use super::users::{memberships, wire_user};
use crate::caller::{Caller, Client};
use crate::json::JsonBody;
use crate::operations::invitations::{InviteInput, LinkPasswordInput};
use crate::operations::{Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;

/// `GET /api/v1/invitations`: queued messages with their delivery, oldest
/// first; a message's link is withheld (only its recipient receives it).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "users", params(Paging),
    responses((status = 200, body = Page<api::Message>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn outbox(
    State(app): State<App>,
    Params(paging): Params<Paging>,
) -> Result<Json<Page<api::Message>>, ApiProblem> {
    let found = app.ops(Via::Api).outbox(&paging).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |m| {
        api::Message::new(&m)
    })))
}

/// `POST /api/v1/invitations`: invites a new user by email (201), or
/// re-sends the invitation of the user with this email while it is still
/// invited (200: a new link, the old one stops working); 409 for a user who
/// has logged in. The link goes to the address through the outbox; only
/// when no SMTP server is configured does a platform admin get it in the
/// answer, once, to pass on.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "users", request_body = api::CreateInvitation,
    responses((status = 201, body = api::InvitationSent), (status = 200, body = api::InvitationSent),
        (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<api::CreateInvitation>,
) -> Result<Written<api::InvitationSent>, ApiProblem> {
    let input = InviteInput {
        email: body.email,
        username: body.username,
        account_permissions: body.account_permissions,
        memberships: memberships(body.memberships),
    };
    let done = app.ops(Via::Api).invite(&caller.acting, input).await?;
    let sent = done.value;
    let wire = api::InvitationSent {
        user: wire_user(&app.snapshot(), &sent.user, OffsetDateTime::now_utc()),
        expires_at: sent.expires_at,
        link: sent.link,
    };
    Ok(if sent.resent {
        Written::ok(done.revision, wire)
    } else {
        Written::created(done.revision, wire)
    })
}

/// `POST /api/v1/invitations/{secret}/accept`: sets the invited user's
/// password; the link works once, for 7 days, and only while the user has
/// not logged in. The user becomes active at its first login.
#[utoipa::path(post, path = "/api/v1/invitations/{secret}/accept", tag = "users", params(("secret" = String, Path)),
    request_body = api::AcceptInvitation, responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn accept(
    State(app): State<App>,
    client: Client,
    Path(secret): Path<String>,
    JsonBody(body): JsonBody<api::AcceptInvitation>,
) -> Result<Written<()>, ApiProblem> {
    let input = LinkPasswordInput {
        secret,
        password: body.password.expose().to_owned(),
        client,
    };
    let done = app.ops(Via::Api).accept_invitation(input).await?;
    Ok(Written::no_content(done.revision))
}
