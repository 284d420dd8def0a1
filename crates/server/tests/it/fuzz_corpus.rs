//! Replays the fuzz corpus (`fuzz/corpus/<target>/`, grown by `fuzz/run.sh`)
//! through the same functions and assertions as the fuzz targets, so every
//! input a fuzzer ever kept, crashes found included, stays a regression
//! test without a fuzzer.

use std::path::PathBuf;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use gatehouse_server::credentials::{Presented, presented};
use gatehouse_server::json::WRITE_BODIES;

/// Every file of one target's corpus; at least one.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let inputs: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    assert!(!inputs.is_empty(), "{} is empty", dir.display());
    inputs
}

#[test]
fn the_catalogue_corpus_loads_or_is_refused() {
    for (path, bytes) in corpus("catalogue") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Ok(catalogue) = gatehouse_authz::Catalogue::parse("fuzz.toml", text) {
            assert_eq!(
                catalogue.all_actions().iter().count(),
                catalogue.actions().len(),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn the_json_bodies_corpus_is_read_or_refused_as_the_client_s_fault() {
    for (path, bytes) in corpus("json_bodies") {
        for (name, read) in WRITE_BODIES {
            if let Err(problem) = read(&bytes) {
                let status = problem.code().status();
                assert!((400..500).contains(&status), "{name} {}: {status}", path.display());
            }
        }
    }
}

#[test]
fn the_credentials_corpus_reads_only_trimmed_tokens() {
    for (path, bytes) in corpus("credentials") {
        let mut headers = HeaderMap::new();
        for line in bytes.split(|b| *b == b'\n') {
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(&line[..colon]),
                HeaderValue::from_bytes(line[colon + 1..].trim_ascii_start()),
            ) {
                headers.append(name, value);
            }
        }
        if let Ok(Some(Presented::Token(secret))) = presented(&headers) {
            assert!(
                secret.starts_with("gate_") && secret.trim() == secret,
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn the_scim_filter_corpus_parses_or_is_refused_as_invalid_filter_or_path() {
    use gatehouse_scim::{ScimType, USER_SCHEMA, parse_filter, parse_path};

    let user = serde_json::json!({
        "schemas": [USER_SCHEMA], "id": "ann", "userName": "ann", "externalId": "x-1",
        "name": {"givenName": "Ann", "familyName": "Lee"}, "displayName": "Ann Lee", "active": true,
        "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
    });
    let mut parsed = 0;
    for (path, bytes) in corpus("scim_filter") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match parse_filter(text) {
            Ok(filter) => {
                parsed += 1;
                if let Err(e) = gatehouse_scim::filter::matches(&filter, &user, USER_SCHEMA) {
                    assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{}", path.display());
                }
            }
            Err(e) => assert_eq!(
                (e.status, e.scim_type),
                (400, Some(ScimType::InvalidFilter)),
                "{}",
                path.display()
            ),
        }
        if let Err(e) = parse_path(text) {
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(ScimType::InvalidPath)),
                "{}",
                path.display()
            );
        }
    }
    assert!(parsed > 0, "the corpus holds filters that parse");
}
