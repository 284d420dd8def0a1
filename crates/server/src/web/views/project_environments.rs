//! A project's **Environments** tab (SPEC §12, §5.4): the global
//! environments its roles may use, and its own (`<key>-NAME`), which
//! holders of `project.manage_environments` create and delete — asked
//! first, and again naming the roles when roles use it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_api::ErrorCode;

use super::confirm::{Ask, confirmed, forced};
use super::impact::{ImpactView, previewed};
use super::project::{Done, Tabs, path_part};
use super::projects::field;
use crate::operations::environments::{DeleteEnvironmentInput, EnvPlace};
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::FormErrors;
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::Viewer;

#[derive(Template)]
#[template(path = "web/project_environments.html")]
struct EnvironmentsPage {
    layout: Layout,
    tabs: Tabs,
    global: Vec<String>,
    own: Vec<String>,
    env_name: String,
    errors: FormErrors,
}

fn place(key: &str) -> EnvPlace {
    EnvPlace {
        project: Some(key.to_owned()),
    }
}

async fn page(
    app: &App,
    viewer: &Viewer,
    key: &str,
    name: String,
    errors: FormErrors,
) -> Result<EnvironmentsPage, Response> {
    let (tabs, _) = Tabs::of(app, viewer, key, "/environments")
        .await
        .map_err(|p| failure(&p))?;
    let paging = Paging {
        limit: Some(1000),
        cursor: None,
    };
    let found = app
        .ops(Via::Ui)
        .list_environments(&viewer.caller.acting, &place(key), &paging)
        .await
        .map_err(|p| failure(&p))?;
    let (own, global): (Vec<_>, Vec<_>) = found.items.into_iter().partition(|e| e.project.is_some());
    let names = |list: Vec<gatehouse_domain::entities::Environment>| {
        list.into_iter().map(|e| e.name.as_str().to_owned()).collect()
    };
    Ok(EnvironmentsPage {
        layout: Layout::new(app, viewer, tabs.title("Environments"), "/projects"),
        tabs,
        global: names(global),
        own: names(own),
        env_name: name,
        errors,
    })
}

/// `GET /projects/{key}/environments`.
pub async fn list(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    match page(&app, &viewer, &key, String::new(), FormErrors::none()).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(done.code());
            html(&page)
        }
        Err(response) => response,
    }
}

/// `POST /projects/{key}/environments`: create one (`QA` → `<key>-QA`).
pub async fn create(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let name = field(&fields, "name").to_owned();
    let problem = match app
        .ops(Via::Ui)
        .create_environment(&viewer.caller.acting, &place(&key), name.trim())
        .await
    {
        Ok(_) => {
            return Redirect::to(&format!("/projects/{}/environments?done=created", path_part(&key))).into_response();
        }
        Err(problem) => problem,
    };
    let errors = FormErrors::from_problem(&problem, |_| Some("name"), |_| Some("name"));
    match page(&app, &viewer, &key, name, errors).await {
        Ok(page) => html_with(problem.problem.status, &page),
        Err(response) => response,
    }
}

/// `POST /projects/{key}/environments/delete`: asks first; when roles use
/// it, asks again naming them (then `force`).
pub async fn delete(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let name = field(&fields, "name").to_owned();
    let back = format!("/projects/{}/environments", path_part(&key));
    let ask = |text: String, names: Vec<String>, force: bool, impact: Option<ImpactView>| Ask {
        heading: "Delete environment",
        text,
        names,
        action: format!("{back}/delete"),
        fields: vec![("name", name.clone())],
        force,
        button: "Delete environment",
        back: back.clone(),
        impact,
    };
    if !confirmed(&fields) {
        return ask(format!("Delete the environment {name}?"), Vec::new(), false, None)
            .in_project(&app, &viewer, &key)
            .await;
    }
    let input = |force: bool| DeleteEnvironmentInput {
        place: place(&key),
        name: name.clone(),
        force,
        expected_revision: None,
    };
    match app
        .ops(Via::Ui)
        .delete_environment(&viewer.caller.acting, input(forced(&fields)))
        .await
    {
        Ok(_) => Redirect::to(&format!("{back}?done=deleted")).into_response(),
        Err(problem) if problem.problem.code == ErrorCode::InUse => {
            // What the forced deletion would take, asked of the same operation.
            let dry = previewed(&app, &viewer, async |ops| {
                ops.delete_environment(&viewer.caller.acting, input(true)).await
            });
            let impact = match dry.await {
                Ok(impact) => impact,
                Err(problem) => return failure(&problem),
            };
            ask(
                format!("Roles use the environment {name}. Deleting it removes it from them:"),
                problem.problem.in_use.clone().unwrap_or_default(),
                true,
                impact,
            )
            .page(&app, &viewer)
        }
        Err(problem) => failure(&problem),
    }
}
