//! Invitations (SPEC §5.1, §9.4): invite or re-send, the outbox of
//! messages (shown without their links: only the recipient receives a
//! link), and accepting an invitation by choosing a password.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::invitations::{self, NewInvitation};
use gatehouse_domain::entities::SecretPurpose;
use gatehouse_domain::limits::INVITATION_TTL;
use gatehouse_domain::names::Password;
use time::OffsetDateTime;

use super::respond::{Paging, Params, Written};
use super::users::{hash_password, new_user, stored_user, wire_user};
use crate::caller::Caller;
use crate::credentials::{random_secret, sha256_hex};
use crate::guard::holds;
use crate::json::JsonBody;
use crate::problem::{ApiProblem, current_request_id};
use crate::state::App;

/// `GET /api/v1/invitations`: queued messages with their delivery, oldest
/// first; a message's link is withheld (only its recipient receives it).
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
    let request = api::CreateUser {
        email: body.email,
        password: None,
        username: body.username,
        kind: None,
        admin: None,
        account_permissions: body.account_permissions,
        memberships: body.memberships,
    };
    let (new, _) = new_user(&request)?;
    let secret = random_secret().map_err(|e| ApiProblem::internal("no randomness", &e))?;
    let writer = app.writer().await?;
    let ctx = writer.ctx(&caller.acting);
    let invitation = NewInvitation {
        user: new,
        username_given: request.username.is_some(),
        secret_sha256: sha256_hex(&secret),
    };
    let (resent, commit) = invitations::invite_or_resend(&ctx, invitation).await?;
    let expires_at = ctx.now + INVITATION_TTL;
    let username = match commit.mutations.iter().find_map(|m| match m {
        gatehouse_domain::Mutation::CreateInvitation(i) => Some(i.username.clone()),
        _ => None,
    }) {
        Some(username) => username,
        None => return Err(ApiProblem::internal("an invitation without its secret", &"invite")),
    };
    let revision = writer.commit(&commit).await?;
    // Without SMTP nobody else can deliver the link: a platform admin gets
    // it, once. Anyone else's answer never holds a live secret.
    let link = (app.config().smtp_url.is_none() && holds(&app, &caller.acting, None)).then(|| {
        format!(
            "{}/{}/{secret}",
            app.config().base_url(),
            SecretPurpose::Invitation.link_path()
        )
    });
    let user = stored_user(&app, &username).await?;
    let sent = api::InvitationSent {
        user: wire_user(&app.snapshot(), &user, OffsetDateTime::now_utc()),
        expires_at,
        link,
    };
    Ok(if resent {
        Written::ok(revision, sent)
    } else {
        Written::created(revision, sent)
    })
}

/// `POST /api/v1/invitations/{secret}/accept`: sets the invited user's
/// password; the link works once, for 7 days, and only while the user has
/// not logged in. The user becomes active at its first login.
#[utoipa::path(post, path = "/api/v1/invitations/{secret}/accept", tag = "users", params(("secret" = String, Path)),
    request_body = api::AcceptInvitation, responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn accept(
    State(app): State<App>,
    Path(secret): Path<String>,
    JsonBody(body): JsonBody<api::AcceptInvitation>,
) -> Result<Written<()>, ApiProblem> {
    let sha256 = sha256_hex(&secret);
    let user = invitations::invited(app.store(), &sha256, app.now()).await?;
    let email = user.email.as_ref().map(|e| e.as_str().to_owned());
    let password = Password::parse(
        "password",
        body.password.expose(),
        user.username.as_str(),
        email.as_deref(),
    )?;
    let hash = hash_password(&app, password).await?;
    let writer = app.writer().await?;
    // Read again under the write lock: the link may have been spent meanwhile.
    let user = invitations::invited(app.store(), &sha256, app.now()).await?;
    let commit = invitations::accept(user, hash, writer.snapshot().revision(), current_request_id());
    Ok(Written::no_content(writer.commit(&commit).await?))
}
