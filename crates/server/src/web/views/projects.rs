//! Projects (SPEC §12, §5.3): the projects the viewer may see, filtered as
//! you type (a plain GET form without JavaScript), paged by cursor; and
//! **Create Project** for holders of `projects.manage` (the admins named
//! become Project Admins). The operations' own list and create.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_authz::AdminPrivileges;
use serde::Deserialize;

use crate::operations::projects::CreateProjectInput;
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::Viewer;

/// Projects on one page of the list.
const PAGE_SIZE: u32 = 50;

/// One row of the list.
struct Row {
    key: String,
    display_name: String,
    description: String,
}

#[derive(Template)]
#[template(path = "web/projects.html")]
struct ProjectsPage {
    layout: Layout,
    q: String,
    rows: Vec<Row>,
    next: Option<String>,
    first_page: bool,
    may_create: bool,
}

/// `?q=&cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// `GET /projects`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(query): Query<ListQuery>) -> Response {
    let paging = Paging {
        limit: Some(PAGE_SIZE),
        cursor: query.cursor.clone().filter(|c| !c.is_empty()),
    };
    let ops = app.ops(Via::Ui);
    let found = match ops
        .search_projects(&viewer.caller.acting, Some(&query.q), &paging)
        .await
    {
        Ok(found) => found,
        Err(problem) => return failure(&problem),
    };
    let rows = found
        .items
        .into_iter()
        .map(|p| Row {
            key: p.key.as_str().to_owned(),
            display_name: p.display_name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
        })
        .collect();
    html(&ProjectsPage {
        layout: Layout::new(&app, &viewer, "Projects", "/projects").with_notice(query.done.as_deref()),
        may_create: ops.may_create_projects(&viewer.caller.acting),
        q: query.q,
        rows,
        next: found.next_cursor,
        first_page: paging.cursor.is_none(),
    })
}

/// The values of the Create Project form, kept when it comes back.
#[derive(Clone, Debug, Default)]
pub struct NewProjectValues {
    key: String,
    display_name: String,
    description: String,
    admins: String,
    privileges: AdminPrivileges,
}

#[derive(Template)]
#[template(path = "web/project_new.html")]
struct NewProjectPage {
    layout: Layout,
    values: NewProjectValues,
    errors: FormErrors,
}

/// `GET /projects/new`: the Create Project form.
pub async fn new(State(app): State<App>, viewer: Viewer) -> Response {
    html(&NewProjectPage {
        layout: Layout::new(&app, &viewer, "Create Project", "/projects"),
        values: NewProjectValues::default(),
        errors: FormErrors::none(),
    })
}

/// The three admin privileges of a project form (`manage_members`,
/// `manage_resources`, `index_resources` checkboxes).
#[must_use]
pub fn privileges_of(fields: &[(String, String)]) -> AdminPrivileges {
    let on = |name: &str| fields.iter().any(|(n, v)| n == "admin_privileges" && v == name);
    AdminPrivileges {
        manage_members: on("manage_members"),
        manage_resources: on("manage_resources"),
        index_resources: on("index_resources"),
    }
}

/// The value of the field `name` (the last one sent), or empty.
#[must_use]
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of the field `name`, in order.
#[must_use]
pub fn fields_named(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// `POST /projects`: Create Project.
pub async fn create(State(app): State<App>, viewer: Viewer, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let values = NewProjectValues {
        key: field(&fields, "key").to_owned(),
        display_name: field(&fields, "display_name").to_owned(),
        description: field(&fields, "description").to_owned(),
        admins: field(&fields, "admins").to_owned(),
        privileges: privileges_of(&fields),
    };
    let input = CreateProjectInput {
        key: values.key.trim().to_owned(),
        display_name: values.display_name.trim().to_owned(),
        description: values.description.clone(),
        admin_privileges: values.privileges,
        admins: values
            .admins
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    match app.ops(Via::Ui).create_project(&viewer.caller.acting, input).await {
        Ok(done) => Redirect::to(&format!(
            "/projects/{}?done=created",
            crate::web::views::project::path_part(done.value.key.as_str())
        ))
        .into_response(),
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| match root_field(f) {
                    "key" => Some("key"),
                    "display_name" => Some("display_name"),
                    "description" => Some("description"),
                    "admins" => Some("admins"),
                    _ => None,
                },
                |code| match code {
                    gatehouse_api::ErrorCode::AlreadyExists | gatehouse_api::ErrorCode::LimitExceeded => Some("key"),
                    gatehouse_api::ErrorCode::NotFound => Some("admins"),
                    _ => None,
                },
            );
            html_with(
                problem.problem.status,
                &NewProjectPage {
                    layout: Layout::new(&app, &viewer, "Create Project", "/projects"),
                    values,
                    errors,
                },
            )
        }
    }
}
