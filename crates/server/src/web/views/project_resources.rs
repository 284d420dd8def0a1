//! A project's **Resources** tab (SPEC §12, §5.6): its resources by type
//! and name, paged; holders of `project.manage_resources` register one
//! (of a catalogue resource type, with its environment when the type is
//! environment-scoped) and remove one (asked first).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use serde::Deserialize;

use super::confirm::{Ask, confirmed};
use super::project::{Tabs, path_part};
use super::projects::field;
use crate::operations::environments::EnvPlace;
use crate::operations::resources::ResourceInput;
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::Viewer;

/// Resources on one page.
const PAGE_SIZE: u32 = 50;

/// One resource.
struct Row {
    resource_type: String,
    name: String,
    environment: String,
    created: String,
}

/// A resource type of the catalogue.
struct TypeOption {
    id: String,
    env_scoped: bool,
}

/// The values of the register form.
#[derive(Clone, Debug, Default)]
struct Values {
    resource_type: String,
    name: String,
    environment: String,
}

#[derive(Template)]
#[template(path = "web/project_resources.html")]
struct ResourcesPage {
    layout: Layout,
    tabs: Tabs,
    rows: Vec<Row>,
    next: Option<String>,
    types: Vec<TypeOption>,
    environments: Vec<String>,
    values: Values,
    errors: FormErrors,
}

/// `?cursor=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn page(
    app: &App,
    viewer: &Viewer,
    key: &str,
    query: &ListQuery,
    values: Values,
    errors: FormErrors,
) -> Result<ResourcesPage, Response> {
    let (tabs, _) = Tabs::of(app, viewer, key, "/resources")
        .await
        .map_err(|p| failure(&p))?;
    let ops = app.ops(Via::Ui);
    let acting = &viewer.caller.acting;
    let paging = Paging {
        limit: Some(PAGE_SIZE),
        cursor: query.cursor.clone().filter(|c| !c.is_empty()),
    };
    let found = ops
        .list_resources(acting, key, &paging)
        .await
        .map_err(|p| failure(&p))?;
    let environments = ops
        .list_environments(
            acting,
            &EnvPlace {
                project: Some(key.to_owned()),
            },
            &Paging {
                limit: Some(1000),
                cursor: None,
            },
        )
        .await
        .map_err(|p| failure(&p))?
        .items
        .into_iter()
        .map(|e| e.name.as_str().to_owned())
        .collect();
    let types = app
        .snapshot()
        .catalogue()
        .resource_types()
        .iter()
        .map(|t| TypeOption {
            id: t.id.clone(),
            env_scoped: t.env_scoped,
        })
        .collect();
    let rows = found
        .items
        .into_iter()
        .map(|r| Row {
            resource_type: r.resource_type,
            name: r.name.as_str().to_owned(),
            environment: r.environment.map(|e| e.as_str().to_owned()).unwrap_or_default(),
            created: super::users::shown_time(r.created_at),
        })
        .collect();
    Ok(ResourcesPage {
        layout: Layout::new(app, viewer, tabs.title("Resources"), "/projects").with_notice(query.done.as_deref()),
        tabs,
        rows,
        next: found.next_cursor,
        types,
        environments,
        values,
        errors,
    })
}

/// `GET /projects/{key}/resources`.
pub async fn list(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(query): Query<ListQuery>,
) -> Response {
    match page(&app, &viewer, &key, &query, Values::default(), FormErrors::none()).await {
        Ok(page) => html(&page),
        Err(response) => response,
    }
}

/// `POST /projects/{key}/resources`: register one.
pub async fn register(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = Values {
        resource_type: field(&fields, "resource_type").to_owned(),
        name: field(&fields, "name").to_owned(),
        environment: field(&fields, "environment").to_owned(),
    };
    let input = ResourceInput {
        project: key.clone(),
        resource_type: values.resource_type.clone(),
        name: values.name.trim().to_owned(),
        environment: Some(values.environment.clone()).filter(|e| !e.is_empty()),
        expected_revision: None,
    };
    let problem = match app.ops(Via::Ui).register_resource(&viewer.caller.acting, input).await {
        Ok(_) => {
            return Redirect::to(&format!("/projects/{}/resources?done=created", path_part(&key))).into_response();
        }
        Err(problem) => problem,
    };
    let errors = FormErrors::from_problem(
        &problem,
        |f| match root_field(f) {
            "environment" => Some("environment"),
            "resource_type" | "type" => Some("resource_type"),
            _ => Some("name"),
        },
        |_| Some("name"),
    );
    match page(&app, &viewer, &key, &ListQuery::default(), values, errors).await {
        Ok(page) => html_with(problem.problem.status, &page),
        Err(response) => response,
    }
}

/// `POST /projects/{key}/resources/remove`: asks first, then removes.
pub async fn remove(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (resource_type, name) = (field(&fields, "resource_type"), field(&fields, "name"));
    let back = format!("/projects/{}/resources", path_part(&key));
    if !confirmed(&fields) {
        return Ask {
            heading: "Remove resource",
            text: format!("Remove the {resource_type} {name} from the project {key}?"),
            names: Vec::new(),
            action: format!("{back}/remove"),
            fields: vec![("resource_type", resource_type.to_owned()), ("name", name.to_owned())],
            force: false,
            button: "Remove",
            back,
            impact: None,
        }
        .in_project(&app, &viewer, &key)
        .await;
    }
    let input = ResourceInput {
        project: key.clone(),
        resource_type: resource_type.to_owned(),
        name: name.to_owned(),
        environment: None,
        expected_revision: None,
    };
    match app.ops(Via::Ui).remove_resource(&viewer.caller.acting, input).await {
        Ok(_) => Redirect::to(&format!("{back}?done=removed")).into_response(),
        Err(problem) => failure(&problem),
    }
}
