//! The resource registry (SPEC §5.6): a project registers and removes its
//! resources, with `project.manage_resources` there.

use gatehouse_authz::{EnvId, ProjectId};
use serde_json::{Value, json};

use super::members::{project_id, require_project_action};
use super::{Ctx, read};
use crate::commit::{Commit, Mutation};
use crate::entities::Resource;
use crate::error::{DomainError, FieldError};
use crate::names::{EnvName, ProjectKey, ResourceName};
use crate::store::Store;

/// A resource as audit records show it.
#[must_use]
pub fn resource_view(r: &Resource) -> Value {
    json!({"type": r.resource_type, "name": r.name, "project": r.project, "environment": r.environment})
}

fn label(resource_type: &str, name: &ResourceName) -> String {
    format!("{resource_type}/{name}")
}

/// The environment `raw` names in the project: a global environment or the
/// project's own, by full name or (for the project's own) by `NAME`.
fn usable_env<S: Store>(ctx: &Ctx<'_, S>, key: &ProjectKey, pid: ProjectId, raw: &str) -> Option<EnvName> {
    let visible = |name: &str| -> Option<EnvId> {
        ctx.snapshot
            .env_id(name)
            .filter(|e| ctx.snapshot.env_project(*e).is_none_or(|owner| owner == pid))
    };
    if visible(raw).is_some() {
        return Some(EnvName::from_trusted(raw));
    }
    let full = EnvName::existing_in_project(key, raw).ok()?;
    visible(full.as_str()).map(|_| full)
}

/// Registers a resource of `resource_type` named `name` in `project`, in
/// `environment` when the type is environment-scoped (a global environment
/// or one of the project's, by full name or `NAME`).
///
/// # Errors
/// Not found (the project); forbidden without `project.manage_resources`;
/// validation naming `name` (not `<key>-…`), `type` (not in the
/// catalogue) or `environment`
/// (missing for a scoped type, given for another, or not usable in the
/// project); `already_exists` when the type and name are taken anywhere.
pub async fn register<S: Store>(
    ctx: &Ctx<'_, S>,
    project: ProjectKey,
    resource_type: &str,
    name: ResourceName,
    environment: Option<&str>,
) -> Result<Commit, DomainError> {
    let pid = project_id(ctx, &project)?;
    require_project_action(ctx, pid, "manage_resources")?;
    // As JFrog requires of a project's repositories: no project claims
    // another's names (SPEC §5.6).
    let prefix = format!("{project}-");
    if name.as_str().len() <= prefix.len() || !name.as_str().starts_with(&prefix) {
        return Err(DomainError::Validation(vec![FieldError::invalid(
            "name",
            &format!("a resource of project `{project}` is named `{prefix}…`"),
        )]));
    }
    let scoped = ctx
        .snapshot
        .catalogue()
        .resource_types()
        .iter()
        .find(|t| t.id == resource_type)
        .map(|t| t.env_scoped)
        .ok_or_else(|| DomainError::Validation(vec![FieldError::unknown("type", resource_type)]))?;
    let environment = match (environment, scoped) {
        (None, false) => None,
        (None, true) => return Err(DomainError::Validation(vec![FieldError::required("environment")])),
        (Some(_), false) => {
            return Err(DomainError::Validation(vec![FieldError::invalid(
                "environment",
                &format!("must be absent: `{resource_type}` is not environment-scoped"),
            )]));
        }
        (Some(raw), true) => Some(
            usable_env(ctx, &project, pid, raw)
                .ok_or_else(|| DomainError::Validation(vec![FieldError::unknown("environment", raw)]))?,
        ),
    };
    if ctx.snapshot.resource(resource_type, name.as_str()).is_some() {
        return Err(DomainError::AlreadyExists {
            kind: "resource",
            name: label(resource_type, &name),
        });
    }
    let resource = Resource {
        resource_type: resource_type.to_owned(),
        name,
        project,
        environment,
        created_at: ctx.now,
    };
    let mut audit = ctx.audit("resource.registered", "resource", &label(resource_type, &resource.name));
    audit.project = Some(resource.project.to_string());
    audit.after = Some(resource_view(&resource));
    Ok(ctx.commit(vec![Mutation::PutResource(resource)], audit))
}

/// Removes a registered resource of `project`.
///
/// # Errors
/// Not found (the project, or the resource: absent or another project's);
/// forbidden without `project.manage_resources`.
pub async fn remove<S: Store>(
    ctx: &Ctx<'_, S>,
    project: ProjectKey,
    resource_type: &str,
    name: ResourceName,
) -> Result<Commit, DomainError> {
    let pid = project_id(ctx, &project)?;
    require_project_action(ctx, pid, "manage_resources")?;
    let not_found = || DomainError::NotFound {
        kind: "resource",
        name: label(resource_type, &name),
    };
    if ctx
        .snapshot
        .resource(resource_type, name.as_str())
        .is_none_or(|(owner, _)| owner != pid)
    {
        return Err(not_found());
    }
    let before = read(ctx.store.resource(resource_type, name.as_str()).await)?
        .filter(|r| r.project == project)
        .ok_or_else(not_found)?;
    let mut audit = ctx.audit("resource.removed", "resource", &label(resource_type, &name));
    audit.project = Some(project.to_string());
    audit.before = Some(resource_view(&before));
    Ok(ctx.commit(
        vec![Mutation::DeleteResource {
            resource_type: resource_type.to_owned(),
            name,
        }],
        audit,
    ))
}
