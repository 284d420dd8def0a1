//! Groups (SPEC §12, §5.2), for holders of `accounts.manage`: the list
//! with each group's members and the projects it is a member of, paged by
//! cursor; create; a group's page with its description, its members (add
//! and remove: the operations' `change_group_members`, whose
//! anti-escalation refusal names what the viewer lacks beside the field)
//! and its projects; delete with the name typed as confirmation.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use std::collections::HashMap;

use gatehouse_authz::{GroupId, Snapshot};
use gatehouse_domain::entities::Group;
use serde::Deserialize;

use super::impact::{ImpactView, previewed};
use crate::operations::groups::{CreateGroupInput, GroupMembersInput, PatchGroupInput};
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html, html_with, message};
use crate::web::session::Viewer;

/// Groups on one page.
const PAGE_SIZE: u32 = 50;

/// One group of the list.
struct Row {
    name: String,
    description: String,
    members: String,
    projects: String,
}

#[derive(Template)]
#[template(path = "web/groups.html")]
struct GroupsPage {
    layout: Layout,
    rows: Vec<Row>,
    next: Option<String>,
}

/// `?cursor=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// For each of `groups`, the keys of the projects it is a member of,
/// sorted: one pass over the projects' group members, whatever the number
/// of groups asked about.
fn projects_of(snapshot: &Snapshot, groups: &[&str]) -> Vec<Vec<String>> {
    let mut keys = vec![Vec::new(); groups.len()];
    let index: HashMap<GroupId, usize> = groups
        .iter()
        .enumerate()
        .filter_map(|(k, name)| snapshot.group_id(name).map(|id| (id, k)))
        .collect();
    if index.is_empty() {
        return keys;
    }
    for (key, project) in snapshot.projects() {
        for (group, _) in snapshot.group_members_of(project) {
            if let Some(found) = index.get(&group).and_then(|&k| keys.get_mut(k)) {
                found.push(key.to_owned());
            }
        }
    }
    for found in &mut keys {
        found.sort_unstable();
    }
    keys
}

/// `segment` escaped for a URL path (a space is `%20` there, not `+`;
/// a `+` of the name is already `%2B`).
fn escaped(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `GET /groups`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(query): Query<ListQuery>) -> Response {
    let paging = Paging {
        limit: Some(PAGE_SIZE),
        cursor: query.cursor.filter(|c| !c.is_empty()),
    };
    let found = match app.ops(Via::Ui).list_groups(&paging).await {
        Ok(found) => found,
        Err(problem) => return failure(&problem),
    };
    let names: Vec<&str> = found.items.iter().map(|g| g.name.as_str()).collect();
    let projects = projects_of(&app.snapshot(), &names);
    let rows = found
        .items
        .iter()
        .zip(projects)
        .map(|(group, projects)| Row {
            projects: projects.join(", "),
            name: group.name.as_str().to_owned(),
            description: group.description.as_str().to_owned(),
            members: group.members.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    html(&GroupsPage {
        layout: Layout::new(&app, &viewer, "Groups", "/groups").with_notice(query.done.as_deref()),
        rows,
        next: found.next_cursor,
    })
}

/// The Create group form's values.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewGroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// Usernames, separated by commas or new lines.
    #[serde(default)]
    members: String,
}

#[derive(Template)]
#[template(path = "web/group_new.html")]
struct NewGroupPage {
    layout: Layout,
    values: NewGroupForm,
    errors: FormErrors,
}

/// `GET /groups/new`.
pub async fn new(State(app): State<App>, viewer: Viewer) -> Response {
    html(&NewGroupPage {
        layout: Layout::new(&app, &viewer, "Create group", "/groups"),
        values: NewGroupForm::default(),
        errors: FormErrors::none(),
    })
}

/// Usernames typed into one box, separated by commas, spaces or new lines.
fn usernames(raw: &str) -> Vec<String> {
    raw.split([',', '\n', '\r', ' '])
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /groups`: creates a group.
pub async fn create(State(app): State<App>, viewer: Viewer, Form(values): Form<NewGroupForm>) -> Response {
    let input = CreateGroupInput {
        name: values.name.trim().to_owned(),
        description: values.description.trim().to_owned(),
        members: usernames(&values.members),
    };
    match app.ops(Via::Ui).create_group(&viewer.caller.acting, input).await {
        Ok(done) => {
            Redirect::to(&format!("/groups/{}?done=created", escaped(done.value.name.as_str()))).into_response()
        }
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| match root_field(f) {
                    "name" => Some("name"),
                    "description" => Some("description"),
                    "members" => Some("members"),
                    _ => None,
                },
                |code| match code {
                    gatehouse_api::ErrorCode::AlreadyExists => Some("name"),
                    gatehouse_api::ErrorCode::NotFound
                    | gatehouse_api::ErrorCode::Forbidden
                    | gatehouse_api::ErrorCode::Escalation => Some("members"),
                    _ => None,
                },
            );
            html_with(
                problem.problem.status,
                &NewGroupPage {
                    layout: Layout::new(&app, &viewer, "Create group", "/groups"),
                    values,
                    errors,
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "web/group.html")]
struct GroupPage {
    layout: Layout,
    group: Group,
    projects: Vec<String>,
    description: String,
    add: String,
    errors: FormErrors,
    /// What adding the typed members would do (a preview).
    impact: Option<ImpactView>,
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn group_page(
    app: &App,
    viewer: &Viewer,
    name: &str,
    typed: (Option<String>, String),
    errors: FormErrors,
    impact: Option<ImpactView>,
) -> Result<GroupPage, Response> {
    let group = app.ops(Via::Ui).get_group(name).await.map_err(|p| failure(&p))?;
    let (description, add) = typed;
    let description = description.unwrap_or_else(|| group.description.as_str().to_owned());
    Ok(GroupPage {
        layout: Layout::new(app, viewer, format!("Group {}", group.name.as_str()), "/groups"),
        projects: projects_of(&app.snapshot(), &[group.name.as_str()])
            .pop()
            .unwrap_or_default(),
        group,
        description,
        add,
        errors,
        impact,
    })
}

/// `GET /groups/{name}`.
pub async fn show(
    State(app): State<App>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(notice): Query<Notice>,
) -> Response {
    match group_page(&app, &viewer, &name, (None, String::new()), FormErrors::none(), None).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(notice.done.as_deref());
            html(&page)
        }
        Err(response) => response,
    }
}

/// The forms of a group's page.
#[derive(Debug, Default, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    description: String,
    /// A username to add.
    #[serde(default)]
    add: String,
    /// A username to remove.
    #[serde(default)]
    remove: String,
    /// The group's name typed again, to delete it.
    #[serde(default)]
    confirm: String,
    /// `yes`: preview adding the typed members, write nothing.
    #[serde(default)]
    preview: String,
}

/// `POST /groups/{name}/{action}`: `describe`, `add`, `remove` or `delete`.
pub async fn act(
    State(app): State<App>,
    viewer: Viewer,
    Path((name, action)): Path<(String, String)>,
    Form(form): Form<GroupForm>,
) -> Response {
    let ops = app.ops(Via::Ui);
    let acting = &viewer.caller.acting;
    let back = |notice: &str| Redirect::to(&format!("/groups/{}?done={notice}", escaped(&name))).into_response();
    let (done, field) = match action.as_str() {
        "describe" => (
            ops.patch_group(
                acting,
                PatchGroupInput {
                    name: name.clone(),
                    description: Some(form.description.trim().to_owned()),
                    expected_revision: None,
                },
            )
            .await
            .map(|_| "saved"),
            "description",
        ),
        "add" | "remove" => {
            let (add, remove) = if action == "add" {
                (usernames(&form.add), Vec::new())
            } else {
                (Vec::new(), vec![form.remove.trim().to_owned()])
            };
            let input = GroupMembersInput {
                name: name.clone(),
                add,
                remove,
                expected_revision: None,
            };
            if form.preview == "yes" {
                // The same change as a dry run, its impact on the page.
                let dry = previewed(&app, &viewer, async move |ops| {
                    ops.change_group_members(acting, input).await
                });
                match dry.await {
                    Ok(impact) => {
                        let typed = (None, form.add);
                        return match group_page(&app, &viewer, &name, typed, FormErrors::none(), impact).await {
                            Ok(page) => html(&page),
                            Err(response) => response,
                        };
                    }
                    Err(problem) => (Err(problem), "add"),
                }
            } else {
                (ops.change_group_members(acting, input).await.map(|_| "saved"), "add")
            }
        }
        "delete" if form.confirm.trim() == name => {
            return match ops.delete_group(acting, &name, None).await {
                Ok(_) => Redirect::to("/groups?done=deleted").into_response(),
                Err(problem) => failure(&problem),
            };
        }
        "delete" => {
            let mut errors = FormErrors::none();
            errors.add("confirm", "type the group's name exactly to delete it");
            return match group_page(&app, &viewer, &name, (None, String::new()), errors, None).await {
                Ok(page) => html_with(422, &page),
                Err(response) => response,
            };
        }
        _ => return crate::web::page::not_found(),
    };
    match done {
        Ok(notice) => back(notice),
        Err(problem) if problem.problem.status == 404 && field != "add" => failure(&problem),
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| match root_field(f) {
                    "description" => Some("description"),
                    "add" | "remove" => Some("add"),
                    _ => None,
                },
                |_| Some(field),
            );
            let description = (action == "describe").then_some(form.description);
            match group_page(&app, &viewer, &name, (description, form.add), errors, None).await {
                Ok(page) => html_with(problem.problem.status, &page),
                Err(_) => message(problem.problem.status, &problem.problem.title, &problem.problem.detail),
            }
        }
    }
}
