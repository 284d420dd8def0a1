//! The domain's commands against the real store, on every backend: the
//! seed flow, every refusal of SPEC §4–§5 (each leaving the store as it
//! was), limits under concurrency, forced cascades, and the snapshot kept by
//! `apply` equal to one compiled from `load_model` after every commit.

use std::sync::Arc;

use gatehouse_authz::{
    AccountPermission, AccountPermissions, AdminPrivileges, Catalogue, Model, Snapshot, TokenScope, UserKind,
};
use gatehouse_domain::commands::environments;
use gatehouse_domain::commands::groups;
use gatehouse_domain::commands::init::initialize;
use gatehouse_domain::commands::members;
use gatehouse_domain::commands::projects::{self, NewProject, ProjectPatch};
use gatehouse_domain::commands::resources;
use gatehouse_domain::commands::roles::{self, GrantsInput, NewRole, RolePatch};
use gatehouse_domain::commands::users::{self, NewUser, StatusChange, UserPatch};
use gatehouse_domain::commands::{Acting, Ctx};
use gatehouse_domain::entities::{ManagedBy, Principal, RoleMode};
use gatehouse_domain::names::{Description, DisplayName, Email, ResourceName};
use gatehouse_domain::{AuditActor, Commit, DomainError, Store as _, StoreError};
use time::OffsetDateTime;

use crate::backend::{Db, conformance};
use crate::fixtures::{ename, gname, pkey, rname, uname};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

struct World {
    db: Db,
    snapshot: Snapshot,
    catalogue: Arc<Catalogue>,
}

fn acting(name: &str) -> Acting {
    Acting {
        username: uname(name),
        scope: TokenScope::user(),
        audit: AuditActor {
            address: Some("127.0.0.1".into()),
            ..AuditActor::default()
        },
        request_id: Some(format!("req-{name}")),
    }
}

/// Runs a command as `$who` against the world's current snapshot.
macro_rules! decide {
    ($w:expr, $who:expr, |$ctx:ident| $body:expr) => {{
        let acting = acting($who);
        let $ctx = Ctx {
            store: &$w.db.store,
            snapshot: &$w.snapshot,
            acting: &acting,
            via: gatehouse_domain::Via::Api,
            now: OffsetDateTime::now_utc(),
        };
        $body.await
    }};
}

/// Asserts a command is refused with `$code` and that nothing changed.
macro_rules! refused {
    ($w:expr, $who:expr, $code:expr, |$ctx:ident| $body:expr) => {{
        let before = $w.state().await;
        let err = decide!($w, $who, |$ctx| $body).expect_err(concat!("refused: ", stringify!($body)));
        assert_eq!(err.code(), $code, "{err}");
        assert_eq!($w.state().await, before, "a refused command changed nothing");
        err
    }};
}

impl World {
    async fn new(db: Db) -> Self {
        let catalogue = Arc::new(Catalogue::platform().unwrap());
        let init = initialize(&catalogue, HASH.into(), OffsetDateTime::now_utc()).unwrap();
        db.store.commit(&init, OffsetDateTime::now_utc()).await.unwrap();
        let (model, revision) = db.store.load_model().await.unwrap();
        let snapshot = Snapshot::compile(catalogue.clone(), &model)
            .unwrap()
            .with_revision(revision);
        Self {
            db,
            snapshot,
            catalogue,
        }
    }

    /// The store's revision and whole model: what "unchanged" compares.
    async fn state(&self) -> (u64, Model, i64) {
        let (model, revision) = self.db.store.load_model().await.unwrap();
        (revision, model, self.db.count("audit").await)
    }

    /// Commits, applies the change to the snapshot as a server does, and
    /// checks the snapshot against one compiled from the store.
    async fn commit(&mut self, commit: Commit) -> u64 {
        let revision = self.db.store.commit(&commit, OffsetDateTime::now_utc()).await.unwrap();
        self.snapshot = self
            .snapshot
            .apply_all(&commit.model_changes())
            .unwrap()
            .with_revision(revision);
        let (model, at) = self.db.store.load_model().await.unwrap();
        assert_eq!(at, revision);
        let fresh = Snapshot::compile(self.catalogue.clone(), &model).unwrap();
        assert_same_decisions(&self.snapshot, &fresh, &model);
        revision
    }

    fn allows(&self, user: &str, action: &str, project: &str, env: Option<&str>) -> bool {
        match self.snapshot.query(user, action, project, env).unwrap() {
            Ok(q) => self.snapshot.check(&q).unwrap(),
            Err(_) => false,
        }
    }
}

/// Every registered resource of a snapshot, by names.
fn resource_places(s: &Snapshot) -> Vec<(String, String, Option<String>)> {
    s.resources()
        .map(|(t, n, p, e)| {
            (
                format!("{t}/{n}"),
                s.project_key(p).unwrap().to_owned(),
                e.map(|e| s.env_name(e).unwrap().to_owned()),
            )
        })
        .collect()
}

fn assert_same_decisions(a: &Snapshot, b: &Snapshot, model: &Model) {
    assert_eq!(resource_places(a), resource_places(b), "registered resources");
    let envs: Vec<Option<&str>> = model
        .environments
        .iter()
        .map(|e| Some(e.name.as_str()))
        .chain([None])
        .collect();
    for user in &model.users {
        for project in &model.projects {
            for action in a.catalogue().actions() {
                for env in &envs {
                    let q = (
                        a.query(&user.name, &action.id, &project.key, *env),
                        b.query(&user.name, &action.id, &project.key, *env),
                    );
                    let (Ok(qa), Ok(qb)) = q else { continue };
                    let da = qa.map(|q| a.explain(&q).unwrap().is_allow());
                    let db = qb.map(|q| b.explain(&q).unwrap().is_allow());
                    assert_eq!(da, db, "{} {} {} {env:?}", user.name, action.id, project.key);
                }
            }
        }
    }
}

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: uname(name),
        email: Some(Email::parse(&format!("{name}@corp.example")).unwrap()),
        password_hash: Some(HASH.into()),
        kind: UserKind::Person,
        admin: false,
        account_permissions: AccountPermissions::NONE,
        memberships: vec![],
        groups: vec![],
        managed_by: ManagedBy::Local,
    }
}

fn new_project(key: &str, admins: &[&str]) -> NewProject {
    NewProject {
        key: pkey(key),
        display_name: DisplayName::parse(&key.to_uppercase()).unwrap(),
        description: Description::default(),
        admin_privileges: AdminPrivileges::default(),
        admins: admins.iter().map(|a| uname(a)).collect(),
    }
}

fn new_role(name: &str, grants: GrantsInput, envs: &[&str]) -> NewRole {
    NewRole {
        name: rname(name),
        description: Description::default(),
        grants,
        environments: envs.iter().map(|e| (*e).to_owned()).collect(),
    }
}

fn cats(items: &[&str]) -> GrantsInput {
    GrantsInput::Categories(items.iter().map(|s| (*s).to_owned()).collect())
}

fn acts(items: &[&str]) -> GrantsInput {
    GrantsInput::Actions(items.iter().map(|s| (*s).to_owned()).collect())
}

/// The SPEC §2.1 seed through commands: users, a project with its admin,
/// the seed's Developer (global, DEV and PROD) and Lead Developer (project,
/// DEV), and a member holding both.
async fn seed(w: &mut World) {
    for name in ["alice", "bob"] {
        let c = decide!(w, "admin", |ctx| users::create(&ctx, new_user(name))).unwrap();
        w.commit(c).await;
    }
    let c = decide!(w, "admin", |ctx| projects::create(&ctx, new_project("web", &["alice"]))).unwrap();
    w.commit(c).await;
    let developer = new_role(
        "Seed Developer",
        cats(&["artifacts.read", "artifacts.write"]),
        &["DEV", "PROD"],
    );
    let c = decide!(w, "admin", |ctx| roles::create(&ctx, None, developer)).unwrap();
    w.commit(c).await;
    let lead = new_role(
        "Lead Developer",
        cats(&["artifacts.read", "artifacts.write", "artifacts.delete"]),
        &["DEV"],
    );
    let c = decide!(w, "admin", |ctx| roles::create(&ctx, Some(pkey("web")), lead)).unwrap();
    w.commit(c).await;
    let roles = vec![rname("Seed Developer"), rname("Lead Developer")];
    let c = decide!(w, "admin", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::User(uname("bob")),
        roles
    ))
    .unwrap();
    w.commit(c).await;
}

async fn seed_flow(db: Db) {
    let mut w = World::new(db).await;
    seed(&mut w).await;
    assert!(w.allows("bob", "repository.delete", "web", Some("DEV")));
    assert!(!w.allows("bob", "repository.delete", "web", Some("PROD")));
    assert!(w.allows("bob", "build.deploy", "web", Some("PROD")));
    assert!(w.allows("alice", "project.manage_members", "web", None));
    assert!(
        !w.allows("alice", "repository.read", "web", Some("DEV")),
        "Project Admin holds no resource action"
    );
    let user = w.db.store.user(&uname("bob")).await.unwrap().unwrap();
    assert_eq!(user.status, gatehouse_authz::UserStatus::Invited);
    assert_eq!(user.created_by, Some(uname("admin")));
    // Every command left its audit record, chained.
    assert_eq!(w.db.store.verify_audit().await.unwrap(), Ok(7));
}
conformance!(seed_flow_through_commands, seed_flow);

/// A user created with groups, and one user's groups changed, are each one
/// commit with one audit record; an unknown group and a group whose roles
/// the actor may not grant are refused whole.
async fn user_groups_in_one_commit(db: Db) {
    let mut w = World::new(db).await;
    seed(&mut w).await;
    for name in ["leads", "plain", "ops"] {
        let c = decide!(w, "admin", |ctx| groups::create(
            &ctx,
            gname(name),
            Description::default(),
            vec![]
        ))
        .unwrap();
        w.commit(c).await;
    }
    let c = decide!(w, "admin", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::Group(gname("leads")),
        vec![rname("Lead Developer")]
    ))
    .unwrap();
    w.commit(c).await;
    let mut manage = AccountPermissions::NONE;
    manage.insert(AccountPermission::AccountsManage);
    let manager = NewUser {
        account_permissions: manage,
        ..new_user("mgr")
    };
    let c = decide!(w, "admin", |ctx| users::create(&ctx, manager)).unwrap();
    w.commit(c).await;

    let (revision, _, audits) = w.state().await;
    let dora = NewUser {
        groups: vec![gname("plain"), gname("leads")],
        ..new_user("dora")
    };
    let c = decide!(w, "admin", |ctx| users::create(&ctx, dora)).unwrap();
    assert_eq!(w.commit(c).await, revision + 1);
    assert_eq!(w.state().await.2, audits + 1, "one audit record");
    assert!(w.allows("dora", "repository.delete", "web", Some("DEV")));

    let ghost = NewUser {
        groups: vec![gname("plain"), gname("ghosts")],
        ..new_user("erin")
    };
    let err = refused!(w, "admin", "validation_failed", |ctx| users::create(&ctx, ghost));
    assert!(format!("{err:?}").contains("groups[1]"), "{err:?}");
    let escalating = NewUser {
        groups: vec![gname("leads")],
        ..new_user("erin")
    };
    let err = refused!(w, "mgr", "forbidden", |ctx| users::create(&ctx, escalating));
    assert!(matches!(err, DomainError::Escalation(_)), "{err:?}");

    let (revision, _, audits) = w.state().await;
    let c = decide!(w, "admin", |ctx| groups::change_user_groups(
        &ctx,
        &uname("dora"),
        vec![gname("ops"), gname("plain")],
        vec![gname("leads")]
    ))
    .unwrap();
    assert_eq!(c.audit.event, "user.groups_changed");
    assert_eq!(c.audit.after, Some(serde_json::json!({"groups": ["ops", "plain"]})));
    assert_eq!(w.commit(c).await, revision + 1);
    assert_eq!(w.state().await.2, audits + 1, "one audit record");
    assert!(!w.allows("dora", "repository.delete", "web", Some("DEV")));
    refused!(w, "admin", "validation_failed", |ctx| groups::change_user_groups(
        &ctx,
        &uname("dora"),
        vec![gname("ghosts")],
        vec![gname("leads")]
    ));
    let err = refused!(w, "mgr", "forbidden", |ctx| groups::change_user_groups(
        &ctx,
        &uname("dora"),
        vec![gname("leads")],
        vec![]
    ));
    assert!(matches!(err, DomainError::Escalation(_)), "{err:?}");
}
conformance!(user_groups_through_commands, user_groups_in_one_commit);

async fn refusals(db: Db) {
    let mut w = World::new(db).await;
    seed(&mut w).await;
    let mut accounts = new_user("carol");
    accounts.account_permissions = [AccountPermission::AccountsManage].into_iter().collect();
    let c = decide!(w, "admin", |ctx| users::create(&ctx, accounts)).unwrap();
    w.commit(c).await;

    refused!(w, "admin", "already_exists", |ctx| users::create(&ctx, new_user("bob")));
    let mut shouting = new_user("robert");
    shouting.email = Some(Email::parse("BOB@Corp.Example").unwrap());
    refused!(w, "admin", "already_exists", |ctx| users::create(&ctx, shouting));
    refused!(w, "bob", "forbidden", |ctx| users::create(&ctx, new_user("dave")));
    let mut rich = new_user("dave");
    rich.account_permissions = [AccountPermission::BillingManage].into_iter().collect();
    refused!(w, "carol", "forbidden", |ctx| users::create(&ctx, rich));
    let mut admin = new_user("dave");
    admin.admin = true;
    refused!(w, "carol", "forbidden", |ctx| users::create(&ctx, admin));
    let patch = UserPatch {
        account_permissions: Some([AccountPermission::AuditRead].into_iter().collect()),
        ..UserPatch::default()
    };
    refused!(w, "carol", "forbidden", |ctx| users::update(
        &ctx,
        &uname("carol"),
        patch.clone(),
        None
    ));
    refused!(w, "admin", "last_admin", |ctx| users::set_status(
        &ctx,
        &uname("admin"),
        StatusChange::Disable
    ));
    refused!(w, "admin", "last_admin", |ctx| users::delete(
        &ctx,
        &uname("admin"),
        None
    ));
    refused!(w, "admin", "precondition_failed", |ctx| users::update(
        &ctx,
        &uname("bob"),
        UserPatch::default(),
        Some(1)
    ));

    refused!(w, "admin", "confirmation_required", |ctx| projects::delete(
        &ctx,
        &pkey("web"),
        None
    ));
    refused!(w, "admin", "confirmation_required", |ctx| projects::delete(
        &ctx,
        &pkey("web"),
        Some("api")
    ));
    refused!(w, "admin", "already_exists", |ctx| projects::create(
        &ctx,
        new_project("web", &[])
    ));
    refused!(w, "bob", "forbidden", |ctx| projects::create(
        &ctx,
        new_project("api", &[])
    ));

    refused!(w, "admin", "role_empty", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Nothing", acts(&[]), &["DEV"])
    ));
    refused!(w, "admin", "role_empty", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Nothing", cats(&[]), &[])
    ));
    refused!(w, "admin", "validation_failed", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Typo", acts(&["repository.raed"]), &["DEV"])
    ));
    refused!(w, "admin", "validation_failed", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Where", acts(&["repository.read"]), &["QA"])
    ));
    refused!(w, "admin", "already_exists", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Seed Developer", acts(&["repository.read"]), &["DEV"])
    ));
    refused!(w, "alice", "forbidden", |ctx| roles::create(
        &ctx,
        None,
        new_role("Global", acts(&["repository.read"]), &["DEV"])
    ));
    // Alice is Project Admin: she manages roles but holds no repository action to put in one.
    refused!(w, "alice", "forbidden", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Reader", acts(&["repository.read"]), &["DEV"])
    ));
    refused!(w, "admin", "forbidden", |ctx| roles::delete(
        &ctx,
        None,
        &rname("Developer"),
        true
    ));
    refused!(w, "admin", "in_use", |ctx| roles::delete(
        &ctx,
        Some(pkey("web")),
        &rname("Lead Developer"),
        false
    ));
    let to_basic = RolePatch {
        mode: Some(RoleMode::Basic),
        ..RolePatch::default()
    };
    let advanced = new_role(
        "QA Tester",
        acts(&["repository.read", "build.read", "release_bundle.read", "build.delete"]),
        &["DEV"],
    );
    let c = decide!(w, "admin", |ctx| roles::create(&ctx, Some(pkey("web")), advanced)).unwrap();
    w.commit(c).await;
    let err = refused!(w, "admin", "would_discard_actions", |ctx| roles::update(
        &ctx,
        Some(pkey("web")),
        &rname("QA Tester"),
        to_basic.clone(),
        None
    ));
    assert_eq!(err, DomainError::WouldDiscardActions(vec!["build.delete".to_owned()]));
    // Confirmed, the switch keeps the whole category and drops the rest.
    let confirmed = RolePatch {
        discard_advanced: true,
        ..to_basic.clone()
    };
    let c = decide!(w, "admin", |ctx| roles::update(
        &ctx,
        Some(pkey("web")),
        &rname("QA Tester"),
        confirmed,
        None
    ))
    .unwrap();
    w.commit(c).await;
    let role =
        w.db.store
            .role(Some(&pkey("web")), &rname("QA Tester"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        (role.mode, role.categories.clone()),
        (RoleMode::Basic, vec!["artifacts.read".to_owned()])
    );
    let only_delete = RolePatch {
        mode: Some(RoleMode::Advanced),
        actions: Some(vec!["build.delete".into()]),
        ..RolePatch::default()
    };
    let c = decide!(w, "admin", |ctx| roles::update(
        &ctx,
        Some(pkey("web")),
        &rname("QA Tester"),
        only_delete,
        None
    ))
    .unwrap();
    w.commit(c).await;
    refused!(w, "admin", "role_empty", |ctx| roles::update(
        &ctx,
        Some(pkey("web")),
        &rname("QA Tester"),
        RolePatch {
            discard_advanced: true,
            ..to_basic.clone()
        },
        None
    ));

    refused!(w, "admin", "member_needs_role", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::User(uname("carol")),
        vec![]
    ));
    refused!(w, "admin", "validation_failed", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::User(uname("carol")),
        vec![rname("Nope")]
    ));
    refused!(w, "admin", "not_found", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::Group(gname("ghosts")),
        vec![rname("Viewer")]
    ));
    refused!(w, "alice", "forbidden", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::User(uname("carol")),
        vec![rname("Lead Developer")]
    ));
    refused!(w, "alice", "forbidden", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::User(uname("alice")),
        vec![rname("Project Admin"), rname("Viewer")]
    ));
    refused!(w, "bob", "forbidden", |ctx| members::remove(
        &ctx,
        pkey("web"),
        Principal::User(uname("alice"))
    ));

    refused!(w, "admin", "environment_protected", |ctx| environments::delete(
        &ctx,
        &ename("DEV"),
        true
    ));
    refused!(w, "admin", "environment_protected", |ctx| environments::delete(
        &ctx,
        &ename("PROD"),
        false
    ));
    let c = decide!(w, "admin", |ctx| environments::create_in_project(
        &ctx,
        pkey("web"),
        "QA"
    ))
    .unwrap();
    w.commit(c).await;
    let c = decide!(w, "admin", |ctx| roles::update(
        &ctx,
        Some(pkey("web")),
        &rname("Lead Developer"),
        RolePatch {
            environments: Some(vec!["DEV".into(), "QA".into()]),
            ..RolePatch::default()
        },
        None
    ))
    .unwrap();
    w.commit(c).await;
    assert!(w.allows("bob", "repository.delete", "web", Some("web-QA")));
    refused!(w, "admin", "in_use", |ctx| environments::delete(
        &ctx,
        &ename("web-QA"),
        false
    ));
    refused!(w, "admin", "already_exists", |ctx| environments::create_in_project(
        &ctx,
        pkey("web"),
        "web-QA"
    ));
    refused!(w, "alice", "forbidden", |ctx| environments::create_global(
        &ctx,
        gatehouse_domain::names::EnvPart::parse("STAGE").unwrap()
    ));
}
conformance!(every_refusal_leaves_the_store_unchanged, refusals);

/// Environment `web-QA`, and project role `QA Only` in `web` with
/// `actions` in `envs`, held by alice beside Project Admin.
async fn give_alice_qa_only(w: &mut World, actions: &[&str], envs: &[&str]) {
    let c = decide!(w, "admin", |ctx| environments::create_in_project(
        &ctx,
        pkey("web"),
        "QA"
    ))
    .unwrap();
    w.commit(c).await;
    let qa_only = new_role("QA Only", acts(actions), envs);
    let c = decide!(w, "admin", |ctx| roles::create(&ctx, Some(pkey("web")), qa_only)).unwrap();
    w.commit(c).await;
    let c = decide!(w, "admin", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::User(uname("alice")),
        vec![rname("Project Admin"), rname("QA Only")]
    ))
    .unwrap();
    w.commit(c).await;
}

async fn forced_deletes_cascade(db: Db) {
    let mut w = World::new(db).await;
    seed(&mut w).await;
    give_alice_qa_only(&mut w, &["repository.read", "pipeline.trigger"], &["QA"]).await;
    assert!(w.allows("alice", "repository.read", "web", Some("web-QA")));
    // Deleting the environment with force removes it from the role; the
    // role stays, granting its non-scoped action only.
    let c = decide!(w, "admin", |ctx| environments::delete(&ctx, &ename("web-QA"), true)).unwrap();
    w.commit(c).await;
    let role =
        w.db.store
            .role(Some(&pkey("web")), &rname("QA Only"))
            .await
            .unwrap()
            .unwrap();
    assert!(role.environments.is_empty());
    assert!(w.allows("alice", "pipeline.trigger", "web", None));
    // Deleting a role with force: bob keeps Seed Developer; a member whose
    // only role it was stops being a member.
    let c = decide!(w, "admin", |ctx| users::create(&ctx, new_user("dave"))).unwrap();
    w.commit(c).await;
    let c = decide!(w, "admin", |ctx| members::set(
        &ctx,
        pkey("web"),
        Principal::User(uname("dave")),
        vec![rname("Lead Developer")]
    ))
    .unwrap();
    w.commit(c).await;
    let c = decide!(w, "admin", |ctx| roles::delete(
        &ctx,
        Some(pkey("web")),
        &rname("Lead Developer"),
        true
    ))
    .unwrap();
    w.commit(c).await;
    let bob =
        w.db.store
            .member(&pkey("web"), &Principal::User(uname("bob")))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(bob.roles, vec![rname("Seed Developer")]);
    assert_eq!(
        w.db.store
            .member(&pkey("web"), &Principal::User(uname("dave")))
            .await
            .unwrap(),
        None
    );
    assert!(!w.allows("bob", "repository.delete", "web", Some("DEV")));
    // Deleting the project with its key repeated removes its roles and members.
    let c = decide!(w, "admin", |ctx| projects::delete(&ctx, &pkey("web"), Some("web"))).unwrap();
    w.commit(c).await;
    assert_eq!(w.db.store.roles(Some(&pkey("web"))).await.unwrap(), vec![]);
    assert!(w.snapshot.project_id("web").is_none());
}
conformance!(forced_deletes_cascade_through_commands, forced_deletes_cascade);

/// Renaming an environment (the JFrog layer's `…/rename`): every role
/// naming it names the new one, so access is unchanged but for the name;
/// `DEV` keeps its name; a taken name and one holding resources are refused.
async fn renames_keep_access(db: Db) {
    let mut w = World::new(db).await;
    seed(&mut w).await;
    give_alice_qa_only(&mut w, &["repository.read"], &["web-QA", "DEV"]).await;
    assert!(w.allows("alice", "repository.read", "web", Some("web-QA")));
    refused!(w, "admin", "environment_protected", |ctx| environments::rename(
        &ctx,
        &ename("DEV"),
        "DEVX"
    ));
    refused!(w, "admin", "already_exists", |ctx| environments::rename(
        &ctx,
        &ename("web-QA"),
        "QA"
    ));
    refused!(w, "admin", "validation_failed", |ctx| environments::rename(
        &ctx,
        &ename("web-QA"),
        "A-B"
    ));
    refused!(w, "bob", "forbidden", |ctx| environments::rename(
        &ctx,
        &ename("web-QA"),
        "STAGE"
    ));
    let c = decide!(w, "admin", |ctx| environments::rename(
        &ctx,
        &ename("web-QA"),
        "web-STAGE"
    ))
    .unwrap();
    w.commit(c).await;
    let role =
        w.db.store
            .role(Some(&pkey("web")), &rname("QA Only"))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(role.environments, vec![ename("web-STAGE"), ename("DEV")]);
    assert!(w.allows("alice", "repository.read", "web", Some("web-STAGE")));
    assert!(w.snapshot.env_id("web-QA").is_none());
    // Global: only platform admins.
    let c = decide!(w, "admin", |ctx| environments::create_global(
        &ctx,
        gatehouse_domain::names::EnvPart::parse("STAGE").unwrap()
    ))
    .unwrap();
    w.commit(c).await;
    let c = decide!(w, "admin", |ctx| environments::rename(&ctx, &ename("STAGE"), "UAT")).unwrap();
    w.commit(c).await;
    assert!(w.snapshot.env_id("UAT").is_some() && w.snapshot.env_id("STAGE").is_none());
}
conformance!(renames_keep_access_through_commands, renames_keep_access);

async fn limits_hold_under_concurrency(db: Db) {
    let mut w = World::new(db).await;
    seed(&mut w).await;
    // 28 more roles: web holds 29 (Lead Developer + 28).
    for i in 0..28 {
        let role = new_role(&format!("R{i}"), acts(&["repository.read"]), &["DEV"]);
        let c = decide!(w, "admin", |ctx| roles::create(&ctx, Some(pkey("web")), role)).unwrap();
        w.commit(c).await;
    }
    // Two writers decide the 30th role on the same snapshot; one commits.
    let a = decide!(w, "admin", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Thirty A", acts(&["repository.read"]), &["DEV"])
    ))
    .unwrap();
    let b = decide!(w, "admin", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role("Thirty B", acts(&["repository.read"]), &["DEV"])
    ))
    .unwrap();
    let now = OffsetDateTime::now_utc();
    let (ra, rb) = tokio::join!(w.db.store.commit(&a, now), w.db.store.commit(&b, now));
    let (won, lost, loser) = match (ra, rb) {
        (Ok(rev), Err(e)) => ((a, rev), e, "Thirty B"),
        (Err(e), Ok(rev)) => ((b, rev), e, "Thirty A"),
        other => panic!("exactly one of two concurrent commits wins: {other:?}"),
    };
    assert!(matches!(lost, StoreError::Stale { .. }), "{lost:?}");
    w.snapshot = w
        .snapshot
        .apply_all(&won.0.model_changes())
        .unwrap()
        .with_revision(won.1);
    // The loser retries on fresh state and meets the limit.
    refused!(w, "admin", "limit_exceeded", |ctx| roles::create(
        &ctx,
        Some(pkey("web")),
        new_role(loser, acts(&["repository.read"]), &["DEV"])
    ));
    assert_eq!(w.db.store.roles(Some(&pkey("web"))).await.unwrap().len(), 30);

    // The same username, twice at once: one user.
    let a = decide!(w, "admin", |ctx| users::create(&ctx, new_user("erin"))).unwrap();
    let b = decide!(w, "admin", |ctx| users::create(&ctx, new_user("erin"))).unwrap();
    let (ra, rb) = tokio::join!(w.db.store.commit(&a, now), w.db.store.commit(&b, now));
    assert_eq!(usize::from(ra.is_ok()) + usize::from(rb.is_ok()), 1);
}
conformance!(
    limits_hold_under_concurrency_through_commands,
    limits_hold_under_concurrency
);

fn res(name: &str) -> ResourceName {
    ResourceName::parse(name).unwrap()
}

/// The field a validation error names.
fn field(err: &DomainError) -> &str {
    match err {
        DomainError::Validation(fields) => &fields[0].field,
        other => panic!("not a validation error: {other}"),
    }
}

/// SPEC §5.6 through commands: register and remove with
/// `project.manage_resources`, every refusal leaving the store unchanged,
/// and the cascades of environment and project deletion.
async fn resource_flow(db: Db) {
    let mut w = World::new(db).await;
    seed(&mut w).await;
    let c = decide!(w, "admin", |ctx| projects::create(&ctx, new_project("api", &[]))).unwrap();
    w.commit(c).await;
    let c = decide!(w, "alice", |ctx| environments::create_in_project(
        &ctx,
        pkey("web"),
        "QA"
    ))
    .unwrap();
    w.commit(c).await;

    // alice is web's Project Admin: she registers, by `NAME` or full name.
    for (t, name, env) in [
        ("repository", "web-libs", Some("QA")),
        ("repository", "web-libs-dev", Some("DEV")),
        ("build", "web-build", Some("web-QA")),
        ("pipeline", "web-ci", None),
    ] {
        let c = decide!(w, "alice", |ctx| resources::register(
            &ctx,
            pkey("web"),
            t,
            res(name),
            env
        ))
        .unwrap();
        assert_eq!(c.audit.event, "resource.registered");
        assert_eq!(c.audit.project.as_deref(), Some("web"));
        w.commit(c).await;
    }
    assert_eq!(
        w.snapshot.resolve_resource("repository", "web-libs"),
        Some(("web", Some("web-QA")))
    );
    let stored = w.db.store.resource("repository", "web-libs").await.unwrap().unwrap();
    assert_eq!(stored.environment, Some(ename("web-QA")));
    let page = gatehouse_domain::store::PageRequest {
        cursor: None,
        limit: 10,
    };
    let listed = w.db.store.resources(&pkey("web"), &page).await.unwrap();
    assert_eq!(listed.items.len(), 4);

    refused!(w, "bob", "forbidden", |ctx| resources::register(
        &ctx,
        pkey("web"),
        "repository",
        res("bobs"),
        Some("DEV")
    ));
    refused!(w, "alice", "forbidden", |ctx| resources::register(
        &ctx,
        pkey("api"),
        "repository",
        res("alices"),
        Some("DEV")
    ));
    refused!(w, "alice", "not_found", |ctx| resources::register(
        &ctx,
        pkey("nope"),
        "repository",
        res("x"),
        Some("DEV")
    ));
    for (t, env, want) in [
        ("gadget", None, "type"),
        ("repository", None, "environment"),
        ("pipeline", Some("DEV"), "environment"),
        ("repository", Some("NOPE"), "environment"),
    ] {
        let err = refused!(w, "alice", "validation_failed", |ctx| resources::register(
            &ctx,
            pkey("web"),
            t,
            res("web-x"),
            env
        ));
        assert_eq!(field(&err), want, "{t} {env:?}");
    }
    // A project's resources are named `<key>-…`: no project claims another's.
    for name in ["x", "api-x", "web-", "webx"] {
        let err = refused!(w, "alice", "validation_failed", |ctx| resources::register(
            &ctx,
            pkey("web"),
            "repository",
            res(name),
            Some("DEV")
        ));
        assert_eq!(field(&err), "name", "{name}");
    }
    let err = refused!(w, "admin", "validation_failed", |ctx| resources::register(
        &ctx,
        pkey("api"),
        "repository",
        res("web-libs"),
        Some("PROD")
    ));
    assert_eq!(field(&err), "name");
    // Another project's environment is not usable here.
    let err = refused!(w, "admin", "validation_failed", |ctx| resources::register(
        &ctx,
        pkey("api"),
        "repository",
        res("api-x"),
        Some("web-QA")
    ));
    assert_eq!(field(&err), "environment");
    // A name is unique per type across the instance.
    refused!(w, "admin", "already_exists", |ctx| resources::register(
        &ctx,
        pkey("web"),
        "repository",
        res("web-libs"),
        Some("PROD")
    ));
    refused!(w, "alice", "not_found", |ctx| resources::remove(
        &ctx,
        pkey("web"),
        "repository",
        res("ghost")
    ));
    refused!(w, "admin", "not_found", |ctx| resources::remove(
        &ctx,
        pkey("api"),
        "repository",
        res("web-libs")
    ));
    refused!(w, "bob", "forbidden", |ctx| resources::remove(
        &ctx,
        pkey("web"),
        "repository",
        res("web-libs")
    ));

    // The same name under another type is another resource (platform admin).
    for t in ["repository", "build"] {
        let c = decide!(w, "admin", |ctx| resources::register(
            &ctx,
            pkey("api"),
            t,
            res("api-libs"),
            Some("PROD")
        ))
        .unwrap();
        w.commit(c).await;
    }

    // Removing: one audit record, with the project.
    let c = decide!(w, "alice", |ctx| resources::remove(
        &ctx,
        pkey("web"),
        "pipeline",
        res("web-ci")
    ))
    .unwrap();
    assert_eq!(c.audit.event, "resource.removed");
    assert_eq!(c.audit.project.as_deref(), Some("web"));
    assert!(c.audit.before.is_some());
    w.commit(c).await;
    assert_eq!(w.snapshot.resource("pipeline", "web-ci"), None);

    // Project Admins lose the right with the `manage_resources` privilege.
    let patch = ProjectPatch {
        admin_privileges: Some(AdminPrivileges {
            manage_resources: false,
            ..AdminPrivileges::default()
        }),
        ..ProjectPatch::default()
    };
    let c = decide!(w, "admin", |ctx| projects::update(&ctx, &pkey("web"), patch, None)).unwrap();
    w.commit(c).await;
    refused!(w, "alice", "forbidden", |ctx| resources::register(
        &ctx,
        pkey("web"),
        "pipeline",
        res("web-ci"),
        None
    ));

    // Deleting an environment deletes the resources in it.
    let c = decide!(w, "alice", |ctx| environments::delete(&ctx, &ename("web-QA"), false)).unwrap();
    w.commit(c).await;
    assert_eq!(w.snapshot.resource("repository", "web-libs"), None);
    assert_eq!(w.db.store.resource("build", "web-build").await.unwrap(), None);
    assert!(w.snapshot.resource("repository", "web-libs-dev").is_some());

    // Deleting the project deletes the rest of its resources.
    let c = decide!(w, "admin", |ctx| projects::delete(&ctx, &pkey("web"), Some("web"))).unwrap();
    w.commit(c).await;
    assert_eq!(w.db.store.resource("repository", "web-libs-dev").await.unwrap(), None);
    assert_eq!(
        resource_places(&w.snapshot),
        [
            ("build/api-libs".to_owned(), "api".to_owned(), Some("PROD".to_owned())),
            (
                "repository/api-libs".to_owned(),
                "api".to_owned(),
                Some("PROD".to_owned())
            )
        ]
    );
    let (model, _) = w.db.store.load_model().await.unwrap();
    assert_eq!(model.resources.len(), 2);
}
conformance!(resources_through_commands, resource_flow);
