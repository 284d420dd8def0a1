//! `/access/api/v1/tokens`: create (200, form-encoded or JSON, JFrog's
//! scope text resolved against the model — never wider than asked), list,
//! get, `/tokens/me`, revoke by id and by value (200).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse as _;
use gatehouse_api::{self as api, Secret};
use gatehouse_authz::Snapshot;
use gatehouse_domain::entities::Token;
use gatehouse_jfrog::body::{self, Encoding};
use gatehouse_jfrog::scope::{self, Directory, RoleGrant};
use gatehouse_jfrog::tokens::{
    self as jtokens, RevokeBody, Revoked, TokenBody, TokenDetails, TokenList, TokenResponse,
};

use super::{Answer, content_type, every, json};
use crate::caller::{Caller, Credential};
use crate::operations::tokens::CreateTokenInput;
use crate::operations::users::path_username;
use crate::operations::visibility::require_full_scope;
use crate::operations::{Via, not_found};
use crate::state::App;

/// What a JFrog scope reads of the model: the snapshot.
struct Model<'a>(&'a Snapshot);

impl Directory for Model<'_> {
    fn is_admin(&self, user: &str) -> bool {
        self.0
            .user_id(user)
            .is_some_and(|u| self.0.is_admin(u) && self.0.user_status(u).is_some_and(|s| !s.is_blocked()))
    }

    fn in_group(&self, user: &str, group: &str) -> Option<bool> {
        let group = self.0.group_id(group)?;
        Some(
            self.0
                .user_id(user)
                .is_some_and(|u| self.0.group_members(group).contains(&u)),
        )
    }

    fn group_roles(&self, group: &str) -> Vec<(String, String)> {
        let Some(group) = self.0.group_id(group) else {
            return Vec::new();
        };
        let mut held = Vec::new();
        for (key, project) in self.0.projects() {
            for (member, roles) in self.0.group_members_of(project) {
                if member == group {
                    held.extend(
                        roles
                            .iter()
                            .filter_map(|r| self.0.role(*r))
                            .map(|r| (key.to_owned(), r.name().to_owned())),
                    );
                }
            }
        }
        held
    }

    fn role(&self, project: &str, role: &str) -> Option<RoleGrant> {
        let project = self.0.project_id(project)?;
        let role = self.0.role(self.0.role_id(Some(project), role)?)?;
        let catalogue = self.0.catalogue();
        let scoped = catalogue.env_scoped();
        Some(RoleGrant {
            actions: role
                .actions()
                .iter()
                .map(|a| (catalogue.action(a).id.clone(), scoped.contains(a)))
                .collect(),
            environments: role.environment_names().map(str::to_owned).collect(),
        })
    }
}

/// `POST /access/api/v1/tokens`: 200 with `access_token`.
pub async fn create(State(app): State<App>, caller: Caller, headers: HeaderMap, bytes: Bytes) -> Answer {
    require_full_scope(&caller.acting, "manage tokens")?;
    let parsed = body::parse::<TokenBody>(Encoding::of(content_type(&headers)), &bytes)?;
    let mut request = jtokens::request(parsed)?;
    let username = match request.username.take() {
        Some(named) => path_username(&named)?,
        None => caller.acting.username.clone(),
    };
    let scope = scope::resolve(&request.scope, username.as_str(), &Model(&app.snapshot()))?;
    request.create.scope = Some(scope);
    let input = CreateTokenInput::from_wire(username.as_str().to_owned(), request.create);
    let done = app.ops(Via::Jfrog).create_token(&caller.acting, input).await?;
    let (token, secret) = done.value;
    let created = api::CreatedToken {
        token: api::Token::from(&token),
        secret: Secret::new(secret),
    };
    json(
        StatusCode::OK,
        &TokenResponse::new(&created, request.reference, app.now()),
    )
}

fn details(token: &Token) -> TokenDetails {
    TokenDetails::from(&api::Token::from(token))
}

/// `GET /access/api/v1/tokens`: a platform admin's are every user's
/// tokens, anyone else's its own.
pub async fn list(State(app): State<App>, caller: Caller) -> Answer {
    let ops = app.ops(Via::Jfrog);
    let acting = &caller.acting;
    let tokens = every(|paging| async move { ops.list_overseen_tokens(acting, &paging).await }).await?;
    json(
        StatusCode::OK,
        &TokenList {
            tokens: tokens.iter().map(details).collect(),
            cursor: None,
        },
    )
}

async fn one(app: &App, caller: &Caller, id: &str) -> Answer {
    let token = app.ops(Via::Jfrog).get_token(&caller.acting, id).await?;
    json(StatusCode::OK, &details(&token))
}

/// `GET /access/api/v1/tokens/{id}`: one of the caller's tokens, or for a
/// platform admin anyone's.
pub async fn get(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Answer {
    one(&app, &caller, &id).await
}

/// `GET /access/api/v1/tokens/me`: the token the request came with.
pub async fn me(State(app): State<App>, caller: Caller) -> Answer {
    let Credential::Token { id } = caller.credential.clone() else {
        return Err(not_found("token", "me").into());
    };
    one(&app, &caller, &id).await
}

/// `DELETE /access/api/v1/tokens/{id}`: 200.
pub async fn revoke(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Answer {
    app.ops(Via::Jfrog).revoke_token(&caller.acting, &id, None).await?;
    Ok(StatusCode::OK.into_response())
}

/// `DELETE` or `POST /access/api/v1/tokens/revoke` `{"token"}`: 200.
pub async fn revoke_by_value(State(app): State<App>, caller: Caller, headers: HeaderMap, bytes: Bytes) -> Answer {
    let parsed = body::parse::<RevokeBody>(Encoding::of(content_type(&headers)), &bytes)?;
    let secret = jtokens::revoke_secret(parsed)?;
    let done = app
        .ops(Via::Jfrog)
        .revoke_token_by_secret(&caller.acting, secret.expose())
        .await?;
    json(
        StatusCode::OK,
        &Revoked {
            revoked_token_id: done.value,
        },
    )
}
