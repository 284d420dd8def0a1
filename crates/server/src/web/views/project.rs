//! A project's **Settings** tab (SPEC §12, §5.3): display name,
//! description and the Project Admins' privileges, changed by holders of
//! `projects.manage`; delete with the key typed as confirmation. Also the
//! frame every tab of a project shares ([`Tabs`]: heading and tab links,
//! what the viewer may do there). The operations' own read, patch and
//! delete.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_authz::AdminPrivileges;
use gatehouse_domain::entities::Project;
use serde::Deserialize;

use super::impact::{ImpactView, previewed};
use super::projects::{field, privileges_of};
use crate::operations::projects::{DeleteProjectInput, PatchProjectInput, ProjectAbilities};
use crate::operations::{OpResult, Via};
use crate::problem::ApiProblem;
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::Viewer;

/// A value as one segment of a path (`Release Manager` → `Release%20Manager`).
#[must_use]
pub fn path_part(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// One tab of a project.
#[derive(Clone, Debug)]
pub struct TabLink {
    /// Where it goes.
    pub href: String,
    /// Its visible name (the seeds' words).
    pub label: &'static str,
    /// Whether it is the page shown (`aria-current="page"`).
    pub current: bool,
}

/// The frame of a project's tabs: its heading, the tab links, and what the
/// viewer may do in it (the operations' answer).
#[derive(Clone, Debug)]
pub struct Tabs {
    /// The project's key.
    pub key: String,
    /// Its display name.
    pub display_name: String,
    /// The tabs.
    pub links: Vec<TabLink>,
    /// What the viewer may do there.
    pub may: ProjectAbilities,
}

/// The tabs, by path under `/projects/{key}` and name.
const TABS: [(&str, &str); 6] = [
    ("", "Settings"),
    ("/members", "Members"),
    ("/roles", "Project Roles"),
    ("/global-roles", "Global Roles"),
    ("/environments", "Environments"),
    ("/resources", "Resources"),
];

impl Tabs {
    /// The tabs of `key` as `viewer` sees them, `current` (a path of
    /// [`TABS`]) marked; with the project read. A project the viewer may
    /// not see is a 404.
    ///
    /// # Errors
    /// The operations' 404.
    pub async fn of(app: &App, viewer: &Viewer, key: &str, current: &str) -> OpResult<(Self, Project)> {
        let ops = app.ops(Via::Ui);
        let project = ops.get_project(&viewer.caller.acting, key).await?;
        let may = ops.project_abilities(&viewer.caller.acting, key)?;
        let base = format!("/projects/{}", path_part(project.key.as_str()));
        let links = TABS
            .iter()
            .map(|(path, label)| TabLink {
                href: format!("{base}{path}"),
                label,
                current: *path == current,
            })
            .collect();
        Ok((
            Self {
                key: project.key.as_str().to_owned(),
                display_name: project.display_name.as_str().to_owned(),
                links,
                may,
            },
            project,
        ))
    }

    /// The page's title: `<tab> · <project>`.
    #[must_use]
    pub fn title(&self, tab: &str) -> String {
        format!("{tab} · {}", self.display_name)
    }
}

/// The values of the Settings form.
#[derive(Clone, Debug, Default)]
struct SettingsValues {
    display_name: String,
    description: String,
    privileges: AdminPrivileges,
    revision: u64,
}

#[derive(Template)]
#[template(path = "web/project_settings.html")]
struct SettingsPage {
    layout: Layout,
    tabs: Tabs,
    values: SettingsValues,
    created: String,
    errors: FormErrors,
    confirm: String,
    delete_errors: FormErrors,
    /// What deleting it would take from people (a preview).
    impact: Option<ImpactView>,
    /// What saving the settings would do (a preview of the privileges).
    settings_impact: Option<ImpactView>,
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

impl Done {
    /// The notice's code.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.done.as_deref()
    }
}

fn settings_page(
    app: &App,
    viewer: &Viewer,
    tabs: Tabs,
    project: &Project,
    values: Option<SettingsValues>,
) -> SettingsPage {
    let values = values.unwrap_or_else(|| SettingsValues {
        display_name: project.display_name.as_str().to_owned(),
        description: project.description.as_str().to_owned(),
        privileges: project.admin_privileges,
        revision: project.revision,
    });
    SettingsPage {
        layout: Layout::new(app, viewer, tabs.title("Settings"), "/projects"),
        tabs,
        values,
        created: super::users::shown_time(project.created_at),
        errors: FormErrors::none(),
        confirm: String::new(),
        delete_errors: FormErrors::none(),
        impact: None,
        settings_impact: None,
    }
}

/// `GET /projects/{key}`: the Settings tab.
pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    match Tabs::of(&app, &viewer, &key, "").await {
        Ok((tabs, project)) => {
            let mut page = settings_page(&app, &viewer, tabs, &project, None);
            page.layout = page.layout.with_notice(done.done.as_deref());
            html(&page)
        }
        Err(problem) => failure(&problem),
    }
}

/// `POST /projects/{key}`: save the settings.
pub async fn save(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = SettingsValues {
        display_name: field(&fields, "display_name").to_owned(),
        description: field(&fields, "description").to_owned(),
        privileges: privileges_of(&fields),
        revision: field(&fields, "revision").parse().unwrap_or_default(),
    };
    let input = PatchProjectInput {
        key: key.clone(),
        display_name: Some(values.display_name.trim().to_owned()),
        description: Some(values.description.clone()),
        admin_privileges: Some(values.privileges),
        expected_revision: Some(values.revision).filter(|r| *r > 0),
    };
    if field(&fields, "preview") == "yes" {
        // What the privileges would give or take, as a dry run of the save.
        let acting = &viewer.caller.acting;
        let dry = previewed(&app, &viewer, async move |ops| ops.patch_project(acting, input).await);
        let impact = match dry.await {
            Ok(impact) => impact,
            Err(problem) => return settings_refused(&app, &viewer, &key, values, &problem).await,
        };
        return match Tabs::of(&app, &viewer, &key, "").await {
            Ok((tabs, project)) => {
                let mut page = settings_page(&app, &viewer, tabs, &project, Some(values));
                page.settings_impact = impact;
                html(&page)
            }
            Err(problem) => failure(&problem),
        };
    }
    match app.ops(Via::Ui).patch_project(&viewer.caller.acting, input).await {
        Ok(done) => {
            Redirect::to(&format!("/projects/{}?done=saved", path_part(done.value.key.as_str()))).into_response()
        }
        Err(problem) => settings_refused(&app, &viewer, &key, values, &problem).await,
    }
}

/// The Settings form again, with the refusal of its save (or preview).
async fn settings_refused(
    app: &App,
    viewer: &Viewer,
    key: &str,
    values: SettingsValues,
    problem: &ApiProblem,
) -> Response {
    let Ok((tabs, project)) = Tabs::of(app, viewer, key, "").await else {
        return failure(problem);
    };
    let mut page = settings_page(app, viewer, tabs, &project, Some(values));
    page.errors = FormErrors::from_problem(
        problem,
        |f| match root_field(f) {
            "display_name" => Some("display_name"),
            "description" => Some("description"),
            _ => None,
        },
        |_| None,
    );
    html_with(problem.problem.status, &page)
}

/// `POST /projects/{key}/delete`: the key typed again as confirmation.
pub async fn delete(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let confirm = field(&fields, "confirm").trim().to_owned();
    if field(&fields, "preview") == "yes" {
        // What deleting takes from people, as a dry run of the deletion
        // (which needs no key typed: nothing is deleted).
        let input = DeleteProjectInput {
            key: key.clone(),
            confirm: Some(key.clone()),
            expected_revision: None,
        };
        let acting = &viewer.caller.acting;
        let dry = previewed(&app, &viewer, async move |ops| ops.delete_project(acting, input).await);
        let impact = match dry.await {
            Ok(impact) => impact,
            Err(problem) => return failure(&problem),
        };
        return match Tabs::of(&app, &viewer, &key, "").await {
            Ok((tabs, project)) => {
                let mut page = settings_page(&app, &viewer, tabs, &project, None);
                page.confirm = confirm;
                page.impact = impact;
                html(&page)
            }
            Err(problem) => failure(&problem),
        };
    }
    let input = DeleteProjectInput {
        key: key.clone(),
        confirm: Some(confirm.clone()),
        expected_revision: None,
    };
    let problem = match app.ops(Via::Ui).delete_project(&viewer.caller.acting, input).await {
        Ok(_) => return Redirect::to("/projects?done=deleted").into_response(),
        Err(problem) => problem,
    };
    let Ok((tabs, project)) = Tabs::of(&app, &viewer, &key, "").await else {
        return failure(&problem);
    };
    let mut page = settings_page(&app, &viewer, tabs, &project, None);
    page.confirm = confirm;
    page.delete_errors = FormErrors::from_problem(&problem, |_| Some("confirm"), |_| Some("confirm"));
    html_with(problem.problem.status, &page)
}
