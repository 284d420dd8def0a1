//! SPEC §7: a native route refuses a query parameter it does not take with
//! a 422 naming it, as its bodies refuse an unknown field: a typo, or a
//! `?dry_run=true` sent to a route or a build without it, must never be
//! silently ignored — least of all by a write.
//!
//! What a route takes is what the OpenAPI document says it takes (the
//! handlers' `IntoParams` and `params(...)`), so the document cannot leave
//! out a parameter that works, nor list one that is refused.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse as _, Response};
use gatehouse_api::problem::UNKNOWN_FIELD;
use gatehouse_api::{Problem, ProblemField};
use utoipa::OpenApi as _;
use utoipa::openapi::RefOr;
use utoipa::openapi::path::ParameterIn;

use crate::openapi::ApiDoc;
use crate::problem::ApiProblem;

/// The query parameters one route takes.
pub type Taken = Arc<BTreeSet<String>>;

/// The query parameters of every documented route, by method and path.
#[must_use]
pub fn documented() -> BTreeMap<(Method, String), Taken> {
    let doc = ApiDoc::openapi();
    let mut taken = BTreeMap::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let names: BTreeSet<String> = operation
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => Some(p.name.clone()),
                    _ => None,
                })
                .collect();
            taken.insert((method, path.clone()), Arc::new(names));
        }
    }
    taken
}

/// The first query parameter of `query` that is not in `taken`, if any.
#[must_use]
pub fn first_unknown(query: &str, taken: &BTreeSet<String>) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name)
        .find(|name| !taken.contains(name.as_ref()))
        .map(std::borrow::Cow::into_owned)
}

/// The refusal of a request to a native route taking `taken`: 422
/// `validation_failed` naming the first parameter the route does not take;
/// `None` when it takes every one sent. Nothing else is looked at.
#[must_use]
pub fn refusal(request: &Request, taken: &Taken) -> Option<Response> {
    let name = request.uri().query().and_then(|q| first_unknown(q, taken))?;
    let message = if taken.is_empty() {
        "this route takes no query parameter".to_owned()
    } else {
        let known: Vec<&str> = taken.iter().map(String::as_str).collect();
        format!("unknown query parameter; this route takes {}", known.join(", "))
    };
    let problem = Problem::validation(vec![ProblemField {
        field: name,
        code: UNKNOWN_FIELD.to_owned(),
        message,
    }]);
    Some(ApiProblem::from(problem).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn only_parameters_outside_the_list_are_named() {
        let paging = set(&["limit", "cursor"]);
        let cases: &[(&str, &BTreeSet<String>, Option<&str>)] = &[
            ("", &paging, None),
            ("limit=5", &paging, None),
            ("limit=5&cursor=abc", &paging, None),
            ("limit=5&dry_run=true", &paging, Some("dry_run")),
            ("dry_run=true", &set(&[]), Some("dry_run")),
            ("lim%69t=5", &paging, None),
            ("Limit=5", &paging, Some("Limit")),
            ("q", &paging, Some("q")),
            ("&&limit=1", &paging, None),
        ];
        for (query, taken, expected) in cases {
            assert_eq!(first_unknown(query, taken).as_deref(), *expected, "{query}");
        }
    }

    #[test]
    fn every_native_route_is_documented_with_its_parameters() {
        let documented = documented();
        for route in crate::router::ROUTES.iter().filter(|r| r.path.starts_with("/api/v1/")) {
            assert!(
                documented.contains_key(&(route.method.clone(), route.path.to_owned())),
                "{} {} is not in the OpenAPI document",
                route.method,
                route.path
            );
        }
        let users = &documented[&(Method::GET, "/api/v1/users".to_owned())];
        assert!(users.contains("q") && users.contains("limit"), "{users:?}");
        assert!(documented[&(Method::POST, "/api/v1/check".to_owned())].is_empty());
    }
}
