//! A project's **Members** tab (SPEC §12, §5.5): its users and groups with
//! their roles, filtered by kind and name and paged; for holders of
//! `project.manage_members`, add a user or group with roles, change a
//! member's roles, remove one (asked first). Granting follows SPEC §2.5 in
//! the operation: a refusal names what the viewer lacks, beside the roles.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_api::ErrorCode;
use serde::Deserialize;

use super::confirm::{Ask, confirmed};
use super::impact::{IMPACT_LISTED, ImpactView, answered, previewed};
use super::project::{Tabs, path_part};
use super::projects::{field, fields_named};
use crate::operations::members::{ListMembersInput, MemberRef, RemoveMemberInput, SetMemberInput};
use crate::operations::preview::Preview;
use crate::operations::roles::RolePlace;
use crate::operations::{Paging, Via};
use crate::state::App;
use crate::web::form::{FormErrors, root_field};
use crate::web::page::{Layout, failure, html, html_with};
use crate::web::session::Viewer;

/// Members on one page.
const PAGE_SIZE: u32 = 50;

/// One role's checkbox.
struct RoleBox {
    name: String,
    checked: bool,
}

/// One member of the list.
struct Row {
    kind: &'static str,
    name: String,
    roles: Vec<RoleBox>,
    held: String,
    /// Why the last change of this row's roles was refused.
    error: Option<String>,
}

/// A refused change of one member's roles: shown on its row, with the
/// roles as they were ticked, while the add form stays empty.
struct RowChange {
    kind: String,
    name: String,
    roles: Vec<String>,
    /// The refusal; none for a preview.
    error: Option<String>,
    /// What saving these roles would do (a preview).
    impact: Option<ImpactView>,
}

/// The values of the add form, kept when it comes back.
#[derive(Clone, Debug, Default)]
struct AddValues {
    kind: String,
    name: String,
    roles: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/project_members.html")]
struct MembersPage {
    layout: Layout,
    tabs: Tabs,
    q: String,
    kind: String,
    rows: Vec<Row>,
    next: Option<String>,
    values: AddValues,
    role_boxes: Vec<RoleBox>,
    errors: FormErrors,
    impact: Option<ImpactView>,
}

/// `?q=&kind=&cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The roles a member of `key` may hold: the project's, then the global ones.
async fn assignable_roles(app: &App, viewer: &Viewer, key: &str) -> Vec<String> {
    let ops = app.ops(Via::Ui);
    let paging = Paging {
        limit: Some(1000),
        cursor: None,
    };
    let mut names = Vec::new();
    for place in [
        RolePlace {
            project: Some(key.to_owned()),
        },
        RolePlace::default(),
    ] {
        if let Ok(found) = ops.list_roles(&viewer.caller.acting, &place, &paging).await {
            names.extend(found.items.into_iter().map(|r| r.name.as_str().to_owned()));
        }
    }
    names
}

fn boxes(all: &[String], held: &[String]) -> Vec<RoleBox> {
    all.iter()
        .map(|name| RoleBox {
            name: name.clone(),
            checked: held.contains(name),
        })
        .collect()
}

async fn members_page(
    app: &App,
    viewer: &Viewer,
    key: &str,
    query: ListQuery,
    values: AddValues,
    errors: FormErrors,
    refused: Option<RowChange>,
) -> Result<MembersPage, Response> {
    let (tabs, _) = Tabs::of(app, viewer, key, "/members").await.map_err(|p| failure(&p))?;
    let input = ListMembersInput {
        project: key.to_owned(),
        kind: Some(query.kind.clone()).filter(|k| k == "user" || k == "group"),
        q: Some(query.q.trim().to_owned()).filter(|q| !q.is_empty()),
        paging: Paging {
            limit: Some(PAGE_SIZE),
            cursor: query.cursor.clone().filter(|c| !c.is_empty()),
        },
    };
    let found = app
        .ops(Via::Ui)
        .list_members(&viewer.caller.acting, input)
        .await
        .map_err(|p| failure(&p))?;
    let all_roles = assignable_roles(app, viewer, key).await;
    let rows = found
        .items
        .into_iter()
        .map(|m| {
            let held: Vec<String> = m.roles.iter().map(|r| r.as_str().to_owned()).collect();
            let (kind, name) = (m.principal.kind(), m.principal.name().to_owned());
            let refused = refused.as_ref().filter(|r| r.kind == kind && r.name == name);
            Row {
                kind,
                roles: boxes(&all_roles, refused.map_or(&held, |r| &r.roles)),
                held: held.join(", "),
                error: refused.and_then(|r| r.error.clone()),
                name,
            }
        })
        .collect();
    let impact = refused.and_then(|r| r.impact);
    Ok(MembersPage {
        impact,
        layout: Layout::new(app, viewer, tabs.title("Members"), "/projects").with_notice(query.done.as_deref()),
        tabs,
        q: query.q,
        kind: query.kind,
        rows,
        next: found.next_cursor,
        role_boxes: boxes(&all_roles, &values.roles),
        values,
        errors,
    })
}

/// `GET /projects/{key}/members`.
pub async fn list(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(query): Query<ListQuery>,
) -> Response {
    match members_page(
        &app,
        &viewer,
        &key,
        query,
        AddValues::default(),
        FormErrors::none(),
        None,
    )
    .await
    {
        Ok(page) => html(&page),
        Err(response) => response,
    }
}

fn member_ref(kind: &str, name: &str) -> MemberRef {
    if kind == "group" {
        MemberRef::Group(name.trim().to_owned())
    } else {
        MemberRef::User(name.trim().to_owned())
    }
}

/// `POST /projects/{key}/members`: add a member, or change its roles (the
/// operation replaces them).
pub async fn set(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let values = AddValues {
        kind: field(&fields, "kind").to_owned(),
        name: field(&fields, "name").to_owned(),
        roles: fields_named(&fields, "roles"),
    };
    let input = SetMemberInput {
        project: key.clone(),
        member: member_ref(&values.kind, &values.name),
        roles: values.roles.clone(),
        expected_revision: None,
    };
    let added = field(&fields, "change").is_empty();
    // Preview: the same change as a dry run, its impact shown on the page.
    let preview = (field(&fields, "preview") == "yes").then(|| Preview::new(&viewer.caller.acting, IMPACT_LISTED));
    let ops = app.ops(Via::Ui).previewing(preview.as_ref());
    let problem = match ops.set_member(&viewer.caller.acting, input).await {
        Ok(_) => {
            let done = if added { "added" } else { "saved" };
            return Redirect::to(&format!("/projects/{}/members?done={done}", path_part(&key))).into_response();
        }
        Err(problem) => problem,
    };
    let problem = match answered::<()>(Err(problem)) {
        Err(problem) => problem,
        Ok(impact) => {
            // A preview: the page again, the typed roles kept (on the row,
            // or in the add form), the impact above the list.
            let row = RowChange {
                kind: if values.kind == "group" { "group" } else { "user" }.to_owned(),
                name: values.name.trim().to_owned(),
                roles: values.roles.clone(),
                error: None,
                impact,
            };
            let kept = if added { values } else { AddValues::default() };
            let page = members_page(
                &app,
                &viewer,
                &key,
                ListQuery::default(),
                kept,
                FormErrors::none(),
                Some(row),
            );
            return match page.await {
                Ok(page) => html(&page),
                Err(response) => response,
            };
        }
    };
    let status = problem.problem.status;
    if !added {
        // A row's change: its error goes on its row, not in the add form.
        let refused = RowChange {
            kind: if values.kind == "group" { "group" } else { "user" }.to_owned(),
            name: values.name.trim().to_owned(),
            roles: values.roles,
            error: Some(problem.problem.detail.clone()),
            impact: None,
        };
        let page = members_page(
            &app,
            &viewer,
            &key,
            ListQuery::default(),
            AddValues::default(),
            FormErrors::none(),
            Some(refused),
        );
        return match page.await {
            Ok(page) => html_with(status, &page),
            Err(response) => response,
        };
    }
    let errors = FormErrors::from_problem(
        &problem,
        |f| match root_field(f) {
            "roles" => Some("roles"),
            _ => Some("name"),
        },
        |code| match code {
            ErrorCode::NotFound if problem.problem.detail.contains("role") => Some("roles"),
            ErrorCode::NotFound => Some("name"),
            ErrorCode::Forbidden | ErrorCode::Escalation | ErrorCode::MemberNeedsRole => Some("roles"),
            _ => None,
        },
    );
    match members_page(&app, &viewer, &key, ListQuery::default(), values, errors, None).await {
        Ok(page) => html_with(status, &page),
        Err(response) => response,
    }
}

/// `POST /projects/{key}/members/remove`: asks first (a page of its own,
/// so it works without JavaScript), then removes.
pub async fn remove(
    State(app): State<App>,
    viewer: Viewer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let (kind, name) = (field(&fields, "kind"), field(&fields, "name"));
    let back = format!("/projects/{}/members", path_part(&key));
    let input = RemoveMemberInput {
        project: key.clone(),
        member: member_ref(kind, name),
        expected_revision: None,
    };
    if !confirmed(&fields) {
        // What removing does to access, asked of the same operation.
        let acting = &viewer.caller.acting;
        let dry = previewed(&app, &viewer, async move |ops| ops.remove_member(acting, input).await);
        let impact = match dry.await {
            Ok(impact) => impact,
            Err(problem) => return failure(&problem),
        };
        return Ask {
            heading: "Remove member",
            text: format!("Remove the {kind} {name} from the project {key}? It loses every role it holds here."),
            names: Vec::new(),
            action: format!("{back}/remove"),
            fields: vec![("kind", kind.to_owned()), ("name", name.to_owned())],
            force: false,
            button: "Remove",
            back,
            impact,
        }
        .in_project(&app, &viewer, &key)
        .await;
    }
    match app.ops(Via::Ui).remove_member(&viewer.caller.acting, input).await {
        Ok(_) => Redirect::to(&format!("{back}?done=removed")).into_response(),
        Err(problem) => failure(&problem),
    }
}
