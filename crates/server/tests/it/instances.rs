//! Several instances on one store (SPEC §8): a write on one is visible on
//! the other within a second, and `min_revision` gives read-your-writes
//! across instances — on SQLite (one file, two servers) and PostgreSQL.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::spawn::{TestServer, backends, spawn, start_on};

#[tokio::test(flavor = "multi_thread")]
async fn a_second_instance_sees_the_first_ones_writes() {
    for backend in backends() {
        let a = start_on(&backend).await;
        let config = a.server.config().clone();
        let (_, b_url) = spawn(config).await;
        let b = TestServer {
            url: b_url,
            admin: a.admin.clone(),
            http: a.http.clone(),
            server: a.server.clone(),
            _dir: tempfile::tempdir().unwrap(),
            _database: None,
        };
        let created = a
            .post(
                "/api/v1/projects",
                &a.admin,
                &json!({"key": "web", "display_name": "Web"}),
            )
            .await;
        let revision: u64 = created.header("gatehouse-revision").unwrap().parse().unwrap();

        // Read-your-writes across instances: B waits for the revision.
        let check = json!({"action": "repository.read", "project": "web", "environment": "DEV",
            "explain": true, "min_revision": revision});
        let answer = b.post("/api/v1/check", &b.admin, &check).await;
        assert_eq!(answer.status, 200, "{backend:?}: {:?}", answer.body);
        assert_eq!(answer.body["allowed"], true, "{backend:?}");

        // Without min_revision, within a second.
        a.post(
            "/api/v1/projects",
            &a.admin,
            &json!({"key": "api", "display_name": "API"}),
        )
        .await;
        let started = Instant::now();
        let ask = json!({"action": "repository.read", "project": "api", "environment": "DEV"});
        loop {
            if b.post("/api/v1/check", &b.admin, &ask).await.body["allowed"] == true {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{backend:?}: not visible on B within 1 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // A token revoked on A is refused on B within a second.
        let token = a.post("/api/v1/tokens", &a.admin, &json!({})).await;
        let (secret, id) = (
            token.body["token"].as_str().unwrap(),
            token.body["id"].as_str().unwrap(),
        );
        assert_eq!(b.get("/api/v1/me", secret).await.status, 200);
        let revoked = a
            .call(
                reqwest::Method::DELETE,
                &format!("/api/v1/tokens/{id}"),
                Some(&a.admin),
                None,
            )
            .await;
        assert_eq!(revoked.status, 204);
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        assert_eq!(b.get("/api/v1/me", secret).await.status, 401, "{backend:?}");
        drop(b);
        a.finish().await;
    }
}
