//! Groups (SPEC §12, §5.2): the list with each group's members and the
//! projects it is a member of, paged by cursor. Creating groups and
//! changing members are still to come (docs/ui.md).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use gatehouse_domain::Store as _;
use gatehouse_domain::store::PageRequest;
use serde::Deserialize;

use crate::state::App;
use crate::web::page::{Layout, failure, html};
use crate::web::session::Viewer;

/// Groups on one page.
const PAGE_SIZE: usize = 50;

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

/// `?cursor=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
}

/// `GET /groups`.
pub async fn list(State(app): State<App>, viewer: Viewer, Query(query): Query<ListQuery>) -> Response {
    let page = PageRequest {
        cursor: query.cursor.filter(|c| !c.is_empty()),
        limit: PAGE_SIZE,
    };
    let found = match app.store().groups(&page).await {
        Ok(found) => found,
        Err(error) => return failure(&error.into()),
    };
    let snapshot = app.snapshot();
    let rows = found
        .items
        .into_iter()
        .map(|group| {
            let projects = snapshot.group_id(group.name.as_str()).map_or_else(String::new, |id| {
                let mut keys: Vec<&str> = snapshot
                    .projects()
                    .filter(|(_, p)| snapshot.group_members_of(*p).any(|(g, _)| g == id))
                    .map(|(key, _)| key)
                    .collect();
                keys.sort_unstable();
                keys.join(", ")
            });
            Row {
                name: group.name.as_str().to_owned(),
                description: group.description.as_str().to_owned(),
                members: group.members.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "),
                projects,
            }
        })
        .collect();
    html(&GroupsPage {
        layout: Layout::new(&app, &viewer, "Groups", "/groups"),
        rows,
        next: found.next_cursor,
    })
}
