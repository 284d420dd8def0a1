//! `/access/api/v2/users` and `/access/api/v2/groups`: JFrog's v2 wire
//! over the native handlers; lists answer `{"users"|"groups", "cursor"}`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use gatehouse_api as api;
use gatehouse_jfrog::groups::{self as jgroups, GroupBody, GroupDetails, GroupItem, GroupList, GroupMembers};
use gatehouse_jfrog::users::{self as jusers, AddRemove, PasswordBody, UserBody, UserDetails, UserItem, UserList};
use gatehouse_jfrog::{Failure, body};

use super::{Answer, Refused, json, tagged, written};
use crate::caller::{Caller, Client};
use crate::handlers::respond::{IfMatch, Params};
use crate::handlers::users::UserQuery;
use crate::handlers::{groups, users};
use crate::json::JsonBody;
use crate::operations::Paging;
use crate::state::App;

/// `?limit=` and `?cursor=` of JFrog's lists (other parameters ignored).
fn paging(query: &HashMap<String, String>) -> Result<Paging, Refused> {
    let limit = query
        .get("limit")
        .map(|l| {
            l.parse::<u32>()
                .map_err(|_| Failure::field("limit", "must be a number"))
        })
        .transpose()?;
    Ok(Paging {
        limit,
        cursor: query.get("cursor").filter(|c| !c.is_empty()).cloned(),
    })
}

async fn user_details(app: &App, username: String) -> Answer {
    let user = tagged(users::get(State(app.clone()), Path(username)).await?);
    json(StatusCode::OK, &UserDetails::from(&user))
}

/// `GET /access/api/v2/users?limit=&cursor=&username=&status=`.
pub async fn list_users(State(app): State<App>, Query(query): Query<HashMap<String, String>>) -> Answer {
    let paging = paging(&query)?;
    let status = query.get("status").map(|s| jusers::parse_status(s)).transpose()?;
    let filter = UserQuery {
        q: query.get("username").cloned(),
        status,
        limit: paging.limit,
        cursor: paging.cursor,
    };
    let axum::Json(page) = users::list(State(app), Params(filter)).await?;
    json(
        StatusCode::OK,
        &UserList {
            users: page.items.iter().map(UserItem::from).collect(),
            cursor: page.next_cursor,
        },
    )
}

/// `GET /access/api/v2/users/{username}`.
pub async fn get_user(State(app): State<App>, Path(username): Path<String>) -> Answer {
    user_details(&app, username).await
}

async fn join_groups(app: &App, caller: &Caller, username: &str, change: AddRemove) -> Result<(), Refused> {
    for (names, add) in [
        (change.add.unwrap_or_default(), true),
        (change.remove.unwrap_or_default(), false),
    ] {
        for group in names {
            let one = vec![username.to_owned()];
            let (add, remove) = if add { (one, Vec::new()) } else { (Vec::new(), one) };
            let change = api::PatchGroupMembers { add, remove };
            groups::change_members(
                State(app.clone()),
                caller.clone(),
                Path(group),
                IfMatch(None),
                JsonBody(change),
            )
            .await?;
        }
    }
    Ok(())
}

/// `POST /access/api/v2/users`: 201; then joins `groups`.
pub async fn create_user(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jusers::create(body::json::<UserBody>(&bytes)?)?;
    let user = written(users::create(State(app.clone()), caller.clone(), JsonBody(new.user)).await?)?;
    let change = AddRemove {
        add: Some(new.groups),
        remove: None,
    };
    join_groups(&app, &caller, &user.username, change).await?;
    let user = tagged(users::get(State(app.clone()), Path(user.username)).await?);
    json(StatusCode::CREATED, &UserDetails::from(&user))
}

/// `PATCH /access/api/v2/users/{username}`: email, admin flag, password.
pub async fn update_user(
    State(app): State<App>,
    caller: Caller,
    client: Client,
    Path(username): Path<String>,
    bytes: Bytes,
) -> Answer {
    let parsed = body::json::<UserBody>(&bytes)?;
    let current = tagged(users::get(State(app.clone()), Path(username.clone())).await?);
    let change = jusers::update(parsed, &current)?;
    if change.patch.email.is_some() || change.patch.admin.is_some() {
        users::patch(
            State(app.clone()),
            caller.clone(),
            Path(username.clone()),
            IfMatch(None),
            JsonBody(change.patch),
        )
        .await?;
    }
    if let Some(password) = change.password {
        let body = api::SetPassword {
            current_password: None,
            new_password: password,
        };
        users::set_password(
            State(app.clone()),
            caller,
            client,
            Path(username.clone()),
            IfMatch(None),
            JsonBody(body),
        )
        .await?;
    }
    user_details(&app, username).await
}

/// `DELETE /access/api/v2/users/{username}`: 204.
pub async fn delete_user(State(app): State<App>, caller: Caller, Path(username): Path<String>) -> Answer {
    users::delete(State(app), caller, Path(username), IfMatch(None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /access/api/v2/users/{username}/password`: 204.
pub async fn set_password(
    State(app): State<App>,
    caller: Caller,
    client: Client,
    Path(username): Path<String>,
    bytes: Bytes,
) -> Answer {
    let change = jusers::set_password(body::json::<PasswordBody>(&bytes)?)?;
    users::set_password(
        State(app),
        caller,
        client,
        Path(username),
        IfMatch(None),
        JsonBody(change),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /access/api/v2/users/{username}/groups` `{"add", "remove"}`.
pub async fn change_user_groups(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    bytes: Bytes,
) -> Answer {
    let change = body::json::<AddRemove>(&bytes)?;
    join_groups(&app, &caller, &username, change).await?;
    let user = tagged(users::get(State(app), Path(username)).await?);
    json(StatusCode::OK, &serde_json::json!({"groups": user.groups}))
}

/// `GET /access/api/v2/groups?limit=&cursor=`.
pub async fn list_groups(State(app): State<App>, Query(query): Query<HashMap<String, String>>) -> Answer {
    let axum::Json(page) = groups::list(State(app), Params(paging(&query)?)).await?;
    json(
        StatusCode::OK,
        &GroupList {
            groups: page.items.iter().map(GroupItem::from).collect(),
            cursor: page.next_cursor,
        },
    )
}

/// `GET /access/api/v2/groups/{name}`.
pub async fn get_group(State(app): State<App>, Path(name): Path<String>) -> Answer {
    let group = tagged(groups::get(State(app), Path(name)).await?);
    json(StatusCode::OK, &GroupDetails::from(&group))
}

/// `POST /access/api/v2/groups`: 201.
pub async fn create_group(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jgroups::create(body::json::<GroupBody>(&bytes)?)?;
    let group = written(groups::create(State(app), caller, JsonBody(new)).await?)?;
    json(StatusCode::CREATED, &GroupDetails::from(&group))
}

/// `PATCH /access/api/v2/groups/{name}`.
pub async fn update_group(State(app): State<App>, caller: Caller, Path(name): Path<String>, bytes: Bytes) -> Answer {
    let patch = jgroups::update(body::json::<GroupBody>(&bytes)?)?;
    let group = written(groups::patch(State(app), caller, Path(name), IfMatch(None), JsonBody(patch)).await?)?;
    json(StatusCode::OK, &GroupDetails::from(&group))
}

/// `DELETE /access/api/v2/groups/{name}`: 204.
pub async fn delete_group(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    groups::delete(State(app), caller, Path(name), IfMatch(None)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /access/api/v2/groups/{name}/members` `{"add", "remove"}`:
/// `{"members"}`.
pub async fn change_members(State(app): State<App>, caller: Caller, Path(name): Path<String>, bytes: Bytes) -> Answer {
    let change = jgroups::change_members(body::json::<AddRemove>(&bytes)?);
    let group =
        written(groups::change_members(State(app), caller, Path(name), IfMatch(None), JsonBody(change)).await?)?;
    json(StatusCode::OK, &GroupMembers { members: group.members })
}
