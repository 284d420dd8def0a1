//! My tokens (SPEC §12, §6.3): the viewer's tokens; create one (scope,
//! expiry, description) and see its secret once — on the answer to the
//! form only, never again, with a copy button (`assets/app.js`); revoke.
//! Every page here is `no-store`. The operations' `list_tokens`,
//! `create_token` and `revoke_token`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_api as api;
use serde::Deserialize;

use super::users::shown_time;
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html_with};
use crate::web::session::Viewer;

/// One token of a list (here and on a user's page).
pub(super) struct Row {
    pub(super) id: String,
    pub(super) description: String,
    pub(super) scope: String,
    pub(super) created: String,
    pub(super) expires: String,
    pub(super) last_used: String,
}

impl Row {
    /// The token as the lists show it.
    pub(super) fn of(t: api::Token) -> Self {
        Self {
            scope: scope_text(&t.scope),
            id: t.id,
            description: t.description,
            created: shown_time(t.created_at),
            expires: t.expires_at.map_or_else(|| "never".to_owned(), shown_time),
            last_used: t.last_used_at.map_or_else(|| "never".to_owned(), shown_time),
        }
    }
}

/// The values of the create form, kept when it comes back with errors.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewToken {
    #[serde(default)]
    description: String,
    #[serde(default)]
    expires_in_days: String,
    #[serde(default)]
    project: String,
    #[serde(default)]
    actions: String,
    #[serde(default)]
    environments: String,
}

#[derive(Template)]
#[template(path = "web/tokens.html")]
struct TokensPage {
    layout: Layout,
    rows: Vec<Row>,
    values: NewToken,
    errors: FormErrors,
    secret: Option<String>,
}

fn scope_text(scope: &api::Scope) -> String {
    match scope {
        api::Scope::User => "everything I may do".to_owned(),
        api::Scope::Entries(entries) => entries
            .iter()
            .map(|e| {
                let what: Vec<&str> = e.actions.iter().chain(&e.categories).map(String::as_str).collect();
                let envs = if e.environments.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", e.environments.join(", "))
                };
                format!("{}: {}{envs}", e.project, what.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

async fn render(
    app: &App,
    viewer: &Viewer,
    values: NewToken,
    errors: FormErrors,
    secret: Option<String>,
    notice: Option<&str>,
) -> Response {
    let paging = Paging {
        limit: Some(1000),
        cursor: None,
    };
    let page = match app
        .ops(Via::Ui)
        .list_tokens(&viewer.caller.acting, viewer.username(), &paging)
        .await
    {
        Ok(page) => page,
        Err(problem) => return failure(&problem),
    };
    let rows = page.items.iter().map(api::Token::from).map(Row::of).collect();
    let status = if errors.is_empty() { 200 } else { 422 };
    html_with(
        status,
        &TokensPage {
            layout: Layout::new(app, viewer, "My tokens", "/tokens").with_notice(notice),
            rows,
            values,
            errors,
            secret,
        },
    )
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /tokens`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(done): Query<Done>) -> Response {
    render(
        &app,
        &viewer,
        NewToken::default(),
        FormErrors::none(),
        None,
        done.done.as_deref(),
    )
    .await
}

fn split(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /tokens`: a new token; the answer shows its secret, once.
pub async fn create(State(app): State<App>, viewer: Viewer, Form(values): Form<NewToken>) -> Response {
    let mut errors = FormErrors::none();
    let expires_in = match values.expires_in_days.trim() {
        "" => None,
        days => match days.parse::<u64>() {
            Ok(days) => Some(days.saturating_mul(86_400)),
            Err(_) => {
                errors.add(
                    "expires_in_days",
                    "a whole number of days (0: never, where the instance allows it)",
                );
                None
            }
        },
    };
    if !errors.is_empty() {
        return render(&app, &viewer, values, errors, None, None).await;
    }
    let scope = if values.project.trim().is_empty() {
        None
    } else {
        Some(api::Scope::Entries(vec![api::ScopeEntry {
            project: values.project.trim().to_owned(),
            actions: split(&values.actions),
            categories: Vec::new(),
            environments: split(&values.environments),
        }]))
    };
    let body = api::CreateToken {
        description: Some(values.description.clone()),
        expires_in,
        scope,
    };
    let input = crate::operations::tokens::CreateTokenInput::from_wire(viewer.username().to_owned(), body);
    match app.ops(Via::Ui).create_token(&viewer.caller.acting, input).await {
        Ok(done) => {
            let (_, secret) = done.value;
            render(
                &app,
                &viewer,
                NewToken::default(),
                FormErrors::none(),
                Some(secret),
                None,
            )
            .await
        }
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |field| match root_field(field) {
                    "description" => Some("description"),
                    "expires_in" => Some("expires_in_days"),
                    "scope" if field.contains("environments") => Some("environments"),
                    "scope" if field.contains("actions") => Some("actions"),
                    "scope" => Some("project"),
                    _ => None,
                },
                |_| Some("project").filter(|_| !values.project.trim().is_empty()),
            );
            render(&app, &viewer, values, errors, None, None).await
        }
    }
}

/// `POST /tokens/{id}/revoke`.
pub async fn revoke(State(app): State<App>, viewer: Viewer, Path(id): Path<String>) -> Response {
    match app.ops(Via::Ui).revoke_token(&viewer.caller.acting, &id, None).await {
        Ok(_) => Redirect::to("/tokens?done=revoked").into_response(),
        Err(problem) => failure(&problem),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_lists() {
        assert_eq!(super::split(" a, b ,,c"), vec!["a", "b", "c"]);
    }
}
