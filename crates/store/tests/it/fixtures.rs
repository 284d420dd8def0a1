//! Records and commits built directly (not through domain commands), and a
//! small world of users, groups, projects, roles and members that the
//! cascade, model and backup tests start from.

use gatehouse_authz::{AccountPermission, AccountPermissions, AdminPrivileges, RoleType, UserKind, UserStatus};
use gatehouse_domain::entities::{
    BillingSettings, Environment, Group, Invitation, ManagedBy, Member, OutboxMessage, Principal, Project, Role,
    RoleMode, Scope, ScopeEntry, Token, User,
};
use gatehouse_domain::names::{Description, DisplayName, Email, EnvName, GroupName, ProjectKey, RoleName, Username};
use gatehouse_domain::store::Session;
use gatehouse_domain::{AuditActor, AuditEntry, Commit, Mutation, Store as _};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::backend::Db;

/// A time with nanoseconds, `n` seconds after a fixed instant.
pub fn at(n: i64) -> OffsetDateTime {
    datetime!(2025-03-04 05:06:07.123456789 UTC) + time::Duration::seconds(n)
}

pub fn uname(s: &str) -> Username {
    Username::parse(s).unwrap()
}

pub fn gname(s: &str) -> GroupName {
    GroupName::parse(s).unwrap()
}

pub fn pkey(s: &str) -> ProjectKey {
    ProjectKey::parse(s).unwrap()
}

pub fn rname(s: &str) -> RoleName {
    RoleName::parse(s).unwrap()
}

pub fn ename(s: &str) -> EnvName {
    EnvName::from_trusted(s)
}

pub fn describe(s: &str) -> Description {
    Description::parse("description", s, 1024).unwrap()
}

pub fn user(name: &str) -> User {
    User {
        username: uname(name),
        email: Some(Email::parse(&format!("{name}@Example.com")).unwrap()),
        kind: UserKind::Person,
        status: UserStatus::Invited,
        admin: false,
        account_permissions: AccountPermissions::NONE,
        password_hash: None,
        managed_by: ManagedBy::Local,
        profile: gatehouse_domain::entities::Profile::default(),
        created_at: at(0),
        created_by: None,
        last_login_at: None,
        recent_failures: Vec::new(),
        locked_until: None,
        revision: 0,
        modified_at: at(0),
    }
}

/// A user with every optional field set.
pub fn full_user(name: &str) -> User {
    User {
        kind: UserKind::Service,
        status: UserStatus::Locked,
        admin: true,
        account_permissions: [AccountPermission::AccountsManage, AccountPermission::AuditRead]
            .into_iter()
            .collect(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        managed_by: ManagedBy::Scim,
        profile: gatehouse_domain::entities::Profile {
            external_id: Some(format!("ext-{name}")),
            display_name: Some("Display".to_owned()),
            given_name: Some("Given".to_owned()),
            family_name: Some("Family".to_owned()),
        },
        created_by: Some(uname("admin")),
        last_login_at: Some(at(10)),
        recent_failures: vec![at(11), at(11), at(13)],
        locked_until: Some(at(12)),
        ..user(name)
    }
}

pub fn group(name: &str) -> Group {
    Group {
        name: gname(name),
        description: describe(&format!("the {name}")),
        members: Vec::new(),
        external_id: None,
        revision: 0,
        created_at: None,
        modified_at: None,
    }
}

pub fn project(key: &str) -> Project {
    Project {
        key: pkey(key),
        display_name: DisplayName::parse(&format!("Project {key}")).unwrap(),
        description: describe(""),
        admin_privileges: AdminPrivileges::default(),
        created_at: at(1),
        revision: 0,
    }
}

pub fn env(name: &str, project: Option<&str>) -> Environment {
    Environment {
        name: ename(name),
        project: project.map(pkey),
    }
}

/// A Basic role of `project` (or global) limited to `envs`.
pub fn role(project: Option<&str>, name: &str, envs: &[&str]) -> Role {
    Role {
        name: rname(name),
        project: project.map(pkey),
        description: describe("a role"),
        role_type: if project.is_some() {
            RoleType::Custom
        } else {
            RoleType::CustomGlobal
        },
        mode: RoleMode::Basic,
        categories: vec!["repository.read".to_owned()],
        actions: Vec::new(),
        environments: envs.iter().map(|e| ename(e)).collect(),
        revision: 0,
    }
}

/// An Advanced role.
pub fn advanced_role(project: Option<&str>, name: &str, envs: &[&str]) -> Role {
    Role {
        mode: RoleMode::Advanced,
        categories: Vec::new(),
        actions: vec!["repository.read".to_owned(), "repository.deploy".to_owned()],
        ..role(project, name, envs)
    }
}

pub fn user_member(project: &str, name: &str, roles: &[&str]) -> Member {
    Member {
        project: pkey(project),
        principal: Principal::User(uname(name)),
        roles: roles.iter().map(|r| rname(r)).collect(),
    }
}

pub fn group_member(project: &str, name: &str, roles: &[&str]) -> Member {
    Member {
        project: pkey(project),
        principal: Principal::Group(gname(name)),
        roles: roles.iter().map(|r| rname(r)).collect(),
    }
}

pub fn token(id: &str, owner: &str, created: i64) -> Token {
    Token {
        id: id.to_owned(),
        username: uname(owner),
        description: describe("ci"),
        scope: Scope::Entries(vec![ScopeEntry {
            project: "web".to_owned(),
            actions: vec!["repository.read".to_owned()],
            categories: Vec::new(),
            environments: vec!["DEV".to_owned()],
        }]),
        secret_sha256: format!("{id:0>64}"),
        created_at: at(created),
        expires_at: Some(at(created + 1000)),
        last_used_at: None,
        created_by: uname("admin"),
    }
}

pub fn invitation(secret: &str, who: &str) -> Invitation {
    Invitation {
        secret_sha256: format!("{secret:0>64}"),
        username: uname(who),
        expires_at: at(7 * 86_400),
        purpose: gatehouse_domain::entities::SecretPurpose::Invitation,
    }
}

pub fn message(to: &str) -> OutboxMessage {
    OutboxMessage {
        to: Email::parse(to).unwrap(),
        subject: "Welcome".to_owned(),
        body: "Click here.\n".to_owned(),
        link: None,
    }
}

pub fn billing() -> BillingSettings {
    BillingSettings {
        plan: "team".to_owned(),
        contact: "billing@example.com".to_owned(),
        renewal_date: Some("2026-01-01".to_owned()),
    }
}

pub fn session(id: &str, who: &str) -> Session {
    Session {
        id_sha256: format!("{id:0>64}"),
        username: uname(who),
        csrf_token: "csrf".to_owned(),
        created_at: at(100),
        last_seen_at: at(101),
    }
}

pub fn entry(event: &str, target: &str) -> AuditEntry {
    AuditEntry {
        actor: AuditActor {
            username: Some("admin".to_owned()),
            token_id: None,
            address: Some("127.0.0.1".to_owned()),
            user_agent: Some("test".to_owned()),
            via: Some(gatehouse_domain::Via::Api),
        },
        event: event.to_owned(),
        target_type: "test".to_owned(),
        target_id: target.to_owned(),
        project: None,
        before: None,
        after: Some(serde_json::json!({"target": target, "n": 1.5, "list": [1, "two", null]})),
        request_id: Some("req-1".to_owned()),
    }
}

/// A commit of `mutations` with no expected revision.
pub fn commit(mutations: Vec<Mutation>) -> Commit {
    Commit {
        mutations,
        audit: entry("test.commit", "t"),
        expected_revision: None,
    }
}

/// Commits `mutations` at `at(0)`; answers the new revision.
pub async fn apply(db: &Db, mutations: Vec<Mutation>) -> u64 {
    db.store.commit(&commit(mutations), at(0)).await.unwrap()
}

/// The world of the cascade, model and backup tests:
///
/// - users alice, bob, carol, dave; groups devs {alice, bob}, ops {carol}
/// - projects web (with environment web-QA) and api; global DEV and PROD
/// - global role Reader [DEV]; web's Deployer [web-QA, PROD]; api's Operator [PROD]
/// - web: alice {Deployer, Reader}, bob {Deployer}, group devs {Reader}
/// - api: alice {Reader}, carol {Operator, Reader}, group ops {Operator}
/// - alice has a token, a session and an invitation
pub fn world() -> Vec<Mutation> {
    use Mutation::*;
    vec![
        CreateUser(user("alice")),
        CreateUser(user("bob")),
        CreateUser(user("carol")),
        CreateUser(user("dave")),
        CreateGroup(group("devs")),
        CreateGroup(group("ops")),
        AddGroupMember(gname("devs"), uname("alice")),
        AddGroupMember(gname("devs"), uname("bob")),
        AddGroupMember(gname("ops"), uname("carol")),
        CreateProject(project("web")),
        CreateProject(project("api")),
        CreateEnvironment(env("DEV", None)),
        CreateEnvironment(env("PROD", None)),
        CreateEnvironment(env("web-QA", Some("web"))),
        PutRole(role(None, "Reader", &["DEV"])),
        PutRole(advanced_role(Some("web"), "Deployer", &["web-QA", "PROD"])),
        PutRole(role(Some("api"), "Operator", &["PROD"])),
        SetMember(user_member("web", "alice", &["Deployer", "Reader"])),
        SetMember(user_member("web", "bob", &["Deployer"])),
        SetMember(group_member("web", "devs", &["Reader"])),
        SetMember(user_member("api", "alice", &["Reader"])),
        SetMember(user_member("api", "carol", &["Operator", "Reader"])),
        SetMember(group_member("api", "ops", &["Operator"])),
        CreateToken(token("tok-alice", "alice", 5)),
        CreateInvitation(invitation("inv-alice", "alice")),
    ]
}

/// Builds [`world`] in one commit, plus alice's session; answers the revision.
pub async fn build_world(db: &Db) -> u64 {
    let revision = apply(db, world()).await;
    db.store.create_session(&session("sess-alice", "alice")).await.unwrap();
    revision
}
