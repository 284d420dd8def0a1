//! The OpenAPI 3.1 document at `/api/openapi.json` and the Swagger UI at
//! `/api/docs` (SPEC §7, STYLE §2.11): every route has an operation, every
//! guarded one a problem answer; the UI is served from the binary.

use std::collections::BTreeSet;

use gatehouse_server::router::{Needs, ROUTES};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::spawn::{TestServer, start_sqlite};

/// Schemas the wire shapes of SPEC Appendix A must name.
const SCHEMAS: [&str; 5] = ["Problem", "User", "Token", "Group", "AuditRecord"];

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The document, fetched without credentials.
async fn document(t: &TestServer) -> Value {
    let answer = t.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert!(answer.body.is_object(), "a JSON object");
    answer.body
}

/// Every (lowercased method, path) operation of `doc`.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object();
    assert!(paths.is_some(), "`paths` is an object");
    paths
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| ((*m).to_owned(), path.clone()))
        })
        .collect()
}

/// Whether `schema` (or what it nests) references `#/components/schemas/{name}`.
fn references(schema: &Value, name: &str) -> bool {
    let target = format!("#/components/schemas/{name}");
    match schema {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| (k == "$ref" && v == target.as_str()) || references(v, name)),
        Value::Array(items) => items.iter().any(|v| references(v, name)),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_is_openapi_3_1_about_gatehouse() {
    let t = start_sqlite().await;
    let doc = document(&t).await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "OpenAPI 3.1, not {version:?}");
    assert_eq!(doc["info"]["title"], "Gatehouse");
    let schemas = &doc["components"]["schemas"];
    for name in SCHEMAS {
        assert!(schemas.get(name).is_some(), "components.schemas has no `{name}`");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_has_an_operation_and_no_more() {
    let t = start_sqlite().await;
    let doc = document(&t).await;
    let documented = operations(&doc);
    let served: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_lowercase(), r.path.to_owned()))
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "routes in router.rs missing from the OpenAPI document (add them to `ApiDoc` in openapi.rs): {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "operations in the OpenAPI document that router.rs does not serve: {unserved:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_answers_and_guarded_ones_name_problem() {
    let t = start_sqlite().await;
    let doc = document(&t).await;
    for route in ROUTES {
        let method = route.method.as_str().to_lowercase();
        let operation = &doc["paths"][route.path][&method];
        if operation.is_null() {
            // Reported by `every_route_has_an_operation_and_no_more`.
            continue;
        }
        let key = format!("{method} {}", route.path);
        let responses = operation["responses"].as_object();
        assert!(responses.is_some_and(|r| !r.is_empty()), "{key}: at least one response");
        if route.needs == Needs::Public {
            continue;
        }
        let problem = responses.into_iter().flatten().any(|(status, response)| {
            let client_error = status.eq_ignore_ascii_case("4XX") || status.starts_with('4');
            client_error && references(&response["content"]["application/problem+json"], "Problem")
        });
        assert!(
            problem,
            "{key}: a 4XX `application/problem+json` response whose schema references `Problem`"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_swagger_ui_is_served_from_the_binary() {
    let t = start_sqlite().await;
    for path in ["/api/docs/", "/api/docs"] {
        let response = t.http.get(format!("{}{path}", t.url)).send().await.unwrap();
        let status = response.status();
        let url = response.url().clone();
        assert_eq!(status, StatusCode::OK, "{path} (followed to {url})");
        assert!(
            url.path().starts_with("/api/docs"),
            "{path} stays under /api/docs, not {url}"
        );
        let html = response.text().await.unwrap();
        let lower = html.to_lowercase();
        assert!(lower.contains("swagger"), "{path}: a Swagger UI page: {html}");
        for cdn in ["unpkg.com", "cdn.jsdelivr", "cdnjs.cloudflare.com", "https://"] {
            assert!(!lower.contains(cdn), "{path}: refers to {cdn}: {html}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_swagger_ui_assets_and_its_configuration_are_served() {
    let t = start_sqlite().await;
    let html = t
        .http
        .get(format!("{}/api/docs/", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut assets: Vec<String> = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            let target = piece.split('"').next().unwrap_or_default();
            if !target.is_empty() && !target.starts_with('#') && !target.starts_with("data:") {
                assets.push(target.to_owned());
            }
        }
    }
    assert!(!assets.is_empty(), "the page loads its scripts and styles: {html}");
    for asset in assets {
        assert!(!asset.contains("://"), "{asset}: served from the binary");
        let url = if asset.starts_with('/') {
            format!("{}{asset}", t.url)
        } else {
            format!("{}/api/docs/{}", t.url, asset.trim_start_matches("./"))
        };
        let response = t.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
    }
    let initializer = t
        .http
        .get(format!("{}/api/docs/swagger-initializer.js", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("/api/openapi.json"),
        "the UI reads the served document: {initializer}"
    );
}

/// The request bodies the property tests and the fuzz target feed arbitrary
/// input (`json::WRITE_BODIES`) are every body the document names, so a new
/// write route cannot miss them.
#[tokio::test]
async fn every_request_body_is_fuzzed() {
    let t = start_sqlite().await;
    let doc = document(&t).await;
    let named: BTreeSet<String> = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, item)| METHODS.iter().filter_map(move |m| item.get(*m)))
        .filter_map(|operation| operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str())
        .map(|reference| reference.trim_start_matches("#/components/schemas/").to_owned())
        .collect();
    assert!(named.len() >= 20, "{named:?}");
    let fuzzed: BTreeSet<String> = gatehouse_server::json::WRITE_BODIES
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(named, fuzzed, "request bodies in the document vs. json::WRITE_BODIES");
}
