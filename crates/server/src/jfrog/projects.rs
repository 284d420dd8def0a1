//! `/access/api/v1/projects` with their roles and members, and the global
//! roles at `/access/api/v1/roles`: JFrog's wire over the operations.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use gatehouse_api as api;
use gatehouse_domain::entities::Role as Stored;
use gatehouse_jfrog::members::{MemberBody, Members};
use gatehouse_jfrog::projects::{Project, ProjectBody};
use gatehouse_jfrog::roles::{Place, Role, RoleBody};
use gatehouse_jfrog::{body, members as jmembers, projects as jprojects, roles as jroles};

use super::{Answer, Refused, every, json};
use crate::caller::Caller;
use crate::operations::members::{ListMembersInput, MemberRef, RemoveMemberInput, SetMemberInput};
use crate::operations::projects::{CreateProjectInput, DeleteProjectInput, PatchProjectInput};
use crate::operations::roles::{CreateRoleInput, DeleteRoleInput, PatchRoleInput, RolePlace};
use crate::operations::{Via, not_found};
use crate::state::App;

fn project(found: &gatehouse_domain::entities::Project) -> Project {
    Project::from(&api::Project::from(found))
}

/// `GET /access/api/v1/projects`: a bare array.
pub async fn list(State(app): State<App>, caller: Caller) -> Answer {
    let ops = app.ops(Via::Jfrog);
    let acting = &caller.acting;
    let all = every(|paging| async move { ops.list_projects(acting, &paging).await }).await?;
    json(StatusCode::OK, &all.iter().map(project).collect::<Vec<_>>())
}

/// `GET /access/api/v1/projects/{key}`.
pub async fn get(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    let found = app.ops(Via::Jfrog).get_project(&caller.acting, &key).await?;
    json(StatusCode::OK, &project(&found))
}

/// `POST /access/api/v1/projects`: 201.
pub async fn create(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    let new = jprojects::create(body::json::<ProjectBody>(&bytes)?)?;
    let done = app
        .ops(Via::Jfrog)
        .create_project(&caller.acting, CreateProjectInput::from(new))
        .await?;
    json(StatusCode::CREATED, &project(&done.value))
}

/// `PUT /access/api/v1/projects/{key}`: what the body leaves out stays.
pub async fn update(State(app): State<App>, caller: Caller, Path(key): Path<String>, bytes: Bytes) -> Answer {
    let parsed = body::json::<ProjectBody>(&bytes)?;
    let ops = app.ops(Via::Jfrog);
    let current = ops.get_project(&caller.acting, &key).await?;
    let patch = jprojects::update(parsed, &api::Project::from(&current))?;
    let input = PatchProjectInput::from_wire(key, patch, None);
    let done = ops.patch_project(&caller.acting, input).await?;
    json(StatusCode::OK, &project(&done.value))
}

/// `DELETE /access/api/v1/projects/{key}`: 204 (JFrog's delete is the
/// confirmation the native API asks for).
pub async fn delete(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    let input = DeleteProjectInput {
        confirm: Some(key.clone()),
        key,
        expected_revision: None,
    };
    app.ops(Via::Jfrog).delete_project(&caller.acting, input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn role_place(project: Option<String>) -> RolePlace {
    RolePlace { project }
}

fn role(app: &App, role: &Stored) -> Role {
    let catalogue = std::sync::Arc::clone(app.snapshot().catalogue());
    Role::new(&api::Role::new(role, &catalogue), &catalogue)
}

async fn roles_at(app: &App, caller: &Caller, place: &RolePlace) -> Result<Vec<Stored>, Refused> {
    let ops = app.ops(Via::Jfrog);
    let acting = &caller.acting;
    every(|paging| async move { ops.list_roles(acting, place, &paging).await }).await
}

async fn create_role_at(app: &App, caller: &Caller, project: Option<String>, jfrog: Place, bytes: &Bytes) -> Answer {
    let new = jroles::create(body::json::<RoleBody>(bytes)?, jfrog, app.snapshot().catalogue())?;
    let input = CreateRoleInput::from_wire(project.as_deref(), new);
    let done = app
        .ops(Via::Jfrog)
        .create_role(&caller.acting, &role_place(project), input)
        .await?;
    json(StatusCode::CREATED, &role(app, &done.value))
}

async fn update_role_at(
    app: &App,
    caller: &Caller,
    project: Option<String>,
    (jfrog, name): (Place, String),
    bytes: &Bytes,
) -> Answer {
    let patch = jroles::update(body::json::<RoleBody>(bytes)?, jfrog, &name, app.snapshot().catalogue())?;
    let input = PatchRoleInput::from_wire(name, patch, None);
    let done = app
        .ops(Via::Jfrog)
        .patch_role(&caller.acting, &role_place(project), input)
        .await?;
    json(StatusCode::OK, &role(app, &done.value))
}

async fn delete_role_at(app: &App, caller: &Caller, project: Option<String>, name: String) -> Answer {
    let input = DeleteRoleInput {
        name,
        force: false,
        expected_revision: None,
    };
    app.ops(Via::Jfrog)
        .delete_role(&caller.acting, &role_place(project), input)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /access/api/v1/projects/{key}/roles`: the global roles usable in
/// the project and its own, a bare array.
pub async fn list_roles(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    let own = roles_at(&app, &caller, &role_place(Some(key))).await?;
    let global = roles_at(&app, &caller, &role_place(None)).await?;
    let all: Vec<Role> = global.iter().chain(&own).map(|r| role(&app, r)).collect();
    json(StatusCode::OK, &all)
}

/// `GET /access/api/v1/projects/{key}/roles/{name}`: the project's role,
/// else the global one of that name.
pub async fn get_role(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    let ops = app.ops(Via::Jfrog);
    let found = match ops.get_role(&caller.acting, &role_place(Some(key)), &name).await {
        Ok(found) => found,
        Err(problem) if problem.code() == api::ErrorCode::NotFound => {
            ops.get_role(&caller.acting, &role_place(None), &name).await?
        }
        Err(problem) => return Err(problem.into()),
    };
    json(StatusCode::OK, &role(&app, &found))
}

/// `POST /access/api/v1/projects/{key}/roles`: 201.
pub async fn create_role(State(app): State<App>, caller: Caller, Path(key): Path<String>, bytes: Bytes) -> Answer {
    create_role_at(&app, &caller, Some(key), Place::Project, &bytes).await
}

/// `PUT /access/api/v1/projects/{key}/roles/{name}`.
pub async fn update_role(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    update_role_at(&app, &caller, Some(key), (Place::Project, name), &bytes).await
}

/// `DELETE /access/api/v1/projects/{key}/roles/{name}`: 204.
pub async fn delete_role(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    delete_role_at(&app, &caller, Some(key), name).await
}

/// `GET /access/api/v1/roles`: the global roles, a bare array.
pub async fn list_global_roles(State(app): State<App>, caller: Caller) -> Answer {
    let global = roles_at(&app, &caller, &role_place(None)).await?;
    json(
        StatusCode::OK,
        &global.iter().map(|r| role(&app, r)).collect::<Vec<_>>(),
    )
}

/// `GET /access/api/v1/roles/{name}`.
pub async fn get_global_role(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    let found = app
        .ops(Via::Jfrog)
        .get_role(&caller.acting, &role_place(None), &name)
        .await?;
    json(StatusCode::OK, &role(&app, &found))
}

/// `POST /access/api/v1/roles`: 201.
pub async fn create_global_role(State(app): State<App>, caller: Caller, bytes: Bytes) -> Answer {
    create_role_at(&app, &caller, None, Place::Global, &bytes).await
}

/// `PUT /access/api/v1/roles/{name}`.
pub async fn update_global_role(
    State(app): State<App>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Answer {
    update_role_at(&app, &caller, None, (Place::Global, name), &bytes).await
}

/// `DELETE /access/api/v1/roles/{name}`: 204.
pub async fn delete_global_role(State(app): State<App>, caller: Caller, Path(name): Path<String>) -> Answer {
    delete_role_at(&app, &caller, None, name).await
}

fn kind_name(kind: api::MemberKind) -> &'static str {
    match kind {
        api::MemberKind::User => "user",
        api::MemberKind::Group => "group",
    }
}

fn member_ref(kind: api::MemberKind, name: String) -> MemberRef {
    match kind {
        api::MemberKind::User => MemberRef::User(name),
        api::MemberKind::Group => MemberRef::Group(name),
    }
}

async fn members_of(
    app: &App,
    caller: &Caller,
    key: &str,
    kind: api::MemberKind,
    q: Option<&str>,
) -> Result<Vec<api::Member>, Refused> {
    let ops = app.ops(Via::Jfrog);
    let acting = &caller.acting;
    let all = every(|paging| async move {
        let input = ListMembersInput {
            project: key.to_owned(),
            kind: Some(kind_name(kind).to_owned()),
            q: q.map(str::to_owned),
            paging,
        };
        ops.list_members(acting, input).await
    })
    .await?;
    Ok(all.iter().map(api::Member::from).collect())
}

async fn list_members(app: App, caller: Caller, key: String, kind: api::MemberKind) -> Answer {
    let all = members_of(&app, &caller, &key, kind, None).await?;
    json(
        StatusCode::OK,
        &Members {
            members: all.iter().map(jmembers::Member::from).collect(),
        },
    )
}

async fn get_member(app: App, caller: Caller, key: String, name: String, kind: api::MemberKind) -> Answer {
    let found = members_of(&app, &caller, &key, kind, Some(&name)).await?;
    let member = found
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| not_found("member", &name))?;
    json(StatusCode::OK, &jmembers::Member::from(member))
}

async fn put_member(
    app: App,
    caller: Caller,
    (key, name): (String, String),
    kind: api::MemberKind,
    bytes: &Bytes,
) -> Answer {
    let roles = jmembers::set_roles(body::json::<MemberBody>(bytes)?, &name)?;
    let input = SetMemberInput {
        project: key,
        member: member_ref(kind, name),
        roles: roles.roles,
        expected_revision: None,
    };
    let done = app.ops(Via::Jfrog).set_member(&caller.acting, input).await?;
    json(StatusCode::OK, &jmembers::Member::from(&api::Member::from(&done.value)))
}

async fn delete_member(app: App, caller: Caller, (key, name): (String, String), kind: api::MemberKind) -> Answer {
    let input = RemoveMemberInput {
        project: key,
        member: member_ref(kind, name),
        expected_revision: None,
    };
    app.ops(Via::Jfrog).remove_member(&caller.acting, input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /access/api/v1/projects/{key}/users`: `{"members": [...]}`.
pub async fn list_users(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    list_members(app, caller, key, api::MemberKind::User).await
}

/// `GET /access/api/v1/projects/{key}/groups`: `{"members": [...]}`.
pub async fn list_groups(State(app): State<App>, caller: Caller, Path(key): Path<String>) -> Answer {
    list_members(app, caller, key, api::MemberKind::Group).await
}

/// `GET /access/api/v1/projects/{key}/users/{name}`.
pub async fn get_user(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    get_member(app, caller, key, name, api::MemberKind::User).await
}

/// `GET /access/api/v1/projects/{key}/groups/{name}`.
pub async fn get_group(State(app): State<App>, caller: Caller, Path((key, name)): Path<(String, String)>) -> Answer {
    get_member(app, caller, key, name, api::MemberKind::Group).await
}

/// `PUT /access/api/v1/projects/{key}/users/{name}`: sets the roles.
pub async fn put_user(
    State(app): State<App>,
    caller: Caller,
    Path(names): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    put_member(app, caller, names, api::MemberKind::User, &bytes).await
}

/// `PUT /access/api/v1/projects/{key}/groups/{name}`: sets the roles.
pub async fn put_group(
    State(app): State<App>,
    caller: Caller,
    Path(names): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    put_member(app, caller, names, api::MemberKind::Group, &bytes).await
}

/// `DELETE /access/api/v1/projects/{key}/users/{name}`: 204.
pub async fn delete_user(State(app): State<App>, caller: Caller, Path(names): Path<(String, String)>) -> Answer {
    delete_member(app, caller, names, api::MemberKind::User).await
}

/// `DELETE /access/api/v1/projects/{key}/groups/{name}`: 204.
pub async fn delete_group(State(app): State<App>, caller: Caller, Path(names): Path<(String, String)>) -> Answer {
    delete_member(app, caller, names, api::MemberKind::Group).await
}
