//! `/access/api/v2/users` and `/access/api/v2/groups`: JFrog's v2 wire
//! over the operations; lists answer `{"users"|"groups", "cursor"}`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use gatehouse_api as api;
use gatehouse_api::Secret;
use gatehouse_domain::commands::users::StatusChange;
use gatehouse_domain::entities::{Group, User};
use gatehouse_jfrog::groups::{self as jgroups, GroupBody, GroupDetails, GroupItem, GroupList, GroupMembers};
use gatehouse_jfrog::users::{self as jusers, AddRemove, PasswordBody, UserBody, UserDetails, UserItem, UserList};
use gatehouse_jfrog::{Failure, body};

use super::{Answer, Refused, json};
use crate::caller::{Caller, Client};
use crate::handlers::users::wire_user;
use crate::operations::groups::{CreateGroupInput, GroupMembersInput, PatchGroupInput, UserGroupsInput};
use crate::operations::users::{
    CreateUserInput, ListUsersInput, PatchUserInput, SetPasswordInput, UserRef, wire_status,
};
use crate::operations::{Paging, Via};
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

fn user_wire(app: &App, user: &User) -> api::User {
    wire_user(&app.snapshot(), user, app.now())
}

async fn user_details(app: &App, username: &str, status: StatusCode) -> Answer {
    let user = app.ops(Via::Jfrog).get_user(username).await?;
    json(status, &UserDetails::from(&user_wire(app, &user)))
}

/// `GET /access/api/v2/users?limit=&cursor=&username=&status=`.
pub async fn list_users(State(app): State<App>, Query(query): Query<HashMap<String, String>>) -> Answer {
    let paging = paging(&query)?;
    let status = query.get("status").map(|s| jusers::parse_status(s)).transpose()?;
    let input = ListUsersInput {
        q: query.get("username").cloned(),
        status: status.map(wire_status),
        paging,
        ..ListUsersInput::default()
    };
    let page = app.ops(Via::Jfrog).list_users(input).await?;
    json(
        StatusCode::OK,
        &UserList {
            users: page.items.iter().map(|u| UserItem::from(&user_wire(&app, u))).collect(),
            cursor: page.next_cursor,
        },
    )
}

/// `GET /access/api/v2/users/{username}`.
pub async fn get_user(State(app): State<App>, Path(username): Path<String>) -> Answer {
    user_details(&app, &username, StatusCode::OK).await
}

/// `POST /access/api/v2/users`: 201; the user and its `groups` in one
/// commit.
pub async fn create_user(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jusers::create(body::json::<UserBody>(&bytes)?)?;
    let input = CreateUserInput {
        groups: new.groups,
        ..CreateUserInput::from(new.user)
    };
    let done = app.ops(Via::Jfrog).create_user(&caller.acting, input).await?;
    let username = done.value.username.as_str().to_owned();
    user_details(&app, &username, StatusCode::CREATED).await
}

async fn password(
    app: &App,
    caller: &Caller,
    (client, username): (Client, String),
    (current, new): (Option<Secret>, Secret),
) -> Result<(), Refused> {
    let input = SetPasswordInput {
        username,
        current_password: current.map(|p| p.expose().to_owned()),
        new_password: new.expose().to_owned(),
        keep_session: caller.credential.session_id().map(str::to_owned),
        client,
        expected_revision: None,
    };
    app.ops(Via::Jfrog).set_password(&caller.acting, input).await?;
    Ok(())
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
    let ops = app.ops(Via::Jfrog);
    let current = ops.get_user(&username).await?;
    let change = jusers::update(parsed, &user_wire(&app, &current))?;
    if change.patch.email.is_some() || change.patch.admin.is_some() {
        let input = PatchUserInput {
            username: username.clone(),
            email: change.patch.email,
            admin: change.patch.admin,
            account_permissions: None,
            expected_revision: None,
        };
        ops.patch_user(&caller.acting, input).await?;
    }
    if let Some(new) = change.password {
        password(&app, &caller, (client, username.clone()), (None, new)).await?;
    }
    user_details(&app, &username, StatusCode::OK).await
}

/// `DELETE /access/api/v2/users/{username}`: 204.
pub async fn delete_user(State(app): State<App>, caller: Caller, Path(username): Path<String>) -> Answer {
    let user = UserRef {
        username,
        expected_revision: None,
    };
    app.ops(Via::Jfrog).delete_user(&caller.acting, user).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /access/api/v2/users/{username}/unlock`: ends a lockout at once;
/// answers the user.
pub async fn unlock_user(State(app): State<App>, caller: Caller, Path(username): Path<String>) -> Answer {
    let user = UserRef {
        username,
        expected_revision: None,
    };
    let done = app
        .ops(Via::Jfrog)
        .set_user_status(&caller.acting, user, StatusChange::Unlock)
        .await?;
    json(StatusCode::OK, &UserDetails::from(&user_wire(&app, &done.value)))
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
    password(
        &app,
        &caller,
        (client, username),
        (change.current_password, change.new_password),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /access/api/v2/users/{username}/groups` `{"add", "remove"}`:
/// one commit.
pub async fn change_user_groups(
    State(app): State<App>,
    caller: Caller,
    Path(username): Path<String>,
    bytes: Bytes,
) -> Answer {
    let change = body::json::<AddRemove>(&bytes)?;
    let input = UserGroupsInput {
        username,
        add: change.add.unwrap_or_default(),
        remove: change.remove.unwrap_or_default(),
    };
    let done = app.ops(Via::Jfrog).change_user_groups(&caller.acting, input).await?;
    json(
        StatusCode::OK,
        &serde_json::json!({"groups": user_wire(&app, &done.value).groups}),
    )
}

fn group_details(group: &Group) -> GroupDetails {
    GroupDetails::from(&api::Group::from(group))
}

/// `GET /access/api/v2/groups?limit=&cursor=`.
pub async fn list_groups(State(app): State<App>, Query(query): Query<HashMap<String, String>>) -> Answer {
    let page = app.ops(Via::Jfrog).list_groups(&paging(&query)?).await?;
    json(
        StatusCode::OK,
        &GroupList {
            groups: page
                .items
                .iter()
                .map(|g| GroupItem::from(&api::Group::from(g)))
                .collect(),
            cursor: page.next_cursor,
        },
    )
}

/// `GET /access/api/v2/groups/{name}`.
pub async fn get_group(State(app): State<App>, Path(name): Path<String>) -> Answer {
    let group = app.ops(Via::Jfrog).get_group(&name).await?;
    json(StatusCode::OK, &group_details(&group))
}

/// `POST /access/api/v2/groups`: 201.
pub async fn create_group(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jgroups::create(body::json::<GroupBody>(&bytes)?)?;
    let input = CreateGroupInput {
        name: new.name,
        description: new.description,
        members: new.members,
    };
    let done = app.ops(Via::Jfrog).create_group(&caller.acting, input).await?;
    json(StatusCode::CREATED, &group_details(&done.value))
}

/// `PATCH /access/api/v2/groups/{name}`.
pub async fn update_group(State(app): State<App>, caller: Caller, Path(name): Path<String>, bytes: Bytes) -> Answer {
    let patch = jgroups::update(body::json::<GroupBody>(&bytes)?)?;
    let input = PatchGroupInput {
        name,
        description: patch.description,
        expected_revision: None,
    };
    let done = app.ops(Via::Jfrog).patch_group(&caller.acting, input).await?;
    json(StatusCode::OK, &group_details(&done.value))
}

/// `DELETE /access/api/v2/groups/{name}`: 204.
pub async fn delete_group(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    app.ops(Via::Jfrog).delete_group(&caller.acting, &name, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /access/api/v2/groups/{name}/members` `{"add", "remove"}`:
/// `{"members"}`.
pub async fn change_members(State(app): State<App>, caller: Caller, Path(name): Path<String>, bytes: Bytes) -> Answer {
    let change = jgroups::change_members(body::json::<AddRemove>(&bytes)?);
    let input = GroupMembersInput {
        name,
        add: change.add,
        remove: change.remove,
        expected_revision: None,
    };
    let done = app.ops(Via::Jfrog).change_group_members(&caller.acting, input).await?;
    json(
        StatusCode::OK,
        &GroupMembers {
            members: api::Group::from(&done.value).members,
        },
    )
}
