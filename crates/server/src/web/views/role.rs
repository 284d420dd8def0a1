//! The role editor (SPEC §12, §4): **Create Project Roles** / **Create
//! Global Role** and the edit page of a role — name, description, the
//! **Global Environments** and **Project Environments** lists, and the
//! tabs **Basic** (the catalogue's categories) and **Advanced** (every
//! resource type × action as a grid).
//!
//! The tabs are submit buttons: switching re-renders the form on the
//! server with what was typed, so it works without JavaScript. Going back
//! from Advanced to Basic asks first, before anything is saved: the page
//! names the actions that would be removed (the operations'
//! `preview_role_mode`, the same rule the save applies) and needs the
//! confirm button. Save calls the operations' create or patch (a patch
//! sends only what changed, so a predefined role's environments can be
//! saved alone); delete asks first, and again, naming the holders, when
//! members hold the role.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_api::ErrorCode;
use gatehouse_domain::commands::Acting;
use gatehouse_domain::entities::{Role, RoleMode};
use serde::Deserialize;

use super::confirm::{Ask, confirmed, forced};
use super::impact::{IMPACT_LISTED, ImpactView, answered, previewed};
use super::project::path_part;
use super::projects::{field, fields_named};
use crate::operations::environments::EnvPlace;
use crate::operations::preview::Preview;
use crate::operations::roles::{CreateRoleInput, DeleteRoleInput, PatchRoleInput, RolePlace};
use crate::operations::{Ops, Paging, Via};
use crate::problem::ApiProblem;
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::Viewer;

/// What the form holds (kept across tab switches and errors).
#[derive(Clone, Debug)]
struct Values {
    name: String,
    description: String,
    mode: RoleMode,
    categories: Vec<String>,
    actions: Vec<String>,
    environments: Vec<String>,
    revision: u64,
}

impl Default for Values {
    fn default() -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            mode: RoleMode::Basic,
            categories: Vec::new(),
            actions: Vec::new(),
            environments: Vec::new(),
            revision: 0,
        }
    }
}

impl Values {
    fn of(role: &Role) -> Self {
        Self {
            name: role.name.as_str().to_owned(),
            description: role.description.as_str().to_owned(),
            mode: role.mode,
            categories: role.categories.clone(),
            actions: role.actions.clone(),
            environments: role.environments.iter().map(|e| e.as_str().to_owned()).collect(),
            revision: role.revision,
        }
    }

    fn parse(fields: &[(String, String)]) -> Self {
        Self {
            name: field(fields, "name").to_owned(),
            description: field(fields, "description").to_owned(),
            mode: if field(fields, "mode") == "advanced" {
                RoleMode::Advanced
            } else {
                RoleMode::Basic
            },
            categories: fields_named(fields, "categories"),
            actions: fields_named(fields, "actions"),
            environments: fields_named(fields, "environments"),
            revision: field(fields, "revision").parse().unwrap_or_default(),
        }
    }

    fn basic(&self) -> bool {
        self.mode == RoleMode::Basic
    }
}

/// A checkbox.
struct Check {
    value: String,
    label: String,
    hint: String,
    checked: bool,
}

/// One row of the Advanced grid: a resource type and its actions.
struct GridRow {
    resource_type: String,
    actions: Vec<Check>,
}

#[derive(Template)]
#[template(path = "web/role.html")]
struct RolePage {
    layout: Layout,
    heading: String,
    back: String,
    back_label: &'static str,
    action: String,
    delete_action: Option<String>,
    is_new: bool,
    may_save: bool,
    project: Option<String>,
    values: Values,
    categories: Vec<Check>,
    grid: Vec<GridRow>,
    global_envs: Vec<Check>,
    project_envs: Vec<Check>,
    warning: Vec<String>,
    errors: FormErrors,
    impact: Option<ImpactView>,
}

/// Where the editor is: a project's role or a global one.
struct Place {
    project: Option<String>,
}

impl Place {
    fn roles(&self) -> RolePlace {
        RolePlace {
            project: self.project.clone(),
        }
    }

    /// Where the form of a new role goes.
    fn new_action(&self) -> String {
        match &self.project {
            Some(key) => format!("/projects/{}/roles/new", path_part(key)),
            None => "/roles/new".to_owned(),
        }
    }

    /// A role's page.
    fn role_path(&self, name: &str) -> String {
        match &self.project {
            Some(key) => format!("/projects/{}/roles/{}", path_part(key), path_part(name)),
            None => format!("/roles/{}", path_part(name)),
        }
    }

    /// The list the editor came from.
    fn back(&self) -> (String, &'static str) {
        match &self.project {
            Some(key) => (format!("/projects/{}/roles", path_part(key)), "Project Roles"),
            None => ("/projects".to_owned(), "Projects"),
        }
    }
}

fn checks(all: impl Iterator<Item = (String, String)>, chosen: &[String]) -> Vec<Check> {
    all.map(|(value, hint)| Check {
        checked: chosen.contains(&value),
        label: value.clone(),
        value,
        hint,
    })
    .collect()
}

/// What the form shows: the values, the Advanced → Basic warning (the
/// actions it would remove), the errors.
struct Shown {
    values: Values,
    warning: Vec<String>,
    errors: FormErrors,
    impact: Option<ImpactView>,
}

impl Shown {
    fn values(values: Values) -> Self {
        Self {
            values,
            warning: Vec::new(),
            errors: FormErrors::none(),
            impact: None,
        }
    }
}

async fn render(
    app: &App,
    viewer: &Viewer,
    place: &Place,
    existing: Option<&str>,
    shown: Shown,
) -> Result<RolePage, ApiProblem> {
    let Shown {
        values,
        warning,
        errors,
        impact,
    } = shown;
    let ops = app.ops(Via::Ui);
    let acting = &viewer.caller.acting;
    let may_save = match &place.project {
        Some(key) => ops.project_abilities(acting, key)?.manage_roles,
        None => true,
    };
    let envs = ops
        .list_environments(
            acting,
            &EnvPlace {
                project: place.project.clone(),
            },
            &Paging {
                limit: Some(1000),
                cursor: None,
            },
        )
        .await?;
    let (project_envs, global_envs): (Vec<_>, Vec<_>) = envs.items.into_iter().partition(|e| e.project.is_some());
    let names = |list: Vec<gatehouse_domain::entities::Environment>| {
        list.into_iter()
            .map(|e| (e.name.as_str().to_owned(), String::new()))
            .collect::<Vec<_>>()
    };
    let snapshot = app.snapshot();
    let catalogue = snapshot.catalogue();
    let categories = checks(
        catalogue
            .categories()
            .iter()
            .map(|c| (c.id.clone(), c.description.clone())),
        &values.categories,
    );
    let grid = catalogue
        .resource_types()
        .iter()
        .map(|t| GridRow {
            resource_type: t.id.clone(),
            actions: checks(
                t.actions.iter().map(|a| {
                    let action = catalogue.action(*a);
                    (action.id.clone(), action.description.clone())
                }),
                &values.actions,
            ),
        })
        .collect();
    let (back, back_label) = place.back();
    let heading = match (existing, &place.project) {
        (Some(name), _) => format!("Role {name}"),
        (None, Some(_)) => "Create Project Roles".to_owned(),
        (None, None) => "Create Global Role".to_owned(),
    };
    Ok(RolePage {
        layout: Layout::new(app, viewer, heading.clone(), "/projects"),
        heading,
        back,
        back_label,
        action: existing.map_or_else(|| place.new_action(), |name| place.role_path(name)),
        delete_action: existing
            .filter(|_| may_save)
            .map(|name| format!("{}/delete", place.role_path(name))),
        is_new: existing.is_none(),
        may_save,
        project: place.project.clone(),
        categories,
        grid,
        global_envs: checks(names(global_envs).into_iter(), &values.environments),
        project_envs: checks(names(project_envs).into_iter(), &values.environments),
        values,
        warning,
        errors,
        impact,
    })
}

async fn page_or_failure(
    app: &App,
    viewer: &Viewer,
    place: &Place,
    existing: Option<&str>,
    shown: Shown,
    status: u16,
) -> Response {
    match render(app, viewer, place, existing, shown).await {
        Ok(page) => html_with(status, &page),
        Err(problem) => failure(&problem),
    }
}

/// The errors of a refused save, each beside its field.
fn save_errors(problem: &ApiProblem) -> FormErrors {
    FormErrors::from_problem(
        problem,
        |f| match root_field(f) {
            "name" => Some("name"),
            "description" => Some("description"),
            "environments" => Some("environments"),
            _ => Some("grants"),
        },
        |code| match code {
            ErrorCode::AlreadyExists | ErrorCode::LimitExceeded => Some("name"),
            ErrorCode::RoleEmpty
            | ErrorCode::Escalation
            | ErrorCode::Forbidden
            | ErrorCode::WouldDiscardActions
            | ErrorCode::UnknownAction => Some("grants"),
            _ => None,
        },
    )
}

/// A tab switch: the form as the other tab shows it, or the warning that
/// going back to Basic removes actions. `None` when the request is a save.
fn switched(app: &App, values: &mut Values, switch: &str) -> Option<Result<Vec<String>, ApiProblem>> {
    let ops = app.ops(Via::Ui);
    let to = match switch {
        "advanced" => RoleMode::Advanced,
        "basic" | "basic-confirm" => RoleMode::Basic,
        "cancel" => return Some(Ok(Vec::new())),
        _ => return None,
    };
    if values.mode == to {
        return Some(Ok(Vec::new()));
    }
    let preview = match ops.preview_role_mode(to, &values.categories, &values.actions) {
        Ok(preview) => preview,
        Err(problem) => return Some(Err(problem)),
    };
    if to == RoleMode::Basic && switch == "basic" && !preview.lost.is_empty() {
        return Some(Ok(preview.lost));
    }
    values.mode = to;
    values.categories = preview.categories;
    values.actions = preview.actions;
    Some(Ok(Vec::new()))
}

/// Creates the role from the form's values, or patches `existing` with
/// what changed; answers the role's name. With `ops` previewing, a patch
/// leaves with its impact instead.
async fn write_role(
    ops: &Ops<'_>,
    acting: &Acting,
    place: &Place,
    existing: Option<&str>,
    values: &Values,
) -> Result<String, ApiProblem> {
    let basic = values.basic();
    let Some(name) = existing else {
        return ops
            .create_role(
                acting,
                &place.roles(),
                CreateRoleInput {
                    name: values.name.trim().to_owned(),
                    description: values.description.clone(),
                    mode: Some(values.mode),
                    categories: basic.then(|| values.categories.clone()),
                    actions: (!basic).then(|| values.actions.clone()),
                    environments: values.environments.clone(),
                    face_errors: Vec::new(),
                },
            )
            .await
            .map(|done| done.value.name.as_str().to_owned());
    };
    let stored = ops.get_role(acting, &place.roles(), name).await?;
    let sorted = |list: &[String]| {
        let mut list = list.to_vec();
        list.sort();
        list
    };
    let changed_categories =
        basic && (stored.mode != RoleMode::Basic || sorted(&stored.categories) != sorted(&values.categories));
    let changed_actions =
        !basic && (stored.mode != RoleMode::Advanced || sorted(&stored.actions) != sorted(&values.actions));
    ops.patch_role(
        acting,
        &place.roles(),
        PatchRoleInput {
            name: name.to_owned(),
            new_name: None,
            description: Some(values.description.clone()),
            mode: (stored.mode != values.mode).then_some(values.mode),
            categories: changed_categories.then(|| values.categories.clone()),
            actions: changed_actions.then(|| values.actions.clone()),
            environments: Some(values.environments.clone()),
            discard_advanced: false,
            expected_revision: Some(values.revision).filter(|r| *r > 0),
        },
    )
    .await
    .map(|done| done.value.name.as_str().to_owned())
}

/// What saving the role switched to Basic would do, for the switch's
/// warning: the same write as a dry run, with the values the switch
/// would leave.
async fn switch_impact(
    app: &App,
    viewer: &Viewer,
    place: &Place,
    existing: &str,
    values: &Values,
) -> Result<Option<ImpactView>, ApiProblem> {
    let mut basic = values.clone();
    if let Some(Err(problem)) = switched(app, &mut basic, "basic-confirm") {
        return Err(problem);
    }
    previewed(app, viewer, async |ops| {
        write_role(&ops, &viewer.caller.acting, place, Some(existing), &basic).await
    })
    .await
}

/// A POST of the editor: a tab switch, or a save (create or patch).
async fn submit(
    app: &App,
    viewer: &Viewer,
    place: &Place,
    existing: Option<&str>,
    fields: &[(String, String)],
) -> Response {
    let mut values = Values::parse(fields);
    if let Some(name) = existing {
        name.clone_into(&mut values.name);
    }
    if let Some(switch) = switched(app, &mut values, field(fields, "switch")) {
        let (warning, errors, status) = match switch {
            Ok(lost) => (lost, FormErrors::none(), 200),
            Err(problem) => (Vec::new(), save_errors(&problem), problem.problem.status),
        };
        // The warning shows what switching and saving would take.
        let impact = match existing {
            Some(name) if !warning.is_empty() => match switch_impact(app, viewer, place, name, &values).await {
                Ok(impact) => impact,
                Err(problem) => return failure(&problem),
            },
            _ => None,
        };
        let shown = Shown {
            values,
            warning,
            errors,
            impact,
        };
        return page_or_failure(app, viewer, place, existing, shown, status).await;
    }
    let acting = &viewer.caller.acting;
    // Preview: the same save as a dry run, its impact shown beside Save.
    let preview =
        (existing.is_some() && field(fields, "preview") == "yes").then(|| Preview::new(acting, IMPACT_LISTED));
    let ops = app.ops(Via::Ui).previewing(preview.as_ref());
    match write_role(&ops, acting, place, existing, &values).await {
        Ok(name) => {
            let target = match (&place.project, existing) {
                (Some(_), None) => format!("{}?done=created", place.back().0),
                (None, None) => format!("{}?done=created", place.role_path(&name)),
                (_, Some(_)) => format!("{}?done=saved", place.role_path(&name)),
            };
            Redirect::to(&target).into_response()
        }
        Err(problem) => match answered::<()>(Err(problem)) {
            Ok(impact) => {
                let shown = Shown {
                    impact,
                    ..Shown::values(values)
                };
                page_or_failure(app, viewer, place, existing, shown, 200).await
            }
            Err(problem) => {
                let shown = Shown {
                    errors: save_errors(&problem),
                    ..Shown::values(values)
                };
                page_or_failure(app, viewer, place, existing, shown, problem.problem.status).await
            }
        },
    }
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn show(app: &App, viewer: &Viewer, place: &Place, name: &str, done: Option<&str>) -> Response {
    let role = match app
        .ops(Via::Ui)
        .get_role(&viewer.caller.acting, &place.roles(), name)
        .await
    {
        Ok(role) => role,
        Err(problem) => return failure(&problem),
    };
    match render(
        app,
        viewer,
        place,
        Some(role.name.as_str()),
        Shown::values(Values::of(&role)),
    )
    .await
    {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(done);
            html(&page)
        }
        Err(problem) => failure(&problem),
    }
}

async fn new(app: &App, viewer: &Viewer, place: &Place) -> Response {
    // A new role starts with DEV, when it exists (as JFrog's form does).
    let values = Values {
        environments: vec!["DEV".to_owned()],
        ..Values::default()
    };
    match render(app, viewer, place, None, Shown::values(values)).await {
        Ok(page) if page.may_save => html(&page),
        Ok(_) => crate::web::page::not_found(),
        Err(problem) => failure(&problem),
    }
}

async fn delete(app: &App, viewer: &Viewer, place: &Place, name: &str, fields: &[(String, String)]) -> Response {
    let action = format!("{}/delete", place.role_path(name));
    let back = place.role_path(name);
    let ask = |text: String, names: Vec<String>, force: bool, impact: Option<ImpactView>| {
        Ask {
            heading: "Delete role",
            text,
            names,
            action: action.clone(),
            fields: Vec::new(),
            force,
            button: "Delete role",
            back: back.clone(),
            impact,
        }
        .page(app, viewer)
    };
    let ops = app.ops(Via::Ui);
    if !confirmed(fields) {
        if let Err(problem) = ops.get_role(&viewer.caller.acting, &place.roles(), name).await {
            return failure(&problem);
        }
        return ask(
            format!("Delete the role {name}? This cannot be undone."),
            Vec::new(),
            false,
            None,
        );
    }
    let input = |force: bool| DeleteRoleInput {
        name: name.to_owned(),
        force,
        expected_revision: None,
    };
    match ops
        .delete_role(&viewer.caller.acting, &place.roles(), input(forced(fields)))
        .await
    {
        Ok(_) => Redirect::to(&format!("{}?done=deleted", place.back().0)).into_response(),
        Err(problem) if problem.problem.code == ErrorCode::InUse => {
            // What taking it from its holders does, asked of the same operation.
            let dry = previewed(app, viewer, async |ops| {
                ops.delete_role(&viewer.caller.acting, &place.roles(), input(true))
                    .await
            });
            let impact = match dry.await {
                Ok(impact) => impact,
                Err(problem) => return failure(&problem),
            };
            ask(
                format!(
                    "Members hold the role {name}. Deleting it removes it from them; a member left with no role stops being a member:"
                ),
                problem.problem.in_use.clone().unwrap_or_default(),
                true,
                impact,
            )
        }
        Err(problem) => failure(&problem),
    }
}

fn project(key: String) -> Place {
    Place { project: Some(key) }
}

const GLOBAL: Place = Place { project: None };

/// `GET /projects/{key}/roles/new`: Create Project Roles.
pub async fn new_project_role(State(app): State<App>, viewer: Viewer, Path(key): Path<String>) -> Response {
    new(&app, &viewer, &project(key)).await
}

/// `POST /projects/{key}/roles/new`.
pub async fn create_project_role(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    submit(&app, &viewer, &project(key), None, &fields).await
}

/// `GET /projects/{key}/roles/{name}`: a project role in the editor.
pub async fn show_project_role(
    State(app): State<App>,
    viewer: Viewer,
    Path((key, name)): Path<(String, String)>,
    Query(query): Query<ShowQuery>,
) -> Response {
    show(&app, &viewer, &project(key), &name, query.done.as_deref()).await
}

/// `POST /projects/{key}/roles/{name}`: switch a tab or save.
pub async fn save_project_role(
    State(app): State<App>,
    viewer: Viewer,
    Path((key, name)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    submit(&app, &viewer, &project(key), Some(&name), &fields).await
}

/// `POST /projects/{key}/roles/{name}/delete`.
pub async fn delete_project_role(
    State(app): State<App>,
    viewer: Viewer,
    Path((key, name)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    delete(&app, &viewer, &project(key), &name, &fields).await
}

/// `GET /roles/new`: Create Global Role.
pub async fn new_global_role(State(app): State<App>, viewer: Viewer) -> Response {
    new(&app, &viewer, &GLOBAL).await
}

/// `POST /roles/new`.
pub async fn create_global_role(
    State(app): State<App>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    submit(&app, &viewer, &GLOBAL, None, &fields).await
}

/// `GET /roles/{name}`: a global role in the editor.
pub async fn show_global_role(
    State(app): State<App>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Response {
    show(&app, &viewer, &GLOBAL, &name, query.done.as_deref()).await
}

/// `POST /roles/{name}`: switch a tab or save.
pub async fn save_global_role(
    State(app): State<App>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    submit(&app, &viewer, &GLOBAL, Some(&name), &fields).await
}

/// `POST /roles/{name}/delete`.
pub async fn delete_global_role(
    State(app): State<App>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    delete(&app, &viewer, &GLOBAL, &name, &fields).await
}
