//! `/scim/v2/Groups`: a SCIM Group is a Gatehouse group; its `id` and
//! `displayName` are the group's name (Gatehouse does not rename groups, so
//! a changed `displayName` is refused as `mutability`). Membership changes
//! are the native command's, with its anti-escalation rules (SPEC §2.5).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::entities::Group;
use gatehouse_scim::filter::Lookup;
use gatehouse_scim::resource::{GroupResource, Meta, Ref};
use gatehouse_scim::{GROUP_SCHEMA, ScimError, ScimType, patch};
use serde_json::Value;

use super::{Fail, ListQuery, base_url, if_match, json_body, rfc3339, written};
use crate::caller::Caller;
use crate::operations::groups::{GroupKey, ProvisionGroupInput};
use crate::operations::{Paging, Via};
use crate::state::App;

fn not_found(id: &str) -> Fail {
    Fail(ScimError::status(404, format!("group `{id}` not found")))
}

fn document(app: &App, group: &Group) -> Value {
    let base = base_url(app);
    let r = GroupResource {
        display_name: group.name.as_str().to_owned(),
        external_id: group.external_id.clone(),
        members: group.members.iter().map(|m| m.as_str().to_owned()).collect(),
    };
    let members: Vec<Ref> = group
        .members
        .iter()
        .map(|m| Ref {
            id: m.as_str().to_owned(),
            display: m.as_str().to_owned(),
        })
        .collect();
    let meta = Meta {
        created: group.created_at.map(rfc3339).unwrap_or_default(),
        last_modified: group.modified_at.map(rfc3339).unwrap_or_default(),
        revision: group.revision,
        location: format!("{base}/Groups/{}", group.name),
    };
    let mut doc = r.to_json(group.name.as_str(), &members, &meta, &base);
    // A group older than the times Gatehouse keeps has none: say nothing
    // rather than something false.
    if let Some(m) = doc.get_mut("meta").and_then(Value::as_object_mut) {
        m.retain(|k, v| !matches!(k.as_str(), "created" | "lastModified") || v.as_str().is_some_and(|t| !t.is_empty()));
    }
    doc
}

async fn stored(app: &App, id: &str) -> Result<Group, Fail> {
    app.ops(Via::Scim)
        .find_group(&GroupKey::Name(id.to_owned()))
        .await?
        .ok_or_else(|| not_found(id))
}

/// What a SCIM Group asks of Gatehouse.
fn input(r: &GroupResource, expected_revision: Option<u64>) -> ProvisionGroupInput {
    ProvisionGroupInput {
        name: r.display_name.clone(),
        external_id: r.external_id.clone(),
        members: r.members.clone(),
        expected_revision,
    }
}

/// `GET /Groups`: `displayName`, `externalId` and `id` equalities read one
/// index; other filters read every group, page by page.
pub async fn list(State(app): State<App>, Query(q): Query<ListQuery>) -> Result<Response, Fail> {
    // A bad `startIndex` or `count` is refused before the store is read.
    q.paging()?;
    let filter = q.filter()?;
    let mut found: Vec<Group> = Vec::new();
    let ops = app.ops(Via::Scim);
    match filter.as_ref().and_then(|f| f.lookup(GROUP_SCHEMA, "displayName")) {
        Some(Lookup::Name(v) | Lookup::Id(v)) => found.extend(ops.find_group(&GroupKey::Name(v)).await?),
        Some(Lookup::ExternalId(v)) => found.extend(ops.find_group(&GroupKey::ExternalId(v)).await?),
        Some(Lookup::Email(_)) | None => {
            let mut paging = Paging {
                limit: Some(gatehouse_api::Page::<()>::MAX_LIMIT),
                cursor: None,
            };
            loop {
                let got = ops.list_groups(&paging).await?;
                found.extend(got.items);
                match got.next_cursor {
                    Some(c) => paging.cursor = Some(c),
                    None => break,
                }
            }
        }
    }
    let docs = found.iter().map(|group| document(&app, group));
    q.listed(docs, filter.as_ref(), GROUP_SCHEMA)
}

/// `GET /Groups/{id}`.
pub async fn get(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, Fail> {
    let group = stored(&app, &id).await?;
    Ok(q.one(&headers, group.revision, || document(&app, &group)))
}

/// `POST /Groups`.
pub async fn create(State(app): State<App>, caller: Caller, headers: HeaderMap, body: Bytes) -> Result<Response, Fail> {
    let r = GroupResource::from_json(&json_body(&headers, &body)?)?;
    let group = app
        .ops(Via::Scim)
        .provision_create_group(&caller.acting, input(&r, None))
        .await?
        .value;
    Ok(written(true, &document(&app, &group), group.revision))
}

/// Applies `wanted` to `before` (PUT and PATCH): its `externalId` and
/// members, in one commit.
async fn update(
    app: &App,
    caller: &Caller,
    before: &Group,
    wanted: &GroupResource,
    headers: &HeaderMap,
) -> Result<Response, Fail> {
    if wanted.display_name != before.name.as_str() {
        return Err(ScimError::bad(
            ScimType::Mutability,
            "`displayName` cannot change: it is the group's id",
        )
        .into());
    }
    let group = app
        .ops(Via::Scim)
        .provision_update_group(&caller.acting, input(wanted, if_match(headers)))
        .await?
        .value;
    Ok(written(false, &document(app, &group), group.revision))
}

/// `PUT /Groups/{id}`.
pub async fn replace(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    let before = stored(&app, &id).await?;
    let wanted = GroupResource::from_json(&json_body(&headers, &body)?)?;
    update(&app, &caller, &before, &wanted, &headers).await
}

/// `PATCH /Groups/{id}`.
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
    patch::apply(&mut doc, GROUP_SCHEMA, &ops)?;
    let wanted = GroupResource::from_json(&doc)?;
    update(&app, &caller, &before, &wanted, &headers).await
}

/// `DELETE /Groups/{id}`.
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Fail> {
    let group = stored(&app, &id).await?;
    app.ops(Via::Scim)
        .delete_group(&caller.acting, group.name.as_str(), if_match(&headers))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
