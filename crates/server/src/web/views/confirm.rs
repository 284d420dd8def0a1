//! The confirmation step of a destructive form (remove a member or a
//! resource, delete a role or an environment): a page of its own, so that
//! it asks without JavaScript too; its form sends the same fields again
//! with `confirmed=yes` (and `force=yes` when the answer asked for it,
//! such as a role that members hold).

use askama::Template;
use axum::response::Response;

use super::impact::ImpactView;
use super::projects::field;
use crate::operations::Via;
use crate::state::App;
use crate::web::page::{Layout, failure, html};
use crate::web::session::Viewer;

#[derive(Template)]
#[template(path = "web/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    heading: &'static str,
    text: String,
    names: Vec<String>,
    action: String,
    hidden: Vec<(String, String)>,
    button: &'static str,
    back: String,
    impact: Option<ImpactView>,
}

/// What a confirmation page asks.
#[derive(Debug)]
pub struct Ask {
    /// The page's heading, also its title.
    pub heading: &'static str,
    /// The question in words.
    pub text: String,
    /// What it affects, listed (the holders of a role, …).
    pub names: Vec<String>,
    /// Where the confirmed form goes.
    pub action: String,
    /// The fields it sends again.
    pub fields: Vec<(&'static str, String)>,
    /// Whether the confirmed form sends `force=yes`.
    pub force: bool,
    /// The confirming button's name.
    pub button: &'static str,
    /// Where Cancel goes.
    pub back: String,
    /// What confirming does to people's access (a dry run), when known.
    pub impact: Option<ImpactView>,
}

impl Ask {
    /// The confirmation page.
    #[must_use]
    pub fn page(self, app: &App, viewer: &Viewer) -> Response {
        let mut hidden: Vec<(String, String)> = self
            .fields
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        hidden.push(("confirmed".to_owned(), "yes".to_owned()));
        if self.force {
            hidden.push(("force".to_owned(), "yes".to_owned()));
        }
        html(&ConfirmPage {
            layout: Layout::new(app, viewer, self.heading, "/projects"),
            heading: self.heading,
            text: self.text,
            names: self.names,
            action: self.action,
            hidden,
            button: self.button,
            back: self.back,
            impact: self.impact,
        })
    }

    /// The confirmation page of a form in project `key`: a project the
    /// viewer may not see is a 404 before anything is asked.
    pub async fn in_project(self, app: &App, viewer: &Viewer, key: &str) -> Response {
        match app.ops(Via::Ui).get_project(&viewer.caller.acting, key).await {
            Ok(_) => self.page(app, viewer),
            Err(problem) => failure(&problem),
        }
    }
}

/// Whether the form comes from its confirmation page.
#[must_use]
pub fn confirmed(fields: &[(String, String)]) -> bool {
    field(fields, "confirmed") == "yes"
}

/// Whether the confirmation page asked for `force`.
#[must_use]
pub fn forced(fields: &[(String, String)]) -> bool {
    field(fields, "force") == "yes"
}
