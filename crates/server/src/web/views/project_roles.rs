//! A project's **Project Roles** and **Global Roles** tabs (SPEC §12, §4):
//! the roles by name with their type, mode, what they grant and where,
//! linked to the role editor for those who may edit them (**Create
//! Project Roles** for holders of `project.manage_roles`, **Create Global
//! Role** for platform admins).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use gatehouse_domain::entities::{Role, RoleMode};

use super::project::{Done, Tabs, path_part};
use crate::operations::roles::RolePlace;
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::page::{Layout, failure, html};
use crate::web::session::Viewer;

/// One role of the list.
struct Row {
    name: String,
    href: Option<String>,
    role_type: &'static str,
    mode: &'static str,
    grants: String,
    environments: String,
    description: String,
}

#[derive(Template)]
#[template(path = "web/project_roles.html")]
struct RolesPage {
    layout: Layout,
    tabs: Tabs,
    heading: &'static str,
    rows: Vec<Row>,
    create: Option<(String, &'static str)>,
}

fn row(role: Role, href: Option<String>) -> Row {
    let grants = match role.mode {
        RoleMode::Basic => role.categories.join(", "),
        RoleMode::Advanced => role.actions.join(", "),
    };
    Row {
        name: role.name.as_str().to_owned(),
        href,
        role_type: role.role_type.as_str(),
        mode: match role.mode {
            RoleMode::Basic => "Basic",
            RoleMode::Advanced => "Advanced",
        },
        grants,
        environments: role
            .environments
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        description: role.description.as_str().to_owned(),
    }
}

async fn roles_tab(app: &App, viewer: &Viewer, key: &str, global: bool, done: Option<&str>) -> Response {
    let tab = if global { "/global-roles" } else { "/roles" };
    let (tabs, _) = match Tabs::of(app, viewer, key, tab).await {
        Ok(found) => found,
        Err(problem) => return failure(&problem),
    };
    let place = RolePlace {
        project: (!global).then(|| key.to_owned()),
    };
    let paging = Paging {
        limit: Some(1000),
        cursor: None,
    };
    let found = match app
        .ops(Via::Ui)
        .list_roles(&viewer.caller.acting, &place, &paging)
        .await
    {
        Ok(found) => found,
        Err(problem) => return failure(&problem),
    };
    let base = format!("/projects/{}/roles", path_part(&tabs.key));
    let (may_edit, heading) = if global {
        (tabs.may.manage_global_roles, "Global Roles")
    } else {
        (tabs.may.manage_roles, "Project Roles")
    };
    let href = |name: &str| {
        may_edit.then(|| {
            if global {
                format!("/roles/{}", path_part(name))
            } else {
                format!("{base}/{}", path_part(name))
            }
        })
    };
    let rows = found
        .items
        .into_iter()
        .map(|role| {
            let link = href(role.name.as_str());
            row(role, link)
        })
        .collect();
    let create = may_edit.then(|| {
        if global {
            ("/roles/new".to_owned(), "Create Global Role")
        } else {
            (format!("{base}/new"), "Create Project Roles")
        }
    });
    html(&RolesPage {
        layout: Layout::new(app, viewer, tabs.title(heading), "/projects").with_notice(done),
        tabs,
        heading,
        rows,
        create,
    })
}

/// `GET /projects/{key}/roles`: the Project Roles tab.
pub async fn project_roles(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    roles_tab(&app, &viewer, &key, false, done.code()).await
}

/// `GET /projects/{key}/global-roles`: the Global Roles tab.
pub async fn global_roles(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    roles_tab(&app, &viewer, &key, true, done.code()).await
}
