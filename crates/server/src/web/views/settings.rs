//! Settings (SPEC §12, §3.1): the billing details (plan, contact, renewal
//! date) for holders of `billing.manage` — the operations' `settings` and
//! `put_billing`, whose field errors land beside their fields — and, for
//! platform admins, the instance's settings (read only: they come from the
//! configuration file).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use gatehouse_domain::entities::BillingSettings;
use serde::Deserialize;

use crate::guard::holds;
use crate::operations::Via;
use crate::operations::settings::Settings;
use crate::state::App;
use crate::web::form::FormErrors;
use crate::web::page::{Layout, failure, html_with};
use crate::web::session::Viewer;

/// The billing form's values.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BillingForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    renewal_date: String,
}

#[derive(Template)]
#[template(path = "web/settings.html")]
struct SettingsPage {
    layout: Layout,
    values: BillingForm,
    errors: FormErrors,
    /// The instance's settings, for a platform admin.
    instance: Option<Settings>,
}

/// `?done=`.
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn page(
    app: &App,
    viewer: &Viewer,
    values: Option<BillingForm>,
    errors: FormErrors,
) -> Result<SettingsPage, Response> {
    let settings = app.ops(Via::Ui).settings().await.map_err(|p| failure(&p))?;
    let values = values.unwrap_or_else(|| BillingForm {
        plan: settings.billing.plan.clone(),
        contact: settings.billing.contact.clone(),
        renewal_date: settings.billing.renewal_date.clone().unwrap_or_default(),
    });
    // The instance part is the platform admins' (the guard's own rule).
    let instance = holds(app, &viewer.caller.acting, None).then_some(settings);
    Ok(SettingsPage {
        layout: Layout::new(app, viewer, "Settings", "/settings"),
        values,
        errors,
        instance,
    })
}

/// `GET /settings`.
pub async fn show(State(app): State<App>, viewer: Viewer, Query(notice): Query<Notice>) -> Response {
    match page(&app, &viewer, None, FormErrors::none()).await {
        Ok(mut page) => {
            page.layout = page.layout.with_notice(notice.done.as_deref());
            html_with(200, &page)
        }
        Err(response) => response,
    }
}

/// `POST /settings/billing`: replaces the billing details.
pub async fn billing(State(app): State<App>, viewer: Viewer, Form(values): Form<BillingForm>) -> Response {
    let billing = BillingSettings {
        plan: values.plan.trim().to_owned(),
        contact: values.contact.trim().to_owned(),
        renewal_date: Some(values.renewal_date.trim().to_owned()).filter(|d| !d.is_empty()),
    };
    match app.ops(Via::Ui).put_billing(&viewer.caller.acting, billing, None).await {
        Ok(_) => Redirect::to("/settings?done=saved").into_response(),
        Err(problem) => {
            let errors = FormErrors::from_problem(
                &problem,
                |f| match f.trim_start_matches("billing.") {
                    "plan" => Some("plan"),
                    "contact" => Some("contact"),
                    "renewal_date" => Some("renewal_date"),
                    _ => None,
                },
                |_| None,
            );
            match page(&app, &viewer, Some(values), errors).await {
                Ok(page) => html_with(problem.problem.status, &page),
                Err(response) => response,
            }
        }
    }
}
