//! A user's page (SPEC §12): profile, account permissions, groups, the
//! projects it is a member of with its **Effective permissions** in each
//! (every action per environment, with the grants that give it — the
//! API's own `users/{username}/permissions`), and disable, enable,
//! unlock, delete with confirmation (the API's own commands: the
//! dominance rule of SPEC §2.5 answers for them), its tokens with a revoke
//! button each (shown when the viewer may list them: the operations'
//! `list_tokens` decides), and, for holders of `audit.read`, the latest
//! audit records about it with links to the rest.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_api as api;
use serde::Deserialize;

use super::impact::{ImpactView, previewed};
use super::users::{shown_time, status_name};
use super::{audit, tokens};
use crate::handlers::users::wire_user;
use crate::operations::users::{UserRef, path_username, stored_user};
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::page::{Layout, failure, html, message};
use crate::web::session::{Viewer, may_reach};
use gatehouse_domain::commands::users::StatusChange;
use gatehouse_domain::store::AuditFilter;

/// At most this many projects' effective permissions on the page.
const PROJECTS_SHOWN: u32 = 20;
/// At most this many of its tokens on the page.
const TOKENS_SHOWN: u32 = 50;
/// The latest audit records about it on the page.
const AUDIT_SHOWN: u32 = 10;

/// One action's line of the effective permissions.
struct Line {
    action: String,
    environments: String,
    grants: Vec<String>,
}

/// One project of the user.
struct ProjectPermissions {
    key: String,
    lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "web/user.html")]
struct UserPage {
    layout: Layout,
    /// What a previewed status change would do.
    impact: Option<ImpactView>,
    user: api::User,
    status: &'static str,
    created: String,
    last_login: String,
    projects: Vec<ProjectPermissions>,
    more_projects: bool,
    /// Its tokens, when the viewer may list them.
    tokens: Option<Vec<tokens::Row>>,
    /// The latest records about it, when the viewer may read the audit log.
    history: Option<Vec<audit::Row>>,
    /// `username` as a query-string value, for the audit links.
    username_query: String,
}

/// `?done=`: what the last action did.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// One grant in words: `role Developer through group devs in DEV, PROD`.
#[must_use]
pub fn grant_text(grant: &api::Grant) -> String {
    let via = match grant.via {
        api::Via::User => "directly".to_owned(),
        api::Via::Group => format!("through group {}", grant.name),
        api::Via::Admin => "as platform admin".to_owned(),
    };
    let envs = if grant.environments.is_empty() {
        String::new()
    } else {
        format!(" in {}", grant.environments.join(", "))
    };
    format!("role {} {via}{envs}", grant.role)
}

/// `GET /users/{username}`.
pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Path(username): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    page(&app, &viewer, &username, done.done.as_deref(), None).await
}

/// The user's page, with the impact of a previewed status change if any.
async fn page(app: &App, viewer: &Viewer, username: &str, done: Option<&str>, impact: Option<ImpactView>) -> Response {
    let Ok(name) = path_username(username) else {
        return crate::web::page::not_found();
    };
    let user = match stored_user(app, &name).await {
        Ok(user) => user,
        Err(problem) => return failure(&problem),
    };
    let snapshot = app.snapshot();
    let wire = wire_user(&snapshot, &user, app.now());
    let ops = app.ops(Via::Ui);
    // One more than is shown, to know whether there are more.
    let member_of = match ops
        .member_projects(&viewer.caller.acting, &name, PROJECTS_SHOWN + 1)
        .await
    {
        Ok(keys) => keys,
        Err(problem) => return failure(&problem),
    };
    let mut projects = Vec::new();
    for key in member_of.iter().take(PROJECTS_SHOWN as usize) {
        let Ok(decided) = ops.permissions(&viewer.caller.acting, username, Some(key.as_str())) else {
            continue;
        };
        let (user, project, permissions) = &decided.value;
        let answer = api::Permissions::new(&decided.snapshot, *user, project, permissions);
        let lines = answer
            .permissions
            .iter()
            .map(|p| Line {
                action: p.action.clone(),
                environments: p
                    .environments
                    .as_ref()
                    .map_or_else(|| "any (not environment-scoped)".to_owned(), |e| e.join(", ")),
                grants: p.grants.iter().map(grant_text).collect(),
            })
            .collect();
        projects.push(ProjectPermissions {
            key: key.as_str().to_owned(),
            lines,
        });
    }
    let paging = Paging {
        limit: Some(TOKENS_SHOWN),
        cursor: None,
    };
    // A viewer who may not list them (403, or 404 for a user it does not
    // dominate) sees no token section; any other failure is the page's.
    let tokens = match ops.list_tokens(&viewer.caller.acting, name.as_str(), &paging).await {
        Ok(page) => Some(page.items.iter().map(api::Token::from).map(tokens::Row::of).collect()),
        Err(problem) if matches!(problem.problem.status, 403 | 404) => None,
        Err(problem) => return failure(&problem),
    };
    let history = if may_reach(app, crate::web::AUDIT, &viewer.caller) {
        let about = AuditFilter {
            target: Some(name.as_str().to_owned()),
            ..AuditFilter::default()
        };
        match ops.latest_audit(&about, AUDIT_SHOWN).await {
            Ok(records) => Some(records.iter().map(audit::Row::of).collect()),
            Err(problem) => return failure(&problem),
        }
    } else {
        None
    };
    html(&UserPage {
        layout: Layout::new(app, viewer, format!("User {username}"), "/users").with_notice(done),
        tokens,
        history,
        username_query: form_urlencoded::byte_serialize(name.as_str().as_bytes()).collect(),
        status: status_name(wire.status),
        created: shown_time(wire.created_at),
        last_login: wire.last_login_at.map_or_else(|| "never".to_owned(), shown_time),
        user: wire,
        projects,
        more_projects: member_of.len() > PROJECTS_SHOWN as usize,
        impact,
    })
}

/// The delete form: the username typed again as confirmation.
#[derive(Debug, Deserialize)]
pub struct Confirm {
    #[serde(default)]
    confirm: String,
    /// The token to revoke (`revoke-token`).
    #[serde(default)]
    token: String,
    /// `yes`: preview the status change, write nothing.
    #[serde(default)]
    preview: String,
}

/// `POST /users/{username}/{action}`: disable, enable, unlock, delete, or
/// `revoke-token` (one of its tokens; a token of another user is not found
/// here).
pub async fn act(
    State(app): State<App>,
    viewer: Viewer,
    Path((username, action)): Path<(String, String)>,
    Form(confirm): Form<Confirm>,
) -> Response {
    let acting = &viewer.caller.acting;
    if action == "disable" && confirm.preview == "yes" {
        // The same change as a dry run, its impact on the user's page.
        let user = UserRef {
            username: username.clone(),
            expected_revision: None,
        };
        let dry = previewed(&app, &viewer, async move |ops| {
            ops.set_user_status(acting, user, StatusChange::Disable).await
        });
        return match dry.await {
            Ok(impact) => page(&app, &viewer, &username, None, impact).await,
            Err(problem) => failure(&problem),
        };
    }
    let ops = app.ops(Via::Ui);
    let user = UserRef {
        username: username.clone(),
        expected_revision: None,
    };
    let (done, notice) = match action.as_str() {
        "disable" => (
            ops.set_user_status(acting, user, StatusChange::Disable)
                .await
                .map(|_| ()),
            "disabled",
        ),
        "enable" => (
            ops.set_user_status(acting, user, StatusChange::Enable)
                .await
                .map(|_| ()),
            "enabled",
        ),
        "unlock" => (
            ops.set_user_status(acting, user, StatusChange::Unlock)
                .await
                .map(|_| ()),
            "unlocked",
        ),
        "delete" if confirm.confirm.trim() == username => (ops.delete_user(acting, user).await.map(|_| ()), "deleted"),
        "revoke-token" => (
            ops.revoke_user_token(acting, &username, &confirm.token)
                .await
                .map(|_| ()),
            "revoked",
        ),
        "delete" => {
            return message(
                422,
                "Not deleted",
                "Type the username exactly to confirm the deletion. Go back and try again.",
            );
        }
        _ => return crate::web::page::not_found(),
    };
    match done {
        Ok(()) if notice == "deleted" => Redirect::to("/users?done=deleted").into_response(),
        Ok(()) => Redirect::to(&format!(
            "/users/{}?done={notice}",
            form_urlencoded::byte_serialize(username.as_bytes()).collect::<String>()
        ))
        .into_response(),
        Err(problem) => failure(&problem),
    }
}
