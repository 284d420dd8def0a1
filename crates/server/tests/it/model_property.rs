//! A property test across the whole server: random small models are built through the HTTP API as the admin,
//! and every check (with its explanation), every user's effective permissions and every who-can answer of the
//! server must equal the naive reference evaluator of `gatehouse-authz` run over the same model by names.

#[path = "../../../authz/tests/it/reference.rs"]
mod reference;
#[path = "../../../authz/tests/it/split_mix.rs"]
mod split_mix;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use gatehouse_authz::{
    AdminPrivileges, Catalogue, EnvironmentSpec, GroupSpec, MemberSpec, Model, Principal, ProjectSpec, RoleGrants,
    RoleSpec, RoleType, UserKind, UserSpec, UserStatus,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use reqwest::Method;
use serde_json::{Value, json};

use self::reference::{NamedGrant, Reference};
use self::split_mix::Rng;
use crate::spawn::{TestServer, start_sqlite};

/// Up to `max` distinct items, in the order of `items`.
fn distinct<T: Clone + PartialEq>(rng: &mut Rng, items: &[T], max: usize) -> Vec<T> {
    let n = rng.below(max + 1);
    let mut chosen: Vec<T> = Vec::new();
    for _ in 0..n {
        let item = rng.pick(items);
        if !chosen.contains(item) {
            chosen.push(item.clone());
        }
    }
    items.iter().filter(|i| chosen.contains(i)).cloned().collect()
}

fn catalogue() -> Catalogue {
    Catalogue::platform().expect("the platform catalogue loads")
}

/// Environments a role of `project` (or a global role) may name.
fn env_choices(model: &Model, project: Option<&str>) -> Vec<String> {
    model
        .environments
        .iter()
        .filter(|e| e.project.is_none() || (project.is_some() && e.project.as_deref() == project))
        .map(|e| e.name.clone())
        .collect()
}

/// Basic categories, or Advanced actions (ids, sometimes JFrog wire names), never the same action twice.
fn random_grants(rng: &mut Rng, cat: &Catalogue) -> RoleGrants {
    if rng.chance(40) {
        let ids: Vec<String> = cat.categories().iter().map(|c| c.id.clone()).collect();
        let mut chosen = distinct(rng, &ids, 3);
        if chosen.is_empty() {
            chosen.push(rng.pick(&ids).clone());
        }
        RoleGrants::Categories(chosen)
    } else {
        let mut chosen: Vec<String> = Vec::new();
        let mut seen = BTreeSet::new();
        for _ in 0..1 + rng.below(7) {
            let action = rng.pick(cat.actions());
            if seen.insert(action.id.clone()) {
                chosen.push(if rng.chance(20) {
                    action.wire_name.clone()
                } else {
                    action.id.clone()
                });
            }
        }
        RoleGrants::Actions(chosen)
    }
}

fn random_role(rng: &mut Rng, cat: &Catalogue, model: &Model, name: String, project: Option<&str>) -> RoleSpec {
    let environments = distinct(rng, &env_choices(model, project), 3);
    RoleSpec {
        name,
        project: project.map(str::to_owned),
        role_type: if project.is_some() {
            RoleType::Custom
        } else {
            RoleType::CustomGlobal
        },
        grants: random_grants(rng, cat),
        environments,
    }
}

fn set_member(model: &mut Model, spec: MemberSpec) {
    model
        .members
        .retain(|m| !(m.project == spec.project && m.principal == spec.principal));
    model.members.push(spec);
}

/// A small random model, starting from what the server holds after its first start: `admin`, DEV, PROD and the
/// predefined roles. `admin` is active: the harness logged it in.
fn random_model(seed: u64, cat: &Catalogue) -> Model {
    let mut rng = Rng(seed);
    let mut model = Model::new(cat);
    model.users.push(UserSpec {
        name: "admin".into(),
        status: UserStatus::Active,
        admin: true,
        kind: UserKind::Person,
        account_permissions: Default::default(),
    });
    for name in ["STAGE", "UAT"].iter().take(1 + rng.below(2)) {
        model.environments.push(EnvironmentSpec {
            name: (*name).into(),
            project: None,
        });
    }
    for i in 0..3 + rng.below(4) {
        model.users.push(UserSpec {
            name: format!("u{i}"),
            status: if rng.chance(25) {
                UserStatus::Disabled
            } else {
                UserStatus::Invited
            },
            admin: rng.chance(10),
            kind: if rng.chance(15) {
                UserKind::Service
            } else {
                UserKind::Person
            },
            account_permissions: Default::default(),
        });
    }
    let people: Vec<String> = model.users.iter().skip(1).map(|u| u.name.clone()).collect();
    for i in 0..1 + rng.below(3) {
        model.groups.push(GroupSpec {
            name: format!("g{i}"),
            members: distinct(&mut rng, &people, 4),
        });
    }
    for i in 0..2 + rng.below(2) {
        let key = format!("p{i}");
        model.projects.push(ProjectSpec {
            key: key.clone(),
            admin_privileges: AdminPrivileges {
                manage_members: rng.chance(70),
                manage_resources: rng.chance(70),
                index_resources: rng.chance(70),
            },
        });
        for env in ["QA", "PERF"].iter().take(1 + usize::from(rng.chance(30))) {
            model.environments.push(EnvironmentSpec {
                name: format!("{key}-{env}"),
                project: Some(key.clone()),
            });
        }
        // `admins` at creation: Project Admin members.
        for admin in distinct(&mut rng, &people, 1) {
            model.members.push(MemberSpec {
                project: key.clone(),
                principal: Principal::User(admin),
                roles: vec!["Project Admin".into()],
            });
        }
    }
    for i in 0..1 + rng.below(3) {
        let role = random_role(&mut rng, cat, &model, format!("G{i}"), None);
        model.roles.push(role);
    }
    if rng.chance(50) {
        // A predefined role extended (or narrowed) to other global environments.
        let globals = env_choices(&model, None);
        let predefined: Vec<usize> = (0..model.roles.len())
            .filter(|i| model.roles[*i].role_type == RoleType::Predefined)
            .collect();
        let i = *rng.pick(&predefined);
        let mut environments = distinct(&mut rng, &globals, 3);
        if environments.is_empty() {
            environments.push(rng.pick(&globals).clone());
        }
        model.roles[i].environments = environments;
    }
    let keys: Vec<String> = model.projects.iter().map(|p| p.key.clone()).collect();
    for key in &keys {
        // The same role names in every project: project roles are only unique per project.
        for i in 0..rng.below(3) {
            let role = random_role(&mut rng, cat, &model, format!("R{i}"), Some(key));
            model.roles.push(role);
        }
        let usable: Vec<String> = model
            .roles
            .iter()
            .filter(|r| r.project.is_none() || r.project.as_deref() == Some(key))
            .map(|r| r.name.clone())
            .collect();
        for _ in 0..1 + rng.below(4) {
            let principal = if rng.chance(65) {
                Principal::User(rng.pick(&model.users).name.clone())
            } else {
                Principal::Group(rng.pick(&model.groups).name.clone())
            };
            let mut roles = distinct(&mut rng, &usable, 3);
            if roles.is_empty() {
                roles.push(rng.pick(&usable).clone());
            }
            set_member(
                &mut model,
                MemberSpec {
                    project: key.clone(),
                    principal,
                    roles,
                },
            );
        }
    }
    model
}

/// The model in a few lines, for assertion messages.
fn describe(model: &Model, cat: &Catalogue) -> String {
    let mut out = String::new();
    let users: Vec<String> = model
        .users
        .iter()
        .map(|u| format!("{}({:?}{})", u.name, u.status, if u.admin { ",admin" } else { "" }))
        .collect();
    let _ = writeln!(out, "users: {}", users.join(" "));
    for g in &model.groups {
        let _ = writeln!(out, "group {}: {:?}", g.name, g.members);
    }
    for p in &model.projects {
        let _ = writeln!(out, "project {}: {:?}", p.key, p.admin_privileges);
    }
    let envs: Vec<&str> = model.environments.iter().map(|e| e.name.as_str()).collect();
    let _ = writeln!(out, "environments: {envs:?}");
    let defaults = Model::new(cat).roles;
    for r in model.roles.iter().filter(|r| !defaults.contains(r)) {
        let _ = writeln!(
            out,
            "role {:?} of {:?} ({:?}): {:?} in {:?}",
            r.name, r.project, r.role_type, r.grants, r.environments
        );
    }
    for m in &model.members {
        let _ = writeln!(out, "member of {}: {:?} {:?}", m.project, m.principal, m.roles);
    }
    out
}

/// A grant as the server shows it: (via, name, role, role_scope, sorted environments).
type WireGrant = (String, String, String, String, Vec<String>);

/// A decision as the server shows it with `explain`: allowed, sorted grants, denial code.
type Decision = (bool, Vec<WireGrant>, Option<String>);

fn wire_grant(grant: &Value) -> WireGrant {
    let text = |field: &str| grant[field].as_str().unwrap_or("?").to_owned();
    let mut envs: Vec<String> = grant["environments"]
        .as_array()
        .map(|a| a.iter().map(|e| e.as_str().unwrap_or("?").to_owned()).collect())
        .unwrap_or_default();
    envs.sort();
    (text("via"), text("name"), text("role"), text("role_scope"), envs)
}

fn wire_grants(grants: &Value) -> Vec<WireGrant> {
    let mut out: Vec<WireGrant> = grants
        .as_array()
        .map(|a| a.iter().map(wire_grant).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn server_decision(result: &Value) -> Decision {
    (
        result["allowed"] == true,
        wire_grants(&result["reasons"]),
        result["denial"].as_str().map(str::to_owned),
    )
}

struct Expect<'a> {
    cat: &'a Catalogue,
    model: &'a Model,
}

impl Expect<'_> {
    fn reference(&self) -> Reference<'_> {
        Reference {
            catalogue: self.cat,
            model: self.model,
        }
    }

    /// The grants the server should show for the reference's allow of `user`.
    fn grants(&self, user: &str, project: &str, named: &[NamedGrant]) -> Vec<WireGrant> {
        if self.model.users.iter().any(|u| u.name == user && u.admin) {
            return vec![(
                "admin".into(),
                user.into(),
                "Platform Admin".into(),
                "global".into(),
                vec![],
            )];
        }
        let mut out: Vec<WireGrant> = named
            .iter()
            .map(|(via, role)| {
                let (via, name) = match via {
                    Principal::User(n) => ("user", n.clone()),
                    Principal::Group(n) => ("group", n.clone()),
                };
                let spec = self
                    .model
                    .roles
                    .iter()
                    .find(|r| &r.name == role && (r.project.is_none() || r.project.as_deref() == Some(project)))
                    .expect("a granting role exists");
                let mut envs = spec.environments.clone();
                envs.sort();
                let scope = if spec.project.is_some() { "project" } else { "global" };
                (via.into(), name, role.clone(), scope.into(), envs)
            })
            .collect();
        out.sort();
        out
    }

    fn decision(&self, user: &str, action: &str, project: &str, env: Option<&str>) -> Decision {
        match self.reference().decide(user, action, project, env) {
            Ok(named) => (true, self.grants(user, project, &named), None),
            Err(denial) => (false, vec![], Some(denial.code().to_owned())),
        }
    }

    /// `(action, environments or null, grants)` in catalogue order.
    fn permissions(&self, user: &str, project: &str) -> Vec<(String, Option<Vec<String>>, Vec<WireGrant>)> {
        let envs = env_choices(self.model, Some(project));
        let mut out = Vec::new();
        for action in self.cat.actions() {
            let places: Vec<Option<&str>> = if action.env_scoped {
                envs.iter().map(|e| Some(e.as_str())).collect()
            } else {
                vec![None]
            };
            let mut allowed_in = Vec::new();
            let mut grants: Vec<WireGrant> = Vec::new();
            for env in places {
                let (allowed, found, _) = self.decision(user, &action.id, project, env);
                if allowed {
                    allowed_in.extend(env.map(str::to_owned));
                    grants.extend(found);
                }
            }
            grants.sort();
            grants.dedup();
            if !grants.is_empty() {
                allowed_in.sort();
                out.push((action.id.clone(), action.env_scoped.then_some(allowed_in), grants));
            }
        }
        out
    }

    /// `(username, grants)` ordered by username.
    fn who_can(&self, action: &str, project: &str, env: Option<&str>) -> Vec<(String, Vec<WireGrant>)> {
        let mut out: Vec<(String, Vec<WireGrant>)> = self
            .model
            .users
            .iter()
            .filter_map(|u| {
                let (allowed, grants, _) = self.decision(&u.name, action, project, env);
                allowed.then(|| (u.name.clone(), grants))
            })
            .collect();
        out.sort();
        out
    }
}

async fn read(t: &TestServer, path: &str) -> Value {
    let answer = t.get(path, &t.admin).await;
    assert!(
        answer.status.is_success(),
        "{path}: {} {:?}",
        answer.status,
        answer.body
    );
    answer.body
}

async fn ok(t: &TestServer, method: Method, path: &str, body: &Value) -> Value {
    let answer = t.call(method, path, Some(&t.admin), Some(body)).await;
    assert!(
        answer.status.is_success(),
        "{path} {body}: {} {:?}",
        answer.status,
        answer.body
    );
    answer.body
}

fn grants_body(grants: &RoleGrants) -> (&'static str, &Vec<String>) {
    match grants {
        RoleGrants::Categories(c) => ("categories", c),
        RoleGrants::Actions(a) => ("actions", a),
    }
}

/// Builds `model` through the HTTP API, as the admin, on a fresh server.
async fn build(t: &TestServer, model: &Model, cat: &Catalogue) {
    for env in model.environments.iter().filter(|e| e.project.is_none()) {
        if env.name != "DEV" && env.name != "PROD" {
            ok(t, Method::POST, "/api/v1/environments", &json!({"name": env.name})).await;
        }
    }
    for user in model.users.iter().filter(|u| u.name != "admin") {
        let kind = if user.kind == UserKind::Service {
            "service"
        } else {
            "person"
        };
        let body = json!({"email": format!("{}@example.com", user.name), "username": user.name,
            "kind": kind, "admin": user.admin});
        ok(t, Method::POST, "/api/v1/users", &body).await;
        if user.status == UserStatus::Disabled {
            ok(
                t,
                Method::POST,
                &format!("/api/v1/users/{}/disable", user.name),
                &json!({}),
            )
            .await;
        }
    }
    for group in &model.groups {
        ok(
            t,
            Method::POST,
            "/api/v1/groups",
            &json!({"name": group.name, "members": group.members}),
        )
        .await;
    }
    let defaults = Model::new(cat).roles;
    for project in &model.projects {
        let p = project.admin_privileges;
        // The members that still hold exactly Project Admin may have come from `admins`; the rest is set below.
        let admins: Vec<&str> = model
            .members
            .iter()
            .filter(|m| m.project == project.key && m.roles == ["Project Admin"])
            .filter_map(|m| match &m.principal {
                Principal::User(u) => Some(u.as_str()),
                Principal::Group(_) => None,
            })
            .collect();
        let body = json!({"key": project.key, "display_name": project.key.to_uppercase(), "admins": admins,
            "admin_privileges": {"manage_members": p.manage_members, "manage_resources": p.manage_resources,
                "index_resources": p.index_resources}});
        ok(t, Method::POST, "/api/v1/projects", &body).await;
        for env in model
            .environments
            .iter()
            .filter(|e| e.project.as_ref() == Some(&project.key))
        {
            let short = env.name.trim_start_matches(&format!("{}-", project.key));
            let created = ok(
                t,
                Method::POST,
                &format!("/api/v1/projects/{}/environments", project.key),
                &json!({"name": short}),
            )
            .await;
            assert_eq!(created["name"], env.name.as_str(), "{created}");
        }
    }
    for role in &model.roles {
        if role.role_type == RoleType::Predefined || role.role_type == RoleType::Admin {
            if !defaults.contains(role) {
                let path = format!("/api/v1/roles/{}", role.name.replace(' ', "%20"));
                ok(t, Method::PATCH, &path, &json!({"environments": role.environments})).await;
            }
            continue;
        }
        let (field, grants) = grants_body(&role.grants);
        let mut body = json!({"name": role.name, "environments": role.environments});
        body[field] = json!(grants);
        let path = match &role.project {
            None => "/api/v1/roles".to_owned(),
            Some(key) => format!("/api/v1/projects/{key}/roles"),
        };
        ok(t, Method::POST, &path, &body).await;
    }
    for member in &model.members {
        let path = match &member.principal {
            Principal::User(u) => format!("/api/v1/projects/{}/members/users/{u}", member.project),
            Principal::Group(g) => format!("/api/v1/projects/{}/members/groups/{g}", member.project),
        };
        ok(t, Method::PUT, &path, &json!({"roles": member.roles})).await;
    }
}

/// Reads back what the server built and compares it with the model, so that a disagreement later is about
/// decisions, not about a model that does not mirror the server.
async fn mirrors(t: &TestServer, model: &Model, cat: &Catalogue, about: &str) -> Result<(), TestCaseError> {
    let users = read(t, "/api/v1/users?limit=1000").await;
    let got: BTreeMap<String, (String, bool)> = users["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| {
            let name = u["username"].as_str().unwrap_or_default().to_owned();
            (
                name,
                (u["status"].as_str().unwrap_or_default().to_owned(), u["admin"] == true),
            )
        })
        .collect();
    let want: BTreeMap<String, (String, bool)> = model
        .users
        .iter()
        .map(|u| (u.name.clone(), (u.status.as_str().to_owned(), u.admin)))
        .collect();
    prop_assert_eq!(got, want, "users\n{}", about);

    let groups = read(t, "/api/v1/groups?limit=1000").await;
    let got: BTreeMap<String, BTreeSet<String>> = groups["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|g| {
            let members = g["members"].as_array().expect("members");
            let members = members
                .iter()
                .map(|m| m.as_str().unwrap_or_default().to_owned())
                .collect();
            (g["name"].as_str().unwrap_or_default().to_owned(), members)
        })
        .collect();
    let want: BTreeMap<String, BTreeSet<String>> = model
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.members.iter().cloned().collect()))
        .collect();
    prop_assert_eq!(got, want, "groups\n{}", about);

    let reference = Reference { catalogue: cat, model };
    let any_project = &model.projects[0].key;
    let mut paths = vec![("/api/v1/roles?limit=1000".to_owned(), None)];
    for p in &model.projects {
        paths.push((
            format!("/api/v1/projects/{}/roles?limit=1000", p.key),
            Some(p.key.clone()),
        ));
    }
    for (path, project) in paths {
        let roles = read(t, &path).await;
        let strings = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap_or_default().to_owned()).collect())
                .unwrap_or_default()
        };
        let got: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = roles["items"]
            .as_array()
            .expect("a list")
            .iter()
            .filter(|r| r["project"].as_str() == project.as_deref() && r["type"] != "ADMIN")
            .map(|r| {
                let name = r["name"].as_str().unwrap_or_default().to_owned();
                (name, (strings(&r["actions"]), strings(&r["environments"])))
            })
            .collect();
        let want: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = model
            .roles
            .iter()
            .filter(|r| r.project == project && r.role_type != RoleType::Admin)
            .map(|r| {
                let actions = reference.role_actions(any_project, r).into_iter().collect();
                (r.name.clone(), (actions, r.environments.iter().cloned().collect()))
            })
            .collect();
        prop_assert_eq!(got, want, "roles at {}\n{}", path, about);
    }

    for p in &model.projects {
        let members = read(t, &format!("/api/v1/projects/{}/members?limit=1000", p.key)).await;
        let got: BTreeSet<(String, String, BTreeSet<String>)> = members["items"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|m| {
                let roles = m["roles"].as_array().expect("roles");
                (
                    m["kind"].as_str().unwrap_or_default().to_owned(),
                    m["name"].as_str().unwrap_or_default().to_owned(),
                    roles
                        .iter()
                        .map(|r| r.as_str().unwrap_or_default().to_owned())
                        .collect(),
                )
            })
            .collect();
        let want: BTreeSet<(String, String, BTreeSet<String>)> = model
            .members
            .iter()
            .filter(|m| m.project == p.key)
            .map(|m| {
                let (kind, name) = match &m.principal {
                    Principal::User(u) => ("user", u.clone()),
                    Principal::Group(g) => ("group", g.clone()),
                };
                (kind.to_owned(), name, m.roles.iter().cloned().collect())
            })
            .collect();
        prop_assert_eq!(got, want, "members of {}\n{}", p.key, about);
    }
    Ok(())
}

/// One case: a fresh server, a random model built on it, then every question asked of both.
async fn case(seed: u64) -> Result<(), TestCaseError> {
    let cat = catalogue();
    let model = random_model(seed, &cat);
    let about = format!("seed {seed}; model:\n{}", describe(&model, &cat));
    let t = start_sqlite().await;
    build(&t, &model, &cat).await;
    mirrors(&t, &model, &cat, &about).await?;
    let expect = Expect {
        cat: &cat,
        model: &model,
    };

    // Every check: known and unknown users, projects and environments, every action (sometimes by wire name).
    let mut users: Vec<String> = model.users.iter().map(|u| u.name.clone()).collect();
    users.push("ghost".into());
    let mut projects: Vec<String> = model.projects.iter().map(|p| p.key.clone()).collect();
    projects.push("nowhere".into());
    let mut envs: Vec<Option<String>> = model.environments.iter().map(|e| Some(e.name.clone())).collect();
    envs.push(Some("NOPE".into()));
    envs.push(None);
    let mut questions: Vec<(String, String, String, Option<String>)> = Vec::new();
    for user in &users {
        for project in &projects {
            for (i, action) in cat.actions().iter().enumerate() {
                let name = if i % 5 == 0 { &action.wire_name } else { &action.id };
                for env in &envs {
                    // A scoped action without an environment is a validation error, asked alone below.
                    if !(action.env_scoped && env.is_none()) {
                        questions.push((user.clone(), name.clone(), project.clone(), env.clone()));
                    }
                }
            }
        }
    }
    for chunk in questions.chunks(1_000) {
        let checks: Vec<Value> = chunk
            .iter()
            .map(|(user, action, project, env)| {
                let mut c = json!({"user": user, "action": action, "project": project, "explain": true});
                if let Some(env) = env {
                    c["environment"] = json!(env);
                }
                c
            })
            .collect();
        let answer = t
            .post("/api/v1/check/batch", &t.admin, &json!({"checks": checks}))
            .await;
        prop_assert_eq!(answer.status, 200, "batch: {:?}", answer.body);
        let results = answer.body["results"].as_array().expect("results");
        prop_assert_eq!(results.len(), chunk.len());
        for ((user, action, project, env), result) in chunk.iter().zip(results) {
            let got = server_decision(result);
            let want = expect.decision(user, action, project, env.as_deref());
            prop_assert_eq!(
                got,
                want,
                "check: may {} do {} in {} {:?}? server (left) vs reference (right); {}",
                user,
                action,
                project,
                env,
                about
            );
        }
    }
    let scoped = cat.actions().iter().find(|a| a.env_scoped).expect("a scoped action");
    let body = json!({"user": users[1], "action": scoped.id, "project": projects[0]});
    let answer = t.post("/api/v1/check", &t.admin, &body).await;
    prop_assert_eq!(answer.status, 422, "{} without an environment: {:?}", body, answer.body);

    // Every user's effective permissions in every project.
    for user in model.users.iter().map(|u| &u.name) {
        for project in &model.projects {
            let path = format!("/api/v1/users/{user}/permissions?project={}", project.key);
            let answer = t.get(&path, &t.admin).await;
            prop_assert_eq!(answer.status, 200, "{}: {:?}", path, answer.body);
            prop_assert_eq!(&answer.body["username"], user.as_str());
            let got: Vec<(String, Option<Vec<String>>, Vec<WireGrant>)> = answer.body["permissions"]
                .as_array()
                .expect("permissions")
                .iter()
                .map(|p| {
                    let envs = p["environments"].as_array().map(|a| {
                        let mut envs: Vec<String> =
                            a.iter().map(|e| e.as_str().unwrap_or_default().to_owned()).collect();
                        envs.sort();
                        envs
                    });
                    (
                        p["action"].as_str().unwrap_or_default().to_owned(),
                        envs,
                        wire_grants(&p["grants"]),
                    )
                })
                .collect();
            let want = expect.permissions(user, &project.key);
            prop_assert_eq!(
                got,
                want,
                "permissions of {} in {}: server (left) vs reference (right); {}",
                user,
                project.key,
                about
            );
        }
    }
    let unknown = t
        .get(
            &format!("/api/v1/users/ghost/permissions?project={}", projects[0]),
            &t.admin,
        )
        .await;
    prop_assert_eq!(
        unknown.status,
        404,
        "permissions of an unknown user: {:?}",
        unknown.body
    );
    let unknown = t.get("/api/v1/users/admin/permissions?project=nowhere", &t.admin).await;
    prop_assert_eq!(
        unknown.status,
        404,
        "permissions in an unknown project: {:?}",
        unknown.body
    );

    // Who can, for every action in every place of every project.
    for project in &model.projects {
        for action in cat.actions() {
            let places: Vec<Option<String>> = if action.env_scoped {
                env_choices(&model, Some(&project.key)).into_iter().map(Some).collect()
            } else {
                vec![None]
            };
            for env in places {
                let mut path = format!("/api/v1/projects/{}/who-can?action={}", project.key, action.id);
                if let Some(env) = &env {
                    let _ = write!(path, "&environment={env}");
                }
                let answer = t.get(&path, &t.admin).await;
                prop_assert_eq!(answer.status, 200, "{}: {:?}", path, answer.body);
                let got: Vec<(String, Vec<WireGrant>)> = answer.body["users"]
                    .as_array()
                    .expect("users")
                    .iter()
                    .map(|u| {
                        (
                            u["username"].as_str().unwrap_or_default().to_owned(),
                            wire_grants(&u["grants"]),
                        )
                    })
                    .collect();
                let want = expect.who_can(&action.id, &project.key, env.as_deref());
                prop_assert_eq!(
                    got,
                    want,
                    "who can {}: server (left) vs reference (right); {}",
                    path,
                    about
                );
            }
        }
    }
    // Another project's environment is not a place in this one.
    let foreign = model
        .environments
        .iter()
        .find(|e| e.project.as_ref().is_some_and(|p| p != &projects[0]))
        .expect("every project has an environment");
    let path = format!(
        "/api/v1/projects/{}/who-can?action={}&environment={}",
        projects[0], scoped.id, foreign.name
    );
    let answer = t.get(&path, &t.admin).await;
    prop_assert_eq!(answer.status, 422, "{}: {:?}", path, answer.body);
    t.finish().await;
    Ok(())
}

/// Models per run: `GATEHOUSE_HTTP_MODEL_CASES`, default 16. Each starts a
/// server and asks it thousands of questions over HTTP, so this is not
/// `PROPTEST_CASES` (which CI raises to 2,000 for the in-memory properties).
fn config() -> ProptestConfig {
    let cases = std::env::var("GATEHOUSE_HTTP_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(16);
    ProptestConfig {
        cases,
        // Each case starts a server; a smaller seed is not a smaller model, so shrinking would only cost time.
        max_shrink_iters: 0,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// A `TestRunner` of our own rather than `proptest!`: the macro lets
// `PROPTEST_CASES` override the number of cases, and CI sets it to 2,000.
#[test]
fn the_server_answers_every_question_as_the_reference() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let outcome = runner.run(&any::<u64>(), |seed| {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(case(seed))
    });
    assert_eq!(outcome.map_err(|failure| failure.to_string()), Ok(()));
}
