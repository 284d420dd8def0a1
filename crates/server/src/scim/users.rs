//! `/scim/v2/Users`: a SCIM User is a Gatehouse user; its `id` is the
//! username (stable: Gatehouse never renames a user). Users created here
//! are `managed_by: scim` and need no password; `active: false` disables
//! at once, tokens and sessions included.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_authz::UserStatus;
use gatehouse_domain::entities::User;
use gatehouse_scim::filter::{Lookup, matches};
use gatehouse_scim::resource::{Meta, Ref, UserResource};
use gatehouse_scim::{ScimError, ScimType, USER_SCHEMA, patch};
use serde_json::Value;

use super::{Fail, ListQuery, base_url, if_match, json_body, rfc3339, written};
use crate::caller::Caller;
use crate::operations::users::{ListUsersInput, ProvisionUserInput, UserKey, UserRef};
use crate::operations::{Paging, Via};
use crate::state::App;

fn not_found(id: &str) -> Fail {
    Fail(ScimError::status(404, format!("user `{id}` not found")))
}

/// The SCIM view of `user`.
fn resource(user: &User) -> UserResource {
    UserResource {
        user_name: user.username.as_str().to_owned(),
        external_id: user.profile.external_id.clone(),
        display_name: user.profile.display_name.clone(),
        given_name: user.profile.given_name.clone(),
        family_name: user.profile.family_name.clone(),
        email: user.email.as_ref().map(|e| e.as_str().to_owned()),
        active: user.status != UserStatus::Disabled,
    }
}

/// The wire document of `user`, with its groups from the snapshot.
fn document(app: &App, user: &User) -> Value {
    let snapshot = app.snapshot();
    let groups: Vec<Ref> = snapshot
        .user_id(user.username.as_str())
        .map(|id| {
            snapshot
                .user_groups(id)
                .iter()
                .filter_map(|g| snapshot.group_name(*g))
                .map(|name| Ref {
                    id: name.to_owned(),
                    display: name.to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    let base = base_url(app);
    let meta = Meta {
        created: rfc3339(user.created_at),
        last_modified: rfc3339(user.modified_at),
        revision: user.revision,
        location: format!("{base}/Users/{}", user.username),
    };
    resource(user).to_json(user.username.as_str(), &groups, &meta, &base)
}

/// The user an `id` names, if it is one.
async fn stored(app: &App, id: &str) -> Result<User, Fail> {
    app.ops(Via::Scim)
        .find_user(&UserKey::Username(id.to_owned()))
        .await?
        .ok_or_else(|| not_found(id))
}

/// What a SCIM User asks of Gatehouse (`userName` is not case-exact, RFC
/// 7643 §4.1.1: Gatehouse keeps it lowercased).
fn input(r: &UserResource, expected_revision: Option<u64>) -> ProvisionUserInput {
    ProvisionUserInput {
        username: r.user_name.to_lowercase(),
        email: r.email.clone(),
        external_id: r.external_id.clone(),
        display_name: r.display_name.clone(),
        given_name: r.given_name.clone(),
        family_name: r.family_name.clone(),
        active: r.active,
        expected_revision,
    }
}

/// `GET /Users`: a filter naming `userName`, `externalId`, `emails.value`
/// or `id` with `eq` reads one index; any other filter reads every user,
/// page by page.
pub async fn list(State(app): State<App>, Query(q): Query<ListQuery>) -> Result<Response, Fail> {
    // A bad `startIndex` or `count` is refused before the store is read.
    q.paging()?;
    let filter = q.filter()?;
    let mut hits: Vec<User> = Vec::new();
    let lookup = filter.as_ref().and_then(|f| f.lookup(USER_SCHEMA, "userName"));
    let indexed = lookup.is_some();
    let ops = app.ops(Via::Scim);
    if let Some(lookup) = lookup {
        let key = match lookup {
            Lookup::Name(v) => UserKey::Username(v.to_lowercase()),
            Lookup::Id(v) => UserKey::Username(v),
            Lookup::ExternalId(v) => UserKey::ExternalId(v),
            Lookup::Email(v) => UserKey::Email(v),
        };
        hits.extend(ops.find_user(&key).await?);
    } else {
        let mut input = ListUsersInput {
            paging: Paging {
                limit: Some(gatehouse_api::Page::<()>::MAX_LIMIT),
                cursor: None,
            },
            ..ListUsersInput::default()
        };
        loop {
            let found = ops.list_users(input.clone()).await?;
            for user in found.items {
                let keep = match &filter {
                    None => true,
                    Some(f) => matches(f, &document(&app, &user), USER_SCHEMA)?,
                };
                if keep {
                    hits.push(user);
                }
            }
            match found.next_cursor {
                Some(c) => input.paging.cursor = Some(c),
                None => break,
            }
        }
    }
    // An indexed hit is checked against the whole filter too (`id` is
    // case-exact, `userName` is not).
    let docs = hits.iter().map(|user| document(&app, user));
    q.listed(docs, filter.as_ref().filter(|_| indexed), USER_SCHEMA)
}

/// `GET /Users/{id}`.
pub async fn get(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, Fail> {
    let user = stored(&app, &id).await?;
    Ok(q.one(&headers, user.revision, || document(&app, &user)))
}

/// `POST /Users`.
pub async fn create(State(app): State<App>, caller: Caller, headers: HeaderMap, body: Bytes) -> Result<Response, Fail> {
    let r = UserResource::from_json(&json_body(&headers, &body)?)?;
    let user = app
        .ops(Via::Scim)
        .provision_create_user(&caller.acting, input(&r, None))
        .await?
        .value;
    Ok(written(true, &document(&app, &user), user.revision))
}

/// Applies `wanted` to the user `id` names (PUT and PATCH).
async fn update(
    app: &App,
    caller: &Caller,
    before: &User,
    wanted: &UserResource,
    headers: &HeaderMap,
) -> Result<Response, Fail> {
    if wanted.user_name.to_lowercase() != before.username.as_str() {
        return Err(ScimError::bad(ScimType::Mutability, "`userName` cannot change: it is the user's id").into());
    }
    let user = app
        .ops(Via::Scim)
        .provision_update_user(&caller.acting, input(wanted, if_match(headers)))
        .await?
        .value;
    Ok(written(false, &document(app, &user), user.revision))
}

/// `PUT /Users/{id}`: the attributes Gatehouse keeps are replaced.
pub async fn replace(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    let before = stored(&app, &id).await?;
    let wanted = UserResource::from_json(&json_body(&headers, &body)?)?;
    update(&app, &caller, &before, &wanted, &headers).await
}

/// `PATCH /Users/{id}`.
pub async fn patch(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    let before = stored(&app, &id).await?;
    let ops = patch::parse_request(&json_body(&headers, &body)?)?;
    let mut doc = document(&app, &before);
    patch::apply(&mut doc, USER_SCHEMA, &ops)?;
    let wanted = UserResource::from_json(&doc)?;
    update(&app, &caller, &before, &wanted, &headers).await
}

/// `DELETE /Users/{id}`.
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let user = stored(&app, &id).await?;
    let target = UserRef {
        username: user.username.as_str().to_owned(),
        expected_revision: if_match(&headers),
    };
    app.ops(Via::Scim).delete_user(&caller.acting, target).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
