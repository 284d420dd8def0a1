//! Project members (SPEC §5.5): users or groups with at least one role;
//! `PUT` replaces the roles, `DELETE` removes the member; the listing is
//! filtered by `kind` and `q` and paged (fast at 100,000 members). Granting
//! follows SPEC §2.5: no one hands out what they do not hold.

use axum::Json;
use axum::extract::{Path, State};
use gatehouse_api::{self as api, Page, Problem};
use gatehouse_domain::Store as _;
use gatehouse_domain::commands::members;
use gatehouse_domain::entities::Principal;
use gatehouse_domain::names::{GroupName, ProjectKey, RoleName, Username};
use gatehouse_domain::store::MemberFilter;
use serde::Deserialize;

use super::respond::{IfMatch, Paging, Params, Written, not_found, refuse_invalid};
use super::visibility::visible_project;
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::problem::ApiProblem;
use crate::state::App;

/// `?kind=&q=&limit=&cursor=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// `user` or `group`.
    pub kind: Option<api::MemberKind>,
    /// Part of the member's name, any case.
    pub q: Option<String>,
    /// At most this many items (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/v1/projects/{key}/members`: users then groups, by name.
#[utoipa::path(get, path = "/api/v1/projects/{key}/members", tag = "members", params(("key" = String, Path), MemberQuery),
    responses((status = 200, body = Page<api::Member>), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Path(key): Path<String>,
    Params(query): Params<MemberQuery>,
) -> Result<Json<Page<api::Member>>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    let page = Paging {
        limit: query.limit,
        cursor: query.cursor,
    }
    .request()?;
    let filter = MemberFilter {
        kind: query.kind.map(|k| {
            match k {
                api::MemberKind::User => "user",
                api::MemberKind::Group => "group",
            }
            .to_owned()
        }),
        q: query.q.filter(|q| !q.is_empty()),
    };
    let found = app.store().members(&key, &filter, &page).await?;
    Ok(Json(Page::map(found.items, found.next_cursor, |m| {
        api::Member::from(&m)
    })))
}

fn role_names(raw: &[String]) -> Result<Vec<RoleName>, ApiProblem> {
    let mut errors = Vec::new();
    let roles = raw
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            RoleName::parse(r)
                .map_err(|e| errors.push(e.at(&format!("roles[{i}]"))))
                .ok()
        })
        .collect();
    refuse_invalid(errors)?;
    Ok(roles)
}

async fn set(
    app: &App,
    caller: &Caller,
    key: ProjectKey,
    principal: Principal,
    body: api::SetRoles,
    if_match: IfMatch,
) -> Result<Written<api::Member>, ApiProblem> {
    let roles = role_names(&body.roles)?;
    let writer = app.writer().await?;
    let commit = members::set(&writer.ctx(&caller.acting), key.clone(), principal.clone(), roles).await?;
    if_match.holds(writer.snapshot().revision())?;
    let revision = writer.commit(&commit).await?;
    let member = app
        .store()
        .member(&key, &principal)
        .await?
        .ok_or_else(|| ApiProblem::internal("a committed member is missing", &principal.name()))?;
    Ok(Written::ok(revision, api::Member::from(&member)))
}

async fn remove(
    app: &App,
    caller: &Caller,
    key: ProjectKey,
    principal: Principal,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let writer = app.writer().await?;
    let commit = members::remove(&writer.ctx(&caller.acting), key, principal).await?;
    if_match.holds(writer.snapshot().revision())?;
    Ok(Written::no_content(writer.commit(&commit).await?))
}

fn user(raw: &str) -> Result<Principal, ApiProblem> {
    Username::parse(raw)
        .map(Principal::User)
        .map_err(|_| not_found("user", raw))
}

fn group(raw: &str) -> Result<Principal, ApiProblem> {
    GroupName::parse(raw)
        .map(Principal::Group)
        .map_err(|_| not_found("group", raw))
}

/// `PUT /api/v1/projects/{key}/members/users/{username}`: `{"roles": [...]}`.
#[utoipa::path(put, path = "/api/v1/projects/{key}/members/users/{username}", tag = "members",
    params(("key" = String, Path), ("username" = String, Path)), request_body = api::SetRoles,
    responses((status = 200, body = api::Member), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn put_user(
    State(app): State<App>,
    caller: Caller,
    Path((key, username)): Path<(String, String)>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::SetRoles>,
) -> Result<Written<api::Member>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    set(&app, &caller, key, user(&username)?, body, if_match).await
}

/// `DELETE /api/v1/projects/{key}/members/users/{username}`.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/members/users/{username}", tag = "members",
    params(("key" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_user(
    State(app): State<App>,
    caller: Caller,
    Path((key, username)): Path<(String, String)>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    remove(&app, &caller, key, user(&username)?, if_match).await
}

/// `PUT /api/v1/projects/{key}/members/groups/{name}`: `{"roles": [...]}`.
#[utoipa::path(put, path = "/api/v1/projects/{key}/members/groups/{name}", tag = "members",
    params(("key" = String, Path), ("name" = String, Path)), request_body = api::SetRoles,
    responses((status = 200, body = api::Member), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn put_group(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    if_match: IfMatch,
    JsonBody(body): JsonBody<api::SetRoles>,
) -> Result<Written<api::Member>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    set(&app, &caller, key, group(&name)?, body, if_match).await
}

/// `DELETE /api/v1/projects/{key}/members/groups/{name}`.
#[utoipa::path(delete, path = "/api/v1/projects/{key}/members/groups/{name}", tag = "members",
    params(("key" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_group(
    State(app): State<App>,
    caller: Caller,
    Path((key, name)): Path<(String, String)>,
    if_match: IfMatch,
) -> Result<Written<()>, ApiProblem> {
    let (key, _) = visible_project(&app, &app.snapshot(), &caller.acting, &key)?;
    remove(&app, &caller, key, group(&name)?, if_match).await
}
