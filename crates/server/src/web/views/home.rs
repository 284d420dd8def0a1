//! `/`: the start page — the sections the viewer may reach.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::state::App;
use crate::web::page::{Layout, html};
use crate::web::session::Viewer;

#[derive(Template)]
#[template(path = "web/home.html")]
struct Home {
    layout: Layout,
}

/// `GET /`.
pub async fn show(State(app): State<App>, viewer: Viewer) -> Response {
    html(&Home {
        layout: Layout::new(&app, &viewer, "Gatehouse", "/"),
    })
}
