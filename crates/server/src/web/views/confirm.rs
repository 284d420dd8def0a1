//! The confirmation step of a destructive form (remove a member, delete a
//! role or an environment): a page of its own, so that it asks without
//! JavaScript too; its form sends the same fields again with
//! `confirmed=yes` (and what the answer asked for, such as `force`).

use askama::Template;
use axum::response::Response;

use crate::web::page::{Layout, html};

/// The confirmation page.
#[derive(Template)]
#[template(path = "web/confirm.html")]
pub struct Confirm {
    /// The frame.
    pub layout: Layout,
    /// What is asked.
    pub heading: String,
    /// The question in words.
    pub text: String,
    /// What it affects, listed (roles using an environment, …).
    pub names: Vec<String>,
    /// Where the confirmed form goes.
    pub action: String,
    /// The fields it sends again.
    pub hidden: Vec<(String, String)>,
    /// The confirming button's name.
    pub button: String,
    /// Where Cancel goes.
    pub back: String,
}

impl Confirm {
    /// The page, 200.
    #[must_use]
    pub fn page(&self) -> Response {
        html(self)
    }
}
