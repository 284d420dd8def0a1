//! Roles: global (platform admins) and project roles, Basic and Advanced
//! editing with the switch between them, limits, and deletion with `force`
//! (SPEC §4, §2.5).

use gatehouse_authz::{EnvId, ProjectId, RoleId, RoleType};
use serde_json::{Value, json};

use super::members::{project_id, require_project_action};
use super::{Ctx, check_if_match, read};
use crate::commit::{Commit, Mutation};
use crate::entities::{Role, RoleMode};
use crate::error::{DomainError, FieldError};
use crate::limits::{MAX_CUSTOM_GLOBAL_ROLES, MAX_PROJECT_ROLES};
use crate::names::{Description, EnvName, ProjectKey, RoleName};
use crate::role_mode::{self, Grants};
use crate::store::Store;

/// A role as audit records show it.
#[must_use]
pub fn role_view(r: &Role) -> Value {
    json!({
        "name": r.name,
        "project": r.project,
        "type": r.role_type.as_str(),
        "mode": r.mode,
        "categories": r.categories,
        "actions": r.actions,
        "environments": r.environments,
    })
}

/// What a role grants, as the request gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantsInput {
    /// Basic mode.
    Categories(Vec<String>),
    /// Advanced mode (dotted ids or wire names).
    Actions(Vec<String>),
}

/// A new role.
#[derive(Clone, Debug)]
pub struct NewRole {
    /// Name.
    pub name: RoleName,
    /// Description.
    pub description: Description,
    /// Categories or actions.
    pub grants: GrantsInput,
    /// Environment names (for a project role, `NAME` or `<key>-NAME` of its own).
    pub environments: Vec<String>,
}

/// Refuses unless the actor edits roles there: platform admins for global
/// roles, holders of `project.manage_roles` for a project's. Answers the
/// project's id.
fn role_editor<S: Store>(ctx: &Ctx<'_, S>, project: Option<&ProjectKey>) -> Result<Option<ProjectId>, DomainError> {
    let pid = project.map(|k| project_id(ctx, k)).transpose()?;
    match pid {
        None => ctx.require_admin()?,
        Some(pid) => require_project_action(ctx, pid, "manage_roles")?,
    }
    Ok(pid)
}

fn resolve_grants<S: Store>(ctx: &Ctx<'_, S>, input: &GrantsInput) -> Result<(RoleMode, Grants), DomainError> {
    let catalogue = ctx.snapshot.catalogue();
    match input {
        GrantsInput::Categories(c) => Ok((RoleMode::Basic, role_mode::basic(catalogue, c)?)),
        GrantsInput::Actions(a) => Ok((RoleMode::Advanced, role_mode::advanced(catalogue, a)?)),
    }
}

/// Resolves environment names a role in `project` may name.
fn resolve_envs<S: Store>(
    ctx: &Ctx<'_, S>,
    project: Option<(ProjectId, &ProjectKey)>,
    names: &[String],
) -> Result<(Vec<EnvName>, Vec<EnvId>), DomainError> {
    let mut errors = Vec::new();
    let mut out: Vec<(EnvName, EnvId)> = Vec::new();
    for (i, raw) in names.iter().enumerate() {
        let candidates = match project {
            Some((_, key)) => vec![raw.clone(), format!("{key}-{raw}")],
            None => vec![raw.clone()],
        };
        let found = candidates.iter().find_map(|name| {
            let id = ctx.snapshot.env_id(name)?;
            let visible = match ctx.snapshot.env_project(id) {
                None => true,
                Some(owner) => project.is_some_and(|(pid, _)| pid == owner),
            };
            visible.then(|| (EnvName::from_trusted(name), id))
        });
        match found {
            Some(pair) if !out.iter().any(|(_, id)| *id == pair.1) => out.push(pair),
            Some(_) => {}
            None => errors.push(FieldError::unknown(&format!("environments[{i}]"), raw)),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    Ok(out.into_iter().unzip())
}

fn name_clash<S: Store>(ctx: &Ctx<'_, S>, project: Option<ProjectId>, name: &RoleName) -> bool {
    match project {
        Some(pid) => ctx.snapshot.role_id(Some(pid), name.as_str()).is_some(),
        None => {
            ctx.snapshot.role_id(None, name.as_str()).is_some()
                || ctx.snapshot.projects().any(|(_, pid)| {
                    ctx.snapshot
                        .project_roles(pid)
                        .iter()
                        .any(|r| ctx.snapshot.role(*r).is_some_and(|v| v.name() == name.as_str()))
                })
        }
    }
}

/// Creates a global role (`project` is `None`; platform admins only) or a
/// project role (needs `project.manage_roles` and every granted action in
/// every named environment).
///
/// # Errors
/// Forbidden; escalation; invalid grants or environments; `role_empty`;
/// a taken name; `limit_exceeded`.
pub async fn create<S: Store>(
    ctx: &Ctx<'_, S>,
    project: Option<ProjectKey>,
    new: NewRole,
) -> Result<Commit, DomainError> {
    let pid = role_editor(ctx, project.as_ref())?;
    let (mode, grants) = resolve_grants(ctx, &new.grants)?;
    let (environments, env_ids) = resolve_envs(ctx, pid.zip(project.as_ref()), &new.environments)?;
    ctx.snapshot
        .may_define_role(&ctx.actor()?, pid, grants.granted, &env_ids)?;
    if name_clash(ctx, pid, &new.name) {
        return Err(DomainError::AlreadyExists {
            kind: "role",
            name: new.name.to_string(),
        });
    }
    let (count, limit, what) = match pid {
        Some(pid) => (
            ctx.snapshot.project_roles(pid).len(),
            MAX_PROJECT_ROLES,
            "roles per project",
        ),
        None => (
            ctx.snapshot
                .global_roles()
                .filter(|r| {
                    ctx.snapshot
                        .role(*r)
                        .is_some_and(|v| v.role_type() == RoleType::CustomGlobal)
                })
                .count(),
            MAX_CUSTOM_GLOBAL_ROLES,
            "custom global roles",
        ),
    };
    if count >= limit {
        return Err(DomainError::LimitExceeded { what, limit });
    }
    let role = Role {
        name: new.name,
        role_type: if project.is_some() {
            RoleType::Custom
        } else {
            RoleType::CustomGlobal
        },
        project,
        description: new.description,
        mode,
        categories: grants.categories,
        actions: grants.actions,
        environments,
        revision: 0,
    };
    let mut audit = ctx.audit("role.created", "role", role.name.as_str());
    audit.project = role.project.as_ref().map(ToString::to_string);
    audit.after = Some(role_view(&role));
    Ok(ctx.commit(vec![Mutation::PutRole(role)], audit))
}

/// Changes to a role; any field may change, including the mode.
#[derive(Clone, Debug, Default)]
pub struct RolePatch {
    /// New description.
    pub description: Option<Description>,
    /// New mode; switching without new contents converts the current ones.
    pub mode: Option<RoleMode>,
    /// New Basic categories.
    pub categories: Option<Vec<String>>,
    /// New Advanced actions.
    pub actions: Option<Vec<String>>,
    /// New environments.
    pub environments: Option<Vec<String>>,
    /// Confirms losing actions when switching to Basic mode.
    pub discard_advanced: bool,
}

async fn existing<S: Store>(
    ctx: &Ctx<'_, S>,
    project: Option<&ProjectKey>,
    name: &RoleName,
) -> Result<Role, DomainError> {
    read(ctx.store.role(project, name).await)?.ok_or_else(|| DomainError::NotFound {
        kind: "role",
        name: name.to_string(),
    })
}

fn current_grants<S: Store>(ctx: &Ctx<'_, S>, role: &Role) -> Result<Grants, DomainError> {
    match role.mode {
        RoleMode::Basic => role_mode::basic(ctx.snapshot.catalogue(), &role.categories),
        RoleMode::Advanced => role_mode::advanced(ctx.snapshot.catalogue(), &role.actions),
    }
}

/// The mode and grants a patch leads to (SPEC §4).
fn patched_grants<S: Store>(
    ctx: &Ctx<'_, S>,
    before: &Role,
    patch: &RolePatch,
) -> Result<(RoleMode, Grants), DomainError> {
    let catalogue = ctx.snapshot.catalogue();
    match (&patch.categories, &patch.actions) {
        (Some(_), Some(_)) => {
            Err(FieldError::invalid("actions", "give `categories` (basic) or `actions` (advanced), not both").into())
        }
        (Some(categories), None) if patch.mode != Some(RoleMode::Advanced) => {
            Ok((RoleMode::Basic, role_mode::basic(catalogue, categories)?))
        }
        (None, Some(actions)) if patch.mode != Some(RoleMode::Basic) => {
            Ok((RoleMode::Advanced, role_mode::advanced(catalogue, actions)?))
        }
        (Some(_), None) => Err(FieldError::invalid("categories", "categories belong to basic mode").into()),
        (None, Some(_)) => Err(FieldError::invalid("actions", "actions belong to advanced mode").into()),
        (None, None) => {
            let current = current_grants(ctx, before)?;
            match (before.mode, patch.mode.unwrap_or(before.mode)) {
                (RoleMode::Basic, RoleMode::Advanced) => {
                    Ok((RoleMode::Advanced, role_mode::to_advanced(catalogue, &current)))
                }
                (RoleMode::Advanced, RoleMode::Basic) => Ok((
                    RoleMode::Basic,
                    role_mode::to_basic(catalogue, &current, patch.discard_advanced)?,
                )),
                (mode, _) => Ok((mode, current)),
            }
        }
    }
}

/// Edits a role. Predefined roles change only their environments.
///
/// # Errors
/// Forbidden; escalation; `would_discard_actions`; `role_empty`; invalid
/// grants or environments; `precondition_failed`.
pub async fn update<S: Store>(
    ctx: &Ctx<'_, S>,
    project: Option<ProjectKey>,
    name: &RoleName,
    patch: RolePatch,
    if_match: Option<u64>,
) -> Result<Commit, DomainError> {
    let pid = role_editor(ctx, project.as_ref())?;
    let before = existing(ctx, project.as_ref(), name).await?;
    check_if_match(if_match, before.revision)?;
    let predefined = matches!(before.role_type, RoleType::Predefined | RoleType::Admin);
    if predefined && (patch.mode.is_some() || patch.categories.is_some() || patch.actions.is_some()) {
        return Err(DomainError::Forbidden(
            "a predefined role changes only its environments".into(),
        ));
    }
    let (mode, grants) = patched_grants(ctx, &before, &patch)?;
    let env_names: Vec<String> = match &patch.environments {
        Some(names) => names.clone(),
        None => before.environments.iter().map(|e| e.as_str().to_owned()).collect(),
    };
    let (environments, env_ids) = resolve_envs(ctx, pid.zip(project.as_ref()), &env_names)?;
    ctx.snapshot
        .may_define_role(&ctx.actor()?, pid, grants.granted, &env_ids)?;
    let after = Role {
        description: patch.description.unwrap_or_else(|| before.description.clone()),
        mode,
        categories: grants.categories,
        actions: grants.actions,
        environments,
        ..before.clone()
    };
    let mut audit = ctx.audit("role.updated", "role", name.as_str());
    audit.project = project.as_ref().map(ToString::to_string);
    audit.before = Some(role_view(&before));
    audit.after = Some(role_view(&after));
    Ok(ctx.commit(vec![Mutation::PutRole(after)], audit))
}

fn holders<S: Store>(ctx: &Ctx<'_, S>, role: RoleId) -> Vec<String> {
    let mut out = Vec::new();
    for (key, pid) in ctx.snapshot.projects() {
        for (user, roles) in ctx.snapshot.user_members(pid) {
            if roles.contains(&role) {
                out.push(format!("{key}/user:{}", ctx.snapshot.user_name(user).unwrap_or("?")));
            }
        }
        for (group, roles) in ctx.snapshot.group_members_of(pid) {
            if roles.contains(&role) {
                out.push(format!("{key}/group:{}", ctx.snapshot.group_name(group).unwrap_or("?")));
            }
        }
    }
    out.sort();
    out
}

/// Deletes a role. Held by members, it needs `force`, which removes it from
/// them; a member left with no role stops being a member.
///
/// # Errors
/// Forbidden (predefined roles stay); not found; `in_use` without force.
pub async fn delete<S: Store>(
    ctx: &Ctx<'_, S>,
    project: Option<ProjectKey>,
    name: &RoleName,
    force: bool,
) -> Result<Commit, DomainError> {
    let pid = role_editor(ctx, project.as_ref())?;
    let before = existing(ctx, project.as_ref(), name).await?;
    if matches!(before.role_type, RoleType::Predefined | RoleType::Admin) {
        return Err(DomainError::Forbidden("predefined roles cannot be deleted".into()));
    }
    let role_id = ctx.snapshot.role_id(pid, name.as_str());
    let held = role_id.map(|r| holders(ctx, r)).unwrap_or_default();
    if !held.is_empty() && !force {
        return Err(DomainError::InUse(held));
    }
    let mut audit = ctx.audit("role.deleted", "role", name.as_str());
    audit.project = project.as_ref().map(ToString::to_string);
    audit.before = Some(role_view(&before));
    audit.after = Some(json!({"removed_from_members": held}));
    Ok(ctx.commit(vec![Mutation::DeleteRole(project, name.clone())], audit))
}
