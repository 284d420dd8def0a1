//! The anti-escalation matrix of SPEC §2.5 as data: actors (the platform
//! admin, a Project Admin with each `admin_privilege` off in turn, a holder
//! of `project.manage_members` only, a holder of `accounts.manage` only, a
//! plain member) × attempts (grant a role with an action they lack, in an
//! environment they lack, make an admin, grant themselves) → the expected
//! status; and after every refusal, nothing changed. Acting on another
//! user's credentials or standing needs the actor to dominate that user
//! (403 `escalation` otherwise).

use gatehouse_server::router::ROUTES;
use reqwest::Method;
use serde_json::{Value, json};

use crate::spawn::{TestServer, password_of, start_sqlite};

/// Who acts. The Project Admin is one user, `pa`, holding Project Admin and
/// `Reader` in four projects that differ only in `admin_privileges`; its
/// variants name the project an attempt is made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    /// `admin`: a platform admin.
    Admin,
    /// `pa` in `web`: every admin privilege on.
    PaAll,
    /// `pa` in `web-nomembers`: `manage_members` off.
    PaNoMembers,
    /// `pa` in `web-noresources`: `manage_resources` off.
    PaNoResources,
    /// `pa` in `web-noindex`: `index_resources` off.
    PaNoIndex,
    /// `manager`: in `web`, a custom role holding only `project.manage_members`, and `Reader`.
    Manager,
    /// `accounts`: account permission `accounts.manage` only, member of nothing.
    Accounts,
    /// `plain`: in `web`, `Reader` only.
    Plain,
}

impl Actor {
    fn username(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::PaAll | Self::PaNoMembers | Self::PaNoResources | Self::PaNoIndex => "pa",
            Self::Manager => "manager",
            Self::Accounts => "accounts",
            Self::Plain => "plain",
        }
    }
}

/// One concrete HTTP request.
struct Attempt {
    label: String,
    method: Method,
    path: String,
    body: Value,
}

/// `PUT /api/v1/projects/{project}/members/users/{user}` with `roles`.
fn member(project: &str, user: &str, roles: &[&str]) -> Attempt {
    Attempt {
        label: format!("give {user} {roles:?} in {project}"),
        method: Method::PUT,
        path: format!("/api/v1/projects/{project}/members/users/{user}"),
        body: json!({"roles": roles}),
    }
}

/// `POST /api/v1/projects/{project}/roles` named `name` granting `grants`.
fn role(project: &str, name: &str, grants: Value) -> Attempt {
    let mut body = json!({"name": name});
    if let (Some(body), Some(grants)) = (body.as_object_mut(), grants.as_object()) {
        body.extend(grants.clone());
    }
    Attempt {
        label: format!("define role {name} {grants} in {project}"),
        method: Method::POST,
        path: format!("/api/v1/projects/{project}/roles"),
        body,
    }
}

/// `PATCH /api/v1/projects/{project}/roles/{name}`.
fn edit_role(project: &str, name: &str, patch: Value) -> Attempt {
    Attempt {
        label: format!("edit role {name} in {project}: {patch}"),
        method: Method::PATCH,
        path: format!("/api/v1/projects/{project}/roles/{name}"),
        body: patch,
    }
}

/// `POST /api/v1/roles`: a global role.
fn global_role(name: &str) -> Attempt {
    Attempt {
        label: format!("define global role {name}"),
        method: Method::POST,
        path: "/api/v1/roles".to_owned(),
        body: json!({"name": name, "categories": ["artifacts.read"], "environments": ["DEV"]}),
    }
}

/// `PATCH /api/v1/users/{user}`.
fn patch_user(user: &str, patch: Value) -> Attempt {
    Attempt {
        label: format!("patch user {user}: {patch}"),
        method: Method::PATCH,
        path: format!("/api/v1/users/{user}"),
        body: patch,
    }
}

/// `POST /api/v1/users`: a new user with `extra` fields.
fn create_user(username: &str, extra: Value) -> Attempt {
    let mut body = json!({"username": username, "email": format!("{username}@example.com"),
        "password": password_of(username)});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    Attempt {
        label: format!("create user {username} with {extra}"),
        method: Method::POST,
        path: "/api/v1/users".to_owned(),
        body,
    }
}

/// `POST /api/v1/projects/{project}/resources`: a repository in DEV.
fn resource(project: &str, name: &str) -> Attempt {
    Attempt {
        label: format!("register repository {name} in {project}"),
        method: Method::POST,
        path: format!("/api/v1/projects/{project}/resources"),
        body: json!({"type": "repository", "name": name, "environment": "DEV"}),
    }
}

/// An action on `user`'s credentials or standing: `reset` its password,
/// `disable`, `enable`, `unlock` it, change its `email`, `join` or `leave`
/// group `staff`.
fn standing(what: &str, user: &str) -> Attempt {
    let (method, path, body) = match what {
        "reset" => (
            Method::PUT,
            format!("/api/v1/users/{user}/password"),
            json!({"new_password": "a-taken-over-password"}),
        ),
        "email" => (
            Method::PATCH,
            format!("/api/v1/users/{user}"),
            json!({"email": format!("{user}-taken@example.com")}),
        ),
        "join" => (
            Method::PATCH,
            "/api/v1/groups/staff/members".to_owned(),
            json!({"add": [user]}),
        ),
        "leave" => (
            Method::PATCH,
            "/api/v1/groups/staff/members".to_owned(),
            json!({"remove": [user]}),
        ),
        status => (Method::POST, format!("/api/v1/users/{user}/{status}"), json!({})),
    };
    Attempt {
        label: format!("{what} {user}"),
        method,
        path,
        body,
    }
}

/// Basic-mode `artifacts.read` limited to `envs`.
fn reads(envs: &[&str]) -> Value {
    json!({"categories": ["artifacts.read"], "environments": envs})
}

/// Advanced-mode `actions` limited to `envs`.
fn actions(actions: &[&str], envs: &[&str]) -> Value {
    json!({"actions": actions, "environments": envs})
}

const OK: u16 = 200;
const CREATED: u16 = 201;
const FORBIDDEN: u16 = 403;
const HIDDEN: u16 = 404;
const NO_CONTENT: u16 = 204;
/// 403 with code `escalation` (the others are `forbidden`).
const ESCALATION: u16 = 4030;

/// Projects `pa` administers, with their `admin_privileges`
/// (`manage_members`, `manage_resources`, `index_resources`).
const PA_PROJECTS: [(&str, [bool; 3]); 4] = [
    ("web", [true, true, true]),
    ("web-nomembers", [false, true, true]),
    ("web-noresources", [true, false, true]),
    ("web-noindex", [true, true, false]),
];

/// Every project: `hidden` has no member but `target`.
const PROJECTS: [&str; 5] = ["web", "web-nomembers", "web-noresources", "web-noindex", "hidden"];

fn has_route(method: &str, path: &str) -> bool {
    ROUTES.iter().any(|r| r.method.as_str() == method && r.path == path)
}

/// The matrix. Rows that succeed change the store; each refused row is
/// compared with the state just before it, so order matters only where a
/// comment says so.
fn matrix() -> Vec<(Actor, Attempt, u16)> {
    use Actor::{Accounts, Admin, Manager, PaAll, PaNoIndex, PaNoMembers, PaNoResources, Plain};
    let mut rows = vec![
        // A Project Admin with every privilege, also holding Reader (artifacts.read in DEV).
        (PaAll, member("web", "target", &["Deployer"]), FORBIDDEN),
        (PaAll, member("web", "target", &["Prod Reader"]), FORBIDDEN),
        (
            PaAll,
            role("web", "Deleter", actions(&["repository.delete"], &["DEV"])),
            FORBIDDEN,
        ),
        (PaAll, role("web", "Prod Only", reads(&["PROD"])), FORBIDDEN),
        (PaAll, role("web", "Dev And Prod", reads(&["DEV", "PROD"])), FORBIDDEN),
        (
            PaAll,
            edit_role("web", "Reader", json!({"environments": ["DEV", "PROD"]})),
            FORBIDDEN,
        ),
        (
            PaAll,
            member("web", "pa", &["Project Admin", "Reader", "Global Reader"]),
            FORBIDDEN,
        ),
        (PaAll, global_role("PA Global"), FORBIDDEN),
        (PaAll, patch_user("target", json!({"admin": true})), FORBIDDEN),
        (PaAll, member("hidden", "target", &["Reader"]), HIDDEN),
        (PaAll, member("web", "target", &["Reader"]), OK),
        (PaAll, member("web", "target", &["Global Reader"]), OK),
        (PaAll, role("web", "Dev Reader", reads(&["DEV"])), CREATED),
        (
            PaAll,
            role("web", "Resource Keeper", actions(&["project.manage_resources"], &[])),
            CREATED,
        ),
        (PaAll, member("web", "target", &["Project Admin"]), OK),
        // manage_members off: no member changes at all, other project actions stay.
        (PaNoMembers, member("web-nomembers", "target", &["Reader"]), FORBIDDEN),
        (
            PaNoMembers,
            member("web-nomembers", "target", &["Project Admin"]),
            FORBIDDEN,
        ),
        (
            PaNoMembers,
            role("web-nomembers", "Members", actions(&["project.manage_members"], &[])),
            FORBIDDEN,
        ),
        (
            PaNoMembers,
            role("web-nomembers", "Dev Reader", reads(&["DEV"])),
            CREATED,
        ),
        // manage_resources off: it cannot be put into a role; Project Admin there lacks it too.
        (
            PaNoResources,
            role("web-noresources", "Res", actions(&["project.manage_resources"], &[])),
            FORBIDDEN,
        ),
        (
            PaNoResources,
            member("web-noresources", "target", &["Deployer"]),
            FORBIDDEN,
        ),
        (PaNoResources, member("web-noresources", "target", &["Reader"]), OK),
        (
            PaNoResources,
            member("web-noresources", "target", &["Project Admin"]),
            OK,
        ),
        // index_resources off.
        (
            PaNoIndex,
            role("web-noindex", "Indexer", actions(&["project.index_resources"], &[])),
            FORBIDDEN,
        ),
        (
            PaNoIndex,
            role("web-noindex", "Res", actions(&["project.manage_resources"], &[])),
            CREATED,
        ),
        (PaNoIndex, member("web-noindex", "target", &["Prod Reader"]), FORBIDDEN),
        // manage_members and Reader, nothing else.
        (Manager, member("web", "target", &["Deployer"]), FORBIDDEN),
        (Manager, member("web", "target", &["Prod Reader"]), FORBIDDEN),
        (Manager, member("web", "target", &["Project Admin"]), FORBIDDEN),
        (
            Manager,
            member("web", "manager", &["Member Manager", "Reader", "Global Reader"]),
            FORBIDDEN,
        ),
        (Manager, member("web", "manager", &["Reader"]), FORBIDDEN),
        (Manager, role("web", "Dev Reader 2", reads(&["DEV"])), FORBIDDEN),
        (
            Manager,
            edit_role("web", "Reader", json!({"environments": ["DEV", "PROD"]})),
            FORBIDDEN,
        ),
        (Manager, patch_user("target", json!({"admin": true})), FORBIDDEN),
        (Manager, member("hidden", "target", &["Reader"]), HIDDEN),
        (Manager, member("web", "target", &["Reader"]), OK),
        (Manager, member("web", "target", &["Global Reader"]), OK),
        (Manager, member("web", "target", &["Member Manager", "Reader"]), OK),
        // accounts.manage only.
        (Accounts, patch_user("target", json!({"admin": true})), FORBIDDEN),
        (
            Accounts,
            patch_user("target", json!({"account_permissions": ["billing.manage"]})),
            FORBIDDEN,
        ),
        (
            Accounts,
            patch_user(
                "target",
                json!({"account_permissions": ["accounts.manage", "audit.read"]}),
            ),
            FORBIDDEN,
        ),
        (
            Accounts,
            patch_user(
                "accounts",
                json!({"account_permissions": ["accounts.manage", "audit.read"]}),
            ),
            FORBIDDEN,
        ),
        (
            Accounts,
            patch_user("accounts", json!({"account_permissions": []})),
            FORBIDDEN,
        ),
        (Accounts, patch_user("accounts", json!({"admin": true})), FORBIDDEN),
        (Accounts, create_user("newadmin", json!({"admin": true})), FORBIDDEN),
        (
            Accounts,
            create_user("newbilling", json!({"account_permissions": ["billing.manage"]})),
            FORBIDDEN,
        ),
        (Accounts, member("web", "target", &["Reader"]), HIDDEN),
        (Accounts, role("web", "Acc Reader", reads(&["DEV"])), HIDDEN),
        (Accounts, global_role("Acc Global"), FORBIDDEN),
        (
            Accounts,
            patch_user("target", json!({"account_permissions": ["accounts.manage"]})),
            OK,
        ),
        (
            Accounts,
            create_user("newaccounts", json!({"account_permissions": ["accounts.manage"]})),
            CREATED,
        ),
        // Credentials and standing (SPEC §2.5): `accounts` holds no action,
        // so it dominates only those who hold none and no account
        // permission it lacks.
        (Accounts, standing("reset", "pa"), ESCALATION),
        (Accounts, standing("reset", "target"), ESCALATION),
        (Accounts, standing("email", "target"), ESCALATION),
        (Accounts, standing("disable", "manager"), ESCALATION),
        (Accounts, standing("enable", "plain"), ESCALATION),
        (Accounts, standing("unlock", "pa"), ESCALATION),
        (Accounts, standing("join", "pa"), ESCALATION),
        (Accounts, standing("leave", "target"), ESCALATION),
        (Accounts, standing("reset", "newaccounts"), NO_CONTENT),
        (Accounts, standing("email", "newaccounts"), OK),
        (Accounts, standing("join", "newaccounts"), OK),
        (Accounts, standing("disable", "newaccounts"), OK),
        (Accounts, standing("enable", "newaccounts"), OK),
        // Without `accounts.manage`, even a Project Admin touches no one's.
        (PaAll, standing("reset", "target"), FORBIDDEN),
        (PaAll, standing("disable", "plain"), FORBIDDEN),
        // A plain member.
        (Plain, member("web", "target", &["Reader"]), FORBIDDEN),
        (Plain, member("web", "plain", &["Reader", "Deployer"]), FORBIDDEN),
        (Plain, role("web", "Plain Reader", reads(&["DEV"])), FORBIDDEN),
        (
            Plain,
            patch_user("target", json!({"account_permissions": ["audit.read"]})),
            FORBIDDEN,
        ),
        (Plain, patch_user("plain", json!({"admin": true})), FORBIDDEN),
        (Plain, global_role("Plain Global"), FORBIDDEN),
        (Plain, member("hidden", "target", &["Reader"]), HIDDEN),
        // The platform admin may do all of it, itself included.
        (Admin, member("web", "target", &["Deployer"]), OK),
        (Admin, member("web", "target", &["Prod Reader", "Project Admin"]), OK),
        (Admin, role("web", "Admin Prod", reads(&["PROD"])), CREATED),
        (Admin, member("hidden", "target", &["Deployer"]), OK),
        (Admin, member("web", "admin", &["Deployer"]), OK),
        (Admin, global_role("Admin Global"), CREATED),
        (
            Admin,
            patch_user(
                "target",
                json!({"account_permissions": ["billing.manage", "audit.read"]}),
            ),
            OK,
        ),
        (
            Admin,
            patch_user("admin", json!({"account_permissions": ["audit.read"]})),
            OK,
        ),
        (Admin, create_user("madeadmin", json!({"admin": true})), CREATED),
        (Admin, standing("reset", "pa"), NO_CONTENT),
        (Admin, standing("email", "accounts"), OK),
        (Admin, standing("leave", "target"), OK),
        (Admin, standing("join", "pa"), OK),
        // Last: it makes `target` a platform admin.
        (Admin, patch_user("target", json!({"admin": true})), OK),
    ];
    // The resource registry (SPEC §5.6) may not be routed yet: its rows run
    // only when `POST /api/v1/projects/{key}/resources` is in ROUTES.
    if has_route("POST", "/api/v1/projects/{key}/resources") {
        rows.extend([
            (
                PaNoResources,
                resource("web-noresources", "noresources-libs"),
                FORBIDDEN,
            ),
            (Plain, resource("web", "plain-libs"), FORBIDDEN),
            (Manager, resource("web", "manager-libs"), FORBIDDEN),
            (PaAll, resource("web", "web-libs"), CREATED),
        ]);
    }
    rows
}

async fn must(t: &TestServer, method: Method, path: &str, body: Value) {
    let answer = t.call(method, path, Some(&t.admin), Some(&body)).await;
    assert!(
        answer.status.is_success(),
        "{path}: {} {:?}",
        answer.status,
        answer.body
    );
}

/// The revision and everything a grant could change, read by the admin.
async fn state(t: &TestServer) -> (u64, Vec<(String, Value)>) {
    let mut paths = vec![
        "/api/v1/users?limit=1000".to_owned(),
        "/api/v1/users/target".to_owned(),
        "/api/v1/groups/staff".to_owned(),
        "/api/v1/roles".to_owned(),
        "/api/v1/projects".to_owned(),
    ];
    for project in PROJECTS {
        paths.push(format!("/api/v1/projects/{project}"));
        paths.push(format!("/api/v1/projects/{project}/members?limit=1000"));
        paths.push(format!("/api/v1/projects/{project}/roles"));
        if has_route("GET", "/api/v1/projects/{key}/resources") {
            paths.push(format!("/api/v1/projects/{project}/resources"));
        }
    }
    let mut read = Vec::with_capacity(paths.len());
    for path in paths {
        let answer = t.get(&path, &t.admin).await;
        assert_eq!(answer.status, 200, "{path}: {:?}", answer.body);
        read.push((path, answer.body));
    }
    (t.revision().await, read)
}

/// Creates the users, the global role, the projects, their roles and members.
async fn setup(t: &TestServer) -> Vec<(&'static str, String)> {
    let mut tokens = vec![("admin", t.admin.clone())];
    for name in ["pa", "manager", "plain", "target"] {
        tokens.push((name, t.user(name).await));
    }
    tokens.push((
        "accounts",
        t.user_with("accounts", json!({"account_permissions": ["accounts.manage"]}))
            .await,
    ));
    must(
        t,
        Method::POST,
        "/api/v1/roles",
        json!({"name": "Global Reader", "categories": ["artifacts.read"],
        "environments": ["DEV"]}),
    )
    .await;
    must(
        t,
        Method::POST,
        "/api/v1/groups",
        json!({"name": "staff", "description": "no project memberships", "members": ["target"]}),
    )
    .await;
    let hidden = ("hidden", [true, true, true]);
    for (key, [manage_members, manage_resources, index_resources]) in PA_PROJECTS.into_iter().chain([hidden]) {
        let admins: &[&str] = if key == "hidden" { &[] } else { &["pa"] };
        must(
            t,
            Method::POST,
            "/api/v1/projects",
            json!({"key": key, "display_name": key, "admins": admins,
            "admin_privileges": {"manage_members": manage_members, "manage_resources": manage_resources,
                "index_resources": index_resources}}),
        )
        .await;
        let roles = format!("/api/v1/projects/{key}/roles");
        must(
            t,
            Method::POST,
            &roles,
            json!({"name": "Reader", "categories": ["artifacts.read"],
            "environments": ["DEV"]}),
        )
        .await;
        must(
            t,
            Method::POST,
            &roles,
            json!({"name": "Deployer", "categories": ["artifacts.write"],
            "environments": ["DEV", "PROD"]}),
        )
        .await;
        must(
            t,
            Method::POST,
            &roles,
            json!({"name": "Prod Reader", "categories": ["artifacts.read"],
            "environments": ["PROD"]}),
        )
        .await;
        let members = format!("/api/v1/projects/{key}/members/users");
        if key != "hidden" {
            must(
                t,
                Method::PUT,
                &format!("{members}/pa"),
                json!({"roles": ["Project Admin", "Reader"]}),
            )
            .await;
        }
        must(
            t,
            Method::PUT,
            &format!("{members}/target"),
            json!({"roles": ["Reader"]}),
        )
        .await;
    }
    must(
        t,
        Method::POST,
        "/api/v1/projects/web/roles",
        json!({"name": "Member Manager",
        "actions": ["project.manage_members"]}),
    )
    .await;
    must(
        t,
        Method::PUT,
        "/api/v1/projects/web/members/users/manager",
        json!({"roles": ["Member Manager", "Reader"]}),
    )
    .await;
    must(
        t,
        Method::PUT,
        "/api/v1/projects/web/members/users/plain",
        json!({"roles": ["Reader"]}),
    )
    .await;
    tokens
}

#[tokio::test(flavor = "multi_thread")]
async fn no_one_grants_what_they_do_not_hold() {
    let t = start_sqlite().await;
    let tokens = setup(&t).await;
    let mut failures = Vec::new();
    for (actor, attempt, expected) in matrix() {
        let token = tokens
            .iter()
            .find(|(name, _)| *name == actor.username())
            .map(|(_, token)| token.clone())
            .unwrap();
        let before = state(&t).await;
        let answer = t
            .call(attempt.method.clone(), &attempt.path, Some(&token), Some(&attempt.body))
            .await;
        let what = format!(
            "{actor:?} ({}) {}: {} {}",
            actor.username(),
            attempt.label,
            attempt.method,
            attempt.path
        );
        let (expected, wanted_code) = match expected {
            ESCALATION => (FORBIDDEN, Some("escalation")),
            FORBIDDEN => (FORBIDDEN, Some("forbidden")),
            HIDDEN => (HIDDEN, Some("not_found")),
            other => (other, None),
        };
        if answer.status != expected {
            failures.push(format!(
                "{what}: expected {expected}, got {} {}",
                answer.status, answer.body
            ));
        }
        if let Some(code) = wanted_code {
            if answer.status == expected && answer.code() != code {
                failures.push(format!("{what}: expected code {code}, got {:?}", answer.body));
            }
            let after = state(&t).await;
            if after.0 != before.0 {
                failures.push(format!(
                    "{what}: refused, yet the revision moved {} → {}",
                    before.0, after.0
                ));
            }
            for ((path, was), (_, now)) in before.1.iter().zip(&after.1) {
                if was != now {
                    failures.push(format!("{what}: refused, yet {path} changed: {was} → {now}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the matrix failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
