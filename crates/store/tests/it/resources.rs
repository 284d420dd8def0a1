//! The resource registry (SPEC §5.6) in the store: register, look up, list
//! by pages, remove; a name unique per type; deleting a project or an
//! environment deletes its resources; the model and backups carry them.

use gatehouse_authz::{ResourceSpec, Snapshot};
use gatehouse_domain::entities::Resource;
use gatehouse_domain::names::ResourceName;
use gatehouse_domain::store::PageRequest;
use gatehouse_domain::{Mutation, Store as _, StoreError};
use gatehouse_store::Backend;

use crate::backend::{self, Db, conformance};
use crate::fixtures::*;

fn resource(resource_type: &str, name: &str, project: &str, env: Option<&str>) -> Resource {
    Resource {
        resource_type: resource_type.to_owned(),
        name: ResourceName::parse(name).unwrap(),
        project: pkey(project),
        environment: env.map(ename),
        created_at: at(3),
    }
}

fn delete(resource_type: &str, name: &str) -> Mutation {
    Mutation::DeleteResource {
        resource_type: resource_type.to_owned(),
        name: ResourceName::parse(name).unwrap(),
    }
}

/// web: a repository in web-QA, one in DEV, a pipeline; api: a repository in PROD.
fn registered() -> Vec<Resource> {
    vec![
        resource("repository", "web-libs-qa", "web", Some("web-QA")),
        resource("repository", "web-libs-dev", "web", Some("DEV")),
        resource("pipeline", "web-ci", "web", None),
        resource("repository", "api-libs", "api", Some("PROD")),
    ]
}

async fn build(db: &Db) -> u64 {
    build_world(db).await;
    apply(db, registered().into_iter().map(Mutation::PutResource).collect()).await
}

/// Every resource of `project`, through pages of `limit`.
async fn all_of(db: &Db, project: &str, limit: usize) -> Vec<Resource> {
    let mut out = Vec::new();
    let mut page = PageRequest { cursor: None, limit };
    loop {
        let got = db.store.resources(&pkey(project), &page).await.unwrap();
        assert!(got.items.len() <= limit);
        out.extend(got.items);
        match got.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return out,
        }
    }
}

fn names(resources: &[Resource]) -> Vec<String> {
    resources
        .iter()
        .map(|r| format!("{}/{}", r.resource_type, r.name))
        .collect()
}

async fn crud_and_paging(db: Db) {
    build(&db).await;
    let got = db.store.resource("repository", "web-libs-qa").await.unwrap();
    assert_eq!(got, Some(registered().remove(0)));
    assert_eq!(db.store.resource("pipeline", "web-libs-qa").await.unwrap(), None);
    assert_eq!(db.store.resource("repository", "nothing").await.unwrap(), None);
    assert_eq!(
        names(&all_of(&db, "web", 100).await),
        ["pipeline/web-ci", "repository/web-libs-dev", "repository/web-libs-qa"]
    );

    // Many more, listed by type then name through every page size.
    let extra: Vec<Mutation> = (0..23)
        .map(|i| {
            let t = ["build", "repository", "release_bundle"][i % 3];
            Mutation::PutResource(resource(t, &format!("x{i:02}"), "web", Some("PROD")))
        })
        .collect();
    apply(&db, extra).await;
    let full = all_of(&db, "web", 1000).await;
    assert_eq!(full.len(), 26);
    let mut sorted = names(&full);
    sorted.sort_by(|a, b| a.split_once('/').cmp(&b.split_once('/')));
    assert_eq!(names(&full), sorted);
    for limit in [1, 2, 7, 25, 26] {
        assert_eq!(all_of(&db, "web", limit).await, full, "limit {limit}");
    }
    assert_eq!(names(&all_of(&db, "api", 1).await), ["repository/api-libs"]);
    assert!(all_of(&db, "nowhere", 10).await.is_empty());

    // A cursor of another listing is refused.
    let first = db
        .store
        .resources(&pkey("web"), &PageRequest { cursor: None, limit: 1 })
        .await
        .unwrap();
    let wrong = PageRequest {
        cursor: first.next_cursor,
        limit: 1,
    };
    assert_eq!(
        db.store.resources(&pkey("api"), &wrong).await.unwrap_err(),
        StoreError::InvalidCursor
    );

    // Remove; removing again is a conflict and writes nothing.
    apply(&db, vec![delete("repository", "web-libs-qa")]).await;
    assert_eq!(db.store.resource("repository", "web-libs-qa").await.unwrap(), None);
    let revision = db.store.revision().await.unwrap();
    let again = db
        .store
        .commit(&commit(vec![delete("repository", "web-libs-qa")]), at(0))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(db.store.revision().await.unwrap(), revision);
}
conformance!(resources_register_list_and_remove, crud_and_paging);

async fn unique_per_type(db: Db) {
    build(&db).await;
    let revision = db.store.revision().await.unwrap();
    // Taken in another project: refused whole.
    for taken in [
        resource("repository", "web-libs-qa", "api", Some("PROD")),
        resource("repository", "api-libs", "api", Some("PROD")),
    ] {
        let c = commit(vec![
            Mutation::PutResource(resource("build", "fresh", "api", Some("DEV"))),
            Mutation::PutResource(taken),
        ]);
        let got = db.store.commit(&c, at(0)).await;
        assert!(matches!(got, Err(StoreError::Conflict(_))), "{got:?}");
    }
    assert_eq!(db.store.revision().await.unwrap(), revision);
    assert_eq!(db.store.resource("build", "fresh").await.unwrap(), None);
    // The same name under another type is another resource.
    apply(
        &db,
        vec![Mutation::PutResource(resource(
            "build",
            "web-libs-qa",
            "api",
            Some("DEV"),
        ))],
    )
    .await;
    assert_eq!(
        names(&all_of(&db, "api", 10).await),
        ["build/web-libs-qa", "repository/api-libs"]
    );
    // A project or environment that does not exist is refused.
    for bad in [
        resource("build", "b1", "nowhere", Some("DEV")),
        resource("build", "b2", "api", Some("NOPE")),
    ] {
        let got = db.store.commit(&commit(vec![Mutation::PutResource(bad)]), at(0)).await;
        assert!(matches!(got, Err(StoreError::Conflict(_))), "{got:?}");
    }
}
conformance!(resource_names_are_unique_per_type, unique_per_type);

async fn cascades(db: Db) {
    build(&db).await;
    apply(&db, vec![Mutation::DeleteEnvironment(ename("web-QA"))]).await;
    assert_eq!(
        names(&all_of(&db, "web", 10).await),
        ["pipeline/web-ci", "repository/web-libs-dev"]
    );
    apply(&db, vec![Mutation::DeleteEnvironment(ename("PROD"))]).await;
    assert!(all_of(&db, "api", 10).await.is_empty(), "a global environment's go too");
    apply(&db, vec![Mutation::DeleteProject(pkey("web"))]).await;
    assert_eq!(db.count("resources").await, 0);
    // A project made again under the key starts without resources.
    apply(&db, vec![Mutation::CreateProject(project("web"))]).await;
    assert!(all_of(&db, "web", 10).await.is_empty());
}
conformance!(deleting_a_project_or_environment_deletes_its_resources, cascades);

fn spec(resource_type: &str, name: &str, project: &str, env: Option<&str>) -> ResourceSpec {
    ResourceSpec {
        resource_type: resource_type.to_owned(),
        name: name.to_owned(),
        project: project.to_owned(),
        environment: env.map(str::to_owned),
    }
}

async fn model_round_trip(db: Db) {
    build(&db).await;
    let (model, _) = db.store.load_model().await.unwrap();
    assert_eq!(
        model.resources,
        [
            spec("pipeline", "web-ci", "web", None),
            spec("repository", "api-libs", "api", Some("PROD")),
            spec("repository", "web-libs-dev", "web", Some("DEV")),
            spec("repository", "web-libs-qa", "web", Some("web-QA")),
        ]
    );
    // The world's roles name made-up categories: compile the places only.
    let places = gatehouse_authz::Model {
        projects: model.projects.clone(),
        environments: model.environments.clone(),
        resources: model.resources.clone(),
        ..Default::default()
    };
    let catalogue = std::sync::Arc::new(gatehouse_authz::Catalogue::platform().unwrap());
    let snapshot = Snapshot::compile(catalogue, &places).unwrap();
    assert_eq!(
        snapshot.resolve_resource("repository", "web-libs-qa"),
        Some(("web", Some("web-QA")))
    );
    // The change log says the same.
    let logged: Vec<_> = db
        .store
        .changes_since(0)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|e| e.changes)
        .filter(|c| matches!(c, gatehouse_authz::Change::PutResource(_)))
        .collect();
    assert_eq!(logged.len(), 4);
}
conformance!(load_model_reads_resources, model_round_trip);

async fn backup_keeps_resources(db: Db) {
    build(&db).await;
    let file = db.dir.join("backup.gh");
    let revision = db.store.backup(&file).await.unwrap();
    for target in [Backend::Sqlite]
        .into_iter()
        .chain(backend::backends().into_iter().filter(|b| *b == Backend::Postgres))
    {
        let fresh = backend::fresh(target).await;
        assert_eq!(fresh.db.store.restore(&file).await.unwrap(), revision);
        for project in ["web", "api"] {
            assert_eq!(all_of(&fresh.db, project, 10).await, all_of(&db, project, 10).await);
        }
        assert_eq!(
            fresh.db.store.load_model().await.unwrap(),
            db.store.load_model().await.unwrap()
        );
        fresh.remove().await;
    }
}
conformance!(backup_and_restore_keep_resources, backup_keeps_resources);
