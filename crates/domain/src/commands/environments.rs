//! Environments: global ones (platform admins) and a project's own (SPEC
//! §5.4), deletion with `force` when roles use them.

use gatehouse_authz::catalogue::PROTECTED_ENVIRONMENTS;
use gatehouse_authz::{EnvId, RoleView, Snapshot};
use serde_json::json;

use super::members::{project_id, require_project_action};
use super::{Ctx, read};
use crate::commit::{Commit, Mutation};
use crate::entities::{Environment, Role, Scope};
use crate::error::DomainError;
use crate::limits::{MAX_GLOBAL_ENVIRONMENTS, MAX_PROJECT_ENVIRONMENTS};
use crate::names::{EnvName, EnvPart, ProjectKey, RoleName};
use crate::store::Store;

fn taken<S: Store>(ctx: &Ctx<'_, S>, name: &EnvName) -> Result<(), DomainError> {
    if ctx.snapshot.env_id(name.as_str()).is_some() {
        Err(DomainError::AlreadyExists {
            kind: "environment",
            name: name.to_string(),
        })
    } else {
        Ok(())
    }
}

/// Creates a global environment (platform admins only; at most 30).
///
/// # Errors
/// Forbidden; a taken name; `limit_exceeded`.
pub async fn create_global<S: Store>(ctx: &Ctx<'_, S>, part: EnvPart) -> Result<Commit, DomainError> {
    ctx.require_admin()?;
    let name = EnvName::global(&part);
    taken(ctx, &name)?;
    if ctx.snapshot.global_environments().len() >= MAX_GLOBAL_ENVIRONMENTS {
        return Err(DomainError::LimitExceeded {
            what: "global environments",
            limit: MAX_GLOBAL_ENVIRONMENTS,
        });
    }
    let mut audit = ctx.audit("environment.created", "environment", name.as_str());
    audit.after = Some(json!({"name": name, "scope": "global"}));
    Ok(ctx.commit(
        vec![Mutation::CreateEnvironment(Environment { name, project: None })],
        audit,
    ))
}

/// Creates a project environment `<key>-<NAME>` (at most 30 per project);
/// `raw` is `NAME` or the full name.
///
/// # Errors
/// Not found; forbidden without `project.manage_environments`; invalid
/// name; a taken name; `limit_exceeded`.
pub async fn create_in_project<S: Store>(ctx: &Ctx<'_, S>, key: ProjectKey, raw: &str) -> Result<Commit, DomainError> {
    let pid = project_id(ctx, &key)?;
    require_project_action(ctx, pid, "manage_environments")?;
    let name = EnvName::for_project(&key, raw)?;
    taken(ctx, &name)?;
    let own = ctx.snapshot.project_environments(pid).len() - ctx.snapshot.global_environments().len();
    if own >= MAX_PROJECT_ENVIRONMENTS {
        return Err(DomainError::LimitExceeded {
            what: "environments per project",
            limit: MAX_PROJECT_ENVIRONMENTS,
        });
    }
    let mut audit = ctx.audit("environment.created", "environment", name.as_str());
    audit.project = Some(key.to_string());
    audit.after = Some(json!({"name": name, "scope": "project", "project": key}));
    Ok(ctx.commit(
        vec![Mutation::CreateEnvironment(Environment {
            name,
            project: Some(key),
        })],
        audit,
    ))
}

/// Roles naming the environment: found in the snapshot, each read from
/// the store (so a global environment costs one read per role using it,
/// not one per project).
async fn roles_using<S: Store>(ctx: &Ctx<'_, S>, env: &Environment) -> Result<Vec<Role>, DomainError> {
    let snapshot = ctx.snapshot;
    let Some(id) = snapshot.env_id(env.name.as_str()) else {
        return Ok(Vec::new());
    };
    let candidates: Vec<RoleView<'_>> = match env.project.as_ref().map(|key| snapshot.project_id(key.as_str())) {
        Some(Some(project)) => snapshot
            .project_roles(project)
            .iter()
            .filter_map(|r| snapshot.role(*r))
            .collect(),
        Some(None) => Vec::new(),
        None => every_role(snapshot).collect(),
    };
    let mut roles = Vec::new();
    for view in candidates {
        if !view.environments().contains(&id) {
            continue;
        }
        let project = view.project().map(ProjectKey::parse).transpose()?;
        let name = RoleName::parse(view.name())?;
        if let Some(role) = read(ctx.store.role(project.as_ref(), &name).await)? {
            roles.push(role);
        }
    }
    Ok(roles)
}

/// What uses each of `envs` (platform admins): the roles naming it, as
/// `name` or `project/name`, in the order of `envs` — read from the
/// snapshot (every global role, then each project's), not the store, so
/// the Environments screen costs one pass over the roles at any scale.
///
/// # Errors
/// Forbidden for anyone but a platform admin.
pub fn usage<S: Store>(ctx: &Ctx<'_, S>, envs: &[Environment]) -> Result<Vec<Vec<String>>, DomainError> {
    ctx.require_admin()?;
    let snapshot = ctx.snapshot;
    let mut usage = vec![Vec::new(); envs.len()];
    let index: std::collections::HashMap<EnvId, usize> = envs
        .iter()
        .enumerate()
        .filter_map(|(k, env)| snapshot.env_id(env.name.as_str()).map(|id| (id, k)))
        .collect();
    for role in every_role(snapshot) {
        for env in role.environments() {
            if let Some(users) = index.get(env).and_then(|&k| usage.get_mut(k)) {
                users.push(label(role.project(), role.name()));
            }
        }
    }
    Ok(usage)
}

/// Every role of the snapshot: the global ones, then each project's.
fn every_role(snapshot: &Snapshot) -> impl Iterator<Item = RoleView<'_>> {
    snapshot
        .global_roles()
        .chain(
            snapshot
                .projects()
                .flat_map(|(_, p)| snapshot.project_roles(p).iter().copied()),
        )
        .filter_map(|r| snapshot.role(r))
}

/// A role as the answers name it: `name`, or `project/name`.
fn label(project: Option<&str>, name: &str) -> String {
    match project {
        Some(p) => format!("{p}/{name}"),
        None => name.to_owned(),
    }
}

fn role_label(role: &Role) -> String {
    label(role.project.as_ref().map(ProjectKey::as_str), role.name.as_str())
}

/// How many tokens' restricted scopes name the environment `name`, and how
/// many of them have a scope entry left with no environment that still
/// resolves once it is gone: that entry grants no environment-scoped action
/// any more (a scope fails closed, SPEC §2.4).
async fn token_scopes_losing<S: Store>(ctx: &Ctx<'_, S>, name: &EnvName) -> Result<(usize, usize), DomainError> {
    let tokens = read(ctx.store.tokens_scoped_to_environment(name.as_str()).await)?;
    let still_resolves = |project: &str, env: &str| {
        env != name.as_str()
            && ctx.snapshot.project_id(project).is_some_and(|p| {
                ctx.snapshot
                    .env_id(env)
                    .is_some_and(|e| ctx.snapshot.env_project(e).is_none_or(|owner| owner == p))
            })
    };
    let emptied = tokens
        .iter()
        .filter(|token| match &token.scope {
            Scope::Entries(entries) => entries.iter().any(|entry| {
                entry.environments.iter().any(|e| e == name.as_str())
                    && !entry.environments.iter().any(|e| still_resolves(&entry.project, e))
            }),
            Scope::User(_) => false,
        })
        .count();
    Ok((tokens.len(), emptied))
}

/// An environment the actor may change (delete or rename): its id and
/// owning project. `DEV` and `PROD` never change; a project's needs
/// `project.manage_environments` there, a global one a platform admin.
fn changeable<S: Store>(ctx: &Ctx<'_, S>, name: &EnvName) -> Result<(EnvId, Option<ProjectKey>), DomainError> {
    if PROTECTED_ENVIRONMENTS.contains(&name.as_str()) {
        return Err(DomainError::EnvironmentProtected(name.to_string()));
    }
    let env_id = ctx
        .snapshot
        .env_id(name.as_str())
        .ok_or_else(|| DomainError::NotFound {
            kind: "environment",
            name: name.to_string(),
        })?;
    let project = ctx.snapshot.env_project(env_id);
    match project {
        Some(pid) => require_project_action(ctx, pid, "manage_environments")?,
        None => ctx.require_admin()?,
    }
    let key = project
        .and_then(|p| ctx.snapshot.project_key(p))
        .map(ProjectKey::parse)
        .transpose()?;
    Ok((env_id, key))
}

/// The resources registered in an environment, as `type/name`.
fn resources_in<S: Store>(ctx: &Ctx<'_, S>, env_id: EnvId) -> Vec<String> {
    ctx.snapshot
        .resources()
        .filter(|(_, _, _, env)| *env == Some(env_id))
        .map(|(resource_type, name, _, _)| format!("{resource_type}/{name}"))
        .collect()
}

/// Deletes an environment. In use by roles, it needs `force`, which removes
/// it from those roles; the commit's audit lists them. `DEV` and `PROD` stay.
///
/// # Errors
/// `environment_protected`; not found; forbidden; `in_use` without force.
pub async fn delete<S: Store>(ctx: &Ctx<'_, S>, name: &EnvName, force: bool) -> Result<Commit, DomainError> {
    let (env_id, key) = changeable(ctx, name)?;
    let env = Environment {
        name: name.clone(),
        project: key.clone(),
    };
    let using = roles_using(ctx, &env).await?;
    if !using.is_empty() && !force {
        return Err(DomainError::InUse(using.iter().map(role_label).collect()));
    }
    let mut audit = ctx.audit("environment.deleted", "environment", name.as_str());
    audit.project = key.map(|k| k.to_string());
    audit.before = Some(json!({"name": name}));
    // A role that named only this environment stays, granting its scoped
    // actions nowhere until it is given one (SPEC §5.4): say which.
    let left_without: Vec<String> = using
        .iter()
        .filter(|r| r.environments.len() == 1)
        .map(role_label)
        .collect();
    let resources = resources_in(ctx, env_id);
    let (narrowed, emptied) = token_scopes_losing(ctx, name).await?;
    audit.after = Some(json!({
        "removed_from_roles": using.iter().map(role_label).collect::<Vec<_>>(),
        "left_without_environment": left_without,
        "removed_resources": resources,
        "narrowed_token_scopes": narrowed,
        "emptied_token_scopes": emptied,
    }));
    Ok(ctx.commit(vec![Mutation::DeleteEnvironment(name.clone())], audit))
}

/// Renames an environment (JFrog's `…/environments/{name}/rename`): the
/// new one takes its place in every role naming it, in one commit, so no
/// one's access changes but for the name. `new` is a global `NAME`, or for
/// a project environment `NAME` or the full `<key>-NAME`. `DEV` and `PROD`
/// keep their names; an environment holding registered resources is
/// refused (409 `in_use`, naming them): move them first. Token scopes
/// naming the old name lose it (they narrow, never widen).
///
/// # Errors
/// `environment_protected`; not found; forbidden; invalid or taken new
/// name; `in_use` for registered resources.
pub async fn rename<S: Store>(ctx: &Ctx<'_, S>, name: &EnvName, new: &str) -> Result<Commit, DomainError> {
    let (env_id, key) = changeable(ctx, name)?;
    let renamed = match &key {
        Some(key) => EnvName::for_project(key, new),
        None => EnvPart::parse(new).map(|part| EnvName::global(&part)),
    }
    .map_err(|e| e.at("new_name"))?;
    taken(ctx, &renamed)?;
    let resources = resources_in(ctx, env_id);
    if !resources.is_empty() {
        return Err(DomainError::InUse(resources));
    }
    let env = Environment {
        name: name.clone(),
        project: key.clone(),
    };
    let using = roles_using(ctx, &env).await?;
    let mut mutations = vec![Mutation::CreateEnvironment(Environment {
        name: renamed.clone(),
        project: key.clone(),
    })];
    for role in &using {
        let mut role = role.clone();
        for env in &mut role.environments {
            if env == name {
                *env = renamed.clone();
            }
        }
        mutations.push(Mutation::PutRole(role));
    }
    mutations.push(Mutation::DeleteEnvironment(name.clone()));
    let mut audit = ctx.audit("environment.renamed", "environment", name.as_str());
    audit.project = key.map(|k| k.to_string());
    audit.before = Some(json!({"name": name}));
    audit.after = Some(json!({"name": renamed, "roles": using.iter().map(role_label).collect::<Vec<_>>()}));
    Ok(ctx.commit(mutations, audit))
}
