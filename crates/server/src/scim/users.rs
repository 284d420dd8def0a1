//! `/scim/v2/Users`: a SCIM User is a Gatehouse user; its `id` is the
//! username (stable: Gatehouse never renames a user). Users created here
//! are `managed_by: scim` and need no password; `active: false` disables
//! at once, tokens and sessions included.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_authz::UserStatus;
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::users::{self, Provisioned};
use gatehouse_domain::entities::{Profile, User};
use gatehouse_domain::names::{Email, Username};
use gatehouse_domain::store::{PageRequest, UserFilter};
use gatehouse_scim::filter::{Lookup, matches};
use gatehouse_scim::list::list_response;
use gatehouse_scim::resource::{Meta, Ref, UserResource};
use gatehouse_scim::{ScimError, ScimType, USER_SCHEMA, patch};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use super::{Fail, ListQuery, base_url, if_match, json_body, not_modified, project, scim_response, written};
use crate::caller::Caller;
use crate::operations::Via;
use crate::state::App;

fn not_found(id: &str) -> Fail {
    Fail(ScimError::status(404, format!("user `{id}` not found")))
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
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
        last_modified: rfc3339(user.created_at),
        revision: user.revision,
        location: format!("{base}/Users/{}", user.username),
    };
    resource(user).to_json(user.username.as_str(), &groups, &meta, &base)
}

/// The user an `id` names, if it is one.
async fn stored(app: &App, id: &str) -> Result<User, Fail> {
    let Ok(username) = Username::parse(id) else {
        return Err(not_found(id));
    };
    app.store().user(&username).await?.ok_or_else(|| not_found(id))
}

/// What a SCIM User asks of Gatehouse.
fn provisioned(r: &UserResource) -> Result<(Username, Provisioned), Fail> {
    let username = Username::parse(&r.user_name.to_lowercase())
        .map_err(|e| ScimError::invalid_value(format!("userName: {}", e.message)))?;
    let email = r
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| ScimError::invalid_value(format!("emails: {}", e.message)))?;
    let long = |v: &Option<String>, what: &str| -> Result<(), Fail> {
        if v.as_ref().is_some_and(|v| v.chars().count() > 256) {
            return Err(ScimError::invalid_value(format!("`{what}` has at most 256 characters")).into());
        }
        Ok(())
    };
    long(&r.external_id, "externalId")?;
    long(&r.display_name, "displayName")?;
    long(&r.given_name, "name.givenName")?;
    long(&r.family_name, "name.familyName")?;
    Ok((
        username,
        Provisioned {
            email,
            profile: Profile {
                external_id: r.external_id.clone(),
                display_name: r.display_name.clone(),
                given_name: r.given_name.clone(),
                family_name: r.family_name.clone(),
            },
            active: r.active,
        },
    ))
}

/// `GET /Users`: a filter naming `userName`, `externalId`, `emails.value`
/// or `id` with `eq` reads one index; any other filter reads every user,
/// page by page.
pub async fn list(State(app): State<App>, Query(q): Query<ListQuery>) -> Result<Response, Fail> {
    let paging = q.paging()?;
    let filter = q.filter()?;
    let mut hits: Vec<User> = Vec::new();
    let lookup = filter.as_ref().and_then(|f| f.lookup(USER_SCHEMA, "userName"));
    let indexed = lookup.is_some();
    if let Some(lookup) = lookup {
        let store = app.store();
        let found = match lookup {
            Lookup::Name(v) => match Username::parse(&v.to_lowercase()) {
                Ok(u) => store.user(&u).await?,
                Err(_) => None,
            },
            Lookup::Id(v) => match Username::parse(&v) {
                Ok(u) => store.user(&u).await?,
                Err(_) => None,
            },
            Lookup::ExternalId(v) => store.user_by_external_id(&v).await?,
            Lookup::Email(v) => store.user_by_email(&v).await?,
        };
        hits.extend(found);
    } else {
        let mut page = PageRequest {
            cursor: None,
            limit: gatehouse_domain::store::EVERY_PAGE_LIMIT,
        };
        loop {
            let found = app.store().users(&UserFilter::default(), &page).await?;
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
                Some(c) => page.cursor = Some(c),
                None => break,
            }
        }
    }
    // An indexed hit is checked against the whole filter too (`id` is
    // case-exact, `userName` is not).
    let mut docs = Vec::new();
    let mut total = 0;
    for user in &hits {
        let doc = document(&app, user);
        if indexed
            && let Some(f) = &filter
            && !matches(f, &doc, USER_SCHEMA)?
        {
            continue;
        }
        total += 1;
        if total > paging.offset() && docs.len() < paging.count {
            docs.push(project(doc, q.attributes.as_deref(), q.excluded_attributes.as_deref()));
        }
    }
    Ok(scim_response(StatusCode::OK, &list_response(total, paging, docs), None))
}

/// `GET /Users/{id}`.
pub async fn get(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, Fail> {
    let user = stored(&app, &id).await?;
    if let Some(r) = not_modified(&headers, user.revision) {
        return Ok(r);
    }
    let doc = project(
        document(&app, &user),
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    );
    Ok(scim_response(StatusCode::OK, &doc, Some(user.revision)))
}

/// `POST /Users`.
pub async fn create(State(app): State<App>, caller: Caller, headers: HeaderMap, body: Bytes) -> Result<Response, Fail> {
    let r = UserResource::from_json(&json_body(&headers, &body)?)?;
    let (username, p) = provisioned(&r)?;
    let writer = app.writer().await?;
    let commit = users::provision_create(&writer.ctx(&caller.acting, Via::Scim), username.clone(), p).await?;
    writer.commit(&commit).await?;
    let user = stored(&app, username.as_str()).await?;
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
    let (username, p) = provisioned(wanted)?;
    if username != before.username {
        return Err(ScimError::bad(ScimType::Mutability, "`userName` cannot change: it is the user's id").into());
    }
    let writer = app.writer().await?;
    let commit =
        users::provision_update(&writer.ctx(&caller.acting, Via::Scim), &username, p, if_match(headers)).await?;
    writer.commit(&commit).await?;
    let user = stored(app, username.as_str()).await?;
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
    let writer = app.writer().await?;
    let commit = users::delete(
        &writer.ctx(&caller.acting, Via::Scim),
        &user.username,
        if_match(&headers),
    )
    .await?;
    writer.commit(&commit).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
