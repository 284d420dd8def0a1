//! Environments (SPEC §12, §5.4), the global ones, for platform admins:
//! the list with the roles that use each, create, and delete — one in use
//! is not deleted at once: the page names its roles and asks again, and
//! only the confirmation sends `force` (the operations' own 409 `in_use`
//! decides, listing them). `DEV` and `PROD` offer no delete.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_api::ErrorCode;
use gatehouse_authz::catalogue::PROTECTED_ENVIRONMENTS;
use serde::Deserialize;

use super::impact::{ImpactView, previewed};
use crate::operations::environments::{DeleteEnvironmentInput, EnvPlace};
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html_with};
use crate::web::session::Viewer;

/// One environment of the list.
struct Row {
    name: String,
    used_by: Vec<String>,
    protected: bool,
}

/// An environment in use whose deletion waits for a confirmation.
struct Pending {
    name: String,
    roles: Vec<String>,
    /// What deleting it takes from people (a dry run).
    impact: Option<ImpactView>,
}

#[derive(Template)]
#[template(path = "web/environments.html")]
struct EnvironmentsPage {
    layout: Layout,
    rows: Vec<Row>,
    /// The name typed into the create form.
    typed_name: String,
    errors: FormErrors,
    pending: Option<Pending>,
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

/// The create form.
#[derive(Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

/// The delete form; `force` once the viewer has seen the roles.
#[derive(Debug, Default, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    force: Option<String>,
}

async fn page(
    app: &App,
    viewer: &Viewer,
    name: String,
    errors: FormErrors,
    pending: Option<Pending>,
) -> Result<EnvironmentsPage, Response> {
    let ops = app.ops(Via::Ui);
    let acting = &viewer.caller.acting;
    let paging = Paging {
        limit: Some(gatehouse_api::Page::<()>::MAX_LIMIT),
        cursor: None,
    };
    let found = ops
        .list_environments(acting, &EnvPlace::default(), &paging)
        .await
        .map_err(|p| failure(&p))?;
    let usage = ops
        .environment_usage(acting, &found.items)
        .await
        .map_err(|p| failure(&p))?;
    let rows = found
        .items
        .iter()
        .zip(usage)
        .map(|(env, used_by)| Row {
            name: env.name.as_str().to_owned(),
            protected: PROTECTED_ENVIRONMENTS.contains(&env.name.as_str()),
            used_by,
        })
        .collect();
    Ok(EnvironmentsPage {
        layout: Layout::new(app, viewer, "Environments", "/environments"),
        rows,
        typed_name: name,
        errors,
        pending,
    })
}

/// `GET /environments`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(notice): Query<Notice>) -> Response {
    match page(&app, &viewer, String::new(), FormErrors::none(), None).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(notice.done.as_deref());
            html_with(200, &page)
        }
        Err(response) => response,
    }
}

/// `POST /environments`: creates a global environment.
pub async fn create(State(app): State<App>, viewer: Viewer, Form(form): Form<CreateForm>) -> Response {
    let done = app
        .ops(Via::Ui)
        .create_environment(&viewer.caller.acting, &EnvPlace::default(), form.name.trim())
        .await;
    match done {
        Ok(_) => Redirect::to("/environments?done=created").into_response(),
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| (root_field(f) == "name").then_some("name"),
                |_| Some("name"),
            );
            match page(&app, &viewer, form.name, errors, None).await {
                Ok(page) => html_with(problem.problem.status, &page),
                Err(response) => response,
            }
        }
    }
}

/// `POST /environments/{name}/delete`: deletes; one in use comes back
/// naming its roles, to be confirmed.
pub async fn delete(
    State(app): State<App>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Response {
    let input = DeleteEnvironmentInput {
        place: EnvPlace::default(),
        name: name.clone(),
        force: form.force.is_some(),
        expected_revision: None,
    };
    match app.ops(Via::Ui).delete_environment(&viewer.caller.acting, input).await {
        Ok(_) => Redirect::to("/environments?done=deleted").into_response(),
        Err(problem) if problem.code() == ErrorCode::InUse => {
            // What the forced deletion would take, asked of the same operation.
            let forced = DeleteEnvironmentInput {
                place: EnvPlace::default(),
                name: name.clone(),
                force: true,
                expected_revision: None,
            };
            let acting = &viewer.caller.acting;
            let dry = previewed(&app, &viewer, async move |ops| {
                ops.delete_environment(acting, forced).await
            });
            let impact = match dry.await {
                Ok(impact) => impact,
                Err(problem) => return failure(&problem),
            };
            let pending = Pending {
                name,
                roles: problem.problem.in_use.clone().unwrap_or_default(),
                impact,
            };
            match page(&app, &viewer, String::new(), FormErrors::none(), Some(pending)).await {
                Ok(page) => html_with(409, &page),
                Err(response) => response,
            }
        }
        Err(problem) => failure(&problem),
    }
}
