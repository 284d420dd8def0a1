//! `/scim/v2/Groups`: a SCIM Group is a Gatehouse group; its `id` and
//! `displayName` are the group's name (Gatehouse does not rename groups, so
//! a changed `displayName` is refused as `mutability`). Membership changes
//! are the native command's, with its anti-escalation rules (SPEC §2.5).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gatehouse_domain::commands::groups;
use gatehouse_domain::entities::Group;
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{Description, GroupName, Username};
use gatehouse_domain::store::PageRequest;
use gatehouse_domain::{DomainError, Store as _};
use gatehouse_scim::filter::{Lookup, matches};
use gatehouse_scim::list::list_response;
use gatehouse_scim::resource::{GroupResource, Meta, Ref};
use gatehouse_scim::{GROUP_SCHEMA, ScimError, ScimType, patch};
use serde_json::Value;

use super::{Fail, ListQuery, base_url, if_match, json_body, not_modified, project, scim_response, written};
use crate::caller::Caller;
use crate::operations::Via;
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
        created: String::new(),
        last_modified: String::new(),
        revision: group.revision,
        location: format!("{base}/Groups/{}", group.name),
    };
    let mut doc = r.to_json(group.name.as_str(), &members, &meta, &base);
    // Gatehouse keeps no creation time for groups: say nothing rather than
    // something false.
    if let Some(m) = doc.get_mut("meta").and_then(Value::as_object_mut) {
        m.remove("created");
        m.remove("lastModified");
    }
    doc
}

async fn stored(app: &App, id: &str) -> Result<Group, Fail> {
    let Ok(name) = GroupName::parse(id) else {
        return Err(not_found(id));
    };
    app.store().group(&name).await?.ok_or_else(|| not_found(id))
}

fn group_name(r: &GroupResource) -> Result<GroupName, Fail> {
    GroupName::parse(&r.display_name)
        .map_err(|e| ScimError::invalid_value(format!("displayName: {}", e.message)).into())
}

/// Member ids as usernames; an id that names no user is an `invalidValue`.
fn members(ids: &[String]) -> Result<Vec<Username>, Fail> {
    ids.iter()
        .map(|id| Username::parse(id).map_err(|_| ScimError::invalid_value(format!("member `{id}` is no user")).into()))
        .collect()
}

/// A member that does not exist is a bad value in SCIM, not a missing
/// resource.
fn member_error(e: DomainError) -> Fail {
    match e {
        DomainError::NotFound { kind: "user", name } => {
            ScimError::invalid_value(format!("member `{name}` is no user")).into()
        }
        other => other.into(),
    }
}

/// `GET /Groups`: `displayName`, `externalId` and `id` equalities read one
/// index; other filters read every group, page by page.
pub async fn list(State(app): State<App>, Query(q): Query<ListQuery>) -> Result<Response, Fail> {
    let paging = q.paging()?;
    let filter = q.filter()?;
    let mut found: Vec<Group> = Vec::new();
    match filter.as_ref().and_then(|f| f.lookup(GROUP_SCHEMA, "displayName")) {
        Some(Lookup::Name(v) | Lookup::Id(v)) => {
            if let Ok(name) = GroupName::parse(&v) {
                found.extend(app.store().group(&name).await?);
            }
        }
        Some(Lookup::ExternalId(v)) => found.extend(app.store().group_by_external_id(&v).await?),
        Some(Lookup::Email(_)) | None => {
            let mut page = PageRequest {
                cursor: None,
                limit: gatehouse_domain::store::EVERY_PAGE_LIMIT,
            };
            loop {
                let got = app.store().groups(&page).await?;
                found.extend(got.items);
                match got.next_cursor {
                    Some(c) => page.cursor = Some(c),
                    None => break,
                }
            }
        }
    }
    let mut docs = Vec::new();
    let mut total = 0;
    for group in &found {
        let doc = document(&app, group);
        if let Some(f) = &filter
            && !matches(f, &doc, GROUP_SCHEMA)?
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

/// `GET /Groups/{id}`.
pub async fn get(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, Fail> {
    let group = stored(&app, &id).await?;
    if let Some(r) = not_modified(&headers, group.revision) {
        return Ok(r);
    }
    let doc = project(
        document(&app, &group),
        q.attributes.as_deref(),
        q.excluded_attributes.as_deref(),
    );
    Ok(scim_response(StatusCode::OK, &doc, Some(group.revision)))
}

/// `POST /Groups`.
pub async fn create(State(app): State<App>, caller: Caller, headers: HeaderMap, body: Bytes) -> Result<Response, Fail> {
    let r = GroupResource::from_json(&json_body(&headers, &body)?)?;
    let name = group_name(&r)?;
    let users = members(&r.members)?;
    let description = Description::parse("description", "", MAX_DESCRIPTION).map_err(DomainError::field)?;
    let writer = app.writer().await?;
    let commit = groups::create_provisioned(
        &writer.ctx(&caller.acting, Via::Scim),
        name.clone(),
        description,
        users,
        r.external_id,
    )
    .await
    .map_err(member_error)?;
    writer.commit(&commit).await?;
    let group = stored(&app, name.as_str()).await?;
    Ok(written(true, &document(&app, &group), group.revision))
}

/// Applies `wanted` to `before` (PUT and PATCH): a new `externalId`, then
/// the members added and removed.
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
    let wanted_members = members(&wanted.members)?;
    if let Some(read) = if_match(headers)
        && read != before.revision
    {
        return Err(ScimError::status(
            412,
            format!("`If-Match` names version {read}; it is at {}", before.revision),
        )
        .into());
    }
    if wanted.external_id != before.external_id {
        let writer = app.writer().await?;
        let commit = groups::set_external_id(
            &writer.ctx(&caller.acting, Via::Scim),
            &before.name,
            wanted.external_id.clone(),
            None,
        )
        .await?;
        writer.commit(&commit).await?;
    }
    let add: Vec<Username> = wanted_members
        .iter()
        .filter(|u| !before.members.contains(u))
        .cloned()
        .collect();
    let remove: Vec<Username> = before
        .members
        .iter()
        .filter(|u| !wanted_members.contains(u))
        .cloned()
        .collect();
    if !add.is_empty() || !remove.is_empty() {
        let writer = app.writer().await?;
        let commit = groups::change_members(&writer.ctx(&caller.acting, Via::Scim), &before.name, add, remove)
            .await
            .map_err(member_error)?;
        writer.commit(&commit).await?;
    }
    let group = stored(app, before.name.as_str()).await?;
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
    let writer = app.writer().await?;
    let commit = groups::delete(&writer.ctx(&caller.acting, Via::Scim), &group.name, if_match(&headers)).await?;
    writer.commit(&commit).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
