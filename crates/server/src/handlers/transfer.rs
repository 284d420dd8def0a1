//! Export and import (SPEC §11): the whole instance or one project as one
//! document. Import validates the whole document first — every problem with
//! its path — then applies it in one transaction; importing the same
//! document again changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use gatehouse_api::{
    self as api, DOCUMENT_VERSION, DocGroup, DocProject, DocResource, DocRole, DocUser, Document, Problem,
};
use gatehouse_authz::catalogue::PROTECTED_ENVIRONMENTS;
use gatehouse_authz::{AccountPermission, AccountPermissions, RoleType, Snapshot};
use gatehouse_domain::commands::import::Desired;
use gatehouse_domain::entities::{Environment, Group, Member, Principal, Project, Resource, Role, RoleMode, User};
use gatehouse_domain::limits::MAX_DESCRIPTION;
use gatehouse_domain::names::{
    Description, DisplayName, Email, EnvName, EnvPart, GroupName, ProjectKey, ResourceName, RoleName, Username,
};
use gatehouse_domain::role_mode;
use gatehouse_domain::store::{MemberFilter, UserFilter, every_page};
use gatehouse_domain::{DomainError, FieldError, Store as _};
use serde::Deserialize;
use time::OffsetDateTime;

use super::respond::Params;
use crate::caller::Caller;
use crate::json::JsonBody;
use crate::operations::{Via, not_found};
use crate::problem::ApiProblem;
use crate::state::App;

/// `?project=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Export only this project (with the users and groups it needs).
    pub project: Option<String>,
}

fn doc_role(role: &Role) -> DocRole {
    let (categories, actions) = match role.mode {
        RoleMode::Basic => (Some(role.categories.clone()), None),
        RoleMode::Advanced => (None, Some(role.actions.clone())),
    };
    DocRole {
        name: role.name.as_str().to_owned(),
        description: role.description.as_str().to_owned(),
        categories,
        actions,
        environments: role.environments.iter().map(|e| e.as_str().to_owned()).collect(),
    }
}

/// `GET /api/v1/export?project=`: platform admins only.
#[utoipa::path(get, path = "/api/v1/export", tag = "transfer", params(ExportQuery),
    responses((status = 200, body = Document), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn export(State(app): State<App>, Params(query): Params<ExportQuery>) -> Result<Json<Document>, ApiProblem> {
    let store = app.store();
    let only = match &query.project {
        Some(raw) => Some(ProjectKey::parse(raw).map_err(|_| not_found("project", raw))?),
        None => None,
    };
    let projects: Vec<Project> = match &only {
        Some(key) => vec![
            store
                .project(key)
                .await?
                .ok_or_else(|| not_found("project", key.as_str()))?,
        ],
        None => every_page(|page| async move { store.projects(&page).await }).await?,
    };
    let mut doc_projects = Vec::new();
    let (mut needed_users, mut needed_groups) = (BTreeSet::new(), BTreeSet::new());
    for project in &projects {
        let key = &project.key;
        let prefix = format!("{key}-");
        let environments = store
            .environments(Some(key))
            .await?
            .iter()
            .map(|e| {
                e.name
                    .as_str()
                    .strip_prefix(&prefix)
                    .unwrap_or(e.name.as_str())
                    .to_owned()
            })
            .collect();
        let roles = store.roles(Some(key)).await?.iter().map(doc_role).collect();
        let (mut users, mut groups) = (BTreeMap::new(), BTreeMap::new());
        for member in
            every_page(|page| async move { store.members(key, &MemberFilter::default(), &page).await }).await?
        {
            let roles: Vec<String> = member.roles.iter().map(|r| r.as_str().to_owned()).collect();
            match member.principal {
                Principal::User(u) => {
                    needed_users.insert(u.as_str().to_owned());
                    users.insert(u.as_str().to_owned(), roles);
                }
                Principal::Group(g) => {
                    needed_groups.insert(g.as_str().to_owned());
                    groups.insert(g.as_str().to_owned(), roles);
                }
            }
        }
        let resources = every_page(|page| async move { store.resources(key, &page).await })
            .await?
            .iter()
            .map(|r| DocResource {
                resource_type: r.resource_type.clone(),
                name: r.name.as_str().to_owned(),
                environment: r.environment.as_ref().map(|e| e.as_str().to_owned()),
            })
            .collect();
        doc_projects.push(DocProject {
            key: key.as_str().to_owned(),
            display_name: project.display_name.as_str().to_owned(),
            description: project.description.as_str().to_owned(),
            admin_privileges: project.admin_privileges.into(),
            environments,
            roles,
            users,
            groups,
            resources,
        });
    }
    let groups: Vec<DocGroup> = every_page(|page| async move { store.groups(&page).await })
        .await?
        .into_iter()
        .filter(|g| only.is_none() || needed_groups.contains(g.name.as_str()))
        .map(|g| {
            needed_users.extend(g.members.iter().map(|u| u.as_str().to_owned()));
            DocGroup {
                name: g.name.as_str().to_owned(),
                description: g.description.as_str().to_owned(),
                members: g.members.iter().map(|u| u.as_str().to_owned()).collect(),
            }
        })
        .collect();
    let users = every_page(|page| async move { store.users(&UserFilter::default(), &page).await })
        .await?
        .into_iter()
        .filter(|u| only.is_none() || needed_users.contains(u.username.as_str()))
        .map(|u| DocUser {
            username: u.username.as_str().to_owned(),
            email: u.email.as_ref().map(|e| e.as_str().to_owned()),
            kind: u.kind.into(),
            admin: u.admin,
            account_permissions: u.account_permissions.iter().map(|p| p.as_str().to_owned()).collect(),
        })
        .collect();
    let environments = store
        .environments(None)
        .await?
        .iter()
        .map(|e| e.name.as_str().to_owned())
        .filter(|e| !PROTECTED_ENVIRONMENTS.contains(&e.as_str()))
        .collect();
    let roles = store
        .roles(None)
        .await?
        .iter()
        .filter(|r| r.role_type == RoleType::CustomGlobal)
        .map(doc_role)
        .collect();
    Ok(Json(Document {
        version: DOCUMENT_VERSION,
        users,
        groups,
        environments,
        roles,
        projects: doc_projects,
    }))
}

/// `POST /api/v1/import`: platform admins only; up to 256 MiB.
#[utoipa::path(post, path = "/api/v1/import", tag = "transfer", request_body = Document,
    responses((status = 200, body = api::ImportReport), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    State(app): State<App>,
    caller: Caller,
    JsonBody(doc): JsonBody<Document>,
) -> Result<Json<api::ImportReport>, ApiProblem> {
    let done = app
        .ops(Via::Api)
        .import(&caller.acting, |snapshot, now| Reader::new(snapshot, now).read(&doc))
        .await?;
    let (counts, revision) = (done.value, done.revision);
    Ok(Json(api::ImportReport {
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        revision,
    }))
}

/// Reads a document into the desired state, collecting every problem with
/// its path; names are checked against the document and the snapshot.
struct Reader<'a> {
    snapshot: &'a Snapshot,
    now: OffsetDateTime,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn new(snapshot: &'a Snapshot, now: OffsetDateTime) -> Self {
        Self {
            snapshot,
            now,
            errors: Vec::new(),
        }
    }

    fn at<T>(&mut self, path: &str, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e.at(path))).ok()
    }

    fn nested<T>(&mut self, prefix: &str, result: Result<T, DomainError>) -> Option<T> {
        match result {
            Ok(t) => Some(t),
            Err(DomainError::Validation(fields)) => {
                for f in fields {
                    let path = format!("{prefix}.{}", f.field);
                    self.errors.push(f.at(&path));
                }
                None
            }
            Err(other) => {
                self.errors.push(FieldError::invalid(prefix, &other.to_string()));
                None
            }
        }
    }

    fn read(mut self, doc: &Document) -> Result<Desired, ApiProblem> {
        let mut desired = Desired::default();
        if doc.version != DOCUMENT_VERSION {
            self.errors.push(FieldError::invalid("version", "must be 1"));
        }
        let users = self.users(doc, &mut desired);
        let groups = self.groups(doc, &users, &mut desired);
        let global_envs = self.global_environments(doc, &mut desired);
        let global_roles = self.global_roles(doc, &global_envs, &mut desired);
        for (i, project) in doc.projects.iter().enumerate() {
            self.project(i, project, &users, &groups, &global_envs, &global_roles, &mut desired);
        }
        if self.errors.is_empty() {
            Ok(desired)
        } else {
            Err(DomainError::Validation(self.errors).into())
        }
    }

    fn users(&mut self, doc: &Document, desired: &mut Desired) -> BTreeSet<String> {
        let mut known: BTreeSet<String> = self.snapshot.users().map(|(name, _)| name.to_owned()).collect();
        let mut seen = BTreeSet::new();
        for (i, u) in doc.users.iter().enumerate() {
            let path = format!("users[{i}]");
            if !seen.insert(u.username.clone()) {
                self.errors
                    .push(FieldError::invalid(&format!("{path}.username"), "appears twice"));
            }
            let username = self.at(&format!("{path}.username"), Username::parse(&u.username));
            let email = match &u.email {
                Some(raw) => self.at(&format!("{path}.email"), Email::parse(raw).map(Some)),
                None => Some(None),
            };
            let mut permissions = AccountPermissions::NONE;
            for (j, p) in u.account_permissions.iter().enumerate() {
                match AccountPermission::parse(p) {
                    Some(p) => permissions.insert(p),
                    None => self
                        .errors
                        .push(FieldError::unknown(&format!("{path}.account_permissions[{j}]"), p)),
                }
            }
            if let (Some(username), Some(email)) = (username, email) {
                known.insert(username.as_str().to_owned());
                desired.users.push(User {
                    kind: u.kind.into(),
                    admin: u.admin,
                    account_permissions: permissions,
                    ..User::new(username, email, self.now, None)
                });
            }
        }
        known
    }

    fn groups(&mut self, doc: &Document, users: &BTreeSet<String>, desired: &mut Desired) -> BTreeSet<String> {
        let mut known: BTreeSet<String> = self.snapshot.groups().map(|(name, _)| name.to_owned()).collect();
        for (i, g) in doc.groups.iter().enumerate() {
            let path = format!("groups[{i}]");
            let name = self.at(&format!("{path}.name"), GroupName::parse(&g.name));
            let description = self.at(
                &format!("{path}.description"),
                Description::parse("description", &g.description, MAX_DESCRIPTION),
            );
            let mut members = Vec::new();
            for (j, m) in g.members.iter().enumerate() {
                let at = format!("{path}.members[{j}]");
                if !users.contains(m) {
                    self.errors.push(FieldError::unknown(&at, m));
                } else if let Some(u) = self.at(&at, Username::parse(m)) {
                    members.push(u);
                }
            }
            members.sort();
            members.dedup();
            if let (Some(name), Some(description)) = (name, description) {
                known.insert(name.as_str().to_owned());
                desired.groups.push(Group {
                    name,
                    description,
                    members,
                    external_id: None,
                    revision: 0,
                    created_at: None,
                    modified_at: None,
                });
            }
        }
        known
    }

    fn global_environments(&mut self, doc: &Document, desired: &mut Desired) -> BTreeSet<String> {
        let mut known: BTreeSet<String> = self
            .snapshot
            .global_environments()
            .iter()
            .filter_map(|e| self.snapshot.env_name(*e).map(str::to_owned))
            .collect();
        for (i, raw) in doc.environments.iter().enumerate() {
            if let Some(part) = self.at(&format!("environments[{i}]"), EnvPart::parse(raw)) {
                let name = EnvName::global(&part);
                known.insert(name.as_str().to_owned());
                desired.environments.push(Environment { name, project: None });
            }
        }
        known
    }

    fn role(&mut self, path: &str, r: &DocRole, project: Option<&ProjectKey>, envs: &BTreeSet<String>) -> Option<Role> {
        let name = self.at(&format!("{path}.name"), RoleName::parse(&r.name));
        let description = self.at(
            &format!("{path}.description"),
            Description::parse("description", &r.description, MAX_DESCRIPTION),
        );
        let catalogue = self.snapshot.catalogue();
        let grants = match (&r.categories, &r.actions) {
            (Some(c), None) => self
                .nested(path, role_mode::basic(catalogue, c))
                .map(|g| (RoleMode::Basic, g)),
            (None, Some(a)) => self
                .nested(path, role_mode::advanced(catalogue, a))
                .map(|g| (RoleMode::Advanced, g)),
            _ => {
                self.errors.push(FieldError::invalid(
                    &format!("{path}.categories"),
                    "give `categories` (basic) or `actions` (advanced)",
                ));
                None
            }
        };
        let mut environments = Vec::new();
        for (j, e) in r.environments.iter().enumerate() {
            let full = match project {
                Some(key) if !envs.contains(e) => format!("{key}-{e}"),
                _ => e.clone(),
            };
            if envs.contains(&full) {
                environments.push(EnvName::from_trusted(&full));
            } else {
                self.errors
                    .push(FieldError::unknown(&format!("{path}.environments[{j}]"), e));
            }
        }
        let (name, description, (mode, grants)) = (name?, description?, grants?);
        Some(Role {
            name,
            project: project.cloned(),
            description,
            role_type: if project.is_some() {
                RoleType::Custom
            } else {
                RoleType::CustomGlobal
            },
            mode,
            categories: grants.categories,
            actions: grants.actions,
            environments,
            revision: 0,
        })
    }

    fn global_roles(&mut self, doc: &Document, envs: &BTreeSet<String>, desired: &mut Desired) -> BTreeSet<String> {
        let mut known: BTreeSet<String> = self
            .snapshot
            .global_roles()
            .filter_map(|r| self.snapshot.role(r).map(|v| v.name().to_owned()))
            .collect();
        for (i, r) in doc.roles.iter().enumerate() {
            if let Some(role) = self.role(&format!("roles[{i}]"), r, None, envs) {
                known.insert(role.name.as_str().to_owned());
                desired.roles.push(role);
            }
        }
        known
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the names a project may refer to, each its own set"
    )]
    fn project(
        &mut self,
        i: usize,
        p: &DocProject,
        users: &BTreeSet<String>,
        groups: &BTreeSet<String>,
        global_envs: &BTreeSet<String>,
        global_roles: &BTreeSet<String>,
        desired: &mut Desired,
    ) {
        let path = format!("projects[{i}]");
        let Some(key) = self.at(&format!("{path}.key"), ProjectKey::parse(&p.key)) else {
            return;
        };
        let display_name = self.at(&format!("{path}.display_name"), DisplayName::parse(&p.display_name));
        let description = self.at(
            &format!("{path}.description"),
            Description::parse("description", &p.description, MAX_DESCRIPTION),
        );
        let mut envs = global_envs.clone();
        if let Some(id) = self.snapshot.project_id(key.as_str()) {
            envs.extend(
                self.snapshot
                    .project_environments(id)
                    .iter()
                    .filter_map(|e| self.snapshot.env_name(*e).map(str::to_owned)),
            );
        }
        for (j, raw) in p.environments.iter().enumerate() {
            if let Some(name) = self.at(&format!("{path}.environments[{j}]"), EnvName::for_project(&key, raw)) {
                envs.insert(name.as_str().to_owned());
                desired.environments.push(Environment {
                    name,
                    project: Some(key.clone()),
                });
            }
        }
        let mut roles = global_roles.clone();
        if let Some(id) = self.snapshot.project_id(key.as_str()) {
            roles.extend(
                self.snapshot
                    .project_roles(id)
                    .iter()
                    .filter_map(|r| self.snapshot.role(*r).map(|v| v.name().to_owned())),
            );
        }
        for (j, r) in p.roles.iter().enumerate() {
            if let Some(role) = self.role(&format!("{path}.roles[{j}]"), r, Some(&key), &envs) {
                roles.insert(role.name.as_str().to_owned());
                desired.roles.push(role);
            }
        }
        for (kind, members, known) in [("users", &p.users, users), ("groups", &p.groups, groups)] {
            for (name, member_roles) in members {
                let at = format!("{path}.{kind}.{name}");
                if !known.contains(name) {
                    self.errors.push(FieldError::unknown(&at, name));
                    continue;
                }
                if member_roles.is_empty() {
                    self.errors
                        .push(FieldError::invalid(&at, "a member needs at least one role"));
                }
                let mut parsed = Vec::new();
                for (k, role) in member_roles.iter().enumerate() {
                    if roles.contains(role) {
                        parsed.extend(self.at(&format!("{at}[{k}]"), RoleName::parse(role)));
                    } else {
                        self.errors.push(FieldError::unknown(&format!("{at}[{k}]"), role));
                    }
                }
                let principal = if kind == "users" {
                    self.at(&at, Username::parse(name)).map(Principal::User)
                } else {
                    self.at(&at, GroupName::parse(name)).map(Principal::Group)
                };
                if let Some(principal) = principal {
                    parsed.sort();
                    parsed.dedup();
                    desired.members.push(Member {
                        project: key.clone(),
                        principal,
                        roles: parsed,
                    });
                }
            }
        }
        for (j, r) in p.resources.iter().enumerate() {
            let at = format!("{path}.resources[{j}]");
            let name = self.at(&format!("{at}.name"), ResourceName::parse(&r.name));
            // A project's resources are named `<key>-…` (SPEC §5.6).
            let name = name.filter(|n| {
                let prefix = format!("{key}-");
                let ok = n.as_str().len() > prefix.len() && n.as_str().starts_with(&prefix);
                if !ok {
                    self.errors.push(FieldError::invalid(
                        &format!("{at}.name"),
                        &format!("a resource of project `{key}` is named `{prefix}…`"),
                    ));
                }
                ok
            });
            let scoped = self
                .snapshot
                .catalogue()
                .resource_types()
                .iter()
                .find(|t| t.id == r.resource_type)
                .map(|t| t.env_scoped);
            let environment = match (scoped, &r.environment) {
                (None, _) => {
                    self.errors
                        .push(FieldError::unknown(&format!("{at}.type"), &r.resource_type));
                    None
                }
                (Some(true), Some(e)) if envs.contains(e) => Some(Some(EnvName::from_trusted(e))),
                (Some(true), Some(e)) => {
                    self.errors.push(FieldError::unknown(&format!("{at}.environment"), e));
                    None
                }
                (Some(true), None) => {
                    self.errors.push(FieldError::required(&format!("{at}.environment")));
                    None
                }
                (Some(false), None) => Some(None),
                (Some(false), Some(_)) => {
                    self.errors.push(FieldError::invalid(
                        &format!("{at}.environment"),
                        "this type is not environment-scoped",
                    ));
                    None
                }
            };
            if let (Some(name), Some(environment)) = (name, environment) {
                desired.resources.push(Resource {
                    resource_type: r.resource_type.clone(),
                    name,
                    project: key.clone(),
                    environment,
                    created_at: self.now,
                });
            }
        }
        if let (Some(display_name), Some(description)) = (display_name, description) {
            desired.projects.push(Project {
                key,
                display_name,
                description,
                admin_privileges: p.admin_privileges.into(),
                created_at: self.now,
                revision: 0,
            });
        }
    }
}
